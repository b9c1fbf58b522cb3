//! Giving a parsed JSON value back the memory its parse reserved.
//!
//! serde_json (with `preserve_order`) builds each object as an index map grown insert by
//! insert, which leaves room for more members than it holds: a one-member object takes
//! several hundred bytes. A large input of many small objects (a Map's items) then costs
//! several times its size. [`compact`] rebuilds every object at its exact size, moving the
//! members (nothing is copied), and trims arrays.

use serde_json::{Map, Value};

/// Rebuilds every object and array in `v` at its exact size.
pub fn compact(v: &mut Value) {
    match v {
        Value::Array(a) => {
            for x in a.iter_mut() {
                compact(x);
            }
            a.shrink_to_fit();
        }
        Value::Object(m) => {
            let old = std::mem::take(m);
            let mut new = Map::with_capacity(old.len());
            for (k, mut x) in old {
                compact(&mut x);
                new.insert(k, x);
            }
            *m = new;
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_the_value_and_its_member_order() {
        let mut v: Value =
            serde_json::from_str(r#"{"z": [1, {"b": 2, "a": [3]}], "a": {"c": null}}"#)
                .expect("json");
        let before = v.to_string();
        compact(&mut v);
        assert_eq!(v.to_string(), before);
        assert_eq!(v, json!({"z": [1, {"b": 2, "a": [3]}], "a": {"c": null}}));
    }
}
