//! A guard on the plain-text bytes a PostgreSQL server sends. tokio-postgres
//! waits for whole messages, so a peer speaking another protocol (an HTTP
//! server's `HTTP/1.1 400`), or one announcing a 2 GiB message, would hold the
//! check until its deadline. The guard looks at the bytes as they are read and
//! fails the read at once with a [`Violation`] that says what came instead.
//! Once the server accepts TLS the bytes are ciphertext: only the first one is
//! looked at, to see that a TLS record starts there.
//!
//! On the way, start-up is also read for what it tells about the peer
//! ([`Startup`]): the process id of its BackendKeyData and the names of its
//! ParameterStatus messages. Inside TLS, [`ObserveTls`] reads the same from
//! the decrypted bytes, without guarding them.
//!
//! Both also watch the login for a hold ([`HeldSlot`]): the client answered
//! the server's authentication request and the server says nothing since,
//! which is how a pooler waiting for its own server connection looks.

use crate::checks::peer_bytes::{shortened, QUOTED_BYTES};
use crate::checks::stall::Tap;
use std::fmt;
use std::future::Future;
use std::io;
use std::ops::RangeInclusive;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};
use tokio_postgres::tls::{ChannelBinding, TlsConnect, TlsStream};

/// The SSLRequest a client sends to ask for TLS: length 8, code 80877103.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

/// Largest message accepted. kbz-check's probes read a few short rows and a
/// server's start-up messages take a few hundred bytes, so 1 MiB is generous;
/// without a cap tokio-postgres reserves and waits for whatever length a peer
/// announces, up to 2 GiB.
pub const MAX_MESSAGE_BYTES: u32 = 1 << 20;

/// What a server answers a startup message with: an authentication request,
/// an error, a notice, or NegotiateProtocolVersion.
const FIRST_TYPES: &[u8] = b"RENv";
/// What a server sends until its first ReadyForQuery ends start-up: the
/// above, ParameterStatus, BackendKeyData and ReadyForQuery.
const STARTUP_TYPES: &[u8] = b"RENvSKZ";
/// Every backend message type (PostgreSQL's `src/include/libpq/protocol.h`).
const BACKEND_TYPES: &[u8] = b"123ACDEGHIKNRSTVWZcdnstv";
/// TLS record content types, change_cipher_spec (20) to heartbeat (24): how
/// the bytes of a server that accepted TLS start.
const TLS_RECORD_TYPES: RangeInclusive<u8> = 20..=24;

/// Bytes kept of a start-up message read for [`Startup`]: a BackendKeyData
/// body is 8, a parameter's name a few dozen.
const CAPTURE_BYTES: usize = 256;
/// ParameterStatus names kept: a server reports about fifteen.
const MAX_PARAMETERS: usize = 64;

/// What the peer's start-up said about it, read as it passed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Startup {
    /// The process id of its BackendKeyData: a PostgreSQL server's is the
    /// backend's own pid (`pg_backend_pid()`); a pooler hands out its own key.
    pub key_pid: Option<i32>,
    /// The names of its ParameterStatus messages, in the order they came.
    pub parameters: Vec<String>,
}

/// Where a connection's guard and TLS observer leave its [`Startup`].
pub type StartupSlot = Arc<Mutex<Startup>>;

/// What the peer sent that no PostgreSQL server sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Violation {
    /// Bytes that cannot come where they came: the peer's bytes from there
    /// on (after a `S` that accepted TLS, that `S` first).
    Unexpected(Vec<u8>),
    /// A message header announcing more than [`MAX_MESSAGE_BYTES`].
    Oversized { length: u32, in_startup: bool },
    /// A message header announcing fewer bytes than the length field itself.
    Undersized { length: u32 },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::Unexpected(bytes) => write!(f, "it answered \"{}\"", shortened(bytes)),
            Violation::Oversized { length, in_startup } => {
                let when = if *in_startup { "during start-up" } else { "after start-up" };
                write!(f, "it announced a {} message {when}", size(*length))
            }
            Violation::Undersized { length } => {
                write!(f, "it sent a message header announcing {length} bytes, fewer than the header itself")
            }
        }
    }
}

impl std::error::Error for Violation {}

/// `2 GiB`, `1.3 GiB`, `4.5 MiB`.
pub fn size(bytes: u32) -> String {
    let (value, unit) = if bytes >= 1 << 30 {
        (f64::from(bytes) / f64::from(1u32 << 30), "GiB")
    } else {
        (f64::from(bytes) / f64::from(1u32 << 20), "MiB")
    };
    let text = format!("{value:.1}");
    format!("{} {unit}", text.strip_suffix(".0").unwrap_or(&text))
}

/// Where the server's byte stream stands.
#[derive(Clone, Copy, Debug, Default)]
enum Expect {
    /// Nothing read yet; what comes first depends on what the client sent.
    #[default]
    Start,
    /// The one-byte answer to an SSLRequest.
    TlsAnswer,
    /// The first byte after the server accepted TLS.
    TlsRecord,
    /// A message header: its type byte and length, `have` bytes of 5 so far.
    Header { head: [u8; 5], have: usize },
    /// The rest of a message's body.
    Body { left: u32 },
    /// TLS is on: nothing more to check.
    Encrypted,
}

impl Expect {
    fn header() -> Self {
        Expect::Header { head: [0; 5], have: 0 }
    }
}

/// The protocol state machine, fed the bytes each way as they pass.
#[derive(Debug, Default)]
struct Watch {
    /// The client's first bytes: an SSLRequest, or its startup message.
    sent: Vec<u8>,
    expect: Expect,
    messages: usize,
    /// Whether a ReadyForQuery has ended start-up.
    started: bool,
    /// The server said `N` to the SSLRequest.
    declined_tls: bool,
    /// The type and first bytes of a start-up message read for [`Startup`].
    capture: Option<(u8, Vec<u8>)>,
    /// Where what start-up said goes, message by message.
    slot: Option<StartupSlot>,
    /// The server sent an authentication request (`R`).
    auth_asked: bool,
    /// The client answered it (a password, a SCRAM message).
    answered: bool,
    /// Since when the client, having answered, waits for the server to go
    /// on with the login (the server's last bytes, or the client's answer).
    answer_waits: Option<std::time::Instant>,
}

impl Watch {
    /// The server accepted TLS: from here the bytes are ciphertext, and
    /// whatever the login does is seen inside TLS, not here.
    fn encrypted(&self) -> bool {
        matches!(self.expect, Expect::TlsRecord | Expect::Encrypted)
    }

    /// Where start-up stands, in words for a report on a stalled server.
    fn stage(&self) -> Option<&'static str> {
        if self.answer_waits.is_some() {
            return Some(
                "the server asked for the password and got the client's answer, and has not finished the login since",
            );
        }
        match self.expect {
            Expect::TlsRecord => Some("the server accepted TLS (answered `S` to the SSLRequest), then the TLS handshake began and has not finished"),
            Expect::Encrypted => Some("the server accepted TLS (`S`) and began to answer in TLS (encrypted from there, so the stage is not known)"),
            _ if self.started => Some("start-up finished"),
            Expect::Header { .. } | Expect::Body { .. } if self.declined_tls => {
                Some("the server declined TLS (`N`); its answer to the startup message has not come whole")
            }
            Expect::Header { .. } | Expect::Body { .. } => {
                Some("start-up under way; the server's answer has not come whole")
            }
            _ => None,
        }
    }

    fn sent(&mut self, bytes: &[u8]) {
        if self.auth_asked && !self.started && !bytes.is_empty() {
            self.answered = true;
            self.answer_waits = Some(std::time::Instant::now());
        }
        let room = SSL_REQUEST.len().saturating_sub(self.sent.len());
        self.sent.extend(bytes.iter().take(room));
    }

    fn received(&mut self, bytes: &[u8]) -> Result<(), Violation> {
        let read = self.read(bytes);
        if !bytes.is_empty() {
            // A SCRAM server's last message (SASLFinal) may come before the
            // hold: the wait counts from the last bytes until ReadyForQuery.
            self.answer_waits = (self.answered && !self.started).then(std::time::Instant::now);
        }
        read
    }

    fn read(&mut self, bytes: &[u8]) -> Result<(), Violation> {
        if let Expect::Start = self.expect {
            // tokio-postgres sends its whole SSLRequest (or startup message) before it reads.
            self.expect = if self.sent == SSL_REQUEST { Expect::TlsAnswer } else { Expect::header() };
        }
        let mut at = 0;
        while at < bytes.len() {
            match &mut self.expect {
                Expect::Encrypted => return Ok(()),
                Expect::Body { left } => {
                    let skipped = (bytes.len() - at).min(*left as usize);
                    *left -= skipped as u32;
                    let done = *left == 0;
                    if let Some((_, body)) = &mut self.capture {
                        let room = CAPTURE_BYTES.saturating_sub(body.len());
                        body.extend(bytes[at..at + skipped].iter().take(room));
                    }
                    at += skipped;
                    if done {
                        self.expect = Expect::header();
                        self.captured();
                    }
                }
                _ => {
                    if let Err(violation) = self.step(bytes[at]) {
                        return Err(match violation {
                            Violation::Unexpected(mut quoted) => {
                                quoted.extend_from_slice(&bytes[at..]);
                                Violation::Unexpected(quoted)
                            }
                            other => other,
                        });
                    }
                    at += 1;
                }
            }
        }
        Ok(())
    }

    /// One byte outside a message body. An `Unexpected` error carries only
    /// what comes before this byte; the caller adds the rest.
    fn step(&mut self, byte: u8) -> Result<(), Violation> {
        let allowed = match (self.messages, self.started) {
            (0, _) => FIRST_TYPES,
            (_, false) => STARTUP_TYPES,
            (_, true) => BACKEND_TYPES,
        };
        match &mut self.expect {
            Expect::TlsAnswer => match byte {
                b'S' => self.expect = Expect::TlsRecord,
                b'N' => {
                    self.declined_tls = true;
                    self.expect = Expect::header();
                }
                // A server older than TLS support answers with an ErrorResponse:
                // this is its type byte. (tokio-postgres takes it for a `N`.)
                b'E' => {
                    self.expect = Expect::header();
                    return self.step(byte);
                }
                _ => return Err(Violation::Unexpected(Vec::new())),
            },
            Expect::TlsRecord if TLS_RECORD_TYPES.contains(&byte) => self.expect = Expect::Encrypted,
            Expect::TlsRecord => return Err(Violation::Unexpected(vec![b'S'])),
            Expect::Header { head, have } => {
                if *have == 0 && !allowed.contains(&byte) {
                    return Err(Violation::Unexpected(Vec::new()));
                }
                head[*have] = byte;
                *have += 1;
                if *have == head.len() {
                    let head = *head;
                    return self.message_starts(head[0], u32::from_be_bytes([head[1], head[2], head[3], head[4]]));
                }
            }
            // `received` resolves `Start` and handles bodies and TLS itself.
            Expect::Start | Expect::Body { .. } | Expect::Encrypted => {}
        }
        Ok(())
    }

    fn message_starts(&mut self, kind: u8, length: u32) -> Result<(), Violation> {
        if length < 4 {
            return Err(Violation::Undersized { length });
        }
        if length > MAX_MESSAGE_BYTES {
            return Err(Violation::Oversized { length, in_startup: !self.started });
        }
        self.messages += 1;
        // Read before `started` turns: only start-up's own messages.
        self.capture = (!self.started && length > 4 && matches!(kind, b'K' | b'S')).then(|| (kind, Vec::new()));
        self.started |= kind == b'Z';
        self.auth_asked |= kind == b'R';
        self.expect = if length == 4 { Expect::header() } else { Expect::Body { left: length - 4 } };
        Ok(())
    }
}

impl Watch {
    /// A BackendKeyData or ParameterStatus read whole: noted in the slot.
    fn captured(&mut self) {
        let (Some((kind, body)), Some(slot)) = (self.capture.take(), &self.slot) else { return };
        let mut startup = slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match kind {
            b'K' if body.len() >= 4 => startup.key_pid = Some(i32::from_be_bytes([body[0], body[1], body[2], body[3]])),
            b'S' if startup.parameters.len() < MAX_PARAMETERS => {
                let name = body.split(|b| *b == 0).next().unwrap_or_default();
                startup.parameters.push(String::from_utf8_lossy(name).into_owned());
            }
            _ => {}
        }
    }
}

/// A stream whose plain-text input is checked as it is read; reads fail
/// with an `io::Error` of kind `InvalidData` wrapping a [`Violation`].
pub struct Guarded<S> {
    inner: S,
    watch: Watch,
    failed: Option<Violation>,
    /// Told where start-up stands, so a stall names it.
    tap: Option<Arc<Tap>>,
    /// Told since when the client's answer to an authentication request waits.
    held: Option<HeldSlot>,
    /// The stage last told the tap: told again only when it changes, so that
    /// inside TLS the observer's word is not overwritten at each record.
    noted: Option<&'static str>,
}

/// Since when a login waits on the server after the client answered its
/// authentication request (a password, a SCRAM message): what a pooler
/// holding the client for a server connection looks like. Told by
/// [`Guarded`] in plain text, by [`Observed`] inside TLS.
pub type HeldSlot = Arc<std::sync::Mutex<Option<std::time::Instant>>>;

impl<S> Guarded<S> {
    pub fn new(inner: S) -> Self {
        Guarded { inner, watch: Watch::default(), failed: None, tap: None, held: None, noted: None }
    }

    pub fn watching_login(self, held: HeldSlot) -> Self {
        Guarded { held: Some(held), ..self }
    }

    /// What the client sends is watched too: an answer to the server's
    /// authentication request starts the wait a held login is told by.
    fn wrote(&mut self, bytes: &[u8]) {
        self.watch.sent(bytes);
        self.tell_held();
    }

    fn tell_held(&mut self) {
        // Once TLS is on, the login is inside it: the TLS observer tells the hold.
        if let (Some(held), false) = (&self.held, self.watch.encrypted()) {
            *held.lock().unwrap_or_else(|e| e.into_inner()) = self.watch.answer_waits;
        }
        self.note_stage();
    }

    fn note_stage(&mut self) {
        let stage = self.watch.stage();
        if let (Some(tap), Some(now), true) = (&self.tap, stage, stage != self.noted) {
            tap.note(now);
            self.noted = stage;
        }
    }

    pub fn noting(self, tap: Option<Arc<Tap>>) -> Self {
        Guarded { tap, ..self }
    }

    /// What plain-text start-up says about the peer goes to `slot`.
    pub fn recording(mut self, slot: StartupSlot) -> Self {
        self.watch.slot = Some(slot);
        self
    }
}

fn io_error(violation: Violation) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, violation)
}

impl<S: AsyncRead + Unpin> AsyncRead for Guarded<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(violation) = &this.failed {
            return Poll::Ready(Err(io_error(violation.clone())));
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        let received = this.watch.received(&buf.filled()[before..]);
        this.tell_held();
        match received {
            Ok(()) => Poll::Ready(Ok(())),
            Err(mut violation) => {
                // A failed read hands over no bytes.
                buf.set_filled(before);
                if let Violation::Unexpected(quoted) = &mut violation {
                    top_up(&mut this.inner, cx, quoted);
                    quoted.truncate(QUOTED_BYTES + 1);
                }
                this.failed = Some(violation.clone());
                Poll::Ready(Err(io_error(violation)))
            }
        }
    }
}

/// Adds what the peer has already sent after `quoted`, without waiting:
/// tokio-postgres reads the answer to its SSLRequest one byte at a time,
/// and `H` alone would not tell an HTTP server.
fn top_up<S: AsyncRead + Unpin>(inner: &mut S, cx: &mut Context<'_>, quoted: &mut Vec<u8>) {
    if quoted.len() > QUOTED_BYTES {
        return;
    }
    let mut more = [0u8; QUOTED_BYTES];
    let mut buf = ReadBuf::new(&mut more);
    if let Poll::Ready(Ok(())) = Pin::new(inner).poll_read(cx, &mut buf) {
        quoted.extend_from_slice(buf.filled());
    }
}

crate::checks::stall::write_through!(Guarded);

/// A TLS connector whose streams read start-up from the decrypted bytes
/// into a [`StartupSlot`], and tell a held login, as [`Guarded`] does for
/// plain text.
pub struct ObserveTls<T> {
    inner: T,
    slot: StartupSlot,
    login: Login,
}

/// Who is told how the login inside TLS goes.
#[derive(Clone, Default)]
struct Login {
    held: Option<HeldSlot>,
    tap: Option<Arc<Tap>>,
}

impl<T> ObserveTls<T> {
    pub fn new(inner: T, slot: StartupSlot) -> Self {
        ObserveTls { inner, slot, login: Login::default() }
    }

    /// A login held inside TLS goes to `held`, as [`Guarded::watching_login`] does in plain text.
    pub fn watching_login(mut self, held: HeldSlot) -> Self {
        self.login.held = Some(held);
        self
    }

    /// Where start-up stands inside TLS goes to `tap`, so a stall names it.
    pub fn noting(mut self, tap: Option<Arc<Tap>>) -> Self {
        self.login.tap = tap;
        self
    }
}

impl<S, T: TlsConnect<S>> TlsConnect<S> for ObserveTls<T> {
    type Stream = Observed<T::Stream>;
    type Error = T::Error;
    type Future = Observing<T::Future>;

    fn connect(self, stream: S) -> Self::Future {
        Observing { connecting: Box::pin(self.inner.connect(stream)), slot: Some(self.slot), login: self.login }
    }
}

/// The handshake of an [`ObserveTls`], then its stream.
pub struct Observing<F> {
    connecting: Pin<Box<F>>,
    slot: Option<StartupSlot>,
    login: Login,
}

impl<F: Future<Output = Result<S, E>>, S, E> Future for Observing<F> {
    type Output = Result<Observed<S>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let stream = ready!(this.connecting.as_mut().poll(cx))?;
        let watch = Watch { expect: Expect::header(), slot: this.slot.take(), ..Watch::default() };
        let login = std::mem::take(&mut this.login);
        Poll::Ready(Ok(Observed { inner: stream, watch, login, done: false }))
    }
}

/// A TLS stream whose decrypted start-up is read for [`Startup`] and for a
/// held login, and otherwise passed on untouched: observed, not guarded.
pub struct Observed<S> {
    inner: S,
    watch: Watch,
    login: Login,
    /// Start-up ended, or its bytes stopped making sense: nothing more to read.
    done: bool,
}

impl<S: AsyncRead + Unpin> AsyncRead for Observed<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        if !this.done {
            let lost = this.watch.received(&buf.filled()[before..]).is_err();
            this.done = lost || this.watch.started;
            this.tell(lost);
        }
        Poll::Ready(Ok(()))
    }
}

crate::checks::stall::write_through!(Observed);

impl<S> Observed<S> {
    /// The client's bytes inside TLS: its startup message, then its answer
    /// to the server's authentication request, which starts the wait a
    /// held login is told by.
    fn wrote(&mut self, bytes: &[u8]) {
        if !self.done {
            self.watch.sent(bytes);
            self.tell(false);
        }
    }

    /// Tells the hold and the stage. Once the server's bytes stop making
    /// sense (`lost`), nothing is claimed about the login.
    fn tell(&self, lost: bool) {
        if let Some(held) = &self.login.held {
            *held.lock().unwrap_or_else(|e| e.into_inner()) = if lost { None } else { self.watch.answer_waits };
        }
        if let (Some(tap), Some(stage), false) = (&self.login.tap, self.watch.stage(), lost) {
            tap.note(format!("inside TLS, {stage}"));
        }
    }
}

impl<S: TlsStream + Unpin> TlsStream for Observed<S> {
    fn channel_binding(&self) -> ChannelBinding {
        self.inner.channel_binding()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A message: type, length, body.
    fn message(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut bytes = vec![kind];
        bytes.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
        bytes.extend_from_slice(body);
        bytes
    }

    /// A real server's plain-text start-up, then one simple query's answer.
    fn plain_session() -> Vec<u8> {
        [
            message(b'R', &10u32.to_be_bytes()),
            message(b'R', &0u32.to_be_bytes()),
            message(b'S', b"server_version\x0015.6\0"),
            message(b'K', &[0; 8]),
            message(b'Z', b"I"),
            message(b'T', &[0; 30]),
            message(b'D', &[0, 1, 0, 0, 0, 1, b't']),
            message(b'C', b"SELECT 1\0"),
            message(b'Z', b"I"),
        ]
        .concat()
    }

    /// The session as the client sees it inside TLS, with its log-in
    /// watched; the server's end; where a held log-in is told.
    async fn watching_a_login_inside_tls() -> (Observed<tokio::io::DuplexStream>, tokio::io::DuplexStream, HeldSlot) {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let held = HeldSlot::default();
        let connecting = Box::pin(async move { Ok::<_, io::Error>(client) });
        let login = Login { held: Some(held.clone()), tap: None };
        let observed = Observing { connecting, slot: Some(StartupSlot::default()), login }.await.unwrap();
        (observed, server, held)
    }

    fn watch(ssl_request: bool) -> Watch {
        let mut watch = Watch::default();
        watch.sent(if ssl_request { &SSL_REQUEST } else { b"\0\0\0\x29\0\x03\0\0user\0u\0" });
        watch
    }

    #[test]
    fn a_real_servers_answers_pass_in_any_pieces() {
        for (ssl_request, answer) in [(true, [b"N".to_vec(), plain_session()].concat()), (false, plain_session())] {
            assert_eq!(watch(ssl_request).received(&answer), Ok(()));
            let mut piecemeal = watch(ssl_request);
            for byte in &answer {
                assert_eq!(piecemeal.received(std::slice::from_ref(byte)), Ok(()));
            }
        }
    }

    #[test]
    fn tls_accepted_then_only_the_first_record_byte_is_checked() {
        let mut w = watch(true);
        assert_eq!(w.received(b"S\x16\x03\x03\x00\x05"), Ok(()));
        assert_eq!(w.received(b"HTTP/1.1 anything goes inside TLS"), Ok(()));
        let mut w = watch(true);
        assert_eq!(
            w.received(b"SSH-2.0-OpenSSH_9.6\r\n"),
            Err(Violation::Unexpected(b"SSH-2.0-OpenSSH_9.6\r\n".to_vec()))
        );
    }

    #[test]
    fn another_protocol_is_quoted_from_its_first_byte() {
        let http = b"HTTP/1.1 400 Bad Request\r\n\r\n";
        for ssl_request in [true, false] {
            let err = watch(ssl_request).received(http).unwrap_err();
            assert_eq!(err.to_string(), "it answered \"HTTP/1.1 400 Bad Request\\r\\n\\r\\n\"");
            assert_eq!(err, Violation::Unexpected(http.to_vec()));
        }
        // `S` is a message type, but not what a server says first.
        assert!(matches!(watch(false).received(b"SSH-2.0-OpenSSH"), Err(Violation::Unexpected(_))));
        // A type only allowed after start-up.
        assert!(matches!(watch(true).received(b"ND\0\0\0\x04"), Err(Violation::Unexpected(b)) if b == b"D\0\0\0\x04"));
    }

    #[test]
    fn absurd_lengths_are_named() {
        let flood = watch(true).received(b"NE\x7f\xff\xff\xffaaaa").unwrap_err();
        assert_eq!(flood, Violation::Oversized { length: 0x7fff_ffff, in_startup: true });
        assert_eq!(flood.to_string(), "it announced a 2 GiB message during start-up");
        let big_row = [plain_session(), vec![b'D'], (5u32 << 20).to_be_bytes().to_vec()].concat();
        let err = watch(false).received(&big_row).unwrap_err();
        assert_eq!(err.to_string(), "it announced a 5 MiB message after start-up");
        assert_eq!(watch(false).received(b"R\0\0\0\x02").unwrap_err(), Violation::Undersized { length: 2 });
        let at_cap = [b"NR".to_vec(), MAX_MESSAGE_BYTES.to_be_bytes().to_vec()].concat();
        assert_eq!(watch(true).received(&at_cap), Ok(()));
    }

    /// A pooler holding the client for a server connection: it asked for
    /// the password, got it, and says nothing; a server's reply ends the wait.
    #[test]
    fn an_answered_password_request_waits_until_the_server_replies() {
        let mut w = watch(false);
        assert_eq!(w.answer_waits, None, "the startup message waits on no password request");
        w.received(&message(b'R', &[0, 0, 0, 5, 1, 2, 3, 4])).unwrap();
        assert_eq!(w.answer_waits, None);
        w.sent(b"p\0\0\0\x08md5\0");
        assert!(w.answer_waits.is_some());
        assert!(w.stage().unwrap().starts_with("the server asked for the password and got the client's answer"));
        // SCRAM's last server message may come before the hold: still waiting.
        w.received(&message(b'R', &12u32.to_be_bytes())).unwrap();
        assert!(w.answer_waits.is_some());
        // The login ends at ReadyForQuery; then a query waits on nothing of the login's.
        w.received(&[message(b'R', &0u32.to_be_bytes()), message(b'Z', b"I")].concat()).unwrap();
        assert_eq!(w.answer_waits, None);
        w.sent(b"Q\0\0\0\x0dSELECT 1\0");
        assert_eq!(w.answer_waits, None);
    }

    #[test]
    fn an_error_in_answer_to_the_tls_request_is_an_error_message() {
        let error = message(b'E', b"SFATAL\0Mcould not fork new process\0\0");
        assert_eq!(watch(true).received(&error), Ok(()));
        assert!(matches!(watch(true).received(b"E\xff\xff\xff\xff"), Err(Violation::Oversized { .. })));
    }

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(size(u32::MAX), "4 GiB");
        assert_eq!(size(0x5454_502f), "1.3 GiB");
        assert_eq!(size(3 << 19), "1.5 MiB");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// Any bytes, cut anywhere: an answer or a violation, never a panic.
        #[test]
        fn any_bytes_pass_or_are_named(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            cut in 0usize..300,
            ssl_request in proptest::prelude::any::<bool>(),
        ) {
            let mut w = watch(ssl_request);
            let (first, second) = bytes.split_at(cut.min(bytes.len()));
            let _ = w.received(first).and_then(|()| w.received(second));
        }
    }

    /// A guarded client whose server has written `server_sends` and stays open.
    async fn guarded_client(
        client_sends: &[u8],
        server_sends: &[u8],
    ) -> (Guarded<tokio::io::DuplexStream>, tokio::io::DuplexStream) {
        let (client, mut server) = tokio::io::duplex(64 * 1024);
        let mut guarded = Guarded::new(client);
        guarded.write_all(client_sends).await.unwrap();
        server.write_all(server_sends).await.unwrap();
        (guarded, server)
    }

    fn violation(err: &io::Error) -> Option<&Violation> {
        err.get_ref().and_then(|inner| inner.downcast_ref::<Violation>())
    }

    #[tokio::test]
    async fn a_one_byte_read_still_quotes_the_peers_first_bytes() {
        let (mut client, _server) = guarded_client(&SSL_REQUEST, b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        let err = client.read_exact(&mut [0u8; 1]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert_eq!(violation(&err).unwrap().to_string(), "it answered \"HTTP/1.1 400 Bad Request\\r\\n\\r\\n\"");
        // It stays failed.
        let again = client.read(&mut [0u8; 16]).await.unwrap_err();
        assert_eq!(violation(&again), violation(&err));
    }

    #[tokio::test]
    async fn a_long_quote_is_shortened() {
        let (mut client, _server) = guarded_client(&SSL_REQUEST, &[0xff; 4096]).await;
        let err = client.read_exact(&mut [0u8; 1]).await.unwrap_err();
        assert!(violation(&err).unwrap().to_string().ends_with("\\xff…\""), "{err}");
    }

    #[tokio::test]
    async fn a_flood_fails_at_its_header_without_waiting_for_the_rest() {
        let mut flood = b"NE\x7f\xff\xff\xff".to_vec();
        flood.extend(std::iter::repeat_n(b'a', 32 * 1024));
        let (mut client, _server) = guarded_client(&SSL_REQUEST, &flood).await;
        let mut answer = [0u8; 1];
        client.read_exact(&mut answer).await.unwrap();
        assert_eq!(&answer, b"N");
        let mut sink = Vec::new();
        let err = client.read_to_end(&mut sink).await.unwrap_err();
        assert_eq!(violation(&err), Some(&Violation::Oversized { length: 0x7fff_ffff, in_startup: true }));
    }

    /// A start-up with a cancel key for process 4242 and two parameter reports.
    fn keyed_startup() -> Vec<u8> {
        [
            message(b'R', &0u32.to_be_bytes()),
            message(b'S', b"client_encoding\0UTF8\0"),
            message(b'S', b"application_name\0\0"),
            message(b'K', &[0, 0, 0x10, 0x92, 1, 2, 3, 4]),
            message(b'Z', b"I"),
            // After start-up: a row is no parameter report.
            message(b'S', b"TimeZone\0UTC\0"),
        ]
        .concat()
    }

    #[test]
    fn startup_tells_the_cancel_keys_pid_and_the_parameter_names_in_any_pieces() {
        let expected =
            Startup { key_pid: Some(4242), parameters: vec!["client_encoding".into(), "application_name".into()] };
        for piece in [1, 3, 7, 1000] {
            let slot = StartupSlot::default();
            let mut w = watch(true);
            w.slot = Some(slot.clone());
            for chunk in [b"N".to_vec(), keyed_startup()].concat().chunks(piece) {
                assert_eq!(w.received(chunk), Ok(()));
            }
            assert_eq!(*slot.lock().unwrap(), expected, "in pieces of {piece}");
        }
    }

    #[tokio::test]
    async fn inside_tls_start_up_is_observed_and_passed_on_untouched() {
        let (client, mut server) = tokio::io::duplex(64 * 1024);
        let slot = StartupSlot::default();
        let connecting = Box::pin(async move { Ok::<_, io::Error>(client) });
        let mut observed = Observing { connecting, slot: Some(slot.clone()), login: Login::default() }.await.unwrap();
        // Nonsense after start-up is the session's business, not the observer's.
        let bytes = [keyed_startup(), b"HTTP/1.1 200 OK".to_vec()].concat();
        server.write_all(&bytes).await.unwrap();
        drop(server);
        let mut read = Vec::new();
        observed.read_to_end(&mut read).await.unwrap();
        assert_eq!(read, bytes);
        assert_eq!(slot.lock().unwrap().key_pid, Some(4242));
    }

    /// Inside TLS the client's writes are watched too: its answer to the
    /// password request starts the hold, the server's ReadyForQuery ends it,
    /// and every byte passes both ways as it was.
    #[tokio::test]
    async fn inside_tls_a_held_login_is_told_and_the_bytes_pass_untouched() {
        let (mut observed, mut server, held) = watching_a_login_inside_tls().await;
        let since = || *held.lock().unwrap();

        let startup_message = b"\0\0\0\x29\0\x03\0\0user\0u\0database\0d\0\0";
        observed.write_all(startup_message).await.unwrap();
        assert_eq!(since(), None, "the startup message answers no password request");
        let request = message(b'R', &[0, 0, 0, 5, 1, 2, 3, 4]);
        server.write_all(&request).await.unwrap();
        let mut read = vec![0; request.len()];
        observed.read_exact(&mut read).await.unwrap();
        assert_eq!(read, request);
        assert_eq!(since(), None);

        let password = b"p\0\0\0\x08md5\0";
        observed.write_all(password).await.unwrap();
        assert!(since().is_some(), "the answered password request waits on the server");
        let mut written = vec![0; startup_message.len() + password.len()];
        server.read_exact(&mut written).await.unwrap();
        assert_eq!(written, [startup_message.as_slice(), password].concat());

        let welcome = [message(b'R', &0u32.to_be_bytes()), message(b'Z', b"I")].concat();
        server.write_all(&welcome).await.unwrap();
        let mut read = vec![0; welcome.len()];
        observed.read_exact(&mut read).await.unwrap();
        assert_eq!(read, welcome);
        assert_eq!(since(), None, "the login ended");
        // A query after the login waits on nothing of the login's.
        observed.write_all(b"Q\0\0\0\x0dSELECT 1\0").await.unwrap();
        assert_eq!(since(), None);
    }

    /// Once the server accepted TLS, the plain-text guard leaves the hold
    /// to the observer inside TLS: ciphertext passing never clears it.
    #[tokio::test]
    async fn after_tls_is_accepted_the_guard_leaves_the_hold_alone() {
        let (client, mut server) = tokio::io::duplex(64 * 1024);
        let held = HeldSlot::default();
        let mut guarded = Guarded::new(client).watching_login(held.clone());
        guarded.write_all(&SSL_REQUEST).await.unwrap();
        server.write_all(b"S\x16\x03\x03\x00\x05").await.unwrap();
        guarded.read_exact(&mut [0; 6]).await.unwrap();
        // What the observer inside TLS would tell.
        let since = std::time::Instant::now();
        *held.lock().unwrap() = Some(since);
        guarded.write_all(b"\x17\x03\x03\x00\x10").await.unwrap();
        server.write_all(b"\x17\x03\x03\x00\x10").await.unwrap();
        guarded.read_exact(&mut [0; 5]).await.unwrap();
        assert_eq!(*held.lock().unwrap(), Some(since));
    }

    /// Bytes inside TLS that are no start-up claim no hold.
    #[tokio::test]
    async fn inside_tls_nonsense_ends_the_watch_without_a_hold() {
        let (mut observed, mut server, held) = watching_a_login_inside_tls().await;
        server.write_all(&message(b'R', &[0, 0, 0, 5, 1, 2, 3, 4])).await.unwrap();
        observed.read_exact(&mut [0; 13]).await.unwrap();
        observed.write_all(b"p\0\0\0\x08md5\0").await.unwrap();
        assert!(held.lock().unwrap().is_some());
        server.write_all(b"HTTP/1.1 200 OK").await.unwrap();
        observed.read_exact(&mut [0; 15]).await.unwrap();
        assert_eq!(*held.lock().unwrap(), None);
        observed.write_all(b"p\0\0\0\x08md5\0").await.unwrap();
        assert_eq!(*held.lock().unwrap(), None, "no more is read once the bytes stopped making sense");
    }

    #[tokio::test]
    async fn a_real_session_passes_through_unchanged() {
        let session = [b"N".to_vec(), plain_session()].concat();
        let (mut client, server) = guarded_client(&SSL_REQUEST, &session).await;
        drop(server);
        let mut read = Vec::new();
        client.read_to_end(&mut read).await.unwrap();
        assert_eq!(read, session);
    }
}
