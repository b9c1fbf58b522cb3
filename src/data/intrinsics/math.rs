//! `States.MathRandom` and `States.MathAdd`.

use super::{Args, IntrinsicEnv, IntrinsicError, arity, as_integer, fail, type_name};
use rand::{Rng, SeedableRng};
use serde_json::Value;

/// Reads a number the way AWS's runtime does for integer arguments: floats are rounded half
/// up (Java's `Math.round`), so `1.5` is 2 and `-1.5` is -1.
fn rounded(name: &str, which: &str, v: &Value) -> Result<i64, IntrinsicError> {
    if let Some(i) = as_integer(v) {
        return Ok(i);
    }
    match v.as_f64() {
        Some(f) if f.is_finite() => Ok((f + 0.5).floor() as i64),
        _ => fail(format!(
            "The {which} argument of {name} must be a number, but was {}",
            type_name(v)
        )),
    }
}

pub fn add(args: Args) -> Result<Value, IntrinsicError> {
    let name = "States.MathAdd";
    arity(name, &args, 2, 2)?;
    let a = rounded(name, "first", &args[0])?;
    let b = rounded(name, "second", &args[1])?;
    a.checked_add(b)
        .map(Value::from)
        .ok_or_else(|| IntrinsicError(format!("{name} overflowed adding {a} and {b}")))
}

pub fn random(args: Args, env: &dyn IntrinsicEnv) -> Result<Value, IntrinsicError> {
    let name = "States.MathRandom";
    arity(name, &args, 2, 3)?;
    let start = rounded(name, "first", &args[0])?;
    let end = rounded(name, "second", &args[1])?;
    let seed = match args.get(2) {
        Some(v) => Some(rounded(name, "third", v)?),
        None => None,
    };
    if start > end {
        return fail(format!(
            "The start ({start}) of {name} must not be greater than its end ({end})"
        ));
    }
    Ok(Value::from(env.random_int(start, end, seed)))
}

/// A random integer in `[start, end]`, deterministic for a given seed.
pub fn random_in(start: i64, end: i64, seed: Option<i64>) -> i64 {
    match seed {
        Some(s) => rand::rngs::StdRng::seed_from_u64(s as u64).gen_range(start..=end),
        None => rand::thread_rng().gen_range(start..=end),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::intrinsics::DefaultEnv;
    use serde_json::json;

    #[test]
    fn add_rounds_half_up_like_java() {
        let add2 = |a: Value, b: Value| add(args![a, b]).unwrap();
        assert_eq!(add2(json!(-9), json!(3)), json!(-6));
        assert_eq!(add2(json!(1.49), json!(1.5)), json!(3));
        assert_eq!(add2(json!(-1.5), json!(-1.51)), json!(-3));
        assert_eq!(add2(json!(-0.5), json!(0.5)), json!(1));
        assert!(add(args![json!("1"), json!(1)]).is_err());
    }

    #[test]
    fn random_stays_in_range_and_is_seeded() {
        for _ in 0..100 {
            let v = random(args![json!(1), json!(3)], &DefaultEnv).unwrap();
            assert!((1..=3).contains(&v.as_i64().unwrap()));
        }
        let a = random(args![json!(0), json!(1000), json!(7)], &DefaultEnv).unwrap();
        let b = random(args![json!(0), json!(1000), json!(7)], &DefaultEnv).unwrap();
        assert_eq!(a, b);
        assert!(random(args![json!(3), json!(1)], &DefaultEnv).is_err());
    }
}
