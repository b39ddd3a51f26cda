//! The program: parse the command line, load the configuration, run, print,
//! write files, pick the exit code. Errors here are configuration or usage
//! errors (exit 2); check failures are results (exit 1).

use crate::checks::RunOptions;
use crate::cli::{Cli, ColorChoice, Command, Format};
use crate::config::{Config, Plan};
use crate::env::Env;
use crate::progress::Progress;
use crate::render::paint::Paint;
use crate::report::{Report, VerdictReason};
use crate::secret::Redactor;
use crate::vantage::{self, Vantage};
use crate::{engine, output, render, rootcause, serve, sources, state, tls};
use anyhow::Context as _;
use clap::{CommandFactory, Parser};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

/// A commented starter suite, printed by `kbz-check init`.
pub const STARTER_SUITE: &str = include_str!("../checks/starter.toml");

const EXIT_FAILED: u8 = 1;
const EXIT_USAGE: u8 = 2;

pub fn main() -> ExitCode {
    // clap exits with 2 on a usage error and 0 for --help/--version.
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("kbz-check: error: {err:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Init => return print(STARTER_SUITE).map(|()| ExitCode::SUCCESS),
        Command::Completions { shell } => return print(&completions(shell)).map(|()| ExitCode::SUCCESS),
        Command::Man => return print(&man_page()?).map(|()| ExitCode::SUCCESS),
        _ => {}
    }
    let mut env = match cli.environment_pid() {
        Some(pid) => {
            let env = Env::from_process_of(pid).context("--env-from-pid")?;
            adopt_trust_variables(&env);
            env
        }
        None => Env::from_process(),
    };
    for file in &cli.env_file {
        let dollar = if cli.env_expand { crate::env::Dollar::Expand } else { crate::env::Dollar::Literal };
        env.overlay_file_with(file, dollar)?;
    }
    let mut config = Config::load(cli.config.as_deref(), &env)?;
    for warning in &config.warnings {
        eprintln!("kbz-check: warning: {warning}");
    }
    match &cli.command {
        Command::List => {
            print(&list(&config))?;
            return Ok(ExitCode::SUCCESS);
        }
        Command::Run { names } => config.select(names)?,
        Command::Serve { .. } if cli.send_test_to.is_some() => anyhow::bail!(
            "--send-test-to sends a message on every run, and serve runs every --interval: it is refused there; send one with `kbz-check --send-test-to ADDRESS run smtp`"
        ),
        Command::All | Command::Serve { .. } | Command::Init | Command::Completions { .. } | Command::Man => {}
    }

    refuse_report_paths(&cli, config.source.as_deref())?;
    for (path, _) in report_files(&cli) {
        output::ensure_writable(path).with_context(|| format!("cannot write the report to {}", path.display()))?;
    }
    if let Some(path) = &cli.state {
        output::ensure_writable(path).with_context(|| format!("cannot keep the state in {}", path.display()))?;
    }
    // Before any runtime starts: its threads inherit the namespaces.
    let vantage = enter_vantage(&cli)?;
    if config.checks.iter().any(|entry| matches!(&entry.plan, Plan::Run(check) if check.uses_system_roots())) {
        tls::preload_system_roots();
    }
    let suite = Suite { config, cli, vantage };
    if let Command::Serve { listen, interval } = suite.cli.command {
        let options = serve::Options { listen, interval, lang: suite.cli.lang };
        serve::run(options, serve_runs(suite))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut report = run_once(&suite)?;
    let cli = &suite.cli;
    // Without --state a one-shot run remembers nothing and says nothing of earlier runs.
    let mut memory = cli.state.clone().map(state::Memory::in_file);
    if let Some(memory) = &mut memory {
        memory.observe(&mut report);
    }
    warn_notes(&report);
    // Decided once here and passed in: no renderer reads a global switch or the terminal.
    let style = render::Style { paint: Paint::new(use_color(cli.color, cli.format)), width: terminal_width() };
    print(&render::render_styled(&report, cli.format, style, cli.lang))?;
    write_report_files(cli, &report)?;
    if let Some(memory) = &memory {
        memory.save(report.generated_at)?;
    }
    if report.interrupted {
        let stopped = report.counts().interrupted;
        eprintln!("kbz-check: interrupted: {stopped} check(s) did not finish and are reported as skip");
    } else if report.verdict_reason() == Some(VerdictReason::NothingChecked) {
        eprintln!("kbz-check: {}", nothing_checked_hint(&report, Path::new(".env").is_file()));
    }
    Ok(if report.failed() { ExitCode::from(EXIT_FAILED) } else { ExitCode::SUCCESS })
}

/// The report files asked for (`--markdown FILE`, …) and their formats.
fn report_files(cli: &Cli) -> impl Iterator<Item = (&Path, Format)> {
    [
        (&cli.markdown, Format::Markdown),
        (&cli.json, Format::Json),
        (&cli.junit, Format::Junit),
        (&cli.prometheus, Format::Prometheus),
    ]
    .into_iter()
    .filter_map(|(path, format)| Some((path.as_deref()?, format)))
}

/// Writes every report file asked for, each whole or not at all.
fn write_report_files(cli: &Cli, report: &Report) -> anyhow::Result<()> {
    for (path, format) in report_files(cli) {
        let text = render::render(report, format, false, cli.lang);
        let written = match format {
            // node_exporter reads it as its own user; metrics hold no secret.
            Format::Prometheus => output::write_atomically_readable(path, text.as_bytes()),
            _ => output::write_atomically(path, text.as_bytes()),
        };
        written.with_context(|| format!("cannot write the report to {}", path.display()))?;
    }
    Ok(())
}

/// A report file must not overwrite an input file (`-e`, the suite) or
/// another format's report: refused before anything runs.
fn refuse_report_paths(cli: &Cli, suite: Option<&std::path::Path>) -> Result<(), output::Refused> {
    let reports: Vec<_> = [
        ("--markdown", &cli.markdown),
        ("--json", &cli.json),
        ("--junit", &cli.junit),
        ("--prometheus", &cli.prometheus),
        ("--state", &cli.state),
    ]
    .into_iter()
    .filter_map(|(option, path)| Some((option, path.as_deref()?)))
    .collect();
    let mut inputs: Vec<_> = cli.env_file.iter().map(|path| ("the env file (-e)", path.as_path())).collect();
    inputs.extend(suite.map(|path| ("the suite file", path)));
    output::refuse_clashes(&reports, &inputs)
}

/// With `--env-from-pid`, the CAs the checks trust are the app's too: its
/// `SSL_CERT_FILE` and `SSL_CERT_DIR` (OpenSSL's, which `tls` honours) replace
/// kbz-check's own, set or unset. Called while the process has one thread.
fn adopt_trust_variables(app: &Env) {
    for name in ["SSL_CERT_FILE", "SSL_CERT_DIR"] {
        match app.value(name) {
            Some(value) => std::env::set_var(name, value),
            None => std::env::remove_var(name),
        }
    }
}

/// With `--netns-of`/`--as-pid`, moves this still single-threaded process
/// into the app's network namespace and its name resolution; says, for the
/// report, whose environment and network the checks use.
fn enter_vantage(cli: &Cli) -> anyhow::Result<Option<Vantage>> {
    let mut seen = Vantage { environment_of: cli.environment_pid(), ..Vantage::default() };
    if let Some(pid) = cli.network_pid() {
        seen.network_namespace = Some(vantage::enter_network_of(pid).context("--netns-of")?);
        seen.resolver_files = vantage::adopt_resolver_of(pid).context("--netns-of")?;
        seen.network_of = Some(pid);
    }
    Ok((seen != Vantage::default()).then_some(seen))
}

/// What every run of the suite needs, owned: `serve` runs it again and again.
struct Suite {
    config: Config,
    cli: Cli,
    vantage: Option<Vantage>,
}

impl Suite {
    /// One run: the checks (until `interrupt` completes, if it does), the
    /// sources that disagree, the root causes; the report is redacted and
    /// says whether `interrupt` cut the run short.
    async fn run(
        &self,
        observer: Arc<dyn engine::Observer>,
        interrupt: impl std::future::Future<Output = ()>,
    ) -> Report {
        let cli = &self.cli;
        let generated_at = SystemTime::now();
        let started = Instant::now();
        let options = RunOptions { send_test_to: cli.send_test_to.clone() };
        let retry = cli.retry_for.map(|window| engine::Retry { window, every: cli.retry_every });
        let schedule =
            engine::Schedule { timeout: cli.timeout, retry, concurrency: cli.concurrency, per_server: cli.per_server };
        let interrupted = AtomicBool::new(false);
        let interrupt = async {
            interrupt.await;
            interrupted.store(true, Ordering::SeqCst);
        };
        let mut checks = engine::run_until(&self.config.checks, schedule, options, observer, interrupt).await;
        sources::note_disagreements(&self.config.checks, &mut checks);
        let mut report = Report {
            id: cli.id.clone().or_else(|| self.config.report.id.clone()),
            title: cli.title.clone().or_else(|| self.config.report.title.clone()),
            generated_at,
            duration: started.elapsed(),
            root_causes: rootcause::find(&checks),
            checks,
            interrupted: interrupted.load(Ordering::SeqCst),
            strict: cli.strict,
            vantage: self.vantage.clone(),
            notes: Vec::new(),
        };
        redact(&mut report, &self.config.redactor);
        report
    }
}

/// `all` and `run`: one run, with progress lines on a terminal; the report
/// says whether SIGINT or SIGTERM cut it short.
fn run_once(suite: &Suite) -> anyhow::Result<Report> {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    let cli = &suite.cli;
    // Progress only on a terminal: never in a pipe, a log or a CI job's output.
    let progress = std::io::stderr().is_terminal().then(|| {
        let paint = Paint::new(progress_color(cli.color));
        Arc::new(Progress::new(&suite.config.checks, suite.config.redactor.clone(), cli.lang.words(), paint))
    });
    let observer: Arc<dyn engine::Observer> = match &progress {
        Some(progress) => progress.clone(),
        None => Arc::new(engine::Quiet),
    };
    let report = runtime.block_on(async {
        // Listening before any check starts, so no signal falls between the two.
        let interrupt = interruption()?;
        anyhow::Ok(suite.run(observer, interrupt).await)
    })?;
    // A Ctrl-C while an uninterrupted run prints its report is not swallowed.
    default_signal_actions();
    if let Some(progress) = progress {
        progress.clear();
    }
    // Connections of timed-out checks may still be closing; do not wait for them.
    runtime.shutdown_background();
    Ok(report)
}

/// `serve`'s run: [`Suite::run`] without progress lines, stopped when
/// `serve` stops; the report files asked for are rewritten after each run
/// (a failure to write one is logged, and the next run tries again).
fn serve_runs(suite: Suite) -> serve::RunSuite {
    // Kept across runs in memory, and in --state FILE when given.
    let memory = Arc::new(tokio::sync::Mutex::new(state::Memory::new(suite.cli.state.clone())));
    let suite = Arc::new(suite);
    Box::new(move |stop| {
        let (suite, memory) = (suite.clone(), memory.clone());
        Box::pin(async move {
            let mut report = suite.run(Arc::new(engine::Quiet), stop).await;
            if !report.interrupted {
                let mut memory = memory.lock().await;
                memory.observe(&mut report);
                warn_notes(&report);
                let written = write_report_files(&suite.cli, &report).and_then(|()| memory.save(report.generated_at));
                if let Err(err) = written {
                    eprintln!("kbz-check: error: {err:#}");
                }
            }
            report
        })
    })
}

/// Notes about the run itself (a state file that could not be used) also go to stderr.
fn warn_notes(report: &Report) {
    for note in &report.notes {
        eprintln!("kbz-check: warning: {}", render::words::EN.note_text(note));
    }
}

/// Completes on the first SIGINT (Ctrl-C) or SIGTERM. It then gives both
/// signals back their default action, so a second one ends the process at
/// once (exit status 130 or 143 in a shell) instead of waiting for the
/// report of the first to be printed and written.
fn interruption() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut int = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
        default_signal_actions();
    })
}

/// SIGINT and SIGTERM end the process again, as before the run.
fn default_signal_actions() {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: restores the default disposition; no handler code of ours is involved.
        unsafe { libc::signal(signal, libc::SIG_DFL) };
    }
}

/// One line for a run that checked nothing: what each check lacks, and the
/// app's env file when one lies in the working directory.
fn nothing_checked_hint(report: &Report, dot_env_here: bool) -> String {
    let why: Vec<String> = report
        .checks
        .iter()
        .map(|c| format!("{}: {}", c.name, c.summary.strip_prefix("not configured: ").unwrap_or(&c.summary)))
        .collect();
    let mut line = if why.is_empty() {
        "nothing was checked: the suite has no check".to_string()
    } else {
        format!("nothing was checked, every check was skipped ({})", why.join("; "))
    };
    line.push_str(if dot_env_here {
        "; a .env file is in this directory: `-e .env` reads it"
    } else {
        "; set the app's variables, or read its env file with -e FILE"
    });
    line
}

/// Scrubs every configured secret from every text of the report (labels
/// too: an exec plugin names its perfdata; id and title, which a suite may
/// build from variables), including messages that came from libraries,
/// before any renderer escapes or cuts them.
fn redact(report: &mut Report, redactor: &Redactor) {
    report.texts_mut(&mut |text: &mut String| *text = redactor.redact(text));
}

/// `kbz-check completions SHELL`: the script, generated from the CLI definition.
fn completions(shell: clap_complete::Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "kbz-check", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// `kbz-check man`: the man page (roff), generated from the CLI definition.
fn man_page() -> anyhow::Result<String> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out).context("cannot render the man page")?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// `kbz-check list`: each check, its kind, target, and each setting with its origin.
fn list(config: &Config) -> String {
    let mut out = match &config.source {
        Some(path) => format!("suite: {}\n", path.display()),
        None => "suite: built-in (read from the environment)\n".to_string(),
    };
    for entry in &config.checks {
        out.push_str(&format!("\n{} ({})", entry.name, entry.kind));
        match &entry.plan {
            Plan::Run(_) => out.push_str(&format!("  → {}\n", entry.target)),
            Plan::Skip(reason) => out.push_str(&format!("  → skip: {reason}\n")),
        }
        // Keys, values and origins each in a column of their own.
        let width = entry.settings.iter().map(|s| s.key.len()).max().unwrap_or(0);
        let value_width = entry.settings.iter().map(|s| s.value.chars().count()).max().unwrap_or(0);
        for setting in &entry.settings {
            let (key, value, origin) = (&setting.key, &setting.value, &setting.origin);
            out.push_str(&format!("  {key:width$}  {value:value_width$}  [{origin}]\n"));
            for (source, value) in &setting.differs {
                out.push_str(&format!("  {:width$}  differs: {value} in the {source} (not used)\n", ""));
            }
        }
    }
    config.redactor.redact(&out)
}

/// Color for the progress lines, on a terminal's stderr: `--color`, else NO_COLOR.
fn progress_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

/// The terminal's width when stdout is one (the text table wraps to it), else none.
fn terminal_width() -> Option<u16> {
    // comfy-table asks the terminal (crossterm) when stdout is one.
    let reported = || comfy_table::Table::new().width();
    let columns = std::env::var("COLUMNS").ok();
    std::io::stdout().is_terminal().then(|| usable_width(reported(), columns.as_deref()))
}

/// A terminal that reports no width, or zero columns (a serial console, some
/// CI runners' pseudo-terminals), would squeeze the table to one character
/// per column: `COLUMNS` then, else 80.
fn usable_width(reported: Option<u16>, columns: Option<&str>) -> u16 {
    let positive = |w: &u16| *w > 0;
    reported.filter(positive).or_else(|| columns.and_then(|c| c.trim().parse().ok()).filter(positive)).unwrap_or(80)
}

fn use_color(choice: ColorChoice, format: Format) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            format == Format::Text
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not an error worth a panic.
fn print(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to stdout"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Action, CheckResult, Evidence, Outcome, Priority, Status};
    use crate::secret::{mask, Secret};
    use std::time::Duration;

    #[test]
    fn a_terminal_without_a_width_gets_columns_or_80() {
        assert_eq!(usable_width(Some(132), Some("40")), 132);
        assert_eq!(usable_width(Some(0), Some("100")), 100);
        assert_eq!(usable_width(None, Some(" 90 ")), 90);
        assert_eq!(usable_width(Some(0), Some("0")), 80);
        assert_eq!(usable_width(None, Some("wide")), 80);
        assert_eq!(usable_width(None, None), 80);
    }

    #[test]
    fn every_text_field_of_a_result_is_scrubbed() {
        let secret = "Zq8vL2mxT-p/ss?#";
        let mut redactor = Redactor::default();
        redactor.add(&Secret::new(secret));
        let mut outcome = Outcome::new(Status::Fail, format!("summary {secret}"));
        outcome.causes = vec![format!("cause {secret}")];
        outcome.evidence.push(Evidence::new(format!("perfdata {secret}"), Some(secret), format!("out {secret}")));
        outcome.actions.push(Action::new(Priority::High, format!("do {secret}")).with_command(secret));
        let outcome = outcome.coded(crate::code::run::INTERNAL_ERROR);
        let check = CheckResult::from_outcome("x", "exec", secret, Duration::ZERO, outcome);
        let mut report = Report {
            id: Some(format!("id {secret}")),
            title: Some(format!("title {secret}")),
            generated_at: std::time::SystemTime::UNIX_EPOCH,
            duration: Duration::ZERO,
            checks: vec![check],
            root_causes: vec![],
            interrupted: false,
            strict: false,
            vantage: None,
            notes: vec![],
        };
        redact(&mut report, &redactor);
        let shown = format!("{:?}", report);
        assert!(!shown.contains("Zq8v"), "{shown}");
        assert!(report.checks[0].evidence[0].label.ends_with(&mask(secret)), "{shown}");
        assert_eq!(report.checks[0].findings[0].summary, format!("summary {}", mask(secret)));
    }
}
