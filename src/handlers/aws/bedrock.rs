//! Bedrock `InvokeModel`'s S3 objects (AWS developer guide, "Invoke and customize Amazon
//! Bedrock models with Step Functions", connect-bedrock): the optimized integration
//! `bedrock:invokeModel` takes two fields the API lacks.
//!
//! * `Input: {"S3Uri": "s3://bucket/key"}`: the request body is that object's content instead
//!   of `Body`. The page allows `Body` or `Input`, never both; without `ContentType` the
//!   object's content type is sent as `ContentType`.
//! * `Output: {"S3Uri": "s3://bucket/key"}`: the model's answer body is written to that
//!   object, and in the result "the API response body is replaced with a reference to the
//!   Amazon S3 location of the original output". No page or recorded execution shows that
//!   reference's shape; asl gives `"Body": {"S3Uri": "s3://bucket/key"}`, the shape the state
//!   wrote it in (inferred).
//!
//! Neither field is sent to Bedrock. The objects are read and written with S3's `GetObject`
//! and `PutObject` through the same model-driven client (and so the same endpoint overrides:
//! `--endpoint-url`, `AWS_ENDPOINT_URL_S3`), their bytes passed through untouched. A failing
//! S3 call fails the state with S3's own error as the AWS SDK integration names it
//! (`S3.NoSuchKeyException`, `S3.S3Exception`; inferred: AWS documents no error of its own
//! for these reads and writes). A field given wrongly (both `Body` and `Input`, an `S3Uri`
//! that is not `s3://bucket/key`) fails the state with `States.Runtime`, like any parameter
//! the call cannot take.

use super::api_handler::{answered, sdk_error};
use super::params::ParamError;
use super::protocol::ServiceError;
use super::transport::ApiClient;
use crate::engine::{TaskError, TaskRequest};
use serde_json::{Value, json};

/// An S3 object named by an `S3Uri`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct S3Object {
    pub bucket: String,
    pub key: String,
    /// The URI as the state gave it.
    pub uri: String,
}

impl S3Object {
    /// `s3://bucket/key` (the key may hold slashes); `None` for anything else.
    pub fn parse(uri: &str) -> Option<S3Object> {
        let rest = uri.strip_prefix("s3://")?;
        let (bucket, key) = rest.split_once('/')?;
        if bucket.is_empty() || key.is_empty() {
            return None;
        }
        Some(S3Object {
            bucket: bucket.to_string(),
            key: key.to_string(),
            uri: uri.to_string(),
        })
    }
}

/// The S3 objects a state names, taken out of its parameters.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct S3Io {
    pub input: Option<S3Object>,
    pub output: Option<S3Object>,
}

/// Removes `Input` and `Output` from the parameters and reads their objects; refuses `Body`
/// and `Input` together and anything but `{"S3Uri": "s3://bucket/key"}`.
pub(super) fn take(params: &mut Value) -> Result<S3Io, ParamError> {
    let Value::Object(m) = params else {
        return Ok(S3Io::default());
    };
    let input = m.remove("Input");
    let output = m.remove("Output");
    if input.is_some() && m.get("Body").is_some_and(|b| !b.is_null()) {
        return Err(ParamError {
            pointer: "/Input".into(),
            message: "`Body` and `Input` cannot both be given: the request body is one or the \
                      other"
                .into(),
        });
    }
    Ok(S3Io {
        input: input.map(|v| object(&v, "/Input")).transpose()?,
        output: output.map(|v| object(&v, "/Output")).transpose()?,
    })
}

fn object(v: &Value, at: &str) -> Result<S3Object, ParamError> {
    let refuse = |pointer: String, message: String| ParamError { pointer, message };
    let Value::Object(m) = v else {
        return Err(refuse(
            at.into(),
            format!("expected an object with `S3Uri`, found {v}"),
        ));
    };
    if let Some(k) = m.keys().find(|k| *k != "S3Uri") {
        return Err(refuse(
            format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
            format!(
                "`{k}` is not a field of `{}` (it takes `S3Uri` only)",
                &at[1..]
            ),
        ));
    }
    let Some(uri) = m.get("S3Uri") else {
        return Err(refuse(at.into(), "`S3Uri` is missing".into()));
    };
    uri.as_str().and_then(S3Object::parse).ok_or_else(|| {
        refuse(
            format!("{at}/S3Uri"),
            format!("expected an S3 URI `s3://bucket/key`, found {uri}"),
        )
    })
}

/// Reads the object the request body comes from; when the parameters give no `ContentType`,
/// the object's becomes it.
pub(super) async fn read(
    client: &ApiClient,
    request: &TaskRequest,
    from: &S3Object,
    params: &mut Value,
) -> Result<Vec<u8>, TaskError> {
    let s3 = ApiClient::service("s3").map_err(|e| super::api_handler::call_fault(request, e))?;
    let prefix = s3.entry.error_prefix;
    let input = json!({"Bucket": from.bucket, "Key": from.key});
    let result = client.call_raw(&s3, "GetObject", &input).await;
    let (answer, bytes) = match result {
        Ok((answer, bytes)) => (Ok(answer), bytes),
        Err(e) => (Err(e), Vec::new()),
    };
    let named = |e: &ServiceError| sdk_error(&s3, prefix, e);
    let (got, _) = answered(request, prefix, answer, &named)?;
    if let (Value::Object(m), Some(t)) = (params, got.get("ContentType"))
        && m.get("ContentType").is_none_or(Value::is_null)
    {
        m.insert("ContentType".into(), t.clone());
    }
    Ok(bytes)
}

/// Writes the answer's body to the object and puts the reference to it in its place.
pub(super) async fn write(
    client: &ApiClient,
    request: &TaskRequest,
    to: &S3Object,
    out: &mut Value,
) -> Result<(), TaskError> {
    let s3 = ApiClient::service("s3").map_err(|e| super::api_handler::call_fault(request, e))?;
    let prefix = s3.entry.error_prefix;
    // The answer's blob is base64, which is also how the model-driven client takes a blob's
    // exact bytes.
    let mut input = json!({
        "Bucket": to.bucket,
        "Key": to.key,
        "Body": out.get("Body").cloned().unwrap_or_else(|| json!("")),
    });
    if let Some(t) = out.get("ContentType") {
        input["ContentType"] = t.clone();
    }
    let named = |e: &ServiceError| sdk_error(&s3, prefix, e);
    let result = client.call(&s3, "PutObject", &input).await;
    answered(request, prefix, result, &named)?;
    if let Value::Object(m) = out {
        m.insert("Body".into(), reference(to));
    }
    Ok(())
}

/// What the result holds in place of a body written to S3.
pub(super) fn reference(to: &S3Object) -> Value {
    json!({ "S3Uri": to.uri })
}

#[cfg(test)]
mod tests {
    use super::super::model::Service;
    use super::super::protocol::{HttpRequest, HttpResponse};
    use super::super::transport::{Transport, TransportError};
    use super::super::{ApiHandler, PollPolicy};
    use super::*;
    use crate::definition::Resource;
    use crate::engine::Failure;
    use futures::future::BoxFuture;
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    /// An object's bytes and content type.
    type Object = (Vec<u8>, Option<String>);

    /// S3 (objects by `/bucket/key`, 404 `NoSuchKey` / `NoSuchBucket` otherwise; buckets named
    /// `missing-*` do not exist) and Bedrock's `InvokeModel` (one fixed answer); remembers
    /// every request by service.
    struct Fake {
        objects: Mutex<BTreeMap<String, Object>>,
        answer: (Vec<u8>, &'static str),
        seen: Mutex<Vec<(String, HttpRequest)>>,
    }

    impl Fake {
        fn new(answer: &[u8], content_type: &'static str) -> Arc<Fake> {
            Arc::new(Fake {
                objects: Mutex::default(),
                answer: (answer.to_vec(), content_type),
                seen: Mutex::default(),
            })
        }

        fn put(&self, path: &str, bytes: &[u8], content_type: Option<&str>) {
            self.objects.lock().unwrap().insert(
                path.into(),
                (bytes.to_vec(), content_type.map(str::to_string)),
            );
        }

        fn seen(&self, service: &str) -> Vec<HttpRequest> {
            let seen = self.seen.lock().unwrap();
            seen.iter()
                .filter(|(s, _)| s == service)
                .map(|(_, r)| r.clone())
                .collect()
        }
    }

    fn s3_error(code: &str, message: &str) -> HttpResponse {
        HttpResponse {
            status: 404,
            headers: vec![("x-amz-request-id".into(), "rid-s3".into())],
            body: format!("<Error><Code>{code}</Code><Message>{message}</Message></Error>")
                .into_bytes(),
        }
    }

    impl Transport for Fake {
        fn send<'a>(
            &'a self,
            service: &'a Service,
            request: HttpRequest,
        ) -> BoxFuture<'a, Result<HttpResponse, TransportError>> {
            let name = service.entry.sdk_name.to_string();
            self.seen
                .lock()
                .unwrap()
                .push((name.clone(), request.clone()));
            let ok = |headers: Vec<(String, String)>, body: Vec<u8>| HttpResponse {
                status: 200,
                headers,
                body,
            };
            let answer = match (name.as_str(), request.method.as_str()) {
                ("s3", _) if request.path.starts_with("/missing-") => {
                    s3_error("NoSuchBucket", "The specified bucket does not exist")
                }
                ("s3", "GET") => match self.objects.lock().unwrap().get(&request.path) {
                    Some((bytes, t)) => ok(
                        t.iter()
                            .map(|t| ("content-type".to_string(), t.clone()))
                            .collect(),
                        bytes.clone(),
                    ),
                    None => s3_error("NoSuchKey", "The specified key does not exist."),
                },
                ("s3", "PUT") => {
                    let t = request
                        .headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                        .map(|(_, v)| v.clone());
                    self.put(&request.path, &request.body, t.as_deref());
                    ok(vec![("etag".into(), "\"e\"".into())], Vec::new())
                }
                ("bedrockruntime", "POST") => ok(
                    vec![("content-type".into(), self.answer.1.into())],
                    self.answer.0.clone(),
                ),
                other => panic!("unexpected request {other:?}"),
            };
            Box::pin(async move { Ok(answer) })
        }
    }

    fn invoke(fake: &Arc<Fake>, params: Value) -> Result<Value, TaskError> {
        let mut client = ApiClient::new(fake.clone(), Duration::from_secs(5));
        client.backoff = Duration::from_millis(1);
        let handler = ApiHandler::new(client, PollPolicy::default());
        let request = TaskRequest {
            state_name: "Ask".into(),
            resource: Resource::parse("arn:aws:states:::bedrock:invokeModel"),
            input: params,
            credentials: None,
            task_token: None,
            timeout: None,
            heartbeat: None,
            context: json!({}),
            submitted: None,
            started: None,
            visit: 0,
        };
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(handler.run(&request))
    }

    fn header<'a>(r: &'a HttpRequest, name: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The failure's error and cause.
    fn failed(r: Result<Value, TaskError>) -> (String, String) {
        match r {
            Err(TaskError::Failed(Failure { error, cause, .. })) => {
                (error, cause.unwrap_or_default())
            }
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn input_sends_the_objects_exact_bytes_with_its_content_type() {
        let fake = Fake::new(
            br#"{"results": [{"outputText": "Ada"}]}"#,
            "application/json",
        );
        // Not UTF-8: only the bytes themselves can carry it.
        let prompt = [0xff, 0x00, b'{', 0xfe];
        fake.put("/prompts/in/p.bin", &prompt, Some("application/x-prompt"));
        let out = invoke(
            &fake,
            json!({"ModelId": "amazon.titan", "Input": {"S3Uri": "s3://prompts/in/p.bin"}}),
        )
        .unwrap();
        assert_eq!(
            out,
            json!({"Body": {"results": [{"outputText": "Ada"}]}, "ContentType": "application/json"})
        );
        let sent = fake.seen("bedrockruntime");
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].path, "/model/amazon.titan/invoke");
        assert_eq!(sent[0].body, prompt);
        assert_eq!(
            header(&sent[0], "content-type"),
            Some("application/x-prompt")
        );

        // A ContentType the state gives wins over the object's.
        let out = invoke(
            &fake,
            json!({"ModelId": "m", "ContentType": "application/json",
                   "Input": {"S3Uri": "s3://prompts/in/p.bin"}}),
        );
        assert!(out.is_ok(), "{out:?}");
        let sent = fake.seen("bedrockruntime");
        assert_eq!(header(&sent[1], "content-type"), Some("application/json"));
    }

    #[test]
    fn output_writes_the_answer_and_the_result_refers_to_it() {
        let answer = br#"{"completion": "four names"}"#;
        let fake = Fake::new(answer, "application/json");
        let out = invoke(
            &fake,
            json!({"ModelId": "m", "Body": {"prompt": "names?"},
                   "Output": {"S3Uri": "s3://answers/run/1.json"}}),
        )
        .unwrap();
        assert_eq!(
            out,
            json!({"Body": {"S3Uri": "s3://answers/run/1.json"}, "ContentType": "application/json"})
        );
        let objects = fake.objects.lock().unwrap();
        let (bytes, t) = &objects["/answers/run/1.json"];
        assert_eq!(bytes.as_slice(), answer);
        assert_eq!(t.as_deref(), Some("application/json"));
        // Bedrock got the Body as JSON text, and nothing of `Output`.
        let sent = fake.seen("bedrockruntime");
        assert_eq!(sent[0].body, br#"{"prompt":"names?"}"#);
        assert!(sent[0].path_and_query().ends_with("/invoke"));
    }

    #[test]
    fn input_and_output_together_move_the_bytes_both_ways() {
        let fake = Fake::new(&[0x80, 0x81], "application/octet-stream");
        fake.put("/b/q", b"{\"q\": 1}", None);
        let out = invoke(
            &fake,
            json!({"ModelId": "m", "Input": {"S3Uri": "s3://b/q"},
                   "Output": {"S3Uri": "s3://b/a"}}),
        )
        .unwrap();
        assert_eq!(out["Body"], json!({"S3Uri": "s3://b/a"}));
        assert_eq!(fake.objects.lock().unwrap()["/b/a"].0, [0x80, 0x81]);
        // The object had no content type, so none is sent.
        assert_eq!(
            header(&fake.seen("bedrockruntime")[0], "content-type"),
            None
        );
    }

    #[test]
    fn s3_errors_fail_the_state_with_s3s_names_and_bedrock_is_not_called_for_a_missing_input() {
        let fake = Fake::new(b"{}", "application/json");
        let (error, cause) = failed(invoke(
            &fake,
            json!({"ModelId": "m", "Input": {"S3Uri": "s3://b/none.json"}}),
        ));
        assert_eq!(error, "S3.NoSuchKeyException");
        assert!(
            cause.contains("The specified key does not exist. (Service: S3, Status Code: 404"),
            "{}",
            cause
        );
        assert!(fake.seen("bedrockruntime").is_empty());

        let (error, cause) = failed(invoke(
            &fake,
            json!({"ModelId": "m", "Body": "{}", "Output": {"S3Uri": "s3://missing-bucket/a"}}),
        ));
        assert_eq!(error, "S3.NoSuchBucketException");
        assert!(cause.contains("(Service: S3"), "{cause}");
    }

    #[test]
    fn a_wrong_field_fails_the_state_before_any_call() {
        let fake = Fake::new(b"{}", "application/json");
        let (error, cause) = failed(invoke(
            &fake,
            json!({"ModelId": "m", "Body": {"a": 1}, "Input": {"S3Uri": "s3://b/k"}}),
        ));
        assert_eq!(error, "States.Runtime");
        assert!(cause.contains("`Body` and `Input` cannot both be given: the request body is one or the other (at /Input)"), "{}", cause);
        let (error, cause) = failed(invoke(
            &fake,
            json!({"ModelId": "m", "Body": "{}", "Output": {"S3Uri": "https://b/k"}}),
        ));
        assert_eq!(error, "States.Runtime");
        assert!(cause.contains("(at /Output/S3Uri)"), "{}", cause);
        assert!(fake.seen.lock().unwrap().is_empty());
    }

    #[test]
    fn an_s3_uri_names_a_bucket_and_a_key() {
        let o = S3Object::parse("s3://b/dir/k.json").unwrap();
        assert_eq!((o.bucket.as_str(), o.key.as_str()), ("b", "dir/k.json"));
        for bad in ["s3://b", "s3://b/", "s3:///k", "https://b/k", "b/k", ""] {
            assert_eq!(S3Object::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn input_and_output_leave_the_parameters_and_the_rest_stays() {
        let mut p = json!({
            "ModelId": "m",
            "Input": {"S3Uri": "s3://in/prompt.json"},
            "Output": {"S3Uri": "s3://out/a/answer.json"},
            "Accept": "application/json"
        });
        let io = take(&mut p).unwrap();
        assert_eq!(p, json!({"ModelId": "m", "Accept": "application/json"}));
        assert_eq!(io.input.unwrap().key, "prompt.json");
        let out = io.output.unwrap();
        assert_eq!(
            (out.bucket.as_str(), out.key.as_str()),
            ("out", "a/answer.json")
        );
        let mut plain = json!({"ModelId": "m", "Body": "{}"});
        assert_eq!(take(&mut plain).unwrap(), S3Io::default());
        assert_eq!(plain, json!({"ModelId": "m", "Body": "{}"}));
    }

    #[test]
    fn body_with_input_and_malformed_fields_are_refused_where_they_are() {
        let cases = [
            (
                json!({"Body": {"a": 1}, "Input": {"S3Uri": "s3://b/k"}}),
                "/Input",
                "cannot both",
            ),
            (json!({"Input": "s3://b/k"}), "/Input", "expected an object"),
            (json!({"Output": {}}), "/Output", "`S3Uri` is missing"),
            (
                json!({"Output": {"S3Uri": "s3://b"}}),
                "/Output/S3Uri",
                "s3://bucket/key",
            ),
            (
                json!({"Input": {"S3Uri": "s3://b/k", "Bucket": "b"}}),
                "/Input/Bucket",
                "not a field of `Input`",
            ),
        ];
        for (mut p, at, says) in cases {
            let e = take(&mut p).unwrap_err();
            assert_eq!(e.pointer, at, "{p}");
            assert!(e.message.contains(says), "{}", e.message);
        }
    }
}
