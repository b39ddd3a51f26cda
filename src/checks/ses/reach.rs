//! No answer from the SES endpoint (DNS, refused, silent, no route, TLS), or
//! a redirect it is not followed to: one failure with its own cause. Pure.

use super::client::RequestError;
use super::codes;
use super::diagnose::Diagnosis;
use crate::redirect::Redirected;
use crate::report::{Action, Priority};
use crate::unanswered::{self, Advice, Service, Words};

/// What every failure to reach SES adds: nothing behind it was checked.
const NOTHING_CHECKED: &str = "; nothing about the keys, the account or the sender could be checked";

/// The request got no HTTP answer: a failure naming why.
pub fn unreachable(d: &mut Diagnosis, error: &RequestError) {
    let endpoint = d.check.endpoint();
    let address =
        endpoint.as_ref().map_or(String::new(), |u| crate::secret::mask_dsn(u.as_str().trim_end_matches('/')));
    let host = endpoint.as_ref().map_or(String::new(), |u| crate::http::host(u).to_string());
    let names = &d.check.names;
    // The host comes from the override, else from the region's endpoint.
    let setting = if d.check.endpoint_override.is_some() { &names.endpoint } else { &names.region };
    let service = Service {
        codes: &codes::UNANSWERED,
        name: "the SES endpoint",
        setting,
        address: &address,
        host: &host,
        request: "the SES request",
        cacert: None,
        advice: advice(d),
    };
    let mut told = unanswered::told(error, &service);
    told.cause.push_str(NOTHING_CHECKED);
    d.told(told);
}

/// What only the ses check knows: AWS's endpoint never goes down, an
/// override (an emulator, a proxy) may; whatever fails, the path from the
/// app to the endpoint is worth a test.
fn advice(d: &Diagnosis) -> Advice {
    let target = d.endpoint_text();
    let endpoint = d.check.endpoint().map_or(String::new(), |u| crate::http::endpoint(&u, 443));
    let refused = match &d.check.endpoint_override {
        Some(_) => format!(
            "nothing listens at {endpoint} ({target}): the endpoint is down, or {} points at the wrong host or port",
            d.check.names.endpoint
        ),
        None => format!("the connection to {target} was refused: a firewall or proxy on the way rejects it"),
    };
    Advice {
        refused: Words { summary: String::new(), cause: refused, actions: vec![] },
        silent: Words::default(),
        failed: vec![],
        renew: Action::new(
            Priority::High,
            "Check this host's clock, and any proxy on the way that inspects TLS: AWS renews its own certificates",
        ),
        plain_http: Words {
            summary: String::new(),
            cause: "the server there speaks plain HTTP".into(),
            actions: vec![Action::new(
                Priority::Medium,
                format!("Use http:// in {} if that port is plain HTTP (a local emulator)", d.check.names.endpoint),
            )],
        },
        trust_also: "; a proxy that inspects TLS needs its CA there".into(),
        test_path: Some(test_path(d)),
    }
}

/// Whatever keeps SES from answering, the path from the app is worth a test.
fn test_path(d: &Diagnosis) -> Action {
    let target = d.endpoint_text();
    let url = d.check.endpoint().map_or(String::new(), |u| u.as_str().trim_end_matches('/').to_string());
    Action::new(Priority::High, format!("Test the path from where the app runs (its pod or VM) to {target}: egress firewall, security group, NetworkPolicy, NAT or proxy"))
        .with_command(format!("curl -sv -o /dev/null {url}/"))
}

/// The SES endpoint answered a redirect, which the check does not follow.
pub fn redirected(d: &mut Diagnosis, redirect: &Redirected) {
    let target = d.endpoint_text();
    let code = redirect.status;
    let to = &redirect.target.shown;
    let fix = match &d.check.endpoint_override {
        Some(_) => format!("{} points at something that is not the SES API (a web site, a proxy's login, an old address): set it to the SES endpoint, or unset it for AWS's", d.check.names.endpoint),
        None => "a proxy or captive portal on the way intercepts the request: let the app's network reach AWS directly".to_string(),
    };
    let test_path = test_path(d);
    d.serious(
        codes::REDIRECTED,
        format!("HTTP {code}: {target} redirects to {to}"),
        format!("{target} answered HTTP {code} with a redirect to {to} ({}): AWS's SES API never redirects, so {fix}. kbz-check does not follow it: the request carries the app's SigV4 signature (Authorization, made with its keys), which must not reach another origin{NOTHING_CHECKED}", redirect.movement.label()),
        vec![test_path],
    );
}

#[cfg(test)]
mod tests {
    use super::super::client::Answer;
    use super::super::diagnose::{diagnose, fixtures::*};
    use super::super::Probe;
    use super::*;
    use crate::report::Status;
    use std::time::Duration;

    /// AWS's endpoint behind a proxy that inspects TLS with its own CA.
    fn untrusted() -> RequestError {
        let host = "email.eu-west-1.amazonaws.com";
        crate::http::tests::untrusted(&format!("{host}:443"), host, "CN=Corp Proxy CA")
    }

    #[test]
    fn unreachable_endpoint_fails_with_its_code() {
        let refused = Err(RequestError::Refused { endpoint: "127.0.0.1:9".into() });
        let out = diagnose(
            &check(),
            &observed(done(refused), vec![("noreply@example.com", Probe::NotRun("SES did not answer".into()))]),
        );
        assert_eq!((out.status, out.summary.as_str()), (Status::Fail, "connection refused by 127.0.0.1:9"));
        assert_eq!(codes(&out), ["ses.unreachable.refused"]);
        assert_eq!(evidence(&out, "account"), "no answer: connection refused by 127.0.0.1:9");
        let out = diagnose(&check(), &observed(done(Err(untrusted())), vec![]));
        assert_eq!(codes(&out), ["ses.tls.failed"]);
        assert_eq!(out.findings[0].issuer.as_deref(), Some("CN=Corp Proxy CA"), "root causes join on the issuer");
        let asked = url::Url::parse("http://127.0.0.1:4566/v2/email/account").unwrap();
        let redirect =
            crate::redirect::Redirected::read(&asked, 302, Some("http://127.0.0.2:4566/login?X-Amz-Signature=abc123"))
                .unwrap();
        let moved = Answer { redirect: Some(Box::new(redirect)), ..answer(302, None, "").unwrap() };
        let out = diagnose(&check(), &observed(done(Ok(moved)), vec![]));
        assert_eq!(out.status, Status::Fail);
        assert!(out.summary.starts_with("HTTP 302: the SES endpoint https://email.eu-west-1.amazonaws.com redirects to http://127.0.0.2:4566/login?X-Amz-Signature=***#"), "{}", out.summary);
        assert!(out.causes.join("\n").contains("must not reach another origin"), "{out:#?}");
        assert_eq!(codes(&out), ["ses.redirected"]);
        assert!(!format!("{out:?}").contains("abc123"));
        assert!(evidence(&out, "account").starts_with("HTTP 302 redirect to http://127.0.0.2:4566/login?"), "{out:#?}");
        let slow =
            Err(RequestError::ConnectTimeout { endpoint: "127.0.0.1:9".into(), after: Duration::from_millis(901) });
        let out = diagnose(&check(), &observed(done(slow), vec![]));
        assert_eq!(out.summary, "no answer from 127.0.0.1:9 within 900ms");
        assert_eq!(codes(&out), ["ses.unreachable.timeout"]);
        let cases = [
            (RequestError::Dns { host: "email.invalid".into(), detail: "no such host".into() }, "ses.unreachable.dns"),
            (
                RequestError::NoRoute { endpoint: "10.9.9.9:443".into(), detail: "No route to host".into() },
                "ses.unreachable.no_route",
            ),
            (
                RequestError::Failed { endpoint: "10.9.9.9:443".into(), detail: "reset".into() },
                "ses.unreachable.failed",
            ),
            (
                RequestError::AnswerTimeout { endpoint: "127.0.0.1:9".into(), after: Duration::from_secs(5) },
                "ses.peer_stalled",
            ),
        ];
        for (error, code) in cases {
            let out = diagnose(&check(), &observed(done(Err(error)), vec![]));
            assert_eq!((out.status, codes(&out)), (Status::Fail, vec![code]), "{out:#?}");
        }
        let out = diagnose(&check(), &observed(done(Err(RequestError::Setup { detail: "bad".into() })), vec![]));
        assert_eq!(codes(&out), ["ses.request_not_sent"]);
    }

    #[test]
    fn an_untrusted_certificate_of_an_unused_ses_is_a_warning() {
        let mut unused = check();
        unused.provider = super::super::Provider::Smtp;
        let out = diagnose(&unused, &observed(done(Err(untrusted())), vec![]));
        assert_eq!((out.status, codes(&out)), (Status::Warn, vec!["ses.tls.failed"]));
        assert!(out.causes.join("\n").contains("issued by CN=Corp Proxy CA"), "{out:#?}");
    }
}
