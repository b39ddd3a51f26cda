//! Shared integration-test harness: real PostgreSQL clusters (`pg`), odd TCP
//! peers (`net`) and a sandboxed way to run the `kbz-check` binary.
#![allow(dead_code)] // each test binary uses a different subset

pub mod net;
pub mod pg;
pub mod smtp;
pub mod tls;
pub mod vault;

use std::process::Command;

/// The `kbz-check` binary with an empty environment (PATH aside), so the
/// host's DATABASE_URL / PG* variables can never leak into a test.
pub fn kbz_check() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kbz-check"));
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd
}
