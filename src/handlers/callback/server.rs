//! The callback endpoint: a minimal HTTP/1.1 server for three Step Functions operations.
//!
//! Requests are AWS's JSON 1.0 protocol as the SDKs and the AWS CLI send them:
//! `POST /` with `X-Amz-Target: AWSStepFunctions.SendTaskSuccess` (or `SendTaskFailure`,
//! `SendTaskHeartbeat`), `Content-Type: application/x-amz-json-1.0` and a JSON body
//! (`{"taskToken", "output"}`, `{"taskToken", "error", "cause"}`, `{"taskToken"}`). Answers are
//! `200 {}` or AWS's error shape: status 400, header `x-amzn-ErrorType`, body
//! `{"__type": "...#TaskDoesNotExist", "message": ...}`.
//!
//! Hand-written over tokio's `TcpListener` rather than hyper: one request per connection
//! (`Connection: close`), three operations, no TLS; the SDKs reconnect as needed. Requests are
//! not authenticated (signatures are ignored): the server listens on loopback only and tokens
//! are 384-bit random values.
//!
//! Connections are bounded so that clients holding them open cannot starve the run of file
//! descriptors (with a low `ulimit -n`, the run's next local command could not start): at most
//! [`MAX_CONNECTIONS`] are served at once — the next ones wait in the kernel's listen queue,
//! not in this process — and a client silent for [`IDLE_TIMEOUT`], or slower than
//! [`REQUEST_TIMEOUT`] in all, is answered 408 and closed.

use super::tokens::{Callback, Refused, Tokens};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const MAX_HEAD: usize = 64 * 1024;
/// A request body larger than this is refused (413) before it is read: the largest valid one,
/// an `output` of 256 KiB in JSON escapes, fits.
const MAX_BODY: usize = 1024 * 1024;
/// How long a client may take to send its request; a slower one gets 408 and is closed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client may stay silent while sending its request (before its first byte too).
const IDLE_TIMEOUT: Duration = Duration::from_secs(2);
/// How many connections are served at once. A callback is one short request; SDK clients
/// whose connection is not accepted yet wait in the listen queue until a slot frees.
pub const MAX_CONNECTIONS: usize = 16;

/// The bounds a server applies (tests shorten them).
#[derive(Debug, Clone, Copy)]
struct Limits {
    connections: usize,
    idle: Duration,
    request: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connections: MAX_CONNECTIONS,
            idle: IDLE_TIMEOUT,
            request: REQUEST_TIMEOUT,
        }
    }
}
/// AWS's length limits of `SendTaskSuccess` / `SendTaskFailure` fields, in characters.
const MAX_OUTPUT: usize = 262_144;
const MAX_ERROR: usize = 256;
const MAX_CAUSE: usize = 32_768;

/// The callback endpoint of one run. Bound before the run (so its address can be printed);
/// serving starts on first use, on the run's runtime.
pub struct CallbackServer {
    tokens: Arc<Tokens>,
    addr: SocketAddr,
    listener: Mutex<Option<std::net::TcpListener>>,
    limits: Limits,
}

impl CallbackServer {
    /// Binds 127.0.0.1:`port` (0: an ephemeral port).
    pub fn bind(port: u16) -> std::io::Result<Arc<CallbackServer>> {
        Self::bind_with(port, Limits::default())
    }

    fn bind_with(port: u16, limits: Limits) -> std::io::Result<Arc<CallbackServer>> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
        listener.set_nonblocking(true)?;
        Ok(Arc::new(CallbackServer {
            tokens: Tokens::new(),
            addr: listener.local_addr()?,
            listener: Mutex::new(Some(listener)),
            limits,
        }))
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn tokens(&self) -> &Arc<Tokens> {
        &self.tokens
    }

    /// Starts accepting connections on the current tokio runtime (once; later calls do
    /// nothing).
    pub fn start(&self) {
        let Some(std_listener) = self
            .listener
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        else {
            return;
        };
        let Ok(listener) = tokio::net::TcpListener::from_std(std_listener) else {
            say!("asl: warning: the callback endpoint could not be started");
            return;
        };
        let tokens = Arc::clone(&self.tokens);
        let limits = self.limits;
        let slots = Arc::new(tokio::sync::Semaphore::new(limits.connections));
        tokio::spawn(async move {
            loop {
                // A slot first, then the connection: past the bound, clients wait in the
                // listen queue, holding none of this process's file descriptors.
                let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
                    return;
                };
                let Ok((stream, _)) = listener.accept().await else {
                    // Out of file descriptors, say: accept fails until some close; wait a
                    // little rather than retry in a tight loop.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let tokens = Arc::clone(&tokens);
                tokio::spawn(async move {
                    // Answering is bounded too: a client that never reads cannot hold the slot.
                    let _ = tokio::time::timeout(
                        limits.request + limits.idle,
                        serve(stream, &tokens, limits),
                    )
                    .await;
                    drop(slot);
                });
            }
        });
    }
}

/// Reads one request, answers it, closes the connection.
async fn serve(mut stream: TcpStream, tokens: &Tokens, limits: Limits) -> std::io::Result<()> {
    let request = tokio::time::timeout(limits.request, read_request(&mut stream, limits.idle))
        .await
        .unwrap_or_else(|_| {
            Ok(Err((
                "408 Request Timeout",
                "the request did not arrive in time".into(),
            )))
        })?;
    let (status, body, error_type) = match request {
        Ok((target, body)) => handle(&target, &body, tokens),
        Err((status, msg)) => (status, json!({"message": msg}), None),
    };
    let body = body.to_string();
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\nx-amzn-RequestId: {}\r\nConnection: close\r\n",
        body.len(),
        uuid::Uuid::new_v4()
    );
    if let Some(t) = error_type {
        head.push_str(&format!("x-amzn-ErrorType: {t}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}

type Request = Result<(String, Vec<u8>), (&'static str, String)>;

/// Reads what arrives next, or `None` after `idle` of silence.
async fn read_some(
    stream: &mut TcpStream,
    chunk: &mut [u8],
    idle: Duration,
) -> std::io::Result<Option<usize>> {
    match tokio::time::timeout(idle, stream.read(chunk)).await {
        Ok(n) => n.map(Some),
        Err(_) => Ok(None),
    }
}

/// Returns the `X-Amz-Target` and the body, or an HTTP status and message.
async fn read_request(stream: &mut TcpStream, idle: Duration) -> std::io::Result<Request> {
    let silent = || {
        Ok(Err((
            "408 Request Timeout",
            format!("the client sent nothing for {} ms", idle.as_millis()),
        )))
    };
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_HEAD {
            return Ok(Err((
                "431 Request Header Fields Too Large",
                "headers too large".into(),
            )));
        }
        let Some(n) = read_some(stream, &mut chunk, idle).await? else {
            return silent();
        };
        if n == 0 {
            return Ok(Err(("400 Bad Request", "incomplete request".into())));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let method = lines
        .next()
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or("");
    let mut target = String::new();
    let mut length = 0usize;
    let mut expect_continue = false;
    for line in lines {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        match k.trim().to_ascii_lowercase().as_str() {
            "x-amz-target" => target = v.to_string(),
            "content-length" => length = v.parse().unwrap_or(0),
            "expect" => expect_continue = v.eq_ignore_ascii_case("100-continue"),
            _ => {}
        }
    }
    if method != "POST" {
        return Ok(Err((
            "405 Method Not Allowed",
            "the callback endpoint answers POST requests only".into(),
        )));
    }
    if length > MAX_BODY {
        return Ok(Err((
            "413 Payload Too Large",
            "request body too large".into(),
        )));
    }
    if expect_continue {
        stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
    }
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let Some(n) = read_some(stream, &mut chunk, idle).await? else {
            return silent();
        };
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Ok(Ok((target, body)))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// AWS's error answer.
fn error(code: &str, message: &str) -> (&'static str, Value, Option<String>) {
    (
        "400 Bad Request",
        json!({"__type": format!("com.amazonaws.swf.service.v2.model#{code}"), "message": message}),
        Some(code.to_string()),
    )
}

/// Answers one operation: `(status, body, x-amzn-ErrorType)`.
fn handle(target: &str, body: &[u8], tokens: &Tokens) -> (&'static str, Value, Option<String>) {
    let op = target.strip_prefix("AWSStepFunctions.").unwrap_or("");
    if !matches!(
        op,
        "SendTaskSuccess" | "SendTaskFailure" | "SendTaskHeartbeat"
    ) {
        return error(
            "UnknownOperationException",
            &format!(
                "the local callback endpoint answers only AWSStepFunctions.SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat (X-Amz-Target was `{target}`)"
            ),
        );
    }
    let Ok(Value::Object(req)) = serde_json::from_slice::<Value>(body) else {
        return error(
            "SerializationException",
            "the request body is not a JSON object",
        );
    };
    let str_field = |k: &str| req.get(k).and_then(Value::as_str).map(str::to_string);
    let Some(token) = str_field("taskToken") else {
        return error(
            "ValidationException",
            "1 validation error detected: Value null at 'taskToken' failed to satisfy constraint: Member must not be null",
        );
    };
    for (field, max) in [
        ("output", MAX_OUTPUT),
        ("error", MAX_ERROR),
        ("cause", MAX_CAUSE),
    ] {
        if str_field(field).is_some_and(|v| v.chars().count() > max) {
            return error(
                "ValidationException",
                &format!(
                    "1 validation error detected: Value at '{field}' failed to satisfy constraint: Member must have length less than or equal to {max}"
                ),
            );
        }
    }
    let cb = match op {
        "SendTaskSuccess" => {
            let Some(output) = str_field("output") else {
                return error(
                    "ValidationException",
                    "1 validation error detected: Value null at 'output' failed to satisfy constraint: Member must not be null",
                );
            };
            match serde_json::from_str(&output) {
                Ok(v) => Callback::Success(v),
                Err(_) => {
                    return error(
                        "InvalidOutput",
                        "Invalid Output: 'output is not valid JSON'",
                    );
                }
            }
        }
        "SendTaskFailure" => Callback::Failure {
            error: str_field("error"),
            cause: str_field("cause"),
        },
        _ => Callback::Heartbeat,
    };
    match tokens.send(&token, cb) {
        Ok(()) => ("200 OK", json!({}), None),
        Err(Refused::InvalidToken) => error("InvalidToken", "Invalid Token: 'Invalid token'"),
        Err(Refused::TaskDoesNotExist) => error(
            "TaskDoesNotExist",
            "Task Does Not Exist: 'Provided task does not exist'",
        ),
        Err(Refused::TaskTimedOut) => error(
            "TaskTimedOut",
            "Task Timed Out: 'Provided task does not exist anymore'",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn idle_connections_are_capped_and_closed_and_callbacks_still_get_through() {
        // Pins: the endpoint accepted every connection and kept each up to 10 s, so clients
        // holding connections open could use up the run's file descriptors (with a low
        // `ulimit -n`, the next local command could not start). Now at most `connections` are
        // open at once, the rest wait in the kernel's queue, and a silent client is closed.
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        // Connections the server holds: established sockets on its port that a process owns
        // (an inode); those still in the listen queue have none.
        let held = |port: u16| {
            let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
            table
                .lines()
                .skip(1)
                .filter(|l| {
                    let f: Vec<&str> = l.split_whitespace().collect();
                    f.len() > 9
                        && f[1].ends_with(&format!(":{port:04X}"))
                        && f[3] == "01"
                        && f[9] != "0"
                })
                .count()
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let limits = Limits {
                connections: 4,
                idle: Duration::from_millis(100),
                request: Duration::from_secs(5),
            };
            let server = CallbackServer::bind_with(0, limits).expect("binds");
            server.start();
            let mut idle = Vec::new();
            for _ in 0..20 {
                idle.push(TcpStream::connect(server.addr).await.expect("connects"));
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
            let served = held(server.addr.port());
            assert!((1..=4).contains(&served), "{served} connections held by the server");
            // A silent client is answered 408 and closed.
            let mut first = idle.remove(0);
            let mut answer = String::new();
            tokio::time::timeout(Duration::from_secs(3), first.read_to_string(&mut answer))
                .await
                .expect("closed in time")
                .expect("reads");
            assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
            // A real callback behind the idle ones is answered once they are closed.
            let mut client = TcpStream::connect(server.addr).await.expect("connects");
            let body = r#"{"taskToken":"unknown"}"#;
            let request = format!(
                "POST / HTTP/1.1\r\nX-Amz-Target: AWSStepFunctions.SendTaskHeartbeat\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            client.write_all(request.as_bytes()).await.expect("sends");
            let mut answer = String::new();
            tokio::time::timeout(Duration::from_secs(5), client.read_to_string(&mut answer))
                .await
                .expect("answered in time")
                .expect("reads");
            assert!(answer.contains("TaskDoesNotExist"), "{answer}");
        });
    }

    #[test]
    fn answers_the_three_operations_and_aws_errors() {
        let t = Tokens::new();
        let mut r = t.register("tok");
        let (s, b, _) = handle(
            "AWSStepFunctions.SendTaskHeartbeat",
            br#"{"taskToken":"tok"}"#,
            &t,
        );
        assert_eq!((s, b), ("200 OK", json!({})));
        let (s, _, e) = handle(
            "AWSStepFunctions.SendTaskSuccess",
            br#"{"taskToken":"tok","output":"{bad"}"#,
            &t,
        );
        assert_eq!(
            (s, e.as_deref()),
            ("400 Bad Request", Some("InvalidOutput"))
        );
        let (s, _, _) = handle(
            "AWSStepFunctions.SendTaskSuccess",
            br#"{"taskToken":"tok","output":"{\"a\":1}"}"#,
            &t,
        );
        assert_eq!(s, "200 OK");
        assert_eq!(r.rx.try_recv().ok(), Some(Callback::Heartbeat));
        assert_eq!(
            r.rx.try_recv().ok(),
            Some(Callback::Success(json!({"a": 1})))
        );
        let (_, b, e) = handle(
            "AWSStepFunctions.SendTaskFailure",
            br#"{"taskToken":"tok","error":"E"}"#,
            &t,
        );
        assert_eq!(e.as_deref(), Some("TaskTimedOut"));
        assert_eq!(
            b["__type"],
            json!("com.amazonaws.swf.service.v2.model#TaskTimedOut")
        );
        let (_, _, e) = handle(
            "AWSStepFunctions.SendTaskFailure",
            br#"{"taskToken":"zz"}"#,
            &t,
        );
        assert_eq!(e.as_deref(), Some("TaskDoesNotExist"));
        let (_, _, e) = handle(
            "AWSStepFunctions.SendTaskFailure",
            br#"{"taskToken":"z z"}"#,
            &t,
        );
        assert_eq!(e.as_deref(), Some("InvalidToken"));
        let (_, _, e) = handle("AWSStepFunctions.StartExecution", b"{}", &t);
        assert_eq!(e.as_deref(), Some("UnknownOperationException"));
    }

    #[test]
    fn fields_longer_than_aws_allows_are_refused_and_the_token_stays_open() {
        let t = Tokens::new();
        let mut r = t.register("tok");
        let long = |n: usize| "x".repeat(n);
        for (op, body) in [
            (
                "SendTaskSuccess",
                json!({"taskToken": "tok", "output": format!("\"{}\"", long(MAX_OUTPUT))}),
            ),
            (
                "SendTaskFailure",
                json!({"taskToken": "tok", "error": long(MAX_ERROR + 1)}),
            ),
            (
                "SendTaskFailure",
                json!({"taskToken": "tok", "cause": long(MAX_CAUSE + 1)}),
            ),
        ] {
            let (s, _, e) = handle(
                &format!("AWSStepFunctions.{op}"),
                body.to_string().as_bytes(),
                &t,
            );
            assert_eq!(
                (s, e.as_deref()),
                ("400 Bad Request", Some("ValidationException")),
                "{op}"
            );
        }
        assert!(r.rx.try_recv().is_err());
        let at_limit =
            json!({"taskToken": "tok", "error": long(MAX_ERROR), "cause": long(MAX_CAUSE)});
        let (s, _, _) = handle(
            "AWSStepFunctions.SendTaskFailure",
            at_limit.to_string().as_bytes(),
            &t,
        );
        assert_eq!(s, "200 OK");
    }
}
