//! Execution history: the events AWS's `GetExecutionHistory` shows, with ids, previous ids and
//! timestamps.
//!
//! Event ids are always counted (AWS quotes them in causes: "entered at the event id #2"),
//! but event details are only built when someone listens: `--history` keeps them, `--trace`
//! prints them as they happen through an [`EventSink`]. The cap on the number of events
//! (AWS's 25,000 by default) is enforced here.

use crate::data::timestamp::Instant;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

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
    /// In a kept event, the details' large text members (`input`, `output`, ...) moved out of
    /// `details` (which holds `null` in their place) as [`SharedText`]: a loop that passes
    /// a 200 KB payload on 2,500 times, changing a counter beside it, keeps the payload once,
    /// not 5,000 times.
    pub shared: Vec<(String, SharedText)>,
}

/// A JSON payload's text, kept as pieces (its top-level members, each escaped as JSON
/// string content), the large ones stored once per history.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedText(Vec<Arc<str>>);

impl SharedText {
    /// The member as a JSON string literal, quotes included.
    fn literal(&self) -> String {
        let mut s = String::with_capacity(self.0.iter().map(|p| p.len()).sum::<usize>() + 2);
        s.push('"');
        for p in &self.0 {
            s.push_str(p);
        }
        s.push('"');
        s
    }

    /// The text itself.
    pub fn text(&self) -> String {
        serde_json::from_str(&self.literal()).unwrap_or_default()
    }
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
            let mut v = v.clone();
            if let Value::Object(d) = &mut v {
                for (field, text) in &self.shared {
                    d.insert(field.clone(), Value::String(text.text()));
                }
            }
            m.insert(k.clone(), v);
        }
        Value::Object(m)
    }
}

/// An event serializes as [`Event::to_json`] would print it, without building that copy:
/// a history file is written event by event from the shared texts.
impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Details<'a>(&'a Value, &'a [(String, SharedText)]);
        impl Serialize for Details<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let Value::Object(d) = self.0 else {
                    return self.0.serialize(s);
                };
                let mut m = s.serialize_map(Some(d.len()))?;
                for (k, v) in d {
                    match self.1.iter().find(|(f, _)| f == k) {
                        Some((_, text)) => {
                            // One member's text at a time, already escaped.
                            let raw = serde_json::value::RawValue::from_string(text.literal())
                                .map_err(serde::ser::Error::custom)?;
                            m.serialize_entry(k, &raw)?
                        }
                        None => m.serialize_entry(k, v)?,
                    }
                }
                m.end()
            }
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("timestamp", &self.timestamp.to_iso_millis())?;
        m.serialize_entry("type", &self.kind)?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("previousEventId", &self.previous_event_id)?;
        if let Some((k, v)) = &self.details {
            m.serialize_entry(k, &Details(v, &self.shared))?;
        }
        m.end()
    }
}

/// Texts at least this long are kept once per history.
const SHARED_TEXT: usize = 1024;

/// The large texts of a history's kept events, each stored once.
#[derive(Default)]
struct Texts {
    by_hash: HashMap<u64, Vec<Arc<str>>>,
    hasher: foldhash::fast::FixedState,
}

impl Texts {
    /// One escaped piece, stored once when large.
    fn keep(&mut self, piece: &str) -> Arc<str> {
        if piece.len() < SHARED_TEXT {
            return Arc::from(piece);
        }
        let same = self.by_hash.entry(self.hasher.hash_one(piece)).or_default();
        if let Some(t) = same.iter().find(|t| ***t == *piece) {
            return t.clone();
        }
        let t: Arc<str> = Arc::from(piece);
        same.push(t.clone());
        t
    }

    /// A text as pieces: a JSON object's or array's text is cut after each top-level member,
    /// so a large member that does not change is shared however its neighbours change. JSON
    /// escapes character by character, so the escaped pieces joined are the escaped text.
    fn pieces(&mut self, text: &str) -> SharedText {
        let mut out = Vec::new();
        let mut start = 0;
        let (mut depth, mut in_string, mut escape) = (0usize, false, false);
        for (i, b) in text.bytes().enumerate() {
            if in_string {
                match b {
                    _ if escape => escape = false,
                    b'\\' => escape = true,
                    b'"' => in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => depth = depth.saturating_sub(1),
                b',' if depth == 1 => {
                    out.push(self.escaped(&text[start..=i]));
                    start = i + 1;
                }
                _ => {}
            }
        }
        out.push(self.escaped(&text[start..]));
        SharedText(out)
    }

    fn escaped(&mut self, raw: &str) -> Arc<str> {
        let quoted = serde_json::to_string(raw).unwrap_or_default();
        self.keep(
            quoted
                .get(1..quoted.len().saturating_sub(1))
                .unwrap_or_default(),
        )
    }

    /// Moves the large text members of `e`'s details into the shared store.
    fn share(&mut self, e: &mut Event) {
        let Some((_, Value::Object(d))) = &mut e.details else {
            return;
        };
        for (k, v) in d.iter_mut() {
            if let Value::String(t) = v
                && t.len() >= SHARED_TEXT
            {
                let text = std::mem::take(t);
                *v = Value::Null;
                e.shared.push((k.clone(), self.pieces(&text)));
            }
        }
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
    texts: Texts,
}

/// The history went over its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyEvents(pub u64);

impl History {
    pub fn new(keep: bool, sink: Option<Box<dyn EventSink>>, max_events: Option<u64>) -> History {
        History {
            count: AtomicU64::new(0),
            inner: Mutex::new(Inner {
                events: Vec::new(),
                texts: Texts::default(),
            }),
            keep,
            sink,
            max_events,
        }
    }

    /// Numbers the next event after `last`: a redriven execution's history goes on from the
    /// events it already has.
    pub(crate) fn continue_after(&self, last: u64) {
        self.count.store(last, Ordering::Relaxed);
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
        let mut e = Event {
            id,
            previous_event_id: previous,
            timestamp: at,
            kind: kind.to_string(),
            details: details(),
            shared: Vec::new(),
        };
        if let Some(s) = &self.sink {
            s.event(&e);
        }
        if self.keep {
            inner.texts.share(&mut e);
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
    fn large_payloads_are_kept_once_and_written_back_exactly() {
        let h = History::new(true, None, None);
        let big = "x\"\\é,".repeat(2000);
        let payload =
            |n: u64| json!({"data": {"text": big, "list": [1, "a,b", {"c": "}"}]}, "n": n});
        for n in 0..3 {
            h.emit("PassStateEntered", n, Instant(0), || {
                state_entered("P", &payload(n))
            })
            .unwrap();
        }
        let events = h.take_events();
        // The large member is one text for all three events; the counter beside it is not.
        let data: Vec<&Arc<str>> = events.iter().map(|e| &e.shared[0].1.0[0]).collect();
        assert!(Arc::ptr_eq(data[0], data[1]) && Arc::ptr_eq(data[1], data[2]));
        for (n, e) in events.iter().enumerate() {
            let want = payload(n as u64).to_string();
            let shown = e.to_json();
            assert_eq!(shown["stateEnteredEventDetails"]["input"], want);
            // Serialized event by event, the same JSON as `to_json` prints.
            let written: Value = serde_json::from_str(&serde_json::to_string(e).unwrap()).unwrap();
            assert_eq!(written, shown);
        }
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
