//! What the server holds: state machines and executions, in memory as Step Functions Local
//! keeps them.
//!
//! Running executions are all kept; finished ones up to [`Store::max_finished`] (10,000 by
//! default, `asl serve --max-finished`), the oldest finished evicted first with a line on
//! stderr, so a long-lived server's memory stays bounded.

use crate::definition::StateMachine;
use indexmap::IndexMap;
use serde_json::Value;
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

/// What is known of one execution; the engine's task updates it as the execution runs.
pub struct Execution {
    pub arn: String,
    pub name: String,
    pub machine_arn: String,
    /// The version it runs and the alias that chose it, when started through one.
    pub version_arn: Option<String>,
    pub alias_arn: Option<String>,
    /// The machine as it was when the execution started.
    pub machine: Machine,
    pub input: String,
    pub started: f64,
    pub state: Mutex<Progress>,
    /// The history's events, GetExecutionHistory's JSON, appended as they happen.
    pub events: Mutex<Vec<Value>>,
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
}

/// Machines by ARN (in creation order) and executions by ARN (in start order).
pub struct Store {
    pub machines: Mutex<IndexMap<String, Machine>>,
    pub executions: Mutex<IndexMap<String, Arc<Execution>>>,
    finished: Mutex<VecDeque<String>>,
    pub max_finished: usize,
}

impl Store {
    pub fn new(max_finished: usize) -> Store {
        Store {
            machines: Mutex::default(),
            executions: Mutex::default(),
            finished: Mutex::default(),
            max_finished,
        }
    }

    pub fn machine(&self, arn: &str) -> Option<Machine> {
        lock(&self.machines).get(arn).cloned()
    }

    pub fn execution(&self, arn: &str) -> Option<Arc<Execution>> {
        lock(&self.executions).get(arn).cloned()
    }

    /// Notes that `arn` finished, evicting the oldest finished executions past the limit.
    pub fn finished(&self, arn: &str) {
        let mut done = lock(&self.finished);
        done.push_back(arn.to_string());
        while done.len() > self.max_finished {
            let Some(old) = done.pop_front() else { break };
            lock(&self.executions).shift_remove(&old);
            say!(
                "asl serve: evicted the finished execution {old} (more than {} finished executions kept)",
                self.max_finished
            );
        }
    }
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
