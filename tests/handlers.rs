//! `asl run` with local command handlers, handler configurations and task-token callbacks,
//! through the binary.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const ASL: &str = env!("CARGO_BIN_EXE_asl");

/// A fresh folder under the target dir for one test's files.
fn scratch(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("handlers-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(ASL)
        .arg("run")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

const ONE_TASK: &str = r#"{"StartAt": "Work", "States": {"Work": {"Type": "Task",
  "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"n.$": "$.n"},
  "Retry": [{"ErrorEquals": ["Busy"], "MaxAttempts": 1, "IntervalSeconds": 1}],
  "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],
  "End": true},
  "Caught": {"Type": "Pass", "End": true}}}"#;

#[test]
fn a_local_command_gets_the_effective_input_on_stdin_and_answers_on_stdout() {
    let d = scratch("stdin");
    write(&d, "m.asl.json", ONE_TASK);
    let o = run(
        &d,
        &[
            "m.asl.json",
            "--input",
            r#"{"n": 41, "other": true}"#,
            "--local",
            r#"Work=python3 -c 'import json,sys; v=json.load(sys.stdin); print(json.dumps({"got": v, "state": __import__("os").environ["ASL_STATE_NAME"]}))'"#,
        ],
    );
    assert_eq!(text(&o.stderr), "");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(text(&o.stdout), "{\"got\":{\"n\":41},\"state\":\"Work\"}\n");
}

#[test]
fn a_local_command_sees_the_context_object_in_its_environment() {
    let d = scratch("context");
    write(&d, "m.asl.json", ONE_TASK);
    let o = run(
        &d,
        &[
            "m.asl.json",
            "--input",
            r#"{"n": 1}"#,
            "--execution-name",
            "ctx-run",
            "--local",
            r#"Work=python3 -c 'import json,os; c=json.loads(os.environ["ASL_CONTEXT"]); print(json.dumps([c["Execution"]["Name"], c["Execution"]["Input"], c["State"]["Name"], c["State"]["RetryCount"]]))'"#,
        ],
    );
    assert_eq!(text(&o.stderr), "");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(text(&o.stdout), "[\"ctx-run\",{\"n\":1},\"Work\",0]\n");
}

#[test]
fn a_named_error_from_a_command_is_retried_then_caught() {
    let d = scratch("named");
    write(&d, "m.asl.json", ONE_TASK);
    write(
        &d,
        "fail.sh",
        "echo attempt >> attempts\necho '{\"Error\": \"Busy\", \"Cause\": \"try later\"}'\nexit 3\n",
    );
    let o = run(
        &d,
        &[
            "m.asl.json",
            "--input",
            "{\"n\": 1}",
            "--local",
            "Work=sh fail.sh",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        text(&o.stdout),
        "{\"n\":1,\"error\":{\"Error\":\"Busy\",\"Cause\":\"try later\"}}\n"
    );
    let attempts = std::fs::read_to_string(d.join("attempts")).unwrap();
    assert_eq!(attempts.lines().count(), 2, "one try and one retry");
}

#[test]
fn a_failing_command_without_a_named_error_is_states_task_failed_with_stderr() {
    let d = scratch("taskfailed");
    write(
        &d,
        "m.asl.json",
        r#"{"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}"#,
    );
    let o = run(
        &d,
        &[
            "m.asl.json",
            "--local",
            "Work=echo starting >&2; echo 'disk full' >&2; exit 4",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        text(&o.stderr),
        "execution failed: States.TaskFailed: the command exited with status 4: starting\ndisk full\n"
    );
}

#[test]
fn a_command_that_cannot_start_is_a_fault_no_catch_can_hide() {
    let d = scratch("fault");
    write(&d, "m.asl.json", ONE_TASK);
    write(
        &d,
        "h.json",
        r#"{"States": {"Work": {"Command": ["./no-such-program"]}}}"#,
    );
    let o = run(
        &d,
        &[
            "m.asl.json",
            "--handlers",
            "h.json",
            "--input",
            "{\"n\": 1}",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stdout));
    assert!(
        text(&o.stderr).contains("cannot start the command `./no-such-program` for state `Work`"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn timeout_seconds_kills_the_command_and_its_children() {
    let d = scratch("timeout");
    write(
        &d,
        "m.asl.json",
        r#"{"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": 1, "End": true}}}"#,
    );
    let started = Instant::now();
    let o = run(
        &d,
        &[
            "m.asl.json",
            "--local",
            "Work=(sleep 2; touch survived) & sleep 30",
        ],
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(text(&o.stderr), "execution failed: States.Timeout\n");
    std::thread::sleep(Duration::from_millis(2500));
    assert!(
        !d.join("survived").exists(),
        "a child of the command outlived the task"
    );
}

#[test]
fn commands_run_concurrently_in_a_parallel_state() {
    let d = scratch("parallel");
    let branch = |n: &str| {
        format!(
            r#"{{"StartAt": "{n}", "States": {{"{n}": {{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}}}}"#
        )
    };
    write(
        &d,
        "m.asl.json",
        &format!(
            r#"{{"StartAt": "P", "States": {{"P": {{"Type": "Parallel", "End": true, "Branches": [{}, {}, {}]}}}}}}"#,
            branch("A"),
            branch("B"),
            branch("C")
        ),
    );
    write(
        &d,
        "h.json",
        r#"{"States": {"?": {"Command": ["sh", "-c", "sleep 1; echo \"\\\"$ASL_STATE_NAME\\\"\""]}}}"#,
    );
    let started = Instant::now();
    let o = run(&d, &["m.asl.json", "--handlers", "h.json"]);
    let took = started.elapsed();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "[\"A\",\"B\",\"C\"]\n");
    assert!(
        took < Duration::from_millis(2500),
        "took {took:?}: not concurrent"
    );
}

#[test]
fn a_bad_handler_configuration_is_refused_before_the_run_with_its_location() {
    let d = scratch("badcfg");
    write(&d, "m.asl.json", ONE_TASK);
    write(
        &d,
        "h.json",
        "{\n  \"States\": {\n    \"Work\": {\"Command\": \"sh run.sh\"}\n  }\n}\n",
    );
    let o = run(&d, &["m.asl.json", "--handlers", "h.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        text(&o.stderr),
        "h.json:3:14: error: `Command` must be a non-empty array of strings: [\"program\", \"arg\", ...] (at /States/Work/Command)\n      \"Work\": {\"Command\": \"sh run.sh\"}\n               ^\n"
    );
    write(&d, "h.json", "{\"States\": {\"Wrok\": \"mock\"}}");
    let o = run(&d, &["m.asl.json", "--handlers", "h.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).starts_with(
            "h.json:1:13: error: `Wrok` is not a Task state of the definition (did you mean `Work`?) (at /States/Wrok)"
        ),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn unsupported_aws_integrations_and_unknown_states_are_refused_before_the_run() {
    let d = scratch("unsupported");
    write(
        &d,
        "m.asl.json",
        r#"{"StartAt": "First", "States": {
          "First": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Send"},
          "Send": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:review", "End": true}}}"#,
    );
    let o = run(
        &d,
        &[
            "m.asl.json",
            "--local",
            "First=touch ran; echo 1",
            "--aws",
            "Send",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("the Task state `Send` is routed to AWS (--aws Send), but its resource `arn:aws:states:us-east-1:123456789012:activity:review` cannot run there: an Activity is answered by a worker"),
        "{err}"
    );
    assert!(err.contains("--mock-config"), "{err}");
    assert!(!d.join("ran").exists(), "nothing may run before the checks");
    let o = run(&d, &["m.asl.json", "--local", "Frist=echo 1"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        text(&o.stderr),
        "error: `Frist` is not a Task state of the definition (did you mean `First`?)\n"
    );
    let o = run(&d, &["m.asl.json", "--local", "First=echo 1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains(
            "the Task state `Send` (resource `arn:aws:states:us-east-1:123456789012:activity:review`) has no handler: mock it in the mock file's test case (--mock-config, --test-case) or run it as a local command (--local 'Send=COMMAND')\n"
        ),
        "{}",
        text(&o.stderr)
    );
}

const WAIT: &str = r#"{"StartAt": "Approve", "States": {"Approve": {"Type": "Task",
  "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
  "Parameters": {"token.$": "$$.Task.Token"}, HEARTBEAT
  "Catch": [{"ErrorEquals": ["Rejected"], "Next": "No"}], "End": true},
  "No": {"Type": "Pass", "Result": "rejected", "End": true}}}"#;

/// Starts `asl run` on WAIT with a command that saves its token and endpoint to files.
const S3_MAP: &str = r#"{"StartAt": "Orders", "States": {"Orders": {"Type": "Map",
  "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
    "Parameters": {"Bucket": "b", "Key": "k.json"}},
  "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
    "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "Next": "Inline"},
  "Inline": {"Type": "Map", "ItemProcessor": {"StartAt": "Q", "States": {"Q": {"Type": "Pass", "End": true}}},
    "End": true}}}"#;

#[test]
fn a_map_reading_s3_is_routed_like_a_task_and_needs_a_place_for_its_objects() {
    let d = scratch("s3-map");
    write(&d, "m.asl.json", S3_MAP);
    // Not routed, no --s3-root: the Map says both ways to give it objects.
    let o = run(&d, &["m.asl.json", "--input", "{}"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains(
            "the Map state `Orders` reads or writes S3 objects: give `--s3-root DIR` (`s3://BUCKET/KEY` is the file DIR/BUCKET/KEY), or route it to AWS for the real S3 (`--aws Orders` or `--aws-all`)"
        ),
        "{}",
        text(&o.stderr)
    );
    // Only Map states that use S3 may be named; a Map is never a local command.
    let o = run(&d, &["m.asl.json", "--aws", "Inline"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        text(&o.stderr),
        "error: `Inline` is not a Task state of the definition\n"
    );
    let o = run(&d, &["m.asl.json", "--local", "Orders=cat"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("`Orders` is a Map state: it cannot run as a local command"),
        "{}",
        text(&o.stderr)
    );
    // --s3-root wins over a route to AWS: the objects are local files.
    std::fs::create_dir_all(d.join("root/b")).unwrap();
    write(&d.join("root/b"), "k.json", "[1, 2]");
    let o = run(
        &d,
        &[
            "m.asl.json",
            "--input",
            "{}",
            "--aws",
            "Orders",
            "--s3-root",
            "root",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "[1,2]\n");
    // A handlers file may name the Map, or route the S3 resources it calls.
    write(
        &d,
        "h.json",
        r#"{"Resources": {"arn:aws:states:::s3:*": "aws"}, "States": {"Orders": "aws"}}"#,
    );
    let o = run(
        &d,
        &[
            "m.asl.json",
            "--input",
            "{}",
            "--handlers",
            "h.json",
            "--s3-root",
            "root",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    write(
        &d,
        "cmd.json",
        r#"{"States": {"Orders": {"Command": ["cat"]}}}"#,
    );
    let o = run(
        &d,
        &["m.asl.json", "--handlers", "cmd.json", "--s3-root", "root"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).starts_with("error: `Orders` is a Map state: it cannot run as a local command (by cmd.json:1:13 (at /States/Orders))"),
        "{}",
        text(&o.stderr)
    );
}

#[cfg(feature = "aws")]
#[test]
fn s3_that_cannot_be_reached_ends_the_run_instead_of_failing_the_map() {
    let d = scratch("s3-unreachable");
    write(&d, "m.asl.json", S3_MAP);
    write(&d, "empty", "");
    // Nothing listens on the discard port; throwaway credentials, no profiles, no IMDS.
    let o = Command::new(ASL)
        .args(["run", "m.asl.json", "--input", "{}", "--aws", "Orders"])
        .args([
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--region",
            "us-east-1",
        ])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", d.join("empty"))
        .env("AWS_SHARED_CREDENTIALS_FILE", d.join("empty"))
        .env("AWS_MAX_ATTEMPTS", "1")
        .env_remove("AWS_PROFILE")
        .current_dir(&d)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("cannot reach S3: dispatch failure"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn a_child_machine_waiting_for_a_callback_cannot_run_on_step_functions() {
    let d = scratch("sfn-callback");
    write(
        &d,
        "m.asl.json",
        r#"{"StartAt": "Start", "States": {"Start": {"Type": "Task",
          "Resource": "arn:aws:states:::states:startExecution.waitForTaskToken",
          "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:C",
            "Input": {"token.$": "$$.Task.Token"}}, "End": true}}}"#,
    );
    let o = run(&d, &["m.asl.json", "--aws", "Start"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("the Task state `Start` is routed to AWS (--aws Start), but its resource `arn:aws:states:::states:startExecution.waitForTaskToken` cannot run there: a child machine on Step Functions cannot call back"),
        "{}",
        text(&o.stderr)
    );
}

fn start_waiting(d: &Path, heartbeat: &str, extra: &[&str]) -> std::process::Child {
    write(d, "m.asl.json", &WAIT.replace("HEARTBEAT", heartbeat));
    Command::new(ASL)
        .args([
            "run",
            "m.asl.json",
            "--local",
            "Approve=printf %s \"$ASL_CALLBACK_ENDPOINT\" > endpoint.tmp && mv endpoint.tmp endpoint; printf %s \"$ASL_TASK_TOKEN\" > token.tmp && mv token.tmp token",
        ])
        .args(extra)
        .current_dir(d)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn read_when_there(p: &Path) -> String {
    for _ in 0..200 {
        if let Ok(s) = std::fs::read_to_string(p) {
            return s;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("{} never appeared", p.display());
}

/// One AWS JSON 1.0 call, exactly as the SDKs send it. Returns (status line, body).
fn call(endpoint: &str, op: &str, body: &str) -> (String, String) {
    let addr = endpoint.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let req = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: AWSStepFunctions.{op}\r\nContent-Type: application/x-amz-json-1.0\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/states/aws4_request, SignedHeaders=host, Signature=00\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp.lines().next().unwrap_or("").to_string();
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

#[test]
fn send_task_success_completes_a_wait_for_task_token_state() {
    let d = scratch("callback");
    let child = start_waiting(&d, "", &[]);
    let endpoint = read_when_there(&d.join("endpoint"));
    let token = read_when_there(&d.join("token"));
    assert!(
        token.len() >= 32,
        "token `{token}` is too short to be unguessable"
    );
    // Begins as AWS's do, never with `-` (which a command line would read as an option).
    assert!(token.starts_with("AQ"), "{token}");
    let (st, body) = call(
        &endpoint,
        "SendTaskHeartbeat",
        &format!("{{\"taskToken\":\"{token}\"}}"),
    );
    assert_eq!((st.as_str(), body.as_str()), ("HTTP/1.1 200 OK", "{}"));
    let (st, body) = call(
        &endpoint,
        "SendTaskSuccess",
        "{\"taskToken\":\"unknown\",\"output\":\"{}\"}",
    );
    assert_eq!(st, "HTTP/1.1 400 Bad Request");
    assert!(body.contains("#TaskDoesNotExist"), "{body}");
    let output = serde_json::json!({"approved": true}).to_string();
    let req = serde_json::json!({"taskToken": token, "output": output}).to_string();
    let (st, _) = call(&endpoint, "SendTaskSuccess", &req);
    assert_eq!(st, "HTTP/1.1 200 OK");
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "{\"approved\":true}\n");
    assert!(
        text(&o.stderr).starts_with(&format!("asl: callback endpoint {endpoint} ")),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn send_task_failure_fails_the_state_with_the_callers_error() {
    let d = scratch("callback-failure");
    let child = start_waiting(&d, "", &[]);
    let endpoint = read_when_there(&d.join("endpoint"));
    let token = read_when_there(&d.join("token"));
    let req =
        serde_json::json!({"taskToken": token, "error": "Rejected", "cause": "no"}).to_string();
    let (st, _) = call(&endpoint, "SendTaskFailure", &req);
    assert_eq!(st, "HTTP/1.1 200 OK");
    let o = child.wait_with_output().unwrap();
    assert_eq!(text(&o.stdout), "\"rejected\"\n");
}

#[test]
fn a_missing_heartbeat_fails_with_states_heartbeat_timeout() {
    let d = scratch("heartbeat");
    let child = start_waiting(&d, "\"HeartbeatSeconds\": 1,", &["--history", "h.json"]);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).ends_with("execution failed: States.HeartbeatTimeout\n"),
        "{}",
        text(&o.stderr)
    );
    let history = std::fs::read_to_string(d.join("h.json")).unwrap();
    assert!(history.contains("\"TaskTimedOut\""), "{history}");
    assert!(!history.contains("\"TaskFailed\""), "{history}");
}

#[test]
fn the_aws_cli_can_call_back_when_installed() {
    let Ok(v) = Command::new("aws").arg("--version").output() else {
        eprintln!("skipped: no `aws` command");
        return;
    };
    if !v.status.success() {
        eprintln!("skipped: `aws --version` failed");
        return;
    }
    let d = scratch("awscli");
    let child = start_waiting(&d, "", &[]);
    let endpoint = read_when_there(&d.join("endpoint"));
    let token = read_when_there(&d.join("token"));
    let empty = write(&d, "empty", "");
    let o = Command::new("aws")
        .args([
            "stepfunctions",
            "send-task-success",
            "--endpoint-url",
            &endpoint,
            "--region",
            "us-east-1",
            "--task-token",
            &token,
            "--task-output",
            "{\"via\": \"aws-cli\"}",
        ])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_CONFIG_FILE", &empty)
        .env("AWS_SHARED_CREDENTIALS_FILE", &empty)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = child.wait_with_output().unwrap();
    assert_eq!(text(&out.stdout), "{\"via\":\"aws-cli\"}\n");
}

#[test]
fn the_pipeline_sample_runs_mocked_and_with_the_ecs_state_as_a_local_command() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("asl-samples");
    let base = [
        "pipeline.asl.json",
        "--input-file",
        "pipeline.input.json",
        "--mock-config",
        "pipeline.mocks.json",
        "--test-case",
        "HappyPath",
    ];
    let want = "{\"dataset\":\"s3://example-bucket/2026-11-22/events.csv\",\"chunksProcessed\":3,\"status\":\"complete\"}\n";
    let o = run(&samples, &base);
    assert_eq!((o.status.code(), text(&o.stdout)), (Some(0), want.into()));
    let mut with_cmd = base.to_vec();
    with_cmd.extend([
        "--handlers",
        "pipeline.handlers.json",
        "--result-format",
        "json",
    ]);
    let o = run(&samples, &with_cmd);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    // The local command's task ARNs show it really ran (the mocks say 0a1b2c3d...).
    let d = scratch("pipeline-history");
    let hist = d.join("history.json");
    let mut traced = with_cmd.clone();
    traced.extend(["--history", hist.to_str().unwrap()]);
    let o = run(&samples, &traced);
    assert_eq!(o.status.code(), Some(0));
    let h = std::fs::read_to_string(&hist).unwrap();
    assert!(h.contains("local:process-chunk/part-1"), "{h}");
}

/// Sends `signal` to a running `asl run` whose local command has started, and checks that
/// the run ends ABORTED and leaves no process of the command behind.
#[cfg(unix)]
fn stop_with(signal: libc::c_int, name: &str) {
    let d = scratch(name);
    write(&d, "m.asl.json", ONE_TASK);
    let mut child = Command::new(ASL)
        .args([
            "run",
            "m.asl.json",
            "--input",
            r#"{"n": 1}"#,
            "--result-format",
            "json",
            "--clock",
            "real",
            "--local",
            "Work=(sleep 3; touch survived) & echo $! > pids; sleep 300 & echo $! >> pids; echo $$ >> pids; echo started > started; wait",
        ])
        .current_dir(&d)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let began = Instant::now();
    while !d.join("started").exists() {
        assert!(
            began.elapsed() < Duration::from_secs(20),
            "the command never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: sending a signal to a child process this test started.
    unsafe {
        libc::kill(child.id() as libc::pid_t, signal);
    }
    let status = child.wait().unwrap();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(began.elapsed() < Duration::from_secs(20));
    assert_eq!(status.code(), Some(1), "{out}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["status"], "ABORTED", "{v}");
    // No process of the command's group is left: not the shell, not its children.
    let pids = std::fs::read_to_string(d.join("pids")).unwrap();
    assert_eq!(pids.lines().count(), 3, "{pids}");
    for pid in pids.lines() {
        // SIGKILL was sent before; dying takes the kernel a moment.
        let sent = Instant::now();
        while alive(pid) {
            assert!(
                sent.elapsed() < Duration::from_secs(2),
                "process {pid} of the command outlived the aborted run"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    std::thread::sleep(Duration::from_millis(3500));
    assert!(
        !d.join("survived").exists(),
        "a process of the command outlived the aborted run"
    );
}

/// Whether `pid` names a live process; a zombie (dead, waiting to be reaped) is not.
#[cfg(unix)]
fn alive(pid: &str) -> bool {
    let Ok(pid) = pid.trim().parse::<libc::pid_t>() else {
        panic!("`{pid}` is not a pid");
    };
    if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, r)| r.split_whitespace().next());
        return !matches!(state, Some("Z" | "X"));
    }
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}

#[cfg(unix)]
#[test]
fn sigterm_aborts_the_run_and_stops_its_local_commands() {
    stop_with(libc::SIGTERM, "sigterm");
}

#[cfg(unix)]
#[test]
fn sigint_aborts_the_run_and_stops_its_local_commands() {
    stop_with(libc::SIGINT, "sigint");
}

#[cfg(unix)]
#[test]
fn sighup_aborts_the_run_and_stops_its_local_commands() {
    stop_with(libc::SIGHUP, "sighup");
}

#[test]
fn a_command_that_floods_stdout_is_stopped_with_a_data_limit_failure() {
    let d = scratch("flood");
    write(&d, "m.asl.json", ONE_TASK);
    let started = Instant::now();
    let o = run(
        &d,
        &[
            "m.asl.json",
            "--input",
            r#"{"n": 1}"#,
            "--result-format",
            "json",
            "--local",
            "Work=yes flood; echo never",
        ],
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // The Catch of ONE_TASK sees the failure.
    assert_eq!(
        v["output"]["error"]["Error"], "States.DataLimitExceeded",
        "{v}"
    );
}

#[test]
fn a_command_that_prints_non_json_or_crashes_fails_the_task() {
    let d = scratch("garbage");
    write(&d, "m.asl.json", ONE_TASK);
    for (cmd, cause) in [
        ("echo 'not json'", "is not JSON"),
        ("kill -SEGV $$", "killed by a signal"),
    ] {
        let o = run(
            &d,
            &[
                "m.asl.json",
                "--input",
                r#"{"n": 1}"#,
                "--result-format",
                "json",
                "--local",
                &format!("Work={cmd}"),
            ],
        );
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["output"]["error"]["Error"], "States.TaskFailed", "{v}");
        assert!(
            v["output"]["error"]["Cause"]
                .as_str()
                .unwrap_or_default()
                .contains(cause),
            "{v}"
        );
    }
}

/// Sends raw bytes to the callback endpoint and returns its status line ("" if it closed
/// without answering).
fn raw(endpoint: &str, bytes: &[u8]) -> String {
    let addr = endpoint.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let _ = s.write_all(bytes);
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    text(&resp).lines().next().unwrap_or("").to_string()
}

#[test]
fn the_callback_endpoint_answers_abuse_with_errors_and_keeps_serving() {
    let d = scratch("callback-abuse");
    let child = start_waiting(&d, "", &[]);
    let endpoint = read_when_there(&d.join("endpoint"));
    let token = read_when_there(&d.join("token"));
    let marker = "abuse-marker-7f3a";
    // Malformed JSON, a body that is not an object, a missing token.
    for body in [
        format!("{{\"taskToken\": \"{token}\", {marker}"),
        format!("[\"{marker}\"]"),
        format!("{{\"output\": \"{marker}\"}}"),
    ] {
        let (st, b) = call(&endpoint, "SendTaskSuccess", &body);
        assert_eq!(st, "HTTP/1.1 400 Bad Request", "{body}: {b}");
        assert!(
            b.contains("SerializationException") || b.contains("ValidationException"),
            "{b}"
        );
    }
    // Forged tokens: well-formed but unknown, and not a token at all.
    let forged = format!("{{\"taskToken\":\"{}\",\"output\":\"1\"}}", "A".repeat(64));
    let (_, b) = call(&endpoint, "SendTaskSuccess", &forged);
    assert!(b.contains("#TaskDoesNotExist"), "{b}");
    let (_, b) = call(
        &endpoint,
        "SendTaskSuccess",
        "{\"taskToken\":\"not a token!\",\"output\":\"1\"}",
    );
    assert!(b.contains("#InvalidToken"), "{b}");
    // An output that is not JSON, and one longer than AWS's 256 KiB: refused, token still open.
    let bad = serde_json::json!({"taskToken": token, "output": marker}).to_string();
    let (_, b) = call(&endpoint, "SendTaskSuccess", &bad);
    assert!(b.contains("#InvalidOutput"), "{b}");
    let big = serde_json::json!({"taskToken": token, "output": format!("\"{}\"", "x".repeat(300 * 1024))}).to_string();
    let (st, b) = call(&endpoint, "SendTaskSuccess", &big);
    assert_eq!(st, "HTTP/1.1 400 Bad Request");
    assert!(b.contains("#ValidationException"), "{b}");
    // A body announced too large is refused before it is read.
    let addr = endpoint.trim_start_matches("http://");
    let st = raw(
        &endpoint,
        format!("POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: AWSStepFunctions.SendTaskSuccess\r\nContent-Length: 50000000\r\n\r\n").as_bytes(),
    );
    assert_eq!(st, "HTTP/1.1 413 Payload Too Large");
    // Other methods, other operations, garbage, and a client that says nothing.
    assert_eq!(
        raw(
            &endpoint,
            format!("GET / HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes()
        ),
        "HTTP/1.1 405 Method Not Allowed"
    );
    let (st, b) = call(&endpoint, "StartExecution", "{}");
    assert_eq!(st, "HTTP/1.1 400 Bad Request");
    assert!(b.contains("UnknownOperationException"), "{b}");
    assert!(raw(&endpoint, b"\x00\x01\xff garbage\r\n\r\n").starts_with("HTTP/1.1 4"));
    // A head that never ends gets 408 after the endpoint's 10 s.
    assert_eq!(
        raw(&endpoint, b"POST / HTTP/1.1\r\n"),
        "HTTP/1.1 408 Request Timeout"
    );
    let silent = std::net::TcpStream::connect(addr).unwrap();
    // The real answer still completes the state (a second answer for a token is refused:
    // src/handlers/callback/tokens.rs pins it, the run has ended by then).
    let ok = serde_json::json!({"taskToken": token, "output": "{\"approved\": true}"}).to_string();
    assert_eq!(call(&endpoint, "SendTaskSuccess", &ok).0, "HTTP/1.1 200 OK");
    let o = child.wait_with_output().unwrap();
    drop(silent);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "{\"approved\":true}\n");
    let stderr = text(&o.stderr);
    assert!(!stderr.contains(&token), "the token was printed: {stderr}");
    assert!(
        !stderr.contains(marker),
        "a request body was printed: {stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[cfg(unix)]
#[test]
fn the_callback_endpoint_survives_running_out_of_file_descriptors() {
    let d = scratch("callback-fds");
    write(&d, "m.asl.json", &WAIT.replace("HEARTBEAT", ""));
    // asl with at most 32 open files: the connections below exhaust them.
    let child = Command::new("sh")
        .arg("-c")
        .arg(
            "ulimit -n 32 && exec \"$0\" run m.asl.json --local 'Approve=printf %s \"$ASL_CALLBACK_ENDPOINT\" > endpoint.tmp && mv endpoint.tmp endpoint; printf %s \"$ASL_TASK_TOKEN\" > token.tmp && mv token.tmp token'",
        )
        .arg(ASL)
        .current_dir(&d)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let endpoint = read_when_there(&d.join("endpoint"));
    let token = read_when_there(&d.join("token"));
    let addr = endpoint.trim_start_matches("http://");
    let idle: Vec<_> = (0..60)
        .map(|_| std::net::TcpStream::connect(addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    // The idle clients leave; asl must notice and serve again.
    drop(idle);
    let ok = serde_json::json!({"taskToken": token, "output": "{\"served\": true}"}).to_string();
    let addr_req = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: AWSStepFunctions.SendTaskSuccess\r\nContent-Length: {}\r\n\r\n{ok}",
        ok.len()
    );
    assert_eq!(raw(&endpoint, addr_req.as_bytes()), "HTTP/1.1 200 OK");
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "{\"served\":true}\n");
}

const PARENT: &str = r#"{"StartAt": "Start", "States": {"Start": {"Type": "Task",
  "Resource": "arn:aws:states:::states:startExecution.waitForTaskToken",
  "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:child",
    "Name": "kid",
    "Input": {"token.$": "$$.Task.Token", "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"}},
  TIMEOUT "End": true}}}"#;

const CHILD: &str = r#"{"StartAt": "Work", "States": {"Work": {"Type": "Task",
  "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"token.$": "$.token"},
  "OutputPath": "$.Payload", "End": true}}}"#;

#[test]
fn a_child_machines_worker_calls_back_for_its_parents_wait_for_task_token() {
    let d = scratch("child-callback");
    write(
        &d,
        "m.asl.json",
        &PARENT.replace("TIMEOUT", "\"TimeoutSeconds\": 30,"),
    );
    write(&d, "child.asl.json", CHILD);
    let run = Command::new(ASL)
        .args([
            "run",
            "m.asl.json",
            "--machine",
            "child=child.asl.json",
            "--history",
            "h.json",
            "--local",
            "Work=cat > input.tmp && mv input.tmp input; printf %s \"$ASL_CALLBACK_ENDPOINT\" > endpoint.tmp && mv endpoint.tmp endpoint; echo '{\"Payload\": \"done\"}'",
        ])
        .current_dir(&d)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let endpoint = read_when_there(&d.join("endpoint"));
    let input: serde_json::Value =
        serde_json::from_str(&read_when_there(&d.join("input"))).unwrap();
    let token = input["token"].as_str().unwrap_or_default().to_string();
    assert!(token.len() >= 32, "{input}");
    let output = serde_json::json!({"approved": true}).to_string();
    let req = serde_json::json!({"taskToken": token, "output": output}).to_string();
    let (st, _) = call(&endpoint, "SendTaskSuccess", &req);
    assert_eq!(st, "HTTP/1.1 200 OK");
    let o = run.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "{\"approved\":true}\n");

    // The parent's history is as AWS writes it, its TaskSubmitted naming the child; the
    // child's own history sits under `childExecutions` by that ARN.
    let h: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("h.json")).unwrap()).unwrap();
    let kinds: Vec<&str> = h["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSubmitted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    let arn = "arn:aws:states:us-east-1:123456789012:execution:child:kid";
    let submitted = &h["events"][4]["taskSubmittedEventDetails"]["output"];
    assert!(
        submitted.as_str().unwrap_or_default().contains(arn),
        "{submitted}"
    );
    let child = &h["childExecutions"][arn];
    assert_eq!(
        child["stateMachineArn"],
        "arn:aws:states:us-east-1:123456789012:stateMachine:child"
    );
    assert!(
        child["startedBy"]
            .as_str()
            .unwrap_or_default()
            .contains(":execution:m:"),
        "{child}"
    );
    let child_kinds: Vec<&str> = child["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(child_kinds.first(), Some(&"ExecutionStarted"), "{child}");
    assert_eq!(child_kinds.last(), Some(&"ExecutionSucceeded"), "{child}");
}

#[test]
fn a_child_that_never_calls_back_leaves_its_parent_waiting_until_the_timeout() {
    let d = scratch("child-silent");
    write(
        &d,
        "m.asl.json",
        &PARENT.replace("TIMEOUT", "\"TimeoutSeconds\": 1,"),
    );
    write(
        &d,
        "child.asl.json",
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#,
    );
    let started = Instant::now();
    let o = run(
        &d,
        &[
            "m.asl.json",
            "--machine",
            "child=child.asl.json",
            "--result-format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["error"], "States.Timeout", "{v}");
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[test]
fn a_state_without_a_handler_is_told_only_the_routes_that_work_for_it() {
    let d = scratch("advice");
    write(
        &d,
        "m.asl.json",
        r#"{"StartAt": "Send", "States": {
          "Send": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "Next": "Child"},
          "Child": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
            "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:C"}, "End": true}}}"#,
    );
    let o = run(&d, &["m.asl.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("`Send` (resource `arn:aws:states:::sqs:sendMessage`) has no handler: mock it in the mock file's test case (--mock-config, --test-case), run it as a local command (--local 'Send=COMMAND') or run it on AWS (--aws Send)"),
        "{}",
        text(&o.stderr)
    );
    let o = run(&d, &["m.asl.json", "--local", "Send=echo 1"]);
    assert!(
        text(&o.stderr).contains(
            "run the child machine here (--machine NAME=FILE) or run it on AWS (--aws Child)"
        ),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn trace_lines_of_concurrent_iterations_keep_their_own_data_and_are_labelled_by_index() {
    let d = scratch("trace-concurrent");
    write(
        &d,
        "m.asl.json",
        r#"{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items",
          "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}, "End": true}}}"#,
    );
    // Item 0 sleeps longest: the iterations finish in reverse order.
    let o = run(
        &d,
        &[
            "m.asl.json",
            "--input",
            r#"{"items": [0, 1, 2]}"#,
            "--trace",
            "--clock",
            "real",
            "--local",
            r#"Work=read x; sleep 0.$((3 - x)); echo "{\"i\":$x}""#,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("Task")).collect();
    assert_eq!(lines.len(), 3, "{err}");
    for i in 0..3 {
        let line = lines
            .iter()
            .find(|l| l.contains(&format!("M[{i}]/Work")))
            .unwrap_or_else(|| panic!("no line for M[{i}]/Work in {err}"));
        assert!(line.contains(&format!("  {i} -> {{\"i\":{i}}}")), "{line}");
        assert!(!line.contains(" 0.0ms"), "{line}");
    }
    assert!(err.contains("Map      M  "), "{err}");
}

/// A mock file whose `events:putEvents` answer carries a Lambda's `Payload` (as mock files
/// written for Step Functions Local do) and whose only state machine is named otherwise
/// than the definition's file.
fn loose_mocks(d: &Path) {
    write(
        d,
        "notify.asl.json",
        r#"{"StartAt": "Tell", "States": {"Tell": {"Type": "Task",
  "Resource": "arn:aws:states:::events:putEvents",
  "Parameters": {"Entries": [{"Source": "s", "DetailType": "d", "Detail": {}}]}, "End": true}}}"#,
    );
    write(
        d,
        "mocks.json",
        r#"{"StateMachines": {"Notifier": {"TestCases": {"Sent": {"Tell": "Told"}}}},
  "MockedResponses": {"Told": {"0": {"Return": {"Payload": {"FailedEntryCount": 0}}}}}}"#,
    );
}

#[test]
fn a_mock_that_could_not_come_from_aws_is_warned_about_by_default_and_refused_on_request() {
    let d = scratch("loose-mocks");
    loose_mocks(&d);
    let args = [
        "notify.asl.json",
        "--mock-config",
        "mocks.json",
        "--test-case",
        "Sent",
    ];
    // Default: the mismatch is said, located, and the run goes on with the mocked answer.
    let o = run(&d, &args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        text(&o.stdout).trim(),
        r#"{"Payload":{"FailedEntryCount":0}}"#
    );
    let err = text(&o.stderr);
    assert!(
        err.contains("mocks.json:2:") && err.contains("warning: the mocked result of `Tell`"),
        "{err}"
    );
    assert!(
        err.contains("`Payload` is not a field of `PutEventsResponse`"),
        "{err}"
    );
    // present: the same finding is an input error, nothing runs.
    let o = run(&d, &[&args[..], &["--mock-validation", "present"]].concat());
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("error: the mocked result of `Tell`"));
    assert!(o.stdout.is_empty());
    // none: nothing said.
    let o = run(&d, &[&args[..], &["--mock-validation", "none"]].concat());
    assert_eq!(o.status.code(), Some(0));
    assert!(
        !text(&o.stderr).contains("mocked result"),
        "{}",
        text(&o.stderr)
    );
    // Named explicitly, the machine must be in the mock file.
    let o = run(
        &d,
        &[&args[..], &["--state-machine-name", "notify"]].concat(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("no state machine `notify` (it has: `Notifier`)"),
        "{}",
        text(&o.stderr)
    );
}
