//! Checks the integration-test harness itself: a real primary + streaming
//! replica with the roles the other tests rely on, and the silent TCP peer.

mod support;

use std::io::{ErrorKind, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use support::net::SilentListener;
use support::pg::{psql_url, Node, PgCluster, Role};

#[test]
fn pg_cluster_has_streaming_replica_and_app_roles() {
    let started = Instant::now();
    let pg = PgCluster::start();
    eprintln!("PgCluster::start took {:?}", started.elapsed());

    assert_eq!(pg.psql(Node::Primary, "SELECT pg_is_in_recovery()"), "f");
    assert_eq!(pg.psql(Node::Replica, "SELECT pg_is_in_recovery()"), "t");
    assert_ne!(pg.primary_port(), pg.replica_port());

    // The URL carries the percent-encoded password: logging in with it proves
    // both the encoding and that kb_backend authenticates over TCP.
    let app = psql_url(&pg.url(Role::App, Node::Primary), "SELECT current_user || ' ' || current_database()");
    assert_eq!(app.as_deref(), Ok("kb_backend keybuzz"));
    let monitor = psql_url(&pg.url(Role::Monitor, Node::Replica), "SELECT pg_has_role('pg_monitor', 'member')");
    assert_eq!(monitor.as_deref(), Ok("t"));

    // Nothing is trusted: a wrong password is refused.
    let wrong = format!("postgresql://kb_backend:wrong@127.0.0.1:{}/keybuzz", pg.primary_port());
    let refused = psql_url(&wrong, "SELECT 1").expect_err("wrong password must fail");
    assert!(refused.contains("password authentication failed"), "{refused}");

    pg.psql(Node::Primary, "CREATE TABLE t(x int); INSERT INTO t VALUES (1), (2), (3)");
    pg.wait_for(Node::Replica, "SELECT count(*) FROM t", "3");
    eprintln!("harness smoke test took {:?}", started.elapsed());
}

#[test]
fn silent_listener_accepts_but_never_answers() {
    let silent = SilentListener::start();
    let mut stream = TcpStream::connect(("127.0.0.1", silent.port())).expect("connect");
    stream.set_read_timeout(Some(Duration::from_millis(300))).expect("set read timeout");

    let mut buf = [0u8; 16];
    let err = stream.read(&mut buf).expect_err("the listener must stay silent");
    assert!(matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut), "unexpected read error: {err}");
    assert_eq!(silent.accepted(), 1);
}
