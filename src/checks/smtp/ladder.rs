//! The SMTP ladder, climbed as the app would: connect, banner, EHLO,
//! STARTTLS (or implicit TLS), EHLO again, AUTH; then, only when asked, one
//! test message; always QUIT when the connection allows it. Every reply is
//! kept; the climb stops at the first step that fails and says why.
//!
//! The dialogue is driven here, over tokio and tokio-rustls, with lettre's
//! command types and response parser: lettre's own connection hides the
//! banner, folds refusals into errors and gives no certificate when the
//! handshake fails, all of which the report needs.

use super::cert;
use super::wire::{Reply, Stream, Wire, WireError};
use super::{Login, SmtpCheck, TlsMode};
use crate::checks::stall::{Peer, Tap, Tapped};
use crate::checks::Context;
use crate::tls::CertInfo;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::commands::{Auth, Data, Ehlo, Mail, Quit, Rcpt, Starttls};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Address, Message};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// Longest wait for the reply to QUIT, read after the check has returned:
/// politeness must not cost the verdict.
const QUIT_WAIT: Duration = Duration::from_secs(2);
/// Time kept back from the deadline when sending QUIT.
const QUIT_MARGIN: Duration = Duration::from_millis(100);
/// AUTH LOGIN asks twice (user name, password); more is a confused server.
const MAX_AUTH_CHALLENGES: usize = 3;

/// A rung of the ladder: where a reply came from or where the climb stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Resolve,
    Connect,
    TlsHandshake,
    Banner,
    Ehlo,
    StartTls,
    EhloAfterTls,
    Auth,
    MailFrom,
    RcptTo,
    Data,
    Message,
    Quit,
}

impl Step {
    pub fn label(self) -> &'static str {
        match self {
            Step::Resolve => "DNS",
            Step::Connect => "connect",
            Step::TlsHandshake => "TLS handshake",
            Step::Banner => "banner",
            Step::Ehlo => "EHLO",
            Step::StartTls => "STARTTLS",
            Step::EhloAfterTls => "EHLO after TLS",
            Step::Auth => "AUTH",
            Step::MailFrom => "MAIL FROM",
            Step::RcptTo => "RCPT TO",
            Step::Data => "DATA",
            Step::Message => "test message",
            Step::Quit => "QUIT",
        }
    }
}

/// One command (as shown: never a credential) and the server's reply.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub step: Step,
    pub command: Option<String>,
    pub reply: Reply,
}

/// The TLS session, once established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsSession {
    pub mode: TlsMode,
    pub version: String,
    pub cipher: String,
    /// How many exchanges came before the handshake, to place it in the evidence.
    pub after_exchanges: usize,
}

/// What the last EHLO reply offered.
#[derive(Clone, Debug)]
pub struct Offer {
    pub starttls: bool,
    /// Every AUTH mechanism advertised, as written (`PLAIN`, `LOGIN`, `CRAM-MD5`).
    pub mechanisms: Vec<String>,
    /// The mechanism kbz-check will use: PLAIN, else LOGIN.
    pub usable: Option<Mechanism>,
}

impl Offer {
    pub fn from_reply(reply: &Reply) -> Offer {
        let mut mechanisms: Vec<String> = Vec::new();
        let mut starttls = false;
        // The first line is the server's name and greeting, not a keyword.
        for line in reply.response().message().skip(1) {
            let upper = line.to_ascii_uppercase();
            let mut words = upper.split_whitespace();
            let keyword = words.next().unwrap_or_default();
            starttls |= keyword == "STARTTLS";
            // `AUTH=PLAIN LOGIN` is an old spelling some servers still send.
            let first = match keyword.strip_prefix("AUTH=") {
                Some(first) => first,
                None if keyword == "AUTH" => "",
                None => continue,
            };
            for mechanism in std::iter::once(first).chain(words).filter(|m| !m.is_empty()) {
                if !mechanisms.iter().any(|m| m == mechanism) {
                    mechanisms.push(mechanism.to_string());
                }
            }
        }
        let offered = |name: &str| mechanisms.iter().any(|m| m == name);
        let usable = if offered("PLAIN") {
            Some(Mechanism::Plain)
        } else if offered("LOGIN") {
            Some(Mechanism::Login)
        } else {
            None
        };
        Offer { starttls, mechanisms, usable }
    }
}

/// Whether and how the login went.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AuthState {
    /// The climb stopped before AUTH (or AUTH itself failed: see the stop).
    #[default]
    NotReached,
    /// No SMTP_USER and no SMTP_PASS.
    NotConfigured,
    /// Only one of SMTP_USER and SMTP_PASS.
    Incomplete,
    /// Credentials configured, but the server advertises no AUTH.
    NotOffered,
    /// Only mechanisms kbz-check does not speak (e.g. CRAM-MD5, XOAUTH2).
    NoUsableMechanism(Vec<String>),
    Accepted {
        mechanism: String,
        user: String,
    },
}

/// The optional test message.
#[derive(Clone, Debug, Default)]
pub enum TestMessage {
    #[default]
    NotAsked,
    NotSent(String),
    Queued {
        to: String,
        reply: Reply,
    },
}

/// Why the climb stopped.
#[derive(Clone, Debug)]
pub enum Why {
    BadTestAddress(String),
    Dns(String),
    Refused(Vec<SocketAddr>),
    /// The connection failed on the network path; `timed_out` when every
    /// address's failure was the system giving up the handshake.
    Unreachable {
        detail: String,
        timed_out: bool,
    },
    Wire(WireError),
    /// The server answered, with a code that does not let the climb go on.
    Reply(Reply),
    /// Credentials are configured and the server offers no STARTTLS.
    NoStartTls,
    TlsSetup(String),
    Tls(TlsFailure),
    /// Bytes that arrived after the STARTTLS reply, before the handshake.
    DataAfterStartTls(Vec<u8>),
    AuthChallenge(String),
    MessageBuild(String),
}

#[derive(Clone, Debug)]
pub struct TlsFailure {
    pub mode: TlsMode,
    /// rustls's reason: the verifier's verdict on the certificate, else the handshake's.
    pub error: Option<rustls::Error>,
    pub detail: String,
}

#[derive(Clone, Debug)]
pub struct Stop {
    pub step: Step,
    pub why: Why,
}

impl Stop {
    fn new(step: Step, why: Why) -> Stop {
        Stop { step, why }
    }

    /// A refusal leaves the dialogue in order, so QUIT can still be said.
    fn connection_usable(&self) -> bool {
        matches!(self.why, Why::Reply(_) | Why::NoStartTls | Why::AuthChallenge(_) | Why::MessageBuild(_))
    }
}

/// Everything the climb saw, in order, and where it stopped.
#[derive(Clone, Debug, Default)]
pub struct Transcript {
    pub connected_to: Option<SocketAddr>,
    pub exchanges: Vec<Exchange>,
    pub tls: Option<TlsSession>,
    /// The trust store used for the handshake, described.
    pub trust: Option<String>,
    /// The server's certificate as the verifier saw it, trusted or not.
    pub certificate: Option<Result<CertInfo, String>>,
    pub offer: Option<Offer>,
    pub auth: AuthState,
    pub test_message: TestMessage,
    pub stop: Option<Stop>,
    /// QUIT was sent at the end; its reply is not waited for.
    pub quit_sent: bool,
}

pub async fn climb(check: &SmtpCheck, ctx: &Context) -> Transcript {
    let mut ladder = Ladder { check, ctx, transcript: Transcript::default() };
    if let Err(stop) = ladder.run().await {
        ladder.transcript.stop = Some(stop);
    }
    ladder.transcript
}

struct Ladder<'a> {
    check: &'a SmtpCheck,
    ctx: &'a Context,
    transcript: Transcript,
}

impl Ladder<'_> {
    async fn run(&mut self) -> Result<(), Stop> {
        let test_to = self.test_recipient()?;
        let tcp: Box<dyn Stream> = Box::new(self.connect().await?);
        let mut wire = match self.check.tls {
            TlsMode::Implicit => Wire::new(self.handshake(tcp, TlsMode::Implicit).await?),
            TlsMode::StartTls => Wire::new(tcp),
        };
        let result = self.dialogue(&mut wire, test_to).await;
        if result.as_ref().err().is_none_or(Stop::connection_usable) {
            self.quit(wire).await;
        }
        result
    }

    async fn dialogue(&mut self, wire: &mut Wire, test_to: Option<Address>) -> Result<(), Stop> {
        self.ctx.step(format!("waiting for the server's banner from {}", self.check.endpoint()));
        let banner = wire.read_reply().await.map_err(|e| Stop::new(Step::Banner, Why::Wire(e)))?;
        self.keep(Step::Banner, None, &banner, &[220])?;
        let mut offer = self.ehlo(wire, Step::Ehlo).await?;
        if self.check.tls == TlsMode::StartTls {
            if offer.starttls {
                self.command(wire, Step::StartTls, &Starttls.to_string(), None, &[220]).await?;
                let plain = wire
                    .take_for_upgrade()
                    .map_err(|extra| Stop::new(Step::StartTls, Why::DataAfterStartTls(extra)))?;
                *wire = Wire::new(self.handshake(plain, TlsMode::StartTls).await?);
                offer = self.ehlo(wire, Step::EhloAfterTls).await?;
            } else if self.check.login.is_configured() {
                return Err(Stop::new(Step::StartTls, Why::NoStartTls));
            }
        }
        let may_send = self.authenticate(wire, &offer).await?;
        match test_to {
            Some(to) if may_send => self.send_test_message(wire, to).await?,
            Some(to) => {
                self.transcript.test_message =
                    TestMessage::NotSent(format!("not sent to {to}: the login did not succeed"))
            }
            None => {}
        }
        Ok(())
    }

    /// `--send-test-to`, checked before anything is sent anywhere.
    fn test_recipient(&self) -> Result<Option<Address>, Stop> {
        let Some(text) = self.ctx.options.send_test_to.as_deref() else { return Ok(None) };
        text.trim().parse::<Address>().map(Some).map_err(|e| {
            Stop::new(
                Step::RcptTo,
                Why::BadTestAddress(format!("`{}`: {e}", crate::checks::peer_bytes::printable(text))),
            )
        })
    }

    /// Each address of the host in turn, as a mail client would.
    async fn connect(&mut self) -> Result<Tapped<TcpStream>, Stop> {
        let (host, port) = (self.check.host.as_str(), self.check.port);
        self.ctx.step(format!("resolving {host}"));
        let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| Stop::new(Step::Resolve, Why::Dns(e.to_string())))?
            .collect();
        if addresses.is_empty() {
            return Err(Stop::new(Step::Resolve, Why::Dns("no address found".to_string())));
        }
        let mut refused = Vec::new();
        let mut other = Vec::new();
        let mut timed_out = true;
        for (i, address) in addresses.iter().enumerate() {
            self.ctx.step(format!("connecting to {address}"));
            self.ctx.peer_gone();
            let began = std::time::Instant::now();
            // The addresses left share the budget, as a mail client tries each in turn.
            let budget = self.ctx.connect_budget() / (addresses.len() - i) as u32;
            let connected = tokio::time::timeout(budget, TcpStream::connect(address)).await.unwrap_or_else(|_| {
                let after = crate::human::duration(budget);
                Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no answer to the TCP handshake within {after}"),
                ))
            });
            match connected {
                Ok(stream) => {
                    // Each command is one small write waiting for its reply:
                    // Nagle would hold it for the peer's delayed ACK (40 ms).
                    let _ = stream.set_nodelay(true);
                    self.transcript.connected_to = Some(*address);
                    // Counted, so that a deadline passing later says what the server sent.
                    let tap = Tap::new(*address, began.elapsed());
                    self.ctx.peer(Peer::Tapped(tap.clone()));
                    return Ok(Tapped::new(stream, tap));
                }
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => refused.push(*address),
                Err(e) => {
                    timed_out &= e.kind() == std::io::ErrorKind::TimedOut;
                    // The summary names the endpoint; a host with several addresses names each.
                    other.push(if addresses.len() == 1 { e.to_string() } else { format!("{address}: {e}") });
                }
            }
        }
        Err(match other.is_empty() {
            true => Stop::new(Step::Connect, Why::Refused(refused)),
            false => Stop::new(Step::Connect, Why::Unreachable { detail: other.join("; "), timed_out }),
        })
    }

    /// TLS over `stream`, verifying chain and host name, recording the certificate either way.
    async fn handshake(&mut self, stream: Box<dyn Stream>, mode: TlsMode) -> Result<Box<dyn Stream>, Stop> {
        let setup = |e: String| Stop::new(Step::TlsHandshake, Why::TlsSetup(e));
        let trust = cert::trust(self.check.cacert.as_deref()).map_err(setup)?;
        self.transcript.trust = Some(trust.description);
        let (config, seen) = cert::client_config(trust.roots).map_err(setup)?;
        let name = cert::server_name(&self.check.host).map_err(setup)?;
        self.ctx.step(format!("in the TLS handshake with {}", self.check.endpoint()));
        let result = TlsConnector::from(Arc::new(config)).connect(name, stream).await;
        let seen = std::mem::take(&mut *seen.lock().unwrap_or_else(|e| e.into_inner()));
        self.transcript.certificate = seen.leaf.as_ref().map(|der| CertInfo::from_der(der));
        match result {
            Ok(tls) => {
                let connection = tls.get_ref().1;
                self.transcript.tls = Some(TlsSession {
                    mode,
                    version: connection
                        .protocol_version()
                        .and_then(|v| v.as_str())
                        .map_or("unknown version".to_string(), |v| v.replace('_', ".")),
                    cipher: connection
                        .negotiated_cipher_suite()
                        .and_then(|s| s.suite().as_str())
                        .unwrap_or("unknown cipher")
                        .to_string(),
                    after_exchanges: self.transcript.exchanges.len(),
                });
                Ok(Box::new(tls))
            }
            Err(e) => {
                let wrapped = e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()).cloned();
                let detail = match e.kind() {
                    std::io::ErrorKind::UnexpectedEof => "the server closed the connection".to_string(),
                    _ => e.to_string(),
                };
                let error = seen.rejected.or(wrapped);
                Err(Stop::new(Step::TlsHandshake, Why::Tls(TlsFailure { mode, error, detail })))
            }
        }
    }

    async fn ehlo(&mut self, wire: &mut Wire, step: Step) -> Result<Offer, Stop> {
        let command = Ehlo::new(ClientId::Domain(self.check.helo.clone())).to_string();
        let reply = self.command(wire, step, &command, None, &[250]).await?;
        let offer = Offer::from_reply(&reply);
        self.transcript.offer = Some(offer.clone());
        Ok(offer)
    }

    /// Logs in when credentials are configured. True when mail may be sent
    /// the way the app would send it (logged in, or no login configured).
    async fn authenticate(&mut self, wire: &mut Wire, offer: &Offer) -> Result<bool, Stop> {
        let (user, password) = match &self.check.login {
            Login::None => {
                self.transcript.auth = AuthState::NotConfigured;
                return Ok(true);
            }
            Login::UserOnly { .. } | Login::PasswordOnly => {
                self.transcript.auth = AuthState::Incomplete;
                return Ok(false);
            }
            Login::Full { user, password } => (user, password),
        };
        if offer.mechanisms.is_empty() {
            self.transcript.auth = AuthState::NotOffered;
            return Ok(false);
        }
        let Some(mechanism) = offer.usable else {
            self.transcript.auth = AuthState::NoUsableMechanism(offer.mechanisms.clone());
            return Ok(false);
        };
        let credentials = Credentials::new(user.clone(), password.expose().to_string());
        let challenge_error =
            |e: lettre::transport::smtp::Error| Stop::new(Step::Auth, Why::AuthChallenge(e.to_string()));
        let first = Auth::new(mechanism, credentials.clone(), None).map_err(challenge_error)?;
        let shown = match mechanism {
            Mechanism::Login => format!("AUTH {mechanism}"),
            _ => format!("AUTH {mechanism} ***"),
        };
        let mut reply = self.command(wire, Step::Auth, &first.to_string(), Some(&shown), &[235, 334]).await?;
        let mut challenges = 0;
        while reply.code() == 334 {
            challenges += 1;
            if challenges > MAX_AUTH_CHALLENGES {
                return Err(Stop::new(
                    Step::Auth,
                    Why::AuthChallenge(format!("more than {MAX_AUTH_CHALLENGES} challenges")),
                ));
            }
            let answer = Auth::new_from_response(mechanism, credentials.clone(), reply.response())
                .map_err(|_| Stop::new(Step::Auth, Why::AuthChallenge(format!("`{}`", reply.first_line()))))?;
            reply = self.command(wire, Step::Auth, &answer.to_string(), Some("***"), &[235, 334]).await?;
        }
        self.transcript.auth = AuthState::Accepted { mechanism: mechanism.to_string(), user: user.clone() };
        Ok(true)
    }

    /// MAIL FROM, RCPT TO, DATA and one short plain-text message.
    async fn send_test_message(&mut self, wire: &mut Wire, to: Address) -> Result<(), Stop> {
        let from = self.sender()?;
        let message =
            test_message(&from, &to, self.check).map_err(|e| Stop::new(Step::Message, Why::MessageBuild(e)))?;
        self.command(wire, Step::MailFrom, &Mail::new(Some(from), vec![]).to_string(), None, &[250]).await?;
        self.command(wire, Step::RcptTo, &Rcpt::new(to.clone(), vec![]).to_string(), None, &[250, 251]).await?;
        self.command(wire, Step::Data, &Data.to_string(), None, &[354]).await?;
        self.ctx.step(format!("waiting for {} to queue the test message", self.check.endpoint()));
        let framed = frame_message(&message);
        wire.send_bytes(&framed).await.map_err(|e| Stop::new(Step::Message, Why::Wire(e)))?;
        let reply = wire.read_reply().await.map_err(|e| Stop::new(Step::Message, Why::Wire(e)))?;
        let shown = format!("(message to {to}, {} bytes, ended by <CRLF>.<CRLF>)", message.len());
        self.keep(Step::Message, Some(shown), &reply, &[250])?;
        self.transcript.test_message = TestMessage::Queued { to: to.to_string(), reply };
        Ok(())
    }

    /// The login if it is an address, else `kbz-check@<helo>`.
    fn sender(&self) -> Result<Address, Stop> {
        let login = self.check.login.user().and_then(|u| u.parse::<Address>().ok());
        login
            .or_else(|| format!("kbz-check@{}", self.check.helo).parse().ok())
            .or_else(|| format!("kbz-check@{}", super::FALLBACK_HELO).parse().ok())
            .ok_or_else(|| Stop::new(Step::MailFrom, Why::MessageBuild("no usable sender address".to_string())))
    }

    /// QUIT, sent and not waited for: the reply decides nothing, and waiting
    /// for it would cost the check a round trip. The goodbye is read in the
    /// background (within [`QUIT_WAIT`]), so the server still sees the
    /// session end in order.
    async fn quit(&mut self, mut wire: Wire) {
        let wait = self.ctx.remaining().saturating_sub(QUIT_MARGIN).min(QUIT_WAIT);
        if wait.is_zero() {
            return;
        }
        self.ctx.step(format!("saying QUIT to {}", self.check.endpoint()));
        if let Ok(Ok(())) = tokio::time::timeout(wait, wire.send(&Quit.to_string())).await {
            self.transcript.quit_sent = true;
            tokio::spawn(async move {
                let _ = tokio::time::timeout(QUIT_WAIT, wire.read_reply()).await;
            });
        }
    }

    /// Sends `command` (shown as `shown`, or itself without its line end) and
    /// keeps the reply; a code outside `expected` stops the climb.
    async fn command(
        &mut self,
        wire: &mut Wire,
        step: Step,
        command: &str,
        shown: Option<&str>,
        expected: &[u16],
    ) -> Result<Reply, Stop> {
        let shown = shown.map_or_else(|| command.trim_end().to_string(), str::to_string);
        self.ctx.step(format!("waiting for {}'s reply to {shown}", self.check.endpoint()));
        wire.send(command).await.map_err(|e| Stop::new(step, Why::Wire(e)))?;
        let reply = wire.read_reply().await.map_err(|e| Stop::new(step, Why::Wire(e)))?;
        self.keep(step, Some(shown), &reply, expected)?;
        Ok(reply)
    }

    fn keep(&mut self, step: Step, command: Option<String>, reply: &Reply, expected: &[u16]) -> Result<(), Stop> {
        self.transcript.exchanges.push(Exchange { step, command, reply: reply.clone() });
        match expected.contains(&reply.code()) {
            true => Ok(()),
            false => Err(Stop::new(step, Why::Reply(reply.clone()))),
        }
    }
}

/// A short plain-text message saying what it is, formatted by lettre.
fn test_message(from: &Address, to: &Address, check: &SmtpCheck) -> Result<Vec<u8>, String> {
    // Lines under 76 characters, so that lettre keeps the body as plain 7-bit text.
    let body = format!(
        "This is a test message from kbz-check (run with --send-test-to).\r\n\
         It proves that {} accepted and queued mail\r\n\
         from this configuration. No action is needed.\r\n",
        check.endpoint()
    );
    Message::builder()
        .from(Mailbox::new(Some("kbz-check".to_string()), from.clone()))
        .to(Mailbox::new(None, to.clone()))
        .subject("kbz-check test message")
        .message_id(None)
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map(|message| message.formatted())
        .map_err(|e| e.to_string())
}

/// The message as DATA carries it: a `.` doubled at the start of a line
/// (RFC 5321 4.5.2), ending with CRLF, then the lone `.` that ends it.
fn frame_message(message: &[u8]) -> Vec<u8> {
    let mut framed = Vec::with_capacity(message.len() + 8);
    let mut line_start = true;
    for &byte in message {
        if line_start && byte == b'.' {
            framed.push(b'.');
        }
        framed.push(byte);
        line_start = byte == b'\n';
    }
    if !framed.ends_with(b"\r\n") {
        framed.extend_from_slice(b"\r\n");
    }
    framed.extend_from_slice(b".\r\n");
    framed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_at_line_starts_are_doubled_and_the_message_is_terminated() {
        assert_eq!(frame_message(b".hidden\r\nok\r\n.\r\n"), b"..hidden\r\nok\r\n..\r\n.\r\n".to_vec());
        assert_eq!(frame_message(b"no final line end"), b"no final line end\r\n.\r\n".to_vec());
        assert_eq!(frame_message(b""), b"\r\n.\r\n".to_vec());
    }

    #[test]
    fn offer_lists_every_mechanism_and_picks_plain_first() {
        let reply =
            Reply::parse("250-mail.example\n250-STARTTLS\n250-AUTH LOGIN PLAIN CRAM-MD5\n250 AUTH=LOGIN").unwrap();
        let offer = Offer::from_reply(&reply);
        assert!(offer.starttls);
        assert_eq!(offer.mechanisms, ["LOGIN", "PLAIN", "CRAM-MD5"]);
        assert_eq!(offer.usable, Some(Mechanism::Plain));
    }

    #[test]
    fn offer_without_auth_or_with_unknown_mechanisms_only() {
        let none = Offer::from_reply(&Reply::parse("250-mail.example\n250 SIZE 1000").unwrap());
        assert!(!none.starttls && none.mechanisms.is_empty() && none.usable.is_none());
        let odd = Offer::from_reply(&Reply::parse("250-mail.example\n250 AUTH CRAM-MD5 XOAUTH2").unwrap());
        assert_eq!(odd.mechanisms, ["CRAM-MD5", "XOAUTH2"]);
        assert_eq!(odd.usable, None, "XOAUTH2 needs a token, not a password");
    }

    #[test]
    fn test_message_is_plain_ascii_with_the_headers_a_relay_expects() {
        let check = crate::checks::smtp::tests::sample_check();
        let message =
            test_message(&"a@example.org".parse().unwrap(), &"b@example.org".parse().unwrap(), &check).unwrap();
        let text = String::from_utf8(message).unwrap();
        for header in [
            "From: kbz-check <a@example.org>",
            "To: b@example.org",
            "Subject: kbz-check test message",
            "Date: ",
            "Message-ID: <",
            "Content-Transfer-Encoding: 7bit",
        ] {
            assert!(text.contains(header), "{header} missing in\n{text}");
        }
    }
}
