//! The vault check against a real three-node OpenBao raft cluster on
//! 127.0.0.1: raft autopilot's state, read with the app's token, turns into a
//! warning when the cluster cannot lose another node.

mod support;

use serde_json::Value;
use std::process::Output;
use std::time::Duration;
use support::vault::{Bao, ROOT_TOKEN};
use support::{all_text, assert_absent, check, evidence};

/// Autopilot counts a node unhealthy after `last_contact_threshold` (10 s by
/// default; OpenBao's heartbeats come every ~5 s, so no shorter): generous
/// bounds for a loaded machine.
const AUTOPILOT_WAIT: Duration = Duration::from_secs(60);

fn run_json(env: &[(&str, &str)]) -> (i32, Value, Output) {
    support::run_json("vault", env.iter().copied(), &[])
}

fn codes(c: &Value) -> Vec<&str> {
    c["findings"].as_array().expect("findings").iter().map(|f| f["code"].as_str().expect("a code")).collect()
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_else(|| panic!("not a string: {value}"))
}

#[test]
fn raft_autopilot_warns_when_the_cluster_cannot_lose_another_node() {
    let (first, others, keys) = Bao::settled_raft_cluster("kbz-ap");
    // A token of the default policy only: autopilot's state is not its to read.
    let body = r#"{"policies":["default"],"ttl":"768h"}"#;
    let answer = first.ok("POST", "/v1/auth/token/create", Some(&keys.root_token), Some(body));
    let json: Value = serde_json::from_str(&answer).expect("token/create answers JSON");
    let plain_token = json["auth"]["client_token"].as_str().expect("a client token").to_string();
    let secrets = [keys.root_token.as_str(), keys.unseal_key.as_str(), plain_token.as_str()];
    let check_at = |node: &Bao, token: &str| {
        let (code, json, out) = run_json(&[("VAULT_ADDR", &node.addr()), ("VAULT_TOKEN", token)]);
        assert_absent(&all_text(&out), &secrets);
        (code, check(&json).clone())
    };

    // All three healthy: ok, autopilot's view as evidence.
    let (code, c) = check_at(&first, &keys.root_token);
    assert_eq!((code, c["status"].as_str()), (0, Some("ok")), "{c:#}");
    let seen = evidence(&c, "raft autopilot");
    assert!(seen.starts_with("healthy, failure tolerance 1, 3 voters; leader kbz-ap-1\n"), "{c:#}");
    for node in ["kbz-ap-1 healthy (leader)", "kbz-ap-2 healthy (voter, last contact ", "kbz-ap-3 healthy (voter"] {
        assert!(seen.contains(node), "{node}: {seen}");
    }
    // A standby forwards the request to the active node, which holds the state.
    let (code, c) = check_at(&others[0], &keys.root_token);
    assert_eq!((code, c["status"].as_str()), (0, Some("ok")), "{c:#}");
    assert!(evidence(&c, "raft autopilot").starts_with("healthy, failure tolerance 1, 3 voters"), "{c:#}");
    // A token without read on it: not visible, never a finding.
    let (code, c) = check_at(&first, &plain_token);
    assert_eq!((code, c["status"].as_str()), (0, Some("ok")), "{c:#}");
    assert!(
        evidence(&c, "raft autopilot")
            .starts_with("not visible to this token: HTTP 403 1 error occurred: * permission denied;"),
        "{c:#}"
    );

    // One node stopped: two voters of three still make a quorum, but the
    // cluster cannot lose another one. Once autopilot has noticed: a warning.
    let [second, third] = others;
    drop(third);
    first.wait_for_autopilot(&keys.root_token, "at failure tolerance 0", AUTOPILOT_WAIT, |s| {
        s["failure_tolerance"] == 0 && s["servers"]["kbz-ap-3"]["healthy"] == false
    });
    for node in [&first, &second] {
        let (code, c) = check_at(node, &keys.root_token);
        assert_eq!((code, c["status"].as_str()), (0, Some("warn")), "a warning does not fail the run: {c:#}");
        assert_eq!(codes(&c), ["vault.raft.no_failure_tolerance"], "{c:#}");
        let summary = text(&c["summary"]);
        assert!(
            summary.starts_with(
                "the raft cluster cannot lose another node: failure tolerance 0 (2 of 3 voters healthy; kbz-ap-3 unhealthy (voter, last contact "
            ),
            "{summary}"
        );
        assert!(text(&c["cause"]).contains("one more voter lost"), "{c:#}");
        let commands: Vec<&str> =
            c["actions"].as_array().unwrap().iter().filter_map(|a| a["command"].as_str()).collect();
        assert!(commands.iter().any(|c| c.contains("vault operator raft autopilot state")), "{commands:?}");
        let seen = evidence(&c, "raft autopilot");
        assert!(seen.starts_with("not healthy, failure tolerance 0, 3 voters; leader kbz-ap-1\n"), "{seen}");
    }
}

#[test]
fn without_raft_storage_autopilot_is_not_visible_and_no_finding() {
    // The dev server keeps its data in memory: no raft, `unsupported path`.
    let bao = Bao::dev();
    let (code, json, out) = run_json(&[("VAULT_ADDR", &bao.addr()), ("VAULT_TOKEN", ROOT_TOKEN)]);
    assert_absent(&all_text(&out), &[ROOT_TOKEN]);
    let c = check(&json);
    assert_eq!((code, c["status"].as_str()), (0, Some("ok")), "{c:#}");
    assert!(c["findings"].as_array().is_none_or(|f| f.is_empty()), "{c:#}");
    assert_eq!(
        evidence(c, "raft autopilot"),
        "not visible: HTTP 404 1 error occurred: * unsupported path: this Vault does not use raft (integrated) storage, or its version has no autopilot",
        "{c:#}"
    );
    // No token: not asked.
    let (_, json, _) = run_json(&[("VAULT_ADDR", &bao.addr())]);
    assert_eq!(evidence(check(&json), "raft autopilot"), "not read: VAULT_TOKEN is not set", "{json:#}");
}
