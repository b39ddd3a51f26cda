//! Redirects seen by the HTTP checks (vault, ses, oauth): never followed,
//! since each request may carry a credential (`X-Vault-Token`, a SigV4
//! `Authorization`) that must not reach another origin, and reported as
//! evidence instead: the status and where the `Location` points, masked.

use crate::human::one_line;
use crate::secret::mask;
use percent_encoding::percent_decode_str;
use url::Url;

/// Characters of a shown `Location`, at most.
const SHOWN_CHARS: usize = 300;

/// Query parameter names whose values are credentials whatever their length
/// (matched as a lower-case substring).
const SECRET_PARAMS: &[&str] =
    &["token", "secret", "pass", "pwd", "key", "sig", "credential", "auth", "code", "state", "session", "jwt"];

/// A value this long may be a credential under any name (a bearer token in
/// `?t=`); shorter ones (`standbyok=true`, `rd=/api`) are shown.
const LONG_VALUE: usize = 16;

/// A status that redirects (304 Not Modified does not).
pub fn is_redirect(status: u16) -> bool {
    (300..400).contains(&status) && status != 304
}

/// A redirect answer: its status and where it points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirected {
    pub status: u16,
    pub target: Target,
    pub movement: Move,
}

impl Redirected {
    /// `None` unless `status` redirects; `location` is the raw header value.
    pub fn read(asked: &Url, status: u16, location: Option<&str>) -> Option<Redirected> {
        if !is_redirect(status) {
            return None;
        }
        let target = Target::new(asked, location);
        let movement = target.movement(asked);
        Some(Redirected { status, target, movement })
    }

    /// `HTTP 307 redirect to https://… (another host)`, for evidence.
    pub fn describe(&self) -> String {
        format!("HTTP {} redirect to {} ({}; not followed)", self.status, self.target.shown, self.movement.label())
    }
}

impl Move {
    pub fn label(self) -> &'static str {
        match self {
            Move::SameOrigin => "same origin",
            Move::Downgrade => "a downgrade from https to plain http",
            Move::OtherPort => "same host, another scheme or port",
            Move::OtherHost => "another host",
            Move::Unknown => "no usable Location",
        }
    }
}

/// Where a redirect points, relative to the URL that was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The `Location`, masked, for evidence and messages.
    pub shown: String,
    /// Resolved against the request's URL; `None` when it does not parse.
    pub url: Option<Url>,
}

/// Where a redirect goes, compared with the request's origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    /// Same scheme, host and port: only the path or query changes.
    SameOrigin,
    /// https to http: a credential would cross the network in clear.
    Downgrade,
    /// Same host, another scheme or port.
    OtherPort,
    /// Another host.
    OtherHost,
    /// No `Location`, or one that is not a URL.
    Unknown,
}

impl Target {
    /// The `Location` header's value (`None`: absent), resolved against `asked`.
    pub fn new(asked: &Url, location: Option<&str>) -> Target {
        let Some(raw) = location.map(str::trim).filter(|l| !l.is_empty()) else {
            return Target { shown: "(no Location header)".into(), url: None };
        };
        match asked.join(raw) {
            Ok(url) => Target { shown: mask_url(&url), url: Some(url) },
            Err(_) => Target { shown: mask_text(raw), url: None },
        }
    }

    pub fn movement(&self, asked: &Url) -> Move {
        let Some(to) = &self.url else { return Move::Unknown };
        if to.origin() == asked.origin() {
            Move::SameOrigin
        } else if asked.scheme() == "https" && to.scheme() != "https" {
            Move::Downgrade
        } else if to.host() == asked.host() {
            Move::OtherPort
        } else {
            Move::OtherHost
        }
    }

    /// `scheme://host:port` of the target, for "points at" messages.
    pub fn origin(&self) -> Option<String> {
        self.url.as_ref().map(|u| u.origin().ascii_serialization())
    }
}

/// A URL with its userinfo, credential-like query values and fragment masked.
pub fn mask_url(url: &Url) -> String {
    let mut shown = url.clone();
    let userinfo = match (url.username(), url.password()) {
        ("", None) => None,
        (user, None) => Some(user.to_string()),
        (user, Some(password)) => Some(format!("{user}:{password}")),
    };
    let _ = shown.set_password(None);
    let _ = shown.set_username("");
    shown.set_query(None);
    shown.set_fragment(None);
    let mut text = shown.to_string();
    if let Some(query) = url.query() {
        // Pair by pair on the raw text, so that kept pairs read as sent.
        let pairs: Vec<String> = query.split('&').map(mask_pair).collect();
        text.push('?');
        text.push_str(&pairs.join("&"));
    }
    if url.fragment().is_some() {
        // Implicit OAuth flows put access tokens in the fragment.
        text.push_str("#***");
    }
    if let Some(userinfo) = userinfo {
        // `***#abcd@host`: the fingerprint compares, the value stays hidden.
        let at = text.find("://").map_or(0, |i| i + 3);
        text.insert_str(at, &format!("{}@", mask(&userinfo)));
    }
    cut(&one_line(&text))
}

/// `name=value` with the value masked when it may be a credential.
fn mask_pair(pair: &str) -> String {
    let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
    let decode = |text: &str| percent_decode_str(&text.replace('+', " ")).decode_utf8_lossy().into_owned();
    let (name_text, value_text) = (decode(name), decode(value));
    let lower = name_text.to_ascii_lowercase();
    let secret = SECRET_PARAMS.iter().any(|word| lower.contains(word)) || lower.starts_with("x-amz-");
    if secret || value_text.chars().count() >= LONG_VALUE {
        format!("{name}={}", mask(&value_text))
    } else {
        pair.to_string()
    }
}

/// A `Location` that is not a URL: shown without its query or fragment.
fn mask_text(raw: &str) -> String {
    let end = raw.find(['?', '#']).unwrap_or(raw.len());
    let hidden = if end < raw.len() { "?***" } else { "" };
    let before = &raw[..end];
    // Userinfo of a URL-like text: everything up to the last `@` before the path.
    let shown = match (before.find("://"), before.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}{}{}", &before[..scheme + 3], mask(&before[scheme + 3..at]), &before[at..])
        }
        _ => before.to_string(),
    };
    cut(&one_line(&format!("{shown}{hidden}")))
}

fn cut(text: &str) -> String {
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked() -> Url {
        Url::parse("https://vault.example.com:8200/v1/auth/token/lookup-self").unwrap()
    }

    #[test]
    fn only_redirect_statuses_redirect() {
        for status in [300, 301, 302, 303, 307, 308] {
            assert!(is_redirect(status), "{status}");
        }
        for status in [200, 299, 304, 400, 429] {
            assert!(!is_redirect(status), "{status}");
        }
    }

    #[test]
    fn movement_compares_scheme_host_and_port() {
        let moved = |location: &str| Target::new(&asked(), Some(location)).movement(&asked());
        assert_eq!(moved("/v1/other"), Move::SameOrigin);
        assert_eq!(moved("https://vault.example.com:8200/x"), Move::SameOrigin);
        assert_eq!(moved("http://vault.example.com:8200/x"), Move::Downgrade);
        assert_eq!(moved("http://other.example.com/x"), Move::Downgrade);
        assert_eq!(moved("https://vault.example.com:8300/x"), Move::OtherPort);
        assert_eq!(moved("https://vault.example.com/x"), Move::OtherPort);
        assert_eq!(moved("https://10.0.0.151:8200/x"), Move::OtherHost);
        assert_eq!(Target::new(&asked(), None).movement(&asked()), Move::Unknown);
        assert_eq!(Target::new(&asked(), None).shown, "(no Location header)");
    }

    #[test]
    fn credentials_in_a_location_are_masked() {
        let shown = |location: &str| Target::new(&asked(), Some(location)).shown;
        let url = shown("https://admin:hunter2-pass@evil.example.com/login?rd=/api&token=s.abcdef&X-Amz-Signature=f00d#access_token=zz");
        assert!(!url.contains("hunter2") && !url.contains("admin") && !url.contains("s.abcdef"), "{url}");
        assert!(!url.contains("f00d") && !url.contains("zz"), "{url}");
        assert!(url.starts_with("https://***#") && url.contains("@evil.example.com/login?rd=/api&token=***#"), "{url}");
        assert!(url.ends_with("#***"), "{url}");
        // A long value is masked whatever its name; Vault's own health query stays readable.
        let long = shown("/x?t=0123456789abcdefghij&standbyok=true");
        assert!(long.contains("t=***#") && long.ends_with("&standbyok=true"), "{long}");
        let user_only = shown("https://s.tokenasuser@evil.example.com/");
        assert!(!user_only.contains("tokenasuser"), "{user_only}");
    }

    #[test]
    fn a_location_that_is_not_a_url_is_shown_without_query_or_userinfo() {
        let shown = Target::new(&asked(), Some("http://u:p4ss@[bad/x?token=s.secret")).shown;
        assert!(!shown.contains("p4ss") && !shown.contains("s.secret"), "{shown}");
        assert!(shown.ends_with("?***"), "{shown}");
        let long = Target::new(&asked(), Some(&format!("http://[{}", "a\n".repeat(400)))).shown;
        assert!(long.chars().count() <= SHOWN_CHARS + 1 && !long.contains('\n'), "{long}");
    }
}
