//! What the HTTP checks (vault, ses, oauth) share: reading an answer up to a
//! cap, and naming why a TLS handshake was refused.

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
