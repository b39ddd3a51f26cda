//! Secret values and masking: a secret is shown as `***#3fa1`, where the
//! four hex digits fingerprint the value so two configs can be compared
//! without revealing it.

use percent_encoding::{percent_decode_str, utf8_percent_encode, NON_ALPHANUMERIC};
use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};
use std::fmt;

/// A value that must never be printed. Debug, Display and Serialize mask it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The real value, for the one place that needs it (a login, a signature).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.masked())
    }
}

/// `***#` and the first four hex digits of the value's SHA-256.
pub fn mask(value: &str) -> String {
    format!("***#{}", fingerprint(value))
}

pub fn fingerprint(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    format!("{:02x}{:02x}", digest[0], digest[1])
}

/// The password of a PostgreSQL connection string, URL (`postgresql://u:p@h/db`,
/// `?password=p`) or keyword/value (`host=h password=p`) form.
pub fn dsn_password(dsn: &str) -> Option<String> {
    let mut found = None;
    rewrite_dsn_password(dsn, |password| {
        found = Some(password.to_string());
        String::new()
    });
    found
}

/// The connection string with its password masked, in whichever form it has.
pub fn mask_dsn(dsn: &str) -> String {
    rewrite_dsn_password(dsn, mask)
}

/// Calls `replace` with each (decoded) password in `dsn` and splices in what
/// it returns. Works on the raw text so that an unparsable string still gets
/// masked rather than echoed.
fn rewrite_dsn_password(dsn: &str, mut replace: impl FnMut(&str) -> String) -> String {
    if let Some(scheme_end) = dsn.find("://") {
        let rest_start = scheme_end + 3;
        let rest = &dsn[rest_start..];
        let authority_len = rest.find(['/', '?']).unwrap_or(rest.len());
        let authority = &rest[..authority_len];
        let mut out = dsn[..rest_start].to_string();
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.find(':') {
                    Some(colon) => {
                        let password = percent_decode_str(&userinfo[colon + 1..]).decode_utf8_lossy();
                        out.push_str(&userinfo[..colon + 1]);
                        out.push_str(&replace(&password));
                    }
                    None => out.push_str(userinfo),
                }
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        let tail = &rest[authority_len..];
        match tail.find('?') {
            Some(q) => {
                out.push_str(&tail[..=q]);
                let params: Vec<String> = tail[q + 1..]
                    .split('&')
                    .map(|param| match param.split_once('=') {
                        Some(("password", value)) => {
                            format!("password={}", replace(&percent_decode_str(value).decode_utf8_lossy()))
                        }
                        _ => param.to_string(),
                    })
                    .collect();
                out.push_str(&params.join("&"));
            }
            None => out.push_str(tail),
        }
        return out;
    }
    rewrite_keyword_password(dsn, replace)
}

/// Keyword/value form: `password=value` or `password = 'quoted \' value'`.
fn rewrite_keyword_password(dsn: &str, mut replace: impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(dsn.len());
    let mut rest = dsn;
    while let Some(pos) = find_keyword(rest, "password") {
        let after_key = &rest[pos + "password".len()..];
        let trimmed = after_key.trim_start();
        let Some(after_eq) = trimmed.strip_prefix('=') else {
            out.push_str(&rest[..pos + "password".len()]);
            rest = after_key;
            continue;
        };
        let value_text = after_eq.trim_start();
        let value_start = rest.len() - value_text.len();
        let (value, consumed) = keyword_value(value_text);
        out.push_str(&rest[..value_start]);
        out.push_str(&replace(&value));
        rest = &value_text[consumed..];
    }
    out.push_str(rest);
    out
}

/// Position of `key` as a whole keyword (start of string or after whitespace).
fn find_keyword(text: &str, key: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = text[from..].find(key) {
        let pos = from + found;
        if pos == 0 || text[..pos].ends_with(char::is_whitespace) {
            return Some(pos);
        }
        from = pos + key.len();
    }
    None
}

/// A keyword value, quoted or bare: its unescaped text and the bytes it spans.
fn keyword_value(text: &str) -> (String, usize) {
    if let Some(quoted) = text.strip_prefix('\'') {
        let mut value = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        value.push(escaped);
                    }
                }
                '\'' => return (value, i + 2),
                _ => value.push(c),
            }
        }
        return (value, text.len());
    }
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    (text[..end].to_string(), end)
}

/// Scrubs known secret values out of any text before it is shown: the last
/// line of defence for messages built by libraries we do not control.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    needles: Vec<(String, String)>,
}

/// Shorter values are not scrubbed: replacing every `ab` in a report would
/// destroy it and protect little.
const MIN_REDACTED_LEN: usize = 4;

impl Redactor {
    pub fn add(&mut self, secret: &Secret) {
        let value = secret.expose();
        if value.chars().count() < MIN_REDACTED_LEN {
            return;
        }
        let masked = secret.masked();
        let encoded = utf8_percent_encode(value, NON_ALPHANUMERIC).to_string();
        for needle in [value.to_string(), encoded] {
            if !self.needles.iter().any(|(n, _)| *n == needle) {
                self.needles.push((needle, masked.clone()));
            }
        }
        // Longest first, so a secret containing another is replaced whole.
        self.needles.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (needle, masked) in &self.needles {
            if out.contains(needle.as_str()) {
                out = out.replace(needle.as_str(), masked);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_displays_its_value() {
        let s = Secret::new("hunter22");
        assert_eq!(format!("{s}"), mask("hunter22"));
        assert_eq!(format!("{s:?}"), mask("hunter22"));
        assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", mask("hunter22")));
        assert!(!format!("{s} {s:?}").contains("hunter22"));
    }

    #[test]
    fn fingerprint_is_stable_and_tells_values_apart() {
        assert_eq!(fingerprint("abc"), fingerprint("abc"));
        assert_ne!(fingerprint("abc"), fingerprint("abd"));
        assert_eq!(mask("abc").len(), "***#0000".len());
    }

    #[test]
    fn masks_url_password_with_fingerprint_of_decoded_value() {
        let masked = mask_dsn("postgresql://kb_backend:p%40ss@10.0.0.122:5432/keybuzz_backend");
        assert_eq!(masked, format!("postgresql://kb_backend:{}@10.0.0.122:5432/keybuzz_backend", mask("p@ss")));
    }

    #[test]
    fn masks_url_password_query_parameter_and_keeps_the_rest() {
        let masked = mask_dsn("postgres://u@h/db?sslmode=require&password=s3cret&x=1");
        assert_eq!(masked, format!("postgres://u@h/db?sslmode=require&password={}&x=1", mask("s3cret")));
    }

    #[test]
    fn url_without_password_is_unchanged() {
        assert_eq!(mask_dsn("postgresql://u@h:5432/db"), "postgresql://u@h:5432/db");
        assert_eq!(mask_dsn("postgresql://h/db"), "postgresql://h/db");
        assert_eq!(dsn_password("postgresql://u@h/db"), None);
    }

    #[test]
    fn masks_keyword_form_bare_and_quoted() {
        assert_eq!(mask_dsn("host=h password=s3cret user=u"), format!("host=h password={} user=u", mask("s3cret")));
        assert_eq!(
            mask_dsn("host=h password = 'it\\'s secret' user=u"),
            format!("host=h password = {} user=u", mask("it's secret"))
        );
        assert_eq!(dsn_password("host=h passwordfile=x"), None);
    }

    #[test]
    fn dsn_password_finds_decoded_password() {
        assert_eq!(dsn_password("postgresql://u:a%3Ab@h/db").as_deref(), Some("a:b"));
    }

    #[test]
    fn redactor_scrubs_raw_and_percent_encoded_forms() {
        let mut r = Redactor::default();
        r.add(&Secret::new("p@ss:word"));
        r.add(&Secret::new("ab"));
        let text = "url postgresql://u:p%40ss%3Aword@h and raw p@ss:word, short ab";
        let out = r.redact(text);
        assert!(!out.contains("p@ss:word") && !out.contains("p%40ss%3Aword"), "{out}");
        assert!(out.contains(&mask("p@ss:word")));
        assert!(out.contains("short ab"));
    }
}
