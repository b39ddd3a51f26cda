//! Root causes that join checks of different kinds, against the real binary:
//! every name failing to resolve is the resolver's fault (run in a network
//! namespace whose only resolver is a dnsmasq on its loopback), and servers
//! whose certificates come from one CA the trust store lacks are the trust
//! store's (an SMTP relay with STARTTLS and a PostgreSQL with TLS, both
//! signed by one private CA).

mod support;

use serde_json::{json, Value};
use std::process::Output;
use support::netns::{DnsNamespace, RESOLVES};
use support::pg::{Node, PgCluster, Role};
use support::smtp::{Certificates, Mode, SmtpServer, SMTP_PASSWORD};
use support::tls::TestCa;

/// Each check's deadline: every target here answers (or fails) at once.
const TIMEOUT: &str = "10s";

fn report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", support::all_text(out)))
}

/// Each check's main code, `-` for none, in the report's order.
fn codes(report: &Value) -> Vec<String> {
    report["checks"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap_or("-").to_string()).collect()
}

fn cause_codes(report: &Value) -> Vec<&str> {
    report["root_causes"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect()
}

/// `kbz-check run postgres vault smtp oauth` inside `ns` with `env`: its JSON report.
fn run_in(ns: &DnsNamespace, env: Vec<(&'static str, String)>) -> Value {
    let args = ["--format", "json", "--timeout", TIMEOUT, "run", "postgres", "vault", "smtp", "oauth"];
    report(&ns.kbz_check().args(args).envs(env).output().expect("run kbz-check in the namespace"))
}

/// The app's settings for a database, a Vault and a mail relay at these
/// hosts, and an OAuth backend at 127.0.0.1 (an address: no lookup), where
/// nothing listens in the namespace.
fn named_targets(db: &str, vault: &str, mail: &str) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("DATABASE_URL", format!("postgresql://kb_backend:Dns-t3st!pw@{db}:5432/keybuzz")),
        ("VAULT_ADDR", format!("http://{vault}:8200")),
        ("VAULT_TOKEN", "hvs.dns-t3st-t0ken".to_string()),
        ("SMTP_HOST", mail.to_string()),
        ("SMTP_PORT", "587".to_string()),
    ];
    env.extend(support::oauth::start_env("http://127.0.0.1:9/api/amazon/oauth/start"));
    env
}

/// Postgres, Vault and SMTP by names under `.invalid`, which the
/// namespace's resolver answers with NXDOMAIN, beside an OAuth backend given
/// by address: one root cause, the resolver, naming the three checks.
#[test]
fn every_target_name_failing_to_resolve_is_one_cause_the_resolver() {
    let ns = DnsNamespace::start();
    let report = run_in(&ns, named_targets("db.kbz.invalid", "vault.kbz.invalid", "mail.kbz.invalid"));
    assert_eq!(
        codes(&report),
        ["postgres.unreachable.dns", "vault.unreachable.dns", "smtp.unreachable.dns", "oauth.unreachable.refused"],
        "{report:#}\n{}",
        ns.log()
    );
    // The lookups went to the namespace's resolver, on loopback.
    let log = ns.log();
    for name in ["db.kbz.invalid", "vault.kbz.invalid", "mail.kbz.invalid"] {
        assert!(log.contains(&format!("query[A] {name} from 127.0.0.1")), "no query for {name}:\n{log}");
    }
    let causes = report["root_causes"].as_array().unwrap();
    assert_eq!(causes.len(), 1, "{report:#}");
    let cause = &causes[0];
    assert_eq!(cause["code"], "cause.resolver_fails", "{report:#}");
    assert_eq!(cause["checks"], json!(["postgres", "vault", "smtp"]), "the address needs no resolver: {report:#}");
    assert!(
        cause["summary"].as_str().unwrap().starts_with(
            "No host name resolves from here (postgres: db.kbz.invalid, vault: vault.kbz.invalid, smtp: mail.kbz.invalid), and none did"
        ),
        "{report:#}"
    );
    let actions = cause["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 1, "one action: {report:#}");
    assert_eq!(actions[0]["priority"], "critical", "{report:#}");
    assert!(actions[0]["text"].as_str().unwrap().contains("/etc/resolv.conf"), "{report:#}");
    assert_eq!(
        actions[0]["command"],
        "cat /etc/resolv.conf; getent hosts db.kbz.invalid; kubectl -n kube-system get pods -l k8s-app=kube-dns",
        "{report:#}"
    );
}

/// The resolver down: /etc/resolv.conf names 127.0.0.1, where no DNS server
/// listens. Every lookup fails at once, and the root cause is the resolver.
#[test]
fn a_resolver_that_is_down_is_the_cause() {
    let ns = DnsNamespace::without_resolver();
    let out = ns
        .kbz_check()
        .args(["--format", "json", "--timeout", TIMEOUT, "run", "postgres", "vault", "smtp"])
        .envs(named_targets("db.kbz.invalid", "vault.kbz.invalid", "mail.kbz.invalid"))
        .output()
        .expect("run kbz-check in the namespace");
    let report = report(&out);
    assert_eq!(
        codes(&report),
        ["postgres.unreachable.dns", "vault.unreachable.dns", "smtp.unreachable.dns"],
        "{report:#}"
    );
    assert_eq!(cause_codes(&report), ["cause.resolver_fails"], "{report:#}");
    assert_eq!(report["root_causes"][0]["checks"], json!(["postgres", "vault", "smtp"]), "{report:#}");
}

/// The same, but the database's name resolves (to 127.0.0.1, where nothing
/// listens): the resolver works, so the two names that do not resolve are
/// each their own problem, and no root cause blames the resolver.
#[test]
fn a_name_that_resolves_clears_the_resolver() {
    let ns = DnsNamespace::start();
    let report = run_in(&ns, named_targets(RESOLVES, "vault.kbz.invalid", "mail.kbz.invalid"));
    assert_eq!(
        codes(&report),
        ["postgres.unreachable.refused", "vault.unreachable.dns", "smtp.unreachable.dns", "oauth.unreachable.refused"],
        "{report:#}\n{}",
        ns.log()
    );
    assert!(!cause_codes(&report).contains(&"cause.resolver_fails"), "{report:#}");
}

/// An SMTP relay (STARTTLS) and a PostgreSQL primary (TLS, sslmode=verify-full),
/// both with certificates from one private CA that the trust store in use
/// (SSL_CERT_FILE, holding another CA) lacks: one root cause, that CA, naming
/// both checks; with the CA in SSL_CERT_FILE, both pass and the cause is gone.
#[test]
fn certificates_from_one_untrusted_ca_are_one_cause_the_trust_store() {
    let ca = TestCa::new("kbz-check private CA");
    let certificates = Certificates::signed_by(&ca);
    let relay = SmtpServer::start(Mode::StartTls, &certificates);
    let pg = PgCluster::start();
    let server = ca.server_cert(&["127.0.0.1", "localhost"]);
    pg.enable_tls_on_primary(&server.cert_pem, &server.key_pem);
    let dir = tempfile::tempdir().unwrap();
    let other_ca = dir.path().join("other-ca.pem");
    TestCa::new("kbz-check some other CA").write_pem(&other_ca);

    let run = |trust_store: &std::path::Path| {
        let mut env = support::smtp::relay_env(relay.port(), SMTP_PASSWORD);
        env.push(("DATABASE_URL", format!("{}?sslmode=verify-full", pg.url(Role::App, Node::Primary))));
        env.push(("SSL_CERT_FILE", trust_store.display().to_string()));
        let out = support::kbz_check()
            .args(["--format", "json", "--timeout", TIMEOUT, "run", "postgres", "smtp"])
            .envs(env)
            .output()
            .expect("run kbz-check");
        report(&out)
    };

    let report = run(&other_ca);
    assert_eq!(codes(&report), ["postgres.tls.untrusted", "smtp.tls.untrusted"], "{report:#}\n{}", relay.log());
    for check in report["checks"].as_array().unwrap() {
        assert_eq!(check["findings"][0]["issuer"], "CN=kbz-check private CA", "{check:#}");
    }
    let causes = report["root_causes"].as_array().unwrap();
    assert_eq!(causes.len(), 1, "{report:#}");
    let cause = &causes[0];
    assert_eq!(cause["code"], "cause.ca_untrusted", "{report:#}");
    assert_eq!(cause["checks"], json!(["postgres", "smtp"]), "{report:#}");
    assert!(
        cause["summary"]
            .as_str()
            .unwrap()
            .starts_with("postgres, smtp refuse their servers' certificates, all issued by CN=kbz-check private CA"),
        "{report:#}"
    );
    let actions = cause["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 1, "one action: {report:#}");
    assert!(actions[0]["text"].as_str().unwrap().contains("SSL_CERT_FILE"), "{report:#}");
    assert_eq!(
        actions[0]["command"],
        format!(
            "openssl s_client -connect 127.0.0.1:{} -starttls postgres -showcerts </dev/null",
            pg.port(Node::Primary)
        ),
        "{report:#}"
    );

    // The action's fix: the CA in the trust store.
    let ca_file = dir.path().join("ca.pem");
    ca.write_pem(&ca_file);
    let report = run(&ca_file);
    assert!(cause_codes(&report).is_empty(), "{report:#}");
    let statuses: Vec<&str> =
        report["checks"].as_array().unwrap().iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert!(!statuses.contains(&"fail"), "both trust the CA now: {report:#}");
}
