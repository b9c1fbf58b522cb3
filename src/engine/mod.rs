//! The executor: runs a loaded [`StateMachine`](crate::definition::StateMachine) on an input.
//!
//! `execution.rs` owns the loop (enter a state, run it, exit, follow `Next`); `flow.rs` holds the
//! data flow of one state in spec order (InputPath -> Parameters/Arguments -> action ->
//! ResultSelector -> ResultPath -> OutputPath, with Assign and Output for JSONata) together
//! with Retry and Catch; `task.rs`, `fanout.rs` (Parallel and Map) and `wait.rs` are the
//! actions. Time goes through [`Clock`]; events through [`History`].
//!
//! The engine owns the contract of a Task state: `handler.rs` holds [`TaskHandler`], the
//! [`TaskRequest`] it is given and the [`TaskError`] it may answer, `registry.rs` the
//! [`Registry`] that picks a handler per state. The `handlers` module implements them; the
//! engine never imports from it.

mod clock;
mod context;
mod distributed;
mod execution;
mod failure;
mod fanout;
mod flow;
mod handler;
pub mod history;
mod map_run;
mod probe;
mod registry;
mod resume;
pub mod retry;
mod size;
mod task;
mod variables;
mod wait;

pub use clock::{Clock, PathTime};
pub use context::GivenContext;
pub(crate) use execution::stop_signal;
pub use execution::{Options, Outcome, Status, partition, run, run_blocking};
pub use failure::{Failure, Fault, Stop};
pub use handler::{HandlerFn, TaskError, TaskHandler, TaskRequest};
pub use history::{Event, EventSink, History, SinkFn};
pub use map_run::{MapRunChild, MapRunReport, MapRunSettings, MapRunSink, MapRunStatus};
pub use probe::{Frame, Probe, Step};
pub use registry::Registry;
pub use resume::{FanResume, MapRunResume, PathResume, Resume};
pub use size::{PAYLOAD_LIMIT, exceeds as payload_exceeds};
