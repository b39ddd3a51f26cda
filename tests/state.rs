//! Memory across runs (`--state FILE`) against real servers: an OpenBao
//! dev server sealed, then stopped, then started again on the same port,
//! and a PostgreSQL URL where nothing listens. Three runs give the
//! failing-since and cause-changed lines in text, markdown and JSON, read
//! from the reports' own timestamps (never from the wall clock). A damaged,
//! foreign or misplaced state file is reported and replaced, or refused
//! with exit 2, never a panic; the file holds no secret.

mod support;

use serde_json::Value;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::net::closed_port;
use support::vault::{bao_binary, Bao, ROOT_TOKEN};
use support::{all_text, assert_absent, kbz_check};

/// The database password of the runs: must never reach the state file or a report.
const DB_PASSWORD: &str = "St4te-pw-7c1e";

/// An OpenBao dev server on a given port (the port a stopped one had),
/// killed on drop. `support::vault::Bao` picks its own port.
struct DevOnPort {
    child: Child,
    dir: tempfile::TempDir,
}

impl DevOnPort {
    fn start(port: u16) -> DevOnPort {
        let dir = tempfile::Builder::new().prefix("kbz-bao-again-").tempdir().unwrap();
        let log = File::create(dir.path().join("bao.log")).unwrap();
        let child = Command::new(bao_binary())
            .args([
                "server".to_string(),
                "-dev".to_string(),
                "-dev-no-store-token".to_string(),
                format!("-dev-listen-address=127.0.0.1:{port}"),
                format!("-dev-root-token-id={ROOT_TOKEN}"),
            ])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut server = DevOnPort { child, dir };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok((200, _)) = support::net::http(port, "GET", "/v1/sys/health", &[], "") {
                return server;
            }
            let log = std::fs::read_to_string(server.dir.path().join("bao.log")).unwrap_or_default();
            assert!(server.child.try_wait().unwrap().is_none(), "OpenBao exited on port {port}:\n{log}");
            assert!(Instant::now() < deadline, "OpenBao not active on port {port} within 30 s:\n{log}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for DevOnPort {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One run of the built-in suite with `--state`, text on stdout, JSON and
/// markdown to files: (exit code, JSON, text, markdown, everything printed).
struct Run {
    code: i32,
    json: Value,
    text: String,
    markdown: String,
    printed: String,
}

fn run(dir: &Path, n: u32, env: &[(&str, String)], extra: &[&str]) -> Run {
    let (json_path, md_path) = (dir.join(format!("r{n}.json")), dir.join(format!("r{n}.md")));
    let state = dir.join("state.json");
    let out = kbz_check()
        .args(["--color", "never", "--state", s(&state), "--json", s(&json_path), "--markdown", s(&md_path)])
        .args(extra)
        .arg("all")
        .envs(env.iter().map(|(k, v)| (*k, v)))
        .output()
        .unwrap();
    let printed = all_text(&out);
    let json = serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap_or_default())
        .unwrap_or_else(|e| panic!("no JSON report ({e}):\n{printed}"));
    Run {
        code: out.status.code().unwrap_or(-1),
        json,
        text: String::from_utf8_lossy(&out.stdout).into_owned(),
        markdown: std::fs::read_to_string(&md_path).unwrap(),
        printed,
    }
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    let found = report["checks"].as_array().unwrap().iter().find(|c| c["name"] == name);
    found.unwrap_or_else(|| panic!("no check {name} in {report:#}"))
}

/// Unix seconds of an RFC 3339 UTC time as the reports write it.
fn unix(text: &Value) -> i64 {
    let text = text.as_str().unwrap_or_else(|| panic!("not a time: {text}"));
    let parsed = kbz_check::time::parse_rfc3339(text).unwrap_or_else(|| panic!("not RFC 3339: {text}"));
    kbz_check::time::unix_seconds(parsed)
}

/// `2026-12-07 02:55 UTC`, as the text and markdown reports write a time.
fn when(text: &Value) -> String {
    let text = text.as_str().unwrap();
    format!("{} {} UTC", &text[..10], &text[11..16])
}

/// Waits until the clock has passed `after` by a whole second, so the next
/// run's `generated_at` differs from `after`.
fn next_second_after(after: i64) {
    while kbz_check::time::unix_seconds(std::time::SystemTime::now()) <= after {
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The lines of the text report's block of check `name` (`FAIL name: …` up to the next blank line).
fn text_block<'a>(text: &'a str, status: &str, name: &str) -> Vec<&'a str> {
    let head = format!("{status} {name}: ");
    let mut lines = text.lines().skip_while(|l| !l.starts_with(&head));
    let first = lines.next().unwrap_or_else(|| panic!("no `{head}` block in\n{text}"));
    std::iter::once(first).chain(lines.take_while(|l| !l.is_empty())).collect()
}

/// The markdown section of check `name`, up to the next rule.
fn md_section<'a>(md: &'a str, name: &str) -> &'a str {
    let start = md.find(&format!(". {name}\n")).unwrap_or_else(|| panic!("no section {name} in\n{md}"));
    let end = md[start..].find("\n---").map_or(md.len(), |e| start + e);
    &md[start..end]
}

#[test]
fn sealed_then_stopped_then_back_reads_as_one_incident_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let bao = Bao::dev();
    let port = bao.port;
    bao.ok("PUT", "/v1/sys/seal", Some(ROOT_TOKEN), None);
    bao.wait_for_health_code(503);
    let env = [
        ("VAULT_ADDR", format!("http://127.0.0.1:{port}")),
        ("VAULT_TOKEN", ROOT_TOKEN.to_string()),
        // Nothing listens there: failing in all three runs, always for the same reason.
        ("DATABASE_URL", format!("postgresql://app:{DB_PASSWORD}@127.0.0.1:{}/app", closed_port())),
    ];
    let secrets = [ROOT_TOKEN, DB_PASSWORD];
    let state_path = dir.path().join("state.json");

    // Run 1: Vault sealed, no state file yet (a first run, no warning).
    let r1 = run(dir.path(), 1, &env, &[]);
    assert_eq!(r1.code, 1, "{}", r1.printed);
    assert!(!r1.printed.contains("warning"), "a missing state file is a first run:\n{}", r1.printed);
    let t1 = &r1.json["generated_at"];
    let vault = check(&r1.json, "vault");
    assert_eq!((vault["status"].as_str(), vault["code"].as_str()), (Some("fail"), Some("vault.sealed")), "{vault:#}");
    assert_eq!(unix(&vault["failing_since"]), unix(t1));
    assert_eq!(vault["cause_changed"], Value::Null);
    assert_eq!(unix(&check(&r1.json, "postgres")["failing_since"]), unix(t1));
    let first = format!("  failing since {} (first seen failing in this run)", when(t1));
    assert_eq!(text_block(&r1.text, "FAIL", "vault")[1], first, "{}", r1.text);
    assert!(md_section(&r1.markdown, "vault").contains(&format!("\n{}  \n", first.trim())), "{}", r1.markdown);
    // A skipped check is not failing: null, with a memory kept.
    assert_eq!(check(&r1.json, "smtp")["status"], "skip");
    assert_eq!(check(&r1.json, "smtp")["failing_since"], Value::Null);
    let state = std::fs::read_to_string(&state_path).unwrap();
    assert_absent(&state, &secrets);

    // Run 2: Vault stopped: still failing since T1, and its cause changed.
    next_second_after(unix(t1));
    drop(bao);
    let r2 = run(dir.path(), 2, &env, &[]);
    assert_eq!(r2.code, 1, "{}", r2.printed);
    let t2 = &r2.json["generated_at"];
    assert!(unix(t2) > unix(t1), "{t1} {t2}");
    let vault = check(&r2.json, "vault");
    assert_eq!(vault["code"], "vault.unreachable.refused", "{vault:#}");
    assert_eq!(unix(&vault["failing_since"]), unix(t1), "{vault:#}");
    assert_eq!(vault["cause_changed"]["was"], "vault.sealed", "{vault:#}");
    assert_eq!(vault["cause_changed"]["now"], "vault.unreachable.refused", "{vault:#}");
    assert_eq!(unix(&vault["cause_changed"]["at"]), unix(t2), "{vault:#}");
    let postgres = check(&r2.json, "postgres");
    assert_eq!((unix(&postgres["failing_since"]), &postgres["cause_changed"]), (unix(t1), &Value::Null));
    let span = unix(t2) - unix(t1);
    let expected_span = if span == 1 { "1 second".to_string() } else { format!("{span} seconds") };
    assert!(span < 60, "the runs took {span} s");
    let since = format!("failing since {} ({expected_span})", when(t1));
    let changed = |code: fn(&str) -> String| {
        format!(
            "cause changed: was {}, now {} (since {})",
            code("vault.sealed"),
            code("vault.unreachable.refused"),
            when(t2)
        )
    };
    let block = text_block(&r2.text, "FAIL", "vault");
    assert_eq!(block[1..3], [format!("  {since}"), format!("  {}", changed(str::to_string))], "{}", r2.text);
    let section = md_section(&r2.markdown, "vault");
    let md_lines = format!("\n{since}  \n{}  \n", changed(|c| format!("`{c}`")));
    assert!(section.contains(&md_lines), "{section}");
    assert_eq!(text_block(&r2.text, "FAIL", "postgres")[1], format!("  {since}"), "{}", r2.text);

    // Run 3: Vault back on the same port: no failing-since, no cause change.
    next_second_after(unix(t2));
    let _again = DevOnPort::start(port);
    let r3 = run(dir.path(), 3, &env, &[]);
    let vault = check(&r3.json, "vault");
    assert_eq!(vault["status"], "ok", "{vault:#}");
    assert_eq!((&vault["failing_since"], &vault["cause_changed"]), (&Value::Null, &Value::Null), "{vault:#}");
    assert!(!md_section(&r3.markdown, "vault").contains("failing since"), "{}", r3.markdown);
    assert!(!md_section(&r3.markdown, "vault").contains("cause changed"), "{}", r3.markdown);
    assert!(!r3.text.contains("FAIL vault") && !r3.text.contains("WARN vault"), "{}", r3.text);
    // The database never came: failing since the first run still.
    assert_eq!(unix(&check(&r3.json, "postgres")["failing_since"]), unix(t1));
    assert!(r3.text.contains(&format!("\n  failing since {} (", when(t1))), "{}", r3.text);

    // The file: check names, statuses, codes and times; nothing secret, in any run.
    let state: Value = serde_json::from_str(&std::fs::read_to_string(&state_path).unwrap()).unwrap();
    assert_eq!(state["schema"], "kbz-check/state/v1");
    assert_eq!(state["checks"]["vault"]["status"], "ok");
    assert_eq!(state["checks"]["vault"]["previous_code"], "vault.unreachable.refused");
    assert_eq!(unix(&state["checks"]["postgres"]["failing_since"]), unix(t1));
    assert!(state["checks"].get("smtp").is_none(), "a skipped check has nothing to remember: {state:#}");
    for r in [&r1, &r2, &r3] {
        assert_absent(&r.printed, &secrets);
        assert_absent(&r.markdown, &secrets);
        assert_absent(&r.json.to_string(), &secrets);
    }
    assert_absent(&state.to_string(), &secrets);
    // The reports, with their new fields, are valid v1 reports.
    for r in [&r1, &r2, &r3] {
        assert_valid(&r.json);
    }
}

/// `report` follows docs/schema/report-v1.json.
fn assert_valid(report: &Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schema/report-v1.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::draft202012::new(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator.iter_errors(report).map(|e| format!("{}: {e}", e.instance_path())).collect();
    assert!(errors.is_empty(), "the report breaks the schema:\n{}\n{report:#}", errors.join("\n"));
}

/// A quick real check: Vault where nothing listens on loopback (refused at once).
fn refused_vault() -> [(&'static str, String); 1] {
    [("VAULT_ADDR", format!("http://127.0.0.1:{}", closed_port()))]
}

#[test]
fn a_damaged_or_foreign_state_file_is_reported_and_replaced() {
    // What a user might point --state at by mistake; none of it may be echoed.
    let report = r#"{"schema": "kbz-check/report/v1", "id": "leak-me-not-1", "checks": []}"#;
    let cases: [(&str, &str, &str); 5] = [
        ("not json", "{\"token\": \"leak-me-not-2\", \"checks\": [1, 2", "is not valid JSON (line 1, column "),
        ("a report", report, "is not a kbz-check state file"),
        ("a JSON list", "[\"leak-me-not-3\"]", "is not a kbz-check state file"),
        (
            "another version",
            r#"{"schema": "kbz-check/state/v2", "x": "leak-me-not-4"}"#,
            "is in another version of the format (kbz-check/state/v2)",
        ),
        (
            "a wrong field",
            r#"{"schema": "kbz-check/state/v1", "updated_at": "2026-01-01T00:00:00Z", "checks": {"vault": {"status": "fail", "seen_at": "leak-me-not-5"}}}"#,
            "does not follow the format kbz-check/state/v1 (line 1, column ",
        ),
    ];
    for (what, content, says) in cases {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        std::fs::write(&state, content).unwrap();
        let r = run(dir.path(), 1, &refused_vault(), &[]);
        // The check's failure decides the exit code; the state file's problem is no error.
        assert_eq!(r.code, 1, "{what}: {}", r.printed);
        let warning = format!("kbz-check: warning: the state file {} {says}", state.display());
        assert!(r.printed.contains(&warning), "{what}: missing {warning:?} in\n{}", r.printed);
        assert!(r.text.starts_with(&format!("Note: the state file {} {says}", state.display())), "{what}: {}", r.text);
        assert!(r.markdown.contains("**Note**: the state file "), "{what}: {}", r.markdown);
        assert_eq!(r.json["notes"][0]["note"], "state_discarded", "{what}: {}", r.json);
        assert_eq!(r.json["notes"][0]["path"], s(&state), "{what}");
        for text in [&r.printed, &r.markdown, &r.json.to_string()] {
            assert!(!text.contains("leak-me-not"), "{what}: the file's content was echoed:\n{text}");
            assert!(!text.contains("panicked"), "{what}: {text}");
        }
        // Replaced by a good file: the vault check starts a streak there, and the next run is quiet.
        let written: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
        assert_eq!(written["schema"], "kbz-check/state/v1", "{what}");
        assert_eq!(written["checks"]["vault"]["status"], "fail", "{what}: {written:#}");
        let again = run(dir.path(), 2, &refused_vault(), &[]);
        assert!(!again.printed.contains("warning"), "{what}: {}", again.printed);
        assert!(again.json.get("notes").is_none(), "{what}: {}", again.json);
        assert_valid(&r.json);
        assert_eq!(check(&again.json, "vault")["failing_since"], check(&r.json, "vault")["failing_since"], "{what}");
    }
}

/// Runs kbz-check with `args`, the quick real check's environment, and a 10 s bound.
fn refused_run(args: &[&str]) -> Output {
    let mut child = kbz_check()
        .args(args)
        .envs(refused_vault())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("kbz-check {args:?} did not return within 10 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn a_state_path_that_cannot_be_a_state_file_is_refused_with_exit_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join("app.env");
    std::fs::write(&env_file, "A=1\n").unwrap();
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(dir.path().join("real.json"), &link).unwrap();
    let missing: PathBuf = dir.path().join("missing").join("state.json");
    let report = dir.path().join("report.json");
    let d = s(dir.path());
    let cases: Vec<(Vec<&str>, Vec<String>)> = vec![
        (vec!["--state", d, "all"], vec![format!("cannot keep the state in {d}: it is a directory")]),
        (
            vec!["--state", s(&missing), "all"],
            vec![format!("cannot keep the state in {}", s(&missing)), "does not exist".into()],
        ),
        (
            vec!["--state", s(&link), "all"],
            vec![format!("cannot keep the state in {}", s(&link)), "symbolic link".into()],
        ),
        (
            vec!["--state", "/dev/null", "all"],
            vec!["cannot keep the state in /dev/null".into(), "not a regular file".into()],
        ),
        (
            vec!["-e", s(&env_file), "--state", s(&env_file), "all"],
            vec![format!("--state {}: that is the env file (-e) {}", s(&env_file), s(&env_file))],
        ),
        (
            vec!["--json", s(&report), "--state", s(&report), "all"],
            vec![format!("--json and --state name the same file {}", s(&report))],
        ),
    ];
    for (args, needles) in cases {
        let out = refused_run(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing was to run");
        for needle in needles {
            assert!(err.contains(&needle), "{args:?}: missing {needle:?} in {err}");
        }
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    assert!(!missing.exists() && std::fs::read_to_string(&env_file).unwrap() == "A=1\n");
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
}
