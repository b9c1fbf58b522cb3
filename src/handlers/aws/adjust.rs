//! The differences between an optimized integration and the plain API call
//! (`optimized::Adjust`), as edits of JSON values by pointer: moving, wrapping, setting and
//! appending parameters, and reshaping results.

use super::optimized::Adjust;
use crate::engine::{Failure, TaskError};
use serde_json::{Map, Value};

/// Splits an RFC 6901 pointer into unescaped tokens.
fn tokens(p: &str) -> Vec<String> {
    p.split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Removes and returns the value at `p`.
pub fn take(v: &mut Value, p: &str) -> Option<Value> {
    let (parent, last) = p.rsplit_once('/')?;
    let last = last.replace("~1", "/").replace("~0", "~");
    match v.pointer_mut(parent)? {
        Value::Object(m) => m.remove(&last),
        Value::Array(a) => {
            let i: usize = last.parse().ok()?;
            (i < a.len()).then(|| a.remove(i))
        }
        _ => None,
    }
}

/// Sets the value at `p`, creating objects for missing parents.
pub fn put(v: &mut Value, p: &str, x: Value) {
    let toks = tokens(p);
    let Some((last, parents)) = toks.split_last() else {
        *v = x;
        return;
    };
    let mut cur = v;
    for t in parents {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let Value::Object(m) = cur else { return };
        cur = m
            .entry(t.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if !cur.is_object() {
        *cur = Value::Object(Map::new());
    }
    if let Value::Object(m) = cur {
        m.insert(last.clone(), x);
    }
}

/// Appends to the array at `p`, creating it (and its parents) when missing.
pub fn append(v: &mut Value, p: &str, x: Value) {
    if let Some(Value::Array(a)) = v.pointer_mut(p) {
        a.push(x);
        return;
    }
    put(v, p, Value::Array(vec![x]));
}

/// Turns every value at `p` (`*` for every array element) that is not a string into its
/// JSON text.
pub fn json_text(v: &mut Value, p: &str) {
    fn walk(v: &mut Value, toks: &[String]) {
        let Some((first, rest)) = toks.split_first() else {
            if !v.is_string() && !v.is_null() {
                *v = Value::String(v.to_string());
            }
            return;
        };
        match v {
            Value::Array(a) if first == "*" => a.iter_mut().for_each(|x| walk(x, rest)),
            Value::Array(a) => {
                if let Some(x) = first.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                    walk(x, rest);
                }
            }
            Value::Object(m) => {
                if let Some(x) = m.get_mut(first) {
                    walk(x, rest);
                }
            }
            _ => {}
        }
    }
    walk(v, &tokens(p));
}

/// One result difference, applied after the call (`params` as sent).
pub fn result(a: &Adjust, params: &Value, out: &mut Value) -> Result<(), TaskError> {
    match a {
        Adjust::RenameResult { from, to } => {
            if let Some(x) = take(out, from) {
                put(out, to, x);
            }
        }
        Adjust::UnwrapResult { from, to } => {
            if let Some(Value::Array(a)) = take(out, from)
                && let Some(first) = a.into_iter().next()
            {
                put(out, to, first);
            }
        }
        Adjust::CopyParameter { from, to } => {
            if let Some(x) = params.pointer(from) {
                put(out, to, x.clone());
            }
        }
        Adjust::ParseResult { at } => {
            if let Some(x) = out.pointer_mut(at)
                && let Some(text) = x.as_str()
            {
                use base64::Engine;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .unwrap_or_else(|_| text.as_bytes().to_vec());
                if let Ok(parsed) = serde_json::from_slice::<Value>(&bytes) {
                    *x = parsed;
                } else {
                    *x = Value::String(String::from_utf8_lossy(&bytes).into_owned());
                }
            }
        }
        Adjust::FailWhenPositive { count, error }
            if out.pointer(count).and_then(Value::as_i64).unwrap_or(0) > 0 =>
        {
            return Err(TaskError::Failed(Failure::new(*error, out.to_string())));
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn edits_values_by_pointer() {
        let mut v = json!({"A": {"B": 1}, "L": [{"D": {"x": 1}}, {"D": "s"}]});
        assert_eq!(take(&mut v, "/A/B"), Some(json!(1)));
        put(&mut v, "/X/Y", json!(2));
        append(&mut v, "/X/Z", json!(3));
        append(&mut v, "/X/Z", json!(4));
        json_text(&mut v, "/L/*/D");
        assert_eq!(
            v,
            json!({"A": {}, "L": [{"D": "{\"x\":1}"}, {"D": "s"}], "X": {"Y": 2, "Z": [3, 4]}})
        );
    }

    #[test]
    fn reshapes_results() {
        let params = json!({"JobName": "j"});
        let mut out = json!({"StepIds": ["s-1"], "FailedEntryCount": 0});
        result(
            &Adjust::UnwrapResult {
                from: "/StepIds",
                to: "/StepId",
            },
            &params,
            &mut out,
        )
        .unwrap();
        result(
            &Adjust::CopyParameter {
                from: "/JobName",
                to: "/JobName",
            },
            &params,
            &mut out,
        )
        .unwrap();
        assert_eq!(
            out,
            json!({"StepId": "s-1", "FailedEntryCount": 0, "JobName": "j"})
        );
        let fail = Adjust::FailWhenPositive {
            count: "/FailedEntryCount",
            error: "EventBridge.FailedEntry",
        };
        assert!(result(&fail, &params, &mut out).is_ok());
        let mut bad = json!({"FailedEntryCount": 1});
        match result(&fail, &params, &mut bad) {
            Err(TaskError::Failed(f)) => assert_eq!(f.error, "EventBridge.FailedEntry"),
            other => panic!("{other:?}"),
        }
    }
}
