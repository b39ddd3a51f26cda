//! One renderer per format; each is a pure function of the report.

pub mod json;
pub mod junit;
pub mod markdown;
pub mod text;
pub mod words;

use crate::cli::Format;
use crate::report::Report;
use words::Lang;

/// `lang` sets the fixed words of text and markdown; JSON and JUnit are for
/// machines and stay in English.
pub fn render(report: &Report, format: Format, color: bool, lang: Lang) -> String {
    // Whatever a server or plugin said reaches no format raw (bidi marks, controls).
    let report = &crate::human::inert_report(report);
    match format {
        Format::Text => text::render(report, color, lang.words()),
        Format::Markdown => markdown::render(report, lang.words()),
        Format::Json => json::render(report),
        Format::Junit => junit::render(report),
    }
}
