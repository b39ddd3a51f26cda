//! Read-only questions asked of a server. Nothing here writes: the write
//! probe opens a transaction, asks for read-write mode and rolls back.
//! Each statement is shown as evidence exactly as it was sent.

use super::conn::Wire;
use tokio_postgres::{Client, SimpleQueryMessage};

pub const IN_RECOVERY: &str = "SELECT pg_is_in_recovery()";
pub const READ_ONLY: &str = "SHOW transaction_read_only";
pub const DEFAULT_READ_ONLY: &str = "SHOW default_transaction_read_only";
pub const SERVER_ADDRESS: &str = "SELECT host(inet_server_addr()), inet_server_port()";
pub const SERVER_VERSION: &str = "SHOW server_version";
pub const SESSION: &str = "SELECT current_user, current_database(), \
(SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), pg_has_role(current_user, 'pg_read_all_stats', 'USAGE'), \
pg_backend_pid(), (SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid()), \
extract(epoch from pg_postmaster_start_time())";
/// Replay lag of a replica in seconds: zero when it has replayed all it received.
pub const REPLAY_LAG: &str = "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 \
ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END";

/// Sent in one round trip; answered one result set each, in this order.
const ROLE_STATEMENTS: [&str; 6] = [IN_RECOVERY, READ_ONLY, DEFAULT_READ_ONLY, SERVER_ADDRESS, SERVER_VERSION, SESSION];

pub const WRITE_PROBE: &str = "BEGIN; SET TRANSACTION READ WRITE; ROLLBACK";

/// Asked on each further session opened through the connection string: where it landed.
pub const LANDING: &str = "SELECT pg_is_in_recovery(), host(inet_server_addr()), inet_server_port()";

pub const UPSTREAM: &str = "SELECT status, sender_host, sender_port FROM pg_stat_wal_receiver";

pub const REPLICAS: &str = "SELECT host(client_addr), application_name, state, sync_state, \
EXTRACT(EPOCH FROM replay_lag) FROM pg_stat_replication ORDER BY application_name";

/// What one server says about itself.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServerFacts {
    pub in_recovery: bool,
    pub transaction_read_only: String,
    pub default_transaction_read_only: String,
    /// `inet_server_addr()`/`inet_server_port()`: empty over a Unix socket.
    pub server_addr: Option<String>,
    pub server_port: Option<u16>,
    pub version: String,
    pub user: String,
    pub database: String,
    /// pg_stat_ssl of this backend: the session the server sees (behind a
    /// pooler, the pooler's own), with its protocol version when TLS is on.
    pub ssl: Option<bool>,
    pub ssl_version: Option<String>,
    /// `pg_backend_pid()`: the server process of this session.
    pub backend_pid: Option<i32>,
    /// When the server started (`pg_postmaster_start_time()`, as seconds
    /// since the epoch, to the microsecond): the same on every path to one
    /// server, different between servers, so it tells a pooler listed as a
    /// member from a second server.
    pub started: Option<String>,
    /// What kbz-check's own connection saw on its way to this server.
    pub wire: Wire,
    /// Whether this role sees replication details (`pg_read_all_stats`, part of `pg_monitor`).
    pub sees_replication: bool,
    pub write_probe: WriteProbe,
    /// On a replica: its WAL receiver.
    pub upstream: Option<Upstream>,
    pub replay_lag_secs: Option<f64>,
    /// On a leader: its replication connections.
    pub replicas: Vec<ReplicaRow>,
    /// The connection limits and their sessions, read when further sessions were refused with 53300.
    pub counts: Option<super::limits::Counts>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum WriteProbe {
    #[default]
    NotRun,
    Accepted,
    Refused {
        code: String,
        message: String,
    },
}

/// A replica's WAL receiver: host and status are NULL without `pg_read_all_stats`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upstream {
    pub status: Option<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReplicaRow {
    pub addr: Option<String>,
    pub name: Option<String>,
    pub state: Option<String>,
    pub sync_state: Option<String>,
    pub replay_lag_secs: Option<f64>,
}

/// Everything the check asks the server its URL lands on, in one round
/// trip: each question is its own simple-query message (so a pooler in
/// transaction mode keeps working and a refused statement leaves the others
/// alone), all sent before the first answer is read. `join` polls its
/// futures in the order given, and each sends its message on its first
/// poll: the server reads them in this order. Questions for the other role
/// (the WAL receiver on a leader, replication on a replica) cost nothing
/// in time and their answers are not kept.
pub async fn probe_server(client: &Client) -> Result<ServerFacts, tokio_postgres::Error> {
    let role_statements = ROLE_STATEMENTS.join("; ");
    let (role, lag, write_probe, upstream, replicas) = futures_util::future::join5(
        client.simple_query(&role_statements),
        client.simple_query(REPLAY_LAG),
        write_probe(client),
        rows(client, UPSTREAM),
        rows(client, REPLICAS),
    )
    .await;
    let mut facts = role_facts(&role?, &lag?);
    facts.write_probe = write_probe?;
    let (upstream, replicas) = (upstream?, replicas?);
    if facts.in_recovery {
        facts.upstream = upstream.first().map(|row| Upstream {
            status: cell(row, 0),
            host: cell(row, 1),
            port: cell(row, 2).and_then(|p| p.parse().ok()),
        });
    } else {
        facts.replicas = replicas
            .iter()
            .map(|row| ReplicaRow {
                addr: cell(row, 0),
                name: cell(row, 1),
                state: cell(row, 2),
                sync_state: cell(row, 3),
                replay_lag_secs: cell(row, 4).and_then(|l| l.parse().ok()),
            })
            .collect();
    }
    Ok(facts)
}

/// Role, read-only settings, address, version and, on a replica, its lag:
/// enough to place a cluster member. One round trip, as above.
pub async fn probe_role(client: &Client) -> Result<ServerFacts, tokio_postgres::Error> {
    let role_statements = ROLE_STATEMENTS.join("; ");
    let (role, lag) =
        futures_util::future::join(client.simple_query(&role_statements), client.simple_query(REPLAY_LAG)).await;
    Ok(role_facts(&role?, &lag?))
}

/// The answers to [`ROLE_STATEMENTS`] and [`REPLAY_LAG`] (kept on a replica only).
fn role_facts(role: &[SimpleQueryMessage], lag: &[SimpleQueryMessage]) -> ServerFacts {
    let sets = result_sets(role);
    let first =
        |set: usize, column: usize| sets.get(set).and_then(|rows| rows.first()).and_then(|row| cell(row, column));
    let in_recovery = first(0, 0).as_deref() == Some("t");
    ServerFacts {
        in_recovery,
        transaction_read_only: first(1, 0).unwrap_or_default(),
        default_transaction_read_only: first(2, 0).unwrap_or_default(),
        server_addr: first(3, 0),
        server_port: first(3, 1).and_then(|p| p.parse().ok()),
        version: first(4, 0).unwrap_or_default(),
        user: first(5, 0).unwrap_or_default(),
        database: first(5, 1).unwrap_or_default(),
        ssl: first(5, 2).map(|s| s == "t"),
        sees_replication: first(5, 3).as_deref() == Some("t"),
        backend_pid: first(5, 4).and_then(|p| p.parse().ok()),
        ssl_version: first(5, 5),
        started: first(5, 6),
        replay_lag_secs: if in_recovery { first_value(lag).and_then(|l| l.parse().ok()) } else { None },
        ..ServerFacts::default()
    }
}

/// Where a session landed: in recovery or not, and the server's own address
/// and port (none over a Unix socket). One read-only round trip.
pub async fn probe_landing(client: &Client) -> Result<(bool, Option<String>, Option<u16>), tokio_postgres::Error> {
    let rows = rows(client, LANDING).await?;
    let row = rows.first();
    let at = |i: usize| row.and_then(|row| cell(row, i));
    Ok((at(0).as_deref() == Some("t"), at(1), at(2).and_then(|p| p.parse().ok())))
}

/// A standby refuses `SET TRANSACTION READ WRITE` (SQLSTATE 0A000 or 25006);
/// the transaction is rolled back either way, so nothing is ever written.
/// The three messages go out together (in order, as in [`probe_server`]):
/// in the simple-query protocol a refused statement does not skip the next
/// message, so ROLLBACK ends the transaction whatever SET answered.
async fn write_probe(client: &Client) -> Result<WriteProbe, tokio_postgres::Error> {
    let (begin, set, rollback) = futures_util::future::join3(
        client.simple_query("BEGIN"),
        client.simple_query("SET TRANSACTION READ WRITE"),
        client.simple_query("ROLLBACK"),
    )
    .await;
    begin?;
    rollback?;
    Ok(match set {
        Ok(_) => WriteProbe::Accepted,
        Err(err) => match err.as_db_error() {
            Some(db) => WriteProbe::Refused { code: db.code().code().to_string(), message: db.message().to_string() },
            None => return Err(err),
        },
    })
}

type Row = Vec<Option<String>>;

async fn rows(client: &Client, sql: &str) -> Result<Vec<Row>, tokio_postgres::Error> {
    Ok(result_sets(&client.simple_query(sql).await?).into_iter().next().unwrap_or_default())
}

/// The rows of each statement of a simple query, split where each completes.
fn result_sets(messages: &[SimpleQueryMessage]) -> Vec<Vec<Row>> {
    let mut sets = Vec::new();
    let mut current = Vec::new();
    for message in messages {
        match message {
            SimpleQueryMessage::Row(row) => {
                current.push((0..row.len()).map(|i| row.get(i).map(str::to_string)).collect())
            }
            SimpleQueryMessage::CommandComplete(_) => sets.push(std::mem::take(&mut current)),
            _ => {}
        }
    }
    sets
}

fn cell(row: &Row, i: usize) -> Option<String> {
    row.get(i).cloned().flatten()
}

/// The first column of the first row of a simple query's answer.
pub fn first_value(messages: &[SimpleQueryMessage]) -> Option<String> {
    result_sets(messages).first().and_then(|rows| rows.first()).and_then(|row| cell(row, 0))
}
