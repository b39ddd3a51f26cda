//! TLS for the SMTP check: the shared trust roots plus `cacert`, full
//! verification, and a verifier that remembers the server's certificate
//! even when it rejects it, so a failure can name its subject and issuer.

use crate::tls;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use x509_parser::extensions::GeneralName;

/// What the server's leaf certificate says about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    /// Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
    /// DNS names and IP addresses it is valid for.
    pub names: Vec<String>,
}

impl CertInfo {
    pub fn from_der(der: &[u8]) -> Result<CertInfo, String> {
        let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| format!("unreadable certificate: {e}"))?;
        let names = match cert.subject_alternative_name() {
            Ok(Some(san)) => san.value.general_names.iter().filter_map(general_name).collect(),
            _ => Vec::new(),
        };
        Ok(CertInfo {
            subject: name_or_empty(cert.subject().to_string()),
            issuer: name_or_empty(cert.issuer().to_string()),
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            names,
        })
    }
}

fn name_or_empty(name: String) -> String {
    if name.is_empty() {
        "(empty)".to_string()
    } else {
        name
    }
}

fn general_name(name: &GeneralName<'_>) -> Option<String> {
    match name {
        GeneralName::DNSName(dns) => Some((*dns).to_string()),
        GeneralName::IPAddress(bytes) => match bytes.len() {
            4 => <[u8; 4]>::try_from(*bytes).ok().map(|b| IpAddr::from(b).to_string()),
            16 => <[u8; 16]>::try_from(*bytes).ok().map(|b| IpAddr::from(b).to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// The trust store a handshake uses, and how it is described in evidence.
pub struct Trust {
    pub roots: RootCertStore,
    pub description: String,
}

/// The system store (honouring `SSL_CERT_FILE` / `SSL_CERT_DIR`), plus `cacert`.
pub fn trust(cacert: Option<&Path>) -> Result<Trust, String> {
    let mut roots = tls::system_roots();
    let system = roots.len();
    let mut description = match std::env::var_os("SSL_CERT_FILE") {
        Some(file) => format!("SSL_CERT_FILE {} ({})", Path::new(&file).display(), certificates(system)),
        None => format!("system store ({})", certificates(system)),
    };
    if let Some(path) = cacert {
        tls::add_pem(&mut roots, path)?;
        description.push_str(&format!(" + cacert {} ({})", path.display(), certificates(roots.len() - system)));
    }
    Ok(Trust { roots, description })
}

fn certificates(count: usize) -> String {
    match count {
        1 => "1 certificate".to_string(),
        n => format!("{n} certificates"),
    }
}

/// What the verifier saw: the leaf certificate and its verdict on it.
#[derive(Debug, Default)]
pub struct Seen {
    pub leaf: Option<CertificateDer<'static>>,
    pub rejected: Option<rustls::Error>,
}

pub type SeenSlot = Arc<Mutex<Seen>>;

/// A client config that verifies fully (chain and name) and records what it saw.
pub fn client_config(roots: RootCertStore) -> Result<(ClientConfig, SeenSlot), String> {
    let provider = tls::provider();
    // An empty store cannot build a verifier; every certificate is then untrusted.
    let inner = match roots.is_empty() {
        true => None,
        false => Some(
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| e.to_string())?,
        ),
    };
    let seen = SeenSlot::default();
    let verifier = Recording { inner, provider: provider.clone(), seen: seen.clone() };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok((config, seen))
}

/// The name TLS checks the certificate against: the configured host.
pub fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    ServerName::try_from(host.to_string()).map_err(|_| format!("`{host}` is not a valid TLS server name"))
}

/// Full webpki verification, recording the leaf and the verdict.
#[derive(Debug)]
struct Recording {
    inner: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
    seen: SeenSlot,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = match &self.inner {
            Some(inner) => inner.verify_server_cert(end_entity, intermediates, server_name, ocsp, now),
            None => Err(rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)),
        };
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.leaf = Some(end_entity.clone().into_owned());
        seen.rejected = verdict.as_ref().err().cloned();
        verdict
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(CertInfo::from_der(b"not a certificate").is_err());
        assert!(CertInfo::from_der(&[]).is_err());
    }

    #[test]
    fn reads_subject_issuer_validity_and_names() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["mail.example.org".into(), "127.0.0.1".into()]).unwrap();
        params.distinguished_name.push(rcgen::DnType::CommonName, "mail.example.org");
        let cert = params.self_signed(&key).unwrap();
        let info = CertInfo::from_der(cert.der()).unwrap();
        assert_eq!(info.subject, "CN=mail.example.org");
        assert_eq!(info.issuer, "CN=mail.example.org");
        assert_eq!(info.names, ["mail.example.org", "127.0.0.1"]);
        assert!(info.not_after > info.not_before);
    }

    #[test]
    fn ip_addresses_and_names_are_server_names() {
        assert!(server_name("127.0.0.1").is_ok());
        assert!(server_name("mail.keybuzz.io").is_ok());
        assert!(server_name("bad name").is_err());
    }
}
