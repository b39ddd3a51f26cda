//! kbz-check: infrastructure reality checks from live evidence.
//!
//! The binary is a thin shell over [`app::run`]; the library is what the
//! integration tests and later front-ends build on.
//!
//! Layers, top to bottom. A module uses only modules of the layers below its
//! own, never one beside or above it (`tests/layers.rs` checks every
//! `crate::` path outside test modules):
//!
//! 1. `app`: the run, start to exit code
//! 2. `progress`, `codebook`, `serve`: live lines while the run goes on;
//!    every finding code the program can emit; the continuous mode (runs on
//!    a schedule, metrics and reports over HTTP)
//! 3. `cli`, `render`, `rootcause`, `sources`, `state`: the command line; the report
//!    as text, markdown, JSON, JUnit; causes joined across checks; variables
//!    whose sources disagree; each check's memory across runs (failing since, cause changed)
//! 4. `config`: suites and the built-in suite, read into checks
//! 5. `engine`: deadlines, concurrency, one result per check
//! 6. `checks`: the check kinds
//! 7. `settings`, `unanswered`: a check's settings, its plan, the
//!    configuration error; a request without an answer, told as a finding
//! 8. `http`, `redirect`, `env`: the HTTP client the kinds share; the
//!    variables (the process environment, the app's, env files)
//! 9. `check`, `tls`, `secret`: the check signature and context; TLS;
//!    secrets and masking
//! 10. `stall`, `conninfo`: tapped connections; libpq's keyword/value form
//! 11. `human`: durations, times, quoting for people
//! 12. `report`: the report model
//! 13. `choices`, `code`, `duration`, `errors`, `input`, `output`, `time`, `vantage`: leaves

pub mod app;
pub mod check;
pub mod checks;
pub mod choices;
pub mod cli;
pub mod code;
pub mod codebook;
pub mod config;
pub mod conninfo;
pub mod duration;
pub mod engine;
pub mod env;
pub mod errors;
pub mod http;
pub mod human;
pub mod input;
pub mod output;
pub mod progress;
pub mod redirect;
pub mod render;
pub mod report;
pub mod rootcause;
pub mod secret;
pub mod serve;
pub mod settings;
pub mod sources;
pub mod stall;
pub mod state;
pub mod time;
pub mod tls;
pub mod unanswered;
pub mod vantage;

#[cfg(test)]
mod test_strategies;
