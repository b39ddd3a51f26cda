//! Loopback ports: free ones, closed ones, and TCP peers that misbehave on purpose.

use std::io::ErrorKind;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// How often the accept loop checks for new connections and for shutdown.
const POLL: Duration = Duration::from_millis(20);

/// Accepts TCP connections and never writes a byte: a server that hangs
/// after the handshake, to exercise client read timeouts.
pub struct SilentListener {
    port: u16,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SilentListener {
    pub fn start() -> SilentListener {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind silent listener");
        // Non-blocking so the thread can notice `stop` instead of sitting in accept().
        listener.set_nonblocking(true).expect("make silent listener non-blocking");
        let port = listener.local_addr().expect("silent listener addr").port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (accepted, stop) = (accepted.clone(), stop.clone());
            thread::spawn(move || hold_connections(listener, &accepted, &stop))
        };
        SilentListener { port, accepted, stop, thread: Some(thread) }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Connections accepted so far (to assert that a client really dialled in).
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// Accept loop: keeps every stream open (silent) until `stop` is set.
fn hold_connections(listener: TcpListener, accepted: &AtomicUsize, stop: &AtomicBool) {
    let mut held: Vec<TcpStream> = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                held.push(stream);
                accepted.fetch_add(1, Ordering::SeqCst);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => thread::sleep(POLL),
            // Transient accept errors (e.g. a client reset) must not end the loop.
            Err(_) => thread::sleep(POLL),
        }
    }
}

impl Drop for SilentListener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Returns within one POLL; closes the held streams and the listener.
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A loopback port that was free a moment ago (the OS picks it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("bind 127.0.0.1:0 to find a free port").port()
}

/// A loopback port with nothing listening on it (connections are refused).
pub fn closed_port() -> u16 {
    free_port()
}
