//! The fixed words of the text and markdown reports and of the progress
//! lines, in each language (`--lang`): status labels, priorities, headings,
//! table headers, the verdict. The report model holds none of them (its
//! enums have only their machine names, for JSON). Everything observed
//! (evidence, summaries, causes, actions) stays as the checks wrote it; only
//! the report's own words change here. JUnit takes its words from [`EN`]
//! whatever `--lang` says (see `render::junit`).

pub use crate::choices::Lang;
use crate::report::{Counts, Priority, Report, Status, Verdict, VerdictReason};
use crate::vantage::Vantage;

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

#[cfg(test)]
mod tests {
    use super::*;

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
