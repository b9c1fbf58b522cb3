//! Copying JSON values at their exact size.
//!
//! serde_json's objects (with `preserve_order`) are index maps, and indexmap gives a clone room
//! for as many members as its hash table holds: three for a one-member object, which then
//! takes about twice the memory it needs. A copy that may be kept — a payload template's
//! selected value, a Map item handed to its iteration, and so one of a million results — is
//! made by [`clone`] instead. (The parse that builds values at their exact size in the first
//! place is `source::json::parse`.)

use serde_json::{Map, Value};

/// A copy of `v` built at its exact size.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exact_copy_is_equal_in_value_and_order() {
        let text = r#"{"z": [1, {"b": 2, "a": [3, {"y": {}}]}], "a": {"c": null}, "s": "é"}"#;
        let v: Value = serde_json::from_str(text).expect("json");
        let copy = clone(&v);
        assert_eq!(copy, v);
        assert_eq!(copy.to_string(), v.to_string());
    }
}
