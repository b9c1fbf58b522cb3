//! The loader: JSON value -> [`StateMachine`](super::StateMachine), collecting every problem as
//! a [`Diagnostic`](super::Diagnostic).
//!
//! The walk mirrors the JSON: machine, graph, state, then the fields of each state type. Each
//! field is checked for type and range where it is read; fields a state type (or its query
//! language) does not allow are reported once, at the field. Transitions are resolved to
//! indexes after a graph's names are known. Whole-machine checks that need the finished model
//! (reachability, variables) live in `crate::validate`.
//!
//! The files follow the model's: `walker` holds the [`walker::Walker`] every file adds methods
//! to, with the field readers and problem reporters they share; `machine` walks the machine and
//! its graphs (and resolves transitions), `state` one state's common fields, `io` the data-flow
//! fields (paths, templates, `Assign`, numbers given by path or expression); then one file per
//! family: `choice`, `task`, `wait`, `fail`, `parallel`, `map`, `distributed` (a Distributed
//! Map's reader, batcher and writer) and `retry` (Retry and Catch). `loaded` holds the entry
//! points, `load_error` the error of `load_str`.

mod choice;
mod distributed;
mod fail;
mod io;
mod load_error;
mod loaded;
mod machine;
mod map;
mod parallel;
mod retry;
mod state;
mod task;
mod wait;
mod walker;

pub use load_error::LoadError;
pub use loaded::{Loaded, load_owned, load_str, load_value};
