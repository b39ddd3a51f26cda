//! The colour choice, passed to whatever paints (the text report, the
//! progress lines) instead of read from a global switch: two renderings in
//! one process, one colored and one plain, each get what they asked for.
//! `--color` and `NO_COLOR` are read once, in `app`, and become a `Paint`.

use crate::report::{Status, Verdict};

/// Whether to paint, and how each thing is painted (ANSI SGR sequences).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Paint {
    /// No escape sequence at all: pipes, files, `--color never`, `NO_COLOR`.
    #[default]
    Plain,
    /// ANSI colors and bold, for a terminal (or `--color always`).
    Ansi,
}

const BOLD: &str = "1";
const DIM: &str = "2";
const BOLD_RED: &str = "1;31";
const BOLD_GREEN: &str = "1;32";
const BOLD_YELLOW: &str = "1;33";

impl Paint {
    /// `Ansi` when `color`, else `Plain`.
    pub fn new(color: bool) -> Paint {
        if color {
            Paint::Ansi
        } else {
            Paint::Plain
        }
    }

    pub fn is_on(self) -> bool {
        self == Paint::Ansi
    }

    pub fn bold(self, text: &str) -> String {
        self.sgr(BOLD, text)
    }

    /// A status label (in the report's language) in its status's color.
    pub fn status(self, status: Status, label: &str) -> String {
        let style = match status {
            Status::Ok => BOLD_GREEN,
            Status::Warn => BOLD_YELLOW,
            Status::Fail => BOLD_RED,
            Status::Skip => DIM,
        };
        self.sgr(style, label)
    }

    /// The verdict line's text in the verdict's color.
    pub fn verdict(self, verdict: Verdict, text: &str) -> String {
        match verdict {
            // A run that checked nothing is news: bold, not dimmed like a skipped check.
            Verdict::Skip => self.bold(text),
            _ => self.status(verdict.status(), text),
        }
    }

    fn sgr(self, style: &str, text: &str) -> String {
        match self {
            Paint::Plain => text.to_string(),
            Paint::Ansi => format!("\u{1b}[{style}m{text}\u{1b}[0m"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paints_nothing_and_ansi_wraps_in_sgr() {
        assert_eq!(Paint::new(false).status(Status::Fail, "ÉCHEC"), "ÉCHEC");
        assert_eq!(Paint::new(true).status(Status::Fail, "ÉCHEC"), "\u{1b}[1;31mÉCHEC\u{1b}[0m");
        assert_eq!(Paint::Ansi.bold("db"), "\u{1b}[1mdb\u{1b}[0m");
        assert_eq!(Paint::Ansi.verdict(Verdict::Skip, "SKIP"), "\u{1b}[1mSKIP\u{1b}[0m");
        assert_eq!(Paint::Plain.verdict(Verdict::Ok, "OK"), "OK");
        assert!(Paint::Ansi.is_on() && !Paint::default().is_on());
    }
}
