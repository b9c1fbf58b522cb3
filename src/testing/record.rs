//! What one test execution did, state by state: the [`Recorder`] is the engine's
//! [`Probe`], and the [`Record`] it leaves answers the expectations and feeds coverage.
//!
//! Visits of concurrent paths arrive interleaved; the record puts them in a canonical order
//! that does not depend on scheduling: a path's visits in the order they happened, and after a
//! Parallel or Map visit the visits of its branches or iterations, by index. A visit inside a
//! branch or iteration is named by its *qualified name*: the qualified name of the Parallel
//! or Map visit, its index in brackets, `/`, then the state's name
//! (`Process[2]/Validate`, `Fan[1]/Inner[0]/Work`).

use super::coverage::Hit;
use super::payload::{Payload, Payloads};
use crate::definition::State;
use crate::engine::{Failure, Frame, Probe};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// One entry into a state.
#[derive(Debug, Clone)]
pub struct Visit {
    /// The probe's id of this visit (what a [`Frame::parent`] of its branches' visits quotes).
    pub id: u64,
    pub frame: Option<Frame>,
    pub name: String,
    /// The state's JSON pointer in the definition.
    pub pointer: String,
    pub kind: &'static str,
    /// Large inputs and outputs share their large members with other visits ([`Payload`]).
    pub input: Payload,
    pub output: Option<Payload>,
    /// The pointer of the state it handed on to.
    pub next: Option<String>,
    /// The variables visible after the state.
    pub variables: Option<Map<String, Value>>,
    /// The Choice rule taken (`Some(None)`: the Default).
    pub chose: Option<Option<usize>>,
    /// The effective input of each handler call, in order.
    pub calls: Vec<Value>,
    /// `(rule, error)` of each retry.
    pub retries: Vec<(usize, String)>,
    /// The Retry rule that matched with no attempts left.
    pub exhausted: Option<usize>,
    /// `(clause, error)` of the Catch clause that caught.
    pub caught: Option<(usize, String)>,
    /// The cause of the error the Catch clause caught.
    pub caught_cause: Option<String>,
    /// The failure that left the state uncaught.
    pub failed: Option<Failure>,
}

/// The engine's probe for one execution.
#[derive(Default)]
pub struct Recorder {
    visits: Mutex<Vec<Visit>>,
    payloads: Mutex<Payloads>,
}

impl Recorder {
    fn with(&self, visit: u64, f: impl FnOnce(&mut Visit)) {
        let mut v = self.visits.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(x) = (visit as usize).checked_sub(1).and_then(|i| v.get_mut(i)) {
            f(x);
        }
    }

    /// The record, in canonical order.
    pub fn finish(&self) -> Record {
        let visits = std::mem::take(&mut *self.visits.lock().unwrap_or_else(|p| p.into_inner()));
        Record::new(visits)
    }
}

impl Probe for Recorder {
    fn entered(&self, frame: Option<Frame>, state: &State, input: &Value) -> u64 {
        let input = self
            .payloads
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keep(input);
        let mut v = self.visits.lock().unwrap_or_else(|p| p.into_inner());
        let id = v.len() as u64 + 1;
        v.push(Visit {
            id,
            frame,
            name: state.name.clone(),
            pointer: state.pointer.clone(),
            kind: state.kind.type_name(),
            input,
            output: None,
            next: None,
            variables: None,
            chose: None,
            calls: Vec::new(),
            retries: Vec::new(),
            exhausted: None,
            caught: None,
            caught_cause: None,
            failed: None,
        });
        v.len() as u64
    }
    fn chose(&self, visit: u64, rule: Option<usize>) {
        self.with(visit, |v| v.chose = Some(rule));
    }
    fn called(&self, visit: u64, input: &Value) {
        self.with(visit, |v| v.calls.push(input.clone()));
    }
    fn retried(&self, visit: u64, rule: usize, failure: &Failure) {
        self.with(visit, |v| v.retries.push((rule, failure.error.clone())));
    }
    fn exhausted(&self, visit: u64, rule: usize, _failure: &Failure) {
        self.with(visit, |v| v.exhausted = Some(rule));
    }
    fn caught(&self, visit: u64, clause: usize, failure: &Failure) {
        self.with(visit, |v| {
            v.caught = Some((clause, failure.error.clone()));
            v.caught_cause = failure.cause.clone();
        });
    }
    fn exited(
        &self,
        visit: u64,
        output: &Value,
        next: Option<&State>,
        variables: &[(&str, &Value)],
    ) {
        let output = self
            .payloads
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keep(output);
        self.with(visit, |v| {
            v.output = Some(output);
            v.next = next.map(|s| s.pointer.clone());
            v.variables = Some(
                variables
                    .iter()
                    .map(|(k, x)| (k.to_string(), (*x).clone()))
                    .collect(),
            );
        });
    }
    fn failed(&self, visit: u64, failure: &Failure) {
        self.with(visit, |v| v.failed = Some(failure.clone()));
    }
}

/// A finished execution's visits in canonical order, each with its qualified name.
#[derive(Debug, Clone, Default)]
pub struct Record {
    /// `(qualified name, visit)` in canonical order.
    pub visits: Vec<(String, Visit)>,
}

impl Record {
    fn new(visits: Vec<Visit>) -> Record {
        // Children of each visit by index, in the order they happened.
        let mut children: BTreeMap<(u64, usize), Vec<usize>> = BTreeMap::new();
        let mut top = Vec::new();
        for (i, v) in visits.iter().enumerate() {
            match v.frame {
                Some(f) => children.entry((f.parent, f.index)).or_default().push(i),
                None => top.push(i),
            }
        }
        let mut order = Vec::with_capacity(visits.len());
        fn walk(
            ids: &[usize],
            prefix: &str,
            visits: &[Visit],
            children: &BTreeMap<(u64, usize), Vec<usize>>,
            order: &mut Vec<(String, usize)>,
        ) {
            for &i in ids {
                let name = format!("{prefix}{}", visits[i].name);
                let id = i as u64 + 1;
                order.push((name.clone(), i));
                for ((_, index), kids) in children.range((id, 0)..=(id, usize::MAX)) {
                    walk(kids, &format!("{name}[{index}]/"), visits, children, order);
                }
            }
        }
        walk(&top, "", &visits, &children, &mut order);
        let mut slots: Vec<Option<Visit>> = visits.into_iter().map(Some).collect();
        Record {
            visits: order
                .into_iter()
                .filter_map(|(name, i)| slots[i].take().map(|v| (name, v)))
                .collect(),
        }
    }

    /// The qualified names of the states entered, in canonical order.
    pub fn path(&self) -> Vec<String> {
        self.visits.iter().map(|(n, _)| n.clone()).collect()
    }

    /// The states entered outside any Map iteration or Parallel branch, in order.
    pub fn top_level_path(&self) -> Vec<String> {
        self.visits
            .iter()
            .filter(|(_, v)| v.frame.is_none())
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// The visits a name selects: a plain state name selects every visit of that state
    /// wherever it runs; a qualified name (`Map[1]/Work`) the visits with that qualified name.
    pub fn select<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a (String, Visit)> + 'a {
        let qualified = name.contains('[') && self.visits.iter().any(|(q, _)| q == name);
        self.visits.iter().filter(
            move |(q, v)| {
                if qualified { q == name } else { v.name == name }
            },
        )
    }

    /// The qualified names entered inside branch or iteration `index` of the visits `of`
    /// selects, relative to it (`Work`, `Inner[0]/Work`).
    pub fn inner_path(&self, of: &str, index: usize) -> Vec<String> {
        let mut out = Vec::new();
        for (q, _) in self.select(of) {
            let prefix = format!("{q}[{index}]/");
            for (n, _) in &self.visits {
                if let Some(rest) = n.strip_prefix(&prefix) {
                    out.push(rest.to_string());
                }
            }
        }
        out
    }

    /// How many branches or iterations the visits `of` selects started.
    pub fn iterations(&self, of: &str) -> usize {
        let mut n = 0;
        for (q, _) in self.select(of) {
            let prefix = format!("{q}[");
            let mut seen = std::collections::BTreeSet::new();
            for (name, _) in &self.visits {
                if let Some(rest) = name.strip_prefix(&prefix)
                    && let Some((index, _)) = rest.split_once("]/")
                    && !index.contains('/')
                {
                    seen.insert(index.to_string());
                }
            }
            n += seen.len();
        }
        n
    }

    /// What coverage counts of this execution.
    pub fn hits(&self) -> Vec<Hit> {
        let mut hits = Vec::new();
        for (_, v) in &self.visits {
            let state = v.pointer.clone();
            hits.push(Hit::State {
                state: state.clone(),
            });
            if let Some(to) = &v.next {
                hits.push(Hit::Edge {
                    from: state.clone(),
                    to: to.clone(),
                });
            }
            if let Some(rule) = v.chose {
                hits.push(Hit::Choice {
                    state: state.clone(),
                    rule,
                });
            }
            if let Some((clause, _)) = v.caught {
                hits.push(Hit::Catch {
                    state: state.clone(),
                    clause,
                });
            }
            if let Some(rule) = v.exhausted {
                hits.push(Hit::RetryExhausted {
                    state: state.clone(),
                    rule,
                });
            }
            // A retry recovered when a later attempt succeeded: the state left normally,
            // not through a Catch and not failing.
            let succeeded = v.output.is_some() && v.caught.is_none() && v.failed.is_none();
            if succeeded {
                let mut rules: Vec<usize> = v.retries.iter().map(|(r, _)| *r).collect();
                rules.dedup();
                for rule in rules {
                    hits.push(Hit::RetryRecovered {
                        state: state.clone(),
                        rule,
                    });
                }
            }
        }
        // Branches and iterations: a frame under a visit of a Parallel or Map state.
        let owners: std::collections::HashMap<&str, &Visit> = self
            .visits
            .iter()
            .filter(|(_, v)| matches!(v.kind, "Parallel" | "Map"))
            .map(|(q, v)| (q.as_str(), v))
            .collect();
        let mut seen = std::collections::HashSet::new();
        for (q, _) in &self.visits {
            let Some((parent, _)) = q.rsplit_once("]/") else {
                continue;
            };
            let Some((owner, index)) = parent.rsplit_once('[') else {
                continue;
            };
            let Some(owner_visit) = owners.get(owner) else {
                continue;
            };
            let branch = match owner_visit.kind {
                "Parallel" => index.parse().unwrap_or(0),
                _ => 0,
            };
            if seen.insert((owner_visit.pointer.as_str(), branch)) {
                hits.push(Hit::Branch {
                    state: owner_visit.pointer.clone(),
                    branch,
                });
            }
        }
        hits
    }

    /// The record as JSON, for `assertions`: `{"path": [...], "states": {qualified name:
    /// {"input", "output", "variables", "calls", "retries", "caught", "error", "cause"}}}`.
    pub fn to_json(&self) -> Value {
        let mut states = Map::new();
        for (q, v) in &self.visits {
            let mut m = Map::new();
            m.insert("name".into(), json!(v.name));
            m.insert("type".into(), json!(v.kind));
            m.insert("input".into(), v.input.value());
            if let Some(o) = &v.output {
                m.insert("output".into(), o.value());
            }
            if let Some(vars) = &v.variables {
                m.insert("variables".into(), Value::Object(vars.clone()));
            }
            if !v.calls.is_empty() {
                m.insert("calls".into(), Value::Array(v.calls.clone()));
            }
            if !v.retries.is_empty() {
                m.insert(
                    "retries".into(),
                    v.retries
                        .iter()
                        .map(|(r, e)| json!({"rule": r, "error": e}))
                        .collect(),
                );
            }
            if let Some((c, e)) = &v.caught {
                m.insert("caught".into(), json!({"clause": c, "error": e}));
            }
            if let Some(f) = &v.failed {
                m.insert("error".into(), json!(f.error));
                m.insert("cause".into(), json!(f.cause));
            }
            // A state entered more than once keeps its visits as a list.
            match states.get_mut(q) {
                Some(Value::Array(list)) => list.push(Value::Object(m)),
                Some(first) => {
                    let prev = first.take();
                    *first = json!([prev, Value::Object(m)]);
                }
                None => {
                    states.insert(q.clone(), Value::Object(m));
                }
            }
        }
        json!({"path": self.path(), "states": states})
    }
}
