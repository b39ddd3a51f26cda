//! Whether the start URL could be reached and over what: a request without
//! an answer told by `crate::unanswered` in the oauth check's words (its
//! codes, its settings, a backend behind an ingress), and the TLS evidence
//! of an answer. Pure.

use super::client::{Answer, RequestError};
use super::codes;
use super::diagnose::{request_command, request_command_with, Findings};
use super::OAuthCheck;
use crate::report::{Action, Priority};
use crate::unanswered::{self, Advice, CaFile, Service, Words};

pub(super) fn request_failure(check: &OAuthCheck, error: &RequestError, found: &mut Findings) {
    found.evidence("request", Some(&request_command(check)), format!("no answer: {}", error));
    let url = check.shown_url();
    let host = crate::http::host(&check.url);
    let request = format!("POST {}", check.url.path());
    let service = Service {
        codes: &codes::UNANSWERED,
        name: "the backend",
        setting: &check.names.url,
        address: &url,
        host,
        request: &request,
        cacert: Some(ca_file(check)),
        advice: advice(check, &url, host),
    };
    found.fail_told(unanswered::told(error, &service));
}

fn ca_file(check: &OAuthCheck) -> CaFile<'_> {
    CaFile { setting: &check.names.cacert, path: check.cacert.as_deref() }
}

/// What only the oauth check knows: a backend behind an ingress, called by
/// the web client's server side, its certificate one browsers see too.
fn advice(check: &OAuthCheck, url: &str, host: &str) -> Advice {
    let url_name = &check.names.url;
    let endpoint = check.endpoint();
    Advice {
        refused: Words {
            summary: "nothing serves the start URL there".into(),
            cause: format!(
                "nothing listens on {endpoint}: the backend (or the proxy in front of it) is down, or listens on another address or port than {url_name} says"
            ),
            actions: vec![Action::new(Priority::High, format!("Check that the backend runs and listens where {url_name} says"))
                .with_command("kubectl -n <namespace> get deploy,pods,svc,endpoints\nss -ltnp   # on a VM")],
        },
        silent: Words {
            summary: "the network path to the backend is blocked from here".into(),
            cause: String::new(),
            actions: vec![Action::new(Priority::High, "Test the same URL from where the web client's server side runs")
                .with_command(format!("curl -sS -m 5 -o /dev/null -w '%{{http_code}}\\n' -X POST '{url}'"))],
        },
        failed: vec![Action::new(Priority::High, format!("Check what answers at {url}"))
            .with_command(request_command_with(check, " -v"))],
        renew: Action::new(Priority::High, "Renew the certificate of the backend's host (its ingress or load balancer); every browser refuses it too")
            .with_command(unanswered::show_chain(&endpoint, host)),
        plain_http: Words {
            summary: String::new(),
            cause: "the server there speaks plain HTTP".into(),
            actions: vec![Action::new(
                Priority::Medium,
                format!("Use http:// in {url_name} if that port is plain HTTP, or the https port of the ingress"),
            )],
        },
        trust_also: "; or serve a certificate from a public CA (what browsers trust)".into(),
        test_path: None,
    }
}

/// How the answer came: over verified TLS (and with which certificate) or in clear.
pub(super) fn tls_evidence(check: &OAuthCheck, answer: &Answer, found: &mut Findings) {
    if check.url.scheme() == "http" {
        found.evidence("TLS", None, format!("none ({} is http://)", check.names.url));
        return;
    }
    found.evidence("TLS", None, unanswered::verified(&ca_file(check), answer.certificate.as_ref()));
}

#[cfg(test)]
mod tests {
    use super::super::diagnose::{diagnose, fixtures::check};
    use super::*;
    use crate::http::tests::untrusted;
    use crate::http::TlsProblem;
    use std::time::Duration;

    #[test]
    fn each_way_of_not_answering_has_its_cause() {
        let fail = |error| diagnose(&check(), &Err(error));
        let out =
            fail(RequestError::ConnectTimeout { endpoint: "10.0.0.80:443".into(), after: Duration::from_millis(900) });
        assert_eq!(
            out.summary,
            "no answer from 10.0.0.80:443 within 900ms: the network path to the backend is blocked from here"
        );
        assert!(out.findings[0].code.is_in("oauth.unreachable"), "{out:#?}");
        let out = fail(RequestError::Dns {
            host: "backend-dev.example.com".into(),
            detail: "Name or service not known".into(),
        });
        assert_eq!(out.summary, "cannot resolve backend-dev.example.com");
        assert_eq!(out.actions[0].command.as_deref(), Some("getent hosts backend-dev.example.com"));
        let out = fail(RequestError::Failed {
            endpoint: "backend-dev.example.com:443".into(),
            detail: "connection closed".into(),
        });
        assert_eq!(out.findings[0].code.as_str(), "oauth.request_failed", "no HTTP answer");
    }

    #[test]
    fn an_untrusted_certificate_is_named_and_the_fix_is_a_ca_not_skipping_checks() {
        let error = untrusted("backend-dev.example.com:443", "backend-dev.example.com", "CN=Keybuzz CA");
        let out = diagnose(&check(), &Err(error));
        assert_eq!(out.summary, "TLS with backend-dev.example.com:443 failed: certificate not trusted");
        assert!(out.findings[0].code.is_in("oauth.tls"), "{out:#?}");
        assert_eq!(out.findings[0].issuer.as_deref(), Some("CN=Keybuzz CA"), "root causes join on the issuer");
        let cause = out.causes.join("\n");
        assert!(cause.contains("subject CN=backend-dev.example.com, issued by CN=Keybuzz CA"), "{cause}");
        assert!(out.actions[0].text.contains("set `cacert` in [checks.oauth]"), "{:#?}", out.actions);
    }

    #[test]
    fn each_way_of_not_answering_has_its_code() {
        let code = |error: RequestError| {
            let out = diagnose(&check(), &Err(error));
            assert_eq!(out.findings.len(), 1, "{out:#?}");
            assert_eq!(out.findings[0].summary, out.summary);
            out.findings[0].code.as_str()
        };
        let endpoint = || "backend-dev.example.com:443".to_string();
        let after = Duration::from_secs(5);
        assert_eq!(code(RequestError::Setup { detail: "no certificates".into() }), "oauth.tls.setup_failed");
        assert_eq!(code(RequestError::Dns { host: "x.invalid".into(), detail: "nx".into() }), "oauth.unreachable.dns");
        assert_eq!(code(RequestError::Refused { endpoint: endpoint() }), "oauth.unreachable.refused");
        assert_eq!(code(RequestError::ConnectTimeout { endpoint: endpoint(), after }), "oauth.unreachable.timeout");
        let no_route = RequestError::NoRoute { endpoint: endpoint(), detail: "No route to host".into() };
        assert_eq!(code(no_route), "oauth.unreachable.no_route");
        assert_eq!(code(RequestError::AnswerTimeout { endpoint: endpoint(), after }), "oauth.peer_stalled");
        let failed = RequestError::Failed { endpoint: endpoint(), detail: "connection closed".into() };
        assert_eq!(code(failed), "oauth.request_failed");
        for (problem, expected) in [
            (TlsProblem::Untrusted, "oauth.tls.untrusted"),
            (TlsProblem::Expired, "oauth.tls.expired"),
            (TlsProblem::NotYetValid, "oauth.tls.not_yet_valid"),
            (TlsProblem::WrongName, "oauth.tls.name_mismatch"),
            (TlsProblem::BadCertificate, "oauth.tls.bad_certificate"),
            (TlsProblem::NotTls, "oauth.tls.not_tls"),
            (TlsProblem::Other, "oauth.tls.handshake_failed"),
        ] {
            let error = RequestError::Tls { endpoint: endpoint(), problem, detail: "rustls".into(), certificate: None };
            assert_eq!(code(error), expected, "{problem:?}");
        }
    }
}
