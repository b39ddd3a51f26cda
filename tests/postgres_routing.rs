//! Sampling the routing: the postgres check opens several sessions through
//! the app's own URL and reports where each landed. Against a real primary
//! and replica behind a real HAProxy (Debian's `haproxy`) in TCP mode.

mod support;

use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Output;
use support::haproxy::{Balance, Haproxy};
use support::pg::{percent_encode, Node, PgCluster, Role, APP_PASSWORD, DATABASE};
use support::{all_text, check, evidence, kbz_check};

/// Runs the postgres check of the built-in suite with `env`.
fn run_json(env: &[(&str, String)]) -> (i32, Value, Output) {
    support::run_json("postgres", env.iter().map(|(k, v)| (*k, v)), &["--timeout", "20s"])
}

/// The app's URL, through the proxy on `port`.
fn url_through(port: u16) -> String {
    format!("postgresql://{}:{}@127.0.0.1:{port}/{DATABASE}", Role::App.user(), percent_encode(APP_PASSWORD))
}

fn codes(c: &Value) -> Vec<String> {
    c["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_string()).collect()
}

/// `N sessions through ADDR: 3 on NAME ADDR (leader), 2 on …` read back as
/// the total and, for each place, its session count.
fn landings(routing: &str, through: &str) -> (usize, BTreeMap<String, usize>) {
    let first = routing.lines().next().unwrap();
    let (head, places) = first.split_once(": ").unwrap_or_else(|| panic!("no `: ` in {routing}"));
    let total = head
        .strip_suffix(&format!(" sessions through {through}"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not `N sessions through {through}`: {routing}"));
    let mut counts = BTreeMap::new();
    for place in places.split(", ") {
        let (count, name) = place.split_once(" on ").unwrap_or_else(|| panic!("not `N on PLACE`: {place}"));
        counts.insert(name.to_string(), count.parse().unwrap_or_else(|_| panic!("not a count: {place}")));
    }
    (total, counts)
}

#[test]
fn sessions_through_a_round_robin_haproxy_land_on_both_members_and_fail_the_check() {
    let pg = PgCluster::start();
    let (primary, replica) = (format!("127.0.0.1:{}", pg.primary_port()), format!("127.0.0.1:{}", pg.replica_port()));
    let leader_place = format!("db-postgres-01 {primary} (leader)");
    let replica_place = format!("db-postgres-03 {replica} (replica)");

    // A write endpoint balancing round robin over the leader and the replica.
    let both = Haproxy::start(
        Balance::RoundRobin,
        &[("db-postgres-01", pg.primary_port()), ("db-postgres-03", pg.replica_port())],
    );
    let env = [("DATABASE_URL", url_through(both.port())), ("KBZ_PG_NODES", pg.nodes())];
    let before = both.sessions_accepted();
    let (code, json, out) = run_json(&env);
    assert_eq!(both.sessions_accepted() - before, 5, "five sessions through HAProxy by default: {json:#}");
    assert_eq!(code, 1, "{json:#}");
    let c = check(&json);
    assert_eq!(c["status"], "fail", "{c:#}");
    assert!(codes(c).contains(&"postgres.routing.mixed".to_string()), "{c:#}");
    let routing = evidence(c, "routing");
    let (total, counts) = landings(&routing, &both.address());
    assert_eq!(total, 5, "{routing}");
    assert_eq!(counts.len(), 2, "two members: {routing}");
    let (on_leader, on_replica) = (counts[&leader_place], counts[&replica_place]);
    assert_eq!(on_leader + on_replica, 5, "{routing}");
    // Round robin alternates: of five sessions in a row, three go to one member and two to the other.
    assert!(on_leader.min(on_replica) == 2, "{routing}");
    let finding = c["findings"].as_array().unwrap().iter().find(|f| f["code"] == "postgres.routing.mixed").unwrap();
    assert_eq!(
        finding["summary"],
        format!("{on_replica} of 5 sessions land on a replica: writes fail intermittently with 25006"),
        "{c:#}"
    );
    assert_eq!(c["summary"], finding["summary"], "the routing explains the rest, so it heads the line: {c:#}");
    let cause = c["cause"].as_str().unwrap();
    assert!(cause.contains("db-postgres-01") && cause.contains("db-postgres-03"), "{cause}");
    assert!(cause.contains("SQLSTATE 25006") && cause.contains(&both.address()), "{cause}");
    let actions = c["actions"].as_array().unwrap();
    assert_eq!(actions[0]["priority"], "critical", "{c:#}");
    let config = actions[0]["command"].as_str().unwrap();
    assert!(config.contains("option httpchk GET /primary"), "{config}");
    assert!(config.contains(&format!("server db-postgres-01 {primary} check port 8008")), "{config}");
    assert!(
        actions.iter().any(|a| a["command"].as_str().is_some_and(|cmd| cmd.contains("psql \"$DATABASE_URL\""))),
        "{c:#}"
    );
    support::pg::assert_no_password(&all_text(&out));

    // Without nodes, the members are named by the address each server reports.
    let (code, json, out) = run_json(&[("DATABASE_URL", url_through(both.port()))]);
    assert_eq!(code, 1, "{json:#}");
    let c = check(&json);
    assert!(codes(c).contains(&"postgres.routing.mixed".to_string()), "{c:#}");
    let (total, counts) = landings(&evidence(c, "routing"), &both.address());
    assert_eq!(total, 5);
    let mut places = vec![format!("{primary} (leader)"), format!("{replica} (replica)")];
    places.sort();
    assert_eq!(counts.keys().cloned().collect::<Vec<_>>(), places, "{c:#}");
    assert_eq!(counts.values().sum::<usize>(), 5);
    support::pg::assert_no_password(&all_text(&out));

    // One session when asked for: only the app's own is opened, and no routing is reported.
    let mut one = env.to_vec();
    one.push(("KBZ_PG_SESSIONS", "1".to_string()));
    let before = both.sessions_accepted();
    let (_, json, out) = run_json(&one);
    assert_eq!(both.sessions_accepted() - before, 1, "KBZ_PG_SESSIONS=1 opens one session: {json:#}");
    let c = check(&json);
    assert!(c["evidence"].as_array().unwrap().iter().all(|e| e["label"] != "routing"), "{c:#}");
    assert!(!codes(c).iter().any(|code| code.starts_with("postgres.routing")), "{c:#}");
    support::pg::assert_no_password(&all_text(&out));

    // A write endpoint with only the leader behind it: every session lands there; nothing to report.
    let leader_only = Haproxy::start(Balance::RoundRobin, &[("db-postgres-01", pg.primary_port())]);
    let before = leader_only.sessions_accepted();
    let (code, json, out) =
        run_json(&[("DATABASE_URL", url_through(leader_only.port())), ("KBZ_PG_NODES", pg.nodes())]);
    assert_eq!(leader_only.sessions_accepted() - before, 5, "{json:#}");
    assert_eq!(code, 0, "{json:#}");
    let c = check(&json);
    assert_eq!(c["status"], "ok", "{c:#}");
    assert_eq!(c["findings"], serde_json::json!([]), "{c:#}");
    assert_eq!(evidence(c, "routing"), format!("5 sessions through {}: 5 on {leader_place}", leader_only.address()));
    support::pg::assert_no_password(&all_text(&out));

    // The leader's own URL, with three sessions: each lands where the first did.
    let direct = [
        ("DATABASE_URL", pg.url(Role::App, Node::Primary)),
        ("KBZ_PG_NODES", pg.nodes()),
        ("KBZ_PG_SESSIONS", "3".to_string()),
    ];
    let (code, json, out) = run_json(&direct);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(evidence(check(&json), "routing"), format!("3 sessions through {primary}: 3 on {leader_place}"));
    support::pg::assert_no_password(&all_text(&out));

    // A number of sessions out of range is refused before anything runs, naming the range.
    for bad in ["0", "51", "five"] {
        let out = kbz_check()
            .args(["run", "postgres"])
            .env("DATABASE_URL", url_through(leader_only.port()))
            .env("KBZ_PG_SESSIONS", bad)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "KBZ_PG_SESSIONS={bad}: {err}");
        assert!(err.contains("KBZ_PG_SESSIONS") && err.contains("from 1 to 50"), "KBZ_PG_SESSIONS={bad}: {err}");
        support::pg::assert_no_password(&all_text(&out));
    }
}
