//! Root causes that join the evidence of several checks, so a report states
//! a cause once with everything that shows it: the OAuth backend's
//! `fetch failed` and an unreachable Vault are one problem, not two.
//!
//! Each rule is a small function over the results, tested on its own.

use crate::report::{Action, CheckResult, Priority, Remedy, RootCause, Status};
use std::net::Ipv4Addr;

/// The root causes' codes.
pub mod codes {
    crate::codes! {
        WRITES_ON_REPLICA = "cause.writes_on_replica": "the database URL lands on a read-only replica, so every write fails (SQLSTATE 25006)";
        BACKEND_CANNOT_FETCH_FROM_VAULT = "cause.backend_cannot_fetch_from_vault": "the OAuth backend cannot get its SP-API credentials because Vault is down or out of reach";
        SMTP_PASSWORD_SOURCE_DOWN = "cause.smtp_password_source_down": "the SMTP login fails or lacks its password while Vault, where it is kept, is down";
        RANGE_BLOCKED = "cause.range_blocked": "every target in one address range got no answer to its TCP handshake while targets elsewhere answered: traffic to that range is dropped on the way (a firewall, a NetworkPolicy, a missing route)";
        HOST_REFUSES_EVERYTHING = "cause.host_refuses_everything": "several checks are refused by one host and none of its services answered: its services are down (after a reboot, say), not each check's own";
    }
}

type Rule = fn(&[CheckResult]) -> Option<RootCause>;

/// Every rule, each independent; their causes are sorted by urgency.
const RULES: &[Rule] = &[
    writes_fail_on_a_replica,
    backend_cannot_fetch_from_vault,
    smtp_password_source_down,
    host_refuses_everything,
    range_blocked,
];

pub fn find(checks: &[CheckResult]) -> Vec<RootCause> {
    let mut causes: Vec<RootCause> = RULES.iter().filter_map(|rule| rule(checks)).collect();
    causes.sort_by_key(|cause| cause.actions.iter().map(|a| a.priority).min().unwrap_or(Priority::Low));
    causes
}

/// Failed or warned checks of `kind` with a finding in one of `families`
/// (a code, or a code's family: `vault.unreachable` holds `vault.unreachable.refused`).
fn showing<'a>(checks: &'a [CheckResult], kind: &str, families: &[&str]) -> Vec<&'a CheckResult> {
    checks
        .iter()
        .filter(|c| c.kind == kind && matches!(c.status, Status::Fail | Status::Warn))
        .filter(|c| c.findings.iter().any(|f| families.iter().any(|family| f.code.is_in(family))))
        .collect()
}

/// Vault cannot hand out secrets: not reachable from here (or it timed out),
/// its TLS refused, or it runs without serving (sealed, not initialised, cut
/// from its cluster, no active node).
const VAULT_DOWN: &[&str] = &[
    "vault.unreachable",
    "vault.peer_stalled",
    "vault.tls",
    "vault.sealed",
    "vault.not_initialized",
    "vault.dr_secondary",
    "vault.ha_unhealthy",
    "vault.removed_from_cluster",
    "vault.standby_without_active",
    "check.timed_out",
];

/// The SMTP login cannot succeed with the credentials the app has.
const SMTP_LOGIN_FAILS: &[&str] =
    &["smtp.auth.rejected", "smtp.auth.method_required", "smtp.auth.password_missing", "smtp.auth.user_missing"];

/// The connection string lands on a replica (with one host, or with every host).
const ON_REPLICA: &[&str] = &["postgres.on_replica"];

/// The OAuth backend lacks its credentials, or could not fetch them.
const OAUTH_CREDENTIALS_UNAVAILABLE: &[&str] = &["oauth.upstream_fetch_failed", "oauth.client_id_missing"];

fn names(checks: &[&CheckResult]) -> Vec<String> {
    checks.iter().map(|c| c.name.clone()).collect()
}

fn summaries(checks: &[&CheckResult]) -> String {
    checks.iter().map(|c| format!("{}: {}", c.name, c.summary)).collect::<Vec<_>>().join("; ")
}

/// The app's URL on a replica makes every write fail; its fix comes first.
fn writes_fail_on_a_replica(checks: &[CheckResult]) -> Option<RootCause> {
    let on_replica = showing(checks, "postgres", ON_REPLICA);
    let first = on_replica.first()?;
    let actions = on_replica
        .iter()
        .flat_map(|c| c.actions.iter().filter(|a| a.priority == Priority::Critical))
        .cloned()
        .collect();
    Some(RootCause {
        code: codes::WRITES_ON_REPLICA,
        summary: format!(
            "Writes fail with SQLSTATE 25006: the database URL points at a read-only replica ({})",
            first.summary
        ),
        checks: names(&on_replica),
        actions,
    })
}

/// The OAuth start endpoint answers `fetch failed` (or lacks its client id)
/// while Vault, where the backend reads its credentials, is down or out of
/// reach.
fn backend_cannot_fetch_from_vault(checks: &[CheckResult]) -> Option<RootCause> {
    let oauth = showing(checks, "oauth", OAUTH_CREDENTIALS_UNAVAILABLE);
    let vault = showing(checks, "vault", VAULT_DOWN);
    if oauth.is_empty() || vault.is_empty() {
        return None;
    }
    Some(RootCause {
        code: codes::BACKEND_CANNOT_FETCH_FROM_VAULT,
        summary: format!(
            "The backend cannot fetch its Amazon SP-API credentials from Vault: {}; {}",
            summaries(&oauth),
            summaries(&vault)
        ),
        checks: names(&oauth).into_iter().chain(names(&vault)).collect(),
        actions: vec![inject_credentials(&oauth)],
    })
}

/// The oauth check's own "inject the credentials" remedy (its command is the
/// precise one), made the critical action; a generic one if it has none.
fn inject_credentials(oauth: &[&CheckResult]) -> Action {
    let own = oauth.iter().flat_map(|c| &c.actions).find(|a| a.remedy == Some(Remedy::InjectSpApiCredentials));
    match own {
        Some(action) => Action { priority: Priority::Critical, ..action.clone() },
        None => Action::new(
            Priority::Critical,
            "Inject the SP-API credentials into the backend as environment variables from a secret and drop its Vault settings, or make Vault reachable from where the backend runs: an Ingress, the Vault Agent Injector, or the External Secrets Operator",
        )
        .remedy(Remedy::InjectSpApiCredentials),
    }
}

/// The SMTP login fails or has no password while Vault, which holds
/// SMTP_PASS, is down: the password the app has is missing or stale.
fn smtp_password_source_down(checks: &[CheckResult]) -> Option<RootCause> {
    let smtp = showing(checks, "smtp", SMTP_LOGIN_FAILS);
    let vault = showing(checks, "vault", VAULT_DOWN);
    if smtp.is_empty() || vault.is_empty() {
        return None;
    }
    let mut actions: Vec<Action> = vault.iter().flat_map(|c| c.actions.first()).cloned().collect();
    actions.push(Action::new(
        Priority::High,
        "Once Vault serves again, deliver SMTP_PASS to the app again (re-run the step that copies it into its environment) and restart it",
    ));
    Some(RootCause {
        code: codes::SMTP_PASSWORD_SOURCE_DOWN,
        summary: format!(
            "The SMTP login cannot work while Vault, where SMTP_PASS is kept, is down: {}; {}",
            summaries(&smtp),
            summaries(&vault)
        ),
        checks: names(&smtp).into_iter().chain(names(&vault)).collect(),
        actions,
    })
}

/// Whether the check's main finding is `topic` in whichever kind
/// (`unreachable.refused` for `vault.unreachable.refused`).
fn has_topic(check: &CheckResult, topic: &str) -> bool {
    check.code.is_some_and(|code| code.topic() == topic)
}

/// Groups of two or more checks that share a `place` (a host, a range) and
/// whose every check there, run and not skipped, has the finding `topic`.
fn places_where_all<'a, P: PartialEq>(
    checks: &'a [CheckResult],
    topic: &str,
    place: impl Fn(&'a CheckResult) -> Option<P>,
) -> Vec<(P, Vec<&'a CheckResult>)> {
    let mut groups: Vec<(P, Vec<&CheckResult>)> = Vec::new();
    for check in checks.iter().filter(|c| c.status != Status::Skip) {
        let Some(at) = place(check) else { continue };
        match groups.iter_mut().find(|(p, _)| *p == at) {
            Some((_, group)) => group.push(check),
            None => groups.push((at, vec![check])),
        }
    }
    groups.retain(|(_, group)| group.len() >= 2 && group.iter().all(|c| has_topic(c, topic)));
    groups
}

/// Several checks refused by one host, and no check reached a service
/// there: the host's services are down (a reboot that started none of them,
/// a wrong machine behind the address), one problem rather than one per check.
fn host_refuses_everything(checks: &[CheckResult]) -> Option<RootCause> {
    let (host, on_host) =
        places_where_all(checks, "unreachable.refused", |c| target_host(&c.target)).into_iter().next()?;
    Some(RootCause {
        code: codes::HOST_REFUSES_EVERYTHING,
        summary: format!(
            "{host} refuses every connection kbz-check made ({}): the host answers, but none of these services listens there",
            names(&on_host).join(", ")
        ),
        checks: names(&on_host),
        actions: vec![Action::new(
            Priority::High,
            format!("Log in to {host} and see which services failed to start (after a reboot, say), or whether the address now belongs to another machine"),
        )
        .with_command("systemctl --failed; ss -ltnp")],
    })
}

/// Every target in one IPv4 /24 got no answer to its TCP handshake
/// (`*.unreachable.timeout`) while a target outside it answered: the path to
/// that range is blocked from here, one cause for all of them. Names are
/// left out: only an address says which range a target is in.
fn range_blocked(checks: &[CheckResult]) -> Option<RootCause> {
    let range = |check: &CheckResult| {
        let [a, b, c, _] = target_host(&check.target)?.parse::<Ipv4Addr>().ok()?.octets();
        Some([a, b, c])
    };
    // A target elsewhere answered: not a machine without any network.
    let answers_outside = |net: &[u8; 3]| {
        checks.iter().any(|c| {
            target_host(&c.target).is_some()
                && range(c).as_ref() != Some(net)
                && c.status != Status::Skip
                && c.code.is_none_or(|code| !code.topic().starts_with("unreachable."))
        })
    };
    let (net, in_range) =
        places_where_all(checks, "unreachable.timeout", range).into_iter().find(|(net, _)| answers_outside(net))?;
    let [a, b, c] = net;
    Some(RootCause {
        code: codes::RANGE_BLOCKED,
        summary: format!(
            "Nothing in {a}.{b}.{c}.0/24 answers from here ({}) while other targets do: traffic to that range is dropped on the way",
            names(&in_range).join(", ")
        ),
        checks: names(&in_range),
        actions: vec![Action::new(
            Priority::High,
            format!("Open the path from where the app runs to {a}.{b}.{c}.0/24: an egress NetworkPolicy, a security group, a firewall, a VPN or peering route; or give the app addresses it can reach"),
        )
        .with_command(format!("ip route get {a}.{b}.{c}.1; kubectl get networkpolicy -A"))],
    })
}

/// The host a check's target names (`postgresql://u:***@db:5432/x`,
/// `smtp://relay:587`, `https://vault:8200`); none for one that is no URL.
fn target_host(target: &str) -> Option<&str> {
    // Not at `#`: a masked password (`***#1a2b`) holds one.
    let authority = target.split_once("://")?.1.split(['/', '?']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    if host_port.contains(',') {
        return None; // several hosts (a libpq host list): no one host to blame
    }
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => host_port.rsplit_once(':').map_or(host_port, |(host, _)| host),
    };
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::checks::{oauth, postgres, ses, smtp, vault};
    use crate::code::Code;
    use crate::report::Finding;

    fn result(name: &str, kind: &str, status: Status, codes: &[Code]) -> CheckResult {
        CheckResult {
            name: name.into(),
            kind: kind.into(),
            status,
            target: String::new(),
            summary: format!("{name} summary"),
            duration_ms: 0,
            attempts: 1,
            evidence: vec![],
            causes: vec![],
            actions: vec![Action::new(Priority::Critical, format!("fix {name}")), Action::new(Priority::Low, "later")],
            code: codes.first().copied(),
            findings: codes.iter().map(|&code| Finding::new(code, status, format!("{name} summary"))).collect(),
        }
    }

    #[test]
    fn oauth_fetch_failed_with_vault_unreachable_is_one_cause() {
        let checks = [
            result("oauth", "oauth", Status::Fail, &[oauth::codes::UPSTREAM_FETCH_FAILED]),
            result("vault", "vault", Status::Fail, &[vault::codes::UNREACHABLE_TIMEOUT]),
        ];
        let causes = find(&checks);
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].checks, ["oauth", "vault"]);
        assert!(causes[0].summary.starts_with("The backend cannot fetch its Amazon SP-API credentials from Vault"));
        assert_eq!(causes[0].actions.len(), 1);
        assert_eq!(causes[0].actions[0].priority, Priority::Critical);
        assert!(causes[0].actions[0].text.contains("Vault Agent Injector"));
    }

    #[test]
    fn the_oauth_checks_own_secret_command_becomes_the_critical_fix() {
        let mut oauth = result("oauth", "oauth", Status::Fail, &[oauth::codes::UPSTREAM_FETCH_FAILED]);
        let own = Action::new(Priority::Medium, "inject")
            .with_command("kubectl create secret generic amazon-spapi-creds")
            .remedy(Remedy::InjectSpApiCredentials);
        oauth.actions.push(own.clone());
        let causes = find(&[oauth, result("vault", "vault", Status::Fail, &[vault::codes::UNREACHABLE_TIMEOUT])]);
        assert_eq!(causes[0].actions, [Action { priority: Priority::Critical, ..own }]);
    }

    #[test]
    fn oauth_fetch_failed_alone_joins_nothing() {
        let checks = [
            result("oauth", "oauth", Status::Fail, &[oauth::codes::UPSTREAM_FETCH_FAILED]),
            result("vault", "vault", Status::Ok, &[]),
        ];
        assert!(find(&checks).is_empty());
        let sealed_but_no_oauth = [result("vault", "vault", Status::Fail, &[vault::codes::SEALED])];
        assert!(find(&sealed_but_no_oauth).is_empty());
    }

    #[test]
    fn smtp_login_failing_with_vault_down_names_both() {
        let checks = [
            result("mail", "smtp", Status::Fail, &[smtp::codes::AUTH_PASSWORD_MISSING]),
            result("vault", "vault", Status::Fail, &[vault::codes::SEALED]),
        ];
        let causes = find(&checks);
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].checks, ["mail", "vault"]);
        assert_eq!(causes[0].actions[0].text, "fix vault", "Vault's own first action leads");
    }

    #[test]
    fn replica_cause_comes_first_and_carries_the_critical_fix_only() {
        let checks = [
            result("mail", "smtp", Status::Fail, &[smtp::codes::AUTH_REJECTED]),
            result("vault", "vault", Status::Fail, &[vault::codes::UNREACHABLE_TIMEOUT]),
            result("db", "postgres", Status::Fail, &[postgres::codes::ON_REPLICA]),
        ];
        let causes = find(&checks);
        assert_eq!(causes.len(), 2);
        assert_eq!(causes[0].checks, ["db"]);
        assert_eq!(causes[0].actions.len(), 1);
        assert_eq!(causes[0].actions[0].text, "fix db");
    }

    #[test]
    fn a_check_that_only_warns_or_passes_with_another_code_joins_nothing() {
        let refused_elsewhere = [
            result("oauth", "oauth", Status::Fail, &[oauth::codes::UPSTREAM_FETCH_FAILED]),
            result("vault", "vault", Status::Warn, &[vault::codes::SKIP_VERIFY]),
        ];
        assert!(find(&refused_elsewhere).is_empty(), "a warning about TLS verification is not Vault being down");
    }

    #[test]
    fn every_family_a_rule_names_holds_a_declared_code() {
        let declared: Vec<Code> = crate::codebook::all().iter().map(|info| info.code).collect();
        for family in [VAULT_DOWN, SMTP_LOGIN_FAILS, ON_REPLICA, OAUTH_CREDENTIALS_UNAVAILABLE].concat() {
            assert!(declared.iter().any(|code| code.is_in(family)), "no code is in {family}");
        }
    }

    fn at(mut check: CheckResult, target: &str) -> CheckResult {
        check.target = target.to_string();
        check
    }

    #[test]
    fn several_checks_refused_by_one_host_are_one_cause() {
        let checks = [
            at(
                result("db", "postgres", Status::Fail, &[postgres::codes::UNREACHABLE_REFUSED]),
                "postgresql://app:***#1a2b@10.0.0.7:5432/app",
            ),
            at(result("vault", "vault", Status::Fail, &[vault::codes::UNREACHABLE_REFUSED]), "http://10.0.0.7:8200"),
            at(
                result("mail", "smtp", Status::Fail, &[smtp::codes::UNREACHABLE_REFUSED]),
                "smtp://relay.example.com:587",
            ),
        ];
        let causes = find(&checks);
        assert_eq!(causes.len(), 1, "{causes:#?}");
        assert_eq!(causes[0].code, codes::HOST_REFUSES_EVERYTHING);
        assert_eq!(causes[0].checks, ["db", "vault"]);
        assert!(causes[0].summary.starts_with("10.0.0.7 refuses every connection kbz-check made (db, vault)"));
    }

    #[test]
    fn a_host_where_one_service_answers_is_up() {
        let checks = [
            at(
                result("db", "postgres", Status::Fail, &[postgres::codes::UNREACHABLE_REFUSED]),
                "postgresql://app@10.0.0.7:5432/app",
            ),
            at(result("vault", "vault", Status::Fail, &[vault::codes::UNREACHABLE_REFUSED]), "http://10.0.0.7:8200"),
            at(result("mail", "smtp", Status::Ok, &[]), "smtp://10.0.0.7:587"),
        ];
        assert!(find(&checks).is_empty(), "the relay answers on that host: each refusal is its own service's");
        let one =
            [at(result("vault", "vault", Status::Fail, &[vault::codes::UNREACHABLE_REFUSED]), "http://10.0.0.7:8200")];
        assert!(find(&one).is_empty(), "one refusal is that check's own cause");
    }

    #[test]
    fn a_targets_host_is_read_from_its_url_forms() {
        assert_eq!(
            target_host("postgresql://u:***#1a2b@db.example.com:5432/x?sslmode=require"),
            Some("db.example.com")
        );
        assert_eq!(target_host("smtps://relay:465"), Some("relay"));
        assert_eq!(target_host("https://[::1]:8200"), Some("::1"));
        assert_eq!(target_host("http://127.0.0.1"), Some("127.0.0.1"));
        assert_eq!(target_host("postgresql://h1:5432,h2:5432/db"), None);
        assert_eq!(target_host("check_disk -w 10%"), None);
    }

    #[test]
    fn one_silent_range_beside_targets_that_answer_is_one_cause() {
        let checks = [
            at(result("vault", "vault", Status::Fail, &[vault::codes::UNREACHABLE_TIMEOUT]), "https://10.0.0.150:8200"),
            at(result("ses", "ses", Status::Fail, &[ses::codes::UNREACHABLE_TIMEOUT]), "https://10.0.0.151:443"),
            at(result("oauth", "oauth", Status::Ok, &[]), "https://backend.example.com/start"),
        ];
        let causes = find(&checks);
        assert_eq!(causes.len(), 1, "{causes:#?}");
        assert_eq!(causes[0].code, codes::RANGE_BLOCKED);
        assert_eq!(causes[0].checks, ["vault", "ses"]);
        assert!(
            causes[0].summary.starts_with("Nothing in 10.0.0.0/24 answers from here (vault, ses)"),
            "{}",
            causes[0].summary
        );
    }

    #[test]
    fn a_range_where_one_target_answers_or_nothing_answers_anywhere_joins_nothing() {
        let silent = |name: &str, target: &str| {
            at(result(name, "vault", Status::Fail, &[vault::codes::UNREACHABLE_TIMEOUT]), target)
        };
        let partly = [
            silent("v1", "https://10.0.0.150:8200"),
            silent("v2", "https://10.0.0.151:8200"),
            at(result("db", "postgres", Status::Ok, &[]), "postgresql://app@10.0.0.120:5432/app"),
        ];
        assert!(find(&partly).is_empty(), "a target in that range answers: the range is not blocked");
        let nothing_answers = [silent("v1", "https://10.0.0.150:8200"), silent("v2", "https://10.0.0.151:8200")];
        assert!(find(&nothing_answers).is_empty(), "no target answered anywhere: not one range's problem");
    }
}
