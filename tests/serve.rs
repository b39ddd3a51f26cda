//! `kbz-check serve` against real servers, scraped by a real Prometheus
//! (Debian's), and the metrics format checked by the Prometheus project's
//! own linter (`promtool check metrics`), for `serve`'s `/metrics` and for
//! the one-shot `-f prometheus` and `--prometheus FILE`.

mod support;

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};
use support::net::{free_port, http, SilentListener};
use support::pg::{percent_encode, Node, PgCluster, Role, APP_PASSWORD};
use support::prometheus::{promtool_check_metrics, Prometheus};
use support::smtp::PYTHON;
use support::{assert_absent, kbz_check};

/// Generous bounds on waits; the tests poll, they do not time.
const WITHIN: Duration = Duration::from_secs(60);
/// SIGTERM must end `serve` well within this, whatever a run is doing.
const STOP_DEADLINE: Duration = Duration::from_secs(10);

/// `kbz-check serve` as a child, its stderr in a file; killed on drop.
struct Serve {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Serve {
    fn start(env: &[(&str, String)], extra: &[&str]) -> Serve {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("serve.log");
        let port = free_port();
        let child = kbz_check()
            .arg("serve")
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(extra)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start kbz-check serve");
        let mut serve = Serve { child, port, log, _dir: dir };
        let deadline = Instant::now() + WITHIN;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = serve.child.try_wait() {
                panic!("kbz-check serve exited with {status}:\n{}", serve.log());
            }
            assert!(Instant::now() < deadline, "kbz-check serve does not listen:\n{}", serve.log());
            thread::sleep(Duration::from_millis(50));
        }
        serve
    }

    fn get(&self, path: &str) -> (u16, String) {
        http(self.port, "GET", path, &[], "").unwrap_or_else(|e| panic!("GET {path}: {e}\n{}", self.log()))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The report of the first run that started after `moment`: the run in
    /// progress then ends within one interval and that one within the
    /// next, so what it says is what serve tells within two intervals.
    fn first_report_after(&self, moment: jiff::Timestamp) -> serde_json::Value {
        let deadline = Instant::now() + WITHIN;
        loop {
            let (code, json) = self.get("/report.json");
            if code == 200 {
                let report: serde_json::Value = serde_json::from_str(&json).unwrap();
                let started: jiff::Timestamp = report["generated_at"].as_str().unwrap().parse().unwrap();
                if started > moment {
                    return report;
                }
            }
            assert!(Instant::now() < deadline, "no run started after {moment}:\n{}", self.log());
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGTERM, then its exit status; panics if it has not exited within [`STOP_DEADLINE`].
    fn terminate(&mut self) -> ExitStatus {
        // SAFETY: signals our own child, which has not been waited for yet.
        assert_eq!(unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) }, 0);
        let deadline = Instant::now() + STOP_DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "still running {STOP_DEADLINE:?} after SIGTERM:\n{}", self.log());
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Debian's aiosmtpd as a plain relay (no TLS, no AUTH) on a port chosen
/// by the test, so that it can be stopped and started again on the same
/// port; killed on drop.
struct PlainRelay {
    child: Child,
}

impl PlainRelay {
    fn start_on(port: u16) -> PlainRelay {
        let child = Command::new(PYTHON)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd (python3-aiosmtpd; scripts/test installs it)");
        let mut relay = PlainRelay { child };
        let deadline = Instant::now() + WITHIN;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = relay.child.try_wait() {
                panic!("aiosmtpd exited with {status}");
            }
            assert!(Instant::now() < deadline, "aiosmtpd does not listen on {port}");
            thread::sleep(Duration::from_millis(50));
        }
        relay
    }
}

impl Drop for PlainRelay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn secrets() -> Vec<String> {
    vec![APP_PASSWORD.to_string(), percent_encode(APP_PASSWORD)]
}

fn assert_clean_for_promtool(what: &str, text: &str) {
    let (passed, said) = promtool_check_metrics(text);
    assert!(passed && said.trim().is_empty(), "promtool check metrics on {what}: {said}\n{text}");
}

#[test]
fn prometheus_sees_a_stopped_relay_fail_and_recover() {
    let cluster = PgCluster::start();
    let relay_port = free_port();
    let relay = PlainRelay::start_on(relay_port);
    let env = [
        ("DATABASE_URL", cluster.url(Role::App, Node::Primary)),
        ("SMTP_HOST", "127.0.0.1".to_string()),
        ("SMTP_PORT", relay_port.to_string()),
    ];
    let mut serve = Serve::start(&env, &["--interval", "1s", "--timeout", "3s"]);
    let prometheus = Prometheus::scraping(serve.port);
    let smtp_fails = r#"kbz_check_check_status{job="kbz-check",check="smtp",kind="smtp",status="fail"}"#;
    let smtp_warns = r#"kbz_check_check_status{check="smtp",status="warn"}"#;
    let postgres_ok = r#"kbz_check_check_status{check="postgres",kind="postgres",status="ok"}"#;
    let verdict = |v: &str| format!(r#"kbz_check_run_verdict{{verdict="{v}"}}"#);

    // Up: a relay without STARTTLS warns; the database is fine.
    prometheus.wait_for_value(smtp_fails, "0", WITHIN);
    prometheus.wait_for_value(smtp_warns, "1", WITHIN);
    prometheus.wait_for_value(postgres_ok, "1", WITHIN);
    prometheus.wait_for_value(&verdict("warn"), "1", WITHIN);

    // Stopped: the smtp check fails, with its finding code; nothing else moves.
    drop(relay);
    let stopped = jiff::Timestamp::now();
    assert_eq!(support::status_of(&serve.first_report_after(stopped), "smtp"), "fail");
    prometheus.wait_for_value(smtp_fails, "1", WITHIN);
    let finding = prometheus.wait_for_value(r#"kbz_check_check_finding_info{check="smtp"}"#, "1", WITHIN);
    assert_eq!(finding["code"], "smtp.unreachable.refused", "{finding}");
    prometheus.wait_for_value(&verdict("fail"), "1", WITHIN);
    prometheus.wait_for_value(postgres_ok, "1", WITHIN);

    // Remembered across runs in memory: smtp has been failing since its first
    // failing run, and that time stays while later runs fail too.
    let failing_since = r#"kbz_check_check_failing_since_timestamp_seconds{check="smtp"}"#;
    prometheus.wait_for_value(&format!("count({failing_since})"), "1", WITHIN);
    let since = || prometheus.query(failing_since).unwrap()[0].1.parse::<f64>().unwrap();
    let first = since();
    let runs = || prometheus.query("kbz_check_runs_total").unwrap()[0].1.parse::<u64>().unwrap();
    let later = runs() + 2;
    prometheus.wait_for_value(&format!("kbz_check_runs_total >= bool {later}"), "1", WITHIN);
    assert_eq!(since(), first, "failing since moved while smtp kept failing");
    let (_, json) = serve.get("/report.json");
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let smtp = report["checks"].as_array().unwrap().iter().find(|c| c["name"] == "smtp").unwrap();
    let reported: jiff::Timestamp = smtp["failing_since"].as_str().unwrap().parse().unwrap();
    assert_eq!(reported.as_second() as f64, first, "{smtp:#}");
    assert!(prometheus
        .query(r#"kbz_check_check_failing_since_timestamp_seconds{check="postgres"}"#)
        .unwrap()
        .is_empty());

    // Started again on its port: back to warn.
    let _relay = PlainRelay::start_on(relay_port);
    let started = jiff::Timestamp::now();
    assert_eq!(support::status_of(&serve.first_report_after(started), "smtp"), "warn");
    prometheus.wait_for_value(smtp_fails, "0", WITHIN);
    prometheus.wait_for_value(smtp_warns, "1", WITHIN);
    prometheus.wait_for_value(&verdict("warn"), "1", WITHIN);
    prometheus.wait_for_value(&format!("absent({failing_since})"), "1", WITHIN);
    let runs = prometheus.query("kbz_check_runs_total").unwrap();
    assert!(matches!(runs.as_slice(), [(_, n)] if n.parse::<u64>().unwrap() > 2), "{runs:?}");

    // What it serves holds no secret, and the report is the one-shot run's.
    let secrets = secrets();
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let (code, json) = serve.get("/report.json");
    assert_eq!(code, 200, "{json}");
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["schema"], "kbz-check/report/v1");
    assert_eq!(support::status_of(&report, "postgres"), "ok", "{report:#}");
    assert!(report["checks"][0]["target"].as_str().unwrap().contains(":***"), "{report:#}");
    for path in ["/report.json", "/report.md", "/metrics"] {
        let (code, body) = serve.get(path);
        assert_eq!(code, 200, "{path}: {body}");
        assert_absent(&body, &secrets);
    }
    assert!(serve.get("/report.md").1.contains("| postgres |"));
    assert_clean_for_promtool("/metrics", &serve.get("/metrics").1);

    let status = serve.terminate();
    assert_eq!(status.code(), Some(0), "{}", serve.log());
    let log = serve.log();
    assert_absent(&log, &secrets);
    assert!(log.contains("smtp fail, smtp.unreachable.refused") && log.contains("SIGTERM: stopping"), "{log}");
}

#[test]
fn before_the_first_run_ends_reports_answer_503_and_sigterm_abandons_the_run() {
    // A server that accepts and never answers: the first run lasts until the check's 30s deadline.
    let silent = SilentListener::start();
    let url = format!("postgresql://kb_backend:{}@127.0.0.1:{}/keybuzz", percent_encode(APP_PASSWORD), silent.port());
    let mut serve = Serve::start(&[("DATABASE_URL", url)], &["--interval", "1s", "--timeout", "30s"]);
    let deadline = Instant::now() + WITHIN;
    while silent.accepted() == 0 {
        assert!(Instant::now() < deadline, "the check never connected:\n{}", serve.log());
        thread::sleep(Duration::from_millis(20));
    }
    for path in ["/report.json", "/report.md", "/healthz"] {
        let (code, body) = serve.get(path);
        assert_eq!(code, 503, "{path}: {body}");
        assert!(body.contains("first run has not finished"), "{path}: {body}");
    }
    let (code, metrics) = serve.get("/metrics");
    assert_eq!(code, 200, "{metrics}");
    assert!(metrics.lines().any(|l| l == "kbz_check_runs_total 0.0"), "{metrics}");
    assert!(metrics.contains("kbz_check_build_info{"), "{metrics}");
    assert!(!metrics.contains("kbz_check_check_status"), "no check has a status yet:\n{metrics}");
    assert_clean_for_promtool("/metrics before the first run", &metrics);
    assert_eq!(serve.get("/nothing-here").0, 404);
    let (code, body) = http(serve.port, "POST", "/metrics", &[], "").unwrap();
    assert_eq!(code, 405, "{body}");

    // SIGTERM in the middle of the run: exit 0 now, not at the check's deadline.
    let status = serve.terminate();
    assert_eq!(status.code(), Some(0), "{}", serve.log());
    assert_absent(&serve.log(), &[APP_PASSWORD, &percent_encode(APP_PASSWORD)]);
}

#[test]
fn a_run_longer_than_the_interval_is_counted_and_logged() {
    // Each run waits for a server that never answers until the 2s deadline: longer than the 1s interval.
    let silent = SilentListener::start();
    let url = format!("postgresql://kb_backend:{}@127.0.0.1:{}/keybuzz", percent_encode(APP_PASSWORD), silent.port());
    let mut serve = Serve::start(&[("DATABASE_URL", url)], &["--interval", "1s", "--timeout", "2s"]);
    let deadline = Instant::now() + WITHIN;
    let counter = |metrics: &str, name: &str| -> f64 {
        let line = metrics.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap_or_else(|| panic!("{metrics}"));
        line.split(' ').nth(1).unwrap().parse().unwrap()
    };
    loop {
        let metrics = serve.get("/metrics").1;
        let (runs, overruns) =
            (counter(&metrics, "kbz_check_runs_total"), counter(&metrics, "kbz_check_run_overruns_total"));
        if runs >= 2.0 {
            // Every run overran; none was skipped or run beside another.
            assert_eq!(overruns, runs, "{metrics}");
            break;
        }
        assert!(Instant::now() < deadline, "fewer than 2 runs:\n{metrics}\n{}", serve.log());
        thread::sleep(Duration::from_millis(200));
    }
    assert!(serve.log().contains("longer than --interval 1s: the next run starts now"), "{}", serve.log());
    assert_eq!(serve.terminate().code(), Some(0));
}

#[test]
fn a_busy_port_is_a_usage_error_naming_the_address() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let out = kbz_check().args(["serve", "--listen", &address]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("cannot listen on {address} (--listen): the address is in use")), "{stderr}");
    let out = kbz_check().args(["serve", "--send-test-to", "ops@example.com"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--send-test-to sends a message on every run"));
}

#[test]
fn one_shot_metrics_pass_promtool_and_the_file_is_the_same_readable_text() {
    let dir = tempfile::tempdir().unwrap();
    // Every character a suite allows in a check name (letters, digits, `-`,
    // `_`, `.`); the exposition's escaping of others is a unit test of render::prometheus.
    let suite = dir.path().join("suite.toml");
    std::fs::write(
        &suite,
        "[checks.\"db.main-eu_1\"]\nkind = \"exec\"\ncommand = [\"/bin/true\"]\n\n\
         [checks.2nd-relay]\nkind = \"exec\"\ncommand = [\"/bin/false\"]\n",
    )
    .unwrap();
    let file = dir.path().join("kbz-check.prom");
    let out = kbz_check()
        .args(["--config", suite.to_str().unwrap(), "-f", "prometheus", "--prometheus", file.to_str().unwrap(), "all"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert_clean_for_promtool("-f prometheus", &stdout);
    assert!(stdout.contains(r#"kbz_check_check_status{check="db.main-eu_1",kind="exec",status="ok"} 1"#), "{stdout}");
    assert!(stdout.contains(r#"kbz_check_check_status{check="2nd-relay",kind="exec",status="warn"} 1"#), "{stdout}");
    assert!(
        stdout.contains(r#"kbz_check_check_finding_info{check="2nd-relay",kind="exec",code="exec.plugin.warning"} 1"#),
        "{stdout}"
    );
    assert!(stdout.contains("kbz_check_run_verdict{verdict=\"warn\"} 1"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), stdout);
    // node_exporter reads the file as its own user.
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o644);
}
