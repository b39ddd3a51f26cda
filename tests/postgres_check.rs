//! The postgres check against a real primary + streaming replica on
//! 127.0.0.1, through the `kbz-check` binary as a user runs it.

mod support;

use serde_json::Value;
use std::process::Output;
use std::time::{Duration, Instant};
use support::net::{closed_port, SilentListener};
use support::pg::{Node, PgCluster, Role, APP_PASSWORD};
use support::{all_text, check, evidence, kbz_check};

/// Runs the postgres check of the built-in suite with `env`.
fn run_json(env: &[(&str, String)], extra: &[&str]) -> (i32, Value, Output) {
    support::run_json("postgres", env.iter().map(|(k, v)| (*k, v)), extra)
}

#[test]
fn leader_replica_and_login_failures_against_a_real_cluster() {
    let pg = PgCluster::start();
    let leader = format!("127.0.0.1:{}", pg.primary_port());

    // The app's URL on the leader: ok, with the role and the write probe as evidence.
    let (code, json, out) = run_json(&[("DATABASE_URL", pg.url(Role::App, Node::Primary))], &[]);
    assert_eq!(code, 0, "{json:#}");
    let c = check(&json);
    assert_eq!(c["status"], "ok", "{c:#}");
    assert!(c["summary"].as_str().unwrap().starts_with(&format!("leader at {leader}")), "{c:#}");
    assert!(evidence(c, "role").starts_with('f'));
    assert!(evidence(c, "write probe").starts_with("accepted, then rolled back"));
    assert_eq!(evidence(c, "server address"), leader);
    assert!(c["code"].is_null() && c["findings"] == serde_json::json!([]), "nothing found, no code: {c:#}");
    assert_eq!(json["verdict"], "ok");
    support::pg::assert_no_password(&all_text(&out));

    // The app's ordinary role on the replica, with nodes: fail, naming the leader found through nodes.
    let env = [("DATABASE_URL", pg.url(Role::App, Node::Replica)), ("KBZ_PG_NODES", pg.nodes())];
    let (code, json, out) = run_json(&env, &[]);
    assert_eq!(code, 1, "{json:#}");
    let c = check(&json);
    assert_eq!(c["status"], "fail");
    assert_eq!(json["verdict"], "fail");
    assert_eq!(c["code"], "postgres.on_replica", "{c:#}");
    assert_eq!(c["findings"][0]["code"], "postgres.on_replica", "{c:#}");
    assert_eq!(c["findings"][0]["summary"], c["summary"], "{c:#}");
    let summary = c["summary"].as_str().unwrap();
    assert!(summary.contains("DATABASE_URL lands on a read-only replica"), "{summary}");
    assert!(summary.contains(&format!("leader: {leader} (db-postgres-01)")), "{summary}");
    let cause = c["cause"].as_str().unwrap();
    assert!(
        cause.contains("SQLSTATE 25006") && cause.contains("cannot execute UPDATE in a read-only transaction"),
        "{cause}"
    );
    assert!(cause.contains("db-postgres-03"), "the URL's host is matched to its member: {cause}");
    assert_eq!(c["actions"][0]["priority"], "critical");
    assert!(c["actions"][0]["command"].as_str().unwrap().contains(&format!("@{leader}/keybuzz")), "{c:#}");
    assert!(c["actions"][0]["command"].as_str().unwrap().contains("target_session_attrs=read-write"), "{c:#}");
    assert!(evidence(c, "write probe").contains("refused: ERROR"), "{c:#}");
    assert!(evidence(c, "upstream leader").contains("GRANT pg_monitor TO kb_backend"), "{c:#}");
    let members = evidence(c, "cluster members");
    assert!(members.contains("db-postgres-01") && members.contains("leader"), "{members}");
    assert!(members.contains("DATABASE_URL lands here"), "{members}");
    support::pg::assert_no_password(&all_text(&out));

    // Same URL without nodes: the leader cannot be named; the report says how to fix that.
    let (code, json, _) = run_json(&[("DATABASE_URL", pg.url(Role::App, Node::Replica))], &[]);
    assert_eq!(code, 1);
    let c = check(&json);
    assert!(c["summary"].as_str().unwrap().contains("leader: unknown"), "{c:#}");
    assert_eq!(c["code"], "postgres.on_replica", "{c:#}");
    assert!(
        c["actions"].as_array().unwrap().iter().any(|a| a["command"] == "GRANT pg_monitor TO kb_backend;"),
        "{c:#}"
    );

    // A pg_monitor role on the replica sees its WAL receiver: the leader comes from pg_stat_wal_receiver.
    let (code, json, _) = run_json(&[("DATABASE_URL", pg.url(Role::Monitor, Node::Replica))], &[]);
    assert_eq!(code, 1);
    let c = check(&json);
    assert!(c["summary"].as_str().unwrap().contains(&format!("leader: {leader}")), "{c:#}");
    assert!(evidence(c, "upstream leader").starts_with(&format!("streaming from {leader}")), "{c:#}");

    // A pg_monitor role on the leader sees its replica streaming.
    let (code, json, _) = run_json(&[("DATABASE_URL", pg.url(Role::Monitor, Node::Primary))], &[]);
    assert_eq!(code, 0, "{json:#}");
    let replicas = evidence(check(&json), "replicas");
    assert!(replicas.starts_with("127.0.0.1") && replicas.contains("streaming"), "{replicas}");

    // The ordinary role on the leader sees the replica's row but not its details.
    let (_, json, _) = run_json(&[("DATABASE_URL", pg.url(Role::App, Node::Primary))], &[]);
    assert!(evidence(check(&json), "replicas").contains("lacks pg_read_all_stats"), "{json:#}");

    // A URL meant for a replica that lands on one is fine.
    let suite = "[checks.postgres]\nkind = \"postgres\"\nurl = \"${READ_URL}\"\nexpect = \"replica\"\n";
    let dir = tempfile::tempdir().unwrap();
    let suite_path = dir.path().join("suite.toml");
    std::fs::write(&suite_path, suite).unwrap();
    let (code, json, _) =
        run_json(&[("READ_URL", pg.url(Role::App, Node::Replica))], &["--config", suite_path.to_str().unwrap()]);
    assert_eq!(code, 0, "{json:#}");
    assert!(check(&json)["summary"].as_str().unwrap().starts_with("replica"), "{json:#}");

    // Wrong password: 28P01 named, and neither password appears anywhere.
    let wrong = pg.url(Role::App, Node::Primary).replace(&support::pg::percent_encode(APP_PASSWORD), "Wr0ng-Secret-Pw");
    let (code, json, out) = run_json(&[("DATABASE_URL", wrong)], &[]);
    assert_eq!(code, 1);
    let c = check(&json);
    assert_eq!(c["summary"], "password rejected for role kb_backend", "{c:#}");
    assert_eq!(c["code"], "postgres.auth.password_rejected", "{c:#}");
    assert!(c["cause"].as_str().unwrap().contains("28P01"));
    assert!(!all_text(&out).contains("Wr0ng-Secret-Pw"), "{}", all_text(&out));

    // Unknown database: 3D000 named.
    let unknown_db = pg.url(Role::App, Node::Primary).replace("/keybuzz", "/no_such_db");
    let (code, json, _) = run_json(&[("DATABASE_URL", unknown_db)], &[]);
    assert_eq!(code, 1);
    let c = check(&json);
    assert_eq!(c["summary"], "database no_such_db does not exist", "{c:#}");
    assert_eq!(c["code"], "postgres.database_missing", "{c:#}");
    assert!(c["cause"].as_str().unwrap().contains("3D000"));

    // libpq's variables instead of DATABASE_URL.
    let env = [
        ("PGHOST", "127.0.0.1".to_string()),
        ("PGPORT", pg.primary_port().to_string()),
        ("PGUSER", "kb_backend".to_string()),
        ("PGPASSWORD", APP_PASSWORD.to_string()),
        ("PGDATABASE", "keybuzz".to_string()),
    ];
    let (code, json, out) = run_json(&env, &[]);
    assert_eq!(code, 0, "{json:#}");
    assert!(check(&json)["target"].as_str().unwrap().starts_with("postgresql://kb_backend:***#"), "{json:#}");
    support::pg::assert_no_password(&all_text(&out));

    // A role whose sessions start read-only fails on the leader too: its writes get 25006 as well.
    pg.psql(Node::Primary, "ALTER ROLE kb_backend SET default_transaction_read_only = on");
    let (code, json, _) = run_json(&[("DATABASE_URL", pg.url(Role::App, Node::Primary))], &[]);
    pg.psql(Node::Primary, "ALTER ROLE kb_backend RESET default_transaction_read_only");
    assert_eq!(code, 1, "{json:#}");
    let c = check(&json);
    assert_eq!(c["summary"], format!("sessions on the leader {leader} start read-only"));
    assert_eq!(c["code"], "postgres.read_only_sessions", "{c:#}");
    assert!(c["cause"].as_str().unwrap().contains("SQLSTATE 25006"), "{c:#}");

    // A multi-host URL with target_session_attrs=read-write skips the replica, as libpq does.
    let multi = format!(
        "postgresql://kb_backend:{}@127.0.0.1:{},127.0.0.1:{}/keybuzz?target_session_attrs=read-write",
        support::pg::percent_encode(APP_PASSWORD),
        pg.replica_port(),
        pg.primary_port()
    );
    let (code, json, _) = run_json(&[("DATABASE_URL", multi)], &[]);
    assert_eq!(code, 0, "{json:#}");
    let connection = evidence(check(&json), "connection");
    assert!(connection.contains(&format!("connected to {leader}")), "{connection}");
    assert!(connection.contains("passed over") && connection.contains("read-only"), "{connection}");
}

#[test]
fn replication_lag_over_max_lag_warns() {
    let pg = PgCluster::start();
    pg.psql(Node::Primary, "CREATE TABLE lag_probe (x int); INSERT INTO lag_probe VALUES (1)");
    pg.wait_for(Node::Replica, "SELECT count(*) FROM lag_probe", "1");
    pg.psql(Node::Replica, "SELECT pg_wal_replay_pause()");
    pg.psql(Node::Primary, "INSERT INTO lag_probe VALUES (2)");
    std::thread::sleep(Duration::from_millis(1500));

    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("suite.toml");
    std::fs::write(
        &suite,
        "[checks.postgres]\nkind = \"postgres\"\nurl = \"${DATABASE_URL}\"\nexpect = \"replica\"\nmax_lag = \"1s\"\n",
    )
    .unwrap();
    let (code, json, _) =
        run_json(&[("DATABASE_URL", pg.url(Role::Monitor, Node::Replica))], &["--config", suite.to_str().unwrap()]);
    let c = check(&json);
    assert_eq!(c["status"], "warn", "{c:#}");
    assert!(c["summary"].as_str().unwrap().contains("max_lag 1s"), "{c:#}");
    assert_eq!(c["code"], "postgres.lag_over_max", "{c:#}");
    assert_eq!(code, 0, "a warning does not fail the run");
    let (strict_code, _, _) = run_json(
        &[("DATABASE_URL", pg.url(Role::Monitor, Node::Replica))],
        &["--config", suite.to_str().unwrap(), "--strict"],
    );
    assert_eq!(strict_code, 1, "--strict fails on a warning");
    pg.psql(Node::Replica, "SELECT pg_wal_replay_resume()");
}

#[test]
fn promoted_replica_is_a_split_brain() {
    let pg = PgCluster::start();
    pg.promote_replica();
    let env = [("DATABASE_URL", pg.url(Role::App, Node::Primary)), ("KBZ_PG_NODES", pg.nodes())];
    let (code, json, _) = run_json(&env, &[]);
    assert_eq!(code, 1, "{json:#}");
    let c = check(&json);
    let summary = c["summary"].as_str().unwrap();
    assert!(summary.starts_with("split brain: 2 members accept writes"), "{summary}");
    assert!(summary.contains("db-postgres-01") && summary.contains("db-postgres-03"), "{summary}");
    assert_eq!(c["actions"][0]["priority"], "critical");
    assert_eq!(c["code"], "postgres.split_brain", "{c:#}");
}

#[test]
fn closed_port_is_refused() {
    let port = closed_port();
    let url = format!("postgresql://kb_backend:S3cret-Value@127.0.0.1:{port}/keybuzz");
    let (code, json, out) = run_json(&[("DATABASE_URL", url)], &[]);
    assert_eq!(code, 1);
    let c = check(&json);
    assert_eq!(c["summary"], format!("connection refused by 127.0.0.1:{port}"), "{c:#}");
    assert!(c["cause"].as_str().unwrap().contains("nothing listens"), "{c:#}");
    assert_eq!(c["code"], "postgres.unreachable.refused", "{c:#}");
    assert!(!all_text(&out).contains("S3cret-Value"));
}

#[test]
fn silent_server_times_out_at_the_deadline_naming_the_step() {
    let silent = SilentListener::start();
    let url = format!("postgresql://kb_backend:S3cret-Value@127.0.0.1:{}/keybuzz", silent.port());
    let started = Instant::now();
    let (code, json, out) = run_json(&[("DATABASE_URL", url)], &["--timeout", "1s"]);
    let elapsed = started.elapsed();
    assert_eq!(code, 1);
    let summary = check(&json)["summary"].as_str().unwrap().to_string();
    assert!(
        summary.starts_with(&format!(
            "timed out after 1s while negotiating TLS and logging in to 127.0.0.1:{}",
            silent.port()
        )),
        "{summary}"
    );
    assert_eq!(check(&json)["code"], "check.timed_out", "{json:#}");
    // Generous bound: the point is that it ends at the deadline, not that it is fast.
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    assert!(!all_text(&out).contains("S3cret-Value"));
}

#[test]
fn password_never_appears_in_any_format_or_file() {
    let pg = PgCluster::start();
    let dir = tempfile::tempdir().unwrap();
    let (md, js) = (dir.path().join("r.md"), dir.path().join("r.json"));
    let env = [("DATABASE_URL", pg.url(Role::App, Node::Replica)), ("KBZ_PG_NODES", pg.nodes())];
    for format in ["text", "markdown", "json"] {
        let out = kbz_check()
            .args(["--format", format, "--color", "always", "all"])
            .args(["--markdown", md.to_str().unwrap(), "--json", js.to_str().unwrap()])
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", all_text(&out));
        support::pg::assert_no_password(&all_text(&out));
        support::pg::assert_no_password(&std::fs::read_to_string(&md).unwrap());
        support::pg::assert_no_password(&std::fs::read_to_string(&js).unwrap());
    }
    let listed = kbz_check().arg("list").envs(env.iter().map(|(k, v)| (*k, v.as_str()))).output().unwrap();
    support::pg::assert_no_password(&all_text(&listed));
    assert!(String::from_utf8_lossy(&listed.stdout).contains("***#"), "{}", all_text(&listed));
}

#[test]
fn tls_modes_against_a_tls_enabled_primary() {
    use support::tls::TestCa;
    let pg = PgCluster::start();
    let ca = TestCa::new("kbz-check test CA");
    let cert = ca.server_cert(&["127.0.0.1", "localhost"]);
    pg.enable_tls_on_primary(&cert.cert_pem, &cert.key_pem);
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    ca.write_pem(&ca_file);
    let other_ca_file = dir.path().join("other-ca.pem");
    TestCa::new("someone else").write_pem(&other_ca_file);
    let url = |query: &str| format!("{}?{query}", pg.url(Role::App, Node::Primary));

    // require: encrypted, certificate not verified (libpq semantics).
    let (code, json, _) = run_json(&[("DATABASE_URL", url("sslmode=require"))], &[]);
    assert_eq!(code, 0, "{json:#}");
    assert!(evidence(check(&json), "connection").contains("TLS on (sslmode=require)"), "{json:#}");

    // verify-full with the CA that signed the certificate.
    let (code, json, _) =
        run_json(&[("DATABASE_URL", url(&format!("sslmode=verify-full&sslrootcert={}", ca_file.display())))], &[]);
    assert_eq!(code, 0, "{json:#}");
    assert!(evidence(check(&json), "connection").contains("TLS on (sslmode=verify-full)"), "{json:#}");

    // verify-full against another CA: a TLS failure, named as such.
    let (code, json, _) = run_json(
        &[("DATABASE_URL", url(&format!("sslmode=verify-full&sslrootcert={}", other_ca_file.display())))],
        &[],
    );
    assert_eq!(code, 1, "{json:#}");
    let c = check(&json);
    assert_eq!(c["summary"], format!("TLS with 127.0.0.1:{} failed", pg.primary_port()), "{c:#}");
    assert!(c["cause"].as_str().unwrap().contains("UnknownIssuer"), "{c:#}");
    assert_eq!(c["code"], "postgres.tls.untrusted", "{c:#}");

    // The replica has no TLS: require fails there, prefer falls back to plain text.
    let replica = |query: &str| format!("{}?{query}", pg.url(Role::App, Node::Replica));
    let (code, json, _) =
        run_json(&[("DATABASE_URL", replica("sslmode=require")), ("KBZ_PG_NODES", String::new())], &[]);
    assert_eq!(code, 1);
    assert!(check(&json)["cause"].as_str().unwrap().contains("TLS"), "{json:#}");
    assert_eq!(check(&json)["code"], "postgres.tls.not_offered", "{json:#}");
    let (_, json, _) = run_json(&[("DATABASE_URL", replica("sslmode=prefer"))], &[]);
    assert!(evidence(check(&json), "connection").contains("TLS off (sslmode=prefer)"), "{json:#}");
}

#[test]
fn connection_strings_as_apps_write_them() {
    let pg = PgCluster::start();
    let (primary, replica) = (pg.primary_port(), pg.replica_port());
    let encoded = support::pg::percent_encode(APP_PASSWORD);

    // A Prisma URL: its own options are set aside and shown, not refused.
    let prisma = format!("{}?schema=public&connection_limit=5", pg.url(Role::App, Node::Primary));
    let (code, json, _) = run_json(&[("DATABASE_URL", prisma)], &[]);
    assert_eq!(code, 0, "{json:#}");
    assert!(
        evidence(check(&json), "connection")
            .contains("options for other clients, not used here: schema, connection_limit"),
        "{json:#}"
    );

    // A URL without a password takes PGPASSWORD, as libpq does.
    let env = [
        ("DATABASE_URL", format!("postgresql://kb_backend@127.0.0.1:{primary}/keybuzz")),
        ("PGPASSWORD", APP_PASSWORD.to_string()),
    ];
    let (code, json, out) = run_json(&env, &[]);
    assert_eq!(code, 0, "{json:#}");
    support::pg::assert_no_password(&all_text(&out));
    // ... and a wrong PGPASSWORD is named as the place to fix.
    let env = [
        ("DATABASE_URL", format!("postgresql://kb_backend@127.0.0.1:{primary}/keybuzz")),
        ("PGPASSWORD", "Wr0ng-Pg-Password".to_string()),
    ];
    let (code, json, out) = run_json(&env, &[]);
    assert_eq!(code, 1);
    assert!(
        check(&json)["cause"].as_str().unwrap().contains("PGPASSWORD holds a wrong or outdated password"),
        "{json:#}"
    );
    assert_eq!(check(&json)["code"], "postgres.auth.password_rejected", "{json:#}");
    assert!(!all_text(&out).contains("Wr0ng-Pg-Password"));

    // Every host read-only under target_session_attrs=read-write: no leader, said plainly.
    let read_write_only =
        format!("postgresql://kb_backend:{encoded}@127.0.0.1:{replica}/keybuzz?target_session_attrs=read-write");
    let (code, json, _) = run_json(&[("DATABASE_URL", read_write_only)], &[]);
    assert_eq!(code, 1);
    let c = check(&json);
    assert_eq!(c["summary"], "no host accepts writes (target_session_attrs=read-write)", "{c:#}");
    assert_eq!(c["code"], "postgres.on_replica.all_hosts", "{c:#}");
    assert!(evidence(c, "connection").contains(&format!("passed over 127.0.0.1:{replica}: read-only")), "{c:#}");

    // nodes written with another name for the same servers: matched by the address each
    // server reports for itself, so the leader is not counted twice.
    let env = [
        ("DATABASE_URL", pg.url(Role::App, Node::Primary)),
        ("KBZ_PG_NODES", format!("db-postgres-01=localhost:{primary},db-postgres-03=localhost:{replica}")),
    ];
    let (code, json, _) = run_json(&env, &[]);
    assert_eq!(code, 0, "{json:#}");
    let c = check(&json);
    assert_eq!(evidence(c, "server address"), format!("127.0.0.1:{primary} = member db-postgres-01"));
    assert!(c["summary"].as_str().unwrap().contains("(db-postgres-01)"), "{c:#}");
}
