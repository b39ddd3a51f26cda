//! HTTP to Vault: one client per run with the check's trust settings, answers
//! read up to a cap, and failures classified by what went wrong (the name, a
//! refusal, silence, no route, TLS) so that each gets its own cause.

use super::{Context, VaultCheck};
pub use crate::http::RequestError;
use crate::http::{classify, read_capped, Attempt};
use crate::redirect::Redirected;
use crate::tls::{self, CertInfo, Verify};
use reqwest::header::HeaderValue;
use rustls::pki_types::ServerName;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use url::Url;

/// Every `*code` parameter of `/v1/sys/health` set to a 2xx, as Vault's Go
/// client does: the server then answers with its state in the body whatever
/// that state is, instead of a 4xx/5xx some proxies replace with their own page.
pub const HEALTH_QUERY: &[(&str, &str)] = &[
    ("standbyok", "true"),
    ("perfstandbyok", "true"),
    ("uninitcode", "299"),
    ("sealedcode", "299"),
    ("standbycode", "299"),
    ("drsecondarycode", "299"),
    ("performancestandbycode", "299"),
    ("haunhealthycode", "299"),
    ("removedcode", "299"),
];

/// One HTTP answer, whatever its status.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
    /// The body was longer than [`crate::http::MAX_BODY`] and was cut there.
    pub truncated: bool,
    /// When the answer's headers arrived, to measure clock skew against.
    pub received_at: SystemTime,
    /// The server's certificate, on https.
    pub certificate: Option<CertInfo>,
    /// A 3xx and where it points (masked): never followed.
    pub redirect: Option<Box<Redirected>>,
}

/// A client aimed at one Vault address, its name already resolved.
pub struct VaultHttp {
    client: reqwest::Client,
    base: Url,
    host: String,
    port: u16,
    addrs: Vec<SocketAddr>,
    token: Option<HeaderValue>,
    connect_budget: Duration,
    /// Until when a second look at a stalled connect may run (inside the check's deadline).
    look_until: tokio::time::Instant,
}

impl VaultHttp {
    /// Resolves the address's host (a step of its own, so a slow DNS is named)
    /// and builds the client with the check's trust settings.
    pub async fn connect(check: &VaultCheck, ctx: &Context) -> Result<VaultHttp, RequestError> {
        let base = check.addr.clone();
        let port = base.port_or_known_default().unwrap_or(8200);
        let (host, addrs) = crate::http::resolve(&base, port, ctx).await?;
        // Bounded inside the check's deadline so that an unanswered TCP
        // handshake is reported by this check, as a network-path problem,
        // rather than by the engine as a bare timeout.
        let connect_budget = ctx.remaining().mul_f64(0.9);
        let look_until = tokio::time::Instant::now() + ctx.remaining().mul_f64(0.95);
        // Redirects are never followed: one would carry X-Vault-Token to
        // whatever origin it names (Vault's Go client follows one to any
        // https host). The redirect is reported as evidence instead.
        let tls = reqwest::Client::builder().tls_backend_preconfigured(tls_config(check)?).tls_info(true);
        let client = crate::http::client(tls, &base, (&host, &addrs), connect_budget, ctx)?;
        let token = match &check.token {
            Some(secret) => {
                let mut value = HeaderValue::from_str(secret.expose())
                    .map_err(|_| RequestError::Setup { detail: "the token cannot be sent in an HTTP header".into() })?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        Ok(VaultHttp { client, base, host, port, addrs, token, connect_budget, look_until })
    }

    /// `host:port`, as messages name the server.
    pub fn endpoint(&self) -> String {
        crate::http::endpoint(&self.base, self.port)
    }

    pub fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        api_url(&self.base, segments, query)
    }

    /// `/v1/sys/health` with every state mapped to a 2xx; on a TLS failure,
    /// fetches the certificate (unverified) to name it.
    pub async fn health(&self, ctx: &Context) -> Result<Answer, RequestError> {
        ctx.step(format!("waiting for {} to answer GET /v1/sys/health", self.endpoint()));
        match self.request(self.url(&["sys", "health"], HEALTH_QUERY), false).await {
            Err(RequestError::Tls { endpoint, problem, detail, certificate: None }) => {
                ctx.step(format!("fetching the TLS certificate of {endpoint} to name it"));
                let certificate = self.fetch_certificate().await.map(Box::new);
                Err(RequestError::Tls { endpoint, problem, detail, certificate })
            }
            other => other,
        }
    }

    /// `/v1/sys/health` of another node (the active node a standby names),
    /// never with the token, within `budget`.
    pub async fn health_of(&self, base: &Url, budget: Duration) -> Result<Answer, RequestError> {
        let url = api_url(base, &["sys", "health"], HEALTH_QUERY);
        let port = base.port_or_known_default().unwrap_or(8200);
        let endpoint = crate::http::endpoint(base, port);
        let host = crate::http::host(base).to_string();
        let fail = |e: &reqwest::Error| {
            // One budget covers connect and answer alike: a timeout of it says
            // only that the request failed.
            let attempt = Attempt {
                endpoint: endpoint.clone(),
                host: &host,
                connect_budget: budget,
                answer_budget: None,
                seen: None,
            };
            classify(e, attempt)
        };
        let mut response = self.client.get(url.clone()).timeout(budget).send().await.map_err(|e| fail(&e))?;
        let status = response.status().as_u16();
        let location = response.headers().get(reqwest::header::LOCATION).map(|v| String::from_utf8_lossy(v.as_bytes()));
        let redirect = Redirected::read(&url, status, location.as_deref()).map(Box::new);
        let (body, truncated) = read_capped(&mut response).await.map_err(|e| fail(&e))?;
        Ok(Answer { status, body, truncated, received_at: SystemTime::now(), certificate: None, redirect })
    }

    /// GET `/v1/<segments>` without the token, given up after the connect
    /// budget and never looked at twice: a question asked on the side,
    /// whose failure the main request will explain if it matters.
    pub async fn peek(&self, segments: &[&str]) -> Result<Answer, RequestError> {
        let url = self.url(segments, &[]);
        let timed_out = || RequestError::AnswerTimeout { endpoint: self.endpoint(), after: self.connect_budget };
        let ask = async {
            let mut response = self.client.get(url.clone()).send().await.map_err(|e| self.classify(&e))?;
            let status = response.status().as_u16();
            let location =
                response.headers().get(reqwest::header::LOCATION).map(|v| String::from_utf8_lossy(v.as_bytes()));
            let redirect = Redirected::read(&url, status, location.as_deref()).map(Box::new);
            let (body, truncated) = read_capped(&mut response).await.map_err(|e| self.classify(&e))?;
            Ok(Answer { status, body, truncated, received_at: SystemTime::now(), certificate: None, redirect })
        };
        tokio::time::timeout(self.connect_budget, ask).await.unwrap_or_else(|_| Err(timed_out()))
    }

    /// GET `/v1/<segments>`, with the token when asked.
    pub async fn get(&self, segments: &[&str], with_token: bool) -> Result<Answer, RequestError> {
        self.request(self.url(segments, &[]), with_token).await
    }

    /// GET `/v1/<segments>` like [`Self::get`], given up after `budget`.
    pub async fn get_within(
        &self,
        segments: &[&str],
        with_token: bool,
        budget: Duration,
    ) -> Result<Answer, RequestError> {
        match tokio::time::timeout(budget, self.get(segments, with_token)).await {
            Ok(result) => result,
            Err(_) => Err(RequestError::AnswerTimeout { endpoint: self.endpoint(), after: budget }),
        }
    }

    async fn request(&self, url: Url, with_token: bool) -> Result<Answer, RequestError> {
        let mut request = self.client.get(url.clone());
        if let (true, Some(token)) = (with_token, &self.token) {
            request = request.header("X-Vault-Token", token.clone());
        }
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(e) => {
                let tls_name = (self.base.scheme() == "https").then_some(self.host.as_str());
                let budget = self.look_until.saturating_duration_since(tokio::time::Instant::now());
                let look = crate::http::SecondLook { addrs: &self.addrs, tls_name, budget };
                return Err(crate::http::look_again(self.classify(&e), look).await);
            }
        };
        let received_at = SystemTime::now();
        let status = response.status().as_u16();
        let location = response.headers().get(reqwest::header::LOCATION).map(|v| String::from_utf8_lossy(v.as_bytes()));
        let redirect = Redirected::read(&url, status, location.as_deref()).map(Box::new);
        let certificate = response
            .extensions()
            .get::<reqwest::tls::TlsInfo>()
            .and_then(|info| info.peer_certificate())
            .and_then(|der| CertInfo::from_der(der).ok());
        let (body, truncated) = read_capped(&mut response).await.map_err(|e| self.classify(&e))?;
        Ok(Answer { status, body, truncated, received_at, certificate, redirect })
    }

    fn classify(&self, err: &reqwest::Error) -> RequestError {
        let attempt = Attempt {
            endpoint: self.endpoint(),
            host: &self.host,
            connect_budget: self.connect_budget,
            answer_budget: None,
            seen: None,
        };
        classify(err, attempt)
    }

    /// The server's certificate through a handshake that verifies nothing:
    /// only to name the certificate the real handshake refused.
    async fn fetch_certificate(&self) -> Option<CertInfo> {
        let config = tls::client_config(Verify::Off).ok()?;
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let name = match self.host.parse::<IpAddr>() {
            Ok(ip) => ServerName::IpAddress(ip.into()),
            Err(_) => ServerName::try_from(self.host.clone()).ok()?,
        };
        for addr in &self.addrs {
            let Ok(stream) = tokio::net::TcpStream::connect(addr).await else { continue };
            let Ok(tls) = connector.connect(name.clone(), stream).await else { continue };
            let (_, session) = tls.get_ref();
            return session.peer_certificates()?.first().and_then(|der| CertInfo::from_der(der).ok());
        }
        None
    }
}

/// `base` + `/v1/<segments>` (each percent-encoded) + `?query`.
pub fn api_url(base: &Url, segments: &[&str], query: &[(&str, &str)]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().push("v1").extend(segments);
    }
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    url
}

fn tls_config(check: &VaultCheck) -> Result<rustls::ClientConfig, RequestError> {
    let setup = |detail: String| RequestError::Setup { detail };
    let verify = if check.skip_verify || check.addr.scheme() == "http" {
        Verify::Off
    } else {
        let mut roots = tls::system_roots();
        if let Some(ca) = &check.cacert {
            tls::add_pem(&mut roots.certs, ca).map_err(|e| setup(format!("{}: {e}", check.names.cacert)))?;
        }
        if roots.is_empty() {
            return Err(setup(format!(
                "no trusted CA: the system trust store is empty and {} is not set",
                check.names.cacert
            )));
        }
        Verify::Full(roots)
    };
    tls::client_config(verify).map_err(setup)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_url_keeps_a_path_prefix_and_encodes_segments() {
        let base = Url::parse("https://10.0.0.150:8200").unwrap();
        assert_eq!(api_url(&base, &["sys", "health"], &[]).as_str(), "https://10.0.0.150:8200/v1/sys/health");
        let prefixed = Url::parse("http://proxy/vault").unwrap();
        assert_eq!(
            api_url(&prefixed, &["secret", "data", "a b"], &[("x", "1")]).as_str(),
            "http://proxy/vault/v1/secret/data/a%20b?x=1"
        );
    }

    #[test]
    fn health_query_asks_for_a_2xx_in_every_state() {
        let base = Url::parse("http://127.0.0.1:8200").unwrap();
        let url = api_url(&base, &["sys", "health"], HEALTH_QUERY);
        for param in ["standbyok=true", "perfstandbyok=true", "sealedcode=299", "uninitcode=299", "removedcode=299"] {
            assert!(url.as_str().contains(param), "{url}");
        }
    }
}
