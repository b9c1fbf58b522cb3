//! CLI tests for `asl eval`: the contract the JSONata suite and users rely on.

use std::path::PathBuf;
use std::process::{Command, Output};

fn asl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_asl"))
        .args(args)
        .output()
        .expect("the asl binary starts")
}

fn write(test: &str, name: &str, text: &str) -> String {
    let dir: PathBuf = std::env::temp_dir().join(format!("asl-eval-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write fixture");
    path.display().to_string()
}

fn reply(out: &Output) -> serde_json::Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object on stdout")
}

#[test]
fn jsonata_result_undefined_and_error_replies() {
    let input = write(
        "replies",
        "in.json",
        r#"{"items": [{"price": 2}, {"price": 3.5}]}"#,
    );
    let out = asl(&[
        "eval",
        "--jsonata",
        "$sum(items.price)",
        "--input-file",
        &input,
        "--result-format",
        "json",
    ]);
    assert_eq!(reply(&out), serde_json::json!({"result": 5.5}));
    let out = asl(&[
        "eval",
        "--jsonata",
        "nothing",
        "--input-file",
        &input,
        "--result-format",
        "json",
    ]);
    assert_eq!(reply(&out), serde_json::json!({"undefined": true}));
    let out = asl(&["eval", "--jsonata", "1 + 'a'", "--result-format", "json"]);
    assert_eq!(reply(&out)["error"]["code"], "T2002");
    let out = asl(&["eval", "--jsonata", "(1 + ", "--result-format", "json"]);
    assert_eq!(reply(&out)["error"]["code"], "S0207");
}

#[test]
fn expression_may_start_with_a_hyphen_and_input_may_be_absent() {
    let out = asl(&["eval", "--jsonata", "-42", "--result-format", "json"]);
    assert_eq!(reply(&out), serde_json::json!({"result": -42}));
    let out = asl(&["eval", "--jsonata", "$", "--result-format", "json"]);
    assert_eq!(reply(&out), serde_json::json!({"undefined": true}));
}

#[test]
fn bindings_become_variables() {
    let bindings = write(
        "bindings",
        "b.json",
        r#"{"total": 20, "states": {"input": {"n": 2}}}"#,
    );
    let out = asl(&[
        "eval",
        "--jsonata",
        "$total / $states.input.n",
        "--bindings-file",
        &bindings,
        "--result-format",
        "json",
    ]);
    assert_eq!(reply(&out), serde_json::json!({"result": 10}));
}

#[test]
fn aws_functions_are_available() {
    let out = asl(&[
        "eval",
        "--jsonata",
        "$partition($range(1, 5, 1), 2)",
        "--result-format",
        "json",
    ]);
    assert_eq!(
        reply(&out),
        serde_json::json!({"result": [[1, 2], [3, 4], [5]]})
    );
}

#[test]
fn default_format_prints_the_value_and_fails_with_exit_1() {
    let out = asl(&["eval", "--jsonata", "{'a': [1, 2]}"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        r#"{"a":[1,2]}"#
    );
    let out = asl(&["eval", "--jsonata", "$error('boom')"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("boom"));
    assert!(out.stdout.is_empty());
}

#[test]
fn jsonpath_paths_and_intrinsics() {
    let input = write(
        "jsonpath",
        "in.json",
        r#"{"a": {"b": [10, 20]}, "name": "Ada"}"#,
    );
    let out = asl(&[
        "eval",
        "--jsonpath",
        "$.a.b[1]",
        "--input-file",
        &input,
        "--result-format",
        "json",
    ]);
    assert_eq!(reply(&out), serde_json::json!({"result": 20}));
    let out = asl(&[
        "eval",
        "--jsonpath",
        "States.Format('Hi {}', $.name)",
        "--input-file",
        &input,
        "--result-format",
        "json",
    ]);
    assert_eq!(reply(&out), serde_json::json!({"result": "Hi Ada"}));
    let out = asl(&[
        "eval",
        "--jsonpath",
        "States.MathAdd($.name, 1)",
        "--input-file",
        &input,
        "--result-format",
        "json",
    ]);
    assert_eq!(reply(&out)["error"]["code"], "States.IntrinsicFailure");
    let out = asl(&[
        "eval",
        "--jsonpath",
        "$.missing",
        "--input-file",
        &input,
        "--result-format",
        "json",
    ]);
    assert_eq!(reply(&out)["error"]["code"], "States.Runtime");
}

#[test]
fn bad_files_and_missing_expression_exit_2() {
    assert_eq!(
        asl(&[
            "eval",
            "--jsonata",
            "1",
            "--input-file",
            "/nonexistent.json"
        ])
        .status
        .code(),
        Some(2)
    );
    let bad = write("bad", "bad.json", "{");
    let out = asl(&["eval", "--jsonata", "1", "--input-file", &bad]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.json:1:"));
    assert_eq!(asl(&["eval"]).status.code(), Some(2));
    assert_eq!(
        asl(&["eval", "--jsonpath", "$.a[", "--result-format", "json"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn every_error_has_a_code_including_the_refused_eval_and_aws_functions() {
    let out = asl(&["eval", "--jsonata", "$eval('1')", "--result-format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let r = reply(&out);
    assert_eq!(r["error"]["code"], "T1006", "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("$parse")),
        "{r}"
    );
    let out = asl(&[
        "eval",
        "--jsonata",
        "$partition(1)",
        "--result-format",
        "json",
    ]);
    assert_eq!(reply(&out)["error"]["code"], "States.QueryEvaluationError");
}

#[test]
fn a_huge_format_number_picture_prints_only_the_clean_error() {
    // Pins: `$formatNumber` with a 70,000-digit picture panicked inside jsonata-core and its
    // panic text reached stderr before the clean `States.QueryEvaluationError`. Nothing but
    // the error may be printed, by `asl eval` and by a failing JSONata state in `asl run`.
    let picture = format!("0.{}", "0".repeat(70_000));
    let expr = format!("$formatNumber(1, '{picture}')");
    let out = asl(&["eval", "--jsonata", &expr]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(
        err.trim_end(),
        "error: States.QueryEvaluationError: Evaluation error: toFixed() digits argument must be between 0 and 100"
    );
    let def = write(
        "format-number",
        "m.asl.json",
        &serde_json::json!({"QueryLanguage": "JSONata", "StartAt": "F", "States": {"F": {
            "Type": "Pass", "Output": format!("{{% {expr} %}}"), "End": true}}})
        .to_string(),
    );
    let out = asl(&["run", &def, "--input", "{}"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("execution failed: States.QueryEvaluationError"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// `asl eval ARGS` with `stdin` written to its standard input.
fn asl_with_stdin(args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_asl"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the asl binary starts");
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(stdin.as_bytes());
    }
    child.wait_with_output().expect("asl ends")
}

#[test]
fn the_document_comes_from_input_input_file_or_stdin() {
    // Pins: `asl eval` took only --input-file; `asl run` takes --input and standard input too.
    let doc = r#"{"items": [{"price": 2}, {"price": 3.5}]}"#;
    let sum = [
        "eval",
        "--jsonata",
        "$sum(items.price)",
        "--result-format",
        "json",
    ];
    fn with<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        let mut a = base.to_vec();
        a.extend_from_slice(extra);
        a
    }
    assert_eq!(
        reply(&asl(&with(&sum, &["--input", doc]))),
        serde_json::json!({"result": 5.5})
    );
    assert_eq!(
        reply(&asl_with_stdin(&sum, doc)),
        serde_json::json!({"result": 5.5})
    );
    assert_eq!(
        reply(&asl_with_stdin(&with(&sum, &["--input-file", "-"]), doc)),
        serde_json::json!({"result": 5.5})
    );
    // --input wins over standard input; an empty standard input is no input at all.
    assert_eq!(
        reply(&asl_with_stdin(
            &with(&sum, &["--input", r#"{"items": [{"price": 1}]}"#]),
            doc
        )),
        serde_json::json!({"result": 1})
    );
    let out = asl_with_stdin(
        &["eval", "--jsonata", "$", "--result-format", "json"],
        "  \n",
    );
    assert_eq!(reply(&out), serde_json::json!({"undefined": true}));
    let out = asl_with_stdin(&["eval", "--jsonpath", "$.a"], r#"{"a": 7}"#);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "7");
    // Malformed input is located (exit 2); both flags at once are a usage error.
    let out = asl(&["eval", "--jsonata", "1", "--input", "{bad"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("--input:1:2: error: invalid JSON"));
    let out = asl(&[
        "eval",
        "--jsonata",
        "1",
        "--input",
        "{}",
        "--input-file",
        "x.json",
    ]);
    assert_eq!(out.status.code(), Some(2));
}
