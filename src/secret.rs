//! Secret values and masking: a secret is shown as `***#3fa1`, where the
//! four hex digits fingerprint the value so two configs can be compared
//! without revealing it.

mod dsn;
mod forms;
mod redactor;

pub use dsn::url_user;
pub use redactor::{weakness, Redactor, MIN_STRONG_CHARS};
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
    dsn::rewrite_password(dsn, |password| {
        found.get_or_insert_with(|| password.to_string());
        String::new()
    });
    found
}

/// The connection string or URL with its password masked, in whichever form
/// it has; text that does not parse is masked from the doubtful part on.
pub fn mask_dsn(text: &str) -> String {
    dsn::rewrite_password(text, mask)
}

#[cfg(test)]
mod tests {
    use super::*;
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

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
    fn fingerprint_is_the_first_two_bytes_of_sha256() {
        // `printf abc | sha256sum` starts ba7816bf; `printf hunter2 | sha256sum` f52fbd32.
        assert_eq!(mask("abc"), "***#ba78");
        assert_eq!(mask("hunter2"), "***#f52f");
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

    const STRONG: &str = "Zq8vL2mxT p/ss?#@%:'\"\n";

    fn redactor_with(secret: &str) -> Redactor {
        let mut r = Redactor::default();
        r.add(&Secret::new(secret));
        r
    }

    fn assert_no_prefix(out: &str, secret: &str) {
        assert!(!out.contains(&secret[..4]), "{out}");
    }

    #[test]
    fn redactor_scrubs_every_form_a_secret_takes() {
        use base64::Engine as _;
        let r = redactor_with(STRONG);
        let trimmed = STRONG.trim();
        let b64 = base64::engine::general_purpose::STANDARD;
        let forms = [
            STRONG.to_string(),
            trimmed.to_string(),
            utf8_percent_encode(STRONG, NON_ALPHANUMERIC).to_string(),
            utf8_percent_encode(trimmed, NON_ALPHANUMERIC)
                .to_string()
                .split('%')
                .enumerate()
                .map(|(i, piece)| if i == 0 { piece.to_string() } else { piece[..2].to_lowercase() + &piece[2..] })
                .collect::<Vec<_>>()
                .join("%"),
            utf8_percent_encode(trimmed, NON_ALPHANUMERIC).to_string().replace("%20", "+"),
            b64.encode(trimmed),
            serde_json::to_string(trimmed).unwrap(),
            serde_json::to_string(STRONG).unwrap().replace('/', "\\/"),
            // As oauth's escaped_excerpt shows a body.
            STRONG.replace('\n', "\\n"),
            crate::human::one_line(STRONG),
        ];
        for form in forms {
            let out = r.redact(&format!("server said <{form}> to us"));
            assert!(out.contains(&mask(STRONG)), "{form:?} -> {out}");
            assert_no_prefix(&out, STRONG);
        }
    }

    #[test]
    fn redactor_scrubs_basic_auth_of_user_and_password() {
        use base64::Engine as _;
        let mut r = Redactor::default();
        let password = Secret::new("p@ss/w0rd#Long");
        r.add(&password);
        r.add_basic_auth("ops%40example", &password);
        let header = base64::engine::general_purpose::STANDARD.encode("ops@example:p@ss/w0rd#Long");
        let out = r.redact(&format!("echo: Authorization: Basic {header}"));
        assert!(!out.contains(&header) && out.contains("***#"), "{out}");
    }

    #[test]
    fn redactor_masks_a_secret_cut_by_a_truncation() {
        let r = redactor_with(STRONG);
        let echoed = format!("{}{}", "x ".repeat(95), STRONG);
        for cut in [crate::human::excerpt(echoed.as_bytes()), format!("HTTP 500 ({}…)", &STRONG[..9])] {
            let out = r.redact(&cut);
            assert!(out.contains(&mask(STRONG)), "{out}");
            assert_no_prefix(&out, STRONG);
        }
        // A byte cap at the field's end, with no marker.
        let out = r.redact(&format!("body: \"{}\"", &STRONG[..6]));
        assert_eq!(out, format!("body: \"{}\"", mask(STRONG)));
        // Text that only shares two characters with the start is left alone.
        assert_eq!(r.redact("ends with Zq…"), "ends with Zq…");
        // A cap that says so on a line of its own.
        let out = r.redact(&format!("{}\n… (more than 64 KiB: the rest was not read)", &STRONG[..7]));
        assert!(out.starts_with(&mask(STRONG)), "{out}");
    }

    #[test]
    fn a_cut_does_not_mask_what_a_setting_shows_anyway() {
        let mut r = redactor_with("kb_backend-2024!Strong");
        r.note_plain("kb_backend");
        r.settle();
        assert_eq!(r.redact("password rejected for role kb_backend"), "password rejected for role kb_backend");
        assert_eq!(r.redact("got kb_backend-20…"), format!("got {}…", mask("kb_backend-2024!Strong")));
    }

    #[test]
    fn weak_secrets_are_not_turned_into_pointers() {
        let mut r = Redactor::default();
        for weak in ["5432", "smtp", "password", "12345678901"] {
            r.add(&Secret::new(weak));
            assert!(weakness(weak).is_some(), "{weak}");
        }
        let text = "connected to 127.0.0.1:5432 (smtp) password 12345678901";
        assert_eq!(r.redact(text), text);
        // A URL still hides its password, weak or not.
        assert_eq!(
            r.redact("GET http://u:5432@h:8200/v1 failed"),
            format!("GET http://u:{}@h:8200/v1 failed", mask("5432"))
        );
    }

    #[test]
    fn a_secret_inside_a_plain_setting_is_weak_and_named_without_its_value() {
        let mut r = Redactor::default();
        r.add(&Secret::new("kb_backend01"));
        r.note_plain("kb_backend01");
        r.note_source("SMTP_PASS", "kb_backend01");
        r.note_source("PGPASSWORD", "123");
        let warnings = r.settle();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].starts_with("SMTP_PASS: the secret also occurs in a setting"), "{warnings:?}");
        assert!(warnings[1].contains("shorter than 8"), "{warnings:?}");
        assert!(!warnings.concat().contains("kb_backend01"));
        assert_eq!(r.redact("user kb_backend01"), "user kb_backend01");
    }

    #[test]
    fn mask_dsn_never_depends_on_a_naive_split() {
        assert_eq!(mask_dsn("postgresql://u:pa/ss@h/db"), format!("postgresql://u:{}@h/db", mask("pa/ss")));
        assert_eq!(mask_dsn("postgresql://u:p@ss@h"), format!("postgresql://u:{}@h", mask("p@ss")));
        assert_eq!(mask_dsn("https://u:p#w@h:8200"), format!("https://u:{}@h:8200", mask("p#w")));
        assert_eq!(dsn_password("postgresql://u:pa?ss@h/db").as_deref(), Some("pa?ss"));
    }
}
