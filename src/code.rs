//! Finding codes: a stable, dotted, lower-case name for every diagnosis a
//! check or a root-cause rule can reach (`postgres.on_replica`,
//! `vault.unreachable.refused`). Codes are for machines and rules; the words
//! around them are for people.
//!
//! A code exists only through [`codes!`], which also lists it with its
//! meaning, so every code the program can emit is in [`all`] and in
//! `docs/output.md` (a test compares the two).

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
/// `codes! { ON_REPLICA = "postgres.on_replica": "the URL lands on a read-only replica"; }`
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
    crate::codes! {
        TIMED_OUT = "check.timed_out": "the check did not finish within its deadline; the summary names the step it was in";
        INTERRUPTED = "check.interrupted": "SIGINT or SIGTERM stopped the run before this check finished";
        INTERNAL_ERROR = "check.internal_error": "the check itself failed (a bug in kbz-check)";
    }
}

/// Every code the program can emit: the run's, each kind's, the root causes'.
pub fn all() -> Vec<CodeInfo> {
    let kinds = crate::checks::KINDS.iter().flat_map(|kind| kind.codes.iter());
    run::ALL.iter().chain(kinds).chain(crate::rootcause::codes::ALL).copied().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn families_are_whole_segments() {
        let code = Code("vault.unreachable.refused");
        assert!(code.is_in("vault.unreachable") && code.is_in("vault") && code.is_in("vault.unreachable.refused"));
        assert!(!code.is_in("vault.unreach") && !code.is_in("vaul") && !code.is_in("postgres"));
    }

    #[test]
    fn codes_are_dotted_lower_case_and_never_share_a_meaning() {
        let all = all();
        let mut codes = HashSet::new();
        let mut meanings = HashSet::new();
        for info in &all {
            let name = info.code.as_str();
            assert!(codes.insert(name), "{name} is declared twice");
            assert!(meanings.insert(info.meaning), "{name} shares its meaning with another code: {}", info.meaning);
            let well_formed = name.split('.').count() >= 2
                && name.split('.').all(|part| {
                    !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                });
            assert!(well_formed, "{name} is not dotted lower-case");
            assert!(!info.meaning.is_empty(), "{name} has no meaning");
        }
    }

    #[test]
    fn a_kinds_codes_start_with_its_name() {
        for kind in crate::checks::KINDS {
            for info in kind.codes {
                assert!(info.code.is_in(kind.name), "{} belongs to {}", info.code, kind.name);
            }
        }
    }
}
