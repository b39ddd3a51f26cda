//! How durations, instants and a server's text read in a report.

use std::borrow::Cow;
use std::time::Duration;

/// As people say it: `900ms`, `2.5s`, `9m 59s`, `32d 4h` (the two largest units).
pub fn duration(duration: Duration) -> String {
    // Rounded first, then the unit chosen: 998ms reads `1s`, not `1000ms`.
    let millis = duration.as_millis();
    let hundredths = (millis + 5) / 10;
    if hundredths < 100 {
        return format!("{}ms", hundredths * 10);
    }
    let tenths = (millis + 50) / 100;
    if tenths < 100 {
        return if tenths.is_multiple_of(10) {
            format!("{}s", tenths / 10)
        } else {
            format!("{}.{}s", tenths / 10, tenths % 10)
        };
    }
    // From 9.95s, which rounded to 10s above.
    let secs = duration.as_secs().max(10);
    let units = [(secs / 86_400, "d"), (secs / 3600 % 24, "h"), (secs / 60 % 60, "m"), (secs % 60, "s")];
    let first = units.iter().position(|(n, _)| *n > 0).unwrap_or(3);
    units[first..(first + 2).min(units.len())]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Unix seconds as RFC 3339 UTC, e.g. `2027-01-01T00:00:00Z`; capped at
/// 9999-12-31, the last instant RFC 3339 can write.
pub fn unix_time(secs: i64) -> String {
    crate::time::rfc3339(secs.min(crate::time::LAST_SECOND)).unwrap_or_else(|_| format!("{secs} (before 1970)"))
}

/// A server's text as one printable line: its words joined by single
/// spaces, line breaks and other control characters (an escape sequence)
/// taken as separators. A summary is one line and a cause one line per
/// problem, and the terminal shows both as they are.
pub fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .map(inert)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A JSON field as text a report may show: a string as one printable line
/// ([`one_line`]); `None` when the field is absent, of another type, or blank.
pub fn text_field(value: Option<&serde_json::Value>) -> Option<String> {
    value.and_then(serde_json::Value::as_str).map(one_line).filter(|text| !text.is_empty())
}

/// The Unicode marks that reorder how text around them is shown (embeddings,
/// overrides, isolates, the directional marks): a server could make a
/// report line read otherwise than it is (`U+202E`, "Trojan Source").
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// What a terminal or a markdown viewer would act on instead of showing:
/// C0 controls other than line feed and tab, DEL, C1 controls, and the
/// bidirectional marks.
pub fn is_hazard(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c)
}

/// Text from outside (a server, a plugin) made inert: every [`is_hazard`]
/// character written visibly as `\u{..}`, so it shows and acts on nothing;
/// a CRLF becomes a line feed. Lines and tabs stay, for multi-line evidence.
pub fn inert(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hazard) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            c if is_hazard(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Every text field of a report made [`inert`]: the last line of defence
/// before a renderer, whatever a check quoted (run after redaction, so a
/// secret is matched as it was configured).
pub fn inert_report(report: &crate::report::Report) -> crate::report::Report {
    let mut report = report.clone();
    report.texts_mut(&mut |text: &mut String| {
        if let Cow::Owned(clean) = inert(text) {
            *text = clean;
        }
    });
    report
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
pub(crate) mod tests {
    use super::*;

    #[test]
    fn a_text_field_is_one_line_or_nothing() {
        use serde_json::json;
        assert_eq!(text_field(Some(&json!("PENDING\n\u{1b}[2J"))).as_deref(), Some("PENDING [2J"));
        for absent in [None, Some(&json!(false)), Some(&json!(" \n ")), Some(&json!(["x"]))] {
            assert_eq!(text_field(absent), None, "{absent:?}");
        }
    }

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
        // Rounding up to the next unit reads in that unit.
        assert_eq!(duration(Duration::from_millis(998)), "1s");
        assert_eq!(duration(Duration::from_millis(9_960)), "10s");
        assert_eq!(duration(Duration::from_millis(994)), "990ms");
        assert_eq!(duration(Duration::MAX), "213503982334601d 7h");
    }

    proptest::proptest! {
        #![proptest_config(crate::test_strategies::config())]
        /// Any duration, to `Duration::MAX`: one or two units, never a panic,
        /// and never a count that belongs in the next unit (`1000ms`, `60s`).
        #[test]
        fn any_duration_reads_in_at_most_two_units(secs in proptest::prelude::any::<u64>(), nanos in 0..1_000_000_000u32) {
            let text = duration(Duration::new(secs, nanos));
            let words: Vec<&str> = text.split(' ').collect();
            proptest::prop_assert!((1..=2).contains(&words.len()), "{}", text);
            proptest::prop_assert!(!["1000ms", "10.0s", "60s", "60m", "24h"].contains(&words[0]), "{}", text);
        }
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

    #[test]
    fn bidi_marks_and_controls_are_shown_not_obeyed() {
        assert_eq!(
            inert("ok\u{202e}gnp.exe\u{0}\u{1b}[2J\r\nnext\tline"),
            "ok\\u{202e}gnp.exe\\u{0}\\u{1b}[2J\nnext\tline"
        );
        assert_eq!(inert("plain"), Cow::Borrowed("plain"));
        assert_eq!(one_line("a\u{2066}b\u{2069} c\u{200f}"), "a\\u{2066}b\\u{2069} c\\u{200f}");
        assert_eq!(excerpt("\u{61c}x\u{9b}y".as_bytes()), "\\u{61c}x y");
    }

    /// Text full of what a hostile server would send.
    pub(crate) fn hostile_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let hazard = prop::sample::select(vec![
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
            '\u{200E}', '\u{200F}', '\u{061C}', '\0', '\x1b', '\x7f', '\u{9b}', '\r', '\n', '\t',
        ]);
        let piece = prop_oneof![hazard.prop_map(String::from), crate::test_strategies::any_text()];
        proptest::collection::vec(piece, 0..12).prop_map(|parts| parts.concat())
    }

    /// Only the line feed and the tab of what an output format writes itself.
    pub(crate) fn assert_inert(out: &str, keeps_lines: bool) {
        for c in out.chars() {
            let allowed = keeps_lines && (c == '\n' || c == '\t');
            assert!(allowed || !(c.is_control() || is_bidi_control(c)), "{c:?} left in {out:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(crate::test_strategies::config())]
        #[test]
        fn no_hazard_survives_any_quoting(text in hostile_text()) {
            assert_inert(&inert(&text), true);
            assert_inert(&one_line(&text), false);
            assert_inert(&excerpt(text.as_bytes()), false);
            assert_inert(&crate::checks::peer_bytes::printable(&text), false);
            // What it says stays readable: text without hazards passes as is.
            if !text.chars().any(is_hazard) {
                proptest::prop_assert_eq!(inert(&text), text.as_str());
            }
        }
    }

    /// A report whose every text field holds `text`.
    fn report_saying(text: &str) -> crate::report::Report {
        use crate::report::{Action, CheckResult, Evidence, Outcome, Priority, Report, RootCause, Status};
        let mut outcome = Outcome::new(Status::Fail, text);
        outcome.causes = vec![text.to_string()];
        outcome.evidence = vec![Evidence::new(text, Some(text), text)];
        outcome.actions = vec![Action::new(Priority::High, text).with_command(text)];
        let check = CheckResult::from_outcome(text, "smtp", text, Duration::ZERO, outcome);
        let root = RootCause {
            code: crate::rootcause::codes::WRITES_ON_REPLICA,
            summary: text.into(),
            checks: vec![text.into()],
            actions: vec![Action::new(Priority::Low, text)],
        };
        Report {
            id: Some(text.into()),
            title: Some(text.into()),
            root_causes: vec![root],
            ..Report::of_checks(vec![check])
        }
    }

    proptest::proptest! {
        #![proptest_config(crate::test_strategies::config())]
        #[test]
        fn text_and_markdown_reports_carry_no_hazard(text in hostile_text()) {
            use crate::cli::Format;
            use crate::render::{render, words::Lang};
            let report = report_saying(&text);
            for format in [Format::Text, Format::Markdown] {
                // Lines are the formats' own; no other control and no bidi mark.
                assert_inert(&render(&report, format, false, Lang::En), true);
            }
        }
    }
}
