//! Variables and `$states`: AWS's ordering and scoping rules, run through the binary.

use std::process::Command;

fn run(test: &str, definition: &str, input: &str) -> serde_json::Value {
    let dir = std::env::temp_dir().join(format!("asl-vars-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("def.json");
    std::fs::write(&path, definition).expect("write definition");
    let out = Command::new(env!("CARGO_BIN_EXE_asl"))
        .args([
            "run",
            &path.display().to_string(),
            "--input",
            input,
            "--result-format",
            "json",
        ])
        .output()
        .expect("the asl binary starts");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("a JSON result")
}

#[test]
fn assignments_of_one_state_all_see_the_values_before_it() {
    let def = r#"{"QueryLanguage": "JSONata", "StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"a": 1, "b": 2}, "Next": "Swap"},
        "Swap": {"Type": "Pass", "Assign": {"a": "{% $b %}", "b": "{% $a %}"}, "Next": "Show"},
        "Show": {"Type": "Pass", "Output": {"a": "{% $a %}", "b": "{% $b %}"}, "End": true}}}"#;
    assert_eq!(
        run("swap", def, "{}")["output"],
        serde_json::json!({"a": 2, "b": 1})
    );
}

#[test]
fn output_sees_the_values_before_the_states_own_assign() {
    let def = r#"{"QueryLanguage": "JSONata", "StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"n": 1}, "Next": "Bump"},
        "Bump": {"Type": "Pass", "Assign": {"n": "{% $n + 1 %}"}, "Output": {"seen": "{% $n %}"}, "End": true}}}"#;
    assert_eq!(
        run("order", def, "{}")["output"],
        serde_json::json!({"seen": 1})
    );
}

#[test]
fn jsonpath_states_assign_and_read_variables() {
    let def = r#"{"StartAt": "Keep", "States": {
        "Keep": {"Type": "Pass", "Assign": {"who.$": "$.name", "n": 3}, "Next": "Use"},
        "Use": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('{} x{}', $who, $n)", "again.$": "$who"}, "End": true}}}"#;
    assert_eq!(
        run("jsonpath", def, r#"{"name": "Ada"}"#)["output"],
        serde_json::json!({"greeting": "Ada x3", "again": "Ada"})
    );
}

#[test]
fn a_branch_reads_outer_variables_and_its_own_assignments_end_with_it() {
    let def = r#"{"QueryLanguage": "JSONata", "StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"x": "outer"}, "Next": "Fan"},
        "Fan": {"Type": "Parallel", "Branches": [
            {"StartAt": "B", "States": {
                "B": {"Type": "Pass", "Assign": {"inner": "{% $x & '-seen' %}"}, "Next": "C"},
                "C": {"Type": "Pass", "Output": "{% $inner %}", "End": true}}}],
         "Next": "After"},
        "After": {"Type": "Pass", "Output": {"x": "{% $x %}", "inner": "{% $exists($inner) %}", "branch": "{% $states.input[0] %}"}, "End": true}}}"#;
    assert_eq!(
        run("parallel", def, "{}")["output"],
        serde_json::json!({"x": "outer", "inner": false, "branch": "outer-seen"})
    );
}

#[test]
fn map_iterations_read_outer_variables_and_the_map_state_assigns_after() {
    let def = r#"{"QueryLanguage": "JSONata", "StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"factor": 10}, "Next": "Each"},
        "Each": {"Type": "Map", "Items": "{% $states.input.xs %}",
         "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "M", "States": {
            "M": {"Type": "Pass", "Output": "{% $states.input * $factor %}", "End": true}}},
         "Assign": {"sum": "{% $sum($states.result) %}"},
         "Next": "Show"},
        "Show": {"Type": "Pass", "Output": "{% $sum %}", "End": true}}}"#;
    assert_eq!(
        run("map", def, r#"{"xs": [1, 2, 3]}"#)["output"],
        serde_json::json!(60)
    );
}

#[test]
fn catch_sees_the_error_output_and_assigns_from_it() {
    let def = r#"{"QueryLanguage": "JSONata", "StartAt": "Boom", "States": {
        "Boom": {"Type": "Parallel", "Branches": [{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E.Custom", "Cause": "why"}}}],
         "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"err": "{% $states.errorOutput.Error %}"},
                    "Output": {"cause": "{% $states.errorOutput.Cause %}"}, "Next": "Show"}],
         "End": true},
        "Show": {"Type": "Pass", "Output": {"err": "{% $err %}", "cause": "{% $states.input.cause %}"}, "End": true}}}"#;
    assert_eq!(
        run("catch", def, "{}")["output"],
        serde_json::json!({"err": "E.Custom", "cause": "why"})
    );
}

#[test]
fn an_undefined_variable_fails_the_way_aws_says() {
    let def = r#"{"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "Output": {"v": "{% $nope %}"}, "End": true}}}"#;
    let r = run("undefined", def, "{}");
    assert_eq!(r["error"], "States.QueryEvaluationError");
    assert!(
        r["cause"]
            .as_str()
            .unwrap_or_default()
            .contains("returned nothing (undefined)"),
        "{r}"
    );
}

#[test]
fn an_expression_error_is_a_catchable_query_evaluation_error() {
    let def = r#"{"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "Output": "{% $error('custom') %}", "End": true}}}"#;
    let r = run("error", def, "{}");
    assert_eq!(r["error"], "States.QueryEvaluationError");
    assert!(
        r["cause"].as_str().unwrap_or_default().contains("custom"),
        "{r}"
    );
}

#[test]
fn states_context_reads_the_context_object() {
    let def = r#"{"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "Output": {"state": "{% $states.context.State.Name %}", "input": "{% $states.context.Execution.Input.k %}"}, "End": true}}}"#;
    assert_eq!(
        run("context", def, r#"{"k": 7}"#)["output"],
        serde_json::json!({"state": "A", "input": 7})
    );
}

#[test]
fn a_variable_over_256_kib_is_a_data_limit_failure() {
    let def = r#"{"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"big": "{% $join($map([1..30000], function($i) { 'abcdefghij' }), '') %}"}, "End": true}}}"#;
    let r = run("limit", def, "{}");
    assert_eq!(r["error"], "States.DataLimitExceeded", "{r}");
    assert!(
        r["cause"].as_str().unwrap_or_default().contains("'big'"),
        "{r}"
    );
    let def = r#"{"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {
            "a": "{% $join($map([1..15000], function($i) { 'abcdefghij' }), '') %}",
            "b": "{% $join($map([1..15000], function($i) { 'abcdefghij' }), '') %}"}, "End": true}}}"#;
    assert_eq!(
        run("limit-all", def, "{}")["error"],
        "States.DataLimitExceeded"
    );
}

#[test]
fn all_variables_together_are_limited_to_10_mib() {
    // Fifty states that each store a 250 KB variable: every one is under the per-variable
    // limit; the 42nd brings the total over 10 MiB.
    let mut states = String::new();
    for i in 0..50 {
        states.push_str(&format!(
            r#""S{i}": {{"Type": "Pass", "Assign": {{"v{i}": "{{% $join($map([1..25000], function($i) {{ 'abcdefghij' }}), '') %}}"}}, "Next": "S{}"}},"#,
            i + 1
        ));
    }
    states.push_str(r#""S50": {"Type": "Succeed"}"#);
    let def = format!(r#"{{"QueryLanguage": "JSONata", "StartAt": "S0", "States": {{{states}}}}}"#);
    let r = run("stored", &def, "{}");
    assert_eq!(r["error"], "States.DataLimitExceeded", "{}", r["cause"]);
    assert!(
        r["cause"].as_str().unwrap_or_default().contains("'S41'"),
        "{r}"
    );
}
