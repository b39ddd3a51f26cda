//! Random secrets holding `/ ? # @ % : ' "`, spaces and trailing newlines,
//! placed in every setting that carries one (DATABASE_URL as a URL and as
//! keywords, VAULT_ADDR's userinfo, VAULT_TOKEN, SMTP_PASS, the SES secret
//! key, an exec plugin's environment), against loopback servers that echo
//! what they receive: neither the secret, nor an encoded form of it, nor its
//! first four characters appears in stdout, stderr or a written report, in
//! any format. Plus the errors that could quote a secret.

mod support;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::path::Path;
use support::echo::{HttpEcho, PgEcho, SmtpEcho};
use support::tls::TestCa;
use support::{all_text, kbz_check};

const USER: &str = "kbz";

/// A random body first (so its first four characters cannot occur by
/// chance), then the awkward characters, then what a Kubernetes secret may end with.
fn secrets() -> impl Strategy<Value = String> {
    ("[A-Za-z0-9]{8,12}", "[A-Za-z0-9/?#@%:'\" ]{4,14}", prop_oneof![Just(""), Just("\n"), Just(" \n"), Just("\r\n")])
        .prop_map(|(body, tail, end)| format!("{body}{tail}{end}"))
}

fn pct(text: &str) -> String {
    utf8_percent_encode(text, NON_ALPHANUMERIC).to_string()
}

/// Everything that must not be seen for `secret`.
fn forbidden(secret: &str) -> Vec<String> {
    let trimmed = secret.trim();
    let json = serde_json::to_string(trimmed).unwrap();
    let mut all = vec![
        secret.to_string(),
        trimmed.to_string(),
        pct(secret),
        pct(trimmed),
        STANDARD.encode(trimmed),
        STANDARD.encode(secret),
        STANDARD.encode(format!("{USER}:{trimmed}")),
        json[1..json.len() - 1].to_string(),
        secret[..4].to_string(),
    ];
    all.dedup();
    all
}

fn assert_clean(text: &str, secrets: &[String], what: &str) {
    for form in secrets {
        assert!(!text.contains(form.as_str()), "{what}: `{form}` leaked:\n{text}");
    }
}

/// `password='…'` as libpq reads a quoted keyword value.
fn keyword_quoted(secret: &str) -> String {
    format!("'{}'", secret.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Runs `args` once per output format, each run also writing all three report files.
fn run_every_format(args: &[String], env: &[(String, String)], secrets: &[String], what: &str) {
    for format in ["text", "markdown", "json", "junit"] {
        let dir = tempfile::tempdir().unwrap();
        let files = [dir.path().join("r.md"), dir.path().join("r.json"), dir.path().join("r.xml")];
        let out = kbz_check()
            .args(["-f", format, "--timeout", "5s"])
            .args(["--markdown", files[0].to_str().unwrap(), "--json", files[1].to_str().unwrap()])
            .args(["--junit", files[2].to_str().unwrap()])
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        let text = all_text(&out);
        assert!(matches!(out.status.code(), Some(0..=2)), "{what} {format}: exit {:?}\n{text}", out.status);
        assert_clean(&text, secrets, &format!("{what} -f {format}"));
        for file in &files {
            let written = std::fs::read_to_string(file).unwrap_or_default();
            assert_clean(&written, secrets, &format!("{what} {}", file.display()));
        }
    }
}

/// The suite of the second run: a plugin that prints the secret in its
/// summary (after filler, so that the 300-character cut leaves 1 to 8 of
/// its characters), long text and perfdata; SMTP over TLS to the echo,
/// trusting its CA.
fn suite(dir: &Path, pad: usize, smtp_port: u16, ca: &Path) -> std::path::PathBuf {
    let pad = 300 - "CRITICAL: ".len() - (1 + pad % 8);
    // The perfdata label is the secret on one line (quoted, so spaces and `=` parse).
    let script = r#"p=$(printf '%0PADd' 0); t=$(printf %s "$KBZ_SECRET" | tr -d '\r\n'); printf 'CRITICAL: %s%s\n%s\n| '"'"'%s'"'"'=2 %s=1\n' "$p" "$KBZ_SECRET" "$KBZ_SECRET" "$t" "$KBZ_SECRET"; exit 2"#
        .replace("PAD", &pad.to_string());
    let text = format!(
        "[checks.plugin]\nkind = \"exec\"\nshell = true\ncommand = '''{script}'''\nenv = {{ KBZ_SECRET = \"${{KBZ_SECRET}}\" }}\n\n\
         [checks.mail]\nkind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {smtp_port}\nsecure = true\ncacert = \"{}\"\n\
         user = \"{USER}\"\npassword = \"${{SMTP_PASS}}\"\n",
        ca.display()
    );
    let path = dir.join("suite.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn no_form_of_a_random_secret_leaves_in_any_format() {
    let ca = TestCa::new("kbz secret-forms CA");
    let dir = tempfile::tempdir().unwrap();
    let ca_path = dir.path().join("ca.pem");
    ca.write_pem(&ca_path);
    let cert = ca.server_cert(&["127.0.0.1"]);
    let config = Config { cases: 24, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new(config);
    let strategy = (secrets(), 0usize..200, any::<bool>());
    runner
        .run(&strategy, |(secret, pad, keyword_form)| {
            let http = HttpEcho::start(pad);
            let smtp = SmtpEcho::start(&cert, pad);
            // A Vault token cannot hold spaces (kbz-check refuses one that does).
            let token = secret.replace(' ', "_");
            let mut secrets = forbidden(&secret);
            secrets.extend(forbidden(&token));
            let pg = PgEcho::start(pad);
            let db = pg.port();
            let database_url = match keyword_form {
                true => format!("host=127.0.0.1 port={db} user={USER} dbname=app password={}", keyword_quoted(&secret)),
                false => format!("postgresql://{USER}:{}@127.0.0.1:{db}/app", pct(&secret)),
            };
            let env: Vec<(String, String)> = [
                ("DATABASE_URL", database_url),
                ("VAULT_ADDR", format!("http://{USER}:{}@127.0.0.1:{}", pct(&secret), http.port())),
                ("VAULT_TOKEN", token.clone()),
                ("SMTP_HOST", "127.0.0.1".into()),
                ("SMTP_PORT", smtp.port().to_string()),
                ("SMTP_SECURE", "true".into()),
                ("SMTP_USER", USER.into()),
                ("SMTP_PASS", secret.clone()),
                ("SSL_CERT_FILE", ca_path.display().to_string()),
                ("EMAIL_PROVIDER", "ses".into()),
                ("EMAIL_FROM", "noreply@example.com".into()),
                ("AWS_SES_ACCESS_KEY", "AKIAKBZSECRETFORMS01".into()),
                ("AWS_SES_SECRET_KEY", secret.clone()),
                ("AWS_SES_REGION", "eu-west-1".into()),
                ("AWS_ENDPOINT_URL_SES", format!("http://127.0.0.1:{}", http.port())),
                ("KBZ_SECRET", secret.clone()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
            run_every_format(&["all".into()], &env, &secrets, "built-in suite");
            let suite = suite(dir.path(), pad, smtp.port(), &ca_path);
            let args = ["-c".to_string(), suite.display().to_string(), "all".into()];
            run_every_format(&args, &env, &secrets, "suite file");
            Ok(())
        })
        .unwrap();
}

/// A run that must stop at the configuration: exit 2, and `needles` nowhere.
fn assert_refused_without(args: &[&str], env: &[(&str, &str)], needles: &[&str]) -> String {
    let out = kbz_check().args(args).envs(env.iter().copied()).output().unwrap();
    let text = all_text(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}\n{text}");
    for needle in needles {
        assert!(!text.contains(needle), "`{needle}` leaked:\n{text}");
    }
    text
}

#[test]
fn a_toml_syntax_error_does_not_quote_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("suite.toml");
    for line in ["url = \"postgresql://u:S3cretVal-ue99@h/db", "url = postgresql://u:S3cretVal-ue99@h/db"] {
        std::fs::write(&path, format!("[checks.db]\nkind = \"postgres\"\n{line}\n")).unwrap();
        let text = assert_refused_without(&["-c", path.to_str().unwrap(), "list"], &[], &["S3cret", "ue99"]);
        assert!(text.contains("line 3, column"), "{text}");
    }
}

#[test]
fn a_split_env_string_does_not_quote_its_pieces() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("suite.toml");
    let suite = "[checks.plugin]\nkind = \"exec\"\ncommand = [\"true\"]\nenv = \"PGUSER=monitor,PGPASSWORD=${P}\"\n";
    std::fs::write(&path, suite).unwrap();
    let args = ["-c", path.to_str().unwrap(), "list"];
    let text = assert_refused_without(&args, &[("P", "S3cretPart,Value99Tail")], &["S3cret", "Value99", "Tail"]);
    // The example shows the `env` syntax, not the cluster `nodes` one.
    assert!(text.contains("PGPASSWORD=") && !text.contains(":5432,b="), "{text}");
}

#[test]
fn a_url_that_does_not_parse_is_not_quoted_with_its_password() {
    for addr in ["ftp://ops:S3cret/Val?ue#99@127.0.0.1:8200", "ops:S3cretVal/ue99@127.0.0.1:8200"] {
        let text = assert_refused_without(&["run", "vault"], &[("VAULT_ADDR", addr)], &["S3cret", "ue99", "ue#99"]);
        assert!(text.contains("VAULT_ADDR"), "{text}");
    }
    for url in
        ["postgresql://kbz:S3cret/Val?ue#99@127.0.0.1:1/app", "postgresql://kbz:S3cr@et:Val#ue99@127.0.0.1:1/app"]
    {
        let text = assert_refused_without(&["run", "postgres"], &[("DATABASE_URL", url)], &["S3cr", "ue99", "Val"]);
        assert!(text.contains("DATABASE_URL"), "{text}");
    }
}

#[test]
fn a_keyword_string_with_an_unquoted_space_does_not_quote_the_password_s_rest() {
    let dsn = "host=127.0.0.1 user=app password=Str0ngPart TailPiece99 dbname=app";
    let text = assert_refused_without(&["run", "postgres"], &[("DATABASE_URL", dsn)], &["Str0ngPart", "TailPiece99"]);
    assert!(text.contains("password='a b'"), "{text}");
}

#[test]
fn a_weak_secret_is_warned_about_and_does_not_mask_ordinary_text() {
    let env = [
        ("SMTP_HOST", "smtp.example.test"),
        ("SMTP_USER", "ops"),
        ("SMTP_PASS", "smtp"),
        ("DATABASE_URL", "postgresql://app@127.0.0.1:5432/app"),
        ("PGPASSWORD", "5432"),
    ];
    let out = kbz_check().arg("list").envs(env).output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    // Masking `smtp` or `5432` in free text would point at them.
    assert!(stdout.contains("smtp://smtp.example.test:587"), "{stdout}");
    assert!(stdout.contains("127.0.0.1:5432/app"), "{stdout}");
    for variable in ["SMTP_PASS", "PGPASSWORD"] {
        assert!(stderr.contains(&format!("kbz-check: warning: {variable}: the secret ")), "{stderr}");
    }
    // The warning names the variable, never the value.
    assert!(!stderr.contains("5432") && !stderr.contains("`smtp`"), "{stderr}");
}
