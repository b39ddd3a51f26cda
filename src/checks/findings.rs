//! How a check's diagnosis gathers what it saw and what is wrong, then
//! becomes one outcome: the worst problem's summary heads the line, every
//! cause is kept, and the actions come most urgent first.

use crate::code::Code;
use crate::report::{Action, Evidence, Finding, Outcome, Status};
use crate::unanswered::Told;

struct Problem {
    code: Code,
    status: Status,
    summary: String,
    cause: String,
    actions: Vec<Action>,
    issuer: Option<String>,
}

#[derive(Default)]
pub struct Findings {
    evidence: Vec<Evidence>,
    problems: Vec<Problem>,
}

impl Findings {
    pub fn evidence(&mut self, label: impl Into<String>, command: Option<&str>, output: impl Into<String>) {
        self.evidence.push(Evidence::new(label, command, output));
    }

    /// Replaces the evidence gathered so far (for checks that build it in one go).
    pub fn set_evidence(&mut self, evidence: Vec<Evidence>) {
        self.evidence = evidence;
    }

    /// A diagnosis with its stable code.
    pub fn problem(&mut self, code: Code, status: Status, summary: String, cause: String, actions: Vec<Action>) {
        self.problems.push(Problem { code, status, summary, cause, actions, issuer: None });
    }

    /// A certificate refused as untrusted, with the name of its `issuer`:
    /// root causes join the checks that fail on the same unknown CA.
    pub fn untrusted(&mut self, code: Code, issuer: String, summary: String, cause: String, actions: Vec<Action>) {
        let issuer = Some(issuer).filter(|issuer| !issuer.is_empty());
        self.problems.push(Problem { code, status: Status::Fail, summary, cause, actions, issuer });
    }

    /// A request without an answer ([`crate::unanswered::told`]) as a
    /// failure, an untrusted certificate keeping its issuer.
    pub fn fail_told(&mut self, told: Told) {
        match told.issuer {
            Some(issuer) => self.untrusted(told.code, issuer, told.summary, told.cause, told.actions),
            None => self.fail(told.code, told.summary, told.cause, told.actions),
        }
    }

    pub fn fail(&mut self, code: Code, summary: String, cause: String, actions: Vec<Action>) {
        self.problem(code, Status::Fail, summary, cause, actions);
    }

    pub fn warn(&mut self, code: Code, summary: String, cause: String, actions: Vec<Action>) {
        self.problem(code, Status::Warn, summary, cause, actions);
    }

    /// Whether a problem with `code` was found already.
    pub fn has(&self, code: Code) -> bool {
        self.problems.iter().any(|p| p.code == code)
    }

    /// `ok_summary` is the line when nothing is wrong.
    pub fn into_outcome(mut self, ok_summary: String) -> Outcome {
        // Stable sorts: problems and actions keep their found order within a rank.
        self.problems.sort_by_key(|p| if p.status == Status::Fail { 0 } else { 1 });
        let Some(first) = self.problems.first() else {
            return Outcome { evidence: self.evidence, ..Outcome::new(Status::Ok, ok_summary) };
        };
        let mut outcome = Outcome::new(first.status, first.summary.clone());
        outcome.findings = self
            .problems
            .iter()
            .map(|p| Finding { issuer: p.issuer.clone(), ..Finding::new(p.code, p.status, p.summary.clone()) })
            .collect();
        outcome.causes = self.problems.iter().map(|p| p.cause.clone()).collect();
        outcome.actions = self.problems.into_iter().flat_map(|p| p.actions).collect();
        outcome.actions.sort_by_key(|a: &Action| a.priority);
        outcome.evidence = self.evidence;
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Priority;

    #[test]
    fn nothing_wrong_is_ok_with_the_evidence() {
        let mut found = Findings::default();
        found.evidence("role", Some("SELECT 1"), "1");
        let outcome = found.into_outcome("fine".into());
        assert_eq!((outcome.status, outcome.summary.as_str(), outcome.evidence.len()), (Status::Ok, "fine", 1));
        assert!(outcome.causes.is_empty());
    }

    #[test]
    fn findings_keep_their_codes_the_main_one_first() {
        crate::codes! {
            SLOW = "test.slow": "slow";
            BROKEN = "test.broken": "broken";
        }
        let mut found = Findings::default();
        found.warn(SLOW, "slow".into(), "lag".into(), vec![]);
        found.fail(BROKEN, "broken".into(), "down".into(), vec![]);
        let outcome = found.into_outcome("fine".into());
        let codes: Vec<_> = outcome.findings.iter().map(|f| (f.code.as_str(), f.status)).collect();
        assert_eq!(codes, [("test.broken", Status::Fail), ("test.slow", Status::Warn)]);
        assert_eq!(ALL.len(), 2);
    }

    #[test]
    fn a_failure_heads_warnings_and_actions_come_by_priority() {
        crate::codes! {
            LAG = "test.lag": "lag";
            DOWN = "test.down": "down";
            CERT = "test.cert": "cert";
        }
        assert_eq!(ALL.len(), 3);
        let mut found = Findings::default();
        found.warn(LAG, "slow".into(), "lag".into(), vec![Action::new(Priority::Medium, "look")]);
        found.fail(DOWN, "broken".into(), "down".into(), vec![Action::new(Priority::Critical, "fix")]);
        found.warn(CERT, "old".into(), "cert".into(), vec![Action::new(Priority::Low, "renew")]);
        let outcome = found.into_outcome("fine".into());
        assert_eq!((outcome.status, outcome.summary.as_str()), (Status::Fail, "broken"));
        assert_eq!(outcome.causes, ["down", "lag", "cert"]);
        let codes: Vec<_> = outcome.findings.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, ["test.down", "test.lag", "test.cert"]);
        let priorities: Vec<_> = outcome.actions.iter().map(|a| a.priority).collect();
        assert_eq!(priorities, [Priority::Critical, Priority::Medium, Priority::Low]);
    }
}
