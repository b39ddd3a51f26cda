//! A throwaway certificate authority for TLS tests: servers get
//! certificates it signs, clients trust it through a PEM file.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;

pub struct TestCa {
    pub cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

/// A server certificate and its private key, PEM-encoded.
pub struct ServerCert {
    pub cert_pem: String,
    pub key_pem: String,
}

impl ServerCert {
    /// A rustls server configuration presenting this certificate, for the TLS stand-ins.
    pub fn server_config(&self) -> Arc<rustls::ServerConfig> {
        let certs = CertificateDer::pem_slice_iter(self.cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .expect("read the server certificate");
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes()).expect("read the server key");
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("TLS server config");
        Arc::new(config)
    }
}

impl TestCa {
    pub fn new(name: &str) -> TestCa {
        let key = KeyPair::generate().expect("generate CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let cert = params.self_signed(&key).expect("self-sign the CA");
        TestCa { cert_pem: cert.pem(), issuer: Issuer::new(params, key) }
    }

    /// A certificate for `names` (DNS names or IP addresses), signed by this CA.
    pub fn server_cert(&self, names: &[&str]) -> ServerCert {
        let key = KeyPair::generate().expect("generate server key");
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).expect("server params");
        params.distinguished_name.push(DnType::CommonName, names.first().copied().unwrap_or("server"));
        let cert = params.signed_by(&key, &self.issuer).expect("sign the server certificate");
        ServerCert { cert_pem: cert.pem(), key_pem: key.serialize_pem() }
    }

    /// Writes the CA certificate to `path`, for `sslrootcert` or `SSL_CERT_FILE`.
    pub fn write_pem(&self, path: &Path) {
        std::fs::write(path, &self.cert_pem).expect("write CA PEM");
    }

    /// Writes this CA to `dir/ca.pem`: the file, and the libpq URL options
    /// that verify a server against it.
    pub fn verify_full_in(&self, dir: &Path) -> (std::path::PathBuf, String) {
        let ca_file = dir.join("ca.pem");
        self.write_pem(&ca_file);
        let options = format!("sslmode=verify-full&sslrootcert={}", ca_file.display());
        (ca_file, options)
    }
}
