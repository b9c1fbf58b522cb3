//! Task handlers: what answers a Task state.
//!
//! [`TaskHandler`] is the extension point (one call per Task invocation); the [`Registry`]
//! picks a handler per state name and resource. [`mock`] answers from a Step Functions Local
//! `MockConfigFile.json`; [`command`] runs a local program; [`callback`] serves the task-token
//! callback API for `.waitForTaskToken` states; [`routing`] reads the user's handler
//! configuration (which state goes to which handler).

pub mod aws;
pub mod callback;
pub mod command;
mod handler;
pub mod machines;
pub mod mock;
mod registry;
pub mod routing;

pub use handler::{HandlerFn, TaskError, TaskHandler, TaskRequest};
pub use registry::Registry;
