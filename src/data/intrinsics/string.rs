//! `States.StringSplit`.

use super::{Args, IntrinsicError, arity, fail, type_name};
use serde_json::Value;

/// Splits on every character of the delimiter string and drops empty pieces, as Java's
/// `StringTokenizer` does (which is what AWS's results show).
pub fn split(args: Args) -> Result<Value, IntrinsicError> {
    let name = "States.StringSplit";
    arity(name, &args, 2, 2)?;
    let (Value::String(s), Value::String(delims)) = (&*args[0], &*args[1]) else {
        return fail(format!(
            "The arguments of {name} must be strings, but were {} and {}",
            type_name(&args[0]),
            type_name(&args[1])
        ));
    };
    let parts: Vec<Value> = s
        .split(|c: char| delims.contains(c))
        .filter(|p| !p.is_empty())
        .map(|p| Value::String(p.to_string()))
        .collect();
    Ok(Value::Array(parts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn splits_on_each_delimiter_and_drops_empties() {
        assert_eq!(
            split(args![json!("This.is+a,test=string"), json!(".+,=")]).unwrap(),
            json!(["This", "is", "a", "test", "string"])
        );
        assert_eq!(
            split(args![json!("a,,,b"), json!(",")]).unwrap(),
            json!(["a", "b"])
        );
        assert_eq!(split(args![json!(""), json!(",")]).unwrap(), json!([]));
    }
}
