//! `KBZ_PG_NODES` naming a real PgBouncer (Debian's `pgbouncer`) and a real
//! HAProxy (Debian's `haproxy`, TCP mode) beside the real servers they lead
//! to: each is told as a path to its member, never as a second server, so
//! the leader counts once (no split brain) and the replica counts once.

mod support;

use serde_json::Value;
use std::process::Output;
use support::haproxy::{Balance, Haproxy};
use support::pg::{Node, PgCluster, Role};
use support::pgbouncer::{PgBouncer, PoolMode};
use support::{all_text, check, evidence};

fn run_json(env: &[(&str, String)]) -> (i32, Value, Output) {
    support::run_json("postgres", env.iter().map(|(k, v)| (*k, v)), &["--timeout", "20s"])
}

const PATH_NOT_SERVER: &str = "a path to that member, not a server of its own";

#[test]
fn poolers_and_proxies_listed_as_members_are_paths_to_their_servers() {
    let pg = PgCluster::start();
    let to_leader = PgBouncer::start(&pg, Node::Primary, PoolMode::Transaction);
    let to_replica = PgBouncer::start(&pg, Node::Replica, PoolMode::Session);
    let proxy = Haproxy::start(Balance::RoundRobin, &[("db-postgres-01", pg.primary_port())]);
    let primary = format!("127.0.0.1:{}", pg.primary_port());
    let replica = format!("127.0.0.1:{}", pg.replica_port());
    // The poolers and the proxy first: the servers must still be the ones counted and named.
    let nodes = format!(
        "db-pool-01={},db-pool-03={},db-lb-01={},{}",
        to_leader.address(),
        to_replica.address(),
        proxy.address(),
        pg.nodes()
    );

    let (code, json, out) = run_json(&[("DATABASE_URL", to_leader.url(Role::App)), ("KBZ_PG_NODES", nodes.clone())]);
    let c = check(&json);
    let context = format!("{c:#}\n{}", to_leader.log_tail());
    assert_eq!((code, c["status"].as_str()), (0, Some("ok")), "no split brain, no second replica: {context}");
    let summary = c["summary"].as_str().unwrap();
    assert!(
        summary.starts_with(&format!("leader at {primary} (db-postgres-01) via PgBouncer at {},", to_leader.address())),
        "{context}"
    );
    let members = evidence(c, "cluster members");
    let lines: Vec<&str> = members.lines().collect();
    assert_eq!(lines.len(), 5, "{members}");
    assert_eq!(
        lines[0],
        format!(
            "db-pool-01  {}  is PgBouncer in front of db-postgres-01 (leader): {PATH_NOT_SERVER}  ← DATABASE_URL connects here",
            to_leader.address()
        )
    );
    assert_eq!(
        lines[1],
        format!(
            "db-pool-03  {}  is PgBouncer in front of db-postgres-03 (replica): {PATH_NOT_SERVER}",
            to_replica.address()
        )
    );
    assert_eq!(
        lines[2],
        format!("db-lb-01  {}  is a forwarder in front of db-postgres-01 (leader): {PATH_NOT_SERVER}", proxy.address())
    );
    assert_eq!(lines[3], format!("db-postgres-01  {primary}  leader  ← DATABASE_URL lands here"));
    assert!(lines[4].starts_with(&format!("db-postgres-03  {replica}  replica, replay lag ")), "{members}");
    assert!(!members.contains("split brain") && !summary.contains("split brain"), "{context}");
    support::pg::assert_no_password(&all_text(&out));

    // Straight to the replica: the leader named is the server, never a pooler or the proxy.
    let env = [("DATABASE_URL", pg.url(Role::App, Node::Replica)), ("KBZ_PG_NODES", nodes)];
    let (code, json, out) = run_json(&env);
    let c = check(&json);
    assert_eq!(code, 1, "{c:#}");
    assert_eq!(c["code"], "postgres.on_replica", "{c:#}");
    assert!(c["summary"].as_str().unwrap().ends_with(&format!("; leader: {primary} (db-postgres-01)")), "{c:#}");
    let fix = c["actions"][0]["command"].as_str().unwrap_or_default();
    assert!(fix.contains(&format!("@{primary},{replica}/keybuzz?target_session_attrs=read-write")), "{fix}");
    for front in [to_leader.address(), to_replica.address(), proxy.address()] {
        assert!(!fix.contains(&front), "{fix}");
    }
    support::pg::assert_no_password(&all_text(&out));
}
