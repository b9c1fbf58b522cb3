//! `asl run` against AWS endpoints that misbehave: a closed port, a server that never answers,
//! HTTP 500, throttling, malformed and truncated answers. Each gives the error a user's Catch
//! sees on AWS (`Lambda.ServiceException`, `Lambda.ClientExecutionTimeoutException`, ...) or
//! a clear fault (exit 2), in bounded time, and never prints the credentials.
//!
//! The endpoint is a tiny HTTP server in the test (a std `TcpListener` on 127.0.0.1), given
//! to `asl` as `--endpoint-url`.
#![cfg(feature = "aws")]

use serde_json::Value;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ASL: &str = env!("CARGO_BIN_EXE_asl");
const SECRET: &str = "faultTestSecretKey0123456789abcdefSECRET";
const SESSION: &str = "faultTestSessionToken0123456789SESSION";

/// What the fake endpoint does with a request.
#[derive(Clone)]
enum Reply {
    /// Keep the connection open and never answer.
    Hang,
    /// Write these bytes, then close.
    Raw(Vec<u8>),
    /// Wait, then write these bytes and close.
    Later(Duration, Vec<u8>),
}

fn http(status: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut r = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    r.push_str("Connection: close\r\n\r\n");
    r.push_str(body);
    Reply::Raw(r.into_bytes())
}

/// A fake AWS endpoint on 127.0.0.1 that answers every request with `reply`; counts them.
struct Endpoint {
    url: String,
    requests: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<String>>>,
}

fn serve(reply: Reply) -> Endpoint {
    serve_with(move |_| reply.clone())
}

/// A fake endpoint whose answer depends on the request's head.
fn serve_with(reply: impl Fn(&str) -> Reply + Send + 'static) -> Endpoint {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (n, s) = (Arc::clone(&requests), Arc::clone(&seen));
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let head = read_request(&mut stream);
            let answer = reply(&head);
            s.lock().unwrap().push(head);
            n.fetch_add(1, Ordering::SeqCst);
            match &answer {
                Reply::Hang => held.push(stream),
                Reply::Later(after, bytes) => {
                    let (after, bytes) = (*after, bytes.clone());
                    std::thread::spawn(move || {
                        std::thread::sleep(after);
                        let _ = stream.write_all(&bytes);
                    });
                }
                Reply::Raw(bytes) => {
                    let _ = stream.write_all(bytes);
                    let _ = stream.flush();
                }
            }
        }
    });
    Endpoint {
        url,
        requests,
        seen,
    }
}

/// Reads one request's head and body (by Content-Length); returns the head.
fn read_request(s: &mut TcpStream) -> String {
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return String::from_utf8_lossy(&buf).into(),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_string();
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < end + len {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    head
}

/// A port nothing listens on.
fn closed_port() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    url
}

fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("aws-faults-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// One Task on `resource` whose every error is caught into `$.error`.
fn machine(resource: &str, params: &str) -> String {
    format!(
        r#"{{"StartAt": "Call", "States": {{"Call": {{"Type": "Task", "Resource": "{resource}",
  "Parameters": {params},
  "Catch": [{{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}}],
  "End": true}},
  "Caught": {{"Type": "Pass", "End": true}}}}}}"#
    )
}

const LAMBDA: &str = "arn:aws:states:::lambda:invoke";
const LAMBDA_PARAMS: &str = r#"{"FunctionName": "work", "Payload": {"n": 1}}"#;
const ECS: &str = "arn:aws:states:::ecs:runTask";
const ECS_PARAMS: &str = r#"{"Cluster": "c", "TaskDefinition": "td", "LaunchType": "FARGATE"}"#;

/// Runs `asl run` on `definition` against `endpoint` with secret credentials in the
/// environment; returns the output, how long it took and the history's text.
fn run_against(
    name: &str,
    definition: &str,
    endpoint: &str,
    extra: &[&str],
) -> (Output, Duration, String) {
    let d = scratch(name);
    std::fs::write(d.join("m.asl.json"), definition).unwrap();
    let empty = d.join("empty");
    std::fs::write(&empty, "").unwrap();
    let started = Instant::now();
    let o = Command::new(ASL)
        .args([
            "run",
            "m.asl.json",
            "--input",
            "{}",
            "--aws-all",
            "--endpoint-url",
            endpoint,
            "--region",
            "us-east-1",
            "--result-format",
            "json",
            "--history",
            "h.json",
        ])
        .args(extra)
        .current_dir(&d)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env("AWS_ACCESS_KEY_ID", "AKIAFAULTTEST")
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_SESSION_TOKEN", SESSION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", &empty)
        .env("AWS_SHARED_CREDENTIALS_FILE", &empty)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let took = started.elapsed();
    let history = std::fs::read_to_string(d.join("h.json")).unwrap_or_default();
    let all = format!(
        "{}{}{history}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        !all.contains(SECRET) && !all.contains(SESSION),
        "credentials were printed: {all}"
    );
    (o, took, history)
}

/// The error a Catch saw, from `--result-format json`'s output.
fn caught(o: &Output) -> (String, String) {
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&o.stderr)
        )
    });
    assert_eq!(v["status"], "SUCCEEDED", "{v}");
    let e = &v["output"]["error"];
    (
        e["Error"].as_str().unwrap_or_default().to_string(),
        e["Cause"].as_str().unwrap_or_default().to_string(),
    )
}

#[test]
fn a_refused_connection_is_a_fault_that_names_the_service() {
    for (name, resource, params, service) in [
        ("refused-lambda", LAMBDA, LAMBDA_PARAMS, "AWS Lambda"),
        ("refused-ecs", ECS, ECS_PARAMS, "Amazon ECS"),
    ] {
        let (o, took, _) = run_against(name, &machine(resource, params), &closed_port(), &[]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!("cannot call {service}")),
            "{stderr}"
        );
        assert!(stderr.contains("Connection refused"), "{stderr}");
        // Said once, without the SDK's debug dump.
        assert!(!stderr.contains("DispatchFailure {"), "{stderr}");
        assert!(took < Duration::from_secs(20), "took {took:?}");
        assert!(o.stdout.is_empty(), "no run result for a fault");
    }
}

#[test]
fn a_server_that_never_answers_gives_a_client_timeout_a_catch_sees() {
    for (name, resource, params, error) in [
        (
            "hang-lambda",
            LAMBDA,
            LAMBDA_PARAMS,
            "Lambda.ClientExecutionTimeoutException",
        ),
        (
            "hang-ecs",
            ECS,
            ECS_PARAMS,
            "ECS.ClientExecutionTimeoutException",
        ),
    ] {
        let ep = serve(Reply::Hang);
        let (o, took, history) = run_against(
            name,
            &machine(resource, params),
            &ep.url,
            &["--aws-timeout", "2"],
        );
        assert_eq!(caught(&o).0, error);
        assert!(took < Duration::from_secs(15), "took {took:?}");
        assert!(history.contains("\"TaskFailed\""), "{history}");
        assert!(ep.requests.load(Ordering::SeqCst) >= 1);
    }
}

#[test]
fn http_500_is_the_services_exception() {
    // A 500 that names its error, and a bare one (an HTML page from a proxy).
    let named = serve(http(
        "500 Internal Server Error",
        &[("x-amzn-ErrorType", "ServiceException")],
        r#"{"Type":"Service","message":"the service is down"}"#,
    ));
    let (o, took, _) = run_against(
        "500-lambda",
        &machine(LAMBDA, LAMBDA_PARAMS),
        &named.url,
        &[],
    );
    assert_eq!(
        caught(&o),
        (
            "Lambda.ServiceException".to_string(),
            "the service is down".to_string()
        )
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
    // The SDK retries a 500 before giving up: at most three attempts.
    let n = named.requests.load(Ordering::SeqCst);
    assert!((1..=3).contains(&n), "{n} requests");
    let bare = serve(http(
        "500 Internal Server Error",
        &[("Content-Type", "text/html")],
        "<html><body>oops</body></html>",
    ));
    let (o, _, _) = run_against(
        "500-bare-lambda",
        &machine(LAMBDA, LAMBDA_PARAMS),
        &bare.url,
        &[],
    );
    assert_eq!(caught(&o).0, "Lambda.ServiceException");
    let (o, _, _) = run_against("500-bare-ecs", &machine(ECS, ECS_PARAMS), &bare.url, &[]);
    assert_eq!(caught(&o).0, "ECS.AmazonECSException");
}

#[test]
fn throttling_is_the_services_throttling_error() {
    let lambda = serve(http(
        "429 Too Many Requests",
        &[
            ("x-amzn-ErrorType", "TooManyRequestsException"),
            ("Content-Type", "application/json"),
        ],
        r#"{"Type":"User","message":"Rate exceeded","Reason":"ReservedFunctionConcurrentInvocationLimitExceeded"}"#,
    ));
    let (o, took, _) = run_against(
        "429-lambda",
        &machine(LAMBDA, LAMBDA_PARAMS),
        &lambda.url,
        &[],
    );
    assert_eq!(
        caught(&o),
        (
            "Lambda.TooManyRequestsException".to_string(),
            "Rate exceeded".to_string()
        )
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
    let ecs = serve(http(
        "400 Bad Request",
        &[("Content-Type", "application/x-amz-json-1.1")],
        r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
    ));
    let (o, _, _) = run_against("throttle-ecs", &machine(ECS, ECS_PARAMS), &ecs.url, &[]);
    assert_eq!(
        caught(&o),
        (
            "ECS.ThrottlingException".to_string(),
            "Rate exceeded".to_string()
        )
    );
    // The request really was an ECS RunTask.
    let seen = ecs.seen.lock().unwrap();
    assert!(
        seen[0]
            .to_ascii_lowercase()
            .contains("x-amz-target: amazonec2containerservicev20141113.runtask"),
        "{}",
        seen[0]
    );
}

#[test]
fn malformed_and_truncated_answers_are_client_errors_a_catch_sees() {
    // ECS answers JSON; a 200 whose body is not JSON cannot be read.
    let ep = serve(http(
        "200 OK",
        &[("Content-Type", "application/x-amz-json-1.1")],
        r#"{"tasks": [{"taskArn": "#,
    ));
    let (o, _, _) = run_against("malformed-ecs", &machine(ECS, ECS_PARAMS), &ep.url, &[]);
    assert_eq!(caught(&o).0, "ECS.SdkClientException", "{:?}", caught(&o));
    // Lambda's answer is the function's payload: text that is not JSON stays a string.
    let ep = serve(http(
        "200 OK",
        &[("X-Amz-Executed-Version", "$LATEST")],
        "not json {",
    ));
    let (o, _, _) = run_against(
        "malformed-lambda",
        &machine(LAMBDA, LAMBDA_PARAMS).replace(
            "\"Catch\"",
            "\"ResultSelector\": {\"p.$\": \"$.Payload\"}, \"Catch\"",
        ),
        &ep.url,
        &[],
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["output"], serde_json::json!({"p": "not json {"}), "{v}");
    // A body cut short of its Content-Length.
    let ep = serve(Reply::Raw(
        b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n{\"Payload\""
            .to_vec(),
    ));
    let (o, took, _) = run_against(
        "truncated-lambda",
        &machine(LAMBDA, LAMBDA_PARAMS),
        &ep.url,
        &[],
    );
    let (error, _) = caught(&o);
    assert_eq!(error, "Lambda.SdkClientException");
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

/// An ECS endpoint that starts one task on RunTask (and never reports it stopped) and answers
/// StopTask, or never answers it.
fn ecs_with_a_running_task(stop_answers: bool) -> Endpoint {
    ecs_answering_run_task_after(Duration::ZERO, stop_answers)
}

fn ecs_answering_run_task_after(delay: Duration, stop_answers: bool) -> Endpoint {
    serve_with(move |head| {
        let target = head.to_ascii_lowercase();
        if target.contains(".describetasks") {
            http(
                "400 Bad Request",
                &[("Content-Type", "application/x-amz-json-1.1")],
                r#"{"__type":"AccessDeniedException","message":"not allowed to describe"}"#,
            )
        } else if target.contains(".runtask") {
            let answer = http(
                "200 OK",
                &[("Content-Type", "application/x-amz-json-1.1")],
                r#"{"tasks": [{"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/c/0a1b2c", "lastStatus": "PENDING", "desiredStatus": "RUNNING"}], "failures": []}"#,
            );
            match answer {
                Reply::Raw(bytes) if !delay.is_zero() => Reply::Later(delay, bytes),
                other => other,
            }
        } else if target.contains(".stoptask") && !stop_answers {
            Reply::Hang
        } else {
            http(
                "200 OK",
                &[("Content-Type", "application/x-amz-json-1.1")],
                r#"{"task": {"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/c/0a1b2c", "lastStatus": "STOPPED"}}"#,
            )
        }
    })
}

fn seen(ep: &Endpoint, target: &str) -> bool {
    ep.seen
        .lock()
        .unwrap()
        .iter()
        .any(|h| h.to_ascii_lowercase().contains(target))
}

/// Waits (bounded) until `cond` holds.
#[cfg(unix)]
fn wait_for(what: &str, secs: u64, cond: impl Fn() -> bool) {
    let began = Instant::now();
    while !cond() {
        assert!(
            began.elapsed() < Duration::from_secs(secs),
            "{what} did not happen within {secs} s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts `asl run` on one `ecs:runTask.sync` state against `ep`, and waits until it has
/// started the task.
#[cfg(unix)]
fn start_sync_run(name: &str, ep: &Endpoint) -> std::process::Child {
    let d = scratch(name);
    std::fs::write(
        d.join("m.asl.json"),
        machine(&format!("{ECS}.sync"), ECS_PARAMS),
    )
    .unwrap();
    let empty = d.join("empty");
    std::fs::write(&empty, "").unwrap();
    let child = Command::new(ASL)
        .args(["run", "m.asl.json", "--aws-all", "--endpoint-url", &ep.url])
        .args([
            "--region",
            "us-east-1",
            "--result-format",
            "json",
            "--clock",
            "real",
        ])
        .args(["--ecs-poll-ms", "600000", "--aws-timeout", "30"])
        .current_dir(&d)
        .env_remove("AWS_PROFILE")
        .env("AWS_ACCESS_KEY_ID", "AKIAFAULTTEST")
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", &empty)
        .env("AWS_SHARED_CREDENTIALS_FILE", &empty)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("RunTask", 20, || seen(ep, ".runtask"));
    child
}

#[cfg(unix)]
fn signal(child: &std::process::Child, sig: libc::c_int) {
    // SAFETY: sending a signal to a child process this test started.
    unsafe {
        libc::kill(child.id() as libc::pid_t, sig);
    }
}

#[cfg(unix)]
fn wait_exit(mut child: std::process::Child, secs: u64) -> Output {
    let began = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if began.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            panic!("asl did not end within {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[cfg(unix)]
#[test]
fn sigterm_stops_the_running_ecs_task_and_aborts() {
    let ep = ecs_with_a_running_task(true);
    let child = start_sync_run("sigterm-stop", &ep);
    // The answer is on its way; give asl a moment to read it.
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, libc::SIGTERM);
    let o = wait_exit(child, 30);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["status"], "ABORTED", "{v}");
    assert!(seen(&ep, ".stoptask"), "no StopTask call");
    assert!(
        stderr.contains("stopped ECS task arn:aws:ecs:us-east-1:123456789012:task/c/0a1b2c"),
        "{stderr}"
    );
    assert!(!stderr.contains(SECRET), "{stderr}");
}

#[cfg(unix)]
#[test]
fn a_second_signal_does_not_wait_for_a_stop_task_that_hangs() {
    let ep = ecs_with_a_running_task(false);
    let child = start_sync_run("sigterm-twice", &ep);
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, libc::SIGTERM);
    wait_for("StopTask", 20, || seen(&ep, ".stoptask"));
    let again = Instant::now();
    signal(&child, libc::SIGTERM);
    let o = wait_exit(child, 20);
    // Well before the 30 s the StopTask call could take.
    assert!(
        again.elapsed() < Duration::from_secs(10),
        "{:?}",
        again.elapsed()
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["status"], "ABORTED", "{v}");
    assert!(stderr.contains("not waiting for StopTask"), "{stderr}");
}

#[test]
fn a_sync_task_whose_describe_fails_is_stopped_and_the_error_caught() {
    let ep = ecs_with_a_running_task(true);
    let (o, took, _) = run_against(
        "describe-fails",
        &machine(&format!("{ECS}.sync"), ECS_PARAMS),
        &ep.url,
        &["--ecs-poll-ms", "20"],
    );
    assert_eq!(
        caught(&o),
        (
            "ECS.AccessDeniedException".to_string(),
            "not allowed to describe".to_string()
        )
    );
    assert!(took < Duration::from_secs(20), "took {took:?}");
    // The task may still run: asl stopped it rather than forget it.
    assert!(seen(&ep, ".stoptask"), "no StopTask call");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("stopped ECS task"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn a_task_started_while_the_run_is_aborted_is_stopped_too() {
    // SIGTERM arrives while RunTask is under way; its answer comes after.
    let ep = ecs_answering_run_task_after(Duration::from_millis(1500), true);
    let child = start_sync_run("sigterm-mid-run-task", &ep);
    signal(&child, libc::SIGTERM);
    let o = wait_exit(child, 30);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["status"], "ABORTED", "{v}");
    assert!(
        seen(&ep, ".stoptask"),
        "the task started by the aborted RunTask was left running: {stderr}"
    );
}
