//! A Vault request answered with a redirect: kbz-check never follows it (the
//! token would go to whatever origin it names), so the redirect is the
//! finding: where it points and what that means. Pure.

use super::codes;
use super::diagnose::{addr, Findings};
use super::VaultCheck;
use crate::redirect::{Move, Redirected};
use crate::report::{Action, Priority, Status};

/// Which request was redirected.
pub(super) enum Asked<'a> {
    Health,
    Token,
    Secret(&'a str),
}

impl Asked<'_> {
    fn what(&self) -> String {
        match self {
            Asked::Health => "GET /v1/sys/health".to_string(),
            Asked::Token => "the token lookup (GET /v1/auth/token/lookup-self)".to_string(),
            Asked::Secret(path) => format!("the read of secret {path}"),
        }
    }
}

/// `active`: the active node `sys/leader` named, if a standby answered.
pub(super) fn redirected(
    check: &VaultCheck,
    asked: Asked,
    redirect: &Redirected,
    active: Option<&str>,
    found: &mut Findings,
) {
    let addr_name = &check.names.addr;
    let addr = addr(check);
    let to = &redirect.target.shown;
    let code = redirect.status;
    let what = asked.what();
    let credential = match asked {
        Asked::Health => "no token was sent".to_string(),
        _ => format!("kbz-check does not follow redirects, so {} went nowhere else", check.names.token),
    };
    // The Go client (Vault's `api`, used by the vault CLI and Go apps) follows
    // one 301/302/307 to any https origin, token included: say what the app risks.
    let app = "the vault CLI and Go apps (Vault's api package) follow one 301, 302 or 307 redirect to any https address, token included, and refuse only https to http";
    let to_active = active.is_some_and(|active| {
        let active = active.trim_end_matches('/');
        redirect.target.origin().is_some_and(|origin| origin == active)
    });
    let check_addr = Action::new(Priority::High, format!("Set {addr_name} to the address Vault really serves (its active node or load balancer), once you know that the redirect's target is yours"))
        .with_command(format!("curl -sS -o /dev/null -w '%{{http_code}} %{{redirect_url}}\\n' {addr}/v1/sys/health"));
    let (finding, status, meaning, actions) = match redirect.movement {
        _ if to_active => (
            codes::REDIRECTED_TO_ACTIVE,
            Status::Warn,
            format!("a standby pointing at its active node ({}): Vault standbys answer 307 to the active node's api_addr when they do not forward a request themselves; {app}, so the app works only if it reaches the active node there", active.unwrap_or_default()),
            vec![Action::new(Priority::Medium, format!("Point {addr_name} at the cluster's load balancer or active node, or let standbys forward requests (check the cluster port 8201 between the nodes)"))
                .with_command("vault operator raft list-peers")],
        ),
        Move::Downgrade => (
            codes::REDIRECTED_DOWNGRADE,
            Status::Fail,
            format!("a downgrade from https to plain http: whatever follows it sends its request, and its token, in clear. Vault never redirects so; a proxy or load balancer in front of it does (TLS termination misconfigured, or an old address). Vault's own client refuses this one; {app}"),
            vec![check_addr],
        ),
        Move::SameOrigin => (
            codes::REDIRECTED_PATH,
            Status::Fail,
            "a redirect within the same server, to another path: Vault's API paths never redirect, so a reverse proxy in front of Vault serves it under another path prefix".to_string(),
            vec![Action::new(Priority::High, format!("Set {addr_name} to the prefix the proxy serves Vault under (the part before /v1/ in {to})"))],
        ),
        Move::OtherPort | Move::OtherHost => (
            codes::REDIRECTED_ELSEWHERE,
            Status::Fail,
            format!("the request is sent on to another address: a Vault standby pointing at an active node elsewhere, a proxy or load balancer in front of Vault, or an old {addr_name} that now redirects; {app}, so a hostile or mistaken target would get the app's token"),
            vec![check_addr],
        ),
        Move::Unknown => (
            codes::REDIRECTED_NO_LOCATION,
            Status::Fail,
            "a redirect without a usable Location: Vault always names where it redirects, so something else answers".to_string(),
            vec![check_addr],
        ),
    };
    found.problem(
        finding,
        status,
        format!("{addr} redirects {what} (HTTP {code}) to {to}"),
        format!(
            "{addr} answered {what} with HTTP {code} to {to}, {} ({credential}): {meaning}",
            redirect.movement.label()
        ),
        actions,
    );
}
