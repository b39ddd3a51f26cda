//! A real Prometheus (Debian's `prometheus` package) on loopback, scraping
//! one target every second (evaluating rule files too, if given), with its
//! own config and storage in a temp dir; killed on drop. And `promtool check metrics`, the linter of the
//! Prometheus project, on a text.

use super::net::{free_port, http};
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};
use tempfile::TempDir;

pub const PROMETHEUS: &str = "/usr/bin/prometheus";
pub const PROMTOOL: &str = "/usr/bin/promtool";
/// Bound on the wait for Prometheus to be ready.
const READY_WAIT: Duration = Duration::from_secs(60);
/// Retries when the port picked by `free_port` was taken in the meantime.
const START_ATTEMPTS: u32 = 3;
const LOG_TAIL_BYTES: usize = 4000;

fn installed(path: &str) {
    assert!(
        Path::new(path).is_file(),
        "{path} is missing: run scripts/test, which installs Debian's prometheus package (or apt-get install prometheus)"
    );
}

/// Prometheus scraping `127.0.0.1:target_port` `/metrics` every second.
pub struct Prometheus {
    child: Child,
    port: u16,
    // Removed after `Drop::drop` has killed the process.
    dir: TempDir,
}

impl Prometheus {
    pub fn scraping(target_port: u16) -> Prometheus {
        Prometheus::scraping_with_rules(target_port, &[])
    }

    /// The same, evaluating the rule files `rules` every second.
    pub fn scraping_with_rules(target_port: u16, rules: &[&Path]) -> Prometheus {
        installed(PROMETHEUS);
        let rule_files = match rules {
            [] => String::new(),
            _ => format!(
                "rule_files:\n{}",
                rules.iter().map(|path| format!("  - '{}'\n", path.display())).collect::<String>()
            ),
        };
        let mut last_log = String::new();
        for _ in 0..START_ATTEMPTS {
            let dir = tempfile::Builder::new().prefix("kbz-prometheus-").tempdir().expect("temp dir for prometheus");
            let config = dir.path().join("prometheus.yml");
            std::fs::write(
                &config,
                format!(
                    "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
                     {rule_files}\
                     scrape_configs:\n  - job_name: kbz-check\n    static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n"
                ),
            )
            .expect("write prometheus.yml");
            let port = free_port();
            let log = std::fs::File::create(dir.path().join("prometheus.log")).expect("create prometheus.log");
            let child = Command::new(PROMETHEUS)
                .arg(format!("--config.file={}", config.display()))
                .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .env_clear()
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("clone the log handle"))
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {PROMETHEUS}: {e}"));
            let mut prometheus = Prometheus { child, port, dir };
            match prometheus.wait_until_ready() {
                Ok(()) => return prometheus,
                Err(log) => last_log = log,
            }
        }
        panic!("Prometheus did not start after {START_ATTEMPTS} attempts; last log:\n{last_log}");
    }

    /// `Err(log)` when the process exited (its port was taken): retry on another.
    fn wait_until_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + READY_WAIT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited with {status}\n{}", self.log()));
            }
            if matches!(http(self.port, "GET", "/-/ready", &[], ""), Ok((200, _))) {
                return Ok(());
            }
            assert!(Instant::now() < deadline, "Prometheus not ready within {READY_WAIT:?}\n{}", self.log());
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// The series an instant query gives, from Prometheus's own query API
    /// (`/api/v1/query`): each one's labels and value as Prometheus writes it.
    pub fn query(&self, promql: &str) -> Result<Vec<(Value, String)>, String> {
        let (code, body) = http(self.port, "GET", &format!("/api/v1/query?query={}", url_encode(promql)), &[], "")?;
        let answer: Value = serde_json::from_str(&body).map_err(|e| format!("HTTP {code}, not JSON ({e}): {body}"))?;
        if answer["status"] != "success" {
            return Err(format!("HTTP {code}: {answer}"));
        }
        let series = answer["data"]["result"].as_array().ok_or_else(|| format!("no result in {answer}"))?;
        Ok(series
            .iter()
            .map(|s| (s["metric"].clone(), s["value"][1].as_str().unwrap_or_default().to_string()))
            .collect())
    }

    /// The `data` of a GET on Prometheus's HTTP API, e.g. `/api/v1/alerts`.
    pub fn api(&self, path: &str) -> Result<Value, String> {
        let (code, body) = http(self.port, "GET", path, &[], "")?;
        let answer: Value = serde_json::from_str(&body).map_err(|e| format!("HTTP {code}, not JSON ({e}): {body}"))?;
        match answer["status"] == "success" {
            true => Ok(answer["data"].clone()),
            false => Err(format!("HTTP {code}: {answer}")),
        }
    }

    /// Waits until `promql` gives exactly one series whose value is
    /// `value`; panics after `within` with what it gave last.
    pub fn wait_for_value(&self, promql: &str, value: &str, within: Duration) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let answer = self.query(promql);
            if let Ok([(labels, got)]) = answer.as_deref() {
                if got == value {
                    return labels.clone();
                }
            }
            assert!(
                Instant::now() < deadline,
                "`{promql}` did not become {value} within {within:?}; last answer: {answer:?}\nPrometheus log:\n{}",
                self.log()
            );
            thread::sleep(Duration::from_millis(200));
        }
    }

    /// The tail of Prometheus's log, for assertion messages.
    pub fn log(&self) -> String {
        let text = std::fs::read_to_string(self.dir.path().join("prometheus.log")).unwrap_or_default();
        let start = text.len().saturating_sub(LOG_TAIL_BYTES);
        let start = (start..text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(text.len());
        text[start..].to_string()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What `promtool check metrics` says of `text` (its stdout and stderr),
/// and whether it passed.
pub fn promtool_check_metrics(text: &str) -> (bool, String) {
    installed(PROMTOOL);
    let mut child = Command::new(PROMTOOL)
        .args(["check", "metrics"])
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {PROMTOOL}: {e}"));
    child.stdin.take().expect("promtool stdin").write_all(text.as_bytes()).expect("write to promtool");
    let out = child.wait_with_output().expect("wait for promtool");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), said)
}

/// `text` as a URL query value: everything but unreserved characters percent-encoded.
fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
