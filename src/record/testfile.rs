//! The test file `asl record` writes (docs/testing.md): one case that runs the recorded input
//! against the definition with the recorded answers, and asserts what the record says the
//! execution did: its status, output (or error and cause), path, and each Task state's calls
//! with the parameters AWS recorded.
//!
//! It is YAML whose values are JSON in flow style, so every payload is written exactly:
//! a YAML reader takes JSON text as it is (quoted keys, `": "` and `", "` separators).

use super::mocks::{Answers, Mocked};
use super::recording::Recording;
use crate::definition::Pointer;
use serde_json::{Map, Value, json};
use std::collections::HashSet;
use std::fmt::Write;

/// What the test file names and fixes besides the record.
#[derive(Debug, Clone)]
pub struct Meta {
    /// The definition, as the test file names it (relative to its folder).
    pub definition: String,
    /// `s3Root` and `handlers`, relative to the test file's folder.
    pub s3_root: Option<String>,
    pub handlers: Option<String>,
    pub state_machine: String,
    pub execution: String,
    /// The mock file, relative to the test file's folder.
    pub mock_file: String,
    /// The history file, for the header.
    pub history: String,
    /// `$$.Execution.StartTime` (RFC 3339).
    pub start: Option<String>,
    pub region: Option<String>,
    pub account: Option<String>,
    pub role_arn: Option<String>,
    /// The seed of the recorded run's random draws, when it is known.
    pub seed: Option<u64>,
    /// Lines for the header comment.
    pub notes: Vec<String>,
    /// The run enters states the record lacks (past where AWS cut a branch short): the path
    /// is asserted as a subsequence.
    pub path_contains: bool,
}

/// The test file's text. `let_pass(visit, call)` gives the pointers of a recorded call's
/// parameters where values that cannot repeat passed in the replay (they are expected as
/// "a string"); `output_let_pass` the same for the output.
pub fn write(
    rec: &Recording,
    answers: &Answers,
    meta: &Meta,
    let_pass: &dyn Fn(usize, usize) -> Vec<String>,
    output_let_pass: &[String],
) -> String {
    let mut t = String::new();
    let status = rec.end.as_ref().map(|e| e.status);
    let _ = writeln!(t, "# Recorded by `asl record` from {}:", meta.history);
    let _ = writeln!(
        t,
        "# execution `{}` of state machine `{}`, {}.",
        meta.execution,
        meta.state_machine,
        status.unwrap_or("still running when the history ends")
    );
    let _ = writeln!(
        t,
        "# Its Task states answer from {} as they answered on AWS, and the case",
        meta.mock_file
    );
    let _ = writeln!(
        t,
        "# asserts what the execution did. Change the definition and run `asl test` to see what changes."
    );
    for n in &meta.notes {
        let _ = writeln!(t, "# {n}");
    }
    let _ = writeln!(t, "definition: {}", flow(&json!(meta.definition)));
    let _ = writeln!(t, "stateMachineName: {}", flow(&json!(meta.state_machine)));
    let mut ctx = Map::new();
    ctx.insert("executionName".into(), json!(meta.execution));
    for (k, v) in [
        ("startTime", &meta.start),
        ("region", &meta.region),
        ("accountId", &meta.account),
        ("roleArn", &meta.role_arn),
    ] {
        if let Some(v) = v {
            ctx.insert(k.into(), json!(v));
        }
    }
    if let Some(s) = meta.seed {
        ctx.insert("seed".into(), json!(s));
    }
    let _ = writeln!(t, "context: {}", flow(&Value::Object(ctx)));
    if let Some(r) = &meta.s3_root {
        let _ = writeln!(t, "s3Root: {}", flow(&json!(r)));
    }
    if let Some(h) = &meta.handlers {
        let _ = writeln!(
            t,
            "# The calls the history does not hold (Distributed Map runs) go to these commands."
        );
        let _ = writeln!(t, "handlers: {}", flow(&json!(h)));
    }
    let _ = writeln!(
        t,
        "mockConfig: {}",
        flow(&json!({"file": meta.mock_file, "testCase": meta.execution}))
    );
    let pending: Vec<&(String, Vec<Mocked>)> = answers
        .by_state
        .iter()
        .filter(|(s, _)| answers.has_pending(s))
        .collect();
    if !pending.is_empty() {
        let _ = writeln!(
            t,
            "# Calls AWS never answered (a sibling's failure or the end of the execution stopped them)."
        );
        let _ = writeln!(t, "mocks:");
        for (state, list) in pending {
            let _ = writeln!(t, "  {}:", flow(&json!(state)));
            let _ = writeln!(t, "    sequence:");
            for m in list {
                let line = match m {
                    Mocked::Return(v) => format!("{{\"return\": {}}}", flow(v)),
                    Mocked::Throw { error, cause } => {
                        let mut th = Map::new();
                        th.insert("error".into(), json!(error.clone().unwrap_or_default()));
                        if let Some(c) = cause {
                            th.insert("cause".into(), json!(c));
                        }
                        format!("{{\"throw\": {}}}", flow(&Value::Object(th)))
                    }
                    Mocked::Pending => "{\"pending\": true}".into(),
                };
                let _ = writeln!(t, "      - {line}");
            }
        }
    }
    let _ = writeln!(t, "cases:");
    let _ = writeln!(t, "  - name: {}", flow(&json!(meta.execution)));
    match rec.input.json() {
        Some(v) => {
            let _ = writeln!(t, "    input: {}", flow(v));
        }
        None => {
            let _ = writeln!(
                t,
                "    # the recorded input was truncated by AWS: give it here"
            );
        }
    }
    let _ = writeln!(t, "    expect:");
    if let Some(end) = &rec.end {
        let _ = writeln!(t, "      status: {}", end.status);
        if end.status == "SUCCEEDED" {
            match end.output.json() {
                Some(v) => {
                    let _ = writeln!(t, "      output: {}", flow(&expected(v, output_let_pass)));
                }
                None => {
                    let _ = writeln!(
                        t,
                        "      # output: not checked, AWS truncated it in the history"
                    );
                }
            }
        } else {
            let _ = writeln!(t, "      error: {}", flow(&json!(end.error)));
            let _ = writeln!(t, "      cause: {}", flow(&json!(end.cause)));
        }
    }
    let canonical = rec.canonical();
    let path: Vec<Value> = canonical.iter().map(|(q, _)| json!(q)).collect();
    // A Distributed Map's child executions are not in the history, and a branch AWS cut
    // short may go further here: the path is then a subsequence.
    if rec.visits.iter().any(|v| v.map_run) || meta.path_contains {
        let _ = writeln!(t, "      pathContains: {}", flow(&Value::Array(path)));
    } else {
        let _ = writeln!(t, "      path: {}", flow(&Value::Array(path)));
    }
    // Each Task state's calls, states in the order of their first visit.
    let mut names: Vec<&str> = Vec::new();
    let mut seen = HashSet::new();
    // A state that failed on AWS before it could call may or may not call here: its calls
    // are not counted.
    let uncounted: HashSet<&str> = canonical
        .iter()
        .map(|(_, v)| &rec.visits[*v])
        .filter(|v| v.calls.iter().any(|c| c.before_calling))
        .map(|v| v.name.as_str())
        .collect();
    for (_, v) in &canonical {
        let visit = &rec.visits[*v];
        if !visit.calls.is_empty()
            && !uncounted.contains(visit.name.as_str())
            && seen.insert(visit.name.as_str())
        {
            names.push(visit.name.as_str());
        }
    }
    if !names.is_empty() {
        let _ = writeln!(t, "      calls:");
    }
    for name in names {
        let mut inputs = Vec::new();
        for (_, v) in canonical
            .iter()
            .filter(|(_, v)| rec.visits[*v].name == name)
        {
            for (c, call) in rec.visits[*v].calls.iter().enumerate() {
                inputs.push(match call.parameters.json() {
                    Some(p) => expected(p, &let_pass(*v, c)),
                    None => json!({"$any": true}),
                });
            }
        }
        let _ = writeln!(t, "        {}:", flow(&json!(name)));
        let _ = writeln!(t, "          count: {}", inputs.len());
        let _ = writeln!(t, "          input:");
        for i in inputs {
            let _ = writeln!(t, "            - {}", flow(&i));
        }
    }
    t
}

/// A recorded value as an expectation: `{"$type": "string"}` where a value that cannot
/// repeat passed, and objects with keys that start with `$` as `{"$literal": ...}`.
pub fn expected(v: &Value, let_pass: &[String]) -> Value {
    fn walk(v: &Value, at: &Pointer, let_pass: &[String]) -> Value {
        if let_pass.iter().any(|p| p == at.as_str()) {
            return json!({"$type": "string"});
        }
        match v {
            Value::Object(m) if m.keys().any(|k| k.starts_with('$')) => json!({"$literal": v}),
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, x)| (k.clone(), walk(x, &at.key(k), let_pass)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(
                a.iter()
                    .enumerate()
                    .map(|(i, x)| walk(x, &at.index(i), let_pass))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    walk(v, &Pointer::root(), let_pass)
}

/// JSON with `": "` and `", "` between members: valid JSON and valid YAML flow.
pub fn flow(v: &Value) -> String {
    let mut s = String::new();
    put(v, &mut s);
    s
}

fn put(v: &Value, s: &mut String) {
    match v {
        Value::Object(m) => {
            s.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                s.push_str(&Value::String(k.clone()).to_string());
                s.push_str(": ");
                put(x, s);
            }
            s.push('}');
        }
        Value::Array(a) => {
            s.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                put(x, s);
            }
            s.push(']');
        }
        other => s.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_values_keep_dollar_keys_literal_and_let_unrepeatable_values_pass() {
        assert_eq!(
            expected(
                &json!({"a": {"$type": "x"}, "token": "t", "n": [1, {"b": 2}]}),
                &["/token".to_string()]
            ),
            json!({"a": {"$literal": {"$type": "x"}}, "token": {"$type": "string"}, "n": [1, {"b": 2}]})
        );
        assert_eq!(
            flow(&json!({"a": [1, "x\"y"], "b": null})),
            r#"{"a": [1, "x\"y"], "b": null}"#
        );
    }
}
