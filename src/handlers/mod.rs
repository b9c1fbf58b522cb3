//! Task handlers: what answers a Task state.
//!
//! [`TaskHandler`] is the extension point (one call per Task invocation); the [`Registry`]
//! picks a handler per state name and resource. [`mock`] answers from a Step Functions Local
//! `MockConfigFile.json`.

mod handler;
pub mod mock;
mod registry;

pub use handler::{HandlerFn, TaskError, TaskHandler, TaskRequest};
pub use registry::Registry;
