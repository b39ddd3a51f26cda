//! Memory across runs (`--state FILE`, and `serve` in memory): per check,
//! since when it has been failing and when its finding code last changed.
//!
//! The rule, stated once (docs/output.md, "State across runs"):
//! - failing means the status `fail`. A `warn` is a pass with a remark, as
//!   for the exit code, so an `ok` or a `warn` ends a failing streak;
//! - a `skip` checked nothing, so it neither ends nor extends a streak: the
//!   check's memory is kept as it was, and the report does not call it failing;
//! - the cause changed when the main finding's code went from one code to
//!   another while the check did not pass (a pass has no cause to change from);
//! - checks of the file that this run did not run (`run NAME`) are kept.
//!
//! The file holds check names, statuses, finding codes and times only: nothing
//! a check observed, so nothing secret. It is written whole or not at all
//! (temporary file and rename), like report files. A file that cannot be
//! used is reported (a [`Note`] in the report) and replaced, never fatal.

use crate::code::Code;
use crate::report::{CauseChange, History, Note, Report, StateProblem, Status};
use crate::{input, output, time};
use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The `schema` of the file: a reader refuses any other.
pub const SCHEMA: &str = "kbz-check/state/v1";

/// What is remembered of every check, by check name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct State {
    checks: BTreeMap<String, Record>,
}

/// One check's memory. Times are Unix seconds (whole: reports write whole seconds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The status of the last run that checked it (never `skip`).
    pub status: Status,
    /// Start of that run.
    pub seen_at: i64,
    /// Start of the first run of the current failing streak; none unless `status` is `fail`.
    pub failing_since: Option<i64>,
    /// The main finding's code at that run; none when it had none (an `ok`).
    pub code: Option<String>,
    /// Start of the first run that saw `code`.
    pub code_since: i64,
    /// The code before `code`; none when there was none (it passed, or this is its first run).
    pub previous_code: Option<String>,
}

impl State {
    pub fn record(&self, check: &str) -> Option<&Record> {
        self.checks.get(check)
    }

    /// The memory after `report`, a run that started at `now`: the one rule
    /// the CLI and `serve` share. Each check of the report gets its
    /// [`History`]; checks the report does not have are kept as they were.
    pub fn observe(&self, report: &mut Report, now: SystemTime) -> State {
        let now = time::unix_seconds(now);
        let mut next = self.clone();
        for check in &mut report.checks {
            let before = self.checks.get(&check.name);
            if check.status == Status::Skip {
                // Nothing was checked: nothing learnt, nothing forgotten, and not failing now.
                check.history = Some(History::default());
                continue;
            }
            let record = Record::after(before, check.status, check.code, now);
            check.history = Some(record.history(check.code));
            next.checks.insert(check.name.clone(), record);
        }
        next
    }
}

impl Record {
    fn after(before: Option<&Record>, status: Status, code: Option<Code>, now: i64) -> Record {
        let failing_since = match status {
            Status::Fail => Some(before.and_then(|b| b.failing_since).unwrap_or(now)),
            Status::Ok | Status::Warn | Status::Skip => None,
        };
        let code = code.map(|c| c.as_str().to_string());
        let (code_since, previous_code) = match before {
            Some(b) if b.code == code => (b.code_since, b.previous_code.clone()),
            Some(b) => (now, b.code.clone()),
            None => (now, None),
        };
        Record { status, seen_at: now, failing_since, code, code_since, previous_code }
    }

    /// What the report says of it, `now` being the current main code.
    fn history(&self, now: Option<Code>) -> History {
        let cause_changed = match (&self.previous_code, now, self.status) {
            (Some(was), Some(now), Status::Warn | Status::Fail) => {
                Some(CauseChange { was: was.clone(), now, at: instant(self.code_since) })
            }
            _ => None,
        };
        History { failing_since: self.failing_since.map(instant), cause_changed }
    }
}

fn instant(unix: i64) -> SystemTime {
    match u64::try_from(unix) {
        Ok(secs) => SystemTime::UNIX_EPOCH + Duration::from_secs(secs),
        // Never written: times before 1970 are refused when read.
        Err(_) => SystemTime::UNIX_EPOCH,
    }
}

/// The state in `path`; an empty one when there is no such file (a first run).
pub fn load(path: &Path) -> Result<State, StateProblem> {
    match input::read_text(path) {
        Ok(text) => parse(&text),
        Err(input::InputError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
        Err(input::InputError::Io(e)) => Err(StateProblem::Unreadable { reason: e.kind().to_string() }),
        Err(input::InputError::TooLarge) => Err(StateProblem::TooLarge),
        Err(input::InputError::NotText) => Err(StateProblem::NotText),
        // A directory, a FIFO: `--state` refuses those before the run (output::ensure_writable).
        Err(input::InputError::NotRegular(what)) => Err(StateProblem::Unreadable { reason: format!("it is {what}") }),
    }
}

/// Writes `state` to `path` whole or not at all.
pub fn save(path: &Path, state: &State, now: SystemTime) -> std::io::Result<()> {
    output::write_atomically(path, to_json(state, now).as_bytes())
}

/// A suite's memory over its runs: in memory (what `serve` keeps), and in
/// a file when one is given (`--state FILE`, read at the first run).
#[derive(Default)]
pub struct Memory {
    file: Option<PathBuf>,
    state: Option<State>,
}

impl Memory {
    /// Memory kept in `path` across processes.
    pub fn in_file(path: PathBuf) -> Memory {
        Memory { file: Some(path), state: None }
    }

    /// Memory kept in this process only, optionally also in `path`.
    pub fn new(file: Option<PathBuf>) -> Memory {
        Memory { file, state: None }
    }

    /// Tells `report` what earlier runs saw, and remembers this run. The
    /// first time, the file (if any) is read; a file that cannot be used is
    /// named in a note of the report and replaced by an empty memory.
    pub fn observe(&mut self, report: &mut Report) {
        let previous = match (self.state.take(), &self.file) {
            (Some(state), _) => state,
            (None, None) => State::default(),
            (None, Some(path)) => load(path).unwrap_or_else(|problem| {
                report.notes.push(Note::StateDiscarded { path: path.display().to_string(), problem });
                State::default()
            }),
        };
        self.state = Some(previous.observe(report, report.generated_at));
    }

    /// Writes what is remembered to the file, if there is one.
    pub fn save(&self, now: SystemTime) -> anyhow::Result<()> {
        match (&self.file, &self.state) {
            (Some(path), Some(state)) => {
                save(path, state, now).with_context(|| format!("cannot keep the state in {}", path.display()))
            }
            _ => Ok(()),
        }
    }
}

/// The file's form. Field order is the order written.
#[derive(Serialize, Deserialize)]
struct File {
    schema: String,
    /// When it was written (for people; not read back).
    updated_at: String,
    checks: BTreeMap<String, FileRecord>,
}

#[derive(Serialize, Deserialize)]
struct FileRecord {
    status: FileStatus,
    seen_at: Instant,
    failing_since: Option<Instant>,
    code: Option<FileCode>,
    code_since: Instant,
    previous_code: Option<FileCode>,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum FileStatus {
    Ok,
    Warn,
    Fail,
}

/// An RFC 3339 time, read back only as one.
#[derive(Clone, Copy)]
struct Instant(i64);

impl Serialize for Instant {
    fn serialize<S: serde::Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        let text = time::rfc3339(self.0).map_err(serde::ser::Error::custom)?;
        out.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for Instant {
    fn deserialize<D: serde::Deserializer<'de>>(from: D) -> Result<Self, D::Error> {
        let text = String::deserialize(from)?;
        let unix = time::parse_rfc3339(&text).map(time::unix_seconds);
        match unix {
            Some(unix) if (0..=time::LAST_SECOND).contains(&unix) => Ok(Instant(unix)),
            // The message names no value: the error's place is what is reported.
            _ => Err(serde::de::Error::custom("not an RFC 3339 time")),
        }
    }
}

/// A finding code's form (`vault.unreachable.refused`), so that what the
/// report repeats of the file is a code and nothing else.
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
struct FileCode(String);

impl TryFrom<String> for FileCode {
    type Error = &'static str;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        let part_ok =
            |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if text.len() <= 100 && text.split('.').count() >= 2 && text.split('.').all(part_ok) {
            Ok(FileCode(text))
        } else {
            Err("not a finding code")
        }
    }
}

impl From<FileCode> for String {
    fn from(code: FileCode) -> String {
        code.0
    }
}

fn to_json(state: &State, now: SystemTime) -> String {
    let checks = state
        .checks
        .iter()
        .filter_map(|(name, r)| {
            let status = match r.status {
                Status::Ok => FileStatus::Ok,
                Status::Warn => FileStatus::Warn,
                Status::Fail => FileStatus::Fail,
                // Never kept: a skip leaves the record as it was.
                Status::Skip => return None,
            };
            let record = FileRecord {
                status,
                seen_at: Instant(r.seen_at),
                failing_since: r.failing_since.map(Instant),
                code: r.code.clone().map(FileCode),
                code_since: Instant(r.code_since),
                previous_code: r.previous_code.clone().map(FileCode),
            };
            Some((name.clone(), record))
        })
        .collect();
    let updated_at = crate::report::rfc3339_text(now);
    let file = File { schema: SCHEMA.to_string(), updated_at, checks };
    let mut text = serde_json::to_string_pretty(&file).expect("the state serializes to JSON");
    text.push('\n');
    text
}

/// The state a file's text holds, or what is wrong with it (never its content).
fn parse(text: &str) -> Result<State, StateProblem> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| StateProblem::NotJson { line: e.line(), column: e.column() })?;
    match value.get("schema").and_then(serde_json::Value::as_str) {
        Some(SCHEMA) => {}
        Some(other) if is_state_schema(other) => return Err(StateProblem::OtherVersion { schema: other.to_string() }),
        _ => return Err(StateProblem::Foreign),
    }
    // Read again from the text, so that an error says where it is.
    let file: File =
        serde_json::from_str(text).map_err(|e| StateProblem::Invalid { line: e.line(), column: e.column() })?;
    let checks = file
        .checks
        .into_iter()
        .map(|(name, r)| {
            let status = match r.status {
                FileStatus::Ok => Status::Ok,
                FileStatus::Warn => Status::Warn,
                FileStatus::Fail => Status::Fail,
            };
            // A failing streak belongs to a failing check only.
            let failing_since = r.failing_since.filter(|_| status == Status::Fail).map(|i| i.0);
            let record = Record {
                status,
                seen_at: r.seen_at.0,
                failing_since: failing_since.or((status == Status::Fail).then_some(r.seen_at.0)),
                code: r.code.map(String::from),
                code_since: r.code_since.0,
                previous_code: r.previous_code.map(String::from),
            };
            (name, record)
        })
        .collect();
    Ok(State { checks })
}

/// `kbz-check/state/v2` and the like: another version of this file, worth naming.
fn is_state_schema(text: &str) -> bool {
    text.strip_prefix("kbz-check/state/v")
        .is_some_and(|version| (1..=4).contains(&version.len()) && version.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{CheckResult, Outcome};
    use proptest::prelude::*;

    const SEALED: Code = crate::checks::vault::codes::SEALED;
    const REFUSED: Code = crate::checks::vault::codes::UNREACHABLE_REFUSED;

    fn at(unix: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(unix)
    }

    fn check(name: &str, status: Status, code: Option<Code>) -> CheckResult {
        let outcome = Outcome::new(status, "summary");
        let outcome = match code {
            Some(code) => outcome.coded(code),
            None => outcome,
        };
        CheckResult::from_outcome(name, "vault", "", Duration::ZERO, outcome)
    }

    /// One run of `checks` at `unix` after `state`: the new state and the report.
    fn run(state: &State, unix: u64, checks: Vec<CheckResult>) -> (State, Report) {
        let mut report = Report { generated_at: at(unix), ..Report::of_checks(checks) };
        let next = state.observe(&mut report, at(unix));
        (next, report)
    }

    fn history(report: &Report) -> &History {
        report.checks[0].history.as_ref().unwrap()
    }

    #[test]
    fn sealed_then_refused_then_back_reads_as_one_incident() {
        let s = State::default();
        let (s, r1) = run(&s, 1_000, vec![check("vault", Status::Fail, Some(SEALED))]);
        assert_eq!(history(&r1), &History { failing_since: Some(at(1_000)), cause_changed: None });
        let (s, r2) = run(&s, 2_000, vec![check("vault", Status::Fail, Some(REFUSED))]);
        let changed = CauseChange { was: "vault.sealed".into(), now: REFUSED, at: at(2_000) };
        assert_eq!(history(&r2), &History { failing_since: Some(at(1_000)), cause_changed: Some(changed.clone()) });
        // Still refused: still the same change, from the same time.
        let (s, r3) = run(&s, 3_000, vec![check("vault", Status::Fail, Some(REFUSED))]);
        assert_eq!(history(&r3).cause_changed, Some(changed));
        let (s, r4) = run(&s, 4_000, vec![check("vault", Status::Ok, None)]);
        assert_eq!(history(&r4), &History::default());
        // Failing again after a pass: a new streak, and no cause to have changed from.
        let (_, r5) = run(&s, 5_000, vec![check("vault", Status::Fail, Some(REFUSED))]);
        assert_eq!(history(&r5), &History { failing_since: Some(at(5_000)), cause_changed: None });
    }

    #[test]
    fn a_skip_keeps_the_memory_and_a_run_of_other_checks_keeps_theirs() {
        let (s, _) = run(&State::default(), 1_000, vec![check("vault", Status::Fail, Some(SEALED))]);
        let (s, skipped) = run(&s, 2_000, vec![check("vault", Status::Skip, None)]);
        assert_eq!(history(&skipped), &History::default(), "not called failing while not checked");
        let (s, _) = run(&s, 3_000, vec![check("db", Status::Ok, None)]);
        let (_, r) = run(&s, 4_000, vec![check("vault", Status::Fail, Some(SEALED))]);
        assert_eq!(history(&r).failing_since, Some(at(1_000)));
    }

    #[test]
    fn a_warning_ends_a_failing_streak_but_its_code_can_be_a_cause_change() {
        let (s, _) = run(&State::default(), 1_000, vec![check("vault", Status::Fail, Some(SEALED))]);
        let standby = crate::checks::vault::codes::CLOCK_SKEW;
        let (_, r) = run(&s, 2_000, vec![check("vault", Status::Warn, Some(standby))]);
        let changed = CauseChange { was: "vault.sealed".into(), now: standby, at: at(2_000) };
        assert_eq!(history(&r), &History { failing_since: None, cause_changed: Some(changed) });
    }

    #[test]
    fn the_file_reads_back_as_written_and_holds_names_codes_and_times_only() {
        let (s, _) = run(&State::default(), 1_000, vec![check("vault", Status::Fail, Some(SEALED))]);
        let (s, _) = run(&s, 2_000, vec![check("vault", Status::Fail, Some(REFUSED)), check("db", Status::Ok, None)]);
        let text = to_json(&s, at(2_000));
        assert_eq!(parse(&text), Ok(s));
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["schema"], SCHEMA);
        assert_eq!(
            value["checks"]["vault"],
            serde_json::json!({
                "status": "fail",
                "seen_at": "1970-01-01T00:33:20Z",
                "failing_since": "1970-01-01T00:16:40Z",
                "code": "vault.unreachable.refused",
                "code_since": "1970-01-01T00:33:20Z",
                "previous_code": "vault.sealed"
            })
        );
    }

    #[test]
    fn what_is_wrong_with_a_file_is_said_without_its_content() {
        assert_eq!(parse("{\"password\": hunter2"), Err(StateProblem::NotJson { line: 1, column: 14 }));
        assert_eq!(parse("[\"hunter2\"]"), Err(StateProblem::Foreign));
        assert_eq!(parse("{\"schema\": \"hunter2\"}"), Err(StateProblem::Foreign));
        assert_eq!(
            parse("{\"schema\": \"kbz-check/state/v2\"}"),
            Err(StateProblem::OtherVersion { schema: "kbz-check/state/v2".into() })
        );
        let bad_code = format!(
            "{{\"schema\": \"{SCHEMA}\", \"updated_at\": \"2026-01-01T00:00:00Z\", \"checks\": {{\"v\": {{\"status\": \"fail\", \"seen_at\": \"2026-01-01T00:00:00Z\", \"failing_since\": null, \"code\": \"Hunter 2\", \"code_since\": \"2026-01-01T00:00:00Z\", \"previous_code\": null}}}}}}"
        );
        assert!(matches!(parse(&bad_code), Err(StateProblem::Invalid { line: 1, .. })), "{:?}", parse(&bad_code));
        let bad_time = bad_code
            .replace("\"Hunter 2\"", "null")
            .replace("\"seen_at\": \"2026-01-01T00:00:00Z\"", "\"seen_at\": \"yesterday\"");
        assert!(matches!(parse(&bad_time), Err(StateProblem::Invalid { .. })), "{:?}", parse(&bad_time));
        let good = bad_code.replace("\"Hunter 2\"", "null");
        assert!(parse(&good).is_ok(), "{:?}", parse(&good));
    }

    #[test]
    fn a_missing_file_is_a_first_run_and_others_are_reported_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        assert_eq!(load(&path), Ok(State::default()));
        std::fs::write(&path, "not json").unwrap();
        let mut report =
            Report { generated_at: at(1_000), ..Report::of_checks(vec![check("vault", Status::Ok, None)]) };
        let mut memory = Memory::in_file(path.clone());
        memory.observe(&mut report);
        let problem = StateProblem::NotJson { line: 1, column: 2 };
        assert_eq!(report.notes, [Note::StateDiscarded { path: path.display().to_string(), problem }]);
        memory.save(at(1_000)).unwrap();
        assert_eq!(load(&path), Ok(memory.state.clone().unwrap()));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary left");
    }

    fn status() -> impl Strategy<Value = Status> {
        prop_oneof![Just(Status::Ok), Just(Status::Warn), Just(Status::Fail), Just(Status::Skip)]
    }

    fn code() -> impl Strategy<Value = Option<Code>> {
        prop_oneof![Just(None), Just(Some(SEALED)), Just(Some(REFUSED))]
    }

    proptest! {
        #![proptest_config(crate::test_strategies::config())]

        /// For any sequence of runs, after each: failing_since is the start of
        /// the first failing run of the current failing streak (skips
        /// neither end nor extend it), and none exactly when that run does
        /// not fail; the memory survives the file; a cause change names the
        /// code before the last change and when it happened.
        #[test]
        fn failing_since_is_the_start_of_the_current_streak(
            runs in proptest::collection::vec((status(), code(), 1..100_000u64), 1..30),
        ) {
            let mut state = State::default();
            let mut unix = 1_000_000u64;
            let mut streak: Option<u64> = None;
            // (code, since, previous) over the runs that checked something.
            let mut codes: Option<(Option<Code>, u64, Option<Code>)> = None;
            for (status, code, gap) in runs {
                unix += gap;
                let code = if status == Status::Ok { None } else { code };
                let (next, report) = run(&state, unix, vec![check("c", status, code)]);
                match status {
                    Status::Fail => { streak.get_or_insert(unix); }
                    Status::Ok | Status::Warn => streak = None,
                    Status::Skip => {}
                }
                if status != Status::Skip {
                    codes = Some(match codes {
                        Some((last, since, previous)) if last == code => (last, since, previous),
                        Some((last, _, _)) => (code, unix, last),
                        None => (code, unix, None),
                    });
                }
                let history = history(&report);
                let expected = streak.filter(|_| status == Status::Fail).map(at);
                prop_assert_eq!(history.failing_since, expected);
                prop_assert_eq!(history.failing_since.is_none(), status != Status::Fail);
                let expected_change = match (status, codes) {
                    (Status::Warn | Status::Fail, Some((Some(now), since, Some(was)))) => {
                        Some(CauseChange { was: was.as_str().to_string(), now, at: at(since) })
                    }
                    _ => None,
                };
                prop_assert_eq!(&history.cause_changed, &expected_change);
                // What the file keeps is what memory holds.
                prop_assert_eq!(parse(&to_json(&next, at(unix))), Ok(next.clone()));
                state = next;
            }
        }

        /// Any text as a state file: a state or a problem, never a panic,
        /// and a problem never quotes the text.
        #[test]
        fn any_text_is_a_state_or_a_problem(text in crate::test_strategies::any_text()) {
            if let Err(StateProblem::OtherVersion { schema }) = parse(&text) {
                prop_assert!(is_state_schema(&schema));
            }
        }
    }
}
