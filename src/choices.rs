//! How the reader asked for the report: its format and its language. Below
//! both the command line that parses them and the renderers that obey them.

use clap::ValueEnum;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Markdown,
    Json,
    Junit,
    /// Metrics in the Prometheus text format (node_exporter's textfile collector).
    Prometheus,
}

/// Language of the report's fixed words (each language's words: [`crate::render::words`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    #[default]
    En,
    Fr,
}
