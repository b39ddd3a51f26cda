//! Check kinds. Each kind validates its own settings and probes one kind of
//! service; the engine owns deadlines, timing and concurrency.
//!
//! To add a kind: one module here, one line in [`KINDS`].

pub mod domain;
pub mod exec;
pub mod findings;
pub mod oauth;
pub mod peer_bytes;
pub mod postgres;
pub mod ses;
pub mod smtp;
pub mod vault;

/// Moved below `http`, which taps connections too; the old path still works.
pub use crate::stall;

pub use crate::check::{Check, CheckFuture, Context, RunOptions};
use crate::secret::Redactor;
use crate::settings::{ConfigError, Plan, RawSettings};

/// Every kind kbz-check knows, in the built-in suite's order.
pub const KINDS: &[Kind] = &[postgres::KIND, vault::KIND, smtp::KIND, ses::KIND, domain::KIND, oauth::KIND, exec::KIND];

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

impl Built {
    /// A check that will not run, for `reason`; it points nowhere yet.
    pub fn skipped(reason: String) -> Built {
        Built { target: String::new(), plan: Plan::Skip(reason) }
    }

    /// A check whose main setting `key` is not set: skipped, saying where to set it.
    pub fn not_configured(raw: &RawSettings, key: &str) -> Built {
        Built::skipped(format!("not configured: set {}", raw.missing_hint(key)))
    }
}

pub fn kind(name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.name == name)
}

pub fn kind_names() -> String {
    KINDS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
}
