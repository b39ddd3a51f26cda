//! The postgres check behind a real PgBouncer (Debian's `pgbouncer`), in
//! session and transaction pooling, in front of the primary and of the
//! replica, with and without TLS between the app and PgBouncer: the role
//! diagnosis still holds, the `path` line names PgBouncer, its address and
//! the server's, and the `tls` line tells the app's side from the server's.
//! For contrast: a direct connection, and HAProxy, a forwarder.

mod support;

use serde_json::Value;
use std::process::Output;
use support::haproxy::{Balance, Haproxy};
use support::pg::{percent_encode, Node, PgCluster, Role, APP_PASSWORD};
use support::pgbouncer::{ClientTls, PgBouncer, PoolMode, Setup};
use support::tls::{ServerCert, TestCa};
use support::{all_text, check, evidence};

fn run_json(env: &[(&str, String)]) -> (i32, Value, Output) {
    support::run_json("postgres", env.iter().map(|(k, v)| (*k, v)), &["--timeout", "20s"])
}

/// The member names `PgCluster::nodes` gives.
fn member_of(node: Node) -> &'static str {
    match node {
        Node::Primary => "db-postgres-01",
        Node::Replica => "db-postgres-03",
    }
}

/// What the check says of the URL landing on `node` through `through`: the role, the member and the path.
fn assert_role_and_path(c: &Value, pg: &PgCluster, node: Node, through: &str, pooler: &str) {
    let server = format!("127.0.0.1:{}", pg.port(node));
    let member = member_of(node);
    let place = format!("{server} ({member}) via {pooler} at {through}");
    let summary = c["summary"].as_str().unwrap();
    match node {
        Node::Primary => {
            assert_eq!(c["status"], "ok", "{c:#}");
            assert!(summary.starts_with(&format!("leader at {place}, PostgreSQL ")), "{c:#}");
        }
        Node::Replica => {
            assert_eq!(c["status"], "fail", "{c:#}");
            assert_eq!(c["code"], "postgres.on_replica", "{c:#}");
            assert!(
                summary.starts_with(&format!("DATABASE_URL lands on a read-only replica, {place}; leader: ")),
                "{c:#}"
            );
        }
    }
    let path = evidence(c, "path");
    assert!(path.starts_with(&format!("via {pooler} at {through} → server {member} {server}: ")), "{path}");
    // The member name belongs to the server, never to the address connected to.
    assert!(
        !path.contains(&format!("{member} {through}")) && !summary.contains(&format!("{through} ({member})")),
        "{c:#}"
    );
    assert_eq!(evidence(c, "server address"), format!("{server} = member {member}"), "{c:#}");
    let role = evidence(c, "role");
    assert!(role.starts_with(if node == Node::Primary { "f " } else { "t " }), "{role}");
}

#[test]
fn pgbouncer_in_front_of_each_member_in_both_pool_modes() {
    let pg = PgCluster::start();
    for mode in [PoolMode::Session, PoolMode::Transaction] {
        for node in [Node::Primary, Node::Replica] {
            let bouncer = PgBouncer::start(&pg, node, mode);
            let env = [("DATABASE_URL", bouncer.url(Role::App)), ("KBZ_PG_NODES", pg.nodes())];
            let (code, json, out) = run_json(&env);
            let c = check(&json);
            let context = format!("{mode:?} pooling in front of the {node:?}: {c:#}\n{}", bouncer.log_tail());
            assert_eq!(code, if node == Node::Primary { 0 } else { 1 }, "{context}");
            assert_role_and_path(c, &pg, node, &bouncer.address(), "PgBouncer");
            let path = evidence(c, "path");
            // PgBouncer 1.18's random key may read as a negative process id: then it names none.
            assert!(
                path.contains("the start-up's cancel key names process ")
                    || path.contains("the start-up's cancel key names no process (its process part is negative"),
                "{path}"
            );
            assert!(path.contains("parameter reports end as PgBouncer's do"), "{path}");
            assert_eq!(
                evidence(c, "tls"),
                format!(
                    "app side (kbz-check's connection to {}): TLS off (sslmode=prefer: the peer declined TLS, so the session went on in plain text)\n\
                     server side: TLS off (pg_stat_ssl: the session the server sees, here PgBouncer's)",
                    bouncer.address()
                ),
                "{context}"
            );
            // Every session through PgBouncer lands on its one server.
            let routing = evidence(c, "routing");
            let role = if node == Node::Primary { "leader" } else { "replica" };
            assert_eq!(
                routing,
                format!(
                    "5 sessions through {}: 5 on {} 127.0.0.1:{} ({role})",
                    bouncer.address(),
                    member_of(node),
                    pg.port(node)
                ),
                "{context}"
            );
            if node == Node::Replica {
                // The fix is where PgBouncer sends the database, and it names the leader.
                let fix = c["actions"][0]["command"].as_str().unwrap_or_default();
                assert!(
                    fix.contains(&format!("keybuzz = host=127.0.0.1 port={} dbname=keybuzz", pg.primary_port())),
                    "{context}"
                );
            }
            support::pg::assert_no_password(&all_text(&out));
        }
    }
}

/// The primary under TLS with a certificate of a test CA.
struct TlsPrimary {
    /// The server's certificate (PgBouncer's client side uses it too).
    cert: ServerCert,
    /// The CA's file, in a directory that lives as long as this.
    ca_file: std::path::PathBuf,
    _dir: tempfile::TempDir,
    /// The URL options that verify the server against that CA.
    verify_full: String,
}

fn primary_with_tls(pg: &PgCluster) -> TlsPrimary {
    let ca = TestCa::new("Example Test CA");
    let cert = ca.server_cert(&["127.0.0.1", "localhost"]);
    pg.enable_tls_on_primary(&cert.cert_pem, &cert.key_pem);
    let dir = tempfile::tempdir().unwrap();
    let (ca_file, verify_full) = ca.verify_full_in(dir.path());
    TlsPrimary { cert, ca_file, _dir: dir, verify_full }
}

#[test]
fn tls_between_the_app_and_pgbouncer_is_the_apps_and_the_server_sees_pgbouncers_session() {
    let pg = PgCluster::start();
    // The primary takes TLS too, so that `nodes` can be probed under verify-full.
    let TlsPrimary { cert, ca_file, _dir, verify_full } = primary_with_tls(&pg);

    for (node, mode) in [(Node::Primary, PoolMode::Session), (Node::Replica, PoolMode::Transaction)] {
        let setup = Setup::new(&pg, node, mode).with_client_tls(ClientTls::require(&cert));
        let bouncer = PgBouncer::with_setup(&setup);
        let url = format!("{}?{verify_full}", bouncer.url(Role::App));
        let (code, json, out) = run_json(&[("DATABASE_URL", url), ("KBZ_PG_NODES", pg.nodes())]);
        let c = check(&json);
        let context = format!("{mode:?} pooling in front of the {node:?}: {c:#}\n{}", bouncer.log_tail());
        // A warning (the replica below) still exits 0; the replica's session fails.
        assert_eq!(code, if node == Node::Primary { 0 } else { 1 }, "{context}");
        let tls = evidence(c, "tls");
        assert_eq!(
            tls,
            format!(
                "app side (kbz-check's connection to {}): TLSv1.3, certificate verified against sslrootcert {} \
                 (sslmode=verify-full: chain and host name), issued by CN=Example Test CA\n\
                 server side: TLS off (pg_stat_ssl: the session the server sees, here PgBouncer's)",
                bouncer.address(),
                ca_file.display()
            ),
            "{context}"
        );
        assert!(evidence(c, "connection").contains("TLS on (sslmode=verify-full)"), "{context}");
        match node {
            Node::Primary => {
                // The replica has no TLS: under verify-full it cannot be probed, a warning of its own.
                assert_eq!(c["status"], "warn", "{context}");
                assert_eq!(c["code"], "postgres.member_unreachable", "{context}");
                let path = evidence(c, "path");
                let prefix = format!(
                    "via PgBouncer at {} → server db-postgres-01 127.0.0.1:{}: ",
                    bouncer.address(),
                    pg.primary_port()
                );
                assert!(path.starts_with(&prefix), "{path}");
                assert!(c["summary"].as_str().unwrap().contains("db-postgres-03"), "{context}");
                assert!(evidence(c, "role").starts_with("f (not in recovery: the leader)"), "{context}");
            }
            Node::Replica => assert_role_and_path(c, &pg, node, &bouncer.address(), "PgBouncer"),
        }
        support::pg::assert_no_password(&all_text(&out));

        // sslmode=require encrypts without checking the certificate: never called verified.
        let url = format!("{}?sslmode=require", bouncer.url(Role::App));
        let (_, json, out) = run_json(&[("DATABASE_URL", url)]);
        let tls = evidence(check(&json), "tls");
        assert!(
            tls.starts_with(&format!(
                "app side (kbz-check's connection to {}): TLSv1.3, certificate not verified (sslmode=require encrypts but accepts any certificate), issued by CN=Example Test CA\n",
                bouncer.address()
            )),
            "{tls}"
        );
        assert!(!tls.contains("verified against"), "{tls}");
        support::pg::assert_no_password(&all_text(&out));

        // Plain text is refused by PgBouncer: no session, no path claimed.
        let url = format!("{}?sslmode=disable", bouncer.url(Role::App));
        let (code, json, out) = run_json(&[("DATABASE_URL", url)]);
        assert_eq!(code, 1, "{json:#}");
        assert!(check(&json)["evidence"].as_array().unwrap().iter().all(|e| e["label"] != "path"), "{json:#}");
        support::pg::assert_no_password(&all_text(&out));
    }
}

#[test]
fn a_direct_session_and_one_through_haproxy_are_told_from_a_pooler() {
    let pg = PgCluster::start();
    let TlsPrimary { ca_file, _dir, verify_full, .. } = primary_with_tls(&pg);
    let primary = format!("127.0.0.1:{}", pg.primary_port());

    // Direct, under verify-full: no "via", and both sides agree, as they must on one session.
    let url = format!("{}?{verify_full}", pg.url(Role::App, Node::Primary));
    let (code, json, out) = run_json(&[("DATABASE_URL", url)]);
    assert_eq!(code, 0, "{json:#}");
    let c = check(&json);
    let path = evidence(c, "path");
    assert!(path.starts_with(&format!("direct: {primary} is the server itself: it reports that address")), "{path}");
    assert!(path.contains("the cancel key of the start-up is its own backend's"), "{path}");
    assert!(!c["summary"].as_str().unwrap().contains("via") && !path.contains("via"), "{c:#}");
    let tls = evidence(c, "tls");
    assert_eq!(
        tls,
        format!(
            "app side (kbz-check's connection to {primary}): TLSv1.3, certificate verified against sslrootcert {} \
             (sslmode=verify-full: chain and host name), issued by CN=Example Test CA\n\
             server side: TLS on, TLSv1.3 (pg_stat_ssl: the session the server sees, this one)",
            ca_file.display()
        )
    );
    support::pg::assert_no_password(&all_text(&out));

    // Direct to the replica, which has no TLS: off on both sides.
    let (_, json, out) = run_json(&[("DATABASE_URL", pg.url(Role::App, Node::Replica))]);
    let tls = evidence(check(&json), "tls");
    assert!(
        tls.contains("TLS off (sslmode=prefer: the peer declined TLS") && tls.contains("server side: TLS off"),
        "{tls}"
    );
    support::pg::assert_no_password(&all_text(&out));

    // HAProxy in TCP mode passes the bytes through: a forwarder, not PgBouncer, and TLS end to end.
    let proxy = Haproxy::start(Balance::RoundRobin, &[("db-postgres-01", pg.primary_port())]);
    let url = format!(
        "postgresql://{}:{}@{}/keybuzz?{verify_full}",
        Role::App.user(),
        percent_encode(APP_PASSWORD),
        proxy.address()
    );
    let (code, json, out) = run_json(&[("DATABASE_URL", url), ("KBZ_PG_NODES", pg.nodes())]);
    let c = check(&json);
    // The replica has no TLS: under verify-full it cannot be probed, a warning.
    assert_eq!((code, c["status"].as_str()), (0, Some("warn")), "{c:#}");
    let path = evidence(c, "path");
    assert!(
        path.starts_with(&format!(
            "via a forwarder at {} → server db-postgres-01 {primary}: the server sees this session arrive at {primary}, not at the URL's {}",
            proxy.address(),
            proxy.address()
        )),
        "{path}"
    );
    assert!(!path.starts_with("via PgBouncer") && !path.contains("via a pooler"), "{path}");
    assert!(path.contains("rather than answering it as PgBouncer does"), "{path}");
    assert!(!c["summary"].as_str().unwrap().contains("PgBouncer"), "{c:#}");
    assert!(
        evidence(c, "tls").ends_with(
            "server side: TLS on, TLSv1.3 (pg_stat_ssl: the session the server sees, this one, passed through)"
        ),
        "{c:#}"
    );
    assert_eq!(evidence(c, "server address"), format!("{primary} = member db-postgres-01"));
    support::pg::assert_no_password(&all_text(&out));
}
