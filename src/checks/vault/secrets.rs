//! A secret read (`GET /v1/<path>`), reduced to what may be shown: whether it
//! is there, its KV version and its key names. Values are skipped while
//! parsing (serde's `IgnoredAny`), so they are never even copied into a
//! string of ours. Pure.

use super::client::Answer;
use super::token::vault_errors;
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
        code => SecretState::Unexpected { code, errors: vault_errors(&answer.body) },
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
