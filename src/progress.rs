//! Progress on stderr while the checks run: one line per check, its state
//! (running, retrying, then OK/WARN/FAIL/SKIP with its one-line summary).
//! Only wired when stderr is a terminal; the lines are cleared before the
//! report is printed, so they never end up in a log or a pipe.

use crate::config::CheckEntry;
use crate::engine::Observer;
use crate::report::{CheckResult, Outcome, Status};
use crate::secret::Redactor;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::Mutex;
use std::time::Duration;

/// How often a running check's spinner moves.
const TICK: Duration = Duration::from_millis(120);

pub struct Progress {
    multi: MultiProgress,
    bars: Vec<ProgressBar>,
    /// Each check's last failed attempt, kept in sight while the next one runs.
    last_failure: Mutex<Vec<String>>,
    /// Summaries can quote library errors; they are scrubbed like the report.
    redactor: Redactor,
}

impl Progress {
    /// One line per entry, drawn on stderr.
    pub fn new(entries: &[CheckEntry], redactor: Redactor) -> Progress {
        Progress::with_target(entries, redactor, ProgressDrawTarget::stderr())
    }

    fn with_target(entries: &[CheckEntry], redactor: Redactor, target: ProgressDrawTarget) -> Progress {
        let multi = MultiProgress::with_draw_target(target);
        let width = entries.iter().map(|e| e.name.chars().count()).max().unwrap_or(0);
        let style = ProgressStyle::with_template("{spinner} {prefix} {wide_msg}")
            .expect("a valid progress template")
            .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ ");
        let bars = entries
            .iter()
            .map(|entry| {
                let bar = multi.add(ProgressBar::new_spinner().with_style(style.clone()));
                bar.set_prefix(format!("{:width$}", entry.name));
                bar.set_message("waiting");
                bar
            })
            .collect();
        let last_failure = Mutex::new(vec![String::new(); entries.len()]);
        Progress { multi, bars, last_failure, redactor }
    }

    /// Removes the lines, before the report takes their place.
    pub fn clear(&self) {
        for bar in &self.bars {
            bar.finish_and_clear();
        }
        let _ = self.multi.clear();
    }
}

impl Observer for Progress {
    fn attempt_started(&self, index: usize, attempt: u32) {
        let Some(bar) = self.bars.get(index) else { return };
        if attempt == 1 {
            bar.set_message("running");
        } else {
            let failures = self.last_failure.lock().unwrap_or_else(|e| e.into_inner());
            let last = failures.get(index).map_or("", String::as_str);
            bar.set_message(format!("running attempt {attempt} (last: FAIL {last})"));
        }
        bar.enable_steady_tick(TICK);
    }

    fn retrying(&self, index: usize, attempt: u32, outcome: &Outcome, wait: Duration) {
        let Some(bar) = self.bars.get(index) else { return };
        let summary = self.redactor.redact(&outcome.summary);
        if let Some(last) = self.last_failure.lock().unwrap_or_else(|e| e.into_inner()).get_mut(index) {
            last.clone_from(&summary);
        }
        bar.set_message(format!("attempt {attempt} FAIL {summary}; retrying in {}", humantime::format_duration(wait)));
    }

    fn finished(&self, index: usize, result: &CheckResult) {
        let Some(bar) = self.bars.get(index) else { return };
        let state = match result.status {
            Status::Ok => "✔",
            Status::Warn => "!",
            Status::Fail => "✘",
            Status::Skip => "-",
        };
        bar.set_style(ProgressStyle::with_template(&format!("{state} {{prefix}} {{wide_msg}}")).expect("template"));
        bar.finish_with_message(format!(
            "{:4} {}{}",
            result.status.label(),
            self.redactor.redact(&result.summary),
            crate::render::words::EN.attempts_note(result.attempts)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Plan;
    use crate::secret::Secret;

    fn entry(name: &str) -> CheckEntry {
        CheckEntry {
            name: name.into(),
            kind: "fake",
            target: String::new(),
            timeout: None,
            plan: Plan::Skip(String::new()),
            settings: vec![],
        }
    }

    fn result(status: Status, summary: &str, attempts: u32) -> CheckResult {
        let mut result =
            CheckResult::from_outcome("db", "fake", "", Duration::ZERO, Outcome::new(status, summary.to_string()));
        result.attempts = attempts;
        result
    }

    #[test]
    fn each_line_follows_its_check_and_hides_secrets() {
        let mut redactor = Redactor::default();
        redactor.add(&Secret::new("Hunter2-Secret"));
        let progress = Progress::with_target(&[entry("db"), entry("vault")], redactor, ProgressDrawTarget::hidden());
        let line = |i: usize| (progress.bars[i].prefix(), progress.bars[i].message());
        assert_eq!(line(0), ("db   ".to_string(), "waiting".to_string()));

        progress.attempt_started(0, 1);
        progress.attempt_started(1, 1);
        assert_eq!(line(0).1, "running");
        let failure = Outcome::new(Status::Fail, "password Hunter2-Secret rejected");
        progress.retrying(0, 1, &failure, Duration::from_secs(2));
        assert!(line(0).1.starts_with("attempt 1 FAIL password "), "{}", line(0).1);
        assert!(line(0).1.ends_with(" rejected; retrying in 2s"), "{}", line(0).1);
        assert!(!line(0).1.contains("Hunter2"), "{}", line(0).1);
        progress.attempt_started(0, 2);
        assert!(line(0).1.starts_with("running attempt 2 (last: FAIL password "), "{}", line(0).1);
        assert!(!line(0).1.contains("Hunter2"), "{}", line(0).1);

        progress.finished(0, &result(Status::Ok, "leader, writable", 2));
        progress.finished(1, &result(Status::Warn, "token expires in 2h", 1));
        assert_eq!(line(0).1, "OK   leader, writable (2 attempts)");
        assert_eq!(line(1).1, "WARN token expires in 2h");
        assert!((0..2).all(|i| progress.bars[i].is_finished()));
        progress.clear();
    }
}
