//! The vault check's finding codes: declared, each with its meaning, in
//! docs/output.md's Finding codes table, from which build.rs writes them.

include!(concat!(env!("OUT_DIR"), "/codes/vault.rs"));

/// The codes of a request that got no answer, for [`crate::unanswered`].
pub const UNANSWERED: crate::unanswered::Codes = crate::unanswered::Codes {
    not_sent: TLS_SETUP_FAILED,
    dns: UNREACHABLE_DNS,
    refused: UNREACHABLE_REFUSED,
    timeout: UNREACHABLE_TIMEOUT,
    no_route: UNREACHABLE_NO_ROUTE,
    stalled: PEER_STALLED,
    failed: UNREACHABLE_FAILED,
    tls: crate::unanswered::TlsCodes {
        untrusted: TLS_UNTRUSTED,
        expired: TLS_EXPIRED,
        not_yet_valid: TLS_NOT_YET_VALID,
        name_mismatch: TLS_NAME_MISMATCH,
        bad_certificate: TLS_CERTIFICATE_REFUSED,
        not_tls: TLS_NOT_TLS,
        handshake_failed: TLS_HANDSHAKE_FAILED,
    },
};
