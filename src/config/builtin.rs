//! The built-in suite: one check per kind, named after it, each reading the
//! app's own variables (`DATABASE_URL`, `PGHOST`, ...), so the check sees the
//! configuration the app sees.

use super::{build_entry, Config, ConfigError, Origin, RawSettings, ReportMeta, Setting};
use crate::checks;
use crate::env::Env;
use crate::secret::Redactor;

pub fn load(env: &Env) -> Result<Config, ConfigError> {
    let mut redactor = Redactor::default();
    let mut entries = Vec::new();
    // Kinds without variables (exec) are for suite files only.
    for kind in checks::KINDS.iter().filter(|k| !k.variables.is_empty()) {
        let raw = from_variables(kind, env);
        entries.push(build_entry(kind.name, kind.name, raw, &mut redactor)?);
    }
    Ok(Config { source: None, report: ReportMeta::default(), checks: entries, warnings: redactor.settle(), redactor })
}

/// Settings of `kind` from its variables; each key also learns its variable's
/// name, so an unconfigured check says which one to set.
fn from_variables(kind: &checks::Kind, env: &Env) -> RawSettings {
    let mut raw = RawSettings::new(format!("built-in {} check", kind.name), Origin::BuiltIn);
    for (key, var) in kind.variables {
        raw.hint(key, var);
        if let Some(found) = env.get(var) {
            let origin = Origin::Var {
                name: var.to_string(),
                source: found.source.clone(),
                overridden: found.overridden.clone(),
            };
            raw.insert(*key, Setting { value: toml::Value::String(found.value.clone()), origin });
        }
    }
    raw
}
