//! What a peer sent, made safe and short enough to quote in a report: a
//! server speaking the wrong protocol is named by its own first bytes.

/// How many of a peer's first bytes a report quotes.
pub const QUOTED_BYTES: usize = 64;

/// Bytes as printable ASCII: `\r`, `\n`, `\t`, `\\` and `\xNN` for the rest.
pub fn escape_bytes(bytes: &[u8]) -> String {
    bytes.iter().flat_map(|b| std::ascii::escape_default(*b)).map(char::from).collect()
}

/// At most the first [`QUOTED_BYTES`] of `bytes`, escaped, with `…` when
/// there were more.
pub fn shortened(bytes: &[u8]) -> String {
    let more = if bytes.len() > QUOTED_BYTES { "…" } else { "" };
    format!("{}{more}", escape_bytes(&bytes[..bytes.len().min(QUOTED_BYTES)]))
}

/// Text with control characters and bidirectional marks escaped, so a
/// server cannot drive the terminal (colors, cursor moves) or reorder a
/// line through the report.
pub fn printable(text: &str) -> String {
    let hazard = |c: char| c.is_control() || crate::human::is_bidi_control(c);
    text.chars().flat_map(|c| if hazard(c) { c.escape_default().collect::<Vec<_>>() } else { vec![c] }).collect()
}

/// Which service answers with these first bytes, as a clause to append
/// (`: an HTTP server`).
pub fn service_hint(bytes: &[u8]) -> &'static str {
    let known: [(&[u8], &str); 4] = [
        (b"HTTP/", ": an HTTP server"),
        (b"SSH-", ": an SSH server"),
        (b"+OK", ": a POP3 server"),
        (b"* OK", ": an IMAP server"),
    ];
    known
        .iter()
        .find(|(prefix, _)| bytes.starts_with(prefix))
        .map_or(": another service on this port", |(_, hint)| hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_characters() {
        assert_eq!(printable("250 ok\u{1b}[31m"), "250 ok\\u{1b}[31m");
        assert_eq!(printable("a\u{202e}b\u{2066}\u{0}"), "a\\u{202e}b\\u{2066}\\u{0}");
        assert_eq!(escape_bytes(b"a\r\n\x00"), "a\\r\\n\\x00");
    }

    #[test]
    fn shortened_marks_what_it_cuts() {
        assert_eq!(shortened(b"HTTP/1.1 400\r\n"), "HTTP/1.1 400\\r\\n");
        let long = [0xffu8; QUOTED_BYTES + 1];
        assert_eq!(shortened(&long), format!("{}…", "\\xff".repeat(QUOTED_BYTES)));
        assert_eq!(shortened(&long[..QUOTED_BYTES]), "\\xff".repeat(QUOTED_BYTES));
    }

    #[test]
    fn names_well_known_services() {
        assert_eq!(service_hint(b"SSH-2.0-OpenSSH_9.6"), ": an SSH server");
        assert_eq!(service_hint(b"\x00\x01"), ": another service on this port");
    }
}
