//! The one signature every check kind implements and the context the engine
//! runs it in (deadline, current step, open connection). Below the check
//! kinds and the HTTP client, which both talk through a [`Context`].

use crate::report::Outcome;
use crate::stall;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

    /// How many connections to its target's server one attempt holds open
    /// at once, at most: the run's per-server bound counts these, so checks
    /// that open several sessions do not together exhaust a server.
    fn connections(&self) -> usize {
        1
    }

    /// The round trips one attempt waits for when every peer answers at
    /// once: its chain's length on the network. The engine starts the
    /// longest chains first, so the run's slowest check is not also the
    /// last to begin (on two cores, a few milliseconds of other checks'
    /// set-up would otherwise sit in front of it).
    fn round_trips(&self) -> u32 {
        1
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

    /// How long a TCP handshake (or TCP and TLS, where a client counts them
    /// together) may take: a share of the time left, so that an address
    /// nobody answers is the check's own finding, `unreachable.timeout` with
    /// its evidence, not the engine's bare "timed out".
    pub fn connect_budget(&self) -> Duration {
        self.remaining().mul_f64(CONNECT_SHARE)
    }
}

/// See [`Context::connect_budget`]; the rest leaves time to look again and report.
pub const CONNECT_SHARE: f64 = 0.6;
