//! `kbz-check serve`: runs the suite every `--interval`, one run at a time,
//! and serves the latest run on `/metrics`, `/report.json`, `/report.md` and
//! `/healthz` until SIGTERM or Ctrl-C. What a run is (the suite, its
//! options, redaction, report files) is the caller's: `serve` only times the
//! runs and shows their reports.

mod board;
mod http;

use crate::choices::Lang;
use crate::report::{Report, Status};
use anyhow::Context as _;
use board::Board;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// After SIGTERM, how long a run in progress may take to stop before the
/// process exits without it.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// `--listen`, `--interval`, and the language of `/report.md`.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub listen: SocketAddr,
    pub interval: Duration,
    pub lang: Lang,
}

/// Completes when the server stops: a run given it stops its checks.
pub type Stop = Pin<Box<dyn Future<Output = ()> + Send>>;

/// One run of the suite, its report redacted. Called again for each run,
/// never while the previous one runs.
pub type RunSuite = Box<dyn Fn(Stop) -> Pin<Box<dyn Future<Output = Report> + Send>> + Send + Sync>;

/// Serves until SIGTERM or SIGINT; an address that cannot be listened on is an error.
pub fn run(options: Options, suite: RunSuite) -> anyhow::Result<()> {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    let result = runtime.block_on(serve(options, suite));
    // A check that ignores its abort (a blocking call) must not hold the exit.
    runtime.shutdown_background();
    result
}

async fn serve(options: Options, suite: RunSuite) -> anyhow::Result<()> {
    // Listening before anything starts, so no signal falls in between.
    let signal = stop_signal()?;
    let listener = bind(options.listen).await?;
    let address = listener.local_addr().unwrap_or(options.listen);
    eprintln!(
        "kbz-check: serving http://{address}/metrics, /report.json, /report.md and /healthz; running the suite every {}",
        crate::human::duration(options.interval)
    );
    let board = Arc::new(Board::new(options.interval, options.lang));
    let (stop, stopped) = watch::channel(false);
    let server = tokio::spawn(http::serve(listener, board.clone()));
    let runs = tokio::spawn(run_loop(suite, options.interval, board, stopped));
    let name = signal.await;
    eprintln!("kbz-check: {name}: stopping");
    let _ = stop.send(true);
    server.abort();
    if tokio::time::timeout(SHUTDOWN_GRACE, runs).await.is_err() {
        eprintln!("kbz-check: the run in progress did not stop within {SHUTDOWN_GRACE:?}; exiting without it");
    }
    Ok(())
}

/// Runs the suite, publishes each finished run, and waits for the next
/// start: `interval` after the previous start, or at once after a run that
/// overran it (counted and logged). A run stopped by shutdown is dropped.
async fn run_loop(suite: RunSuite, interval: Duration, board: Arc<Board>, stopped: watch::Receiver<bool>) {
    let mut number = 0u64;
    let mut last_line = String::new();
    loop {
        let started = Instant::now();
        let report = suite(until(stopped.clone())).await;
        if *stopped.borrow() {
            return;
        }
        number += 1;
        let took = started.elapsed();
        let overran = took > interval;
        // One line when the outcome changes, not one per run: a log stays readable at --interval 1s.
        let line = outcome_line(&report);
        if line != last_line {
            eprintln!("kbz-check: run {number}: {line}");
            last_line = line;
        }
        if overran {
            eprintln!(
                "kbz-check: run {number} took {}, longer than --interval {}: the next run starts now, late",
                crate::human::duration(took),
                crate::human::duration(interval)
            );
        }
        board.publish(report, overran);
        let next = if overran { Instant::now() } else { started + interval };
        tokio::select! {
            () = tokio::time::sleep_until(next) => {}
            () = until(stopped.clone()) => return,
        }
    }
}

/// `verdict fail (smtp fail, vault warn)`: the verdict and each check not ok.
fn outcome_line(report: &Report) -> String {
    let verdict = crate::render::prometheus::verdict_name(report.verdict());
    let not_ok: Vec<String> = report
        .checks
        .iter()
        .filter(|check| check.status != Status::Ok)
        .map(|check| {
            let status = crate::render::prometheus::status_name(check.status);
            let code = check.code.map(|code| format!(", {code}")).unwrap_or_default();
            format!("{} {status}{code}", crate::human::inert(&check.name))
        })
        .collect();
    match not_ok.is_empty() {
        true => format!("verdict {verdict}"),
        false => format!("verdict {verdict} ({})", not_ok.join("; ")),
    }
}

/// Completes once `stopped` says true (or its sender is gone).
fn until(mut stopped: watch::Receiver<bool>) -> Stop {
    Box::pin(async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    })
}

/// Binds `address`; the error names it and says what to do.
async fn bind(address: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    use std::io::ErrorKind;
    tokio::net::TcpListener::bind(address).await.map_err(|e| {
        let why = match e.kind() {
            ErrorKind::AddrInUse => {
                "the address is in use: another process listens there; stop it or give --listen another port"
                    .to_string()
            }
            ErrorKind::AddrNotAvailable => {
                "this host has no such address; give --listen one of its addresses, or 0.0.0.0".to_string()
            }
            ErrorKind::PermissionDenied => {
                "permission denied (a port below 1024 needs root or CAP_NET_BIND_SERVICE)".to_string()
            }
            _ => e.to_string(),
        };
        anyhow::anyhow!("cannot listen on {address} (--listen): {why}")
    })
}

/// Completes on the first SIGTERM or SIGINT with its name; a second one
/// then ends the process at once (their default action is back).
fn stop_signal() -> anyhow::Result<impl Future<Output = &'static str>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut int = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    Ok(async move {
        let name = tokio::select! {
            _ = int.recv() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        };
        for signal in [libc::SIGINT, libc::SIGTERM] {
            // SAFETY: restores the default disposition; no handler code of ours is involved.
            unsafe { libc::signal(signal, libc::SIG_DFL) };
        }
        name
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{CheckResult, Outcome};

    #[test]
    fn the_log_line_names_the_verdict_and_each_check_not_ok() {
        let check = |name: &str, status| {
            CheckResult::from_outcome(name, "smtp", "", Duration::ZERO, Outcome::new(status, "secret-free summary"))
        };
        let mut refused = check("mail\u{1b}[2J", Status::Fail);
        refused.code = Some(crate::code::run::TIMED_OUT);
        let report = Report::of_checks(vec![check("db", Status::Ok), refused, check("vault", Status::Warn)]);
        assert_eq!(outcome_line(&report), "verdict fail (mail\\u{1b}[2J fail, check.timed_out; vault warn)");
        assert_eq!(outcome_line(&Report::of_checks(vec![check("db", Status::Ok)])), "verdict ok");
    }
}
