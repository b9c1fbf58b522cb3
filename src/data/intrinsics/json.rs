//! `States.StringToJson`, `States.JsonToString` and `States.JsonMerge`.

use super::{Args, IntrinsicError, arity, fail, type_name};
use serde_json::Value;

pub fn string_to_json(args: Args) -> Result<Value, IntrinsicError> {
    arity("States.StringToJson", &args, 1, 1)?;
    let Value::String(s) = &*args[0] else {
        return fail(format!(
            "The argument of States.StringToJson must be a string, but was {}",
            type_name(&args[0])
        ));
    };
    if s.trim().is_empty() {
        return Ok(Value::Null);
    }
    let mut v: Value = serde_json::from_str(s).or_else(|e| {
        fail(format!(
            "The argument of States.StringToJson is not valid JSON: {e}"
        ))
    })?;
    normalize_negative_zero(&mut v);
    Ok(v)
}

/// Java's parser reads `-0` as the integer 0; serde_json keeps a float -0.0.
pub(crate) fn normalize_negative_zero(v: &mut Value) {
    match v {
        Value::Number(n)
            if n.as_f64() == Some(0.0)
                && n.is_f64()
                && n.as_f64().is_some_and(|f| f.is_sign_negative()) =>
        {
            *v = Value::from(0)
        }
        Value::Array(a) => a.iter_mut().for_each(normalize_negative_zero),
        Value::Object(m) => m.values_mut().for_each(normalize_negative_zero),
        _ => {}
    }
}

pub fn json_to_string(args: Args) -> Result<Value, IntrinsicError> {
    arity("States.JsonToString", &args, 1, 1)?;
    Ok(Value::String(args[0].to_string()))
}

/// Shallow merge: keys of the second object win. AWS supports only `deep = false`.
pub fn json_merge(args: Args) -> Result<Value, IntrinsicError> {
    arity("States.JsonMerge", &args, 3, 3)?;
    let mut it = args.into_iter().map(std::borrow::Cow::into_owned);
    let (a, b, deep) = match (it.next(), it.next(), it.next()) {
        (Some(a), Some(b), Some(d)) => (a, b, d),
        _ => return fail("The function States.JsonMerge expects 3 argument(s)"),
    };
    match deep {
        Value::Bool(false) => {}
        Value::Bool(true) => {
            return fail(
                "States.JsonMerge supports only shallow merges: its third argument must be false",
            );
        }
        other => {
            return fail(format!(
                "The third argument of States.JsonMerge must be a boolean, but was {}",
                type_name(&other)
            ));
        }
    }
    match (a, b) {
        (Value::Object(mut a), Value::Object(b)) => {
            for (k, v) in b {
                a.insert(k, v);
            }
            Ok(Value::Object(a))
        }
        (a, b) => fail(format!(
            "The first two arguments of States.JsonMerge must be objects, but were {} and {}",
            type_name(&a),
            type_name(&b)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn string_to_json_parses_and_treats_blank_as_null() {
        assert_eq!(
            string_to_json(args![json!("{\"a\":[1]}")]).unwrap(),
            json!({"a": [1]})
        );
        assert_eq!(string_to_json(args![json!(" ")]).unwrap(), json!(null));
        assert_eq!(string_to_json(args![json!("-0")]).unwrap(), json!(0));
        assert!(string_to_json(args![json!("{")]).is_err());
        assert!(string_to_json(args![json!(1)]).is_err());
    }

    #[test]
    fn json_to_string_is_compact() {
        assert_eq!(
            json_to_string(args![json!({"a": 1, "b": []})]).unwrap(),
            json!("{\"a\":1,\"b\":[]}")
        );
    }

    #[test]
    fn merge_is_shallow_and_second_wins() {
        let r = json_merge(args![
            json!({"a": 1, "n": {"x": 1}}),
            json!({"n": {"y": 2}}),
            json!(false),
        ]);
        assert_eq!(r.unwrap(), json!({"a": 1, "n": {"y": 2}}));
        assert!(json_merge(args![json!({}), json!({}), json!(true)]).is_err());
        assert!(json_merge(args![json!([]), json!({}), json!(false)]).is_err());
    }
}
