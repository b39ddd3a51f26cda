//! Check kinds. Each kind validates its own settings and probes one kind of
//! service; the engine owns deadlines, timing and concurrency.
//!
//! To add a kind: one module here, one line in [`KINDS`].

pub mod exec;
pub mod findings;
pub mod oauth;
pub mod peer_bytes;
pub mod postgres;
pub mod ses;
pub mod smtp;
pub mod stall;
pub mod vault;

use crate::config::{ConfigError, Plan, RawSettings};
use crate::report::Outcome;
use crate::secret::Redactor;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Every kind kbz-check knows, in the built-in suite's order.
pub const KINDS: &[Kind] = &[postgres::KIND, vault::KIND, smtp::KIND, ses::KIND, oauth::KIND, exec::KIND];

/// A check kind: its settings, the app variables that feed them in the
/// built-in suite, and how to validate them into a runnable check.
pub struct Kind {
    pub name: &'static str,
    /// Keys a suite file may set for this kind.
    pub settings: &'static [&'static str],
    /// `(setting, variable)` pairs read by the built-in suite.
    pub variables: &'static [(&'static str, &'static str)],
    pub build: fn(&mut RawSettings, &mut Redactor) -> Result<Built, ConfigError>,
    /// Every finding code the kind can emit (its `codes::ALL`).
    pub codes: &'static [crate::code::CodeInfo],
}

/// A validated check: where it points (secrets masked) and what to do.
pub struct Built {
    pub target: String,
    pub plan: Plan,
}

pub fn kind(name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.name == name)
}

pub fn kind_names() -> String {
    KINDS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
}

pub type CheckFuture<'a> = Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// One signature for every kind: validated settings in `self`, the run's
/// context in, a typed outcome out. No timing, printing or exit codes here.
pub trait Check: Send + Sync {
    fn run<'a>(&'a self, ctx: &'a Context) -> CheckFuture<'a>;

    /// Whether the check may verify a certificate against the system trust
    /// store, so that the run loads the store once, early, beside the first
    /// connections (see [`crate::tls::preload_system_roots`]).
    fn uses_system_roots(&self) -> bool {
        false
    }
}

/// What the run asks of every check, from the command line.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Mail checks may send one test message here; without it they send nothing.
    pub send_test_to: Option<String>,
}

/// What the engine hands a running check.
#[derive(Clone, Debug)]
pub struct Context {
    deadline: Instant,
    step: Arc<Mutex<String>>,
    /// The connection the check has open now, if it said so.
    peer: stall::PeerSlot,
    pub options: Arc<RunOptions>,
}

impl Context {
    pub fn new(timeout: Duration, options: Arc<RunOptions>) -> Self {
        // The command line bounds timeouts; a library caller's huge one is "no deadline", not a panic.
        let now = Instant::now();
        let deadline = now.checked_add(timeout).unwrap_or(now + Duration::from_secs(365 * 86_400));
        let step = Arc::new(Mutex::new("starting".to_string()));
        Self { deadline, step, peer: stall::PeerSlot::default(), options }
    }

    /// Names what the check is doing now, e.g. `connecting to 127.0.0.1:5432`;
    /// a timeout message reads "timed out after 2s while <step>".
    pub fn step(&self, what: impl Into<String>) {
        *self.step.lock().unwrap_or_else(|e| e.into_inner()) = what.into();
        // A tapped connection counts its bytes per step.
        if let Some(stall::Peer::Tapped(tap)) = &*self.peer.lock().unwrap_or_else(|e| e.into_inner()) {
            tap.mark();
        }
    }

    /// The connection the check now talks over: a deadline that passes
    /// then says what the peer showed instead of blaming the network path.
    pub fn peer(&self, peer: stall::Peer) {
        *self.peer.lock().unwrap_or_else(|e| e.into_inner()) = Some(peer);
    }

    /// A new connection is being made: what the last one showed no longer
    /// speaks for the check (a SYN nobody answers is the path's again).
    pub fn peer_gone(&self) {
        *self.peer.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// For clients that record their connections themselves.
    pub fn peer_slot(&self) -> stall::PeerSlot {
        self.peer.clone()
    }

    /// What the open connection showed, if the check registered one.
    pub fn peer_seen(&self) -> Option<String> {
        self.peer.lock().unwrap_or_else(|e| e.into_inner()).as_ref().map(stall::Peer::describe)
    }

    pub fn current_step(&self) -> String {
        self.step.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Time left before the engine gives up on this check.
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }
}
