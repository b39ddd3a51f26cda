//! The postgres check: is the app's connection string on the leader or on a
//! read-only replica, and what does the cluster around it look like?

pub mod codes;
mod conn;
mod diagnose;
mod guard;
pub mod libpq_files;
mod limits;
mod probe;
mod refusal;

pub use conn::{ConnParams, ConnectError, Endpoint, Fallbacks, HeldAt, Limit, PoolerRefusal, Rejection, TlsMode};
pub use probe::{ReplicaRow, ServerFacts, Upstream, WriteProbe};

use super::{Built, Check, CheckFuture, Context, Kind};
use crate::secret::{mask_dsn, Redactor, Secret};
use crate::settings::{ConfigError, Origin, Plan, RawSettings, Setting, Shown};
use libpq_files::FileLine;
use std::sync::Arc;
use std::time::Duration;

pub const KIND: Kind = Kind {
    name: "postgres",
    settings: &[
        "url",
        "host",
        "port",
        "user",
        "password",
        "dbname",
        "sslmode",
        "passfile",
        "service",
        "servicefile",
        "sysconfdir",
        "expect",
        "nodes",
        "max_lag",
        "sessions",
    ],
    variables: &[
        ("url", "DATABASE_URL"),
        ("host", "PGHOST"),
        ("port", "PGPORT"),
        ("user", "PGUSER"),
        ("password", "PGPASSWORD"),
        ("dbname", "PGDATABASE"),
        ("sslmode", "PGSSLMODE"),
        ("passfile", "PGPASSFILE"),
        ("service", "PGSERVICE"),
        ("servicefile", "PGSERVICEFILE"),
        ("sysconfdir", "PGSYSCONFDIR"),
        ("nodes", "KBZ_PG_NODES"),
        ("sessions", "KBZ_PG_SESSIONS"),
    ],
    build,
    codes: codes::ALL,
};

const DEFAULT_MAX_LAG: Duration = Duration::from_secs(30);

/// Sessions opened through the connection string, the app's own first
/// among them, to see whether they all land on the same member.
pub const DEFAULT_SESSIONS: u16 = 5;
pub const MAX_SESSIONS: u16 = 50;

/// Which role the connection string is meant to land on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    Leader,
    Replica,
    Any,
}

/// A named cluster member, from `nodes`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub endpoint: Endpoint,
}

/// The validated settings of one postgres check.
pub struct PostgresCheck {
    pub params: ConnParams,
    /// How the connection string is called where it is configured (`DATABASE_URL`).
    pub url_name: String,
    /// Where its password comes from (`DATABASE_URL`, or `PGPASSWORD` when the URL has none).
    pub password_name: String,
    /// Where cluster members are listed (`KBZ_PG_NODES`, or `nodes` in a suite).
    pub nodes_name: String,
    pub expect: Expect,
    pub members: Vec<Member>,
    pub max_lag: Duration,
    /// How many sessions to open through the connection string (1: only the first).
    pub sessions: u16,
}

fn build(raw: &mut RawSettings, redactor: &mut Redactor) -> Result<Built, ConfigError> {
    let url = raw.string("url", Shown::Dsn)?;
    let host = raw.string("host", Shown::Plain)?;
    let port = raw.port("port")?;
    let user = raw.string("user", Shown::Plain)?;
    let password = raw.string("password", Shown::Secret)?.map(Secret::new);
    let dbname = raw.string("dbname", Shown::Plain)?;
    let sslmode = raw.choice("sslmode", &["disable", "allow", "prefer", "require", "verify-ca", "verify-full"])?;
    let passfile = raw.string("passfile", Shown::Plain)?;
    let service_name = raw.string("service", Shown::Plain)?;
    let servicefile = raw.string("servicefile", Shown::Plain)?;
    let sysconfdir = raw.string("sysconfdir", Shown::Plain)?;
    let expect = match raw.choice("expect", &["leader", "replica", "any"])?.as_deref() {
        Some("replica") => Expect::Replica,
        Some("any") => Expect::Any,
        _ => {
            raw.show_default("expect", "leader");
            Expect::Leader
        }
    };
    let members = raw
        .named_list("nodes")?
        .into_iter()
        .map(|(name, addr)| match Endpoint::parse(&addr) {
            Ok(endpoint) => Ok(Member { name, endpoint }),
            Err(e) => Err(raw.error("nodes", format!("member `{name}`: {e}"))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let max_lag = raw.duration("max_lag")?.unwrap_or_else(|| {
        raw.show_default("max_lag", "30s");
        DEFAULT_MAX_LAG
    });

    let sessions = sessions(raw)?;

    if url.is_none() && host.is_none() && service_name.is_none() {
        let reason = format!("not configured: set {} (or {})", raw.missing_hint("url"), raw.missing_hint("host"));
        return Ok(Built::skipped(reason));
    }
    // As in libpq, the separate settings (PG* variables) fill what the URL leaves out.
    let fallbacks = Fallbacks {
        host: host.as_deref(),
        port,
        user: user.as_deref(),
        password: password.as_ref(),
        dbname: dbname.as_deref(),
        sslmode: sslmode.as_deref(),
    };
    let key = match (&url, &host) {
        (Some(_), _) => "url",
        (None, Some(_)) => "host",
        (None, None) => "service",
    };
    let dsn = url.as_deref().unwrap_or_default();
    let mut params = ConnParams::parse(dsn, &fallbacks).map_err(|e| raw.error(key, e))?;
    // Where clients read the URL differently: said once at the start, and in the evidence.
    let url_label = raw.source_variable(key).unwrap_or_else(|| key.to_string());
    for note in &params.notes {
        redactor.warn(format!("{url_label}: {note}"));
    }
    // libpq: the connection string's `service`, else PGSERVICE; its
    // settings fill what the string leaves out, before the PG* variables.
    let mut from_service: Option<(String, libpq_files::Service)> = None;
    if let Some(name) = params.service.clone().or(service_name) {
        let at = if params.service.is_some() { key } else { "service" };
        let files = libpq_files::service_files(servicefile.as_deref(), sysconfdir.as_deref());
        let service = libpq_files::service(&name, &files).map_err(|e| raw.error(at, e))?;
        let get = |k: &str| service.get(k).map(|(value, _)| value);
        let service_port = match service.get("port") {
            Some((text, line)) => Some(
                text.parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| raw.error(at, format!("port in service `{name}` ({line}) is not a port")))?,
            ),
            None => port,
        };
        let service_password = get("password").map(Secret::new);
        let merged = Fallbacks {
            host: get("host").or(host.as_deref()),
            port: service_port,
            user: get("user").or(user.as_deref()),
            password: service_password.as_ref().or(password.as_ref()),
            dbname: get("dbname").or(dbname.as_deref()),
            sslmode: get("sslmode").or(sslmode.as_deref()),
        };
        let notes = params.notes.clone();
        params = ConnParams::parse(dsn, &merged).map_err(|e| raw.error(at, e))?;
        params.notes = notes;
        if let (None, Some(root)) = (&params.root_cert, get("sslrootcert").filter(|r| *r != "system")) {
            params.root_cert = Some(root.into());
        }
        let used: Vec<&str> = service.entries.iter().map(|(k, _, _)| k.as_str()).collect();
        params.notes.push(format!(
            "service `{name}` from {}: {} (the connection string's own settings win; the service's beat the PG* \
             variables)",
            service.file.display(),
            if used.is_empty() { "no settings".to_string() } else { used.join(", ") }
        ));
        from_service = Some((name, service));
    }
    if let Some(path) = params.root_cert.as_ref().filter(|p| !p.is_file()) {
        return Err(raw.error(key, format!("sslrootcert {}: no such file", path.display())));
    }
    if params.user().is_empty() {
        return Err(raw.error(
            "user",
            format!("no user: put one in the URL or set {} (libpq would guess the OS user)", raw.missing_hint("user")),
        ));
    }
    let name_of = |raw: &RawSettings, key: &str| raw.source_variable(key).unwrap_or_else(|| key.to_string());
    let url_name = name_of(raw, key);
    let password_in_url = url.as_deref().is_some_and(|u| crate::secret::dsn_password(u).is_some());
    let service_password = match &from_service {
        Some((name, service)) if !password_in_url => {
            service.get("password").map(|(_, line)| format!("service `{name}` ({line})"))
        }
        _ => None,
    };
    let mut password_name = match (password_in_url, &password, service_password) {
        (true, _, _) => url_name.clone(),
        (false, _, Some(service)) => service,
        (false, Some(_), None) => name_of(raw, "password"),
        (false, None, None) => raw.missing_hint("password"),
    };
    if let (false, Some((name, service))) = (password_in_url, &from_service) {
        if let Some((value, line)) = service.get("password") {
            // Two sources, one winner: say which, as the app's libpq would pick it.
            if password.is_some() {
                redactor.warn(format!(
                    "{}: set, but the password of service `{name}` ({line}) is the one used, as libpq does",
                    name_of(raw, "password")
                ));
            }
            show_file_secret(raw, &Secret::new(value), line)?;
        }
    }
    if params.password().is_none() {
        // libpq's password file, for the first host it has a line for.
        let explicit = params
            .passfile
            .clone()
            .or_else(|| from_service.as_ref().and_then(|(_, s)| s.get("passfile")).map(|(p, _)| p.to_string()))
            .or(passfile);
        if let Some(path) = libpq_files::passfile_path(explicit.as_deref()) {
            for endpoint in params.endpoints() {
                match libpq_files::password_from_file(
                    &path,
                    &endpoint.host,
                    endpoint.port,
                    params.dbname(),
                    params.user(),
                ) {
                    // An empty password is none, for libpq as here.
                    Ok(Some((secret, _))) if secret.expose().is_empty() => break,
                    Ok(Some((secret, line))) => {
                        params.set_password(&secret);
                        show_file_secret(raw, &secret, &line)?;
                        password_name = format!("the password file {line}");
                        break;
                    }
                    Ok(None) => {}
                    Err(warning) => {
                        redactor.warn(warning);
                        break;
                    }
                }
            }
        }
    }
    let nodes_name = raw.missing_hint("nodes");
    let target = match &url {
        Some(url) => mask_dsn(url),
        None => {
            let shown_password = params.password().map(|p| format!(":{}", p.masked())).unwrap_or_default();
            format!(
                "postgresql://{}{shown_password}@{}/{}",
                params.user(),
                join_endpoints(&params.endpoints()),
                params.dbname()
            )
        }
    };
    for secret in password.iter().chain(params.password().as_ref()) {
        redactor.add(secret);
    }
    let check = PostgresCheck { params, url_name, password_name, nodes_name, expect, members, max_lag, sessions };
    Ok(Built { target, plan: Plan::Run(Arc::new(check)) })
}

/// `sessions`: a whole number from 1 to [`MAX_SESSIONS`].
fn sessions(raw: &mut RawSettings) -> Result<u16, ConfigError> {
    let note = format!(" (1 opens only the app's own session; the default is {DEFAULT_SESSIONS})");
    match raw.whole_number("sessions", 1..=MAX_SESSIONS, ("a number of sessions", &note))? {
        Some(n) => Ok(n),
        None => {
            raw.show_default("sessions", DEFAULT_SESSIONS.to_string());
            Ok(DEFAULT_SESSIONS)
        }
    }
}

/// A password read from a libpq file: shown by `list` with its file and
/// line (only by its fingerprint), noted as a secret.
fn show_file_secret(raw: &mut RawSettings, secret: &Secret, line: &FileLine) -> Result<(), ConfigError> {
    let origin = Origin::Suite { file: line.file.clone(), line: line.line, vars: Vec::new(), overridden: Vec::new() };
    raw.insert("password", Setting { value: toml::Value::String(secret.expose().to_string()), origin });
    raw.string("password", Shown::Secret).map(|_| ())
}

/// How the app's session was turned away for want of room (a server's
/// connection limit, a pooler's client limit or its wait for a server
/// connection), if it was: a session opened beside it may have taken that room.
fn refused_for_room(landing: &Landing) -> Option<String> {
    let Landing::ConnectFailed { error, .. } = landing else { return None };
    let for_room = match error {
        ConnectError::TooManyConnections { .. } => true,
        ConnectError::Pooler { refusal, .. } => {
            matches!(refusal, PoolerRefusal::WaitTimeout | PoolerRefusal::ClientLimit)
        }
        _ => false,
    };
    for_room.then(|| error.to_string())
}

fn join_endpoints(endpoints: &[Endpoint]) -> String {
    endpoints.iter().map(Endpoint::to_string).collect::<Vec<_>>().join(",")
}

/// Where the connection string landed, or why it did not.
pub enum Landing {
    Connected {
        endpoint: Endpoint,
        passed_over: Vec<(Endpoint, String)>,
        facts: Box<ServerFacts>,
    },
    ConnectFailed {
        error: ConnectError,
        passed_over: Vec<(Endpoint, String)>,
    },
    /// Logged in, then a read-only query failed.
    QueryFailed {
        endpoint: Endpoint,
        error: String,
    },
}

/// Where one session opened through the connection string landed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionPlace {
    /// The host of the connection string it connected to (a proxy, maybe).
    pub endpoint: Endpoint,
    /// The server's own address (`inet_server_addr()`, `inet_server_port()`); none over a Unix socket.
    pub server: Option<Endpoint>,
    pub in_recovery: bool,
}

/// A further session through the connection string: where it landed, or
/// why it did not open.
pub type Sample = Result<SessionPlace, String>;

/// One `nodes` member as it answered (or why it did not).
pub struct MemberReport {
    pub member: Member,
    pub result: Result<ServerFacts, String>,
}

impl Check for PostgresCheck {
    fn run<'a>(&'a self, ctx: &'a Context) -> CheckFuture<'a> {
        Box::pin(async move {
            let ((landing, samples), members) = tokio::join!(self.land_and_sample(ctx), self.probe_members(ctx));
            diagnose::diagnose(self, &landing, &members, &samples)
        })
    }

    fn uses_system_roots(&self) -> bool {
        self.params.uses_system_roots()
    }

    /// The app's session and the further ones sampled beside it.
    fn connections(&self) -> usize {
        usize::from(self.sessions)
    }

    /// TCP, SSLRequest, the start-up, SCRAM's two steps, one batch of questions.
    fn round_trips(&self) -> u32 {
        6
    }
}

impl PostgresCheck {
    /// The app's session and, at the same time, the further ones: every
    /// session pays its log-in at once, not one after the other. They all
    /// stay open until each has answered, as a pool's would.
    async fn land_and_sample(&self, ctx: &Context) -> (Landing, Vec<Sample>) {
        if self.sessions <= 1 {
            return (self.land(ctx).await.0, Vec::new());
        }
        // Named first: the app's own steps, named as they happen, are the
        // ones a deadline reports.
        ctx.step(format!(
            "opening {} more session(s) through {} to see where each lands",
            self.sessions - 1,
            join_endpoints(&self.params.endpoints())
        ));
        let ((mut landing, mut session), mut opened) = tokio::join!(self.land(ctx), self.sample(ctx));
        // A limit admits some of the sessions opened together, not
        // necessarily the app's: one that opened stands in for it.
        if let (Some(refused), Some(i)) =
            (refused_for_room(&landing), opened.iter().position(|(_, open)| open.is_some()))
        {
            if let (_, Some(stand_in)) = std::mem::replace(&mut opened[i], (Err(refused), None)) {
                (landing, session) = self.probe(ctx, stand_in).await;
            }
        }
        let samples: Vec<Sample> = opened.iter().map(|(sample, _)| sample.clone()).collect();
        match (&mut landing, &session) {
            (Landing::Connected { facts, .. }, Some(session)) => {
                // Refused over a connection limit: the open session can count against it.
                if samples.iter().any(|s| s.as_ref().is_err_and(|e| refusal::is_limit(e))) {
                    ctx.step(format!("counting the sessions against the connection limits on {}", session.endpoint));
                    facts.counts = limits::read(&session.client).await.ok();
                }
                (landing, samples)
            }
            _ => (landing, Vec::new()),
        }
    }

    async fn land(&self, ctx: &Context) -> (Landing, Option<conn::Session>) {
        match conn::connect(&self.params, Some(ctx)).await {
            Ok(session) => self.probe(ctx, session).await,
            Err((error, passed_over)) => (Landing::ConnectFailed { error, passed_over }, None),
        }
    }

    /// Everything asked of the session the app's URL opened.
    async fn probe(&self, ctx: &Context, session: conn::Session) -> (Landing, Option<conn::Session>) {
        ctx.step(format!("querying {} (role, read-only settings, write probe, replication)", session.endpoint));
        // Bounded inside the deadline: a pooler holding the first query is this check's finding.
        let budget = ctx.remaining().mul_f64(0.8);
        match tokio::time::timeout(budget, probe::probe_server(&session.client)).await {
            Ok(Ok(mut facts)) => {
                facts.wire = session.wire.clone();
                let landing = Landing::Connected {
                    endpoint: session.endpoint.clone(),
                    passed_over: session.passed_over.clone(),
                    facts: Box::new(facts),
                };
                (landing, Some(session))
            }
            Ok(Err(e)) => match conn::refused_after_login(&e, &self.params) {
                Some(error) => (Landing::ConnectFailed { error, passed_over: session.passed_over }, None),
                None => (Landing::QueryFailed { endpoint: session.endpoint, error: crate::errors::describe(&e) }, None),
            },
            Err(_) => {
                let error = ConnectError::LoginHeld {
                    endpoint: session.endpoint.to_string(),
                    waited: crate::human::duration(budget),
                    at: conn::HeldAt::FirstQuery,
                };
                (Landing::ConnectFailed { error, passed_over: session.passed_over }, None)
            }
        }
    }

    /// The sessions after the first, opened at once through the same
    /// connection string as a pool would, each asked where it landed; all
    /// bounded a little inside the check's deadline. Each that opened is
    /// returned with its answer, still open.
    async fn sample(&self, ctx: &Context) -> Vec<(Sample, Option<conn::Session>)> {
        let budget = ctx.remaining().mul_f64(0.8);
        let opens = (1..self.sessions).map(|_| async move {
            tokio::time::timeout(budget, async {
                let session = conn::connect(&self.params, None).await.map_err(|(e, _)| e.to_string())?;
                // A pooler refuses at the first query too: said in its words.
                let (in_recovery, addr, port) = probe::probe_landing(&session.client).await.map_err(|e| {
                    conn::refused_after_login(&e, &self.params)
                        .map_or_else(|| crate::errors::describe(&e), |r| r.to_string())
                })?;
                let server = match (addr, port) {
                    (Some(host), Some(port)) => Some(Endpoint { host, port }),
                    _ => None,
                };
                let place = SessionPlace { endpoint: session.endpoint.clone(), server, in_recovery };
                Ok((Ok(place), Some(session)))
            })
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {}", crate::human::duration(budget))))
            .unwrap_or_else(|error| (Err(error), None))
        });
        futures_util::future::join_all(opens).await
    }

    /// Every member at once, each bounded a little inside the check's own
    /// deadline so one dead member is reported rather than sinking the check.
    async fn probe_members(&self, ctx: &Context) -> Vec<MemberReport> {
        let budget = ctx.remaining().mul_f64(0.8);
        let probes = self.members.iter().map(|member| {
            let params = self.params.for_endpoint(&member.endpoint);
            async move {
                let result = tokio::time::timeout(budget, async {
                    let session = conn::connect(&params, None).await.map_err(|(e, _)| e.to_string())?;
                    let mut facts = probe::probe_role(&session.client).await.map_err(|e| e.to_string())?;
                    // What the member's own start-up said: a pooler listed as a member shows here.
                    facts.wire = session.wire.clone();
                    Ok(facts)
                })
                .await
                .unwrap_or_else(|_| Err(format!("no answer within {}", crate::human::duration(budget))));
                MemberReport { member: member.clone(), result }
            }
        });
        futures_util::future::join_all(probes).await
    }
}
