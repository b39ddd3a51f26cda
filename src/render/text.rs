//! The terminal format: a summary table, then each non-ok check's cause and
//! actions, then the verdict. Colors and width only as `style` says: no
//! global switch, no look at the terminal.

use crate::render::words::Words;
use crate::render::Style;
use crate::report::{Action, Report, Status};
use comfy_table::{presets, Cell, Color, ContentArrangement, Table};
use std::fmt::Write;

pub fn render(report: &Report, style: Style, words: &Words) -> String {
    let paint = style.paint;
    let mut out = String::new();
    if let Some(heading) = heading(report) {
        let _ = writeln!(out, "{}", paint.bold(&heading));
    }
    if let Some(vantage) = &report.vantage {
        let _ = writeln!(out, "{}: {}", words.seen_from, words.vantage(vantage));
    }
    for note in &report.notes {
        let _ = writeln!(out, "{}: {}", words.note, words.note_text(note));
    }
    out.push_str(&summary_table(report, style, words).to_string());
    out.push('\n');

    for cause in &report.root_causes {
        let label = format!("{}:", words.root_cause);
        let _ = writeln!(out, "\n{} {} [{}]", paint.bold(&label), cause.summary, cause.checks.join(" + "));
        for action in &cause.actions {
            action_lines(&mut out, action, words);
        }
    }

    for check in report.checks.iter().filter(|c| matches!(c.status, Status::Warn | Status::Fail)) {
        let _ = writeln!(
            out,
            "\n{} {}: {}",
            paint.status(check.status, words.status_label(check.status)),
            paint.bold(&check.name),
            check.summary
        );
        if let Some(history) = &check.history {
            if let Some(since) = history.failing_since {
                let _ = writeln!(out, "  {}", words.failing_since_line(since, report.generated_at));
            }
            if let Some(change) = &history.cause_changed {
                let _ = writeln!(out, "  {}", words.cause_changed_line(change, str::to_string));
            }
        }
        let label = format!("{}:", words.cause);
        let blank = " ".repeat(label.chars().count());
        for (i, line) in check.causes.iter().flat_map(|cause| cause.lines()).enumerate() {
            let _ = writeln!(out, "  {} {line}", if i == 0 { &label } else { &blank });
        }
        for action in &check.actions {
            action_lines(&mut out, action, words);
        }
    }

    let _ = writeln!(
        out,
        "\n{}: {} ({}; {} ms)",
        words.verdict,
        paint.verdict(report.verdict(), &words.verdict_text(report)),
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

fn summary_table(report: &Report, style: Style, words: &Words) -> Table {
    let paint = style.paint;
    let mut table = Table::new();
    // Not the table's own look at stdout: the caller said where this goes.
    table.force_no_tty().load_preset(presets::UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(width) = style.width {
        table.set_width(width);
    }
    if paint.is_on() {
        table.enforce_styling();
    }
    table.set_header([words.check, words.status, words.target, words.evidence]);
    for check in &report.checks {
        let label = words.status_label(check.status);
        let mut status = Cell::new(format!("{label}{}", words.attempts_note(check.attempts)));
        // The table styles the cell itself: an escape sequence in the text would count in its width.
        if paint.is_on() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::every_word_report;
    use crate::render::paint::Paint;
    use crate::render::words::{EN, FR};

    /// The text without its escape sequences (`ESC [ … m`).
    fn strip(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                chars.by_ref().find(|&c| c == 'm');
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn the_memory_of_earlier_runs_is_said_under_each_check_in_each_language() {
        let report = Report::remembered();
        let en = render(&report, Style::default(), &EN);
        assert!(
            en.contains(
                "\nFAIL vault: vault ∅\n  failing since 2025-12-15 09:12 UTC (21 days)\n  cause changed: was vault.sealed, now vault.unreachable.refused (since 2026-01-03 09:12 UTC)\n"
            ),
            "{en}"
        );
        assert!(en.contains("\nWARN skew: skew ∅\n  cause changed: was vault.sealed, now vault.clock_skew (since 2026-01-05 09:12 UTC)\n"), "{en}");
        assert!(
            en.contains(
                "\nFAIL fresh: fresh ∅\n  failing since 2026-01-05 09:12 UTC (first seen failing in this run)\n"
            ),
            "{en}"
        );
        assert_eq!(en.matches("failing since").count(), 2, "only failing checks: {en}");
        assert!(en.lines().next().unwrap().starts_with("Note: the state file /var/lib/kbz-check/state.json is not valid JSON (line 1, column 2); it is replaced"), "{en}");
        let fr = render(&report, Style::default(), &FR);
        assert!(fr.contains("\n  en échec depuis le 2025-12-15 09:12 UTC (21 jours)\n  cause modifiée : avant vault.sealed, maintenant vault.unreachable.refused (depuis le 2026-01-03 09:12 UTC)\n"), "{fr}");
        assert!(fr.starts_with("Remarque: le fichier d'état /var/lib/kbz-check/state.json n'est pas du JSON valide (ligne 1, colonne 2)"), "{fr}");
        for english in [
            "failing",
            "since",
            "changed",
            "was",
            "now",
            "days",
            "first",
            "Note",
            "state file",
            "replaced",
            "line",
            "column",
        ] {
            assert!(!fr.contains(english), "English {english:?} in the French report:\n{fr}");
        }
        // Without a memory kept, nothing of it shows.
        let mut forgetful = report.clone();
        forgetful.notes.clear();
        forgetful.checks.iter_mut().for_each(|c| c.history = None);
        let plain = render(&forgetful, Style::default(), &EN);
        assert!(!plain.contains("since") && !plain.contains("changed"), "{plain}");
    }

    #[test]
    fn each_cause_of_a_check_is_a_line_of_its_own_under_one_label() {
        let mut report = every_word_report();
        report.checks[0].causes = vec!["on a replica".into(), "TLS off\nno certificate".into()];
        let text = render(&report, Style { paint: Paint::Plain, width: None }, &EN);
        assert!(text.contains("\n  cause: on a replica\n         TLS off\n         no certificate\n"), "{text}");
    }

    #[test]
    fn each_rendering_is_painted_as_its_own_paint_says() {
        let report = every_word_report();
        for words in [&EN, &FR] {
            // Colored, plain, colored again, in one process: no switch left over from the last one.
            let style = |paint| Style { paint, width: None };
            let painted = render(&report, style(Paint::Ansi), words);
            let plain = render(&report, style(Paint::Plain), words);
            let painted_again = render(&report, style(Paint::Ansi), words);
            assert_eq!(painted, painted_again);
            assert!(!plain.contains('\u{1b}'), "{plain}");
            let fail = Paint::Ansi.status(Status::Fail, words.status_fail);
            assert!(painted.contains(&format!("\n{fail} \u{1b}[1mdb\u{1b}[0m: ")), "{painted:?}");
            assert!(painted.contains(&format!(": {}", Paint::Ansi.verdict(report.verdict(), words.verdict_fail))));
            assert_eq!(strip(&painted), plain, "the colors change nothing else");
        }
    }

    #[test]
    fn the_table_wraps_to_the_width_it_is_given_and_no_other() {
        let report = every_word_report();
        let full = render(&report, Style::default(), &EN);
        let narrow = render(&report, Style { width: Some(50), ..Style::default() }, &EN);
        let widest = |text: &str| text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        assert!(widest(&full) > 50, "{full}");
        let table_width = |text: &str| text.lines().find(|l| l.starts_with('┌')).unwrap().chars().count();
        assert!(table_width(&narrow) <= 50, "{narrow}");
        assert_eq!(render(&report, Style::default(), &EN), full, "the same every time");
    }
}
