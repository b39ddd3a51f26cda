//! No answer from the SES endpoint (DNS, refused, silent, no route, TLS):
//! one failure with its own cause. Pure.

use super::client::RequestError;
use super::codes;
use super::diagnose::Diagnosis;
use crate::human::duration as rough;
use crate::report::{Action, Priority};

/// The request got no HTTP answer: a failure naming why.
pub fn unreachable(d: &mut Diagnosis, error: &RequestError) {
    let target = d.endpoint_text();
    let url = d.check.endpoint().map_or(String::new(), |u| u.as_str().trim_end_matches('/').to_string());
    let test_path = Action::new(Priority::High, format!("Test the path from where the app runs (its pod or VM) to {target}: egress firewall, security group, NetworkPolicy, NAT or proxy"))
        .with_command(format!("curl -sv -o /dev/null {url}/"));
    if let RequestError::SlowPeer(seen) = error {
        if let Some((summary, cause, action)) = crate::http::slow_peer(seen, "the SES endpoint") {
            let cause = format!("{cause}; nothing about the keys, the account or the sender could be checked");
            return d.serious(codes::PEER_STALLED, summary, cause, vec![action]);
        }
    }
    let (finding, summary, cause) = match error {
        RequestError::Setup { detail } => (codes::REQUEST_NOT_SENT, format!("cannot send the request: {detail}"), format!("the request to {target} could not be prepared: {detail}")),
        RequestError::Dns { host, detail } => (
            codes::UNREACHABLE_DNS,
            format!("cannot resolve {host}"),
            format!("the host of {target} does not resolve from here ({detail}): no DNS, a typo in the endpoint, or no Internet access from this network"),
        ),
        RequestError::Refused { endpoint } => (
            codes::UNREACHABLE_REFUSED,
            format!("connection refused by {endpoint}"),
            match &d.check.endpoint_override {
                Some(_) => format!("nothing listens at {endpoint} ({target}): the endpoint is down, or {} points at the wrong host or port", d.check.names.endpoint),
                None => format!("the connection to {target} was refused: a firewall or proxy on the way rejects it"),
            },
        ),
        RequestError::Timeout { endpoint, after } => (
            codes::UNREACHABLE_TIMEOUT,
            format!("no answer from {endpoint} within {}", rough(*after)),
            format!("{target} did not answer within {}: a firewall or egress policy drops the traffic, or the endpoint hangs", rough(*after)),
        ),
        RequestError::NoRoute { endpoint, detail } => (
            codes::UNREACHABLE_NO_ROUTE,
            format!("no route to {endpoint}"),
            format!("this host has no route to {target} ({detail})"),
        ),
        RequestError::Tls { endpoint, detail } => (
            codes::TLS_FAILED,
            format!("TLS with {endpoint} failed"),
            format!("the TLS handshake with {target} failed: {detail}. Certificates are verified against the system trust store (or SSL_CERT_FILE); a proxy that inspects TLS needs its CA there"),
        ),
        RequestError::Failed { endpoint, detail } => (
            codes::UNREACHABLE_FAILED,
            format!("request to {endpoint} failed: {detail}"),
            format!("the request to {target} got no HTTP answer: {detail}"),
        ),
        RequestError::SlowPeer(seen) => (codes::PEER_STALLED, seen.to_string(), seen.to_string()),
        RequestError::Redirected { redirect, .. } => {
            let code = redirect.status;
            let to = &redirect.target.shown;
            let fix = match &d.check.endpoint_override {
                Some(_) => format!("{} points at something that is not the SES API (a web site, a proxy's login, an old address): set it to the SES endpoint, or unset it for AWS's", d.check.names.endpoint),
                None => "a proxy or captive portal on the way intercepts the request: let the app's network reach AWS directly".to_string(),
            };
            (
                codes::REDIRECTED,
                format!("HTTP {code}: {target} redirects to {to}"),
                format!("{target} answered HTTP {code} with a redirect to {to} ({}): AWS's SES API never redirects, so {fix}. kbz-check does not follow it: the request carries the app's SigV4 signature (Authorization, made with its keys), which must not reach another origin", redirect.movement.label()),
            )
        }
    };
    d.serious(
        finding,
        summary,
        format!("{cause}; nothing about the keys, the account or the sender could be checked"),
        vec![test_path],
    );
}

pub fn error_text(error: &RequestError) -> String {
    match error {
        RequestError::Setup { detail } => format!("not sent: {detail}"),
        RequestError::Dns { host, detail } => format!("cannot resolve {host}: {detail}"),
        RequestError::Refused { endpoint } => format!("connection refused by {endpoint}"),
        RequestError::Timeout { endpoint, after } => format!("no answer from {endpoint} within {}", rough(*after)),
        RequestError::NoRoute { endpoint, detail } => format!("no route to {endpoint}: {detail}"),
        RequestError::Tls { endpoint, detail } => format!("TLS with {endpoint} failed: {detail}"),
        RequestError::Failed { endpoint, detail } => format!("request to {endpoint} failed: {detail}"),
        RequestError::SlowPeer(seen) => seen.to_string(),
        RequestError::Redirected { redirect, .. } => redirect.describe(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::diagnose::{diagnose, fixtures::*};
    use super::super::Probe;
    use super::*;
    use crate::report::Status;
    use std::time::Duration;

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
        let tls = Err(RequestError::Tls {
            endpoint: "email.eu-west-1.amazonaws.com:443".into(),
            detail: "invalid peer certificate: UnknownIssuer".into(),
        });
        let out = diagnose(&check(), &observed(done(tls), vec![]));
        assert_eq!(codes(&out), ["ses.tls.failed"]);
        let asked = url::Url::parse("http://127.0.0.1:4566/v2/email/account").unwrap();
        let redirect =
            crate::redirect::Redirected::read(&asked, 302, Some("http://127.0.0.2:4566/login?X-Amz-Signature=abc123"))
                .unwrap();
        let moved = Err(RequestError::Redirected { endpoint: "127.0.0.1:4566".into(), redirect: Box::new(redirect) });
        let out = diagnose(&check(), &observed(done(moved), vec![]));
        assert_eq!(out.status, Status::Fail);
        assert!(out.summary.starts_with("HTTP 302: the SES endpoint https://email.eu-west-1.amazonaws.com redirects to http://127.0.0.2:4566/login?X-Amz-Signature=***#"), "{}", out.summary);
        assert!(out.causes.join("\n").contains("must not reach another origin"), "{out:#?}");
        assert_eq!(codes(&out), ["ses.redirected"]);
        assert!(!format!("{out:?}").contains("abc123"));
        assert!(evidence(&out, "account").starts_with("HTTP 302 redirect to http://127.0.0.2:4566/login?"), "{out:#?}");
        let slow = Err(RequestError::Timeout { endpoint: "127.0.0.1:9".into(), after: Duration::from_millis(901) });
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
                RequestError::SlowPeer(crate::http::RequestError::AnswerTimeout {
                    endpoint: "127.0.0.1:9".into(),
                    after: Duration::from_secs(5),
                }),
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
}
