//! The ses check's finding codes, each with its meaning (listed in docs/output.md).

crate::codes! {
    UNREACHABLE_DNS = "ses.unreachable.dns": "the SES endpoint's host name does not resolve from here";
    UNREACHABLE_REFUSED = "ses.unreachable.refused": "the connection to the SES endpoint was refused";
    UNREACHABLE_TIMEOUT = "ses.unreachable.timeout": "the SES endpoint did not answer within the time the check had";
    UNREACHABLE_NO_ROUTE = "ses.unreachable.no_route": "this host has no route to the SES endpoint";
    UNREACHABLE_FAILED = "ses.unreachable.failed": "the request to the SES endpoint got no HTTP answer, for a reason other than DNS, refusal, silence, routing or TLS";
    PEER_STALLED = "ses.peer_stalled": "the SES endpoint accepted the TCP connection but stalled (slow to accept, a TLS handshake or an answer that did not come in time)";
    TLS_FAILED = "ses.tls.failed": "the TLS handshake with the SES endpoint failed";
    REQUEST_NOT_SENT = "ses.request_not_sent": "the SES request could not be prepared, so nothing was sent";
    REDIRECTED = "ses.redirected": "the SES endpoint answered with a redirect, which the SES API never does (a proxy, a captive portal, a wrong endpoint)";
    CONFIG_MISSING = "ses.config.missing": "SES is the app's mail provider but its access key or secret key is not set";
    CONFIG_REGION_MISSING = "ses.config.region_missing": "SES is the app's mail provider and its keys are set, but its region is not";
    CONFIG_PARTIAL = "ses.config.partial": "SES is not in use but partly configured: switching to it would break sending";
    CONFIG_SENDER_MISSING = "ses.config.sender_missing": "SES is the app's mail provider but the sender address is not set, so its identity is not checked";
    CONFIG_ACCESS_KEY_MALFORMED = "ses.config.access_key_malformed": "the configured SES access key id is not an AWS access key id";
    CONFIG_UNKNOWN_REGION = "ses.config.unknown_region": "the configured SES region is not one where SES has an endpoint";
    CONFIG_SENDER_MALFORMED = "ses.config.sender_malformed": "the configured SES sender is not an email address";
    AUTH_UNKNOWN_KEY = "ses.auth.unknown_key": "AWS does not know the SES access key id (deleted, deactivated, mistyped, or a temporary key without its session token)";
    AUTH_SIGNATURE_MISMATCH = "ses.auth.signature_mismatch": "AWS knows the SES access key but the secret key does not match it";
    AUTH_ACCESS_DENIED = "ses.auth.access_denied": "AWS accepted the SES keys but their IAM identity lacks a read permission the check needs";
    CLOCK_SKEW = "ses.clock_skew": "AWS refused the SES request's time: this host's clock is more than 5 minutes off";
    ANSWER_UNSUPPORTED = "ses.answer.unsupported": "the SES endpoint does not implement an SESv2 operation the check calls (an emulator or a proxy)";
    ANSWER_TRANSIENT = "ses.answer.transient": "SES answered a call with throttling or a server-side error, so what it shows was not checked";
    ANSWER_ERROR = "ses.answer.error": "SES answered a call with an AWS error the check does not expect there, so what it shows was not checked";
    ANSWER_UNREADABLE = "ses.answer.unreadable": "the SES endpoint's answer is not an SES answer, so what the call shows was not checked";
    ANSWER_INCOMPLETE = "ses.answer.incomplete": "GetAccount's answer lacks SendingEnabled or ProductionAccessEnabled, so the account is not shown ready";
    SENDING_DISABLED = "ses.sending_disabled": "sending is disabled for the SES account in this region (SendingEnabled false)";
    ENFORCEMENT_SHUTDOWN = "ses.enforcement.shutdown": "AWS shut down the SES account's sending (EnforcementStatus SHUTDOWN)";
    ENFORCEMENT_PROBATION = "ses.enforcement.probation": "the SES account is on probation (EnforcementStatus PROBATION)";
    SANDBOX = "ses.sandbox": "the SES account is in the sandbox in this region: only verified recipients receive mail";
    QUOTA_EXHAUSTED = "ses.quota_exhausted": "the SES daily sending quota is used up";
    QUOTA_HIGH = "ses.quota_high": "the SES daily sending quota is used over the quota_warn threshold";
    IDENTITY_UNVERIFIED = "ses.identity.unverified": "the sender's SES identity exists but is not verified for sending";
    IDENTITY_MISSING = "ses.identity.missing": "neither the sender address nor its domain is an SES identity in the region";
    IDENTITY_CONFLICTING = "ses.identity.conflicting": "SES's answer about the sender identity contradicts itself (VerificationStatus against VerifiedForSendingStatus)";
    IDENTITY_DKIM_FAILED = "ses.identity.dkim_failed": "SES can no longer find the DKIM records of the sender's verified identity";
}

/// The codes of a request that got no answer, for [`crate::unanswered`]:
/// every TLS problem is `ses.tls.failed`.
pub const UNANSWERED: crate::unanswered::Codes = crate::unanswered::Codes {
    not_sent: REQUEST_NOT_SENT,
    dns: UNREACHABLE_DNS,
    refused: UNREACHABLE_REFUSED,
    timeout: UNREACHABLE_TIMEOUT,
    no_route: UNREACHABLE_NO_ROUTE,
    stalled: PEER_STALLED,
    failed: UNREACHABLE_FAILED,
    tls: crate::unanswered::TlsCodes::one(TLS_FAILED),
};
