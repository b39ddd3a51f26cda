//! Bad input gets a clear error (DESIGN.md principle 6): absurd durations,
//! input files that are not files or are far too large, report paths that
//! would destroy an input or each other, unwritable report paths, a test
//! recipient that is no address. Each is refused with exit 2 before any
//! check runs, naming the option or file and the problem, never with a
//! panic and never by hanging. Nothing here connects anywhere: the suites
//! hold disabled checks only.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use support::kbz_check;

/// A suite that would run nothing: building its checks still validates every setting.
const DISABLED: &str = "[checks.db]\nkind = \"postgres\"\nenabled = false\n";

/// Runs `cmd`, killing it if it has not returned within 10 s (a FIFO or
/// `/dev/zero` read whole would block or never end).
fn run(mut cmd: Command) -> Output {
    let child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let pid = child.id() as libc::pid_t;
    let (done, result) = mpsc::channel();
    std::thread::spawn(move || done.send(child.wait_with_output()));
    match result.recv_timeout(Duration::from_secs(10)) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            // SAFETY: kills the child this test started, by its own pid.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("kbz-check {:?} did not return within 10 s", cmd.get_args().collect::<Vec<_>>());
        }
    }
}

fn kbz(args: &[&str]) -> Command {
    let mut cmd = kbz_check();
    cmd.args(args);
    cmd
}

/// Exit 2, nothing printed on stdout (nothing ran), every `needle` on
/// stderr, and no sign of a panic or of an internal error.
fn assert_refused(out: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    let context = format!("stderr:\n{err}\nstdout:\n{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(out.status.code(), Some(2), "{context}");
    assert!(out.stdout.is_empty(), "nothing was to run: {context}");
    for needle in needles {
        assert!(err.contains(needle), "missing {needle:?}: {context}");
    }
    for sign in ["panicked", "internal error", "RUST_BACKTRACE"] {
        assert!(!err.contains(sign), "{sign}: {context}");
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn absurd_durations_on_the_command_line_exit_2_naming_the_range() {
    let dir = tempfile::tempdir().unwrap();
    let suite = write(dir.path(), "suite.toml", DISABLED);
    for (option, value) in [
        ("--timeout", "500y"),
        ("--timeout", "18446744073709551615s"),
        ("--timeout", "0s"),
        // Used to panic: "overflow when adding duration to instant".
        ("--retry-for", "18446744073709551615s"),
        ("--retry-for", "500y"),
        ("--retry-every", "18446744073709551615s"),
        ("--retry-every", "99999999999999999999999ms"),
    ] {
        let out = run(kbz(&["-c", s(&suite), option, value, "all"]));
        assert_refused(&out, &[option, value, "more than 0 and at most 24h"]);
    }
}

#[test]
fn absurd_durations_in_a_suite_exit_2_naming_key_line_and_range() {
    let dir = tempfile::tempdir().unwrap();
    for (kind, key, value, range) in [
        ("postgres", "timeout", "500y", "more than 0 and at most 24h"),
        ("exec", "timeout", "18446744073709551615s", "more than 0 and at most 24h"),
        ("vault", "min_ttl", "18446744073709551615s", "from 0s to 10years"),
        ("postgres", "max_lag", "500y", "from 0s to 10years"),
        ("smtp", "cert_expiry_warn", "99999999999999999999999s", "from 0s to 10000years"),
        ("smtp", "cert_expiry_warn", "10001years", "from 0s to 10000years"),
    ] {
        let text = format!("[checks.c]\nkind = \"{kind}\"\nenabled = false\n{key} = \"{value}\"\n");
        let suite = write(dir.path(), "suite.toml", &text);
        let out = run(kbz(&["-c", s(&suite), "all"]));
        assert_refused(&out, &[&format!("suite.toml:4: checks.c.{key}: `{value}`"), range]);
    }
}

#[test]
fn input_files_that_are_not_regular_files_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let suite = write(dir.path(), "suite.toml", DISABLED);
    let fifo = dir.path().join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    for (path, what) in [
        (Path::new("/dev/zero"), "it is a device, not a regular file"),
        (fifo.as_path(), "it is a named pipe (FIFO), not a regular file"),
        (dir.path(), "it is a directory, not a regular file"),
    ] {
        let out = run(kbz(&["-e", s(path), "-c", s(&suite), "all"]));
        assert_refused(&out, &[&format!("env file {}: cannot read it: {what}", path.display())]);
        let out = run(kbz(&["-c", s(path), "all"]));
        assert_refused(&out, &[&format!("{}: cannot read the suite file: {what}", path.display())]);
    }
}

#[test]
fn input_files_over_one_mib_are_refused_without_reading_them() {
    let dir = tempfile::tempdir().unwrap();
    let suite = write(dir.path(), "suite.toml", DISABLED);
    // Sparse: 200 MB long, takes no disk; read whole it would take seconds and memory.
    let big = std::fs::File::create(dir.path().join("big")).unwrap();
    big.set_len(200 * 1000 * 1000).unwrap();
    let big = dir.path().join("big");
    let out = run(kbz(&["-e", s(&big), "-c", s(&suite), "all"]));
    assert_refused(&out, &[&format!("env file {}: cannot read it: it is larger than 1 MiB", big.display())]);
    let out = run(kbz(&["-c", s(&big), "all"]));
    assert_refused(&out, &[&format!("{}: cannot read the suite file: it is larger than 1 MiB", big.display())]);
}

#[test]
fn env_file_errors_name_the_line_the_bad_entry_starts_on() {
    let dir = tempfile::tempdir().unwrap();
    let suite = write(dir.path(), "suite.toml", DISABLED);
    for (text, expected) in [
        ("A=1\nKEY=a b # comment\n", "line 2: cannot parse the value of `KEY`"),
        (
            "# comment\nCERT=\"-----BEGIN\nabc\n-----END\"\n\nPASS=\"s3cret-unclosed\nX=1\n",
            "line 6: cannot parse the value of `PASS`",
        ),
        ("A=1\nB=1\n\"s3cret\n", "line 3: cannot parse this line: expected KEY=VALUE"),
    ] {
        let env = write(dir.path(), "app.env", text);
        let out = run(kbz(&["-e", s(&env), "-c", s(&suite), "all"]));
        assert_refused(&out, &[&format!("env file {}: {expected}", env.display())]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("line 0") && !err.contains("s3cret"), "{err}");
    }
}

#[test]
fn a_report_path_that_names_an_input_file_is_refused_and_the_input_kept() {
    let dir = tempfile::tempdir().unwrap();
    let suite = write(dir.path(), "suite.toml", DISABLED);
    let env = write(dir.path(), "app.env", "A=1\n");
    let hard = dir.path().join("hard-link.env");
    std::fs::hard_link(&env, &hard).unwrap();
    let dotted = dir.path().join(".").join("suite.toml");
    let cases: [(&str, &Path, &str); 3] = [
        ("--json", &dotted, "that is the suite file"),
        ("--markdown", &hard, "that is the env file (-e)"),
        ("--junit", &suite, "that is the suite file"),
    ];
    for (option, path, what) in cases {
        let out = run(kbz(&["-e", s(&env), "-c", s(&suite), option, s(path), "all"]));
        assert_refused(&out, &[&format!("{option} {}: {what}", path.display()), "write the report to another file"]);
        assert_eq!(std::fs::read_to_string(&suite).unwrap(), DISABLED);
        assert_eq!(std::fs::read_to_string(&env).unwrap(), "A=1\n");
    }
}

#[test]
fn one_file_for_two_formats_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let suite = write(dir.path(), "suite.toml", DISABLED);
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let (a, b) = (dir.path().join("r.out"), dir.path().join("sub/../r.out"));
    let out = run(kbz(&["-c", s(&suite), "--json", s(&a), "--junit", s(&b), "all"]));
    assert_refused(&out, &["--json and --junit name the same file", "give each format its own file"]);
    assert!(!a.exists(), "nothing was written");
}

#[test]
fn unwritable_report_paths_are_named_as_written_never_as_a_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let suite = write(dir.path(), "suite.toml", DISABLED);
    let missing = dir.path().join("missing");
    let cases = [
        (missing.join("r.json"), format!("the directory {} does not exist", missing.display())),
        (dir.path().to_path_buf(), "it is a directory".to_string()),
        (PathBuf::from("/dev/null/r.json"), "/dev/null is not a directory".to_string()),
        (PathBuf::from("/proc/kbz-check-report.json"), "cannot create a file in /proc".to_string()),
    ];
    for (path, why) in cases {
        let out = run(kbz(&["-c", s(&suite), "--json", s(&path), "all"]));
        assert_refused(&out, &[&format!("cannot write the report to {}: {why}", path.display())]);
        assert!(!String::from_utf8_lossy(&out.stderr).contains(".kbz-check-"), "the temporary file is not named");
    }
}

/// Directory permissions bind every user but root, so as root the binary
/// runs as `nobody`, which cannot create files in a 0555 directory.
#[test]
fn a_read_only_directory_is_named_as_written() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let suite = write(dir.path(), "suite.toml", DISABLED);
    let read_only = dir.path().join("ro");
    std::fs::create_dir(&read_only).unwrap();
    std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o555)).unwrap();
    let report = read_only.join("r.json");
    let mut cmd = kbz(&["-c", s(&suite), "--json", s(&report), "all"]);
    if unsafe { libc::geteuid() } == 0 {
        cmd.uid(65534).gid(65534);
    }
    let out = run(cmd);
    let why =
        format!("cannot write the report to {}: cannot create a file in {}", report.display(), read_only.display());
    assert_refused(&out, &[&why, "permission denied"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains(".kbz-check-"));
}

#[test]
fn a_report_path_that_is_a_symlink_is_refused_and_the_link_kept() {
    let dir = tempfile::tempdir().unwrap();
    let suite = write(dir.path(), "suite.toml", DISABLED);
    let target = write(dir.path(), "real.json", "previous");
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = run(kbz(&["-c", s(&suite), "--json", s(&link), "all"]));
    assert_refused(&out, &[&format!("cannot write the report to {}: it is a symbolic link to ", link.display())]);
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink(), "the link is still a link");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "previous");
}

#[test]
fn send_test_to_that_is_no_mail_address_exits_2_before_running() {
    let dir = tempfile::tempdir().unwrap();
    let suite = write(dir.path(), "suite.toml", DISABLED);
    for bad in ["ops", "ops@", "two words@example.com"] {
        let out = run(kbz(&["-c", s(&suite), "--send-test-to", bad, "all"]));
        assert_refused(&out, &["--send-test-to", "not a mail address"]);
    }
}
