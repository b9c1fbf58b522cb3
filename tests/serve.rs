//! `asl serve` driven by real clients: boto3 and the AWS CLI (installed by
//! `scripts/serve-tests.sh`, which sets `ASL_SERVE_PYTHON` and `ASL_SERVE_AWS`), plus the
//! protocol's errors over a raw socket (those run in every `cargo test`).
//!
//! Each test starts its own server on a free loopback port (`--port 0`, the address read
//! from its first line on stderr) and kills it when done.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};

struct Server {
    child: Child,
    endpoint: String,
    /// What the server wrote on stderr before it said where it listens.
    before: Vec<String>,
    /// What it wrote after, as it comes.
    after: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str], env: &[(&str, &str)]) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_asl"));
    cmd.args(["serve", "--port", "0"]).args(args);
    cmd.env_remove("SFN_MOCK_CONFIG")
        .env_remove("WAIT_TIME_SCALE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start asl serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let mut endpoint = String::new();
    let mut before = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("read stderr");
        if let Some(at) = line.strip_prefix("asl serve: listening on ") {
            endpoint = at.to_string();
            break;
        }
        before.push(line);
    }
    assert!(
        !endpoint.is_empty(),
        "asl serve did not say where it listens"
    );
    // Keep draining stderr so the server never blocks on a full pipe.
    let after = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = after.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            kept.lock().unwrap_or_else(|p| p.into_inner()).push(line);
        }
    });
    Server {
        child,
        endpoint,
        before,
        after,
    }
}

/// The python of the venv `scripts/serve-tests.sh` made, or `None` (the test is skipped).
fn python() -> Option<String> {
    match std::env::var("ASL_SERVE_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            eprintln!("skipped: ASL_SERVE_PYTHON is not set (run scripts/serve-tests.sh)");
            None
        }
    }
}

/// Prepended to every boto3 script: a client `sfn` on the server, helpers.
const PRELUDE: &str = r#"
import json, os, sys, time, boto3, botocore, botocore.config
sfn = boto3.client("stepfunctions", endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1",
                   aws_access_key_id="test", aws_secret_access_key="test",
                   config=botocore.config.Config(inject_host_prefix=False))
ROLE = "arn:aws:iam::123456789012:role/test"
def create(name, definition, **kw):
    return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE, **kw)["stateMachineArn"]
def wait_done(arn):
    for _ in range(200):
        d = sfn.describe_execution(executionArn=arn)
        if d["status"] != "RUNNING":
            return d
        time.sleep(0.05)
    raise AssertionError("still running: " + arn)
def error_of(f, **kw):
    try:
        f(**kw)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    raise AssertionError("no error from " + f.__name__)
def types(arn, **kw):
    return [e["type"] for e in sfn.get_execution_history(executionArn=arn, **kw)["events"]]
"#;

fn boto(server: &Server, script: &str) {
    let Some(py) = python() else { return };
    let out = Command::new(py)
        .arg("-c")
        .arg(format!("{PRELUDE}\n{script}"))
        .env("ENDPOINT", &server.endpoint)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "boto3 script failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

const MOCKS: &str = r#"{
  "StateMachines": {
    "Orders": {"TestCases": {
      "HappyPath": {"Charge": "ChargeOk"},
      "Declined": {"Charge": "ChargeFails"}
    }}
  },
  "MockedResponses": {
    "ChargeOk": {"0": {"Return": {"Payload": {"charged": 42}}}},
    "ChargeFails": {"0": {"Throw": {"Error": "Card.Declined", "Cause": "no funds"}}}
  }
}"#;

#[test]
fn machines_executions_history_and_their_errors_through_boto3() {
    let s = start(&["--clock", "virtual"], &[]);
    boto(
        &s,
        r##"
d = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.r", "Next": "W"},
                                "W": {"Type": "Wait", "Seconds": 5, "End": True}}}
arn = create("Hello", d)
assert arn == "arn:aws:states:us-east-1:123456789012:stateMachine:Hello", arn
# The same create again is idempotent; a different one is refused.
assert create("Hello", d) == arn
assert error_of(sfn.create_state_machine, name="Hello", definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Succeed"}}}), roleArn=ROLE) == "StateMachineAlreadyExists"
bad = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Next": "Nowhere"}}}
try:
    create("Bad", bad)
    raise AssertionError("accepted")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "InvalidDefinition"
    assert "MISSING_TRANSITION_TARGET" in e.response["Error"]["Message"]
    assert "/States/P/Next" in e.response["Error"]["Message"]
assert error_of(sfn.create_state_machine, name="has space", definition=json.dumps(d), roleArn=ROLE) == "InvalidName"
assert error_of(sfn.create_state_machine, name="x" * 81, definition=json.dumps(d), roleArn=ROLE) == "InvalidName"
assert error_of(sfn.create_state_machine, name="NoRole", definition=json.dumps(d), roleArn="not-an-arn") == "InvalidArn"
assert error_of(sfn.describe_state_machine, stateMachineArn="nope") == "InvalidArn"
assert error_of(sfn.describe_state_machine, stateMachineArn=arn + "Missing") == "StateMachineDoesNotExist"
desc = sfn.describe_state_machine(stateMachineArn=arn)
assert desc["name"] == "Hello" and desc["type"] == "STANDARD" and json.loads(desc["definition"]) == d

ex = sfn.start_execution(stateMachineArn=arn, name="first", input='{"a": 1}')["executionArn"]
assert ex == "arn:aws:states:us-east-1:123456789012:execution:Hello:first", ex
done = wait_done(ex)
assert done["status"] == "SUCCEEDED", done
assert json.loads(done["output"]) == {"a": 1, "r": {"x": 1}}
assert error_of(sfn.start_execution, stateMachineArn=arn, name="first", input='{"a": 1}') == "ExecutionAlreadyExists"
assert error_of(sfn.start_execution, stateMachineArn=arn, input='not json') == "InvalidExecutionInput"
assert error_of(sfn.start_execution, stateMachineArn=arn, input=json.dumps("x" * 262144)) == "InvalidExecutionInput"
assert error_of(sfn.start_execution, stateMachineArn=arn, name="bad/name") == "InvalidName"
assert error_of(sfn.describe_execution, executionArn=arn) == "InvalidArn"
assert error_of(sfn.start_execution, stateMachineArn=arn + "Missing") == "StateMachineDoesNotExist"
assert error_of(sfn.describe_execution, executionArn=ex + "x") == "ExecutionDoesNotExist"

full = ["ExecutionStarted", "PassStateEntered", "PassStateExited", "WaitStateEntered",
        "WaitStateExited", "ExecutionSucceeded"]
assert types(ex) == full, types(ex)
assert error_of(sfn.redrive_execution, executionArn=ex) == "ExecutionNotRedrivable"
assert types(ex, reverseOrder=True) == full[::-1]
page = sfn.get_execution_history(executionArn=ex, maxResults=4)
assert len(page["events"]) == 4
rest = sfn.get_execution_history(executionArn=ex, maxResults=4, nextToken=page["nextToken"])
assert [e["type"] for e in rest["events"]] == full[4:] and "nextToken" not in rest
quiet = sfn.get_execution_history(executionArn=ex, includeExecutionData=False)["events"]
assert "input" not in quiet[0]["executionStartedEventDetails"]
assert json.loads(sfn.get_execution_history(executionArn=ex)["events"][0]["executionStartedEventDetails"]["input"]) == {"a": 1}

for i in range(3):
    sfn.start_execution(stateMachineArn=arn, name="n%d" % i)
lst = sfn.list_executions(stateMachineArn=arn, maxResults=2)
assert len(lst["executions"]) == 2 and "nextToken" in lst
assert lst["executions"][0]["name"] == "n2"
time.sleep(0.2)
assert len(sfn.list_executions(stateMachineArn=arn, statusFilter="SUCCEEDED")["executions"]) == 4
assert sfn.list_executions(stateMachineArn=arn, statusFilter="FAILED")["executions"] == []

for_ex = sfn.describe_state_machine_for_execution(executionArn=ex)
assert for_ex["stateMachineArn"] == arn and json.loads(for_ex["definition"]) == d

create("Second", d)
p1 = sfn.list_state_machines(maxResults=1)
assert [m["name"] for m in p1["stateMachines"]] == ["Hello"]
p2 = sfn.list_state_machines(maxResults=1, nextToken=p1["nextToken"])
assert [m["name"] for m in p2["stateMachines"]] == ["Second"]

d2 = {"StartAt": "S", "States": {"S": {"Type": "Succeed"}}}
sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(d2))
assert json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"]) == d2
assert error_of(sfn.update_state_machine, stateMachineArn=arn, definition=json.dumps(bad)) == "InvalidDefinition"
# The execution keeps the definition it ran.
assert json.loads(sfn.describe_state_machine_for_execution(executionArn=ex)["definition"]) == d
sfn.delete_state_machine(stateMachineArn=arn)
assert error_of(sfn.describe_state_machine, stateMachineArn=arn) == "StateMachineDoesNotExist"
"##,
    );
}

#[test]
fn a_mock_config_test_case_answers_task_states_by_arn_suffix() {
    let (s, dir) = serve_with_mocks("mocks", MOCKS);
    boto(
        &s,
        r##"
d = {"StartAt": "Charge", "States": {"Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
       "Parameters": {"FunctionName": "charge", "Payload.$": "$"}, "OutputPath": "$.Payload", "End": True}}}
arn = create("Orders", d)
ok = wait_done(sfn.start_execution(stateMachineArn=arn + "#HappyPath", input="{}")["executionArn"])
assert ok["status"] == "SUCCEEDED" and json.loads(ok["output"]) == {"charged": 42}, ok
bad = wait_done(sfn.start_execution(stateMachineArn=arn + "#Declined")["executionArn"])
assert bad["status"] == "FAILED" and bad["error"] == "Card.Declined" and bad["cause"] == "no funds", bad
assert types(bad["executionArn"])[-1] == "ExecutionFailed"
# Without a test case, a Task state nothing answers fails the execution, as AWS shows a failure.
none = wait_done(sfn.start_execution(stateMachineArn=arn)["executionArn"])
assert none["status"] == "FAILED" and none["error"] == "States.Runtime", none
assert "Charge" in none["cause"]
assert error_of(sfn.start_execution, stateMachineArn=arn + "#NoSuchCase") == "ValidationException"
"##,
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn stop_execution_aborts_a_waiting_execution_on_the_real_clock() {
    let s = start(&[], &[]);
    boto(
        &s,
        r##"
arn = create("Sleepy", {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}})
ex = sfn.start_execution(stateMachineArn=arn, name="nap", input='{"k": 1}')
time.sleep(0.2)
assert sfn.describe_execution(executionArn=ex["executionArn"])["status"] == "RUNNING"
# The same name and input while it runs: the same execution, nothing new started.
again = sfn.start_execution(stateMachineArn=arn, name="nap", input='{"k": 1}')
assert again["executionArn"] == ex["executionArn"]
assert error_of(sfn.start_execution, stateMachineArn=arn, name="nap", input='{"k": 2}') == "ExecutionAlreadyExists"
assert [e["name"] for e in sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]] == ["nap"]
sfn.stop_execution(executionArn=ex["executionArn"], error="Manual", cause="enough")
d = wait_done(ex["executionArn"])
assert d["status"] == "ABORTED", d
assert types(ex["executionArn"])[-1] == "ExecutionAborted"
"##,
    );
}

#[test]
fn send_task_success_answers_a_wait_for_task_token_state() {
    let s = start(&["--clock", "virtual"], &[]);
    boto(
        &s,
        r##"
d = {"StartAt": "Ask", "States": {"Ask": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
       "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}}, "End": True}}}
arn = create("Approve", d)
def token_of(ex):
    for _ in range(100):
        for e in sfn.get_execution_history(executionArn=ex)["events"]:
            if e["type"] == "TaskScheduled":
                return json.loads(e["taskScheduledEventDetails"]["parameters"])["MessageBody"]["token"]
        time.sleep(0.05)
    raise AssertionError("no TaskScheduled")
ex = sfn.start_execution(stateMachineArn=arn)["executionArn"]
tok = token_of(ex)
sfn.send_task_heartbeat(taskToken=tok)
sfn.send_task_success(taskToken=tok, output='{"approved": true}')
d = wait_done(ex)
assert d["status"] == "SUCCEEDED" and json.loads(d["output"]) == {"approved": True}, d
assert error_of(sfn.send_task_success, taskToken=tok, output="{}") == "TaskTimedOut"
assert error_of(sfn.send_task_success, taskToken="notatoken", output="{}") == "TaskDoesNotExist"
assert error_of(sfn.send_task_failure, taskToken="bad token!") == "InvalidToken"
assert error_of(sfn.send_task_failure, taskToken=tok, error="e" * 257) == "ValidationException"
assert error_of(sfn.send_task_success, taskToken=tok, output="[1]") == "TaskTimedOut"
assert error_of(sfn.send_task_success, taskToken="notatoken", output="not json") == "InvalidOutput"

ex2 = sfn.start_execution(stateMachineArn=arn)["executionArn"]
sfn.send_task_failure(taskToken=token_of(ex2), error="No", cause="refused")
d2 = wait_done(ex2)
assert d2["status"] == "FAILED" and d2["error"] == "No" and d2["cause"] == "refused", d2
"##,
    );
}

#[test]
fn start_sync_execution_runs_express_machines_only() {
    let s = start(&["--clock", "virtual"], &[]);
    boto(
        &s,
        r##"
d = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
ex = create("Quick", d, type="EXPRESS")
r = sfn.start_sync_execution(stateMachineArn=ex, input='{"v": 2}')
assert r["status"] == "SUCCEEDED" and json.loads(r["output"]) == {"v": 2}, r
assert ":express:Quick:" in r["executionArn"]
ids = create("Ids", {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"id.$": "$$.Execution.Id"}, "End": True}}}, type="EXPRESS")
r2 = sfn.start_sync_execution(stateMachineArn=ids)
assert json.loads(r2["output"])["id"] == r2["executionArn"], r2
std = create("Slow", d)
cb = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
      "Parameters": {"QueueUrl": "q", "MessageBody.$": "$$.Task.Token"}, "End": True}}}
assert error_of(sfn.create_state_machine, name="NoWait", definition=json.dumps(cb), roleArn=ROLE, type="EXPRESS") == "InvalidDefinition"
assert sfn.validate_state_machine_definition(definition=json.dumps(cb), type="EXPRESS")["result"] == "FAIL"
assert sfn.validate_state_machine_definition(definition=json.dumps(cb))["result"] == "OK"
assert error_of(sfn.start_sync_execution, stateMachineArn=std) == "StateMachineTypeNotSupported"
v = sfn.validate_state_machine_definition(definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Next": "Q"}}}))
assert v["result"] == "FAIL" and v["diagnostics"][0]["code"] == "MISSING_TRANSITION_TARGET", v
assert v["diagnostics"][0]["location"] == "/States/P/Next"
assert sfn.validate_state_machine_definition(definition=json.dumps(d))["result"] == "OK"
"##,
    );
}

#[test]
fn the_aws_cli_runs_a_machine_unchanged() {
    let Ok(aws) = std::env::var("ASL_SERVE_AWS") else {
        eprintln!("skipped: ASL_SERVE_AWS is not set (run scripts/serve-tests.sh)");
        return;
    };
    let s = start(
        &["--clock", "virtual"],
        &[
            ("AWS_DEFAULT_REGION", "eu-west-1"),
            ("AWS_ACCOUNT_ID", "111122223333"),
        ],
    );
    let cli = |args: &[&str]| -> serde_json::Value {
        let out = Command::new(&aws)
            .args([
                "--endpoint-url",
                &s.endpoint,
                "--region",
                "eu-west-1",
                "--output",
                "json",
                "stepfunctions",
            ])
            .args(args)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .expect("run aws");
        assert!(
            out.status.success(),
            "aws {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
    };
    let created = cli(&[
        "create-state-machine",
        "--name",
        "Cli",
        "--role-arn",
        "arn:aws:iam::111122223333:role/r",
        "--definition",
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#,
    ]);
    let arn = created["stateMachineArn"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    // The region and account come from Step Functions Local's variables.
    assert_eq!(
        arn,
        "arn:aws:states:eu-west-1:111122223333:stateMachine:Cli"
    );
    let started = cli(&[
        "start-execution",
        "--state-machine-arn",
        &arn,
        "--input",
        r#"{"hi": 1}"#,
    ]);
    let ex = started["executionArn"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut status = String::new();
    for _ in 0..100 {
        let d = cli(&["describe-execution", "--execution-arn", &ex]);
        status = d["status"].as_str().unwrap_or_default().to_string();
        if status != "RUNNING" {
            assert_eq!(d["output"], r#"{"hi":1}"#);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(status, "SUCCEEDED");
    let h = cli(&["get-execution-history", "--execution-arn", &ex]);
    assert_eq!(h["events"].as_array().map(Vec::len), Some(4));
}

/// One raw HTTP/1.1 request: (status, body).
fn raw(server: &Server, target: Option<&str>, body: &str) -> (u16, serde_json::Value) {
    let addr = server.endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    let target = target
        .map(|t| format!("X-Amz-Target: {t}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-amz-json-1.0\r\n{target}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).expect("send");
    let mut text = String::new();
    stream.read_to_string(&mut text).expect("read");
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    (
        status,
        serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
    )
}

#[test]
fn protocol_errors_are_aws_json_errors() {
    let s = start(&["--clock", "virtual"], &[]);
    let (status, body) = raw(&s, Some("AWSStepFunctions.NoSuchThing"), "{}");
    assert_eq!(status, 400);
    assert_eq!(
        body["__type"],
        "com.amazon.coral.service#UnknownOperationException"
    );
    let (status, body) = raw(&s, None, "{}");
    assert_eq!(status, 400);
    assert_eq!(
        body["__type"],
        "com.amazon.coral.service#UnknownOperationException"
    );
    let (status, body) = raw(&s, Some("AWSStepFunctions.ListStateMachines"), "{not json");
    assert_eq!(status, 400);
    assert_eq!(
        body["__type"],
        "com.amazon.coral.service#SerializationException"
    );
    let (status, body) = raw(&s, Some("AWSStepFunctions.ListStateMachines"), "{}");
    assert_eq!(status, 200);
    assert_eq!(body, serde_json::json!({"stateMachines": []}));
    let (status, body) = raw(&s, Some("AWSStepFunctions.DescribeStateMachine"), "{}");
    assert_eq!(status, 400);
    assert_eq!(
        body["__type"],
        "com.amazonaws.swf.service.v2.model#ValidationException"
    );
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(5 * 1024 * 1024));
    let (status, _) = raw(&s, Some("AWSStepFunctions.CreateStateMachine"), &big);
    assert_eq!(status, 413);
}

#[test]
fn a_handlers_file_routes_task_states_to_local_commands_and_finished_executions_are_bounded() {
    let dir = std::env::temp_dir().join(format!("asl-serve-handlers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("handlers.json");
    std::fs::write(
        &file,
        r#"{"States": {"Shout": {"Command": ["sh", "-c", "tr a-z A-Z"]}}}"#,
    )
    .expect("write handlers");
    let path = file.display().to_string();
    let s = start(
        &[
            "--clock",
            "virtual",
            "--handlers",
            &path,
            "--max-finished",
            "2",
        ],
        &[],
    );
    boto(
        &s,
        r##"
d = {"StartAt": "Shout", "States": {"Shout": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:shout", "End": True}}}
arn = create("Loud", d)
first = sfn.start_execution(stateMachineArn=arn, input='{"say": "hi"}')["executionArn"]
done = wait_done(first)
assert done["status"] == "SUCCEEDED" and json.loads(done["output"]) == {"SAY": "HI"}, done
# Two finished executions are kept: the third to finish evicts the first.
for i in range(2):
    wait_done(sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"])
assert error_of(sfn.describe_execution, executionArn=first) == "ExecutionDoesNotExist"
assert len(sfn.list_executions(stateMachineArn=arn)["executions"]) == 2
"##,
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn test_state_runs_one_state_with_mocks_and_reports_its_status() {
    let s = start(&["--clock", "virtual"], &[]);
    boto(
        &s,
        r##"
def ts(state, **kw):
    return sfn.test_state(definition=json.dumps(state), roleArn=ROLE, **kw)
p = ts({"Type": "Pass", "Parameters": {"b.$": "$.a"}, "Next": "After"}, input='{"a": 3}', inspectionLevel="DEBUG")
assert p["status"] == "SUCCEEDED" and json.loads(p["output"]) == {"b": 3} and p["nextState"] == "After", p
assert json.loads(p["inspectionData"]["input"]) == {"a": 3}
task = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f", "Payload.$": "$"}, "ResultSelector": {"v.$": "$.Payload"}, "End": True}
t = ts(task, input='{"x": 1}', inspectionLevel="DEBUG", mock={"result": '{"Payload": 7}'})
assert t["status"] == "SUCCEEDED" and json.loads(t["output"]) == {"v": 7}, t
assert json.loads(t["inspectionData"]["afterParameters"]) == {"FunctionName": "f", "Payload": {"x": 1}}
assert json.loads(t["inspectionData"]["result"]) == {"Payload": 7}
f = ts(task, mock={"errorOutput": {"error": "Boom", "cause": "bad"}})
assert f["status"] == "FAILED" and f["error"] == "Boom" and f["cause"] == "bad", f
caught = dict(task, Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Handler"}])
c = ts(caught, mock={"errorOutput": {"error": "Boom", "cause": "bad"}})
assert c["status"] == "CAUGHT_ERROR" and c["nextState"] == "Handler" and c["error"] == "Boom", c
retried = dict(task, Retry=[{"ErrorEquals": ["Boom"], "MaxAttempts": 2}])
rt = ts(retried, mock={"errorOutput": {"error": "Boom", "cause": "bad"}})
assert rt["status"] == "RETRIABLE" and rt["error"] == "Boom", rt
m = {"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Big"}], "Default": "Small"},
                                "Big": {"Type": "Succeed"}, "Small": {"Type": "Succeed"}}}
ch = sfn.test_state(definition=json.dumps(m), stateName="C", roleArn=ROLE, input='{"n": 5}')
assert ch["status"] == "SUCCEEDED" and ch["nextState"] == "Big", ch
assert error_of(sfn.test_state, definition=json.dumps({"Type": "Pass", "Next": 3}), roleArn=ROLE) == "InvalidDefinition"
wt = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "Parameters": {"QueueUrl": "q", "MessageBody.$": "$$.Task.Token"}, "End": True}
assert error_of(sfn.test_state, definition=json.dumps(wt), roleArn=ROLE) == "ValidationException"
assert json.loads(ts(wt, mock={"result": '{"answer": 1}'})["output"]) == {"answer": 1}
v = ts({"Type": "Pass", "Parameters": {"total.$": "$price"}, "Assign": {"seen": True}, "End": True}, variables='{"price": 9}', inspectionLevel="DEBUG")
assert v["status"] == "SUCCEEDED" and json.loads(v["output"]) == {"total": 9}, v
assert json.loads(v["inspectionData"]["variables"]) == {"price": 9, "seen": True}, v
"##,
    );
}

#[test]
fn test_state_gives_each_levels_data_retry_details_and_reads_its_configuration() {
    let s = start(&["--clock", "virtual", "--aws-all"], &[]);
    boto(
        &s,
        r##"
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
def ts(state, **kw):
    return sfn.test_state(definition=json.dumps(state), roleArn=ROLE, **kw)
task = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "InputPath": "$.in",
        "Parameters": {"FunctionName": "f", "Payload.$": "$"}, "ResultSelector": {"v.$": "$.Payload"},
        "ResultPath": "$.out", "OutputPath": "$.out", "End": True}
mock = {"result": '{"Payload": 7}'}
# INFO: status and output only.
i = ts(task, input='{"in": {"x": 1}}', mock=mock)
assert i["status"] == "SUCCEEDED" and json.loads(i["output"]) == {"v": 7} and "inspectionData" not in i, i
# DEBUG: the payload after each step, as JSON texts.
d = ts(task, input='{"in": {"x": 1}}', mock=mock, inspectionLevel="DEBUG")["inspectionData"]
assert {k: json.loads(v) for k, v in d.items()} == {
    "input": {"in": {"x": 1}}, "afterInputPath": {"x": 1},
    "afterParameters": {"FunctionName": "f", "Payload": {"x": 1}}, "result": {"Payload": 7},
    "afterResultSelector": {"v": 7}, "afterResultPath": {"in": {"x": 1}, "out": {"v": 7}}}, d
# A Pass with Result: no InputPath or Parameters step.
pr = ts({"Type": "Pass", "Result": {"r": 1}, "End": True}, input='{"a": 1}', inspectionLevel="DEBUG")["inspectionData"]
assert set(pr) == {"input", "result", "afterResultSelector", "afterResultPath"}, pr
# Retry: the attempts made already count; the back-off is IntervalSeconds * BackoffRate^count.
boom = {"errorOutput": {"error": "Boom", "cause": "c"}}
r = dict(task, Retry=[{"ErrorEquals": ["Other"]}, {"ErrorEquals": ["Boom"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxAttempts": 3}],
         Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Handle"}])
del r["End"]; r["Next"] = "Done"
first = ts(r, input='{"in": {}}', mock=boom, inspectionLevel="DEBUG")
assert first["status"] == "RETRIABLE" and first["inspectionData"]["errorDetails"] == {"retryIndex": 1, "retryBackoffIntervalSeconds": 2}, first
third = ts(r, input='{"in": {}}', mock=boom, inspectionLevel="DEBUG", stateConfiguration={"retrierRetryCount": 2})
assert third["inspectionData"]["errorDetails"] == {"retryIndex": 1, "retryBackoffIntervalSeconds": 18}, third
capped = dict(r, Retry=[dict(r["Retry"][1], MaxDelaySeconds=10)])
assert ts(capped, input='{"in": {}}', mock=boom, inspectionLevel="DEBUG", stateConfiguration={"retrierRetryCount": 2})["inspectionData"]["errorDetails"]["retryBackoffIntervalSeconds"] == 10
spent = ts(r, input='{"in": {}}', mock=boom, inspectionLevel="DEBUG", stateConfiguration={"retrierRetryCount": 3})
assert spent["status"] == "CAUGHT_ERROR" and spent["nextState"] == "Handle" and spent["inspectionData"]["errorDetails"] == {"catchIndex": 0}, spent
# A Map: its items, each iteration's input and its settings.
m = {"Type": "Map", "ItemsPath": "$.items", "ItemSelector": {"v.$": "$$.Map.Item.Value"}, "MaxConcurrency": 2,
     "ToleratedFailureCount": 1, "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, "Next": "Done",
     "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handle"}]}
md = ts(m, input='{"items": [1, 2]}', inspectionLevel="DEBUG")
data = md["inspectionData"]
assert json.loads(data["afterItemsPath"]) == [1, 2] and json.loads(data["afterItemSelector"]) == [{"v": 1}, {"v": 2}], md
assert data["maxConcurrency"] == 2 and data["toleratedFailureCount"] == 1, md
# A mocked Map: the mock is its result; failed iterations past the tolerance fail it.
ok = ts(m, input='{"items": [1, 2]}', mock={"result": "[1, 2, 3]"}, stateConfiguration={"mapIterationFailureCount": 1})
assert ok["status"] == "SUCCEEDED" and json.loads(ok["output"]) == [1, 2, 3], ok
over = ts(m, input='{"items": [1, 2]}', mock={"result": "[1, 2, 3]"}, stateConfiguration={"mapIterationFailureCount": 2})
assert over["status"] == "CAUGHT_ERROR" and over["error"] == "States.ExceedToleratedFailureThreshold", over
assert error_of(sfn.test_state, definition=json.dumps(m), roleArn=ROLE, mock={"errorOutput": {"error": "E"}},
                stateConfiguration={"errorCausedByState": "Nope"}) == "ValidationException"
assert ts(m, mock={"errorOutput": {"error": "E"}}, stateConfiguration={"errorCausedByState": "P"})["status"] == "CAUGHT_ERROR"
# A Distributed Map reads `mapItemReaderData` where its ItemReader would read.
dm = {"Type": "Map", "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"}, "Parameters": {"Bucket": "b", "Key": "k"}},
      "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, "End": True}
assert json.loads(ts(dm, stateConfiguration={"mapItemReaderData": "[1, 4, 9]"})["output"]) == [1, 4, 9]
batched = dict(dm, ItemReader=None, ItemsPath="$.xs", ItemBatcher={"MaxItemsPerBatch": 2})
del batched["ItemReader"]
bd = ts(batched, input='{"xs": [1, 2, 3]}', inspectionLevel="DEBUG")["inspectionData"]
assert json.loads(bd["afterItemBatcher"]) == [{"Items": [1, 2]}, {"Items": [3]}], bd
# fieldValidationMode: STRICT by default, NONE lets anything through.
sdk = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sfn:startExecution", "Parameters": {"StateMachineArn": "a"}, "End": True}
bad = '{"StartDate": true}'
assert error_of(sfn.test_state, definition=json.dumps(sdk), roleArn=ROLE, mock={"result": bad}) == "ValidationException"
assert error_of(sfn.test_state, definition=json.dumps(sdk), roleArn=ROLE, mock={"result": '{"StartDate": "2025-01-01T00:00:00Z"}'}) == "ValidationException"
assert ts(sdk, mock={"result": '{"StartDate": "2025-01-01T00:00:00Z"}', "fieldValidationMode": "PRESENT"})["status"] == "SUCCEEDED"
assert ts(sdk, mock={"result": bad, "fieldValidationMode": "NONE"})["status"] == "SUCCEEDED"
# `context` is the state's $$; AWS takes it only with a mock.
def sent(state, **kw):
    d = ts(state, mock={"result": "{}"}, inspectionLevel="DEBUG", **kw)["inspectionData"]
    return json.loads(d["afterParameters"])["Payload"]
def calling(payload):
    return {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
            "Parameters": {"FunctionName": "f", "Payload": payload}}
names = calling({"n.$": "$$.Execution.Name", "i.$": "$$.Execution.Input", "m.$": "$$.StateMachine.Name"})
c = sent(names, context=json.dumps({"Execution": {"Name": "mine", "Input": {"q": 1}}, "StateMachine": {"Name": "SM"}}))
assert c == {"n": "mine", "i": {"q": 1}, "m": "SM"}, c
assert error_of(sfn.test_state, definition=json.dumps(names), roleArn=ROLE, context="{}") == "ValidationException"
times = calling({"s.$": "$$.Execution.StartTime", "e.$": "$$.State.EnteredTime"})
c = sent(times, context=json.dumps({"Execution": {"StartTime": "2026-01-02T03:04:05.678Z"}, "State": {"EnteredTime": "2026-01-02T03:04:09Z"}}))
assert c == {"s": "2026-01-02T03:04:05.678Z", "e": "2026-01-02T03:04:09.000Z"}, c
c = sent(times, context=json.dumps({"Execution": {"StartTime": "2026-01-02T03:04:05.678Z"}}))
assert c == {"s": "2026-01-02T03:04:05.678Z", "e": "2026-01-02T03:04:05.678Z"}, c
assert error_of(sfn.test_state, definition=json.dumps(times), roleArn=ROLE, mock={"result": "{}"}, context='{"Execution": {"StartTime": "yesterday"}}') == "ValidationException"
# TRACE: an HTTP Task's request and response.
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(201); self.send_header("Content-Type", "application/json"); self.end_headers()
        self.wfile.write(json.dumps({"got": json.loads(body)}).encode())
    def log_message(self, *a): pass
httpd = HTTPServer(("127.0.0.1", 0), H); threading.Thread(target=httpd.serve_forever, daemon=True).start()
url = "http://127.0.0.1:%d/things" % httpd.server_address[1]
ht = {"Type": "Task", "Resource": "arn:aws:states:::http:invoke", "Parameters": {"ApiEndpoint": url, "Method": "POST", "QueryParameters": {"q": "1"}, "RequestBody": {"a": 1}}, "End": True}
tr = ts(ht, inspectionLevel="TRACE")["inspectionData"]
assert tr["request"]["method"] == "POST" and tr["request"]["url"] == url + "?q=1" and json.loads(tr["request"]["body"]) == {"a": 1}, tr
assert "content-type: application/json" in tr["request"]["headers"], tr
assert tr["response"]["statusCode"] == "201" and tr["response"]["statusMessage"] == "Created" and json.loads(tr["response"]["body"]) == {"got": {"a": 1}}, tr
assert "request" not in ts(ht, inspectionLevel="DEBUG")["inspectionData"]
httpd.shutdown()
"##,
    );
}

#[test]
fn test_state_context_sets_retry_count_task_token_and_map_item() {
    let s = start(&["--clock", "virtual"], &[]);
    boto(
        &s,
        r##"
def ts(state, **kw):
    return sfn.test_state(definition=json.dumps(state), roleArn=ROLE, **kw)
ctx = {"State": {"RetryCount": 2}, "Task": {"Token": "tok-1"},
       "Map": {"Item": {"Index": 3, "Value": {"k": 1}, "Key": "third", "Source": "STATE_DATA"}}}
# JSONPath: what the state's Parameters read of $$.
task = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
        "Parameters": {"FunctionName": "f", "Payload": {"rc.$": "$$.State.RetryCount", "t.$": "$$.Task.Token",
                       "v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index", "k.$": "$$.Map.Item.Key"}}}
d = ts(task, mock={"result": "{}"}, context=json.dumps(ctx), inspectionLevel="DEBUG")["inspectionData"]
assert json.loads(d["afterParameters"])["Payload"] == {"rc": 2, "t": "tok-1", "v": {"k": 1}, "i": 3, "k": "third"}, d
# Without a context a first attempt counts 0 retries.
d = ts(dict(task, Parameters={"FunctionName": "f", "Payload": {"rc.$": "$$.State.RetryCount"}}), mock={"result": "{}"}, inspectionLevel="DEBUG")["inspectionData"]
assert json.loads(d["afterParameters"])["Payload"] == {"rc": 0}, d
# A .waitForTaskToken state sends the given token.
wt = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True,
      "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}}}
d = ts(wt, mock={"result": '{"ok": 1}'}, context=json.dumps(ctx), inspectionLevel="DEBUG")["inspectionData"]
assert json.loads(d["afterParameters"])["MessageBody"] == {"token": "tok-1"}, d
# JSONata reads the same members through $states.context.
jt = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "QueryLanguage": "JSONata", "End": True,
      "Arguments": {"FunctionName": "f"},
      "Output": "{% [$states.context.State.RetryCount, $states.context.Task.Token, $states.context.Map.Item.Value.k, $states.context.Map.Item.Source] %}"}
assert json.loads(ts(jt, mock={"result": "{}"}, context=json.dumps(ctx))["output"]) == [2, "tok-1", 1, "STATE_DATA"]
# Members of the wrong type are refused.
for bad in [{"State": {"RetryCount": -1}}, {"State": {"RetryCount": "2"}}, {"Task": {"Token": 1}},
            {"Map": {"Item": {"Index": "0"}}}, {"Map": {"Item": 5}}, {"Map": {"Item": {"Key": 1}}}]:
    assert error_of(sfn.test_state, definition=json.dumps(jt), roleArn=ROLE, mock={"result": "{}"}, context=json.dumps(bad)) == "ValidationException", bad
"##,
    );
}

#[test]
fn test_state_shows_items_pointer_and_applies_tolerances_given_by_paths() {
    let s = start(&["--clock", "virtual"], &[]);
    boto(
        &s,
        r##"
def ts(state, **kw):
    return sfn.test_state(definition=json.dumps(state), roleArn=ROLE, **kw)
proc = {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
# afterItemsPointer: the items the ItemReader took from the array its ItemsPointer names.
for lang, extra in [("JSONPath", {"ItemSelector": {"x.$": "$$.Map.Item.Value"}}), ("JSONata", {"ItemSelector": {"x": "{% $states.context.Map.Item.Value %}"}})]:
    reader = {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON", "ItemsPointer": "/data/items"}}
    reader["Parameters" if lang == "JSONPath" else "Arguments"] = {"Bucket": "b", "Key": "k"}
    dm = dict({"Type": "Map", "QueryLanguage": lang, "ItemReader": reader, "ItemProcessor": proc, "End": True}, **extra)
    r = ts(dm, stateConfiguration={"mapItemReaderData": json.dumps({"skip": [0], "data": {"items": [1, {"a": 2}]}})}, inspectionLevel="DEBUG")
    d = r["inspectionData"]
    assert json.loads(d["afterItemsPointer"]) == [1, {"a": 2}], (lang, r)
    assert json.loads(d["afterItemSelector"]) == [{"x": 1}, {"x": {"a": 2}}], (lang, r)
    # Without an ItemsPointer there is no such step.
    del reader["ReaderConfig"]["ItemsPointer"]
    d = ts(dm, stateConfiguration={"mapItemReaderData": "[5]"}, inspectionLevel="DEBUG")["inspectionData"]
    assert "afterItemsPointer" not in d, d
# A mocked Map's tolerances given by paths are read from its input.
m = {"Type": "Map", "ToleratedFailureCountPath": "$.n", "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, "End": True}
mock = {"result": "[1, 2, 3, 4]"}
ok = ts(m, input='{"n": 2}', mock=mock, stateConfiguration={"mapIterationFailureCount": 2}, inspectionLevel="DEBUG")
assert ok["status"] == "SUCCEEDED" and ok["inspectionData"]["toleratedFailureCount"] == 2, ok
over = ts(m, input='{"n": 1}', mock=mock, stateConfiguration={"mapIterationFailureCount": 2})
assert over["status"] == "FAILED" and over["error"] == "States.ExceedToleratedFailureThreshold", over
pct = {"Type": "Map", "ToleratedFailurePercentagePath": "$.p", "ItemProcessor": m["ItemProcessor"], "End": True}
assert ts(pct, input='{"p": 50}', mock=mock, stateConfiguration={"mapIterationFailureCount": 2})["status"] == "SUCCEEDED"
assert ts(pct, input='{"p": 25}', mock=mock, stateConfiguration={"mapIterationFailureCount": 2})["status"] == "FAILED"
# A path to something that is not a count fails the state as AWS does.
bad = ts(m, input='{"n": "two"}', mock=mock, stateConfiguration={"mapIterationFailureCount": 2})
assert bad["status"] == "FAILED" and bad["error"] == "States.Runtime", bad
# JSONata: an expression over the variables.
jm = {"Type": "Map", "QueryLanguage": "JSONata", "ToleratedFailureCount": "{% $allowed %}", "ItemProcessor": m["ItemProcessor"], "End": True}
assert ts(jm, mock=mock, variables='{"allowed": 3}', stateConfiguration={"mapIterationFailureCount": 3})["status"] == "SUCCEEDED"
assert ts(jm, mock=mock, variables='{"allowed": 2}', stateConfiguration={"mapIterationFailureCount": 3})["error"] == "States.ExceedToleratedFailureThreshold"
# An unmocked Map counts its own failures: the count is refused.
assert error_of(sfn.test_state, definition=json.dumps(m), roleArn=ROLE, input='{"n": 1}', stateConfiguration={"mapIterationFailureCount": 1}) == "ValidationException"
"##,
    );
}

#[test]
fn sigterm_stops_running_executions_and_exits() {
    let mut s = start(&[], &[]);
    boto(
        &s,
        r##"
arn = create("Long", {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}})
sfn.start_execution(stateMachineArn=arn)
"##,
    );
    let pid = s.child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    for _ in 0..100 {
        if let Some(status) = s.child.try_wait().expect("wait") {
            assert!(status.success(), "{status}");
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("asl serve did not exit within 5 s of SIGTERM");
}

#[test]
fn an_activity_worker_answers_activity_task_states() {
    let s = start(&["--clock", "virtual"], &[]);
    boto(
        &s,
        r##"
act = sfn.create_activity(name="Review")["activityArn"]
assert act == "arn:aws:states:us-east-1:123456789012:activity:Review", act
assert sfn.create_activity(name="Review")["activityArn"] == act
assert sfn.describe_activity(activityArn=act)["name"] == "Review"
assert [a["name"] for a in sfn.list_activities()["activities"]] == ["Review"]
assert error_of(sfn.describe_activity, activityArn=act + "x") == "ActivityDoesNotExist"
arn = create("Reviewed", {"StartAt": "R", "States": {"R": {"Type": "Task", "Resource": act, "End": True}}})
ex = sfn.start_execution(stateMachineArn=arn, input='{"doc": 1}')["executionArn"]
task = sfn.get_activity_task(activityArn=act, workerName="w1")
assert json.loads(task["input"]) == {"doc": 1}, task
sfn.send_task_heartbeat(taskToken=task["taskToken"])
sfn.send_task_success(taskToken=task["taskToken"], output='{"ok": true}')
d = wait_done(ex)
assert d["status"] == "SUCCEEDED" and json.loads(d["output"]) == {"ok": True}, d
assert types(ex) == ['ExecutionStarted', 'TaskStateEntered', 'ActivityScheduled', 'ActivityStarted', 'ActivitySucceeded', 'TaskStateExited', 'ExecutionSucceeded'], types(ex)
assert sfn.get_execution_history(executionArn=ex)["events"][3]["activityStartedEventDetails"] == {"workerName": "w1"}
ex2 = sfn.start_execution(stateMachineArn=arn)["executionArn"]
t2 = sfn.get_activity_task(activityArn=act)
sfn.send_task_failure(taskToken=t2["taskToken"], error="Rejected", cause="no")
d2 = wait_done(ex2)
assert d2["status"] == "FAILED" and d2["error"] == "Rejected", d2
sfn.delete_activity(activityArn=act)
assert error_of(sfn.describe_activity, activityArn=act) == "ActivityDoesNotExist"
"##,
    );
}

#[test]
fn activity_started_is_written_when_a_worker_takes_the_task_and_abandoned_tasks_are_skipped() {
    let s = start(&[], &[]);
    boto(
        &s,
        r##"
act = sfn.create_activity(name="Slow")["activityArn"]
def events(arn):
    return sfn.get_execution_history(executionArn=arn)["events"]
def wait_types(arn, last):
    for _ in range(200):
        t = types(arn)
        if t[-1] == last:
            return t
        time.sleep(0.05)
    raise AssertionError(types(arn))
# HeartbeatSeconds counts from the worker taking the task, not from the queueing.
hb = create("Heartbeat", {"StartAt": "R", "States": {"R": {"Type": "Task", "Resource": act,
     "HeartbeatSeconds": 1, "TimeoutSeconds": 30, "End": True}}})
ex = sfn.start_execution(stateMachineArn=hb, input='{"n": 1}')["executionArn"]
time.sleep(1.5)
assert types(ex) == ["ExecutionStarted", "TaskStateEntered", "ActivityScheduled"], types(ex)
sched = events(ex)[2]["activityScheduledEventDetails"]
assert sched["timeoutInSeconds"] == 30 and sched["heartbeatInSeconds"] == 1, sched
task = sfn.get_activity_task(activityArn=act, workerName="worker-7")
assert json.loads(task["input"]) == {"n": 1}, task
started = wait_types(ex, "ActivityStarted")
assert started == ["ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted"], started
assert events(ex)[3]["activityStartedEventDetails"] == {"workerName": "worker-7"}, events(ex)[3]
for _ in range(100):
    d = sfn.describe_execution(executionArn=ex)
    if d["status"] != "RUNNING":
        break
    time.sleep(0.05)
assert d["status"] == "FAILED" and d["error"] == "States.HeartbeatTimeout", d
assert types(ex)[-3:] == ["ActivityStarted", "ActivityTimedOut", "ExecutionFailed"], types(ex)
assert error_of(sfn.send_task_success, taskToken=task["taskToken"], output="{}") == "TaskTimedOut"
# TimeoutSeconds counts from the scheduling: a task no worker takes times out, unstarted.
to = create("Timeout", {"StartAt": "R", "States": {"R": {"Type": "Task", "Resource": act,
     "TimeoutSeconds": 1, "End": True}}})
ex_to = sfn.start_execution(stateMachineArn=to, input='{"n": 2}')["executionArn"]
for _ in range(100):
    d = sfn.describe_execution(executionArn=ex_to)
    if d["status"] != "RUNNING":
        break
    time.sleep(0.05)
assert d["status"] == "FAILED" and d["error"] == "States.Timeout", d
assert types(ex_to) == ["ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityTimedOut", "ExecutionFailed"], types(ex_to)
# A stopped execution's task and a task abandoned by a failed Parallel branch are never
# handed to a worker: the next worker gets the live task queued after them.
plain = create("Plain", {"StartAt": "R", "States": {"R": {"Type": "Task", "Resource": act, "End": True}}})
ex_stop = sfn.start_execution(stateMachineArn=plain, input='{"n": 3}')["executionArn"]
wait_types(ex_stop, "ActivityScheduled")
sfn.stop_execution(executionArn=ex_stop)
assert wait_done(ex_stop)["status"] == "ABORTED"
par = create("Branches", {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
    {"StartAt": "R", "States": {"R": {"Type": "Task", "Resource": act, "End": True}}},
    {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "Next": "F"}, "F": {"Type": "Fail", "Error": "Boom"}}}]}}})
ex_par = sfn.start_execution(stateMachineArn=par, input='{"n": 4}')["executionArn"]
assert wait_done(ex_par)["status"] == "FAILED"
assert "ActivityScheduled" in types(ex_par) and "ActivityStarted" not in types(ex_par), types(ex_par)
ex_live = sfn.start_execution(stateMachineArn=plain, input='{"n": 5}')["executionArn"]
t5 = sfn.get_activity_task(activityArn=act, workerName="w")
assert json.loads(t5["input"]) == {"n": 5}, t5
sfn.send_task_success(taskToken=t5["taskToken"], output='{"done": 5}')
assert wait_done(ex_live)["status"] == "SUCCEEDED"
assert "ActivityStarted" not in types(ex_stop), types(ex_stop)
long_name = "w" * 81
assert error_of(sfn.get_activity_task, activityArn=act, workerName=long_name) == "ValidationException"
"##,
    );
}

#[test]
fn tags_of_state_machines_and_activities() {
    let s = start(&["--clock", "virtual"], &[]);
    boto(
        &s,
        r##"
arn = create("Tagged", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, tags=[{"key": "team", "value": "a"}])
assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "team", "value": "a"}]
sfn.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "dev"}, {"key": "team", "value": "b"}])
assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "team", "value": "b"}, {"key": "env", "value": "dev"}]
sfn.untag_resource(resourceArn=arn, tagKeys=["team"])
assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "env", "value": "dev"}]
act = sfn.create_activity(name="Tagged", tags=[{"key": "k", "value": "v"}])["activityArn"]
assert sfn.list_tags_for_resource(resourceArn=act)["tags"] == [{"key": "k", "value": "v"}]
assert error_of(sfn.list_tags_for_resource, resourceArn=arn + "Gone") == "ResourceNotFound"
assert error_of(sfn.tag_resource, resourceArn=arn, tags=[{"key": "t%d" % i, "value": ""} for i in range(50)]) == "TooManyTags"
"##,
    );
}

#[test]
fn wait_time_scale_shortens_waits_and_a_scale_outside_0_to_1_is_refused() {
    let s = start(&[], &[("WAIT_TIME_SCALE", "0")]);
    boto(
        &s,
        r##"
arn = create("Nap", {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}})
assert wait_done(sfn.start_execution(stateMachineArn=arn)["executionArn"])["status"] == "SUCCEEDED"
"##,
    );
    // A tenth: a Wait of 3 seconds lasts about 0.3 of real time, its events in real time.
    let s = start(&[], &[("WAIT_TIME_SCALE", "0.1")]);
    boto(
        &s,
        r##"
arn = create("Nap", {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3, "End": True}}})
t0 = time.time()
ex = sfn.start_execution(stateMachineArn=arn)["executionArn"]
time.sleep(0.1)
assert sfn.describe_execution(executionArn=ex)["status"] == "RUNNING"
d = wait_done(ex)
took = time.time() - t0
assert d["status"] == "SUCCEEDED" and 0.25 <= took < 2.5, (d, took)
span = (d["stopDate"] - d["startDate"]).total_seconds()
assert 0.25 <= span < 2.5, span
"##,
    );
    for bad in ["1.5", "-1", "fast"] {
        let out = Command::new(env!("CARGO_BIN_EXE_asl"))
            .args(["serve", "--port", "0"])
            .env("WAIT_TIME_SCALE", bad)
            .output()
            .expect("run asl serve");
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(&format!("WAIT_TIME_SCALE={bad}")),
            "{bad}"
        );
    }
}

/// A fake Lambda on a free loopback port: every request is answered `{"answer": 42}`; the
/// request lines it got are sent on the channel.
fn fake_lambda() -> (String, std::sync::mpsc::Receiver<String>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().expect("clone"));
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((k, v)) = line.split_once(':')
                    && k.eq_ignore_ascii_case("content-length")
                {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; length];
            let _ = reader.read_exact(&mut body);
            let _ = tx.send(first.trim().to_string());
            let answer = r#"{"answer": 42}"#;
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Amz-Executed-Version: $LATEST\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    (url, rx)
}

#[test]
fn step_functions_local_flags_win_over_their_variables() {
    let (lambda, calls) = fake_lambda();
    let empty = std::env::temp_dir().join(format!("asl-serve-empty-{}", std::process::id()));
    std::fs::write(&empty, "").expect("write an empty config");
    let empty = empty.display().to_string();
    // Each variable would fail the run were it read: a dead Lambda, a scale that is refused.
    let s = start(
        &[
            "--lambda-endpoint",
            &lambda,
            "--aws-region",
            "eu-west-3",
            "--aws-account",
            "111122223333",
            "--wait-time-scale",
            "0",
        ],
        &[
            ("LAMBDA_ENDPOINT", "http://127.0.0.1:1"),
            ("WAIT_TIME_SCALE", "fast"),
            ("AWS_DEFAULT_REGION", "us-west-2"),
            ("AWS_ACCOUNT_ID", "999999999999"),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_CONFIG_FILE", &empty),
            ("AWS_SHARED_CREDENTIALS_FILE", &empty),
        ],
    );
    let def = serde_json::json!({"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                 "Parameters": {"FunctionName": "f", "Payload": {}}, "ResultSelector": {"a.$": "$.Payload.answer"},
                 "Next": "Nap"},
        "Nap": {"Type": "Wait", "Seconds": 3600, "End": true}}});
    let create = serde_json::json!({"name": "Flags", "definition": def.to_string(),
        "roleArn": "arn:aws:iam::111122223333:role/r"});
    let (status, made) = raw(
        &s,
        Some("AWSStepFunctions.CreateStateMachine"),
        &create.to_string(),
    );
    assert_eq!(status, 200, "{made}");
    assert_eq!(
        made["stateMachineArn"],
        "arn:aws:states:eu-west-3:111122223333:stateMachine:Flags"
    );
    let start_body = serde_json::json!({"stateMachineArn": made["stateMachineArn"]});
    let (_, started) = raw(
        &s,
        Some("AWSStepFunctions.StartExecution"),
        &start_body.to_string(),
    );
    let describe = serde_json::json!({"executionArn": started["executionArn"]}).to_string();
    let mut d = serde_json::Value::Null;
    for _ in 0..200 {
        d = raw(&s, Some("AWSStepFunctions.DescribeExecution"), &describe).1;
        if d["status"] != "RUNNING" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // The hour's Wait ended at once (scale 0) and the flag's Lambda answered.
    assert_eq!(d["status"], "SUCCEEDED", "{d}");
    assert_eq!(d["output"], r#"{"a":42}"#, "{d}");
    let call = calls.try_recv().expect("the fake Lambda was called");
    assert!(
        call.starts_with("POST /2015-03-31/functions/f/invocations"),
        "{call}"
    );
    // A scale given by the flag is checked as the variable is, and named as given.
    let out = Command::new(env!("CARGO_BIN_EXE_asl"))
        .args(["serve", "--port", "0", "--wait-time-scale", "2"])
        .env_remove("WAIT_TIME_SCALE")
        .output()
        .expect("run asl serve");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--wait-time-scale 2"));
    // With --clock the scale has nothing to say.
    let out = Command::new(env!("CARGO_BIN_EXE_asl"))
        .args([
            "serve",
            "--port",
            "0",
            "--clock",
            "real",
            "--wait-time-scale",
            "0",
        ])
        .output()
        .expect("run asl serve");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn versions_and_aliases_run_the_definition_they_froze() {
    let s = start(&["--clock", "virtual"], &[]);
    boto(
        &s,
        r##"
one = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1, "End": True}}}
two = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 2, "End": True}}}
c = sfn.create_state_machine(name="V", definition=json.dumps(one), roleArn=ROLE, publish=True)
v1 = c["stateMachineVersionArn"]
assert v1 == c["stateMachineArn"] + ":1", c
# Publishing an unchanged revision answers the same version.
assert sfn.publish_state_machine_version(stateMachineArn=c["stateMachineArn"])["stateMachineVersionArn"] == v1
v2 = sfn.update_state_machine(stateMachineArn=c["stateMachineArn"], definition=json.dumps(two), publish=True)["stateMachineVersionArn"]
assert v2.endswith(":2"), v2
assert [v["stateMachineVersionArn"] for v in sfn.list_state_machine_versions(stateMachineArn=c["stateMachineArn"])["stateMachineVersions"]] == [v2, v1]
assert json.loads(sfn.describe_state_machine(stateMachineArn=v1)["definition"]) == one
ex = sfn.start_execution(stateMachineArn=v1)["executionArn"]
d = wait_done(ex)
assert d["output"] == "1" and d["stateMachineVersionArn"] == v1, d
al = sfn.create_state_machine_alias(name="live", routingConfiguration=[{"stateMachineVersionArn": v2, "weight": 100}])["stateMachineAliasArn"]
assert al == c["stateMachineArn"] + ":live", al
d = wait_done(sfn.start_execution(stateMachineArn=al)["executionArn"])
assert d["output"] == "2" and d["stateMachineAliasArn"] == al and d["stateMachineVersionArn"] == v2, d
ex_al = d["executionArn"]
ex_plain = wait_done(sfn.start_execution(stateMachineArn=c["stateMachineArn"])["executionArn"])["executionArn"]
# ListExecutions by version lists what ran that version (through an alias too), by alias what
# started through it, by the machine's own ARN all of them.
def listed(arn, **kw):
    return [e["executionArn"] for e in sfn.list_executions(stateMachineArn=arn, **kw)["executions"]]
assert listed(v1) == [ex], listed(v1)
assert listed(v2) == [ex_al], listed(v2)
assert listed(al) == [ex_al], listed(al)
assert listed(c["stateMachineArn"]) == [ex_plain, ex_al, ex], listed(c["stateMachineArn"])
item = sfn.list_executions(stateMachineArn=al)["executions"][0]
assert item["stateMachineAliasArn"] == al and item["stateMachineVersionArn"] == v2, item
assert "stateMachineVersionArn" not in sfn.list_executions(stateMachineArn=c["stateMachineArn"])["executions"][0]
assert error_of(sfn.list_executions, stateMachineArn=c["stateMachineArn"] + ":9") == "StateMachineDoesNotExist"
assert error_of(sfn.list_executions, stateMachineArn=c["stateMachineArn"] + ":nope") == "StateMachineDoesNotExist"
assert error_of(sfn.list_executions) == "ValidationException"
assert error_of(sfn.list_executions, stateMachineArn=v1, statusFilter="PENDING_REDRIVE") == "ValidationException"
sfn.update_state_machine_alias(stateMachineAliasArn=al, routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}])
assert sfn.describe_state_machine_alias(stateMachineAliasArn=al)["routingConfiguration"] == [{"stateMachineVersionArn": v1, "weight": 100}]
assert [a["stateMachineAliasArn"] for a in sfn.list_state_machine_aliases(stateMachineArn=c["stateMachineArn"])["stateMachineAliases"]] == [al]
assert error_of(sfn.delete_state_machine_version, stateMachineVersionArn=v1) == "ConflictException"
sfn.delete_state_machine_alias(stateMachineAliasArn=al)
sfn.delete_state_machine_version(stateMachineVersionArn=v1)
assert error_of(sfn.start_execution, stateMachineArn=v1) == "StateMachineDoesNotExist"
assert error_of(sfn.describe_state_machine_alias, stateMachineAliasArn=al) == "ResourceNotFound"
"##,
    );
}

/// One raw GET: (status, body).
fn get(server: &Server, path: &str) -> (u16, String) {
    let addr = server.endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).expect("send");
    let mut text = String::new();
    stream.read_to_string(&mut text).expect("read");
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn the_web_view_lists_machines_and_draws_an_execution() {
    let s = start(&["--clock", "virtual"], &[]);
    let def =
        r#"{\"StartAt\": \"Greet\", \"States\": {\"Greet\": {\"Type\": \"Pass\", \"End\": true}}}"#;
    let (status, _) = raw(
        &s,
        Some("AWSStepFunctions.CreateStateMachine"),
        &format!(
            r#"{{"name": "Web", "roleArn": "arn:aws:iam::123456789012:role/r", "definition": "{def}"}}"#
        ),
    );
    assert_eq!(status, 200);
    let (_, started) = raw(
        &s,
        Some("AWSStepFunctions.StartExecution"),
        r#"{"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:Web", "name": "w1"}"#,
    );
    assert_eq!(
        started["executionArn"],
        "arn:aws:states:us-east-1:123456789012:execution:Web:w1"
    );
    std::thread::sleep(std::time::Duration::from_millis(200));
    let (status, index) = get(&s, "/");
    assert_eq!(status, 200);
    assert!(
        index.contains("Web") && index.contains("w1") && index.contains("SUCCEEDED"),
        "{index}"
    );
    let (status, page) = get(
        &s,
        "/execution?arn=arn%3Aaws%3Astates%3Aus-east-1%3A123456789012%3Aexecution%3AWeb%3Aw1",
    );
    assert_eq!(status, 200);
    assert!(
        page.contains("Greet") && page.contains("PassStateEntered"),
        "{page}"
    );
    assert_eq!(get(&s, "/nothing").0, 404);
}

#[test]
fn a_host_that_is_not_loopback_is_warned_about() {
    let s = start(&["--host", "0.0.0.0", "--clock", "virtual"], &[]);
    assert!(
        s.before
            .iter()
            .any(|l| l.contains("warning") && l.contains("not loopback")),
        "{:?}",
        s.before
    );
    let quiet = start(&["--clock", "virtual"], &[]);
    assert!(quiet.before.is_empty(), "{:?}", quiet.before);
}

#[test]
fn a_thousand_concurrent_executions_are_held_and_stopped() {
    let s = start(&[], &[]);
    boto(
        &s,
        r##"
import concurrent.futures as cf
fast = boto3.client("stepfunctions", endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1",
                    aws_access_key_id="test", aws_secret_access_key="test",
                    config=botocore.config.Config(max_pool_connections=32))
arn = create("Many", {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}})
with cf.ThreadPoolExecutor(16) as pool:
    arns = list(pool.map(lambda i: fast.start_execution(stateMachineArn=arn, name="e%d" % i)["executionArn"], range(1000)))
running = sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING", maxResults=1000)["executions"]
assert len(running) == 1000, len(running)
with cf.ThreadPoolExecutor(16) as pool:
    list(pool.map(lambda a: fast.stop_execution(executionArn=a), arns))
for _ in range(300):
    if not sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING", maxResults=1)["executions"]:
        break
    time.sleep(0.1)
done = sfn.list_executions(stateMachineArn=arn, statusFilter="ABORTED", maxResults=1000)["executions"]
assert len(done) == 1000, len(done)
"##,
    );
}

/// Sends SIGTERM and waits (5 s at most) for a clean exit.
/// `asl serve --clock virtual` with `mocks` as its `SFN_MOCK_CONFIG`, written in a fresh
/// directory named after `tag` (removed by the caller).
fn serve_with_mocks(tag: &str, mocks: &str) -> (Server, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("asl-serve-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("MockConfigFile.json");
    std::fs::write(&file, mocks).expect("write mocks");
    let path = file.display().to_string();
    let s = start(&["--clock", "virtual"], &[("SFN_MOCK_CONFIG", &path)]);
    (s, dir)
}

fn terminate(s: &mut Server) {
    let pid = s.child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    for _ in 0..100 {
        if let Some(status) = s.child.try_wait().expect("wait") {
            assert!(status.success(), "{status}");
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("asl serve did not exit within 5 s of SIGTERM");
}

/// A fresh directory under the target dir for one test's `--state-dir`.
fn state_dir(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "{name}-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn state_dir_keeps_machines_activities_and_finished_executions_across_a_restart() {
    if python().is_none() {
        return;
    }
    let dir = state_dir("serve-state");
    let dir_arg = dir.to_string_lossy().to_string();
    let snapshot = dir.with_extension("json");
    let snap = snapshot.to_string_lossy().to_string();
    let mut first = start(&["--state-dir", &dir_arg], &[]);
    boto(
        &first,
        &format!(
            r##"
arn = create("Kept", {{"StartAt": "P", "States": {{"P": {{"Type": "Pass", "Result": {{"n": 1}}, "Next": "F"}}, "F": {{"Type": "Fail", "Error": "E", "Cause": "c"}}}}}}, tags=[{{"key": "team", "value": "a"}}], publish=True)
ver = arn + ":1"
alias = sfn.create_state_machine_alias(name="live", routingConfiguration=[{{"stateMachineVersionArn": ver, "weight": 100}}])["stateMachineAliasArn"]
act = sfn.create_activity(name="Kept", tags=[{{"key": "k", "value": "v"}}])["activityArn"]
ok = create("Ok", {{"StartAt": "P", "States": {{"P": {{"Type": "Pass", "End": True}}}}}})
done = [wait_done(sfn.start_execution(stateMachineArn=a, name="e%d" % i, input='{{"i": %d}}' % i)["executionArn"])["executionArn"] for i, a in enumerate([arn, ok, alias])]
dist = create("Dist", {{"StartAt": "M", "States": {{"M": {{"Type": "Map", "Label": "Each", "MaxConcurrency": 3,
    "ItemProcessor": {{"ProcessorConfig": {{"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}}, "StartAt": "P",
                      "States": {{"P": {{"Type": "Pass", "End": True}}}}}}, "End": True}}}}}})
dx = wait_done(sfn.start_execution(stateMachineArn=dist, name="d", input="[1, 2]")["executionArn"])["executionArn"]
long = create("Long", {{"StartAt": "W", "States": {{"W": {{"Type": "Wait", "Seconds": 3600, "End": True}}}}}})
running = sfn.start_execution(stateMachineArn=long, name="long")["executionArn"]
def strip(d):
    d.pop("ResponseMetadata", None)
    return d
snap = {{
    "machines": strip(sfn.list_state_machines()),
    "describe": [strip(sfn.describe_state_machine(stateMachineArn=a)) for a in [arn, ok, ver]],
    "versions": strip(sfn.list_state_machine_versions(stateMachineArn=arn)),
    "alias": strip(sfn.describe_state_machine_alias(stateMachineAliasArn=alias)),
    "tags": [strip(sfn.list_tags_for_resource(resourceArn=r)) for r in [arn, act]],
    "activities": strip(sfn.list_activities()),
    "executions": [strip(sfn.describe_execution(executionArn=e)) for e in done],
    "lists": [strip(sfn.list_executions(stateMachineArn=a)) for a in [arn, ok]],
    "histories": [strip(sfn.get_execution_history(executionArn=e)) for e in done],
    "for": [strip(sfn.describe_state_machine_for_execution(executionArn=e)) for e in done],
    "running": running,
    "mapRuns": strip(sfn.list_map_runs(executionArn=dx)),
}}
snap["mapRun"] = strip(sfn.describe_map_run(mapRunArn=snap["mapRuns"]["mapRuns"][0]["mapRunArn"]))
open("{snap}", "w").write(json.dumps(snap, default=str))
"##
        ),
    );
    terminate(&mut first);
    drop(first);
    let second = start(&["--state-dir", &dir_arg], &[]);
    boto(
        &second,
        &format!(
            r##"
snap = json.loads(open("{snap}").read())
def strip(d):
    d.pop("ResponseMetadata", None)
    return json.loads(json.dumps(d, default=str))
arn, ok = [m["stateMachineArn"] for m in snap["machines"]["stateMachines"]][:2]
ver = arn + ":1"
alias = snap["alias"]["stateMachineAliasArn"]
act = snap["activities"]["activities"][0]["activityArn"]
done = [e["executionArn"] for e in snap["executions"]]
machines = strip(sfn.list_state_machines())
assert machines["stateMachines"][:2] == snap["machines"]["stateMachines"][:2], machines
assert [strip(sfn.describe_state_machine(stateMachineArn=a)) for a in [arn, ok, ver]] == snap["describe"]
assert strip(sfn.list_state_machine_versions(stateMachineArn=arn)) == snap["versions"]
assert strip(sfn.describe_state_machine_alias(stateMachineAliasArn=alias)) == snap["alias"]
assert [strip(sfn.list_tags_for_resource(resourceArn=r)) for r in [arn, act]] == snap["tags"]
assert strip(sfn.list_activities()) == snap["activities"]
assert [strip(sfn.describe_execution(executionArn=e)) for e in done] == snap["executions"]
assert [strip(sfn.list_executions(stateMachineArn=a)) for a in [arn, ok]] == snap["lists"]
assert [strip(sfn.get_execution_history(executionArn=e)) for e in done] == snap["histories"]
assert [strip(sfn.describe_state_machine_for_execution(executionArn=e)) for e in done] == snap["for"]
assert snap["executions"][0]["status"] == "FAILED" and snap["executions"][1]["status"] == "SUCCEEDED"
dx = snap["mapRuns"]["mapRuns"][0]["executionArn"]
assert strip(sfn.list_map_runs(executionArn=dx)) == snap["mapRuns"]
assert strip(sfn.describe_map_run(mapRunArn=snap["mapRuns"]["mapRuns"][0]["mapRunArn"])) == snap["mapRun"]
assert snap["mapRun"]["executionCounts"]["succeeded"] == 2, snap["mapRun"]
# The execution running at the SIGTERM was stopped and kept as such.
r = sfn.describe_execution(executionArn=snap["running"])
assert r["status"] == "ABORTED", r
assert types(snap["running"])[-1] == "ExecutionAborted", types(snap["running"])
# The restored machine, version and alias still run.
assert wait_done(sfn.start_execution(stateMachineArn=alias)["executionArn"])["status"] == "FAILED"
"##
        ),
    );
    drop(second);
    // --max-finished applies to what was kept: only the newest finished execution is left.
    let third = start(&["--state-dir", &dir_arg, "--max-finished", "1"], &[]);
    assert!(
        third
            .before
            .iter()
            .any(|l| l.contains("evicted the finished execution")),
        "{:?}",
        third.before
    );
    drop(third);
    let fourth = start(&["--state-dir", &dir_arg], &[]);
    boto(
        &fourth,
        &format!(
            r##"
snap = json.loads(open("{snap}").read())
assert error_of(sfn.describe_execution, executionArn=snap["executions"][0]["executionArn"]) == "ExecutionDoesNotExist"
arns = [m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]]
assert sum(len(sfn.list_executions(stateMachineArn=a)["executions"]) for a in arns) == 1
"##
        ),
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&snapshot);
}

#[test]
fn state_dir_keeps_map_run_children_within_max_finished() {
    if python().is_none() {
        return;
    }
    let dir = state_dir("serve-children");
    let dir_arg = dir.to_string_lossy().to_string();
    let snapshot = dir.with_extension("json");
    let snap = snapshot.to_string_lossy().to_string();
    let mut first = start(&["--state-dir", &dir_arg], &[]);
    boto(
        &first,
        &format!(
            r##"
dist = create("Dist", {{"StartAt": "M", "States": {{"M": {{"Type": "Map", "Label": "Each", "ToleratedFailureCount": 1,
    "ItemProcessor": {{"ProcessorConfig": {{"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}}, "StartAt": "C",
      "States": {{"C": {{"Type": "Choice", "Choices": [{{"Variable": "$", "NumericEquals": 2, "Next": "F"}}], "Default": "P"}},
                 "F": {{"Type": "Fail", "Error": "Two", "Cause": "two"}}, "P": {{"Type": "Pass", "End": True}}}}}}, "End": True}}}}}})
dx = wait_done(sfn.start_execution(stateMachineArn=dist, name="d", input="[1, 2, 3]")["executionArn"])["executionArn"]
assert sfn.describe_execution(executionArn=dx)["status"] == "SUCCEEDED"
mr = sfn.list_map_runs(executionArn=dx)["mapRuns"][0]["mapRunArn"]
kids = [k["executionArn"] for k in sfn.list_executions(mapRunArn=mr)["executions"]]
assert len(kids) == 3, kids
def strip(d):
    d.pop("ResponseMetadata", None)
    return d
snap = {{"kids": kids, "describe": [strip(sfn.describe_execution(executionArn=k)) for k in kids],
         "histories": [strip(sfn.get_execution_history(executionArn=k)) for k in kids]}}
assert sorted(d["status"] for d in snap["describe"]) == ["FAILED", "SUCCEEDED", "SUCCEEDED"], snap
open("{snap}", "w").write(json.dumps(snap, default=str))
"##
        ),
    );
    terminate(&mut first);
    drop(first);
    // After a restart the children answer as before.
    let second = start(&["--state-dir", &dir_arg], &[]);
    boto(
        &second,
        &format!(
            r##"
snap = json.loads(open("{snap}").read())
def strip(d):
    d.pop("ResponseMetadata", None)
    return json.loads(json.dumps(d, default=str))
assert [strip(sfn.describe_execution(executionArn=k)) for k in snap["kids"]] == snap["describe"]
assert [strip(sfn.get_execution_history(executionArn=k)) for k in snap["kids"]] == snap["histories"]
"##
        ),
    );
    drop(second);
    // --max-finished bounds them with the executions: with room for one, the parent (which
    // finished last) stays and its children are evicted, from the file too.
    let third = start(&["--state-dir", &dir_arg, "--max-finished", "1"], &[]);
    drop(third);
    let fourth = start(&["--state-dir", &dir_arg], &[]);
    boto(
        &fourth,
        &format!(
            r##"
snap = json.loads(open("{snap}").read())
for k in snap["kids"]:
    assert error_of(sfn.describe_execution, executionArn=k) == "ExecutionDoesNotExist", k
    assert error_of(sfn.get_execution_history, executionArn=k) == "ExecutionDoesNotExist", k
dist = snap["describe"][0]["stateMachineArn"].rsplit("/", 1)[0]
assert [e["status"] for e in sfn.list_executions(stateMachineArn=dist)["executions"]] == ["SUCCEEDED"]
"##
        ),
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&snapshot);
}

#[test]
fn an_execution_running_when_the_server_is_killed_is_aborted_at_the_next_start() {
    if python().is_none() {
        return;
    }
    let dir = state_dir("serve-killed");
    let dir_arg = dir.to_string_lossy().to_string();
    let first = start(&["--state-dir", &dir_arg], &[]);
    boto(
        &first,
        r#"
long = create("Long", {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}})
arn = sfn.start_execution(stateMachineArn=long, name="killed", input='{"k": 1}')["executionArn"]
for _ in range(100):
    if "WaitStateEntered" in types(arn):
        break
    time.sleep(0.05)
assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
"#,
    );
    // SIGKILL: no chance to stop the execution or to write anything more.
    drop(first);
    let second = start(&["--state-dir", &dir_arg], &[]);
    assert!(
        second
            .before
            .iter()
            .any(|l| l.contains("was running when the server last stopped")),
        "{:?}",
        second.before
    );
    boto(
        &second,
        r#"
long = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
[e] = sfn.list_executions(stateMachineArn=long)["executions"]
assert e["name"] == "killed" and e["status"] == "ABORTED", e
d = sfn.describe_execution(executionArn=e["executionArn"])
assert d["status"] == "ABORTED" and d["input"] == '{"k": 1}' and "stopDate" in d, d
assert "killed or crashed" in d["cause"], d
h = sfn.get_execution_history(executionArn=e["executionArn"])["events"]
assert [x["type"] for x in h] == ["ExecutionStarted", "ExecutionAborted"], h
assert h[1]["previousEventId"] == h[0]["id"] == 1, h
assert sfn.list_executions(stateMachineArn=long, statusFilter="RUNNING")["executions"] == []
"#,
    );
    drop(second);
    // Ended once: a third start finds it ABORTED already and says nothing more of it.
    let third = start(&["--state-dir", &dir_arg], &[]);
    assert!(
        !third
            .before
            .iter()
            .any(|l| l.contains("was running when the server last stopped")),
        "{:?}",
        third.before
    );
    drop(third);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_corrupt_database_or_a_state_dir_that_cannot_be_made_is_exit_2() {
    let dir = state_dir("serve-corrupt");
    std::fs::create_dir_all(&dir).expect("make the state dir");
    std::fs::write(dir.join("asl-serve.sqlite"), vec![b'#'; 4096]).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_asl"))
        .args(["serve", "--port", "0", "--state-dir"])
        .arg(&dir)
        .output()
        .expect("run asl serve");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot use the database") && err.contains("asl-serve.sqlite"),
        "{err}"
    );
    let file = dir.join("a-file");
    std::fs::write(&file, "").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_asl"))
        .args(["serve", "--port", "0", "--state-dir"])
        .arg(file.join("below"))
        .output()
        .expect("run asl serve");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot create the state directory"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn map_runs_of_a_distributed_map_are_listed_described_and_updated() {
    let s = start(&[], &[]);
    boto(
        &s,
        r##"
def dist(name, child, **map):
    d = {"StartAt": "M", "States": {"M": dict({"Type": "Map", "Label": "Each",
      "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "C", "States": child},
      "End": True}, **map)}}
    return create(name, d)
pick = {"C": {"Type": "Choice", "Choices": [{"Variable": "$.bad", "BooleanEquals": True, "Next": "F"}], "Default": "P"},
        "F": {"Type": "Fail", "Error": "Bad"}, "P": {"Type": "Pass", "End": True}}
arn = dist("Dist", pick, MaxConcurrency=2, ToleratedFailureCount=1)
ex = sfn.start_execution(stateMachineArn=arn, input=json.dumps([{"bad": False}, {"bad": True}, {"bad": False}]))["executionArn"]
assert wait_done(ex)["status"] == "SUCCEEDED"
runs = sfn.list_map_runs(executionArn=ex)["mapRuns"]
assert len(runs) == 1, runs
run = runs[0]
started = [e for e in sfn.get_execution_history(executionArn=ex)["events"] if e["type"] == "MapRunStarted"]
assert run["mapRunArn"] == started[0]["mapRunStartedEventDetails"]["mapRunArn"], (run, started)
assert run["executionArn"] == ex and run["stateMachineArn"] == arn + "/Each" and "stopDate" in run, run
d = sfn.describe_map_run(mapRunArn=run["mapRunArn"])
assert d["status"] == "SUCCEEDED" and d["executionArn"] == ex, d
assert d["maxConcurrency"] == 2 and d["toleratedFailureCount"] == 1 and d["toleratedFailurePercentage"] == 0, d
counts = {"pending": 0, "running": 0, "succeeded": 2, "failed": 1, "timedOut": 0, "aborted": 0, "total": 3,
          "resultsWritten": 0, "failuresNotRedrivable": 0, "pendingRedrive": 0}
assert d["itemCounts"] == counts and d["executionCounts"] == counts, d
assert d["redriveCount"] == 0 and d["startDate"] <= d["stopDate"], d
# ListExecutions of the map run: its child executions, newest first, in AWS's entry shape.
kids = sfn.list_executions(mapRunArn=run["mapRunArn"])["executions"]
assert len(kids) == 3, kids
assert sorted(k["status"] for k in kids) == ["FAILED", "SUCCEEDED", "SUCCEEDED"], kids
for k in kids:
    assert k["executionArn"] == arn.replace(":stateMachine:", ":execution:") + "/Each:" + k["name"], k
    assert k["stateMachineArn"] == arn + "/Each" and k["mapRunArn"] == run["mapRunArn"], k
    assert k["itemCount"] == 1 and k["startDate"] <= k["stopDate"], k
assert [k["startDate"] for k in kids] == sorted((k["startDate"] for k in kids), reverse=True), kids
assert [k["status"] for k in sfn.list_executions(mapRunArn=run["mapRunArn"], statusFilter="FAILED")["executions"]] == ["FAILED"]
assert sfn.list_executions(mapRunArn=run["mapRunArn"], redriveFilter="REDRIVEN")["executions"] == []
assert len(sfn.list_executions(mapRunArn=run["mapRunArn"], redriveFilter="NOT_REDRIVEN")["executions"]) == 3
page1 = sfn.list_executions(mapRunArn=run["mapRunArn"], maxResults=2)
page2 = sfn.list_executions(mapRunArn=run["mapRunArn"], maxResults=2, nextToken=page1["nextToken"])
assert [k["executionArn"] for k in page1["executions"] + page2["executions"]] == [k["executionArn"] for k in kids]
assert error_of(sfn.list_executions, stateMachineArn=arn, mapRunArn=run["mapRunArn"]) == "ValidationException"
# Batches: each child's itemCount is its batch's size.
batched = dist("Batched", {"C": {"Type": "Pass", "End": True}}, ItemBatcher={"MaxItemsPerBatch": 2})
exb = sfn.start_execution(stateMachineArn=batched, input=json.dumps([1, 2, 3]))["executionArn"]
assert wait_done(exb)["status"] == "SUCCEEDED"
rb = sfn.list_map_runs(executionArn=exb)["mapRuns"][0]["mapRunArn"]
assert sorted(k["itemCount"] for k in sfn.list_executions(mapRunArn=rb)["executions"]) == [1, 2]

# A run still going: its children wait; UpdateMapRun records new settings; a stop aborts it.
waits = {"C": {"Type": "Wait", "Seconds": 3600, "End": True}}
slow = dist("Slow", waits, MaxConcurrency=2)
ex2 = sfn.start_execution(stateMachineArn=slow, input=json.dumps([1, 2, 3]))["executionArn"]
for _ in range(100):
    runs = sfn.list_map_runs(executionArn=ex2)["mapRuns"]
    if runs:
        break
    time.sleep(0.05)
mr = runs[0]["mapRunArn"]
d = sfn.describe_map_run(mapRunArn=mr)
assert d["status"] == "RUNNING" and "stopDate" not in d, d
for _ in range(100):
    running = sfn.list_executions(mapRunArn=mr)["executions"]
    if len(running) == 2:
        break
    time.sleep(0.05)
assert [k["status"] for k in running] == ["RUNNING", "RUNNING"] and all("stopDate" not in k for k in running), running
assert d["executionCounts"]["running"] == 2 and d["executionCounts"]["pending"] == 1 and d["executionCounts"]["total"] == 3, d
sfn.update_map_run(mapRunArn=mr, maxConcurrency=5, toleratedFailurePercentage=50.0, toleratedFailureCount=2)
d = sfn.describe_map_run(mapRunArn=mr)
assert d["maxConcurrency"] == 5 and d["toleratedFailurePercentage"] == 50 and d["toleratedFailureCount"] == 2, d
# The larger concurrency starts the third child while the first two still wait.
for _ in range(100):
    running = sfn.list_executions(mapRunArn=mr)["executions"]
    if len(running) == 3:
        break
    time.sleep(0.05)
assert [k["status"] for k in running] == ["RUNNING"] * 3, running
sfn.stop_execution(executionArn=ex2)
assert wait_done(ex2)["status"] == "ABORTED"
d = sfn.describe_map_run(mapRunArn=mr)
assert d["status"] == "ABORTED" and "stopDate" in d and d["executionCounts"]["running"] == 0, d
aborted = sfn.list_executions(mapRunArn=mr)["executions"]
assert [k["status"] for k in aborted] == ["ABORTED"] * 3 and all("stopDate" in k for k in aborted), aborted
assert d["maxConcurrency"] == 5, d

# Errors as AWS names them.
assert error_of(sfn.describe_map_run, mapRunArn="not-an-arn") == "InvalidArn"
assert error_of(sfn.describe_map_run, mapRunArn=arn) == "InvalidArn"
gone = mr.rsplit(":", 1)[0] + ":00000000-0000-0000-0000-000000000000"
assert error_of(sfn.describe_map_run, mapRunArn=gone) == "ResourceNotFound"
assert error_of(sfn.update_map_run, mapRunArn=gone, maxConcurrency=1) == "ResourceNotFound"
assert error_of(sfn.update_map_run, mapRunArn=mr) == "ValidationException"
assert error_of(sfn.update_map_run, mapRunArn=mr, toleratedFailurePercentage=101.0) == "ValidationException"
assert error_of(sfn.list_map_runs, executionArn=ex + "x") == "ExecutionDoesNotExist"
assert error_of(sfn.list_map_runs, executionArn=arn) == "InvalidArn"
assert error_of(sfn.list_executions, mapRunArn=gone) == "ResourceNotFound"
assert error_of(sfn.list_executions, mapRunArn=arn) == "InvalidArn"
# An execution without a Distributed Map has none.
plain = create("Plain", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
ex3 = sfn.start_execution(stateMachineArn=plain)["executionArn"]
wait_done(ex3)
assert sfn.list_map_runs(executionArn=ex3)["mapRuns"] == []
"##,
    );
}

#[test]
fn update_map_run_changes_a_run_that_is_going() {
    let s = start(&[], &[]);
    boto(
        &s,
        r##"
def dist(name, **map):
    child = {"C": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                   "Parameters": {"QueueUrl": "q", "MessageBody.$": "$$.Task.Token"}, "End": True}}
    d = {"StartAt": "M", "States": {"M": dict({"Type": "Map", "Label": "Each",
      "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "C", "States": child},
      "End": True}, **map)}}
    return create(name, d)
def run_of(ex):
    for _ in range(100):
        runs = sfn.list_map_runs(executionArn=ex)["mapRuns"]
        if runs:
            return runs[0]["mapRunArn"]
        time.sleep(0.05)
    raise AssertionError("no map run")
def running(mr, n):
    for _ in range(100):
        kids = [k for k in sfn.list_executions(mapRunArn=mr, statusFilter="RUNNING")["executions"]]
        if len(kids) >= n:
            return kids
        time.sleep(0.05)
    raise AssertionError("not %d running: %r" % (n, kids))
def token_of(child):
    for _ in range(100):
        for e in sfn.get_execution_history(executionArn=child)["events"]:
            if e["type"] == "TaskScheduled":
                return json.loads(e["taskScheduledEventDetails"]["parameters"])["MessageBody"]
        time.sleep(0.05)
    raise AssertionError("no TaskScheduled in " + child)

# MaxConcurrency 1: one child at a time, until UpdateMapRun lets three go at once.
one = dist("OneAtATime", MaxConcurrency=1)
ex = sfn.start_execution(stateMachineArn=one, input=json.dumps([1, 2, 3]))["executionArn"]
mr = run_of(ex)
first = running(mr, 1)
time.sleep(0.3)
assert len(sfn.list_executions(mapRunArn=mr)["executions"]) == 1, "a second child started under MaxConcurrency 1"
sfn.update_map_run(mapRunArn=mr, maxConcurrency=3)
kids = running(mr, 3)
assert len(kids) == 3 and first[0]["executionArn"] in [k["executionArn"] for k in kids], kids
d = sfn.describe_map_run(mapRunArn=mr)
assert d["maxConcurrency"] == 3 and d["executionCounts"]["running"] + d["executionCounts"]["pending"] == 3, d
for k in kids:
    sfn.send_task_success(taskToken=token_of(k["executionArn"]), output="{}")
assert wait_done(ex)["status"] == "SUCCEEDED"
assert sfn.describe_map_run(mapRunArn=mr)["executionCounts"]["succeeded"] == 3

# No failure tolerated: two failures fail the run, unless the tolerance is raised first.
strict = dist("Strict", MaxConcurrency=3)
def two_fail(update):
    ex = sfn.start_execution(stateMachineArn=strict, input=json.dumps([1, 2, 3]))["executionArn"]
    mr = run_of(ex)
    kids = running(mr, 3)
    if update:
        sfn.update_map_run(mapRunArn=mr, **update)
    for i, k in enumerate(sorted(kids, key=lambda k: k["executionArn"])):
        tok = token_of(k["executionArn"])
        try:
            if i < 2:
                sfn.send_task_failure(taskToken=tok, error="No")
            else:
                sfn.send_task_success(taskToken=tok, output="{}")
        except sfn.exceptions.TaskTimedOut:
            pass  # its run had already ended it
    return wait_done(ex), sfn.describe_map_run(mapRunArn=mr)
d, r = two_fail(None)
assert d["status"] == "FAILED" and d["error"] == "States.ExceedToleratedFailureThreshold", d
assert r["status"] == "FAILED", r
d, r = two_fail({"toleratedFailureCount": 2})
assert d["status"] == "SUCCEEDED", d
assert r["status"] == "SUCCEEDED" and r["toleratedFailureCount"] == 2, r
assert r["executionCounts"]["failed"] == 2 and r["executionCounts"]["succeeded"] == 1, r
d, r = two_fail({"toleratedFailurePercentage": 70.0})
assert d["status"] == "SUCCEEDED", d

# A tolerance lowered past the failures so far fails the run at once.
lenient = dist("Lenient", MaxConcurrency=3, ToleratedFailureCount=5)
ex = sfn.start_execution(stateMachineArn=lenient, input=json.dumps([1, 2, 3]))["executionArn"]
mr = run_of(ex)
kids = sorted(running(mr, 3), key=lambda k: k["executionArn"])
for k in kids[:2]:
    sfn.send_task_failure(taskToken=token_of(k["executionArn"]), error="No")
for _ in range(100):
    if sfn.describe_map_run(mapRunArn=mr)["executionCounts"]["failed"] == 2:
        break
    time.sleep(0.05)
assert sfn.describe_execution(executionArn=ex)["status"] == "RUNNING"
sfn.update_map_run(mapRunArn=mr, toleratedFailureCount=1)
d = wait_done(ex)
assert d["status"] == "FAILED" and d["error"] == "States.ExceedToleratedFailureThreshold", d
r = sfn.describe_map_run(mapRunArn=mr)
assert r["status"] == "FAILED" and r["executionCounts"]["aborted"] == 1, r
assert sfn.describe_execution(executionArn=kids[2]["executionArn"])["status"] == "ABORTED"
"##,
    );
}

#[test]
fn a_map_runs_child_executions_are_described_with_their_history_and_bounded() {
    let s = start(&["--max-finished", "4"], &[]);
    boto(
        &s,
        r##"
def dist(name, child, **map):
    d = {"StartAt": "M", "States": {"M": dict({"Type": "Map", "Label": "Each",
      "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "C", "States": child},
      "End": True}, **map)}}
    return create(name, d)
pick = {"C": {"Type": "Choice", "Choices": [{"Variable": "$.bad", "BooleanEquals": True, "Next": "F"}], "Default": "P"},
        "F": {"Type": "Fail", "Error": "Bad", "Cause": "item was bad"}, "P": {"Type": "Pass", "Parameters": {"got.$": "$.n"}, "End": True}}
arn = dist("Kids", pick, ToleratedFailureCount=1)
ex = sfn.start_execution(stateMachineArn=arn, input=json.dumps([{"n": 1, "bad": False}, {"n": 2, "bad": True}]))["executionArn"]
assert wait_done(ex)["status"] == "SUCCEEDED"
run = sfn.list_map_runs(executionArn=ex)["mapRuns"][0]["mapRunArn"]
kids = {k["status"]: k for k in sfn.list_executions(mapRunArn=run)["executions"]}
ok, bad = kids["SUCCEEDED"], kids["FAILED"]
d = sfn.describe_execution(executionArn=ok["executionArn"])
assert d["mapRunArn"] == run and d["stateMachineArn"] == arn + "/Each" and d["name"] == ok["name"], d
assert json.loads(d["input"]) == {"n": 1, "bad": False} and json.loads(d["output"]) == {"got": 1}, d
assert d["startDate"] <= d["stopDate"] and d["redriveCount"] == 0, d
f = sfn.describe_execution(executionArn=bad["executionArn"])
assert f["status"] == "FAILED" and f["error"] == "Bad" and f["cause"] == "item was bad" and "output" not in f, f
# Its history: its own, opened and closed as any execution's.
h = sfn.get_execution_history(executionArn=ok["executionArn"])["events"]
assert [e["type"] for e in h] == ["ExecutionStarted", "ChoiceStateEntered", "ChoiceStateExited",
                                  "PassStateEntered", "PassStateExited", "ExecutionSucceeded"], h
assert [e["id"] for e in h] == list(range(1, 7)) and h[1]["previousEventId"] == 1, h
assert json.loads(h[0]["executionStartedEventDetails"]["input"]) == {"n": 1, "bad": False}, h
assert [e["type"] for e in sfn.get_execution_history(executionArn=bad["executionArn"], reverseOrder=True)["events"]][0] == "ExecutionFailed"
assert "input" not in sfn.get_execution_history(executionArn=ok["executionArn"], includeExecutionData=False)["events"][0]["executionStartedEventDetails"]
# A child cut short with its run: ABORTED, with its history ended so.
slow = dist("SlowKids", {"C": {"Type": "Wait", "Seconds": 3600, "End": True}})
ex2 = sfn.start_execution(stateMachineArn=slow, input="[1]")["executionArn"]
for _ in range(100):
    runs = sfn.list_map_runs(executionArn=ex2)["mapRuns"]
    kids2 = runs and sfn.list_executions(mapRunArn=runs[0]["mapRunArn"])["executions"]
    if kids2:
        break
    time.sleep(0.05)
waiting = kids2[0]["executionArn"]
assert sfn.describe_execution(executionArn=waiting)["status"] == "RUNNING"
assert [e["type"] for e in sfn.get_execution_history(executionArn=waiting)["events"]][:2] == ["ExecutionStarted", "WaitStateEntered"]
sfn.stop_execution(executionArn=ex2)
assert wait_done(ex2)["status"] == "ABORTED"
for _ in range(100):
    d = sfn.describe_execution(executionArn=waiting)
    if d["status"] != "RUNNING":
        break
    time.sleep(0.05)
assert d["status"] == "ABORTED" and "stopDate" in d, d
assert [e["type"] for e in sfn.get_execution_history(executionArn=waiting)["events"]][-1] == "ExecutionAborted"
# Children count against --max-finished (4): the two executions and three children make
# five finished, so the first finished child is forgotten; the map run still lists it.
assert sfn.describe_execution(executionArn=ex)["status"] == "SUCCEEDED"
def forgotten(a):
    try:
        sfn.describe_execution(executionArn=a)
        return False
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"] == "ExecutionDoesNotExist"
gone = [k["executionArn"] for k in (ok, bad) if forgotten(k["executionArn"])]
assert len(gone) == 1, gone
assert error_of(sfn.get_execution_history, executionArn=gone[0]) == "ExecutionDoesNotExist"
assert len(sfn.list_executions(mapRunArn=run)["executions"]) == 2
"##,
    );
}

#[test]
fn redrive_execution_goes_on_from_the_state_that_failed_in_the_same_history() {
    let s = start(&["--clock", "virtual"], &[]);
    boto(
        &s,
        r##"
d = {"QueryLanguage": "JSONata", "StartAt": "A", "States": {
  "A": {"Type": "Pass", "Assign": {"x": 41}, "Output": {"v": 1}, "Next": "W"},
  "W": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Arguments": {"QueueUrl": "q", "MessageBody": {"t": "{% $states.context.Task.Token %}"}}, "Next": "B"},
  "B": {"Type": "Pass", "Output": "{% {'x': $x + 1, 'in': $states.input, 'rc': $states.context.Execution.RedriveCount} %}", "End": True}}}
arn = create("Redriven", d)
def tokens(ex, n):
    for _ in range(100):
        found = [json.loads(e["taskScheduledEventDetails"]["parameters"])["MessageBody"]["t"]
                 for e in sfn.get_execution_history(executionArn=ex)["events"] if e["type"] == "TaskScheduled"]
        if len(found) >= n:
            return found[n - 1]
        time.sleep(0.05)
    raise AssertionError("no TaskScheduled")
ex = sfn.start_execution(stateMachineArn=arn, input='{"a": 1}')["executionArn"]
assert sfn.describe_execution(executionArn=ex)["redriveStatus"] == "NOT_REDRIVABLE"
assert error_of(sfn.redrive_execution, executionArn=ex) == "ExecutionNotRedrivable"
sfn.send_task_failure(taskToken=tokens(ex, 1), error="Boom", cause="first try")
d = wait_done(ex)
assert d["status"] == "FAILED" and d["redriveStatus"] == "REDRIVABLE" and d["redriveCount"] == 0, d
r = sfn.redrive_execution(executionArn=ex)
assert "redriveDate" in r, r
sfn.send_task_success(taskToken=tokens(ex, 2), output='{"ok": 1}')
d = wait_done(ex)
assert d["status"] == "SUCCEEDED", d
# A's variable survived, W's new answer went on, the context counts the redrive.
assert json.loads(d["output"]) == {"x": 42, "in": {"ok": 1}, "rc": 1}, d
assert d["redriveCount"] == 1 and d["redriveDate"] == r["redriveDate"] and d["redriveStatus"] == "NOT_REDRIVABLE", d
events = sfn.get_execution_history(executionArn=ex)["events"]
assert [e["type"] for e in events] == ["ExecutionStarted", "PassStateEntered", "PassStateExited", "TaskStateEntered",
    "TaskScheduled", "TaskStarted", "TaskFailed", "ExecutionFailed", "ExecutionRedriven", "TaskStateEntered",
    "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited", "PassStateEntered", "PassStateExited",
    "ExecutionSucceeded"], [e["type"] for e in events]
assert [e["id"] for e in events] == list(range(1, 18))
assert events[8]["previousEventId"] == 8 and events[8]["executionRedrivenEventDetails"] == {"redriveCount": 1}, events[8]
assert events[9]["previousEventId"] == 9 and json.loads(events[9]["stateEnteredEventDetails"]["input"]) == {"v": 1}, events[9]
lst = sfn.list_executions(stateMachineArn=arn)["executions"][0]
assert lst["redriveCount"] == 1 and "redriveDate" in lst, lst
# redriveFilter: REDRIVEN lists the redriven ones, NOT_REDRIVEN the others.
other = sfn.start_execution(stateMachineArn=arn)["executionArn"]
tokens(other, 1)
assert [e["executionArn"] for e in sfn.list_executions(stateMachineArn=arn, redriveFilter="REDRIVEN")["executions"]] == [ex]
assert [e["executionArn"] for e in sfn.list_executions(stateMachineArn=arn, redriveFilter="NOT_REDRIVEN")["executions"]] == [other]
assert sfn.list_executions(stateMachineArn=arn, redriveFilter="REDRIVEN", statusFilter="RUNNING")["executions"] == []
sfn.stop_execution(executionArn=other)
assert error_of(sfn.redrive_execution, executionArn=ex) == "ExecutionNotRedrivable"
assert error_of(sfn.redrive_execution, executionArn=ex + "x") == "ExecutionDoesNotExist"
# Express executions are not redrivable.
ex_arn = create("Quick", {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}}, type="EXPRESS")
qx = sfn.start_execution(stateMachineArn=ex_arn)["executionArn"]
wait_done(qx)
assert error_of(sfn.redrive_execution, executionArn=qx) == "ExecutionNotRedrivable"
"##,
    );
    // A redriven execution runs again: --max-finished does not evict it meanwhile.
    let small = start(&["--clock", "virtual", "--max-finished", "1"], &[]);
    boto(
        &small,
        r##"
d = {"StartAt": "W", "States": {"W": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
       "Parameters": {"QueueUrl": "q", "MessageBody": {"t.$": "$$.Task.Token"}}, "End": True}}}
arn = create("Again", d)
def tokens(ex, n):
    for _ in range(100):
        found = [json.loads(e["taskScheduledEventDetails"]["parameters"])["MessageBody"]["t"]
                 for e in sfn.get_execution_history(executionArn=ex)["events"] if e["type"] == "TaskScheduled"]
        if len(found) >= n:
            return found[n - 1]
        time.sleep(0.05)
    raise AssertionError("no TaskScheduled")
ex = sfn.start_execution(stateMachineArn=arn)["executionArn"]
sfn.send_task_failure(taskToken=tokens(ex, 1), error="E")
assert wait_done(ex)["status"] == "FAILED"
sfn.redrive_execution(executionArn=ex)
other = create("Other", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
assert wait_done(sfn.start_execution(stateMachineArn=other)["executionArn"])["status"] == "SUCCEEDED"
assert sfn.describe_execution(executionArn=ex)["status"] == "RUNNING"
sfn.send_task_success(taskToken=tokens(ex, 2), output="{}")
assert wait_done(ex)["status"] == "SUCCEEDED"
"##,
    );
}

#[test]
fn redrive_runs_again_only_the_parallel_branches_and_map_iterations_that_did_not_succeed() {
    let s = start(&["--clock", "virtual"], &[]);
    boto(
        &s,
        r##"
CALLBACK = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
def events(ex):
    return sfn.get_execution_history(executionArn=ex)["events"]
def scheduled(ex, n):
    """The first n TaskScheduled events' MessageBody, in order, waiting for them."""
    for _ in range(200):
        found = [json.loads(e["taskScheduledEventDetails"]["parameters"])["MessageBody"]
                 for e in events(ex) if e["type"] == "TaskScheduled"]
        if len(found) >= n:
            return found
        time.sleep(0.05)
    raise AssertionError("fewer than %d TaskScheduled" % n)
def wait_for(ex, kind, n):
    for _ in range(200):
        if sum(1 for e in events(ex) if e["type"] == kind) >= n:
            return
        time.sleep(0.05)
    raise AssertionError("fewer than %d %s" % (n, kind))
def after_redrive(ex):
    ev = events(ex)
    at = [i for i, e in enumerate(ev) if e["type"] == "ExecutionRedriven"][-1]
    return ev[at:]

# A Parallel: branch 0 succeeds, branch 1 fails in W1 after Pre assigned y.
par = {"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
  {"StartAt": "W0", "States": {"W0": {"Type": "Task", "Resource": CALLBACK, "End": True,
     "Arguments": {"QueueUrl": "q", "MessageBody": {"s": "W0", "t": "{% $states.context.Task.Token %}"}}}}},
  {"StartAt": "Pre", "States": {
     "Pre": {"Type": "Pass", "Assign": {"y": "{% $states.input.n * 10 %}"}, "Next": "W1"},
     "W1": {"Type": "Task", "Resource": CALLBACK, "Next": "Post",
            "Arguments": {"QueueUrl": "q", "MessageBody": {"s": "W1", "t": "{% $states.context.Task.Token %}"}}},
     "Post": {"Type": "Pass", "End": True,
              "Output": "{% {'y': $y, 'in': $states.input, 'rc': $states.context.Execution.RedriveCount} %}"}}}]}}}
arn = create("RedriveParallel", par)
ex = sfn.start_execution(stateMachineArn=arn, input='{"n": 2}')["executionArn"]
first = {m["s"]: m["t"] for m in scheduled(ex, 2)}
sfn.send_task_success(taskToken=first["W0"], output='{"w0": 1}')
wait_for(ex, "TaskSucceeded", 1)
sfn.send_task_failure(taskToken=first["W1"], error="Boom", cause="first try")
d = wait_done(ex)
assert d["status"] == "FAILED" and d["redriveStatus"] == "REDRIVABLE", d
sfn.redrive_execution(executionArn=ex)
again = scheduled(ex, 3)[2]
assert again["s"] == "W1", again
sfn.send_task_success(taskToken=again["t"], output='{"w1": 2}')
d = wait_done(ex)
assert d["status"] == "SUCCEEDED" and d["redriveCount"] == 1, d
# Branch 0's output is the one it had; branch 1 went on from W1 with Pre's variable.
assert json.loads(d["output"]) == [{"w0": 1}, {"y": 20, "in": {"w1": 2}, "rc": 1}], d["output"]
tail = after_redrive(ex)
assert [e["type"] for e in tail] == ["ExecutionRedriven", "ParallelStateEntered", "ParallelStateStarted",
    "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited",
    "PassStateEntered", "PassStateExited", "ParallelStateSucceeded", "ParallelStateExited",
    "ExecutionSucceeded"], [e["type"] for e in tail]
entered = [e["stateEnteredEventDetails"]["name"] for e in tail if "stateEnteredEventDetails" in e]
assert entered == ["P", "W1", "Post"], entered
ids = [e["id"] for e in events(ex)]
assert ids == list(range(1, len(ids) + 1)), ids

# An inline Map: iterations 0 and 2 succeed, 1 fails; the redrive runs iteration 1 only.
imap = {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True,
  "ItemSelector": {"i.$": "$$.Map.Item.Value"},
  "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Task", "Resource": CALLBACK, "End": True,
     "Parameters": {"QueueUrl": "q", "MessageBody": {"i.$": "$.i", "t.$": "$$.Task.Token"}}}}}}}}
arn = create("RedriveMap", imap)
ex = sfn.start_execution(stateMachineArn=arn, input="[10, 20, 30]")["executionArn"]
first = {m["i"]: m["t"] for m in scheduled(ex, 3)}
sfn.send_task_success(taskToken=first[10], output='"ten"')
sfn.send_task_success(taskToken=first[30], output='"thirty"')
wait_for(ex, "MapIterationSucceeded", 2)
sfn.send_task_failure(taskToken=first[20], error="Boom")
d = wait_done(ex)
assert d["status"] == "FAILED" and d["redriveStatus"] == "REDRIVABLE", d
sfn.redrive_execution(executionArn=ex)
again = scheduled(ex, 4)[3]
assert again["i"] == 20, again
sfn.send_task_success(taskToken=again["t"], output='"twenty"')
d = wait_done(ex)
assert d["status"] == "SUCCEEDED", d
assert json.loads(d["output"]) == ["ten", "twenty", "thirty"], d["output"]
tail = after_redrive(ex)
starts = [e["mapIterationStartedEventDetails"]["index"] for e in tail if e["type"] == "MapIterationStarted"]
assert starts == [1], starts
assert [e["type"] for e in tail][:3] == ["ExecutionRedriven", "MapStateEntered", "MapStateStarted"], tail[:3]
assert sum(1 for e in tail if e["type"] == "TaskScheduled") == 1

# Nested: a Parallel in each iteration of a Map. Only the branch that failed runs again;
# the iteration picks up at its Parallel, whose other branch keeps its output.
def branch(b):
    return {"StartAt": "W" + b, "States": {"W" + b: {"Type": "Task", "Resource": CALLBACK, "End": True,
        "Parameters": {"QueueUrl": "q", "MessageBody": {"k.$": "States.Format('{}{}', $.i, '%s')" % b, "t.$": "$$.Task.Token"}}}}}
nested = {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True,
  "ItemSelector": {"i.$": "$$.Map.Item.Value"},
  "ItemProcessor": {"StartAt": "Q", "States": {"Q": {"Type": "Parallel", "End": True,
     "Branches": [branch("A"), branch("B")]}}}}}}
narn = create("RedriveNested", nested)
ex = sfn.start_execution(stateMachineArn=narn, input="[1, 2]")["executionArn"]
first = {m["k"]: m["t"] for m in scheduled(ex, 4)}
for k in ["1A", "1B", "2A"]:
    sfn.send_task_success(taskToken=first[k], output=json.dumps(k))
wait_for(ex, "TaskSucceeded", 3)
sfn.send_task_failure(taskToken=first["2B"], error="Boom")
assert wait_done(ex)["status"] == "FAILED"
sfn.redrive_execution(executionArn=ex)
again = scheduled(ex, 5)[4]
assert again["k"] == "2B", again
sfn.send_task_success(taskToken=again["t"], output='"2B again"')
d = wait_done(ex)
assert d["status"] == "SUCCEEDED", d
assert json.loads(d["output"]) == [["1A", "1B"], ["2A", "2B again"]], d["output"]
tail = after_redrive(ex)
entered = [e["stateEnteredEventDetails"]["name"] for e in tail if "stateEnteredEventDetails" in e]
assert entered == ["M", "Q", "WB"], entered
assert [e["mapIterationStartedEventDetails"]["index"] for e in tail if e["type"] == "MapIterationStarted"] == [1]

# Redriven twice: what the first redrive finished is kept by the second.
ex = sfn.start_execution(stateMachineArn=arn, input="[1, 2, 3]")["executionArn"]
first = {m["i"]: m["t"] for m in scheduled(ex, 3)}
sfn.send_task_success(taskToken=first[1], output='"one"')
wait_for(ex, "MapIterationSucceeded", 1)
sfn.send_task_failure(taskToken=first[2], error="Boom")
assert wait_done(ex)["status"] == "FAILED"
sfn.redrive_execution(executionArn=ex)
second = {m["i"]: m["t"] for m in scheduled(ex, 5)[3:]}
assert sorted(second) == [2, 3], second
sfn.send_task_success(taskToken=second[3], output='"three"')
wait_for(ex, "MapIterationSucceeded", 2)
sfn.send_task_failure(taskToken=second[2], error="Boom")
assert wait_done(ex)["status"] == "FAILED"
sfn.redrive_execution(executionArn=ex)
third = scheduled(ex, 6)[5]
assert third["i"] == 2, third
sfn.send_task_success(taskToken=third["t"], output='"two"')
d = wait_done(ex)
assert d["status"] == "SUCCEEDED" and d["redriveCount"] == 2, d
assert json.loads(d["output"]) == ["one", "two", "three"], d["output"]
"##,
    );
}

const DIST_MOCKS: &str = r#"{
  "StateMachines": {"RedriveDist": {"TestCases": {"SecondFails": {"W": "Sequence"}}}},
  "MockedResponses": {"Sequence": {
    "0": {"Return": {"Payload": "first"}},
    "1": {"Throw": {"Error": "Boom", "Cause": "the second call"}},
    "2": {"Return": {"Payload": "third"}}
  }}
}"#;

#[test]
fn redrive_of_a_distributed_map_redrives_its_map_run_and_only_the_children_that_failed() {
    let (s, dir) = serve_with_mocks("redrive-dist", DIST_MOCKS);
    boto(
        &s,
        r##"
d = {"StartAt": "M", "States": {"M": {"Type": "Map", "Label": "Each", "End": True,
  "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "W",
    "States": {"W": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                     "Parameters": {"FunctionName": "f", "Payload.$": "$"}, "OutputPath": "$.Payload", "End": True}}}}}}
arn = create("RedriveDist", d)
ex = sfn.start_execution(stateMachineArn=arn + "#SecondFails", input="[1, 2, 3]")["executionArn"]
d1 = wait_done(ex)
assert d1["status"] == "FAILED" and d1["redriveStatus"] == "REDRIVABLE", d1
runs = sfn.list_map_runs(executionArn=ex)["mapRuns"]
assert len(runs) == 1, runs
run = runs[0]["mapRunArn"]
m = sfn.describe_map_run(mapRunArn=run)
assert m["status"] == "FAILED" and m["redriveCount"] == 0 and "redriveDate" not in m, m
assert m["executionCounts"]["succeeded"] == 2 and m["executionCounts"]["failed"] == 1, m
failed_child = sfn.list_executions(mapRunArn=run, statusFilter="FAILED")["executions"][0]["executionArn"]
# A child is redriven only through its map run, while its parent can be.
c = sfn.describe_execution(executionArn=failed_child)
assert c["status"] == "FAILED" and c["redriveStatus"] == "REDRIVABLE_BY_MAP_RUN" and c["redriveCount"] == 0, c
ok_child = sfn.list_executions(mapRunArn=run, statusFilter="SUCCEEDED")["executions"][0]["executionArn"]
assert sfn.describe_execution(executionArn=ok_child)["redriveStatus"] == "NOT_REDRIVABLE"
r = sfn.redrive_execution(executionArn=ex)
d2 = wait_done(ex)
# The mock counts from its first answer again: only the child that failed ran, and got it.
assert d2["status"] == "SUCCEEDED", d2
assert json.loads(d2["output"]) == ["first", "first", "third"], d2["output"]
# The same run, redriven: MapRunRedriven in the parent's history, its count and date.
assert [x["mapRunArn"] for x in sfn.list_map_runs(executionArn=ex)["mapRuns"]] == [run]
events = sfn.get_execution_history(executionArn=ex)["events"]
tail = [e["type"] for e in events[[e["type"] for e in events].index("ExecutionRedriven"):]]
assert tail == ["ExecutionRedriven", "MapStateEntered", "MapStateStarted", "MapRunRedriven", "MapRunSucceeded",
                "MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"], tail
redriven = [e for e in events if e["type"] == "MapRunRedriven"][0]
assert redriven["mapRunRedrivenEventDetails"] == {"mapRunArn": run, "redriveCount": 1}, redriven
assert sum(1 for e in events if e["type"] == "MapRunStarted") == 1
m = sfn.describe_map_run(mapRunArn=run)
assert m["status"] == "SUCCEEDED" and m["redriveCount"] == 1 and m["redriveDate"] >= r["redriveDate"], m
counts = m["executionCounts"]
assert counts["succeeded"] == 3 and counts["failed"] == 0 and counts["total"] == 3, m
# The child that failed was redriven under its own ARN; the others were left as they were.
kids = sfn.list_executions(mapRunArn=run)["executions"]
assert len(kids) == 3 and all(k["status"] == "SUCCEEDED" for k in kids), kids
again = sfn.list_executions(mapRunArn=run, redriveFilter="REDRIVEN")["executions"]
assert [k["executionArn"] for k in again] == [failed_child] and again[0]["redriveCount"] == 1, again
c = sfn.describe_execution(executionArn=failed_child)
assert c["status"] == "SUCCEEDED" and c["redriveCount"] == 1 and c["redriveStatus"] == "NOT_REDRIVABLE", c
assert len(sfn.list_executions(mapRunArn=run, redriveFilter="NOT_REDRIVEN")["executions"]) == 2
"##,
    );
    let _ = std::fs::remove_dir_all(&dir);
}

const CHILD_MOCKS: &str = r#"{
  "StateMachines": {"RedriveChild": {"TestCases": {"SecondFails": {"Pre": "Pre", "W": "Sequence"}}}},
  "MockedResponses": {
    "Pre": {"0-5": {"Return": {"Payload": {"pre": true}}}},
    "Sequence": {
      "0": {"Return": {"Payload": "first"}},
      "1": {"Throw": {"Error": "Boom", "Cause": "the second call"}},
      "2": {"Return": {"Payload": "third"}}
    }
  }
}"#;

/// A redriven Standard child goes on from the state it failed in, in the history it had, as
/// AWS redrives one: the second child's second state fails the first time; redriven with its
/// parent, the child's history continues after `ExecutionRedriven`, numbered on, with only
/// that state run again (its first state's mock is not called). A child is redriven only
/// through its parent, and DescribeStateMachineForExecution of it answers with its run's
/// machine.
#[test]
fn a_redriven_standard_child_goes_on_from_the_state_it_failed_in() {
    let (s, dir) = serve_with_mocks("redrive-child", CHILD_MOCKS);
    boto(
        &s,
        r##"
d = {"StartAt": "M", "States": {"M": {"Type": "Map", "Label": "Each", "End": True,
  "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "Pre",
    "States": {"Pre": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                       "Parameters": {"FunctionName": "pre", "Payload.$": "$"}, "ResultSelector": {"item.$": "$$.Execution.Input", "pre.$": "$.Payload.pre"}, "Next": "W"},
               "W": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                     "Parameters": {"FunctionName": "f", "Payload.$": "$"}, "OutputPath": "$.Payload", "End": True}}}}}}
arn = create("RedriveChild", d)
ex = sfn.start_execution(stateMachineArn=arn + "#SecondFails", input="[1, 2, 3]")["executionArn"]
d1 = wait_done(ex)
assert d1["status"] == "FAILED", d1
run = sfn.list_map_runs(executionArn=ex)["mapRuns"][0]["mapRunArn"]
kids = sfn.list_executions(mapRunArn=run)["executions"]
failed = [k for k in kids if k["status"] == "FAILED"]
assert len(failed) == 1, (d1, kids)
child = failed[0]["executionArn"]
before = sfn.get_execution_history(executionArn=child)["events"]
assert [e["type"] for e in before][-5:] == ["TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskFailed",
    "ExecutionFailed"], [e["type"] for e in before]
w_input = [e for e in before if e["type"] == "TaskStateEntered"][-1]["stateEnteredEventDetails"]
assert w_input["name"] == "W", w_input

# Not redriven on its own: only through its parent.
assert error_of(sfn.redrive_execution, executionArn=child) == "ExecutionNotRedrivable"
# Its machine is its run's: the children's machine, the ItemProcessor's definition.
m = sfn.describe_state_machine_for_execution(executionArn=child)
assert m["stateMachineArn"] == arn.replace("RedriveChild", "RedriveChild/Each"), m
assert m["mapRunArn"] == run and m["label"] == "Each", m
processor = json.loads(m["definition"])
assert processor["StartAt"] == "Pre" and "ProcessorConfig" not in processor, processor

r = sfn.redrive_execution(executionArn=ex)
d2 = wait_done(ex)
assert d2["status"] == "SUCCEEDED", d2
# The mocks count from their first answer again: W's first answer went to the redriven child.
assert json.loads(d2["output"]) == ["first", "first", "third"], d2["output"]

after = sfn.get_execution_history(executionArn=child)["events"]
assert after[:len(before)] == before, "the history it had is kept"
tail = after[len(before):]
assert [e["type"] for e in tail] == ["ExecutionRedriven", "TaskStateEntered", "TaskScheduled", "TaskStarted",
    "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"], [e["type"] for e in tail]
assert [e["id"] for e in after] == list(range(1, len(after) + 1)), [e["id"] for e in after]
assert tail[0]["previousEventId"] == before[-1]["id"] and tail[0]["executionRedrivenEventDetails"] == {"redriveCount": 1}, tail[0]
# It picked up at W with the input W had: Pre was not run again.
again = tail[1]["stateEnteredEventDetails"]
assert again["name"] == "W" and json.loads(again["input"]) == json.loads(w_input["input"]), again
c = sfn.describe_execution(executionArn=child)
assert c["status"] == "SUCCEEDED" and c["output"] == '"first"', c
assert c["redriveCount"] == 1 and c["redriveDate"] >= r["redriveDate"], c
assert c["startDate"] == before[0]["timestamp"], c
"##,
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// StopExecution of a map run's child: it ends ABORTED, its history with `ExecutionAborted`,
/// and it counts as a failed child of its run: tolerated, the run goes on and succeeds; not
/// tolerated, the run fails with `States.ExceedToleratedFailureThreshold`.
#[test]
fn stopping_a_child_execution_aborts_it_as_a_failed_child_of_its_run() {
    let s = start(&[], &[]);
    boto(
        &s,
        r##"
act = sfn.create_activity(name="Work")["activityArn"]
def machine(name, tolerated):
    return create(name, {"StartAt": "M", "States": {"M": {"Type": "Map", "Label": "Each", "End": True,
      "ToleratedFailureCount": tolerated,
      "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "A",
        "States": {"A": {"Type": "Task", "Resource": act, "End": True}}}}}})
def running_children(ex, n):
    for _ in range(200):
        runs = sfn.list_map_runs(executionArn=ex)["mapRuns"]
        if runs:
            kids = sfn.list_executions(mapRunArn=runs[0]["mapRunArn"], statusFilter="RUNNING")["executions"]
            if len(kids) == n:
                return runs[0]["mapRunArn"], [k["executionArn"] for k in kids]
        time.sleep(0.05)
    raise AssertionError("children not running")

ex = sfn.start_execution(stateMachineArn=machine("Tolerant", 1), input='["stop me", "keep me"]')["executionArn"]
run, kids = running_children(ex, 2)
victim = [k for k in kids if json.loads(sfn.describe_execution(executionArn=k)["input"]) == "stop me"][0]
sfn.stop_execution(executionArn=victim, error="Halt", cause="by hand")
# Only the other child's task is left for a worker.
task = sfn.get_activity_task(activityArn=act, workerName="w")
assert json.loads(task["input"]) == "keep me", task
sfn.send_task_success(taskToken=task["taskToken"], output='"kept"')
d = wait_done(ex)
assert d["status"] == "SUCCEEDED", d
out = json.loads(d["output"])
assert out[1] == "kept" and out[0]["Error"] == "ExecutionAborted", out
c = wait_done(victim)
assert c["status"] == "ABORTED", c
last = sfn.get_execution_history(executionArn=victim)["events"][-1]
assert last["type"] == "ExecutionAborted" and "by hand" in last["executionAbortedEventDetails"]["cause"], last
counts = sfn.describe_map_run(mapRunArn=run)["executionCounts"]
assert counts["aborted"] == 1 and counts["succeeded"] == 1 and counts["failed"] == 0, counts
assert [k["status"] for k in sfn.list_executions(mapRunArn=run, statusFilter="ABORTED")["executions"]] == ["ABORTED"]

# Not tolerated: the run fails, its other child aborted with it.
ex = sfn.start_execution(stateMachineArn=machine("Strict", 0), input='["a", "b"]')["executionArn"]
run, kids = running_children(ex, 2)
sfn.stop_execution(executionArn=kids[0])
d = wait_done(ex)
assert d["status"] == "FAILED" and d["error"] == "States.ExceedToleratedFailureThreshold", d
assert sorted(wait_done(k)["status"] for k in kids) == ["ABORTED", "ABORTED"]
assert sfn.describe_map_run(mapRunArn=run)["status"] == "FAILED"
"##,
    );
}

/// AWS's own Step Functions Local sample (the mocked service integrations walkthrough: a
/// Lambda with a Retry, then SQS) through the AWS CLI, each test case's history compared event
/// by event with `asl run` of the same mock test case (times apart).
#[test]
fn aws_step_functions_local_sample_matches_asl_run_event_by_event() {
    served_matches_run(
        "LambdaSQSIntegration",
        "LambdaSQSIntegration.asl.json",
        r#"{
  "Comment": "This state machine is called: LambdaSQSIntegration",
  "StartAt": "LambdaState",
  "States": {
    "LambdaState": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"Payload.$": "$", "FunctionName": "HelloWorldFunction"},
      "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2}],
      "Next": "SQSState"
    },
    "SQSState": {
      "Type": "Task",
      "Resource": "arn:aws:states:::sqs:sendMessage",
      "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/myQueue", "MessageBody.$": "$"},
      "End": true
    }
  }
}"#,
        r#"{
  "StateMachines": {"LambdaSQSIntegration": {"TestCases": {
    "HappyPath": {"LambdaState": "MockedLambdaSuccess", "SQSState": "MockedSQSSuccess"},
    "RetryPath": {"LambdaState": "MockedLambdaRetry", "SQSState": "MockedSQSSuccess"}
  }}},
  "MockedResponses": {
    "MockedLambdaSuccess": {"0": {"Return": {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}}},
    "MockedSQSSuccess": {"0": {"Return": {"MD5OfMessageBody": "3bcb6e8e-7h85-4375-b0bc-1a59812c6e51", "MessageId": "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}}},
    "MockedLambdaRetry": {
      "0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "Lambda resource is not ready."}},
      "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}},
      "3": {"Return": {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}}
    }
  }
}"#,
        &["HappyPath", "RetryPath"],
        "{}",
    );
}

/// The shapes of AWS's other Step Functions Local sample, in a machine of our own: the mock
/// file names the machine as CreateStateMachine does, not as the definition's file (asl run
/// takes the file's only machine), a Parallel branch that keeps failing after its retries is
/// caught (AWS's ParallelStateFailed has no details, which the SDKs would drop), and
/// EventBridge states are mocked with a Lambda-like `Payload`, which `asl run` warns about
/// and runs, as Step Functions Local runs it.
#[test]
fn a_parallel_caught_after_retries_and_loose_mocks_match_asl_run_event_by_event() {
    let said = served_matches_run(
        "Screening",
        "screening.asl.json",
        r#"{
  "StartAt": "Checks",
  "States": {
    "Checks": {
      "Type": "Parallel",
      "Branches": [
        {"StartAt": "Credit", "States": {"Credit": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
          "Parameters": {"FunctionName": "credit", "Payload.$": "$"},
          "ResultSelector": {"ok.$": "$.Payload.ok"},
          "Retry": [{"ErrorEquals": ["Credit.Flaky"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 1}],
          "End": true}}},
        {"StartAt": "Fraud", "States": {"Fraud": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
          "Parameters": {"FunctionName": "fraud", "Payload.$": "$"}, "OutputPath": "$.Payload", "End": true}}}
      ],
      "ResultPath": "$.checks",
      "Catch": [{"ErrorEquals": ["Credit.Flaky"], "ResultPath": "$.error", "Next": "Rejected"}],
      "Next": "Accepted"
    },
    "Accepted": {"Type": "Task", "Resource": "arn:aws:states:::events:putEvents",
      "Parameters": {"Entries": [{"Source": "screening", "DetailType": "Accepted", "Detail.$": "$.checks"}]}, "End": true},
    "Rejected": {"Type": "Task", "Resource": "arn:aws:states:::events:putEvents",
      "Parameters": {"Entries": [{"Source": "screening", "DetailType": "Rejected", "Detail.$": "$.error"}]}, "End": true}
  }
}"#,
        r#"{
  "StateMachines": {"Screening": {"TestCases": {
    "Clean": {"Credit": "CreditOk", "Fraud": "FraudOk", "Accepted": "Sent"},
    "Flaky": {"Credit": "CreditFlaky", "Fraud": "FraudOk", "Rejected": "Sent"}
  }}},
  "MockedResponses": {
    "CreditOk": {"0": {"Return": {"StatusCode": 200, "Payload": {"ok": true}}}},
    "FraudOk": {"0": {"Return": {"StatusCode": 200, "Payload": {"score": 3}}}},
    "CreditFlaky": {"0-2": {"Throw": {"Error": "Credit.Flaky", "Cause": "try again"}}},
    "Sent": {"0": {"Return": {"Payload": {"Entries": [{"EventId": "e-1"}], "FailedEntryCount": 0}}}}
  }
}"#,
        &["Clean", "Flaky"],
        r#"{"applicant": "a-1"}"#,
    );
    let Some(said) = said else { return };
    // The loose EventBridge mock is run, and said once per test case in the server's log.
    for case in ["Clean", "Flaky"] {
        let warned: Vec<_> = said
            .iter()
            .filter(|l| l.contains(&format!("test case `Screening#{case}`")))
            .collect();
        assert_eq!(warned.len(), 1, "{said:#?}");
        assert!(
            warned[0].contains("`Payload` is not a field of `PutEventsResponse`"),
            "{warned:?}"
        );
    }
}

/// Runs each test case of `mocks` through `asl serve` with the AWS CLI (the machine created
/// as `machine_name`, `ARN#TestCase`, on the virtual clock) and through `asl run` of the
/// definition file, and requires the two histories to be the same, event by event.
fn served_matches_run(
    machine_name: &str,
    file_name: &str,
    definition_text: &str,
    mocks_text: &str,
    cases: &[&str],
    input: &str,
) -> Option<Vec<String>> {
    let Ok(aws) = std::env::var("ASL_SERVE_AWS") else {
        eprintln!("skipped: ASL_SERVE_AWS is not set (run scripts/serve-tests.sh)");
        return None;
    };
    let dir = std::env::temp_dir().join(format!(
        "asl-serve-sample-{machine_name}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let definition = dir.join(file_name);
    std::fs::write(&definition, definition_text).expect("write definition");
    let mocks = dir.join("MockConfigFile.json");
    std::fs::write(&mocks, mocks_text).expect("write mocks");
    let mocks_path = mocks.display().to_string();
    let s = start(&["--clock", "virtual"], &[("SFN_MOCK_CONFIG", &mocks_path)]);
    let role = "arn:aws:iam::123456789012:role/DummyRole";
    let cli = |args: &[&str]| -> serde_json::Value {
        let out = Command::new(&aws)
            .args([
                "stepfunctions",
                "--endpoint-url",
                &s.endpoint,
                "--region",
                "us-east-1",
            ])
            .args(["--output", "json"])
            .args(args)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .expect("run aws");
        assert!(
            out.status.success(),
            "aws {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
    };
    let definition_arg = format!("file://{}", definition.display());
    cli(&[
        "create-state-machine",
        "--definition",
        &definition_arg,
        "--name",
        machine_name,
        "--role-arn",
        role,
    ]);
    let without_times = |events: &serde_json::Value| -> Vec<serde_json::Value> {
        events
            .as_array()
            .expect("events")
            .iter()
            .map(|e| {
                let mut e = e.clone();
                if let Some(o) = e.as_object_mut() {
                    o.remove("timestamp");
                }
                e
            })
            .collect()
    };
    for &case in cases {
        let machine =
            format!("arn:aws:states:us-east-1:123456789012:stateMachine:{machine_name}#{case}");
        let ex = cli(&[
            "start-execution",
            "--state-machine-arn",
            &machine,
            "--input",
            input,
        ])["executionArn"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let mut status = String::new();
        for _ in 0..200 {
            status = cli(&["describe-execution", "--execution-arn", &ex])["status"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if status != "RUNNING" {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert_eq!(status, "SUCCEEDED", "{case}");
        let served = cli(&["get-execution-history", "--execution-arn", &ex]);
        let history = dir.join(format!("{case}.history.json"));
        let run = Command::new(env!("CARGO_BIN_EXE_asl"))
            .arg("run")
            .arg(&definition)
            .args([
                "--mock-config",
                &mocks_path,
                "--test-case",
                case,
                "--input",
                input,
            ])
            .args(["--role-arn", role, "--history"])
            .arg(&history)
            .output()
            .expect("asl run");
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let local: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&history).expect("history")).expect("JSON");
        let (a, b) = (
            without_times(&served["events"]),
            without_times(&local["events"]),
        );
        assert_eq!(a.len(), b.len(), "{case}: {a:#?}\n{b:#?}");
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x, y, "{case}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let said = s.after.lock().unwrap_or_else(|p| p.into_inner()).clone();
    Some(said)
}
