//! Credentials never travel to another origin: hostile loopback stand-ins
//! where server A answers 301/302/307/308 with a `Location` on server B
//! (another port, another host 127.0.0.2, or plain http behind https), and B
//! records every request it gets while answering like a healthy server, so
//! that a client following the redirect would even look fine. The vault,
//! ses and oauth checks must send B nothing, report the redirect's status and
//! masked Location, fail, and show no credential anywhere.

mod support;

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use support::net::{AcceptLoop, STALLED_CLIENT_LIMIT};
use support::tls::TestCa;
use support::{all_text, assert_absent, check, evidence, run_json};

const TOKEN: &str = "s.Redirect-T0ken-never-forwarded-7c1e";
const ACCESS_KEY: &str = "AKIAREDIRECTTEST0001";
const SECRET_KEY: &str = "Redirect/Secret+Key0never0forwarded00001";

/// Request heads (request line and headers) a stand-in received.
type Heads = Arc<Mutex<Vec<String>>>;

/// An HTTP stand-in on `ip`, answering each request with `reply(path)`,
/// over TLS when given a certificate.
struct StandIn {
    heads: Heads,
    accept_loop: AcceptLoop,
    ip: &'static str,
    tls: bool,
}

impl StandIn {
    fn start(
        ip: &'static str,
        cert: Option<&support::tls::ServerCert>,
        reply: impl Fn(&str) -> String + Send + 'static,
    ) -> StandIn {
        let listener = TcpListener::bind((ip, 0)).expect("bind stand-in");
        let heads: Heads = Arc::default();
        let tls = cert.map(support::tls::ServerCert::server_config);
        let received = heads.clone();
        let accept_loop = AcceptLoop::spawn(listener, move |stream| {
            let _ = stream.set_read_timeout(Some(STALLED_CLIENT_LIMIT));
            match &tls {
                Some(config) => {
                    let Ok(connection) = rustls::ServerConnection::new(config.clone()) else { return };
                    serve(rustls::StreamOwned::new(connection, stream), &received, &reply);
                }
                None => serve(stream, &received, &reply),
            }
        });
        StandIn { heads, accept_loop, ip, tls: cert.is_some() }
    }

    fn url(&self, path: &str) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}:{}{path}", self.ip, self.accept_loop.port())
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

fn serve<S: Read + Write>(mut stream: S, heads: &Heads, reply: &impl Fn(&str) -> String) {
    let Some(head) = support::net::read_http_head(&mut stream) else { return };
    let path = head.split_whitespace().nth(1).unwrap_or_default().to_string();
    heads.lock().unwrap().push(head);
    let _ = stream.write_all(reply(&path).as_bytes());
    let _ = stream.flush();
}

fn answer(status: u16, headers: &str, content_type: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status} Stand-in\r\n{headers}Content-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn redirect(status: u16, location: &str) -> String {
    answer(status, &format!("Location: {location}\r\n"), "text/html", "<html>moved</html>")
}

/// Vault's health body of an active node.
fn active_health() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    json!({"initialized": true, "sealed": false, "standby": false, "version": "1.19.0", "server_time_utc": now})
        .to_string()
}

/// Server B: a healthy Vault, SES and start endpoint all at once, so that a
/// client that followed the redirect would be told all is well.
fn recorder(ip: &'static str) -> StandIn {
    StandIn::start(ip, None, |path| {
        let body = if path.starts_with("/v1/sys/health") {
            active_health()
        } else if path.starts_with("/v1/auth/token/lookup-self") {
            json!({"data": {"policies": ["root"], "ttl": 0, "expire_time": null}}).to_string()
        } else {
            json!({"SendingEnabled": true, "ProductionAccessEnabled": true}).to_string()
        };
        answer(200, "", "application/json", &body)
    })
}

/// The heads B received that carry a credential or a secret.
fn credentials_in(heads: &[String]) -> Vec<String> {
    let lower = |h: &String| h.to_ascii_lowercase();
    heads
        .iter()
        .filter(|h| {
            lower(h).contains("x-vault-token")
                || lower(h).contains("authorization")
                || h.contains(TOKEN)
                || h.contains(ACCESS_KEY)
        })
        .cloned()
        .collect()
}

fn vault_run(addr: &str, extra_env: &[(&str, &str)]) -> (i32, Value, String) {
    let mut env = vec![("VAULT_ADDR", addr), ("VAULT_TOKEN", TOKEN)];
    env.extend_from_slice(extra_env);
    let (code, json, out) = run_json("vault", env, &[]);
    (code, json, all_text(&out))
}

/// Where a check's Location points in each case, and how the evidence names the move.
fn targets(b_port: &StandIn, b_host: &StandIn) -> Vec<(String, &'static str)> {
    vec![(b_port.url(""), "same host, another scheme or port"), (b_host.url(""), "another host")]
}

#[test]
fn vault_token_lookup_redirected_to_another_origin_is_reported_not_followed() {
    let (b_port, b_host) = (recorder("127.0.0.1"), recorder("127.0.0.2"));
    for (target, movement) in targets(&b_port, &b_host) {
        for status in [301, 302, 307, 308] {
            // A: Vault's health is fine, every other path (the token lookup) redirects to B,
            // with the token echoed in the Location's query as a hostile server might.
            let to = target.clone();
            let a = StandIn::start("127.0.0.1", None, move |path| {
                if path.starts_with("/v1/sys/health") {
                    answer(200, "", "application/json", &active_health())
                } else {
                    redirect(status, &format!("{to}{path}?X-Vault-Token={TOKEN}&next=1"))
                }
            });
            let (code, json, out) = vault_run(&a.url(""), &[]);
            let c = check(&json);
            assert_eq!((code, c["status"].as_str()), (1, Some("fail")), "{status} {target}: {c:#}");
            let shown = format!("{target}/v1/auth/token/lookup-self?X-Vault-Token=***#");
            let token = evidence(c, "token");
            assert!(token.starts_with(&format!("HTTP {status} redirect to {shown}")), "{token}");
            assert!(token.ends_with(&format!("&next=1 ({movement}; not followed)")), "{token}");
            let summary = c["summary"].as_str().unwrap();
            assert!(summary.starts_with(&format!("{} redirects the token lookup", a.url(""))), "{summary}");
            assert!(summary.contains(&format!("(HTTP {status}) to {shown}")), "{summary}");
            assert!(c["cause"].as_str().unwrap().contains("follow one 301, 302 or 307 redirect"), "{c:#}");
            assert_absent(&out, &[TOKEN]);
            // A got the token (it is VAULT_ADDR); B got nothing at all.
            assert!(a.heads().iter().any(|h| h.contains(TOKEN)), "{:?}", a.heads());
            assert_eq!(b_port.heads().len() + b_host.heads().len(), 0, "{status} {target}: B was reached");
        }
    }
}

#[test]
fn vault_health_redirected_sends_no_token_anywhere() {
    let b = recorder("127.0.0.2");
    let to = b.url("");
    let a = StandIn::start("127.0.0.1", None, move |path| redirect(307, &format!("{to}{path}")));
    let (code, json, out) = vault_run(&a.url(""), &[]);
    let c = check(&json);
    assert_eq!((code, c["status"].as_str()), (1, Some("fail")), "{c:#}");
    let health = evidence(c, "health");
    assert!(health.starts_with(&format!("HTTP 307 redirect to {}/v1/sys/health?", b.url(""))), "{health}");
    assert!(health.ends_with("(another host; not followed)"), "{health}");
    assert!(evidence(c, "token").starts_with("not verified: the health request was redirected"), "{c:#}");
    // The health request and sys/leader asked beside it, neither with the token.
    let heads = a.heads();
    let mut asked: Vec<&str> = heads
        .iter()
        .filter_map(|h| h.split(' ').nth(1))
        .map(|target| target.split('?').next().unwrap_or(target))
        .collect();
    asked.sort_unstable();
    assert_eq!(asked, ["/v1/sys/health", "/v1/sys/leader"], "{:?}", a.heads());
    assert!(credentials_in(&a.heads()).is_empty(), "{:?}", a.heads());
    assert!(b.heads().is_empty(), "{:?}", b.heads());
    assert_absent(&out, &[TOKEN]);
}

#[test]
fn vault_https_to_http_downgrade_is_reported_not_followed() {
    let ca = TestCa::new("kbz-check redirect CA");
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    ca.write_pem(&ca_file);
    let b = recorder("127.0.0.1");
    let to = b.url("");
    let a = StandIn::start("127.0.0.1", Some(&ca.server_cert(&["127.0.0.1"])), move |path| {
        if path.starts_with("/v1/sys/health") {
            answer(200, "", "application/json", &active_health())
        } else {
            redirect(307, &format!("{to}{path}"))
        }
    });
    let (code, json, out) = vault_run(&a.url(""), &[("VAULT_CACERT", ca_file.to_str().unwrap())]);
    let c = check(&json);
    assert_eq!((code, c["status"].as_str()), (1, Some("fail")), "{c:#}");
    let token = evidence(c, "token");
    assert_eq!(
        token,
        format!(
            "HTTP 307 redirect to {}/v1/auth/token/lookup-self (a downgrade from https to plain http; not followed)",
            b.url("")
        )
    );
    assert!(c["cause"].as_str().unwrap().contains("sends its request, and its token, in clear"), "{c:#}");
    assert!(b.heads().is_empty(), "{:?}", b.heads());
    assert_absent(&out, &[TOKEN]);
}

#[test]
fn ses_signed_request_redirected_is_reported_and_the_signature_stays() {
    let (b_port, b_host) = (recorder("127.0.0.1"), recorder("127.0.0.2"));
    for (target, movement) in targets(&b_port, &b_host) {
        for status in [301, 302, 307, 308] {
            let to = target.clone();
            let a = StandIn::start("127.0.0.1", None, move |path| {
                redirect(status, &format!("{to}{path}?X-Amz-Signature=deadbeef0123&X-Amz-Credential={ACCESS_KEY}"))
            });
            let endpoint = a.url("");
            let env = [
                ("EMAIL_PROVIDER", "ses"),
                ("AWS_SES_ACCESS_KEY", ACCESS_KEY),
                ("AWS_SES_SECRET_KEY", SECRET_KEY),
                ("AWS_SES_REGION", "eu-west-1"),
                ("EMAIL_FROM", "noreply@example.com"),
                ("AWS_ENDPOINT_URL_SES", endpoint.as_str()),
            ];
            let (code, json, out) = run_json("ses", env, &[]);
            let c = check(&json);
            assert_eq!((code, c["status"].as_str()), (1, Some("fail")), "{status} {target}: {c:#}");
            let account = evidence(c, "account");
            let shown = format!("{target}/v2/email/account?X-Amz-Signature=***#");
            assert!(account.starts_with(&format!("HTTP {status} redirect to {shown}")), "{account}");
            assert!(account.ends_with(&format!("({movement}; not followed)")), "{account}");
            let summary = c["summary"].as_str().unwrap();
            assert!(
                summary.starts_with(&format!("HTTP {status}: AWS_ENDPOINT_URL_SES ({endpoint}) redirects to {shown}")),
                "{summary}"
            );
            assert!(c["cause"].as_str().unwrap().contains("SigV4 signature"), "{c:#}");
            // A got the signed request (it is the configured endpoint); B nothing.
            assert!(a.heads().iter().any(|h| h.to_ascii_lowercase().contains("authorization: aws4-hmac-sha256")));
            assert_eq!(b_port.heads().len() + b_host.heads().len(), 0, "{status} {target}: B was reached");
            assert_absent(&all_text(&out), &[SECRET_KEY, ACCESS_KEY, "deadbeef0123"]);
        }
    }
}

#[test]
fn oauth_start_redirected_is_reported_not_followed() {
    let (b_port, b_host) = (recorder("127.0.0.1"), recorder("127.0.0.2"));
    for (target, _) in targets(&b_port, &b_host) {
        for status in [301, 302, 307, 308] {
            let to = target.clone();
            let a = StandIn::start("127.0.0.1", None, move |path| {
                redirect(status, &format!("{to}{path}?code=AuthC0de-secret&state=St4te-secret&rd=/api"))
            });
            let url = a.url(support::oauth::START_PATH);
            let (code, json, out) = run_json("oauth", support::oauth::start_env(&url), &[]);
            let c = check(&json);
            assert_eq!((code, c["status"].as_str()), (1, Some("fail")), "{status} {target}: {c:#}");
            let expected =
                format!("HTTP {status}: the start URL redirects to {target}{}?code=***#", support::oauth::START_PATH);
            let summary = c["summary"].as_str().unwrap();
            assert!(summary.starts_with(&expected) && summary.ends_with("&rd=/api"), "{summary}");
            assert_eq!(a.heads().len(), 1, "{:?}", a.heads());
            assert_eq!(b_port.heads().len() + b_host.heads().len(), 0, "{status} {target}: B was reached");
            assert!(credentials_in(&a.heads()).is_empty());
            assert_absent(&all_text(&out), &[TOKEN, "AuthC0de-secret", "St4te-secret"]);
        }
    }
}
