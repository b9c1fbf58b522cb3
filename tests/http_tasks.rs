//! `apigateway:invoke` and `http:invoke` (the HTTP Task) against a small echo server in the
//! test (a std `TcpListener` on 127.0.0.1): the request each integration sends, the result
//! shape, the error names of answers outside 2xx, and, against moto, an EventBridge
//! connection's API key and invocation parameters added to the request.
#![cfg(feature = "aws")]

use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;

const ASL: &str = env!("CARGO_BIN_EXE_asl");

/// Answers every request with a JSON echo of it (method, target, headers in lower case, body
/// text); a target starting with `/status/NNN` answers with that status.
fn echo_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let (head, body) = loop {
                let n = s.read(&mut chunk).unwrap_or(0);
                if n == 0 {
                    break (String::new(), Vec::new());
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..i]).to_string();
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse().ok())?
                        })
                        .unwrap_or(0);
                    let mut body = buf[i + 4..].to_vec();
                    while body.len() < len {
                        let n = s.read(&mut chunk).unwrap_or(0);
                        if n == 0 {
                            break;
                        }
                        body.extend_from_slice(&chunk[..n]);
                    }
                    break (head, body);
                }
            };
            let mut lines = head.lines();
            let request_line = lines.next().unwrap_or_default().to_string();
            let mut parts = request_line.split(' ');
            let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            // A header sent more than once is echoed with its values joined by ", ".
            let mut headers = serde_json::Map::new();
            for (k, v) in lines.filter_map(|l| l.split_once(':')) {
                let k = k.trim().to_ascii_lowercase();
                let v = match headers.get(&k).and_then(Value::as_str) {
                    Some(before) => format!("{before}, {}", v.trim()),
                    None => v.trim().to_string(),
                };
                headers.insert(k, json!(v));
            }
            let status = target
                .strip_prefix("/status/")
                .and_then(|r| r.get(..3))
                .unwrap_or("200");
            let answer = json!({"method": method, "target": target, "headers": headers,
                "body": String::from_utf8_lossy(&body)})
            .to_string();
            let _ = write!(
                s,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    url
}

/// `asl run` of `def` with every Task on AWS, in `region` unless `args` names another.
fn run(def: &Value, args: &[&str]) -> (i32, Value, String) {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("http-tasks");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("m{}-{n}.asl.json", std::process::id()));
    std::fs::write(&path, def.to_string()).unwrap();
    let o = Command::new(ASL)
        .arg("run")
        .arg(&path)
        .args(["--aws-all", "--result-format", "json"])
        .args(if args.contains(&"--region") {
            &[][..]
        } else {
            &["--region", "eu-west-1"][..]
        })
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).to_string();
    let out = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    (o.status.code().unwrap_or(-1), out, stderr)
}

fn task(resource: &str, params: Value) -> Value {
    json!({"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": format!("arn:aws:states:::{resource}"), "Parameters": params, "End": true}}})
}

#[test]
fn api_gateway_invoke_sends_stage_path_query_headers_and_body_and_answers_in_its_shape() {
    let url = echo_server();
    let (code, out, err) = run(
        &task(
            "apigateway:invoke",
            json!({
            "ApiEndpoint": url, "Method": "POST", "Stage": "prod", "Path": "orders/7",
            "QueryParameters": {"q": ["a b", "c"]},
            "Headers": {"X-Trace": ["t1", "t2"]},
            "RequestBody": {"id": 7, "note": null}}),
        ),
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let o = &out["output"];
    assert_eq!(o["StatusCode"], 200);
    assert_eq!(o["StatusText"], "OK");
    assert_eq!(o["Headers"]["Content-Type"], json!(["application/json"]));
    let echo = &o["ResponseBody"];
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["target"], "/prod/orders/7?q=a%20b&q=c");
    assert_eq!(echo["headers"]["x-trace"], "t1, t2");
    // Nulls inside the body are dropped unless AllowNullValues says otherwise.
    assert_eq!(echo["body"], "{\"id\":7}");

    let (code, out, _) = run(
        &task(
            "apigateway:invoke",
            json!({"ApiEndpoint": url, "Method": "GET", "Path": "status/403"}),
        ),
        &[],
    );
    assert_eq!(code, 1);
    assert_eq!(out["error"], "ApiGateway.403");
    let cause: Value = serde_json::from_str(out["cause"].as_str().unwrap()).unwrap();
    assert_eq!(cause["target"], "/status/403");
}

#[test]
fn the_http_task_encodes_queries_and_forms_by_its_transform_and_names_bad_statuses() {
    let url = echo_server();
    let (code, out, err) = run(
        &task(
            "http:invoke",
            json!({
            "ApiEndpoint": format!("{url}/hook"), "Method": "POST",
            "Authentication": {"ConnectionArn": "arn:aws:events:eu-west-1:123456789012:connection/c/1"},
            "QueryParameters": {"ids": [1, 2]},
            "Headers": {"X-Kind": "test"},
            "RequestBody": {"tags": ["a", "b"], "n": 1},
            "Transform": {"RequestBodyEncoding": "URL_ENCODED",
                "RequestEncodingOptions": {"ArrayFormat": "BRACKETS"}}}),
        ),
        &["--http-auth", "none"],
    );
    assert_eq!(code, 0, "{err}");
    let echo = &out["output"]["ResponseBody"];
    assert_eq!(echo["target"], "/hook?ids%5B%5D=1&ids%5B%5D=2");
    assert_eq!(
        echo["headers"]["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(echo["headers"]["x-kind"], "test");
    assert_eq!(
        echo["headers"]["user-agent"],
        "Amazon|StepFunctions|HttpInvoke|eu-west-1"
    );
    assert_eq!(echo["body"], "tags%5B%5D=a&tags%5B%5D=b&n=1");

    let (code, out, _) = run(
        &task(
            "http:invoke",
            json!({"ApiEndpoint": format!("{url}/status/503"), "Method": "GET",
            "Authentication": {"ConnectionArn": "arn:aws:events:eu-west-1:123456789012:connection/c/1"}}),
        ),
        &["--http-auth", "none"],
    );
    assert_eq!(code, 1);
    assert_eq!(out["error"], "States.Http.StatusCode.503");

    // Without --http-auth none the connection is read from AWS; unreachable, it is a fault.
    let (code, _, err) = run(
        &task(
            "http:invoke",
            json!({"ApiEndpoint": url, "Method": "GET",
            "Authentication": {"ConnectionArn": "arn:aws:events:eu-west-1:123456789012:connection/c/1"}}),
        ),
        &["--endpoint-url", "http://127.0.0.1:9"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot read its connection") && err.contains("--http-auth none"),
        "{err}"
    );
}

#[test]
fn the_http_task_adds_its_connections_api_key_and_parameters() {
    let Ok(moto) = std::env::var("ASL_MOTO_ENDPOINT") else {
        eprintln!("skipped: ASL_MOTO_ENDPOINT is not set (run scripts/moto-tests.sh)");
        return;
    };
    let url = echo_server();
    let def = json!({"StartAt": "Connection", "States": {
        "Connection": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:eventbridge:createConnection",
            "Parameters": {"Name": "asl-api", "AuthorizationType": "API_KEY",
                "AuthParameters": {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "s3cret"},
                    "InvocationHttpParameters": {"HeaderParameters": [{"Key": "x-team", "Value": "blue", "IsValueSecret": false}]}}},
            "ResultPath": "$.connection", "Next": "Call"},
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
            "Parameters": {"ApiEndpoint": format!("{url}/with-key"), "Method": "GET",
                "Headers": {"x-team": "red"},
                "Authentication": {"ConnectionArn.$": "$.connection.ConnectionArn"}},
            "End": true}}});
    let (code, out, err) = run(&def, &["--endpoint-url", &moto, "--region", "us-east-1"]);
    assert_eq!(code, 0, "{err}");
    let headers = &out["output"]["ResponseBody"]["headers"];
    assert_eq!(headers["x-api-key"], "s3cret");
    // The connection's parameters win over the task's.
    assert_eq!(headers["x-team"], "blue");
}
