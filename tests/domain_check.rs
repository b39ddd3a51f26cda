//! The domain check against a real authoritative DNS server on 127.0.0.1
//! (Debian's Knot, serving a zone for example.test written by the test), a
//! zone that fails to load (Knot answers SERVFAIL), and a UDP socket that
//! never answers; with SES's DKIM tokens from moto and from a stand-in that
//! answers GetEmailIdentity as AWS documents it. Every query goes to the
//! test's own server (KBZ_DNS_SERVERS or the suite's `nameservers`).

mod support;

use serde_json::Value;
use std::time::{Duration, Instant};
use support::dns::{Knot, SilentDns, Zone};
use support::ses::{Moto, Route, SesStub};
use support::{all_text, check, evidence};

/// The relay the app sends through, as SMTP_HOST names it, and its address.
const RELAY: &str = "relay.example.test";
const RELAY_IP: &str = "127.0.0.25";
const REGION: &str = "eu-west-1";
const STUB_ACCESS_KEY: &str = "AKIAKBZCHECKTEST0001";
const STUB_SECRET_KEY: &str = "kbzDomS3cret/NeverShown+0123456789abcdef";
const TOKENS: [&str; 3] =
    ["tok1aaaaaaaaaaaaaaaaaaaaaaaaaaaa", "tok2bbbbbbbbbbbbbbbbbbbbbbbbbbbb", "tok3cccccccccccccccccccccccccccc"];

/// One zone, one sub-domain per case: each case's sender domain is
/// `<case>.example.test`.
fn zone() -> String {
    let mut records = format!(
        r#"relay A {RELAY_IP}
@ MX 10 mx.example.test.
mx A 127.0.0.30
@ TXT "v=spf1 a:{RELAY} -all"
@ TXT "google-site-verification=abc"
_dmarc TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.test"
s1._domainkey TXT "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC1"
"#
    );
    let case = |name: &str, mx: &str, spf: &[&str], dmarc: Option<&str>| {
        let mut text = String::new();
        if !mx.is_empty() {
            text.push_str(&format!("{name} MX {mx}\n"));
        }
        for record in spf {
            text.push_str(&format!("{name} TXT \"{record}\"\n"));
        }
        if spf.is_empty() && mx.is_empty() {
            text.push_str(&format!("{name} A 127.0.0.40\n"));
        }
        if let Some(dmarc) = dmarc {
            text.push_str(&format!("_dmarc.{name} TXT \"{dmarc}\"\n"));
        }
        text
    };
    let good_dmarc = Some("v=DMARC1; p=quarantine");
    let relay_spf = format!("v=spf1 ip4:{RELAY_IP} -all");
    records.push_str(&case("nospf", "10 mx.example.test.", &[], good_dmarc));
    records.push_str(&case("twospf", "10 mx.example.test.", &[&relay_spf, "v=spf1 mx -all"], good_dmarc));
    records.push_str(&case("badspf", "10 mx.example.test.", &["v=spf1 ip4:127.0.0.300 -all"], good_dmarc));
    records.push_str(&case("otherrelay", "10 mx.example.test.", &["v=spf1 ip4:192.0.2.0/24 -all"], good_dmarc));
    records.push_str(&case("nodmarc", "10 mx.example.test.", &[&relay_spf], None));
    records.push_str(&case("dmarcnone", "10 mx.example.test.", &[&relay_spf], Some("v=DMARC1; p=none")));
    records.push_str(&case("nomx", "", &[&relay_spf], good_dmarc));
    records.push_str(&case("nullmx", "0 .", &[&relay_spf], good_dmarc));
    // Eleven includes deep: the relay is authorised only past SPF's 10-lookup limit.
    records.push_str(&case("deep", "10 mx.example.test.", &["v=spf1 include:l1.example.test -all"], good_dmarc));
    for level in 1..=10 {
        records.push_str(&format!("l{level} TXT \"v=spf1 include:l{}.example.test -all\"\n", level + 1));
    }
    records.push_str(&format!("l11 TXT \"{relay_spf}\"\n"));
    // SES: two of the three DKIM CNAMEs published, a custom MAIL FROM domain.
    records.push_str("ses MX 10 mx.example.test.\nses TXT \"v=spf1 include:amazonses.com ~all\"\n_dmarc.ses TXT \"v=DMARC1; p=reject\"\n");
    for token in &TOKENS[..2] {
        records.push_str(&format!("{token}._domainkey.ses CNAME {token}.dkim.amazonses.com.\n"));
    }
    records.push_str(&format!("bounce.ses MX 10 feedback-smtp.{REGION}.amazonses.com.\nbounce.ses TXT \"v=spf1 include:amazonses.com ~all\"\n"));
    records
}

fn knot() -> Knot {
    let records = zone();
    Knot::start(&[
        Zone { origin: "example.test", records: Some(&records) },
        Zone { origin: "servfail.test", records: None },
    ])
}

fn run(knot_server: &str, from: &str, extra_env: &[(&str, &str)]) -> (i32, Value, String) {
    let mut env = vec![("EMAIL_FROM", from), ("SMTP_HOST", RELAY), ("KBZ_DNS_SERVERS", knot_server)];
    env.extend_from_slice(extra_env);
    let (code, json, out) = support::run_json("domain", env, &["--timeout", "5s"]);
    (code, json, all_text(&out))
}

fn codes(c: &Value) -> Vec<&str> {
    c["findings"].as_array().map(|f| f.iter().map(|f| f["code"].as_str().unwrap()).collect()).unwrap_or_default()
}

fn commands(c: &Value) -> Vec<String> {
    c["actions"].as_array().unwrap().iter().filter_map(|a| a["command"].as_str().map(str::to_string)).collect()
}

#[test]
fn a_correct_domain_is_ok_with_each_record_as_evidence() {
    let knot = knot();
    let (code, json, text) = run(&knot.server(), "KeyBuzz <noreply@example.test>", &[]);
    let c = check(&json);
    assert_eq!((code, c["status"].as_str()), (0, Some("ok")), "{text}");
    assert_eq!(
        c["summary"],
        "example.test: MX mx.example.test, SPF authorises the relay relay.example.test, DMARC p=reject"
    );
    assert_eq!(evidence(c, "MX example.test"), "10 mx.example.test");
    assert_eq!(
        evidence(c, "SPF (TXT example.test)"),
        "v=spf1 a:relay.example.test -all",
        "other TXT records are not SPF"
    );
    assert!(evidence(c, "SPF check_host() for the relay relay.example.test").starts_with("127.0.0.25: pass"), "{text}");
    assert_eq!(evidence(c, "DMARC policy of example.test"), "p=reject, adkim=r, aspf=r, rua=mailto:dmarc@example.test");
    let port = knot.server().rsplit(':').next().unwrap().to_string();
    let dig = c["evidence"][0]["command"].as_str().unwrap();
    assert_eq!(dig, format!("dig @127.0.0.1 -p {port} +short MX example.test"));
}

#[test]
fn spf_missing_doubled_invalid_or_not_covering_the_relay() {
    let knot = knot();
    let server = knot.server();
    let cases = [
        ("nospf", "warn", "domain.spf.missing", format!("v=spf1 ip4:{RELAY_IP} ~all")),
        ("twospf", "fail", "domain.spf.multiple", "Merge them".to_string()),
        ("badspf", "fail", "domain.spf.syntax", "ip4:127.0.0.300".to_string()),
        (
            "otherrelay",
            "fail",
            "domain.spf.relay_not_authorized",
            format!("v=spf1 ip4:{RELAY_IP} ip4:192.0.2.0/24 -all"),
        ),
    ];
    for (case, status, code, says) in cases {
        let domain = format!("{case}.example.test");
        let (exit, json, text) = run(&server, &format!("noreply@{domain}"), &[]);
        let c = check(&json);
        assert_eq!((c["status"].as_str(), codes(c)), (Some(status), vec![code]), "{case}: {text}");
        assert_eq!(exit, if status == "fail" { 1 } else { 0 }, "{case}");
        let all = format!("{}{}{}", c["summary"], c["cause"], c["actions"]);
        assert!(all.contains(&says), "{case}: {says} not in {all}");
        assert!(
            commands(c).iter().any(|cmd| cmd.ends_with(&format!("+short TXT {domain}"))),
            "{case}: {:?}",
            commands(c)
        );
    }
}

#[test]
fn spf_past_the_ten_lookup_limit_is_a_permerror() {
    let knot = knot();
    let (code, json, text) = run(&knot.server(), "noreply@deep.example.test", &[]);
    let c = check(&json);
    assert_eq!((code, codes(c)), (1, vec!["domain.spf.lookup_limit"]), "{text}");
    let seen = evidence(c, "SPF check_host() for the relay relay.example.test");
    assert!(seen.starts_with("127.0.0.25: permerror (more than 10 DNS-querying terms"), "{seen}");
}

#[test]
fn dmarc_missing_or_monitoring_only_warns_with_the_record_to_publish() {
    let knot = knot();
    let (code, json, text) = run(&knot.server(), "noreply@nodmarc.example.test", &[]);
    let c = check(&json);
    assert_eq!((code, c["status"].as_str(), codes(c)), (0, Some("warn"), vec!["domain.dmarc.missing"]), "{text}");
    let action = &c["actions"][0];
    assert!(action["text"]
        .as_str()
        .unwrap()
        .contains("\"v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@nodmarc.example.test\""));
    assert!(action["command"].as_str().unwrap().ends_with("+short TXT _dmarc.nodmarc.example.test"));

    let (_, json, text) = run(&knot.server(), "noreply@dmarcnone.example.test", &[]);
    let c = check(&json);
    assert_eq!((c["status"].as_str(), codes(c)), (Some("warn"), vec!["domain.dmarc.policy_none"]), "{text}");
}

#[test]
fn no_mx_warns_and_a_null_mx_fails() {
    let knot = knot();
    let (code, json, text) = run(&knot.server(), "noreply@nomx.example.test", &[]);
    assert_eq!((code, codes(check(&json))), (0, vec!["domain.mx.missing"]), "{text}");
    assert_eq!(evidence(check(&json), "MX nomx.example.test"), "no MX record (the name exists)");
    let (code, json, text) = run(&knot.server(), "noreply@nullmx.example.test", &[]);
    assert_eq!((code, codes(check(&json))), (1, vec!["domain.mx.null"]), "{text}");
    let (code, json, text) = run(&knot.server(), "noreply@absent.example.test", &[]);
    assert_eq!((code, codes(check(&json))), (1, vec!["domain.not_found"]), "{text}");
}

#[test]
fn servfail_and_no_answer_are_not_missing_records() {
    let knot = knot();
    let (code, json, text) = run(&knot.server(), "noreply@servfail.test", &[]);
    let c = check(&json);
    assert_eq!((code, codes(c)), (1, vec!["domain.dns.servfail"]), "{text}");
    assert!(evidence(c, "MX servfail.test").starts_with("SERVFAIL"), "{text}");

    // The harness's default server answers REFUSED: told apart too, at once.
    let (code, json, out) = support::run_json("domain", [("EMAIL_FROM", "noreply@example.test")], &[]);
    assert_eq!((code, codes(check(&json))), (1, vec!["domain.dns.refused"]), "{}", all_text(&out));

    let silent = SilentDns::start();
    let began = Instant::now();
    let (code, json, out) = support::run_json(
        "domain",
        [("EMAIL_FROM", "noreply@example.test"), ("KBZ_DNS_SERVERS", silent.server().as_str())],
        &["--timeout", "3s"],
    );
    let took = began.elapsed();
    let c = check(&json);
    assert_eq!((code, codes(c)), (1, vec!["domain.dns.no_answer"]), "{}", all_text(&out));
    assert!(took < Duration::from_secs(5), "bounded by the 3s deadline: took {took:?}");
    assert!(silent.received() >= 1, "the query reached the silent server");
}

#[test]
fn dkim_selectors_from_a_suite_must_hold_a_key() {
    let knot = knot();
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("suite.toml");
    let text = format!(
        "[checks.mail-domain]\nkind = \"domain\"\ndomain = \"example.test\"\nrelay = \"{RELAY}\"\nnameservers = [\"{}\"]\ndkim_selectors = [\"s1\", \"s2\"]\n",
        knot.server()
    );
    std::fs::write(&suite, text).unwrap();
    let out = support::kbz_check().args(["--format", "json", "-c", suite.to_str().unwrap(), "all"]).output().unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = check(&json);
    assert_eq!(
        (c["name"].as_str(), codes(c)),
        (Some("mail-domain"), vec!["domain.dkim.missing"]),
        "{}",
        all_text(&out)
    );
    assert!(c["summary"].as_str().unwrap().contains("selector s2"), "{c:#}");
    assert!(evidence(c, "TXT s1._domainkey.example.test").starts_with("v=DKIM1; k=rsa; p="));
}

/// GetEmailIdentity as AWS documents it, with three DKIM tokens and a
/// custom MAIL FROM domain.
fn identity_json() -> String {
    serde_json::json!({
        "IdentityType": "DOMAIN",
        "VerifiedForSendingStatus": true,
        "VerificationStatus": "SUCCESS",
        "DkimAttributes": {"SigningEnabled": true, "Status": "PENDING", "Tokens": TOKENS, "SigningAttributesOrigin": "AWS_SES"},
        "MailFromAttributes": {"MailFromDomain": "bounce.ses.example.test", "MailFromDomainStatus": "SUCCESS", "BehaviorOnMxFailure": "USE_DEFAULT_VALUE"}
    })
    .to_string()
}

/// GetAccount of an account out of the sandbox, as AWS documents it.
const ACCOUNT: &str = r#"{"EnforcementStatus":"HEALTHY","ProductionAccessEnabled":true,"SendQuota":{"Max24HourSend":50000,"MaxSendRate":14,"SentLast24Hours":10},"SendingEnabled":true}"#;
/// A verified sender address, as AWS documents GetEmailIdentity's answer.
const VERIFIED_SENDER: &str = r#"{"IdentityType":"EMAIL_ADDRESS","VerifiedForSendingStatus":true,"VerificationStatus":"SUCCESS","DkimAttributes":{"SigningEnabled":false,"Status":"NOT_STARTED"}}"#;

#[test]
fn ses_ready_with_a_dkim_cname_unpublished_is_mail_that_lands_in_spam() {
    let knot = knot();
    let stub = SesStub::start(vec![
        Route::json("/v2/email/account", 200, ACCOUNT),
        Route::json("/v2/email/identities/noreply%40ses.example.test", 200, VERIFIED_SENDER),
        Route::json("/v2/email/identities/ses.example.test", 200, &identity_json()),
    ]);
    let (endpoint, server) = (stub.endpoint(), knot.server());
    let env = [
        ("EMAIL_PROVIDER", "ses"),
        ("AWS_SES_ACCESS_KEY", STUB_ACCESS_KEY),
        ("AWS_SES_SECRET_KEY", STUB_SECRET_KEY),
        ("AWS_SES_REGION", REGION),
        ("AWS_ENDPOINT_URL_SES", endpoint.as_str()),
        ("EMAIL_FROM", "noreply@ses.example.test"),
        ("KBZ_DNS_SERVERS", server.as_str()),
    ];
    let out = support::kbz_check()
        .args(["--format", "json", "--timeout", "5s", "run", "ses", "domain"])
        .envs(env)
        .output()
        .unwrap();
    let text = all_text(&out);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {text}"));
    let by_name = |name: &str| json["checks"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap().clone();
    assert_eq!(by_name("ses")["status"], "ok", "{text}");
    let c = by_name("domain");
    assert_eq!((c["status"].as_str(), codes(&c)), (Some("fail"), vec!["domain.ses.dkim_unpublished"]), "{text}");
    let missing = format!("{}._domainkey.ses.example.test. CNAME {}.dkim.amazonses.com.", TOKENS[2], TOKENS[2]);
    assert!(c["actions"][0]["text"].as_str().unwrap().contains(&missing), "{c:#}");
    assert!(!c["actions"][0]["text"].as_str().unwrap().contains(TOKENS[0]), "published CNAMEs are not asked for again");
    assert_eq!(
        evidence(&c, &format!("CNAME {}._domainkey.ses.example.test", TOKENS[0])),
        format!("{}.dkim.amazonses.com", TOKENS[0])
    );
    assert_eq!(evidence(&c, "MX bounce.ses.example.test"), format!("10 feedback-smtp.{REGION}.amazonses.com"));
    let causes: Vec<&str> =
        json["root_causes"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(causes, ["cause.ses_mail_unsigned"], "{text}");
    assert_eq!(json["root_causes"][0]["checks"], serde_json::json!(["ses", "domain"]));
    let identity_requests =
        stub.requests().iter().filter(|r| r.starts_with("GET /v2/email/identities/ses.example.test ")).count();
    // The domain check asked once itself; the ses check asked too, beside
    // the verified address (that answer unread, see ses_check.rs).
    assert_eq!(identity_requests, 2, "{:?}", stub.requests());
    support::assert_absent(&text, &[STUB_SECRET_KEY, STUB_ACCESS_KEY]);
}

#[test]
fn a_relay_that_accepts_the_login_but_spf_does_not_name_is_one_cause() {
    use support::smtp::{relay_env, trusting, Certificates, Mode, SmtpServer, SMTP_PASSWORD};
    let knot = knot();
    let certificates = Certificates::new();
    let relay = SmtpServer::start(Mode::StartTls, &certificates);
    let mut env = trusting(relay_env(relay.port(), SMTP_PASSWORD), &certificates);
    env.push(("EMAIL_FROM", "noreply@otherrelay.example.test".into()));
    env.push(("KBZ_DNS_SERVERS", knot.server()));
    let out = support::kbz_check()
        .args(["--format", "json", "--timeout", "5s", "run", "smtp", "domain"])
        .envs(env.iter().map(|(k, v)| (*k, v)))
        .output()
        .unwrap();
    let text = all_text(&out);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(support::status_of(&json, "smtp"), "ok", "{text}\n{}", relay.log());
    let domain = json["checks"].as_array().unwrap().iter().find(|c| c["name"] == "domain").unwrap();
    assert_eq!(codes(domain), ["domain.spf.relay_not_authorized"], "{text}");
    assert!(evidence(domain, "SPF check_host() for the relay 127.0.0.1").starts_with("127.0.0.1: fail"), "{text}");
    let causes: Vec<&str> =
        json["root_causes"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(causes, ["cause.spf_misses_relay"], "{text}");
    support::assert_absent(&text, &[SMTP_PASSWORD]);
}

#[test]
fn the_ses_and_domain_checks_read_the_same_ses_in_one_run() {
    let knot = knot();
    let mut moto = Moto::start();
    let keys = moto.user_with_key("mailer", &["ses:GetAccount", "ses:GetEmailIdentity"]);
    // A domain identity without Easy DKIM set up: moto gives no tokens.
    let scope = format!("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/{REGION}/ses/aws4_request, SignedHeaders=host, Signature=0");
    let port: u16 = moto.endpoint().rsplit(':').next().unwrap().parse().unwrap();
    let created = support::net::http(
        port,
        "POST",
        "/v2/email/identities",
        &[("Content-Type", "application/json"), ("Authorization", &scope)],
        r#"{"EmailIdentity":"example.test"}"#,
    );
    assert!(matches!(created, Ok((200, _))), "{created:?}");
    moto.enforce_auth();
    let endpoint = moto.endpoint();
    let env = [
        ("EMAIL_PROVIDER", "ses"),
        ("AWS_SES_ACCESS_KEY", keys.access_key.as_str()),
        ("AWS_SES_SECRET_KEY", keys.secret_key.as_str()),
        ("AWS_SES_REGION", REGION),
        ("AWS_ENDPOINT_URL_SES", endpoint.as_str()),
        ("EMAIL_FROM", "noreply@example.test"),
        ("SMTP_HOST", RELAY),
        ("KBZ_DNS_SERVERS", &knot.server()),
    ];
    let out = support::kbz_check()
        .args(["--format", "json", "--timeout", "8s", "run", "ses", "domain"])
        .envs(env)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", all_text(&out)));
    let domain = json["checks"].as_array().unwrap().iter().find(|c| c["name"] == "domain").unwrap();
    assert_eq!(codes(domain), ["domain.ses.dkim_unpublished", "domain.spf.ses_not_included"], "{}", all_text(&out));
    assert!(evidence(domain, "SES identity example.test").contains("0 token(s)"), "{domain:#}");
    support::assert_absent(&all_text(&out), &[&keys.secret_key, &keys.access_key]);
}
