//! From the transcript of the climb to a status, a cause in plain words and
//! the actions that fix it. Pure: unit-tested without a server.

use super::codes::*;
use super::ladder::{AuthState, Offer, Step, Stop, TestMessage, TlsFailure, Transcript, Why};
use super::wire::{Reply, WireError};
use super::{Login, SmtpCheck, TlsMode};
use crate::checks::findings::Findings;
use crate::checks::peer_bytes::{escape_bytes, service_hint};
use crate::report::{Action, Evidence, Outcome, Priority};
use crate::tls::CertInfo;
use rustls::CertificateError;
use std::time::{Duration, SystemTime};

const DAY: i64 = 24 * 3600;

pub fn diagnose(check: &SmtpCheck, t: &Transcript, now: SystemTime) -> Outcome {
    let now = crate::time::unix_seconds(now);
    let mut found = Findings::default();
    match &t.stop {
        Some(stop) => stop_problem(check, t, stop, &mut found),
        None => completed_problems(check, t, &mut found),
    }
    if t.tls.is_some() {
        expiry_problem(check, t, now, &mut found);
    }
    found.set_evidence(evidence(check, t, now));
    found.into_outcome(ok_summary(check, t, now))
}

// ---------------------------------------------------------------- evidence

fn evidence(check: &SmtpCheck, t: &Transcript, now: i64) -> Vec<Evidence> {
    let mut out = Vec::new();
    if let Some(address) = t.connected_to {
        let named = if address.ip().to_string() == check.host { String::new() } else { format!(" ({})", check.host) };
        out.push(Evidence::new("connection", None, format!("connected to {address}{named}")));
    }
    let tls_at = t.tls.as_ref().map(|s| s.after_exchanges);
    for (i, exchange) in t.exchanges.iter().enumerate() {
        if tls_at == Some(i) {
            tls_evidence(t, now, &mut out);
        }
        out.push(Evidence::new(exchange.step.label(), exchange.command.as_deref(), exchange.reply.shown()));
        if offer_is_final(check, exchange.step, &exchange.reply) {
            out.push(Evidence::new("AUTH advertised", None, advertised(t)));
        }
    }
    if tls_at.is_some_and(|at| at >= t.exchanges.len()) {
        tls_evidence(t, now, &mut out);
    }
    if t.quit_sent {
        out.push(Evidence::new(Step::Quit.label(), Some("QUIT"), "sent (its reply decides nothing: not waited for)"));
    }
    if let Some(Stop { why: Why::Tls(failure), .. }) = &t.stop {
        out.push(Evidence::new("TLS handshake", None, format!("failed: {}", failure.detail)));
        if let Some(trust) = &t.trust {
            out.push(Evidence::new("trust store", None, trust.clone()));
        }
        if let Some(cert) = &t.certificate {
            out.push(Evidence::new("certificate", None, cert_text(cert, now)));
        }
    }
    match &t.auth {
        AuthState::NotConfigured => out.push(Evidence::new(
            "AUTH",
            None,
            format!("not tried: {} and {} are not set", check.names.user, check.names.password),
        )),
        AuthState::Incomplete => {
            out.push(Evidence::new("AUTH", None, format!("not tried: {}", incomplete_login(check))))
        }
        AuthState::NoUsableMechanism(offered) => out.push(Evidence::new(
            "AUTH",
            None,
            format!("not tried: the server offers {}; kbz-check logs in with PLAIN or LOGIN", offered.join(" ")),
        )),
        _ => {}
    }
    if let TestMessage::NotSent(reason) = &t.test_message {
        out.push(Evidence::new("test message", None, reason.clone()));
    }
    out
}

/// The EHLO reply the app would log in after: the one after TLS, or the
/// only one when no TLS upgrade follows.
fn offer_is_final(check: &SmtpCheck, step: Step, reply: &Reply) -> bool {
    let upgrade_follows = check.tls == TlsMode::StartTls && Offer::from_reply(reply).starttls;
    reply.code() == 250 && (step == Step::EhloAfterTls || (step == Step::Ehlo && !upgrade_follows))
}

fn advertised(t: &Transcript) -> String {
    match t.offer.as_ref().map(|o| (&o.mechanisms, o.usable)) {
        Some((mechanisms, Some(_))) => mechanisms.join(" "),
        Some((mechanisms, None)) if !mechanisms.is_empty() => {
            format!("{} (none that kbz-check speaks: it logs in with PLAIN or LOGIN)", mechanisms.join(" "))
        }
        _ => "none: the EHLO reply lists no AUTH".to_string(),
    }
}

fn tls_evidence(t: &Transcript, now: i64, out: &mut Vec<Evidence>) {
    let Some(session) = &t.tls else { return };
    let how = match session.mode {
        TlsMode::StartTls => "after STARTTLS",
        TlsMode::Implicit => "implicit TLS from the first byte",
    };
    let mut text = format!("{}, {}, {how}", session.version, session.cipher);
    if let Some(trust) = &t.trust {
        text.push_str(&format!("\ncertificate verified against {trust}"));
    }
    out.push(Evidence::new("TLS", None, text));
    if let Some(cert) = &t.certificate {
        out.push(Evidence::new("certificate", None, cert_text(cert, now)));
    }
}

fn cert_text(cert: &Result<CertInfo, String>, now: i64) -> String {
    match cert {
        Err(e) => e.clone(),
        Ok(c) => {
            let names =
                if c.names.is_empty() { "(no subject alternative names)".to_string() } else { c.names.join(", ") };
            format!(
                "subject: {}\nissuer: {}\nvalid: {} to {} ({})\nnames: {names}",
                c.subject,
                c.issuer,
                date(c.not_before),
                date(c.not_after),
                days_left_text(c.not_after, now)
            )
        }
    }
}

// ---------------------------------------------------------------- summaries

fn ok_summary(check: &SmtpCheck, t: &Transcript, now: i64) -> String {
    let endpoint = check.endpoint();
    let tls = match &t.tls {
        Some(s) if s.mode == TlsMode::Implicit => format!("implicit TLS ({})", s.version),
        Some(s) => format!("STARTTLS ({})", s.version),
        None => "plain text (no TLS)".to_string(),
    };
    let mut summary = match &t.auth {
        AuthState::Accepted { mechanism, user } => {
            format!("AUTH {mechanism} accepted for {user} at {endpoint} over {tls}")
        }
        AuthState::NotConfigured => {
            format!("{tls} works at {endpoint}; AUTH not tried ({} not set)", login_names(check))
        }
        _ => format!("{endpoint} answers over {tls}"),
    };
    if let (Some(_), Some(Ok(cert))) = (&t.tls, &t.certificate) {
        summary.push_str(&format!(
            "; certificate valid until {} ({})",
            date(cert.not_after),
            days_left_text(cert.not_after, now)
        ));
    }
    if let TestMessage::Queued { to, reply } = &t.test_message {
        summary.push_str(&format!("; test message to {to} queued: {}", reply.first_line()));
    }
    summary
}

fn login_names(check: &SmtpCheck) -> String {
    format!("{}/{}", check.names.user, check.names.password)
}

fn incomplete_login(check: &SmtpCheck) -> String {
    let names = &check.names;
    match &check.login {
        Login::UserOnly { .. } => format!("{} is set but {} is empty", names.user, names.password),
        _ => format!("{} is set but {} is empty", names.password, names.user),
    }
}

// ---------------------------------------------------------------- when the climb completed

fn completed_problems(check: &SmtpCheck, t: &Transcript, found: &mut Findings) {
    let endpoint = check.endpoint();
    match &t.auth {
        AuthState::Incomplete => {
            let (summary, (missing, code)) = (incomplete_login(check), match check.login {
                Login::UserOnly { .. } => (&check.names.password, AUTH_PASSWORD_MISSING),
                _ => (&check.names.user, AUTH_USER_MISSING),
            });
            found.fail(
                code,
                summary.clone(),
                format!(
                    "{summary}: the app's login to {endpoint} cannot succeed. When the password is meant to come from a secret store (such as Vault), an empty value means it never arrived: the store is down or sealed, or the step that copies it into the app's environment did not run"
                ),
                vec![Action::new(
                    Priority::Critical,
                    format!("Set {missing} where the app reads it (its env file or the secret store it is fetched from), and check that the secret store is running"),
                )],
            );
        }
        AuthState::NotOffered => found.fail(
            AUTH_NOT_OFFERED,
            format!("{endpoint} offers no AUTH: the login of {} cannot be used", check.login.user().unwrap_or("?")),
            format!(
                "credentials are configured but the server's EHLO reply{} lists no AUTH mechanism: this port does not take logins (a relay-only port such as 25, or submission without SASL set up), so the app's login fails",
                if t.tls.is_some() { " after TLS" } else { "" }
            ),
            vec![Action::new(
                Priority::High,
                format!("Point {} at the submission port (587 with STARTTLS, or 465), or enable SASL AUTH on the mail server", check.names.port),
            )],
        ),
        AuthState::NoUsableMechanism(offered) => found.warn(
            AUTH_NO_USABLE_MECHANISM,
            format!("credentials not checked: {endpoint} offers only AUTH {}", offered.join(" ")),
            format!(
                "the server offers AUTH {} but not PLAIN or LOGIN, the mechanisms kbz-check uses: whether {} are right was not verified",
                offered.join(" "),
                login_names(check)
            ),
            vec![Action::new(Priority::Low, "Verify the login another way, or enable AUTH PLAIN over TLS on the server")],
        ),
        _ => {}
    }
    if check.tls == TlsMode::StartTls && t.tls.is_none() {
        found.warn(
            TLS_PLAIN_TEXT,
            format!("no STARTTLS at {endpoint}: mail would cross the network in clear"),
            "the server's EHLO reply does not offer STARTTLS, so messages (and any login) travel unencrypted between the app and the relay".to_string(),
            vec![Action::new(
                Priority::Medium,
                format!("Enable STARTTLS on the mail server, or use implicit TLS (port 465, {}=true)", check.names.secure),
            )],
        );
    }
}

/// A certificate that expires soon warns; one already expired fails (the
/// handshake normally refuses it first; this catches a skewed clock).
fn expiry_problem(check: &SmtpCheck, t: &Transcript, now: i64, found: &mut Findings) {
    let Some(Ok(cert)) = &t.certificate else { return };
    let left = cert.not_after.saturating_sub(now);
    let warn_within = i64::try_from(check.cert_expiry_warn.as_secs()).unwrap_or(i64::MAX);
    if left < 0 {
        found.fail(
            TLS_EXPIRED,
            format!("certificate of {} expired on {}", check.host, date(cert.not_after)),
            format!(
                "the certificate {} (issuer {}) is past its end date: clients that verify certificates refuse it",
                cert.subject, cert.issuer
            ),
            vec![renew_action(check, Priority::Critical)],
        );
    } else if left < warn_within {
        found.warn(
            CERT_EXPIRING,
            format!("certificate of {} expires in {} ({})", check.host, days(left), date(cert.not_after)),
            format!(
                "the certificate {} (issuer {}) ends on {}, within cert_expiry_warn ({}): renewal has not happened yet, and on that date every client that verifies it stops sending mail",
                cert.subject,
                cert.issuer,
                date(cert.not_after),
                span(check.cert_expiry_warn)
            ),
            vec![renew_action(check, Priority::Medium)],
        );
    }
}

fn renew_action(check: &SmtpCheck, priority: Priority) -> Action {
    Action::new(priority, format!("Renew the certificate of {} and reload the mail server (check that automatic renewal runs, e.g. certbot's timer)", check.host))
}

// ---------------------------------------------------------------- where the climb stopped

fn stop_problem(check: &SmtpCheck, t: &Transcript, stop: &Stop, found: &mut Findings) {
    let endpoint = check.endpoint();
    let host = &check.host;
    let names = &check.names;
    match &stop.why {
        Why::BadTestAddress(detail) => found.fail(
            TEST_MESSAGE_BAD_ADDRESS,
            format!("--send-test-to is not a mail address: {detail}"),
            format!("the address given to --send-test-to cannot be used as a recipient ({detail}); nothing was sent"),
            vec![Action::new(Priority::Low, "Give --send-test-to a mail address, e.g. --send-test-to ops@example.org")],
        ),
        Why::Dns(detail) => found.fail(
            UNREACHABLE_DNS,
            format!("cannot resolve {host}: {detail}"),
            format!("the host `{host}` in {} does not resolve from where kbz-check runs: a typo, or a name known only inside another network (an internal DNS zone, a Kubernetes service)", names.host),
            vec![Action::new(Priority::Critical, format!("Check {} and resolve it from where the app runs", names.host))
                .with_command(format!("getent hosts {host}"))],
        ),
        Why::Refused(addresses) => {
            let tried = addresses.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
            found.fail(
                UNREACHABLE_REFUSED,
                format!("connection refused by {endpoint}"),
                format!("nothing listens on {tried}: the mail server is stopped there, or listens on another port than {} = {}", names.port, check.port),
                vec![Action::new(Priority::Critical, format!("Start the mail server on {host}, or fix {}", names.port))
                    .with_command("systemctl status postfix   # or the relay's own service")],
            )
        }
        Why::Unreachable { detail, timed_out } => found.fail(
            if *timed_out { UNREACHABLE_TIMEOUT } else { UNREACHABLE_NO_ROUTE },
            format!("cannot reach {endpoint}: {detail}"),
            format!("the network path from here to {endpoint} fails ({detail}): a route, firewall or security group is in the way (outgoing mail ports are often filtered)"),
            vec![Action::new(Priority::Critical, format!("Check the route and firewall between the app and {endpoint}"))
                .with_command(format!("nc -vz {host} {}", check.port))],
        ),
        Why::Wire(error) => wire_problem(check, stop.step, error, found),
        Why::Reply(reply) => reply_problem(check, stop.step, reply, found),
        Why::NoStartTls => found.fail(
            TLS_NOT_OFFERED,
            format!("{endpoint} offers no STARTTLS: the password of {} would cross the network in clear", check.login.user().unwrap_or("the login")),
            format!(
                "{} are configured, but the server's EHLO reply does not list STARTTLS: the app would send its credentials unencrypted (or refuse to log in, if it requires TLS). kbz-check did not send them. TLS is not set up on this port, or something on the way strips it",
                login_names(check)
            ),
            vec![Action::new(
                Priority::High,
                format!("Enable STARTTLS on the mail server, or use implicit TLS (port 465 with {}=true)", names.secure),
            )],
        ),
        Why::TlsSetup(detail) => found.fail(
            TLS_SETUP_FAILED,
            format!("cannot set up TLS: {detail}"),
            format!("the TLS settings of this check cannot be used: {detail}"),
            vec![Action::new(
                Priority::High,
                format!("Point cacert at a readable PEM file of CA certificates, and {} at a host name or address", names.host),
            )],
        ),
        Why::Tls(failure) => tls_problem(check, t, failure, found),
        Why::DataAfterStartTls(bytes) => found.fail(
            TLS_INJECTED_DATA,
            format!("{endpoint} sent data after its STARTTLS reply"),
            format!(
                "after `220` to STARTTLS and before the TLS handshake, \"{}\" arrived: a broken server, or something in the path injecting plain-text commands into the session (CVE-2011-0411). kbz-check stopped instead of trusting them",
                escape_bytes(bytes)
            ),
            vec![Action::new(Priority::High, "Check what sits between the app and the mail server (proxies, filters) and the server's STARTTLS handling")],
        ),
        Why::AuthChallenge(detail) => found.fail(
            AUTH_UNEXPECTED_CHALLENGE,
            format!("AUTH failed at {endpoint}: unexpected challenge {detail}"),
            format!("the server answered the login with a challenge kbz-check cannot answer ({detail}): not the user name / password prompts of AUTH LOGIN"),
            vec![Action::new(Priority::Medium, "Check the mail server's AUTH configuration; the AUTH evidence shows the exchange")],
        ),
        Why::MessageBuild(detail) => found.fail(
            TEST_MESSAGE_BUILD_FAILED,
            format!("cannot build the test message: {detail}"),
            format!("the test message could not be formatted ({detail}); nothing was sent"),
            vec![Action::new(Priority::Low, "Check the --send-test-to address and SMTP_USER")],
        ),
    }
}

fn wire_problem(check: &SmtpCheck, step: Step, error: &WireError, found: &mut Findings) {
    let endpoint = check.endpoint();
    let what = step.label();
    match (step, error) {
        (Step::Banner, WireError::NotSmtp(bytes)) => {
            let quoted = escape_bytes(bytes);
            found.fail(
                NOT_SMTP,
                format!("not an SMTP server: first bytes \"{quoted}\""),
                format!(
                    "what answers at {endpoint} does not speak SMTP: instead of a `220` greeting it sent \"{quoted}\"{}",
                    service_hint(bytes)
                ),
                vec![Action::new(
                    Priority::Critical,
                    format!("Point {} and {} at the mail server's SMTP port (587 with STARTTLS, or 465 with implicit TLS)", check.names.host, check.names.port),
                )],
            )
        }
        (Step::Banner, WireError::Closed) => found.fail(
            CLOSED_WITHOUT_GREETING,
            format!("{endpoint} closed the connection without a greeting"),
            "the server accepted the TCP connection and closed it before its `220` banner: it refuses this client (access rules, connection or rate limits), or the service behind the port is broken".to_string(),
            vec![Action::new(Priority::High, format!("Check the mail server's log for this client's address, and what listens on {endpoint}"))],
        ),
        (_, WireError::Closed) => found.fail(
            CLOSED_MID_SESSION,
            format!("{endpoint} closed the connection at {what}"),
            format!("the server dropped the connection in reply to {what}, without an SMTP reply: it crashed, or a limit or filter cut this session"),
            vec![Action::new(Priority::High, "Check the mail server's log for this session")],
        ),
        (_, error) => found.fail(
            if matches!(error, WireError::Io(_)) { NETWORK_ERROR } else { MALFORMED_REPLY },
            format!("{what} failed at {endpoint}: {error}"),
            format!("the answer to {what} could not be read as SMTP: {error}"),
            vec![Action::new(Priority::High, format!("Check that {endpoint} is an SMTP server and what its log says for this session"))],
        ),
    }
}

fn reply_problem(check: &SmtpCheck, step: Step, reply: &Reply, found: &mut Findings) {
    let endpoint = check.endpoint();
    let line = reply.first_line();
    let code = reply.code();
    let user = check.login.user().unwrap_or("?");
    let (finding, summary, cause, actions) = match (step, code) {
        (_, 421) => (
            UNAVAILABLE,
            format!("{endpoint} is not available: {line}"),
            format!("the server answered {} with 421: it is shutting down, overloaded or limiting connections", step.label()),
            vec![Action::new(Priority::High, "Retry later; if it persists, check the mail server's load and connection limits")],
        ),
        (Step::Banner, 554) => (
            CLIENT_REFUSED,
            format!("{endpoint} refuses this client at connect: {line}"),
            "a 554 greeting means the server will not talk to this client: its address is blocked (access list, blocklist) or there is no SMTP service for it here".to_string(),
            vec![Action::new(Priority::Critical, "Check the mail server's access rules for the app's address (Postfix: smtpd_client_restrictions, postscreen)")],
        ),
        (Step::Ehlo | Step::EhloAfterTls, 501) => (
            EHLO_NAME_REFUSED,
            format!("EHLO {} refused: {line}", check.helo),
            format!("the server rejects the EHLO name `{}`", check.helo),
            vec![Action::new(Priority::Medium, "Set `helo` in the suite to this machine's fully qualified domain name")],
        ),
        (Step::Ehlo | Step::EhloAfterTls, 500 | 502 | 504) => (
            NOT_ESMTP,
            format!("{endpoint} does not speak ESMTP: {line}"),
            "the server refuses EHLO: without ESMTP there is no STARTTLS and no AUTH, so the app cannot log in securely".to_string(),
            vec![Action::new(Priority::High, "Point the app at a submission server (port 587 or 465)")],
        ),
        (Step::StartTls, _) => (
            TLS_STARTTLS_REFUSED,
            format!("STARTTLS refused by {endpoint}: {line}"),
            "the server advertises STARTTLS but will not start it: its certificate or key is missing or unreadable, or its TLS setup is broken".to_string(),
            vec![Action::new(Priority::High, "Check the mail server's TLS settings (certificate and key paths, permissions) and its log")],
        ),
        (Step::Auth, 535) => (
            AUTH_REJECTED,
            format!("AUTH rejected for {user}: {line}"),
            format!(
                "the server rejected the credentials of {user} (535): {} is wrong, or {} holds a wrong or outdated password; the app uses the same values and its login fails the same way",
                check.names.user, check.names.password
            ),
            vec![credentials_action(check)],
        ),
        (Step::Auth, 534) => (
            AUTH_METHOD_REQUIRED,
            format!("AUTH refused for {user}, the server wants another method: {line}"),
            "534: the server requires a stronger mechanism or another kind of credential for this account (an app password or OAuth, as Gmail and Microsoft 365 do)".to_string(),
            vec![credentials_action(check)],
        ),
        (Step::Auth, 538) => (
            AUTH_ENCRYPTION_REQUIRED,
            format!("AUTH refused: encryption required: {line}"),
            "538: the server requires an encrypted connection for this mechanism".to_string(),
            vec![Action::new(Priority::High, format!("Use implicit TLS (port 465, {}=true) or check the server's TLS setup", check.names.secure))],
        ),
        (Step::Auth, 454) => (
            AUTH_BACKEND_FAILING,
            format!("temporary authentication failure at {endpoint}: {line}"),
            "454: the server could not check the credentials just now: its authentication backend (Dovecot SASL, LDAP, a database) is failing. Logins fail until it is fixed".to_string(),
            vec![Action::new(Priority::High, "Check the mail server's authentication backend and its log")],
        ),
        (Step::Auth, 504) => (
            AUTH_MECHANISM_REFUSED,
            format!("AUTH mechanism refused by {endpoint}: {line}"),
            "504: the server advertised this AUTH mechanism but refuses it".to_string(),
            vec![Action::new(Priority::Medium, "Check the mail server's AUTH mechanisms (enable PLAIN over TLS)")],
        ),
        (Step::Auth, _) => (
            AUTH_REFUSED,
            format!("AUTH refused for {user}: {line}"),
            format!("the server answered the login with {code} ({})", severity(code)),
            vec![credentials_action(check)],
        ),
        (Step::MailFrom, 530) => (
            AUTH_REQUIRED,
            format!("{endpoint} requires a login before accepting mail: {line}"),
            format!("530: this server takes mail only from authenticated clients, and no login ({}) is configured", login_names(check)),
            vec![Action::new(Priority::Critical, format!("Set {} for the app", login_names(check)))],
        ),
        (Step::MailFrom, _) => (
            SENDER_REFUSED,
            format!("sender refused by {endpoint}: {line}"),
            format!("the server refuses the envelope sender ({code}, {}): the login may not send as this address", severity(code)),
            vec![Action::new(Priority::High, "Use a sender address the login may send as (the app's EMAIL_FROM and envelope sender)")],
        ),
        (Step::RcptTo, _) => (
            RECIPIENT_REFUSED,
            format!("recipient refused by {endpoint}: {line}"),
            format!("the server refuses the test recipient ({code}, {}): no such mailbox, or relaying to that domain is not allowed for this login", severity(code)),
            vec![Action::new(Priority::Medium, "Try another --send-test-to address; if every outside address is refused, the login may not relay")],
        ),
        (Step::Data | Step::Message, _) => (
            TEST_MESSAGE_REFUSED,
            format!("test message refused by {endpoint}: {line}"),
            format!("the server refused the message at {} ({code}, {}): a content, size or policy filter", step.label(), severity(code)),
            vec![Action::new(Priority::Medium, "Read the reply and the mail server's log for this message")],
        ),
        (_, _) => (
            COMMAND_REFUSED,
            format!("{} refused by {endpoint}: {line}", step.label()),
            format!("the server answered {} with {code} ({})", step.label(), severity(code)),
            vec![Action::new(Priority::High, "Read the reply and the mail server's log for this session")],
        ),
    };
    found.fail(finding, summary, cause, actions);
}

fn severity(code: u16) -> &'static str {
    match code / 100 {
        4 => "a temporary failure: it may pass later",
        5 => "a permanent refusal",
        _ => "an unexpected reply at this step",
    }
}

fn credentials_action(check: &SmtpCheck) -> Action {
    let fingerprint = match &check.login {
        Login::Full { password, .. } => format!(
            " The password configured here has fingerprint {}: compare it with the value in the secret store.",
            password.masked()
        ),
        _ => String::new(),
    };
    Action::new(
        Priority::Critical,
        format!(
            "Check {} and {} and where they come from (env file, secret store such as Vault).{fingerprint}",
            check.names.user, check.names.password
        ),
    )
}

fn tls_problem(check: &SmtpCheck, t: &Transcript, failure: &TlsFailure, found: &mut Findings) {
    let endpoint = check.endpoint();
    let cert = t.certificate.as_ref().and_then(|c| c.as_ref().ok());
    let presented = cert
        .map_or("its certificate".to_string(), |c| format!("a certificate for {} issued by {}", c.subject, c.issuer));
    match &failure.error {
        Some(rustls::Error::InvalidCertificate(error)) => certificate_problem(check, t, cert, error, found),
        Some(rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. })
            if failure.mode == TlsMode::Implicit =>
        {
            found.fail(
                TLS_NO_IMPLICIT_TLS,
                format!("no TLS at {endpoint}: the server answers in plain text"),
                format!(
                    "implicit TLS was expected ({}), but the server does not speak TLS on connect ({}): it most likely expects STARTTLS, as on port 587",
                    implicit_reason(check),
                    failure.detail
                ),
                vec![Action::new(Priority::High, format!("Set {}=false (STARTTLS), or point {} at the implicit-TLS port (465)", check.names.secure, check.names.port))],
            )
        }
        _ => found.fail(
            TLS_HANDSHAKE_FAILED,
            format!("TLS handshake with {endpoint} failed: {}", failure.detail),
            format!(
                "the TLS handshake {} failed after the server sent {presented}: {}. No common TLS version or cipher (a server limited to old TLS), or a broken TLS setup on the server",
                match failure.mode {
                    TlsMode::StartTls => "after STARTTLS",
                    TlsMode::Implicit => "on connect (implicit TLS)",
                },
                failure.detail
            ),
            vec![Action::new(Priority::High, "Check the mail server's TLS settings (protocols, ciphers, certificate) and its log")],
        ),
    }
}

fn implicit_reason(check: &SmtpCheck) -> String {
    if check.port == super::IMPLICIT_TLS_PORT {
        format!("port {}", check.port)
    } else {
        format!("{}=true", check.names.secure)
    }
}

fn certificate_problem(
    check: &SmtpCheck,
    t: &Transcript,
    cert: Option<&CertInfo>,
    error: &CertificateError,
    found: &mut Findings,
) {
    let host = &check.host;
    let subject = cert.map_or("(unknown)", |c| c.subject.as_str());
    let issuer = cert.map_or("(unknown)", |c| c.issuer.as_str());
    let trust = t.trust.as_deref().unwrap_or("the trust store");
    match error {
        CertificateError::UnknownIssuer | CertificateError::BadSignature => found.untrusted(
            TLS_UNTRUSTED,
            // Named only when the certificate was read: root causes join checks on it.
            cert.map(|c| c.issuer.clone()).unwrap_or_default(),
            format!("certificate not trusted: subject {subject}, issuer {issuer}"),
            format!(
                "{} presented a certificate (subject {subject}, issuer {issuer}) that does not lead to a CA trusted here ({trust}): a private or self-signed CA, or a server that does not send its intermediate certificates. An app that verifies certificates (nodemailer does by default) fails the same way",
                check.endpoint()
            ),
            vec![
                Action::new(
                    Priority::High,
                    format!("Trust the CA that issued it ({issuer}): set `cacert` in the suite to its PEM file, or SSL_CERT_FILE to a bundle that includes it (a Node.js app: NODE_EXTRA_CA_CERTS)"),
                ),
                Action::new(Priority::Medium, "If the issuer is a public CA, make the mail server send its full chain (certificate and intermediates)"),
            ],
        ),
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => found.fail(
            TLS_EXPIRED,
            format!("certificate of {host} expired{}", cert.map_or(String::new(), |c| format!(" on {}", date(c.not_after)))),
            format!("the server's certificate (subject {subject}, issuer {issuer}) is past its end date: every client that verifies certificates refuses it"),
            vec![renew_action(check, Priority::Critical)],
        ),
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => found.fail(
            TLS_NOT_YET_VALID,
            format!("certificate of {host} not valid yet{}", cert.map_or(String::new(), |c| format!(" (from {})", date(c.not_before)))),
            format!("the server's certificate (subject {subject}) starts in the future: this machine's or the server's clock is wrong, or the certificate was installed early"),
            vec![Action::new(Priority::High, "Check the clocks (timedatectl) here and on the mail server")],
        ),
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            let names = cert.map_or("(unknown)".to_string(), |c| c.names.join(", "));
            found.fail(
                TLS_NAME_MISMATCH,
                format!("certificate not valid for {host}: it names {names}"),
                format!("the server's certificate (subject {subject}, issuer {issuer}) does not list `{host}`, the name the app connects to: clients that verify the name refuse it"),
                vec![Action::new(
                    Priority::High,
                    format!("Set {} to a name the certificate lists ({names}), or reissue the certificate to include {host}", check.names.host),
                )],
            )
        }
        other => found.fail(
            TLS_CERT_REJECTED,
            format!("certificate of {host} rejected: {other:?}"),
            format!("the server's certificate (subject {subject}, issuer {issuer}) was rejected: {}", rustls::Error::InvalidCertificate(other.clone())),
            vec![Action::new(Priority::High, "Check the mail server's certificate (purpose, extensions, revocation)")],
        ),
    }
}

// ---------------------------------------------------------------- dates

/// `2026-03-01`, from Unix seconds; `before 1970` or `after 9999` outside
/// what X.509's GeneralizedTime and RFC 3339 write.
fn date(unix: i64) -> String {
    crate::time::date(unix).unwrap_or_else(|side| side.to_string())
}

fn days(seconds: i64) -> String {
    match seconds / DAY {
        1 => "1 day".to_string(),
        n => format!("{n} days"),
    }
}

/// A threshold in the report's words: `14 days`, or `1d 12h` when not
/// whole days.
fn span(duration: Duration) -> String {
    let secs = i64::try_from(duration.as_secs()).unwrap_or(i64::MAX);
    if secs % DAY == 0 && duration.subsec_nanos() == 0 {
        days(secs)
    } else {
        crate::human::duration(duration)
    }
}

fn days_left_text(not_after: i64, now: i64) -> String {
    let left = not_after.saturating_sub(now);
    if left < 0 {
        format!("expired {} ago", days(left.saturating_neg()))
    } else {
        format!("{} left", days(left))
    }
}

#[cfg(test)]
mod tests {
    use super::super::ladder::{Exchange, TlsSession};
    use super::super::tests::sample_check;
    use super::*;
    use crate::report::Status;

    const NOW: i64 = 1_767_776_400; // 2026-01-07T09:00:00Z, the day of PH11

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(NOW as u64)
    }

    fn reply(text: &str) -> Reply {
        Reply::parse(text).unwrap()
    }

    fn exchange(step: Step, command: Option<&str>, text: &str) -> Exchange {
        Exchange { step, command: command.map(str::to_string), reply: reply(text) }
    }

    fn cert(not_after: i64) -> CertInfo {
        CertInfo {
            subject: "CN=mail.example.com".into(),
            issuer: "C=US, O=Let's Encrypt, CN=R11".into(),
            not_before: NOW - 60 * DAY,
            not_after,
            names: vec!["mail.example.com".into()],
        }
    }

    const EHLO_PLAIN: &str = "250-mail.example.com\n250-PIPELINING\n250-STARTTLS\n250 8BITMIME";
    const EHLO_TLS: &str = "250-mail.example.com\n250-PIPELINING\n250-AUTH PLAIN LOGIN\n250 8BITMIME";

    /// The ladder up to a successful STARTTLS and second EHLO.
    fn after_tls() -> Transcript {
        Transcript {
            connected_to: Some("10.0.0.160:587".parse().unwrap()),
            exchanges: vec![
                exchange(Step::Banner, None, "220 mail.example.com ESMTP Postfix"),
                exchange(Step::Ehlo, Some("EHLO backend-01"), EHLO_PLAIN),
                exchange(Step::StartTls, Some("STARTTLS"), "220 2.0.0 Ready to start TLS"),
                exchange(Step::EhloAfterTls, Some("EHLO backend-01"), EHLO_TLS),
            ],
            tls: Some(TlsSession {
                mode: TlsMode::StartTls,
                version: "TLSv1.3".into(),
                cipher: "TLS13_AES_256_GCM_SHA384".into(),
                after_exchanges: 3,
            }),
            trust: Some("system store (140 certificates)".into()),
            certificate: Some(Ok(cert(NOW + 80 * DAY))),
            offer: Some(Offer::from_reply(&reply(EHLO_TLS))),
            ..Transcript::default()
        }
    }

    fn logged_in() -> Transcript {
        let mut t = after_tls();
        t.exchanges.push(exchange(Step::Auth, Some("AUTH PLAIN ***"), "235 2.7.0 Authentication successful"));
        t.quit_sent = true;
        t.auth = AuthState::Accepted { mechanism: "PLAIN".into(), user: "postmaster@example.com".into() };
        t
    }

    fn stopped(mut t: Transcript, step: Step, why: Why) -> Transcript {
        t.stop = Some(Stop { step, why });
        t
    }

    fn labels(outcome: &Outcome) -> Vec<&str> {
        outcome.evidence.iter().map(|e| e.label.as_str()).collect()
    }

    #[test]
    fn good_login_is_ok_with_every_step_in_order() {
        let outcome = diagnose(&sample_check(), &logged_in(), now());
        assert_eq!(outcome.status, Status::Ok, "{outcome:#?}");
        assert_eq!(
            outcome.summary,
            "AUTH PLAIN accepted for postmaster@example.com at mail.example.com:587 over STARTTLS (TLSv1.3); certificate valid until 2026-03-28 (80 days left)"
        );
        assert_eq!(
            labels(&outcome),
            [
                "connection",
                "banner",
                "EHLO",
                "STARTTLS",
                "TLS",
                "certificate",
                "EHLO after TLS",
                "AUTH advertised",
                "AUTH",
                "QUIT"
            ]
        );
        let auth = outcome.evidence.iter().find(|e| e.label == "AUTH").unwrap();
        assert_eq!(auth.command.as_deref(), Some("AUTH PLAIN ***"));
        assert_eq!(auth.output, "235 2.7.0 Authentication successful");
        let advertised = outcome.evidence.iter().find(|e| e.label == "AUTH advertised").unwrap();
        assert_eq!(advertised.output, "PLAIN LOGIN");
        let certificate = &outcome.evidence.iter().find(|e| e.label == "certificate").unwrap().output;
        assert!(
            certificate.contains("subject: CN=mail.example.com\nissuer: C=US, O=Let's Encrypt, CN=R11"),
            "{certificate}"
        );
        assert_eq!(outcome.evidence[0].output, "connected to 10.0.0.160:587 (mail.example.com)");
    }

    #[test]
    fn wrong_password_fails_at_auth_and_points_at_the_secret_store() {
        let mut t = after_tls();
        t.exchanges.push(exchange(Step::Auth, Some("AUTH PLAIN ***"), "535 5.7.8 Error: authentication failed"));
        let reply = t.exchanges.last().unwrap().reply.clone();
        let outcome = diagnose(&sample_check(), &stopped(t, Step::Auth, Why::Reply(reply)), now());
        assert_eq!(outcome.status, Status::Fail);
        assert_eq!(outcome.summary, "AUTH rejected for postmaster@example.com: 535 5.7.8 Error: authentication failed");
        assert!(outcome.causes.join("\n").contains("SMTP_PASS holds a wrong or outdated password"));
        let action = &outcome.actions[0];
        assert_eq!(action.priority, Priority::Critical);
        assert!(action.text.starts_with(
            "Check SMTP_USER and SMTP_PASS and where they come from (env file, secret store such as Vault)."
        ));
        assert!(action.text.contains("fingerprint ***#"), "{}", action.text);
        assert!(!format!("{outcome:?}").contains("hunter2-secret"));
    }

    #[test]
    fn auth_codes_map_to_their_causes() {
        let check = sample_check();
        for (text, expected) in [
            ("454 4.7.0 Temporary authentication failure", "authentication backend"),
            ("534 5.7.9 Application-specific password required", "app password"),
            ("538 5.7.11 Encryption required", "encrypted connection"),
            ("504 5.5.4 Unrecognized authentication type", "advertised this AUTH mechanism"),
            ("421 4.7.0 Too many connections", "shutting down, overloaded"),
            ("550 5.7.1 Go away", "permanent refusal"),
        ] {
            let t = stopped(after_tls(), Step::Auth, Why::Reply(reply(text)));
            let outcome = diagnose(&check, &t, now());
            assert_eq!(outcome.status, Status::Fail, "{text}");
            assert!(outcome.causes.join("\n").contains(expected), "{text}: {outcome:#?}");
        }
    }

    #[test]
    fn no_starttls_with_credentials_fails_without_sending_them() {
        let mut t = after_tls();
        t.exchanges.truncate(2);
        t.exchanges[1] = exchange(Step::Ehlo, Some("EHLO backend-01"), "250-mail.example.com\n250 AUTH PLAIN LOGIN");
        t.tls = None;
        t.certificate = None;
        t.offer = Some(Offer::from_reply(&t.exchanges[1].reply));
        let outcome = diagnose(&sample_check(), &stopped(t, Step::StartTls, Why::NoStartTls), now());
        assert_eq!(outcome.status, Status::Fail);
        assert_eq!(
            outcome.summary,
            "mail.example.com:587 offers no STARTTLS: the password of postmaster@example.com would cross the network in clear"
        );
        assert!(outcome.causes.join("\n").contains("kbz-check did not send them"));
        assert!(labels(&outcome).contains(&"AUTH advertised"), "the only EHLO is the final one");
    }

    #[test]
    fn no_credentials_stops_after_tls_and_says_auth_was_not_tried() {
        let mut check = sample_check();
        check.login = Login::None;
        let mut t = after_tls();
        t.auth = AuthState::NotConfigured;
        let outcome = diagnose(&check, &t, now());
        assert_eq!(outcome.status, Status::Ok);
        assert!(
            outcome.summary.starts_with(
                "STARTTLS (TLSv1.3) works at mail.example.com:587; AUTH not tried (SMTP_USER/SMTP_PASS not set)"
            ),
            "{}",
            outcome.summary
        );
        assert_eq!(outcome.evidence.last().unwrap().output, "not tried: SMTP_USER and SMTP_PASS are not set");
    }

    #[test]
    fn plain_text_without_credentials_warns() {
        let mut check = sample_check();
        check.login = Login::None;
        let mut t = after_tls();
        t.exchanges.truncate(2);
        t.exchanges[1] = exchange(Step::Ehlo, Some("EHLO backend-01"), "250-mail.example.com\n250 8BITMIME");
        t.tls = None;
        t.certificate = None;
        t.offer = Some(Offer::from_reply(&t.exchanges[1].reply));
        t.auth = AuthState::NotConfigured;
        let outcome = diagnose(&check, &t, now());
        assert_eq!(outcome.status, Status::Warn);
        assert!(outcome.summary.starts_with("no STARTTLS at mail.example.com:587"), "{}", outcome.summary);
    }

    #[test]
    fn password_missing_as_when_the_secret_store_is_down() {
        let mut check = sample_check();
        check.login = Login::UserOnly { user: "postmaster@example.com".into() };
        let mut t = after_tls();
        t.auth = AuthState::Incomplete;
        let outcome = diagnose(&check, &t, now());
        assert_eq!(outcome.status, Status::Fail);
        assert_eq!(outcome.summary, "SMTP_USER is set but SMTP_PASS is empty");
        assert!(outcome.causes.join("\n").contains("secret store (such as Vault)"));
        assert!(outcome.actions[0].text.starts_with("Set SMTP_PASS where the app reads it"));
    }

    #[test]
    fn auth_not_offered_fails_and_unknown_mechanisms_warn() {
        let mut t = after_tls();
        t.auth = AuthState::NotOffered;
        assert_eq!(diagnose(&sample_check(), &t, now()).status, Status::Fail);
        t.auth = AuthState::NoUsableMechanism(vec!["CRAM-MD5".into()]);
        let outcome = diagnose(&sample_check(), &t, now());
        assert_eq!(outcome.status, Status::Warn);
        assert_eq!(outcome.summary, "credentials not checked: mail.example.com:587 offers only AUTH CRAM-MD5");
    }

    #[test]
    fn untrusted_certificate_names_subject_issuer_and_the_fix() {
        let mut t = after_tls();
        t.exchanges.truncate(3);
        t.tls = None;
        let failure = TlsFailure {
            mode: TlsMode::StartTls,
            error: Some(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)),
            detail: "invalid peer certificate: UnknownIssuer".into(),
        };
        let outcome = diagnose(&sample_check(), &stopped(t, Step::TlsHandshake, Why::Tls(failure)), now());
        assert_eq!(outcome.status, Status::Fail);
        assert_eq!(
            outcome.summary,
            "certificate not trusted: subject CN=mail.example.com, issuer C=US, O=Let's Encrypt, CN=R11"
        );
        assert!(outcome.actions[0].text.contains("`cacert`") && outcome.actions[0].text.contains("SSL_CERT_FILE"));
        assert_eq!(outcome.findings[0].issuer.as_deref(), Some("C=US, O=Let's Encrypt, CN=R11"), "for root causes");
        let labels = labels(&outcome);
        assert!(labels.ends_with(&["TLS handshake", "trust store", "certificate"]), "{labels:?}");
    }

    #[test]
    fn certificate_errors_expired_and_wrong_name() {
        let check = sample_check();
        let stop_with = |error: CertificateError, cert_info: CertInfo| {
            let mut t = after_tls();
            t.exchanges.truncate(3);
            t.tls = None;
            t.certificate = Some(Ok(cert_info));
            let failure = TlsFailure {
                mode: TlsMode::StartTls,
                error: Some(rustls::Error::InvalidCertificate(error)),
                detail: String::new(),
            };
            diagnose(&check, &stopped(t, Step::TlsHandshake, Why::Tls(failure)), now())
        };
        let expired = stop_with(CertificateError::Expired, cert(NOW - 3 * DAY));
        assert_eq!(expired.summary, "certificate of mail.example.com expired on 2026-01-04");
        assert_eq!(expired.actions[0].priority, Priority::Critical);
        let mut other_name = cert(NOW + 80 * DAY);
        other_name.names = vec!["smtp.example.net".into()];
        let wrong = stop_with(CertificateError::NotValidForName, other_name);
        assert_eq!(wrong.summary, "certificate not valid for mail.example.com: it names smtp.example.net");
    }

    #[test]
    fn certificate_expiring_within_the_threshold_warns() {
        let mut t = logged_in();
        t.certificate = Some(Ok(cert(NOW + 5 * DAY)));
        let outcome = diagnose(&sample_check(), &t, now());
        assert_eq!(outcome.status, Status::Warn);
        assert_eq!(outcome.summary, "certificate of mail.example.com expires in 5 days (2026-01-12)");
        assert!(outcome.causes.join("\n").contains("within cert_expiry_warn (14 days)"), "{outcome:#?}");
        assert_eq!(outcome.actions[0].priority, Priority::Medium);
        t.certificate = Some(Ok(cert(NOW + 15 * DAY)));
        assert_eq!(diagnose(&sample_check(), &t, now()).status, Status::Ok);
    }

    #[test]
    fn implicit_tls_against_a_plain_text_server() {
        let mut check = sample_check();
        check.port = 465;
        check.tls = TlsMode::Implicit;
        let failure = TlsFailure {
            mode: TlsMode::Implicit,
            error: Some(rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType)),
            detail: "received corrupt message of type InvalidContentType".into(),
        };
        let t = stopped(Transcript::default(), Step::TlsHandshake, Why::Tls(failure));
        let outcome = diagnose(&check, &t, now());
        assert_eq!(outcome.summary, "no TLS at mail.example.com:465: the server answers in plain text");
        assert!(outcome.causes.join("\n").contains("port 465"));
    }

    #[test]
    fn garbage_and_silence_at_the_banner() {
        let check = sample_check();
        let garbage = stopped(
            Transcript::default(),
            Step::Banner,
            Why::Wire(WireError::NotSmtp(b"HTTP/1.1 400 Bad\r\n".to_vec())),
        );
        let outcome = diagnose(&check, &garbage, now());
        assert_eq!(outcome.summary, "not an SMTP server: first bytes \"HTTP/1.1 400 Bad\\r\\n\"");
        assert!(outcome.causes.join("\n").ends_with(": an HTTP server"));
        let closed = stopped(Transcript::default(), Step::Banner, Why::Wire(WireError::Closed));
        assert_eq!(
            diagnose(&check, &closed, now()).summary,
            "mail.example.com:587 closed the connection without a greeting"
        );
    }

    #[test]
    fn banner_and_ehlo_refusals() {
        let check = sample_check();
        let refused = stopped(Transcript::default(), Step::Banner, Why::Reply(reply("554 5.7.1 No SMTP service here")));
        assert!(diagnose(&check, &refused, now())
            .summary
            .starts_with("mail.example.com:587 refuses this client at connect"));
        let bad_helo = stopped(Transcript::default(), Step::Ehlo, Why::Reply(reply("501 5.5.2 Invalid HELO name")));
        assert_eq!(diagnose(&check, &bad_helo, now()).summary, "EHLO backend-01 refused: 501 5.5.2 Invalid HELO name");
        let starttls = stopped(Transcript::default(), Step::StartTls, Why::Reply(reply("454 4.7.0 TLS not available")));
        assert!(diagnose(&check, &starttls, now()).causes.join("\n").contains("certificate or key is missing"));
    }

    #[test]
    fn connection_failures() {
        let check = sample_check();
        let refused =
            stopped(Transcript::default(), Step::Connect, Why::Refused(vec!["10.0.0.160:587".parse().unwrap()]));
        let outcome = diagnose(&check, &refused, now());
        assert_eq!(outcome.summary, "connection refused by mail.example.com:587");
        assert!(outcome.causes.join("\n").contains("nothing listens on 10.0.0.160:587"));
        let dns = stopped(Transcript::default(), Step::Resolve, Why::Dns("failed to lookup address".into()));
        assert_eq!(diagnose(&check, &dns, now()).actions[0].command.as_deref(), Some("getent hosts mail.example.com"));
    }

    #[test]
    fn test_message_queued_is_in_the_summary() {
        let mut t = logged_in();
        let queued = reply("250 2.0.0 Ok: queued as 4dQ9Xk1Zz");
        t.test_message = TestMessage::Queued { to: "ops@example.com".into(), reply: queued };
        let outcome = diagnose(&sample_check(), &t, now());
        assert!(
            outcome.summary.ends_with("; test message to ops@example.com queued: 250 2.0.0 Ok: queued as 4dQ9Xk1Zz"),
            "{}",
            outcome.summary
        );
    }

    #[test]
    fn sending_refusals_name_their_step() {
        let check = sample_check();
        for (step, text, expected) in [
            (Step::MailFrom, "553 5.7.1 Sender address rejected: not owned by user", "sender refused"),
            (Step::RcptTo, "554 5.7.1 Relay access denied", "recipient refused"),
            (Step::Message, "552 5.3.4 Message too big", "test message refused"),
        ] {
            let outcome = diagnose(&check, &stopped(logged_in(), step, Why::Reply(reply(text))), now());
            assert!(outcome.summary.starts_with(expected), "{}", outcome.summary);
        }
    }

    #[test]
    fn bad_test_address_is_reported_before_anything_is_sent() {
        let t = stopped(
            Transcript::default(),
            Step::RcptTo,
            Why::BadTestAddress("`nobody`: Missing domain or user".into()),
        );
        let outcome = diagnose(&sample_check(), &t, now());
        assert!(outcome.summary.starts_with("--send-test-to is not a mail address"), "{}", outcome.summary);
    }

    #[test]
    fn dates_at_the_edges_of_time_do_not_panic() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(-5), "before 1970");
        assert_eq!(date(i64::MAX), "after 9999");
        assert_eq!(date(crate::time::LAST_SECOND), "9999-12-31");
        assert_eq!(date(crate::time::LAST_SECOND + 1), "after 9999");
        assert_eq!(days_left_text(i64::MIN, i64::MAX), "expired 106751991167300 days ago");
        let mut t = logged_in();
        t.certificate = Some(Ok(CertInfo { not_after: i64::MIN, not_before: i64::MIN, ..cert(0) }));
        assert_eq!(diagnose(&sample_check(), &t, now()).status, Status::Fail);
    }

    #[test]
    fn thresholds_read_in_days_or_as_other_durations_do() {
        assert_eq!(span(Duration::from_secs(14 * DAY as u64)), "14 days");
        assert_eq!(span(Duration::from_secs(DAY as u64)), "1 day");
        assert_eq!(span(Duration::from_secs(36 * 3600)), "1d 12h");
        assert_eq!(span(Duration::from_millis(1_500)), "1.5s");
    }

    #[test]
    fn injected_bytes_after_starttls_are_quoted_escaped() {
        let t = stopped(after_tls(), Step::StartTls, Why::DataAfterStartTls(b"250 fake\r\n".to_vec()));
        assert!(diagnose(&sample_check(), &t, now()).causes.join("\n").contains("\"250 fake\\r\\n\""));
    }

    /// Every finding's code, the main one first.
    fn code_of(check: &SmtpCheck, t: &Transcript) -> &'static str {
        let outcome = diagnose(check, t, now());
        assert_eq!(outcome.findings.len(), 1, "{outcome:#?}");
        assert_eq!(outcome.findings[0].summary, outcome.summary);
        outcome.findings[0].code.as_str()
    }

    #[test]
    fn ok_has_no_code_and_the_main_scenarios_have_theirs() {
        let check = sample_check();
        assert!(diagnose(&check, &logged_in(), now()).findings.is_empty());

        // PH11: a wrong password, and a password a down secret store never delivered.
        let rejected = stopped(after_tls(), Step::Auth, Why::Reply(reply("535 5.7.8 Error: authentication failed")));
        let outcome = diagnose(&check, &rejected, now());
        assert_eq!(outcome.codes(), ["smtp.auth.rejected"]);
        let mut user_only = sample_check();
        user_only.login = Login::UserOnly { user: "postmaster@example.com".into() };
        let mut t = after_tls();
        t.auth = AuthState::Incomplete;
        let outcome = diagnose(&user_only, &t, now());
        assert_eq!(outcome.codes(), ["smtp.auth.password_missing"]);
        let mut password_only = sample_check();
        password_only.login = Login::PasswordOnly;
        assert_eq!(code_of(&password_only, &t), "smtp.auth.user_missing");

        // No STARTTLS: a failure with a login configured, a warning without.
        let mut plain = after_tls();
        plain.exchanges.truncate(2);
        plain.tls = None;
        plain.certificate = None;
        assert_eq!(code_of(&check, &stopped(plain.clone(), Step::StartTls, Why::NoStartTls)), "smtp.tls.not_offered");
        let mut anonymous = sample_check();
        anonymous.login = Login::None;
        plain.auth = AuthState::NotConfigured;
        assert_eq!(code_of(&anonymous, &plain), "smtp.tls.plain_text");

        let mut t = after_tls();
        t.auth = AuthState::NotOffered;
        assert_eq!(code_of(&check, &t), "smtp.auth.not_offered");
        t.auth = AuthState::NoUsableMechanism(vec!["CRAM-MD5".into()]);
        assert_eq!(code_of(&check, &t), "smtp.auth.no_usable_mechanism");
    }

    #[test]
    fn reachability_and_protocol_stops_have_their_codes() {
        let check = sample_check();
        let at = |step, why| code_of(&check, &stopped(Transcript::default(), step, why));
        let address: std::net::SocketAddr = "10.0.0.160:587".parse().unwrap();
        assert_eq!(at(Step::Resolve, Why::Dns("failed to lookup address".into())), "smtp.unreachable.dns");
        assert_eq!(at(Step::Connect, Why::Refused(vec![address])), "smtp.unreachable.refused");
        let unreachable = |timed_out| Why::Unreachable { detail: "10.0.0.160:587: os error".into(), timed_out };
        assert_eq!(at(Step::Connect, unreachable(false)), "smtp.unreachable.no_route");
        assert_eq!(at(Step::Connect, unreachable(true)), "smtp.unreachable.timeout");
        for (step, why, code) in [
            (Step::Banner, Why::Wire(WireError::NotSmtp(b"SSH-2.0-OpenSSH\r\n".to_vec())), "smtp.not_smtp"),
            (Step::Banner, Why::Wire(WireError::Closed), "smtp.closed_without_greeting"),
            (Step::Ehlo, Why::Wire(WireError::Closed), "smtp.closed_mid_session"),
            (Step::Ehlo, Why::Wire(WireError::Io("connection reset by peer".into())), "smtp.network_error"),
            (Step::Ehlo, Why::Wire(WireError::LineTooLong), "smtp.malformed_reply"),
            (Step::Ehlo, Why::Wire(WireError::NotSmtp(b"garbage".to_vec())), "smtp.malformed_reply"),
            (Step::Banner, Why::Reply(reply("421 4.7.0 Try again later")), "smtp.unavailable"),
            (Step::Banner, Why::Reply(reply("554 5.7.1 No SMTP service here")), "smtp.client_refused"),
            (Step::Banner, Why::Reply(reply("550 5.7.1 Go away")), "smtp.command_refused"),
            (Step::Ehlo, Why::Reply(reply("501 5.5.2 Invalid HELO name")), "smtp.ehlo.name_refused"),
            (Step::Ehlo, Why::Reply(reply("502 5.5.2 Error: command not recognized")), "smtp.not_esmtp"),
            (Step::StartTls, Why::Reply(reply("454 4.7.0 TLS not available")), "smtp.tls.starttls_refused"),
            (Step::StartTls, Why::DataAfterStartTls(b"250 fake\r\n".to_vec()), "smtp.tls.injected_data"),
            (Step::TlsHandshake, Why::TlsSetup("no certificates in cacert".into()), "smtp.tls.setup_failed"),
            (Step::Auth, Why::AuthChallenge("334 bm9uY2U=".into()), "smtp.auth.unexpected_challenge"),
            (Step::MailFrom, Why::Reply(reply("530 5.7.0 Authentication required")), "smtp.auth.required"),
            (Step::MailFrom, Why::Reply(reply("553 5.7.1 Sender address rejected")), "smtp.sender_refused"),
            (Step::RcptTo, Why::Reply(reply("554 5.7.1 Relay access denied")), "smtp.recipient_refused"),
            (Step::Data, Why::Reply(reply("554 5.5.1 No valid recipients")), "smtp.test_message.refused"),
            (Step::Message, Why::Reply(reply("552 5.3.4 Message too big")), "smtp.test_message.refused"),
            (Step::RcptTo, Why::BadTestAddress("`nobody`: Missing domain".into()), "smtp.test_message.bad_address"),
            (Step::Message, Why::MessageBuild("bad header".into()), "smtp.test_message.build_failed"),
        ] {
            assert_eq!(at(step, why.clone()), code, "{why:?} at {step:?}");
        }
    }

    #[test]
    fn auth_refusals_have_their_codes() {
        let check = sample_check();
        for (text, code) in [
            ("535 5.7.8 Error: authentication failed", "smtp.auth.rejected"),
            ("534 5.7.9 Application-specific password required", "smtp.auth.method_required"),
            ("538 5.7.11 Encryption required", "smtp.auth.encryption_required"),
            ("454 4.7.0 Temporary authentication failure", "smtp.auth.backend_failing"),
            ("504 5.5.4 Unrecognized authentication type", "smtp.auth.mechanism_refused"),
            ("421 4.7.0 Too many connections", "smtp.unavailable"),
            ("550 5.7.1 Go away", "smtp.auth.refused"),
        ] {
            assert_eq!(code_of(&check, &stopped(after_tls(), Step::Auth, Why::Reply(reply(text)))), code, "{text}");
        }
    }

    #[test]
    fn tls_and_certificate_findings_have_their_codes() {
        let check = sample_check();
        let handshake = |mode, error: Option<rustls::Error>, cert_info: Option<CertInfo>| {
            let mut t = after_tls();
            t.exchanges.truncate(3);
            t.tls = None;
            t.certificate = cert_info.map(Ok);
            let failure = TlsFailure { mode, error, detail: "handshake".into() };
            stopped(t, Step::TlsHandshake, Why::Tls(failure))
        };
        let bad = |error| Some(rustls::Error::InvalidCertificate(error));
        let fresh = || Some(cert(NOW + 80 * DAY));
        for (error, code) in [
            (bad(CertificateError::UnknownIssuer), "smtp.tls.untrusted"),
            (bad(CertificateError::BadSignature), "smtp.tls.untrusted"),
            (bad(CertificateError::Expired), "smtp.tls.expired"),
            (bad(CertificateError::NotValidYet), "smtp.tls.not_yet_valid"),
            (bad(CertificateError::NotValidForName), "smtp.tls.name_mismatch"),
            (bad(CertificateError::Revoked), "smtp.tls.cert_rejected"),
            (Some(rustls::Error::HandshakeNotComplete), "smtp.tls.handshake_failed"),
            (None, "smtp.tls.handshake_failed"),
        ] {
            assert_eq!(code_of(&check, &handshake(TlsMode::StartTls, error.clone(), fresh())), code, "{error:?}");
        }
        let mut implicit = sample_check();
        implicit.tls = TlsMode::Implicit;
        let plain = Some(rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType));
        assert_eq!(code_of(&implicit, &handshake(TlsMode::Implicit, plain, None)), "smtp.tls.no_implicit_tls");
        assert!(code_of(&check, &handshake(TlsMode::StartTls, None, None)).starts_with("smtp.tls."));

        // Expiry seen after a handshake that passed: the same code as the handshake's refusal.
        let mut t = logged_in();
        t.certificate = Some(Ok(cert(NOW - DAY)));
        assert_eq!(code_of(&check, &t), "smtp.tls.expired");
        t.certificate = Some(Ok(cert(NOW + 5 * DAY)));
        let outcome = diagnose(&check, &t, now());
        assert_eq!((outcome.codes(), outcome.findings[0].status), (vec!["smtp.cert.expiring"], Status::Warn));

        // Several findings: the failure's code first, the warning's kept.
        let mut t = stopped(after_tls(), Step::Auth, Why::Reply(reply("535 5.7.8 Error: authentication failed")));
        t.certificate = Some(Ok(cert(NOW + 5 * DAY)));
        assert_eq!(diagnose(&check, &t, now()).codes(), ["smtp.auth.rejected", "smtp.cert.expiring"]);
    }

    #[test]
    fn every_code_reached_is_declared() {
        let declared: Vec<&str> = ALL.iter().map(|info| info.code.as_str()).collect();
        assert!(declared.iter().all(|code| code.starts_with("smtp.")), "{declared:?}");
        assert!(declared.contains(&"smtp.auth.rejected") && declared.contains(&"smtp.auth.password_missing"));
    }
}
