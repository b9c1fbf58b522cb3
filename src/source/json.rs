//! JSON text to a `serde_json::Value`, noting on the way whether any object repeats a key.
//!
//! `serde_json` keeps the last of two equal keys without a word. Definitions must report
//! them, with their place, which takes a second walk over the text ([`super::duplicates`]);
//! this parse tells whether that walk can find anything, so a definition without repeated
//! keys (nearly all of them) is read once.
//!
//! It also builds every object and array at its exact size. serde_json's own parse grows
//! each object insert by insert, giving a one-member object room for four (~600 bytes), and
//! an execution input of a million small items (a Map's) would peak at twice what it settles
//! at; `asl run` parses its input here too.

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::cell::{Cell, RefCell};
use std::fmt;

/// The value of `text`, and whether some object in it repeats a key.
pub fn parse(text: &str) -> Result<(Value, bool), serde_json::Error> {
    let state = State {
        repeated: Cell::new(false),
        members: RefCell::new(Vec::new()),
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Seed(&state).deserialize(&mut de)?;
    de.end()?;
    Ok((value, state.repeated.get()))
}

struct State {
    repeated: Cell<bool>,
    /// The members of the objects being read, innermost last: an object's map is made once
    /// its size is known, so it never grows (and rehashes) on the way.
    members: RefCell<Vec<(String, Value)>>,
}

/// Builds a value as serde_json's own visitor does, setting the flag on a repeated key.
#[derive(Clone, Copy)]
struct Seed<'a>(&'a State);

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(self)? {
            out.push(v);
        }
        out.shrink_to_fit();
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let start = self.0.members.borrow().len();
        while let Some(k) = map.next_key::<String>()? {
            let v = map.next_value_seed(self)?;
            self.0.members.borrow_mut().push((k, v));
        }
        let mut members = self.0.members.borrow_mut();
        let mut out = Map::with_capacity(members.len() - start);
        for (k, v) in members.drain(start..) {
            if out.insert(k, v).is_some() {
                self.0.repeated.set(true);
            }
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_numbers_strings_and_member_order_as_serde_json_does() {
        let text = r#"{"z": [1, {"b": 2, "a": [3]}], "a": {"c": null}, "n": -1.5e3,
            "u": 18446744073709551615, "s": "é\u00e9\n", "t": true, "e": {}, "l": []}"#;
        let (ours, _) = parse(text).expect("json");
        let theirs: Value = serde_json::from_str(text).expect("json");
        assert_eq!(ours, theirs);
        assert_eq!(ours.to_string(), theirs.to_string());
    }

    #[test]
    fn a_repeated_key_keeps_its_first_place_and_last_value() {
        let text = r#"{"a": 1, "b": 2, "a": 3}"#;
        let (ours, _) = parse(text).expect("json");
        let theirs: Value = serde_json::from_str(text).expect("json");
        assert_eq!(ours.to_string(), theirs.to_string());
        assert_eq!(ours.to_string(), r#"{"a":3,"b":2}"#);
    }

    #[test]
    fn errors_are_serde_json_errors_at_the_same_place() {
        for bad in ["{\"a\": }", "[1, 2", "{} x", "", "[1e999]", "{\"a\" 1}"] {
            let ours = parse(bad).expect_err(bad);
            let theirs = serde_json::from_str::<Value>(bad).expect_err(bad);
            assert_eq!(ours.to_string(), theirs.to_string(), "{bad}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        assert!(parse(&"[".repeat(100_000)).is_err());
        assert!(parse(&"{\"a\":".repeat(100_000)).is_err());
    }

    #[test]
    fn parses_like_serde_json_and_flags_repeated_keys() {
        let text = r#"{"a": [1, -2, 3.5, "x", null, true], "b": {"c": {}}}"#;
        let (v, repeated) = parse(text).unwrap();
        assert_eq!(v, serde_json::from_str::<Value>(text).unwrap());
        assert!(!repeated);

        let (v, repeated) = parse(r#"{"a": {"b": 1, "b": 2}}"#).unwrap();
        assert_eq!(v, json!({"a": {"b": 2}}));
        assert!(repeated);
    }

    #[test]
    fn refuses_what_serde_json_refuses() {
        for bad in ["{", "[1,]", "{} {}", r#"{"a" 1}"#, "01"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(parse(&deep).is_err(), "nesting past serde_json's limit");
    }
}
