//! How durations, instants and a server's text read in a report.

use std::time::{Duration, UNIX_EPOCH};

/// As people say it: `900ms`, `2.5s`, `9m 59s`, `32d 4h` (the two largest units).
pub fn duration(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        return format!("{}ms", (duration.as_millis() + 5) / 10 * 10);
    }
    if duration < Duration::from_secs(10) {
        let tenths = (duration.as_millis() + 50) / 100;
        return if tenths.is_multiple_of(10) {
            format!("{}s", tenths / 10)
        } else {
            format!("{}.{}s", tenths / 10, tenths % 10)
        };
    }
    let secs = duration.as_secs();
    let units = [(secs / 86_400, "d"), (secs / 3600 % 24, "h"), (secs / 60 % 60, "m"), (secs % 60, "s")];
    let first = units.iter().position(|(n, _)| *n > 0).unwrap_or(3);
    units[first..(first + 2).min(units.len())]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Unix seconds as RFC 3339 UTC, e.g. `2027-01-01T00:00:00Z`.
pub fn unix_time(secs: i64) -> String {
    match u64::try_from(secs) {
        // Capped at 9999-12-31, the last instant RFC 3339 can write.
        Ok(secs) => {
            humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs.min(253_402_300_799))).to_string()
        }
        Err(_) => format!("{secs} (before 1970)"),
    }
}

/// A server's text as one printable line: its words joined by single
/// spaces, line breaks and other control characters (an escape sequence)
/// taken as separators. A summary is one line and a cause one line per
/// problem, and the terminal shows both as they are.
pub fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// Characters of a server's body quoted in a summary or cause, at most.
pub const EXCERPT_CHARS: usize = 200;

/// A server's body as one short line for a summary or a cause: invalid
/// UTF-8 replaced, control characters taken as separators, cut at
/// [`EXCERPT_CHARS`] with `…`; `(empty)` for no body.
pub fn excerpt(body: &[u8]) -> String {
    if body.is_empty() {
        return "(empty)".to_string();
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(EXCERPT_CHARS * 4)]);
    let words = one_line(&text);
    match words.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &words[..cut]),
        None => words,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_is_short_single_line_and_safe() {
        assert_eq!(excerpt(b"a\nb\x00c\r\n  d"), "a b c d");
        assert_eq!(excerpt(b""), "(empty)");
        assert_eq!(excerpt(&[0xff, 0xfe, b'x']), "\u{fffd}\u{fffd}x");
        assert_eq!(excerpt(&[0xff, b'\n', b'a']), "\u{fffd} a");
        assert_eq!(excerpt("é".repeat(1000).as_bytes()).chars().count(), EXCERPT_CHARS + 1);
        assert_eq!(excerpt("x ".repeat(500).as_bytes()).chars().count(), EXCERPT_CHARS + 1);
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration(Duration::from_millis(904)), "900ms");
        assert_eq!(duration(Duration::from_millis(2_500)), "2.5s");
        assert_eq!(duration(Duration::from_secs(3)), "3s");
        assert_eq!(duration(Duration::from_secs(599)), "9m 59s");
        assert_eq!(duration(Duration::from_secs(32 * 86_400 + 4 * 3600 + 5)), "32d 4h");
        assert_eq!(duration(Duration::from_secs(3600)), "1h");
    }

    #[test]
    fn instants_are_rfc3339_and_never_panic() {
        assert_eq!(unix_time(1_767_776_400), "2026-01-07T09:00:00Z");
        assert_eq!(unix_time(-1), "-1 (before 1970)");
        assert_eq!(unix_time(i64::MAX), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn server_text_becomes_one_printable_line() {
        assert_eq!(one_line("1 error occurred:\n\t* permission denied\n\n"), "1 error occurred: * permission denied");
        assert_eq!(one_line("red\u{1b}[31m alert\u{0}"), "red [31m alert");
        assert_eq!(one_line(" \r\n"), "");
    }
}
