//! SESv2 GetAccount: may this account send from this region? Sending
//! enabled, out of the sandbox, not under enforcement, quota left. Pure.

use super::codes;
use super::diagnose::{Call, Diagnosis, Operation};
use super::Probe;
use crate::human::text_field;
use crate::report::{Action, Priority};
use serde_json::Value;

/// What GetAccount said; a field missing from the answer, or of another
/// type, is `None`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Account {
    pub sending_enabled: Option<bool>,
    pub production_access: Option<bool>,
    /// `HEALTHY`, `PROBATION` or `SHUTDOWN`.
    pub enforcement: Option<String>,
    /// The production access request, e.g. `PENDING (case 1234)`.
    pub review: Option<String>,
    pub quota: Option<Quota>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quota {
    /// Messages per 24 hours; -1 means unlimited.
    pub max_24h: f64,
    pub sent_24h: f64,
    /// Messages per second.
    pub max_rate: Option<f64>,
}

impl Quota {
    /// Percent of the daily quota used, `None` when it is unlimited. A quota
    /// of 0 counts as used up: nothing more may be sent.
    pub fn used_percent(&self) -> Option<f64> {
        if self.max_24h < 0.0 {
            return None;
        }
        if self.max_24h == 0.0 {
            return Some(100.0);
        }
        Some(self.sent_24h / self.max_24h * 100.0)
    }

    /// `1000 of 50000`, or `1000, no limit`.
    fn counts(&self) -> String {
        match self.used_percent() {
            None => format!("{} sent, no daily limit", number(self.sent_24h)),
            Some(_) => format!("{} of {}", number(self.sent_24h), number(self.max_24h)),
        }
    }
}

impl Account {
    pub fn read(value: &Value) -> Account {
        let flag = |name: &str| value.get(name).and_then(Value::as_bool);
        // One printable line: the review status and case reach the cause.
        let text = |v: &Value, name: &str| text_field(v.get(name));
        let review = value.get("Details").and_then(|d| d.get("ReviewDetails")).and_then(|r| {
            let status = text(r, "Status")?;
            Some(match text(r, "CaseId") {
                Some(case) => format!("{status} (case {case})"),
                None => status,
            })
        });
        let quota = value.get("SendQuota").and_then(|q| {
            let field = |name: &str| q.get(name).and_then(Value::as_f64);
            Some(Quota {
                max_24h: field("Max24HourSend")?,
                sent_24h: field("SentLast24Hours")?,
                max_rate: field("MaxSendRate"),
            })
        });
        Account {
            sending_enabled: flag("SendingEnabled"),
            production_access: flag("ProductionAccessEnabled"),
            enforcement: text(value, "EnforcementStatus"),
            review,
            quota,
        }
    }

    fn lines(&self) -> String {
        let shown = |v: Option<String>| v.unwrap_or_else(|| "not in the answer".into());
        let mut lines = vec![format!(
            "SendingEnabled {}, EnforcementStatus {}",
            shown(self.sending_enabled.map(|b| b.to_string())),
            shown(self.enforcement.clone())
        )];
        let access = match self.production_access {
            Some(true) => "true (production access)".to_string(),
            Some(false) => "false (sandbox: only verified recipients receive mail)".to_string(),
            None => "not in the answer".to_string(),
        };
        let review = self.review.as_ref().map_or(String::new(), |r| format!("; production access request {r}"));
        lines.push(format!("ProductionAccessEnabled {access}{review}"));
        lines.push(match &self.quota {
            Some(quota) => {
                let used = quota.used_percent().map_or(String::new(), |p| format!(" ({})", percent(p)));
                let rate = quota.max_rate.map_or(String::new(), |r| format!(", MaxSendRate {}/s", number(r)));
                format!("SendQuota: {} in the last 24h{used}{rate}", quota.counts())
            }
            None => "SendQuota not in the answer".to_string(),
        });
        lines.join("\n")
    }
}

/// The account's findings; returns the words for the summary when it may send.
pub fn findings(d: &mut Diagnosis, probe: &Probe) -> Option<String> {
    let command = d.command(&["account"]);
    let result = match probe {
        Probe::Done(result) => result,
        unanswered => {
            d.found.evidence("account", Some(&command), unanswered.why_unanswered());
            return None;
        }
    };
    match d.call(Operation::GetAccount, result) {
        Call::Data(value) => {
            let account = Account::read(&value);
            d.found.evidence("account", Some(&command), format!("HTTP 200\n{}", account.lines()));
            Some(account_findings(d, &account))
        }
        Call::NotFound(error) => {
            d.unread(codes::ANSWER_ERROR, Operation::GetAccount, &error.text());
            d.found.evidence("account", Some(&command), format!("HTTP {} {}", error.status, error.text()));
            None
        }
        Call::Failed(line) => {
            d.found.evidence("account", Some(&command), line);
            None
        }
    }
}

fn account_findings(d: &mut Diagnosis, account: &Account) -> String {
    let region = d.region();
    let cli = d.cli_args();
    let mut ready = Vec::new();
    match account.sending_enabled {
        Some(true) => ready.push("sending enabled".to_string()),
        Some(false) => d.serious(
            codes::SENDING_DISABLED,
            format!("sending is disabled for this account in {region}"),
            "GetAccount says SendingEnabled false: SES rejects every message from this account in this region (sending was paused by the account's owner, or by AWS over its reputation)".to_string(),
            vec![Action::new(Priority::High, "Find out who paused sending (the SES reputation dashboard, AWS's messages); once the cause is fixed, resume it")
                .with_command(format!("aws sesv2 put-account-sending-attributes --sending-enabled {cli}"))],
        ),
        None => {}
    }
    enforcement_findings(d, account.enforcement.as_deref());
    match account.production_access {
        Some(true) => ready.push("production access".to_string()),
        Some(false) => sandbox(d, account),
        None => {}
    }
    if let Some(quota) = &account.quota {
        ready.extend(quota_findings(d, quota));
    }
    // An answer that leaves out what "ready" rests on proves nothing about it.
    let missing: Vec<&str> = [
        (account.sending_enabled.is_none(), "SendingEnabled"),
        (account.production_access.is_none(), "ProductionAccessEnabled"),
    ]
    .into_iter()
    .filter_map(|(absent, name)| absent.then_some(name))
    .collect();
    if !missing.is_empty() {
        d.unread(
            codes::ANSWER_INCOMPLETE,
            Operation::GetAccount,
            &format!("the answer has no boolean {}", missing.join(" nor ")),
        );
    }
    ready.join(", ")
}

fn enforcement_findings(d: &mut Diagnosis, status: Option<&str>) {
    let dashboard = Action::new(Priority::High, "Open the SES reputation dashboard, find the source of the bounces or complaints and fix it (list hygiene, double opt-in)");
    match status {
        Some("SHUTDOWN") => d.serious(
            codes::ENFORCEMENT_SHUTDOWN,
            "AWS shut down sending for this account (EnforcementStatus SHUTDOWN)".to_string(),
            "GetAccount says EnforcementStatus SHUTDOWN: AWS stopped this account's sending, usually after a probation for high bounce or complaint rates; nothing is delivered until AWS lifts it".to_string(),
            vec![dashboard.with_command("aws sesv2 get-account   # Details.ReviewDetails, then contact AWS Support")],
        ),
        Some("PROBATION") => d.warning(
            codes::ENFORCEMENT_PROBATION,
            "the account is on probation (EnforcementStatus PROBATION)".to_string(),
            "GetAccount says EnforcementStatus PROBATION: AWS put the account under review, usually for high bounce or complaint rates; if they do not improve, AWS shuts sending down".to_string(),
            vec![dashboard],
        ),
        _ => {}
    }
}

fn sandbox(d: &mut Diagnosis, account: &Account) {
    let region = d.region();
    let limits = match account.quota {
        Some(q) if q.max_24h >= 0.0 => format!(
            ", at most {} messages a day{}",
            number(q.max_24h),
            q.max_rate.map_or(String::new(), |r| format!(" and {} a second", number(r)))
        ),
        _ => String::new(),
    };
    let pending = match &account.review {
        Some(review) => format!(". A production access request is on file: {review}"),
        None => String::new(),
    };
    d.warning(
        codes::SANDBOX,
        format!("the account is in the SES sandbox in {region}: only verified recipients receive mail"),
        format!("GetAccount says ProductionAccessEnabled false: in the sandbox SES delivers only to verified addresses and domains{limits}; mail to anyone else is rejected (MessageRejected: Email address is not verified){pending}"),
        vec![Action::new(Priority::Medium, format!("Request production access for SES in {region} (SES console, Account dashboard), describing how the app sends mail"))
            .with_command(format!("aws sesv2 put-account-details --production-access-enabled --mail-type TRANSACTIONAL --website-url https://<site> --use-case-description '<how the app sends mail>' {}", d.cli_args()))],
    );
}

/// Words for the summary, and a warning (or failure when used up) above the threshold.
fn quota_findings(d: &mut Diagnosis, quota: &Quota) -> Option<String> {
    let Some(used) = quota.used_percent() else { return Some("no daily sending limit".to_string()) };
    let counts = quota.counts();
    let threshold = d.check.quota_warn;
    let raise = Action::new(Priority::Medium, format!("Ask AWS for a higher sending quota in {} (Service Quotas console, Amazon SES, Sending quota), or spread the sending over the day", d.region()));
    if used >= 100.0 {
        d.serious(
            codes::QUOTA_EXHAUSTED,
            format!("the daily sending quota is used up ({counts})"),
            format!("{counts} messages sent in the last 24 hours: SES rejects further mail (Daily message quota exceeded) until the oldest sends are 24 hours old"),
            vec![raise],
        );
    } else if used >= threshold {
        d.warning(
            codes::QUOTA_HIGH,
            format!("{} of the daily sending quota used ({counts})", percent(used)),
            format!("{counts} messages sent in the last 24 hours, over the {} warning threshold (quota_warn): at this pace SES starts rejecting mail when the quota is reached", percent(threshold)),
            vec![raise],
        );
    }
    Some(format!("{} of the daily quota used ({counts})", percent(used)))
}

/// `1000`, `14`, `0.5`: integers without a fraction.
fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value:.1}")
    }
}

/// `87%`, `2.5%`, `0.1%`.
fn percent(value: f64) -> String {
    let rounded = format!("{value:.1}");
    format!("{}%", rounded.strip_suffix(".0").unwrap_or(&rounded))
}

#[cfg(test)]
mod tests {
    use super::super::diagnose::diagnose;
    use super::super::diagnose::fixtures::*;
    use super::*;
    use crate::report::Status;

    fn with_account(body: &str) -> crate::report::Outcome {
        let identity = vec![("noreply@example.com", done(answer(200, None, VERIFIED_ADDRESS)))];
        diagnose(&check(), &observed(done(answer(200, None, body)), identity))
    }

    #[test]
    fn reads_aws_documented_fields() {
        let account = Account::read(&serde_json::from_str(PRODUCTION).unwrap());
        assert_eq!(account.sending_enabled, Some(true));
        assert_eq!(account.enforcement.as_deref(), Some("HEALTHY"));
        let quota = account.quota.unwrap();
        assert_eq!((quota.max_24h, quota.sent_24h, quota.max_rate), (50000.0, 1000.0, Some(14.0)));
        assert_eq!(
            account.lines(),
            "SendingEnabled true, EnforcementStatus HEALTHY\nProductionAccessEnabled true (production access)\nSendQuota: 1000 of 50000 in the last 24h (2%), MaxSendRate 14/s"
        );
        assert_eq!(Account::read(&serde_json::json!({})).lines().matches("not in the answer").count(), 4);
    }

    #[test]
    fn an_answer_without_the_sending_flags_is_not_called_ready() {
        for body in [r#"{"SendingEnabled":"false"}"#, "{}", r#"{"SendingEnabled":true,"ProductionAccessEnabled":null}"#]
        {
            let out = with_account(body);
            assert_eq!(out.status, Status::Warn, "{body}: {}", out.summary);
            assert!(
                out.summary.starts_with("could not read the account: the answer has no boolean"),
                "{}",
                out.summary
            );
        }
        let out = with_account(r#"{"SendingEnabled":"false"}"#);
        assert!(out.summary.contains("SendingEnabled nor ProductionAccessEnabled"), "{}", out.summary);
    }

    #[test]
    fn sandbox_is_a_warning_that_names_the_limits_and_a_pending_request() {
        let body = r#"{"SendingEnabled":true,"ProductionAccessEnabled":false,"EnforcementStatus":"HEALTHY","SendQuota":{"Max24HourSend":200,"MaxSendRate":1,"SentLast24Hours":3},"Details":{"ReviewDetails":{"Status":"PENDING","CaseId":"172839"}}}"#;
        let out = with_account(body);
        assert_eq!(out.status, Status::Warn);
        assert_eq!(
            out.summary,
            "the account is in the SES sandbox in eu-west-1: only verified recipients receive mail"
        );
        assert_eq!(out.codes(), ["ses.sandbox"]);
        let cause = out.causes.join("\n");
        assert!(cause.contains("at most 200 messages a day and 1 a second"), "{cause}");
        assert!(cause.contains("request is on file: PENDING (case 172839)"), "{cause}");
    }

    #[test]
    fn quota_over_the_threshold_warns_and_used_up_fails() {
        let quota = |sent: u32, max: i32| {
            format!(
                r#"{{"SendingEnabled":true,"ProductionAccessEnabled":true,"SendQuota":{{"Max24HourSend":{max},"MaxSendRate":14,"SentLast24Hours":{sent}}}}}"#
            )
        };
        let out = with_account(&quota(43500, 50000));
        assert_eq!(
            (out.status, out.summary.as_str()),
            (Status::Warn, "87% of the daily sending quota used (43500 of 50000)")
        );
        assert_eq!(out.codes(), ["ses.quota_high"]);
        assert!(out.causes.join("\n").contains("over the 80% warning threshold"));
        let out = with_account(&quota(50000, 50000));
        assert_eq!(
            (out.status, out.summary.as_str()),
            (Status::Fail, "the daily sending quota is used up (50000 of 50000)")
        );
        assert_eq!(out.codes(), ["ses.quota_exhausted"]);
        let out = with_account(&quota(10, -1));
        assert_eq!(out.status, Status::Ok);
        assert!(out.summary.contains("no daily sending limit"), "{}", out.summary);
        assert_eq!(with_account(&quota(0, 0)).status, Status::Fail, "a quota of 0 sends nothing");
    }

    #[test]
    fn disabled_sending_and_enforcement() {
        let out =
            with_account(r#"{"SendingEnabled":false,"ProductionAccessEnabled":true,"EnforcementStatus":"SHUTDOWN"}"#);
        assert_eq!(
            (out.status, out.summary.as_str()),
            (Status::Fail, "sending is disabled for this account in eu-west-1")
        );
        assert_eq!(out.codes(), ["ses.sending_disabled", "ses.enforcement.shutdown"]);
        assert!(out.causes.join("\n").contains("EnforcementStatus SHUTDOWN"));
        let out =
            with_account(r#"{"SendingEnabled":true,"ProductionAccessEnabled":true,"EnforcementStatus":"PROBATION"}"#);
        assert_eq!(
            (out.status, out.summary.as_str()),
            (Status::Warn, "the account is on probation (EnforcementStatus PROBATION)")
        );
        assert_eq!(out.codes(), ["ses.enforcement.probation"]);
    }

    #[test]
    fn an_endpoint_without_get_account_degrades_to_a_warning() {
        let html = "<!doctype html><title>404 Not Found</title><h1>Not Found</h1>";
        let identity = vec![("noreply@example.com", done(answer(200, None, VERIFIED_ADDRESS)))];
        let out = diagnose(&check(), &observed(done(answer(404, None, html)), identity));
        assert_eq!(out.status, Status::Warn);
        assert_eq!(out.summary, "could not read the account: the endpoint does not implement GetAccount (HTTP 404)");
        assert!(out.evidence_of("account").ends_with("this endpoint does not implement GetAccount"), "{out:#?}");
        assert_eq!(
            out.evidence_of("identity noreply@example.com").lines().next(),
            Some("HTTP 200: EMAIL_ADDRESS, VerifiedForSendingStatus true, VerificationStatus SUCCESS")
        );
    }

    #[test]
    fn texts_are_one_printable_line() {
        let account = Account::read(&serde_json::json!({
            "EnforcementStatus": "\u{1b}[2J",
            "Details": { "ReviewDetails": { "Status": "PENDING\n", "CaseId": "1\u{0}2" } }
        }));
        assert_eq!(account.review.as_deref(), Some("PENDING (case 1 2)"));
        assert_eq!(account.enforcement.as_deref(), Some("[2J"));
    }

    #[test]
    fn numbers_read_naturally() {
        assert_eq!((number(200.0), number(0.5), number(-1.0)), ("200".into(), "0.5".into(), "-1".into()));
        assert_eq!((percent(87.0), percent(2.5), percent(0.04)), ("87%".into(), "2.5%".into(), "0%".into()));
    }
}

#[cfg(test)]
pub(super) mod properties {
    use super::super::aws::{self, Reply};
    use super::super::client::Answer;
    use super::*;
    use crate::test_strategies::{config, mixed_object, JsonKind};
    use proptest::prelude::*;
    use serde_json::{json, Map};

    const QUOTA_FIELDS: [(&str, JsonKind); 3] =
        [("Max24HourSend", JsonKind::Number), ("SentLast24Hours", JsonKind::Number), ("MaxSendRate", JsonKind::Number)];
    const REVIEW_FIELDS: [(&str, JsonKind); 2] = [("Status", JsonKind::Text), ("CaseId", JsonKind::Text)];

    /// An object of `fields` mixed as [`mixed_object`] does, or a value of another type.
    fn nested(fields: &'static [(&'static str, JsonKind)]) -> BoxedStrategy<Value> {
        prop_oneof![3 => mixed_object(fields).prop_map(Value::Object), 1 => JsonKind::Object.other()].boxed()
    }

    /// A GetAccount answer with every field, nested ones too, left out, of
    /// its type or of another type.
    pub fn mixed_account() -> impl Strategy<Value = Map<String, Value>> {
        let details = (proptest::option::weighted(0.8, nested(&REVIEW_FIELDS)), JsonKind::Object.other()).prop_map(
            |(review, other)| match review {
                Some(review) => json!({ "ReviewDetails": review }),
                None => other,
            },
        );
        (
            mixed_object(&[
                ("SendingEnabled", JsonKind::Bool),
                ("ProductionAccessEnabled", JsonKind::Bool),
                ("EnforcementStatus", JsonKind::Text),
            ]),
            proptest::option::weighted(0.8, nested(&QUOTA_FIELDS)),
            proptest::option::weighted(0.8, details),
        )
            .prop_map(|(mut account, quota, details)| {
                account.extend(quota.map(|q| ("SendQuota".to_string(), q)));
                account.extend(details.map(|d| ("Details".to_string(), d)));
                account
            })
    }

    fn data(body: &str) -> Option<Value> {
        match aws::read(&Answer {
            status: 200,
            error_type: None,
            body: body.as_bytes().to_vec(),
            truncated: false,
            redirect: None,
        }) {
            Reply::Data(value) => Some(value),
            _ => None,
        }
    }

    proptest! {
        #![proptest_config(config())]

        /// A GetAccount answer as AWS writes it reads back, quota numbers
        /// exact, the production access request with its case.
        #[test]
        fn an_account_reads_back(
            sending in any::<bool>(),
            production in any::<bool>(),
            enforcement in prop::sample::select(vec!["HEALTHY", "PROBATION", "SHUTDOWN"]),
            max_24h in prop_oneof![Just(-1.0), 0.0..1e9f64, (0u32..1_000_000).prop_map(f64::from)],
            sent_share in 0.0..=1.0f64,
            max_rate in proptest::option::of(0.0..1e4f64),
            review in proptest::option::of((
                prop::sample::select(vec!["PENDING", "GRANTED", "DENIED", "FAILED"]),
                proptest::option::of("[0-9]{1,12}"),
            )),
        ) {
            let sent = (max_24h.max(0.0) * sent_share).floor();
            let mut body = json!({
                "SendingEnabled": sending, "ProductionAccessEnabled": production, "EnforcementStatus": enforcement,
                "SendQuota": { "Max24HourSend": max_24h, "SentLast24Hours": sent },
                "DedicatedIpAutoWarmupEnabled": false,
            });
            if let Some(rate) = max_rate {
                body["SendQuota"]["MaxSendRate"] = json!(rate);
            }
            if let Some((status, case)) = &review {
                let review = json!({ "Status": status, "CaseId": case });
                body["Details"] = json!({ "MailType": "TRANSACTIONAL", "ReviewDetails": review });
            }
            let value = data(&body.to_string());
            prop_assert!(value.is_some(), "{}", body);
            let expected = Account {
                sending_enabled: Some(sending),
                production_access: Some(production),
                enforcement: Some(enforcement.to_string()),
                review: review.map(|(status, case)| match case {
                    Some(case) => format!("{status} (case {case})"),
                    None => status.to_string(),
                }),
                quota: Some(Quota { max_24h, sent_24h: sent, max_rate }),
            };
            prop_assert_eq!(Account::read(&value.unwrap()), expected);
        }

        /// A field of another type counts as absent, never as a value (the
        /// string "false" is not false), and the evidence names every field
        /// whatever it held; a text is one printable line.
        #[test]
        fn fields_of_another_type_count_as_absent(sent in mixed_account()) {
            let account = Account::read(&Value::Object(sent.clone()));
            let field = |name: &str, kind: JsonKind| sent.get(name).filter(|v| kind.matches(v));
            prop_assert_eq!(account.sending_enabled, field("SendingEnabled", JsonKind::Bool).and_then(Value::as_bool));
            let production = field("ProductionAccessEnabled", JsonKind::Bool).and_then(Value::as_bool);
            prop_assert_eq!(account.production_access, production);
            let text = |value: Option<&Value>| value.and_then(Value::as_str).map(crate::human::one_line).filter(|t| !t.is_empty());
            prop_assert_eq!(account.enforcement.clone(), text(field("EnforcementStatus", JsonKind::Text)));
            let quota = sent.get("SendQuota").filter(|q| q.is_object());
            let number = |name: &str| quota.and_then(|q| q.get(name)).filter(|v| v.is_number()).and_then(Value::as_f64);
            let expected_quota = match (number("Max24HourSend"), number("SentLast24Hours")) {
                (Some(max_24h), Some(sent_24h)) => Some(Quota { max_24h, sent_24h, max_rate: number("MaxSendRate") }),
                _ => None,
            };
            prop_assert_eq!(account.quota, expected_quota);
            let review = sent.get("Details").and_then(|d| d.get("ReviewDetails")).and_then(|r| r.get("Status"));
            prop_assert_eq!(account.review.is_some(), text(review).is_some());
            let lines = account.lines();
            for name in ["SendingEnabled", "EnforcementStatus", "ProductionAccessEnabled", "SendQuota"] {
                prop_assert!(lines.contains(name), "{} not named in {}", name, lines);
            }
            prop_assert!(!lines.contains(|c: char| c.is_control() && c != '\n'), "{:?}", lines);
        }
    }
}
