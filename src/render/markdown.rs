//! The report ops write by hand today (see shared/reference/), produced from
//! evidence: summary table first, root causes, one numbered section per check
//! with its evidence in code blocks, the actions by priority with their
//! commands, and a final verdict table. Everything observed is escaped so the
//! document parses as CommonMark (GitHub flavour) whatever the evidence holds.

use crate::render::words::Words;
use crate::report::{Action, CheckResult, Report, Status, Verdict};
use std::fmt::Write;

pub fn render(report: &Report, words: &Words) -> String {
    let mut out = String::new();
    let verdict = report.verdict();
    let verdict_label = words.verdict_text(report);
    let counts = words.counts(report.counts());
    let heading = match (&report.id, &report.title) {
        (Some(id), Some(title)) => format!("{id} — {title}"),
        (Some(one), None) | (None, Some(one)) => one.clone(),
        (None, None) => words.default_title.to_string(),
    };
    let date = report.generated_at_rfc3339();
    let _ = writeln!(out, "# {}\n", inline(&heading));
    let _ = writeln!(out, "**{}**: {}  ", words.date, &date[..10.min(date.len())]);
    let _ =
        writeln!(out, "**{}**: {date} {} {} ms  ", words.generated, words.generated_in, report.duration.as_millis());
    if let Some(vantage) = &report.vantage {
        let _ = writeln!(out, "**{}**: {}  ", words.seen_from, words.vantage(vantage));
    }
    for note in &report.notes {
        let _ = writeln!(out, "**{}**: {}  ", words.note, inline(&words.note_text(note)));
    }
    let _ = writeln!(out, "**{}**: {} {verdict_label} — {counts}\n", words.status, verdict.symbol());

    let _ = write!(
        out,
        "---\n\n## {}\n\n| {} | {} | {} |\n|---|---|---|\n",
        words.executive_summary, words.component, words.status, words.evidence
    );
    for check in &report.checks {
        let _ = writeln!(
            out,
            "| {} | {} {} | {} |",
            cell(&component(check)),
            check.status.symbol(),
            words.status_label(check.status),
            cell(&check.summary)
        );
    }
    let _ = writeln!(out, "\n**{}: {} {verdict_label}** — {counts}", words.conclusion, verdict.symbol());

    if !report.root_causes.is_empty() {
        let _ = write!(out, "\n## {}\n\n", words.root_causes);
        for (i, cause) in report.root_causes.iter().enumerate() {
            let _ = writeln!(out, "{}. **{}**  ", i + 1, inline(&cause.summary));
            let _ = writeln!(
                out,
                "   {}: {}",
                words.shown_by,
                cause.checks.iter().map(|c| code_span(c)).collect::<Vec<_>>().join(", ")
            );
        }
    }

    for (number, check) in report.checks.iter().enumerate() {
        out.push_str("\n---\n\n");
        check_section(&mut out, number + 1, check, report, words);
    }

    let actions = report.actions_by_priority();
    let _ = write!(out, "\n---\n\n## {}. {}\n\n", report.checks.len() + 1, words.required_actions);
    if actions.is_empty() {
        let _ = writeln!(out, "{}", words.none);
    }
    for (i, (who, action)) in actions.iter().enumerate() {
        action_item(&mut out, i + 1, Some(who), action, words);
    }

    let _ =
        write!(out, "\n---\n\n## {}\n\n| {} | {} |\n|---|---|\n", words.final_verdict, words.question, words.answer);
    // Every answer follows from the one verdict; the lists only name the checks.
    let with = |status: Status| -> Vec<String> {
        report.checks.iter().filter(|c| c.status == status).map(|c| format!("{}: {}", c.name, c.summary)).collect()
    };
    let (failed, warned, skipped) = (with(Status::Fail), with(Status::Warn), with(Status::Skip));
    let all_ok = match verdict {
        Verdict::Ok if skipped.is_empty() => format!("✅ **{}**", words.yes),
        Verdict::Ok => {
            format!("✅ **{}** — {}", words.yes, words.not_checked.replace("{n}", &skipped.len().to_string()))
        }
        Verdict::Skip => format!("⏭️ **{}** — {}", words.no, words.nothing_checked),
        Verdict::Warn | Verdict::Fail => format!("❌ **{}**", words.no),
    };
    let _ = writeln!(out, "| {} | {all_ok} |", words.all_ok);
    let except: Vec<String> =
        warned.iter().map(|w| format!("⚠️ {w}")).chain(skipped.iter().map(|s| format!("⏭️ {s}"))).collect();
    let except = if except.is_empty() { "—".to_string() } else { cell(&except.join("; ")) };
    let _ = writeln!(out, "| {} | {except} |", words.ok_except);
    let blocking = match (verdict.blocks(), report.verdict_reason()) {
        (false, _) => format!("✅ {}", words.no_lower),
        // A reason exactly when no check failed (report.rs decides).
        (true, Some(reason)) => format!("❌ **{}** — {}", words.yes, words.verdict_reason(reason)),
        (true, _) => format!("❌ **{}** — {}", words.yes, cell(&failed.join("; "))),
    };
    let _ = writeln!(out, "| {} | {blocking} |", words.blocking);
    let _ = writeln!(out, "\n**{}: {} {verdict_label}** ({counts})", words.verdict, verdict.symbol());
    let _ = writeln!(out, "\n---\n\n**{}** {}", inline(&heading), verdict.symbol());
    out
}

fn check_section(out: &mut String, number: usize, check: &CheckResult, report: &Report, words: &Words) {
    if check.name == check.kind {
        let _ = writeln!(out, "## {number}. {}\n", inline(&check.name));
    } else {
        let _ = writeln!(out, "## {number}. {} — {}\n", inline(&check.name), inline(&check.kind));
    }
    if !check.target.is_empty() {
        let _ = writeln!(out, "**{}**: {}  ", words.target, code_span(&check.target));
    }
    let _ = writeln!(
        out,
        "**{}**: {} {} — {}  ",
        words.status,
        check.status.symbol(),
        words.status_label(check.status),
        inline(&check.summary)
    );
    if let Some(history) = &check.history {
        if let Some(since) = history.failing_since {
            let _ = writeln!(out, "{}  ", inline(&words.failing_since_line(since, report.generated_at)));
        }
        if let Some(change) = &history.cause_changed {
            // Codes are identifiers: code spans, which `inline` keeps as they are.
            let line = words.cause_changed_line(change, |code| format!("`{code}`"));
            let _ = writeln!(out, "{}  ", inline(&line));
        }
    }
    let _ = writeln!(out, "**{}**: {} ms{}", words.duration, check.duration_ms, words.attempts_note(check.attempts));
    if !check.evidence.is_empty() {
        let _ = writeln!(out, "\n### {}", words.evidence);
        for evidence in &check.evidence {
            match &evidence.command {
                Some(command) if !command.contains('\n') => {
                    let _ = writeln!(out, "\n**{}** — {}", inline(&evidence.label), code_span(command));
                }
                Some(command) => {
                    let _ = writeln!(out, "\n**{}**", inline(&evidence.label));
                    code_block(out, "", command, "");
                }
                None => {
                    let _ = writeln!(out, "\n**{}**", inline(&evidence.label));
                }
            }
            code_block(out, "", &evidence.output, "");
        }
    }
    if !check.causes.is_empty() {
        let _ = write!(out, "\n### {}\n\n", words.root_cause);
        for line in check.causes.iter().flat_map(|cause| cause.lines()).filter(|l| !l.trim().is_empty()) {
            let _ = writeln!(out, "{}\n", paragraph(line));
        }
    }
    if !check.actions.is_empty() {
        let _ = write!(out, "{}### {}\n\n", if check.causes.is_empty() { "\n" } else { "" }, words.fix);
        for (i, action) in check.actions.iter().enumerate() {
            action_item(out, i + 1, None, action, words);
        }
    }
}

/// "db (postgres)", or just "postgres" when the check is named after its kind.
fn component(check: &CheckResult) -> String {
    if check.name == check.kind {
        check.name.clone()
    } else {
        format!("{} ({})", check.name, check.kind)
    }
}

fn action_item(out: &mut String, number: usize, check: Option<&str>, action: &Action, words: &Words) {
    let prefix = check.map_or(String::new(), |name| format!("{}: ", inline(name)));
    let marker = format!("{number}. ");
    let _ = writeln!(out, "{marker}**[{}]** {prefix}{}", words.priority(action.priority), inline(&action.text));
    if let Some(command) = &action.command {
        // Indented to the item's content, so the block stays inside the item (10. is wider than 9.).
        code_block(out, "bash", command, &" ".repeat(marker.len()));
    }
}

/// A fenced block whose fence is longer than any backtick run inside.
fn code_block(out: &mut String, lang: &str, body: &str, indent: &str) {
    let longest = longest_backtick_run(body);
    let fence = "`".repeat(longest.max(2) + 1);
    let _ = writeln!(out, "{indent}{fence}{lang}");
    for line in body.lines() {
        let _ = writeln!(out, "{indent}{line}");
    }
    let _ = writeln!(out, "{indent}{fence}");
}

/// Inline code that survives backticks in the text.
fn code_span(text: &str) -> String {
    let text = text.replace(['\r', '\n'], " ");
    let ticks = "`".repeat(longest_backtick_run(&text) + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') { " " } else { "" };
    format!("{ticks}{pad}{text}{pad}{ticks}")
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// Text on one line, as written: code spans (`like this`) are kept, every
/// other markdown character is escaped.
fn inline(text: &str) -> String {
    escape(text, false)
}

/// As `inline`, for a table cell: pipes are escaped even inside code spans
/// (GitHub splits cells before it reads code spans).
fn cell(text: &str) -> String {
    escape(text, true)
}

/// A line of prose as its own paragraph: no indentation (code block) and no
/// leading `-`, `+`, `=` or `1.` that would make a list, a heading or a rule.
fn paragraph(line: &str) -> String {
    let text = inline(line.trim_start());
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    let starts_list = digits > 0 && matches!(text[digits..].chars().next(), Some('.' | ')'));
    if starts_list {
        format!("{}\\{}", &text[..digits], &text[digits..])
    } else if text.starts_with(['-', '+', '=']) {
        format!("\\{text}")
    } else {
        text
    }
}

fn escape(text: &str, table: bool) -> String {
    let chars: Vec<char> = text.chars().map(|c| if c == '\n' || c == '\r' { ' ' } else { c }).collect();
    let mut out = String::with_capacity(text.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '`' {
            let run = chars[i..].iter().take_while(|&&c| c == '`').count();
            match closing_run(&chars, i + run, run) {
                Some(end) => {
                    for &c in &chars[i..end + run] {
                        if c == '|' && table {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                    i = end + run;
                }
                None => {
                    out.push_str(&"\\`".repeat(run));
                    i += run;
                }
            }
            continue;
        }
        let escaped = match c {
            '|' | '*' | '<' | '>' | '[' | ']' | '\\' | '#' | '&' | '~' => true,
            // Intraword underscores (DATABASE_URL) never make emphasis; others (__init__) may.
            '_' => {
                let around = |j: Option<usize>| j.and_then(|j| chars.get(j)).is_some_and(|c| c.is_alphanumeric());
                !(around(i.checked_sub(1)) && around(Some(i + 1)))
            }
            _ => false,
        };
        if escaped {
            out.push('\\');
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Where a run of exactly `run` backticks starts at or after `from`, closing a code span.
fn closing_run(chars: &[char], from: usize, run: usize) -> Option<usize> {
    let mut j = from;
    while j < chars.len() {
        if chars[j] == '`' {
            let len = chars[j..].iter().take_while(|&&c| c == '`').count();
            if len == run {
                return Some(j);
            }
            j += len;
        } else {
            j += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::words::{EN, FR};
    use crate::render::Style;
    use crate::report::{Evidence, Outcome, Priority};
    use std::time::{Duration, SystemTime};

    fn result(name: &str, status: Status, summary: &str) -> CheckResult {
        let mut outcome = Outcome::new(status, summary);
        outcome.evidence = vec![Evidence::new("role", Some("SELECT pg_is_in_recovery()"), "t")];
        if status == Status::Fail {
            outcome.causes = vec!["points at a replica".into()];
            outcome.actions =
                vec![Action::new(Priority::Critical, "fix the URL").with_command("DATABASE_URL=postgresql://x")];
        }
        let target = "postgresql://u:***#abcd@h:5432/db";
        CheckResult::from_outcome(name, "postgres", target, Duration::from_millis(3), outcome)
    }

    fn report(checks: Vec<CheckResult>) -> Report {
        Report {
            id: Some("MAIL-REALITY-CHECK-01".into()),
            title: Some("Mail reality check".into()),
            generated_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_776_400),
            duration: Duration::from_millis(84),
            ..Report::of_checks(checks)
        }
    }

    /// Fails unless each of `order` stands in `md`, each after the one before.
    fn assert_in_order(md: &str, order: &[&str]) {
        let mut from = 0;
        for needle in order {
            let at = md[from..].find(needle).unwrap_or_else(|| panic!("missing or out of order: {needle}\n{md}"));
            from += at + needle.len();
        }
    }

    #[test]
    fn the_memory_of_earlier_runs_is_in_each_check_section_in_each_language() {
        let report = Report::remembered();
        let md = render(&report, &EN);
        assert_in_order(
            &md,
            &[
                "**Note**: the state file /var/lib/kbz-check/state.json is not valid JSON (line 1, column 2); it is replaced, and failing-since times start again from this run  \n",
                "## 1. vault\n",
                "**Status**: ❌ FAIL — vault ∅  \nfailing since 2025-12-15 09:12 UTC (21 days)  \ncause changed: was `vault.sealed`, now `vault.unreachable.refused` (since 2026-01-03 09:12 UTC)  \n**Duration**: 4 ms",
                "## 2. skew — vault\n",
                "**Status**: ⚠️ WARN — skew ∅  \ncause changed: was `vault.sealed`, now `vault.clock_skew` (since 2026-01-05 09:12 UTC)  \n**Duration**",
                "## 3. fresh — vault\n",
                "failing since 2026-01-05 09:12 UTC (first seen failing in this run)  \n**Duration**",
            ],
        );
        assert_eq!(md.matches("failing since 20").count(), 2, "{md}");
        let fr = render(&report, &FR);
        assert!(fr.contains("\nen échec depuis le 2025-12-15 09:12 UTC (21 jours)  \ncause modifiée : avant `vault.sealed`, maintenant `vault.unreachable.refused` (depuis le 2026-01-03 09:12 UTC)  \n"), "{fr}");
        assert!(
            fr.contains("**Remarque**: le fichier d'état /var/lib/kbz-check/state.json n'est pas du JSON valide"),
            "{fr}"
        );
        for english in ["failing", "since", "changed", "was", "now", "days", "first", "Note", "state file", "replaced"]
        {
            assert!(!fr.contains(english), "English {english:?} in the French report:\n{fr}");
        }
        // The codes are code spans for a markdown reader.
        let spans: Vec<String> = pulldown_cmark::Parser::new(&md)
            .filter_map(|event| match event {
                pulldown_cmark::Event::Code(code) => Some(code.to_string()),
                _ => None,
            })
            .collect();
        for code in ["vault.sealed", "vault.unreachable.refused", "vault.clock_skew"] {
            assert!(spans.iter().any(|s| s == code), "{code} not a code span: {spans:?}");
        }
    }

    #[test]
    fn has_the_reference_sections_in_order() {
        let md =
            render(&report(vec![result("db", Status::Fail, "on a replica"), result("pg2", Status::Ok, "leader")]), &EN);
        let order = [
            "# MAIL-REALITY-CHECK-01 — Mail reality check",
            "**Date**: 2026-01-07",
            "**Status**: ❌ FAIL — 1 failed, 1 ok",
            "## Executive summary",
            "| db (postgres) | ❌ FAIL | on a replica |",
            "## 1. db — postgres",
            "### Evidence",
            "**role** — `SELECT pg_is_in_recovery()`",
            "### Root cause",
            "## 2. pg2 — postgres",
            "## 3. Required actions (by priority)",
            "1. **[CRITICAL]** db: fix the URL",
            "## Final verdict",
            "| All OK? | ❌ **NO** |",
            "| Blocking? | ❌ **YES** — db: on a replica |",
        ];
        assert_in_order(&md, &order);
    }

    #[test]
    fn root_causes_come_after_the_summary_and_lead_the_actions_without_repeats() {
        let mut r = report(vec![result("db", Status::Fail, "on a replica"), result("vault", Status::Ok, "active")]);
        r.root_causes = vec![crate::report::RootCause {
            code: crate::rootcause::codes::WRITES_ON_REPLICA,
            summary: "Writes fail".into(),
            checks: vec!["db".into()],
            actions: vec![Action::new(Priority::Critical, "fix the URL").with_command("DATABASE_URL=postgresql://x")],
        }];
        let md = render(&r, &EN);
        let summary = md.find("## Executive summary").unwrap();
        let causes = md.find("## Root causes").unwrap();
        let first_check = md.find("## 1. db").unwrap();
        assert!(summary < causes && causes < first_check, "{md}");
        assert!(md.contains("1. **Writes fail**  \n   Shown by: `db`"), "{md}");
        let actions = &md[md.find("Required actions").unwrap()..];
        assert_eq!(
            actions.matches("fix the URL").count(),
            1,
            "the check's identical action is not repeated: {actions}"
        );
        assert!(actions.contains("1. **[CRITICAL]** db: fix the URL"), "{actions}");
    }

    #[test]
    fn a_check_named_after_its_kind_is_not_named_twice() {
        let mut check = result("postgres", Status::Ok, "leader");
        check.kind = "postgres".into();
        let md = render(&report(vec![check]), &EN);
        assert!(md.contains("| postgres | ✅ OK | leader |") && md.contains("## 1. postgres\n"), "{md}");
    }

    #[test]
    fn table_cells_escape_pipes_and_newlines() {
        let md = render(&report(vec![result("db", Status::Warn, "a | b\nc")]), &EN);
        assert!(md.contains("| db (postgres) | ⚠️ WARN | a \\| b c |"), "{md}");
    }

    #[test]
    fn fences_outgrow_backticks_in_evidence() {
        let mut check = result("db", Status::Ok, "ok");
        check.evidence = vec![Evidence::new("odd", None, "```\ninside")];
        let md = render(&report(vec![check]), &EN);
        assert!(md.contains("````\n```\ninside\n````"), "{md}");
    }

    /// What a CommonMark (GitHub flavour) reader sees: headings, tables
    /// (rows of cell texts), code blocks, paragraphs and any raw HTML.
    #[derive(Debug, Default)]
    struct Parsed {
        headings: Vec<(usize, String)>,
        tables: Vec<Vec<Vec<String>>>,
        /// Info string, body, and whether it sits inside a list item.
        code_blocks: Vec<(String, String, bool)>,
        paragraphs: Vec<String>,
        html: Vec<String>,
    }

    fn parse(md: &str) -> Parsed {
        use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
        let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
        let mut doc = Parsed::default();
        let (mut text, mut items, mut row) = (String::new(), 0usize, Vec::new());
        for event in Parser::new_ext(md, options) {
            match event {
                Event::Start(Tag::Item) => {
                    items += 1;
                    text.clear();
                }
                Event::End(TagEnd::Item) => {
                    items -= 1;
                    // A tight list's item holds its text without a paragraph.
                    if !text.trim().is_empty() {
                        doc.paragraphs.push(std::mem::take(&mut text));
                    }
                }
                Event::Start(Tag::Table(_)) => doc.tables.push(Vec::new()),
                Event::Start(Tag::CodeBlock(kind)) => {
                    let info = match kind {
                        CodeBlockKind::Fenced(info) => info.to_string(),
                        CodeBlockKind::Indented => "(indented)".to_string(),
                    };
                    doc.code_blocks.push((info, String::new(), items > 0));
                    text.clear();
                }
                Event::Start(Tag::Heading { .. } | Tag::Paragraph | Tag::TableCell) => text.clear(),
                Event::Text(t) | Event::Code(t) => text.push_str(&t),
                Event::SoftBreak | Event::HardBreak => text.push(' '),
                Event::Html(h) | Event::InlineHtml(h) => doc.html.push(h.to_string()),
                Event::End(TagEnd::CodeBlock) => doc.code_blocks.last_mut().unwrap().1 = std::mem::take(&mut text),
                Event::End(TagEnd::Heading(level)) => doc.headings.push((level as usize, std::mem::take(&mut text))),
                Event::End(TagEnd::Paragraph) => doc.paragraphs.push(std::mem::take(&mut text)),
                Event::End(TagEnd::TableCell) => row.push(std::mem::take(&mut text)),
                Event::End(TagEnd::TableHead | TagEnd::TableRow) => {
                    doc.tables.last_mut().unwrap().push(std::mem::take(&mut row))
                }
                _ => {}
            }
        }
        doc
    }

    /// Evidence, summaries and causes that break naive markdown.
    fn tricky_report() -> Report {
        let long = "x".repeat(3000);
        let summaries = [
            ("pipes", "a | b || c", "a | b || c"),
            ("code", "answer `x|y` then ``a`b``", "answer x|y then a`b"),
            ("html", "<script>alert(1)</script> &lt;b&gt;", "<script>alert(1)</script> &lt;b&gt;"),
            ("newline", "first line\nsecond | line\r\nthird", "first line second | line  third"),
            (
                "emphasis",
                "*not bold* __init__ DATABASE_URL [link](http://x) ~~no~~ #5",
                "*not bold* __init__ DATABASE_URL [link](http://x) ~~no~~ #5",
            ),
            ("unmatched", "an odd ` backtick and C:\\path\\", "an odd ` backtick and C:\\path\\"),
            ("long", long.as_str(), long.as_str()),
        ];
        let mut checks: Vec<CheckResult> = summaries
            .iter()
            .map(|(name, summary, _)| {
                let mut check = result(name, Status::Warn, summary);
                check.evidence = vec![
                    Evidence::new(
                        "odd | label <b>",
                        Some("grep '|' `x`"),
                        format!("```\n~~~\n</pre>\n| a | b |\n{summary}"),
                    ),
                    Evidence::new("script", Some("set -e\n# a comment, not a heading\necho ok"), "    indented\n"),
                ];
                check
            })
            .collect();
        checks[0].status = Status::Fail;
        checks[0].causes =
            vec!["- not a list\n1. not a list\n---\n    indented\n=== no\n# no heading\n> no quote".into()];
        checks[0].actions = (1..=12)
            .map(|i| {
                Action::new(Priority::High, format!("step {i} | `cmd`")).with_command(format!("echo {i} | tee ```x"))
            })
            .collect();
        let mut r = report(checks);
        r.root_causes = vec![crate::report::RootCause {
            code: crate::rootcause::codes::WRITES_ON_REPLICA,
            summary: "Writes <fail> | *everywhere*".into(),
            checks: vec!["pipes".into(), "code".into()],
            actions: vec![],
        }];
        r
    }

    #[test]
    fn tricky_evidence_parses_as_commonmark_with_consistent_tables() {
        let report = tricky_report();
        let md = render(&report, &EN);
        let doc = parse(&md);
        assert!(doc.html.is_empty(), "no raw HTML gets through: {:?}", doc.html);

        assert_eq!(doc.tables.len(), 2, "{md}");
        for table in &doc.tables {
            let header = table[0].len();
            for row in table {
                assert_eq!(row.len(), header, "{row:?} in\n{md}");
            }
        }
        let summary = &doc.tables[0];
        assert_eq!(summary[0], ["Component", "Status", "Evidence"]);
        assert_eq!(summary.len(), report.checks.len() + 1, "one row per check: {md}");
        let expected = [
            "a | b || c",
            "answer x|y then a`b",
            "<script>alert(1)</script> &lt;b&gt;",
            "first line second | line  third",
            "*not bold* __init__ DATABASE_URL [link](http://x) ~~no~~ #5",
            "an odd ` backtick and C:\\path\\",
        ];
        for (row, expected) in summary[1..].iter().zip(expected) {
            assert_eq!(row[2], expected, "the reader sees the summary as observed:\n{md}");
        }
        assert_eq!(summary[7][2], "x".repeat(3000));
        let verdict = &doc.tables[1];
        assert_eq!(verdict.len(), 4);
        assert_eq!(verdict[3][0], "Blocking?");
        assert!(verdict[3][1].contains("pipes: a | b || c"), "{verdict:?}");

        let h2: Vec<_> = doc.headings.iter().filter(|(l, _)| *l == 2).map(|(_, t)| t.as_str()).collect();
        let mut expected_h2 = vec!["Executive summary".to_string(), "Root causes".to_string()];
        expected_h2.extend(report.checks.iter().enumerate().map(|(i, c)| format!("{}. {} — postgres", i + 1, c.name)));
        expected_h2.push("8. Required actions (by priority)".into());
        expected_h2.push("Final verdict".into());
        assert_eq!(h2, expected_h2, "no stray heading from the evidence");
        assert_eq!(doc.headings.iter().filter(|(l, _)| *l == 1).count(), 1);
        assert!(doc
            .headings
            .iter()
            .filter(|(l, _)| *l == 3)
            .all(|(_, t)| ["Evidence", "Root cause", "Fix"].contains(&t.as_str())));

        for check in &report.checks {
            for evidence in &check.evidence {
                let body: String = evidence.output.lines().map(|l| format!("{l}\n")).collect();
                assert!(doc.code_blocks.iter().any(|(_, b, _)| *b == body), "evidence kept whole: {body:?}\n{md}");
            }
        }
        assert!(doc.code_blocks.iter().any(|(_, b, _)| b == "set -e\n# a comment, not a heading\necho ok\n"));
        let commands: Vec<_> = doc.code_blocks.iter().filter(|(info, _, _)| info == "bash").collect();
        assert_eq!(commands.len(), 24, "12 in the check's Fix, 12 in the required actions");
        assert!(commands.iter().all(|(_, _, in_item)| *in_item), "each command stays in its item (10. too)");
        assert_eq!(commands[23].1, "echo 12 | tee ```x\n");
        assert!(!doc.code_blocks.iter().any(|(info, _, _)| info == "(indented)"), "{md}");

        for line in ["- not a list", "1. not a list", "---", "indented", "=== no", "# no heading", "> no quote"] {
            assert!(doc.paragraphs.iter().any(|p| p == line), "cause line {line:?} reads as written:\n{md}");
        }
        assert!(doc.paragraphs.iter().any(|p| p.starts_with("Writes <fail> | *everywhere*")), "{md}");
    }

    #[test]
    fn french_report_uses_the_french_words_and_the_same_verdict() {
        let r = report(vec![result("db", Status::Fail, "on a replica"), result("pg2", Status::Ok, "leader")]);
        let md = render(&r, &FR);
        let order = [
            "**Date**: 2026-01-07",
            "**Statut**: ❌ ÉCHEC — 1 en échec, 1 ok",
            "## Résumé exécutif",
            "| Composant | Statut | Preuve |",
            "**Conclusion: ❌ ÉCHEC**",
            "## 1. db — postgres",
            "**Cible**: ",
            "**Durée**: 3 ms",
            "### Preuve",
            "### Cause racine",
            "### Corriger",
            "## 3. Actions requises (par priorité)",
            "1. **[CRITIQUE]** db: fix the URL",
            "## Verdict final",
            "| Question | Réponse |",
            "| Tout OK ? | ❌ **NON** |",
            "| OK sauf … ? | — |",
            "| BLOQUANT ? | ❌ **OUI** — db: on a replica |",
        ];
        assert_in_order(&md, &order);
        for english in ["Executive summary", "Evidence", "Required actions", "Final verdict", "Blocking"] {
            assert!(!md.contains(english), "{english} in the French report:\n{md}");
        }
        assert!(md.contains("points at a replica"), "observed text stays as written");
        let ok = render(&report(vec![result("pg2", Status::Ok, "leader")]), &FR);
        assert!(ok.contains("| Tout OK ? | ✅ **OUI** |") && ok.contains("| BLOQUANT ? | ✅ Non |"), "{ok}");
    }

    #[test]
    fn text_report_in_both_languages() {
        let r = report(vec![result("db", Status::Fail, "on a replica")]);
        let en = crate::render::text::render(&r, Style::default(), &EN);
        assert!(en.contains("Check") && en.contains("cause: points at a replica"), "{en}");
        assert!(en.contains("[CRITICAL] fix the URL") && en.contains("Verdict: FAIL (1 failed, 0 ok; 84 ms)"), "{en}");
        let fr = crate::render::text::render(&r, Style::default(), &FR);
        assert!(
            fr.contains("Contrôle") && fr.contains("Statut") && fr.contains("Cible") && fr.contains("Preuve"),
            "{fr}"
        );
        assert!(fr.contains("cause: points at a replica") && fr.contains("[CRITIQUE] fix the URL"), "{fr}");
        assert!(fr.contains("Verdict: ÉCHEC (1 en échec, 0 ok; 84 ms)"), "{fr}");
    }
}
