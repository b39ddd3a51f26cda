//! The smtp check against a real relay on 127.0.0.1 (aiosmtpd with STARTTLS,
//! implicit TLS or none, and AUTH), and against peers that misbehave,
//! through the `kbz-check` binary as a user runs it.

mod support;

use serde_json::Value;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};
use support::net::{closed_port, SilentListener};
use support::smtp::{
    relay_env, trusting, Certificates, GarbageListener, Mode, SmtpServer, CA_NAME, SMTP_PASSWORD, SMTP_USER,
};
use support::{all_text, check, evidence_item as evidence, kbz_check};

const WRONG_PASSWORD: &str = "Wr0ng-Smtp-Pa55";
const TEST_RECIPIENT: &str = "ops@keybuzz.test";

/// Runs the smtp check of the built-in suite with exactly `env`.
fn run_json(env: &[(&str, String)], extra: &[&str]) -> (i32, Value, Output) {
    support::run_json("smtp", env.iter().map(|(k, v)| (*k, v)), extra)
}

fn text<'a>(check: &'a Value, field: &str) -> &'a str {
    check[field].as_str().unwrap_or_else(|| panic!("no `{field}` in {check:#}"))
}

fn labels(check: &Value) -> Vec<String> {
    check["evidence"].as_array().unwrap().iter().map(|e| e["label"].as_str().unwrap().to_string()).collect()
}

fn assert_no_secret(text: &str) {
    for secret in [SMTP_PASSWORD, WRONG_PASSWORD] {
        assert!(!text.contains(secret), "a password leaked into the output:\n{text}");
    }
}

/// The codes of the check's findings, the main one first; `code` is that main one.
fn codes(check: &Value) -> Vec<&str> {
    let codes: Vec<&str> = check["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert_eq!(check["code"].as_str(), codes.first().copied(), "{check:#}");
    codes
}

fn write_suite(dir: &Path, body: &str) -> String {
    let path = dir.join("suite.toml");
    std::fs::write(&path, body).unwrap();
    path.display().to_string()
}

#[test]
fn starttls_relay_login_certificate_and_test_message() {
    let certificates = Certificates::new();
    let relay = SmtpServer::start(Mode::StartTls, &certificates);
    let port = relay.port();
    let endpoint = format!("127.0.0.1:{port}");

    // Good credentials over STARTTLS, the CA trusted through SSL_CERT_FILE: ok, every step in evidence.
    let (code, json, out) = run_json(&trusting(relay_env(port, SMTP_PASSWORD), &certificates), &[]);
    let c = check(&json);
    assert_eq!(code, 0, "{c:#}\n{}", relay.log());
    assert_eq!(c["status"], "ok");
    assert_eq!((c["code"].clone(), codes(c)), (Value::Null, vec![]), "ok has no code: {c:#}");
    assert!(
        text(c, "summary")
            .starts_with(&format!("AUTH PLAIN accepted for {SMTP_USER} at {endpoint} over STARTTLS (TLSv1.")),
        "{c:#}"
    );
    assert!(text(c, "summary").contains("; certificate valid until "), "{c:#}");
    assert_eq!(text(c, "target"), format!("smtp://{endpoint}"));
    assert_eq!(
        labels(c),
        [
            "connection",
            "banner",
            "EHLO",
            "STARTTLS",
            "TLS",
            "certificate",
            "EHLO after TLS",
            "AUTH advertised",
            "AUTH",
            "QUIT"
        ]
    );
    assert!(text(evidence(c, "banner"), "output").starts_with("220 mail.kbz-test.localdomain"), "{c:#}");
    assert!(text(evidence(c, "EHLO"), "output").contains("250-STARTTLS"), "{c:#}");
    assert!(!text(evidence(c, "EHLO"), "output").contains("AUTH"), "AUTH is hidden before TLS: {c:#}");
    assert_eq!(text(evidence(c, "STARTTLS"), "command"), "STARTTLS");
    assert!(text(evidence(c, "STARTTLS"), "output").starts_with("220 "), "{c:#}");
    assert_eq!(text(evidence(c, "AUTH advertised"), "output"), "LOGIN PLAIN");
    assert_eq!(text(evidence(c, "AUTH"), "command"), "AUTH PLAIN ***");
    assert_eq!(text(evidence(c, "AUTH"), "output"), "235 2.7.0 Authentication successful");
    let certificate = text(evidence(c, "certificate"), "output");
    assert!(certificate.starts_with(&format!("subject: CN=127.0.0.1\nissuer: CN={CA_NAME}\n")), "{certificate}");
    assert!(certificate.contains("names: 127.0.0.1, localhost"), "{certificate}");
    assert!(text(evidence(c, "TLS"), "output").contains("after STARTTLS"), "{c:#}");
    assert_no_secret(&all_text(&out));

    // Wrong password: the AUTH step fails with the server's 535, naming where the password comes from.
    let (code, json, out) = run_json(&trusting(relay_env(port, WRONG_PASSWORD), &certificates), &[]);
    let c = check(&json);
    assert_eq!(code, 1, "{c:#}");
    assert_eq!(c["status"], "fail");
    assert_eq!(
        text(c, "summary"),
        format!("AUTH rejected for {SMTP_USER}: 535 5.7.8 Authentication credentials invalid")
    );
    assert_eq!(codes(c), ["smtp.auth.rejected"], "{c:#}");
    assert!(text(c, "cause").contains("SMTP_PASS holds a wrong or outdated password"), "{c:#}");
    assert_eq!(c["actions"][0]["priority"], "critical");
    assert!(
        text(&c["actions"][0], "text").starts_with(
            "Check SMTP_USER and SMTP_PASS and where they come from (env file, secret store such as Vault)."
        ),
        "{c:#}"
    );
    assert_eq!(text(evidence(c, "AUTH"), "output"), "535 5.7.8 Authentication credentials invalid");
    assert_eq!(labels(c).last().unwrap(), "QUIT", "a refusal still ends with QUIT: {c:#}");
    assert_no_secret(&all_text(&out));

    // SMTP_USER set, SMTP_PASS empty (a secret store that is down): fail without trying AUTH.
    let (code, json, _) = run_json(&trusting(relay_env(port, ""), &certificates), &[]);
    let c = check(&json);
    assert_eq!(code, 1, "{c:#}");
    assert_eq!(text(c, "summary"), "SMTP_USER is set but SMTP_PASS is empty");
    assert_eq!(codes(c), ["smtp.auth.password_missing"], "{c:#}");
    assert_eq!(text(evidence(c, "AUTH"), "output"), "not tried: SMTP_USER is set but SMTP_PASS is empty");

    // No credentials at all: TLS and EHLO only, ok, saying AUTH was not tried.
    let env = trusting(vec![("SMTP_HOST", "127.0.0.1".into()), ("SMTP_PORT", port.to_string())], &certificates);
    let (code, json, _) = run_json(&env, &[]);
    let c = check(&json);
    assert_eq!(code, 0, "{c:#}");
    assert!(
        text(c, "summary").starts_with(&format!(
            "STARTTLS (TLSv1.3) works at {endpoint}; AUTH not tried (SMTP_USER/SMTP_PASS not set)"
        )),
        "{c:#}"
    );

    // The CA not trusted (no SSL_CERT_FILE, no cacert): fail naming the certificate's subject and issuer.
    let (code, json, out) = run_json(&relay_env(port, SMTP_PASSWORD), &[]);
    let c = check(&json);
    assert_eq!(code, 1, "{c:#}");
    assert_eq!(text(c, "summary"), format!("certificate not trusted: subject CN=127.0.0.1, issuer CN={CA_NAME}"));
    assert!(text(&c["actions"][0], "text").contains("`cacert`"), "{c:#}");
    assert!(text(&c["actions"][0], "text").contains("SSL_CERT_FILE"), "{c:#}");
    assert!(text(evidence(c, "TLS handshake"), "output").starts_with("failed: "), "{c:#}");
    assert!(!labels(c).iter().any(|l| l == "AUTH"), "no AUTH over an untrusted connection: {c:#}");
    assert_no_secret(&all_text(&out));

    // The suite's cacert instead of SSL_CERT_FILE; a huge cert_expiry_warn makes the certificate "expiring".
    let dir = tempfile::tempdir().unwrap();
    let suite = write_suite(
        dir.path(),
        &format!(
            "[checks.mail]\nkind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {port}\nuser = \"${{SMTP_USER}}\"\npassword = \"${{SMTP_PASS}}\"\ncacert = \"{}\"\ncert_expiry_warn = \"3000000d\"\n",
            certificates.ca_path().display()
        ),
    );
    let output = kbz_check()
        .args(["--format", "json", "--config", &suite, "all"])
        .envs(relay_env(port, SMTP_PASSWORD).iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let c = check(&json);
    assert_eq!(c["status"], "warn", "{c:#}");
    assert!(text(c, "summary").starts_with("certificate of 127.0.0.1 expires in "), "{c:#}");
    assert!(text(evidence(c, "TLS"), "output").contains("+ cacert"), "{c:#}");
    assert_eq!(text(evidence(c, "AUTH"), "output"), "235 2.7.0 Authentication successful");

    // Every run so far was a full ladder: not one message reached the relay.
    assert_eq!(relay.messages().len(), 0, "a check without --send-test-to sent mail");

    // --send-test-to: exactly one message, the queue reply as evidence.
    let (code, json, out) =
        run_json(&trusting(relay_env(port, SMTP_PASSWORD), &certificates), &["--send-test-to", TEST_RECIPIENT]);
    let c = check(&json);
    assert_eq!(code, 0, "{c:#}\n{}", relay.log());
    let summary = text(c, "summary");
    assert!(
        summary.contains(&format!("; test message to {TEST_RECIPIENT} queued: 250 2.0.0 Ok: queued as KBZ")),
        "{summary}"
    );
    assert_eq!(text(evidence(c, "MAIL FROM"), "command"), format!("MAIL FROM:<{SMTP_USER}>"));
    assert_eq!(text(evidence(c, "RCPT TO"), "command"), format!("RCPT TO:<{TEST_RECIPIENT}>"));
    assert!(text(evidence(c, "DATA"), "output").starts_with("354"), "{c:#}");
    assert!(text(evidence(c, "test message"), "output").starts_with("250 2.0.0 Ok: queued as KBZ"), "{c:#}");
    let messages = relay.messages();
    assert_eq!(messages.len(), 1, "{messages:#?}");
    let message = &messages[0];
    assert!(message.contains(&format!("X-Envelope-From: {SMTP_USER}")), "{message}");
    assert!(message.contains(&format!("X-Envelope-To: {TEST_RECIPIENT}")), "{message}");
    assert!(message.contains("Subject: kbz-check test message"), "{message}");
    assert!(message.contains("--send-test-to"), "{message}");
    assert_no_secret(&all_text(&out));
}

#[test]
fn auth_login_when_plain_is_not_offered() {
    let certificates = Certificates::new();
    let relay = SmtpServer::start_login_only(Mode::StartTls, &certificates);

    let (code, json, out) = run_json(&trusting(relay_env(relay.port(), SMTP_PASSWORD), &certificates), &[]);
    let c = check(&json);
    assert_eq!(code, 0, "{c:#}\n{}", relay.log());
    assert!(text(c, "summary").starts_with(&format!("AUTH LOGIN accepted for {SMTP_USER}")), "{c:#}");
    let auth: Vec<(&str, &str)> = c["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["label"] == "AUTH")
        .map(|e| (e["command"].as_str().unwrap(), e["output"].as_str().unwrap()))
        .collect();
    // The server's prompts ("User Name", "Password") in base64, the answers masked.
    assert_eq!(
        auth,
        [
            ("AUTH LOGIN", "334 VXNlciBOYW1lAA=="),
            ("***", "334 UGFzc3dvcmQA"),
            ("***", "235 2.7.0 Authentication successful")
        ]
    );
    assert_no_secret(&all_text(&out));

    let (code, json, out) = run_json(&trusting(relay_env(relay.port(), WRONG_PASSWORD), &certificates), &[]);
    let c = check(&json);
    assert_eq!(code, 1, "{c:#}");
    assert_eq!(
        text(c, "summary"),
        format!("AUTH rejected for {SMTP_USER}: 535 5.7.8 Authentication credentials invalid")
    );
    assert_eq!(codes(c), ["smtp.auth.rejected"], "{c:#}");
    assert_no_secret(&all_text(&out));
}

#[test]
fn a_ca_found_only_in_ssl_cert_dir_is_trusted() {
    let certificates = Certificates::new();
    let relay = SmtpServer::start(Mode::StartTls, &certificates);
    // SSL_CERT_FILE holds another CA; the relay's CA sits in SSL_CERT_DIR, as
    // `openssl rehash` leaves it. kbz-check reads that directory only when the
    // file's certificates do not verify the chain, as OpenSSL does.
    let unrelated = Certificates::new();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(certificates.ca_path(), dir.path().join("5a1f2e3d.0")).unwrap();
    let mut env = relay_env(relay.port(), SMTP_PASSWORD);
    env.push(("SSL_CERT_FILE", unrelated.ca_path().display().to_string()));
    env.push(("SSL_CERT_DIR", dir.path().display().to_string()));
    let (code, json, out) = run_json(&env, &[]);
    let c = check(&json);
    assert_eq!(code, 0, "{c:#}\n{}", relay.log());
    assert_eq!(c["status"], "ok", "{c:#}");
    let tls = text(evidence(c, "TLS"), "output");
    assert!(tls.contains(&format!("then the directory {} if those do not verify", dir.path().display())), "{tls}");
    assert_no_secret(&all_text(&out));

    // Without the directory, the same relay's certificate is not trusted.
    env.pop();
    let (code, json, _) = run_json(&env, &[]);
    let c = check(&json);
    assert_eq!(code, 1, "{c:#}");
    assert!(text(c, "summary").starts_with("certificate not trusted"), "{c:#}");
    assert_eq!(codes(c), ["smtp.tls.untrusted"], "{c:#}");
}

#[test]
fn expired_certificate_fails_even_when_trusted() {
    let certificates = Certificates::expired();
    let relay = SmtpServer::start(Mode::StartTls, &certificates);
    let (code, json, out) = run_json(&trusting(relay_env(relay.port(), SMTP_PASSWORD), &certificates), &[]);
    let c = check(&json);
    assert_eq!(code, 1, "{c:#}\n{}", relay.log());
    assert_eq!(text(c, "summary"), "certificate of 127.0.0.1 expired on 2020-02-01");
    assert_eq!(codes(c), ["smtp.tls.expired"], "{c:#}");
    assert_eq!(c["actions"][0]["priority"], "critical");
    let certificate = text(evidence(c, "certificate"), "output");
    assert!(certificate.contains("valid: 2020-01-01 to 2020-02-01 (expired "), "{certificate}");
    assert!(!labels(c).iter().any(|l| l == "AUTH"), "{c:#}");
    assert_no_secret(&all_text(&out));
}

#[test]
fn password_never_appears_in_any_format_or_file() {
    let certificates = Certificates::new();
    let relay = SmtpServer::start(Mode::StartTls, &certificates);
    let dir = tempfile::tempdir().unwrap();
    let (md, js) = (dir.path().join("r.md"), dir.path().join("r.json"));
    for password in [SMTP_PASSWORD, WRONG_PASSWORD] {
        let env = trusting(relay_env(relay.port(), password), &certificates);
        for format in ["text", "markdown", "json"] {
            let out = kbz_check()
                .args(["--format", format, "--color", "always", "run", "smtp"])
                .args(["--markdown", md.to_str().unwrap(), "--json", js.to_str().unwrap()])
                .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
                .output()
                .unwrap();
            assert!(out.status.code() == Some(0) || out.status.code() == Some(1), "{}", all_text(&out));
            assert_no_secret(&all_text(&out));
            assert_no_secret(&std::fs::read_to_string(&md).unwrap());
            assert_no_secret(&std::fs::read_to_string(&js).unwrap());
        }
        let listed = kbz_check().arg("list").envs(env.iter().map(|(k, v)| (*k, v.as_str()))).output().unwrap();
        assert_no_secret(&all_text(&listed));
        assert!(String::from_utf8_lossy(&listed.stdout).contains("***#"), "{}", all_text(&listed));
    }
}

#[test]
fn relay_without_starttls() {
    let certificates = Certificates::new();
    let relay = SmtpServer::start(Mode::Plain, &certificates);
    let endpoint = format!("127.0.0.1:{}", relay.port());

    // Credentials configured and no STARTTLS: fail before any password is sent.
    let (code, json, out) = run_json(&relay_env(relay.port(), SMTP_PASSWORD), &[]);
    let c = check(&json);
    assert_eq!(code, 1, "{c:#}\n{}", relay.log());
    assert_eq!(
        text(c, "summary"),
        format!("{endpoint} offers no STARTTLS: the password of {SMTP_USER} would cross the network in clear")
    );
    assert!(text(c, "cause").contains("kbz-check did not send them"), "{c:#}");
    assert_eq!(codes(c), ["smtp.tls.not_offered"], "{c:#}");
    assert!(!labels(c).iter().any(|l| l == "AUTH"), "{c:#}");
    assert!(text(evidence(c, "AUTH advertised"), "output").starts_with("LOGIN PLAIN"), "{c:#}");
    assert_no_secret(&all_text(&out));

    // No credentials: the mail itself would still travel in clear, a warning.
    let (code, json, _) = run_json(&[("SMTP_HOST", "127.0.0.1".into()), ("SMTP_PORT", relay.port().to_string())], &[]);
    let c = check(&json);
    assert_eq!(code, 0, "{c:#}");
    assert_eq!(c["status"], "warn");
    assert_eq!(text(c, "summary"), format!("no STARTTLS at {endpoint}: mail would cross the network in clear"));
    assert_eq!(codes(c), ["smtp.tls.plain_text"], "{c:#}");
    assert_eq!(c["findings"][0]["status"], "warn");
}

#[test]
fn implicit_tls_relay() {
    let certificates = Certificates::new();
    let relay = SmtpServer::start(Mode::Implicit, &certificates);
    let endpoint = format!("127.0.0.1:{}", relay.port());

    // SMTP_SECURE=true, as nodemailer's `secure`: TLS from the first byte, then the same ladder.
    let mut env = trusting(relay_env(relay.port(), SMTP_PASSWORD), &certificates);
    env.push(("SMTP_SECURE", "true".into()));
    let (code, json, out) = run_json(&env, &[]);
    let c = check(&json);
    assert_eq!(code, 0, "{c:#}\n{}", relay.log());
    assert!(
        text(c, "summary")
            .starts_with(&format!("AUTH PLAIN accepted for {SMTP_USER} at {endpoint} over implicit TLS (TLSv1.")),
        "{c:#}"
    );
    assert_eq!(text(c, "target"), format!("smtps://{endpoint}"));
    assert_eq!(labels(c)[..4], ["connection", "TLS", "certificate", "banner"]);
    assert!(!labels(c).iter().any(|l| l == "STARTTLS"), "{c:#}");
    assert_no_secret(&all_text(&out));

    // The suite form, with its own CA file.
    let dir = tempfile::tempdir().unwrap();
    let suite = write_suite(
        dir.path(),
        &format!(
            "[checks.mail]\nkind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\nsecure = true\nuser = \"{SMTP_USER}\"\npassword = \"${{SMTP_PASS}}\"\ncacert = \"{}\"\n",
            relay.port(),
            certificates.ca_path().display()
        ),
    );
    let output = kbz_check()
        .args(["--format", "json", "--config", &suite, "all"])
        .env("SMTP_PASS", SMTP_PASSWORD)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(check(&json)["status"], "ok", "{json:#}");

    // Implicit TLS against the STARTTLS port's kind of server: it answers in plain text.
    let starttls = SmtpServer::start(Mode::StartTls, &certificates);
    let mut env = trusting(relay_env(starttls.port(), SMTP_PASSWORD), &certificates);
    env.push(("SMTP_SECURE", "true".into()));
    let (code, json, _) = run_json(&env, &[]);
    let c = check(&json);
    assert_eq!(code, 1, "{c:#}");
    assert_eq!(
        text(c, "summary"),
        format!("no TLS at 127.0.0.1:{}: the server answers in plain text", starttls.port())
    );
    assert!(text(c, "cause").contains("SMTP_SECURE=true"), "{c:#}");
    assert_eq!(codes(c), ["smtp.tls.no_implicit_tls"], "{c:#}");
}

#[test]
fn silent_server_times_out_at_the_banner() {
    let silent = SilentListener::start();
    let started = Instant::now();
    let (code, json, out) = run_json(&relay_env(silent.port(), SMTP_PASSWORD), &["--timeout", "1s"]);
    let elapsed = started.elapsed();
    let c = check(&json);
    assert_eq!(code, 1, "{c:#}");
    assert_eq!(
        text(c, "summary"),
        format!("timed out after 1s while waiting for the server's banner from 127.0.0.1:{}", silent.port())
    );
    assert!(silent.accepted() >= 1);
    assert_eq!(codes(c), ["check.timed_out"], "the engine's deadline, not the check's: {c:#}");
    // Generous bound: the point is that it ends at the deadline, not that it is fast.
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    assert_no_secret(&all_text(&out));
}

#[test]
fn garbage_instead_of_a_banner() {
    let http = GarbageListener::start(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    let started = Instant::now();
    let (code, json, _) = run_json(&relay_env(http.port(), SMTP_PASSWORD), &["--timeout", "5s"]);
    let c = check(&json);
    assert_eq!(code, 1, "{c:#}");
    assert_eq!(text(c, "summary"), "not an SMTP server: first bytes \"HTTP/1.1 400 Bad Request\"");
    assert!(text(c, "cause").ends_with(": an HTTP server"), "{c:#}");
    assert_eq!(codes(c), ["smtp.not_smtp"], "{c:#}");
    // Judged on the bytes, without waiting for the connection (held open) to close.
    assert!(started.elapsed() < Duration::from_secs(4), "took {:?}", started.elapsed());

    let binary = GarbageListener::start(b"\x00\xff\x1b[31mred\x07");
    let (code, json, out) = run_json(&relay_env(binary.port(), SMTP_PASSWORD), &["--timeout", "5s"]);
    let c = check(&json);
    assert_eq!(code, 1, "{c:#}");
    assert_eq!(text(c, "summary"), "not an SMTP server: first bytes \"\\x00\\xff\\x1b[31mred\\x07\"");
    assert!(!all_text(&out).contains('\u{1b}'), "control bytes reach the terminal: {}", all_text(&out));
}

#[test]
fn unconfigured_is_skipped_and_a_closed_port_refused() {
    let (code, json, _) = run_json(&[], &[]);
    // Nothing was checked: the run does not pass, and its verdict says so.
    assert_eq!((code, json["verdict"].as_str()), (1, Some("skip")));
    assert_eq!(check(&json)["status"], "skip");
    assert_eq!(check(&json)["summary"], "not configured: set SMTP_HOST");

    let port = closed_port();
    let (code, json, out) = run_json(&relay_env(port, SMTP_PASSWORD), &[]);
    let c = check(&json);
    assert_eq!(code, 1);
    assert_eq!(text(c, "summary"), format!("connection refused by 127.0.0.1:{port}"));
    assert!(text(c, "cause").contains("nothing listens on 127.0.0.1:"), "{c:#}");
    assert_eq!(codes(c), ["smtp.unreachable.refused"], "{c:#}");
    assert_no_secret(&all_text(&out));
}
