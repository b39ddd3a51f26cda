//! The report as Prometheus metrics, in the Prometheus text exposition
//! format 0.0.4: what node_exporter's textfile collector reads (`-f
//! prometheus`, `--prometheus FILE`) and what `kbz-check serve` answers on
//! `/metrics`. Written with the Prometheus project's `prometheus-client`
//! crate, which escapes label values; `docs/output.md` ("## prometheus")
//! lists every metric.
//!
//! Labels hold only bounded, non-secret values: the check's name (from the
//! suite, scrubbed of secrets with the rest of the report) and kind, a status
//! or verdict name, and a finding code from the declared table. Never a
//! summary, a target or any other text a server wrote.

use crate::report::{CheckResult, Report, Status, Verdict};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use std::time::SystemTime;

/// The `Content-Type` of what [`encode`] writes.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

const STATUSES: [Status; 4] = [Status::Ok, Status::Warn, Status::Fail, Status::Skip];
const VERDICTS: [Verdict; 4] = [Verdict::Ok, Verdict::Warn, Verdict::Fail, Verdict::Skip];

/// The report's metrics, as text.
pub fn render(report: &Report) -> String {
    encode(&registry(Some(report)))
}

/// A registry holding kbz-check's version and the report's metrics (none
/// without a report: `serve` before its first run ends), to which a caller
/// (`serve`) may add its own.
pub fn registry(report: Option<&Report>) -> Registry {
    let mut snapshot = Snapshot::default();
    snapshot.gauge(
        "kbz_check_build_info",
        "The running kbz-check's version; always 1",
        vec![Sample::new(vec![("version", env!("CARGO_PKG_VERSION").to_string())], 1.0)],
    );
    if let Some(report) = report {
        add_report(&mut snapshot, report);
    }
    let mut registry = Registry::default();
    registry.register_collector(Box::new(snapshot));
    registry
}

/// Every metric of `registry`, in the text format 0.0.4.
pub fn encode(registry: &Registry) -> String {
    let mut text = String::new();
    prometheus_client::encoding::prometheus_text::encode(&mut text, registry).expect("writing to a String cannot fail");
    text
}

/// The metrics of one report, in a fixed order (family by family, checks in
/// report order): the same report always gives the same text.
fn add_report(snapshot: &mut Snapshot, report: &Report) {
    let started = seconds_since_epoch(report.generated_at);
    let verdict = report.verdict();
    snapshot.gauge(
        "kbz_check_run_verdict",
        "The run's verdict: 1 for the one it gave (ok, warn, fail or skip), 0 for the others",
        VERDICTS.iter().map(|v| Sample::new(vec![("verdict", verdict_name(*v).into())], flag(*v == verdict))).collect(),
    );
    snapshot.gauge(
        "kbz_check_run_timestamp_seconds",
        "When the run these metrics come from started, in seconds since the Unix epoch",
        vec![Sample::new(vec![], started)],
    );
    snapshot.gauge(
        "kbz_check_run_duration_seconds",
        "How long the run took, its checks running concurrently",
        vec![Sample::new(vec![], report.duration.as_secs_f64())],
    );
    let per_check = |value: &dyn Fn(&CheckResult) -> Vec<Sample>| report.checks.iter().flat_map(value).collect();
    snapshot.gauge(
        "kbz_check_check_status",
        "The check's status: 1 for the one it ended in (ok, warn, fail or skip), 0 for the others",
        per_check(&|check| {
            STATUSES
                .iter()
                .map(|status| {
                    let labels = check_labels(check, [("status", status_name(*status).into())]);
                    Sample::new(labels, flag(*status == check.status))
                })
                .collect()
        }),
    );
    snapshot.gauge(
        "kbz_check_check_finding_info",
        "The finding code of the check's main diagnosis (a code of docs/output.md's table; empty when it has none); always 1",
        per_check(&|check| {
            let code = check.code.map_or("", |code| code.as_str());
            vec![Sample::new(check_labels(check, [("code", code.into())]), 1.0)]
        }),
    );
    snapshot.gauge(
        "kbz_check_check_duration_seconds",
        "How long the check took (its attempts together, with --retry-for)",
        per_check(&|check| vec![Sample::new(check_labels(check, []), check.duration_ms as f64 / 1000.0)]),
    );
    snapshot.gauge(
        "kbz_check_check_last_run_timestamp_seconds",
        "When the run that gave the check's result started, in seconds since the Unix epoch",
        per_check(&|check| vec![Sample::new(check_labels(check, []), started)]),
    );
    let since: Vec<Sample> = report
        .checks
        .iter()
        .filter_map(|check| Some(Sample::new(check_labels(check, []), seconds_since_epoch(check.failing_since()?))))
        .collect();
    if !since.is_empty() {
        snapshot.gauge(
            "kbz_check_check_failing_since_timestamp_seconds",
            "Since when the check has been failing without a pass in between, in seconds since the Unix epoch",
            since,
        );
    }
}

/// `check` and `kind`, then `extra`.
fn check_labels<const N: usize>(
    check: &CheckResult,
    extra: [(&'static str, String); N],
) -> Vec<(&'static str, String)> {
    let mut labels = vec![("check", check.name.clone()), ("kind", check.kind.clone())];
    labels.extend(extra);
    labels
}

fn flag(on: bool) -> f64 {
    if on {
        1.0
    } else {
        0.0
    }
}

fn seconds_since_epoch(at: SystemTime) -> f64 {
    crate::time::unix_seconds(at) as f64
}

/// The machine name JSON gives a status.
pub fn status_name(status: Status) -> &'static str {
    match status {
        Status::Ok => "ok",
        Status::Warn => "warn",
        Status::Fail => "fail",
        Status::Skip => "skip",
    }
}

/// The machine name JSON gives a verdict.
pub fn verdict_name(verdict: Verdict) -> &'static str {
    status_name(verdict.status())
}

/// Metric families with their values at one moment, written in the order
/// they were added: a `prometheus-client` collector for values that are
/// read, not counted, here (a report; `serve`'s run counts).
#[derive(Debug, Default)]
pub struct Snapshot {
    families: Vec<Family>,
}

#[derive(Debug)]
struct Family {
    name: &'static str,
    help: &'static str,
    counter: bool,
    samples: Vec<Sample>,
}

/// One series: its labels and value.
#[derive(Debug)]
pub struct Sample {
    labels: Vec<(&'static str, String)>,
    value: f64,
}

impl Sample {
    pub fn new(labels: Vec<(&'static str, String)>, value: f64) -> Sample {
        Sample { labels, value }
    }
}

impl Snapshot {
    pub fn gauge(&mut self, name: &'static str, help: &'static str, samples: Vec<Sample>) {
        self.families.push(Family { name, help, counter: false, samples });
    }

    /// A counter family; `name` without `_total`, which the encoding adds.
    pub fn counter(&mut self, name: &'static str, help: &'static str, samples: Vec<Sample>) {
        self.families.push(Family { name, help, counter: true, samples });
    }
}

impl Collector for Snapshot {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for family in &self.families {
            let kind =
                if family.counter { ConstCounter::new(0.0).metric_type() } else { ConstGauge::new(0.0).metric_type() };
            let mut metric = encoder.encode_descriptor(family.name, family.help, None, kind)?;
            for sample in &family.samples {
                let series = metric.encode_family(&sample.labels)?;
                if family.counter {
                    ConstCounter::new(sample.value).encode(series)?;
                } else {
                    ConstGauge::new(sample.value).encode(series)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{History, Outcome};
    use std::time::Duration;

    fn check(name: &str, kind: &str, status: Status) -> CheckResult {
        let outcome = Outcome::new(status, "summary with a target postgresql://u:***@db/app");
        CheckResult::from_outcome(name, kind, "postgresql://u:***@db/app", Duration::from_millis(1500), outcome)
    }

    fn report() -> Report {
        let failing = CheckResult::from_outcome(
            "db",
            "postgres",
            "postgresql://u:***@db/app",
            Duration::from_millis(12),
            Outcome::new(Status::Fail, "on a replica").coded(crate::code::run::TIMED_OUT),
        );
        Report {
            generated_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_776_400),
            duration: Duration::from_millis(2500),
            ..Report::of_checks(vec![failing, check("mail", "smtp", Status::Ok)])
        }
    }

    /// The lines of `text` that are samples of `name` (not its HELP or TYPE).
    fn samples<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
        text.lines().filter(|l| l.strip_prefix(name).is_some_and(|rest| rest.starts_with(['{', ' ']))).collect()
    }

    #[test]
    fn every_check_has_its_status_its_code_and_its_times() {
        let text = render(&report());
        assert_eq!(
            samples(&text, "kbz_check_check_status"),
            [
                r#"kbz_check_check_status{check="db",kind="postgres",status="ok"} 0.0"#,
                r#"kbz_check_check_status{check="db",kind="postgres",status="warn"} 0.0"#,
                r#"kbz_check_check_status{check="db",kind="postgres",status="fail"} 1.0"#,
                r#"kbz_check_check_status{check="db",kind="postgres",status="skip"} 0.0"#,
                r#"kbz_check_check_status{check="mail",kind="smtp",status="ok"} 1.0"#,
                r#"kbz_check_check_status{check="mail",kind="smtp",status="warn"} 0.0"#,
                r#"kbz_check_check_status{check="mail",kind="smtp",status="fail"} 0.0"#,
                r#"kbz_check_check_status{check="mail",kind="smtp",status="skip"} 0.0"#,
            ]
        );
        assert_eq!(
            samples(&text, "kbz_check_check_finding_info"),
            [
                r#"kbz_check_check_finding_info{check="db",kind="postgres",code="check.timed_out"} 1.0"#,
                r#"kbz_check_check_finding_info{check="mail",kind="smtp",code=""} 1.0"#,
            ]
        );
        assert_eq!(
            samples(&text, "kbz_check_check_duration_seconds"),
            [
                r#"kbz_check_check_duration_seconds{check="db",kind="postgres"} 0.012"#,
                r#"kbz_check_check_duration_seconds{check="mail",kind="smtp"} 1.5"#,
            ]
        );
        assert_eq!(
            samples(&text, "kbz_check_check_last_run_timestamp_seconds"),
            [
                r#"kbz_check_check_last_run_timestamp_seconds{check="db",kind="postgres"} 1767776400.0"#,
                r#"kbz_check_check_last_run_timestamp_seconds{check="mail",kind="smtp"} 1767776400.0"#,
            ]
        );
        // No memory across runs yet: the metric is not claimed.
        assert!(!text.contains("failing_since"), "{text}");
    }

    #[test]
    fn the_run_has_one_verdict_its_start_and_its_duration() {
        let text = render(&report());
        assert_eq!(
            samples(&text, "kbz_check_run_verdict"),
            [
                r#"kbz_check_run_verdict{verdict="ok"} 0.0"#,
                r#"kbz_check_run_verdict{verdict="warn"} 0.0"#,
                r#"kbz_check_run_verdict{verdict="fail"} 1.0"#,
                r#"kbz_check_run_verdict{verdict="skip"} 0.0"#,
            ]
        );
        assert_eq!(samples(&text, "kbz_check_run_timestamp_seconds"), ["kbz_check_run_timestamp_seconds 1767776400.0"]);
        assert_eq!(samples(&text, "kbz_check_run_duration_seconds"), ["kbz_check_run_duration_seconds 2.5"]);
        let version = format!(r#"kbz_check_build_info{{version="{}"}} 1.0"#, env!("CARGO_PKG_VERSION"));
        assert_eq!(samples(&text, "kbz_check_build_info"), [version.as_str()]);
    }

    #[test]
    fn every_family_has_help_and_type_and_only_known_names() {
        let text = render(&report());
        let mut families = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').unwrap();
                assert_eq!(kind, "gauge", "{line}");
                assert!(text.contains(&format!("# HELP {name} ")), "{name} has no HELP");
                families.push(name);
            } else if !line.starts_with("# HELP ") {
                let name = line.split(['{', ' ']).next().unwrap();
                assert!(families.contains(&name), "a sample outside its family: {line}");
            }
        }
        assert!(families.iter().all(|name| name.starts_with("kbz_check_")), "{families:?}");
        // Never a summary, a target or a status line's words.
        assert!(!text.contains("replica") && !text.contains("postgresql://"), "{text}");
    }

    #[test]
    fn odd_check_names_are_escaped_and_stay_one_line() {
        let name = "db \"main\"\\eu\nwest\tx ✓";
        let report = Report::of_checks(vec![check(name, "postgres", Status::Warn)]);
        let text = render(&report);
        let escaped = r#"check="db \"main\"\\eu\nwest	x ✓",kind="postgres""#;
        let lines = samples(&text, "kbz_check_check_status");
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines.iter().all(|l| l.contains(escaped)), "{text}");
        assert!(
            lines.contains(&format!(r#"kbz_check_check_status{{{escaped},status="warn"}} 1.0"#).as_str()),
            "{text}"
        );
    }

    #[test]
    fn failing_since_is_written_for_the_checks_that_know_it() {
        let mut report = report();
        for check in report.checks.iter_mut().filter(|check| check.status == Status::Fail) {
            let since = SystemTime::UNIX_EPOCH + Duration::from_secs(1_765_790_000);
            check.history = Some(History { failing_since: Some(since), cause_changed: None });
        }
        let mut snapshot = Snapshot::default();
        add_report(&mut snapshot, &report);
        let mut registry = Registry::default();
        registry.register_collector(Box::new(snapshot));
        let text = encode(&registry);
        assert_eq!(
            samples(&text, "kbz_check_check_failing_since_timestamp_seconds"),
            [r#"kbz_check_check_failing_since_timestamp_seconds{check="db",kind="postgres"} 1765790000.0"#]
        );
    }

    #[test]
    fn counters_get_their_total_suffix() {
        let mut snapshot = Snapshot::default();
        snapshot.counter("kbz_check_runs", "Runs", vec![Sample::new(vec![], 3.0)]);
        let mut registry = Registry::default();
        registry.register_collector(Box::new(snapshot));
        assert_eq!(
            encode(&registry),
            "# HELP kbz_check_runs_total Runs\n# TYPE kbz_check_runs_total counter\nkbz_check_runs_total 3.0\n"
        );
    }
}
