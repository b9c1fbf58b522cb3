//! Step Functions' parameters to a model's input, and a model's output to Step Functions'
//! result (AWS developer guide, "supported-services-awssdk").
//!
//! Parameters are PascalCase even where the API is camelCase (`StateMachineArn` for
//! `stateMachineArn`), and `EqualsValue` stands for a member named `Equals`. EC2's
//! enumerated parameters take the model's member name (`Filters`), which is already the
//! plural. A parameter the operation does not have is refused, never dropped. Values are
//! coerced as Step Functions' JSON mapping does: a JSON object or array given for a string
//! is sent as its JSON text (`"Input": {"k": 1}` to `startExecution`), a blob takes the
//! UTF-8 bytes of a string or the JSON text of anything else (S3 `Body`), a timestamp takes
//! epoch seconds or ISO 8601 text, and numbers and booleans may be given as text.
//!
//! Results come back with every structure member's name capitalized (PascalCase), map keys
//! untouched.

use super::model::{Operation, Shape};
use serde_json::{Map, Value};

/// A parameter the operation cannot take: where (a JSON pointer into the parameters) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    pub pointer: String,
    pub message: String,
}

/// The member of `shape` a Step Functions parameter name stands for.
pub fn member_for<'a>(shape: &Shape<'a>, key: &str) -> Option<super::model::Member<'a>> {
    if let Some(m) = shape.member_named(key) {
        return Some(m);
    }
    if key == "EqualsValue"
        && let Some(m) = shape
            .member_named("Equals")
            .or_else(|| shape.member_named("equals"))
    {
        return Some(m);
    }
    shape.members().find(|m| pascal(m.name) == key)
}

/// `stateMachineArn` → `StateMachineArn`.
pub fn pascal(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// An operation's input from Step Functions' parameters (`{}` for one that takes none).
pub fn operation_input(op: &Operation, params: &Value) -> Result<Value, ParamError> {
    match op.input() {
        Some(shape) => to_input(&shape, params),
        None => Ok(Value::Object(Map::new())),
    }
}

/// An operation's answer in Step Functions' names.
pub fn operation_result(op: &Operation, output: Value) -> Value {
    match op.output() {
        Some(shape) => to_result(&shape, output),
        None => output,
    }
}

/// Step Functions' parameters as the model's input: member names and value types.
pub fn to_input(shape: &Shape, v: &Value) -> Result<Value, ParamError> {
    convert(shape, v, &mut String::new(), true)
}

fn fail(pointer: &str, message: String) -> ParamError {
    ParamError {
        pointer: pointer.to_string(),
        message,
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn convert(shape: &Shape, v: &Value, at: &mut String, top: bool) -> Result<Value, ParamError> {
    let kind = shape.kind();
    Ok(match kind {
        "structure" if shape.flag("document") => v.clone(),
        "structure" => {
            let Value::Object(m) = v else {
                return Err(fail(
                    at,
                    format!(
                        "expected an object (`{}`), found {}",
                        shape.name,
                        type_name(v)
                    ),
                ));
            };
            let mut out = Map::new();
            for (k, x) in m {
                let len = at.len();
                at.push('/');
                at.push_str(&k.replace('~', "~0").replace('/', "~1"));
                let Some(member) = member_for(shape, k) else {
                    let names: Vec<String> = shape.members().map(|m| pascal(m.name)).collect();
                    let names: Vec<&str> = names.iter().map(String::as_str).collect();
                    let what = if top { "parameter" } else { "field" };
                    return Err(fail(
                        at,
                        format!(
                            "`{k}` is not a {what} of `{}`{}",
                            shape.name,
                            crate::definition::diagnostic::did_you_mean_in(k, &names)
                        ),
                    ));
                };
                if !x.is_null() {
                    out.insert(
                        member.name.to_string(),
                        convert(&member.shape, x, at, false)?,
                    );
                }
                at.truncate(len);
            }
            Value::Object(out)
        }
        "list" => {
            let Value::Array(a) = v else {
                return Err(fail(
                    at,
                    format!("expected an array, found {}", type_name(v)),
                ));
            };
            let Some(el) = shape.element("member") else {
                return Ok(v.clone());
            };
            let mut out = Vec::with_capacity(a.len());
            for (i, x) in a.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("/{i}"));
                out.push(convert(&el.shape, x, at, false)?);
                at.truncate(len);
            }
            Value::Array(out)
        }
        "map" => {
            let Value::Object(m) = v else {
                return Err(fail(
                    at,
                    format!("expected an object, found {}", type_name(v)),
                ));
            };
            let Some(el) = shape.element("value") else {
                return Ok(v.clone());
            };
            let mut out = Map::new();
            for (k, x) in m {
                let len = at.len();
                at.push('/');
                at.push_str(&k.replace('~', "~0").replace('/', "~1"));
                out.insert(k.clone(), convert(&el.shape, x, at, false)?);
                at.truncate(len);
            }
            Value::Object(out)
        }
        "string" => match v {
            Value::String(_) => v.clone(),
            other => Value::String(other.to_string()),
        },
        "blob" => {
            use base64::Engine;
            let bytes = match v {
                Value::String(s) => s.as_bytes().to_vec(),
                other => other.to_string().into_bytes(),
            };
            Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
        }
        "boolean" => match v {
            Value::Bool(_) => v.clone(),
            Value::String(s) if s == "true" || s == "false" => Value::Bool(s == "true"),
            _ => {
                return Err(fail(
                    at,
                    format!("expected a boolean, found {}", type_name(v)),
                ));
            }
        },
        "integer" | "long" | "short" | "byte" => match v {
            Value::Number(n) if n.is_i64() || n.is_u64() => v.clone(),
            Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => {
                Value::from(n.as_f64().unwrap_or_default() as i64)
            }
            Value::String(s) if s.trim().parse::<i64>().is_ok() => {
                Value::from(s.trim().parse::<i64>().unwrap_or_default())
            }
            _ => {
                return Err(fail(
                    at,
                    format!("expected an integer, found {}", type_name(v)),
                ));
            }
        },
        "float" | "double" | "bigdecimal" | "biginteger" => match v {
            Value::Number(_) => v.clone(),
            Value::String(s) if s.trim().parse::<f64>().is_ok() => {
                Value::from(s.trim().parse::<f64>().unwrap_or_default())
            }
            _ => {
                return Err(fail(
                    at,
                    format!("expected a number, found {}", type_name(v)),
                ));
            }
        },
        "timestamp" => {
            let ms = super::protocol::read_time(v).ok_or_else(|| {
                fail(
                    at,
                    format!("expected a timestamp (epoch seconds or ISO 8601 text), found {v}"),
                )
            })?;
            if ms % 1000 == 0 {
                Value::from(ms / 1000)
            } else {
                Value::from(ms as f64 / 1000.0)
            }
        }
        _ => v.clone(),
    })
}

/// A model-shaped result in Step Functions' PascalCase.
pub fn to_result(shape: &Shape, v: Value) -> Value {
    match (shape.kind(), v) {
        ("structure", Value::Object(m)) if !shape.flag("document") => Value::Object(
            m.into_iter()
                .map(|(k, x)| match shape.member_named(&k) {
                    Some(member) => (pascal(&k), to_result(&member.shape, x)),
                    None => (pascal(&k), x),
                })
                .collect(),
        ),
        ("list", Value::Array(a)) => match shape.element("member") {
            Some(el) => Value::Array(a.into_iter().map(|x| to_result(&el.shape, x)).collect()),
            None => Value::Array(a),
        },
        ("map", Value::Object(m)) => match shape.element("value") {
            Some(el) => Value::Object(
                m.into_iter()
                    .map(|(k, x)| (k, to_result(&el.shape, x)))
                    .collect(),
            ),
            None => Value::Object(m),
        },
        (_, v) => v,
    }
}
