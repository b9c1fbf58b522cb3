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
mod checksum;
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
    let mut req = match op.protocol() {
        Protocol::Json => json::build_rpc(op, input)?,
        Protocol::RestJson | Protocol::RestXml => rest::build(op, input)?,
        Protocol::Query | Protocol::Ec2 => query::build(op, input)?,
        Protocol::Cbor => cbor::build(op, input)?,
    };
    if let (Some(prefix), Some(shape)) = (op.host_prefix(), op.input()) {
        req.host_prefix = Some(rest::expand_host_prefix(prefix, &shape, input)?);
    }
    if let Some((member, required)) = op.request_checksum() {
        checksum::add(&mut req, op, input, member, required);
    }
    Ok(req)
}

/// Reads a successful answer into JSON by the output shape (`{}` for an operation without
/// output).
pub fn parse(op: &Operation, resp: &HttpResponse) -> Result<Value, String> {
    let Some(shape) = op.output() else {
        return Ok(Value::Object(Default::default()));
    };
    match op.protocol() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlers::aws::model::load;
    use crate::handlers::aws::params::to_input;
    use serde_json::json;

    /// The request Step Functions' parameters make for `service:action`.
    fn request(service: &str, action: &str, params: Value) -> HttpRequest {
        let s = load(service).unwrap().unwrap();
        let op = s.operation(action).unwrap();
        let input = to_input(&op.input().unwrap(), &params).unwrap();
        build(&op, &input).unwrap()
    }

    fn form(body: &[u8]) -> Vec<(String, String)> {
        let text = String::from_utf8(body.to_vec()).unwrap();
        text.split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                let d = |s: &str| {
                    percent_encoding::percent_decode_str(s)
                        .decode_utf8_lossy()
                        .into_owned()
                };
                (d(k), d(v))
            })
            .collect()
    }

    fn header<'a>(r: &'a HttpRequest, name: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn athena_speaks_aws_json_but_its_result_stream_stays_rest() {
        // Bundled as AWS JSON 1.1 (scripts/gen-aws-models, JSON_RPC_SERVED): the id the REST
        // model binds to the path travels in the body.
        let r = request(
            "athena",
            "getQueryExecution",
            json!({"QueryExecutionId": "q-1"}),
        );
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/"));
        assert_eq!(
            header(&r, "x-amz-target"),
            Some("AmazonAthena.GetQueryExecution")
        );
        assert_eq!(
            header(&r, "content-type"),
            Some("application/x-amz-json-1.1")
        );
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body, json!({"QueryExecutionId": "q-1"}));
        // A raw stream with header-bound members has no AWS JSON form.
        let r = request(
            "athena",
            "getQueryResultStream",
            json!({"QueryExecutionId": "q-1"}),
        );
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("GET", "/query-executions/q-1/result-stream")
        );
        assert_eq!(header(&r, "x-amz-target"), None);
    }

    #[test]
    fn json_protocol_targets_the_operation_with_camel_case_members() {
        let r = request(
            "sfn",
            "startExecution",
            json!({"StateMachineArn": "arn:sm", "Input": {"k": 1}}),
        );
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/"));
        assert_eq!(
            header(&r, "x-amz-target"),
            Some("AWSStepFunctions.StartExecution")
        );
        assert_eq!(
            header(&r, "content-type"),
            Some("application/x-amz-json-1.0")
        );
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            body,
            json!({"stateMachineArn": "arn:sm", "input": "{\"k\":1}"})
        );
    }

    #[test]
    fn ec2_numbers_every_list_under_its_query_name() {
        let r = request(
            "ec2",
            "describeSubnets",
            json!({"Filters": [{"Name": "vpc-id", "Values": ["vpc-1", "vpc-2"]}], "SubnetIds": ["s-1"]}),
        );
        let f = form(&r.body);
        for pair in [
            ("Action", "DescribeSubnets"),
            ("Version", "2016-11-15"),
            ("Filter.1.Name", "vpc-id"),
            ("Filter.1.Value.1", "vpc-1"),
            ("Filter.1.Value.2", "vpc-2"),
            ("SubnetId.1", "s-1"),
        ] {
            assert!(
                f.contains(&(pair.0.to_string(), pair.1.to_string())),
                "{pair:?} not in {f:?}"
            );
        }
    }

    #[test]
    fn query_wraps_lists_in_members_and_maps_in_entries() {
        let r = request(
            "sns",
            "publish",
            json!({"TopicArn": "arn:t", "Message": "m",
                   "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}}),
        );
        let f = form(&r.body);
        for pair in [
            ("Action", "Publish"),
            ("MessageAttributes.entry.1.Name", "k"),
            ("MessageAttributes.entry.1.Value.DataType", "String"),
            ("MessageAttributes.entry.1.Value.StringValue", "v"),
        ] {
            assert!(
                f.contains(&(pair.0.to_string(), pair.1.to_string())),
                "{pair:?} not in {f:?}"
            );
        }
        let r = request(
            "cloudformation",
            "describeStacks",
            json!({"StackName": "s"}),
        );
        assert!(form(&r.body).contains(&("StackName".into(), "s".into())));
        let r = request(
            "sns",
            "setTopicAttributes",
            json!({"TopicArn": "t", "AttributeName": "Policy", "AttributeValue": {"Version": "2012"}}),
        );
        assert!(
            form(&r.body).contains(&("AttributeValue".into(), "{\"Version\":\"2012\"}".into()))
        );
    }

    #[test]
    fn rest_protocols_bind_labels_queries_headers_and_payloads() {
        let r = request(
            "s3",
            "getObject",
            json!({"Bucket": "b", "Key": "dir/a b+c.json", "Range": "bytes=0-9", "VersionId": "v1"}),
        );
        assert_eq!(r.method, "GET");
        assert_eq!(r.path, "/b/dir/a%20b%2Bc.json");
        assert_eq!(r.query, vec![("versionId".into(), "v1".into())]);
        assert_eq!(header(&r, "range"), Some("bytes=0-9"));
        assert_eq!(r.path_and_query(), "/b/dir/a%20b%2Bc.json?versionId=v1");
        // A JSON body is sent as its text; a string as its bytes.
        let r = request(
            "s3",
            "putObject",
            json!({"Bucket": "b", "Key": "k", "Body": {"a": 1}}),
        );
        assert_eq!(r.body, br#"{"a":1}"#);
        let r = request(
            "s3",
            "putObject",
            json!({"Bucket": "b", "Key": "k", "Body": "text"}),
        );
        assert_eq!(r.body, b"text");
        // The SDKs' default request checksum: the CRC32 of the body.
        assert_eq!(header(&r, "x-amz-sdk-checksum-algorithm"), Some("CRC32"));
        let mut c = flate2::Crc::new();
        c.update(b"text");
        assert_eq!(
            header(&r, "x-amz-checksum-crc32"),
            Some(super::b64(&c.sum().to_be_bytes()).as_str())
        );
        let r = request(
            "s3",
            "putObject",
            json!({"Bucket": "b", "Key": "k", "Body": "x", "ChecksumAlgorithm": "SHA256"}),
        );
        assert_eq!(header(&r, "x-amz-sdk-checksum-algorithm"), Some("SHA256"));
        assert!(header(&r, "x-amz-checksum-sha256").is_some());
        // A structure payload is an XML document with the model's namespace.
        let r = request(
            "s3",
            "putBucketTagging",
            json!({"Bucket": "b", "Tagging": {"TagSet": [{"Key": "k", "Value": "v"}]}}),
        );
        assert_eq!(
            String::from_utf8(r.body).unwrap(),
            r#"<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>"#
        );
        // Without a payload member, REST-XML wraps the body members in the element the
        // operation's input names (Route 53).
        let r = request(
            "route53",
            "changeResourceRecordSets",
            json!({"HostedZoneId": "Z1", "ChangeBatch": {"Changes": [{"Action": "UPSERT",
                "ResourceRecordSet": {"Name": "a.example.", "Type": "A", "TTL": 60,
                "ResourceRecords": [{"Value": "1.2.3.4"}]}}]}}),
        );
        assert_eq!(r.path, "/2013-04-01/hostedzone/Z1/rrset/");
        let body = String::from_utf8(r.body).unwrap();
        assert!(
            body.starts_with(r#"<ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeBatch><Changes><Change><Action>UPSERT</Action>"#),
            "{body}"
        );
        assert!(body.contains("<ResourceRecords><ResourceRecord><Value>1.2.3.4</Value></ResourceRecord></ResourceRecords>"), "{body}");
        // REST-JSON: labels in the path, the rest in a JSON body.
        let r = request(
            "lambda",
            "invoke",
            json!({"FunctionName": "f", "Payload": {"x": 1}, "InvocationType": "Event"}),
        );
        assert_eq!(r.path, "/2015-03-31/functions/f/invocations");
        assert_eq!(header(&r, "x-amz-invocation-type"), Some("Event"));
        assert_eq!(r.body, br#"{"x":1}"#);
    }

    #[test]
    fn a_missing_uri_label_is_refused() {
        let s = load("s3").unwrap().unwrap();
        let op = s.operation("getObject").unwrap();
        let e = build(&op, &json!({"Bucket": "b"})).unwrap_err();
        assert!(e.0.contains("`Key`"), "{}", e.0);
    }

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn answers_are_read_by_the_output_shape_of_each_protocol() {
        let s3 = load("s3").unwrap().unwrap();
        let op = s3.operation("listObjectsV2").unwrap();
        let body = r#"<?xml version="1.0"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><KeyCount>2</KeyCount><IsTruncated>false</IsTruncated><Contents><Key>a</Key><Size>3</Size><LastModified>2024-01-02T03:04:05.000Z</LastModified></Contents><Contents><Key>b</Key><Size>4</Size></Contents></ListBucketResult>"#;
        let v = parse(&op, &response(200, &[], body)).unwrap();
        assert_eq!(
            v,
            json!({"Name": "b", "KeyCount": 2, "IsTruncated": false, "Contents": [
                {"Key": "a", "Size": 3, "LastModified": "2024-01-02T03:04:05Z"},
                {"Key": "b", "Size": 4}]})
        );
        let op = s3.operation("getObject").unwrap();
        let v = parse(
            &op,
            &response(
                200,
                &[
                    ("content-length", "4"),
                    ("x-amz-meta-owner", "me"),
                    ("last-modified", "Tue, 02 Jan 2024 03:04:05 GMT"),
                ],
                "body",
            ),
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"ContentLength": 4, "LastModified": "2024-01-02T03:04:05Z", "Metadata": {"owner": "me"}, "Body": "body"})
        );
        let sns = load("sns").unwrap().unwrap();
        let op = sns.operation("publish").unwrap();
        let body = r#"<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>"#;
        assert_eq!(
            parse(&op, &response(200, &[], body)).unwrap(),
            json!({"MessageId": "m-1"})
        );
        let ec2 = load("ec2").unwrap().unwrap();
        let op = ec2.operation("describeSubnets").unwrap();
        let body = r#"<DescribeSubnetsResponse><requestId>r</requestId><subnetSet><item><subnetId>s-1</subnetId><defaultForAz>true</defaultForAz><availableIpAddressCount>5</availableIpAddressCount></item></subnetSet></DescribeSubnetsResponse>"#;
        assert_eq!(
            parse(&op, &response(200, &[], body)).unwrap(),
            json!({"Subnets": [{"SubnetId": "s-1", "DefaultForAz": true, "AvailableIpAddressCount": 5}]})
        );
        let sfn = load("sfn").unwrap().unwrap();
        let op = sfn.operation("startExecution").unwrap();
        let v = parse(
            &op,
            &response(
                200,
                &[],
                r#"{"executionArn":"arn:e","startDate":1704164645.5,"extra":1}"#,
            ),
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"executionArn": "arn:e", "startDate": "2024-01-02T03:04:05.500Z"})
        );
    }

    #[test]
    fn errors_are_read_from_every_protocol() {
        let ddb = load("dynamodb").unwrap().unwrap();
        let e = parse_error(
            &ddb,
            &response(
                400,
                &[("x-amzn-requestid", "rid")],
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"}"#,
            ),
        );
        assert_eq!(
            (e.code.as_str(), e.message.as_str(), e.request_id.as_deref()),
            (
                "ResourceNotFoundException",
                "Requested resource not found",
                Some("rid")
            )
        );
        let s3 = load("s3").unwrap().unwrap();
        let e = parse_error(
            &s3,
            &response(
                404,
                &[("x-amz-id-2", "ext")],
                "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><RequestId>R1</RequestId></Error>",
            ),
        );
        assert_eq!(
            (
                e.code.as_str(),
                e.request_id.as_deref(),
                e.extended_request_id.as_deref()
            ),
            ("NoSuchKey", Some("R1"), Some("ext"))
        );
        let ec2 = load("ec2").unwrap().unwrap();
        let e = parse_error(
            &ec2,
            &response(
                400,
                &[],
                "<Response><Errors><Error><Code>InvalidSubnetID.NotFound</Code><Message>no</Message></Error></Errors><RequestID>R2</RequestID></Response>",
            ),
        );
        assert_eq!(
            (e.code.as_str(), e.request_id.as_deref()),
            ("InvalidSubnetID.NotFound", Some("R2"))
        );
        let e = parse_error(&s3, &response(404, &[], ""));
        assert_eq!(e.code, "NotFound");
        let lambda = load("lambda").unwrap().unwrap();
        let e = parse_error(
            &lambda,
            &response(
                404,
                &[(
                    "x-amzn-errortype",
                    "ResourceNotFoundException:http://internal.amazon.com/",
                )],
                r#"{"Message":"Function not found"}"#,
            ),
        );
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("ResourceNotFoundException", "Function not found")
        );
    }
}
