//! kbz-check only looks: a full `all` run writes no row to the database and
//! sends no mail unless asked to with --send-test-to.

mod support;

use serde_json::Value;
use std::time::Duration;

/// A full run as the app's operators would start it, with a generous deadline.
fn run_all(env: &[(&str, String)], extra: &[&str]) -> (i32, Value, String) {
    run_all_json(env, &[&["--timeout", "10s"], extra].concat())
}
use support::pg::{Node, PgCluster, Role};
use support::smtp::{relay_env, trusting, Certificates, Mode, SmtpServer, SMTP_PASSWORD};
use support::{run_all_json, status_of};

/// Long enough for the exited backends' statistics to reach shared memory.
const SETTLE: Duration = Duration::from_millis(1500);

/// The primary's write counters at one instant, from one psql call.
struct Counters {
    xact_commit: i64,
    lsn: String,
    tuples_written: i64,
}

fn measure(pg: &PgCluster) -> Counters {
    let row = pg.psql(
        Node::Primary,
        "SELECT d.xact_commit, pg_current_wal_lsn(), \
         (SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_all_tables) \
         FROM pg_stat_database d WHERE d.datname = 'keybuzz'",
    );
    let fields: Vec<&str> = row.split('|').collect();
    assert_eq!(fields.len(), 3, "unexpected psql row `{row}`");
    Counters {
        xact_commit: fields[0].parse().unwrap(),
        lsn: fields[1].to_string(),
        tuples_written: fields[2].parse().unwrap(),
    }
}

/// Bytes of WAL between two positions, as the server computes them.
fn wal_bytes(pg: &PgCluster, from: &Counters, to: &Counters) -> i64 {
    let diff = pg.psql(Node::Primary, &format!("SELECT pg_wal_lsn_diff('{}', '{}')::bigint", to.lsn, from.lsn));
    diff.parse().unwrap()
}

#[test]
fn three_full_runs_write_nothing_to_the_database() {
    let pg = PgCluster::start();
    let env = [("DATABASE_URL", pg.url(Role::App, Node::Primary)), ("KBZ_PG_NODES", pg.nodes())];

    // Baseline: the same measurements with nothing but time in between
    // (psql's own transactions and background WAL show up here).
    let before = measure(&pg);
    std::thread::sleep(SETTLE);
    let baseline_end = measure(&pg);
    let baseline_wal = wal_bytes(&pg, &before, &baseline_end);
    let baseline_tuples = baseline_end.tuples_written - before.tuples_written;

    let start = measure(&pg);
    for _ in 0..3 {
        let (code, report, text) = run_all(&env, &[]);
        assert_eq!(status_of(&report, "postgres"), "ok", "{text}");
        assert_eq!(code, 0, "{text}");
    }
    std::thread::sleep(SETTLE);
    let end = measure(&pg);
    let wal = wal_bytes(&pg, &start, &end);
    let tuples = end.tuples_written - start.tuples_written;
    let commits = end.xact_commit - start.xact_commit;
    assert!(commits > 0, "the runs reached the primary's keybuzz database (xact_commit +{commits})");

    // No row inserted, updated or deleted in any table, system catalogs included.
    assert!(
        tuples <= baseline_tuples,
        "kbz-check wrote {tuples} tuples (baseline interval: {baseline_tuples}); WAL moved {wal} bytes"
    );
    // And the WAL did not move beyond what the idle baseline interval shows,
    // unless a background record (checkpoint, running-xacts snapshot) landed
    // in the longer run interval: then the tuple counters above are the proof.
    if wal > baseline_wal {
        let background = pg.psql(Node::Primary, "SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter");
        eprintln!(
            "WAL moved {wal} bytes during the runs vs {baseline_wal} in the baseline \
             (checkpoints so far: {background}); no tuple was written"
        );
        assert!(wal < 64 * 1024, "WAL moved {wal} bytes during three read-only runs");
    }
}

#[test]
fn smtp_sends_mail_only_with_send_test_to() {
    let certificates = Certificates::new();
    let relay = SmtpServer::start(Mode::StartTls, &certificates);
    let mut env = trusting(relay_env(relay.port(), SMTP_PASSWORD), &certificates);
    env.push(("EMAIL_PROVIDER", "smtp".to_string()));

    let (code, report, text) = run_all(&env, &[]);
    assert_eq!(status_of(&report, "smtp"), "ok", "{text}\n{}", relay.log());
    assert_eq!(code, 0, "{text}");
    assert!(relay.messages().is_empty(), "a run without --send-test-to sent mail:\n{}", relay.log());
    assert!(!relay.log().contains("MAIL FROM"), "MAIL FROM without --send-test-to:\n{}", relay.log());

    let (code, report, text) = run_all(&env, &["--send-test-to", "ops@keybuzz.test"]);
    assert_eq!(status_of(&report, "smtp"), "ok", "{text}\n{}", relay.log());
    assert_eq!(code, 0, "{text}");
    assert_eq!(relay.messages().len(), 1, "exactly one test message:\n{}", relay.log());
}
