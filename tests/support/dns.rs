//! DNS servers for the domain check's tests, on loopback only: Debian's
//! Knot DNS, authoritative for the zones a test writes (a zone configured
//! without its file does not load, and Knot answers SERVFAIL for it), and a
//! UDP socket that reads queries and never answers. scripts/test installs
//! Knot (`knot`).

use std::fs;
use std::net::{TcpListener, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};
use tempfile::TempDir;

const KNOTD: &str = "/usr/sbin/knotd";
/// Bound on the wait for Knot to answer.
const READY_WAIT: Duration = Duration::from_secs(15);

/// A zone Knot serves: its origin and its records (without SOA and NS,
/// which are added), or `None` for a zone that fails to load.
pub struct Zone<'a> {
    pub origin: &'a str,
    pub records: Option<&'a str>,
}

pub struct Knot {
    child: Option<Child>,
    port: u16,
    dir: TempDir,
}

impl Knot {
    pub fn start(zones: &[Zone]) -> Knot {
        assert!(
            Path::new(KNOTD).is_file(),
            "{KNOTD} is not installed: scripts/test installs Debian's knot (the domain check's tests ask it)"
        );
        let dir = tempfile::Builder::new().prefix("kbz-knot-").tempdir().expect("temp dir for Knot");
        let port = free_udp_and_tcp_port();
        let mut conf = format!(
            "server:\n    listen: 127.0.0.1@{port}\n    rundir: {run}\ndatabase:\n    storage: {run}/db\nlog:\n  - target: stderr\n    any: info\nzone:\n",
            run = dir.path().display()
        );
        for zone in zones {
            let file = dir.path().join(format!("{}.zone", zone.origin));
            if let Some(records) = zone.records {
                let text = format!(
                    "$ORIGIN {origin}.\n$TTL 60\n@ SOA ns.{origin}. hostmaster.{origin}. 1 3600 600 86400 60\n@ NS ns.{origin}.\nns A 127.0.0.1\n{records}\n",
                    origin = zone.origin
                );
                fs::write(&file, text).expect("write a zone file");
            }
            conf.push_str(&format!("  - domain: {}\n    file: {}\n", zone.origin, file.display()));
        }
        let conf_path = dir.path().join("knot.conf");
        fs::write(&conf_path, conf).expect("write knot.conf");
        let log = fs::File::create(dir.path().join("knot.log")).expect("create Knot's log");
        let child = Command::new(KNOTD)
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("Knot's log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {KNOTD}: {e}"));
        let mut knot = Knot { child: Some(child), port, dir };
        knot.wait_until_answering(zones.first().map_or("example.test", |z| z.origin));
        knot
    }

    /// `127.0.0.1:PORT`, as KBZ_DNS_SERVERS takes it.
    pub fn server(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("knot.log")).unwrap_or_default()
    }

    /// Until Knot answers an SOA query for `origin` (any answer will do).
    fn wait_until_answering(&mut self, origin: &str) {
        let began = Instant::now();
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind a UDP socket");
        socket.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        let query = soa_query(origin);
        loop {
            let _ = socket.send_to(&query, ("127.0.0.1", self.port));
            let mut buf = [0u8; 512];
            if matches!(socket.recv(&mut buf), Ok(n) if n >= 12 && buf[..2] == query[..2]) {
                return;
            }
            let exited = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten());
            assert!(
                exited.is_none() && began.elapsed() < READY_WAIT,
                "Knot did not answer on 127.0.0.1:{} within {READY_WAIT:?} (exited: {exited:?}). Its log:\n{}",
                self.port,
                self.log()
            );
        }
    }
}

impl Drop for Knot {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A minimal DNS query (RFC 1035 4.1) for SOA `name`, to see that the server is up.
fn soa_query(name: &str) -> Vec<u8> {
    let mut packet = vec![0x6b, 0x7a, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.split('.') {
        packet.push(label.len() as u8);
        packet.extend_from_slice(label.as_bytes());
    }
    packet.extend_from_slice(&[0, 0, 6, 0, 1]);
    packet
}

/// A port free for both UDP and TCP on 127.0.0.1 now.
fn free_udp_and_tcp_port() -> u16 {
    for _ in 0..50 {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind UDP");
        let port = udp.local_addr().unwrap().port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no port free for both UDP and TCP on 127.0.0.1");
}

/// A DNS server that reads every query and never answers (a dropped path,
/// or a hung server). Its TCP side accepts nothing: nothing listens there.
pub struct SilentDns {
    socket: UdpSocket,
    received: Arc<std::sync::atomic::AtomicUsize>,
    stop: Arc<AtomicBool>,
    reader: Option<thread::JoinHandle<()>>,
}

impl SilentDns {
    pub fn start() -> SilentDns {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind the silent DNS socket");
        socket.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
        let (stop, received) = (Arc::new(AtomicBool::new(false)), Arc::new(std::sync::atomic::AtomicUsize::new(0)));
        let (reading, stopping, counting) = (socket.try_clone().unwrap(), stop.clone(), received.clone());
        let reader = thread::spawn(move || {
            let mut buf = [0u8; 1500];
            while !stopping.load(Ordering::SeqCst) {
                if reading.recv(&mut buf).is_ok() {
                    counting.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        SilentDns { socket, received, stop, reader: Some(reader) }
    }

    pub fn server(&self) -> String {
        self.socket.local_addr().unwrap().to_string()
    }

    /// Queries read (and left unanswered) so far.
    pub fn received(&self) -> usize {
        self.received.load(Ordering::SeqCst)
    }
}

impl Drop for SilentDns {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

/// A DNS server on loopback, shared by the whole test process, that answers
/// every query REFUSED at once: what `kbz_check()` points KBZ_DNS_SERVERS at,
/// so that a test's domain check never asks this host's resolver and never
/// waits for one.
pub fn refusing_server() -> String {
    static SERVER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SERVER
        .get_or_init(|| {
            let socket = UdpSocket::bind("127.0.0.1:0").expect("bind the refusing DNS socket");
            let address = socket.local_addr().unwrap().to_string();
            thread::spawn(move || {
                let mut buf = [0u8; 1500];
                while let Ok((n, from)) = socket.recv_from(&mut buf) {
                    if n < 12 {
                        continue;
                    }
                    // The query back, as a response (QR) with RCODE 5 (REFUSED).
                    buf[2] |= 0x80;
                    buf[3] = (buf[3] & 0xf0) | 5;
                    let _ = socket.send_to(&buf[..n], from);
                }
            });
            address
        })
        .clone()
}
