//! The command line as a user meets it: configuration errors, exit codes,
//! report files, env files, concurrency. No database needed: failing
//! targets are closed or silent loopback ports.

mod support;

use serde_json::Value;
use std::path::Path;
use std::process::Output;
use support::kbz_check;
use support::net::{closed_port, SilentListener};

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn json(out: &Output) -> Value {
    serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(out), stderr(out)))
}

fn refused_url(password: &str) -> String {
    format!("postgresql://app:{password}@127.0.0.1:{}/app", closed_port())
}

#[test]
fn unconfigured_builtin_check_is_skipped_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let out = kbz_check().current_dir(dir.path()).args(["--format", "json", "all"]).output().unwrap();
    // Nothing was checked: a CI gate must not pass on an empty environment.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["schema"], "kbz-check/report/v1");
    assert_eq!(report["verdict"], "skip");
    let hint = stderr(&out);
    assert_eq!(hint.lines().count(), 1, "one line on stderr: {hint}");
    assert!(hint.contains("nothing was checked") && hint.contains("postgres: set DATABASE_URL (or PGHOST)"), "{hint}");
    assert!(hint.contains("vault: set VAULT_ADDR") && hint.contains("-e FILE"), "{hint}");
    let check = &report["checks"][0];
    assert_eq!(check["name"], "postgres");
    assert_eq!(check["status"], "skip");
    assert_eq!(check["summary"], "not configured: set DATABASE_URL (or PGHOST)");

    let strict = kbz_check().args(["--strict", "all"]).output().unwrap();
    assert_eq!(strict.status.code(), Some(1), "--strict fails on a skip");
    assert!(stdout(&strict).contains("SKIP"), "{}", stdout(&strict));
}

#[test]
fn suite_mistakes_exit_2_naming_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[checks.db]\nkind = \"postgres\"\nurl = \"postgresql://u@h/db\"\nexpect = \"leder\"\n",
            vec![":4: checks.db.expect: `leder` is not one of: leader, replica, any"],
        ),
        (
            "[checks.db]\nkind = \"postgres\"\nexepct = \"leader\"\n",
            vec![":3: checks.db.exepct: unknown setting; known settings: kind, timeout, enabled, url"],
        ),
        (
            "[checks.db]\nkind = \"postgress\"\n",
            vec![":2: checks.db.kind: unknown kind `postgress`; known kinds: postgres"],
        ),
        ("[checks.db]\nurl = \"x\"\n", vec![":1: checks.db.kind: missing"]),
        (
            "\n[checks.db]\nkind = \"postgres\"\nurl = \"${DATABASE_URL}\"\n",
            vec![":4: checks.db.url: ${DATABASE_URL} is not set"],
        ),
        (
            "[checks.db]\nkind = \"postgres\"\nurl = \"x\"\ntimeout = \"soon\"\n",
            vec![":4: checks.db.timeout: `soon` is not a duration"],
        ),
        (
            "[checks.db]\nkind = \"postgres\"\nnodes = { a = \"h:99999\" }\n",
            vec![":3: checks.db.nodes: member `a`: `h:99999` is not host:port"],
        ),
        ("[checks.db\nkind = \"postgres\"\n", vec!["line 1"]),
        ("[report]\nid = \"X\"\n", vec!["the suite defines no check"]),
        (
            "[checks.db]\nkind = \"postgres\"\nurl = \"postgresql://u:hunter22@h:notaport/db\"\n",
            vec![":3: checks.db.url:"],
        ),
    ];
    for (i, (suite, expected)) in cases.iter().enumerate() {
        let path = write(dir.path(), &format!("suite{i}.toml"), suite);
        let out = kbz_check().args(["--config", &path, "all"]).output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "case {i}: {err}");
        assert!(stdout(&out).is_empty(), "nothing is checked on a configuration error: {}", stdout(&out));
        assert!(err.contains(&path), "case {i}: the file is named: {err}");
        for needle in expected {
            assert!(err.contains(needle), "case {i}: expected `{needle}` in: {err}");
        }
        assert!(!err.contains("hunter22"), "case {i}: a password leaked: {err}");
        assert!(!err.contains("panicked"), "case {i}: {err}");
    }
}

#[test]
fn missing_suite_and_env_files_are_named() {
    let out = kbz_check().args(["--config", "/nonexistent/suite.toml", "all"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/nonexistent/suite.toml"), "{}", stderr(&out));
    let out = kbz_check().args(["--env-file", "/nonexistent/.env", "all"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("env file /nonexistent/.env"), "{}", stderr(&out));
}

#[test]
fn unknown_check_name_lists_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let suite = write(
        dir.path(),
        "suite.toml",
        "[checks.primary]\nkind = \"postgres\"\nurl = \"postgresql://u@127.0.0.1:1/db\"\n\n[checks.reports]\nkind = \"postgres\"\nurl = \"postgresql://u@127.0.0.1:1/db\"\n",
    );
    let out = kbz_check().args(["--config", &suite, "run", "primary", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown check `nope`; known checks: primary, reports"), "{}", stderr(&out));
}

#[test]
fn run_selects_named_checks_in_the_given_order() {
    let dir = tempfile::tempdir().unwrap();
    let suite = write(
        dir.path(),
        "suite.toml",
        "[checks.a]\nkind = \"postgres\"\nenabled = false\n\n[checks.b]\nkind = \"postgres\"\nenabled = false\n\n[checks.c]\nkind = \"postgres\"\nenabled = false\n",
    );
    let out = kbz_check().args(["--config", &suite, "--format", "json", "run", "c", "a"]).output().unwrap();
    let names: Vec<_> = json(&out)["checks"].as_array().unwrap().iter().map(|c| c["name"].clone()).collect();
    assert_eq!(names, ["c", "a"]);
    assert_eq!(json(&out)["checks"][0]["summary"], "disabled in the suite (enabled = false)");
}

#[test]
fn json_file_is_written_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let markdown = dir.path().join("report.md");

    // A failing run still writes complete reports, and leaves no temporary file.
    let out = kbz_check()
        .args(["--json", report.to_str().unwrap(), "--markdown", markdown.to_str().unwrap(), "all"])
        .env("DATABASE_URL", refused_url("pw"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(written["verdict"], "fail");
    assert_eq!(written["checks"][0]["status"], "fail");
    assert!(std::fs::read_to_string(&markdown).unwrap().contains("## Final verdict"));
    let mut names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    assert_eq!(names, ["report.json", "report.md"], "only the reports remain");

    // A configuration error checks nothing and leaves the previous report untouched.
    let before = std::fs::read_to_string(&report).unwrap();
    let out = kbz_check()
        .args(["--config", "/nonexistent.toml", "--json", report.to_str().unwrap(), "all"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&report).unwrap(), before);

    // An unwritable destination is a clear error (exit 2), found before anything is checked.
    let out = kbz_check()
        .args(["--json", dir.path().join("missing/dir/r.json").to_str().unwrap(), "all"])
        .env("DATABASE_URL", refused_url("pw"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).is_empty(), "nothing was checked: {}", stdout(&out));
    assert!(stderr(&out).contains("cannot write the report to"), "{}", stderr(&out));
}

#[test]
fn env_files_win_over_the_process_environment_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (process_port, file_port) = (closed_port(), closed_port());
    let first = write(dir.path(), "first.env", &format!("DATABASE_URL=postgresql://app@127.0.0.1:{process_port}/x\n"));
    let second = write(
        dir.path(),
        "second.env",
        &format!("export DATABASE_URL=\"postgresql://app@127.0.0.1:{file_port}/app\"\n"),
    );
    let out = kbz_check()
        .args(["--format", "json", "-e", &first, "-e", &second, "all"])
        .env("DATABASE_URL", "postgresql://app@127.0.0.1:1/ignored")
        .output()
        .unwrap();
    assert_eq!(json(&out)["checks"][0]["target"], format!("postgresql://app@127.0.0.1:{file_port}/app"));

    let listed = kbz_check().args(["-e", &first, "-e", &second, "list"]).output().unwrap();
    assert!(stdout(&listed).contains(&format!("[$DATABASE_URL (env file {second})]")), "{}", stdout(&listed));
}

#[test]
fn init_prints_a_suite_that_is_read_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let init = kbz_check().arg("init").output().unwrap();
    assert_eq!(init.status.code(), Some(0));
    write(dir.path(), "kbz-check.toml", &stdout(&init));
    let out = kbz_check()
        .current_dir(dir.path())
        .arg("list")
        .env("DATABASE_URL", "postgresql://app:Very-S3cret@127.0.0.1:5432/app")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("suite: kbz-check.toml"), "{text}");
    assert!(text.contains("db (postgres)"), "{text}");
    assert!(text.contains("kbz-check.toml:14 ← $DATABASE_URL (process environment)"), "{text}");
    assert!(!text.contains("Very-S3cret"), "{text}");
}

#[test]
fn checks_run_concurrently_and_report_in_configured_order() {
    let listeners: Vec<_> = (0..3).map(|_| SilentListener::start()).collect();
    let dir = tempfile::tempdir().unwrap();
    let mut suite = String::new();
    for (name, listener) in ["zeta", "alpha", "mid"].iter().zip(&listeners) {
        suite.push_str(&format!(
            "[checks.{name}]\nkind = \"postgres\"\nurl = \"postgresql://u@127.0.0.1:{}/db\"\n\n",
            listener.port()
        ));
    }
    let path = write(dir.path(), "suite.toml", &suite);
    let out = kbz_check().args(["--config", &path, "--format", "json", "--timeout", "1s", "all"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    let checks = report["checks"].as_array().unwrap();
    let names: Vec<_> = checks.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["zeta", "alpha", "mid"]);
    let mut sum = 0;
    for check in checks {
        assert!(check["summary"].as_str().unwrap().starts_with("timed out after 1s while"), "{check:#}");
        sum += check["duration_ms"].as_u64().unwrap();
    }
    // Run one after another, the whole would last the sum of its checks; together, about the slowest.
    let total = report["duration_ms"].as_u64().unwrap();
    assert!(total * 3 < sum * 2, "not concurrent: total {total} ms for checks summing {sum} ms");
}

#[test]
fn concurrency_bounds_the_checks_running_at_once() {
    let listeners: Vec<_> = (0..3).map(|_| SilentListener::start()).collect();
    let dir = tempfile::tempdir().unwrap();
    let mut suite = String::new();
    for (i, listener) in listeners.iter().enumerate() {
        suite.push_str(&format!(
            "[checks.hung{i}]\nkind = \"postgres\"\nurl = \"postgresql://u@127.0.0.1:{}/db\"\n\n",
            listener.port()
        ));
    }
    let path = write(dir.path(), "suite.toml", &suite);
    let out = kbz_check()
        .args(["--config", &path, "--format", "json", "--timeout", "400ms", "--concurrency", "1", "all"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    for check in report["checks"].as_array().unwrap() {
        // Each got its whole deadline, counted from when it got the one slot.
        assert!(check["summary"].as_str().unwrap().starts_with("timed out after 400ms while"), "{check:#}");
    }
    // One at a time: the run lasts at least the three deadlines end to end.
    let total = report["duration_ms"].as_u64().unwrap();
    assert!(total >= 3 * 400, "ran together despite --concurrency 1: {total} ms");
    // Each check, in its turn, opened its 5 sessions (the app's and the 4
    // sampled beside it) at once, to its own listener only.
    let accepted: Vec<usize> = listeners.iter().map(|l| l.accepted()).collect();
    assert_eq!(accepted, [5, 5, 5]);

    let out = kbz_check().args(["--concurrency", "0", "all"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--concurrency"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
}

#[test]
fn color_follows_the_color_option() {
    let run = |color: &str| stdout(&kbz_check().args(["--color", color, "all"]).env("NO_COLOR", "1").output().unwrap());
    assert!(run("always").contains("\u{1b}["), "always colors");
    assert!(!run("never").contains("\u{1b}["));
    assert!(!run("auto").contains("\u{1b}["), "auto: not a terminal, and NO_COLOR is set");
}

#[test]
fn usage_errors_exit_2_and_version_exits_0() {
    assert_eq!(kbz_check().args(["--format", "yaml", "all"]).output().unwrap().status.code(), Some(2));
    assert_eq!(kbz_check().args(["--lang", "de", "all"]).output().unwrap().status.code(), Some(2));
    assert_eq!(kbz_check().args(["--timeout", "later", "all"]).output().unwrap().status.code(), Some(2));
    assert_eq!(kbz_check().arg("run").output().unwrap().status.code(), Some(2));
    let version = kbz_check().arg("--version").output().unwrap();
    assert_eq!(version.status.code(), Some(0));
    assert!(stdout(&version).starts_with("kbz-check "));
}

#[test]
fn markdown_and_text_formats_carry_the_same_verdict() {
    let url = refused_url("pw");
    let md = stdout(
        &kbz_check()
            .args(["--format", "markdown", "--id", "PH11-X", "all"])
            .env("DATABASE_URL", &url)
            .output()
            .unwrap(),
    );
    assert!(md.starts_with("# PH11-X\n"), "{md}");
    assert!(md.contains("**Verdict: ❌ FAIL**"), "{md}");
    let text = stdout(&kbz_check().args(["all"]).env("DATABASE_URL", &url).output().unwrap());
    assert!(text.contains("Verdict: FAIL"), "{text}");
    assert!(text.contains("cause: nothing listens on"), "{text}");
}

#[test]
fn retry_for_reruns_a_failing_check_until_the_window_ends() {
    let dir = tempfile::tempdir().unwrap();
    let (json_file, md_file) = (dir.path().join("r.json"), dir.path().join("r.md"));
    let out = kbz_check()
        .args(["--retry-for", "1s", "--retry-every", "200ms"])
        .args(["--json", json_file.to_str().unwrap(), "--markdown", md_file.to_str().unwrap(), "all"])
        .env("DATABASE_URL", refused_url("pw"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json_file).unwrap()).unwrap();
    let check = &report["checks"][0];
    assert_eq!(check["status"], "fail", "{check:#}");
    // Attempts begin at least 200 ms apart and all before 1 s: at most 5; a slow host still fits 3.
    let attempts = check["attempts"].as_u64().unwrap();
    assert!((3..=6).contains(&attempts), "{check:#}");
    let note = format!("({attempts} attempts)");
    assert!(stdout(&out).contains(&format!("FAIL {note}")), "{}", stdout(&out));
    assert!(std::fs::read_to_string(&md_file).unwrap().contains(&format!(" ms {note}\n")));

    // Without --retry-for, one attempt, and the field is still there.
    let out = kbz_check().args(["--format", "json", "all"]).env("DATABASE_URL", refused_url("pw")).output().unwrap();
    assert_eq!(json(&out)["checks"][0]["attempts"], 1);
    assert!(
        !stdout(&kbz_check().arg("all").env("DATABASE_URL", refused_url("pw")).output().unwrap()).contains("attempts")
    );
}

#[test]
fn retry_for_waits_for_a_service_that_comes_up() {
    let port = support::net::free_port();
    // Vault comes up half a second after the check first dials it.
    let late = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(500));
        let body = r#"{"initialized":true,"sealed":false,"standby":false,"version":"1.19.0","cluster_name":"kbz"}"#;
        support::vault::HealthStub::start_on(port, 200, "application/json", body)
    });
    let out = kbz_check()
        .args(["--format", "json", "--retry-for", "10s", "--retry-every", "200ms", "run", "vault"])
        .env("VAULT_ADDR", format!("http://127.0.0.1:{port}"))
        .output()
        .unwrap();
    let stub = late.join().unwrap();
    let report = json(&out);
    let check = &report["checks"][0];
    assert_eq!(check["status"], "ok", "{check:#}");
    assert_eq!(out.status.code(), Some(0));
    assert!(check["attempts"].as_u64().unwrap() >= 2, "{check:#}");
    // One attempt reached the stub (its health request, sys/leader beside it), none after it.
    let health = stub.requests().iter().filter(|r| r.starts_with("GET /v1/sys/health")).count();
    assert_eq!(health, 1, "no attempt after the one that passed: {:?}", stub.requests());
    assert!(report["duration_ms"].as_u64().unwrap() < 5_000, "{report:#}");
}

#[test]
fn stderr_stays_empty_when_it_is_not_a_terminal() {
    // Progress is for people at a terminal; here stderr is a pipe, as in CI.
    for args in [&["all"][..], &["--format", "json", "--retry-for", "300ms", "--retry-every", "100ms", "all"]] {
        // A strong password: a weak one is rightly warned about on stderr (see docs/output.md).
        let out = kbz_check().args(args).env("DATABASE_URL", refused_url("Str0ng-pw-9x")).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(out.stderr.is_empty(), "{args:?}: {}", stderr(&out));
        assert!(!stdout(&out).is_empty());
    }
}

#[test]
fn junit_file_is_written_atomically_beside_the_stdout_format() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let out = kbz_check()
        .args(["--junit", junit.to_str().unwrap(), "--id", "PH11-X", "all"])
        .env("DATABASE_URL", refused_url("pw"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("FAIL"), "stdout keeps the text format: {}", stdout(&out));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(xml.contains(r#"<testsuite name="PH11-X" tests="6" skipped="5" errors="0" failures="1""#), "{xml}");
    assert!(xml.contains(r#"<testcase name="postgres" classname="postgres""#), "{xml}");
    assert!(xml.contains("<failure message=\"") && xml.contains("cause: nothing listens on"), "{xml}");
    assert!(!xml.contains(":pw@"), "the password is redacted: {xml}");
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["junit.xml"], "no temporary file remains");

    // On stdout too; an unconfigured check is a <skipped> testcase, and a run
    // that checked nothing fails, in the JUnit as in the exit code.
    let out = kbz_check().args(["--format", "junit", "all"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let xml = stdout(&out);
    assert!(xml.contains(r#"<testsuite name="kbz-check""#), "{xml}");
    assert!(xml.contains(r#"<skipped message="not configured: set DATABASE_URL (or PGHOST)"/>"#), "{xml}");
    assert!(xml.contains(r#"<failure message="nothing was checked" type="verdict""#), "{xml}");

    let out =
        kbz_check().args(["--junit", dir.path().join("missing/j.xml").to_str().unwrap(), "all"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "an unwritable --junit is found before checking");
}

#[test]
fn lang_fr_translates_the_fixed_words_not_the_evidence() {
    let url = refused_url("pw");
    let md = stdout(
        &kbz_check().args(["--format", "markdown", "--lang", "fr", "all"]).env("DATABASE_URL", &url).output().unwrap(),
    );
    for words in ["## Résumé exécutif", "| Composant | Statut | Preuve |", "### Cause racine", "## Verdict final"] {
        assert!(md.contains(words), "{words}: {md}");
    }
    assert!(md.contains("| BLOQUANT ? | ❌ **OUI** —"), "{md}");
    assert!(md.contains("**Verdict: ❌ ÉCHEC**"), "{md}");
    assert!(md.contains("nothing listens on"), "evidence stays as observed: {md}");
    assert!(!md.contains("Executive summary"), "{md}");

    let text = stdout(&kbz_check().args(["--lang", "fr", "all"]).env("DATABASE_URL", &url).output().unwrap());
    assert!(text.contains("Verdict: ÉCHEC (1 en échec, 0 ok, 5 ignorés;"), "{text}");
    assert!(text.contains("Contrôle") && text.contains("Cible"), "{text}");
    // The status of each check too: no English status word in either format.
    assert!(text.contains("\nÉCHEC postgres: ") && text.contains("IGNORÉ"), "{text}");
    assert!(md.contains("| postgres | ❌ ÉCHEC |") && md.contains("⏭️ IGNORÉ"), "{md}");
    for report in [&text, &md] {
        let words: Vec<&str> = report.split(|c: char| !c.is_alphanumeric()).collect();
        for english in ["FAIL", "WARN", "SKIP", "CRITICAL", "Status", "Evidence", "Fix"] {
            assert!(!words.contains(&english), "{english} in the French report:\n{report}");
        }
    }
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    let bash = kbz_check().args(["completions", "bash"]).output().unwrap();
    assert_eq!(bash.status.code(), Some(0), "{}", stderr(&bash));
    let script = stdout(&bash);
    assert!(script.contains("kbz-check"), "{script}");
    for word in ["all", "run", "list", "init", "--junit", "--lang"] {
        assert!(script.contains(word), "{word} in the bash completions");
    }
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let out = kbz_check().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", stderr(&out));
        assert!(stdout(&out).contains("kbz-check"), "{shell}");
    }
    assert_eq!(kbz_check().args(["completions", "tcsh"]).output().unwrap().status.code(), Some(2));

    let man = kbz_check().arg("man").output().unwrap();
    assert_eq!(man.status.code(), Some(0), "{}", stderr(&man));
    let roff = stdout(&man);
    assert!(roff.contains(".TH kbz-check 1"), "{roff}");
    for option in ["\\-\\-format", "\\-\\-junit", "\\-\\-lang", "\\-\\-timeout", "\\-\\-strict", "completions"] {
        assert!(roff.contains(option), "{option} in the man page:\n{roff}");
    }
}

/// Runs a quick check (a closed port) and a slow one (a silent server, 30 s
/// deadline), sends `signal` once the quick one must have finished, and
/// checks the report of an interrupted run on stdout and in `--json FILE`.
fn interrupted_run_reports_what_finished(signal: libc::c_int) {
    let silent = SilentListener::start();
    let dir = tempfile::tempdir().unwrap();
    let suite = format!(
        "[checks.quick]\nkind = \"postgres\"\nurl = \"postgresql://u@127.0.0.1:{}/db\"\n\n[checks.slow]\nkind = \"postgres\"\nurl = \"postgresql://u@127.0.0.1:{}/db\"\n",
        closed_port(),
        silent.port()
    );
    let path = write(dir.path(), "suite.toml", &suite);
    let file = dir.path().join("report.json");
    let started = std::time::Instant::now();
    let child = kbz_check()
        .args(["--config", &path, "--format", "json", "--timeout", "30s", "--json", file.to_str().unwrap(), "all"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The slow check has connected: the run is under way (signals are caught before
    // any check starts); the refused connection of the quick one takes milliseconds.
    while silent.accepted() == 0 {
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "the slow check never connected");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "took {:?}", started.elapsed());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("interrupted: 1 check(s) did not finish"), "{}", stderr(&out));

    let printed = json(&out);
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(printed["checks"], written["checks"], "stdout and the file carry the same report");
    assert_eq!(written["interrupted"], true);
    let checks = written["checks"].as_array().unwrap();
    assert_eq!((checks[0]["name"].as_str(), checks[0]["status"].as_str()), (Some("quick"), Some("fail")));
    assert!(checks[0]["summary"].as_str().unwrap().contains("refused"), "{:#}", checks[0]);
    assert_eq!(checks[1]["name"], "slow");
    assert_eq!(checks[1]["status"], "skip");
    assert_eq!(checks[1]["summary"], "interrupted");
    assert_eq!(checks[1]["cause"], Value::Null);

    let mut left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    left.sort();
    assert_eq!(left, ["report.json", "suite.toml"], "no temporary file remains");
}

#[test]
fn sigterm_prints_and_writes_the_report_of_the_checks_that_finished() {
    interrupted_run_reports_what_finished(libc::SIGTERM);
}

#[test]
fn ctrl_c_prints_and_writes_the_report_of_the_checks_that_finished() {
    interrupted_run_reports_what_finished(libc::SIGINT);
}

/// The file size limit (RLIMIT_FSIZE) lets the preflight's empty temporary
/// file through and makes the report's write fail half-way with EFBIG, as a
/// full disk fails it with ENOSPC; unlike directory permissions, it also holds
/// for root, which these tests often run as.
#[test]
fn a_report_file_that_cannot_be_written_after_the_run_exits_2_and_keeps_the_previous_one() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.json");
    std::fs::write(&file, "{\"previous\": true}\n").unwrap();
    let mut cmd = kbz_check();
    cmd.args(["--format", "json", "--json", file.to_str().unwrap(), "all"]);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit { rlim_cur: 64, rlim_max: 64 };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // Ignored across exec: the write then fails with EFBIG instead of killing the process.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("cannot write the report to {}", file.display())), "{err}");
    assert!(err.contains("too large"), "the system's reason is given: {err}");
    assert_eq!(json(&out)["checks"][0]["name"], "postgres", "the report was printed before the write failed");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "{\"previous\": true}\n", "the previous report is intact");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, ["report.json"], "no temporary file remains");
}

#[test]
fn a_report_file_in_a_read_only_directory_exits_2_before_running() {
    use std::os::unix::fs::PermissionsExt;
    if unsafe { libc::geteuid() } == 0 {
        // Root ignores directory permissions; the size-limit test above covers root.
        eprintln!("skipped: running as root, for whom a 0555 directory is still writable");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.json");
    std::fs::write(&file, "previous").unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    let out = kbz_check().args(["--json", file.to_str().unwrap(), "all"]).output().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("cannot write the report to {}", file.display())), "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "nothing was checked");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "previous");
}

#[test]
fn a_dot_env_beside_a_run_that_checked_nothing_is_pointed_at() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", "DATABASE_URL=postgresql://app:pw@127.0.0.1:1/app\n");
    let out = kbz_check().current_dir(dir.path()).arg("all").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("Verdict: SKIP — nothing was checked"), "{}", stdout(&out));
    assert!(stderr(&out).contains("a .env file is in this directory: `-e .env` reads it"), "{}", stderr(&out));
}

#[test]
fn strict_changes_the_verdict_every_format_prints_not_only_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let suite = write(
        dir.path(),
        "suite.toml",
        "[checks.disk]\nkind = \"exec\"\ncommand = [\"sh\", \"-c\", \"echo 'DISK WARNING - 91% used'; exit 1\"]\n",
    );
    let (json_file, md_file) = (dir.path().join("r.json"), dir.path().join("r.md"));
    let run = |strict: bool| {
        let mut cmd = kbz_check();
        cmd.args(["-c", &suite, "--json", json_file.to_str().unwrap(), "--markdown", md_file.to_str().unwrap()]);
        if strict {
            cmd.arg("--strict");
        }
        let out = cmd.arg("all").output().unwrap();
        let report: Value = serde_json::from_str(&std::fs::read_to_string(&json_file).unwrap()).unwrap();
        (out.status.code(), report["verdict"].clone(), stdout(&out), std::fs::read_to_string(&md_file).unwrap())
    };
    let (code, verdict, text, md) = run(false);
    assert_eq!((code, verdict.as_str()), (Some(0), Some("warn")), "{text}");
    assert!(text.contains("Verdict: WARN") && md.contains("**Verdict: ⚠️ WARN**"), "{text}\n{md}");
    let (code, verdict, text, md) = run(true);
    assert_eq!((code, verdict.as_str()), (Some(1), Some("fail")), "{text}");
    assert!(text.contains("Verdict: FAIL — --strict"), "{text}");
    assert!(md.contains("**Status**: ❌ FAIL — --strict") && md.contains("| Blocking? | ❌ **YES**"), "{md}");
    assert!(!md.contains("| All OK? | ✅"), "{md}");
}

#[test]
fn several_checks_refused_by_one_host_are_one_root_cause() {
    // Nothing listens on 127.0.0.2: every connection there is refused.
    let (db_port, vault_port) = (closed_port(), closed_port());
    let out = kbz_check()
        .args(["--format", "json", "all"])
        .env("DATABASE_URL", format!("postgresql://app:Very-S3cret-pw@127.0.0.2:{db_port}/app"))
        .env("VAULT_ADDR", format!("http://127.0.0.2:{vault_port}"))
        .env("SMTP_HOST", "127.0.0.1")
        .env("SMTP_PORT", closed_port().to_string())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    let causes = report["root_causes"].as_array().unwrap();
    assert_eq!(causes.len(), 1, "{report:#}");
    assert_eq!(causes[0]["code"], "cause.host_refuses_everything");
    assert_eq!(causes[0]["checks"], serde_json::json!(["postgres", "vault"]), "the refusal on 127.0.0.1 is its own");
    assert!(causes[0]["summary"].as_str().unwrap().starts_with("127.0.0.2 refuses every connection"), "{report:#}");
}
