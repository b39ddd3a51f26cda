//! The modules of `src/` form layers, written once at the top of
//! `src/lib.rs`: a module may use only modules of the layers below its own.
//! This test reads every `crate::` path of every source file (test modules
//! aside: a test may drive the whole) and lists each one that reaches
//! beside or above its own layer, so that no import cycle comes back.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// Modules that only tests compile: usable from any test module.
const TEST_ONLY: [&str; 1] = ["test_strategies"];

/// The numbered list in `src/lib.rs`'s comment: `//! 3. \`cli\`, \`render\`: …`,
/// each module's layer number (1 is the top).
fn layers() -> BTreeMap<String, usize> {
    let lib = fs::read_to_string(Path::new(SRC).join("lib.rs")).unwrap();
    let mut layers = BTreeMap::new();
    for line in lib.lines() {
        let Some(item) = line.strip_prefix("//!").map(str::trim) else { continue };
        let Some((number, rest)) = item.split_once(". ") else { continue };
        let Ok(number) = number.parse::<usize>() else { continue };
        let names = rest.split(':').next().unwrap_or_default();
        for name in names.split(',').map(|n| n.trim().trim_matches('`')) {
            assert!(layers.insert(name.to_string(), number).is_none(), "`{name}` is in two layers in src/lib.rs");
        }
    }
    layers
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top module a file belongs to: `src/checks/vault/mod.rs` is `checks`.
fn module_of(path: &Path) -> String {
    let relative = path.strip_prefix(SRC).unwrap();
    let first = relative.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_string()
}

/// The lines of `text` outside `#[cfg(test)]` items, numbered from 1, as
/// rustfmt lays them out (an item's closing brace at its own indentation).
fn non_test_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    while let Some((number, line)) = lines.next() {
        if line.trim() != "#[cfg(test)]" {
            out.push((number, line));
            continue;
        }
        // Further attributes, then the item itself.
        let Some((_, item)) = lines.by_ref().find(|(_, l)| !l.trim_start().starts_with("#[")) else { break };
        if item.trim_end().ends_with('{') {
            let indent = &item[..item.len() - item.trim_start().len()];
            let close = format!("{indent}}}");
            lines.by_ref().find(|(_, l)| l.trim_end() == close);
        }
    }
    out
}

/// The top modules a line names through `crate::`: `crate::a::b`, and each
/// of `crate::{a, b::c}` (whose braces `rest` may continue on later lines).
fn crate_paths(code: &str) -> Vec<String> {
    let ident = |s: &str| s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>();
    let mut names = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let preceded_by_ident =
            rest[..at].chars().next_back().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
        rest = &rest[at + "crate::".len()..];
        if preceded_by_ident {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        names.push(ident(group[start..].trim_start()));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.push(ident(group[start..].trim_start()));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else if !rest[ident(rest).len()..].starts_with('!') {
            // `crate::codes!` is a macro at the crate root, not a module.
            names.push(ident(rest));
        }
    }
    names.retain(|n| !n.is_empty() && n != "self");
    names
}

#[test]
fn no_module_uses_one_beside_or_above_its_layer() {
    let layers = layers();
    let mut files = Vec::new();
    rust_files(Path::new(SRC), &mut files);
    files.sort();
    let mut offending = Vec::new();
    let mut unlisted = Vec::new();
    for path in &files {
        let module = module_of(path);
        if matches!(module.as_str(), "lib" | "main") || TEST_ONLY.contains(&module.as_str()) {
            continue;
        }
        let Some(&own) = layers.get(&module) else {
            unlisted.push(module);
            continue;
        };
        let text = fs::read_to_string(path).unwrap();
        let lines = non_test_lines(&text);
        for (i, &(number, line)) in lines.iter().enumerate() {
            if line.trim_start().starts_with("//") || !line.contains("crate::") {
                continue;
            }
            // A `use crate::{` group may run over several lines.
            let mut code = line.to_string();
            if line.contains("crate::{") && !line.contains('}') {
                for (_, more) in lines.iter().skip(i + 1) {
                    code.push_str(more);
                    if more.contains('}') {
                        break;
                    }
                }
            }
            for used in crate_paths(&code) {
                if used == module {
                    continue;
                }
                let shown = format!("{}:{number}: {}", path.strip_prefix(SRC).unwrap().display(), line.trim());
                match layers.get(&used) {
                    Some(&layer) if layer > own => {}
                    Some(&layer) => offending.push(format!(
                        "{shown}\n    `{module}` (layer {own}) uses `{used}` (layer {layer}, {})",
                        if layer == own { "beside it" } else { "above it" }
                    )),
                    None if TEST_ONLY.contains(&used.as_str()) => {}
                    None => unlisted.push(used),
                }
            }
        }
    }
    unlisted.sort();
    unlisted.dedup();
    assert!(unlisted.is_empty(), "modules missing from the layer list in src/lib.rs: {unlisted:?}");
    assert!(offending.is_empty(), "imports against the layers of src/lib.rs:\n{}", offending.join("\n"));
}

#[test]
fn the_layer_list_names_every_module_of_the_crate() {
    let layers = layers();
    let lib = fs::read_to_string(Path::new(SRC).join("lib.rs")).unwrap();
    let declared: Vec<String> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|l| l.trim_end_matches(';').to_string())
        .collect();
    assert!(!declared.is_empty());
    let missing: Vec<_> = declared.iter().filter(|m| !layers.contains_key(*m)).collect();
    assert!(missing.is_empty(), "modules in no layer of src/lib.rs's list: {missing:?}");
    let stale: Vec<_> = layers.keys().filter(|m| !declared.contains(m)).collect();
    assert!(stale.is_empty(), "layers name modules that do not exist: {stale:?}");
}

#[test]
fn the_reader_sees_through_groups_comments_and_test_modules() {
    assert_eq!(crate_paths("use crate::{engine, output, render::words::Lang, self};"), ["engine", "output", "render"]);
    assert_eq!(crate_paths("let x = crate::human::duration(crate::a::b);"), ["human", "a"]);
    assert_eq!(crate_paths("use crate::{a::{b, c}, d};"), ["a", "d"]);
    assert_eq!(crate_paths("kbz_check::crate::x"), Vec::<String>::new());
    let text = "use crate::a;\n#[cfg(test)]\nmod test_strategies;\nfn f() {}\n#[cfg(test)]\nmod tests {\n    use crate::z;\n}\n";
    let kept: Vec<_> = non_test_lines(text).into_iter().map(|(n, _)| n).collect();
    assert_eq!(kept, [1, 4]);
}
