//! SES on loopback for the ses check's tests: moto's server (PyPI
//! `moto[server]`, installed by scripts/test) with IAM users, access keys
//! and SES identities set up through its API, then SigV4 enforced; and a
//! stand-in that answers the SESv2 calls moto lacks (GetAccount) the way
//! AWS documents them. Each stops itself on drop.

use super::net::{self, free_port, read_http_head, AcceptLoop};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use std::fs::File;
use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// Bound on moto's start (Python imports take a few seconds on a busy machine).
const WAIT: Duration = Duration::from_secs(60);
/// Retries when a port picked by `free_port` was taken in the meantime.
const START_ATTEMPTS: u32 = 3;
const LOG_TAIL_LINES: usize = 30;

/// moto's server, from the tests' virtualenv.
pub fn moto_binary() -> PathBuf {
    super::venv::binary("moto_server", "moto[server]")
}

/// An access key pair moto issued.
pub struct Keys {
    pub access_key: String,
    pub secret_key: String,
}

/// One moto server process, killed on drop. It starts without
/// authentication, so that users, keys and identities can be set up through
/// its API; [`Moto::enforce_auth`] then makes it check every SigV4 signature.
pub struct Moto {
    child: Child,
    pub port: u16,
    log: PathBuf,
    auth_enforced: bool,
    // Declared last: removed after `Drop::drop` has stopped the process.
    _dir: TempDir,
}

impl Moto {
    pub fn start() -> Moto {
        let mut last_log = String::new();
        for _ in 0..START_ATTEMPTS {
            let dir = tempfile::Builder::new().prefix("kbz-moto-").tempdir().expect("create moto temp dir");
            let port = free_port();
            let log = dir.path().join("moto.log");
            let out = File::create(&log).expect("create moto.log");
            let child = Command::new(moto_binary())
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .env("HOME", dir.path())
                .stdin(Stdio::null())
                .stdout(out.try_clone().expect("clone log handle"))
                .stderr(out)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", moto_binary().display()));
            let mut moto = Moto { child, port, log, auth_enforced: false, _dir: dir };
            match moto.wait_until_listening() {
                Ok(()) => return moto,
                Err(log) => last_log = log,
            }
        }
        panic!("moto_server did not start after {START_ATTEMPTS} attempts; last log:\n{last_log}");
    }

    /// `Err(log tail)` if the process exited (retry on another port); panics on a timeout.
    fn wait_until_listening(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited with {status}\n{}", self.log_tail()));
            }
            if matches!(super::net::http(self.port, "GET", "/moto-api/", &[], ""), Ok((200, _))) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                panic!("moto_server not ready within {WAIT:?}\n{}", self.log_tail());
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// What `AWS_ENDPOINT_URL_SES` is set to.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// An IAM user, an access key for it, and an inline policy allowing
    /// `actions` (none: the user may do nothing).
    pub fn user_with_key(&self, user: &str, actions: &[&str]) -> Keys {
        self.query("iam", "us-east-1", "2010-05-08", &[("Action", "CreateUser"), ("UserName", user)]);
        let answer = self.query("iam", "us-east-1", "2010-05-08", &[("Action", "CreateAccessKey"), ("UserName", user)]);
        let field = |name: &str| {
            xml_element(&answer, name).unwrap_or_else(|| panic!("no <{name}> in CreateAccessKey's answer: {answer}"))
        };
        let keys = Keys { access_key: field("AccessKeyId"), secret_key: field("SecretAccessKey") };
        if !actions.is_empty() {
            let list = actions.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(",");
            let policy = format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":[{list}],"Resource":"*"}}]}}"#
            );
            self.query(
                "iam",
                "us-east-1",
                "2010-05-08",
                &[
                    ("Action", "PutUserPolicy"),
                    ("UserName", user),
                    ("PolicyName", "ses-read"),
                    ("PolicyDocument", &policy),
                ],
            );
        }
        keys
    }

    /// An SES email-address identity in `region`, through SES v1's VerifyEmailIdentity.
    pub fn verify_email(&self, region: &str, address: &str) {
        self.query("ses", region, "2010-12-01", &[("Action", "VerifyEmailIdentity"), ("EmailAddress", address)]);
    }

    /// From now on moto checks every request's signature and IAM permissions:
    /// `POST /moto-api/reset-auth` with 0 unauthenticated actions, what
    /// moto's own `set_initial_no_auth_action_count(0)` does in server mode
    /// (the same as starting it with `INITIAL_NO_AUTH_ACTION_COUNT=0`).
    pub fn enforce_auth(&mut self) {
        let answer = super::net::http(self.port, "POST", "/moto-api/reset-auth", &[], "0");
        match answer {
            Ok((200, _)) => self.auth_enforced = true,
            other => panic!("moto refused reset-auth: {other:?}\n{}", self.log_tail()),
        }
    }

    /// A query-protocol call (form body) before auth is enforced. moto picks
    /// the service and region from the Authorization header's credential
    /// scope, and does not check the signature yet: this one only routes.
    fn query(&self, service: &str, region: &str, version: &str, params: &[(&str, &str)]) -> String {
        assert!(!self.auth_enforced, "set-up calls go before enforce_auth");
        let mut body = format!("Version={version}");
        for (name, value) in params {
            body.push_str(&format!("&{name}={}", utf8_percent_encode(value, NON_ALPHANUMERIC)));
        }
        let scope = format!(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/{region}/{service}/aws4_request, SignedHeaders=host, Signature=0"
        );
        let headers = [("Content-Type", "application/x-www-form-urlencoded"), ("Authorization", scope.as_str())];
        match super::net::http(self.port, "POST", "/", &headers, &body) {
            Ok((200, answer)) => answer,
            other => panic!("moto {service} {params:?} failed: {other:?}\n{}", self.log_tail()),
        }
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        format!("--- moto_server log ---\n{}", lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n"))
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One canned answer of the stand-in, for one request path.
#[derive(Clone, Debug)]
pub struct Route {
    /// The request path as sent, e.g. `/v2/email/identities/noreply%40example.com`.
    pub path: String,
    pub status: u16,
    /// `x-amzn-ErrorType`, as AWS's JSON APIs name an error.
    pub error_type: Option<String>,
    pub body: String,
}

impl Route {
    pub fn json(path: &str, status: u16, body: &str) -> Route {
        Route { path: path.to_string(), status, error_type: None, body: body.to_string() }
    }

    pub fn error(path: &str, status: u16, error_type: &str, message: &str) -> Route {
        let body = serde_json::json!({ "message": message }).to_string();
        Route { path: path.to_string(), status, error_type: Some(error_type.to_string()), body }
    }
}

/// Answers SESv2 GET requests from fixed routes (others get a plain 404),
/// and keeps each request's head to assert how it was signed.
pub struct SesStub {
    requests: Arc<Mutex<Vec<String>>>,
    accept_loop: AcceptLoop,
}

impl SesStub {
    pub fn start(routes: Vec<Route>) -> SesStub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind SES stand-in");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let received = requests.clone();
        let accept_loop = AcceptLoop::spawn(listener, move |mut stream| {
            let _ = stream.set_read_timeout(Some(net::STALLED_CLIENT_LIMIT));
            if let Some(head) = read_http_head(&mut stream) {
                let path = head.split_whitespace().nth(1).unwrap_or_default().to_string();
                received.lock().unwrap().push(head);
                let _ = stream.write_all(answer(routes.iter().find(|r| r.path == path)).as_bytes());
            }
        });
        SesStub { requests, accept_loop }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.accept_loop.port())
    }

    /// Request heads received so far, request line first.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn answer(route: Option<&Route>) -> String {
    let Some(route) = route else {
        let body = "<html><h1>404 Not Found</h1></html>";
        return format!(
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    };
    let error_type = route.error_type.as_ref().map_or(String::new(), |t| {
        format!("x-amzn-ErrorType: {t}:http://internal.amazon.com/coral/com.amazon.coral.service/\r\n")
    });
    format!(
        "HTTP/1.1 {} Status\r\nContent-Type: application/json\r\n{error_type}x-amzn-RequestId: 3fa1c0de-0000-4000-8000-000000000000\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        route.status,
        route.body.len(),
        route.body
    )
}

/// The text of the first `<name>…</name>` in moto's XML answers.
fn xml_element(text: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&format!("</{name}>"))? + start;
    Some(text[start..end].to_string())
}
