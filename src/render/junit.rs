//! JUnit XML for CI test reports (GitLab `artifacts:reports:junit`, Jenkins
//! `junit`): one testsuite, one testcase per check, written by `quick-junit`.
//!
//! - ok: a passed testcase;
//! - warn: a passed testcase whose system-out starts with `WARN:` and the summary
//!   (JUnit has no "passed with a warning");
//! - fail: `<failure>` whose message is the summary and whose text is the
//!   cause, the evidence and the actions;
//! - skip: `<skipped>` whose message is the reason;
//! - a verdict that blocks with no failed check (nothing was checked,
//!   `--strict`, an interrupted run): one more testcase, `verdict`, whose
//!   `<failure>` says why, so a CI reading only the JUnit fails as the exit code does.
//!
//! Every word a person reads follows `--lang`, as in text and markdown: the
//! `STATUS:` that starts each system-out (`WARN:`, `ALERTE:` in French: the
//! only place a warning shows, as JUnit has no such state), the keys of a
//! failure's text (`cause:`, `target:`, `evidence:`), priorities, why a
//! verdict blocks. What CI tools read stays fixed: the XML's structure
//! (failure, skipped), testcase names and classes, and the `verdict`
//! property, an identifier like JSON's `verdict` (`OK`, `WARN`, `FAIL`, `SKIP`).

use crate::render::words::Words;
use crate::report::{CheckResult, Report, Status, Verdict};
use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};
use std::fmt::Write;
use std::time::Duration;

pub fn render(report: &Report, words: &Words) -> String {
    let name = report.id.as_deref().unwrap_or("kbz-check");
    let mut suite = TestSuite::new(name);
    suite.set_time(report.duration);
    suite.add_property(Property::new("verdict", verdict_token(report.verdict())));
    if report.interrupted {
        suite.add_property(Property::new("interrupted", "true"));
    }
    suite.add_property(Property::new("generated_at", report.generated_at_rfc3339()));
    if let Some(title) = &report.title {
        suite.add_property(Property::new("title", title.as_str()));
    }
    if let Some(vantage) = &report.vantage {
        suite.add_property(Property::new("seen_from", words.vantage(vantage)));
    }
    for note in &report.notes {
        suite.add_property(Property::new("note", words.note_text(note)));
    }
    suite.add_test_cases(report.checks.iter().map(|check| test_case(check, report, words)));
    // A reason exactly when the verdict blocks with no failed check (report.rs decides).
    if let Some(reason) = report.verdict_reason() {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status.set_message(words.verdict_reason(reason)).set_type("verdict");
        let mut case = TestCase::new("verdict", status);
        case.set_classname("kbz-check");
        suite.add_test_case(case);
    }

    let mut junit = quick_junit::Report::new(name);
    junit.set_time(report.duration);
    junit.add_test_suite(suite);
    junit.to_string().expect("the report serializes to JUnit XML")
}

fn test_case(check: &CheckResult, report: &Report, words: &Words) -> TestCase {
    let status = match check.status {
        Status::Ok | Status::Warn => TestCaseStatus::success(),
        Status::Fail => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let text = failure_text(check, report, words);
            status.set_message(check.summary.as_str()).set_type("fail").set_description(text);
            status
        }
        Status::Skip => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(check.summary.as_str());
            status
        }
    };
    let mut case = TestCase::new(check.name.as_str(), status);
    case.set_classname(check.kind.as_str()).set_time(Duration::from_millis(check.duration_ms));
    let mut out = format!("{}: {}\n", words.status_label(check.status), check.summary);
    history_lines(&mut out, check, report, words);
    target_and_attempts(&mut out, check, words);
    case.set_system_out(out);
    case
}

/// The `verdict` property's value: fixed, whatever `--lang` (docs/output.md).
fn verdict_token(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Ok => "OK",
        Verdict::Warn => "WARN",
        Verdict::Fail => "FAIL",
        Verdict::Skip => "SKIP",
    }
}

/// `target: …`, and `attempts: 3` for a check that `--retry-for` ran more
/// than once (JUnit's time is already their sum).
fn target_and_attempts(out: &mut String, check: &CheckResult, words: &Words) {
    if !check.target.is_empty() {
        let _ = writeln!(out, "{}: {}", words.target.to_lowercase(), check.target);
    }
    if check.attempts > 1 {
        let _ = writeln!(out, "{}: {}", words.attempts, check.attempts);
    }
}

/// What earlier runs remember (`--state`): since when it fails, how its cause changed.
fn history_lines(out: &mut String, check: &CheckResult, report: &Report, words: &Words) {
    let Some(history) = &check.history else { return };
    if let Some(since) = history.failing_since {
        let _ = writeln!(out, "{}", words.failing_since_line(since, report.generated_at));
    }
    if let Some(change) = &history.cause_changed {
        let _ = writeln!(out, "{}", words.cause_changed_line(change, str::to_string));
    }
}

/// The cause, the memory of earlier runs, the evidence and the actions, as a person reads them in a CI job.
fn failure_text(check: &CheckResult, report: &Report, words: &Words) -> String {
    let mut out = String::new();
    for cause in &check.causes {
        let _ = writeln!(out, "{}: {cause}", words.cause);
    }
    history_lines(&mut out, check, report, words);
    target_and_attempts(&mut out, check, words);
    if !check.evidence.is_empty() {
        let _ = write!(out, "\n{}:\n", words.evidence.to_lowercase());
        for evidence in &check.evidence {
            match &evidence.command {
                Some(command) => {
                    let _ = writeln!(out, "- {} ($ {command})", evidence.label);
                }
                None => {
                    let _ = writeln!(out, "- {}", evidence.label);
                }
            }
            for line in evidence.output.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    if !check.actions.is_empty() {
        out.push_str("\nactions:\n");
        for action in &check.actions {
            let _ = writeln!(out, "- [{}] {}", words.priority(action.priority), action.text);
            if let Some(command) = &action.command {
                for line in command.lines() {
                    let _ = writeln!(out, "    $ {line}");
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::words::EN;
    use crate::report::{Action, Evidence, Outcome, Priority};

    fn check(name: &str, status: Status, summary: &str) -> CheckResult {
        let mut outcome = Outcome::new(status, summary);
        outcome.evidence =
            vec![Evidence::new("role", Some("SELECT pg_is_in_recovery()"), "t <replica> & \"ro\"\x1b[0m")];
        if status == Status::Fail {
            outcome.causes = vec!["DATABASE_URL points at a replica".into()];
        }
        outcome.actions = vec![Action::new(Priority::Critical, "point at the leader").with_command("export X=1")];
        let target = "postgresql://app:***@127.0.0.1:5432/app";
        CheckResult::from_outcome(name, "postgres", target, Duration::from_millis(1250), outcome)
    }

    fn report(id: Option<&str>) -> Report {
        let checks = vec![
            check("db", Status::Fail, "on a replica"),
            check("vault", Status::Ok, "active"),
            check("ses", Status::Warn, "quota at 91%"),
            check("smtp", Status::Skip, "not configured: set SMTP_HOST"),
        ];
        Report {
            id: id.map(str::to_string),
            title: Some("Mail <reality> check".into()),
            duration: std::time::Duration::from_millis(1500),
            ..Report::of_checks(checks)
        }
    }

    #[test]
    fn one_suite_one_case_per_check_with_failure_skip_and_warn() {
        let xml = render(&report(Some("MAIL-REALITY-CHECK-01")), &EN);
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("not XML ({e}):\n{xml}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        let suites: Vec<_> = root.children().filter(|n| n.has_tag_name("testsuite")).collect();
        assert_eq!(suites.len(), 1, "{xml}");
        let suite = suites[0];
        assert_eq!(suite.attribute("name"), Some("MAIL-REALITY-CHECK-01"));
        assert_eq!(suite.attribute("tests"), Some("4"));
        assert_eq!(suite.attribute("failures"), Some("1"));
        assert_eq!(suite.attribute("skipped"), Some("1"));
        let cases: Vec<_> = suite.children().filter(|n| n.has_tag_name("testcase")).collect();
        let names: Vec<_> = cases.iter().map(|c| c.attribute("name").unwrap()).collect();
        assert_eq!(names, ["db", "vault", "ses", "smtp"]);
        assert!(cases.iter().all(|c| c.attribute("classname") == Some("postgres")));
        assert_eq!(cases[0].attribute("time"), Some("1.250"));

        let failure = cases[0].children().find(|n| n.has_tag_name("failure")).expect("db fails");
        assert_eq!(failure.attribute("message"), Some("on a replica"));
        let text = failure.text().unwrap();
        assert!(text.contains("cause: DATABASE_URL points at a replica"), "{text}");
        assert!(text.contains("- role ($ SELECT pg_is_in_recovery())\n    t <replica> & \"ro\""), "{text}");
        assert!(text.contains("- [CRITICAL] point at the leader\n    $ export X=1"), "{text}");
        assert!(!text.contains('\x1b'), "control characters are dropped: {text:?}");

        assert!(cases[1].children().all(|n| !n.has_tag_name("failure") && !n.has_tag_name("skipped")));
        let warn_out = cases[2].children().find(|n| n.has_tag_name("system-out")).unwrap().text().unwrap();
        assert!(warn_out.starts_with("WARN: quota at 91%"), "{warn_out}");
        assert!(cases[2].children().all(|n| !n.has_tag_name("failure")), "a warning passes");
        let skipped = cases[3].children().find(|n| n.has_tag_name("skipped")).expect("smtp skipped");
        assert_eq!(skipped.attribute("message"), Some("not configured: set SMTP_HOST"));
    }

    #[test]
    fn a_retried_check_says_how_many_attempts_it_took() {
        let mut report = report(None);
        report.checks[0].attempts = 3;
        report.checks[1].attempts = 2;
        let xml = render(&report, &EN);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let cases: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
        let failure = cases[0].children().find(|n| n.has_tag_name("failure")).unwrap().text().unwrap();
        assert!(failure.contains("\nattempts: 3\n"), "{failure}");
        let passed = cases[1].children().find(|n| n.has_tag_name("system-out")).unwrap().text().unwrap();
        assert!(passed.ends_with("attempts: 2\n"), "{passed}");
        let once = cases[2].children().find(|n| n.has_tag_name("system-out")).unwrap().text().unwrap();
        assert!(!once.contains("attempts"), "{once}");
    }

    #[test]
    fn the_memory_of_earlier_runs_is_in_the_failure_text_and_the_note_a_property() {
        let xml = render(&Report::remembered(), &EN);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let case = |name: &str| {
            doc.descendants().find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(name)).unwrap()
        };
        let failure = case("vault").children().find(|n| n.has_tag_name("failure")).unwrap().text().unwrap();
        assert!(
            failure.contains("failing since 2025-12-15 09:12 UTC (21 days)\ncause changed: was vault.sealed, now vault.unreachable.refused (since 2026-01-03 09:12 UTC)\n"),
            "{failure}"
        );
        let warned = case("skew").children().find(|n| n.has_tag_name("system-out")).unwrap().text().unwrap();
        assert!(warned.contains("cause changed: was vault.sealed, now vault.clock_skew"), "{warned}");
        let note = doc.descendants().find(|n| n.attribute("name") == Some("note")).unwrap();
        assert!(
            note.attribute("value")
                .unwrap()
                .starts_with("the state file /var/lib/kbz-check/state.json is not valid JSON"),
            "{xml}"
        );
        let fr = render(&Report::remembered(), &crate::render::words::FR);
        assert!(fr.contains("en échec depuis le 2025-12-15 09:12 UTC (21 jours)"), "{fr}");
    }

    #[test]
    fn suite_is_named_kbz_check_without_an_id() {
        let xml = render(&report(None), &EN);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let suite = doc.descendants().find(|n| n.has_tag_name("testsuite")).unwrap();
        assert_eq!(suite.attribute("name"), Some("kbz-check"));
        let verdict = doc.descendants().find(|n| n.attribute("name") == Some("verdict")).unwrap();
        assert_eq!(verdict.attribute("value"), Some("FAIL"));
    }
}
