//! What a run adds to a drawing: an execution's path or a test run's coverage, as plain
//! data the caller builds (`cli/` does, from `testing::record` and `testing::coverage`), so
//! this room stays free of the engine.
//!
//! States are named by their JSON pointer ([`Node::pointer`](super::Node)); an edge by its
//! source state and its [`EdgeKind`] (a state has one `Next`, one edge per Choice rule, one
//! `Default`, one per Catch clause), the Start marker's edge by the empty pointer.

use super::diagram::{Diagram, EdgeKind, Region};
use serde_json::Value;
use std::collections::HashMap;

/// What the overlay shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverlayKind {
    /// One execution: states not entered and edges not followed are dimmed.
    Execution,
    /// Coverage: uncovered states and edges are marked, not dimmed; an edge the coverage does
    /// not count (to the End marker) is drawn plainly.
    Coverage,
}

/// How a state came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Succeeded,
    /// Failed without a Catch of its own catching (or a Fail state).
    Failed,
    /// Failed and a Catch clause caught it.
    Caught,
    /// Succeeded after Retry tried it again.
    Retried,
    /// Entered and never finished: the execution stopped first (a sibling branch or
    /// iteration failed, a timeout, an abort).
    Stopped,
    /// Entered by some test case.
    Covered,
    /// Entered by no test case.
    Uncovered,
}

impl Mark {
    /// The CSS class suffix and the word the page shows.
    pub fn as_str(self) -> &'static str {
        match self {
            Mark::Succeeded => "succeeded",
            Mark::Failed => "failed",
            Mark::Caught => "caught",
            Mark::Retried => "retried",
            Mark::Stopped => "stopped",
            Mark::Covered => "covered",
            Mark::Uncovered => "uncovered",
        }
    }
}

/// A titled group of facts for the HTML detail panel (`Input` → the JSON, `Retries` → ...).
#[derive(Debug, Clone, Default)]
pub struct Section {
    pub title: String,
    /// `(label, value)`; a string value is shown as text, anything else as JSON.
    pub fields: Vec<(String, Value)>,
}

/// One state's part of an overlay.
#[derive(Debug, Clone)]
pub struct NodeOverlay {
    pub mark: Mark,
    /// Shown on the state's second line (`×3`, `3 iterations, 1 failed`); may be empty.
    pub badge: String,
    pub details: Vec<Section>,
}

/// An edge, by its source state's pointer (`""`: the Start marker) and how it leaves.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EdgeRef {
    pub from: String,
    pub kind: EdgeKind,
}

/// Everything a run adds to a diagram.
#[derive(Debug, Clone)]
pub struct Overlay {
    pub kind: OverlayKind,
    /// The page's heading: `Execution FAILED: States.TaskFailed`, `Coverage 83.3 %`.
    pub heading: String,
    /// Facts about the whole run for the HTML page (status, input, output, totals).
    pub summary: Vec<(String, Value)>,
    /// By state pointer; a state without an entry was not entered.
    pub nodes: HashMap<String, NodeOverlay>,
    /// How many times each edge was followed.
    pub edges: HashMap<EdgeRef, u64>,
    /// The execution's history events (GetExecutionHistory's shape) for the event list.
    pub events: Vec<Value>,
}

/// How an edge is drawn under an overlay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeMark {
    Taken(u64),
    /// Not followed in an execution.
    Dim,
    /// Counted by coverage and never followed.
    Uncovered,
    /// Not counted (coverage's edges to the End marker).
    Plain,
}

impl Overlay {
    pub fn new(kind: OverlayKind, heading: impl Into<String>) -> Overlay {
        Overlay {
            kind,
            heading: heading.into(),
            summary: Vec::new(),
            nodes: HashMap::new(),
            edges: HashMap::new(),
            events: Vec::new(),
        }
    }

    /// Adds `n` to the count of the edge `kind` out of `from`.
    pub fn count_edge(&mut self, from: &str, kind: EdgeKind, n: u64) {
        let c = self
            .edges
            .entry(EdgeRef {
                from: from.to_string(),
                kind,
            })
            .or_insert(0);
        *c = c.saturating_add(n);
    }

    pub fn edge_mark(&self, from: &str, kind: EdgeKind) -> EdgeMark {
        let key = EdgeRef {
            from: from.to_string(),
            kind,
        };
        match (self.edges.get(&key), self.kind) {
            (Some(&n), _) if n > 0 => EdgeMark::Taken(n),
            (Some(_), OverlayKind::Coverage) => EdgeMark::Uncovered,
            (None, OverlayKind::Coverage) => EdgeMark::Plain,
            (_, OverlayKind::Execution) => EdgeMark::Dim,
        }
    }
}

impl Diagram {
    /// The diagram with the overlay's badges under the states' names and counts on the edges,
    /// so the layout makes room for them.
    pub fn overlaid(&self, o: &Overlay) -> Diagram {
        let mut d = self.clone();
        overlay_region(&mut d.root, o);
        d
    }
}

fn overlay_region(r: &mut Region, o: &Overlay) {
    for e in &mut r.edges {
        let from = &r.nodes[e.from].pointer;
        let n = match o.edge_mark(from, e.kind) {
            EdgeMark::Taken(n) => n,
            EdgeMark::Uncovered => 0,
            EdgeMark::Dim | EdgeMark::Plain => continue,
        };
        e.label = if e.label.is_empty() {
            format!("×{n}")
        } else {
            format!("{} ×{n}", e.label)
        };
    }
    for n in &mut r.nodes {
        if let Some(no) = o.nodes.get(&n.pointer)
            && !no.badge.is_empty()
        {
            n.badge = Some(no.badge.clone());
        }
        for c in &mut n.children {
            overlay_region(c, o);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::load_value;
    use serde_json::json;

    fn diagram() -> Diagram {
        let def = json!({"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": true, "Next": "T"}], "Default": "P"},
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                  "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "P"}], "End": true},
            "P": {"Type": "Pass", "End": true}}});
        let Some(m) = load_value(&def).machine else {
            panic!("invalid test definition")
        };
        Diagram::build(&m, &def)
    }

    #[test]
    fn an_execution_dims_what_it_did_not_follow_and_counts_the_rest() {
        let mut o = Overlay::new(OverlayKind::Execution, "run");
        o.count_edge("/States/C", EdgeKind::Rule(0), 1);
        o.count_edge("/States/C", EdgeKind::Rule(0), 2);
        o.count_edge("/States/T", EdgeKind::Catch(0), 0);
        assert_eq!(
            o.edge_mark("/States/C", EdgeKind::Rule(0)),
            EdgeMark::Taken(3)
        );
        assert_eq!(o.edge_mark("/States/C", EdgeKind::Default), EdgeMark::Dim);
        assert_eq!(o.edge_mark("/States/T", EdgeKind::Catch(0)), EdgeMark::Dim);
        o.nodes.insert(
            "/States/T".into(),
            NodeOverlay {
                mark: Mark::Caught,
                badge: "×3".into(),
                details: Vec::new(),
            },
        );
        let d = diagram().overlaid(&o);
        let labels: Vec<&str> = d.root.edges.iter().map(|e| e.label.as_str()).collect();
        assert_eq!(
            labels.iter().filter(|l| l.ends_with(" ×3")).count(),
            1,
            "{labels:?}"
        );
        assert!(labels.contains(&"Default"), "{labels:?}");
        let t = d.all_nodes().into_iter().find(|n| n.name == "T").cloned();
        assert_eq!(t.map(|n| n.tag()), Some("Lambda: Invoke · ×3".to_string()));
    }

    #[test]
    fn coverage_marks_counted_edges_uncovered_and_leaves_the_rest_plain() {
        let mut o = Overlay::new(OverlayKind::Coverage, "cov");
        o.count_edge("/States/C", EdgeKind::Default, 0);
        o.count_edge("/States/C", EdgeKind::Rule(0), 4);
        assert_eq!(
            o.edge_mark("/States/C", EdgeKind::Default),
            EdgeMark::Uncovered
        );
        assert_eq!(
            o.edge_mark("/States/C", EdgeKind::Rule(0)),
            EdgeMark::Taken(4)
        );
        assert_eq!(o.edge_mark("/States/P", EdgeKind::Next), EdgeMark::Plain);
        let d = diagram().overlaid(&o);
        let labels: Vec<&str> = d.root.edges.iter().map(|e| e.label.as_str()).collect();
        assert!(labels.contains(&"Default ×0"), "{labels:?}");
        assert!(
            labels.contains(&""),
            "edges to End stay unlabelled: {labels:?}"
        );
    }
}
