//! One event of an execution's history, typed: what `record` and `--replay` read of it.
//!
//! AWS writes payloads (inputs, outputs, Task parameters) as JSON *text* inside the event,
//! with a `*Details: {"truncated": true}` beside it when the text was cut. A [`Payload`]
//! holds the parsed value, or the cut text marked as such, so nothing downstream guesses.

use crate::data::timestamp::Instant;
use serde_json::Value;

/// An input, output or parameters payload of an event.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// The event has none.
    Absent,
    /// The JSON value its text holds.
    Json(Value),
    /// AWS cut the text (`truncated: true`): the part it kept, never parsed.
    Truncated(String),
}

impl Payload {
    /// The value, when the event has a whole one.
    pub fn json(&self) -> Option<&Value> {
        match self {
            Payload::Json(v) => Some(v),
            _ => None,
        }
    }

    pub fn is_truncated(&self) -> bool {
        matches!(self, Payload::Truncated(_))
    }
}

/// Which family of Task events: `Task*` (service integrations), `LambdaFunction*` (a bare
/// Lambda ARN), `Activity*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Task,
    Lambda,
    Activity,
}

impl Family {
    /// The prefix of the family's event types.
    pub fn prefix(self) -> &'static str {
        match self {
            Family::Task => "Task",
            Family::Lambda => "LambdaFunction",
            Family::Activity => "Activity",
        }
    }
}

/// A Map or a Parallel state's fan-out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fan {
    Map,
    Parallel,
}

/// What an event says, for the events `record` and `--replay` follow.
#[derive(Debug, Clone, PartialEq)]
pub enum Detail {
    ExecutionStarted {
        input: Payload,
        role_arn: Option<String>,
        state_machine_arn: Option<String>,
    },
    ExecutionSucceeded {
        output: Payload,
    },
    /// `ExecutionFailed`, `ExecutionTimedOut`, `ExecutionAborted`: the status AWS gives the
    /// execution (`FAILED`, `TIMED_OUT`, `ABORTED`).
    ExecutionEnded {
        status: &'static str,
        error: Option<String>,
        cause: Option<String>,
    },
    /// The execution was redriven: the events after it continue it.
    ExecutionRedriven,
    /// `<Type>StateEntered`.
    StateEntered {
        state_type: String,
        name: String,
        input: Payload,
    },
    /// `<Type>StateExited`.
    StateExited {
        name: String,
        output: Payload,
    },
    /// `TaskScheduled`, `LambdaFunctionScheduled`, `ActivityScheduled`: one call of a Task
    /// state. `resource_type` is `None` for the Lambda and activity families (and for a Task
    /// event that names only an ARN), whose `resource` is the ARN.
    Scheduled {
        family: Family,
        resource_type: Option<String>,
        resource: String,
        parameters: Payload,
        /// The region the call went to (service integrations).
        region: Option<String>,
    },
    /// `TaskSubmitted`: a `.sync` job was submitted (its answer).
    Submitted {
        output: Payload,
    },
    /// `TaskSucceeded`, `LambdaFunctionSucceeded`, `ActivitySucceeded`.
    Succeeded {
        family: Family,
        output: Payload,
    },
    /// `*Failed`, `*TimedOut`, `*StartFailed`, `*ScheduleFailed`, `*SubmitFailed` of a Task
    /// family.
    Failed {
        family: Family,
        error: Option<String>,
        cause: Option<String>,
    },
    /// `MapStateStarted`, `ParallelStateStarted`.
    FanStarted(Fan),
    /// `MapStateSucceeded/Failed/Aborted`, `ParallelStateSucceeded/Failed/Aborted`.
    FanEnded(Fan),
    /// `MapIterationStarted`: the Map state's name and the iteration's index.
    IterationStarted {
        map: String,
        index: usize,
    },
    /// `MapIterationSucceeded/Failed/Aborted`.
    IterationEnded {
        map: String,
        index: usize,
    },
    /// `MapRunStarted` (or `MapRunRedriven`, the same run again after a redrive): a
    /// Distributed Map's run, whose iterations are child executions with histories of their
    /// own; `arn` its `mapRunArn`, which names the run its child executions belong to.
    MapRunStarted {
        arn: Option<String>,
    },
    /// Any other event (`TaskStarted`, `WaitStateAborted`, ...).
    Other,
}

/// One event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: u64,
    pub previous: u64,
    /// `None` when the event has no `timestamp`.
    pub timestamp: Option<Instant>,
    /// AWS's event type (`TaskScheduled`, ...).
    pub kind: String,
    pub detail: Detail,
    /// Where the event is in the file (a JSON pointer), for messages.
    pub pointer: String,
}
