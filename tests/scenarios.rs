//! The two incidents of the reference reports, reproduced on loopback and
//! run as a user would: `kbz-check all` with the app's own variables.

mod support;

use support::net::closed_port;
use support::oauth::{ph15_env, Reply, StartServer};
use support::pg::{Node, PgCluster, Role};
use support::smtp::{relay_env, trusting, Certificates, Mode, SmtpServer};
use support::{kbz_check, run_all_json as run_all, status_of};

/// The main code of the check `name`, which heads its findings.
fn code_of<'a>(report: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    let check = report["checks"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap();
    let first = check["findings"].as_array().unwrap().first().map(|f| f["code"].as_str().unwrap());
    assert_eq!(check["code"].as_str(), first, "{check:#}");
    first
}

/// PH15: the OAuth start endpoint answers `fetch failed` because the pod
/// cannot reach Vault. The report must say it once, naming Vault.
#[test]
fn ph15_oauth_fetch_failed_while_vault_is_out_of_reach() {
    let backend = StartServer::start(Reply::failed(500, "fetch failed"));
    let env = ph15_env(&backend.url());
    let dir = tempfile::tempdir().unwrap();
    let markdown = dir.path().join("PH15.md");
    let (code, report, _) =
        run_all(&env, &["--id", "PH15-AMAZON-OAUTH-START-DEBUG-01", "--markdown", markdown.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(report["verdict"], "fail");
    assert_eq!((status_of(&report, "oauth"), status_of(&report, "vault")), ("fail", "fail"));
    assert_eq!(code_of(&report, "oauth"), Some("oauth.upstream_fetch_failed"), "{report:#}");
    for skipped in ["postgres", "smtp", "ses"] {
        assert_eq!(status_of(&report, skipped), "skip", "{skipped} is not configured here");
    }
    let causes = report["root_causes"].as_array().unwrap();
    assert_eq!(causes.len(), 1, "{report:#}");
    assert!(causes[0]["summary"].as_str().unwrap().contains("from Vault"), "{report:#}");
    assert_eq!(causes[0]["checks"], serde_json::json!(["oauth", "vault"]));
    assert_eq!(causes[0]["code"], "cause.backend_cannot_fetch_from_vault", "{report:#}");
    assert!(code_of(&report, "vault").is_some_and(|c| c.starts_with("vault.unreachable.")), "{report:#}");
    assert_eq!(causes[0]["actions"][0]["priority"], "critical");

    let md = std::fs::read_to_string(&markdown).unwrap();
    let root = md.find("## Root causes").expect("a root-cause section");
    assert!(md[root..].contains("The backend cannot fetch its Amazon SP-API credentials from Vault"), "{md}");
    assert!(md.contains("Vault Agent Injector"), "PH15 section 7's options are offered: {md}");
    assert!(md.contains("| Blocking? | ❌ **YES**"), "{md}");
}

/// PH11: DATABASE_URL on the replica, Vault refused, SMTP_PASS empty because
/// it comes from that Vault, EMAIL_PROVIDER=smtp without SES. The verdict is
/// fail, the database fix comes first, and SES is skipped, not failed.
#[test]
fn ph11_replica_url_vault_down_smtp_password_missing_ses_unused() {
    let pg = PgCluster::start();
    let certificates = Certificates::new();
    let relay = SmtpServer::start(Mode::StartTls, &certificates);
    let mut env = vec![
        ("DATABASE_URL", pg.url(Role::App, Node::Replica)),
        ("KBZ_PG_NODES", pg.nodes()),
        ("VAULT_ADDR", format!("http://127.0.0.1:{}", closed_port())),
        ("EMAIL_PROVIDER", "smtp".to_string()),
    ];
    env.extend(trusting(relay_env(relay.port(), ""), &certificates));
    let (code, report, text) = run_all(&env, &["--id", "PH11-MAIL-REALITY-CHECK-01"]);
    assert_eq!(code, 1, "{text}");
    assert_eq!(report["verdict"], "fail");
    assert_eq!(status_of(&report, "postgres"), "fail");
    assert_eq!(status_of(&report, "vault"), "fail");
    assert_eq!(status_of(&report, "smtp"), "fail");
    assert_eq!(code_of(&report, "smtp"), Some("smtp.auth.password_missing"), "{report:#}");
    assert_eq!(status_of(&report, "ses"), "skip", "provider smtp makes SES optional: {report:#}");
    assert_eq!(status_of(&report, "oauth"), "skip");

    let causes = report["root_causes"].as_array().unwrap();
    assert_eq!(causes[0]["checks"], serde_json::json!(["postgres"]), "the database comes first: {report:#}");
    assert_eq!(causes[0]["code"], "cause.writes_on_replica");
    assert_eq!(code_of(&report, "postgres"), Some("postgres.on_replica"), "{report:#}");
    assert_eq!(code_of(&report, "vault"), Some("vault.unreachable.refused"), "{report:#}");
    assert!(causes[0]["summary"].as_str().unwrap().starts_with("Writes fail with SQLSTATE 25006"));
    assert!(
        causes
            .iter()
            .any(|c| c["checks"] == serde_json::json!(["smtp", "vault"])
                && c["code"] == "cause.smtp_password_source_down"),
        "the empty SMTP_PASS and the stopped Vault are one cause: {report:#}"
    );
    assert_eq!(relay.messages().len(), 0, "no mail is sent without --send-test-to");

    // The markdown's first required action is the database's critical fix.
    let out =
        kbz_check().args(["--format", "markdown", "all"]).envs(env.iter().map(|(k, v)| (*k, v))).output().unwrap();
    let md = String::from_utf8_lossy(&out.stdout);
    let actions = &md[md.find("Required actions (by priority)").unwrap()..];
    let first = actions.lines().find(|l| l.starts_with("1. ")).unwrap();
    assert!(first.starts_with("1. **[CRITICAL]** postgres: Point DATABASE_URL at the write endpoint"), "{first}");
}
