//! One renderer per format; each is a pure function of the report.

pub mod json;
pub mod junit;
pub mod markdown;
pub mod text;
pub mod words;

use crate::choices::Format;
use crate::report::Report;
use words::Lang;

/// `lang` sets the fixed words of text and markdown; JSON and JUnit are for
/// machines and stay in English.
pub fn render(report: &Report, format: Format, color: bool, lang: Lang) -> String {
    // Whatever a server or plugin said reaches no format raw (bidi marks, controls).
    let report = &crate::human::inert_report(report);
    match format {
        Format::Text => text::render(report, color, lang.words()),
        Format::Markdown => markdown::render(report, lang.words()),
        Format::Json => json::render(report),
        Format::Junit => junit::render(report),
    }
}

#[cfg(test)]
mod tests {
    //! Every format says the same verdict, for every verdict: the JSON
    //! `verdict`, the text and markdown verdict lines, the markdown final
    //! table, the JUnit property and failures, and the exit code.
    use super::*;
    use crate::report::{CheckResult, Status, Verdict};
    use std::time::{Duration, SystemTime};

    fn check(name: &str, status: Status) -> CheckResult {
        CheckResult {
            name: name.into(),
            kind: "exec".into(),
            status,
            target: String::new(),
            summary: format!("{name} summary"),
            duration_ms: 1,
            attempts: 1,
            evidence: vec![],
            cause: None,
            actions: vec![],
            signals: vec![],
        }
    }

    fn report(statuses: &[Status], strict: bool) -> Report {
        Report {
            id: None,
            title: None,
            generated_at: SystemTime::UNIX_EPOCH,
            duration: Duration::from_millis(3),
            checks: statuses.iter().enumerate().map(|(i, s)| check(&format!("c{i}"), *s)).collect(),
            root_causes: vec![],
            interrupted: false,
            strict,
        }
    }

    /// The markdown final table's answer to `question`.
    fn answer<'a>(markdown: &'a str, question: &str) -> &'a str {
        let row = markdown.lines().find(|l| l.starts_with(&format!("| {question} |"))).expect(question);
        row.trim_end_matches(" |").rsplit(" | ").next().unwrap()
    }

    #[test]
    fn every_format_says_the_one_verdict() {
        use Status::*;
        let cases: &[(&[Status], bool, Verdict)] = &[
            (&[Ok, Ok], false, Verdict::Ok),
            (&[Ok, Skip], false, Verdict::Ok),
            (&[Ok, Warn], false, Verdict::Warn),
            (&[Ok, Fail, Warn], false, Verdict::Fail),
            (&[Skip, Skip], false, Verdict::Skip),
            (&[], false, Verdict::Skip),
            (&[Ok, Warn], true, Verdict::Fail),
            (&[Ok, Skip], true, Verdict::Fail),
            (&[Skip], true, Verdict::Fail),
            (&[Ok], true, Verdict::Ok),
        ];
        for (statuses, strict, expected) in cases {
            let r = report(statuses, *strict);
            let what = format!("{statuses:?} strict={strict}");
            assert_eq!(r.verdict(), *expected, "{what}");
            let blocks = r.failed();
            assert_eq!(blocks, matches!(expected, Verdict::Fail | Verdict::Skip), "{what}: exit code");

            let json: serde_json::Value = serde_json::from_str(&render(&r, Format::Json, false, Lang::En)).unwrap();
            let json_verdict = serde_json::to_value(expected).unwrap();
            assert_eq!(json["verdict"], json_verdict, "{what}: json");

            for lang in [Lang::En, Lang::Fr] {
                let words = lang.words();
                let label = words.verdict_label(*expected);
                let text = render(&r, Format::Text, false, lang);
                let line = text.lines().rev().find(|l| l.starts_with(&format!("{}: ", words.verdict))).unwrap();
                assert!(line.starts_with(&format!("{}: {label}", words.verdict)), "{what}: text {line}");

                let md = render(&r, Format::Markdown, false, lang);
                let status_line = md.lines().find(|l| l.starts_with(&format!("**{}**: ", words.status))).unwrap();
                assert!(status_line.contains(&format!(" {label}")), "{what}: markdown status {status_line}");
                let verdict_line = format!("**{}: {} {label}", words.verdict, expected.symbol());
                assert!(md.contains(&verdict_line), "{what}: markdown verdict line\n{md}");
                let all_ok = answer(&md, words.all_ok);
                assert_eq!(
                    all_ok.contains(words.yes),
                    *expected == Verdict::Ok,
                    "{what}: All OK? {all_ok} contradicts {expected:?}"
                );
                let blocking = answer(&md, words.blocking);
                assert_eq!(blocking.contains(words.yes), blocks, "{what}: Blocking? {blocking}");
                for other in [Verdict::Ok, Verdict::Warn, Verdict::Fail, Verdict::Skip] {
                    let other_label = format!(" {} ", words.verdict_label(other));
                    if other != *expected && !label.contains(other_label.trim()) {
                        assert!(!status_line.contains(&other_label), "{what}: {status_line}");
                    }
                }
            }

            let xml = render(&r, Format::Junit, false, Lang::En);
            let doc = roxmltree::Document::parse(&xml).unwrap();
            let property = doc.descendants().find(|n| n.attribute("name") == Some("verdict")).unwrap();
            assert_eq!(property.attribute("value"), Some(expected.label()), "{what}: junit property");
            let failures = doc.descendants().filter(|n| n.has_tag_name("failure")).count();
            assert_eq!(failures > 0, blocks, "{what}: junit failures\n{xml}");
        }
    }

    #[test]
    fn a_run_that_checked_nothing_says_so_everywhere() {
        let r = report(&[Status::Skip, Status::Skip], false);
        let text = render(&r, Format::Text, false, Lang::En);
        assert!(text.contains("Verdict: SKIP — nothing was checked (0 ok, 2 skipped;"), "{text}");
        let md = render(&r, Format::Markdown, false, Lang::En);
        assert!(md.contains("**Status**: ⏭️ SKIP — nothing was checked — 0 ok, 2 skipped"), "{md}");
        assert_eq!(answer(&md, "Blocking?"), "❌ **YES** — nothing was checked");
        let fr = render(&r, Format::Text, false, Lang::Fr);
        assert!(fr.contains("NON VÉRIFIÉ — rien n'a été vérifié"), "{fr}");
    }

    #[test]
    fn ok_with_skipped_checks_says_what_was_not_checked() {
        let md = render(&report(&[Status::Ok, Status::Skip], false), Format::Markdown, false, Lang::En);
        assert_eq!(answer(&md, "All OK?"), "✅ **YES** — of what was checked; 1 not checked");
    }

    #[test]
    fn strict_names_itself_where_no_check_failed() {
        let r = report(&[Status::Ok, Status::Warn], true);
        let text = render(&r, Format::Text, false, Lang::En);
        assert!(text.contains("Verdict: FAIL — --strict: warnings and skipped checks fail the run"), "{text}");
        let md = render(&r, Format::Markdown, false, Lang::En);
        assert!(answer(&md, "Blocking?").starts_with("❌ **YES** — --strict"), "{md}");
    }
}
