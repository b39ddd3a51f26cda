//! Every check kind against loopback peers that misbehave on purpose (see
//! `support::hostile`): trickling, hanging up mid-reply, garbage, 100 MB of
//! bytes, invalid UTF-8, wrong JSON types, TLS and plain text crossed. Each
//! run must end within the deadline with a specific cause, status fail (or
//! warn), exit 1 and never a panic (exit 101).

mod support;

use serde_json::Value;
use std::time::{Duration, Instant};
use support::hostile::{Behaviour, HostilePeer};
use support::oauth::{Reply, StartServer, START_PATH};
use support::tls::TestCa;
use support::{all_text, assert_absent, check};

/// The deadline every run gets.
const TIMEOUT: &str = "2s";
/// Generous bound on a run's wall time: the point is that it ends near the
/// deadline, not that it is fast on two loaded cores.
const BOUND: Duration = Duration::from_secs(6);
const HUNDRED_MB: usize = 100 << 20;

const PG_PASSWORD: &str = "Pg-h0stile!pw";
const VAULT_TOKEN: &str = "hvs.h0stile-t0ken-5e1f";
const SMTP_PASS: &str = "Smtp-h0stile!pw";
const SES_SECRET: &str = "SesH0stileSecretKey/abc123+xyz";

/// One check run against one misbehaving peer.
struct Case {
    name: &'static str,
    behaviour: Behaviour,
    /// Any of these in the summary (or cause) makes the outcome specific enough.
    expect: &'static [&'static str],
}

fn case(name: &'static str, behaviour: Behaviour, expect: &'static [&'static str]) -> Case {
    Case { name, behaviour, expect }
}

/// Runs `kind` from the built-in suite with `env`, asserting the invariants
/// every hostile case shares; returns the check's JSON.
fn run_bounded(kind: &str, label: &str, env: &[(&str, String)], secrets: &[&str], extra: &[&str]) -> Value {
    let started = Instant::now();
    let mut args = vec!["--timeout", TIMEOUT];
    args.extend_from_slice(extra);
    let (code, json, out) = support::run_json(kind, env.iter().map(|(k, v)| (*k, v.as_str())), &args);
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let c = check(&json).clone();
    eprintln!("[{kind}/{label}] {:?} code {code} {}: {} | {}", elapsed, c["status"], c["summary"], c["cause"]);
    assert!(!stderr.contains("panicked"), "{kind}/{label}: panic:\n{stderr}");
    // fail exits 1; a check that judges the answer only doubtful says warn (exit 0).
    let expected = match c["status"].as_str() {
        Some("fail") => 1,
        Some("warn") => 0,
        other => panic!("{kind}/{label}: status {other:?}\n{c:#}"),
    };
    assert_eq!(code, expected, "{kind}/{label}: exit code\n{c:#}\n{stderr}");
    assert!(elapsed < BOUND, "{kind}/{label}: took {elapsed:?}");
    assert_absent(&all_text(&out), secrets);
    c
}

fn assert_specific(kind: &str, case: &Case, c: &Value) {
    // Summary, cause and evidence: where the check says it is up to the check.
    let said = c.to_string();
    assert!(
        case.expect.iter().any(|e| said.contains(e)),
        "{kind}/{}: expected one of {:?} in:\n{c:#}",
        case.name,
        case.expect
    );
}

/// The HTTP misbehaviours shared by vault, ses and oauth, plus `json_body`
/// with the wrong types for the protocol at hand.
fn http_cases(wrong_types: &'static str) -> Vec<Case> {
    let json = "application/json";
    vec![
        case(
            "trickled answer head",
            Behaviour::Trickle(HostilePeer::http(200, json, b"{\"a\":1}")),
            &["timed out after 2s", "within 1.8s"],
        ),
        case(
            "closed mid-head",
            Behaviour::CloseAfter(b"HTTP/1.1 200 OK\r\nContent-Ty".to_vec()),
            &["connection closed before message completed"],
        ),
        case(
            "closed mid-body",
            Behaviour::CloseAfter(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"initial".to_vec(),
            ),
            &["end of file before message length reached"],
        ),
        case(
            "garbage instead of HTTP",
            Behaviour::Send(b"\x00\xff\x1b[31mSSH-2.0-OpenSSH_9.6\r\n".to_vec()),
            &["invalid HTTP version parsed"],
        ),
        case(
            "100 MB body",
            Behaviour::Flood { head: flood_head(json), total: HUNDRED_MB },
            &["cut at 1 MiB", "larger than 1 MiB and was cut"],
        ),
        case(
            "invalid UTF-8 JSON body",
            Behaviour::Send(HostilePeer::http(200, json, b"{\"x\": \"\xff\xfe\xc3\x28\"}")),
            &["not like Vault", "not an SES answer", "not JSON"],
        ),
        case(
            "wrong JSON types",
            Behaviour::Send(HostilePeer::http(200, json, wrong_types.as_bytes())),
            &["not like Vault", "not an SES answer", "is not verified", "success is the string"],
        ),
    ]
}

/// A 200 head without Content-Length: the body runs until the peer stops.
fn flood_head(content_type: &str) -> Vec<u8> {
    format!("HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nConnection: close\r\n\r\n{{\"x\":\"").into_bytes()
}

#[test]
fn vault_against_hostile_peers() {
    let cases = http_cases(r#"{"initialized":"yes","sealed":1,"standby":[],"version":42,"server_time_utc":"now"}"#);
    for case in &cases {
        let peer = HostilePeer::start(case.behaviour.clone());
        let env = [("VAULT_ADDR", peer.url("http", "")), ("VAULT_TOKEN", VAULT_TOKEN.to_string())];
        let c = run_bounded("vault", case.name, &env, &[VAULT_TOKEN], &[]);
        assert_specific("vault", case, &c);
    }
}

#[test]
fn ses_against_hostile_peers() {
    let cases = http_cases(r#"{"SendQuota":"lots","SendingEnabled":"yes","ProductionAccessEnabled":7}"#);
    for case in &cases {
        let peer = HostilePeer::start(case.behaviour.clone());
        let env = ses_env(&peer.url("http", ""));
        let c = run_bounded("ses", case.name, &env, &[SES_SECRET], &[]);
        assert_specific("ses", case, &c);
    }
}

fn ses_env(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("EMAIL_PROVIDER", "ses".into()),
        ("AWS_SES_ACCESS_KEY", "AKIAHOSTILE00000TEST".into()),
        ("AWS_SES_SECRET_KEY", SES_SECRET.into()),
        ("AWS_SES_REGION", "eu-west-1".into()),
        ("EMAIL_FROM", "noreply@keybuzz.test".into()),
        ("AWS_ENDPOINT_URL_SES", endpoint.into()),
    ]
}

#[test]
fn oauth_against_hostile_peers() {
    let cases = http_cases(r#"{"success":"true","authUrl":5,"state":[],"expiresAt":{}}"#);
    for case in &cases {
        let peer = HostilePeer::start(case.behaviour.clone());
        let env = support::oauth::start_env(&peer.url("http", START_PATH));
        let c = run_bounded("oauth", case.name, &env, &[], &[]);
        assert_specific("oauth", case, &c);
    }
}

#[test]
fn smtp_against_hostile_peers() {
    let cases = vec![
        case("trickled banner", Behaviour::Trickle(b"220 relay.keybuzz.test ESMTP ready\r\n".to_vec()), &["timed out"]),
        case(
            "closed mid-banner",
            Behaviour::CloseAfter(b"220-relay.keybuzz.test\r\n220-still".to_vec()),
            &["closed the connection"],
        ),
        case("100 MB banner line", Behaviour::Flood { head: b"220-".to_vec(), total: HUNDRED_MB }, &["longer than"]),
        case(
            "invalid UTF-8 banner",
            Behaviour::Send(b"220 \xff\xfe\xc3\x28 relay\r\n".to_vec()),
            // Still a 220 greeting: the check goes on to EHLO, which this peer never answers.
            &["reply to EHLO"],
        ),
        case("garbage", Behaviour::Send(b"SSH-2.0-OpenSSH_9.6\r\n".to_vec()), &["not an SMTP server"]),
    ];
    for case in &cases {
        let peer = HostilePeer::start(case.behaviour.clone());
        let env = smtp_env(peer.port(), false);
        let c = run_bounded("smtp", case.name, &env, &[SMTP_PASS], &[]);
        assert_specific("smtp", case, &c);
    }
}

fn smtp_env(port: u16, secure: bool) -> Vec<(&'static str, String)> {
    vec![
        ("SMTP_HOST", "127.0.0.1".into()),
        ("SMTP_PORT", port.to_string()),
        ("SMTP_USER", "postmaster@keybuzz.test".into()),
        ("SMTP_PASS", SMTP_PASS.into()),
        ("SMTP_SECURE", secure.to_string()),
    ]
}

#[test]
fn postgres_against_hostile_peers() {
    // Each with the exact summary expected, when it names the peer (a
    // timeout would read otherwise); `{endpoint}` is 127.0.0.1:PORT.
    let cases = vec![
        // 'N' refuses TLS, then an AuthenticationOk one byte per second.
        (case("trickled answer", Behaviour::Trickle(b"NR\0\0\0\x08\0\0\0\0".to_vec()), &["timed out", "within"]), None),
        (
            case(
                "closed mid-message",
                Behaviour::CloseAfter(b"NR\0\0\0\x08\0".to_vec()),
                &["closed the connection in the middle of a message"],
            ),
            None,
        ),
        (
            case("garbage", Behaviour::Send(b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec()), &["an HTTP server"]),
            Some(r#"{endpoint} is not a PostgreSQL server: it answered "HTTP/1.1 400 Bad Request\r\n\r\n""#),
        ),
        (
            case(
                "100 MB message",
                Behaviour::Flood { head: b"NE\x7f\xff\xff\xff".to_vec(), total: HUNDRED_MB },
                &["accepts no message over 1 MiB"],
            ),
            Some("{endpoint} is not a PostgreSQL server: it announced a 2 GiB message during start-up"),
        ),
        // An SSH server greets first: its `S` reads as "TLS accepted".
        (
            case(
                "TLS accepted, then plain text",
                Behaviour::Send(b"SSH-2.0-OpenSSH_9.6\r\n".to_vec()),
                &["an SSH server"],
            ),
            Some(r#"{endpoint} is not a PostgreSQL server: it answered "SSH-2.0-OpenSSH_9.6\r\n""#),
        ),
        // A TLS record type, then no TLS: rustls's to name.
        (
            case(
                "TLS accepted, then a broken record",
                Behaviour::Send(b"S\x16garbage\r\n".to_vec()),
                &["received corrupt message"],
            ),
            Some("TLS with {endpoint} failed"),
        ),
        (
            case(
                "invalid UTF-8 error message",
                Behaviour::Send(pg_error(b"SFATAL\0C28P01\0Mpassword \xff\xfe\xc3\x28 wrong\0\0")),
                &["password authentication failed", "28P01"],
            ),
            None,
        ),
    ];
    for (case, summary) in &cases {
        let peer = HostilePeer::start(case.behaviour.clone());
        let url = format!("postgresql://kb_backend:{PG_PASSWORD}@127.0.0.1:{}/keybuzz", peer.port());
        let env = [("DATABASE_URL", url)];
        let c = run_bounded("postgres", case.name, &env, &[PG_PASSWORD], &[]);
        assert_specific("postgres", case, &c);
        if let Some(summary) = summary {
            let expected = summary.replace("{endpoint}", &format!("127.0.0.1:{}", peer.port()));
            assert_eq!(c["summary"].as_str(), Some(expected.as_str()), "postgres/{}\n{c:#}", case.name);
        }
    }
}

/// 'N' (no TLS), then an ErrorResponse with `fields`.
fn pg_error(fields: &[u8]) -> Vec<u8> {
    let mut bytes = b"NE".to_vec();
    bytes.extend_from_slice(&((fields.len() + 4) as u32).to_be_bytes());
    bytes.extend_from_slice(fields);
    bytes
}

/// TLS spoken to a plain-text port, and plain text to a TLS port.
#[test]
fn tls_and_plain_text_crossed() {
    // https:// against a plain HTTP peer: the handshake fails, said so.
    let plain = HostilePeer::start(Behaviour::Send(HostilePeer::http(200, "application/json", b"{}")));
    let env = [("VAULT_ADDR", plain.url("https", "")), ("VAULT_TOKEN", VAULT_TOKEN.to_string())];
    let c = run_bounded("vault", "https to plain", &env, &[VAULT_TOKEN], &[]);
    assert_specific("vault", &case("", Behaviour::Silent, &["TLS"]), &c);
    let env = support::oauth::start_env(&plain.url("https", START_PATH));
    let c = run_bounded("oauth", "https to plain", &env, &[], &[]);
    assert_specific("oauth", &case("", Behaviour::Silent, &["TLS"]), &c);
    let env = ses_env(&plain.url("https", ""));
    let c = run_bounded("ses", "https to plain", &env, &[SES_SECRET], &[]);
    assert_specific("ses", &case("", Behaviour::Silent, &["TLS"]), &c);

    // smtp secure=true (implicit TLS) against a plain relay's banner.
    let relay = HostilePeer::start(Behaviour::Send(b"220 relay.keybuzz.test ESMTP\r\n".to_vec()));
    let c = run_bounded("smtp", "tls to plain", &smtp_env(relay.port(), true), &[SMTP_PASS], &[]);
    assert_specific("smtp", &case("", Behaviour::Silent, &["TLS", "plain text"]), &c);

    // Plain text against a TLS server: it waits for a ClientHello, or
    // answers an HTTP request with a TLS alert.
    let ca = TestCa::new("kbz-check hostile CA");
    let tls = StartServer::start_tls(Reply::html(200, "<html></html>"), &ca.server_cert(&["127.0.0.1"]));
    let plain_url = |path: &str| format!("http://127.0.0.1:{}{path}", tls.port());
    let env = [("VAULT_ADDR", plain_url("")), ("VAULT_TOKEN", VAULT_TOKEN.to_string())];
    let c = run_bounded("vault", "plain to tls", &env, &[VAULT_TOKEN], &[]);
    assert_specific("vault", &case("", Behaviour::Silent, &["got no HTTP answer"]), &c);
    let c = run_bounded("oauth", "plain to tls", &support::oauth::start_env(&plain_url(START_PATH)), &[], &[]);
    assert_specific("oauth", &case("", Behaviour::Silent, &["got no HTTP answer"]), &c);
    let c = run_bounded("smtp", "plain to tls", &smtp_env(tls.port(), false), &[SMTP_PASS], &[]);
    assert_specific("smtp", &case("", Behaviour::Silent, &["waiting for the server's banner"]), &c);
}

/// A banner and an error body carrying a right-to-left override, a NUL and
/// a clear-screen escape: the text and markdown reports show them escaped,
/// never raw (nor does stderr).
#[test]
fn server_text_reaches_text_and_markdown_inert() {
    let hostile = "\u{202E}gnp.exe\u{0} \u{1b}[2J wiped";
    let banner = format!("554 5.7.1 relay.example.com {hostile}\r\n");
    let relay = HostilePeer::start(Behaviour::Send(banner.into_bytes()));
    let body = format!(
        r#"{{"error":"Failed to start Amazon OAuth","details":"{}"}}"#,
        hostile.replace('\u{0}', "\\u0000").replace('\u{1b}', "\\u001b")
    );
    let backend = HostilePeer::start(Behaviour::Send(HostilePeer::http(500, "application/json", body.as_bytes())));
    let runs = [
        ("smtp", smtp_env(relay.port(), false)),
        ("oauth", support::oauth::start_env(&backend.url("http", START_PATH))),
    ];
    for (kind, env) in &runs {
        for format in ["text", "markdown"] {
            let out = support::kbz_check()
                .args(["--format", format, "--color", "never", "--timeout", TIMEOUT, "run", kind])
                .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
                .output()
                .unwrap();
            let all = all_text(&out);
            assert_eq!(out.status.code(), Some(1), "{kind}/{format}:\n{all}");
            assert!(all.contains("gnp.exe"), "{kind}/{format}: the server's words are not shown:\n{all}");
            for raw in ['\u{202E}', '\u{0}', '\u{1b}'] {
                assert!(!all.contains(raw), "{kind}/{format}: {raw:?} raw in:\n{all}");
            }
            assert!(all.contains("\\u{202e}"), "{kind}/{format}: the override is not shown escaped:\n{all}");
        }
    }
}
