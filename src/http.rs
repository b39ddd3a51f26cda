//! What the HTTP checks (vault, ses, oauth) share: reading an answer up to a
//! cap, why a request got no answer, and why a TLS handshake was refused.

use crate::checks::Context;
use crate::errors;
use crate::secret::mask_dsn;
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
    let mut url = Url::parse(text.trim()).map_err(|e| format!("`{}` is not a URL ({e}); {example}", mask_dsn(text)))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(format!("`{}` is not an http:// or https:// address; {example}", mask_dsn(text)));
    }
    url.set_query(None);
    url.set_fragment(None);
    let path = url.path().trim_end_matches('/').to_string();
    url.set_path(&path);
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
    /// The recording verifier's slot, when the client has one: it knows why a
    /// certificate was refused, whatever the error chain kept of it.
    pub seen: Option<&'a SeenSlot>,
}

/// Why `err` left the request without an answer.
pub fn classify(err: &reqwest::Error, attempt: Attempt<'_>) -> RequestError {
    let Attempt { endpoint, host, connect_budget, seen } = attempt;
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
        _ => RequestError::Failed { endpoint, detail: errors::describe(err) },
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
    /// The trust settings could not be used (a CA file without certificates...).
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
            RequestError::Setup { detail } => write!(f, "TLS setup failed: {detail}"),
            RequestError::Dns { host, detail } => write!(f, "cannot resolve {host}: {detail}"),
            RequestError::Refused { endpoint } => write!(f, "connection refused by {endpoint}"),
            RequestError::ConnectTimeout { endpoint, after } => {
                write!(f, "TCP connection to {endpoint} unanswered after {}", crate::human::duration(*after))
            }

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
mod tests {
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
}
