//! Loopback ports: free ones, closed ones, and TCP peers that misbehave on purpose.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// A listener served on its own thread, one connection at a time, by a
/// handler. The thread sits in a blocking accept(), so a connection is taken
/// the moment it arrives (a polling loop would add its period to every
/// request a benchmark times); dropping it sets `stop` and dials the port
/// once to wake that accept(), then joins the thread.
pub struct AcceptLoop {
    /// Where to dial to wake the accept(): the listener's own address (a
    /// listener on 127.0.0.2 is not woken by a dial to 127.0.0.1).
    wake: SocketAddr,
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl AcceptLoop {
    pub fn spawn(listener: TcpListener, mut handle: impl FnMut(TcpStream) + Send + 'static) -> AcceptLoop {
        let local = listener.local_addr().expect("listener addr");
        let port = local.port();
        let wake = match local.ip().is_unspecified() {
            true => SocketAddr::from(([127, 0, 0, 1], port)),
            false => local,
        };
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    match stream {
                        Ok(stream) => handle(stream),
                        // Transient errors (a client reset, no fds left) must not end
                        // the loop; the pause keeps a persistent one from spinning.
                        Err(_) => thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        AcceptLoop { wake, port, stop, thread: Some(thread) }
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for AcceptLoop {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.wake, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Accepts TCP connections and never writes a byte: a server that hangs
/// after the handshake, to exercise client read timeouts. Held connections
/// close when it is dropped.
pub struct SilentListener {
    accepted: Arc<AtomicUsize>,
    accept_loop: AcceptLoop,
}

impl SilentListener {
    pub fn start() -> SilentListener {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind silent listener");
        let accepted = Arc::new(AtomicUsize::new(0));
        let mut held: Vec<TcpStream> = Vec::new();
        let counter = accepted.clone();
        let accept_loop = AcceptLoop::spawn(listener, move |stream| {
            held.push(stream);
            counter.fetch_add(1, Ordering::SeqCst);
        });
        SilentListener { accepted, accept_loop }
    }

    pub fn port(&self) -> u16 {
        self.accept_loop.port()
    }

    /// Connections accepted so far (to assert that a client really dialled in).
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// How long a stand-in waits for a client that sends nothing before it hangs
/// up. Longer than any deadline a test gives a check against a stand-in, so
/// that a check waiting for the server always reaches its own deadline first:
/// at 2 s, a `--timeout 2s` check raced the stand-in's hang-up and sometimes
/// saw "closed the connection" instead of its timeout.
pub const STALLED_CLIENT_LIMIT: Duration = Duration::from_secs(10);

/// Reads a request head (up to 16 KiB), the way the HTTP stand-ins do;
/// None when the client hangs up or stalls past the stream's read timeout first.
pub fn read_http_head(stream: &mut impl Read) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        let n = stream.read(&mut buf).ok().filter(|n| *n > 0)?;
        head.extend_from_slice(&buf[..n]);
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

/// A loopback port that was free a moment ago (the OS picks it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("bind 127.0.0.1:0 to find a free port").port()
}

/// A loopback port with nothing listening on it (connections are refused).
pub fn closed_port() -> u16 {
    free_port()
}

/// A minimal HTTP/1.0 exchange for set-up calls: HTTP/1.0 so that the
/// answer is never chunked and ends when the server closes.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<(u16, String), String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).map_err(|e| e.to_string())?;
    let extra: String = headers.iter().map(|(name, value)| format!("{name}: {value}\r\n")).collect();
    let request = format!(
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\n{extra}\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).map_err(|e| format!("write: {e}"))?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).map_err(|e| format!("read: {e}"))?;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").ok_or_else(|| format!("no HTTP head in {answer:?}"))?;
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("bad status line: {head}"))?;
    Ok((code, body.to_string()))
}
