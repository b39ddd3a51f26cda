//! Whether the start URL could be reached and over what: each way a request
//! gets no answer (a name, a refusal, silence, no route, TLS) with its own
//! code, cause and fix, and the TLS evidence of an answer. Pure.

use super::client::{Answer, RequestError, TlsProblem};
use super::codes::*;
use super::diagnose::{request_command, Findings};
use super::text::rough;
use super::OAuthCheck;
use crate::report::{Action, Priority};
use crate::tls::CertInfo;

pub(super) fn request_failure(check: &OAuthCheck, error: &RequestError, found: &mut Findings) {
    let url_name = &check.names.url;
    let url = check.shown_url();
    let path = check.url.path();
    found.evidence("request", Some(&request_command(check)), format!("no answer: {}", error));
    if let Some((summary, cause, action)) = crate::http::slow_peer(error, "the backend") {
        return found.fail(PEER_STALLED, summary, cause, vec![action]);
    }
    match error {
        RequestError::Setup { detail } => found.fail(
            TLS_SETUP_FAILED,
            format!("cannot set up TLS for {}: {detail}", check.endpoint()),
            format!("the trust settings could not be used, so nothing was sent: {detail}"),
            vec![Action::new(
                Priority::High,
                format!("Point {} at a PEM file holding the CA certificate that signed the backend's certificate", check.names.cacert),
            )],
        ),
        RequestError::Dns { host, detail } => {
            found.fail(
                UNREACHABLE_DNS,
                format!("cannot resolve {host}"),
                format!(
                    "the host name in {url_name} ({url}) does not resolve from here ({detail}): a typo, or a name only another network's DNS knows (a cluster-internal service name seen from outside the cluster, or the reverse)"
                ),
                vec![Action::new(Priority::High, format!("Fix the host in {url_name}, or check that it resolves where this runs"))
                    .with_command(format!("getent hosts {host}"))],
            );
        }
        RequestError::Refused { endpoint } => {
            found.fail(
                UNREACHABLE_REFUSED,
                format!("connection refused by {endpoint}: nothing serves the start URL there"),
                format!(
                    "nothing listens on {endpoint}: the backend (or the proxy in front of it) is down, or listens on another address or port than {url_name} says"
                ),
                vec![Action::new(Priority::High, format!("Check that the backend runs and listens where {url_name} says"))
                    .with_command("kubectl -n <namespace> get deploy,pods,svc,endpoints\nss -ltnp   # on a VM")],
            );
        }
        RequestError::ConnectTimeout { endpoint, .. } | RequestError::NoRoute { endpoint, .. } => {
            let (code, what) = match error {
                RequestError::ConnectTimeout { after, .. } => {
                    (UNREACHABLE_TIMEOUT, format!("no answer from {endpoint} within {}", rough(*after)))
                }
                _ => (UNREACHABLE_NO_ROUTE, format!("no route to {endpoint}")),
            };
            found.fail(
                code,
                format!("{what}: the network path to the backend is blocked from here"),
                format!(
                    "the TCP connection to {endpoint} got no answer at all: from where this runs, a firewall, a security group, a Kubernetes NetworkPolicy or a missing route drops the traffic. The backend itself may be up"
                ),
                vec![Action::new(Priority::High, "Test the same URL from where the web client's server side runs")
                    .with_command(format!("curl -sS -m 5 -o /dev/null -w '%{{http_code}}\\n' -X POST '{url}'"))],
            );
        }
        RequestError::Tls { endpoint, problem, detail, certificate } => {
            tls_failure(check, endpoint, *problem, detail, certificate.as_deref(), found);
        }
        // Named above.
        RequestError::Stalled { .. } | RequestError::AnswerTimeout { .. } => {}
        RequestError::Failed { endpoint, detail } => found.fail(
            REQUEST_FAILED,
            format!("request to {endpoint} failed: {detail}"),
            format!("POST {path} to {endpoint} got no HTTP answer ({detail}): the server closed the connection, or answered something that is not HTTP"),
            vec![Action::new(Priority::High, format!("Check what answers at {url}"))
                .with_command(request_command(check).replacen("curl -sS", "curl -sS -v", 1))],
        ),
    }
}

fn trusted(check: &OAuthCheck) -> String {
    match &check.cacert {
        Some(path) => {
            format!("the system trust store (or SSL_CERT_FILE) plus {}={}", check.names.cacert, path.display())
        }
        None => "the system trust store (or SSL_CERT_FILE)".to_string(),
    }
}

fn tls_failure(
    check: &OAuthCheck,
    endpoint: &str,
    problem: TlsProblem,
    detail: &str,
    cert: Option<&CertInfo>,
    found: &mut Findings,
) {
    let url_name = &check.names.url;
    let cacert = &check.names.cacert;
    let host = check.url.host_str().unwrap_or_default().trim_matches(['[', ']']);
    let named = match cert {
        Some(cert) => format!("the server's certificate ({})", cert.describe()),
        None => "the server's certificate".to_string(),
    };
    let show_chain = format!("openssl s_client -connect {endpoint} -servername {host} -showcerts </dev/null");
    let (code, short, cause, actions) = match problem {
        TlsProblem::Untrusted => {
            let issuer = cert.map_or("its issuer".to_string(), |c| c.issuer.clone());
            let what = if cert.is_some_and(CertInfo::self_signed) {
                "is self-signed and not trusted"
            } else {
                "is not signed by a CA this host trusts"
            };
            (
                TLS_UNTRUSTED,
                "certificate not trusted",
                format!("{named} {what} (trusted here: {}); rustls says: {detail}. Browsers and the web client's server side refuse it the same way", trusted(check)),
                vec![Action::new(
                    Priority::High,
                    format!("Serve a certificate from a public CA (what browsers trust), or, for an internal CA ({issuer}), set {cacert} to that CA's PEM file or add it to SSL_CERT_FILE"),
                )
                .with_command(show_chain)],
            )
        }
        TlsProblem::Expired => (
            TLS_EXPIRED,
            "certificate expired",
            format!("{named} has expired; rustls says: {detail}. Every browser refuses it too"),
            vec![Action::new(Priority::High, "Renew the certificate of the backend's host (its ingress or load balancer)").with_command(show_chain)],
        ),
        TlsProblem::NotYetValid => (
            TLS_NOT_YET_VALID,
            "certificate not yet valid",
            format!("{named} is not valid yet for this host's clock; rustls says: {detail}"),
            vec![Action::new(Priority::High, "Check this host's clock and the certificate's dates").with_command(format!("timedatectl status\n{show_chain}"))],
        ),
        TlsProblem::WrongName => {
            let names = cert.map_or("other names".to_string(), |c| c.names.join(", "));
            (
                TLS_NAME_MISMATCH,
                "certificate does not name this host",
                format!("{named} is not valid for {host}, the host in {url_name}; rustls says: {detail}"),
                vec![Action::new(
                    Priority::High,
                    format!("Use a host in {url_name} that the certificate names ({names}), or reissue the certificate with {host} in its subjectAltName"),
                )],
            )
        }
        TlsProblem::BadCertificate => (
            TLS_BAD_CERTIFICATE,
            "certificate refused",
            format!("{named} was refused; rustls says: {detail}"),
            vec![Action::new(Priority::High, format!("Reissue the certificate as a server certificate for {host}, signed by a CA the clients trust")).with_command(show_chain)],
        ),
        TlsProblem::NotTls => (
            TLS_NOT_TLS,
            "the server does not speak TLS",
            format!("{endpoint} answered in plain text to a TLS handshake: {url_name} says https:// but the server there speaks plain HTTP; rustls says: {detail}"),
            vec![Action::new(Priority::Medium, format!("Use http:// in {url_name} if that port is plain HTTP, or the https port of the ingress"))],
        ),
        TlsProblem::Other => (
            TLS_HANDSHAKE_FAILED,
            "handshake failed",
            format!("the TLS handshake with {endpoint} failed: {detail}"),
            vec![Action::new(Priority::High, "Compare the server's TLS settings (versions, cipher suites, client certificates) with what clients offer").with_command(show_chain)],
        ),
    };
    found.fail(code, format!("TLS with {endpoint} failed: {short}"), cause, actions);
}

/// How the answer came: over verified TLS (and with which certificate) or in clear.
pub(super) fn tls_evidence(check: &OAuthCheck, answer: &Answer, found: &mut Findings) {
    if check.url.scheme() == "http" {
        found.evidence("TLS", None, format!("none ({} is http://)", check.names.url));
        return;
    }
    let cert = answer
        .certificate
        .as_ref()
        .map_or("certificate not seen".to_string(), |c| format!("certificate {}", c.describe()));
    found.evidence("TLS", None, format!("verified against {}\n{cert}", trusted(check)));
}

#[cfg(test)]
mod tests {
    use super::super::diagnose::{diagnose, fixtures::check};
    use super::*;
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
        let cert = CertInfo {
            subject: "CN=backend-dev.example.com".into(),
            issuer: "CN=Keybuzz CA".into(),
            names: vec!["backend-dev.example.com".into()],
            not_before: 1_700_000_000,
            not_after: 1_800_000_000,
        };
        let error = RequestError::Tls {
            endpoint: "backend-dev.example.com:443".into(),
            problem: TlsProblem::Untrusted,
            detail: "invalid peer certificate: UnknownIssuer".into(),
            certificate: Some(Box::new(cert)),
        };
        let out = diagnose(&check(), &Err(error));
        assert_eq!(out.summary, "TLS with backend-dev.example.com:443 failed: certificate not trusted");
        assert!(out.findings[0].code.is_in("oauth.tls"), "{out:#?}");
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
