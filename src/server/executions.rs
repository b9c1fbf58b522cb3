//! The execution operations. Each execution runs on a task of the server's runtime through
//! [`engine::run`], as `asl run` runs one; its events are recorded as they happen.

use super::machines::{described, find, parse_arn};
use super::redrive::{child_resume_point, resume_point};
use super::request::{Request, check_name, page};
use super::store::{Execution, Progress, lock, now};
use super::{ApiError, Server};
use crate::definition::{Kind, Pattern, ResourceKind};
use crate::engine::{
    self, Event, Fault, Options, Registry, SinkFn, TaskError, TaskHandler, TaskRequest,
};
use crate::handlers::callback::WaitForCallback;
use crate::handlers::command::CommandHandler;
use crate::handlers::mock::MockHandler;
use crate::handlers::routing::Route;
use futures::future::BoxFuture;
use serde_json::{Value, json};
use std::sync::Arc;

/// AWS's limit on an execution's input, in bytes.
const MAX_INPUT: usize = 256 * 1024;

/// What answers a Task state no mock answers: a `.waitForTaskToken` state waits for its
/// callback (through this API); any other fails the execution with a fault saying how to
/// answer it.
struct Unrouted;

impl TaskHandler for Unrouted {
    fn name(&self) -> &str {
        "serve"
    }

    fn invoke(&self, request: TaskRequest) -> BoxFuture<'_, Result<Value, TaskError>> {
        Box::pin(async move {
            if request.resource.pattern == Pattern::WaitForTaskToken {
                // Nothing to start: the client reads the token from the history and calls back.
                return Ok(Value::Null);
            }
            Err(TaskError::Fault(Fault::new(format!(
                "asl serve has no handler for the Task state `{}` (resource `{}`): start the execution as `STATE_MACHINE_ARN#TestCase` with a test case of the mock config (SFN_MOCK_CONFIG, --mock-config) that mocks it, route it in `asl serve --handlers FILE`, or run it on AWS with `asl serve --aws-all`",
                request.state_name, request.resource.arn
            ))))
        })
    }

    fn wants_context(&self) -> bool {
        false
    }
}

/// The handlers of one execution, in `asl run`'s order for a Step Functions Local setup: the
/// test case's mocks after `#` for the states it mocks, then the `--handlers` file, then
/// `--aws-all`, else [`Unrouted`]. A `.waitForTaskToken` state not mocked waits for its
/// callback through this API.
pub fn registry(
    server: &Server,
    name: &str,
    compiled: &crate::definition::StateMachine,
    case: Option<&str>,
) -> Result<Registry, ApiError> {
    let mut reg = Registry::new();
    let mock: Option<Arc<MockHandler>> = match case {
        Some(case) => {
            let Some(doc) = &server.config.mocks else {
                return Err(ApiError::validation(format!(
                    "the test case `{case}` was asked for, but asl serve has no mock config (SFN_MOCK_CONFIG or --mock-config)"
                )));
            };
            let mock = MockHandler::from_value(doc, name, case).map_err(|errs| {
                ApiError::validation(
                    errs.iter()
                        .map(|e| format!("the mock config at {}: {}", e.pointer, e.message))
                        .collect::<Vec<_>>()
                        .join("; "),
                )
            })?;
            warn_of_mocks(server, name, case, compiled, &mock);
            Some(Arc::new(mock))
        }
        None => None,
    };
    let mocked: Vec<String> = mock
        .as_ref()
        .map(|m| m.states().map(str::to_string).collect())
        .unwrap_or_default();
    let callbacks = &server.callbacks;
    let unrouted = || Arc::new(Unrouted) as Arc<dyn TaskHandler>;
    for s in compiled.root.all_states() {
        let Kind::Task(t) = &s.kind else { continue };
        if mocked.contains(&s.name) {
            if let Some(m) = &mock {
                reg.for_state(s.name.clone(), m.clone());
            }
            continue;
        }
        let routed = server
            .config
            .handlers
            .as_ref()
            .and_then(|c| c.route(&s.name, &t.resource.arn))
            .map(|(r, _)| r.clone());
        let h: Arc<dyn TaskHandler> = match routed {
            None if matches!(t.resource.kind, ResourceKind::Activity { .. }) => {
                Arc::new(super::activities::ActivityHandler {
                    server: server.me.clone(),
                    tokens: callbacks.tokens().clone(),
                })
            }
            Some(Route::Command(spec)) => {
                Arc::new(CommandHandler::new(spec, Some(callbacks.endpoint())))
            }
            Some(Route::Aws) => aws(server).unwrap_or_else(unrouted),
            Some(Route::Mock) => match &mock {
                Some(m) => m.clone(),
                None => unrouted(),
            },
            None if server.config.aws_all
                || server.config.service_endpoints.routes(&t.resource) =>
            {
                aws(server).unwrap_or_else(unrouted)
            }
            None => unrouted(),
        };
        let h = if t.resource.pattern == Pattern::WaitForTaskToken && h.name() != "mock" {
            Arc::new(WaitForCallback::new(h, callbacks.clone())) as Arc<dyn TaskHandler>
        } else {
            h
        };
        reg.for_state(s.name.clone(), h);
    }
    // States the loop did not see (none today) and mocks of states outside the root graph.
    match mock {
        Some(m) => reg.fallback(m),
        None => reg.fallback(Arc::new(WaitForCallback::new(
            unrouted(),
            callbacks.clone(),
        ))),
    };
    Ok(reg)
}

/// Says on stderr, once per test case, each mocked result that could not come from the API
/// its state calls (as `asl run`'s default `--mock-validation warn` does): Step Functions
/// Local runs such mocks, and so does this server, but the person reading its log learns
/// that AWS would never answer so.
fn warn_of_mocks(
    server: &Server,
    name: &str,
    case: &str,
    compiled: &crate::definition::StateMachine,
    mock: &MockHandler,
) {
    if !lock(&server.mocks_checked).insert(format!("{name}#{case}")) {
        return;
    }
    let resources = compiled.root.task_resources();
    use crate::handlers::aws::shape_check::{FieldValidation, mock_mismatches};
    for m in mock_mismatches(mock, &resources, FieldValidation::Present) {
        say!(
            "asl serve: warning: the mock config's result for `{}` (test case `{name}#{case}`, at {}) cannot come from `{}`: {}",
            m.state,
            m.pointer,
            m.resource.arn,
            m.why
        );
    }
}

/// Writes an event as GetExecutionHistory gives it (timestamps in epoch seconds).
pub fn event_json(e: &Event) -> Value {
    let mut v = e.to_json();
    v["timestamp"] = json!(e.timestamp.unix_millis() as f64 / 1000.0);
    v
}

/// The AWS handler as a Task handler, when the server has one.
fn aws(server: &Server) -> Option<Arc<dyn TaskHandler>> {
    server.config.aws.clone().map(|a| a as Arc<dyn TaskHandler>)
}

/// The machine a (possibly qualified) ARN runs, with its version and alias ARNs.
fn machine_of(
    server: &Server,
    arn: &str,
) -> Result<(super::store::Machine, Option<String>, Option<String>), ApiError> {
    super::machines::parse_arn(arn, "stateMachine")?;
    match server.versions.resolve(arn)? {
        Some(r) => Ok((r.machine, r.version_arn, r.alias_arn)),
        None => Ok((find(server, arn)?, None, None)),
    }
}

/// Registers an execution and returns it with the future that runs it to its end.
fn prepare(
    server: &Arc<Server>,
    r: &Request,
) -> Result<(Arc<Execution>, BoxFuture<'static, ()>, bool), ApiError> {
    let full = r.required("stateMachineArn")?;
    let (arn, case) = match full.split_once('#') {
        Some((a, c)) => (a, Some(c)),
        None => (full, None),
    };
    let (machine, version_arn, alias_arn) = machine_of(server, arn)?;
    let name = match r.str("name")? {
        Some(n) => {
            check_name(n)?;
            n.to_string()
        }
        None => uuid::Uuid::new_v4().to_string(),
    };
    let input_text = r.str("input")?.unwrap_or("{}").to_string();
    if input_text.len() > MAX_INPUT {
        return Err(ApiError::new(
            "InvalidExecutionInput",
            format!(
                "Invalid State Machine Execution Input: 'the input is larger than {MAX_INPUT} bytes'"
            ),
        ));
    }
    let input: Value = serde_json::from_str(&input_text).map_err(|e| {
        ApiError::new(
            "InvalidExecutionInput",
            format!("Invalid State Machine Execution Input: '{e}'"),
        )
    })?;
    let express = machine.kind == "EXPRESS";
    let exec_arn = if express {
        format!(
            "{}express:{}:{name}:{}",
            server.arn_prefix(),
            machine.name,
            uuid::Uuid::new_v4()
        )
    } else {
        format!("{}execution:{}:{name}", server.arn_prefix(), machine.name)
    };
    if let Some(old) = server.store.execution(&exec_arn) {
        let running = lock(&old.state).status == "RUNNING";
        // AWS starts nothing for the same name and input while that execution runs.
        if running && old.input == input_text {
            return Ok((old, Box::pin(async {}), false));
        }
        return Err(ApiError::new(
            "ExecutionAlreadyExists",
            format!("Execution Already Exists: '{exec_arn}'"),
        ));
    }
    let handlers = registry(server, &machine.name, &machine.compiled, case)?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<String>();
    let exec = Arc::new(Execution {
        arn: exec_arn.clone(),
        name: name.clone(),
        machine_arn: super::versions::split(arn).0.to_string(),
        version_arn,
        alias_arn,
        case: case.map(str::to_string),
        machine: machine.clone(),
        input: input_text.clone(),
        started: now(),
        state: std::sync::Mutex::new(Progress {
            status: "RUNNING".into(),
            stop: Some(stop_tx),
            ..Progress::default()
        }),
        events: Default::default(),
        map_runs: Default::default(),
    });
    lock(&server.store.executions).insert(exec_arn.clone(), exec.clone());
    let run = launch(server, &exec, input, handlers, stop_rx, None);
    Ok((exec, run, true))
}

/// The future that runs `exec` (from its start, or where `resume` says) to its end and
/// records how it ended.
fn launch(
    server: &Arc<Server>,
    exec: &Arc<Execution>,
    input: Value,
    handlers: Registry,
    stop_rx: tokio::sync::oneshot::Receiver<String>,
    resume: Option<engine::Resume>,
) -> BoxFuture<'static, ()> {
    let machine = &exec.machine;
    let recorder = exec.clone();
    // With `--state-dir`, the execution is kept from its first event on, RUNNING: one the
    // process could not stop (SIGKILL, a crash) is found at the next start and ended there.
    let keeper = server.store.durable.keeps().then(|| server.me.clone());
    let opts = Options {
        clock: server.config.clock,
        state_machine_name: machine.name.clone(),
        execution_name: exec.name.clone(),
        role_arn: machine.role_arn.clone(),
        region: server.config.region.clone(),
        account_id: server.config.account_id.clone(),
        handlers,
        sink: Some(Box::new(SinkFn(move |e: &Event| {
            lock(&recorder.events).push(event_json(e));
            if let Some(keeper) = &keeper
                && matches!(e.kind.as_str(), "ExecutionStarted" | "ExecutionRedriven")
                && let Some(server) = keeper.upgrade()
            {
                server.store.keep_running(&recorder);
            }
        }))),
        input_text: Some(exec.input.as_str().into()),
        express: machine.kind == "EXPRESS",
        execution_arn: Some(exec.arn.clone()),
        map_runs: Some(Arc::new(super::map_runs::Sink {
            server: server.me.clone(),
            execution: Arc::downgrade(exec),
        })),
        stop: Some(Box::pin(async move { stop_rx.await.unwrap_or_default() })),
        resume,
        ..Options::default()
    };
    let compiled = machine.compiled.clone();
    let server = server.clone();
    let done = exec.clone();
    let run = async move {
        let outcome = engine::run(&compiled, input, opts).await;
        let ended = now();
        {
            let mut p = lock(&done.state);
            p.stopped = Some(ended);
            p.stop = None;
            match outcome {
                Ok(o) => {
                    p.status = o.status.as_str().to_string();
                    p.output = o.output.map(|v| v.to_string());
                    p.error = o.error;
                    p.cause = o.cause;
                }
                Err(fault) => {
                    // A fault ends the execution as AWS shows a failure no Catch can take.
                    p.status = "FAILED".into();
                    p.error = Some("States.Runtime".into());
                    p.cause = Some(fault.message.clone());
                    super::store::end_history(
                        &mut lock(&done.events),
                        ended,
                        "ExecutionFailed",
                        json!({"error": "States.Runtime", "cause": fault.message}),
                    );
                }
            }
        }
        // A map run the engine left without a last word (the execution was stopped while it
        // ran) ended with its execution.
        for run in lock(&done.map_runs).values_mut() {
            if run.report.status == crate::engine::MapRunStatus::Running {
                run.report.status = crate::engine::MapRunStatus::Aborted;
                run.report.aborted += run.report.running;
                run.report.running = 0;
                run.stopped = Some(ended);
            }
            run.abort_running_children(ended);
        }
        server.store.finished(&done.arn);
    };
    Box::pin(run)
}

pub fn start(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let (exec, run, fresh) = prepare(server, r)?;
    if fresh {
        tokio::task::spawn_local(run);
    }
    Ok(json!({"executionArn": exec.arn, "startDate": exec.started}))
}

pub async fn start_sync(server: &Arc<Server>, r: &Request<'_>) -> Result<Value, ApiError> {
    let arn = r.required("stateMachineArn")?;
    let (machine, _, _) = machine_of(server, arn.split('#').next().unwrap_or(arn))?;
    if machine.kind != "EXPRESS" {
        return Err(ApiError::new(
            "StateMachineTypeNotSupported",
            "This operation is not supported by this type of state machine",
        ));
    }
    let (exec, run, _) = prepare(server, r)?;
    run.await;
    let mut out = described_execution(&exec);
    if let Value::Object(o) = &mut out {
        o.remove("redriveCount");
        o.remove("redriveStatus");
        o.insert(
            "billingDetails".into(),
            json!({"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": 100}),
        );
    }
    Ok(out)
}

/// The execution named by `executionArn`, or `ExecutionDoesNotExist`.
pub fn find_execution(server: &Server, r: &Request) -> Result<Arc<Execution>, ApiError> {
    let arn = r.required("executionArn")?;
    if parse_arn(arn, "execution").is_err() {
        parse_arn(arn, "express")?;
    }
    server.store.execution(arn).ok_or_else(|| {
        ApiError::new(
            "ExecutionDoesNotExist",
            format!("Execution Does Not Exist: '{arn}'"),
        )
    })
}

fn described_execution(e: &Execution) -> Value {
    let p = lock(&e.state);
    let mut out = json!({
        "executionArn": e.arn,
        "stateMachineArn": e.machine_arn,
        "name": e.name,
        "status": p.status,
        "startDate": e.started,
        "input": e.input,
        "inputDetails": {"included": true},
        "redriveCount": p.redrive_count,
        "redriveStatus": redrive_status(e, &p),
    });
    if let Some(d) = p.redrive_date {
        out["redriveDate"] = json!(d);
    }
    if let Some(s) = p.stopped {
        out["stopDate"] = json!(s);
    }
    if let Some(v) = &e.version_arn {
        out["stateMachineVersionArn"] = json!(v);
    }
    if let Some(a) = &e.alias_arn {
        out["stateMachineAliasArn"] = json!(a);
    }
    if let Some(o) = &p.output {
        out["output"] = json!(o);
        out["outputDetails"] = json!({"included": true});
    }
    if let Some(e) = &p.error {
        out["error"] = json!(e);
    }
    if let Some(c) = &p.cause {
        out["cause"] = json!(c);
    }
    out
}

/// The map run child execution named by `executionArn`, if the server knows it.
fn find_child(server: &Server, r: &Request) -> Option<Arc<super::children::ChildExecution>> {
    let arn = r.str("executionArn").ok()??;
    server.store.child(arn)
}

pub fn describe(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    match find_execution(server, r) {
        Ok(exec) => Ok(described_execution(&exec)),
        Err(missing) => find_child(server, r)
            .map(|c| described_child(server, &c))
            .ok_or(missing),
    }
}

/// A map run's child as DescribeExecution gives it: its own events, with the redrives its
/// run gave it, and `REDRIVABLE_BY_MAP_RUN` while it did not succeed and a redrive of its
/// parent execution would run it again (AWS's status for a child: it is redriven only
/// through its map run).
fn described_child(server: &Server, c: &super::children::ChildExecution) -> Value {
    let mut out = c.described();
    let parent = lock(&server.store.map_runs)
        .get(&c.map_run_arn)
        .cloned()
        .and_then(|arn| server.store.execution(&arn));
    let Some(parent) = parent else { return out };
    if let Some(n) = lock(&parent.map_runs)
        .get(&c.map_run_arn)
        .and_then(|run| run.children.get(&c.arn))
        .map(|child| child.redrive_count)
        && out["redriveCount"].as_u64().is_none_or(|had| had < n)
    {
        // Run again from its start (its history was no longer kept): the run counts it.
        out["redriveCount"] = json!(n);
    }
    let unsuccessful = matches!(
        out["status"].as_str(),
        Some("FAILED" | "TIMED_OUT" | "ABORTED")
    );
    let p = lock(&parent.state);
    if unsuccessful && redrive_status(&parent, &p) == "REDRIVABLE" {
        out["redriveStatus"] = json!("REDRIVABLE_BY_MAP_RUN");
    }
    out
}

/// Which executions ListExecutions lists.
enum Listed<'a> {
    /// A machine's (the unqualified ARN), a version's or an alias's (those started through it).
    Machine(&'a str),
    Version(&'a str),
    Alias(&'a str),
    /// A map run's child executions.
    MapRun(String, Arc<Execution>),
}

/// ListExecutions: a state machine's executions (its unqualified ARN), those started through a
/// version or an alias (a qualified ARN; a version's include those an alias routed to it), or
/// a map run's children (`mapRunArn`); newest first, filtered by `statusFilter` and
/// `redriveFilter`, paged.
pub fn list(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let listed = match (r.str("stateMachineArn")?, r.str("mapRunArn")?) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(ApiError::validation(
                "Must specify exactly one of stateMachineArn or mapRunArn",
            ));
        }
        (Some(arn), None) => {
            parse_arn(arn, "stateMachine")?;
            match server.versions.resolve_listed(arn)? {
                Some(true) => Listed::Version(arn),
                Some(false) => Listed::Alias(arn),
                None => {
                    find(server, arn)?;
                    Listed::Machine(arn)
                }
            }
        }
        (None, Some(_)) => {
            let (run, exec) = super::map_runs::find(server, r)?;
            Listed::MapRun(run, exec)
        }
    };
    let filter = r.str("statusFilter")?;
    if let Some(f) = filter
        && ![
            "RUNNING",
            "SUCCEEDED",
            "FAILED",
            "TIMED_OUT",
            "ABORTED",
            "PENDING_REDRIVE",
        ]
        .contains(&f)
    {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{f}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE]"
        )));
    }
    if filter == Some("PENDING_REDRIVE") && !matches!(listed, Listed::MapRun(..)) {
        return Err(ApiError::validation(
            "PENDING_REDRIVE statusFilter is only supported with mapRunArn",
        ));
    }
    let redriven = match r.str("redriveFilter")? {
        None => None,
        Some("REDRIVEN") => Some(true),
        Some("NOT_REDRIVEN") => Some(false),
        Some(f) => {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{f}' at 'redriveFilter' failed to satisfy constraint: Member must satisfy enum value set: [REDRIVEN, NOT_REDRIVEN]"
            )));
        }
    };
    // Newest first, as AWS lists them.
    let all: Vec<Value> = match &listed {
        Listed::MapRun(run, exec) => {
            let runs = lock(&exec.map_runs);
            match runs.get(run) {
                Some(m) => m
                    .children
                    .iter()
                    .rev()
                    .filter(|(_, c)| filter.is_none_or(|f| f == c.status))
                    .filter(|(_, c)| redriven.is_none_or(|want| want == (c.redrive_count > 0)))
                    .map(|(arn, c)| m.child_item(arn, c))
                    .collect(),
                None => Vec::new(),
            }
        }
        _ => lock(&server.store.executions)
            .values()
            .rev()
            .filter(|e| match &listed {
                Listed::Machine(arn) => e.machine_arn == *arn,
                Listed::Version(arn) => e.version_arn.as_deref() == Some(*arn),
                Listed::Alias(arn) => e.alias_arn.as_deref() == Some(*arn),
                Listed::MapRun(..) => false,
            })
            .filter_map(|e| {
                let p = lock(&e.state);
                if filter.is_some_and(|f| f != p.status)
                    || redriven.is_some_and(|want| want != (p.redrive_count > 0))
                {
                    return None;
                }
                let mut v = json!({
                    "executionArn": e.arn,
                    "stateMachineArn": e.machine_arn,
                    "name": e.name,
                    "status": p.status,
                    "startDate": e.started,
                });
                if let Some(s) = p.stopped {
                    v["stopDate"] = json!(s);
                }
                if let Some(a) = &e.version_arn {
                    v["stateMachineVersionArn"] = json!(a);
                }
                if let Some(a) = &e.alias_arn {
                    v["stateMachineAliasArn"] = json!(a);
                }
                if let Some(d) = p.redrive_date {
                    v["redriveCount"] = json!(p.redrive_count);
                    v["redriveDate"] = json!(d);
                }
                Some(v)
            })
            .collect(),
    };
    let (items, next) = page(&all, r.next_token()?, r.max_results()?);
    let mut out = json!({"executions": items});
    if let Some(t) = next {
        out["nextToken"] = json!(t);
    }
    Ok(out)
}

pub fn stop(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let found = find_execution(server, r);
    let error = r.str("error")?;
    let cause = r.str("cause")?;
    let why = match (error, cause) {
        (Some(e), Some(c)) => format!("{e}: {c}"),
        (Some(e), None) => e.to_string(),
        (None, Some(c)) => c.to_string(),
        (None, None) => String::new(),
    };
    let tx = match found {
        Ok(exec) => lock(&exec.state).stop.take(),
        // A map run's child: it ends ABORTED, one more failed child for its run's tolerance.
        Err(missing) => {
            let child = find_child(server, r).ok_or(missing)?;
            lock(&child.stop).take()
        }
    };
    if let Some(tx) = tx {
        let _ = tx.send(why);
    }
    Ok(json!({"stopDate": now()}))
}

pub fn history(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    // An execution's, or a map run child's.
    let (exec, child);
    let events = match find_execution(server, r) {
        Ok(e) => {
            exec = e;
            &exec.events
        }
        Err(missing) => {
            child = find_child(server, r).ok_or(missing)?;
            &child.events
        }
    };
    let include =
        r.0.get("includeExecutionData")
            .and_then(Value::as_bool)
            .unwrap_or(true);
    let reverse = r.bool("reverseOrder")?;
    let (offset, max) = (r.next_token()?, r.max_results()?);
    // Only the page is copied out of a long history, not the whole of it.
    let (mut events, next) = {
        let all = lock(events);
        let n = all.len();
        let from = offset.min(n);
        let to = from.saturating_add(max).min(n);
        let picked: Vec<Value> = (from..to)
            .map(|i| all[if reverse { n - 1 - i } else { i }].clone())
            .collect();
        (picked, (to < n).then(|| format!("asl-{to}")))
    };
    if !include {
        for e in &mut events {
            if let Value::Object(m) = e {
                for (k, d) in m.iter_mut() {
                    if k.ends_with("EventDetails")
                        && let Value::Object(d) = d
                    {
                        d.remove("input");
                        d.remove("output");
                    }
                }
            }
        }
    }
    let mut out = json!({"events": events});
    if let Some(t) = next {
        out["nextToken"] = json!(t);
    }
    Ok(out)
}

pub fn machine_for(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let exec = match find_execution(server, r) {
        Ok(exec) => exec,
        Err(missing) => {
            return find_child(server, r)
                .and_then(|c| machine_for_child(server, &c))
                .ok_or(missing);
        }
    };
    let m = &exec.machine;
    let mut out = described(m);
    if let Value::Object(o) = &mut out {
        o.remove("status");
        o.remove("type");
        o.remove("creationDate");
        o.insert("updateDate".into(), json!(m.updated.unwrap_or(m.created)));
    }
    Ok(out)
}

/// DescribeStateMachineForExecution of a map run's child: AWS answers with the machine of
/// its map run, with the run's ARN and the Map state's label. Its ARN and name are the
/// children's machine, `stateMachine:NAME/LABEL`; its definition is the Map state's
/// `ItemProcessor` without its `ProcessorConfig` (what the children run; AWS's docs do not say
/// what it gives, so this is inferred); its role and dates are the parent machine's.
fn machine_for_child(server: &Server, c: &super::children::ChildExecution) -> Option<Value> {
    let parent = lock(&server.store.map_runs)
        .get(&c.map_run_arn)
        .cloned()
        .and_then(|arn| server.store.execution(&arn))?;
    // The Map state that started the run: its `MapRunStarted` follows its `MapStateStarted`,
    // which follows its `MapStateEntered`, in the history holding the run (the parent's, or a
    // child's for a run nested in a child).
    let holder = lock(&parent.map_runs)
        .get(&c.map_run_arn)
        .map(|run| run.report.execution_arn.clone())?;
    let events = if holder == parent.arn {
        lock(&parent.events).clone()
    } else {
        lock(&server.store.child(&holder)?.events).clone()
    };
    let by_id = |id: &Value| events.iter().find(|e| e["id"] == *id);
    let started = events.iter().find(|e| {
        e["type"] == "MapRunStarted"
            && e["mapRunStartedEventDetails"]["mapRunArn"] == c.map_run_arn.as_str()
    })?;
    let map_started = by_id(&started["previousEventId"])?;
    let entered = by_id(&map_started["previousEventId"])?;
    let state = entered["stateEnteredEventDetails"]["name"].as_str()?;
    let definition: Value = serde_json::from_str(&parent.machine.definition).ok()?;
    let mut processor = find_map_processor(&definition, state)?.clone();
    if let Value::Object(o) = &mut processor {
        o.remove("ProcessorConfig");
    }
    let (name, label) = c
        .machine_arn
        .rsplit_once(":stateMachine:")
        .map(|(_, n)| (n.to_string(), n.rsplit_once('/').map_or(n, |(_, l)| l)))?;
    let m = &parent.machine;
    Some(json!({
        "stateMachineArn": c.machine_arn,
        "name": name,
        "definition": processor.to_string(),
        "roleArn": m.role_arn,
        "updateDate": m.updated.unwrap_or(m.created),
        "loggingConfiguration": {"level": "OFF", "includeExecutionData": false},
        "tracingConfiguration": {"enabled": false},
        "revisionId": m.revision.to_string(),
        "mapRunArn": c.map_run_arn,
        "label": label,
    }))
}

/// The `ItemProcessor` (or `Iterator`) of the Map state named `name`, anywhere in a
/// definition (state names are unique across a machine).
fn find_map_processor<'v>(definition: &'v Value, name: &str) -> Option<&'v Value> {
    let states = definition.get("States")?.as_object()?;
    for (n, s) in states {
        let processor = s.get("ItemProcessor").or_else(|| s.get("Iterator"));
        if n == name && s["Type"] == "Map" {
            return processor;
        }
        let nested = s
            .get("Branches")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .chain(processor);
        for g in nested {
            if let Some(found) = find_map_processor(g, name) {
                return Some(found);
            }
        }
    }
    None
}

/// AWS's limit on redrives of one execution.
const MAX_REDRIVES: u64 = 1000;

/// `REDRIVABLE` for a Standard execution that ended FAILED, TIMED_OUT or ABORTED in a state
/// of its top level it can re-enter; `NOT_REDRIVABLE` otherwise.
fn redrive_status(e: &Execution, p: &Progress) -> &'static str {
    let ended = matches!(p.status.as_str(), "FAILED" | "TIMED_OUT" | "ABORTED");
    if ended
        && e.machine.kind == "STANDARD"
        && p.redrive_count < MAX_REDRIVES
        // Whether it can be redriven does not hang on what its map runs keep.
        && resume_point(&lock(&e.events), &e.machine.compiled, &|_, _| None).is_some()
    {
        "REDRIVABLE"
    } else {
        "NOT_REDRIVABLE"
    }
}

/// What a redrive keeps of the map run `arn` of `e`, when the server still has it: its
/// succeeded children's outputs, and where each Standard child that did not succeed picks up
/// in its own history, when the server still has that (`processor`, the graph they run).
fn map_run_kept(
    server: &Server,
    e: &Execution,
    arn: &str,
    processor: &crate::definition::Graph,
) -> Option<engine::MapRunResume> {
    let (mut plan, unfinished) = {
        let runs = lock(&e.map_runs);
        let run = runs.get(arn)?;
        let unfinished: Vec<(usize, String, u64)> = run
            .children
            .iter()
            .filter(|(child, c)| c.status != "SUCCEEDED" && child.contains(":execution:"))
            .filter_map(|(child, c)| Some((c.index?, child.clone(), c.redrive_count)))
            .collect();
        (run.resume(), unfinished)
    };
    if unfinished.is_empty() {
        return Some(plan);
    }
    let machine = crate::definition::StateMachine {
        comment: None,
        version: None,
        timeout_seconds: None,
        query_language: e.machine.compiled.query_language,
        root: processor.clone(),
    };
    for (index, child, redrives) in unfinished {
        let Some(kept) = server.store.child(&child) else {
            continue;
        };
        let events = lock(&kept.events).clone();
        let nested = |a: &str, g: &crate::definition::Graph| map_run_kept(server, e, a, g);
        if let Some(mut at) = child_resume_point(&events, &machine, &nested) {
            at.redrive_count = redrives + 1;
            plan.resumed.insert(index, at);
        }
    }
    Some(plan)
}

/// RedriveExecution: a Standard execution that ended FAILED, TIMED_OUT or ABORTED goes on
/// in the same history, as AWS redrives one: `ExecutionRedriven`, then the state it ended in
/// is entered again with the input it had; the states that succeeded are not run again, nor
/// the branches, iterations and map-run children that succeeded inside it (`redrive.rs`).
pub fn redrive(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let exec = match find_execution(server, r) {
        Ok(exec) => exec,
        // A map run's child is redriven only with its run, by a redrive of its parent.
        Err(missing) => {
            let child = find_child(server, r).ok_or(missing)?;
            return Err(ApiError::new(
                "ExecutionNotRedrivable",
                format!(
                    "Execution '{}' cannot be redriven: it is a child execution of the Map Run '{}'; redrive its parent execution to redrive it",
                    child.arn, child.map_run_arn
                ),
            ));
        }
    };
    let not = |why: &str| {
        ApiError::new(
            "ExecutionNotRedrivable",
            format!("Execution '{}' cannot be redriven: {why}", exec.arn),
        )
    };
    if exec.machine.kind != "STANDARD" {
        return Err(not("Express executions cannot be redriven"));
    }
    let mut resume = {
        let p = lock(&exec.state);
        if !matches!(p.status.as_str(), "FAILED" | "TIMED_OUT" | "ABORTED") {
            return Err(not(&format!("its status is {}", p.status)));
        }
        if p.redrive_count >= MAX_REDRIVES {
            return Err(not("it was redriven 1000 times"));
        }
        resume_point(&lock(&exec.events), &exec.machine.compiled, &|arn, g| {
            map_run_kept(server, &exec, arn, g)
        })
        .ok_or_else(|| not("it did not end in a state of its top level"))?
    };
    let input: Value = serde_json::from_str(&exec.input).map_err(|e| not(&e.to_string()))?;
    let handlers = registry(
        server,
        &exec.machine.name,
        &exec.machine.compiled,
        exec.case.as_deref(),
    )?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<String>();
    let at = now();
    {
        let mut p = lock(&exec.state);
        p.status = "RUNNING".into();
        p.stopped = None;
        p.output = None;
        p.error = None;
        p.cause = None;
        p.stop = Some(stop_tx);
        p.redrive_count += 1;
        p.redrive_date = Some(at);
        resume.redrive_count = p.redrive_count;
    }
    server.store.running_again(&exec.arn);
    tokio::task::spawn_local(launch(
        server,
        &exec,
        input,
        handlers,
        stop_rx,
        Some(resume),
    ));
    Ok(json!({"redriveDate": at}))
}
