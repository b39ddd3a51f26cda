//! A loopback TCP peer that misbehaves on purpose, one way per instance:
//! silent, trickling, hanging up mid-reply, garbage, a flood of bytes.
//! Std threads only, every one bounded: a connection lives at most
//! `CONNECTION_LIFETIME`, and dropping the peer stops them all within a poll.

use super::net::AcceptLoop;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

const POLL: Duration = Duration::from_millis(20);
/// Upper bound on any one connection, whatever the client does.
const CONNECTION_LIFETIME: Duration = Duration::from_secs(20);
/// How long the peer lets a client talk first (HTTP, PostgreSQL) before it
/// misbehaves; SMTP clients wait for the server instead, which is fine.
const LISTEN_FIRST: Duration = Duration::from_millis(150);
const FLOOD_CHUNK: usize = 64 * 1024;

/// What the peer does once a client connects.
#[derive(Clone, Debug)]
pub enum Behaviour {
    /// Accepts and never writes a byte.
    Silent,
    /// Writes these bytes one per second, then holds the connection open.
    Trickle(Vec<u8>),
    /// Writes these bytes one per `every`, then holds the connection open.
    Drip { bytes: Vec<u8>, every: Duration },
    /// Reads the client's TLS ClientHello (counted in `hellos`) and never
    /// answers: a TLS handshake that stalls after TCP connected.
    TlsStall,
    /// Writes these bytes, then closes (a reply cut short).
    CloseAfter(Vec<u8>),
    /// Writes these bytes, then holds the connection open without a word more.
    Send(Vec<u8>),
    /// Writes `head`, then filler bytes up to `total` bytes in all, lazily,
    /// stopping as soon as the client hangs up.
    Flood { head: Vec<u8>, total: usize },
}

pub struct HostilePeer {
    accepted: Arc<AtomicUsize>,
    /// TLS ClientHellos read so far (TlsStall).
    hellos: Arc<AtomicUsize>,
    /// Bytes written to clients so far (all connections).
    written: Arc<AtomicUsize>,
    /// Tells the connection threads to end.
    stop: Arc<AtomicBool>,
    workers: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept_loop: Option<AcceptLoop>,
}

impl HostilePeer {
    pub fn start(behaviour: Behaviour) -> HostilePeer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind hostile peer");
        let accepted = Arc::new(AtomicUsize::new(0));
        let hellos = Arc::new(AtomicUsize::new(0));
        let written = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let workers = Arc::new(Mutex::new(Vec::new()));
        let accept_loop = {
            let (accepted, written, stop, workers) = (accepted.clone(), written.clone(), stop.clone(), workers.clone());
            let hellos = hellos.clone();
            // One thread per connection, so a trickle on one never delays the next accept.
            AcceptLoop::spawn(listener, move |stream| {
                accepted.fetch_add(1, Ordering::SeqCst);
                let (behaviour, written, stop) = (behaviour.clone(), written.clone(), stop.clone());
                let hellos = hellos.clone();
                workers.lock().unwrap().push(thread::spawn(move || {
                    if let Behaviour::TlsStall = behaviour {
                        if read_client_hello(&mut { &stream }) {
                            hellos.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    serve(stream, &behaviour, &written, &stop)
                }));
            })
        };
        HostilePeer { accepted, hellos, written, stop, workers, accept_loop: Some(accept_loop) }
    }

    /// An HTTP/1.1 200 answer head announcing `content_type`, followed by `body`.
    pub fn http(status: u16, content_type: &str, body: &[u8]) -> Vec<u8> {
        let mut reply = format!(
            "HTTP/1.1 {status} Whatever\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        reply.extend_from_slice(body);
        reply
    }

    pub fn port(&self) -> u16 {
        self.accept_loop.as_ref().map_or(0, AcceptLoop::port)
    }

    pub fn url(&self, scheme: &str, path: &str) -> String {
        format!("{scheme}://127.0.0.1:{}{path}", self.port())
    }

    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    pub fn hellos(&self) -> usize {
        self.hellos.load(Ordering::SeqCst)
    }

    pub fn written(&self) -> usize {
        self.written.load(Ordering::SeqCst)
    }
}

impl Drop for HostilePeer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // No new connections first, then every connection thread, each within a poll.
        drop(self.accept_loop.take());
        for worker in self.workers.lock().unwrap().drain(..) {
            let _ = worker.join();
        }
    }
}

/// One connection, by `behaviour`; returns when done, on client hang-up,
/// on `stop`, or after `CONNECTION_LIFETIME`.
fn serve(mut stream: TcpStream, behaviour: &Behaviour, written: &AtomicUsize, stop: &AtomicBool) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let deadline = Instant::now() + CONNECTION_LIFETIME;
    let over = || stop.load(Ordering::SeqCst) || Instant::now() >= deadline;
    drain(&mut stream, LISTEN_FIRST);
    let send = |stream: &mut TcpStream, bytes: &[u8]| -> bool {
        match stream.write_all(bytes) {
            Ok(()) => {
                written.fetch_add(bytes.len(), Ordering::SeqCst);
                true
            }
            Err(_) => false,
        }
    };
    match behaviour {
        Behaviour::Silent | Behaviour::TlsStall => {}
        Behaviour::Drip { bytes, every } => {
            for byte in bytes {
                if over() || !send(&mut stream, &[*byte]) {
                    return;
                }
                if !hold(&mut stream, *every, &over) {
                    return;
                }
            }
        }
        Behaviour::Send(bytes) => {
            if !send(&mut stream, bytes) {
                return;
            }
        }
        Behaviour::CloseAfter(bytes) => {
            send(&mut stream, bytes);
            // Read what the client still sends so that close() is a FIN, not a reset.
            drain(&mut stream, Duration::from_millis(50));
            let _ = stream.shutdown(Shutdown::Both);
            return;
        }
        Behaviour::Trickle(bytes) => {
            for byte in bytes {
                if over() || !send(&mut stream, &[*byte]) {
                    return;
                }
                if !hold(&mut stream, Duration::from_secs(1), &over) {
                    return;
                }
            }
        }
        Behaviour::Flood { head, total } => {
            if !send(&mut stream, head) {
                return;
            }
            let filler = vec![b'a'; FLOOD_CHUNK];
            let mut left = total.saturating_sub(head.len());
            while left > 0 && !over() {
                let n = left.min(FLOOD_CHUNK);
                if !send(&mut stream, &filler[..n]) {
                    return;
                }
                left -= n;
            }
        }
    }
    hold(&mut stream, CONNECTION_LIFETIME, &over);
}

/// Reads one TLS handshake record (a ClientHello: type 22, then its
/// length), within two seconds; true when it came whole.
fn read_client_hello(stream: &mut &TcpStream) -> bool {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut head = [0u8; 5];
    if stream.read_exact(&mut head).is_err() || head[0] != 22 {
        return false;
    }
    let mut body = vec![0u8; usize::from(u16::from_be_bytes([head[3], head[4]]))];
    stream.read_exact(&mut body).is_ok() && body.first() == Some(&1)
}

/// Reads and discards whatever the client sends for up to `time`.
fn drain(stream: &mut TcpStream, time: Duration) {
    let _ = stream.set_read_timeout(Some(time.max(Duration::from_millis(1))));
    let mut buf = [0u8; 4096];
    let end = Instant::now() + time;
    while Instant::now() < end {
        match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(_) => return,
        }
    }
}

/// Keeps the connection open, discarding input, for `time`; false once the
/// client hangs up (or `over` says stop).
fn hold(stream: &mut TcpStream, time: Duration, over: &dyn Fn() -> bool) -> bool {
    let _ = stream.set_read_timeout(Some(POLL * 5));
    let end = Instant::now() + time;
    let mut buf = [0u8; 4096];
    while Instant::now() < end {
        if over() {
            return false;
        }
        match stream.read(&mut buf) {
            Ok(0) => return false,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return false,
        }
    }
    true
}
