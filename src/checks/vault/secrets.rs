//! A secret read (`GET /v1/<path>`), reduced to what may be shown: whether it
//! is there, its KV version and its key names. Values are skipped while
//! parsing (serde's `IgnoredAny`), so they are never even copied into a
//! string of ours. Pure.

use super::client::Answer;
use super::token::{error_text, vault_errors};
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// Which KV engine answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kv {
    V1,
    V2 { version: Option<i64> },
}

/// Why a read found nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Absence {
    /// No secret at this path.
    Missing,
    /// A KV v2 mount read without `data/` in the path.
    NeedsDataPrefix,
    /// KV v2: the latest version was deleted (it can be undeleted).
    Deleted { version: Option<i64>, at: String },
    /// KV v2: the latest version was destroyed (gone for good).
    Destroyed { version: Option<i64> },
    /// No secrets engine is mounted at the path's first segment.
    NoMount,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretState {
    Present {
        kv: Kv,
        keys: Vec<String>,
    },
    Absent(Absence),
    /// 403: the token may not read this path.
    Forbidden,
    /// Any other answer, with Vault's `errors` if it gave some.
    Unexpected {
        code: u16,
        errors: String,
    },
}

pub fn read(answer: &Answer) -> SecretState {
    let reply: ReadReply =
        if answer.truncated { ReadReply::default() } else { serde_json::from_slice(&answer.body).unwrap_or_default() };
    match answer.status {
        200 => match reply.data {
            Some(data) => {
                let (kv, keys) = data.kv_and_keys();
                SecretState::Present { kv, keys }
            }
            None => SecretState::Unexpected { code: 200, errors: "the answer has no data".into() },
        },
        403 => SecretState::Forbidden,
        404 => SecretState::Absent(absence(&reply, &answer.body)),
        code => SecretState::Unexpected { code, errors: error_text(&answer.body) },
    }
}

fn absence(reply: &ReadReply, body: &[u8]) -> Absence {
    let warned = |needle: &str| reply.warnings.iter().any(|w| w.contains(needle));
    if warned("Invalid path for a versioned K/V") {
        return Absence::NeedsDataPrefix;
    }
    if vault_errors(body).contains("no handler for route") {
        return Absence::NoMount;
    }
    match reply.data.as_ref().and_then(|d| d.metadata.as_ref()) {
        Some(meta) if meta.destroyed == Some(true) => Absence::Destroyed { version: meta.version },
        Some(Metadata { deletion_time: Some(at), version, .. }) => {
            Absence::Deleted { version: *version, at: at.clone() }
        }
        _ => Absence::Missing,
    }
}

/// The top of a Vault answer; `data` through [`DataShape`], the rest unread.
#[derive(Default, serde::Deserialize)]
struct ReadReply {
    #[serde(default)]
    data: Option<DataShape>,
    #[serde(default, deserialize_with = "strings")]
    warnings: Vec<String>,
}

fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let value = Value::deserialize(d)?;
    Ok(value.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect())
}

/// `data` of a read: its key names, and for KV v2 the keys of `data.data`
/// and a few `metadata` fields. No value is kept.
#[derive(Default)]
struct DataShape {
    keys: Vec<String>,
    /// `data.data`: `Some(keys)` for an object, `Some(None)` for null (deleted).
    inner: Option<Option<Vec<String>>>,
    metadata: Option<Metadata>,
}

impl DataShape {
    /// KV v2 answers `{data: {data, metadata}}`; KV v1 `{data: {key: value}}`.
    fn kv_and_keys(self) -> (Kv, Vec<String>) {
        match (self.inner, self.metadata) {
            (Some(inner), Some(meta)) => (Kv::V2 { version: meta.version }, inner.unwrap_or_default()),
            _ => (Kv::V1, self.keys),
        }
    }
}

#[derive(Default)]
struct Metadata {
    version: Option<i64>,
    deletion_time: Option<String>,
    destroyed: Option<bool>,
}

impl<'de> Deserialize<'de> for DataShape {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ShapeVisitor)
    }
}

struct ShapeVisitor;

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = DataShape;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Vault data object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DataShape, A::Error> {
        let mut shape = DataShape::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "data" => shape.inner = Some(map.next_value::<KeysOnly>()?.0),
                "metadata" => shape.metadata = map.next_value::<MetadataOnly>()?.0,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            shape.keys.push(key);
        }
        Ok(shape)
    }

    fn visit_unit<E>(self) -> Result<DataShape, E> {
        Ok(DataShape::default())
    }
}

/// An object's key names, its values skipped; `None` for anything else.
struct KeysOnly(Option<Vec<String>>);

impl<'de> Deserialize<'de> for KeysOnly {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KeysVisitor)
    }
}

struct KeysVisitor;

impl<'de> Visitor<'de> for KeysVisitor {
    type Value = KeysOnly;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KeysOnly, A::Error> {
        let mut keys = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            map.next_value::<IgnoredAny>()?;
            keys.push(key);
        }
        Ok(KeysOnly(Some(keys)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KeysOnly, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(KeysOnly(None))
    }

    fn visit_unit<E>(self) -> Result<KeysOnly, E> {
        Ok(KeysOnly(None))
    }

    fn visit_bool<E>(self, _: bool) -> Result<KeysOnly, E> {
        Ok(KeysOnly(None))
    }

    fn visit_i64<E>(self, _: i64) -> Result<KeysOnly, E> {
        Ok(KeysOnly(None))
    }

    fn visit_u64<E>(self, _: u64) -> Result<KeysOnly, E> {
        Ok(KeysOnly(None))
    }

    fn visit_f64<E>(self, _: f64) -> Result<KeysOnly, E> {
        Ok(KeysOnly(None))
    }

    fn visit_str<E>(self, _: &str) -> Result<KeysOnly, E> {
        Ok(KeysOnly(None))
    }
}

/// KV v2's `metadata`: version, deletion time, destroyed; nothing else read.
struct MetadataOnly(Option<Metadata>);

impl<'de> Deserialize<'de> for MetadataOnly {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MetadataVisitor)
    }
}

struct MetadataVisitor;

impl<'de> Visitor<'de> for MetadataVisitor {
    type Value = MetadataOnly;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("KV v2 metadata")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MetadataOnly, A::Error> {
        let mut meta = Metadata::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "version" => meta.version = map.next_value::<Value>()?.as_i64(),
                "destroyed" => meta.destroyed = map.next_value::<Value>()?.as_bool(),
                "deletion_time" => {
                    meta.deletion_time =
                        map.next_value::<Value>()?.as_str().filter(|s| !s.is_empty()).map(str::to_string)
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(MetadataOnly(Some(meta)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<MetadataOnly, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(MetadataOnly(None))
    }

    fn visit_unit<E>(self) -> Result<MetadataOnly, E> {
        Ok(MetadataOnly(None))
    }

    fn visit_bool<E>(self, _: bool) -> Result<MetadataOnly, E> {
        Ok(MetadataOnly(None))
    }

    fn visit_i64<E>(self, _: i64) -> Result<MetadataOnly, E> {
        Ok(MetadataOnly(None))
    }

    fn visit_u64<E>(self, _: u64) -> Result<MetadataOnly, E> {
        Ok(MetadataOnly(None))
    }

    fn visit_f64<E>(self, _: f64) -> Result<MetadataOnly, E> {
        Ok(MetadataOnly(None))
    }

    fn visit_str<E>(self, _: &str) -> Result<MetadataOnly, E> {
        Ok(MetadataOnly(None))
    }
}

#[cfg(test)]
mod tests {
    use super::super::diagnose::fixtures::answer;
    use super::*;

    #[test]
    fn kv2_lists_inner_keys_and_version() {
        let body = r#"{"request_id":"x","data":{"data":{"password":"Sup3rS3cretVal","user":"pm"},
            "metadata":{"created_time":"2026-11-22T02:27:04Z","deletion_time":"","destroyed":false,"version":3}},"warnings":null}"#;
        let state = read(&answer(200, body));
        let expected =
            SecretState::Present { kv: Kv::V2 { version: Some(3) }, keys: vec!["password".into(), "user".into()] };
        assert_eq!(state, expected);
        assert!(!format!("{state:?}").contains("Sup3rS3cretVal"));
    }

    #[test]
    fn kv1_lists_top_keys() {
        let state = read(&answer(200, r#"{"lease_duration":2764800,"data":{"a":"b","nested":{"c":[1,2]}}}"#));
        assert_eq!(state, SecretState::Present { kv: Kv::V1, keys: vec!["a".into(), "nested".into()] });
    }

    #[test]
    fn absences_are_told_apart() {
        let wrong_path =
            r#"{"data":null,"warnings":["Invalid path for a versioned K/V secrets engine. See the API docs"]}"#;
        assert_eq!(read(&answer(404, wrong_path)), SecretState::Absent(Absence::NeedsDataPrefix));
        let deleted = r#"{"data":{"data":null,"metadata":{"deletion_time":"2026-11-22T02:27:08Z","destroyed":false,"version":1}}}"#;
        assert_eq!(
            read(&answer(404, deleted)),
            SecretState::Absent(Absence::Deleted { version: Some(1), at: "2026-11-22T02:27:08Z".into() })
        );
        let destroyed = r#"{"data":{"data":null,"metadata":{"deletion_time":"","destroyed":true,"version":2}}}"#;
        assert_eq!(read(&answer(404, destroyed)), SecretState::Absent(Absence::Destroyed { version: Some(2) }));
        let no_mount = r#"{"errors":["no handler for route \"nomount/foo\". route entry not found."]}"#;
        assert_eq!(read(&answer(404, no_mount)), SecretState::Absent(Absence::NoMount));
        assert_eq!(read(&answer(404, r#"{"errors":[]}"#)), SecretState::Absent(Absence::Missing));
        assert_eq!(read(&answer(403, r#"{"errors":["permission denied"]}"#)), SecretState::Forbidden);
    }

    #[test]
    fn odd_answers_never_panic_nor_leak() {
        for body in
            ["", "null", "[]", r#"{"data":"Sup3rS3cretVal"}"#, r#"{"data":[1,"Sup3rS3cretVal"]}"#, "{\"data\":{\"k\":"]
        {
            let state = read(&answer(200, body));
            assert!(!format!("{state:?}").contains("Sup3rS3cretVal"), "{body}: {state:?}");
        }
        assert_eq!(
            read(&answer(500, r#"{"errors":["internal error"]}"#)),
            SecretState::Unexpected { code: 500, errors: "internal error".into() }
        );
        let mut cut = answer(200, r#"{"data":{"a":"b"}}"#);
        cut.truncated = true;
        assert!(matches!(read(&cut), SecretState::Unexpected { code: 200, .. }));
    }
}

#[cfg(test)]
mod properties {
    use super::super::diagnose::diagnose;
    use super::super::diagnose::fixtures::{answer, any_answer, check, health_body, token_body, with_token};
    use super::super::{Observed, Probe};
    use super::*;
    use crate::test_strategies::{any_json, any_status, config, mixed_object, JsonKind};
    use proptest::collection::vec;
    use proptest::prelude::*;
    use serde_json::{json, Map};

    /// KV v2 metadata's fields that are read, and their JSON types.
    const METADATA_FIELDS: [(&str, JsonKind); 3] =
        [("version", JsonKind::Int), ("deletion_time", JsonKind::Text), ("destroyed", JsonKind::Bool)];

    /// A secret's key names. `data` and `metadata` are left out: a KV v1
    /// secret with both is shaped like a KV v2 answer, which the body alone
    /// cannot tell apart.
    fn key() -> impl Strategy<Value = String> {
        "[a-z_][a-z0-9_]{0,10}".prop_filter("not a KV v2 word", |k| k != "data" && k != "metadata")
    }

    /// A secret value, hidden in a value in one of the ways JSON allows.
    fn value_hiding(secret: &str, how: u8) -> Value {
        match how % 5 {
            0 => json!(secret),
            1 => json!(format!("user:{secret}@host")),
            2 => json!([1, secret, null]),
            3 => json!({ "nested": { "deeper": [secret] } }),
            _ => json!({ secret: true }),
        }
    }

    /// A KV secret's data: one value hides the secret, the others are any JSON.
    fn secret_data() -> impl Strategy<Value = (String, Map<String, Value>)> {
        ("s3cr3t-[A-Za-z0-9]{16}", key(), any::<u8>(), vec((key(), any_json()), 0..4)).prop_map(
            |(secret, secret_key, how, others)| {
                let mut data: Map<String, Value> = others.into_iter().collect();
                data.insert(secret_key, value_hiding(&secret, how));
                (secret, data)
            },
        )
    }

    /// A KV v1 read, or a KV v2 one of `version`.
    fn kv_body(data: &Map<String, Value>, v2_version: Option<i64>) -> String {
        match v2_version {
            None => json!({ "request_id": "r", "lease_duration": 2764800, "data": data, "warnings": null }),
            Some(version) => json!({ "request_id": "r", "data": { "data": data, "metadata": {
                "created_time": "2026-11-22T02:27:04Z", "custom_metadata": null, "deletion_time": "",
                "destroyed": false, "version": version } } }),
        }
        .to_string()
    }

    proptest! {
        #![proptest_config(config())]

        /// Any answer: a state of its status's class, never a panic.
        #[test]
        fn any_answer_is_read_without_a_panic(sent in any_answer()) {
            let (status, truncated) = (sent.status, sent.truncated);
            let state = read(&sent);
            let class_ok = match status {
                200 => matches!(state, SecretState::Present { .. } | SecretState::Unexpected { code: 200, .. }),
                403 => state == SecretState::Forbidden,
                404 => matches!(state, SecretState::Absent(_)),
                code => matches!(state, SecretState::Unexpected { code: c, .. } if c == code),
            };
            prop_assert!(class_ok, "{}: {:?}", status, state);
            if truncated {
                prop_assert!(!matches!(state, SecretState::Present { .. }), "a cut body read as a secret");
            }
        }

        /// A KV v1 or v2 read gives its engine, its version and its key
        /// names, in order.
        #[test]
        fn a_kv_read_gives_its_key_names(
            (_, data) in secret_data(),
            v2_version in proptest::option::of(1i64..1_000_000),
        ) {
            let state = read(&answer(200, &kv_body(&data, v2_version)));
            let kv = match v2_version {
                None => Kv::V1,
                Some(version) => Kv::V2 { version: Some(version) },
            };
            prop_assert_eq!(state, SecretState::Present { kv, keys: data.keys().cloned().collect() });
        }

        /// Whatever the status, a secret value appears nowhere: neither in
        /// what the parser returns nor in the check's outcome.
        #[test]
        fn a_secret_value_never_comes_out(
            (secret, data) in secret_data(),
            v2_version in proptest::option::of(1i64..1_000_000),
            status in any_status(),
        ) {
            let sent = answer(status, &kv_body(&data, v2_version));
            let state = read(&sent);
            prop_assert!(!format!("{state:?}").contains(&secret), "{:?}", state);

            let path = "secret/data/keybuzz/app".to_string();
            let mut vault = check("https://127.0.0.1:8200");
            vault.secrets = vec![path.clone()];
            let observed = Observed {
                secrets: vec![(path, Probe::Done(Ok(sent)))],
                ..with_token(&health_body(""), answer(200, &token_body(30 * 86400, true)))
            };
            let out = diagnose(&vault, &observed);
            prop_assert!(!format!("{out:?}").contains(&secret), "{:#?}", out);
        }

        /// `data` of another type than an object is no secret; `metadata` of
        /// another type gives no version; a deletion time or destroyed flag
        /// of another type is not read as one.
        #[test]
        fn fields_of_another_type_are_not_read(
            not_an_object in JsonKind::Object.other(),
            metadata in mixed_object(&METADATA_FIELDS),
            not_metadata in JsonKind::Object.other(),
            warnings in any_json(),
        ) {
            let body = json!({ "data": not_an_object }).to_string();
            prop_assert_eq!(
                read(&answer(200, &body)),
                SecretState::Unexpected { code: 200, errors: "the answer has no data".into() }
            );

            let version = metadata.get("version").and_then(Value::as_i64);
            let body = json!({ "data": { "data": { "k": 1 }, "metadata": metadata } }).to_string();
            prop_assert_eq!(
                read(&answer(200, &body)),
                SecretState::Present { kv: Kv::V2 { version }, keys: vec!["k".into()] }
            );
            let body = json!({ "data": { "data": { "k": 1 }, "metadata": not_metadata } }).to_string();
            let state = read(&answer(200, &body));
            prop_assert!(matches!(state, SecretState::Present { kv: Kv::V1, .. }), "{:?}", state);

            let body = json!({ "data": { "data": null, "metadata": metadata }, "warnings": warnings }).to_string();
            let expected = if metadata.get("destroyed") == Some(&Value::Bool(true)) {
                Absence::Destroyed { version }
            } else {
                match metadata.get("deletion_time").and_then(Value::as_str).filter(|at| !at.is_empty()) {
                    Some(at) => Absence::Deleted { version, at: at.to_string() },
                    None => Absence::Missing,
                }
            };
            prop_assert_eq!(read(&answer(404, &body)), SecretState::Absent(expected));
        }
    }
}
