//! A real PgBouncer (Debian's `pgbouncer` package) on loopback, in front of
//! one PostgreSQL server of a [`PgCluster`]: the pooler many apps reach
//! their database through. Its config, auth_file, TLS files and log go to
//! its own temp dir; it runs in the foreground as a child (as the
//! `postgres` OS user when the tests run as root: PgBouncer refuses root),
//! killed on drop. Every timeout is short, so a test never waits long.

use std::fs;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::net::free_port;
use super::pg::{Node, PgCluster, Role, DATABASE};
use super::tls::ServerCert;

pub const PGBOUNCER: &str = "/usr/sbin/pgbouncer";

/// Bound on the wait for PgBouncer to listen.
const START_WAIT: Duration = Duration::from_secs(10);
/// Retries when the port picked by `free_port` was taken in the meantime.
const START_ATTEMPTS: u32 = 3;
const LOG_TAIL_LINES: usize = 40;

/// When PgBouncer hands a server connection back to its pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolMode {
    /// At the end of the client's session: one server session per client session.
    Session,
    /// At the end of each transaction: a client's transactions may run on different server sessions.
    Transaction,
}

impl PoolMode {
    fn keyword(self) -> &'static str {
        match self {
            PoolMode::Session => "session",
            PoolMode::Transaction => "transaction",
        }
    }
}

/// What the auth_file holds for a role.
#[derive(Clone, Debug)]
pub enum Secret {
    /// The role's SCRAM secret, as in `pg_authid.rolpassword`: PgBouncer
    /// checks the client's SCRAM proof against it and logs in to the server
    /// with the keys the client proved (SCRAM pass-through).
    Scram(String),
    /// The plain password: PgBouncer checks the client with it and logs in
    /// to the server with it.
    Plain(String),
}

impl Secret {
    fn text(&self) -> &str {
        match self {
            Secret::Scram(s) | Secret::Plain(s) => s,
        }
    }
}

/// TLS between the client and PgBouncer (`client_tls_*`).
#[derive(Clone, Debug)]
pub struct ClientTls {
    pub cert_pem: String,
    pub key_pem: String,
    /// `client_tls_sslmode`: `require` refuses plain-text clients, `allow`/`prefer` accept both.
    pub sslmode: &'static str,
}

impl ClientTls {
    /// TLS required of every client, with `cert` (from [`super::tls::TestCa`]).
    pub fn require(cert: &ServerCert) -> ClientTls {
        ClientTls { cert_pem: cert.cert_pem.clone(), key_pem: cert.key_pem.clone(), sslmode: "require" }
    }
}

/// Everything a PgBouncer is started with.
#[derive(Clone, Debug)]
pub struct Setup {
    /// The PostgreSQL server (127.0.0.1) behind it.
    pub server_port: u16,
    /// The database clients name, forwarded to the same name on the server.
    pub database: String,
    pub pool_mode: PoolMode,
    /// `auth_type`: `scram-sha-256` unless a test asks otherwise.
    pub auth_type: &'static str,
    /// The auth_file's lines: role and what PgBouncer holds for it.
    pub users: Vec<(String, Secret)>,
    pub client_tls: Option<ClientTls>,
    /// `server_tls_sslmode`: `disable` by default, so the server sees PgBouncer's session in plain text.
    pub server_tls_sslmode: &'static str,
    /// More `key = value` lines for the `[pgbouncer]` section (they win over the defaults above them).
    pub extra: Vec<String>,
}

impl Setup {
    /// PgBouncer in front of `node` of `pg` with `pool_mode`, the app role
    /// (and the monitor role) in its auth_file by their SCRAM secrets.
    pub fn new(pg: &PgCluster, node: Node, pool_mode: PoolMode) -> Setup {
        let users = [Role::App, Role::Monitor]
            .into_iter()
            .map(|role| (role.user().to_string(), Secret::Scram(scram_secret(pg, role.user()))))
            .collect();
        Setup {
            server_port: pg.port(node),
            database: DATABASE.to_string(),
            pool_mode,
            auth_type: "scram-sha-256",
            users,
            client_tls: None,
            server_tls_sslmode: "disable",
            extra: Vec::new(),
        }
    }

    pub fn with_client_tls(mut self, tls: ClientTls) -> Setup {
        self.client_tls = Some(tls);
        self
    }

    /// The auth_file holds the plain passwords of these roles instead.
    pub fn with_plain_passwords(mut self) -> Setup {
        self.users = [Role::App, Role::Monitor]
            .into_iter()
            .map(|role| (role.user().to_string(), Secret::Plain(role.password().to_string())))
            .collect();
        self
    }

    /// One more `key = value` line for the `[pgbouncer]` section.
    pub fn with(mut self, line: impl Into<String>) -> Setup {
        self.extra.push(line.into());
        self
    }
}

/// The SCRAM secret PostgreSQL keeps for `user` (`pg_authid.rolpassword`), read on the primary.
pub fn scram_secret(pg: &PgCluster, user: &str) -> String {
    let secret = pg.psql(Node::Primary, &format!("SELECT rolpassword FROM pg_authid WHERE rolname = '{user}'"));
    assert!(secret.starts_with("SCRAM-SHA-256$"), "role {user} has no SCRAM secret");
    secret
}

/// PgBouncer listening on 127.0.0.1:`port`.
pub struct PgBouncer {
    child: Child,
    port: u16,
    server_port: u16,
    log: PathBuf,
    // Dropped after the child is killed.
    dir: TempDir,
}

impl PgBouncer {
    /// [`Setup::new`], started.
    pub fn start(pg: &PgCluster, node: Node, pool_mode: PoolMode) -> PgBouncer {
        PgBouncer::with_setup(&Setup::new(pg, node, pool_mode))
    }

    /// Starts PgBouncer as `setup` says and waits until its port accepts.
    /// Panics naming `scripts/test` when PgBouncer is not installed, and
    /// with its log when it does not start.
    pub fn with_setup(setup: &Setup) -> PgBouncer {
        assert!(
            Path::new(PGBOUNCER).is_file(),
            "{PGBOUNCER} is missing: run scripts/test, which installs Debian's pgbouncer package (or apt-get install pgbouncer)"
        );
        let mut dir = tempfile::Builder::new().prefix("kbz-pgbouncer-").tempdir_in("/tmp").expect("pgbouncer temp dir");
        let log = dir.path().join("pgbouncer.log");
        let auth_file = dir.path().join("userlist.txt");
        let lines: Vec<String> =
            setup.users.iter().map(|(user, secret)| format!("{} {}", quoted(user), quoted(secret.text()))).collect();
        write_private(&auth_file, &(lines.join("\n") + "\n"));
        let tls = setup.client_tls.as_ref().map(|tls| {
            let (cert, key) = (dir.path().join("client-tls.crt"), dir.path().join("client-tls.key"));
            write_private(&cert, &tls.cert_pem);
            write_private(&key, &tls.key_pem);
            (tls.sslmode, cert, key)
        });
        let user = server_user();
        if let Some((uid, gid)) = user {
            chown(dir.path(), uid, gid);
        }
        let cfg = dir.path().join("pgbouncer.ini");
        for attempt in 1..=START_ATTEMPTS {
            let port = free_port();
            let config = config(setup, port, &auth_file, &log, tls.as_ref());
            fs::write(&cfg, &config).expect("write pgbouncer.ini");
            if let Some((uid, gid)) = user {
                chown(dir.path(), uid, gid);
            }
            let mut cmd = Command::new(PGBOUNCER);
            cmd.arg(&cfg).env_clear().current_dir("/").stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
            // Set on the process itself, not through runuser: the child is PgBouncer, so Drop kills it.
            if let Some((uid, gid)) = user {
                cmd.uid(uid).gid(gid);
            }
            let child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {PGBOUNCER}: {e}"));
            let mut bouncer = PgBouncer { child, port, server_port: setup.server_port, log: log.clone(), dir };
            match bouncer.wait_until_listening() {
                Ok(()) => return bouncer,
                Err(e) if attempt < START_ATTEMPTS && bouncer.log_tail().contains("Address already in use") => {
                    eprintln!("{e}; retrying on another port");
                    bouncer.stop();
                    dir = bouncer.take_dir();
                }
                Err(e) => panic!("{e}\nwith:\n{config}\n{}", bouncer.log_tail()),
            }
        }
        unreachable!("the last attempt returns or panics")
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT`: where clients connect.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `127.0.0.1:PORT` of the PostgreSQL server behind it.
    pub fn server_address(&self) -> String {
        format!("127.0.0.1:{}", self.server_port)
    }

    /// `postgresql://ROLE:PASSWORD@127.0.0.1:PORT/keybuzz` through this PgBouncer, password percent-encoded.
    pub fn url(&self, role: Role) -> String {
        format!(
            "postgresql://{}:{}@127.0.0.1:{}/{DATABASE}",
            role.user(),
            super::pg::percent_encode(role.password()),
            self.port
        )
    }

    /// Runs `sql` with psql through this PgBouncer as `role` (the connection
    /// string `url`, e.g. [`PgBouncer::url`] plus TLS options): the trimmed
    /// unaligned tuples-only output, or psql's error. No PGOPTIONS: PgBouncer
    /// refuses the `options` startup parameter.
    pub fn psql(&self, url: &str, sql: &str) -> Result<String, String> {
        psql(url, sql)
    }

    /// Last lines of PgBouncer's log, for assertion messages.
    pub fn log_tail(&self) -> String {
        let text = fs::read(&self.log)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_else(|e| format!("(cannot read {}: {e})", self.log.display()));
        let lines: Vec<&str> = text.lines().collect();
        let tail = &lines[lines.len().saturating_sub(LOG_TAIL_LINES)..];
        format!("--- pgbouncer log tail ---\n{}", tail.join("\n"))
    }

    fn wait_until_listening(&mut self) -> Result<(), String> {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + START_WAIT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("pgbouncer exited before listening on {addr} ({status})"));
            }
            // The probe connection opens and closes; PgBouncer logs it and opens nothing on the server.
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!("pgbouncer did not listen on {addr} within {START_WAIT:?}"));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The temp dir, kept for another attempt; `self` is then only dropped.
    fn take_dir(&mut self) -> TempDir {
        std::mem::replace(&mut self.dir, tempfile::tempdir().expect("placeholder temp dir"))
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// psql with a clean environment, a 5 s connect timeout and a 30 s bound.
pub fn psql(url: &str, sql: &str) -> Result<String, String> {
    let psql = ["/usr/bin/psql", "/usr/lib/postgresql/15/bin/psql"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
        .expect("psql not found: scripts/test installs PostgreSQL");
    let mut child = Command::new(psql)
        .env_clear()
        .env("PGCONNECT_TIMEOUT", "5")
        .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("psql: cannot spawn: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().map_err(|e| e.to_string())?.is_none() {
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err("psql: timed out after 30s".to_string());
        }
        thread::sleep(Duration::from_millis(20));
    }
    // Its output is a few lines: it fits the pipes, so reading after exit cannot block.
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(format!("psql failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr).trim()))
    }
}

/// pgbouncer.ini: one database, loopback only, no Unix socket, short timeouts.
fn config(setup: &Setup, port: u16, auth_file: &Path, log: &Path, tls: Option<&(&str, PathBuf, PathBuf)>) -> String {
    let mut text = format!(
        "[databases]\n{db} = host=127.0.0.1 port={server} dbname={db}\n\n\
         [pgbouncer]\n\
         listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
         logfile = {log}\nsyslog = 0\n\
         auth_type = {auth}\nauth_file = {auth_file}\n\
         pool_mode = {mode}\nmax_client_conn = 100\ndefault_pool_size = 10\n\
         server_tls_sslmode = {server_tls}\n\
         server_connect_timeout = 3\nserver_login_retry = 1\nclient_login_timeout = 10\n\
         query_wait_timeout = 10\nserver_lifetime = 300\nserver_idle_timeout = 60\n",
        db = setup.database,
        server = setup.server_port,
        log = log.display(),
        auth = setup.auth_type,
        auth_file = auth_file.display(),
        mode = setup.pool_mode.keyword(),
        server_tls = setup.server_tls_sslmode,
    );
    if let Some((mode, cert, key)) = tls {
        text.push_str(&format!(
            "client_tls_sslmode = {mode}\nclient_tls_cert_file = {}\nclient_tls_key_file = {}\n",
            cert.display(),
            key.display()
        ));
    }
    for line in &setup.extra {
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// `"value"` as the auth_file reads it: a `"` inside is doubled.
fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\"\""))
}

fn write_private(path: &Path, text: &str) {
    fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    // PgBouncer, like PostgreSQL, wants its key to itself.
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).expect("chmod 600");
}

/// As root, the `postgres` OS user's uid and gid, which PgBouncer runs as.
fn server_user() -> Option<(u32, u32)> {
    if !running_as_root() {
        return None;
    }
    let passwd = fs::read_to_string("/etc/passwd").expect("read /etc/passwd");
    let line = passwd.lines().find(|l| l.starts_with("postgres:")).unwrap_or_else(|| {
        panic!("no `postgres` OS user to run PgBouncer as (PgBouncer refuses root); scripts/test creates it")
    });
    let fields: Vec<&str> = line.split(':').collect();
    Some((fields[2].parse().expect("postgres uid"), fields[3].parse().expect("postgres gid")))
}

fn chown(dir: &Path, uid: u32, gid: u32) {
    for entry in fs::read_dir(dir).expect("read pgbouncer dir").flatten() {
        std::os::unix::fs::chown(entry.path(), Some(uid), Some(gid)).expect("chown a pgbouncer file");
    }
    std::os::unix::fs::chown(dir, Some(uid), Some(gid)).expect("chown the pgbouncer dir");
}

fn running_as_root() -> bool {
    fs::read_to_string("/proc/self/status").ok().and_then(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1)?.parse::<u32>().ok())
    }) == Some(0)
}
