//! The vault check: does Vault answer at the app's `VAULT_ADDR`, in which
//! state (active, standby, sealed, ...), does the app's token still work, and
//! are the secrets it needs there? Read-only: it only sends GET requests.

mod access;
mod client;
pub mod codes;
mod diagnose;
mod health;
mod leader;
mod moved;
mod raft;
mod reach;
mod secrets;
mod token;

use super::{Built, Check, CheckFuture, Context, Kind};
use crate::secret::{mask_dsn, Redactor, Secret};
use crate::settings::{ConfigError, Plan, RawSettings, Shown};
use client::{Answer, RequestError, VaultHttp};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

pub const KIND: Kind = Kind {
    name: "vault",
    settings: &["addr", "token", "cacert", "skip_verify", "secrets", "min_ttl"],
    variables: &[
        ("addr", "VAULT_ADDR"),
        ("token", "VAULT_TOKEN"),
        ("cacert", "VAULT_CACERT"),
        ("skip_verify", "VAULT_SKIP_VERIFY"),
    ],
    build,
    codes: codes::ALL,
};

const DEFAULT_MIN_TTL: Duration = Duration::from_secs(24 * 3600);

crate::settings::setting_names!(addr, token, cacert, skip_verify);

/// The validated settings of one vault check.
pub struct VaultCheck {
    /// `VAULT_ADDR` as configured, without a trailing slash.
    pub addr: Url,
    pub token: Option<Secret>,
    pub cacert: Option<PathBuf>,
    pub skip_verify: bool,
    /// Paths under `/v1/`, e.g. `secret/data/keybuzz/smtp`.
    pub secrets: Vec<String>,
    pub min_ttl: Duration,
    pub names: Names,
}

fn build(raw: &mut RawSettings, redactor: &mut Redactor) -> Result<Built, ConfigError> {
    let addr = raw.string("addr", Shown::Dsn)?;
    let token = raw.string("token", Shown::Secret)?;
    let cacert = raw.string("cacert", Shown::Plain)?.map(PathBuf::from);
    // Read as Vault's own client reads it (Go's strconv.ParseBool): a value
    // the app's client refuses must not pass here.
    let skip_verify = raw.go_boolean("skip_verify")?.unwrap_or(false);
    let secrets = raw.string_list("secrets")?;
    let min_ttl = raw.duration("min_ttl")?.unwrap_or_else(|| {
        raw.show_default("min_ttl", "24h");
        DEFAULT_MIN_TTL
    });
    let names = Names::of(raw);

    if let Some(token) = &token {
        redactor.add(&Secret::new(token.clone()));
    }
    let Some(addr_text) = addr else {
        return Ok(Built::not_configured(raw, "addr"));
    };
    let addr = parse_addr(&addr_text).map_err(|e| raw.error("addr", e))?;
    crate::http::hide_password(&addr, redactor);
    let token = token.map(|t| parse_token(&t)).transpose().map_err(|e| raw.error("token", e))?;
    raw.require_file("cacert", cacert.as_deref())?;
    let secrets = secrets
        .iter()
        .map(|path| normalize_secret_path(path).map_err(|e| raw.error("secrets", e)))
        .collect::<Result<Vec<_>, _>>()?;

    let target = mask_dsn(addr_text.trim().trim_end_matches('/'));
    let check = VaultCheck { addr, token, cacert, skip_verify, secrets, min_ttl, names };
    Ok(Built { target, plan: Plan::Run(Arc::new(check)) })
}

fn parse_addr(text: &str) -> Result<Url, String> {
    // A path prefix (Vault behind a reverse proxy) is kept; `/v1/...` goes after it.
    crate::http::parse_base_url(text, "write it as https://HOST:8200 (e.g. https://10.0.0.150:8200)")
}

/// Tokens read from files often end with a newline; anything else that is not
/// printable ASCII cannot go in an HTTP header.
fn parse_token(text: &str) -> Result<Secret, String> {
    let token = text.trim();
    if token.is_empty() || !token.chars().all(|c| c.is_ascii_graphic()) {
        return Err("not a Vault token: it holds spaces or control characters inside (the value is not shown)".into());
    }
    Ok(Secret::new(token))
}

/// `/v1/secret/data/x`, `secret/data/x/` → `secret/data/x`.
fn normalize_secret_path(path: &str) -> Result<String, String> {
    let trimmed = path.trim().trim_matches('/');
    let trimmed = trimmed.strip_prefix("v1/").unwrap_or(trimmed);
    if trimmed.is_empty() || !trimmed.contains('/') {
        return Err(format!(
            "`{path}` is not a secret path; write MOUNT/PATH, e.g. secret/data/myapp/smtp (KV v2) or secret/myapp/smtp (KV v1)"
        ));
    }
    if trimmed.split('/').any(|segment| segment.is_empty() || segment == "." || segment == "..")
        || trimmed.contains(['?', '#'])
    {
        return Err(format!("`{path}`: a secret path has no empty, `.` or `..` segment and no `?` or `#`"));
    }
    Ok(trimmed.to_string())
}

/// What the check saw, step by step; `diagnose::diagnose` turns it into an outcome.
pub struct Observed {
    pub health: Result<Answer, RequestError>,
    /// `/v1/sys/leader`, asked when a standby answered, to name the active node.
    pub leader: Probe,
    /// `/v1/sys/health` of the active node the standby names: on raft a
    /// standby keeps naming the last active node even after it is gone.
    pub active_health: Probe,
    pub token: Probe,
    pub secrets: Vec<(String, Probe)>,
    /// `/v1/sys/storage/raft/autopilot/state`, with the token once it was accepted.
    pub autopilot: Probe,
}

/// A request that was sent, or why it was not.
pub enum Probe {
    NotRun(String),
    Done(Result<Answer, RequestError>),
}

fn skipped(why: &str) -> Probe {
    Probe::NotRun(why.to_string())
}

impl Check for VaultCheck {
    fn run<'a>(&'a self, ctx: &'a Context) -> CheckFuture<'a> {
        Box::pin(async move {
            let observed = self.observe(ctx).await;
            diagnose::diagnose(self, &observed)
        })
    }

    fn uses_system_roots(&self) -> bool {
        self.addr.scheme() == "https" && !self.skip_verify
    }

    /// TCP, TLS for https, the health request, then the token's requests at once.
    fn round_trips(&self) -> u32 {
        3 + u32::from(self.addr.scheme() == "https")
    }
}

impl VaultCheck {
    async fn observe(&self, ctx: &Context) -> Observed {
        let http = match VaultHttp::connect(self, ctx).await {
            Ok(http) => http,
            Err(error) => return self.stopped(Err(error), skipped("no standby answered"), "Vault did not answer"),
        };
        // sys/leader (no token) beside the health request: a standby's answer
        // is needed next, and on an active node the second connection it
        // opened carries the token's questions at once, below.
        let (health, leader_seen) = tokio::join!(http.health(ctx), http.peek(&["sys", "leader"]));
        let Ok(answer) = &health else {
            return self.stopped(health, skipped("Vault did not answer"), "Vault did not answer");
        };
        if answer.redirect.is_some() {
            // Vault's health is never a redirect: the token stays here.
            return self.stopped(health, skipped("no standby answered"), "the health request was redirected");
        }
        let state = health::Health::read(answer);
        let leader = match (state.is_standby(), leader_seen) {
            (true, Ok(seen)) => Probe::Done(Ok(seen)),
            (true, Err(_)) => {
                ctx.step(format!("asking the standby at {} for the active node (GET /v1/sys/leader)", http.endpoint()));
                Probe::Done(http.get(&["sys", "leader"], false).await)
            }
            (false, _) => skipped("no standby answered"),
        };
        if let Some(why) = state.refuses_requests() {
            return self.stopped(health, leader, &why);
        }
        let named = leader::Leader::read(&leader);
        let active_health = match named.as_ref().and_then(|l| l.named()).and_then(|a| Url::parse(a).ok()) {
            Some(active) => {
                ctx.step(format!(
                    "asking the active node the standby names ({}) for its health",
                    mask_dsn(active.as_str())
                ));
                // A share of the time left: the standby's own checks come next.
                Probe::Done(http.health_of(&active, ctx.remaining().mul_f64(0.4)).await)
            }
            None => skipped("no active node named"),
        };
        let gone = named.is_some_and(|l| l.active == leader::Active::Nobody) || leader::active_is_gone(&active_health);
        if gone {
            // Every request would be forwarded to no one and fail the same way.
            let mut seen = self.stopped(health, leader, "the standby knows no active node to forward it to");
            seen.active_health = active_health;
            return seen;
        }
        let (token, secrets, autopilot) = self.ask_with_token(&http, ctx).await;
        Observed { health, leader, active_health, token, secrets, autopilot }
    }

    /// The token's lookup, the secrets and raft autopilot's state, all at
    /// once (Vault has answered as Vault by now); the secrets and the
    /// autopilot state are kept only when the lookup shows a token Vault
    /// accepted, as every read would otherwise fail the same way.
    async fn ask_with_token(&self, http: &VaultHttp, ctx: &Context) -> (Probe, Vec<(String, Probe)>, Probe) {
        if self.token.is_none() {
            let why = format!("{} is not set", self.names.token);
            let secrets = self.secrets.iter().map(|path| (path.clone(), skipped(&why))).collect();
            return (skipped(&why), secrets, skipped(&why));
        }
        ctx.step(format!(
            "looking up the token at {} (GET /v1/auth/token/lookup-self), with the secrets and raft autopilot's state",
            http.endpoint()
        ));
        let reads = self.secrets.iter().map(|path| async move {
            let segments: Vec<&str> = path.split('/').collect();
            (path.clone(), Probe::Done(http.get(&segments, true).await))
        });
        // Within a share of the time left: it adds to the diagnosis, never delays the rest.
        let autopilot = http.get_within(raft::PATH, true, ctx.remaining().mul_f64(0.8));
        let (token, read, autopilot) = tokio::join!(
            http.get(&["auth", "token", "lookup-self"], true),
            futures_util::future::join_all(reads),
            autopilot
        );
        let token = Probe::Done(token);
        let secrets = match secrets_unread(&token) {
            Some(why) => read.into_iter().map(|(path, _)| (path, Probe::NotRun(why.clone()))).collect(),
            None => read,
        };
        let autopilot = match autopilot_unread(&token) {
            Some(why) => Probe::NotRun(why),
            None => Probe::Done(autopilot),
        };
        (token, secrets, autopilot)
    }

    /// What was seen when the token and the secrets are not to be asked for.
    fn stopped(&self, health: Result<Answer, RequestError>, leader: Probe, why: &str) -> Observed {
        let secrets = self.secrets.iter().map(|path| (path.clone(), skipped(why))).collect();
        Observed {
            health,
            leader,
            active_health: skipped("no active node named"),
            token: skipped(why),
            secrets,
            autopilot: skipped(why),
        }
    }
}

/// Why the autopilot state is not read: unless the lookup shows a token
/// Vault accepted (a standby forwards the request to the active node, which
/// holds the state).
fn autopilot_unread(token: &Probe) -> Option<String> {
    match token {
        Probe::NotRun(why) => Some(why.clone()),
        Probe::Done(Ok(answer)) if answer.status == 200 && answer.redirect.is_none() => None,
        Probe::Done(Ok(answer)) if answer.redirect.is_some() => Some("the token lookup was redirected".into()),
        Probe::Done(Ok(answer)) => {
            Some(format!("the token lookup answered HTTP {}, not the token's details", answer.status))
        }
        Probe::Done(Err(_)) => Some("the token lookup got no answer".into()),
    }
}

/// Why the secrets are not read: the token missing or rejected (every read
/// would then fail the same way and say nothing new).
fn secrets_unread(token: &Probe) -> Option<String> {
    match token {
        Probe::NotRun(why) => Some(why.clone()),
        Probe::Done(Ok(answer)) if answer.status == 403 => Some("Vault rejected the token".to_string()),
        Probe::Done(Ok(answer)) if answer.redirect.is_some() => Some("the token lookup was redirected".to_string()),
        Probe::Done(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addr_keeps_scheme_host_port_and_prefix() {
        assert_eq!(parse_addr("https://10.0.0.150:8200/").unwrap().as_str(), "https://10.0.0.150:8200/");
        assert_eq!(parse_addr("http://vault:8200/proxy/").unwrap().path(), "/proxy");
        assert!(parse_addr("10.0.0.150:8200").unwrap_err().contains("https://HOST:8200"));
        assert!(parse_addr("ftp://vault").is_err());
        let err = parse_addr("https://u:hunter22@").unwrap_err();
        assert!(!err.contains("hunter22"), "{err}");
    }

    #[test]
    fn token_is_trimmed_and_never_echoed() {
        assert_eq!(parse_token("s.abc123\n").unwrap().expose(), "s.abc123");
        let err = parse_token("s.abc 123").unwrap_err();
        assert!(!err.contains("abc"), "{err}");
        assert!(parse_token("  ").is_err());
    }

    #[test]
    fn secret_paths_are_normalized_and_checked() {
        assert_eq!(normalize_secret_path("/v1/secret/data/keybuzz/smtp/").unwrap(), "secret/data/keybuzz/smtp");
        assert_eq!(normalize_secret_path("kv/app").unwrap(), "kv/app");
        assert!(normalize_secret_path("secret").is_err());
        assert!(normalize_secret_path("secret/../sys/raw").is_err());
        assert!(normalize_secret_path("secret//x").is_err());
        assert!(normalize_secret_path("secret/x?version=1").is_err());
    }
}
