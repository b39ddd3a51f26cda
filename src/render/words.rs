//! The fixed words of the text and markdown reports and of the progress
//! lines, in each language (`--lang`): status labels, priorities, headings,
//! table headers, the verdict. The report model holds none of them (its
//! enums have only their machine names, for JSON). Everything observed
//! (evidence, summaries, causes, actions) stays as the checks wrote it; only
//! the report's own words change here. JUnit takes its words from [`EN`]
//! whatever `--lang` says (see `render::junit`).

pub use crate::choices::Lang;
use crate::report::{CauseChange, Counts, Note, Priority, Report, StateProblem, Status, Verdict, VerdictReason};
use crate::vantage::Vantage;
use std::time::{Duration, SystemTime};

impl Lang {
    pub fn words(self) -> &'static Words {
        match self {
            Lang::En => &EN,
            Lang::Fr => &FR,
        }
    }
}

/// One vocabulary. Renderers take every fixed word from here.
#[derive(Debug)]
pub struct Words {
    pub default_title: &'static str,
    pub date: &'static str,
    pub generated: &'static str,
    /// "{date} in {n} ms": the word between them.
    pub generated_in: &'static str,
    pub status: &'static str,
    pub executive_summary: &'static str,
    pub check: &'static str,
    pub component: &'static str,
    pub target: &'static str,
    pub evidence: &'static str,
    pub duration: &'static str,
    /// " (3 attempts)" after a retried check's status or duration.
    pub attempts: &'static str,
    /// Progress lines (stderr, on a terminal) while a check waits for its turn, runs, retries.
    pub progress_waiting: &'static str,
    pub progress_running: &'static str,
    /// `{n}`: the attempt; `{last}`: the previous attempt's status and summary.
    pub progress_running_again: &'static str,
    /// `{n}`: the attempt that failed; `{wait}`: the pause; `{last}`: its status and summary.
    pub progress_retrying: &'static str,
    pub conclusion: &'static str,
    pub root_causes: &'static str,
    pub root_cause: &'static str,
    pub shown_by: &'static str,
    pub fix: &'static str,
    pub required_actions: &'static str,
    pub none: &'static str,
    pub final_verdict: &'static str,
    pub question: &'static str,
    pub answer: &'static str,
    pub all_ok: &'static str,
    pub ok_except: &'static str,
    pub blocking: &'static str,
    /// Emphatic yes/no of the verdict table.
    pub yes: &'static str,
    pub no: &'static str,
    /// The quiet "no" of a question that is fine (Blocking? No).
    pub no_lower: &'static str,
    pub verdict: &'static str,
    pub cause: &'static str,
    pub failed: &'static str,
    pub warned: &'static str,
    pub ok: &'static str,
    pub skipped: &'static str,
    /// Checks an interruption (Ctrl-C, SIGTERM) stopped, among the skipped.
    pub interrupted: &'static str,
    /// A check's status: the summary table, the `FAIL NAME:` lines, the
    /// markdown sections, the progress lines.
    pub status_ok: &'static str,
    pub status_warn: &'static str,
    pub status_fail: &'static str,
    pub status_skip: &'static str,
    pub critical: &'static str,
    pub high: &'static str,
    pub medium: &'static str,
    pub low: &'static str,
    pub verdict_ok: &'static str,
    pub verdict_warn: &'static str,
    pub verdict_fail: &'static str,
    pub verdict_skip: &'static str,
    /// Why a `skip` verdict blocks: no check ran.
    pub nothing_checked: &'static str,
    /// Why a `--strict` verdict fails without a failed check.
    pub strict_note: &'static str,
    /// Why an interrupted run fails though no check failed.
    pub run_interrupted: &'static str,
    /// "All OK?" answered yes while some checks were skipped: `{n}` of them.
    pub not_checked: &'static str,
    /// Where the checks looked from, with `--env-from-pid`, `--netns-of`, `--as-pid`.
    pub seen_from: &'static str,
    /// `{pid}`: the process whose environment the checks read.
    pub environment_of: &'static str,
    /// `{ns}`: its network namespace; `{pid}`: the process.
    pub network_of: &'static str,
    /// `{files}`: the process's resolver files used in place of kbz-check's.
    pub resolved_with: &'static str,
    pub and: &'static str,
    /// Memory across runs (`--state`, `serve`). `{at}`: when; `{for}`: how long, up to the report's start.
    pub failing_since: &'static str,
    /// A failing streak that began with this very run: `{at}`.
    pub failing_since_this_run: &'static str,
    /// `{was}`, `{now}`: finding codes; `{at}`: when the code became `{now}`.
    pub cause_changed: &'static str,
    /// Singular and plural of the units of a span, largest first: days, hours, minutes, seconds.
    pub units: [(&'static str, &'static str); 4],
    /// The label of a note about the run.
    pub note: &'static str,
    /// `{path}`: the state file; `{problem}`: what was wrong with it.
    pub state_discarded: &'static str,
    /// What can be wrong with a state file. `{reason}`: the system's; `{line}`, `{column}`: where.
    pub state_unreadable: &'static str,
    pub state_too_large: &'static str,
    pub state_not_text: &'static str,
    pub state_not_json: &'static str,
    pub state_foreign: &'static str,
    /// `{schema}`: the other version's name.
    pub state_other_version: &'static str,
    pub state_invalid: &'static str,
}

pub static EN: Words = Words {
    default_title: "kbz-check report",
    date: "Date",
    generated: "Generated",
    generated_in: "in",
    status: "Status",
    executive_summary: "Executive summary",
    check: "Check",
    component: "Component",
    target: "Target",
    evidence: "Evidence",
    duration: "Duration",
    attempts: "attempts",
    progress_waiting: "waiting",
    progress_running: "running",
    progress_running_again: "running attempt {n} (last: {last})",
    progress_retrying: "attempt {n} {last}; retrying in {wait}",
    conclusion: "Conclusion",
    root_causes: "Root causes",
    root_cause: "Root cause",
    shown_by: "Shown by",
    fix: "Fix",
    required_actions: "Required actions (by priority)",
    none: "None.",
    final_verdict: "Final verdict",
    question: "Question",
    answer: "Answer",
    all_ok: "All OK?",
    ok_except: "OK except …?",
    blocking: "Blocking?",
    yes: "YES",
    no: "NO",
    no_lower: "No",
    verdict: "Verdict",
    cause: "cause",
    failed: "failed",
    warned: "warned",
    ok: "ok",
    skipped: "skipped",
    interrupted: "interrupted",
    status_ok: "OK",
    status_warn: "WARN",
    status_fail: "FAIL",
    status_skip: "SKIP",
    critical: "CRITICAL",
    high: "HIGH",
    medium: "MEDIUM",
    low: "LOW",
    verdict_ok: "OK",
    verdict_warn: "WARN",
    verdict_fail: "FAIL",
    verdict_skip: "SKIP",
    nothing_checked: "nothing was checked",
    strict_note: "--strict: warnings and skipped checks fail the run",
    run_interrupted: "the run was interrupted before every check finished",
    not_checked: "of what was checked; {n} not checked",
    seen_from: "Seen from",
    environment_of: "the environment of process {pid}",
    network_of: "the network namespace {ns} of process {pid}",
    resolved_with: "(names resolved with its {files})",
    and: "and",
    failing_since: "failing since {at} ({for})",
    failing_since_this_run: "failing since {at} (first seen failing in this run)",
    cause_changed: "cause changed: was {was}, now {now} (since {at})",
    units: [("day", "days"), ("hour", "hours"), ("minute", "minutes"), ("second", "seconds")],
    note: "Note",
    state_discarded:
        "the state file {path} {problem}; it is replaced, and failing-since times start again from this run",
    state_unreadable: "cannot be read ({reason})",
    state_too_large: "is larger than 1 MiB",
    state_not_text: "is not UTF-8 text",
    state_not_json: "is not valid JSON (line {line}, column {column})",
    state_foreign: "is not a kbz-check state file",
    state_other_version: "is in another version of the format ({schema})",
    state_invalid: "does not follow the format kbz-check/state/v1 (line {line}, column {column})",
};

pub static FR: Words = Words {
    default_title: "Rapport kbz-check",
    date: "Date",
    generated: "Généré",
    generated_in: "en",
    status: "Statut",
    executive_summary: "Résumé exécutif",
    check: "Contrôle",
    component: "Composant",
    target: "Cible",
    evidence: "Preuve",
    duration: "Durée",
    attempts: "tentatives",
    progress_waiting: "en attente",
    progress_running: "en cours",
    progress_running_again: "tentative {n} en cours (précédente : {last})",
    progress_retrying: "tentative {n} {last} ; nouvel essai dans {wait}",
    conclusion: "Conclusion",
    root_causes: "Causes racines",
    root_cause: "Cause racine",
    shown_by: "Constaté par",
    fix: "Corriger",
    required_actions: "Actions requises (par priorité)",
    none: "Aucune.",
    final_verdict: "Verdict final",
    question: "Question",
    answer: "Réponse",
    all_ok: "Tout OK ?",
    ok_except: "OK sauf … ?",
    blocking: "BLOQUANT ?",
    yes: "OUI",
    no: "NON",
    no_lower: "Non",
    verdict: "Verdict",
    cause: "cause",
    failed: "en échec",
    warned: "en alerte",
    ok: "ok",
    skipped: "ignorés",
    interrupted: "interrompus",
    // As the verdict (ALERTE, ÉCHEC); a skipped check is "ignoré" as in the
    // counts ("1 ignorés"): the run's NON VÉRIFIÉ is about the whole run.
    status_ok: "OK",
    status_warn: "ALERTE",
    status_fail: "ÉCHEC",
    status_skip: "IGNORÉ",
    critical: "CRITIQUE",
    high: "HAUTE",
    medium: "MOYENNE",
    low: "BASSE",
    verdict_ok: "OK",
    verdict_warn: "ALERTE",
    verdict_fail: "ÉCHEC",
    verdict_skip: "NON VÉRIFIÉ",
    nothing_checked: "rien n'a été vérifié",
    strict_note: "--strict : les alertes et les vérifications ignorées font échouer l'exécution",
    run_interrupted: "l'exécution a été interrompue avant la fin de chaque vérification",
    not_checked: "pour ce qui a été vérifié ; {n} non vérifié(s)",
    seen_from: "Vu depuis",
    environment_of: "l'environnement du processus {pid}",
    network_of: "l'espace de noms réseau {ns} du processus {pid}",
    resolved_with: "(noms résolus avec ses {files})",
    and: "et",
    failing_since: "en échec depuis le {at} ({for})",
    failing_since_this_run: "en échec depuis le {at} (premier échec constaté à cette exécution)",
    cause_changed: "cause modifiée : avant {was}, maintenant {now} (depuis le {at})",
    units: [("jour", "jours"), ("heure", "heures"), ("minute", "minutes"), ("seconde", "secondes")],
    note: "Remarque",
    state_discarded: "le fichier d'état {path} {problem} ; il est remplacé, et les dates de début d'échec repartent de cette exécution",
    state_unreadable: "ne peut pas être lu ({reason})",
    state_too_large: "dépasse 1 Mio",
    state_not_text: "n'est pas du texte UTF-8",
    state_not_json: "n'est pas du JSON valide (ligne {line}, colonne {column})",
    state_foreign: "n'est pas un fichier d'état de kbz-check",
    state_other_version: "est dans une autre version du format ({schema})",
    state_invalid: "ne suit pas le format kbz-check/state/v1 (ligne {line}, colonne {column})",
};

impl Words {
    /// "the environment of process 42 and the network namespace net:[…] of process 42".
    pub fn vantage(&self, vantage: &Vantage) -> String {
        let environment = vantage.environment_of.map(|pid| self.environment_of.replace("{pid}", &pid.to_string()));
        let network = vantage.network_of.map(|pid| {
            let ns = vantage.network_namespace.as_deref().unwrap_or("?");
            let network = self.network_of.replace("{pid}", &pid.to_string()).replace("{ns}", ns);
            match vantage.resolver_files.as_slice() {
                [] => network,
                files => format!("{network} {}", self.resolved_with.replace("{files}", &files.join(", "))),
            }
        });
        environment.into_iter().chain(network).collect::<Vec<_>>().join(&format!(" {} ", self.and))
    }

    /// "failing since 2025-12-15 09:12 UTC (21 days)", counted up to `report_start`.
    pub fn failing_since_line(&self, since: SystemTime, report_start: SystemTime) -> String {
        let at = when(since);
        let span = match report_start.duration_since(since) {
            Ok(span) if span < Duration::from_secs(1) => return self.failing_since_this_run.replace("{at}", &at),
            Ok(span) => span,
            // A clock set back since then: no span to tell, but not this run either.
            Err(_) => Duration::ZERO,
        };
        self.failing_since.replace("{at}", &at).replace("{for}", &self.span(span))
    }

    /// "cause changed: was vault.sealed, now vault.unreachable.refused (since …)";
    /// `code` writes each code as its format wants it (a code span in markdown).
    pub fn cause_changed_line(&self, change: &CauseChange, code: impl Fn(&str) -> String) -> String {
        self.cause_changed
            .replace("{at}", &when(change.at))
            .replace("{now}", &code(change.now.as_str()))
            .replace("{was}", &code(&change.was))
    }

    /// A span in the two largest units that are not zero, as `human::duration`
    /// writes durations, in words: `21 days 4 hours`, `3 minutes`.
    pub fn span(&self, span: Duration) -> String {
        // jiff's limit for a span in seconds, far beyond any time a state file holds (year 9999).
        const MOST: i64 = 631_107_417_600;
        let seconds = i64::try_from(span.as_secs()).unwrap_or(MOST).min(MOST);
        let round = jiff::SpanRound::new().largest(jiff::Unit::Day).days_are_24_hours();
        let parts = match jiff::Span::new().try_seconds(seconds).and_then(|s| s.round(round)) {
            Ok(s) => [i64::from(s.get_days()), i64::from(s.get_hours()), s.get_minutes(), s.get_seconds()],
            Err(_) => [0, 0, 0, seconds],
        };
        let first = parts.iter().position(|&n| n > 0).unwrap_or(3);
        (first..(first + 2).min(4))
            .filter(|&i| parts[i] > 0 || i == first)
            .map(|i| {
                let (one, many) = self.units[i];
                format!("{} {}", parts[i], if parts[i] == 1 { one } else { many })
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A note about the run, in words.
    pub fn note_text(&self, note: &Note) -> String {
        match note {
            Note::StateDiscarded { path, problem } => {
                // The path is the user's: filled in last, so nothing in it is taken for a placeholder.
                self.state_discarded.replace("{problem}", &self.state_problem(problem)).replace("{path}", path)
            }
        }
    }

    fn state_problem(&self, problem: &StateProblem) -> String {
        let at = |text: &str, line: usize, column: usize| {
            text.replace("{line}", &line.to_string()).replace("{column}", &column.to_string())
        };
        match problem {
            StateProblem::Unreadable { reason } => self.state_unreadable.replace("{reason}", reason),
            StateProblem::TooLarge => self.state_too_large.to_string(),
            StateProblem::NotText => self.state_not_text.to_string(),
            StateProblem::NotJson { line, column } => at(self.state_not_json, *line, *column),
            StateProblem::Foreign => self.state_foreign.to_string(),
            StateProblem::OtherVersion { schema } => self.state_other_version.replace("{schema}", schema),
            StateProblem::Invalid { line, column } => at(self.state_invalid, *line, *column),
        }
    }

    /// " (3 attempts)" when a check was retried, else nothing.
    /// The progress line of attempt `n` while it runs, after `last` (e.g. `FAIL refused`) failed.
    pub fn running_again(&self, n: u32, last: &str) -> String {
        // `last` quotes a server: filled in last, so nothing in it is taken for a placeholder.
        self.progress_running_again.replace("{n}", &n.to_string()).replace("{last}", last)
    }

    /// The progress line of attempt `n`, which ended in `last`, while the next one waits `wait`.
    pub fn retrying(&self, n: u32, last: &str, wait: &str) -> String {
        self.progress_retrying.replace("{n}", &n.to_string()).replace("{wait}", wait).replace("{last}", last)
    }

    pub fn attempts_note(&self, attempts: u32) -> String {
        if attempts > 1 {
            format!(" ({attempts} {})", self.attempts)
        } else {
            String::new()
        }
    }

    /// A check's status in words: `FAIL`, `ÉCHEC`.
    pub fn status_label(&self, status: Status) -> &'static str {
        match status {
            Status::Ok => self.status_ok,
            Status::Warn => self.status_warn,
            Status::Fail => self.status_fail,
            Status::Skip => self.status_skip,
        }
    }

    /// The widest status label, in characters: the column the progress lines pad to.
    pub fn status_width(&self) -> usize {
        [Status::Ok, Status::Warn, Status::Fail, Status::Skip]
            .map(|status| self.status_label(status).chars().count())
            .into_iter()
            .max()
            .unwrap_or(0)
    }

    pub fn priority(&self, priority: Priority) -> &'static str {
        match priority {
            Priority::Critical => self.critical,
            Priority::High => self.high,
            Priority::Medium => self.medium,
            Priority::Low => self.low,
        }
    }

    /// The reason a verdict gives beyond the statuses, in words.
    pub fn verdict_reason(&self, reason: VerdictReason) -> &'static str {
        match reason {
            VerdictReason::NothingChecked => self.nothing_checked,
            VerdictReason::Strict => self.strict_note,
            VerdictReason::Interrupted => self.run_interrupted,
        }
    }

    /// The verdict's label, and its reason when it has one: `SKIP — nothing was checked`.
    pub fn verdict_text(&self, report: &Report) -> String {
        let label = self.verdict_label(report.verdict());
        match report.verdict_reason() {
            Some(reason) => format!("{label} — {}", self.verdict_reason(reason)),
            None => label.to_string(),
        }
    }

    pub fn verdict_label(&self, verdict: Verdict) -> &'static str {
        match verdict {
            Verdict::Ok => self.verdict_ok,
            Verdict::Warn => self.verdict_warn,
            Verdict::Fail => self.verdict_fail,
            Verdict::Skip => self.verdict_skip,
        }
    }

    /// "1 failed, 1 warned, 2 ok, 1 skipped", leaving out zeros but `ok`.
    pub fn counts(&self, c: Counts) -> String {
        let mut parts = Vec::new();
        if c.fail > 0 {
            parts.push(format!("{} {}", c.fail, self.failed));
        }
        if c.warn > 0 {
            parts.push(format!("{} {}", c.warn, self.warned));
        }
        parts.push(format!("{} {}", c.ok, self.ok));
        if c.interrupted > 0 {
            // Said apart from the other skips: what did not finish proves nothing.
            parts.push(format!("{} {} ({} {})", c.skip, self.skipped, c.interrupted, self.interrupted));
        } else if c.skip > 0 {
            parts.push(format!("{} {}", c.skip, self.skipped));
        }
        parts.join(", ")
    }
}

/// An instant as people read it in a report: `2025-12-15 09:12 UTC`.
pub fn when(at: SystemTime) -> String {
    let text = crate::report::rfc3339_text(at);
    match (text.get(..10), text.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} {time} UTC"),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_in_their_two_largest_units_in_each_language() {
        let d = |secs: u64| Duration::from_secs(secs);
        assert_eq!(EN.span(d(21 * 86_400)), "21 days");
        assert_eq!(EN.span(d(21 * 86_400 + 4 * 3600 + 59)), "21 days 4 hours");
        assert_eq!(EN.span(d(86_400 + 60)), "1 day");
        assert_eq!(EN.span(d(3600 + 60)), "1 hour 1 minute");
        assert_eq!(EN.span(d(59)), "59 seconds");
        assert_eq!(EN.span(d(0)), "0 seconds");
        assert_eq!(FR.span(d(21 * 86_400 + 2 * 3600)), "21 jours 2 heures");
        assert_eq!(FR.span(d(1)), "1 seconde");
        assert_eq!(EN.span(Duration::MAX), "7304484 days");
    }

    #[test]
    fn failing_since_and_cause_changed_read_as_the_issue_asks() {
        let since = SystemTime::UNIX_EPOCH + Duration::from_secs(1_765_789_920); // 2025-12-15 09:12 UTC
        let start = since + Duration::from_secs(21 * 86_400);
        assert_eq!(EN.failing_since_line(since, start), "failing since 2025-12-15 09:12 UTC (21 days)");
        assert_eq!(FR.failing_since_line(since, start), "en échec depuis le 2025-12-15 09:12 UTC (21 jours)");
        assert_eq!(
            EN.failing_since_line(since, since),
            "failing since 2025-12-15 09:12 UTC (first seen failing in this run)"
        );
        let set_back = since - Duration::from_secs(60);
        assert_eq!(EN.failing_since_line(since, set_back), "failing since 2025-12-15 09:12 UTC (0 seconds)");
        let change = CauseChange {
            was: "vault.sealed".into(),
            now: crate::checks::vault::codes::UNREACHABLE_REFUSED,
            at: start,
        };
        assert_eq!(
            EN.cause_changed_line(&change, str::to_string),
            "cause changed: was vault.sealed, now vault.unreachable.refused (since 2026-01-05 09:12 UTC)"
        );
        assert_eq!(
            FR.cause_changed_line(&change, |c| format!("`{c}`")),
            "cause modifiée : avant `vault.sealed`, maintenant `vault.unreachable.refused` (depuis le 2026-01-05 09:12 UTC)"
        );
    }

    #[test]
    fn a_discarded_state_file_is_told_in_each_language() {
        let note = Note::StateDiscarded {
            path: "/var/lib/kbz/{problem}.json".into(),
            problem: StateProblem::NotJson { line: 3, column: 7 },
        };
        assert_eq!(
            EN.note_text(&note),
            "the state file /var/lib/kbz/{problem}.json is not valid JSON (line 3, column 7); it is replaced, and failing-since times start again from this run"
        );
        assert!(FR.note_text(&note).starts_with(
            "le fichier d'état /var/lib/kbz/{problem}.json n'est pas du JSON valide (ligne 3, colonne 7) ;"
        ));
    }

    #[test]
    fn both_languages_name_every_priority_and_count() {
        let counts = Counts { ok: 2, warn: 1, fail: 1, skip: 1, interrupted: 0 };
        assert_eq!(EN.counts(counts), "1 failed, 1 warned, 2 ok, 1 skipped");
        assert_eq!(FR.counts(counts), "1 en échec, 1 en alerte, 2 ok, 1 ignorés");
        assert_eq!(EN.counts(Counts::default()), "0 ok");
        let stopped = Counts { ok: 1, skip: 3, interrupted: 2, ..Counts::default() };
        assert_eq!(EN.counts(stopped), "1 ok, 3 skipped (2 interrupted)");
        assert_eq!(FR.counts(stopped), "1 ok, 3 ignorés (2 interrompus)");
        assert_eq!(FR.priority(Priority::Critical), "CRITIQUE");
        assert_eq!(EN.priority(Priority::Low), "LOW");
        assert_eq!(Lang::Fr.words().executive_summary, "Résumé exécutif");
        assert_eq!(Lang::default().words().final_verdict, "Final verdict");
    }

    #[test]
    fn both_languages_name_every_status() {
        let all = [Status::Ok, Status::Warn, Status::Fail, Status::Skip];
        assert_eq!(all.map(|s| EN.status_label(s)), ["OK", "WARN", "FAIL", "SKIP"]);
        assert_eq!(all.map(|s| FR.status_label(s)), ["OK", "ALERTE", "ÉCHEC", "IGNORÉ"]);
        // The same words as the verdict where the two meet.
        for words in [&EN, &FR] {
            assert_eq!(words.status_label(Status::Warn), words.verdict_label(Verdict::Warn));
            assert_eq!(words.status_label(Status::Fail), words.verdict_label(Verdict::Fail));
        }
        assert_eq!((EN.status_width(), FR.status_width()), (4, 6));
    }

    /// Moved from `report.rs` (`Report::counts_line`): the report model holds no words.
    #[test]
    fn counts_line_names_each_nonzero_status() {
        let counts = Counts { ok: 1, fail: 1, skip: 1, ..Counts::default() };
        assert_eq!(EN.counts(counts), "1 failed, 1 ok, 1 skipped");
    }
}
