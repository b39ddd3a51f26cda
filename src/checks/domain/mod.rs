//! The domain check: does the sender domain's DNS let the app's mail
//! arrive? MX (bounces have somewhere to go), exactly one SPF record that
//! authorises the relay the app uses (or includes SES), DKIM keys (SES's
//! three CNAMEs, or the suite's selectors), a DMARC policy, and SES's custom
//! MAIL FROM domain. Read-only: DNS queries, and with SES keys one
//! GetEmailIdentity call. A server that does not answer is told apart from
//! a record that is missing.

pub mod codes;
mod diagnose;
mod dns;
mod observe;
mod spf;
mod tags;

use super::{Built, Check, CheckFuture, Context, Kind};
use crate::report::Outcome;
use crate::secret::{Redactor, Secret};
use crate::settings::{ConfigError, Plan, RawSettings, Shown};
use std::sync::Arc;

pub use dns::Servers;

pub const KIND: Kind = Kind {
    name: "domain",
    settings: &[
        "domain",
        "from",
        "nameservers",
        "dkim_selectors",
        "provider",
        "relay",
        "access_key",
        "secret_key",
        "region",
        "endpoint",
    ],
    variables: &[
        ("from", "EMAIL_FROM"),
        ("provider", "EMAIL_PROVIDER"),
        ("relay", "SMTP_HOST"),
        ("nameservers", "KBZ_DNS_SERVERS"),
        ("access_key", "AWS_SES_ACCESS_KEY"),
        ("secret_key", "AWS_SES_SECRET_KEY"),
        ("region", "AWS_SES_REGION"),
        ("endpoint", "AWS_ENDPOINT_URL_SES"),
    ],
    build,
    codes: codes::ALL,
};

crate::settings::setting_names!(domain, from, nameservers, dkim_selectors, provider, relay);

/// The validated settings of one domain check.
pub struct DomainCheck {
    /// The sender domain, lower case, without a final dot.
    pub domain: String,
    /// The sender address, when known (for SPF's `%{s}` and `%{l}`).
    pub sender: Option<String>,
    pub servers: Servers,
    pub dkim_selectors: Vec<String>,
    /// `EMAIL_PROVIDER=ses`: SES sends the mail, not the relay.
    pub ses_provider: bool,
    /// The SMTP relay the app sends through (`SMTP_HOST`), a name or an address.
    pub relay: Option<String>,
    /// Keys to ask SES for the domain's DKIM tokens and MAIL FROM domain.
    pub ses: Option<crate::checks::ses::Access>,
    pub names: Names,
}

fn build(raw: &mut RawSettings, redactor: &mut Redactor) -> Result<Built, ConfigError> {
    let domain = raw.string("domain", Shown::Plain)?;
    let from = raw.string("from", Shown::Plain)?;
    let nameservers = raw.string_list("nameservers")?;
    let dkim_selectors = raw.string_list("dkim_selectors")?;
    let provider = raw.string("provider", Shown::Plain)?;
    let relay = raw.string("relay", Shown::Plain)?.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
    let access_key = raw.string("access_key", Shown::Secret)?.map(Secret::new);
    let secret_key = raw.string("secret_key", Shown::Secret)?.map(Secret::new);
    let region = raw.string("region", Shown::Plain)?;
    let endpoint = raw.string("endpoint", Shown::Dsn)?;
    for key in [&access_key, &secret_key].into_iter().flatten() {
        redactor.add(key);
    }
    let endpoint = endpoint
        .as_deref()
        .map(|text| crate::http::parse_base_url(text, "write it as https://HOST[:PORT]"))
        .transpose()
        .map_err(|e| raw.error("endpoint", e))?;
    if let Some(url) = &endpoint {
        crate::http::hide_password(url, redactor);
    }
    let servers = match nameservers.is_empty() {
        true => Servers::System,
        false => Servers::Listed(dns::parse_servers(&nameservers).map_err(|e| raw.error("nameservers", e))?),
    };
    for selector in &dkim_selectors {
        if !valid_label_path(selector) {
            return Err(raw.error(
                "dkim_selectors",
                format!("`{selector}` is not a DKIM selector (letters, digits, `-`, `_` and `.`)"),
            ));
        }
    }
    let sender = match &from {
        Some(text) => Some(crate::checks::ses::parse_sender(text).map_err(|e| raw.error("from", e))?),
        None => None,
    };
    let domain = match (domain, &sender) {
        (Some(domain), _) => {
            let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
            if !domain.contains('.') || !valid_label_path(&domain) {
                return Err(raw.error("domain", format!("`{domain}` is not a domain name (e.g. example.com)")));
            }
            domain
        }
        (None, Some(sender)) => sender.domain.clone(),
        (None, None) => return Ok(Built::not_configured(raw, "from")),
    };
    let ses_provider = provider.as_deref().is_some_and(|p| p.trim().eq_ignore_ascii_case("ses"));
    let ses = match (access_key, secret_key, region) {
        (Some(access_key), Some(secret_key), Some(region)) => {
            Some(crate::checks::ses::Access { access_key, secret_key, region: region.trim().to_string(), endpoint })
        }
        _ => None,
    };
    let names = Names::of(raw);
    let target = format!("{domain} (DNS: {})", servers.describe());
    let check = DomainCheck {
        domain,
        sender: sender.map(|s| s.address),
        servers,
        dkim_selectors,
        ses_provider,
        relay,
        ses,
        names,
    };
    Ok(Built { target, plan: Plan::Run(Arc::new(check)) })
}

/// Letters, digits, `-`, `_`, dot-separated labels of at most 63 characters.
fn valid_label_path(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 253
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
        })
}

impl Check for DomainCheck {
    fn run<'a>(&'a self, ctx: &'a Context) -> CheckFuture<'a> {
        Box::pin(async move {
            let observed: observe::Observed = observe::observe(self, ctx).await;
            let outcome: Outcome = diagnose::diagnose(self, &observed);
            outcome
        })
    }

    fn uses_system_roots(&self) -> bool {
        self.ses.as_ref().is_some_and(|s| s.endpoint.as_ref().is_none_or(|url| url.scheme() == "https"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_and_selectors_are_dns_names() {
        assert!(valid_label_path("example.test") && valid_label_path("s1._domainkey") && valid_label_path("ses-2024"));
        for bad in ["", "a..b", "a b", "exa$mple.test", &"a".repeat(64)] {
            assert!(!valid_label_path(bad), "{bad}");
        }
    }
}
