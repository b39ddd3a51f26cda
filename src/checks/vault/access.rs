//! What the app's token may do: its lookup (policies, TTL against min_ttl)
//! and each configured secret read (key names only). Pure.

use super::codes;
use super::diagnose::{rough, secs, Findings};
use super::moved::{redirected, Asked};
use super::secrets::{self, Absence, Kv, SecretState};
use super::token::{error_text, TokenInfo};
use super::{Probe, VaultCheck};
use crate::report::{Action, Priority};

pub(super) struct TokenSummary {
    /// Appended to the ok summary.
    pub summary: String,
    pub policies: Vec<String>,
}

pub(super) fn token_findings(
    check: &VaultCheck,
    probe: &Probe,
    active: Option<&str>,
    found: &mut Findings,
) -> TokenSummary {
    let name = &check.names.token;
    let command = Some("GET /v1/auth/token/lookup-self");
    let mut result = TokenSummary { summary: String::new(), policies: Vec::new() };
    let answer = match probe {
        Probe::NotRun(why) => {
            let skipped = if check.secrets.is_empty() { "token lookup" } else { "token lookup and secret reads" };
            found.evidence("token", command, format!("not verified: {why}; {skipped} skipped"));
            if check.token.is_none() {
                result.summary = format!("; token not checked ({name} not set)");
            }
            return result;
        }
        Probe::Done(Err(error)) => {
            found.evidence("token", command, format!("no answer: {}", error));
            found.warn(
                codes::TOKEN_LOOKUP_UNANSWERED,
                format!("{name} not verified: the lookup got no answer"),
                format!("Vault answered the health request but not the token lookup: {}", error),
                vec![Action::new(Priority::Medium, "Run the check again; if it persists, look at Vault's log")],
            );
            return result;
        }
        Probe::Done(Ok(answer)) => answer,
    };
    if let Some(redirect) = &answer.redirect {
        found.evidence("token", command, redirect.describe());
        redirected(check, Asked::Token, redirect, active, found);
        return result;
    }
    match (answer.status, TokenInfo::parse(&answer.body)) {
        (200, Some(info)) => {
            found.evidence("token", command, token_output(&info));
            result.summary = token_ok_summary(check, &info, found);
            result.policies = info.policies;
        }
        (403, _) => {
            found.evidence("token", command, format!("rejected: HTTP 403 {}", error_text(&answer.body)));
            found.fail(
                codes::TOKEN_REJECTED,
                format!("{name} rejected by Vault (403 permission denied)"),
                "lookup-self answered 403: the token is expired, revoked, or was never issued by this Vault (a token of another Vault or of a dev server); rarely, it lacks the default policy that allows lookup-self. Every Vault call the app makes with it fails the same way".to_string(),
                vec![Action::new(Priority::High, format!("Issue a new token for the app and put it where the app reads {name} (its .env file, a Kubernetes Secret), then restart the app"))
                    .with_command("vault token create -policy=<app-policy> -ttl=720h")],
            );
        }
        (code, _) => {
            let errors = error_text(&answer.body);
            found.evidence("token", command, format!("HTTP {code} {errors}"));
            found.warn(
                codes::TOKEN_LOOKUP_UNEXPECTED,
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
        found.warn(
            codes::TOKEN_EXPIRING,
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

pub(super) fn secret_findings(
    check: &VaultCheck,
    reads: &[(String, Probe)],
    policies: &[String],
    active: Option<&str>,
    found: &mut Findings,
) -> String {
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
                found.evidence(label, Some(&command), format!("no answer: {}", error));
                found.fail(
                    codes::SECRET_READ_UNANSWERED,
                    format!("reading secret {path} failed"),
                    format!("GET /v1/{path} got no answer: {}", error),
                    vec![Action::new(Priority::Medium, "Run the check again; if it persists, look at Vault's log")],
                );
                continue;
            }
            Probe::Done(Ok(answer)) => answer,
        };
        if let Some(redirect) = &answer.redirect {
            found.evidence(label, Some(&command), redirect.describe());
            redirected(check, Asked::Secret(path), redirect, active, found);
            continue;
        }
        match secrets::read(answer) {
            SecretState::Present { kv, keys } => {
                let version = match kv {
                    Kv::V2 { version: Some(v) } => format!("KV v2, version {v}"),
                    Kv::V2 { version: None } => "KV v2".to_string(),
                    Kv::V1 => "KV v1".to_string(),
                };
                if keys.is_empty() {
                    found.evidence(label, Some(&command), format!("present ({version}) but empty: no keys"));
                    found.warn(
                        codes::SECRET_EMPTY,
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
                found.fail(
                    codes::SECRET_DENIED,
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
                found.fail(
                    codes::SECRET_READ_FAILED,
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

/// The folder of a secret as `vault kv` names it: `secret/data/keybuzz/smtp` → `secret/keybuzz`.
fn kv_parent(mount: &str, rest: &str) -> String {
    let rest = rest.strip_prefix("data/").unwrap_or(rest);
    match rest.rsplit_once('/') {
        Some((folder, _)) => format!("{mount}/{folder}"),
        None => mount.to_string(),
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
    let (code, summary, cause, action) = match absence {
        Absence::Missing => (
            codes::SECRET_ABSENT,
            format!("secret {path} absent"),
            format!("Vault has no secret at {path}: it was never written there, or the app and this check expect another path"),
            Action::new(Priority::High, format!("Write the secret at {path}, or fix the path the app reads"))
                .with_command(format!("vault kv list {}   # what exists next to it", kv_parent(mount, rest))),
        ),
        Absence::NeedsDataPrefix => (
            codes::SECRET_NEEDS_DATA_PREFIX,
            format!("secret path {path} lacks data/ for a KV v2 mount"),
            format!("{mount}/ is a KV v2 mount: its secrets are read at {mount}/data/<path>, not {path}"),
            Action::new(Priority::High, format!("Use {mount}/data/{rest} in the app and in secrets")),
        ),
        Absence::Deleted { version, .. } => (
            codes::SECRET_DELETED,
            format!("secret {path} deleted"),
            format!("the latest version ({}) of {path} was deleted: reads get 404 until it is undeleted or rewritten", version_text(*version)),
            Action::new(Priority::High, "Undelete the version if the deletion was a mistake, or write the secret again")
                .with_command(format!("vault kv undelete -versions={} {mount}/{}", version_text(*version), rest.strip_prefix("data/").unwrap_or(rest))),
        ),
        Absence::Destroyed { version } => (
            codes::SECRET_DESTROYED,
            format!("secret {path} destroyed"),
            format!("the latest version ({}) of {path} was destroyed: it is gone for good", version_text(*version)),
            Action::new(Priority::High, format!("Write the secret at {path} again")),
        ),
        Absence::NoMount => (
            codes::SECRET_NO_MOUNT,
            format!("no secrets engine mounted at {mount}/"),
            format!("Vault has no secrets engine at {mount}/, so {path} cannot exist: a wrong mount name, or the engine was never enabled"),
            Action::new(Priority::High, "List the mounts and fix the path's first segment").with_command("vault secrets list"),
        ),
    };
    found.fail(code, summary, cause, vec![action]);
}

#[cfg(test)]
mod tests {
    use super::super::diagnose::{diagnose, fixtures::*};
    use super::super::{Observed, Probe};
    use crate::report::Status;

    #[test]
    fn kv_parent_is_the_folder_vault_kv_lists() {
        assert_eq!(super::kv_parent("secret", "data/keybuzz/smtp"), "secret/keybuzz");
        assert_eq!(super::kv_parent("kv", "app"), "kv");
    }

    #[test]
    fn each_absence_has_its_code() {
        use super::super::secrets::Absence;
        let cases = [
            (Absence::Missing, "vault.secret.absent"),
            (Absence::NeedsDataPrefix, "vault.secret.needs_data_prefix"),
            (Absence::Deleted { version: Some(3), at: "2026-01-01T00:00:00Z".into() }, "vault.secret.deleted"),
            (Absence::Destroyed { version: Some(3) }, "vault.secret.destroyed"),
            (Absence::NoMount, "vault.secret.no_mount"),
        ];
        for (absence, code) in cases {
            let mut found = super::Findings::default();
            super::absent_problem("secret/data/app", &absence, &mut found);
            let out = found.into_outcome(String::new());
            assert_eq!(out.codes(), [code]);
        }
    }

    #[test]
    fn token_rejected_short_or_missing() {
        let c = check("http://127.0.0.1:8200");
        let out = diagnose(&c, &with_token(&health_body(""), answer(403, r#"{"errors":["permission denied"]}"#)));
        assert_eq!(
            (out.status, out.summary.as_str()),
            (Status::Fail, "VAULT_TOKEN rejected by Vault (403 permission denied)")
        );
        assert_eq!(out.codes(), ["vault.token.rejected"]);
        let out = diagnose(&c, &with_token(&health_body(""), answer(200, &token_body(3600, false))));
        assert_eq!((out.status, out.summary.as_str()), (Status::Warn, "VAULT_TOKEN expires in 1h (under min_ttl 1d)"));
        assert!(out.actions[0].text.contains("cannot be renewed"));
        assert_eq!(out.codes(), ["vault.token.expiring"]);
        let root = r#"{"data":{"policies":["root"],"ttl":0,"expire_time":null}}"#;
        let out = diagnose(&c, &with_token(&health_body(""), answer(200, root)));
        assert_eq!(out.status, Status::Ok);
        assert!(out.summary.contains("never expires"), "{}", out.summary);
        let mut no_token = check("http://127.0.0.1:8200");
        no_token.token = None;
        let out = diagnose(&no_token, &observed(Ok(answer(200, &health_body("")))));
        assert_eq!(out.status, Status::Ok);
        assert!(out.summary.ends_with("; token not checked (VAULT_TOKEN not set)"), "{}", out.summary);
        assert!(out.evidence_of("token").starts_with("not verified: VAULT_TOKEN is not set"));
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
            out.evidence_of("secret secret/data/keybuzz/smtp"),
            "present (KV v2, version 2), keys: password, user (values not shown)"
        );
        assert_eq!(out.status, Status::Fail);
        assert_eq!(out.summary, "secret secret/data/keybuzz/ses absent");
        assert_eq!(out.codes(), ["vault.secret.absent", "vault.secret.denied"]);
        let cause = out.causes.join("\n");
        assert!(cause.contains("none of its policies (default, kb-app) grants read on this path"), "{cause}");
        assert!(
            out.actions.iter().any(|a| a.text == "Grant read on secret/data/other in one of the token's policies"),
            "{out:#?}"
        );
    }
}
