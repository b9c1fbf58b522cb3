//! TestState: one state run on its own, through the engine as an execution of a machine
//! holding that state and, for each state it may go to, a `Succeed` stand-in (so the engine
//! stops right after it and the state it chose is known).
//!
//! What the engine tells a [`Probe`] gives AWS's answer: the status, output and next state
//! at every `inspectionLevel`; at `DEBUG` the payload after each step of the data flow
//! (`afterInputPath`, `afterParameters` / `afterArguments`, `result`, `afterResultSelector`,
//! `afterResultPath`, a Map's items and settings), the variables and the `errorDetails` of a
//! Retry or Catch that took the error; at `TRACE` also an HTTP Task's request and response.
//! A Catch that took the error gives `CAUGHT_ERROR`, a Retry that would try again
//! `RETRIABLE` (the run is stopped there: AWS does not retry in TestState, the caller says
//! which attempt it is with `stateConfiguration.retrierRetryCount`).
//!
//! A mocked Map or Parallel state is run as a Task answered by the mock, with the state's
//! own paths, Retry and Catch: its branches or iterations are not run.

use super::executions::registry;
use super::request::Request;
use super::store::lock;
use super::{ApiError, Server};
use crate::definition::{Kind, State};
use crate::engine::{
    self, Failure, Frame, Options, Probe, Status, Step, TaskError, TaskHandler, TaskRequest,
};
use crate::handlers::aws::http_task::{self, Exchange};
use crate::handlers::aws::shape_check::{self, FieldValidation};
use crate::storage::{ObjectInfo, ObjectStore, ObjectWriter, StoreError};
use futures::future::BoxFuture;
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};

/// What the probe saw of the tested state (its first visit).
#[derive(Default)]
struct Seen {
    visits: u64,
    /// The visit of the tested state (0: not entered yet).
    tested: u64,
    input: Option<Value>,
    called: Option<Value>,
    output: Option<Value>,
    next: Option<String>,
    variables: Option<Map<String, Value>>,
    /// The payload after each step, as the engine showed it (the last showing wins).
    steps: Vec<(Step, Value)>,
    /// Each Map iteration's input after `ItemSelector`, by item index.
    selected: Vec<(usize, Value)>,
    /// Each batch of a Distributed Map's `ItemBatcher`, by its first item's index.
    batches: Vec<(usize, Value)>,
    /// Each item a Distributed Map's `ItemReader` read, by its index (the first showing of
    /// an index wins).
    read: Vec<(usize, Value)>,
    caught: Option<(usize, Failure)>,
    retriable: Option<(usize, Failure)>,
}

impl Seen {
    fn step(&self, step: Step) -> Option<&Value> {
        self.steps
            .iter()
            .rev()
            .find(|(s, _)| *s == step)
            .map(|(_, v)| v)
    }
}

#[derive(Default)]
struct Inspect {
    /// The tested state's name.
    name: String,
    seen: Mutex<Seen>,
    /// Stops the run at the first retry.
    stop: Mutex<Option<tokio::sync::oneshot::Sender<String>>>,
}

impl Inspect {
    fn is_tested(&self, visit: u64) -> bool {
        visit != 0 && lock(&self.seen).tested == visit
    }
}

impl Probe for Inspect {
    fn entered(&self, frame: Option<Frame>, state: &State, input: &Value) -> u64 {
        let mut s = lock(&self.seen);
        s.visits += 1;
        if s.tested == 0 && frame.is_none() && state.name == self.name {
            s.tested = s.visits;
            s.input = Some(input.clone());
        }
        s.visits
    }
    fn chose(&self, _visit: u64, _rule: Option<usize>) {}
    fn called(&self, visit: u64, input: &Value) {
        if self.is_tested(visit) {
            lock(&self.seen).called = Some(input.clone());
        }
    }
    fn retried(&self, visit: u64, rule: usize, failure: &Failure) {
        if self.is_tested(visit) {
            lock(&self.seen).retriable = Some((rule, failure.clone()));
            if let Some(tx) = lock(&self.stop).take() {
                let _ = tx.send("RETRIABLE".into());
            }
        }
    }
    fn exhausted(&self, _visit: u64, _rule: usize, _failure: &Failure) {}
    fn caught(&self, visit: u64, clause: usize, failure: &Failure) {
        if self.is_tested(visit) {
            lock(&self.seen).caught = Some((clause, failure.clone()));
        }
    }
    fn exited(
        &self,
        visit: u64,
        output: &Value,
        next: Option<&State>,
        variables: &[(&str, &Value)],
    ) {
        if self.is_tested(visit) {
            let mut s = lock(&self.seen);
            s.output = Some(output.clone());
            s.next = next.map(|n| n.name.clone());
            s.variables = Some(
                variables
                    .iter()
                    .map(|(k, v)| (k.to_string(), (*v).clone()))
                    .collect(),
            );
        }
    }
    fn failed(&self, _visit: u64, _failure: &Failure) {}
    fn step(&self, visit: u64, step: Step, value: &Value) {
        if self.is_tested(visit) {
            let mut s = lock(&self.seen);
            match step {
                Step::ItemSelector(i) => s.selected.push((i, value.clone())),
                Step::ItemBatcher(i) => s.batches.push((i, value.clone())),
                Step::ItemRead(i) => {
                    if !s.read.iter().any(|(j, _)| *j == i) {
                        s.read.push((i, value.clone()));
                    }
                }
                _ => s.steps.push((step, value.clone())),
            }
        }
    }
}

/// The tested Task's handler: the mock's answer, or the server's route, its result kept.
struct Capture {
    inner: Option<Arc<dyn TaskHandler>>,
    mock: Option<Result<Value, Failure>>,
    result: Mutex<Option<Value>>,
    /// A mocked Map: its `mapIterationFailureCount`, if given, and whether its input holds
    /// the tolerances ([`tolerance_fields`]).
    map: Option<MockedMap>,
    /// A mocked Map's tolerances as evaluated.
    tolerance: Mutex<(Option<u64>, Option<f64>)>,
}

struct MockedMap {
    failures: Option<u64>,
    tolerated: bool,
}

impl Capture {
    /// A mocked Map's answer: its mocked result, unless its tolerances (evaluated in `input`)
    /// are exceeded by the failed iterations.
    fn map_answer(&self, map: &MockedMap, input: &Value) -> Option<Result<Value, Failure>> {
        let tolerance = if map.tolerated {
            match evaluated_tolerance(input) {
                Ok(t) => t,
                Err(f) => return Some(Err(f)),
            }
        } else {
            (None, None)
        };
        *lock(&self.tolerance) = tolerance;
        if let (Some(failures), Some(Ok(result))) = (map.failures, &self.mock) {
            let items = result.as_array().map_or(0, Vec::len);
            if exceeds_tolerance(tolerance, failures, items) == Some(true) {
                return Some(Err(Failure::new(
                    "States.ExceedToleratedFailureThreshold",
                    "The specified tolerated failure threshold was exceeded",
                )));
            }
        }
        None
    }
}

impl TaskHandler for Capture {
    fn name(&self) -> &str {
        "test-state"
    }
    fn invoke(&self, request: TaskRequest) -> BoxFuture<'_, Result<Value, TaskError>> {
        Box::pin(async move {
            if let Some(map) = &self.map
                && let Some(answer) = self.map_answer(map, &request.input)
            {
                return answer.map_err(TaskError::Failed);
            }
            let r = match (&self.mock, &self.inner) {
                (Some(Ok(v)), _) => Ok(v.clone()),
                (Some(Err(f)), _) => Err(TaskError::Failed(f.clone())),
                (None, Some(h)) => h.invoke(request).await,
                (None, None) => Err(TaskError::Failed(Failure::new(
                    "States.Runtime",
                    "no handler for the state",
                ))),
            };
            if let Ok(v) = &r {
                *lock(&self.result) = Some(v.clone());
            }
            r
        })
    }
}

/// A Distributed Map's `ItemReader` source given as `stateConfiguration.mapItemReaderData`:
/// every object read is that text, a listing finds one object.
struct ReaderData(Vec<u8>);

impl ObjectStore for ReaderData {
    fn get(&self, _bucket: &str, _key: &str) -> Result<Box<dyn std::io::Read + Send>, StoreError> {
        Ok(Box::new(std::io::Cursor::new(self.0.clone())))
    }
    fn list(&self, _bucket: &str, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError> {
        Ok(vec![ObjectInfo {
            key: format!("{prefix}mapItemReaderData"),
            size: self.0.len() as u64,
            etag: "\"0\"".into(),
            last_modified: 0,
            storage_class: "STANDARD".into(),
        }])
    }
    fn put(&self, _bucket: &str, _key: &str, _body: &[u8]) -> Result<(), StoreError> {
        Ok(())
    }
    fn create(&self, _bucket: &str, _key: &str) -> Result<Box<dyn ObjectWriter>, StoreError> {
        Ok(Box::new(Discard(0)))
    }
}

/// A result written during TestState: counted, not kept.
struct Discard(u64);

impl std::io::Write for Discard {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl ObjectWriter for Discard {
    fn finish(self: Box<Self>) -> Result<u64, StoreError> {
        Ok(self.0)
    }
}

/// The states a state may go to: `Next`, `Default`, each Choice rule's and Catch's `Next`.
fn targets(state: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |v: Option<&Value>| {
        if let Some(Value::String(s)) = v
            && !out.contains(s)
        {
            out.push(s.clone());
        }
    };
    add(state.get("Next"));
    add(state.get("Default"));
    for list in ["Choices", "Catch"] {
        if let Some(Value::Array(a)) = state.get(list) {
            for c in a {
                add(c.get("Next"));
            }
        }
    }
    out
}

/// Whether a state named `name` is inside the Map or Parallel `state` (at any depth).
fn holds_state(state: &Map<String, Value>, name: &str) -> bool {
    let mut graphs: Vec<&Value> = Vec::new();
    for key in ["ItemProcessor", "Iterator"] {
        if let Some(g) = state.get(key) {
            graphs.push(g);
        }
    }
    if let Some(Value::Array(branches)) = state.get("Branches") {
        graphs.extend(branches.iter());
    }
    graphs.iter().any(|g| match g.get("States") {
        Some(Value::Object(states)) => states
            .iter()
            .any(|(n, s)| n == name || s.as_object().is_some_and(|s| holds_state(s, name))),
        _ => false,
    })
}

/// A Map or Parallel state as a Task answered by the mock: its paths, selector, Retry,
/// Catch, Assign and Output kept; its branches or iterations, items and settings dropped.
fn as_mocked_task(state: &Map<String, Value>, is_map: bool) -> Map<String, Value> {
    let mut keep = vec![
        "Comment",
        "QueryLanguage",
        "InputPath",
        "OutputPath",
        "ResultPath",
        "ResultSelector",
        "Retry",
        "Catch",
        "Assign",
        "Output",
        "Next",
        "End",
    ];
    if !is_map {
        keep.extend(["Parameters", "Arguments"]);
    }
    let mut task: Map<String, Value> = state
        .iter()
        .filter(|(k, _)| keep.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    task.insert("Type".into(), json!("Task"));
    task.insert(
        "Resource".into(),
        json!("arn:aws:states:us-east-1:123456789012:activity:asl-test-state-mock"),
    );
    task
}

/// The tolerated failures of a mocked Map as a Task's `Parameters` (JSONPath: a fixed number,
/// or `.$` with its `...Path`) or `Arguments` (JSONata: a number or an expression), so the
/// engine evaluates them as the Map would, and the mock's handler reads them in its input
/// (`None`: the Map sets no tolerance).
fn tolerance_fields(state: &Map<String, Value>, jsonpath: bool) -> Option<Value> {
    let mut out = Map::new();
    for key in ["ToleratedFailureCount", "ToleratedFailurePercentage"] {
        if let Some(v) = state.get(key) {
            out.insert(key.into(), v.clone());
        }
        if jsonpath && let Some(p) = state.get(&format!("{key}Path")) {
            out.insert(format!("{key}.$"), p.clone());
        }
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// A mocked Map's tolerances as the engine evaluated them (`input`, from
/// [`tolerance_fields`]): `(count, percentage)`, or a `States.Runtime` failure for a value
/// AWS would refuse.
fn evaluated_tolerance(input: &Value) -> Result<(Option<u64>, Option<f64>), Failure> {
    let bad = |key: &str, v: &Value, expected: &str| {
        Failure::new(
            "States.Runtime",
            format!("the Map's {key} evaluated to {v}, which is not {expected}"),
        )
    };
    let count = match input.get("ToleratedFailureCount") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .ok_or_else(|| bad("ToleratedFailureCount", v, "an integer of 0 or more"))?,
        ),
    };
    let pct = match input.get("ToleratedFailurePercentage") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_f64()
                .filter(|p| (0.0..=100.0).contains(p))
                .ok_or_else(|| bad("ToleratedFailurePercentage", v, "a number from 0 to 100"))?,
        ),
    };
    Ok((count, pct))
}

/// Whether `failures` of `items` failed iterations exceed the tolerated `count` or
/// `percentage`; `None`: the Map tolerates none by configuration, so the count says nothing.
fn exceeds_tolerance(
    (count, pct): (Option<u64>, Option<f64>),
    failures: u64,
    items: usize,
) -> Option<bool> {
    if count.is_none() && pct.is_none() {
        return None;
    }
    let by_count = count.is_some_and(|c| failures <= c);
    let by_pct = pct.is_some_and(|p| items > 0 && (failures as f64) * 100.0 / (items as f64) <= p);
    Some(!(by_count || by_pct))
}

/// The members of TestState's `context` the engine takes from the caller for the tested state
/// `name`: `State.RetryCount`, `Task.Token` and `Map.Item`; `None` when it gives none of them.
/// A member of the wrong type is a `ValidationException`.
fn given_context(context: &Value, name: &str) -> Result<Option<engine::GivenContext>, ApiError> {
    let wrong = |at: &str, expected: &str, v: &Value| {
        ApiError::validation(format!("`context`: {v} at {at} is not {expected}"))
    };
    let retry_count = match context.pointer("/State/RetryCount") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .ok_or_else(|| wrong("/State/RetryCount", "an integer of 0 or more", v))?,
        ),
    };
    let task_token = match context.pointer("/Task/Token") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) => Some(t.clone()),
        Some(v) => return Err(wrong("/Task/Token", "a string", v)),
    };
    let map = match context.pointer("/Map") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => {
            match m.get("Item") {
                None | Some(Value::Null) => {}
                Some(Value::Object(item)) => {
                    if let Some(v) = item.get("Index")
                        && v.as_u64().is_none()
                    {
                        return Err(wrong("/Map/Item/Index", "an integer of 0 or more", v));
                    }
                    for key in ["Key", "Source"] {
                        if let Some(v) = item.get(key)
                            && !v.is_string()
                        {
                            return Err(wrong(&format!("/Map/Item/{key}"), "a string", v));
                        }
                    }
                }
                Some(v) => return Err(wrong("/Map/Item", "an object", v)),
            }
            Some(Value::Object(m.clone()))
        }
        Some(v) => return Err(wrong("/Map", "an object", v)),
    };
    if retry_count.is_none() && task_token.is_none() && map.is_none() {
        return Ok(None);
    }
    Ok(Some(engine::GivenContext {
        state: name.to_string(),
        retry_count,
        task_token,
        map,
    }))
}

/// `name: value` lines, as the inspection data's headers are shown.
fn header_text(headers: &[(String, String)]) -> String {
    headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// TRACE's `request` and `response` of an HTTP Task's exchange; the headers its connection
/// added are left out unless `reveal` (`revealSecrets`).
fn exchange_data(x: &Exchange, reveal: bool, data: &mut Map<String, Value>) {
    let sent: Vec<(String, String)> = x
        .request_headers
        .iter()
        .filter(|(k, _)| reveal || !x.secret_headers.contains(&k.to_ascii_lowercase()))
        .cloned()
        .collect();
    let protocol = match x.url.split_once("://") {
        Some((scheme, _)) => scheme.to_ascii_lowercase(),
        None => "https".into(),
    };
    data.insert(
        "request".into(),
        json!({
            "protocol": protocol,
            "method": x.method,
            "url": x.url,
            "headers": header_text(&sent),
            "body": x.request_body,
        }),
    );
    data.insert(
        "response".into(),
        json!({
            "protocol": protocol,
            "statusCode": x.status.to_string(),
            "statusMessage": http_task::reason(x.status),
            "headers": header_text(&x.response_headers),
            "body": x.response_body,
        }),
    );
}

/// A draw in `[0, 1)` for a Retrier's `JitterStrategy: FULL`.
fn unit_draw() -> f64 {
    (uuid::Uuid::new_v4().as_u128() >> 75) as f64 / (1u64 << 53) as f64
}

/// `stateConfiguration`, read.
#[derive(Default)]
struct Configuration {
    retrier_retry_count: u64,
    error_caused_by_state: Option<String>,
    map_iteration_failure_count: Option<u64>,
    map_item_reader_data: Option<String>,
}

fn configuration(r: &Request<'_>) -> Result<Configuration, ApiError> {
    let Some(c) = r.0.get("stateConfiguration") else {
        return Ok(Configuration::default());
    };
    let Value::Object(c) = c else {
        return Err(ApiError::validation(
            "`stateConfiguration` must be an object",
        ));
    };
    let count = |key: &str| -> Result<Option<u64>, ApiError> {
        match c.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| {
                ApiError::validation(format!(
                    "1 validation error detected: Value '{v}' at 'stateConfiguration.{key}' failed to satisfy constraint: Member must have value greater than or equal to 0"
                ))
            }),
        }
    };
    let text = |key: &str| -> Result<Option<String>, ApiError> {
        match c.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ApiError::validation(format!(
                "`stateConfiguration.{key}` must be a string"
            ))),
        }
    };
    Ok(Configuration {
        retrier_retry_count: count("retrierRetryCount")?.unwrap_or(0),
        error_caused_by_state: text("errorCausedByState")?,
        map_iteration_failure_count: count("mapIterationFailureCount")?,
        map_item_reader_data: text("mapItemReaderData")?,
    })
}

pub async fn test_state(server: &Arc<Server>, r: &Request<'_>) -> Result<Value, ApiError> {
    let text = r.required("definition")?;
    let invalid = |m: String| {
        ApiError::new(
            "InvalidDefinition",
            format!("Invalid State Machine Definition: '{m}'"),
        )
    };
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| invalid(format!("the definition is not JSON: {e}")))?;
    // A whole machine with `stateName`, or one state.
    let (name, mut state, query) = match (doc.get("States"), r.str("stateName")?) {
        (Some(Value::Object(states)), Some(n)) => match states.get(n) {
            Some(Value::Object(s)) => (n.to_string(), s.clone(), doc.get("QueryLanguage").cloned()),
            _ => {
                return Err(ApiError::validation(format!(
                    "the definition has no state `{n}`"
                )));
            }
        },
        (Some(_), None) => {
            return Err(ApiError::validation(
                "a whole state machine needs `stateName`",
            ));
        }
        (_, n) => match &doc {
            Value::Object(s) => (n.unwrap_or("TestState").to_string(), s.clone(), None),
            _ => return Err(invalid("the state must be a JSON object".into())),
        },
    };
    let input_text = r.str("input")?.unwrap_or("{}");
    let input: Value = serde_json::from_str(input_text).map_err(|e| {
        ApiError::new(
            "InvalidExecutionInput",
            format!("Invalid State Machine Execution Input: '{e}'"),
        )
    })?;
    let level = r.str("inspectionLevel")?.unwrap_or("INFO");
    if !["INFO", "DEBUG", "TRACE"].contains(&level) {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{level}' at 'inspectionLevel' failed to satisfy constraint: Member must satisfy enum value set: [INFO, DEBUG, TRACE]"
        )));
    }
    let (mock, field_validation) = match r.0.get("mock") {
        Some(Value::Object(m)) => {
            let mode = match m.get("fieldValidationMode") {
                None | Some(Value::Null) => FieldValidation::Strict,
                Some(Value::String(s)) => match s.as_str() {
                    "STRICT" | "PRESENT" | "NONE" => {
                        FieldValidation::parse(s).unwrap_or(FieldValidation::Strict)
                    }
                    _ => {
                        return Err(ApiError::validation(format!(
                            "1 validation error detected: Value '{s}' at 'mock.fieldValidationMode' failed to satisfy constraint: Member must satisfy enum value set: [STRICT, PRESENT, NONE]"
                        )));
                    }
                },
                Some(_) => {
                    return Err(ApiError::validation(
                        "`mock.fieldValidationMode` must be a string",
                    ));
                }
            };
            let answer = match (m.get("result"), m.get("errorOutput")) {
                (Some(Value::String(res)), _) => {
                    Ok(serde_json::from_str::<Value>(res).map_err(|e| {
                        ApiError::validation(format!("`mock.result` is not JSON: {e}"))
                    })?)
                }
                (_, Some(Value::Object(e))) => Err(Failure {
                    error: e
                        .get("error")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    cause: e.get("cause").and_then(Value::as_str).map(str::to_string),
                }),
                _ => {
                    return Err(ApiError::validation(
                        "`mock` needs `result` or `errorOutput`",
                    ));
                }
            };
            (Some(answer), mode)
        }
        _ => (None, FieldValidation::Strict),
    };
    let config = configuration(r)?;
    let reveal_secrets = r.bool("revealSecrets")?;
    let state_type = state
        .get("Type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let is_map = state_type == "Map";
    let fans_out = is_map || state_type == "Parallel";
    if let Some(n) = &config.error_caused_by_state {
        if !matches!(mock, Some(Err(_))) || !fans_out {
            return Err(ApiError::validation(
                "`stateConfiguration.errorCausedByState` is given with `mock.errorOutput` for a Map or Parallel state",
            ));
        }
        if !holds_state(&state, n) {
            return Err(ApiError::validation(format!(
                "`stateConfiguration.errorCausedByState`: the state `{n}` is not inside the state `{name}`"
            )));
        }
    }
    // An unmocked Map runs its iterations and counts their own failures.
    if config.map_iteration_failure_count.is_some() && !(is_map && mock.is_some()) {
        return Err(ApiError::validation(
            "`stateConfiguration.mapIterationFailureCount` is given for a Map state with `mock`",
        ));
    }
    if config.map_item_reader_data.is_some() && !(is_map && state.contains_key("ItemReader")) {
        return Err(ApiError::validation(
            "`stateConfiguration.mapItemReaderData` is given for a Map state with an `ItemReader`",
        ));
    }
    // AWS's API: "This field may only be specified if a mock is specified in the same
    // request."
    if r.str("context")?.is_some() && mock.is_none() {
        return Err(ApiError::validation(
            "`context` may only be given with a `mock` in the same request",
        ));
    }
    let context = match r.str("context")? {
        Some(t) => match serde_json::from_str::<Value>(t) {
            Ok(c) if c.is_object() => Some(c),
            _ => return Err(ApiError::validation("`context` must be a JSON object")),
        },
        None => None,
    };
    let original = state.clone();
    // The attempts made already count against each Retrier's `MaxAttempts`.
    if config.retrier_retry_count > 0
        && let Some(Value::Array(retriers)) = state.get_mut("Retry")
    {
        for retrier in retriers.iter_mut().filter_map(Value::as_object_mut) {
            let max = retrier
                .get("MaxAttempts")
                .and_then(Value::as_u64)
                .unwrap_or(3);
            retrier.insert(
                "MaxAttempts".into(),
                json!(max.saturating_sub(config.retrier_retry_count)),
            );
        }
    }
    let jsonpath = state
        .get("QueryLanguage")
        .or(query.as_ref())
        .and_then(Value::as_str)
        != Some("JSONata");
    let mocked_fan_out = fans_out && mock.is_some();
    let mut mocked_map = None;
    if mocked_fan_out {
        state = as_mocked_task(&state, is_map);
        if is_map {
            let tolerance = tolerance_fields(&original, jsonpath);
            mocked_map = Some(MockedMap {
                failures: config.map_iteration_failure_count,
                tolerated: tolerance.is_some(),
            });
            if let Some(t) = tolerance {
                let key = if jsonpath { "Parameters" } else { "Arguments" };
                state.insert(key.into(), t);
            }
        }
    }
    let mut machine = Map::new();
    if let Some(q) = query {
        machine.insert("QueryLanguage".into(), q);
    }
    let mut states = Map::new();
    // `variables`: assigned by a Pass state that runs first and passes the input on.
    let start = match r.str("variables")? {
        Some(text) => {
            let vars: Value = serde_json::from_str(text)
                .map_err(|e| ApiError::validation(format!("`variables` is not JSON: {e}")))?;
            if !vars.is_object() {
                return Err(ApiError::validation("`variables` must be a JSON object"));
            }
            let first = "asl:TestState:variables".to_string();
            states.insert(
                first.clone(),
                json!({"Type": "Pass", "Assign": vars, "Next": name}),
            );
            first
        }
        None => name.clone(),
    };
    machine.insert("StartAt".into(), json!(start));
    for t in targets(&state) {
        if t != name {
            states.insert(t, json!({"Type": "Succeed"}));
        }
    }
    let is_task = state.get("Type").and_then(Value::as_str) == Some("Task");
    // Nobody could call back: the state would wait for ever.
    if is_task
        && mock.is_none()
        && state
            .get("Resource")
            .and_then(Value::as_str)
            .is_some_and(|r| r.ends_with(".waitForTaskToken"))
    {
        return Err(ApiError::validation(
            "a `.waitForTaskToken` state is tested with `mock` (its callback's result or error): nothing can call back during TestState",
        ));
    }
    let uses_arguments = state.contains_key("Arguments");
    states.insert(name.clone(), Value::Object(state));
    machine.insert("States".into(), Value::Object(states));
    let machine_value = Value::Object(machine);
    let diags = crate::validate::validate_value(&machine_value, &Default::default());
    let errors: Vec<String> = diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {} at {}", d.code.as_str(), d.message, d.shown_at()))
        .collect();
    if !errors.is_empty() {
        return Err(invalid(errors.join(", ")));
    }
    let loaded = crate::definition::load_owned(machine_value);
    let Some(compiled) = loaded.machine else {
        let errors: Vec<String> = loaded
            .diagnostics
            .iter()
            .map(|d| d.message.clone())
            .collect();
        return Err(invalid(errors.join(", ")));
    };
    let tested = compiled
        .root
        .all_states()
        .into_iter()
        .find(|s| s.name == name);
    // A mocked result AWS could not give is refused, as strictly as the mode says.
    if let (Some(Ok(v)), Some(s), false) = (&mock, tested, mocked_fan_out)
        && let Kind::Task(t) = &s.kind
        && let Some((at, why)) = shape_check::check(&t.resource, v, field_validation)
            .into_iter()
            .next()
    {
        let at = if at.is_empty() {
            String::new()
        } else {
            format!(" (at `{at}`)")
        };
        return Err(ApiError::validation(format!(
            "Mock result schema validation error: {why}{at}"
        )));
    }
    let mut handlers = registry(server, "TestState", &compiled, None)?;
    let capture = Arc::new(Capture {
        inner: tested.and_then(|s| match &s.kind {
            Kind::Task(t) if !mocked_fan_out => handlers.handler(&s.name, &t.resource),
            _ => None,
        }),
        mock,
        result: Mutex::default(),
        map: mocked_map,
        tolerance: Mutex::default(),
    });
    if is_task {
        handlers.for_state(name.clone(), capture.clone());
    }
    let probe = Arc::new(Inspect {
        name: name.clone(),
        ..Inspect::default()
    });
    let (tx, rx) = tokio::sync::oneshot::channel::<String>();
    *lock(&probe.stop) = Some(tx);
    let from_context = |path: &str| context.as_ref().and_then(|c| c.pointer(path).cloned());
    let text_of = |path: &str| from_context(path).and_then(|v| v.as_str().map(str::to_string));
    // The times the state sees: it is entered at `State.EnteredTime` (else at
    // `Execution.StartTime`), on a clock that stands at that instant.
    let time_at = |path: &str| {
        from_context(path)
            .map(|v| {
                v.as_str()
                    .and_then(crate::data::timestamp::parse)
                    .ok_or_else(|| {
                        ApiError::validation(format!(
                            "`context`: {v} at {path} is not a timestamp (RFC 3339, e.g. 2026-01-02T03:04:05.678Z)"
                        ))
                    })
            })
            .transpose()
    };
    let given = match &context {
        Some(c) => given_context(c, &name)?,
        None => None,
    };
    let started = time_at("/Execution/StartTime")?;
    let start = time_at("/State/EnteredTime")?.or(started);
    let defaults = Options::default();
    let opts = Options {
        clock: start.map_or(server.config.clock, engine::Clock::Fixed),
        start_time: started,
        state_machine_name: text_of("/StateMachine/Name").unwrap_or_else(|| "TestState".into()),
        execution_name: text_of("/Execution/Name").unwrap_or(defaults.execution_name.clone()),
        execution_arn: text_of("/Execution/Id"),
        input_text: from_context("/Execution/Input").map(|v| Arc::from(v.to_string())),
        region: server.config.region.clone(),
        account_id: server.config.account_id.clone(),
        role_arn: text_of("/Execution/RoleArn")
            .or_else(|| r.str("roleArn").ok().flatten().map(str::to_string))
            .unwrap_or_else(|| defaults.role_arn.clone()),
        handlers,
        probe: Some(probe.clone()),
        stop: Some(Box::pin(async move { rx.await.unwrap_or_default() })),
        storage: config
            .map_item_reader_data
            .as_ref()
            .map(|d| Arc::new(ReaderData(d.clone().into_bytes())) as Arc<dyn ObjectStore>),
        given,
        ..defaults
    };
    let exchange: Arc<Mutex<Option<Exchange>>> = Arc::default();
    let run = engine::run(&compiled, input, opts);
    let outcome = if level == "TRACE" {
        http_task::TRACE.scope(exchange.clone(), run).await
    } else {
        run.await
    }
    .map_err(|f| ApiError::validation(f.message))?;
    let seen = lock(&probe.seen);
    let mut out = Map::new();
    let status = if let Some((_, f)) = &seen.retriable {
        out.insert("error".into(), json!(f.error));
        if let Some(c) = &f.cause {
            out.insert("cause".into(), json!(c));
        }
        "RETRIABLE"
    } else if outcome.status == Status::Succeeded {
        if let Some(o) = &seen.output {
            out.insert("output".into(), json!(o.to_string()));
        }
        if let Some(n) = &seen.next {
            out.insert("nextState".into(), json!(n));
        }
        match &seen.caught {
            Some((_, f)) => {
                out.insert("error".into(), json!(f.error));
                if let Some(c) = &f.cause {
                    out.insert("cause".into(), json!(c));
                }
                "CAUGHT_ERROR"
            }
            None => "SUCCEEDED",
        }
    } else {
        if let Some(e) = &outcome.error {
            out.insert("error".into(), json!(e));
        }
        if let Some(c) = &outcome.cause {
            out.insert("cause".into(), json!(c));
        }
        "FAILED"
    };
    out.insert("status".into(), json!(status));
    // INFO gives the status, output and next state only.
    if level != "INFO" {
        let facts = Facts {
            state: &original,
            jsonpath,
            is_task,
            uses_arguments,
            retrier_retry_count: config.retrier_retry_count,
            retriers: tested.map(|s| s.kind.retriers()).unwrap_or_default(),
            mocked_tolerance: capture.map.as_ref().map(|_| *lock(&capture.tolerance)),
        };
        let mut data = inspection(&seen, &facts, lock(&capture.result).as_ref());
        if let Some(x) = lock(&exchange).as_ref() {
            exchange_data(x, reveal_secrets, &mut data);
        }
        out.insert("inspectionData".into(), Value::Object(data));
    }
    Ok(Value::Object(out))
}

/// What the inspection data depends on besides what the probe saw.
struct Facts<'a> {
    /// The tested state as given.
    state: &'a Map<String, Value>,
    jsonpath: bool,
    /// Run as a Task (a Task, or a mocked Map or Parallel).
    is_task: bool,
    uses_arguments: bool,
    retrier_retry_count: u64,
    retriers: &'a [crate::definition::Retrier],
    /// A mocked Map's tolerated failure count and percentage, as evaluated.
    mocked_tolerance: Option<(Option<u64>, Option<f64>)>,
}

/// `inspectionData` at DEBUG: the payload after each step, as JSON texts, the variables, a
/// Map's items and settings, and what a Retry or Catch did with the error.
fn inspection(seen: &Seen, f: &Facts<'_>, task_result: Option<&Value>) -> Map<String, Value> {
    let mut data = Map::new();
    let mut put = |key: &str, v: Option<&Value>| {
        if let Some(v) = v {
            data.insert(key.into(), json!(v.to_string()));
        }
    };
    let state_type = f.state.get("Type").and_then(Value::as_str).unwrap_or("");
    let is_map = state_type == "Map";
    // A Pass state's `Result` replaces what InputPath and Parameters made.
    let pass_result = state_type == "Pass" && f.state.contains_key("Result");
    put("input", seen.input.as_ref());
    if f.jsonpath && !pass_result {
        let after_input = match state_type {
            "Fail" => seen.input.as_ref(),
            _ => seen.step(Step::InputPath),
        };
        put("afterInputPath", after_input);
    }
    let params = if f.is_task {
        seen.called.as_ref()
    } else {
        seen.step(Step::Parameters)
    };
    let has_params = match state_type {
        "Task" => true,
        "Parallel" => f.jsonpath || f.uses_arguments,
        "Pass" => f.jsonpath && !pass_result,
        _ => false,
    };
    if has_params {
        let key = if f.jsonpath {
            "afterParameters"
        } else {
            "afterArguments"
        };
        put(key, params);
    }
    let result = if f.is_task {
        task_result
    } else if state_type == "Pass" && !pass_result {
        None
    } else {
        seen.step(Step::Result)
    };
    put("result", result);
    if f.jsonpath {
        put("afterResultSelector", seen.step(Step::ResultSelector));
        put("afterResultPath", seen.step(Step::ResultPath));
    }
    if is_map {
        if f.jsonpath {
            put("afterItemsPath", seen.step(Step::ItemsPath));
        }
        if f.state.contains_key("ItemSelector") || f.state.contains_key("Parameters") {
            let mut selected = seen.selected.clone();
            selected.sort_by_key(|(i, _)| *i);
            if !selected.is_empty() {
                let all = Value::Array(selected.into_iter().map(|(_, v)| v).collect());
                put("afterItemSelector", Some(&all));
            }
        }
        let items_pointer = f
            .state
            .get("ItemReader")
            .and_then(|r| r.pointer("/ReaderConfig/ItemsPointer"))
            .is_some();
        if items_pointer && !f.is_task {
            let mut read = seen.read.clone();
            read.sort_by_key(|(i, _)| *i);
            let all = Value::Array(read.into_iter().map(|(_, v)| v).collect());
            put("afterItemsPointer", Some(&all));
        }
        if !seen.batches.is_empty() {
            let mut batches = seen.batches.clone();
            batches.sort_by_key(|(i, _)| *i);
            let all = Value::Array(batches.into_iter().map(|(_, v)| v).collect());
            put("afterItemBatcher", Some(&all));
        }
        let (mocked_count, mocked_pct) = f.mocked_tolerance.unwrap_or_default();
        let mocked = |key: &str| match key {
            "ToleratedFailureCount" => mocked_count.map(Value::from),
            "ToleratedFailurePercentage" => mocked_pct.map(Value::from),
            _ => None,
        };
        let number = |step: Step, key: &str| {
            seen.step(step)
                .cloned()
                .or_else(|| mocked(key))
                .or_else(|| f.state.get(key).filter(|v| v.is_number()).cloned())
        };
        data.insert(
            "maxConcurrency".into(),
            number(Step::MaxConcurrency, "MaxConcurrency").unwrap_or(json!(0)),
        );
        if let Some(c) = number(Step::ToleratedFailureCount, "ToleratedFailureCount") {
            data.insert("toleratedFailureCount".into(), c);
        }
        if let Some(p) = number(
            Step::ToleratedFailurePercentage,
            "ToleratedFailurePercentage",
        ) {
            let p = p.as_f64().map_or(p, |p| json!(p));
            data.insert("toleratedFailurePercentage".into(), p);
        }
    }
    if let Some(v) = &seen.variables
        && !v.is_empty()
    {
        data.insert(
            "variables".into(),
            json!(Value::Object(v.clone()).to_string()),
        );
    }
    if let Some((rule, _)) = &seen.retriable {
        let backoff = f.retriers.get(*rule).map_or(0, |r| {
            engine::retry::delay(r, f.retrier_retry_count, unit_draw()).as_secs()
        });
        data.insert(
            "errorDetails".into(),
            json!({"retryIndex": rule, "retryBackoffIntervalSeconds": backoff}),
        );
    } else if let Some((clause, _)) = &seen.caught {
        data.insert("errorDetails".into(), json!({"catchIndex": clause}));
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn a_tolerance_is_exceeded_past_its_count_or_its_percentage() {
        assert_eq!(exceeds_tolerance((Some(1), None), 1, 3), Some(false));
        assert_eq!(exceeds_tolerance((Some(1), None), 2, 3), Some(true));
        assert_eq!(exceeds_tolerance((None, Some(50.0)), 2, 4), Some(false));
        assert_eq!(exceeds_tolerance((None, Some(50.0)), 3, 4), Some(true));
        // Either one tolerating the failures is enough.
        assert_eq!(exceeds_tolerance((Some(0), Some(50.0)), 2, 4), Some(false));
        assert_eq!(exceeds_tolerance((None, None), 3, 4), None);
    }

    #[test]
    fn a_mocked_maps_tolerances_are_evaluated_by_their_paths_or_expressions() {
        let by_path = object(json!({"Type": "Map", "ToleratedFailureCountPath": "$.n",
            "ToleratedFailurePercentage": 10}));
        assert_eq!(
            tolerance_fields(&by_path, true),
            Some(json!({"ToleratedFailureCount.$": "$.n", "ToleratedFailurePercentage": 10}))
        );
        let by_expression = object(json!({"Type": "Map", "ToleratedFailureCount": "{% $n %}"}));
        assert_eq!(
            tolerance_fields(&by_expression, false),
            Some(json!({"ToleratedFailureCount": "{% $n %}"}))
        );
        assert_eq!(
            tolerance_fields(&object(json!({"Type": "Map"})), true),
            None
        );
        assert_eq!(
            evaluated_tolerance(
                &json!({"ToleratedFailureCount": 2, "ToleratedFailurePercentage": 12.5})
            ),
            Ok((Some(2), Some(12.5)))
        );
        for bad in [
            json!({"ToleratedFailureCount": -1}),
            json!({"ToleratedFailureCount": "2"}),
            json!({"ToleratedFailurePercentage": 101}),
        ] {
            let f = evaluated_tolerance(&bad).err();
            assert_eq!(
                f.map(|f| f.error),
                Some("States.Runtime".to_string()),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_context_gives_the_retry_count_the_task_token_and_the_map_item() {
        let c = json!({"State": {"RetryCount": 2}, "Task": {"Token": "t"},
            "Map": {"Item": {"Index": 1, "Value": {"v": 1}, "Key": "k"}}, "Execution": {"Name": "e"}});
        let Ok(Some(g)) = given_context(&c, "S") else {
            panic!("no given context from {c}");
        };
        assert_eq!(g.state, "S");
        assert_eq!(g.retry_count, Some(2));
        assert_eq!(g.task_token.as_deref(), Some("t"));
        assert_eq!(
            g.map,
            Some(json!({"Item": {"Index": 1, "Value": {"v": 1}, "Key": "k"}}))
        );
        // Members the engine makes itself need nothing given.
        assert!(matches!(
            given_context(&json!({"Execution": {"Name": "e"}}), "S"),
            Ok(None)
        ));
        for bad in [
            json!({"State": {"RetryCount": -1}}),
            json!({"State": {"RetryCount": "1"}}),
            json!({"Task": {"Token": 5}}),
            json!({"Map": []}),
            json!({"Map": {"Item": 3}}),
            json!({"Map": {"Item": {"Index": 1.5}}}),
            json!({"Map": {"Item": {"Source": {}}}}),
        ] {
            assert!(given_context(&bad, "S").is_err(), "{bad}");
        }
    }

    #[test]
    fn states_inside_branches_and_iterations_are_found_at_any_depth() {
        let p = object(json!({"Type": "Parallel", "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Map", "ItemProcessor":
                {"StartAt": "Deep", "States": {"Deep": {"Type": "Pass", "End": true}}}, "End": true}}}
        ]}));
        assert!(holds_state(&p, "A"));
        assert!(holds_state(&p, "Deep"));
        assert!(!holds_state(&p, "Elsewhere"));
    }

    #[test]
    fn a_mocked_map_keeps_its_paths_retry_and_catch_but_not_its_items() {
        let m = object(
            json!({"Type": "Map", "ItemsPath": "$.xs", "Parameters": {"a": 1},
            "ResultPath": "$.r", "Retry": [], "Catch": [], "Next": "N",
            "ItemProcessor": {"StartAt": "P", "States": {}}}),
        );
        let t = as_mocked_task(&m, true);
        assert_eq!(t.get("Type"), Some(&json!("Task")));
        for kept in ["ResultPath", "Retry", "Catch", "Next", "Resource"] {
            assert!(t.contains_key(kept), "{kept}");
        }
        for dropped in ["ItemsPath", "Parameters", "ItemProcessor"] {
            assert!(!t.contains_key(dropped), "{dropped}");
        }
        // A Parallel's Parameters are its own input's shaping, kept.
        let p = object(
            json!({"Type": "Parallel", "Parameters": {"a": 1}, "Branches": [], "End": true}),
        );
        assert!(as_mocked_task(&p, false).contains_key("Parameters"));
    }

    #[test]
    fn an_exchange_is_shown_with_its_scheme_and_header_lines() {
        let x = Exchange {
            method: "GET".into(),
            url: "http://localhost:1/x?q=1".into(),
            request_headers: vec![
                ("accept".into(), "*/*".into()),
                ("a".into(), "b".into()),
                ("x-api-key".into(), "secret".into()),
            ],
            secret_headers: vec!["x-api-key".into()],
            status: 404,
            ..Exchange::default()
        };
        let mut data = Map::new();
        exchange_data(&x, false, &mut data);
        assert_eq!(data["request"]["protocol"], "http");
        assert_eq!(data["request"]["headers"], "accept: */*\na: b");
        exchange_data(&x, true, &mut data);
        assert_eq!(
            data["request"]["headers"],
            "accept: */*\na: b\nx-api-key: secret"
        );
        assert_eq!(data["response"]["statusCode"], "404");
        assert_eq!(data["response"]["statusMessage"], "Not Found");
    }
}
