//! The functions Step Functions adds to JSONata: `$partition`, `$range`, `$hash`, `$random`
//! (optionally seeded), `$uuid` and `$parse`; and `$eval`, which AWS does not offer.
//!
//! The array and hash functions share their rules with the matching intrinsics
//! (`States.ArrayPartition`, `States.ArrayRange`, `States.Hash`).

use super::convert::{from_jvalue, to_jvalue};
use crate::data::intrinsics::{self, IntrinsicEnv, IntrinsicError};
use jsonata_core::evaluator::{Evaluator, EvaluatorError};
use jsonata_core::value::JValue;
use rand::{Rng, SeedableRng};
use serde_json::Value;

type HostResult = Result<JValue, EvaluatorError>;

fn json_args(args: &[JValue]) -> intrinsics::Args<'static> {
    args.iter()
        .map(|a| std::borrow::Cow::Owned(from_jvalue(a).unwrap_or(Value::Null)))
        .collect()
}

fn failure(function: &str, e: IntrinsicError) -> EvaluatorError {
    EvaluatorError::EvaluationError(format!("${function}: {e}"))
}

fn via_intrinsic(
    function: &'static str,
    f: fn(intrinsics::Args<'static>) -> Result<Value, IntrinsicError>,
) -> impl Fn(&[JValue]) -> HostResult {
    move |args: &[JValue]| {
        f(json_args(args))
            .map(|v| to_jvalue(&v))
            .map_err(|e| failure(function, e))
    }
}

/// Registers, on a fresh evaluator, the AWS functions the expression mentions (`mentions`):
/// registering costs more than evaluating a typical field expression.
pub fn register(
    ev: &mut Evaluator,
    mentions: impl Fn(&str) -> bool,
    env: &dyn IntrinsicEnv,
) -> Result<(), EvaluatorError> {
    // A seeded execution draws `$uuid` and unseeded `$random` from a generator seeded by the
    // execution's own, so that they repeat from run to run.
    let seeded = if mentions("uuid") || mentions("random") {
        env.random_seed().map(|s| {
            std::rc::Rc::new(std::cell::RefCell::new(rand::rngs::StdRng::seed_from_u64(
                s,
            )))
        })
    } else {
        None
    };
    if mentions("partition") {
        ev.register_fn(
            "partition",
            via_intrinsic("partition", intrinsics::array::partition),
        )?;
    }
    if mentions("range") {
        // AWS's `$range` yields a JSONata sequence, not an array value: one number comes out
        // as the number itself (`$range(1, 1)` is `1`) and no numbers as nothing. `$partition`
        // keeps its array (`$partition([0], 2)` is `[[0]]` on AWS).
        let range = via_intrinsic("range", intrinsics::array::range);
        ev.register_fn("range", move |args: &[JValue]| -> HostResult {
            let mut v = range(args)?;
            v.mark_sequence();
            Ok(v)
        })?;
    }
    if mentions("hash") {
        ev.register_fn("hash", via_intrinsic("hash", intrinsics::encoding::hash))?;
    }
    if mentions("uuid") {
        let rng = seeded.clone();
        ev.register_fn("uuid", move |_: &[JValue]| -> HostResult {
            let id = match &rng {
                Some(rng) => {
                    let mut bytes = [0u8; 16];
                    rng.borrow_mut().fill(&mut bytes[..]);
                    uuid::Builder::from_random_bytes(bytes).into_uuid()
                }
                None => uuid::Uuid::new_v4(),
            };
            Ok(JValue::from(id.to_string()))
        })?;
    }
    if mentions("parse") {
        register_parse(ev)?;
    }
    if mentions("random") {
        register_random(ev, seeded)?;
    }
    if mentions("eval") {
        ev.register_fn_override("eval", |_: &[JValue]| -> HostResult {
            // What JSONata reports for a function that does not exist.
            Err(EvaluatorError::EvaluationError(
                "T1006: Attempted to invoke a non-function: $eval is not available in Step Functions; use $parse to read JSON text".into(),
            ))
        })?;
    }
    Ok(())
}

fn register_parse(ev: &mut Evaluator) -> Result<(), EvaluatorError> {
    ev.register_fn("parse", |args: &[JValue]| -> HostResult {
        let Some(JValue::String(text)) = args.first() else {
            return Err(EvaluatorError::TypeError(
                "T0410: $parse expects a string holding JSON".into(),
            ));
        };
        serde_json::from_str::<Value>(text)
            .map(|v| to_jvalue(&v))
            .map_err(|e| EvaluatorError::EvaluationError(format!("$parse: invalid JSON: {e}")))
    })
}

type SharedRng = std::rc::Rc<std::cell::RefCell<rand::rngs::StdRng>>;

fn register_random(ev: &mut Evaluator, seeded: Option<SharedRng>) -> Result<(), EvaluatorError> {
    ev.register_fn_override("random", move |args: &[JValue]| -> HostResult {
        let value: f64 = match args.first() {
            None | Some(JValue::Undefined) => match &seeded {
                Some(rng) => rng.borrow_mut().r#gen(),
                None => rand::thread_rng().r#gen(),
            },
            Some(JValue::Number(seed)) => rand::rngs::StdRng::seed_from_u64(seed.to_bits()).r#gen(),
            Some(_) => {
                return Err(EvaluatorError::TypeError(
                    "T0410: the seed of $random must be a number".into(),
                ));
            }
        };
        Ok(JValue::Number(value))
    })
}

#[cfg(test)]
mod tests {
    use crate::data::jsonata::Expression;
    use crate::data::roots::StaticRoots;
    use serde_json::{Value, json};

    fn eval(src: &str) -> Option<Value> {
        Expression::compile(src)
            .expect("compiles")
            .evaluate(&StaticRoots::default())
            .expect("evaluates")
    }

    #[test]
    fn partition_and_range_follow_the_array_intrinsics() {
        assert_eq!(
            eval("$partition([1,2,3,4,5], 2)"),
            Some(json!([[1, 2], [3, 4], [5]]))
        );
        assert_eq!(eval("$range(0, 10, 2)"), Some(json!([0, 2, 4, 6, 8, 10])));
        assert_eq!(eval("$range(5, 1, -2)"), Some(json!([5, 3, 1])));
    }

    #[test]
    fn range_yields_a_sequence_and_partition_an_array() {
        // One number is the number itself; none is undefined; inside a path it flows on.
        assert_eq!(eval("$range(1, 9, 9)"), Some(json!(1)));
        assert_eq!(eval("$range(1, 1, 1)"), Some(json!(1)));
        assert_eq!(eval("$range(5, 1, 1)"), None);
        assert_eq!(eval("{'a': $range(2, 2, 1)}"), Some(json!({"a": 2})));
        assert_eq!(eval("[$range(2, 2, 1)]"), Some(json!([2])));
        assert_eq!(eval("$range(1, 3, 1).($ * 2)"), Some(json!([2, 4, 6])));
        assert_eq!(eval("$partition([0], 2)"), Some(json!([[0]])));
        assert_eq!(eval("$parse('[1]')"), Some(json!([1])));
    }

    #[test]
    fn hash_names_the_algorithm() {
        assert_eq!(
            eval("$hash('abc', 'SHA-256')"),
            Some(json!(
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
            ))
        );
        assert_eq!(
            eval("$hash('abc', 'MD5')"),
            Some(json!("900150983cd24fb0d6963f7d28e17f72"))
        );
    }

    #[test]
    fn parse_reads_json_text() {
        assert_eq!(
            eval(r#"$parse('{"a": [1, true]}')"#),
            Some(json!({"a": [1, true]}))
        );
        let err = Expression::compile("$parse('{')")
            .expect("compiles")
            .evaluate(&StaticRoots::default())
            .expect_err("invalid JSON");
        assert_eq!(err.error, "States.QueryEvaluationError");
    }

    #[test]
    fn random_is_repeatable_with_a_seed() {
        let a = eval("$random(7)");
        assert_eq!(a, eval("$random(7)"));
        let n = a.and_then(|v| v.as_f64()).expect("a number");
        assert!((0.0..1.0).contains(&n));
        let m = eval("$random()")
            .and_then(|v| v.as_f64())
            .expect("a number");
        assert!((0.0..1.0).contains(&m));
    }

    #[test]
    fn uuid_is_a_v4_uuid() {
        let u = eval("$uuid()").expect("a value");
        let s = u.as_str().expect("a string");
        assert_eq!(s.len(), 36);
        assert_eq!(&s[14..15], "4");
    }

    #[test]
    fn eval_is_not_offered() {
        assert!(
            Expression::compile("$eval('1')")
                .expect("compiles")
                .evaluate(&StaticRoots::default())
                .is_err()
        );
    }
}
