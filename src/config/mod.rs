//! Configuration: a suite file (TOML) or the built-in suite read from the
//! app's own variables, validated into one typed entry per check.

mod builtin;
mod suite;

pub use crate::settings::{CheckEntry, ConfigError, Origin, Plan, RawSettings, Setting, SettingView, Shown};

use crate::checks;
use crate::env::Env;
use crate::secret::Redactor;
use std::path::{Path, PathBuf};

/// Suite file read when `--config` is not given, if it exists.
pub const DEFAULT_SUITE_FILE: &str = "kbz-check.toml";

/// Report id and title, from the suite's `[report]` table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportMeta {
    pub id: Option<String>,
    pub title: Option<String>,
}

pub struct Config {
    /// The suite file, or `None` for the built-in suite.
    pub source: Option<PathBuf>,
    pub report: ReportMeta,
    pub checks: Vec<CheckEntry>,
    /// Knows every secret value of the configuration, to scrub any output.
    pub redactor: Redactor,
    /// Said on stderr before the run, e.g. a secret too weak to scrub (never its value).
    pub warnings: Vec<String>,
}

impl Config {
    /// The suite at `path`, else `./kbz-check.toml` if present, else the built-in suite.
    pub fn load(path: Option<&Path>, env: &Env) -> Result<Config, ConfigError> {
        let default = Path::new(DEFAULT_SUITE_FILE);
        match path {
            Some(path) => suite::load(path, env),
            None if default.is_file() => suite::load(default, env),
            None => builtin::load(env),
        }
    }

    /// Keeps the named checks, in the order given; an unknown name lists the known ones.
    pub fn select(&mut self, names: &[String]) -> Result<(), ConfigError> {
        let mut selected = Vec::with_capacity(names.len());
        for name in names {
            let Some(entry) = self.checks.iter().find(|c| &c.name == name) else {
                let known = self.checks.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ");
                return Err(ConfigError::UnknownCheck { name: name.clone(), known });
            };
            if !selected.iter().any(|c: &CheckEntry| &c.name == name) {
                selected.push(entry.clone());
            }
        }
        self.checks = selected;
        Ok(())
    }
}

/// Settings every check accepts, whatever its kind.
const COMMON_KEYS: [&str; 3] = ["kind", "timeout", "enabled"];

/// Validates one check's raw settings: the common keys here, the rest by its kind.
fn build_entry(
    name: &str,
    kind: &str,
    mut raw: RawSettings,
    redactor: &mut Redactor,
) -> Result<CheckEntry, ConfigError> {
    let Some(kind) = checks::kind(kind) else {
        return Err(raw.error("kind", format!("unknown kind `{kind}`; known kinds: {}", checks::kind_names())));
    };
    let timeout = raw.duration_within("timeout", crate::duration::DEADLINE)?;
    let enabled = raw.boolean("enabled")?.unwrap_or(true);
    let built = (kind.build)(&mut raw, redactor)?;
    register_dsn_secrets(&raw, redactor);
    raw.record(redactor);
    let known: Vec<&str> = COMMON_KEYS.iter().chain(kind.settings).copied().collect();
    let settings = raw.finish(&known)?;
    let plan = if enabled { built.plan } else { Plan::Skip("disabled in the suite (enabled = false)".to_string()) };
    Ok(CheckEntry { name: name.to_string(), kind: kind.name, target: built.target, timeout, plan, settings })
}

/// The password of every URL or connection string setting, as its userinfo
/// or keywords hold it however oddly written, and the HTTP Basic auth a
/// client sends for it: registered here once for every kind.
fn register_dsn_secrets(raw: &RawSettings, redactor: &mut Redactor) {
    for text in raw.dsn_values() {
        if let Some(password) = crate::secret::dsn_password(&text) {
            let password = crate::secret::Secret::new(password);
            redactor.add(&password);
            if let Some(user) = crate::secret::url_user(&text) {
                redactor.add_basic_auth(&user, &password);
            }
        }
    }
}
