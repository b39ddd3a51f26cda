//! Starts the loopback servers the integration tests use, for benchmarks
//! and manual runs: PostgreSQL primary + streaming replica, an SMTP relay
//! (STARTTLS required, AUTH PLAIN/LOGIN) with a certificate from a throwaway
//! CA, an OpenBao dev server, the OAuth start stand-in answering success,
//! and a listener that accepts and never answers (a dead target). Prints
//! `NAME=value` lines, then `READY`, and stops everything when standard
//! input closes.
//!
//!     cargo run --example test_servers

use std::io::BufRead;

// The integration tests' own harnesses, so benchmarks measure the same servers.
#[allow(dead_code)]
#[path = "../tests/support/net.rs"]
mod net;
#[allow(dead_code)]
#[path = "../tests/support/oauth.rs"]
mod oauth;
#[allow(dead_code)]
#[path = "../tests/support/pg.rs"]
mod pg;
#[allow(dead_code)]
#[path = "../tests/support/smtp.rs"]
mod smtp;
#[allow(dead_code)]
#[path = "../tests/support/tls.rs"]
mod tls;
#[allow(dead_code)]
#[path = "../tests/support/vault.rs"]
mod vault;

use pg::{Node, PgCluster, Role};

fn main() {
    let pg = PgCluster::start();
    let certificates = smtp::Certificates::new();
    let relay = smtp::SmtpServer::start(smtp::Mode::StartTls, &certificates);
    let bao = vault::Bao::dev();
    let start = oauth::StartServer::start(oauth::Reply::started(&oauth::Consent::ph15()));
    let dead = net::SilentListener::start();

    println!("DATABASE_URL={}", pg.url(Role::App, Node::Primary));
    println!("REPLICA_URL={}", pg.url(Role::App, Node::Replica));
    println!(
        "KBZ_PG_NODES=db-postgres-01=127.0.0.1:{},db-postgres-03=127.0.0.1:{}",
        pg.primary_port(),
        pg.replica_port()
    );
    println!("PG_PORT={}", pg.primary_port());
    println!("PG_USER={}", Role::App.user());
    println!("PG_PASSWORD={}", Role::App.password());
    println!("PG_DATABASE={}", pg::DATABASE);
    println!("SMTP_HOST=127.0.0.1");
    println!("SMTP_PORT={}", relay.port());
    println!("SMTP_USER={}", smtp::SMTP_USER);
    println!("SMTP_PASS={}", smtp::SMTP_PASSWORD);
    println!("SSL_CERT_FILE={}", certificates.ca_path().display());
    println!("VAULT_ADDR={}", bao.addr());
    println!("VAULT_TOKEN={}", vault::ROOT_TOKEN);
    println!("KBZ_OAUTH_START_URL={}", start.url());
    println!("KBZ_OAUTH_USER_EMAIL={}", oauth::USER_EMAIL);
    println!("KBZ_OAUTH_TENANT_ID={}", oauth::TENANT_ID);
    println!("AMAZON_SPAPI_APP_ID={}", oauth::APP_ID);
    println!("AMAZON_SPAPI_REDIRECT_URI={}", oauth::REDIRECT_URI);
    println!("DEAD_PORT={}", dead.port());
    println!("READY");
    // Stay up until whoever started us closes our stdin; then Drop stops the servers.
    for line in std::io::stdin().lock().lines() {
        if line.is_err() {
            break;
        }
    }
}
