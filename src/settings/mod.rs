//! What a check kind is configured with, below both the configuration that
//! reads suites and the check kinds that validate their settings: a check's
//! raw settings and where each came from, the configuration error, and the
//! validated entry with its plan.

pub(crate) mod names;
mod origin;
mod raw;

pub(crate) use names::setting_names;
pub use origin::Origin;
pub use raw::{RawSettings, Setting, SettingView, Shown};

use crate::check::Check;
use crate::env::EnvFileError;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read the suite file: {error}")]
    Read { path: PathBuf, error: crate::input::InputError },
    /// The TOML parser's own message already names line, column and the offending text.
    #[error("{path}: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("{at}: {key}: {message}")]
    Invalid { at: String, key: String, message: String },
    #[error(transparent)]
    EnvFile(#[from] EnvFileError),
    #[error("unknown check `{name}`; known checks: {known}")]
    UnknownCheck { name: String, known: String },
}

/// What the run will do with a check.
#[derive(Clone)]
pub enum Plan {
    Run(Arc<dyn Check>),
    /// Not configured or disabled, with the reason (which variable to set).
    Skip(String),
}

/// One configured check, validated.
#[derive(Clone)]
pub struct CheckEntry {
    pub name: String,
    pub kind: &'static str,
    /// Where it connects, secrets masked.
    pub target: String,
    /// Its own deadline, if the suite sets one; else the run's `--timeout`.
    pub timeout: Option<Duration>,
    pub plan: Plan,
    pub settings: Vec<SettingView>,
}
