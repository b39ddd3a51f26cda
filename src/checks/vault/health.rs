//! What `/v1/sys/health` says about the node: its state from the body when
//! there is one (kbz-check asks for a 2xx in every state, so the body is what
//! tells), else from Vault's documented status codes. Pure.

use super::client::Answer;
use crate::human::one_line;
use serde_json::Value;

/// A node's state, as Vault's health endpoint defines it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeState {
    /// 200: initialized, unsealed, active.
    Active,
    /// 429: unsealed standby (a standby answered, not a rate limit).
    Standby,
    /// 473: performance standby (Vault Enterprise): serves reads, forwards writes.
    PerformanceStandby,
    /// 472: disaster-recovery secondary: serves no client request until promoted.
    DrSecondary,
    /// 474: a standby that cannot reach the active node.
    HaUnhealthy,
    /// 501.
    Uninitialized,
    /// 503.
    Sealed,
    /// 530: removed from its raft cluster.
    Removed,
}

impl NodeState {
    /// Vault's own status code for this state (what a server that ignores the
    /// `*code` parameters, or a default health check, sees).
    pub fn default_code(self) -> u16 {
        match self {
            NodeState::Active => 200,
            NodeState::Standby => 429,
            NodeState::DrSecondary => 472,
            NodeState::PerformanceStandby => 473,
            NodeState::HaUnhealthy => 474,
            NodeState::Uninitialized => 501,
            NodeState::Sealed => 503,
            NodeState::Removed => 530,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NodeState::Active => "active",
            NodeState::Standby => "standby",
            NodeState::PerformanceStandby => "performance standby",
            NodeState::DrSecondary => "DR secondary",
            NodeState::HaUnhealthy => "standby that cannot reach the active node",
            NodeState::Uninitialized => "not initialized",
            NodeState::Sealed => "sealed",
            NodeState::Removed => "removed from its cluster",
        }
    }

    fn from_code(code: u16) -> Option<NodeState> {
        Some(match code {
            200 => NodeState::Active,
            429 => NodeState::Standby,
            472 => NodeState::DrSecondary,
            473 => NodeState::PerformanceStandby,
            474 => NodeState::HaUnhealthy,
            501 => NodeState::Uninitialized,
            503 => NodeState::Sealed,
            530 => NodeState::Removed,
            _ => return None,
        })
    }
}

/// The body's fields; a field of the wrong type counts as absent, a text
/// is kept as one printable line (the version goes into the summary).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HealthBody {
    pub initialized: Option<bool>,
    pub sealed: Option<bool>,
    pub standby: Option<bool>,
    pub performance_standby: Option<bool>,
    pub replication_dr_mode: Option<String>,
    pub removed_from_cluster: Option<bool>,
    pub ha_connection_healthy: Option<bool>,
    pub last_heartbeat_ms: Option<i64>,
    pub version: Option<String>,
    pub cluster_name: Option<String>,
    /// Unix seconds.
    pub server_time_utc: Option<i64>,
}

impl HealthBody {
    /// `None` unless the body is a JSON object with `initialized` or `sealed`:
    /// what makes it Vault's, not a proxy's error page.
    pub fn parse(body: &[u8]) -> Option<HealthBody> {
        let value: Value = serde_json::from_slice(body).ok()?;
        let object = value.as_object()?;
        let flag = |key: &str| object.get(key).and_then(Value::as_bool);
        let text = |key: &str| object.get(key).and_then(Value::as_str).map(one_line).filter(|s| !s.is_empty());
        let number = |key: &str| object.get(key).and_then(Value::as_i64);
        let parsed = HealthBody {
            initialized: flag("initialized"),
            sealed: flag("sealed"),
            standby: flag("standby"),
            performance_standby: flag("performance_standby"),
            replication_dr_mode: text("replication_dr_mode"),
            removed_from_cluster: flag("removed_from_cluster"),
            ha_connection_healthy: flag("ha_connection_healthy"),
            last_heartbeat_ms: number("last_request_forwarding_heartbeat_ms"),
            version: text("version"),
            cluster_name: text("cluster_name"),
            server_time_utc: number("server_time_utc"),
        };
        (parsed.initialized.is_some() || parsed.sealed.is_some()).then_some(parsed)
    }

    /// The state the body describes, checked in the order Vault itself decides its code.
    pub fn state(&self) -> NodeState {
        let yes = |flag: Option<bool>| flag == Some(true);
        if self.initialized == Some(false) {
            NodeState::Uninitialized
        } else if yes(self.removed_from_cluster) {
            // A removed node also seals itself; Vault reports 530 first.
            NodeState::Removed
        } else if yes(self.sealed) {
            NodeState::Sealed
        } else if self.replication_dr_mode.as_deref() == Some("secondary") {
            NodeState::DrSecondary
        } else if yes(self.standby) && self.ha_connection_healthy == Some(false) {
            NodeState::HaUnhealthy
        } else if yes(self.performance_standby) {
            NodeState::PerformanceStandby
        } else if yes(self.standby) {
            NodeState::Standby
        } else {
            NodeState::Active
        }
    }
}

/// Where the state came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reading {
    /// Vault's health body: the state is certain.
    Body(HealthBody),
    /// No health body, but one of Vault's documented codes: likely, yet a
    /// proxy in front of Vault could answer the same code.
    CodeOnly,
    /// Neither: whatever answers is not (only) Vault.
    NotVault,
}

/// The health answer, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Health {
    pub code: u16,
    pub reading: Reading,
    pub state: Option<NodeState>,
}

impl Health {
    pub fn read(answer: &Answer) -> Health {
        // A redirect is never Vault's health, whatever its body says.
        let body = if answer.truncated || answer.redirect.is_some() { None } else { HealthBody::parse(&answer.body) };
        match body {
            Some(body) => Health { code: answer.status, state: Some(body.state()), reading: Reading::Body(body) },
            // A bare 200 is anything's answer (a web server, a login page): not Vault's health.
            None => match NodeState::from_code(answer.status).filter(|s| *s != NodeState::Active) {
                Some(state) => Health { code: answer.status, reading: Reading::CodeOnly, state: Some(state) },
                None => Health { code: answer.status, reading: Reading::NotVault, state: None },
            },
        }
    }

    pub fn body(&self) -> Option<&HealthBody> {
        match &self.reading {
            Reading::Body(body) => Some(body),
            _ => None,
        }
    }

    pub fn is_standby(&self) -> bool {
        matches!(self.state, Some(NodeState::Standby | NodeState::PerformanceStandby))
    }

    /// Why token and secret requests are not to be sent in this state: Vault
    /// would refuse them, or what answers is not Vault (never hand it the token).
    pub fn refuses_requests(&self) -> Option<String> {
        let Some(state) = self.state else { return Some("what answers is not Vault".to_string()) };
        let why = match state {
            NodeState::Active | NodeState::Standby | NodeState::PerformanceStandby => return None,
            NodeState::DrSecondary => "a DR secondary serves no client request",
            NodeState::HaUnhealthy => "the standby cannot reach the active node",
            NodeState::Uninitialized => "Vault is not initialized",
            NodeState::Sealed => "Vault is sealed",
            NodeState::Removed => "the node was removed from its cluster",
        };
        Some(why.to_string())
    }
}

/// What an HTTP status means on `/v1/sys/health`, for the evidence.
pub fn code_meaning(code: u16) -> &'static str {
    match code {
        200 => "active",
        299 => "the code kbz-check asks for in every state, yet no health body",
        429 => "Vault's standby code: a standby answered, not a rate limit",
        472 => "Vault's DR secondary code",
        473 => "Vault's performance standby code",
        474 => "Vault's code for a standby that cannot reach the active node",
        501 => "Vault's not-initialized code",
        503 => "Vault's sealed code",
        530 => "Vault's removed-from-cluster code",
        _ => "not a Vault health code",
    }
}

#[cfg(test)]
mod tests {
    use super::super::diagnose::fixtures::answer;
    use super::*;

    fn state(status: u16, body: &str) -> Option<NodeState> {
        Health::read(&answer(status, body)).state
    }

    #[test]
    fn body_decides_whatever_the_code() {
        let b = |fields: &str| {
            format!("{{\"initialized\":true,\"sealed\":false,\"standby\":false,{fields}\"version\":\"1.19.0\"}}")
        };
        assert_eq!(state(200, &b("")), Some(NodeState::Active));
        assert_eq!(state(200, &b("\"standby\":true,")), Some(NodeState::Standby));
        assert_eq!(state(429, &b("\"standby\":true,")), Some(NodeState::Standby));
        assert_eq!(state(299, r#"{"initialized":false,"sealed":true,"standby":true}"#), Some(NodeState::Uninitialized));
        assert_eq!(state(299, r#"{"initialized":true,"sealed":true}"#), Some(NodeState::Sealed));
        assert_eq!(state(299, &b("\"removed_from_cluster\":true,")), Some(NodeState::Removed));
        let removed_and_sealed = r#"{"initialized":true,"sealed":true,"removed_from_cluster":true}"#;
        assert_eq!(state(530, removed_and_sealed), Some(NodeState::Removed));
        assert_eq!(state(299, &b("\"replication_dr_mode\":\"secondary\",")), Some(NodeState::DrSecondary));
        assert_eq!(state(299, &b("\"performance_standby\":true,")), Some(NodeState::PerformanceStandby));
        let unhealthy = r#"{"initialized":true,"sealed":false,"standby":true,"ha_connection_healthy":false}"#;
        assert_eq!(state(299, unhealthy), Some(NodeState::HaUnhealthy));
    }

    #[test]
    fn without_a_body_vault_codes_still_name_the_state() {
        for (code, expected) in [
            (429, NodeState::Standby),
            (472, NodeState::DrSecondary),
            (473, NodeState::PerformanceStandby),
            (474, NodeState::HaUnhealthy),
            (501, NodeState::Uninitialized),
            (503, NodeState::Sealed),
            (530, NodeState::Removed),
        ] {
            let health = Health::read(&answer(code, "<html>Service Unavailable</html>"));
            assert_eq!((health.state, &health.reading), (Some(expected), &Reading::CodeOnly), "{code}");
            assert_eq!(expected.default_code(), code);
        }
    }

    #[test]
    fn anything_else_is_not_vault() {
        for (code, body) in [(200, "<html>hello</html>"), (404, ""), (299, "{}"), (200, "[1,2]"), (502, "bad gateway")]
        {
            let health = Health::read(&answer(code, body));
            assert_eq!((health.state, health.reading), (None, Reading::NotVault), "{code} {body}");
        }
    }

    #[test]
    fn wrong_types_and_cut_bodies_never_panic() {
        let odd = r#"{"initialized":"yes","sealed":1,"standby":null,"version":42,"server_time_utc":"now"}"#;
        assert_eq!(Health::read(&answer(200, odd)).reading, Reading::NotVault);
        let mut cut = answer(503, r#"{"initialized":true,"sealed":true}"#);
        cut.truncated = true;
        assert_eq!(Health::read(&cut).reading, Reading::CodeOnly);
        let body =
            HealthBody::parse(br#"{"initialized":true,"sealed":false,"version":7,"server_time_utc":1.5}"#).unwrap();
        assert_eq!((body.version, body.server_time_utc), (None, None));
    }

    #[test]
    fn texts_are_one_printable_line() {
        let body = HealthBody::parse(br#"{"initialized":true,"version":"1.19.0\u001b[2J\n","cluster_name":"\u0000"}"#);
        let body = body.unwrap();
        assert_eq!((body.version.as_deref(), body.cluster_name), (Some("1.19.0 [2J"), None));
    }

    #[test]
    fn only_serving_states_take_token_and_secret_requests() {
        assert_eq!(Health::read(&answer(200, r#"{"initialized":true,"sealed":false}"#)).refuses_requests(), None);
        let sealed = Health::read(&answer(503, r#"{"initialized":true,"sealed":true}"#));
        assert_eq!(sealed.refuses_requests().as_deref(), Some("Vault is sealed"));
        let nginx = Health::read(&answer(200, "<html>Welcome to nginx!</html>"));
        assert_eq!(nginx.refuses_requests().as_deref(), Some("what answers is not Vault"));
    }
}

#[cfg(test)]
pub(super) mod properties {
    use super::super::diagnose::diagnose;
    use super::super::diagnose::fixtures::{answer, any_answer, check, observed};
    use super::*;
    use crate::report::Status;
    use crate::test_strategies::{any_status, config, mixed_object, JsonKind};
    use proptest::prelude::*;
    use serde_json::json;

    /// The body's fields and the JSON type Vault gives each.
    pub const FIELDS: [(&str, JsonKind); 11] = [
        ("initialized", JsonKind::Bool),
        ("sealed", JsonKind::Bool),
        ("standby", JsonKind::Bool),
        ("performance_standby", JsonKind::Bool),
        ("replication_dr_mode", JsonKind::Text),
        ("removed_from_cluster", JsonKind::Bool),
        ("ha_connection_healthy", JsonKind::Bool),
        ("last_request_forwarding_heartbeat_ms", JsonKind::Int),
        ("version", JsonKind::Text),
        ("cluster_name", JsonKind::Text),
        ("server_time_utc", JsonKind::Int),
    ];

    /// What the parsed body holds for `name`, as JSON, to compare with what was sent.
    fn parsed(body: &HealthBody, name: &str) -> Option<Value> {
        match name {
            "initialized" => body.initialized.map(Value::from),
            "sealed" => body.sealed.map(Value::from),
            "standby" => body.standby.map(Value::from),
            "performance_standby" => body.performance_standby.map(Value::from),
            "replication_dr_mode" => body.replication_dr_mode.clone().map(Value::from),
            "removed_from_cluster" => body.removed_from_cluster.map(Value::from),
            "ha_connection_healthy" => body.ha_connection_healthy.map(Value::from),
            "last_request_forwarding_heartbeat_ms" => body.last_heartbeat_ms.map(Value::from),
            "version" => body.version.clone().map(Value::from),
            "cluster_name" => body.cluster_name.clone().map(Value::from),
            "server_time_utc" => body.server_time_utc.map(Value::from),
            other => panic!("no field {other}"),
        }
    }

    proptest! {
        #![proptest_config(config())]

        /// Any answer: a reading, never a panic, and the reading agrees
        /// with the state it gives.
        #[test]
        fn any_answer_is_read_without_a_panic(sent in any_answer()) {
            let (status, truncated) = (sent.status, sent.truncated);
            let health = Health::read(&sent);
            match &health.reading {
                Reading::Body(body) => {
                    prop_assert!(!truncated, "a cut body was read");
                    prop_assert_eq!(health.state, Some(body.state()));
                }
                Reading::CodeOnly => {
                    prop_assert_eq!(health.state.map(NodeState::default_code), Some(status));
                    prop_assert_ne!(status, 200, "a bare 200 is anything's answer");
                }
                Reading::NotVault => prop_assert_eq!(health.state, None),
            }
            let serving =
                matches!(health.state, Some(NodeState::Active | NodeState::Standby | NodeState::PerformanceStandby));
            prop_assert_eq!(health.refuses_requests().is_none(), serving);
        }

        /// A health body as Vault writes it reads back field for field,
        /// whatever the status code, and the state follows Vault's order:
        /// not initialized first, then removed, then sealed.
        #[test]
        fn a_health_body_reads_back(
            status in any_status(),
            (initialized, sealed, standby, performance_standby) in any::<(bool, bool, bool, bool)>(),
            removed in any::<Option<bool>>(),
            ha_healthy in any::<Option<bool>>(),
            dr_mode in prop::sample::select(vec!["disabled", "primary", "secondary"]),
            version in "1\\.[0-9]{1,2}\\.[0-9]{1,2}(\\+ent)?",
            cluster_name in "[a-z][a-z0-9-]{0,20}",
            server_time in 0i64..4_000_000_000,
            heartbeat in 0i64..100_000,
        ) {
            let mut body = json!({
                "initialized": initialized, "sealed": sealed, "standby": standby,
                "performance_standby": performance_standby, "replication_dr_mode": dr_mode,
                "version": version, "cluster_name": cluster_name, "server_time_utc": server_time,
                "last_request_forwarding_heartbeat_ms": heartbeat,
            });
            if let Some(removed) = removed {
                body["removed_from_cluster"] = json!(removed);
            }
            if let Some(healthy) = ha_healthy {
                body["ha_connection_healthy"] = json!(healthy);
            }
            let health = Health::read(&answer(status, &body.to_string()));
            let read = health.body().cloned();
            prop_assert!(read.is_some(), "{:?}", health);
            let read = read.unwrap();
            let expected = HealthBody {
                initialized: Some(initialized),
                sealed: Some(sealed),
                standby: Some(standby),
                performance_standby: Some(performance_standby),
                replication_dr_mode: Some(dr_mode.to_string()),
                removed_from_cluster: removed,
                ha_connection_healthy: ha_healthy,
                last_heartbeat_ms: Some(heartbeat),
                version: Some(version),
                cluster_name: Some(cluster_name),
                server_time_utc: Some(server_time),
            };
            prop_assert_eq!(&read, &expected);
            let state = health.state.unwrap();
            if !initialized {
                prop_assert_eq!(state, NodeState::Uninitialized);
            } else if removed == Some(true) {
                prop_assert_eq!(state, NodeState::Removed);
            } else if sealed {
                prop_assert_eq!(state, NodeState::Sealed);
            } else if !standby && !performance_standby && dr_mode != "secondary" {
                prop_assert_eq!(state, NodeState::Active);
            }
        }

        /// A field of another type counts as absent, never as a value: the
        /// string "false" is not false; a text is one printable line. Without a boolean `initialized` or
        /// `sealed` the body is not Vault's, and the diagnosis says so.
        #[test]
        fn fields_of_another_type_count_as_absent(sent in mixed_object(&FIELDS)) {
            let bytes = Value::Object(sent.clone()).to_string();
            let is_vault = ["initialized", "sealed"].iter().any(|k| sent.get(*k).is_some_and(Value::is_boolean));
            match HealthBody::parse(bytes.as_bytes()) {
                Some(body) => {
                    prop_assert!(is_vault);
                    for (name, kind) in FIELDS {
                        // A text comes as one printable line, and an empty one as none.
                        let expected = sent
                            .get(name)
                            .filter(|v| kind.matches(v))
                            .map(|v| v.as_str().map_or(v.clone(), |text| Value::from(one_line(text))))
                            .filter(|v| v.as_str() != Some(""));
                        prop_assert_eq!(parsed(&body, name), expected, "{}", name);
                    }
                }
                None => {
                    prop_assert!(!is_vault);
                    let out = diagnose(&check("https://127.0.0.1:8200"), &observed(Ok(answer(200, &bytes))));
                    prop_assert_eq!(out.status, Status::Fail);
                    let cause = out.causes.join("\n");
                    prop_assert!(cause.contains("without Vault's health JSON"), "{}", cause);
                }
            }
        }
    }
}
