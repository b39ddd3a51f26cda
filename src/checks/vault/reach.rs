//! Whether Vault could be reached and over what: each way a request gets no
//! answer (a name, a refusal, silence, no route, TLS) with its own cause and
//! fix, and the TLS evidence of an answer. Pure.

use super::client::{RequestError, TlsProblem};
use super::codes;
use super::diagnose::{addr, health_command, rough, Findings};
use super::VaultCheck;
use crate::report::{Action, Priority};
use crate::tls::CertInfo;

pub(super) fn request_failure(check: &VaultCheck, error: &RequestError, found: &mut Findings) {
    let addr_name = &check.names.addr;
    let addr = addr(check);
    found.evidence("health", Some(&health_command(check)), format!("no answer: {}", error));
    match error {
        RequestError::Setup { detail } => found.fail(
            codes::TLS_SETUP_FAILED,
            format!("cannot set up TLS for {addr}: {detail}"),
            format!("the trust settings could not be used, so nothing was sent to Vault: {detail}"),
            vec![Action::new(
                Priority::High,
                format!("Point {} at a PEM file holding the CA certificate that signed Vault's certificate", check.names.cacert),
            )],
        ),
        RequestError::Dns { host, detail } => found.fail(
            codes::UNREACHABLE_DNS,
            format!("cannot resolve {host}"),
            format!(
                "the host name in {addr_name} ({addr}) does not resolve from here ({detail}): a typo, or a name only another network's DNS knows (a cluster-internal name on a VM, or the reverse)"
            ),
            vec![Action::new(Priority::High, format!("Fix the host in {addr_name}, or check that it resolves where the app runs"))
                .with_command(format!("getent hosts {host}"))],
        ),
        RequestError::Refused { endpoint } => found.fail(
            codes::UNREACHABLE_REFUSED,
            format!("connection refused by {endpoint}: Vault is not running there"),
            format!(
                "nothing listens on {endpoint}: the Vault service is down, or listens on another address or port than {addr_name} says. Every secret the app reads from Vault fails meanwhile, and a Vault service that stays down can go unnoticed for weeks"
            ),
            vec![
                Action::new(Priority::High, "See why Vault is not running, fix it, start it")
                    .with_command("systemctl status vault\njournalctl -u vault -n 50 --no-pager\nsystemctl start vault"),
                Action::new(Priority::Medium, format!("If Vault runs, compare its listener address with {addr_name} ({addr})"))
                    .with_command("ss -ltnp | grep vault"),
            ],
        ),
        RequestError::ConnectTimeout { endpoint, .. } | RequestError::NoRoute { endpoint, .. } => {
            let (host, port) = endpoint.rsplit_once(':').unwrap_or((endpoint.as_str(), "8200"));
            let host = host.trim_matches(['[', ']']);
            let (code, what) = match error {
                RequestError::ConnectTimeout { after, .. } => {
                    (codes::UNREACHABLE_TIMEOUT, format!("no answer from {endpoint} within {}", rough(*after)))
                }
                _ => (codes::UNREACHABLE_NO_ROUTE, format!("no route to {endpoint}")),
            };
            found.fail(
                code,
                format!("{what}: the network path to Vault is blocked from here"),
                format!(
                    "the TCP connection to {endpoint} got no answer at all: from where this runs, a firewall, a security group, a Kubernetes NetworkPolicy or a missing route drops the traffic. Vault itself may be up. A common case: the app runs in a Kubernetes cluster whose network cannot reach the private range Vault's address is in, and the app itself only says \"fetch failed\""
                ),
                vec![
                    Action::new(Priority::High, "Test the same address from where the app runs (inside its pod or VM), not from your workstation")
                        .with_command(format!("kubectl exec -n <namespace> deploy/<app> -- nc -vz -w 5 {host} {port}")),
                    Action::new(
                        Priority::High,
                        format!("Open the path from the app's network to {endpoint} (firewall, security group, NetworkPolicy egress, routing), or give the app a Vault address it can reach"),
                    ),
                ],
            );
        }
        RequestError::Tls { endpoint, problem, detail, certificate } => {
            tls_failure(check, endpoint, *problem, detail, certificate.as_deref(), found)
        }
        // A peer that is there but stalls: what was seen (crate::http::slow_peer).
        RequestError::Stalled { .. } | RequestError::AnswerTimeout { .. } => {
            if let Some((summary, cause, action)) = crate::http::slow_peer(error, "Vault") {
                found.fail(codes::PEER_STALLED, summary, cause, vec![action]);
            }
        }
        RequestError::Failed { endpoint, detail } => found.fail(
            codes::UNREACHABLE_FAILED,
            format!("request to {endpoint} failed: {detail}"),
            format!("GET /v1/sys/health to {endpoint} got no HTTP answer: {detail}"),
            vec![Action::new(Priority::High, format!("Check what answers at {addr} and whether it is Vault"))
                .with_command(format!("curl -sv {addr}/v1/sys/health"))],
        ),
    }
}

fn tls_failure(
    check: &VaultCheck,
    endpoint: &str,
    problem: TlsProblem,
    detail: &str,
    cert: Option<&CertInfo>,
    found: &mut Findings,
) {
    let addr_name = &check.names.addr;
    let cacert = &check.names.cacert;
    let host = check.addr.host_str().unwrap_or_default().trim_matches(['[', ']']);
    let named = match cert {
        Some(cert) => format!("Vault's certificate ({})", cert.describe()),
        None => "Vault's certificate".to_string(),
    };
    let trusted = match &check.cacert {
        Some(path) => format!("trusted here: the system store (or SSL_CERT_FILE) plus {cacert}={}", path.display()),
        None => format!("trusted here: the system store (or SSL_CERT_FILE) only; {cacert} is not set"),
    };
    let show_chain = format!("openssl s_client -connect {endpoint} -showcerts </dev/null");
    let (code, short, cause, actions) = match problem {
        TlsProblem::Untrusted => {
            let issuer = cert.map_or("its issuer".to_string(), |c| c.issuer.clone());
            let what = if cert.is_some_and(CertInfo::self_signed) { "is self-signed and not trusted" } else { "is not signed by a CA this host trusts" };
            (
                codes::TLS_UNTRUSTED,
                "certificate not trusted",
                format!("{named} {what} ({trusted}); rustls says: {detail}. The handshake stops before any request, and an app with the same trust settings cannot reach Vault either"),
                vec![Action::new(
                    Priority::High,
                    format!("Trust the CA that issued Vault's certificate ({issuer}): set {cacert} to that CA's PEM file, or add it to the system trust store (SSL_CERT_FILE, or update-ca-certificates); give the app the same CA. Switching verification off is not a fix: the token would go to whoever answers"),
                )
                .with_command(show_chain)],
            )
        }
        TlsProblem::Expired => (
            codes::TLS_EXPIRED,
            "certificate expired",
            format!("{named} has expired; rustls says: {detail}"),
            vec![Action::new(Priority::High, "Renew Vault's TLS certificate, then reload Vault (it re-reads its certificate on SIGHUP)")
                .with_command("systemctl reload vault")],
        ),
        TlsProblem::NotYetValid => (
            codes::TLS_NOT_YET_VALID,
            "certificate not yet valid",
            format!("{named} is not valid yet: its start date is in the future for this host's clock; rustls says: {detail}"),
            vec![Action::new(Priority::High, "Check this host's clock and the certificate's dates")
                .with_command(format!("timedatectl status\n{show_chain}"))],
        ),
        TlsProblem::WrongName => {
            let names = cert.map_or("other names".to_string(), |c| c.names.join(", "));
            (
                codes::TLS_NAME_MISMATCH,
                "certificate does not name this host",
                format!("{named} is not valid for {host}, the host in {addr_name}; rustls says: {detail}"),
                vec![Action::new(
                    Priority::High,
                    format!("Use a host in {addr_name} that the certificate names ({names}), or reissue the certificate with {host} in its subjectAltName"),
                )],
            )
        }
        TlsProblem::BadCertificate => (
            codes::TLS_CERTIFICATE_REFUSED,
            "certificate refused",
            format!("{named} was refused; rustls says: {detail}"),
            vec![Action::new(
                Priority::High,
                format!("Reissue Vault's certificate as a server certificate (not a CA certificate), signed by a CA the clients trust, with {host} in its subjectAltName"),
            )
            .with_command(show_chain)],
        ),
        TlsProblem::NotTls => (
            codes::TLS_NOT_TLS,
            "the server does not speak TLS",
            format!("{endpoint} answered in plain text to a TLS handshake: {addr_name} says https:// but Vault's listener has TLS off (tls_disable = true); rustls says: {detail}"),
            vec![Action::new(
                Priority::Medium,
                format!("Use http:// in {addr_name}, or better, enable TLS on Vault's listener so that tokens do not cross the network in clear"),
            )],
        ),
        TlsProblem::Other => (
            codes::TLS_HANDSHAKE_FAILED,
            "handshake failed",
            format!("the TLS handshake with {endpoint} failed: {detail}"),
            vec![Action::new(Priority::High, "Compare Vault's listener TLS settings (tls_min_version, cipher suites, client certificates) with what clients offer")
                .with_command(show_chain)],
        ),
    };
    found.fail(code, format!("TLS with {endpoint} failed: {short}"), cause, actions);
}

pub(super) fn tls_findings(check: &VaultCheck, cert: Option<&CertInfo>, found: &mut Findings) {
    let token_note = if check.token.is_some() { ": the token crosses the network in clear" } else { "" };
    if check.addr.scheme() == "http" {
        found.evidence("TLS", None, format!("none ({} is http://){token_note}", check.names.addr));
        return;
    }
    let cert_text = cert.map_or("certificate not seen".to_string(), |c| format!("certificate {}", c.describe()));
    if check.skip_verify {
        found.evidence("TLS", None, format!("NOT verified ({} is true)\n{cert_text}", check.names.skip_verify));
        found.warn(
            codes::SKIP_VERIFY,
            format!("Vault's TLS certificate is not verified ({} is true)", check.names.skip_verify),
            format!(
                "certificate verification is off: whatever answers at {} (an impostor, a misrouted proxy) is trusted and receives the token",
                addr(check)
            ),
            vec![Action::new(
                Priority::Medium,
                format!(
                    "Trust Vault's CA instead: set {} to the CA's PEM file (or add the CA to SSL_CERT_FILE) and unset {}",
                    check.names.cacert, check.names.skip_verify
                ),
            )],
        );
        return;
    }
    let roots = match &check.cacert {
        Some(path) => {
            format!("the system trust store (or SSL_CERT_FILE) plus {}={}", check.names.cacert, path.display())
        }
        None => "the system trust store (or SSL_CERT_FILE)".to_string(),
    };
    found.evidence("TLS", None, format!("verified against {roots}\n{cert_text}"));
}

#[cfg(test)]
mod tests {
    use super::super::diagnose::{diagnose, fixtures::*};
    use super::*;
    use crate::report::Status;
    use std::time::Duration;

    #[test]
    fn reachability_failures_get_their_own_causes() {
        let c = check("https://10.0.0.150:8200");
        let fail = |error| diagnose(&c, &observed(Err(error)));
        let out = fail(RequestError::Refused { endpoint: "10.0.0.150:8200".into() });
        assert_eq!(out.summary, "connection refused by 10.0.0.150:8200: Vault is not running there");
        assert!(out.actions[0].command.as_deref().unwrap().contains("systemctl status vault"));
        assert_eq!(codes(&out), ["vault.unreachable.refused"]);
        let out = fail(RequestError::ConnectTimeout {
            endpoint: "10.0.0.150:8200".into(),
            after: Duration::from_millis(900),
        });
        assert_eq!(
            out.summary,
            "no answer from 10.0.0.150:8200 within 900ms: the network path to Vault is blocked from here"
        );
        assert!(out.causes.join("\n").contains("cannot reach the private range"));
        assert_eq!(codes(&out), ["vault.unreachable.timeout"]);
        let out = fail(RequestError::Dns { host: "vault.internal".into(), detail: "Name or service not known".into() });
        assert_eq!(out.summary, "cannot resolve vault.internal");
        assert!(out.actions[0].command.as_deref() == Some("getent hosts vault.internal"));
        assert_eq!(codes(&out), ["vault.unreachable.dns"]);
        let out = fail(RequestError::NoRoute { endpoint: "10.0.0.150:8200".into(), detail: "No route to host".into() });
        assert_eq!(codes(&out), ["vault.unreachable.no_route"]);
        let out = fail(RequestError::Failed { endpoint: "10.0.0.150:8200".into(), detail: "connection reset".into() });
        assert_eq!(codes(&out), ["vault.unreachable.failed"]);
        let out =
            fail(RequestError::AnswerTimeout { endpoint: "10.0.0.150:8200".into(), after: Duration::from_secs(5) });
        assert_eq!(codes(&out), ["vault.peer_stalled"]);
        let out = fail(RequestError::Setup { detail: "no certificate in the CA file".into() });
        assert_eq!(codes(&out), ["vault.tls.setup_failed"]);
    }

    #[test]
    fn untrusted_certificate_names_subject_issuer_and_the_setting() {
        let cert = CertInfo {
            subject: "CN=vault.test".into(),
            issuer: "CN=Keybuzz CA".into(),
            names: vec!["vault.test".into()],
            not_before: 1_700_000_000,
            not_after: 1_800_000_000,
        };
        let error = RequestError::Tls {
            endpoint: "10.0.0.150:8200".into(),
            problem: TlsProblem::Untrusted,
            detail: "invalid peer certificate: UnknownIssuer".into(),
            certificate: Some(Box::new(cert)),
        };
        let out = diagnose(&check("https://10.0.0.150:8200"), &observed(Err(error)));
        assert_eq!(out.summary, "TLS with 10.0.0.150:8200 failed: certificate not trusted");
        assert_eq!(codes(&out), ["vault.tls.untrusted"]);
        let cause = out.causes.join("\n");
        assert!(cause.contains("subject CN=vault.test") && cause.contains("issued by CN=Keybuzz CA"), "{cause}");
        assert!(
            out.actions[0].text.contains("set VAULT_CACERT") && out.actions[0].text.contains("SSL_CERT_FILE"),
            "{out:#?}"
        );
        assert!(!format!("{out:?}").contains("SKIP_VERIFY"), "skip-verify is never the advice: {out:#?}");
    }

    #[test]
    fn each_tls_problem_has_its_code() {
        let cases = [
            (TlsProblem::Untrusted, "vault.tls.untrusted"),
            (TlsProblem::Expired, "vault.tls.expired"),
            (TlsProblem::NotYetValid, "vault.tls.not_yet_valid"),
            (TlsProblem::WrongName, "vault.tls.name_mismatch"),
            (TlsProblem::BadCertificate, "vault.tls.certificate_refused"),
            (TlsProblem::NotTls, "vault.tls.not_tls"),
            (TlsProblem::Other, "vault.tls.handshake_failed"),
        ];
        for (problem, code) in cases {
            let error = RequestError::Tls {
                endpoint: "10.0.0.150:8200".into(),
                problem,
                detail: "x".into(),
                certificate: None,
            };
            let out = diagnose(&check("https://10.0.0.150:8200"), &observed(Err(error)));
            assert_eq!(codes(&out), [code], "{problem:?}");
            assert!(out.findings[0].code.is_in("vault.tls"));
        }
    }

    #[test]
    fn skip_verify_is_at_best_a_warning() {
        let mut c = check("https://127.0.0.1:8200");
        c.skip_verify = true;
        let out = diagnose(&c, &with_token(&health_body(""), answer(200, &token_body(30 * 86400, true))));
        assert_eq!(out.status, Status::Warn);
        assert!(out.summary.contains("not verified (VAULT_SKIP_VERIFY is true)"), "{}", out.summary);
        assert!(evidence(&out, "TLS").starts_with("NOT verified"));
        assert_eq!(codes(&out), ["vault.skip_verify"]);
    }
}
