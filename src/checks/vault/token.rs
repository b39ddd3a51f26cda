//! The app's token as `/v1/auth/token/lookup-self` describes it. Only the
//! fields named here are kept, each text as one printable line; the answer
//! also carries the token itself (`id`), which is never read. Pure.

use crate::human::{excerpt, one_line, text_field};
use serde_json::{Map, Value};

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
        let data = data(body)?;
        let text = |key: &str| text_field(data.get(key));
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

/// The `data` object Vault's answers wrap what they read in; `None` when the
/// body is not JSON or holds no such object.
pub fn data(body: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice::<Value>(body).ok()?.get_mut("data")? {
        Value::Object(data) => Some(std::mem::take(data)),
        _ => None,
    }
}

/// The `errors` array of a Vault error answer, joined; empty if there is none.
pub fn vault_errors(body: &[u8]) -> String {
    let Ok(value) = serde_json::from_slice::<Value>(body) else { return String::new() };
    let errors = value.get("errors").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str);
    // Vault wraps errors as "1 error occurred:\n\t* permission denied\n\n".
    errors.map(one_line).collect::<Vec<_>>().join("; ")
}

/// What an error answer says: Vault's `errors`; else an excerpt of a body
/// that is not JSON (a proxy's HTML page, a plain-text error), never an
/// empty `()`. Other JSON is not quoted: a lookup or read answer holds the
/// token or the secret's values.
pub fn error_text(body: &[u8]) -> String {
    let errors = vault_errors(body);
    if !errors.is_empty() {
        return errors;
    }
    if body.is_empty() {
        "with an empty body".to_string()
    } else if serde_json::from_slice::<Value>(body).is_ok() {
        "with JSON that holds no Vault errors (not shown)".to_string()
    } else {
        format!("with a body that is not Vault's JSON: {}", excerpt(body))
    }
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

    #[test]
    fn error_text_falls_back_to_an_excerpt() {
        assert_eq!(error_text(br#"{"errors":["permission denied"]}"#), "permission denied");
        assert_eq!(
            error_text(b"<html><body>\n500 Internal Server Error</body></html>"),
            "with a body that is not Vault's JSON: <html><body> 500 Internal Server Error</body></html>"
        );
        assert_eq!(error_text(b""), "with an empty body");
        assert_eq!(error_text(br#"{"data":{"id":"s.the-token"}}"#), "with JSON that holds no Vault errors (not shown)");
    }
}

#[cfg(test)]
pub(super) mod properties {
    use super::super::diagnose::diagnose;
    use super::super::diagnose::fixtures::{answer, check, health_body, with_token};
    use super::*;
    use crate::report::Status;
    use crate::test_strategies::{any_body, config, mixed_object, JsonKind};
    use proptest::collection::vec;
    use proptest::prelude::*;
    use serde_json::{json, Map};

    /// lookup-self's `data` fields that are read, and their JSON types.
    pub const FIELDS: [(&str, JsonKind); 7] = [
        ("display_name", JsonKind::Text),
        ("policies", JsonKind::Strings),
        ("identity_policies", JsonKind::Strings),
        ("ttl", JsonKind::Int),
        ("renewable", JsonKind::Bool),
        ("expire_time", JsonKind::Text),
        ("type", JsonKind::Text),
    ];

    fn policy() -> impl Strategy<Value = String> {
        "[a-z][a-z0-9_-]{0,11}"
    }

    /// The string elements of the arrays at `keys`, each once, in order.
    fn union_of_names(data: &Map<String, Value>, keys: &[&str]) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for name in
            keys.iter().filter_map(|k| data.get(*k)).filter_map(Value::as_array).flatten().filter_map(Value::as_str)
        {
            let name = one_line(name);
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names
    }

    proptest! {
        #![proptest_config(config())]

        /// Any body: a lookup or none, never a panic; Vault's errors always
        /// come out as one line.
        #[test]
        fn any_body_is_read_without_a_panic(body in any_body()) {
            let _ = TokenInfo::parse(&body);
            let errors = vault_errors(&body);
            prop_assert!(!errors.contains(['\n', '\r', '\t']), "{:?}", errors);
        }

        /// A lookup-self answer reads back field for field, the two policy
        /// lists merged without repeats; the token itself (`id`) and its
        /// accessor are never kept.
        #[test]
        fn a_lookup_reads_back_without_the_token(
            display_name in "token(-[a-z0-9]{1,12})?",
            policies in vec(policy(), 0..5),
            identity_policies in vec(policy(), 0..5),
            ttl in prop_oneof![Just(0i64), 1i64..100_000_000],
            renewable in any::<bool>(),
            expire_time in proptest::option::of("20[2-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z"),
            token_type in prop::sample::select(vec!["service", "batch"]),
            id in "hvs\\.[A-Za-z0-9]{24}",
            accessor in "[A-Za-z0-9]{24}",
        ) {
            let data = json!({
                "id": id, "accessor": accessor, "display_name": display_name, "policies": policies,
                "identity_policies": identity_policies, "ttl": ttl, "renewable": renewable,
                "expire_time": expire_time, "type": token_type,
            });
            let body = json!({ "request_id": "r", "data": data }).to_string();
            let info = TokenInfo::parse(body.as_bytes());
            prop_assert!(info.is_some(), "{}", body);
            let info = info.unwrap();
            let data = data.as_object().unwrap();
            prop_assert_eq!(&info.policies, &union_of_names(data, &["policies", "identity_policies"]));
            prop_assert_eq!(info.display_name.as_deref(), Some(display_name.as_str()));
            prop_assert_eq!((info.ttl, info.renewable), (Some(ttl), Some(renewable)));
            prop_assert_eq!(&info.expire_time, &expire_time);
            prop_assert_eq!(info.token_type.as_deref(), Some(token_type));
            prop_assert_eq!(info.never_expires(), ttl == 0 && expire_time.is_none());
            let shown = format!("{info:?}");
            prop_assert!(!shown.contains(&id) && !shown.contains(&accessor), "{}", shown);
        }

        /// A field of another type counts as absent (a policy that is not a
        /// string is skipped), a text is one printable line; a `data` that is not an object is no lookup,
        /// and the diagnosis says the answer is not the token's details.
        #[test]
        fn fields_of_another_type_count_as_absent(
            data in mixed_object(&FIELDS),
            not_an_object in JsonKind::Object.other(),
        ) {
            let body = json!({ "data": data }).to_string();
            let info = TokenInfo::parse(body.as_bytes()).unwrap();
            let text = |key: &str| data.get(key).and_then(Value::as_str).map(one_line).filter(|s| !s.is_empty());
            prop_assert_eq!(&info.policies, &union_of_names(&data, &["policies", "identity_policies"]));
            prop_assert_eq!(info.ttl, data.get("ttl").and_then(Value::as_i64));
            prop_assert_eq!(info.renewable, data.get("renewable").and_then(Value::as_bool));
            prop_assert_eq!(&info.display_name, &text("display_name"));
            prop_assert_eq!(&info.expire_time, &text("expire_time"));
            prop_assert_eq!(&info.token_type, &text("type"));

            let body = json!({ "data": not_an_object }).to_string();
            prop_assert_eq!(TokenInfo::parse(body.as_bytes()), None);
            let out = diagnose(&check("https://127.0.0.1:8200"), &with_token(&health_body(""), answer(200, &body)));
            prop_assert_eq!(out.status, Status::Warn);
            let cause = out.causes.join("\n");
            prop_assert!(cause.contains("instead of the token's details"), "{}", cause);
        }
    }
}
