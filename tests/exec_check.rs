//! The exec check against Debian's real monitoring plugins (check_tcp,
//! check_dummy; installed by scripts/test) and small plugins written here
//! for perfdata, garbage and a plugin that never exits, through the
//! `kbz-check` binary as a user runs it.

mod support;

use serde_json::Value;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};
use support::net::closed_port;
use support::{all_text, assert_absent, check, evidence, evidence_item, kbz_check};

const PLUGINS: &str = "/usr/lib/nagios/plugins";

/// Distinctive, so that a leak is easy to grep for.
const SECRET_VALUE: &str = "Plugin-Pa55-w0rd!never-shown";

/// Runs the `plugin` check of a suite whose `[checks.plugin]` has `settings`.
fn run_suite(dir: &Path, settings: &str, extra: &[&str]) -> (i32, Value, Output) {
    let suite = dir.join("suite.toml");
    std::fs::write(&suite, format!("[checks.plugin]\nkind = \"exec\"\n{settings}\n")).unwrap();
    let mut args = vec!["--config", suite.to_str().unwrap()];
    args.extend_from_slice(extra);
    support::run_json("plugin", std::iter::empty::<(&str, &str)>(), &args)
}

/// A TOML array of strings.
fn array(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| toml::Value::from(*w).to_string()).collect();
    format!("[{}]", quoted.join(", "))
}

/// An executable script in `dir`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_else(|| panic!("not a string: {value}"))
}

#[test]
fn check_tcp_against_a_listener_and_a_closed_port() {
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();

    // A bare name is found in the plugin directory, as in Nagios configs.
    let command = array(&["check_tcp", "-H", "127.0.0.1", "-p", &port]);
    let (code, json, _) = run_suite(dir.path(), &format!("command = {command}"), &[]);
    assert_eq!(code, 0, "{json:#}");
    let c = check(&json);
    assert_eq!(c["status"], "ok", "{c:#}");
    assert_eq!(c["target"], format!("check_tcp -H 127.0.0.1 -p {port}"));
    let summary = text(&c["summary"]);
    assert!(summary.starts_with("TCP OK - ") && summary.ends_with(&format!("port {port}")), "{summary}");
    let command = evidence_item(c, "command");
    assert_eq!(command["command"], format!("check_tcp -H 127.0.0.1 -p {port}"));
    assert!(text(&command["output"]).starts_with("exit 0 (OK) after "), "{command}");
    let time = evidence(c, "perfdata time");
    assert!(time.ends_with("s (min 0.000000, max 10.000000)"), "{time}");
    assert!(c["code"].is_null(), "{c:#}");

    let closed = closed_port().to_string();
    let command = array(&[&format!("{PLUGINS}/check_tcp"), "-H", "127.0.0.1", "-p", &closed]);
    let (code, json, _) = run_suite(dir.path(), &format!("command = {command}"), &[]);
    assert_eq!(code, 1, "{json:#}");
    let c = check(&json);
    assert_eq!(c["status"], "fail", "{c:#}");
    let summary = text(&c["summary"]);
    assert_eq!(summary, format!("CRITICAL: connect to address 127.0.0.1 and port {closed}: Connection refused"));
    assert!(text(&c["cause"]).contains("`check_tcp` reported CRITICAL (exit 2)"), "{c:#}");
    assert_eq!(c["code"], "exec.plugin.critical", "{c:#}");
    assert_eq!(c["actions"][0]["priority"], "high");
    assert_eq!(c["actions"][0]["command"], format!("{PLUGINS}/check_tcp -H 127.0.0.1 -p {closed}"));
}

#[test]
fn check_dummy_maps_each_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("0", 0, "ok", "OK: all fine", None),
        ("1", 0, "warn", "WARNING: all fine", Some("exec.plugin.warning")),
        ("2", 1, "fail", "CRITICAL: all fine", Some("exec.plugin.critical")),
        ("3", 1, "fail", "UNKNOWN: all fine", Some("exec.plugin.unknown")),
    ];
    for (state, code, status, summary, finding) in cases {
        let command = array(&["check_dummy", state, "all fine"]);
        let (got, json, _) = run_suite(dir.path(), &format!("command = {command}"), &[]);
        let c = check(&json);
        assert_eq!((got, c["status"].as_str(), c["summary"].as_str()), (code, Some(status), Some(summary)), "{c:#}");
        assert_eq!(c["code"].as_str(), finding, "{c:#}");
    }
    // UNKNOWN is said as such, and not blamed on the service.
    let (_, json, _) = run_suite(dir.path(), &format!("command = {}", array(&["check_dummy", "3"])), &[]);
    let c = check(&json);
    assert!(text(&c["summary"]).starts_with("UNKNOWN"), "{c:#}");
    assert!(text(&c["cause"]).contains("could not determine a state (UNKNOWN, exit 3)"), "{c:#}");
    assert!(text(&evidence_item(c, "command")["output"]).starts_with("exit 3 (UNKNOWN)"), "{c:#}");
    // --strict makes a warning fail the run.
    let (code, _, _) = run_suite(dir.path(), &format!("command = {}", array(&["check_dummy", "1"])), &["--strict"]);
    assert_eq!(code, 1);
}

#[test]
fn perfdata_and_long_text_become_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let body = r#"echo "DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968"
echo "/ 15272 MB (77%);"
echo "/boot 68 MB (69%);"
echo "/var/log 819 MB (84%); | /boot=68MB;88;93;0;98"
echo "'var log'=818MB;970;975;0;980 load=0.5;1:2;@3:4 rta=U junk"
echo "a warning on stderr" >&2
exit 0"#;
    let plugin = script(dir.path(), "check_disk_like", body);
    let (code, json, _) = run_suite(dir.path(), &format!("command = {}", array(&[plugin.to_str().unwrap()])), &[]);
    assert_eq!(code, 0, "{json:#}");
    let c = check(&json);
    assert_eq!(c["summary"], "DISK OK - free space: / 3326 MB (56%);");
    assert_eq!(evidence(c, "long output"), "/ 15272 MB (77%);\n/boot 68 MB (69%);\n/var/log 819 MB (84%);");
    assert_eq!(evidence(c, "perfdata /"), "2643MB (warn 5948, crit 5958, min 0, max 5968)");
    assert_eq!(evidence(c, "perfdata /boot"), "68MB (warn 88, crit 93, min 0, max 98)");
    assert_eq!(evidence(c, "perfdata var log"), "818MB (warn 970, crit 975, min 0, max 980)");
    assert_eq!(evidence(c, "perfdata load"), "0.5 (warn 1:2, crit @3:4)");
    assert_eq!(evidence(c, "perfdata rta"), "U (not measured)");
    assert_eq!(evidence(c, "perfdata not understood"), "junk");
    assert_eq!(evidence(c, "stderr"), "a warning on stderr");
}

#[test]
fn garbage_output_odd_exits_signals_and_missing_programs_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, body: &str| {
        let plugin = script(dir.path(), name, body);
        let (code, json, _) = run_suite(dir.path(), &format!("command = {}", array(&[plugin.to_str().unwrap()])), &[]);
        assert_eq!(code, 1, "{json:#}");
        check(&json).clone()
    };

    let c = run("garbage", "head -c 100000 /dev/urandom; exit 7");
    assert_eq!(c["status"], "fail");
    assert!(text(&c["summary"]).starts_with("exit 7"), "{c:#}");
    assert!(text(&c["cause"]).contains("exit 7, which is not a plugin state"), "{c:#}");
    assert!(text(&c["summary"]).chars().count() <= 320, "{c:#}");
    assert_eq!(c["code"], "exec.exit_not_a_state", "{c:#}");

    let c = run("crash", "echo 'about to crash'; kill -SEGV $$");
    assert_eq!(c["summary"], "killed by signal 11 (SIGSEGV): about to crash", "{c:#}");
    assert_eq!(c["code"], "exec.killed_by_signal", "{c:#}");

    let c = run("silent", "exit 2");
    assert_eq!(c["summary"], "CRITICAL: no output (exit 2)", "{c:#}");

    let (code, json, _) = run_suite(dir.path(), "command = [\"check_no_such_plugin\", \"-H\", \"x\"]", &[]);
    let c = check(&json);
    assert_eq!((code, c["summary"].as_str()), (1, Some("command not found: check_no_such_plugin")), "{c:#}");
    assert!(text(&c["actions"][0]["text"]).contains("monitoring-plugins-basic"), "{c:#}");
    assert_eq!(c["code"], "exec.not_found", "{c:#}");
}

/// The process is gone, or a zombie waiting for init to reap it.
fn gone_soon(pid: &str) -> bool {
    (0..100).any(|_| {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let zombie = stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
        let gone = stat.is_empty() || zombie;
        if !gone {
            std::thread::sleep(Duration::from_millis(20));
        }
        gone
    })
}

#[test]
fn a_plugin_that_never_exits_is_killed_with_its_children_at_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("child.pid");
    let body = format!("echo 'checking...'\nsleep 300 &\necho $! > '{}'\nwait", pidfile.display());
    let plugin = script(dir.path(), "hangs", &body);
    let started = Instant::now();
    let settings = format!("command = {}\ntimeout = \"1s\"", array(&[plugin.to_str().unwrap()]));
    let (code, json, _) = run_suite(dir.path(), &settings, &[]);
    let took = started.elapsed();
    assert!(took < Duration::from_millis(1800), "took {took:?}");
    assert_eq!(code, 1, "{json:#}");
    let c = check(&json);
    assert_eq!(c["status"], "fail");
    let summary = text(&c["summary"]);
    assert!(
        summary.starts_with("timed out after 1s while running ") && summary.ends_with("its process group was killed"),
        "{summary}"
    );
    assert!(
        text(&evidence_item(c, "command")["output"]).starts_with("killed by signal 9 (SIGKILL): timed out"),
        "{c:#}"
    );
    assert_eq!(c["code"], "exec.killed_at_deadline", "{c:#}");
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    assert!(gone_soon(pid.trim()), "the plugin's child {} survived", pid.trim());
}

#[test]
fn shell_commands_env_secrets_and_cwd() {
    let dir = tempfile::tempdir().unwrap();
    let settings = format!(
        "shell = true\ncommand = \"echo \\\"OK - in $(pwd) as $KBZ_PLUGIN_TOKEN\\\" | sed 's/^/[sh] /'\"\ncwd = \"{}\"\nenv = {{ KBZ_PLUGIN_TOKEN = \"{SECRET_VALUE}\" }}",
        dir.path().display()
    );
    let (code, json, out) = run_suite(dir.path(), &settings, &[]);
    assert_eq!(code, 0, "{json:#}");
    let c = check(&json);
    let masked = kbz_check::secret::mask(SECRET_VALUE);
    assert_eq!(c["summary"], format!("[sh] OK - in {} as {masked}", dir.path().display()), "{c:#}");
    let target = text(&c["target"]);
    assert!(target.contains(&format!("KBZ_PLUGIN_TOKEN={masked} /bin/sh -c ")), "{target}");
    assert_absent(&all_text(&out), &[SECRET_VALUE]);

    // `list` shows the variable's value masked too.
    let suite = dir.path().join("suite.toml");
    let out = kbz_check().args(["--config", suite.to_str().unwrap(), "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_text(&out));
    assert!(all_text(&out).contains(&format!("KBZ_PLUGIN_TOKEN={masked}")), "{}", all_text(&out));
    assert_absent(&all_text(&out), &[SECRET_VALUE]);
}

#[test]
fn setting_mistakes_exit_2_and_the_builtin_suite_has_no_exec_check() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("command = \"check_tcp -H 127.0.0.1\"", "checks.plugin.command: a string runs only with shell = true"),
        (
            "shell = true\ncommand = [\"check_tcp\"]",
            "checks.plugin.command: with shell = true, write the command as one string",
        ),
        (
            "command = [\"check_dummy\", \"0\"]\ncwd = \"/no/such/dir\"",
            "checks.plugin.cwd: /no/such/dir: no such directory",
        ),
        (
            "command = [\"check_dummy\", \"0\"]\nenv = { \"A=B\" = \"x\" }",
            "checks.plugin.env: `A=B` is not a variable name",
        ),
        ("command = [\"check_dummy\", \"0\"]\nargs = [\"x\"]", "checks.plugin.args: unknown setting"),
    ];
    for (settings, message) in cases {
        let suite = dir.path().join("suite.toml");
        std::fs::write(&suite, format!("[checks.plugin]\nkind = \"exec\"\n{settings}\n")).unwrap();
        let out = kbz_check().args(["--config", suite.to_str().unwrap(), "run", "plugin"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{settings}: {}", all_text(&out));
        assert!(all_text(&out).contains(message), "{settings}: {}", all_text(&out));
    }

    let out = kbz_check().args(["--format", "json", "all"]).output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: Vec<&str> = report["checks"].as_array().unwrap().iter().map(|c| text(&c["kind"])).collect();
    assert_eq!(kinds, ["postgres", "vault", "smtp", "ses", "domain", "oauth"]);
}

#[test]
fn check_pgsql_against_the_test_cluster_leader_and_replica() {
    use support::pg::{Node, PgCluster, Role, DATABASE};
    let cluster = PgCluster::start();
    let dir = tempfile::tempdir().unwrap();
    let password = Role::App.password();
    // The password goes through `env` (libpq reads PGPASSWORD), never an argument.
    let run = |node: Node, password: &str, extra: &[&str]| {
        let port = cluster.port(node).to_string();
        let mut argv = vec!["check_pgsql", "-H", "127.0.0.1", "-P", &port, "-d", DATABASE, "-l", Role::App.user()];
        argv.extend_from_slice(extra);
        let env = format!("env = {{ PGPASSWORD = {} }}", toml::Value::from(password));
        let (code, json, out) = run_suite(dir.path(), &format!("command = {}\n{env}", array(&argv)), &[]);
        assert_absent(&all_text(&out), &[password]);
        (code, check(&json).clone())
    };

    let (code, c) = run(Node::Primary, password, &[]);
    assert_eq!((code, c["status"].as_str()), (0, Some("ok")), "{c:#}");
    assert!(text(&c["summary"]).starts_with(&format!("OK - database {DATABASE} (")), "{c:#}");
    assert!(evidence(&c, "perfdata time").ends_with("s (warn 2.000000, crit 8.000000, min 0.000000)"), "{c:#}");
    assert!(text(&c["target"]).starts_with(&format!("PGPASSWORD={} check_pgsql ", kbz_check::secret::mask(password))));

    // Leader or replica, asked the plugin's way: CRITICAL outside 0..0.
    let leader = ["-q", "SELECT pg_is_in_recovery()::int", "-C", "0"];
    let (code, c) = run(Node::Primary, password, &leader);
    assert_eq!((code, c["status"].as_str()), (0, Some("ok")), "{c:#}");
    let (code, c) = run(Node::Replica, password, &leader);
    assert_eq!((code, c["status"].as_str()), (1, Some("fail")), "{c:#}");
    assert!(text(&c["summary"]).contains("CRITICAL"), "{c:#}");

    let (code, c) = run(Node::Primary, "Wrong-pa55word", &[]);
    assert_eq!((code, c["status"].as_str()), (1, Some("fail")), "{c:#}");
    assert!(text(&c["summary"]).starts_with("CRITICAL"), "{c:#}");
}

#[test]
fn check_smtp_against_the_test_relay() {
    use support::smtp::{Certificates, Mode, SmtpServer};
    let certificates = Certificates::new();
    let dir = tempfile::tempdir().unwrap();
    for (mode, extra) in [(Mode::Plain, &[][..]), (Mode::StartTls, &["-S"][..])] {
        let server = SmtpServer::start(mode, &certificates);
        let port = server.port().to_string();
        let mut argv = vec!["check_smtp", "-H", "127.0.0.1", "-p", &port];
        argv.extend_from_slice(extra);
        let (code, json, _) = run_suite(dir.path(), &format!("command = {}", array(&argv)), &[]);
        let c = check(&json);
        assert_eq!((code, c["status"].as_str()), (0, Some("ok")), "{mode:?}: {c:#}\n{}", server.log());
        assert!(text(&c["summary"]).starts_with("SMTP OK - "), "{c:#}");
        assert!(server.messages().is_empty(), "check_smtp sent mail");
    }
    let closed = closed_port().to_string();
    let (code, json, _) =
        run_suite(dir.path(), &format!("command = {}", array(&["check_smtp", "-H", "127.0.0.1", "-p", &closed])), &[]);
    let c = check(&json);
    assert_eq!((code, c["status"].as_str()), (1, Some("fail")), "{c:#}");
    assert!(text(&c["summary"]).contains("Connection refused"), "{c:#}");
}

/// Kills `pid` when dropped, so a test that fails midway leaves nothing running.
struct KillOnDrop(String);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill").args(["-9", &self.0]).status();
    }
}

#[test]
fn a_child_that_left_the_process_group_is_named_as_still_running_not_killed() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("escaped.pid");
    // setsid: a session (and group) of its own, out of killpg's reach; it
    // keeps the plugin's stdout open.
    let body = format!("setsid sleep 100 &\necho $! > '{}'\necho 'OK - started'\nexit 0", pidfile.display());
    let plugin = script(dir.path(), "detaches", &body);
    let settings = format!("command = {}\ntimeout = \"2s\"", array(&[plugin.to_str().unwrap()]));
    let started = Instant::now();
    let (code, json, _) = run_suite(dir.path(), &settings, &[]);
    let took = started.elapsed();
    let pid = std::fs::read_to_string(&pidfile).unwrap().trim().to_string();
    let _cleanup = KillOnDrop(pid.clone());
    assert!(took < Duration::from_millis(2500), "took {took:?}");
    let c = check(&json);
    assert_eq!((code, c["status"].as_str()), (0, Some("warn")), "{c:#}");
    let named = format!("PID {pid} `sleep 100`");
    assert!(text(&c["summary"]).contains("left processes running outside its process group"), "{c:#}");
    assert!(text(&c["summary"]).contains(&named), "{c:#}");
    assert_eq!(text(&evidence_item(c, "left running")["output"]), named, "{c:#}");
    assert_eq!(c["code"], "exec.children_left_running", "{c:#}");
    assert!(!c.to_string().contains("killed"), "says killed:\n{c:#}");
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists(), "the escaped child is gone");
}
