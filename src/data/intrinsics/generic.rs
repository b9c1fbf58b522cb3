//! `States.Format` and `States.UUID`.

use super::{Args, IntrinsicEnv, IntrinsicError, arity, fail};
use serde_json::Value;

/// `States.Format(template, args...)`: each unescaped `{}` takes the next argument.
pub fn format(args: Args) -> Result<Value, IntrinsicError> {
    let Some((template, values)) = args.split_first() else {
        return fail("The function States.Format expects at least 1 argument(s), but received 0");
    };
    let Value::String(template) = template.as_ref() else {
        return fail("The first argument of States.Format must be a string");
    };
    let mut out = String::with_capacity(template.len() + 16 * values.len());
    let mut used = 0;
    let mut rest = template.as_str();
    // Copies the text between escapes and placeholders in runs.
    while let Some(at) = rest.find(['\\', '{']) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(escaped) = tail.strip_prefix('\\') {
            match escaped.chars().next() {
                Some(e) => {
                    out.push(e);
                    rest = &escaped[e.len_utf8()..];
                }
                None => {
                    out.push('\\');
                    rest = escaped;
                }
            }
        } else if let Some(after) = tail.strip_prefix("{}") {
            let Some(v) = values.get(used) else {
                return fail(format!(
                    "The number of arguments ({}) does not match the number of placeholders in the format string of States.Format",
                    values.len()
                ));
            };
            used += 1;
            java_text(v, &mut out);
            rest = after;
        } else {
            out.push('{');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    if used != values.len() {
        return fail(format!(
            "The number of arguments ({}) does not match the number of placeholders ({used}) in the format string of States.Format",
            values.len()
        ));
    }
    Ok(Value::String(out))
}

/// How many `{}` placeholders a `States.Format` template holds, read as [`format`] reads it
/// (`\\` escapes the next character, so `\\{}` is text).
pub fn placeholders(template: &str) -> usize {
    let mut count = 0;
    let mut rest = template;
    while let Some(at) = rest.find(['\\', '{']) {
        let tail = &rest[at..];
        if let Some(escaped) = tail.strip_prefix('\\') {
            rest = match escaped.chars().next() {
                Some(e) => &escaped[e.len_utf8()..],
                None => escaped,
            };
        } else if let Some(after) = tail.strip_prefix("{}") {
            count += 1;
            rest = after;
        } else {
            rest = &tail[1..];
        }
    }
    count
}

/// Appends `v` as AWS's Java runtime turns a JSON value into text: a string bare, an object
/// as `java.util.Map#toString` (`{a=1, b=[x, y]}`) and an array as `List#toString`
/// (`[x, y]`), members rendered the same way all the way down, keys in document order.
pub(crate) fn java_text(v: &Value, out: &mut String) {
    use std::fmt::Write;
    match v {
        Value::String(s) => out.push_str(s),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Null => out.push_str("null"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                java_text(item, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (i, (key, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(key);
                out.push('=');
                java_text(item, out);
            }
            out.push('}');
        }
    }
}

pub fn uuid(args: Args, env: &dyn IntrinsicEnv) -> Result<Value, IntrinsicError> {
    arity("States.UUID", &args, 0, 0)?;
    Ok(Value::String(env.uuid()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn format_replaces_placeholders_in_order() {
        let r = format(args![
            json!("a={} b={} c={} d={}"),
            json!("x"),
            json!(1.5),
            json!(true),
            json!(null),
        ]);
        assert_eq!(r.unwrap(), json!("a=x b=1.5 c=true d=null"));
    }

    #[test]
    fn format_keeps_escaped_braces() {
        let r = format(args![json!("\\{}{}\\}"), json!("v")]).unwrap();
        assert_eq!(r, json!("{}v}"));
    }

    #[test]
    fn format_rejects_a_count_mismatch() {
        assert!(format(args![json!("{} {}"), json!(1)]).is_err());
        assert!(format(args![json!("{}"), json!(1), json!(2)]).is_err());
        assert!(format(args![json!(1)]).is_err());
    }

    #[test]
    fn format_renders_objects_and_arrays_as_java_collections() {
        let r = format(args![
            json!("v={} w={} e={}"),
            json!({"Arg1": 1, "Arg2": [], "s": "x y", "n": null, "o": {"k": [true, 1.5]}}),
            json!(["a", {"b": "c"}, [null]]),
            json!({}),
        ]);
        assert_eq!(
            r.unwrap(),
            json!(
                "v={Arg1=1, Arg2=[], s=x y, n=null, o={k=[true, 1.5]}} w=[a, {b=c}, [null]] e={}"
            )
        );
    }
}
