//! The variables the checks read: the process environment (kbz-check's own,
//! or with `--env-from-pid` the app's), overlaid by `--env-file` files in
//! order (explicit beats ambient), each value remembering where it came from.
//! Env files are read as the app's loader reads them: `$` kept as written
//! unless `--env-expand` ([`Dollar`]).

use crate::secret::Secret;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Where a variable's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VarSource {
    Process,
    /// The environment another process started with (`--env-from-pid`).
    ProcessOf(u32),
    EnvFile(PathBuf),
}

impl fmt::Display for VarSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VarSource::Process => f.write_str("process environment"),
            VarSource::ProcessOf(pid) => write!(f, "environment of process {pid}"),
            VarSource::EnvFile(path) => write!(f, "env file {}", path.display()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Var {
    pub value: String,
    pub source: VarSource,
    /// Values that other sources gave this variable and that lost to this
    /// one, where they differ from it: the app may be loading one of them.
    pub overridden: Vec<(VarSource, Secret)>,
}

impl Var {
    fn new(value: String, source: VarSource) -> Var {
        Var { value, source, overridden: Vec::new() }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Env {
    vars: HashMap<String, Var>,
}

#[derive(Debug, thiserror::Error)]
pub enum EnvFileError {
    #[error("env file {path}: cannot read it: {error}")]
    Read { path: PathBuf, error: crate::input::InputError },
    /// The offending line is not quoted: it may hold a secret.
    #[error("env file {path}: line {line}: {what}")]
    Syntax { path: PathBuf, line: usize, what: String },
}

mod syntax;

pub use syntax::Dollar;
use syntax::Parser;

impl Env {
    /// The process environment (variables whose name or value is not UTF-8 are ignored).
    pub fn from_process() -> Self {
        let vars = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .map(|(k, value)| (k, Var::new(value, VarSource::Process)))
            .collect();
        Self { vars }
    }

    /// The environment process `pid` started with, in place of kbz-check's
    /// own: the app's variables, not the shell's that runs kbz-check.
    pub fn from_process_of(pid: u32) -> Result<Self, crate::vantage::VantageError> {
        let mut vars = HashMap::new();
        for (key, value) in crate::vantage::environment_of(pid)? {
            // A name set twice: getenv(3) returns the first.
            vars.entry(key).or_insert(Var::new(value, VarSource::ProcessOf(pid)));
        }
        Ok(Self { vars })
    }

    /// From explicit pairs, as if they were the process environment (tests, embedding).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        let vars = pairs.into_iter().map(|(k, v)| (k.into(), Var::new(v.into(), VarSource::Process))).collect();
        Self { vars }
    }

    /// Overlays one dotenv file, `$` kept as written (Node's dotenv, systemd's
    /// `EnvironmentFile`, `docker --env-file`): its values win over what is
    /// already here.
    pub fn overlay_file(&mut self, path: &Path) -> Result<(), EnvFileError> {
        self.overlay_file_with(path, Dollar::Literal)
    }

    /// Overlays one dotenv file, `$VAR` and `${VAR}` expanded or not as the
    /// app's loader does ([`Dollar`]).
    pub fn overlay_file_with(&mut self, path: &Path, dollar: Dollar) -> Result<(), EnvFileError> {
        let text =
            crate::input::read_text(path).map_err(|error| EnvFileError::Read { path: path.to_path_buf(), error })?;
        // Editors on Windows save a BOM; it is not part of the first key.
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let mut parser = Parser::new(text, dollar);
        while let Some(entry) = parser.entry(&self.vars) {
            let (key, value) = entry.map_err(|(line, what)| EnvFileError::Syntax {
                path: path.to_path_buf(),
                line,
                what: what.to_string(),
            })?;
            parser.read(&key, &value);
            let mut var = Var::new(value, VarSource::EnvFile(path.to_path_buf()));
            if let Some(earlier) = self.vars.remove(&key) {
                var.overridden = earlier.overridden;
                var.overridden.push((earlier.source, Secret::new(earlier.value)));
                var.overridden.retain(|(_, other)| other.expose() != var.value);
            }
            self.vars.insert(key, var);
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
    fn each_value_that_lost_and_differs_is_kept_with_its_source() {
        let mut env = Env::from_pairs([("DATABASE_URL", "leader"), ("SMTP_HOST", "mail")]);
        let first = env_file("DATABASE_URL=replica\nSMTP_HOST=mail\n");
        let second = env_file("DATABASE_URL=leader\n");
        let lost = |env: &Env| -> Vec<(VarSource, String)> {
            let var = env.get("DATABASE_URL").unwrap();
            var.overridden.iter().map(|(s, v)| (s.clone(), v.expose().to_string())).collect()
        };
        env.overlay_file(first.path()).unwrap();
        assert_eq!(lost(&env), [(VarSource::Process, "leader".to_string())]);
        assert!(env.get("SMTP_HOST").unwrap().overridden.is_empty(), "the same value is no disagreement");
        env.overlay_file(second.path()).unwrap();
        assert_eq!(lost(&env), [(VarSource::EnvFile(first.path().to_path_buf()), "replica".to_string())]);
        let var = env.get("DATABASE_URL").unwrap();
        assert!(!format!("{var:?}").contains("replica"), "a lost value may be a secret: {var:?}");
    }

    fn read(text: &str, dollar: Dollar, env: &[(&str, &str)]) -> Env {
        let mut env = Env::from_pairs(env.iter().copied());
        env.overlay_file_with(env_file(text).path(), dollar).unwrap();
        env
    }

    /// Node's dotenv, systemd and `docker --env-file` keep `$`: a password
    /// holding `$HOME` is not changed, whatever the quotes.
    #[test]
    fn a_dollar_is_kept_as_written_by_default() {
        let text = "A=pa$HOME\nB=\"pa$HOME\"\nC='pa$HOME'\nD=`pa$HOME`\nE=x${HOME}y\nF=$\nG=\"a\\$b\"\n";
        let env = read(text, Dollar::Literal, &[("HOME", "/root")]);
        for (key, want) in
            [("A", "pa$HOME"), ("B", "pa$HOME"), ("C", "pa$HOME"), ("D", "pa$HOME"), ("E", "x${HOME}y"), ("F", "$")]
        {
            assert_eq!(env.value(key), Some(want), "{key}");
        }
        assert_eq!(env.value("G"), Some("a$b"), "an escaped `$` is a `$` either way");
        let mut plain = Env::from_pairs([("HOME", "/root")]);
        plain.overlay_file(env_file(text).path()).unwrap();
        assert_eq!(plain.value("A"), Some("pa$HOME"), "overlay_file keeps `$` too");
    }

    /// docker compose and python-dotenv expand, outside single quotes: the
    /// environment first, then the file's earlier entries; unset is empty.
    #[test]
    fn with_expansion_variables_are_replaced_outside_single_quotes() {
        let text = "A=pa$HOME\nB=\"pa${HOME}x\"\nC='pa$HOME'\nD=\\$HOME\nE=$NOPE.$\nF=$A/$MY_VAR\nG=$SHADOW\nSHADOW=file\nH=$SHADOW\n";
        let env = read(text, Dollar::Expand, &[("HOME", "/root"), ("MY_VAR", "m"), ("SHADOW", "env")]);
        for (key, want) in [
            ("A", "pa/root"),
            ("B", "pa/rootx"),
            ("C", "pa$HOME"),
            ("D", "$HOME"),
            ("E", ".$"),
            ("F", "pa/root/m"),
            ("G", "env"),
        ] {
            assert_eq!(env.value(key), Some(want), "{key}");
        }
        // SHADOW itself now comes from the file, and H saw the file's value
        // only because the environment's had just been replaced.
        assert_eq!(env.value("H"), Some("file"));
    }

    #[test]
    fn with_expansion_a_default_fills_an_unset_or_empty_variable() {
        let text = "A=${UNSET:-d1}\nB=${EMPTY:-d2}\nC=${EMPTY-d3}\nD=${SET:-no}\nE=${UNSET-d 5}x\nF=${SET:?x}\n";
        let env = read(text, Dollar::Expand, &[("EMPTY", ""), ("SET", "v")]);
        let got: Vec<_> = ["A", "B", "C", "D", "E", "F"].iter().map(|k| env.get(k).unwrap().value.clone()).collect();
        assert_eq!(got, ["d1", "d2", "", "v", "d 5x", ""]);
    }

    proptest::proptest! {
        #![proptest_config(crate::test_strategies::config())]

        /// Whatever a value holds (`$`, `#`, `@`, spaces, backslashes,
        /// quotes), written as a dotenv file quotes it, it reads back as is
        /// when `$` is literal; and in single quotes whatever the mode.
        #[test]
        fn a_quoted_value_reads_back_as_written(value in "[ -~]{0,24}") {
            if !value.contains('\'') {
                for dollar in [Dollar::Literal, Dollar::Expand] {
                    let env = read(&format!("K='{value}'\n"), dollar, &[("HOME", "/root")]);
                    proptest::prop_assert_eq!(&env.get("K").unwrap().value, &value);
                }
            }
            let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
            let env = read(&format!("K=\"{escaped}\"\n"), Dollar::Literal, &[("HOME", "/root")]);
            proptest::prop_assert_eq!(&env.get("K").unwrap().value, &value);
            let env = read(&format!("K=\"{}\"\n", escaped.replace('$', "\\$")), Dollar::Expand, &[("HOME", "/root")]);
            proptest::prop_assert_eq!(&env.get("K").unwrap().value, &value);
        }
    }

    /// Quotes as Node's dotenv reads them: single quotes and backticks keep
    /// everything, double quotes turn `\n` into a newline; a bare value ends
    /// at a blank before a comment.
    #[test]
    fn quotes_keep_at_dollar_hash_and_spaces() {
        let secret = "p@ss $HOME #1 x:y";
        let text = format!(
            "S='{secret}'\nD=\"{secret}\"\nB=`{secret}`\nN1=\"a\\nb\"\nN2='a\\nb'\nN3=`a\\nb`\nU=p@ss#1 # comment\nM=\"one\ntwo\"\nQ=`it's \"q\"`\n"
        );
        let env = read(&text, Dollar::Literal, &[]);
        for key in ["S", "D", "B"] {
            assert_eq!(env.value(key), Some(secret), "{key}");
        }
        assert_eq!(env.value("N1"), Some("a\nb"));
        assert_eq!(env.value("N2"), Some("a\\nb"));
        assert_eq!(env.value("N3"), Some("a\\nb"));
        assert_eq!(env.value("U"), Some("p@ss#1"));
        assert_eq!(env.value("M"), Some("one\ntwo"));
        assert_eq!(env.value("Q"), Some("it's \"q\""));
        let err = Env::default().overlay_file(env_file("B=`open s3cret\n").path()).unwrap_err().to_string();
        assert!(err.contains("line 1") && err.contains("`B`") && !err.contains("s3cret"), "{err}");
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

    /// Each bad entry is named by the line it starts on, whatever came before
    /// it: a multi-line value, blank lines, comments, an identical earlier line.
    #[test]
    fn syntax_errors_name_the_line_the_entry_starts_on() {
        for (text, line, key) in [
            ("A=1\nKEY=a b # comment\n", 2, Some("KEY")),
            ("A=1\nB=\"x\ny\" junk\n", 2, Some("B")),
            ("A=1\nA=1\"oops\n", 2, Some("A")),
            ("A=1\n\nB=\\q\n", 3, Some("B")),
            ("A=1\nB=1\n\"x\n", 3, None),
            ("# c\nM=\"one\ntwo\"\n\nP=\"open s3cret\nmore\n", 5, Some("P")),
            ("A='x'\r\nB=a b\r\n", 2, Some("B")),
            ("token-without-equals-s3cret", 1, None),
            ("A=1\nB=\"unclosed é", 2, Some("B")),
        ] {
            let err = Env::default().overlay_file(env_file(text).path()).unwrap_err().to_string();
            assert!(err.contains(&format!(": line {line}: ")), "{text:?}: {err}");
            match key {
                Some(key) => assert!(err.contains(&format!("`{key}`")), "{text:?}: {err}"),
                None => assert!(err.contains("expected KEY=VALUE"), "{text:?}: {err}"),
            }
            assert!(!err.contains("s3cret") && !err.contains("line 0"), "{err}");
        }
        // `${` never closed is an error only where `$` expands.
        let file = env_file("A=1\nB=${X\n");
        let err = Env::default().overlay_file_with(file.path(), Dollar::Expand).unwrap_err().to_string();
        assert!(err.contains(": line 2: ") && err.contains("`B`"), "{err}");
        let mut env = Env::default();
        env.overlay_file(file.path()).unwrap();
        assert_eq!(env.value("B"), Some("${X"));
    }

    proptest::proptest! {
        #![proptest_config(crate::test_strategies::config())]

        /// Whatever the text, an error names a line that exists, never line 0.
        #[test]
        fn a_syntax_error_names_a_line_of_the_file(
            lines in proptest::collection::vec(
                proptest::prop_oneof!["[A-Z]{1,3}=[ -~é\"'#\\\\]{0,8}", "[ -~é\"'#]{0,8}", crate::test_strategies::any_text()],
                0..6,
            ),
            newline in proptest::sample::select(vec!["\n", "\r\n"]),
            trailing in proptest::arbitrary::any::<bool>(),
        ) {
            let mut text = lines.join(newline);
            if trailing {
                text.push_str(newline);
            }
            if let Err(EnvFileError::Syntax { line, .. }) = Env::default().overlay_file(env_file(&text).path()) {
                proptest::prop_assert!(line >= 1 && line <= text.lines().count().max(1), "line {} of {:?}", line, text);
            }
        }
    }

    #[test]
    fn a_device_or_a_huge_file_is_refused_before_reading() {
        let err = Env::default().overlay_file(Path::new("/dev/zero")).unwrap_err().to_string();
        assert!(err.starts_with("env file /dev/zero: cannot read it: it is a device"), "{err}");
        let big = tempfile::NamedTempFile::new().unwrap();
        big.as_file().set_len(200 * 1024 * 1024).unwrap();
        let err = Env::default().overlay_file(big.path()).unwrap_err().to_string();
        assert!(err.contains("larger than 1 MiB"), "{err}");
    }

    #[test]
    fn missing_file_is_named() {
        let err = Env::default().overlay_file(Path::new("/nonexistent/.env")).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/.env"), "{err}");
    }
}
