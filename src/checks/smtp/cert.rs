//! TLS for the SMTP check: the shared trust roots plus `cacert`, full
//! verification, and a verifier that remembers the server's certificate
//! even when it rejects it, so a failure can name its subject and issuer
//! (read with [`crate::tls::CertInfo`]).

use crate::tls::{self, SeenSlot};
use rustls::pki_types::ServerName;
use rustls::ClientConfig;
use std::path::Path;

/// The trust store a handshake uses, and how it is described in evidence.
pub struct Trust {
    pub roots: tls::Roots,
    pub description: String,
}

/// The system store (honouring `SSL_CERT_FILE` / `SSL_CERT_DIR`), plus `cacert`.
pub fn trust(cacert: Option<&Path>) -> Result<Trust, String> {
    let mut roots = tls::system_roots();
    let system = roots.certs.len();
    let mut description = match std::env::var_os("SSL_CERT_FILE") {
        Some(file) => format!("SSL_CERT_FILE {} ({})", Path::new(&file).display(), certificates(system)),
        None => format!("system store ({})", certificates(system)),
    };
    if let Some(path) = cacert {
        tls::add_pem(&mut roots.certs, path)?;
        let added = certificates(roots.certs.len() - system);
        description.push_str(&format!(" + cacert {} ({added})", path.display()));
    }
    if let Some(dirs) = &roots.dirs {
        let paths: Vec<_> = dirs.paths.iter().map(|dir| dir.display().to_string()).collect();
        let directory = if paths.len() == 1 { "directory" } else { "directories" };
        description.push_str(&format!(", then the {directory} {} if those do not verify", paths.join(", ")));
    }
    Ok(Trust { roots, description })
}

fn certificates(count: usize) -> String {
    match count {
        1 => "1 certificate".to_string(),
        n => format!("{n} certificates"),
    }
}

/// A client config that verifies fully (chain and name) and records what it saw.
pub fn client_config(roots: tls::Roots) -> Result<(ClientConfig, SeenSlot), String> {
    tls::recording_client_config(tls::Verify::Full(roots))
}

/// The name TLS checks the certificate against: the configured host.
pub fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    ServerName::try_from(host.to_string()).map_err(|_| format!("`{host}` is not a valid TLS server name"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_addresses_and_names_are_server_names() {
        assert!(server_name("127.0.0.1").is_ok());
        assert!(server_name("mail.example.com").is_ok());
        assert!(server_name("bad name").is_err());
    }
}
