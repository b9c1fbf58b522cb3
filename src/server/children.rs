//! The child executions of Distributed Map runs as DescribeExecution and GetExecutionHistory
//! show them (ListExecutions with a `mapRunArn` lists them from `map_runs`).
//!
//! The engine hands each child's history to a [`ChildSink`] as it happens
//! ([`crate::engine::MapRunSink::child_history`]); what DescribeExecution says is read from
//! those events: the input from `ExecutionStarted`, the status, output, error and cause from
//! the last one. A child cut short with its run (its execution stopped, the run failed past
//! its tolerance) is dropped by the engine without a last event: it gets `ExecutionAborted`
//! then, as AWS aborts it. A Standard child redriven with its run from where it stopped
//! ([`crate::engine::MapRunChild::continued`]) goes on in the history it had, after
//! `ExecutionRedriven`; StopExecution reaches a running child through its `stop`
//! ([`crate::engine::MapRunSink::child_stop`]).
//!
//! Children count against `--max-finished` with the executions: a finished child takes a
//! place in the store's line of finished executions and is forgotten, oldest first, as they
//! are. `--state-dir` keeps each finished child ([`ChildExecution::to_json`]) until it is
//! forgotten; a child still running when the server is killed is not kept (its execution
//! comes back ABORTED, and ListExecutions of its run lists it so).

use super::Server;
use super::store::{lock, now};
use crate::engine::{Event, EventSink};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex, Weak};

/// One child execution of a map run.
pub struct ChildExecution {
    pub arn: String,
    pub name: String,
    /// The children's state machine, `stateMachine:MACHINE/LABEL`.
    pub machine_arn: String,
    pub map_run_arn: String,
    /// GetExecutionHistory's events, appended as they happen.
    pub events: Mutex<Vec<Value>>,
    /// StopExecution's way to it while it runs.
    pub stop: Mutex<Option<tokio::sync::oneshot::Sender<String>>>,
}

/// The end events and the status each gives.
const ENDS: &[(&str, &str, &str)] = &[
    (
        "ExecutionSucceeded",
        "SUCCEEDED",
        "executionSucceededEventDetails",
    ),
    ("ExecutionFailed", "FAILED", "executionFailedEventDetails"),
    (
        "ExecutionTimedOut",
        "TIMED_OUT",
        "executionTimedOutEventDetails",
    ),
    (
        "ExecutionAborted",
        "ABORTED",
        "executionAbortedEventDetails",
    ),
];

impl ChildExecution {
    /// DescribeExecution's answer, read from the events.
    pub fn described(&self) -> Value {
        let events = lock(&self.events);
        let mut out = json!({
            "executionArn": self.arn,
            "stateMachineArn": self.machine_arn,
            "name": self.name,
            "status": "RUNNING",
            "mapRunArn": self.map_run_arn,
            "redriveCount": 0,
            "redriveStatus": "NOT_REDRIVABLE",
        });
        // Each redrive from where it stopped opened with `ExecutionRedriven`.
        let redriven: Vec<&Value> = events
            .iter()
            .filter(|e| e["type"] == "ExecutionRedriven")
            .collect();
        if let Some(last) = redriven.last() {
            out["redriveCount"] = json!(redriven.len());
            out["redriveDate"] = last["timestamp"].clone();
        }
        if let Some(first) = events.first() {
            out["startDate"] = first["timestamp"].clone();
            if let Some(input) = first.pointer("/executionStartedEventDetails/input") {
                out["input"] = input.clone();
                out["inputDetails"] = json!({"included": true});
            }
        }
        let end = events.last().and_then(|e| {
            let kind = e["type"].as_str()?;
            ENDS.iter()
                .find(|(k, _, _)| *k == kind)
                .map(|(_, status, key)| (e, *status, *key))
        });
        if let Some((e, status, key)) = end {
            out["status"] = json!(status);
            out["stopDate"] = e["timestamp"].clone();
            let details = &e[key];
            if let Some(o) = details.get("output") {
                out["output"] = o.clone();
                out["outputDetails"] = json!({"included": true});
            }
            for k in ["error", "cause"] {
                if let Some(v) = details.get(k) {
                    out[k] = v.clone();
                }
            }
        }
        out
    }

    /// The record `--state-dir` keeps of a finished child.
    pub fn to_json(&self) -> Value {
        json!({
            "arn": self.arn,
            "name": self.name,
            "machineArn": self.machine_arn,
            "mapRunArn": self.map_run_arn,
            "events": *lock(&self.events),
        })
    }

    /// A finished child back from its record.
    pub fn from_json(v: &Value) -> Option<ChildExecution> {
        let text = |k: &str| Some(v.get(k)?.as_str()?.to_string());
        Some(ChildExecution {
            arn: text("arn")?,
            name: text("name")?,
            machine_arn: text("machineArn")?,
            map_run_arn: text("mapRunArn")?,
            events: Mutex::new(v.get("events")?.as_array()?.clone()),
            stop: Mutex::new(None),
        })
    }

    /// When it stopped (its last event's time), else when it started: its place in the line
    /// of finished executions after a restart.
    pub fn stopped(&self) -> f64 {
        let events = lock(&self.events);
        events
            .last()
            .and_then(|e| e["timestamp"].as_f64())
            .unwrap_or(0.0)
    }

    /// Whether the history has its last event.
    fn ended(&self) -> bool {
        lock(&self.events)
            .last()
            .and_then(|e| e["type"].as_str())
            .is_some_and(|k| ENDS.iter().any(|(end, _, _)| *end == k))
    }
}

/// Receives one child's events; dropped when the child is done.
pub struct ChildSink {
    pub child: Arc<ChildExecution>,
    pub server: Weak<Server>,
}

impl EventSink for ChildSink {
    fn event(&self, e: &Event) {
        lock(&self.child.events).push(super::executions::event_json(e));
    }
}

impl Drop for ChildSink {
    fn drop(&mut self) {
        // Done: nothing left to stop.
        lock(&self.child.stop).take();
        if !self.child.ended() {
            super::store::end_history(
                &mut lock(&self.child.events),
                now(),
                "ExecutionAborted",
                json!({}),
            );
        }
        if let Some(server) = self.server.upgrade() {
            server.store.child_finished(&self.child.arn);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn child() -> Arc<ChildExecution> {
        Arc::new(ChildExecution {
            arn: "arn:aws:states:us-east-1:1:execution:M/L:c".into(),
            name: "c".into(),
            machine_arn: "arn:aws:states:us-east-1:1:stateMachine:M/L".into(),
            map_run_arn: "arn:aws:states:us-east-1:1:mapRun:M/L:r".into(),
            events: Mutex::default(),
            stop: Mutex::default(),
        })
    }

    #[test]
    fn a_child_is_described_from_its_events_and_aborted_when_dropped_unended() {
        let c = child();
        lock(&c.events).push(
            json!({"timestamp": 1.5, "type": "ExecutionStarted", "id": 1,
            "previousEventId": 0, "executionStartedEventDetails": {"input": "{\"a\":1}"}}),
        );
        let d = c.described();
        assert_eq!(d["status"], "RUNNING");
        assert_eq!(d["input"], "{\"a\":1}");
        assert_eq!(d["startDate"], 1.5);
        assert_eq!(d["mapRunArn"], c.map_run_arn.as_str());
        assert!(d.get("stopDate").is_none());
        drop(ChildSink {
            child: c.clone(),
            server: Weak::new(),
        });
        let d = c.described();
        assert_eq!(d["status"], "ABORTED");
        assert_eq!(
            lock(&c.events).last().map(|e| e["id"].clone()),
            Some(json!(2))
        );
        assert!(d.get("stopDate").is_some());
    }

    #[test]
    fn a_failed_child_shows_its_error_and_cause() {
        let c = child();
        lock(&c.events).push(json!({"timestamp": 1, "type": "ExecutionStarted", "id": 1,
            "previousEventId": 0, "executionStartedEventDetails": {"input": "1"}}));
        lock(&c.events).push(json!({"timestamp": 2, "type": "ExecutionFailed", "id": 2,
            "previousEventId": 1, "executionFailedEventDetails": {"error": "E", "cause": "C"}}));
        let d = c.described();
        assert_eq!(
            (&d["status"], &d["error"], &d["cause"], &d["stopDate"]),
            (&json!("FAILED"), &json!("E"), &json!("C"), &json!(2))
        );
        assert!(d.get("output").is_none());
    }

    #[test]
    fn a_child_redriven_in_its_history_counts_its_redrives_and_dates_the_last() {
        let c = child();
        for (id, kind, at) in [
            (1, "ExecutionStarted", 1),
            (2, "ExecutionFailed", 2),
            (3, "ExecutionRedriven", 5),
            (4, "ExecutionFailed", 6),
            (5, "ExecutionRedriven", 9),
        ] {
            lock(&c.events)
                .push(json!({"timestamp": at, "type": kind, "id": id, "previousEventId": id - 1}));
        }
        let d = c.described();
        assert_eq!(
            (&d["redriveCount"], &d["redriveDate"]),
            (&json!(2), &json!(9))
        );
        assert_eq!(
            (&d["status"], &d["startDate"]),
            (&json!("RUNNING"), &json!(1))
        );
    }
}
