//! What a peer showed before it went quiet. A TCP handshake nobody answers
//! is a network path (a firewall drops the SYN); a peer that connected and
//! then stalled, or trickles bytes, is a server that hangs. Reports must tell
//! the two apart, so a connection is tapped: where it connected, in how
//! long, and how many bytes came each way since a step began.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, ReadBuf};

/// Counters shared by a [`Tapped`] stream and whoever wants to describe it
/// once the stream is gone (dropped with a timed-out future).
#[derive(Debug)]
pub struct Tap {
    address: SocketAddr,
    connect_took: Duration,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    /// `(bytes_in, bytes_out, when)` at the start of the current step.
    mark: Mutex<(u64, u64, Instant)>,
    last_in: Mutex<Option<Instant>>,
    /// Where the protocol stands, when the reader knows (`the server accepted TLS`).
    note: Mutex<Option<String>>,
}

impl Tap {
    pub fn new(address: SocketAddr, connect_took: Duration) -> Arc<Tap> {
        Arc::new(Tap {
            address,
            connect_took,
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            mark: Mutex::new((0, 0, Instant::now())),
            last_in: Mutex::new(None),
            note: Mutex::new(None),
        })
    }

    /// Says where the protocol stands; [`Seen::describe`] tells it.
    pub fn note(&self, what: impl Into<String>) {
        *self.note.lock().unwrap_or_else(|e| e.into_inner()) = Some(what.into());
    }

    /// The stream wrote `bytes`.
    fn sent(&self, bytes: &[u8]) {
        self.bytes_out.fetch_add(bytes.len() as u64, Ordering::SeqCst);
    }

    /// A step begins: [`Seen`] counts its bytes from here.
    pub fn mark(&self) {
        let now = (self.bytes_in.load(Ordering::SeqCst), self.bytes_out.load(Ordering::SeqCst), Instant::now());
        *self.mark.lock().unwrap_or_else(|e| e.into_inner()) = now;
    }

    pub fn seen(&self) -> Seen {
        let (in_at_mark, out_at_mark, since) = *self.mark.lock().unwrap_or_else(|e| e.into_inner());
        let bytes_in = self.bytes_in.load(Ordering::SeqCst);
        let last_in = *self.last_in.lock().unwrap_or_else(|e| e.into_inner());
        Seen {
            address: self.address,
            connect_took: self.connect_took,
            total_in: bytes_in,
            step_in: bytes_in - in_at_mark.min(bytes_in),
            step_out: self.bytes_out.load(Ordering::SeqCst).saturating_sub(out_at_mark),
            step_for: since.elapsed(),
            quiet_for: last_in.filter(|at| *at >= since).map(|at| at.elapsed()),
            note: self.note.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        }
    }
}

/// What a tapped connection showed, frozen when asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub address: SocketAddr,
    pub connect_took: Duration,
    /// Bytes received since the connection opened.
    pub total_in: u64,
    /// Bytes received and sent since the current step began.
    pub step_in: u64,
    pub step_out: u64,
    /// How long the current step has lasted.
    pub step_for: Duration,
    /// Time since the step's last byte came in (None: no byte in this step).
    pub quiet_for: Option<Duration>,
    pub note: Option<String>,
}

impl Seen {
    /// `TCP connected to 127.0.0.1:5432 in 0ms`.
    pub fn connected(&self) -> String {
        format!("TCP connected to {} in {}", self.address, short(self.connect_took))
    }

    /// All of it: `TCP connected to ... in 2ms; the server accepted TLS; no byte received in 1.8s`.
    pub fn describe(&self) -> String {
        let note = self.note.as_deref().map(|n| format!("{n}; ")).unwrap_or_default();
        let sent = match self.step_out {
            0 => String::new(),
            n => format!("{} sent, ", bytes(n)),
        };
        format!("{}; {note}{sent}{}", self.connected(), self.received())
    }

    /// What came in the step: `no byte in 1.8s` or `3 bytes in 1.8s, the last 0.3s ago`.
    pub fn received(&self) -> String {
        let during = crate::human::duration(self.step_for);
        match (self.step_in, self.quiet_for) {
            (0, _) => format!("no byte received in {during}"),
            (n, Some(quiet)) => {
                format!("{} received in {during}, the last {} ago", bytes(n), crate::human::duration(quiet))
            }
            (n, None) => format!("{} received in {during}", bytes(n)),
        }
    }
}

/// `1 byte`, `517 bytes`.
pub fn bytes(n: u64) -> String {
    if n == 1 {
        "1 byte".to_string()
    } else {
        format!("{n} bytes")
    }
}

/// The connection a running check has open, as far as it can be seen.
#[derive(Clone, Debug)]
pub enum Peer {
    /// A stream counted byte by byte.
    Tapped(Arc<Tap>),
    /// A connection made by a client that hides its stream (reqwest): made
    /// in `took`, the TLS handshake included when `tls`.
    Connected { took: Duration, tls: bool },
}

impl Peer {
    pub fn describe(&self) -> String {
        match self {
            Peer::Tapped(tap) => tap.seen().describe(),
            Peer::Connected { took, tls: true } => {
                format!("the connection was made (TCP and TLS handshakes done in {})", short(*took))
            }
            Peer::Connected { took, tls: false } => format!("the TCP connection was made in {}", short(*took)),
        }
    }
}

/// Shared by a check's [`crate::check::Context`] and the clients it runs, so
/// that a deadline that passes can say what the peer showed.
pub type PeerSlot = Arc<Mutex<Option<Peer>>>;

/// `under 1ms`, `3ms`, else as [`crate::human::duration`] says it.
pub fn short(duration: Duration) -> String {
    match duration.as_millis() {
        // Loopback and LAN handshakes take well under the 10ms `human` rounds to.
        0 => "under 1ms".to_string(),
        ms @ 1..10 => format!("{ms}ms"),
        _ => crate::human::duration(duration),
    }
}

/// A stream that counts what passes through it into a [`Tap`].
pub struct Tapped<S> {
    inner: S,
    tap: Arc<Tap>,
}

impl<S> Tapped<S> {
    /// Each write is counted on the tap.
    fn wrote(&mut self, bytes: &[u8]) {
        self.tap.sent(bytes);
    }

    pub fn new(inner: S, tap: Arc<Tap>) -> Self {
        Tapped { inner, tap }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tapped<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        let n = buf.filled().len().saturating_sub(before) as u64;
        if n > 0 {
            this.tap.bytes_in.fetch_add(n, Ordering::SeqCst);
            *this.tap.last_in.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        }
        result
    }
}

/// Implements `AsyncWrite` for a stream wrapper `$wrapper<S>` over the stream
/// in its `inner` field: a write goes to `inner`, and the wrapper's own
/// `wrote` is handed the bytes `inner` took; flush and shutdown pass through.
macro_rules! write_through {
    ($wrapper:ident) => {
        const _: () = {
            use std::io;
            use std::pin::Pin;
            use std::task::{ready, Context, Poll};
            use tokio::io::AsyncWrite;

            impl<S: AsyncWrite + Unpin> AsyncWrite for $wrapper<S> {
                fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                    let this = self.get_mut();
                    let written = ready!(Pin::new(&mut this.inner).poll_write(cx, buf))?;
                    this.wrote(&buf[..written.min(buf.len())]);
                    Poll::Ready(Ok(written))
                }

                fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                    Pin::new(&mut self.get_mut().inner).poll_flush(cx)
                }

                fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                    Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
                }
            }
        };
    };
}
pub(crate) use write_through;

write_through!(Tapped);

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn counts_each_way_from_the_mark() {
        let (client, mut server) = tokio::io::duplex(64);
        let tap = Tap::new("127.0.0.1:5".parse().unwrap(), Duration::from_millis(3));
        let mut stream = Tapped::new(client, tap.clone());
        server.write_all(b"220 hi\r\n").await.unwrap();
        let mut buf = [0u8; 8];
        stream.read_exact(&mut buf).await.unwrap();
        tap.mark();
        stream.write_all(b"STARTTLS\r\n").await.unwrap();
        let seen = tap.seen();
        assert_eq!((seen.total_in, seen.step_in, seen.step_out), (8, 0, 10));
        assert!(seen.received().starts_with("no byte received in "), "{}", seen.received());
        assert_eq!(seen.connected(), "TCP connected to 127.0.0.1:5 in 3ms");
        server.write_all(b"\x16").await.unwrap();
        stream.read_exact(&mut buf[..1]).await.unwrap();
        assert!(tap.seen().received().starts_with("1 byte received in "), "{}", tap.seen().received());
    }
}
