//! A network namespace of a test's own, holding only a loopback interface,
//! with a DNS server (Debian's dnsmasq) on that loopback: `ip netns exec`
//! puts `/etc/netns/NAME/resolv.conf` over `/etc/resolv.conf`, so a binary
//! run inside looks names up there and nowhere else. This host's own
//! resolver may be on another machine; a DNS test must never ask it, and in
//! the namespace no packet can leave loopback at all.
//!
//! dnsmasq answers NXDOMAIN for every name under `.invalid` (RFC 2606) and
//! [`RESOLVES`] with 127.0.0.1. Needs root (`ip netns add`) and iproute2 and
//! dnsmasq-base, which scripts/test installs.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// A name the namespace's resolver answers, with 127.0.0.1.
pub const RESOLVES: &str = "resolves.kbz.test";
/// Bound on the wait for dnsmasq to answer.
const READY_WAIT: Duration = Duration::from_secs(15);
const DNSMASQ: &str = "/usr/sbin/dnsmasq";

static NEXT: AtomicUsize = AtomicUsize::new(0);

pub struct DnsNamespace {
    name: String,
    dnsmasq: Option<Child>,
    // Declared last: removed after `Drop::drop` has stopped dnsmasq.
    dir: TempDir,
}

impl DnsNamespace {
    /// The namespace, its resolver answering.
    pub fn start() -> DnsNamespace {
        assert!(
            Path::new(DNSMASQ).is_file(),
            "{DNSMASQ} is not installed: scripts/test installs Debian's dnsmasq-base (the DNS tests run it as the \
             only resolver kbz-check can reach)"
        );
        let mut ns = DnsNamespace::without_resolver();
        let log = fs::File::create(ns.log_path()).expect("create dnsmasq's log");
        let dnsmasq = ns
            .exec(DNSMASQ)
            .args([
                "--keep-in-foreground",
                "--conf-file=/dev/null",
                "--no-resolv",
                "--no-hosts",
                "--listen-address=127.0.0.1",
                "--bind-interfaces",
                "--port=53",
                "--user=root",
                "--log-queries",
                "--log-facility=-",
                "--address=/invalid/",
                &format!("--address=/{RESOLVES}/127.0.0.1"),
            ])
            .arg(format!("--pid-file={}", ns.dir.path().join("dnsmasq.pid").display()))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("dnsmasq's log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {DNSMASQ} in {}: {e}", ns.name));
        ns.dnsmasq = Some(dnsmasq);
        ns.wait_until_answering();
        ns
    }

    /// The namespace with its resolv.conf naming 127.0.0.1 and nothing
    /// listening there: a resolver that is down (every query refused at once).
    pub fn without_resolver() -> DnsNamespace {
        let name = format!("kbz-dns-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst));
        let dir = tempfile::tempdir().expect("temp dir for dnsmasq's log");
        let added = Command::new("ip").args(["netns", "add", &name]).output();
        match added {
            Ok(out) if out.status.success() => {}
            other => panic!(
                "cannot create the network namespace {name} with `ip netns add` ({}): the DNS tests run kbz-check \
                 in a namespace of its own so that no DNS query leaves loopback; they need root and iproute2 \
                 (scripts/test installs it)",
                describe(&other)
            ),
        }
        // From here on, Drop deletes the namespace whatever fails.
        let ns = DnsNamespace { name, dnsmasq: None, dir };
        fs::create_dir_all(ns.etc()).expect("create /etc/netns/NAME");
        fs::write(ns.etc().join("resolv.conf"), "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
            .expect("write the namespace's resolv.conf");
        let up = ns.exec("ip").args(["link", "set", "lo", "up"]).output();
        assert!(matches!(&up, Ok(out) if out.status.success()), "bringing lo up in {}: {}", ns.name, describe(&up));
        ns
    }

    /// `program` run inside the namespace, with an empty environment (PATH aside).
    pub fn exec(&self, program: impl AsRef<Path>) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.name]).arg(program.as_ref()).env_clear();
        if let Some(path) = std::env::var_os("PATH") {
            cmd.env("PATH", path);
        }
        cmd
    }

    /// `hosts` becomes the namespace's `/etc/hosts` for what starts in it
    /// from now on: names only the namespace's processes know, as a
    /// container's own hosts file.
    pub fn write_hosts(&self, hosts: &str) {
        fs::write(self.etc().join("hosts"), hosts).expect("write the namespace's hosts");
    }

    /// The namespace as the kernel names it in `/proc/PID/ns/net`.
    pub fn kernel_name(&self) -> String {
        let file = Path::new("/run/netns").join(&self.name);
        let inode = std::os::unix::fs::MetadataExt::ino(&fs::metadata(file).expect("the namespace's file"));
        format!("net:[{inode}]")
    }

    /// The `kbz-check` binary, run inside the namespace with an empty environment.
    pub fn kbz_check(&self) -> Command {
        self.exec(env!("CARGO_BIN_EXE_kbz-check"))
    }

    /// dnsmasq's log: each query it got, and its answer.
    pub fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = fs::File::open(self.log_path()) {
            let _ = file.read_to_string(&mut text);
        }
        text
    }

    fn etc(&self) -> PathBuf {
        Path::new("/etc/netns").join(&self.name)
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("dnsmasq.log")
    }

    /// Asks for [`RESOLVES`] through the namespace's resolv.conf (one try,
    /// one second each) until dnsmasq answers, within READY_WAIT.
    fn wait_until_answering(&mut self) {
        let began = Instant::now();
        loop {
            let lookup = self.exec("getent").args(["hosts", RESOLVES]).output();
            if matches!(&lookup, Ok(out) if out.status.success() && String::from_utf8_lossy(&out.stdout).starts_with("127.0.0.1"))
            {
                return;
            }
            let exited = self.dnsmasq.as_mut().and_then(|child| child.try_wait().ok().flatten());
            if exited.is_some() || began.elapsed() > READY_WAIT {
                panic!(
                    "dnsmasq in {} did not answer {RESOLVES} within {READY_WAIT:?} (exited: {exited:?}; last lookup: {}). Its log:\n{}",
                    self.name,
                    describe(&lookup),
                    self.log()
                );
            }
            thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for DnsNamespace {
    fn drop(&mut self) {
        if let Some(mut child) = self.dnsmasq.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = Command::new("ip").args(["netns", "del", &self.name]).output();
        let _ = fs::remove_dir_all(self.etc());
    }
}

fn describe(result: &std::io::Result<Output>) -> String {
    match result {
        Ok(out) => format!(
            "{}: {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => e.to_string(),
    }
}
