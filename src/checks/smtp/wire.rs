//! The SMTP wire: commands out, replies in. Every read is capped so that a
//! broken or hostile peer can neither make us buffer without bound nor pass
//! for an SMTP server; replies are parsed by lettre's response parser.

use crate::checks::peer_bytes::{escape_bytes, printable, QUOTED_BYTES};
use lettre::transport::smtp::response::Response;
use std::fmt;
use std::str::FromStr;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Longest reply line accepted (RFC 5321 allows 512 bytes; servers stretch it).
pub const MAX_LINE_BYTES: usize = 4096;
/// Most lines accepted in one reply (a long EHLO list has about 15).
pub const MAX_REPLY_LINES: usize = 100;

/// A byte stream the dialogue runs over: plain TCP, or TLS on top of it.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// One server reply: lettre's parsed response, and its lines as the server
/// sent them (made printable) for the evidence.
#[derive(Clone, Debug)]
pub struct Reply {
    response: Response,
    lines: Vec<String>,
}

impl Reply {
    /// A reply from its lines (`250-first`, `250 last`), without line ends.
    #[cfg(test)]
    pub fn parse(text: &str) -> Result<Reply, String> {
        let lines: Vec<&str> = text.lines().collect();
        if lines.is_empty() {
            return Err("empty reply".to_string());
        }
        Self::from_lines(&lines.iter().map(|l| l.as_bytes().to_vec()).collect::<Vec<_>>())
    }

    fn from_lines(lines: &[Vec<u8>]) -> Result<Reply, String> {
        let mut wire_text = String::new();
        let mut shown = Vec::with_capacity(lines.len());
        for (i, line) in lines.iter().enumerate() {
            let text = String::from_utf8_lossy(line);
            let code = text.get(..3).ok_or_else(|| format!("malformed reply line \"{}\"", printable(&text)))?;
            let body = text.get(4..).unwrap_or("");
            // RFC 5321 allows a bare `250` as a last line; lettre wants `250 `.
            let separator = if i + 1 < lines.len() { '-' } else { ' ' };
            wire_text.push_str(&format!("{code}{separator}{body}\r\n"));
            shown.push(printable(&format!("{code}{separator}{body}")).trim_end().to_string());
        }
        let response = Response::from_str(&wire_text).map_err(|e| format!("malformed reply: {e}"))?;
        Ok(Reply { response, lines: shown })
    }

    pub fn code(&self) -> u16 {
        self.response.code().into()
    }

    /// lettre's view, for its EHLO and AUTH helpers.
    pub fn response(&self) -> &Response {
        &self.response
    }

    /// The reply as sent, one line per line: `250-mail.example.org`, `250 HELP`.
    pub fn shown(&self) -> String {
        self.lines.join("\n")
    }

    /// The first line only, for one-line summaries.
    pub fn first_line(&self) -> &str {
        self.lines.first().map_or("", String::as_str)
    }
}

/// Why the wire gave up before a whole reply came in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WireError {
    /// The server closed the connection.
    Closed,
    Io(String),
    /// What came in does not start like an SMTP reply: its first bytes.
    NotSmtp(Vec<u8>),
    LineTooLong,
    TooManyLines,
    Malformed(String),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Closed => f.write_str("the server closed the connection"),
            WireError::Io(detail) => write!(f, "network error: {detail}"),
            WireError::NotSmtp(bytes) => write!(f, "not an SMTP reply: first bytes \"{}\"", escape_bytes(bytes)),
            WireError::LineTooLong => write!(f, "a reply line longer than {MAX_LINE_BYTES} bytes"),
            WireError::TooManyLines => write!(f, "a reply of more than {MAX_REPLY_LINES} lines"),
            WireError::Malformed(detail) => f.write_str(detail),
        }
    }
}

/// A connection speaking SMTP: writes commands, reads whole replies.
pub struct Wire {
    /// `None` once handed over for a TLS upgrade that failed.
    stream: Option<Box<dyn Stream>>,
    /// Bytes read past the last complete line.
    pending: Vec<u8>,
}

impl Wire {
    pub fn new(stream: Box<dyn Stream>) -> Wire {
        Wire { stream: Some(stream), pending: Vec::new() }
    }

    pub async fn send(&mut self, command: &str) -> Result<(), WireError> {
        let stream = self.stream.as_mut().ok_or(WireError::Closed)?;
        stream.write_all(command.as_bytes()).await.map_err(io_error)?;
        stream.flush().await.map_err(io_error)
    }

    /// Raw bytes (a message body), written as they are.
    pub async fn send_bytes(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        let stream = self.stream.as_mut().ok_or(WireError::Closed)?;
        stream.write_all(bytes).await.map_err(io_error)?;
        stream.flush().await.map_err(io_error)
    }

    /// Reads one whole reply, single- or multi-line.
    pub async fn read_reply(&mut self) -> Result<Reply, WireError> {
        let mut lines = Vec::new();
        loop {
            let line = self.read_line().await?;
            let last = line.len() == 3 || line.get(3) == Some(&b' ');
            lines.push(line);
            if last {
                return Reply::from_lines(&lines).map_err(WireError::Malformed);
            }
            if lines.len() >= MAX_REPLY_LINES {
                return Err(WireError::TooManyLines);
            }
        }
    }

    /// Hands the stream over for a TLS upgrade. Bytes already read past the
    /// STARTTLS reply would be plain text injected into the TLS session
    /// (CVE-2011-0411): they are returned as an error instead.
    pub fn take_for_upgrade(&mut self) -> Result<Box<dyn Stream>, Vec<u8>> {
        if !self.pending.is_empty() {
            return Err(std::mem::take(&mut self.pending));
        }
        self.stream.take().ok_or_else(Vec::new)
    }

    /// One line without its line end, checked as it arrives: bytes that
    /// cannot start an SMTP reply line end the read at once.
    async fn read_line(&mut self) -> Result<Vec<u8>, WireError> {
        loop {
            if let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
                let mut line: Vec<u8> = self.pending.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if !plausible_start(&line) || line.len() < 3 {
                    return Err(WireError::NotSmtp(capped(&line)));
                }
                return Ok(line);
            }
            if !plausible_start(&self.pending) {
                return Err(WireError::NotSmtp(capped(&self.pending)));
            }
            if self.pending.len() > MAX_LINE_BYTES {
                return Err(WireError::LineTooLong);
            }
            let stream = self.stream.as_mut().ok_or(WireError::Closed)?;
            let mut chunk = [0u8; 1024];
            let read = stream.read(&mut chunk).await.map_err(io_error)?;
            if read == 0 {
                // What is pending passed `plausible_start` above: a reply cut
                // short by the server hanging up, not another protocol.
                return Err(WireError::Closed);
            }
            self.pending.extend_from_slice(&chunk[..read]);
        }
    }
}

/// Whether `bytes` can be the start of a reply line: a code 2xx-5xx, then
/// a space, a dash or the end of the line.
fn plausible_start(bytes: &[u8]) -> bool {
    bytes.iter().take(4).enumerate().all(|(i, b)| match i {
        0 => (b'2'..=b'5').contains(b),
        1 | 2 => b.is_ascii_digit(),
        _ => matches!(b, b' ' | b'-' | b'\r' | b'\n'),
    })
}

fn capped(bytes: &[u8]) -> Vec<u8> {
    bytes[..bytes.len().min(QUOTED_BYTES)].to_vec()
}

fn io_error(e: std::io::Error) -> WireError {
    match e.kind() {
        std::io::ErrorKind::UnexpectedEof
        | std::io::ErrorKind::ConnectionReset
        | std::io::ErrorKind::ConnectionAborted
        | std::io::ErrorKind::BrokenPipe => WireError::Closed,
        _ => WireError::Io(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    /// A wire whose server side sends `input` and then closes.
    async fn wire_reading(input: &[u8]) -> Wire {
        let (client, mut server) = tokio::io::duplex(64 * 1024);
        server.write_all(input).await.unwrap();
        drop(server);
        Wire::new(Box::new(client))
    }

    #[tokio::test]
    async fn reads_single_and_multi_line_replies() {
        let mut wire =
            wire_reading(b"220 mail.example ESMTP\r\n250-mail.example\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n")
                .await;
        let banner = wire.read_reply().await.unwrap();
        assert_eq!((banner.code(), banner.shown().as_str()), (220, "220 mail.example ESMTP"));
        let ehlo = wire.read_reply().await.unwrap();
        assert_eq!(ehlo.code(), 250);
        assert_eq!(ehlo.shown(), "250-mail.example\n250-STARTTLS\n250 AUTH PLAIN LOGIN");
        assert_eq!(wire.read_reply().await.unwrap_err(), WireError::Closed);
    }

    #[tokio::test]
    async fn accepts_bare_code_and_bare_newlines() {
        let mut wire = wire_reading(b"250\n").await;
        assert_eq!(wire.read_reply().await.unwrap().code(), 250);
    }

    #[tokio::test]
    async fn garbage_is_not_smtp_and_quoted_capped() {
        let mut wire = wire_reading(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        let WireError::NotSmtp(bytes) = wire.read_reply().await.unwrap_err() else { panic!() };
        assert_eq!(escape_bytes(&bytes), "HTTP/1.1 400 Bad Request");

        let mut wire = wire_reading(&[0xff; 500]).await;
        let WireError::NotSmtp(bytes) = wire.read_reply().await.unwrap_err() else { panic!() };
        assert_eq!(bytes.len(), QUOTED_BYTES);
        assert!(escape_bytes(&bytes).starts_with("\\xff\\xff"));
    }

    #[tokio::test]
    async fn garbage_without_line_end_is_caught_before_the_peer_closes() {
        let (client, mut server) = tokio::io::duplex(1024);
        server.write_all(b"SSH-2.0-OpenSSH_9.6").await.unwrap();
        let mut wire = Wire::new(Box::new(client));
        // `server` stays open: the error must not wait for more bytes.
        assert!(matches!(wire.read_reply().await, Err(WireError::NotSmtp(_))));
        drop(server);
    }

    #[tokio::test]
    async fn caps_line_length_and_line_count() {
        let mut long = b"250 ".to_vec();
        long.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 10));
        let mut wire = wire_reading(&long).await;
        assert_eq!(wire.read_reply().await.unwrap_err(), WireError::LineTooLong);

        let many = "250-x\r\n".repeat(MAX_REPLY_LINES + 1);
        let mut wire = wire_reading(many.as_bytes()).await;
        assert_eq!(wire.read_reply().await.unwrap_err(), WireError::TooManyLines);
    }

    #[tokio::test]
    async fn a_reply_cut_by_a_hang_up_is_closed_not_another_protocol() {
        let mut wire = wire_reading(b"220-relay.example\r\n220-sti").await;
        assert_eq!(wire.read_reply().await.unwrap_err(), WireError::Closed);
    }

    proptest::proptest! {
        #![proptest_config(crate::test_strategies::config())]
        /// Any bytes at all: a reply or a named error, never a panic, and
        /// a reply's lines all carry its code.
        #[test]
        fn any_bytes_give_a_reply_or_an_error(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            runtime.block_on(async {
                let mut wire = wire_reading(&bytes).await;
                for _ in 0..4 {
                    match wire.read_reply().await {
                        Ok(reply) => assert!((200..600).contains(&reply.code())),
                        Err(_) => break,
                    }
                }
            });
        }
    }

    #[tokio::test]
    async fn mixed_codes_in_one_reply_are_malformed() {
        let mut wire = wire_reading(b"250-a\r\n251 b\r\n").await;
        assert!(matches!(wire.read_reply().await, Err(WireError::Malformed(_))));
    }

    #[tokio::test]
    async fn bytes_after_the_starttls_reply_block_the_upgrade() {
        let mut wire = wire_reading(b"220 go ahead\r\n250 injected\r\n").await;
        wire.read_reply().await.unwrap();
        assert_eq!(wire.take_for_upgrade().err().unwrap(), b"250 injected\r\n".to_vec());
    }
}
