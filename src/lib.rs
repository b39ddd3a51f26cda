//! kbz-check: infrastructure reality checks from live evidence.
//!
//! The binary is a thin shell over [`app::run`]; the library is what the
//! integration tests and later front-ends build on.

pub mod app;
pub mod checks;
pub mod cli;
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
pub mod tls;

#[cfg(test)]
mod test_strategies;
