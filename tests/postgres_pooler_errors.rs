//! Refusals by a real PgBouncer (Debian's, tests/support/pgbouncer.rs) in
//! front of a real PostgreSQL server, told as the pooler's with their own
//! codes and advice, through the `kbz-check` binary as a user runs it.

mod support;

use serde_json::Value;
use std::net::TcpStream;
use std::process::Output;
use support::pg::{Node, PgCluster, Role, APP_USER};
use support::pgbouncer::{ClientTls, PgBouncer, PoolMode, Secret, Setup};
use support::tls::TestCa;
use support::{all_text, check};

const WRONG_PASSWORD: &str = "Wr0ng-pa55_7731";

fn run_json(env: &[(&str, String)], extra: &[&str]) -> (i32, Value, Output) {
    support::run_json("postgres", env.iter().map(|(k, v)| (*k, v)), extra)
}

fn assert_no_secret(text: &str) {
    support::pg::assert_no_password(text);
    support::assert_absent(text, &[WRONG_PASSWORD]);
}

/// A pooler's diagnosis names neither the network path nor a timeout.
fn assert_not_the_network(c: &Value) {
    let code = c["code"].as_str().unwrap_or("");
    assert!(!code.starts_with("postgres.unreachable") && code != "check.timed_out", "{c:#}");
    let cause = c["cause"].as_str().unwrap();
    assert!(!cause.contains("firewall") && !cause.contains("packets"), "{cause}");
}

#[test]
fn the_pooler_refusing_the_password_or_the_database_is_told_as_the_poolers() {
    let pg = PgCluster::start();
    let bouncer = PgBouncer::start(&pg, Node::Primary, PoolMode::Session);

    let url = format!("postgresql://{APP_USER}:{WRONG_PASSWORD}@{}/keybuzz", bouncer.address());
    let (code, json, out) = run_json(&[("DATABASE_URL", url)], &[]);
    assert_eq!(code, 1, "{json:#}");
    let c = check(&json);
    assert_eq!(c["code"], "postgres.auth.password_rejected", "{c:#}");
    assert_eq!(c["summary"], format!("password rejected by the pooler for role {APP_USER}"), "{c:#}");
    let cause = c["cause"].as_str().unwrap();
    assert!(cause.contains("\"SASL authentication failed\" (SQLSTATE 08P01)"), "{cause}");
    assert!(cause.contains("the one DATABASE_URL holds") && cause.contains("auth_file"), "{cause}");
    let told = support::actions(c);
    assert!(told.contains("Put the role's current password in DATABASE_URL") && told.contains("auth_file"), "{told}");
    assert_no_secret(&all_text(&out));

    // The pooler's copy is wrong: it takes the client's password and the
    // server refuses the pooler's login with it; PgBouncer relays the refusal.
    let mut setup = Setup::new(&pg, Node::Primary, PoolMode::Session);
    setup.users = vec![(APP_USER.to_string(), Secret::Plain(WRONG_PASSWORD.to_string()))];
    let stale = PgBouncer::with_setup(&setup);
    let url = format!("postgresql://{APP_USER}:{WRONG_PASSWORD}@{}/keybuzz", stale.address());
    let (_, json, out) = run_json(&[("DATABASE_URL", url)], &[]);
    let c = check(&json);
    assert_eq!(
        c["code"],
        "postgres.auth.password_rejected",
        "{c:#}
{}",
        stale.log_tail()
    );
    let cause = c["cause"].as_str().unwrap();
    assert!(cause.contains(&format!("password authentication failed for user \"{APP_USER}\"")), "{cause}");
    assert!(cause.contains("relays the PostgreSQL server's refusal"), "{cause}");
    assert_no_secret(&all_text(&out));

    let url = bouncer.url(Role::App).replace("/keybuzz", "/kb_elsewhere");
    let (code, json, out) = run_json(&[("DATABASE_URL", url)], &[]);
    assert_eq!(code, 1, "{json:#}");
    let c = check(&json);
    assert_eq!(c["code"], "postgres.pooler.database_unknown", "{c:#}");
    assert_eq!(c["summary"], "the pooler has no database kb_elsewhere", "{c:#}");
    let cause = c["cause"].as_str().unwrap();
    assert!(cause.contains("\"no such database: kb_elsewhere\"") && cause.contains("[databases]"), "{cause}");
    assert_no_secret(&all_text(&out));
}

/// A run through `fresh`, a PgBouncer whose server is down: the login held
/// after the password, said as the pooler's; the check's result.
fn assert_login_held<'a>(fresh: &PgBouncer, code: i32, json: &'a Value) -> &'a Value {
    assert_eq!(code, 1, "{json:#}");
    let c = check(json);
    assert_eq!(c["code"], "postgres.pooler.login_held", "{c:#}\n{}", fresh.log_tail());
    assert_eq!(
        c["summary"],
        format!("{} took the password and held the session: no server session came behind it", fresh.address())
    );
    c
}

/// The server behind the pooler stops: a pooler that never logged in to it
/// holds the login at the password; one that did finishes logins itself
/// and holds the first query, then turns clients away (server_login_retry).
#[test]
fn a_server_down_behind_the_pooler_is_the_poolers_diagnosis_not_a_network_timeout() {
    let pg = PgCluster::start();
    let used = PgBouncer::start(&pg, Node::Replica, PoolMode::Session);
    let (_, json, _) = run_json(&[("DATABASE_URL", used.url(Role::App))], &[]);
    assert_eq!(check(&json)["code"], "postgres.on_replica", "the pooler works before: {json:#}");
    pg.stop_replica();
    let fresh = PgBouncer::start(&pg, Node::Replica, PoolMode::Session);

    let (code, json, out) = run_json(&[("DATABASE_URL", fresh.url(Role::App))], &["--timeout", "4s"]);
    let c = assert_login_held(&fresh, code, &json);
    let cause = c["cause"].as_str().unwrap();
    assert!(
        cause.contains("the login exchange worked") && cause.contains("server behind the pooler is down"),
        "{cause}"
    );
    assert_not_the_network(c);
    assert_no_secret(&all_text(&out));

    let (_, json, _) = run_json(&[("DATABASE_URL", used.url(Role::App))], &["--timeout", "4s"]);
    let c = check(&json);
    let first = c["code"].as_str().unwrap().to_string();
    assert!(first == "postgres.pooler.login_held" || first == "postgres.pooler.server_down", "{c:#}");
    assert_not_the_network(c);
    // Its server login has failed by now: new clients are turned away at once.
    let (_, json, out) = run_json(&[("DATABASE_URL", used.url(Role::App))], &["--timeout", "4s"]);
    let c = check(&json);
    assert_eq!(c["code"], "postgres.pooler.server_down", "{c:#}\n{}", used.log_tail());
    assert!(c["cause"].as_str().unwrap().contains("(server_login_retry)"), "{c:#}");
    assert_not_the_network(c);
    assert_no_secret(&all_text(&out));
}

/// The same two diagnoses with TLS between the app and PgBouncer: the
/// login's messages are inside TLS, and still a held login is the pooler's,
/// not a deadline's, and a wrong password names the variable that holds it.
#[test]
fn under_client_tls_a_wrong_password_and_a_held_login_are_still_the_poolers() {
    let pg = PgCluster::start();
    let ca = TestCa::new("Example Test CA");
    let cert = ca.server_cert(&["127.0.0.1", "localhost"]);
    let dir = tempfile::tempdir().unwrap();
    let (_, verify_full) = ca.verify_full_in(dir.path());
    let setup = Setup::new(&pg, Node::Replica, PoolMode::Session).with_client_tls(ClientTls::require(&cert));

    let bouncer = PgBouncer::with_setup(&setup);
    let url = format!("postgresql://{APP_USER}:{WRONG_PASSWORD}@{}/keybuzz?{verify_full}", bouncer.address());
    let (code, json, out) = run_json(&[("DATABASE_URL", url)], &[]);
    assert_eq!(code, 1, "{json:#}");
    let c = check(&json);
    assert_eq!(c["code"], "postgres.auth.password_rejected", "{c:#}\n{}", bouncer.log_tail());
    assert_eq!(c["summary"], format!("password rejected by the pooler for role {APP_USER}"), "{c:#}");
    let cause = c["cause"].as_str().unwrap();
    assert!(cause.contains("\"SASL authentication failed\" (SQLSTATE 08P01)"), "{cause}");
    assert!(cause.contains("the one DATABASE_URL holds"), "{cause}");
    assert!(support::actions(c).contains("Put the role's current password in DATABASE_URL"), "{c:#}");
    assert_no_secret(&all_text(&out));

    // A PgBouncer that never logged in to its server holds the login at the password.
    pg.stop_replica();
    let fresh = PgBouncer::with_setup(&setup);
    let url = format!("{}?{verify_full}", fresh.url(Role::App));
    let (code, json, out) = run_json(&[("DATABASE_URL", url)], &["--timeout", "4s"]);
    let c = assert_login_held(&fresh, code, &json);
    assert!(c["cause"].as_str().unwrap().contains("server behind the pooler is down"), "{c:#}");
    assert_not_the_network(c);
    assert_no_secret(&all_text(&out));
}

#[test]
fn a_full_pooler_is_told_with_its_own_limits() {
    let pg = PgCluster::start();

    // max_client_conn = 1, held by another client: the check's login is turned away.
    let full = PgBouncer::with_setup(&Setup::new(&pg, Node::Primary, PoolMode::Session).with("max_client_conn = 1"));
    let _other_client = TcpStream::connect(full.address()).expect("connect to PgBouncer");
    let (code, json, out) = run_json(&[("DATABASE_URL", full.url(Role::App))], &[]);
    assert_eq!(code, 1, "{json:#}");
    let c = check(&json);
    assert_eq!(c["code"], "postgres.pooler.pool_full", "{c:#}\n{}", full.log_tail());
    assert!(support::actions(c).contains("max_client_conn"), "{c:#}");
    assert_not_the_network(c);
    assert_no_secret(&all_text(&out));

    // One server connection, held by the app's first session: the 4 sampled
    // with it wait past query_wait_timeout.
    let one = PgBouncer::with_setup(
        &Setup::new(&pg, Node::Primary, PoolMode::Session).with("default_pool_size = 1").with("query_wait_timeout = 2"),
    );
    let (code, json, out) = run_json(&[("DATABASE_URL", one.url(Role::App))], &["--timeout", "10s"]);
    assert_eq!(code, 1, "{json:#}");
    let c = check(&json);
    assert_eq!(c["code"], "postgres.pooler.wait_timeout", "{c:#}\n{}", one.log_tail());
    assert_eq!(
        c["summary"],
        "only 1 of 5 sessions opens through DATABASE_URL: query_wait_timeout (SQLSTATE 08P01, from the pooler)",
        "{c:#}"
    );
    assert!(support::actions(c).contains("default_pool_size") && support::actions(c).contains("SHOW POOLS;"), "{c:#}");
    assert_no_secret(&all_text(&out));
}
