//! Settings read the way the app's loader reads them, against a real
//! PostgreSQL on 127.0.0.1: an env file keeps `$` (unless `--env-expand`),
//! a URL is split as node-postgres splits it (userinfo to the last `@`),
//! and libpq's password file supplies a password the URL leaves out.

mod support;

use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;
use support::pg::{percent_encode, Node, PgCluster, DATABASE};
use support::{all_text, check, evidence, kbz_check};

const USER: &str = "kb_loader";
/// `@`, `$`, `#`, spaces and `:`: what loaders and URL parsers disagree on.
const PASSWORD: &str = "L0ad3r p@ss $HOME #1:x";

/// The role, created as superuser on the primary.
fn create_role(pg: &PgCluster) {
    pg.psql(
        Node::Primary,
        &format!("CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'; GRANT CONNECT ON DATABASE {DATABASE} TO {USER};"),
    );
}

/// The password and the forms of it a leak would take.
fn assert_no_password(text: &str) {
    for form in [PASSWORD, &percent_encode(PASSWORD), "L0ad3r", "$HOME #1"] {
        assert!(!text.contains(form), "`{form}` leaked into the output:\n{text}");
    }
}

fn run(env: &[(&str, String)], extra: &[&str]) -> (i32, Value, Output) {
    support::run_json("postgres", env.iter().map(|(k, v)| (*k, v)), extra)
}

fn write(path: &Path, text: &str, mode: u32) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Logged in on the primary: status ok, as `USER`.
fn assert_logged_in(what: &str, code: i32, json: &Value, out: &Output) {
    let c = check(json);
    assert_eq!((code, c["status"].as_str()), (0, Some("ok")), "{what}: {c:#}");
    assert!(evidence(c, "connection").contains(&format!("as {USER}")), "{what}: {c:#}");
    assert_no_password(&all_text(out));
}

#[test]
fn passwords_with_at_dollar_hash_and_spaces_from_env_files_and_urls() {
    let pg = PgCluster::start();
    create_role(&pg);
    let port = pg.port(Node::Primary);
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join(".env");
    let env_file_arg = env_file.to_str().unwrap();

    // PG* variables in an env file, the password quoted as Node's dotenv
    // needs it (a space, a `#`), in each of its three quotes.
    for quoted in [format!("'{PASSWORD}'"), format!("\"{PASSWORD}\""), format!("`{PASSWORD}`")] {
        let text = format!(
            "PGHOST=127.0.0.1\nPGPORT={port}\nPGUSER={USER}\nPGDATABASE={DATABASE}\nPGPASSWORD={quoted} # the app's\n"
        );
        write(&env_file, &text, 0o600);
        let (code, json, out) = run(&[], &["-e", env_file_arg]);
        assert_logged_in(&format!("PGPASSWORD={quoted}"), code, &json, &out);
    }

    // DATABASE_URL as node-postgres reads it: the userinfo runs to the last
    // `@`, so `@`, `$`, `:` and spaces may stay unencoded; `#` may not.
    let partly = PASSWORD.replace('#', "%23");
    for (what, password) in [("percent-encoded", percent_encode(PASSWORD)), ("unencoded `@`", partly.clone())] {
        let url = format!("postgresql://{USER}:{password}@127.0.0.1:{port}/{DATABASE}");
        let (code, json, out) = run(&[("DATABASE_URL", url.clone())], &[]);
        assert_logged_in(what, code, &json, &out);
        // The same URL from an env file, single-quoted.
        write(&env_file, &format!("DATABASE_URL='{url}'\n"), 0o600);
        let (code, json, out) = run(&[], &["-e", env_file_arg]);
        assert_logged_in(&format!("{what}, env file"), code, &json, &out);
    }
    // Other clients would split at the first `@`: said in the evidence and as a warning.
    let (_, json, out) =
        run(&[("DATABASE_URL", format!("postgresql://{USER}:{partly}@127.0.0.1:{port}/{DATABASE}"))], &[]);
    let connection = evidence(check(&json), "connection");
    assert!(connection.contains("unencoded `@`") && connection.contains("%40"), "{connection}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("warning: DATABASE_URL: the user or password holds an unencoded `@`"), "{stderr}");

    // An unencoded `#` ends the host part for the app's driver: refused as
    // such, naming neither the password nor a host cut out of it.
    let url = format!("postgresql://{USER}:{PASSWORD}@127.0.0.1:{port}/{DATABASE}");
    let out = kbz_check().args(["--format", "json", "run", "postgres"]).env("DATABASE_URL", url).output().unwrap();
    let shown = all_text(&out);
    assert_eq!(out.status.code(), Some(2), "a configuration error: {shown}");
    assert!(shown.contains("%23") && shown.contains("DATABASE_URL"), "{shown}");
    assert_no_password(&shown);
    assert!(!shown.contains("ss $HOME"), "{shown}");
}

#[test]
fn a_password_only_in_the_password_file() {
    let pg = PgCluster::start();
    create_role(&pg);
    let port = pg.port(Node::Primary);
    let dir = tempfile::tempdir().unwrap();
    let passfile = dir.path().join("pgpass");
    // libpq escapes `:` and `\` with `\`; the first matching line wins.
    let escaped = PASSWORD.replace('\\', "\\\\").replace(':', "\\:");
    let text = format!(
        "# hostname:port:database:username:password\n\
         127.0.0.1:{port}:{DATABASE}:someone_else:wrong\n\
         127.0.0.1:{port}:*:{USER}:{escaped}\n\
         *:*:*:*:wrong-too\n"
    );
    write(&passfile, &text, 0o600);
    let env = [
        ("DATABASE_URL", format!("postgresql://{USER}@127.0.0.1:{port}/{DATABASE}")),
        ("PGPASSFILE", passfile.to_str().unwrap().to_string()),
    ];
    let (code, json, out) = run(&env, &[]);
    assert_logged_in("password file", code, &json, &out);

    // `list` says where the password comes from, by file and line.
    let listed = kbz_check().arg("list").envs(env.iter().map(|(k, v)| (*k, v.as_str()))).output().unwrap();
    let shown = all_text(&listed);
    assert!(listed.status.success(), "{shown}");
    let line = shown.lines().find(|l| l.trim_start().starts_with("password")).unwrap_or_else(|| panic!("{shown}"));
    assert!(line.contains(&format!("[{}:3]", passfile.display())), "{shown}");
    assert!(line.contains("***"), "{shown}");
    assert_no_password(&shown);

    // A wrong password there: the failure names the file and line to fix.
    write(&passfile, &text.replace(&escaped, "outdated-pw-9"), 0o600);
    let (code, json, out) = run(&env, &[]);
    let c = check(&json);
    assert_eq!((code, c["code"].as_str()), (1, Some("postgres.auth.password_rejected")), "{c:#}");
    let cause = c["cause"].as_str().unwrap();
    assert!(cause.contains(&format!("the password file {} line 3", passfile.display())), "{cause}");
    assert!(!all_text(&out).contains("outdated-pw-9"), "{}", all_text(&out));

    // Readable by others: libpq ignores it with a warning, so does kbz-check;
    // the server then asks for a password that nothing supplies.
    write(&passfile, &text, 0o644);
    let (code, json, out) = run(&env, &[]);
    let shown = all_text(&out);
    assert_eq!((code, check(&json)["status"].as_str()), (1, Some("fail")), "{json:#}");
    assert!(shown.contains("group or world access") && shown.contains(passfile.to_str().unwrap()), "{shown}");
    assert_no_password(&shown);
}

#[test]
fn a_dollar_in_an_env_file_is_kept_unless_expansion_is_asked_for() {
    let pg = PgCluster::start();
    create_role(&pg);
    let port = pg.port(Node::Primary);
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join(".env");
    let text =
        format!("PGHOST=127.0.0.1\nPGPORT={port}\nPGUSER={USER}\nPGDATABASE={DATABASE}\nPGPASSWORD=\"{PASSWORD}\"\n");
    write(&env_file, &text, 0o600);
    let home = ("HOME", "/home/kb-loader".to_string());

    // Node's dotenv, systemd, docker --env-file: `$HOME` is part of the password.
    let (code, json, out) = run(std::slice::from_ref(&home), &["-e", env_file.to_str().unwrap()]);
    assert_logged_in("`$` kept", code, &json, &out);

    // docker compose, python-dotenv: `$HOME` expands, and the server refuses
    // the password that results.
    let (code, json, out) = run(std::slice::from_ref(&home), &["--env-expand", "-e", env_file.to_str().unwrap()]);
    let c = check(&json);
    assert_eq!((code, c["status"].as_str()), (1, Some("fail")), "{c:#}");
    assert_eq!(c["code"], "postgres.auth.password_rejected", "{c:#}");
    let shown = all_text(&out);
    assert_no_password(&shown);
    assert!(!shown.contains("/home/kb-loader #1"), "{shown}");

    // With expansion, single quotes still keep `$`.
    write(&env_file, &text.replace(&format!("\"{PASSWORD}\""), &format!("'{PASSWORD}'")), 0o600);
    let (code, json, out) = run(std::slice::from_ref(&home), &["--env-expand", "-e", env_file.to_str().unwrap()]);
    assert_logged_in("single quotes with --env-expand", code, &json, &out);
}

#[test]
fn a_service_of_the_connection_service_file_beats_the_pg_variables() {
    let pg = PgCluster::start();
    create_role(&pg);
    let port = pg.port(Node::Primary);
    let dir = tempfile::tempdir().unwrap();
    let services = dir.path().join("pg_service.conf");
    // libpq takes each value as written after `=`: no quotes.
    let text = format!(
        "# services\n[other]\nhost=192.0.2.1\n\n[app]\nhost=127.0.0.1\nport={port}\nuser={USER}\ndbname={DATABASE}\n\
         password={PASSWORD}\n"
    );
    write(&services, &text, 0o600);
    let closed = support::net::closed_port();
    let env = [
        ("PGSERVICE", "app".to_string()),
        ("PGSERVICEFILE", services.to_str().unwrap().to_string()),
        // The service's settings beat the PG* variables, as in libpq.
        ("PGHOST", "127.0.0.1".to_string()),
        ("PGPORT", closed.to_string()),
    ];
    let (code, json, out) = run(&env, &[]);
    assert_logged_in("service", code, &json, &out);
    let connection = evidence(check(&json), "connection");
    assert!(connection.contains("service `app`") && connection.contains("password"), "{connection}");

    let listed = kbz_check().arg("list").envs(env.iter().map(|(k, v)| (*k, v.as_str()))).output().unwrap();
    let shown = all_text(&listed);
    let line = shown.lines().find(|l| l.trim_start().starts_with("password")).unwrap_or_else(|| panic!("{shown}"));
    assert!(line.contains(&format!("[{}:10]", services.display())), "{shown}");
    assert_no_password(&shown);

    // PGPASSWORD loses to the service's password, as in libpq: said, not hidden.
    let mut with_pgpassword = env.to_vec();
    with_pgpassword.push(("PGPASSWORD", "An0ther-pa55word".to_string()));
    let (code, json, out) = run(&with_pgpassword, &[]);
    assert_logged_in("service over PGPASSWORD", code, &json, &out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let said =
        format!("PGPASSWORD: set, but the password of service `app` ({} line 10) is the one used", services.display());
    assert!(stderr.contains(&said), "{stderr}");
    assert!(!all_text(&out).contains("An0ther-pa55word"), "{}", all_text(&out));

    // A service defined nowhere: a configuration error naming it.
    let env = [("PGSERVICE", "nope".to_string()), ("PGSERVICEFILE", services.to_str().unwrap().to_string())];
    let out = kbz_check().args(["run", "postgres"]).envs(env.iter().map(|(k, v)| (*k, v.as_str()))).output().unwrap();
    let shown = all_text(&out);
    assert_eq!(out.status.code(), Some(2), "{shown}");
    assert!(shown.contains("service `nope` not found"), "{shown}");
}
