//! Scrubs known secret values, in every form they take, out of any text
//! before it is shown: the last line of defence for messages built by
//! libraries and for what servers echo back.
//!
//! Two rules beyond plain replacement:
//! - A cut (`…`, or a field's end) may fall inside a secret: a trailing
//!   prefix of a secret form left there is masked too (unless a setting
//!   shows that text anyway), so redaction holds whatever was truncated
//!   first and wherever.
//! - A weak secret (short, a common word, only digits, or found inside a
//!   non-secret setting) is not scrubbed from free text, where its mask
//!   would point at it ("127.0.0.1:***#1a2b"); it stays masked where it is
//!   shown as a setting, and the configuration warns about it.

use super::{dsn, forms, mask};

/// Secrets shorter than this are weak.
pub const MIN_STRONG_CHARS: usize = 8;
/// The shortest trailing fragment at a cut that is masked as a secret's start.
const MIN_CUT_PREFIX: usize = 3;
/// Values people and images ship as passwords, and words any report prints.
const COMMON: &[&str] = &[
    "password",
    "passw0rd",
    "changeme",
    "changeit",
    "postgres",
    "postgresql",
    "secret",
    "admin",
    "administrator",
    "root",
    "smtp",
    "vault",
    "default",
    "welcome",
    "letmein",
    "qwertyuiop",
    "example",
    "localhost",
    "guest",
];

/// Why a secret is weak, as a warning says it.
pub fn weakness(value: &str) -> Option<&'static str> {
    let value = value.trim();
    if value.chars().count() < MIN_STRONG_CHARS {
        Some("is shorter than 8 characters")
    } else if value.chars().all(|c| c.is_ascii_digit()) {
        Some("is only digits, like the numbers a report shows")
    } else if COMMON.iter().any(|w| value.eq_ignore_ascii_case(w)) {
        Some("is a common word")
    } else {
        None
    }
}

#[derive(Clone, Debug)]
struct Entry {
    /// The value the forms derive from (trimmed, decoded...).
    base: String,
    mask: String,
    needles: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Redactor {
    entries: Vec<Entry>,
    /// Every needle with its mask, longest first.
    flat: Vec<(String, String)>,
    /// Values of the settings that are not secrets (hosts, users, ports).
    plain: Vec<String>,
    /// Where each secret came from: (variable or setting, value).
    sources: Vec<(String, String)>,
    /// Warnings met while reading secrets (a password file ignored), never
    /// holding a value; [`Redactor::settle`] hands them on.
    notices: Vec<String>,
}

impl Redactor {
    /// Registers a secret and the forms it takes; weak values are left out.
    pub fn add(&mut self, secret: &super::Secret) {
        let value = secret.expose();
        for base in forms::bases(value) {
            if weakness(&base).is_some() || self.entries.iter().any(|e| e.base == base) {
                continue;
            }
            // A decoded form is fingerprinted as itself, as `mask_dsn` shows a URL's password.
            let decoded = base != value && base != value.trim();
            let shown = if decoded { mask(&base) } else { secret.masked() };
            self.entries.push(Entry { needles: forms::forms(&base), base, mask: shown });
        }
        self.rebuild();
    }

    /// HTTP Basic auth sends base64 of `user:password` (also its decoded form).
    pub fn add_basic_auth(&mut self, user: &str, password: &super::Secret) {
        if weakness(password.expose()).is_some() {
            return;
        }
        for user in forms::bases(user) {
            for pass in forms::bases(password.expose()) {
                let pair = format!("{user}:{pass}");
                if !self.entries.iter().any(|e| e.base == pair) {
                    let needles = forms::base64_forms(pair.as_bytes());
                    self.entries.push(Entry { base: pair, mask: password.masked(), needles });
                }
            }
        }
        self.rebuild();
    }

    /// A non-secret setting's value: a secret found inside one is weak.
    pub fn note_plain(&mut self, value: &str) {
        if !value.trim().is_empty() {
            self.plain.push(value.to_string());
        }
    }

    /// Where a secret value came from, to name it in a warning.
    pub fn note_source(&mut self, name: &str, value: &str) {
        self.sources.push((name.to_string(), value.to_string()));
    }

    /// A warning about where secrets are read from, shown once with the others.
    pub fn warn(&mut self, warning: impl Into<String>) {
        let warning = warning.into();
        if !self.notices.contains(&warning) {
            self.notices.push(warning);
        }
    }

    /// Drops the secrets found inside non-secret settings, and says, by name
    /// and never by value, which secrets are weak and why.
    pub fn settle(&mut self) -> Vec<String> {
        let plain = self.plain.clone();
        let inside_plain = |value: &str| plain.iter().any(|p| p.contains(value.trim()));
        self.entries.retain(|e| !inside_plain(&e.base));
        self.rebuild();
        let mut warnings: Vec<String> = self.notices.clone();
        for (name, value) in &self.sources {
            let reason = weakness(value)
                .or_else(|| inside_plain(value).then_some("also occurs in a setting that is not secret"));
            if let Some(reason) = reason {
                let warning = format!(
                    "{name}: the secret {reason}: it is masked where it is shown as a setting, but not scrubbed from \
                     server text, where a mask would point at it; use a longer, random secret"
                );
                if !warnings.contains(&warning) {
                    warnings.push(warning);
                }
            }
        }
        warnings
    }

    fn rebuild(&mut self) {
        self.flat = self.entries.iter().flat_map(|e| e.needles.iter().map(|n| (n.clone(), e.mask.clone()))).collect();
        self.flat.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
        self.flat.dedup_by(|a, b| a.0 == b.0);
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = mask_urls(text);
        for (needle, masked) in &self.flat {
            if out.contains(needle.as_str()) {
                out = out.replace(needle.as_str(), masked);
            }
        }
        self.mask_cut_prefixes(&mut out);
        out
    }

    /// Masks the start of a secret form left just before a `…` or at the
    /// end of the text (after closing quotes or brackets), where a cut fell.
    fn mask_cut_prefixes(&self, text: &mut String) {
        let mut anchors: Vec<usize> = text.match_indices('…').map(|(at, _)| at).collect();
        anchors.push(text.trim_end_matches(|c: char| c.is_whitespace() || "\"'`)]}>".contains(c)).len());
        // `…` may start a line of its own after the cut (`\n… (more than 64 KiB`).
        let mut anchors: Vec<usize> = anchors.into_iter().map(|at| text[..at].trim_end().len()).collect();
        anchors.sort_unstable();
        anchors.dedup();
        for &anchor in anchors.iter().rev() {
            let before = &text[..anchor];
            let longest = self
                .flat
                .iter()
                .filter_map(|(needle, masked)| {
                    // Cheap test first: the needle's first characters must be near the end.
                    let start = needle.char_indices().nth(MIN_CUT_PREFIX).map_or(needle.len(), |(i, _)| i);
                    let from = (before.len().saturating_sub(needle.len())..).find(|i| before.is_char_boundary(*i))?;
                    if !before[from..].contains(&needle[..start]) {
                        return None;
                    }
                    let cuts = needle.char_indices().map(|(i, _)| i).skip(MIN_CUT_PREFIX);
                    cuts.filter(|&end| before.ends_with(&needle[..end])).max().map(|end| (end, masked))
                })
                // Text a setting shows anyway (a user, a host) is not a secret's start to hide:
                // masking it would point at the secret.
                .filter(|(end, _)| !self.plain.iter().any(|p| p.contains(&before[anchor - end..])))
                .max_by_key(|(end, _)| *end);
            if let Some((len, masked)) = longest {
                let masked = masked.clone();
                text.replace_range(anchor - len..anchor, &masked);
            }
        }
    }
}

/// Masks the password of every `scheme://user:password@host` in free text,
/// secret known or not (a weak one included): the userinfo ends at the last
/// `@` of the word.
fn mask_urls(text: &str) -> String {
    if !text.contains("://") {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let scheme_char = |c: char| c.is_ascii_alphanumeric() || "+.-".contains(c);
        let start =
            rest[..at].char_indices().rev().find(|(_, c)| !scheme_char(*c)).map_or(0, |(i, c)| i + c.len_utf8());
        let end = rest[at..].find(char::is_whitespace).map_or(rest.len(), |i| at + i);
        out.push_str(&rest[..start]);
        // Already masked (a target) or a placeholder to fill in (a suggested URL) stays as it is.
        let placeholder =
            |p: &str| p.starts_with("***") || p.starts_with("${") || (p.starts_with('<') && p.ends_with('>'));
        let masked = |p: &str| if placeholder(p) { p.to_string() } else { mask(p) };
        out.push_str(&dsn::rewrite_password(&rest[start..end], masked));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use crate::test_strategies::{any_text, config};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(config())]

        /// Any text, any secret: no panic, and a strong secret placed
        /// anywhere in the text, then cut anywhere after its fourth
        /// character, never shows its start.
        #[test]
        fn redaction_takes_any_text_and_holds_across_a_cut(
            text in any_text(),
            secret in "[A-Za-z0-9]{8,12}[ -~]{0,8}",
            at in 0usize..64,
            keep in 4usize..20,
        ) {
            let mut r = Redactor::default();
            r.add(&Secret::new(secret.clone()));
            r.add(&Secret::new(text.clone()));
            let _ = r.redact(&text);
            let _ = mask_urls(&text);
            let at = (0..=at.min(text.len())).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
            let keep = keep.min(secret.len());
            let cut = format!("{}{}…", &text[..at], &secret[..keep]);
            let out = r.redact(&cut);
            prop_assert!(!out.contains(&secret[..4]) || text[..at].contains(&secret[..4]), "{cut:?} -> {out:?}");
        }
    }

    #[test]
    fn urls_in_free_text_lose_their_password_even_after_non_ascii() {
        assert_eq!(mask_urls("é://u:pw@h"), format!("é://u:{}@h", mask("pw")));
        assert_eq!(mask_urls("voir «http://u:p/w@h:1»"), format!("voir «http://u:{}@h:1»", mask("p/w")));
        for kept in ["DATABASE_URL=postgresql://app:***@h:5432/db", "http://u:<password>@h", "http://u:${PASS}@h"] {
            assert_eq!(mask_urls(kept), kept);
        }
    }
}
