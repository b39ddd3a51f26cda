//! Checking from where the app runs: its process's environment
//! (`--env-from-pid`) and its network namespace (`--netns-of`, `--as-pid`),
//! against a real PostgreSQL cluster and a real SMTP relay. kbz-check's own
//! environment is empty in every test here: whatever it finds, it found in
//! the app's process.

mod support;

use serde_json::Value;
use std::process::{Child, Command, Output, Stdio};
use support::netns::DnsNamespace;
use support::pg::{Node, PgCluster, Role};
use support::smtp::{relay_env, Certificates, Mode, SmtpServer, PYTHON, SMTP_PASSWORD};
use support::{assert_absent, check, kbz_check};

/// A stand-in for the app: a process that only sits there with the app's
/// variables, as a backend does between requests. Killed on drop.
struct App {
    child: Child,
}

impl App {
    /// `sleep`, run as `sleep` is given: here, or inside a namespace.
    fn start(mut sleep: Command, env: &[(&str, String)]) -> App {
        let child = sleep
            .arg("600")
            .env_clear()
            .envs(env.iter().map(|(k, v)| (*k, v)))
            .stdin(Stdio::null())
            .spawn()
            .expect("start the app's stand-in");
        let app = App { child };
        app.wait_until_it_runs_sleep();
        app
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// `ip netns exec` sets the namespace up, then execs `sleep`: until
    /// then, the PID's environment and namespace are not yet the app's.
    fn wait_until_it_runs_sleep(&self) {
        let comm = format!("/proc/{}/comm", self.child.id());
        for _ in 0..200 {
            if std::fs::read_to_string(&comm).is_ok_and(|name| name.trim() == "sleep") {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("the app's stand-in never ran sleep");
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sleep_here() -> Command {
    Command::new("sleep")
}

/// `kbz-check --format json ARGS` with an empty environment: (exit code, report, output).
fn run(args: &[&str]) -> (i32, Value, Output) {
    let out = kbz_check().args(["--format", "json"]).args(args).output().expect("run kbz-check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("stdout is not JSON ({e}):\n{stdout}\nstderr:\n{}", String::from_utf8_lossy(&out.stderr))
    });
    (out.status.code().unwrap_or(-1), report, out)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// PH11's trap: the app's DATABASE_URL is on the replica. kbz-check's own
/// shell has no DATABASE_URL at all; read from the app's process, the
/// postgres check finds the replica and names the leader.
#[test]
fn the_apps_environment_is_read_from_its_process_and_its_replica_url_fails() {
    let pg = PgCluster::start();
    let app =
        App::start(sleep_here(), &[("DATABASE_URL", pg.url(Role::App, Node::Replica)), ("KBZ_PG_NODES", pg.nodes())]);
    let pid = app.pid();

    let (code, report, out) = run(&["run", "postgres"]);
    assert_eq!((code, check(&report)["status"].as_str()), (1, Some("skip")), "nothing set here: {report:#}");

    let (code, report, out_pid) = run(&["--env-from-pid", &pid, "run", "postgres"]);
    assert_eq!(code, 1, "{report:#}");
    let c = check(&report);
    assert_eq!((c["status"].as_str(), c["code"].as_str()), (Some("fail"), Some("postgres.on_replica")), "{c:#}");
    let leader = format!("127.0.0.1:{}", pg.primary_port());
    assert!(c["summary"].as_str().unwrap().contains(&format!("leader: {leader} (db-postgres-01)")), "{c:#}");
    assert!(c["cause"].as_str().unwrap().contains("db-postgres-03"), "the replica is named: {c:#}");
    assert_eq!(report["vantage"], serde_json::json!({ "environment_of": app.child.id() }), "{report:#}");
    assert_absent(&format!("{}{}", support::all_text(&out), support::all_text(&out_pid)), &[Role::App.password()]);

    // `list` says where each value came from.
    let out = kbz_check().args(["--env-from-pid", &pid, "list"]).output().unwrap();
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(listing.contains(&format!("[$DATABASE_URL (environment of process {pid})]")), "{listing}");
    assert_absent(&listing, &[Role::App.password()]);

    // The text report says so above its table.
    let out = kbz_check().args(["--env-from-pid", &pid, "run", "postgres"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().any(|l| l == format!("Seen from: the environment of process {pid}")), "{text}");
}

#[test]
fn a_process_that_is_not_there_or_not_ours_is_a_clear_error() {
    // Above the kernel's largest pid_max (2^22): never a process.
    let out = kbz_check().args(["--env-from-pid", "4194305", "all"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--env-from-pid: no process 4194305"), "{}", stderr(&out));
    let out = kbz_check().args(["--netns-of", "4194305", "all"]).output().unwrap();
    assert!(stderr(&out).contains("--netns-of: no process 4194305"), "{}", stderr(&out));

    // Another user's process, seen by an unprivileged user.
    let secret = "Env-0f-r00t-s3cret";
    let app = App::start(sleep_here(), &[("DATABASE_URL", format!("postgresql://u:{secret}@127.0.0.1:1/db"))]);
    for flag in ["--env-from-pid", "--netns-of"] {
        let out = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(env!("CARGO_BIN_EXE_kbz-check"))
            .args([flag, &app.pid(), "all"])
            .env_clear()
            .output()
            .expect("run setpriv (util-linux)");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{flag}: {err}");
        assert!(err.contains(&format!("{flag}: not permitted to read")), "{flag}: {err}");
        assert!(err.contains("root (CAP_SYS_"), "says what is needed: {err}");
        assert_absent(&support::all_text(&out), &[secret]);
    }
}

/// A relay that only the app's network namespace has: reached with
/// `--as-pid`, by the name only the app's /etc/hosts knows; not reached
/// from kbz-check's own network with the same variables.
#[test]
fn the_checks_reach_what_only_the_apps_network_has() {
    let netns = DnsNamespace::without_resolver();
    netns.write_hosts("127.0.0.1 localhost\n127.0.0.1 relay.kbz.test\n");
    let certificates = Certificates::for_names(&["relay.kbz.test", "127.0.0.1"]);
    let relay = SmtpServer::start_with(netns.exec(PYTHON), Mode::StartTls, &certificates);
    let variables = |host: &str| {
        let mut env = relay_env(relay.port(), SMTP_PASSWORD);
        env[0].1 = host.to_string();
        env.push(("SSL_CERT_FILE", certificates.ca_path().display().to_string()));
        env
    };
    let by_name = App::start(netns.exec("sleep"), &variables("relay.kbz.test"));
    let by_address = App::start(netns.exec("sleep"), &variables("127.0.0.1"));

    let (code, report, out) = run(&["--as-pid", &by_name.pid(), "run", "smtp"]);
    assert_eq!(code, 0, "{report:#}\n{}", relay.log());
    assert_eq!(check(&report)["status"], "ok", "{report:#}");
    let vantage = &report["vantage"];
    assert_eq!(vantage["environment_of"], by_name.child.id(), "{report:#}");
    assert_eq!(vantage["network_of"], by_name.child.id(), "{report:#}");
    assert_eq!(vantage["network_namespace"], netns.kernel_name(), "{report:#}");
    assert_eq!(vantage["resolver_files"], serde_json::json!(["/etc/resolv.conf", "/etc/hosts"]), "{report:#}");
    assert_absent(&support::all_text(&out), &[SMTP_PASSWORD]);

    let (code, report, _) = run(&["--netns-of", &by_address.pid(), "--env-from-pid", &by_address.pid(), "run", "smtp"]);
    assert_eq!((code, check(&report)["status"].as_str()), (0, Some("ok")), "{report:#}");

    // The same variables from kbz-check's own network: the relay is not there.
    let (code, report, _) = run(&["--env-from-pid", &by_address.pid(), "run", "smtp"]);
    assert_eq!((code, check(&report)["status"].as_str()), (1, Some("fail")), "{report:#}");
    assert!(report["vantage"].get("network_namespace").is_none(), "{report:#}");

    let out = kbz_check().args(["--as-pid", &by_name.pid(), "run", "smtp"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let seen = format!(
        "Seen from: the environment of process {pid} and the network namespace {ns} of process {pid} (names resolved with its /etc/resolv.conf, /etc/hosts)",
        pid = by_name.pid(),
        ns = netns.kernel_name()
    );
    assert!(text.lines().any(|l| l == seen), "{seen}\n{text}");
}

/// The first incident's trap made visible: the shell (as a Secret would)
/// says leader, the `.env` the app loads says replica. The env file wins,
/// the check fails on the replica, and the report names both sources, the
/// passwords compared by fingerprint only.
#[test]
fn sources_that_disagree_are_named_with_the_one_that_won() {
    let pg = PgCluster::start();
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join("app.env").display().to_string();
    // The shell says leader; the env file says `in_file`.
    let run_with = |in_file: Node, args: &[&str]| {
        std::fs::write(&env_file, format!("DATABASE_URL={}\n", pg.url(Role::App, in_file))).unwrap();
        kbz_check()
            .args(["-e", &env_file])
            .args(args)
            .env("DATABASE_URL", pg.url(Role::App, Node::Primary))
            .output()
            .unwrap()
    };
    let out = run_with(Node::Replica, &["--format", "json", "run", "postgres"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = check(&report);
    assert_eq!((c["status"].as_str(), c["code"].as_str()), (Some("fail"), Some("postgres.on_replica")), "{c:#}");
    let codes: Vec<_> = c["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["postgres.on_replica", "check.sources_disagree"], "{c:#}");
    let sources = support::evidence(c, "configuration sources");
    let (replica, leader) = (pg.port(Node::Replica), pg.port(Node::Primary));
    assert!(sources.starts_with("DATABASE_URL is postgresql://kb_backend:***#"), "{sources}");
    assert!(sources.contains(&format!(":{replica}/keybuzz from env file {env_file} (used)")), "{sources}");
    assert!(sources.contains(&format!(":{leader}/keybuzz in the process environment")), "{sources}");
    assert!(c["cause"].as_str().unwrap().contains("may not be the one checked"), "{c:#}");
    assert_absent(&support::all_text(&out), &[Role::App.password()]);

    // The same value twice is no disagreement; the leader passes without a word about sources.
    let out = run_with(Node::Primary, &["--format", "json", "run", "postgres"]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(check(&report)["status"], "ok", "{report:#}");

    // `list` shows the value that lost, masked.
    let out = run_with(Node::Replica, &["list"]);
    let listing = String::from_utf8_lossy(&out.stdout);
    let differs = listing.lines().find(|l| l.trim_start().starts_with("differs: ")).expect(&listing);
    assert!(differs.ends_with(&format!(":{leader}/keybuzz in the process environment (not used)")), "{listing}");
    assert_absent(&listing, &[Role::App.password()]);
}
