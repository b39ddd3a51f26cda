//! The app's token as `/v1/auth/token/lookup-self` describes it. Only the
//! fields named here are kept, each text as one printable line; the answer
//! also carries the token itself (`id`), which is never read. Pure.

use crate::human::one_line;
use serde_json::Value;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenInfo {
    pub display_name: Option<String>,
    pub policies: Vec<String>,
    /// Seconds left; 0 with no `expire_time` means the token never expires.
    pub ttl: Option<i64>,
    pub renewable: Option<bool>,
    pub expire_time: Option<String>,
    pub token_type: Option<String>,
}

impl TokenInfo {
    /// `None` when the body is not a lookup answer (no `data` object).
    pub fn parse(body: &[u8]) -> Option<TokenInfo> {
        let value: Value = serde_json::from_slice(body).ok()?;
        let data = value.get("data")?.as_object()?;
        let text = |key: &str| data.get(key).and_then(Value::as_str).map(one_line).filter(|s| !s.is_empty());
        let mut policies: Vec<String> = Vec::new();
        for key in ["policies", "identity_policies"] {
            let names = data.get(key).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str);
            for name in names.map(one_line) {
                if !policies.contains(&name) {
                    policies.push(name);
                }
            }
        }
        Some(TokenInfo {
            display_name: text("display_name"),
            policies,
            ttl: data.get("ttl").and_then(Value::as_i64),
            renewable: data.get("renewable").and_then(Value::as_bool),
            expire_time: text("expire_time"),
            token_type: text("type"),
        })
    }

    /// Root tokens and tokens created without a TTL.
    pub fn never_expires(&self) -> bool {
        self.ttl == Some(0) && self.expire_time.is_none()
    }
}

/// The `errors` array of a Vault error answer, joined; empty if there is none.
pub fn vault_errors(body: &[u8]) -> String {
    let Ok(value) = serde_json::from_slice::<Value>(body) else { return String::new() };
    let errors = value.get("errors").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str);
    // Vault wraps errors as "1 error occurred:\n\t* permission denied\n\n".
    errors.map(one_line).collect::<Vec<_>>().join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fields_and_ignores_the_token_itself() {
        let body = br#"{"data":{"id":"s.TheTokenItself","accessor":"acc","display_name":"token","policies":["default","kb-app"],
            "identity_policies":["kb-app","team"],"ttl":3599,"renewable":true,"expire_time":"2026-11-22T03:27:04Z","type":"service"}}"#;
        let info = TokenInfo::parse(body).unwrap();
        assert_eq!(info.policies, ["default", "kb-app", "team"]);
        assert_eq!((info.ttl, info.renewable), (Some(3599), Some(true)));
        assert_eq!(info.expire_time.as_deref(), Some("2026-11-22T03:27:04Z"));
        assert!(!info.never_expires());
        assert!(!format!("{info:?}").contains("TheTokenItself"));
    }

    #[test]
    fn root_token_never_expires() {
        let info = TokenInfo::parse(br#"{"data":{"policies":["root"],"ttl":0,"expire_time":null}}"#).unwrap();
        assert!(info.never_expires());
    }

    #[test]
    fn odd_bodies_never_panic() {
        assert_eq!(TokenInfo::parse(b"not json"), None);
        assert_eq!(TokenInfo::parse(br#"{"data":null}"#), None);
        let odd = TokenInfo::parse(br#"{"data":{"policies":"root","ttl":"long","renewable":"yes"}}"#).unwrap();
        assert_eq!(odd, TokenInfo::default());
        let control = TokenInfo::parse(br#"{"data":{"policies":["kb-app\nroot"],"expire_time":"\u001b[2J"}}"#).unwrap();
        assert_eq!((control.policies, control.expire_time.as_deref()), (vec!["kb-app root".to_string()], Some("[2J")));
    }

    #[test]
    fn vault_errors_are_flattened() {
        assert_eq!(
            vault_errors(br#"{"errors":["1 error occurred:\n\t* permission denied\n\n"]}"#),
            "1 error occurred: * permission denied"
        );
        assert_eq!(vault_errors(br#"{"errors":[]}"#), "");
        assert_eq!(vault_errors(br#"{"errors":["\u001b[31mdenied","x\u0000y"]}"#), "[31mdenied; x y");
        assert_eq!(vault_errors(b"<html>"), "");
    }
}
