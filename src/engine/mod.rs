//! The executor: runs a loaded [`StateMachine`](crate::definition::StateMachine) on an input.
//!
//! `execution.rs` owns the loop (enter a state, run it, exit, follow `Next`); `flow.rs` holds the
//! data flow of one state in spec order (InputPath -> Parameters/Arguments -> action ->
//! ResultSelector -> ResultPath -> OutputPath, with Assign and Output for JSONata) together
//! with Retry and Catch; `task.rs`, `fanout.rs` (Parallel and Map) and `wait.rs` are the
//! actions. Time goes through [`Clock`]; events through [`History`].

mod clock;
mod context;
mod distributed;
mod execution;
mod failure;
mod fanout;
mod flow;
pub mod history;
mod probe;
pub mod retry;
mod size;
mod task;
mod variables;
mod wait;

pub use clock::{Clock, PathTime};
pub use execution::{Options, Outcome, Status, partition, run, run_blocking};
pub use failure::{Failure, Fault, Stop};
pub use history::{Event, EventSink, History, SinkFn};
pub use probe::{Frame, Probe};
pub use size::PAYLOAD_LIMIT;
