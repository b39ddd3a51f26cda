//! SESv2 GetEmailIdentity for the app's sender: SES sends only from a
//! verified address, or from any address of a verified domain. The address
//! is asked first, its domain when the address is not verified itself. Pure.

use super::aws::{self, ErrorKind, Reply};
use super::client::{Answer, RequestError};
use super::codes;
use super::diagnose::{Call, Diagnosis, Operation};
use super::{parse_sender, Probe};
use crate::human::text_field;
use crate::report::{Action, Priority};
use serde_json::Value;

/// What GetEmailIdentity said; a field missing from the answer, or of
/// another type, is `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    /// `EMAIL_ADDRESS`, `DOMAIN` or `MANAGED_DOMAIN`.
    pub kind: Option<String>,
    pub verified_for_sending: Option<bool>,
    /// `PENDING`, `SUCCESS`, `FAILED`, `TEMPORARY_FAILURE` or `NOT_STARTED`.
    pub verification_status: Option<String>,
    pub dkim_status: Option<String>,
    pub dkim_signing: Option<bool>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Verified,
    NotVerified,
    /// The two fields disagree: VerificationStatus SUCCESS but
    /// VerifiedForSendingStatus false, or the reverse. AWS keeps them in
    /// step; an emulator may not (moto answers SUCCESS and false).
    Conflicting,
}

impl Identity {
    pub fn read(value: &Value) -> Identity {
        let dkim = value.get("DkimAttributes");
        // One printable line: the verification status reaches the summary.
        Identity {
            kind: text_field(value.get("IdentityType")),
            verified_for_sending: value.get("VerifiedForSendingStatus").and_then(Value::as_bool),
            verification_status: text_field(value.get("VerificationStatus")),
            dkim_status: text_field(dkim.and_then(|d| d.get("Status"))),
            dkim_signing: dkim.and_then(|d| d.get("SigningEnabled")).and_then(Value::as_bool),
        }
    }

    /// VerifiedForSendingStatus decides whether SES sends; VerificationStatus
    /// (newer) must not contradict it.
    pub fn verdict(&self) -> Verdict {
        match (self.verified_for_sending, self.verification_status.as_deref()) {
            (Some(true), None | Some("SUCCESS")) | (None, Some("SUCCESS")) => Verdict::Verified,
            (Some(true), Some(_)) | (Some(false), Some("SUCCESS")) => Verdict::Conflicting,
            _ => Verdict::NotVerified,
        }
    }

    fn lines(&self) -> String {
        let shown = |v: Option<String>| v.unwrap_or_else(|| "not in the answer".into());
        let first = format!(
            "HTTP 200: {}, VerifiedForSendingStatus {}, VerificationStatus {}",
            shown(self.kind.clone()),
            shown(self.verified_for_sending.map(|b| b.to_string())),
            shown(self.verification_status.clone())
        );
        let signing = match self.dkim_signing {
            Some(true) => ", signing enabled",
            Some(false) => ", signing disabled",
            None => "",
        };
        format!("{first}\nDKIM: {}{signing}", shown(self.dkim_status.clone()))
    }
}

/// Why the sender is not to be asked about after this GetAccount answer:
/// SES did not answer, or refused the keys (every call would fail alike).
pub fn stop_after(account: &Result<Answer, RequestError>) -> Option<&'static str> {
    match account {
        Ok(answer) if answer.redirect.is_some() => Some("the SES endpoint redirected the request"),
        Err(_) => Some("SES did not answer"),
        Ok(answer) => match aws::read(answer) {
            Reply::Error(e) if matches!(e.kind(), ErrorKind::KeyUnknown | ErrorKind::SecretMismatch) => {
                Some("AWS refused the keys")
            }
            Reply::Error(e) if e.kind() == ErrorKind::ClockSkew => Some("AWS refused the request's time"),
            _ => None,
        },
    }
}

/// Whether the domain is worth asking about after this answer for the
/// address: only when SES said the address is absent or not verified.
pub fn try_domain_after(address: &Result<Answer, RequestError>) -> bool {
    // A redirect is not SES speaking: it says nothing of the address.
    let Some(answer) = address.as_ref().ok().filter(|answer| answer.redirect.is_none()) else { return false };
    match aws::read(answer) {
        Reply::Data(value) => Identity::read(&value).verdict() != Verdict::Verified,
        Reply::Error(error) => error.kind() == ErrorKind::NotFound,
        _ => false,
    }
}

/// What one lookup established.
enum Seen {
    Identity(Identity),
    Absent,
    /// Not asked, or no usable answer (already reported).
    Unknown,
}

/// The sender's findings; returns the words for the summary when it is verified.
pub fn findings(d: &mut Diagnosis, lookups: &[(String, Probe)]) -> Option<String> {
    let from_name = d.check.names.from.clone();
    let sender = match d.check.from.as_deref().map(parse_sender) {
        None => {
            d.found.evidence("sender identity", None, format!("not checked: {from_name} is not set"));
            return None;
        }
        Some(Err(_)) => {
            d.found.evidence("sender identity", None, format!("not checked: {from_name} is not an email address"));
            return None;
        }
        Some(Ok(sender)) => sender,
    };
    let seen: Vec<Seen> = lookups.iter().map(|(identity, probe)| lookup(d, identity, probe)).collect();
    if let Some(i) = seen.iter().position(|s| matches!(s, Seen::Identity(id) if id.verdict() == Verdict::Verified)) {
        let (identity, _) = &lookups[i];
        if let Seen::Identity(found) = &seen[i] {
            dkim_findings(d, identity, found);
        }
        return Some(match identity == &sender.address {
            true => format!("sender {} verified", sender.address),
            false => format!("sender {} verified through its domain {identity}", sender.address),
        });
    }
    if seen.iter().any(|s| matches!(s, Seen::Unknown)) || seen.is_empty() {
        return None;
    }
    let region = d.region();
    let cli = d.cli_args();
    let conflicting = lookups.iter().zip(&seen).find_map(|((identity, _), s)| match s {
        Seen::Identity(found) if found.verdict() == Verdict::Conflicting => Some((identity, found)),
        _ => None,
    });
    if let Some((identity, found)) = conflicting {
        d.warning(
            codes::IDENTITY_CONFLICTING,
            format!("SES contradicts itself about the sender identity {identity}"),
            format!(
                "GetEmailIdentity for {identity} says VerificationStatus {} but VerifiedForSendingStatus {}: AWS keeps the two in step, so this answer does not come from AWS (moto answers this way) and whether SES would send from {} is not known",
                found.verification_status.as_deref().unwrap_or("?"),
                found.verified_for_sending.map_or("?".into(), |b| b.to_string()),
                sender.address
            ),
            vec![Action::new(Priority::Low, format!("Check the identity against AWS itself (unset {})", d.check.names.endpoint))
                .with_command(format!("aws sesv2 get-email-identity --email-identity {identity} {cli}"))],
        );
        return None;
    }
    let pending = lookups.iter().zip(&seen).find_map(|((identity, _), s)| match s {
        Seen::Identity(found) => Some((identity, found)),
        _ => None,
    });
    match pending {
        Some((identity, found)) => {
            let status = found.verification_status.as_deref().unwrap_or("not verified");
            let how = match found.kind.as_deref() {
                Some("EMAIL_ADDRESS") => "click the link in the verification mail SES sent to the address (or resend it)".to_string(),
                _ => "publish the DKIM CNAME records SES gives for the domain in its DNS".to_string(),
            };
            d.serious(
                codes::IDENTITY_UNVERIFIED,
                format!("sender {} is not verified ({identity}: {status})", sender.address),
                format!("the SES identity {identity} exists in {region} but is not verified for sending (VerificationStatus {status}): SES rejects mail from {} (MessageRejected: Email address is not verified)", sender.address),
                vec![Action::new(Priority::High, format!("Complete the verification of {identity}: {how}"))
                    .with_command(format!("aws sesv2 get-email-identity --email-identity {identity} {cli}"))],
            );
        }
        None => d.serious(
            codes::IDENTITY_MISSING,
            format!("sender {} has no verified SES identity in {region}", sender.address),
            format!("neither the address {} nor its domain {} is an SES identity in {region}: SES rejects every message from {} (MessageRejected: Email address is not verified). Identities belong to one region: one verified elsewhere does not count", sender.address, sender.domain, sender.address),
            vec![Action::new(Priority::High, format!("Verify the domain {} in SES in {region} (then publish the DKIM CNAME records it returns), or at least the address", sender.domain))
                .with_command(format!("aws sesv2 create-email-identity --email-identity {} {cli}", sender.domain))],
        ),
    }
    None
}

fn lookup(d: &mut Diagnosis, identity: &str, probe: &Probe) -> Seen {
    let label = format!("identity {identity}");
    let command = d.command(&["identities", identity]);
    let result = match probe {
        Probe::Done(result) => result,
        unanswered => {
            d.found.evidence(label, Some(&command), unanswered.why_unanswered());
            return Seen::Unknown;
        }
    };
    let region = d.region();
    match d.call(Operation::GetEmailIdentity, result) {
        Call::Data(value) => {
            let found = Identity::read(&value);
            d.found.evidence(label, Some(&command), found.lines());
            Seen::Identity(found)
        }
        Call::NotFound(error) => {
            d.found.evidence(
                label,
                Some(&command),
                format!("HTTP {} {} (no such identity in {region})", error.status, error.text()),
            );
            Seen::Absent
        }
        Call::Failed(line) => {
            d.found.evidence(label, Some(&command), line);
            Seen::Unknown
        }
    }
}

/// A verified domain whose DKIM records went missing still sends, unsigned:
/// mail then lands in spam or is refused by DMARC.
fn dkim_findings(d: &mut Diagnosis, identity: &str, found: &Identity) {
    if let Some(status @ ("FAILED" | "TEMPORARY_FAILURE")) = found.dkim_status.as_deref() {
        d.warning(
            codes::IDENTITY_DKIM_FAILED,
            format!("DKIM of {identity} is {status}"),
            format!("SES can no longer find the DKIM CNAME records of {identity} (DKIM status {status}): mail goes out unsigned, which receivers with DMARC refuse or file as spam"),
            vec![Action::new(Priority::Medium, format!("Restore the DKIM CNAME records of {identity} in its DNS"))
                .with_command(format!("aws sesv2 get-email-identity --email-identity {identity} {}   # DkimAttributes.Tokens", d.cli_args()))],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::diagnose::diagnose;
    use super::super::diagnose::fixtures::*;
    use super::*;
    use crate::report::Status;

    const NOT_FOUND: &str = r#"{"message":"Email identity noreply@example.com does not exist."}"#;
    const MOTO_IDENTITY: &str = r#"{"IdentityType":"EMAIL_ADDRESS","FeedbackForwardingStatus":false,"VerifiedForSendingStatus":false,"DkimAttributes":{"SigningEnabled":false,"Status":"NOT_STARTED"},"VerificationStatus":"SUCCESS"}"#;

    fn account() -> Probe {
        done(answer(200, None, PRODUCTION))
    }

    fn absent() -> Probe {
        done(answer(404, Some("NotFoundException"), NOT_FOUND))
    }

    /// The diagnosis where the sender's address is no identity and its
    /// domain answers `body`.
    fn with_domain(body: &str) -> crate::report::Outcome {
        let lookups = vec![("noreply@example.com", absent()), ("example.com", done(answer(200, None, body)))];
        diagnose(&check(), &observed(account(), lookups))
    }

    #[test]
    fn texts_are_one_printable_line() {
        let found =
            Identity::read(&serde_json::json!({ "VerificationStatus": "PENDING\u{1b}[2J", "IdentityType": "\n" }));
        assert_eq!((found.verification_status.as_deref(), found.kind), (Some("PENDING [2J"), None));
    }

    #[test]
    fn verdicts_of_the_two_fields() {
        let id = |v: Option<bool>, s: Option<&str>| Identity {
            verified_for_sending: v,
            verification_status: s.map(str::to_string),
            ..Identity::default()
        };
        assert_eq!(id(Some(true), Some("SUCCESS")).verdict(), Verdict::Verified);
        assert_eq!(id(Some(true), None).verdict(), Verdict::Verified);
        assert_eq!(id(Some(false), Some("PENDING")).verdict(), Verdict::NotVerified);
        assert_eq!(id(Some(false), Some("SUCCESS")).verdict(), Verdict::Conflicting);
        assert_eq!(id(Some(true), Some("FAILED")).verdict(), Verdict::Conflicting);
        assert_eq!(id(None, None).verdict(), Verdict::NotVerified);
    }

    #[test]
    fn a_verified_domain_covers_its_addresses() {
        let domain = r#"{"IdentityType":"DOMAIN","VerifiedForSendingStatus":true,"VerificationStatus":"SUCCESS","DkimAttributes":{"SigningEnabled":true,"Status":"SUCCESS"}}"#;
        let out = with_domain(domain);
        assert_eq!(out.status, Status::Ok, "{out:#?}");
        assert!(
            out.summary.ends_with("; sender noreply@example.com verified through its domain example.com"),
            "{}",
            out.summary
        );
        assert!(out.evidence_of("identity noreply@example.com").ends_with(" (no such identity in eu-west-1)"));
        assert_eq!(out.evidence_of("identity example.com").lines().nth(1), Some("DKIM: SUCCESS, signing enabled"));
    }

    #[test]
    fn no_identity_fails_when_ses_is_the_provider_and_warns_otherwise() {
        let lookups = || vec![("noreply@example.com", absent()), ("example.com", absent())];
        let out = diagnose(&check(), &observed(account(), lookups()));
        assert_eq!(
            (out.status, out.summary.as_str()),
            (Status::Fail, "sender noreply@example.com has no verified SES identity in eu-west-1")
        );
        assert!(out.actions[0]
            .command
            .as_deref()
            .unwrap()
            .starts_with("aws sesv2 create-email-identity --email-identity example.com --region eu-west-1"));
        assert_eq!(out.codes(), ["ses.identity.missing"]);
        let mut unused = check();
        unused.provider = super::super::Provider::Smtp;
        assert_eq!(diagnose(&unused, &observed(account(), lookups())).status, Status::Warn);
    }

    #[test]
    fn a_pending_identity_says_how_to_finish() {
        let pending = r#"{"IdentityType":"DOMAIN","VerifiedForSendingStatus":false,"VerificationStatus":"PENDING","DkimAttributes":{"Status":"PENDING"}}"#;
        let out = with_domain(pending);
        assert_eq!(out.summary, "sender noreply@example.com is not verified (example.com: PENDING)");
        assert_eq!(out.codes(), ["ses.identity.unverified"]);
        assert!(out.actions[0].text.contains("DKIM CNAME records"), "{out:#?}");
    }

    #[test]
    fn contradicting_fields_are_a_warning_not_a_verdict() {
        let out = diagnose(
            &check(),
            &observed(
                account(),
                vec![("noreply@example.com", done(answer(200, None, MOTO_IDENTITY))), ("example.com", absent())],
            ),
        );
        assert_eq!(
            (out.status, out.summary.as_str()),
            (Status::Warn, "SES contradicts itself about the sender identity noreply@example.com")
        );
        assert_eq!(out.codes(), ["ses.identity.conflicting"]);
    }

    #[test]
    fn failed_dkim_on_the_verified_domain_warns() {
        let domain = r#"{"IdentityType":"DOMAIN","VerifiedForSendingStatus":true,"VerificationStatus":"SUCCESS","DkimAttributes":{"SigningEnabled":true,"Status":"FAILED"}}"#;
        let out = with_domain(domain);
        assert_eq!((out.status, out.summary.as_str()), (Status::Warn, "DKIM of example.com is FAILED"));
        assert_eq!(out.codes(), ["ses.identity.dkim_failed"]);
    }

    #[test]
    fn lookups_stop_and_continue_on_the_right_answers() {
        assert_eq!(stop_after(&Err(RequestError::Refused { endpoint: "x".into() })), Some("SES did not answer"));
        let sig = "<Error><Code>SignatureDoesNotMatch</Code></Error>";
        assert_eq!(stop_after(&answer(403, None, sig)), Some("AWS refused the keys"));
        assert_eq!(
            stop_after(&answer(404, None, "<html>Not Found</html>")),
            None,
            "a missing GetAccount stops nothing"
        );
        assert!(
            stop_after(&answer(403, Some("AccessDeniedException"), "{}")).is_none(),
            "another permission may be granted"
        );
        assert!(try_domain_after(&answer(404, Some("NotFoundException"), NOT_FOUND)));
        assert!(try_domain_after(&answer(200, None, MOTO_IDENTITY)));
        assert!(!try_domain_after(&answer(200, None, VERIFIED_ADDRESS)));
        assert!(!try_domain_after(&answer(403, Some("AccessDeniedException"), "{}")));
    }

    #[test]
    fn without_from_the_sender_is_not_checked() {
        let mut c = check();
        c.from = None;
        let out = diagnose(&c, &observed(account(), vec![]));
        assert_eq!(
            (out.status, out.summary.as_str()),
            (Status::Warn, "EMAIL_FROM is not set: the sender identity was not checked")
        );
        assert_eq!(out.evidence_of("sender identity"), "not checked: EMAIL_FROM is not set");
        assert_eq!(out.codes(), ["ses.config.sender_missing"]);
    }
}

#[cfg(test)]
pub(super) mod properties {
    use super::*;
    use crate::test_strategies::{config, mixed_object, JsonKind};
    use proptest::prelude::*;
    use serde_json::{json, Map};

    const DKIM_FIELDS: [(&str, JsonKind); 2] = [("Status", JsonKind::Text), ("SigningEnabled", JsonKind::Bool)];
    const VERIFICATION: [&str; 5] = ["PENDING", "SUCCESS", "FAILED", "TEMPORARY_FAILURE", "NOT_STARTED"];

    /// A GetEmailIdentity answer with every field, DKIM's too, left out, of
    /// its type or of another type.
    pub fn mixed_identity() -> impl Strategy<Value = Map<String, Value>> {
        let dkim = prop_oneof![
            3 => mixed_object(&DKIM_FIELDS).prop_map(Value::Object),
            1 => JsonKind::Object.other(),
        ];
        let status = prop_oneof![
            prop::sample::select(VERIFICATION.to_vec()).prop_map(Value::from),
            JsonKind::Text.right_or_wrong()
        ];
        (
            mixed_object(&[("IdentityType", JsonKind::Text), ("VerifiedForSendingStatus", JsonKind::Bool)]),
            proptest::option::weighted(0.8, status),
            proptest::option::weighted(0.8, dkim),
        )
            .prop_map(|(mut identity, status, dkim)| {
                identity.extend(status.map(|s| ("VerificationStatus".to_string(), s)));
                identity.extend(dkim.map(|d| ("DkimAttributes".to_string(), d)));
                identity
            })
    }

    proptest! {
        #![proptest_config(config())]

        /// An identity as AWS writes it reads back, and the verdict follows
        /// the two fields: verified when both say so, conflicting when they
        /// disagree.
        #[test]
        fn an_identity_reads_back(
            kind in prop::sample::select(vec!["EMAIL_ADDRESS", "DOMAIN", "MANAGED_DOMAIN"]),
            verified in any::<bool>(),
            status in prop::sample::select(VERIFICATION.to_vec()),
            dkim_status in prop::sample::select(VERIFICATION.to_vec()),
            signing in any::<bool>(),
        ) {
            let body = json!({
                "IdentityType": kind, "FeedbackForwardingStatus": true, "VerifiedForSendingStatus": verified,
                "VerificationStatus": status,
                "DkimAttributes": { "SigningEnabled": signing, "Status": dkim_status, "Tokens": ["t1"] },
            });
            let identity = Identity::read(&body);
            let expected = Identity {
                kind: Some(kind.to_string()),
                verified_for_sending: Some(verified),
                verification_status: Some(status.to_string()),
                dkim_status: Some(dkim_status.to_string()),
                dkim_signing: Some(signing),
            };
            prop_assert_eq!(&identity, &expected);
            let verdict = match (verified, status == "SUCCESS") {
                (true, true) => Verdict::Verified,
                (false, false) => Verdict::NotVerified,
                _ => Verdict::Conflicting,
            };
            prop_assert_eq!(identity.verdict(), verdict);
        }

        /// A field of another type counts as absent: a wrong-typed flag is
        /// never read as verified, and a text is one printable line.
        #[test]
        fn fields_of_another_type_count_as_absent(sent in mixed_identity()) {
            let identity = Identity::read(&Value::Object(sent.clone()));
            let verified = sent.get("VerifiedForSendingStatus").and_then(Value::as_bool);
            prop_assert_eq!(identity.verified_for_sending, verified);
            let status = sent.get("VerificationStatus").and_then(Value::as_str).map(crate::human::one_line);
            let success = status.as_deref() == Some("SUCCESS");
            if identity.verdict() == Verdict::Verified {
                prop_assert!(verified == Some(true) || success, "{:?}", sent);
            }
            for text in [&identity.kind, &identity.verification_status, &identity.dkim_status].into_iter().flatten() {
                prop_assert!(!text.is_empty() && !text.contains(char::is_control), "{:?}", text);
            }
            prop_assert!(!identity.lines().contains(|c: char| c.is_control() && c != '\n'));
        }
    }
}
