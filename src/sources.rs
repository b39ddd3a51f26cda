//! Sources that disagree: a variable set one way in the process environment
//! and another in an env file (or the app's own process) is the trap of the
//! first reference incident, where the Secret said leader and the `.env` the
//! app loaded said replica. The check used the value that wins here; the
//! report says so, names the other sources, and compares secret values by
//! fingerprint only.

use crate::code::run::SOURCES_DISAGREE;
use crate::report::{Action, CheckResult, Evidence, Finding, Priority, Status};
use crate::settings::{CheckEntry, Origin, SettingView};

/// Adds to each checked result whose settings' variables disagree across
/// sources: the evidence, a warning finding, its cause and action. A check
/// that passed becomes a warning: what it proved holds for one value only.
pub fn note_disagreements(entries: &[CheckEntry], results: &mut [CheckResult]) {
    for result in results.iter_mut().filter(|r| r.status != Status::Skip) {
        let Some(entry) = entries.iter().find(|e| e.name == result.name) else { continue };
        let disagreeing: Vec<&SettingView> = entry.settings.iter().filter(|s| !s.differs.is_empty()).collect();
        if disagreeing.is_empty() {
            continue;
        }
        let described: Vec<String> = disagreeing.iter().map(|view| describe(view)).collect();
        result.evidence.push(Evidence::new("configuration sources", None, described.join("\n")));
        let names: Vec<String> = disagreeing.iter().map(|view| variable(view)).collect();
        let verb = if names.len() == 1 { "differs" } else { "differ" };
        let summary =
            format!("{} {verb} between sources; the value checked is the one that wins here", names.join(", "));
        result.causes.push(format!(
            "{}. The app reads only one of them (its loader's own order, or a restart since a file changed), and it may not be the one checked",
            described.join("; ")
        ));
        result.actions.push(Action::new(
            Priority::Medium,
            format!("Make the sources of {} agree, or check with the app's own process (--env-from-pid PID) to see the value it runs with", names.join(", ")),
        ));
        result.actions.sort_by_key(|a| a.priority);
        if result.status == Status::Ok {
            result.status = Status::Warn;
            result.code = Some(SOURCES_DISAGREE);
            result.summary = format!("{}; but {summary}", result.summary);
            result.findings.push(Finding::new(SOURCES_DISAGREE, Status::Warn, result.summary.clone()));
        } else {
            result.findings.push(Finding::new(SOURCES_DISAGREE, Status::Warn, summary));
        }
    }
}

fn variable(view: &SettingView) -> String {
    match &view.origin {
        Origin::Var { name, .. } => name.clone(),
        _ => view.key.clone(),
    }
}

/// `DATABASE_URL is postgresql://app:***#1a2b@db:5432/app from env file .env
/// (used), postgresql://app:***#9f8e@db-ro:5432/app in the process environment`.
fn describe(view: &SettingView) -> String {
    let used = match &view.origin {
        Origin::Var { source, .. } => format!("{} from {source} (used)", view.value),
        origin => format!("{} from {origin} (used)", view.value),
    };
    let others: Vec<String> = view.differs.iter().map(|(source, value)| format!("{value} in the {source}")).collect();
    format!("{} is {used}, {}", variable(view), others.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::VarSource;
    use crate::report::Outcome;
    use crate::secret::Secret;
    use crate::settings::Plan;
    use std::path::PathBuf;
    use std::time::Duration;

    fn entry(differs: Vec<(VarSource, String)>) -> CheckEntry {
        let overridden = differs.iter().map(|(source, _)| (source.clone(), Secret::new("lost"))).collect();
        let origin =
            Origin::Var { name: "SMTP_HOST".into(), source: VarSource::EnvFile(PathBuf::from(".env")), overridden };
        let view = SettingView { key: "host".into(), value: "mail-new".into(), origin, differs };
        CheckEntry {
            name: "smtp".into(),
            kind: "smtp",
            target: String::new(),
            timeout: None,
            plan: Plan::Skip(String::new()),
            settings: vec![view],
        }
    }

    fn result(status: Status) -> CheckResult {
        CheckResult::from_outcome("smtp", "smtp", "", Duration::ZERO, Outcome::new(status, "relay fine"))
    }

    #[test]
    fn a_pass_with_disagreeing_sources_is_a_warning_that_names_both() {
        let entries = [entry(vec![(VarSource::Process, "mail-old".into())])];
        let mut results = [result(Status::Ok)];
        note_disagreements(&entries, &mut results);
        let r = &results[0];
        assert_eq!((r.status, r.code), (Status::Warn, Some(SOURCES_DISAGREE)));
        assert_eq!(
            r.summary,
            "relay fine; but SMTP_HOST differs between sources; the value checked is the one that wins here"
        );
        assert_eq!(r.findings[0].summary, r.summary);
        assert_eq!(
            r.evidence[0].output,
            "SMTP_HOST is mail-new from env file .env (used), mail-old in the process environment"
        );
    }

    #[test]
    fn agreeing_sources_and_skipped_checks_are_left_alone() {
        let mut results = [result(Status::Ok)];
        note_disagreements(&[entry(vec![])], &mut results);
        assert_eq!(results[0], result(Status::Ok));
        let mut results = [result(Status::Skip)];
        note_disagreements(&[entry(vec![(VarSource::Process, "x".into())])], &mut results);
        assert_eq!(results[0], result(Status::Skip));
    }
}
