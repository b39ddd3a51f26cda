//! The smtp check's finding codes, each with its meaning (listed in docs/output.md).

crate::codes! {}
