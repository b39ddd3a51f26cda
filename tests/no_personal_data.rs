//! The product prints no personal data and no internal incident codes: the
//! reference reports' incident names (PH11, PH15) may title docs and tests as
//! stories, never a string the tool prints; example addresses are on
//! example.com / example.test.

use std::fs;
use std::path::{Path, PathBuf};

/// The product's code of a source file: its unit tests and comments left out.
fn product_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let product = text.split("#[cfg(test)]").next().unwrap_or_default();
    product.lines().enumerate().filter(|(_, line)| !line.trim_start().starts_with("//"))
}

#[test]
fn no_string_the_tool_prints_cites_an_incident_code() {
    let mut files = Vec::new();
    collect(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    files.retain(|f| f.extension().is_some_and(|e| e == "rs"));
    assert!(files.len() > 20, "the sources were found");
    let mut found = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        for (n, line) in product_lines(&text) {
            let quoted = line.split('"').skip(1).step_by(2);
            if quoted.into_iter().any(|s| s.contains("PH11") || s.contains("PH15") || s.contains("section 7")) {
                found.push(format!("{}:{}: {line}", file.display(), n + 1));
            }
        }
    }
    assert!(found.is_empty(), "incident codes in product strings:\n{}", found.join("\n"));
}

/// The shipped suites are printed too: their report id and title head every
/// report made with them.
#[test]
fn no_shipped_suite_prints_an_incident_code() {
    let mut files = Vec::new();
    collect(&Path::new(env!("CARGO_MANIFEST_DIR")).join("checks"), &mut files);
    files.retain(|f| f.extension().is_some_and(|e| e == "toml"));
    assert!(files.len() >= 3, "the shipped suites were found");
    let mut found = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        let settings = text.lines().enumerate().filter(|(_, line)| !line.trim_start().starts_with('#'));
        for (n, line) in settings.filter(|(_, line)| line.contains("PH11") || line.contains("PH15")) {
            found.push(format!("{}:{}: {line}", file.display(), n + 1));
        }
    }
    assert!(found.is_empty(), "incident codes in shipped suites:\n{}", found.join("\n"));
}

#[test]
fn no_personal_mail_address_anywhere_in_the_project() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "tests", "examples", "docs", "checks", "scripts"] {
        collect(&root.join(dir), &mut files);
    }
    files.push(root.join("README.md"));
    files.push(root.join("CONTRIBUTING.md"));
    let personal = ["@gmail.", "@yahoo.", "@hotmail.", "@outlook.", "gonthier"];
    let mut found = Vec::new();
    for file in files {
        let Ok(text) = fs::read_to_string(&file) else { continue };
        for (n, line) in text.lines().enumerate() {
            let lower = line.to_lowercase();
            if personal.iter().any(|p| lower.contains(p)) && !line.contains("let personal") {
                found.push(format!("{}:{}", file.display(), n + 1));
            }
        }
    }
    assert!(found.is_empty(), "personal-looking addresses:\n{}", found.join("\n"));
}

/// The README is the front door: its examples speak to someone who has never
/// seen the team's systems or its incident reports (those are told as
/// stories in docs/, by name).
#[test]
fn the_readme_uses_no_internal_names() {
    let readme = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let internal = ["keybuzz", "kb_backend", "ph11", "ph15", "10.0.0.", "db-postgres-0"];
    let found: Vec<String> = readme
        .lines()
        .enumerate()
        .filter(|(_, line)| internal.iter().any(|name| line.to_lowercase().contains(name)))
        .map(|(n, line)| format!("README.md:{}: {line}", n + 1))
        .collect();
    assert!(found.is_empty(), "internal names in the README:\n{}", found.join("\n"));
}

fn collect(dir: &Path, into: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, into);
        } else {
            into.push(path);
        }
    }
}
