//! Task handlers: what answers a Task state.
//!
//! [`TaskHandler`] is the extension point (one call per Task invocation); the [`Registry`]
//! picks a handler per state name and resource. Both belong to the engine, which calls them
//! (`engine/handler.rs`, `engine/registry.rs`); they are re-exported here, where they are
//! implemented, and the engine never imports this module.
//!
//! [`mock`] answers from a Step Functions Local `MockConfigFile.json`; [`command`] runs a local
//! program; [`callback`] serves the task-token callback API for `.waitForTaskToken` states;
//! [`routing`] reads the user's handler configuration (which state goes to which handler).

pub mod aws;
pub mod callback;
pub mod command;
pub mod machines;
pub mod mock;
pub mod routing;

pub use crate::engine::{HandlerFn, Registry, TaskError, TaskHandler, TaskRequest};
