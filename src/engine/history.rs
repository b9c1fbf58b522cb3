//! Execution history: the events AWS's `GetExecutionHistory` shows, with ids, previous ids and
//! timestamps.
//!
//! Event ids are always counted (AWS quotes them in causes: "entered at the event id #2"),
//! but event details are only built when someone listens: `--history` keeps them, `--trace`
//! prints them as they happen through an [`EventSink`]. The cap on the number of events
//! (AWS's 25,000 by default) is enforced here.

use crate::data::timestamp::Instant;
use serde_json::{Map, Value, json};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// One history event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: u64,
    pub previous_event_id: u64,
    pub timestamp: Instant,
    /// AWS's event type (`PassStateEntered`, `TaskSucceeded`, ...).
    pub kind: String,
    /// The details object (`stateEnteredEventDetails`, ...) as `(key, value)`, if any.
    pub details: Option<(String, Value)>,
}

impl Event {
    /// The event as GetExecutionHistory prints it.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("timestamp".into(), json!(self.timestamp.to_iso_millis()));
        m.insert("type".into(), json!(self.kind));
        m.insert("id".into(), json!(self.id));
        m.insert("previousEventId".into(), json!(self.previous_event_id));
        if let Some((k, v)) = &self.details {
            m.insert(k.clone(), v.clone());
        }
        Value::Object(m)
    }
}

/// Receives every event as it is recorded (the `--trace` printer, tests).
pub trait EventSink: Send + Sync {
    fn event(&self, e: &Event);
    /// Progress that is not an event of AWS's history (a Distributed Map's items done), for
    /// people watching the run.
    fn progress(&self, _text: &str) {}
}

/// A sink from a closure.
pub struct SinkFn<F: Fn(&Event) + Send + Sync>(pub F);

impl<F: Fn(&Event) + Send + Sync> EventSink for SinkFn<F> {
    fn event(&self, e: &Event) {
        (self.0)(e)
    }
}

/// The history of one execution.
pub struct History {
    /// Events recorded so far (the last event's id). Counted apart from the events, so that
    /// a run nobody listens to takes no lock per event.
    count: AtomicU64,
    inner: Mutex<Inner>,
    keep: bool,
    sink: Option<Box<dyn EventSink>>,
    max_events: Option<u64>,
}

struct Inner {
    events: Vec<Event>,
}

/// The history went over its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyEvents(pub u64);

impl History {
    pub fn new(keep: bool, sink: Option<Box<dyn EventSink>>, max_events: Option<u64>) -> History {
        History {
            count: AtomicU64::new(0),
            inner: Mutex::new(Inner { events: Vec::new() }),
            keep,
            sink,
            max_events,
        }
    }

    /// Hands progress to the sink, if any (never recorded in the history).
    pub fn progress(&self, text: impl FnOnce() -> String) {
        if let Some(s) = &self.sink {
            s.progress(&text());
        }
    }

    /// Whether event details are wanted (so callers can skip building them).
    pub fn detailed(&self) -> bool {
        self.keep || self.sink.is_some()
    }

    /// Records an event after `previous`; returns its id. `details` runs only when wanted.
    pub fn emit(
        &self,
        kind: &str,
        previous: u64,
        at: Instant,
        details: impl FnOnce() -> Option<(String, Value)>,
    ) -> Result<u64, TooManyEvents> {
        self.record(|| self.next_id(), kind, previous, at, details)
    }

    /// Records a final event even when the cap is reached (the execution's end).
    pub fn emit_final(
        &self,
        kind: &str,
        previous: u64,
        at: Instant,
        details: impl FnOnce() -> Option<(String, Value)>,
    ) -> u64 {
        let past_cap = || Ok::<_, TooManyEvents>(self.count.fetch_add(1, Ordering::Relaxed) + 1);
        // `past_cap` never fails, so neither does the recording.
        match self.record(past_cap, kind, previous, at, details) {
            Ok(id) | Err(TooManyEvents(id)) => id,
        }
    }

    /// Takes an id from `take_id` and, when someone listens, builds the event and hands it on.
    fn record(
        &self,
        take_id: impl FnOnce() -> Result<u64, TooManyEvents>,
        kind: &str,
        previous: u64,
        at: Instant,
        details: impl FnOnce() -> Option<(String, Value)>,
    ) -> Result<u64, TooManyEvents> {
        if !self.detailed() {
            return take_id();
        }
        // Held while the id is taken, so that events are kept and shown in id order.
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let id = take_id()?;
        let e = Event {
            id,
            previous_event_id: previous,
            timestamp: at,
            kind: kind.to_string(),
            details: details(),
        };
        if let Some(s) = &self.sink {
            s.event(&e);
        }
        if self.keep {
            inner.events.push(e);
        }
        Ok(id)
    }

    /// The next event id, unless the cap is reached.
    fn next_id(&self) -> Result<u64, TooManyEvents> {
        self.count
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                match self.max_events {
                    Some(max) if n >= max => None,
                    _ => Some(n + 1),
                }
            })
            .map(|n| n + 1)
            .map_err(|_| TooManyEvents(self.max_events.unwrap_or(u64::MAX)))
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    pub fn take_events(&self) -> Vec<Event> {
        self.inner
            .lock()
            .map(|mut i| std::mem::take(&mut i.events))
            .unwrap_or_default()
    }
}

/// `{"name": ..., "input": ..., "inputDetails": {"truncated": false}}` and friends.
pub fn state_entered(name: &str, input: &Value) -> Option<(String, Value)> {
    Some((
        "stateEnteredEventDetails".into(),
        json!({"name": name, "input": input.to_string(), "inputDetails": {"truncated": false}}),
    ))
}

pub fn state_exited(
    name: &str,
    output: &Value,
    assigned: Option<&Map<String, Value>>,
) -> Option<(String, Value)> {
    let mut d =
        json!({"name": name, "output": output.to_string(), "outputDetails": {"truncated": false}});
    if let (Some(vars), Some(obj)) = (assigned, d.as_object_mut())
        && !vars.is_empty()
    {
        let rendered: Map<String, Value> = vars
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.to_string())))
            .collect();
        obj.insert("assignedVariables".into(), Value::Object(rendered));
        obj.insert(
            "assignedVariablesDetails".into(),
            json!({"truncated": false}),
        );
    }
    Some(("stateExitedEventDetails".into(), d))
}

/// The details key AWS uses for an event type: `TaskScheduled` -> `taskScheduledEventDetails`.
pub fn details_key(kind: &str) -> String {
    let mut c = kind.chars();
    match c.next() {
        Some(f) => format!("{}{}EventDetails", f.to_lowercase(), c.as_str()),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_ids_without_details_and_caps() {
        let h = History::new(false, None, Some(2));
        let t = Instant(0);
        assert_eq!(h.emit("A", 0, t, || panic!("details built")), Ok(1));
        assert_eq!(h.emit("B", 1, t, || None), Ok(2));
        assert_eq!(h.emit("C", 2, t, || None), Err(TooManyEvents(2)));
        assert_eq!(
            h.emit_final("ExecutionFailed", 2, t, || panic!("details built")),
            3
        );
        assert!(h.take_events().is_empty());
    }

    #[test]
    fn keeps_events_in_aws_shape() {
        let h = History::new(true, None, None);
        h.emit("PassStateEntered", 1, Instant(0), || {
            state_entered("P", &json!({"a": 1}))
        })
        .unwrap();
        let e = h.take_events().remove(0).to_json();
        assert_eq!(e["type"], "PassStateEntered");
        assert_eq!(e["previousEventId"], 1);
        assert_eq!(e["stateEnteredEventDetails"]["input"], "{\"a\":1}");
        assert_eq!(
            details_key("MapIterationStarted"),
            "mapIterationStartedEventDetails"
        );
    }
}
