//! DMARC (RFC 7489) and DKIM key (RFC 6376 3.6.1) records: both are
//! `tag=value; ...` lists, parsed here for what the check reports.

/// `tag=value` pairs in order, tags lower-cased, values trimmed.
fn tag_list(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut tags: Vec<(String, String)> = Vec::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((tag, value)) = part.split_once('=') else {
            return Err(format!("`{part}` is not tag=value"));
        };
        let tag = tag.trim().to_ascii_lowercase();
        if tags.iter().any(|(seen, _)| *seen == tag) {
            return Err(format!("the tag {tag} appears twice"));
        }
        tags.push((tag, value.trim().to_string()));
    }
    Ok(tags)
}

fn value<'a>(tags: &'a [(String, String)], tag: &str) -> Option<&'a str> {
    tags.iter().find(|(t, _)| t == tag).map(|(_, v)| v.as_str())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    None,
    Quarantine,
    Reject,
}

impl Policy {
    fn parse(text: &str) -> Option<Policy> {
        match text.to_ascii_lowercase().as_str() {
            "none" => Some(Policy::None),
            "quarantine" => Some(Policy::Quarantine),
            "reject" => Some(Policy::Reject),
            _ => None,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Policy::None => "none",
            Policy::Quarantine => "quarantine",
            Policy::Reject => "reject",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dmarc {
    pub policy: Policy,
    pub subdomain_policy: Option<Policy>,
    /// `r` (relaxed, the default) or `s` (strict).
    pub dkim_alignment: char,
    pub spf_alignment: char,
    pub percent: u8,
    pub reports_to: Vec<String>,
}

impl Dmarc {
    /// `p=reject, adkim=r, aspf=r, rua=mailto:…`
    pub fn describe(&self) -> String {
        let mut text = format!("p={}", self.policy.word());
        if let Some(sp) = self.subdomain_policy {
            text.push_str(&format!(", sp={}", sp.word()));
        }
        text.push_str(&format!(", adkim={}, aspf={}", self.dkim_alignment, self.spf_alignment));
        if self.percent != 100 {
            text.push_str(&format!(", pct={}", self.percent));
        }
        match self.reports_to.is_empty() {
            true => text.push_str(", no rua (no aggregate reports)"),
            false => text.push_str(&format!(", rua={}", self.reports_to.join(","))),
        }
        text
    }
}

/// Whether a TXT string at `_dmarc.` claims to be a DMARC record.
pub fn is_dmarc(text: &str) -> bool {
    text.trim_start().get(..8).is_some_and(|head| head.eq_ignore_ascii_case("v=DMARC1"))
}

pub fn parse_dmarc(text: &str) -> Result<Dmarc, String> {
    let tags = tag_list(text)?;
    if !tags.first().is_some_and(|(tag, v)| tag == "v" && v.eq_ignore_ascii_case("DMARC1")) {
        return Err("it does not start with v=DMARC1".into());
    }
    let policy = match value(&tags, "p") {
        Some(p) => Policy::parse(p).ok_or_else(|| format!("p={p} is not none, quarantine or reject"))?,
        None => return Err("it has no p= tag (the policy)".into()),
    };
    let subdomain_policy = match value(&tags, "sp") {
        Some(sp) => Some(Policy::parse(sp).ok_or_else(|| format!("sp={sp} is not none, quarantine or reject"))?),
        None => None,
    };
    let alignment = |tag: &str| match value(&tags, tag).map(str::to_ascii_lowercase).as_deref() {
        None | Some("r") => Ok('r'),
        Some("s") => Ok('s'),
        Some(other) => Err(format!("{tag}={other} is not r or s")),
    };
    let percent = match value(&tags, "pct") {
        Some(pct) => {
            pct.parse::<u8>().ok().filter(|p| *p <= 100).ok_or_else(|| format!("pct={pct} is not 0 to 100"))?
        }
        None => 100,
    };
    let reports_to = value(&tags, "rua")
        .map(|rua| rua.split(',').map(|u| u.trim().to_string()).filter(|u| !u.is_empty()).collect())
        .unwrap_or_default();
    Ok(Dmarc {
        policy,
        subdomain_policy,
        dkim_alignment: alignment("adkim")?,
        spf_alignment: alignment("aspf")?,
        percent,
        reports_to,
    })
}

/// A DKIM key record's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DkimKey {
    /// A public key of `kind` (`rsa` unless `k=` says otherwise).
    Key { kind: String, length: usize },
    /// `p=` empty: the key was revoked (RFC 6376 3.6.1).
    Revoked,
}

pub fn parse_dkim(text: &str) -> Result<DkimKey, String> {
    let tags = tag_list(text)?;
    if let Some(v) = value(&tags, "v") {
        if !v.eq_ignore_ascii_case("DKIM1") || tags[0].0 != "v" {
            return Err(format!("v={v}: a DKIM key record starts with v=DKIM1, if it has v= at all"));
        }
    }
    let kind = value(&tags, "k").unwrap_or("rsa").to_ascii_lowercase();
    match value(&tags, "p") {
        None => Err("it has no p= tag (the public key)".into()),
        Some("") => Ok(DkimKey::Revoked),
        Some(p) => {
            let key: String = p.chars().filter(|c| !c.is_whitespace()).collect();
            if !key.chars().all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c)) {
                return Err("p= is not base64".into());
            }
            Ok(DkimKey::Key { kind, length: key.len() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dmarc_records_with_their_defaults() {
        let d = parse_dmarc("v=DMARC1; p=reject; rua=mailto:dmarc@example.test").unwrap();
        assert_eq!((d.policy, d.dkim_alignment, d.percent), (Policy::Reject, 'r', 100));
        assert_eq!(d.describe(), "p=reject, adkim=r, aspf=r, rua=mailto:dmarc@example.test");
        let d = parse_dmarc("v=DMARC1;p=none;sp=quarantine;aspf=s;pct=50").unwrap();
        assert_eq!(d.describe(), "p=none, sp=quarantine, adkim=r, aspf=s, pct=50, no rua (no aggregate reports)");
        for (bad, says) in [
            ("v=DMARC1; p=block", "p=block"),
            ("v=DMARC1; rua=mailto:a@example.test", "no p="),
            ("p=reject; v=DMARC1", "v=DMARC1"),
            ("v=DMARC1; p=none; p=reject", "twice"),
            ("v=DMARC1; p=none; pct=150", "pct=150"),
        ] {
            assert!(parse_dmarc(bad).unwrap_err().contains(says), "{bad}");
        }
        assert!(is_dmarc("v=DMARC1; p=none") && !is_dmarc("v=spf1 -all"));
    }

    #[test]
    fn dkim_keys_present_revoked_or_broken() {
        assert_eq!(
            parse_dkim("v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC1").unwrap(),
            DkimKey::Key { kind: "rsa".into(), length: 40 }
        );
        assert_eq!(parse_dkim("v=DKIM1; p=").unwrap(), DkimKey::Revoked);
        assert!(parse_dkim("v=DKIM1; k=rsa").unwrap_err().contains("no p="));
        assert!(parse_dkim("k=rsa; v=DKIM1; p=AAAA").unwrap_err().contains("v=DKIM1"));
    }
}
