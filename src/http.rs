//! What the HTTP checks (vault, ses, oauth) share: reading an answer up to a
//! cap, why a request got no answer, and why a TLS handshake was refused.

use crate::check::Context;
use crate::errors;
use crate::secret::mask_dsn;
pub use crate::stall::Seen;
use crate::stall::{Tap, Tapped};
use crate::tls::{CertInfo, SeenSlot};
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;
use url::{Host, Url};

/// A service's base address as users write it (`https://host[:port][/prefix]`):
/// http or https with a host; query and fragment dropped, a path prefix kept
/// without its trailing slash (a service behind a reverse proxy). `example`
/// ends the error message.
pub fn parse_base_url(text: &str, example: &str) -> Result<Url, String> {
    let mut url = parse_http_url(text, example)?;
    url.set_query(None);
    let path = url.path().trim_end_matches('/').to_string();
    url.set_path(&path);
    Ok(url)
}

/// http or https with a host, its fragment (which never reaches the server)
/// dropped; an error shows the text with any password masked, then `example`.
pub fn parse_http_url(text: &str, example: &str) -> Result<Url, String> {
    let mut url = Url::parse(text.trim()).map_err(|e| format!("`{}` is not a URL ({e}); {example}", mask_dsn(text)))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(format!("`{}` is not an http:// or https:// address; {example}", mask_dsn(text)));
    }
    url.set_fragment(None);
    Ok(url)
}

/// The URL's host and its addresses; resolving is a step of its own, so a
/// slow DNS is named when the deadline passes.
pub async fn resolve(url: &Url, default_port: u16, ctx: &Context) -> Result<(String, Vec<SocketAddr>), RequestError> {
    let port = url.port_or_known_default().unwrap_or(default_port);
    let (host, addrs) = match url.host() {
        Some(Host::Ipv4(ip)) => (ip.to_string(), vec![SocketAddr::new(ip.into(), port)]),
        Some(Host::Ipv6(ip)) => (ip.to_string(), vec![SocketAddr::new(ip.into(), port)]),
        Some(Host::Domain(name)) => {
            ctx.step(format!("resolving {name}"));
            let found = tokio::net::lookup_host((name, port))
                .await
                .map_err(|e| RequestError::Dns { host: name.to_string(), detail: e.to_string() })?;
            (name.to_string(), found.collect())
        }
        None => return Err(RequestError::Setup { detail: format!("{url} has no host") }),
    };
    if addrs.is_empty() {
        return Err(RequestError::Dns { host, detail: "no address found".into() });
    }
    Ok((host, addrs))
}

/// The URL's host as a certificate names it: an IPv6 address without its brackets.
pub fn host(url: &Url) -> &str {
    url.host_str().unwrap_or_default().trim_matches(['[', ']'])
}

/// A check's HTTP client, from `tls` (a builder with the check's TLS set):
/// no proxy, as the app on this host reaches the service directly; each
/// connection watched on `ctx` within `connect_budget`; kbz-check's user
/// agent; `url`'s host name pinned to the `addrs` already resolved, so the
/// lookup is a step of its own. A redirect is never followed: the 3xx is
/// what the check reports, and following it would carry the request's
/// credentials (a token, a signed header, tenant headers) to another origin.
pub fn client(
    tls: reqwest::ClientBuilder,
    url: &Url,
    (host, addrs): (&str, &[SocketAddr]),
    connect_budget: Duration,
    ctx: &Context,
) -> Result<reqwest::Client, RequestError> {
    let mut builder = tls
        .no_proxy()
        .connect_timeout(connect_budget)
        .connector_layer(Watch::new(ctx, url))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("kbz-check/", env!("CARGO_PKG_VERSION")));
    if matches!(url.host(), Some(Host::Domain(_))) {
        builder = builder.resolve_to_addrs(host, addrs);
    }
    builder.build().map_err(|e| RequestError::Setup { detail: errors::describe(&e) })
}

/// A password written into a configured URL is a secret: every text the
/// report shows has it masked.
pub fn hide_password(url: &Url, redactor: &mut crate::secret::Redactor) {
    if let Some(password) = url.password() {
        redactor.add(&crate::secret::Secret::new(password));
    }
}

/// `host:port` as messages name a server (`[::1]:8200` for IPv6).
pub fn endpoint(url: &Url, default_port: u16) -> String {
    let port = url.port_or_known_default().unwrap_or(default_port);
    match url.host() {
        Some(Host::Ipv6(ip)) => format!("[{ip}]:{port}"),
        Some(host) => format!("{host}:{port}"),
        None => format!("?:{port}"),
    }
}

/// What a failed request was sent to, and its connect budget.
pub struct Attempt<'a> {
    pub endpoint: String,
    pub host: &'a str,
    /// The client's `connect_timeout`.
    pub connect_budget: Duration,
    /// The request's whole `timeout`, when the client set one shorter than
    /// the check's deadline: a timeout past the connect budget is then a
    /// peer that connected and did not answer in time.
    pub answer_budget: Option<Duration>,
    /// The recording verifier's slot, when the client has one: it knows why a
    /// certificate was refused, whatever the error chain kept of it.
    pub seen: Option<&'a SeenSlot>,
}

/// Why `err` left the request without an answer.
pub fn classify(err: &reqwest::Error, attempt: Attempt<'_>) -> RequestError {
    let Attempt { endpoint, host, connect_budget, answer_budget, seen } = attempt;
    let seen = seen.map(|slot| slot.lock().unwrap_or_else(|e| e.into_inner()));
    let rejected = seen.as_ref().and_then(|seen| seen.rejected.clone());
    if let Some(tls) = rejected.as_ref().or_else(|| errors::find::<rustls::Error>(err)) {
        let certificate = seen.as_ref().and_then(|seen| seen.certificate()).map(Box::new);
        return RequestError::Tls { endpoint, problem: tls_problem(tls), detail: tls.to_string(), certificate };
    }
    use std::io::ErrorKind;
    match errors::find::<std::io::Error>(err).map(std::io::Error::kind) {
        Some(ErrorKind::ConnectionRefused) => RequestError::Refused { endpoint },
        Some(ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable) => {
            RequestError::NoRoute { endpoint, detail: errors::describe(err) }
        }
        _ if err.is_connect() && err.is_timeout() => RequestError::ConnectTimeout { endpoint, after: connect_budget },
        _ if err.is_dns() => RequestError::Dns { host: host.to_string(), detail: errors::describe(err) },
        // Only an answer budget longer than the connect budget proves the
        // connect step was passed; a shorter one may have run out in it.
        _ if err.is_timeout() => match answer_budget {
            Some(after) if after > connect_budget => RequestError::AnswerTimeout { endpoint, after },
            Some(after) => RequestError::ConnectTimeout { endpoint, after },
            None => RequestError::Failed { endpoint, detail: errors::describe(err) },
        },
        _ => RequestError::Failed { endpoint, detail: errors::describe(err) },
    }
}

/// A layer on reqwest's connector that records, in the check's
/// [`crate::stall::PeerSlot`], that a connection was made (TCP and,
/// on https, TLS) and how long it took. reqwest hides the stream, so this is
/// all it can tell; it is enough to know that a later timeout is not the
/// network path's. Costs one boxed future per new connection.
#[derive(Clone)]
pub struct Watch {
    slot: crate::stall::PeerSlot,
    tls: bool,
}

impl Watch {
    pub fn new(ctx: &Context, url: &Url) -> Watch {
        Watch { slot: ctx.peer_slot(), tls: url.scheme() == "https" }
    }
}

impl<S> tower_layer::Layer<S> for Watch {
    type Service = Watched<S>;
    fn layer(&self, inner: S) -> Watched<S> {
        Watched { inner, watch: self.clone() }
    }
}

#[derive(Clone)]
pub struct Watched<S> {
    inner: S,
    watch: Watch,
}

impl<S, R> tower_service::Service<R> for Watched<S>
where
    S: tower_service::Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let began = std::time::Instant::now();
        let connecting = self.inner.call(request);
        let Watch { slot, tls } = self.watch.clone();
        // Until this one is made, no connection speaks for the check.
        *slot.lock().unwrap_or_else(|e| e.into_inner()) = None;
        Box::pin(async move {
            let result = connecting.await;
            if result.is_ok() {
                let peer = crate::stall::Peer::Connected { took: began.elapsed(), tls };
                *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(peer);
            }
            result
        })
    }
}

/// How far the second look's TLS handshake got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Handshake {
    /// http://: no TLS; TCP connected on the second try.
    NotTls,
    /// ClientHello sent; the server did not finish its part.
    Unfinished,
    /// It finished on the second try: the server is slow, not absent.
    Finished,
    /// It failed on the second try (closed, alert...).
    Failed(String),
}

/// What a second look needs: where to connect, the TLS name on https, and
/// how long it may take.
pub struct SecondLook<'a> {
    pub addrs: &'a [SocketAddr],
    pub tls_name: Option<&'a str>,
    pub budget: Duration,
}

/// After a connect timeout, one bounded second connection to see where the
/// peer stops: reqwest's `connect_timeout` covers TCP and the TLS handshake
/// alike, and its error does not say which one stalled. Costs nothing on the
/// happy path (only a failed connect pays for it); it verifies no
/// certificate and sends no request, so nothing (no token) goes out. When
/// no TCP connection opens either, the first verdict (network path) stands.
pub async fn look_again(error: RequestError, look: SecondLook<'_>) -> RequestError {
    let RequestError::ConnectTimeout { endpoint, after } = error else { return error };
    let end = tokio::time::Instant::now() + look.budget;
    for addr in look.addrs {
        let began = std::time::Instant::now();
        let Ok(Ok(tcp)) = tokio::time::timeout_at(end, tokio::net::TcpStream::connect(addr)).await else { continue };
        let tap = Tap::new(*addr, began.elapsed());
        let handshake = match look.tls_name {
            None => Handshake::NotTls,
            Some(name) => tls_handshake(tcp, &tap, name, end).await,
        };
        return RequestError::Stalled { endpoint, after, seen: Box::new(tap.seen()), handshake };
    }
    RequestError::ConnectTimeout { endpoint, after }
}

async fn tls_handshake(
    tcp: tokio::net::TcpStream,
    tap: &std::sync::Arc<Tap>,
    name: &str,
    end: tokio::time::Instant,
) -> Handshake {
    use crate::tls::{client_config, Verify};
    use rustls::pki_types::ServerName;
    let name = match name.trim_matches(['[', ']']).parse::<std::net::IpAddr>() {
        Ok(ip) => ServerName::IpAddress(ip.into()),
        Err(_) => match ServerName::try_from(name.to_string()) {
            Ok(name) => name,
            Err(e) => return Handshake::Failed(e.to_string()),
        },
    };
    let config = match client_config(Verify::Off) {
        Ok(config) => config,
        Err(e) => return Handshake::Failed(e),
    };
    tap.mark();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    match tokio::time::timeout_at(end, connector.connect(name, Tapped::new(tcp, tap.clone()))).await {
        Err(_) => Handshake::Unfinished,
        Ok(Ok(_)) => Handshake::Finished,
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Handshake::Failed("the server closed the connection".into())
        }
        Ok(Err(e)) => Handshake::Failed(e.to_string()),
    }
}

/// The words for [`RequestError::Stalled`].
fn stalled_text(endpoint: &str, after: Duration, seen: &Seen, handshake: &Handshake) -> String {
    let after = crate::human::duration(after);
    let again = format!("a second connection: {}", seen.connected());
    match handshake {
        Handshake::NotTls => format!(
            "TCP connection to {endpoint} not made within {after}, but {again}: the server accepts connections slowly or the path drops some of them"
        ),
        Handshake::Unfinished => format!(
            "{endpoint} accepts TCP connections but did not finish the TLS handshake within {after} ({again}, TLS handshake started with {} sent, {})",
            crate::stall::bytes(seen.step_out),
            seen.received()
        ),
        Handshake::Finished => format!(
            "{endpoint} did not finish connecting (TCP and TLS) within {after}, though {again} and finished the TLS handshake in {}: the server is slow, not unreachable",
            crate::human::duration(seen.step_for)
        ),
        Handshake::Failed(detail) => format!(
            "{endpoint} accepts TCP connections but did not finish the TLS handshake within {after} ({again}, then the TLS handshake failed: {detail}; {})",
            seen.received()
        ),
    }
}

/// Answers of the services checked are small; a bigger one is cut, not buffered.
pub const MAX_BODY: usize = 1 << 20;

/// The body up to [`MAX_BODY`], and whether there was more.
pub async fn read_capped(response: &mut reqwest::Response) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_BODY - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

/// Why a request got no HTTP answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestError {
    /// Nothing was sent: the trust settings could not be used (a CA file
    /// without certificates...), the request could not be built or signed.
    Setup {
        detail: String,
    },
    Dns {
        host: String,
        detail: String,
    },
    Refused {
        endpoint: String,
    },
    /// The TCP handshake got no answer within the connect budget.
    ConnectTimeout {
        endpoint: String,
        after: Duration,
    },
    /// The connect budget passed, but a second look found the peer there:
    /// TCP connected and the TLS handshake stalled (see [`look_again`]).
    Stalled {
        endpoint: String,
        after: Duration,
        seen: Box<Seen>,
        handshake: Handshake,
    },
    /// Connected and the request sent; the answer did not come in full
    /// within a request budget the client set (the ses check's).
    AnswerTimeout {
        endpoint: String,
        after: Duration,
    },

    NoRoute {
        endpoint: String,
        detail: String,
    },
    Tls {
        endpoint: String,
        problem: TlsProblem,
        detail: String,
        certificate: Option<Box<CertInfo>>,
    },
    Failed {
        endpoint: String,
        detail: String,
    },
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::Setup { detail } => write!(f, "not sent: {detail}"),
            RequestError::Dns { host, detail } => write!(f, "cannot resolve {host}: {detail}"),
            RequestError::Refused { endpoint } => write!(f, "connection refused by {endpoint}"),
            RequestError::ConnectTimeout { endpoint, after } => {
                write!(f, "TCP connection to {endpoint} unanswered after {}", crate::human::duration(*after))
            }
            RequestError::Stalled { endpoint, after, seen, handshake } => {
                write!(f, "{}", stalled_text(endpoint, *after, seen, handshake))
            }
            RequestError::AnswerTimeout { endpoint, after } => write!(
                f,
                "connected to {endpoint} and sent the request, but no complete answer came within {}",
                crate::human::duration(*after)
            ),

            RequestError::NoRoute { endpoint, detail } => write!(f, "no route to {endpoint}: {detail}"),
            RequestError::Tls { endpoint, detail, certificate: Some(cert), .. } => {
                write!(f, "TLS with {endpoint} failed: {detail}\ncertificate: {}", cert.describe())
            }
            RequestError::Tls { endpoint, detail, certificate: None, .. } => {
                write!(f, "TLS with {endpoint} failed: {detail}")
            }
            RequestError::Failed { endpoint, detail } => write!(f, "request to {endpoint} failed: {detail}"),
        }
    }
}

/// Why a server's certificate or handshake was refused, in the words a fix needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsProblem {
    /// Not signed by a CA this host trusts (or self-signed).
    Untrusted,
    Expired,
    NotYetValid,
    WrongName,
    /// Refused for another reason (a CA certificate used as the server's, a bad encoding...).
    BadCertificate,
    /// What came back is not TLS: a plain-HTTP listener behind an https:// address.
    NotTls,
    Other,
}

pub fn tls_problem(err: &rustls::Error) -> TlsProblem {
    use rustls::CertificateError as Cert;
    match err {
        rustls::Error::InvalidCertificate(cert) => match cert {
            Cert::UnknownIssuer | Cert::BadSignature => TlsProblem::Untrusted,
            Cert::Expired | Cert::ExpiredContext { .. } => TlsProblem::Expired,
            Cert::NotValidYet | Cert::NotValidYetContext { .. } => TlsProblem::NotYetValid,
            Cert::NotValidForName | Cert::NotValidForNameContext { .. } => TlsProblem::WrongName,
            _ => TlsProblem::BadCertificate,
        },
        rustls::Error::InvalidMessage(_) => TlsProblem::NotTls,
        _ => TlsProblem::Other,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn rustls_errors_map_to_problems() {
        use rustls::CertificateError as Cert;
        let cert = rustls::Error::InvalidCertificate;
        assert_eq!(tls_problem(&cert(Cert::UnknownIssuer)), TlsProblem::Untrusted);
        assert_eq!(tls_problem(&cert(Cert::Expired)), TlsProblem::Expired);
        assert_eq!(tls_problem(&cert(Cert::NotValidForName)), TlsProblem::WrongName);
        assert_eq!(tls_problem(&cert(Cert::NotValidYet)), TlsProblem::NotYetValid);
        let plain = rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType);
        assert_eq!(tls_problem(&plain), TlsProblem::NotTls);
    }

    /// A peer that took TCP on a second look, then stalled as `handshake` says.
    pub(crate) fn stalled(handshake: Handshake) -> RequestError {
        let seen = Seen {
            address: "127.0.0.1:8200".parse().unwrap(),
            connect_took: Duration::from_millis(2),
            total_in: 0,
            step_in: 0,
            step_out: 218,
            step_for: Duration::from_millis(500),
            quiet_for: None,
            note: None,
        };
        let endpoint = "vault.example.com:8200".into();
        RequestError::Stalled { endpoint, after: Duration::from_millis(1200), seen: Box::new(seen), handshake }
    }

    /// A certificate for `host` from `issuer`, refused as untrusted.
    pub(crate) fn untrusted(endpoint: &str, host: &str, issuer: &str) -> RequestError {
        let cert = CertInfo {
            subject: format!("CN={host}"),
            issuer: issuer.into(),
            names: vec![host.into()],
            not_before: 1_700_000_000,
            not_after: 1_800_000_000,
        };
        RequestError::Tls {
            endpoint: endpoint.into(),
            problem: TlsProblem::Untrusted,
            detail: "invalid peer certificate: UnknownIssuer".into(),
            certificate: Some(Box::new(cert)),
        }
    }

    #[test]
    fn a_stalled_peer_is_named_by_what_was_seen() {
        let error = stalled(Handshake::Unfinished);
        assert_eq!(
            error.to_string(),
            "vault.example.com:8200 accepts TCP connections but did not finish the TLS handshake within 1.2s (a second connection: TCP connected to 127.0.0.1:8200 in 2ms, TLS handshake started with 218 bytes sent, no byte received in 500ms)"
        );
    }
}
