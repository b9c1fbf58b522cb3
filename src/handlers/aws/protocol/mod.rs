//! AWS's wire protocols, driven by the model: a request built from an operation's input
//! shape and a JSON value in the model's member names, and a response (or an error) read back
//! into JSON by the output shape, in the forms Step Functions renders (timestamps as ISO 8601
//! text, blobs as base64, a streamed payload as text).
//!
//! One module per family, as botocore's `serialize.py` and `parsers.py` split them: `json`
//! (AWS JSON 1.0/1.1 and REST-JSON bodies), `xml` (REST-XML bodies, and the answers of the
//! query protocols), `rest` (URI labels, query strings and headers of the REST protocols),
//! `query` (the query and EC2 forms), `cbor` (Smithy RPC v2 CBOR), `time` (the timestamp
//! formats). Nothing here does I/O: `http` sends what [`build`] makes.

mod cbor;
mod json;
mod query;
mod rest;
mod time;
mod xml;

use super::model::{Operation, Protocol, Service};
use serde_json::Value;

/// A request ready to sign and send: the path is already percent-encoded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HttpRequest {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Host labels to put before the endpoint's host (`123456789012.`).
    pub host_prefix: Option<String>,
}

impl HttpRequest {
    /// Path and query string, encoded.
    pub fn path_and_query(&self) -> String {
        if self.query.is_empty() {
            return self.path.clone();
        }
        let q: Vec<String> = self
            .query
            .iter()
            .map(|(k, v)| {
                if v.is_empty() && !k.contains('=') {
                    encode(k)
                } else {
                    format!("{}={}", encode(k), encode(v))
                }
            })
            .collect();
        let sep = if self.path.contains('?') { '&' } else { '?' };
        format!("{}{sep}{}", self.path, q.join("&"))
    }
}

/// An answer: status, headers (names in lower case) and body.
#[derive(Debug, Clone, Default)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The request id the service gave, from its headers.
    pub fn request_id(&self) -> Option<&str> {
        self.header("x-amzn-requestid")
            .or_else(|| self.header("x-amz-request-id"))
            .or_else(|| self.header("x-amzn-request-id"))
    }
}

/// An error answer, as the service named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    pub status: u16,
    /// The service's error code (`ResourceNotFoundException`, `NoSuchKey`).
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
    /// S3's `x-amz-id-2`.
    pub extended_request_id: Option<String>,
}

/// A request the model cannot express for this input (a malformed value that slipped past
/// the parameter check, a missing URI label).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError(pub String);

/// Builds the HTTP request of `op` for `input`, a JSON object in the model's member names
/// whose values already have the model's types (see `params`).
pub fn build(op: &Operation, input: &Value) -> Result<HttpRequest, BuildError> {
    let service = op.service;
    let mut req = match service.protocol() {
        Protocol::Json => json::build_rpc(op, input)?,
        Protocol::RestJson | Protocol::RestXml => rest::build(op, input)?,
        Protocol::Query | Protocol::Ec2 => query::build(op, input)?,
        Protocol::Cbor => cbor::build(op, input)?,
    };
    if let (Some(prefix), Some(shape)) = (op.host_prefix(), op.input()) {
        req.host_prefix = Some(rest::expand_host_prefix(prefix, &shape, input)?);
    }
    Ok(req)
}

/// Reads a successful answer into JSON by the output shape (`{}` for an operation without
/// output).
pub fn parse(op: &Operation, resp: &HttpResponse) -> Result<Value, String> {
    let Some(shape) = op.output() else {
        return Ok(Value::Object(Default::default()));
    };
    match op.service.protocol() {
        Protocol::Json => json::parse_body(&shape, &resp.body),
        Protocol::RestJson | Protocol::RestXml => rest::parse(op, &shape, resp),
        Protocol::Query | Protocol::Ec2 => xml::parse_query(op, &shape, &resp.body),
        Protocol::Cbor => cbor::parse(&shape, &resp.body),
    }
}

/// Reads an error answer: its code, message and request ids, whatever the protocol.
pub fn parse_error(service: &Service, resp: &HttpResponse) -> ServiceError {
    let (code, message, body_id) = match service.protocol() {
        Protocol::Json | Protocol::RestJson => json::error(resp),
        Protocol::Cbor => cbor::error(resp),
        Protocol::RestXml | Protocol::Query | Protocol::Ec2 => xml::error(&resp.body),
    };
    let code = code
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| status_code_name(resp.status));
    ServiceError {
        status: resp.status,
        code,
        message: message.unwrap_or_default(),
        request_id: resp.request_id().map(str::to_string).or(body_id),
        extended_request_id: resp.header("x-amz-id-2").map(str::to_string),
    }
}

/// An error without a body names itself by its status, as the SDKs do (`NotFound` for a
/// HEAD request's 404).
fn status_code_name(status: u16) -> String {
    match status {
        400 => "BadRequest".into(),
        403 => "Forbidden".into(),
        404 => "NotFound".into(),
        409 => "Conflict".into(),
        412 => "PreconditionFailed".into(),
        500 => "InternalServerError".into(),
        503 => "ServiceUnavailable".into(),
        s => s.to_string(),
    }
}

/// RFC 3986 percent-encoding of everything but the unreserved characters, as SigV4 wants.
pub(crate) fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, UNRESERVED).to_string()
}

pub(crate) const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A scalar as text on the wire (query strings, headers, URI labels, query forms).
fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The bytes of a blob value: base64 text, as `params` leaves every blob.
fn blob_bytes(v: &Value) -> Result<Vec<u8>, BuildError> {
    use base64::Engine;
    match v {
        Value::String(s) => base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(|e| BuildError(format!("a blob is not base64: {e}"))),
        other => Ok(other.to_string().into_bytes()),
    }
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Epoch milliseconds of a timestamp written in any of the wire formats.
pub fn read_time(v: &Value) -> Option<i64> {
    time::read(v)
}
