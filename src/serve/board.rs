//! What the endpoints show: the latest finished run, rendered once when it
//! is published, and the loop's own counts. Shared by the run loop (which
//! writes) and the HTTP server (which reads); every lock is held for a copy
//! of an `Arc` or a counter, never while rendering or writing a response.

use crate::choices::{Format, Lang};
use crate::render;
use crate::render::prometheus::{Sample, Snapshot};
use crate::report::Report;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

/// A finished run, with the report files the endpoints serve.
#[derive(Debug)]
pub struct Published {
    pub report: Report,
    pub json: String,
    pub markdown: String,
    pub finished_at: SystemTime,
}

#[derive(Debug, Default)]
struct Counts {
    runs: u64,
    overruns: u64,
}

#[derive(Debug)]
pub struct Board {
    interval: Duration,
    lang: Lang,
    latest: Mutex<Option<Arc<Published>>>,
    counts: Mutex<Counts>,
}

impl Board {
    pub fn new(interval: Duration, lang: Lang) -> Board {
        Board { interval, lang, latest: Mutex::new(None), counts: Mutex::new(Counts::default()) }
    }

    /// Shows `report` from now on; `overran` says the run took longer than the interval.
    pub fn publish(&self, report: Report, overran: bool) {
        let published = Published {
            json: render::render(&report, Format::Json, false, self.lang),
            markdown: render::render(&report, Format::Markdown, false, self.lang),
            report,
            finished_at: SystemTime::now(),
        };
        // A panic elsewhere cannot leave these half-written: keep serving.
        *self.latest.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(published));
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.runs += 1;
        counts.overruns += u64::from(overran);
    }

    /// The latest finished run, none before the first ends.
    pub fn latest(&self) -> Option<Arc<Published>> {
        self.latest.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// `/metrics`: the latest report's metrics (none before the first run
    /// ends) and the loop's own.
    pub fn metrics(&self) -> String {
        let latest = self.latest();
        let mut registry = render::metrics(latest.as_ref().map(|published| &published.report));
        let (runs, overruns) = {
            let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
            (counts.runs, counts.overruns)
        };
        let mut own = Snapshot::default();
        own.counter(
            "kbz_check_runs",
            "Runs of the suite that finished since kbz-check serve started",
            one(runs as f64),
        );
        own.counter(
            "kbz_check_run_overruns",
            "Runs that took longer than --interval (the next then started late, never two at once)",
            one(overruns as f64),
        );
        own.gauge(
            "kbz_check_serve_interval_seconds",
            "The --interval between the starts of two runs",
            one(self.interval.as_secs_f64()),
        );
        registry.register_collector(Box::new(own));
        render::prometheus::encode(&registry)
    }
}

/// One series without labels.
fn one(value: f64) -> Vec<Sample> {
    vec![Sample::new(vec![], value)]
}
