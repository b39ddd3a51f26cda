//! From what the start endpoint answered (or why it did not) to a status, a
//! cause in plain words and the actions that fix it. Pure: unit-tested
//! without a server.

use super::client::{tenant_headers, Answer, RequestError, BODY};
use super::codes::*;
use super::failure;
use super::reach;
use super::text::{escaped_excerpt, mask_credentials, rough, EXCERPT_CHARS};
use super::validate::{self, Consent, Expected, Issue, CONSENT_PATH, SELLER_CENTRAL};
use super::OAuthCheck;
pub(super) use crate::checks::findings::Findings;
use crate::report::{Action, Outcome, Priority, Status};
use serde_json::{Map, Value};

pub fn diagnose(check: &OAuthCheck, result: &Result<Answer, RequestError>) -> Outcome {
    let mut found = Findings::default();
    let summary = match result {
        Err(error) => {
            reach::request_failure(check, error, &mut found);
            String::new()
        }
        Ok(answer) => answer_findings(check, answer, &mut found),
    };
    scrub(found.into_outcome(summary))
}

/// The request as a command a person can rerun (PH15 section 2's curl).
pub(super) fn request_command(check: &OAuthCheck) -> String {
    request_command_with(check, "")
}

/// [`request_command`] with more curl `flags` (` -i`: the answer's headers too).
pub(super) fn request_command_with(check: &OAuthCheck, flags: &str) -> String {
    let mut parts = vec![
        format!("curl -sS{flags} -X POST"),
        sh_quote(&check.shown_url()),
        "-H 'Content-Type: application/json' -H 'Accept: application/json'".to_string(),
    ];
    for (name, value) in tenant_headers(check) {
        parts.push(format!("-H {}", sh_quote(&format!("{name}: {value}"))));
    }
    parts.push(format!("-d {}", sh_quote(BODY)));
    parts.join(" ")
}

fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// "X-Tenant-Id was not sent (KBZ_OAUTH_TENANT_ID is not set)", when a header is missing.
pub(super) fn unsent_headers(check: &OAuthCheck) -> Option<String> {
    let mut unsent = Vec::new();
    if check.user_email.is_none() {
        unsent.push(format!("X-User-Email was not sent ({} is not set)", check.names.user_email));
    }
    if check.tenant_id.is_none() {
        unsent.push(format!("X-Tenant-Id was not sent ({} is not set)", check.names.tenant_id));
    }
    (!unsent.is_empty()).then(|| unsent.join("; "))
}

/// "HTTP 200 OK, application/json, 312 bytes".
fn status_line(check: &OAuthCheck, answer: &Answer) -> String {
    let reason = http::StatusCode::from_u16(answer.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .map_or(String::new(), |r| format!(" {r}"));
    let content_type = answer.content_type.as_deref().unwrap_or("no Content-Type");
    let cut = if answer.truncated { " (cut at 1 MiB)" } else { "" };
    let mut line = format!("HTTP {}{reason}, {content_type}, {} bytes{cut}", answer.status, answer.body.len());
    if let Some(unsent) = unsent_headers(check) {
        line.push_str(&format!("\n{unsent}"));
    }
    line
}

fn answer_findings(check: &OAuthCheck, answer: &Answer, found: &mut Findings) -> String {
    found.evidence("request", Some(&request_command(check)), status_line(check, answer));
    found.evidence("answer", None, escaped_excerpt(&answer.body, EXCERPT_CHARS));
    reach::tls_evidence(check, answer, found);
    let json = serde_json::from_slice::<Value>(&answer.body).ok();
    match (answer.status, json) {
        (300..=399, _) => failure::redirect(check, answer, found),
        (_, None) => failure::not_json(check, answer, found),
        (_, Some(Value::Object(body))) if is_error_answer(&body) => failure::error_answer(check, answer, &body, found),
        (200..=299, Some(Value::Object(body))) => return start_findings(check, answer, &body, found),
        (_, Some(other)) => failure::unexpected_json(check, answer, &other, found),
    }
    String::new()
}

/// `{"error": ..., "details": ...}` without `success: true`.
fn is_error_answer(body: &Map<String, Value>) -> bool {
    (body.contains_key("error") || body.contains_key("details")) && body.get("success") != Some(&Value::Bool(true))
}

fn start_findings(check: &OAuthCheck, answer: &Answer, body: &Map<String, Value>, found: &mut Findings) -> String {
    let expected = Expected {
        app_id: check.app_id.as_deref(),
        app_id_name: &check.names.app_id,
        redirect_uri: check.redirect_uri.as_deref(),
        redirect_uri_name: &check.names.redirect_uri,
    };
    let checked = validate::check_start(body, &expected, answer.received_at);
    found.evidence("authUrl checks", None, checked.lines.join("\n"));
    for issue in &checked.issues {
        issue_problem(check, issue, found);
    }
    ok_summary(&checked.consent)
}

/// "Amazon consent URL on sellercentral.amazon.com (US) for amzn1.sp.solution.…, expires in 10m".
fn ok_summary(consent: &Consent) -> String {
    let mut summary = "Amazon consent URL".to_string();
    if let (Some(host), Some(marketplaces)) = (&consent.host, consent.marketplaces) {
        summary.push_str(&format!(" on {host} ({marketplaces})"));
    }
    if let Some(app) = &consent.application_id {
        summary.push_str(&format!(" for {app}"));
    }
    if let Some(ahead) = consent.expires_in {
        summary.push_str(&format!(", state expires in {}", rough(ahead)));
    }
    summary
}

/// The backend's recent log about the OAuth flow.
pub(super) const LOGS: &str = "kubectl -n <namespace> logs deploy/<backend> --since=10m | grep -i -A5 oauth";

fn issue_problem(check: &OAuthCheck, issue: &Issue, found: &mut Findings) {
    let status = if issue.is_warning() { Status::Warn } else { Status::Fail };
    let (code, summary, cause, actions) = match issue {
        Issue::Field { field, expected, found } => (
            ANSWER_FIELD_INVALID,
            format!("the start answer's {field} is {found}, not {expected}"),
            format!(
                "the start endpoint answered HTTP 2xx, but a successful start answer carries success: true, authUrl, state and expiresAt, and here {field} is {found}: the web client cannot send the seller to Amazon's consent page. The backend's start handler (its version, or a proxy rewriting the answer) does not follow that contract"
            ),
            vec![handler_action(check)],
        ),
        Issue::AuthUrlNotUrl { text, error } => (
            ANSWER_AUTH_URL_INVALID,
            "the start answer's authUrl is not a URL".to_string(),
            format!("authUrl \"{text}\" is not an absolute URL ({error}): the browser cannot be sent to Amazon's consent page with it"),
            vec![build_url_action()],
        ),
        Issue::NotHttps { what: "authUrl", url } => (
            ANSWER_AUTH_URL_NOT_HTTPS,
            "authUrl is not https".to_string(),
            format!("authUrl {url} is not https: Amazon serves its consent page over https only, and the seller's first hop to it would travel in clear"),
            vec![build_url_action()],
        ),
        Issue::NotHttps { url, .. } => (
            ANSWER_REDIRECT_URI_NOT_HTTPS,
            "authUrl redirect_uri is not https".to_string(),
            format!(
                "redirect_uri {url} is not https: Amazon only sends sellers back to https redirect URIs registered for the app, so it refuses the consent, or the authorization code would travel in clear"
            ),
            vec![redirect_action(check)],
        ),
        Issue::NotSellerCentral { host } => (
            ANSWER_WRONG_HOST,
            format!("authUrl host {host} is not a Seller Central host"),
            not_seller_central_cause(host),
            vec![Action::new(
                Priority::High,
                "Fix the Seller Central URL the backend builds authUrl from: https://sellercentral.amazon.com (US), https://sellercentral-europe.amazon.com (UK, Germany, France, Italy, Spain), or the host of the sellers' marketplace (docs/checks/oauth.md lists them)",
            )],
        ),
        Issue::WrongPath { path } => (
            ANSWER_WRONG_PATH,
            format!("authUrl path is {path}, not {CONSENT_PATH}"),
            format!("Amazon's consent page for an SP-API app is {CONSENT_PATH} on Seller Central; {path} is another page, so sellers never see the consent"),
            vec![build_url_action()],
        ),
        Issue::ParamMissing { param } => (
            ANSWER_PARAM_MISSING,
            format!("authUrl has no {param}"),
            missing_param_cause(param),
            vec![build_url_action()],
        ),
        Issue::ParamRepeated { param } => (
            ANSWER_PARAM_REPEATED,
            format!("authUrl has {param} more than once"),
            format!("authUrl carries {param} more than once: which value Amazon uses is not defined, so the flow may run with another value than the backend stored"),
            vec![build_url_action()],
        ),
        Issue::Mismatch { param: "application_id", found, expected } => {
            let name = &check.names.app_id;
            (
                ANSWER_APP_ID_MISMATCH,
                format!("authUrl application_id differs from {name}"),
                format!(
                    "authUrl asks sellers to authorize the app {found}, but {name} is {expected}: the backend runs with another app's id (another environment's secret, a stale deployment), or this check is set for another app; sellers would authorize an app whose credentials the backend may not hold"
                ),
                vec![Action::new(
                    Priority::High,
                    format!("Make the backend run with the app id {name} gives (Seller Central, Develop Apps, shows it), or correct {name}"),
                )
                .with_command("kubectl -n <namespace> get secret amazon-spapi-creds -o jsonpath='{.data.AMAZON_SPAPI_APP_ID}' | base64 -d")],
            )
        }
        Issue::Mismatch { found, expected, .. } => {
            let name = &check.names.redirect_uri;
            (
                ANSWER_REDIRECT_URI_MISMATCH,
                format!("authUrl redirect_uri differs from {name}"),
                format!(
                    "Amazon sends the seller back to authUrl's redirect_uri, {found}, but {name} is {expected}: the callback lands on another host or environment than configured, or Amazon refuses it if it is not one of the app's registered redirect URIs"
                ),
                vec![redirect_action(check)],
            )
        }
        Issue::StateMismatch { in_url, in_body } => (
            ANSWER_STATE_MISMATCH,
            "state in authUrl differs from the answer's state".to_string(),
            format!(
                "the answer returns state {in_body} but authUrl carries {in_url}: Amazon calls back with the URL's state, which the backend cannot match with the state it keeps, so every authorization fails its CSRF check"
            ),
            vec![Action::new(Priority::High, "Fix the backend's start handler: the state it keeps and returns must be the one it puts in authUrl")],
        ),
        Issue::RedirectMissing { configured: true } => {
            let name = &check.names.redirect_uri;
            (
                ANSWER_REDIRECT_URI_MISSING,
                format!("authUrl has no redirect_uri, though {name} is set"),
                format!(
                    "without redirect_uri Amazon sends the seller to the app's default (first registered) redirect URI, not necessarily {}: the backend leaves its configured callback out of the consent URL",
                    check.redirect_uri.as_deref().unwrap_or_default()
                ),
                vec![redirect_action(check)],
            )
        }
        Issue::RedirectMissing { configured: false } => (
            ANSWER_REDIRECT_URI_DEFAULT,
            "authUrl has no redirect_uri".to_string(),
            format!(
                "without redirect_uri Amazon sends the seller to the app's default (first registered) redirect URI: fine if that is this backend's callback. Set {} for this check to compare it",
                check.names.redirect_uri
            ),
            vec![Action::new(Priority::Low, format!("Set {} to the backend's callback URL", check.names.redirect_uri))],
        ),
        Issue::Draft => (
            ANSWER_DRAFT_APP,
            "authUrl asks for a draft app's consent (version=beta)".to_string(),
            "version=beta asks Amazon for the authorization workflow of an app in draft status, which is how an app is tested before it is published: a draft app; production apps drop version=beta".to_string(),
            vec![Action::new(
                Priority::Medium,
                "Once the app is published, stop adding version=beta to authUrl (a flag or environment setting of the backend)",
            )],
        ),
        Issue::UnknownVersion { value } => (
            ANSWER_UNKNOWN_VERSION,
            format!("authUrl has version={value}"),
            format!("authUrl carries version={value}; Amazon documents only version=beta (draft apps), and a published app's consent URL has no version"),
            vec![build_url_action()],
        ),
        Issue::Expired { at, ago } => (
            ANSWER_STATE_EXPIRED,
            format!("expiresAt {at} is already past ({} ago)", rough(*ago)),
            format!(
                "the start answer says its state expires at {at}, {} before this host received it: the callback would be refused as expired for every seller. Either the backend's clock or this host's is wrong, or the backend computes expiresAt wrongly (seconds taken for milliseconds, a time zone)",
                rough(*ago)
            ),
            vec![Action::new(Priority::High, "Compare the backend's clock with this host's, then check how the backend computes expiresAt")
                .with_command("date -u\nkubectl -n <namespace> exec deploy/<backend> -- date -u")],
        ),
        Issue::ExpiresUnreadable { text } => (
            ANSWER_EXPIRES_UNREADABLE,
            "expiresAt is not an RFC 3339 time".to_string(),
            format!("expiresAt \"{text}\" is not an RFC 3339 time with its zone (like 2026-01-08T09:29:21.707Z, as JavaScript's toISOString() writes it): the client cannot tell when the state expires"),
            vec![handler_action(check)],
        ),
    };
    found.problem(code, status, summary, cause, actions);
}

fn not_seller_central_cause(host: &str) -> String {
    let hosts: Vec<&str> = SELLER_CENTRAL.iter().map(|(h, _)| *h).collect();
    let vendor = if host.starts_with("vendorcentral.") {
        " (a Vendor Central host: Amazon uses those for private vendor applications; a seller app's consent page is on Seller Central)"
    } else {
        ""
    };
    format!(
        "a seller app's consent page is on the Seller Central host of the seller's marketplace ({}); {host} is none of them{vendor}: the backend builds authUrl from a wrong base URL (a typo, another setting), or something rewrote the answer. A seller sent there does not reach Amazon, and the OAuth state goes to whoever runs {host}",
        hosts.join(", ")
    )
}

fn missing_param_cause(param: &str) -> String {
    let why = match param {
        "application_id" => "without it Amazon does not know which app the seller is to authorize",
        "state" => "without it the callback cannot be matched with this tenant's request, and the flow loses its CSRF protection",
        _ => "Amazon's website authorization workflow needs it",
    };
    format!("authUrl has no {param}: {why}")
}

fn handler_action(check: &OAuthCheck) -> Action {
    Action::new(
        Priority::High,
        format!(
            "Check which backend version answers at {} and what its log says about this request",
            check.shown_url()
        ),
    )
    .with_command(LOGS)
}

fn build_url_action() -> Action {
    Action::new(
        Priority::High,
        format!("Make the backend build authUrl as Amazon documents it: <Seller Central URL>{CONSENT_PATH}?application_id=<app id>&state=<state>&redirect_uri=<https callback>"),
    )
}

fn redirect_action(check: &OAuthCheck) -> Action {
    Action::new(
        Priority::High,
        format!(
            "Make the backend send the https callback {} gives, and register it among the app's OAuth redirect URIs (Seller Central, Develop Apps, Edit App)",
            check.names.redirect_uri
        ),
    )
}

/// Masks any Amazon credential a backend may have echoed, wherever it ended up.
fn scrub(mut outcome: Outcome) -> Outcome {
    outcome.summary = mask_credentials(&outcome.summary);
    outcome.causes = outcome.causes.iter().map(|c| mask_credentials(c)).collect();
    for evidence in &mut outcome.evidence {
        evidence.output = mask_credentials(&evidence.output);
        evidence.command = evidence.command.as_deref().map(mask_credentials);
    }
    for action in &mut outcome.actions {
        action.text = mask_credentials(&action.text);
        action.command = action.command.as_deref().map(mask_credentials);
    }
    outcome
}

#[cfg(test)]
pub(super) mod fixtures {
    use super::super::client::Answer;
    use super::super::validate::tests::{now, APP_ID, REDIRECT};
    use super::super::{Names, OAuthCheck};
    use url::Url;

    pub fn check() -> OAuthCheck {
        OAuthCheck {
            url: Url::parse("https://backend-dev.example.com/api/v1/marketplaces/amazon/oauth/start").unwrap(),
            user_email: Some("seller@example.com".into()),
            tenant_id: Some("kbz-001".into()),
            app_id: Some(APP_ID.into()),
            redirect_uri: Some(REDIRECT.into()),
            cacert: None,
            names: Names::by_variable(&super::super::KIND),
        }
    }

    pub fn answer(status: u16, content_type: &str, body: &str) -> Answer {
        Answer {
            status,
            content_type: Some(content_type.into()),
            location: None,
            body: body.as_bytes().to_vec(),
            truncated: false,
            received_at: now(),
            certificate: None,
        }
    }

    pub fn json(status: u16, body: serde_json::Value) -> Answer {
        answer(status, "application/json; charset=utf-8", &body.to_string())
    }

    /// The sample check's diagnosis of `answer`.
    pub fn run(answer: Answer) -> super::Outcome {
        super::diagnose(&check(), &Ok(answer))
    }
}

#[cfg(test)]
mod tests {
    use super::super::validate::tests::{answer as start_body, auth_url, APP_ID};
    use super::fixtures::*;
    use super::*;
    use serde_json::json;

    #[test]
    fn ph15_success_is_ok_with_the_request_and_every_rule_shown() {
        let out = run(json(200, Value::Object(start_body(json!({})))));
        assert_eq!(out.status, Status::Ok, "{out:#?}");
        assert_eq!(
            out.summary,
            format!("Amazon consent URL on sellercentral.amazon.com (US) for {APP_ID}, state expires in 10m")
        );
        let request = out.evidence.iter().find(|e| e.label == "request").unwrap();
        assert_eq!(
            request.command.as_deref(),
            Some("curl -sS -X POST 'https://backend-dev.example.com/api/v1/marketplaces/amazon/oauth/start' -H 'Content-Type: application/json' -H 'Accept: application/json' -H 'X-User-Email: seller@example.com' -H 'X-Tenant-Id: kbz-001' -d '{}'")
        );
        assert!(request.output.starts_with("HTTP 200 OK, application/json; charset=utf-8, "), "{}", request.output);
        let lines = out.evidence_of("authUrl checks");
        assert!(lines.contains("✓ host sellercentral.amazon.com: Seller Central (US)"), "{lines}");
        assert!(lines.contains("✓ state: 75a623ee-2e14-4d76-85ea-70a02a5298bc (short-lived)"), "{lines}");
    }

    #[test]
    fn version_beta_warns_that_production_apps_drop_it() {
        let url = auth_url("sellercentral.amazon.com", "&version=beta");
        let out = run(json(200, Value::Object(start_body(json!({ "authUrl": url })))));
        assert_eq!(
            (out.status, out.summary.as_str()),
            (Status::Warn, "authUrl asks for a draft app's consent (version=beta)")
        );
        assert!(out.causes.join("\n").contains("a draft app; production apps drop version=beta"), "{out:#?}");
    }

    #[test]
    fn a_wrong_host_fails_and_lists_the_official_hosts() {
        let url = auth_url("sellercentral.evil.example", "");
        let out = run(json(200, Value::Object(start_body(json!({ "authUrl": url })))));
        assert_eq!(
            (out.status, out.summary.as_str()),
            (Status::Fail, "authUrl host sellercentral.evil.example is not a Seller Central host")
        );
        assert!(out.causes.join("\n").contains("sellercentral-europe.amazon.com"), "{out:#?}");
        assert!(out
            .evidence_of("authUrl checks")
            .contains("✗ host sellercentral.evil.example is not a Seller Central host"));
    }

    #[test]
    fn wrong_json_types_fail_without_a_panic() {
        let out = run(json(200, json!({ "success": "yes", "authUrl": 7, "state": [], "expiresAt": {} })));
        assert_eq!(
            (out.status, out.summary.as_str()),
            (Status::Fail, "the start answer's success is the string \"yes\", not true")
        );
        assert_eq!(out.causes.join("\n").lines().count(), 4, "{out:#?}");
        for body in ["[]", "\"ok\"", "null", "12"] {
            assert_eq!(run(answer(200, "application/json", body)).status, Status::Fail, "{body}");
        }
    }

    #[test]
    fn unsent_headers_are_named_in_the_evidence() {
        let mut c = check();
        c.tenant_id = None;
        let out = diagnose(&c, &Ok(json(200, Value::Object(start_body(json!({}))))));
        let request = out.evidence_of("request");
        assert!(request.ends_with("\nX-Tenant-Id was not sent (KBZ_OAUTH_TENANT_ID is not set)"), "{request}");
        assert!(!out.evidence[0].command.as_deref().unwrap().contains("X-Tenant-Id"));
    }

    #[test]
    fn echoed_credentials_never_reach_the_outcome() {
        let secret = "amzn1.oa2-cs.v1.5f2b9c0d1e3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e";
        let out = run(json(
            500,
            json!({ "error": "Failed to start Amazon OAuth", "details": format!("invalid_client {secret}") }),
        ));
        assert!(!format!("{out:?}").contains("5f2b9c0d1e3a"), "{out:#?}");
        assert!(out.evidence_of("error").contains("amzn1.oa2-cs.***#"), "{out:#?}");
    }

    #[test]
    fn request_failures_are_coded_unreachable() {
        let refused =
            diagnose(&check(), &Err(RequestError::Refused { endpoint: "backend-dev.example.com:443".into() }));
        assert!(refused.findings[0].code.is_in("oauth.unreachable"), "{refused:#?}");
        assert_eq!(
            refused.summary,
            "connection refused by backend-dev.example.com:443: nothing serves the start URL there"
        );
    }

    #[test]
    fn each_issue_of_a_start_answer_has_its_code() {
        let ago = std::time::Duration::from_secs(60);
        let text = || "x".to_string();
        for (issue, code, status) in [
            (
                Issue::Field { field: "success", expected: "true", found: text() },
                "oauth.answer.field_invalid",
                Status::Fail,
            ),
            (Issue::AuthUrlNotUrl { text: text(), error: text() }, "oauth.answer.auth_url_invalid", Status::Fail),
            (Issue::NotHttps { what: "authUrl", url: text() }, "oauth.answer.auth_url_not_https", Status::Fail),
            (
                Issue::NotHttps { what: "redirect_uri", url: text() },
                "oauth.answer.redirect_uri_not_https",
                Status::Fail,
            ),
            (Issue::NotSellerCentral { host: text() }, "oauth.answer.wrong_host", Status::Fail),
            (Issue::WrongPath { path: text() }, "oauth.answer.wrong_path", Status::Fail),
            (Issue::ParamMissing { param: "state" }, "oauth.answer.param_missing", Status::Fail),
            (Issue::ParamRepeated { param: "state" }, "oauth.answer.param_repeated", Status::Fail),
            (
                Issue::Mismatch { param: "application_id", found: text(), expected: text() },
                "oauth.answer.app_id_mismatch",
                Status::Fail,
            ),
            (
                Issue::Mismatch { param: "redirect_uri", found: text(), expected: text() },
                "oauth.answer.redirect_uri_mismatch",
                Status::Fail,
            ),
            (Issue::StateMismatch { in_url: text(), in_body: text() }, "oauth.answer.state_mismatch", Status::Fail),
            (Issue::RedirectMissing { configured: true }, "oauth.answer.redirect_uri_missing", Status::Fail),
            (Issue::RedirectMissing { configured: false }, "oauth.answer.redirect_uri_default", Status::Warn),
            (Issue::Draft, "oauth.answer.draft_app", Status::Warn),
            (Issue::UnknownVersion { value: text() }, "oauth.answer.unknown_version", Status::Warn),
            (Issue::Expired { at: text(), ago }, "oauth.answer.state_expired", Status::Fail),
            (Issue::ExpiresUnreadable { text: text() }, "oauth.answer.expires_unreadable", Status::Fail),
        ] {
            let mut found = Findings::default();
            issue_problem(&check(), &issue, &mut found);
            let out = found.into_outcome(String::new());
            assert_eq!(out.codes(), [code], "{issue:?}");
            assert_eq!(out.findings[0].status, status, "{issue:?}");
        }
    }

    #[test]
    fn start_answers_have_their_codes_the_failure_first() {
        assert!(run(json(200, Value::Object(start_body(json!({}))))).findings.is_empty(), "ok has no code");
        let draft = auth_url("sellercentral.amazon.com", "&version=beta");
        assert_eq!(
            run(json(200, Value::Object(start_body(json!({ "authUrl": draft }))))).codes(),
            ["oauth.answer.draft_app"]
        );
        let wrong = auth_url("sellercentral.evil.example", "&version=beta");
        let out = run(json(200, Value::Object(start_body(json!({ "authUrl": wrong })))));
        assert_eq!(out.codes(), ["oauth.answer.wrong_host", "oauth.answer.draft_app"]);
        assert_eq!(out.findings[0].summary, out.summary);
    }
}

#[cfg(test)]
mod properties {
    use super::super::validate::tests::{answer as start_body, auth_url, now, STATE};
    use super::fixtures::*;
    use super::*;
    use crate::test_strategies::{any_body, any_json, any_status, any_text, config};
    use proptest::prelude::*;
    use serde_json::json;

    /// Login with Amazon credentials as a backend may echo them: the client
    /// secret, the client id, a refresh or access token. The second part is
    /// what must never be shown.
    fn credential() -> impl Strategy<Value = (&'static str, String)> {
        (
            prop::sample::select(vec!["amzn1.oa2-cs.v1.", "amzn1.application-oa2-client.", "Atzr|IwEB", "Atza|IwEB"]),
            "[0-9a-f]{32,64}",
        )
    }

    /// An answer carrying `secret` in one of the places a backend or a
    /// proxy could put it, after `padding` that moves it across the cuts
    /// of the excerpts.
    fn answer_echoing(secret: &str, place: u8, padding: &str) -> Answer {
        let padded = format!("{padding}{secret}");
        match place % 9 {
            0 => json(
                500,
                json!({ "error": "Failed to start Amazon OAuth", "details": format!("invalid_client {padded}") }),
            ),
            1 => json(400, json!({ "error": padded })),
            2 => json(500, json!({ "error": "x", "details": { "client_secret": padded } })),
            3 => json(500, json!({ "message": padded })),
            4 => json(200, Value::Object(start_body(json!({ "state": padded })))),
            5 => {
                let encoded: String = url::form_urlencoded::byte_serialize(padded.as_bytes()).collect();
                let url = auth_url("sellercentral.amazon.com", &format!("&client_secret={encoded}"));
                json(200, Value::Object(start_body(json!({ "authUrl": url }))))
            }
            6 => {
                let url = auth_url("sellercentral.amazon.com", "").replace(STATE, &padded);
                json(200, Value::Object(start_body(json!({ "authUrl": url }))))
            }
            7 => answer(502, "text/html", &format!("<html><head><title>{padded}</title></head></html>")),
            _ => {
                let mut redirected = answer(302, "text/html", "");
                redirected.location = Some(format!("https://login.example/?{padded}"));
                redirected
            }
        }
    }

    proptest! {
        #![proptest_config(config())]

        /// Any answer: an outcome with a summary, never a panic; ok only
        /// for a 2xx JSON object that says success.
        #[test]
        fn any_answer_gives_an_outcome(
            status in any_status(),
            body in any_body(),
            content_type in proptest::option::of(any_text()),
            location in proptest::option::of(any_text()),
            truncated in any::<bool>(),
        ) {
            let received_at = now();
            let sent = Answer { status, content_type, location, body, truncated, received_at, certificate: None };
            let out = run(sent.clone());
            prop_assert!(!out.summary.is_empty(), "{:#?}", out);
            if out.status == Status::Ok {
                let body: Option<Value> = serde_json::from_slice(&sent.body).ok();
                prop_assert!((200..300).contains(&status), "{:#?}", out);
                prop_assert_eq!(body.as_ref().and_then(|b| b.get("success")), Some(&Value::Bool(true)));
            }
        }

        /// An error answer's `error` and `details`, whatever their JSON
        /// types, are shown under their names, and the check fails.
        #[test]
        fn error_fields_of_any_type_are_shown(status in 400u16..600, error in any_json(), details in any_json()) {
            let out = run(json(status, json!({ "error": error, "details": details })));
            prop_assert_eq!(out.status, Status::Fail);
            let shown = out.evidence.iter().find(|e| e.label == "error").map(|e| e.output.clone()).unwrap_or_default();
            prop_assert!(shown.starts_with("error: ") && shown.contains("\ndetails: "), "{}", shown);
        }

        /// An echoed credential is masked wherever it lands: no eight
        /// characters of its secret part reach the outcome.
        #[test]
        fn an_echoed_credential_never_comes_out(
            (prefix, secret_part) in credential(),
            place in any::<u8>(),
            padding in "[ a-z]{0,420}",
        ) {
            let secret = format!("{prefix}{secret_part}");
            let out = run(answer_echoing(&secret, place, &padding));
            let shown = format!("{out:?}");
            for window in secret_part.as_bytes().windows(8) {
                let window = std::str::from_utf8(window).unwrap();
                prop_assert!(!shown.contains(window), "{} leaked: {:#?}", window, out);
            }
        }
    }
}
