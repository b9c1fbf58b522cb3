//! The query and EC2 protocols' requests: a form `Action=Op&Version=...` with every member
//! flattened into dotted names (`Attributes.entry.1.key`, `Filter.1.Value.1`). EC2 names
//! members by `queryName` or its capitalized `locationName`, and numbers every list
//! `Name.N`; query wraps lists in `member` unless they are flattened.

use super::time::{self, Format};
use super::{BuildError, HttpRequest, scalar_text};
use crate::handlers::aws::model::{Member, Operation, Protocol, Shape};
use serde_json::Value;

pub fn build(op: &Operation, input: &Value) -> Result<HttpRequest, BuildError> {
    let ec2 = op.service.protocol() == Protocol::Ec2;
    let mut form: Vec<(String, String)> = vec![
        ("Action".into(), op.name.to_string()),
        (
            "Version".into(),
            op.service
                .meta("apiVersion")
                .unwrap_or_default()
                .to_string(),
        ),
    ];
    if let Some(shape) = op.input() {
        structure(&mut form, "", &shape, input, ec2)?;
    }
    let body: Vec<String> = form
        .iter()
        .map(|(k, v)| format!("{}={}", super::encode(k), super::encode(v)))
        .collect();
    Ok(HttpRequest {
        method: "POST".into(),
        path: "/".into(),
        query: Vec::new(),
        headers: vec![(
            "content-type".into(),
            "application/x-www-form-urlencoded; charset=utf-8".into(),
        )],
        body: body.join("&").into_bytes(),
        host_prefix: None,
    })
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

fn member_name(m: &Member, ec2: bool) -> String {
    if ec2 {
        if let Some(q) = m.str("queryName") {
            return q.to_string();
        }
        if let Some(l) = m.location_name() {
            let mut c = l.chars();
            return c
                .next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default();
        }
        return m.name.to_string();
    }
    m.wire_name().to_string()
}

fn structure(
    form: &mut Vec<(String, String)>,
    prefix: &str,
    shape: &Shape,
    v: &Value,
    ec2: bool,
) -> Result<(), BuildError> {
    let Value::Object(m) = v else {
        return Ok(());
    };
    for member in shape.members() {
        if let Some(x) = m.get(member.name) {
            let name = join(prefix, &member_name(&member, ec2));
            value(form, &name, &member, x, ec2)?;
        }
    }
    Ok(())
}

fn value(
    form: &mut Vec<(String, String)>,
    name: &str,
    member: &Member,
    v: &Value,
    ec2: bool,
) -> Result<(), BuildError> {
    let shape = &member.shape;
    match (shape.kind(), v) {
        ("structure", _) => structure(form, name, shape, v, ec2)?,
        ("list", Value::Array(a)) => {
            let Some(el) = shape.element("member") else {
                return Ok(());
            };
            if a.is_empty() {
                if !ec2 {
                    form.push((name.to_string(), String::new()));
                }
                return Ok(());
            }
            let base = if ec2 {
                name.to_string()
            } else if member.flag("flattened") {
                match el.location_name() {
                    Some(l) => {
                        let parent = name.rsplit_once('.').map_or("", |(p, _)| p);
                        join(parent, l)
                    }
                    None => name.to_string(),
                }
            } else {
                join(name, el.location_name().unwrap_or("member"))
            };
            for (i, x) in a.iter().enumerate() {
                value(form, &format!("{base}.{}", i + 1), &el, x, ec2)?;
            }
        }
        ("map", Value::Object(m)) => {
            let (Some(k), Some(val)) = (shape.element("key"), shape.element("value")) else {
                return Ok(());
            };
            let base = if member.flag("flattened") {
                name.to_string()
            } else {
                join(name, "entry")
            };
            for (i, (key, x)) in m.iter().enumerate() {
                let entry = format!("{base}.{}", i + 1);
                form.push((
                    join(&entry, k.location_name().unwrap_or("key")),
                    key.clone(),
                ));
                value(
                    form,
                    &join(&entry, val.location_name().unwrap_or("value")),
                    &val,
                    x,
                    ec2,
                )?;
            }
        }
        ("timestamp", _) => {
            let f = Format::of(member.str("timestampFormat"), Format::Iso);
            let t = time::write(v, f)
                .ok_or_else(|| BuildError(format!("`{name}` is not a timestamp")))?;
            form.push((name.to_string(), scalar_text(&t)));
        }
        _ => form.push((name.to_string(), scalar_text(v))),
    }
    Ok(())
}
