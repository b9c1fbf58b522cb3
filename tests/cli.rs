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
            serde_json::json!({"notBefore": "2030-01-01T00:00:00Z"}),
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
    // The sample waits ten seconds and then until 2030; a real clock would not return.
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
