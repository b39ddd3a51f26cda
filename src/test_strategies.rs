//! Strategies the parsers' property tests share: arbitrary bytes, arbitrary
//! JSON, JSON of another type than a field expects; and the contract every
//! check's diagnosis keeps whatever it is given. Test-only.

use crate::report::{Outcome, Status};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{Map, Value};

/// 64 cases, as every property test of the crate; no regression files
/// written into the source tree when one fails (the shrunk input is printed).
pub fn config() -> ProptestConfig {
    ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() }
}

/// Text of any characters: control characters (which `any::<String>()`
/// leaves out), quotes, non-ASCII.
pub fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,24}",
        any::<String>(),
        vec(any::<char>(), 0..24).prop_map(String::from_iter),
        vec(prop_oneof!["[ -~]{1,8}", "[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}]"], 0..6).prop_map(|parts| parts.concat()),
    ]
}

/// Any i64, the extremes and small numbers more often than chance gives them.
pub fn edge_i64() -> impl Strategy<Value = i64> {
    prop_oneof![
        3 => prop::sample::select(vec![i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX]),
        1 => any::<i64>(),
        1 => -100_000..100_000i64,
    ]
}

/// JSON scalars, numbers of every kind serde_json holds.
fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        edge_i64().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e18..1e18f64).prop_map(Value::from),
        any_text().prop_map(Value::String),
    ]
}

/// Any JSON value, nested a few levels (arrays and objects of anything).
pub fn any_json() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            vec((any_text(), inner), 0..4).prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// The JSON type a field of an answer should have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonKind {
    Bool,
    Text,
    /// A whole number that fits an i64.
    Int,
    /// Any number.
    Number,
    Object,
    /// An array, meant to hold strings.
    Strings,
}

impl JsonKind {
    pub fn matches(self, value: &Value) -> bool {
        match self {
            JsonKind::Bool => value.is_boolean(),
            JsonKind::Text => value.is_string(),
            JsonKind::Int => value.is_i64(),
            JsonKind::Number => value.is_number(),
            JsonKind::Object => value.is_object(),
            JsonKind::Strings => value.is_array(),
        }
    }

    /// A value of this type.
    pub fn sample(self) -> BoxedStrategy<Value> {
        match self {
            JsonKind::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
            JsonKind::Text => any_text().prop_map(Value::String).boxed(),
            JsonKind::Int => edge_i64().prop_map(Value::from).boxed(),
            JsonKind::Number => {
                prop_oneof![edge_i64().prop_map(Value::from), (-1e18..1e18f64).prop_map(Value::from)].boxed()
            }
            JsonKind::Object => any_json().prop_filter("an object", Value::is_object).boxed(),
            JsonKind::Strings => prop_oneof![
                3 => vec("[a-z][a-z0-9-]{0,8}", 0..4).prop_map(Value::from),
                1 => vec(any_json(), 0..4).prop_map(Value::Array),
            ]
            .boxed(),
        }
    }

    /// A value of another type: a number where a string is due, a string
    /// where a boolean is due, null, an array, an object.
    pub fn other(self) -> BoxedStrategy<Value> {
        any_json().prop_filter("a value of another type", move |value| !self.matches(value)).boxed()
    }

    /// Of this type or not, either way.
    pub fn right_or_wrong(self) -> BoxedStrategy<Value> {
        prop_oneof![self.sample(), self.other()].boxed()
    }
}

/// An HTTP body as a server may send it: random bytes (invalid UTF-8
/// included), any JSON, or JSON cut short.
pub fn any_body() -> impl Strategy<Value = Vec<u8>> {
    let json = || any_json().prop_map(|value| value.to_string().into_bytes());
    prop_oneof![
        vec(any::<u8>(), 0..400),
        json(),
        (json(), any::<prop::sample::Index>()).prop_map(|(mut bytes, cut)| {
            bytes.truncate(cut.index(bytes.len() + 1));
            bytes
        }),
    ]
}

/// Any HTTP status a server could send.
pub fn any_status() -> impl Strategy<Value = u16> {
    prop_oneof![100u16..600, prop::sample::select(vec![200u16, 299, 400, 403, 404, 429, 500, 503])]
}

/// An object with each of `fields` left out, of its type, or of another
/// type: the shape of a real answer, its fields now and then wrong.
pub fn mixed_object(fields: &[(&'static str, JsonKind)]) -> impl Strategy<Value = Map<String, Value>> {
    let fields: Vec<_> = fields
        .iter()
        .map(|&(name, kind)| {
            proptest::option::weighted(0.8, kind.right_or_wrong()).prop_map(move |value| (name, value))
        })
        .collect();
    fields.prop_map(|fields| {
        fields.into_iter().filter_map(|(name, value)| Some((name.to_string(), value?))).collect::<Map<_, _>>()
    })
}

/// What a diagnosis of `kind` keeps whatever it observed: its summary is one
/// printable line and its cause one printable line per problem (the JSON
/// report's contract; the terminal shows both as they are); every problem is
/// coded, in the kind's own codes, the main finding being the summary's.
pub fn keeps_the_outcome_contract(out: &Outcome, kind: &str) -> Result<(), TestCaseError> {
    prop_assert!(!out.summary.contains(char::is_control), "summary {:?}", out.summary);
    for line in out.causes.join("\n").lines() {
        prop_assert!(!line.contains(char::is_control), "cause line {:?}", line);
    }
    prop_assert_eq!(out.findings.is_empty(), out.status == Status::Ok, "{:#?}", out);
    if let Some(main) = out.findings.first() {
        prop_assert_eq!((main.status, main.summary.as_str()), (out.status, out.summary.as_str()));
    }
    prop_assert!(out.findings.iter().all(|f| f.code.is_in(kind)), "{:?}", out.findings);
    Ok(())
}
