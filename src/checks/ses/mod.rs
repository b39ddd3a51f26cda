//! The ses check: is Amazon SES configured the way the app reads it, does
//! AWS accept its keys, may the account send (sending enabled, out of the
//! sandbox, quota left), and is the app's sender verified? Read-only: two
//! signed GET calls of the SESv2 API (GetAccount, GetEmailIdentity), no mail.
//! SES is optional: with `EMAIL_PROVIDER` other than `ses`, nothing configured
//! means skip and problems found are at most warnings.

mod account;
mod aws;
mod client;
pub mod codes;
mod config;
mod diagnose;
mod identity;
mod reach;
mod regions;

use super::{Built, Check, CheckFuture, Context, Kind};
use crate::secret::{mask_dsn, Redactor, Secret};
use crate::settings::{ConfigError, Plan, RawSettings, Shown};
use client::{Answer, RequestError, SesHttp, Signer};
use std::sync::Arc;
use url::Url;

pub const KIND: Kind = Kind {
    name: "ses",
    settings: &["provider", "access_key", "secret_key", "region", "from", "endpoint", "quota_warn"],
    variables: &[
        ("provider", "EMAIL_PROVIDER"),
        ("access_key", "AWS_SES_ACCESS_KEY"),
        ("secret_key", "AWS_SES_SECRET_KEY"),
        ("region", "AWS_SES_REGION"),
        ("from", "EMAIL_FROM"),
        ("endpoint", "AWS_ENDPOINT_URL_SES"),
    ],
    build,
    codes: codes::ALL,
};

/// Share of the daily sending quota whose use is a warning, in percent.
const DEFAULT_QUOTA_WARN: f64 = 80.0;

/// Which mail provider the app uses, from `EMAIL_PROVIDER`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Provider {
    Ses,
    Smtp,
    /// Not set: the app falls back to SMTP (PH11: "smtp, by default").
    Unset,
    Other(String),
}

impl Provider {
    /// Case and surrounding spaces do not matter: `SES` is `ses`.
    fn parse(value: Option<&str>) -> Provider {
        match value.map(|v| v.trim().to_ascii_lowercase()) {
            None => Provider::Unset,
            Some(v) if v.is_empty() => Provider::Unset,
            Some(v) if v == "ses" => Provider::Ses,
            Some(v) if v == "smtp" => Provider::Smtp,
            Some(v) => Provider::Other(v),
        }
    }
}

crate::settings::setting_names!(provider, access_key, secret_key, region, from, endpoint);

/// The validated settings of one ses check. Every part may be missing: what
/// is missing is itself a finding, reported with the rest.
pub struct SesCheck {
    pub provider: Provider,
    pub access_key: Option<Secret>,
    pub secret_key: Option<Secret>,
    pub region: Option<String>,
    pub from: Option<String>,
    /// `AWS_ENDPOINT_URL_SES`, without a trailing slash.
    pub endpoint_override: Option<Url>,
    /// Percent of the daily quota whose use is a warning.
    pub quota_warn: f64,
    pub names: Names,
}

impl SesCheck {
    /// SES is the app's mail provider: its problems are failures.
    pub fn in_use(&self) -> bool {
        self.provider == Provider::Ses
    }

    /// `EMAIL_PROVIDER=smtp`, or `EMAIL_PROVIDER is not set`.
    pub fn provider_text(&self) -> String {
        let name = &self.names.provider;
        match &self.provider {
            Provider::Ses => assignment(name, "ses"),
            Provider::Smtp => assignment(name, "smtp"),
            Provider::Unset => format!("{name} is not set"),
            Provider::Other(value) => assignment(name, value),
        }
    }

    pub fn known_region(&self) -> Option<regions::SesRegion> {
        self.region.as_deref().and_then(regions::find)
    }

    /// Where requests go: the override, else the region's SDK endpoint.
    pub fn endpoint(&self) -> Option<Url> {
        match &self.endpoint_override {
            Some(url) => Some(url.clone()),
            None => self.known_region().and_then(|r| Url::parse(&r.endpoint()).ok()),
        }
    }

    /// The names of the settings every request needs that are not set: the
    /// two keys and the region.
    pub fn missing_settings(&self) -> Vec<&str> {
        let names = &self.names;
        [
            (self.access_key.is_none(), names.access_key.as_str()),
            (self.secret_key.is_none(), names.secret_key.as_str()),
            (self.region.is_none(), names.region.as_str()),
        ]
        .into_iter()
        .filter_map(|(missing, name)| missing.then_some(name))
        .collect()
    }

    /// Why no request can be sent, if one of the settings it needs is missing or unusable.
    pub fn blocker(&self) -> Option<String> {
        let names = &self.names;
        let missing = self.missing_settings();
        if !missing.is_empty() {
            return Some(format!("{} not set", and_list(&missing)));
        }
        if self.access_key.as_ref().is_some_and(|key| key_id_kind(key.expose()).is_err()) {
            return Some(format!("{} is not an access key id", names.access_key));
        }
        if self.endpoint().is_none() {
            return Some(format!("{} is not an SES region", names.region));
        }
        None
    }

    fn signer(&self) -> Option<Signer> {
        Some(Signer {
            access_key: self.access_key.clone()?,
            secret_key: self.secret_key.clone()?,
            region: self.region.clone()?,
        })
    }
}

/// `EMAIL_PROVIDER=smtp` for a variable; `` `provider` in [checks.ses] is smtp ``
/// for a suite key.
pub fn assignment(name: &str, value: &str) -> String {
    if name.contains(' ') {
        format!("{name} is {value}")
    } else {
        format!("{name}={value}")
    }
}

/// "A", "A and B", "A, B and C".
pub fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The two kinds of access key id AWS issues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyIdKind {
    /// `AKIA…`: an IAM user's long-term key.
    LongTerm,
    /// `ASIA…`: a temporary STS key, which only works with its session token.
    Temporary,
}

/// `AKIA` or `ASIA` and 16 upper-case letters or digits. The error says
/// what is wrong without repeating the value (it may be the secret key, swapped).
pub fn key_id_kind(key: &str) -> Result<KeyIdKind, String> {
    let length = key.chars().count();
    if length == 40 {
        return Err("it has 40 characters, the length of a secret key, not of an access key id (20): are the access and secret key swapped?".into());
    }
    if !key.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) {
        return Err("an access key id holds only upper-case letters and digits; this one holds other characters (spaces, quotes, lower case?)".into());
    }
    let kind = match key.get(..4) {
        Some("AKIA") => KeyIdKind::LongTerm,
        Some("ASIA") => KeyIdKind::Temporary,
        _ => return Err("an access key id starts with AKIA (long-term) or ASIA (temporary); this one does not".into()),
    };
    if length != 20 {
        return Err(format!("it has {length} characters; an access key id has 20 (AKIA or ASIA and 16 more)"));
    }
    Ok(kind)
}

/// The sender of `EMAIL_FROM`, and the domain SES may have verified instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sender {
    pub address: String,
    pub domain: String,
}

/// `noreply@example.com` or `Keybuzz <noreply@example.com>`.
pub fn parse_sender(text: &str) -> Result<Sender, String> {
    let trimmed = text.trim();
    let address = match (trimmed.rfind('<'), trimmed.ends_with('>')) {
        (Some(open), true) => &trimmed[open + 1..trimmed.len() - 1],
        _ => trimmed,
    };
    let bad = || format!("`{text}` is not an email address; write noreply@example.com or Name <noreply@example.com>");
    let (local, domain) = address.rsplit_once('@').ok_or_else(bad)?;
    let clean = |part: &str| !part.is_empty() && !part.chars().any(|c| c.is_whitespace() || "<>,;\"".contains(c));
    if !clean(local) || !clean(domain) || !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
        return Err(bad());
    }
    Ok(Sender { address: address.to_string(), domain: domain.to_ascii_lowercase() })
}

fn build(raw: &mut RawSettings, redactor: &mut Redactor) -> Result<Built, ConfigError> {
    let provider = raw.string("provider", Shown::Plain)?;
    let access_key = raw.string("access_key", Shown::Secret)?.map(Secret::new);
    let secret_key = raw.string("secret_key", Shown::Secret)?.map(Secret::new);
    let region = raw.string("region", Shown::Plain)?;
    let from = raw.string("from", Shown::Plain)?;
    let endpoint = raw.string("endpoint", Shown::Dsn)?;
    let quota_warn = raw.string("quota_warn", Shown::Plain)?;
    // The access key id is an identifier, not a secret, but it is half of a
    // credential: it is masked everywhere, like the secret key.
    for key in [&access_key, &secret_key].into_iter().flatten() {
        redactor.add(key);
    }
    let endpoint_override =
        endpoint.as_deref().map(parse_endpoint).transpose().map_err(|e| raw.error("endpoint", e))?;
    if let Some(url) = &endpoint_override {
        crate::http::hide_password(url, redactor);
    }
    let quota_warn = match quota_warn {
        Some(text) => parse_percent(&text).map_err(|e| raw.error("quota_warn", e))?,
        None => {
            raw.show_default("quota_warn", "80%");
            DEFAULT_QUOTA_WARN
        }
    };
    let names = Names::of(raw);
    let check = SesCheck {
        provider: Provider::parse(provider.as_deref()),
        access_key,
        secret_key,
        region,
        from,
        endpoint_override,
        quota_warn,
        names,
    };
    // EMAIL_FROM serves SMTP too: only the AWS settings say SES is configured.
    let ses_configured = check.access_key.is_some()
        || check.secret_key.is_some()
        || check.region.is_some()
        || check.endpoint_override.is_some();
    if !check.in_use() && !ses_configured {
        return Ok(Built::skipped(format!("SES is optional and unused ({})", check.provider_text())));
    }
    let target = match check.endpoint() {
        Some(url) => mask_dsn(url.as_str().trim_end_matches('/')),
        None => match &check.region {
            Some(code) => format!("SES ({}={code}, not an SES region)", check.names.region),
            None => format!("SES ({} not set)", check.names.region),
        },
    };
    Ok(Built { target, plan: Plan::Run(Arc::new(check)) })
}

/// An endpoint override as the AWS SDKs take it: `http(s)://host[:port][/prefix]`.
fn parse_endpoint(text: &str) -> Result<Url, String> {
    crate::http::parse_base_url(
        text,
        "write it as https://HOST[:PORT], e.g. http://127.0.0.1:4566 for a local emulator",
    )
}

/// `80%` or `80`: a share of the daily quota, above 0 and at most 100.
fn parse_percent(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches('%').trim();
    match number.parse::<f64>() {
        Ok(value) if value > 0.0 && value <= 100.0 => Ok(value),
        _ => Err(format!("`{text}` is not a percentage; write e.g. \"80%\" (above 0, at most 100)")),
    }
}

/// What the check saw; `diagnose::diagnose` turns it into an outcome.
pub struct Observed {
    /// SESv2 GetAccount.
    pub account: Probe,
    /// SESv2 GetEmailIdentity of the sender's address, then of its domain
    /// when the address is not verified itself.
    pub identities: Vec<(String, Probe)>,
}

/// A request that was sent, or why it was not.
pub enum Probe {
    NotRun(String),
    /// Sent beside the account's request, whose answer made it moot (the
    /// keys refused): not read, and why.
    Unread(String),
    Done(Result<Answer, RequestError>),
}

impl Probe {
    /// The evidence of a request without an answer to read.
    pub fn why_unanswered(&self) -> String {
        match self {
            Probe::NotRun(why) => format!("not asked: {why}"),
            Probe::Unread(why) => format!("asked beside the account, not read: {why}"),
            Probe::Done(_) => String::new(),
        }
    }
}

impl Check for SesCheck {
    fn run<'a>(&'a self, ctx: &'a Context) -> CheckFuture<'a> {
        Box::pin(async move {
            let observed = self.observe(ctx).await;
            diagnose::diagnose(self, &observed)
        })
    }

    fn uses_system_roots(&self) -> bool {
        self.endpoint().is_some_and(|url| url.scheme() == "https")
    }

    /// TCP, TLS for https, then its requests at once.
    fn round_trips(&self) -> u32 {
        2 + u32::from(self.uses_system_roots())
    }
}

impl SesCheck {
    async fn observe(&self, ctx: &Context) -> Observed {
        let (Some(endpoint), Some(signer), None) = (self.endpoint(), self.signer(), self.blocker()) else {
            let why = self.blocker().unwrap_or_else(|| "the configuration is incomplete".into());
            return self.stopped(Probe::NotRun(why.clone()), &why, Probe::NotRun);
        };
        let http = match SesHttp::connect(endpoint, signer, ctx).await {
            Ok(http) => http,
            Err(error) => return self.stopped(Probe::Done(Err(error)), "SES did not answer", Probe::NotRun),
        };
        let sender = self.from.as_deref().and_then(|from| parse_sender(from).ok());
        ctx.step(format!(
            "asking SES at {} for the account (GET /v2/email/account) and about the sender (GetEmailIdentity)",
            http.endpoint()
        ));
        // All at once: a round trip each would be paid one after the other.
        // The domain's answer is read only when the address is not verified
        // itself (SES lets a verified domain send from any of its addresses).
        let identity = |name: Option<String>| {
            let http = &http;
            async move {
                match name {
                    Some(name) => Some((http.get(&["identities", &name], ctx).await, name)),
                    None => None,
                }
            }
        };
        let (account, address, domain) = tokio::join!(
            http.get(&["account"], ctx),
            identity(sender.as_ref().map(|s| s.address.clone())),
            identity(sender.as_ref().map(|s| s.domain.clone())),
        );
        if let Some(why) = identity::stop_after(&account) {
            let unread = if address.is_some() { Probe::Unread } else { Probe::NotRun };
            return self.stopped(Probe::Done(account), why, unread);
        }
        let mut identities = Vec::new();
        if let Some((address, name)) = address {
            let read_domain = identity::try_domain_after(&address);
            identities.push((name, Probe::Done(address)));
            if let Some((domain, name)) = domain.filter(|_| read_domain) {
                identities.push((name, Probe::Done(domain)));
            }
        }
        Observed { account: Probe::Done(account), identities }
    }

    /// What was seen when no identity is to be read; `unread` tells what
    /// became of the sender's request.
    fn stopped(&self, account: Probe, why: &str, unread: fn(String) -> Probe) -> Observed {
        let sender = self.from.as_deref().and_then(|from| parse_sender(from).ok());
        let identities = sender.map(|s| vec![(s.address, unread(why.to_string()))]).unwrap_or_default();
        Observed { account, identities }
    }
}

/// What another check needs to ask SES (the domain check reads the DKIM
/// tokens and custom MAIL FROM domain of the sender's domain).
pub struct Access {
    pub access_key: Secret,
    pub secret_key: Secret,
    pub region: String,
    pub endpoint: Option<Url>,
}

/// SESv2 GetEmailIdentity of `identity`, read-only: its JSON answer, or why
/// there is none in words that hold no secret.
pub async fn email_identity(access: &Access, identity: &str, ctx: &Context) -> Result<serde_json::Value, String> {
    let endpoint = match &access.endpoint {
        Some(url) => url.clone(),
        None => regions::find(&access.region)
            .and_then(|r| Url::parse(&r.endpoint()).ok())
            .ok_or_else(|| format!("{} is not an SES region", access.region))?,
    };
    let signer = Signer {
        access_key: access.access_key.clone(),
        secret_key: access.secret_key.clone(),
        region: access.region.clone(),
    };
    let http = SesHttp::connect(endpoint, signer, ctx).await.map_err(|e| e.to_string())?;
    ctx.step(format!("asking SES at {} about {identity} (GetEmailIdentity)", http.endpoint()));
    let answer = http.get(&["identities", identity], ctx).await.map_err(|e| e.to_string())?;
    if answer.status != 200 {
        let kind = answer.error_type.as_deref().map(|t| format!(" {t}")).unwrap_or_default();
        return Err(format!("SES answered HTTP {}{kind}", answer.status));
    }
    serde_json::from_slice(&answer.body).map_err(|_| "SES's answer is not JSON".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_words() {
        assert_eq!(Provider::parse(Some(" SES ")), Provider::Ses);
        assert_eq!(Provider::parse(Some("smtp")), Provider::Smtp);
        assert_eq!(Provider::parse(None), Provider::Unset);
        assert_eq!(Provider::parse(Some("")), Provider::Unset);
        assert_eq!(Provider::parse(Some("SendGrid")), Provider::Other("sendgrid".into()));
    }

    #[test]
    fn access_key_ids() {
        assert_eq!(key_id_kind("AKIAIOSFODNN7EXAMPLE"), Ok(KeyIdKind::LongTerm));
        assert_eq!(key_id_kind("ASIAIOSFODNN7EXAMPLE"), Ok(KeyIdKind::Temporary));
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        let err = key_id_kind(secret).unwrap_err();
        assert!(err.contains("swapped") && !err.contains("wJalr"), "{err}");
        assert!(key_id_kind("AKIAIOSFODNN7EXAMPL").unwrap_err().contains("19 characters"));
        assert!(key_id_kind("akiaiosfodnn7example").unwrap_err().contains("upper-case"));
        assert!(key_id_kind("AKIAIOSFODNN7EXAMPLE\n").unwrap_err().contains("spaces"));
        assert!(key_id_kind("AIDAIOSFODNN7EXAMPLE").unwrap_err().contains("AKIA"));
        assert!(key_id_kind("").is_err());
    }

    #[test]
    fn senders_with_or_without_a_display_name() {
        let plain = parse_sender("noreply@example.com").unwrap();
        assert_eq!((plain.address.as_str(), plain.domain.as_str()), ("noreply@example.com", "example.com"));
        let named = parse_sender("KeyBuzz <noreply@Example.com>").unwrap();
        assert_eq!((named.address.as_str(), named.domain.as_str()), ("noreply@Example.com", "example.com"));
        for bad in ["noreply", "@example.com", "noreply@", "no reply@example.com", "a@localhost", "a@b.", "<>"] {
            assert!(parse_sender(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn endpoint_and_quota_settings() {
        assert_eq!(parse_endpoint("http://127.0.0.1:4566/").unwrap().as_str(), "http://127.0.0.1:4566/");
        assert_eq!(parse_endpoint("https://proxy/ses/?x=1").unwrap().path(), "/ses");
        assert!(parse_endpoint("email.eu-west-1.amazonaws.com").is_err());
        assert!(!parse_endpoint("ftp://u:hunter22@h").unwrap_err().contains("hunter22"));
        assert_eq!(parse_percent("80%"), Ok(80.0));
        assert_eq!(parse_percent(" 92.5 "), Ok(92.5));
        for bad in ["0", "101%", "-5", "most", "NaN"] {
            assert!(parse_percent(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn settings_are_named_as_they_were_set() {
        assert_eq!(assignment("EMAIL_PROVIDER", "smtp"), "EMAIL_PROVIDER=smtp");
        assert_eq!(assignment("`provider` in [checks.ses]", "smtp"), "`provider` in [checks.ses] is smtp");
    }

    #[test]
    fn lists_read_as_prose() {
        assert_eq!(and_list(&["A"]), "A");
        assert_eq!(and_list(&["A", "B"]), "A and B");
        assert_eq!(and_list(&["A", "B", "C"]), "A, B and C");
    }
}
