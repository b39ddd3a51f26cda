//! Root causes that join the evidence of several checks, so a report states
//! a cause once with everything that shows it: the OAuth backend's
//! `fetch failed` and an unreachable Vault are one problem, not two.
//!
//! Each rule is a small function over the results, tested on its own.

use crate::code::Code;
use crate::report::{Action, CheckResult, Priority, Remedy, RootCause, Status};
use std::net::{IpAddr, Ipv4Addr};

/// The root causes' codes.
pub mod codes {
    include!(concat!(env!("OUT_DIR"), "/codes/cause.rs"));
}

type Rule = fn(&[CheckResult]) -> Option<RootCause>;

/// Every rule, each independent; their causes are sorted by urgency.
const RULES: &[Rule] = &[
    writes_fail_on_a_replica,
    backend_cannot_fetch_from_vault,
    smtp_password_source_down,
    host_refuses_everything,
    range_blocked,
    resolver_fails,
    ca_untrusted,
    ses_mail_unsigned,
    spf_misses_relay,
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

/// The cause `code` that the checks `on` show together.
fn cause(code: Code, on: &[&CheckResult], summary: String, actions: Vec<Action>) -> RootCause {
    RootCause { code, summary, checks: names(on), actions }
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
    let summary =
        format!("Writes fail with SQLSTATE 25006: the database URL points at a read-only replica ({})", first.summary);
    Some(cause(codes::WRITES_ON_REPLICA, &on_replica, summary, actions))
}

/// The OAuth start endpoint answers `fetch failed` (or lacks its client id)
/// while Vault, where the backend reads its credentials, is down or out of
/// reach.
fn backend_cannot_fetch_from_vault(checks: &[CheckResult]) -> Option<RootCause> {
    let (oauth, vault) = while_vault_down(checks, "oauth", OAUTH_CREDENTIALS_UNAVAILABLE)?;
    let on = [oauth.as_slice(), &vault].concat();
    let summary = format!("The backend cannot fetch its Amazon SP-API credentials from Vault: {}", summaries(&on));
    Some(cause(codes::BACKEND_CANNOT_FETCH_FROM_VAULT, &on, summary, vec![inject_credentials(&oauth)]))
}

/// The checks of `kind` that show `families`, and the vault checks that
/// show Vault down: `None` unless there are both.
fn while_vault_down<'a>(
    checks: &'a [CheckResult],
    kind: &str,
    families: &[&str],
) -> Option<(Vec<&'a CheckResult>, Vec<&'a CheckResult>)> {
    let affected = showing(checks, kind, families);
    let vault = showing(checks, "vault", VAULT_DOWN);
    (!affected.is_empty() && !vault.is_empty()).then_some((affected, vault))
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
    let (smtp, vault) = while_vault_down(checks, "smtp", SMTP_LOGIN_FAILS)?;
    let mut actions: Vec<Action> = vault.iter().flat_map(|c| c.actions.first()).cloned().collect();
    actions.push(Action::new(
        Priority::High,
        "Once Vault serves again, deliver SMTP_PASS to the app again (re-run the step that copies it into its environment) and restart it",
    ));
    let on = [smtp.as_slice(), &vault].concat();
    let summary =
        format!("The SMTP login cannot work while Vault, where SMTP_PASS is kept, is down: {}", summaries(&on));
    Some(cause(codes::SMTP_PASSWORD_SOURCE_DOWN, &on, summary, actions))
}

/// Checks of `kind` that passed: what they show works.
fn passing<'a>(checks: &'a [CheckResult], kind: &str) -> Vec<&'a CheckResult> {
    checks.iter().filter(|c| c.kind == kind && c.status == Status::Ok).collect()
}

/// SES is ready to send, but the sender domain does not publish the DKIM
/// CNAMEs SES issued: every message goes out without the domain's
/// signature, passes SES's checks, and lands in spam.
fn ses_mail_unsigned(checks: &[CheckResult]) -> Option<RootCause> {
    sent_but_the_domain_undoes_it(checks, "ses", "domain.ses.dkim_unpublished", codes::SES_MAIL_UNSIGNED, |domain| {
        format!("SES is ready and accepts the app's mail, but the sender domain's DKIM is not published: mail goes out unsigned for the domain and lands in spam ({domain})")
    })
}

/// The relay accepts the app's login, but the sender domain's SPF does not
/// name the relay's address: mail leaves, then fails SPF at every receiver.
fn spf_misses_relay(checks: &[CheckResult]) -> Option<RootCause> {
    sent_but_the_domain_undoes_it(
        checks,
        "smtp",
        "domain.spf.relay_not_authorized",
        codes::SPF_MISSES_RELAY,
        |domain| {
            format!("The SMTP relay the app uses works, but the sender domain's SPF does not authorise it: its mail is accepted, then fails SPF and lands in spam or is rejected ({domain})")
        },
    )
}

/// A passing `sender` check (the mail leaves) and a domain check showing
/// `finding` (the domain's DNS undoes it at the receiver): the cause names
/// both, carries the domain's urgent actions, and its summary is told the
/// domain checks' summaries.
fn sent_but_the_domain_undoes_it(
    checks: &[CheckResult],
    sender: &str,
    finding: &str,
    code: Code,
    summary: impl FnOnce(String) -> String,
) -> Option<RootCause> {
    let sending = passing(checks, sender);
    let domain = showing(checks, "domain", &[finding]);
    if sending.is_empty() || domain.is_empty() {
        return None;
    }
    let actions =
        domain.iter().flat_map(|c| c.actions.iter().filter(|a| a.priority <= Priority::High)).cloned().collect();
    let on = [sending.as_slice(), &domain].concat();
    Some(cause(code, &on, summary(summaries(&domain)), actions))
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
    let summary = format!(
        "{host} refuses every connection kbz-check made ({}): the host answers, but none of these services listens there",
        names(&on_host).join(", ")
    );
    let action = Action::new(
        Priority::High,
        format!("Log in to {host} and see which services failed to start (after a reboot, say), or whether the address now belongs to another machine"),
    )
    .with_command("systemctl --failed; ss -ltnp");
    Some(cause(codes::HOST_REFUSES_EVERYTHING, &on_host, summary, vec![action]))
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
    let summary = format!(
        "Nothing in {a}.{b}.{c}.0/24 answers from here ({}) while other targets do: traffic to that range is dropped on the way",
        names(&in_range).join(", ")
    );
    let action = Action::new(
        Priority::High,
        format!("Open the path from where the app runs to {a}.{b}.{c}.0/24: an egress NetworkPolicy, a security group, a firewall, a VPN or peering route; or give the app addresses it can reach"),
    )
    .with_command(format!("ip route get {a}.{b}.{c}.1; kubectl get networkpolicy -A"));
    Some(cause(codes::RANGE_BLOCKED, &in_range, summary, vec![action]))
}

/// Codes that end a check before (or at) the lookup of its target's name,
/// or say nothing of it: they show neither that the name resolves nor that
/// it does not. Topics (`config` holds `ses.config.missing`), and the run's
/// own codes (`check.timed_out`: the lookup may be what did not end).
const NOT_LOOKED_UP: &[&str] = &[
    "unreachable.dns",
    "config",
    "setting_missing",
    "request_not_sent",
    "tls.setup_failed",
    "test_message.build_failed",
];

/// The host name a check's target gives, when it gives a name and not an
/// address: the name a resolver must look up.
fn host_name(check: &CheckResult) -> Option<&str> {
    target_host(&check.target).filter(|host| host.parse::<IpAddr>().is_err())
}

/// Every check whose target is a host name failed to resolve it, two
/// different names at least, and no check looked a name up: the resolver
/// this host uses fails (down, out of reach, or one that does not know these
/// names), one cause rather than a typo in each. Targets given by address
/// neither join nor count against it (they need no resolver), nor do
/// `localhost` names (resolved from /etc/hosts without DNS) and checks that
/// ended before their lookup ([`NOT_LOOKED_UP`]).
fn resolver_fails(checks: &[CheckResult]) -> Option<RootCause> {
    let named: Vec<(&str, &CheckResult)> = checks
        .iter()
        .filter(|c| c.status != Status::Skip)
        .filter_map(|c| Some((host_name(c)?, c)))
        .filter(|(name, _)| !is_localhost(name))
        .collect();
    let looked_up = |c: &CheckResult| {
        c.code.is_none_or(|code| !code.is_in("check") && !NOT_LOOKED_UP.iter().any(|t| in_topic(code.topic(), t)))
    };
    if named.iter().any(|(_, c)| looked_up(c)) {
        return None;
    }
    let unresolved: Vec<(&str, &CheckResult)> =
        named.into_iter().filter(|(_, c)| has_topic(c, "unreachable.dns")).collect();
    let mut distinct: Vec<&str> = unresolved.iter().map(|(name, _)| *name).collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 2 {
        return None;
    }
    let listed = unresolved.iter().map(|(name, c)| format!("{}: {name}", c.name)).collect::<Vec<_>>().join(", ");
    let joined: Vec<&CheckResult> = unresolved.iter().map(|(_, c)| *c).collect();
    let summary = format!(
        "No host name resolves from here ({listed}), and none did: the DNS resolver this host uses is down, out of reach or the wrong one for these names, not each name"
    );
    let action = Action::new(
        Priority::Critical,
        "Check the resolver where the app runs: the nameserver lines of /etc/resolv.conf and whether that server answers; in Kubernetes, the cluster DNS (the CoreDNS pods and the kube-dns service in kube-system). Then look one of the names up again",
    )
    .with_command(format!(
        "cat /etc/resolv.conf; getent hosts {}; kubectl -n kube-system get pods -l k8s-app=kube-dns",
        unresolved[0].0
    ));
    Some(cause(codes::RESOLVER_FAILS, &joined, summary, vec![action]))
}

/// `topic` is `family` or below it (`tls.setup_failed` is in `tls`).
fn in_topic(topic: &str, family: &str) -> bool {
    topic == family || topic.strip_prefix(family).is_some_and(|rest| rest.starts_with('.'))
}

/// `localhost` and the names below it, which resolve without DNS.
fn is_localhost(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// Two or more checks refused their servers' certificates as untrusted
/// (`*.tls.untrusted`), all issued by the same CA (the finding's `issuer`):
/// that CA is missing from the trust store, one fix for every server. The
/// first issuer so shared is the cause; a check whose finding names no
/// issuer joins nothing.
fn ca_untrusted(checks: &[CheckResult]) -> Option<RootCause> {
    let mut issuers: Vec<(&str, Vec<&CheckResult>)> = Vec::new();
    for check in checks.iter().filter(|c| c.status == Status::Fail) {
        let untrusted = check.findings.iter().filter(|f| f.code.topic() == "tls.untrusted");
        for issuer in untrusted.filter_map(|f| f.issuer.as_deref()) {
            match issuers.iter_mut().find(|(i, _)| *i == issuer) {
                // Once per check, however many of its findings name the issuer.
                Some((_, group)) if group.last().is_some_and(|c| std::ptr::eq(*c, check)) => {}
                Some((_, group)) => group.push(check),
                None => issuers.push((issuer, vec![check])),
            }
        }
    }
    let (issuer, group) = issuers.into_iter().find(|(_, group)| group.len() >= 2)?;
    let first = group[0];
    let summary = format!(
        "{} refuse their servers' certificates, all issued by {issuer}, a CA not trusted here: that CA is missing from the trust store, not each server's setup",
        names(&group).join(", ")
    );
    let action = Action::new(
        Priority::High,
        format!("Add the CA {issuer} to the trust store where the app and kbz-check run (update-ca-certificates), or point SSL_CERT_FILE, or each check's CA setting (cacert, sslrootcert, VAULT_CACERT), at a PEM bundle that holds it (a Node.js app: NODE_EXTRA_CA_CERTS). The server's chain shows the CA it comes from"),
    )
    .with_command(show_certificates(&first.target));
    Some(cause(codes::CA_UNTRUSTED, &group, summary, vec![action]))
}

/// `openssl s_client` showing the chain a target's server sends, with
/// STARTTLS where its protocol starts in plain text.
fn show_certificates(target: &str) -> String {
    let scheme = target.split_once("://").map_or("", |(scheme, _)| scheme);
    let (starttls, default_port) = match scheme {
        "smtp" => (" -starttls smtp", 587),
        "smtps" => ("", 465),
        "postgres" | "postgresql" => (" -starttls postgres", 5432),
        "http" => ("", 80),
        _ => ("", 443),
    };
    let host = target_host(target).unwrap_or("HOST");
    let port = target_port(target).unwrap_or(default_port);
    let host = if host.contains(':') { format!("[{host}]") } else { host.to_string() };
    format!("openssl s_client -connect {host}:{port}{starttls} -showcerts </dev/null")
}

/// The port a target's URL names, if it names one.
fn target_port(target: &str) -> Option<u16> {
    let host_port = target_host_port(target)?;
    let port = match host_port.strip_prefix('[') {
        Some(v6) => v6.split_once("]:")?.1,
        None => host_port.rsplit_once(':')?.1,
    };
    port.parse().ok()
}

/// The host a check's target names (`postgresql://u:***@db:5432/x`,
/// `smtp://relay:587`, `https://vault:8200`); none for one that is no URL.
fn target_host(target: &str) -> Option<&str> {
    let host_port = target_host_port(target)?;
    if host_port.contains(',') {
        return None; // several hosts (a libpq host list): no one host to blame
    }
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => host_port.rsplit_once(':').map_or(host_port, |(host, _)| host),
    };
    (!host.is_empty()).then_some(host)
}

/// A target URL's host and port, as written after any user info
/// (`db:5432`, `[::1]:8200`); none for a target that is no URL.
fn target_host_port(target: &str) -> Option<&str> {
    // Not at `#`: a masked password (`***#1a2b`) holds one.
    let authority = target.split_once("://")?.1.split(['/', '?']).next()?;
    Some(authority.rsplit_once('@').map_or(authority, |(_, host)| host))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::checks::{domain, oauth, postgres, ses, smtp, vault};
    use crate::code::Code;
    use crate::report::{Finding, Outcome};

    fn result(name: &str, kind: &str, status: Status, codes: &[Code]) -> CheckResult {
        let summary = format!("{name} summary");
        let mut outcome = Outcome::new(status, summary.clone());
        outcome.actions =
            vec![Action::new(Priority::Critical, format!("fix {name}")), Action::new(Priority::Low, "later")];
        outcome.findings = codes.iter().map(|&code| Finding::new(code, status, summary.clone())).collect();
        CheckResult::from_outcome(name, kind, "", std::time::Duration::ZERO, outcome)
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
        for topic in [NOT_LOOKED_UP, &["unreachable.dns", "tls.untrusted"]].concat() {
            assert!(declared.iter().any(|code| in_topic(code.topic(), topic)), "no code's topic is in {topic}");
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

    fn unresolved(name: &str, kind: &str, code: Code, target: &str) -> CheckResult {
        at(result(name, kind, Status::Fail, &[code]), target)
    }

    #[test]
    fn every_name_failing_to_resolve_is_one_cause_the_resolver() {
        let checks = [
            unresolved(
                "db",
                "postgres",
                postgres::codes::UNREACHABLE_DNS,
                "postgresql://app:***#1a2b@db.internal:5432/app",
            ),
            unresolved("vault", "vault", vault::codes::UNREACHABLE_DNS, "https://vault.internal:8200"),
            unresolved("mail", "smtp", smtp::codes::UNREACHABLE_DNS, "smtp://relay.internal:587"),
            // An address needs no resolver: it neither joins nor counts against.
            at(
                result("oauth", "oauth", Status::Fail, &[oauth::codes::UNREACHABLE_REFUSED]),
                "http://10.0.0.9:3000/start",
            ),
        ];
        let causes = find(&checks);
        assert_eq!(causes.len(), 1, "{causes:#?}");
        assert_eq!(causes[0].code, codes::RESOLVER_FAILS);
        assert_eq!(causes[0].checks, ["db", "vault", "mail"]);
        assert!(
            causes[0].summary.starts_with(
                "No host name resolves from here (db: db.internal, vault: vault.internal, mail: relay.internal), and none did: the DNS resolver"
            ),
            "{}",
            causes[0].summary
        );
        assert_eq!(causes[0].actions.len(), 1);
        assert_eq!(causes[0].actions[0].priority, Priority::Critical);
        assert!(causes[0].actions[0].text.contains("/etc/resolv.conf"), "{:?}", causes[0].actions[0]);
        assert_eq!(
            causes[0].actions[0].command.as_deref(),
            Some("cat /etc/resolv.conf; getent hosts db.internal; kubectl -n kube-system get pods -l k8s-app=kube-dns")
        );
    }

    #[test]
    fn a_name_that_resolved_clears_the_resolver() {
        let failing = || {
            [
                unresolved("db", "postgres", postgres::codes::UNREACHABLE_DNS, "postgresql://app@db.internal:5432/app"),
                unresolved("vault", "vault", vault::codes::UNREACHABLE_DNS, "https://vault.internal:8200"),
            ]
        };
        let passed = at(result("mail", "smtp", Status::Ok, &[]), "smtp://relay.internal:587");
        assert!(
            find(&[failing().as_slice(), &[passed]].concat()).is_empty(),
            "a name resolved: each failure is its name's"
        );
        let refused = unresolved("mail", "smtp", smtp::codes::UNREACHABLE_REFUSED, "smtp://relay.internal:587");
        assert!(
            find(&[failing().as_slice(), &[refused]].concat()).is_empty(),
            "refused after resolving: the resolver answered"
        );
        let untrusted = unresolved("mail", "smtp", smtp::codes::TLS_UNTRUSTED, "smtp://relay.internal:587");
        assert!(find(&[failing().as_slice(), &[untrusted]].concat()).is_empty());
        assert_eq!(find(&failing()).len(), 1, "the two alone are the resolver's");
    }

    #[test]
    fn one_name_alone_or_twice_is_that_names_problem() {
        let one = [unresolved("vault", "vault", vault::codes::UNREACHABLE_DNS, "https://vault.internal:8200")];
        assert!(find(&one).is_empty(), "one name: a typo or a name of another network");
        let same_name = [
            unresolved("vault", "vault", vault::codes::UNREACHABLE_DNS, "https://vault.internal:8200"),
            unresolved("vault-kv", "vault", vault::codes::UNREACHABLE_DNS, "https://vault.internal:8200/"),
        ];
        assert!(find(&same_name).is_empty(), "two checks of one name are still one name");
        let one_by_address = [
            unresolved("vault", "vault", vault::codes::UNREACHABLE_DNS, "https://vault.internal:8200"),
            at(
                result("db", "postgres", Status::Fail, &[postgres::codes::UNREACHABLE_REFUSED]),
                "postgresql://app@10.0.0.7:5432/app",
            ),
        ];
        assert!(find(&one_by_address).is_empty(), "an address is not a second name");
    }

    #[test]
    fn checks_that_never_looked_a_name_up_leave_the_resolver_rule_alone() {
        let checks = [
            unresolved("db", "postgres", postgres::codes::UNREACHABLE_DNS, "postgresql://app@db.internal:5432/app"),
            unresolved("vault", "vault", vault::codes::UNREACHABLE_DNS, "https://vault.internal:8200"),
            // Timed out, perhaps in its own lookup: it tells nothing.
            unresolved("mail", "smtp", crate::code::run::TIMED_OUT, "smtp://relay.internal:587"),
            unresolved("ses", "ses", ses::codes::CONFIG_MISSING, "https://email.eu-west-1.amazonaws.com"),
            at(result("skipped", "oauth", Status::Skip, &[]), "https://backend.internal/start"),
            // Resolved from /etc/hosts, without DNS.
            at(result("local", "smtp", Status::Ok, &[]), "smtp://localhost:25"),
        ];
        let causes = find(&checks);
        assert_eq!(causes.len(), 1, "{causes:#?}");
        assert_eq!(causes[0].checks, ["db", "vault"]);
    }

    fn untrusted(name: &str, kind: &str, code: Code, target: &str, issuer: Option<&str>) -> CheckResult {
        let mut check = at(result(name, kind, Status::Fail, &[code]), target);
        check.findings[0].issuer = issuer.map(str::to_string);
        check
    }

    #[test]
    fn certificates_of_one_untrusted_issuer_are_one_cause_the_trust_store() {
        let issuer = Some("CN=Corp Internal CA, O=Corp");
        let checks = [
            untrusted("mail", "smtp", smtp::codes::TLS_UNTRUSTED, "smtp://relay.internal:587", issuer),
            at(result("oauth", "oauth", Status::Ok, &[]), "https://backend.example.com/start"),
            untrusted(
                "db",
                "postgres",
                postgres::codes::TLS_UNTRUSTED,
                "postgresql://app:***#1a2b@10.0.0.7:5432/app",
                issuer,
            ),
        ];
        let causes = find(&checks);
        assert_eq!(causes.len(), 1, "{causes:#?}");
        assert_eq!(causes[0].code, codes::CA_UNTRUSTED);
        assert_eq!(causes[0].checks, ["mail", "db"]);
        assert!(
            causes[0].summary.starts_with(
                "mail, db refuse their servers' certificates, all issued by CN=Corp Internal CA, O=Corp, a CA not trusted here"
            ),
            "{}",
            causes[0].summary
        );
        assert_eq!(causes[0].actions.len(), 1);
        let action = &causes[0].actions[0];
        assert!(action.text.starts_with("Add the CA CN=Corp Internal CA, O=Corp to the trust store"), "{action:?}");
        assert!(action.text.contains("SSL_CERT_FILE"), "{action:?}");
        assert_eq!(
            action.command.as_deref(),
            Some("openssl s_client -connect relay.internal:587 -starttls smtp -showcerts </dev/null")
        );
    }

    /// A mail relay and a database whose certificates are refused, the
    /// relay's as untrusted, each issued by whom it says.
    fn mail_and_db(mail_issuer: Option<&str>, db_code: Code, db_issuer: Option<&str>) -> [CheckResult; 2] {
        [
            untrusted("mail", "smtp", smtp::codes::TLS_UNTRUSTED, "smtp://relay.internal:587", mail_issuer),
            untrusted("db", "postgres", db_code, "postgresql://app@db:5432/app", db_issuer),
        ]
    }

    #[test]
    fn different_issuers_or_one_check_alone_join_nothing() {
        let different = mail_and_db(Some("CN=Mail CA"), postgres::codes::TLS_UNTRUSTED, Some("CN=DB CA"));
        assert!(find(&different).is_empty(), "two unknown CAs: each server's own");
        let alone =
            [untrusted("vault", "vault", vault::codes::TLS_UNTRUSTED, "https://vault:8200", Some("CN=Corp CA"))];
        assert!(find(&alone).is_empty(), "one check: its own cause");
        let no_issuer = mail_and_db(None, postgres::codes::TLS_UNTRUSTED, None);
        assert!(find(&no_issuer).is_empty(), "an unknown issuer is not the same issuer");
        let other_problem = mail_and_db(Some("CN=Corp CA"), postgres::codes::TLS_EXPIRED, Some("CN=Corp CA"));
        assert!(find(&other_problem).is_empty(), "an expired certificate is not a trust-store problem");
    }

    #[test]
    fn the_chain_is_shown_with_starttls_where_the_protocol_needs_it() {
        assert_eq!(
            show_certificates("postgresql://u:***#1a2b@db.internal/app?sslmode=verify-full"),
            "openssl s_client -connect db.internal:5432 -starttls postgres -showcerts </dev/null"
        );
        assert_eq!(show_certificates("smtps://relay:465"), "openssl s_client -connect relay:465 -showcerts </dev/null");
        assert_eq!(
            show_certificates("https://[::1]:8200"),
            "openssl s_client -connect [::1]:8200 -showcerts </dev/null"
        );
        assert_eq!(
            show_certificates("https://email.eu-west-1.amazonaws.com"),
            "openssl s_client -connect email.eu-west-1.amazonaws.com:443 -showcerts </dev/null"
        );
    }

    #[test]
    fn ses_ready_with_dkim_unpublished_is_mail_that_lands_in_spam() {
        let checks = [
            result("ses", "ses", Status::Ok, &[]),
            result("domain", "domain", Status::Fail, &[domain::codes::SES_DKIM_UNPUBLISHED]),
        ];
        let causes = find(&checks);
        assert_eq!(causes.len(), 1, "{causes:?}");
        assert_eq!(causes[0].code, codes::SES_MAIL_UNSIGNED);
        assert_eq!(causes[0].checks, ["ses", "domain"]);
        assert!(causes[0].summary.contains("unsigned") && causes[0].summary.contains("domain summary"));
        assert_eq!(causes[0].actions[0].text, "fix domain");
        // SES not ready: the ses check's own failure is the story, not DKIM.
        let checks = [checks[1].clone(), result("ses", "ses", Status::Fail, &[ses::codes::CONFIG_MISSING])];
        assert!(find(&checks).iter().all(|c| c.code != codes::SES_MAIL_UNSIGNED));
    }

    #[test]
    fn a_working_relay_that_spf_does_not_name_is_one_cause() {
        let checks = [
            result("smtp", "smtp", Status::Ok, &[]),
            result("domain", "domain", Status::Fail, &[domain::codes::SPF_RELAY_NOT_AUTHORIZED]),
        ];
        let causes = find(&checks);
        assert_eq!(causes.iter().map(|c| c.code).collect::<Vec<_>>(), [codes::SPF_MISSES_RELAY]);
        assert_eq!(causes[0].checks, ["smtp", "domain"]);
        let other = [checks[0].clone(), result("domain", "domain", Status::Warn, &[domain::codes::SPF_MISSING])];
        assert!(find(&other).is_empty());
    }
}
