//! What `/v1/sys/leader` (unauthenticated) says about a standby's cluster:
//! which node is active, or that none is. The contract, from Vault's and
//! OpenBao's `LeaderResponse`: `ha_enabled`, `is_self`, `leader_address`,
//! `leader_cluster_address`, `active_time`, `raft_committed_index`,
//! `raft_applied_index`; the last five are omitted when empty or zero, so a
//! standby with no active node answers `{"ha_enabled":true}` (plus indexes). Pure.

use super::client::{Answer, RequestError};
use super::health::{Health, NodeState};
use super::Probe;
use crate::human::{excerpt, text_field};
use serde_json::Value;

/// The active node, as the standby sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Active {
    /// The active node's API address (`leader_address`).
    Named(String),
    /// The node itself is active now (it took over since its health answer).
    ItSelf,
    /// The cluster has no active node this node knows of: lost quorum, the
    /// active node stopped and no other elected yet, a leaderless raft.
    Nobody,
    /// HA is off: a single node, which a standby cannot be.
    HaDisabled,
    /// No usable answer; the text says what came back.
    Unknown(String),
}

/// `sys/leader`, read: the active node and the evidence line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leader {
    pub active: Active,
    pub evidence: String,
}

impl Leader {
    /// `None` when the request was not sent.
    pub fn read(probe: &Probe) -> Option<Leader> {
        let Probe::Done(result) = probe else { return None };
        let answer = match result {
            Ok(answer) => answer,
            Err(error) => return Some(unknown(format!("no answer: {error}"))),
        };
        if let Some(redirect) = &answer.redirect {
            return Some(unknown(redirect.describe()));
        }
        Some(read_answer(answer))
    }

    pub fn named(&self) -> Option<&str> {
        match &self.active {
            Active::Named(address) => Some(address),
            _ => None,
        }
    }
}

/// What the named active node said when asked for its health (no token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Confirmed {
    /// It answers as the active node.
    Active,
    /// It answers, but not as the active node (standby, sealed, not Vault...).
    NotActive(String),
    /// Its port refuses connections: the node is down.
    Down(String),
    /// Not reached from here (timeout, no route, TLS): says nothing either way.
    Unreached(String),
}

impl Confirmed {
    /// `None` when the active node was not asked.
    pub fn read(probe: &Probe) -> Option<Confirmed> {
        let Probe::Done(result) = probe else { return None };
        Some(match result {
            Err(error @ RequestError::Refused { .. }) => Confirmed::Down(error.to_string()),
            Err(error) => Confirmed::Unreached(error.to_string()),
            Ok(answer) if answer.redirect.is_some() => {
                Confirmed::NotActive(answer.redirect.as_ref().map(|r| r.describe()).unwrap_or_default())
            }
            Ok(answer) => match Health::read(answer).state {
                Some(NodeState::Active) => Confirmed::Active,
                Some(state) => Confirmed::NotActive(format!("HTTP {}: {}", answer.status, state.label())),
                None => Confirmed::NotActive(format!(
                    "HTTP {}, not Vault's health: {}",
                    answer.status,
                    excerpt(&answer.body)
                )),
            },
        })
    }

    /// As the middle of a sentence: "X refuses connections (…)".
    pub fn told(&self) -> String {
        match self {
            Confirmed::Active => "answers as the active node".to_string(),
            Confirmed::NotActive(what) => format!("does not answer as the active node ({what})"),
            Confirmed::Down(what) => format!("refuses connections ({what})"),
            Confirmed::Unreached(what) => format!("did not answer ({what})"),
        }
    }

    pub fn evidence(&self) -> String {
        match self {
            Confirmed::Active => "answers as the active node".to_string(),
            Confirmed::NotActive(what) => format!("does not answer as the active node: {what}"),
            Confirmed::Down(what) | Confirmed::Unreached(what) => format!("no answer: {what}"),
        }
    }
}

/// The named active node is down or not active: the standby has nobody to
/// forward to, whatever `sys/leader` still says.
pub fn active_is_gone(probe: &Probe) -> bool {
    matches!(Confirmed::read(probe), Some(Confirmed::Down(_) | Confirmed::NotActive(_)))
}

fn unknown(why: String) -> Leader {
    Leader { evidence: format!("active node unknown: {why}"), active: Active::Unknown(why) }
}

fn read_answer(answer: &Answer) -> Leader {
    let value: Option<Value> = if answer.truncated { None } else { serde_json::from_slice(&answer.body).ok() };
    let object = value.as_ref().and_then(Value::as_object);
    let (200, Some(object)) = (answer.status, object) else {
        return unknown(format!("HTTP {}: {}", answer.status, excerpt(&answer.body)));
    };
    let flag = |key: &str| object.get(key).and_then(Value::as_bool);
    let text = |key: &str| text_field(object.get(key));
    let Some(ha_enabled) = flag("ha_enabled") else {
        return unknown(format!("HTTP 200 without ha_enabled: {}", excerpt(&answer.body)));
    };
    let address = text("leader_address");
    let mut details = Vec::new();
    if let Some(cluster) = text("leader_cluster_address") {
        details.push(format!("cluster address {cluster}"));
    }
    // Go's zero time when no node was ever active here.
    if let Some(since) = text("active_time").filter(|t| !t.starts_with("0001-")) {
        details.push(format!("active since {since}"));
    }
    let index = |key: &str| object.get(key).and_then(Value::as_u64);
    if let Some(committed) = index("raft_committed_index") {
        let applied = index("raft_applied_index").map_or(String::new(), |a| format!(", applied {a}"));
        details.push(format!("raft committed index {committed}{applied}"));
    }
    let details = if details.is_empty() { String::new() } else { format!("\n{}", details.join("; ")) };
    let active = if !ha_enabled {
        Active::HaDisabled
    } else if flag("is_self") == Some(true) {
        Active::ItSelf
    } else {
        match address {
            Some(address) => Active::Named(address),
            None => Active::Nobody,
        }
    };
    let first = match &active {
        Active::Named(address) => format!("active node: {address}"),
        Active::ItSelf => "this node is the active node (is_self=true)".to_string(),
        Active::Nobody => "no active node: ha_enabled=true, leader_address empty".to_string(),
        Active::HaDisabled => "ha_enabled=false: a single node, no cluster".to_string(),
        Active::Unknown(_) => unreachable!("built above"),
    };
    Leader { active, evidence: format!("{first}{details}") }
}

#[cfg(test)]
mod tests {
    use super::super::diagnose::fixtures::answer;
    use super::*;

    fn read(status: u16, body: &str) -> Leader {
        Leader::read(&Probe::Done(Ok(answer(status, body)))).unwrap()
    }

    #[test]
    fn a_named_leader_with_its_details() {
        let leader = read(
            200,
            r#"{"ha_enabled":true,"is_self":false,"active_time":"0001-01-01T00:00:00Z","leader_address":"http://127.0.0.1:8200","leader_cluster_address":"https://127.0.0.1:8201","raft_committed_index":42,"raft_applied_index":41}"#,
        );
        assert_eq!(leader.active, Active::Named("http://127.0.0.1:8200".into()));
        assert_eq!(
            leader.evidence,
            "active node: http://127.0.0.1:8200\ncluster address https://127.0.0.1:8201; raft committed index 42, applied 41"
        );
    }

    #[test]
    fn no_leader_self_and_single_node() {
        let nobody = read(200, r#"{"ha_enabled":true,"raft_committed_index":40,"raft_applied_index":40}"#);
        assert_eq!(nobody.active, Active::Nobody);
        assert!(nobody.evidence.starts_with("no active node: ha_enabled=true, leader_address empty\n"));
        assert_eq!(read(200, r#"{"ha_enabled":true,"leader_address":""}"#).active, Active::Nobody);
        let itself = read(200, r#"{"ha_enabled":true,"is_self":true,"leader_address":"http://127.0.0.1:8200"}"#);
        assert_eq!(itself.active, Active::ItSelf);
        assert_eq!(read(200, r#"{"ha_enabled":false}"#).active, Active::HaDisabled);
    }

    #[test]
    fn anything_else_leaves_the_leader_unknown() {
        for (status, body) in [(500, "<html>oops</html>"), (200, "[]"), (200, r#"{"leader_address":"x"}"#), (503, "")] {
            assert!(matches!(read(status, body).active, Active::Unknown(_)), "{status} {body}");
        }
        let refused = Leader::read(&Probe::Done(Err(RequestError::Refused { endpoint: "127.0.0.1:1".into() })));
        assert_eq!(refused.unwrap().evidence, "active node unknown: no answer: connection refused by 127.0.0.1:1");
        assert_eq!(Leader::read(&Probe::NotRun("no standby answered".into())), None);
    }

    #[test]
    fn the_named_node_confirms_or_not() {
        let asked = |result| Confirmed::read(&Probe::Done(result)).unwrap();
        let active = r#"{"initialized":true,"sealed":false,"standby":false}"#;
        assert_eq!(asked(Ok(answer(200, active))), Confirmed::Active);
        let standby = r#"{"initialized":true,"sealed":false,"standby":true}"#;
        assert_eq!(asked(Ok(answer(299, standby))), Confirmed::NotActive("HTTP 299: standby".into()));
        assert!(matches!(asked(Ok(answer(200, "<html>"))), Confirmed::NotActive(_)));
        let refused = asked(Err(RequestError::Refused { endpoint: "127.0.0.1:1".into() }));
        assert_eq!(refused, Confirmed::Down("connection refused by 127.0.0.1:1".into()));
        assert!(active_is_gone(&Probe::Done(Err(RequestError::Refused { endpoint: "127.0.0.1:1".into() }))));
        let slow =
            RequestError::ConnectTimeout { endpoint: "127.0.0.1:1".into(), after: std::time::Duration::from_secs(1) };
        assert!(matches!(asked(Err(slow.clone())), Confirmed::Unreached(_)));
        assert!(!active_is_gone(&Probe::Done(Err(slow))));
        assert!(!active_is_gone(&Probe::NotRun("no active node named".into())));
    }
}
