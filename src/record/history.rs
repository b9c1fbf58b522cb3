//! Reading an execution history file into [`History`]: a typed event list.
//!
//! Accepted shapes: what `aws stepfunctions get-execution-history --output json` prints
//! (`{"events": [...]}`, every page merged), the bare event list, a list of such pages, and
//! what `asl run --history` writes (the same, with `executionArn` and `childExecutions`).
//! A history may carry, under `mapRunExecutions`, the histories of its Distributed Map runs'
//! child executions (each GetExecutionHistory's shape with its `executionArn` and
//! `mapRunArn`), which `asl record ARN` fetches and writes there.
//! Timestamps may be ISO text (`2024-05-01T10:00:00.123000+02:00`, AWS CLI v2) or epoch
//! seconds as numbers (CLI v1, the SDKs' raw form). Events are ordered by id, whatever order
//! the file lists them in (`--reverse-order`). Every problem is collected with its JSON
//! pointer; nothing here guesses a value the file does not hold.

use super::event::{Detail, Event, Family, Fan, Payload};
use crate::data::timestamp::{self, Instant};
use crate::definition::Pointer;
use serde_json::{Map, Value};

/// A problem in a history file, at a JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryError {
    pub pointer: String,
    pub message: String,
}

/// An execution's history.
///
/// Invariants: `events` is sorted by id, ids are unique and non-zero, and the first event
/// is `ExecutionStarted`.
#[derive(Debug, Clone)]
pub struct History {
    pub events: Vec<Event>,
    /// The execution's ARN, when the file names it (asl writes it; merge DescribeExecution's
    /// `executionArn` into an AWS history to give it).
    pub execution_arn: Option<String>,
    /// The state machine's ARN: the file's `stateMachineArn`, else `ExecutionStarted`'s.
    pub state_machine_arn: Option<String>,
    /// The seed of the run's random draws (task tokens, `States.UUID()`, jitter), which
    /// `asl run --history` writes so that a replay draws the same.
    pub seed: Option<u64>,
    /// What was read leniently: a timestamp in neither form (ignored; only the start time is
    /// read from one), a cause or error given as JSON rather than text.
    pub warnings: Vec<HistoryError>,
    /// The histories of Distributed Map runs' child executions (`mapRunExecutions`).
    pub map_run_executions: Vec<MapRunExecution>,
}

/// A child execution of a Distributed Map run, with its own history.
#[derive(Debug, Clone)]
pub struct MapRunExecution {
    /// The run it belongs to (`mapRunArn`); without it, the history's only map run.
    pub map_run_arn: Option<String>,
    pub history: History,
}

impl History {
    /// Reads a parsed history file.
    pub fn from_value(doc: &Value) -> Result<History, Vec<HistoryError>> {
        let mut errors = Vec::new();
        let root = Pointer::root();
        let mut listed: Vec<(Pointer, &Value)> = Vec::new();
        let mut arns: [Option<String>; 2] = [None, None];
        match doc {
            Value::Object(obj) => page(obj, &root, &mut listed, &mut arns, &mut errors),
            Value::Array(items)
                if items.iter().all(|p| p.get("events").is_some()) && !items.is_empty() =>
            {
                for (i, p) in items.iter().enumerate() {
                    if let Value::Object(obj) = p {
                        page(obj, &root.index(i), &mut listed, &mut arns, &mut errors);
                    }
                }
            }
            Value::Array(items) => {
                listed.extend(items.iter().enumerate().map(|(i, e)| (root.index(i), e)));
            }
            other => errors.push(HistoryError {
                pointer: String::new(),
                message: format!(
                    "expected a history: an object with `events` or a list of events; found {}",
                    kind(other)
                ),
            }),
        }
        let [execution_arn, mut state_machine_arn] = arns;
        let seed = match doc.get("seed") {
            None => None,
            Some(v) => match v.as_u64() {
                Some(n) => Some(n),
                None => {
                    errors.push(HistoryError {
                        pointer: "/seed".into(),
                        message: format!("`seed` must be a non-negative integer, found {v}"),
                    });
                    None
                }
            },
        };
        let mut warnings = Vec::new();
        let map_run_executions = children(doc, &mut errors, &mut warnings);
        let mut events: Vec<Event> = listed
            .into_iter()
            .filter_map(|(at, e)| event(e, &at, &mut errors, &mut warnings))
            .collect();
        events.sort_by_key(|e| e.id);
        for pair in events.windows(2) {
            if pair[0].id == pair[1].id {
                errors.push(HistoryError {
                    pointer: pair[1].pointer.clone(),
                    message: format!(
                        "two events have the id {} (the other is at {}): merge the pages of a history once",
                        pair[1].id, pair[0].pointer
                    ),
                });
            }
        }
        match events.first() {
            Some(e) if matches!(e.detail, Detail::ExecutionStarted { .. }) => {
                if let Detail::ExecutionStarted {
                    state_machine_arn: Some(a),
                    ..
                } = &e.detail
                {
                    state_machine_arn.get_or_insert_with(|| a.clone());
                }
            }
            Some(e) => errors.push(HistoryError {
                pointer: e.pointer.clone(),
                message: format!(
                    "the history must begin with `ExecutionStarted`; its first event (id {}) is `{}`: is a page missing?",
                    e.id, e.kind
                ),
            }),
            None if errors.is_empty() => errors.push(HistoryError {
                pointer: String::new(),
                message: "the history has no events".into(),
            }),
            None => {}
        }
        if errors.is_empty() {
            Ok(History {
                events,
                execution_arn,
                state_machine_arn,
                seed,
                warnings,
                map_run_executions,
            })
        } else {
            Err(errors)
        }
    }

    /// The event with id `id`.
    pub fn get(&self, id: u64) -> Option<&Event> {
        self.events
            .binary_search_by_key(&id, |e| e.id)
            .ok()
            .map(|i| &self.events[i])
    }
}

/// One event as GetExecutionHistory gives it (`{"id", "previousEventId", "timestamp", "type",
/// "<kind>EventDetails"}`) as the engine's [`engine::Event`](crate::engine::Event), the shape
/// a local run's `--trace`, `--history` and `--graph` are fed: `asl run --remote` shows a
/// real execution's events through them. `None` for an event without an `id` or a `type`;
/// a timestamp in neither of AWS's forms is the epoch (the trace then shows no durations).
pub fn engine_event(v: &Value) -> Option<crate::engine::Event> {
    let obj = v.as_object()?;
    let id = obj.get("id")?.as_u64()?;
    let kind = obj.get("type")?.as_str()?.to_string();
    let details = obj
        .iter()
        .find(|(k, _)| k.ends_with("EventDetails"))
        .map(|(k, d)| (k.clone(), d.clone()));
    Some(crate::engine::Event {
        id,
        previous_event_id: obj
            .get("previousEventId")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        timestamp: obj.get("timestamp").and_then(time).unwrap_or(Instant(0)),
        kind,
        details,
        shared: Vec::new(),
    })
}

/// One page of a history (`{"events": [...], ...}`): its events onto `listed`, and the
/// `executionArn` and `stateMachineArn` it names into `arns`.
fn page<'a>(
    obj: &'a Map<String, Value>,
    at: &Pointer,
    listed: &mut Vec<(Pointer, &'a Value)>,
    arns: &mut [Option<String>; 2],
    errors: &mut Vec<HistoryError>,
) {
    match obj.get("events") {
        Some(Value::Array(events)) => {
            let ep = at.key("events");
            listed.extend(events.iter().enumerate().map(|(i, e)| (ep.index(i), e)));
        }
        Some(other) => errors.push(HistoryError {
            pointer: at.key("events").to_string(),
            message: format!("`events` must be a list of events, found {}", kind(other)),
        }),
        None => errors.push(HistoryError {
            pointer: at.to_string(),
            message: "expected a history: an object with `events` (what `aws stepfunctions get-execution-history` prints) or a list of events; found no `events`".into(),
        }),
    }
    for (key, slot) in ["executionArn", "stateMachineArn"]
        .into_iter()
        .zip(arns.iter_mut())
    {
        if let Some(v) = obj.get(key) {
            match v.as_str() {
                Some(s) => *slot = Some(s.to_string()),
                None => errors.push(HistoryError {
                    pointer: at.key(key).to_string(),
                    message: format!("`{key}` must be a string, found {}", kind(v)),
                }),
            }
        }
    }
}

/// The child executions' histories under `mapRunExecutions`, their problems located in
/// the file.
fn children(
    doc: &Value,
    errors: &mut Vec<HistoryError>,
    warnings: &mut Vec<HistoryError>,
) -> Vec<MapRunExecution> {
    let at = |i: usize, p: &str| format!("/mapRunExecutions/{i}{p}");
    match doc.get("mapRunExecutions") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => {
            let mut out = Vec::new();
            for (i, child) in list.iter().enumerate() {
                let map_run_arn = match child.get("mapRunArn") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(other) => {
                        errors.push(HistoryError {
                            pointer: at(i, "/mapRunArn"),
                            message: format!("`mapRunArn` must be a string, found {}", kind(other)),
                        });
                        None
                    }
                };
                if !child.is_object() {
                    errors.push(HistoryError {
                        pointer: at(i, ""),
                        message: format!(
                            "a child execution must be a history object with `events`, found {}",
                            kind(child)
                        ),
                    });
                    continue;
                }
                match History::from_value(child) {
                    Ok(mut history) => {
                        warnings.extend(history.warnings.drain(..).map(|w| HistoryError {
                            pointer: at(i, &w.pointer),
                            message: w.message,
                        }));
                        out.push(MapRunExecution {
                            map_run_arn,
                            history,
                        });
                    }
                    Err(errs) => errors.extend(errs.into_iter().map(|e| HistoryError {
                        pointer: at(i, &e.pointer),
                        message: e.message,
                    })),
                }
            }
            out
        }
        Some(other) => {
            errors.push(HistoryError {
                pointer: "/mapRunExecutions".into(),
                message: format!(
                    "`mapRunExecutions` must be a list of child executions' histories, found {}",
                    kind(other)
                ),
            });
            Vec::new()
        }
    }
}

/// A JSON value's kind, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// One event, or `None` with its problems recorded.
fn event(
    e: &Value,
    at: &Pointer,
    errors: &mut Vec<HistoryError>,
    warnings: &mut Vec<HistoryError>,
) -> Option<Event> {
    let before = errors.len();
    let mut err = |p: Pointer, m: String| {
        errors.push(HistoryError {
            pointer: p.to_string(),
            message: m,
        })
    };
    let Some(obj) = e.as_object() else {
        err(
            at.clone(),
            format!("an event must be an object, found {}", kind(e)),
        );
        return None;
    };
    let id = match obj.get("id") {
        Some(v) => match v.as_u64() {
            Some(n) if n > 0 => Some(n),
            _ => {
                err(
                    at.key("id"),
                    format!("`id` must be a positive integer, found {v}"),
                );
                None
            }
        },
        None => {
            err(at.key("id"), "the event has no `id`".into());
            None
        }
    };
    let previous = match obj.get("previousEventId") {
        None | Some(Value::Null) => 0,
        Some(v) => v.as_u64().unwrap_or_else(|| {
            err(
                at.key("previousEventId"),
                format!("`previousEventId` must be a non-negative integer, found {v}"),
            );
            0
        }),
    };
    let kind_name = match obj.get("type").and_then(Value::as_str) {
        Some(t) => t.to_string(),
        None => {
            err(at.key("type"), "the event has no `type` string".into());
            String::new()
        }
    };
    let timestamp = match obj.get("timestamp") {
        None | Some(Value::Null) => None,
        Some(v) => match time(v) {
            Some(t) => Some(t),
            None => {
                warnings.push(HistoryError {
                    pointer: at.key("timestamp").to_string(),
                    message: format!(
                        "`timestamp` is neither ISO 8601 text (`2024-05-01T10:00:00.123Z`) nor epoch seconds, found {v}: ignored"
                    ),
                });
                None
            }
        },
    };
    let detail = detail(&kind_name, obj, at, errors, warnings);
    if errors.len() > before {
        return None;
    }
    Some(Event {
        id: id?,
        previous,
        timestamp,
        kind: kind_name,
        detail,
        pointer: at.to_string(),
    })
}

/// A timestamp as either form the AWS CLI prints.
fn time(v: &Value) -> Option<Instant> {
    match v {
        Value::Number(n) => {
            // Epoch seconds within the years a history can hold (0001 to 9999).
            let secs = n.as_f64()?;
            (secs.is_finite() && secs.abs() < 3e11)
                .then(|| Instant((secs * 1e3).round() as i128 * 1_000_000))
        }
        Value::String(s) => {
            // Python's `str(datetime)` puts a space where ISO puts `T`.
            let s = if s.as_bytes().get(10) == Some(&b' ') {
                format!("{}T{}", &s[..10], &s[11..])
            } else {
                s.clone()
            };
            timestamp::parse(&s).or_else(|| {
                // `+0200` without the colon.
                let b = s.as_bytes();
                let n = b.len();
                (n > 5
                    && matches!(b[n - 5], b'+' | b'-')
                    && b[n - 4..].iter().all(u8::is_ascii_digit))
                .then(|| format!("{}:{}", &s[..n - 2], &s[n - 2..]))
                .and_then(|t| timestamp::parse(&t))
            })
        }
        _ => None,
    }
}

/// The family and the rest of a Task-family event type (`LambdaFunctionFailed` ->
/// `(Lambda, "Failed")`).
fn family(kind: &str) -> Option<(Family, &str)> {
    for f in [Family::Lambda, Family::Activity, Family::Task] {
        if let Some(rest) = kind.strip_prefix(f.prefix()) {
            return Some((f, rest));
        }
    }
    None
}

/// The details object of an event type: `TaskScheduled` -> `taskScheduledEventDetails`.
fn details_key(kind: &str) -> String {
    crate::engine::history::details_key(kind)
}

fn detail(
    kind: &str,
    obj: &Map<String, Value>,
    at: &Pointer,
    errors: &mut Vec<HistoryError>,
    warnings: &mut Vec<HistoryError>,
) -> Detail {
    let key = |k: &str| details_key(k);
    let mut d = Details {
        obj,
        at,
        errors,
        warnings,
        key: String::new(),
    };
    if let Some(state_type) = kind.strip_suffix("StateEntered") {
        d.key = "stateEnteredEventDetails".into();
        return Detail::StateEntered {
            state_type: state_type.to_string(),
            name: d.name(),
            input: d.payload("input"),
        };
    }
    if kind.ends_with("StateExited") {
        d.key = "stateExitedEventDetails".into();
        return Detail::StateExited {
            name: d.name(),
            output: d.payload("output"),
        };
    }
    d.key = key(kind);
    match kind {
        "ExecutionStarted" => Detail::ExecutionStarted {
            input: d.payload("input"),
            role_arn: d.text("roleArn"),
            // Started through a version or an alias, AWS names that instead.
            state_machine_arn: d
                .text("stateMachineArn")
                .or_else(|| d.text("stateMachineVersionArn"))
                .or_else(|| d.text("stateMachineAliasArn")),
        },
        "ExecutionSucceeded" => Detail::ExecutionSucceeded {
            output: d.payload("output"),
        },
        "ExecutionFailed" | "ExecutionTimedOut" | "ExecutionAborted" => Detail::ExecutionEnded {
            status: match kind {
                "ExecutionFailed" => "FAILED",
                "ExecutionTimedOut" => "TIMED_OUT",
                _ => "ABORTED",
            },
            error: d.message("error"),
            cause: d.message("cause"),
        },
        "ExecutionRedriven" => Detail::ExecutionRedriven,
        "MapStateStarted" => Detail::FanStarted(Fan::Map),
        "ParallelStateStarted" => Detail::FanStarted(Fan::Parallel),
        "MapStateSucceeded" | "MapStateFailed" | "MapStateAborted" => Detail::FanEnded(Fan::Map),
        "ParallelStateSucceeded" | "ParallelStateFailed" | "ParallelStateAborted" => {
            Detail::FanEnded(Fan::Parallel)
        }
        "MapIterationStarted" => {
            d.key = "mapIterationStartedEventDetails".into();
            let (map, index) = d.iteration();
            Detail::IterationStarted { map, index }
        }
        "MapIterationSucceeded" | "MapIterationFailed" | "MapIterationAborted" => {
            let (map, index) = d.iteration();
            Detail::IterationEnded { map, index }
        }
        // A redriven run goes on under the ARN it started with.
        "MapRunStarted" | "MapRunRedriven" => Detail::MapRunStarted {
            arn: d.text("mapRunArn"),
        },
        _ => match family(kind) {
            Some((family, "Scheduled")) => {
                let resource_type = d.text("resourceType").filter(|t| !t.is_empty());
                let resource = d.required_text("resource");
                // Service integrations write `parameters`; Lambda ARNs, activities and
                // other ARNs `input`.
                let parameters = match d.details().and_then(|o| o.get("parameters")) {
                    Some(_) => d.payload("parameters"),
                    None => d.payload("input"),
                };
                Detail::Scheduled {
                    family,
                    resource_type,
                    resource,
                    parameters,
                    region: d.text("region"),
                }
            }
            Some((Family::Task, "Submitted")) => Detail::Submitted {
                output: d.payload("output"),
            },
            Some((family, "Succeeded")) => Detail::Succeeded {
                family,
                output: d.payload("output"),
            },
            Some((
                family,
                "Failed" | "TimedOut" | "StartFailed" | "ScheduleFailed" | "SubmitFailed",
            )) => Detail::Failed {
                family,
                error: d.message("error"),
                cause: d.message("cause"),
            },
            _ => Detail::Other,
        },
    }
}

/// Reads one event's details object.
struct Details<'a> {
    obj: &'a Map<String, Value>,
    at: &'a Pointer,
    errors: &'a mut Vec<HistoryError>,
    warnings: &'a mut Vec<HistoryError>,
    key: String,
}

impl Details<'_> {
    fn details(&self) -> Option<&Map<String, Value>> {
        self.obj.get(&self.key).and_then(Value::as_object)
    }

    fn err(&mut self, field: &str, message: String) {
        self.errors.push(HistoryError {
            pointer: self.at.key(&self.key).key(field).to_string(),
            message,
        });
    }

    fn text(&mut self, field: &str) -> Option<String> {
        match self.details().and_then(|o| o.get(field)) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                let m = format!("`{field}` must be a string, found {}", kind(other));
                self.err(field, m);
                None
            }
        }
    }

    /// An `error` or `cause`: text, or (read leniently, with a warning) JSON given as a
    /// value, as its compact text.
    fn message(&mut self, field: &str) -> Option<String> {
        match self.details().and_then(|o| o.get(field)) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                let text = other.to_string();
                self.warnings.push(HistoryError {
                    pointer: self.at.key(&self.key).key(field).to_string(),
                    message: format!(
                        "`{field}` is JSON, not text as AWS writes it: read as its text"
                    ),
                });
                Some(text)
            }
        }
    }

    fn required_text(&mut self, field: &str) -> String {
        let has = self.details().is_some_and(|o| o.contains_key(field));
        match self.text(field) {
            Some(s) => s,
            None => {
                if !has {
                    let m = format!("the event has no `{}.{field}`", self.key);
                    self.err(field, m);
                }
                String::new()
            }
        }
    }

    fn name(&mut self) -> String {
        self.required_text("name")
    }

    /// A payload: JSON text (or, leniently, a JSON value given as such), cut when its
    /// `<field>Details.truncated` says so.
    fn payload(&mut self, field: &str) -> Payload {
        let Some(d) = self.details() else {
            return Payload::Absent;
        };
        let truncated = d
            .get(&format!("{field}Details"))
            .and_then(|x| x.get("truncated"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        match d.get(field) {
            None => Payload::Absent,
            Some(Value::String(s)) if truncated => Payload::Truncated(s.clone()),
            Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
                Ok(v) => Payload::Json(v),
                Err(e) => {
                    let m = format!(
                        "`{field}` must be JSON text, as AWS writes it: {e} (if AWS cut it, `{field}Details` says `\"truncated\": true`)"
                    );
                    self.err(field, m);
                    Payload::Absent
                }
            },
            Some(v) if truncated => Payload::Truncated(v.to_string()),
            Some(v) => Payload::Json(v.clone()),
        }
    }

    /// `name` and `index` of a Map iteration event.
    fn iteration(&mut self) -> (String, usize) {
        let name = self.required_text("name");
        let index = match self.details().and_then(|o| o.get("index")) {
            Some(v) => match v.as_u64() {
                Some(n) => n as usize,
                None => {
                    let m = format!("`index` must be a non-negative integer, found {v}");
                    self.err("index", m);
                    0
                }
            },
            None => {
                let m = format!("the event has no `{}.index`", self.key);
                self.err("index", m);
                0
            }
        };
        (name, index)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_aws_event_becomes_the_engine_event_a_local_run_writes() {
        let aws = json!({"id": 3, "previousEventId": 2, "type": "PassStateExited",
            "timestamp": "2024-05-01T10:00:00.123000+02:00",
            "stateExitedEventDetails": {"name": "P", "output": "{\"a\":1}"}});
        let e = engine_event(&aws).unwrap();
        assert_eq!(
            (e.id, e.previous_event_id, e.kind.as_str()),
            (3, 2, "PassStateExited")
        );
        assert_eq!(e.timestamp.to_iso_millis(), "2024-05-01T08:00:00.123Z");
        assert_eq!(
            e.details.as_ref().map(|(k, _)| k.as_str()),
            Some("stateExitedEventDetails")
        );
        // Written back, it is the event AWS gave (the time in UTC).
        let back = e.to_json();
        assert_eq!(
            back["stateExitedEventDetails"],
            aws["stateExitedEventDetails"]
        );
        assert_eq!(back["timestamp"], "2024-05-01T08:00:00.123Z");
        // Epoch seconds, and no details.
        let e = engine_event(
            &json!({"id": 1, "type": "ExecutionSucceeded", "timestamp": 1714550400.5}),
        )
        .unwrap();
        assert_eq!((e.previous_event_id, e.details), (0, None));
        assert_eq!(e.timestamp.to_iso_millis(), "2024-05-01T08:00:00.500Z");
        assert!(engine_event(&json!({"type": "PassStateEntered"})).is_none());
        assert!(engine_event(&json!({"id": 1})).is_none());
    }

    use super::*;
    use serde_json::json;

    fn started() -> Value {
        json!({"id": 1, "previousEventId": 0, "type": "ExecutionStarted", "timestamp": 1714550400.5,
               "executionStartedEventDetails": {"input": "{\"a\":1}", "inputDetails": {"truncated": false},
                                                "roleArn": "arn:aws:iam::1:role/r"}})
    }

    #[test]
    fn map_run_children_are_read_with_their_run_and_located_problems() {
        let run = "arn:aws:states:r:1:mapRun:m/l:1";
        let h = History::from_value(&json!({"events": [started()], "mapRunExecutions": [
            {"executionArn": "arn:aws:states:r:1:execution:m/l:c", "mapRunArn": run, "events": [started()]}]}))
        .unwrap();
        assert_eq!(h.map_run_executions.len(), 1);
        assert_eq!(h.map_run_executions[0].map_run_arn.as_deref(), Some(run));
        assert_eq!(
            h.map_run_executions[0].history.execution_arn.as_deref(),
            Some("arn:aws:states:r:1:execution:m/l:c")
        );
        let errs = History::from_value(&json!({"events": [started()], "mapRunExecutions": [
            {"mapRunArn": 7, "events": [started(), {"id": 2, "type": "TaskStateEntered"}]}, "x"]}))
        .unwrap_err();
        let at: Vec<&str> = errs.iter().map(|e| e.pointer.as_str()).collect();
        assert!(at.contains(&"/mapRunExecutions/0/mapRunArn"), "{errs:?}");
        assert!(
            at.iter()
                .any(|p| p.starts_with("/mapRunExecutions/0/events/1")),
            "{errs:?}"
        );
        assert!(at.contains(&"/mapRunExecutions/1"), "{errs:?}");
        let errs = History::from_value(&json!({"events": [started()], "mapRunExecutions": {}}))
            .unwrap_err();
        assert_eq!(errs[0].pointer, "/mapRunExecutions");
    }

    #[test]
    fn reads_both_timestamp_forms_and_json_text() {
        let h = History::from_value(&json!({"events": [
            {"id": 2, "previousEventId": 0, "type": "TaskStateEntered", "timestamp": "2024-05-01T10:00:00.123000+02:00",
             "stateEnteredEventDetails": {"name": "T", "input": "{\"a\":1}", "inputDetails": {"truncated": false}}},
            started(),
        ]}))
        .unwrap();
        assert_eq!(h.events[0].id, 1, "sorted by id");
        assert_eq!(
            h.events[0].timestamp,
            Some(Instant(1_714_550_400_500_000_000))
        );
        assert_eq!(
            h.events[1].timestamp.map(|t| t.to_iso_millis()),
            Some("2024-05-01T08:00:00.123Z".into())
        );
        match &h.events[1].detail {
            Detail::StateEntered {
                name,
                input,
                state_type,
            } => {
                assert_eq!((name.as_str(), state_type.as_str()), ("T", "Task"));
                assert_eq!(input, &Payload::Json(json!({"a": 1})));
            }
            d => panic!("{d:?}"),
        }
    }

    #[test]
    fn a_truncated_payload_is_kept_as_cut_text() {
        let h = History::from_value(&json!([started(),
            {"id": 2, "previousEventId": 1, "type": "TaskSucceeded", "timestamp": 1.0,
             "taskSucceededEventDetails": {"resourceType": "lambda", "resource": "invoke",
                                           "output": "{\"Payload\": {\"a\": [1, 2", "outputDetails": {"truncated": true}}}]))
        .unwrap();
        assert_eq!(
            h.events[1].detail,
            Detail::Succeeded {
                family: Family::Task,
                output: Payload::Truncated("{\"Payload\": {\"a\": [1, 2".into())
            }
        );
    }

    #[test]
    fn problems_are_located() {
        let errs = History::from_value(&json!({"events": [started(),
            {"id": 2, "previousEventId": 1, "type": "TaskSucceeded", "timestamp": "yesterday",
             "taskSucceededEventDetails": {"output": "{not json"}},
            {"id": "x", "type": "TaskStarted"},
            {"id": 3, "previousEventId": 1, "type": "MapIterationStarted",
             "mapIterationStartedEventDetails": {"name": "M"}}]}))
        .unwrap_err();
        let at: Vec<&str> = errs.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(
            at,
            [
                "/events/1/taskSucceededEventDetails/output",
                "/events/2/id",
                "/events/3/mapIterationStartedEventDetails/index"
            ]
        );
        assert!(History::from_value(&json!({"events": []})).is_err());
        // An epoch too far out is no time (found by the fuzzer: it overflowed).
        let h = History::from_value(
            &json!([{"id": 1, "type": "ExecutionStarted", "timestamp": 1e300,
            "executionStartedEventDetails": {"input": "{}"}}]),
        )
        .unwrap();
        assert_eq!((h.events[0].timestamp, h.warnings.len()), (None, 1));
        let first = History::from_value(&json!([{"id": 3, "type": "PassStateEntered",
            "stateEnteredEventDetails": {"name": "P", "input": "{}"}}]))
        .unwrap_err();
        assert!(
            first[0]
                .message
                .contains("must begin with `ExecutionStarted`")
        );
    }

    #[test]
    fn an_unreadable_timestamp_and_a_cause_given_as_json_are_warned_about() {
        let h = History::from_value(&json!([started(),
            {"id": 2, "previousEventId": 1, "type": "ExecutionFailed", "timestamp": "timestamp",
             "executionFailedEventDetails": {"error": "E", "cause": {"errorMessage": "boom"}}}]))
        .unwrap();
        let at: Vec<&str> = h.warnings.iter().map(|w| w.pointer.as_str()).collect();
        assert_eq!(at, ["/1/timestamp", "/1/executionFailedEventDetails/cause"]);
        assert_eq!(
            h.events[1].detail,
            Detail::ExecutionEnded {
                status: "FAILED",
                error: Some("E".into()),
                cause: Some(r#"{"errorMessage":"boom"}"#.into())
            }
        );
    }

    #[test]
    fn pages_merge_and_duplicate_ids_are_refused() {
        let page = json!({"events": [started()]});
        let errs = History::from_value(&json!([page, page])).unwrap_err();
        assert!(
            errs[0].message.contains("two events have the id 1"),
            "{errs:?}"
        );
    }
}
