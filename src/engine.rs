//! Runs the selected checks concurrently (at most [`Schedule::concurrency`]
//! attempts at once, [`Schedule::per_server`] on one server), each under its own deadline, and reports them in
//! configured order. Timing, timeouts and retries live
//! here, not in the checks. The engine prints nothing: it tells an
//! [`Observer`] what happens (the terminal progress display is one).

use crate::checks::{Check, Context, RunOptions};
use crate::code::run;
use crate::report::{Action, CheckResult, Outcome, Priority, Status, INTERRUPTED};
use crate::settings::{CheckEntry, Plan};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, SemaphorePermit};

/// Default of `--concurrency`: enough that a usual suite runs all at once,
/// few enough that 500 checks neither exhaust file descriptors nor flood a server.
pub const DEFAULT_CONCURRENCY: usize = 64;

/// Default of `--per-server`: a tenth of PostgreSQL's default `max_connections`,
/// and few enough for a small relay or a Vault node to answer at once. Slow
/// checks pile up among those in flight, so the run-wide bound alone can put
/// all 64 on one server.
pub const DEFAULT_PER_SERVER: usize = 8;

/// How the run times its checks: `--timeout`, `--retry-for`, `--retry-every`,
/// `--concurrency`.
#[derive(Clone, Copy, Debug)]
pub struct Schedule {
    /// Deadline of each attempt of a check that sets no timeout of its own.
    pub timeout: Duration,
    /// Re-run failing checks; `None` runs each check once.
    pub retry: Option<Retry>,
    /// At most this many attempts run at once (at least 1). An attempt holds
    /// its slot only while it runs: a retry waits without one, then queues again.
    pub concurrency: usize,
    /// Of those, at most this many on one server (see [`server_of`]).
    pub per_server: usize,
}

/// The slots attempts wait for: one of the run's, and one of their server's.
struct Slots {
    run: Semaphore,
    per_server: HashMap<String, Semaphore>,
    /// The permits of each server's semaphore.
    per_server_bound: usize,
}

impl Slots {
    fn new(entries: &[CheckEntry], schedule: &Schedule) -> Slots {
        let bound = |n: usize| n.clamp(1, Semaphore::MAX_PERMITS);
        let per_server_bound = bound(schedule.per_server).min(u32::MAX as usize);
        let per_server = entries
            .iter()
            .map(|entry| (server_of(&entry.target).to_string(), Semaphore::new(per_server_bound)))
            .collect();
        Slots { run: Semaphore::new(bound(schedule.concurrency)), per_server, per_server_bound }
    }

    /// The server's slots first, one per connection the attempt opens (all
    /// of them when it opens more than the bound): an attempt that waits for
    /// a busy server holds no run slot meanwhile, so checks of other servers
    /// go ahead.
    async fn acquire(&self, target: &str, connections: usize) -> (Option<SemaphorePermit<'_>>, SemaphorePermit<'_>) {
        let server = match self.per_server.get(server_of(target)) {
            Some(slots) => {
                let wanted = u32::try_from(connections.clamp(1, self.per_server_bound)).unwrap_or(u32::MAX);
                Some(slots.acquire_many(wanted).await.expect("the run's semaphores are never closed"))
            }
            None => None,
        };
        (server, self.run.acquire().await.expect("the run's semaphores are never closed"))
    }
}

/// The server a target names: its `host:port` part (after any `user:***@`)
/// for a URL such as `postgresql://u:***@db:5432/app` or `http://vault:8200`;
/// otherwise (a command) the whole target.
fn server_of(target: &str) -> &str {
    let Some((_, rest)) = target.split_once("://") else { return target };
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    authority.rsplit_once('@').map_or(authority, |(_, host_port)| host_port)
}

/// Failing checks are re-run, `every` after an attempt ends, as long as the
/// next attempt can begin before `window` has passed since the run started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retry {
    pub window: Duration,
    pub every: Duration,
}

/// Told of every state change of every check, from the checks' tasks.
/// `index` is the check's position in the entries given to [`run_all`].
pub trait Observer: Send + Sync {
    /// Attempt `attempt` (from 1) of a check that runs began.
    fn attempt_started(&self, _index: usize, _attempt: u32) {}
    /// Attempt `attempt` failed with `outcome`; the next begins in `wait`.
    fn retrying(&self, _index: usize, _attempt: u32, _outcome: &Outcome, _wait: Duration) {}
    /// The check's final result (a skipped check only gets this call).
    fn finished(&self, _index: usize, _result: &CheckResult) {}
}

/// Observes nothing.
pub struct Quiet;

impl Observer for Quiet {}

/// Runs every entry; without retries the run takes about as long as its
/// slowest check, with them at most the retry window plus one deadline.
pub async fn run_all(
    entries: &[CheckEntry],
    schedule: Schedule,
    options: RunOptions,
    observer: Arc<dyn Observer>,
) -> Vec<CheckResult> {
    run_until(entries, schedule, options, observer, std::future::pending()).await
}

/// [`run_all`], unless `interrupt` completes first (Ctrl-C, SIGTERM): then
/// the checks that already finished keep their results, the others are
/// stopped and reported as `skip` with the summary [`INTERRUPTED`].
pub async fn run_until(
    entries: &[CheckEntry],
    schedule: Schedule,
    options: RunOptions,
    observer: Arc<dyn Observer>,
    interrupt: impl Future<Output = ()>,
) -> Vec<CheckResult> {
    let run_started = Instant::now();
    let options = Arc::new(options);
    let slots = Arc::new(Slots::new(entries, &schedule));
    let mut spawned: Vec<_> = start_order(entries)
        .into_iter()
        .map(|index| {
            let entry = entries[index].clone();
            let (options, observer, slots) = (options.clone(), observer.clone(), slots.clone());
            // Checked: a window past the clock's end (the CLI refuses one over
            // 24h; only a library caller can ask) retries nothing, never panics.
            let retry_until =
                schedule.retry.and_then(|retry| Some((run_started.checked_add(retry.window)?, retry.every)));
            let handle = tokio::spawn(async move {
                let timeout = entry.timeout.unwrap_or(schedule.timeout);
                let result = run_one(index, &entry, timeout, retry_until, options, &slots, observer.as_ref()).await;
                observer.finished(index, &result);
                result
            });
            (index, handle)
        })
        .collect();
    spawned.sort_by_key(|&(index, _)| index);
    let handles = spawned.into_iter().map(|(_, handle)| handle);
    let mut interrupt = std::pin::pin!(interrupt);
    let mut interrupted = false;
    let mut results = Vec::with_capacity(handles.len());
    for (index, (mut handle, entry)) in handles.zip(entries).enumerate() {
        if !interrupted {
            tokio::select! {
                biased;
                joined = &mut handle => {
                    results.push(joined_result(joined, index, entry, observer.as_ref()));
                    continue;
                }
                () = &mut interrupt => interrupted = true,
            }
        }
        // Interrupted: a check that has finished meanwhile keeps its result.
        if handle.is_finished() {
            results.push(joined_result(handle.await, index, entry, observer.as_ref()));
            continue;
        }
        handle.abort();
        // Wait for the abort, so the check's connections and children are dropped now.
        if let Ok(result) = handle.await {
            results.push(result); // it finished just before the abort took effect
            continue;
        }
        let outcome = Outcome::new(Status::Skip, INTERRUPTED).coded(run::INTERRUPTED);
        let result = CheckResult::from_outcome(&entry.name, entry.kind, &entry.target, Duration::ZERO, outcome);
        observer.finished(index, &result);
        results.push(result);
    }
    results
}

/// The entries' indexes in the order their tasks are spawned: the longest
/// chain of round trips first (see [`Check::round_trips`]), suite order
/// among equals. Tokio begins tasks spawned from outside its workers (a
/// CLI run) in the order they were spawned; from inside one (`serve`'s
/// runs), the last spawned may go first.
fn start_order(entries: &[CheckEntry]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by_key(|&index| {
        std::cmp::Reverse(match &entries[index].plan {
            Plan::Run(check) => check.round_trips(),
            Plan::Skip(_) => 0,
        })
    });
    order
}

/// A check task's result; a panic inside a check is a bug, reported as
/// that check's failure, not a crash.
fn joined_result(
    joined: Result<CheckResult, tokio::task::JoinError>,
    index: usize,
    entry: &CheckEntry,
    observer: &dyn Observer,
) -> CheckResult {
    joined.unwrap_or_else(|join_error| {
        let outcome = Outcome {
            causes: vec![format!("internal error in the {} check: {join_error}", entry.kind)],
            ..Outcome::new(Status::Fail, "internal error (a bug in kbz-check)").coded(run::INTERNAL_ERROR)
        };
        let result = CheckResult::from_outcome(&entry.name, entry.kind, &entry.target, Duration::ZERO, outcome);
        observer.finished(index, &result);
        result
    })
}

/// One check: attempts until one does not fail or the retry window closes.
/// The result is the last attempt's outcome, timed as the sum of the attempts.
async fn run_one(
    index: usize,
    entry: &CheckEntry,
    timeout: Duration,
    retry_until: Option<(Instant, Duration)>,
    options: Arc<RunOptions>,
    slots: &Slots,
    observer: &dyn Observer,
) -> CheckResult {
    let check = match &entry.plan {
        Plan::Skip(reason) => {
            let outcome = Outcome::new(Status::Skip, reason.clone());
            return CheckResult::from_outcome(&entry.name, entry.kind, &entry.target, Duration::ZERO, outcome);
        }
        Plan::Run(check) => check,
    };
    let mut attempts = 0;
    let mut spent = Duration::ZERO;
    loop {
        attempts += 1;
        // The deadline and the duration count from when the attempt gets a slot.
        let slot = slots.acquire(&entry.target, check.connections()).await;
        observer.attempt_started(index, attempts);
        let began = Instant::now();
        let outcome = attempt(check.as_ref(), entry, timeout, options.clone()).await;
        spent += began.elapsed();
        drop(slot);
        // Only a failure is retried, and only by an attempt that can begin inside the window.
        let wait = retry_until
            .filter(|_| outcome.status == Status::Fail)
            // Checked: the CLI bounds `every`, but a library caller may not.
            .filter(|&(until, every)| Instant::now().checked_add(every).is_some_and(|next| next < until))
            .map(|(_, every)| every);
        match wait {
            Some(wait) => {
                observer.retrying(index, attempts, &outcome, wait);
                tokio::time::sleep(wait).await;
            }
            None => {
                let mut result = CheckResult::from_outcome(&entry.name, entry.kind, &entry.target, spent, outcome);
                result.attempts = attempts;
                return result;
            }
        }
    }
}

/// One attempt under its own deadline.
async fn attempt(check: &dyn Check, entry: &CheckEntry, timeout: Duration, options: Arc<RunOptions>) -> Outcome {
    let ctx = Context::new(timeout, options);
    match tokio::time::timeout(timeout, check.run(&ctx)).await {
        Ok(outcome) => outcome,
        Err(_) => timed_out(timeout, &ctx.current_step(), ctx.peer_seen(), entry),
    }
}

/// `peer`: what the open connection showed, when the check had one; then
/// the network path is open and is not blamed.
fn timed_out(timeout: Duration, step: &str, peer: Option<String>, entry: &CheckEntry) -> Outcome {
    let after = crate::human::duration(timeout);
    let setting = if entry.timeout.is_some() { "the check's timeout setting" } else { "--timeout" };
    let cause = match peer {
        Some(peer) => format!(
            "no answer within {after} while {step}: {peer}. The network path is open: the service (or a proxy in front of it) is hung or overloaded, or it answers too slowly"
        ),
        None => format!(
            "no answer within {after} while {step}: the service is hung or overloaded, or the network path drops the traffic (a firewall, or an address not reachable from where this runs)"
        ),
    };
    Outcome {
        causes: vec![cause],
        actions: vec![Action::new(
            Priority::High,
            format!(
                "Check whether {} answers from where the app runs and whether that service is healthy; raise {setting} only if it is just slow",
                entry.target
            ),
        )],
        ..Outcome::new(Status::Fail, format!("timed out after {after} while {step}")).coded(run::TIMED_OUT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::CheckFuture;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Mutex;

    /// Fails `fails` times, then ends in `then`; records when each call began.
    struct Flaky {
        fails: u32,
        then: Status,
        /// Each call sleeps this long (longer than the deadline: a hung service).
        takes: Duration,
        calls: AtomicU32,
        began: Mutex<Vec<Instant>>,
    }

    impl Flaky {
        fn new(fails: u32, then: Status) -> Arc<Flaky> {
            Flaky::taking(fails, then, Duration::ZERO)
        }

        fn taking(fails: u32, then: Status, takes: Duration) -> Arc<Flaky> {
            Arc::new(Flaky { fails, then, takes, calls: AtomicU32::new(0), began: Mutex::default() })
        }

        fn calls(&self) -> u32 {
            self.calls.load(Ordering::SeqCst)
        }
    }

    impl Check for Flaky {
        fn run<'a>(&'a self, ctx: &'a Context) -> CheckFuture<'a> {
            Box::pin(async move {
                self.began.lock().unwrap().push(Instant::now());
                let call = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
                ctx.step("waiting for the stand-in");
                tokio::time::sleep(self.takes).await;
                if call <= self.fails {
                    Outcome::new(Status::Fail, format!("down (call {call})"))
                } else {
                    Outcome::new(self.then, "up")
                }
            })
        }
    }

    fn entry(name: &str, check: &Arc<Flaky>) -> CheckEntry {
        CheckEntry {
            name: name.into(),
            kind: "fake",
            target: "127.0.0.1:1".into(),
            timeout: None,
            plan: Plan::Run(check.clone()),
            settings: vec![],
        }
    }

    /// Every event, as `check:event`.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);

    impl Observer for Recorder {
        fn attempt_started(&self, index: usize, attempt: u32) {
            self.0.lock().unwrap().push(format!("{index}:start {attempt}"));
        }
        fn retrying(&self, index: usize, attempt: u32, outcome: &Outcome, wait: Duration) {
            self.0.lock().unwrap().push(format!("{index}:retry {attempt} {} in {wait:?}", outcome.summary));
        }
        fn finished(&self, index: usize, result: &CheckResult) {
            self.0.lock().unwrap().push(format!("{index}:done {:?} x{}", result.status, result.attempts));
        }
    }

    fn schedule(retry: Option<(u64, u64)>) -> Schedule {
        Schedule {
            timeout: Duration::from_secs(5),
            retry: retry.map(|(window, every)| Retry {
                window: Duration::from_millis(window),
                every: Duration::from_millis(every),
            }),
            concurrency: DEFAULT_CONCURRENCY,
            per_server: usize::MAX,
        }
    }

    /// Counts the checks running at the same moment, and the most seen.
    #[derive(Default)]
    struct Gauge {
        running: AtomicU32,
        most: AtomicU32,
    }

    impl Gauge {
        fn enter(&self) {
            let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(now, Ordering::SeqCst);
        }

        fn leave(&self) {
            self.running.fetch_sub(1, Ordering::SeqCst);
        }

        fn most(&self) -> usize {
            self.most.load(Ordering::SeqCst) as usize
        }
    }

    /// Holds the gauge for `takes`; fails its first `fails` calls.
    struct Crowded {
        gauge: Arc<Gauge>,
        takes: Duration,
        fails: u32,
        calls: AtomicU32,
    }

    impl Check for Crowded {
        fn run<'a>(&'a self, _ctx: &'a Context) -> CheckFuture<'a> {
            Box::pin(async move {
                self.gauge.enter();
                tokio::time::sleep(self.takes).await;
                self.gauge.leave();
                let call = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
                let status = if call <= self.fails { Status::Fail } else { Status::Ok };
                Outcome::new(status, format!("call {call}"))
            })
        }
    }

    fn crowd(count: usize, fails: u32, gauge: &Arc<Gauge>) -> Vec<CheckEntry> {
        (0..count)
            .map(|i| {
                let check =
                    Crowded { gauge: gauge.clone(), takes: Duration::from_millis(20), fails, calls: AtomicU32::new(0) };
                CheckEntry { plan: Plan::Run(Arc::new(check)), ..entry(&format!("c{i}"), &Flaky::new(0, Status::Ok)) }
            })
            .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn at_most_concurrency_checks_run_at_once() {
        for (count, bound) in [(40, 7), (5, 64), (3, 1)] {
            let gauge = Arc::new(Gauge::default());
            let schedule = Schedule { concurrency: bound, ..schedule(None) };
            let results = run(&crowd(count, 0, &gauge), schedule).await;
            assert!(results.iter().all(|r| r.status == Status::Ok && r.attempts == 1), "{results:?}");
            // Exactly the bound when there are more checks than slots; all of them otherwise.
            assert_eq!(gauge.most.load(Ordering::SeqCst) as usize, count.min(bound), "{count} checks, bound {bound}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn at_most_per_server_checks_run_on_one_server_while_others_go_ahead() {
        let (db, vault, whole_run) =
            (Arc::new(Gauge::default()), Arc::new(Gauge::default()), Arc::new(Gauge::default()));
        let mut entries = Vec::new();
        for (gauge, target) in [(&db, "postgresql://u:***#3fa1@db:5432/app"), (&vault, "http://vault:8200")] {
            for i in 0..6 {
                let check = Shared { server: gauge.clone(), run: whole_run.clone() };
                let plan = Plan::Run(Arc::new(check));
                let name = format!("{target} {i}");
                entries.push(CheckEntry { target: target.into(), plan, ..entry(&name, &Flaky::new(0, Status::Ok)) });
            }
        }
        let schedule = Schedule { concurrency: 64, per_server: 2, ..schedule(None) };
        let results = run(&entries, schedule).await;
        assert!(results.iter().all(|r| r.status == Status::Ok), "{results:?}");
        assert_eq!((db.most(), vault.most()), (2, 2), "each server's bound is reached, never passed");
        // Both servers at once: a server's queue does not hold back the other's.
        assert_eq!(whole_run.most(), 4);
    }

    #[tokio::test]
    async fn the_per_server_bound_counts_each_checks_connections() {
        let run_with = |connections: usize, per_server: usize| async move {
            let (server, whole_run) = (Arc::new(Gauge::default()), Arc::new(Gauge::default()));
            let entries: Vec<_> = (0..6)
                .map(|i| {
                    let check = Shared { server: server.clone(), run: whole_run.clone() };
                    let check = Opens { connections, check };
                    let plan = Plan::Run(Arc::new(check));
                    CheckEntry {
                        target: "postgresql://u:***#3fa1@db:5432/app".into(),
                        plan,
                        ..entry(&format!("db {i}"), &Flaky::new(0, Status::Ok))
                    }
                })
                .collect();
            let results = run(&entries, Schedule { concurrency: 64, per_server, ..schedule(None) }).await;
            assert!(results.iter().all(|r| r.status == Status::Ok), "{results:?}");
            server.most()
        };
        // Five sessions each under a bound of 8 connections: one check at a time.
        assert_eq!(run_with(5, 8).await, 1);
        assert_eq!(run_with(3, 8).await, 2);
        assert_eq!(run_with(1, 8).await, 6);
        // A check that opens more than the bound runs alone rather than never.
        assert_eq!(run_with(10, 4).await, 1);
    }

    /// A [`Shared`] check that says it opens `connections` at once.
    struct Opens {
        connections: usize,
        check: Shared,
    }

    impl Check for Opens {
        fn run<'a>(&'a self, ctx: &'a Context) -> CheckFuture<'a> {
            self.check.run(ctx)
        }

        fn connections(&self) -> usize {
            self.connections
        }
    }

    /// Holds its server's gauge and the run's for 20 ms.
    struct Shared {
        server: Arc<Gauge>,
        run: Arc<Gauge>,
    }

    impl Check for Shared {
        fn run<'a>(&'a self, _ctx: &'a Context) -> CheckFuture<'a> {
            Box::pin(async move {
                self.server.enter();
                self.run.enter();
                tokio::time::sleep(Duration::from_millis(20)).await;
                self.run.leave();
                self.server.leave();
                Outcome::new(Status::Ok, "done")
            })
        }
    }

    #[test]
    fn a_server_is_the_host_and_port_of_a_url_target() {
        assert_eq!(server_of("postgresql://kb_backend:***#cd1f@127.0.0.1:5432/keybuzz"), "127.0.0.1:5432");
        assert_eq!(server_of("http://127.0.0.1:8200"), "127.0.0.1:8200");
        assert_eq!(server_of("https://sp.example/api/v1/start?x=1"), "sp.example");
        assert_eq!(server_of("postgresql://u@h1:5432,h2:5433/db"), "h1:5432,h2:5433");
        assert_eq!(server_of("/usr/lib/nagios/plugins/check_disk -w 10%"), "/usr/lib/nagios/plugins/check_disk -w 10%");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn retries_queue_for_a_slot_again() {
        let gauge = Arc::new(Gauge::default());
        let schedule = Schedule { concurrency: 3, ..schedule(Some((10_000, 5))) };
        let results = run(&crowd(10, 2, &gauge), schedule).await;
        assert!(results.iter().all(|r| r.status == Status::Ok && r.attempts == 3), "{results:?}");
        assert_eq!(gauge.most.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_queued_check_gets_its_whole_deadline_once_it_runs() {
        // Two 60 ms checks, one slot, 100 ms deadlines: the second ends 120 ms after
        // the run began, yet is not timed out, as its deadline starts with its slot.
        let gauge = Arc::new(Gauge::default());
        let schedule = Schedule { concurrency: 1, timeout: Duration::from_millis(100), ..schedule(None) };
        let mut entries = crowd(2, 0, &gauge);
        for entry in &mut entries {
            let takes = Duration::from_millis(60);
            entry.plan =
                Plan::Run(Arc::new(Crowded { gauge: gauge.clone(), takes, fails: 0, calls: AtomicU32::new(0) }));
        }
        let results = run(&entries, schedule).await;
        assert!(results.iter().all(|r| r.status == Status::Ok), "{results:?}");
        assert_eq!(gauge.most.load(Ordering::SeqCst), 1);
    }

    async fn run(entries: &[CheckEntry], schedule: Schedule) -> Vec<CheckResult> {
        run_all(entries, schedule, RunOptions::default(), Arc::new(Quiet)).await
    }

    #[tokio::test]
    async fn without_retry_a_failure_runs_once() {
        let check = Flaky::new(1, Status::Ok);
        let results = run(&[entry("db", &check)], schedule(None)).await;
        assert_eq!((results[0].status, results[0].attempts, check.calls()), (Status::Fail, 1, 1));
    }

    #[tokio::test]
    async fn a_failing_check_is_rerun_until_it_passes() {
        let check = Flaky::new(2, Status::Ok);
        let recorder = Arc::new(Recorder::default());
        let results =
            run_all(&[entry("db", &check)], schedule(Some((10_000, 10))), RunOptions::default(), recorder.clone())
                .await;
        assert_eq!((results[0].status, results[0].summary.as_str()), (Status::Ok, "up"));
        assert_eq!((results[0].attempts, check.calls()), (3, 3));
        assert_eq!(
            *recorder.0.lock().unwrap(),
            [
                "0:start 1",
                "0:retry 1 down (call 1) in 10ms",
                "0:start 2",
                "0:retry 2 down (call 2) in 10ms",
                "0:start 3",
                "0:done Ok x3"
            ]
        );
    }

    #[tokio::test]
    async fn retries_never_begin_after_the_window() {
        let check = Flaky::new(u32::MAX, Status::Ok);
        let started = Instant::now();
        let results = run(&[entry("db", &check)], schedule(Some((200, 50)))).await;
        // Attempts near 0, 50, 100 and 150 ms; one at 200 ms would begin as the window ends.
        assert_eq!(results[0].status, Status::Fail);
        assert!((3..=4).contains(&results[0].attempts), "{} attempts", results[0].attempts);
        assert_eq!(results[0].attempts, check.calls());
        for began in check.began.lock().unwrap().iter() {
            // The decision is taken before the wait; allow for a late wake-up.
            assert!(*began - started < Duration::from_millis(200 + 40), "began at {:?}", *began - started);
        }
        assert!(started.elapsed() >= Duration::from_millis(100), "waited between attempts");
    }

    #[tokio::test]
    async fn warn_and_skip_are_not_retried() {
        let warns = Flaky::new(0, Status::Warn);
        let skipped = CheckEntry { plan: Plan::Skip("not configured".into()), ..entry("off", &warns) };
        let recorder = Arc::new(Recorder::default());
        let results = run_all(
            &[entry("w", &warns), skipped],
            schedule(Some((10_000, 10))),
            RunOptions::default(),
            recorder.clone(),
        )
        .await;
        assert_eq!((results[0].status, results[0].attempts, warns.calls()), (Status::Warn, 1, 1));
        assert_eq!((results[1].status, results[1].attempts), (Status::Skip, 1));
        let mut events = recorder.0.lock().unwrap().clone();
        events.sort();
        assert_eq!(events, ["0:done Warn x1", "0:start 1", "1:done Skip x1"]);
    }

    #[tokio::test]
    async fn each_attempt_has_its_own_deadline_and_the_durations_add_up() {
        let check = Flaky::taking(0, Status::Ok, Duration::from_secs(60));
        let mut entry = entry("hung", &check);
        entry.timeout = Some(Duration::from_millis(40));
        let results = run(&[entry], schedule(Some((150, 10)))).await;
        let result = &results[0];
        assert!(result.summary.starts_with("timed out after 40ms while waiting for the stand-in"), "{result:?}");
        assert!(result.attempts >= 2, "{result:?}");
        assert_eq!(result.attempts, check.calls());
        assert!(result.duration_ms >= 40 * u64::from(result.attempts), "{result:?}");
    }

    #[tokio::test]
    async fn checks_retry_concurrently_each_on_its_own() {
        let (quick, slow, steady) = (Flaky::new(1, Status::Ok), Flaky::new(3, Status::Ok), Flaky::new(0, Status::Ok));
        let entries = [entry("quick", &quick), entry("slow", &slow), entry("steady", &steady)];
        let started = Instant::now();
        let results = run(&entries, schedule(Some((10_000, 100)))).await;
        let attempts: Vec<_> = results.iter().map(|r| (r.name.as_str(), r.status, r.attempts)).collect();
        assert_eq!(attempts, [("quick", Status::Ok, 2), ("slow", Status::Ok, 4), ("steady", Status::Ok, 1)]);
        // In turn they would wait 4 × 100 ms; together, as long as the slowest (3 waits).
        assert!(started.elapsed() < Duration::from_millis(390), "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn an_interrupted_run_keeps_finished_results_and_skips_the_rest() {
        let quick = Flaky::new(0, Status::Warn);
        let hung = Flaky::taking(0, Status::Ok, Duration::from_secs(60));
        let retrying = Flaky::new(u32::MAX, Status::Ok);
        let queued = Flaky::taking(0, Status::Ok, Duration::from_secs(60));
        // hung first, so the engine is waiting on it when the interruption comes.
        let entries =
            [entry("hung", &hung), entry("quick", &quick), entry("retrying", &retrying), entry("queued", &queued)];
        let schedule = Schedule { concurrency: 3, ..schedule(Some((60_000, 10))) };
        // `queued` waits for the slot `quick` frees, then hangs; `retrying` fails every 10 ms.
        let recorder = Arc::new(Recorder::default());
        let started = Instant::now();
        let interrupt = tokio::time::sleep(Duration::from_millis(200));
        let results = run_until(&entries, schedule, RunOptions::default(), recorder.clone(), interrupt).await;
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
        let seen: Vec<_> = results.iter().map(|r| (r.name.as_str(), r.status, r.summary.as_str())).collect();
        assert_eq!(
            seen,
            [
                ("hung", Status::Skip, INTERRUPTED),
                ("quick", Status::Warn, "up"),
                ("retrying", Status::Skip, INTERRUPTED),
                ("queued", Status::Skip, INTERRUPTED),
            ]
        );
        assert!(results.iter().filter(|r| r.status == Status::Skip).all(|r| r.causes.is_empty()));
        let events = recorder.0.lock().unwrap();
        assert_eq!(events.iter().filter(|e| e.contains(":done")).count(), 4, "{events:?}");
    }

    #[test]
    fn a_deadline_on_an_open_connection_says_what_was_seen_not_the_path() {
        use crate::checks::stall::{Peer, Tap};
        let e = entry("db", &Flaky::new(0, Status::Ok));
        let tap = Tap::new("127.0.0.1:5432".parse().unwrap(), Duration::from_millis(2));
        let seen = Some(Peer::Tapped(tap).describe());
        let out = timed_out(Duration::from_secs(2), "logging in to 127.0.0.1:5432", seen, &e);
        let cause = out.causes.join("\n");
        assert!(cause.contains("TCP connected to 127.0.0.1:5432 in 2ms; no byte received in "), "{cause}");
        assert!(cause.contains("The network path is open") && !cause.contains("firewall"), "{cause}");
        let out = timed_out(Duration::from_secs(2), "connecting to 127.0.0.1:5432", None, &e);
        assert!(out.causes.join("\n").contains("a firewall"), "an unanswered SYN is still the path's");
    }

    /// A check whose chain is `0` round trips long; ends at once.
    struct Chain(u32);

    impl Check for Chain {
        fn run<'a>(&'a self, _ctx: &'a Context) -> CheckFuture<'a> {
            Box::pin(async { Outcome::new(Status::Ok, "up") })
        }

        fn round_trips(&self) -> u32 {
            self.0
        }
    }

    #[tokio::test]
    async fn the_longest_chain_starts_first_and_the_report_keeps_the_suite_order() {
        let entries: Vec<CheckEntry> = [("oauth", 2), ("smtp", 7), ("postgres", 6), ("smtp-2", 7)]
            .into_iter()
            .map(|(name, trips)| CheckEntry {
                plan: Plan::Run(Arc::new(Chain(trips))),
                ..entry(name, &Flaky::new(0, Status::Ok))
            })
            .chain([CheckEntry {
                plan: Plan::Skip("not configured".into()),
                ..entry("vault", &Flaky::new(0, Status::Ok))
            }])
            .collect();
        assert_eq!(start_order(&entries), [1, 3, 2, 0, 4]);
        let recorder = Arc::new(Recorder::default());
        let results = run_all(&entries, schedule(None), RunOptions::default(), recorder.clone()).await;
        let started: Vec<_> = recorder.0.lock().unwrap().iter().filter(|e| e.contains(":start")).cloned().collect();
        assert_eq!(started, ["1:start 1", "3:start 1", "2:start 1", "0:start 1"]);
        let names: Vec<_> = results.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["oauth", "smtp", "postgres", "smtp-2", "vault"]);
    }
}
