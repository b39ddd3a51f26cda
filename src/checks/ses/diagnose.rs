//! From what SES said (or why nothing was asked) to a status, a cause in
//! plain words and the actions that fix it. Pure: unit-tested without a server.
//!
//! One rule runs through it: a problem is a failure only when SES is the
//! app's provider (`EMAIL_PROVIDER=ses`); otherwise SES is optional, so the
//! same problem is a warning and its actions are low priority.

use super::aws::{self, AwsError, ErrorKind, Reply};
use super::client::{api_url, Answer, RequestError};
use super::{account, codes, config, identity, key_id_kind, reach, KeyIdKind, Observed, SesCheck};
use crate::checks::findings::Findings;
use crate::code::Code;
use crate::report::{Action, Outcome, Priority, Status};
use crate::secret::mask_dsn;
use crate::unanswered::Told;
use serde_json::Value;

pub fn diagnose(check: &SesCheck, observed: &Observed) -> Outcome {
    let mut d = Diagnosis::new(check);
    config::findings(&mut d);
    let account = account::findings(&mut d, &observed.account);
    let sender = identity::findings(&mut d, &observed.identities);
    let ready = [account, sender].into_iter().flatten().filter(|s| !s.is_empty()).collect::<Vec<_>>().join("; ");
    let head = match check.in_use() {
        true => format!("SES ready in {}", d.region()),
        false => format!("SES ready but unused ({})", check.provider_text()),
    };
    let summary = if ready.is_empty() { head } else { format!("{head}: {ready}") };
    d.finish(summary)
}

/// The SESv2 calls the check makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    GetAccount,
    GetEmailIdentity,
}

impl Operation {
    pub fn name(self) -> &'static str {
        match self {
            Operation::GetAccount => "GetAccount",
            Operation::GetEmailIdentity => "GetEmailIdentity",
        }
    }

    /// The IAM action that allows it.
    pub fn permission(self) -> String {
        format!("ses:{}", self.name())
    }
}

/// A call's answer once the failures every call shares are reported.
pub enum Call {
    Data(Value),
    /// AWS answered NotFoundException.
    NotFound(AwsError),
    /// Nothing usable: the evidence line says why.
    Failed(String),
}

/// The findings under construction, and what has been reported once already.
pub struct Diagnosis<'a> {
    pub check: &'a SesCheck,
    pub found: Findings,
    /// What could not be read: told last, so that what was read and found
    /// wrong heads the summary.
    unread: Vec<(Code, String, String, Vec<Action>)>,
    keys_reported: bool,
    reach_reported: bool,
}

impl<'a> Diagnosis<'a> {
    fn new(check: &'a SesCheck) -> Self {
        Diagnosis { check, found: Findings::default(), unread: Vec::new(), keys_reported: false, reach_reported: false }
    }

    fn finish(mut self, ok_summary: String) -> Outcome {
        for (code, summary, cause, actions) in std::mem::take(&mut self.unread) {
            self.warning(code, summary, cause, actions);
        }
        self.found.into_outcome(ok_summary)
    }

    /// A problem that fails the check when SES is the provider; a warning otherwise.
    pub fn serious(&mut self, code: Code, summary: String, cause: String, actions: Vec<Action>) {
        let status = if self.check.in_use() { Status::Fail } else { Status::Warn };
        self.problem(code, status, summary, cause, actions);
    }

    /// A request told by [`crate::unanswered`]: a refused certificate's
    /// issuer goes with a failure (root causes join on it), not with the
    /// warning of an SES not in use.
    pub fn told(&mut self, told: Told) {
        match told.issuer {
            Some(issuer) if self.check.in_use() => {
                self.found.untrusted(told.code, issuer, told.summary, told.cause, told.actions)
            }
            _ => self.serious(told.code, told.summary, told.cause, told.actions),
        }
    }

    /// A problem that is a warning whatever the provider.
    pub fn warning(&mut self, code: Code, summary: String, cause: String, actions: Vec<Action>) {
        self.problem(code, Status::Warn, summary, cause, actions);
    }

    /// While SES is unused, a problem waits for the day it is switched on:
    /// the cause says so and its actions are low priority.
    fn problem(&mut self, code: Code, status: Status, summary: String, mut cause: String, mut actions: Vec<Action>) {
        if !self.check.in_use() {
            cause.push_str(&format!(" (SES is not in use: {})", self.check.provider_text()));
            for action in &mut actions {
                action.priority = Priority::Low;
            }
        }
        self.found.problem(code, status, summary, cause, actions);
    }

    /// `eu-west-1`, or what stands for the region when it is unusable.
    pub fn region(&self) -> String {
        self.check.region.clone().unwrap_or_else(|| "the configured region".into())
    }

    /// `--region eu-west-1` (and the endpoint when overridden), for the aws CLI commands of the actions.
    pub fn cli_args(&self) -> String {
        let mut args = format!("--region {}", self.check.region.as_deref().unwrap_or("<region>"));
        if let Some(url) = &self.check.endpoint_override {
            args.push_str(&format!(" --endpoint-url {}", mask_dsn(url.as_str().trim_end_matches('/'))));
        }
        args
    }

    /// `GET https://email.eu-west-1.amazonaws.com/v2/email/<segments>`, as the evidence shows a call.
    pub fn command(&self, segments: &[&str]) -> String {
        match self.check.endpoint() {
            Some(base) => format!("GET {}", mask_dsn(api_url(&base, segments).as_str())),
            None => format!("GET /v2/email/{}", segments.join("/")),
        }
    }

    /// Reports what every call may meet (no answer, keys refused, a missing
    /// permission or operation) and hands the rest back.
    pub fn call(&mut self, operation: Operation, result: &Result<Answer, RequestError>) -> Call {
        let answer = match result {
            Ok(answer) => match &answer.redirect {
                None => answer,
                Some(redirect) => {
                    if !std::mem::replace(&mut self.reach_reported, true) {
                        reach::redirected(self, redirect);
                    }
                    return Call::Failed(redirect.describe());
                }
            },
            Err(error) => {
                if !std::mem::replace(&mut self.reach_reported, true) {
                    reach::unreachable(self, error);
                }
                return Call::Failed(format!("no answer: {error}"));
            }
        };
        let line = |text: String| format!("HTTP {} {text}", answer.status);
        match aws::read(answer) {
            Reply::Data(value) => Call::Data(value),
            Reply::Error(error) => {
                let shown = line(error.text());
                match error.kind() {
                    ErrorKind::NotFound => return Call::NotFound(error),
                    ErrorKind::KeyUnknown | ErrorKind::SecretMismatch | ErrorKind::ClockSkew => {
                        self.keys_refused(&error)
                    }
                    ErrorKind::Denied => self.denied(operation, &error),
                    ErrorKind::Transient => self.unread(codes::ANSWER_TRANSIENT, operation, &error.text()),
                    ErrorKind::Unsupported => self.unread(codes::ANSWER_UNSUPPORTED, operation, &error.text()),
                    ErrorKind::Other => self.unread(codes::ANSWER_ERROR, operation, &error.text()),
                }
                Call::Failed(shown)
            }
            Reply::Lacking { status, excerpt } => {
                self.lacking(operation, status);
                Call::Failed(line(format!(
                    "without an AWS error ({excerpt}): this endpoint does not implement {}",
                    operation.name()
                )))
            }
            Reply::Unreadable { status, excerpt } => {
                let cut = if answer.truncated { " (cut at 1 MiB)" } else { "" };
                self.unread(
                    codes::ANSWER_UNREADABLE,
                    operation,
                    &format!("HTTP {status}, not an SES answer{cut}: {excerpt}"),
                );
                Call::Failed(line(format!("not an SES answer{cut}: {excerpt}")))
            }
        }
    }

    // ---- failures every call may meet -----------------------------------------

    fn keys_refused(&mut self, error: &AwsError) {
        if std::mem::replace(&mut self.keys_reported, true) {
            return;
        }
        let names = &self.check.names;
        let masked = self.check.access_key.as_ref().map(|k| k.masked()).unwrap_or_default();
        let said = format!("AWS said: {}", error.text());
        match error.kind() {
            ErrorKind::KeyUnknown => {
                let temporary = match self.check.access_key.as_ref().map(|k| key_id_kind(k.expose())) {
                    Some(Ok(KeyIdKind::Temporary)) => ". It is a temporary key (ASIA…): those work only with the session token issued with them, which the app's variables do not carry, and expire within hours; the app needs an IAM user's long-term key (AKIA…)",
                    _ => "",
                };
                self.serious(
                    codes::AUTH_UNKNOWN_KEY,
                    format!("access key not recognised by AWS ({})", error.code),
                    format!("AWS does not know the access key id in {} ({masked}): the key was deleted or deactivated, belongs to another AWS partition, or is mistyped{temporary}. Every SES call the app makes fails the same way. {said}", names.access_key),
                    vec![Action::new(
                        Priority::High,
                        format!("Create an access key for the app's IAM user and set {} and {} to the new pair", names.access_key, names.secret_key),
                    )
                    .with_command("aws iam list-access-keys --user-name <ses-user>\naws iam create-access-key --user-name <ses-user>")],
                );
            }
            ErrorKind::SecretMismatch => {
                self.serious(
                    codes::AUTH_SIGNATURE_MISMATCH,
                    format!("secret key does not match the access key ({})", error.code),
                    format!("AWS knows the access key id in {} ({masked}) but the signature made with {} does not match: the secret belongs to another key, or was mistyped or cut. {said}", names.access_key, names.secret_key),
                    vec![Action::new(
                        Priority::High,
                        format!("Set {} to the secret issued with this access key; AWS shows a secret only once, so if it is lost create a new key pair and set both variables", names.secret_key),
                    )
                    .with_command("aws iam create-access-key --user-name <ses-user>")],
                );
            }
            _ => self.serious(
                codes::CLOCK_SKEW,
                "AWS refused the request's time: this host's clock is off".to_string(),
                format!("SigV4 signatures carry the time and AWS refuses them when this host's clock is more than 5 minutes off; the keys were not checked. {said}"),
                vec![Action::new(Priority::High, "Synchronise this host's clock (NTP)").with_command("timedatectl status")],
            ),
        }
    }

    fn denied(&mut self, operation: Operation, error: &AwsError) {
        let permission = operation.permission();
        let user = iam_user(&error.message).unwrap_or_else(|| "<ses-user>".into());
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ses:GetAccount","ses:GetEmailIdentity"],"Resource":"*"}]}"#;
        self.serious(
            codes::AUTH_ACCESS_DENIED,
            format!("the keys lack {permission} ({})", error.code),
            format!(
                "AWS accepted the keys (they are valid) but the IAM user or role they belong to is not allowed {permission}, so kbz-check cannot see {}. AWS said: {}",
                match operation {
                    Operation::GetAccount => "whether the account may send (sandbox, quota, enforcement)",
                    Operation::GetEmailIdentity => "whether the sender is verified",
                },
                error.text()
            ),
            vec![Action::new(
                Priority::High,
                format!("Allow {permission} (read-only) to the IAM identity of the app's keys, next to its ses:SendEmail"),
            )
            .with_command(format!("aws iam put-user-policy --user-name {user} --policy-name ses-read --policy-document '{policy}'"))],
        );
    }

    /// The endpoint answered, but not the operation: say what could not be read.
    fn lacking(&mut self, operation: Operation, status: u16) {
        let endpoint = self.endpoint_text();
        self.unread.push((
            codes::ANSWER_UNSUPPORTED,
            format!("could not read {}: the endpoint does not implement {} (HTTP {status})", what(operation), operation.name()),
            format!("{endpoint} answered {} with HTTP {status} and no AWS error: it does not implement this SESv2 operation (an emulator or a proxy, not AWS), so {} was not checked", operation.name(), what(operation)),
            vec![Action::new(Priority::Low, format!("Run the check against AWS (unset {}) to see {}", self.check.names.endpoint, what(operation)))
                .with_command(format!("aws sesv2 {} {}", cli_name(operation), self.cli_args()))],
        ));
    }

    pub fn unread(&mut self, code: Code, operation: Operation, text: &str) {
        self.unread.push((
            code,
            format!("could not read {}: {text}", what(operation)),
            format!(
                "{} did not give a usable answer ({text}), so {} was not checked",
                operation.name(),
                what(operation)
            ),
            vec![Action::new(Priority::Medium, format!("Run {} by hand and look at the answer", operation.name()))
                .with_command(format!("aws sesv2 {} {}", cli_name(operation), self.cli_args()))],
        ));
    }

    pub fn endpoint_text(&self) -> String {
        match (&self.check.endpoint_override, self.check.endpoint()) {
            (Some(url), _) => {
                format!("{} ({})", self.check.names.endpoint, mask_dsn(url.as_str().trim_end_matches('/')))
            }
            (None, Some(url)) => format!("the SES endpoint {}", url.as_str().trim_end_matches('/')),
            (None, None) => "the SES endpoint".to_string(),
        }
    }
}

/// What an operation lets the check see.
fn what(operation: Operation) -> &'static str {
    match operation {
        Operation::GetAccount => "the account",
        Operation::GetEmailIdentity => "the sender identity",
    }
}

fn cli_name(operation: Operation) -> &'static str {
    match operation {
        Operation::GetAccount => "get-account",
        Operation::GetEmailIdentity => "get-email-identity --email-identity <sender>",
    }
}

/// `app` from `User: arn:aws:iam::123456789012:user/app is not authorized ...`.
fn iam_user(message: &str) -> Option<String> {
    let start = message.find(":user/")? + ":user/".len();
    let name: String = message[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    let name = name.rsplit('/').next().unwrap_or_default().to_string();
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
pub(super) mod fixtures {
    use super::super::{Names, Probe, Provider, SesCheck};
    use super::*;
    use crate::secret::Secret;

    pub const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
    pub const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    /// PH11's backend had SES switched on: keys, region and sender set.
    pub fn check() -> SesCheck {
        SesCheck {
            provider: Provider::Ses,
            access_key: Some(Secret::new(ACCESS_KEY)),
            secret_key: Some(Secret::new(SECRET_KEY)),
            region: Some("eu-west-1".into()),
            from: Some("noreply@example.com".into()),
            endpoint_override: None,
            quota_warn: 80.0,
            names: Names {
                provider: "EMAIL_PROVIDER".into(),
                access_key: "AWS_SES_ACCESS_KEY".into(),
                secret_key: "AWS_SES_SECRET_KEY".into(),
                region: "AWS_SES_REGION".into(),
                from: "EMAIL_FROM".into(),
                endpoint: "AWS_ENDPOINT_URL_SES".into(),
            },
        }
    }

    pub fn answer(status: u16, error_type: Option<&str>, body: &str) -> Result<Answer, RequestError> {
        Ok(Answer {
            status,
            error_type: error_type.map(str::to_string),
            body: body.as_bytes().to_vec(),
            truncated: false,
            redirect: None,
        })
    }

    pub fn done(result: Result<Answer, RequestError>) -> Probe {
        Probe::Done(result)
    }

    /// A production account, healthy, 1000 of 50000 sent.
    pub const PRODUCTION: &str = r#"{"DedicatedIpAutoWarmupEnabled":false,"EnforcementStatus":"HEALTHY","ProductionAccessEnabled":true,"SendQuota":{"Max24HourSend":50000.0,"MaxSendRate":14.0,"SentLast24Hours":1000.0},"SendingEnabled":true,"SuppressionAttributes":{"SuppressedReasons":["BOUNCE","COMPLAINT"]}}"#;

    pub const VERIFIED_ADDRESS: &str = r#"{"IdentityType":"EMAIL_ADDRESS","VerifiedForSendingStatus":true,"VerificationStatus":"SUCCESS","DkimAttributes":{"SigningEnabled":false,"Status":"NOT_STARTED"}}"#;

    pub fn observed(account: Probe, identities: Vec<(&str, Probe)>) -> Observed {
        Observed { account, identities: identities.into_iter().map(|(i, p)| (i.to_string(), p)).collect() }
    }

    /// The codes of the outcome's findings, the main one first.
    pub fn codes(outcome: &Outcome) -> Vec<&'static str> {
        outcome.findings.iter().map(|f| f.code.as_str()).collect()
    }

    pub fn evidence(outcome: &Outcome, label: &str) -> String {
        outcome
            .evidence
            .iter()
            .find(|e| e.label == label)
            .unwrap_or_else(|| panic!("no evidence {label} in {outcome:#?}"))
            .output
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::super::Probe;
    use super::fixtures::*;
    use super::*;
    use crate::secret::mask;

    fn healthy() -> Observed {
        observed(
            done(answer(200, None, PRODUCTION)),
            vec![("noreply@example.com", done(answer(200, None, VERIFIED_ADDRESS)))],
        )
    }

    #[test]
    fn all_well_is_ok_with_every_setting_in_the_evidence() {
        let out = diagnose(&check(), &healthy());
        assert_eq!(out.status, Status::Ok, "{out:#?}");
        assert_eq!(
            out.summary,
            "SES ready in eu-west-1: sending enabled, production access, 2% of the daily quota used (1000 of 50000); sender noreply@example.com verified"
        );
        let config = evidence(&out, "configuration");
        assert!(config.contains(&format!("AWS_SES_ACCESS_KEY    {} (AKIA…", mask(ACCESS_KEY))), "{config}");
        assert!(config.contains("AWS_SES_REGION        eu-west-1: Europe (Ireland)"), "{config}");
        assert!(config.contains("AWS_ENDPOINT_URL_SES  not set: https://email.eu-west-1.amazonaws.com"), "{config}");
        assert!(!format!("{out:?}").contains(SECRET_KEY) && !format!("{out:?}").contains(ACCESS_KEY));
        assert!(out.findings.is_empty(), "an ok outcome has no code: {out:#?}");
    }

    #[test]
    fn wrong_secret_and_unknown_key_are_told_apart() {
        let sig = "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message></Error></ErrorResponse>";
        let out = diagnose(
            &check(),
            &observed(
                done(answer(403, None, sig)),
                vec![("noreply@example.com", Probe::NotRun("AWS refused the keys".into()))],
            ),
        );
        assert_eq!(out.summary, "secret key does not match the access key (SignatureDoesNotMatch)");
        assert_eq!(codes(&out), ["ses.auth.signature_mismatch"]);
        assert_eq!(evidence(&out, "identity noreply@example.com"), "not asked: AWS refused the keys");
        let unknown = r#"{"message":"The security token included in the request is invalid."}"#;
        let out =
            diagnose(&check(), &observed(done(answer(403, Some("UnrecognizedClientException"), unknown)), vec![]));
        assert_eq!(out.summary, "access key not recognised by AWS (UnrecognizedClientException)");
        assert_eq!(codes(&out), ["ses.auth.unknown_key"]);
        assert!(evidence(&out, "account").starts_with("HTTP 403 UnrecognizedClientException: The security token"));
    }

    #[test]
    fn a_missing_permission_is_named_and_the_user_put_in_the_command() {
        let denied = r#"{"message":"User: arn:aws:iam::123456789012:user/keybuzz-ses is not authorized to perform: ses:GetAccount on resource: *"}"#;
        let out = diagnose(
            &check(),
            &observed(
                done(answer(403, Some("AccessDeniedException"), denied)),
                vec![("noreply@example.com", done(answer(200, None, VERIFIED_ADDRESS)))],
            ),
        );
        assert_eq!(
            (out.status, out.summary.as_str()),
            (Status::Fail, "the keys lack ses:GetAccount (AccessDeniedException)")
        );
        assert!(out.actions[0].command.as_deref().unwrap().contains("--user-name keybuzz-ses"), "{out:#?}");
        assert!(
            !codes(&out).iter().any(|c| ["ses.auth.unknown_key", "ses.auth.signature_mismatch"].contains(c)),
            "the keys were accepted"
        );
        assert_eq!(codes(&out), ["ses.auth.access_denied"]);
    }

    #[test]
    fn calls_without_a_usable_answer_have_their_codes() {
        let identity = || vec![("noreply@example.com", done(answer(200, None, VERIFIED_ADDRESS)))];
        let cases = [
            (answer(429, Some("TooManyRequestsException"), r#"{"message":"slow down"}"#), "ses.answer.transient"),
            (answer(400, Some("UnknownOperationException"), r#"{"message":"no"}"#), "ses.answer.unsupported"),
            (answer(400, Some("BadRequestException"), r#"{"message":"odd"}"#), "ses.answer.error"),
            (answer(404, Some("NotFoundException"), r#"{"message":"no account"}"#), "ses.answer.error"),
            (answer(404, None, "<html>Not Found</html>"), "ses.answer.unsupported"),
            (answer(200, None, "{}"), "ses.answer.incomplete"),
        ];
        for (account, code) in cases {
            let out = diagnose(&check(), &observed(done(account), identity()));
            assert_eq!((out.status, codes(&out)), (Status::Warn, vec![code]), "{out:#?}");
        }
        let skewed = "<Error><Code>SignatureDoesNotMatch</Code><Message>Signature expired: 20260101T000000Z is now earlier than 20260101T001000Z</Message></Error>";
        let out = diagnose(&check(), &observed(done(answer(403, None, skewed)), vec![]));
        assert_eq!(codes(&out), ["ses.clock_skew"]);
    }

    #[test]
    fn iam_user_names_from_access_denied_messages() {
        assert_eq!(iam_user("User: arn:aws:iam::1:user/app is not authorized").as_deref(), Some("app"));
        assert_eq!(iam_user("User: arn:aws:iam::1:user/path/to/app is not").as_deref(), Some("app"));
        assert_eq!(iam_user("User: arn:aws:sts::1:assumed-role/r/s is not"), None);
    }
}

#[cfg(test)]
mod properties {
    use super::super::account::properties::mixed_account;
    use super::super::identity::properties::mixed_identity;
    use super::fixtures::*;
    use super::*;
    use crate::test_strategies::{any_body, any_status, any_text, config};
    use proptest::prelude::*;
    use serde_json::json;

    /// What an SES call may answer: its data with fields of any type, an
    /// AWS error of any text, or any body at all.
    fn call_answer(data: BoxedStrategy<Value>) -> impl Strategy<Value = Answer> {
        prop_oneof![
            data.prop_map(|value| Answer {
                status: 200,
                error_type: None,
                body: value.to_string().into_bytes(),
                truncated: false,
                redirect: None
            }),
            (400u16..600, any_text(), any_text()).prop_map(|(status, code, message)| {
                let body = json!({ "__type": code, "message": message }).to_string().into_bytes();
                Answer { status, error_type: None, body, truncated: false, redirect: None }
            }),
            (any_status(), any_body()).prop_map(|(status, body)| Answer {
                status,
                error_type: None,
                body,
                truncated: false,
                redirect: None
            }),
        ]
    }

    proptest! {
        #![proptest_config(config())]

        /// Whatever GetAccount and GetEmailIdentity answer, the diagnosis
        /// comes without a panic, its summary is one printable line and its
        /// cause one printable line per problem (the JSON report's
        /// contract; the terminal shows both as they are).
        #[test]
        fn any_answers_give_printable_lines(
            account in call_answer(mixed_account().prop_map(Value::Object).boxed()),
            address in call_answer(mixed_identity().prop_map(Value::Object).boxed()),
            domain in call_answer(mixed_identity().prop_map(Value::Object).boxed()),
        ) {
            let identities = vec![("noreply@example.com", done(Ok(address))), ("example.com", done(Ok(domain)))];
            let out = diagnose(&check(), &observed(done(Ok(account)), identities));
            prop_assert!(!out.summary.contains(char::is_control), "summary {:?}", out.summary);
            for line in out.causes.join("\n").lines() {
                prop_assert!(!line.contains(char::is_control), "cause line {:?}", line);
            }
            // Every problem is coded: the main finding is the summary's.
            prop_assert_eq!(out.findings.is_empty(), out.status == Status::Ok, "{:#?}", out);
            if let Some(main) = out.findings.first() {
                prop_assert_eq!((main.status, main.summary.as_str()), (out.status, out.summary.as_str()));
            }
            prop_assert!(out.findings.iter().all(|f| f.code.is_in("ses")), "{:?}", out.findings);
            let shown = format!("{out:?}");
            prop_assert!(!shown.contains(SECRET_KEY) && !shown.contains(ACCESS_KEY), "a key reached the outcome");
        }
    }
}
