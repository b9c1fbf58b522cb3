//! Intrinsic functions (`States.Format(...)` and the 17 others), compiled once at load.
//!
//! `parse.rs` turns the call text into a tree of [`Call`]s whose arguments are literals,
//! paths or nested calls; the families of functions live one per file and only see evaluated
//! argument values. A bad argument is an [`IntrinsicError`], which the engine reports as
//! `States.IntrinsicFailure` ("Intrinsic functions" in the AWS Step Functions developer guide).

/// Owned arguments for the unit tests: `args![json!(1), json!("a")]`.
#[cfg(test)]
macro_rules! args {
    ($($e:expr),* $(,)?) => { vec![$(std::borrow::Cow::Owned($e)),*] };
}

pub(crate) mod array;
pub(crate) mod encoding;
mod generic;
mod json;
mod math;
pub mod parse;
mod string;

pub use generic::placeholders;
pub use parse::{Arg, Call, Func, IntrinsicSyntaxError, looks_like_call, parse_call};

use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// Evaluated arguments: borrowed where they were read from the input, so a call such as
/// `States.ArrayLength($.items)` does not copy the array.
pub type Args<'a> = Vec<Cow<'a, Value>>;

/// Why an intrinsic call could not produce a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntrinsicError(pub String);

impl fmt::Display for IntrinsicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub(crate) fn fail<T>(msg: impl Into<String>) -> Result<T, IntrinsicError> {
    Err(IntrinsicError(msg.into()))
}

/// What an intrinsic needs from its surroundings besides its arguments.
pub trait IntrinsicEnv: Send + Sync {
    /// A random integer in `[start, end]`, from a seeded generator when `seed` is given.
    fn random_int(&self, start: i64, end: i64, seed: Option<i64>) -> i64;
    /// A fresh version 4 UUID.
    fn uuid(&self) -> String;
    /// A seed for a private generator (JSONata's `$uuid` and `$random`) when the execution's
    /// random draws are seeded, so that they repeat too; `None` when they are not.
    fn random_seed(&self) -> Option<u64> {
        None
    }
}

/// The environment used outside executions (`asl eval`): real randomness.
pub struct DefaultEnv;

impl IntrinsicEnv for DefaultEnv {
    fn random_int(&self, start: i64, end: i64, seed: Option<i64>) -> i64 {
        math::random_in(start, end, seed)
    }
    fn uuid(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }
}

/// Applies `func` to already evaluated arguments.
pub fn apply(func: Func, args: Args, env: &dyn IntrinsicEnv) -> Result<Value, IntrinsicError> {
    use Func::*;
    match func {
        Format => generic::format(args),
        StringToJson => json::string_to_json(args),
        JsonToString => json::json_to_string(args),
        JsonMerge => json::json_merge(args),
        Array => Ok(Value::Array(
            args.into_iter().map(Cow::into_owned).collect(),
        )),
        ArrayPartition => array::partition(args),
        ArrayContains => array::contains(args),
        ArrayRange => array::range(args),
        ArrayGetItem => array::get_item(args),
        ArrayLength => array::length(args),
        ArrayUnique => array::unique(args),
        Base64Encode => encoding::base64_encode(args),
        Base64Decode => encoding::base64_decode(args),
        Hash => encoding::hash(args),
        MathRandom => math::random(args, env),
        MathAdd => math::add(args),
        StringSplit => string::split(args),
        Uuid => generic::uuid(args, env),
    }
}

/// Checks the number of arguments: exactly `n`, or between `min` and `max`.
pub(crate) fn arity(
    name: &str,
    args: &[Cow<Value>],
    min: usize,
    max: usize,
) -> Result<(), IntrinsicError> {
    if args.len() < min || args.len() > max {
        let expected = if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        return fail(format!(
            "The function {name} expects {expected} argument(s), but received {}",
            args.len()
        ));
    }
    Ok(())
}

/// A JSON number that holds an integer, as AWS's Java runtime reads one: integral floats count.
pub(crate) fn as_integer(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18)
                .map(|f| f as i64)
        }),
        _ => None,
    }
}

pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
