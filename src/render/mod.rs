//! One renderer per format; each is a pure function of the report.

pub mod json;
pub mod markdown;
pub mod text;

use crate::cli::Format;
use crate::report::Report;

pub fn render(report: &Report, format: Format, color: bool) -> String {
    match format {
        Format::Text => text::render(report, color),
        Format::Markdown => markdown::render(report),
        Format::Json => json::render(report),
    }
}
