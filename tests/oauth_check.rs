//! The oauth check against a loopback stand-in of the backend's Amazon OAuth
//! start endpoint (PH15's contract): a good start, a draft app, PH15's two
//! errors, a proxy's page, consent URLs that break a rule, TLS, and ports
//! that refuse or never answer, through the `kbz-check` binary as a user
//! runs it.

mod support;

use serde_json::{json, Value};
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};
use support::net::{closed_port, SilentListener};
use support::oauth::*;
use support::tls::TestCa;
use support::{all_text, assert_absent, check, evidence, evidence_item, kbz_check};

fn run_json(url: &str, extra: &[&str]) -> (i32, Value, Output) {
    support::run_json("oauth", start_env(url), extra)
}

/// Runs the stand-in with `reply`, then the check against it.
fn against(reply: Reply) -> (i32, Value, Output, StartServer) {
    let server = StartServer::start(reply);
    let (code, json, out) = run_json(&server.url(), &[]);
    (code, json, out, server)
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_else(|| panic!("not a string: {value}"))
}

/// The check's main code (null when nothing was found), the first of its findings.
fn main_code(check: &Value) -> Option<&str> {
    let first = check["findings"].as_array().unwrap().first().map(|f| f["code"].as_str().unwrap());
    assert_eq!(check["code"].as_str(), first, "{check:#}");
    first
}

fn with_consent(change: impl FnOnce(&mut Consent)) -> Reply {
    let mut consent = Consent::ph15();
    change(&mut consent);
    Reply::started(&consent)
}

#[test]
fn ph15_start_sends_the_clients_request_and_passes_every_rule() {
    let (code, json, out, server) = against(Reply::started(&Consent::ph15()));
    assert_eq!(code, 0, "{json:#}");
    let c = check(&json);
    assert_eq!(c["status"], "ok", "{c:#}");
    assert_eq!(main_code(c), None, "ok has no code: {c:#}");
    assert_eq!(c["target"], server.url());
    // 600 s when the stand-in was set up, a moment before the check ran.
    let summary = text(&c["summary"]);
    let expected = format!("Amazon consent URL on sellercentral.amazon.com (US) for {APP_ID}, state expires in 9m 5");
    assert!(summary.starts_with(&expected), "{summary}");

    // What PH15's curl sent, and nothing else.
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    let request = &requests[0];
    assert_eq!((request.method.as_str(), request.target.as_str()), ("POST", START_PATH));
    assert_eq!(request.version, "HTTP/1.1");
    assert_eq!(request.header("X-User-Email"), Some(USER_EMAIL));
    assert_eq!(request.header("X-Tenant-Id"), Some(TENANT_ID));
    assert_eq!(request.header("Content-Type"), Some("application/json"));
    assert_eq!(request.body, b"{}");

    let sent = evidence_item(c, "request");
    let command = text(&sent["command"]);
    assert_eq!(
        command,
        format!(
            "curl -sS -X POST '{}' -H 'Content-Type: application/json' -H 'Accept: application/json' -H 'X-User-Email: {USER_EMAIL}' -H 'X-Tenant-Id: {TENANT_ID}' -d '{{}}'",
            server.url()
        )
    );
    assert!(text(&sent["output"]).starts_with("HTTP 200 OK, application/json; charset=utf-8, "), "{sent:#}");
    assert!(
        evidence(c, "answer").starts_with("{\"authUrl\":\"https://sellercentral.amazon.com/apps/authorize/consent?")
    );
    let rules = evidence(c, "authUrl checks");
    assert_eq!(rules.lines().count(), 10, "{rules}");
    assert!(rules.lines().all(|l| l.starts_with("✓ ")), "{rules}");
    for line in [
        "✓ success: true",
        &format!("✓ state: {STATE} (short-lived)"),
        "✓ authUrl is https",
        "✓ host sellercentral.amazon.com: Seller Central (US)",
        "✓ path /apps/authorize/consent",
        &format!("✓ application_id {APP_ID} = AMAZON_SPAPI_APP_ID"),
        "✓ state in authUrl = the answer's state",
        &format!("✓ redirect_uri {REDIRECT_URI} = AMAZON_SPAPI_REDIRECT_URI (https)"),
        "✓ no version=beta: a published app's consent page",
    ] {
        assert!(rules.lines().any(|l| l == line), "no `{line}` in:\n{rules}");
    }
    assert_eq!(evidence(c, "TLS"), "none (KBZ_OAUTH_START_URL is http://)");
    assert_eq!(c["cause"], Value::Null);
    assert_absent(&all_text(&out), &["panicked"]);
}

#[test]
fn draft_app_with_version_beta_warns() {
    let (code, json, _, server) = against(with_consent(|c| c.beta = true));
    assert_eq!(code, 0, "a warning does not fail the run: {json:#}");
    let c = check(&json);
    assert_eq!(c["status"], "warn", "{c:#}");
    assert_eq!(c["summary"], "authUrl asks for a draft app's consent (version=beta)");
    assert_eq!(main_code(c), Some("oauth.answer.draft_app"));
    assert!(text(&c["cause"]).contains("a draft app; production apps drop version=beta"), "{c:#}");
    assert_eq!(c["actions"][0]["priority"], "medium");
    assert!(text(&c["actions"][0]["text"]).contains("stop adding version=beta"), "{c:#}");
    assert!(
        evidence(c, "authUrl checks").contains("⚠ version=beta: a draft app; production apps drop version=beta"),
        "{c:#}"
    );
    let (strict, _, _) = run_json(&server.url(), &["--strict"]);
    assert_eq!(strict, 1, "--strict fails on a warning");
}

#[test]
fn ph15_client_id_not_configured() {
    let (code, json, out, _server) = against(Reply::failed(500, "Amazon SP-API client_id not configured"));
    assert_eq!(code, 1);
    let c = check(&json);
    assert_eq!(c["status"], "fail");
    assert_eq!(c["summary"], "the backend lacks its SP-API client id: \"Amazon SP-API client_id not configured\"");
    assert_eq!(main_code(c), Some("oauth.client_id_missing"));
    let cause = text(&c["cause"]);
    assert!(cause.starts_with("HTTP 500: error \"Failed to start Amazon OAuth\", details \"Amazon SP-API client_id not configured\": the backend has no AMAZON_SPAPI_CLIENT_ID"), "{cause}");
    assert_eq!(
        evidence(c, "error"),
        "error: Failed to start Amazon OAuth\ndetails: Amazon SP-API client_id not configured"
    );
    assert!(evidence(c, "request").starts_with("HTTP 500 Internal Server Error, application/json"), "{c:#}");
    let fix = text(&c["actions"][0]["command"]);
    assert_eq!(
        fix,
        format!(
            "kubectl -n <namespace> create secret generic amazon-spapi-creds \\\n  --from-literal=AMAZON_SPAPI_CLIENT_ID=amzn1.application-oa2-client.*** \\\n  --from-literal=AMAZON_SPAPI_CLIENT_SECRET=amzn1.oa2-cs.v1.*** \\\n  --from-literal=AMAZON_SPAPI_APP_ID={APP_ID} \\\n  --from-literal=AMAZON_SPAPI_REDIRECT_URI={REDIRECT_URI}\nkubectl -n <namespace> set env deployment/<backend> --from=secret/amazon-spapi-creds"
        )
    );
    assert_absent(&all_text(&out), &["authUrl checks"]);
}

#[test]
fn ph15_fetch_failed_names_the_upstreams() {
    let (code, json, _, _server) = against(Reply::failed(500, "fetch failed"));
    assert_eq!(code, 1);
    let c = check(&json);
    assert_eq!(c["summary"], "the backend could not reach one of its upstreams (\"fetch failed\")");
    assert_eq!(main_code(c), Some("oauth.upstream_fetch_failed"));
    let cause = text(&c["cause"]);
    assert!(cause.contains("Vault (where the backend may read its SP-API credentials) or Amazon"), "{cause}");
    assert!(cause.contains("a vault check in the same run, with the backend's VAULT_ADDR, tells whether Vault answers"));
    assert_eq!(c["actions"][0]["command"], "kbz-check -e <backend env file> run vault oauth");
}

#[test]
fn ph15_fetch_failed_and_vault_out_of_reach_are_one_root_cause() {
    let server = StartServer::start(Reply::failed(500, "fetch failed"));
    let mut env = start_env(&server.url());
    env.push(("VAULT_ADDR", format!("http://127.0.0.1:{}", closed_port())));
    let out = kbz_check().args(["--format", "json", "run", "oauth", "vault"]).envs(env).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", all_text(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let causes = json["root_causes"].as_array().unwrap();
    assert_eq!(causes.len(), 1, "{json:#}");
    assert!(text(&causes[0]["summary"]).starts_with("The backend cannot fetch its Amazon SP-API credentials from Vault: oauth: the backend could not reach one of its upstreams"), "{json:#}");
    assert_eq!(causes[0]["checks"], json!(["oauth", "vault"]));
    let oauth = json["checks"].as_array().unwrap().iter().find(|c| c["kind"] == "oauth").unwrap();
    assert_eq!(main_code(oauth), Some("oauth.upstream_fetch_failed"));
}

#[test]
fn a_proxys_html_502_is_said_so_with_its_first_bytes() {
    let page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
    let (code, json, _, _server) = against(Reply::html(502, page));
    assert_eq!(code, 1);
    let c = check(&json);
    assert_eq!(c["summary"], "HTTP 502 from a proxy, not the backend: an HTML page titled \"502 Bad Gateway\"");
    assert_eq!(main_code(c), Some("oauth.proxy_error_page"));
    assert!(
        evidence(c, "answer").starts_with("<html>\\r\\n<head><title>502 Bad Gateway</title></head>\\r\\n<body>"),
        "{c:#}"
    );
    assert!(text(&c["cause"]).contains("the reverse proxy or ingress in front of the backend answered 502"), "{c:#}");
    assert!(evidence(c, "request").starts_with("HTTP 502 Bad Gateway, text/html, "), "{c:#}");
}

#[test]
fn a_redirect_uri_other_than_the_configured_one_fails() {
    let elsewhere = "https://platform-dev.example.com/api/v1/marketplaces/amazon/oauth/callback";
    let (code, json, _, _server) = against(with_consent(|c| c.redirect_uri = elsewhere.into()));
    assert_eq!(code, 1);
    let c = check(&json);
    assert_eq!(c["summary"], "authUrl redirect_uri differs from AMAZON_SPAPI_REDIRECT_URI");
    assert_eq!(main_code(c), Some("oauth.answer.redirect_uri_mismatch"));
    assert!(text(&c["cause"]).contains(&format!("{elsewhere}, but AMAZON_SPAPI_REDIRECT_URI is {REDIRECT_URI}")));
    assert!(evidence(c, "authUrl checks")
        .contains(&format!("✗ redirect_uri {elsewhere} differs from AMAZON_SPAPI_REDIRECT_URI")));
}

#[test]
fn an_expires_at_already_past_fails() {
    let (code, json, _, _server) = against(with_consent(|c| c.expires_in = -3600));
    assert_eq!(code, 1);
    let c = check(&json);
    let summary = text(&c["summary"]);
    assert!(summary.starts_with("expiresAt ") && summary.ends_with(" is already past (1h ago)"), "{summary}");
    assert_eq!(main_code(c), Some("oauth.answer.state_expired"));
    assert!(text(&c["actions"][0]["command"]).contains("date -u"), "{c:#}");
}

#[test]
fn a_host_off_the_seller_central_list_fails() {
    let (code, json, _, _server) = against(with_consent(|c| c.host = "sellercentral.evil.example".into()));
    assert_eq!(code, 1);
    let c = check(&json);
    assert_eq!(c["summary"], "authUrl host sellercentral.evil.example is not a Seller Central host");
    assert_eq!(main_code(c), Some("oauth.answer.wrong_host"));
    let cause = text(&c["cause"]);
    assert!(
        cause.contains("sellercentral.amazon.com, sellercentral.amazon.ca,")
            && cause.contains("sellercentral.amazon.co.jp"),
        "{cause}"
    );
}

#[test]
fn answers_of_the_wrong_types_fail_and_say_which() {
    let body = json!({ "success": "yes", "authUrl": 42, "state": STATE, "expiresAt": Consent::ph15().expires_at() });
    let (code, json, _, _server) = against(Reply::json(200, &body));
    assert_eq!(code, 1);
    let c = check(&json);
    assert_eq!(c["summary"], "the start answer's success is the string \"yes\", not true");
    assert_eq!(main_code(c), Some("oauth.answer.field_invalid"));
    let rules = evidence(c, "authUrl checks");
    assert!(rules.contains("✗ authUrl is the number 42, not a URL"), "{rules}");
}

#[test]
fn a_two_mib_answer_is_cut_at_one_mib_and_reported() {
    let huge = format!("{{\"padding\": \"{}\"}}", "x".repeat(2 << 20));
    let (code, json, _, _server) =
        against(Reply { status: 200, content_type: "application/json".into(), body: huge, consent: None });
    assert_eq!(code, 1);
    let c = check(&json);
    assert_eq!(c["summary"], "HTTP 200 with a body that is not JSON instead of the backend's JSON");
    assert_eq!(main_code(c), Some("oauth.not_the_backend"));
    assert!(evidence(c, "request").starts_with("HTTP 200 OK, application/json, 1048576 bytes (cut at 1 MiB)"), "{c:#}");
    assert!(evidence(c, "answer").len() < 2000, "the evidence quotes a few hundred characters, not the body");
}

#[test]
fn credentials_a_backend_echoes_are_masked_in_every_format() {
    let client_id = "amzn1.application-oa2-client.0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    let secret = "amzn1.oa2-cs.v1.5f2b9c0d1e3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e";
    let server = StartServer::start(Reply::failed(401, &format!("invalid_client: {client_id} / {secret}")));
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("r.md");
    for format in ["text", "markdown", "json"] {
        let out = kbz_check()
            .args(["--format", format, "--markdown", md.to_str().unwrap(), "run", "oauth"])
            .envs(start_env(&server.url()))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", all_text(&out));
        let secrets = ["0f1e2d3c4b5a6978", "5f2b9c0d1e3a4b5c"];
        assert_absent(&all_text(&out), &secrets);
        assert_absent(&std::fs::read_to_string(&md).unwrap(), &secrets);
        assert!(all_text(&out).contains("amzn1.oa2-cs.***#"), "{}", all_text(&out));
    }
}

#[test]
fn unconfigured_is_skipped_naming_the_variable() {
    let (code, json, _) = support::run_json("oauth", [("AMAZON_SPAPI_APP_ID", APP_ID)], &[]);
    // Nothing was checked: the run does not pass, and its verdict says so.
    assert_eq!((code, json["verdict"].as_str()), (1, Some("skip")));
    let c = check(&json);
    assert_eq!(
        (c["status"].as_str(), c["summary"].as_str()),
        (Some("skip"), Some("not configured: set KBZ_OAUTH_START_URL"))
    );
}

#[test]
fn a_refused_port_means_nothing_serves_the_start_url() {
    let port = closed_port();
    let (code, json, _) = run_json(&format!("http://127.0.0.1:{port}{START_PATH}"), &[]);
    assert_eq!(code, 1);
    let c = check(&json);
    assert_eq!(c["summary"], format!("connection refused by 127.0.0.1:{port}: nothing serves the start URL there"));
    assert!(evidence(c, "request").starts_with("no answer: connection refused"), "{c:#}");
    assert_eq!(main_code(c), Some("oauth.unreachable.refused"));
}

#[test]
fn a_silent_server_times_out_at_the_deadline_naming_the_step() {
    let silent = SilentListener::start();
    let started = Instant::now();
    let (code, json, _) = run_json(&format!("http://127.0.0.1:{}{START_PATH}", silent.port()), &["--timeout", "1s"]);
    let elapsed = started.elapsed();
    assert_eq!(code, 1);
    let c = check(&json);
    assert_eq!(
        c["summary"],
        format!("timed out after 1s while waiting for 127.0.0.1:{} to answer POST {START_PATH}", silent.port())
    );
    assert!(silent.accepted() >= 1, "the check never connected");
    assert_eq!(main_code(c), Some("check.timed_out"), "the engine's deadline: {c:#}");
    // Generous bound: the point is that it ends at the deadline, not that it is fast.
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
}

/// The check through a suite file, for `cacert`; the rest from the app's variables.
fn run_suite(dir: &Path, url: &str, cacert: &Path) -> (i32, Value, Output) {
    let suite = dir.join("suite.toml");
    let text = format!(
        "[checks.oauth]\nkind = \"oauth\"\nurl = \"${{KBZ_OAUTH_START_URL}}\"\nuser_email = \"${{KBZ_OAUTH_USER_EMAIL}}\"\ntenant_id = \"${{KBZ_OAUTH_TENANT_ID}}\"\napp_id = \"${{AMAZON_SPAPI_APP_ID}}\"\nredirect_uri = \"${{AMAZON_SPAPI_REDIRECT_URI}}\"\ncacert = \"{}\"\n",
        cacert.display()
    );
    std::fs::write(&suite, text).unwrap();
    run_json(url, &["--config", suite.to_str().unwrap()])
}

#[test]
fn tls_untrusted_then_trusted_through_cacert() {
    let ca = TestCa::new("kbz-check test CA");
    let server = StartServer::start_tls(Reply::started(&Consent::ph15()), &ca.server_cert(&["127.0.0.1"]));
    let endpoint = format!("127.0.0.1:{}", server.port());

    let (code, json, _) = run_json(&server.url(), &[]);
    assert_eq!(code, 1, "{json:#}");
    let c = check(&json);
    assert_eq!(c["summary"], format!("TLS with {endpoint} failed: certificate not trusted"), "{c:#}");
    assert_eq!(main_code(c), Some("oauth.tls.untrusted"));
    assert_eq!(c["findings"][0]["issuer"], "CN=kbz-check test CA", "{c:#}");
    let cause = text(&c["cause"]);
    assert!(cause.contains("subject CN=127.0.0.1, issued by CN=kbz-check test CA"), "{cause}");
    assert!(server.requests().is_empty(), "nothing is sent over a refused handshake");

    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    ca.write_pem(&ca_file);
    let (code, json, _) = run_suite(dir.path(), &server.url(), &ca_file);
    assert_eq!(code, 0, "{json:#}");
    let c = check(&json);
    assert_eq!(c["status"], "ok", "{c:#}");
    let tls = evidence(c, "TLS");
    assert!(tls.starts_with("verified against the system trust store (or SSL_CERT_FILE) plus "), "{tls}");
    assert!(tls.contains("issued by CN=kbz-check test CA"), "{tls}");
    assert_eq!(server.requests().len(), 1);
}
