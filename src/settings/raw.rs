//! One check's raw settings, before its kind validates them into a typed
//! struct. Every accessor reports mistakes at the setting's own place
//! (file and line, or variable) and records how `list` shows it.

use super::{ConfigError, Origin};
use crate::duration;
use crate::env::VarSource;
use crate::secret::{dsn_password, mask, mask_dsn, Redactor};
use indexmap::IndexMap;
use std::collections::HashMap;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Setting {
    pub value: toml::Value,
    pub origin: Origin,
}

/// How a setting's value may be shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    Plain,
    /// Shown only as `***#fingerprint`.
    Secret,
    /// A connection string whose password is masked.
    Dsn,
}

/// A setting as `list` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingView {
    pub key: String,
    pub value: String,
    pub origin: Origin,
    /// Other sources of its variable whose value lost and differs, each with
    /// that value shown as this one is (a secret only by its fingerprint).
    pub differs: Vec<(VarSource, String)>,
}

impl Shown {
    /// `value` as it may be shown.
    fn display(self, value: &str) -> String {
        match self {
            Shown::Plain => value.to_string(),
            Shown::Secret => mask(value),
            Shown::Dsn => mask_dsn(value),
        }
    }
}

#[derive(Debug)]
pub struct RawSettings {
    section: String,
    declared_at: Origin,
    entries: IndexMap<String, Setting>,
    /// Variable that sets a key in the built-in suite, named when it is missing.
    hints: HashMap<String, String>,
    /// Keys present but empty, with where the emptiness came from.
    empty: HashMap<String, Origin>,
    views: Vec<SettingView>,
    /// Values of settings that are not secrets: a secret found inside one is weak.
    plain: Vec<String>,
    /// Secrets read, with the name a warning gives them (variable or `checks.x.key`).
    secrets: Vec<(String, String)>,
    /// Connection strings and URLs read, whose passwords must be scrubbed.
    dsns: Vec<String>,
    /// Secret values other sources gave a variable, which lost: no check
    /// uses them, yet they must be scrubbed like the ones it does.
    lost_secrets: Vec<String>,
}

impl RawSettings {
    /// `section` names the check in messages (`checks.db`); `declared_at` is where it is declared.
    pub fn new(section: impl Into<String>, declared_at: Origin) -> Self {
        Self {
            section: section.into(),
            declared_at,
            entries: IndexMap::new(),
            hints: HashMap::new(),
            empty: HashMap::new(),
            views: Vec::new(),
            plain: Vec::new(),
            secrets: Vec::new(),
            dsns: Vec::new(),
            lost_secrets: Vec::new(),
        }
    }

    /// Tells the redactor which values are not secret and where each secret came from.
    pub fn record(&mut self, redactor: &mut Redactor) {
        for value in self.plain.drain(..) {
            redactor.note_plain(&value);
        }
        for (name, value) in self.secrets.drain(..) {
            redactor.note_source(&name, &value);
        }
        for value in self.lost_secrets.drain(..) {
            redactor.add(&crate::secret::Secret::new(value));
        }
    }

    /// The connection strings and URLs read so far (`Shown::Dsn`).
    pub fn dsn_values(&self) -> Vec<String> {
        self.dsns.clone()
    }

    /// How a warning names `key`: its variable, else `checks.x.key`.
    fn name_of(&self, key: &str) -> String {
        match self.entries.get(key).map(|s| &s.origin) {
            Some(Origin::Var { name, .. }) => name.clone(),
            _ => format!("{}.{key}", self.section),
        }
    }

    fn note(&mut self, key: &str, shown: Shown, value: &str) {
        match shown {
            Shown::Plain => self.plain.push(value.to_string()),
            Shown::Secret => self.secrets.push((self.name_of(key), value.to_string())),
            Shown::Dsn => {
                // The rest of a connection string (user, host, database) is not secret.
                self.plain.push(mask_dsn(value));
                self.dsns.push(value.to_string());
                if let Some(password) = dsn_password(value) {
                    self.secrets.push((self.name_of(key), password));
                }
            }
        }
    }

    /// Records how `list` shows `key`: `value` already as it may be shown,
    /// and the values its variable's other sources gave it, shown the same way.
    fn view(&mut self, key: &str, value: String, origin: Origin, shown: Shown) {
        let mut differs = Vec::new();
        let lost = |raw: &mut RawSettings, shown: Shown, other: &str| {
            raw.note(key, shown, other);
            if shown == Shown::Secret {
                raw.lost_secrets.push(other.to_string());
            }
            shown.display(other)
        };
        match &origin {
            Origin::Var { overridden, .. } => {
                for (source, other) in overridden {
                    differs.push((source.clone(), lost(self, shown, other.expose())));
                }
            }
            // A variable may be any part of a suite's value (a password inside
            // a URL): unless the setting is plain, its other values are
            // secrets, shown by fingerprint only.
            Origin::Suite { overridden, .. } => {
                let shown = if shown == Shown::Plain { Shown::Plain } else { Shown::Secret };
                for (name, source, other) in overridden {
                    differs.push((source.clone(), format!("${name} = {}", lost(self, shown, other.expose()))));
                }
            }
            Origin::Default | Origin::BuiltIn => {}
        }
        self.views.push(SettingView { key: key.to_string(), value, origin, differs });
    }

    pub fn insert(&mut self, key: impl Into<String>, setting: Setting) {
        self.entries.insert(key.into(), setting);
    }

    /// The variable that would set `key` (built-in suite), for "set X" messages.
    pub fn hint(&mut self, key: &str, variable: &str) {
        self.hints.insert(key.to_string(), variable.to_string());
    }

    /// What to set so that `key` gets a value: a variable, or the key in its section.
    pub fn missing_hint(&self, key: &str) -> String {
        if let Some(var) = self.hints.get(key) {
            return var.clone();
        }
        if let Some(var) = self.empty.get(key).and_then(Origin::variable) {
            return var.to_string();
        }
        format!("`{key}` in [{}]", self.section)
    }

    /// The variable that supplied `key`'s value, if one did (`DATABASE_URL`).
    pub fn source_variable(&self, key: &str) -> Option<String> {
        self.entries.get(key).and_then(|s| s.origin.variable()).map(str::to_string)
    }

    /// How the report names `key`: the variable that supplied it, else where
    /// to set it ([`Self::missing_hint`]).
    pub fn setting_name(&self, key: &str) -> String {
        self.source_variable(key).unwrap_or_else(|| self.missing_hint(key))
    }

    /// A file named by `key` (a CA bundle) must be there: an error at `key` if not.
    pub fn require_file(&self, key: &str, path: Option<&std::path::Path>) -> Result<(), ConfigError> {
        match path.filter(|p| !p.is_file()) {
            Some(path) => Err(self.error(key, format!("{}: no such file", path.display()))),
            None => Ok(()),
        }
    }

    /// An error about `key`, located where it was set (or where the check is declared).
    pub fn error(&self, key: &str, message: impl Into<String>) -> ConfigError {
        let at = self.entries.get(key).map_or(&self.declared_at, |s| &s.origin).location();
        // The built-in suite speaks of its variables; a suite file of its keys.
        let key = match (self.entries.get(key).map(|s| &s.origin), self.hints.get(key)) {
            (Some(Origin::Var { name, .. }), _) => name.clone(),
            (None, Some(variable)) => variable.clone(),
            _ => format!("{}.{key}", self.section),
        };
        ConfigError::Invalid { at, key, message: message.into() }
    }

    /// Takes `key` as a string; an empty string counts as unset.
    pub fn string(&mut self, key: &str, shown: Shown) -> Result<Option<String>, ConfigError> {
        let Some(setting) = self.entries.get(key) else { return Ok(None) };
        let toml::Value::String(value) = &setting.value else {
            return Err(self.error(key, format!("expected a string, found {}", type_name(&setting.value))));
        };
        let (value, origin) = (value.clone(), setting.origin.clone());
        if value.is_empty() {
            self.empty.insert(key.to_string(), origin);
            return Ok(None);
        }
        self.note(key, shown, &value);
        self.view(key, shown.display(&value), origin, shown);
        Ok(Some(value))
    }

    /// A threshold duration such as `30s`, `24h`, `14d` (`max_lag`,
    /// `min_ttl`), within [`duration::THRESHOLD`].
    pub fn duration(&mut self, key: &str) -> Result<Option<Duration>, ConfigError> {
        self.duration_within(key, duration::THRESHOLD)
    }

    /// A duration within `range`; a value outside it is refused naming the range.
    pub fn duration_within(&mut self, key: &str, range: duration::Range) -> Result<Option<Duration>, ConfigError> {
        match self.string(key, Shown::Plain)? {
            None => Ok(None),
            Some(text) => range.parse(&text).map(Some).map_err(|message| self.error(key, message)),
        }
    }

    /// One of a fixed set of words.
    pub fn choice(&mut self, key: &str, allowed: &[&str]) -> Result<Option<String>, ConfigError> {
        match self.string(key, Shown::Plain)? {
            Some(word) if !allowed.contains(&word.as_str()) => {
                Err(self.error(key, format!("`{word}` is not one of: {}", allowed.join(", "))))
            }
            other => Ok(other),
        }
    }

    pub fn boolean(&mut self, key: &str) -> Result<Option<bool>, ConfigError> {
        let Some(setting) = self.entries.get(key) else { return Ok(None) };
        // Variables spell booleans many ways (VAULT_SKIP_VERIFY=1, SMTP_SECURE=TRUE); empty is unset.
        let value = match &setting.value {
            toml::Value::Boolean(b) => *b,
            toml::Value::String(s) if s.is_empty() => return Ok(None),
            toml::Value::String(s) => match s.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" | "t" => true,
                "false" | "0" | "no" | "off" | "f" => false,
                _ => return Err(self.error(key, format!("`{s}` is not a boolean; write true or false (or 1 or 0)"))),
            },
            other => return Err(self.error(key, format!("expected true or false, found {}", type_name(other)))),
        };
        let origin = setting.origin.clone();
        self.view(key, value.to_string(), origin, Shown::Plain);
        Ok(Some(value))
    }

    /// A boolean as Go's `strconv.ParseBool` reads one (1 t T TRUE true True,
    /// 0 f F FALSE false False), for a variable a Go client reads, such as
    /// Vault's `VAULT_SKIP_VERIFY`: a value that client refuses is refused here too.
    pub fn go_boolean(&mut self, key: &str) -> Result<Option<bool>, ConfigError> {
        if let Some(Setting { value: toml::Value::String(s), .. }) = self.entries.get(key) {
            let go = match s.as_str() {
                "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
                "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
                "" => None,
                _ => {
                    return Err(self.error(
                        key,
                        format!("`{s}` is not a boolean; write true or false (Go's words: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False)"),
                    ))
                }
            };
            if go.is_none() {
                return Ok(None);
            }
        }
        self.boolean(key)
    }

    /// A whole number within `range`, written as an integer or a string
    /// (variables are strings). The error says `not {what} from A to B`,
    /// then `note`.
    pub fn whole_number(
        &mut self,
        key: &str,
        range: std::ops::RangeInclusive<u16>,
        (what, note): (&str, &str),
    ) -> Result<Option<u16>, ConfigError> {
        let Some(setting) = self.entries.get(key) else { return Ok(None) };
        let parsed = match &setting.value {
            toml::Value::Integer(n) => u16::try_from(*n).ok(),
            toml::Value::String(s) if s.is_empty() => return Ok(None),
            toml::Value::String(s) => s.trim().parse::<u16>().ok(),
            _ => None,
        };
        let Some(n) = parsed.filter(|n| range.contains(n)) else {
            return Err(self.error(key, format!("not {what} from {} to {}{note}", range.start(), range.end())));
        };
        let origin = setting.origin.clone();
        self.plain.push(n.to_string());
        self.view(key, n.to_string(), origin, Shown::Plain);
        Ok(Some(n))
    }

    /// A TCP port, written as an integer or a string (variables are strings).
    pub fn port(&mut self, key: &str) -> Result<Option<u16>, ConfigError> {
        let Some(setting) = self.entries.get(key) else { return Ok(None) };
        let parsed = match &setting.value {
            toml::Value::Integer(n) => u16::try_from(*n).ok().filter(|p| *p > 0),
            toml::Value::String(s) if s.is_empty() => return Ok(None),
            toml::Value::String(s) => s.parse::<u16>().ok().filter(|p| *p > 0),
            other => return Err(self.error(key, format!("expected a port number, found {}", type_name(other)))),
        };
        let Some(port) = parsed else { return Err(self.error(key, "not a port number (1-65535)")) };
        let origin = setting.origin.clone();
        self.plain.push(port.to_string());
        self.view(key, port.to_string(), origin, Shown::Plain);
        Ok(Some(port))
    }

    /// Named values in declared order, written as a table `{ a = "x", b = "y" }`
    /// or, as a variable can hold it, a string `a=x,b=y` (e.g. cluster `nodes`).
    pub fn named_list(&mut self, key: &str) -> Result<Vec<(String, String)>, ConfigError> {
        let pairs = self.pairs(key, false)?;
        self.plain.extend(pairs.iter().map(|(_, v)| v.clone()));
        Ok(pairs)
    }

    /// Like [`Self::named_list`], for values that are secrets (e.g. a plugin's
    /// environment): `list` shows each as `NAME=***#1a2b`, and no error quotes one.
    pub fn named_secrets(&mut self, key: &str) -> Result<Vec<(String, String)>, ConfigError> {
        let pairs = self.pairs(key, true)?;
        if let Some(view) = self.views.iter_mut().rev().find(|v| v.key == key) {
            view.value = pairs.iter().map(|(n, v)| format!("{n}={}", mask(v))).collect::<Vec<_>>().join(", ");
        }
        let name = self.name_of(key);
        self.secrets.extend(pairs.iter().map(|(n, v)| (format!("{name}.{n}"), v.clone())));
        Ok(pairs)
    }

    fn pairs(&mut self, key: &str, secret: bool) -> Result<Vec<(String, String)>, ConfigError> {
        let Some(setting) = self.entries.get(key) else { return Ok(Vec::new()) };
        let mut pairs = Vec::new();
        match &setting.value {
            toml::Value::Table(table) => {
                for (name, value) in table {
                    let toml::Value::String(value) = value else {
                        return Err(self.error(key, format!("`{name}`: expected a string, found {}", type_name(value))));
                    };
                    pairs.push((name.clone(), value.clone()));
                }
            }
            toml::Value::String(list) => {
                for (i, item) in list.split(',').map(str::trim).filter(|i| !i.is_empty()).enumerate() {
                    let Some((name, value)) = item.split_once('=') else {
                        // A secret split at one of its own commas: never quote the piece.
                        let message = match secret {
                            true => format!(
                                "item {}: expected NAME=value (the text is not shown: it may hold a secret), as in \
                                 {key} = \"PGUSER=monitor,PGPASSWORD=${{PGPASSWORD}}\"; a value holding a comma goes \
                                 in a table: {key} = {{ PGPASSWORD = \"${{PGPASSWORD}}\" }}",
                                i + 1
                            ),
                            false => format!("`{item}`: expected name=value, as in a=10.0.0.1:5432,b=10.0.0.2:5432"),
                        };
                        return Err(self.error(key, message));
                    };
                    pairs.push((name.trim().to_string(), value.trim().to_string()));
                }
            }
            other => {
                let example = match secret {
                    true => "{ NAME = \"value\" }",
                    false => "{ name = \"host:port\" }",
                };
                return Err(self.error(key, format!("expected a table like {example}, found {}", type_name(other))));
            }
        }
        let display = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join(", ");
        let shown = if secret { Shown::Secret } else { Shown::Plain };
        self.view(key, display, setting.origin.clone(), shown);
        Ok(pairs)
    }

    /// Strings in declared order, written as an array `["a", "b"]` or, as a
    /// variable can hold it, a string `a,b` (e.g. Vault secret paths). Empty
    /// items are dropped.
    pub fn string_list(&mut self, key: &str) -> Result<Vec<String>, ConfigError> {
        let Some(setting) = self.entries.get(key) else { return Ok(Vec::new()) };
        let items = match &setting.value {
            toml::Value::Array(values) => {
                let mut items = Vec::with_capacity(values.len());
                for (i, value) in values.iter().enumerate() {
                    let toml::Value::String(item) = value else {
                        return Err(
                            self.error(key, format!("item {}: expected a string, found {}", i + 1, type_name(value)))
                        );
                    };
                    items.push(item.trim().to_string());
                }
                items
            }
            toml::Value::String(list) => list.split(',').map(|item| item.trim().to_string()).collect(),
            other => {
                return Err(self.error(
                    key,
                    format!("expected an array of strings like [\"a\", \"b\"], found {}", type_name(other)),
                ))
            }
        };
        let items: Vec<String> = items.into_iter().filter(|item| !item.is_empty()).collect();
        if !items.is_empty() {
            let origin = setting.origin.clone();
            self.view(key, items.join(", "), origin, Shown::Plain);
        }
        Ok(items)
    }

    /// Records a default the check applied, so `list` shows it.
    pub fn show_default(&mut self, key: &str, value: impl Into<String>) {
        if !self.views.iter().any(|v| v.key == key) {
            let value = value.into();
            self.plain.push(value.clone());
            self.view(key, value, Origin::Default, Shown::Plain);
        }
    }

    /// Ends validation: a key no accessor asked for is a mistake (a typo, or a
    /// setting of another kind).
    pub fn finish(self, known: &[&str]) -> Result<Vec<SettingView>, ConfigError> {
        if let Some(key) = self.entries.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(self.error(key, format!("unknown setting; known settings: {}", known.join(", "))));
        }
        Ok(self.views)
    }
}

pub fn type_name(value: &toml::Value) -> &'static str {
    match value {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Float(_) => "a float",
        toml::Value::Boolean(_) => "a boolean",
        toml::Value::Datetime(_) => "a datetime",
        toml::Value::Array(_) => "an array",
        toml::Value::Table(_) => "a table",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn raw_with(key: &str, value: toml::Value) -> RawSettings {
        let origin = Origin::Suite { file: PathBuf::from("suite.toml"), line: 3, vars: vec![], overridden: vec![] };
        let mut raw = RawSettings::new("checks.vault", origin.clone());
        raw.insert(key, Setting { value, origin });
        raw
    }

    #[test]
    fn a_required_file_must_be_there() {
        let raw = RawSettings::new("checks.vault", Origin::Default);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ca.pem");
        std::fs::write(&file, "").unwrap();
        assert!(raw.require_file("cacert", Some(&file)).is_ok());
        assert!(raw.require_file("cacert", None).is_ok(), "unset is not required");
        let err = raw.require_file("cacert", Some(dir.path())).unwrap_err().to_string();
        assert!(err.contains("cacert") && err.ends_with(": no such file"), "{err}");
    }

    #[test]
    fn booleans_take_the_words_variables_use_and_empty_is_unset() {
        let mut raw = RawSettings::new("checks.x", Origin::Default);
        for (key, value) in [("a", "TRUE"), ("b", "0"), ("c", ""), ("d", "maybe")] {
            raw.insert(key, Setting { value: toml::Value::String(value.into()), origin: Origin::Default });
        }
        raw.insert("e", Setting { value: toml::Value::Boolean(false), origin: Origin::Default });
        assert_eq!(raw.boolean("a").unwrap(), Some(true));
        assert_eq!(raw.boolean("b").unwrap(), Some(false));
        assert_eq!(raw.boolean("c").unwrap(), None);
        assert!(raw.boolean("d").unwrap_err().to_string().contains("`maybe` is not a boolean"));
        assert_eq!(raw.boolean("e").unwrap(), Some(false));
        assert_eq!(raw.boolean("missing").unwrap(), None);
    }

    #[test]
    fn go_booleans_take_exactly_strconv_parse_bool_words() {
        let mut raw = RawSettings::new("checks.x", Origin::Default);
        let words = [
            "1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False", "", "yes", "on", "tRuE",
            " true",
        ];
        for (i, word) in words.iter().enumerate() {
            raw.insert(
                format!("k{i}"),
                Setting { value: toml::Value::String(word.to_string()), origin: Origin::Default },
            );
        }
        raw.insert("toml", Setting { value: toml::Value::Boolean(true), origin: Origin::Default });
        let got: Vec<_> = (0..words.len()).map(|i| raw.go_boolean(&format!("k{i}")).ok()).collect();
        let (t, f) = (Some(Some(true)), Some(Some(false)));
        assert_eq!(got, [t, t, t, t, t, t, f, f, f, f, f, f, Some(None), None, None, None, None]);
        let err = raw.go_boolean("k13").unwrap_err().to_string();
        assert!(err.contains("`yes` is not a boolean; write true or false (Go's words: 1, t, T"), "{err}");
        assert_eq!(raw.go_boolean("toml").unwrap(), Some(true));
    }

    #[test]
    fn string_list_takes_an_array_or_a_comma_separated_string() {
        let array = toml::Value::Array(vec!["secret/data/a".into(), " ".into(), "kv/b".into()]);
        let mut raw = raw_with("secrets", array);
        assert_eq!(raw.string_list("secrets").unwrap(), ["secret/data/a", "kv/b"]);
        let views = raw.finish(&["secrets"]).unwrap();
        assert_eq!(views[0].value, "secret/data/a, kv/b");

        let mut raw = raw_with("secrets", "secret/data/a, kv/b,".into());
        assert_eq!(raw.string_list("secrets").unwrap(), ["secret/data/a", "kv/b"]);
        assert!(raw_with("x", "".into()).string_list("x").unwrap().is_empty());
        assert!(raw_with("x", "".into()).string_list("missing").unwrap().is_empty());
    }

    #[test]
    fn durations_outside_their_range_are_refused_at_their_place() {
        let err = raw_with("min_ttl", "500y".into()).duration("min_ttl").unwrap_err().to_string();
        assert!(err.starts_with("suite.toml:3: checks.vault.min_ttl: `500y` is too long"), "{err}");
        assert!(err.contains("from 0s to 10years"), "{err}");
        assert_eq!(raw_with("min_ttl", "0s".into()).duration("min_ttl").unwrap(), Some(Duration::ZERO));
        let err = raw_with("timeout", "18446744073709551615s".into())
            .duration_within("timeout", duration::DEADLINE)
            .unwrap_err()
            .to_string();
        assert!(err.contains("checks.vault.timeout") && err.contains("more than 0 and at most 24h"), "{err}");
    }

    #[test]
    fn string_list_names_the_bad_item_and_its_place() {
        let err =
            raw_with("secrets", toml::Value::Array(vec!["a".into(), 7.into()])).string_list("secrets").unwrap_err();
        assert_eq!(err.to_string(), "suite.toml:3: checks.vault.secrets: item 2: expected a string, found an integer");
        let err = raw_with("secrets", true.into()).string_list("secrets").unwrap_err();
        assert!(err.to_string().contains("expected an array of strings"), "{err}");
    }
}
