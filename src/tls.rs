//! TLS client settings shared by every check: trust roots (the system store,
//! which honours SSL_CERT_FILE and SSL_CERT_DIR, plus a check's own CA file)
//! and the three ways to verify a server: fully, chain only, or not at all.
//! As in OpenSSL, a CA directory is read on demand: only when the certificates
//! read up front (the bundle, a check's own CA) do not verify a chain.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use x509_cert::certificate::{CertificateInner, Profile};
use x509_cert::der::{Any, Decode, Encode, SliceReader, Tag, Tagged};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

/// How much of the server's certificate to check.
pub enum Verify {
    /// Encrypt but trust any certificate (libpq's `require`, `VAULT_SKIP_VERIFY`).
    Off,
    /// The chain must reach a trusted root; the name may differ (libpq's `verify-ca`).
    ChainOnly(Roots),
    /// Chain and name, as a browser would.
    Full(Roots),
}

/// The certificates a check trusts: those read up front, and the CA
/// directories standing behind them, read only if those do not verify.
#[derive(Clone, Debug)]
pub struct Roots {
    pub certs: RootCertStore,
    pub dirs: Option<Arc<CaDirs>>,
}

impl Roots {
    /// Nothing to trust: every certificate will be refused.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty() && self.dirs.is_none()
    }
}

impl From<RootCertStore> for Roots {
    fn from(certs: RootCertStore) -> Self {
        Roots { certs, dirs: None }
    }
}

/// CA directories (`SSL_CERT_DIR`, or the platform's), read at most once per
/// process and only when needed: a directory holds a file per certificate,
/// and reading a few hundred of them costs milliseconds of every run.
#[derive(Debug)]
pub struct CaDirs {
    pub paths: Vec<PathBuf>,
    anchors: OnceLock<Vec<TrustAnchor<'static>>>,
}

impl CaDirs {
    pub fn new(paths: Vec<PathBuf>) -> Self {
        CaDirs { paths, anchors: OnceLock::new() }
    }

    fn anchors(&self) -> &[TrustAnchor<'static>] {
        self.anchors.get_or_init(|| {
            let mut store = RootCertStore::empty();
            for dir in &self.paths {
                store.add_parsable_certificates(rustls_native_certs::load_certs_from_paths(None, Some(dir)).certs);
            }
            store.roots
        })
    }
}

pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

pub fn client_config(verify: Verify) -> Result<ClientConfig, String> {
    build_config(verifier(verify, None))
}

/// Like [`client_config`], and the returned slot tells what the handshake saw:
/// the server's certificate and the verdict on it, even when it was refused,
/// so a failure can name the certificate.
pub fn recording_client_config(verify: Verify) -> Result<(ClientConfig, SeenSlot), String> {
    let seen = SeenSlot::default();
    Ok((build_config(verifier(verify, Some(seen.clone())))?, seen))
}

fn verifier(verify: Verify, seen: Option<SeenSlot>) -> Arc<dyn ServerCertVerifier> {
    let provider = provider();
    let store = match verify {
        Verify::Off => None,
        Verify::ChainOnly(roots) => Some(TrustStore::new(roots, false, &provider)),
        Verify::Full(roots) => Some(TrustStore::new(roots, true, &provider)),
    };
    Arc::new(Verifier { provider, store, seen })
}

fn build_config(verifier: Arc<dyn ServerCertVerifier>) -> Result<ClientConfig, String> {
    Ok(ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

/// What the verifier of a [`recording_client_config`] saw.
#[derive(Debug, Default)]
pub struct Seen {
    pub leaf: Option<CertificateDer<'static>>,
    pub rejected: Option<rustls::Error>,
    /// The protocol version the handshake signed with (`TLSv1.2`, `TLSv1.3`):
    /// rustls asks for the one signature check that version uses.
    pub version: Option<&'static str>,
}

impl Seen {
    /// The server's certificate, read, when the handshake got one.
    pub fn certificate(&self) -> Option<CertInfo> {
        self.leaf.as_ref().and_then(|der| CertInfo::from_der(der).ok())
    }
}

pub type SeenSlot = Arc<Mutex<Seen>>;

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
        let cert = read_certificate(der).map_err(|e| format!("unreadable certificate: {e}"))?;
        let tbs = &cert.tbs_certificate;
        // Several subjectAltName extensions, or an unreadable one: no names, as before.
        let names = match tbs.get::<SubjectAltName>() {
            Ok(Some((_, san))) => san.0.iter().filter_map(general_name).collect(),
            _ => Vec::new(),
        };
        Ok(CertInfo {
            subject: name_or_empty(name_text(&tbs.subject)),
            issuer: name_or_empty(name_text(&tbs.issuer)),
            not_before: unix_seconds(tbs.validity.not_before),
            not_after: unix_seconds(tbs.validity.not_after),
            names,
        })
    }

    /// "subject CN=vault, issued by CN=ca, names 10.0.0.150, valid until 2027-01-01T00:00:00Z".
    pub fn describe(&self) -> String {
        let names = if self.names.is_empty() { String::new() } else { format!(", names {}", self.names.join(", ")) };
        let until = crate::human::unix_time(self.not_after);
        format!("subject {}, issued by {}{names}, valid until {until}", self.subject, self.issuer)
    }

    /// Issued by itself: no CA stands behind it.
    pub fn self_signed(&self) -> bool {
        self.subject == self.issuer
    }
}

fn name_or_empty(name: String) -> String {
    if name.is_empty() {
        "(empty)".to_string()
    } else {
        name
    }
}

/// A certificate as servers send it: the RFC 5280 profile's one decoding
/// check (a serial number of at most 20 octets) is not ours to enforce when
/// all we do is describe the certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
struct AsSent;

impl Profile for AsSent {
    fn check_serial_number(_: &SerialNumber<Self>) -> x509_cert::der::Result<()> {
        Ok(())
    }
}

type Cert = CertificateInner<AsSent>;

/// The certificate at the start of `der`; bytes after it are ignored.
fn read_certificate(der: &[u8]) -> x509_cert::der::Result<Cert> {
    Cert::decode(&mut SliceReader::new(der)?)
}

fn general_name(name: &GeneralName) -> Option<String> {
    match name {
        GeneralName::DnsName(dns) => Some(dns.to_string()),
        GeneralName::IpAddress(bytes) => {
            let bytes = bytes.as_bytes();
            match bytes.len() {
                4 => <[u8; 4]>::try_from(bytes).ok().map(|b| IpAddr::from(b).to_string()),
                16 => <[u8; 16]>::try_from(bytes).ok().map(|b| IpAddr::from(b).to_string()),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A distinguished name as reports have always shown it (the form of
/// `x509-parser`, which read certificates before): attributes in the
/// certificate's order, `CN=a, O=b`, several in one RDN joined by ` + `.
fn name_text(name: &Name) -> String {
    let mut text = String::new();
    for rdn in name.0.iter() {
        let mut part = String::new();
        for attribute in rdn.0.iter() {
            let Some(value) = attribute_text(&attribute.value) else {
                return "<X509Error: Invalid X.509 name>".to_string();
            };
            if !part.is_empty() {
                part.push_str(" + ");
            }
            part.push_str(&format!("{}={value}", attribute_label(&attribute.oid.to_string())));
        }
        if !text.is_empty() {
            text.push_str(", ");
        }
        text.push_str(&part);
    }
    text
}

/// `CN`, `O`... for the usual attributes, the OID's short name for the rarer
/// ones, `OID(1.2.3)` for the unknown.
fn attribute_label(oid: &str) -> String {
    let label = match oid {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "0.9.2342.19200300.100.1.25" => "DC",
        "1.2.840.113549.1.9.1" => "Email",
        "2.5.4.0" => "objectClass",
        "2.5.4.1" => "aliasedEntryName",
        "2.5.4.2" => "knowledgeInformation",
        "2.5.4.4" => "surname",
        "2.5.4.5" => "serialNumber",
        "2.5.4.9" => "streetAddress",
        "2.5.4.12" => "title",
        "2.5.4.13" => "description",
        "2.5.4.14" => "searchGuide",
        "2.5.4.15" => "businessCategory",
        "2.5.4.16" => "postalAddress",
        "2.5.4.17" => "postalCode",
        "2.5.4.41" => "name",
        "2.5.4.42" => "givenName",
        "2.5.4.43" => "initials",
        "2.5.4.44" => "generationQualifier",
        "2.5.4.45" => "uniqueIdentifier",
        "2.5.4.46" => "dnQualifier",
        "0.9.2342.19200300.100.1.1" => "uid",
        "1.3.6.1.4.1.311.60.2.1.1" => "msJurisdictionLocality",
        "1.3.6.1.4.1.311.60.2.1.2" => "msJurisdictionStateOrProvince",
        "1.3.6.1.4.1.311.60.2.1.3" => "msJurisdictionCountry",
        "1.2.840.113549.1.9.2" => "unstructuredName",
        other => return format!("OID({other})"),
    };
    label.to_string()
}

/// Strings as they are, BMP strings decoded, anything else in upper-case hex.
fn attribute_text(value: &Any) -> Option<String> {
    let bytes = value.value();
    match value.tag() {
        Tag::Utf8String
        | Tag::NumericString
        | Tag::PrintableString
        | Tag::TeletexString
        | Tag::VideotexString
        | Tag::Ia5String
        | Tag::VisibleString => std::str::from_utf8(bytes).ok().map(str::to_string),
        Tag::BmpString => {
            let units: Vec<u16> = bytes
                .chunks(2)
                .map(|pair| match pair {
                    [a, b] => u16::from_be_bytes([*a, *b]),
                    [a] => u16::from(*a),
                    _ => 0,
                })
                .collect();
            String::from_utf16(&units).ok()
        }
        _ => Some(bytes.iter().map(|b| format!("{b:02X}")).collect()),
    }
}

fn unix_seconds(time: Time) -> i64 {
    i64::try_from(time.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
}

/// Now lies within the validity period, both ends included.
fn valid_now(validity: &Validity) -> bool {
    let Ok(now) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) else { return false };
    validity.not_before.to_unix_duration() <= now && now <= validity.not_after.to_unix_duration()
}

/// The operating system's trust store; `SSL_CERT_FILE` / `SSL_CERT_DIR` replace it, as in OpenSSL.
/// Its file is read once per process (every TLS check of a suite needs the
/// same store), its directories only if a chain needs them.
pub fn system_roots() -> Roots {
    SYSTEM_ROOTS.get_or_init(load_system_roots).clone()
}

/// Starts reading the system store's file on its own thread, so that it is
/// ready (or nearly) when the first handshake needs it; callers meanwhile wait
/// in [`system_roots`] only for what is left.
pub fn preload_system_roots() {
    if SYSTEM_ROOTS.get().is_none() {
        std::thread::spawn(|| SYSTEM_ROOTS.get_or_init(load_system_roots));
    }
}

static SYSTEM_ROOTS: OnceLock<Roots> = OnceLock::new();

fn load_system_roots() -> Roots {
    let (file, dirs) = system_store_paths();
    let certs = match file {
        Some(file) => rustls_native_certs::load_certs_from_paths(Some(&file), None).certs,
        None if dirs.is_none() => rustls_native_certs::load_native_certs().certs,
        None => Vec::new(),
    };
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(certs);
    Roots { certs: roots, dirs: dirs.map(|paths| Arc::new(CaDirs::new(paths))) }
}

/// Where OpenSSL would look: `SSL_CERT_FILE` and `SSL_CERT_DIR` when either is
/// set, otherwise the platform's bundle and directories. Both None: a platform
/// whose store is not files (macOS, Windows), read by rustls-native-certs.
fn system_store_paths() -> (Option<PathBuf>, Option<Vec<PathBuf>>) {
    let file = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from);
    let dirs: Vec<PathBuf> = std::env::var_os("SSL_CERT_DIR")
        .map(|dirs| std::env::split_paths(&dirs).filter(|dir| !dir.as_os_str().is_empty()).collect())
        .unwrap_or_default();
    if file.is_some() || !dirs.is_empty() {
        return (file, Some(dirs).filter(|dirs| !dirs.is_empty()));
    }
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        let probe = openssl_probe::probe();
        (probe.cert_file, Some(probe.cert_dir).filter(|dirs| !dirs.is_empty()))
    }
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    (None, None)
}

/// The CA certificates of one PEM file; errors start with the file's path.
pub fn roots_from_pem(path: &Path) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    add_pem(&mut roots, path)?;
    Ok(roots)
}

/// Adds a PEM file's certificates to `roots` (e.g. `VAULT_CACERT` on top of the system store).
pub fn add_pem(roots: &mut RootCertStore, path: &Path) -> Result<(), String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{} holds no PEM certificate", path.display()));
    }
    for cert in certs {
        roots.add(cert).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// The certificate check of a handshake: through a trust store, or none at
/// all ([`Verify::Off`]). Handshake signatures are the provider's either way.
#[derive(Debug)]
struct Verifier {
    provider: Arc<CryptoProvider>,
    /// None: encrypt, but check nothing about the certificate.
    store: Option<TrustStore>,
    /// Where to keep the leaf certificate and the verdict, when asked.
    seen: Option<SeenSlot>,
}

/// Verification through a trust store, as libpq does it: by chain, and by
/// name unless `check_name` is off (verify-ca); a self-signed server
/// certificate that is itself one of the trusted certificates is accepted too,
/// which webpki alone refuses (CaUsedAsEndEntity).
#[derive(Debug)]
struct TrustStore {
    /// None for an empty store, where every certificate is untrusted.
    webpki: Option<Arc<WebPkiServerVerifier>>,
    check_name: bool,
    /// (subject, subjectPublicKeyInfo) of each trust anchor, DER contents.
    anchors: Vec<(Vec<u8>, Vec<u8>)>,
    /// These roots and their CA directories, for a certificate these alone refuse.
    wider: Option<Wider>,
}

#[derive(Debug)]
struct Wider {
    /// The same store the narrow verifier holds: copied only if needed.
    certs: Arc<RootCertStore>,
    dirs: Arc<CaDirs>,
    provider: Arc<CryptoProvider>,
    store: OnceLock<Box<TrustStore>>,
}

impl Wider {
    fn store(&self, check_name: bool) -> &TrustStore {
        self.store.get_or_init(|| {
            let mut certs = RootCertStore::clone(&self.certs);
            certs.extend(self.dirs.anchors().iter().cloned());
            Box::new(TrustStore::new(Roots::from(certs), check_name, &self.provider))
        })
    }
}

impl TrustStore {
    fn new(roots: Roots, check_name: bool, provider: &Arc<CryptoProvider>) -> Self {
        let Roots { certs, dirs } = roots;
        let anchors = certs
            .roots
            .iter()
            .map(|a| (a.subject.as_ref().to_vec(), a.subject_public_key_info.as_ref().to_vec()))
            .collect();
        let certs = Arc::new(certs);
        let wider =
            dirs.map(|dirs| Wider { certs: certs.clone(), dirs, provider: provider.clone(), store: OnceLock::new() });
        // Building fails only for an empty store.
        let webpki = WebPkiServerVerifier::builder_with_provider(certs, provider.clone()).build().ok();
        Self { webpki, check_name, anchors, wider }
    }

    /// The certificate is one of the trust anchors (same subject and key) and in its validity period.
    fn is_trusted_self_signed(&self, cert: &CertificateDer<'_>) -> bool {
        let Ok(parsed) = read_certificate(cert.as_ref()) else { return false };
        let tbs = &parsed.tbs_certificate;
        let (Ok(subject), Ok(key)) = (tbs.subject.to_der(), tbs.subject_public_key_info.to_der()) else {
            return false;
        };
        // Anchors keep the fields' contents; the certificate's fields, encoded, add a short DER header.
        let same = |raw: &[u8], content: &[u8]| raw.ends_with(content) && raw.len() - content.len() <= 4;
        valid_now(&tbs.validity) && self.anchors.iter().any(|(s, k)| same(&subject, s) && same(&key, k))
    }

    fn verify(&self, presented: &Presented<'_>) -> Result<ServerCertVerified, rustls::Error> {
        use rustls::CertificateError::{NotValidForName, NotValidForNameContext};
        let Presented { end_entity, intermediates, server_name, ocsp, now } = *presented;
        let verdict = match &self.webpki {
            Some(webpki) => webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp, now),
            None => Err(rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)),
        };
        match verdict {
            Err(rustls::Error::InvalidCertificate(NotValidForName | NotValidForNameContext { .. }))
                if !self.check_name =>
            {
                Ok(ServerCertVerified::assertion())
            }
            // The handshake still proves the server holds the trusted key.
            Err(err) if self.is_trusted_self_signed(end_entity) => {
                if self.check_name {
                    let parsed = rustls::server::ParsedCertificate::try_from(end_entity).map_err(|_| err)?;
                    rustls::client::verify_server_name(&parsed, server_name)?;
                }
                Ok(ServerCertVerified::assertion())
            }
            other => other,
        }
    }
}

/// What the server presented, as rustls hands it to a [`ServerCertVerifier`].
#[derive(Clone, Copy)]
struct Presented<'a> {
    end_entity: &'a CertificateDer<'a>,
    intermediates: &'a [CertificateDer<'a>],
    server_name: &'a ServerName<'a>,
    ocsp: &'a [u8],
    now: UnixTime,
}

impl Verifier {
    fn signed_with(&self, version: &'static str) {
        if let Some(slot) = &self.seen {
            slot.lock().unwrap_or_else(|e| e.into_inner()).version = Some(version);
        }
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = match &self.store {
            Some(store) => {
                let presented = Presented { end_entity, intermediates, server_name, ocsp, now };
                // The CA directories behind the roots are read only for a certificate those refuse.
                store.verify(&presented).or_else(|refused| match &store.wider {
                    Some(wider) => wider.store(store.check_name).verify(&presented),
                    None => Err(refused),
                })
            }
            None => Ok(ServerCertVerified::assertion()),
        };
        if let Some(slot) = &self.seen {
            let mut seen = slot.lock().unwrap_or_else(|e| e.into_inner());
            seen.leaf = Some(end_entity.clone().into_owned());
            seen.rejected = verdict.as_ref().err().cloned();
        }
        verdict
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.signed_with("TLSv1.2");
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.signed_with("TLSv1.3");
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};

    /// A self-signed certificate as `openssl req -x509` makes it: a CA certificate for its own name.
    fn self_signed(name: &str) -> (CertificateDer<'static>, RootCertStore) {
        let (cert, _) = self_signed_pem(name);
        let mut roots = RootCertStore::empty();
        roots.add(cert.clone()).unwrap();
        (cert, roots)
    }

    fn self_signed_pem(name: &str) -> (CertificateDer<'static>, String) {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec![name.to_string()]).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        (cert.der().clone(), cert.pem())
    }

    fn verifies(roots: RootCertStore, check_name: bool, cert: &CertificateDer<'_>, name: &str) -> bool {
        verifies_with(roots.into(), check_name, cert, name)
    }

    fn verifies_with(roots: Roots, check_name: bool, cert: &CertificateDer<'_>, name: &str) -> bool {
        let verifier = verifier(if check_name { Verify::Full(roots) } else { Verify::ChainOnly(roots) }, None);
        let name = ServerName::try_from(name.to_string()).unwrap();
        verifier.verify_server_cert(cert, &[], &name, &[], UnixTime::now()).is_ok()
    }

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
    fn names_read_in_the_certificates_order_with_a_long_serial() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["::1".into()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CountryName, rcgen::DnValue::PrintableString("US".try_into().unwrap()));
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, rcgen::DnValue::BmpString("Caf\u{e9} Ltd".try_into().unwrap()));
        params.distinguished_name.push(rcgen::DnType::CustomDnType(vec![2, 5, 4, 97]), "VATFR-123");
        params.distinguished_name.push(
            rcgen::DnType::CustomDnType(vec![1, 2, 840, 113549, 1, 9, 1]),
            rcgen::DnValue::Ia5String("ops@example.org".try_into().unwrap()),
        );
        params.distinguished_name.push(rcgen::DnType::CommonName, "R11");
        // Longer than RFC 5280's 20 octets: still described, not refused. The expected
        // subject is what x509-parser, which read certificates before, printed for this one.
        params.serial_number = Some(rcgen::SerialNumber::from_slice(&[0x42; 24]));
        let cert = params.self_signed(&key).unwrap();
        let info = CertInfo::from_der(cert.der()).unwrap();
        assert_eq!(info.subject, "CN=R11, C=US, O=Caf\u{e9} Ltd, OID(2.5.4.97)=VATFR-123, Email=ops@example.org");
        assert_eq!(info.names, ["::1"]);
        let mut trailing = cert.der().to_vec();
        trailing.extend_from_slice(b"\0\0");
        assert_eq!(CertInfo::from_der(&trailing), Ok(info), "bytes after the certificate are ignored");
    }

    #[test]
    fn a_trusted_self_signed_certificate_is_accepted_like_libpq_does() {
        let (cert, roots) = self_signed("db.example");
        assert!(verifies(roots.clone(), true, &cert, "db.example"));
        assert!(!verifies(roots.clone(), true, &cert, "other.example"), "verify-full still checks the name");
        assert!(verifies(roots, false, &cert, "other.example"), "verify-ca does not");
    }

    #[test]
    fn an_untrusted_self_signed_certificate_is_refused() {
        let (cert, _) = self_signed("db.example");
        let (_, other_roots) = self_signed("db.example");
        assert!(!verifies(other_roots, true, &cert, "db.example"));
    }

    /// A CA directory as `openssl rehash` leaves it: a PEM file per certificate.
    fn ca_dir(pems: &[&str]) -> (tempfile::TempDir, Arc<CaDirs>) {
        let dir = tempfile::tempdir().unwrap();
        for (i, pem) in pems.iter().enumerate() {
            std::fs::write(dir.path().join(format!("{i:08x}.0")), pem).unwrap();
        }
        let dirs = Arc::new(CaDirs::new(vec![dir.path().to_path_buf()]));
        (dir, dirs)
    }

    #[test]
    fn a_ca_directory_is_read_only_when_the_certificates_read_up_front_do_not_verify() {
        let (bundled, bundle) = self_signed("bundled.example");
        let (in_dir, in_dir_pem) = self_signed_pem("in-dir.example");
        let (_tmp, dirs) = ca_dir(&[&in_dir_pem]);
        let roots = Roots { certs: bundle, dirs: Some(dirs.clone()) };

        assert!(verifies_with(roots.clone(), true, &bundled, "bundled.example"));
        assert!(dirs.anchors.get().is_none(), "the bundle sufficed: the directory stays unread");

        assert!(verifies_with(roots.clone(), true, &in_dir, "in-dir.example"), "found in the directory");
        assert_eq!(dirs.anchors.get().map(Vec::len), Some(1));
        assert!(!verifies_with(roots.clone(), true, &in_dir, "other.example"), "the name still counts");
        let (stranger, _) = self_signed("in-dir.example");
        assert!(!verifies_with(roots, true, &stranger, "in-dir.example"), "in neither: refused");
    }
}
