//! Shared integration-test harness: real PostgreSQL clusters (`pg`), odd TCP
//! peers (`net`) and a sandboxed way to run the `kbz-check` binary.
#![allow(dead_code)] // each test binary uses a different subset

pub mod dns;
pub mod echo;
pub mod haproxy;
pub mod hostile;
pub mod net;
pub mod netns;
pub mod oauth;
pub mod pg;
pub mod pgbouncer;
pub mod prometheus;
pub mod ses;
pub mod smtp;
pub mod tls;
pub mod vault;
pub mod venv;

use serde_json::Value;
use std::ffi::OsStr;
use std::process::{Command, Output};

/// The `kbz-check` binary with an empty environment (PATH aside), so the
/// host's DATABASE_URL / PG* variables can never leak into a test.
pub fn kbz_check() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kbz-check"));
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    // The domain check (on whenever EMAIL_FROM is set) asks DNS: never this
    // host's resolver, which may be off loopback. A test that wants answers sets its own.
    cmd.env("KBZ_DNS_SERVERS", dns::refusing_server());
    cmd
}

/// Runs `kbz-check --format json [extra] run CHECK` with exactly `env` and
/// parses the report: (exit code, report, raw output).
pub fn run_json<K, V>(check: &str, env: impl IntoIterator<Item = (K, V)>, extra: &[&str]) -> (i32, Value, Output)
where
    K: AsRef<OsStr>,
    V: AsRef<OsStr>,
{
    let output = kbz_check()
        .args(["--format", "json"])
        .args(extra)
        .args(["run", check])
        .envs(env)
        .output()
        .expect("run kbz-check");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("stdout is not JSON ({e}):\n{stdout}\nstderr:\n{}", String::from_utf8_lossy(&output.stderr))
    });
    (output.status.code().unwrap_or(-1), json, output)
}

/// Runs `kbz-check --format json [extra] all` with exactly `env`:
/// (exit code, report, everything printed).
pub fn run_all_json(env: &[(&str, String)], extra: &[&str]) -> (i32, Value, String) {
    let out = kbz_check()
        .args(["--format", "json"])
        .args(extra)
        .arg("all")
        .envs(env.iter().map(|(k, v)| (*k, v)))
        .output()
        .expect("run kbz-check");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", all_text(&out)));
    (out.status.code().unwrap_or(-1), json, all_text(&out))
}

/// The status of the check named `name` in a report.
pub fn status_of<'a>(report: &'a Value, name: &str) -> &'a str {
    let check = report["checks"].as_array().unwrap().iter().find(|c| c["name"] == name);
    check.unwrap_or_else(|| panic!("no check {name} in {report:#}"))["status"].as_str().unwrap()
}

/// The first (in these tests, the only) check of a report.
pub fn check(report: &Value) -> &Value {
    &report["checks"][0]
}

/// The evidence item labelled `label`.
pub fn evidence_item<'a>(check: &'a Value, label: &str) -> &'a Value {
    check["evidence"]
        .as_array()
        .unwrap_or_else(|| panic!("no evidence in {check:#}"))
        .iter()
        .find(|e| e["label"] == label)
        .unwrap_or_else(|| panic!("no evidence `{label}` in {check:#}"))
}

/// The output of the evidence item labelled `label`.
pub fn evidence(check: &Value, label: &str) -> String {
    evidence_item(check, label)["output"].as_str().unwrap_or_default().to_string()
}

/// Everything a run printed, stdout then stderr.
pub fn all_text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// Every action of a check's JSON, its text then its command, one string.
pub fn actions(check: &serde_json::Value) -> String {
    check["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| format!("{}\n{}\n", a["text"].as_str().unwrap_or(""), a["command"].as_str().unwrap_or("")))
        .collect()
}

/// None of `secrets` appears in `text`.
pub fn assert_absent(text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!text.contains(secret), "`{secret}` leaked into the output:\n{text}");
    }
}
