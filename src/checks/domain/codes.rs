//! The domain check's finding codes: declared, each with its meaning, in
//! docs/output.md's Finding codes table, from which build.rs writes them.

include!(concat!(env!("OUT_DIR"), "/codes/domain.rs"));
