//! Every finding code the program can emit is listed in docs/output.md with
//! its meaning, and nothing else is: machines key on these codes. build.rs
//! declares the codes from that table; this checks that every kind's list is
//! gathered (a module that forgot its `include!` would go missing here).

use std::collections::BTreeMap;

/// The `| `code` | meaning |` rows of docs/output.md's "Finding codes" table.
fn documented() -> BTreeMap<String, String> {
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/output.md")).unwrap();
    let section = page.split("### Finding codes").nth(1).expect("docs/output.md has a Finding codes section");
    let section = section.split("\n### ").next().unwrap();
    section
        .lines()
        .filter_map(|line| {
            let row = line.strip_prefix("| `")?;
            let (code, rest) = row.split_once("` | ")?;
            Some((code.to_string(), rest.trim_end_matches(" |").trim().to_string()))
        })
        .collect()
}

#[test]
fn docs_list_every_code_with_its_meaning_and_no_other() {
    let emitted: BTreeMap<String, String> = kbz_check::codebook::all()
        .iter()
        .map(|info| (info.code.as_str().to_string(), info.meaning.to_string()))
        .collect();
    let table: String = emitted.iter().map(|(code, meaning)| format!("| `{code}` | {meaning} |\n")).collect();
    assert_eq!(documented(), emitted, "docs/output.md's Finding codes table must read:\n{table}");
}
