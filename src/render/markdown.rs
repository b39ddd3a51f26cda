//! The report ops write by hand today (see shared/reference/), produced from
//! evidence: summary table, one section per check, actions by priority and a
//! final verdict table.

use crate::report::{Action, CheckResult, Report, Status, Verdict};
use std::fmt::Write;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let verdict = report.verdict();
    let heading = match (&report.id, &report.title) {
        (Some(id), Some(title)) => format!("{id} — {title}"),
        (Some(one), None) | (None, Some(one)) => one.clone(),
        (None, None) => "kbz-check report".to_string(),
    };
    let date = report.generated_at_rfc3339();
    let _ = writeln!(out, "# {}\n", inline(&heading));
    let _ = writeln!(out, "**Date**: {}  ", &date[..10.min(date.len())]);
    let _ = writeln!(out, "**Generated**: {date} in {} ms  ", report.duration.as_millis());
    let _ = writeln!(out, "**Status**: {} {} — {}\n", verdict.symbol(), verdict.label(), report.counts_line());
    out.push_str("---\n\n## Executive summary\n\n| Component | Status | Evidence |\n|---|---|---|\n");
    for check in &report.checks {
        let _ = writeln!(
            out,
            "| {} ({}) | {} {} | {} |",
            cell(&check.name),
            cell(&check.kind),
            check.status.symbol(),
            check.status.label(),
            cell(&check.summary)
        );
    }

    if !report.root_causes.is_empty() {
        out.push_str("\n## Root causes\n\n");
        for (i, cause) in report.root_causes.iter().enumerate() {
            let _ = writeln!(out, "{}. **{}**  ", i + 1, inline(&cause.summary));
            let _ = writeln!(
                out,
                "   Shown by: {}",
                cause.checks.iter().map(|c| code_span(c)).collect::<Vec<_>>().join(", ")
            );
        }
    }

    for (number, check) in report.checks.iter().enumerate() {
        out.push_str("\n---\n\n");
        check_section(&mut out, number + 1, check);
    }

    let actions = report.actions_by_priority();
    let _ = write!(out, "\n---\n\n## {}. Required actions (by priority)\n\n", report.checks.len() + 1);
    if actions.is_empty() {
        out.push_str("None.\n");
    }
    for (i, (who, action)) in actions.iter().enumerate() {
        action_item(&mut out, i + 1, Some(who), action);
    }

    out.push_str("\n---\n\n## Final verdict\n\n| Question | Answer |\n|---|---|\n");
    let with = |status: Status| -> Vec<String> {
        report.checks.iter().filter(|c| c.status == status).map(|c| format!("{}: {}", c.name, c.summary)).collect()
    };
    let (failed, warned, skipped) = (with(Status::Fail), with(Status::Warn), with(Status::Skip));
    let all_ok = if verdict == Verdict::Ok && skipped.is_empty() { "✅ **YES**" } else { "❌ **NO**" };
    let _ = writeln!(out, "| All OK? | {all_ok} |");
    let except: Vec<String> =
        warned.iter().map(|w| format!("⚠️ {w}")).chain(skipped.iter().map(|s| format!("⏭️ {s}"))).collect();
    let _ = writeln!(
        out,
        "| OK except …? | {} |",
        if except.is_empty() { "—".to_string() } else { cell(&except.join("; ")) }
    );
    let blocking =
        if failed.is_empty() { "✅ No".to_string() } else { format!("❌ **YES** — {}", cell(&failed.join("; "))) };
    let _ = writeln!(out, "| Blocking? | {blocking} |");
    let _ = writeln!(out, "\n**Verdict: {} {}** ({})", verdict.symbol(), verdict.label(), report.counts_line());
    out
}

fn check_section(out: &mut String, number: usize, check: &CheckResult) {
    let _ = writeln!(out, "## {number}. {} — {}\n", inline(&check.name), check.kind);
    if !check.target.is_empty() {
        let _ = writeln!(out, "**Target**: {}  ", code_span(&check.target));
    }
    let _ =
        writeln!(out, "**Status**: {} {} — {}  ", check.status.symbol(), check.status.label(), inline(&check.summary));
    let _ = writeln!(out, "**Duration**: {} ms{}", check.duration_ms, check.attempts_note());
    if !check.evidence.is_empty() {
        out.push_str("\n### Evidence\n");
        for evidence in &check.evidence {
            match &evidence.command {
                Some(command) => {
                    let _ = writeln!(out, "\n**{}** — {}", inline(&evidence.label), code_span(command));
                }
                None => {
                    let _ = writeln!(out, "\n**{}**", inline(&evidence.label));
                }
            }
            code_block(out, "", &evidence.output, "");
        }
    }
    if let Some(cause) = &check.cause {
        out.push_str("\n### Root cause\n\n");
        for line in cause.lines() {
            let _ = writeln!(out, "{}\n", inline(line));
        }
    }
    if !check.actions.is_empty() {
        out.push_str(if check.cause.is_some() { "### Fix\n\n" } else { "\n### Fix\n\n" });
        for (i, action) in check.actions.iter().enumerate() {
            action_item(out, i + 1, None, action);
        }
    }
}

fn action_item(out: &mut String, number: usize, check: Option<&str>, action: &Action) {
    let prefix = check.map_or(String::new(), |name| format!("{}: ", inline(name)));
    let _ = writeln!(out, "{number}. **[{}]** {prefix}{}", action.priority.label(), inline(&action.text));
    if let Some(command) = &action.command {
        code_block(out, "bash", command, "   ");
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
    let ticks = "`".repeat(longest_backtick_run(text) + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') { " " } else { "" };
    format!("{ticks}{pad}{text}{pad}{ticks}")
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// Text on one line, with markdown's table and emphasis characters neutralised.
fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            // `_` is left alone: intraword underscores (DATABASE_URL) never make emphasis.
            '|' | '*' | '<' | '>' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn cell(text: &str) -> String {
    inline(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Evidence, Priority};
    use std::time::{Duration, SystemTime};

    fn result(name: &str, status: Status, summary: &str) -> CheckResult {
        CheckResult {
            name: name.into(),
            kind: "postgres".into(),
            status,
            target: "postgresql://u:***#abcd@h:5432/db".into(),
            summary: summary.into(),
            duration_ms: 3,
            attempts: 1,
            evidence: vec![Evidence::new("role", Some("SELECT pg_is_in_recovery()"), "t")],
            cause: (status == Status::Fail).then(|| "points at a replica".to_string()),
            actions: if status == Status::Fail {
                vec![Action::new(Priority::Critical, "fix the URL").with_command("DATABASE_URL=postgresql://x")]
            } else {
                vec![]
            },
            signals: vec![],
        }
    }

    fn report(checks: Vec<CheckResult>) -> Report {
        Report {
            id: Some("PH11-MAIL-REALITY-CHECK-01".into()),
            title: Some("Mail reality check".into()),
            generated_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_776_400),
            duration: Duration::from_millis(84),
            checks,
            root_causes: vec![],
        }
    }

    #[test]
    fn has_the_reference_sections_in_order() {
        let md = render(&report(vec![result("db", Status::Fail, "on a replica"), result("pg2", Status::Ok, "leader")]));
        let order = [
            "# PH11-MAIL-REALITY-CHECK-01 — Mail reality check",
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
        let mut from = 0;
        for needle in order {
            let at = md[from..].find(needle).unwrap_or_else(|| panic!("missing or out of order: {needle}\n{md}"));
            from += at + needle.len();
        }
    }

    #[test]
    fn root_causes_come_after_the_summary_and_lead_the_actions_without_repeats() {
        let mut r = report(vec![result("db", Status::Fail, "on a replica"), result("vault", Status::Ok, "active")]);
        r.root_causes = vec![crate::report::RootCause {
            summary: "Writes fail".into(),
            checks: vec!["db".into()],
            actions: vec![Action::new(Priority::Critical, "fix the URL").with_command("DATABASE_URL=postgresql://x")],
        }];
        let md = render(&r);
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
    fn table_cells_escape_pipes_and_newlines() {
        let md = render(&report(vec![result("db", Status::Warn, "a | b\nc")]));
        assert!(md.contains("| db (postgres) | ⚠️ WARN | a \\| b c |"), "{md}");
    }

    #[test]
    fn fences_outgrow_backticks_in_evidence() {
        let mut check = result("db", Status::Ok, "ok");
        check.evidence = vec![Evidence::new("odd", None, "```\ninside")];
        let md = render(&report(vec![check]));
        assert!(md.contains("````\n```\ninside\n````"), "{md}");
    }
}
