//! A real PostgreSQL primary + streaming replica on loopback for integration
//! tests. Each `PgCluster` owns its temp dir and ports, so tests may start
//! several in parallel. Servers listen on 127.0.0.1 only and every login is
//! SCRAM over TCP: nothing is trusted.

use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::net::free_port;

pub const DATABASE: &str = "keybuzz";
pub const SUPERUSER: &str = "postgres";
pub const SUPERUSER_PASSWORD: &str = "Sup3r-us3r_pw";
pub const REPLICATION_USER: &str = "replicator";
pub const REPLICATION_PASSWORD: &str = "R3plic8-pw";
pub const APP_USER: &str = "kb_backend";
/// URL-special characters on purpose: URLs must percent-encode it, and it is
/// distinctive enough to grep for in output that must never show it.
pub const APP_PASSWORD: &str = "Kb!pa55:w0rd@Zq";
pub const MONITOR_USER: &str = "kb_monitor";
pub const MONITOR_PASSWORD: &str = "M0n#it/or%pw";

/// Bound on every wait for a server state (start, streaming, promotion).
const WAIT: Duration = Duration::from_secs(30);
/// Bound on any single command (initdb, pg_ctl, pg_basebackup, psql).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);
/// Retries when the port picked by `free_port` was taken in the meantime.
const START_ATTEMPTS: u32 = 3;
const LOG_TAIL_LINES: usize = 40;

/// Login roles a test can build a URL for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `kb_backend`: ordinary login, owns the `keybuzz` database.
    App,
    /// `kb_monitor`: login with `pg_monitor`.
    Monitor,
}

impl Role {
    pub fn user(self) -> &'static str {
        match self {
            Role::App => APP_USER,
            Role::Monitor => MONITOR_USER,
        }
    }

    pub fn password(self) -> &'static str {
        match self {
            Role::App => APP_PASSWORD,
            Role::Monitor => MONITOR_PASSWORD,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Node {
    Primary,
    Replica,
}

/// A primary and a replica streaming from it, stopped and deleted on drop.
pub struct PgCluster {
    primary: Server,
    replica: Server,
    // Declared last: fields drop after `Drop::drop` has stopped the servers.
    dir: TempDir,
}

impl PgCluster {
    /// initdb + start the primary, create roles and the `keybuzz` database,
    /// clone the replica with pg_basebackup and wait until it streams.
    /// Panics (with log tails) if any step fails; whatever started is stopped.
    pub fn start() -> PgCluster {
        let dir = make_temp_dir();
        let mut cluster =
            PgCluster { primary: Server::new("primary", dir.path()), replica: Server::new("replica", dir.path()), dir };
        cluster.init_primary();
        cluster.primary.start();
        cluster.create_roles_and_database();
        cluster.clone_replica();
        cluster.replica.start();
        cluster.wait_for(Node::Primary, "SELECT count(*) > 0 FROM pg_stat_replication WHERE state = 'streaming'", "t");
        cluster
    }

    pub fn primary_port(&self) -> u16 {
        self.primary.port
    }

    pub fn replica_port(&self) -> u16 {
        self.replica.port
    }

    /// `KBZ_PG_NODES` naming both members as the reference reports do:
    /// `db-postgres-01=127.0.0.1:PRIMARY,db-postgres-03=127.0.0.1:REPLICA`.
    pub fn nodes(&self) -> String {
        format!("db-postgres-01=127.0.0.1:{},db-postgres-03=127.0.0.1:{}", self.primary_port(), self.replica_port())
    }

    pub fn port(&self, node: Node) -> u16 {
        self.server(node).port
    }

    /// `postgresql://ROLE:PASSWORD@127.0.0.1:PORT/keybuzz`, password percent-encoded.
    pub fn url(&self, role: Role, node: Node) -> String {
        format!(
            "postgresql://{}:{}@127.0.0.1:{}/{DATABASE}",
            role.user(),
            percent_encode(role.password()),
            self.port(node)
        )
    }

    /// Runs `sql` as superuser on `node` (database `keybuzz`); returns the
    /// trimmed unaligned tuples-only output. Panics with psql's stderr.
    pub fn psql(&self, node: Node, sql: &str) -> String {
        self.try_psql(node, sql).unwrap_or_else(|e| panic!("psql on {node:?} failed: {e}\nSQL: {sql}"))
    }

    /// Like `psql`, but returns psql's error instead of panicking.
    pub fn try_psql(&self, node: Node, sql: &str) -> Result<String, String> {
        superuser_psql(self.port(node), DATABASE, &[sql])
    }

    /// Polls `sql` on `node` until its output equals `expected`; panics after
    /// a bounded wait with the last answer and both servers' log tails.
    pub fn wait_for(&self, node: Node, sql: &str, expected: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let last = self.try_psql(node, sql);
            if last.as_deref() == Ok(expected) {
                return;
            }
            if Instant::now() >= deadline {
                panic!(
                    "waited {WAIT:?} on {node:?} for `{sql}` to return {expected:?}, \
                     last answer: {last:?}\n{}",
                    self.log_tails()
                );
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Promotes the replica and waits until it leaves recovery.
    pub fn promote_replica(&self) {
        let mut cmd = server_cmd("pg_ctl");
        cmd.args(["promote", "-w", "-t", "30", "-D"]).arg(&self.replica.data);
        run_or_panic(&mut cmd, "pg_ctl promote (replica)", &self.replica);
        self.wait_for(Node::Replica, "SELECT pg_is_in_recovery()", "f");
    }

    /// Turns TLS on for the primary with this certificate and key (PEM), by
    /// reloading its configuration; plain-text logins keep working.
    pub fn enable_tls_on_primary(&self, cert_pem: &str, key_pem: &str) {
        let data = &self.primary.data;
        fs::write(data.join("server.crt"), cert_pem).expect("write server.crt");
        let key = data.join("server.key");
        fs::write(&key, key_pem).expect("write server.key");
        // PostgreSQL refuses a private key others can read.
        fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).expect("chmod server.key");
        hand_to_server_user(data);
        self.psql(Node::Primary, "ALTER SYSTEM SET ssl = on");
        self.psql(Node::Primary, "SELECT pg_reload_conf()");
        self.wait_for(Node::Primary, "SHOW ssl", "on");
    }

    /// Puts `line` at the top of `node`'s pg_hba.conf, where it matches
    /// first, and reloads; returns the file as it was, for [`Self::set_hba`].
    pub fn prepend_hba(&self, node: Node, line: &str) -> String {
        let path = self.server(node).data.join("pg_hba.conf");
        let before = fs::read_to_string(&path).expect("read pg_hba.conf");
        self.set_hba(node, &format!("{line}\n{before}"));
        before
    }

    /// Writes `node`'s pg_hba.conf and reloads it; waits until the
    /// postmaster has read it (pg_hba_file_rules reads the file, so a
    /// short settle follows the reload signal).
    pub fn set_hba(&self, node: Node, text: &str) {
        let path = self.server(node).data.join("pg_hba.conf");
        // In place: the file keeps its owner, the server's user.
        fs::write(&path, text).expect("write pg_hba.conf");
        self.psql(node, "SELECT pg_reload_conf()");
        self.wait_for(node, "SELECT count(*) = 0 FROM pg_hba_file_rules WHERE error IS NOT NULL", "t");
        thread::sleep(Duration::from_millis(300));
    }

    /// Fast shutdown of the replica (the primary keeps running).
    pub fn stop_replica(&self) {
        self.replica
            .stop("fast")
            .unwrap_or_else(|e| panic!("stopping the replica failed: {e}\n{}", self.replica.log_tail()));
    }

    /// Last lines of the server log of `node`, for assertion messages.
    pub fn log_tail(&self, node: Node) -> String {
        self.server(node).log_tail()
    }

    fn server(&self, node: Node) -> &Server {
        match node {
            Node::Primary => &self.primary,
            Node::Replica => &self.replica,
        }
    }

    fn log_tails(&self) -> String {
        format!("{}\n{}", self.primary.log_tail(), self.replica.log_tail())
    }

    fn init_primary(&self) {
        let root = self.dir.path();
        let pwfile = root.join("superuser.pw");
        fs::write(&pwfile, SUPERUSER_PASSWORD).expect("write superuser password file");
        hand_to_server_user(root);
        let mut initdb = server_cmd("initdb");
        initdb
            .args(["--auth=scram-sha-256", "--username", SUPERUSER, "--pwfile"])
            .arg(&pwfile)
            .args(["--encoding=UTF8", "--no-locale", "--no-sync", "-D"])
            .arg(&self.primary.data);
        if let Err(e) = run(&mut initdb, "initdb") {
            panic!("{e}");
        }
        append(&self.primary.data.join("postgresql.conf"), &server_settings(root));
        fs::write(self.primary.data.join("pg_hba.conf"), PG_HBA).expect("write pg_hba.conf");
    }

    fn create_roles_and_database(&self) {
        let statements = [
            format!(
                "CREATE ROLE {REPLICATION_USER} WITH REPLICATION LOGIN PASSWORD {}",
                sql_literal(REPLICATION_PASSWORD)
            ),
            format!("CREATE ROLE {APP_USER} WITH LOGIN PASSWORD {}", sql_literal(APP_PASSWORD)),
            format!("CREATE ROLE {MONITOR_USER} WITH LOGIN PASSWORD {}", sql_literal(MONITOR_PASSWORD)),
            format!("GRANT pg_monitor TO {MONITOR_USER}"),
            // Own -c: CREATE DATABASE cannot run inside a transaction block.
            format!("CREATE DATABASE {DATABASE} OWNER {APP_USER}"),
        ];
        let statements: Vec<&str> = statements.iter().map(String::as_str).collect();
        if let Err(e) = superuser_psql(self.primary.port, "postgres", &statements) {
            panic!("primary setup SQL failed: {e}\n{}", self.primary.log_tail());
        }
    }

    /// pg_basebackup over TCP as `replicator`; `-R` writes primary_conninfo
    /// (with the password) and standby.signal.
    fn clone_replica(&self) {
        let mut cmd = server_cmd("pg_basebackup");
        cmd.env("PGPASSWORD", REPLICATION_PASSWORD)
            .env("PGCONNECT_TIMEOUT", "10")
            .args(["-h", "127.0.0.1", "-p", &self.primary.port.to_string()])
            .args(["-U", REPLICATION_USER, "-D"])
            .arg(&self.replica.data)
            .args(["-R", "-X", "stream", "--checkpoint=fast", "--no-sync"]);
        run_or_panic(&mut cmd, "pg_basebackup", &self.primary);
    }
}

impl Drop for PgCluster {
    /// Immediate stop so a panicking test leaves no postgres behind; errors
    /// are ignored (the server may already be down). TempDir then deletes.
    fn drop(&mut self) {
        let _ = self.replica.stop("immediate");
        let _ = self.primary.stop("immediate");
    }
}

/// One postgres instance: data dir, log file, port.
struct Server {
    name: &'static str,
    data: PathBuf,
    log: PathBuf,
    port: u16,
    /// True from the first start attempt on, so Drop also stops a server
    /// whose `pg_ctl start` timed out half-way.
    running: AtomicBool,
}

impl Server {
    fn new(name: &'static str, root: &Path) -> Server {
        Server {
            name,
            data: root.join(name),
            log: root.join(format!("{name}.log")),
            port: 0,
            running: AtomicBool::new(false),
        }
    }

    /// Starts on a fresh free port, retrying if that port got taken meanwhile.
    fn start(&mut self) {
        for attempt in 1..=START_ATTEMPTS {
            self.port = free_port();
            // postgresql.auto.conf is read last, so this wins over the copy
            // of the primary's port that pg_basebackup gives the replica.
            append(&self.data.join("postgresql.auto.conf"), &format!("port = {}\n", self.port));
            self.running.store(true, Ordering::SeqCst);
            let mut cmd = server_cmd("pg_ctl");
            cmd.args(["start", "-w", "-t", "30", "-D"]).arg(&self.data).arg("-l").arg(&self.log);
            match run(&mut cmd, "pg_ctl start") {
                Ok(_) => return,
                Err(_) if attempt < START_ATTEMPTS && self.port_was_taken() => continue,
                Err(e) => panic!("starting the {}: {e}\n{}", self.name, self.log_tail()),
            }
        }
    }

    fn port_was_taken(&self) -> bool {
        self.log_tail().contains("Address already in use")
    }

    fn stop(&self, mode: &str) -> Result<(), String> {
        if !self.running.load(Ordering::SeqCst) {
            return Ok(());
        }
        let mut cmd = server_cmd("pg_ctl");
        cmd.args(["stop", "-m", mode, "-w", "-t", "30", "-D"]).arg(&self.data);
        run(&mut cmd, "pg_ctl stop")?;
        self.running.store(false, Ordering::SeqCst);
        Ok(())
    }

    fn log_tail(&self) -> String {
        let text = fs::read(&self.log)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_else(|e| format!("(cannot read {}: {e})", self.log.display()));
        let lines: Vec<&str> = text.lines().collect();
        let tail = &lines[lines.len().saturating_sub(LOG_TAIL_LINES)..];
        format!("--- {} log tail ---\n{}", self.name, tail.join("\n"))
    }
}

/// Appended to the primary's postgresql.conf (pg_basebackup copies it).
fn server_settings(socket_dir: &Path) -> String {
    format!(
        "
# kbz-check test harness
listen_addresses = '127.0.0.1'
unix_socket_directories = '{}'
wal_level = replica
max_wal_senders = 5
hot_standby = on
fsync = off
full_page_writes = off
shared_buffers = 16MB
max_connections = 30
log_line_prefix = '%m [%p] %q%u@%d '
",
        socket_dir.display()
    )
}

/// SCRAM over loopback TCP only; no `local` line, so no socket login at all.
const PG_HBA: &str = "\
# kbz-check test harness: password logins over loopback TCP only
host    all          all         127.0.0.1/32  scram-sha-256
host    replication  replicator  127.0.0.1/32  scram-sha-256
";

/// Runs psql with the connection URL `url` (which carries the password).
pub fn psql_url(url: &str, sql: &str) -> Result<String, String> {
    let mut cmd = psql_cmd();
    cmd.arg("-d").arg(url).arg("-c").arg(sql);
    run(&mut cmd, "psql")
}

fn superuser_psql(port: u16, database: &str, statements: &[&str]) -> Result<String, String> {
    let mut cmd = psql_cmd();
    cmd.env("PGPASSWORD", SUPERUSER_PASSWORD)
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(["-U", SUPERUSER, "-d", database]);
    // One -c each: psql runs them one by one, each in its own transaction.
    for sql in statements {
        cmd.arg("-c").arg(sql);
    }
    run(&mut cmd, "psql")
}

/// psql with a clean environment and bounded connect and statement times.
fn psql_cmd() -> Command {
    let mut cmd = Command::new(psql_bin());
    clean_env(&mut cmd);
    cmd.env("PGCONNECT_TIMEOUT", "10").env("PGOPTIONS", "-c statement_timeout=30000").args([
        "-X",
        "-A",
        "-t",
        "-v",
        "ON_ERROR_STOP=1",
    ]);
    cmd
}

/// Percent-encodes everything but RFC 3986 unreserved characters, which is
/// always safe inside a URL's userinfo.
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn sql_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A PostgreSQL server binary; as root it runs as the `postgres` OS user
/// because PostgreSQL refuses to run as root.
fn server_cmd(bin: &str) -> Command {
    let path = pg_bindir().join(bin);
    let mut cmd = if running_as_root() {
        let mut runuser = Command::new("runuser");
        runuser.args(["-u", "postgres", "--"]).arg(path);
        runuser
    } else {
        Command::new(path)
    };
    clean_env(&mut cmd);
    // The test's cwd may not be readable by the postgres user.
    cmd.current_dir("/");
    cmd
}

/// Keeps the host's PG* variables (PGHOST, PGDATA, ...) out of the harness.
fn clean_env(cmd: &mut Command) {
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
}

fn run_or_panic(cmd: &mut Command, what: &str, log_of: &Server) {
    if let Err(e) = run(cmd, what) {
        panic!("{e}\n{}", log_of.log_tail());
    }
}

/// Runs `cmd` within COMMAND_TIMEOUT. Ok(trimmed stdout) on exit 0, else
/// Err naming `what` with the exit status and stderr.
fn run(cmd: &mut Command, what: &str) -> Result<String, String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{what}: cannot spawn: {e}"))?;
    // Drained on threads so a chatty child cannot block on a full pipe.
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let Some(status) = wait_bounded(&mut child, COMMAND_TIMEOUT) else {
        // Not joining: a killed wrapper's children may still hold the pipes.
        return Err(format!("{what}: timed out after {COMMAND_TIMEOUT:?}"));
    };
    let out = stdout.join().unwrap_or_default();
    let err = stderr.join().unwrap_or_default();
    if status.success() {
        Ok(out.trim().to_string())
    } else {
        Err(format!("{what} failed ({status}): {}", err.trim()))
    }
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Waits for `child` up to `timeout`; kills it and returns None past that.
fn wait_bounded(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

fn append(path: &Path, text: &str) {
    OpenOptions::new()
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .unwrap_or_else(|e| panic!("append to {}: {e}", path.display()));
}

fn make_temp_dir() -> TempDir {
    // /tmp keeps socket paths under the 107-byte limit and is traversable by
    // the postgres user even when TMPDIR points into a private home.
    let base = Path::new("/tmp");
    let base = if base.is_dir() { base.to_path_buf() } else { std::env::temp_dir() };
    tempfile::Builder::new().prefix("kbz-pg-").tempdir_in(base).expect("create the cluster's temp dir")
}

/// As root, give the cluster dir to the `postgres` OS user that runs the servers.
fn hand_to_server_user(dir: &Path) {
    if !running_as_root() {
        return;
    }
    let mut chown = Command::new("chown");
    chown.arg("-R").arg("postgres:").arg(dir);
    if let Err(e) = run(&mut chown, "chown -R postgres:") {
        panic!("{e} (does the `postgres` OS user exist? scripts/test creates it)");
    }
}

fn running_as_root() -> bool {
    static ROOT: OnceLock<bool> = OnceLock::new();
    *ROOT.get_or_init(|| effective_uid() == Some(0))
}

/// Effective uid from /proc/self/status, falling back to `id -u`.
fn effective_uid() -> Option<u32> {
    let from_proc = fs::read_to_string("/proc/self/status").ok().and_then(|s| {
        s.lines().find_map(|l| l.strip_prefix("Uid:")).and_then(|ids| ids.split_whitespace().nth(1)?.parse().ok())
    });
    from_proc.or_else(|| {
        let out = Command::new("id").arg("-u").output().ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    })
}

/// Server binaries: `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin.
fn pg_bindir() -> &'static Path {
    static BINDIR: OnceLock<PathBuf> = OnceLock::new();
    BINDIR.get_or_init(find_bindir)
}

fn find_bindir() -> PathBuf {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_basebackup").is_file();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_server(&dir) {
            return dir;
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, dir)| has_server(dir))
        .collect();
    versions.sort();
    match versions.pop() {
        Some((_, dir)) => dir,
        None => panic!(
            "PostgreSQL server binaries (initdb, pg_basebackup) not found via \
             `pg_config --bindir` or /usr/lib/postgresql/*/bin; scripts/test installs them"
        ),
    }
}

fn psql_bin() -> PathBuf {
    let system = Path::new("/usr/bin/psql");
    if system.is_file() {
        system.to_path_buf()
    } else {
        pg_bindir().join("psql")
    }
}

/// No password of the test roles appears in `text`, as written or percent-encoded.
pub fn assert_no_password(text: &str) {
    for secret in [APP_PASSWORD, MONITOR_PASSWORD, &percent_encode(APP_PASSWORD)] {
        assert!(!text.contains(secret), "a password leaked into the output:\n{text}");
    }
}
