//! `asl validate`: one test per rule, each with the smallest definition that breaks it,
//! pinning the code, the location (JSON pointer) and the gist of the message; then the CLI's
//! formats, exit codes and file kinds, through the built binary.

use asl::definition::{Diagnostic, Severity};
use asl::validate::{MachineType, Options, validate_text};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Command, Output};

fn check(def: &Value) -> Vec<Diagnostic> {
    validate_text(&def.to_string(), &Options::default())
}

fn check_express(def: &Value) -> Vec<Diagnostic> {
    validate_text(
        &def.to_string(),
        &Options {
            machine_type: MachineType::Express,
        },
    )
}

/// Asserts one diagnostic with this code and location exists, and its message contains `msg`.
#[track_caller]
fn assert_has(diags: &[Diagnostic], code: &str, location: &str, msg: &str) {
    let found = diags
        .iter()
        .find(|d| d.code.as_str() == code && d.location == location);
    match found {
        Some(d) => assert!(
            d.message.contains(msg),
            "message of {code} at {location} is {:?}, expected it to contain {msg:?}",
            d.message
        ),
        None => panic!("no {code} at {location} in {diags:#?}"),
    }
}

/// Asserts the diagnostic at `location` shows the finer place `focus`.
#[track_caller]
fn assert_focus(diags: &[Diagnostic], location: &str, focus: &str) {
    assert!(
        diags
            .iter()
            .any(|d| d.location == location && d.focus.as_deref() == Some(focus)),
        "no diagnostic at {location} focused on {focus} in {diags:#?}"
    );
}

#[track_caller]
fn assert_valid(def: &Value) {
    let errors: Vec<_> = check(def).into_iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

/// A one-state machine around `state` (named `S`).
fn one(state: Value) -> Value {
    json!({"StartAt": "S", "States": {"S": state}})
}

const LAMBDA: &str = "arn:aws:states:::lambda:invoke";

// ---- text ----------------------------------------------------------------------------------

#[test]
fn json_syntax_errors_give_line_and_column() {
    let d = validate_text("{\n  \"StartAt\": ,\n}", &Options::default());
    assert_has(
        &d,
        "INVALID_JSON_DESCRIPTION",
        "line: 2, column: 14",
        "invalid JSON",
    );
}

#[test]
fn a_blank_definition_is_missing_description_as_aws_answers() {
    // Pins: AWS's code for an empty definition is MISSING_DESCRIPTION ("Received a null or
    // empty workflow input", ValidateStateMachineDefinitionDiagnostic); the tool said
    // SCHEMA_VALIDATION_FAILED while docs/validate.md said MISSING_DESCRIPTION.
    for blank in ["", "  \n", "\t"] {
        let d = validate_text(blank, &Options::default());
        assert_has(&d, "MISSING_DESCRIPTION", "/", "empty");
        assert!(d.iter().all(|d| d.is_error()), "{d:#?}");
    }
}

#[test]
fn duplicate_state_names_in_the_raw_text_are_found() {
    let text =
        r#"{"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "A": {"Type": "Succeed"}}}"#;
    let d = validate_text(text, &Options::default());
    assert_has(&d, "DUPLICATE_STATE_NAME", "/States/A", "used twice");
}

#[test]
fn duplicate_fields_in_the_raw_text_are_found() {
    let text = r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "End": true}}}"#;
    let d = validate_text(text, &Options::default());
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/A/End",
        "written twice",
    );
}

#[test]
fn deeply_nested_or_huge_text_is_refused_without_crashing() {
    let deep = "[".repeat(200_000);
    let d = validate_text(&deep, &Options::default());
    assert_eq!(d[0].code.as_str(), "TOO_DEEPLY_NESTED");
    let deep_obj = format!("{}1{}", "{\"a\":".repeat(5_000), "}".repeat(5_000));
    let d = validate_text(&deep_obj, &Options::default());
    assert_eq!(d[0].code.as_str(), "TOO_DEEPLY_NESTED");
}

// ---- fields ----------------------------------------------------------------------------------

#[test]
fn required_top_level_fields() {
    assert_has(
        &check(&json!({})),
        "SCHEMA_VALIDATION_FAILED",
        "/",
        "These fields are required: [States, StartAt]",
    );
}

#[test]
fn unknown_fields_are_named_with_a_suggestion() {
    let d = check(&one(json!({"Type": "Pass", "Nxt": "S", "End": true})));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S",
        "did you mean `Next`?",
    );
    // AWS reports an unknown field at its object; the field is the focus (for line:column).
    assert_focus(&d, "/States/S", "/States/S/Nxt");
}

#[test]
fn missing_fields_are_named() {
    let d = check(&one(json!({"Type": "Task", "End": true})));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S",
        "These fields are required: [Resource]",
    );
}

#[test]
fn seconds_and_seconds_path_exclude_each_other() {
    let d = check(&one(
        json!({"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": true}),
    ));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S",
        "exactly one of",
    );
}

#[test]
fn jsonpath_fields_are_refused_in_jsonata_states() {
    let d = check(&one(
        json!({"Type": "Pass", "QueryLanguage": "JSONata", "InputPath": "$.x", "End": true}),
    ));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S",
        "only supported in JSONPath states, but this state uses JSONata",
    );
}

#[test]
fn a_jsonata_machine_cannot_have_jsonpath_states() {
    let d = check(
        &json!({"QueryLanguage": "JSONata", "StartAt": "S", "States": {
        "S": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": true}}}),
    );
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S",
        "cannot be `JSONPath`",
    );
}

#[test]
fn a_jsonata_map_in_a_jsonpath_machine_may_hold_jsonpath_states() {
    let map = |top: &str| {
        json!({"QueryLanguage": top, "StartAt": "M", "States": {"M": {
            "Type": "Map", "QueryLanguage": "JSONata", "End": true,
            "ItemProcessor": {"StartAt": "P", "States": {
                "P": {"Type": "Pass", "QueryLanguage": "JSONPath", "InputPath": "$.x", "End": true}}}}}})
    };
    assert_valid(&map("JSONPath"));
    // Only a JSONata machine refuses JSONPath states, at any depth.
    let d = check(&map("JSONata"));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/M/ItemProcessor/States/P",
        "cannot be `JSONPath`",
    );
}

#[test]
fn credentials_hold_exactly_one_role_field() {
    let task = |creds: Value| {
        one(json!({"Type": "Task", "Resource": LAMBDA, "Credentials": creds, "End": true}))
    };
    assert_valid(&task(
        json!({"RoleArn": "arn:aws:iam::111111111111:role/R"}),
    ));
    assert_valid(&task(json!({"RoleArn.$": "$.role"})));
    for bad in [
        json!({}),
        json!({"RoleArn": "arn:aws:iam::111111111111:role/R", "Other": 1}),
        json!({"flag": true}),
        json!({"RoleArn": "arn:aws:iam::111111111111:role/R", "RoleArn.$": "$.role"}),
        json!({"RoleArn": 5}),
    ] {
        let d = check(&task(bad.clone()));
        assert_has(
            &d,
            "SCHEMA_VALIDATION_FAILED",
            "/States/S/Credentials",
            "Credentials",
        );
        assert!(d.iter().any(|x| x.is_error()), "{bad}");
    }
    // In JSONata the role is `RoleArn`, a string or an expression; `RoleArn.$` does not exist.
    let jsonata = |creds: Value| {
        json!({"QueryLanguage": "JSONata", "StartAt": "S", "States": {"S":
            {"Type": "Task", "Resource": LAMBDA, "Credentials": creds, "End": true}}})
    };
    assert_valid(&jsonata(json!({"RoleArn": "{% $states.input.role %}"})));
    let d = check(&jsonata(json!({"RoleArn.$": "$.role"})));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/Credentials",
        "`RoleArn.$`",
    );
}

#[test]
fn jayway_path_forms_aws_accepts_are_valid() {
    for (field, path) in [
        ("InputPath", "$.Labels[?(@.Name==Receipt)]"),
        ("InputPath", "$.workers[?(@.workerId == $.agent_id)]"),
        ("OutputPath", "$[(@.length-1)]"),
        ("OutputPath", "$.items[(@.length-1)].id"),
        ("InputPath", "$$.Execution.Name "),
    ] {
        assert_valid(&one(json!({"Type": "Pass", field: path, "End": true})));
        assert_valid(&one(
            json!({"Type": "Pass", "Parameters": {"v.$": path}, "End": true}),
        ));
    }
}

#[test]
fn placeholders_left_without_a_value_are_unknown_values_of_the_right_type() {
    let def = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": "${Timeout}", "Next": "P"},
        "P": {"Type": "Pass", "InputPath": "$.${Key}", "Parameters": {"a.$": "$.${Key}"}, "Next": "T"},
        "T": {"Type": "Task", "Resource": "${FunctionArn}", "TimeoutSeconds": "${Timeout}", "End": true}}});
    let d = check(&def);
    assert!(d.iter().all(|x| !x.is_error()), "{d:#?}");
    let warned: Vec<(&str, &str)> = d
        .iter()
        .filter(|x| x.code.as_str() == "UNRESOLVED_PLACEHOLDER")
        .map(|x| (x.location.as_str(), x.message.as_str()))
        .collect();
    assert_eq!(warned.len(), 3, "{warned:#?}");
    assert_has(
        &d,
        "UNRESOLVED_PLACEHOLDER",
        "/States/W/Seconds",
        "`${Timeout}`",
    );
    assert_has(
        &d,
        "UNRESOLVED_PLACEHOLDER",
        "/States/P/InputPath",
        "--sub Key=VALUE",
    );
    // Other problems are still found.
    let mut bad = def.clone();
    bad["States"]["W"]["Next"] = json!("Nowhere");
    assert_has(
        &check(&bad),
        "MISSING_TRANSITION_TARGET",
        "/States/W/Next",
        "Nowhere",
    );
}

#[test]
fn types_and_ranges_are_checked() {
    let d = check(&one(
        json!({"Type": "Task", "Resource": LAMBDA, "TimeoutSeconds": "5", "End": true}),
    ));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/TimeoutSeconds",
        "must be an integer",
    );
    let d = check(&one(
        json!({"Type": "Task", "Resource": LAMBDA, "TimeoutSeconds": 0, "End": true}),
    ));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/TimeoutSeconds",
        "from 1 to 99999999, but it is 0",
    );
}

#[test]
fn state_names_are_at_most_80_characters() {
    let long = "x".repeat(81);
    let d = check(&json!({"StartAt": long, "States": {long.clone(): {"Type": "Succeed"}}}));
    assert_has(
        &d,
        "INVALID_STATE_NAME",
        &format!("/States/{long}"),
        "1 to 80 characters",
    );
}

#[test]
fn state_names_are_unique_across_branches() {
    let branch = json!({"StartAt": "X", "States": {"X": {"Type": "Succeed"}}});
    let d = check(&one(
        json!({"Type": "Parallel", "End": true, "Branches": [branch, branch]}),
    ));
    assert_has(
        &d,
        "DUPLICATE_STATE_NAME",
        "/States/S/Branches/1/States/X",
        "already used",
    );
}

// ---- transitions ---------------------------------------------------------------------------

#[test]
fn start_at_must_name_a_state() {
    let d = check(&json!({"StartAt": "Strt", "States": {"Start": {"Type": "Succeed"}}}));
    assert_has(
        &d,
        "MISSING_TRANSITION_TARGET",
        "/StartAt",
        "did you mean `Start`?",
    );
}

#[test]
fn next_must_name_a_state() {
    let d = check(&json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "Bb"}, "B": {"Type": "Succeed"}}}));
    assert_has(
        &d,
        "MISSING_TRANSITION_TARGET",
        "/States/A/Next",
        "did you mean `B`?",
    );
}

#[test]
fn default_must_name_a_state() {
    let d = check(&json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": true, "Next": "D"}], "Default": "Nope"},
        "D": {"Type": "Succeed"}}}));
    assert_has(
        &d,
        "MISSING_TRANSITION_TARGET",
        "/States/C/Default",
        "`Nope`",
    );
}

#[test]
fn a_terminal_state_must_be_reachable() {
    let d = check(&json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}}));
    assert_has(&d, "MISSING_END_STATE", "/", "No terminal state");
}

#[test]
fn unreachable_states_are_refused() {
    let d = check(&json!({"StartAt": "A", "States": {
        "A": {"Type": "Succeed"}, "B": {"Type": "Succeed"}}}));
    assert_has(
        &d,
        "MISSING_TRANSITION_TARGET",
        "/States/B",
        "not reachable",
    );
}

#[test]
fn catch_targets_make_states_reachable() {
    assert_valid(&json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": LAMBDA, "End": true,
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}]},
        "F": {"Type": "Fail"}}}));
}

#[test]
fn a_state_cannot_have_next_and_end() {
    let d = check(&json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B", "End": true}, "B": {"Type": "Succeed"}}}));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/A",
        "both `Next` and `End: true`",
    );
}

#[test]
fn terminal_state_types_cannot_have_next() {
    let d = check(&json!({"StartAt": "A", "States": {
        "A": {"Type": "Succeed", "Next": "B"}, "B": {"Type": "Succeed"}}}));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/A",
        "not supported by Succeed states",
    );
}

// ---- retry and catch -------------------------------------------------------------------------

#[test]
fn states_all_must_be_alone() {
    let d = check(&one(
        json!({"Type": "Task", "Resource": LAMBDA, "End": true,
        "Retry": [{"ErrorEquals": ["States.ALL", "States.Timeout"]}]}),
    ));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/Retry/0/ErrorEquals",
        "alone",
    );
}

#[test]
fn states_all_must_be_last() {
    let d = check(&one(
        json!({"Type": "Task", "Resource": LAMBDA, "End": true,
        "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["States.Timeout"]}]}),
    ));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/Retry/0/ErrorEquals",
        "last retrier",
    );
    let d = check(&json!({"StartAt": "S", "States": {
        "S": {"Type": "Task", "Resource": LAMBDA, "End": true, "Catch": [
            {"ErrorEquals": ["States.ALL"], "Next": "F"}, {"ErrorEquals": ["X"], "Next": "F"}]},
        "F": {"Type": "Fail"}}}));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/Catch/0/ErrorEquals",
        "last catcher",
    );
}

#[test]
fn unknown_states_error_names_are_warned() {
    let d = check(&one(
        json!({"Type": "Task", "Resource": LAMBDA, "End": true,
        "Retry": [{"ErrorEquals": ["States.Timout"]}]}),
    ));
    assert_has(
        &d,
        "UNKNOWN_ERROR_NAME",
        "/States/S/Retry/0/ErrorEquals/0",
        "did you mean `States.Timeout`?",
    );
    assert!(d.iter().all(|d| !d.is_error()));
}

#[test]
fn heartbeat_must_be_below_timeout() {
    let d = check(&one(
        json!({"Type": "Task", "Resource": LAMBDA, "End": true,
        "TimeoutSeconds": 5, "HeartbeatSeconds": 5}),
    ));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/HeartbeatSeconds",
        "smaller than `TimeoutSeconds`",
    );
}

// ---- paths, templates, intrinsics, JSONata ----------------------------------------------------

#[test]
fn paths_must_be_jsonpath() {
    let d = check(&one(json!({"Type": "Pass", "InputPath": "x", "End": true})));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/InputPath",
        "valid JSONPath",
    );
}

#[test]
fn result_path_must_be_a_reference_path() {
    let d = check(&one(
        json!({"Type": "Pass", "ResultPath": "$..x", "End": true}),
    ));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/ResultPath",
        "ReferencePath",
    );
}

#[test]
fn payload_template_values_must_be_paths_or_calls() {
    let d = check(&one(
        json!({"Type": "Pass", "Parameters": {"a": {"b.$": "nope"}}, "End": true}),
    ));
    assert_has(&d, "SCHEMA_VALIDATION_FAILED", "/States/S/Parameters", "");
}

#[test]
fn intrinsic_calls_are_parsed() {
    let d = check(&one(
        json!({"Type": "Pass", "Parameters": {"a.$": "States.Nope(1)"}, "End": true}),
    ));
    assert_has(&d, "SCHEMA_VALIDATION_FAILED", "/States/S/Parameters", "");
}

#[test]
fn template_values_cannot_start_with_a_space() {
    let d = check(&one(
        json!({"Type": "Pass", "Parameters": {"a.$": " States.UUID()"}, "End": true}),
    ));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/Parameters",
        "starts with whitespace",
    );
}

#[test]
fn jsonata_strings_need_both_delimiters() {
    let d = check(&one(
        json!({"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% 1 %", "End": true}),
    ));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/Output",
        "does not end with `%}`",
    );
    let d = check(&one(
        json!({"Type": "Pass", "QueryLanguage": "JSONata", "Output": {"a": "1 %}"}, "End": true}),
    ));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/Output",
        "does not start with `{%`",
    );
}

#[test]
fn jsonata_delimiters_need_no_whitespace_inside() {
    for s in [
        "{%1%}",
        "{%$lowercase('X')%}",
        "{% $states.input%}",
        "{%$states.input %}",
    ] {
        assert_valid(&one(
            json!({"Type": "Pass", "QueryLanguage": "JSONata", "Output": s, "End": true}),
        ));
    }
}

#[test]
fn odd_jsonata_strings_do_not_crash() {
    for s in ["{%}", "%}", "{%", "{% é %}", "{% λ($x) { $x } %}"] {
        let d = check(&one(
            json!({"Type": "Pass", "QueryLanguage": "JSONata", "Output": s, "End": true}),
        ));
        let _ = d;
    }
    let d = check(&one(
        json!({"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{%}", "End": true}),
    ));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/Output",
        "does not end with `%}`",
    );
}

#[test]
fn jsonata_syntax_errors_name_the_place_in_the_expression() {
    let d = check(&one(json!({"Type": "Pass", "QueryLanguage": "JSONata",
        "Output": {"a": "{% 10 + * 2 %}"}, "End": true})));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/Output",
        "at character 8 of the expression",
    );
    assert_focus(&d, "/States/S/Output", "/States/S/Output/a");
}

#[test]
fn jsonata_constants_with_a_leading_space_are_plain_strings() {
    assert_valid(&one(
        json!({"Type": "Pass", "QueryLanguage": "JSONata", "Output": {"a": " {% 1 %} "}, "End": true}),
    ));
}

// ---- Map ------------------------------------------------------------------------------------

fn dmap(extra: Value) -> Value {
    let mut s = json!({"Type": "Map", "End": true, "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "I", "States": {"I": {"Type": "Succeed"}}}});
    if let (Value::Object(m), Value::Object(e)) = (&mut s, extra) {
        m.extend(e);
    }
    one(s)
}

#[test]
fn map_labels_are_short_plain_and_unique() {
    let d = check(&dmap(json!({"Label": "x".repeat(41)})));
    assert_has(&d, "INVALID_LABEL_NAME", "/States/S/Label", "at most 40");
    let d = check(&dmap(json!({"Label": "a b"})));
    assert_has(
        &d,
        "INVALID_LABEL_NAME",
        "/States/S/Label",
        "cannot contain",
    );
    let d = check(&dmap(json!({"Label": ""})));
    assert_has(&d, "INVALID_LABEL_NAME", "/States/S/Label", "empty");
}

#[test]
fn distributed_maps_need_an_execution_type() {
    let d = check(&one(json!({"Type": "Map", "End": true, "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED"},
        "StartAt": "I", "States": {"I": {"Type": "Succeed"}}}})));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/ItemProcessor/ProcessorConfig",
        "These fields are required: [ExecutionType]",
    );
}

#[test]
fn item_reader_fields_are_checked() {
    let d = check(&dmap(
        json!({"ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "CSV", "MaxItems": 1, "MaxItemsPath": "$.m"}}}),
    ));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/ItemReader/ReaderConfig",
        "cannot both be set",
    );
    let d = check(&dmap(
        json!({"ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "XML"}}}),
    ));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/ItemReader/ReaderConfig/InputType",
        "must be one of",
    );
}

#[test]
fn item_batcher_fields_are_checked() {
    let d = check(&dmap(
        json!({"ItemBatcher": {"MaxItemsPerBatch": 2, "MaxItemsPerBatchPath": "$.n"}}),
    ));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/ItemBatcher",
        "cannot both be set",
    );
}

#[test]
fn result_writer_fields_are_checked() {
    let d = check(&dmap(
        json!({"ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Bukcet": "b"}}),
    ));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/ResultWriter",
        "not supported",
    );
}

#[test]
fn reader_config_combinations_are_checked() {
    let reader = |cfg: serde_json::Value, resource: &str| {
        check(&dmap(json!({"ItemReader": {
            "Resource": resource,
            "ReaderConfig": cfg,
            "Parameters": {"Bucket": "b", "Key": "k"}
        }})))
    };
    let get = "arn:aws:states:::s3:getObject";
    let list = "arn:aws:states:::s3:listObjectsV2";
    let d = reader(
        json!({"InputType": "JSONL", "Transformation": "LOAD_AND_FLATTEN"}),
        get,
    );
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/ItemReader/ReaderConfig/Transformation",
        "listObjectsV2",
    );
    let d = reader(json!({"Transformation": "LOAD_AND_FLATTEN"}), list);
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/ItemReader/ReaderConfig",
        "needs `InputType`",
    );
    let d = reader(
        json!({"ManifestType": "ATHENA_DATA", "InputType": "JSON"}),
        get,
    );
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/ItemReader/ReaderConfig",
        "ATHENA_DATA",
    );
    let d = reader(json!({"InputType": "CSV", "ItemsPointer": "/a"}), get);
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/ItemReader/ReaderConfig/ItemsPointer",
        "InputType` JSON",
    );
    let d = reader(json!({"InputType": "CSV", "CSVHeaders": ["a"]}), get);
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/ItemReader/ReaderConfig/CSVHeaders",
        "GIVEN",
    );
    let d = reader(json!({"ManifestType": "S3_INVENTORY"}), list);
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/ItemReader/ReaderConfig",
        "s3:getObject",
    );
    let d = reader(
        json!({"ManifestType": "ATHENA_DATA", "InputType": "CSV"}),
        get,
    );
    assert!(
        d.iter()
            .any(|x| !x.is_error() && x.message.contains("without a header row")),
        "{d:?}"
    );
    for ok in [
        json!({"ManifestType": "S3_INVENTORY"}),
        json!({"InputType": "MANIFEST"}),
        json!({"ManifestType": "ATHENA_DATA", "InputType": "PARQUET"}),
        json!({"ManifestType": "ATHENA_DATA", "InputType": "CSV",
            "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["a"]}),
    ] {
        let d = reader(ok.clone(), get);
        assert!(d.is_empty(), "{ok}: {d:?}");
    }
    let d = reader(
        json!({"InputType": "JSONL", "Transformation": "LOAD_AND_FLATTEN"}),
        list,
    );
    assert!(
        d.iter()
            .all(|x| x.code.as_str() != "SCHEMA_VALIDATION_FAILED"),
        "{d:?}"
    );
}

// ---- resources and machine types ------------------------------------------------------------

#[test]
fn unknown_optimized_integrations_are_refused() {
    let d = check(&one(
        json!({"Type": "Task", "Resource": "arn:aws:states:::dynamodb:query", "End": true}),
    ));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/Resource",
        "aws-sdk:dynamodb:query",
    );
}

#[test]
fn lambda_qualifiers_and_partitions_are_checked() {
    let d = check(&one(
        json!({"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f:", "End": true}),
    ));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/Resource",
        "not a valid function version or alias",
    );
    let d = check(&one(
        json!({"Type": "Task", "Resource": "arn:<partition>:states:::lambda:invoke", "End": true}),
    ));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/Resource",
        "not an AWS partition",
    );
}

#[test]
fn express_machines_refuse_sync_callbacks_and_activities() {
    let task = |r: &str| one(json!({"Type": "Task", "Resource": r, "End": true}));
    let d = check_express(&task("arn:aws:states:::sns:publish.waitForTaskToken"));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/Resource",
        "'.waitForTaskToken'",
    );
    let d = check_express(&task("arn:aws:states:::states:startExecution.sync:2"));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/Resource",
        "'.sync'",
    );
    let d = check_express(&task("arn:aws:states:us-east-1:1:activity:a"));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/Resource",
        "Activity ARN",
    );
    assert_valid(&task("arn:aws:states:us-east-1:1:activity:a"));
}

#[test]
fn nesting_is_bounded() {
    let mut inner = json!({"StartAt": "L", "States": {"L": {"Type": "Succeed"}}});
    for i in 0..40 {
        inner = json!({"StartAt": format!("P{i}"), "States": {format!("P{i}"): {
            "Type": "Parallel", "End": true, "Branches": [inner]}}});
    }
    let d = check(&inner);
    assert!(
        d.iter().any(|d| d.code.as_str() == "TOO_DEEPLY_NESTED"),
        "{d:#?}"
    );
    let mut inner = json!({"StartAt": "L", "States": {"L": {"Type": "Succeed"}}});
    for i in 0..20 {
        inner = json!({"StartAt": format!("P{i}"), "States": {format!("P{i}"): {
            "Type": "Parallel", "End": true, "Branches": [inner]}}});
    }
    assert_valid(&inner);
}

// ---- warnings and variables -----------------------------------------------------------------

#[test]
fn paths_without_dollar_keys_get_no_dollar() {
    let d = check(&one(
        json!({"Type": "Pass", "Parameters": {"a": "$.x"}, "End": true}),
    ));
    assert_has(
        &d,
        "NO_DOLLAR",
        "/States/S/Parameters/a",
        "does not end in `.$`",
    );
    assert!(d.iter().all(|d| d.severity == Severity::Warning));
}

#[test]
fn paths_in_literal_fields_get_no_path() {
    let d = check(&one(json!({"Type": "Fail", "Error": "$.error"})));
    assert_has(&d, "NO_PATH", "/States/S/Error", "ErrorPath");
}

#[test]
fn dollar_keys_in_static_results_get_pass_result_is_static() {
    let d = check(&one(
        json!({"Type": "Pass", "Result": {"a.$": "$.x"}, "End": true}),
    ));
    assert_has(
        &d,
        "PASS_RESULT_IS_STATIC",
        "/States/S/Result/a.$",
        "static",
    );
}

#[test]
fn reads_of_variables_nobody_assigns_are_warned() {
    let d = check(&json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"total": 1}, "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"t.$": "$totl"}, "End": true}}}));
    assert_has(
        &d,
        "UNDEFINED_VARIABLE",
        "/States/B/Parameters/t.$",
        "did you mean `total`?",
    );
    let d = check(&one(json!({"Type": "Pass", "QueryLanguage": "JSONata",
        "Output": "{% ($n := 1; $n + $missing) %}", "End": true})));
    assert_has(&d, "UNDEFINED_VARIABLE", "/States/S/Output", "`$missing`");
    assert_eq!(
        d.iter()
            .filter(|d| d.code.as_str() == "UNDEFINED_VARIABLE")
            .count(),
        1
    );
}

#[test]
fn states_result_and_error_output_are_scoped() {
    let d = check(&one(
        json!({"Type": "Task", "QueryLanguage": "JSONata", "Resource": LAMBDA,
        "Arguments": {"x": "{% $states.result %}"}, "End": true}),
    ));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/Arguments",
        "`$states.result`",
    );
    let d = check(&one(json!({"Type": "Pass", "QueryLanguage": "JSONata",
        "Output": "{% $states.errorOutput %}", "End": true})));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/Output",
        "`$states.errorOutput`",
    );
    assert_valid(
        &json!({"QueryLanguage": "JSONata", "StartAt": "S", "States": {
        "S": {"Type": "Task", "Resource": LAMBDA, "Output": "{% $states.result %}", "End": true,
              "Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% $states.errorOutput %}", "Next": "F"}]},
        "F": {"Type": "Fail"}}}),
    );
}

// ---- the command line -----------------------------------------------------------------------

fn asl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_asl"))
        .args(args)
        .output()
        .expect("the asl binary runs")
}

fn temp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("asl-validate-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(name);
    std::fs::write(&p, text).expect("temp file");
    p
}

const BAD: &str = "{\n  \"StartAt\": \"A\",\n  \"States\": {\n    \"A\": {\"Type\": \"Pass\", \"Next\": \"Bb\"},\n    \"B\": {\"Type\": \"Succeed\"}\n  }\n}\n";
const GOOD: &str = r#"{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}"#;
const WARN: &str = r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"a": "$.x"}, "End": true}}}"#;

fn stdout_json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).expect("stdout is JSON")
}

#[test]
fn cli_human_format_points_at_the_line_with_a_caret() {
    let f = temp("bad.asl.json", BAD);
    let o = asl(&["validate", f.to_str().unwrap_or_default()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.asl.json:4:27: error[MISSING_TRANSITION_TARGET]"),
        "{err}"
    );
    assert!(
        err.contains("    \"A\": {\"Type\": \"Pass\", \"Next\": \"Bb\"},\n"),
        "{err}"
    );
    assert!(err.contains(&format!("\n  {}^", " ".repeat(26))), "{err}");
    assert!(err.contains("invalid (2 errors, 0 warnings)"), "{err}");
}

#[test]
fn cli_json_format_is_aws_shaped() {
    let f = temp("bad2.json", BAD);
    let o = asl(&[
        "validate",
        f.to_str().unwrap_or_default(),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v = stdout_json(&o);
    assert_eq!(v["result"], "FAIL");
    assert_eq!(v["truncated"], false);
    let d = &v["diagnostics"][0];
    assert_eq!(d["severity"], "ERROR");
    assert_eq!(d["code"], "MISSING_TRANSITION_TARGET");
    assert_eq!(d["location"], "/States/A/Next");
    assert_eq!(d["line"], 4);

    let g = temp("good.json", GOOD);
    let o = asl(&[
        "validate",
        g.to_str().unwrap_or_default(),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout_json(&o),
        json!({"result": "OK", "diagnostics": [], "truncated": false})
    );
}

#[test]
fn cli_warnings_pass_unless_strict() {
    let f = temp("warn.json", WARN);
    let p = f.to_str().unwrap_or_default();
    let o = asl(&["validate", p, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout_json(&o)["result"], "OK");
    assert_eq!(stdout_json(&o)["diagnostics"][0]["code"], "NO_DOLLAR");
    let o = asl(&["validate", p, "--format", "json", "--strict"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout_json(&o)["result"], "FAIL");
}

#[test]
fn cli_express_type_applies_express_rules() {
    let f = temp(
        "express.json",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": true}}}"#,
    );
    let p = f.to_str().unwrap_or_default();
    assert_eq!(asl(&["validate", p]).status.code(), Some(0));
    assert_eq!(
        asl(&["validate", p, "--type", "EXPRESS"]).status.code(),
        Some(1)
    );
}

#[test]
fn cli_sarif_has_the_required_structure() {
    let f = temp("bad3.json", BAD);
    let o = asl(&[
        "validate",
        f.to_str().unwrap_or_default(),
        "--format",
        "sarif",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v = stdout_json(&o);
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"].as_str().is_some_and(|s| s.contains("sarif")));
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "asl");
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 2);
    for r in results {
        assert!(r["ruleId"].is_string());
        assert!(matches!(
            r["level"].as_str(),
            Some("error" | "warning" | "note")
        ));
        assert!(r["message"]["text"].is_string());
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(
            loc["artifactLocation"]["uri"]
                .as_str()
                .is_some_and(|u| u.ends_with("bad3.json"))
        );
        assert!(loc["region"]["startLine"].as_u64().is_some_and(|n| n >= 1));
        assert!(
            loc["region"]["startColumn"]
                .as_u64()
                .is_some_and(|n| n >= 1)
        );
    }
    let rule_ids: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert!(rule_ids.contains(&"MISSING_TRANSITION_TARGET"));
}

#[test]
fn cli_github_format_writes_annotations() {
    let f = temp("bad4.json", BAD);
    let o = asl(&[
        "validate",
        f.to_str().unwrap_or_default(),
        "--format",
        "github",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    let first = out.lines().next().unwrap_or_default();
    assert!(first.starts_with("::error file="), "{out}");
    assert!(
        first.contains("bad4.json,line=4,col=27,title=MISSING_TRANSITION_TARGET::"),
        "{out}"
    );
    assert!(first.ends_with("(at /States/A/Next)"), "{out}");
}

#[test]
fn cli_unreadable_files_are_usage_errors() {
    let o = asl(&["validate", "/definitely/not/here.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read the file"));
    let o = asl(&["validate", "x.json", "--sub", "novalue"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn cli_syntax_errors_are_invalid_not_usage_errors() {
    let f = temp("broken.txt", "not a definition");
    let o = asl(&[
        "validate",
        f.to_str().unwrap_or_default(),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout_json(&o)["diagnostics"][0]["code"],
        "INVALID_JSON_DESCRIPTION"
    );
}

#[test]
fn cli_reads_yaml_definitions_with_positions() {
    let f = temp(
        "m.asl.yaml",
        "StartAt: A\nStates:\n  A:\n    Type: Pass\n    Nxt: B\n    End: true\n",
    );
    let o = asl(&[
        "validate",
        f.to_str().unwrap_or_default(),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let d = &stdout_json(&o)["diagnostics"][0];
    assert_eq!(d["location"], "/States/A");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(5), Some(5))
    );
}

#[test]
fn cli_validates_every_machine_of_a_template() {
    let template = "\
Resources:
  Fn:
    Type: AWS::Lambda::Function
  Good:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      DefinitionSubstitutions:
        FnArn: !GetAtt Fn.Arn
      Definition:
        StartAt: Call
        States:
          Call: {Type: Task, Resource: '${FnArn}', End: true}
  FromString:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      DefinitionString: !Sub |
        {\"StartAt\": \"W\", \"States\": {\"W\": {\"Type\": \"Wait\", \"Seconds\": ${Secs}, \"End\": true}}}
  Sam:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: sam-def.json
";
    temp("sam-def.json", BAD);
    let f = temp("template.yaml", template);
    let p = f.to_str().unwrap_or_default();
    let o = asl(&["validate", p, "--format", "json", "--sub", "Secs=5"]);
    assert_eq!(o.status.code(), Some(1));
    let v = stdout_json(&o);
    let diags = v["diagnostics"].as_array().expect("diagnostics");
    let errors: Vec<&Value> = diags.iter().filter(|d| d["severity"] == "ERROR").collect();
    assert!(!errors.is_empty(), "{v:#}");
    assert!(errors.iter().all(|d| d["stateMachine"] == "Sam"), "{v:#}");
    assert!(errors.iter().all(|d| {
        d["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("sam-def.json"))
    }));
    // `${FnArn}` is only known at deploy time, but the template maps it: not checked, and not
    // unresolved either (so `--strict` does not fail on it).
    assert!(
        !diags
            .iter()
            .any(|d| d["stateMachine"] == "Good" && d["code"] == "UNRESOLVED_PLACEHOLDER"),
        "{v:#}"
    );

    // Without --sub, the string definition is not JSON: reported at its line in the template
    // (a YAML block maps line for line).
    let o = asl(&["validate", p, "--format", "json"]);
    let v = stdout_json(&o);
    let d = v["diagnostics"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|d| d["stateMachine"] == "FromString")
                .cloned()
        })
        .expect("a FromString diagnostic");
    assert_eq!(d["code"], "INVALID_JSON_DESCRIPTION");
    assert_eq!(d["line"], 17);
}

#[test]
fn cli_refuses_yaml_bombs_quickly() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 0..12 {
        let prev = if i == 0 {
            "a".to_string()
        } else {
            format!("b{}", i - 1)
        };
        bomb.push_str(&format!("b{i}: &b{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    let f = temp("bomb.yaml", &bomb);
    let o = asl(&[
        "validate",
        f.to_str().unwrap_or_default(),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    // Ten levels of ten-fold aliases pass the byte budget of alias copies before the node
    // budget: refused as too large, at the alias that crosses the line.
    let v = stdout_json(&o);
    assert_eq!(v["diagnostics"][0]["code"], "DEFINITION_TOO_LARGE", "{v}");
}

#[test]
fn cli_reads_standard_input() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_asl"))
        .args(["validate", "-", "--format", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the asl binary runs");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(BAD.as_bytes()).expect("write stdin");
    }
    let o = child.wait_with_output().expect("asl finishes");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout_json(&o)["diagnostics"][0]["file"], "<stdin>");
}

#[test]
fn cli_reads_templates_with_flow_mappings_closed_left_of_their_key() {
    // CloudFormation (like PyYAML) ignores indentation inside `{ ... }`; strict YAML does not.
    let template = "\
Resources:
  Machine:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      DefinitionSubstitutions: {
        \"Fn\": \"arn:aws:lambda:us-east-1:123456789012:function:f\"
    }
      Definition:
        StartAt: Call
        States:
          Call: {Type: Task, Resource: '${Fn}', End: true}
";
    let f = temp("flow-indent.yaml", template);
    let o = asl(&[
        "validate",
        f.to_str().unwrap_or_default(),
        "--format",
        "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert_eq!(stdout_json(&o)["result"], "OK");
}

#[test]
fn aws_sdk_services_and_actions_are_checked_against_aws_models() {
    let task = |arn: &str| one(json!({"Type": "Task", "Resource": arn, "End": true}));
    assert_has(
        &check(&task("arn:aws:states:::aws-sdk:dynamodbb:getItem")),
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/Resource",
        "`dynamodbb` is not a service of the AWS SDK integration (did you mean `dynamodb`?)",
    );
    assert_has(
        &check(&task("arn:aws:states:::aws-sdk:s3:getObjects")),
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/Resource",
        "`getObjects` is not an action of `s3` (did you mean `getObject`?)",
    );
    for arn in [
        "arn:aws:states:::aws-sdk:s3:listObjectsV2",
        "arn:aws:states:::aws-sdk:ec2:describeInstances",
        "arn:aws:states:::aws-sdk:sfn:startExecution.waitForTaskToken",
        "arn:aws:states:::aws-sdk:cloudwatchlogs:putLogEvents",
        "arn:aws:states:::aws-sdk:${Service}:getThing",
    ] {
        assert_valid(&task(arn));
    }
}

#[test]
fn integration_parameters_must_be_members_of_the_operations_input() {
    let d = check(&one(json!({
        "Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
        "Parameters": {"TableName": "t", "Keys.$": "$.key"}, "End": true})));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/Parameters",
        "The field \"Keys\" is not supported by Step Functions (did you mean `Key`?)",
    );
    assert_focus(&d, "/States/S/Parameters", "/States/S/Parameters/Keys.$");
    let d = check(
        &json!({"QueryLanguage": "JSONata", "StartAt": "S", "States": {"S": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sfn:startExecution",
        "Arguments": {"StateMachineArn": "arn", "Inputs": "{% $states.input %}"}, "End": true}}}),
    );
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/Arguments",
        "\"Inputs\"",
    );
    // camelCase APIs take PascalCase names; `EqualsValue` stands for `Equals`; an
    // integration's own names (EMR's `ClusterId`, `Step`) are its parameters too.
    for (arn, params) in [
        (
            "arn:aws:states:::aws-sdk:sfn:startExecution",
            json!({"StateMachineArn": "a", "Input.$": "$"}),
        ),
        (
            "arn:aws:states:::elasticmapreduce:addStep.sync",
            json!({"ClusterId": "j-1", "Step": {}}),
        ),
        (
            "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            json!({"QueueUrl": "q", "MessageBody": {"t.$": "$$.Task.Token"}}),
        ),
        (
            "arn:aws:states:::lambda:invoke",
            json!({"FunctionName": "f", "Payload.$": "$", "Anything": 1}),
        ),
    ] {
        assert_valid(&one(
            json!({"Type": "Task", "Resource": arn, "Parameters": params, "End": true}),
        ));
    }
}

#[test]
fn eks_kubernetes_integrations_take_only_the_parameters_aws_documents() {
    // eks:call and eks:runJob have no API model: their parameters are AWS's page's (connect-eks).
    let d = check(&one(json!({
        "Type": "Task", "Resource": "arn:aws:states:::eks:call",
        "Parameters": {"ClusterName": "c", "CertificateAuthority": "ca", "Endpoint": "https://e",
            "Method": "GET", "Path": "/api/v1/pods", "QueryParameter": {}}, "End": true})));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/Parameters",
        "The field \"QueryParameter\" is not supported by Step Functions (did you mean `QueryParameters`?)",
    );
    assert_focus(
        &d,
        "/States/S/Parameters",
        "/States/S/Parameters/QueryParameter",
    );
    for (arn, params) in [
        (
            "arn:aws:states:::eks:call",
            json!({"ClusterName": "c", "CertificateAuthority.$": "$.ca", "Endpoint.$": "$.e",
                "Method": "DELETE", "Path": "/x", "QueryParameters": {"propagationPolicy": ["Foreground"]},
                "RequestBody": {}}),
        ),
        (
            "arn:aws:states:::eks:runJob.sync",
            json!({"ClusterName": "c", "CertificateAuthority": "ca", "Endpoint": "https://e",
                "Namespace": "n", "Job": {"kind": "Job"}, "LogOptions": {"RetrieveLogs": true}}),
        ),
    ] {
        assert_valid(&one(
            json!({"Type": "Task", "Resource": arn, "Parameters": params, "End": true}),
        ));
    }
}

// ---- expansion bounds (issue 21 §2.1) --------------------------------------------------------

/// Runs `asl validate FILE --format json` and returns the exit code, the report and how long
/// it took.
fn validate_timed(f: &std::path::Path) -> (Option<i32>, Value, std::time::Duration) {
    let began = std::time::Instant::now();
    let o = asl(&[
        "validate",
        f.to_str().unwrap_or_default(),
        "--format",
        "json",
    ]);
    (o.status.code(), stdout_json(&o), began.elapsed())
}

#[test]
fn yaml_aliases_are_bounded_by_their_expanded_size_with_a_located_error() {
    // Pins: a 1.1 MB file with one 1 MiB anchor aliased 20,000 times took `asl validate` past
    // 6.5 GB (the guard counted nodes: one scalar is one node). Now the alias that would add
    // more than 1,048,576 bytes is refused, at its line and column, before any copy is made.
    let big = "x".repeat(1024 * 1024);
    let mut text = format!(
        "Comment: &big \"{big}\"\nStartAt: A\nStates:\n  A:\n    Type: Pass\n    End: true\n    Result:\n"
    );
    for i in 0..20_000 {
        text.push_str(&format!("      k{i}: *big\n"));
    }
    let f = temp("alias-bomb.asl.yaml", &text);
    let (code, v, took) = validate_timed(&f);
    assert_eq!(code, Some(1), "{v}");
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "DEFINITION_TOO_LARGE", "{v}");
    assert_eq!(
        (d["line"].clone(), d["column"].clone()),
        (json!(8), json!(11))
    );
    assert!(
        d["message"]
            .as_str()
            .unwrap_or_default()
            .contains("1048576"),
        "{d}"
    );
    assert!(took < std::time::Duration::from_secs(20), "took {took:?}");
}

#[test]
fn substitutions_are_bounded_by_their_expanded_size_with_a_located_error() {
    // Pins: `DefinitionSubstitutions` (and `Fn::Sub` in a `DefinitionString`) repeating a
    // 1 MiB value 20,000 times tried to build 20 GiB; now refused at the string that crosses
    // AWS's 1,048,576-byte limit on a definition.
    let big = "x".repeat(1024 * 1024);
    let many = "${Big}".repeat(20_000);
    let subs = json!({"Resources": {"M": {"Type": "AWS::Serverless::StateMachine", "Properties": {
        "DefinitionSubstitutions": {"Big": big},
        "Definition": {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "Result": many}}}}}}});
    let f = temp(
        "subs-bomb.json",
        &serde_json::to_string_pretty(&subs).unwrap_or_default(),
    );
    let (code, v, took) = validate_timed(&f);
    assert_eq!(code, Some(1), "{v}");
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "DEFINITION_TOO_LARGE", "{v}");
    assert_eq!(d["location"], "/States/A/Result");
    assert_eq!(d["stateMachine"], "M");
    assert!(d["line"].as_u64().is_some(), "located: {d}");
    assert!(took < std::time::Duration::from_secs(20), "took {took:?}");

    let text = format!(
        "{{\"StartAt\":\"A\",\"States\":{{\"A\":{{\"Type\":\"Pass\",\"End\":true,\"Result\":\"{many}\"}}}}}}"
    );
    let fnsub = json!({"Resources": {"M": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
        "DefinitionString": {"Fn::Sub": [text, {"Big": big}]}}}}});
    let f = temp(
        "fnsub-bomb.json",
        &serde_json::to_string_pretty(&fnsub).unwrap_or_default(),
    );
    let (code, v, _) = validate_timed(&f);
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(v["diagnostics"][0]["code"], "DEFINITION_TOO_LARGE", "{v}");

    // `--sub` on a plain definition file is bounded the same way; `asl run` refuses it (2).
    let plain = format!(
        "{{\"StartAt\":\"A\",\"States\":{{\"A\":{{\"Type\":\"Pass\",\"End\":true,\"Result\":\"{}\"}}}}}}",
        "${Big}".repeat(11)
    );
    let f = temp("plain-sub.json", &plain);
    // (One argument may hold at most 128 KiB: eleven copies of 100 KiB pass the limit.)
    let copy = format!("Big={}", "y".repeat(100 * 1024));
    let o = asl(&[
        "validate",
        f.to_str().unwrap_or_default(),
        "--sub",
        &copy,
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout_json(&o)["diagnostics"][0]["code"],
        "DEFINITION_TOO_LARGE"
    );
    let small = "Big=y".to_string();
    let o = asl(&["validate", f.to_str().unwrap_or_default(), "--sub", &small]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

// ---- a template's DefinitionUri (issue 21 §2.2) ----------------------------------------------

#[test]
fn definition_uri_reads_only_inside_the_template_folder_and_never_echoes_other_files() {
    // Pins: `DefinitionUri` read any path (`/proc/self/environ` too) and the error echoed its
    // lines, secrets included. Now only the template's folder and below are read (links
    // followed), and a file that is not a definition is named with what was wrong, at the
    // `DefinitionUri` key of the template, without a line of its content.
    let root = std::env::temp_dir().join(format!("asl-defuri-{}", std::process::id()));
    let proj = root.join("proj");
    std::fs::create_dir_all(proj.join("sub")).expect("dirs");
    const TOKEN: &str = "hunter2-s3cr3t";
    let outside = root.join("outside.json");
    std::fs::write(&outside, format!("{{\"StartAt\": \"{TOKEN}\", oops\n")).expect("write");
    std::fs::write(proj.join(".env"), format!("TOKEN={TOKEN}\n")).expect("write");
    std::fs::write(
        proj.join("secrets.json"),
        format!("{{\"password\": \"{TOKEN}\"}}"),
    )
    .expect("write");
    std::fs::write(proj.join("sub/ok.asl.json"), GOOD).expect("write");
    #[cfg(unix)]
    let _ = std::os::unix::fs::symlink(&outside, proj.join("sub/link.asl.json"));
    let template = proj.join("template.yaml");
    let cases: Vec<(String, Option<i32>, &str)> = vec![
        (
            outside.display().to_string(),
            Some(1),
            "outside the template's folder",
        ),
        (
            "../outside.json".into(),
            Some(1),
            "outside the template's folder",
        ),
        #[cfg(unix)]
        (
            "sub/link.asl.json".into(),
            Some(1),
            "outside the template's folder",
        ),
        (
            "/proc/self/environ".into(),
            Some(1),
            "outside the template's folder",
        ),
        (
            ".env".into(),
            Some(1),
            "`.env`, which is not a state machine definition",
        ),
        (
            "secrets.json".into(),
            Some(1),
            "`secrets.json`, which is not a state machine definition",
        ),
        ("missing.json".into(), Some(1), "cannot be read"),
        ("sub/ok.asl.json".into(), Some(0), ""),
    ];
    for (uri, code, says) in cases {
        std::fs::write(
            &template,
            format!("Resources:\n  M:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      DefinitionUri: {uri}\n"),
        )
        .expect("template");
        let t = template.to_str().unwrap_or_default();
        for format in ["human", "json", "sarif", "github"] {
            let o = asl(&["validate", t, "--format", format]);
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            assert_eq!(o.status.code(), code, "{uri} ({format}): {all}");
            assert!(all.contains(says), "{uri} ({format}): {all}");
            assert!(
                !all.contains(TOKEN),
                "{uri} ({format}) echoed a secret: {all}"
            );
            if code == Some(1) && format == "json" {
                // Reported at the key in the template, not in the file named.
                let d = &stdout_json(&o)["diagnostics"][0];
                assert_eq!(
                    (d["line"].as_u64(), d["column"].as_u64()),
                    (Some(5), Some(7)),
                    "{d}"
                );
                assert!(
                    d["file"]
                        .as_str()
                        .is_some_and(|f| f.ends_with("template.yaml")),
                    "{d}"
                );
            }
        }
        // `asl run` refuses the same files the same way (exit 2), without their content.
        let o = asl(&["run", t, "--input", "{}"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(
            o.status.code(),
            Some(if code == Some(0) { 0 } else { 2 }),
            "{uri}: {err}"
        );
        assert!(!err.contains(TOKEN), "{uri}: run echoed a secret: {err}");
    }
}

// ---- unreadable and empty files in every format (issue 21 §4.8) -------------------------------

#[test]
fn machine_formats_say_the_run_failed_when_a_file_cannot_be_read() {
    // Pins: `--format json` printed `"result": "OK"` and `--format sarif` empty results for a
    // missing file (exit 2), so a tool reading the report saw success.
    let good = temp("readable.json", GOOD);
    let good = good.to_str().unwrap_or_default();
    let missing = std::env::temp_dir().join("asl-no-such-dir/missing.asl.json");
    let missing = missing.to_str().unwrap_or_default();
    let dir = std::env::temp_dir();
    let dir = dir.to_str().unwrap_or_default();
    for bad in [missing, dir] {
        let o = asl(&["validate", good, bad, "--format", "json"]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        let v = stdout_json(&o);
        assert_eq!(v["result"], "FAIL", "{v:#}");
        let d = v["diagnostics"]
            .as_array()
            .and_then(|a| a.iter().find(|d| d["file"] == bad).cloned())
            .expect("a diagnostic for the unreadable file");
        assert_eq!(d["code"], "UNREADABLE_FILE");
        assert_eq!(d["severity"], "ERROR");

        let o = asl(&["validate", good, bad, "--format", "sarif"]);
        assert_eq!(o.status.code(), Some(2));
        let v = stdout_json(&o);
        let inv = &v["runs"][0]["invocations"][0];
        assert_eq!(inv["executionSuccessful"], false, "{v:#}");
        let note = &inv["toolExecutionNotifications"][0];
        assert_eq!(note["level"], "error");
        assert!(
            note["message"]["text"]
                .as_str()
                .is_some_and(|t| t.contains(bad)),
            "{note}"
        );

        let o = asl(&["validate", good, bad, "--format", "github"]);
        assert_eq!(o.status.code(), Some(2));
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            out.lines()
                .any(|l| l.starts_with("::error file=") && l.contains("title=UNREADABLE_FILE")),
            "{out}"
        );
    }
    // All readable: the invocation succeeded.
    let o = asl(&["validate", good, "--format", "sarif"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout_json(&o)["runs"][0]["invocations"][0]["executionSuccessful"],
        true
    );
}

#[test]
fn an_empty_file_is_missing_description_in_every_format() {
    let empty = temp("empty.asl.json", "");
    let p = empty.to_str().unwrap_or_default();
    let o = asl(&["validate", p, "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v = stdout_json(&o);
    assert_eq!(v["result"], "FAIL");
    assert_eq!(v["diagnostics"][0]["code"], "MISSING_DESCRIPTION");
    let o = asl(&["validate", p]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("error[MISSING_DESCRIPTION]"));
    let o = asl(&["validate", p, "--format", "sarif"]);
    assert_eq!(
        stdout_json(&o)["runs"][0]["results"][0]["ruleId"],
        "MISSING_DESCRIPTION"
    );
    let o = asl(&["validate", p, "--format", "github"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("title=MISSING_DESCRIPTION"));
}

// ---- unknown JSONata functions and States.Format arity (issue 21 §4.9) -----------------------

#[test]
fn unknown_jsonata_functions_are_warned_about_with_a_suggestion() {
    // Pins: `$uppercse(...)` passed validation and failed at run time (T1006).
    let d = check(&one(json!({"Type": "Pass", "QueryLanguage": "JSONata",
        "Output": {"a": "{% $uppercse($states.input.name) %}", "b": "{% $totally_unknown(1) %}"},
        "End": true})));
    let unknown: Vec<&Diagnostic> = d
        .iter()
        .filter(|d| d.code.as_str() == "UNKNOWN_FUNCTION")
        .collect();
    assert_eq!(unknown.len(), 2, "{d:#?}");
    assert!(
        unknown
            .iter()
            .all(|d| d.severity == Severity::Warning && d.location == "/States/S/Output")
    );
    assert!(
        unknown[0].message.contains("(did you mean `$uppercase`?)"),
        "{}",
        unknown[0].message
    );
    assert_eq!(unknown[0].focus.as_deref(), Some("/States/S/Output/a"));
    assert!(
        !unknown[1].message.contains("did you mean"),
        "{}",
        unknown[1].message
    );
    // JSONata's functions, AWS's additions, and functions the expression defines are fine.
    let ok = check(&one(json!({"Type": "Pass", "QueryLanguage": "JSONata",
        "Output": "{% ($twice := function($x) { $x * 2 }; $map([1], function($v, $i) { $twice($v) + $i }) ~> $append($partition([1,2], 1)) ~> $append([$uuid(), $hash('a', 'MD5'), $parse('1'), $range(0, 2, 1)])) %}",
        "End": true})));
    assert!(
        ok.iter().all(|d| d.code.as_str() != "UNKNOWN_FUNCTION"),
        "{ok:#?}"
    );
    // `$eval` is JSONata's, but Step Functions does not provide it.
    let d = check(&one(json!({"Type": "Pass", "QueryLanguage": "JSONata",
        "Output": "{% $eval('1') %}", "End": true})));
    assert_has(
        &d,
        "UNKNOWN_FUNCTION",
        "/States/S/Output",
        "`$eval` is not available in Step Functions",
    );
    // A warning: valid unless --strict.
    let f = temp(
        "unknown-fn.json",
        &one(json!({"Type": "Pass", "QueryLanguage": "JSONata",
        "Output": "{% $uppercse('a') %}", "End": true}))
        .to_string(),
    );
    let p = f.to_str().unwrap_or_default();
    assert_eq!(asl(&["validate", p]).status.code(), Some(0));
    assert_eq!(asl(&["validate", p, "--strict"]).status.code(), Some(1));
}

#[test]
fn states_format_needs_one_value_per_placeholder() {
    let d = check(&one(json!({"Type": "Pass",
        "Parameters": {"msg.$": "States.Format('{} and {}', $.a)"}, "End": true})));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/Parameters",
        "has 2 `{}` placeholders, but 1 value is given",
    );
    assert_focus(&d, "/States/S/Parameters", "/States/S/Parameters/msg.$");
    assert_valid(&one(json!({"Type": "Pass",
        "Parameters": {"msg.$": "States.Format('{} and {}', $.a, $.b)"}, "End": true})));
}

// ---- ResultWriter fields and every numeric bound at its edge (issue 21 §4.10) ----------------

#[test]
fn result_writer_parameters_take_only_bucket_and_prefix() {
    // Pins: `ResultWriter.Parameters` with `Key` passed and the run ignored it.
    let writer = |params: Value| {
        check(&dmap(json!({"ResultWriter": {
            "Resource": "arn:aws:states:::s3:putObject", "Parameters": params}})))
    };
    let d = writer(json!({"Bucket": "b", "Key": "out.json"}));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/ResultWriter/Parameters",
        "Field `Key` is not supported in `ResultWriter.Parameters`, which takes `Bucket` and `Prefix`",
    );
    assert_focus(
        &d,
        "/States/S/ResultWriter/Parameters",
        "/States/S/ResultWriter/Parameters/Key",
    );
    let d = writer(json!({"Prefix": "p"}));
    assert_has(
        &d,
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/ResultWriter/Parameters",
        "[Bucket]",
    );
    assert_valid(&dmap(
        json!({"ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
        "Parameters": {"Bucket.$": "$.bucket", "Prefix": "p"}}}),
    ));
    // JSONata's `Arguments` likewise; `asl run` refuses the definition too.
    let jsonata = json!({"QueryLanguage": "JSONata", "StartAt": "S", "States": {"S": {
        "Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
            "Arguments": {"Bucket": "b", "Prefix": "p", "Key": "k"}},
        "End": true}}});
    assert_has(
        &check(&jsonata),
        "SCHEMA_VALIDATION_FAILED",
        "/States/S/ResultWriter/Arguments",
        "`Key`",
    );
    let f = temp("writer-key.asl.json", &jsonata.to_string());
    let o = asl(&["run", f.to_str().unwrap_or_default(), "--input", "[]"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn every_numeric_bound_is_inclusive_at_its_documented_edge() {
    // Each bound AWS documents, with its source: the value at the edge is accepted, the next
    // one out is refused at the field. Pins the one that was off: `MaxItems` stopped at
    // 99,999,999 where AWS allows 100,000,000; and the bounds that were missing:
    // `MaxDelaySeconds` (at most 31,622,400), `MaxInputBytesPerBatch` (at most 256 KiB),
    // `MaxItemsPerBatch` and `MaxInputBytesPerBatch` (positive).
    let lambda = |extra: Value| {
        let mut s = json!({"Type": "Task", "Resource": LAMBDA, "Parameters": {"FunctionName": "f"}, "End": true});
        if let (Some(m), Value::Object(e)) = (s.as_object_mut(), extra) {
            m.extend(e);
        }
        one(s)
    };
    let retry = |field: &str, v: Value| {
        let mut r = json!({"ErrorEquals": ["States.ALL"]});
        r[field] = v;
        lambda(json!({"Retry": [r]}))
    };
    let batcher = |field: &str, v: Value| dmap(json!({"ItemBatcher": {field: v}}));
    let reader = |v: Value| {
        dmap(
            json!({"ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "JSON", "MaxItems": v}, "Parameters": {"Bucket": "b", "Key": "k"}}}),
        )
    };
    let map = |field: &str, v: Value| dmap(json!({field: v}));
    type Make<'a> = Box<dyn Fn(Value) -> Value + 'a>;
    // (field location, build, last accepted values, first refused values)
    let cases: Vec<(&str, Make, Vec<Value>, Vec<Value>)> = vec![
        // Task TimeoutSeconds / HeartbeatSeconds: positive, at most 99,999,999.
        (
            "/States/S/TimeoutSeconds",
            Box::new(|v| lambda(json!({"TimeoutSeconds": v}))),
            vec![json!(1), json!(99_999_999)],
            vec![json!(0), json!(100_000_000)],
        ),
        (
            "/States/S/HeartbeatSeconds",
            Box::new(|v| lambda(json!({"HeartbeatSeconds": v}))),
            vec![json!(1), json!(99_999_999)],
            vec![json!(0), json!(100_000_000)],
        ),
        // The machine's TimeoutSeconds.
        (
            "/TimeoutSeconds",
            Box::new(
                |v| json!({"TimeoutSeconds": v, "StartAt": "S", "States": {"S": {"Type": "Succeed"}}}),
            ),
            vec![json!(1), json!(99_999_999)],
            vec![json!(0), json!(100_000_000)],
        ),
        // Retriers: MaxAttempts 0 (never) to 99,999,999; IntervalSeconds 1 to 99,999,999;
        // MaxDelaySeconds "greater than 0 and less than 31622401"; BackoffRate at least 1.0.
        (
            "/States/S/Retry/0/MaxAttempts",
            Box::new(|v| retry("MaxAttempts", v)),
            vec![json!(0), json!(99_999_999)],
            vec![json!(-1), json!(100_000_000)],
        ),
        (
            "/States/S/Retry/0/IntervalSeconds",
            Box::new(|v| retry("IntervalSeconds", v)),
            vec![json!(1), json!(99_999_999)],
            vec![json!(0), json!(100_000_000)],
        ),
        (
            "/States/S/Retry/0/MaxDelaySeconds",
            Box::new(|v| retry("MaxDelaySeconds", v)),
            vec![json!(1), json!(31_622_400)],
            vec![json!(0), json!(31_622_401)],
        ),
        (
            "/States/S/Retry/0/BackoffRate",
            Box::new(|v| retry("BackoffRate", v)),
            vec![json!(1.0), json!(1000)],
            vec![json!(0.999)],
        ),
        (
            "/States/S/Retry/0/JitterStrategy",
            Box::new(|v| retry("JitterStrategy", v)),
            vec![json!("FULL"), json!("NONE")],
            vec![json!("full"), json!("PARTIAL")],
        ),
        // Wait Seconds: 0 to 99,999,999.
        (
            "/States/S/Seconds",
            Box::new(|v| one(json!({"Type": "Wait", "Seconds": v, "End": true}))),
            vec![json!(0), json!(99_999_999)],
            vec![json!(-1), json!(100_000_000)],
        ),
        // Map: MaxConcurrency (0: no limit) and ToleratedFailureCount to 99,999,999;
        // ToleratedFailurePercentage 0 to 100.
        (
            "/States/S/MaxConcurrency",
            Box::new(|v| map("MaxConcurrency", v)),
            vec![json!(0), json!(99_999_999)],
            vec![json!(-1), json!(100_000_000)],
        ),
        (
            "/States/S/ToleratedFailureCount",
            Box::new(|v| map("ToleratedFailureCount", v)),
            vec![json!(0), json!(99_999_999)],
            vec![json!(-1), json!(100_000_000)],
        ),
        (
            "/States/S/ToleratedFailurePercentage",
            Box::new(|v| map("ToleratedFailurePercentage", v)),
            vec![json!(0), json!(100), json!(99.5)],
            vec![json!(-0.5), json!(100.5)],
        ),
        // ItemBatcher: positive integers; MaxInputBytesPerBatch at most 256 KiB.
        (
            "/States/S/ItemBatcher/MaxItemsPerBatch",
            Box::new(|v| batcher("MaxItemsPerBatch", v)),
            vec![json!(1), json!(99_999_999)],
            vec![json!(0), json!(100_000_000)],
        ),
        (
            "/States/S/ItemBatcher/MaxInputBytesPerBatch",
            Box::new(|v| batcher("MaxInputBytesPerBatch", v)),
            vec![json!(1), json!(262_144)],
            vec![json!(0), json!(262_145)],
        ),
        // ReaderConfig MaxItems: 0 (all) to 100,000,000.
        (
            "/States/S/ItemReader/ReaderConfig/MaxItems",
            Box::new(reader),
            vec![json!(0), json!(100_000_000)],
            vec![json!(-1), json!(100_000_001)],
        ),
    ];
    for (at, make, good, bad) in cases {
        for v in good {
            let d = check(&make(v.clone()));
            let errors: Vec<&Diagnostic> = d.iter().filter(|d| d.is_error()).collect();
            assert!(
                errors.is_empty(),
                "{at} = {v} must be accepted: {errors:#?}"
            );
        }
        for v in bad {
            let d = check(&make(v.clone()));
            assert!(
                d.iter().any(|d| d.is_error() && d.shown_at() == at),
                "{at} = {v} must be refused there: {d:#?}"
            );
        }
    }
}

// ---- --strict and placeholders a template maps (issue 21 §4.12) -------------------------------

#[test]
fn placeholders_a_template_maps_are_not_unresolved_under_strict() {
    // Pins: the README's pre-commit recipe (`--strict`) failed every SAM project, since a
    // `${FnArn}` that `DefinitionSubstitutions` maps to `!GetAtt Fn.Arn` (known only at deploy
    // time) was reported as unresolved. Mapped placeholders, and what `Fn::Sub` resolves
    // (resources, parameters, pseudo parameters), no longer count; a placeholder nothing maps
    // still does.
    let dir = std::env::temp_dir().join(format!("asl-strict-sam-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("statemachine")).expect("dir");
    let definition = r#"{"StartAt": "Call", "States": {"Call": {"Type": "Task",
        "Resource": "${OrderFunctionArn}", "Comment": "${Env}", "Next": "Notify"},
        "Notify": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
        "Parameters": {"TopicArn": "${TopicArn}", "Message": "done"}, "End": true}}}"#;
    std::fs::write(dir.join("statemachine/order.asl.json"), definition).expect("write");
    let template = r#"Parameters:
  Stage: {Type: String}
Resources:
  OrderFunction:
    Type: AWS::Serverless::Function
  Topic:
    Type: AWS::SNS::Topic
  OrderMachine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: statemachine/order.asl.json
      DefinitionSubstitutions:
        OrderFunctionArn: !GetAtt OrderFunction.Arn
        TopicArn: !Ref Topic
        Env: !Ref Stage
  SubMachine:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      DefinitionString: !Sub '{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "${Stage}-${AWS::Region}-${OrderFunction.Arn}", "End": true}}}'
"#;
    std::fs::write(dir.join("template.yaml"), template).expect("write");
    let t = dir.join("template.yaml");
    let t = t.to_str().unwrap_or_default();
    let o = asl(&["validate", t, "--strict", "--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    // The definition file alone cannot know what the template maps: warned, and `--strict`
    // fails, with a hint to validate the template.
    let f = dir.join("statemachine/order.asl.json");
    let o = asl(&[
        "validate",
        f.to_str().unwrap_or_default(),
        "--strict",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v = stdout_json(&o);
    assert!(
        v["diagnostics"]
            .as_array()
            .is_some_and(|a| a.iter().any(|d| d["code"] == "UNRESOLVED_PLACEHOLDER"
                && d["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("validate the template")))),
        "{v:#}"
    );
    // A placeholder the template does not map is still unresolved.
    let unmapped = template.replace("        Env: !Ref Stage\n", "");
    std::fs::write(dir.join("template.yaml"), unmapped).expect("write");
    let o = asl(&["validate", t, "--strict", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v = stdout_json(&o);
    let unresolved: Vec<&str> = v["diagnostics"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|d| d["code"] == "UNRESOLVED_PLACEHOLDER")
                .filter_map(|d| d["message"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(unresolved.len(), 1, "{v:#}");
    assert!(unresolved[0].contains("`${Env}`"), "{v:#}");
}
