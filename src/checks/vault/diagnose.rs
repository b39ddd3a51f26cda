//! From what Vault said (or why it said nothing) to a status, a cause in
//! plain words and the actions that fix it. Pure: unit-tested without a server.

use super::client::{api_url, Answer, CertInfo, RequestError, TlsProblem, HEALTH_QUERY};
use super::health::{code_meaning, Health, HealthBody, NodeState, Reading};
use super::secrets::{self, Absence, Kv, SecretState};
use super::token::{vault_errors, TokenInfo};
use super::{Observed, Probe, VaultCheck};
use crate::report::{Action, Evidence, Outcome, Priority, Status};
use crate::secret::mask_dsn;
use serde_json::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Clock skew worth showing, and worth a warning (see docs/checks/vault.md).
const SKEW_SHOWN_SECS: i64 = 5;
const SKEW_WARN_SECS: i64 = 60;
/// How much of an unexpected body the evidence quotes.
const EXCERPT_CHARS: usize = 200;

struct Problem {
    status: Status,
    summary: String,
    cause: String,
    actions: Vec<Action>,
}

#[derive(Default)]
struct Findings {
    evidence: Vec<Evidence>,
    problems: Vec<Problem>,
}

impl Findings {
    fn evidence(&mut self, label: impl Into<String>, command: Option<&str>, output: impl Into<String>) {
        self.evidence.push(Evidence::new(label, command, output));
    }

    fn problem(&mut self, status: Status, summary: String, cause: String, actions: Vec<Action>) {
        self.problems.push(Problem { status, summary, cause, actions });
    }

    /// Worst problem first: its summary heads the line; every cause and action is kept.
    fn into_outcome(mut self, ok_summary: String) -> Outcome {
        self.problems.sort_by_key(|p| if p.status == Status::Fail { 0 } else { 1 });
        let Some(first) = self.problems.first() else {
            let mut outcome = Outcome::new(Status::Ok, ok_summary);
            outcome.evidence = self.evidence;
            return outcome;
        };
        let mut outcome = Outcome::new(first.status, first.summary.clone());
        outcome.cause = Some(self.problems.iter().map(|p| p.cause.as_str()).collect::<Vec<_>>().join("\n"));
        outcome.actions = self.problems.into_iter().flat_map(|p| p.actions).collect();
        outcome.evidence = self.evidence;
        outcome
    }
}

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
    let mut summary = state_findings(check, answer, &health, leader.as_deref(), &mut found);
    if let Some(body) = health.body() {
        clock_findings(body, answer.received_at, &mut found);
    }
    let token = token_findings(check, &observed.token, &mut found);
    summary.push_str(&token.summary);
    summary.push_str(&secret_findings(check, &observed.secrets, &token.policies, &mut found));
    found.into_outcome(summary)
}

/// `VAULT_ADDR` as shown in messages: no trailing slash, any password masked.
fn addr(check: &VaultCheck) -> String {
    mask_dsn(check.addr.as_str().trim_end_matches('/'))
}

fn health_command(check: &VaultCheck) -> String {
    format!("GET {}", mask_dsn(api_url(&check.addr, &["sys", "health"], HEALTH_QUERY).as_str()))
}

// ---- no answer -------------------------------------------------------------

fn request_failure(check: &VaultCheck, error: &RequestError, found: &mut Findings) {
    let addr_name = &check.names.addr;
    let addr = addr(check);
    found.evidence("health", Some(&health_command(check)), format!("no answer: {}", error_text(error)));
    match error {
        RequestError::Setup { detail } => found.problem(
            Status::Fail,
            format!("cannot set up TLS for {addr}: {detail}"),
            format!("the trust settings could not be used, so nothing was sent to Vault: {detail}"),
            vec![Action::new(
                Priority::High,
                format!("Point {} at a PEM file holding the CA certificate that signed Vault's certificate", check.names.cacert),
            )],
        ),
        RequestError::Dns { host, detail } => found.problem(
            Status::Fail,
            format!("cannot resolve {host}"),
            format!(
                "the host name in {addr_name} ({addr}) does not resolve from here ({detail}): a typo, or a name only another network's DNS knows (a cluster-internal name on a VM, or the reverse)"
            ),
            vec![Action::new(Priority::High, format!("Fix the host in {addr_name}, or check that it resolves where the app runs"))
                .with_command(format!("getent hosts {host}"))],
        ),
        RequestError::Refused { endpoint } => found.problem(
            Status::Fail,
            format!("connection refused by {endpoint}: Vault is not running there"),
            format!(
                "nothing listens on {endpoint}: the Vault service is down, or listens on another address or port than {addr_name} says. Every secret the app reads from Vault fails meanwhile (in PH11, vault.service on vault-01 had been failed for three weeks unnoticed)"
            ),
            vec![
                Action::new(Priority::High, "See why Vault is not running, fix it, start it")
                    .with_command("systemctl status vault\njournalctl -u vault -n 50 --no-pager\nsystemctl start vault"),
                Action::new(Priority::Medium, format!("If Vault runs, compare its listener address with {addr_name} ({addr})"))
                    .with_command("ss -ltnp | grep vault"),
            ],
        ),
        RequestError::ConnectTimeout { endpoint, .. } | RequestError::NoRoute { endpoint, .. } => {
            let what = match error {
                RequestError::ConnectTimeout { after, .. } => {
                    format!("no answer from {endpoint} within {}", rough(*after))
                }
                _ => format!("no route to {endpoint}"),
            };
            found.problem(
                Status::Fail,
                format!("{what}: the network path to Vault is blocked from here"),
                format!(
                    "the TCP connection to {endpoint} got no answer at all: from where this runs, a firewall, a security group, a Kubernetes NetworkPolicy or a missing route drops the traffic. Vault itself may be up. This is PH15: the backend pod had {addr_name}={addr}, the cluster network could not reach it, and the app only said \"fetch failed\""
                ),
                vec![
                    Action::new(Priority::High, "Test the same address from where the app runs (inside its pod or VM), not from your workstation")
                        .with_command(format!("kubectl exec -n <namespace> deploy/<app> -- wget -qO- -T 5 {addr}/v1/sys/health")),
                    Action::new(
                        Priority::High,
                        format!("Open the path from the app's network to {endpoint} (firewall, security group, NetworkPolicy egress, routing), or give the app a Vault address it can reach"),
                    ),
                ],
            );
        }
        RequestError::Tls { endpoint, problem, detail, certificate } => {
            tls_failure(check, endpoint, *problem, detail, certificate.as_deref(), found)
        }
        RequestError::Failed { endpoint, detail } => found.problem(
            Status::Fail,
            format!("request to {endpoint} failed: {detail}"),
            format!("GET /v1/sys/health to {endpoint} got no HTTP answer: {detail}"),
            vec![Action::new(Priority::High, format!("Check what answers at {addr} and whether it is Vault"))
                .with_command(format!("curl -sv {addr}/v1/sys/health"))],
        ),
    }
}

fn error_text(error: &RequestError) -> String {
    match error {
        RequestError::Setup { detail } => format!("TLS setup failed: {detail}"),
        RequestError::Dns { host, detail } => format!("cannot resolve {host}: {detail}"),
        RequestError::Refused { endpoint } => format!("connection refused by {endpoint}"),
        RequestError::ConnectTimeout { endpoint, after } => {
            format!("TCP connection to {endpoint} unanswered after {}", rough(*after))
        }
        RequestError::NoRoute { endpoint, detail } => format!("no route to {endpoint}: {detail}"),
        RequestError::Tls { endpoint, detail, certificate, .. } => match certificate {
            Some(cert) => format!("TLS with {endpoint} failed: {detail}\ncertificate: {}", describe(cert)),
            None => format!("TLS with {endpoint} failed: {detail}"),
        },
        RequestError::Failed { endpoint, detail } => format!("request to {endpoint} failed: {detail}"),
    }
}

/// "subject CN=vault, issued by CN=ca, names 10.0.0.150, valid until 2027-01-01T00:00:00Z".
fn describe(cert: &CertInfo) -> String {
    let names = if cert.names.is_empty() { String::new() } else { format!(", names {}", cert.names.join(", ")) };
    format!("subject {}, issued by {}{names}, valid until {}", cert.subject, cert.issuer, unix_time(cert.not_after))
}

fn tls_failure(
    check: &VaultCheck,
    endpoint: &str,
    problem: TlsProblem,
    detail: &str,
    cert: Option<&CertInfo>,
    found: &mut Findings,
) {
    let addr_name = &check.names.addr;
    let cacert = &check.names.cacert;
    let host = check.addr.host_str().unwrap_or_default().trim_matches(['[', ']']);
    let named = match cert {
        Some(cert) => format!("Vault's certificate ({})", describe(cert)),
        None => "Vault's certificate".to_string(),
    };
    let trusted = match &check.cacert {
        Some(path) => format!("the system trust store plus {cacert}={}", path.display()),
        None => format!("the system trust store only; {cacert} is not set"),
    };
    let show_chain = format!("openssl s_client -connect {endpoint} -showcerts </dev/null");
    let (short, cause, actions) = match problem {
        TlsProblem::Untrusted => {
            let issuer = cert.map_or("its issuer".to_string(), |c| c.issuer.clone());
            let what = if cert.is_some_and(CertInfo::self_signed) { "is self-signed and not trusted" } else { "is not signed by a CA this host trusts" };
            (
                "certificate not trusted",
                format!("{named} {what} ({trusted}); rustls says: {detail}. The handshake stops before any request, and an app with the same trust settings cannot reach Vault either"),
                vec![Action::new(
                    Priority::High,
                    format!("Trust the CA that issued Vault's certificate ({issuer}): set {cacert} to that CA's PEM file, or add it to the system trust store (SSL_CERT_FILE, or update-ca-certificates); give the app the same CA. Switching verification off is not a fix: the token would go to whoever answers"),
                )
                .with_command(show_chain)],
            )
        }
        TlsProblem::Expired => (
            "certificate expired",
            format!("{named} has expired; rustls says: {detail}"),
            vec![Action::new(Priority::High, "Renew Vault's TLS certificate, then reload Vault (it re-reads its certificate on SIGHUP)")
                .with_command("systemctl reload vault")],
        ),
        TlsProblem::NotYetValid => (
            "certificate not yet valid",
            format!("{named} is not valid yet: its start date is in the future for this host's clock; rustls says: {detail}"),
            vec![Action::new(Priority::High, "Check this host's clock and the certificate's dates")
                .with_command(format!("timedatectl status\n{show_chain}"))],
        ),
        TlsProblem::WrongName => {
            let names = cert.map_or("other names".to_string(), |c| c.names.join(", "));
            (
                "certificate does not name this host",
                format!("{named} is not valid for {host}, the host in {addr_name}; rustls says: {detail}"),
                vec![Action::new(
                    Priority::High,
                    format!("Use a host in {addr_name} that the certificate names ({names}), or reissue the certificate with {host} in its subjectAltName"),
                )],
            )
        }
        TlsProblem::BadCertificate => (
            "certificate refused",
            format!("{named} was refused; rustls says: {detail}"),
            vec![Action::new(
                Priority::High,
                format!("Reissue Vault's certificate as a server certificate (not a CA certificate), signed by a CA the clients trust, with {host} in its subjectAltName"),
            )
            .with_command(show_chain)],
        ),
        TlsProblem::NotTls => (
            "the server does not speak TLS",
            format!("{endpoint} answered in plain text to a TLS handshake: {addr_name} says https:// but Vault's listener has TLS off (tls_disable = true); rustls says: {detail}"),
            vec![Action::new(
                Priority::Medium,
                format!("Use http:// in {addr_name}, or better, enable TLS on Vault's listener so that tokens do not cross the network in clear"),
            )],
        ),
        TlsProblem::Other => (
            "handshake failed",
            format!("the TLS handshake with {endpoint} failed: {detail}"),
            vec![Action::new(Priority::High, "Compare Vault's listener TLS settings (tls_min_version, cipher suites, client certificates) with what clients offer")
                .with_command(show_chain)],
        ),
    };
    found.problem(Status::Fail, format!("TLS with {endpoint} failed: {short}"), cause, actions);
}

// ---- the health answer -----------------------------------------------------

fn health_output(answer: &Answer, health: &Health) -> String {
    let mut lines = vec![format!("HTTP {} ({})", answer.status, code_meaning(answer.status))];
    match &health.reading {
        Reading::Body(body) => {
            let state = body.state();
            if state.default_code() != answer.status {
                // What a plain health check (a load balancer's, curl's) sees in this state.
                let code = state.default_code();
                lines[0].push_str(&format!("; Vault's own code for this state: {code} ({})", code_meaning(code)));
            }
            lines.extend(body_lines(body, answer.received_at));
        }
        Reading::CodeOnly | Reading::NotVault => {
            let cut = if answer.truncated { " (cut at 1 MiB)" } else { "" };
            lines.push(format!("body, not Vault's health JSON{cut}: {}", excerpt(&answer.body)));
        }
    }
    lines.join("\n")
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
        let note =
            if skew.abs() > SKEW_SHOWN_SECS { format!(" (clock skew: {})", skew_text(skew)) } else { String::new() };
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

fn unix_time(secs: i64) -> String {
    match u64::try_from(secs) {
        Ok(secs) => {
            humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs.min(253_402_300_799))).to_string()
        }
        Err(_) => format!("{secs} (before 1970)"),
    }
}

/// The body as one short line: invalid UTF-8 and control characters replaced.
fn excerpt(body: &[u8]) -> String {
    if body.is_empty() {
        return "(empty)".to_string();
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(EXCERPT_CHARS * 4)]);
    let flat: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let words = flat.split_whitespace().collect::<Vec<_>>().join(" ");
    match words.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &words[..cut]),
        None => words,
    }
}

fn tls_findings(check: &VaultCheck, cert: Option<&CertInfo>, found: &mut Findings) {
    let token_note = if check.token.is_some() { ": the token crosses the network in clear" } else { "" };
    if check.addr.scheme() == "http" {
        found.evidence("TLS", None, format!("none ({} is http://){token_note}", check.names.addr));
        return;
    }
    let cert_text = cert.map_or("certificate not seen".to_string(), |c| format!("certificate {}", describe(c)));
    if check.skip_verify {
        found.evidence("TLS", None, format!("NOT verified ({} is true)\n{cert_text}", check.names.skip_verify));
        found.problem(
            Status::Warn,
            format!("Vault's TLS certificate is not verified ({} is true)", check.names.skip_verify),
            format!(
                "certificate verification is off: whatever answers at {} (an impostor, a misrouted proxy) is trusted and receives the token",
                addr(check)
            ),
            vec![Action::new(
                Priority::Medium,
                format!(
                    "Trust Vault's CA instead: set {} to the CA's PEM file (or add the CA to SSL_CERT_FILE) and unset {}",
                    check.names.cacert, check.names.skip_verify
                ),
            )],
        );
        return;
    }
    let roots = match &check.cacert {
        Some(path) => format!("the system trust store plus {}={}", check.names.cacert, path.display()),
        None => "the system trust store".to_string(),
    };
    found.evidence("TLS", None, format!("verified against {roots}\n{cert_text}"));
}

fn leader_findings(leader: &Probe, found: &mut Findings) -> Option<String> {
    let Probe::Done(result) = leader else { return None };
    let command = Some("GET /v1/sys/leader");
    let address = match result {
        Ok(answer) if answer.status == 200 => serde_json::from_slice::<Value>(&answer.body)
            .ok()
            .and_then(|v| v.get("leader_address").and_then(Value::as_str).map(str::to_string))
            .filter(|a| !a.is_empty()),
        _ => None,
    };
    let output = match (&address, result) {
        (Some(address), _) => format!("active node: {address}"),
        (None, Ok(answer)) => format!("active node unknown (HTTP {}: {})", answer.status, excerpt(&answer.body)),
        (None, Err(error)) => format!("active node unknown: {}", error_text(error)),
    };
    found.evidence("active node", command, output);
    address
}

/// The finding for the node's state; returns the summary used when all is well.
fn state_findings(
    check: &VaultCheck,
    answer: &Answer,
    health: &Health,
    leader: Option<&str>,
    found: &mut Findings,
) -> String {
    let addr_name = &check.names.addr;
    let addr = addr(check);
    let Some(state) = health.state else {
        not_vault(check, answer, found);
        return String::new();
    };
    let version = health.body().and_then(|b| b.version.as_deref()).map_or(String::new(), |v| format!(", version {v}"));
    let active = leader.map_or("; active node not named".to_string(), |l| format!("; active node: {l}"));
    let caveat = match health.reading {
        Reading::CodeOnly => format!(
            " (HTTP {} came without Vault's health body, so this rests on the status code alone: a proxy in front of Vault can answer {} too)",
            answer.status, answer.status
        ),
        _ => String::new(),
    };
    let mut problem = |status, summary: String, cause: String, actions| {
        found.problem(status, summary, format!("{cause}{caveat}"), actions);
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
                Status::Fail,
                format!("the standby at {addr} cannot reach the active node"),
                format!("ha_connection_healthy is false: this standby's heartbeats to the active node fail{since}, so every request it forwards to the active node fails"),
                vec![Action::new(Priority::High, "Check the active node, and the cluster port (8201) between the nodes")
                    .with_command("vault operator raft list-peers   # on a healthy node\nnc -vz <active-node> 8201")],
            )
        }
        NodeState::Uninitialized => problem(
            Status::Fail,
            format!("Vault at {addr} is not initialized"),
            "Vault runs but its storage was never initialized: it holds no secrets and no tokens. On a Vault that used to work, this means it now reads another, empty storage path (PH11 found vault-01's configured storage path, /opt/vault/data, differing from where its data was, /data/vault/storage)".to_string(),
            vec![
                Action::new(Priority::High, "Check the storage path in Vault's configuration against where its data really is, fix it, restart Vault")
                    .with_command("grep -A3 '^storage' /etc/vault.d/*.hcl\nsystemctl restart vault"),
                Action::new(Priority::Low, "Only for a brand-new Vault: initialize it (this creates a new, empty Vault and its unseal keys)")
                    .with_command("vault operator init"),
            ],
        ),
        NodeState::Sealed => problem(
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

fn not_vault(check: &VaultCheck, answer: &Answer, found: &mut Findings) {
    let addr_name = &check.names.addr;
    let addr = addr(check);
    let code = answer.status;
    if String::from_utf8_lossy(&answer.body).contains("HTTP request to an HTTPS server") {
        found.problem(
            Status::Fail,
            format!("Vault at {addr} expects https://, not http://"),
            format!("Vault answered HTTP {code} \"Client sent an HTTP request to an HTTPS server\": its listener uses TLS but {addr_name} starts with http://"),
            vec![Action::new(Priority::High, format!("Use https:// in {addr_name}"))],
        );
        return;
    }
    found.problem(
        Status::Fail,
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
    if skew.abs() <= SKEW_WARN_SECS {
        return;
    }
    found.problem(
        Status::Warn,
        format!("clock skew: {}", skew_text(skew)),
        format!(
            "Vault's clock (server_time_utc {}) and this host's differ by {}s: token and lease expiry, certificate validity and time-based checks go wrong when clocks drift; one of the two hosts does not keep its time in sync",
            unix_time(server),
            skew.abs()
        ),
        vec![Action::new(Priority::Medium, "Check time synchronisation (NTP) on this host and on the Vault host")
            .with_command("timedatectl status\nchronyc tracking")],
    );
}

// ---- token and secrets -----------------------------------------------------

struct TokenSummary {
    /// Appended to the ok summary.
    summary: String,
    policies: Vec<String>,
}

fn token_findings(check: &VaultCheck, probe: &Probe, found: &mut Findings) -> TokenSummary {
    let name = &check.names.token;
    let command = Some("GET /v1/auth/token/lookup-self");
    let mut result = TokenSummary { summary: String::new(), policies: Vec::new() };
    let answer = match probe {
        Probe::NotRun(why) => {
            let skipped = if check.secrets.is_empty() { "" } else { " and the secret reads" };
            found.evidence("token", command, format!("not verified: {why}; the token lookup{skipped} were skipped"));
            if check.token.is_none() {
                result.summary = format!("; token not checked ({name} not set)");
            }
            return result;
        }
        Probe::Done(Err(error)) => {
            found.evidence("token", command, format!("no answer: {}", error_text(error)));
            found.problem(
                Status::Warn,
                format!("{name} not verified: the lookup got no answer"),
                format!("Vault answered the health request but not the token lookup: {}", error_text(error)),
                vec![Action::new(Priority::Medium, "Run the check again; if it persists, look at Vault's log")],
            );
            return result;
        }
        Probe::Done(Ok(answer)) => answer,
    };
    match (answer.status, TokenInfo::parse(&answer.body)) {
        (200, Some(info)) => {
            found.evidence("token", command, token_output(&info));
            result.summary = token_ok_summary(check, &info, found);
            result.policies = info.policies;
        }
        (403, _) => {
            found.evidence("token", command, format!("rejected: HTTP 403 {}", vault_errors(&answer.body)));
            found.problem(
                Status::Fail,
                format!("{name} rejected by Vault (403 permission denied)"),
                "lookup-self answered 403: the token is expired, revoked, or was never issued by this Vault (a token of another Vault or of a dev server); rarely, it lacks the default policy that allows lookup-self. Every Vault call the app makes with it fails the same way".to_string(),
                vec![Action::new(Priority::High, format!("Issue a new token for the app and put it where the app reads {name} (its .env file, a Kubernetes Secret), then restart the app"))
                    .with_command("vault token create -policy=<app-policy> -ttl=720h")],
            );
        }
        (code, _) => {
            let errors = vault_errors(&answer.body);
            found.evidence("token", command, format!("HTTP {code} {errors}"));
            found.problem(
                Status::Warn,
                format!("{name} not verified: lookup-self answered HTTP {code}"),
                format!("the token lookup answered HTTP {code} ({errors}) instead of the token's details"),
                vec![Action::new(Priority::Medium, "Look at Vault's log around this time for the failing lookup")],
            );
        }
    }
    result
}

fn token_output(info: &TokenInfo) -> String {
    let mut lines = vec!["accepted (HTTP 200)".to_string()];
    if let Some(name) = &info.display_name {
        lines.push(format!("display_name {name}"));
    }
    let policies = if info.policies.is_empty() { "(none)".to_string() } else { info.policies.join(", ") };
    lines.push(format!("policies {policies}"));
    let ttl = match (info.ttl, &info.expire_time) {
        _ if info.never_expires() => "ttl 0: never expires".to_string(),
        (Some(ttl), Some(at)) => format!("ttl {} (expires {at})", secs(ttl)),
        (Some(ttl), None) => format!("ttl {}", secs(ttl)),
        (None, _) => "ttl unknown".to_string(),
    };
    let renewable = match info.renewable {
        Some(true) => ", renewable",
        Some(false) => ", not renewable",
        None => "",
    };
    lines.push(format!("{ttl}{renewable}"));
    if let Some(kind) = &info.token_type {
        lines.push(format!("type {kind}"));
    }
    lines.join("\n")
}

fn secs(secs: i64) -> String {
    rough(Duration::from_secs(secs.max(0) as u64))
}

/// A duration as people read it: `900ms` under a second (to 10 ms), else its
/// two largest units (`31d 23h`, `59m 59s`, `2m`).
fn rough(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        return format!("{}ms", (duration.as_millis() + 5) / 10 * 10);
    }
    let secs = duration.as_secs();
    let units = [(secs / 86_400, "d"), (secs / 3600 % 24, "h"), (secs / 60 % 60, "m"), (secs % 60, "s")];
    let first = units.iter().position(|(n, _)| *n > 0).unwrap_or(3);
    units[first..(first + 2).min(units.len())]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn token_ok_summary(check: &VaultCheck, info: &TokenInfo, found: &mut Findings) -> String {
    let name = &check.names.token;
    let policies = info.policies.join(", ");
    if info.never_expires() {
        return format!("; token valid, never expires (policies {policies})");
    }
    let Some(ttl) = info.ttl else { return format!("; token valid (policies {policies})") };
    let min = check.min_ttl.as_secs() as i64;
    if ttl < min {
        let renew = if info.renewable == Some(true) {
            Action::new(Priority::High, format!("Renew the token before it expires (and make the app renew it), or issue a longer-lived one for {name}"))
                .with_command("VAULT_TOKEN=<the app's token> vault token renew")
        } else {
            Action::new(
                Priority::High,
                format!("The token cannot be renewed: issue a new one and put it where the app reads {name}"),
            )
            .with_command("vault token create -policy=<app-policy> -ttl=720h")
        };
        found.problem(
            Status::Warn,
            format!("{name} expires in {} (under min_ttl {})", secs(ttl), rough(check.min_ttl)),
            format!(
                "the token has {} left{}: when it reaches zero, every Vault call of the app fails with 403 permission denied",
                secs(ttl),
                info.expire_time.as_ref().map_or(String::new(), |at| format!(" (it expires {at})"))
            ),
            vec![renew],
        );
    }
    format!("; token valid for {} (policies {policies})", secs(ttl))
}

fn secret_findings(check: &VaultCheck, reads: &[(String, Probe)], policies: &[String], found: &mut Findings) -> String {
    let mut present = 0;
    for (path, probe) in reads {
        let label = format!("secret {path}");
        let command = format!("GET /v1/{path}");
        let answer = match probe {
            Probe::NotRun(why) => {
                found.evidence(label, Some(&command), format!("not read: {why}"));
                continue;
            }
            Probe::Done(Err(error)) => {
                found.evidence(label, Some(&command), format!("no answer: {}", error_text(error)));
                found.problem(
                    Status::Fail,
                    format!("reading secret {path} failed"),
                    format!("GET /v1/{path} got no answer: {}", error_text(error)),
                    vec![Action::new(Priority::Medium, "Run the check again; if it persists, look at Vault's log")],
                );
                continue;
            }
            Probe::Done(Ok(answer)) => answer,
        };
        match secrets::read(answer) {
            SecretState::Present { kv, keys } => {
                let version = match kv {
                    Kv::V2 { version: Some(v) } => format!("KV v2, version {v}"),
                    Kv::V2 { version: None } => "KV v2".to_string(),
                    Kv::V1 => "KV v1".to_string(),
                };
                if keys.is_empty() {
                    found.evidence(label, Some(&command), format!("present ({version}) but empty: no keys"));
                    found.problem(
                        Status::Warn,
                        format!("secret {path} is empty"),
                        format!(
                            "the secret at {path} exists but holds no key: whatever the app expects there is missing"
                        ),
                        vec![Action::new(Priority::Medium, format!("Write the expected keys to {path}"))],
                    );
                } else {
                    present += 1;
                    found.evidence(
                        label,
                        Some(&command),
                        format!("present ({version}), keys: {} (values not shown)", keys.join(", ")),
                    );
                }
            }
            SecretState::Absent(absence) => {
                found.evidence(label, Some(&command), format!("absent: HTTP 404 {}", absence_text(&absence)));
                absent_problem(path, &absence, found);
            }
            SecretState::Forbidden => {
                found.evidence(label, Some(&command), "forbidden: HTTP 403 permission denied".to_string());
                let held = if policies.is_empty() {
                    "its policies".to_string()
                } else {
                    format!("its policies ({})", policies.join(", "))
                };
                found.problem(
                    Status::Fail,
                    format!("{} lacks read on {path}", check.names.token),
                    format!(
                        "Vault answered 403 to GET /v1/{path}: the token is valid, but none of {held} grants read on this path{}",
                        kv2_hint(path)
                    ),
                    vec![Action::new(Priority::High, format!("Grant read on {path} in one of the token's policies"))
                        .with_command(format!("vault policy read <policy>   # then add:\npath \"{path}\" {{\n  capabilities = [\"read\"]\n}}"))],
                );
            }
            SecretState::Unexpected { code, errors } => {
                found.evidence(label, Some(&command), format!("HTTP {code} {errors}"));
                found.problem(
                    Status::Fail,
                    format!("reading secret {path} failed: HTTP {code}"),
                    format!("GET /v1/{path} answered HTTP {code} ({errors}) instead of the secret"),
                    vec![Action::new(Priority::Medium, "Look at Vault's log around this time for the failing read")],
                );
            }
        }
    }
    match present {
        0 => String::new(),
        1 => "; 1 secret present".to_string(),
        n => format!("; {n} secrets present"),
    }
}

/// KV v2 secrets live under MOUNT/data/: a path without it is denied by
/// policies written for the real path before Vault can say it is wrong.
fn kv2_hint(path: &str) -> String {
    match path.split_once('/') {
        Some((mount, rest)) if !rest.starts_with("data/") => format!(
            " (if {mount}/ is a KV v2 mount, the secret is read at {mount}/data/{rest}, and policies name that path)"
        ),
        _ => String::new(),
    }
}

fn absence_text(absence: &Absence) -> String {
    match absence {
        Absence::Missing => "(no secret at this path)".to_string(),
        Absence::NeedsDataPrefix => "(a KV v2 mount read without data/ in the path)".to_string(),
        Absence::Deleted { version, at } => format!("(version {} deleted at {at})", version_text(*version)),
        Absence::Destroyed { version } => format!("(version {} destroyed)", version_text(*version)),
        Absence::NoMount => "(no secrets engine mounted there)".to_string(),
    }
}

fn version_text(version: Option<i64>) -> String {
    version.map_or("?".to_string(), |v| v.to_string())
}

fn absent_problem(path: &str, absence: &Absence, found: &mut Findings) {
    let mount = path.split('/').next().unwrap_or(path);
    let rest = path.split_once('/').map_or("", |(_, rest)| rest);
    let (summary, cause, action) = match absence {
        Absence::Missing => (
            format!("secret {path} absent"),
            format!("Vault has no secret at {path}: it was never written there, or the app and this check expect another path"),
            Action::new(Priority::High, format!("Write the secret at {path}, or fix the path the app reads"))
                .with_command(format!("vault kv get {mount}/{}", rest.strip_prefix("data/").unwrap_or(rest))),
        ),
        Absence::NeedsDataPrefix => (
            format!("secret path {path} lacks data/ for a KV v2 mount"),
            format!("{mount}/ is a KV v2 mount: its secrets are read at {mount}/data/<path>, not {path}"),
            Action::new(Priority::High, format!("Use {mount}/data/{rest} in the app and in secrets")),
        ),
        Absence::Deleted { version, .. } => (
            format!("secret {path} deleted"),
            format!("the latest version ({}) of {path} was deleted: reads get 404 until it is undeleted or rewritten", version_text(*version)),
            Action::new(Priority::High, "Undelete the version if the deletion was a mistake, or write the secret again")
                .with_command(format!("vault kv undelete -versions={} {mount}/{}", version_text(*version), rest.strip_prefix("data/").unwrap_or(rest))),
        ),
        Absence::Destroyed { version } => (
            format!("secret {path} destroyed"),
            format!("the latest version ({}) of {path} was destroyed: it is gone for good", version_text(*version)),
            Action::new(Priority::High, format!("Write the secret at {path} again")),
        ),
        Absence::NoMount => (
            format!("no secrets engine mounted at {mount}/"),
            format!("Vault has no secrets engine at {mount}/, so {path} cannot exist: a wrong mount name, or the engine was never enabled"),
            Action::new(Priority::High, "List the mounts and fix the path's first segment").with_command("vault secrets list"),
        ),
    };
    found.problem(Status::Fail, summary, cause, vec![action]);
}

#[cfg(test)]
mod tests {
    use super::super::Names;
    use super::*;
    use url::Url;

    const SECRET_VALUE: &str = "Sup3rS3cretVal-never-shown";

    fn check(addr: &str) -> VaultCheck {
        VaultCheck {
            addr: Url::parse(addr).unwrap(),
            token: Some(crate::secret::Secret::new("s.app-token")),
            cacert: None,
            skip_verify: false,
            secrets: vec![],
            min_ttl: Duration::from_secs(24 * 3600),
            names: Names {
                addr: "VAULT_ADDR".into(),
                token: "VAULT_TOKEN".into(),
                cacert: "VAULT_CACERT".into(),
                skip_verify: "VAULT_SKIP_VERIFY".into(),
            },
        }
    }

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            body: body.as_bytes().to_vec(),
            truncated: false,
            received_at: SystemTime::now(),
            certificate: None,
        }
    }

    fn now() -> i64 {
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
    }

    /// An active node's health body, with `overrides` (a JSON object) on top.
    fn health_body(overrides: &str) -> String {
        let mut body = serde_json::json!({
            "initialized": true, "sealed": false, "standby": false, "version": "1.19.0",
            "cluster_name": "vault-cluster-kbz", "server_time_utc": now(), "replication_dr_mode": "disabled",
        });
        let overrides: Value = serde_json::from_str(if overrides.is_empty() { "{}" } else { overrides }).unwrap();
        for (key, value) in overrides.as_object().unwrap() {
            body[key] = value.clone();
        }
        body.to_string()
    }

    fn token_body(ttl: i64, renewable: bool) -> String {
        format!(
            r#"{{"data":{{"id":"s.app-token","policies":["default","kb-app"],"ttl":{ttl},"renewable":{renewable},"expire_time":"2026-12-01T00:00:00Z"}}}}"#
        )
    }

    fn observed(health: Result<Answer, RequestError>) -> Observed {
        Observed {
            health,
            leader: Probe::NotRun("no standby answered".into()),
            token: Probe::NotRun("VAULT_TOKEN is not set".into()),
            secrets: vec![],
        }
    }

    fn with_token(health: &str, token: Answer) -> Observed {
        Observed { token: Probe::Done(Ok(token)), ..observed(Ok(answer(200, health))) }
    }

    fn evidence<'a>(outcome: &'a Outcome, label: &str) -> &'a str {
        &outcome.evidence.iter().find(|e| e.label == label).unwrap_or_else(|| panic!("no {label}: {outcome:#?}")).output
    }

    #[test]
    fn active_vault_with_a_good_token_is_ok() {
        let out = diagnose(
            &check("https://10.0.0.150:8200"),
            &with_token(&health_body(""), answer(200, &token_body(30 * 86400, true))),
        );
        assert_eq!(out.status, Status::Ok, "{out:#?}");
        assert!(
            out.summary.starts_with("active Vault at https://10.0.0.150:8200, version 1.19.0; token valid for 30d ("),
            "{}",
            out.summary
        );
        let health = evidence(&out, "health");
        assert!(health.contains("sealed=false") && health.contains("cluster_name vault-cluster-kbz"), "{health}");
        assert!(!health.contains("clock skew"), "{health}");
        assert!(evidence(&out, "token").contains("policies default, kb-app"));
    }

    #[test]
    fn each_state_maps_to_its_status() {
        let cases = [
            (r#"{"standby":true}"#, 200, Status::Ok, "a standby answered"),
            (r#"{"performance_standby":true,"standby":true}"#, 299, Status::Ok, "a performance standby answered"),
            (r#"{"replication_dr_mode":"secondary"}"#, 299, Status::Warn, "a DR secondary answered"),
            (r#"{"standby":true,"ha_connection_healthy":false}"#, 299, Status::Fail, "cannot reach the active node"),
            (r#"{"removed_from_cluster":true}"#, 299, Status::Fail, "was removed from its cluster"),
        ];
        for (fields, code, status, summary) in cases {
            let out = diagnose(&check("http://127.0.0.1:8200"), &observed(Ok(answer(code, &health_body(fields)))));
            assert_eq!(out.status, status, "{fields}: {out:#?}");
            assert!(out.summary.contains(summary), "{fields}: {}", out.summary);
        }
    }

    #[test]
    fn sealed_and_uninitialized_fail_with_their_actions() {
        let sealed = format!(r#"{{"initialized":true,"sealed":true,"standby":true,"server_time_utc":{}}}"#, now());
        let out = diagnose(&check("http://127.0.0.1:8200"), &observed(Ok(answer(299, &sealed))));
        assert_eq!((out.status, out.summary.as_str()), (Status::Fail, "Vault at http://127.0.0.1:8200 is sealed"));
        assert!(out.actions[0].command.as_deref().unwrap().contains("vault operator unseal"), "{out:#?}");
        let uninit = r#"{"initialized":false,"sealed":true,"standby":true}"#;
        let out = diagnose(&check("http://127.0.0.1:8200"), &observed(Ok(answer(501, uninit))));
        assert_eq!(out.summary, "Vault at http://127.0.0.1:8200 is not initialized");
        assert!(out.cause.unwrap().contains("storage"));
    }

    #[test]
    fn raw_codes_without_a_body_say_what_they_rest_on() {
        let out =
            diagnose(&check("http://127.0.0.1:8200"), &observed(Ok(answer(503, "<html>no server available</html>"))));
        assert_eq!(out.status, Status::Fail);
        assert!(out.summary.ends_with("is sealed"), "{}", out.summary);
        assert!(out.cause.as_deref().unwrap().contains("rests on the status code alone"), "{out:#?}");
        let out = diagnose(&check("http://127.0.0.1:8200"), &observed(Ok(answer(429, ""))));
        assert_eq!(out.status, Status::Ok);
        assert!(out.summary.contains("not a rate limit"), "{}", out.summary);
    }

    #[test]
    fn something_else_answering_is_not_vault() {
        let out = diagnose(
            &check("http://127.0.0.1:8200"),
            &observed(Ok(answer(200, "<html><body>Welcome to nginx</body></html>"))),
        );
        assert_eq!(out.status, Status::Fail);
        assert_eq!(out.summary, "http://127.0.0.1:8200 answered HTTP 200, not like Vault");
        assert!(evidence(&out, "health").contains("Welcome to nginx"));
        let out = diagnose(
            &check("http://127.0.0.1:8200"),
            &observed(Ok(answer(400, "Client sent an HTTP request to an HTTPS server.\n"))),
        );
        assert_eq!(out.summary, "Vault at http://127.0.0.1:8200 expects https://, not http://");
    }

    #[test]
    fn reachability_failures_get_their_own_causes() {
        let c = check("https://10.0.0.150:8200");
        let fail = |error| diagnose(&c, &observed(Err(error)));
        let out = fail(RequestError::Refused { endpoint: "10.0.0.150:8200".into() });
        assert_eq!(out.summary, "connection refused by 10.0.0.150:8200: Vault is not running there");
        assert!(out.actions[0].command.as_deref().unwrap().contains("systemctl status vault"));
        let out = fail(RequestError::ConnectTimeout {
            endpoint: "10.0.0.150:8200".into(),
            after: Duration::from_millis(900),
        });
        assert_eq!(
            out.summary,
            "no answer from 10.0.0.150:8200 within 900ms: the network path to Vault is blocked from here"
        );
        assert!(out.cause.as_deref().unwrap().contains("PH15"));
        let out = fail(RequestError::Dns { host: "vault.internal".into(), detail: "Name or service not known".into() });
        assert_eq!(out.summary, "cannot resolve vault.internal");
        assert!(out.actions[0].command.as_deref() == Some("getent hosts vault.internal"));
    }

    #[test]
    fn untrusted_certificate_names_subject_issuer_and_the_setting() {
        let cert = CertInfo {
            subject: "CN=vault.test".into(),
            issuer: "CN=Keybuzz CA".into(),
            names: vec!["vault.test".into()],
            not_after: 1_800_000_000,
        };
        let error = RequestError::Tls {
            endpoint: "10.0.0.150:8200".into(),
            problem: TlsProblem::Untrusted,
            detail: "invalid peer certificate: UnknownIssuer".into(),
            certificate: Some(Box::new(cert)),
        };
        let out = diagnose(&check("https://10.0.0.150:8200"), &observed(Err(error)));
        assert_eq!(out.summary, "TLS with 10.0.0.150:8200 failed: certificate not trusted");
        let cause = out.cause.as_deref().unwrap();
        assert!(cause.contains("subject CN=vault.test") && cause.contains("issued by CN=Keybuzz CA"), "{cause}");
        assert!(
            out.actions[0].text.contains("set VAULT_CACERT") && out.actions[0].text.contains("SSL_CERT_FILE"),
            "{out:#?}"
        );
        assert!(!format!("{out:?}").contains("SKIP_VERIFY"), "skip-verify is never the advice: {out:#?}");
    }

    #[test]
    fn skip_verify_is_at_best_a_warning() {
        let mut c = check("https://127.0.0.1:8200");
        c.skip_verify = true;
        let out = diagnose(&c, &with_token(&health_body(""), answer(200, &token_body(30 * 86400, true))));
        assert_eq!(out.status, Status::Warn);
        assert!(out.summary.contains("not verified (VAULT_SKIP_VERIFY is true)"), "{}", out.summary);
        assert!(evidence(&out, "TLS").starts_with("NOT verified"));
    }

    #[test]
    fn token_rejected_short_or_missing() {
        let c = check("http://127.0.0.1:8200");
        let out = diagnose(&c, &with_token(&health_body(""), answer(403, r#"{"errors":["permission denied"]}"#)));
        assert_eq!(
            (out.status, out.summary.as_str()),
            (Status::Fail, "VAULT_TOKEN rejected by Vault (403 permission denied)")
        );
        let out = diagnose(&c, &with_token(&health_body(""), answer(200, &token_body(3600, false))));
        assert_eq!((out.status, out.summary.as_str()), (Status::Warn, "VAULT_TOKEN expires in 1h (under min_ttl 1d)"));
        assert!(out.actions[0].text.contains("cannot be renewed"));
        let root = r#"{"data":{"policies":["root"],"ttl":0,"expire_time":null}}"#;
        let out = diagnose(&c, &with_token(&health_body(""), answer(200, root)));
        assert_eq!(out.status, Status::Ok);
        assert!(out.summary.contains("never expires"), "{}", out.summary);
        let mut no_token = check("http://127.0.0.1:8200");
        no_token.token = None;
        let out = diagnose(&no_token, &observed(Ok(answer(200, &health_body("")))));
        assert_eq!(out.status, Status::Ok);
        assert!(out.summary.ends_with("; token not checked (VAULT_TOKEN not set)"), "{}", out.summary);
        assert!(evidence(&out, "token").starts_with("not verified: VAULT_TOKEN is not set"));
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
        assert!(evidence(&out, "health").contains("clock skew: Vault is 20s ahead of this host"), "{out:#?}");
        let out = diagnose(&no_token, &observed(Ok(answer(200, &at(-120)))));
        assert_eq!((out.status, out.summary.as_str()), (Status::Warn, "clock skew: Vault is 2m behind this host"));
    }

    #[test]
    fn secrets_list_keys_and_a_value_never_reaches_the_outcome() {
        let mut c = check("http://127.0.0.1:8200");
        c.secrets =
            vec!["secret/data/keybuzz/smtp".into(), "secret/data/keybuzz/ses".into(), "secret/data/other".into()];
        let present = format!(
            r#"{{"data":{{"data":{{"password":"{SECRET_VALUE}","user":"{SECRET_VALUE}"}},"metadata":{{"version":2}}}}}}"#
        );
        let observed = Observed {
            secrets: vec![
                ("secret/data/keybuzz/smtp".into(), Probe::Done(Ok(answer(200, &present)))),
                ("secret/data/keybuzz/ses".into(), Probe::Done(Ok(answer(404, r#"{"errors":[]}"#)))),
                ("secret/data/other".into(), Probe::Done(Ok(answer(403, r#"{"errors":["permission denied"]}"#)))),
            ],
            ..with_token(&health_body(""), answer(200, &token_body(30 * 86400, true)))
        };
        let out = diagnose(&c, &observed);
        assert!(!format!("{out:?}").contains(SECRET_VALUE), "a secret value reached the outcome: {out:#?}");
        assert_eq!(
            evidence(&out, "secret secret/data/keybuzz/smtp"),
            "present (KV v2, version 2), keys: password, user (values not shown)"
        );
        assert_eq!(out.status, Status::Fail);
        assert_eq!(out.summary, "secret secret/data/keybuzz/ses absent");
        let cause = out.cause.as_deref().unwrap();
        assert!(cause.contains("none of its policies (default, kb-app) grants read on this path"), "{cause}");
        assert!(
            out.actions.iter().any(|a| a.text == "Grant read on secret/data/other in one of the token's policies"),
            "{out:#?}"
        );
    }

    #[test]
    fn durations_read_roughly() {
        assert_eq!(rough(Duration::from_micros(899_972)), "900ms");
        assert_eq!(rough(Duration::from_secs(768 * 3600 - 7)), "31d 23h");
        assert_eq!(rough(Duration::from_secs(3599)), "59m 59s");
        assert_eq!(rough(Duration::from_secs(120)), "2m");
        assert_eq!(rough(Duration::from_secs(86_400 + 59)), "1d");
        assert_eq!(rough(Duration::from_secs(1)), "1s");
    }

    #[test]
    fn excerpt_is_short_single_line_and_safe() {
        assert_eq!(excerpt(b"a\nb\x00c\r\n  d"), "a b c d");
        assert_eq!(excerpt(b""), "(empty)");
        assert_eq!(excerpt(&[0xff, 0xfe, b'x']), "\u{fffd}\u{fffd}x");
        let long = "é".repeat(1000);
        assert_eq!(excerpt(long.as_bytes()).chars().count(), EXCERPT_CHARS + 1);
    }
}
