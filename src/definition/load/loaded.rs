//! The entry points: [`load_str`], [`load_value`], [`load_owned`], and their answer
//! [`Loaded`].

use super::load_error::LoadError;
use super::walker::Walker;
use crate::definition::diagnostic::Diagnostic;
use crate::definition::machine::StateMachine;
use foldhash::HashMap;
use serde_json::{Map as JsonMap, Value};

/// The loader's answer: the machine when there were no errors, and every diagnostic.
#[derive(Debug)]
pub struct Loaded {
    pub machine: Option<StateMachine>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses and loads a definition text.
pub fn load_str(text: &str) -> Result<StateMachine, LoadError> {
    let value: Value = serde_json::from_str(text).map_err(|e| LoadError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let loaded = load_value(&value);
    match loaded.machine {
        Some(m) => Ok(m),
        None => Err(LoadError::Invalid(
            loaded
                .diagnostics
                .into_iter()
                .filter(Diagnostic::is_error)
                .collect(),
        )),
    }
}

/// Loads a parsed definition.
pub fn load_value(value: &Value) -> Loaded {
    let mut walker = Walker::default();
    let machine = walker.machine(value);
    finish(walker, machine)
}

/// Loads a parsed definition it may consume, as `load_value` does. Each state's JSON is freed
/// once the state is compiled, so the parsed tree and the compiled model never stand in
/// memory side by side (for pass-chain-1k, a 2 MiB huge page fewer).
pub fn load_owned(mut value: Value) -> Loaded {
    let mut walker = Walker::default();
    if let Value::Object(m) = &mut value {
        take_states(m, &mut walker.taken);
    }
    let machine = walker.machine(&value);
    finish(walker, machine)
}

/// Takes the `States` object of `graph`, and of every graph nested in its states (Parallel
/// branches, Map item processors), out of the tree, leaving an empty object in its place: every
/// check still sees a `States` object, and [`Walker::graph`] finds the states in `taken` by the
/// address of that empty object.
fn take_states(
    graph: &mut JsonMap<String, Value>,
    taken: &mut HashMap<usize, JsonMap<String, Value>>,
) {
    let Some(Value::Object(place)) = graph.get_mut("States") else {
        return;
    };
    let mut states = std::mem::take(place);
    let at = std::ptr::from_ref(place) as usize;
    // One pass over each state's fields: looking three names up would hash each of them.
    for state in states.values_mut() {
        let Value::Object(s) = state else { continue };
        for (k, v) in s.iter_mut() {
            match (k.as_str(), v) {
                ("Branches", Value::Array(branches)) => {
                    for b in branches {
                        if let Value::Object(b) = b {
                            take_states(b, taken);
                        }
                    }
                }
                ("ItemProcessor" | "Iterator", Value::Object(p)) => take_states(p, taken),
                _ => {}
            }
        }
    }
    taken.insert(at, states);
}

fn finish(walker: Walker, machine: Option<StateMachine>) -> Loaded {
    let has_errors = walker.diags.iter().any(Diagnostic::is_error);
    Loaded {
        machine: if has_errors { None } else { machine },
        diagnostics: walker.diags,
    }
}

/// The errors of loading `v`, as (code, location) pairs.
#[cfg(test)]
pub(super) fn errors(v: Value) -> Vec<(String, String)> {
    load_value(&v)
        .diagnostics
        .into_iter()
        .filter(Diagnostic::is_error)
        .map(|d| (d.code.as_str().to_string(), d.location))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::machine::QueryLanguage;
    use serde_json::json;

    #[test]
    fn consuming_the_tree_loads_the_same_machine_and_diagnostics() {
        let branch = |s: &str, next: &str| json!({"StartAt": s, "States": {s: {"Type": "Pass", "Next": next}, "End": {"Type": "Succeed"}}});
        let machines = [
            // Nested graphs of every kind: Parallel branches, ItemProcessor, Iterator.
            json!({"StartAt": "P", "States": {
                "P": {"Type": "Parallel", "Branches": [branch("A", "End"), branch("B", "End")], "Next": "M"},
                "M": {"Type": "Map", "ItemProcessor": branch("C", "End"), "Next": "I"},
                "I": {"Type": "Map", "Iterator": {"StartAt": "D", "States": {
                    "D": {"Type": "Parallel", "Branches": [branch("E", "End")], "End": true}}}, "End": true}}}),
            // Problems inside nested graphs, and states that are not objects.
            json!({"StartAt": "P", "States": {
                "P": {"Type": "Parallel", "Branches": [branch("A", "Nowhere"), 7, {"States": []}], "End": true},
                "Q": [],
                "M": {"Type": "Map", "ItemProcessor": {"StartAt": "X", "States": {}}, "End": true}}}),
            json!({"StartAt": "A", "States": []}),
            json!({"StartAt": "A", "States": {}}),
            json!({"States": {"A": {"Type": "Pass", "End": true}}}),
        ];
        for m in machines {
            let borrowed = load_value(&m);
            let owned = load_owned(m.clone());
            assert_eq!(
                format!("{:?}", owned.diagnostics),
                format!("{:?}", borrowed.diagnostics),
                "{m}"
            );
            assert_eq!(
                format!("{:?}", owned.machine),
                format!("{:?}", borrowed.machine),
                "{m}"
            );
        }
    }

    #[test]
    fn loads_a_minimal_machine() {
        let m = load_str(r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#).unwrap();
        assert_eq!(m.root.states.len(), 1);
        assert_eq!(m.query_language, QueryLanguage::JsonPath);
    }
}
