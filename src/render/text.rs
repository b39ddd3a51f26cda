//! The terminal format: a summary table, then each non-ok check's cause and
//! actions, then the verdict.

use crate::render::words::Words;
use crate::report::{Action, Report, Status, Verdict};
use colored::Colorize;
use comfy_table::{presets, Cell, Color, ContentArrangement, Table};
use std::fmt::Write;

pub fn render(report: &Report, color: bool, words: &Words) -> String {
    let mut out = String::new();
    if let Some(heading) = heading(report) {
        let _ = writeln!(out, "{}", paint_bold(&heading, color));
    }
    out.push_str(&summary_table(report, color, words).to_string());
    out.push('\n');

    for cause in &report.root_causes {
        let label = format!("{}:", words.root_cause);
        let _ = writeln!(out, "\n{} {} [{}]", paint_bold(&label, color), cause.summary, cause.checks.join(" + "));
        for action in &cause.actions {
            action_lines(&mut out, action, words);
        }
    }

    for check in report.checks.iter().filter(|c| matches!(c.status, Status::Warn | Status::Fail)) {
        let _ = writeln!(
            out,
            "\n{} {}: {}",
            paint_status(check.status, color),
            paint_bold(&check.name, color),
            check.summary
        );
        if let Some(cause) = &check.cause {
            let label = format!("{}:", words.cause);
            let blank = " ".repeat(label.chars().count());
            for (i, line) in cause.lines().enumerate() {
                let _ = writeln!(out, "  {} {line}", if i == 0 { &label } else { &blank });
            }
        }
        for action in &check.actions {
            action_lines(&mut out, action, words);
        }
    }

    let _ = writeln!(
        out,
        "\n{}: {} ({}; {} ms)",
        words.verdict,
        paint_verdict(report, color, words),
        words.counts(report.counts()),
        report.duration.as_millis()
    );
    out
}

fn action_lines(out: &mut String, action: &Action, words: &Words) {
    let _ = writeln!(out, "  [{}] {}", words.priority(action.priority), action.text);
    if let Some(command) = &action.command {
        for line in command.lines() {
            let _ = writeln!(out, "      $ {line}");
        }
    }
}

fn heading(report: &Report) -> Option<String> {
    match (&report.id, &report.title) {
        (Some(id), Some(title)) => Some(format!("{id} — {title}")),
        (Some(one), None) | (None, Some(one)) => Some(one.clone()),
        (None, None) => None,
    }
}

fn summary_table(report: &Report, color: bool, words: &Words) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
    if color {
        table.enforce_styling();
    }
    table.set_header([words.check, words.status, words.target, words.evidence]);
    for check in &report.checks {
        let mut status = Cell::new(format!("{}{}", check.status.label(), words.attempts_note(check.attempts)));
        if color {
            status = status.fg(match check.status {
                Status::Ok => Color::Green,
                Status::Warn => Color::Yellow,
                Status::Fail => Color::Red,
                Status::Skip => Color::DarkGrey,
            });
        }
        table.add_row(vec![Cell::new(&check.name), status, Cell::new(&check.target), Cell::new(&check.summary)]);
    }
    table
}

pub(crate) fn paint_status(status: Status, color: bool) -> String {
    let label = status.label();
    if !color {
        return label.to_string();
    }
    match status {
        Status::Ok => label.green().bold().to_string(),
        Status::Warn => label.yellow().bold().to_string(),
        Status::Fail => label.red().bold().to_string(),
        Status::Skip => label.dimmed().to_string(),
    }
}

fn paint_verdict(report: &Report, color: bool, words: &Words) -> String {
    let label = words.verdict_text(report);
    if !color {
        return label;
    }
    match report.verdict() {
        Verdict::Ok => label.green().bold().to_string(),
        Verdict::Warn => label.yellow().bold().to_string(),
        Verdict::Fail => label.red().bold().to_string(),
        Verdict::Skip => label.bold().to_string(),
    }
}

fn paint_bold(text: &str, color: bool) -> String {
    if color {
        text.bold().to_string()
    } else {
        text.to_string()
    }
}
