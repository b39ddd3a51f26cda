//! The smtp check: can the app reach its mail relay, upgrade to TLS with a
//! trusted certificate and log in with its own credentials? It walks the
//! SMTP ladder and keeps every server reply as evidence; it sends no mail
//! unless `--send-test-to` asks for one test message.

mod cert;
pub mod codes;
mod diagnose;
mod ladder;
mod wire;

use super::{Built, Check, CheckFuture, Context, Kind};
use crate::secret::{Redactor, Secret};
use crate::settings::{ConfigError, Plan, RawSettings, Shown};
use lettre::transport::smtp::authentication::{Credentials as LettreCredentials, Mechanism};
use lettre::transport::smtp::commands::Auth;
use lettre::transport::smtp::extension::ClientId;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub const KIND: Kind = Kind {
    name: "smtp",
    settings: &["host", "port", "user", "password", "secure", "cacert", "helo", "cert_expiry_warn"],
    variables: &[
        ("host", "SMTP_HOST"),
        ("port", "SMTP_PORT"),
        ("user", "SMTP_USER"),
        ("password", "SMTP_PASS"),
        ("secure", "SMTP_SECURE"),
    ],
    build,
    codes: codes::ALL,
};

/// Message submission with STARTTLS (RFC 6409), what nodemailer and most apps use.
const DEFAULT_PORT: u16 = 587;
/// SMTP over implicit TLS (RFC 8314).
const IMPLICIT_TLS_PORT: u16 = 465;
const DEFAULT_CERT_EXPIRY_WARN: Duration = Duration::from_secs(14 * 24 * 3600);
/// EHLO name when the machine's hostname cannot be used.
const FALLBACK_HELO: &str = "kbz-check.localdomain";

/// How the connection gets encrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain text first, then `STARTTLS` if the server offers it.
    StartTls,
    /// TLS from the first byte (port 465, `secure`).
    Implicit,
}

/// The app's login, as configured. A half-configured login is kept as
/// such: an empty SMTP_PASS is what a secret store that is down leaves behind.
#[derive(Clone, Debug)]
pub enum Login {
    None,
    Full { user: String, password: Secret },
    UserOnly { user: String },
    PasswordOnly,
}

impl Login {
    pub fn is_configured(&self) -> bool {
        !matches!(self, Login::None)
    }

    pub fn user(&self) -> Option<&str> {
        match self {
            Login::Full { user, .. } | Login::UserOnly { user } => Some(user),
            Login::None | Login::PasswordOnly => None,
        }
    }
}

crate::settings::setting_names!(host, port, user, password, secure);

/// The validated settings of one smtp check.
pub struct SmtpCheck {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub login: Login,
    pub cacert: Option<PathBuf>,
    pub helo: String,
    pub cert_expiry_warn: Duration,
    pub names: Names,
}

impl SmtpCheck {
    /// `host:port`, bracketing an IPv6 address.
    pub fn endpoint(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

fn build(raw: &mut RawSettings, redactor: &mut Redactor) -> Result<Built, ConfigError> {
    let host = raw.string("host", Shown::Plain)?;
    let port = raw.port("port")?;
    let user = raw.string("user", Shown::Plain)?;
    let password = raw.string("password", Shown::Secret)?.map(Secret::new);
    let secure = raw.boolean("secure")?;
    let cacert = raw.string("cacert", Shown::Plain)?.map(PathBuf::from);
    let helo = raw.string("helo", Shown::Plain)?;
    let cert_expiry_warn = raw.duration_within("cert_expiry_warn", crate::duration::CERT_HORIZON)?;

    if let Some(secret) = &password {
        register_secrets(redactor, user.as_deref(), secret);
    }
    let Some(host) = host else {
        return Ok(Built::not_configured(raw, "host"));
    };
    // `[::1]` as in a URL: the brackets are not part of the address.
    let host = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(inner) => inner.to_string(),
        None => host,
    };
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c == '/') {
        return Err(raw.error("host", format!("`{host}` is not a host name or address")));
    }
    let port = port.unwrap_or_else(|| {
        raw.show_default("port", DEFAULT_PORT.to_string());
        DEFAULT_PORT
    });
    // Port 465 speaks TLS from the first byte; an explicit `secure = false` still wins.
    if secure.is_none() {
        raw.show_default("secure", if port == IMPLICIT_TLS_PORT { "true (port 465)" } else { "false (STARTTLS)" });
    }
    let tls = match secure.unwrap_or(port == IMPLICIT_TLS_PORT) {
        true => TlsMode::Implicit,
        false => TlsMode::StartTls,
    };
    if let Some(path) = &cacert {
        crate::tls::roots_from_pem(path).map_err(|e| raw.error("cacert", e))?;
    }
    let helo = match helo {
        Some(name) if valid_helo(&name) => name,
        Some(name) => {
            return Err(
                raw.error("helo", format!("`{name}` is not a domain name or address literal such as [10.0.0.1]"))
            )
        }
        None => {
            let name = default_helo();
            raw.show_default("helo", name.clone());
            name
        }
    };
    let cert_expiry_warn = cert_expiry_warn.unwrap_or_else(|| {
        raw.show_default("cert_expiry_warn", "14d");
        DEFAULT_CERT_EXPIRY_WARN
    });
    let login = match (user, password) {
        (Some(user), Some(password)) => Login::Full { user, password },
        (Some(user), None) => Login::UserOnly { user },
        (None, Some(_)) => Login::PasswordOnly,
        (None, None) => Login::None,
    };
    let names = Names::of(raw);
    let check = SmtpCheck { host, port, tls, login, cacert, helo, cert_expiry_warn, names };
    let scheme = if check.tls == TlsMode::Implicit { "smtps" } else { "smtp" };
    Ok(Built { target: format!("{scheme}://{}", check.endpoint()), plan: Plan::Run(Arc::new(check)) })
}

/// The password, and the forms it takes on the wire (AUTH PLAIN's token,
/// AUTH LOGIN's answer), so that a server echoing them back cannot leak them.
fn register_secrets(redactor: &mut Redactor, user: Option<&str>, password: &Secret) {
    redactor.add(password);
    let credentials = LettreCredentials::new(user.unwrap_or_default().to_string(), password.expose().to_string());
    let plain = Auth::new(Mechanism::Plain, credentials.clone(), None).map(|a| a.to_string());
    let login = "334 UGFzc3dvcmQ6\r\n"
        .parse()
        .ok()
        .and_then(|challenge| Auth::new_from_response(Mechanism::Login, credentials, &challenge).ok())
        .map(|a| a.to_string());
    for command in [plain.ok(), login].into_iter().flatten() {
        if let Some(token) = command.trim_end().rsplit(' ').next() {
            redactor.add(&Secret::new(token));
        }
    }
}

/// The machine's hostname if it is usable in EHLO, else a fixed name.
fn default_helo() -> String {
    match ClientId::default() {
        ClientId::Domain(name) if valid_helo(&name) => name,
        _ => FALLBACK_HELO.to_string(),
    }
}

/// A domain (letters, digits, `-`, `.`) or an address literal `[...]`: nothing
/// that could end the EHLO line and smuggle in another command.
fn valid_helo(name: &str) -> bool {
    let literal = name.starts_with('[') && name.ends_with(']') && name.len() > 2;
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') || (literal && c == ':');
    let inner = if literal { &name[1..name.len() - 1] } else { name };
    !inner.is_empty() && name.len() <= 255 && inner.chars().all(allowed)
}

impl Check for SmtpCheck {
    fn run<'a>(&'a self, ctx: &'a Context) -> CheckFuture<'a> {
        Box::pin(async move {
            let transcript = ladder::climb(self, ctx).await;
            diagnose::diagnose(self, &transcript, SystemTime::now())
        })
    }

    /// STARTTLS or implicit TLS always verifies against the store (plus `cacert`).
    fn uses_system_roots(&self) -> bool {
        true
    }

    /// TCP, the greeting, EHLO, then STARTTLS, the TLS handshake and EHLO
    /// again (implicit TLS: the handshake only), and AUTH with a login.
    fn round_trips(&self) -> u32 {
        let tls = match self.tls {
            TlsMode::StartTls => 3,
            TlsMode::Implicit => 1,
        };
        3 + tls + u32::from(matches!(self.login, Login::Full { .. }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PH11's relay as the backend saw it, for the pure tests.
    pub(super) fn sample_check() -> SmtpCheck {
        SmtpCheck {
            host: "mail.example.com".into(),
            port: DEFAULT_PORT,
            tls: TlsMode::StartTls,
            login: Login::Full { user: "postmaster@example.com".into(), password: Secret::new("hunter2-secret") },
            cacert: None,
            helo: "backend-01".into(),
            cert_expiry_warn: DEFAULT_CERT_EXPIRY_WARN,
            names: Names::by_variable(&KIND),
        }
    }

    #[test]
    fn helo_names_that_cannot_inject_commands() {
        assert!(valid_helo("mail-client.example.org"));
        assert!(valid_helo("[10.0.0.250]"));
        assert!(valid_helo("[IPv6:2001:db8::1]"));
        assert!(!valid_helo("host\r\nMAIL FROM:<x@y>"));
        assert!(!valid_helo("two words"));
        assert!(!valid_helo(""));
        assert!(!valid_helo("[]"));
        assert!(valid_helo(&default_helo()));
    }

    #[test]
    fn wire_forms_of_the_password_are_redacted() {
        let mut redactor = Redactor::default();
        register_secrets(&mut redactor, Some("postmaster@example.com"), &Secret::new("s3cret-pass"));
        // AUTH PLAIN token of "\0postmaster@example.com\0s3cret-pass", and the password in base64.
        let echoed = "501 cannot decode AHBvc3RtYXN0ZXJAZXhhbXBsZS5jb20AczNjcmV0LXBhc3M= or czNjcmV0LXBhc3M=";
        let shown = redactor.redact(echoed);
        assert!(!shown.contains("AHBvc3RtYXN0ZXJAZXhhbXBsZS5jb20AczNjcmV0LXBhc3M="), "{shown}");
        assert!(!shown.contains("czNjcmV0LXBhc3M="), "{shown}");
    }
}
