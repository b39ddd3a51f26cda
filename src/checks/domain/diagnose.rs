//! From what DNS (and SES) answered to a status, a cause in plain words and
//! the record to publish or fix, as a `dig` command that shows it. Pure.

use super::dns::{Answer, Failure, Mx};
use super::observe::{MailFrom, Observed, Relay, Ses};
use super::spf::{self, Verdict};
use super::tags::{self, DkimKey, Policy};
use super::{codes, DomainCheck};
use crate::checks::findings::Findings;
use crate::code::Code;
use crate::report::{Action, Outcome, Priority};

pub fn diagnose(check: &DomainCheck, observed: &Observed) -> Outcome {
    let mut d = Diagnosis { check, found: Findings::default(), dns_reported: Vec::new() };
    if let Some(why) = &observed.setup {
        d.found.fail(
            codes::DNS_ERROR,
            format!("DNS could not be asked: {why}"),
            format!("kbz-check could not set up its resolver: {why}"),
            vec![Action::new(
                Priority::High,
                format!("Set {} to the DNS servers to ask (IP[:PORT],…)", check.names.nameservers),
            )],
        );
        return d.found.into_outcome(String::new());
    }
    let mut ok = Vec::new();
    if !mx(&mut d, &observed.mx, &mut ok) {
        return d.found.into_outcome(String::new());
    }
    if let Some(txt) = &observed.txt {
        spf_record(&mut d, txt, observed.relay.as_ref(), &mut ok);
    }
    if let Some(dmarc) = &observed.dmarc {
        dmarc_record(&mut d, dmarc, &mut ok);
    }
    for (selector, answer) in &observed.dkim {
        dkim_selector(&mut d, selector, answer, &mut ok);
    }
    if let Some(ses) = &observed.ses {
        ses_records(&mut d, ses, &mut ok);
    }
    let summary = format!("{}: {}", check.domain, ok.join(", "));
    d.found.into_outcome(summary)
}

struct Diagnosis<'a> {
    check: &'a DomainCheck,
    found: Findings,
    /// DNS failure codes told already: one finding per kind of failure.
    dns_reported: Vec<Code>,
}

impl Diagnosis<'_> {
    fn domain(&self) -> &str {
        &self.check.domain
    }

    /// `dig +short TYPE NAME`, at the configured server if there is one
    /// (`A/AAAA` asks both, as dig takes several queries).
    fn dig(&self, kind: &str, name: &str) -> String {
        match kind {
            "A/AAAA" => format!("dig {}+short {name} A {name} AAAA", self.check.servers.dig_at()),
            _ => format!("dig {}+short {kind} {name}", self.check.servers.dig_at()),
        }
    }

    fn evidence<T>(&mut self, kind: &str, name: &str, answer: &Answer<T>, show: impl Fn(&T) -> String) {
        let output = match answer {
            Answer::Records(records) => records.iter().map(&show).collect::<Vec<_>>().join("\n"),
            Answer::NoSuchName => format!("NXDOMAIN: {name} does not exist"),
            Answer::NoData => format!("no {kind} record (the name exists)"),
            Answer::Failed(failure) => failure.describe(),
        };
        let command = self.dig(kind, name);
        self.found.evidence(format!("{kind} {name}"), Some(&command), output);
    }

    /// A lookup the server did not answer: a finding per kind of failure.
    fn dns_failed(&mut self, kind: &str, name: &str, failure: &Failure) {
        let servers = self.check.servers.describe();
        let (code, what, cause) = match failure {
            Failure::Timeout => (
                codes::DNS_NO_ANSWER,
                "no answer",
                format!("{servers} gave no answer for {kind} {name} within the deadline: the server is down, out of reach, or the domain's own name servers do not answer it"),
            ),
            Failure::ServFail => (
                codes::DNS_SERVFAIL,
                "SERVFAIL",
                format!("{servers} answered SERVFAIL for {kind} {name}: the domain's name servers failed (a zone that did not load, broken delegation or DNSSEC); receivers see the same and defer or reject mail"),
            ),
            Failure::Refused => (
                codes::DNS_REFUSED,
                "REFUSED",
                format!("{servers} refused to answer for {kind} {name}: it is not a resolver for this host, or not authoritative for this domain"),
            ),
            Failure::Other(text) => (codes::DNS_ERROR, "an error", format!("asking {servers} for {kind} {name} failed: {text}")),
        };
        if self.dns_reported.contains(&code) {
            return;
        }
        self.dns_reported.push(code);
        let command = self.dig(kind, name);
        self.found.fail(
            code,
            format!("DNS gave {what} for {kind} {name}: its records could not be checked"),
            cause,
            vec![Action::new(
                Priority::High,
                format!("Make {name} answer: check the domain's name servers and the resolver ({servers})"),
            )
            .with_command(command)],
        );
    }
}

/// The MX records; false when nothing else is worth asking.
fn mx(d: &mut Diagnosis, answer: &Answer<Mx>, ok: &mut Vec<String>) -> bool {
    let domain = d.domain().to_string();
    d.evidence("MX", &domain, answer, |mx| format!("{} {}", mx.preference, mx.exchange));
    match answer {
        Answer::Failed(failure) => {
            d.dns_failed("MX", &domain, failure);
            false
        }
        Answer::NoSuchName => {
            d.found.fail(
                codes::NOT_FOUND,
                format!("{domain} does not exist in DNS (NXDOMAIN)"),
                format!("DNS says {domain} does not exist: receivers reject mail from a sender domain that does not resolve, and its SPF, DKIM and DMARC records cannot exist either"),
                vec![Action::new(Priority::Critical, format!("Register or delegate {domain}, or set {} to an address at the domain the app really sends from", d.check.names.from)).with_command(d.dig("NS", &domain))],
            );
            false
        }
        Answer::NoData => {
            d.found.warn(
                codes::MX_MISSING,
                format!("{domain} has no MX record"),
                format!("{domain} publishes no MX: bounces and replies to the sender fall back to its A record, and some receivers reject senders whose domain cannot receive mail"),
                vec![Action::new(Priority::Medium, format!("Publish an MX for {domain}, e.g. `{domain}. MX 10 mail.{domain}.`")).with_command(d.dig("MX", &domain))],
            );
            true
        }
        Answer::Records(records) => {
            if records.iter().any(|mx| mx.exchange == ".") {
                d.found.fail(
                    codes::MX_NULL,
                    format!("{domain} has a null MX (`MX 0 .`): it accepts no mail"),
                    format!("{domain} declares with a null MX (RFC 7505) that it receives no mail: bounces to the sender are lost, and receivers may reject mail from it (RFC 7505 4.2)"),
                    vec![Action::new(Priority::High, format!("Replace the null MX of {domain} with the host that receives its mail, or send from a domain that receives mail")).with_command(d.dig("MX", &domain))],
                );
            } else {
                ok.push(format!("MX {}", records.iter().map(|mx| mx.exchange.as_str()).collect::<Vec<_>>().join(", ")));
            }
            true
        }
    }
}

fn spf_record(d: &mut Diagnosis, txt: &Answer<String>, relay: Option<&Relay>, ok: &mut Vec<String>) {
    let domain = d.domain().to_string();
    let records: Vec<&String> = txt.records().iter().filter(|t| spf::is_spf(t)).collect();
    let output = match (txt, records.is_empty()) {
        (Answer::Failed(failure), _) => failure.describe(),
        (_, true) => "no v=spf1 record".to_string(),
        (_, false) => records.iter().map(|r| r.as_str()).collect::<Vec<_>>().join("\n"),
    };
    let command = d.dig("TXT", &domain);
    d.found.evidence(format!("SPF (TXT {domain})"), Some(&command), output);
    if let Answer::Failed(failure) = txt {
        d.dns_failed("TXT", &domain, failure);
        return;
    }
    let suggested = suggested_spf(d.check, relay);
    let record = match records.as_slice() {
        [] => {
            d.found.warn(
                codes::SPF_MISSING,
                format!("{domain} has no SPF record"),
                format!("{domain} publishes no v=spf1 record: receivers cannot tell the app's relay from a forger, so its mail is more likely to land in spam, and DMARC can pass only through DKIM"),
                vec![Action::new(Priority::High, format!("Publish one TXT record at {domain}: \"{suggested}\"")).with_command(command)],
            );
            return;
        }
        [one] => one.as_str(),
        many => {
            d.found.fail(
                codes::SPF_MULTIPLE,
                format!("{domain} has {} SPF records: SPF fails with permerror", many.len()),
                format!("{domain} publishes {} v=spf1 TXT records; SPF allows exactly one, so every receiver's check ends in permerror (RFC 7208 4.5) and mail is treated as unauthenticated", many.len()),
                vec![Action::new(Priority::High, format!("Merge them into one TXT record at {domain}, e.g. \"{suggested}\"")).with_command(command)],
            );
            return;
        }
    };
    let parsed = match spf::parse(record) {
        Ok(parsed) => parsed,
        Err(why) => {
            d.found.fail(
                codes::SPF_SYNTAX,
                format!("{domain}'s SPF record is invalid: {why}"),
                format!("{domain}'s SPF record does not parse ({why}): receivers' SPF check ends in permerror and mail is treated as unauthenticated"),
                vec![Action::new(Priority::High, format!("Fix the TXT record at {domain}, e.g. \"{suggested}\"")).with_command(command)],
            );
            return;
        }
    };
    if d.check.ses_provider {
        if parsed.includes("amazonses.com") {
            ok.push("SPF includes amazonses.com".into());
        } else {
            d.found.warn(
                codes::SPF_SES_NOT_INCLUDED,
                format!("{domain}'s SPF record does not include amazonses.com"),
                format!("the app sends through SES ({}=ses) but {domain}'s SPF names no include:amazonses.com: mail SES sends with a MAIL FROM at {domain} fails SPF (by default SES uses its own amazonses.com MAIL FROM, so DMARC then rests on DKIM alone)", d.check.names.provider),
                vec![Action::new(Priority::Medium, format!("Add include:amazonses.com to the SPF record of {domain} (or of the custom MAIL FROM domain)")).with_command(command)],
            );
        }
        return;
    }
    match relay {
        Some(relay) => {
            let fixed = with_relay(record, &suggested);
            relay_verdict(d, relay, record, &fixed, ok)
        }
        None => ok.push("SPF record present".into()),
    }
}

/// The record to publish: the relay's addresses or SES, then `~all`.
fn suggested_spf(check: &DomainCheck, relay: Option<&Relay>) -> String {
    if check.ses_provider {
        return "v=spf1 include:amazonses.com ~all".into();
    }
    let mechanisms: Vec<String> = relay
        .map(|r| {
            r.addresses
                .records()
                .iter()
                .map(|ip| if ip.is_ipv4() { format!("ip4:{ip}") } else { format!("ip6:{ip}") })
                .collect()
        })
        .unwrap_or_default();
    match mechanisms.is_empty() {
        true => "v=spf1 mx ~all".into(),
        false => format!("v=spf1 {} ~all", mechanisms.join(" ")),
    }
}

/// The published record with the relay's mechanisms of `suggested` added
/// after `v=spf1`, so that what it already authorises stays.
fn with_relay(record: &str, suggested: &str) -> String {
    let added: Vec<&str> = suggested
        .split_ascii_whitespace()
        .filter(|term| term.starts_with("ip4:") || term.starts_with("ip6:"))
        .filter(|term| !record.split_ascii_whitespace().any(|t| t.eq_ignore_ascii_case(term)))
        .collect();
    match (added.is_empty(), record.split_once(' ')) {
        (false, Some((version, rest))) => format!("{version} {} {rest}", added.join(" ")),
        _ => suggested.to_string(),
    }
}

fn relay_verdict(d: &mut Diagnosis, relay: &Relay, record: &str, suggested: &str, ok: &mut Vec<String>) {
    let domain = d.domain().to_string();
    let host = &relay.host;
    let relay_name = &d.check.names.relay;
    d.evidence("A/AAAA", host, &relay.addresses, |ip| ip.to_string());
    if let Answer::NoSuchName | Answer::NoData | Answer::Failed(_) = relay.addresses {
        d.found.warn(
            codes::RELAY_UNRESOLVED,
            format!("the relay {host} ({relay_name}) did not resolve: SPF's coverage of it was not checked"),
            format!("{relay_name}={host} has no address in DNS ({}), so kbz-check cannot tell whether {domain}'s SPF authorises it", match &relay.addresses { Answer::Failed(f) => f.describe(), Answer::NoSuchName => "NXDOMAIN".into(), _ => "no A or AAAA record".into() }),
            vec![Action::new(Priority::Medium, format!("Check that {relay_name} names the relay the app really uses")).with_command(d.dig("A", host))],
        );
        return;
    }
    let lines: Vec<String> = relay
        .verdicts
        .iter()
        .map(|(ip, v, n)| format!("{ip}: {} ({n} DNS-querying terms of {})", describe(v), spf::LOOKUP_LIMIT))
        .collect();
    d.found.evidence(format!("SPF check_host() for the relay {host}"), None, lines.join("\n"));
    let command = d.dig("TXT", &domain);
    for (ip, verdict, _) in &relay.verdicts {
        match verdict {
            Verdict::Pass => {}
            Verdict::PermError { why, limit: true } => {
                d.found.fail(
                    codes::SPF_LOOKUP_LIMIT,
                    format!("{domain}'s SPF needs more than {} DNS lookups: SPF fails with permerror", spf::LOOKUP_LIMIT),
                    format!("evaluating {domain}'s SPF for the relay {host} ({ip}) reached {why}; receivers stop there with permerror (RFC 7208 4.6.4), so the relay's mail is unauthenticated"),
                    vec![Action::new(Priority::High, format!("Flatten {domain}'s SPF record: replace nested include:s with ip4:/ip6: ranges, e.g. \"{suggested}\"")).with_command(command.clone())],
                );
                return;
            }
            Verdict::PermError { why, limit: false } => {
                d.found.fail(
                    codes::SPF_SYNTAX,
                    format!("{domain}'s SPF fails with permerror: {why}"),
                    format!("evaluating {domain}'s SPF (\"{record}\") for the relay {host} ({ip}) ended in permerror: {why}; receivers treat the mail as unauthenticated"),
                    vec![Action::new(Priority::High, format!("Fix the record {why_at}", why_at = "it reaches (see the cause)")).with_command(command.clone())],
                );
                return;
            }
            Verdict::Fail | Verdict::SoftFail | Verdict::Neutral | Verdict::None(_) => {
                d.found.fail(
                    codes::SPF_RELAY_NOT_AUTHORIZED,
                    format!("{domain}'s SPF does not authorise the relay {host} ({ip}): {}", verdict.word()),
                    format!("the app sends through {relay_name}={host}, whose address {ip} {domain}'s SPF (\"{record}\") does not cover: receivers get SPF {} for its mail, which lands in spam or is rejected (a relay that sends out from other addresses than the one the app reaches needs those instead)", verdict.word()),
                    vec![Action::new(Priority::High, format!("Add the relay's sending address to {domain}'s SPF, e.g. \"{suggested}\"")).with_command(command.clone())],
                );
                return;
            }
            Verdict::TempError(why) | Verdict::Unknown(why) => {
                d.found.warn(
                    codes::SPF_UNEVALUATED,
                    format!("whether {domain}'s SPF authorises the relay {host} is not known: {}", verdict.word()),
                    format!("evaluating {domain}'s SPF for {ip} stopped: {why}"),
                    vec![Action::new(Priority::Medium, format!("Look at {domain}'s SPF record and what it includes"))
                        .with_command(command.clone())],
                );
                return;
            }
        }
    }
    if !relay.verdicts.is_empty() {
        ok.push(format!("SPF authorises the relay {host}"));
    }
}

fn describe(verdict: &Verdict) -> String {
    match verdict {
        Verdict::None(why) | Verdict::TempError(why) | Verdict::Unknown(why) | Verdict::PermError { why, .. } => {
            format!("{} ({why})", verdict.word())
        }
        other => other.word().to_string(),
    }
}

fn dmarc_record(d: &mut Diagnosis, answer: &Answer<String>, ok: &mut Vec<String>) {
    let domain = d.domain().to_string();
    let name = format!("_dmarc.{domain}");
    d.evidence("TXT", &name, answer, |t| t.clone());
    if let Answer::Failed(failure) = answer {
        d.dns_failed("TXT", &name, failure);
        return;
    }
    let command = d.dig("TXT", &name);
    let publish = format!("v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@{domain}");
    let records: Vec<&String> = answer.records().iter().filter(|t| tags::is_dmarc(t)).collect();
    let record = match records.as_slice() {
        [] => {
            d.found.warn(
                codes::DMARC_MISSING,
                format!("{domain} has no DMARC record"),
                format!("{name} publishes no v=DMARC1 record: receivers apply their own policy to mail that fails SPF and DKIM, large mailbox providers require DMARC of bulk senders, and no reports tell you who sends as {domain}"),
                vec![Action::new(Priority::Medium, format!("Publish a TXT record at {name}: \"{publish}\" (start with p=none to collect reports first)")).with_command(command)],
            );
            return;
        }
        [one] => one.as_str(),
        many => {
            d.found.warn(
                codes::DMARC_INVALID,
                format!("{name} has {} DMARC records: receivers ignore them all", many.len()),
                format!(
                    "{name} publishes {} v=DMARC1 records; DMARC then applies no policy at all (RFC 7489 6.6.3)",
                    many.len()
                ),
                vec![Action::new(Priority::Medium, format!("Keep one TXT record at {name}, e.g. \"{publish}\""))
                    .with_command(command)],
            );
            return;
        }
    };
    match tags::parse_dmarc(record) {
        Err(why) => d.found.warn(
            codes::DMARC_INVALID,
            format!("{domain}'s DMARC record is invalid: {why}"),
            format!("{name} holds \"{record}\", which does not parse ({why}): receivers ignore it, as if there were none"),
            vec![Action::new(Priority::Medium, format!("Fix the TXT record at {name}, e.g. \"{publish}\"")).with_command(command)],
        ),
        Ok(dmarc) if dmarc.policy == Policy::None => d.found.warn(
            codes::DMARC_POLICY_NONE,
            format!("{domain}'s DMARC policy is p=none: mail forged as {domain} is delivered"),
            format!("{name} says p=none ({}): receivers only report, they neither quarantine nor reject mail that fails SPF and DKIM", dmarc.describe()),
            vec![Action::new(Priority::Low, format!("Once the reports show the app's mail passing, raise the policy at {name} to p=quarantine, then p=reject")).with_command(command)],
        ),
        Ok(dmarc) => {
            d.found.evidence(format!("DMARC policy of {domain}"), None, dmarc.describe());
            ok.push(format!("DMARC p={}", dmarc.policy.word()))
        }
    }
}

fn dkim_selector(d: &mut Diagnosis, selector: &str, answer: &Answer<String>, ok: &mut Vec<String>) {
    let domain = d.domain().to_string();
    let name = format!("{selector}._domainkey.{domain}");
    d.evidence("TXT", &name, answer, |t| t.clone());
    if let Answer::Failed(failure) = answer {
        d.dns_failed("TXT", &name, failure);
        return;
    }
    let command = d.dig("TXT", &name);
    let keys: Vec<&String> = answer.records().iter().filter(|t| t.contains("p=")).collect();
    let Some(record) = keys.first() else {
        d.found.fail(
            codes::DKIM_MISSING,
            format!("no DKIM key for the selector {selector} of {domain}"),
            format!("{name} holds no DKIM key: mail signed with the selector {selector} fails DKIM at every receiver, and with SPF alone DMARC is fragile"),
            vec![Action::new(Priority::High, format!("Publish the selector's public key as a TXT record at {name}: \"v=DKIM1; k=rsa; p=<base64 public key>\"")).with_command(command)],
        );
        return;
    };
    match tags::parse_dkim(record) {
        Ok(DkimKey::Key { kind, .. }) => ok.push(format!("DKIM {selector} ({kind})")),
        Ok(DkimKey::Revoked) => d.found.fail(
            codes::DKIM_INVALID,
            format!("the DKIM key of the selector {selector} is revoked (empty p=)"),
            format!("{name} has an empty p=, which revokes the key: every signature with {selector} fails"),
            vec![Action::new(
                Priority::High,
                format!("Publish the current public key at {name}, or sign with a selector that has one"),
            )
            .with_command(command)],
        ),
        Err(why) => d.found.fail(
            codes::DKIM_INVALID,
            format!("the DKIM key record of the selector {selector} is invalid: {why}"),
            format!("{name} does not hold a usable key ({why}): signatures with {selector} cannot be verified"),
            vec![Action::new(
                Priority::High,
                format!("Fix the TXT record at {name}: \"v=DKIM1; k=rsa; p=<base64 public key>\""),
            )
            .with_command(command)],
        ),
    }
}

fn ses_records(d: &mut Diagnosis, ses: &Ses, ok: &mut Vec<String>) {
    let domain = d.domain().to_string();
    let severity = if d.check.ses_provider { crate::report::Status::Fail } else { crate::report::Status::Warn };
    let identity = match &ses.identity {
        Ok(identity) => identity,
        Err(why) => {
            d.found.evidence(
                format!("SES identity {domain}"),
                Some(&format!("aws sesv2 get-email-identity --email-identity {domain}")),
                format!("not read: {why}"),
            );
            d.found.warn(
                codes::SES_UNREAD,
                format!("SES did not describe {domain}: its DKIM records were not checked"),
                format!("GetEmailIdentity of {domain} failed ({why}), so the CNAMEs SES asks the domain to publish are not known"),
                vec![Action::new(Priority::Medium, format!("See the ses check; SES must have {domain} as a domain identity for Easy DKIM"))],
            );
            return;
        }
    };
    d.found.evidence(
        format!("SES identity {domain}"),
        Some(&format!("aws sesv2 get-email-identity --email-identity {domain}")),
        format!(
            "DKIM status {}, {} token(s); MAIL FROM domain {}",
            identity.dkim_status.as_deref().unwrap_or("not given"),
            identity.tokens.len(),
            identity.mail_from_domain.as_deref().unwrap_or("none (SES's own)")
        ),
    );
    if identity.tokens.is_empty() {
        d.found.problem(
            codes::SES_DKIM_UNPUBLISHED,
            severity,
            format!("SES gives no DKIM tokens for {domain}: mail goes out without {domain}'s DKIM signature"),
            format!("GetEmailIdentity of {domain} names no DKIM tokens (DKIM status {}): SES signs only with amazonses.com, which does not align with {domain} for DMARC", identity.dkim_status.as_deref().unwrap_or("not given")),
            vec![Action::new(Priority::High, format!("Set up Easy DKIM for {domain} in SES, then publish the three CNAMEs it gives")).with_command(format!("aws sesv2 get-email-identity --email-identity {domain}"))],
        );
    }
    let mut missing = Vec::new();
    for (token, answer) in &ses.dkim {
        let name = format!("{token}._domainkey.{domain}");
        let expected = format!("{token}.dkim.amazonses.com");
        d.evidence("CNAME", &name, answer, |t| t.clone());
        match answer {
            Answer::Failed(failure) => d.dns_failed("CNAME", &name, failure),
            Answer::Records(targets) if targets.iter().any(|t| t.eq_ignore_ascii_case(&expected)) => {}
            _ => missing.push((name, expected)),
        }
    }
    if !missing.is_empty() {
        let records = missing.iter().map(|(n, e)| format!("{n}. CNAME {e}.")).collect::<Vec<_>>().join("; ");
        d.found.problem(
            codes::SES_DKIM_UNPUBLISHED,
            severity,
            format!("{} of SES's {} DKIM CNAMEs for {domain} are not published", missing.len(), ses.dkim.len()),
            format!("SES signs {domain}'s mail with DKIM only once the CNAMEs it issued resolve to amazonses.com; {} do not: mail goes out unsigned for {domain} and lands in spam", missing.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")),
            vec![Action::new(Priority::High, format!("Publish: {records}")).with_command(d.dig("CNAME", &missing[0].0))],
        );
    } else if !ses.dkim.is_empty() {
        ok.push(format!("SES DKIM CNAMEs ({})", ses.dkim.len()));
    }
    if let Some(mail_from) = &ses.mail_from {
        mail_from_records(d, mail_from, &ses.region, severity, ok);
    }
}

fn mail_from_records(
    d: &mut Diagnosis,
    mail_from: &MailFrom,
    region: &str,
    severity: crate::report::Status,
    ok: &mut Vec<String>,
) {
    let name = mail_from.domain.clone();
    let feedback = format!("feedback-smtp.{region}.amazonses.com");
    d.evidence("MX", &name, &mail_from.mx, |mx| format!("{} {}", mx.preference, mx.exchange));
    match &mail_from.mx {
        Answer::Failed(failure) => d.dns_failed("MX", &name, failure),
        Answer::Records(records) if records.iter().any(|mx| mx.exchange == feedback) => ok.push(format!("MAIL FROM {name}")),
        _ => d.found.problem(
            codes::SES_MAIL_FROM_MX,
            severity,
            format!("SES's custom MAIL FROM domain {name} has no MX to {feedback}"),
            format!("SES sends with MAIL FROM at {name} only while its MX points at {feedback}; without it SES falls back to amazonses.com (or rejects the mail, by the identity's BehaviorOnMxFailure) and bounces are lost"),
            vec![Action::new(Priority::High, format!("Publish `{name}. MX 10 {feedback}.`")).with_command(d.dig("MX", &name))],
        ),
    }
    let spf_records: Vec<&String> = mail_from.txt.records().iter().filter(|t| spf::is_spf(t)).collect();
    d.evidence("TXT", &name, &mail_from.txt, |t| t.clone());
    let covered = matches!(spf_records.as_slice(), [one] if spf::parse(one).is_ok_and(|r| r.includes("amazonses.com")));
    match &mail_from.txt {
        Answer::Failed(failure) => d.dns_failed("TXT", &name, failure),
        _ if covered => {}
        _ => d.found.problem(
            codes::SES_MAIL_FROM_SPF,
            severity,
            format!("SES's custom MAIL FROM domain {name} has no SPF record including amazonses.com"),
            format!("mail SES sends with MAIL FROM at {name} is checked against {name}'s SPF, which must be one v=spf1 record with include:amazonses.com; it is not, so that mail fails SPF"),
            vec![Action::new(Priority::High, format!("Publish one TXT record at {name}: \"v=spf1 include:amazonses.com ~all\"")).with_command(d.dig("TXT", &name))],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Names, Servers, KIND};
    use super::*;
    use crate::report::Status;

    fn check() -> DomainCheck {
        DomainCheck {
            domain: "example.test".into(),
            sender: Some("noreply@example.test".into()),
            servers: Servers::Listed(vec!["127.0.0.1:5353".parse().unwrap()]),
            dkim_selectors: vec![],
            ses_provider: false,
            relay: Some("relay.example.test".into()),
            ses: None,
            names: Names::by_variable(&KIND),
        }
    }

    fn observed(mx: Answer<Mx>, txt: &[&str], dmarc: &[&str]) -> Observed {
        let texts = |list: &[&str]| match list.is_empty() {
            true => Answer::NoData,
            false => Answer::Records(list.iter().map(|t| t.to_string()).collect()),
        };
        Observed {
            setup: None,
            mx,
            txt: Some(texts(txt)),
            dmarc: Some(texts(dmarc)),
            dkim: vec![],
            relay: None,
            ses: None,
        }
    }

    fn mx() -> Answer<Mx> {
        Answer::Records(vec![Mx { preference: 10, exchange: "mx.example.test".into() }])
    }

    #[test]
    fn a_null_mx_fails_and_a_missing_one_warns() {
        let null = Answer::Records(vec![Mx { preference: 0, exchange: ".".into() }]);
        let out = diagnose(&check(), &observed(null, &["v=spf1 -all"], &["v=DMARC1; p=reject"]));
        assert_eq!((out.status, out.codes()), (Status::Fail, vec!["domain.mx.null"]));
        let out = diagnose(&check(), &observed(Answer::NoData, &["v=spf1 -all"], &["v=DMARC1; p=reject"]));
        assert_eq!((out.status, out.codes()), (Status::Warn, vec!["domain.mx.missing"]));
    }

    #[test]
    fn spf_and_dmarc_problems_each_have_their_code_and_the_record_to_publish() {
        let out = diagnose(&check(), &observed(mx(), &[], &[]));
        assert_eq!(out.codes(), ["domain.spf.missing", "domain.dmarc.missing"]);
        let actions: Vec<String> = out.actions.iter().map(|a| a.command.clone().unwrap_or_default()).collect();
        assert!(actions.contains(&"dig @127.0.0.1 -p 5353 +short TXT _dmarc.example.test".to_string()), "{actions:?}");
        let out = diagnose(&check(), &observed(mx(), &["v=spf1 -all", "v=spf1 mx -all"], &["v=DMARC1; p=none"]));
        assert_eq!((out.status, out.codes()), (Status::Fail, vec!["domain.spf.multiple", "domain.dmarc.policy_none"]));
        let out = diagnose(&check(), &observed(mx(), &["v=spf1 ip4:300.1.1.1 -all"], &["v=DMARC1; p=bogus"]));
        assert_eq!(out.codes(), ["domain.spf.syntax", "domain.dmarc.invalid"]);
    }

    #[test]
    fn the_relay_is_added_to_the_published_spf_record() {
        assert_eq!(
            with_relay("v=spf1 ip4:192.0.2.0/24 -all", "v=spf1 ip4:127.0.0.25 ~all"),
            "v=spf1 ip4:127.0.0.25 ip4:192.0.2.0/24 -all"
        );
        assert_eq!(with_relay("v=spf1", "v=spf1 mx ~all"), "v=spf1 mx ~all");
    }

    #[test]
    fn a_server_without_answer_is_not_a_missing_record() {
        let out = diagnose(
            &check(),
            &Observed { txt: None, dmarc: None, ..observed(Answer::Failed(Failure::Timeout), &[], &[]) },
        );
        assert_eq!((out.status, out.codes()), (Status::Fail, vec!["domain.dns.no_answer"]));
        let out = diagnose(&check(), &Observed { txt: None, dmarc: None, ..observed(Answer::NoSuchName, &[], &[]) });
        assert_eq!(out.codes(), ["domain.not_found"]);
    }

    #[test]
    fn ses_tokens_without_their_cnames_fail_when_ses_sends() {
        use super::super::observe::SesIdentity;
        let mut c = check();
        c.ses_provider = true;
        let mut seen = observed(mx(), &["v=spf1 include:amazonses.com ~all"], &["v=DMARC1; p=reject"]);
        let identity = SesIdentity { tokens: vec!["tok1".into(), "tok2".into()], ..SesIdentity::default() };
        seen.ses = Some(Ses {
            identity: Ok(identity),
            dkim: vec![
                ("tok1".into(), Answer::Records(vec!["tok1.dkim.amazonses.com".into()])),
                ("tok2".into(), Answer::NoSuchName),
            ],
            mail_from: None,
            region: "eu-west-1".into(),
        });
        let out = diagnose(&c, &seen);
        assert_eq!((out.status, out.codes()), (Status::Fail, vec!["domain.ses.dkim_unpublished"]));
        assert!(
            out.actions[0].text.contains("tok2._domainkey.example.test. CNAME tok2.dkim.amazonses.com."),
            "{:?}",
            out.actions
        );
    }
}
