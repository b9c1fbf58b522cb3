//! Observation of an execution's structure, for tools that need more than AWS's history:
//! `asl test` (expectations on paths, per-state data, task calls, which rule fired; coverage)
//! and pictures of an execution.
//!
//! AWS's history does not say which Choice rule matched, which Retry rule fired or which Catch
//! clause caught, and its events from concurrent branches interleave. A [`Probe`] is told
//! each of these as it happens, with the *visit* (one entry into a state) it belongs to; a
//! visit inside a Parallel branch or a Map iteration names its [`Frame`]: the visit of the
//! Parallel or Map state and the branch or item index. Without a probe the engine passes
//! visit 0 around and calls nothing.

use super::failure::{Failure, Fault};
use crate::definition::State;
use serde_json::Value;

/// Where a path of the execution runs: inside branch or iteration `index` of the Parallel or
/// Map state entered as visit `parent`. The top level has no frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    pub parent: u64,
    pub index: usize,
}

/// Receives the structure of an execution as it runs. Calls for one path come in order;
/// concurrent paths interleave. Implementations must be cheap and must not block.
pub trait Probe: Send + Sync {
    /// A state was entered with `input`; returns the id of this visit (non-zero), which the
    /// other calls for the same visit quote.
    fn entered(&self, frame: Option<Frame>, state: &State, input: &Value) -> u64;
    /// A Choice state chose rule `rule` (`None`: its `Default`).
    fn chose(&self, visit: u64, rule: Option<usize>);
    /// A Task state called its handler with `input` (the effective parameters).
    fn called(&self, visit: u64, input: &Value);
    /// Retry rule `rule` matched `failure` and the state will be tried again.
    fn retried(&self, visit: u64, rule: usize, failure: &Failure);
    /// Retry rule `rule` matched `failure` but had no attempts left.
    fn exhausted(&self, visit: u64, rule: usize, failure: &Failure);
    /// Catch clause `clause` caught `failure`.
    fn caught(&self, visit: u64, clause: usize, failure: &Failure);
    /// The state left with `output` for `next` (`None`: the end of its graph); `variables` are
    /// those visible after it, its own assignments included.
    fn exited(
        &self,
        visit: u64,
        output: &Value,
        next: Option<&State>,
        variables: &[(&str, &Value)],
    );
    /// The state failed with `failure`, which no Catch of its own caught.
    fn failed(&self, visit: u64, failure: &Failure);
    /// Asked after each state is entered: a probe that has seen the execution go where it
    /// must not (a replay that departed from its record) stops it there with a fault.
    fn halt(&self) -> Option<Fault> {
        None
    }
    /// A step of the state's data flow made `value` (TestState's inspection data). Only a
    /// probe that overrides it pays for anything: the engine passes a borrowed value.
    fn step(&self, _visit: u64, _step: Step, _value: &Value) {}
}

/// The steps of a state's data flow a [`Probe`] is shown, in the specification's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The effective input, after `InputPath` (JSONPath states).
    InputPath,
    /// What the action reads: after `Parameters` or `Arguments`.
    Parameters,
    /// The action's raw result.
    Result,
    /// After `ResultSelector` (JSONPath).
    ResultSelector,
    /// After `ResultPath`, before `OutputPath` (JSONPath).
    ResultPath,
    /// A Map's items, after `ItemsPath` or `Items`.
    ItemsPath,
    /// One Map iteration's input, after `ItemSelector` (the item index is given).
    ItemSelector(usize),
    /// One batch of a Distributed Map's `ItemBatcher` (the index of its first item is given).
    ItemBatcher(usize),
    /// One item as a Distributed Map's `ItemReader` read it (through its `ItemsPointer`,
    /// when it has one), before `ItemSelector` (the item index is given).
    ItemRead(usize),
    /// A Map's `MaxConcurrency`, as evaluated.
    MaxConcurrency,
    /// A Map's `ToleratedFailureCount`, as evaluated.
    ToleratedFailureCount,
    /// A Map's `ToleratedFailurePercentage`, as evaluated.
    ToleratedFailurePercentage,
}
