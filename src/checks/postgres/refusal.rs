//! Why a session was refused, told as a finding: the login refusals of
//! PostgreSQL and of a pooler in front of it, and the failures on the way
//! there. Pure: unit-tested without a server.

use super::codes;
use super::guard::{size, Violation, MAX_MESSAGE_BYTES};
use super::limits::Counts;
use super::{ConnectError, HeldAt, Limit, PoolerRefusal, PostgresCheck, Rejection};
use crate::checks::findings::Findings;
use crate::checks::peer_bytes::service_hint;
use crate::code::Code;
use crate::http::TlsProblem;
use crate::report::{Action, Priority};

pub fn connect_failure(check: &PostgresCheck, error: &ConnectError, found: &mut Findings) {
    let (name, password) = (&check.url_name, &check.password_name);
    let (summary, cause, actions) = match error {
        ConnectError::Dns { host, .. } => (
            format!("cannot resolve {host}"),
            format!("the host `{host}` in {name} does not resolve from where kbz-check runs: a typo, or a name known only inside another network (a Kubernetes service, an internal DNS zone)"),
            vec![Action::new(Priority::Critical, format!("Check the host in {name} and resolve it from where the app runs"))
                .with_command(format!("getent hosts {host}"))],
        ),
        ConnectError::Refused { endpoint } => (
            format!("connection refused by {endpoint}"),
            format!("nothing listens on {endpoint}: PostgreSQL is stopped there, or listens on another port or address (listen_addresses)"),
            vec![Action::new(Priority::Critical, format!("Start PostgreSQL on that host, or fix the port in {name}"))
                .with_command("systemctl status postgresql; pg_lsclusters")],
        ),
        ConnectError::Network { endpoint, detail, .. } => (
            format!("cannot reach {endpoint}: {detail}"),
            format!("the network path from here to {endpoint} fails ({detail}): a route, firewall or security group is in the way"),
            vec![Action::new(Priority::Critical, format!("Check the route and firewall between the app and {endpoint}"))],
        ),
        ConnectError::TlsNotOffered { endpoint } => (
            format!("{endpoint} does not offer TLS"),
            format!("sslmode={} requires TLS, but the server at {endpoint} runs with ssl = off", check.params.tls.name()),
            vec![Action::new(Priority::High, "Turn TLS on in the server (ssl = on with a certificate), or lower sslmode to prefer where plain text is acceptable")],
        ),
        ConnectError::Tls { endpoint, detail, issuer, .. } => (
            format!("TLS with {endpoint} failed"),
            format!(
                "the TLS handshake with {endpoint} failed under sslmode={}: {detail}{}",
                check.params.tls.name(),
                issuer.as_ref().map_or(String::new(), |issuer| format!(" (its certificate's issuer: {issuer})"))
            ),
            vec![Action::new(Priority::High, "Set sslrootcert to the CA that signed the server's certificate, or use sslmode=require if the certificate need not be verified")],
        ),
        ConnectError::TlsSetup { detail } => (
            format!("cannot set up TLS: {detail}"),
            format!("the TLS settings of {name} cannot be used: {detail}"),
            vec![Action::new(Priority::High, "Point sslrootcert at a readable PEM file of CA certificates")],
        ),
        ConnectError::BadPassword { user } => (
            format!("password rejected for role {user}"),
            format!("the server refused the password of role {user} (SQLSTATE 28P01): {password} holds a wrong or outdated password, or role {user} does not exist (a server that asks for a password says the same then, so as not to tell which roles exist)"),
            vec![Action::new(Priority::Critical, format!("Put the role's current password in {password}; compare the masked fingerprint with the one in your secret store"))],
        ),
        ConnectError::NoPassword => (
            "no password configured".to_string(),
            format!("the server asks for a password and {password} carries none"),
            vec![Action::new(Priority::Critical, format!("Set the password in {password}"))],
        ),
        ConnectError::Rejected { message, why } => (
            format!("login rejected: {message}"),
            rejected_cause(message, *why),
            rejected_actions(check, *why),
        ),
        ConnectError::TooManyConnections { message, limit } => {
            let told = limit_told(check, *limit, message, None);
            (told.summary, told.cause, told.actions)
        }
        ConnectError::Pooler { code, message, refusal } => pooler_told(check, code, message, *refusal),
        ConnectError::LoginHeld { endpoint, waited, at } => (
            format!("{endpoint} {} and held the session: no server session came behind it", at.what()),
            held_cause(endpoint, waited, *at),
            vec![
                Action::new(Priority::Critical, "Check the PostgreSQL server behind the pooler (is it up, does it accept the pooler's login), then the pooler's pools")
                    .with_command(POOLER_CONSOLE),
            ],
        ),
        ConnectError::UnknownDatabase { database } => (
            format!("database {database} does not exist"),
            format!("{name} names database `{database}`, which this server does not have (SQLSTATE 3D000)"),
            vec![Action::new(Priority::Critical, format!("Fix the database name in {name}, or create the database")).with_command("psql -l")],
        ),
        ConnectError::NoReadWriteHost => (
            "no host accepts writes (target_session_attrs=read-write)".to_string(),
            format!("every host of {name} answered, and every one is read-only: there is no leader among them, so the app cannot open a read-write session"),
            vec![Action::new(Priority::Critical, format!("Promote a replica (or let the HA manager do it), or add the leader to {name}"))],
        ),
        ConnectError::Server { code, message } => (
            format!("server refused the session: {message}"),
            format!("the server answered the login with SQLSTATE {code}: {message}"),
            vec![Action::new(
                Priority::Critical,
                if code == "08P01" {
                    // PgBouncer sends every refusal of its own as 08P01.
                    "Read the server log for this SQLSTATE, and the pooler's if one is in front (PgBouncer sends its own refusals as 08P01)"
                } else {
                    "Read the server log for this SQLSTATE"
                },
            )],
        ),
        ConnectError::Protocol { detail } => (
            format!("not a PostgreSQL answer: {detail}"),
            format!("what answers there does not speak the PostgreSQL protocol as expected: {detail}"),
            vec![Action::new(Priority::Critical, format!("Check that {name} names a PostgreSQL server and port"))],
        ),
        ConnectError::NotPostgres { endpoint, violation } => (
            error.to_string(),
            format!("what answers at {endpoint} does not speak the PostgreSQL protocol: {violation}{}", what_it_tells(violation)),
            vec![Action::new(Priority::Critical, format!("Point {name} at the PostgreSQL server's port (5432 by default, 6432 for PgBouncer)"))],
        ),
    };
    match error {
        ConnectError::Tls { problem: TlsProblem::Untrusted, issuer: Some(issuer), .. } => {
            found.untrusted(code_of(error), issuer.clone(), summary, cause, actions)
        }
        _ => found.fail(code_of(error), summary, cause, actions),
    }
}

/// The diagnosis a connection failure is.
fn code_of(error: &ConnectError) -> Code {
    match error {
        ConnectError::Dns { .. } => codes::UNREACHABLE_DNS,
        ConnectError::Refused { .. } => codes::UNREACHABLE_REFUSED,
        ConnectError::Network { kind, .. } => match kind {
            std::io::ErrorKind::TimedOut => codes::UNREACHABLE_TIMEOUT,
            std::io::ErrorKind::HostUnreachable | std::io::ErrorKind::NetworkUnreachable => codes::UNREACHABLE_NO_ROUTE,
            _ => codes::UNREACHABLE_NETWORK,
        },
        ConnectError::TlsNotOffered { .. } => codes::TLS_NOT_OFFERED,
        ConnectError::Tls { problem, .. } => match problem {
            TlsProblem::Untrusted => codes::TLS_UNTRUSTED,
            TlsProblem::Expired => codes::TLS_EXPIRED,
            TlsProblem::NotYetValid => codes::TLS_NOT_YET_VALID,
            TlsProblem::WrongName => codes::TLS_NAME_MISMATCH,
            TlsProblem::BadCertificate => codes::TLS_BAD_CERTIFICATE,
            TlsProblem::NotTls | TlsProblem::Other => codes::TLS_HANDSHAKE_FAILED,
        },
        ConnectError::TlsSetup { .. } => codes::TLS_SETUP_FAILED,
        ConnectError::BadPassword { .. } => codes::AUTH_PASSWORD_REJECTED,
        ConnectError::NoPassword => codes::AUTH_PASSWORD_MISSING,
        ConnectError::Rejected { why, .. } => match why {
            Rejection::HbaReject => codes::AUTH_HBA_REJECT,
            Rejection::NoSuchRole => codes::AUTH_ROLE_MISSING,
            Rejection::NoHbaEntry | Rejection::CannotLogin | Rejection::Unknown => codes::AUTH_LOGIN_REJECTED,
        },
        ConnectError::TooManyConnections { limit, .. } => limit_code(*limit),
        ConnectError::Pooler { refusal, .. } => match refusal {
            PoolerRefusal::Password => codes::AUTH_PASSWORD_REJECTED,
            PoolerRefusal::UnknownDatabase => codes::POOLER_DATABASE_UNKNOWN,
            PoolerRefusal::ServerDown => codes::POOLER_SERVER_DOWN,
            PoolerRefusal::WaitTimeout => codes::POOLER_WAIT_TIMEOUT,
            PoolerRefusal::ClientLimit => codes::POOLER_POOL_FULL,
        },
        ConnectError::LoginHeld { .. } => codes::POOLER_LOGIN_HELD,
        ConnectError::UnknownDatabase { .. } => codes::DATABASE_MISSING,
        ConnectError::NoReadWriteHost => codes::ON_REPLICA_ALL_HOSTS,
        ConnectError::Server { .. } => codes::SESSION_REFUSED,
        ConnectError::Protocol { .. } => codes::PROTOCOL_ERROR,
        ConnectError::NotPostgres { .. } => codes::NOT_POSTGRES,
    }
}

/// What a protocol violation suggests about the peer, as a clause to append.
fn what_it_tells(violation: &Violation) -> String {
    match violation {
        Violation::Unexpected(bytes) => service_hint(bytes).to_string(),
        Violation::Oversized { .. } => format!(
            "; a PostgreSQL server's answers to kbz-check take a few hundred bytes, and it accepts no message over {}",
            size(MAX_MESSAGE_BYTES)
        ),
        Violation::Undersized { .. } => String::new(),
    }
}

fn held_cause(endpoint: &str, waited: &str, at: HeldAt) -> String {
    let worked = match at {
        HeldAt::Password => format!(
            "the TCP connection to {endpoint} and the login exchange worked: it asked for the password, got it, and then sent neither the end of the login (ReadyForQuery) nor an error for {waited}. \
             A PostgreSQL server answers a password at once; a pooler such as PgBouncer holds the client right there until it has a server connection for it"
        ),
        HeldAt::FirstQuery => format!(
            "the TCP connection to {endpoint} and the login worked (ReadyForQuery came), then the first read-only query got no answer for {waited}. \
             A pooler such as PgBouncer that has logged in to its server before finishes new logins itself, and holds the first query until it has a server connection for it \
             (a PostgreSQL server answers these catalog queries at once unless it hangs)"
        ),
    };
    format!(
        "{worked}: the PostgreSQL server behind the pooler is down or refuses the pooler's own logins, or the pool is full. The network between the app and {endpoint} is not at fault"
    )
}

/// Run on PgBouncer's admin console (`psql -p 6432 -U <admin user> pgbouncer`).
const POOLER_CONSOLE: &str = "SHOW POOLS;    -- cl_waiting > 0 with sv_active at pool_size: the pool is full; no sv_* at all: no server login works\n\
SHOW SERVERS;  -- the pooler's own sessions to PostgreSQL\n\
SHOW DATABASES;";

fn rejected_cause(message: &str, why: Rejection) -> String {
    let said = format!("the server rejected the login (SQLSTATE 28000): {message}.");
    match why {
        Rejection::HbaReject => format!(
            "{said} The first pg_hba.conf line that matches this client address, user and database is a `reject` line. \
             PostgreSQL uses only the first matching line, top down, so a rule placed after it never applies"
        ),
        Rejection::NoHbaEntry => format!("{said} No pg_hba.conf line matches this client address, user, database and TLS state"),
        Rejection::NoSuchRole => format!("{said} The user the connection string names is not a role of this server"),
        Rejection::CannotLogin => format!("{said} The role exists but has NOLOGIN"),
        // A localized message (lc_messages) cannot be read: every 28000 cause is possible.
        Rejection::Unknown => format!(
            "{said} The role does not exist or may not log in, or pg_hba.conf has no line for this client, user and database, or its first matching line is a `reject` line"
        ),
    }
}

fn rejected_actions(check: &PostgresCheck, why: Rejection) -> Vec<Action> {
    let user = check.params.user();
    let name = &check.url_name;
    let hba_rules = "SELECT line_number, type, database, user_name, address, auth_method FROM pg_hba_file_rules ORDER BY line_number;  -- as a superuser\nSELECT pg_reload_conf();";
    let action = match why {
        Rejection::HbaReject => Action::new(
            Priority::Critical,
            "Move the line meant to let this client in above the `reject` line in pg_hba.conf, or remove or narrow the `reject` line, then reload PostgreSQL",
        )
        .with_command(hba_rules),
        Rejection::NoHbaEntry => Action::new(
            Priority::Critical,
            "Add a pg_hba.conf line for this client address, user and database (host or hostssl, scram-sha-256), then reload PostgreSQL",
        )
        .with_command(hba_rules),
        Rejection::NoSuchRole => Action::new(Priority::Critical, format!("Create role {user} (then set its password), or fix the user in {name}"))
            .with_command(format!("CREATE ROLE {user} LOGIN;\n\\password {user}")),
        Rejection::CannotLogin => Action::new(Priority::Critical, format!("Let role {user} log in"))
            .with_command(format!("ALTER ROLE {user} LOGIN;")),
        Rejection::Unknown => Action::new(
            Priority::Critical,
            "Read the server log's line for this login: create the role, or give pg_hba.conf a line for this client above any `reject` line that matches it, and reload PostgreSQL",
        )
        .with_command(hba_rules),
    };
    vec![action]
}

/// A refusal over a connection limit, told.
pub struct Told {
    pub code: Code,
    pub summary: String,
    pub cause: String,
    pub actions: Vec<Action>,
}

pub fn limit_code(limit: Limit) -> Code {
    match limit {
        Limit::Server | Limit::Reserved => codes::CONNECTIONS_SERVER_FULL,
        Limit::Role => codes::CONNECTIONS_ROLE_LIMIT,
        Limit::Database => codes::CONNECTIONS_DATABASE_LIMIT,
        Limit::Unknown => codes::SESSION_REFUSED,
    }
}

/// SQLSTATE 53300 `message`, by the limit it names, with the counts read on
/// an open session when there is one.
pub fn limit_told(check: &PostgresCheck, limit: Limit, message: &str, counts: Option<&Counts>) -> Told {
    let (user, database) = (check.params.user(), check.params.dbname());
    let said = format!("the server refused the session with SQLSTATE 53300 \"{message}\"");
    let seen = |text: String| counts.map_or(String::new(), |_| format!(" ({text})"));
    let who_holds = "SELECT usename, datname, application_name, client_addr, state, count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1, 2, 3, 4, 5 ORDER BY 6 DESC;";
    let (summary, cause, action) = match limit {
        Limit::Server | Limit::Reserved => {
            let now = counts.map_or(String::new(), |c| format!(" ({})", c.server()));
            let slots = if limit == Limit::Reserved {
                "only the slots reserved for superusers are left"
            } else {
                "every one of its max_connections slots is taken"
            };
            (
                format!("the server is full: {message}{now}"),
                format!(
                    "{said}: {slots}{}. Every app, pooler and tool connected to this server counts against max_connections",
                    seen(counts.map(Counts::server).unwrap_or_default())
                ),
                Action::new(
                    Priority::Critical,
                    "Find who holds the server's sessions and close idle ones; put a pooler (PgBouncer) in front of the apps, or raise max_connections (it takes a restart)",
                )
                .with_command(format!("SHOW max_connections;\nSHOW superuser_reserved_connections;\n{who_holds}")),
            )
        }
        Limit::Role => {
            let now = counts.map_or(String::new(), |c| format!(" ({})", c.role()));
            (
                format!("role {user} is at its connection limit{now}"),
                format!(
                    "{said}: role {user} already holds as many sessions as its CONNECTION LIMIT allows{}. An app's pool (instances × pool size) larger than that cannot open",
                    seen(format!("role {user}: {}", counts.map(Counts::role).unwrap_or_default()))
                ),
                Action::new(
                    Priority::Critical,
                    format!("Raise role {user}'s CONNECTION LIMIT to cover every pool of the app (instances × pool size), or shrink the pools"),
                )
                .with_command(format!(
                    "SELECT rolconnlimit FROM pg_roles WHERE rolname = '{user}';\nSELECT count(*) FROM pg_stat_activity WHERE usename = '{user}';\nALTER ROLE {user} CONNECTION LIMIT <n>;   -- as a superuser or CREATEROLE{}",
                    counts.map_or(String::new(), |c| format!(" (now {})", c.role_limit))
                )),
            )
        }
        Limit::Database => {
            let now = counts.map_or(String::new(), |c| format!(" ({})", c.database()));
            (
                format!("database {database} is at its connection limit{now}"),
                format!(
                    "{said}: database {database} already has as many sessions as its CONNECTION LIMIT allows{}, whichever role holds them",
                    seen(format!("database {database}: {}", counts.map(Counts::database).unwrap_or_default()))
                ),
                Action::new(
                    Priority::Critical,
                    format!("Raise database {database}'s CONNECTION LIMIT to cover every pool using it, or shrink the pools"),
                )
                .with_command(format!(
                    "SELECT datconnlimit FROM pg_database WHERE datname = '{database}';\nSELECT usename, count(*) FROM pg_stat_activity WHERE datname = '{database}' GROUP BY 1;\nALTER DATABASE {database} CONNECTION LIMIT <n>;{}",
                    counts.map_or(String::new(), |c| format!("   -- now {}", c.database_limit))
                )),
            )
        }
        // A localized message: the limit is not known.
        Limit::Unknown => (
            format!("server refused the session: {message}"),
            format!("{said}: a connection limit is reached: max_connections, the role's or the database's CONNECTION LIMIT"),
            Action::new(Priority::Critical, "Find the limit reached: the server's, the role's or the database's")
                .with_command(format!(
                    "SHOW max_connections;\nSELECT rolconnlimit FROM pg_roles WHERE rolname = '{user}';\nSELECT datconnlimit FROM pg_database WHERE datname = '{database}';\n{who_holds}"
                )),
        ),
    };
    Told { code: limit_code(limit), summary, cause, actions: vec![action] }
}

/// A PgBouncer refusal, told as the pooler's, not the server's.
fn pooler_told(
    check: &PostgresCheck,
    code: &str,
    message: &str,
    refusal: PoolerRefusal,
) -> (String, String, Vec<Action>) {
    let (name, password) = (&check.url_name, &check.password_name);
    let (user, database) = (check.params.user(), check.params.dbname());
    let said = format!(
        "the pooler in front of PostgreSQL (PgBouncer) answered the login with \"{message}\" (SQLSTATE {code})"
    );
    match refusal {
        PoolerRefusal::Password => {
            // "… for user \"x\"" is the server's own text, relayed: the pooler's login to the server failed.
            let relayed = message.contains(" for user ");
            let cause = if relayed {
                format!("{said}: it relays the PostgreSQL server's refusal of the password the pooler logged in to it with for role {user}, the one {password} holds (passed through) or the pooler's own copy")
            } else {
                format!("{said}: the pooler checks the password of role {user} itself (its auth_file or auth_query) before any server is asked, and refused the one {password} holds")
            };
            (
                format!("password rejected by the pooler for role {user}"),
                cause,
                vec![
                    Action::new(
                        Priority::Critical,
                        format!("Put the role's current password in {password}; compare the masked fingerprint with the one in your secret store"),
                    ),
                    Action::new(
                        Priority::High,
                        format!("Make the pooler's copy of role {user}'s password match: its auth_file (userlist.txt) entry, or what its auth_query returns, then reload the pooler"),
                    )
                    .with_command(format!(
                        "SELECT rolname, rolpassword FROM pg_authid WHERE rolname = '{user}';   -- as a superuser on PostgreSQL: the verifier auth_file must hold\nRELOAD;   -- on PgBouncer's admin console"
                    )),
                ],
            )
        }
        PoolerRefusal::UnknownDatabase => (
            format!("the pooler has no database {database}"),
            format!(
                "{said}: its [databases] section has no entry named `{database}` and no `*` fallback, so it cannot tell which server to send the session to. The name in {name} is the pooler's entry name, which may differ from the database's name on the server"
            ),
            vec![Action::new(
                Priority::Critical,
                format!("Fix the database name in {name} to one the pooler lists, or give the pooler a [databases] entry for `{database}` and reload it"),
            )
            .with_command(format!(
                "SHOW DATABASES;   -- on PgBouncer's admin console\n# pgbouncer.ini\n[databases]\n{database} = host=<server> port=5432 dbname={database}"
            ))],
        ),
        PoolerRefusal::ServerDown => (
            "the pooler cannot log in to its PostgreSQL server".to_string(),
            format!(
                "{said}: the pooler took the connection, but its own logins to the PostgreSQL server behind it fail: that server is down or restarting, refuses the pooler in pg_hba.conf, or rejects the password the pooler logs in with. \
                 After a failed server login PgBouncer turns new clients away at once for server_login_retry (15 s by default). The network between the app and the pooler is not at fault"
            ),
            vec![Action::new(
                Priority::Critical,
                "Check the PostgreSQL server the pooler's [databases] entry points to, and the pooler's log for why its server logins fail",
            )
            .with_command(POOLER_CONSOLE)],
        ),
        PoolerRefusal::WaitTimeout => (
            "the pooler found no server connection in time (query_wait_timeout)".to_string(),
            format!(
                "{said}: the client waited longer than query_wait_timeout for a server connection: the pool's connections were all busy (default_pool_size reached), or the pooler could not log in to the server behind it"
            ),
            vec![Action::new(
                Priority::Critical,
                "Look at the pool: a full pool needs a larger default_pool_size (within the server's max_connections) or shorter transactions; no server connection at all means the server behind is down",
            )
            .with_command(POOLER_CONSOLE)],
        ),
        PoolerRefusal::ClientLimit => (
            "the pooler is full: no more connections allowed (max_client_conn)".to_string(),
            format!(
                "{said}: it already holds max_client_conn client connections, so it turns new clients away before any login. The server behind it is not asked"
            ),
            vec![Action::new(
                Priority::Critical,
                "Raise the pooler's max_client_conn (and its open-file limit), or find which clients hold the connections and shrink their pools",
            )
            .with_command("SHOW CLIENTS;   -- on PgBouncer's admin console\nSHOW CONFIG;    -- max_client_conn, default_pool_size")],
        ),
    }
}

/// Whether a further session's error (as shown) is a 53300 refusal.
pub fn is_limit(error: &str) -> bool {
    error.ends_with("(SQLSTATE 53300)")
}

/// The limit a further session's error (as shown) names, and its message.
pub fn limit_of(error: &str) -> Option<(Limit, &str)> {
    let message = error.strip_suffix(" (SQLSTATE 53300)")?;
    Some((super::conn::limit(message), message))
}

/// Further sessions through the connection string refused over a
/// connection limit while the app's first one stayed open: the limit,
/// with its counts as read on that session.
pub fn limit_refused(
    check: &PostgresCheck,
    limit: Limit,
    message: &str,
    counts: Option<&Counts>,
    sessions: (usize, usize),
    found: &mut Findings,
) {
    let told = limit_told(check, limit, message, counts);
    let now = match (limit, counts) {
        (Limit::Server | Limit::Reserved, Some(c)) => format!("; {}", c.server()),
        (Limit::Role, Some(c)) => format!("; role {}: {}", check.params.user(), c.role()),
        (Limit::Database, Some(c)) => format!("; database {}: {}", check.params.dbname(), c.database()),
        _ => String::new(),
    };
    let error = format!("{message} (SQLSTATE 53300){now}");
    sessions_refused(check, told, &error, sessions, found);
}

/// Further sessions refused by the pooler while the app's first one stayed
/// open: its limit (max_client_conn, a pool busy past query_wait_timeout).
pub fn pooler_refused(
    check: &PostgresCheck,
    refusal: PoolerRefusal,
    error: &str,
    sessions: (usize, usize),
    found: &mut Findings,
) {
    let message = error.strip_suffix(POOLER_SUFFIX).unwrap_or(error);
    let (summary, cause, actions) = pooler_told(check, "08P01", message, refusal);
    let code = code_of(&ConnectError::Pooler { code: "08P01".into(), message: message.into(), refusal });
    sessions_refused(check, Told { code, summary, cause, actions }, error, sessions, found);
}

fn sessions_refused(
    check: &PostgresCheck,
    told: Told,
    error: &str,
    (tried, landed): (usize, usize),
    found: &mut Findings,
) {
    let name = &check.url_name;
    let verb = if landed == 1 { "opens" } else { "open" };
    let cause = format!(
        "{} of the {tried} sessions opened at once through {name}, as an app's pool opens them, were refused: {}",
        tried - landed,
        told.cause
    );
    found.fail(
        told.code,
        format!("only {landed} of {tried} sessions {verb} through {name}: {error}"),
        cause,
        told.actions,
    );
}

/// How a pooler's refusal ends once shown ([`ConnectError::Pooler`]).
const POOLER_SUFFIX: &str = " (SQLSTATE 08P01, from the pooler)";

/// The pooler refusal a further session's error (as shown) is, if any.
pub fn pooler_of(error: &str) -> Option<PoolerRefusal> {
    let message = error.strip_suffix(POOLER_SUFFIX)?;
    super::conn::pooler_refusal(&tokio_postgres::error::SqlState::PROTOCOL_VIOLATION, message)
}

#[cfg(test)]
mod tests {
    use super::super::{diagnose, ConnParams, Endpoint, Expect, Landing, ServerFacts};
    use super::*;
    use crate::report::{Outcome, Status};
    use std::time::Duration;

    fn check() -> PostgresCheck {
        PostgresCheck {
            params: ConnParams::parse("postgresql://app:pw@10.0.0.10:6432/keybuzz", &Default::default()).unwrap(),
            url_name: "DATABASE_URL".into(),
            password_name: "DATABASE_URL".into(),
            nodes_name: "KBZ_PG_NODES".into(),
            expect: Expect::Leader,
            members: Vec::new(),
            max_lag: Duration::from_secs(30),
            sessions: 5,
        }
    }

    fn failed(error: ConnectError) -> Outcome {
        let outcome = diagnose::diagnose(&check(), &Landing::ConnectFailed { error, passed_over: vec![] }, &[], &[]);
        assert_eq!(outcome.status, Status::Fail);
        assert_eq!(outcome.findings.len(), 1, "{:?}", outcome.findings);
        outcome
    }

    fn actions(outcome: &Outcome) -> String {
        outcome.actions.iter().map(|a| format!("{}\n{}", a.text, a.command.as_deref().unwrap_or(""))).collect()
    }

    #[test]
    fn a_reject_line_asks_to_reorder_or_remove_it_not_to_add_a_rule() {
        let message =
            "pg_hba.conf rejects connection for host \"127.0.0.1\", user \"app\", database \"keybuzz\", no encryption";
        let outcome = failed(ConnectError::Rejected { message: message.into(), why: Rejection::HbaReject });
        assert_eq!(outcome.findings[0].code, codes::AUTH_HBA_REJECT);
        let cause = outcome.causes.join("\n");
        assert!(cause.contains("first pg_hba.conf line") && cause.contains("`reject` line"), "{cause}");
        let told = actions(&outcome);
        assert!(told.contains("Move the line") && told.contains("remove"), "{told}");
        assert!(!told.to_lowercase().contains("add "), "adding a rule after a reject line changes nothing: {told}");

        let message = "no pg_hba.conf entry for host \"127.0.0.1\", user \"app\", database \"keybuzz\", no encryption";
        let outcome = failed(ConnectError::Rejected { message: message.into(), why: Rejection::NoHbaEntry });
        assert_eq!(outcome.findings[0].code, codes::AUTH_LOGIN_REJECTED);
        assert!(actions(&outcome).starts_with("Add a pg_hba.conf line"), "{}", actions(&outcome));

        let outcome = failed(ConnectError::Rejected {
            message: "role \"app\" does not exist".into(),
            why: Rejection::NoSuchRole,
        });
        assert_eq!(outcome.findings[0].code, codes::AUTH_ROLE_MISSING);
        assert!(actions(&outcome).contains("CREATE ROLE app LOGIN;"), "{}", actions(&outcome));

        // Localized (lc_messages = de): only the SQLSTATE is read, every cause is named.
        let message = "pg_hba.conf lehnt Verbindung ab für Host »127.0.0.1«, Benutzer »app«";
        let outcome = failed(ConnectError::Rejected { message: message.into(), why: Rejection::Unknown });
        assert_eq!(outcome.findings[0].code, codes::AUTH_LOGIN_REJECTED);
        assert!(outcome.causes[0].contains("`reject` line") && outcome.causes[0].contains("does not exist"));
    }

    #[test]
    fn each_connection_limit_has_its_own_advice() {
        let limit = |limit, message: &str| failed(ConnectError::TooManyConnections { message: message.into(), limit });
        let outcome = limit(Limit::Server, "sorry, too many clients already");
        assert_eq!(outcome.findings[0].code, codes::CONNECTIONS_SERVER_FULL);
        assert!(actions(&outcome).contains("max_connections"), "{}", actions(&outcome));
        let outcome = limit(Limit::Role, "too many connections for role \"app\"");
        assert_eq!(outcome.findings[0].code, codes::CONNECTIONS_ROLE_LIMIT);
        assert_eq!(outcome.summary, "role app is at its connection limit");
        assert!(actions(&outcome).contains("ALTER ROLE app CONNECTION LIMIT <n>;"), "{}", actions(&outcome));
        let outcome = limit(Limit::Database, "too many connections for database \"keybuzz\"");
        assert_eq!(outcome.findings[0].code, codes::CONNECTIONS_DATABASE_LIMIT);
        assert!(actions(&outcome).contains("ALTER DATABASE keybuzz CONNECTION LIMIT <n>;"), "{}", actions(&outcome));
    }

    /// The app's session open, the sampler's refused by the role's limit:
    /// the counts read on the open session are quoted.
    #[test]
    fn refused_further_sessions_quote_the_counts() {
        let counts = Counts {
            max_connections: 30,
            reserved: 3,
            sessions: 4,
            role_limit: 1,
            role_sessions: 1,
            database_limit: -1,
            database_sessions: 2,
        };
        let facts = ServerFacts {
            user: "app".into(),
            database: "keybuzz".into(),
            counts: Some(counts),
            ..ServerFacts::default()
        };
        let landing = Landing::Connected {
            endpoint: Endpoint::parse("10.0.0.10:6432").unwrap(),
            passed_over: vec![],
            facts: Box::new(facts),
        };
        let refused = || Err("too many connections for role \"app\" (SQLSTATE 53300)".to_string());
        let outcome = diagnose::diagnose(&check(), &landing, &[], &[refused(), refused(), refused(), refused()]);
        assert_eq!(outcome.status, Status::Fail);
        assert_eq!(outcome.findings[0].code, codes::CONNECTIONS_ROLE_LIMIT);
        assert_eq!(
            outcome.summary,
            "only 1 of 5 sessions opens through DATABASE_URL: too many connections for role \"app\" (SQLSTATE 53300); role app: CONNECTION LIMIT 1; it holds 1 session"
        );
        assert!(outcome.causes[0].starts_with("4 of the 5 sessions"), "{}", outcome.causes[0]);
        assert!(actions(&outcome)
            .contains("ALTER ROLE app CONNECTION LIMIT <n>;   -- as a superuser or CREATEROLE (now 1)"));

        // Refused otherwise: the routing's own finding stays.
        let gone = || Err("connection refused by 10.0.0.10:6432".to_string());
        let outcome = diagnose::diagnose(&check(), &landing, &[], &[gone(), gone()]);
        assert_eq!(outcome.findings[0].code, codes::ROUTING_SESSIONS_FAILED);
    }

    #[test]
    fn a_pooler_refusing_the_password_names_the_variable_and_its_own_copy() {
        let pooler = |message: &str, refusal| {
            failed(ConnectError::Pooler { code: "08P01".into(), message: message.into(), refusal })
        };
        let outcome = pooler("SASL authentication failed", PoolerRefusal::Password);
        assert_eq!(outcome.findings[0].code, codes::AUTH_PASSWORD_REJECTED);
        assert_eq!(outcome.summary, "password rejected by the pooler for role app");
        assert!(outcome.causes[0].contains("the one DATABASE_URL holds") && outcome.causes[0].contains("auth_file"));
        let told = actions(&outcome);
        assert!(
            told.contains("Put the role's current password in DATABASE_URL") && told.contains("auth_file"),
            "{told}"
        );
        let outcome = pooler("password authentication failed for user \"app\"", PoolerRefusal::Password);
        assert!(outcome.causes[0].contains("relays the PostgreSQL server's refusal"), "{}", outcome.causes[0]);

        let outcome = pooler("no such database: keybuzz", PoolerRefusal::UnknownDatabase);
        assert_eq!(outcome.findings[0].code, codes::POOLER_DATABASE_UNKNOWN);
        assert!(outcome.causes[0].contains("[databases]") && outcome.causes[0].contains("`*` fallback"));

        let outcome =
            pooler("server login has been failing, try again later (server_login_retry)", PoolerRefusal::ServerDown);
        assert_eq!(outcome.findings[0].code, codes::POOLER_SERVER_DOWN);
        assert!(outcome.causes[0].contains("not at fault") && !outcome.causes[0].contains("firewall"));

        let outcome = pooler("no more connections allowed (max_client_conn)", PoolerRefusal::ClientLimit);
        assert_eq!(outcome.findings[0].code, codes::POOLER_POOL_FULL);
        assert!(actions(&outcome).contains("max_client_conn"));
        let outcome = pooler("query_wait_timeout", PoolerRefusal::WaitTimeout);
        assert!(actions(&outcome).contains("default_pool_size"));
    }

    #[test]
    fn a_held_login_is_the_pooler_or_server_not_the_network() {
        let outcome = failed(ConnectError::LoginHeld {
            endpoint: "10.0.0.10:6432".into(),
            waited: "8s".into(),
            at: HeldAt::Password,
        });
        assert_eq!(outcome.findings[0].code, codes::POOLER_LOGIN_HELD);
        let cause = &outcome.causes[0];
        assert!(cause.contains("asked for the password, got it") && cause.contains("for 8s"), "{cause}");
        assert!(cause.contains("server behind the pooler is down") && !cause.contains("packets"), "{cause}");
        let outcome = failed(ConnectError::LoginHeld {
            endpoint: "10.0.0.10:6432".into(),
            waited: "8s".into(),
            at: HeldAt::FirstQuery,
        });
        assert_eq!(
            outcome.summary,
            "10.0.0.10:6432 finished the login, took the first query and held the session: no server session came behind it"
        );
        assert!(outcome.causes[0].contains("the first read-only query got no answer for 8s"), "{}", outcome.causes[0]);
    }
}
