//! CLI tests: the `asl` binary as users and the conformance runner call it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn asl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_asl"))
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("asl-samples")
}

fn run(args: &[&str]) -> Output {
    asl().args(args).output().expect("the asl binary starts")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is JSON ({e}): {}", stdout(out)))
}

/// Writes `text` to a fresh file in a per-test directory and returns its path.
fn write(test: &str, name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("asl-cli-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write fixture");
    path
}

fn sample(name: &str) -> String {
    samples().join(name).display().to_string()
}

fn run_sample(name: &str, extra: &[&str]) -> Output {
    let def = sample(&format!("{name}.asl.json"));
    let input = sample(&format!("{name}.input.json"));
    let mut args = vec!["run", def.as_str(), "--input-file", input.as_str()];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn every_sample_runs_to_its_documented_output() {
    let cases: &[(&str, &[&str], serde_json::Value)] = &[
        ("hello", &[], serde_json::json!({"greeting": "Hello, Ada!"})),
        ("choice", &[], serde_json::json!("manual-review")),
        (
            "parallel",
            &[],
            serde_json::json!({"sum": 5, "label": "2+3"}),
        ),
        (
            "map",
            &[],
            serde_json::json!([{"line": "#0 SKU-1 (EUR)"}, {"line": "#1 SKU-2 (EUR)"}, {"line": "#2 SKU-3 (EUR)"}]),
        ),
        (
            "wait",
            &[],
            serde_json::json!({"notBefore": "2027-01-01T00:00:00Z"}),
        ),
    ];
    for (name, extra, expected) in cases {
        let out = run_sample(name, extra);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        assert_eq!(&json(&out), expected, "{name}");
    }
}

#[test]
fn pipeline_sample_runs_fully_mocked() {
    let mocks = sample("pipeline.mocks.json");
    let out = run_sample(
        "pipeline",
        &["--mock-config", &mocks, "--test-case", "HappyPath"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["chunksProcessed"], 3);
}

#[test]
fn retry_then_success_and_catch_follow_the_mock_file() {
    let mocks = sample("task-retry-catch.mocks.json");
    let ok = run_sample(
        "task-retry-catch",
        &["--mock-config", &mocks, "--test-case", "ThrottledThenOk"],
    );
    assert_eq!(json(&ok)["charge"], serde_json::json!({"receipt": "r-42"}));
    let caught = run_sample(
        "task-retry-catch",
        &["--mock-config", &mocks, "--test-case", "Broken"],
    );
    let value = json(&caught);
    assert_eq!(value["error"]["Error"], "Card.Declined");
    assert_eq!(value["refund"], "refunded");
}

#[test]
fn failed_execution_exits_1_with_error_and_cause_on_stderr() {
    let out = run_sample("fail", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).contains("Validation.Rejected: missing customer id"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn result_format_json_reports_all_four_keys() {
    let out = run_sample("fail", &["--result-format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        json(&out),
        serde_json::json!({"status": "FAILED", "output": null, "error": "Validation.Rejected", "cause": "missing customer id"})
    );
    let ok = run_sample("hello", &["--result-format", "json"]);
    assert_eq!(
        json(&ok),
        serde_json::json!({"status": "SUCCEEDED", "output": {"greeting": "Hello, Ada!"}, "error": null, "cause": null})
    );
}

#[test]
fn input_comes_from_stdin_when_no_flag_is_given() {
    use std::io::Write;
    let mut child = asl()
        .args(["run", &sample("hello.asl.json")])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(br#"{"name": "stdin"}"#)
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(json(&out), serde_json::json!({"greeting": "Hello, stdin!"}));
}

#[test]
fn history_file_holds_aws_shaped_events() {
    let history = write("history", "h.json", "");
    let out = run_sample("hello", &["--history", &history.display().to_string()]);
    assert_eq!(out.status.code(), Some(0));
    let text = std::fs::read_to_string(&history).expect("history written");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("history is JSON");
    let types: Vec<&str> = doc["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(doc["events"][1]["previousEventId"], 1);
}

#[test]
fn trace_goes_to_stderr_and_keeps_stdout_clean() {
    let out = run_sample("hello", &["--trace"]);
    assert_eq!(json(&out), serde_json::json!({"greeting": "Hello, Ada!"}));
    assert!(stderr(&out).contains("Greet"), "{}", stderr(&out));
}

#[test]
fn virtual_clock_is_default_so_waits_finish_at_once() {
    let started = std::time::Instant::now();
    let out = run_sample("wait", &[]);
    assert_eq!(out.status.code(), Some(0));
    // The sample waits ten seconds and then until 2027; a real clock would not return soon.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

fn assert_refused(out: &Output, needles: &[&str]) {
    assert_eq!(out.status.code(), Some(2), "stderr: {}", stderr(out));
    assert!(stdout(out).is_empty(), "stdout: {}", stdout(out));
    let err = stderr(out);
    for needle in needles {
        assert!(err.contains(needle), "missing {needle:?} in: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn malformed_json_is_refused_with_line_and_column() {
    let def = write(
        "malformed",
        "m.json",
        "{\"StartAt\": \"A\",\n \"States\": {,}}",
    );
    let out = run(&["run", &def.display().to_string(), "--input", "{}"]);
    assert_refused(&out, &["m.json:2:", "invalid JSON"]);
}

#[test]
fn next_naming_no_state_is_refused_with_pointer_and_suggestion() {
    let def = write(
        "next",
        "n.json",
        "{\"StartAt\": \"Start\",\n \"States\": {\"Start\": {\"Type\": \"Pass\", \"Next\": \"Stat\"}}}",
    );
    let out = run(&["run", &def.display().to_string(), "--input", "{}"]);
    assert_refused(
        &out,
        &[
            "n.json:2:",
            "/States/Start/Next",
            "MISSING_TRANSITION_TARGET",
            "did you mean `Start`",
        ],
    );
}

#[test]
fn keys_written_twice_are_refused_where_the_second_is_written() {
    // serde_json keeps the last of two equal keys: without the check, the first state `A`
    // would silently vanish and the run would end at the second.
    let def = write(
        "twice",
        "t.json",
        "{\"StartAt\": \"A\", \"States\": {\n  \"A\": {\"Type\": \"Pass\", \"End\": true},\n  \"A\": {\"Type\": \"Succeed\"}}}",
    );
    assert_refused(
        &run(&["run", &def.display().to_string(), "--input", "{}"]),
        &["t.json:3:3", "DUPLICATE_STATE_NAME", "/States/A"],
    );
    let def = write(
        "twice-field",
        "f.json",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B", "Next": "A", "End": true}}}"#,
    );
    assert_refused(
        &run(&["run", &def.display().to_string(), "--input", "{}"]),
        &["/States/A/Next", "written twice"],
    );
}

#[test]
fn unknown_field_and_bad_path_are_refused() {
    let def = write(
        "unknown",
        "u.json",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Foo": 1, "End": true}}}"#,
    );
    assert_refused(
        &run(&["run", &def.display().to_string(), "--input", "{}"]),
        &["/States/A/Foo", "Foo"],
    );
    let def = write(
        "badpath",
        "p.json",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "InputPath": "$.a[", "End": true}}}"#,
    );
    assert_refused(
        &run(&["run", &def.display().to_string(), "--input", "{}"]),
        &["/States/A/InputPath", "JSONPath"],
    );
}

#[test]
fn missing_definition_file_and_bad_input_are_refused() {
    assert_refused(
        &run(&["run", "/nonexistent/def.json", "--input", "{}"]),
        &["/nonexistent/def.json", "cannot read"],
    );
    assert_refused(
        &run(&["run", &sample("hello.asl.json"), "--input", "{"]),
        &["--input", "invalid JSON"],
    );
}

#[test]
fn bad_mock_files_are_refused_with_location() {
    let def = sample("task-retry-catch.asl.json");
    let mocks = sample("task-retry-catch.mocks.json");
    let out = run(&[
        "run",
        &def,
        "--input",
        "{}",
        "--mock-config",
        &mocks,
        "--test-case",
        "Nope",
    ]);
    assert_refused(
        &out,
        &[
            "no test case `Nope`",
            "ThrottledThenOk",
            "/StateMachines/task-retry-catch/TestCases",
        ],
    );

    let both = write(
        "mockboth",
        "task-retry-catch.mocks.json",
        r#"{"StateMachines": {"task-retry-catch": {"TestCases": {"T": {"CallService": "R"}}}},
 "MockedResponses": {"R": {"0": {"Return": 1, "Throw": {"Error": "E"}}}}}"#,
    );
    let out = run(&[
        "run",
        &def,
        "--input",
        "{}",
        "--mock-config",
        &both.display().to_string(),
        "--test-case",
        "T",
    ]);
    assert_refused(&out, &["/MockedResponses/R/0"]);
}

#[test]
fn a_task_without_handler_fails_naming_state_and_resource() {
    let out = run_sample("task-retry-catch", &[]);
    assert_refused(&out, &["CallService", "arn:aws:states:::lambda:invoke"]);
}

#[test]
fn history_cap_ends_an_endless_loop_with_a_clear_message() {
    let def = write(
        "endless",
        "loop.json",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}}"#,
    );
    let out = run(&[
        "run",
        &def.display().to_string(),
        "--input",
        "{}",
        "--max-events",
        "100",
    ]);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("100"), "{}", stderr(&out));
}

#[test]
fn help_explains_every_run_flag() {
    let out = run(&["run", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);
    for flag in [
        "--input",
        "--input-file",
        "--mock-config",
        "--test-case",
        "--state-machine-name",
        "--execution-name",
        "--role-arn",
        "--region",
        "--account-id",
        "--clock",
        "--result-format",
        "--history",
        "--trace",
    ] {
        assert!(help.contains(flag), "{flag} missing from run --help");
    }
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&["run"]).status.code(), Some(2));
    assert_eq!(run(&["no-such-command"]).status.code(), Some(2));
}

#[test]
fn jsonata_sample_uses_variables_across_states_and_catch() {
    let mocks = sample("orders-jsonata.mocks.json");
    let out = run_sample(
        "orders-jsonata",
        &["--mock-config", &mocks, "--test-case", "Charged"],
    );
    assert_eq!(
        json(&out),
        serde_json::json!({"orderId": "o-7", "total": 105.5, "tier": "large", "receipt": "r-105"})
    );
    let out = run_sample(
        "orders-jsonata",
        &[
            "--mock-config",
            &mocks,
            "--test-case",
            "Declined",
            "--result-format",
            "json",
        ],
    );
    assert_eq!(
        json(&out),
        serde_json::json!({"status": "FAILED", "output": null, "error": "Card.Declined", "cause": "order o-7 for 105.5 was declined"})
    );
}

#[test]
fn jsonpath_fields_in_a_jsonata_state_are_refused_with_location() {
    let def = write(
        "jsonata-fields",
        "j.json",
        r#"{"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "InputPath": "$.a", "End": true}}}"#,
    );
    assert_refused(
        &run(&["run", &def.display().to_string(), "--input", "{}"]),
        &["/States/A/InputPath"],
    );
}

#[test]
fn a_jsonata_syntax_error_is_refused_before_the_run() {
    let def = write(
        "jsonata-syntax",
        "s.json",
        r#"{"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "Output": "{% 1 + %}", "End": true}}}"#,
    );
    assert_refused(
        &run(&["run", &def.display().to_string(), "--input", "{}"]),
        &["/States/A/Output"],
    );
}

#[test]
fn states_format_renders_objects_like_java_maps_including_the_context_object() {
    let def = write(
        "format-objects",
        "sm.asl.json",
        r#"{"StartAt": "F", "States": {"F": {"Type": "Pass", "End": true, "Parameters": {
            "obj.$": "States.Format('{}', $.o)",
            "sm.$": "States.Format('sm={}', $$.StateMachine)"}}}}"#,
    );
    let out = run(&[
        "run",
        &def.display().to_string(),
        "--input",
        r#"{"o": {"Arg1": 1, "Arg2": [], "L": ["a", null]}}"#,
        "--state-machine-name",
        "Fmt",
        "--region",
        "us-east-1",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        json(&out),
        serde_json::json!({
            "obj": "{Arg1=1, Arg2=[], L=[a, null]}",
            "sm": "sm={Id=arn:aws:states:us-east-1:123456789012:stateMachine:Fmt, Name=Fmt}"
        })
    );
}

/// Runs `definition` on `input` with `--result-format json` and returns the result object.
fn run_result(test: &str, definition: &str, input: &str) -> serde_json::Value {
    let def = write(test, "sm.asl.json", definition);
    let out = run(&[
        "run",
        &def.display().to_string(),
        "--input",
        input,
        "--result-format",
        "json",
    ]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    json(&out)
}

#[test]
fn seconds_paths_refuse_fractions_and_negative_numbers_apart() {
    let wait =
        r#"{"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$.s", "End": true}}}"#;
    let prefix = "An error occurred while executing the state 'W' (entered at the event id #2). ";
    for (input, cause) in [
        (
            r#"{"s": -1}"#,
            "The SecondsPath parameter references a negative value: $.s == -1",
        ),
        (
            r#"{"s": -1.5}"#,
            "The SecondsPath parameter cannot be parsed as a long value: $.s == -1.5",
        ),
        (
            r#"{"s": 1.5}"#,
            "The SecondsPath parameter cannot be parsed as a long value: $.s == 1.5",
        ),
        (
            r#"{"s": "x"}"#,
            "The SecondsPath parameter cannot be parsed as a long value: $.s == x",
        ),
    ] {
        let r = run_result("seconds-path", wait, input);
        assert_eq!(r["error"], "States.Runtime", "{input}");
        assert_eq!(r["cause"], format!("{prefix}{cause}"), "{input}");
    }
    assert_eq!(
        run_result("seconds-path", wait, r#"{"s": 0}"#)["status"],
        "SUCCEEDED"
    );

    let task = r#"{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "TimeoutSecondsPath": "$.t", "HeartbeatSecondsPath": "$.h", "End": true}}}"#;
    let prefix = "An error occurred while executing the state 'T' (entered at the event id #2). ";
    for (input, cause) in [
        (
            r#"{"t": -3, "h": 1}"#,
            "The TimeoutSecondsPath parameter references a negative value: $.t == -3",
        ),
        (
            r#"{"t": 10, "h": 2.5}"#,
            "The HeartbeatSecondsPath parameter cannot be parsed as a long value: $.h == 2.5",
        ),
    ] {
        let r = run_result("seconds-path", task, input);
        assert_eq!(r["cause"], format!("{prefix}{cause}"), "{input}");
    }
}

#[test]
fn map_count_paths_refuse_negative_numbers_with_their_own_message() {
    let def = |field: &str| {
        format!(
            r#"{{"StartAt": "M", "States": {{"M": {{"Type": "Map", "ItemsPath": "$.items", "{field}": "$.n",
            "ItemProcessor": {{"StartAt": "P", "States": {{"P": {{"Type": "Pass", "End": true}}}}}}, "End": true}}}}}}"#
        )
    };
    let prefix = "An error occurred while executing the state 'M' (entered at the event id #2). ";
    for (field, input, cause) in [
        (
            "ToleratedFailureCountPath",
            r#"{"items": [1], "n": -1}"#,
            "ToleratedFailureCount cannot be negative.".to_string(),
        ),
        (
            "ToleratedFailureCountPath",
            r#"{"items": [1], "n": 1.5}"#,
            "The ToleratedFailureCountPath field refers to value \"1.5\" which is not a valid integer: $.n".to_string(),
        ),
        (
            "MaxConcurrencyPath",
            r#"{"items": [1], "n": -2}"#,
            "MaxConcurrency cannot be negative.".to_string(),
        ),
    ] {
        let r = run_result("map-counts", &def(field), input);
        assert_eq!(r["error"], "States.Runtime", "{field} {input}");
        assert_eq!(r["cause"], format!("{prefix}{cause}"), "{field} {input}");
    }
}

#[test]
fn jayway_path_forms_run_as_jayway_reads_them() {
    // A root path in a filter and trailing whitespace work; an unquoted word and a script
    // index, which Jayway cannot compile, fail when the state reads them.
    let def = r#"{"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Parameters": {"name.$": "$$.Execution.Name ",
              "w.$": "$.workers[?(@.workerId == $.agent_id)]"}, "End": true}}}"#;
    let def = write("jayway-forms", "ok.asl.json", def);
    let out = run(&[
        "run",
        &def.display().to_string(),
        "--execution-name",
        "ex1",
        "--input",
        r#"{"agent_id": 2, "workers": [{"workerId": 1}, {"workerId": 2}]}"#,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        json(&out),
        serde_json::json!({"name": "ex1", "w": [{"workerId": 2}]})
    );
    for (path, reason) in [
        ("$.Labels[?(@.Name==Receipt)]", "Failed to parse filter"),
        (
            "$[(@.length-1)]",
            "Could not parse token starting at position 1",
        ),
    ] {
        let def = format!(
            r#"{{"StartAt": "B", "States": {{"B": {{"Type": "Pass", "InputPath": "{path}", "End": true}}}}}}"#
        );
        let r = run_result("jayway-forms", &def, r#"{"Labels": [{"Name": "Receipt"}]}"#);
        assert_eq!(r["error"], "States.Runtime", "{path}");
        let cause = r["cause"].as_str().unwrap_or_default();
        assert!(
            cause.contains(&format!("Invalid path '{path}' : {reason}")),
            "{cause}"
        );
    }
}

#[test]
fn express_executions_have_their_own_arn_context_and_limits() {
    let def = write(
        "express",
        "m.asl.json",
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"ctx.$": "$$.Execution"}, "Next": "W"},
            "W": {"Type": "Wait", "Seconds": 400, "End": true}}}"#,
    );
    let p = def.to_str().expect("utf-8 path");
    let out = run(&[
        "run",
        p,
        "--type",
        "EXPRESS",
        "--execution-name",
        "e1",
        "--result-format",
        "json",
    ]);
    let v = json(&out);
    // Five minutes at most: the 400-second wait times out.
    assert_eq!(v["status"], "TIMED_OUT", "{v}");
    let def = write(
        "express",
        "p.asl.json",
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"ctx.$": "$$.Execution"}, "End": true}}}"#,
    );
    let p = def.to_str().expect("utf-8 path");
    let v = json(&run(&[
        "run",
        p,
        "--type",
        "EXPRESS",
        "--execution-name",
        "e1",
        "--result-format",
        "json",
    ]));
    let ctx = &v["output"]["ctx"];
    assert!(
        ctx["Id"]
            .as_str()
            .unwrap_or_default()
            .contains(":express:p:e1:"),
        "{v}"
    );
    assert!(ctx.get("RedriveCount").is_none(), "{v}");
    let v = json(&run(&["run", p, "--result-format", "json"]));
    assert_eq!(v["output"]["ctx"]["RedriveCount"], 0);
    let def = write(
        "express",
        "s.asl.json",
        r#"{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync", "End": true}}}"#,
    );
    let out = run(&[
        "run",
        def.to_str().expect("utf-8 path"),
        "--type",
        "EXPRESS",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("does not support '.sync'"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn completion_scripts_name_every_subcommand() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = run(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        for sub in ["run", "eval", "validate", "test", "completions", "man"] {
            assert!(script.contains(sub), "{shell} script lacks `{sub}`");
        }
        // Flags complete too, not only subcommand names.
        assert!(
            script.contains("mock-config"),
            "{shell} script lacks --mock-config"
        );
        assert!(stderr(&out).is_empty(), "{shell}: {}", stderr(&out));
    }
    assert_eq!(run(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn man_page_is_roff_for_asl_and_each_subcommand() {
    let out = run(&["man"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = stdout(&out);
    assert!(page.contains(".TH asl 1"), "{page}");
    assert!(page.contains(".SH SUBCOMMANDS"), "{page}");
    assert!(page.contains(&format!("asl {}", env!("CARGO_PKG_VERSION"))));
    let out = run(&["man", "run"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = stdout(&out);
    assert!(page.contains(".TH asl-run 1"), "{page}");
    assert!(page.contains("mock\\-config"), "{page}");
    let out = run(&["man", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no subcommand `nope`"),
        "{}",
        stderr(&out)
    );
}

/// Every subcommand that writes to stdout, with output larger than a pipe's buffer where the
/// command allows it (so the write meets the closed pipe whatever the timing), and the exit
/// code it has when its output is read.
#[cfg(unix)]
fn stdout_writers(test: &str) -> Vec<(Vec<String>, i32)> {
    let big_input = write(
        test,
        "big.input.json",
        &serde_json::json!({"name": "x".repeat(200_000)}).to_string(),
    );
    let pass = write(
        test,
        "pass.asl.json",
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#,
    );
    let invalid = write(
        test,
        "invalid.asl.json",
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Next": "Nowhere"}}}"#,
    );
    let failing = write(
        test,
        "failing.test.yaml",
        &format!(
            "definition: {}\ncases:\n  - name: wrong\n    input: {{}}\n    expect: {{output: 1}}\n",
            pass.display()
        ),
    );
    let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let p = |p: &Path| p.display().to_string();
    vec![
        (s(&["run", &p(&pass), "--input-file", &p(&big_input)]), 0),
        (
            s(&[
                "run",
                &p(&pass),
                "--input-file",
                &p(&big_input),
                "--result-format",
                "json",
            ]),
            0,
        ),
        (s(&["eval", "--jsonata", "[1..100000]"]), 0),
        (
            s(&[
                "eval",
                "--jsonata",
                "[1..100000]",
                "--result-format",
                "json",
            ]),
            0,
        ),
        (s(&["validate", &p(&invalid), "--format", "json"]), 1),
        (s(&["validate", &p(&invalid), "--format", "sarif"]), 1),
        (s(&["validate", &p(&invalid), "--format", "github"]), 1),
        (
            s(&["test", &sample("hello.test.yaml"), "--format", "json"]),
            0,
        ),
        (s(&["test", &p(&failing), "--format", "github"]), 1),
        (
            s(&["graph", &sample("pipeline.asl.json"), "--format", "html"]),
            0,
        ),
        (s(&["completions", "bash"]), 0),
        (s(&["man"]), 0),
    ]
}

#[cfg(unix)]
#[test]
fn a_closed_stdout_pipe_ends_output_quietly_with_the_commands_own_exit_code() {
    // Pins: `asl eval ... | head -c1` panicked ("failed printing to stdout") and the other
    // subcommands ignored write errors. A reader that stops is not an error: no message, and
    // the exit code the command has anyway (0 when it succeeded), as ripgrep does.
    use std::process::Stdio;
    for (args, code) in stdout_writers("closed-pipe") {
        let mut child = asl()
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the asl binary starts");
        drop(child.stdout.take()); // the reader goes away before reading anything
        let out = child.wait_with_output().expect("asl ends");
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            !err.contains("panicked") && !err.contains("stdout") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_stdout_that_cannot_be_written_is_exit_2_with_a_message() {
    // Pins: writes to a full stdout were ignored (exit 0, output lost). Now every subcommand
    // says so and exits 2.
    for (args, _) in stdout_writers("full-stdout") {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let out = asl()
            .args(&args)
            .stdout(full)
            .output()
            .expect("the asl binary starts");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("error: cannot write to stdout: No space left on device"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn the_pre_commit_template_hook_validates_the_template_when_a_definition_changes() {
    // Pins the README's recipe for SAM projects: `asl-validate-template` runs
    // `asl validate template.yaml` (with the user's `--strict`) when the template or a
    // definition file changes, passing no file names, so definitions get their substitutions.
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .expect("the hooks file");
    let doc = asl::source::yaml::parse(&text).expect("YAML");
    let hook = doc
        .value
        .as_array()
        .and_then(|a| a.iter().find(|h| h["id"] == "asl-validate-template"))
        .cloned()
        .expect("an asl-validate-template hook");
    assert_eq!(hook["entry"], "asl validate template.yaml");
    assert_eq!(hook["pass_filenames"], false);
    let files = regex::Regex::new(hook["files"].as_str().unwrap_or_default()).expect("a regex");
    for changed in [
        "template.yaml",
        "template.yml",
        "statemachine/order.asl.json",
        "sm.asl.yaml",
    ] {
        assert!(files.is_match(changed), "{changed}");
    }
    assert!(!files.is_match("package.json"));
}

/// Messages for people that stderr will not take are dropped: the exit code still says what
/// happened, and nothing panics (exit 101).
#[cfg(target_os = "linux")]
#[test]
fn a_full_stderr_changes_no_exit_code() {
    let full = || std::fs::File::create("/dev/full").expect("/dev/full");
    let code = |args: &[&str]| {
        asl()
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(full())
            .status()
            .expect("asl starts")
            .code()
    };
    assert_eq!(code(&["run", "/nonexistent/def.json"]), Some(2));
    assert_eq!(code(&["validate", "/nonexistent/def.json"]), Some(2));
    let hello = sample("hello.asl.json");
    assert_eq!(code(&["run", &hello, "--input", "{}", "--trace"]), Some(1));
    assert_eq!(
        code(&["run", &hello, "--input", r#"{"name": "Ada"}"#, "--trace"]),
        Some(0)
    );
}
