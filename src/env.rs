//! The variables the checks read: the process environment, overlaid by
//! `--env-file` files in order (explicit beats ambient), each value
//! remembering where it came from.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Where a variable's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VarSource {
    Process,
    EnvFile(PathBuf),
}

impl fmt::Display for VarSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VarSource::Process => f.write_str("process environment"),
            VarSource::EnvFile(path) => write!(f, "env file {}", path.display()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Var {
    pub value: String,
    pub source: VarSource,
}

#[derive(Clone, Debug, Default)]
pub struct Env {
    vars: HashMap<String, Var>,
}

#[derive(Debug, thiserror::Error)]
pub enum EnvFileError {
    #[error("env file {path}: cannot read it: {error}")]
    Read { path: PathBuf, error: std::io::Error },
    /// The offending line is not quoted: it may hold a secret.
    #[error("env file {path}: line {line}: {what}")]
    Syntax { path: PathBuf, line: usize, what: String },
}

impl Env {
    /// The process environment (variables whose name or value is not UTF-8 are ignored).
    pub fn from_process() -> Self {
        let vars = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .map(|(k, value)| (k, Var { value, source: VarSource::Process }))
            .collect();
        Self { vars }
    }

    /// From explicit pairs, as if they were the process environment (tests, embedding).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        let vars =
            pairs.into_iter().map(|(k, v)| (k.into(), Var { value: v.into(), source: VarSource::Process })).collect();
        Self { vars }
    }

    /// Overlays one dotenv file: its values win over what is already here.
    pub fn overlay_file(&mut self, path: &Path) -> Result<(), EnvFileError> {
        let text =
            std::fs::read_to_string(path).map_err(|error| EnvFileError::Read { path: path.to_path_buf(), error })?;
        // Editors on Windows save a BOM; it is not part of the first key.
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let items = dotenvy::from_read_iter(text.as_bytes());
        for item in items {
            match item {
                Ok((key, value)) => {
                    self.vars.insert(key, Var { value, source: VarSource::EnvFile(path.to_path_buf()) });
                }
                Err(err) => return Err(syntax_error(path, text, err)),
            }
        }
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<&Var> {
        self.vars.get(name)
    }

    /// The value when set and not empty: an empty variable configures nothing.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).map(|v| v.value.as_str()).filter(|v| !v.is_empty())
    }
}

/// A dotenv error names the line by number and the key when it can, never
/// the line's text (which may hold a secret).
fn syntax_error(path: &Path, text: &str, err: dotenvy::Error) -> EnvFileError {
    let (line, what) = match err {
        dotenvy::Error::LineParse(bad_line, _) => {
            let found =
                text.lines().enumerate().find(|(_, l)| !l.is_empty() && (*l == bad_line || bad_line.starts_with(l)));
            let number = found.map_or(0, |(i, _)| i + 1);
            // The key only from a line of the file as written, and only before
            // a `=`: dotenvy's `bad_line` may start inside a value, and a line
            // without `=` is all value (a pasted token). Neither is shown.
            let source = found.map_or("", |(_, l)| l);
            let key = source.split_once('=').map_or("", |(key, _)| key.trim().trim_start_matches("export ").trim());
            let what = if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                format!("cannot parse the value of `{key}` (check its quotes)")
            } else {
                "cannot parse this line: expected KEY=VALUE".to_string()
            };
            (number, what)
        }
        other => (0, other.to_string()),
    };
    EnvFileError::Syntax { path: path.to_path_buf(), line, what }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn env_file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn env_file_wins_over_process_and_later_files_win() {
        let mut env = Env::from_pairs([("DATABASE_URL", "from-process"), ("OTHER", "kept")]);
        let first = env_file("DATABASE_URL=first\nSMTP_HOST=mail\n");
        let second = env_file("export DATABASE_URL=\"second\"\n");
        env.overlay_file(first.path()).unwrap();
        env.overlay_file(second.path()).unwrap();
        assert_eq!(env.value("DATABASE_URL"), Some("second"));
        assert_eq!(env.get("DATABASE_URL").unwrap().source, VarSource::EnvFile(second.path().to_path_buf()));
        assert_eq!(env.value("SMTP_HOST"), Some("mail"));
        assert_eq!(env.get("OTHER").unwrap().source, VarSource::Process);
    }

    #[test]
    fn empty_value_counts_as_unset() {
        let env = Env::from_pairs([("PGHOST", "")]);
        assert_eq!(env.value("PGHOST"), None);
    }

    #[test]
    fn syntax_error_names_line_and_key_but_not_the_value() {
        let file = env_file("A=1\nPASSWORD=\"unterminated s3cret\nB=2\n");
        let err = Env::default().overlay_file(file.path()).unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("PASSWORD"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
    }

    #[test]
    fn missing_file_is_named() {
        let err = Env::default().overlay_file(Path::new("/nonexistent/.env")).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/.env"), "{err}");
    }
}
