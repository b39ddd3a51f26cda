//! Hostile stand-ins that echo what they receive, so that a secret a client
//! sends (a token header, Basic auth, SMTP AUTH) comes back inside the
//! server's answer, at a place the test chooses (`pad` filler bytes first),
//! where a report's excerpt may cut it.

use super::net::{read_http_head, AcceptLoop};
use super::tls::ServerCert;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

const CLIENT_LIMIT: Duration = Duration::from_secs(5);

/// HTTP: answers Vault's health request as a healthy active node (so that
/// the token is sent next), and every other request `500` with a Vault-style
/// JSON error whose text is `pad` filler characters, the request's header
/// lines, then the whole head again.
pub struct HttpEcho {
    accept_loop: AcceptLoop,
}

impl HttpEcho {
    pub fn start(pad: usize) -> HttpEcho {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the HTTP echo");
        let accept_loop = AcceptLoop::spawn(listener, move |mut stream| {
            let _ = stream.set_read_timeout(Some(CLIENT_LIMIT));
            let Some(head) = read_http_head(&mut stream) else { return };
            if head.starts_with("GET /v1/sys/health") {
                let body = r#"{"initialized":true,"sealed":false,"standby":false,"version":"1.15.0"}"#;
                let _ = stream.write_all(reply(200, body).as_bytes());
                return;
            }
            // Header lines first (the request line can be long): the cut falls among them.
            let headers = head.split_once("\r\n").map_or(head.as_str(), |(_, rest)| rest);
            let text = format!("{}{headers}{head}", "x".repeat(pad));
            let body = serde_json::json!({ "errors": [text] }).to_string();
            let _ = stream.write_all(reply(500, &body).as_bytes());
        });
        HttpEcho { accept_loop }
    }

    pub fn port(&self) -> u16 {
        self.accept_loop.port()
    }
}

fn reply(status: u16, body: &str) -> String {
    format!(
        "HTTP/1.1 {status} Echo\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// SMTP over implicit TLS (port-465 style) that offers AUTH and answers
/// each AUTH line, and the lines after it, with a `535` quoting it.
pub struct SmtpEcho {
    accept_loop: AcceptLoop,
}

impl SmtpEcho {
    pub fn start(cert: &ServerCert, pad: usize) -> SmtpEcho {
        let config = cert.server_config();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the SMTP echo");
        let accept_loop = AcceptLoop::spawn(listener, move |stream| {
            let _ = stream.set_read_timeout(Some(CLIENT_LIMIT));
            let Ok(connection) = rustls::ServerConnection::new(config.clone()) else { return };
            converse(rustls::StreamOwned::new(connection, stream), pad);
        });
        SmtpEcho { accept_loop }
    }

    pub fn port(&self) -> u16 {
        self.accept_loop.port()
    }
}

fn converse(stream: rustls::StreamOwned<rustls::ServerConnection, TcpStream>, pad: usize) {
    let mut reader = BufReader::new(stream);
    let _ = reader.get_mut().write_all(b"220 echo.test ESMTP\r\n");
    let mut line = String::new();
    for _ in 0..20 {
        line.clear();
        if reader.by_ref().take(4096).read_line(&mut line).map_or(true, |n| n == 0) {
            return;
        }
        let command = line.trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        let reply = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            "250-echo.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n".to_string()
        } else if upper.starts_with("QUIT") {
            let _ = reader.get_mut().write_all(b"221 bye\r\n");
            return;
        } else {
            format!("535 5.7.8 {}{command} rejected\r\n", "x".repeat(pad))
        };
        if reader.get_mut().write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// PostgreSQL: declines TLS, asks for the password in clear text, and
/// refuses it with an error message that quotes it after `pad` characters
/// (SQLSTATE XX000, whose message a report quotes; 28P01's it does not).
pub struct PgEcho {
    accept_loop: AcceptLoop,
}

impl PgEcho {
    pub fn start(pad: usize) -> PgEcho {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the PostgreSQL echo");
        let accept_loop = AcceptLoop::spawn(listener, move |mut stream| {
            let _ = stream.set_read_timeout(Some(CLIENT_LIMIT));
            let _ = pg_converse(&mut stream, pad);
        });
        PgEcho { accept_loop }
    }

    pub fn port(&self) -> u16 {
        self.accept_loop.port()
    }
}

fn pg_converse(stream: &mut TcpStream, pad: usize) -> std::io::Result<()> {
    const SSL_REQUEST: u32 = 80_877_103;
    let mut startup = read_untyped(stream)?;
    if startup.get(..4) == Some(&SSL_REQUEST.to_be_bytes()[..]) {
        stream.write_all(b"N")?;
        startup = read_untyped(stream)?;
    }
    let _ = startup;
    // AuthenticationCleartextPassword.
    stream.write_all(&[b'R', 0, 0, 0, 8, 0, 0, 0, 3])?;
    let mut tag = [0u8; 1];
    stream.read_exact(&mut tag)?;
    let body = read_untyped(stream)?;
    let password = String::from_utf8_lossy(body.strip_suffix(&[0]).unwrap_or(&body)).into_owned();
    let mut fields = Vec::new();
    for (code, value) in [(b'S', "FATAL"), (b'V', "FATAL"), (b'C', "XX000")] {
        fields.push(code);
        fields.extend_from_slice(value.as_bytes());
        fields.push(0);
    }
    fields.push(b'M');
    fields.extend_from_slice(format!("{}password authentication failed: got {password}", "x".repeat(pad)).as_bytes());
    fields.extend_from_slice(&[0, 0]);
    let mut reply = vec![b'E'];
    reply.extend_from_slice(&(fields.len() as u32 + 4).to_be_bytes());
    reply.extend_from_slice(&fields);
    stream.write_all(&reply)
}

/// A length-prefixed message without a type byte (startup) or the rest of a typed one.
fn read_untyped(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    stream.read_exact(&mut len)?;
    let len = (u32::from_be_bytes(len) as usize).saturating_sub(4).min(64 * 1024);
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body)?;
    Ok(body)
}
