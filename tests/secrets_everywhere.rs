//! No configured secret ever reaches stdout, stderr or a written report, in
//! any format, whatever fails: one `kbz-check all` run per scenario and
//! format, every report file written next to it.

mod support;

use support::net::closed_port;
use support::oauth::{Reply, StartServer, TENANT_ID, USER_EMAIL};
use support::pg::{percent_encode, Node, PgCluster, Role, APP_PASSWORD};
use support::smtp::{relay_env, trusting, Certificates, Mode, SmtpServer, SMTP_PASSWORD};
use support::{all_text, assert_absent, kbz_check};

const WRONG_DB_PASSWORD: &str = "Wr0ng!Db-pa55:w0rd@Xy";
const VAULT_TOKEN: &str = "hvs.kbzSecretT0kenNeverShown7a1c";
const WRONG_SMTP_PASSWORD: &str = "Wr0ng!Sm7p-pa55@Kq";
const SES_ACCESS_KEY: &str = "AKIAKBZCHECKSECRETS1";
const SES_SECRET_KEY: &str = "kbzSesS3cretKey/never+shown0123456789abcd";
const CLIENT_SECRET: &str = "amzn1.oa2-cs.v1.5f2b9c0d1e3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e";

/// Every secret value any scenario configures, raw and percent-encoded.
fn secrets() -> Vec<String> {
    let mut all = Vec::new();
    for s in [WRONG_DB_PASSWORD, APP_PASSWORD, VAULT_TOKEN, WRONG_SMTP_PASSWORD, SMTP_PASSWORD, SES_SECRET_KEY] {
        all.push(s.to_string());
        all.push(percent_encode(s));
    }
    // The client secret's distinctive tail: a masked prefix is allowed, the value is not.
    all.push(CLIENT_SECRET.to_string());
    all.push(CLIENT_SECRET["amzn1.oa2-cs.v1.".len()..].to_string());
    all
}

/// `kbz-check all` once per format, each run also writing markdown, JSON and
/// JUnit files; nothing printed or written may hold a secret.
fn assert_no_secret_anywhere(env: &[(&str, String)]) {
    let secrets = secrets();
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    for format in ["text", "markdown", "json", "junit"] {
        let dir = tempfile::tempdir().unwrap();
        let (md, js, xml) = (dir.path().join("r.md"), dir.path().join("r.json"), dir.path().join("r.xml"));
        let out = kbz_check()
            .args(["--format", format, "--color", "always", "--timeout", "5s", "all"])
            .args(["--markdown", md.to_str().unwrap(), "--json", js.to_str().unwrap()])
            .args(["--junit", xml.to_str().unwrap()])
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .output()
            .unwrap();
        let text = all_text(&out);
        assert_eq!(out.status.code(), Some(1), "{format}: every scenario fails\n{text}");
        assert_absent(&text, &secrets);
        for file in [&md, &js, &xml] {
            let written = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{format}: {}: {e}", file.display()));
            assert!(!written.is_empty(), "{format}: {} is empty", file.display());
            assert_absent(&written, &secrets);
        }
    }
}

/// A wrong database password, Vault refused with a token set, SMTP rejecting a wrong password.
#[test]
fn wrong_db_password_vault_refused_smtp_wrong_password() {
    let pg = PgCluster::start();
    let certificates = Certificates::new();
    let relay = SmtpServer::start(Mode::StartTls, &certificates);
    let url = format!(
        "postgresql://{}:{}@127.0.0.1:{}/keybuzz",
        Role::App.user(),
        percent_encode(WRONG_DB_PASSWORD),
        pg.port(Node::Primary)
    );
    let mut env = vec![
        ("DATABASE_URL", url),
        ("KBZ_PG_NODES", pg.nodes()),
        ("VAULT_ADDR", format!("http://127.0.0.1:{}", closed_port())),
        ("VAULT_TOKEN", VAULT_TOKEN.to_string()),
        ("EMAIL_PROVIDER", "smtp".to_string()),
    ];
    env.extend(trusting(relay_env(relay.port(), WRONG_SMTP_PASSWORD), &certificates));
    assert_no_secret_anywhere(&env);
    assert!(relay.messages().is_empty(), "nothing was sent");
}

/// SES keys set but its endpoint closed; an OAuth backend echoing its client secret.
#[test]
fn ses_unreachable_and_oauth_echoing_its_client_secret() {
    let details = format!("invalid_client: client_secret={CLIENT_SECRET} was rejected by api.amazon.com");
    let backend = StartServer::start(Reply::failed(500, &details));
    let env = [
        ("EMAIL_PROVIDER", "ses".to_string()),
        ("AWS_SES_ACCESS_KEY", SES_ACCESS_KEY.to_string()),
        ("AWS_SES_SECRET_KEY", SES_SECRET_KEY.to_string()),
        ("AWS_SES_REGION", "eu-west-1".to_string()),
        ("EMAIL_FROM", "noreply@keybuzz.test".to_string()),
        ("AWS_ENDPOINT_URL_SES", format!("http://127.0.0.1:{}", closed_port())),
        ("KBZ_OAUTH_START_URL", backend.url()),
        ("KBZ_OAUTH_USER_EMAIL", USER_EMAIL.to_string()),
        ("KBZ_OAUTH_TENANT_ID", TENANT_ID.to_string()),
        ("VAULT_ADDR", format!("http://127.0.0.1:{}", closed_port())),
        ("VAULT_TOKEN", VAULT_TOKEN.to_string()),
    ];
    assert_no_secret_anywhere(&env);
    assert!(!backend.requests().is_empty(), "the OAuth stand-in was asked");
}
