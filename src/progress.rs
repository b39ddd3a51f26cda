//! Progress on stderr while the checks run: one line per check, its state
//! (running, retrying, then its status with its one-line summary), in the
//! report's language and painted as the `Paint` it is given says.
//! Only wired when stderr is a terminal; the lines are cleared before the
//! report is printed, so they never end up in a log or a pipe.

use crate::config::CheckEntry;
use crate::engine::Observer;
use crate::render::paint::Paint;
use crate::render::words::Words;
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
    /// `--lang`'s words, as in the report.
    words: &'static Words,
    /// Status labels in color (`--color`, NO_COLOR), as in the text report.
    paint: Paint,
}

impl Progress {
    /// One line per entry, drawn on stderr.
    pub fn new(entries: &[CheckEntry], redactor: Redactor, words: &'static Words, paint: Paint) -> Progress {
        Progress::with_target(entries, redactor, words, paint, ProgressDrawTarget::stderr())
    }

    fn with_target(
        entries: &[CheckEntry],
        redactor: Redactor,
        words: &'static Words,
        paint: Paint,
        target: ProgressDrawTarget,
    ) -> Progress {
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
                bar.set_message(words.progress_waiting);
                bar
            })
            .collect();
        let last_failure = Mutex::new(vec![String::new(); entries.len()]);
        Progress { multi, bars, last_failure, redactor, words, paint }
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
            bar.set_message(self.words.progress_running);
        } else {
            let failures = self.last_failure.lock().unwrap_or_else(|e| e.into_inner());
            let last = failures.get(index).map_or("", String::as_str);
            bar.set_message(self.words.running_again(attempt, last));
        }
        bar.enable_steady_tick(TICK);
    }

    fn retrying(&self, index: usize, attempt: u32, outcome: &Outcome, wait: Duration) {
        let Some(bar) = self.bars.get(index) else { return };
        let last = format!(
            "{} {}",
            self.paint.status(outcome.status, self.words.status_label(outcome.status)),
            crate::human::inert(&self.redactor.redact(&outcome.summary))
        );
        bar.set_message(self.words.retrying(attempt, &last, &crate::human::duration(wait)));
        if let Some(slot) = self.last_failure.lock().unwrap_or_else(|e| e.into_inner()).get_mut(index) {
            *slot = last;
        }
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
        // Padded before painting (escape codes would count in the width), to
        // the language's widest status word so that the summaries line up.
        let word = self.words.status_label(result.status);
        let pad = " ".repeat(self.words.status_width().saturating_sub(word.chars().count()));
        let label = format!("{}{pad}", self.paint.status(result.status, word));
        bar.finish_with_message(format!(
            "{label} {}{}",
            crate::human::inert(&self.redactor.redact(&result.summary)),
            self.words.attempts_note(result.attempts)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Plan;
    use crate::render::words::{EN, FR};
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
        let progress = Progress::with_target(
            &[entry("db"), entry("vault")],
            redactor,
            &EN,
            Paint::Plain,
            ProgressDrawTarget::hidden(),
        );
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

    #[test]
    fn lines_speak_the_report_language_and_paint_only_when_asked() {
        let hidden = ProgressDrawTarget::hidden;
        let french = Progress::with_target(&[entry("db")], Redactor::default(), &FR, Paint::Plain, hidden());
        assert_eq!(french.bars[0].message(), "en attente");
        french.retrying(0, 1, &Outcome::new(Status::Fail, "refused"), Duration::from_secs(2));
        // These said `FAIL` in French before the status words joined the language table.
        assert_eq!(french.bars[0].message(), "tentative 1 ÉCHEC refused ; nouvel essai dans 2s");
        french.attempt_started(0, 2);
        assert_eq!(french.bars[0].message(), "tentative 2 en cours (précédente : ÉCHEC refused)");
        french.finished(0, &result(Status::Ok, "leader", 2));
        // Padded to the widest French status word (ALERTE, IGNORÉ), no longer to FAIL's four.
        assert_eq!(french.bars[0].message(), "OK     leader (2 tentatives)");
        let warned = Progress::with_target(&[entry("db")], Redactor::default(), &FR, Paint::Plain, hidden());
        warned.finished(0, &result(Status::Warn, "token", 1));
        assert_eq!(warned.bars[0].message(), "ALERTE token");

        // No global switch: painted, plain, painted again, each as asked.
        let line = |paint: Paint| {
            let progress = Progress::with_target(&[entry("db")], Redactor::default(), &EN, paint, hidden());
            progress.finished(0, &result(Status::Ok, "leader", 1));
            progress.bars[0].message()
        };
        let (painted, plain, painted_again) = (line(Paint::Ansi), line(Paint::Plain), line(Paint::Ansi));
        assert!(painted.starts_with("\u{1b}["), "{painted:?}");
        // Padded before painting, so the columns line up as in the plain line.
        assert!(painted.ends_with("m   leader"), "{painted:?}");
        assert_eq!(plain, "OK   leader");
        assert_eq!(painted_again, painted);
    }
}
