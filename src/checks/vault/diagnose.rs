//! From what Vault said (or why it said nothing) to a status, a cause in
//! plain words and the actions that fix it. Pure: unit-tested without a server.

use super::access::{secret_findings, token_findings};
use super::client::{api_url, Answer, HEALTH_QUERY};
use super::codes;
use super::health::{code_meaning, Health, HealthBody, NodeState, Reading};
use super::leader::{Active, Confirmed, Leader};
use super::moved::{redirected, Asked};
use super::raft::raft_findings;
use super::reach::{request_failure, tls_findings};
use super::{Observed, Probe, VaultCheck};
pub(super) use crate::checks::findings::Findings;
use crate::human::excerpt;
pub(super) use crate::human::{duration as rough, unix_time};
use crate::report::{Action, Outcome, Priority, Status};
use crate::secret::mask_dsn;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Clock skew worth showing, and worth a warning (see docs/checks/vault.md).
const SKEW_SHOWN_SECS: u64 = 5;
const SKEW_WARN_SECS: u64 = 60;
pub fn diagnose(check: &VaultCheck, observed: &Observed) -> Outcome {
    let mut found = Findings::default();
    let answer = match &observed.health {
        Ok(answer) => answer,
        Err(error) => {
            request_failure(check, error, &mut found);
            return found.into_outcome(String::new());
        }
    };
    let health = Health::read(answer);
    found.evidence("health", Some(&health_command(check)), health_output(answer, &health));
    tls_findings(check, answer.certificate.as_ref(), &mut found);
    let leader = leader_findings(&observed.leader, &mut found);
    let confirmed = Confirmed::read(&observed.active_health);
    if let (Some(confirmed), Some(active)) = (&confirmed, leader.as_ref().and_then(Leader::named)) {
        let command = format!("GET {}/v1/sys/health (no token)", mask_dsn(active.trim_end_matches('/')));
        found.evidence("active node health", Some(&command), confirmed.evidence());
    }
    let mut summary = state_findings(check, answer, &health, leader.as_ref(), confirmed.as_ref(), &mut found);
    if let Some(body) = health.body() {
        clock_findings(body, answer.received_at, &mut found);
    }
    let active = leader.as_ref().and_then(Leader::named);
    let token = token_findings(check, &observed.token, active, &mut found);
    summary.push_str(&token.summary);
    summary.push_str(&secret_findings(check, &observed.secrets, &token.policies, active, &mut found));
    raft_findings(check, &observed.autopilot, &mut found);
    found.into_outcome(summary)
}

/// `VAULT_ADDR` as shown in messages: no trailing slash, any password masked.
pub(super) fn addr(check: &VaultCheck) -> String {
    mask_dsn(check.addr.as_str().trim_end_matches('/'))
}

pub(super) fn health_command(check: &VaultCheck) -> String {
    format!("GET {}", mask_dsn(api_url(&check.addr, &["sys", "health"], HEALTH_QUERY).as_str()))
}

// ---- the health answer -----------------------------------------------------

fn health_output(answer: &Answer, health: &Health) -> String {
    let code = answer.status;
    match &health.reading {
        Reading::Body(body) => {
            let state = body.state();
            let mut first = format!("HTTP {code}: {}", state.label());
            // What a plain health check (a load balancer's, curl's) sees in this state.
            let plain = state.default_code();
            if plain != code {
                let note = if plain == 429 { ", which means a standby answered, not a rate limit" } else { "" };
                first.push_str(&format!(" (Vault's own code for this state: {plain}{note})"));
            }
            let mut lines = vec![first];
            lines.extend(body_lines(body, answer.received_at));
            lines.join("\n")
        }
        Reading::NotVault if answer.redirect.is_some() => {
            answer.redirect.as_ref().map(|r| r.describe()).unwrap_or_default()
        }
        Reading::CodeOnly | Reading::NotVault => {
            let cut = if answer.truncated { " (cut at 1 MiB)" } else { "" };
            format!(
                "HTTP {code} ({})\nbody, not Vault's health JSON{cut}: {}",
                code_meaning(code),
                excerpt(&answer.body)
            )
        }
    }
}

fn body_lines(body: &HealthBody, received_at: SystemTime) -> Vec<String> {
    let flag = |name: &str, value: Option<bool>| value.map(|v| format!("{name}={v}"));
    let state: Vec<String> = [
        flag("initialized", body.initialized),
        flag("sealed", body.sealed),
        flag("standby", body.standby),
        flag("performance_standby", body.performance_standby.filter(|v| *v)),
        flag("removed_from_cluster", body.removed_from_cluster),
        flag("ha_connection_healthy", body.ha_connection_healthy),
        body.replication_dr_mode
            .as_ref()
            .filter(|m| !matches!(m.as_str(), "disabled" | "unknown"))
            .map(|m| format!("replication_dr_mode={m}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut lines = vec![state.join(", ")];
    let about: Vec<String> = [
        body.version.as_ref().map(|v| format!("version {v}")),
        body.cluster_name.as_ref().map(|c| format!("cluster_name {c}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !about.is_empty() {
        lines.push(about.join(", "));
    }
    if let Some(server) = body.server_time_utc {
        let skew = skew_secs(server, received_at);
        let note = if skew.unsigned_abs() > SKEW_SHOWN_SECS {
            format!(" (clock skew: {})", skew_text(skew))
        } else {
            String::new()
        };
        lines.push(format!("server_time_utc {}{note}", unix_time(server)));
    }
    lines
}

/// Seconds Vault's clock is ahead of ours (negative: behind).
fn skew_secs(server_unix: i64, received_at: SystemTime) -> i64 {
    let local = received_at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    server_unix.saturating_sub(local)
}

fn skew_text(skew: i64) -> String {
    let by = rough(Duration::from_secs(skew.unsigned_abs()));
    if skew > 0 {
        format!("Vault is {by} ahead of this host")
    } else {
        format!("Vault is {by} behind this host")
    }
}

fn leader_findings(probe: &Probe, found: &mut Findings) -> Option<Leader> {
    let leader = Leader::read(probe)?;
    found.evidence("active node", Some("GET /v1/sys/leader"), leader.evidence.clone());
    Some(leader)
}

/// The finding for the node's state; returns the summary used when all is well.
fn state_findings(
    check: &VaultCheck,
    answer: &Answer,
    health: &Health,
    leader: Option<&Leader>,
    confirmed: Option<&Confirmed>,
    found: &mut Findings,
) -> String {
    let addr_name = &check.names.addr;
    let addr = addr(check);
    let Some(state) = health.state else {
        match &answer.redirect {
            Some(redirect) => redirected(check, Asked::Health, redirect, None, found),
            None => not_vault(check, answer, found),
        }
        return String::new();
    };
    let serving = matches!(state, NodeState::Active | NodeState::Standby | NodeState::PerformanceStandby);
    if serving && health.reading == Reading::CodeOnly {
        unconfirmed(check, answer, state, found);
    }
    let version = health.body().and_then(|b| b.version.as_deref()).map_or(String::new(), |v| format!(", version {v}"));
    let active = match leader.map(|l| &l.active) {
        Some(Active::Named(address)) => format!("; active node: {address}"),
        Some(Active::ItSelf) => "; it now says it is the active node itself".to_string(),
        _ => "; active node not named".to_string(),
    };
    let caveat = match health.reading {
        Reading::CodeOnly => format!(
            " (HTTP {} came without Vault's health body, so this rests on the status code alone: a proxy in front of Vault can answer {} too)",
            answer.status, answer.status
        ),
        _ => String::new(),
    };
    if let (true, Some(leader)) = (health.is_standby(), leader) {
        standby_without_leader(check, state, leader, confirmed, found);
    }
    let mut problem = |code, status, summary: String, cause: String, actions| {
        found.problem(code, status, summary, format!("{cause}{caveat}"), actions);
    };
    match state {
        NodeState::Active => return format!("active Vault at {addr}{version}"),
        NodeState::Standby => {
            return format!("a standby answered at {addr} (unsealed, healthy: Vault's 429, not a rate limit){version}{active}")
        }
        NodeState::PerformanceStandby => {
            return format!(
                "a performance standby answered at {addr}: it serves reads and forwards writes to the active node{version}{active}"
            )
        }
        NodeState::DrSecondary => problem(
            codes::DR_SECONDARY,
            Status::Warn,
            format!("a DR secondary answered at {addr}: it serves no secrets until promoted"),
            "replication_dr_mode is secondary: a disaster-recovery secondary copies the primary cluster but answers no client request (no token lookup, no secret read) until it is promoted; an app pointed here cannot read its secrets".to_string(),
            vec![Action::new(
                Priority::High,
                format!("Point {addr_name} at the primary cluster (its load balancer or active node); promote this cluster only if the primary is lost"),
            )
            .with_command("vault read sys/replication/status")],
        ),
        NodeState::HaUnhealthy => {
            let since = health
                .body()
                .and_then(|b| b.last_heartbeat_ms)
                .map_or(String::new(), |ms| format!(" (last heartbeat {ms} ms ago)"));
            problem(
                codes::HA_UNHEALTHY,
                Status::Fail,
                format!("the standby at {addr} cannot reach the active node"),
                format!("ha_connection_healthy is false: this standby's heartbeats to the active node fail{since}, so every request it forwards to the active node fails"),
                vec![Action::new(Priority::High, "Check the active node, and the cluster port (8201) between the nodes")
                    .with_command("vault operator raft list-peers   # on a healthy node\nnc -vz <active-node> 8201")],
            )
        }
        NodeState::Uninitialized => problem(
            codes::NOT_INITIALIZED,
            Status::Fail,
            format!("Vault at {addr} is not initialized"),
            "Vault runs but its storage was never initialized: it holds no secrets and no tokens. On a Vault that used to work, this means it now reads another, empty storage path (compare the storage path in Vault's configuration with where its data really is)".to_string(),
            vec![
                Action::new(Priority::High, "Check the storage path in Vault's configuration against where its data really is, fix it, restart Vault")
                    .with_command("grep -A3 '^storage' /etc/vault.d/*.hcl\nsystemctl restart vault"),
                Action::new(Priority::Low, "Only for a brand-new Vault: initialize it (this creates a new, empty Vault and its unseal keys)")
                    .with_command("vault operator init"),
            ],
        ),
        NodeState::Sealed => problem(
            codes::SEALED,
            Status::Fail,
            format!("Vault at {addr} is sealed"),
            "Vault runs and is initialized but sealed (it restarted and nobody unsealed it, or auto-unseal failed): it refuses every token lookup and secret read until unsealed".to_string(),
            vec![
                Action::new(Priority::High, "Unseal Vault: key holders each enter one unseal key until the threshold is reached and it shows Sealed false")
                    .with_command(format!("VAULT_ADDR={addr} vault operator unseal   # once per key share")),
                Action::new(Priority::Medium, "If Vault uses auto-unseal (cloud KMS, transit), its log says why unsealing failed")
                    .with_command("journalctl -u vault -n 100 --no-pager"),
            ],
        ),
        NodeState::Removed => problem(
            codes::REMOVED_FROM_CLUSTER,
            Status::Fail,
            format!("the node at {addr} was removed from its cluster"),
            "removed_from_cluster is true: this node was removed from its raft cluster and serves nothing; it cannot rejoin with its old data".to_string(),
            vec![Action::new(
                Priority::High,
                format!("Point {addr_name} at a current member or the cluster's load balancer; to bring the node back, wipe its raft data and join it again"),
            )
            .with_command("vault operator raft list-peers")],
        ),
    }
    String::new()
}

/// A standby serves nothing on its own: it needs an active node to forward
/// to. None known is a failure for a standby (every request fails) and a
/// warning for a performance standby (it still serves reads).
fn standby_without_leader(
    check: &VaultCheck,
    state: NodeState,
    leader: &Leader,
    confirmed: Option<&Confirmed>,
    found: &mut Findings,
) {
    let addr = addr(check);
    let label = state.label();
    let (status, serves) = match state {
        NodeState::PerformanceStandby => (Status::Warn, "a performance standby still serves reads of what it has replicated, but writes, leases, token renewals and logins need the active node and fail"),
        _ => (Status::Fail, "a standby serves no write itself: it forwards them to the active node, so writes, lease renewals, logins and token lookups fail (Vault answers 503 \"no active Vault instance found\", or a forwarding error)"),
    };
    let recover = vec![
        Action::new(Priority::High, "Bring the cluster back to an active node: start and unseal the stopped nodes until a majority of the raft voters is up (3 nodes need 2, 5 need 3); a node then wins the election")
            .with_command("vault operator raft list-peers   # on any unsealed node\nvault status\nsystemctl status vault\njournalctl -u vault -n 100 --no-pager"),
        Action::new(Priority::Medium, "If a majority of the nodes is lost for good, recover the survivors with a peers.json file (Vault's lost-quorum recovery); restoring a snapshot onto a new cluster is the other way"),
    ];
    let named = leader.named().unwrap_or_default();
    let lost = "the cluster has lost its active node (stopped or sealed, and no other node elected: a raft cluster without a majority of its voters cannot elect one)";
    let still = "Its health still says standby, which a load balancer's health check takes for healthy";
    let gone = match (&leader.active, confirmed) {
        (Active::Nobody, _) => Some((
            format!("the {label} at {addr} knows no active node: writes, leases and logins fail"),
            format!("sys/leader names no active node (leader_address empty): {lost}; {serves}. {still}"),
        )),
        (Active::Named(_), Some(seen @ (Confirmed::Down(_) | Confirmed::NotActive(_)))) => Some((
            format!("the {label} at {addr} has no active node: {named}, the one it names, is gone; writes, leases and logins fail"),
            format!("sys/leader still names {named} as the active node (on raft a standby keeps the last active node's address), but asked directly, {named} {}: {lost}; {serves}. {still}", seen.told()),
        )),
        _ => None,
    };
    if let Some((summary, cause)) = gone {
        found.problem(codes::STANDBY_WITHOUT_ACTIVE, status, summary, cause, recover);
        return;
    }
    match (&leader.active, confirmed) {
        (Active::Unknown(why), _) => found.warn(
            codes::LEADER_UNKNOWN,
            format!("the {label} at {addr} did not name its active node"),
            format!("a standby is only as good as the active node it forwards to, and sys/leader did not say which one that is ({why}), so the cluster's health is not confirmed"),
            vec![Action::new(Priority::Medium, "Ask the standby for its leader and check the cluster's members")
                .with_command(format!("curl -sS {addr}/v1/sys/leader\nvault operator raft list-peers"))],
        ),
        (Active::Named(_), Some(Confirmed::Unreached(what))) => found.warn(
            codes::ACTIVE_NODE_UNREACHED,
            format!("the active node the {label} at {addr} names ({named}) was not reached from here"),
            format!("sys/leader names {named}, but asking it for its health got no answer from here ({what}): its api_addr may be reachable only from the cluster's own network, or it may be down, so the cluster's health is not confirmed"),
            vec![Action::new(Priority::Medium, format!("Check {named} from a host of the cluster's network, and the cluster's members"))
                .with_command(format!("curl -sS {named}/v1/sys/health\nvault operator raft list-peers"))],
        ),
        _ => {}
    }
}

/// A serving state read from the status code alone: a 429 without Vault's
/// body may just as well be a rate limiter in front of Vault.
fn unconfirmed(check: &VaultCheck, answer: &Answer, state: NodeState, found: &mut Findings) {
    let addr = addr(check);
    let code = answer.status;
    found.warn(
        codes::STATE_UNCONFIRMED,
        format!("{addr} answered HTTP {code} without Vault's health body"),
        format!(
            "{code} is Vault's code for a {}, but the answer carries no Vault health JSON ({}): a proxy or rate limiter in front of Vault may have answered instead, so the state is not confirmed",
            state.label(),
            excerpt(&answer.body)
        ),
        vec![Action::new(Priority::Medium, format!("Check what answers at {addr}: Vault itself always sends its health JSON"))
            .with_command(format!("curl -sv {addr}/v1/sys/health"))],
    );
}

fn not_vault(check: &VaultCheck, answer: &Answer, found: &mut Findings) {
    let addr_name = &check.names.addr;
    let addr = addr(check);
    let code = answer.status;
    if String::from_utf8_lossy(&answer.body).contains("HTTP request to an HTTPS server") {
        found.fail(
            codes::EXPECTS_HTTPS,
            format!("Vault at {addr} expects https://, not http://"),
            format!("Vault answered HTTP {code} \"Client sent an HTTP request to an HTTPS server\": its listener uses TLS but {addr_name} starts with http://"),
            vec![Action::new(Priority::High, format!("Use https:// in {addr_name}"))],
        );
        return;
    }
    found.fail(
        codes::NOT_VAULT,
        format!("{addr} answered HTTP {code}, not like Vault"),
        format!(
            "GET /v1/sys/health got HTTP {code} without Vault's health JSON ({}): something other than Vault answers at {addr_name} (another service, a proxy or load balancer error page)",
            excerpt(&answer.body)
        ),
        vec![Action::new(Priority::High, format!("Check that {addr_name} points at Vault's API listener (scheme, host and port, 8200 by default)"))
            .with_command(format!("curl -sv {addr}/v1/sys/health"))],
    );
}

fn clock_findings(body: &HealthBody, received_at: SystemTime, found: &mut Findings) {
    let Some(server) = body.server_time_utc else { return };
    let skew = skew_secs(server, received_at);
    // unsigned_abs: a server time near i64::MIN saturates the skew there, whose abs() overflows.
    if skew.unsigned_abs() <= SKEW_WARN_SECS {
        return;
    }
    found.warn(
        codes::CLOCK_SKEW,
        format!("clock skew: {}", skew_text(skew)),
        format!(
            "Vault's clock (server_time_utc {}) and this host's differ by {}s: token and lease expiry, certificate validity and time-based checks go wrong when clocks drift; one of the two hosts does not keep its time in sync",
            unix_time(server),
            skew.unsigned_abs()
        ),
        vec![Action::new(Priority::Medium, "Check time synchronisation (NTP) on this host and on the Vault host")
            .with_command("timedatectl status\nchronyc tracking")],
    );
}

pub(super) fn secs(secs: i64) -> String {
    rough(Duration::from_secs(secs.max(0) as u64))
}

#[cfg(test)]
pub(super) mod fixtures {
    use super::super::client::{Answer, RequestError};
    use super::super::{Names, Observed, Probe, VaultCheck};
    use std::time::{Duration, SystemTime, UNIX_EPOCH};
    use url::Url;

    pub const SECRET_VALUE: &str = "Sup3rS3cretVal-never-shown";

    pub fn check(addr: &str) -> VaultCheck {
        VaultCheck {
            addr: Url::parse(addr).unwrap(),
            token: Some(crate::secret::Secret::new("s.app-token")),
            cacert: None,
            skip_verify: false,
            secrets: vec![],
            min_ttl: Duration::from_secs(24 * 3600),
            names: Names::by_variable(&super::super::KIND),
        }
    }

    pub fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            body: body.as_bytes().to_vec(),
            truncated: false,
            received_at: SystemTime::now(),
            certificate: None,
            redirect: None,
        }
    }

    /// Any status with any body, whole or cut at the cap.
    pub fn any_answer() -> impl proptest::strategy::Strategy<Value = Answer> {
        use crate::test_strategies::{any_body, any_status};
        use proptest::prelude::*;
        (any_status(), any_body(), any::<bool>()).prop_map(|(status, body, truncated)| Answer {
            body,
            truncated,
            ..answer(status, "")
        })
    }

    pub fn now() -> i64 {
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
    }

    /// An active node's health body, with `overrides` (a JSON object) on top.
    pub fn health_body(overrides: &str) -> String {
        let mut body = serde_json::json!({
            "initialized": true, "sealed": false, "standby": false, "version": "1.19.0",
            "cluster_name": "vault-cluster-kbz", "server_time_utc": now(), "replication_dr_mode": "disabled",
        });
        let overrides: serde_json::Value =
            serde_json::from_str(if overrides.is_empty() { "{}" } else { overrides }).unwrap();
        for (key, value) in overrides.as_object().unwrap() {
            body[key] = value.clone();
        }
        body.to_string()
    }

    pub fn token_body(ttl: i64, renewable: bool) -> String {
        format!(
            r#"{{"data":{{"id":"s.app-token","policies":["default","kb-app"],"ttl":{ttl},"renewable":{renewable},"expire_time":"2026-12-01T00:00:00Z"}}}}"#
        )
    }

    pub fn observed(health: Result<Answer, RequestError>) -> Observed {
        Observed {
            health,
            leader: Probe::NotRun("no standby answered".into()),
            active_health: Probe::NotRun("no active node named".into()),
            token: Probe::NotRun("VAULT_TOKEN is not set".into()),
            secrets: vec![],
            autopilot: Probe::NotRun("VAULT_TOKEN is not set".into()),
        }
    }

    pub fn with_token(health: &str, token: Answer) -> Observed {
        Observed { token: Probe::Done(Ok(token)), ..observed(Ok(answer(200, health))) }
    }
}

#[cfg(test)]
mod tests {
    use super::super::client::RequestError;
    use super::fixtures::*;
    use super::*;

    #[test]
    fn active_vault_with_a_good_token_is_ok() {
        let out = diagnose(
            &check("https://10.0.0.150:8200"),
            &with_token(&health_body(""), answer(200, &token_body(30 * 86400, true))),
        );
        assert_eq!(out.status, Status::Ok, "{out:#?}");
        assert!(out.findings.is_empty(), "an ok outcome has no code: {out:#?}");
        assert!(
            out.summary.starts_with("active Vault at https://10.0.0.150:8200, version 1.19.0; token valid for 30d ("),
            "{}",
            out.summary
        );
        let health = out.evidence_of("health");
        assert!(health.contains("sealed=false") && health.contains("cluster_name vault-cluster-kbz"), "{health}");
        assert!(!health.contains("clock skew"), "{health}");
        assert!(out.evidence_of("token").contains("policies default, kb-app"));
    }

    #[test]
    fn each_state_maps_to_its_status() {
        let cases = [
            (r#"{"standby":true}"#, 200, Status::Ok, "a standby answered", None),
            (r#"{"performance_standby":true,"standby":true}"#, 299, Status::Ok, "a performance standby answered", None),
            (
                r#"{"replication_dr_mode":"secondary"}"#,
                299,
                Status::Warn,
                "a DR secondary answered",
                Some("vault.dr_secondary"),
            ),
            (
                r#"{"standby":true,"ha_connection_healthy":false}"#,
                299,
                Status::Fail,
                "cannot reach the active node",
                Some("vault.ha_unhealthy"),
            ),
            (
                r#"{"removed_from_cluster":true}"#,
                299,
                Status::Fail,
                "was removed from its cluster",
                Some("vault.removed_from_cluster"),
            ),
        ];
        for (fields, code, status, summary, finding) in cases {
            let out = diagnose(&check("http://127.0.0.1:8200"), &observed(Ok(answer(code, &health_body(fields)))));
            assert_eq!(out.status, status, "{fields}: {out:#?}");
            assert!(out.summary.contains(summary), "{fields}: {}", out.summary);
            assert_eq!(out.codes().first().copied(), finding, "{fields}: {out:#?}");
        }
    }

    fn standby_with_leader(kind: &str, leader: &str) -> Outcome {
        let fields = match kind {
            "performance" => r#"{"standby":true,"performance_standby":true}"#,
            _ => r#"{"standby":true}"#,
        };
        let seen = Observed {
            leader: Probe::Done(Ok(answer(200, leader))),
            ..observed(Ok(answer(299, &health_body(fields))))
        };
        diagnose(&check("http://127.0.0.1:8200"), &seen)
    }

    #[test]
    fn a_standby_is_healthy_only_with_an_active_node() {
        let named = standby_with_leader("standby", r#"{"ha_enabled":true,"leader_address":"http://127.0.0.1:8300"}"#);
        assert_eq!(named.status, Status::Ok, "{named:#?}");
        assert!(named.summary.ends_with("; active node: http://127.0.0.1:8300"), "{}", named.summary);

        let nobody = r#"{"ha_enabled":true,"raft_committed_index":40,"raft_applied_index":40}"#;
        let out = standby_with_leader("standby", nobody);
        assert_eq!(out.status, Status::Fail, "{out:#?}");
        assert_eq!(
            out.summary,
            "the standby at http://127.0.0.1:8200 knows no active node: writes, leases and logins fail"
        );
        assert!(out.causes.join("\n").contains("no active Vault instance found"), "{out:#?}");
        assert!(out.actions[0].command.as_deref().unwrap().contains("raft list-peers"), "{out:#?}");
        assert_eq!(out.codes(), ["vault.standby_without_active"]);
        assert!(out.evidence_of("active node").starts_with("no active node: ha_enabled=true, leader_address empty"));

        // A performance standby still serves reads: a warning.
        let out = standby_with_leader("performance", nobody);
        assert_eq!(out.status, Status::Warn, "{out:#?}");
        assert!(out.summary.starts_with("the performance standby at "), "{}", out.summary);
        assert_eq!(out.codes(), ["vault.standby_without_active"]);

        // Named, but that node refuses connections (raft keeps the last leader's address): gone.
        let seen = Observed {
            leader: Probe::Done(Ok(answer(200, r#"{"ha_enabled":true,"leader_address":"http://127.0.0.1:8300"}"#))),
            active_health: Probe::Done(Err(RequestError::Refused { endpoint: "127.0.0.1:8300".into() })),
            ..observed(Ok(answer(299, &health_body(r#"{"standby":true}"#))))
        };
        let out = diagnose(&check("http://127.0.0.1:8200"), &seen);
        assert_eq!(out.status, Status::Fail, "{out:#?}");
        assert_eq!(out.summary, "the standby at http://127.0.0.1:8200 has no active node: http://127.0.0.1:8300, the one it names, is gone; writes, leases and logins fail");
        assert!(
            out.causes.join("\n").contains("refuses connections (connection refused by 127.0.0.1:8300)"),
            "{out:#?}"
        );
        assert_eq!(out.evidence_of("active node health"), "no answer: connection refused by 127.0.0.1:8300");
        assert_eq!(out.codes(), ["vault.standby_without_active"], "the same diagnosis as naming nobody");

        // No usable answer: not confirmed, a warning.
        let out = standby_with_leader("standby", "<html>bad gateway</html>");
        assert_eq!(out.status, Status::Warn, "{out:#?}");
        assert_eq!(out.summary, "the standby at http://127.0.0.1:8200 did not name its active node");
        assert_eq!(out.codes(), ["vault.leader_unknown"]);
    }

    #[test]
    fn redirects_are_findings_with_the_masked_location() {
        use crate::redirect::Redirected;
        let c = check("https://127.0.0.1:8200");
        let asked = api_url(&c.addr, &["sys", "health"], HEALTH_QUERY);
        let mut moved = answer(307, "");
        moved.redirect =
            Redirected::read(&asked, 307, Some("http://u:pw-Zz9@127.0.0.2:8200/v1/sys/health?token=s.abc"))
                .map(Box::new);
        let out = diagnose(&c, &observed(Ok(moved)));
        assert_eq!(out.status, Status::Fail, "{out:#?}");
        assert!(
            out.summary.starts_with("https://127.0.0.1:8200 redirects GET /v1/sys/health (HTTP 307) to http://***#"),
            "{}",
            out.summary
        );
        assert!(out.causes.join("\n").contains("a downgrade from https to plain http"), "{out:#?}");
        assert_eq!(out.codes(), ["vault.redirected.downgrade"]);
        let shown = format!("{out:?}");
        assert!(!shown.contains("pw-Zz9") && !shown.contains("s.abc"), "{shown}");
        assert!(out.evidence_of("health").starts_with("HTTP 307 redirect to http://***#"), "{out:#?}");

        // The token lookup of a standby sent to its active node: a warning naming it.
        let lookup = api_url(&c.addr, &["auth", "token", "lookup-self"], &[]);
        let mut moved = answer(307, "");
        moved.redirect =
            Redirected::read(&lookup, 307, Some("https://127.0.0.1:8300/v1/auth/token/lookup-self")).map(Box::new);
        let seen = Observed {
            leader: Probe::Done(Ok(answer(200, r#"{"ha_enabled":true,"leader_address":"https://127.0.0.1:8300"}"#))),
            token: Probe::Done(Ok(moved)),
            ..observed(Ok(answer(299, &health_body(r#"{"standby":true}"#))))
        };
        let out = diagnose(&c, &seen);
        assert_eq!(out.status, Status::Warn, "{out:#?}");
        assert!(
            out.causes.join("\n").contains("a standby pointing at its active node (https://127.0.0.1:8300)"),
            "{out:#?}"
        );
        assert_eq!(out.codes(), ["vault.redirected.to_active"]);
    }

    #[test]
    fn sealed_and_uninitialized_fail_with_their_actions() {
        let sealed = format!(r#"{{"initialized":true,"sealed":true,"standby":true,"server_time_utc":{}}}"#, now());
        let out = diagnose(&check("http://127.0.0.1:8200"), &observed(Ok(answer(299, &sealed))));
        assert_eq!((out.status, out.summary.as_str()), (Status::Fail, "Vault at http://127.0.0.1:8200 is sealed"));
        assert!(out.actions[0].command.as_deref().unwrap().contains("vault operator unseal"), "{out:#?}");
        assert_eq!(out.codes(), ["vault.sealed"]);
        let uninit = r#"{"initialized":false,"sealed":true,"standby":true}"#;
        let out = diagnose(&check("http://127.0.0.1:8200"), &observed(Ok(answer(501, uninit))));
        assert_eq!(out.summary, "Vault at http://127.0.0.1:8200 is not initialized");
        assert_eq!(out.codes(), ["vault.not_initialized"]);
        assert!(out.causes.join("\n").contains("storage"));
    }

    #[test]
    fn raw_codes_without_a_body_say_what_they_rest_on() {
        let out =
            diagnose(&check("http://127.0.0.1:8200"), &observed(Ok(answer(503, "<html>no server available</html>"))));
        assert_eq!(out.status, Status::Fail);
        assert!(out.summary.ends_with("is sealed"), "{}", out.summary);
        assert!(out.causes.join("\n").contains("rests on the status code alone"), "{out:#?}");
        assert_eq!(out.codes(), ["vault.sealed"], "the same diagnosis, with its caveat");
        let out = diagnose(&check("http://127.0.0.1:8200"), &observed(Ok(answer(429, "Too Many Requests"))));
        assert_eq!(out.status, Status::Warn);
        assert_eq!(out.summary, "http://127.0.0.1:8200 answered HTTP 429 without Vault's health body");
        assert!(out.causes.join("\n").contains("rate limiter"), "{out:#?}");
        assert_eq!(out.codes(), ["vault.state_unconfirmed"]);
    }

    #[test]
    fn something_else_answering_is_not_vault() {
        let out = diagnose(
            &check("http://127.0.0.1:8200"),
            &observed(Ok(answer(200, "<html><body>Welcome to nginx</body></html>"))),
        );
        assert_eq!(out.status, Status::Fail);
        assert_eq!(out.summary, "http://127.0.0.1:8200 answered HTTP 200, not like Vault");
        assert!(out.evidence_of("health").contains("Welcome to nginx"));
        assert_eq!(out.codes(), ["vault.not_vault"]);
        let out = diagnose(
            &check("http://127.0.0.1:8200"),
            &observed(Ok(answer(400, "Client sent an HTTP request to an HTTPS server.\n"))),
        );
        assert_eq!(out.summary, "Vault at http://127.0.0.1:8200 expects https://, not http://");
        assert_eq!(out.codes(), ["vault.expects_https"]);
    }

    #[test]
    fn clock_skew_is_shown_over_5s_and_warns_over_60s() {
        let at = |offset: i64| {
            format!(r#"{{"initialized":true,"sealed":false,"standby":false,"server_time_utc":{}}}"#, now() + offset)
        };
        let mut no_token = check("http://127.0.0.1:8200");
        no_token.token = None;
        let out = diagnose(&no_token, &observed(Ok(answer(200, &at(20)))));
        assert_eq!(out.status, Status::Ok);
        assert!(out.evidence_of("health").contains("clock skew: Vault is 20s ahead of this host"), "{out:#?}");
        let out = diagnose(&no_token, &observed(Ok(answer(200, &at(-120)))));
        assert_eq!((out.status, out.summary.as_str()), (Status::Warn, "clock skew: Vault is 2m behind this host"));
        assert_eq!(out.codes(), ["vault.clock_skew"]);
    }

    #[test]
    fn a_server_time_at_the_end_of_i64_is_skew_not_a_panic() {
        let mut no_token = check("http://127.0.0.1:8200");
        no_token.token = None;
        for server_time in [i64::MIN, i64::MAX] {
            let body = format!(r#"{{"initialized":true,"sealed":false,"server_time_utc":{server_time}}}"#);
            let out = diagnose(&no_token, &observed(Ok(answer(200, &body))));
            assert!(out.summary.starts_with("clock skew: Vault is "), "{server_time}: {out:#?}");
        }
    }

    #[test]
    fn durations_read_roughly() {
        assert_eq!(rough(Duration::from_micros(899_972)), "900ms");
        assert_eq!(rough(Duration::from_secs(768 * 3600 - 7)), "31d 23h");
        assert_eq!(rough(Duration::from_secs(3599)), "59m 59s");
        assert_eq!(rough(Duration::from_secs(120)), "2m");
        assert_eq!(rough(Duration::from_secs(86_400 + 59)), "1d");
        assert_eq!(rough(Duration::from_secs(1)), "1s");
        assert_eq!(rough(Duration::from_millis(4_499)), "4.5s");
        assert_eq!(rough(Duration::from_millis(9_999)), "10s");
    }
}

#[cfg(test)]
mod properties {
    use super::super::health::properties::FIELDS as HEALTH_FIELDS;
    use super::super::token::properties::FIELDS as TOKEN_FIELDS;
    use super::fixtures::*;
    use super::*;
    use crate::test_strategies::{
        any_body, any_json, any_status, any_text, config, keeps_the_outcome_contract, mixed_object,
    };
    use proptest::collection::vec;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    /// What a token lookup may answer: its details with fields of any
    /// type, or Vault's errors of any text.
    fn token_answer() -> impl Strategy<Value = Answer> {
        prop_oneof![
            mixed_object(&TOKEN_FIELDS).prop_map(|data| answer(200, &json!({ "data": data }).to_string())),
            (any_status(), vec(any_text(), 0..3))
                .prop_map(|(status, errors)| answer(status, &json!({ "errors": errors }).to_string())),
        ]
    }

    proptest! {
        #![proptest_config(config())]

        /// Whatever Vault's health, leader and lookup answers hold, the
        /// diagnosis comes without a panic, its summary is one printable
        /// line and its cause one printable line per problem (the JSON
        /// report's contract; the terminal shows both as they are).
        #[test]
        fn any_answers_give_printable_lines(
            status in any_status(),
            health in mixed_object(&HEALTH_FIELDS),
            leader in any_json(),
            token in token_answer(),
            active_status in any_status(),
            active_body in any_body(),
            autopilot in any_answer(),
        ) {
            let mut active = answer(active_status, "");
            active.body = active_body;
            let observed = Observed {
                health: Ok(answer(status, &Value::Object(health).to_string())),
                leader: Probe::Done(Ok(answer(200, &json!({ "ha_enabled": true, "leader_address": leader }).to_string()))),
                active_health: Probe::Done(Ok(active)),
                token: Probe::Done(Ok(token)),
                secrets: vec![],
                autopilot: Probe::Done(Ok(autopilot)),
            };
            let out = diagnose(&check("https://127.0.0.1:8200"), &observed);
            keeps_the_outcome_contract(&out, "vault")?;
        }
    }
}
