//! What the HTTP checks (vault, ses, oauth) share: reading an answer up to a
//! cap, why a request got no answer, and why a TLS handshake was refused.

use crate::tls::CertInfo;
use std::fmt;
use std::time::Duration;

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
