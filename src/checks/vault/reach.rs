//! Whether Vault could be reached and over what: a request without an
//! answer told by `crate::unanswered` in Vault's words (its codes, its
//! settings, its service unit), and the TLS evidence of an answer. Pure.

use super::client::RequestError;
use super::codes;
use super::diagnose::{addr, health_command, Findings};
use super::VaultCheck;
use crate::report::{Action, Priority};
use crate::tls::CertInfo;
use crate::unanswered::{self, Advice, CaFile, Service, Words};

pub(super) fn request_failure(check: &VaultCheck, error: &RequestError, found: &mut Findings) {
    found.evidence("health", Some(&health_command(check)), format!("no answer: {}", error));
    let address = addr(check);
    let host = crate::http::host(&check.addr);
    let service = Service {
        codes: &codes::UNANSWERED,
        name: "Vault",
        setting: &check.names.addr,
        address: &address,
        host,
        request: "GET /v1/sys/health",
        cacert: Some(ca_file(check)),
        advice: advice(check, &address, host),
    };
    found.fail_told(unanswered::told(error, &service));
}

fn ca_file(check: &VaultCheck) -> CaFile<'_> {
    CaFile { setting: &check.names.cacert, path: check.cacert.as_deref() }
}

/// What only Vault's check knows: the service, its unit, its settings.
fn advice(check: &VaultCheck, addr: &str, host: &str) -> Advice {
    let addr_name = &check.names.addr;
    let endpoint = crate::http::endpoint(&check.addr, 8200);
    let port = check.addr.port_or_known_default().unwrap_or(8200);
    Advice {
        refused: Words {
            summary: "Vault is not running there".into(),
            cause: format!(
                "nothing listens on {endpoint}: the Vault service is down, or listens on another address or port than {addr_name} says. Every secret the app reads from Vault fails meanwhile, and a Vault service that stays down can go unnoticed for weeks"
            ),
            actions: vec![
                Action::new(Priority::High, "See why Vault is not running, fix it, start it")
                    .with_command("systemctl status vault\njournalctl -u vault -n 50 --no-pager\nsystemctl start vault"),
                Action::new(Priority::Medium, format!("If Vault runs, compare its listener address with {addr_name} ({addr})"))
                    .with_command("ss -ltnp | grep vault"),
            ],
        },
        silent: Words {
            summary: "the network path to Vault is blocked from here".into(),
            cause: ". A common case: the app runs in a Kubernetes cluster whose network cannot reach the private range Vault's address is in, and the app itself only says \"fetch failed\"".into(),
            actions: vec![
                Action::new(Priority::High, "Test the same address from where the app runs (inside its pod or VM), not from your workstation")
                    .with_command(format!("kubectl exec -n <namespace> deploy/<app> -- nc -vz -w 5 {host} {port}")),
                Action::new(
                    Priority::High,
                    format!("Open the path from the app's network to {endpoint} (firewall, security group, NetworkPolicy egress, routing), or give the app a Vault address it can reach"),
                ),
            ],
        },
        failed: vec![Action::new(Priority::High, format!("Check what answers at {addr} and whether it is Vault"))
            .with_command(format!("curl -sv {addr}/v1/sys/health"))],
        renew: Action::new(Priority::High, "Renew Vault's TLS certificate, then reload Vault (it re-reads its certificate on SIGHUP)")
            .with_command("systemctl reload vault"),
        plain_http: Words {
            summary: String::new(),
            cause: "Vault's listener has TLS off (tls_disable = true)".into(),
            actions: vec![Action::new(
                Priority::Medium,
                format!("Use http:// in {addr_name}, or better, enable TLS on Vault's listener so that tokens do not cross the network in clear"),
            )],
        },
        trust_also: "; give the app the same CA. Switching verification off is not a fix: the token would go to whoever answers".into(),
        test_path: None,
    }
}

pub(super) fn tls_findings(check: &VaultCheck, cert: Option<&CertInfo>, found: &mut Findings) {
    let token_note = if check.token.is_some() { ": the token crosses the network in clear" } else { "" };
    if check.addr.scheme() == "http" {
        found.evidence("TLS", None, format!("none ({} is http://){token_note}", check.names.addr));
        return;
    }
    if check.skip_verify {
        let shown = unanswered::certificate(cert);
        found.evidence("TLS", None, format!("NOT verified ({} is true)\n{shown}", check.names.skip_verify));
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
    found.evidence("TLS", None, unanswered::verified(&ca_file(check), cert));
}

#[cfg(test)]
mod tests {
    use super::super::diagnose::{diagnose, fixtures::*};
    use super::*;
    use crate::http::tests::untrusted;
    use crate::http::TlsProblem;
    use crate::report::Status;
    use std::time::Duration;

    #[test]
    fn reachability_failures_get_their_own_causes() {
        let c = check("https://10.0.0.150:8200");
        let fail = |error| diagnose(&c, &observed(Err(error)));
        let out = fail(RequestError::Refused { endpoint: "10.0.0.150:8200".into() });
        assert_eq!(out.summary, "connection refused by 10.0.0.150:8200: Vault is not running there");
        assert!(out.actions[0].command.as_deref().unwrap().contains("systemctl status vault"));
        assert_eq!(out.codes(), ["vault.unreachable.refused"]);
        let out = fail(RequestError::ConnectTimeout {
            endpoint: "10.0.0.150:8200".into(),
            after: Duration::from_millis(900),
        });
        assert_eq!(
            out.summary,
            "no answer from 10.0.0.150:8200 within 900ms: the network path to Vault is blocked from here"
        );
        assert!(out.causes.join("\n").contains("cannot reach the private range"));
        assert_eq!(out.codes(), ["vault.unreachable.timeout"]);
        let out = fail(RequestError::Dns { host: "vault.internal".into(), detail: "Name or service not known".into() });
        assert_eq!(out.summary, "cannot resolve vault.internal");
        assert!(out.actions[0].command.as_deref() == Some("getent hosts vault.internal"));
        assert_eq!(out.codes(), ["vault.unreachable.dns"]);
        let out = fail(RequestError::NoRoute { endpoint: "10.0.0.150:8200".into(), detail: "No route to host".into() });
        assert_eq!(out.codes(), ["vault.unreachable.no_route"]);
        let out = fail(RequestError::Failed { endpoint: "10.0.0.150:8200".into(), detail: "connection reset".into() });
        assert_eq!(out.codes(), ["vault.unreachable.failed"]);
        let out =
            fail(RequestError::AnswerTimeout { endpoint: "10.0.0.150:8200".into(), after: Duration::from_secs(5) });
        assert_eq!(out.codes(), ["vault.peer_stalled"]);
        let out = fail(RequestError::Setup { detail: "no certificate in the CA file".into() });
        assert_eq!(out.codes(), ["vault.tls.setup_failed"]);
    }

    #[test]
    fn untrusted_certificate_names_subject_issuer_and_the_setting() {
        let error = untrusted("10.0.0.150:8200", "vault.test", "CN=Keybuzz CA");
        let out = diagnose(&check("https://10.0.0.150:8200"), &observed(Err(error)));
        assert_eq!(out.summary, "TLS with 10.0.0.150:8200 failed: certificate not trusted");
        assert_eq!(out.codes(), ["vault.tls.untrusted"]);
        assert_eq!(out.findings[0].issuer.as_deref(), Some("CN=Keybuzz CA"), "root causes join on the issuer");
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
            assert_eq!(out.codes(), [code], "{problem:?}");
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
        assert!(out.evidence_of("TLS").starts_with("NOT verified"));
        assert_eq!(out.codes(), ["vault.skip_verify"]);
    }
}
