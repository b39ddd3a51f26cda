//! The ses check against moto's SES on 127.0.0.1 with SigV4 enforced (real
//! signatures, real IAM users and keys), a stand-in that answers the calls
//! moto lacks as AWS documents them, and ports that refuse or stay silent,
//! through the `kbz-check` binary as a user runs it. The endpoint override
//! always points at loopback: no test ever talks to AWS.

mod support;

use serde_json::Value;
use std::process::Output;
use std::time::{Duration, Instant};
use support::net::{closed_port, SilentListener};
use support::oauth::{Consent, Reply, StartServer};
use support::ses::{Moto, Route, SesStub};
use support::tls::TestCa;
use support::{all_text, assert_absent, check, evidence, kbz_check};

const REGION: &str = "eu-west-1";
const SENDER: &str = "noreply@example.com";
/// Well-formed (a 20-character key id, 40-character secrets), distinctive,
/// and never issued by any server here.
const STUB_ACCESS_KEY: &str = "AKIAKBZCHECKTEST0001";
const STUB_SECRET_KEY: &str = "kbzSesS3cret/NeverShown+0123456789abcdef";
const WRONG_SECRET: &str = "kbzWrongS3cret/AlsoNeverShown+0123456789";
/// A key id AWS never issued: well-formed, so the request is sent and refused.
const UNKNOWN_ACCESS_KEY: &str = "AKIAZZZZZZZZZZZZZZZZ";

const ACCOUNT_PATH: &str = "/v2/email/account";
const SENDER_PATH: &str = "/v2/email/identities/noreply%40example.com";

/// Runs the ses check of the built-in suite with exactly `env`.
fn run_json(env: &[(&str, &str)], extra: &[&str]) -> (i32, Value, Output) {
    support::run_json("ses", env.iter().copied(), extra)
}

/// The app's variables with SES as its provider, aimed at `endpoint`.
fn app_env<'a>(endpoint: &'a str, access_key: &'a str, secret_key: &'a str, from: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("EMAIL_PROVIDER", "ses"),
        ("AWS_SES_ACCESS_KEY", access_key),
        ("AWS_SES_SECRET_KEY", secret_key),
        ("AWS_SES_REGION", REGION),
        ("EMAIL_FROM", from),
        ("AWS_ENDPOINT_URL_SES", endpoint),
    ]
}

fn text<'a>(check: &'a Value, field: &str) -> &'a str {
    check[field].as_str().unwrap_or_else(|| panic!("no `{field}` in {check:#}"))
}

/// The codes of a check's findings in the JSON report, the main one first.
fn codes(c: &Value) -> Vec<&str> {
    c["findings"].as_array().expect("findings").iter().map(|f| f["code"].as_str().expect("a code")).collect()
}

/// The summary and status of a run's only check, with the exit code.
fn verdict(code: i32, json: &Value) -> (i32, String, String) {
    let c = check(json);
    (code, text(c, "status").to_string(), text(c, "summary").to_string())
}

/// An account as AWS documents GetAccount's answer.
fn account_json(production: bool, max: u32, sent: u32) -> String {
    serde_json::json!({
        "DedicatedIpAutoWarmupEnabled": false,
        "Details": { "MailType": "TRANSACTIONAL", "ReviewDetails": { "CaseId": "172839", "Status": "GRANTED" } },
        "EnforcementStatus": "HEALTHY",
        "ProductionAccessEnabled": production,
        "SendQuota": { "Max24HourSend": max, "MaxSendRate": 14, "SentLast24Hours": sent },
        "SendingEnabled": true,
        "SuppressionAttributes": { "SuppressedReasons": ["BOUNCE", "COMPLAINT"] }
    })
    .to_string()
}

/// A verified address as AWS documents GetEmailIdentity's answer.
const VERIFIED_SENDER: &str = r#"{"IdentityType":"EMAIL_ADDRESS","FeedbackForwardingStatus":true,"VerifiedForSendingStatus":true,"DkimAttributes":{"SigningEnabled":false,"Status":"NOT_STARTED","SigningAttributesOrigin":"AWS_SES"},"MailFromAttributes":{"BehaviorOnMxFailure":"USE_DEFAULT_VALUE","MailFromDomainStatus":"SUCCESS"},"Policies":{},"Tags":[],"VerificationStatus":"SUCCESS"}"#;

/// moto: keys accepted or refused by its SigV4 check, permissions by its
/// IAM policies, the sender present or absent. moto lacks GetAccount (404).
#[test]
fn moto_checks_the_keys_the_permissions_and_the_sender() {
    let mut moto = Moto::start();
    let app = moto.user_with_key("kb-app", &["ses:GetAccount", "ses:GetEmailIdentity"]);
    let powerless = moto.user_with_key("kb-powerless", &[]);
    moto.verify_email(REGION, SENDER);
    moto.enforce_auth();
    let endpoint = moto.endpoint();
    let secrets = [app.secret_key.as_str(), powerless.secret_key.as_str(), WRONG_SECRET];

    // The right keys: moto verifies the signature and answers for the
    // sender, but its identity answers contradict themselves
    // (VerificationStatus SUCCESS, VerifiedForSendingStatus false), and it
    // has no GetAccount: two warnings, each saying what could not be known.
    let (code, json, out) = run_json(&app_env(&endpoint, &app.access_key, &app.secret_key, SENDER), &[]);
    assert_eq!(
        verdict(code, &json),
        (0, "warn".into(), "SES contradicts itself about the sender identity noreply@example.com".into()),
        "{}",
        moto.log_tail()
    );
    let c = check(&json);
    assert_eq!(codes(c), ["ses.identity.conflicting", "ses.answer.unsupported"], "{c:#}");
    assert!(evidence(c, "account").starts_with("HTTP 404 without an AWS error"), "{c:#}");
    assert!(
        text(c, "cause").contains(
            "does not implement this SESv2 operation (an emulator or a proxy, not AWS), so the account was not checked"
        ),
        "{c:#}"
    );
    assert_eq!(
        evidence(c, &format!("identity {SENDER}")),
        "HTTP 200: EMAIL_ADDRESS, VerifiedForSendingStatus false, VerificationStatus SUCCESS\nDKIM: NOT_STARTED, signing disabled"
    );
    assert!(text(c, "cause").contains("VerificationStatus SUCCESS but VerifiedForSendingStatus false"), "{c:#}");
    assert!(evidence(c, "identity example.com").ends_with(" (no such identity in eu-west-1)"), "{c:#}");
    assert_absent(&all_text(&out), &secrets);

    // A wrong secret: moto recomputes the signature and refuses it.
    let (code, json, out) = run_json(&app_env(&endpoint, &app.access_key, WRONG_SECRET, SENDER), &[]);
    assert_eq!(
        verdict(code, &json),
        (1, "fail".into(), "secret key does not match the access key (SignatureDoesNotMatch)".into())
    );
    let c = check(&json);
    // moto has no GetAccount: the account was not read, the identity call refused the secret.
    assert_eq!(codes(c), ["ses.auth.signature_mismatch", "ses.answer.unsupported"], "{c:#}");
    assert!(evidence(c, &format!("identity {SENDER}")).starts_with("HTTP 403 SignatureDoesNotMatch: "), "{c:#}");
    assert!(text(&c["actions"][0], "text").contains("secret issued with this access key"), "{c:#}");
    assert_absent(&all_text(&out), &secrets);

    // A key id moto never issued.
    let (code, json, _) = run_json(&app_env(&endpoint, UNKNOWN_ACCESS_KEY, &app.secret_key, SENDER), &[]);
    assert_eq!(
        verdict(code, &json),
        (1, "fail".into(), "access key not recognised by AWS (InvalidClientTokenId)".into())
    );
    assert_eq!(check(&json)["code"], "ses.auth.unknown_key", "{json:#}");

    // Valid keys of a user without the permission: the permission is named.
    let (code, json, out) = run_json(&app_env(&endpoint, &powerless.access_key, &powerless.secret_key, SENDER), &[]);
    assert_eq!(verdict(code, &json), (1, "fail".into(), "the keys lack ses:GetEmailIdentity (AccessDenied)".into()));
    let c = check(&json);
    assert_eq!(c["code"], "ses.auth.access_denied", "{c:#}");
    assert!(text(c, "cause").contains("AWS accepted the keys (they are valid)"), "{c:#}");
    assert!(text(&c["actions"][0], "command").contains("--user-name kb-powerless"), "{c:#}");
    assert_absent(&all_text(&out), &secrets);

    // A sender SES does not know, nor its domain: a failure when SES is the provider...
    let stranger = "alerts@unverified.test";
    let (code, json, _) = run_json(&app_env(&endpoint, &app.access_key, &app.secret_key, stranger), &[]);
    assert_eq!(
        verdict(code, &json),
        (1, "fail".into(), "sender alerts@unverified.test has no verified SES identity in eu-west-1".into())
    );
    let c = check(&json);
    assert_eq!(codes(c), ["ses.identity.missing", "ses.answer.unsupported"], "{c:#}");
    assert!(evidence(c, "identity alerts@unverified.test").starts_with("HTTP 404 NotFoundException"), "{c:#}");
    assert!(evidence(c, "identity unverified.test").starts_with("HTTP 404 NotFoundException"), "{c:#}");

    // ...and a warning when the app sends through SMTP.
    let mut env = app_env(&endpoint, &app.access_key, &app.secret_key, stranger);
    env[0] = ("EMAIL_PROVIDER", "smtp");
    let (code, json, _) = run_json(&env, &[]);
    assert_eq!(
        verdict(code, &json),
        (0, "warn".into(), "sender alerts@unverified.test has no verified SES identity in eu-west-1".into())
    );
    assert!(text(check(&json), "cause").contains("(SES is not in use: EMAIL_PROVIDER=smtp)"));

    // The secrets appear in no format, no report file and not in `list`.
    let dir = tempfile::tempdir().unwrap();
    let (md, js) = (dir.path().join("r.md"), dir.path().join("r.json"));
    for (keys, secret) in
        [(&app, app.secret_key.as_str()), (&app, WRONG_SECRET), (&powerless, powerless.secret_key.as_str())]
    {
        let env = app_env(&endpoint, &keys.access_key, secret, SENDER);
        for format in ["text", "markdown", "json"] {
            let out = kbz_check()
                .args(["--format", format, "--color", "always"])
                .args(["--markdown", md.to_str().unwrap(), "--json", js.to_str().unwrap(), "run", "ses"])
                .envs(env.iter().copied())
                .output()
                .unwrap();
            assert_absent(&all_text(&out), &secrets);
            assert_absent(&std::fs::read_to_string(&md).unwrap(), &secrets);
            assert_absent(&std::fs::read_to_string(&js).unwrap(), &secrets);
        }
        let listed = kbz_check().arg("list").envs(env.iter().copied()).output().unwrap();
        assert_absent(&all_text(&listed), &secrets);
        let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
        assert!(listed.contains("secret_key") && listed.contains("***#"), "{listed}");
    }
}

/// GetAccount and a verified sender, answered as AWS documents them (moto
/// has no GetAccount): production access, sandbox, quota, a denied permission.
#[test]
fn account_and_sender_as_aws_answers_them() {
    let run = |routes: Vec<Route>| {
        let stub = SesStub::start(routes);
        let endpoint = stub.endpoint();
        let (code, json, out) = run_json(&app_env(&endpoint, STUB_ACCESS_KEY, STUB_SECRET_KEY, SENDER), &[]);
        assert_absent(&all_text(&out), &[STUB_SECRET_KEY]);
        (code, json, stub.requests())
    };
    let sender = || Route::json(SENDER_PATH, 200, VERIFIED_SENDER);

    // Production access, 2% of the quota used, the sender verified: ok.
    let (code, json, requests) = run(vec![Route::json(ACCOUNT_PATH, 200, &account_json(true, 50000, 1000)), sender()]);
    assert_eq!(
        verdict(code, &json),
        (
            0,
            "ok".into(),
            "SES ready in eu-west-1: sending enabled, production access, 2% of the daily quota used (1000 of 50000); sender noreply@example.com verified".into()
        )
    );
    let c = check(&json);
    assert_eq!((&c["code"], codes(c).len()), (&Value::Null, 0), "ok: no code: {c:#}");
    assert_eq!(
        evidence(c, "account"),
        "HTTP 200\nSendingEnabled true, EnforcementStatus HEALTHY\nProductionAccessEnabled true (production access); production access request GRANTED (case 172839)\nSendQuota: 1000 of 50000 in the last 24h (2%), MaxSendRate 14/s"
    );
    let config = evidence(c, "configuration");
    assert!(config.contains("AWS_SES_ACCESS_KEY    ***#") && !config.contains(STUB_ACCESS_KEY), "{config}");
    assert!(config.contains("AWS_SES_SECRET_KEY    ***#") && config.contains("(never shown)"), "{config}");
    // Three signed requests sent at once (so in any order): the account,
    // the address and its domain, whose answer is not needed (the address
    // is verified) and not shown; the scope naming SES and the region; the
    // secret in no header.
    let mut lines: Vec<&str> = requests.iter().map(|r| r.lines().next().unwrap_or_default()).collect();
    lines.sort_unstable();
    let expected = [
        "GET /v2/email/account HTTP/1.1",
        "GET /v2/email/identities/example.com HTTP/1.1",
        &format!("GET {SENDER_PATH} HTTP/1.1"),
    ];
    assert_eq!(lines, expected, "{requests:#?}");
    assert!(!c["evidence"].to_string().contains("identity example.com"), "{c:#}");
    for head in &requests {
        let head = head.to_ascii_lowercase();
        assert!(
            head.contains(&format!(
                "authorization: aws4-hmac-sha256 credential={}/",
                STUB_ACCESS_KEY.to_ascii_lowercase()
            )),
            "{head}"
        );
        assert!(
            head.contains(
                "/eu-west-1/ses/aws4_request, signedheaders=host;x-amz-content-sha256;x-amz-date, signature="
            ),
            "{head}"
        );
        assert!(!head.contains(&STUB_SECRET_KEY.to_ascii_lowercase()), "{head}");
    }

    // 90% of the daily quota used: a warning over quota_warn (80%).
    let (code, json, _) = run(vec![Route::json(ACCOUNT_PATH, 200, &account_json(true, 50000, 45000)), sender()]);
    assert_eq!(verdict(code, &json), (0, "warn".into(), "90% of the daily sending quota used (45000 of 50000)".into()));
    assert_eq!(codes(check(&json)), ["ses.quota_high"], "{json:#}");

    // The sandbox: a warning that only verified recipients receive mail.
    let (code, json, _) = run(vec![Route::json(ACCOUNT_PATH, 200, &account_json(false, 200, 12)), sender()]);
    assert_eq!(
        verdict(code, &json),
        (
            0,
            "warn".into(),
            "the account is in the SES sandbox in eu-west-1: only verified recipients receive mail".into()
        )
    );
    assert!(text(check(&json), "cause").contains("at most 200 messages a day and 14 a second"), "{json:#}");
    assert_eq!(codes(check(&json)), ["ses.sandbox"], "{json:#}");

    // AccessDeniedException on GetAccount names the permission; the sender is still checked.
    let denied =
        "User: arn:aws:iam::123456789012:user/keybuzz-ses is not authorized to perform: ses:GetAccount on resource: *";
    let (code, json, _) = run(vec![Route::error(ACCOUNT_PATH, 403, "AccessDeniedException", denied), sender()]);
    assert_eq!(verdict(code, &json), (1, "fail".into(), "the keys lack ses:GetAccount (AccessDeniedException)".into()));
    let c = check(&json);
    assert_eq!(evidence(c, "account"), format!("HTTP 403 AccessDeniedException: {denied}"));
    assert!(evidence(c, &format!("identity {SENDER}")).contains("VerifiedForSendingStatus true"), "{c:#}");
    assert!(text(&c["actions"][0], "command").contains("--user-name keybuzz-ses"), "{c:#}");

    // AWS's JSON-protocol refusals of the keys, as SESv2 sends them.
    let (code, json, requests) = run(vec![Route::error(
        ACCOUNT_PATH,
        403,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )]);
    assert_eq!(
        verdict(code, &json),
        (1, "fail".into(), "access key not recognised by AWS (UnrecognizedClientException)".into())
    );
    // The sender was asked at the same time; with the keys refused its
    // answer says nothing more, and the report says it was not read.
    assert_eq!(requests.len(), 3, "{requests:#?}");
    assert_eq!(codes(check(&json)), ["ses.auth.unknown_key"], "{json:#}");
    assert_eq!(
        evidence(check(&json), &format!("identity {SENDER}")),
        "asked beside the account, not read: AWS refused the keys"
    );
}

/// SES optional (PH11: provider smtp, nothing configured) is a skip; SES as
/// the provider without keys is a failure, and nothing is sent.
#[test]
fn configuration_alone_decides_skip_or_failure() {
    let stub = SesStub::start(vec![]);
    let endpoint = stub.endpoint();

    // PH11 section 4: EMAIL_PROVIDER=smtp, the AWS_SES_* variables not configured.
    let (code, json, _) = run_json(&[("EMAIL_PROVIDER", "smtp"), ("EMAIL_FROM", SENDER)], &[]);
    // Run alone, the skip is all there is: nothing was checked, so the run does not pass.
    assert_eq!(verdict(code, &json), (1, "skip".into(), "SES is optional and unused (EMAIL_PROVIDER=smtp)".into()));
    assert_eq!(json["verdict"], "skip");
    let (code, json, _) = run_json(&[], &[]);
    assert_eq!(
        verdict(code, &json),
        (1, "skip".into(), "SES is optional and unused (EMAIL_PROVIDER is not set)".into())
    );

    // Provider ses without keys: a failure naming the variables.
    let env = [
        ("EMAIL_PROVIDER", "ses"),
        ("AWS_SES_REGION", REGION),
        ("EMAIL_FROM", SENDER),
        ("AWS_ENDPOINT_URL_SES", &endpoint),
    ];
    let (code, json, _) = run_json(&env, &[]);
    assert_eq!(
        verdict(code, &json),
        (1, "fail".into(), "EMAIL_PROVIDER=ses but AWS_SES_ACCESS_KEY and AWS_SES_SECRET_KEY are not set".into())
    );
    let c = check(&json);
    assert_eq!(codes(c), ["ses.config.missing"], "{c:#}");
    assert_eq!(evidence(c, "account"), "not asked: AWS_SES_ACCESS_KEY and AWS_SES_SECRET_KEY not set");
    let config = evidence(c, "configuration");
    for line in [
        "EMAIL_PROVIDER        ses: SES is the app's mail provider",
        "AWS_SES_ACCESS_KEY    missing",
        "AWS_SES_SECRET_KEY    missing",
        "AWS_SES_REGION        eu-west-1: Europe (Ireland)",
    ] {
        assert!(config.contains(line), "`{line}` not in:\n{config}");
    }

    // A malformed key id (the secret pasted in its place) and an unknown region: named, nothing sent.
    let mut env = app_env(&endpoint, STUB_SECRET_KEY, STUB_SECRET_KEY, SENDER);
    env[3] = ("AWS_SES_REGION", "eu-west-9");
    let (code, json, out) = run_json(&env, &[]);
    assert_eq!(verdict(code, &json), (1, "fail".into(), "AWS_SES_ACCESS_KEY is not an access key id".into()));
    assert_eq!(codes(check(&json)), ["ses.config.access_key_malformed", "ses.config.unknown_region"], "{json:#}");
    let cause = text(check(&json), "cause").to_string();
    assert!(cause.contains("swapped") && cause.contains("SES has no endpoint in `eu-west-9`"), "{cause}");
    assert_absent(&all_text(&out), &[STUB_SECRET_KEY]);
    assert!(stub.requests().is_empty(), "nothing is sent with an unusable configuration: {:#?}", stub.requests());

    // Provider smtp with SES half configured: checked, at most a warning.
    let (code, json, _) =
        run_json(&[("EMAIL_PROVIDER", "smtp"), ("AWS_SES_REGION", REGION), ("AWS_ENDPOINT_URL_SES", &endpoint)], &[]);
    assert_eq!(
        verdict(code, &json),
        (0, "warn".into(), "SES is partly configured: AWS_SES_ACCESS_KEY and AWS_SES_SECRET_KEY are not set".into())
    );
    assert_eq!(codes(check(&json)), ["ses.config.partial"], "{json:#}");
}

/// A refused port and a silent one: failures, each within a generous bound.
#[test]
fn unreachable_endpoints_fail_within_the_deadline() {
    let port = closed_port();
    let refused = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let (code, json, out) = run_json(&app_env(&refused, STUB_ACCESS_KEY, STUB_SECRET_KEY, SENDER), &[]);
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    assert_eq!(verdict(code, &json), (1, "fail".into(), format!("connection refused by 127.0.0.1:{port}")));
    let c = check(&json);
    assert_eq!(codes(c), ["ses.unreachable.refused"], "{c:#}");
    assert_eq!(evidence(c, "account"), format!("no answer: connection refused by 127.0.0.1:{port}"));
    assert_eq!(evidence(c, &format!("identity {SENDER}")), "asked beside the account, not read: SES did not answer");
    assert_absent(&all_text(&out), &[STUB_SECRET_KEY]);

    let silent = SilentListener::start();
    let endpoint = format!("http://127.0.0.1:{}", silent.port());
    let started = Instant::now();
    let (code, json, _) = run_json(&app_env(&endpoint, STUB_ACCESS_KEY, STUB_SECRET_KEY, SENDER), &["--timeout", "1s"]);
    assert!(started.elapsed() < Duration::from_secs(8), "took {:?}", started.elapsed());
    let (code, status, summary) = verdict(code, &json);
    assert_eq!((code, status.as_str()), (1, "fail"), "{json:#}");
    let prefix = format!("no answer from 127.0.0.1:{} within ", silent.port());
    assert!(summary.starts_with(&prefix), "{summary}");
    assert!(silent.accepted() >= 1, "the check really dialled in");
    // It accepted the connection, then said nothing: a stalled peer, not a blocked path.
    assert_eq!(codes(check(&json)), ["ses.peer_stalled"], "{json:#}");
}

/// An endpoint whose certificate comes from a CA this host does not trust
/// (a proxy that inspects TLS, say): the certificate is named, and the
/// finding carries its issuer, on which root causes join checks.
#[test]
fn an_untrusted_certificate_is_named_with_its_issuer() {
    let ca = TestCa::new("kbz-check test CA");
    // Any TLS server with the test CA's certificate: the handshake fails before a request.
    let server = StartServer::start_tls(Reply::started(&Consent::ph15()), &ca.server_cert(&["127.0.0.1"]));
    let endpoint = format!("https://127.0.0.1:{}", server.port());
    let (code, json, out) = run_json(&app_env(&endpoint, STUB_ACCESS_KEY, STUB_SECRET_KEY, SENDER), &[]);
    assert_eq!(code, 1, "{json:#}");
    let c = check(&json);
    assert_eq!(codes(c), ["ses.tls.failed"], "{c:#}");
    assert_eq!(c["findings"][0]["issuer"], "CN=kbz-check test CA", "{c:#}");
    assert!(text(c, "cause").contains("issued by CN=kbz-check test CA"), "{c:#}");
    assert!(server.requests().is_empty(), "nothing is sent over a refused handshake");
    assert_absent(&all_text(&out), &[STUB_SECRET_KEY]);
}

/// `list` masks both keys with their fingerprint, like every secret.
#[test]
fn list_masks_both_keys() {
    let out = kbz_check()
        .arg("list")
        .envs(app_env("http://127.0.0.1:9", STUB_ACCESS_KEY, STUB_SECRET_KEY, SENDER))
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_absent(&all_text(&out), &[STUB_ACCESS_KEY, STUB_SECRET_KEY]);
    assert!(listed.contains("ses (ses)  → http://127.0.0.1:9"), "{listed}");
    for line in ["access_key  ***#", "secret_key  ***#", "quota_warn  80%"] {
        assert!(listed.contains(line), "`{line}` not in:\n{listed}");
    }
}
