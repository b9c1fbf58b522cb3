//! What the server holds: state machines and executions, in memory as Step Functions Local
//! keeps them.
//!
//! Running executions are all kept; finished ones up to [`Store::max_finished`] (10,000 by
//! default, `asl serve --max-finished`), the oldest finished evicted first with a line on
//! stderr, so a long-lived server's memory stays bounded. Distributed Map runs' child
//! executions (`children.rs`) count in the same line once they are done.
//!
//! Every change is also written through to a [`Durable`] (`--state-dir`: SQLite, see
//! `durable.rs`; otherwise nowhere): machines as they are created, updated and deleted, and
//! executions when they start (RUNNING: one the process was killed under is ended ABORTED
//! at the next start) and when they finish (their description and whole history), evicted
//! there too.

use super::durable::{Durable, Kind};
use crate::definition::StateMachine;
use indexmap::IndexMap;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// The finished executions kept by default.
pub const MAX_FINISHED: usize = 10_000;

/// A state machine as CreateStateMachine made it.
#[derive(Clone)]
pub struct Machine {
    pub arn: String,
    pub name: String,
    /// The definition's text as the client sent it (DescribeStateMachine gives it back).
    pub definition: String,
    pub compiled: Arc<StateMachine>,
    pub role_arn: String,
    /// `STANDARD` or `EXPRESS`.
    pub kind: String,
    /// Epoch seconds.
    pub created: f64,
    pub updated: Option<f64>,
    pub revision: u64,
}

impl Machine {
    /// The record `--state-dir` keeps (the compiled form is rebuilt from the text).
    pub fn to_json(&self) -> Value {
        json!({
            "arn": self.arn,
            "name": self.name,
            "definition": self.definition,
            "roleArn": self.role_arn,
            "type": self.kind,
            "created": self.created,
            "updated": self.updated,
            "revision": self.revision,
        })
    }

    /// A machine back from its record; `None` when the record is not one, or its definition
    /// no longer loads (said on stderr by the caller).
    pub fn from_json(v: &Value) -> Option<Machine> {
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let definition = text("definition")?;
        let kind = text("type")?;
        let compiled = super::machines::compile(&definition, &kind).ok()?;
        Some(Machine {
            arn: text("arn")?,
            name: text("name")?,
            definition,
            compiled: Arc::new(compiled),
            role_arn: text("roleArn")?,
            kind,
            created: v.get("created")?.as_f64()?,
            updated: v.get("updated").and_then(Value::as_f64),
            revision: v.get("revision")?.as_u64()?,
        })
    }
}

/// What is known of one execution; the engine's task updates it as the execution runs.
pub struct Execution {
    pub arn: String,
    pub name: String,
    pub machine_arn: String,
    /// The version it runs and the alias that chose it, when started through one.
    pub version_arn: Option<String>,
    pub alias_arn: Option<String>,
    /// The mock config's test case it runs (`ARN#TestCase`), if any.
    pub case: Option<String>,
    /// The machine as it was when the execution started.
    pub machine: Machine,
    pub input: String,
    pub started: f64,
    pub state: Mutex<Progress>,
    /// The history's events, GetExecutionHistory's JSON, appended as they happen.
    pub events: Mutex<Vec<Value>>,
    /// Its Distributed Maps' runs by ARN, as the engine reports them.
    pub map_runs: Mutex<IndexMap<String, super::map_runs::MapRun>>,
}

impl Execution {
    /// The record `--state-dir` keeps of a finished execution.
    pub fn to_json(&self) -> Value {
        let p = lock(&self.state);
        json!({
            "arn": self.arn,
            "name": self.name,
            "machineArn": self.machine_arn,
            "versionArn": self.version_arn,
            "aliasArn": self.alias_arn,
            "case": self.case,
            "machine": self.machine.to_json(),
            "input": self.input,
            "started": self.started,
            "status": p.status,
            "stopped": p.stopped,
            "output": p.output,
            "error": p.error,
            "cause": p.cause,
            "redriveCount": p.redrive_count,
            "redriveDate": p.redrive_date,
            "events": *lock(&self.events),
            "mapRuns": lock(&self.map_runs).values().map(|m| m.to_json()).collect::<Vec<_>>(),
        })
    }

    /// A finished execution back from its record.
    pub fn from_json(v: &Value) -> Option<Execution> {
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        Some(Execution {
            arn: text("arn")?,
            name: text("name")?,
            machine_arn: text("machineArn")?,
            version_arn: text("versionArn"),
            alias_arn: text("aliasArn"),
            case: text("case"),
            machine: Machine::from_json(v.get("machine")?)?,
            input: text("input")?,
            started: v.get("started")?.as_f64()?,
            state: Mutex::new(Progress {
                status: text("status")?,
                stopped: v.get("stopped").and_then(Value::as_f64),
                output: text("output"),
                error: text("error"),
                cause: text("cause"),
                stop: None,
                redrive_count: v.get("redriveCount").and_then(Value::as_u64).unwrap_or(0),
                redrive_date: v.get("redriveDate").and_then(Value::as_f64),
            }),
            events: Mutex::new(v.get("events")?.as_array()?.clone()),
            map_runs: Mutex::new(
                v.get("mapRuns")
                    .and_then(Value::as_array)
                    .map(|runs| {
                        runs.iter()
                            .filter_map(super::map_runs::MapRun::from_json)
                            .map(|m| (m.report.arn.clone(), m))
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
        })
    }
}

impl Execution {
    /// Ends an execution kept RUNNING by a process that was killed (or crashed) while it ran:
    /// ABORTED at `at`, with an `ExecutionAborted` event saying why, as a StopExecution would
    /// have left it. False (and nothing changed) when the execution had ended.
    fn abandoned(&self, at: f64) -> bool {
        let mut p = lock(&self.state);
        if p.status != "RUNNING" {
            return false;
        }
        let cause = "asl serve stopped without the chance to stop this execution (killed or crashed while it ran)";
        p.status = "ABORTED".into();
        p.stopped = Some(at);
        p.cause = Some(cause.into());
        end_history(
            &mut lock(&self.events),
            at,
            "ExecutionAborted",
            json!({"cause": cause}),
        );
        true
    }
}

/// The part of an execution that changes.
#[derive(Default)]
pub struct Progress {
    /// `RUNNING`, `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`.
    pub status: String,
    pub stopped: Option<f64>,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    /// StopExecution's way to the running engine.
    pub stop: Option<tokio::sync::oneshot::Sender<String>>,
    /// RedriveExecution: how many times, and when last.
    pub redrive_count: u64,
    pub redrive_date: Option<f64>,
}

/// Machines by ARN (in creation order) and executions by ARN (in start order).
pub struct Store {
    pub machines: Mutex<IndexMap<String, Machine>>,
    pub executions: Mutex<IndexMap<String, Arc<Execution>>>,
    /// The line of finished executions and children, oldest first ([`Line`]).
    finished: Mutex<Line>,
    /// The execution each map run belongs to (DescribeMapRun), by map run ARN.
    pub map_runs: Mutex<std::collections::HashMap<String, String>>,
    /// Map runs' child executions by ARN (DescribeExecution, GetExecutionHistory); the
    /// finished ones are in the line of finished executions too, and evicted with them.
    pub children: Mutex<std::collections::HashMap<String, Arc<super::children::ChildExecution>>>,
    pub max_finished: usize,
    /// Where changes are written through (`--state-dir`), or nowhere.
    pub durable: Box<dyn Durable>,
}

impl Store {
    pub fn new(max_finished: usize, durable: Box<dyn Durable>) -> Store {
        Store {
            machines: Mutex::default(),
            executions: Mutex::default(),
            finished: Mutex::default(),
            map_runs: Mutex::default(),
            children: Mutex::default(),
            max_finished,
            durable,
        }
    }

    /// Keeps a machine's record (created or updated).
    pub fn keep_machine(&self, m: &Machine) {
        self.durable.put(Kind::Machine, &m.arn, &m.to_json());
    }

    /// Reads back the machines and finished executions `--state-dir` kept. A record that no
    /// longer loads (a definition today's validator refuses) is skipped with a line on stderr.
    pub fn restore(&self) -> Result<(), super::durable::DurableError> {
        for (arn, v) in self.durable.load(Kind::Machine)? {
            match Machine::from_json(&v) {
                Some(m) => {
                    lock(&self.machines).insert(arn, m);
                }
                None => skipped("state machine", &arn),
            }
        }
        let mut done: Vec<Execution> = Vec::new();
        let restarted = now();
        for (arn, v) in self.durable.load(Kind::Execution)? {
            match Execution::from_json(&v) {
                Some(e) => {
                    if e.abandoned(restarted) {
                        self.durable.put(Kind::Execution, &arn, &e.to_json());
                        say!(
                            "asl serve: the execution {arn} was running when the server last stopped without stopping it: ABORTED"
                        );
                    }
                    done.push(e)
                }
                None => skipped("execution", &arn),
            }
        }
        // Start order, as they were listed before the restart; the oldest evicted first.
        done.sort_by(|a, b| a.started.total_cmp(&b.started));
        let mut children: Vec<super::children::ChildExecution> = Vec::new();
        for (arn, v) in self.durable.load(Kind::Child)? {
            match super::children::ChildExecution::from_json(&v) {
                Some(c) => children.push(c),
                None => skipped("map run child execution", &arn),
            }
        }
        // Children take their places in the line of finished executions as they finished:
        // each before the first execution that stopped after it.
        children.sort_by(|a, b| a.stopped().total_cmp(&b.stopped()));
        let mut children = children.into_iter().peekable();
        for e in done {
            let stopped = lock(&e.state).stopped.unwrap_or(e.started);
            while let Some(c) = children.next_if(|c| c.stopped() <= stopped) {
                self.restore_child(c);
            }
            let arn = e.arn.clone();
            for run in lock(&e.map_runs).keys() {
                lock(&self.map_runs).insert(run.clone(), arn.clone());
            }
            lock(&self.executions).insert(arn.clone(), Arc::new(e));
            self.evict_past_limit(arn);
        }
        for c in children {
            self.restore_child(c);
        }
        Ok(())
    }

    fn restore_child(&self, c: super::children::ChildExecution) {
        let arn = c.arn.clone();
        lock(&self.children).insert(arn.clone(), Arc::new(c));
        self.evict_past_limit(arn);
    }

    pub fn machine(&self, arn: &str) -> Option<Machine> {
        lock(&self.machines).get(arn).cloned()
    }

    pub fn execution(&self, arn: &str) -> Option<Arc<Execution>> {
        lock(&self.executions).get(arn).cloned()
    }

    /// Keeps a running execution's record (`--state-dir`), so that a process killed without
    /// the chance to stop it still knows of it when it starts again ([`Store::restore`]).
    pub fn keep_running(&self, e: &Execution) {
        self.durable.put(Kind::Execution, &e.arn, &e.to_json());
    }

    pub fn child(&self, arn: &str) -> Option<Arc<super::children::ChildExecution>> {
        lock(&self.children).get(arn).cloned()
    }

    /// Notes that the map run child `arn` is done: it takes its place among the finished
    /// executions, the oldest past the limit evicted.
    pub fn child_finished(&self, arn: &str) {
        let Some(child) = self.child(arn) else { return };
        if self.durable.keeps() {
            self.durable.put(Kind::Child, arn, &child.to_json());
        }
        self.evict_past_limit(arn.to_string());
    }

    /// Notes that `arn` finished, evicting the oldest finished executions past the limit.
    pub fn finished(&self, arn: &str) {
        if self.durable.keeps()
            && let Some(e) = self.execution(arn)
        {
            self.durable.put(Kind::Execution, arn, &e.to_json());
        }
        self.evict_past_limit(arn.to_string());
    }

    /// Takes a redriven execution out of the finished ones: running again, it is not evicted;
    /// when it finishes again it goes to the end of the line.
    pub fn running_again(&self, arn: &str) {
        lock(&self.finished).leave(arn);
    }

    fn evict_past_limit(&self, arn: String) {
        let mut done = lock(&self.finished);
        done.join(arn);
        while done.len() > self.max_finished {
            let Some(old) = done.pop_oldest() else { break };
            let removed = lock(&self.executions).shift_remove(&old);
            match removed {
                Some(e) => {
                    let mut index = lock(&self.map_runs);
                    for run in lock(&e.map_runs).keys() {
                        index.remove(run);
                    }
                }
                None => {
                    // A map run's child, forgotten without a word: a run of a million items
                    // would otherwise write a million lines.
                    if lock(&self.children).remove(&old).is_some() {
                        self.durable.delete(Kind::Child, &old);
                    }
                    continue;
                }
            }
            self.durable.delete(Kind::Execution, &old);
            say!(
                "asl serve: evicted the finished execution {old} (more than {} finished executions kept)",
                self.max_finished
            );
        }
    }
}

/// Finished executions and children in the order they finished, each once: one that finishes
/// again (redriven, or a map run's child run again by its run's redrive) goes to the end of
/// the line. Leaving and re-joining cost O(1): the place an ARN left stays in the queue,
/// stale, and is skipped when it reaches the front.
#[derive(Default)]
struct Line {
    queue: VecDeque<(u64, String)>,
    /// Each ARN in the line with the number of its current place.
    place: std::collections::HashMap<String, u64>,
    next: u64,
}

impl Line {
    fn join(&mut self, arn: String) {
        self.next += 1;
        self.place.insert(arn.clone(), self.next);
        self.queue.push_back((self.next, arn));
    }

    fn leave(&mut self, arn: &str) {
        self.place.remove(arn);
    }

    fn len(&self) -> usize {
        self.place.len()
    }

    /// The ARN longest in the line, taken out of it.
    fn pop_oldest(&mut self) -> Option<String> {
        while let Some((n, arn)) = self.queue.pop_front() {
            if self.place.get(&arn) == Some(&n) {
                self.place.remove(&arn);
                return Some(arn);
            }
        }
        None
    }
}

fn skipped(what: &str, arn: &str) {
    say!("asl serve: the {what} `{arn}` kept in --state-dir no longer loads: skipped");
}

/// Closes a history the engine could not close (its execution ended by the server, not by
/// the run): `kind` (`ExecutionAborted`, `ExecutionFailed`) at `at`, after the last event.
pub fn end_history(events: &mut Vec<Value>, at: f64, kind: &str, details: Value) {
    let last = events.last().and_then(|e| e["id"].as_u64()).unwrap_or(0);
    let key = format!("{}{}EventDetails", kind[..1].to_lowercase(), &kind[1..]);
    events.push(json!({
        "timestamp": at,
        "type": kind,
        "id": last + 1,
        "previousEventId": last,
        key: details,
    }));
}

/// A lock, recovered if a panicking thread poisoned it (the data stays consistent: every
/// update is one assignment).
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Now, in epoch seconds with milliseconds, as AWS's JSON protocol writes timestamps.
pub fn now() -> f64 {
    crate::data::timestamp::Instant::now().unix_millis() as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_arn_that_finishes_again_holds_one_place_at_the_end_of_the_line() {
        let mut line = Line::default();
        for a in ["a", "b", "c"] {
            line.join(a.into());
        }
        // `a` redriven and finished again: still three in the line, `a` now the newest.
        line.leave("a");
        line.join("a".into());
        line.join("b".into()); // finished again without leaving first (a child run again)
        assert_eq!(line.len(), 3);
        assert_eq!(line.pop_oldest().as_deref(), Some("c"));
        assert_eq!(line.pop_oldest().as_deref(), Some("a"));
        assert_eq!(line.pop_oldest().as_deref(), Some("b"));
        assert_eq!(line.pop_oldest(), None);
        assert_eq!(line.len(), 0);
    }

    #[test]
    fn a_history_the_server_ends_goes_on_from_its_last_event_with_the_details_aws_names() {
        let mut events = vec![json!({"type": "ExecutionStarted", "id": 1, "previousEventId": 0})];
        end_history(&mut events, 2.5, "ExecutionAborted", json!({"cause": "c"}));
        assert_eq!(
            events[1],
            json!({"timestamp": 2.5, "type": "ExecutionAborted", "id": 2, "previousEventId": 1,
                   "executionAbortedEventDetails": {"cause": "c"}})
        );
    }
    use crate::server::children::ChildExecution;

    fn child(n: usize) -> Arc<ChildExecution> {
        Arc::new(ChildExecution {
            arn: format!("arn:aws:states:us-east-1:1:execution:M/L:{n}"),
            name: n.to_string(),
            machine_arn: "arn:aws:states:us-east-1:1:stateMachine:M/L".into(),
            map_run_arn: "arn:aws:states:us-east-1:1:mapRun:M/L:r".into(),
            events: Mutex::default(),
            stop: Mutex::default(),
        })
    }

    #[test]
    fn finished_children_share_the_bound_of_finished_executions() {
        let store = Store::new(2, Box::new(super::super::Nowhere));
        let kids: Vec<_> = (0..3).map(child).collect();
        for c in &kids {
            lock(&store.children).insert(c.arn.clone(), c.clone());
        }
        // Running children are all kept.
        assert_eq!(lock(&store.children).len(), 3);
        for c in &kids {
            store.child_finished(&c.arn);
        }
        // Two finished at most: the first done is forgotten.
        assert!(store.child(&kids[0].arn).is_none());
        assert!(store.child(&kids[1].arn).is_some() && store.child(&kids[2].arn).is_some());
        // A finished execution pushes the oldest child out in turn.
        store.finished("arn:aws:states:us-east-1:1:execution:M:top");
        assert!(store.child(&kids[1].arn).is_none());
        assert!(store.child(&kids[2].arn).is_some());
        // A child not known (already evicted) takes no place.
        store.child_finished(&kids[0].arn);
        assert!(store.child(&kids[2].arn).is_some());
    }
    #[test]
    fn state_dir_keeps_finished_children_within_the_bound_and_forgets_the_evicted() {
        let dir = std::env::temp_dir().join(format!("asl-children-{}", uuid::Uuid::new_v4()));
        let open = |max| {
            let db = super::super::durable::Database::open(&dir).expect("the directory opens");
            let store = Store::new(max, Box::new(db));
            store.restore().expect("restores");
            store
        };
        {
            let store = open(2);
            let kids: Vec<_> = (0..4).map(child).collect();
            for (n, c) in kids.iter().enumerate() {
                lock(&c.events).push(json!({"timestamp": n as f64, "type": "ExecutionStarted",
                    "id": 1, "previousEventId": 0, "executionStartedEventDetails": {"input": "1"}}));
                lock(&store.children).insert(c.arn.clone(), c.clone());
            }
            // Three finish, in order; the fourth still runs when the server stops.
            for (n, c) in kids.iter().enumerate().take(3) {
                lock(&c.events).push(json!({"timestamp": n as f64 + 0.5, "type": "ExecutionSucceeded",
                    "id": 2, "previousEventId": 1, "executionSucceededEventDetails": {"output": n.to_string()}}));
                store.child_finished(&c.arn);
            }
            assert!(store.child(&kids[0].arn).is_none());
            assert!(store.child(&kids[3].arn).is_some());
        }
        let arn = |n: usize| child(n).arn.clone();
        let store = open(2);
        assert!(store.child(&arn(0)).is_none(), "evicted before the restart");
        assert!(
            store.child(&arn(3)).is_none(),
            "a running child is not kept"
        );
        let kept = store.child(&arn(2)).expect("kept across the restart");
        assert_eq!(kept.described()["status"], "SUCCEEDED");
        assert_eq!(kept.described()["output"], "2");
        assert_eq!(lock(&kept.events).len(), 2);
        assert!(store.child(&arn(1)).is_some());
        drop(store);
        // A smaller bound evicts the oldest finished at the restart, from the file too.
        drop(open(1));
        let store = open(5);
        assert!(
            store.child(&arn(1)).is_none(),
            "finished first of the two: evicted"
        );
        assert!(store.child(&arn(2)).is_some());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
