//! The shipped Prometheus rules (docs/prometheus/alerts.yml) as Prometheus
//! itself reads them: `promtool check rules` finds nothing wrong, `promtool
//! test rules` runs their unit tests (each alert fires, then clears), the
//! Prometheus Operator form holds the same rules, every metric and label
//! they read is one a real `kbz-check serve` exposes, and a real Prometheus
//! (Debian's) evaluates them on a real `serve` without error.

mod support;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};
use support::kbz_check;
use support::net::{free_port, http};
use support::prometheus::{Prometheus, PROMTOOL};

/// Bound on the wait for `serve`'s first run; the test polls, it does not time.
const WITHIN: Duration = Duration::from_secs(60);
/// Labels Prometheus adds to every scraped series.
const TARGET_LABELS: [&str; 2] = ["job", "instance"];
/// Series the rules read that are Prometheus's own, not kbz-check's.
const PROMETHEUS_SERIES: [&str; 1] = ["up"];

fn docs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// `promtool ARGS`: whether it passed, and everything it printed.
fn promtool(args: &[&str]) -> (bool, String) {
    assert!(
        Path::new(PROMTOOL).is_file(),
        "{PROMTOOL} is missing: run scripts/test, which installs Debian's prometheus package (or apt-get install prometheus)"
    );
    let out = Command::new(PROMTOOL)
        .args(args)
        .env_clear()
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot start {PROMTOOL}: {e}"));
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), said)
}

#[test]
fn promtool_check_rules_accepts_the_shipped_rules() {
    let rules = docs().join("prometheus/alerts.yml");
    let (passed, said) = promtool(&["check", "rules", "--lint=all", "--lint-fatal", rules.to_str().unwrap()]);
    assert!(passed && said.contains("SUCCESS"), "promtool check rules:\n{said}");
    assert!(!said.to_lowercase().contains("warn"), "promtool check rules has something to say:\n{said}");
}

#[test]
fn promtool_test_rules_passes_every_unit_test_of_the_shipped_rules() {
    let tests = docs().join("prometheus/alerts_test.yml");
    let (passed, said) = promtool(&["test", "rules", tests.to_str().unwrap()]);
    assert!(passed && said.contains("SUCCESS"), "promtool test rules:\n{said}");
    // Each alert is tested firing, then absent later in the same test.
    let evals = alert_evals(&read(&tests));
    for alert in alert_names(&read(&docs().join("prometheus/alerts.yml"))) {
        let fires_then_clears = evals.iter().any(|(group, fired_at, name, fires)| {
            name == &alert
                && *fires
                && evals.iter().any(|(g, at, n, f)| g == group && n == &alert && !*f && at > fired_at)
        });
        assert!(fires_then_clears, "alerts_test.yml must show {alert} firing, then absent at a later time");
    }
}

/// The unit tests' alert evaluations: (test group, minute, alert, whether
/// any alert is expected).
fn alert_evals(tests: &str) -> Vec<(usize, u32, String, bool)> {
    let mut evals = Vec::new();
    let (mut group, mut minute, mut alert) = (0, 0, String::new());
    for line in tests.lines().map(str::trim) {
        if line.starts_with("- name: ") {
            group += 1;
        } else if let Some(at) = line.strip_prefix("- eval_time: ") {
            minute = at
                .strip_suffix('m')
                .and_then(|m| m.parse().ok())
                .unwrap_or_else(|| panic!("eval_time in minutes: {at}"));
        } else if let Some(name) = line.strip_prefix("alertname: ") {
            alert = name.to_string();
        } else if let Some(expected) = line.strip_prefix("exp_alerts:") {
            evals.push((group, minute, alert.clone(), expected.trim() != "[]"));
        }
    }
    assert!(!evals.is_empty(), "alerts_test.yml has alert tests");
    evals
}

#[test]
fn the_prometheus_operator_rule_holds_the_same_rules() {
    let rules = read(&docs().join("prometheus/alerts.yml"));
    let manifest = read(&docs().join("k8s/prometheus-operator.yaml"));
    let rule_resource = manifest
        .split("\n---\n")
        .find(|doc| doc.contains("\nkind: PrometheusRule\n"))
        .expect("prometheus-operator.yaml has a PrometheusRule");
    let spec = rule_resource.split_once("\nspec:\n").expect("the PrometheusRule has a spec").1;
    let given: Vec<&str> = spec.trim_end().lines().map(|line| line.strip_prefix("  ").unwrap_or(line)).collect();
    let groups = &rules[rules.find("\ngroups:\n").expect("alerts.yml has groups") + 1..];
    let expected: Vec<&str> = groups.trim_end().lines().collect();
    let first_difference = (0..given.len().max(expected.len())).find(|at| given.get(*at) != expected.get(*at));
    if let Some(at) = first_difference {
        panic!(
            "the PrometheusRule's spec must be alerts.yml's groups indented by two spaces; line {} of the groups differs:\n\
             alerts.yml:               {:?}\nprometheus-operator.yaml: {:?}",
            at + 1,
            expected.get(at),
            given.get(at)
        );
    }
}

#[test]
fn the_rules_read_only_metrics_and_labels_that_kbz_check_exposes() {
    let exposed = exposition_of_a_real_serve();
    let rules = read(&docs().join("prometheus/alerts.yml"));
    let tests = read(&docs().join("prometheus/alerts_test.yml"));
    let recorded = recorded_names(&rules);
    assert!(!recorded.is_empty(), "alerts.yml records a series");

    // Every metric named in the expressions and annotations' queries.
    for name in metric_names(&rules) {
        if name.contains(':') {
            assert!(recorded.contains(&name), "{name} is used but no rule records it");
        } else {
            assert!(
                exposed.contains_key(&name) || PROMETHEUS_SERIES.contains(&name.as_str()),
                "alerts.yml reads {name}, which kbz-check does not expose; it exposes {:?}",
                exposed.keys()
            );
        }
    }
    let all_labels: BTreeSet<&str> = exposed.values().flatten().map(String::as_str).chain(TARGET_LABELS).collect();
    for label in labels_read(&rules) {
        assert!(all_labels.contains(label.as_str()), "alerts.yml reads the label {label}, which no series has");
    }

    // The unit tests feed the series kbz-check really gives: its names, its
    // labels (plus the target's), its finding codes.
    let codes = declared_codes();
    let mut fed = BTreeSet::new();
    for series in input_series(&tests) {
        let (name, labels) = parse_series(&series);
        if PROMETHEUS_SERIES.contains(&name.as_str()) {
            continue;
        }
        let expected =
            exposed.get(&name).unwrap_or_else(|| panic!("alerts_test.yml feeds {name}, not a kbz-check metric"));
        let given: BTreeSet<String> =
            labels.keys().filter(|label| !TARGET_LABELS.contains(&label.as_str())).cloned().collect();
        assert_eq!(&given, expected, "the labels of {series} in alerts_test.yml");
        if let Some(code) = labels.get("code").filter(|code| !code.is_empty()) {
            assert!(codes.contains(code), "alerts_test.yml uses {code}, not a declared finding code");
        }
        fed.insert(name);
    }
    assert!(fed.len() >= 5, "the unit tests feed kbz-check's metrics: {fed:?}");
}

/// A real Prometheus (Debian's) loads the shipped rules and evaluates them
/// on a real `serve`: the failing check's alert is pending with its finding
/// code and failing-since time, and is gone once the check passes; a
/// stopped `serve` makes KbzCheckDown pending. (`for:` is minutes long: the
/// firing itself is the unit tests'.)
#[test]
fn a_real_prometheus_evaluates_the_rules_on_a_real_serve_and_the_alert_goes_when_the_check_passes() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken");
    std::fs::write(&broken, "").unwrap();
    let suite = format!(
        "[checks.fine]\nkind = \"exec\"\ncommand = [\"/bin/true\"]\n\n\
         [checks.relay]\nkind = \"exec\"\ncommand = [\"/bin/sh\", \"-c\", \"if [ -e {} ]; then exit 2; fi\"]\n",
        broken.display()
    );
    let (serve, port) = serve(dir.path(), &suite);
    let rules = docs().join("prometheus/alerts.yml");
    let text = read(&rules);
    let rule_count = alert_names(&text).len() + recorded_names(&text).len();
    let prometheus = Prometheus::scraping_with_rules(port, &[&rules]);
    let instance = format!("127.0.0.1:{port}");

    // Every rule loads and evaluates without error.
    wait_for(&prometheus, "every rule evaluated without error", |p| {
        let groups = p.api("/api/v1/rules")?;
        let rules: Vec<&Value> = groups["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|g| g["rules"].as_array().into_iter().flatten())
            .collect();
        match rules.len() == rule_count && rules.iter().all(|r| r["health"] == "ok") {
            true => Ok(()),
            false => Err(format!("{rules:?}")),
        }
    });
    let alert = wait_for(&prometheus, "KbzCheckFailing pending for relay", |p| {
        failing_alerts(p)?.into_iter().find(|a| a["labels"]["check"] == "relay").ok_or("none yet".into())
    });
    assert_eq!(alert["state"], "pending", "{alert}");
    assert_eq!(alert["labels"]["instance"], instance.as_str(), "{alert}");
    assert_eq!(alert["annotations"]["summary"], "relay (exec) fails: exec.plugin.critical", "{alert}");
    let description = alert["annotations"]["description"].as_str().unwrap_or_default();
    assert!(
        description.starts_with(&format!("kbz-check on {instance} (job kbz-check) sees check relay fail since 20")),
        "{description}"
    );
    assert!(failing_alerts(&prometheus).unwrap().iter().all(|a| a["labels"]["check"] != "fine"));

    std::fs::remove_file(&broken).unwrap();
    wait_for(&prometheus, "KbzCheckFailing gone once relay passes", |p| match failing_alerts(p)?.as_slice() {
        [] => Ok(()),
        left => Err(format!("{left:?}")),
    });
    prometheus.wait_for_value(r#"check:kbz_check_check_status_changes:30m{check="relay"}"#, "1", WITHIN);

    drop(serve);
    let down = wait_for(&prometheus, "KbzCheckDown pending once serve is stopped", |p| {
        alerts(p)?.into_iter().find(|a| a["labels"]["alertname"] == "KbzCheckDown").ok_or("none yet".into())
    });
    assert_eq!(down["labels"]["instance"], instance.as_str(), "{down}");
    assert_eq!(down["annotations"]["summary"], format!("kbz-check on {instance} cannot be scraped").as_str(), "{down}");
}

fn alerts(prometheus: &Prometheus) -> Result<Vec<Value>, String> {
    Ok(prometheus.api("/api/v1/alerts")?["alerts"].as_array().cloned().unwrap_or_default())
}

fn failing_alerts(prometheus: &Prometheus) -> Result<Vec<Value>, String> {
    Ok(alerts(prometheus)?.into_iter().filter(|a| a["labels"]["alertname"] == "KbzCheckFailing").collect())
}

/// Polls `probe` until it gives `Ok`; panics after [`WITHIN`] with its last error.
fn wait_for<T>(prometheus: &Prometheus, what: &str, probe: impl Fn(&Prometheus) -> Result<T, String>) -> T {
    let deadline = Instant::now() + WITHIN;
    loop {
        match probe(prometheus) {
            Ok(value) => return value,
            Err(last) => assert!(
                Instant::now() < deadline,
                "{what}: not within {WITHIN:?}; last: {last}\nPrometheus log:\n{}",
                prometheus.log()
            ),
        }
        thread::sleep(Duration::from_millis(200));
    }
}

/// `kbz-check serve`, killed on drop.
struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `kbz-check serve --interval 1s` on a free loopback port with the suite
/// `suite` (TOML), killed on drop; its stderr in `dir`.
fn serve(dir: &Path, suite: &str) -> (Serve, u16) {
    let path = dir.join("suite.toml");
    std::fs::write(&path, suite).unwrap();
    let port = free_port();
    let child = kbz_check()
        .args(["--config", path.to_str().unwrap(), "serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--interval", "1s"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("serve.log")).unwrap())
        .spawn()
        .expect("start kbz-check serve");
    (Serve(child), port)
}

/// The metric families of `/metrics` after the first run of `serve` with a
/// passing and a failing check (so that every family is there, failing
/// since included), each with its label names.
fn exposition_of_a_real_serve() -> BTreeMap<String, BTreeSet<String>> {
    let dir = tempfile::tempdir().unwrap();
    let (_serve, port) = serve(
        dir.path(),
        "[checks.fine]\nkind = \"exec\"\ncommand = [\"/bin/true\"]\n\n\
         [checks.broken]\nkind = \"exec\"\ncommand = [\"/bin/sh\", \"-c\", \"exit 2\"]\n",
    );
    let deadline = Instant::now() + WITHIN;
    loop {
        if let Ok((200, body)) = http(port, "GET", "/metrics", &[], "") {
            if body.contains("kbz_check_check_failing_since_timestamp_seconds{") {
                return families(&body);
            }
        }
        let log = read(&dir.path().join("serve.log"));
        assert!(Instant::now() < deadline, "no run's metrics on /metrics within {WITHIN:?}:\n{log}");
        thread::sleep(Duration::from_millis(100));
    }
}

/// Each sample's metric name, with the label names its samples carry.
fn families(exposition: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut families = BTreeMap::<String, BTreeSet<String>>::new();
    for line in exposition.lines().filter(|line| !line.starts_with('#') && !line.trim().is_empty()) {
        let (name, labels) = parse_series(line.rsplit_once(' ').expect("a sample has a value").0);
        families.entry(name).or_default().extend(labels.into_keys());
    }
    families
}

/// `name{label="value",…}` as its name and labels (escapes kept as written).
fn parse_series(series: &str) -> (String, BTreeMap<String, String>) {
    let Some((name, rest)) = series.split_once('{') else { return (series.trim().to_string(), BTreeMap::new()) };
    let mut labels = BTreeMap::new();
    let mut rest = rest.trim_end().strip_suffix('}').unwrap_or_else(|| panic!("unclosed labels: {series}"));
    while let Some((label, after)) = rest.split_once("=\"") {
        let mut end = 0;
        let mut escaped = false;
        for (at, c) in after.char_indices() {
            match (escaped, c) {
                (false, '\\') => escaped = true,
                (false, '"') => {
                    end = at;
                    break;
                }
                _ => escaped = false,
            }
        }
        labels.insert(label.trim_start_matches(',').trim().to_string(), after[..end].to_string());
        rest = &after[end + 1..];
    }
    (name.to_string(), labels)
}

/// The words of `text` that can be series names: `kbz_check_…` metrics and
/// recorded `level:metric:operation` names, plus Prometheus's own series.
fn metric_names(text: &str) -> BTreeSet<String> {
    let rules: String = text.lines().filter(|line| !line.trim_start().starts_with('#')).collect::<Vec<_>>().join("\n");
    let mut names: BTreeSet<String> = rules
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|word| word.starts_with("kbz_check_") || word.contains(":kbz_check_"))
        .map(|word| word.trim_end_matches(':').to_string())
        .collect();
    for own in PROMETHEUS_SERIES {
        if rules.contains(&format!("{own}{{")) {
            names.insert(own.to_string());
        }
    }
    names
}

/// The names of the series that `record:` rules write.
fn recorded_names(rules: &str) -> BTreeSet<String> {
    rules
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- record: "))
        .map(|name| name.trim().to_string())
        .collect()
}

fn alert_names(rules: &str) -> Vec<String> {
    rules.lines().filter_map(|line| line.trim().strip_prefix("- alert: ")).map(|name| name.trim().to_string()).collect()
}

/// Labels the rules read: `$labels.X` in templates, `X=%q` in their queries,
/// and `on (…)`, `by (…)`, `without (…)` in expressions.
fn labels_read(rules: &str) -> BTreeSet<String> {
    let rules: String = rules.lines().filter(|line| !line.trim_start().starts_with('#')).collect::<Vec<_>>().join("\n");
    let is_label_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut labels = BTreeSet::new();
    for piece in rules.split("$labels.").skip(1) {
        labels.insert(piece.chars().take_while(|c| is_label_char(*c)).collect());
    }
    for (at, _) in rules.match_indices("=%q") {
        let before = &rules[..at];
        let start = before.rfind(|c: char| !is_label_char(c)).map_or(0, |i| i + 1);
        labels.insert(before[start..].to_string());
    }
    for keyword in ["on (", "by (", "without ("] {
        for piece in rules.split(keyword).skip(1) {
            let list = piece.split_once(')').expect("a closed label list").0;
            labels.extend(list.split(',').map(|label| label.trim().to_string()));
        }
    }
    labels.retain(|label: &String| !label.is_empty());
    assert!(labels.contains("check") && labels.contains("job"), "labels were found: {labels:?}");
    labels
}

/// The `series:` of the unit tests' `input_series`.
fn input_series(tests: &str) -> Vec<String> {
    let series: Vec<String> = tests
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- series: "))
        .map(|quoted| quoted.trim().trim_matches('\'').to_string())
        .collect();
    assert!(!series.is_empty(), "alerts_test.yml has input series");
    series
}

/// The finding codes of docs/output.md's table.
fn declared_codes() -> BTreeSet<String> {
    let output = read(&docs().join("output.md"));
    let table = output.split("### Finding codes").nth(1).expect("docs/output.md has a finding codes table");
    let codes: BTreeSet<String> = table
        .lines()
        .take_while(|line| !line.starts_with('#'))
        .filter_map(|line| line.strip_prefix("| `")?.split_once('`').map(|(code, _)| code.to_string()))
        .collect();
    assert!(codes.contains("vault.sealed"), "the finding codes were read: {} codes", codes.len());
    codes
}
