//! A real HAProxy (Debian's `haproxy` package) in TCP mode on loopback, in
//! front of PostgreSQL servers: the write endpoint a cluster's apps use.
//! Its config goes to a temp dir; it runs in the foreground (`-db`) as a
//! child, killed on drop.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::net::free_port;

pub const HAPROXY: &str = "/usr/sbin/haproxy";

/// How HAProxy picks a server for each new connection.
#[derive(Clone, Copy, Debug)]
pub enum Balance {
    /// Each server in turn: a write endpoint without a leader health check.
    RoundRobin,
}

impl Balance {
    fn keyword(self) -> &'static str {
        match self {
            Balance::RoundRobin => "roundrobin",
        }
    }
}

/// HAProxy listening on 127.0.0.1:`port`, forwarding TCP to its servers.
pub struct Haproxy {
    child: Child,
    port: u16,
    // Dropped after the child is killed.
    dir: TempDir,
}

impl Haproxy {
    /// Starts HAProxy balancing over `servers` (name, 127.0.0.1 port), and
    /// waits until its port accepts. Panics naming `scripts/test` when
    /// HAProxy is not installed.
    pub fn start(balance: Balance, servers: &[(&str, u16)]) -> Haproxy {
        assert!(
            Path::new(HAPROXY).is_file(),
            "{HAPROXY} is missing: run scripts/test, which installs Debian's haproxy package (or apt-get install haproxy)"
        );
        let dir = tempfile::tempdir().expect("temp dir for haproxy.cfg");
        let port = free_port();
        let mut config = format!(
            "global\n    maxconn 200\n    stats socket {} mode 600 level user\n\n\
             defaults\n    mode tcp\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n\n\
             frontend postgres_write\n    bind 127.0.0.1:{port}\n    default_backend postgres\n\n\
             backend postgres\n    balance {}\n",
            dir.path().join("stats.sock").display(),
            balance.keyword()
        );
        for (name, server_port) in servers {
            config.push_str(&format!("    server {name} 127.0.0.1:{server_port}\n"));
        }
        let cfg = dir.path().join("haproxy.cfg");
        std::fs::write(&cfg, &config).expect("write haproxy.cfg");
        let check = Command::new(HAPROXY).arg("-c").arg("-f").arg(&cfg).output().expect("run haproxy -c");
        assert!(
            check.status.success(),
            "haproxy refuses its config:\n{config}\n{}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
        let child = Command::new(HAPROXY)
            .arg("-f")
            .arg(&cfg)
            .arg("-db")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {HAPROXY}: {e}"));
        let mut proxy = Haproxy { child, port, dir };
        proxy.wait_until_listening(&config);
        proxy
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Connections the frontend has accepted so far (its `stot`), read
    /// from HAProxy's stats socket: the sessions a client opened through it.
    pub fn sessions_accepted(&self) -> u64 {
        let socket = self.dir.path().join("stats.sock");
        let mut stream = UnixStream::connect(&socket).unwrap_or_else(|e| panic!("{}: {e}", socket.display()));
        stream.write_all(b"show stat\n").expect("ask haproxy for its stats");
        let mut csv = String::new();
        stream.read_to_string(&mut csv).expect("read haproxy's stats");
        let header: Vec<&str> = csv.lines().next().unwrap_or_default().trim_start_matches("# ").split(',').collect();
        let stot = header.iter().position(|c| *c == "stot").unwrap_or_else(|| panic!("no stot column:\n{csv}"));
        let row = csv
            .lines()
            .find(|l| l.starts_with("postgres_write,FRONTEND,"))
            .unwrap_or_else(|| panic!("no frontend row:\n{csv}"));
        row.split(',').nth(stot).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("bad stot in {row}"))
    }

    fn wait_until_listening(&mut self, config: &str) {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("haproxy exited before listening ({status}) with:\n{config}");
            }
            // The probe connection only opens and closes: HAProxy forwards
            // it to a server, which sees a client that never logs in.
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                break;
            }
            assert!(Instant::now() < deadline, "haproxy did not listen on {addr} within 10s with:\n{config}");
            thread::sleep(Duration::from_millis(50));
        }
        // The kernel completes the probe's handshake before HAProxy accepts
        // it: wait until HAProxy has counted it, so a test's count taken
        // from here on sees only its own sessions.
        while self.sessions_accepted() == 0 {
            assert!(Instant::now() < deadline, "haproxy did not count its readiness probe within 10s");
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
