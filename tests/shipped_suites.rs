//! The suites shipped in checks/ run against the loopback test servers as a
//! user runs them: `kbz-check --config checks/SUITE.toml all` with the app's
//! own variables, healthy and in the state of their reference incident.

mod support;

use serde_json::{json, Value};
use std::path::PathBuf;
use support::net::closed_port;
use support::oauth::{start_env, Consent, Reply, StartServer, TENANT_ID, USER_EMAIL};
use support::pg::{Node, PgCluster, Role};
use support::smtp::{relay_env, trusting, Certificates, Mode, SmtpServer, SMTP_PASSWORD};
use support::vault::Bao;
use support::{all_text, assert_absent, kbz_check};

const MAIL_ID: &str = "MAIL-REALITY-CHECK-01";
const OAUTH_ID: &str = "AMAZON-OAUTH-START-01";

fn suite(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("checks").join(name)
}

/// `kbz-check --config checks/SUITE --format json all` with exactly `env`:
/// (exit code, report, everything printed).
fn run_suite(name: &str, env: &[(&str, String)]) -> (i32, Value, String) {
    let out = kbz_check()
        .arg("--config")
        .arg(suite(name))
        .args(["--format", "json", "--timeout", "5s", "all"])
        .envs(env.iter().map(|(k, v)| (*k, v)))
        .output()
        .expect("run kbz-check");
    let report =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", all_text(&out)));
    (out.status.code().unwrap_or(-1), report, all_text(&out))
}

/// Each check's name and status, in report order.
fn statuses(report: &Value) -> Vec<(String, String)> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap().to_string(), c["status"].as_str().unwrap().to_string()))
        .collect()
}

fn expect(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(n, s)| (n.to_string(), s.to_string())).collect()
}

/// PH11's suite against a primary + replica cluster, a real Vault (OpenBao
/// dev server) and an SMTP relay with STARTTLS and AUTH: first healthy, then
/// as PH11 found it.
#[test]
fn mail_reality_check_healthy_then_as_ph11_found_it() {
    let pg = PgCluster::start();
    let certificates = Certificates::new();
    let relay = SmtpServer::start(Mode::StartTls, &certificates);
    let bao = Bao::dev();
    bao.put_policy("kb-app", "path \"secret/data/keybuzz/*\" { capabilities = [\"read\"] }");
    let token = bao.create_token(&["kb-app"], "768h", true);
    let nodes = pg.nodes();
    let mut healthy = vec![
        ("DATABASE_URL", pg.url(Role::App, Node::Primary)),
        ("KBZ_PG_NODES", nodes.clone()),
        // The "HAProxy write endpoint": here, straight to the primary's port.
        ("KBZ_PG_WRITE_URL", pg.url(Role::App, Node::Primary)),
        ("VAULT_ADDR", bao.addr()),
        ("VAULT_TOKEN", token.clone()),
        ("EMAIL_PROVIDER", "smtp".to_string()),
    ];
    healthy.extend(trusting(relay_env(relay.port(), SMTP_PASSWORD), &certificates));
    let (code, report, text) = run_suite("mail-reality-check.toml", &healthy);
    assert_eq!(
        statuses(&report),
        expect(&[
            ("db", "ok"),
            ("db-write", "ok"),
            ("vault", "ok"),
            ("smtp", "ok"),
            ("ses", "skip"),
            ("domain", "skip")
        ]),
        "{report:#}"
    );
    assert_eq!(code, 0, "{text}");
    assert_eq!(report["id"], MAIL_ID);
    assert_eq!(report["title"], "Mail reality check");
    assert_eq!(report["verdict"], "ok");
    assert_absent(&text, &[SMTP_PASSWORD, &token, support::pg::APP_PASSWORD]);

    // PH11's state: DATABASE_URL on db-postgres-03 (the replica), Vault
    // stopped, SMTP_PASS empty (it came from that Vault). The write endpoint
    // still lands on the leader: the fix PH11 proposes is proven safe.
    let mut incident: Vec<(&str, String)> =
        healthy.into_iter().filter(|(k, _)| !matches!(*k, "DATABASE_URL" | "VAULT_ADDR" | "SMTP_PASS")).collect();
    incident.push(("DATABASE_URL", pg.url(Role::App, Node::Replica)));
    incident.push(("VAULT_ADDR", format!("http://127.0.0.1:{}", closed_port())));
    incident.push(("SMTP_PASS", String::new()));
    let (code, report, text) = run_suite("mail-reality-check.toml", &incident);
    assert_eq!(
        statuses(&report),
        expect(&[
            ("db", "fail"),
            ("db-write", "ok"),
            ("vault", "fail"),
            ("smtp", "fail"),
            ("ses", "skip"),
            ("domain", "skip")
        ]),
        "{report:#}"
    );
    assert_eq!(code, 1, "{text}");
    assert_eq!(report["id"], MAIL_ID);
    assert_eq!(report["verdict"], "fail");
    let causes = report["root_causes"].as_array().unwrap();
    assert_eq!(causes[0]["checks"], json!(["db"]), "the database comes first: {report:#}");
    assert!(causes[0]["summary"].as_str().unwrap().starts_with("Writes fail with SQLSTATE 25006"), "{report:#}");
    assert_eq!(relay.messages().len(), 0, "no mail is sent without --send-test-to");
}

/// PH15's suite: the start endpoint healthy with Vault unset (PH15's final
/// configuration), then PH15's `fetch failed` with Vault out of reach.
#[test]
fn amazon_oauth_start_healthy_then_as_ph15_found_it() {
    let backend = StartServer::start(Reply::started(&Consent::ph15()));
    let (code, report, text) = run_suite("amazon-oauth-start.toml", &start_env(&backend.url()));
    assert_eq!(statuses(&report), expect(&[("oauth", "ok"), ("vault", "skip")]), "{report:#}");
    assert_eq!(code, 0, "{text}");
    assert_eq!(report["id"], OAUTH_ID);
    assert_eq!(report["title"], "Amazon OAuth start");
    let request = &backend.requests()[0];
    assert_eq!((request.header("X-User-Email"), request.header("X-Tenant-Id")), (Some(USER_EMAIL), Some(TENANT_ID)));

    let failing = StartServer::start(Reply::failed(500, "fetch failed"));
    let mut env = start_env(&failing.url());
    env.push(("VAULT_ADDR", format!("http://127.0.0.1:{}", closed_port())));
    let (code, report, text) = run_suite("amazon-oauth-start.toml", &env);
    assert_eq!(statuses(&report), expect(&[("oauth", "fail"), ("vault", "fail")]), "{report:#}");
    assert_eq!(code, 1, "{text}");
    assert_eq!(report["id"], OAUTH_ID);
    let causes = report["root_causes"].as_array().unwrap();
    assert_eq!(causes.len(), 1, "{report:#}");
    assert_eq!(causes[0]["checks"], json!(["oauth", "vault"]));
    assert!(causes[0]["summary"].as_str().unwrap().contains("from Vault"), "{report:#}");
}

/// Each suite's one required variable, when missing, stops the run with a
/// message naming it (exit 2, nothing checked); with only that variable set,
/// every other check is a skip that names what to set.
#[test]
fn required_variables_are_named_and_the_rest_is_optional() {
    for (name, required, value) in [
        ("mail-reality-check.toml", "DATABASE_URL", "postgresql://kb_backend:pw@127.0.0.1:5432/keybuzz"),
        (
            "amazon-oauth-start.toml",
            "KBZ_OAUTH_START_URL",
            "http://127.0.0.1:8080/api/v1/marketplaces/amazon/oauth/start",
        ),
    ] {
        let out = kbz_check().arg("--config").arg(suite(name)).args(["--format", "json", "all"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}: {}", all_text(&out));
        assert!(out.stdout.is_empty(), "{name}: nothing on stdout");
        assert!(String::from_utf8_lossy(&out.stderr).contains(required), "{name}: {}", all_text(&out));

        let out = kbz_check().arg("--config").arg(suite(name)).arg("list").env(required, value).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{name}: {}", all_text(&out));
    }
    let out = kbz_check()
        .arg("--config")
        .arg(suite("mail-reality-check.toml"))
        .args(["--format", "json", "--timeout", "2s", "all"])
        .env("DATABASE_URL", format!("postgresql://kb_backend:pw@127.0.0.1:{}/keybuzz", closed_port()))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        statuses(&report),
        expect(&[
            ("db", "fail"),
            ("db-write", "skip"),
            ("vault", "skip"),
            ("smtp", "skip"),
            ("ses", "skip"),
            ("domain", "skip")
        ])
    );
    let skip_summary = |name: &str| {
        report["checks"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()["summary"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(skip_summary("db-write").contains("KBZ_PG_WRITE_URL"), "{report:#}");
    assert!(skip_summary("vault").contains("VAULT_ADDR"), "{report:#}");
    assert!(skip_summary("smtp").contains("SMTP_HOST"), "{report:#}");
}
