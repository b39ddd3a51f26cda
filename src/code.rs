//! Finding codes: a stable, dotted, lower-case name for every diagnosis a
//! check or a root-cause rule can reach (`postgres.on_replica`,
//! `vault.unreachable.refused`). Codes are for machines and rules; the words
//! around them are for people.
//!
//! A code exists only through [`codes!`], which also lists it with its
//! meaning, so every code the program can emit is in `codebook::all` and
//! in `docs/output.md` (a test compares the two).

use serde::{Serialize, Serializer};
use std::fmt;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Code(&'static str);

impl Code {
    /// Only for [`codes!`]: a code made anywhere else would be missing from the list.
    #[doc(hidden)]
    pub const fn registered(name: &'static str) -> Code {
        Code(name)
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// The code without its first segment (the kind): `unreachable.refused`
    /// for `vault.unreachable.refused`, so a rule can ask the same of every kind.
    pub fn topic(self) -> &'static str {
        self.0.split_once('.').map_or("", |(_, topic)| topic)
    }

    /// Whether the code is `family` or below it: `vault.unreachable.refused`
    /// is in `vault.unreachable` and in `vault`.
    pub fn is_in(self, family: &str) -> bool {
        self.0 == family || self.0.strip_prefix(family).is_some_and(|rest| rest.starts_with('.'))
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

/// A code and what it means, as `docs/output.md` lists it.
#[derive(Clone, Copy, Debug)]
pub struct CodeInfo {
    pub code: Code,
    pub meaning: &'static str,
}

/// Declares codes as constants and lists them in `ALL`:
/// `codes! { ON_REPLICA = "postgres.on_replica": "the URL lands on a read-only replica"; }`.
/// The product's codes are written by build.rs from docs/output.md's table;
/// tests declare their own.
#[macro_export]
macro_rules! codes {
    ($($name:ident = $code:literal : $meaning:literal;)*) => {
        $(pub const $name: $crate::code::Code = $crate::code::Code::registered($code);)*
        /// Every code of this module, with its meaning.
        pub const ALL: &[$crate::code::CodeInfo] =
            &[$($crate::code::CodeInfo { code: $name, meaning: $meaning }),*];
    };
}

/// Codes of the run itself, whatever the check's kind.
pub mod run {
    include!(concat!(env!("OUT_DIR"), "/codes/check.rs"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_topic_is_the_code_without_its_kind() {
        assert_eq!(Code("vault.unreachable.refused").topic(), "unreachable.refused");
        assert_eq!(Code("check.timed_out").topic(), "timed_out");
    }

    #[test]
    fn families_are_whole_segments() {
        let code = Code("vault.unreachable.refused");
        assert!(code.is_in("vault.unreachable") && code.is_in("vault") && code.is_in("vault.unreachable.refused"));
        assert!(!code.is_in("vault.unreach") && !code.is_in("vaul") && !code.is_in("postgres"));
    }
}
