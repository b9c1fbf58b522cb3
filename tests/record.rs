//! `asl record` and `asl run --replay` (docs/record-replay.md): histories as AWS writes them
//! (JSON text payloads, both timestamp forms, interleaved iterations, retried Maps, pending
//! calls, callbacks, `.sync` children, redrives, truncation), departures and their exit
//! code, and the round trips over the samples and the conformance corpus.

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn asl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_asl"))
}

fn run(args: &[&str]) -> Output {
    asl().args(args).output().expect("the asl binary starts")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("asl-samples")
}

/// A fresh folder for one test.
fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("asl-record-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn write(d: &Path, name: &str, text: &str) -> String {
    let p = d.join(name);
    std::fs::write(&p, text).expect("write fixture");
    p.display().to_string()
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// A payload as AWS writes it: JSON text.
fn text(v: Value) -> Value {
    Value::String(v.to_string())
}

/// An event as `aws stepfunctions get-execution-history --output json` prints it (AWS CLI
/// v2: ISO timestamps with an offset; the payloads inside details are JSON text).
fn ev(id: u64, prev: u64, ty: &str, details: Option<Value>) -> Value {
    let mut e = json!({
        "timestamp": format!("2024-05-01T12:00:{:02}.{:03}000+02:00", id % 60, id * 7 % 1000),
        "type": ty, "id": id, "previousEventId": prev,
    });
    if let Some(d) = details {
        let key = if ty.ends_with("StateEntered") {
            "stateEnteredEventDetails".to_string()
        } else if ty.ends_with("StateExited") {
            "stateExitedEventDetails".to_string()
        } else {
            let mut c = ty.chars();
            let first = c
                .next()
                .map(|f| f.to_lowercase().to_string())
                .unwrap_or_default();
            format!("{first}{}EventDetails", c.as_str())
        };
        e[key] = d;
    }
    e
}

fn started(id: u64, input: Value) -> Value {
    ev(
        id,
        0,
        "ExecutionStarted",
        Some(json!({
        "input": text(input), "inputDetails": {"truncated": false},
        "roleArn": "arn:aws:iam::111122223333:role/service-role/StepFunctions-orders",
        "stateMachineArn": "arn:aws:states:eu-west-1:111122223333:stateMachine:orders"})),
    )
}

fn entered(id: u64, prev: u64, ty: &str, name: &str, input: Value) -> Value {
    ev(
        id,
        prev,
        &format!("{ty}StateEntered"),
        Some(json!({"name": name, "input": text(input), "inputDetails": {"truncated": false}})),
    )
}

fn exited(id: u64, prev: u64, ty: &str, name: &str, output: Value) -> Value {
    ev(
        id,
        prev,
        &format!("{ty}StateExited"),
        Some(json!({"name": name, "output": text(output), "outputDetails": {"truncated": false}})),
    )
}

fn scheduled(id: u64, prev: u64, ty: &str, resource: &str, params: Value) -> Value {
    ev(
        id,
        prev,
        "TaskScheduled",
        Some(
            json!({"resourceType": ty, "resource": resource, "region": "eu-west-1", "parameters": text(params)}),
        ),
    )
}

fn succeeded(id: u64, prev: u64, ty: &str, resource: &str, output: Value) -> Value {
    ev(
        id,
        prev,
        "TaskSucceeded",
        Some(
            json!({"resourceType": ty, "resource": resource, "output": text(output), "outputDetails": {"truncated": false}}),
        ),
    )
}

fn history(d: &Path, events: Vec<Value>) -> String {
    let doc = json!({"events": events, "executionArn": "arn:aws:states:eu-west-1:111122223333:execution:orders:incident-42"});
    write(
        d,
        "history.json",
        &serde_json::to_string_pretty(&doc).expect("json"),
    )
}

/// `asl record` into `d/rec`, then `asl test` on it: both must pass.
fn record_and_test(d: &Path, history: &str, definition: &str, extra: &[&str]) -> String {
    let rec = d.join("rec");
    let mut args = vec!["record", history, "--definition", definition, "--out"];
    let out_dir = s(&rec);
    args.push(&out_dir);
    args.extend_from_slice(extra);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "record: {}", stderr(&out));
    let out = run(&["test", &out_dir]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "test of the recording: {}",
        stderr(&out)
    );
    let test = std::fs::read_dir(&rec)
        .expect("record folder")
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().ends_with(".test.yaml"))
        .expect("a test file");
    std::fs::read_to_string(test.path()).expect("test file")
}

const MAP: &str = r#"{"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemsPath": "$.items",
  "ItemProcessor": {"StartAt": "Charge", "States": {"Charge": {"Type": "Task",
    "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
    "OutputPath": "$.Payload", "End": true}}}, "End": true}}}"#;

/// Two iterations, the second running first and their events interleaved, as AWS writes
/// them: each chains back to its own `MapIterationStarted`.
fn interleaved_map() -> Vec<Value> {
    let input = json!({"items": [{"id": "a"}, {"id": "b"}]});
    vec![
        started(1, input.clone()),
        entered(2, 0, "Map", "Each", input),
        ev(3, 2, "MapStateStarted", Some(json!({"length": 2}))),
        ev(
            4,
            3,
            "MapIterationStarted",
            Some(json!({"name": "Each", "index": 0})),
        ),
        ev(
            5,
            3,
            "MapIterationStarted",
            Some(json!({"name": "Each", "index": 1})),
        ),
        entered(6, 5, "Task", "Charge", json!({"id": "b"})),
        entered(7, 4, "Task", "Charge", json!({"id": "a"})),
        scheduled(
            8,
            6,
            "lambda",
            "invoke",
            json!({"FunctionName": "charge", "Payload": {"id": "b"}}),
        ),
        scheduled(
            9,
            7,
            "lambda",
            "invoke",
            json!({"FunctionName": "charge", "Payload": {"id": "a"}}),
        ),
        ev(
            10,
            8,
            "TaskStarted",
            Some(json!({"resourceType": "lambda", "resource": "invoke"})),
        ),
        ev(
            11,
            9,
            "TaskStarted",
            Some(json!({"resourceType": "lambda", "resource": "invoke"})),
        ),
        succeeded(
            12,
            10,
            "lambda",
            "invoke",
            json!({"StatusCode": 200, "Payload": "B!"}),
        ),
        succeeded(
            13,
            11,
            "lambda",
            "invoke",
            json!({"StatusCode": 200, "Payload": "A!"}),
        ),
        exited(14, 12, "Task", "Charge", json!("B!")),
        ev(
            15,
            14,
            "MapIterationSucceeded",
            Some(json!({"name": "Each", "index": 1})),
        ),
        exited(16, 13, "Task", "Charge", json!("A!")),
        ev(
            17,
            16,
            "MapIterationSucceeded",
            Some(json!({"name": "Each", "index": 0})),
        ),
        ev(18, 17, "MapStateSucceeded", None),
        exited(19, 18, "Map", "Each", json!(["A!", "B!"])),
        ev(
            20,
            19,
            "ExecutionSucceeded",
            Some(
                json!({"output": text(json!(["A!", "B!"])), "outputDetails": {"truncated": false}}),
            ),
        ),
    ]
}

#[test]
fn interleaved_map_iterations_get_their_own_answers() {
    let d = dir("map");
    let def = write(&d, "orders.asl.json", MAP);
    let h = history(&d, interleaved_map());
    let out = run(&["run", &def, "--replay", &h]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), r#"["A!","B!"]"#);
    assert!(
        stderr(&out).contains("the run followed") && stderr(&out).contains("2 Task calls"),
        "{}",
        stderr(&out)
    );
    let test = record_and_test(&d, &h, &def, &[]);
    // Names, region, account and start come from the record.
    assert!(test.contains(r#"context: {"executionName": "incident-42", "startTime": "2024-05-01T10:00:01.007Z", "region": "eu-west-1", "accountId": "111122223333""#), "{test}");
    assert!(
        test.contains(r#"path: ["Each", "Each[0]/Charge", "Each[1]/Charge"]"#),
        "{test}"
    );
    // The mock file answers in asl's order of calls (item 0 first), not AWS's.
    let mocks: Value = serde_json::from_str(
        &std::fs::read_to_string(d.join("rec/incident-42.mocks.json")).expect("mock file"),
    )
    .expect("json");
    assert_eq!(
        mocks["StateMachines"]["orders"]["TestCases"]["incident-42"],
        json!({"Charge": "Charge"})
    );
    assert_eq!(
        mocks["MockedResponses"]["Charge"]["0"]["Return"]["Payload"],
        "A!"
    );
    assert_eq!(
        mocks["MockedResponses"]["Charge"]["1"]["Return"]["Payload"],
        "B!"
    );
}

#[test]
fn epoch_timestamps_and_a_bare_event_list_are_read() {
    let d = dir("epoch");
    let def = write(&d, "orders.asl.json", MAP);
    let events: Vec<Value> = interleaved_map()
        .into_iter()
        .map(|mut e| {
            let id = e["id"].as_u64().unwrap_or(0);
            e["timestamp"] = json!(1_714_557_600.0 + id as f64 / 8.0);
            e
        })
        .rev()
        .collect();
    let h = write(&d, "incident-7.json", &Value::Array(events).to_string());
    let out = run(&["run", &def, "--replay", &h]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let test = record_and_test(&d, &h, &def, &[]);
    // Without an executionArn the history file's name names the execution.
    assert!(
        test.contains(r#""executionName": "incident-7", "startTime": "2024-05-01T10:00:00.125Z""#),
        "{test}"
    );
}

const PARALLEL: &str = r#"{"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": true, "Branches": [
  {"StartAt": "Slow", "States": {"Slow": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
     "Parameters": {"FunctionName": "slow"}, "End": true}}},
  {"StartAt": "Fast", "States": {"Fast": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
     "Parameters": {"FunctionName": "fast"}, "End": true}}}]}}}"#;

#[test]
fn a_call_a_failing_sibling_aborted_stays_unanswered() {
    let d = dir("parallel");
    let def = write(&d, "orders.asl.json", PARALLEL);
    let h = history(
        &d,
        vec![
            started(1, json!({})),
            entered(2, 0, "Parallel", "Both", json!({})),
            ev(3, 2, "ParallelStateStarted", None),
            // Branch 1 enters first: its index comes from its start state, not the order.
            entered(4, 3, "Task", "Fast", json!({})),
            entered(5, 3, "Task", "Slow", json!({})),
            scheduled(6, 4, "lambda", "invoke", json!({"FunctionName": "fast"})),
            scheduled(7, 5, "lambda", "invoke", json!({"FunctionName": "slow"})),
            ev(8, 6, "TaskStarted", None),
            ev(9, 7, "TaskStarted", None),
            ev(
                10,
                8,
                "TaskFailed",
                Some(
                    json!({"resourceType": "lambda", "resource": "invoke", "error": "Boom", "cause": "fast failed"}),
                ),
            ),
            ev(11, 9, "TaskStateAborted", None),
            ev(
                12,
                10,
                "ParallelStateFailed",
                Some(json!({"error": "Boom", "cause": "fast failed"})),
            ),
            ev(
                13,
                12,
                "ExecutionFailed",
                Some(json!({"error": "Boom", "cause": "fast failed"})),
            ),
        ],
    );
    let out = run(&["run", &def, "--replay", &h, "--result-format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        (v["status"].as_str(), v["error"].as_str()),
        (Some("FAILED"), Some("Boom"))
    );
    let test = record_and_test(&d, &h, &def, &[]);
    assert!(
        test.contains("\"Slow\":\n    sequence:\n      - {\"pending\": true}"),
        "{test}"
    );
}

#[test]
fn a_callback_token_and_a_sync_child_replay_as_recorded() {
    let d = dir("callback");
    let def = write(
        &d,
        "orders.asl.json",
        r#"{"StartAt": "Ask", "States": {
      "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": "https://sqs.eu-west-1.amazonaws.com/111122223333/approvals",
                       "MessageBody": {"token.$": "$$.Task.Token", "order.$": "$.order"}},
        "ResultPath": "$.approval", "Next": "Child"},
      "Child": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync",
        "Parameters": {"StateMachineArn": "arn:aws:states:eu-west-1:111122223333:stateMachine:ship", "Input.$": "$.approval"},
        "ResultSelector": {"shipped.$": "States.StringToJson($.Output)", "status.$": "$.Status"}, "End": true}}}"#,
    );
    let token = "AAAAKgAAAAIAAAAAAAAAAbXz0+2s0cFkq2Tw4kd6wZmO9Sv7Wn0eH6k0B0bJ0m9c";
    let child_out = json!({"ExecutionArn": "arn:aws:states:eu-west-1:111122223333:execution:ship:c-1",
        "Input": "{\"ok\":true}", "InputDetails": {"Included": true}, "Output": "{\"parcel\":\"p-9\"}",
        "OutputDetails": {"Included": true}, "StartDate": 1714557601.123, "StopDate": 1714557605.5,
        "StateMachineArn": "arn:aws:states:eu-west-1:111122223333:stateMachine:ship", "Status": "SUCCEEDED"});
    let input = json!({"order": "o-1"});
    let after_ask = json!({"order": "o-1", "approval": {"ok": true}});
    let output = json!({"shipped": {"parcel": "p-9"}, "status": "SUCCEEDED"});
    let h = history(
        &d,
        vec![
            started(1, input.clone()),
            entered(2, 0, "Task", "Ask", input),
            scheduled(
                3,
                2,
                "sqs",
                "sendMessage.waitForTaskToken",
                json!({"QueueUrl": "https://sqs.eu-west-1.amazonaws.com/111122223333/approvals", "MessageBody": {"token": token, "order": "o-1"}}),
            ),
            ev(4, 3, "TaskStarted", None),
            ev(
                5,
                4,
                "TaskSubmitted",
                Some(
                    json!({"resourceType": "sqs", "resource": "sendMessage.waitForTaskToken", "output": text(json!({"MessageId": "m-1"})), "outputDetails": {"truncated": false}}),
                ),
            ),
            succeeded(
                6,
                5,
                "sqs",
                "sendMessage.waitForTaskToken",
                json!({"ok": true}),
            ),
            exited(7, 6, "Task", "Ask", after_ask.clone()),
            entered(8, 7, "Task", "Child", after_ask),
            scheduled(
                9,
                8,
                "states",
                "startExecution.sync",
                json!({"StateMachineArn": "arn:aws:states:eu-west-1:111122223333:stateMachine:ship", "Input": {"ok": true}}),
            ),
            ev(10, 9, "TaskStarted", None),
            ev(
                11,
                10,
                "TaskSubmitted",
                Some(
                    json!({"resourceType": "states", "resource": "startExecution.sync", "output": text(json!({"ExecutionArn": "arn:aws:states:eu-west-1:111122223333:execution:ship:c-1", "StartDate": 1714557601.123})), "outputDetails": {"truncated": false}}),
                ),
            ),
            succeeded(12, 11, "states", "startExecution.sync", child_out),
            exited(13, 12, "Task", "Child", output.clone()),
            ev(
                14,
                13,
                "ExecutionSucceeded",
                Some(
                    json!({"output": text(output.clone()), "outputDetails": {"truncated": false}}),
                ),
            ),
        ],
    );
    let replayed = d.join("replayed.json");
    let out = run(&["run", &def, "--replay", &h, "--history", &s(&replayed)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).expect("json"),
        output
    );
    // The submissions are events of the replay too.
    let events: Value =
        serde_json::from_str(&std::fs::read_to_string(&replayed).expect("history")).expect("json");
    let submitted = events["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["type"] == "TaskSubmitted")
        .count();
    assert_eq!(submitted, 2);
    let test = record_and_test(&d, &h, &def, &[]);
    // AWS's token cannot repeat: the test expects a string there.
    assert!(
        test.contains(r#""MessageBody": {"token": {"$type": "string"}, "order": "o-1"}"#),
        "{test}"
    );
}

#[test]
fn a_redriven_execution_replays_as_it_ended() {
    let d = dir("redrive");
    let def = write(
        &d,
        "orders.asl.json",
        r#"{"StartAt": "Charge", "States": {"Charge": {"Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "charge"}, "End": true}}}"#,
    );
    let params = json!({"FunctionName": "charge"});
    let h = history(
        &d,
        vec![
            started(1, json!({})),
            entered(2, 0, "Task", "Charge", json!({})),
            scheduled(3, 2, "lambda", "invoke", params.clone()),
            ev(4, 3, "TaskStarted", None),
            ev(
                5,
                4,
                "TaskFailed",
                Some(json!({"error": "Lambda.ServiceException", "cause": "down"})),
            ),
            ev(
                6,
                5,
                "ExecutionFailed",
                Some(json!({"error": "Lambda.ServiceException", "cause": "down"})),
            ),
            ev(7, 6, "ExecutionRedriven", Some(json!({"redriveCount": 1}))),
            entered(8, 7, "Task", "Charge", json!({})),
            scheduled(9, 8, "lambda", "invoke", params),
            ev(10, 9, "TaskStarted", None),
            succeeded(11, 10, "lambda", "invoke", json!({"Payload": "charged"})),
            exited(12, 11, "Task", "Charge", json!({"Payload": "charged"})),
            ev(
                13,
                12,
                "ExecutionSucceeded",
                Some(
                    json!({"output": text(json!({"Payload": "charged"})), "outputDetails": {"truncated": false}}),
                ),
            ),
        ],
    );
    let out = run(&["run", &def, "--replay", &h]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), r#"{"Payload":"charged"}"#);
    let test = record_and_test(&d, &h, &def, &[]);
    assert!(test.contains("redriven (event 7)"), "{test}");
}

#[test]
fn a_truncated_result_is_refused_and_bad_files_are_located() {
    let d = dir("truncated");
    let def = write(&d, "orders.asl.json", MAP);
    let mut events = interleaved_map();
    events[11]["taskSucceededEventDetails"]["output"] =
        json!("{\"StatusCode\": 200, \"Payload\": \"B");
    events[11]["taskSucceededEventDetails"]["outputDetails"]["truncated"] = json!(true);
    let h = history(&d, events);
    let out = run(&["run", &def, "--replay", &h]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the recorded result of `Each[1]/Charge` (event 12) cannot be replayed: AWS truncated it (`outputDetails.truncated`)"),
        "{}",
        stderr(&out)
    );
    let out = run(&[
        "record",
        &h,
        "--definition",
        &def,
        "--out",
        &s(&d.join("rec")),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("the recorded result of `Each[1]/Charge` (event 12) cannot be recorded: AWS truncated the result"), "{}", stderr(&out));

    // A timestamp in neither form is only warned about: only the start time is read from one.
    let mut events = interleaved_map();
    events[3]["timestamp"] = json!("yesterday");
    let h = history(&d, events.clone());
    let out = run(&["run", &def, "--replay", &h]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("history.json:")
            && err.contains(": warning: `timestamp` is neither ISO 8601 text"),
        "{err}"
    );
    assert!(err.contains("(at /events/3/timestamp)"), "{err}");
    // A payload that is not JSON text is an error, located.
    events[3]["timestamp"] = json!(1.5);
    events[5]["stateEnteredEventDetails"]["input"] = json!("{\"id\": ");
    let h = history(&d, events);
    let out = run(&["run", &def, "--replay", &h]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(": error: `input` must be JSON text, as AWS writes it: EOF while parsing"),
        "{err}"
    );
    assert!(
        err.contains("(at /events/5/stateEnteredEventDetails/input)"),
        "{err}"
    );
    let out = run(&["record", &h]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&[
        "record",
        &write(
            &d,
            "ok.json",
            &json!({"events": interleaved_map()}).to_string(),
        ),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("give the one that ran with --definition FILE"),
        "{}",
        stderr(&out)
    );
}

/// The task-retry-catch sample run with one of its mock file's test cases, and the history.
fn sample_history(d: &Path, case: &str) -> String {
    let h = d.join(format!("{case}.json"));
    let sample = |f: &str| s(&samples().join(f));
    let out = run(&[
        "run",
        &sample("task-retry-catch.asl.json"),
        "--input-file",
        &sample("task-retry-catch.input.json"),
        "--mock-config",
        &sample("task-retry-catch.mocks.json"),
        "--test-case",
        case,
        "--history",
        &s(&h),
    ]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    s(&h)
}

/// task-retry-catch.asl.json with each `from` replaced by its `to`, under the sample's name.
fn changed(d: &Path, edits: &[(&str, &str)]) -> String {
    let mut text =
        std::fs::read_to_string(samples().join("task-retry-catch.asl.json")).expect("sample");
    for (from, to) in edits {
        assert!(text.contains(from), "{from}");
        text = text.replacen(from, to, 1);
    }
    write(d, "task-retry-catch.asl.json", &text)
}

#[test]
fn departures_say_where_and_exit_3() {
    let d = dir("departures");
    let ok = sample_history(&d, "ThrottledThenOk");
    let broken = sample_history(&d, "Broken");
    /// A history, the edits to the definition, what the departure says.
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        // Another parameter sent.
        (
            &ok,
            vec![("\"charge-card\"", "\"charge-card-v2\"")],
            "the run departed from the record at `CallService` (event 3): the run sends other parameters\n  /FunctionName: recorded \"charge-card\", now \"charge-card-v2\"",
        ),
        // A call the record has, which the run does not make (no retry any more).
        (
            &ok,
            vec![("\"MaxAttempts\": 3", "\"MaxAttempts\": 0")],
            "the run departed from the record at `CallService` (event 6): the record has call 1 of `CallService` (a retry), which the run did not make",
        ),
        // A call the record lacks (a retry AWS did not make).
        (
            &broken,
            vec![("\"Lambda.TooManyRequestsException\"", "\"Card.Declined\"")],
            "the run departed from the record at `CallService` (event 3): the run makes call 1 of `CallService` (a retry), which the record does not have: it made 1",
        ),
        // Another state entered.
        (
            &broken,
            vec![
                ("\"Next\": \"Refund\"", "\"Next\": \"Compensate\""),
                (
                    "\"Refund\": {",
                    "\"Compensate\": {\"Type\": \"Succeed\"}, \"Refund\": {",
                ),
            ],
            "the run departed from the record at `Compensate` (event 7): the run enters `Compensate` where the record enters `Refund`",
        ),
        // The same calls, another end.
        (
            &ok,
            vec![(
                "\"ResultPath\": \"$.charge\"",
                "\"ResultPath\": \"$.receipt\"",
            )],
            "the run departed from the record at `(end)` (event 13): the execution ended otherwise\n  output /charge: recorded {\"receipt\":\"r-42\"}, now nothing\n  output /receipt: recorded nothing, now {\"receipt\":\"r-42\"}",
        ),
    ];
    for (h, edits, message) in cases {
        let def = changed(&d, &edits);
        let out = run(&["run", &def, "--replay", h]);
        assert_eq!(out.status.code(), Some(3), "{edits:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(message),
            "{edits:?}:\n{}",
            stderr(&out)
        );
    }
    // The unchanged definition follows both records.
    let def = changed(&d, &[]);
    for h in [&ok, &broken] {
        let out = run(&["run", &def, "--replay", h]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
}

#[test]
fn a_fix_runs_past_the_end_of_a_failed_record() {
    let d = dir("past-the-end");
    // The recorded execution failed: no Catch for the declined card.
    let no_catch = changed(&d, &[("\"States.ALL\"", "\"Never.Matches\"")]);
    let h = d.join("failed.json");
    let sample = |f: &str| s(&samples().join(f));
    let out = run(&[
        "run",
        &no_catch,
        "--input-file",
        &sample("task-retry-catch.input.json"),
        "--mock-config",
        &sample("task-retry-catch.mocks.json"),
        "--test-case",
        "Broken",
        "--history",
        &s(&h),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let h = s(&h);
    // The fix catches it: the run goes on where the record stopped, and succeeds.
    let fixed = changed(&d, &[]);
    let out = run(&["run", &fixed, "--replay", &h]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("and went past its end at `Refund`, where the recorded execution had stopped after `CallService` (event 2)"), "{}", stderr(&out));
    // A fix that retries needs an answer the record does not have...
    let retries = changed(
        &d,
        &[
            ("\"Lambda.TooManyRequestsException\"", "\"Card.Declined\""),
            ("\"States.ALL\"", "\"Never.Matches\""),
        ],
    );
    let out = run(&["run", &retries, "--replay", &h]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("the run makes call 1 (a retry) past the end of the record, where the recorded execution stopped after 1 call, and the record cannot answer it: answer `CallService` otherwise"), "{}", stderr(&out));
    // ... which the run's other handlers give.
    let mocks = write(
        &d,
        "more.json",
        r#"{"StateMachines": {"task-retry-catch": {"TestCases": {"T": {"CallService": "Ok"}}}},
        "MockedResponses": {"Ok": {"0": {"Return": {"Payload": {"receipt": "r-2"}}}}}}"#,
    );
    let out = run(&[
        "run",
        &retries,
        "--replay",
        &h,
        "--mock-config",
        &mocks,
        "--test-case",
        "T",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        r#"{"orderId":"o-1","amount":40,"charge":{"receipt":"r-2"}}"#
    );
    assert!(stderr(&out).contains("went past its end at `CallService` (the run makes call 1 (a retry) past the end of the record"), "{}", stderr(&out));
}

/// Events minus their timestamps, and the times inside payloads in a fixed form (the first
/// run's clock moved with the wall clock, the replay's with the record). Task tokens and
/// UUIDs repeat: `asl run --history` writes the seed it drew them from.
fn comparable(path: &Path) -> Vec<Value> {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("history")).expect("json");
    let mut events: Vec<Value> = doc["events"].as_array().cloned().unwrap_or_default();
    for e in &mut events {
        if let Some(o) = e.as_object_mut() {
            o.remove("timestamp");
        }
    }
    let text = without_times(&Value::Array(events).to_string());
    serde_json::from_str::<Vec<Value>>(&text).expect("json")
}

/// ISO 8601 times inside payloads (`$$.State.EnteredTime`: the first run's clock moved with
/// the wall clock, the replay's with the record) as `<time>`.
fn without_times(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        let end = (i + 20..=(i + 30).min(b.len()))
            .rev()
            .find(|&e| s.is_char_boundary(e) && asl::data::timestamp::parse(&s[i..e]).is_some());
        match end {
            Some(e) => {
                out.push_str("<time>");
                i = e;
            }
            None => {
                let c = s[i..].chars().next().unwrap_or(' ');
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

/// The round trip of one execution: `run --history`, then `run --replay` reproduces its
/// events, then `record` and `test` pass. `run_args` builds the history; `replay_args` and
/// `record_args` are what the replay needs besides the record (S3, commands).
fn round_trip(
    d: &Path,
    definition: &str,
    run_args: &[String],
    replay_args: &[&str],
    record_args: &[&str],
) -> Result<(), String> {
    let h1 = d.join("h1.json");
    let h2 = d.join("h2.json");
    let mut args: Vec<String> = vec!["run".into(), definition.into()];
    args.extend(run_args.iter().cloned());
    args.extend([
        "--history".into(),
        s(&h1),
        "--result-format".into(),
        "json".into(),
    ]);
    let out = asl().args(&args).output().expect("asl");
    if !matches!(out.status.code(), Some(0 | 1)) {
        return Err(format!("run: {}", stderr(&out)));
    }
    let first = stdout(&out);
    let mut args = vec!["run", definition, "--replay"];
    let h1s = s(&h1);
    let h2s = s(&h2);
    args.extend([
        h1s.as_str(),
        "--history",
        h2s.as_str(),
        "--result-format",
        "json",
    ]);
    args.extend_from_slice(replay_args);
    let out = run(&args);
    if !matches!(out.status.code(), Some(0 | 1)) {
        return Err(format!("replay: {}", stderr(&out)));
    }
    let again = stdout(&out);
    if without_times(&first) != without_times(&again) {
        return Err(format!("replay result: {first} vs {again}"));
    }
    let (a, b) = (comparable(&h1), comparable(&h2));
    if a != b {
        let at = a
            .iter()
            .zip(&b)
            .position(|(x, y)| x != y)
            .unwrap_or(a.len().min(b.len()));
        return Err(format!(
            "replayed events differ at {at}: {:?} vs {:?}",
            a.get(at),
            b.get(at)
        ));
    }
    let rec = d.join("rec");
    let recs = s(&rec);
    let mut args = vec![
        "record",
        h1s.as_str(),
        "--definition",
        definition,
        "--out",
        recs.as_str(),
    ];
    args.extend_from_slice(record_args);
    let out = run(&args);
    if out.status.code() != Some(0) {
        return Err(format!("record: {}", stderr(&out)));
    }
    let out = run(&["test", &recs]);
    if out.status.code() != Some(0) {
        return Err(format!("test: {}", stderr(&out)));
    }
    Ok(())
}

#[test]
fn every_sample_with_task_states_round_trips() {
    let d = dir("samples");
    let sample = |f: &str| s(&samples().join(f));
    // A copy of the samples' S3 folder: a Distributed Map's ResultWriter writes there.
    let s3 = d.join("s3");
    copy_dir(&samples().join("s3"), &s3);
    let s3 = s(&s3);
    let handlers = sample("batch-orders.handlers.json");
    let runs: Vec<(&str, Vec<String>, Vec<&str>)> = vec![
        (
            "pipeline",
            vec![
                "--mock-config".into(),
                sample("pipeline.mocks.json"),
                "--test-case".into(),
                "HappyPath".into(),
            ],
            vec![],
        ),
        (
            "orders-jsonata",
            vec![
                "--mock-config".into(),
                sample("orders-jsonata.mocks.json"),
                "--test-case".into(),
                "Charged".into(),
            ],
            vec![],
        ),
        (
            "orders-jsonata",
            vec![
                "--mock-config".into(),
                sample("orders-jsonata.mocks.json"),
                "--test-case".into(),
                "Declined".into(),
            ],
            vec![],
        ),
        (
            "task-retry-catch",
            vec![
                "--mock-config".into(),
                sample("task-retry-catch.mocks.json"),
                "--test-case".into(),
                "ThrottledThenOk".into(),
            ],
            vec![],
        ),
        (
            "task-retry-catch",
            vec![
                "--mock-config".into(),
                sample("task-retry-catch.mocks.json"),
                "--test-case".into(),
                "Broken".into(),
            ],
            vec![],
        ),
        (
            "report-parent",
            vec![
                "--machine".into(),
                format!("report-child={}", sample("report-child.asl.json")),
            ],
            vec![],
        ),
        (
            "batch-orders",
            vec![
                "--handlers".into(),
                handlers.clone(),
                "--s3-root".into(),
                s3.clone(),
            ],
            vec!["--handlers", &handlers, "--s3-root", &s3],
        ),
    ];
    let mut failures = Vec::new();
    for (i, (name, mut args, extra)) in runs.into_iter().enumerate() {
        let def = sample(&format!("{name}.asl.json"));
        args.extend(["--input-file".into(), sample(&format!("{name}.input.json"))]);
        let case = d.join(format!("{i}-{name}"));
        std::fs::create_dir_all(&case).expect("dir");
        if let Err(e) = round_trip(&case, &def, &args, &extra, &extra) {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("dir");
    for e in std::fs::read_dir(from)
        .expect("read dir")
        .filter_map(Result::ok)
    {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).expect("copy");
        }
    }
}

/// Whether a definition has a Task state anywhere.
fn has_task(v: &Value) -> bool {
    let Some(states) = v.get("States").and_then(Value::as_object) else {
        return false;
    };
    states.values().any(|s| {
        s["Type"] == "Task"
            || s["Branches"]
                .as_array()
                .is_some_and(|b| b.iter().any(has_task))
            || ["ItemProcessor", "Iterator"]
                .iter()
                .any(|k| has_task(&s[*k]))
    })
}

/// The conformance runner's mock file for a case (shared/conformance/run,
/// `build_mock_config`): the n-th recorded result of a state answers its n-th call.
fn corpus_mocks(machine: &str, case: &str, results: &[Value]) -> Value {
    let mut by_state: Vec<(String, Vec<Value>)> = Vec::new();
    for r in results {
        let state = r["state"].as_str().unwrap_or_default().to_string();
        let failed = r.get("error").is_some()
            || r.get("cause").is_some()
            || !r["event"]
                .as_str()
                .unwrap_or_default()
                .ends_with("Succeeded");
        let answer = if failed {
            let mut t = serde_json::Map::new();
            if let Some(e) = r["error"].as_str() {
                t.insert("Error".into(), json!(e));
            }
            match &r["cause"] {
                Value::Null => {}
                Value::String(c) => {
                    t.insert("Cause".into(), json!(c));
                }
                other => {
                    t.insert("Cause".into(), json!(other.to_string()));
                }
            }
            json!({"Throw": t})
        } else {
            json!({"Return": r["output"]})
        };
        match by_state.iter_mut().find(|(s, _)| *s == state) {
            Some((_, l)) => l.push(answer),
            None => by_state.push((state, vec![answer])),
        }
    }
    let mut test_case = serde_json::Map::new();
    let mut responses = serde_json::Map::new();
    for (state, answers) in by_state {
        let name = format!("{case}:{state}");
        test_case.insert(state, json!(name));
        let ranges: serde_json::Map<String, Value> = answers
            .into_iter()
            .enumerate()
            .map(|(i, a)| (i.to_string(), a))
            .collect();
        responses.insert(name, Value::Object(ranges));
    }
    json!({"StateMachines": {machine: {"TestCases": {case: test_case}}}, "MockedResponses": responses})
}

/// Every case of the conformance corpus (../shared/conformance/cases, when present) with Task
/// states that `asl run` can run with the case's recorded answers: its history round-trips.
#[test]
fn every_corpus_case_with_task_states_round_trips() {
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/cases");
    let Ok(entries) = std::fs::read_dir(&cases) else {
        eprintln!("skipped: no conformance corpus at {}", cases.display());
        return;
    };
    let mut ids: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("expected.json").exists())
        .collect();
    ids.sort();
    let d = dir("corpus");
    let (mut with_tasks, mut ran, mut passed) = (0, 0, 0);
    let mut failures = Vec::new();
    for case in ids {
        let read = |f: &str| -> Value {
            serde_json::from_str(&std::fs::read_to_string(case.join(f)).unwrap_or_default())
                .unwrap_or(Value::Null)
        };
        if !has_task(&read("definition.json")) {
            continue;
        }
        with_tasks += 1;
        let expected = read("expected.json");
        let id = case
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let ctx = &expected["context"];
        let name = |k: &str, default: &str| {
            ctx[k]
                .as_str()
                .filter(|s| !s.is_empty())
                .unwrap_or(default)
                .to_string()
        };
        let machine = name("state_machine_name", "asl-conformance");
        let work = d.join(&id);
        std::fs::create_dir_all(&work).expect("dir");
        let mut args: Vec<String> = vec![
            "--input-file".into(),
            s(&case.join("input.json")),
            "--state-machine-name".into(),
            machine.clone(),
            "--execution-name".into(),
            name("execution_name", "asl-conformance-execution"),
            "--role-arn".into(),
            name("role_arn", "arn:aws:iam::111111111111:role/asl-conformance"),
            "--region".into(),
            name("region", "us-east-1"),
            "--account-id".into(),
            name("account", "111111111111"),
            "--clock".into(),
            "virtual".into(),
        ];
        if let Some(results) = expected["task_results"]
            .as_array()
            .filter(|r| !r.is_empty())
        {
            let mocks = write(
                &work,
                "mocks.json",
                &corpus_mocks(&machine, "case", results).to_string(),
            );
            args.extend([
                "--mock-config".into(),
                mocks,
                "--test-case".into(),
                "case".into(),
            ]);
        }
        let mut extra: Vec<String> = Vec::new();
        if case.join("s3").is_dir() {
            let s3 = work.join("s3");
            copy_dir(&case.join("s3"), &s3);
            extra = vec!["--s3-root".into(), s(&s3)];
            args.extend(extra.iter().cloned());
        }
        // Cases whose recorded answers `asl run` cannot run on are no history to record.
        let probe = asl()
            .arg("run")
            .arg(case.join("definition.json"))
            .args(&args)
            .output()
            .expect("asl");
        if !matches!(probe.status.code(), Some(0 | 1)) {
            continue;
        }
        ran += 1;
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        match round_trip(
            &work,
            &s(&case.join("definition.json")),
            &args,
            &extra,
            &extra,
        ) {
            Ok(()) => passed += 1,
            Err(e) => failures.push(format!("{id}: {e}")),
        }
    }
    eprintln!("corpus round trips: {passed}/{ran} passed ({with_tasks} cases with Task states)");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(ran > 0, "no corpus case with Task states ran");
}

#[test]
fn a_task_that_failed_before_calling_fails_the_replay_the_same_way() {
    let d = dir("before-calling");
    let def = write(
        &d,
        "orders.asl.json",
        r#"{"StartAt": "Work", "States": {"Work": {"Type": "Task",
      "Resource": "arn:aws:states:eu-west-1:111122223333:activity:gone", "End": true}}}"#,
    );
    let cause = "An error occurred while executing the state 'Work' (entered at the event id #2). The activity arn:aws:states:eu-west-1:111122223333:activity:gone does not exist.";
    let h = history(
        &d,
        vec![
            started(1, json!({"a": 1})),
            entered(2, 0, "Task", "Work", json!({"a": 1})),
            ev(
                3,
                2,
                "ExecutionFailed",
                Some(json!({"error": "States.Runtime", "cause": cause})),
            ),
        ],
    );
    let out = run(&["run", &def, "--replay", &h, "--result-format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        v,
        json!({"status": "FAILED", "output": null, "error": "States.Runtime", "cause": cause})
    );
    record_and_test(&d, &h, &def, &[]);
}

#[test]
fn a_test_case_replays_a_history() {
    let d = dir("test-replay");
    let def = write(&d, "orders.asl.json", MAP);
    history(&d, interleaved_map());
    let tests = write(
        &d,
        "orders.test.yaml",
        r#"definition: orders.asl.json
cases:
  - name: as in production
    replay: history.json
    expect:
      status: SUCCEEDED
      output: ["A!", "B!"]
      calls: {Charge: 2}
  - name: another input goes past the record
    replay: history.json
    input: {"items": [{"id": "a"}, {"id": "b"}, {"id": "c"}]}
    mocks:
      Charge: {return: {Payload: "C!"}}
"#,
    );
    let out = run(&["test", &tests]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("✓ as in production"), "{err}");
    assert!(
        err.contains("replay: the run departed from the record at `Each` (event 3): the run starts iteration 2, which the record does not have"),
        "{err}"
    );
    let out = run(&["test", &tests, "--filter", "production"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(Path::new(&def).exists());
}

#[test]
fn a_branch_aws_cut_short_waits_for_its_sibling_failure() {
    let d = dir("cut-short");
    let def = write(
        &d,
        "orders.asl.json",
        r#"{"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": true, "Branches": [
      {"StartAt": "Reject", "States": {"Reject": {"Type": "Fail", "Error": "Order.Rejected", "Cause": "no stock"}}},
      {"StartAt": "Later", "States": {"Later": {"Type": "Wait", "Seconds": 60, "Next": "Notify"},
         "Notify": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "notify"}, "End": true}}}]}}}"#,
    );
    // On AWS the Wait was still waiting when the other branch failed: it never reached Notify.
    let h = history(
        &d,
        vec![
            started(1, json!({})),
            entered(2, 0, "Parallel", "Both", json!({})),
            ev(3, 2, "ParallelStateStarted", None),
            entered(4, 3, "Fail", "Reject", json!({})),
            entered(5, 3, "Wait", "Later", json!({})),
            ev(
                6,
                4,
                "ParallelStateFailed",
                Some(json!({"error": "Order.Rejected", "cause": "no stock"})),
            ),
            ev(7, 5, "WaitStateAborted", None),
            ev(
                8,
                6,
                "ExecutionFailed",
                Some(json!({"error": "Order.Rejected", "cause": "no stock"})),
            ),
        ],
    );
    let out = run(&["run", &def, "--replay", &h, "--result-format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).expect("json"),
        json!({"status": "FAILED", "output": null, "error": "Order.Rejected", "cause": "no stock"})
    );
    assert!(
        stderr(&out).contains("the run followed"),
        "{}",
        stderr(&out)
    );
    let test = record_and_test(&d, &h, &def, &[]);
    assert!(
        test.contains("\"Notify\":\n    sequence:\n      - {\"pending\": true}"),
        "{test}"
    );
}

/// `--remote` runs on Step Functions: what answers a local run's Task states, a replay, and
/// the picture-less history flags of an EXPRESS run are refused before anything is called;
/// `--compare-local` needs `--remote` (exit 2 each).
#[test]
fn remote_refuses_what_cannot_run_on_step_functions() {
    let d = dir("remote-flags");
    let def = write(
        &d,
        "m.asl.json",
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#,
    );
    for (args, says) in [
        (
            vec!["--remote", "--replay", "h.json"],
            "the argument '--remote' cannot be used with '--replay <HISTORY>'",
        ),
        (
            vec!["--remote", "--mock-config", "m.json", "--test-case", "T"],
            "cannot be used with",
        ),
        (vec!["--remote", "--aws-all"], "cannot be used with"),
        (vec!["--remote", "--local", "P=true"], "cannot be used with"),
        (
            vec!["--compare-local"],
            "the following required arguments were not provided:\n  --remote",
        ),
        (
            vec![
                "--remote",
                "--type",
                "EXPRESS",
                "--trace",
                "--compare-local",
            ],
            if cfg!(feature = "aws") {
                "error: --remote --type EXPRESS: --trace, --compare-local need the execution's history, which Step Functions keeps for STANDARD executions only"
            } else {
                "this build of asl has no AWS support"
            },
        ),
    ] {
        let mut all = vec!["run", def.as_str()];
        all.extend(args.iter().copied());
        let out = run(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
        assert_eq!(stdout(&out), "", "{args:?}");
    }
}

/// A Distributed Map, `Ship`, whose child executions call `Send` with their item.
const DISTRIBUTED: &str = r#"{"StartAt": "Ship", "States": {
  "Ship": {"Type": "Map", "ItemsPath": "$.items", "Label": "ship",
    "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
      "StartAt": "Send", "States": {
        "Send": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
          "Parameters": {"FunctionName": "send", "Payload.$": "$"},
          "ResultSelector": {"t.$": "$.Payload.t"}, "End": true}}},
    "End": true}}}"#;

const MAP_RUN: &str = "arn:aws:states:eu-west-1:111122223333:mapRun:orders/ship:5e1f";

/// The parent's history: the Map Run only, as AWS writes it.
fn distributed_parent() -> Vec<Value> {
    let input = json!({"items": [{"sku": "A"}, {"sku": "B"}, {"sku": "C"}]});
    let output = json!([{"t": "a"}, {"t": "b"}, {"t": "c"}]);
    vec![
        started(1, input.clone()),
        entered(2, 1, "Map", "Ship", input),
        ev(3, 2, "MapStateStarted", Some(json!({"length": 0}))),
        ev(4, 3, "MapRunStarted", Some(json!({"mapRunArn": MAP_RUN}))),
        ev(5, 4, "MapRunSucceeded", None),
        ev(6, 5, "MapStateSucceeded", None),
        exited(7, 6, "Map", "Ship", output.clone()),
        ev(
            8,
            7,
            "ExecutionSucceeded",
            Some(json!({"output": text(output), "outputDetails": {"truncated": false}})),
        ),
    ]
}

/// A child execution's history: started at `at` (epoch seconds) with `item`, `Send`
/// answered with `t`.
fn distributed_child(item: &str, t: &str, at: u64) -> Vec<Value> {
    let item = json!({"sku": item});
    let mut start = started(1, item.clone());
    start["timestamp"] = json!(at);
    vec![
        start,
        entered(2, 1, "Task", "Send", item.clone()),
        scheduled(
            3,
            2,
            "lambda",
            "invoke",
            json!({"FunctionName": "send", "Payload": item}),
        ),
        succeeded(4, 3, "lambda", "invoke", json!({"Payload": {"t": t}})),
        exited(5, 4, "Task", "Send", json!({"t": t})),
        ev(
            6,
            5,
            "ExecutionSucceeded",
            Some(json!({"output": text(json!({"t": t})), "outputDetails": {"truncated": false}})),
        ),
    ]
}

/// The children as ListExecutions lists them (newest first: `C` started before `A`, so
/// neither the listing nor the start order is the items' order), with their histories.
fn distributed_children() -> Vec<(String, Vec<Value>)> {
    [
        ("A", "a", 1714557603),
        ("C", "c", 1714557601),
        ("B", "b", 1714557602),
    ]
    .iter()
    .map(|(item, t, at)| {
        (
            format!("arn:aws:states:eu-west-1:111122223333:execution:orders/ship:{t}-uuid"),
            distributed_child(item, t, *at),
        )
    })
    .collect()
}

#[test]
fn distributed_map_children_in_the_history_answer_their_iterations_by_input() {
    let d = dir("dmap-file");
    let def = write(&d, "orders.asl.json", DISTRIBUTED);
    let children: Vec<Value> = distributed_children()
        .into_iter()
        .map(|(arn, events)| json!({"executionArn": arn, "mapRunArn": MAP_RUN, "events": events}))
        .collect();
    let doc = json!({"events": distributed_parent(), "mapRunExecutions": children,
        "executionArn": "arn:aws:states:eu-west-1:111122223333:execution:orders:incident-42"});
    let h = write(&d, "history.json", &doc.to_string());
    let out = run(&["run", &def, "--replay", &h]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), r#"[{"t":"a"},{"t":"b"},{"t":"c"}]"#);
    assert!(
        stderr(&out).contains("(3 Task calls answered from it)"),
        "{}",
        stderr(&out)
    );
    // Each iteration takes the child with its item: another parameter departs in that child.
    let changed = write(
        &d,
        "changed.asl.json",
        &DISTRIBUTED.replace("\"send\"", "\"send-2\""),
    );
    let out = run(&["run", &changed, "--replay", &h]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("departed from the record at `Ship[0]/Send` (event 3): the run sends other parameters\n  /FunctionName: recorded \"send\", now \"send-2\""),
        "{}",
        stderr(&out)
    );
    // A child the record lacks: its iteration has no answer.
    let mut cut = doc.clone();
    cut["mapRunExecutions"].as_array_mut().unwrap().remove(2);
    let cut = write(&d, "cut.json", &cut.to_string());
    let out = run(&["run", &def, "--replay", &cut]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("at `Ship[1]/Send`: it runs in a child execution of a Distributed Map run, and the record holds no child execution with its input"),
        "{}",
        stderr(&out)
    );
    // Recorded: the mocks answer each iteration as its child answered, the path names them.
    let test = record_and_test(&d, &h, &def, &[]);
    assert!(
        test.contains(r#"pathContains: ["Ship", "Ship[0]/Send", "Ship[1]/Send", "Ship[2]/Send"]"#),
        "{test}"
    );
    let mocks: Value = serde_json::from_str(
        &std::fs::read_to_string(d.join("rec/incident-42.mocks.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        mocks["MockedResponses"]["Send"],
        json!({"0": {"Return": {"Payload": {"t": "a"}}}, "1": {"Return": {"Payload": {"t": "b"}}},
               "2": {"Return": {"Payload": {"t": "c"}}}})
    );
}

/// A fake Step Functions (the JSON 1.0 protocol, a std `TcpListener` on 127.0.0.1) that
/// holds one execution, `incident-42`, with a Distributed Map run and its `children`; it
/// lists the run's children two per page and keeps every request's target and body.
#[cfg(feature = "aws")]
struct FakeStepFunctions {
    url: String,
    requests: std::sync::Arc<std::sync::Mutex<Vec<(String, Value)>>>,
}

#[cfg(feature = "aws")]
fn fake_step_functions(children: Vec<(String, Vec<Value>)>) -> FakeStepFunctions {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = requests.clone();
    let parent = "arn:aws:states:eu-west-1:111122223333:execution:orders:incident-42";
    // Timestamps as the JSON protocol sends them: epoch seconds.
    let epoch = |events: Vec<Value>| -> Vec<Value> {
        events
            .into_iter()
            .map(|mut e| {
                if !e["timestamp"].is_u64() {
                    e["timestamp"] = json!(1714557600 + e["id"].as_u64().unwrap_or(0));
                }
                e
            })
            .collect()
    };
    let answer = move |target: &str, body: &Value| -> Value {
        let arn = body["executionArn"].as_str().unwrap_or_default();
        match target {
            "DescribeExecution" => json!({"executionArn": parent, "name": "incident-42",
                "stateMachineArn": "arn:aws:states:eu-west-1:111122223333:stateMachine:orders",
                "status": "SUCCEEDED", "startDate": 1714557600}),
            "DescribeStateMachineForExecution" => json!({"definition": DISTRIBUTED,
                "name": "orders", "roleArn": "arn:aws:iam::111122223333:role/r",
                "stateMachineArn": "arn:aws:states:eu-west-1:111122223333:stateMachine:orders",
                "updateDate": 1714557600}),
            "GetExecutionHistory" if arn == parent => {
                json!({"events": epoch(distributed_parent())})
            }
            "GetExecutionHistory" => {
                let events = children
                    .iter()
                    .find(|(a, _)| a == arn)
                    .map(|(_, e)| epoch(e.clone()))
                    .unwrap_or_default();
                json!({"events": events})
            }
            "ListMapRuns" => json!({"mapRuns": [{"executionArn": parent, "mapRunArn": MAP_RUN,
                "stateMachineArn": "arn:aws:states:eu-west-1:111122223333:stateMachine:orders/ship",
                "startDate": 1714557600}]}),
            "ListExecutions" => {
                let from: usize = body["nextToken"]
                    .as_str()
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0);
                let page: Vec<Value> = children
                    .iter()
                    .skip(from)
                    .take(2)
                    .map(|(a, _)| json!({"executionArn": a, "name": a.rsplit(':').next(),
                        "stateMachineArn": "arn:aws:states:eu-west-1:111122223333:stateMachine:orders/ship",
                        "status": "SUCCEEDED", "startDate": 1714557600}))
                    .collect();
                let mut out = json!({"executions": page});
                if from + 2 < children.len() {
                    out["nextToken"] = json!((from + 2).to_string());
                }
                out
            }
            _ => Value::Null,
        }
    };
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
            let mut buf = Vec::new();
            let mut chunk = [0u8; 8192];
            let end = loop {
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break Some(i + 4);
                }
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break None,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            };
            let Some(end) = end else { continue };
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let header = |name: &str| {
                head.lines().find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
                })
            };
            let len: usize = header("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            while buf.len() < end + len {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let body: Value = serde_json::from_slice(&buf[end..]).unwrap_or(Value::Null);
            let target = header("x-amz-target")
                .and_then(|t| t.split('.').nth(1).map(str::to_string))
                .unwrap_or_default();
            let reply = answer(&target, &body);
            seen.lock().unwrap().push((target, body));
            let (status, reply) = if reply.is_null() {
                (
                    "400 Bad Request",
                    json!({"__type": "UnknownOperationException", "message": "no"}),
                )
            } else {
                ("200 OK", reply)
            };
            let text = reply.to_string();
            let _ = stream.write_all(
                format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                    text.len()
                )
                .as_bytes(),
            );
        }
    });
    FakeStepFunctions { url, requests }
}

/// `asl record ARN` against `fake`, into `out`.
#[cfg(feature = "aws")]
fn record_arn(fake: &FakeStepFunctions, out: &Path, extra: &[&str]) -> Output {
    let empty = out.with_extension("empty");
    std::fs::write(&empty, "").unwrap();
    asl()
        .args([
            "record",
            "arn:aws:states:eu-west-1:111122223333:execution:orders:incident-42",
            "--out",
            &s(out),
            "--endpoint-url",
            &fake.url,
        ])
        .args(extra)
        .env("AWS_ACCESS_KEY_ID", "AKIARECORDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "recordTestSecretKey")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", &empty)
        .env("AWS_SHARED_CREDENTIALS_FILE", &empty)
        .output()
        .expect("the asl binary starts")
}

#[cfg(feature = "aws")]
#[test]
fn recording_an_arn_fetches_the_distributed_map_children() {
    let d = dir("dmap-arn");
    let fake = fake_step_functions(distributed_children());
    let rec = d.join("rec");
    let out = record_arn(&fake, &rec, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("fetched `incident-42` and 3 child executions of its Distributed Map runs:"),
        "{}",
        stderr(&out)
    );
    let requests = fake.requests.lock().unwrap().clone();
    // The run's children listed by its ARN, every page.
    let listed: Vec<&Value> = requests
        .iter()
        .filter(|(t, _)| t == "ListExecutions")
        .map(|(_, b)| b)
        .collect();
    assert_eq!(listed.len(), 2, "{requests:?}");
    assert!(
        listed
            .iter()
            .all(|b| b["mapRunArn"] == MAP_RUN && b.get("stateMachineArn").is_none())
    );
    assert_eq!(listed[1]["nextToken"], "2");
    assert!(requests.iter().any(|(t, b)| t == "ListMapRuns"
        && b["executionArn"]
            == "arn:aws:states:eu-west-1:111122223333:execution:orders:incident-42"));
    // The history written keeps them, and the test passes as it is.
    let history: Value = serde_json::from_str(
        &std::fs::read_to_string(rec.join("incident-42.history.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        history["mapRunExecutions"].as_array().map(Vec::len),
        Some(3)
    );
    assert_eq!(history["mapRunExecutions"][0]["mapRunArn"], MAP_RUN);
    let out = run(&["test", &s(&rec)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let out = run(&[
        "run",
        &s(&rec.join("incident-42.asl.json")),
        "--replay",
        &s(&rec.join("incident-42.history.json")),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), r#"[{"t":"a"},{"t":"b"},{"t":"c"}]"#);

    // At most --max-children: said on stderr, and the record's replay departs at the first
    // iteration left without its child (files written, exit 3).
    let fake = fake_step_functions(distributed_children());
    let out = record_arn(&fake, &d.join("cut"), &["--max-children", "2"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "{MAP_RUN}: fetched 2 of its child executions (--max-children 2)"
        )),
        "{err}"
    );
    assert!(
        err.contains("fetched `incident-42` and 2 child executions"),
        "{err}"
    );
    assert!(
        err.contains("departed from the record at `Ship[1]/Send`"),
        "{err}"
    );
    let histories = fake
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter(|(t, _)| t == "GetExecutionHistory")
        .count();
    assert_eq!(histories, 3, "the parent's and two children's");
}
