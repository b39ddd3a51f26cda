//! Runs the selected checks concurrently, each under its own deadline, and
//! reports them in configured order. Timing and timeouts live here, not in
//! the checks.

use crate::checks::{Context, RunOptions};
use crate::config::{CheckEntry, Plan};
use crate::report::{Action, CheckResult, Outcome, Priority, Signal, Status};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Runs every entry; the run takes about as long as its slowest check.
pub async fn run_all(entries: &[CheckEntry], default_timeout: Duration, options: RunOptions) -> Vec<CheckResult> {
    let options = Arc::new(options);
    let handles: Vec<_> = entries
        .iter()
        .map(|entry| {
            let (entry, options) = (entry.clone(), options.clone());
            tokio::spawn(async move { run_one(&entry, entry.timeout.unwrap_or(default_timeout), options).await })
        })
        .collect();
    let mut results = Vec::with_capacity(handles.len());
    for (handle, entry) in handles.into_iter().zip(entries) {
        let result = handle.await.unwrap_or_else(|join_error| {
            // A panic inside a check is a bug; report it as that check's failure, not a crash.
            let outcome = Outcome {
                cause: Some(format!("internal error in the {} check: {join_error}", entry.kind)),
                ..Outcome::new(Status::Fail, "internal error (a bug in kbz-check)")
            };
            CheckResult::from_outcome(&entry.name, entry.kind, &entry.target, Duration::ZERO, outcome)
        });
        results.push(result);
    }
    results
}

async fn run_one(entry: &CheckEntry, timeout: Duration, options: Arc<RunOptions>) -> CheckResult {
    let started = Instant::now();
    let outcome = match &entry.plan {
        Plan::Skip(reason) => Outcome::new(Status::Skip, reason.clone()),
        Plan::Run(check) => {
            let ctx = Context::new(timeout, options);
            match tokio::time::timeout(timeout, check.run(&ctx)).await {
                Ok(outcome) => outcome,
                Err(_) => timed_out(timeout, &ctx.current_step(), entry),
            }
        }
    };
    CheckResult::from_outcome(&entry.name, entry.kind, &entry.target, started.elapsed(), outcome)
}

fn timed_out(timeout: Duration, step: &str, entry: &CheckEntry) -> Outcome {
    let after = humantime::format_duration(timeout);
    let setting = if entry.timeout.is_some() { "the check's timeout setting" } else { "--timeout" };
    Outcome {
        cause: Some(format!(
            "no answer within {after} while {step}: the service is hung or overloaded, or the network path drops the traffic (a firewall, or an address not reachable from where this runs)"
        )),
        actions: vec![Action::new(
            Priority::High,
            format!(
                "Check whether {} answers from where the app runs and whether that service is healthy; raise {setting} only if it is just slow",
                entry.target
            ),
        )],
        signals: vec![Signal::Unreachable],
        ..Outcome::new(Status::Fail, format!("timed out after {after} while {step}"))
    }
}
