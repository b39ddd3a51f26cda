//! The machine format: `kbz-check/report/v1` (DESIGN.md section 4).

use crate::report::{CheckResult, Note, Report, RootCause, Verdict};
use crate::vantage::Vantage;
use serde::Serialize;

pub const SCHEMA: &str = "kbz-check/report/v1";

#[derive(Serialize)]
struct JsonReport<'a> {
    schema: &'static str,
    id: Option<&'a str>,
    title: Option<&'a str>,
    generated_at: String,
    duration_ms: u64,
    verdict: Verdict,
    interrupted: bool,
    /// Where the checks looked from (`--env-from-pid`, `--netns-of`); absent when from kbz-check's own process.
    #[serde(skip_serializing_if = "Option::is_none")]
    vantage: Option<&'a Vantage>,
    /// What the run has to say beside the checks (a state file it replaced); absent when nothing.
    #[serde(skip_serializing_if = "<[Note]>::is_empty")]
    notes: &'a [Note],
    root_causes: &'a [RootCause],
    checks: &'a [CheckResult],
}

pub fn render(report: &Report) -> String {
    let json = JsonReport {
        schema: SCHEMA,
        id: report.id.as_deref(),
        title: report.title.as_deref(),
        generated_at: report.generated_at_rfc3339(),
        duration_ms: report.duration.as_millis() as u64,
        verdict: report.verdict(),
        interrupted: report.interrupted,
        vantage: report.vantage.as_ref(),
        notes: &report.notes,
        root_causes: &report.root_causes,
        checks: &report.checks,
    };
    let mut text = serde_json::to_string_pretty(&json).expect("the report serializes to JSON");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_memory_of_earlier_runs_is_two_fields_per_check_and_a_note() {
        let report: serde_json::Value = serde_json::from_str(&render(&Report::remembered())).unwrap();
        let check =
            |name: &str| report["checks"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap().clone();
        assert_eq!(check("vault")["failing_since"], "2025-12-15T09:12:00Z");
        assert_eq!(
            check("vault")["cause_changed"],
            json!({"was": "vault.sealed", "now": "vault.unreachable.refused", "at": "2026-01-03T09:12:00Z"})
        );
        for name in ["ok", "skipped"] {
            assert_eq!(
                (check(name)["failing_since"].clone(), check(name)["cause_changed"].clone()),
                (json!(null), json!(null))
            );
            assert!(check(name).as_object().unwrap().contains_key("failing_since"), "null, not absent, with a memory");
        }
        assert_eq!(check("skew")["failing_since"], json!(null));
        assert_eq!(
            report["notes"],
            json!([{"note": "state_discarded", "path": "/var/lib/kbz-check/state.json", "problem": {"kind": "not_json", "line": 1, "column": 2}}])
        );
        // Without a memory, neither field nor the notes: reports stay as they were.
        let mut forgetful = Report::remembered();
        forgetful.notes.clear();
        forgetful.checks.iter_mut().for_each(|c| c.history = None);
        let text = render(&forgetful);
        assert!(
            !text.contains("failing_since") && !text.contains("cause_changed") && !text.contains("notes"),
            "{text}"
        );
    }
}
