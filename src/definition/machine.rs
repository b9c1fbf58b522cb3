//! The state machine and its graphs (the top level, each Parallel branch, each Map processor).

use super::state::{Kind, State};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryLanguage {
    JsonPath,
    Jsonata,
}

impl QueryLanguage {
    pub fn as_str(self) -> &'static str {
        match self {
            QueryLanguage::JsonPath => "JSONPath",
            QueryLanguage::Jsonata => "JSONata",
        }
    }
}

/// A loaded, valid state machine.
///
/// Invariants: every graph has at least one state; `start` and every transition index a state
/// of the same graph; every path, template, rule and expression is compiled.
#[derive(Debug, Clone)]
pub struct StateMachine {
    pub comment: Option<String>,
    pub version: Option<String>,
    pub timeout_seconds: Option<u64>,
    pub query_language: QueryLanguage,
    pub root: Graph,
}

/// A set of states with a start: the machine itself, a Parallel branch, or a Map processor.
#[derive(Debug, Clone)]
pub struct Graph {
    pub states: Vec<State>,
    pub start: usize,
    /// JSON pointer of the object holding `StartAt` and `States`.
    pub pointer: String,
}

impl Graph {
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.states.iter().position(|s| s.name == name)
    }

    /// Every state of this graph and of the graphs nested in it, depth first.
    pub fn all_states(&self) -> Vec<&State> {
        let mut out = Vec::new();
        for s in &self.states {
            out.push(s);
            for g in s.kind.graphs() {
                out.extend(g.all_states());
            }
        }
        out
    }

    /// Every Task state of this graph and the graphs nested in it, with the resource it
    /// calls, depth first.
    pub fn task_resources(&self) -> Vec<(&str, &super::Resource)> {
        self.all_states()
            .into_iter()
            .filter_map(|s| match &s.kind {
                Kind::Task(t) => Some((s.name.as_str(), &t.resource)),
                _ => None,
            })
            .collect()
    }
}
