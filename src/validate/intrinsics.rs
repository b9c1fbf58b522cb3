//! Intrinsic calls checked beyond their grammar: how many arguments each function takes and
//! the type of each literal argument (`States.MathAdd(1, '-1')` parses, but AWS refuses it).
//! Paths and nested calls are only known at run time and pass. A `States.Format` template
//! written in the call must have as many `{}` as the call gives values.

use crate::data::intrinsics::{Arg, Call, Func};
use serde_json::Value;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    Any,
    Str,
    Num,
    Bool,
}

impl Want {
    fn name(self) -> &'static str {
        match self {
            Want::Any => "a value",
            Want::Str => "a string",
            Want::Num => "a number",
            Want::Bool => "a boolean",
        }
    }

    fn accepts(self, v: &Value) -> bool {
        match self {
            Want::Any => true,
            Want::Str => v.is_string(),
            Want::Num => v.is_number(),
            Want::Bool => v.is_boolean(),
        }
    }
}

/// `(fewest, most, type of argument i)`; the last type repeats for variadic functions.
fn signature(f: Func) -> (usize, usize, &'static [Want]) {
    use Want::*;
    match f {
        Func::Format => (1, usize::MAX, &[Str, Any]),
        Func::StringToJson => (1, 1, &[Str]),
        Func::JsonToString => (1, 1, &[Any]),
        Func::JsonMerge => (3, 3, &[Any, Any, Bool]),
        Func::Array => (0, usize::MAX, &[Any]),
        Func::ArrayPartition => (2, 2, &[Any, Num]),
        Func::ArrayContains => (2, 2, &[Any, Any]),
        Func::ArrayRange => (3, 3, &[Num, Num, Num]),
        Func::ArrayGetItem => (2, 2, &[Any, Num]),
        Func::ArrayLength => (1, 1, &[Any]),
        Func::ArrayUnique => (1, 1, &[Any]),
        Func::Base64Encode => (1, 1, &[Str]),
        Func::Base64Decode => (1, 1, &[Str]),
        Func::Hash => (2, 2, &[Any, Str]),
        Func::MathRandom => (2, 3, &[Num, Num, Num]),
        Func::MathAdd => (2, 2, &[Num, Num]),
        Func::StringSplit => (2, 2, &[Str, Str]),
        Func::Uuid => (0, 0, &[]),
    }
}

/// The first problem of a call (nested calls included), as a message.
pub fn check(call: &Call) -> Option<String> {
    let (min, max, types) = signature(call.func);
    let n = call.args.len();
    let name = call.func.name();
    if n < min || n > max {
        let want = if min == max {
            format!("{min}")
        } else if max == usize::MAX {
            format!("at least {min}")
        } else {
            format!("{min} to {max}")
        };
        return Some(format!(
            "`{name}` takes {want} argument{}, but it is given {n}",
            if want == "1" { "" } else { "s" }
        ));
    }
    for (i, a) in call.args.iter().enumerate() {
        match a {
            Arg::Literal(v) => {
                let want = types.get(i).or(types.last()).copied().unwrap_or(Want::Any);
                if !want.accepts(v) {
                    return Some(format!(
                        "argument {} of `{name}` must be {}, but it is {v}",
                        i + 1,
                        want.name()
                    ));
                }
            }
            Arg::Call(c) => {
                if let Some(m) = check(c) {
                    return Some(m);
                }
            }
            Arg::Path(_) => {}
        }
    }
    // "There must be as many remaining arguments in the Invocation as there are occurrences of
    // `{}`" (the intrinsic functions of the developer guide): with the template written in
    // the call, a mismatch fails every run.
    if call.func == Func::Format
        && let Some(Arg::Literal(Value::String(template))) = call.args.first()
    {
        let want = crate::data::intrinsics::placeholders(template);
        let given = n - 1;
        if want != given {
            return Some(format!(
                "the template of `States.Format` has {want} `{{}}` placeholder{}, but {given} value{} {} given to fill {}",
                if want == 1 { "" } else { "s" },
                if given == 1 { "" } else { "s" },
                if given == 1 { "is" } else { "are" },
                if want == 1 { "it" } else { "them" },
            ));
        }
    }
    if call.func == Func::Hash
        && let Some(Arg::Literal(Value::String(alg))) = call.args.get(1)
        && !["MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"].contains(&alg.as_str())
    {
        return Some(format!(
            "`States.Hash` supports MD5, SHA-1, SHA-256, SHA-384 and SHA-512, but the algorithm is `{alg}`"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::data::intrinsics::parse_call;

    fn msg(s: &str) -> Option<String> {
        check(&parse_call(s).ok()?)
    }

    #[test]
    fn checks_arity_and_literal_types() {
        assert_eq!(msg("States.MathAdd($.a, 1)"), None);
        assert!(msg("States.MathAdd(1, '-1')").is_some_and(|m| m.contains("must be a number")));
        assert!(msg("States.UUID(1)").is_some_and(|m| m.contains("takes 0 arguments")));
        assert!(msg("States.Format('{}', States.MathAdd(1))").is_some());
        assert!(msg("States.Hash($.x, 'SHA-2')").is_some());
        assert_eq!(msg("States.Format('{} {}', $.a, 2)"), None);
    }

    #[test]
    fn format_templates_need_one_value_per_placeholder() {
        // Pins: a literal template with more or fewer `{}` than values passed validation and
        // failed every run (States.IntrinsicFailure).
        assert!(msg("States.Format('{} and {}', $.a)").is_some_and(|m| {
            m.contains("has 2 `{}` placeholders, but 1 value is given to fill them")
        }));
        assert!(
            msg("States.Format('no placeholder', $.a)")
                .is_some_and(|m| m.contains("has 0 `{}` placeholders, but 1 value"))
        );
        assert!(msg("States.Format('{}')").is_some_and(|m| m.contains("but 0 values are")));
        // Escaped braces are text; a template read from a path is only known at run time.
        let escaped = parse_call(r"States.Format('\{} is {}', $.a)").expect("parses");
        assert_eq!(check(&escaped), None);
        assert_eq!(msg("States.Format('{x} {}', $.a)"), None);
        assert_eq!(msg("States.Format($.template, $.a, $.b)"), None);
        assert_eq!(msg("States.Format('nothing')"), None);
    }
}
