//! XML bodies: REST-XML requests written from the model, and the XML answers of REST-XML,
//! query and EC2 read back by it (botocore's `parsers.py` rules: members by `locationName`,
//! flattened lists and maps repeat their element, wrapped lists hold `member` / `item`,
//! maps hold `entry` elements of `key` and `value`).

use super::time::{self, Format};
use super::{BuildError, blob_bytes, scalar_text};
use crate::handlers::aws::model::{Member, Operation, Shape};
use roxmltree::{Document, Node};
use serde_json::{Map, Value};

/// An element named `root` holding `v` as `shape`, with the namespace the model gives.
pub fn write_root(
    root: &str,
    shape: &Shape,
    v: &Value,
    namespace: Option<&str>,
) -> Result<Vec<u8>, BuildError> {
    let mut out = String::new();
    out.push('<');
    out.push_str(root);
    if let Some(ns) = namespace {
        out.push_str(&format!(" xmlns=\"{}\"", escape(ns)));
    }
    out.push('>');
    write_content(&mut out, shape, v)?;
    out.push_str(&format!("</{root}>"));
    Ok(out.into_bytes())
}

fn write_content(out: &mut String, shape: &Shape, v: &Value) -> Result<(), BuildError> {
    match (shape.kind(), v) {
        ("structure", Value::Object(m)) => {
            for member in shape.members() {
                if member.flag("xmlAttribute") || member.location().is_some() {
                    continue;
                }
                if let Some(x) = m.get(member.name) {
                    write_member(out, &member, x)?;
                }
            }
        }
        _ => out.push_str(&escape(&scalar_xml(shape, None, v)?)),
    }
    Ok(())
}

fn write_member(out: &mut String, member: &Member, v: &Value) -> Result<(), BuildError> {
    let name = member.wire_name();
    match (member.shape.kind(), v) {
        ("list", Value::Array(a)) => {
            let Some(el) = member.shape.element("member") else {
                return Ok(());
            };
            if member.flag("flattened") {
                let item = el.location_name().unwrap_or(name);
                for x in a {
                    element(out, item, &el.shape, x, None)?;
                }
            } else {
                out.push_str(&format!("<{name}>"));
                let item = el.location_name().unwrap_or("member");
                for x in a {
                    element(out, item, &el.shape, x, None)?;
                }
                out.push_str(&format!("</{name}>"));
            }
        }
        ("map", Value::Object(m)) => {
            let (Some(k), Some(val)) = (member.shape.element("key"), member.shape.element("value"))
            else {
                return Ok(());
            };
            let (kn, vn) = (
                k.location_name().unwrap_or("key"),
                val.location_name().unwrap_or("value"),
            );
            let flat = member.flag("flattened");
            if !flat {
                out.push_str(&format!("<{name}>"));
            }
            for (key, x) in m {
                out.push_str(if flat { "" } else { "<entry>" });
                if flat {
                    out.push_str(&format!("<{name}>"));
                }
                out.push_str(&format!("<{kn}>{}</{kn}>", escape(key)));
                element(out, vn, &val.shape, x, None)?;
                out.push_str(if flat { "" } else { "</entry>" });
                if flat {
                    out.push_str(&format!("</{name}>"));
                }
            }
            if !flat {
                out.push_str(&format!("</{name}>"));
            }
        }
        _ => element(out, name, &member.shape, v, Some(member))?,
    }
    Ok(())
}

fn element(
    out: &mut String,
    name: &str,
    shape: &Shape,
    v: &Value,
    member: Option<&Member>,
) -> Result<(), BuildError> {
    out.push_str(&format!("<{name}"));
    if let ("structure", Value::Object(m)) = (shape.kind(), v) {
        if let Some(ns) = member.and_then(|m| m.xml_namespace()) {
            out.push_str(&format!(" xmlns=\"{}\"", escape(ns)));
        }
        for a in shape.members().filter(|m| m.flag("xmlAttribute")) {
            if let Some(x) = m.get(a.name) {
                out.push_str(&format!(
                    " {}=\"{}\"",
                    a.wire_name(),
                    escape(&scalar_text(x))
                ));
            }
        }
    }
    out.push('>');
    match shape.kind() {
        "structure" => write_content(out, shape, v)?,
        "list" | "map" => {
            // A nested collection without a member reference of its own: wrap it.
            if let Value::Array(a) = v
                && let Some(el) = shape.element("member")
            {
                let item = el.location_name().unwrap_or("member");
                for x in a {
                    element(out, item, &el.shape, x, None)?;
                }
            }
        }
        _ => out.push_str(&escape(&scalar_xml(shape, member, v)?)),
    }
    out.push_str(&format!("</{name}>"));
    Ok(())
}

fn scalar_xml(shape: &Shape, member: Option<&Member>, v: &Value) -> Result<String, BuildError> {
    Ok(match shape.kind() {
        "timestamp" => {
            let f = Format::of(
                member
                    .and_then(|m| m.str("timestampFormat"))
                    .or(shape.str("timestampFormat")),
                Format::Iso,
            );
            scalar_text(
                &time::write(v, f)
                    .ok_or_else(|| BuildError(format!("`{}` is not a timestamp", shape.name)))?,
            )
        }
        "blob" => super::b64(&blob_bytes(v)?),
        _ => scalar_text(v),
    })
}

fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            '\r' => o.push_str("&#xD;"),
            _ => o.push(c),
        }
    }
    o
}

fn document(body: &[u8]) -> Result<Document<'_>, String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("the answer is not UTF-8: {e}"))?;
    Document::parse(text).map_err(|e| format!("the answer is not XML: {e}"))
}

/// A REST-XML body: the root element holds `shape`'s members.
pub fn parse_document(shape: &Shape, body: &[u8]) -> Result<Value, String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("the answer is not UTF-8: {e}"))?;
    let doc = Document::parse(text).map_err(|e| format!("the answer is not XML: {e}"))?;
    Ok(read(shape, &[doc.root_element()]))
}

/// A query or EC2 answer: `<OpResponse><OpResult>...</OpResult>` (the operation's
/// `resultWrapper`) or, for EC2, the members directly under the root.
pub fn parse_query(op: &Operation, shape: &Shape, body: &[u8]) -> Result<Value, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    let doc = document(body)?;
    let root = doc.root_element();
    let node = match op.result_wrapper() {
        Some(w) => match root.children().find(|c| c.has_tag_name(w)) {
            Some(n) => n,
            None => return Ok(Value::Object(Map::new())),
        },
        None => root,
    };
    Ok(read(shape, &[node]))
}

/// The value of `shape` held by `nodes` (several for a flattened list or map).
fn read(shape: &Shape, nodes: &[Node]) -> Value {
    let Some(node) = nodes.first() else {
        return Value::Null;
    };
    match shape.kind() {
        "structure" => {
            let mut out = Map::new();
            for member in shape.members() {
                if member.location().is_some() {
                    continue;
                }
                let name = member_key(&member);
                let found: Vec<Node> = node
                    .children()
                    .filter(|c| c.is_element() && c.tag_name().name() == name)
                    .collect();
                if !found.is_empty() {
                    out.insert(member.name.to_string(), read_member(&member, &found));
                } else if member.flag("xmlAttribute") {
                    let local = member.wire_name().rsplit(':').next().unwrap_or_default();
                    if let Some(a) = node.attributes().find(|a| a.name() == local) {
                        out.insert(member.name.to_string(), Value::String(a.value().into()));
                    }
                }
            }
            Value::Object(out)
        }
        "list" => list(shape, false, nodes),
        "map" => map(shape, false, nodes),
        _ => scalar(shape, node.text().unwrap_or_default()),
    }
}

fn read_member(member: &Member, nodes: &[Node]) -> Value {
    match member.shape.kind() {
        "list" => list(&member.shape, member.flag("flattened"), nodes),
        "map" => map(&member.shape, member.flag("flattened"), nodes),
        "timestamp" => {
            let text = nodes.first().and_then(|n| n.text()).unwrap_or_default();
            time::read_text(text).map_or_else(
                || Value::String(text.into()),
                |ms| Value::String(time::iso(ms)),
            )
        }
        _ => read(&member.shape, nodes),
    }
}

/// The element name a member is found under: a flattened list's elements carry the list
/// member's name when it has one.
fn member_key<'a>(member: &Member<'a>) -> &'a str {
    if member.shape.kind() == "list"
        && member.flag("flattened")
        && let Some(n) = member
            .shape
            .element("member")
            .and_then(|m| m.location_name())
    {
        return n;
    }
    member.wire_name()
}

fn list(shape: &Shape, flattened: bool, nodes: &[Node]) -> Value {
    let Some(el) = shape.element("member") else {
        return Value::Array(Vec::new());
    };
    let items: Vec<Node> = if flattened {
        nodes.to_vec()
    } else {
        let name = el.location_name().unwrap_or("member");
        nodes
            .iter()
            .flat_map(|n| n.children())
            .filter(|c| c.is_element() && c.tag_name().name() == name)
            .collect()
    };
    Value::Array(items.iter().map(|n| read_member(&el, &[*n])).collect())
}

fn map(shape: &Shape, flattened: bool, nodes: &[Node]) -> Value {
    let (Some(k), Some(v)) = (shape.element("key"), shape.element("value")) else {
        return Value::Object(Map::new());
    };
    let (kn, vn) = (
        k.location_name().unwrap_or("key"),
        v.location_name().unwrap_or("value"),
    );
    let entries: Vec<Node> = if flattened {
        nodes.to_vec()
    } else {
        nodes
            .iter()
            .flat_map(|n| n.children())
            .filter(|c| c.is_element())
            .collect()
    };
    let mut out = Map::new();
    for e in entries {
        let key = e
            .children()
            .find(|c| c.is_element() && c.tag_name().name() == kn)
            .and_then(|c| c.text())
            .unwrap_or_default();
        let val = e
            .children()
            .find(|c| c.is_element() && c.tag_name().name() == vn)
            .map_or(Value::Null, |c| read_member(&v, &[c]));
        out.insert(key.to_string(), val);
    }
    Value::Object(out)
}

fn scalar(shape: &Shape, text: &str) -> Value {
    match shape.kind() {
        "integer" | "long" | "short" | "byte" => text
            .trim()
            .parse::<i64>()
            .map_or_else(|_| Value::String(text.into()), Value::from),
        "float" | "double" => text
            .trim()
            .parse::<f64>()
            .map_or_else(|_| Value::String(text.into()), Value::from),
        "boolean" => Value::Bool(text.trim().eq_ignore_ascii_case("true")),
        "timestamp" => time::read_text(text).map_or_else(
            || Value::String(text.into()),
            |ms| Value::String(time::iso(ms)),
        ),
        _ => Value::String(text.to_string()),
    }
}

/// The code, message and request id of an XML error answer: the first `Error` element's
/// `Code` and `Message` (S3's bare `<Error>`, query's `<ErrorResponse><Error>`, EC2's
/// `<Response><Errors><Error>`), and `RequestId` / `RequestID` wherever it is.
pub fn error(body: &[u8]) -> (Option<String>, Option<String>, Option<String>) {
    let Ok(doc) = document(body) else {
        return (None, None, None);
    };
    let find = |node: Node, name: &str| {
        node.descendants()
            .find(|n| n.is_element() && n.tag_name().name() == name)
            .and_then(|n| n.text())
            .map(|t| t.trim().to_string())
    };
    let err = doc
        .descendants()
        .find(|n| n.is_element() && n.tag_name().name() == "Error")
        .unwrap_or_else(|| doc.root_element());
    let rid =
        find(doc.root_element(), "RequestId").or_else(|| find(doc.root_element(), "RequestID"));
    (find(err, "Code"), find(err, "Message"), rid)
}
