//! Raft autopilot's view of the cluster (`/v1/sys/storage/raft/autopilot/state`,
//! asked with the app's token): how many nodes it can lose, and which ones are
//! unhealthy or lagging. The contract, from Vault's and OpenBao's
//! `AutopilotState`: `data.healthy`, `data.failure_tolerance`, `data.leader`,
//! `data.voters` (node ids) and `data.servers`, a map of node id to `id`,
//! `name`, `address`, `node_status`, `last_contact` (a Go duration, `11.4s`),
//! `last_term`, `last_index`, `healthy`, `stable_since`, `status` (`leader`,
//! `voter`, `non-voter`) and `node_type`. A token that may not read it (403)
//! and a Vault without raft storage (404 `unsupported path`, 400) leave the
//! cluster unseen: evidence only, never a finding. Pure.

use super::client::Answer;
use super::codes;
use super::diagnose::{addr, rough, Findings};
use super::token::{data, error_text};
use super::{Probe, VaultCheck};
use crate::human::{one_line, text_field};
use crate::report::{Action, Priority};
use serde_json::{Map, Value};
use std::time::Duration;

pub(super) const PATH: &[&str] = &["sys", "storage", "raft", "autopilot", "state"];
const COMMAND: &str = "GET /v1/sys/storage/raft/autopilot/state";
/// Servers listed one per line in the evidence; more are counted.
const SHOWN_SERVERS: usize = 12;

/// One server as autopilot sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Server {
    pub name: String,
    pub healthy: Option<bool>,
    /// `leader`, `voter`, `non-voter`...
    pub status: Option<String>,
    pub node_status: Option<String>,
    pub last_contact: Option<String>,
    pub last_index: Option<u64>,
}

/// The autopilot state, as far as it could be read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Autopilot {
    pub healthy: Option<bool>,
    pub failure_tolerance: Option<u64>,
    pub leader: Option<String>,
    pub voters: Vec<String>,
    pub servers: Vec<Server>,
}

impl Autopilot {
    /// `None` when the body is not autopilot's state (no `data` object with
    /// at least `healthy` or `failure_tolerance`).
    pub fn parse(body: &[u8]) -> Option<Autopilot> {
        let data = data(body)?;
        let healthy = data.get("healthy").and_then(Value::as_bool);
        let failure_tolerance = data.get("failure_tolerance").and_then(Value::as_u64);
        if healthy.is_none() && failure_tolerance.is_none() {
            return None;
        }
        let voters = data
            .get("voters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(one_line)
            .collect();
        let servers = data.get("servers").and_then(Value::as_object).map(servers).unwrap_or_default();
        Some(Autopilot { healthy, failure_tolerance, leader: text_field(data.get("leader")), voters, servers })
    }

    fn unhealthy(&self) -> Vec<&Server> {
        self.servers.iter().filter(|s| s.healthy == Some(false)).collect()
    }

    fn leader_index(&self) -> Option<u64> {
        let leader = self.servers.iter().find(|s| s.status.as_deref() == Some("leader"))?;
        leader.last_index
    }

    /// Voters autopilot counts as healthy.
    fn healthy_voters(&self) -> usize {
        self.voters.iter().filter(|v| self.servers.iter().any(|s| &s.name == *v && s.healthy == Some(true))).count()
    }

    /// "lab3 unhealthy (voter, node alive, last contact 12s ago, 40 log entries behind)".
    fn describe(&self, server: &Server) -> String {
        let mut details: Vec<String> = Vec::new();
        if let Some(status) = &server.status {
            details.push(status.clone());
        }
        if let Some(node) = server.node_status.as_deref().filter(|n| *n != "alive") {
            details.push(format!("node {node}"));
        }
        // The leader's own last contact is always 0, and 0 is also what a
        // new leader shows for a server it has not heard from yet.
        let contact = server.last_contact.as_ref().filter(|c| go_duration(c) != Some(Duration::ZERO));
        if let Some(contact) = contact.filter(|_| server.status.as_deref() != Some("leader")) {
            details.push(format!("last contact {} ago", contact_text(contact)));
        }
        if let (Some(leader), Some(own)) = (self.leader_index(), server.last_index) {
            if leader > own {
                details.push(format!("{} log entries behind the leader", leader - own));
            }
        }
        let state = match server.healthy {
            Some(true) => "healthy",
            Some(false) => "unhealthy",
            None => "health unknown",
        };
        if details.is_empty() {
            format!("{} {state}", server.name)
        } else {
            format!("{} {state} ({})", server.name, details.join(", "))
        }
    }

    fn headline(&self) -> String {
        let health = match self.healthy {
            Some(true) => "healthy",
            Some(false) => "not healthy",
            None => "health not stated",
        };
        let tolerance = self
            .failure_tolerance
            .map_or("failure tolerance not stated".to_string(), |t| format!("failure tolerance {t}"));
        let voters = match self.voters.len() {
            1 => "1 voter".to_string(),
            n => format!("{n} voters"),
        };
        let leader = self.leader.as_ref().map_or(String::new(), |l| format!("; leader {l}"));
        format!("{health}, {tolerance}, {voters}{leader}")
    }

    fn evidence(&self) -> String {
        let mut lines = vec![self.headline()];
        lines.extend(self.servers.iter().take(SHOWN_SERVERS).map(|s| self.describe(s)));
        if self.servers.len() > SHOWN_SERVERS {
            lines.push(format!("... and {} more servers", self.servers.len() - SHOWN_SERVERS));
        }
        lines.join("\n")
    }
}

fn servers(map: &Map<String, Value>) -> Vec<Server> {
    map.iter()
        .map(|(key, server)| {
            let field = |name: &str| server.get(name);
            Server {
                name: text_field(field("name")).or_else(|| text_field(field("id"))).unwrap_or_else(|| one_line(key)),
                healthy: field("healthy").and_then(Value::as_bool),
                status: text_field(field("status")),
                node_status: text_field(field("node_status")),
                last_contact: text_field(field("last_contact")),
                last_index: field("last_index").and_then(Value::as_u64),
            }
        })
        .collect()
}

/// A Go duration (`11.400181377s`, `1m2.5s`, `449.09ms`) rounded as the
/// report shows durations; anything else as it came.
fn contact_text(text: &str) -> String {
    go_duration(text).map_or_else(|| text.to_string(), rough)
}

/// Go's `time.Duration` text, read by jiff's friendly duration format (the
/// same units, `1h2m3.5s`); `0` is Go's zero, which has no unit.
fn go_duration(text: &str) -> Option<Duration> {
    if text == "0" {
        return Some(Duration::ZERO);
    }
    Duration::try_from(text.parse::<jiff::SignedDuration>().ok()?).ok()
}

/// The evidence, and a warning when the cluster cannot lose another node or
/// a server is unhealthy.
pub(super) fn raft_findings(check: &VaultCheck, probe: &Probe, found: &mut Findings) {
    let answer = match probe {
        Probe::NotRun(why) => {
            found.evidence("raft autopilot", Some(COMMAND), format!("not read: {why}"));
            return;
        }
        Probe::Done(Err(error)) => {
            found.evidence("raft autopilot", Some(COMMAND), format!("not seen: no answer: {error}"));
            return;
        }
        Probe::Done(Ok(answer)) => answer,
    };
    match read(answer) {
        Ok(state) => {
            found.evidence("raft autopilot", Some(COMMAND), state.evidence());
            warnings(check, &state, found);
        }
        Err(why) => found.evidence("raft autopilot", Some(COMMAND), why),
    }
}

/// The state, or the evidence line saying why it is not seen.
fn read(answer: &Answer) -> Result<Autopilot, String> {
    if let Some(redirect) = &answer.redirect {
        return Err(format!("not seen: {}", redirect.describe()));
    }
    let code = answer.status;
    match code {
        200 if !answer.truncated => Autopilot::parse(&answer.body).ok_or_else(|| {
            format!("not seen: HTTP 200 without autopilot's state ({})", error_text(&answer.body))
        }),
        200 => Err("not seen: the answer was cut at 1 MiB".to_string()),
        204 => Err("not seen: HTTP 204, autopilot has no state yet (the active node may have just taken over)".to_string()),
        403 => Err(format!(
            "not visible to this token: HTTP 403 {}; its policies need read on sys/storage/raft/autopilot/state to show the raft cluster's failure tolerance",
            error_text(&answer.body)
        )),
        400 | 404 | 405 => Err(format!(
            "not visible: HTTP {code} {}: this Vault does not use raft (integrated) storage, or its version has no autopilot",
            error_text(&answer.body)
        )),
        _ => Err(format!("not seen: HTTP {code} {}", error_text(&answer.body))),
    }
}

fn warnings(check: &VaultCheck, state: &Autopilot, found: &mut Findings) {
    let addr = addr(check);
    let unhealthy = state.unhealthy();
    let named: Vec<String> = unhealthy.iter().take(SHOWN_SERVERS).map(|s| state.describe(s)).collect();
    let named = if unhealthy.len() > SHOWN_SERVERS {
        format!("{}, and {} more", named.join("; "), unhealthy.len() - SHOWN_SERVERS)
    } else {
        named.join("; ")
    };
    let voters = state.voters.len();
    let look = Action::new(
        Priority::Medium,
        "See which nodes raft and autopilot count, from a node of the cluster (a token allowed to read sys/storage/raft)",
    )
    .with_command("vault operator raft list-peers\nvault operator raft autopilot state   # bao operator ... on OpenBao");
    if state.failure_tolerance == Some(0) && voters > 1 {
        let healthy = state.healthy_voters();
        let who = if named.is_empty() { String::new() } else { format!("; {named}") };
        found.warn(
            codes::RAFT_NO_FAILURE_TOLERANCE,
            format!("the raft cluster cannot lose another node: failure tolerance 0 ({healthy} of {voters} voters healthy{who})"),
            format!(
                "raft autopilot (asked at {addr}) reports failure tolerance 0: the cluster still has its quorum, but one more voter lost (stopped, sealed, cut off) leaves it without a majority, so no active node: every write, lease renewal, login and token lookup then fails. A cluster of {voters} voters tolerates {} lost when all are healthy",
                (voters - 1) / 2
            ),
            vec![
                Action::new(Priority::High, "Bring the unhealthy or stopped nodes back (start and unseal them), or replace them, until autopilot reports a failure tolerance of at least 1")
                    .with_command("systemctl status vault   # on the node named unhealthy\nvault operator unseal"),
                look,
            ],
        );
        return;
    }
    if state.healthy == Some(false) || !unhealthy.is_empty() {
        let who = if named.is_empty() { "none named unhealthy".to_string() } else { named };
        found.warn(
            codes::RAFT_UNHEALTHY_PEER,
            format!("raft autopilot reports an unhealthy cluster: {who}"),
            format!(
                "raft autopilot (asked at {addr}) counts a server as unhealthy when the leader has not heard from it within last_contact_threshold (10s by default), when it is on another term, or when it lags too many log entries behind (max_trailing_logs): such a node does not count toward the failure tolerance ({}) and is not promoted to voter",
                state.failure_tolerance.map_or("not stated".to_string(), |t| t.to_string())
            ),
            vec![
                Action::new(Priority::Medium, "Check the unhealthy node: its process, its log, and the cluster port (8201) between the nodes")
                    .with_command("systemctl status vault\njournalctl -u vault -n 100 --no-pager"),
                look,
            ],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::diagnose::fixtures::{answer, check};
    use super::*;
    use crate::report::Status;

    fn state(servers: &[(&str, bool, &str, &str)], tolerance: u64, healthy: bool) -> String {
        let map: Map<String, Value> = servers
            .iter()
            .map(|(name, ok, status, contact)| {
                let server = serde_json::json!({
                    "id": name, "name": name, "address": "127.0.0.1:8201", "node_status": "alive",
                    "last_contact": contact, "last_term": 3, "last_index": 32, "healthy": ok,
                    "stable_since": "2026-12-07T00:39:51.954490454Z", "status": status, "version": "2.7.2", "node_type": "voter",
                });
                (name.to_string(), server)
            })
            .collect();
        let voters: Vec<&str> = servers.iter().filter(|s| s.2 != "non-voter").map(|s| s.0).collect();
        serde_json::json!({"request_id": "x", "data": {
            "failure_tolerance": tolerance, "healthy": healthy, "leader": "node1", "voters": voters, "servers": map,
        }})
        .to_string()
    }

    fn diagnosed(status: u16, body: &str) -> crate::report::Outcome {
        let mut found = Findings::default();
        raft_findings(&check("http://127.0.0.1:8200"), &Probe::Done(Ok(answer(status, body))), &mut found);
        found.into_outcome("fine".into())
    }

    #[test]
    fn a_healthy_cluster_is_evidence_only() {
        let body = state(
            &[
                ("node1", true, "leader", "0s"),
                ("node2", true, "voter", "449.09154ms"),
                ("node3", true, "voter", "3.4s"),
            ],
            1,
            true,
        );
        let out = diagnosed(200, &body);
        assert_eq!((out.status, out.summary.as_str()), (Status::Ok, "fine"), "{out:#?}");
        assert_eq!(
            out.evidence_of("raft autopilot"),
            "healthy, failure tolerance 1, 3 voters; leader node1\nnode1 healthy (leader)\nnode2 healthy (voter, last contact 450ms ago)\nnode3 healthy (voter, last contact 3.4s ago)"
        );
    }

    #[test]
    fn a_stopped_voter_leaves_no_failure_tolerance() {
        let body = state(
            &[
                ("node1", true, "leader", "0s"),
                ("node2", true, "voter", "1.44s"),
                ("node3", false, "voter", "11.400181377s"),
            ],
            0,
            false,
        );
        let out = diagnosed(200, &body);
        assert_eq!(out.status, Status::Warn, "{out:#?}");
        assert_eq!(
            out.summary,
            "the raft cluster cannot lose another node: failure tolerance 0 (2 of 3 voters healthy; node3 unhealthy (voter, last contact 11s ago))"
        );
        assert_eq!(out.codes(), ["vault.raft.no_failure_tolerance"]);
        assert!(out.causes[0].contains("one more voter lost"), "{out:#?}");
        assert!(out.actions.iter().any(|a| a.command.as_deref().unwrap_or("").contains("raft autopilot state")));
    }

    #[test]
    fn an_unhealthy_non_voter_or_a_lagging_one_warns() {
        let body = state(
            &[
                ("node1", true, "leader", "0s"),
                ("node2", true, "voter", "1s"),
                ("node3", true, "voter", "1s"),
                ("node4", false, "non-voter", "2m3s"),
            ],
            1,
            false,
        );
        let out = diagnosed(200, &body);
        assert_eq!(out.status, Status::Warn, "{out:#?}");
        assert_eq!(
            out.summary,
            "raft autopilot reports an unhealthy cluster: node4 unhealthy (non-voter, last contact 2m 3s ago)"
        );
        assert_eq!(out.codes(), ["vault.raft.unhealthy_peer"]);

        let mut json: Value = serde_json::from_str(&body).unwrap();
        json["data"]["servers"]["node4"]["last_index"] = 2.into();
        let out = diagnosed(200, &json.to_string());
        assert!(out.summary.ends_with("30 log entries behind the leader)"), "{}", out.summary);
    }

    #[test]
    fn a_new_leader_shows_no_contact_for_servers_it_has_not_heard_from() {
        let body = state(&[("node1", false, "voter", "0s"), ("node2", true, "leader", "0s")], 0, false);
        let mut json: Value = serde_json::from_str(&body).unwrap();
        json["data"]["servers"]["node1"]["node_status"] = "left".into();
        json["data"]["servers"]["node1"]["last_index"] = 20.into();
        let out = diagnosed(200, &json.to_string());
        assert_eq!(
            out.summary,
            "the raft cluster cannot lose another node: failure tolerance 0 (1 of 2 voters healthy; node1 unhealthy (voter, node left, 12 log entries behind the leader))"
        );
    }

    #[test]
    fn a_single_voter_has_no_tolerance_to_lose() {
        let out = diagnosed(200, &state(&[("node1", true, "leader", "0s")], 0, true));
        assert_eq!(out.status, Status::Ok, "{out:#?}");
        assert!(out.evidence_of("raft autopilot").starts_with("healthy, failure tolerance 0, 1 voter;"));
    }

    #[test]
    fn unseen_states_are_evidence_never_findings() {
        let cases = [
            (403, r#"{"errors":["1 error occurred:\n\t* permission denied\n\n"]}"#, "not visible to this token: HTTP 403 1 error occurred: * permission denied; its policies need read on sys/storage/raft/autopilot/state"),
            (404, r#"{"errors":["1 error occurred:\n\t* unsupported path\n\n"]}"#, "not visible: HTTP 404 1 error occurred: * unsupported path: this Vault does not use raft"),
            (400, "", "not visible: HTTP 400 with an empty body"),
            (204, "", "not seen: HTTP 204, autopilot has no state yet"),
            (500, "<html>oops</html>", "not seen: HTTP 500 with a body that is not Vault's JSON"),
            (200, r#"{"data":null}"#, "not seen: HTTP 200 without autopilot's state"),
            (200, "[]", "not seen: HTTP 200 without autopilot's state"),
        ];
        for (status, body, seen) in cases {
            let out = diagnosed(status, body);
            assert_eq!(out.status, Status::Ok, "{status} {body}: {out:#?}");
            assert!(
                out.evidence_of("raft autopilot").starts_with(seen),
                "{status}: {}",
                out.evidence_of("raft autopilot")
            );
        }
        let c = check("http://127.0.0.1:8200");
        let asked = super::super::client::api_url(&c.addr, PATH, &[]);
        let mut moved = answer(307, "");
        moved.redirect =
            crate::redirect::Redirected::read(&asked, 307, Some("http://127.0.0.2:8200/v1/x")).map(Box::new);
        let mut found = Findings::default();
        raft_findings(&c, &Probe::Done(Ok(moved)), &mut found);
        let out = found.into_outcome("fine".into());
        assert_eq!(out.status, Status::Ok, "{out:#?}");
        assert_eq!(
            out.evidence_of("raft autopilot"),
            "not seen: HTTP 307 redirect to http://127.0.0.2:8200/v1/x (another host; not followed)"
        );
        let mut found = Findings::default();
        raft_findings(&check("http://127.0.0.1:8200"), &Probe::NotRun("VAULT_TOKEN is not set".into()), &mut found);
        assert_eq!(found.into_outcome(String::new()).evidence_of("raft autopilot"), "not read: VAULT_TOKEN is not set");
    }

    #[test]
    fn odd_fields_never_panic() {
        let odd = Autopilot::parse(
            br#"{"data":{"healthy":"yes","failure_tolerance":-1,"voters":"node1","leader":7,"servers":{"a":null,"b":{"healthy":1,"last_contact":[]}}}}"#,
        );
        assert_eq!(odd, None, "neither healthy nor failure_tolerance readable");
        let partial = Autopilot::parse(
            br#"{"data":{"healthy":false,"voters":[1,"n\u001b[2J"],"servers":{"x\ny":{"healthy":false}}}}"#,
        )
        .unwrap();
        assert_eq!(partial.voters, ["n [2J"]);
        assert_eq!(partial.servers[0].name, "x y");
        let out = diagnosed(200, r#"{"data":{"healthy":false,"servers":[]}}"#);
        assert_eq!(out.summary, "raft autopilot reports an unhealthy cluster: none named unhealthy");
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration("11.400181377s"), Some(Duration::from_secs_f64(11.400181377)));
        assert_eq!(go_duration("1h2m3s"), Some(Duration::from_secs(3723)));
        assert_eq!(go_duration("449.09154ms"), Some(Duration::from_secs_f64(0.44909154)));
        assert_eq!(go_duration("0"), Some(Duration::ZERO));
        for odd in ["", "s", "12", "1x", "-1s", "1e400s", "..s"] {
            assert_eq!(go_duration(odd), None, "{odd}");
        }
        assert_eq!(contact_text("soon"), "soon");
    }
}

#[cfg(test)]
pub(super) mod properties {
    use super::super::diagnose::fixtures::{answer, check};
    use super::*;
    use crate::test_strategies::{any_json, config, keeps_the_outcome_contract};
    use proptest::collection::btree_map;
    use proptest::prelude::*;
    use serde_json::json;

    proptest! {
        #![proptest_config(config())]

        /// Whatever types autopilot's fields come in, the diagnosis comes
        /// without a panic and keeps the outcome's contract.
        #[test]
        fn any_state_gives_printable_lines(
            healthy in any_json(),
            tolerance in any_json(),
            voters in any_json(),
            servers in btree_map("[a-z\n]{0,8}", any_json(), 0..4),
            contact in ".{0,12}",
        ) {
            let servers: Map<String, Value> = servers
                .into_iter()
                .map(|(name, healthy)| (name, json!({ "healthy": healthy, "last_contact": contact, "status": "voter" })))
                .collect();
            let body = json!({ "data": {
                "healthy": healthy, "failure_tolerance": tolerance, "voters": voters, "servers": servers,
            }});
            let mut found = Findings::default();
            raft_findings(&check("http://127.0.0.1:8200"), &Probe::Done(Ok(answer(200, &body.to_string()))), &mut found);
            keeps_the_outcome_contract(&found.into_outcome("fine".into()), "vault")?;
        }
    }
}
