//! The oauth check: does the backend's Amazon SP-API OAuth start endpoint
//! answer, as the web client calls it (PH15 section 2), with a consent URL a
//! seller can really follow: on Seller Central, for the configured app, with
//! the state it returned, an https callback and an expiry still ahead? An
//! error answer is mapped to its cause (`client_id not configured`, `fetch
//! failed`, a proxy's error page). One POST with `{}`; nothing else is sent,
//! and the SP-API client id and secret are never read.

mod client;
pub mod codes;
mod diagnose;
mod failure;
mod reach;
mod text;
mod validate;

use super::{Built, Check, CheckFuture, Context, Kind};
use crate::secret::{mask_dsn, Redactor};
use crate::settings::{ConfigError, Plan, RawSettings, Shown};
use std::path::PathBuf;
use std::sync::Arc;
use url::Url;

pub const KIND: Kind = Kind {
    name: "oauth",
    settings: &["url", "user_email", "tenant_id", "app_id", "redirect_uri", "cacert"],
    variables: &[
        ("url", "KBZ_OAUTH_START_URL"),
        ("user_email", "KBZ_OAUTH_USER_EMAIL"),
        ("tenant_id", "KBZ_OAUTH_TENANT_ID"),
        ("app_id", "AMAZON_SPAPI_APP_ID"),
        ("redirect_uri", "AMAZON_SPAPI_REDIRECT_URI"),
    ],
    build,
    codes: codes::ALL,
};

crate::settings::setting_names!(url, user_email, tenant_id, app_id, redirect_uri, cacert);

/// The validated settings of one oauth check.
pub struct OAuthCheck {
    /// The start endpoint, e.g. `https://backend-dev.example.com/api/v1/marketplaces/amazon/oauth/start`.
    pub url: Url,
    /// Sent as `X-User-Email`; not a secret, shown as is.
    pub user_email: Option<String>,
    /// Sent as `X-Tenant-Id`.
    pub tenant_id: Option<String>,
    /// Expected `application_id` of the consent URL.
    pub app_id: Option<String>,
    /// Expected `redirect_uri` of the consent URL.
    pub redirect_uri: Option<String>,
    /// CA certificates trusted in addition to the system store.
    pub cacert: Option<PathBuf>,
    pub names: Names,
}

impl OAuthCheck {
    /// `host:port`, as messages name the server.
    pub fn endpoint(&self) -> String {
        crate::http::endpoint(&self.url, 443)
    }

    /// The URL as shown: any password in it masked.
    pub fn shown_url(&self) -> String {
        mask_dsn(self.url.as_str())
    }
}

fn build(raw: &mut RawSettings, redactor: &mut Redactor) -> Result<Built, ConfigError> {
    let url = raw.string("url", Shown::Dsn)?;
    let user_email = raw.string("user_email", Shown::Plain)?;
    let tenant_id = raw.string("tenant_id", Shown::Plain)?;
    let app_id = raw.string("app_id", Shown::Plain)?;
    let redirect_uri = raw.string("redirect_uri", Shown::Plain)?;
    let cacert = raw.string("cacert", Shown::Plain)?.map(PathBuf::from);
    let names = Names::of(raw);

    let Some(url_text) = url else {
        return Ok(Built::not_configured(raw, "url"));
    };
    let url = parse_url(&url_text).map_err(|e| raw.error("url", e))?;
    crate::http::hide_password(&url, redactor);
    let user_email = user_email.map(|v| header_value(&v)).transpose().map_err(|e| raw.error("user_email", e))?;
    let tenant_id = tenant_id.map(|v| header_value(&v)).transpose().map_err(|e| raw.error("tenant_id", e))?;
    let app_id = app_id.map(|v| v.trim().to_string());
    let redirect_uri = redirect_uri.map(|v| v.trim().to_string());
    raw.require_file("cacert", cacert.as_deref())?;

    let check = OAuthCheck { url, user_email, tenant_id, app_id, redirect_uri, cacert, names };
    Ok(Built { target: check.shown_url(), plan: Plan::Run(Arc::new(check)) })
}

fn parse_url(text: &str) -> Result<Url, String> {
    // The whole route, query included: it is what the web client posts to.
    crate::http::parse_http_url(
        text,
        "write it as the backend's full route, e.g. https://backend-dev.example.com/api/v1/marketplaces/amazon/oauth/start",
    )
}

/// A value for `X-User-Email` / `X-Tenant-Id`. Non-ASCII bytes in a header
/// are read as Latin-1 by Node and most servers, so only printable ASCII is
/// sent; a trailing newline (from a file) is not part of the value.
fn header_value(text: &str) -> Result<String, String> {
    let value = text.trim();
    if value.is_empty() {
        return Err("holds only whitespace".to_string());
    }
    if !value.chars().all(|c| c == ' ' || c.is_ascii_graphic()) {
        return Err(format!("`{}` cannot be sent in an HTTP header: use printable ASCII only", value.escape_debug()));
    }
    Ok(value.to_string())
}

impl Check for OAuthCheck {
    fn run<'a>(&'a self, ctx: &'a Context) -> CheckFuture<'a> {
        Box::pin(async move {
            let answer = client::post_start(self, ctx).await;
            diagnose::diagnose(self, &answer)
        })
    }

    fn uses_system_roots(&self) -> bool {
        self.url.scheme() == "https"
    }

    /// TCP, TLS for https, and the start request.
    fn round_trips(&self) -> u32 {
        2 + u32::from(self.uses_system_roots())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_keeps_path_and_query_and_drops_the_fragment() {
        let url =
            parse_url(" https://backend-dev.example.com/api/v1/marketplaces/amazon/oauth/start?x=1#top\n").unwrap();
        assert_eq!(url.as_str(), "https://backend-dev.example.com/api/v1/marketplaces/amazon/oauth/start?x=1");
        assert!(parse_url("backend-dev.example.com/oauth/start").unwrap_err().contains("e.g. https://"));
        assert!(parse_url("ftp://backend/oauth/start").is_err());
        let err = parse_url("https://u:hunter22@").unwrap_err();
        assert!(!err.contains("hunter22"), "{err}");
    }

    #[test]
    fn header_values_are_trimmed_printable_ascii() {
        assert_eq!(header_value("seller@example.com\n").unwrap(), "seller@example.com");
        assert!(header_value("kbz-001\r\nX-Evil: 1").is_err());
        assert!(header_value("télé@example.com").is_err());
        assert!(header_value("  ").is_err());
    }
}
