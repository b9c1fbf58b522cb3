//! The HTTP side: hyper's HTTP/1 server on the current runtime, AWS's JSON 1.0 framing.
//!
//! Every request is `POST /` with `X-Amz-Target: AWSStepFunctions.<Operation>` and a JSON
//! object body (the SDKs send `{}` for an operation without members). Answers are
//! `application/x-amz-json-1.0`; errors carry `x-amzn-ErrorType` and
//! `{"__type", "message"}` (see [`ApiError`]). Signatures are not checked: the server is for
//! local tests and binds loopback unless told otherwise.

use super::{ApiError, Server};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response};
use serde_json::Value;
use std::convert::Infallible;
use std::sync::Arc;

/// The largest request body read: a definition (1 MiB) or an input (256 KiB) in JSON
/// escapes fits; a larger one is refused with 413 before more is read.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// Serves the API on `listener` until `stop` says the process is stopped (Ctrl-C, SIGTERM;
/// already listening for them when the server starts).
pub async fn serve(
    server: Arc<Server>,
    listener: tokio::net::TcpListener,
    mut stop: std::pin::Pin<Box<dyn std::future::Future<Output = &'static str>>>,
) -> std::io::Result<()> {
    loop {
        let (stream, _) = tokio::select! {
            a = listener.accept() => match a {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors, say: wait a moment rather than spin.
                    say!("asl serve: cannot accept a connection: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            why = &mut stop => {
                say!("asl serve: {why}: stopping the running executions");
                server.stop_all(&format!("asl serve stopped ({why})")).await;
                return Ok(());
            }
        };
        let server = server.clone();
        tokio::task::spawn_local(async move {
            let service = hyper::service::service_fn(move |req| answer(server.clone(), req));
            let io = hyper_util::rt::TokioIo::new(stream);
            // A client closing its connection mid-request is its business, not an error here.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await;
        });
    }
}

fn json_response(status: u16, body: &Value, error: Option<&str>) -> Response<Full<Bytes>> {
    let mut b = Response::builder()
        .status(status)
        .header("Content-Type", "application/x-amz-json-1.0")
        .header("x-amzn-RequestId", uuid::Uuid::new_v4().to_string());
    if let Some(e) = error {
        b = b.header("x-amzn-ErrorType", e);
    }
    let text = serde_json::to_vec(body).unwrap_or_default();
    b.body(Full::new(Bytes::from(text)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

fn error_response(e: &ApiError) -> Response<Full<Bytes>> {
    json_response(e.status, &e.body(), Some(e.code))
}

async fn answer(
    server: Arc<Server>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if req.method() == hyper::Method::GET {
        let page = super::web::page(&server, req.uri().path(), req.uri().query().unwrap_or(""));
        let (status, body) = match page {
            Some(p) => (200, p),
            None => (404, "not found\n".to_string()),
        };
        return Ok(Response::builder()
            .status(status)
            .header("Content-Type", "text/html; charset=utf-8")
            .body(Full::new(Bytes::from(body)))
            .unwrap_or_else(|_| Response::new(Full::new(Bytes::new()))));
    }
    if req.method() != hyper::Method::POST {
        return Ok(error_response(&ApiError::new(
            "UnknownOperationException",
            "asl serve answers the Step Functions API: POST / with X-Amz-Target",
        )));
    }
    let Some(operation) = target.strip_prefix("AWSStepFunctions.").map(str::to_string) else {
        return Ok(error_response(&ApiError::new(
            "UnknownOperationException",
            format!("unknown operation target `{target}`: expected AWSStepFunctions.<Operation>"),
        )));
    };
    let bytes = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            let e = ApiError {
                code: "ValidationException",
                message: format!("the request body is larger than {MAX_BODY} bytes"),
                status: 413,
            };
            return Ok(error_response(&e));
        }
    };
    let body: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(e) => {
                return Ok(error_response(&ApiError::new(
                    "SerializationException",
                    format!("the request body is not JSON: {e}"),
                )));
            }
        }
    };
    let Value::Object(body) = body else {
        return Ok(error_response(&ApiError::new(
            "SerializationException",
            "the request body must be a JSON object",
        )));
    };
    Ok(match server.dispatch(&operation, &body).await {
        Ok(v) => json_response(200, &v, None),
        Err(e) => error_response(&e),
    })
}
