//! `--trace`: a compact, readable line per state on stderr as the execution runs.
//!
//! ```text
//!   TaskFailed                      Lambda.TooManyRequestsException: Rate exceeded
//! Task     CallService                6000.1ms  {"id":1} -> {"id":1,"receipt":"r-42"}  vars n=1
//! Task     Map[1]/Process                0.0ms  {"i":1} -> {"ok":true}
//! ```
//!
//! Concurrent branches and iterations interleave their events, so each state's visit is
//! followed by the chain of `previousEventId`s from its entered event, never by its name
//! alone, and states inside a Map iteration or a Parallel branch are labelled as `asl test`
//! names them (`Map[1]/Process`, `Fan[0]/Charge`).

use crate::data::timestamp::Instant;
use crate::engine::{Event, EventSink};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

pub struct Tracer {
    paths: Mutex<Paths>,
    /// Where the lines go: stderr, or a buffer (`asl test --trace` shows a failing case's).
    buffer: Option<Arc<Mutex<String>>>,
    /// Each Parallel branch's index by the name of its first state, when the definition is
    /// known ([`Tracer::for_machine`]). AWS's events do not name a branch and may start them
    /// in any order; without this a branch is numbered by the order its first event came.
    branch_of: HashMap<String, usize>,
}

/// A state being visited: when and with what it was entered, and its label.
struct Visit {
    at: Instant,
    input: String,
    label: String,
}

/// What the tracer knows of the paths under way, by event id.
#[derive(Default)]
struct Paths {
    /// The label prefix of the path an event belongs to (`Map[1]/`).
    prefix: HashMap<u64, String>,
    /// The visit an event belongs to (its state's entered event id).
    visit_of: HashMap<u64, u64>,
    visits: HashMap<u64, Visit>,
    /// Branches started so far under a `ParallelStateStarted` event, with the state's name.
    branches: HashMap<u64, (String, usize)>,
    /// Open visits by label, for the exits of Parallel and Map states, whose events do not
    /// chain back to their entered event.
    by_label: HashMap<String, Vec<u64>>,
    /// The path prefix each Map state was last entered on, by name: an iteration's start may
    /// chain to an event of a sibling iteration (moto's histories do), not to the Map.
    maps: HashMap<String, String>,
}

impl Paths {
    fn prefix_of(&self, id: u64) -> String {
        self.prefix.get(&id).cloned().unwrap_or_default()
    }
}

impl Tracer {
    pub fn new() -> Self {
        Tracer {
            paths: Mutex::new(Paths::default()),
            buffer: None,
            branch_of: HashMap::new(),
        }
    }

    /// A tracer that writes into `buffer` instead of stderr.
    pub fn into_buffer(buffer: Arc<Mutex<String>>) -> Self {
        Tracer {
            buffer: Some(buffer),
            ..Tracer::new()
        }
    }

    /// A tracer of events another engine wrote (AWS's, `run --remote`): Parallel branches
    /// are numbered by the definition (state names are unique in a machine), not by which
    /// branch's events came first.
    pub fn for_machine(machine: &crate::definition::StateMachine) -> Self {
        let mut branch_of = HashMap::new();
        for s in machine.root.all_states() {
            if let crate::definition::Kind::Parallel(p) = &s.kind {
                for (i, g) in p.branches.iter().enumerate() {
                    if let Some(first) = g.states.get(g.start) {
                        branch_of.insert(first.name.clone(), i);
                    }
                }
            }
        }
        Tracer {
            branch_of,
            ..Tracer::new()
        }
    }

    fn line(&self, line: std::fmt::Arguments) {
        match &self.buffer {
            Some(b) => {
                let mut b = b.lock().unwrap_or_else(|p| p.into_inner());
                let _ = writeln!(b, "{line}");
            }
            None => say!("{line}"),
        }
    }
}

fn short(s: &str) -> String {
    const MAX: usize = 120;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head}…")
    }
}

fn field<'a>(e: &'a Event, key: &str) -> Option<&'a str> {
    e.details
        .as_ref()
        .and_then(|(_, d)| d.get(key))
        .and_then(Value::as_str)
}

impl EventSink for Tracer {
    fn progress(&self, text: &str) {
        self.line(format_args!("  {text}"));
    }

    fn event(&self, e: &Event) {
        let kind = e.kind.as_str();
        let mut paths = self.paths.lock().unwrap_or_else(|p| p.into_inner());
        let prev = e.previous_event_id;
        // The path this event is on: a Map iteration and a Parallel branch open a new one.
        let prefix = match kind {
            "MapIterationStarted" => {
                let d = e.details.as_ref().map(|(_, d)| d);
                let name = d
                    .and_then(|d| d.get("name"))
                    .and_then(Value::as_str)
                    .unwrap_or("Map");
                let index = d
                    .and_then(|d| d.get("index"))
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                let mut outer = paths.prefix_of(prev);
                if let Some(map) = paths.maps.get(name)
                    && outer.starts_with(map.as_str())
                {
                    outer = map.clone();
                }
                format!("{outer}{name}[{index}]/")
            }
            _ if kind.ends_with("StateEntered") && paths.branches.contains_key(&prev) => {
                let outer = paths.prefix_of(prev);
                let (parallel, n) = match paths.branches.get_mut(&prev) {
                    Some(b) => {
                        b.1 += 1;
                        (b.0.clone(), b.1 - 1)
                    }
                    None => (String::new(), 0),
                };
                let n = field(e, "name")
                    .and_then(|name| self.branch_of.get(name).copied())
                    .unwrap_or(n);
                format!("{outer}{parallel}[{n}]/")
            }
            _ => paths.prefix_of(prev),
        };
        paths.prefix.insert(e.id, prefix.clone());
        if let Some(ty) = kind.strip_suffix("StateEntered") {
            let name = field(e, "name").unwrap_or_default().to_string();
            let input = field(e, "input").unwrap_or_default().to_string();
            let label = format!("{prefix}{name}");
            if ty == "Map" {
                paths.maps.insert(name.clone(), prefix.clone());
            }
            if ty == "Fail" {
                self.line(format_args!("{ty:<9}{label}"));
            }
            paths.visit_of.insert(e.id, e.id);
            paths.by_label.entry(label.clone()).or_default().push(e.id);
            paths.visits.insert(
                e.id,
                Visit {
                    at: e.timestamp,
                    input,
                    label,
                },
            );
            return;
        }
        let visit = paths.visit_of.get(&prev).copied();
        if let Some(v) = visit {
            paths.visit_of.insert(e.id, v);
        }
        if kind == "ParallelStateStarted" {
            let name = visit
                .and_then(|v| paths.visits.get(&v))
                .map(|v| v.label.rsplit('/').next().unwrap_or_default().to_string())
                .unwrap_or_default();
            paths.branches.insert(e.id, (name, 0));
        }
        if let Some(ty) = kind.strip_suffix("StateExited") {
            let name = field(e, "name").unwrap_or_default();
            let output = field(e, "output").unwrap_or_default();
            // By the chain of events; a Parallel or Map state's exit follows its last path's
            // events instead, so its name (labelled like its entry) finds it.
            let visit = visit
                .filter(|v| paths.visits.get(v).is_some_and(|x| x.label.ends_with(name)))
                .or_else(|| {
                    // The innermost enclosing path with an open visit of that name.
                    let mut cut = prefix.len();
                    loop {
                        let label = format!("{}{name}", &prefix[..cut]);
                        if let Some(v) = paths.by_label.get_mut(&label).and_then(Vec::pop) {
                            return Some(v);
                        }
                        if cut == 0 {
                            return None;
                        }
                        cut = prefix[..cut - 1].rfind('/').map_or(0, |i| i + 1);
                    }
                });
            let found = visit.and_then(|v| paths.visits.remove(&v));
            if let Some(f) = &found
                && let Some(open) = paths.by_label.get_mut(&f.label)
            {
                open.retain(|v| Some(*v) != visit);
            }
            let (at, input, label) = match found {
                Some(v) => (v.at, v.input, v.label),
                None => (e.timestamp, String::new(), format!("{prefix}{name}")),
            };
            // What follows the exit is on the exited state's path.
            let own = label[..label.len() - name.len().min(label.len())].to_string();
            paths.prefix.insert(e.id, own);
            drop(paths);
            let ms = (e.timestamp.0 - at.0) as f64 / 1e6;
            let vars = e
                .details
                .as_ref()
                .and_then(|(_, d)| d.get("assignedVariables"))
                .and_then(Value::as_object)
                .map(|vars| {
                    // History holds each value as JSON text: show `name=value`.
                    let shown: Vec<String> = vars
                        .iter()
                        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                        .collect();
                    format!("  vars {}", short(&shown.join(", ")))
                })
                .unwrap_or_default();
            self.line(format_args!(
                "{ty:<9}{label:<24} {ms:>8.1}ms  {} -> {}{vars}",
                short(&input),
                short(output)
            ));
            return;
        }
        drop(paths);
        if kind.ends_with("Failed") || kind.ends_with("TimedOut") {
            let error = field(e, "error").unwrap_or_default();
            let cause = field(e, "cause").unwrap_or_default();
            if cause.is_empty() {
                self.line(format_args!("  {kind:<31} {error}"));
            } else {
                self.line(format_args!("  {kind:<31} {error}: {}", short(cause)));
            }
        } else if kind == "ExecutionSucceeded" {
            self.line(format_args!("ExecutionSucceeded"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(id: u64, prev: u64, kind: &str, key: &str, d: Value) -> Event {
        Event {
            id,
            previous_event_id: prev,
            timestamp: Instant(0),
            kind: kind.into(),
            details: Some((key.into(), d)),
            shared: Vec::new(),
        }
    }

    /// moto chains a Map iteration's start to the previous iteration's last event, where AWS
    /// chains it to the Map's: either way the iteration is labelled `Each[1]/`, not
    /// `Each[0]/Each[1]/` (found running `asl run --remote` against moto).
    #[test]
    fn an_iteration_chained_to_its_sibling_is_labelled_by_its_map() {
        let out = Arc::new(Mutex::new(String::new()));
        let t = Tracer::into_buffer(out.clone());
        let entered = |id, prev, name: &str| {
            ev(
                id,
                prev,
                "PassStateEntered",
                "stateEnteredEventDetails",
                json!({"name": name, "input": "1"}),
            )
        };
        let exited = |id, prev, name: &str| {
            ev(
                id,
                prev,
                "PassStateExited",
                "stateExitedEventDetails",
                json!({"name": name, "output": "2"}),
            )
        };
        for e in [
            ev(
                2,
                1,
                "MapStateEntered",
                "stateEnteredEventDetails",
                json!({"name": "Each", "input": "[1,2]"}),
            ),
            ev(
                3,
                2,
                "MapStateStarted",
                "mapStateStartedEventDetails",
                json!({"length": 2}),
            ),
            ev(
                4,
                3,
                "MapIterationStarted",
                "mapIterationStartedEventDetails",
                json!({"name": "Each", "index": 0}),
            ),
            entered(5, 4, "Twice"),
            exited(6, 5, "Twice"),
            ev(
                7,
                6,
                "MapIterationStarted",
                "mapIterationStartedEventDetails",
                json!({"name": "Each", "index": 1}),
            ),
            entered(8, 7, "Twice"),
            exited(9, 8, "Twice"),
        ] {
            t.event(&e);
        }
        let text = out.lock().unwrap().clone();
        let labels: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split_whitespace().nth(1))
            .collect();
        assert_eq!(labels, ["Each[0]/Twice", "Each[1]/Twice"], "{text}");
    }

    /// AWS (and moto) may enter a later branch first: with the definition, each branch keeps
    /// its index; without it, branches are numbered as their events come (local runs start
    /// them in index order).
    #[test]
    fn branches_entered_out_of_order_keep_their_index_by_the_definition() {
        let def = json!({"StartAt": "Fan", "States": {"Fan": {"Type": "Parallel", "End": true,
            "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
                {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}]}}});
        let machine = crate::definition::load_owned(def)
            .machine
            .expect("a valid definition");
        let labels = |t: Tracer, out: Arc<Mutex<String>>| {
            let pass = |id, prev, kind: &str, name: &str| {
                let key = if kind.ends_with("Entered") {
                    "stateEnteredEventDetails"
                } else {
                    "stateExitedEventDetails"
                };
                ev(
                    id,
                    prev,
                    kind,
                    key,
                    json!({"name": name, "input": "{}", "output": "1"}),
                )
            };
            for e in [
                pass(2, 1, "ParallelStateEntered", "Fan"),
                ev(3, 2, "ParallelStateStarted", "x", json!({})),
                pass(4, 3, "PassStateEntered", "B"),
                pass(5, 4, "PassStateExited", "B"),
                pass(6, 3, "PassStateEntered", "A"),
                pass(7, 6, "PassStateExited", "A"),
            ] {
                t.event(&e);
            }
            let text = out.lock().unwrap().clone();
            text.lines()
                .filter_map(|l| l.split_whitespace().nth(1).map(str::to_string))
                .collect::<Vec<_>>()
        };
        let out = Arc::new(Mutex::new(String::new()));
        let t = Tracer {
            buffer: Some(out.clone()),
            ..Tracer::for_machine(&machine)
        };
        assert_eq!(labels(t, out), ["Fan[1]/B", "Fan[0]/A"]);
        let out = Arc::new(Mutex::new(String::new()));
        assert_eq!(
            labels(Tracer::into_buffer(out.clone()), out),
            ["Fan[0]/B", "Fan[1]/A"]
        );
    }
}
