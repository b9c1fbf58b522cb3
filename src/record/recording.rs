//! Attribution: a [`History`]'s events laid out as the execution's structure, a
//! [`Recording`] of paths, state visits and Task calls.
//!
//! AWS writes the events of concurrent Map iterations and Parallel branches interleaved, as
//! they happened. Each event names the event before it on its own path (`previousEventId`),
//! so the events are read in id order and each is put on the path of its previous event,
//! except where a path begins or a fan-out ends:
//!
//! - `MapIterationStarted` (its details name the Map and the index) begins an iteration of
//!   the nearest enclosing Map visit with a running fan-out of that name;
//! - a state entered right after `ParallelStateStarted` begins a branch of that Parallel;
//!   its index is the branch whose `StartAt` is that state, else (a branch a redrive picks
//!   up at a later state) the branch that holds it (the definition says which);
//! - `MapStateStarted` / `ParallelStateStarted` and their ends belong to the Map or
//!   Parallel visit itself, whichever path their previous event is on: AWS chains a
//!   retried fan-out's start, and a fan-out's end, to the last event of one of its
//!   iterations or branches.
//!
//! A redriven execution (`ExecutionRedriven`) continues: a state re-entered after the redrive
//! replaces its unfinished visit from before it, and a re-run Map or Parallel keeps the
//! iterations and branches it does not run again; a branch or iteration re-entered at the
//! state it had not finished continues its path from before the redrive.

use super::event::{Detail, Family, Fan, Payload};
use super::history::History;
use crate::data::timestamp::Instant;
use crate::definition::{Kind, StateMachine};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// How a recorded call ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Return {
        event: u64,
        output: Payload,
    },
    Throw {
        event: u64,
        error: Option<String>,
        cause: Option<String>,
    },
}

/// One call of a Task state (one attempt).
#[derive(Debug, Clone)]
pub struct Call {
    /// The `*Scheduled` event.
    pub scheduled: u64,
    pub family: Family,
    pub resource_type: Option<String>,
    pub resource: String,
    pub parameters: Payload,
    /// `TaskSubmitted` answers (a `.sync` job's submission), in order.
    pub submitted: Vec<Payload>,
    /// `None`: the record ends before the call did (a sibling's failure aborted it, or the
    /// execution ended).
    pub answer: Option<Answer>,
    /// No event scheduled it: the state failed on AWS before it could call (its parameters
    /// could not start the task, the activity does not exist), and that failure stands for
    /// the call, so a run fails there as the execution did.
    pub before_calling: bool,
}

/// A Map or Parallel visit's fan-out: one per attempt (a retried Map starts again).
#[derive(Debug, Clone)]
pub struct FanOut {
    pub fan: Fan,
    /// The `MapStateStarted` / `ParallelStateStarted` event.
    pub started: u64,
    /// Iteration or branch index -> its path. A Distributed Map run's children are its
    /// child executions, numbered as they started on AWS until a replay matches them to its
    /// iterations by their input ([`Recording::reindex`]).
    pub children: BTreeMap<usize, usize>,
    /// The Distributed Map run this fan-out started (`MapRunStarted`'s `mapRunArn`).
    pub map_run_arn: Option<String>,
    running: bool,
}

/// One entry into a state.
#[derive(Debug, Clone)]
pub struct Visit {
    pub path: usize,
    pub name: String,
    /// `Task`, `Map`, `Pass`, ... (from `<Type>StateEntered`).
    pub state_type: String,
    /// The `*StateEntered` event.
    pub entered: u64,
    pub input: Payload,
    pub calls: Vec<Call>,
    pub fanouts: Vec<FanOut>,
    /// The `*StateExited` event and the output; `None` when the state failed (or the record
    /// ends inside it).
    pub exited: Option<(u64, Payload)>,
    /// A Distributed Map visit: its iterations ran as child executions, outside this history.
    pub map_run: bool,
    /// The visit from before a redrive that this one replaces.
    replaces: Option<usize>,
}

/// Where a path begins: branch or iteration `index` of attempt `attempt` of the Map or
/// Parallel visit `visit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parent {
    pub visit: usize,
    pub attempt: usize,
    pub index: usize,
}

/// The top level, a Parallel branch or a Map iteration: its visits in order.
#[derive(Debug, Clone, Default)]
pub struct Path {
    pub visits: Vec<usize>,
    pub parent: Option<Parent>,
    /// A Distributed Map run's child execution: its input (the item or batch), by which a
    /// replay matches it to an iteration.
    pub input: Option<serde_json::Value>,
}

/// How the recorded execution ended.
#[derive(Debug, Clone, PartialEq)]
pub struct End {
    pub event: u64,
    /// `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`.
    pub status: &'static str,
    pub output: Payload,
    pub error: Option<String>,
    pub cause: Option<String>,
}

/// An execution as its history tells it.
///
/// Invariants: path 0 is the top level; every path but 0 has a parent whose visit is a Map
/// or Parallel visit with that fan-out attempt; a path's visits are in the order they
/// happened; visits replaced by a redrive are in no path.
#[derive(Debug, Clone)]
pub struct Recording {
    pub paths: Vec<Path>,
    pub visits: Vec<Visit>,
    pub input: Payload,
    pub role_arn: Option<String>,
    /// `ExecutionStarted`'s time.
    pub start: Option<Instant>,
    /// `None`: the history ends while the execution runs.
    pub end: Option<End>,
    pub execution_arn: Option<String>,
    pub state_machine_arn: Option<String>,
    /// The region of the first service integration call, if any.
    pub task_region: Option<String>,
    /// The seed of the recorded run's random draws, when `asl` wrote the history.
    pub seed: Option<u64>,
    /// What the record cannot tell (Distributed Map runs, events out of place), for people.
    pub notes: Vec<String>,
}

impl Recording {
    /// Lays `history` out; `machine` tells which branch a Parallel branch's first state
    /// begins (without it, or when it does not say, branches are numbered as they appear).
    pub fn attribute(history: &History, machine: Option<&StateMachine>) -> Recording {
        let mut starts: HashMap<&str, Vec<Branch>> = HashMap::new();
        if let Some(m) = machine {
            for s in m.root.all_states() {
                if let Kind::Parallel(p) = &s.kind {
                    starts.insert(
                        s.name.as_str(),
                        p.branches
                            .iter()
                            .map(|g| Branch {
                                start: g.states[g.start].name.as_str(),
                                holds: g.states.iter().map(|s| s.name.as_str()).collect(),
                            })
                            .collect(),
                    );
                }
            }
        }
        let mut a = Attributor {
            rec: Recording {
                paths: vec![Path::default()],
                visits: Vec::new(),
                input: Payload::Absent,
                role_arn: None,
                start: None,
                end: None,
                execution_arn: history.execution_arn.clone(),
                state_machine_arn: history.state_machine_arn.clone(),
                task_region: None,
                seed: history.seed,
                notes: Vec::new(),
            },
            path_of: HashMap::new(),
            redriven: false,
        };
        for e in &history.events {
            let p = a.path_of.get(&e.previous).copied().unwrap_or(0);
            let prev_detail = history.get(e.previous).map(|x| &x.detail);
            let at = match &e.detail {
                Detail::ExecutionStarted {
                    input, role_arn, ..
                } => {
                    a.rec.input = input.clone();
                    a.rec.role_arn = role_arn.clone();
                    a.rec.start = e.timestamp;
                    0
                }
                Detail::ExecutionSucceeded { output } => {
                    a.rec.end = Some(End {
                        event: e.id,
                        status: "SUCCEEDED",
                        output: output.clone(),
                        error: None,
                        cause: None,
                    });
                    p
                }
                Detail::ExecutionEnded {
                    status,
                    error,
                    cause,
                } => {
                    // A Task state that failed the execution before it called.
                    if let Some(v) = a.current(p)
                        && *status == "FAILED"
                        && history
                            .get(e.previous)
                            .is_some_and(|x| x.id == a.rec.visits[v].entered)
                        && a.rec.visits[v].state_type == "Task"
                        && a.rec.visits[v].calls.is_empty()
                    {
                        a.rec.visits[v].calls.push(Call {
                            scheduled: e.id,
                            family: Family::Task,
                            resource_type: None,
                            resource: String::new(),
                            parameters: Payload::Absent,
                            submitted: Vec::new(),
                            answer: Some(Answer::Throw {
                                event: e.id,
                                error: error.clone(),
                                cause: cause.clone(),
                            }),
                            before_calling: true,
                        });
                    }
                    a.rec.end = Some(End {
                        event: e.id,
                        status,
                        output: Payload::Absent,
                        error: error.clone(),
                        cause: cause.clone(),
                    });
                    p
                }
                Detail::ExecutionRedriven => {
                    a.rec.end = None;
                    a.redriven = true;
                    p
                }
                Detail::StateEntered {
                    state_type,
                    name,
                    input,
                } => {
                    let path = match prev_detail {
                        Some(Detail::FanStarted(Fan::Parallel)) => a.branch(p, name, &starts),
                        _ => p,
                    };
                    a.enter(path, e.id, state_type, name, input);
                    path
                }
                Detail::StateExited { name, output } => {
                    let at = a
                        .climb(p, |r, v| {
                            r.visits[v].name == *name && r.visits[v].exited.is_none()
                        })
                        .unwrap_or(p);
                    if let Some(v) = a.current(at) {
                        a.rec.visits[v].exited = Some((e.id, output.clone()));
                    }
                    at
                }
                Detail::FanStarted(fan) => {
                    let ty = fan_type(*fan);
                    let at = a
                        .climb(p, |r, v| {
                            let v = &r.visits[v];
                            // A first start, or a retry: AWS starts a retried fan-out
                            // again without ending the one that failed.
                            v.state_type == ty
                                && v.exited.is_none()
                                && v.fanouts.last().is_none_or(|f| f.running)
                        })
                        .unwrap_or(p);
                    match a.current(at) {
                        Some(v) => {
                            if let Some(f) = a.rec.visits[v].fanouts.last_mut() {
                                f.running = false;
                            }
                            a.rec.visits[v].fanouts.push(FanOut {
                                fan: *fan,
                                started: e.id,
                                children: BTreeMap::new(),
                                map_run_arn: None,
                                running: true,
                            })
                        }
                        None => a.note(format!(
                            "event {} (`{}`) has no Map or Parallel state to belong to",
                            e.id, e.kind
                        )),
                    }
                    at
                }
                Detail::FanEnded(fan) => {
                    let at = a.climb(p, |r, v| {
                        r.visits[v]
                            .fanouts
                            .last()
                            .is_some_and(|f| f.running && f.fan == *fan)
                    });
                    match at.and_then(|x| a.current(x)) {
                        Some(v) => {
                            if let Some(f) = a.rec.visits[v].fanouts.last_mut() {
                                f.running = false;
                            }
                        }
                        None => a.note(format!(
                            "event {} (`{}`) ends no running {} state",
                            e.id,
                            e.kind,
                            fan_type(*fan)
                        )),
                    }
                    at.unwrap_or(p)
                }
                Detail::IterationStarted { map, index } => {
                    let owner = a.climb(p, |r, v| {
                        let v = &r.visits[v];
                        v.name == *map
                            && v.fanouts
                                .last()
                                .is_some_and(|f| f.running && f.fan == Fan::Map)
                    });
                    match owner {
                        Some(o) => a.child(o, *index),
                        None => {
                            a.note(format!(
                                "event {} (`MapIterationStarted` of `{map}`) has no running Map `{map}` to belong to",
                                e.id
                            ));
                            p
                        }
                    }
                }
                Detail::Scheduled {
                    family,
                    resource_type,
                    resource,
                    parameters,
                    region,
                } => {
                    if a.rec.task_region.is_none() {
                        a.rec.task_region = region.clone().filter(|r| !r.is_empty());
                    }
                    match a.current(p) {
                        Some(v) => a.rec.visits[v].calls.push(Call {
                            scheduled: e.id,
                            family: *family,
                            resource_type: resource_type.clone(),
                            resource: resource.clone(),
                            parameters: parameters.clone(),
                            submitted: Vec::new(),
                            answer: None,
                            before_calling: false,
                        }),
                        None => a.note(format!(
                            "event {} (`{}`) has no Task state to belong to",
                            e.id, e.kind
                        )),
                    }
                    p
                }
                Detail::Submitted { output } => {
                    if let Some(c) = a.last_call(p) {
                        c.submitted.push(output.clone());
                    }
                    p
                }
                Detail::Succeeded { output, .. } => {
                    if let Some(c) = a.last_call(p) {
                        c.answer = Some(Answer::Return {
                            event: e.id,
                            output: output.clone(),
                        });
                    }
                    p
                }
                Detail::Failed { error, cause, .. } => {
                    if let Some(c) = a.last_call(p) {
                        c.answer = Some(Answer::Throw {
                            event: e.id,
                            error: error.clone(),
                            cause: cause.clone(),
                        });
                    }
                    p
                }
                Detail::MapRunStarted { arn } => {
                    if let Some(v) = a.current(p) {
                        a.rec.visits[v].map_run = true;
                        if let Some(f) = a.rec.visits[v].fanouts.last_mut() {
                            f.map_run_arn = arn.clone();
                        }
                    }
                    p
                }
                Detail::IterationEnded { .. } | Detail::Other => p,
            };
            a.path_of.insert(e.id, at);
        }
        a.inherit();
        a.adopt(history, machine);
        a.rec
    }

    /// Renumbers the child executions of every Distributed Map run: `assigned` gives, for a
    /// child's path, the iteration it answered in a replay (matched by input); children no
    /// iteration matched are dropped from their run (no run of the definition reaches them).
    pub fn reindex(&mut self, assigned: &HashMap<usize, usize>) {
        for v in 0..self.visits.len() {
            if !self.visits[v].map_run {
                continue;
            }
            for f in 0..self.visits[v].fanouts.len() {
                let old = std::mem::take(&mut self.visits[v].fanouts[f].children);
                let mut new = BTreeMap::new();
                for path in old.into_values() {
                    if let Some(&index) = assigned.get(&path) {
                        if let Some(par) = self.paths[path].parent.as_mut() {
                            par.index = index;
                        }
                        new.insert(index, path);
                    }
                }
                self.visits[v].fanouts[f].children = new;
            }
        }
    }

    /// The visits in canonical order, with their qualified names (`Map[2]/State`): a
    /// path's visits as they happened, and after a Map or Parallel visit its iterations or
    /// branches by index (`asl test`'s order).
    pub fn canonical(&self) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        self.walk(0, "", &mut out);
        out
    }

    fn walk(&self, path: usize, prefix: &str, out: &mut Vec<(String, usize)>) {
        for &v in &self.paths[path].visits {
            let q = format!("{prefix}{}", self.visits[v].name);
            out.push((q.clone(), v));
            let indices: BTreeSet<usize> = self.visits[v]
                .fanouts
                .iter()
                .flat_map(|f| f.children.keys().copied())
                .collect();
            for i in indices {
                for f in &self.visits[v].fanouts {
                    if let Some(&c) = f.children.get(&i) {
                        self.walk(c, &format!("{q}[{i}]/"), out);
                    }
                }
            }
        }
    }

    /// The qualified name of a visit (`Map[2]/State`).
    pub fn qualified(&self, visit: usize) -> String {
        let v = &self.visits[visit];
        match self.paths[v.path].parent {
            Some(p) => format!("{}[{}]/{}", self.qualified(p.visit), p.index, v.name),
            None => v.name.clone(),
        }
    }

    /// Whether the record ends inside `path` without it having finished: its last visit
    /// failed, was cut off, or the record has none. A run that goes on there is past the end
    /// of the record, not against it.
    pub fn ends_open(&self, path: usize) -> bool {
        match self.paths[path].visits.last() {
            None => true,
            Some(&v) => self.visits[v].exited.is_none(),
        }
    }

    /// Every recorded call in canonical order: `(visit, call index)`.
    pub fn calls(&self) -> Vec<(usize, usize)> {
        self.canonical()
            .into_iter()
            .flat_map(|(_, v)| (0..self.visits[v].calls.len()).map(move |c| (v, c)))
            .collect()
    }
}

/// The names an execution's ARNs give: `arn:PARTITION:states:REGION:ACCOUNT:execution:MACHINE:NAME`
/// (`express:MACHINE:NAME:ID` for Express) and `...:stateMachine:MACHINE[:VERSION]`; without
/// them, the account of the role and the region of the Task calls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    pub execution: Option<String>,
    pub state_machine: Option<String>,
    pub region: Option<String>,
    pub account: Option<String>,
}

impl Recording {
    /// What the record's ARNs say of names, region and account.
    pub fn names(&self) -> Names {
        let mut n = Names::default();
        let parts = |arn: &str| -> Vec<String> { arn.split(':').map(str::to_string).collect() };
        if let Some(arn) = &self.state_machine_arn {
            let p = parts(arn);
            if p.len() >= 7 && p[0] == "arn" && p[5] == "stateMachine" {
                n.region = Some(p[3].clone()).filter(|s| !s.is_empty());
                n.account = Some(p[4].clone()).filter(|s| !s.is_empty());
                n.state_machine = Some(p[6].clone());
            }
        }
        if let Some(arn) = &self.execution_arn {
            let p = parts(arn);
            if p.len() >= 8 && p[0] == "arn" && (p[5] == "execution" || p[5] == "express") {
                n.region = Some(p[3].clone()).filter(|s| !s.is_empty()).or(n.region);
                n.account = Some(p[4].clone()).filter(|s| !s.is_empty()).or(n.account);
                n.state_machine.get_or_insert_with(|| p[6].clone());
                n.execution = Some(p[7].clone());
            }
        }
        // Without ARNs: the account of the execution's role, the region of its calls.
        if n.account.is_none()
            && let Some(role) = &self.role_arn
        {
            let p = parts(role);
            if p.len() >= 6 && p[0] == "arn" && p[2] == "iam" && !p[4].is_empty() {
                n.account = Some(p[4].clone());
            }
        }
        if n.region.is_none() {
            n.region = self.task_region.clone();
        }
        n
    }
}

/// The state type whose visits run a fan-out.
fn fan_type(f: Fan) -> &'static str {
    match f {
        Fan::Map => "Map",
        Fan::Parallel => "Parallel",
    }
}

/// A Parallel's branch as the definition gives it: its first state and the states of its
/// own graph.
struct Branch<'a> {
    start: &'a str,
    holds: Vec<&'a str>,
}

/// The attribution in progress.
struct Attributor {
    rec: Recording,
    /// Each event's path.
    path_of: HashMap<u64, usize>,
    redriven: bool,
}

impl Attributor {
    fn note(&mut self, n: String) {
        self.rec.notes.push(n);
    }

    /// The last visit of `path`.
    fn current(&self, path: usize) -> Option<usize> {
        self.rec.paths[path].visits.last().copied()
    }

    fn last_call(&mut self, path: usize) -> Option<&mut Call> {
        let v = self.current(path)?;
        self.rec.visits[v].calls.last_mut()
    }

    /// The nearest path from `path` up through its parents whose last visit satisfies `ok`.
    fn climb(&self, path: usize, ok: impl Fn(&Recording, usize) -> bool) -> Option<usize> {
        let mut at = Some(path);
        while let Some(p) = at {
            if let Some(v) = self.current(p)
                && ok(&self.rec, v)
            {
                return Some(p);
            }
            at = self.rec.paths[p]
                .parent
                .map(|par| self.rec.visits[par.visit].path);
        }
        None
    }

    /// A new path: iteration or branch `index` of the running fan-out of `owner`'s last
    /// visit (the next free index if that one is taken).
    fn child(&mut self, owner: usize, index: usize) -> usize {
        let Some(v) = self.current(owner) else {
            return owner;
        };
        let attempt = self.rec.visits[v].fanouts.len().saturating_sub(1);
        let id = self.rec.paths.len();
        let Some(f) = self.rec.visits[v].fanouts.last_mut() else {
            return owner;
        };
        let mut index = index;
        while f.children.contains_key(&index) {
            index += 1;
        }
        f.children.insert(index, id);
        self.rec.paths.push(Path {
            visits: Vec::new(),
            parent: Some(Parent {
                visit: v,
                attempt,
                index,
            }),
            input: None,
        });
        id
    }

    /// The branch that begins with state `first` (or, picked up by a redrive, holds it), of
    /// the Parallel visit last on `owner`.
    fn branch(&mut self, owner: usize, first: &str, starts: &HashMap<&str, Vec<Branch>>) -> usize {
        let Some(v) = self.current(owner) else {
            return owner;
        };
        let taken: Vec<usize> = self.rec.visits[v]
            .fanouts
            .last()
            .map(|f| f.children.keys().copied().collect())
            .unwrap_or_default();
        let index = starts
            .get(self.rec.visits[v].name.as_str())
            .and_then(|branches| {
                let free = |i: &usize| !taken.contains(i);
                (0..branches.len())
                    .find(|i| free(i) && branches[*i].start == first)
                    .or_else(|| {
                        (0..branches.len()).find(|i| free(i) && branches[*i].holds.contains(&first))
                    })
            })
            .unwrap_or_else(|| (0..).find(|i| !taken.contains(i)).unwrap_or(0));
        self.child(owner, index)
    }

    /// A state entered on `path`.
    fn enter(&mut self, path: usize, event: u64, state_type: &str, name: &str, input: &Payload) {
        let mut replaces = None;
        if self.redriven && self.rec.paths[path].visits.is_empty() {
            self.continue_branch(path, name);
        }
        if self.redriven
            && let Some(last) = self.current(path)
            && self.rec.visits[last].name == name
            && self.rec.visits[last].exited.is_none()
        {
            // Re-entered after the redrive: this visit replaces the unfinished one.
            self.rec.paths[path].visits.pop();
            replaces = Some(last);
        }
        let id = self.rec.visits.len();
        self.rec.visits.push(Visit {
            path,
            name: name.to_string(),
            state_type: state_type.to_string(),
            entered: event,
            input: input.clone(),
            calls: Vec::new(),
            fanouts: Vec::new(),
            exited: None,
            map_run: false,
            replaces,
        });
        self.rec.paths[path].visits.push(id);
    }

    /// A branch or iteration a redrive picks up at the state it had not finished: its first
    /// visit since the redrive continues the path it had before, whose visits it takes (the
    /// unfinished one is then replaced, by [`Attributor::enter`]), so the path reads as one
    /// and a later redrive still sees what it did before the first.
    fn continue_branch(&mut self, path: usize, name: &str) {
        let Some(par) = self.rec.paths[path].parent else {
            return;
        };
        let Some(old) = self.rec.visits[par.visit].replaces else {
            return;
        };
        let Some(&before) = self.rec.visits[old]
            .fanouts
            .last()
            .and_then(|f| f.children.get(&par.index))
        else {
            return;
        };
        let picks_up = before != path
            && self.current(before).is_some_and(|v| {
                self.rec.visits[v].name == name && self.rec.visits[v].exited.is_none()
            });
        if !picks_up {
            return;
        }
        let visits = std::mem::take(&mut self.rec.paths[before].visits);
        for &v in &visits {
            self.rec.visits[v].path = path;
        }
        self.rec.paths[path].visits = visits;
    }

    /// The child executions of Distributed Map runs, each attributed on its own and grafted
    /// in as an iteration of the fan-out whose run it belongs to (by `mapRunArn`; a child
    /// without one belongs to the record's only run), in the order they started.
    fn adopt(&mut self, history: &History, machine: Option<&StateMachine>) {
        let mut children: Vec<&super::history::MapRunExecution> =
            history.map_run_executions.iter().collect();
        children.sort_by_key(|c| c.history.events.first().and_then(|e| e.timestamp));
        let runs: Vec<(usize, usize)> = (0..self.rec.visits.len())
            .filter(|&v| self.rec.visits[v].map_run)
            .flat_map(|v| {
                let fanouts = &self.rec.visits[v].fanouts;
                (0..fanouts.len())
                    .filter(move |&f| fanouts[f].map_run_arn.is_some())
                    .map(move |f| (v, f))
            })
            .collect();
        for child in children {
            let name = child
                .history
                .execution_arn
                .clone()
                .unwrap_or_else(|| "a child execution".into());
            let owner = match &child.map_run_arn {
                Some(arn) => runs
                    .iter()
                    .find(|(v, f)| {
                        self.rec.visits[*v].fanouts[*f].map_run_arn.as_deref() == Some(arn)
                    })
                    .copied(),
                None if runs.len() == 1 => Some(runs[0]),
                None => None,
            };
            let Some((v, f)) = owner else {
                self.note(format!(
                    "{name} belongs to no Distributed Map run of this history{}: it is left out",
                    child
                        .map_run_arn
                        .as_ref()
                        .map(|a| format!(" (its map run is {a})"))
                        .unwrap_or_default()
                ));
                continue;
            };
            let sub = Recording::attribute(&child.history, machine);
            self.rec
                .notes
                .extend(sub.notes.iter().map(|n| format!("{name}: {n}")));
            let (dp, dv) = (self.rec.paths.len(), self.rec.visits.len());
            let index = (0..)
                .find(|i| !self.rec.visits[v].fanouts[f].children.contains_key(i))
                .unwrap_or(0);
            self.rec.visits[v].fanouts[f].children.insert(index, dp);
            for (i, path) in sub.paths.into_iter().enumerate() {
                self.rec.paths.push(Path {
                    visits: path.visits.iter().map(|x| x + dv).collect(),
                    parent: match path.parent {
                        Some(par) => Some(Parent {
                            visit: par.visit + dv,
                            ..par
                        }),
                        None => Some(Parent {
                            visit: v,
                            attempt: f,
                            index,
                        }),
                    },
                    input: if i == 0 {
                        sub.input.json().cloned()
                    } else {
                        path.input
                    },
                });
            }
            for mut visit in sub.visits {
                visit.path += dp;
                visit.replaces = visit.replaces.map(|r| r + dv);
                for fan in &mut visit.fanouts {
                    for p in fan.children.values_mut() {
                        *p += dp;
                    }
                }
                self.rec.visits.push(visit);
            }
        }
    }

    /// A Map or Parallel visit re-run after a redrive keeps the iterations and branches of
    /// the visit it replaces that it did not run again.
    fn inherit(&mut self) {
        for v in 0..self.rec.visits.len() {
            let Some(old) = self.rec.visits[v].replaces else {
                continue;
            };
            let kept: Vec<(usize, usize)> = self.rec.visits[old]
                .fanouts
                .last()
                .map(|f| f.children.iter().map(|(i, p)| (*i, *p)).collect())
                .unwrap_or_default();
            if let Some(f) = self.rec.visits[v].fanouts.last_mut() {
                for (i, p) in kept {
                    f.children.entry(i).or_insert(p);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn ev(id: u64, prev: u64, ty: &str, details: Option<Value>) -> Value {
        let mut e = json!({"id": id, "previousEventId": prev, "type": ty, "timestamp": 0});
        if let Some(d) = details {
            e[crate::engine::history::details_key(ty)] = d;
        }
        e
    }
    fn entered(id: u64, prev: u64, ty: &str, name: &str) -> Value {
        let mut e = ev(id, prev, &format!("{ty}StateEntered"), None);
        e["stateEnteredEventDetails"] = json!({"name": name, "input": "{}"});
        e
    }
    fn exited(id: u64, prev: u64, ty: &str, name: &str) -> Value {
        let mut e = ev(id, prev, &format!("{ty}StateExited"), None);
        e["stateExitedEventDetails"] = json!({"name": name, "output": "{}"});
        e
    }
    fn task(id: u64, prev: u64, params: &str) -> [Value; 2] {
        [
            ev(
                id,
                prev,
                "TaskScheduled",
                Some(json!({"resourceType": "lambda", "resource": "invoke", "parameters": params})),
            ),
            ev(id + 1, id, "TaskSucceeded", Some(json!({"output": params}))),
        ]
    }
    fn started() -> Value {
        ev(1, 0, "ExecutionStarted", Some(json!({"input": "{}"})))
    }
    fn record(events: Vec<Value>) -> Recording {
        let h = History::from_value(&Value::Array(events)).unwrap();
        Recording::attribute(&h, None)
    }

    /// A child execution's history: `input`, then `Send` called once with it.
    fn child(arn: &str, run: &str, at: u64, input: &str) -> Value {
        let mut start = ev(1, 0, "ExecutionStarted", Some(json!({"input": input})));
        start["timestamp"] = json!(at);
        let [s, d] = task(3, 2, input);
        json!({"executionArn": arn, "mapRunArn": run, "events": [
            start, entered(2, 1, "Task", "Send"), s, d, exited(5, 4, "Task", "Send"),
            ev(6, 5, "ExecutionSucceeded", Some(json!({"output": "{}"})))]})
    }

    #[test]
    fn map_run_children_are_grafted_in_as_iterations_and_renumbered_by_a_replay() {
        let run = "arn:aws:states:eu-west-1:1:mapRun:m/ship:r1";
        let doc = json!({"events": [
            started(),
            entered(2, 1, "Map", "Ship"),
            ev(3, 2, "MapStateStarted", Some(json!({"length": 0}))),
            ev(4, 3, "MapRunStarted", Some(json!({"mapRunArn": run}))),
            ev(5, 4, "MapRunSucceeded", None),
            ev(6, 5, "MapStateSucceeded", None),
            exited(7, 6, "Map", "Ship"),
        ], "mapRunExecutions": [
            // Listed newest first, as ListExecutions lists them; `b` started first.
            child("arn:aws:states:eu-west-1:1:execution:m/ship:c2", run, 20, r#"{"sku":"a"}"#),
            child("arn:aws:states:eu-west-1:1:execution:m/ship:c1", run, 10, r#"{"sku":"b"}"#),
            child("arn:aws:states:eu-west-1:1:execution:m/ship:c3", "arn:aws:states:eu-west-1:1:mapRun:m/other:r9", 5, "{}"),
        ]});
        let h = History::from_value(&doc).unwrap();
        let mut r = Recording::attribute(&h, None);
        // The child of another run is left out, and said so.
        assert!(
            r.notes
                .iter()
                .any(|n| n.contains(":c3 belongs to no Distributed Map run"))
        );
        let f = &r.visits[0].fanouts[0];
        assert_eq!(f.map_run_arn.as_deref(), Some(run));
        // Numbered as they started until a replay says which iteration each answered.
        let inputs: Vec<(usize, Value)> = f
            .children
            .iter()
            .map(|(i, p)| (*i, r.paths[*p].input.clone().unwrap()))
            .collect();
        assert_eq!(
            inputs,
            vec![(0, json!({"sku": "b"})), (1, json!({"sku": "a"}))]
        );
        assert_eq!(r.calls().len(), 2);
        let names: Vec<String> = r.canonical().into_iter().map(|(q, _)| q).collect();
        assert_eq!(names, ["Ship", "Ship[0]/Send", "Ship[1]/Send"]);
        // The replay's iteration 0 took `a`'s child, iteration 1 `b`'s.
        let (pb, pa) = (f.children[&0], f.children[&1]);
        r.reindex(&HashMap::from([(pa, 0), (pb, 1)]));
        let order: Vec<(String, Value)> = r
            .canonical()
            .into_iter()
            .filter(|(q, _)| q != "Ship")
            .map(|(q, v)| (q, r.visits[v].calls[0].parameters.json().cloned().unwrap()))
            .collect();
        assert_eq!(
            order,
            vec![
                ("Ship[0]/Send".to_string(), json!({"sku": "a"})),
                ("Ship[1]/Send".to_string(), json!({"sku": "b"}))
            ]
        );
        // A child no iteration matched is no longer in the run.
        r.reindex(&HashMap::from([(pa, 0)]));
        assert_eq!(r.calls().len(), 1);
    }

    #[test]
    fn interleaved_iterations_are_attributed_by_their_chains() {
        // Two iterations of `M` whose events interleave, AWS's way: each chains back to its
        // own MapIterationStarted.
        let mut events = vec![
            started(),
            entered(2, 0, "Map", "M"),
            ev(3, 2, "MapStateStarted", Some(json!({"length": 2}))),
            ev(
                4,
                3,
                "MapIterationStarted",
                Some(json!({"name": "M", "index": 0})),
            ),
            ev(
                5,
                3,
                "MapIterationStarted",
                Some(json!({"name": "M", "index": 1})),
            ),
            entered(6, 5, "Task", "T"),
            entered(7, 4, "Task", "T"),
        ];
        events.extend(task(8, 6, "{\"i\":1}"));
        events.extend(task(10, 7, "{\"i\":0}"));
        events.extend([
            exited(12, 11, "Task", "T"),
            exited(13, 9, "Task", "T"),
            ev(
                14,
                12,
                "MapIterationSucceeded",
                Some(json!({"name": "M", "index": 0})),
            ),
            ev(
                15,
                13,
                "MapIterationSucceeded",
                Some(json!({"name": "M", "index": 1})),
            ),
            ev(16, 15, "MapStateSucceeded", None),
            exited(17, 16, "Map", "M"),
            entered(18, 17, "Pass", "After"),
        ]);
        let r = record(events);
        let names: Vec<String> = r.canonical().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["M", "M[0]/T", "M[1]/T", "After"]);
        let params: Vec<Value> = r
            .calls()
            .iter()
            .map(|(v, c)| r.visits[*v].calls[*c].parameters.json().unwrap().clone())
            .collect();
        assert_eq!(params, [json!({"i": 0}), json!({"i": 1})]);
        assert!(
            r.visits
                .iter()
                .filter(|v| v.name != "After")
                .all(|v| v.exited.is_some())
        );
        assert!(r.notes.is_empty(), "{:?}", r.notes);
    }

    #[test]
    fn a_retried_map_starts_again_from_an_iteration_event() {
        // AWS chains the second MapStateStarted to the failed iteration's last event.
        let r = record(vec![
            started(),
            entered(2, 0, "Map", "M"),
            ev(3, 2, "MapStateStarted", Some(json!({"length": 1}))),
            ev(
                4,
                3,
                "MapIterationStarted",
                Some(json!({"name": "M", "index": 0})),
            ),
            entered(5, 4, "Fail", "F"),
            ev(
                6,
                5,
                "MapIterationFailed",
                Some(json!({"name": "M", "index": 0})),
            ),
            ev(7, 5, "MapStateStarted", Some(json!({"length": 1}))),
            ev(
                8,
                7,
                "MapIterationStarted",
                Some(json!({"name": "M", "index": 0})),
            ),
            entered(9, 8, "Fail", "F"),
            ev(
                10,
                9,
                "MapIterationFailed",
                Some(json!({"name": "M", "index": 0})),
            ),
            ev(11, 9, "MapStateFailed", None),
            ev(12, 11, "ExecutionFailed", Some(json!({"error": "E"}))),
        ]);
        assert_eq!(r.visits[0].fanouts.len(), 2);
        let names: Vec<String> = r.canonical().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["M", "M[0]/F", "M[0]/F"]);
        assert_eq!(r.end.as_ref().map(|e| e.status), Some("FAILED"));
        assert!(r.notes.is_empty(), "{:?}", r.notes);
    }

    #[test]
    fn parallel_branches_are_numbered_by_their_start_state() {
        let m = crate::definition::load_str(
            r#"{"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
                {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}]}}}"#,
        )
        .unwrap();
        let h = History::from_value(&json!([
            started(),
            entered(2, 0, "Parallel", "P"),
            ev(3, 2, "ParallelStateStarted", None),
            entered(4, 3, "Pass", "B"),
            entered(5, 3, "Pass", "A"),
            exited(6, 5, "Pass", "A"),
            exited(7, 4, "Pass", "B"),
            ev(8, 7, "ParallelStateSucceeded", None),
            exited(9, 8, "Parallel", "P"),
        ]))
        .unwrap();
        let r = Recording::attribute(&h, Some(&m));
        let names: Vec<String> = r.canonical().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["P", "P[0]/A", "P[1]/B"]);
        assert_eq!(r.qualified(1), "P[1]/B");
    }

    #[test]
    fn names_come_from_the_arns_else_the_role_and_the_calls() {
        let mut events = vec![
            ev(
                1,
                0,
                "ExecutionStarted",
                Some(
                    json!({"input": "{}", "roleArn": "arn:aws:iam::444455556666:role/r",
                "stateMachineVersionArn": "arn:aws:states:eu-west-1:444455556666:stateMachine:orders:3"}),
                ),
            ),
            entered(2, 0, "Task", "T"),
        ];
        events.extend(task(3, 2, "{}"));
        let r = record(events.clone());
        assert_eq!(
            r.names(),
            Names {
                execution: None,
                state_machine: Some("orders".into()),
                region: Some("eu-west-1".into()),
                account: Some("444455556666".into()),
            }
        );
        events[0] = ev(
            1,
            0,
            "ExecutionStarted",
            Some(json!({"input": "{}", "roleArn": "arn:aws:iam::444455556666:role/r"})),
        );
        events[2]["taskScheduledEventDetails"]["region"] = json!("ap-south-1");
        let n = record(events).names();
        assert_eq!(
            (n.region.as_deref(), n.account.as_deref()),
            (Some("ap-south-1"), Some("444455556666"))
        );
    }

    #[test]
    fn a_redriven_state_replaces_its_failed_visit() {
        let mut events = vec![started(), entered(2, 0, "Task", "T")];
        events.push(ev(
            3,
            2,
            "TaskScheduled",
            Some(json!({"resourceType": "lambda", "resource": "invoke", "parameters": "{}"})),
        ));
        events.push(ev(4, 3, "TaskFailed", Some(json!({"error": "Boom"}))));
        events.push(ev(5, 4, "ExecutionFailed", Some(json!({"error": "Boom"}))));
        events.push(ev(
            6,
            5,
            "ExecutionRedriven",
            Some(json!({"redriveCount": 1})),
        ));
        events.push(entered(7, 6, "Task", "T"));
        events.extend(task(8, 7, "{}"));
        events.push(exited(10, 9, "Task", "T"));
        events.push(ev(
            11,
            10,
            "ExecutionSucceeded",
            Some(json!({"output": "{}"})),
        ));
        let r = record(events);
        assert_eq!(r.paths[0].visits, [1]);
        assert_eq!(r.visits[1].calls.len(), 1);
        assert_eq!(r.end.as_ref().map(|e| e.status), Some("SUCCEEDED"));
    }
}
