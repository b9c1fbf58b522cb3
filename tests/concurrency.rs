//! Parallel branches and Map iterations under mocks start and advance as on AWS: every
//! branch, and every iteration within the concurrency limit, starts before a failure aborts
//! the rest; each advances one Task at a time in index order, so a failure aborts the others
//! after the Task they had started. Pinned through the binary with a mock file and the
//! execution's history.

use serde_json::{Value, json};
use std::process::Command;

/// Runs `def` with `mocks` (test case `T`), returning the history's events as (type, state
/// entered or empty) and the result.
fn run(name: &str, def: &Value, mocks: &Value) -> (Vec<(String, String)>, Value) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("concurrency-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.join("m.asl.json");
    let m = dir.join("mocks.json");
    let h = dir.join("history.json");
    std::fs::write(&d, def.to_string()).unwrap();
    std::fs::write(
        &m,
        json!({"StateMachines": {"m": {"TestCases": {"T": mocks["cases"]}}},
               "MockedResponses": mocks["responses"]})
        .to_string(),
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_asl"))
        .arg("run")
        .arg(&d)
        .args([
            "--state-machine-name",
            "m",
            "--test-case",
            "T",
            "--result-format",
            "json",
        ])
        .arg("--mock-config")
        .arg(&m)
        .arg("--history")
        .arg(&h)
        .output()
        .unwrap();
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let history: Value = serde_json::from_slice(&std::fs::read(&h).unwrap()).unwrap();
    let events = history
        .get("events")
        .unwrap_or(&history)
        .as_array()
        .unwrap();
    let listed = events
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap_or_default().to_string(),
                e.pointer("/stateEnteredEventDetails/name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    (listed, serde_json::from_slice(&o.stdout).unwrap())
}

fn entered(events: &[(String, String)], state: &str) -> usize {
    events.iter().filter(|(_, s)| s == state).count()
}

fn count(events: &[(String, String)], kind: &str) -> usize {
    events.iter().filter(|(t, _)| t == kind).count()
}

fn task(next: Option<&str>) -> Value {
    let mut t = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke"});
    match next {
        Some(n) => t["Next"] = json!(n),
        None => t["End"] = json!(true),
    }
    t
}

#[test]
fn a_branch_failing_at_once_lets_every_other_branch_start_whatever_its_position() {
    let charge = json!({"StartAt": "Charge", "States": {"Charge": task(None)}});
    let reserve = json!({"StartAt": "Reserve", "States": {"Reserve": task(Some("Confirm")), "Confirm": task(None)}});
    let mocks = json!({
        "cases": {"Charge": "Declined", "Reserve": "Ok", "Confirm": "Ok"},
        "responses": {"Declined": {"0": {"Throw": {"Error": "Declined", "Cause": "card"}}},
                      "Ok": {"0": {"Return": {"ok": true}}}}});
    for (name, branches) in [
        ("charge-first", json!([charge, reserve])),
        ("reserve-first", json!([reserve, charge])),
    ] {
        let def = json!({"StartAt": "P", "States": {
            "P": {"Type": "Parallel", "Branches": branches,
                  "Catch": [{"ErrorEquals": ["Declined"], "Next": "Release"}], "End": true},
            "Release": {"Type": "Pass", "End": true}}});
        let (events, out) = run(name, &def, &mocks);
        assert_eq!(out["status"], "SUCCEEDED", "{name}");
        // Both branches started: the reservation was made, so compensation runs on AWS too.
        assert_eq!(entered(&events, "Reserve"), 1, "{name}: {events:?}");
        assert_eq!(entered(&events, "Charge"), 1, "{name}");
        // The failure aborted the other branch after the Task it had started.
        assert_eq!(entered(&events, "Confirm"), 0, "{name}: {events:?}");
        assert_eq!(entered(&events, "Release"), 1, "{name}");
        assert_eq!(count(&events, "TaskScheduled"), 2, "{name}");
    }
}

#[test]
fn every_iteration_within_max_concurrency_starts_before_a_failure_stops_the_map() {
    let map = |limit: Value| {
        json!({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items",
            "MaxConcurrency": limit,
            "ItemProcessor": {"StartAt": "Work", "States": {"Work": task(Some("After")), "After": task(None)}},
            "End": true}}})
    };
    let mocks = json!({
        "cases": {"Work": "FirstFails", "After": "Ok"},
        "responses": {"FirstFails": {"0": {"Throw": {"Error": "Boom", "Cause": "first"}},
                                     "1-99": {"Return": {"ok": true}}},
                      "Ok": {"0-99": {"Return": {"ok": true}}}}});
    for (name, limit, n, started) in [
        ("limit-10", json!(10), 3, 3),
        ("limit-1", json!(1), 3, 1),
        // Without MaxConcurrency, AWS runs 40 inline iterations at once.
        ("unlimited", json!(0), 50, 40),
    ] {
        let def = map(limit);
        let wrapped = json!({"StartAt": "In", "States": {
            "In": {"Type": "Pass", "Result": {"items": (0..n).collect::<Vec<_>>()}, "Next": "M"},
            "M": def["States"]["M"].clone()}});
        let (events, out) = run(name, &wrapped, &mocks);
        assert_eq!(out["status"], "FAILED", "{name}");
        assert_eq!(out["error"], "Boom", "{name}");
        assert_eq!(count(&events, "MapIterationStarted"), started, "{name}");
        assert_eq!(entered(&events, "Work"), started, "{name}");
        // The failure is seen before any iteration goes on past its first Task.
        assert_eq!(entered(&events, "After"), 0, "{name}: {events:?}");
    }
}
