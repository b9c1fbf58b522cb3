//! `arn:aws:states:::lambda:invoke` and the legacy `arn:aws:lambda:...:function:NAME` form.
//!
//! The optimised integration answers with Step Functions' envelope (`ExecutedVersion`,
//! `Payload`, `SdkHttpMetadata`, `SdkResponseMetadata`, `StatusCode`); the legacy form with the
//! function's payload alone. A function error becomes the error named by the payload's
//! `errorType` (or `Lambda.Unknown`) with the payload as cause; a service error becomes
//! `Lambda.<code>` (`Lambda.TooManyRequestsException`, `Lambda.ServiceException`, ...).

use super::client::{ApiError, InvokeRequest, InvokeResponse, LambdaApi};
use crate::engine::{Failure, Fault, TaskError};
use serde_json::{Value, json};

pub(super) async fn invoke(api: &dyn LambdaApi, params: &Value) -> Result<Value, TaskError> {
    let request = request(params)?;
    let event = request.invocation_type.as_deref() == Some("Event");
    let r = api.invoke(request).await.map_err(service_error)?;
    function_error(&r)?;
    Ok(envelope(&r, event))
}

pub(super) async fn invoke_legacy(
    api: &dyn LambdaApi,
    function: &str,
    input: &Value,
) -> Result<Value, TaskError> {
    let (name, qualifier) = split_qualifier(function);
    let request = InvokeRequest {
        function_name: name.to_string(),
        payload: Some(input.to_string().into_bytes()),
        qualifier: qualifier.map(str::to_string),
        ..InvokeRequest::default()
    };
    let r = api.invoke(request).await.map_err(service_error)?;
    function_error(&r)?;
    Ok(payload(&r.payload))
}

/// `NAME:QUALIFIER` from the function part of a legacy ARN.
fn split_qualifier(f: &str) -> (&str, Option<&str>) {
    match f.split_once(':') {
        Some((n, q)) if !q.is_empty() => (n, Some(q)),
        _ => (f, None),
    }
}

fn request(params: &Value) -> Result<InvokeRequest, TaskError> {
    let bad = |m: String| TaskError::Failed(Failure::new("States.Runtime", m));
    let Some(p) = params.as_object() else {
        return Err(bad(format!(
            "lambda:invoke expects an object of parameters with `FunctionName`, found {params}"
        )));
    };
    let text = |k: &str| -> Result<Option<String>, TaskError> {
        match p.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(bad(format!(
                "lambda:invoke parameter `{k}` must be a string, found {v}"
            ))),
        }
    };
    let Some(function_name) = text("FunctionName")? else {
        return Err(bad(
            "lambda:invoke needs the parameter `FunctionName`".into()
        ));
    };
    for k in p.keys() {
        if !matches!(
            k.as_str(),
            "FunctionName"
                | "Payload"
                | "Qualifier"
                | "InvocationType"
                | "LogType"
                | "ClientContext"
        ) {
            return Err(TaskError::Fault(Fault::new(format!(
                "lambda:invoke parameter `{k}` is not supported by asl (it knows FunctionName, Payload, Qualifier, InvocationType, LogType, ClientContext)"
            ))));
        }
    }
    Ok(InvokeRequest {
        function_name,
        payload: p.get("Payload").map(|v| v.to_string().into_bytes()),
        qualifier: text("Qualifier")?,
        invocation_type: text("InvocationType")?,
        log_type: text("LogType")?,
        client_context: text("ClientContext")?,
    })
}

/// A service error is a Lambda.* failure; not reaching the service is a fault.
pub(super) fn service_error(e: ApiError) -> TaskError {
    match e.code {
        Some(code) => TaskError::Failed(Failure::new(format!("Lambda.{code}"), e.message)),
        None => TaskError::Fault(Fault::new(format!("cannot call AWS Lambda: {}", e.message))),
    }
}

fn function_error(r: &InvokeResponse) -> Result<(), TaskError> {
    if r.function_error.is_none() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&r.payload).to_string();
    let error = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| {
            v.get("errorType")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| "Lambda.Unknown".to_string());
    Err(TaskError::Failed(Failure {
        error,
        cause: Some(text),
    }))
}

/// The payload as JSON; text that is not JSON stays a string, nothing is `""` (as for
/// `InvocationType: Event`).
fn payload(bytes: &[u8]) -> Value {
    let text = String::from_utf8_lossy(bytes);
    if text.trim().is_empty() {
        return json!("");
    }
    serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.to_string()))
}

fn envelope(r: &InvokeResponse, event: bool) -> Value {
    let request_id = r
        .request_id
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let mut headers = serde_json::Map::new();
    headers.insert("Connection".into(), json!("keep-alive"));
    headers.insert("Content-Length".into(), json!(r.payload.len().to_string()));
    headers.insert("Content-Type".into(), json!("application/json"));
    if let Some(v) = &r.executed_version {
        headers.insert("X-Amz-Executed-Version".into(), json!(v));
    }
    headers.insert("x-amzn-Remapped-Content-Length".into(), json!("0"));
    headers.insert("x-amzn-RequestId".into(), json!(request_id));
    let all: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(k, v)| (k.clone(), json!([v])))
        .collect();
    let mut out = serde_json::Map::new();
    if let Some(v) = &r.executed_version
        && !event
    {
        out.insert("ExecutedVersion".into(), json!(v));
    }
    out.insert("Payload".into(), payload(&r.payload));
    out.insert(
        "SdkHttpMetadata".into(),
        json!({"AllHttpHeaders": all, "HttpHeaders": headers, "HttpStatusCode": r.status_code}),
    );
    out.insert(
        "SdkResponseMetadata".into(),
        json!({"RequestId": request_id}),
    );
    out.insert("StatusCode".into(), json!(r.status_code));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::future::BoxFuture;
    use std::sync::Mutex;

    /// Answers every invoke with a fixed result and remembers the requests.
    struct Fake {
        answer: Result<InvokeResponse, ApiError>,
        seen: Mutex<Vec<InvokeRequest>>,
    }

    impl LambdaApi for Fake {
        fn invoke(&self, r: InvokeRequest) -> BoxFuture<'_, Result<InvokeResponse, ApiError>> {
            self.seen.lock().unwrap().push(r);
            let a = self.answer.clone();
            Box::pin(async move { a })
        }
    }

    fn fake(answer: Result<InvokeResponse, ApiError>) -> Fake {
        Fake {
            answer,
            seen: Mutex::new(Vec::new()),
        }
    }

    fn ok(payload: &str) -> InvokeResponse {
        InvokeResponse {
            status_code: 200,
            executed_version: Some("$LATEST".into()),
            payload: payload.as_bytes().to_vec(),
            request_id: Some("req-1".into()),
            ..InvokeResponse::default()
        }
    }

    fn block<T>(f: impl std::future::Future<Output = T>) -> T {
        super::super::ecs::tests::block(f)
    }

    #[test]
    fn answers_with_aws_envelope() {
        let f = fake(Ok(ok(r#"{"chunks": [1]}"#)));
        let v = block(invoke(
            &f,
            &json!({"FunctionName": "prepare", "Payload": {"a": 1}, "Qualifier": "live"}),
        ))
        .unwrap();
        assert_eq!(
            v,
            json!({
                "ExecutedVersion": "$LATEST",
                "Payload": {"chunks": [1]},
                "SdkHttpMetadata": {
                    "AllHttpHeaders": {"Connection": ["keep-alive"], "Content-Length": ["15"], "Content-Type": ["application/json"], "X-Amz-Executed-Version": ["$LATEST"], "x-amzn-Remapped-Content-Length": ["0"], "x-amzn-RequestId": ["req-1"]},
                    "HttpHeaders": {"Connection": "keep-alive", "Content-Length": "15", "Content-Type": "application/json", "X-Amz-Executed-Version": "$LATEST", "x-amzn-Remapped-Content-Length": "0", "x-amzn-RequestId": "req-1"},
                    "HttpStatusCode": 200
                },
                "SdkResponseMetadata": {"RequestId": "req-1"},
                "StatusCode": 200
            })
        );
        let seen = f.seen.lock().unwrap();
        assert_eq!(seen[0].function_name, "prepare");
        assert_eq!(seen[0].payload.as_deref(), Some(&b"{\"a\":1}"[..]));
        assert_eq!(seen[0].qualifier.as_deref(), Some("live"));
    }

    #[test]
    fn legacy_arns_answer_with_the_payload_and_pass_the_qualifier() {
        let f = fake(Ok(ok("[1,2]")));
        let v = block(invoke_legacy(&f, "fn:prod", &json!({"x": 1}))).unwrap();
        assert_eq!(v, json!([1, 2]));
        let seen = f.seen.lock().unwrap();
        assert_eq!(seen[0].function_name, "fn");
        assert_eq!(seen[0].qualifier.as_deref(), Some("prod"));
    }

    #[test]
    fn function_errors_are_named_by_error_type_with_the_payload_as_cause() {
        let body = r#"{"errorType":"ValueError","errorMessage":"bad chunk"}"#;
        let f = fake(Ok(InvokeResponse {
            function_error: Some("Unhandled".into()),
            ..ok(body)
        }));
        match block(invoke(&f, &json!({"FunctionName": "f"}))) {
            Err(TaskError::Failed(x)) => assert_eq!(x, Failure::new("ValueError", body)),
            other => panic!("{other:?}"),
        }
        let f = fake(Ok(InvokeResponse {
            function_error: Some("Unhandled".into()),
            ..ok("Task timed out")
        }));
        match block(invoke_legacy(&f, "f", &json!({}))) {
            Err(TaskError::Failed(x)) => assert_eq!(x.error, "Lambda.Unknown"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn service_errors_are_lambda_failures_and_unreachable_services_faults() {
        let f = fake(Err(ApiError::service(
            "TooManyRequestsException",
            "Rate exceeded",
        )));
        match block(invoke(&f, &json!({"FunctionName": "f"}))) {
            Err(TaskError::Failed(x)) => {
                assert_eq!(
                    x,
                    Failure::new("Lambda.TooManyRequestsException", "Rate exceeded")
                )
            }
            other => panic!("{other:?}"),
        }
        let f = fake(Err(ApiError::local("dispatch failure")));
        assert!(matches!(
            block(invoke(&f, &json!({"FunctionName": "f"}))),
            Err(TaskError::Fault(_))
        ));
    }

    #[test]
    fn event_invocations_have_an_empty_payload() {
        let f = fake(Ok(InvokeResponse {
            status_code: 202,
            ..InvokeResponse::default()
        }));
        let v = block(invoke(
            &f,
            &json!({"FunctionName": "f", "InvocationType": "Event"}),
        ))
        .unwrap();
        assert_eq!(v["StatusCode"], json!(202));
        assert_eq!(v["Payload"], json!(""));
    }
}
