//! Parsing JSON text into values that take no more memory than they need.
//!
//! serde_json (with `preserve_order`) builds each object as an index map grown insert by
//! insert, which leaves room for more members than it holds: a one-member object is first
//! given room for four (about 600 bytes), and a large input of many small objects (a Map's
//! items) then peaks at several times the size it settles at. [`from_str`] collects each
//! object's members first and builds the map at its exact size, and trims arrays, so the
//! parse never holds more than the value it returns; [`clone`] copies a value the same way.

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// Parses `text` like `serde_json::from_str::<Value>`, with the same errors, building every
/// object and array at its exact size.
pub fn from_str(text: &str) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let v = Exact.deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

/// A copy of `v` built at its exact size. (`Value::clone` gives each object room for as many
/// members as its hash table could hold: three for a one-member object.)
pub fn clone(v: &Value) -> Value {
    match v {
        Value::Array(a) => Value::Array(a.iter().map(clone).collect()),
        Value::Object(m) => {
            // Copied into room for exactly its members, with their stored hashes (nothing
            // is hashed again); members that are objects or arrays are then copied the same way.
            let mut copy = Map::with_capacity(m.len());
            copy.clone_from(m);
            for (slot, x) in copy.values_mut().zip(m.values()) {
                if matches!(x, Value::Object(_) | Value::Array(_)) {
                    *slot = clone(x);
                }
            }
            Value::Object(copy)
        }
        other => other.clone(),
    }
}

/// A JSON value, built at its exact size.
struct Exact;

impl<'de> DeserializeSeed<'de> for Exact {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Exact {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        // What serde_json's own `Value` does: a non-finite number cannot come from JSON text.
        Ok(Number::from_f64(n).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Exact.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(x) = seq.next_element_seed(Exact)? {
            items.push(x);
        }
        items.shrink_to_fit();
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut members: Vec<(String, Value)> = Vec::new();
        while let Some(k) = access.next_key::<String>()? {
            let v = access.next_value_seed(Exact)?;
            members.push((k, v));
        }
        // A repeated key keeps its first place and its last value, as serde_json's map does.
        let mut m = Map::with_capacity(members.len());
        for (k, v) in members {
            m.insert(k, v);
        }
        Ok(Value::Object(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TEXT: &str = r#"{"z": [1, {"b": 2, "a": [3]}], "a": {"c": null}, "n": -1.5e3,
        "u": 18446744073709551615, "s": "é\u00e9\n", "t": true, "e": {}, "l": []}"#;

    #[test]
    fn parses_what_serde_json_parses_in_the_same_order() {
        let ours = from_str(TEXT).expect("json");
        let theirs: Value = serde_json::from_str(TEXT).expect("json");
        assert_eq!(ours, theirs);
        assert_eq!(ours.to_string(), theirs.to_string());
        assert_eq!(ours["z"], json!([1, {"b": 2, "a": [3]}]));
    }

    #[test]
    fn a_repeated_key_keeps_its_first_place_and_last_value() {
        let text = r#"{"a": 1, "b": 2, "a": 3}"#;
        let ours = from_str(text).expect("json");
        let theirs: Value = serde_json::from_str(text).expect("json");
        assert_eq!(ours.to_string(), theirs.to_string());
        assert_eq!(ours.to_string(), r#"{"a":3,"b":2}"#);
    }

    #[test]
    fn errors_are_serde_json_errors_at_the_same_place() {
        for bad in ["{\"a\": }", "[1, 2", "{} x", "", "[1e999]", "{\"a\" 1}"] {
            let ours = from_str(bad).expect_err(bad);
            let theirs = serde_json::from_str::<Value>(bad).expect_err(bad);
            assert_eq!(ours.to_string(), theirs.to_string(), "{bad}");
        }
    }

    #[test]
    fn an_exact_copy_is_equal_in_value_and_order() {
        let v = from_str(TEXT).expect("json");
        assert_eq!(clone(&v).to_string(), v.to_string());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = "[".repeat(100_000);
        assert!(from_str(&deep).is_err());
    }
}
