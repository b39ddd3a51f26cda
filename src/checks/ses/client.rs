//! HTTP to the SES API: GET requests signed with SigV4 by `aws-sigv4` (the
//! secret key goes to the signer and nowhere else), answers read up to a cap,
//! and failures classified by `crate::http` like every HTTP check's.

use super::Context;
use crate::errors;
pub use crate::http::RequestError;
use crate::http::{classify, look_again, read_capped, Attempt, SecondLook};
use crate::redirect::Redirected;
use crate::secret::Secret;
use crate::tls::{self, SeenSlot, Verify};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::header::{HeaderName, HeaderValue};
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};
use url::{Host, Url};

/// The SigV4 signing name of SES (v1 and v2 alike).
const SIGNING_NAME: &str = "ses";

/// Share of the time left that one request may take, so that the check,
/// not the engine's deadline, reports a silent endpoint (with its evidence).
const REQUEST_SHARE: f64 = 0.9;

/// One HTTP answer, whatever its status.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub status: u16,
    /// `x-amzn-ErrorType`, where AWS's JSON APIs name an error.
    pub error_type: Option<String>,
    pub body: Vec<u8>,
    /// The body was longer than [`crate::http::MAX_BODY`] and was cut there.
    pub truncated: bool,
    /// A 3xx and where it points (masked): never followed, since the request
    /// carries the app's SigV4 `Authorization` (AWS's SES API never redirects).
    pub redirect: Option<Box<Redirected>>,
}

/// What signs the requests: the keys and the region of the credential scope.
pub struct Signer {
    pub access_key: Secret,
    pub secret_key: Secret,
    pub region: String,
}

/// A client aimed at one SES endpoint, its name already resolved.
pub struct SesHttp {
    client: reqwest::Client,
    base: Url,
    port: u16,
    signer: Signer,
    host: String,
    addrs: Vec<SocketAddr>,
    connect_budget: Duration,
    /// What the verifier saw: why a certificate was refused, and whose.
    seen: SeenSlot,
}

impl SesHttp {
    /// Resolves the endpoint's host (a step of its own, so a slow DNS is
    /// named) and builds a client that trusts the system store (or
    /// SSL_CERT_FILE) and uses no proxy, like the app's SDK on that host.
    pub async fn connect(base: Url, signer: Signer, ctx: &Context) -> Result<SesHttp, RequestError> {
        let port = base.port_or_known_default().unwrap_or(443);
        let (host, addrs) = crate::http::resolve(&base, port, ctx).await?;
        // The trust store is only read for https: loading it costs time.
        let roots = if base.scheme() == "https" { tls::system_roots() } else { rustls::RootCertStore::empty().into() };
        let (tls_config, seen) =
            tls::recording_client_config(Verify::Full(roots)).map_err(|detail| RequestError::Setup { detail })?;
        // Shorter than a request's budget: a stalled connect is told from a slow answer.
        let connect_budget = ctx.connect_budget();
        let mut builder = reqwest::Client::builder()
            .use_preconfigured_tls(tls_config)
            .connect_timeout(connect_budget)
            .connector_layer(crate::http::Watch::new(ctx, &base))
            .no_proxy()
            // Never followed: the signed Authorization header must not reach
            // another origin. A 3xx is the answer's `redirect`.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("kbz-check/", env!("CARGO_PKG_VERSION")));
        if matches!(base.host(), Some(Host::Domain(_))) {
            builder = builder.resolve_to_addrs(&host, &addrs);
        }
        let client = builder.build().map_err(|e| RequestError::Setup { detail: errors::describe(&e) })?;
        Ok(SesHttp { client, base, port, signer, host, addrs, connect_budget, seen })
    }

    /// `host:port`, as messages name the server.
    pub fn endpoint(&self) -> String {
        crate::http::endpoint(&self.base, self.port)
    }

    /// A signed `GET /v2/email/<segments>` (each segment percent-encoded).
    pub async fn get(&self, segments: &[&str], ctx: &Context) -> Result<Answer, RequestError> {
        let url = api_url(&self.base, segments);
        let budget = ctx.remaining().mul_f64(REQUEST_SHARE);
        let mut request = self.client.get(url.clone()).timeout(budget);
        for (name, value) in signed_headers(&self.signer, "GET", &url, SystemTime::now())? {
            request = request.header(name, value);
        }
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(e) => return Err(self.look_again(self.classify(&e, budget), ctx).await),
        };
        let status = response.status().as_u16();
        let location = response.headers().get(reqwest::header::LOCATION).map(|v| String::from_utf8_lossy(v.as_bytes()));
        if let Some(redirect) = Redirected::read(&url, status, location.as_deref()) {
            // Not read: what a redirect says is where it points.
            let redirect = Some(Box::new(redirect));
            return Ok(Answer { status, error_type: None, body: Vec::new(), truncated: false, redirect });
        }
        let error_type = response
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(':').next().unwrap_or(v).trim().to_string())
            .filter(|v| !v.is_empty());
        let (body, truncated) = read_capped(&mut response).await.map_err(|e| self.classify(&e, budget))?;
        Ok(Answer { status, error_type, body, truncated, redirect: None })
    }

    /// A connect timeout gets a second look: a peer that accepts TCP and
    /// stalls TLS is named as such, not as a blocked path.
    async fn look_again(&self, error: RequestError, ctx: &Context) -> RequestError {
        let RequestError::ConnectTimeout { endpoint, after } = &error else { return error };
        // Only a timeout of the connect budget is known to be the connect's;
        // one of a shorter answer budget may have run out anywhere.
        if *after != self.connect_budget {
            return error;
        }
        ctx.step(format!("looking again at where the connection to {endpoint} stops"));
        let tls_name = (self.base.scheme() == "https").then_some(self.host.as_str());
        let look = SecondLook { addrs: &self.addrs, tls_name, budget: ctx.remaining().mul_f64(0.7) };
        look_again(error, look).await
    }

    fn classify(&self, err: &reqwest::Error, budget: Duration) -> RequestError {
        let attempt = Attempt {
            endpoint: self.endpoint(),
            host: &self.host,
            connect_budget: self.connect_budget,
            answer_budget: Some(budget),
            seen: Some(&self.seen),
        };
        classify(err, attempt)
    }
}

/// Everything but RFC 3986's unreserved characters is encoded in a path
/// segment, as the AWS SDKs do (an address's `@` becomes `%40`).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// `base` + `/v2/email/<segments>`, each segment percent-encoded.
pub fn api_url(base: &Url, segments: &[&str]) -> Url {
    let mut path = format!("{}/v2/email", base.path().trim_end_matches('/'));
    for segment in segments {
        path.push('/');
        path.extend(utf8_percent_encode(segment, SEGMENT));
    }
    let mut url = base.clone();
    url.set_path(&path);
    url
}

/// The headers that sign a bodiless request: `x-amz-date`,
/// `x-amz-content-sha256` and `authorization`. The secret key only derives
/// the signing key inside `aws-sigv4`; it is in none of the headers.
pub fn signed_headers(
    signer: &Signer,
    method: &str,
    url: &Url,
    at: SystemTime,
) -> Result<Vec<(HeaderName, HeaderValue)>, RequestError> {
    let setup = |detail: String| RequestError::Setup { detail: format!("cannot sign the request: {detail}") };
    let credentials = Credentials::new(signer.access_key.expose(), signer.secret_key.expose(), None, None, "kbz-check");
    let identity = credentials.into();
    let mut settings = SigningSettings::default();
    // The payload hash travels as a signed header, as S3 requires and every
    // SigV4 service accepts; emulators (moto) then check the signature
    // against it instead of re-deriving a body for a GET.
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&signer.region)
        .name(SIGNING_NAME)
        .time(at)
        .settings(settings)
        .build()
        .map_err(|e| setup(e.to_string()))?
        .into();
    let signable = SignableRequest::new(method, url.as_str(), std::iter::empty(), SignableBody::Bytes(&[]))
        .map_err(|e| setup(e.to_string()))?;
    let (instructions, _signature) = sign(signable, &params).map_err(|e| setup(e.to_string()))?.into_parts();
    let mut headers = Vec::new();
    for (name, value) in instructions.headers() {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| setup(e.to_string()))?;
        let mut value = HeaderValue::from_str(value).map_err(|e| setup(e.to_string()))?;
        value.set_sensitive(name == reqwest::header::AUTHORIZATION);
        headers.push((name, value));
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> Signer {
        Signer {
            access_key: Secret::new("AKIDEXAMPLE"),
            secret_key: Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            region: "us-east-1".into(),
        }
    }

    #[test]
    fn api_url_encodes_the_identity_and_keeps_a_prefix() {
        let base = Url::parse("https://email.eu-west-1.amazonaws.com").unwrap();
        assert_eq!(api_url(&base, &["account"]).as_str(), "https://email.eu-west-1.amazonaws.com/v2/email/account");
        assert_eq!(
            api_url(&base, &["identities", "noreply@example.com"]).as_str(),
            "https://email.eu-west-1.amazonaws.com/v2/email/identities/noreply%40example.com"
        );
        let prefixed = Url::parse("http://127.0.0.1:4566/ses").unwrap();
        assert_eq!(api_url(&prefixed, &["account"]).as_str(), "http://127.0.0.1:4566/ses/v2/email/account");
        // A `/` inside an identity cannot climb out of the identities path.
        assert!(api_url(&base, &["identities", "../account"]).path().ends_with("/identities/..%2Faccount"));
        assert!(api_url(&base, &["identities", "a b?#%"]).path().ends_with("/identities/a%20b%3F%23%25"));
    }

    #[test]
    fn signature_scope_names_ses_and_the_region_and_never_the_secret() {
        let url = Url::parse("https://email.us-east-1.amazonaws.com/v2/email/account").unwrap();
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160); // 2015-08-30T12:36:00Z
        let headers = signed_headers(&signer(), "GET", &url, at).unwrap();
        let get = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.to_str().unwrap().to_string());
        assert_eq!(get("x-amz-date").as_deref(), Some("20150830T123600Z"));
        let empty_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(get("x-amz-content-sha256").as_deref(), Some(empty_sha256));
        let auth = get("authorization").unwrap();
        assert!(
            auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ses/aws4_request, "),
            "{auth}"
        );
        assert!(auth.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date"), "{auth}");
        let all = format!("{headers:?}");
        assert!(!all.contains("wJalrXUtnFEMI") && !auth.contains("wJalrXUtnFEMI"), "{all}");
    }
}
