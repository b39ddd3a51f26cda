//! Blame what was seen: a peer that accepts TCP and then stalls (a TLS
//! handshake it never answers, bytes one per 300 ms, silence after
//! STARTTLS or after PostgreSQL's `S`) is named by what it did, never as "a
//! firewall drops the traffic"; a TCP handshake nobody answers still is.

mod support;

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::thread;
use std::time::{Duration, Instant};
use support::hostile::{Behaviour, HostilePeer};
use support::oauth::START_PATH;
use support::vault::UnansweredPort;
use support::{check, run_json};

const TIMEOUT: &str = "2s";
const BOUND: Duration = Duration::from_secs(6);
const DRIP: Duration = Duration::from_millis(300);

/// Words that blame the network path.
const PATH_BLAME: &[&str] = &["firewall", "no answer at all", "network path is blocked"];

/// Runs `kind` with `env`; the check's JSON, after the invariants every case shares.
fn run(kind: &str, label: &str, env: &[(&str, String)]) -> Value {
    let started = Instant::now();
    let (code, json, out) = run_json(kind, env.iter().map(|(k, v)| (*k, v.as_str())), &["--timeout", TIMEOUT]);
    let elapsed = started.elapsed();
    let c = check(&json).clone();
    eprintln!("[{kind}/{label}] {elapsed:?} {}: {} | {}", c["status"], c["summary"], c["cause"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"), "{kind}/{label}: panic");
    assert_eq!((code, c["status"].as_str()), (1, Some("fail")), "{kind}/{label}\n{c:#}");
    assert!(elapsed < BOUND, "{kind}/{label}: took {elapsed:?}");
    c
}

/// Summary and cause say every one of `said` and blame no network path.
fn assert_seen(kind: &str, label: &str, c: &Value, said: &[&str]) {
    let text = format!("{} | {}", c["summary"], c["cause"]);
    for word in said {
        assert!(text.contains(word), "{kind}/{label}: `{word}` missing in:\n{c:#}");
    }
    let all = c.to_string();
    for blame in PATH_BLAME {
        assert!(!all.contains(blame), "{kind}/{label}: blames the path (`{blame}`):\n{c:#}");
    }
}

fn vault_env(url: String) -> Vec<(&'static str, String)> {
    vec![("VAULT_ADDR", url), ("VAULT_TOKEN", "hvs.stall-t0ken".into())]
}

fn ses_env(url: String) -> Vec<(&'static str, String)> {
    vec![
        ("EMAIL_PROVIDER", "ses".into()),
        ("AWS_SES_ACCESS_KEY", "AKIASTALL0000000TEST".into()),
        ("AWS_SES_SECRET_KEY", "StallSecretKey/abc123+xyz".into()),
        ("AWS_SES_REGION", "eu-west-1".into()),
        ("EMAIL_FROM", "noreply@example.com".into()),
        ("AWS_ENDPOINT_URL_SES", url),
    ]
}

/// vault, oauth and ses against one peer, by URL scheme.
fn http_kinds(peer: &HostilePeer, scheme: &str) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    vec![
        ("vault", vault_env(peer.url(scheme, ""))),
        ("oauth", support::oauth::start_env(&peer.url(scheme, START_PATH))),
        ("ses", ses_env(peer.url(scheme, ""))),
    ]
}

#[test]
fn http_checks_name_a_tls_handshake_that_stalls() {
    for kind in ["vault", "oauth", "ses"] {
        let peer = HostilePeer::start(Behaviour::TlsStall);
        let env = http_kinds(&peer, "https").into_iter().find(|(k, _)| *k == kind).unwrap().1;
        let c = run(kind, "TLS stall", &env);
        assert!(peer.hellos() >= 1, "{kind}: the peer never read a ClientHello");
        assert_seen(kind, "TLS stall", &c, &["TLS handshake", "TCP connected to 127.0.0.1:", "no byte received"]);
    }
}

#[test]
fn http_checks_name_a_tls_handshake_that_drips() {
    // A ServerHello's record header, then its first bytes, one per 300 ms.
    let hello = b"\x16\x03\x03\x00\x7a\x02\x00\x00\x76\x03\x03".to_vec();
    for kind in ["vault", "oauth", "ses"] {
        let peer = HostilePeer::start(Behaviour::Drip { bytes: hello.clone(), every: DRIP });
        let env = http_kinds(&peer, "https").into_iter().find(|(k, _)| *k == kind).unwrap().1;
        let c = run(kind, "TLS drip", &env);
        assert_seen(kind, "TLS drip", &c, &["TLS handshake", "TCP connected to 127.0.0.1:"]);
        let cause = c["cause"].as_str().unwrap_or_default();
        assert!(cause.contains(" received in "), "{kind}: no byte count in {cause}");
    }
}

#[test]
fn http_checks_name_an_answer_that_drips() {
    let answer = HostilePeer::http(200, "application/json", b"{\"initialized\":true}");
    for kind in ["vault", "oauth", "ses"] {
        let peer = HostilePeer::start(Behaviour::Drip { bytes: answer.clone(), every: DRIP });
        let env = http_kinds(&peer, "http").into_iter().find(|(k, _)| *k == kind).unwrap().1;
        let c = run(kind, "answer drip", &env);
        assert_seen(kind, "answer drip", &c, &["network path is open"]);
    }
}

#[test]
fn an_unanswered_tcp_handshake_is_still_the_network_path() {
    let port = UnansweredPort::start();
    let url = |path: &str| format!("https://127.0.0.1:{}{path}", port.port());
    for (kind, env) in [("oauth", support::oauth::start_env(&url(START_PATH))), ("ses", ses_env(url("")))] {
        let c = run(kind, "unanswered", &env);
        assert!(c.to_string().contains("firewall"), "{kind}: the path is not named:\n{c:#}");
        assert!(!c.to_string().contains("TCP connected"), "{kind}:\n{c:#}");
    }
    let c = run("smtp", "unanswered", &smtp_env(port.port(), false));
    assert!(c["cause"].as_str().unwrap_or_default().contains("firewall"), "smtp:\n{c:#}");
}

fn smtp_env(port: u16, secure: bool) -> Vec<(&'static str, String)> {
    vec![
        ("SMTP_HOST", "127.0.0.1".into()),
        ("SMTP_PORT", port.to_string()),
        ("SMTP_USER", "postmaster@example.com".into()),
        ("SMTP_PASS", "Smtp-stall!pw".into()),
        ("SMTP_SECURE", secure.to_string()),
    ]
}

/// An SMTP relay that offers STARTTLS, says `220` to it, and then reads
/// the ClientHello and says nothing more.
fn silent_after_starttls() -> (u16, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let serve = thread::spawn(move || {
        let Ok((stream, _)) = listener.accept() else { return };
        stream.set_read_timeout(Some(Duration::from_secs(8))).unwrap();
        let mut writer = stream.try_clone().unwrap();
        let mut lines = BufReader::new(stream);
        let mut line = String::new();
        let _ = writer.write_all(b"220 relay.example.com ESMTP\r\n");
        let _ = lines.read_line(&mut line);
        let _ = writer.write_all(b"250-relay.example.com\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n");
        line.clear();
        let _ = lines.read_line(&mut line);
        let _ = writer.write_all(b"220 2.0.0 Ready to start TLS\r\n");
        // The ClientHello and whatever follows, until the client gives up.
        let mut sink = [0u8; 4096];
        while matches!(lines.get_mut().read(&mut sink), Ok(n) if n > 0) {}
    });
    (port, serve)
}

#[test]
fn smtp_names_the_step_and_what_came() {
    let (port, serve) = silent_after_starttls();
    let c = run("smtp", "silent after STARTTLS", &smtp_env(port, false));
    assert_seen(
        "smtp",
        "silent after STARTTLS",
        &c,
        &["in the TLS handshake", "TCP connected to 127.0.0.1:", "no byte received"],
    );
    serve.join().unwrap();

    let peer = HostilePeer::start(Behaviour::TlsStall);
    let c = run("smtp", "implicit TLS, silent", &smtp_env(peer.port(), true));
    assert_seen("smtp", "implicit TLS, silent", &c, &["in the TLS handshake", "no byte received"]);
    assert!(peer.hellos() >= 1);

    let peer =
        HostilePeer::start(Behaviour::Drip { bytes: b"220 relay.example.com ESMTP ready\r\n".to_vec(), every: DRIP });
    let c = run("smtp", "dripping banner", &smtp_env(peer.port(), false));
    assert_seen("smtp", "dripping banner", &c, &["banner", "bytes received in"]);
}

#[test]
fn postgres_names_the_step_and_what_came() {
    let url =
        |port: u16| vec![("DATABASE_URL", format!("postgresql://kb_backend:Pg-stall!pw@127.0.0.1:{port}/keybuzz"))];
    // `S` accepts TLS; then the handshake gets no answer.
    let peer = HostilePeer::start(Behaviour::Send(b"S".to_vec()));
    let c = run("postgres", "S then silence", &url(peer.port()));
    assert_seen("postgres", "S then silence", &c, &["accepted TLS", "TLS handshake", "TCP connected to 127.0.0.1:"]);

    // `N` declines TLS; then an AuthenticationOk, one byte per 300 ms.
    let peer = HostilePeer::start(Behaviour::Drip { bytes: b"NR\0\0\0\x08\0\0\0\0".to_vec(), every: DRIP });
    let c = run("postgres", "dripping answer", &url(peer.port()));
    assert_seen("postgres", "dripping answer", &c, &["declined TLS", "bytes received in"]);
}

/// Vault and SES in one range (127.0.1.x) whose TCP handshakes nobody
/// answers, beside an OAuth backend on 127.0.0.1 that answers: one root
/// cause, the range, rather than two separate outages.
#[test]
fn a_silent_range_beside_an_answering_target_is_one_root_cause() {
    use support::oauth::{Consent, Reply, StartServer};
    let (vault_port, ses_port) = (UnansweredPort::start_on([127, 0, 1, 5]), UnansweredPort::start_on([127, 0, 1, 6]));
    let backend = StartServer::start(Reply::started(&Consent::ph15()));
    let mut env = vault_env(format!("https://127.0.1.5:{}", vault_port.port()));
    env.extend(ses_env(format!("https://127.0.1.6:{}", ses_port.port())));
    env.extend(support::oauth::start_env(&backend.url()));
    let out = support::kbz_check()
        .args(["--format", "json", "--timeout", TIMEOUT, "run", "vault", "ses", "oauth"])
        .envs(env)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> =
        report["checks"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap_or("-")).collect();
    assert_eq!(codes, ["vault.unreachable.timeout", "ses.unreachable.timeout", "-"], "{report:#}");
    let causes = report["root_causes"].as_array().unwrap();
    assert_eq!(causes.len(), 1, "{report:#}");
    assert_eq!(causes[0]["code"], "cause.range_blocked");
    assert_eq!(causes[0]["checks"], serde_json::json!(["vault", "ses"]));
    assert!(
        causes[0]["summary"].as_str().unwrap().starts_with("Nothing in 127.0.1.0/24 answers from here"),
        "{report:#}"
    );
}

/// An SMTP relay and a PostgreSQL whose TCP handshakes nobody answers are
/// each check's own finding (`*.unreachable.timeout`, with the address), not
/// the engine's bare deadline; beside Vault silent in the same range, one
/// root cause.
#[test]
fn unanswered_relay_and_database_are_their_checks_findings_and_join_their_range() {
    use support::oauth::{Consent, Reply, StartServer};
    let (relay, vault) = (UnansweredPort::start_on([127, 0, 1, 9]), UnansweredPort::start_on([127, 0, 1, 10]));
    let database = UnansweredPort::start_on([127, 0, 1, 11]);
    let backend = StartServer::start(Reply::started(&Consent::ph15()));
    let mut env = support::smtp::relay_env(relay.port(), "Relay-pa55");
    env[0].1 = "127.0.1.9".to_string();
    env.extend(vault_env(format!("https://127.0.1.10:{}", vault.port())));
    env.extend(support::oauth::start_env(&backend.url()));
    env.push(("DATABASE_URL", format!("postgresql://app:Db-pa55w0rd@127.0.1.11:{}/app", database.port())));
    let out = support::kbz_check()
        .args(["--format", "json", "--timeout", TIMEOUT, "run", "smtp", "vault", "oauth", "postgres"])
        .envs(env)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let smtp = &report["checks"][0];
    assert_eq!(smtp["code"], "smtp.unreachable.timeout", "{report:#}");
    let summary = smtp["summary"].as_str().unwrap();
    assert!(
        summary
            .starts_with(&format!("cannot reach 127.0.1.9:{}: no answer to the TCP handshake within ", relay.port())),
        "{summary}"
    );
    let postgres = &report["checks"][3];
    assert_eq!(postgres["code"], "postgres.unreachable.timeout", "{report:#}");
    let expected = format!("cannot reach 127.0.1.11:{}: no answer to the TCP handshake within ", database.port());
    assert!(postgres["summary"].as_str().unwrap().starts_with(&expected), "{report:#}");
    let causes = report["root_causes"].as_array().unwrap();
    assert_eq!(causes.len(), 1, "{report:#}");
    let joined = serde_json::json!(["smtp", "vault", "postgres"]);
    assert_eq!((causes[0]["code"].as_str(), &causes[0]["checks"]), (Some("cause.range_blocked"), &joined));
}
