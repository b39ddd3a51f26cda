//! The rules a successful start answer must follow (PH15 section 2, and
//! Amazon's website authorization workflow): `success: true`, a `state`, an
//! `expiresAt` ahead, and an `authUrl` that is Amazon's consent page on a
//! Seller Central host, for the configured app, carrying the same state and
//! an https callback. Each rule gives one evidence line; a broken rule also
//! gives an [`Issue`]. Pure: any JSON, any URL, never a panic.

use super::text::{escaped_excerpt, rough};
use serde_json::{Map, Value};
use std::time::{Duration, SystemTime};
use url::Url;

/// Amazon's consent page, under every Seller Central host.
pub const CONSENT_PATH: &str = "/apps/authorize/consent";

/// The Seller Central hosts a seller's consent page lives on, by marketplace:
/// Amazon SP-API documentation, "Seller Central URLs"
/// (developer-docs.amazon.com/sp-api/docs/seller-central-urls; the archived
/// amzn/selling-partner-api-docs developer guide has the same table before
/// Ireland, Belgium, South Africa, Egypt and Saudi Arabia were added). The UK,
/// Germany, France, Italy and Spain share sellercentral-europe.amazon.com.
/// Vendor Central hosts are left out: Amazon uses them for private vendor
/// applications only, and this flow authorizes a seller application.
pub const SELLER_CENTRAL: &[(&str, &str)] = &[
    ("sellercentral.amazon.com", "US"),
    ("sellercentral.amazon.ca", "Canada"),
    ("sellercentral.amazon.com.mx", "Mexico"),
    ("sellercentral.amazon.com.br", "Brazil"),
    ("sellercentral.amazon.ie", "Ireland"),
    ("sellercentral-europe.amazon.com", "UK, Germany, France, Italy, Spain"),
    ("sellercentral.amazon.com.be", "Belgium"),
    ("sellercentral.amazon.nl", "Netherlands"),
    ("sellercentral.amazon.se", "Sweden"),
    ("sellercentral.amazon.co.za", "South Africa"),
    ("sellercentral.amazon.pl", "Poland"),
    ("sellercentral.amazon.eg", "Egypt"),
    ("sellercentral.amazon.com.tr", "Turkey"),
    ("sellercentral.amazon.sa", "Saudi Arabia"),
    ("sellercentral.amazon.ae", "United Arab Emirates"),
    ("sellercentral.amazon.in", "India"),
    ("sellercentral.amazon.sg", "Singapore"),
    ("sellercentral.amazon.com.au", "Australia"),
    ("sellercentral.amazon.co.jp", "Japan"),
];

/// The marketplaces served by a Seller Central host, if it is one.
pub fn seller_central(host: &str) -> Option<&'static str> {
    SELLER_CENTRAL.iter().find(|(h, _)| *h == host).map(|(_, marketplaces)| *marketplaces)
}

/// What the configuration says the consent URL must carry.
pub struct Expected<'a> {
    pub app_id: Option<&'a str>,
    pub app_id_name: &'a str,
    pub redirect_uri: Option<&'a str>,
    pub redirect_uri_name: &'a str,
}

/// A broken rule, with what was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Issue {
    /// A field of the answer is missing, of another type, or has another value.
    Field {
        field: &'static str,
        expected: &'static str,
        found: String,
    },
    AuthUrlNotUrl {
        text: String,
        error: String,
    },
    /// `what` is `authUrl` or `redirect_uri`.
    NotHttps {
        what: &'static str,
        url: String,
    },
    NotSellerCentral {
        host: String,
    },
    WrongPath {
        path: String,
    },
    ParamMissing {
        param: &'static str,
    },
    ParamRepeated {
        param: &'static str,
    },
    /// `application_id` or `redirect_uri` differs from the configured value.
    Mismatch {
        param: &'static str,
        found: String,
        expected: String,
    },
    StateMismatch {
        in_url: String,
        in_body: String,
    },
    /// No `redirect_uri`: Amazon then uses the app's default one.
    RedirectMissing {
        configured: bool,
    },
    /// `version=beta`: the consent page of an app in draft status.
    Draft,
    UnknownVersion {
        value: String,
    },
    Expired {
        at: String,
        ago: Duration,
    },
    ExpiresUnreadable {
        text: String,
    },
}

impl Issue {
    /// A warning rather than a failure: the flow works, with a caveat.
    pub fn is_warning(&self) -> bool {
        matches!(self, Issue::Draft | Issue::UnknownVersion { .. } | Issue::RedirectMissing { configured: false })
    }
}

/// What the consent URL leads to, for the summary line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Consent {
    pub host: Option<String>,
    pub marketplaces: Option<&'static str>,
    pub application_id: Option<String>,
    pub expires_in: Option<Duration>,
}

/// Every rule's line (`✓ ...`, `⚠ ...`, `✗ ...`), the broken ones, and the consent facts.
#[derive(Debug, Default)]
pub struct Checked {
    pub lines: Vec<String>,
    pub issues: Vec<Issue>,
    pub consent: Consent,
}

impl Checked {
    fn pass(&mut self, line: String) {
        self.lines.push(format!("✓ {line}"));
    }

    fn broken(&mut self, line: String, issue: Issue) {
        let mark = if issue.is_warning() { "⚠" } else { "✗" };
        self.lines.push(format!("{mark} {line}"));
        self.issues.push(issue);
    }
}

/// Checks a 200 answer's JSON object; `now` is when it arrived.
pub fn check_start(body: &Map<String, Value>, expected: &Expected, now: SystemTime) -> Checked {
    let mut checked = Checked::default();
    success_rule(body, &mut checked);
    let state = state_rule(body, &mut checked);
    checked.consent.expires_in = expires_rule(body, now, &mut checked);
    if let Some(url) = auth_url_rule(body, &mut checked) {
        scheme_rule(&url, &mut checked);
        host_rule(&url, &mut checked);
        path_rule(&url, &mut checked);
        let params: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        app_id_rule(&params, expected, &mut checked);
        state_param_rule(&params, state.as_deref(), &mut checked);
        redirect_rule(&params, expected, &mut checked);
        version_rule(&params, &mut checked);
    }
    checked
}

/// A value from the answer as it may be shown: escaped and cut.
fn shown(text: &str) -> String {
    escaped_excerpt(text.as_bytes(), 200)
}

/// What a field holds, in words: `missing`, `false`, `the string "yes"`, `the number 1`...
fn describe(value: Option<&Value>) -> String {
    match value {
        None => "missing".to_string(),
        Some(Value::Null) => "null".to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => format!("the number {n}"),
        Some(Value::String(s)) if s.trim().is_empty() => "an empty string".to_string(),
        Some(Value::String(s)) => format!("the string \"{}\"", shown(s)),
        Some(Value::Array(_)) => "an array".to_string(),
        Some(Value::Object(_)) => "an object".to_string(),
    }
}

fn success_rule(body: &Map<String, Value>, checked: &mut Checked) {
    match body.get("success") {
        Some(Value::Bool(true)) => checked.pass("success: true".to_string()),
        other => {
            let found = describe(other);
            checked.broken(
                format!("success is {found}, not true"),
                Issue::Field { field: "success", expected: "true", found },
            )
        }
    }
}

/// The answer's `state`, when it is a non-empty string.
fn state_rule(body: &Map<String, Value>, checked: &mut Checked) -> Option<String> {
    match body.get("state") {
        Some(Value::String(state)) if !state.trim().is_empty() => {
            checked.pass(format!("state: {} (short-lived)", shown(state)));
            Some(state.clone())
        }
        other => {
            let found = describe(other);
            let issue = Issue::Field { field: "state", expected: "a non-empty string", found: found.clone() };
            checked.broken(format!("state is {found}, not a non-empty string"), issue);
            None
        }
    }
}

/// How long until `expiresAt`, when it is ahead.
fn expires_rule(body: &Map<String, Value>, now: SystemTime, checked: &mut Checked) -> Option<Duration> {
    let text = match body.get("expiresAt") {
        Some(Value::String(text)) => text,
        other => {
            let found = describe(other);
            let expected = "an RFC 3339 time such as 2026-01-08T09:29:21.707Z";
            checked.broken(
                format!("expiresAt is {found}, not {expected}"),
                Issue::Field { field: "expiresAt", expected, found },
            );
            return None;
        }
    };
    let Some(at) = parse_expires_at(text) else {
        let issue = Issue::ExpiresUnreadable { text: shown(text) };
        checked.broken(format!("expiresAt \"{}\" is not an RFC 3339 time", shown(text)), issue);
        return None;
    };
    match at.duration_since(now) {
        Ok(ahead) if !ahead.is_zero() => {
            checked.pass(format!("expiresAt {}: in {}", shown(text), rough(ahead)));
            Some(ahead)
        }
        _ => {
            let ago = now.duration_since(at).unwrap_or_default();
            checked.broken(
                format!("expiresAt {} is past: {} ago", shown(text), rough(ago)),
                Issue::Expired { at: shown(text), ago },
            );
            None
        }
    }
}

/// An RFC 3339 time: UTC (`Z`, `+00:00`) as JavaScript's `toISOString()`
/// writes it, or with another offset, which is applied. The zone must be
/// written: a bare local time is refused (see [`crate::time::parse_rfc3339`]).
pub fn parse_expires_at(text: &str) -> Option<SystemTime> {
    crate::time::parse_rfc3339(text.trim())
}

fn auth_url_rule(body: &Map<String, Value>, checked: &mut Checked) -> Option<Url> {
    let text = match body.get("authUrl") {
        Some(Value::String(text)) if !text.trim().is_empty() => text,
        other => {
            let found = describe(other);
            let issue = Issue::Field { field: "authUrl", expected: "a URL", found: found.clone() };
            checked.broken(format!("authUrl is {found}, not a URL"), issue);
            return None;
        }
    };
    match Url::parse(text.trim()) {
        Ok(url) => Some(url),
        Err(error) => {
            let issue = Issue::AuthUrlNotUrl { text: shown(text), error: error.to_string() };
            checked.broken(format!("authUrl \"{}\" is not a URL ({error})", shown(text)), issue);
            None
        }
    }
}

fn scheme_rule(url: &Url, checked: &mut Checked) {
    if url.scheme() == "https" {
        checked.pass("authUrl is https".to_string());
    } else {
        let issue = Issue::NotHttps { what: "authUrl", url: shown(url.as_str()) };
        checked.broken(format!("authUrl is {}://, not https://", url.scheme()), issue);
    }
}

fn host_rule(url: &Url, checked: &mut Checked) {
    let host = url.host_str().unwrap_or_default();
    // A port or a user name makes it another address than the Seller Central page.
    let plain = url.port().is_none() && url.username().is_empty() && url.password().is_none();
    let shown_host = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    };
    match seller_central(host).filter(|_| plain) {
        Some(marketplaces) => {
            checked.pass(format!("host {host}: Seller Central ({marketplaces})"));
            checked.consent.host = Some(host.to_string());
            checked.consent.marketplaces = Some(marketplaces);
        }
        None => {
            let issue = Issue::NotSellerCentral { host: shown(&shown_host) };
            checked.broken(format!("host {} is not a Seller Central host", shown(&shown_host)), issue);
        }
    }
}

fn path_rule(url: &Url, checked: &mut Checked) {
    if url.path() == CONSENT_PATH {
        checked.pass(format!("path {CONSENT_PATH}"));
    } else {
        let path = shown(url.path());
        checked.broken(format!("path {path} is not {CONSENT_PATH}"), Issue::WrongPath { path });
    }
}

/// A query parameter: absent (or empty), once, or more than once.
enum Param<'a> {
    Missing,
    One(&'a str),
    Repeated,
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Param<'a> {
    let mut values = params.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
    match (values.next(), values.next()) {
        (None, _) => Param::Missing,
        (Some(value), None) if value.trim().is_empty() => Param::Missing,
        (Some(value), None) => Param::One(value),
        (Some(_), Some(_)) => Param::Repeated,
    }
}

/// Reports a missing or repeated parameter; the value when there is one.
fn required<'a>(params: &'a [(String, String)], name: &'static str, checked: &mut Checked) -> Option<&'a str> {
    match param(params, name) {
        Param::One(value) => Some(value),
        Param::Missing => {
            checked.broken(format!("authUrl has no {name}"), Issue::ParamMissing { param: name });
            None
        }
        Param::Repeated => {
            checked.broken(format!("authUrl has {name} more than once"), Issue::ParamRepeated { param: name });
            None
        }
    }
}

fn app_id_rule(params: &[(String, String)], expected: &Expected, checked: &mut Checked) {
    let Some(found) = required(params, "application_id", checked) else { return };
    checked.consent.application_id = Some(shown(found));
    match expected.app_id {
        Some(app_id) if app_id == found => {
            checked.pass(format!("application_id {} = {}", shown(found), expected.app_id_name))
        }
        Some(app_id) => {
            let issue = Issue::Mismatch { param: "application_id", found: shown(found), expected: shown(app_id) };
            checked.broken(
                format!("application_id {} differs from {} ({})", shown(found), expected.app_id_name, shown(app_id)),
                issue,
            );
        }
        None => {
            checked.pass(format!("application_id {} (not compared: {} not set)", shown(found), expected.app_id_name))
        }
    }
}

fn state_param_rule(params: &[(String, String)], body_state: Option<&str>, checked: &mut Checked) {
    let Some(in_url) = required(params, "state", checked) else { return };
    match body_state {
        Some(in_body) if in_body == in_url => checked.pass("state in authUrl = the answer's state".to_string()),
        Some(in_body) => {
            let issue = Issue::StateMismatch { in_url: shown(in_url), in_body: shown(in_body) };
            checked.broken(format!("state in authUrl ({}) differs from the answer's state", shown(in_url)), issue);
        }
        None => checked.pass(format!("state in authUrl: {} (the answer has none to compare)", shown(in_url))),
    }
}

fn redirect_rule(params: &[(String, String)], expected: &Expected, checked: &mut Checked) {
    let found = match param(params, "redirect_uri") {
        Param::One(found) => found,
        Param::Missing => {
            let configured = expected.redirect_uri.is_some();
            checked.broken("authUrl has no redirect_uri".to_string(), Issue::RedirectMissing { configured });
            return;
        }
        Param::Repeated => {
            let issue = Issue::ParamRepeated { param: "redirect_uri" };
            checked.broken("authUrl has redirect_uri more than once".to_string(), issue);
            return;
        }
    };
    let https = Url::parse(found).is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some());
    if !https {
        let issue = Issue::NotHttps { what: "redirect_uri", url: shown(found) };
        checked.broken(format!("redirect_uri {} is not an https URL", shown(found)), issue);
    }
    match expected.redirect_uri {
        Some(uri) if uri == found && https => {
            checked.pass(format!("redirect_uri {} = {} (https)", shown(found), expected.redirect_uri_name))
        }
        // Equal but not https: already reported above.
        Some(uri) if uri == found => {}
        Some(uri) => {
            let issue = Issue::Mismatch { param: "redirect_uri", found: shown(found), expected: shown(uri) };
            checked.broken(
                format!("redirect_uri {} differs from {} ({})", shown(found), expected.redirect_uri_name, shown(uri)),
                issue,
            );
        }
        None if https => checked.pass(format!(
            "redirect_uri {} is https (not compared: {} not set)",
            shown(found),
            expected.redirect_uri_name
        )),
        None => {}
    }
}

fn version_rule(params: &[(String, String)], checked: &mut Checked) {
    match param(params, "version") {
        Param::Missing => checked.pass("no version=beta: a published app's consent page".to_string()),
        Param::One("beta") => {
            checked.broken("version=beta: a draft app; production apps drop version=beta".to_string(), Issue::Draft)
        }
        Param::One(value) => {
            let issue = Issue::UnknownVersion { value: shown(value) };
            checked.broken(format!("version={}: Amazon documents only version=beta", shown(value)), issue);
        }
        Param::Repeated => {
            let issue = Issue::UnknownVersion { value: "given more than once".to_string() };
            checked.broken("version given more than once".to_string(), issue);
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use serde_json::json;
    use std::time::UNIX_EPOCH;

    pub const APP_ID: &str = "amzn1.sp.solution.7c3d1f1e-0000-4000-8000-000000000001";
    pub const REDIRECT: &str = "https://platform-api.example.com/api/v1/marketplaces/amazon/oauth/callback";
    pub const STATE: &str = "75a623ee-2e14-4d76-85ea-70a02a5298bc";

    /// 2026-01-08T09:19:21Z: ten minutes before PH15's expiresAt.
    pub fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_767_863_961)
    }

    pub fn expected() -> Expected<'static> {
        Expected {
            app_id: Some(APP_ID),
            app_id_name: "AMAZON_SPAPI_APP_ID",
            redirect_uri: Some(REDIRECT),
            redirect_uri_name: "AMAZON_SPAPI_REDIRECT_URI",
        }
    }

    /// PH15 section 2's consent URL (without version=beta) on `host`, with `extra` query text.
    pub fn auth_url(host: &str, extra: &str) -> String {
        let redirect: String = url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect();
        format!("https://{host}/apps/authorize/consent?application_id={APP_ID}&state={STATE}&redirect_uri={redirect}{extra}")
    }

    /// PH15 section 2's answer, with `overrides` on top.
    pub fn answer(overrides: Value) -> Map<String, Value> {
        let mut body = json!({
            "success": true,
            "authUrl": auth_url("sellercentral.amazon.com", ""),
            "state": STATE,
            "expiresAt": "2026-01-08T09:29:21.707Z",
        });
        for (key, value) in overrides.as_object().unwrap() {
            body[key] = value.clone();
        }
        body.as_object().unwrap().clone()
    }

    fn issues(overrides: Value) -> Vec<Issue> {
        check_start(&answer(overrides), &expected(), now()).issues
    }

    #[test]
    fn ph15_answer_passes_every_rule() {
        let checked = check_start(&answer(json!({})), &expected(), now());
        assert_eq!(checked.issues, [], "{:#?}", checked.lines);
        assert!(checked.lines.iter().all(|l| l.starts_with("✓ ")), "{:#?}", checked.lines);
        assert_eq!(checked.consent.host.as_deref(), Some("sellercentral.amazon.com"));
        assert_eq!(checked.consent.marketplaces, Some("US"));
        assert_eq!(checked.consent.expires_in, Some(Duration::from_millis(600_707)));
    }

    #[test]
    fn success_must_be_the_boolean_true() {
        let found = |v: Value| issues(json!({ "success": v }));
        assert_eq!(
            found(json!("yes")),
            [Issue::Field { field: "success", expected: "true", found: "the string \"yes\"".into() }]
        );
        assert_eq!(found(json!(false)), [Issue::Field { field: "success", expected: "true", found: "false".into() }]);
        assert_eq!(
            found(json!(1)),
            [Issue::Field { field: "success", expected: "true", found: "the number 1".into() }]
        );
        let mut body = answer(json!({}));
        body.remove("success");
        let checked = check_start(&body, &expected(), now());
        assert_eq!(checked.issues, [Issue::Field { field: "success", expected: "true", found: "missing".into() }]);
    }

    #[test]
    fn auth_url_must_be_a_url_string() {
        assert_eq!(
            issues(json!({ "authUrl": 42 })),
            [Issue::Field { field: "authUrl", expected: "a URL", found: "the number 42".into() }]
        );
        let relative = issues(json!({ "authUrl": "/apps/authorize/consent?application_id=x" }));
        assert!(matches!(&relative[..], [Issue::AuthUrlNotUrl { .. }]), "{relative:?}");
    }

    #[test]
    fn auth_url_must_be_https() {
        let url = auth_url("sellercentral.amazon.com", "").replace("https://", "http://");
        assert!(matches!(&issues(json!({ "authUrl": url }))[..], [Issue::NotHttps { what: "authUrl", .. }]));
    }

    #[test]
    fn host_must_be_on_the_seller_central_list() {
        for (host, _) in SELLER_CENTRAL {
            assert_eq!(issues(json!({ "authUrl": auth_url(host, "") })), [], "{host}");
        }
        for host in [
            "sellercentral.evil.example",
            "sellercentral.amazon.com.evil.example",
            "vendorcentral.amazon.com",
            "sellercentral.amazon.com:8443",
        ] {
            assert_eq!(
                issues(json!({ "authUrl": auth_url(host, "") })),
                [Issue::NotSellerCentral { host: host.to_string() }],
                "{host}"
            );
        }
        let with_user = auth_url("sellercentral.amazon.com", "").replace("https://", "https://evil@");
        assert!(matches!(&issues(json!({ "authUrl": with_user }))[..], [Issue::NotSellerCentral { .. }]));
    }

    #[test]
    fn path_must_be_the_consent_page() {
        let url = auth_url("sellercentral.amazon.com", "").replace("/apps/authorize/consent", "/apps/manage");
        assert_eq!(issues(json!({ "authUrl": url })), [Issue::WrongPath { path: "/apps/manage".into() }]);
    }

    #[test]
    fn application_id_must_be_the_configured_one() {
        let other = auth_url("sellercentral.amazon.com", "").replace(APP_ID, "amzn1.sp.solution.other");
        assert_eq!(
            issues(json!({ "authUrl": other })),
            [Issue::Mismatch {
                param: "application_id",
                found: "amzn1.sp.solution.other".into(),
                expected: APP_ID.into()
            }]
        );
        let none = auth_url("sellercentral.amazon.com", "").replace(&format!("application_id={APP_ID}&"), "");
        assert_eq!(issues(json!({ "authUrl": none })), [Issue::ParamMissing { param: "application_id" }]);
        // Not configured: present is enough.
        let unset = Expected { app_id: None, ..expected() };
        let checked = check_start(&answer(json!({ "authUrl": other })), &unset, now());
        assert_eq!(checked.issues, []);
        assert!(checked.lines.iter().any(|l| l.contains("not compared: AMAZON_SPAPI_APP_ID not set")));
    }

    #[test]
    fn state_in_the_url_must_be_the_answers_state() {
        assert_eq!(
            issues(json!({ "state": "another-state" })),
            [Issue::StateMismatch { in_url: STATE.into(), in_body: "another-state".into() }]
        );
        let twice = auth_url("sellercentral.amazon.com", &format!("&state={STATE}"));
        assert_eq!(issues(json!({ "authUrl": twice })), [Issue::ParamRepeated { param: "state" }]);
        assert_eq!(
            issues(json!({ "state": "" })),
            [Issue::Field { field: "state", expected: "a non-empty string", found: "an empty string".into() }]
        );
    }

    #[test]
    fn redirect_uri_must_be_https_and_the_configured_one() {
        let other =
            auth_url("sellercentral.amazon.com", "").replace("platform-api.example.com", "platform-dev.example.com");
        let found = issues(json!({ "authUrl": other }));
        assert!(matches!(&found[..], [Issue::Mismatch { param: "redirect_uri", .. }]), "{found:?}");
        let plain = auth_url("sellercentral.amazon.com", "").replace("https%3A", "http%3A");
        let found = issues(json!({ "authUrl": plain }));
        assert!(
            matches!(&found[..], [Issue::NotHttps { what: "redirect_uri", .. }, Issue::Mismatch { .. }]),
            "{found:?}"
        );
    }

    #[test]
    fn a_missing_redirect_uri_fails_only_when_one_is_configured() {
        let url = auth_url("sellercentral.amazon.com", "");
        let without = &url[..url.find("&redirect_uri").unwrap()];
        assert_eq!(issues(json!({ "authUrl": without })), [Issue::RedirectMissing { configured: true }]);
        let unset = Expected { redirect_uri: None, ..expected() };
        let checked = check_start(&answer(json!({ "authUrl": without })), &unset, now());
        assert_eq!(checked.issues, [Issue::RedirectMissing { configured: false }]);
        assert!(checked.issues[0].is_warning());
    }

    #[test]
    fn version_beta_is_a_draft_warning() {
        let found = issues(json!({ "authUrl": auth_url("sellercentral.amazon.com", "&version=beta") }));
        assert_eq!(found, [Issue::Draft]);
        assert!(found[0].is_warning());
        let found = issues(json!({ "authUrl": auth_url("sellercentral.amazon.com", "&version=2") }));
        assert_eq!(found, [Issue::UnknownVersion { value: "2".into() }]);
    }

    #[test]
    fn expires_at_must_be_ahead() {
        let found = issues(json!({ "expiresAt": "2026-01-08T09:09:21.707Z" }));
        assert_eq!(
            found,
            [Issue::Expired { at: "2026-01-08T09:09:21.707Z".into(), ago: Duration::from_millis(599_293) }]
        );
        assert_eq!(issues(json!({ "expiresAt": "tomorrow" })), [Issue::ExpiresUnreadable { text: "tomorrow".into() }]);
        assert!(matches!(&issues(json!({ "expiresAt": 1767864561 }))[..], [Issue::Field { field: "expiresAt", .. }]));
    }

    #[test]
    fn expires_at_takes_utc_and_offsets_but_not_a_bare_local_time() {
        let utc = parse_expires_at("2026-01-08T09:29:21.707Z").unwrap();
        assert_eq!(parse_expires_at("2026-01-08T09:29:21.707+00:00"), Some(utc));
        assert_eq!(parse_expires_at("2026-01-08T10:29:21.707+01:00"), Some(utc));
        assert_eq!(parse_expires_at("2026-01-08T04:29:21.707-05:00"), Some(utc));
        assert_eq!(parse_expires_at("2026-01-08T09:29:21.707"), None);
        assert_eq!(parse_expires_at("2026-01-08 09:29:21Z"), None);
        for junk in [
            "",
            "2026",
            "2026-01-08T09:29:21.707+0100",
            "2026-01-08T09:29:21.707+xx:00",
            "ééééééééééééééééééééé",
            "9999-99-99T99:99:99Z",
        ] {
            assert_eq!(parse_expires_at(junk), None, "{junk}");
        }
    }

    #[test]
    fn any_json_is_checked_without_a_panic() {
        for body in [json!({}), json!({"success": null, "authUrl": [], "state": {}, "expiresAt": false})] {
            let checked = check_start(body.as_object().unwrap(), &expected(), now());
            assert_eq!(checked.issues.len(), 4, "{:#?}", checked.lines);
        }
        let odd = json!({ "authUrl": "https://sellercentral.amazon.com/apps/authorize/consent?%ff=%00&state=\u{0}" });
        let checked = check_start(&answer(odd), &expected(), now());
        assert!(checked.lines.iter().all(|l| !l.contains('\u{0}')), "{:#?}", checked.lines);
    }
}

#[cfg(test)]
mod properties {
    use super::tests::{expected, now, APP_ID, REDIRECT, STATE};
    use super::*;
    use crate::test_strategies::{any_json, any_text, config, mixed_object, JsonKind};
    use proptest::collection::vec;
    use proptest::prelude::*;
    use serde_json::json;
    use std::time::UNIX_EPOCH;

    /// The start answer's fields and their JSON types.
    const FIELDS: [(&str, JsonKind); 4] = [
        ("success", JsonKind::Bool),
        ("state", JsonKind::Text),
        ("expiresAt", JsonKind::Text),
        ("authUrl", JsonKind::Text),
    ];

    /// `key=value&...`, encoded as a backend's URL builder encodes it.
    fn query(params: &[(&str, &str)]) -> String {
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish()
    }

    fn consent_url(authority: &str, params: &[(&str, &str)]) -> String {
        format!("https://{authority}{CONSENT_PATH}?{}", query(params))
    }

    /// A table host with its letters' case changed at random: the same host.
    fn table_host_any_case() -> impl Strategy<Value = (&'static str, String)> {
        (prop::sample::select(SELLER_CENTRAL), vec(any::<bool>(), 40)).prop_map(|((host, _), upper)| {
            let cased = host.chars().zip(upper).map(|(c, up)| if up { c.to_ascii_uppercase() } else { c }).collect();
            (host, cased)
        })
    }

    /// An authority that looks like a Seller Central host but is not one: a
    /// suffix, a subdomain, one letter changed or dropped, a look-alike
    /// letter, a port, a user name, the real host as a user name.
    fn near_miss() -> impl Strategy<Value = String> {
        let host = prop::sample::select(SELLER_CENTRAL).prop_map(|(h, _)| h.to_string());
        let label = "[a-z0-9]{1,10}";
        prop_oneof![
            (host.clone(), label).prop_map(|(h, l)| format!("{h}.{l}.example")),
            (host.clone(), label).prop_map(|(h, l)| format!("{l}.{h}")),
            (host.clone(), label).prop_map(|(h, l)| format!("{l}{h}")),
            host.clone().prop_map(|h| format!("{h}.")),
            host.clone().prop_map(|h| h.replacen("sellercentral", "vendorcentral", 1)),
            (host.clone(), any::<prop::sample::Index>(), "[a-z0-9-]").prop_map(|(h, at, c)| {
                let at = at.index(h.len());
                format!("{}{c}{}", &h[..at], &h[at + 1..])
            }),
            (host.clone(), any::<prop::sample::Index>()).prop_map(|(h, at)| {
                let at = at.index(h.len());
                format!("{}{}", &h[..at], &h[at + 1..])
            }),
            // Cyrillic а, е, о: another host once IDNA-encoded.
            (host.clone(), prop::sample::select(vec![('a', 'а'), ('e', 'е'), ('o', 'о')]))
                .prop_map(|(h, (latin, cyrillic))| h.replacen(latin, &cyrillic.to_string(), 1)),
            (host.clone(), (1u16..=65535).prop_filter("not https's own port", |p| *p != 443))
                .prop_map(|(h, port)| format!("{h}:{port}")),
            (host.clone(), label).prop_map(|(h, l)| format!("{l}@{h}")),
            (host, label).prop_map(|(h, l)| format!("{h}@{l}.example")),
        ]
        .prop_filter("not a table host", |authority| seller_central(authority).is_none())
    }

    /// A query parameter the rules do not read.
    fn extra_name() -> impl Strategy<Value = String> {
        "[a-z]{1,8}".prop_filter("not a checked name", |k| {
            !["application_id", "state", "redirect_uri", "version"].contains(&k.as_str())
        })
    }

    fn rfc3339_with_offset(at: SystemTime, offset_minutes: i64) -> String {
        let shift = Duration::from_secs(offset_minutes.unsigned_abs() * 60);
        let local = if offset_minutes >= 0 { at + shift } else { at - shift };
        let utc_text = humantime::format_rfc3339_millis(local).to_string();
        let sign = if offset_minutes >= 0 { '+' } else { '-' };
        let minutes = offset_minutes.unsigned_abs();
        format!("{}{sign}{:02}:{:02}", utc_text.trim_end_matches('Z'), minutes / 60, minutes % 60)
    }

    proptest! {
        #![proptest_config(config())]

        /// Any object: every rule gives a line, a broken one also an issue,
        /// and a field that is missing or of another type is named.
        #[test]
        fn any_object_is_checked_and_wrong_fields_named(
            mut body in mixed_object(&FIELDS),
            extra in vec((any_text(), any_json()), 0..3),
        ) {
            for (key, value) in extra {
                body.entry(key).or_insert(value);
            }
            let checked = check_start(&body, &expected(), now());
            let broken = checked.lines.iter().filter(|l| !l.starts_with("✓ ")).count();
            prop_assert_eq!(broken, checked.issues.len(), "{:#?}", checked.lines);
            for (field, kind) in FIELDS {
                let value = body.get(field);
                let usable = match field {
                    "success" => value == Some(&Value::Bool(true)),
                    "state" | "authUrl" => value.and_then(Value::as_str).is_some_and(|s| !s.trim().is_empty()),
                    _ => value.is_some_and(|v| kind.matches(v)),
                };
                let named = checked.issues.iter().any(|i| matches!(i, Issue::Field { field: f, .. } if *f == field));
                prop_assert_eq!(named, !usable, "{}: {:?}", field, checked.issues);
                if !usable {
                    let line = format!("✗ {field} is ");
                    prop_assert!(checked.lines.iter().any(|l| l.starts_with(&line)), "{:#?}", checked.lines);
                }
            }
        }

        /// A well-formed start answer on any Seller Central host, in any
        /// letter case, passes every rule and reads back: host,
        /// marketplaces, app id, time left. The state and extra parameters
        /// may hold any characters.
        #[test]
        fn a_valid_start_answer_reads_back(
            (host, authority) in table_host_any_case(),
            app_id in "amzn1\\.sp\\.solution\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            state in any_text().prop_filter("not blank", |s| !s.trim().is_empty()),
            redirect in "https://[a-z]{1,10}\\.example(/[a-z]{1,8}){0,3}",
            millis_left in 1u64..30 * 86_400_000,
            extra in vec((extra_name(), any_text()), 0..3),
        ) {
            let mut params = vec![("application_id", app_id.as_str()), ("state", state.as_str())];
            params.push(("redirect_uri", redirect.as_str()));
            params.extend(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            let expires_at = humantime::format_rfc3339_millis(now() + Duration::from_millis(millis_left)).to_string();
            let url = consent_url(&authority, &params);
            let body = json!({ "success": true, "authUrl": url, "state": state, "expiresAt": expires_at });
            let configured = Expected { app_id: Some(&app_id), redirect_uri: Some(&redirect), ..expected() };
            let checked = check_start(body.as_object().unwrap(), &configured, now());
            prop_assert_eq!(&checked.issues, &[], "{:#?}", checked.lines);
            prop_assert_eq!(checked.consent.host.as_deref(), Some(host));
            prop_assert_eq!(checked.consent.marketplaces, seller_central(host));
            prop_assert_eq!(checked.consent.application_id.as_deref(), Some(app_id.as_str()));
            prop_assert_eq!(checked.consent.expires_in, Some(Duration::from_millis(millis_left)));
        }

        /// An authUrl whose host is not in the Seller Central table is
        /// refused, however close it looks, and no consent host is claimed.
        #[test]
        fn a_host_off_the_table_is_refused(authority in near_miss()) {
            let params = [("application_id", APP_ID), ("state", STATE), ("redirect_uri", REDIRECT)];
            let url = consent_url(&authority, &params);
            let expires_at = "2026-01-08T09:29:21.707Z";
            let body = json!({ "success": true, "authUrl": url, "state": STATE, "expiresAt": expires_at });
            let checked = check_start(body.as_object().unwrap(), &expected(), now());
            prop_assert_eq!(&checked.consent.host, &None);
            let refused = |issue: &Issue| matches!(issue, Issue::NotSellerCentral { .. } | Issue::AuthUrlNotUrl { .. });
            let refused = checked.issues.iter().any(refused);
            prop_assert!(refused, "{}: {:#?}", authority, checked.lines);
        }

        /// Any text as expiresAt: a time or none, never a panic.
        #[test]
        fn any_text_as_expires_at_never_panics(text in prop_oneof![
            any_text(),
            "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2}|[+-].{5})",
        ]) {
            let _ = parse_expires_at(&text);
        }

        /// A time written with any UTC offset reads as the same instant.
        #[test]
        fn any_offset_reads_as_the_same_instant(
            millis in 86_400_000u64..4_000_000_000_000,
            offset_minutes in -(23 * 60 + 59)..=(23 * 60 + 59i64),
        ) {
            let at = UNIX_EPOCH + Duration::from_millis(millis);
            let text = rfc3339_with_offset(at, offset_minutes);
            prop_assert_eq!(parse_expires_at(&text), Some(at), "{}", text);
        }

        /// Any instant from 1970 to 9999, written by jiff with any offset
        /// RFC 3339 allows and any precision, reads as jiff reads it.
        #[test]
        fn expires_at_agrees_with_jiff_for_any_offset(
            nanos in 86_400_000_000_000i128..(crate::time::LAST_SECOND as i128 - 86_400) * 1_000_000_000,
            offset_minutes in -(23 * 60 + 59)..=(23 * 60 + 59i32),
            precision in 0..=9usize,
        ) {
            let at = jiff::Timestamp::from_nanosecond(nanos).unwrap();
            let offset = jiff::tz::Offset::from_seconds(offset_minutes * 60).unwrap();
            let text = format!("{:.precision$}", at.display_with_offset(offset));
            let read_by_jiff: jiff::Timestamp = text.parse().unwrap();
            prop_assert_eq!(parse_expires_at(&text), SystemTime::try_from(read_by_jiff).ok(), "{}", text);
        }
    }
}
