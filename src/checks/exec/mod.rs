//! The exec check: runs any Nagios / Monitoring-Plugins compatible command
//! (`check_tcp`, `check_pgsql`, a script of your own) and reads its verdict
//! the way monitoring systems do: exit 0/1/2/3 is OK/WARNING/CRITICAL/UNKNOWN,
//! the first line of output is the summary, the next lines the long text,
//! and what follows `|` is performance data. Suite-only: it has no
//! built-in variables.

pub mod codes;
mod escaped;
mod output;
mod process;

use super::findings::Findings;
use super::{Built, Check, CheckFuture, Context, Kind};
use crate::code::Code;
use crate::report::{Action, Outcome, Priority, Status};
use crate::secret::{mask, Redactor, Secret};
use crate::settings::{ConfigError, Plan, RawSettings, Shown};
use process::{Captured, Finished, Spec};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub const KIND: Kind =
    Kind { name: "exec", settings: &["command", "shell", "env", "cwd"], variables: &[], build, codes: codes::ALL };

/// Where distributions install the plugins, searched after `PATH` for a bare
/// program name, so `command = ["check_tcp", ...]` works as in Nagios configs.
const PLUGIN_DIRS: &[&str] = &[
    "/usr/lib/nagios/plugins",
    "/usr/lib/monitoring-plugins",
    "/usr/lib64/nagios/plugins",
    "/usr/local/nagios/libexec",
];

/// The longest summary kept from a plugin's first line, in characters.
const SUMMARY_MAX: usize = 300;

/// The validated settings of one exec check.
pub struct ExecCheck {
    program: String,
    args: Vec<String>,
    /// Extra variables; their values are secrets.
    env: Vec<(String, Secret)>,
    cwd: Option<PathBuf>,
    /// The command line as shown in the report, secrets masked.
    shown: String,
}

fn build(raw: &mut RawSettings, redactor: &mut Redactor) -> Result<Built, ConfigError> {
    let shell = raw.boolean("shell")?.unwrap_or_else(|| {
        raw.show_default("shell", "false");
        false
    });
    let argv = command(raw, shell)?;
    let env = raw.named_secrets("env")?;
    if let Some((name, _)) = env.iter().find(|(name, _)| name.is_empty() || name.contains(['=', '\0'])) {
        return Err(raw.error("env", format!("`{name}` is not a variable name (empty, or holds `=` or NUL)")));
    }
    let cwd = raw.string("cwd", Shown::Plain)?.map(PathBuf::from);
    if let Some(dir) = cwd.as_ref().filter(|d| !d.is_dir()) {
        return Err(raw.error("cwd", format!("{}: no such directory", dir.display())));
    }
    let env: Vec<(String, Secret)> = env.into_iter().map(|(name, value)| (name, Secret::new(value))).collect();
    for (_, value) in &env {
        redactor.add(value);
    }
    let Some((program, args)) = argv else {
        return Ok(Built::not_configured(raw, "command"));
    };
    let shown = redactor.redact(&command_line(&program, &args, &env, cwd.as_deref()));
    let check = ExecCheck { program, args, env, cwd, shown: shown.clone() };
    Ok(Built { target: shown, plan: Plan::Run(Arc::new(check)) })
}

/// `command`: an array (program and arguments, no shell), or with
/// `shell = true` one string for `/bin/sh -c`.
fn command(raw: &mut RawSettings, shell: bool) -> Result<Option<(String, Vec<String>)>, ConfigError> {
    let example = r#"e.g. ["check_tcp", "-H", "127.0.0.1", "-p", "5432"]"#;
    match raw.string("command", Shown::Plain) {
        Ok(None) => Ok(None),
        Ok(Some(script)) if shell => Ok(Some(("/bin/sh".into(), vec!["-c".into(), script]))),
        Ok(Some(_)) => Err(raw.error(
            "command",
            format!("a string runs only with shell = true; write the program and its arguments as an array, {example}, or set shell = true to run the string with /bin/sh -c"),
        )),
        Err(_) if shell => Err(raw.error(
            "command",
            r#"with shell = true, write the command as one string for /bin/sh -c, e.g. "check_tcp -H \"$DB_HOST\" -p 5432""#,
        )),
        Err(_) => {
            let mut argv = raw.string_list("command")?;
            if argv.is_empty() {
                return Ok(None);
            }
            let program = argv.remove(0);
            Ok(Some((program, argv)))
        }
    }
}

/// `cd DIR && NAME=***#1a2b check_x -H 'a b'`: copy-pasteable, secrets masked.
fn command_line(program: &str, args: &[String], env: &[(String, Secret)], cwd: Option<&Path>) -> String {
    let mut parts = Vec::new();
    if let Some(dir) = cwd {
        parts.push(format!("cd {} &&", quote(&dir.display().to_string())));
    }
    parts.extend(env.iter().map(|(name, value)| format!("{name}={}", mask(value.expose()))));
    parts.push(quote(program));
    parts.extend(args.iter().map(|a| quote(a)));
    parts.join(" ")
}

/// Shell quoting, only where needed.
fn quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// A bare name is looked up in `PATH`, then in the plugin directories.
fn resolve(program: &str) -> PathBuf {
    if program.contains('/') {
        return PathBuf::from(program);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::env::split_paths(&path).chain(PLUGIN_DIRS.iter().map(PathBuf::from));
    dirs.map(|dir| dir.join(program)).find(|candidate| is_executable(candidate)).unwrap_or_else(|| program.into())
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Time kept back from the deadline, so the check kills the plugin and
/// reports it before the engine gives up on the check.
fn margin(total: Duration) -> Duration {
    (total / 10).clamp(Duration::from_millis(100), Duration::from_millis(500)).min(total / 2)
}

impl Check for ExecCheck {
    fn run<'a>(&'a self, ctx: &'a Context) -> CheckFuture<'a> {
        Box::pin(async move {
            let total = ctx.remaining();
            ctx.step(format!("running {}", self.shown));
            let program = resolve(&self.program);
            let program = program.to_string_lossy();
            let env: Vec<(String, String)> =
                self.env.iter().map(|(name, value)| (name.clone(), value.expose().to_string())).collect();
            let spec = Spec { program: &program, args: &self.args, env: &env, cwd: self.cwd.as_deref() };
            let result = process::run(&spec, total.saturating_sub(margin(total))).await;
            self.diagnose(result, total)
        })
    }
}

/// Processes that left the plugin's process group and still run: named,
/// not killed (kbz-check kills only the group it made; these may be what
/// the plugin meant to start).
fn escaped_finding(program: &str, escaped: &[escaped::Escaped], found: &mut Findings) {
    if escaped.is_empty() {
        return;
    }
    let listed = escaped.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    let pids = escaped.iter().map(|e| e.pid.to_string()).collect::<Vec<_>>().join(" ");
    found.evidence("left running", Some(&format!("ps -o pid,sid,pgid,args -p {pids}")), listed.clone());
    found.warn(
        codes::CHILDREN_LEFT_RUNNING,
        format!("`{program}` left processes running outside its process group: {listed}"),
        format!("`{program}` started processes that left its process group (setsid, or a daemon that detaches), so killing the group did not reach them; they still hold its output open and still run. kbz-check does not kill them: they are outside what it started and manages"),
        vec![Action::new(Priority::Medium, "Stop them if they are not meant to run, and make the plugin wait for what it starts instead of detaching it")
            .with_command(format!("kill {pids}"))],
    );
}

/// A plugin's own text, as inert text (no terminal control, no bidi mark).
fn inert(text: &str) -> String {
    crate::human::inert(text).into_owned()
}

/// The plugin states, by exit code.
fn state(code: i32) -> Option<(&'static str, Status)> {
    match code {
        0 => Some(("OK", Status::Ok)),
        1 => Some(("WARNING", Status::Warn)),
        2 => Some(("CRITICAL", Status::Fail)),
        3 => Some(("UNKNOWN", Status::Fail)),
        _ => None,
    }
}

impl ExecCheck {
    fn diagnose(&self, result: io::Result<Finished>, total: Duration) -> Outcome {
        let mut found = Findings::default();
        let rerun =
            || Action::new(Priority::High, "Run the plugin by hand to see its full output").with_command(&self.shown);
        let run = match result {
            Ok(run) => run,
            Err(error) => {
                found.evidence("command", Some(&self.shown), format!("not started: {error}"));
                let (code, summary, cause, action) = self.start_failure(&error);
                found.fail(code, summary, cause, vec![Action::new(Priority::High, action)]);
                return found.into_outcome(String::new());
            }
        };
        let parsed = output::parse(&run.stdout.text());
        let ended = process::describe_status(&run.status);
        let code_state = run.status.code().and_then(state);
        let took = crate::human::duration(run.elapsed);
        let said = match (run.timed_out, code_state) {
            (true, _) => format!("{ended}: timed out, its process group was killed after {took}"),
            (false, Some((word, _))) => format!("{ended} ({word}) after {took}"),
            (false, None) => format!("{ended} after {took}"),
        };
        found.evidence("command", Some(&self.shown), said);
        if !parsed.long_text.is_empty() {
            found.evidence("long output", None, inert(&parsed.long_text.join("\n")));
        }
        for metric in &parsed.perfdata {
            found.evidence(format!("perfdata {}", inert(&metric.label)), None, inert(&metric.describe()));
        }
        if !parsed.unparsed.is_empty() {
            found.evidence("perfdata not understood", None, inert(&parsed.unparsed.join(" ")));
        }
        if run.stdout.truncated {
            found.evidence(
                "stdout",
                None,
                format!("more than {} KiB: the rest was not read", process::OUTPUT_CAP / 1024),
            );
        }
        let stderr = captured_text(&run.stderr);
        if !stderr.trim().is_empty() {
            found.evidence("stderr", None, inert(stderr.trim_end()));
        }

        let text = first_line(&parsed.summary);
        let program = Path::new(&self.program).file_name().map_or(self.program.clone(), |n| n.to_string_lossy().into());
        if run.timed_out {
            let after = crate::human::duration(rounded(total));
            found.fail(
                codes::KILLED_AT_DEADLINE,
                format!("timed out after {after} while running {}; its process group was killed", self.shown),
                format!("`{program}` did not finish within the deadline; it and every process it started in its process group were killed (SIGKILL)"),
                vec![Action::new(Priority::High, "Run the plugin by hand to see where it hangs; raise the check's timeout only if it is just slow").with_command(&self.shown)],
            );
        } else {
            match code_state {
                Some((_, Status::Ok)) => {}
                Some((word, status)) => {
                    let summary = with_state(word, &text, &ended);
                    let (code, cause, priority) = match word {
                        "UNKNOWN" => (codes::PLUGIN_UNKNOWN, format!("`{program}` could not determine a state (UNKNOWN, exit 3): usually a wrong argument, a missing dependency or a permission problem of the plugin, rather than the service it checks"), Priority::High),
                        "WARNING" => (codes::PLUGIN_WARNING, format!("`{program}` reported WARNING (exit 1): a threshold was crossed; its output says which"), Priority::Medium),
                        _ => (codes::PLUGIN_CRITICAL, format!("`{program}` reported CRITICAL (exit 2); its output says what it saw"), Priority::High),
                    };
                    found.problem(code, status, summary, cause, vec![Action { priority, ..rerun() }]);
                }
                None => {
                    let summary = if text.is_empty() { ended.clone() } else { format!("{ended}: {text}") };
                    let (code, cause) = match run.status.code() {
                        Some(code) => (codes::EXIT_NOT_A_STATE, format!("`{program}` ended with exit {code}, which is not a plugin state (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN): it crashed, or it is not a monitoring plugin")),
                        None => (codes::KILLED_BY_SIGNAL, format!("`{program}` was {ended}: it crashed or something killed it")),
                    };
                    found.fail(code, summary, cause, vec![rerun()]);
                }
            }
            if run.left_behind && run.escaped.is_empty() {
                found.warn(
                    codes::CHILDREN_KILLED,
                    format!("`{program}` exited but left processes holding its output open; they were killed"),
                    format!("`{program}` started processes that outlived it in its process group; they were killed so that the check leaves nothing behind"),
                    vec![Action::new(Priority::Low, "Make the plugin wait for the processes it starts, or close their output")],
                );
            }
        }
        escaped_finding(&program, &run.escaped, &mut found);
        let ok = if text.is_empty() { "OK: no output (exit 0)".to_string() } else { text };
        found.into_outcome(ok)
    }

    fn start_failure(&self, error: &io::Error) -> (Code, String, String, String) {
        let program = &self.program;
        match error.kind() {
            io::ErrorKind::NotFound if !program.contains('/') => (
                codes::NOT_FOUND,
                format!("command not found: {program}"),
                format!("`{program}` is neither in PATH nor in {}", PLUGIN_DIRS.join(", ")),
                "Install the plugin (Debian/Ubuntu: apt-get install monitoring-plugins-basic monitoring-plugins-standard) or write its full path in `command`".into(),
            ),
            io::ErrorKind::NotFound => (
                codes::NOT_FOUND,
                format!("command not found: {program}"),
                format!("`{program}` does not exist (or its interpreter, named on its #! line, does not)"),
                "Fix the path in `command`, or install the plugin".into(),
            ),
            io::ErrorKind::PermissionDenied => (
                codes::NOT_EXECUTABLE,
                format!("command not executable: {program}"),
                format!("`{program}` may not be run by this user: not executable, or a directory on its path is closed"),
                format!("Make it executable (chmod +x {program}) or fix the path in `command`"),
            ),
            _ => (
                codes::START_FAILED,
                format!("could not start {program}: {error}"),
                format!("the system refused to start `{program}`: {error}"),
                "Check the command and the `cwd` setting".into(),
            ),
        }
    }
}

/// The deadline as configured: taken when the check starts, it is a hair
/// under the setting (`999.8ms` for `1s`), so it is rounded to 10ms.
fn rounded(total: Duration) -> Duration {
    Duration::from_millis((total.as_millis() as u64).div_ceil(10) * 10)
}

/// `CRITICAL: connect to ... refused`; a text that already names its state stays as is.
fn with_state(word: &str, text: &str, ended: &str) -> String {
    if text.is_empty() {
        format!("{word}: no output ({ended})")
    } else if text.to_ascii_uppercase().contains(word) {
        text.to_string()
    } else {
        format!("{word}: {text}")
    }
}

fn first_line(summary: &str) -> String {
    let clean: String = summary.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let clean = crate::human::inert(clean.trim()).into_owned();
    let clean = clean.as_str();
    if clean.chars().count() > SUMMARY_MAX {
        format!("{}…", clean.chars().take(SUMMARY_MAX).collect::<String>())
    } else {
        clean.to_string()
    }
}

fn captured_text(captured: &Captured) -> String {
    let mut text = captured.text();
    if captured.truncated {
        text.push_str(&format!("\n… (more than {} KiB: the rest was not read)", process::OUTPUT_CAP / 1024));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_quote_only_where_needed_and_mask_env_values() {
        let env = vec![("PGPASSWORD".to_string(), Secret::new("s3cret-value"))];
        let args: Vec<String> = ["-H", "127.0.0.1", "-e", "it's ok", ""].map(String::from).to_vec();
        let shown = command_line("check_x", &args, &env, Some(Path::new("/tmp/a b")));
        assert_eq!(
            shown,
            format!("cd '/tmp/a b' && PGPASSWORD={} check_x -H 127.0.0.1 -e 'it'\\''s ok' ''", mask("s3cret-value"))
        );
    }

    #[test]
    fn the_margin_leaves_most_of_the_deadline_to_the_plugin() {
        assert_eq!(margin(Duration::from_secs(10)), Duration::from_millis(500));
        assert_eq!(margin(Duration::from_secs(2)), Duration::from_millis(200));
        assert_eq!(margin(Duration::from_millis(150)), Duration::from_millis(75));
        assert_eq!(rounded(Duration::from_micros(999_870)), Duration::from_secs(1));
    }

    #[test]
    fn state_words_are_added_only_when_missing() {
        assert_eq!(with_state("CRITICAL", "connection refused", "exit 2"), "CRITICAL: connection refused");
        assert_eq!(with_state("UNKNOWN", "UNKNOWN: bad arg", "exit 3"), "UNKNOWN: bad arg");
        assert_eq!(with_state("UNKNOWN", "", "exit 3"), "UNKNOWN: no output (exit 3)");
        assert_eq!(first_line(&"x".repeat(400)).chars().count(), SUMMARY_MAX + 1);
    }
    fn plugin() -> ExecCheck {
        ExecCheck { program: "check_x".into(), args: vec![], env: vec![], cwd: None, shown: "check_x".into() }
    }

    /// A run that ended with `wait_status` (exit code `n` is `n << 8`, a signal is itself).
    fn finished(wait_status: i32, stdout: &str) -> Finished {
        use std::os::unix::process::ExitStatusExt;
        let captured = |text: &str| Captured { bytes: text.as_bytes().to_vec(), truncated: false };
        Finished {
            status: std::process::ExitStatus::from_raw(wait_status),
            stdout: captured(stdout),
            stderr: captured(""),
            elapsed: Duration::from_millis(20),
            timed_out: false,
            left_behind: false,
            escaped: vec![],
        }
    }

    fn codes_of(outcome: &Outcome) -> Vec<(Code, Status)> {
        outcome.findings.iter().map(|f| (f.code, f.status)).collect()
    }

    #[test]
    fn each_ending_of_a_plugin_has_its_code() {
        let check = plugin();
        let code = |run: Finished| codes_of(&check.diagnose(Ok(run), Duration::from_secs(5)));
        assert_eq!(code(finished(0, "OK: fine")), []);
        assert_eq!(code(finished(1 << 8, "WARNING: slow")), [(codes::PLUGIN_WARNING, Status::Warn)]);
        assert_eq!(code(finished(2 << 8, "CRITICAL: down")), [(codes::PLUGIN_CRITICAL, Status::Fail)]);
        assert_eq!(code(finished(3 << 8, "UNKNOWN: bad arg")), [(codes::PLUGIN_UNKNOWN, Status::Fail)]);
        assert_eq!(code(finished(7 << 8, "")), [(codes::EXIT_NOT_A_STATE, Status::Fail)]);
        assert_eq!(code(finished(libc::SIGSEGV, "")), [(codes::KILLED_BY_SIGNAL, Status::Fail)]);

        let mut hung = finished(libc::SIGKILL, "");
        hung.timed_out = true;
        assert_eq!(code(hung), [(codes::KILLED_AT_DEADLINE, Status::Fail)]);

        let mut left = finished(2 << 8, "CRITICAL: down");
        left.left_behind = true;
        assert_eq!(
            code(left),
            [(codes::PLUGIN_CRITICAL, Status::Fail), (codes::CHILDREN_KILLED, Status::Warn)],
            "the plugin's own verdict is the main finding"
        );

        let mut escaped = finished(0, "OK: fine");
        escaped.left_behind = true;
        escaped.escaped = vec![escaped::Escaped { pid: 4242, command: "sleep 600".into() }];
        let outcome = check.diagnose(Ok(escaped), Duration::from_secs(5));
        assert_eq!(outcome.status, Status::Warn);
        assert_eq!(codes_of(&outcome), [(codes::CHILDREN_LEFT_RUNNING, Status::Warn)]);
    }

    #[test]
    fn each_failure_to_start_has_its_code() {
        let code = |program: &str, kind: io::ErrorKind| {
            let check = ExecCheck { program: program.into(), ..plugin() };
            let outcome = check.diagnose(Err(io::Error::new(kind, "e")), Duration::from_secs(5));
            assert_eq!(outcome.status, Status::Fail);
            codes_of(&outcome)[0].0
        };
        assert_eq!(code("check_nothing", io::ErrorKind::NotFound), codes::NOT_FOUND);
        assert_eq!(code("/opt/check_nothing", io::ErrorKind::NotFound), codes::NOT_FOUND);
        assert_eq!(code("/etc/passwd", io::ErrorKind::PermissionDenied), codes::NOT_EXECUTABLE);
        assert_eq!(code("check_x", io::ErrorKind::OutOfMemory), codes::START_FAILED);
    }
}
