//! TestState: one state run on its own, through the engine as an execution of a machine
//! holding that state and, for each state it may go to, a `Succeed` stand-in (so the engine
//! stops right after it and the state it chose is known).
//!
//! What the engine tells a [`Probe`] gives AWS's answer: the input, the parameters a Task
//! called with (`afterParameters` / `afterArguments`), the task's result, the output, the next
//! state, the variables after it; a Catch that took the error gives `CAUGHT_ERROR`, a Retry
//! that would try again `RETRIABLE` (the run is stopped there, as AWS does not retry in
//! TestState).

use super::executions::registry;
use super::request::Request;
use super::store::lock;
use super::{ApiError, Server};
use crate::definition::State;
use crate::engine::{
    self, Failure, Frame, Options, Probe, Status, TaskError, TaskHandler, TaskRequest,
};
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
    caught: Option<Failure>,
    retriable: Option<Failure>,
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
    fn retried(&self, visit: u64, _rule: usize, failure: &Failure) {
        if self.is_tested(visit) {
            lock(&self.seen).retriable = Some(failure.clone());
            if let Some(tx) = lock(&self.stop).take() {
                let _ = tx.send("RETRIABLE".into());
            }
        }
    }
    fn exhausted(&self, _visit: u64, _rule: usize, _failure: &Failure) {}
    fn caught(&self, visit: u64, _clause: usize, failure: &Failure) {
        if self.is_tested(visit) {
            lock(&self.seen).caught = Some(failure.clone());
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
}

/// The tested Task's handler: the mock's answer, or the server's route, its result kept.
struct Capture {
    inner: Option<Arc<dyn TaskHandler>>,
    mock: Option<Result<Value, Failure>>,
    result: Mutex<Option<Value>>,
}

impl TaskHandler for Capture {
    fn name(&self) -> &str {
        "test-state"
    }
    fn invoke(&self, request: TaskRequest) -> BoxFuture<'_, Result<Value, TaskError>> {
        Box::pin(async move {
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
    let (name, state, query) = match (doc.get("States"), r.str("stateName")?) {
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
    let mock = match r.0.get("mock") {
        Some(Value::Object(m)) => match (m.get("result"), m.get("errorOutput")) {
            (Some(Value::String(res)), _) => Some(Ok(serde_json::from_str::<Value>(res)
                .map_err(|e| ApiError::validation(format!("`mock.result` is not JSON: {e}")))?)),
            (_, Some(Value::Object(e))) => Some(Err(Failure {
                error: e
                    .get("error")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                cause: e.get("cause").and_then(Value::as_str).map(str::to_string),
            })),
            _ => {
                return Err(ApiError::validation(
                    "`mock` needs `result` or `errorOutput`",
                ));
            }
        },
        _ => None,
    };
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
    let machine_text = Value::Object(machine).to_string();
    let diags = crate::validate::validate_value(
        &serde_json::from_str(&machine_text).unwrap_or_default(),
        &Default::default(),
    );
    let errors: Vec<String> = diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {} at {}", d.code.as_str(), d.message, d.shown_at()))
        .collect();
    if !errors.is_empty() {
        return Err(invalid(errors.join(", ")));
    }
    let loaded =
        crate::definition::load_owned(serde_json::from_str(&machine_text).unwrap_or_default());
    let Some(compiled) = loaded.machine else {
        let errors: Vec<String> = loaded
            .diagnostics
            .iter()
            .map(|d| d.message.clone())
            .collect();
        return Err(invalid(errors.join(", ")));
    };
    let mut handlers = registry(server, "TestState", &compiled, None)?;
    let capture = Arc::new(Capture {
        inner: compiled
            .root
            .all_states()
            .into_iter()
            .find(|s| s.name == name)
            .and_then(|s| match &s.kind {
                crate::definition::Kind::Task(t) => handlers.handler(&s.name, &t.resource),
                _ => None,
            }),
        mock,
        result: Mutex::default(),
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
    let opts = Options {
        clock: server.config.clock,
        state_machine_name: "TestState".into(),
        region: server.config.region.clone(),
        account_id: server.config.account_id.clone(),
        role_arn: r
            .str("roleArn")?
            .map_or_else(|| Options::default().role_arn, str::to_string),
        handlers,
        probe: Some(probe.clone()),
        stop: Some(Box::pin(async move { rx.await.unwrap_or_default() })),
        ..Options::default()
    };
    let outcome = engine::run(&compiled, input, opts)
        .await
        .map_err(|f| ApiError::validation(f.message))?;
    let seen = lock(&probe.seen);
    let mut data = Map::new();
    if let Some(i) = &seen.input {
        data.insert("input".into(), json!(i.to_string()));
    }
    if let Some(c) = &seen.called {
        let key = if uses_arguments {
            "afterArguments"
        } else {
            "afterParameters"
        };
        data.insert(key.into(), json!(c.to_string()));
    }
    if let Some(res) = lock(&capture.result).as_ref() {
        data.insert("result".into(), json!(res.to_string()));
    }
    if let Some(v) = &seen.variables {
        data.insert(
            "variables".into(),
            json!(Value::Object(v.clone()).to_string()),
        );
    }
    let mut out = Map::new();
    let status = if let Some(f) = &seen.retriable {
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
            Some(f) => {
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
    out.insert("inspectionData".into(), Value::Object(data));
    Ok(Value::Object(out))
}
