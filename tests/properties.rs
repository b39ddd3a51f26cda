//! Property tests of the parsers that read what users and servers hand us:
//! the suite file, the env file, connection-string masking, and the
//! variables that carry URLs. Case counts stay small (64) so that the suite
//! stays fast and bounded; proptest shrinks any failure to a minimal input.

mod support;

use kbz_check::config::{Config, ConfigError};
use kbz_check::env::{Env, EnvFileError};
use kbz_check::secret::{dsn_password, mask_dsn};
use proptest::prelude::*;
use support::{all_text, kbz_check};

fn config() -> ProptestConfig {
    ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() }
}

/// Fragments that suite files are made of, so that random text often gets
/// deep into the parser instead of failing at the first byte.
fn suite_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("[checks.a]\n".to_string()),
        Just("[checks.a.b]\n".to_string()),
        Just("[report]\n".to_string()),
        Just("kind = \"postgres\"\n".to_string()),
        Just("kind = \"vault\"\n".to_string()),
        Just("kind = \"exec\"\n".to_string()),
        Just("kind = 5\n".to_string()),
        Just("url = \"${DATABASE_URL}\"\n".to_string()),
        Just("url = \"${X:-\"\n".to_string()),
        Just("addr = \"http://[::1\"\n".to_string()),
        Just("command = [\"true\", 1]\n".to_string()),
        Just("secrets = [\"a\", {}]\n".to_string()),
        Just("timeout = \"-1s\"\n".to_string()),
        Just("port = 99999999999999999999\n".to_string()),
        Just("\u{feff}".to_string()),
        Just("\r\n".to_string()),
        "[ -~]{0,20}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..8).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(config())]

    /// Any text as a suite file: a config or a ConfigError, never a panic.
    #[test]
    fn suite_parser_never_panics(text in suite_text()) {
        let env = Env::from_pairs([("DATABASE_URL", "postgresql://u:p@127.0.0.1:1/db")]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fuzz.toml");
        std::fs::write(&path, &text).unwrap();
        match Config::load(Some(&path), &env) {
            Ok(_) => {}
            Err(ConfigError::Syntax { message, .. } | ConfigError::Invalid { message, .. }) => {
                prop_assert!(!message.is_empty());
            }
            Err(_) => {}
        }
    }

    /// Any bytes as an env file (BOM, CRLF, export, quotes mixed in): values
    /// or a syntax error that never quotes a value.
    #[test]
    fn env_parser_never_panics_nor_quotes_a_value(lines in prop::collection::vec(env_line(), 0..8), bom in any::<bool>()) {
        let mut text = if bom { "\u{feff}".to_string() } else { String::new() };
        text.push_str(&lines.concat());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, &text).unwrap();
        let mut env = Env::default();
        if let Err(e) = env.overlay_file(&path) {
            let shown = e.to_string();
            prop_assert!(!shown.contains(SECRET), "the error quotes a value: {shown}");
        }
    }

    /// Raw bytes, not even UTF-8: an error, never a panic.
    #[test]
    fn env_parser_takes_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, &bytes).unwrap();
        let _ = Env::default().overlay_file(&path);
    }

    /// mask_dsn never shows the password, in URL or keyword form, whatever
    /// its characters (percent-encoded in URLs, quoted in keyword form).
    #[test]
    fn mask_dsn_never_shows_the_password(password in "[!-~]{6,24}", host in "[a-z0-9.]{1,12}", form in 0..4u8) {
        // Distinctive, so that it cannot appear by chance in the rest.
        let password = format!("Pw{password}Zq");
        let encoded = support::pg::percent_encode(&password);
        let quoted = password.replace('\\', "\\\\").replace('\'', "\\'");
        let dsn = match form {
            0 => format!("postgresql://kb:{encoded}@{host}:5432/db"),
            1 => format!("postgres://kb:{encoded}@{host}/db?sslmode=require&password={encoded}"),
            2 => format!("host={host} user=kb password='{quoted}' dbname=db"),
            _ => format!("host={host} password = '{quoted}' port=5432"),
        };
        let found = dsn_password(&dsn);
        prop_assert_eq!(found.as_deref(), Some(password.as_str()), "{}", dsn);
        let masked = mask_dsn(&dsn);
        prop_assert!(!masked.contains(&password) && !masked.contains(&encoded), "{} -> {}", dsn, masked);
    }

    /// Arbitrary text as a DSN: no panic (slicing on char boundaries).
    #[test]
    fn mask_dsn_takes_any_text(dsn in any::<String>()) {
        let _ = mask_dsn(&dsn);
        let _ = dsn_password(&dsn);
    }
}

const SECRET: &str = "S3cr3tV4lue";

/// One env-file line from the shapes people write, some of them broken.
fn env_line() -> impl Strategy<Value = String> {
    // Every line ends (LF or CRLF): glued lines would make real keys of values.
    let eol = prop_oneof![Just("\n"), Just("\r\n")];
    let line = prop_oneof![
        Just(format!("KEY={SECRET}")),
        Just(format!("export KEY={SECRET}")),
        Just(format!("KEY=\"{SECRET}")),
        Just(format!("KEY='{SECRET}")),
        Just(format!("KEY=\"{SECRET}\"")),
        Just(format!("KEY='{SECRET}'")),
        Just(format!("KEY=\"a\\\"{SECRET}\"")),
        Just(SECRET.to_string()),
        Just(format!("KEY {SECRET}")),
        Just(format!("BAD KEY={SECRET}")),
        Just(format!("K-Y={SECRET}")),
        Just(format!("KEY=${{{SECRET}")),
        Just("# comment".to_string()),
        Just(String::new()),
        "[ -~]{0,12}",
    ];
    (line, eol).prop_map(|(l, e)| format!("{l}{e}"))
}

/// A BOM, CRLF line ends, `export` and both quotes: every value is read as
/// the app would read it.
#[test]
fn env_file_with_bom_crlf_export_and_quotes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".env");
    std::fs::write(
        &path,
        "\u{feff}DATABASE_URL=postgresql://a@h/db\r\nexport VAULT_ADDR=http://127.0.0.1:8200\r\nSMTP_PASS=\"p w\"\r\nSMTP_USER='u@x'\r\n",
    )
    .unwrap();
    let mut env = Env::default();
    env.overlay_file(&path).unwrap();
    assert_eq!(env.value("DATABASE_URL"), Some("postgresql://a@h/db"));
    assert_eq!(env.value("VAULT_ADDR"), Some("http://127.0.0.1:8200"));
    assert_eq!(env.value("SMTP_PASS"), Some("p w"));
    assert_eq!(env.value("SMTP_USER"), Some("u@x"));
}

/// A line that is only a value (a pasted token) is not named as a key.
#[test]
fn env_file_bare_value_line_is_not_quoted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".env");
    std::fs::write(&path, format!("A=1\n{SECRET}\n")).unwrap();
    let err = Env::default().overlay_file(&path).unwrap_err();
    assert!(matches!(err, EnvFileError::Syntax { line: 2, .. }), "{err}");
    assert!(!err.to_string().contains(SECRET), "{err}");
}

/// Every URL variable, malformed in every way: exit 2, the variable named, no panic.
#[test]
fn malformed_urls_exit_2_naming_the_variable() {
    let bad = [
        "",
        " ",
        "://",
        "http://",
        "http://[::1",
        "http://127.0.0.1:99999",
        "http://127.0.0.1:-1",
        "ftp://127.0.0.1/",
        "127.0.0.1:8200",
        "http://user:pw@/",
        "http:// 127.0.0.1/",
        "\u{7f}\u{0}",
        "http://%zz/",
        "postgresql://u:p@[::1/db",
        "postgresql://u:p@h:notaport/db",
    ];
    let vars: [(&str, &[(&str, &str)]); 4] = [
        ("DATABASE_URL", &[]),
        ("VAULT_ADDR", &[]),
        (
            "KBZ_OAUTH_START_URL",
            &[
                ("KBZ_OAUTH_USER_EMAIL", "a@b.c"),
                ("KBZ_OAUTH_TENANT_ID", "t"),
                ("AMAZON_SPAPI_APP_ID", "amzn1.sp.solution.x"),
                ("AMAZON_SPAPI_REDIRECT_URI", "https://a.b/c"),
            ],
        ),
        (
            "AWS_ENDPOINT_URL_SES",
            &[
                ("EMAIL_PROVIDER", "ses"),
                ("AWS_SES_ACCESS_KEY", "AKIAPROPERTY00000000"),
                ("AWS_SES_SECRET_KEY", "propertysecret"),
                ("AWS_SES_REGION", "eu-west-1"),
                ("EMAIL_FROM", "a@b.c"),
            ],
        ),
    ];
    for (var, others) in vars {
        for value in bad {
            if value.contains('\0') {
                continue; // not representable in an environment
            }
            let out = kbz_check()
                .args(["--format", "json", "list"])
                .env(var, value)
                .envs(others.iter().copied())
                .output()
                .unwrap();
            let text = all_text(&out);
            assert!(!text.contains("panicked"), "{var}={value:?}: {text}");
            let code = out.status.code();
            // An empty or blank value configures nothing: the check is skipped.
            if value.trim().is_empty() {
                assert!(matches!(code, Some(0 | 2)), "{var}={value:?}: {code:?} {text}");
                continue;
            }
            assert_eq!(code, Some(2), "{var}={value:?}: {text}");
            assert!(text.contains(var), "{var}={value:?}: the variable is not named: {text}");
        }
    }
}

/// A suite with no checks and a suite naming a check twice: exit 2, clearly said.
#[test]
fn empty_suite_and_duplicate_names() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("suite.toml");

    std::fs::write(&suite, "[report]\ntitle = \"nothing\"\n").unwrap();
    let out = kbz_check().args(["--config", suite.to_str().unwrap(), "all"]).output().unwrap();
    let text = all_text(&out);
    assert!(!text.contains("panicked"), "{text}");
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("the suite defines no check"), "{text}");

    std::fs::write(&suite, "[checks.db]\nkind = \"vault\"\naddr = \"http://127.0.0.1:1\"\n[checks.db]\nkind = \"vault\"\naddr = \"http://127.0.0.1:2\"\n").unwrap();
    let out = kbz_check().args(["--config", suite.to_str().unwrap(), "all"]).output().unwrap();
    let text = all_text(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("duplicate") && text.contains("db"), "{text}");

    let err = Config::load(Some(&suite), &Env::default()).err().expect("duplicate tables are an error");
    assert!(matches!(err, ConfigError::Syntax { .. }), "{err}");
}
