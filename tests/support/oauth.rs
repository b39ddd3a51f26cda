//! A loopback stand-in for the backend's Amazon OAuth start endpoint, as
//! PH15 section 2 shows it: `POST /api/v1/marketplaces/amazon/oauth/start`
//! with `X-User-Email`, `X-Tenant-Id` and `{}` answers
//! `{success, authUrl, state, expiresAt}`, or `{error, details}`. Each
//! server gives one configured answer, over plain HTTP/1.1 or TLS, and
//! records every request it reads so tests can assert what was sent.

use super::net::{self, AcceptLoop};
use super::tls::ServerCert;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

pub const START_PATH: &str = "/api/v1/marketplaces/amazon/oauth/start";
pub const APP_ID: &str = "amzn1.sp.solution.7c3d1f1e-2b4a-4d5e-9f60-1a2b3c4d5e6f";
pub const REDIRECT_URI: &str = "https://platform-api.example.com/api/v1/marketplaces/amazon/oauth/callback";
pub const STATE: &str = "75a623ee-2e14-4d76-85ea-70a02a5298bc";
pub const USER_EMAIL: &str = "seller@example.com";
pub const TENANT_ID: &str = "kbz-001";
/// PH15's error text.
pub const FAILED_TO_START: &str = "Failed to start Amazon OAuth";

/// Request heads and bodies the stand-in reads at most.
const MAX_HEAD: usize = 16 * 1024;
const MAX_BODY: usize = 1 << 20;

/// The app's variables for a start URL, as the backend and its client have them.
pub fn start_env(url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("KBZ_OAUTH_START_URL", url.to_string()),
        ("KBZ_OAUTH_USER_EMAIL", USER_EMAIL.to_string()),
        ("KBZ_OAUTH_TENANT_ID", TENANT_ID.to_string()),
        ("AMAZON_SPAPI_APP_ID", APP_ID.to_string()),
        ("AMAZON_SPAPI_REDIRECT_URI", REDIRECT_URI.to_string()),
    ]
}

/// PH15 as the backend's pod saw it: the start URL and its headers' values,
/// no application id of its own, and Vault out of reach (a closed port).
pub fn ph15_env(url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("KBZ_OAUTH_START_URL", url.to_string()),
        ("KBZ_OAUTH_USER_EMAIL", USER_EMAIL.to_string()),
        ("KBZ_OAUTH_TENANT_ID", TENANT_ID.to_string()),
        ("VAULT_ADDR", format!("http://127.0.0.1:{}", super::net::closed_port())),
    ]
}

/// The consent URL's parts, PH15's by default.
#[derive(Clone, Debug)]
pub struct Consent {
    pub host: String,
    pub app_id: String,
    pub state: String,
    pub redirect_uri: String,
    pub beta: bool,
    /// Seconds from now; negative for a time already past.
    pub expires_in: i64,
}

impl Consent {
    pub fn ph15() -> Consent {
        Consent {
            host: "sellercentral.amazon.com".into(),
            app_id: APP_ID.into(),
            state: STATE.into(),
            redirect_uri: REDIRECT_URI.into(),
            beta: false,
            expires_in: 600,
        }
    }

    /// `https://HOST/apps/authorize/consent?application_id=...&state=...[&version=beta]&redirect_uri=...`, as PH15's.
    pub fn auth_url(&self) -> String {
        let encode = |text: &str| url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
        let version = if self.beta { "&version=beta" } else { "" };
        format!(
            "https://{}/apps/authorize/consent?application_id={}&state={}{version}&redirect_uri={}",
            self.host,
            encode(&self.app_id),
            encode(&self.state),
            encode(&self.redirect_uri)
        )
    }

    /// `expiresAt` as JavaScript's `toISOString()` writes it.
    pub fn expires_at(&self) -> String {
        let now = SystemTime::now();
        let shift = Duration::from_secs(self.expires_in.unsigned_abs());
        let at = if self.expires_in >= 0 { now + shift } else { now - shift };
        humantime::format_rfc3339_millis(at).to_string()
    }

    /// The 200 answer's body.
    pub fn body(&self) -> Value {
        json!({ "success": true, "authUrl": self.auth_url(), "state": self.state, "expiresAt": self.expires_at() })
    }
}

/// The answer a stand-in gives to `POST START_PATH`.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: String,
    /// A success answer's consent: its body is made again at each answer, so
    /// that `expiresAt` stays ahead of the clock on a server that runs for long
    /// (a benchmark's).
    pub consent: Option<Consent>,
}

impl Reply {
    pub fn json(status: u16, body: &Value) -> Reply {
        Reply { status, content_type: "application/json; charset=utf-8".into(), body: body.to_string(), consent: None }
    }

    pub fn started(consent: &Consent) -> Reply {
        Reply { consent: Some(consent.clone()), ..Reply::json(200, &consent.body()) }
    }

    /// This answer as of now.
    fn now(&self) -> Reply {
        match &self.consent {
            Some(consent) => Reply::started(consent),
            None => self.clone(),
        }
    }

    /// PH15's error answer with `details`.
    pub fn failed(status: u16, details: &str) -> Reply {
        Reply::json(status, &json!({ "error": FAILED_TO_START, "details": details }))
    }

    pub fn html(status: u16, page: &str) -> Reply {
        Reply { status, content_type: "text/html".into(), body: page.into(), consent: None }
    }
}

/// One request as the stand-in read it.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// Path and query, as on the request line.
    pub target: String,
    pub version: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// A header's value, its name matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

pub struct StartServer {
    tls: bool,
    requests: Arc<Mutex<Vec<Request>>>,
    accept_loop: AcceptLoop,
}

impl StartServer {
    /// Plain HTTP on a free loopback port.
    pub fn start(reply: Reply) -> StartServer {
        StartServer::spawn(reply, None)
    }

    /// HTTPS with `cert`.
    pub fn start_tls(reply: Reply, cert: &ServerCert) -> StartServer {
        StartServer::spawn(reply, Some(cert.server_config()))
    }

    fn spawn(reply: Reply, tls: Option<Arc<rustls::ServerConfig>>) -> StartServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the start stand-in");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let is_tls = tls.is_some();
        let received = requests.clone();
        let accept_loop = AcceptLoop::spawn(listener, move |stream| {
            let _ = stream.set_read_timeout(Some(net::STALLED_CLIENT_LIMIT));
            match &tls {
                None => answer(stream, &reply, &received),
                Some(config) => {
                    // A client that refuses the certificate ends the handshake: nothing to answer.
                    let Ok(connection) = rustls::ServerConnection::new(config.clone()) else { return };
                    answer(rustls::StreamOwned::new(connection, stream), &reply, &received);
                }
            }
        });
        StartServer { tls: is_tls, requests, accept_loop }
    }

    pub fn port(&self) -> u16 {
        self.accept_loop.port()
    }

    /// The start URL, e.g. `http://127.0.0.1:PORT/api/v1/marketplaces/amazon/oauth/start`.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}{START_PATH}", self.port())
    }

    /// Every request read so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

/// Reads one request, records it, answers it and closes the connection.
fn answer(mut stream: impl Read + Write, reply: &Reply, requests: &Mutex<Vec<Request>>) {
    let Ok(request) = read_request(&mut stream) else { return };
    let chunked = request.header("transfer-encoding").is_some();
    let path = request.target.split('?').next().unwrap_or_default().to_string();
    let method = request.method.clone();
    requests.lock().unwrap().push(request);
    let response = match () {
        _ if chunked => Reply::json(411, &json!({ "error": "Length Required" })),
        _ if path != START_PATH => Reply::json(404, &json!({ "error": "Not Found", "path": path })),
        _ if method != "POST" => Reply::json(405, &json!({ "error": "Method Not Allowed" })),
        _ => reply.now(),
    };
    let head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        response.status,
        reason(response.status),
        response.content_type,
        response.body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(response.body.as_bytes());
    let _ = stream.flush();
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// An HTTP/1.1 request: the head up to its blank line, then exactly
/// Content-Length bytes of body.
fn read_request(stream: &mut impl Read) -> Result<Request, String> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        if data.len() > MAX_HEAD {
            return Err("request head too long".into());
        }
        let n = stream.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed before the request head ended".into());
        }
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let (method, target, version) = match (request_line.next(), request_line.next(), request_line.next()) {
        (Some(m), Some(t), Some(v)) => (m.to_string(), t.to_string(), v.to_string()),
        _ => return Err(format!("bad request line in {head:?}")),
    };
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
        .collect();
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map_or(Ok(0), |(_, v)| v.parse::<usize>())
        .map_err(|e| format!("bad Content-Length: {e}"))?
        .min(MAX_BODY);
    let mut body = data[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    body.truncate(length);
    Ok(Request { method, target, version, headers, body })
}
