//! The ses check's finding codes: declared, each with its meaning, in
//! docs/output.md's Finding codes table, from which build.rs writes them.

include!(concat!(env!("OUT_DIR"), "/codes/ses.rs"));

/// The codes of a request that got no answer, for [`crate::unanswered`]:
/// every TLS problem is `ses.tls.failed`.
pub const UNANSWERED: crate::unanswered::Codes = crate::unanswered::kind_codes! {
    not_sent: REQUEST_NOT_SENT,
    failed: UNREACHABLE_FAILED,
    tls: crate::unanswered::TlsCodes::one(TLS_FAILED),
};
