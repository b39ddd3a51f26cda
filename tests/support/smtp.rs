//! A real mail relay on loopback for the SMTP tests: Debian's aiosmtpd,
//! driven by `smtp_server.py`, with a certificate from a throwaway CA. Each
//! `SmtpServer` owns its process and its mail directory; dropping it kills
//! the process.

use super::net::AcceptLoop;
use super::tls::TestCa;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;
use tempfile::TempDir;

/// The one login the relay accepts. Distinctive, to grep for in output that must never show it.
pub const SMTP_USER: &str = "postmaster@keybuzz.test";
pub const SMTP_PASSWORD: &str = "Sm7p!pa55:w0rd@Qz";
/// Subject and issuer of the relay's certificate, as a report shows them.
pub const CA_NAME: &str = "kbz-check SMTP test CA";
pub const SERVER_NAME: &str = "127.0.0.1";

/// Debian's aiosmtpd belongs to this interpreter, not to a pyenv one on PATH.
pub const PYTHON: &str = "/usr/bin/python3";
/// Bound on the wait for the relay to listen.
const READY_WAIT: Duration = Duration::from_secs(30);
const LOG_TAIL_BYTES: usize = 4000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// STARTTLS required before AUTH, as on a submission port (587).
    StartTls,
    /// TLS from the first byte, as on port 465.
    Implicit,
    /// No TLS at all, AUTH offered in clear.
    Plain,
}

impl Mode {
    fn arg(self) -> &'static str {
        match self {
            Mode::StartTls => "starttls",
            Mode::Implicit => "implicit",
            Mode::Plain => "plain",
        }
    }
}

/// The app's SMTP variables for a relay on `port`, the way the backend's env file sets them.
pub fn relay_env(port: u16, password: &str) -> Vec<(&'static str, String)> {
    vec![
        ("SMTP_HOST", "127.0.0.1".to_string()),
        ("SMTP_PORT", port.to_string()),
        ("SMTP_USER", SMTP_USER.to_string()),
        ("SMTP_PASS", password.to_string()),
    ]
}

/// `env`, trusting the test CA that signed the relay's certificate.
pub fn trusting(mut env: Vec<(&'static str, String)>, certificates: &Certificates) -> Vec<(&'static str, String)> {
    env.push(("SSL_CERT_FILE", certificates.ca_path().display().to_string()));
    env
}

/// A test CA and a server certificate for 127.0.0.1 it signed, as PEM files.
pub struct Certificates {
    dir: TempDir,
}

impl Certificates {
    pub fn new() -> Certificates {
        Certificates::for_names(&[SERVER_NAME, "localhost"])
    }

    /// A server certificate for `names` (host names or addresses).
    pub fn for_names(names: &[&str]) -> Certificates {
        let ca = TestCa::new(CA_NAME);
        let server = ca.server_cert(names);
        Certificates::write(&ca.cert_pem, &server.cert_pem, &server.key_pem)
    }

    /// A server certificate for 127.0.0.1 signed by `ca`, which may sign other servers' too.
    pub fn signed_by(ca: &TestCa) -> Certificates {
        let server = ca.server_cert(&[SERVER_NAME, "localhost"]);
        Certificates::write(&ca.cert_pem, &server.cert_pem, &server.key_pem)
    }

    /// A server certificate that ended on 2020-02-01, from a CA of its own
    /// (TestCa signs with default validity only).
    pub fn expired() -> Certificates {
        let ca_key = KeyPair::generate().expect("generate CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, CA_NAME);
        let ca_cert = ca_params.self_signed(&ca_key).expect("self-sign the CA");
        let issuer = Issuer::new(ca_params, ca_key);
        let key = KeyPair::generate().expect("generate server key");
        let mut params = CertificateParams::new(vec![SERVER_NAME.to_string()]).expect("server params");
        params.distinguished_name.push(DnType::CommonName, SERVER_NAME);
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2020, 2, 1);
        let cert = params.signed_by(&key, &issuer).expect("sign the server certificate");
        Certificates::write(&ca_cert.pem(), &cert.pem(), &key.serialize_pem())
    }

    fn write(ca_pem: &str, cert_pem: &str, key_pem: &str) -> Certificates {
        let dir = tempfile::tempdir().expect("temp dir for certificates");
        fs::write(dir.path().join("ca.pem"), ca_pem).expect("write CA certificate");
        fs::write(dir.path().join("server.pem"), cert_pem).expect("write server certificate");
        fs::write(dir.path().join("server.key"), key_pem).expect("write server key");
        Certificates { dir }
    }

    /// The CA certificate, for SSL_CERT_FILE or the suite's `cacert`.
    pub fn ca_path(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    fn server_files(&self) -> (PathBuf, PathBuf) {
        (self.dir.path().join("server.pem"), self.dir.path().join("server.key"))
    }
}

/// An aiosmtpd relay on 127.0.0.1 that files every message it accepts.
pub struct SmtpServer {
    child: Child,
    port: u16,
    // Declared last: removed after `Drop::drop` has killed the process.
    dir: TempDir,
}

impl SmtpServer {
    pub fn start(mode: Mode, certificates: &Certificates) -> SmtpServer {
        SmtpServer::spawn(Command::new(PYTHON), mode, certificates, &[])
    }

    /// A relay that offers AUTH LOGIN only (no PLAIN).
    pub fn start_login_only(mode: Mode, certificates: &Certificates) -> SmtpServer {
        SmtpServer::spawn(Command::new(PYTHON), mode, certificates, &["--no-plain"])
    }

    /// A relay run by `python`, a [`PYTHON`] command made elsewhere: inside
    /// a network namespace (`DnsNamespace::exec(PYTHON)`), only its processes reach it.
    pub fn start_with(python: Command, mode: Mode, certificates: &Certificates) -> SmtpServer {
        SmtpServer::spawn(python, mode, certificates, &[])
    }

    fn spawn(mut command: Command, mode: Mode, certificates: &Certificates, extra: &[&str]) -> SmtpServer {
        let dir = tempfile::tempdir().expect("temp dir for the relay");
        let maildir = dir.path().join("mail");
        fs::create_dir(&maildir).expect("create the mail directory");
        let log = fs::File::create(dir.path().join("server.log")).expect("create the relay log");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_server.py");
        let (cert, key) = certificates.server_files();
        command
            .arg(&script)
            .args(["--mode", mode.arg(), "--user", SMTP_USER, "--password", SMTP_PASSWORD])
            .arg("--maildir")
            .arg(&maildir)
            .arg("--cert")
            .arg(cert)
            .arg("--key")
            .arg(key)
            .args(extra)
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log);
        let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot run {PYTHON} {}: {e}", script.display()));
        let stdout = child.stdout.take().expect("relay stdout");
        match wait_for_ready(stdout) {
            Some(port) => SmtpServer { child, port, dir },
            None => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the SMTP relay did not report READY within {READY_WAIT:?} (is python3-aiosmtpd installed? scripts/test installs it). Its log:\n{}",
                    log_tail(&dir.path().join("server.log"))
                );
            }
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every message received so far, envelope lines first.
    pub fn messages(&self) -> Vec<String> {
        let mut paths: Vec<PathBuf> = fs::read_dir(self.dir.path().join("mail"))
            .expect("read the mail directory")
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
            .collect();
        paths.sort();
        paths.iter().map(|path| fs::read_to_string(path).expect("read a received message")).collect()
    }

    /// The relay's own log, to show when an assertion fails.
    pub fn log(&self) -> String {
        log_tail(&self.dir.path().join("server.log"))
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads the relay's stdout until `READY <port>`, within READY_WAIT.
fn wait_for_ready(stdout: std::process::ChildStdout) -> Option<u16> {
    let (sender, receiver) = mpsc::channel();
    // The reader thread ends when the process exits (its stdout closes).
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(port) = line.strip_prefix("READY ").and_then(|p| p.trim().parse::<u16>().ok()) {
                let _ = sender.send(port);
                return;
            }
        }
    });
    receiver.recv_timeout(READY_WAIT).ok()
}

fn log_tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let start = text.len().saturating_sub(LOG_TAIL_BYTES);
    let start = (start..text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(text.len());
    text[start..].to_string()
}

/// Accepts TCP connections, writes fixed bytes that are not SMTP, and keeps
/// each connection open: a client must judge the bytes, not wait for EOF.
pub struct GarbageListener {
    accept_loop: AcceptLoop,
}

impl GarbageListener {
    pub fn start(greeting: &'static [u8]) -> GarbageListener {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind garbage listener");
        let mut held: Vec<TcpStream> = Vec::new();
        let accept_loop = AcceptLoop::spawn(listener, move |mut stream| {
            let _ = stream.write_all(greeting);
            held.push(stream);
        });
        GarbageListener { accept_loop }
    }

    pub fn port(&self) -> u16 {
        self.accept_loop.port()
    }
}
