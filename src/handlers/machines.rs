//! Child state machines run locally: `arn:aws:states:::states:startExecution` (request-response,
//! `.sync`, `.sync:2`, `.waitForTaskToken`) and `aws-sdk:sfn:startSyncExecution`, for
//! machines whose definitions the run knows (`--machine NAME=FILE`, or `Machines` in the
//! handlers file).
//!
//! The child is a new execution on the same clock, with its own context (`$$.Execution` names
//! the child), its Task states answered by the parent's routes by state name and by the mock
//! file's test case under the child's own state machine name. The task result is AWS's for
//! each variant: request-response gives `{ExecutionArn, StartDate}`; `.sync` gives
//! DescribeExecution's shape with `Input` and `Output` as JSON text; `.sync:2` the same with
//! them parsed; `startSyncExecution` StartSyncExecution's shape. A failed child fails a
//! `.sync` task with `States.TaskFailed` and the description as the cause. A name the run
//! does not know is AWS's `StepFunctions.StateMachineDoesNotExistException`. Machines that
//! start each other end at [`MAX_DEPTH`] levels with a fault.
//!
//! `.waitForTaskToken`: the child is started (its input carries the token where the template
//! put `$$.Task.Token`) and the task waits on the callback endpoint, as
//! [`WaitForCallback`] does for any worker; the child's own end is no answer, so a child that
//! never calls back leaves the parent waiting until its `TimeoutSeconds` or
//! `HeartbeatSeconds`. `.sync`, `.sync:2` and `.waitForTaskToken` record StartExecution's
//! answer (`ExecutionArn`, `StartDate`) as the parent's `TaskSubmitted`, which is how AWS's
//! history links a parent to its child; with [`Machines::histories`] each child's own history
//! is kept too (`asl run --history` writes them under `childExecutions`).

use super::callback::{CallbackServer, WaitForCallback};
use super::mock::MockHandler;
use crate::definition::{Pattern, ResourceKind, StateMachine};
use crate::engine::{
    self, Clock, Failure, Fault, Options, Registry, Status, TaskError, TaskHandler, TaskRequest,
};
use futures::future::BoxFuture;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The histories of the child executions of a run, in the order they ended.
pub type Histories = Arc<Mutex<Vec<ChildHistory>>>;

/// One child execution's history and what links it to its parent.
#[derive(Debug, Clone)]
pub struct ChildHistory {
    pub execution_arn: String,
    pub state_machine_arn: String,
    /// The execution that started it (`$$.Execution.Id` of the parent).
    pub started_by: Option<String>,
    /// Its events, as GetExecutionHistory prints them.
    pub events: Vec<Value>,
}

/// How deep child executions may nest (a machine that starts itself ends here).
pub const MAX_DEPTH: usize = 10;

/// What every level of child executions shares.
pub struct Machines {
    /// Definitions by state machine name.
    pub machines: HashMap<String, Arc<StateMachine>>,
    /// Routes of Task states by name (local commands, AWS), shared with children.
    pub routes: Registry,
    /// The mock file and test case, read again under each child's name.
    pub mocks: Option<(Value, String)>,
    pub clock: Clock,
    pub region: String,
    pub account_id: String,
    pub role_arn: String,
    pub seed: Option<u64>,
    pub depth: usize,
    /// The callback endpoint `.waitForTaskToken` children answer through.
    pub callback: Option<Arc<CallbackServer>>,
    /// Where children's histories are kept, when the run records history.
    pub histories: Option<Histories>,
    /// The parent's S3 (`--s3-root`, a test's objects, or the real S3), for the children's
    /// Distributed Maps.
    pub storage: Option<Arc<dyn crate::storage::ObjectStore>>,
}

/// The part of [`Machines`] that starts a child, wrapped by [`WaitForCallback`] for
/// `.waitForTaskToken` requests.
struct Starter(Arc<Machines>);

impl TaskHandler for Starter {
    fn name(&self) -> &str {
        "machine"
    }

    fn wants_context(&self) -> bool {
        true
    }

    fn invoke(&self, request: TaskRequest) -> BoxFuture<'_, Result<Value, TaskError>> {
        Box::pin(self.0.clone().start(request))
    }
}

fn arn_name(arn: &str) -> Option<&str> {
    // `arn:aws:states:REGION:ACCOUNT:stateMachine:NAME[:VERSION_OR_ALIAS]`, or a bare name.
    match arn.split(':').collect::<Vec<_>>().as_slice() {
        ["arn", _, "states", _, _, "stateMachine", name, ..] => Some(name),
        [name] if !name.is_empty() => Some(name),
        _ => None,
    }
}

impl Machines {
    /// Whether `r` is an integration this handler runs.
    pub fn handles(kind: &ResourceKind) -> bool {
        matches!(kind,
            ResourceKind::Service { service, action } if service == "states" && action == "startExecution")
            || matches!(kind,
            ResourceKind::AwsSdk { service, action } if service == "sfn" && action == "startSyncExecution")
    }

    async fn start(self: Arc<Self>, request: TaskRequest) -> Result<Value, TaskError> {
        let p = engine::partition(&self.region);
        let params = &request.input;
        let arn = params
            .get("StateMachineArn")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let Some((name, machine)) =
            arn_name(&arn).and_then(|n| self.machines.get(n).map(|m| (n.to_string(), m.clone())))
        else {
            return Err(TaskError::Failed(Failure::new(
                "StepFunctions.StateMachineDoesNotExistException",
                format!(
                    "State Machine Does Not Exist: '{arn}' (Service: AWSStepFunctions; Status Code: 400; Error Code: StateMachineDoesNotExist; Request ID: {}; Proxy: null)",
                    uuid::Uuid::new_v4()
                ),
            )));
        };
        if self.depth >= MAX_DEPTH {
            return Err(TaskError::Fault(Fault::new(format!(
                "the state machine `{name}` is started {MAX_DEPTH} child executions deep: machines that start each other in a cycle end here"
            ))));
        }
        let sync_express = matches!(&request.resource.kind, ResourceKind::AwsSdk { .. });
        let input = match params.get("Input") {
            None | Some(Value::Null) => json!({}),
            Some(Value::String(s)) => serde_json::from_str(s).map_err(|e| {
                TaskError::Failed(Failure::new(
                    "StepFunctions.InvalidExecutionInputException",
                    format!("Invalid State Machine Execution Input: '{e}'"),
                ))
            })?,
            Some(v) => v.clone(),
        };
        let exec_name = params
            .get("Name")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let machine_arn = format!(
            "arn:{p}:states:{}:{}:stateMachine:{name}",
            self.region, self.account_id
        );
        let exec_arn = if sync_express {
            format!(
                "arn:{p}:states:{}:{}:express:{name}:{exec_name}:{}",
                self.region,
                self.account_id,
                uuid::Uuid::new_v4()
            )
        } else {
            format!(
                "arn:{p}:states:{}:{}:execution:{name}:{exec_name}",
                self.region, self.account_id
            )
        };
        // The child's Task states: the parent's routes, the mock file under its own name,
        // and this handler for the machines it starts in turn.
        let child = Arc::new(Machines {
            machines: self.machines.clone(),
            routes: self.routes.clone(),
            mocks: self.mocks.clone(),
            clock: self.clock,
            region: self.region.clone(),
            account_id: self.account_id.clone(),
            role_arn: self.role_arn.clone(),
            seed: self.seed.map(|s| s.wrapping_add(1)),
            depth: self.depth + 1,
            callback: self.callback.clone(),
            histories: self.histories.clone(),
            storage: self.storage.clone(),
        });
        let mut registry = self.routes.clone();
        for s in machine.root.all_states() {
            if let crate::definition::Kind::Task(t) = &s.kind
                && Machines::handles(&t.resource.kind)
                && !self.routes.has_state(&s.name)
            {
                registry.for_state(s.name.clone(), child.clone());
            }
        }
        if let Some((doc, case)) = &self.mocks
            && let Ok(m) = MockHandler::from_value(doc, &name, case)
        {
            registry.fallback(Arc::new(m));
        }
        let opts = Options {
            clock: self.clock,
            state_machine_name: name.clone(),
            execution_name: exec_name.clone(),
            role_arn: self.role_arn.clone(),
            region: self.region.clone(),
            account_id: self.account_id.clone(),
            handlers: registry,
            seed: self.seed,
            keep_history: self.histories.is_some(),
            storage: self.storage.clone(),
            ..Options::default()
        };
        // StartExecution's answer, as the parent's `TaskSubmitted` records it for the patterns
        // that wait: the child starts at the clock's now, as `engine::run` starts it.
        let started = json!({
            "ExecutionArn": exec_arn,
            "StartDate": self.clock.now(&engine::PathTime::default()).unix_millis(),
        });
        let pattern = request.resource.pattern;
        if !sync_express
            && pattern != Pattern::RequestResponse
            && let Some(tx) = &request.submitted
        {
            let _ = tx.send(started.clone());
        }
        let outcome = engine::run(&machine, input.clone(), opts)
            .await
            .map_err(TaskError::Fault)?;
        let start = outcome.started.unix_millis();
        let stop = outcome.ended.unix_millis();
        if let Some(h) = &self.histories {
            h.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(ChildHistory {
                    execution_arn: exec_arn.clone(),
                    state_machine_arn: machine_arn.clone(),
                    started_by: request
                        .context
                        .pointer("/Execution/Id")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    events: outcome.events.iter().map(|e| e.to_json()).collect(),
                });
        }
        // The child's end is no answer to a `.waitForTaskToken` task: the callback is.
        if pattern == Pattern::WaitForTaskToken {
            return Ok(started);
        }
        if pattern == Pattern::RequestResponse && !sync_express {
            return Ok(json!({"ExecutionArn": exec_arn, "StartDate": start}));
        }
        let parsed = request.resource.pattern == Pattern::Sync2;
        let text = |v: &Value| {
            if parsed {
                v.clone()
            } else {
                json!(v.to_string())
            }
        };
        let mut d = Map::new();
        d.insert("ExecutionArn".into(), json!(exec_arn));
        d.insert("Input".into(), text(&input));
        d.insert("InputDetails".into(), json!({"Included": true}));
        d.insert("Name".into(), json!(exec_name));
        if let Some(o) = &outcome.output {
            d.insert("Output".into(), text(o));
            d.insert("OutputDetails".into(), json!({"Included": true}));
        }
        if !sync_express {
            d.insert("RedriveCount".into(), json!(0));
            d.insert("RedriveStatus".into(), json!("NOT_REDRIVABLE"));
        }
        d.insert("StartDate".into(), json!(start));
        d.insert("StateMachineArn".into(), json!(machine_arn));
        d.insert("Status".into(), json!(outcome.status.as_str()));
        d.insert("StopDate".into(), json!(stop));
        if outcome.status != Status::Succeeded {
            if let Some(e) = &outcome.error {
                d.insert("Error".into(), json!(e));
            }
            if let Some(c) = &outcome.cause {
                d.insert("Cause".into(), json!(c));
            }
        }
        let described = Value::Object(d);
        if outcome.status == Status::Succeeded || sync_express {
            Ok(described)
        } else {
            Err(TaskError::Failed(Failure::new(
                "States.TaskFailed",
                described.to_string(),
            )))
        }
    }
}

impl Machines {
    fn share(&self) -> Arc<Machines> {
        Arc::new(Machines {
            machines: self.machines.clone(),
            routes: self.routes.clone(),
            mocks: self.mocks.clone(),
            clock: self.clock,
            region: self.region.clone(),
            account_id: self.account_id.clone(),
            role_arn: self.role_arn.clone(),
            seed: self.seed,
            depth: self.depth,
            callback: self.callback.clone(),
            histories: self.histories.clone(),
            storage: self.storage.clone(),
        })
    }
}

impl TaskHandler for Machines {
    fn name(&self) -> &str {
        "machine"
    }

    /// The context names the parent execution a child's history links to.
    fn wants_context(&self) -> bool {
        self.histories.is_some()
    }

    fn invoke(&self, request: TaskRequest) -> BoxFuture<'_, Result<Value, TaskError>> {
        let me = self.share();
        if request.resource.pattern != Pattern::WaitForTaskToken {
            return Box::pin(me.start(request));
        }
        match &self.callback {
            Some(server) => {
                let waiting =
                    WaitForCallback::new(Arc::new(Starter(me)), server.clone()).finishing_work();
                Box::pin(async move { waiting.invoke(request).await })
            }
            None => Box::pin(async move {
                Err(TaskError::Fault(Fault::new(format!(
                    "the Task state `{}` waits for a task token from a child execution, but the run has no callback endpoint",
                    request.state_name
                ))))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_arns_with_or_without_qualifiers() {
        assert_eq!(
            arn_name("arn:aws:states:us-east-1:1:stateMachine:Child"),
            Some("Child")
        );
        assert_eq!(
            arn_name("arn:aws:states:us-east-1:1:stateMachine:Child:prod"),
            Some("Child")
        );
        assert_eq!(arn_name("Child"), Some("Child"));
        assert_eq!(arn_name("arn:aws:lambda:x:1:function:f"), None);
    }
}
