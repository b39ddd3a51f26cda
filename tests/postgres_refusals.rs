//! Refusals by a real PostgreSQL server (tests/support/pg.rs): a pg_hba.conf
//! `reject` line, a role's, a database's and the server's connection
//! limits, told with their own codes and advice, through the `kbz-check`
//! binary as a user runs it.

mod support;

use serde_json::Value;
use std::process::Output;
use support::pg::{Node, PgCluster, Role, APP_USER};
use support::{all_text, check};

fn run_json(env: &[(&str, String)]) -> (i32, Value, Output) {
    support::run_json("postgres", env.iter().map(|(k, v)| (*k, v)), &[])
}

#[test]
fn a_reject_line_ahead_of_the_allowing_rule_is_named_and_reordering_is_the_fix() {
    let pg = PgCluster::start();
    let url = pg.url(Role::App, Node::Primary);
    let before = pg.prepend_hba(Node::Primary, &format!("host  all  {APP_USER}  127.0.0.1/32  reject"));
    let (code, json, out) = run_json(&[("DATABASE_URL", url.clone())]);
    assert_eq!(code, 1, "{json:#}");
    let c = check(&json);
    assert_eq!(c["code"], "postgres.auth.hba_reject", "{c:#}");
    assert!(c["summary"].as_str().unwrap().contains("pg_hba.conf rejects connection for host"), "{c:#}");
    let cause = c["cause"].as_str().unwrap();
    assert!(cause.contains("SQLSTATE 28000") && cause.contains("`reject` line"), "{cause}");
    let told = support::actions(c);
    assert!(told.contains("Move the line") && told.contains("remove"), "{told}");
    assert!(!told.to_lowercase().contains("add "), "a rule added after the reject line changes nothing: {told}");
    support::pg::assert_no_password(&all_text(&out));

    // No line at all for the client: adding one is the fix.
    pg.set_hba(Node::Primary, "host  all  postgres  127.0.0.1/32  scram-sha-256\n");
    let (_, json, _) = run_json(&[("DATABASE_URL", url.clone())]);
    let c = check(&json);
    assert_eq!(c["code"], "postgres.auth.login_rejected", "{c:#}");
    assert!(c["summary"].as_str().unwrap().contains("no pg_hba.conf entry"), "{c:#}");
    assert!(support::actions(c).starts_with("Add a pg_hba.conf line"), "{c:#}");
    pg.set_hba(Node::Primary, &before);

    // A role that does not exist: create it. (Under a password method the
    // server says 28P01 for it, not to tell which roles exist: trust shows it.)
    pg.prepend_hba(Node::Primary, "host  all  kb_nobody  127.0.0.1/32  trust");
    let url = url.replacen(APP_USER, "kb_nobody", 1);
    let (_, json, out) = run_json(&[("DATABASE_URL", url)]);
    let c = check(&json);
    assert_eq!(c["code"], "postgres.auth.role_missing", "{c:#}");
    assert!(support::actions(c).contains("CREATE ROLE kb_nobody LOGIN;"), "{c:#}");
    support::pg::assert_no_password(&all_text(&out));
}

#[test]
fn connection_limits_are_told_each_with_its_counts() {
    let pg = PgCluster::start();
    let url = pg.url(Role::App, Node::Primary);

    // The role may hold 1 session: the app's opens, the 4 sampled with it are refused.
    pg.psql(Node::Primary, &format!("ALTER ROLE {APP_USER} CONNECTION LIMIT 1"));
    let (code, json, out) = run_json(&[("DATABASE_URL", url.clone())]);
    assert_eq!(code, 1, "{json:#}");
    let c = check(&json);
    assert_eq!(c["code"], "postgres.connections.role_limit", "{c:#}");
    assert_eq!(
        c["summary"],
        format!(
            "only 1 of 5 sessions opens through DATABASE_URL: too many connections for role \"{APP_USER}\" (SQLSTATE 53300); role {APP_USER}: CONNECTION LIMIT 1; it holds 1 session"
        ),
        "{c:#}"
    );
    assert!(c["cause"].as_str().unwrap().starts_with("4 of the 5 sessions"), "{c:#}");
    assert!(support::actions(c).contains(&format!("ALTER ROLE {APP_USER} CONNECTION LIMIT <n>;")), "{c:#}");
    assert!(support::actions(c).contains("(now 1)"), "{c:#}");
    support::pg::assert_no_password(&all_text(&out));

    // No session at all: the same limit, without counts to read.
    pg.psql(Node::Primary, &format!("ALTER ROLE {APP_USER} CONNECTION LIMIT 0"));
    let (_, json, _) = run_json(&[("DATABASE_URL", url.clone())]);
    let c = check(&json);
    assert_eq!(c["code"], "postgres.connections.role_limit", "{c:#}");
    assert_eq!(c["summary"], format!("role {APP_USER} is at its connection limit"), "{c:#}");
    pg.psql(Node::Primary, &format!("ALTER ROLE {APP_USER} CONNECTION LIMIT -1"));

    // The database's limit.
    pg.psql(Node::Primary, "ALTER DATABASE keybuzz CONNECTION LIMIT 2");
    let (_, json, _) = run_json(&[("DATABASE_URL", url.clone())]);
    let c = check(&json);
    assert_eq!(c["code"], "postgres.connections.database_limit", "{c:#}");
    let summary = c["summary"].as_str().unwrap();
    assert!(summary.contains("too many connections for database \"keybuzz\""), "{summary}");
    // The sessions that opened may not all have ended when they are counted.
    assert!(
        summary.ends_with("database keybuzz: CONNECTION LIMIT 2; it holds 1 session")
            || summary.ends_with("database keybuzz: CONNECTION LIMIT 2; it holds 2 sessions"),
        "{summary}"
    );
    pg.psql(Node::Primary, "ALTER DATABASE keybuzz CONNECTION LIMIT -1");

    // max_connections = 30 (3 reserved): 50 sessions at once fill the server.
    let (_, json, out) = run_json(&[("DATABASE_URL", url), ("KBZ_PG_SESSIONS", "50".into())]);
    let c = check(&json);
    assert_eq!(c["code"], "postgres.connections.server_full", "{c:#}");
    let summary = c["summary"].as_str().unwrap();
    assert!(summary.contains("max_connections = 30, 3 of them reserved for superusers"), "{summary}");
    assert!(support::actions(c).contains("SHOW max_connections;"), "{c:#}");
    support::pg::assert_no_password(&all_text(&out));
}
