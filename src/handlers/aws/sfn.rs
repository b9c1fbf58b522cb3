//! Child state machines on real Step Functions: `arn:aws:states:::states:startExecution`
//! (request-response, `.sync`, `.sync:2`) and `arn:aws:states:::aws-sdk:sfn:startSyncExecution`.
//!
//! Request-response answers StartExecution's `{ExecutionArn, StartDate}`. `.sync` and
//! `.sync:2` then poll DescribeExecution, backing off from [`PollPolicy::initial`] to
//! [`PollPolicy::max`], until the child leaves `RUNNING`; the result is DescribeExecution's
//! shape, with `Input` and `Output` as JSON text for `.sync` and parsed for `.sync:2`. A child
//! that does not succeed fails the state with `States.TaskFailed` and that description as the
//! cause, as Step Functions does. StartSyncExecution answers its own shape, failed or not.
//!
//! A `.sync` state that ends before its child (a timeout, a failed sibling, Ctrl-C) stops the
//! child with StopExecution; [`SfnRunner::stop_outstanding`] waits for those stops when the
//! run ends. Service errors are `StepFunctions.<Code>Exception` failures with AWS's cause;
//! not reaching the service is a fault.

use super::client::{ApiError, SfnApi, StartExecutionRequest};
use super::ecs::PollPolicy;
use crate::definition::{Pattern, ResourceKind};
use crate::engine::{Failure, Fault, TaskError, TaskRequest};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Starts and follows child executions; one per run.
pub struct SfnRunner {
    api: Arc<dyn SfnApi>,
    policy: PollPolicy,
    /// `.sync` children not yet seen finished, by execution ARN, with their state's name.
    running: Mutex<HashMap<String, String>>,
    stops: super::Pending,
}

impl SfnRunner {
    pub fn new(api: Arc<dyn SfnApi>, policy: PollPolicy) -> Arc<SfnRunner> {
        Arc::new(SfnRunner {
            api,
            policy,
            running: Mutex::new(HashMap::new()),
            stops: Mutex::new(Vec::new()),
        })
    }

    pub(super) async fn run(self: &Arc<Self>, request: &TaskRequest) -> Result<Value, TaskError> {
        let r = start_request(&request.input)?;
        if matches!(request.resource.kind, ResourceKind::AwsSdk { .. }) {
            return self
                .api
                .start_sync_execution(r)
                .await
                .map_err(service_error);
        }
        let started = self.api.start_execution(r).await.map_err(service_error)?;
        let output =
            json!({"ExecutionArn": started.execution_arn, "StartDate": started.start_date});
        if !matches!(request.resource.pattern, Pattern::Sync | Pattern::Sync2) {
            return Ok(output);
        }
        if let Some(tx) = &request.submitted {
            let _ = tx.send(output);
        }
        let arn = started.execution_arn;
        self.lock_running()
            .insert(arn.clone(), request.state_name.clone());
        let guard = Guard {
            runner: Arc::clone(self),
            arn: arn.clone(),
        };
        let mut wait = self.policy.initial;
        let described = loop {
            tokio::time::sleep(wait).await;
            match self.api.describe_execution(&arn).await {
                Ok(d) if d.get("Status").and_then(Value::as_str) != Some("RUNNING") => break d,
                Ok(_) => {}
                // Throttled: wait longer and ask again.
                Err(e) if e.code.as_deref() == Some("ThrottlingException") => {}
                Err(e) => {
                    self.lock_running().remove(&arn);
                    std::mem::forget(guard);
                    return Err(service_error(e));
                }
            }
            wait = self.policy.max.min(wait.mul_f64(self.policy.factor));
        };
        self.lock_running().remove(&arn);
        std::mem::forget(guard);
        let described = if request.resource.pattern == Pattern::Sync2 {
            parsed(described)
        } else {
            described
        };
        if described.get("Status").and_then(Value::as_str) == Some("SUCCEEDED") {
            Ok(described)
        } else {
            Err(TaskError::Failed(Failure::new(
                "States.TaskFailed",
                described.to_string(),
            )))
        }
    }

    fn lock_running(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stops a child its state no longer waits for, in the background.
    fn abandon(self: &Arc<Self>, arn: &str) {
        let Some(state) = self.lock_running().remove(arn) else {
            return;
        };
        let me = Arc::clone(self);
        let arn = arn.to_string();
        super::spawn_pending(&self.stops, async move { me.stop(&arn, &state).await });
    }

    async fn stop(&self, arn: &str, state: &str) {
        let cause = format!("asl: the state `{state}` ended before the child execution");
        match self.api.stop_execution(arn, "States.Aborted", &cause).await {
            Ok(()) => say!("asl: stopped execution {arn} (state `{state}` ended before it)"),
            Err(e) => say!(
                "asl: warning: could not stop execution {arn} of state `{state}`: {}",
                e.message
            ),
        }
    }

    /// Stops every child still followed (the run ended early) and waits for the stops
    /// already under way.
    pub async fn stop_outstanding(&self) {
        let left: Vec<(String, String)> = self.lock_running().drain().collect();
        for (arn, state) in left {
            self.stop(&arn, &state).await;
        }
        super::join_pending(&self.stops).await;
    }
}

/// Stops the child of a `.sync` state dropped before the child finished.
struct Guard {
    runner: Arc<SfnRunner>,
    arn: String,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.runner.abandon(&self.arn);
    }
}

/// StartExecution's request from the state's parameters: `StateMachineArn` (required),
/// `Input` (JSON text, or any JSON value, sent as its text), `Name`, `TraceHeader`.
fn start_request(params: &Value) -> Result<StartExecutionRequest, TaskError> {
    let bad = |m: String| TaskError::Fault(Fault::new(m));
    let Some(p) = params.as_object() else {
        return Err(bad(format!(
            "the parameters of a StartExecution task must be an object, found {params}"
        )));
    };
    let mut r = StartExecutionRequest::default();
    for (k, v) in p {
        match (k.as_str(), v) {
            ("StateMachineArn", Value::String(s)) => r.state_machine_arn = s.clone(),
            ("Input", Value::String(s)) => r.input = Some(s.clone()),
            ("Input", Value::Null) => {}
            ("Input", v) => r.input = Some(v.to_string()),
            ("Name", Value::String(s)) => r.name = Some(s.clone()),
            ("TraceHeader", Value::String(s)) => r.trace_header = Some(s.clone()),
            ("StateMachineArn" | "Name" | "TraceHeader", v) => {
                return Err(bad(format!(
                    "the StartExecution parameter `{k}` must be a string, found {v}"
                )));
            }
            _ => {
                return Err(bad(format!(
                    "the StartExecution parameter `{k}` is not one asl sends (StateMachineArn, Input, Name, TraceHeader)"
                )));
            }
        }
    }
    if r.state_machine_arn.is_empty() {
        return Err(bad(
            "a StartExecution task needs the parameter `StateMachineArn`".into(),
        ));
    }
    Ok(r)
}

/// `.sync:2`'s form of a description: `Input` and `Output` parsed.
fn parsed(mut d: Value) -> Value {
    for k in ["Input", "Output"] {
        if let Some(v) = d.get_mut(k)
            && let Some(text) = v.as_str()
            && let Ok(j) = serde_json::from_str::<Value>(text)
        {
            *v = j;
        }
    }
    d
}

/// A service error: `StepFunctions.<Code>Exception` (AWS names the integration's errors with
/// the `Exception` suffix the API's codes lack), the message as cause.
fn service_error(e: ApiError) -> TaskError {
    match e.code {
        Some(code) => {
            let name = if code.ends_with("Exception") {
                format!("StepFunctions.{code}")
            } else {
                format!("StepFunctions.{code}Exception")
            };
            TaskError::Failed(Failure::new(name, e.message))
        }
        None => TaskError::Fault(Fault::new(format!(
            "cannot call AWS Step Functions: {}",
            e.message
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::super::client::StartedExecution;
    use super::super::ecs::tests::{block, fast};
    use super::*;
    use crate::definition::Resource;
    use futures::future::BoxFuture;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// Answers `RUNNING` to the first `running` describes, then `status`.
    struct Fake {
        running: u32,
        status: &'static str,
        describes: AtomicU32,
        started: Mutex<Vec<StartExecutionRequest>>,
        stopped: Mutex<Vec<String>>,
        refuse: Option<ApiError>,
    }

    fn fake(running: u32, status: &'static str) -> Arc<Fake> {
        Arc::new(Fake {
            running,
            status,
            describes: AtomicU32::new(0),
            started: Mutex::new(Vec::new()),
            stopped: Mutex::new(Vec::new()),
            refuse: None,
        })
    }

    const ARN: &str = "arn:aws:states:us-east-1:123456789012:execution:Child:run-1";

    impl SfnApi for Fake {
        fn start_execution(
            &self,
            r: StartExecutionRequest,
        ) -> BoxFuture<'_, Result<StartedExecution, ApiError>> {
            self.started.lock().unwrap().push(r);
            let answer = match &self.refuse {
                Some(e) => Err(e.clone()),
                None => Ok(StartedExecution {
                    execution_arn: ARN.into(),
                    start_date: 1_700_000_000_000,
                }),
            };
            Box::pin(async move { answer })
        }
        fn start_sync_execution(
            &self,
            r: StartExecutionRequest,
        ) -> BoxFuture<'_, Result<Value, ApiError>> {
            let out =
                json!({"ExecutionArn": ARN, "Input": r.input, "Status": "FAILED", "Error": "E"});
            Box::pin(async move { Ok(out) })
        }
        fn describe_execution<'a>(
            &'a self,
            arn: &'a str,
        ) -> BoxFuture<'a, Result<Value, ApiError>> {
            let n = self.describes.fetch_add(1, Ordering::Relaxed);
            let status = if n < self.running {
                "RUNNING"
            } else {
                self.status
            };
            let mut d = json!({
                "ExecutionArn": arn,
                "Input": "{\"n\":1}",
                "Status": status,
                "StartDate": 1_700_000_000_000_i64,
            });
            if status == "SUCCEEDED" {
                d["Output"] = json!("{\"done\":true}");
            }
            if status == "FAILED" {
                d["Error"] = json!("Boom");
                d["Cause"] = json!("it broke");
            }
            Box::pin(async move { Ok(d) })
        }
        fn stop_execution<'a>(
            &'a self,
            arn: &'a str,
            _error: &'a str,
            _cause: &'a str,
        ) -> BoxFuture<'a, Result<(), ApiError>> {
            self.stopped.lock().unwrap().push(arn.to_string());
            Box::pin(async { Ok(()) })
        }
    }

    fn request(arn: &str, input: Value) -> TaskRequest {
        TaskRequest {
            state_name: "StartChild".into(),
            resource: Resource::parse(arn),
            input,
            credentials: None,
            task_token: None,
            timeout: None,
            heartbeat: None,
            context: json!({}),
            submitted: None,
            started: None,
            visit: 0,
        }
    }

    fn params() -> Value {
        json!({"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:Child", "Input": {"n": 1}, "Name": "run-1"})
    }

    #[test]
    fn request_response_answers_arn_and_start_date_and_sends_input_as_text() {
        let api = fake(0, "SUCCEEDED");
        let runner = SfnRunner::new(api.clone(), fast());
        let out = block(runner.run(&request("arn:aws:states:::states:startExecution", params())))
            .unwrap();
        assert_eq!(
            out,
            json!({"ExecutionArn": ARN, "StartDate": 1_700_000_000_000_i64})
        );
        let sent = api.started.lock().unwrap()[0].clone();
        assert_eq!(sent.input.as_deref(), Some("{\"n\":1}"));
        assert_eq!(sent.name.as_deref(), Some("run-1"));
        assert_eq!(api.describes.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn sync_polls_until_done_and_keeps_output_as_text_while_sync2_parses_it() {
        let api = fake(2, "SUCCEEDED");
        let runner = SfnRunner::new(api.clone(), fast());
        let out = block(runner.run(&request(
            "arn:aws:states:::states:startExecution.sync",
            params(),
        )))
        .unwrap();
        assert_eq!(out["Output"], json!("{\"done\":true}"));
        assert_eq!(out["Input"], json!("{\"n\":1}"));
        assert_eq!(api.describes.load(Ordering::Relaxed), 3);
        let api = fake(0, "SUCCEEDED");
        let runner = SfnRunner::new(api, fast());
        let out = block(runner.run(&request(
            "arn:aws:states:::states:startExecution.sync:2",
            params(),
        )))
        .unwrap();
        assert_eq!(out["Output"], json!({"done": true}));
        assert_eq!(out["Input"], json!({"n": 1}));
    }

    #[test]
    fn a_failed_child_fails_the_state_with_its_description_as_cause() {
        let api = fake(0, "FAILED");
        let runner = SfnRunner::new(api, fast());
        let Err(TaskError::Failed(f)) = block(runner.run(&request(
            "arn:aws:states:::states:startExecution.sync",
            params(),
        ))) else {
            panic!("expected a failure");
        };
        assert_eq!(f.error, "States.TaskFailed");
        let cause: Value = serde_json::from_str(f.cause.as_deref().unwrap()).unwrap();
        assert_eq!(cause["Status"], "FAILED");
        assert_eq!(cause["Error"], "Boom");
        assert_eq!(cause["Cause"], "it broke");
    }

    #[test]
    fn service_errors_are_named_with_the_exception_suffix_and_unreached_ones_are_faults() {
        let mut api = fake(0, "SUCCEEDED");
        Arc::get_mut(&mut api).unwrap().refuse = Some(ApiError::service(
            "StateMachineDoesNotExist",
            "State Machine Does Not Exist: 'x'",
        ));
        let runner = SfnRunner::new(api, fast());
        let Err(TaskError::Failed(f)) =
            block(runner.run(&request("arn:aws:states:::states:startExecution", params())))
        else {
            panic!("expected a failure");
        };
        assert_eq!(f.error, "StepFunctions.StateMachineDoesNotExistException");
        assert_eq!(
            f.cause.as_deref(),
            Some("State Machine Does Not Exist: 'x'")
        );
        let mut api = fake(0, "SUCCEEDED");
        Arc::get_mut(&mut api).unwrap().refuse = Some(ApiError::local("no credentials"));
        let runner = SfnRunner::new(api, fast());
        assert!(matches!(
            block(runner.run(&request("arn:aws:states:::states:startExecution", params()))),
            Err(TaskError::Fault(_))
        ));
    }

    #[test]
    fn unknown_or_missing_parameters_are_refused() {
        assert!(start_request(&json!({"Input": "{}"})).is_err());
        assert!(start_request(&json!({"StateMachineArn": "a", "Extra": 1})).is_err());
        assert!(start_request(&json!({"StateMachineArn": 1})).is_err());
    }

    #[test]
    fn a_sync_state_dropped_early_stops_its_child() {
        let api = fake(1_000, "SUCCEEDED");
        let runner = SfnRunner::new(api.clone(), fast());
        block(async {
            let req = request("arn:aws:states:::states:startExecution.sync", params());
            let run = runner.run(&req);
            let _ = tokio::time::timeout(std::time::Duration::from_millis(30), run).await;
            runner.stop_outstanding().await;
        });
        assert_eq!(*api.stopped.lock().unwrap(), vec![ARN.to_string()]);
    }

    #[test]
    fn start_sync_execution_answers_its_shape_even_when_the_child_failed() {
        let api = fake(0, "SUCCEEDED");
        let runner = SfnRunner::new(api, fast());
        let out = block(runner.run(&request(
            "arn:aws:states:::aws-sdk:sfn:startSyncExecution",
            params(),
        )))
        .unwrap();
        assert_eq!(out["Status"], "FAILED");
        assert_eq!(out["Input"], "{\"n\":1}");
    }
}
