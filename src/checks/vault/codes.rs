//! The vault check's finding codes: declared, each with its meaning, in
//! docs/output.md's Finding codes table, from which build.rs writes them.

include!(concat!(env!("OUT_DIR"), "/codes/vault.rs"));

/// The codes of a request that got no answer, for [`crate::unanswered`].
pub const UNANSWERED: crate::unanswered::Codes = crate::unanswered::kind_codes! {
    not_sent: TLS_SETUP_FAILED,
    failed: UNREACHABLE_FAILED,
    bad_certificate: TLS_CERTIFICATE_REFUSED,
};
