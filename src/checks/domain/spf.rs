//! SPF (RFC 7208): the record parsed, and `check_host()` evaluated for one
//! address with the mechanisms a sender domain uses (`ip4`, `ip6`, `a`,
//! `mx`, `include`, `exists`, `redirect=`, `all`), counting DNS-querying
//! terms against the limit of 10 (section 4.6.4). Macros other than
//! `%{d}`, `%{i}`, `%{s}`, `%{l}`, `%{o}` and `%{h}` are not expanded: such a
//! term makes the result "unknown", never a pass.

use super::dns::{Answer, Dns};
use crate::check::Context;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

/// DNS-querying terms one evaluation may use (RFC 7208 4.6.4).
pub const LOOKUP_LIMIT: usize = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Qualifier {
    Pass,
    Fail,
    SoftFail,
    Neutral,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mechanism {
    All,
    Include(String),
    A { domain: Option<String>, v4: u8, v6: u8 },
    Mx { domain: Option<String>, v4: u8, v6: u8 },
    Ptr(Option<String>),
    Ip(IpAddr, u8),
    Exists(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub terms: Vec<(Qualifier, Mechanism)>,
    pub redirect: Option<String>,
}

impl Record {
    /// Whether `include:<domain>` is one of the record's own terms.
    pub fn includes(&self, domain: &str) -> bool {
        self.terms.iter().any(|(_, m)| matches!(m, Mechanism::Include(d) if d.eq_ignore_ascii_case(domain)))
    }
}

/// Whether a TXT string is an SPF record at all (RFC 7208 4.5).
pub fn is_spf(text: &str) -> bool {
    let lower = text.trim_start().to_ascii_lowercase();
    lower == "v=spf1" || lower.starts_with("v=spf1 ")
}

pub fn parse(text: &str) -> Result<Record, String> {
    let mut words = text.split_ascii_whitespace();
    if !words.next().is_some_and(|v| v.eq_ignore_ascii_case("v=spf1")) {
        return Err("it does not start with v=spf1".into());
    }
    let mut record = Record { terms: Vec::new(), redirect: None };
    for word in words {
        if let Some((name, value)) = modifier(word) {
            match name.to_ascii_lowercase().as_str() {
                "redirect" if record.redirect.is_some() => return Err("redirect= appears twice".into()),
                "redirect" => record.redirect = Some(domain_spec(value, word)?),
                // exp= and unknown modifiers do not change the result.
                _ => {}
            }
            continue;
        }
        let (qualifier, rest) = match word.chars().next() {
            Some('+') => (Qualifier::Pass, &word[1..]),
            Some('-') => (Qualifier::Fail, &word[1..]),
            Some('~') => (Qualifier::SoftFail, &word[1..]),
            Some('?') => (Qualifier::Neutral, &word[1..]),
            _ => (Qualifier::Pass, word),
        };
        record.terms.push((qualifier, mechanism(rest, word)?));
    }
    Ok(record)
}

/// `name=value` where name is ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ).
fn modifier(word: &str) -> Option<(&str, &str)> {
    let (name, value) = word.split_once('=')?;
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    valid.then_some((name, value))
}

fn mechanism(text: &str, word: &str) -> Result<Mechanism, String> {
    let (name, arg) = match text.find([':', '/']) {
        Some(at) => (&text[..at], Some(&text[at..])),
        None => (text, None),
    };
    let unknown = || format!("`{word}` is not an SPF mechanism");
    match (name.to_ascii_lowercase().as_str(), arg) {
        ("all", None) => Ok(Mechanism::All),
        ("include", Some(arg)) => Ok(Mechanism::Include(domain_spec(colon_value(arg, word)?, word)?)),
        ("exists", Some(arg)) => Ok(Mechanism::Exists(domain_spec(colon_value(arg, word)?, word)?)),
        ("ptr", None) => Ok(Mechanism::Ptr(None)),
        ("ptr", Some(arg)) => Ok(Mechanism::Ptr(Some(domain_spec(colon_value(arg, word)?, word)?))),
        ("a" | "mx", arg) => {
            let (domain, v4, v6) = domain_and_cidr(arg.unwrap_or(""), word)?;
            Ok(if name.eq_ignore_ascii_case("a") {
                Mechanism::A { domain, v4, v6 }
            } else {
                Mechanism::Mx { domain, v4, v6 }
            })
        }
        ("ip4", Some(arg)) => ip(colon_value(arg, word)?, true, word),
        ("ip6", Some(arg)) => ip(colon_value(arg, word)?, false, word),
        _ => Err(unknown()),
    }
}

fn colon_value<'a>(arg: &'a str, word: &str) -> Result<&'a str, String> {
    arg.strip_prefix(':').filter(|v| !v.is_empty()).ok_or_else(|| format!("`{word}` lacks its value after `:`"))
}

fn ip(value: &str, v4: bool, word: &str) -> Result<Mechanism, String> {
    let (address, length) = match value.split_once('/') {
        Some((address, length)) => (address, Some(length)),
        None => (value, None),
    };
    let bad = || format!("`{word}` is not a valid {} network", if v4 { "IPv4" } else { "IPv6" });
    let address: IpAddr = address.parse().map_err(|_| bad())?;
    if address.is_ipv4() != v4 {
        return Err(bad());
    }
    let max = if v4 { 32 } else { 128 };
    let length = match length {
        Some(text) => text.parse::<u8>().ok().filter(|l| *l <= max).ok_or_else(bad)?,
        None => max,
    };
    Ok(Mechanism::Ip(address, length))
}

/// `[:domain][/cidr4][//cidr6]` of `a` and `mx`.
fn domain_and_cidr(arg: &str, word: &str) -> Result<(Option<String>, u8, u8), String> {
    let (domain_part, cidr) = match arg.find('/') {
        Some(at) => (&arg[..at], &arg[at..]),
        None => (arg, ""),
    };
    let domain = match domain_part {
        "" => None,
        text => Some(domain_spec(colon_value(text, word)?, word)?),
    };
    let bad = || format!("`{word}` has an invalid prefix length");
    let (v4, v6) = match cidr {
        "" => (32, 128),
        text => {
            let (v4_text, v6_text) = match text.split_once("//") {
                Some((v4, v6)) => (v4, Some(v6)),
                None => (text, None),
            };
            let v4 = match v4_text.strip_prefix('/') {
                Some(n) => n.parse::<u8>().ok().filter(|l| *l <= 32).ok_or_else(bad)?,
                None if v4_text.is_empty() => 32,
                None => return Err(bad()),
            };
            let v6 = match v6_text {
                Some(n) => n.parse::<u8>().ok().filter(|l| *l <= 128).ok_or_else(bad)?,
                None => 128,
            };
            (v4, v6)
        }
    };
    Ok((domain, v4, v6))
}

fn domain_spec(value: &str, word: &str) -> Result<String, String> {
    let ok = !value.is_empty()
        && value.chars().all(|c| c.is_ascii_graphic() && c != '/')
        && (value.contains('%') || value.trim_end_matches('.').contains('.'));
    if ok {
        Ok(value.trim_end_matches('.').to_ascii_lowercase())
    } else {
        Err(format!("`{word}` does not name a domain"))
    }
}

/// The result of `check_host()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    SoftFail,
    Neutral,
    /// No SPF record at a domain the evaluation reached.
    None(String),
    /// The record (or one it reached) is broken; `limit` when the lookup limit was passed.
    PermError {
        why: String,
        limit: bool,
    },
    /// A DNS failure on the way; the answer is not known.
    TempError(String),
    /// A term kbz-check does not evaluate (a macro, `ptr`) was reached.
    Unknown(String),
}

impl Verdict {
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::SoftFail => "softfail",
            Verdict::Neutral => "neutral",
            Verdict::None(_) => "none",
            Verdict::PermError { .. } => "permerror",
            Verdict::TempError(_) => "temperror",
            Verdict::Unknown(_) => "not evaluated",
        }
    }
}

/// One evaluation's state: the sender and its address, lookups used.
pub struct Evaluation<'a> {
    pub dns: &'a Dns,
    pub ctx: &'a Context,
    pub ip: IpAddr,
    /// The sender address (MAIL FROM), for macros.
    pub sender: String,
    lookups: usize,
}

type Boxed<'a> = Pin<Box<dyn Future<Output = Verdict> + Send + 'a>>;

impl<'a> Evaluation<'a> {
    pub fn new(dns: &'a Dns, ctx: &'a Context, ip: IpAddr, sender: String) -> Self {
        Evaluation { dns, ctx, ip, sender, lookups: 0 }
    }

    /// DNS-querying terms used so far.
    pub fn lookups(&self) -> usize {
        self.lookups
    }

    /// `check_host()` of the record already fetched for `domain`.
    pub fn record<'b>(&'b mut self, domain: &'b str, record: &'b Record) -> Boxed<'b>
    where
        'a: 'b,
    {
        Box::pin(async move {
            for (qualifier, mechanism) in &record.terms {
                match self.matches(domain, mechanism).await {
                    Ok(true) => {
                        return match qualifier {
                            Qualifier::Pass => Verdict::Pass,
                            Qualifier::Fail => Verdict::Fail,
                            Qualifier::SoftFail => Verdict::SoftFail,
                            Qualifier::Neutral => Verdict::Neutral,
                        }
                    }
                    Ok(false) => {}
                    Err(verdict) => return verdict,
                }
            }
            match &record.redirect {
                Some(target) => {
                    let target = match self.expand(target, domain) {
                        Ok(target) => target,
                        Err(verdict) => return verdict,
                    };
                    if let Err(verdict) = self.count() {
                        return verdict;
                    }
                    match self.domain(&target).await {
                        // A redirect to a domain without SPF is a permerror (RFC 7208 6.1).
                        Verdict::None(why) => Verdict::PermError { why, limit: false },
                        other => other,
                    }
                }
                None => Verdict::Neutral,
            }
        })
    }

    /// `check_host()` of `domain`: its record fetched, then evaluated.
    pub fn domain<'b>(&'b mut self, domain: &'b str) -> Boxed<'b>
    where
        'a: 'b,
    {
        Box::pin(async move {
            let records = match self.dns.txt(domain, self.ctx).await {
                Answer::Records(texts) => texts.into_iter().filter(|t| is_spf(t)).collect::<Vec<_>>(),
                Answer::NoSuchName | Answer::NoData => Vec::new(),
                Answer::Failed(failure) => {
                    return Verdict::TempError(format!("TXT {domain}: {}", failure.describe()));
                }
            };
            match records.as_slice() {
                [] => Verdict::None(format!("{domain} has no SPF record")),
                [one] => match parse(one) {
                    Ok(record) => self.record(domain, &record).await,
                    Err(why) => Verdict::PermError { why: format!("{domain}'s SPF record: {why}"), limit: false },
                },
                _ => Verdict::PermError { why: format!("{domain} has {} SPF records", records.len()), limit: false },
            }
        })
    }

    fn count(&mut self) -> Result<(), Verdict> {
        self.lookups += 1;
        if self.lookups > LOOKUP_LIMIT {
            return Err(Verdict::PermError {
                why: format!("more than {LOOKUP_LIMIT} DNS-querying terms (include, a, mx, ptr, exists, redirect)"),
                limit: true,
            });
        }
        Ok(())
    }

    async fn matches(&mut self, domain: &str, mechanism: &Mechanism) -> Result<bool, Verdict> {
        match mechanism {
            Mechanism::All => Ok(true),
            Mechanism::Ip(network, length) => Ok(in_network(self.ip, *network, *length)),
            Mechanism::Include(target) => {
                self.count()?;
                let target = self.expand(target, domain)?;
                match self.domain(&target).await {
                    Verdict::Pass => Ok(true),
                    Verdict::Fail | Verdict::SoftFail | Verdict::Neutral => Ok(false),
                    // An include of a domain without SPF is a permerror (RFC 7208 5.2).
                    Verdict::None(why) => {
                        Err(Verdict::PermError { why: format!("include:{target}: {why}"), limit: false })
                    }
                    other => Err(other),
                }
            }
            Mechanism::A { domain: target, v4, v6 } => {
                self.count()?;
                let target = self.expand(target.as_deref().unwrap_or(domain), domain)?;
                self.any_address(&target, *v4, *v6).await
            }
            Mechanism::Mx { domain: target, v4, v6 } => {
                self.count()?;
                let target = self.expand(target.as_deref().unwrap_or(domain), domain)?;
                let exchanges = match self.dns.mx(&target, self.ctx).await {
                    Answer::Records(records) => records,
                    Answer::NoSuchName | Answer::NoData => return Ok(false),
                    Answer::Failed(failure) => {
                        return Err(Verdict::TempError(format!("MX {target}: {}", failure.describe())))
                    }
                };
                if exchanges.len() > 10 {
                    return Err(Verdict::PermError {
                        why: format!("MX {target} has more than 10 exchanges"),
                        limit: true,
                    });
                }
                for mx in exchanges.iter().filter(|mx| mx.exchange != ".") {
                    if self.any_address(&mx.exchange, *v4, *v6).await? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Mechanism::Exists(target) => {
                self.count()?;
                let target = self.expand(target, domain)?;
                match self.dns.addresses(&target, self.ctx).await {
                    Answer::Records(_) => Ok(true),
                    Answer::NoSuchName | Answer::NoData => Ok(false),
                    Answer::Failed(failure) => Err(Verdict::TempError(format!("A {target}: {}", failure.describe()))),
                }
            }
            Mechanism::Ptr(_) => {
                self.count()?;
                Err(Verdict::Unknown(
                    "the record uses ptr, which RFC 7208 says not to use and kbz-check does not evaluate".into(),
                ))
            }
        }
    }

    async fn any_address(&mut self, name: &str, v4: u8, v6: u8) -> Result<bool, Verdict> {
        match self.dns.addresses(name, self.ctx).await {
            Answer::Records(addresses) => Ok(addresses.iter().any(|address| {
                let length = if address.is_ipv4() { v4 } else { v6 };
                in_network(self.ip, *address, length)
            })),
            Answer::NoSuchName | Answer::NoData => Ok(false),
            Answer::Failed(failure) => Err(Verdict::TempError(format!("A/AAAA {name}: {}", failure.describe()))),
        }
    }

    /// The simple macros (RFC 7208 7.3) without transformers.
    fn expand(&self, spec: &str, domain: &str) -> Result<String, Verdict> {
        if !spec.contains('%') {
            return Ok(spec.to_string());
        }
        let (local, sender_domain) = self.sender.rsplit_once('@').unwrap_or(("postmaster", self.sender.as_str()));
        let ip = match self.ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => v6
                .octets()
                .iter()
                .flat_map(|b| [b >> 4, b & 15])
                .map(|n| format!("{n:x}"))
                .collect::<Vec<_>>()
                .join("."),
        };
        let mut out = spec.to_string();
        for (token, value) in [
            ("%{d}", domain),
            ("%{i}", ip.as_str()),
            ("%{s}", self.sender.as_str()),
            ("%{l}", local),
            ("%{o}", sender_domain),
            ("%{h}", sender_domain),
            ("%%", "%"),
            ("%_", " "),
            ("%-", "%20"),
        ] {
            out = out.replace(token, value);
        }
        if out.contains("%{") {
            return Err(Verdict::Unknown(format!("`{spec}` uses a macro kbz-check does not expand")));
        }
        Ok(out)
    }
}

fn in_network(ip: IpAddr, network: IpAddr, length: u8) -> bool {
    match (ip, network) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = if length == 0 { 0 } else { u32::MAX << (32 - u32::from(length.min(32))) };
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = if length == 0 { 0 } else { u128::MAX << (128 - u32::from(length.min(128))) };
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_mechanisms_a_sender_domain_uses() {
        let record = parse("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx:mail.example.test/28 include:amazonses.com ~all exp=explain.example.test").unwrap();
        assert_eq!(record.terms.len(), 6);
        assert_eq!(record.terms[0], (Qualifier::Pass, Mechanism::Ip("192.0.2.0".parse().unwrap(), 24)));
        assert_eq!(record.terms[2], (Qualifier::Pass, Mechanism::A { domain: None, v4: 32, v6: 128 }));
        assert_eq!(
            record.terms[3],
            (Qualifier::Pass, Mechanism::Mx { domain: Some("mail.example.test".into()), v4: 28, v6: 128 })
        );
        assert!(record.includes("amazonses.com"));
        assert_eq!(record.terms[5], (Qualifier::SoftFail, Mechanism::All));
        assert_eq!(parse("v=spf1 redirect=_spf.example.test").unwrap().redirect.as_deref(), Some("_spf.example.test"));
    }

    #[test]
    fn syntax_errors_name_the_term() {
        for (text, says) in [
            ("v=spf1 ip4:192.0.2.300 -all", "ip4:192.0.2.300"),
            ("v=spf1 ip4:192.0.2.0/33", "ip4:192.0.2.0/33"),
            ("v=spf1 include: -all", "include:"),
            ("v=spf1 inclde:example.test -all", "inclde:example.test"),
            ("v=spf1 a/40", "a/40"),
            ("v=spf1 redirect=a.example.test redirect=b.example.test", "twice"),
            ("spf1 -all", "v=spf1"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(says), "{text}: {err}");
        }
    }

    #[test]
    fn networks_match_by_prefix() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(in_network(ip("192.0.2.77"), ip("192.0.2.0"), 24));
        assert!(!in_network(ip("192.0.3.1"), ip("192.0.2.0"), 24));
        assert!(in_network(ip("198.51.100.1"), ip("0.0.0.0"), 0));
        assert!(in_network(ip("2001:db8::1"), ip("2001:db8::"), 32));
        assert!(!in_network(ip("2001:db8::1"), ip("192.0.2.0"), 0));
    }

    #[test]
    fn spf_records_are_told_from_other_txt() {
        assert!(
            is_spf("v=spf1 -all")
                && is_spf("V=SPF1")
                && !is_spf("v=spf10 -all")
                && !is_spf("google-site-verification=x")
        );
    }
}
