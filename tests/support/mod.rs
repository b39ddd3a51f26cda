//! Shared integration-test harness: real PostgreSQL clusters (`pg`), odd TCP
//! peers (`net`) and a sandboxed way to run the `kbz-check` binary.
#![allow(dead_code)] // each test binary uses a different subset

pub mod net;
pub mod pg;
pub mod tls;

use std::net::TcpListener;
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

/// A loopback port that was free a moment ago (the OS picks it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("bind 127.0.0.1:0 to find a free port").port()
}
