//! The smtp check's finding codes, each with its meaning (listed in docs/output.md).

crate::codes! {
    UNREACHABLE_DNS = "smtp.unreachable.dns": "the mail server's host name does not resolve from where kbz-check runs";
    UNREACHABLE_REFUSED = "smtp.unreachable.refused": "every address of the mail server refused the TCP connection: nothing listens on the SMTP port";
    UNREACHABLE_NO_ROUTE = "smtp.unreachable.no_route": "the TCP connection to the mail server failed on the network path (no route, network unreachable), not by a refusal";
    UNREACHABLE_TIMEOUT = "smtp.unreachable.timeout": "the TCP handshake with the mail server got no answer within the check's connect budget (or the operating system gave up): packets are dropped on the way";
    NOT_SMTP = "smtp.not_smtp": "what answers on the mail server's port sent something other than an SMTP greeting";
    CLOSED_WITHOUT_GREETING = "smtp.closed_without_greeting": "the mail server accepted the TCP connection and closed it before its 220 greeting";
    CLOSED_MID_SESSION = "smtp.closed_mid_session": "the mail server dropped the connection in reply to a command, without an SMTP reply";
    NETWORK_ERROR = "smtp.network_error": "a network error (such as a reset) broke the SMTP session after it connected";
    MALFORMED_REPLY = "smtp.malformed_reply": "a reply of the mail server could not be read as SMTP (malformed, overlong, not SMTP)";
    UNAVAILABLE = "smtp.unavailable": "the mail server answered 421: shutting down, overloaded or limiting connections";
    CLIENT_REFUSED = "smtp.client_refused": "the mail server greets with 554: it will not talk to this client's address";
    EHLO_NAME_REFUSED = "smtp.ehlo.name_refused": "the mail server rejects the EHLO name kbz-check gives (501)";
    NOT_ESMTP = "smtp.not_esmtp": "the mail server refuses EHLO: without ESMTP there is no STARTTLS and no AUTH";
    COMMAND_REFUSED = "smtp.command_refused": "the mail server refused an SMTP command with a reply no other smtp code names";
    TLS_PLAIN_TEXT = "smtp.tls.plain_text": "the mail server offers no STARTTLS and no login is configured: mail would travel unencrypted";
    TLS_NOT_OFFERED = "smtp.tls.not_offered": "a login is configured but the mail server offers no STARTTLS, so the credentials were not sent";
    TLS_STARTTLS_REFUSED = "smtp.tls.starttls_refused": "the mail server advertises STARTTLS but refuses to start it";
    TLS_INJECTED_DATA = "smtp.tls.injected_data": "bytes arrived after the STARTTLS reply and before the handshake (a broken server or a plain-text injection)";
    TLS_SETUP_FAILED = "smtp.tls.setup_failed": "the smtp check's own TLS settings (cacert, host name) cannot be used, so no handshake was tried";
    TLS_NO_IMPLICIT_TLS = "smtp.tls.no_implicit_tls": "implicit TLS was expected but the mail server answers in plain text (it most likely expects STARTTLS)";
    TLS_HANDSHAKE_FAILED = "smtp.tls.handshake_failed": "the TLS handshake with the mail server failed for a reason other than its certificate";
    TLS_UNTRUSTED = "smtp.tls.untrusted": "the mail server's certificate does not lead to a CA trusted here";
    TLS_EXPIRED = "smtp.tls.expired": "the mail server's certificate is past its end date";
    TLS_NOT_YET_VALID = "smtp.tls.not_yet_valid": "the mail server's certificate starts in the future (a clock is wrong, or it was installed early)";
    TLS_NAME_MISMATCH = "smtp.tls.name_mismatch": "the mail server's certificate does not name the host the app connects to";
    TLS_CERT_REJECTED = "smtp.tls.cert_rejected": "the mail server's certificate was rejected for a reason other than trust, dates or name";
    CERT_EXPIRING = "smtp.cert.expiring": "the mail server's certificate ends within cert_expiry_warn";
    AUTH_PASSWORD_MISSING = "smtp.auth.password_missing": "the SMTP user is set but the password is empty (a secret store that did not deliver it)";
    AUTH_USER_MISSING = "smtp.auth.user_missing": "the SMTP password is set but the user is empty";
    AUTH_NOT_OFFERED = "smtp.auth.not_offered": "a login is configured but the mail server's EHLO reply lists no AUTH mechanism";
    AUTH_NO_USABLE_MECHANISM = "smtp.auth.no_usable_mechanism": "the mail server offers AUTH only by mechanisms other than PLAIN and LOGIN, so the login was not verified";
    AUTH_REJECTED = "smtp.auth.rejected": "the mail server rejected the login's user name or password (535)";
    AUTH_METHOD_REQUIRED = "smtp.auth.method_required": "the mail server wants another mechanism or credential for this account, such as an app password (534)";
    AUTH_ENCRYPTION_REQUIRED = "smtp.auth.encryption_required": "the mail server requires an encrypted connection for this AUTH mechanism (538)";
    AUTH_BACKEND_FAILING = "smtp.auth.backend_failing": "the mail server could not check the credentials just now: its authentication backend fails (454)";
    AUTH_MECHANISM_REFUSED = "smtp.auth.mechanism_refused": "the mail server refuses the AUTH mechanism it advertised (504)";
    AUTH_REFUSED = "smtp.auth.refused": "the mail server answered the login with a refusal no other smtp.auth code names";
    AUTH_UNEXPECTED_CHALLENGE = "smtp.auth.unexpected_challenge": "the mail server answered the login with a challenge that is not AUTH LOGIN's user name or password prompt";
    AUTH_REQUIRED = "smtp.auth.required": "the mail server takes mail only after a login, and none is configured (530)";
    SENDER_REFUSED = "smtp.sender_refused": "the mail server refuses the test message's envelope sender";
    RECIPIENT_REFUSED = "smtp.recipient_refused": "the mail server refuses the --send-test-to recipient";
    TEST_MESSAGE_REFUSED = "smtp.test_message.refused": "the mail server refused the test message itself (a content, size or policy filter)";
    TEST_MESSAGE_BAD_ADDRESS = "smtp.test_message.bad_address": "the address given to --send-test-to is not a mail address, so nothing was sent";
    TEST_MESSAGE_BUILD_FAILED = "smtp.test_message.build_failed": "the test message could not be formatted, so nothing was sent";
}
