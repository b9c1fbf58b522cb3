//! The [`TaskHandler`] trait, its request, and a closure adapter.

use super::failure::{Failure, Fault};
use crate::definition::Resource;
use futures::future::BoxFuture;
use serde_json::Value;
use std::time::Duration;

/// One invocation of a Task state.
#[derive(Debug, Clone)]
pub struct TaskRequest {
    pub state_name: String,
    pub resource: Resource,
    /// The effective parameters (after InputPath and Parameters, or Arguments).
    pub input: Value,
    pub credentials: Option<Value>,
    /// Set for `.waitForTaskToken` resources: the token the worker must call back with.
    pub task_token: Option<String>,
    pub timeout: Option<Duration>,
    pub heartbeat: Option<Duration>,
    /// The context object as the state sees it; `Null` for a handler that does not read it
    /// ([`TaskHandler::wants_context`]).
    pub context: Value,
    /// Where a handler reports that the work was submitted and it now waits for it to finish
    /// (`.sync` integrations): the value is the submit call's response, recorded as a
    /// `TaskSubmitted` event.
    pub submitted: Option<tokio::sync::mpsc::UnboundedSender<Value>>,
    /// Where a handler whose [`TaskHandler::reports_start`] is true says that the work began
    /// (an activity task taken by a worker): the value is the Started event's details (an
    /// activity's `{"workerName": ...}`, or `null` for none).
    pub started: Option<tokio::sync::mpsc::UnboundedSender<Value>>,
    /// The [`Probe`](super::Probe)'s id of the state visit making this call (0 without a
    /// probe): a handler that is also the probe knows which branch or iteration calls.
    pub visit: u64,
}

/// Why a handler gave no result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskError {
    /// The task failed: an ASL error that Retry and Catch see.
    Failed(Failure),
    /// The handler could not do its job (missing mock, bad configuration): ends the run.
    Fault(Fault),
}

impl From<Failure> for TaskError {
    fn from(f: Failure) -> Self {
        TaskError::Failed(f)
    }
}

impl From<Fault> for TaskError {
    fn from(f: Fault) -> Self {
        TaskError::Fault(f)
    }
}

/// Answers Task states. Implementations must be cheap to share across concurrent branches.
pub trait TaskHandler: Send + Sync {
    /// A short name for messages (`mock`, `command`, `lambda`).
    fn name(&self) -> &str;
    fn invoke(&self, request: TaskRequest) -> BoxFuture<'_, Result<Value, TaskError>>;
    /// Whether the handler reads [`TaskRequest::context`]. The context object holds the
    /// execution's input, so it is only built for a handler that asks for it.
    fn wants_context(&self) -> bool {
        true
    }
    /// Whether the handler reports through [`TaskRequest::started`] when the work began (an
    /// activity: when a worker takes the task, which may be long after it was scheduled).
    /// Otherwise the engine writes the Started event as it calls the handler.
    fn reports_start(&self) -> bool {
        false
    }
}

/// A handler from a closure, for tests and embedding.
pub struct HandlerFn<F>(pub F);

impl<F> TaskHandler for HandlerFn<F>
where
    F: Fn(TaskRequest) -> Result<Value, TaskError> + Send + Sync,
{
    fn name(&self) -> &str {
        "function"
    }
    fn invoke(&self, request: TaskRequest) -> BoxFuture<'_, Result<Value, TaskError>> {
        let r = (self.0)(request);
        Box::pin(async move { r })
    }
}
