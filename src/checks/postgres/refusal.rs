//! Why a session was refused, told as a finding: the login refusals of
//! PostgreSQL and of a pooler in front of it, and the failures on the way
//! there. Pure: unit-tested without a server.

use super::codes;
use super::guard::{size, Violation, MAX_MESSAGE_BYTES};
use super::{ConnectError, PostgresCheck};
use crate::checks::findings::Findings;
use crate::checks::peer_bytes::service_hint;
use crate::code::Code;
use crate::http::TlsProblem;
use crate::report::{Action, Priority};

pub fn connect_failure(check: &PostgresCheck, error: &ConnectError, found: &mut Findings) {
    let (name, password) = (&check.url_name, &check.password_name);
    let (summary, cause, action) = match error {
        ConnectError::Dns { host, .. } => (
            format!("cannot resolve {host}"),
            format!("the host `{host}` in {name} does not resolve from where kbz-check runs: a typo, or a name known only inside another network (a Kubernetes service, an internal DNS zone)"),
            Action::new(Priority::Critical, format!("Check the host in {name} and resolve it from where the app runs"))
                .with_command(format!("getent hosts {host}")),
        ),
        ConnectError::Refused { endpoint } => (
            format!("connection refused by {endpoint}"),
            format!("nothing listens on {endpoint}: PostgreSQL is stopped there, or listens on another port or address (listen_addresses)"),
            Action::new(Priority::Critical, format!("Start PostgreSQL on that host, or fix the port in {name}"))
                .with_command("systemctl status postgresql; pg_lsclusters"),
        ),
        ConnectError::Network { endpoint, detail, .. } => (
            format!("cannot reach {endpoint}: {detail}"),
            format!("the network path from here to {endpoint} fails ({detail}): a route, firewall or security group is in the way"),
            Action::new(Priority::Critical, format!("Check the route and firewall between the app and {endpoint}")),
        ),
        ConnectError::TlsNotOffered { endpoint } => (
            format!("{endpoint} does not offer TLS"),
            format!("sslmode={} requires TLS, but the server at {endpoint} runs with ssl = off", check.params.tls.name()),
            Action::new(Priority::High, "Turn TLS on in the server (ssl = on with a certificate), or lower sslmode to prefer where plain text is acceptable"),
        ),
        ConnectError::Tls { endpoint, detail, issuer, .. } => (
            format!("TLS with {endpoint} failed"),
            format!(
                "the TLS handshake with {endpoint} failed under sslmode={}: {detail}{}",
                check.params.tls.name(),
                issuer.as_ref().map_or(String::new(), |issuer| format!(" (its certificate's issuer: {issuer})"))
            ),
            Action::new(Priority::High, "Set sslrootcert to the CA that signed the server's certificate, or use sslmode=require if the certificate need not be verified"),
        ),
        ConnectError::TlsSetup { detail } => (
            format!("cannot set up TLS: {detail}"),
            format!("the TLS settings of {name} cannot be used: {detail}"),
            Action::new(Priority::High, "Point sslrootcert at a readable PEM file of CA certificates"),
        ),
        ConnectError::BadPassword { user } => (
            format!("password rejected for role {user}"),
            format!("the server refused the password of role {user} (SQLSTATE 28P01): {password} holds a wrong or outdated password"),
            Action::new(Priority::Critical, format!("Put the role's current password in {password}; compare the masked fingerprint with the one in your secret store")),
        ),
        ConnectError::NoPassword => (
            "no password configured".to_string(),
            format!("the server asks for a password and {password} carries none"),
            Action::new(Priority::Critical, format!("Set the password in {password}")),
        ),
        ConnectError::Rejected { message } => (
            format!("login rejected: {message}"),
            format!("the server rejected the login (SQLSTATE 28000): {message}. The role does not exist, or pg_hba.conf has no rule for this client, user and database"),
            Action::new(Priority::Critical, "Create the role, or add a pg_hba.conf rule for this client and reload PostgreSQL")
                .with_command("SELECT pg_reload_conf();"),
        ),
        ConnectError::UnknownDatabase { database } => (
            format!("database {database} does not exist"),
            format!("{name} names database `{database}`, which this server does not have (SQLSTATE 3D000)"),
            Action::new(Priority::Critical, format!("Fix the database name in {name}, or create the database")).with_command("psql -l"),
        ),
        ConnectError::NoReadWriteHost => (
            "no host accepts writes (target_session_attrs=read-write)".to_string(),
            format!("every host of {name} answered, and every one is read-only: there is no leader among them, so the app cannot open a read-write session"),
            Action::new(Priority::Critical, format!("Promote a replica (or let the HA manager do it), or add the leader to {name}")),
        ),
        ConnectError::Server { code, message } => (
            format!("server refused the session: {message}"),
            format!("the server answered the login with SQLSTATE {code}: {message}"),
            Action::new(Priority::Critical, "Read the server log for this SQLSTATE"),
        ),
        ConnectError::Protocol { detail } => (
            format!("not a PostgreSQL answer: {detail}"),
            format!("what answers there does not speak the PostgreSQL protocol as expected: {detail}"),
            Action::new(Priority::Critical, format!("Check that {name} names a PostgreSQL server and port")),
        ),
        ConnectError::NotPostgres { endpoint, violation } => (
            error.to_string(),
            format!("what answers at {endpoint} does not speak the PostgreSQL protocol: {violation}{}", what_it_tells(violation)),
            Action::new(Priority::Critical, format!("Point {name} at the PostgreSQL server's port (5432 by default, 6432 for PgBouncer)")),
        ),
    };
    match error {
        ConnectError::Tls { problem: TlsProblem::Untrusted, issuer: Some(issuer), .. } => {
            found.untrusted(code_of(error), issuer.clone(), summary, cause, vec![action])
        }
        _ => found.fail(code_of(error), summary, cause, vec![action]),
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
        ConnectError::Rejected { .. } => codes::AUTH_LOGIN_REJECTED,
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
