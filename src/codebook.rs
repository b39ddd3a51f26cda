//! Every finding code the program can emit, gathered from where each is
//! declared: the run's own, each check kind's, the root causes'.

use crate::code::{run, CodeInfo};

pub fn all() -> Vec<CodeInfo> {
    let kinds = crate::checks::KINDS.iter().flat_map(|kind| kind.codes.iter());
    run::ALL.iter().chain(kinds).chain(crate::rootcause::codes::ALL).copied().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

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
