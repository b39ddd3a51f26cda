//! Every form a secret value takes on its way to a server and back into a
//! report: trimmed, percent-encoded (several encoders), decoded, base64 (also
//! inside longer base64), and escaped the ways our own output escapes text.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS, NON_ALPHANUMERIC};

/// RFC 3986 unreserved characters stay as they are.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
/// What the `url` crate encodes in a password.
const USERINFO: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%')
    .add(b':')
    .add(b';')
    .add(b'=')
    .add(b'@')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'|');
/// What the `url` crate encodes in a query.
const QUERY: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'#').add(b'<').add(b'>').add(b'\'');
/// `application/x-www-form-urlencoded`, before spaces become `+`.
const FORM: &AsciiSet = &NON_ALPHANUMERIC.remove(b'*').remove(b'-').remove(b'.').remove(b'_');

/// The values a secret is known by: as configured, trimmed of the spaces and
/// newlines a Kubernetes secret often carries, and percent-decoded (both
/// component style and form style, `+` for space) when it was written encoded.
pub fn bases(value: &str) -> Vec<String> {
    let mut out = vec![value.to_string()];
    let trimmed = value.trim();
    push_new(&mut out, trimmed.to_string());
    if trimmed.contains('%') || trimmed.contains('+') {
        push_new(&mut out, percent_decode_str(trimmed).decode_utf8_lossy().into_owned());
        push_new(&mut out, percent_decode_str(&trimmed.replace('+', " ")).decode_utf8_lossy().into_owned());
    }
    out
}

/// Every needle for one base value: textual forms, encodings, base64.
pub fn forms(base: &str) -> Vec<String> {
    let mut out = Vec::new();
    for escaped in escapings(base) {
        push_new(&mut out, one_line(&escaped));
        push_new(&mut out, escaped);
    }
    for set in [NON_ALPHANUMERIC, UNRESERVED, USERINFO, QUERY, FORM] {
        let encoded = utf8_percent_encode(base, set).to_string();
        let encoded = if std::ptr::eq(set, FORM) { encoded.replace("%20", "+") } else { encoded };
        push_new(&mut out, lowercase_hex(&encoded));
        push_new(&mut out, encoded);
    }
    for encoded in base64_forms(base.as_bytes()) {
        push_new(&mut out, encoded);
    }
    // The leading run that no encoder or escaper changes: a server that
    // transforms the rest some other way still cannot show its start.
    let plain_start: String = base.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
    if plain_start.len() >= super::redactor::MIN_STRONG_CHARS {
        push_new(&mut out, plain_start);
    }
    out.retain(|form| !form.is_empty());
    out
}

/// Base64 as HTTP Basic auth, SMTP AUTH and JSON APIs send it, plus the
/// stable middle of its encoding at each of the three byte alignments it
/// can have inside a longer base64 text.
pub fn base64_forms(bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
        push_new(&mut out, engine.encode(bytes));
    }
    for offset in 0..3usize {
        let mut shifted = vec![0u8; offset];
        shifted.extend_from_slice(bytes);
        let encoded = STANDARD_NO_PAD.encode(&shifted);
        // Characters that mix in bits of the bytes before or after.
        let skip = (offset * 8).div_ceil(6);
        let end = shifted.len() * 8 / 6;
        if let Some(core) = encoded.get(skip..end).filter(|core| core.len() >= 8) {
            push_new(&mut out, core.to_string());
            push_new(&mut out, core.replace('+', "-").replace('/', "_"));
        }
    }
    out
}

/// The text as it is and as each escaper whose output reaches a report
/// writes it: JSON (also with `\/`), `escaped_excerpt`, Rust's escape_default
/// (per char, and per byte as `peer_bytes` quotes a peer).
fn escapings(text: &str) -> Vec<String> {
    let json = serde_json::to_string(text).unwrap_or_default();
    let json = json.get(1..json.len().saturating_sub(1)).unwrap_or_default().to_string();
    let mut excerpt = String::new();
    for c in text.chars() {
        match c {
            '\n' => excerpt.push_str("\\n"),
            '\r' => excerpt.push_str("\\r"),
            '\t' => excerpt.push_str("\\t"),
            c if c.is_control() => excerpt.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => excerpt.push(c),
        }
    }
    let defaulted: String = text.chars().flat_map(char::escape_default).collect();
    // peer_bytes: byte by byte, `\xNN` beyond ASCII.
    let ascii: String = text.bytes().flat_map(std::ascii::escape_default).map(char::from).collect();
    let controls_only: String =
        text.chars().flat_map(|c| if c.is_control() { c.escape_default().collect() } else { vec![c] }).collect();
    vec![text.to_string(), json.replace('/', "\\/"), json, excerpt, defaulted, ascii, controls_only]
}

/// As `human::one_line` collapses a server's text: words joined by one space.
fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

fn lowercase_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut rest = encoded;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let escape = rest.get(at..at + 3).unwrap_or(&rest[at..]);
        out.push_str(&escape.to_ascii_lowercase());
        rest = &rest[at + escape.len()..];
    }
    out.push_str(rest);
    out
}

fn push_new(out: &mut Vec<String>, form: String) {
    if !out.contains(&form) {
        out.push(form);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases_trim_and_decode() {
        assert_eq!(bases(" pa ss\n"), [" pa ss\n", "pa ss"]);
        assert_eq!(bases("p%40ss+x"), ["p%40ss+x", "p@ss+x", "p@ss x"]);
    }

    #[test]
    fn forms_cover_encoders_and_escapers() {
        let all = forms("Ab1/?#@% :'\"\nz");
        for expected in [
            "Ab1%2F%3F%23%40%25%20%3A%27%22%0Az",
            "Ab1%2f%3f%23%40%25%20%3a%27%22%0az",
            "Ab1%2F%3F%23%40%25+%3A%27%22%0Az",
            "Ab1\\/?#@% :'\\\"\\nz",
            "Ab1/?#@% :'\"\\nz",
            "Ab1/?#@% :'\" z",
            "Ab1%2F%3F%23%40%25%20%3A'%22%0Az",
        ] {
            assert!(all.iter().any(|f| f == expected), "missing {expected:?} in {all:#?}");
        }
        let all = forms("Zq8vL2mx\u{e9}'");
        for expected in ["Zq8vL2mx\\u{e9}\\'", "Zq8vL2mx\\xc3\\xa9\\'"] {
            assert!(all.iter().any(|f| f == expected), "missing {expected:?} in {all:#?}");
        }
    }

    #[test]
    fn base64_is_found_inside_longer_base64() {
        let secret = b"s3cret-Value-42";
        for prefix in [&b""[..], b"u", b"us", b"user:"] {
            let mut whole = prefix.to_vec();
            whole.extend_from_slice(secret);
            whole.extend_from_slice(b"\0tail");
            let encoded = STANDARD.encode(&whole);
            assert!(base64_forms(secret).iter().any(|f| encoded.contains(f.as_str())), "{prefix:?}");
        }
    }
}
