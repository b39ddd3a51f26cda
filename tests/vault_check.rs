//! The vault check against real OpenBao servers on 127.0.0.1 (dev, TLS, raft
//! nodes uninitialised, sealed, active and standby), stand-ins for the states
//! OpenBao cannot reach, and ports that refuse, stay silent or never answer,
//! through the `kbz-check` binary as a user runs it.

mod support;

use serde_json::{json, Value};
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};
use support::net::{closed_port, SilentListener};
use support::tls::TestCa;
use support::vault::{Bao, HealthStub, UnansweredPort, ROOT_TOKEN};
use support::{all_text, assert_absent, check, evidence, kbz_check};

/// Distinctive, so that a leak is easy to grep for.
const SECRET_VALUE: &str = "Smtp-Pa55-w0rd!never-shown";

/// Runs the vault check of the built-in suite with `env`.
fn run_json(env: &[(&str, &str)], extra: &[&str]) -> (i32, Value, Output) {
    support::run_json("vault", env.iter().copied(), extra)
}

/// Runs the check through a suite file (for `secrets` and `min_ttl`), the
/// address and token coming from variables as the app has them.
fn run_suite(dir: &Path, settings: &str, env: &[(&str, &str)], extra: &[&str]) -> (i32, Value, Output) {
    let suite = dir.join("suite.toml");
    let text = format!(
        "[checks.vault]\nkind = \"vault\"\naddr = \"${{VAULT_ADDR}}\"\ntoken = \"${{VAULT_TOKEN:-}}\"\n{settings}\n"
    );
    std::fs::write(&suite, text).unwrap();
    let mut args = vec!["--config", suite.to_str().unwrap()];
    args.extend_from_slice(extra);
    run_json(env, &args)
}

/// The codes of a check's findings in the JSON report, the main one first.
fn codes(c: &Value) -> Vec<&str> {
    c["findings"].as_array().expect("findings").iter().map(|f| f["code"].as_str().expect("a code")).collect()
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_else(|| panic!("not a string: {value}"))
}

#[test]
fn dev_server_token_and_secrets() {
    let bao = Bao::dev();
    let addr = bao.addr();
    bao.kv_put("keybuzz/smtp", &json!({ "password": SECRET_VALUE, "user": "postmaster@example.com" }));
    bao.put_policy("kb-app", "path \"secret/data/keybuzz/*\" { capabilities = [\"read\"] }");
    let app_token = bao.create_token(&["kb-app"], "768h", true);
    let short_token = bao.create_token(&["kb-app"], "1h", false);
    let dir = tempfile::tempdir().unwrap();
    let secrets = &[SECRET_VALUE, ROOT_TOKEN, app_token.as_str(), short_token.as_str()];

    // The app's token and its secret: ok, key names listed, values nowhere.
    let env = [("VAULT_ADDR", addr.as_str()), ("VAULT_TOKEN", app_token.as_str())];
    let (code, json, out) = run_suite(dir.path(), "secrets = [\"secret/data/keybuzz/smtp\"]", &env, &[]);
    assert_eq!(code, 0, "{json:#}");
    let c = check(&json);
    assert_eq!(c["status"], "ok", "{c:#}");
    assert_eq!((&c["code"], codes(c).len()), (&Value::Null, 0), "ok: no code: {c:#}");
    let summary = text(&c["summary"]);
    assert!(summary.starts_with(&format!("active Vault at {addr}, version ")), "{summary}");
    // 768h, minus the seconds since the token was created.
    let valid_for = ["; token valid for 32d (", "; token valid for 31d 23h ("];
    assert!(
        valid_for.iter().any(|v| summary.contains(v)) && summary.contains("(policies default, kb-app)"),
        "{summary}"
    );
    assert!(summary.ends_with("; 1 secret present"), "{summary}");
    assert_eq!(
        evidence(c, "secret secret/data/keybuzz/smtp"),
        "present (KV v2, version 1), keys: password, user (values not shown)"
    );
    let token = evidence(c, "token");
    assert!(token.contains("policies default, kb-app") && token.contains("renewable"), "{token}");
    assert!(evidence(c, "health").starts_with("HTTP 200: active\n"), "{c:#}");
    assert_absent(&all_text(&out), secrets);

    // An absent secret and a path the token may not read: both fail, each named.
    let settings = "secrets = [\"secret/data/keybuzz/smtp\", \"secret/data/keybuzz/ses\", \"secret/data/other\"]";
    let (code, json, out) = run_suite(dir.path(), settings, &env, &[]);
    assert_eq!(code, 1, "{json:#}");
    let c = check(&json);
    assert_eq!(c["summary"], "secret secret/data/keybuzz/ses absent", "{c:#}");
    assert_eq!(c["code"], "vault.secret.absent", "{c:#}");
    assert_eq!(codes(c), ["vault.secret.absent", "vault.secret.denied"], "{c:#}");
    assert_eq!(evidence(c, "secret secret/data/keybuzz/ses"), "absent: HTTP 404 (no secret at this path)");
    assert_eq!(evidence(c, "secret secret/data/other"), "forbidden: HTTP 403 permission denied");
    let cause = text(&c["cause"]);
    assert!(cause.contains("none of its policies (default, kb-app) grants read on this path"), "{cause}");
    assert_absent(&all_text(&out), secrets);

    // A KV v2 path written without data/: the app's policy denies it first, the cause points at data/...
    let (code, json, _) = run_suite(dir.path(), "secrets = [\"secret/keybuzz/smtp\"]", &env, &[]);
    assert_eq!(code, 1);
    let c = check(&json);
    assert_eq!(c["summary"], "VAULT_TOKEN lacks read on secret/keybuzz/smtp", "{c:#}");
    assert_eq!(c["code"], "vault.secret.denied", "{c:#}");
    assert!(text(&c["cause"]).contains("the secret is read at secret/data/keybuzz/smtp"), "{c:#}");
    // ...and a token that passes every policy gets Vault's own answer: the fix is named.
    let root = [("VAULT_ADDR", addr.as_str()), ("VAULT_TOKEN", ROOT_TOKEN)];
    let (code, json, _) = run_suite(dir.path(), "secrets = [\"secret/keybuzz/smtp\"]", &root, &[]);
    assert_eq!(code, 1);
    assert_eq!(check(&json)["summary"], "secret path secret/keybuzz/smtp lacks data/ for a KV v2 mount");
    assert_eq!(check(&json)["code"], "vault.secret.needs_data_prefix", "{json:#}");

    // A token Vault does not know: 403 on lookup-self, the secrets not even tried.
    let bad = [("VAULT_ADDR", addr.as_str()), ("VAULT_TOKEN", "s.NotAToken0fThisVault")];
    let (code, json, out) = run_suite(dir.path(), "secrets = [\"secret/data/keybuzz/smtp\"]", &bad, &[]);
    assert_eq!(code, 1, "{json:#}");
    let c = check(&json);
    assert_eq!(c["summary"], "VAULT_TOKEN rejected by Vault (403 permission denied)", "{c:#}");
    assert_eq!(codes(c), ["vault.token.rejected"], "{c:#}");
    assert!(text(&c["cause"]).contains("expired, revoked, or was never issued by this Vault"), "{c:#}");
    assert_eq!(evidence(c, "secret secret/data/keybuzz/smtp"), "not read: Vault rejected the token");
    assert_absent(&all_text(&out), &["s.NotAToken0fThisVault"]);

    // A token that expires within min_ttl (24h) and cannot be renewed: a warning, not a failure.
    let short = [("VAULT_ADDR", addr.as_str()), ("VAULT_TOKEN", short_token.as_str())];
    let (code, json, _) = run_json(&short, &[]);
    assert_eq!(code, 0, "a warning does not fail the run: {json:#}");
    let c = check(&json);
    assert_eq!(c["status"], "warn", "{c:#}");
    let summary = text(&c["summary"]);
    assert!(
        summary.starts_with("VAULT_TOKEN expires in 1h") || summary.starts_with("VAULT_TOKEN expires in 59m"),
        "{c:#}"
    );
    assert!(text(&c["summary"]).ends_with("(under min_ttl 1d)"), "{c:#}");
    assert_eq!(c["code"], "vault.token.expiring", "{c:#}");
    assert!(text(&c["actions"][0]["text"]).contains("cannot be renewed"), "{c:#}");
    let (strict_code, _, _) = run_json(&short, &["--strict"]);
    assert_eq!(strict_code, 1, "--strict fails on a warning");

    // The root token never expires; without a token the check still runs and says what it skipped.
    let (code, json, _) = run_json(&[("VAULT_ADDR", &addr), ("VAULT_TOKEN", ROOT_TOKEN)], &[]);
    assert_eq!(code, 0);
    assert!(text(&check(&json)["summary"]).ends_with("; token valid, never expires (policies root)"), "{json:#}");
    let (code, json, _) = run_json(&[("VAULT_ADDR", &addr)], &[]);
    assert_eq!(code, 0, "{json:#}");
    let c = check(&json);
    assert!(text(&c["summary"]).ends_with("; token not checked (VAULT_TOKEN not set)"), "{c:#}");
    assert!(evidence(c, "token").starts_with("not verified: VAULT_TOKEN is not set"), "{c:#}");

    // No secret in any format, in the report files, nor in `list`: a run with
    // a present, an absent and a forbidden secret, so every kind of evidence is there.
    let suite = dir.path().join("all.toml");
    let text = format!(
        "[checks.vault]\nkind = \"vault\"\naddr = \"${{VAULT_ADDR}}\"\ntoken = \"${{VAULT_TOKEN}}\"\n{settings}\n"
    );
    std::fs::write(&suite, text).unwrap();
    let (md, js) = (dir.path().join("r.md"), dir.path().join("r.json"));
    for format in ["text", "markdown", "json"] {
        let out = kbz_check()
            .args(["--format", format, "--color", "always", "--config", suite.to_str().unwrap()])
            .args(["--markdown", md.to_str().unwrap(), "--json", js.to_str().unwrap(), "all"])
            .envs(env)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", all_text(&out));
        assert_absent(&all_text(&out), secrets);
        assert_absent(&std::fs::read_to_string(&md).unwrap(), secrets);
        assert_absent(&std::fs::read_to_string(&js).unwrap(), secrets);
    }
    let listed = kbz_check().args(["--config", suite.to_str().unwrap(), "list"]).envs(env).output().unwrap();
    assert_absent(&all_text(&listed), secrets);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("***#"), "{}", all_text(&listed));
}

#[test]
fn tls_untrusted_then_trusted_then_unverified() {
    let ca = TestCa::new("kbz-check test CA");
    let bao = Bao::dev_with_tls(&ca.server_cert(&["127.0.0.1", "localhost"]));
    let tls_addr = bao.tls_addr();
    let endpoint = tls_addr.trim_start_matches("https://").to_string();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    ca.write_pem(&ca_file);
    let ca_path = ca_file.to_str().unwrap();

    // The system store does not know the test CA: fail, naming the certificate and the setting that fixes it.
    let (code, json, _) = run_json(&[("VAULT_ADDR", &tls_addr), ("VAULT_TOKEN", ROOT_TOKEN)], &[]);
    assert_eq!(code, 1, "{json:#}");
    let c = check(&json);
    assert_eq!(c["summary"], format!("TLS with {endpoint} failed: certificate not trusted"), "{c:#}");
    assert_eq!(codes(c), ["vault.tls.untrusted"], "{c:#}");
    assert_eq!(c["findings"][0]["issuer"], "CN=kbz-check test CA", "{c:#}");
    let cause = text(&c["cause"]);
    assert!(cause.contains("subject CN=127.0.0.1") && cause.contains("issued by CN=kbz-check test CA"), "{cause}");
    let fix = text(&c["actions"][0]["text"]);
    assert!(fix.contains("set VAULT_CACERT") && fix.contains("SSL_CERT_FILE"), "{fix}");
    assert!(!c.to_string().to_lowercase().contains("skip_verify"), "skip-verify is never the advice: {c:#}");

    // VAULT_CACERT, or SSL_CERT_FILE for the whole trust store: ok.
    let (code, json, _) =
        run_json(&[("VAULT_ADDR", &tls_addr), ("VAULT_CACERT", ca_path), ("VAULT_TOKEN", ROOT_TOKEN)], &[]);
    assert_eq!(code, 0, "{json:#}");
    let c = check(&json);
    assert_eq!(c["status"], "ok", "{c:#}");
    let tls = evidence(c, "TLS");
    assert!(
        tls.starts_with(&format!(
            "verified against the system trust store (or SSL_CERT_FILE) plus VAULT_CACERT={ca_path}"
        )),
        "{tls}"
    );
    assert!(tls.contains("issued by CN=kbz-check test CA"), "{tls}");
    let (code, json, _) = run_json(&[("VAULT_ADDR", &tls_addr), ("SSL_CERT_FILE", ca_path)], &[]);
    assert_eq!(code, 0, "{json:#}");

    // Verification off: it works, but at best a warning.
    let (code, json, _) =
        run_json(&[("VAULT_ADDR", &tls_addr), ("VAULT_SKIP_VERIFY", "true"), ("VAULT_TOKEN", ROOT_TOKEN)], &[]);
    assert_eq!(code, 0, "{json:#}");
    let c = check(&json);
    assert_eq!(c["status"], "warn", "{c:#}");
    assert_eq!(c["summary"], "Vault's TLS certificate is not verified (VAULT_SKIP_VERIFY is true)");
    assert_eq!(c["code"], "vault.skip_verify", "{c:#}");
    assert!(evidence(c, "TLS").starts_with("NOT verified"), "{c:#}");
    assert!(text(&c["actions"][0]["text"]).contains("set VAULT_CACERT"), "{c:#}");

    // http:// to the TLS listener: Vault's own 400 is recognised.
    let (code, json, _) = run_json(&[("VAULT_ADDR", &format!("http://{endpoint}"))], &[]);
    assert_eq!(code, 1);
    assert_eq!(check(&json)["summary"], format!("Vault at http://{endpoint} expects https://, not http://"));
    assert_eq!(check(&json)["code"], "vault.expects_https", "{json:#}");
}

#[test]
fn raft_node_uninitialized_then_sealed_then_active_then_a_standby() {
    let first = Bao::raft_node("kbz-vault-1");
    let addr = first.addr();

    // Not initialised: OpenBao answers 299 to the check's parameters, the body says why.
    let (code, json, _) = run_json(&[("VAULT_ADDR", &addr)], &[]);
    assert_eq!(code, 1, "{json:#}");
    let c = check(&json);
    assert_eq!(c["summary"], format!("Vault at {addr} is not initialized"), "{c:#}");
    assert_eq!(codes(c), ["vault.not_initialized"], "{c:#}");
    let health = evidence(c, "health");
    assert!(health.starts_with("HTTP 299") && health.contains("Vault's own code for this state: 501"), "{health}");
    assert!(health.contains("initialized=false"), "{health}");

    // Initialised, still sealed: the unseal action; the token is not even tried.
    let keys = first.init();
    let (code, json, _) = run_json(&[("VAULT_ADDR", &addr), ("VAULT_TOKEN", &keys.root_token)], &[]);
    assert_eq!(code, 1, "{json:#}");
    let c = check(&json);
    assert_eq!(c["summary"], format!("Vault at {addr} is sealed"), "{c:#}");
    assert_eq!((c["code"].as_str(), codes(c)), (Some("vault.sealed"), vec!["vault.sealed"]), "{c:#}");
    assert!(text(&c["actions"][0]["command"]).contains("vault operator unseal"), "{c:#}");
    assert!(evidence(c, "token").starts_with("not verified: Vault is sealed"), "{c:#}");

    // Unsealed: the active node.
    first.unseal(&keys.unseal_key);
    first.wait_for_health_code(200);
    let (code, json, _) = run_json(&[("VAULT_ADDR", &addr), ("VAULT_TOKEN", &keys.root_token)], &[]);
    assert_eq!(code, 0, "{json:#}");
    assert!(text(&check(&json)["summary"]).starts_with(&format!("active Vault at {addr}")), "{json:#}");

    // A second node joined and unsealed is a standby (Vault's 429): ok, naming the active node.
    let second = Bao::raft_node("kbz-vault-2");
    second.join(&first);
    second.unseal(&keys.unseal_key);
    second.wait_for_health_code(429);
    let (code, json, out) = run_json(&[("VAULT_ADDR", &second.addr()), ("VAULT_TOKEN", &keys.root_token)], &[]);
    assert_eq!(code, 0, "{json:#}");
    let c = check(&json);
    assert_eq!(c["status"], "ok", "{c:#}");
    let summary = text(&c["summary"]);
    assert!(summary.starts_with(&format!("a standby answered at {}", second.addr())), "{summary}");
    assert!(summary.contains("not a rate limit") && summary.contains(&format!("active node: {addr}")), "{summary}");
    assert!(evidence(c, "health").contains("Vault's own code for this state: 429"), "{c:#}");
    // The first line names the active node; raft's details follow.
    let active = evidence(c, "active node");
    assert_eq!(active.lines().next(), Some(format!("active node: {addr}").as_str()), "{active}");
    assert!(active.contains("raft committed index"), "{active}");
    assert_eq!(evidence(c, "active node health"), "answers as the active node", "{c:#}");
    assert_absent(&all_text(&out), &[&keys.root_token, &keys.unseal_key]);
}

/// A three-node raft cluster: a standby with an active node is ok and names
/// it; the active node stopped, the two left elect another (named; a warning
/// now, as the cluster cannot lose another node); that one stopped too, the last node has no majority and
/// no active node: the check fails saying writes, leases and logins fail.
#[test]
fn raft_standby_is_healthy_only_while_the_cluster_has_an_active_node() {
    let (first, others, keys) = Bao::settled_raft_cluster("kbz-ha");
    let secrets = [keys.root_token.as_str(), keys.unseal_key.as_str()];
    let check_at = |node: &Bao| {
        let (code, json, out) = run_json(&[("VAULT_ADDR", &node.addr()), ("VAULT_TOKEN", &keys.root_token)], &[]);
        assert_absent(&all_text(&out), &secrets);
        (code, check(&json).clone())
    };

    // A standby with an active node: ok, naming it.
    let (code, c) = check_at(&others[0]);
    assert_eq!((code, c["status"].as_str()), (0, Some("ok")), "{c:#}");
    assert!(
        text(&c["summary"])
            .ends_with(&format!("; active node: {}; token valid, never expires (policies root)", first.addr())),
        "{c:#}"
    );
    assert!(evidence(&c, "active node").starts_with(&format!("active node: {}\n", first.addr())), "{c:#}");

    // The active node stopped: the two left (a majority of three) elect a new one.
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(30);
    let (active, standby) = loop {
        let codes: Vec<u16> = others.iter().map(|n| n.request("GET", "/v1/sys/health", None, None).0).collect();
        match codes[..] {
            [200, 429] if others[1].leader_address() == others[0].addr() => break (&others[0], &others[1]),
            [429, 200] if others[0].leader_address() == others[1].addr() => break (&others[1], &others[0]),
            _ if Instant::now() >= deadline => {
                panic!("no new active node within 30s: {codes:?}\n{}\n{}", others[0].log_tail(), others[1].log_tail())
            }
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    // Served, naming the new active node; but two voters of three cannot
    // lose another one: once autopilot says so, that is the check's warning.
    active.wait_for_autopilot(&keys.root_token, "at failure tolerance 0", Duration::from_secs(60), |s| {
        s["failure_tolerance"] == 0
    });
    let (code, c) = check_at(standby);
    assert_eq!((code, c["status"].as_str()), (0, Some("warn")), "{c:#}");
    assert_eq!(codes(&c), ["vault.raft.no_failure_tolerance"], "{c:#}");
    assert!(
        text(&c["summary"]).starts_with("the raft cluster cannot lose another node: failure tolerance 0 ("),
        "{c:#}"
    );
    assert!(evidence(&c, "active node").starts_with(&format!("active node: {}\n", active.addr())), "{c:#}");
    assert!(evidence(&c, "token").starts_with("accepted (HTTP 200)"), "{c:#}");

    // That one stopped too: one node of three has no majority, no election, no active node.
    let active_addr = active.addr();
    let standby_addr = standby.addr();
    let [a, b] = others;
    let last = if a.addr() == standby_addr {
        drop(b);
        a
    } else {
        drop(a);
        b
    };
    // Raft keeps the last active node's address in its log: sys/leader still
    // names it, so only asking that node tells that it is gone.
    last.wait_for_health_code(429);
    assert_eq!(last.leader_address(), active_addr, "OpenBao still names the stopped node");
    let (code, c) = check_at(&last);
    assert_eq!((code, c["status"].as_str()), (1, Some("fail")), "{c:#}");
    assert_eq!(
        c["summary"],
        format!("the standby at {standby_addr} has no active node: {active_addr}, the one it names, is gone; writes, leases and logins fail"),
        "{c:#}"
    );
    assert_eq!(c["code"], "vault.standby_without_active", "{c:#}");
    let cause = text(&c["cause"]);
    assert!(cause.contains("writes, lease renewals, logins and token lookups fail"), "{cause}");
    assert!(cause.contains("a raft cluster without a majority of its voters cannot elect one"), "{cause}");
    let endpoint = active_addr.trim_start_matches("http://");
    assert_eq!(evidence(&c, "active node health"), format!("no answer: connection refused by {endpoint}"), "{c:#}");
    assert!(evidence(&c, "token").starts_with("not verified: the standby knows no active node"), "{c:#}");
}

#[test]
fn refused_port_means_vault_is_not_running() {
    let port = closed_port();
    let (code, json, _) = run_json(&[("VAULT_ADDR", &format!("http://127.0.0.1:{port}"))], &[]);
    assert_eq!(code, 1);
    let c = check(&json);
    assert_eq!(c["summary"], format!("connection refused by 127.0.0.1:{port}: Vault is not running there"), "{c:#}");
    assert_eq!(codes(c), ["vault.unreachable.refused"], "{c:#}");
    assert!(text(&c["actions"][0]["command"]).contains("systemctl status vault"), "{c:#}");
}

#[test]
fn silent_server_times_out_at_the_deadline_naming_the_step() {
    let silent = SilentListener::start();
    let addr = format!("http://127.0.0.1:{}", silent.port());
    let started = Instant::now();
    let (code, json, _) = run_json(&[("VAULT_ADDR", &addr), ("VAULT_TOKEN", "s.Silent-T0ken")], &["--timeout", "1s"]);
    let elapsed = started.elapsed();
    assert_eq!(code, 1);
    let summary = text(&check(&json)["summary"]).to_string();
    let expected =
        format!("timed out after 1s while waiting for 127.0.0.1:{} to answer GET /v1/sys/health", silent.port());
    assert_eq!(summary, expected);
    assert_eq!(check(&json)["code"], "check.timed_out", "the run's code, not a vault diagnosis: {json:#}");
    assert!(silent.accepted() >= 1, "the check never connected");
    // Generous bound: the point is that it ends at the deadline, not that it is fast.
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
}

#[test]
fn unanswered_handshake_is_a_network_path_problem_as_in_ph15() {
    let port = UnansweredPort::start();
    let endpoint = format!("127.0.0.1:{}", port.port());
    let started = Instant::now();
    let (code, json, _) = run_json(&[("VAULT_ADDR", &format!("https://{endpoint}"))], &["--timeout", "1s"]);
    assert_eq!(code, 1);
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    let c = check(&json);
    assert_eq!(
        c["summary"],
        format!("no answer from {endpoint} within 900ms: the network path to Vault is blocked from here"),
        "{c:#}"
    );
    assert!(text(&c["cause"]).contains("cannot reach the private range"), "{c:#}");
    assert!(text(&c["actions"][0]["command"]).starts_with("kubectl exec"), "{c:#}");
    assert_eq!(codes(c), ["vault.unreachable.timeout"], "{c:#}");
}

/// A health body as Vault documents it, with `fields` on top.
fn documented_body(fields: Value) -> String {
    let mut body = json!({
        "initialized": true, "sealed": false, "standby": false, "performance_standby": false,
        "replication_performance_mode": "disabled", "replication_dr_mode": "disabled",
        "server_time_utc": std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs(),
        "version": "1.19.0", "cluster_name": "vault-cluster-kbz", "cluster_id": "0d8b4b2c",
    });
    for (key, value) in fields.as_object().unwrap() {
        body[key] = value.clone();
    }
    body.to_string()
}

#[test]
fn codes_openbao_cannot_produce() {
    let cases = [
        (472, json!({"replication_dr_mode": "secondary"}), "warn", "a DR secondary answered", "vault.dr_secondary"),
        (473, json!({"standby": true, "performance_standby": true}), "ok", "a performance standby answered", ""),
        (
            474,
            json!({"standby": true, "ha_connection_healthy": false, "last_request_forwarding_heartbeat_ms": 12000, "removed_from_cluster": false}),
            "fail",
            "cannot reach the active node",
            "vault.ha_unhealthy",
        ),
        (
            530,
            json!({"sealed": true, "standby": true, "removed_from_cluster": true}),
            "fail",
            "was removed from its cluster",
            "vault.removed_from_cluster",
        ),
    ];
    // The active node a standby names, and what the standby says of it.
    let active = HealthStub::start(200, "application/json", &documented_body(json!({})));
    let leader = json!({ "ha_enabled": true, "is_self": false, "leader_address": active.addr() }).to_string();
    for (status, fields, expected, summary, finding) in cases {
        let body = documented_body(fields);
        let stub = HealthStub::routed(
            0,
            (status, "application/json", &body),
            &[("/v1/sys/leader", 200, "application/json", &leader)],
        );
        // No token: the stub answers every other path with the same status; the health mapping is under test.
        let (code, json, _) = run_json(&[("VAULT_ADDR", &stub.addr())], &[]);
        let c = check(&json);
        assert_eq!(c["status"], expected, "{status}: {c:#}");
        assert!(text(&c["summary"]).contains(summary), "{status}: {c:#}");
        assert_eq!(c["code"].as_str().unwrap_or_default(), finding, "{status}: {c:#}");
        assert_eq!(code, if expected == "fail" { 1 } else { 0 }, "{status}");
        assert!(evidence(c, "health").starts_with(&format!("HTTP {status}: ")), "{c:#}");
        let request = stub.requests().first().cloned().expect("the check asked for health");
        for param in
            ["standbyok=true", "sealedcode=299", "drsecondarycode=299", "haunhealthycode=299", "removedcode=299"]
        {
            assert!(request.contains(param), "{request}");
        }
    }

    // A 503 without Vault's body (a proxy in front, say): sealed, saying what that rests on.
    let stub = HealthStub::start(503, "text/html", "<html><body>503 Service Unavailable</body></html>");
    let (code, json, _) = run_json(&[("VAULT_ADDR", &stub.addr())], &[]);
    assert_eq!(code, 1);
    let c = check(&json);
    assert_eq!(c["summary"], format!("Vault at {} is sealed", stub.addr()), "{c:#}");
    assert!(text(&c["cause"]).contains("rests on the status code alone"), "{c:#}");
    assert_eq!(c["code"], "vault.sealed", "{c:#}");

    // Something that is not Vault at all: named, and never handed the token.
    let stub = HealthStub::start(200, "text/html", "<html><body>Welcome to nginx!</body></html>");
    let (code, json, _) = run_json(&[("VAULT_ADDR", &stub.addr()), ("VAULT_TOKEN", "s.Never-Sent-T0ken")], &[]);
    assert_eq!(code, 1);
    let c = check(&json);
    assert_eq!(c["summary"], format!("{} answered HTTP 200, not like Vault", stub.addr()), "{c:#}");
    assert!(evidence(c, "health").contains("Welcome to nginx!"), "{c:#}");
    assert_eq!(codes(c), ["vault.not_vault"], "{c:#}");
    assert!(evidence(c, "token").starts_with("not verified: what answers is not Vault"), "{c:#}");
    // The health request and sys/leader asked beside it; the token in neither.
    assert_eq!(stub.requests().len(), 2, "{:?}", stub.requests());
    assert!(stub.requests().iter().all(|r| !r.to_ascii_lowercase().contains("x-vault-token")), "{:?}", stub.requests());

    // A 2 MiB answer is cut at 1 MiB, not buffered whole, and still reported.
    let stub = HealthStub::start(200, "application/json", &format!("{{\"initialized\":\"{}\"}}", "x".repeat(2 << 20)));
    let (code, json, _) = run_json(&[("VAULT_ADDR", &stub.addr())], &[]);
    assert_eq!(code, 1);
    assert!(evidence(check(&json), "health").contains("body, not Vault's health JSON (cut at 1 MiB)"), "{json:#}");
}

#[test]
fn unconfigured_skips_and_bad_settings_are_configuration_errors() {
    let (code, json, _) = run_json(&[], &[]);
    // Nothing was checked: the run does not pass, and its verdict says so.
    assert_eq!((code, json["verdict"].as_str()), (1, Some("skip")));
    let c = check(&json);
    assert_eq!((c["status"].as_str(), c["summary"].as_str()), (Some("skip"), Some("not configured: set VAULT_ADDR")));

    let out = kbz_check().args(["run", "vault"]).env("VAULT_ADDR", "127.0.0.1:8200").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", all_text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("VAULT_ADDR"), "{}", all_text(&out));

    let dir = tempfile::tempdir().unwrap();
    let out = run_suite_expecting_error(dir.path(), "secrets = [\"secret/data/a\", 5]");
    assert_eq!(out.status.code(), Some(2), "{}", all_text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("suite.toml:5: checks.vault.secrets: item 2: expected a string"), "{stderr}");
}

/// Runs a suite that is expected not to load (so there is no JSON on stdout).
fn run_suite_expecting_error(dir: &Path, settings: &str) -> Output {
    let suite = dir.join("suite.toml");
    let text = format!("[checks.vault]\nkind = \"vault\"\naddr = \"http://127.0.0.1:1\"\n\n{settings}\n");
    std::fs::write(&suite, text).unwrap();
    kbz_check().args(["--config", suite.to_str().unwrap(), "run", "vault"]).output().unwrap()
}

#[test]
fn non_json_error_bodies_are_shown_as_an_excerpt() {
    // Vault's health is fine; behind it a proxy answers the token lookup and the read with its own page.
    let page = "<html><body><h1>500 Internal Server Error</h1><hr>nginx</body></html>";
    let health = documented_body(json!({}));
    let stub = HealthStub::routed(0, (500, "text/html", page), &[("/v1/sys/health", 200, "application/json", &health)]);
    let dir = tempfile::tempdir().unwrap();
    let env = [("VAULT_ADDR", stub.addr()), ("VAULT_TOKEN", "s.Excerpt-T0ken".to_string())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (code, json, out) = run_suite(dir.path(), "secrets = [\"secret/data/app\"]", &env, &[]);
    assert_eq!(code, 1, "{json:#}");
    let c = check(&json);
    let shown =
        "with a body that is not Vault's JSON: <html><body><h1>500 Internal Server Error</h1><hr>nginx</body></html>";
    assert_eq!(evidence(c, "token"), format!("HTTP 500 {shown}"), "{c:#}");
    assert_eq!(evidence(c, "secret secret/data/app"), format!("HTTP 500 {shown}"), "{c:#}");
    let cause = text(&c["cause"]);
    assert!(cause.contains(&format!("the token lookup answered HTTP 500 ({shown})")), "{cause}");
    assert!(!c.to_string().contains("()"), "no empty parentheses: {c:#}");
    assert_absent(&all_text(&out), &["s.Excerpt-T0ken"]);
}

#[test]
fn skip_verify_takes_the_words_vaults_own_client_takes() {
    // Go's strconv.ParseBool, which Vault's client uses for VAULT_SKIP_VERIFY.
    let list = |value: &str| {
        kbz_check()
            .arg("list")
            .env("VAULT_ADDR", "http://127.0.0.1:1")
            .env("VAULT_SKIP_VERIFY", value)
            .output()
            .unwrap()
    };
    for (value, read) in
        [("1", "true"), ("t", "true"), ("T", "true"), ("TRUE", "true"), ("true", "true"), ("True", "true")]
            .into_iter()
            .chain([
                ("0", "false"),
                ("f", "false"),
                ("F", "false"),
                ("FALSE", "false"),
                ("false", "false"),
                ("False", "false"),
            ])
    {
        let out = list(value);
        assert_eq!(out.status.code(), Some(0), "{value}: {}", all_text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout.lines().find(|l| l.trim_start().starts_with("skip_verify")).unwrap_or_default();
        assert!(line.contains(&format!(" {read} ")), "{value}: {stdout}");
    }
    for value in ["yes", "on", "no", "tRuE", "2"] {
        let out = list(value);
        assert_eq!(out.status.code(), Some(2), "{value}: {}", all_text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&format!("VAULT_SKIP_VERIFY: `{value}` is not a boolean")), "{stderr}");
    }
}
