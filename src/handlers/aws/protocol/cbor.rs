//! Smithy RPC v2 CBOR: `POST /service/{Service}/operation/{Op}` with a CBOR map body
//! (RFC 8949): timestamps as tag 1 over epoch seconds, blobs as byte strings, errors by
//! `__type`. A small codec of our own: the protocol uses a handful of CBOR's major types.

use super::time;
use super::{BuildError, HttpRequest, HttpResponse, blob_bytes};
use crate::handlers::aws::model::{Operation, Shape};
use serde_json::{Map, Number, Value};

pub fn build(op: &Operation, input: &Value) -> Result<HttpRequest, BuildError> {
    let service = op.service.meta("targetPrefix").unwrap_or_default();
    let mut body = Vec::new();
    match op.input() {
        Some(shape) => encode(&mut body, &shape, input)?,
        None => head(&mut body, 5, 0),
    }
    Ok(HttpRequest {
        method: "POST".into(),
        path: format!("/service/{service}/operation/{}", op.name),
        query: Vec::new(),
        headers: vec![
            ("smithy-protocol".into(), "rpc-v2-cbor".into()),
            ("content-type".into(), "application/cbor".into()),
            ("accept".into(), "application/cbor".into()),
        ],
        body,
        host_prefix: None,
    })
}

fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xff => out.extend([m | 24, n as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend((n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend((n as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend(n.to_be_bytes());
        }
    }
}

fn text(out: &mut Vec<u8>, s: &str) {
    head(out, 3, s.len() as u64);
    out.extend(s.as_bytes());
}

fn number(out: &mut Vec<u8>, n: &Number) {
    if let Some(u) = n.as_u64() {
        head(out, 0, u);
    } else if let Some(i) = n.as_i64() {
        head(out, 1, (-1 - i) as u64);
    } else {
        out.push(0xfb);
        out.extend(n.as_f64().unwrap_or_default().to_be_bytes());
    }
}

fn encode(out: &mut Vec<u8>, shape: &Shape, v: &Value) -> Result<(), BuildError> {
    match (shape.kind(), v) {
        ("structure", Value::Object(m)) if !shape.flag("document") => {
            let members: Vec<_> = shape
                .members()
                .filter_map(|mem| m.get(mem.name).map(|x| (mem, x)))
                .collect();
            head(out, 5, members.len() as u64);
            for (mem, x) in members {
                text(out, mem.name);
                encode(out, &mem.shape, x)?;
            }
        }
        ("list", Value::Array(a)) => {
            head(out, 4, a.len() as u64);
            for x in a {
                match shape.element("member") {
                    Some(el) => encode(out, &el.shape, x)?,
                    None => plain(out, x),
                }
            }
        }
        ("map", Value::Object(m)) => {
            head(out, 5, m.len() as u64);
            for (k, x) in m {
                text(out, k);
                match shape.element("value") {
                    Some(el) => encode(out, &el.shape, x)?,
                    None => plain(out, x),
                }
            }
        }
        ("blob", _) => {
            let b = blob_bytes(v)?;
            head(out, 2, b.len() as u64);
            out.extend(b);
        }
        ("timestamp", _) => {
            let ms = time::millis(v)
                .ok_or_else(|| BuildError(format!("`{}` is not a timestamp", shape.name)))?;
            head(out, 6, 1);
            out.push(0xfb);
            out.extend((ms as f64 / 1000.0).to_be_bytes());
        }
        _ => plain(out, v),
    }
    Ok(())
}

/// A JSON value as CBOR without a shape (documents, scalars).
fn plain(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.push(0xf6),
        Value::Bool(b) => out.push(if *b { 0xf5 } else { 0xf4 }),
        Value::Number(n) => number(out, n),
        Value::String(s) => text(out, s),
        Value::Array(a) => {
            head(out, 4, a.len() as u64);
            a.iter().for_each(|x| plain(out, x));
        }
        Value::Object(m) => {
            head(out, 5, m.len() as u64);
            for (k, x) in m {
                text(out, k);
                plain(out, x);
            }
        }
    }
}

/// A decoded CBOR item, before the shape gives it meaning.
enum Item {
    Value(Value),
    Bytes(Vec<u8>),
    Time(f64),
}

struct Reader<'a> {
    b: &'a [u8],
    i: usize,
    depth: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, String> {
        let x = *self.b.get(self.i).ok_or("the CBOR answer ends early")?;
        self.i += 1;
        Ok(x)
    }

    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self.i.checked_add(n).filter(|e| *e <= self.b.len());
        let end = end.ok_or("the CBOR answer ends early")?;
        let s = &self.b[self.i..end];
        self.i = end;
        Ok(s)
    }

    fn arg(&mut self, info: u8) -> Result<Option<u64>, String> {
        Ok(Some(match info {
            0..=23 => info as u64,
            24 => self.byte()? as u64,
            25 => u16::from_be_bytes(self.take(2)?.try_into().map_err(|_| "bad CBOR")?) as u64,
            26 => u32::from_be_bytes(self.take(4)?.try_into().map_err(|_| "bad CBOR")?) as u64,
            27 => u64::from_be_bytes(self.take(8)?.try_into().map_err(|_| "bad CBOR")?),
            31 => return Ok(None),
            _ => return Err("malformed CBOR".into()),
        }))
    }

    fn item(&mut self) -> Result<Item, String> {
        self.depth += 1;
        if self.depth > 200 {
            return Err("the CBOR answer nests too deeply".into());
        }
        let first = self.byte()?;
        let (major, info) = (first >> 5, first & 31);
        let r = match major {
            0 => Item::Value(Value::from(self.arg(info)?.unwrap_or_default())),
            1 => Item::Value(Value::from(
                -1 - self.arg(info)?.unwrap_or_default() as i128 as i64,
            )),
            2 | 3 => {
                let bytes = match self.arg(info)? {
                    Some(n) => self
                        .take(usize::try_from(n).map_err(|_| "bad CBOR")?)?
                        .to_vec(),
                    None => {
                        let mut all = Vec::new();
                        while self.b.get(self.i) != Some(&0xff) {
                            match self.item()? {
                                Item::Bytes(b) => all.extend(b),
                                Item::Value(Value::String(s)) => all.extend(s.into_bytes()),
                                _ => return Err("malformed CBOR string".into()),
                            }
                        }
                        self.i += 1;
                        all
                    }
                };
                if major == 2 {
                    Item::Bytes(bytes)
                } else {
                    Item::Value(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
                }
            }
            4 => {
                let mut a = Vec::new();
                let n = self.arg(info)?;
                while n.is_none_or(|n| (a.len() as u64) < n) {
                    if n.is_none() && self.b.get(self.i) == Some(&0xff) {
                        self.i += 1;
                        break;
                    }
                    a.push(self.item()?.into_value());
                }
                Item::Value(Value::Array(a))
            }
            5 => {
                let mut m = Map::new();
                let n = self.arg(info)?;
                let mut count = 0u64;
                while n.is_none_or(|n| count < n) {
                    if n.is_none() && self.b.get(self.i) == Some(&0xff) {
                        self.i += 1;
                        break;
                    }
                    let k = match self.item()?.into_value() {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    m.insert(k, self.item()?.into_value());
                    count += 1;
                }
                Item::Value(Value::Object(m))
            }
            6 => {
                let tag = self.arg(info)?.unwrap_or_default();
                let inner = self.item()?;
                match (tag, inner) {
                    (1, Item::Value(v)) => Item::Time(v.as_f64().unwrap_or_default()),
                    (_, other) => other,
                }
            }
            _ => match info {
                20 => Item::Value(Value::Bool(false)),
                21 => Item::Value(Value::Bool(true)),
                22 | 23 => Item::Value(Value::Null),
                25 => {
                    let h = u16::from_be_bytes(self.take(2)?.try_into().map_err(|_| "bad CBOR")?);
                    Item::Value(Value::from(half(h)))
                }
                26 => {
                    let f = f32::from_be_bytes(self.take(4)?.try_into().map_err(|_| "bad CBOR")?);
                    Item::Value(Value::from(f as f64))
                }
                27 => {
                    let f = f64::from_be_bytes(self.take(8)?.try_into().map_err(|_| "bad CBOR")?);
                    Item::Value(Value::from(f))
                }
                _ => return Err("malformed CBOR".into()),
            },
        };
        self.depth -= 1;
        Ok(r)
    }
}

impl Item {
    fn into_value(self) -> Value {
        match self {
            Item::Value(v) => v,
            Item::Bytes(b) => Value::String(super::b64(&b)),
            Item::Time(s) => Value::String(time::iso((s * 1000.0).round() as i64)),
        }
    }
}

fn half(h: u16) -> f64 {
    let (exp, mant) = ((h >> 10) & 0x1f, (h & 0x3ff) as f64);
    let v = match exp {
        0 => mant * 2f64.powi(-24),
        31 => f64::INFINITY,
        e => (1.0 + mant / 1024.0) * 2f64.powi(e as i32 - 15),
    };
    if h & 0x8000 != 0 { -v } else { v }
}

fn decode(body: &[u8]) -> Result<Value, String> {
    if body.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    let mut r = Reader {
        b: body,
        i: 0,
        depth: 0,
    };
    Ok(r.item()?.into_value())
}

/// A CBOR answer by `shape`: members by name, byte strings as base64, tagged times as ISO.
pub fn parse(shape: &Shape, body: &[u8]) -> Result<Value, String> {
    // Decoded values already have Step Functions' forms; the JSON reader then keeps the
    // modelled members only.
    Ok(super::json::read(shape, &decode(body)?))
}

pub fn error(resp: &HttpResponse) -> (Option<String>, Option<String>, Option<String>) {
    let body = decode(&resp.body).unwrap_or(Value::Null);
    let code = body
        .get("__type")
        .and_then(Value::as_str)
        .map(|s| s.rsplit('#').next().unwrap_or(s).to_string());
    let message = ["message", "Message"]
        .iter()
        .find_map(|k| body.get(*k).and_then(Value::as_str))
        .map(str::to_string);
    (code, message, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlers::aws::model::load;
    use serde_json::json;

    #[test]
    fn a_request_reads_back_as_what_was_written() {
        let sfn = load("sfn").and_then(Result::ok).unwrap();
        let op = sfn.operation("startExecution").unwrap();
        let input = json!({"stateMachineArn": "arn:sm", "name": "n", "input": "{\"k\":[1,2]}"});
        let req = build(&op, &input).unwrap();
        assert_eq!(
            req.path,
            "/service/AWSStepFunctions/operation/StartExecution"
        );
        assert_eq!(decode(&req.body).unwrap(), input);
        // Numbers of every width, negatives, floats, booleans, nulls, nested containers.
        let mut out = Vec::new();
        let v = json!({"a": [0, 23, 24, 255, 256, 65536, 4294967296u64, -1, -300, 1.5, true, null], "b": {"c": "é"}});
        plain(&mut out, &v);
        assert_eq!(decode(&out).unwrap(), v);
    }

    #[test]
    fn answers_read_tagged_times_and_byte_strings() {
        // {"t": 1(1704164645), "b": h'0102'}
        let body = [
            0xa2, 0x61, b't', 0xc1, 0x1a, 0x65, 0x93, 0x7d, 0x25, 0x61, b'b', 0x42, 1, 2,
        ];
        assert_eq!(
            decode(&body).unwrap(),
            json!({"t": "2024-01-02T03:04:05Z", "b": "AQI="})
        );
        // Truncated or absurdly nested input is an error, never a panic.
        assert!(decode(&body[..5]).is_err());
        assert!(decode(&[0x81; 1000]).is_err());
    }
}
