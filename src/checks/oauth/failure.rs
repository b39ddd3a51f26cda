//! Answers that are not a start: the backend's `{"error", "details"}` with
//! its known signatures (`client_id not configured`, `fetch failed`, PH15),
//! a proxy's HTML page, a redirect, JSON of another shape. Pure.

use super::client::Answer;
use super::codes::*;
use super::diagnose::{request_command_with, unsent_headers, Findings, LOGS};
use super::text::{escaped_excerpt, field_text, html_title, looks_like_html};
use super::OAuthCheck;
use crate::report::{Action, Priority, Remedy};
use serde_json::{Map, Value};

/// What a known `details` says is missing or failing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Known {
    /// `Amazon SP-API client_id not configured` (PH15, first).
    ClientIdMissing,
    /// Another SP-API setting the backend says it lacks, by its variable.
    SettingMissing(&'static str),
    /// `fetch failed`: Node's fetch() got no answer from an upstream (PH15, second).
    FetchFailed,
    Other,
}

/// Reads `details` (or `error`) for a known signature.
pub fn known(text: &str) -> Known {
    let text = text.to_ascii_lowercase();
    let missing = ["not configured", "not set", "missing"].iter().any(|w| text.contains(w));
    let setting = [
        ("client_secret", "AMAZON_SPAPI_CLIENT_SECRET"),
        ("client_id", "AMAZON_SPAPI_CLIENT_ID"),
        ("application_id", "AMAZON_SPAPI_APP_ID"),
        ("app_id", "AMAZON_SPAPI_APP_ID"),
        ("redirect_uri", "AMAZON_SPAPI_REDIRECT_URI"),
    ]
    .into_iter()
    .find(|(word, _)| text.contains(word));
    match setting {
        Some((_, "AMAZON_SPAPI_CLIENT_ID")) if missing => Known::ClientIdMissing,
        Some((_, variable)) if missing => Known::SettingMissing(variable),
        _ if text.contains("fetch failed") => Known::FetchFailed,
        _ => Known::Other,
    }
}

/// Node's network error codes a `details` may carry after `fetch failed`.
fn network_code(text: &str) -> Option<(&'static str, &'static str)> {
    [
        ("ECONNREFUSED", "the upstream refused the connection: nothing listens there"),
        ("UND_ERR_CONNECT_TIMEOUT", "the connection got no answer: the network path is blocked"),
        ("ETIMEDOUT", "the connection got no answer: the network path is blocked"),
        ("EHOSTUNREACH", "no route to the upstream"),
        ("ENETUNREACH", "no route to the upstream's network"),
        ("ENOTFOUND", "the upstream's name does not resolve from the pod"),
        ("EAI_AGAIN", "the upstream's name could not be resolved (DNS unavailable)"),
        ("ECONNRESET", "the upstream closed the connection"),
        ("CERT_", "the upstream's TLS certificate was refused"),
        ("SELF_SIGNED", "the upstream's TLS certificate was refused"),
        ("UNABLE_TO_VERIFY", "the upstream's TLS certificate was refused"),
    ]
    .into_iter()
    .find(|(code, _)| text.contains(code))
}

/// The PH15 section 1 fix: the SP-API credentials as a Kubernetes secret
/// (values masked: they come from Seller Central), imported as env vars.
pub fn credentials_secret_command(check: &OAuthCheck) -> String {
    let app_id = check.app_id.as_deref().unwrap_or("amzn1.sp.solution.***");
    let redirect =
        check.redirect_uri.as_deref().unwrap_or("https://<backend-host>/api/v1/marketplaces/amazon/oauth/callback");
    format!(
        "kubectl -n <namespace> create secret generic amazon-spapi-creds \\\n  --from-literal=AMAZON_SPAPI_CLIENT_ID=amzn1.application-oa2-client.*** \\\n  --from-literal=AMAZON_SPAPI_CLIENT_SECRET=amzn1.oa2-cs.v1.*** \\\n  --from-literal=AMAZON_SPAPI_APP_ID={app_id} \\\n  --from-literal=AMAZON_SPAPI_REDIRECT_URI={redirect}\nkubectl -n <namespace> set env deployment/<backend> --from=secret/amazon-spapi-creds"
    )
}

const RUN_WITH_VAULT: &str = "kbz-check -e <backend env file> run vault oauth";

pub fn error_answer(check: &OAuthCheck, answer: &Answer, body: &Map<String, Value>, found: &mut Findings) {
    let error = body.get("error").map(field_text);
    let details = body.get("details").map(field_text);
    let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".to_string());
    found.evidence("error", None, format!("error: {}\ndetails: {}", shown(&error), shown(&details)));
    let said = match (&error, &details) {
        (Some(e), Some(d)) => format!("HTTP {}: error \"{e}\", details \"{d}\"", answer.status),
        (Some(e), None) => format!("HTTP {}: error \"{e}\"", answer.status),
        (None, d) => format!("HTTP {}: details \"{}\"", answer.status, shown(d)),
    };
    let signature = details.as_deref().or(error.as_deref()).unwrap_or_default();
    match known(signature) {
        Known::ClientIdMissing => client_id_missing(check, &said, signature, found),
        Known::SettingMissing(variable) => setting_missing(check, &said, variable, found),
        Known::FetchFailed => fetch_failed(check, &said, signature, found),
        Known::Other => other_error(check, answer, &said, error.as_deref().or(details.as_deref()), found),
    }
}

fn client_id_missing(check: &OAuthCheck, said: &str, details: &str, found: &mut Findings) {
    found.fail(
        CLIENT_ID_MISSING,
        format!("the backend lacks its SP-API client id: \"{details}\""),
        format!(
            "{said}: the backend has no AMAZON_SPAPI_CLIENT_ID (the Login with Amazon client id of the SP-API app), so it cannot start the OAuth flow for any tenant. It reads the credentials from its environment, or from Vault when it is set up to, and neither gave it one. A backend deployed without its SP-API credentials answers exactly this"
        ),
        vec![inject_credentials(check), vault_source_action()],
    );
}

fn setting_missing(check: &OAuthCheck, said: &str, variable: &str, found: &mut Findings) {
    found.fail(
        SETTING_MISSING,
        format!("the backend lacks {variable}"),
        format!("{said}: the backend has no {variable}, one of the SP-API settings it needs to start the OAuth flow"),
        vec![inject_credentials(check), vault_source_action()],
    );
}

fn inject_credentials(check: &OAuthCheck) -> Action {
    Action::new(
        Priority::High,
        "Give the backend its SP-API credentials as environment variables from a Kubernetes secret (values from Seller Central, Develop Apps, LWA credentials; the deployment rolls out with them)",
    )
    .with_command(credentials_secret_command(check))
    .remedy(Remedy::InjectSpApiCredentials)
}

fn vault_source_action() -> Action {
    Action::new(
        Priority::Medium,
        "If the backend reads these credentials from Vault instead, check that Vault holds them and answers from where the backend runs: run the vault check with the backend's VAULT_ADDR",
    )
    .with_command(RUN_WITH_VAULT)
}

fn fetch_failed(check: &OAuthCheck, said: &str, details: &str, found: &mut Findings) {
    let code =
        network_code(details).map_or(String::new(), |(code, meaning)| format!(". The details name {code}: {meaning}"));
    found.fail(
        UPSTREAM_FETCH_FAILED,
        "the backend could not reach one of its upstreams (\"fetch failed\")".to_string(),
        format!(
            "{said}: the backend got this request, but its own outgoing request got no HTTP answer (\"fetch failed\" is what Node.js's fetch() throws when a connection is refused or times out, a name does not resolve, or TLS is refused). The upstream is Vault (where the backend may read its SP-API credentials) or Amazon; from outside which one cannot be seen, and a vault check in the same run, with the backend's VAULT_ADDR, tells whether Vault answers. A backend pod whose VAULT_ADDR is on a network its cluster cannot reach answers exactly this{code}"
        ),
        vec![
            Action::new(Priority::High, "Run the vault check with the backend's own settings, in the same run as this one")
                .with_command(RUN_WITH_VAULT),
            Action::new(
                Priority::High,
                "See from inside the pod which upstream fails: fetch's error cause names it, and the backend's log has it",
            )
            .with_command(
                "kubectl -n <namespace> exec deploy/<backend> -- node -e 'fetch(process.env.VAULT_ADDR + \"/v1/sys/health\").then(r => console.log(r.status), e => console.log(e.cause ?? e))'\nkubectl -n <namespace> logs deploy/<backend> --since=10m | grep -i -B2 -A8 'fetch failed'",
            ),
            Action::new(
                Priority::Medium,
                "If Vault cannot be reached from the cluster: inject the SP-API credentials as environment variables and drop the Vault settings, or make Vault reachable from the cluster (an ingress, the Vault Agent Injector, or the External Secrets Operator)",
            )
            .with_command(format!(
                "{}\nkubectl -n <namespace> set env deployment/<backend> VAULT_ADDR- VAULT_TOKEN-",
                credentials_secret_command(check)
            ))
            .remedy(Remedy::InjectSpApiCredentials),
        ],
    );
}

fn other_error(check: &OAuthCheck, answer: &Answer, said: &str, error: Option<&str>, found: &mut Findings) {
    let first = error.unwrap_or("(no error text)");
    found.fail(
        BACKEND_ERROR,
        format!("the backend refused to start the OAuth flow: HTTP {}, \"{first}\"", answer.status),
        format!(
            "{said}: not a signature kbz-check knows (it knows client_id not configured and fetch failed){}; the backend's log holds the cause",
            status_hint(check, answer.status)
        ),
        vec![logs_action()],
    );
}

/// What a status says on its own, for answers without a known signature.
fn status_hint(check: &OAuthCheck, status: u16) -> String {
    let unsent = unsent_headers(check).map_or(String::new(), |u| format!("; {u}"));
    match status {
        400 | 422 => format!(". HTTP {status}: the backend found the request invalid{unsent}"),
        401 | 403 => format!(
            ". HTTP {status}: the route wants an authentication this check does not send (a session, a token), or refuses this user or tenant{unsent}"
        ),
        404 => format!(". HTTP 404: no such route; check the path in {}", check.names.url),
        405 => format!(". HTTP 405: the route exists but does not take POST; check the path in {}", check.names.url),
        _ => unsent,
    }
}

fn logs_action() -> Action {
    Action::new(Priority::High, "Read the backend's log for this request").with_command(LOGS)
}

/// The first bytes of a body, for a cause (the evidence holds more).
fn first_bytes(answer: &Answer) -> String {
    escaped_excerpt(&answer.body, 80)
}

pub fn not_json(check: &OAuthCheck, answer: &Answer, found: &mut Findings) {
    let status = answer.status;
    let html = looks_like_html(answer.content_type.as_deref(), &answer.body);
    let title = html_title(&answer.body);
    let what = match (&title, html) {
        (Some(title), _) => format!("an HTML page titled \"{title}\""),
        (None, true) => "an HTML page".to_string(),
        (None, false) => "a body that is not JSON".to_string(),
    };
    let cut = if answer.truncated { " (the body was larger than 1 MiB and was cut)" } else { "" };
    let start = format!("its first bytes: {}{cut}", first_bytes(answer));
    match status {
        502..=504 => found.fail(
            PROXY_ERROR_PAGE,
            format!("HTTP {status} from a proxy, not the backend: {what}"),
            format!(
                "the answer is {what} ({start}), not the backend's JSON: the reverse proxy or ingress in front of the backend answered {status} because it got no valid answer from the backend. The backend's pods are down, restarting or not ready, its service has no endpoints, or the proxy cannot reach them"
            ),
            vec![Action::new(Priority::High, "Check the backend's pods and the endpoints of its service behind the proxy")
                .with_command("kubectl -n <namespace> get deploy,pods,endpoints\nkubectl -n <namespace> logs deploy/<backend> --tail=50")],
        ),
        200..=299 => found.fail(
            NOT_THE_BACKEND,
            format!("HTTP {status} with {what} instead of the backend's JSON"),
            format!(
                "the answer is {what} ({start}): the URL reaches something other than the backend's start route, typically a web front end that answers every path with its own page"
            ),
            vec![Action::new(
                Priority::High,
                format!("Point {} at the backend's route (e.g. https://<backend-host>/api/v1/marketplaces/amazon/oauth/start), not at the web app", check.names.url),
            )],
        ),
        _ => found.fail(
            NOT_JSON,
            format!("HTTP {status} with {what} instead of the backend's JSON"),
            format!("the answer is {what} ({start}), not the backend's JSON error{}", status_hint(check, status)),
            vec![Action::new(Priority::High, format!("Check what answers at {}", check.shown_url()))
                .with_command(request_command_with(check, " -i"))],
        ),
    }
}

pub fn redirect(check: &OAuthCheck, answer: &Answer, found: &mut Findings) {
    let status = answer.status;
    let location = answer.location.as_deref().map(|l| escaped_excerpt(l.as_bytes(), 200));
    let to = location.as_deref().unwrap_or("(no Location header)");
    let lower = to.to_ascii_lowercase();
    let hint = if ["login", "signin", "sign_in", "oauth2/start", "sso", "auth"].iter().any(|w| lower.contains(w)) {
        "a login page: an authentication proxy in front of the backend sends requests without a session to its login"
            .to_string()
    } else if check.url.scheme() == "http" && lower.starts_with("https://") {
        format!("the server sends http to https: use https:// in {}", check.names.url)
    } else {
        format!("{} is not the final route", check.names.url)
    };
    found.fail(
        REDIRECTED,
        format!("HTTP {status}: the start URL redirects to {to}"),
        format!(
            "the start endpoint answered a redirect instead of JSON, to {to}: {hint}. kbz-check does not follow it (a browser's fetch would, turning the POST into a GET or leaving the backend)"
        ),
        vec![Action::new(
            Priority::High,
            format!("Set {} to the URL the backend really serves, or exempt this route from the proxy's login", check.names.url),
        )
        .with_command(request_command_with(check, " -i"))],
    );
}

pub fn unexpected_json(check: &OAuthCheck, answer: &Answer, value: &Value, found: &mut Findings) {
    let status = answer.status;
    let shape = match value {
        Value::Object(_) => "a JSON object without success, error or details",
        Value::Array(_) => "a JSON array",
        Value::String(_) => "a JSON string",
        Value::Number(_) => "a JSON number",
        Value::Bool(_) => "a JSON boolean",
        Value::Null => "JSON null",
    };
    found.fail(
        UNEXPECTED_JSON,
        format!("HTTP {status} with {shape}, not a start answer"),
        format!(
            "the answer is {shape} ({}): neither a start (success, authUrl, state, expiresAt) nor an error (error, details){}",
            first_bytes(answer),
            status_hint(check, status)
        ),
        vec![logs_action()],
    );
}

#[cfg(test)]
mod tests {
    use super::super::diagnose::fixtures::*;
    use super::*;
    use crate::report::{Outcome, Status};
    use serde_json::json;

    const START_ERROR: &str = "Failed to start Amazon OAuth";

    #[test]
    fn known_signatures() {
        assert_eq!(known("Amazon SP-API client_id not configured"), Known::ClientIdMissing);
        assert_eq!(known("AMAZON SP-API CLIENT_ID NOT CONFIGURED"), Known::ClientIdMissing);
        assert_eq!(known("client_secret missing"), Known::SettingMissing("AMAZON_SPAPI_CLIENT_SECRET"));
        assert_eq!(known("redirect_uri not set"), Known::SettingMissing("AMAZON_SPAPI_REDIRECT_URI"));
        assert_eq!(known("fetch failed"), Known::FetchFailed);
        assert_eq!(known("TypeError: fetch failed (ECONNREFUSED)"), Known::FetchFailed);
        assert_eq!(known("invalid client_id"), Known::Other);
        assert_eq!(known(""), Known::Other);
    }

    #[test]
    fn client_id_not_configured_names_the_variable_and_the_ph15_secret() {
        let out = run(json(500, json!({ "error": START_ERROR, "details": "Amazon SP-API client_id not configured" })));
        assert_eq!(out.status, Status::Fail);
        assert_eq!(out.summary, "the backend lacks its SP-API client id: \"Amazon SP-API client_id not configured\"");
        assert!(out.causes.join("\n").contains("no AMAZON_SPAPI_CLIENT_ID"), "{out:#?}");
        let command = out.actions[0].command.as_deref().unwrap();
        assert!(command.starts_with("kubectl -n <namespace> create secret generic amazon-spapi-creds"), "{command}");
        assert!(command.contains("AMAZON_SPAPI_CLIENT_SECRET=amzn1.oa2-cs.v1.***"), "{command}");
        assert_eq!(code(&out), "oauth.client_id_missing");
        let error = &out.evidence.iter().find(|e| e.label == "error").unwrap().output;
        assert_eq!(error, "error: Failed to start Amazon OAuth\ndetails: Amazon SP-API client_id not configured");
    }

    #[test]
    fn fetch_failed_points_at_the_upstreams_and_the_vault_check() {
        let out = run(json(500, json!({ "error": START_ERROR, "details": "fetch failed" })));
        assert_eq!(out.summary, "the backend could not reach one of its upstreams (\"fetch failed\")");
        let cause = out.causes.join("\n");
        assert!(cause.contains("Vault") && cause.contains("a vault check in the same run"), "{cause}");
        assert_eq!(code(&out), "oauth.upstream_fetch_failed");
        assert_eq!(out.actions[0].command.as_deref(), Some("kbz-check -e <backend env file> run vault oauth"));
        let coded = run(json(
            500,
            json!({ "error": START_ERROR, "details": "fetch failed: connect ETIMEDOUT 10.0.0.150:8200" }),
        ));
        assert!(coded
            .causes
            .join("\n")
            .ends_with("The details name ETIMEDOUT: the connection got no answer: the network path is blocked"));
    }

    #[test]
    fn other_errors_are_shown_with_a_hint_from_the_status() {
        let out = run(json(403, json!({ "error": "Forbidden" })));
        assert_eq!(out.summary, "the backend refused to start the OAuth flow: HTTP 403, \"Forbidden\"");
        assert!(out.causes.join("\n").contains("wants an authentication"), "{out:#?}");
        assert_eq!(code(&out), "oauth.backend_error");
    }

    #[test]
    fn a_proxy_502_page_is_named_with_its_first_bytes() {
        let page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body><center><h1>502 Bad Gateway</h1></center></body></html>";
        let out = run(answer(502, "text/html", page));
        assert_eq!(out.summary, "HTTP 502 from a proxy, not the backend: an HTML page titled \"502 Bad Gateway\"");
        assert!(
            out.causes.join("\n").contains("its first bytes: <html>\\r\\n<head><title>502 Bad Gateway</title>"),
            "{out:#?}"
        );
    }

    #[test]
    fn an_html_200_is_a_web_front_end() {
        let out = run(answer(200, "text/html", "<!DOCTYPE html><html><head><title>KeyBuzz</title>"));
        assert_eq!(out.summary, "HTTP 200 with an HTML page titled \"KeyBuzz\" instead of the backend's JSON");
        assert!(out.actions[0].text.starts_with("Point KBZ_OAUTH_START_URL at the backend's route"));
    }

    #[test]
    fn a_body_cut_at_the_cap_is_not_json_and_says_so() {
        let mut cut = answer(200, "application/json", "{\"success\": true, \"authUrl\": \"https://sell");
        cut.truncated = true;
        let out = run(cut);
        assert_eq!(out.summary, "HTTP 200 with a body that is not JSON instead of the backend's JSON");
        assert!(out.causes.join("\n").contains("(the body was larger than 1 MiB and was cut)"), "{out:#?}");
        let request = &out.evidence[0].output;
        assert!(request.starts_with("HTTP 200 OK, application/json, 42 bytes (cut at 1 MiB)"), "{request}");
        let odd = run(answer(599, "text/plain", "?"));
        assert!(odd.evidence[0].output.starts_with("HTTP 599, text/plain, 1 bytes"), "{odd:#?}");
    }

    #[test]
    fn a_redirect_is_reported_not_followed() {
        let mut redirected = answer(302, "text/html", "");
        redirected.location = Some("https://auth.example.com/oauth2/start?rd=/api".into());
        let out = run(redirected);
        assert_eq!(out.summary, "HTTP 302: the start URL redirects to https://auth.example.com/oauth2/start?rd=/api");
        assert!(out.causes.join("\n").contains("authentication proxy"), "{out:#?}");
    }

    #[test]
    fn json_of_another_shape_is_said_so() {
        let out = run(json(500, json!({ "message": "boom" })));
        assert_eq!(out.summary, "HTTP 500 with a JSON object without success, error or details, not a start answer");
        let out = run(json(200, json!(["a"])));
        assert_eq!(out.summary, "HTTP 200 with a JSON array, not a start answer");
    }

    fn code(outcome: &Outcome) -> &'static str {
        assert_eq!(outcome.findings.len(), 1, "{outcome:#?}");
        outcome.findings[0].code.as_str()
    }

    #[test]
    fn ph15_answers_have_their_codes() {
        let out = run(json(500, json!({ "error": START_ERROR, "details": "fetch failed" })));
        assert_eq!(code(&out), "oauth.upstream_fetch_failed");
        let out = run(json(500, json!({ "error": START_ERROR, "details": "Amazon SP-API client_id not configured" })));
        assert_eq!(code(&out), "oauth.client_id_missing");
        let out = run(json(500, json!({ "error": START_ERROR, "details": "client_secret missing" })));
        assert_eq!(code(&out), "oauth.setting_missing");
        assert_eq!(code(&run(json(500, json!({ "error": START_ERROR, "details": "boom" })))), "oauth.backend_error");
    }

    #[test]
    fn answers_that_are_not_the_backends_have_their_codes() {
        let page = "<html><head><title>502 Bad Gateway</title></head></html>";
        assert_eq!(code(&run(answer(502, "text/html", page))), "oauth.proxy_error_page");
        assert_eq!(code(&run(answer(200, "text/html", "<html><title>App</title></html>"))), "oauth.not_the_backend");
        assert_eq!(code(&run(answer(404, "text/plain", "Not Found"))), "oauth.not_json");
        let mut moved = answer(302, "text/html", "");
        moved.location = Some("https://sso.example.com/login".into());
        assert_eq!(code(&run(moved)), "oauth.redirected");
        assert_eq!(code(&run(json(200, json!([1, 2])))), "oauth.unexpected_json");
        assert_eq!(code(&run(json(500, json!({ "message": "nope" })))), "oauth.unexpected_json");
    }
}
