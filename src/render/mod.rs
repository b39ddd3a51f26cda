//! One renderer per format; each is a pure function of the report.

pub mod json;
pub mod junit;
pub mod markdown;
pub mod paint;
pub mod prometheus;
pub mod text;
pub mod words;

use crate::choices::Format;
use crate::report::Report;
use paint::Paint;
use words::Lang;

/// How the text format is laid out for where it goes. Decided by the
/// caller (`app` looks at the terminal); the renderer reads nothing itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Style {
    /// Colors or none.
    pub paint: Paint,
    /// The width to wrap the summary table to (a terminal's), or none: full length.
    pub width: Option<u16>,
}

/// The report's metrics (none before `serve`'s first run ends) in a
/// registry `serve` adds its own to, every label made inert as in
/// [`render_styled`].
pub fn metrics(report: Option<&Report>) -> prometheus_client::registry::Registry {
    prometheus::registry(report.map(crate::human::inert_report).as_ref())
}

/// The report in `format`, full length (a file, a pipe): see [`render_styled`].
pub fn render(report: &Report, format: Format, color: bool, lang: Lang) -> String {
    render_styled(report, format, Style { paint: Paint::new(color), width: None }, lang)
}

/// The report in `format`: a function of its arguments only. `style` lays
/// out the text format (nothing else is painted or wrapped); `lang` sets the
/// fixed words of text, markdown and JUnit; JSON and the Prometheus metrics
/// are for machines and keep their identifiers.
pub fn render_styled(report: &Report, format: Format, style: Style, lang: Lang) -> String {
    // Whatever a server or plugin said reaches no format raw (bidi marks, controls).
    let report = &crate::human::inert_report(report);
    match format {
        Format::Text => text::render(report, style, lang.words()),
        Format::Markdown => markdown::render(report, lang.words()),
        Format::Json => json::render(report),
        Format::Junit => junit::render(report, lang.words()),
        Format::Prometheus => prometheus::render(report),
    }
}

#[cfg(test)]
mod tests {
    //! Every format says the same verdict, for every verdict: the JSON
    //! `verdict`, the text and markdown verdict lines, the markdown final
    //! table, the JUnit property and failures, and the exit code.
    use super::*;
    use crate::report::{CheckResult, Outcome, Status, Verdict};
    use std::time::Duration;

    fn check(name: &str, status: Status) -> CheckResult {
        let outcome = Outcome::new(status, format!("{name} summary"));
        CheckResult::from_outcome(name, "exec", "", Duration::from_millis(1), outcome)
    }

    fn report(statuses: &[Status], strict: bool) -> Report {
        let checks = statuses.iter().enumerate().map(|(i, s)| check(&format!("c{i}"), *s)).collect();
        Report { duration: Duration::from_millis(3), strict, ..Report::of_checks(checks) }
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
            let json_name = json_verdict.as_str().unwrap().to_uppercase();
            assert_eq!(property.attribute("value"), Some(json_name.as_str()), "{what}: junit property");
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

/// A report for the tests of every renderer: a failing run in which every
/// status, every priority, a root cause and a retried check appear, so that
/// every fixed word has its place. Its observed text holds no English word
/// of the language table.
#[cfg(test)]
pub(crate) fn every_word_report() -> Report {
    use crate::report::{Action, CheckResult, Evidence, Outcome, Priority, RootCause, Status};
    use std::time::{Duration, SystemTime};
    let check = |name: &str, kind: &str, status: Status, summary: &str| {
        let mut result = CheckResult::from_outcome(
            name,
            kind,
            &format!("{kind}://127.0.0.1"),
            Duration::from_millis(7),
            Outcome::new(status, summary),
        );
        result.evidence = vec![Evidence::new("pg_is_in_recovery", Some("SELECT pg_is_in_recovery()"), "t")];
        result
    };
    let mut db = check("db", "postgres", Status::Fail, "127.0.0.1:5432 → t");
    db.causes = vec!["pg_is_in_recovery = t\nDATABASE_URL → 127.0.0.1:5432".into()];
    db.attempts = 3;
    db.actions = vec![
        Action::new(Priority::Critical, "DATABASE_URL → leader").with_command("psql -c 'SELECT 1'"),
        Action::new(Priority::Low, "pg_lsclusters"),
    ];
    let mut vault = check("vault", "vault", Status::Warn, "sealed=false, standby=true");
    vault.causes = vec!["standby=true".into()];
    vault.actions = vec![Action::new(Priority::High, "vault status"), Action::new(Priority::Medium, "VAULT_ADDR")];
    let ses = check("ses", "ses", Status::Ok, "quota 12/200");
    let smtp = check("smtp", "smtp", Status::Skip, "SMTP_HOST = ∅");
    Report {
        id: Some("MAIL-01".into()),
        title: Some("Démo".into()),
        generated_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_776_400),
        duration: Duration::from_millis(84),
        root_causes: vec![RootCause {
            code: crate::rootcause::codes::WRITES_ON_REPLICA,
            summary: "DATABASE_URL → 127.0.0.1:5432".into(),
            checks: vec!["db".into(), "vault".into()],
            actions: vec![Action::new(Priority::Critical, "kubectl rollout restart deploy/api")],
        }],
        ..Report::of_checks(vec![db, vault, ses, smtp])
    }
}

/// [`every_word_report`], seen from an app's process (`--as-pid`).
#[cfg(test)]
pub fn seen_from_an_app() -> Report {
    let vantage = crate::vantage::Vantage {
        environment_of: Some(4242),
        network_of: Some(4242),
        network_namespace: Some("net:[4026532001]".into()),
        resolver_files: vec![],
    };
    Report { vantage: Some(vantage), ..every_word_report() }
}

#[cfg(test)]
mod words_tests {
    //! The fixed words come from the language table, in every status.
    use super::*;
    use words::{EN, FR};

    /// Where `word` stands as a whole word (or phrase) in `text`.
    fn has_word(text: &str, word: &str) -> bool {
        text.match_indices(word).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + word.len()..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        })
    }

    #[test]
    fn a_failing_run_in_french_has_no_english_status_or_heading_word() {
        let report = seen_from_an_app();
        // Every English word of the table that French says otherwise; OK,
        // Date, Conclusion, Question, Verdict, cause and ok are the same words.
        let english = [
            EN.status_warn,
            EN.status_fail,
            EN.status_skip,
            EN.verdict_warn,
            EN.verdict_fail,
            EN.verdict_skip,
            EN.critical,
            EN.high,
            EN.medium,
            EN.low,
            EN.generated,
            EN.status,
            EN.executive_summary,
            EN.check,
            EN.component,
            EN.target,
            EN.evidence,
            EN.duration,
            EN.attempts,
            EN.seen_from,
            EN.and,
            "environment",
            "process",
            "namespace",
            EN.root_causes,
            EN.root_cause,
            EN.shown_by,
            EN.fix,
            EN.required_actions,
            EN.final_verdict,
            EN.answer,
            EN.all_ok,
            EN.ok_except,
            EN.blocking,
            EN.yes,
            EN.no,
            EN.failed,
            EN.warned,
            EN.skipped,
            // And the words themselves, whatever the table says today.
            "WARN",
            "FAIL",
            "SKIP",
            "CRITICAL",
            "Status",
            "Evidence",
            "Root cause",
            "Required actions",
            "Final verdict",
        ];
        for format in [Format::Text, Format::Markdown] {
            let fr = render(&report, format, false, Lang::Fr);
            for word in english {
                assert!(!has_word(&fr, word), "{format:?}: English {word:?} in the French report:\n{fr}");
            }
            for word in [FR.status_warn, FR.status_fail, FR.status_skip, FR.critical, FR.high, FR.medium, FR.low] {
                assert!(has_word(&fr, word), "{format:?}: {word:?} missing:\n{fr}");
            }
            assert!(fr.contains("ÉCHEC (3 tentatives)") || fr.contains("ÉCHEC — "), "{format:?}:\n{fr}");
        }
        let text = render(&report, Format::Text, false, Lang::Fr);
        assert!(text.contains("\nÉCHEC db: ") && text.contains("\nALERTE vault: "), "{text}");
        let md = render(&report, Format::Markdown, false, Lang::Fr);
        assert!(md.contains("| smtp | ⏭️ IGNORÉ | SMTP_HOST = ∅ |"), "{md}");
        assert!(md.contains("**Statut**: ⚠️ ALERTE — sealed=false"), "{md}");
    }

    #[test]
    fn the_report_says_whose_environment_and_network_it_used() {
        let report = seen_from_an_app();
        let seen = "the environment of process 4242 and the network namespace net:[4026532001] of process 4242";
        let text = render(&report, Format::Text, false, Lang::En);
        assert_eq!(text.lines().nth(1), Some(format!("Seen from: {seen}").as_str()), "under the heading:\n{text}");
        let md = render(&report, Format::Markdown, false, Lang::En);
        assert!(md.contains(&format!("\n**Seen from**: {seen}  \n")), "{md}");
        let json: serde_json::Value = serde_json::from_str(&render(&report, Format::Json, false, Lang::En)).unwrap();
        assert_eq!(
            json["vantage"],
            serde_json::json!({"environment_of": 4242, "network_of": 4242, "network_namespace": "net:[4026532001]"})
        );
        let fr = render(&report, Format::Text, false, Lang::Fr);
        assert!(fr.contains("Vu depuis: l'environnement du processus 4242 et l'espace de noms réseau net:[4026532001] du processus 4242"), "{fr}");
        let xml = render(&report, Format::Junit, false, Lang::En);
        assert!(xml.contains(&format!("<property name=\"seen_from\" value=\"{seen}\"/>")), "{xml}");
        let own = every_word_report();
        assert!(!render(&own, Format::Text, false, Lang::En).contains("Seen from"));
        assert!(!render(&own, Format::Json, false, Lang::En).contains("vantage"));
    }

    #[test]
    fn the_english_reports_are_unchanged() {
        // Rendered by the code before the status words moved to the language table.
        let report = every_word_report();
        assert_eq!(render(&report, Format::Text, false, Lang::En), include_str!("golden/every_word.en.txt"));
        assert_eq!(render(&report, Format::Markdown, false, Lang::En), include_str!("golden/every_word.en.md"));
    }

    #[test]
    fn junit_speaks_the_reports_language_and_keeps_its_identifiers() {
        let report = seen_from_an_app();
        let en = render(&report, Format::Junit, false, Lang::En);
        assert!(en.contains("WARN: sealed=false") && en.contains("[CRITICAL]"), "{en}");
        let fr = render(&report, Format::Junit, false, Lang::Fr);
        assert!(fr.contains("ALERTE: sealed=false") && fr.contains("[CRITIQUE]"), "{fr}");
        assert!(fr.contains("\npreuve:\n") && fr.contains("cible: "), "{fr}");
        for word in [
            EN.status_warn,
            EN.status_fail,
            EN.status_skip,
            EN.critical,
            EN.high,
            EN.medium,
            EN.low,
            "evidence",
            "target",
            "attempts",
        ] {
            assert!(
                !has_word(&fr.replace("name=\"verdict\" value=\"FAIL\"", ""), word),
                "English {word:?} in the French JUnit:\n{fr}"
            );
        }
        // What CI tools read: the verdict property and the testcases, the same in both.
        assert!(fr.contains("<property name=\"verdict\" value=\"FAIL\"/>"), "{fr}");
        let cases = |xml: &str| {
            xml.lines().filter(|l| l.trim_start().starts_with("<testcase")).map(str::to_string).collect::<Vec<_>>()
        };
        assert_eq!(cases(&fr), cases(&en));
    }
}
