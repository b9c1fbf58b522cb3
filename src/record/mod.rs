//! Real executions brought home: reading the history AWS keeps of an execution
//! (GetExecutionHistory's events) and what `asl record` and `asl run --replay` build from it.
//!
//! The way through the room follows the data:
//!
//! - [`history`] reads a history file into a typed event list ([`History`], [`Event`]):
//!   payloads as JSON text, truncation flags, either timestamp form, pages, event order;
//! - [`recording`] attributes the events to the execution's structure ([`Recording`]):
//!   paths (the top level, each Parallel branch and Map iteration, found by following
//!   `previousEventId`), the state visits on each path, each Task visit's calls with their
//!   parameters and answers;
//! - [`replay`] answers a local run's Task calls from a recording and watches the run
//!   against it ([`Replayer`]: the run's `TaskHandler` and `Probe` both), stopping it where it
//!   departs ([`Departure`]);
//! - [`mocks`] and [`testfile`] write what `asl test` runs: the recorded answers as a Step
//!   Functions Local mock file, and a test file asserting what the execution did;
//! - [`divergence`] says where an execution on AWS and its local replay differ, state by
//!   state (`asl run --remote --compare-local`).
//!
//! It stands on the engine (runs, probes, handlers) and the definition; the engine knows
//! nothing of histories it reads. docs/record-replay.md is the user's guide.

pub mod compare;
pub mod divergence;
pub mod event;
pub mod history;
pub mod mocks;
pub mod recording;
pub mod replay;
pub mod testfile;

pub use event::{Detail, Event, Payload};
pub use history::{History, HistoryError};
pub use recording::Recording;
pub use replay::{Departure, Logged, Replayer, Verdict};
