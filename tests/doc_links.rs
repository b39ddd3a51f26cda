//! Every relative link of the documentation leads somewhere: a page moved or
//! a heading reworded must not leave a reader of README.md, CONTRIBUTING.md
//! or docs/ on a 404 or at the top of a long page. A link `[..](path#anchor)`
//! must name a file or directory that exists, and an anchor into a markdown
//! page must be one of its headings, as GitHub names them, or an explicit
//! `<a id="…">`.

#[path = "support/docs.rs"]
mod docs;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// GitHub's anchor for a heading's text (github-slugger): lower case, each
/// space a `-`, every other character but letters, digits, `-` and `_`
/// dropped.
fn slug(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// What a page holds for links to read: the anchors it defines and the
/// destinations of its links and images.
#[derive(Default)]
struct Page {
    anchors: BTreeSet<String>,
    links: Vec<String>,
}

fn read(text: &str) -> Page {
    let mut page = Page::default();
    let mut heading: Option<String> = None;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for event in Parser::new_ext(text, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(_)) => {
                let base = slug(&heading.take().unwrap_or_default());
                // A repeated heading gets -1, -2, … in order.
                let count = seen.entry(base.clone()).or_insert(0);
                page.anchors.insert(if *count == 0 { base.clone() } else { format!("{base}-{count}") });
                *count += 1;
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(heading) = heading.as_mut() {
                    heading.push_str(&t);
                }
            }
            Event::Html(html) | Event::InlineHtml(html) => page.anchors.extend(html_ids(&html)),
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                page.links.push(dest_url.to_string())
            }
            _ => {}
        }
    }
    page
}

/// The `id="…"` and `name="…"` attributes of raw HTML: `<a id="report-files"></a>`.
fn html_ids(html: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for attribute in [" id=\"", " name=\""] {
        let mut rest = html;
        while let Some(at) = rest.find(attribute) {
            rest = &rest[at + attribute.len()..];
            if let Some(end) = rest.find('"') {
                ids.push(rest[..end].to_string());
            }
        }
    }
    ids
}

/// Whether a link leaves the repository: `https:`, `mailto:`, any scheme.
fn is_external(link: &str) -> bool {
    link.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    })
}

/// `%20` and the like, as a browser reads a link.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What is wrong with `link` on page `from`, if anything.
fn dead(from: &Path, link: &str, pages: &mut HashMap<PathBuf, Page>) -> Option<String> {
    if is_external(link) {
        return None;
    }
    let (path, anchor) = link.split_once('#').unwrap_or((link, ""));
    let path = percent_decoded(path.split('?').next().unwrap_or_default());
    let target = match path.as_str() {
        "" => from.to_path_buf(),
        absolute if absolute.starts_with('/') => docs::root().join(&absolute[1..]),
        relative => from.parent().unwrap().join(relative),
    };
    if !target.exists() {
        return Some(format!("{} does not exist", docs::shown(&target)));
    }
    if anchor.is_empty() || target.extension().is_none_or(|ext| ext != "md") {
        return None;
    }
    let target = target.canonicalize().unwrap();
    let page = pages.entry(target.clone()).or_insert_with(|| read(&std::fs::read_to_string(&target).unwrap()));
    let anchor = percent_decoded(anchor);
    (!page.anchors.contains(&anchor)).then(|| format!("{} has no heading #{anchor}", docs::shown(&target)))
}

#[test]
fn every_relative_link_leads_to_a_file_and_heading_that_exist() {
    let mut pages: HashMap<PathBuf, Page> = HashMap::new();
    let mut dead_links = Vec::new();
    let mut checked = 0;
    for file in docs::markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", docs::shown(&file)));
        let links = read(&text).links;
        for link in links {
            checked += usize::from(!is_external(&link));
            if let Some(reason) = dead(&file, &link, &mut pages) {
                dead_links.push(format!("{}: ({link}): {reason}", docs::shown(&file)));
            }
        }
    }
    assert!(checked > 100, "only {checked} relative links found: the extraction missed them");
    assert!(dead_links.is_empty(), "dead links:\n{}", dead_links.join("\n"));
}

#[test]
fn anchors_are_named_as_github_names_them() {
    assert_eq!(slug("Continuous checks: kbz-check serve"), "continuous-checks-kbz-check-serve");
    assert_eq!(slug("Memory across runs (--state)"), "memory-across-runs---state");
    assert_eq!(slug("libpq's files: .pgpass and pg_service.conf"), "libpqs-files-pgpass-and-pg_serviceconf");
    assert_eq!(
        slug("Worked example: PH15, Vault unreachable from a pod"),
        "worked-example-ph15-vault-unreachable-from-a-pod"
    );
    assert_eq!(slug("Résumé exécutif"), "résumé-exécutif");
    let page = read("# Root causes\n\n```\n## Not a heading\n```\n\n## `kbz-check list`\n\n## Root causes\n\n<a id=\"input-files\"></a>**Input**\n");
    let anchors: Vec<&str> = page.anchors.iter().map(String::as_str).collect();
    assert_eq!(anchors, ["input-files", "kbz-check-list", "root-causes", "root-causes-1"]);
}

#[test]
fn only_links_into_the_repository_are_followed() {
    let page = read(
        "[a](https://example.com/x#y) [b](guide.md#z) [c](#top) ![d](img.png) `[e](code.md)`\n\n[f]: ../f.md\n[g][f]\n",
    );
    assert_eq!(page.links, ["https://example.com/x#y", "guide.md#z", "#top", "img.png", "../f.md"]);
    assert!(is_external("mailto:ops@example.com") && is_external("https://example.com"));
    assert!(!is_external("guide.md#a:b") && !is_external("#x") && !is_external("../README.md"));
    assert_eq!(percent_decoded("a%20b%zz"), "a b%zz");
}
