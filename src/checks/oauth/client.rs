//! The one HTTP exchange: `POST` the start URL with the tenant headers and
//! `{}`, as the web client does (PH15 section 2), read the answer up to a
//! cap, and classify a missing answer by what went wrong (the name, a
//! refusal, silence, no route, TLS) so that each gets its own cause.

use super::{Context, OAuthCheck};
use crate::errors;
pub use crate::http::RequestError;
use crate::http::{classify, look_again, read_capped, Attempt, SecondLook};
use crate::redirect::Target;
use crate::tls::{self, CertInfo, SeenSlot, Verify};
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};
use url::Host;

/// What the check sends as the body, as the web client does.
pub const BODY: &str = "{}";

/// One HTTP answer, whatever its status.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    /// Where a 3xx points (redirects are not followed), resolved and masked.
    pub location: Option<String>,
    pub body: Vec<u8>,
    /// The body was longer than [`crate::http::MAX_BODY`] and was cut there.
    pub truncated: bool,
    /// When the answer arrived: `expiresAt` is compared with this.
    pub received_at: SystemTime,
    /// The server's certificate, on https.
    pub certificate: Option<CertInfo>,
}

/// Sends the request and reads the answer; every step is named on `ctx`, so
/// a deadline that passes says where the check was.
pub async fn post_start(check: &OAuthCheck, ctx: &Context) -> Result<Answer, RequestError> {
    let endpoint = check.endpoint();
    let (host, addrs) = crate::http::resolve(&check.url, 443, ctx).await?;
    // Bounded inside the check's deadline so that an unanswered TCP handshake
    // is reported by this check, as a network-path problem, rather than by
    // the engine as a bare timeout; what is left lets a second look name a
    // stalled TLS handshake.
    let connect_budget = ctx.connect_budget();
    let (client, seen) = build_client(check, &host, &addrs, connect_budget, ctx)?;
    let fail = |err: reqwest::Error| {
        let attempt =
            Attempt { endpoint: endpoint.clone(), host: &host, connect_budget, answer_budget: None, seen: Some(&seen) };
        classify(&err, attempt)
    };
    let tls_name = (check.url.scheme() == "https").then_some(host.as_str());

    ctx.step(format!("waiting for {endpoint} to answer POST {}", check.url.path()));
    let mut request = client
        .post(check.url.clone())
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .body(BODY);
    for (name, value) in tenant_headers(check) {
        request = request.header(name, value);
    }
    let mut response = match request.send().await {
        Ok(response) => response,
        Err(err) => {
            ctx.step(format!("looking again at where the connection to {endpoint} stops"));
            let look = SecondLook { addrs: &addrs, tls_name, budget: ctx.remaining().mul_f64(0.7) };
            return Err(look_again(fail(err), look).await);
        }
    };
    let received_at = SystemTime::now();
    let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    // A Location is masked (userinfo, credential-like query values) and
    // resolved against the start URL as soon as it is read: it is only shown.
    let location = header("location").map(|l| Target::new(&check.url, Some(&l)).shown);
    let content_type = header("content-type");
    let status = response.status().as_u16();

    ctx.step(format!("reading the answer of {endpoint} (HTTP {status})"));
    let (body, truncated) = read_capped(&mut response).await.map_err(fail)?;
    let certificate = seen.lock().unwrap_or_else(|e| e.into_inner()).certificate();
    Ok(Answer { status, content_type, location, body, truncated, received_at, certificate })
}

/// `X-User-Email` and `X-Tenant-Id`, those that are configured.
pub fn tenant_headers(check: &OAuthCheck) -> Vec<(&'static str, &str)> {
    let mut headers = Vec::new();
    if let Some(email) = &check.user_email {
        headers.push(("X-User-Email", email.as_str()));
    }
    if let Some(tenant) = &check.tenant_id {
        headers.push(("X-Tenant-Id", tenant.as_str()));
    }
    headers
}

fn build_client(
    check: &OAuthCheck,
    host: &str,
    addrs: &[SocketAddr],
    connect_budget: Duration,
    ctx: &Context,
) -> Result<(reqwest::Client, SeenSlot), RequestError> {
    let setup = |detail: String| RequestError::Setup { detail };
    let (config, seen) = tls::recording_client_config(verify(check)?).map_err(setup)?;
    let mut builder = reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .no_proxy()
        .connect_timeout(connect_budget)
        .connector_layer(crate::http::Watch::new(ctx, &check.url))
        // A start endpoint answers, it does not redirect: a 3xx (to a login
        // page, to https) is itself the finding, and following it would turn
        // the POST into a GET or carry the tenant headers to another host.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("kbz-check/", env!("CARGO_PKG_VERSION")));
    if matches!(check.url.host(), Some(Host::Domain(_))) {
        builder = builder.resolve_to_addrs(host, addrs);
    }
    let client = builder.build().map_err(|e| setup(errors::describe(&e)))?;
    Ok((client, seen))
}

/// Full verification (chain and name) against the system store plus `cacert`.
fn verify(check: &OAuthCheck) -> Result<Verify, RequestError> {
    if check.url.scheme() == "http" {
        // No TLS happens: redirects are not followed.
        return Ok(Verify::Off);
    }
    let mut roots = tls::system_roots();
    if let Some(ca) = &check.cacert {
        tls::add_pem(&mut roots.certs, ca)
            .map_err(|e| RequestError::Setup { detail: format!("{}: {e}", check.names.cacert) })?;
    }
    if roots.is_empty() {
        let detail = format!("no trusted CA: the system trust store is empty and {} is not set", check.names.cacert);
        return Err(RequestError::Setup { detail });
    }
    Ok(Verify::Full(roots))
}
