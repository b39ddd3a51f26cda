//! A request that got no HTTP answer, told as a finding: code, summary,
//! cause and actions. One path for the HTTP checks (vault, oauth, ses): each
//! brings its codes and its words (the service's name, the setting that
//! holds the address, its trust settings, the advice only it can give); how
//! each failure is explained is written once, here. Pure.

use crate::code::Code;
use crate::http::{Handshake, RequestError, TlsProblem};
use crate::human::duration as rough;
use crate::report::{Action, Priority};
use crate::tls::CertInfo;
use std::path::Path;

/// A check's code for each way a request gets no answer.
pub struct Codes {
    /// Nothing was sent: the trust settings or the request could not be prepared.
    pub not_sent: Code,
    pub dns: Code,
    pub refused: Code,
    pub timeout: Code,
    pub no_route: Code,
    /// The peer is there but stalls (see [`slow_peer`]).
    pub stalled: Code,
    pub failed: Code,
    pub tls: TlsCodes,
}

/// A check's code for each [`TlsProblem`].
pub struct TlsCodes {
    pub untrusted: Code,
    pub expired: Code,
    pub not_yet_valid: Code,
    pub name_mismatch: Code,
    pub bad_certificate: Code,
    pub not_tls: Code,
    pub handshake_failed: Code,
}

impl TlsCodes {
    /// One code for every TLS problem, for a check whose codes do not tell them apart.
    pub const fn one(code: Code) -> TlsCodes {
        TlsCodes {
            untrusted: code,
            expired: code,
            not_yet_valid: code,
            name_mismatch: code,
            bad_certificate: code,
            not_tls: code,
            handshake_failed: code,
        }
    }

    fn of(&self, problem: TlsProblem) -> Code {
        match problem {
            TlsProblem::Untrusted => self.untrusted,
            TlsProblem::Expired => self.expired,
            TlsProblem::NotYetValid => self.not_yet_valid,
            TlsProblem::WrongName => self.name_mismatch,
            TlsProblem::BadCertificate => self.bad_certificate,
            TlsProblem::NotTls => self.not_tls,
            TlsProblem::Other => self.handshake_failed,
        }
    }
}

/// A check's [`Codes`], written in its codes module: the codes every HTTP
/// check names alike (`unreachable.dns`, `unreachable.refused`,
/// `unreachable.timeout`, `unreachable.no_route`, `peer_stalled` and, unless
/// `tls` is given, `tls.untrusted`, `tls.expired`, `tls.not_yet_valid`,
/// `tls.name_mismatch`, `tls.not_tls`, `tls.handshake_failed`) are taken from
/// that module; the ones that differ between checks are named.
macro_rules! kind_codes {
    (not_sent: $not_sent:expr, failed: $failed:expr, bad_certificate: $bad_certificate:expr $(,)?) => {
        $crate::unanswered::kind_codes! {
            not_sent: $not_sent,
            failed: $failed,
            tls: $crate::unanswered::TlsCodes {
                untrusted: TLS_UNTRUSTED,
                expired: TLS_EXPIRED,
                not_yet_valid: TLS_NOT_YET_VALID,
                name_mismatch: TLS_NAME_MISMATCH,
                bad_certificate: $bad_certificate,
                not_tls: TLS_NOT_TLS,
                handshake_failed: TLS_HANDSHAKE_FAILED,
            },
        }
    };
    (not_sent: $not_sent:expr, failed: $failed:expr, tls: $tls:expr $(,)?) => {
        $crate::unanswered::Codes {
            not_sent: $not_sent,
            dns: UNREACHABLE_DNS,
            refused: UNREACHABLE_REFUSED,
            timeout: UNREACHABLE_TIMEOUT,
            no_route: UNREACHABLE_NO_ROUTE,
            stalled: PEER_STALLED,
            failed: $failed,
            tls: $tls,
        }
    };
}
pub(crate) use kind_codes;

/// The service as one check names it, and the advice only that check can give.
pub struct Service<'a> {
    pub codes: &'a Codes,
    /// How causes name the server: `Vault`, `the backend`, `the SES endpoint`.
    pub name: &'a str,
    /// The setting that holds the address, as the report names it (`VAULT_ADDR`).
    pub setting: &'a str,
    /// The address as shown (any password masked).
    pub address: &'a str,
    /// The address's host, which the certificate must name.
    pub host: &'a str,
    /// The request as causes name it: `GET /v1/sys/health`.
    pub request: &'a str,
    /// The CA file setting trusted beside the system store, if the check has one.
    pub cacert: Option<CaFile<'a>>,
    pub advice: Advice,
}

/// A CA file setting (`VAULT_CACERT`) and the file it names, if set.
pub struct CaFile<'a> {
    pub setting: &'a str,
    pub path: Option<&'a Path>,
}

/// What only the check knows: how its service fails and how it is fixed.
pub struct Advice {
    /// A refused connection: the summary's end (`Vault is not running there`),
    /// why nothing listens, what to do.
    pub refused: Words,
    /// A path that stays silent (connect timeout, no route): the summary's
    /// end (`the network path to Vault is blocked from here`), what the cause
    /// adds to the shared words (a common case), what to do.
    pub silent: Words,
    /// An answer that is not HTTP: what to do.
    pub failed: Vec<Action>,
    /// How the service's certificate is renewed.
    pub renew: Action,
    /// `https://` at a plain-HTTP listener: why it is plain, what to do.
    pub plain_http: Words,
    /// Said after the shared fix of an untrusted certificate (`; give the app the same CA`).
    pub trust_also: String,
    /// How to test the path from the app to the service, added last to
    /// every failure but a peer that answered TCP and then stalled.
    pub test_path: Option<Action>,
}

/// Words a check gives for one way of failing; empty where it has none.
#[derive(Default)]
pub struct Words {
    pub summary: String,
    pub cause: String,
    pub actions: Vec<Action>,
}

/// A finding for `Findings`: `issuer` is set for a certificate refused as
/// untrusted whose issuer is known (see `Findings::untrusted`).
#[derive(Debug)]
pub struct Told {
    pub code: Code,
    pub summary: String,
    pub cause: String,
    pub actions: Vec<Action>,
    pub issuer: Option<String>,
}

/// `error` told in `service`'s words.
pub fn told(error: &RequestError, service: &Service<'_>) -> Told {
    let Service { codes, name, setting, address, request, .. } = service;
    let advice = &service.advice;
    let tail = |summary: String, end: &str| if end.is_empty() { summary } else { format!("{summary}: {end}") };
    let mut told = match error {
        RequestError::Setup { detail } => Told::new(
            codes.not_sent,
            format!("cannot send the request to {address}: {detail}"),
            format!("the request could not be prepared, so nothing was sent to {name}: {detail}"),
            service.cacert.iter().map(|ca| Action::new(
                Priority::High,
                format!("Point {} at a PEM file holding the CA certificate that signed {name}'s certificate", ca.setting),
            )).collect(),
        ),
        RequestError::Dns { host, detail } => Told::new(
            codes.dns,
            format!("cannot resolve {host}"),
            format!(
                "the host name in {setting} ({address}) does not resolve from here ({detail}): a typo, no DNS or no Internet access from this network, or a name only another network's DNS knows (a cluster-internal name seen from outside the cluster, or the reverse)"
            ),
            vec![Action::new(Priority::High, format!("Fix the host in {setting}, or check that it resolves where the app runs"))
                .with_command(format!("getent hosts {host}"))],
        ),
        RequestError::Refused { endpoint } => Told::new(
            codes.refused,
            tail(format!("connection refused by {endpoint}"), &advice.refused.summary),
            advice.refused.cause.clone(),
            advice.refused.actions.clone(),
        ),
        RequestError::ConnectTimeout { endpoint, .. } | RequestError::NoRoute { endpoint, .. } => {
            let (code, what) = match error {
                RequestError::ConnectTimeout { after, .. } => {
                    (codes.timeout, format!("no answer from {endpoint} within {}", rough(*after)))
                }
                _ => (codes.no_route, format!("no route to {endpoint}")),
            };
            let capital = name.get(..1).unwrap_or_default().to_uppercase() + name.get(1..).unwrap_or_default();
            Told::new(
                code,
                tail(what, &advice.silent.summary),
                format!(
                    "the TCP connection to {endpoint} got no answer at all: from where this runs, a firewall, a security group, a Kubernetes NetworkPolicy or a missing route drops the traffic. {capital} itself may be up{}",
                    advice.silent.cause
                ),
                advice.silent.actions.clone(),
            )
        }
        RequestError::Tls { endpoint, problem, detail, certificate } => {
            tls_failure(service, endpoint, *problem, detail, certificate.as_deref())
        }
        RequestError::Stalled { .. } | RequestError::AnswerTimeout { .. } => {
            let (summary, cause, action) = slow_peer(error, name);
            Told::new(codes.stalled, summary, cause, action.into_iter().collect())
        }
        RequestError::Failed { endpoint, detail } => Told::new(
            codes.failed,
            format!("request to {endpoint} failed: {detail}"),
            format!("{request} to {endpoint} got no HTTP answer ({detail}): the server closed the connection, or answered something that is not HTTP"),
            advice.failed.clone(),
        ),
    };
    if !matches!(error, RequestError::Stalled { .. } | RequestError::AnswerTimeout { .. }) {
        told.actions.extend(advice.test_path.iter().cloned());
    }
    told
}

impl Told {
    fn new(code: Code, summary: String, cause: String, actions: Vec<Action>) -> Told {
        Told { code, summary, cause, actions, issuer: None }
    }
}

/// What certificates are verified against: `the system trust store (or
/// SSL_CERT_FILE) plus VAULT_CACERT=/etc/ca.pem`.
pub fn trusted(cacert: Option<&CaFile<'_>>) -> String {
    let store = "the system trust store (or SSL_CERT_FILE)";
    match cacert {
        Some(CaFile { setting, path: Some(path) }) => format!("{store} plus {setting}={}", path.display()),
        _ => store.to_string(),
    }
}

/// The TLS evidence of an answer whose certificate was verified: what it was
/// verified against, then the certificate.
pub fn verified(cacert: &CaFile<'_>, cert: Option<&CertInfo>) -> String {
    format!("verified against {}\n{}", trusted(Some(cacert)), certificate(cert))
}

/// `certificate` and what it says, or that it was not seen.
pub fn certificate(cert: Option<&CertInfo>) -> String {
    cert.map_or("certificate not seen".to_string(), |c| format!("certificate {}", c.describe()))
}

/// The command that shows the chain a server sends.
pub fn show_chain(endpoint: &str, host: &str) -> String {
    format!("openssl s_client -connect {endpoint} -servername {host} -showcerts </dev/null")
}

fn tls_failure(
    service: &Service<'_>,
    endpoint: &str,
    problem: TlsProblem,
    detail: &str,
    cert: Option<&CertInfo>,
) -> Told {
    let Service { name, setting, host, advice, .. } = service;
    let named = match cert {
        Some(cert) => format!("{name}'s certificate ({})", cert.describe()),
        None => format!("{name}'s certificate"),
    };
    let show_chain = show_chain(endpoint, host);
    let (short, cause, actions) = match problem {
        TlsProblem::Untrusted => {
            let issuer = cert.map_or("its issuer".to_string(), |c| c.issuer.clone());
            let what = if cert.is_some_and(CertInfo::self_signed) { "is self-signed and not trusted" } else { "is not signed by a CA this host trusts" };
            let trust = match &service.cacert {
                Some(ca) => format!("set {} to that CA's PEM file, or add it to the system trust store", ca.setting),
                None => "add it to the system trust store".to_string(),
            };
            let mut trusted = trusted(service.cacert.as_ref());
            if let Some(CaFile { setting, path: None }) = &service.cacert {
                trusted.push_str(&format!(" only; {setting} is not set"));
            }
            (
                "certificate not trusted",
                format!("{named} {what} (trusted here: {trusted}); rustls says: {detail}. The handshake stops before any request, and an app with the same trust settings cannot reach {name} either"),
                vec![Action::new(
                    Priority::High,
                    format!("Trust the CA that issued {name}'s certificate ({issuer}): {trust} (SSL_CERT_FILE, or update-ca-certificates){}", advice.trust_also),
                )
                .with_command(show_chain)],
            )
        }
        TlsProblem::Expired => ("certificate expired", format!("{named} has expired; rustls says: {detail}"), vec![advice.renew.clone()]),
        TlsProblem::NotYetValid => (
            "certificate not yet valid",
            format!("{named} is not valid yet: its start date is in the future for this host's clock; rustls says: {detail}"),
            vec![Action::new(Priority::High, "Check this host's clock and the certificate's dates")
                .with_command(format!("timedatectl status\n{show_chain}"))],
        ),
        TlsProblem::WrongName => {
            let names = cert.map_or("other names".to_string(), |c| c.names.join(", "));
            (
                "certificate does not name this host",
                format!("{named} is not valid for {host}, the host in {setting}; rustls says: {detail}"),
                vec![Action::new(
                    Priority::High,
                    format!("Use a host in {setting} that the certificate names ({names}), or reissue the certificate with {host} in its subjectAltName"),
                )],
            )
        }
        TlsProblem::BadCertificate => (
            "certificate refused",
            format!("{named} was refused; rustls says: {detail}"),
            vec![Action::new(
                Priority::High,
                format!("Reissue {name}'s certificate as a server certificate (not a CA certificate), signed by a CA the clients trust, with {host} in its subjectAltName"),
            )
            .with_command(show_chain)],
        ),
        TlsProblem::NotTls => (
            "the server does not speak TLS",
            format!("{endpoint} answered in plain text to a TLS handshake: {setting} says https:// but {}; rustls says: {detail}", advice.plain_http.cause),
            advice.plain_http.actions.clone(),
        ),
        TlsProblem::Other => (
            "handshake failed",
            format!("the TLS handshake with {endpoint} failed: {detail}"),
            vec![Action::new(Priority::High, format!("Compare {name}'s TLS settings (versions, cipher suites, client certificates) with what clients offer"))
                .with_command(show_chain)],
        ),
    };
    let mut told =
        Told::new(service.codes.tls.of(problem), format!("TLS with {endpoint} failed: {short}"), cause, actions);
    if problem == TlsProblem::Untrusted {
        told.issuer = cert.map(|cert| cert.issuer.clone());
    }
    told
}

/// The finding for a peer that is there but stalls (a [`RequestError::Stalled`]
/// or [`RequestError::AnswerTimeout`]): what was seen, never "a firewall"
/// (the TCP handshake was answered). `service` names the server.
fn slow_peer(error: &RequestError, service: &str) -> (String, String, Option<Action>) {
    let said = error.to_string();
    let (summary, cause, action) = match error {
        RequestError::Stalled { endpoint, handshake: Handshake::NotTls, .. } => (
            format!("{endpoint} was slow to accept the TCP connection"),
            format!("{said}. The port is open, so nothing blocks the path for good; {service} (or what listens in front of it) cannot keep up with new connections"),
            format!("See how loaded {service} is and how many connections wait on {endpoint}"),
        ),
        RequestError::Stalled { endpoint, handshake: Handshake::Finished, .. } => (
            format!("{endpoint} answers too slowly: connecting took longer than the deadline"),
            format!("{said}. The network path is open"),
            format!("See why {service} answers TLS handshakes slowly (load, CPU, a proxy in front of it); raise the timeout only if it is just slow"),
        ),
        RequestError::Stalled { endpoint, .. } => (
            format!("{endpoint} accepts TCP but stalls the TLS handshake"),
            format!("{said}. The network path is open (TCP connected); what listens on {endpoint} does not complete TLS: {service} hangs, a TLS-terminating proxy or load balancer has no healthy backend, or another service sits on that port and waits for the client to speak"),
            format!("See where the handshake with {endpoint} stops, and what listens there"),
        ),
        RequestError::AnswerTimeout { endpoint, after } => (
            format!("no answer from {endpoint} within {}, though it accepted the connection", rough(*after)),
            format!("{said}. The network path is open; {service} (or a proxy in front of it) hangs or is overloaded, or it sends its answer too slowly"),
            format!("See whether {service} is overloaded or hung; raise the timeout only if it is just slow"),
        ),
        _ => return (error.to_string(), error.to_string(), None),
    };
    let command = match error {
        RequestError::AnswerTimeout { endpoint, .. } => {
            format!("curl -sv -m 30 -o /dev/null http://{endpoint}/   # or https://")
        }
        RequestError::Stalled { endpoint, .. } => format!("openssl s_client -connect {endpoint} -state </dev/null"),
        _ => String::new(),
    };
    (summary, cause, Some(Action::new(Priority::High, action).with_command(command)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::vault::codes::{self, UNANSWERED};
    use crate::http::tests::{stalled, untrusted};
    use std::time::Duration;

    fn told_by_vault(error: &RequestError) -> Told {
        let advice = Advice {
            refused: Words { summary: "Vault is not running there".into(), ..Words::default() },
            silent: Words::default(),
            failed: vec![],
            renew: Action::new(Priority::High, "renew"),
            plain_http: Words::default(),
            trust_also: String::new(),
            test_path: Some(Action::new(Priority::Low, "test the path")),
        };
        let service = Service {
            codes: &UNANSWERED,
            name: "Vault",
            setting: "VAULT_ADDR",
            address: "https://vault.example.com:8200",
            host: "vault.example.com",
            request: "GET /v1/sys/health",
            cacert: Some(CaFile { setting: "VAULT_CACERT", path: None }),
            advice,
        };
        told(error, &service)
    }

    #[test]
    fn an_untrusted_certificate_carries_its_issuer_and_only_it() {
        let error = untrusted("vault.example.com:8200", "vault.example.com", "CN=Keybuzz CA");
        let untrusted = told_by_vault(&error);
        assert_eq!((untrusted.code, untrusted.issuer.as_deref()), (codes::TLS_UNTRUSTED, Some("CN=Keybuzz CA")));
        assert!(untrusted.cause.contains("VAULT_CACERT is not set"), "{untrusted:#?}");
        assert!(untrusted.actions[0].text.contains("set VAULT_CACERT"), "{untrusted:#?}");
        let RequestError::Tls { endpoint, detail, certificate, .. } = error else { unreachable!() };
        let refused = |problem, certificate| RequestError::Tls {
            endpoint: endpoint.clone(),
            problem,
            detail: detail.clone(),
            certificate,
        };
        assert_eq!(
            told_by_vault(&refused(TlsProblem::Expired, certificate)).issuer,
            None,
            "only trust joins on the issuer"
        );
        assert_eq!(told_by_vault(&refused(TlsProblem::Untrusted, None)).issuer, None, "no certificate seen, no issuer");
    }

    #[test]
    fn each_failure_has_its_code_the_checks_words_and_its_path_test() {
        let endpoint = || "vault.example.com:8200".to_string();
        let after = Duration::from_millis(900);
        let cases = [
            (RequestError::Setup { detail: "x".into() }, codes::TLS_SETUP_FAILED),
            (RequestError::Dns { host: "vault.example.com".into(), detail: "x".into() }, codes::UNREACHABLE_DNS),
            (RequestError::Refused { endpoint: endpoint() }, codes::UNREACHABLE_REFUSED),
            (RequestError::ConnectTimeout { endpoint: endpoint(), after }, codes::UNREACHABLE_TIMEOUT),
            (RequestError::NoRoute { endpoint: endpoint(), detail: "x".into() }, codes::UNREACHABLE_NO_ROUTE),
            (RequestError::Failed { endpoint: endpoint(), detail: "x".into() }, codes::UNREACHABLE_FAILED),
        ];
        for (error, code) in cases {
            let told = told_by_vault(&error);
            assert_eq!(told.code, code, "{error:?}");
            assert_eq!(told.actions.last().map(|a| a.text.as_str()), Some("test the path"), "{error:?}");
        }
        let stalled = told_by_vault(&RequestError::AnswerTimeout { endpoint: endpoint(), after });
        assert_eq!(stalled.code, codes::PEER_STALLED);
        assert!(stalled.actions.iter().all(|a| a.text != "test the path"), "the path answered: {stalled:#?}");
        let refused = told_by_vault(&RequestError::Refused { endpoint: endpoint() });
        assert_eq!(refused.summary, "connection refused by vault.example.com:8200: Vault is not running there");
        let silent = told_by_vault(&RequestError::ConnectTimeout { endpoint: endpoint(), after });
        assert_eq!(silent.summary, "no answer from vault.example.com:8200 within 900ms");
        assert!(silent.cause.contains("Vault itself may be up"), "{silent:#?}");
    }

    #[test]
    fn a_stalled_peer_blames_no_firewall() {
        for handshake in [Handshake::Unfinished, Handshake::Finished, Handshake::NotTls, Handshake::Failed("x".into())]
        {
            let told = told_by_vault(&stalled(handshake));
            assert_eq!(told.code, codes::PEER_STALLED);
            assert!(!format!("{} {}", told.summary, told.cause).contains("firewall"), "{told:#?}");
        }
        let unanswered = RequestError::ConnectTimeout { endpoint: "x:1".into(), after: Duration::from_secs(1) };
        assert!(told_by_vault(&unanswered).cause.contains("firewall"), "an unanswered SYN is the path's");
    }
}
