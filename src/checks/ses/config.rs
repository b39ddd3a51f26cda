//! The configuration as the app has it: each setting present or missing
//! (secrets masked), the access key id well-formed, the region one where
//! SES has an endpoint, the sender an address. Pure.

use super::codes;
use super::diagnose::Diagnosis;
use super::{and_list, assignment, key_id_kind, parse_sender, regions, KeyIdKind, Provider, SesCheck};
use crate::report::{Action, Priority};
use crate::secret::mask_dsn;

/// The configuration's evidence and findings.
pub fn findings(d: &mut Diagnosis) {
    d.found.evidence("configuration", None, lines(d.check));
    missing_settings(d);
    malformed_settings(d);
}

/// One line per setting, secrets masked with their fingerprint.
fn lines(check: &SesCheck) -> String {
    let names = &check.names;
    let provider = match &check.provider {
        Provider::Ses => "ses: SES is the app's mail provider".to_string(),
        Provider::Smtp => "smtp: SES is not in use".to_string(),
        Provider::Unset => "not set: SES is not in use (the app defaults to SMTP)".to_string(),
        Provider::Other(value) => format!("{value}: not ses, so SES is not in use"),
    };
    let access_key = match &check.access_key {
        None => "missing".to_string(),
        Some(key) => match key_id_kind(key.expose()) {
            Ok(KeyIdKind::LongTerm) => format!("{} (AKIA…: an IAM user's long-term key id)", key.masked()),
            Ok(KeyIdKind::Temporary) => format!("{} (ASIA…: a temporary STS key id)", key.masked()),
            Err(why) => format!("{} (malformed: {why})", key.masked()),
        },
    };
    let secret_key =
        check.secret_key.as_ref().map_or("missing".to_string(), |s| format!("{} (never shown)", s.masked()));
    let region = match (&check.region, check.known_region()) {
        (None, _) => "missing".to_string(),
        (Some(_), Some(region)) => format!("{}: {}", region.code, region.name),
        (Some(code), None) => format!("{code}: not an SES region"),
    };
    let from = match &check.from {
        None => "missing".to_string(),
        Some(from) => match parse_sender(from) {
            Ok(sender) if sender.address == *from => from.clone(),
            Ok(sender) => format!("{from} (sender {})", sender.address),
            Err(_) => format!("{from} (not an email address)"),
        },
    };
    let endpoint = match (&check.endpoint_override, check.endpoint()) {
        (Some(url), _) => format!("{} (overrides the AWS endpoint)", mask_dsn(url.as_str().trim_end_matches('/'))),
        (None, Some(url)) => format!("not set: {}", url.as_str().trim_end_matches('/')),
        (None, None) => "not set".to_string(),
    };
    let rows = [
        (&names.provider, provider),
        (&names.access_key, access_key),
        (&names.secret_key, secret_key),
        (&names.region, region),
        (&names.from, from),
        (&names.endpoint, endpoint),
    ];
    let width = rows.iter().map(|(name, _)| name.chars().count()).max().unwrap_or(0);
    rows.iter().map(|(name, value)| format!("{name:width$}  {value}")).collect::<Vec<_>>().join("\n")
}

fn missing_settings(d: &mut Diagnosis) {
    let check = d.check;
    let names = &check.names;
    let keys_missing = check.access_key.is_none() || check.secret_key.is_none();
    let missing = check.missing_settings();
    if !missing.is_empty() {
        let list = and_list(&missing);
        let verb = if missing.len() == 1 { "is" } else { "are" };
        let set = || {
            Action::new(
            Priority::High,
            format!("Set {list} where the app runs (an access key of an IAM user allowed ses:SendEmail, and the region where SES is set up), or use SMTP ({}) while SES is not ready", assignment(&names.provider, "smtp")),
        )
        .with_command("aws iam create-access-key --user-name <ses-user>")
        };
        if check.in_use() {
            let code = if keys_missing { codes::CONFIG_MISSING } else { codes::CONFIG_REGION_MISSING };
            d.serious(
                code,
                format!("{} but {list} {verb} not set", check.provider_text()),
                format!("the app sends its mail through SES but {list} {verb} missing: every message it tries to send fails (an app that quietly falls back to SMTP hides this)"),
                vec![set()],
            );
        } else {
            d.serious(
                codes::CONFIG_PARTIAL,
                format!("SES is partly configured: {list} {verb} not set"),
                format!(
                    "some SES settings are set but {list} {verb} missing: switching {} to ses would break sending",
                    names.provider
                ),
                vec![Action::new(Priority::Low, format!("Complete the SES settings ({list}) or remove the others"))],
            );
        }
    }
    if check.from.is_none() && check.in_use() {
        d.warning(
            codes::CONFIG_SENDER_MISSING,
            format!("{} is not set: the sender identity was not checked", names.from),
            format!("without {} kbz-check cannot tell which sender SES must have verified; SES rejects mail from an unverified sender", names.from),
            vec![Action::new(Priority::Medium, format!("Set {} to the address the app sends from", names.from))],
        );
    }
}

fn malformed_settings(d: &mut Diagnosis) {
    let check = d.check;
    let names = &check.names;
    if let Some(Err(why)) = check.access_key.as_ref().map(|key| key_id_kind(key.expose())) {
        d.serious(
            codes::CONFIG_ACCESS_KEY_MALFORMED,
            format!("{} is not an access key id", names.access_key),
            format!("{} ({}) is not an AWS access key id: {why}; AWS would refuse every request signed with it, so none was sent", names.access_key, check.access_key.as_ref().map(|k| k.masked()).unwrap_or_default()),
            vec![Action::new(
                Priority::High,
                format!("Set {} to the access key id (AKIA… and 16 more letters or digits) and {} to its secret", names.access_key, names.secret_key),
            )
            .with_command("aws iam list-access-keys --user-name <ses-user>")],
        );
    }
    if let (Some(code), None) = (&check.region, check.known_region()) {
        let hint = regions::suggest(code);
        d.serious(
            codes::CONFIG_UNKNOWN_REGION,
            format!("{}={code} is not an SES region ({hint})", names.region),
            format!("SES has no endpoint in `{code}`: {hint}. The SDK would send to email.{code}.amazonaws.com, which does not exist"),
            vec![Action::new(Priority::High, format!("Set {} to the region where the app's SES identities and production access are (e.g. eu-west-1)", names.region))],
        );
    }
    if let Some(Err(why)) = check.from.as_deref().map(parse_sender) {
        d.serious(
            codes::CONFIG_SENDER_MALFORMED,
            format!("{} is not an email address", names.from),
            format!("{why}: SES cannot send from it"),
            vec![Action::new(
                Priority::High,
                format!("Set {} to a sender address at a domain verified in SES", names.from),
            )],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::diagnose::{diagnose, fixtures::*};
    use super::super::Probe;
    use super::*;
    use crate::report::Status;

    #[test]
    fn provider_ses_without_keys_fails_as_credentials_missing() {
        let mut c = check();
        (c.access_key, c.secret_key) = (None, None);
        let why = c.blocker().unwrap();
        let out =
            diagnose(&c, &observed(Probe::NotRun(why.clone()), vec![("noreply@example.com", Probe::NotRun(why))]));
        assert_eq!(out.status, Status::Fail);
        assert_eq!(out.summary, "EMAIL_PROVIDER=ses but AWS_SES_ACCESS_KEY and AWS_SES_SECRET_KEY are not set");
        assert_eq!(out.codes(), ["ses.config.missing"]);
        assert_eq!(out.evidence_of("account"), "not asked: AWS_SES_ACCESS_KEY and AWS_SES_SECRET_KEY not set");
    }

    #[test]
    fn unused_ses_problems_are_warnings_with_low_priority() {
        let mut c = check();
        c.provider = Provider::Smtp;
        c.secret_key = None;
        let why = c.blocker().unwrap();
        let out = diagnose(&c, &observed(Probe::NotRun(why), vec![]));
        assert_eq!(out.status, Status::Warn);
        assert_eq!(out.summary, "SES is partly configured: AWS_SES_SECRET_KEY is not set");
        assert!(out.causes.join("\n").ends_with("(SES is not in use: EMAIL_PROVIDER=smtp)"), "{out:#?}");
        assert!(out.actions.iter().all(|a| a.priority == Priority::Low));
        assert_eq!(out.codes(), ["ses.config.partial"]);

        let mut c = check();
        c.region = None;
        let out = diagnose(&c, &observed(Probe::NotRun(c.blocker().unwrap()), vec![]));
        assert_eq!((out.status, out.codes()), (Status::Fail, vec!["ses.config.region_missing"]));
    }

    #[test]
    fn malformed_key_and_unknown_region_are_named() {
        let mut c = check();
        c.access_key = Some(crate::secret::Secret::new(SECRET_KEY));
        c.region = Some("eu-west-9".into());
        let out = diagnose(&c, &observed(Probe::NotRun(c.blocker().unwrap()), vec![]));
        assert_eq!(out.status, Status::Fail);
        assert_eq!(out.summary, "AWS_SES_ACCESS_KEY is not an access key id");
        assert_eq!(out.codes(), ["ses.config.access_key_malformed", "ses.config.unknown_region"]);
        let cause = out.causes.join("\n");
        assert!(cause.contains("swapped") && cause.contains("eu-west-1, eu-west-2, eu-west-3"), "{cause}");
        assert!(!cause.contains(SECRET_KEY), "{cause}");
    }
}
