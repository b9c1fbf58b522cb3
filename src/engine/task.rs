//! The Task action: resolve time limits, pick the handler, record the Task events, call it.

use super::execution::{Exec, StateCx, Thread, invalid_path, seconds_at, shown};
use super::failure::{Failure, Fault, Stop};
use super::handler::{TaskError, TaskRequest};
use crate::data::roots::{DataError, read};
use crate::definition::{Dynamic, ResourceKind, Task};
use serde_json::{Value, json};
use std::time::Duration;

impl Exec {
    /// Resolves `TimeoutSeconds(Path)` / `HeartbeatSeconds(Path)` against the effective input.
    pub(crate) fn seconds(
        &self,
        cx: &StateCx,
        d: &Option<Dynamic<u64>>,
        field: &str,
        effective: &Value,
        th: &Thread,
    ) -> Result<Option<u64>, Stop> {
        let roots = self.roots(cx, effective, &th.scope, 0);
        let v = match d {
            None => return Ok(None),
            Some(Dynamic::Fixed(n)) => return Ok(Some(*n)),
            Some(Dynamic::Path(p)) => {
                let v = read(p, &roots).map_err(|e| self.data_failure(cx, invalid_path(p, e)))?;
                let n = seconds_at(&format!("{field}Path"), p, &v)
                    .map_err(|e| self.data_failure(cx, e))?;
                if n > 0 {
                    return Ok(Some(n));
                }
                v.into_owned()
            }
            Some(Dynamic::Expr(e)) => e
                .evaluate_field(&roots, field)
                .map_err(|e| self.data_failure(cx, e))?,
            Some(Dynamic::Intrinsic(_)) => return Ok(None),
        };
        match v.as_u64() {
            Some(n) if n > 0 => Ok(Some(n)),
            _ => Err(self.data_failure(
                cx,
                DataError::runtime(format!(
                    "The {field} field refers to value \"{}\" which is not a valid positive integer",
                    shown(&v)
                )),
            )),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn task(
        &self,
        cx: &StateCx<'_>,
        t: &Task,
        params: Value,
        effective: &Value,
        th: &mut Thread,
        retry_count: u64,
        token: Option<&str>,
    ) -> Result<Value, Stop> {
        let s = cx.state;
        let timeout = self.seconds(cx, &t.timeout, "TimeoutSeconds", effective, th)?;
        let heartbeat = self.seconds(cx, &t.heartbeat, "HeartbeatSeconds", effective, th)?;
        let credentials = match &t.credentials {
            Some(c) => Some(
                c.eval(&self.roots(cx, effective, &th.scope, retry_count))
                    .map_err(|e| self.data_failure(cx, e))?,
            ),
            None => None,
        };
        let Some(handler) = self.handlers.handler(&s.name, &t.resource) else {
            return Err(Stop::Fault(Fault::new(format!(
                "the Task state `{}` (resource `{}`) has no handler: {}",
                s.name,
                t.resource.arn,
                self.handlers.advice(&s.name, &t.resource)
            ))));
        };
        let family = t.resource.event_family();
        let (resource_type, resource) = t.resource.event_names();
        let region = self.region.clone();
        self.emit(th, &format!("{family}Scheduled"), || {
            let mut d = match &t.resource.kind {
                ResourceKind::LambdaFunction { .. } | ResourceKind::Activity { .. } | ResourceKind::Other => {
                    json!({"resource": t.resource.arn, "input": params.to_string(), "inputDetails": {"truncated": false}})
                }
                _ => json!({"resourceType": resource_type, "resource": resource, "region": region, "parameters": params.to_string()}),
            };
            if let (Some(n), Some(m)) = (timeout, d.as_object_mut()) {
                m.insert("timeoutInSeconds".into(), json!(n));
            }
            if let (Some(n), Some(m)) = (heartbeat, d.as_object_mut()) {
                m.insert("heartbeatInSeconds".into(), json!(n));
            }
            Some((super::history::details_key(&format!("{family}Scheduled")), d))
        })?;
        // An activity's Started event waits for a worker to take the task (the handler
        // reports it); every other handler starts the work as it is called.
        let reports_start = handler.reports_start();
        if !reports_start {
            self.emit(th, &format!("{family}Started"), || match family {
                "Task" => Some((
                    "taskStartedEventDetails".into(),
                    json!({"resourceType": resource_type, "resource": resource}),
                )),
                _ => None,
            })?;
        }
        let context = if handler.wants_context() {
            let mut roots = self.roots(cx, effective, &th.scope, retry_count);
            if token.is_some() {
                roots.state.task_token = token;
            }
            crate::data::roots::Roots::context(&roots).clone()
        } else {
            Value::Null
        };
        let (submitted_tx, mut submitted_rx) = tokio::sync::mpsc::unbounded_channel();
        let (started_tx, mut started_rx) = tokio::sync::mpsc::unbounded_channel();
        let request = TaskRequest {
            state_name: s.name.clone(),
            resource: t.resource.clone(),
            input: params,
            credentials,
            task_token: token.map(str::to_string),
            timeout: timeout.map(Duration::from_secs),
            heartbeat: heartbeat.map(Duration::from_secs),
            context,
            submitted: Some(submitted_tx),
            started: reports_start.then_some(started_tx),
            visit: cx.visit,
        };
        if let Some(p) = &self.probe {
            p.called(cx.visit, &request.input);
        }
        let call = handler.invoke(request);
        // While the handler works, record its submissions (`.sync`) as they happen.
        let submitted = |th: &mut Thread, response: Value| {
            self.emit(th, "TaskSubmitted", || {
                Some((
                    "taskSubmittedEventDetails".into(),
                    json!({
                        "resourceType": resource_type,
                        "resource": resource,
                        "output": response.to_string(),
                        "outputDetails": {"truncated": false},
                    }),
                ))
            })
        };
        let started = |th: &mut Thread, details: Value| {
            self.emit(th, &format!("{family}Started"), || {
                details.is_object().then(|| {
                    (
                        super::history::details_key(&format!("{family}Started")),
                        details,
                    )
                })
            })
        };
        let call = async {
            tokio::pin!(call);
            loop {
                tokio::select! {
                    answer = &mut call => {
                        // A handler that reports and finishes in one poll (a child machine
                        // that never waits) still has its reports recorded, before the end.
                        while let Ok(details) = started_rx.try_recv() {
                            started(th, details)?;
                        }
                        while let Ok(response) = submitted_rx.try_recv() {
                            submitted(th, response)?;
                        }
                        break Ok(answer);
                    }
                    Some(details) = started_rx.recv() => {
                        started(th, details)?;
                    }
                    Some(response) = submitted_rx.recv() => {
                        submitted(th, response)?;
                    }
                }
            }
        };
        let answer = match timeout {
            Some(secs) => tokio::time::timeout(Duration::from_secs(secs), call)
                .await
                .ok(),
            None => Some(call.await),
        };
        let answer = match answer {
            Some(Err(stop)) => return Err(stop),
            Some(Ok(a)) => Some(a),
            None => None,
        };
        let (resource_type, resource) = t.resource.event_names();
        let with_resource = |mut d: Value| {
            if family == "Task"
                && let Some(m) = d.as_object_mut()
            {
                m.insert("resourceType".into(), json!(resource_type));
                m.insert("resource".into(), json!(resource));
            }
            d
        };
        // AWS fails a task whose result is over the payload limit, as a task failure.
        let answer = match answer {
            Some(Ok(v))
                if self
                    .payload_limit
                    .is_some_and(|l| super::size::exceeds(&v, l)) =>
            {
                let who = match family {
                    "Task" => resource_type.clone(),
                    _ => t.resource.arn.clone(),
                };
                Some(Err(TaskError::Failed(Failure::new(
                    "States.DataLimitExceeded",
                    format!(
                        "The state/task '{who}' returned a result with a size exceeding the maximum number of bytes service limit."
                    ),
                ))))
            }
            other => other,
        };
        match answer {
            Some(Ok(v)) => {
                self.emit(th, &format!("{family}Succeeded"), || {
                    Some((
                        super::history::details_key(&format!("{family}Succeeded")),
                        with_resource(
                            json!({"output": v.to_string(), "outputDetails": {"truncated": false}}),
                        ),
                    ))
                })?;
                Ok(v)
            }
            // A handler that saw the heartbeat lapse reports it as a failure; AWS records it
            // as a time-out.
            Some(Err(TaskError::Failed(f))) => {
                let outcome = if f.error == "States.HeartbeatTimeout" {
                    "TimedOut"
                } else {
                    "Failed"
                };
                let kind = format!("{family}{outcome}");
                self.emit(th, &kind, || {
                    let mut d = json!({"error": f.error});
                    if let (Some(c), Some(m)) = (&f.cause, d.as_object_mut()) {
                        m.insert("cause".into(), json!(c));
                    }
                    Some((super::history::details_key(&kind), with_resource(d)))
                })?;
                Err(Stop::Failed(f))
            }
            Some(Err(TaskError::Fault(f))) => Err(Stop::Fault(f)),
            None => {
                let f = Failure {
                    error: "States.Timeout".into(),
                    cause: None,
                };
                self.emit(th, &format!("{family}TimedOut"), || {
                    Some((
                        super::history::details_key(&format!("{family}TimedOut")),
                        with_resource(json!({"error": "States.Timeout"})),
                    ))
                })?;
                Err(Stop::Failed(f))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Clock, Options, Registry, TaskHandler, TaskRequest, run_blocking};
    use super::*;
    use futures::future::BoxFuture;
    use std::sync::Arc;

    /// Reports its start (as an activity does when a worker takes the task) before answering,
    /// or answers without one when `report` is false.
    struct Worker {
        report: bool,
    }

    impl TaskHandler for Worker {
        fn name(&self) -> &str {
            "worker"
        }
        fn reports_start(&self) -> bool {
            self.report
        }
        fn invoke(&self, request: TaskRequest) -> BoxFuture<'_, Result<Value, TaskError>> {
            Box::pin(async move {
                if let Some(tx) = &request.started {
                    let _ = tx.send(json!({"workerName": "w1"}));
                }
                Ok(json!({"ok": true}))
            })
        }
    }

    fn events(report: bool) -> Vec<Value> {
        let text = r#"{"StartAt": "A", "States": {"A": {"Type": "Task",
            "Resource": "arn:aws:states:us-east-1:123456789012:activity:act", "End": true}}}"#;
        let Ok(machine) = crate::definition::load_str(text) else {
            panic!("the machine loads");
        };
        let mut handlers = Registry::new();
        handlers.fallback(Arc::new(Worker { report }));
        let opts = Options {
            keep_history: true,
            handlers,
            clock: Clock::Fixed(crate::data::timestamp::Instant(0)),
            ..Default::default()
        };
        let Ok(o) = run_blocking(&machine, json!({}), opts) else {
            panic!("the run ends");
        };
        o.events.iter().map(|e| e.to_json()).collect()
    }

    #[test]
    fn a_handler_that_reports_its_start_writes_the_started_event_with_its_details() {
        let e = events(true);
        let kinds: Vec<&str> = e.iter().filter_map(|e| e["type"].as_str()).collect();
        assert_eq!(
            kinds,
            [
                "ExecutionStarted",
                "TaskStateEntered",
                "ActivityScheduled",
                "ActivityStarted",
                "ActivitySucceeded",
                "TaskStateExited",
                "ExecutionSucceeded"
            ]
        );
        assert_eq!(
            e[3]["activityStartedEventDetails"],
            json!({"workerName": "w1"})
        );
        // Without the report the engine writes the Started event itself, without details.
        let e = events(false);
        assert_eq!(e[3]["type"], "ActivityStarted");
        assert!(
            e[3].get("activityStartedEventDetails").is_none(),
            "{}",
            e[3]
        );
    }
}
