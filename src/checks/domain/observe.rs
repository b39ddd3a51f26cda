//! What the check asks: the domain's MX first (a server that does not
//! answer, or a domain that does not exist, stops there), then its TXT
//! records, `_dmarc.`, the DKIM selectors, the relay's addresses and SPF's
//! verdict for each, and with SES keys the identity SES describes and the
//! records it asks the domain to publish.

use super::dns::{Answer, Dns, Failure, Mx};
use super::spf::{self, Evaluation, Verdict};
use super::DomainCheck;
use crate::check::Context;
use crate::human::text_field;
use serde_json::Value;
use std::net::IpAddr;

pub struct Observed {
    /// The resolver could not be set up: nothing was asked.
    pub setup: Option<String>,
    pub mx: Answer<Mx>,
    /// TXT records at the domain; `None` when not asked.
    pub txt: Option<Answer<String>>,
    pub dmarc: Option<Answer<String>>,
    pub dkim: Vec<(String, Answer<String>)>,
    pub relay: Option<Relay>,
    pub ses: Option<Ses>,
}

/// The SMTP relay's addresses and SPF's verdict for each.
pub struct Relay {
    pub host: String,
    pub addresses: Answer<IpAddr>,
    /// `(address, verdict, DNS-querying terms used)`.
    pub verdicts: Vec<(IpAddr, Verdict, usize)>,
}

/// What SES says of the domain, and what DNS publishes of it.
pub struct Ses {
    pub identity: Result<SesIdentity, String>,
    /// `<token>._domainkey.<domain>` and its CNAME target.
    pub dkim: Vec<(String, Answer<String>)>,
    pub mail_from: Option<MailFrom>,
    pub region: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SesIdentity {
    pub tokens: Vec<String>,
    pub dkim_status: Option<String>,
    pub mail_from_domain: Option<String>,
    pub mail_from_status: Option<String>,
}

impl SesIdentity {
    pub fn read(value: &Value) -> SesIdentity {
        let dkim = value.get("DkimAttributes");
        let tokens = dkim
            .and_then(|d| d.get("Tokens"))
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(|t| text_field(Some(t))).filter(|t| is_token(t)).collect())
            .unwrap_or_default();
        let mail_from = value.get("MailFromAttributes");
        SesIdentity {
            tokens,
            dkim_status: text_field(dkim.and_then(|d| d.get("Status"))),
            mail_from_domain: text_field(mail_from.and_then(|m| m.get("MailFromDomain")))
                .map(|d| d.trim_end_matches('.').to_ascii_lowercase())
                .filter(|d| !d.is_empty()),
            mail_from_status: text_field(mail_from.and_then(|m| m.get("MailFromDomainStatus"))),
        }
    }
}

/// A DKIM token as SES issues them: letters and digits, one DNS label.
fn is_token(text: &str) -> bool {
    !text.is_empty() && text.len() <= 63 && text.chars().all(|c| c.is_ascii_alphanumeric())
}

pub struct MailFrom {
    pub domain: String,
    pub mx: Answer<Mx>,
    pub txt: Answer<String>,
}

pub async fn observe(check: &DomainCheck, ctx: &Context) -> Observed {
    let domain = check.domain.as_str();
    let dns = match Dns::new(&check.servers, ctx) {
        Ok(dns) => dns,
        Err(why) => {
            return Observed {
                setup: Some(why),
                mx: Answer::Failed(Failure::Other("not asked".into())),
                txt: None,
                dmarc: None,
                dkim: Vec::new(),
                relay: None,
                ses: None,
            }
        }
    };
    let mx = dns.mx(domain, ctx).await;
    let mut observed = Observed { setup: None, mx, txt: None, dmarc: None, dkim: Vec::new(), relay: None, ses: None };
    // A server that does not answer would cost every later query the same
    // wait; a domain that does not exist has no records to ask for.
    if matches!(observed.mx, Answer::Failed(_) | Answer::NoSuchName) {
        return observed;
    }
    let txt = dns.txt(domain, ctx).await;
    let records: Vec<String> = txt.records().iter().filter(|t| spf::is_spf(t)).cloned().collect();
    observed.txt = Some(txt);
    observed.dmarc = Some(dns.txt(&format!("_dmarc.{domain}"), ctx).await);
    for selector in &check.dkim_selectors {
        let answer = dns.txt(&format!("{selector}._domainkey.{domain}"), ctx).await;
        observed.dkim.push((selector.clone(), answer));
    }
    if !check.ses_provider {
        if let Some(host) = &check.relay {
            observed.relay = Some(relay(check, &dns, host, &records, ctx).await);
        }
    }
    if let Some(access) = &check.ses {
        observed.ses = Some(ses(check, &dns, access, ctx).await);
    }
    observed
}

async fn relay(check: &DomainCheck, dns: &Dns, host: &str, records: &[String], ctx: &Context) -> Relay {
    let addresses = match host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        Ok(ip) => Answer::Records(vec![ip]),
        Err(_) => dns.addresses(host, ctx).await,
    };
    let mut verdicts = Vec::new();
    // Only one well-formed record is evaluated: otherwise SPF's answer is
    // permerror whatever the address, and the diagnosis says so.
    if let ([one], Answer::Records(ips)) = (records, &addresses) {
        if let Ok(record) = spf::parse(one) {
            let sender = check.sender.clone().unwrap_or_else(|| format!("postmaster@{}", check.domain));
            for ip in ips {
                let mut evaluation = Evaluation::new(dns, ctx, *ip, sender.clone());
                let verdict = evaluation.record(&check.domain, &record).await;
                verdicts.push((*ip, verdict, evaluation.lookups()));
            }
        }
    }
    Relay { host: host.to_string(), addresses, verdicts }
}

async fn ses(check: &DomainCheck, dns: &Dns, access: &crate::checks::ses::Access, ctx: &Context) -> Ses {
    let identity = crate::checks::ses::email_identity(access, &check.domain, ctx).await.map(|v| SesIdentity::read(&v));
    let mut seen = Ses { identity, dkim: Vec::new(), mail_from: None, region: access.region.clone() };
    let Ok(identity) = &seen.identity else { return seen };
    for token in &identity.tokens {
        let name = format!("{token}._domainkey.{}", check.domain);
        let answer = dns.cname(&name, ctx).await;
        seen.dkim.push((token.clone(), answer));
    }
    if let Some(domain) = identity.mail_from_domain.clone() {
        let mx = dns.mx(&domain, ctx).await;
        let txt = dns.txt(&domain, ctx).await;
        seen.mail_from = Some(MailFrom { domain, mx, txt });
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tokens_and_mail_from_of_get_email_identity() {
        let answer = serde_json::json!({
            "IdentityType": "DOMAIN",
            "DkimAttributes": {"Status": "PENDING", "Tokens": ["abc123", "def456", "bad token\n"]},
            "MailFromAttributes": {"MailFromDomain": "Bounce.Example.test.", "MailFromDomainStatus": "PENDING"}
        });
        let identity = SesIdentity::read(&answer);
        assert_eq!(identity.tokens, ["abc123", "def456"]);
        assert_eq!(identity.dkim_status.as_deref(), Some("PENDING"));
        assert_eq!(identity.mail_from_domain.as_deref(), Some("bounce.example.test"));
        assert_eq!(SesIdentity::read(&serde_json::json!({})), SesIdentity::default());
    }
}
