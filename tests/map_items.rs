//! An inline Map moves its items out of its input when nothing reads that input again, and
//! copies them otherwise: either way every field sees what AWS shows it. Run through the binary.

use serde_json::{Value, json};
use std::process::Command;

fn run(test: &str, definition: Value, input: Value) -> Value {
    let dir = std::env::temp_dir().join(format!("asl-map-items-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("def.json");
    std::fs::write(&path, definition.to_string()).expect("write definition");
    let input_path = dir.join("input.json");
    std::fs::write(&input_path, input.to_string()).expect("write input");
    let out = Command::new(env!("CARGO_BIN_EXE_asl"))
        .args([
            "run",
            &path.display().to_string(),
            "--result-format",
            "json",
        ])
        .args(["--input-file", &input_path.display().to_string()])
        .output()
        .expect("the asl binary starts");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("a JSON result")
}

fn map(fields: Value, then: Value) -> Value {
    let mut m = json!({
        "Type": "Map",
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
    });
    for (k, v) in fields
        .as_object()
        .expect("fields")
        .iter()
        .chain(then.as_object().expect("then"))
    {
        m[k] = v.clone();
    }
    m
}

fn machine(map_state: Value) -> Value {
    json!({"StartAt": "M", "States": {
        "M": map_state,
        "Show": {"Type": "Pass", "Parameters": {"out.$": "$", "seen.$": "$seen"}, "End": true}}})
}

#[test]
fn moved_items_give_the_results_and_the_settings_still_read_the_items() {
    let def = machine(map(
        json!({
            "ItemsPath": "$.a.lists[1]",
            "MaxConcurrencyPath": "$.a.lists[1][0]",
            "ItemSelector": {"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index"},
            "Assign": {"seen.$": "$[2].v"},
        }),
        json!({"Next": "Show"}),
    ));
    let out = run(
        "moved",
        def,
        json!({"a": {"lists": [[9], [2, {"k": 1}, "x"]]}}),
    );
    assert_eq!(out["status"], "SUCCEEDED", "{out}");
    assert_eq!(
        out["output"],
        json!({"out": [{"v": 2, "i": 0}, {"v": {"k": 1}, "i": 1}, {"v": "x", "i": 2}], "seen": "x"})
    );
}

#[test]
fn an_item_selector_reading_the_input_sees_it_whole() {
    let def = machine(map(
        json!({"ItemsPath": "$.items", "ItemSelector": {"n.$": "States.ArrayLength($.items)", "v.$": "$$.Map.Item.Value"}, "Assign": {"seen": 0}}),
        json!({"Next": "Show"}),
    ));
    let out = run("selector", def, json!({"items": [1, 2]}));
    assert_eq!(
        out["output"]["out"],
        json!([{"n": 2, "v": 1}, {"n": 2, "v": 2}])
    );
}

#[test]
fn a_result_path_into_the_input_keeps_the_items() {
    let def = machine(map(
        json!({"ItemsPath": "$.items", "ResultPath": "$.done", "Assign": {"seen": 0}}),
        json!({"Next": "Show"}),
    ));
    let out = run("result-path", def, json!({"items": [1, {"b": 2}]}));
    assert_eq!(
        out["output"]["out"],
        json!({"items": [1, {"b": 2}], "done": [1, {"b": 2}]})
    );
}

#[test]
fn a_caught_failure_places_the_error_into_the_whole_input() {
    let def = json!({"StartAt": "M", "States": {
        "M": {"Type": "Map", "ItemsPath": "$.items",
              "ItemProcessor": {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "c"}}},
              "Catch": [{"ErrorEquals": ["E"], "ResultPath": "$.error", "Next": "Done"}], "Next": "Done"},
        "Done": {"Type": "Succeed"}}});
    let out = run("caught", def, json!({"items": [1], "keep": true}));
    assert_eq!(
        out["output"],
        json!({"items": [1], "keep": true, "error": {"Error": "E", "Cause": "c"}})
    );
}

#[test]
fn the_whole_input_as_items_and_a_failure_inside() {
    let def = json!({"StartAt": "M", "States": {
        "M": {"Type": "Map", "ItemsPath": "$",
              "ItemProcessor": {"StartAt": "C", "States": {
                  "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "F"}], "Default": "P"},
                  "P": {"Type": "Pass", "End": true},
                  "F": {"Type": "Fail", "Error": "Two", "Cause": "item 2"}}},
              "End": true}}});
    assert_eq!(
        run("root", def.clone(), json!([1, 3]))["output"],
        json!([1, 3])
    );
    let out = run("root-fails", def, json!([1, 2, 3]));
    assert_eq!(out["status"], "FAILED");
    assert_eq!(out["error"], "Two");
}

#[test]
fn a_jsonata_map_without_output_returns_its_results() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "M", "States": {
        "M": {"Type": "Map", "Items": "{% $states.input.xs %}",
              "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "Output": "{% $states.input * 2 %}", "End": true}}},
              "Assign": {"first": "{% $states.result[0] %}", "n": "{% $count($states.input.xs) %}"},
              "Next": "Show"},
        "Show": {"Type": "Pass", "Output": {"r": "{% $states.input %}", "first": "{% $first %}", "n": "{% $n %}"}, "End": true}}});
    let out = run("jsonata", def, json!({"xs": [1, 2, 3]}));
    assert_eq!(out["output"], json!({"r": [2, 4, 6], "first": 2, "n": 3}));
}

/// 3,000 small items, each made into a result of some 115 bytes by [`padded`]: the input is
/// far below AWS's 256 KiB payload limit, the results together pass it.
fn big_items() -> Value {
    json!({"pad": "x".repeat(100), "xs": (0..3000).collect::<Vec<_>>()})
}

/// A Map over [`big_items`] with `fields`, alone in its machine.
fn padded(fields: Value) -> Value {
    let mut m = map(
        json!({"ItemsPath": "$.xs", "ItemSelector": {"p.$": "$.pad", "i.$": "$$.Map.Item.Value"}}),
        json!({"End": true}),
    );
    for (k, v) in fields.as_object().expect("fields") {
        m[k] = v.clone();
    }
    json!({"StartAt": "M", "States": {"M": m}})
}

#[test]
fn results_past_the_payload_limit_fail_the_state_and_its_catch_does_not_take_it() {
    // The results are not kept once they pass the limit; the failure is the one the
    // state's output gets, which its own Catch does not take.
    let mut def = padded(json!({"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "After"}]}));
    def["States"]["After"] = json!({"Type": "Pass", "End": true});
    let out = run("past-limit", def, big_items());
    assert_eq!(out["status"], "FAILED", "{out}");
    assert_eq!(out["error"], "States.DataLimitExceeded");
    assert_eq!(
        out["cause"],
        "The state/task 'M' returned a result with a size exceeding the maximum number of bytes service limit."
    );
    // Into the input, too.
    let out = run(
        "past-limit-at",
        padded(json!({"ResultPath": "$.r"})),
        big_items(),
    );
    assert_eq!(out["error"], "States.DataLimitExceeded", "{out}");
    // And from a JSONata Map without `Output`.
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "M", "States": {
        "M": {"Type": "Map", "Items": "{% $states.input.xs %}",
              "ItemSelector": {"p": "{% $states.input.pad %}", "i": "{% $states.context.Map.Item.Value %}"},
              "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
              "End": true}}});
    let out = run("past-limit-jsonata", def, big_items());
    assert_eq!(out["error"], "States.DataLimitExceeded", "{out}");
}

#[test]
fn results_past_the_payload_limit_are_kept_when_something_reads_them() {
    let pad = "x".repeat(100);
    let out = run(
        "output-path",
        padded(json!({"OutputPath": "$[2999]"})),
        big_items(),
    );
    assert_eq!(out["output"], json!({"p": pad, "i": 2999}), "{out}");

    let def =
        padded(json!({"ResultSelector": {"n.$": "States.ArrayLength($)", "last.$": "$[2999].i"}}));
    let out = run("result-selector", def, big_items());
    assert_eq!(out["output"], json!({"n": 3000, "last": 2999}), "{out}");

    let mut def = padded(
        json!({"ResultPath": null, "Assign": {"n.$": "States.ArrayLength($)"}, "Next": "Show"}),
    );
    def["States"]["M"].as_object_mut().expect("M").remove("End");
    def["States"]["Show"] = json!({"Type": "Pass", "Parameters": {"n.$": "$n"}, "End": true});
    let out = run("assign", def, big_items());
    assert_eq!(out["output"], json!({"n": 3000}), "{out}");

    let def = json!({"QueryLanguage": "JSONata", "StartAt": "M", "States": {
        "M": {"Type": "Map", "Items": "{% $states.input.xs %}",
              "ItemSelector": {"p": "{% $states.input.pad %}", "i": "{% $states.context.Map.Item.Value %}"},
              "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
              "Output": "{% $count($states.result) %}", "End": true}}});
    let out = run("jsonata-output", def, big_items());
    assert_eq!(out["output"], 3000, "{out}");
}

#[test]
fn a_result_path_of_null_gives_the_input_whatever_the_results() {
    let out = run("discard", padded(json!({"ResultPath": null})), big_items());
    assert_eq!(out["status"], "SUCCEEDED", "{out}");
    assert_eq!(out["output"], big_items());
}
