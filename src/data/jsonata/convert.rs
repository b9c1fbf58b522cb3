//! Between serde_json values and the JSONata engine's values, without cloning the source.

use indexmap::IndexMap;
use jsonata_core::value::{JArray, JValue};
use serde_json::{Map, Number, Value};
use std::cell::RefCell;
use std::collections::HashMap;

/// A JSON value as the engine's value.
pub fn to_jvalue(v: &Value) -> JValue {
    match v {
        Value::Null => JValue::Null,
        Value::Bool(b) => JValue::Bool(*b),
        Value::Number(n) => JValue::Number(n.as_f64().unwrap_or(0.0)),
        Value::String(s) => JValue::String(s.as_str().into()),
        Value::Array(items) => {
            let flat = !items.iter().any(Value::is_array);
            JValue::Array(JArray::new_flat(
                items.iter().map(to_jvalue).collect(),
                flat,
            ))
        }
        Value::Object(m) => {
            let map: IndexMap<String, JValue> =
                m.iter().map(|(k, v)| (k.clone(), to_jvalue(v))).collect();
            JValue::object(map)
        }
    }
}

thread_local! {
    /// Conversions shared by the expressions of one template evaluation, by address.
    static SHARED: RefCell<Option<HashMap<usize, JValue>>> = const { RefCell::new(None) };
}

/// While alive, whole-value conversions of the same JSON value are made once and shared
/// (the engine's values are reference-counted, so sharing is a pointer copy). Several fields of
/// one `Output` reading `$states.result` then convert a large result once, not per field.
///
/// Values are keyed by address, which is sound only while every value converted stays alive
/// and unmoved: open a scope only around evaluations against one set of roots, which borrow
/// them for the scope's whole life.
pub struct SharedConversions {
    outermost: bool,
}

pub fn share_conversions() -> SharedConversions {
    SHARED.with(|s| {
        let mut s = s.borrow_mut();
        let outermost = s.is_none();
        if outermost {
            *s = Some(HashMap::new());
        }
        SharedConversions { outermost }
    })
}

impl Drop for SharedConversions {
    fn drop(&mut self) {
        if self.outermost {
            SHARED.with(|s| *s.borrow_mut() = None);
        }
    }
}

/// [`to_jvalue`], shared inside a [`share_conversions`] scope.
pub fn to_jvalue_shared(v: &Value) -> JValue {
    if !(v.is_array() || v.is_object()) {
        return to_jvalue(v);
    }
    SHARED.with(|s| match s.borrow_mut().as_mut() {
        Some(map) => map
            .entry(v as *const Value as usize)
            .or_insert_with(|| to_jvalue(v))
            .clone(),
        None => to_jvalue(v),
    })
}

/// The engine's value as JSON; `None` for *undefined*. Inside arrays and objects, undefined
/// members are dropped, and functions become `""` (as jsonata-js's `$string` renders them).
pub fn from_jvalue(v: &JValue) -> Option<Value> {
    Some(match v {
        JValue::Undefined => return None,
        JValue::Null => Value::Null,
        JValue::Bool(b) => Value::Bool(*b),
        JValue::Number(n) => number(*n),
        JValue::String(s) => Value::String(s.to_string()),
        JValue::Array(items) => Value::Array(items.iter().filter_map(from_jvalue).collect()),
        JValue::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m.iter() {
                if let Some(v) = from_jvalue(v) {
                    out.insert(k.clone(), v);
                }
            }
            Value::Object(out)
        }
        _ => Value::String(String::new()),
    })
}

/// Integral doubles within the exact range print as integers, as JavaScript prints them.
fn number(n: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if n.fract() == 0.0 && n.abs() <= EXACT {
        Value::Number(Number::from(n as i64))
    } else {
        Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_json_keeping_key_order_and_integers() {
        let v = json!({"z": 1, "a": [1.5, "s", null, true, {"k": []}], "m": -0.0});
        assert_eq!(
            from_jvalue(&to_jvalue(&v)),
            Some(json!({"z": 1, "a": [1.5, "s", null, true, {"k": []}], "m": 0}))
        );
        let keys: Vec<String> = from_jvalue(&to_jvalue(&v))
            .and_then(|v| v.as_object().map(|m| m.keys().cloned().collect()))
            .unwrap_or_default();
        assert_eq!(keys, ["z", "a", "m"]);
    }

    #[test]
    fn shared_conversions_live_only_inside_their_scope() {
        let v = json!({"items": [1, 2, 3]});
        let outer = share_conversions();
        {
            let inner = share_conversions();
            assert_eq!(from_jvalue(&to_jvalue_shared(&v)), Some(v.clone()));
            drop(inner);
            // The inner scope did not end the outer one.
            assert!(SHARED.with(|s| s.borrow().as_ref().is_some_and(|m| m.len() == 1)));
        }
        assert_eq!(from_jvalue(&to_jvalue_shared(&v)), Some(v.clone()));
        drop(outer);
        assert!(SHARED.with(|s| s.borrow().is_none()));
        assert_eq!(from_jvalue(&to_jvalue_shared(&v)), Some(v));
    }

    #[test]
    fn undefined_is_none() {
        assert_eq!(from_jvalue(&JValue::Undefined), None);
    }
}
