//! AWS JSON 1.0 / 1.1 (`POST /`, `X-Amz-Target`) and the JSON bodies of REST-JSON:
//! members by their wire name, timestamps as epoch seconds unless the member says otherwise,
//! blobs as base64.

use super::time::{self, Format};
use super::{BuildError, HttpRequest, HttpResponse};
use crate::handlers::aws::model::{Operation, Shape};
use serde_json::{Map, Value};

/// The request of a JSON-protocol operation.
pub fn build_rpc(op: &Operation, input: &Value) -> Result<HttpRequest, BuildError> {
    let service = op.service;
    let target = service.meta("targetPrefix").unwrap_or_default();
    let version = service.meta("jsonVersion").unwrap_or("1.0");
    let body = match op.input() {
        Some(shape) => serialize(&shape, input)?,
        None => Value::Object(Map::new()),
    };
    let mut headers = vec![
        (
            "content-type".to_string(),
            format!("application/x-amz-json-{version}"),
        ),
        ("x-amz-target".to_string(), format!("{target}.{}", op.name)),
    ];
    if service.has_meta("awsQueryCompatible") {
        headers.push(("x-amzn-query-mode".into(), "true".into()));
    }
    Ok(HttpRequest {
        method: "POST".into(),
        path: "/".into(),
        query: Vec::new(),
        headers,
        body: serde_json::to_vec(&body).unwrap_or_default(),
        host_prefix: None,
    })
}

/// A value of `shape` as the JSON protocols write it.
pub fn serialize(shape: &Shape, v: &Value) -> Result<Value, BuildError> {
    Ok(match (shape.kind(), v) {
        ("structure", Value::Object(m)) if !shape.flag("document") => {
            let mut out = Map::new();
            for (k, x) in m {
                let Some(member) = shape.member_named(k) else {
                    continue;
                };
                if member.location().is_some() {
                    continue;
                }
                let w = if member.shape.kind() == "timestamp" {
                    let f = Format::of(member.str("timestampFormat"), Format::Epoch);
                    time::write(x, f).ok_or_else(|| bad_time(k))?
                } else {
                    serialize(&member.shape, x)?
                };
                out.insert(member.wire_name().to_string(), w);
            }
            Value::Object(out)
        }
        ("list", Value::Array(a)) => match shape.element("member") {
            Some(m) => Value::Array(
                a.iter()
                    .map(|x| serialize(&m.shape, x))
                    .collect::<Result<_, _>>()?,
            ),
            None => v.clone(),
        },
        ("map", Value::Object(o)) => match shape.element("value") {
            Some(m) => Value::Object(
                o.iter()
                    .map(|(k, x)| Ok((k.clone(), serialize(&m.shape, x)?)))
                    .collect::<Result<_, BuildError>>()?,
            ),
            None => v.clone(),
        },
        ("timestamp", x) => time::write(x, Format::of(shape.str("timestampFormat"), Format::Epoch))
            .ok_or_else(|| bad_time(shape.name))?,
        _ => v.clone(),
    })
}

fn bad_time(name: &str) -> BuildError {
    BuildError(format!("`{name}` is not a timestamp"))
}

/// Reads a JSON body by `shape`.
pub fn parse_body(shape: &Shape, body: &[u8]) -> Result<Value, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| format!("the answer is not the JSON the model describes: {e}"))?;
    Ok(read(shape, &v))
}

/// A JSON value of `shape` in Step Functions' forms: members by model name, timestamps as
/// ISO 8601 text; anything the model does not describe is left out, as the SDKs do.
pub fn read(shape: &Shape, v: &Value) -> Value {
    match (shape.kind(), v) {
        ("structure", Value::Object(m)) if !shape.flag("document") => {
            let mut out = Map::new();
            for member in shape.members() {
                if member.location().is_some() {
                    continue;
                }
                if let Some(x) = m.get(member.wire_name()) {
                    if x.is_null() {
                        continue;
                    }
                    out.insert(member.name.to_string(), read(&member.shape, x));
                }
            }
            Value::Object(out)
        }
        ("list", Value::Array(a)) => match shape.element("member") {
            Some(m) => Value::Array(a.iter().map(|x| read(&m.shape, x)).collect()),
            None => v.clone(),
        },
        ("map", Value::Object(o)) => match shape.element("value") {
            Some(m) => Value::Object(
                o.iter()
                    .map(|(k, x)| (k.clone(), read(&m.shape, x)))
                    .collect(),
            ),
            None => v.clone(),
        },
        ("timestamp", x) => {
            time::read(x).map_or_else(|| x.clone(), |ms| Value::String(time::iso(ms)))
        }
        _ => v.clone(),
    }
}

/// The code, message and request id of a JSON error answer. The code is the last part of
/// `__type` (`com.amazonaws.dynamodb.v20120810#ResourceNotFoundException`) or of the
/// `x-amzn-ErrorType` header, without any `:` suffix.
pub fn error(resp: &HttpResponse) -> (Option<String>, Option<String>, Option<String>) {
    let body: Value = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
    let clean = |s: &str| {
        let s = s.split(':').next().unwrap_or(s);
        s.rsplit('#').next().unwrap_or(s).trim().to_string()
    };
    let code = resp
        .header("x-amzn-errortype")
        .map(clean)
        .or_else(|| body.get("__type").and_then(Value::as_str).map(clean))
        .or_else(|| body.get("code").and_then(Value::as_str).map(clean))
        .or_else(|| body.get("Code").and_then(Value::as_str).map(clean));
    let message = ["message", "Message", "errorMessage"]
        .iter()
        .find_map(|k| body.get(*k).and_then(Value::as_str))
        .map(str::to_string);
    (code, message, None)
}
