//! Writing through a reference path (`ResultPath`): walk names and indexes from the root,
//! creating objects where names are missing, and put the value at the end.

use super::jsonpath::{Path, Step};
use super::roots::DataError;
use serde_json::{Map, Value};

/// Puts `value` into `doc` at `path` (a definite path rooted at `$`).
///
/// Missing names are created as objects; a name under a non-object, or an index outside an
/// array, is `States.ResultPathMatchFailure`.
pub fn write(doc: Value, path: &Path, value: Value) -> Result<Value, DataError> {
    let Some(steps) = path.steps() else {
        return Err(mismatch(path, &doc));
    };
    if path.is_empty() {
        return Ok(value);
    }
    let mut doc = doc;
    if put(&mut doc, steps, value) {
        Ok(doc)
    } else {
        Err(mismatch(path, &doc))
    }
}

/// Moves the array at `path` (a definite path rooted at `$`) out of `doc`, leaving an empty
/// array in its place, if it is the array whose elements start at `at` — the one a `select` of
/// the same path found. Otherwise `doc` is left as it was and the answer is `None`.
pub fn take_array(doc: &mut Value, path: &Path, at: *const Value) -> Option<Vec<Value>> {
    let mut cur = doc;
    for step in path.steps()? {
        cur = match (step, cur) {
            (Step::Name(n), Value::Object(m)) => m.get_mut(n)?,
            (Step::Index(i), Value::Array(a)) => {
                let ix = if i < 0 { a.len() as i64 + i } else { i };
                a.get_mut(usize::try_from(ix).ok()?)?
            }
            _ => return None,
        };
    }
    match cur {
        Value::Array(a) if std::ptr::eq(a.as_ptr(), at) => Some(std::mem::take(a)),
        _ => None,
    }
}

fn put<'s>(cur: &mut Value, mut steps: impl Iterator<Item = Step<'s>>, value: Value) -> bool {
    let Some(step) = steps.next() else {
        *cur = value;
        return true;
    };
    match (step, cur) {
        (Step::Name(n), Value::Object(m)) => {
            // A small object is searched in place: no key to allocate, nothing to hash.
            if m.len() <= 8
                && let Some((_, v)) = m.iter_mut().find(|(k, _)| k.as_str() == n)
            {
                return put(v, steps, value);
            }
            let next = m
                .entry(n.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            put(next, steps, value)
        }
        (Step::Index(i), Value::Array(a)) => {
            let len = a.len() as i64;
            let ix = if i < 0 { len + i } else { i };
            match a.get_mut(ix as usize) {
                Some(next) if ix >= 0 && ix < len => put(next, steps, value),
                _ => false,
            }
        }
        _ => false,
    }
}

fn mismatch(path: &Path, doc: &Value) -> DataError {
    DataError {
        error: "States.ResultPathMatchFailure",
        message: format!("Unable to apply ResultPath '{path}' to input '{doc}'"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn put(doc: Value, path: &str, v: Value) -> Result<Value, DataError> {
        write(doc, &Path::parse(path).unwrap(), v)
    }

    #[test]
    fn replaces_merges_and_creates() {
        assert_eq!(put(json!({"a": 1}), "$", json!(2)).unwrap(), json!(2));
        assert_eq!(
            put(json!({"a": 1}), "$.b", json!(2)).unwrap(),
            json!({"a": 1, "b": 2})
        );
        assert_eq!(
            put(json!({}), "$.x.y.z", json!(1)).unwrap(),
            json!({"x": {"y": {"z": 1}}})
        );
        assert_eq!(
            put(json!({"l": [0, 0]}), "$.l[1]", json!(5)).unwrap(),
            json!({"l": [0, 5]})
        );
    }

    #[test]
    fn fails_where_the_input_has_no_room() {
        let e = put(json!("text"), "$.a", json!(1)).unwrap_err();
        assert_eq!(e.error, "States.ResultPathMatchFailure");
        assert!(put(json!({"a": 1}), "$.a.b", json!(1)).is_err());
        assert!(put(json!({"l": []}), "$.l[0]", json!(1)).is_err());
    }
}
