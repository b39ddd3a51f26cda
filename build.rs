//! Finding codes are declared once, in docs/output.md's "Finding codes"
//! table, the list machines key on: each row `| `kind.topic` | meaning |`
//! becomes, in the module of its kind, the constant `TOPIC` (dots as
//! underscores, upper case) through `crate::codes!`. Code and documentation
//! cannot drift apart, and a code no row declares does not compile.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// A code's first segment, and the file its module includes.
const GROUPS: [&str; 9] = ["check", "cause", "postgres", "vault", "smtp", "ses", "oauth", "exec", "domain"];

fn main() {
    let docs = "docs/output.md";
    println!("cargo::rerun-if-changed={docs}");
    let page = std::fs::read_to_string(docs).unwrap_or_else(|e| panic!("{docs}: {e} (it declares the finding codes)"));
    let section = page
        .split("### Finding codes")
        .nth(1)
        .unwrap_or_else(|| panic!("{docs} has no \"### Finding codes\" section"))
        .split("\n### ")
        .next()
        .unwrap_or_default();
    let mut groups: BTreeMap<&str, String> = GROUPS.iter().map(|g| (*g, String::from("crate::codes! {\n"))).collect();
    let mut seen = std::collections::HashSet::new();
    for (number, line) in section.lines().enumerate() {
        let Some(row) = line.strip_prefix("| `") else { continue };
        let Some((code, rest)) = row.split_once("` | ") else {
            panic!("{docs}: Finding codes row {number}: expected | `code` | meaning |");
        };
        let meaning = rest.trim_end_matches(" |").trim();
        assert!(seen.insert(code), "{docs}: {code} is declared twice");
        let (group, topic) = code.split_once('.').unwrap_or_else(|| panic!("{docs}: {code} is not dotted"));
        let Some(out) = groups.get_mut(group) else {
            panic!("{docs}: {code}: `{group}` is not a kind of code ({})", GROUPS.join(", "));
        };
        let name = topic.replace('.', "_").to_ascii_uppercase();
        let _ = writeln!(out, "    {name} = {code:?}: {meaning:?};");
    }
    let dir = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("codes");
    std::fs::create_dir_all(&dir).expect("create OUT_DIR/codes");
    for (group, mut text) in groups {
        text.push_str("}\n");
        std::fs::write(dir.join(format!("{group}.rs")), text).expect("write a codes module");
    }
}
