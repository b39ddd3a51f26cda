//! The machine format: `kbz-check/report/v1` (DESIGN.md section 4).

use crate::report::{CheckResult, Report, RootCause, Verdict};
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
        root_causes: &report.root_causes,
        checks: &report.checks,
    };
    let mut text = serde_json::to_string_pretty(&json).expect("the report serializes to JSON");
    text.push('\n');
    text
}
