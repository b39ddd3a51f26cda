//! Starts the test suite's PostgreSQL primary + streaming replica on
//! 127.0.0.1 for benchmarks and manual runs, prints the variables to reach
//! it, and stops it when standard input closes.
//!
//!     cargo run --example test_cluster

use std::io::BufRead;

// The integration tests' own harness, so benchmarks measure the same cluster.
#[allow(dead_code)]
#[path = "../tests/support/net.rs"]
mod net;
#[allow(dead_code)]
#[path = "../tests/support/pg.rs"]
mod pg;

use pg::{Node, PgCluster, Role};

fn main() {
    let pg = PgCluster::start();
    println!("DATABASE_URL={}", pg.url(Role::App, Node::Primary));
    println!("REPLICA_URL={}", pg.url(Role::App, Node::Replica));
    println!("KBZ_PG_NODES={}", pg.nodes());
    println!("READY");
    // Stay up until whoever started us closes our stdin; then Drop stops the servers.
    for line in std::io::stdin().lock().lines() {
        if line.is_err() {
            break;
        }
    }
}
