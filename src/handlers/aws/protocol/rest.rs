//! The REST protocols' envelope: members bound to URI labels (`/{Bucket}/{Key+}`), query
//! strings, headers (and header-prefix maps), the status code, and the body: an explicit
//! `payload` member (raw bytes, text, or a structure), or every unbound member as a JSON
//! object (REST-JSON) or an XML element (REST-XML).

use super::time::{self, Format};
use super::{BuildError, HttpRequest, HttpResponse, blob_bytes, encode, json, scalar_text, xml};
use crate::handlers::aws::model::{Member, Operation, Protocol, Shape};
use serde_json::{Map, Value};

pub fn build(op: &Operation, input: &Value) -> Result<HttpRequest, BuildError> {
    let xml_body = op.service.protocol() == Protocol::RestXml;
    let empty = Map::new();
    let given = input.as_object().unwrap_or(&empty);
    let shape = op.input();
    let (template, literal_query) = match op.request_uri().split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (op.request_uri(), None),
    };
    let mut req = HttpRequest {
        method: op.method().to_string(),
        ..HttpRequest::default()
    };
    // Labels: `{Name}` is one path segment, `{Name+}` may hold slashes.
    let mut path = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        path.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        let label = &rest[start + 1..start + end];
        let (label, greedy) = match label.strip_suffix('+') {
            Some(l) => (l, true),
            None => (label, false),
        };
        let member = shape.as_ref().and_then(|s| {
            s.members()
                .find(|m| m.location() == Some("uri") && m.wire_name() == label)
        });
        let value = member
            .and_then(|m| given.get(m.name).map(|v| (m, v)))
            .map(|(m, v)| label_text(&m, v));
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            return Err(BuildError(format!(
                "the request needs `{}` (it is part of the URI `{}`)",
                member.map_or(label, |m| m.name),
                op.request_uri()
            )));
        };
        if greedy {
            let segs: Vec<String> = value.split('/').map(encode).collect();
            path.push_str(&segs.join("/"));
        } else {
            path.push_str(&encode(&value));
        }
        rest = &rest[start + end + 1..];
    }
    path.push_str(rest);
    req.path = if path.is_empty() { "/".into() } else { path };
    if let Some(q) = literal_query {
        for part in q.split('&').filter(|p| !p.is_empty()) {
            match part.split_once('=') {
                Some((k, v)) => req.query.push((k.to_string(), v.to_string())),
                None => req.query.push((part.to_string(), String::new())),
            }
        }
    }
    let Some(shape) = shape else {
        return Ok(req);
    };
    let mut body_members = Map::new();
    for member in shape.members() {
        let Some(v) = given.get(member.name) else {
            continue;
        };
        match member.location() {
            Some("uri") => {}
            Some("querystring") => query_param(&mut req.query, &member, v),
            Some("header") => {
                if let Some(text) = header_text(&member, v) {
                    req.headers
                        .push((member.wire_name().to_ascii_lowercase(), text));
                }
            }
            Some("headers") => {
                let prefix = member.wire_name().to_ascii_lowercase();
                for (k, x) in v.as_object().into_iter().flatten() {
                    req.headers.push((
                        format!("{prefix}{}", k.to_ascii_lowercase()),
                        scalar_text(x),
                    ));
                }
            }
            Some(_) => {}
            None => {
                body_members.insert(member.name.to_string(), v.clone());
            }
        }
    }
    if let Some(payload) = shape.payload() {
        if let Some(v) = given.get(payload.name) {
            match payload.shape.kind() {
                "blob" => req.body = blob_bytes(v)?,
                "string" => req.body = scalar_text(v).into_bytes(),
                _ if xml_body => {
                    let root = payload.location_name().unwrap_or(payload.shape.name);
                    req.body = xml::write_root(root, &payload.shape, v, payload.xml_namespace())?;
                    content_type(&mut req, "application/xml");
                }
                _ => {
                    req.body = serde_json::to_vec(&json::serialize(&payload.shape, v)?)
                        .unwrap_or_default();
                    content_type(&mut req, "application/json");
                }
            }
        }
    } else if shape.members().any(|m| m.location().is_none()) {
        if xml_body {
            if !body_members.is_empty() {
                let (root, ns) = op.input_root();
                req.body = xml::write_root(
                    root.or(shape.str("locationName")).unwrap_or(shape.name),
                    &shape,
                    &Value::Object(body_members),
                    ns,
                )?;
                content_type(&mut req, "application/xml");
            }
        } else {
            req.body = serde_json::to_vec(&json::serialize(&shape, &Value::Object(body_members))?)
                .unwrap_or_default();
            content_type(&mut req, "application/json");
        }
    }
    Ok(req)
}

fn content_type(req: &mut HttpRequest, ct: &str) {
    if !req.headers.iter().any(|(k, _)| k == "content-type") {
        req.headers.push(("content-type".into(), ct.into()));
    }
}

/// A URI label's text: timestamps in ISO 8601.
fn label_text(member: &Member, v: &Value) -> String {
    if member.shape.kind() == "timestamp" {
        let f = Format::of(member.str("timestampFormat"), Format::Iso);
        return time::write(v, f).map_or_else(|| scalar_text(v), |t| scalar_text(&t));
    }
    scalar_text(v)
}

fn query_param(out: &mut Vec<(String, String)>, member: &Member, v: &Value) {
    let name = member.wire_name();
    match v {
        Value::Array(a) => {
            for x in a {
                out.push((name.to_string(), scalar_text(x)));
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                match x {
                    Value::Array(a) => {
                        for y in a {
                            out.push((k.clone(), scalar_text(y)));
                        }
                    }
                    _ => out.push((k.clone(), scalar_text(x))),
                }
            }
        }
        _ => out.push((name.to_string(), label_text(member, v))),
    }
}

fn header_text(member: &Member, v: &Value) -> Option<String> {
    Some(match member.shape.kind() {
        "timestamp" => {
            let f = Format::of(member.str("timestampFormat"), Format::HttpDate);
            scalar_text(&time::write(v, f)?)
        }
        "list" => match v {
            Value::Array(a) => a.iter().map(scalar_text).collect::<Vec<_>>().join(","),
            _ => scalar_text(v),
        },
        "string" if member.flag("jsonvalue") => super::b64(scalar_text(v).as_bytes()),
        _ => scalar_text(v),
    })
}

/// The host prefix with its labels filled in (`{AccountId}.` → `123456789012.`).
pub fn expand_host_prefix(
    template: &str,
    shape: &Shape,
    input: &Value,
) -> Result<String, BuildError> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        let label = &rest[start + 1..start + end];
        let v = shape
            .members()
            .find(|m| m.flag("hostLabel") && m.name == label)
            .and_then(|m| input.get(m.name))
            .map(scalar_text)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                BuildError(format!(
                    "the request needs `{label}` (part of the host name)"
                ))
            })?;
        out.push_str(&v);
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A REST answer: headers, status code, then the payload or the body's members.
pub fn parse(op: &Operation, shape: &Shape, resp: &HttpResponse) -> Result<Value, String> {
    let xml_body = op.service.protocol() == Protocol::RestXml;
    let mut out = Map::new();
    for member in shape.members() {
        match member.location() {
            Some("header") => {
                if let Some(v) = resp.header(member.wire_name()) {
                    out.insert(member.name.to_string(), header_value(&member, v));
                }
            }
            Some("headers") => {
                // Java's SDK always gives a header-prefix map, empty when no header matched.
                let prefix = member.wire_name().to_ascii_lowercase();
                let m: Map<String, Value> = resp
                    .headers
                    .iter()
                    .filter_map(|(k, v)| {
                        k.to_ascii_lowercase()
                            .strip_prefix(&prefix)
                            .map(|key| (key.to_string(), Value::String(v.clone())))
                    })
                    .collect();
                out.insert(member.name.to_string(), Value::Object(m));
            }
            Some("statusCode") => {
                out.insert(member.name.to_string(), Value::from(resp.status));
            }
            _ => {}
        }
    }
    if let Some(payload) = shape.payload() {
        let v = match payload.shape.kind() {
            // A streamed body is text in Step Functions (S3 `Body`); other blobs base64.
            "blob" if payload.flag("streaming") => Some(Value::String(
                String::from_utf8_lossy(&resp.body).into_owned(),
            )),
            "blob" => (!resp.body.is_empty()).then(|| Value::String(super::b64(&resp.body))),
            "string" => Some(Value::String(
                String::from_utf8_lossy(&resp.body).into_owned(),
            )),
            _ if resp.body.iter().all(u8::is_ascii_whitespace) => None,
            _ if xml_body => Some(xml::parse_document(&payload.shape, &resp.body)?),
            _ => Some(json::parse_body(&payload.shape, &resp.body)?),
        };
        if let Some(v) = v {
            out.insert(payload.name.to_string(), v);
        }
    } else if !resp.body.iter().all(u8::is_ascii_whitespace) {
        let body = if xml_body {
            xml::parse_document(shape, &resp.body)?
        } else {
            json::parse_body(shape, &resp.body)?
        };
        if let Value::Object(m) = body {
            out.extend(m);
        }
    }
    Ok(Value::Object(out))
}

fn header_value(member: &Member, v: &str) -> Value {
    match member.shape.kind() {
        "integer" | "long" => v
            .trim()
            .parse::<i64>()
            .map_or_else(|_| Value::String(v.into()), Value::from),
        "float" | "double" => v
            .trim()
            .parse::<f64>()
            .map_or_else(|_| Value::String(v.into()), Value::from),
        "boolean" => Value::Bool(v.trim().eq_ignore_ascii_case("true")),
        "timestamp" => time::read_text(v).map_or_else(
            || Value::String(v.into()),
            |ms| Value::String(time::iso(ms)),
        ),
        "list" => Value::Array(
            v.split(',')
                .map(|x| Value::String(x.trim().to_string()))
                .collect(),
        ),
        "string" if member.flag("jsonvalue") => {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(v.trim())
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .unwrap_or_else(|| Value::String(v.into()))
        }
        _ => Value::String(v.to_string()),
    }
}
