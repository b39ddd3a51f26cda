//! docs/schema/report-v1.json against reality: real reports of the binary
//! (built-in suite, loopback servers) must validate, the schema must reject
//! what the contract forbids, and every field the binary prints must be
//! documented in the schema and in docs/output.md.

mod support;

use serde_json::{json, Value};
use std::path::Path;
use support::net::closed_port;
use support::oauth::{ph15_env, start_env, Consent, Reply, StartServer};
use support::{run_all_json as run_all, status_of};

fn doc_path(relative: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn schema() -> Value {
    let path = doc_path("docs/schema/report-v1.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft202012::new(&schema()).expect("the schema compiles")
}

/// Every violation, one per line with where it is, or "" when `report` is valid.
fn violations(report: &Value) -> String {
    validator().iter_errors(report).map(|e| format!("{}: {e}\n", e.instance_path())).collect()
}

fn assert_valid(report: &Value) {
    let errors = violations(report);
    assert!(errors.is_empty(), "the report breaks docs/schema/report-v1.json:\n{errors}\n{report:#}");
}

/// The field names of every check object in `report` are all documented in
/// the schema's check properties (which allow extra fields, so this is what
/// catches an undocumented one).
fn assert_check_fields_documented(report: &Value) {
    let schema = schema();
    let documented = schema["$defs"]["check"]["properties"].as_object().unwrap();
    for check in report["checks"].as_array().unwrap() {
        for field in check.as_object().unwrap().keys() {
            assert!(documented.contains_key(field), "check field `{field}` is not in the schema: {check:#}");
        }
    }
}

#[test]
fn the_schema_is_a_valid_draft_2020_12_schema_with_every_property_described() {
    let schema = schema();
    jsonschema::draft202012::meta::validate(&schema).expect("valid against the 2020-12 meta-schema");
    fn walk(node: &Value, path: &str) {
        if let Some(properties) = node.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                let described = property.get("description").and_then(Value::as_str).is_some_and(|d| !d.is_empty())
                    || property.get("$ref").is_some();
                assert!(described, "{path}.{name} has no description");
                walk(property, &format!("{path}.{name}"));
            }
        }
        if let Some(defs) = node.get("$defs").and_then(Value::as_object) {
            for (name, def) in defs {
                assert!(def.get("description").is_some(), "$defs.{name} has no description");
                walk(def, &format!("$defs.{name}"));
            }
        }
    }
    walk(&schema, "");
}

/// A postgres on a closed port fails, every other check is skipped.
#[test]
fn closed_port_postgres_and_skipped_checks_validate() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.json");
    let env = [("DATABASE_URL", format!("postgresql://kb_backend:secret-pw@127.0.0.1:{}/keybuzz", closed_port()))];
    let (code, report, _) = run_all(&env, &["--timeout", "3s", "--json", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(status_of(&report, "postgres"), "fail");
    for skipped in ["vault", "smtp", "ses", "oauth"] {
        assert_eq!(status_of(&report, skipped), "skip", "{report:#}");
    }
    assert_eq!(report["id"], Value::Null, "no --id and no suite: id is null");
    assert_valid(&report);
    assert_check_fields_documented(&report);

    // --json FILE writes the same shape.
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_valid(&written);
}

/// The oauth stand-in answers PH15's successful start: ok, with evidence.
#[test]
fn oauth_success_validates() {
    let backend = StartServer::start(Reply::started(&Consent::ph15()));
    let env = start_env(&backend.url());
    let (code, report, _) = run_all(&env, &["--id", "SCHEMA-OK-01", "--title", "Schema check"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["verdict"], "ok");
    assert_eq!(status_of(&report, "oauth"), "ok");
    assert_eq!(report["id"], "SCHEMA-OK-01");
    assert_valid(&report);
    assert_check_fields_documented(&report);
}

/// PH15: oauth `fetch failed` and Vault out of reach: one root cause.
#[test]
fn ph15_report_with_root_causes_validates() {
    let backend = StartServer::start(Reply::failed(500, "fetch failed"));
    let env = ph15_env(&backend.url());
    let (code, report, _) = run_all(&env, &["--id", "PH15-AMAZON-OAUTH-START-DEBUG-01"]);
    assert_eq!(code, 1, "{report:#}");
    assert!(!report["root_causes"].as_array().unwrap().is_empty(), "{report:#}");
    assert_valid(&report);
    assert_check_fields_documented(&report);
}

/// The schema is not vacuous: it refuses what the contract forbids, and
/// accepts the optional `attempts` of `--retry-for`.
#[test]
fn the_schema_rejects_contract_breaches_and_accepts_attempts() {
    let check = json!({
        "name": "db", "kind": "postgres", "status": "ok", "target": "postgresql://u:***@127.0.0.1:5432/d",
        "summary": "leader", "duration_ms": 3,
        "evidence": [{"label": "role", "command": "SELECT pg_is_in_recovery()", "output": "f"}],
        "cause": null, "actions": [{"priority": "low", "text": "nothing", "command": null}]
    });
    let report = |check: Value| {
        json!({
            "schema": "kbz-check/report/v1", "id": null, "title": null,
            "generated_at": "2026-01-07T09:00:00Z", "duration_ms": 4, "verdict": "ok",
            "interrupted": false, "root_causes": [], "checks": [check]
        })
    };
    assert_valid(&report(check.clone()));

    let with = |field: &str, value: Value| {
        let mut changed = check.clone();
        changed[field] = value;
        report(changed)
    };
    assert_valid(&with("attempts", json!(3)));
    for (field, value) in [
        ("attempts", json!(0)),
        ("status", json!("error")),
        ("status", json!("OK")),
        ("duration_ms", json!(-1)),
        ("cause", json!(42)),
        ("actions", json!([{"priority": "urgent", "text": "x", "command": null}])),
        ("evidence", json!([{"label": "role", "output": "f"}])),
    ] {
        assert!(!violations(&with(field, value.clone())).is_empty(), "{field} = {value} must be refused");
    }

    let mut wrong = report(check.clone());
    wrong["verdict"] = json!("partial");
    assert!(!violations(&wrong).is_empty(), "the verdict is one of ok, warn, fail, skip");
    let mut wrong = report(check.clone());
    wrong["schema"] = json!("kbz-check/report/v2");
    assert!(!violations(&wrong).is_empty());
    let mut wrong = report(check);
    wrong.as_object_mut().unwrap().remove("root_causes");
    assert!(!violations(&wrong).is_empty(), "root_causes is required");
}

/// The JSON example in docs/output.md is a valid report, and the page names
/// every field of the schema.
#[test]
fn docs_output_md_example_validates_and_names_every_field() {
    let page = std::fs::read_to_string(doc_path("docs/output.md")).unwrap();
    let start = page.find("```json\n").expect("docs/output.md has a ```json example") + "```json\n".len();
    let end = start + page[start..].find("\n```").unwrap();
    let example: Value = serde_json::from_str(&page[start..end]).expect("the example is JSON");
    assert_valid(&example);

    let schema = schema();
    let mut fields: Vec<String> = schema["properties"].as_object().unwrap().keys().cloned().collect();
    for def in ["check", "evidence", "action", "root_cause"] {
        fields.extend(schema["$defs"][def]["properties"].as_object().unwrap().keys().cloned());
    }
    for field in fields {
        assert!(page.contains(&format!("`{field}`")), "docs/output.md does not document `{field}`");
    }
}
