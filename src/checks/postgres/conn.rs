//! Connecting the way libpq would: the connection string's hosts in order,
//! its `sslmode` and `sslrootcert`, `target_session_attrs=read-write`; each
//! failure classified by the step it happened at.

use super::super::Context;
use super::guard::{Guarded, HeldSlot, ObserveTls, Startup, StartupSlot, Violation};
use crate::checks::stall::{Peer, Tap, Tapped};
use crate::conninfo::{self, ConninfoError};
use crate::errors;
use crate::http::{tls_problem, TlsProblem};
use crate::secret::Secret;
use crate::tls::{self, Seen, SeenSlot, Verify};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use tokio_postgres::config::{Host, SslMode, TargetSessionAttrs};
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config};
use tokio_postgres_rustls::MakeRustlsConnect;

/// libpq's `sslmode` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl TlsMode {
    fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "disable" => TlsMode::Disable,
            // `allow` tries plain text first; TLS-if-offered is the closest safe reading.
            "allow" | "prefer" => TlsMode::Prefer,
            "require" => TlsMode::Require,
            "verify-ca" => TlsMode::VerifyCa,
            "verify-full" => TlsMode::VerifyFull,
            _ => return None,
        })
    }

    /// What tokio-postgres negotiates; verification is the rustls verifier's job.
    fn ssl_mode(self) -> SslMode {
        match self {
            TlsMode::Disable => SslMode::Disable,
            TlsMode::Prefer => SslMode::Prefer,
            TlsMode::Require | TlsMode::VerifyCa | TlsMode::VerifyFull => SslMode::Require,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TlsMode::Disable => "disable",
            TlsMode::Prefer => "prefer",
            TlsMode::Require => "require",
            TlsMode::VerifyCa => "verify-ca",
            TlsMode::VerifyFull => "verify-full",
        }
    }
}

/// A validated connection string.
#[derive(Clone)]
pub struct ConnParams {
    pub config: Config,
    pub tls: TlsMode,
    pub root_cert: Option<PathBuf>,
    /// Options meant for other clients (Prisma's `schema`, `pgbouncer`, ...): set aside, shown as evidence.
    pub unused: Vec<String>,
    /// How the URL was read where clients differ (an unencoded `@`, a
    /// `#`), and what the service file gave, shown as evidence. Never
    /// quotes a value that may be secret.
    pub notes: Vec<String>,
    /// The connection string's own `service` and `passfile` (libpq's files).
    pub service: Option<String>,
    pub passfile: Option<String>,
}

/// What libpq falls back to when the connection string leaves a part out:
/// its PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE variables.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fallbacks<'a> {
    pub host: Option<&'a str>,
    pub port: Option<u16>,
    pub user: Option<&'a str>,
    pub password: Option<&'a Secret>,
    pub dbname: Option<&'a str>,
    pub sslmode: Option<&'a str>,
}

/// Connection options handled here rather than by tokio-postgres, which
/// knows only disable/prefer/require.
const TLS_KEYS: [&str; 2] = ["sslmode", "sslrootcert"];

/// libpq's files, read here ([`super::libpq_files`]): tokio-postgres reads neither.
const FILE_KEYS: [&str; 2] = ["service", "passfile"];

/// Options tokio-postgres understands; any other is set aside, not refused,
/// so the app's own URL works whatever driver it was written for.
const DRIVER_KEYS: [&str; 17] = [
    "user",
    "password",
    "dbname",
    "options",
    "application_name",
    "host",
    "hostaddr",
    "port",
    "connect_timeout",
    "tcp_user_timeout",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_retries",
    "target_session_attrs",
    "channel_binding",
    "load_balance_hosts",
];

impl ConnParams {
    /// Parses a URL (`postgresql://...`) or keyword/value (`host=... port=...`)
    /// connection string, possibly empty, filling what it leaves out from
    /// `fallbacks` as libpq would. Errors never quote the string (it holds a password).
    pub fn parse(dsn: &str, fallbacks: &Fallbacks) -> Result<Self, String> {
        refuse_other_schemes(dsn)?;
        let (dsn, notes) = as_whatwg_reads(dsn)?;
        Self::parse_read(&dsn, fallbacks, notes)
    }

    fn parse_read(dsn: &str, fallbacks: &Fallbacks, notes: Vec<String>) -> Result<Self, String> {
        let mut split = split_options(dsn)?;
        if let Some(port) = fallbacks.port {
            // tokio-postgres gives a URL without ports 5432 at once; libpq would take PGPORT.
            split.rest = with_default_port(&split.rest, port);
        }
        // tokio-postgres's parse errors name the option, never its value.
        let mut config = Config::from_str(&split.rest).map_err(|e| {
            let mut message = errors::describe(&e);
            if !notes.is_empty() {
                message.push_str(&format!(
                    " ({}: a `/`, `?` or `#` in the password ends the host part for the WHATWG URL parser \
                     node-postgres and Prisma use; percent-encode them as %2F, %3F, %23)",
                    notes.join("; ")
                ));
            }
            message
        })?;
        let mut sslmode = fallbacks.sslmode.map(str::to_string);
        let mut root_cert = None;
        let (mut service, mut passfile) = (None, None);
        for (key, value) in split.tls {
            match key.as_str() {
                "sslmode" => sslmode = Some(value),
                "service" => service = Some(value),
                "passfile" => passfile = Some(value),
                _ => root_cert = Some(PathBuf::from(value)).filter(|p| p.as_os_str() != "system"),
            }
        }
        let tls = match sslmode.as_deref() {
            None => TlsMode::Prefer,
            Some(mode) => TlsMode::parse(mode).ok_or_else(|| {
                format!("sslmode `{mode}` is not one of disable, allow, prefer, require, verify-ca, verify-full")
            })?,
        };
        if config.get_hosts().is_empty() {
            for host in fallbacks.host.unwrap_or("localhost").split(',') {
                config.host(host.trim());
            }
        }
        if let (true, Some(port)) = (config.get_ports().is_empty(), fallbacks.port) {
            config.port(port);
        }
        if let (None, Some(user)) = (config.get_user(), fallbacks.user) {
            config.user(user);
        }
        if let (None, Some(password)) = (config.get_password(), fallbacks.password) {
            config.password(password.expose());
        }
        if let (None, Some(dbname)) = (config.get_dbname(), fallbacks.dbname) {
            config.dbname(dbname);
        }
        config.ssl_mode(tls.ssl_mode());
        Ok(Self { config, tls, root_cert, unused: split.unused, notes, service, passfile })
    }

    pub fn user(&self) -> &str {
        self.config.get_user().unwrap_or_default()
    }

    pub fn dbname(&self) -> &str {
        self.config.get_dbname().unwrap_or_else(|| self.user())
    }

    pub fn password(&self) -> Option<Secret> {
        self.config.get_password().map(|p| Secret::new(String::from_utf8_lossy(p)))
    }

    /// verify-ca / verify-full without `sslrootcert` (or with `sslrootcert=system`).
    pub fn uses_system_roots(&self) -> bool {
        matches!(self.tls, TlsMode::VerifyCa | TlsMode::VerifyFull) && self.root_cert.is_none()
    }

    pub fn wants_read_write(&self) -> bool {
        self.config.get_target_session_attrs() == TargetSessionAttrs::ReadWrite
    }

    /// The hosts in order, each with its port (libpq: one port for all, or one each).
    pub fn endpoints(&self) -> Vec<Endpoint> {
        let ports = self.config.get_ports();
        self.config
            .get_hosts()
            .iter()
            .enumerate()
            .map(|(i, host)| {
                let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
                let host = match host {
                    Host::Tcp(name) => name.clone(),
                    #[cfg(unix)]
                    Host::Unix(path) => path.display().to_string(),
                };
                Endpoint { host, port }
            })
            .collect()
    }

    /// The same credentials, database and TLS mode, aimed at another member.
    pub fn for_endpoint(&self, endpoint: &Endpoint) -> Self {
        let mut config = Config::new();
        config
            .host(&endpoint.host)
            .port(endpoint.port)
            .user(self.user())
            .dbname(self.dbname())
            .ssl_mode(self.config.get_ssl_mode());
        if let Some(password) = self.config.get_password() {
            config.password(password);
        }
        Self {
            config,
            tls: self.tls,
            root_cert: self.root_cert.clone(),
            unused: Vec::new(),
            notes: Vec::new(),
            service: None,
            passfile: None,
        }
    }

    /// A password found elsewhere (libpq's password file).
    pub fn set_password(&mut self, password: &Secret) {
        self.config.password(password.expose());
    }
}

/// One host:port of a connection string (a Unix socket directory as host).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
}

impl Endpoint {
    /// `host:port`, `[v6]:port`, or `host` with the default port 5432.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not host:port");
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (host, after) = rest.split_once(']').ok_or_else(bad)?;
            (host, after.strip_prefix(':'))
        } else {
            match text.rsplit_once(':') {
                Some((host, port)) if !host.contains(':') => (host, Some(port)),
                _ => (text, None),
            }
        };
        let port = match port {
            Some(p) => p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(bad)?,
            None => 5432,
        };
        if host.is_empty() {
            return Err(bad());
        }
        Ok(Self { host: host.to_string(), port })
    }

    fn is_socket(&self) -> bool {
        self.host.starts_with('/')
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Why a connection failed, by the step it failed at.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot resolve host `{host}`: {detail}")]
    Dns { host: String, detail: String },
    #[error("connection refused by {endpoint}")]
    Refused { endpoint: String },
    /// `kind` tells a timeout from a missing route from another fault.
    #[error("cannot reach {endpoint}: {detail}")]
    Network { endpoint: String, detail: String, kind: std::io::ErrorKind },
    /// `issuer`: for a certificate refused as untrusted, its issuer's name.
    #[error("TLS with {endpoint} failed: {detail}")]
    Tls { endpoint: String, detail: String, problem: TlsProblem, issuer: Option<String> },
    #[error("{endpoint} does not offer TLS")]
    TlsNotOffered { endpoint: String },
    #[error("no host accepts a read-write session")]
    NoReadWriteHost,
    #[error("cannot set up TLS: {detail}")]
    TlsSetup { detail: String },
    #[error("password authentication failed for user `{user}` (SQLSTATE 28P01)")]
    BadPassword { user: String },
    #[error("the server asks for a password and none is configured")]
    NoPassword,
    /// SQLSTATE 28000; `why` read from the message when it is not localized.
    #[error("{message} (SQLSTATE 28000)")]
    Rejected { message: String, why: Rejection },
    /// SQLSTATE 53300; `limit` read from the message when it is not localized.
    #[error("{message} (SQLSTATE 53300)")]
    TooManyConnections { message: String, limit: Limit },
    /// A pooler (PgBouncer) refused the login in its own words, which it
    /// sends as SQLSTATE 08P01.
    #[error("{message} (SQLSTATE {code}, from the pooler)")]
    Pooler { code: String, message: String, refusal: PoolerRefusal },
    /// The peer took the password, or finished the login and took the
    /// first query, then held the session without an answer: what a pooler
    /// does while it waits for a server connection.
    #[error("{endpoint} {} and gave no answer in {waited}", at.what())]
    LoginHeld { endpoint: String, waited: String, at: HeldAt },
    #[error("database `{database}` does not exist (SQLSTATE 3D000)")]
    UnknownDatabase { database: String },
    #[error("{message} (SQLSTATE {code})")]
    Server { code: String, message: String },
    #[error("{detail}")]
    Protocol { detail: String },
    #[error("{endpoint} is not a PostgreSQL server: {violation}")]
    NotPostgres { endpoint: String, violation: Violation },
}

/// Where a held session stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeldAt {
    /// It asked for the password and got it.
    Password,
    /// It finished the login (ReadyForQuery) and got the first query: a
    /// pooler that had a server's start-up parameters cached answers the
    /// login itself, and waits for a server connection at the first query.
    FirstQuery,
}

impl HeldAt {
    pub fn what(self) -> &'static str {
        match self {
            HeldAt::Password => "took the password",
            HeldAt::FirstQuery => "finished the login, took the first query",
        }
    }
}

/// Which pg_hba.conf or role rule refused a login (SQLSTATE 28000).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// A `reject` line matched first: "pg_hba.conf rejects connection for host …".
    HbaReject,
    /// No line matched: "no pg_hba.conf entry for host …".
    NoHbaEntry,
    /// "role \"…\" does not exist".
    NoSuchRole,
    /// "role \"…\" is not permitted to log in" (NOLOGIN).
    CannotLogin,
    /// Another text, or a localized one (lc_messages).
    Unknown,
}

/// Which connection limit refused a session (SQLSTATE 53300).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// "sorry, too many clients already": max_connections.
    Server,
    /// "remaining connection slots are reserved for …": the slots left are
    /// superuser_reserved_connections (or reserved_connections, PostgreSQL 16).
    Reserved,
    /// "too many connections for role \"…\"": the role's CONNECTION LIMIT.
    Role,
    /// "too many connections for database \"…\"": the database's CONNECTION LIMIT.
    Database,
    /// Another text, or a localized one.
    Unknown,
}

/// What a PgBouncer refusal says, from its source (src/client.c,
/// src/objects.c, src/janitor.c; 1.12 to 1.24 wordings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolerRefusal {
    /// "password authentication failed" / "SASL authentication failed": the
    /// pooler checked the password itself (auth_file, auth_query); with
    /// "… for user \"…\"" it relays the server's refusal of the password it
    /// logged in with.
    Password,
    /// "no such database: …": no entry in [databases] and no `*` fallback.
    UnknownDatabase,
    /// The pooler cannot log in to its server: "server login has been failing,
    /// try again later (server_login_retry)", "pgbouncer cannot connect to
    /// server" (before 1.17), "client_login_timeout (server down)",
    /// "server login failed: …".
    ServerDown,
    /// "query_wait_timeout": no server connection came free in time.
    WaitTimeout,
    /// "no more connections allowed (max_client_conn)".
    ClientLimit,
}

/// A logged-in session and where it landed.
pub struct Session {
    pub client: Client,
    pub endpoint: Endpoint,
    /// Hosts tried before this one and why they were passed over.
    pub passed_over: Vec<(Endpoint, String)>,
    /// What kbz-check's own connection saw on its way in.
    pub wire: Wire,
}

/// What kbz-check's own connection saw: the address it reached, what the
/// peer's start-up said, and its TLS. Compared with what the server says
/// about the session, it tells a direct connection from one through a
/// pooler or a forwarder.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Wire {
    /// The address connected to (none over a Unix socket).
    pub peer: Option<std::net::SocketAddr>,
    pub startup: Startup,
    /// None when the session is in plain text.
    pub tls: Option<TlsSeen>,
}

/// The TLS of kbz-check's own connection, as its handshake went.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsSeen {
    /// `TLSv1.2`, `TLSv1.3`.
    pub version: Option<&'static str>,
    /// The issuer of the certificate the peer presented.
    pub issuer: Option<String>,
    /// What the certificate was verified against (`sslrootcert /etc/ssl/db-ca.pem`,
    /// `the system roots`), under verify-ca or verify-full; None when it was not verified.
    pub verified_against: Option<String>,
}

/// Connects to the first usable host, as libpq does with a host list. With
/// `ctx`, each step is named so a timeout can say where it stopped.
pub async fn connect(
    params: &ConnParams,
    ctx: Option<&Context>,
) -> Result<Session, (ConnectError, Vec<(Endpoint, String)>)> {
    let (tls, seen) = tls_connector(params).map_err(|detail| (ConnectError::TlsSetup { detail }, Vec::new()))?;
    let endpoints = params.endpoints();
    let mut passed_over = Vec::new();
    let mut last_error = None;
    for endpoint in endpoints {
        *lock(&seen) = Seen::default();
        match connect_one(params, &endpoint, tls.clone(), ctx).await.map_err(|err| with_issuer(err, &seen)) {
            Ok((client, mut wire)) => {
                if params.wants_read_write() && is_read_only(&client).await {
                    passed_over.push((endpoint, "read-only (target_session_attrs=read-write)".to_string()));
                    continue;
                }
                wire.tls = tls_seen(params, &lock(&seen));
                return Ok(Session { client, endpoint, passed_over, wire });
            }
            Err(err) => {
                passed_over.push((endpoint, err.to_string()));
                last_error = Some(err);
            }
        }
    }
    let err = last_error.unwrap_or(ConnectError::NoReadWriteHost);
    // The last host's failure is the error itself; list only the others.
    if matches!(passed_over.last(), Some((_, reason)) if *reason == err.to_string()) {
        passed_over.pop();
    }
    Err((err, passed_over))
}

/// A certificate refused as untrusted, with its issuer's name as the
/// handshake saw it: root causes join the checks that fail on one unknown CA.
fn with_issuer(err: ConnectError, seen: &SeenSlot) -> ConnectError {
    match err {
        ConnectError::Tls { endpoint, detail, problem: TlsProblem::Untrusted, issuer: None } => {
            let issuer = lock(seen).certificate().map(|cert| cert.issuer);
            ConnectError::Tls { endpoint, detail, problem: TlsProblem::Untrusted, issuer }
        }
        other => other,
    }
}

/// The handshake's record, when there was one: a certificate seen means TLS
/// went through, since a refused one fails the connection.
fn tls_seen(params: &ConnParams, seen: &Seen) -> Option<TlsSeen> {
    seen.leaf.as_ref()?;
    let verified_against = match params.tls {
        TlsMode::VerifyCa | TlsMode::VerifyFull => Some(match &params.root_cert {
            Some(path) => format!("sslrootcert {}", path.display()),
            None => "the system roots".to_string(),
        }),
        TlsMode::Disable | TlsMode::Prefer | TlsMode::Require => None,
    };
    Some(TlsSeen { version: seen.version, issuer: seen.certificate().map(|c| c.issuer), verified_against })
}

fn lock(seen: &SeenSlot) -> std::sync::MutexGuard<'_, Seen> {
    seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn is_read_only(client: &Client) -> bool {
    match client.simple_query("SHOW transaction_read_only").await {
        Ok(messages) => super::probe::first_value(&messages).as_deref() == Some("on"),
        Err(_) => true,
    }
}

fn note(ctx: Option<&Context>, step: impl FnOnce() -> String) {
    if let Some(ctx) = ctx {
        ctx.step(step());
    }
}

async fn connect_one(
    params: &ConnParams,
    endpoint: &Endpoint,
    mut tls: MakeRustlsConnect,
    ctx: Option<&Context>,
) -> Result<(Client, Wire), ConnectError> {
    let mut config = params.config.clone();
    if endpoint.is_socket() {
        #[cfg(unix)]
        {
            let path = format!("{}/.s.PGSQL.{}", endpoint.host, endpoint.port);
            note(ctx, || format!("connecting to socket {path}"));
            let stream = tokio::net::UnixStream::connect(&path).await.map_err(|e| io_error(endpoint, e))?;
            // libpq never negotiates TLS over a Unix socket.
            config.ssl_mode(SslMode::Disable);
            note(ctx, || format!("logging in over {path}"));
            return finish(&config, stream, &mut tls, endpoint, params, None, hold_budget(ctx))
                .await
                .map(|(client, startup)| (client, Wire { startup, ..Wire::default() }));
        }
    }
    note(ctx, || format!("resolving {}", endpoint.host));
    let addrs: Vec<_> = tokio::net::lookup_host((endpoint.host.as_str(), endpoint.port))
        .await
        .map_err(|e| ConnectError::Dns { host: endpoint.host.clone(), detail: e.to_string() })?
        .collect();
    let mut last = None;
    for (i, &addr) in addrs.iter().enumerate() {
        note(ctx, || format!("connecting to {endpoint} ({addr})"));
        if let Some(ctx) = ctx {
            ctx.peer_gone();
        }
        let began = std::time::Instant::now();
        // Within the check, the addresses left share its connect budget: an
        // unanswered handshake is then this check's finding, with its address.
        let budget = ctx.map(|ctx| ctx.connect_budget() / (addrs.len() - i) as u32);
        let connecting = tokio::net::TcpStream::connect(addr);
        let connected = match budget {
            Some(budget) => tokio::time::timeout(budget, connecting).await.unwrap_or_else(|_| {
                let after = crate::human::duration(budget);
                Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no answer to the TCP handshake within {after}"),
                ))
            }),
            None => connecting.await,
        };
        match connected {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                // Counted, so that a deadline passing later says what the server sent.
                let tap = Tap::new(addr, began.elapsed());
                if let Some(ctx) = ctx {
                    ctx.peer(Peer::Tapped(tap.clone()));
                }
                let tls_note = if params.tls == TlsMode::Disable { "" } else { "negotiating TLS and " };
                note(ctx, || format!("{tls_note}logging in to {endpoint} (no answer to the startup message yet)"));
                let stream = Tapped::new(stream, tap.clone());
                let (client, startup) =
                    finish(&config, stream, &mut tls, endpoint, params, Some(tap), hold_budget(ctx)).await?;
                return Ok((client, Wire { peer: Some(addr), startup, tls: None }));
            }
            Err(e) => last = Some(io_error(endpoint, e)),
        }
    }
    Err(last.unwrap_or(ConnectError::Dns { host: endpoint.host.clone(), detail: "no address found".into() }))
}

/// How long the check's own login may wait on the server after answering
/// its authentication request: a share of the time left, so that a held
/// login is this check's finding, not the engine's deadline.
fn hold_budget(ctx: Option<&Context>) -> Option<std::time::Duration> {
    ctx.map(|ctx| ctx.remaining().mul_f64(HOLD_SHARE))
}

const HOLD_SHARE: f64 = 0.8;

/// TLS negotiation, startup and authentication on an open stream, its
/// plain-text input guarded against peers that are not PostgreSQL servers.
/// Within `hold_budget`, a login the server holds after taking the
/// password ends as [`ConnectError::LoginHeld`].
async fn finish<S>(
    config: &Config,
    stream: S,
    tls: &mut MakeRustlsConnect,
    endpoint: &Endpoint,
    params: &ConnParams,
    tap: Option<Arc<Tap>>,
    hold_budget: Option<std::time::Duration>,
) -> Result<(Client, Startup), ConnectError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    use tokio_postgres::tls::MakeTlsConnect;
    let connector =
        <MakeRustlsConnect as MakeTlsConnect<Guarded<S>>>::make_tls_connect(tls, &endpoint.host).map_err(|e| {
            ConnectError::Tls {
                endpoint: endpoint.to_string(),
                detail: e.to_string(),
                problem: TlsProblem::Other,
                issuer: None,
            }
        })?;
    // Start-up is read for what it tells of the peer, in plain text or inside TLS.
    let startup = StartupSlot::default();
    let held: HeldSlot = Arc::default();
    let connector = ObserveTls::new(connector, startup.clone()).watching_login(held.clone()).noting(tap.clone());
    let stream = Guarded::new(stream).noting(tap).recording(startup.clone()).watching_login(held.clone());
    let login = config.connect_raw(stream, connector);
    tokio::pin!(login);
    let result = match hold_budget {
        None => login.await,
        Some(budget) => tokio::select! {
            result = &mut login => result,
            () = tokio::time::sleep(budget) => {
                let since = *held.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(since) = since {
                    let waited = crate::human::duration(since.elapsed());
                    return Err(ConnectError::LoginHeld { endpoint: endpoint.to_string(), waited, at: HeldAt::Password });
                }
                // Stalled elsewhere: the engine's deadline says where.
                login.await
            }
        },
    };
    match result {
        Ok((client, connection)) => {
            // The connection drives the socket; it ends when the client is dropped.
            tokio::spawn(async move {
                let _ = connection.await;
            });
            let startup = startup.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
            Ok((client, startup))
        }
        Err(err) => Err(classify(&err, endpoint, params)),
    }
}

fn io_error(endpoint: &Endpoint, err: std::io::Error) -> ConnectError {
    match err.kind() {
        std::io::ErrorKind::ConnectionRefused => ConnectError::Refused { endpoint: endpoint.to_string() },
        kind => ConnectError::Network { endpoint: endpoint.to_string(), detail: err.to_string(), kind },
    }
}

/// Maps a tokio-postgres failure during startup to a named cause.
fn classify(err: &tokio_postgres::Error, endpoint: &Endpoint, params: &ConnParams) -> ConnectError {
    if let Some(db) = err.as_db_error() {
        return refusal(db.code(), db.message(), params);
    }
    // Checked before TLS: after a `S` the guard's error comes out of the handshake.
    if let Some(violation) = errors::find::<Violation>(err) {
        return ConnectError::NotPostgres { endpoint: endpoint.to_string(), violation: violation.clone() };
    }
    let text = errors::describe(err);
    if text.contains("password missing") {
        return ConnectError::NoPassword;
    }
    // tokio-postgres keeps its error kinds private; its TLS errors all read so.
    if text.contains("server does not support TLS") {
        return ConnectError::TlsNotOffered { endpoint: endpoint.to_string() };
    }
    if let Some(tls) = tls_failure(err) {
        return ConnectError::Tls {
            endpoint: endpoint.to_string(),
            detail: text,
            problem: tls_problem(tls),
            issuer: None,
        };
    }
    if text.starts_with("error performing TLS handshake") {
        return ConnectError::Tls {
            endpoint: endpoint.to_string(),
            detail: text,
            problem: TlsProblem::Other,
            issuer: None,
        };
    }
    // A peer that hangs up inside a message is no network fault: tokio-util
    // reports it as "bytes remaining on stream".
    let cut = errors::find::<std::io::Error>(err).is_some_and(|io| io.kind() == std::io::ErrorKind::UnexpectedEof);
    if cut || text.contains("bytes remaining on stream") {
        return ConnectError::Protocol {
            detail: format!("{endpoint} closed the connection in the middle of a message ({text})"),
        };
    }
    if let Some(io) = errors::find::<std::io::Error>(err) {
        return io_error(endpoint, std::io::Error::new(io.kind(), text));
    }
    ConnectError::Protocol { detail: text }
}

/// A login refused with an ErrorResponse, by its SQLSTATE first: the text
/// is read only to tell apart refusals that share one, and may be localized
/// (lc_messages), when the generic reading of the SQLSTATE stays.
fn refusal(code: &SqlState, message: &str, params: &ConnParams) -> ConnectError {
    let message = message.to_string();
    if *code == SqlState::INVALID_PASSWORD {
        ConnectError::BadPassword { user: params.user().to_string() }
    } else if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
        let why = rejection(&message);
        ConnectError::Rejected { message, why }
    } else if *code == SqlState::INVALID_CATALOG_NAME {
        ConnectError::UnknownDatabase { database: params.dbname().to_string() }
    } else if *code == SqlState::TOO_MANY_CONNECTIONS {
        let limit = limit(&message);
        ConnectError::TooManyConnections { message, limit }
    } else if let Some(refusal) = pooler_refusal(code, &message) {
        ConnectError::Pooler { code: code.code().to_string(), message, refusal }
    } else {
        ConnectError::Server { code: code.code().to_string(), message }
    }
}

/// A pooler's refusal of a session whose login it had finished itself
/// (answering with a server's cached start-up parameters): it comes in
/// answer to the first query.
pub fn refused_after_login(err: &tokio_postgres::Error, params: &ConnParams) -> Option<ConnectError> {
    let db = err.as_db_error()?;
    pooler_refusal(db.code(), db.message())?;
    Some(refusal(db.code(), db.message(), params))
}

/// PostgreSQL's 28000 texts (src/backend/libpq/auth.c, utils/init/miscinit.c).
fn rejection(message: &str) -> Rejection {
    if message.starts_with("pg_hba.conf rejects ") {
        Rejection::HbaReject
    } else if message.starts_with("no pg_hba.conf entry ") {
        Rejection::NoHbaEntry
    } else if message.starts_with("role \"") && message.ends_with("\" does not exist") {
        Rejection::NoSuchRole
    } else if message.starts_with("role \"") && message.ends_with("\" is not permitted to log in") {
        Rejection::CannotLogin
    } else {
        Rejection::Unknown
    }
}

/// PostgreSQL's 53300 texts (storage/lmgr/proc.c, utils/init/postinit.c).
pub fn limit(message: &str) -> Limit {
    if message == "sorry, too many clients already" {
        Limit::Server
    } else if message.starts_with("remaining connection slots are reserved ") {
        Limit::Reserved
    } else if message.starts_with("too many connections for role ") {
        Limit::Role
    } else if message.starts_with("too many connections for database ") {
        Limit::Database
    } else {
        Limit::Unknown
    }
}

/// A PgBouncer refusal: 08P01 (its send_pooler_error) in its words, which it
/// never localizes. (Newer versions relay a server's refusal of the pooler's
/// own login with the server's SQLSTATE: the other branches read those.)
pub fn pooler_refusal(code: &SqlState, message: &str) -> Option<PoolerRefusal> {
    if *code != SqlState::PROTOCOL_VIOLATION {
        return None;
    }
    let refusal = if message.starts_with("password authentication failed") || message == "SASL authentication failed" {
        PoolerRefusal::Password
    } else if message.starts_with("no such database: ") {
        PoolerRefusal::UnknownDatabase
    } else if message.starts_with("server login has been failing")
        || message == "pgbouncer cannot connect to server"
        || message == "client_login_timeout (server down)"
        || message.starts_with("server login failed")
    {
        PoolerRefusal::ServerDown
    } else if message == "query_wait_timeout" {
        PoolerRefusal::WaitTimeout
    } else if message == "no more connections allowed (max_client_conn)" {
        PoolerRefusal::ClientLimit
    } else {
        // Another 08P01 may be a server's own protocol complaint.
        return None;
    };
    Some(refusal)
}

/// The rustls error in `err`'s chain, if the failure is TLS's.
fn tls_failure(err: &tokio_postgres::Error) -> Option<&rustls::Error> {
    errors::find::<rustls::Error>(err).or_else(|| {
        errors::find::<std::io::Error>(err).and_then(|io| io.get_ref()).and_then(|inner| inner.downcast_ref())
    })
}

/// A URL rewritten so that tokio-postgres reads the user, password, hosts
/// and database that node-postgres and Prisma read: they parse it with the
/// WHATWG URL parser (`new URL()`), where the fragment starts at the first
/// `#` and is ignored, the host part ends at the first `/` or `?`, and the
/// userinfo ends at the last `@` before it. tokio-postgres (like libpq)
/// splits at the first `@` anywhere, so every other `@` is percent-encoded.
/// Also says where the readings differ, for the evidence. A keyword/value
/// string is returned as it is.
///
/// A `#` before the last `@` is refused: the driver would take the host
/// from inside the password (a host kbz-check would then name in its
/// report), or fail to parse the URL at all.
/// A URL of another database (`mysql://`, `redis://`) said as such, rather
/// than as whatever the PostgreSQL parser makes of it. Only the scheme is
/// quoted: nothing after `://` (a password) reaches the message.
fn refuse_other_schemes(dsn: &str) -> Result<(), String> {
    let Some((scheme, _)) = dsn.trim_start().split_once("://") else { return Ok(()) };
    let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !is_scheme || ["postgresql", "postgres"].iter().any(|ok| scheme.eq_ignore_ascii_case(ok)) {
        return Ok(());
    }
    Err(format!(
        "`{scheme}://…` is not a PostgreSQL URL: write postgresql://USER:PASSWORD@HOST:PORT/DATABASE \
         (or postgres://…, or libpq's key=value form)"
    ))
}

fn as_whatwg_reads(dsn: &str) -> Result<(String, Vec<String>), String> {
    let mut notes = Vec::new();
    let Some(scheme_end) = dsn.find("://").map(|i| i + 3) else { return Ok((dsn.to_string(), notes)) };
    let mut url = dsn;
    if let Some(hash) = dsn[scheme_end..].find('#') {
        if dsn[scheme_end + hash..].contains('@') {
            return Err("the URL holds a `#` before its last `@`: node-postgres and Prisma (the WHATWG URL parser) \
                        end the host part at a `#` and would read the host from inside the user or password; \
                        percent-encode a `#` in the password as %23"
                .to_string());
        }
        url = &dsn[..scheme_end + hash];
        notes.push(
            "the URL holds a `#`: node-postgres and Prisma read what follows it as a fragment and ignore it, \
             so it was ignored here too (in a password, write it %23)"
                .to_string(),
        );
    }
    let rest = &url[scheme_end..];
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    let delimiter = authority.rfind('@').map(|at| scheme_end + at);
    if authority.matches('@').count() > 1 {
        notes.push(
            "the user or password holds an unencoded `@`: read up to the last `@` as node-postgres and Prisma do \
             (libpq, psql and psycopg split at the first one; write it %40)"
                .to_string(),
        );
    } else if delimiter.is_none() && rest.contains('@') {
        notes.push(
            "an `@` after the host part: node-postgres and Prisma take what precedes the first `/` or `?` as the \
             host, so a user or password holding a `/` or `?` is not read as one"
                .to_string(),
        );
    }
    let mut out = String::with_capacity(url.len());
    for (i, c) in url.char_indices() {
        match c {
            '@' if i >= scheme_end && Some(i) != delimiter => out.push_str("%40"),
            _ => out.push(c),
        }
    }
    Ok((out, notes))
}

/// A connection string sorted into what tokio-postgres parses, the TLS and file
/// options handled here, and the names of options for other clients.
struct SplitOptions {
    rest: String,
    tls: Vec<(String, String)>,
    unused: Vec<String>,
}

fn split_options(dsn: &str) -> Result<SplitOptions, String> {
    let mut split = SplitOptions { rest: String::new(), tls: Vec::new(), unused: Vec::new() };
    if dsn.contains("://") {
        let Some((base, query)) = dsn.split_once('?') else {
            split.rest = dsn.to_string();
            return Ok(split);
        };
        let mut kept = Vec::new();
        for param in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = param.split_once('=').unwrap_or((param, ""));
            if TLS_KEYS.contains(&key) || FILE_KEYS.contains(&key) {
                let value = percent_encoding::percent_decode_str(value).decode_utf8_lossy().into_owned();
                split.tls.push((key.to_string(), value));
            } else if DRIVER_KEYS.contains(&key) {
                kept.push(param);
            } else {
                split.unused.push(key.to_string());
            }
        }
        split.rest = if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) };
        return Ok(split);
    }
    let mut kept = Vec::new();
    for (key, value) in keyword_pairs(dsn)? {
        if TLS_KEYS.contains(&key.as_str()) || FILE_KEYS.contains(&key.as_str()) {
            split.tls.push((key, value));
        } else if DRIVER_KEYS.contains(&key.as_str()) {
            kept.push(format!("{key}={}", conninfo::quote(&value)));
        } else {
            split.unused.push(key);
        }
    }
    split.rest = kept.join(" ");
    Ok(split)
}

/// A URL whose hosts all lack a port, given `port`; anything else unchanged.
fn with_default_port(dsn: &str, port: u16) -> String {
    let Some(scheme_end) = dsn.find("://").map(|i| i + 3) else { return dsn.to_string() };
    let rest = &dsn[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let hosts_start = rest[..authority_end].rfind('@').map_or(0, |at| at + 1);
    let hosts = &rest[hosts_start..authority_end];
    let has_port = |host: &str| match host.strip_prefix('[') {
        Some(v6) => v6.split_once(']').is_some_and(|(_, after)| after.starts_with(':')),
        None => host.contains(':'),
    };
    if hosts.is_empty() || hosts.split(',').any(has_port) {
        return dsn.to_string();
    }
    let hosts = hosts.split(',').map(|h| format!("{h}:{port}")).collect::<Vec<_>>().join(",");
    format!("{}{}{hosts}{}", &dsn[..scheme_end], &rest[..hosts_start], &rest[authority_end..])
}

/// `key=value` pairs of a keyword/value connection string, read as libpq
/// reads them ([`conninfo`]). Errors name only known keys: an unknown word
/// may be the rest of an unquoted password.
fn keyword_pairs(dsn: &str) -> Result<Vec<(String, String)>, String> {
    let known = |key: &str| DRIVER_KEYS.contains(&key) || TLS_KEYS.contains(&key) || FILE_KEYS.contains(&key);
    conninfo::parse(dsn).map_err(|err| match err {
        ConninfoError::MissingEquals { word } if known(&dsn[word.clone()]) => {
            format!("`{}` has no value: write key=value", &dsn[word])
        }
        ConninfoError::MissingEquals { .. } => "a word without `=` (not shown: it may be part of a password); write \
                                                key=value, and quote a value that holds spaces: password='a b'"
            .to_string(),
        ConninfoError::Unterminated { key, .. } if known(&dsn[key.clone()]) => {
            format!("the value of `{}` has no closing quote", &dsn[key])
        }
        ConninfoError::Unterminated { .. } => "a quoted value has no closing quote".to_string(),
    })
}

/// The rustls configuration for the connection's `sslmode`, and the slot
/// where its handshakes leave the server's certificate.
fn tls_connector(params: &ConnParams) -> Result<(MakeRustlsConnect, SeenSlot), String> {
    let verify = match params.tls {
        // libpq does not verify the certificate below verify-ca.
        TlsMode::Disable | TlsMode::Prefer | TlsMode::Require => Verify::Off,
        TlsMode::VerifyCa => Verify::ChainOnly(trust_roots(params)?),
        TlsMode::VerifyFull => Verify::Full(trust_roots(params)?),
    };
    let (config, seen) = tls::recording_client_config(verify)?;
    Ok((MakeRustlsConnect::new(config), seen))
}

/// `sslrootcert`'s certificates, or the system trust store (`sslrootcert=system` or unset).
fn trust_roots(params: &ConnParams) -> Result<tls::Roots, String> {
    match &params.root_cert {
        Some(path) => tls::roots_from_pem(path).map(tls::Roots::from).map_err(|e| format!("sslrootcert {e}")),
        None => Ok(tls::system_roots()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_url_of_another_database_is_named_by_its_scheme_alone() {
        let err = ConnParams::parse("mysql://app:S3cret-pw@db:3306/app", &Fallbacks::default()).err().unwrap();
        assert!(err.starts_with("`mysql://…` is not a PostgreSQL URL"), "{err}");
        for ok in ["postgres://u@db/app", "postgresql://u@db/app", "host=db user=u options='-c x=a://b'"] {
            assert_eq!(refuse_other_schemes(ok), Ok(()), "{ok}");
        }
    }

    proptest! {
        #![proptest_config(crate::test_strategies::config())]

        /// Whatever follows `://` (a password) never reaches the message.
        #[test]
        fn another_scheme_is_refused_without_quoting_the_rest(
            scheme in "[a-z][a-z0-9+.-]{0,10}",
            rest in crate::test_strategies::any_text(),
        ) {
            prop_assume!(scheme != "postgres" && scheme != "postgresql" && rest.chars().count() > 8);
            let err = refuse_other_schemes(&format!("{scheme}://{rest}")).unwrap_err();
            prop_assert!(!err.contains(&rest), "{}", err);
        }
    }

    #[test]
    fn parses_url_with_tls_options_tokio_postgres_does_not_know() {
        let p = ConnParams::parse(
            "postgresql://u:pw@db:6432/app?sslmode=verify-full&sslrootcert=/ca.pem&application_name=x",
            &Fallbacks::default(),
        )
        .unwrap();
        assert_eq!(p.tls, TlsMode::VerifyFull);
        assert_eq!(p.root_cert, Some(PathBuf::from("/ca.pem")));
        assert_eq!(p.endpoints(), vec![Endpoint { host: "db".into(), port: 6432 }]);
        assert_eq!(p.user(), "u");
        assert_eq!(p.dbname(), "app");
        assert_eq!(p.password().unwrap().expose(), "pw");
    }

    #[test]
    fn parses_multi_host_url_with_read_write_target() {
        let p = ConnParams::parse(
            "postgresql://u@h1:5432,h2:5433/db?target_session_attrs=read-write",
            &Fallbacks::default(),
        )
        .unwrap();
        assert!(p.wants_read_write());
        assert_eq!(
            p.endpoints(),
            vec![Endpoint { host: "h1".into(), port: 5432 }, Endpoint { host: "h2".into(), port: 5433 }]
        );
        assert_eq!(p.tls, TlsMode::Prefer);
    }

    #[test]
    fn parses_keyword_form_with_quotes() {
        let p = ConnParams::parse(
            "host=db port=5433 user=u password='a b\\'c' dbname=x sslmode=disable",
            &Fallbacks::default(),
        )
        .unwrap();
        assert_eq!(p.tls, TlsMode::Disable);
        assert_eq!(p.password().unwrap().expose(), "a b'c");
        assert_eq!(p.endpoints(), vec![Endpoint { host: "db".into(), port: 5433 }]);
    }

    #[test]
    fn errors_do_not_echo_the_password() {
        let err = ConnParams::parse("postgresql://u:hunter22@h:notaport/db", &Fallbacks::default()).err().unwrap();
        assert!(!err.contains("hunter22"), "{err}");
        let err = ConnParams::parse("postgresql://u:hunter22@h/db?sslmode=bogus", &Fallbacks::default()).err().unwrap();
        assert!(err.contains("sslmode `bogus`"), "{err}");
        assert_eq!(ConnParams::parse("postgresql://h/db", &Fallbacks::default()).unwrap().user(), "");
        // The rest of an unquoted password with a space is not a key to name.
        let err = ConnParams::parse("host=h password=hunter22 tail99 user=u", &Fallbacks::default()).err().unwrap();
        assert!(!err.contains("tail99"), "{err}");
    }

    #[test]
    fn a_backslash_escapes_a_space_in_a_bare_keyword_value_as_in_libpq() {
        let p = ConnParams::parse("host=h user=u password=a\\ b\\\\c", &Fallbacks::default()).unwrap();
        assert_eq!(p.password().unwrap().expose(), "a b\\c");
    }

    #[test]
    fn options_for_other_clients_are_set_aside_not_refused() {
        let p = ConnParams::parse(
            "postgresql://u:pw@db/app?schema=public&connection_limit=5&application_name=x&pgbouncer=true",
            &Fallbacks::default(),
        )
        .unwrap();
        assert_eq!(p.unused, ["schema", "connection_limit", "pgbouncer"]);
        assert_eq!(p.config.get_application_name(), Some("x"));
        let p = ConnParams::parse("host=db user=u gssencmode=disable", &Fallbacks::default()).unwrap();
        assert_eq!(p.unused, ["gssencmode"]);
    }

    #[test]
    fn libpq_variables_fill_what_the_url_leaves_out() {
        let password = Secret::new("from-env");
        let fallbacks = Fallbacks {
            host: Some("ignored-host"),
            port: Some(6000),
            user: Some("envuser"),
            password: Some(&password),
            dbname: Some("envdb"),
            sslmode: Some("require"),
        };
        let p = ConnParams::parse("postgresql://db/app", &fallbacks).unwrap();
        assert_eq!(p.endpoints(), vec![Endpoint { host: "db".into(), port: 6000 }]);
        assert_eq!((p.user(), p.dbname()), ("envuser", "app"));
        assert_eq!(p.password().unwrap().expose(), "from-env");
        assert_eq!(p.tls, TlsMode::Require);
        let p = ConnParams::parse("postgresql://u:own@db:5433/app?sslmode=disable", &fallbacks).unwrap();
        assert_eq!(p.password().unwrap().expose(), "own", "the URL wins");
        assert_eq!(p.tls, TlsMode::Disable);
        let p = ConnParams::parse("", &fallbacks).unwrap();
        assert_eq!(p.endpoints(), vec![Endpoint { host: "ignored-host".into(), port: 6000 }]);
    }

    #[test]
    fn default_port_goes_only_where_no_host_has_one() {
        assert_eq!(with_default_port("postgresql://u:p@h1,h2/db", 6000), "postgresql://u:p@h1:6000,h2:6000/db");
        assert_eq!(with_default_port("postgresql://[::1]/db", 6000), "postgresql://[::1]:6000/db");
        assert_eq!(with_default_port("postgresql://h:5433/db", 6000), "postgresql://h:5433/db");
        assert_eq!(with_default_port("postgresql://[::1]:5433/db", 6000), "postgresql://[::1]:5433/db");
        assert_eq!(with_default_port("postgresql:///db", 6000), "postgresql:///db");
        assert_eq!(with_default_port("host=h", 6000), "host=h");
    }

    /// node-postgres and Prisma read a URL with the WHATWG parser: the
    /// userinfo ends at the last `@`, so an unencoded `@` in the password
    /// is part of it (tokio-postgres alone would look for host `ss@db`).
    #[test]
    fn a_url_is_read_as_node_postgres_reads_it() {
        let p = ConnParams::parse("postgresql://u:p@ss $x:y@db:5433/app", &Fallbacks::default()).unwrap();
        assert_eq!(p.password().unwrap().expose(), "p@ss $x:y");
        assert_eq!((p.user(), p.dbname()), ("u", "app"));
        assert_eq!(p.endpoints(), vec![Endpoint { host: "db".into(), port: 5433 }]);
        assert!(p.notes.iter().any(|n| n.contains("unencoded `@`")), "{:?}", p.notes);
        let p = ConnParams::parse("postgresql://me@corp:p%40ss%23%20x@db/app", &Fallbacks::default()).unwrap();
        assert_eq!((p.user(), p.password().unwrap().expose()), ("me@corp", "p@ss# x"));
        // Encoded: no note, as every client reads it the same.
        let p = ConnParams::parse("postgresql://u:p%40ss@db/app", &Fallbacks::default()).unwrap();
        assert_eq!(p.password().unwrap().expose(), "p@ss");
        assert!(p.notes.is_empty(), "{:?}", p.notes);
    }

    /// A `#` starts the fragment, which node-postgres ignores: after the
    /// database it changes nothing; in the password it cuts the URL short,
    /// which the app's driver cannot read either.
    #[test]
    fn a_hash_starts_a_fragment_as_for_node_postgres() {
        let p = ConnParams::parse("postgresql://u:pw@db/app#frag", &Fallbacks::default()).unwrap();
        assert_eq!((p.dbname(), p.password().unwrap().expose()), ("app", "pw"));
        assert!(p.notes.iter().any(|n| n.contains("`#`")), "{:?}", p.notes);
        let err = ConnParams::parse("postgresql://u:pa#ss1234@db/app", &Fallbacks::default()).err().unwrap();
        assert!(err.contains("%23"), "{err}");
        assert!(!err.contains("ss1234") && !err.contains("pa#"), "{err}");
    }

    /// libpq's `service` and `passfile` options are read here, not set aside.
    #[test]
    fn service_and_passfile_options_are_kept_for_libpq_files() {
        let p = ConnParams::parse("postgresql://u@db/app?service=svc&passfile=%2Fetc%2Fpgpass", &Fallbacks::default())
            .unwrap();
        assert_eq!((p.service.as_deref(), p.passfile.as_deref()), (Some("svc"), Some("/etc/pgpass")));
        assert!(p.unused.is_empty(), "{:?}", p.unused);
        let p = ConnParams::parse("host=db user=u service=svc", &Fallbacks::default()).unwrap();
        assert_eq!(p.service.as_deref(), Some("svc"));
    }

    /// A `/` in the password ends the host part for the WHATWG parser: the
    /// URL does not parse, and the error says what to encode, not the password.
    #[test]
    fn a_slash_in_the_password_is_an_error_that_says_what_to_encode() {
        let err = ConnParams::parse("postgresql://u:pa/ss7788@db/app", &Fallbacks::default()).err().unwrap();
        assert!(err.contains("%2F") && !err.contains("ss7788"), "{err}");
    }

    /// The texts as PostgreSQL 15 (auth.c, postinit.c, proc.c) and PgBouncer
    /// (1.16 to 1.24: client.c, objects.c, janitor.c) send them.
    #[test]
    fn refusals_are_read_by_sqlstate_then_text() {
        let p = ConnParams::parse("postgresql://app:pw@h:6432/keybuzz", &Fallbacks::default()).unwrap();
        let read = |code: &str, message: &str| refusal(&SqlState::from_code(code), message, &p);
        let rejected = |message: &str| match read("28000", message) {
            ConnectError::Rejected { why, .. } => why,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            rejected("pg_hba.conf rejects connection for host \"127.0.0.1\", user \"app\", database \"keybuzz\", no encryption"),
            Rejection::HbaReject
        );
        assert_eq!(
            rejected("no pg_hba.conf entry for host \"127.0.0.1\", user \"app\", database \"keybuzz\", SSL encryption"),
            Rejection::NoHbaEntry
        );
        assert_eq!(rejected("role \"app\" does not exist"), Rejection::NoSuchRole);
        assert_eq!(rejected("role \"app\" is not permitted to log in"), Rejection::CannotLogin);
        // lc_messages = fr: the SQLSTATE still says 28000, the text says nothing here.
        assert_eq!(rejected("le rôle « app » n'existe pas"), Rejection::Unknown);

        let limit = |message: &str| match read("53300", message) {
            ConnectError::TooManyConnections { limit, .. } => limit,
            other => panic!("{other:?}"),
        };
        assert_eq!(limit("sorry, too many clients already"), Limit::Server);
        assert_eq!(
            limit("remaining connection slots are reserved for non-replication superuser connections"),
            Limit::Reserved
        );
        assert_eq!(
            limit("remaining connection slots are reserved for roles with the SUPERUSER attribute"),
            Limit::Reserved
        );
        assert_eq!(limit("too many connections for role \"app\""), Limit::Role);
        assert_eq!(limit("too many connections for database \"keybuzz\""), Limit::Database);
        assert_eq!(limit("désolé, trop de clients sont déjà connectés"), Limit::Unknown);
        assert_eq!(
            read("53300", "too many connections for role \"app\"").to_string(),
            "too many connections for role \"app\" (SQLSTATE 53300)"
        );

        let pooler = |message: &str| match read("08P01", message) {
            ConnectError::Pooler { refusal, .. } => Some(refusal),
            ConnectError::Server { .. } => None,
            other => panic!("{other:?}"),
        };
        assert_eq!(pooler("SASL authentication failed"), Some(PoolerRefusal::Password));
        assert_eq!(pooler("password authentication failed"), Some(PoolerRefusal::Password));
        assert_eq!(pooler("password authentication failed for user \"app\""), Some(PoolerRefusal::Password));
        assert_eq!(pooler("no such database: keybuzz"), Some(PoolerRefusal::UnknownDatabase));
        for down in [
            "server login has been failing, try again later (server_login_retry)",
            "server login has been failing, cached error: connect failed (server_login_retry)",
            "pgbouncer cannot connect to server",
            "client_login_timeout (server down)",
            "server login failed: wrong password type",
        ] {
            assert_eq!(pooler(down), Some(PoolerRefusal::ServerDown), "{down}");
        }
        assert_eq!(pooler("query_wait_timeout"), Some(PoolerRefusal::WaitTimeout));
        assert_eq!(pooler("no more connections allowed (max_client_conn)"), Some(PoolerRefusal::ClientLimit));
        // Another 08P01 is not taken for a pooler's.
        assert_eq!(pooler("invalid length of startup packet"), None);
        assert_eq!(
            read("08P01", "SASL authentication failed").to_string(),
            "SASL authentication failed (SQLSTATE 08P01, from the pooler)"
        );
        assert!(matches!(
            read("28P01", "password authentication failed for user \"app\""),
            ConnectError::BadPassword { .. }
        ));
    }

    #[test]
    fn endpoint_parses_host_port_forms() {
        assert_eq!(Endpoint::parse("10.0.0.120:5432").unwrap(), Endpoint { host: "10.0.0.120".into(), port: 5432 });
        assert_eq!(Endpoint::parse("db").unwrap().port, 5432);
        assert_eq!(Endpoint::parse("[::1]:6000").unwrap(), Endpoint { host: "::1".into(), port: 6000 });
        assert_eq!(Endpoint::parse("[::1]:6000").unwrap().to_string(), "[::1]:6000");
        assert!(Endpoint::parse("db:99999").is_err());
        assert!(Endpoint::parse(":5432").is_err());
    }

    #[test]
    fn member_params_keep_credentials_and_change_host() {
        let p = ConnParams::parse("postgresql://u:pw@h1,h2/db?target_session_attrs=read-write", &Fallbacks::default())
            .unwrap();
        let m = p.for_endpoint(&Endpoint { host: "10.1.1.1".into(), port: 6000 });
        assert_eq!(m.endpoints(), vec![Endpoint { host: "10.1.1.1".into(), port: 6000 }]);
        assert!(!m.wants_read_write());
        assert_eq!(m.password().unwrap().expose(), "pw");
        assert_eq!(m.dbname(), "db");
    }
}
