//! The array intrinsics: `States.ArrayPartition`, `ArrayContains`, `ArrayRange`,
//! `ArrayGetItem`, `ArrayLength`, `ArrayUnique` (`States.Array` needs no code).

use super::{Args, IntrinsicError, arity, as_integer, fail, type_name};
use serde_json::Value;

/// AWS's cap on the length of `States.ArrayRange`'s result.
const MAX_RANGE_ITEMS: i64 = 1000;

fn array_arg<'a>(name: &str, v: &'a Value) -> Result<&'a Vec<Value>, IntrinsicError> {
    v.as_array().ok_or_else(|| {
        IntrinsicError(format!(
            "The first argument of {name} must be an array, but was {}",
            type_name(v)
        ))
    })
}

fn int_arg(name: &str, which: &str, v: &Value) -> Result<i64, IntrinsicError> {
    as_integer(v).ok_or_else(|| {
        IntrinsicError(format!(
            "The {which} argument of {name} must be an integer, but was {}",
            if v.is_number() {
                v.to_string()
            } else {
                type_name(v).to_string()
            }
        ))
    })
}

pub fn partition(args: Args) -> Result<Value, IntrinsicError> {
    let name = "States.ArrayPartition";
    arity(name, &args, 2, 2)?;
    let items = array_arg(name, &args[0])?;
    let size = int_arg(name, "second", &args[1])?;
    if size <= 0 {
        return fail(format!(
            "The chunk size of {name} must be greater than 0, but was {size}"
        ));
    }
    Ok(Value::Array(
        items
            .chunks(size as usize)
            .map(|c| Value::Array(c.to_vec()))
            .collect(),
    ))
}

pub fn contains(args: Args) -> Result<Value, IntrinsicError> {
    let name = "States.ArrayContains";
    arity(name, &args, 2, 2)?;
    let items = array_arg(name, &args[0])?;
    Ok(Value::Bool(items.iter().any(|v| json_eq(v, &args[1]))))
}

pub fn range(args: Args) -> Result<Value, IntrinsicError> {
    let name = "States.ArrayRange";
    arity(name, &args, 3, 3)?;
    let start = int_arg(name, "first", &args[0])?;
    let end = int_arg(name, "second", &args[1])?;
    let step = int_arg(name, "third", &args[2])?;
    if step == 0 {
        return fail(format!("The step of {name} cannot be 0"));
    }
    let count = if (step > 0 && start > end) || (step < 0 && start < end) {
        0
    } else {
        (end - start) / step + 1
    };
    if count > MAX_RANGE_ITEMS {
        return fail(format!(
            "{name} would create {count} items, more than the limit of {MAX_RANGE_ITEMS}"
        ));
    }
    Ok(Value::Array(
        (0..count).map(|i| Value::from(start + i * step)).collect(),
    ))
}

pub fn get_item(args: Args) -> Result<Value, IntrinsicError> {
    let name = "States.ArrayGetItem";
    arity(name, &args, 2, 2)?;
    let items = array_arg(name, &args[0])?;
    let index = int_arg(name, "second", &args[1])?;
    if index < 0 || index as usize >= items.len() {
        return fail(format!(
            "The index {index} is out of bounds for an array of length {} in {name}",
            items.len()
        ));
    }
    Ok(items[index as usize].clone())
}

pub fn length(args: Args) -> Result<Value, IntrinsicError> {
    let name = "States.ArrayLength";
    arity(name, &args, 1, 1)?;
    Ok(Value::from(array_arg(name, &args[0])?.len()))
}

pub fn unique(args: Args) -> Result<Value, IntrinsicError> {
    let name = "States.ArrayUnique";
    arity(name, &args, 1, 1)?;
    let items = array_arg(name, &args[0])?;
    let mut out: Vec<Value> = Vec::with_capacity(items.len());
    for v in items {
        if !out.iter().any(|o| json_eq(o, v)) {
            out.push(v.clone());
        }
    }
    Ok(Value::Array(out))
}

/// JSON equality where `1` equals `1.0`.
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x == y || x.as_f64().zip(y.as_f64()).is_some_and(|(x, y)| x == y)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn partition_chunks_with_a_short_tail() {
        assert_eq!(
            partition(args![json!([0, 1, 2]), json!(2)]).unwrap(),
            json!([[0, 1], [2]])
        );
        assert_eq!(partition(args![json!([]), json!(3)]).unwrap(), json!([]));
        assert!(partition(args![json!([1]), json!(0)]).is_err());
        assert!(partition(args![json!({}), json!(1)]).is_err());
    }

    #[test]
    fn contains_compares_deeply() {
        assert_eq!(
            contains(args![json!([{"a": [1]}]), json!({"a": [1]})]).unwrap(),
            json!(true)
        );
        assert_eq!(
            contains(args![json!([[1, 2], 2]), json!(null)]).unwrap(),
            json!(false)
        );
    }

    #[test]
    fn range_is_inclusive_and_capped() {
        assert_eq!(
            range(args![json!(0), json!(10), json!(3)]).unwrap(),
            json!([0, 3, 6, 9])
        );
        assert_eq!(
            range(args![json!(5), json!(1), json!(-2)]).unwrap(),
            json!([5, 3, 1])
        );
        assert_eq!(
            range(args![json!(5), json!(1), json!(1)]).unwrap(),
            json!([])
        );
        assert!(range(args![json!(0), json!(1000), json!(1)]).is_err());
        assert!(range(args![json!(0), json!(999), json!(1)]).is_ok());
        assert!(range(args![json!(0), json!(1), json!(0)]).is_err());
        assert!(range(args![json!(0.5), json!(1), json!(1)]).is_err());
    }

    #[test]
    fn get_item_checks_bounds() {
        assert_eq!(
            get_item(args![json!([1, 2, 3]), json!(1)]).unwrap(),
            json!(2)
        );
        assert!(get_item(args![json!([1]), json!(1)]).is_err());
        assert!(get_item(args![json!([1]), json!(-1)]).is_err());
    }

    #[test]
    fn length_and_unique() {
        assert_eq!(length(args![json!([1, 2])]).unwrap(), json!(2));
        assert_eq!(
            unique(args![json!([1, 2, 1, "1", 2.0])]).unwrap(),
            json!([1, 2, "1"])
        );
    }
}
