//! How what the backend sent is shown: bodies cut and escaped so that any
//! byte is visible and none can break a report, and Amazon credentials a
//! backend may echo masked before they reach any output. Pure.

pub use crate::human::duration as rough;
use crate::secret::mask;
use serde_json::Value;

/// How much of a body the evidence quotes.
pub const EXCERPT_CHARS: usize = 400;
/// How much of one JSON field (`error`, `details`) a message quotes.
pub const FIELD_CHARS: usize = 300;

/// Prefixes of Login with Amazon credentials: the client secret, the client
/// id, refresh and access tokens (also percent-encoded, as in a URL).
const CREDENTIAL_PREFIXES: &[&str] =
    &["amzn1.oa2-cs.", "amzn1.application-oa2-client.", "Atzr|", "Atza|", "Atzr%7C", "Atza%7C"];

/// Shorter runs after a prefix are placeholders such as
/// `amzn1.oa2-cs.v1.***`, not values.
const MIN_CREDENTIAL_CHARS: usize = 8;

/// The first `max` characters of `bytes`, escaped: `\r`, `\n`, `\t`, other
/// control characters as `\u{..}`, bytes that are not UTF-8 as `\xNN`.
pub fn escaped_excerpt(bytes: &[u8], max: usize) -> String {
    if bytes.is_empty() {
        return "(empty)".to_string();
    }
    let mut out = String::new();
    let mut shown = 0;
    'chunks: for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if shown == max {
                out.push('…');
                break 'chunks;
            }
            push_escaped(&mut out, c);
            shown += 1;
        }
        for byte in chunk.invalid() {
            if shown == max {
                out.push('…');
                break 'chunks;
            }
            out.push_str(&format!("\\x{byte:02x}"));
            shown += 1;
        }
    }
    mask_credentials(&out)
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if c.is_control() || crate::human::is_bidi_control(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        c => out.push(c),
    }
}

/// A JSON field as one short line: a string as itself, anything else as
/// compact JSON; control characters escaped, credentials masked, cut.
pub fn field_text(value: &Value) -> String {
    let raw = match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    escaped_excerpt(raw.as_bytes(), FIELD_CHARS)
}

/// Replaces every Login with Amazon credential in `text` by its prefix and
/// a masked fingerprint (`amzn1.oa2-cs.***#3fa1`).
pub fn mask_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((at, prefix)) = first_prefix(rest) {
        let value_start = at + prefix.len();
        let value_len = rest[value_start..].find(|c: char| !is_credential_char(c)).unwrap_or(rest.len() - value_start);
        let value = &rest[value_start..value_start + value_len];
        out.push_str(&rest[..value_start]);
        if value.len() >= MIN_CREDENTIAL_CHARS {
            out.push_str(&mask(value));
        } else {
            out.push_str(value);
        }
        rest = &rest[value_start + value_len..];
    }
    out.push_str(rest);
    out
}

fn first_prefix(text: &str) -> Option<(usize, &'static str)> {
    CREDENTIAL_PREFIXES.iter().filter_map(|p| text.find(p).map(|at| (at, *p))).min_by_key(|(at, _)| *at)
}

fn is_credential_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '|' | '%' | '+' | '/' | '=')
}

/// The `<title>` of an HTML page (a proxy's error page names itself there).
pub fn html_title(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]);
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    let title = text[start..end].split_whitespace().collect::<Vec<_>>().join(" ");
    (!title.is_empty()).then(|| escaped_excerpt(title.as_bytes(), 120))
}

/// Whether a body looks like HTML rather than JSON or text.
pub fn looks_like_html(content_type: Option<&str>, body: &[u8]) -> bool {
    if content_type.is_some_and(|t| t.to_ascii_lowercase().contains("html")) {
        return true;
    }
    let start = String::from_utf8_lossy(&body[..body.len().min(512)]).trim_start().to_ascii_lowercase();
    start.starts_with("<!doctype html") || start.starts_with("<html") || start.starts_with("<head")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_escapes_control_characters_and_bad_bytes() {
        let body = b"<html>\r\n<head><title>502 Bad Gateway</title></head>\x00\xff";
        assert_eq!(escaped_excerpt(body, 400), "<html>\\r\\n<head><title>502 Bad Gateway</title></head>\\u{0}\\xff");
        assert_eq!(escaped_excerpt(b"", 10), "(empty)");
        assert_eq!(escaped_excerpt("ééééé".as_bytes(), 3), "ééé…");
    }

    #[test]
    fn credentials_are_masked_with_a_fingerprint() {
        let secret = "amzn1.oa2-cs.v1.0123456789abcdef0123456789abcdef";
        let text = format!("bad secret {secret}, id amzn1.application-oa2-client.abcdef0123456789 ok");
        let masked = mask_credentials(&text);
        assert!(!masked.contains("0123456789abcdef"), "{masked}");
        assert!(masked.starts_with(&format!("bad secret amzn1.oa2-cs.{}", mask("v1.0123456789abcdef0123456789abcdef"))));
        assert!(masked.ends_with(" ok"), "{masked}");
        let token = "refresh Atzr|IwEBIA-long-token-value";
        assert!(!mask_credentials(token).contains("IwEBIA"), "{}", mask_credentials(token));
    }

    #[test]
    fn credential_placeholders_are_left_alone() {
        let template = "--from-literal=AMAZON_SPAPI_CLIENT_SECRET=amzn1.oa2-cs.v1.***";
        assert_eq!(mask_credentials(template), template);
        assert_eq!(mask_credentials("no credential here"), "no credential here");
    }

    #[test]
    fn fields_of_any_json_type_become_one_line() {
        assert_eq!(field_text(&Value::String("fetch failed\n".into())), "fetch failed\\n");
        assert_eq!(field_text(&serde_json::json!({"code": 7})), "{\"code\":7}");
        assert_eq!(field_text(&Value::Null), "null");
    }

    #[test]
    fn html_is_recognised_and_its_title_read() {
        let page = b"<html>\r\n<head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
        assert_eq!(html_title(page).as_deref(), Some("502 Bad Gateway"));
        assert!(looks_like_html(None, page));
        assert!(looks_like_html(Some("text/html; charset=utf-8"), b"oops"));
        assert!(!looks_like_html(Some("application/json"), b"{}"));
        assert_eq!(html_title(b"<title></title>"), None);
        assert_eq!(html_title(b"<title>never closed"), None);
    }

    proptest::proptest! {
        #![proptest_config(crate::test_strategies::config())]
        #[test]
        fn an_excerpt_carries_no_control_or_bidi_mark(text in crate::human::tests::hostile_text()) {
            crate::human::tests::assert_inert(&escaped_excerpt(text.as_bytes(), EXCERPT_CHARS), false);
        }
    }
}
