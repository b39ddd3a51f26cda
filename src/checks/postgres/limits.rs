//! The connection limits and the sessions that count against them, read on
//! the app's open session when further ones were refused with SQLSTATE
//! 53300, so the advice can quote them. Read-only: pg_settings, pg_roles,
//! pg_database and pg_stat_activity's user and database columns are
//! readable by every role.

use tokio_postgres::{Client, SimpleQueryMessage};

pub const COUNTS: &str = "SELECT current_setting('max_connections'), \
current_setting('superuser_reserved_connections'), \
(SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'), \
r.rolconnlimit, \
(SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND usename = current_user), \
d.datconnlimit, \
(SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND datname = current_database()) \
FROM pg_roles r, pg_database d WHERE r.rolname = current_user AND d.datname = current_database()";

/// What [`COUNTS`] answered; a limit of -1 is none (PostgreSQL's own value).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub max_connections: i64,
    pub reserved: i64,
    /// Client sessions open on the server, all roles.
    pub sessions: i64,
    pub role_limit: i64,
    pub role_sessions: i64,
    pub database_limit: i64,
    pub database_sessions: i64,
}

impl Counts {
    /// `max_connections = 30, 3 of them reserved for superusers; 27 client sessions open`.
    pub fn server(&self) -> String {
        format!(
            "max_connections = {}, {} of them reserved for superusers (superuser_reserved_connections); {} open",
            self.max_connections,
            self.reserved,
            sessions(self.sessions).replace("session", "client session")
        )
    }

    /// `CONNECTION LIMIT 1; it holds 1 session`.
    pub fn role(&self) -> String {
        format!("{}; it holds {}", limit(self.role_limit), sessions(self.role_sessions))
    }

    pub fn database(&self) -> String {
        format!("{}; it holds {}", limit(self.database_limit), sessions(self.database_sessions))
    }
}

fn limit(value: i64) -> String {
    if value < 0 {
        "no CONNECTION LIMIT (-1)".to_string()
    } else {
        format!("CONNECTION LIMIT {value}")
    }
}

fn sessions(n: i64) -> String {
    if n == 1 {
        "1 session".to_string()
    } else {
        format!("{n} sessions")
    }
}

/// Asks [`COUNTS`] on an open session.
pub async fn read(client: &Client) -> Result<Counts, String> {
    let messages = client.simple_query(COUNTS).await.map_err(|e| crate::errors::describe(&e))?;
    let row = messages
        .iter()
        .find_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(row),
            _ => None,
        })
        .ok_or("no row")?;
    let number = |i: usize| row.get(i).and_then(|v| v.parse::<i64>().ok()).ok_or(format!("column {i} is not a number"));
    Ok(Counts {
        max_connections: number(0)?,
        reserved: number(1)?,
        sessions: number(2)?,
        role_limit: number(3)?,
        role_sessions: number(4)?,
        database_limit: number(5)?,
        database_sessions: number(6)?,
    })
}
