//! The report model: what every renderer prints and every exit code is
//! computed from. The verdict is computed here and nowhere else. It holds no
//! words for people: its enums carry their machine names (serde, JSON), and
//! the labels a person reads come from `render::words`.

use crate::code::Code;
use serde::Serialize;
use std::time::{Duration, SystemTime};

/// Outcome of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
    /// Not configured, or disabled: nothing was checked.
    Skip,
}

impl Status {
    pub fn symbol(self) -> &'static str {
        match self {
            Status::Ok => "✅",
            Status::Warn => "⚠️",
            Status::Fail => "❌",
            Status::Skip => "⏭️",
        }
    }
}

/// The whole run's outcome: the one value every format prints and the exit
/// code follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Ok,
    Warn,
    Fail,
    /// Every check was skipped: nothing was checked, so nothing is known to be OK.
    Skip,
}

impl Verdict {
    /// The check status of the same name: a verdict is shown as one.
    pub fn status(self) -> Status {
        match self {
            Verdict::Ok => Status::Ok,
            Verdict::Warn => Status::Warn,
            Verdict::Fail => Status::Fail,
            Verdict::Skip => Status::Skip,
        }
    }

    pub fn symbol(self) -> &'static str {
        self.status().symbol()
    }

    /// Whether the run must not pass a gate: exit code 1. A run that checked
    /// nothing proves nothing, so it blocks too.
    pub fn blocks(self) -> bool {
        matches!(self, Verdict::Fail | Verdict::Skip)
    }
}

/// Urgency of an action; the declaration order is the sort order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Critical,
    High,
    Medium,
    Low,
}

/// One observation: what was asked (a query, a command) and what came back.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evidence {
    pub label: String,
    pub command: Option<String>,
    pub output: String,
}

impl Evidence {
    pub fn new(label: impl Into<String>, command: Option<&str>, output: impl Into<String>) -> Self {
        Self { label: label.into(), command: command.map(str::to_string), output: output.into() }
    }
}

/// Something a person should do, with the command that does it when there is one.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Action {
    pub priority: Priority,
    pub text: String,
    pub command: Option<String>,
    /// Which known remedy this is, for the root-cause rules that reuse it;
    /// not part of the report's formats.
    #[serde(skip)]
    pub remedy: Option<Remedy>,
}

/// Remedies a root-cause rule picks out of a check's actions by kind, not by their words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Remedy {
    /// Give the OAuth backend its SP-API credentials from a Kubernetes secret.
    InjectSpApiCredentials,
}

impl Action {
    pub fn new(priority: Priority, text: impl Into<String>) -> Self {
        Self { priority, text: text.into(), command: None, remedy: None }
    }

    pub fn with_command(mut self, command: impl Into<String>) -> Self {
        self.command = Some(command.into());
        self
    }

    pub fn remedy(mut self, remedy: Remedy) -> Self {
        self.remedy = Some(remedy);
        self
    }
}

/// One diagnosis of a check: its stable code, and how it rates.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    pub code: Code,
    pub status: Status,
    pub summary: String,
    /// For a certificate refused as untrusted: its issuer's name, so that
    /// root causes can join checks that fail on the same unknown CA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
}

impl Finding {
    pub fn new(code: Code, status: Status, summary: impl Into<String>) -> Self {
        Self { code, status, summary: summary.into(), issuer: None }
    }
}

/// What a check returns: its status and why, without timing or naming.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub status: Status,
    pub summary: String,
    pub evidence: Vec<Evidence>,
    /// Why it did not pass, one entry per problem (empty when nothing is wrong).
    pub causes: Vec<String>,
    pub actions: Vec<Action>,
    /// Every diagnosis, the main one (the summary's) first.
    pub findings: Vec<Finding>,
}

impl Outcome {
    pub fn new(status: Status, summary: impl Into<String>) -> Self {
        Self {
            status,
            summary: summary.into(),
            evidence: Vec::new(),
            causes: vec![],
            actions: Vec::new(),
            findings: Vec::new(),
        }
    }

    /// This outcome as one diagnosis with `code` (its summary and status).
    pub fn coded(mut self, code: Code) -> Self {
        self.findings = vec![Finding::new(code, self.status, self.summary.clone())];
        self
    }
}

/// One check's line in the report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CheckResult {
    pub name: String,
    pub kind: String,
    pub status: Status,
    /// The main finding's code: what the summary says, for machines; none when nothing was found.
    pub code: Option<Code>,
    pub target: String,
    pub summary: String,
    /// Total time of its attempts (waits between retries not counted).
    pub duration_ms: u64,
    /// How many times it ran: 1 unless `--retry-for` re-ran a failure.
    pub attempts: u32,
    pub evidence: Vec<Evidence>,
    /// Why it did not pass, one entry per problem. The JSON keeps v1's
    /// `cause`: the entries joined by line feeds, null when there are none.
    #[serde(rename = "cause", serialize_with = "causes_as_one_text")]
    pub causes: Vec<String>,
    pub actions: Vec<Action>,
    /// Every diagnosis with its code, the main one first (empty when none).
    pub findings: Vec<Finding>,
    /// What earlier runs remembered of it (`--state`, `serve`); none when no
    /// memory is kept, and then the JSON has neither of its fields.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub history: Option<History>,
}

/// A check's memory across runs, as of this run (see `state`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct History {
    /// Start of the run that first saw the current failure, with a fail at
    /// every run that checked it since; none when the check does not fail now.
    #[serde(serialize_with = "optional_rfc3339")]
    pub failing_since: Option<SystemTime>,
    /// When the main finding's code last changed from one code to another
    /// while the check did not pass; none when it passes now or has kept its
    /// code since it stopped passing.
    pub cause_changed: Option<CauseChange>,
}

/// The main finding's code changed: it was `was` until `at`, and is `now`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CauseChange {
    /// The earlier code, as the state file kept it (a code of another
    /// version of kbz-check may be one this one no longer has).
    pub was: String,
    pub now: Code,
    /// Start of the first run that saw `now`.
    #[serde(serialize_with = "rfc3339")]
    pub at: SystemTime,
}

impl CheckResult {
    /// Since when it has been failing, when a memory is kept and it fails now.
    pub fn failing_since(&self) -> Option<SystemTime> {
        self.history.as_ref()?.failing_since
    }

    pub fn from_outcome(name: &str, kind: &str, target: &str, duration: Duration, outcome: Outcome) -> Self {
        Self {
            name: name.to_string(),
            kind: kind.to_string(),
            status: outcome.status,
            code: outcome.findings.first().map(|f| f.code),
            target: target.to_string(),
            summary: outcome.summary,
            duration_ms: duration.as_millis() as u64,
            attempts: 1,
            evidence: outcome.evidence,
            causes: outcome.causes,
            actions: outcome.actions,
            findings: outcome.findings,
            history: None,
        }
    }
}

/// An instant as RFC 3339 UTC, whole seconds, as `generated_at` is written.
pub fn rfc3339_text(at: SystemTime) -> String {
    let unix = crate::time::unix_seconds(at).clamp(0, crate::time::LAST_SECOND);
    crate::time::rfc3339(unix).unwrap_or_else(|side| side.to_string())
}

fn rfc3339<S: serde::Serializer>(at: &SystemTime, out: S) -> Result<S::Ok, S::Error> {
    out.serialize_str(&rfc3339_text(*at))
}

fn optional_rfc3339<S: serde::Serializer>(at: &Option<SystemTime>, out: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => out.serialize_some(&rfc3339_text(*at)),
        None => out.serialize_none(),
    }
}

fn causes_as_one_text<S: serde::Serializer>(causes: &[String], out: S) -> Result<S::Ok, S::Error> {
    match causes {
        [] => out.serialize_none(),
        causes => out.serialize_some(&causes.join("\n")),
    }
}

impl Action {
    fn texts_mut(&mut self, f: &mut impl FnMut(&mut String)) {
        f(&mut self.text);
        self.command.iter_mut().for_each(f);
    }
}

impl CheckResult {
    /// Every text a person may read of this result, each once: the one list
    /// that redaction and escaping walk, so a field added later cannot be missed.
    pub fn texts_mut(&mut self, f: &mut impl FnMut(&mut String)) {
        for text in [&mut self.name, &mut self.kind, &mut self.target, &mut self.summary] {
            f(text);
        }
        self.causes.iter_mut().for_each(&mut *f);
        for evidence in &mut self.evidence {
            f(&mut evidence.label);
            f(&mut evidence.output);
            evidence.command.iter_mut().for_each(&mut *f);
        }
        self.actions.iter_mut().for_each(|a| a.texts_mut(f));
        self.findings.iter_mut().for_each(|finding| f(&mut finding.summary));
    }
}

/// One problem stated once, with the checks whose evidence shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RootCause {
    pub code: Code,
    pub summary: String,
    /// Names of the checks that show it.
    pub checks: Vec<String>,
    pub actions: Vec<Action>,
}

#[derive(Clone, Debug)]
pub struct Report {
    pub id: Option<String>,
    pub title: Option<String>,
    pub generated_at: SystemTime,
    pub duration: Duration,
    pub checks: Vec<CheckResult>,
    /// Problems that join several checks, most urgent first (see `rootcause`).
    pub root_causes: Vec<RootCause>,
    /// SIGINT or SIGTERM ended the run before every check finished; the
    /// unfinished ones are `skip` with the summary [`INTERRUPTED`].
    pub interrupted: bool,
    /// `--strict`: a warning or a skipped check fails the run.
    pub strict: bool,
    /// The app process whose environment or network the checks used, if not kbz-check's own.
    pub vantage: Option<crate::vantage::Vantage>,
    /// What the run itself has to say beside the checks (a state file it could not use).
    pub notes: Vec<Note>,
}

/// Something about the run a reader should know, said once at the top of each format.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "note", rename_all = "snake_case")]
pub enum Note {
    /// The state file (`--state`) could not be used: the run started from an
    /// empty memory and the file is replaced. `path` as the user wrote it.
    StateDiscarded { path: String, problem: StateProblem },
}

/// What was wrong with a state file; never anything it holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StateProblem {
    /// It could not be read: the system's reason (`permission denied`).
    Unreadable {
        reason: String,
    },
    /// Larger than an input file may be.
    TooLarge,
    NotText,
    /// Not JSON at all: where the parser stopped.
    NotJson {
        line: usize,
        column: usize,
    },
    /// JSON, but not a kbz-check state file.
    Foreign,
    /// A kbz-check state file of another format version, e.g. `kbz-check/state/v2`.
    OtherVersion {
        schema: String,
    },
    /// The right schema, but a field is missing or of the wrong form: where.
    Invalid {
        line: usize,
        column: usize,
    },
}

/// What made a verdict `fail` or `skip` when no check failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerdictReason {
    /// Every check was skipped.
    NothingChecked,
    /// `--strict` counted a warning or a skipped check as a failure.
    Strict,
    /// SIGINT or SIGTERM stopped the run before every check finished.
    Interrupted,
}

/// The summary of a check that a SIGINT or SIGTERM stopped before it finished.
pub const INTERRUPTED: &str = "interrupted";

impl RootCause {
    /// Every text of this cause, as [`CheckResult::texts_mut`].
    pub fn texts_mut(&mut self, f: &mut impl FnMut(&mut String)) {
        f(&mut self.summary);
        self.checks.iter_mut().for_each(&mut *f);
        self.actions.iter_mut().for_each(|a| a.texts_mut(f));
    }
}

/// How many checks ended in each status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub ok: usize,
    pub warn: usize,
    pub fail: usize,
    pub skip: usize,
    /// Of the skipped, those an interruption stopped.
    pub interrupted: usize,
}

impl Report {
    /// Every text of the report, as [`CheckResult::texts_mut`].
    pub fn texts_mut(&mut self, f: &mut impl FnMut(&mut String)) {
        self.id.iter_mut().chain(self.title.iter_mut()).for_each(&mut *f);
        for note in &mut self.notes {
            match note {
                Note::StateDiscarded { path, .. } => f(path),
            }
        }
        self.checks.iter_mut().for_each(|c| c.texts_mut(f));
        self.root_causes.iter_mut().for_each(|c| c.texts_mut(f));
    }

    /// The one verdict: `fail` if any check failed (or the run was
    /// interrupted: what did not run proves nothing), else `skip` if no check
    /// ran, else `warn` if any warned, else `ok`. With `strict`, a warning or
    /// a skipped check makes it `fail`.
    pub fn verdict(&self) -> Verdict {
        let counts = self.counts();
        let checked = counts.ok + counts.warn + counts.fail;
        let strict_failure = self.strict && (counts.warn > 0 || counts.skip > 0);
        if counts.fail > 0 || self.interrupted || strict_failure {
            Verdict::Fail
        } else if checked == 0 {
            Verdict::Skip
        } else if counts.warn > 0 {
            Verdict::Warn
        } else {
            Verdict::Ok
        }
    }

    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for check in &self.checks {
            match check.status {
                Status::Ok => counts.ok += 1,
                Status::Warn => counts.warn += 1,
                Status::Fail => counts.fail += 1,
                Status::Skip => counts.skip += 1,
            }
            if check.code == Some(crate::code::run::INTERRUPTED) {
                counts.interrupted += 1;
            }
        }
        counts
    }

    /// Why the verdict is stricter than the checks' statuses say, if it is.
    pub fn verdict_reason(&self) -> Option<VerdictReason> {
        let counts = self.counts();
        match self.verdict() {
            Verdict::Skip => Some(VerdictReason::NothingChecked),
            Verdict::Fail if counts.fail == 0 && self.interrupted => Some(VerdictReason::Interrupted),
            Verdict::Fail if counts.fail == 0 => Some(VerdictReason::Strict),
            _ => None,
        }
    }

    /// Exit code 1: the verdict blocks.
    pub fn failed(&self) -> bool {
        self.verdict().blocks()
    }

    /// Every action to take, most urgent first, each with who calls for it
    /// (the checks of a root cause joined by `+`, or one check). Root causes
    /// come before single checks within a priority, and an action already
    /// listed is not repeated.
    pub fn actions_by_priority(&self) -> Vec<(String, &Action)> {
        let from_causes =
            self.root_causes.iter().flat_map(|c| c.actions.iter().map(move |a| (c.checks.join(" + "), a)));
        let from_checks = self.checks.iter().flat_map(|c| c.actions.iter().map(move |a| (c.name.clone(), a)));
        let mut actions: Vec<(String, &Action)> = Vec::new();
        for (who, action) in from_causes.chain(from_checks) {
            if !actions.iter().any(|(_, listed)| listed.text == action.text && listed.command == action.command) {
                actions.push((who, action));
            }
        }
        actions.sort_by_key(|(_, action)| action.priority);
        actions
    }

    /// RFC 3339 UTC timestamp, e.g. `2026-01-07T09:00:00Z`. A clock set
    /// before 1970 or past 9999 is written at that edge: the field stays
    /// RFC 3339 whatever the clock says.
    pub fn generated_at_rfc3339(&self) -> String {
        rfc3339_text(self.generated_at)
    }
}

/// What the tests of every check read of an outcome.
#[cfg(test)]
impl Outcome {
    /// Its findings' codes, the main one first.
    pub(crate) fn codes(&self) -> Vec<&'static str> {
        self.findings.iter().map(|f| f.code.as_str()).collect()
    }

    /// The output of its evidence labelled `label`; there must be one.
    pub(crate) fn evidence_of(&self, label: &str) -> &str {
        let found = self.evidence.iter().find(|e| e.label == label);
        &found.unwrap_or_else(|| panic!("no evidence {label} in {self:#?}")).output
    }
}

/// The report the tests vary from: a finished run of `checks` at the epoch,
/// with no id, title or root cause, not strict, seen from kbz-check itself.
#[cfg(test)]
impl Report {
    pub(crate) fn of_checks(checks: Vec<CheckResult>) -> Report {
        Report {
            id: None,
            title: None,
            generated_at: SystemTime::UNIX_EPOCH,
            duration: Duration::ZERO,
            checks,
            root_causes: vec![],
            interrupted: false,
            strict: false,
            vantage: None,
            notes: vec![],
        }
    }
}

/// A report for the renderers' tests of the memory across runs: vault failing
/// for 21 days whose cause changed, a warning whose cause changed, a pass,
/// a skip, and a state file that was replaced. Observed text holds no
/// English word of the language table.
#[cfg(test)]
impl Report {
    pub(crate) fn remembered() -> Report {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_604_320); // 2026-01-05 09:12 UTC
        let day = Duration::from_secs(86_400);
        let result = |name: &str, status: Status, code: Option<Code>| {
            let outcome = Outcome::new(status, format!("{name} ∅"));
            let outcome = match code {
                Some(code) => outcome.coded(code),
                None => outcome,
            };
            CheckResult::from_outcome(name, "vault", "http://127.0.0.1:8200", Duration::from_millis(4), outcome)
        };
        let mut vault = result("vault", Status::Fail, Some(crate::checks::vault::codes::UNREACHABLE_REFUSED));
        vault.history = Some(History {
            failing_since: Some(start - day * 21),
            cause_changed: Some(CauseChange {
                was: "vault.sealed".into(),
                now: crate::checks::vault::codes::UNREACHABLE_REFUSED,
                at: start - day * 2,
            }),
        });
        let mut skew = result("skew", Status::Warn, Some(crate::checks::vault::codes::CLOCK_SKEW));
        skew.history = Some(History {
            failing_since: None,
            cause_changed: Some(CauseChange {
                was: "vault.sealed".into(),
                now: crate::checks::vault::codes::CLOCK_SKEW,
                at: start,
            }),
        });
        let mut fresh = result("fresh", Status::Fail, Some(crate::checks::vault::codes::SEALED));
        fresh.history = Some(History { failing_since: Some(start), cause_changed: None });
        let mut ok = result("ok", Status::Ok, None);
        ok.history = Some(History::default());
        let mut skipped = result("skipped", Status::Skip, None);
        skipped.history = Some(History::default());
        Report {
            generated_at: start,
            notes: vec![Note::StateDiscarded {
                path: "/var/lib/kbz-check/state.json".into(),
                problem: StateProblem::NotJson { line: 1, column: 2 },
            }],
            ..Report::of_checks(vec![vault, skew, fresh, ok, skipped])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, status: Status, actions: Vec<Action>) -> CheckResult {
        let mut check = CheckResult::from_outcome(name, "postgres", "", Duration::ZERO, Outcome::new(status, ""));
        check.actions = actions;
        check
    }

    #[test]
    fn causes_stay_a_list_and_the_json_keeps_v1s_one_text() {
        let mut two = check("db", Status::Fail, vec![]);
        two.causes = vec!["on a replica".into(), "TLS off".into()];
        let json = serde_json::to_value(&two).unwrap();
        assert_eq!(json["cause"], "on a replica\nTLS off");
        assert!(json.get("causes").is_none(), "v1 has no causes field");
        let none = serde_json::to_value(check("db", Status::Ok, vec![])).unwrap();
        assert!(none["cause"].is_null(), "{none}");
    }

    #[test]
    fn an_interrupted_run_fails_the_exit_code_whatever_finished() {
        let mut stopped = check("b", Status::Skip, vec![]);
        stopped.summary = INTERRUPTED.to_string();
        stopped.code = Some(crate::code::run::INTERRUPTED);
        let mut interrupted = Report::of_checks(vec![check("a", Status::Ok, vec![]), stopped]);
        interrupted.interrupted = true;
        // What did not run proves nothing: the verdict fails, and so does the exit code.
        assert_eq!(interrupted.verdict(), Verdict::Fail);
        assert!(interrupted.failed());
        assert_eq!(interrupted.counts(), Counts { ok: 1, skip: 1, interrupted: 1, ..Counts::default() });
    }

    #[test]
    fn verdict_is_worst_status_and_skip_when_nothing_ran() {
        assert_eq!(Report::of_checks(vec![]).verdict(), Verdict::Skip);
        assert_eq!(
            Report::of_checks(vec![check("a", Status::Skip, vec![]), check("b", Status::Skip, vec![])]).verdict(),
            Verdict::Skip
        );
        assert!(Report::of_checks(vec![check("a", Status::Skip, vec![])]).failed());
        assert_eq!(
            Report::of_checks(vec![check("a", Status::Ok, vec![]), check("b", Status::Skip, vec![])]).verdict(),
            Verdict::Ok
        );
        assert_eq!(
            Report::of_checks(vec![check("a", Status::Warn, vec![]), check("b", Status::Ok, vec![])]).verdict(),
            Verdict::Warn
        );
        assert_eq!(
            Report::of_checks(vec![check("a", Status::Warn, vec![]), check("b", Status::Fail, vec![])]).verdict(),
            Verdict::Fail
        );
    }

    #[test]
    fn strict_turns_warn_and_skip_into_a_failed_verdict() {
        let strict = |checks| Report { strict: true, ..Report::of_checks(checks) };
        let warned = vec![check("a", Status::Warn, vec![])];
        assert_eq!(
            (Report::of_checks(warned.clone()).verdict(), Report::of_checks(warned.clone()).failed()),
            (Verdict::Warn, false)
        );
        assert_eq!((strict(warned.clone()).verdict(), strict(warned).failed()), (Verdict::Fail, true));
        let partly_skipped = vec![check("a", Status::Ok, vec![]), check("b", Status::Skip, vec![])];
        assert_eq!(
            (Report::of_checks(partly_skipped.clone()).verdict(), Report::of_checks(partly_skipped.clone()).failed()),
            (Verdict::Ok, false)
        );
        assert_eq!((strict(partly_skipped.clone()).verdict(), strict(partly_skipped).failed()), (Verdict::Fail, true));
        assert_eq!(strict(vec![check("a", Status::Skip, vec![])]).verdict(), Verdict::Fail);
        assert!(Report::of_checks(vec![check("a", Status::Fail, vec![])]).failed());
    }

    #[test]
    fn actions_sorted_by_priority_then_check_order() {
        let r = Report::of_checks(vec![
            check("vault", Status::Fail, vec![Action::new(Priority::High, "restart vault")]),
            check(
                "db",
                Status::Fail,
                vec![Action::new(Priority::Low, "grant"), Action::new(Priority::Critical, "fix url")],
            ),
            check("smtp", Status::Fail, vec![Action::new(Priority::High, "set SMTP_HOST")]),
        ]);
        let order: Vec<_> = r.actions_by_priority().iter().map(|(who, a)| format!("{who}:{}", a.text)).collect();
        assert_eq!(order, ["db:fix url", "vault:restart vault", "smtp:set SMTP_HOST", "db:grant"]);
    }
}
