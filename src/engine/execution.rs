//! One execution: its shared state, the state loop, and the simple state types.

use super::clock::{Clock, PathTime};
use super::context::{Entered, ExecutionInfo, ExecutionInput, StateInfo, StepRoots};
use super::failure::{Failure, Fault, Stop};
use super::history::{self, Event, EventSink, History, TooManyEvents};
use super::probe::{Frame, Probe};
use super::registry::Registry;
use super::resume::{FanResume, Resume};
use super::size;
use super::variables::Scope;
use crate::data::intrinsics::IntrinsicEnv;
use crate::data::jsonpath::Path;
use crate::data::roots::{DataError, ReadError, read};
use crate::data::template;
use crate::data::timestamp::Instant;
use crate::definition::{
    Choice, Dynamic, Fail, Filter, Graph, Kind, Next, QueryLanguage, State, StateMachine,
};
use futures::future::BoxFuture;
use rand::Rng;
use serde_json::{Map, Value, json};
use std::borrow::Cow;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// The longest a Standard execution runs: one year (Step Functions' quotas); past it the
/// execution times out, whatever its `TimeoutSeconds`.
pub(crate) const STANDARD_MAX_SECONDS: i64 = 365 * 24 * 60 * 60;
/// The longest an Express execution runs: five minutes.
pub(crate) const EXPRESS_MAX_SECONDS: i64 = 5 * 60;

/// How to run an execution.
pub struct Options {
    pub clock: Clock,
    pub state_machine_name: String,
    pub execution_name: String,
    pub role_arn: String,
    pub region: String,
    pub account_id: String,
    pub handlers: Registry,
    /// Keep every event for the caller (`--history`).
    pub keep_history: bool,
    /// Receives every event as it happens (`--trace`).
    pub sink: Option<Box<dyn EventSink>>,
    /// Fail the execution when it would write more events (AWS: 25,000); `None` lifts the cap.
    pub max_events: Option<u64>,
    /// AWS's 256 KiB limit on state outputs; `None` lifts it.
    pub payload_limit: Option<usize>,
    /// Stop with status ABORTED on Ctrl-C, SIGTERM or SIGHUP.
    pub abort_on_ctrl_c: bool,
    /// The JSON text the input was parsed from, if the caller has it: `$$.Execution.Input` is
    /// then parsed from it when read, instead of the execution holding a copy of the input.
    pub input_text: Option<std::sync::Arc<str>>,
    /// Seeds every random draw of the execution (`States.UUID`, `$uuid`, `$random`, jitter,
    /// task tokens), so that runs repeat exactly; `None` draws from the operating system.
    pub seed: Option<u64>,
    /// Told the structure of the execution as it runs (`asl test`).
    pub probe: Option<std::sync::Arc<dyn Probe>>,
    /// Where a Distributed Map's `ItemReader` reads and `ResultWriter` writes (S3).
    pub storage: Option<std::sync::Arc<dyn crate::storage::ObjectStore>>,
    /// An Express execution: its ARN is `...:express:<machine>:<name>:<uuid>`, its context
    /// has no `RedriveCount`, and it ends with `States.Timeout` after five minutes.
    pub express: bool,
    /// Stops the execution with status ABORTED when it resolves, its value the abort's cause
    /// (`asl serve`'s StopExecution).
    pub stop: Option<futures::future::BoxFuture<'static, String>>,
    /// The execution's ARN when the caller has already given it out (`asl serve`'s Express
    /// executions, whose ARN ends in a random id); `None`: made from the names.
    pub execution_arn: Option<String>,
    /// Told how each Distributed Map's run goes (`asl serve`'s DescribeMapRun).
    pub map_runs: Option<std::sync::Arc<dyn super::MapRunSink>>,
    /// A redrive: the execution picks up at a top-level state instead of starting, keeping
    /// what already succeeded inside it ([`super::resume`]).
    pub resume: Option<Resume>,
    /// `$$.Execution.StartTime` when it is not the clock's start (TestState's `context`,
    /// whose state was entered later than its execution started).
    pub start_time: Option<crate::data::timestamp::Instant>,
    /// `$$` members given for one state (TestState's `context`): its `State.RetryCount`,
    /// `Task.Token` and `Map`.
    pub given: Option<super::context::GivenContext>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            clock: Clock::Virtual,
            state_machine_name: "StateMachine".into(),
            execution_name: uuid::Uuid::new_v4().to_string(),
            role_arn: "arn:aws:iam::123456789012:role/StepFunctionsLocal".into(),
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            handlers: Registry::new(),
            keep_history: false,
            sink: None,
            max_events: Some(25_000),
            payload_limit: Some(size::PAYLOAD_LIMIT),
            abort_on_ctrl_c: false,
            input_text: None,
            seed: None,
            probe: None,
            storage: None,
            express: false,
            stop: None,
            execution_arn: None,
            map_runs: None,
            resume: None,
            start_time: None,
            given: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Succeeded => "SUCCEEDED",
            Status::Failed => "FAILED",
            Status::TimedOut => "TIMED_OUT",
            Status::Aborted => "ABORTED",
        }
    }
}

/// How an execution ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: Status,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    /// The history, when `keep_history` was set.
    pub events: Vec<Event>,
    /// When the execution started and ended, on its clock.
    pub started: Instant,
    pub ended: Instant,
    /// The execution's ARN (`$$.Execution.Id`).
    pub execution_arn: String,
}

impl Outcome {
    pub fn output(&self) -> Option<&Value> {
        self.output.as_ref()
    }
}

/// Waits for a signal that asks the run to stop: Ctrl-C (SIGINT), and on Unix SIGTERM (what
/// CI runners, Docker and Kubernetes send to cancel a job) and SIGHUP (a closed terminal).
/// The run then ends ABORTED and its handlers stop what they started.
pub(crate) async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let wait = |kind: SignalKind| async move {
            match signal(kind) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => "interrupted (Ctrl-C)",
            _ = wait(SignalKind::terminate()) => "terminated (SIGTERM)",
            _ = wait(SignalKind::hangup()) => "hung up (SIGHUP)",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "interrupted (Ctrl-C)"
    }
}

/// AWS's partition for a region.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// Runs `machine` on `input` on a new single-threaded runtime.
pub fn run_blocking(machine: &StateMachine, input: Value, opts: Options) -> Result<Outcome, Fault> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Fault::new(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(run(machine, input, opts))
}

/// Runs `machine` on `input`. A fault (a missing mock, a broken handler) is an `Err`; every
/// way the execution itself can end is an [`Outcome`].
pub async fn run(
    machine: &StateMachine,
    input: Value,
    mut opts: Options,
) -> Result<Outcome, Fault> {
    let start = opts.clock.now(&PathTime::default());
    let express = opts.express;
    let p = partition(&opts.region);
    let sm_arn = format!(
        "arn:{p}:states:{}:{}:stateMachine:{}",
        opts.region, opts.account_id, opts.state_machine_name
    );
    let exec_arn = if let Some(arn) = opts.execution_arn.take() {
        arn
    } else if opts.express {
        let id = match opts.seed {
            Some(seed) => {
                let mut bytes = [0u8; 16];
                rand::rngs::StdRng::seed_from_u64(seed ^ 0x5EED).fill(&mut bytes[..]);
                uuid::Builder::from_random_bytes(bytes).into_uuid()
            }
            None => uuid::Uuid::new_v4(),
        };
        format!(
            "arn:{p}:states:{}:{}:express:{}:{}:{id}",
            opts.region, opts.account_id, opts.state_machine_name, opts.execution_name
        )
    } else {
        format!(
            "arn:{p}:states:{}:{}:execution:{}:{}",
            opts.region, opts.account_id, opts.state_machine_name, opts.execution_name
        )
    };
    let execution_arn = exec_arn.clone();
    let mut fields = match json!({
        "Id": exec_arn,
        "StartTime": opts.start_time.unwrap_or(start).to_iso_millis(),
        "Name": opts.execution_name,
        "RoleArn": opts.role_arn,
        "RedriveCount": opts.resume.as_ref().map_or(0, |r| r.redrive_count),
    }) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    if opts.express {
        // An Express execution cannot be redriven: its context has no count.
        fields.remove("RedriveCount");
        // No cap on history events, but five minutes at most.
        opts.max_events = None;
    }
    let kept = match opts.input_text.take() {
        Some(text) => ExecutionInput::Text(text),
        None => ExecutionInput::Value(input.clone()),
    };
    let info = ExecutionInfo::new(
        fields,
        kept,
        json!({"Id": sm_arn, "Name": opts.state_machine_name}),
    );
    let exec = Exec {
        clock: opts.clock,
        history: History::new(opts.keep_history, opts.sink, opts.max_events),
        handlers: std::sync::Arc::new(opts.handlers),
        info,
        deadline: {
            let most = if opts.express {
                EXPRESS_MAX_SECONDS
            } else {
                STANDARD_MAX_SECONDS
            };
            let seconds = machine
                .timeout_seconds
                .map_or(most, |s| s.min(most as u64) as i64);
            Some(start.plus_millis(seconds * 1000))
        },
        payload_limit: opts.payload_limit,
        region: opts.region.clone(),
        rng: OnceLock::new(),
        seed: opts.seed,
        probe: opts.probe.take(),
        storage: opts.storage.take(),
        map_runs: opts.map_runs.take(),
        state_machine_name: opts.state_machine_name.clone(),
        account_id: opts.account_id.clone(),
        role_arn: opts.role_arn.clone(),
        given: opts.given.take(),
    };
    let mut th = Thread::default();
    let role = opts.role_arn.clone();
    let resume = opts.resume.take();
    let (first, input) = match resume {
        None => {
            exec.emit(&mut th, "ExecutionStarted", || {
                Some((
                    "executionStartedEventDetails".into(),
                    // AWS's ExecutionStartedEventDetails: no `stateMachineArn` (a version's or an
                    // alias's ARN only, when started through one).
                    json!({"input": input.to_string(), "inputDetails": {"truncated": false}, "roleArn": role}),
                ))
            })
            .map_err(|_| Fault::new("the history cap is too small to start an execution"))?;
            (machine.root.start, input)
        }
        Some(r) => {
            let at = state_index(&machine.root, &r.at.state)?;
            exec.history.continue_after(r.last_event);
            th.prev = r.last_event;
            for (name, value) in r.at.variables {
                th.scope.set(name, value);
            }
            th.redo = r.at.inside.map(Box::new);
            let count = r.redrive_count;
            exec.emit(&mut th, "ExecutionRedriven", || {
                Some((
                    "executionRedrivenEventDetails".into(),
                    json!({"redriveCount": count}),
                ))
            })
            .map_err(|_| {
                Fault::new("the history cap is reached: the execution cannot be redriven")
            })?;
            (at, r.at.input)
        }
    };

    let result = {
        let body = exec.run_graph_from(&machine.root, first, input, &mut th);
        let timed = async {
            let limit = match (machine.timeout_seconds, express) {
                (Some(s), true) => Some(s.min(300)),
                (None, true) => Some(300),
                (s, false) => s,
            };
            match (exec.clock, limit) {
                (Clock::Real | Clock::Scaled(_), Some(secs)) => {
                    tokio::time::timeout(Duration::from_secs(secs), body)
                        .await
                        .unwrap_or(Err(Stop::TimedOut))
                }
                _ => body.await,
            }
        };
        let timed = async {
            match opts.stop.take() {
                Some(stop) => tokio::select! {
                    why = stop => Err(Stop::Aborted(why)),
                    r = timed => r,
                },
                None => timed.await,
            }
        };
        if opts.abort_on_ctrl_c {
            // The signal listeners are polled first, so they are in place before the execution
            // starts anything (a local command, an ECS task) that a signal must stop; polled
            // second, a signal sent right after a command started could still kill `asl` outright.
            tokio::select! {
                biased;
                why = stop_signal() => Err(Stop::Aborted(why.into())),
                r = timed => r,
            }
        } else {
            timed.await
        }
    };
    let mut now = exec.clock.now(&th.time);
    // On a virtual clock the path that ran into the execution's deadline may not have moved
    // the clock to it; the execution still ends there, as on AWS.
    if let (Err(Stop::TimedOut), Some(d), true) = (&result, exec.deadline, exec.clock.is_virtual())
        && now < d
    {
        now = d;
    }
    let prev = exec.history.count();
    let outcome = match result {
        Ok(output) => {
            exec.history.emit_final(
                "ExecutionSucceeded",
                prev,
                now,
                || Some((
                    "executionSucceededEventDetails".into(),
                    json!({"output": output.to_string(), "outputDetails": {"truncated": false}}),
                )),
            );
            Outcome {
                status: Status::Succeeded,
                output: Some(output),
                error: None,
                cause: None,
                events: Vec::new(),
                started: start,
                ended: now,
                execution_arn: String::new(),
            }
        }
        Err(Stop::Failed(f)) => {
            let mut d = Map::new();
            if !f.error.is_empty() {
                d.insert("error".into(), json!(f.error));
            }
            if let Some(c) = &f.cause {
                d.insert("cause".into(), json!(c));
            }
            exec.history.emit_final("ExecutionFailed", prev, now, || {
                Some(("executionFailedEventDetails".into(), Value::Object(d)))
            });
            Outcome {
                status: Status::Failed,
                output: None,
                error: (!f.error.is_empty()).then_some(f.error),
                cause: f.cause,
                events: Vec::new(),
                started: start,
                ended: now,
                execution_arn: String::new(),
            }
        }
        Err(Stop::TimedOut) => {
            exec.history.emit_final("ExecutionTimedOut", prev, now, || {
                Some((
                    "executionTimedOutEventDetails".into(),
                    json!({"error": "States.Timeout"}),
                ))
            });
            Outcome {
                status: Status::TimedOut,
                output: None,
                error: Some("States.Timeout".into()),
                cause: None,
                events: Vec::new(),
                started: start,
                ended: now,
                execution_arn: String::new(),
            }
        }
        Err(Stop::Aborted(why)) => {
            exec.history.emit_final("ExecutionAborted", prev, now, || {
                Some(("executionAbortedEventDetails".into(), json!({"cause": why})))
            });
            Outcome {
                status: Status::Aborted,
                output: None,
                error: None,
                cause: Some(why),
                events: Vec::new(),
                started: start,
                ended: now,
                execution_arn: String::new(),
            }
        }
        Err(Stop::Fault(f)) => return Err(f),
    };
    Ok(Outcome {
        events: exec.history.take_events(),
        started: start,
        ended: now,
        execution_arn,
        ..outcome
    })
}

/// What every path of one execution shares.
pub(crate) struct Exec {
    pub(crate) clock: Clock,
    pub(crate) history: History,
    pub(crate) handlers: std::sync::Arc<Registry>,
    pub(crate) info: ExecutionInfo,
    pub(crate) deadline: Option<Instant>,
    pub(crate) payload_limit: Option<usize>,
    pub(crate) region: String,
    /// Seeded on first use: most executions never draw a number.
    rng: OnceLock<Mutex<rand::rngs::StdRng>>,
    /// [`Options::seed`].
    pub(crate) seed: Option<u64>,
    pub(crate) probe: Option<std::sync::Arc<dyn Probe>>,
    pub(crate) storage: Option<std::sync::Arc<dyn crate::storage::ObjectStore>>,
    /// [`Options::map_runs`].
    pub(crate) map_runs: Option<std::sync::Arc<dyn super::MapRunSink>>,
    pub(crate) state_machine_name: String,
    pub(crate) account_id: String,
    pub(crate) role_arn: String,
    /// [`Options::given`]; a Distributed Map's children have none.
    pub(crate) given: Option<super::context::GivenContext>,
}

impl Exec {
    /// A child execution of a Distributed Map: its own context, history (to `history`, when
    /// someone listens) and random draws (seeded from `seed` when the parent's are), the
    /// parent's handlers, clock and storage.
    pub(crate) fn child(
        &self,
        info: ExecutionInfo,
        deadline: Option<Instant>,
        seed: Option<u64>,
        state_machine_name: String,
        history: Option<Box<dyn super::EventSink>>,
    ) -> Exec {
        Exec {
            clock: self.clock,
            history: History::new(false, history, None),
            handlers: self.handlers.clone(),
            info,
            deadline,
            payload_limit: self.payload_limit,
            region: self.region.clone(),
            rng: OnceLock::new(),
            seed,
            probe: self.probe.clone(),
            storage: self.storage.clone(),
            map_runs: self.map_runs.clone(),
            state_machine_name,
            account_id: self.account_id.clone(),
            role_arn: self.role_arn.clone(),
            given: None,
        }
    }
}

use rand::SeedableRng;

/// One path of an execution: the top level, a Parallel branch or a Map iteration.
#[derive(Debug, Default)]
pub(crate) struct Thread {
    pub(crate) time: PathTime,
    /// The id of this path's last event (the next event's `previousEventId`).
    pub(crate) prev: u64,
    pub(crate) scope: Scope,
    /// The Parallel branch or Map iteration this path runs in ([`Probe`]).
    pub(crate) frame: Option<Frame>,
    /// What the state a redrive re-enters on this path keeps, when it is a Parallel or Map:
    /// taken by its first run, cleared once the state is done.
    pub(crate) redo: Option<Box<FanResume>>,
}

/// The index of the state named `name` in `g`: where a redriven path picks up. A name the
/// graph does not have is a fault: the caller read the plan from another definition.
pub(crate) fn state_index(g: &Graph, name: &str) -> Result<usize, Fault> {
    g.states.iter().position(|s| s.name == name).ok_or_else(|| {
        Fault::new(format!(
            "cannot redrive at the state `{name}`: the definition has no such state there"
        ))
    })
}

/// A state being run: what error messages and the context object need.
pub(crate) struct StateCx<'a> {
    pub(crate) state: &'a State,
    pub(crate) entered: Entered,
    pub(crate) entered_id: u64,
    /// The [`Probe`]'s id of this visit; 0 without a probe.
    pub(crate) visit: u64,
}

/// What a state produced.
pub(crate) struct StepOut {
    pub(crate) next: Next,
    pub(crate) output: Value,
    /// Variables to assign after the state, in order.
    pub(crate) assigned: Option<Map<String, Value>>,
}

impl IntrinsicEnv for Exec {
    fn random_int(&self, start: i64, end: i64, seed: Option<i64>) -> i64 {
        match seed {
            Some(_) => crate::data::intrinsics::DefaultEnv.random_int(start, end, seed),
            None => self
                .rng()
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .gen_range(start..=end),
        }
    }
    fn uuid(&self) -> String {
        match self.seed {
            None => uuid::Uuid::new_v4().to_string(),
            Some(_) => {
                let mut bytes = [0u8; 16];
                self.rng()
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .fill(&mut bytes[..]);
                uuid::Builder::from_random_bytes(bytes)
                    .into_uuid()
                    .to_string()
            }
        }
    }
    fn random_seed(&self) -> Option<u64> {
        self.seed?;
        Some(
            self.rng()
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .r#gen::<u64>(),
        )
    }
}

fn entered_kind(k: &Kind) -> &'static str {
    match k {
        Kind::Pass { .. } => "PassStateEntered",
        Kind::Task(_) => "TaskStateEntered",
        Kind::Choice(_) => "ChoiceStateEntered",
        Kind::Wait(_) => "WaitStateEntered",
        Kind::Succeed => "SucceedStateEntered",
        Kind::Fail(_) => "FailStateEntered",
        Kind::Parallel(_) => "ParallelStateEntered",
        Kind::Map(_) => "MapStateEntered",
    }
}

fn exited_kind(k: &Kind) -> &'static str {
    match k {
        Kind::Pass { .. } => "PassStateExited",
        Kind::Task(_) => "TaskStateExited",
        Kind::Choice(_) => "ChoiceStateExited",
        Kind::Wait(_) => "WaitStateExited",
        Kind::Succeed => "SucceedStateExited",
        Kind::Fail(_) => "FailStateExited",
        Kind::Parallel(_) => "ParallelStateExited",
        Kind::Map(_) => "MapStateExited",
    }
}

/// How a JSON value is shown inside AWS's messages: strings bare, the rest as JSON.
pub(crate) fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Exec {
    /// Records an event on path `th`.
    pub(crate) fn emit(
        &self,
        th: &mut Thread,
        kind: &str,
        details: impl FnOnce() -> Option<(String, Value)>,
    ) -> Result<u64, Stop> {
        let at = if self.history.detailed() {
            self.clock.now(&th.time)
        } else {
            Instant(0)
        };
        let id = self
            .history
            .emit(kind, th.prev, at, details)
            .map_err(|TooManyEvents(n)| {
                Stop::Failed(Failure::new(
                    "States.Runtime",
                    format!("The execution reached the limit of {n} history events (raise or lift it with --max-events)"),
                ))
            })?;
        th.prev = id;
        Ok(id)
    }

    fn rng(&self) -> &Mutex<rand::rngs::StdRng> {
        self.rng.get_or_init(|| {
            Mutex::new(match self.seed {
                Some(seed) => rand::rngs::StdRng::seed_from_u64(seed),
                None => rand::rngs::StdRng::from_entropy(),
            })
        })
    }

    pub(crate) fn random_unit(&self) -> f64 {
        self.rng()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .r#gen::<f64>()
    }

    /// A new task token: 48 random bytes in URL-safe base64 after `AQ`, as AWS's tokens begin.
    /// The prefix also keeps a token from starting with `-`, which a command line would take
    /// for an option (`aws stepfunctions send-task-success --task-token -x...`).
    /// The `$$` members given for the state `cx` runs, if any.
    pub(crate) fn given_for(&self, cx: &StateCx) -> Option<&super::context::GivenContext> {
        self.given.as_ref().filter(|g| g.state == cx.state.name)
    }

    pub(crate) fn task_token(&self) -> String {
        use base64::Engine;
        let mut bytes = [0u8; 48];
        self.rng()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .fill(&mut bytes[..]);
        let mut token = String::from("AQ");
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_string(bytes, &mut token);
        token
    }

    /// Fails with `States.Timeout` at the execution level when its deadline has passed.
    pub(crate) fn check_deadline(&self, th: &Thread) -> Result<(), Stop> {
        match self.deadline {
            Some(d) if self.clock.now(&th.time) > d => Err(Stop::TimedOut),
            _ => Ok(()),
        }
    }

    /// Waits `d` on path `th`, stopping at the execution's deadline.
    pub(crate) async fn sleep(&self, th: &mut Thread, d: Duration) -> Result<(), Stop> {
        if let (Some(deadline), true) = (self.deadline, self.clock.is_virtual()) {
            let now = self.clock.now(&th.time);
            if now.0 + d.as_nanos() as i128 > deadline.0 {
                return Err(Stop::TimedOut);
            }
        }
        self.clock.sleep(&mut th.time, d).await;
        Ok(())
    }

    /// The failure AWS reports for a data error in state `cx`.
    pub(crate) fn data_failure(&self, cx: &StateCx, e: DataError) -> Stop {
        Stop::Failed(Failure::new(
            e.error,
            format!(
                "An error occurred while executing the state '{}' (entered at the event id #{}). {}",
                cx.state.name, cx.entered_id, e.message
            ),
        ))
    }

    pub(crate) fn roots<'a>(
        &'a self,
        cx: &'a StateCx,
        input: &'a Value,
        scope: &'a Scope,
        retry_count: u64,
    ) -> StepRoots<'a> {
        let given = self.given_for(cx);
        let can_retry = matches!(
            cx.state.kind,
            Kind::Task(_) | Kind::Parallel(_) | Kind::Map(_)
        );
        StepRoots::new(
            input,
            &self.info,
            StateInfo {
                name: &cx.state.name,
                entered: &cx.entered,
                // The given count is the attempts made before this one.
                retry_count: match given.and_then(|g| g.retry_count) {
                    Some(before) => Some(before.saturating_add(retry_count)),
                    None => can_retry.then_some(retry_count),
                },
                task_token: given.and_then(|g| g.task_token.as_deref()),
                map_item: None,
                map_source: None,
                map_given: given.and_then(|g| g.map.as_ref()),
            },
            scope,
            self,
        )
    }

    /// Applies `InputPath` or `OutputPath`.
    pub(crate) fn filter<'v>(
        &self,
        cx: &StateCx,
        f: &Filter,
        v: &'v Value,
        scope: &Scope,
    ) -> Result<Cow<'v, Value>, Stop> {
        match f {
            Filter::All => Ok(Cow::Borrowed(v)),
            Filter::Nothing => Ok(Cow::Owned(Value::Object(Map::new()))),
            Filter::Path(p) => {
                let roots = self.roots(cx, v, scope, 0);
                match read(p, &roots) {
                    Ok(x) => Ok(Cow::Owned(x.into_owned())),
                    Err(e) => Err(self.data_failure(cx, invalid_path(p, e))),
                }
            }
        }
    }

    /// [`Exec::filter`] on an owned value: `$` (or no filter) hands the value on uncopied.
    pub(crate) fn filter_owned(
        &self,
        cx: &StateCx,
        f: &Filter,
        v: Value,
        scope: &Scope,
    ) -> Result<Value, Stop> {
        match f {
            Filter::All => Ok(v),
            _ => Ok(self.filter(cx, f, &v, scope)?.into_owned()),
        }
    }

    /// Runs a graph from its start state to its end.
    pub(crate) fn run_graph<'a>(
        &'a self,
        g: &'a Graph,
        input: Value,
        th: &'a mut Thread,
    ) -> BoxFuture<'a, Result<Value, Stop>> {
        self.run_graph_from(g, g.start, input, th)
    }

    /// Runs `g` from its state `first` (its `StartAt`, or where a redrive picks up).
    pub(crate) fn run_graph_from<'a>(
        &'a self,
        g: &'a Graph,
        first: usize,
        input: Value,
        th: &'a mut Thread,
    ) -> BoxFuture<'a, Result<Value, Stop>> {
        Box::pin(async move {
            let mut i = first;
            let mut input = input;
            loop {
                let s = &g.states[i];
                let cx = self.enter(s, &input, th)?;
                // States that cannot wait run as plain calls; the others' futures are boxed,
                // so that this loop's own future stays small.
                let out = match &s.kind {
                    Kind::Pass { result } => self.pass(&cx, result, input, th),
                    Kind::Choice(c) => self.choice(&cx, c, input, th),
                    Kind::Succeed => self.succeed(&cx, input, th),
                    Kind::Fail(f) => Err(self.fail(&cx, f, &input, th)),
                    Kind::Wait(w) => Box::pin(self.wait(&cx, w, input, th)).await,
                    _ => Box::pin(self.process(&cx, input, th)).await,
                };
                // What a redrive kept inside the first state is for that state only.
                th.redo = None;
                let exited = out.and_then(|out| self.exit(&cx, out, th));
                let (next, output) = match (exited, &self.probe) {
                    (Ok(step), None) => step,
                    (Ok((next, output)), Some(p)) => {
                        let to = match next {
                            Next::To(j) => Some(&g.states[j]),
                            Next::End => None,
                        };
                        p.exited(cx.visit, &output, to, &th.scope.visible());
                        (next, output)
                    }
                    (Err(e), probe) => {
                        if let (Some(p), Stop::Failed(f)) = (probe, &e) {
                            p.failed(cx.visit, f);
                        }
                        return Err(e);
                    }
                };
                match next {
                    Next::To(j) => {
                        i = j;
                        input = output;
                    }
                    Next::End => return Ok(output),
                }
                // A finished Task is where a branch or iteration lets its siblings take their
                // turn, so concurrent paths advance together, in index order (fanout.rs).
                if th.frame.is_some() && matches!(s.kind, Kind::Task(_)) {
                    super::fanout::YieldOnce::default().await;
                }
            }
        })
    }

    /// Enters state `s`: the deadline, its entered time and event.
    fn enter<'s>(&self, s: &'s State, input: &Value, th: &mut Thread) -> Result<StateCx<'s>, Stop> {
        self.check_deadline(th)?;
        let entered = if s.kind.can_wait() {
            Entered::now(self.clock, th.time)
        } else {
            Entered::later(self.clock, th.time)
        };
        let entered_id = self.emit(th, entered_kind(&s.kind), || {
            history::state_entered(&s.name, input)
        })?;
        let visit = match &self.probe {
            Some(p) => {
                let visit = p.entered(th.frame, s, input);
                if let Some(f) = p.halt() {
                    return Err(Stop::Fault(f));
                }
                visit
            }
            None => 0,
        };
        Ok(StateCx {
            state: s,
            entered,
            entered_id,
            visit,
        })
    }

    /// Leaves a state: the payload limit, its exited event, the variables it assigns.
    fn exit(&self, cx: &StateCx, out: StepOut, th: &mut Thread) -> Result<(Next, Value), Stop> {
        let s = cx.state;
        if let Some(limit) = self.payload_limit
            && size::exceeds(&out.output, limit)
        {
            return Err(Stop::Failed(Failure::new(
                "States.DataLimitExceeded",
                format!(
                    "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.",
                    s.name
                ),
            )));
        }
        let assigned = out.assigned;
        self.emit(th, exited_kind(&s.kind), || {
            history::state_exited(&s.name, &out.output, assigned.as_ref())
        })?;
        if let Some(vars) = assigned {
            for (k, v) in vars {
                th.scope.set(k, v);
            }
            if self.payload_limit.is_some() {
                self.check_stored_variables(cx, th)?;
            }
        }
        Ok((out.next, out.output))
    }

    /// AWS's limit on all the variables an execution holds at once (10 MiB).
    fn check_stored_variables(&self, cx: &StateCx, th: &Thread) -> Result<(), Stop> {
        const STORED_LIMIT: usize = 10 * 1024 * 1024;
        let mut total = 0usize;
        for (k, v) in th.scope.visible() {
            total += k.len() + size::len_up_to(v, STORED_LIMIT);
            if total > STORED_LIMIT {
                return Err(Stop::Failed(Failure::new(
                    "States.DataLimitExceeded",
                    format!(
                        "An error occurred while executing the state '{}' (entered at the event id #{}). The variables of the execution exceed the maximum total size of {STORED_LIMIT} bytes.",
                        cx.state.name, cx.entered_id
                    ),
                )));
            }
        }
        Ok(())
    }

    /// Evaluates an `Assign` template into the variables to set.
    pub(crate) fn assign(
        &self,
        cx: &StateCx,
        t: &template::Template,
        roots: &StepRoots,
    ) -> Result<Map<String, Value>, Stop> {
        let assigned = match t.eval(roots) {
            Ok(Value::Object(m)) => m,
            Ok(_) => Map::new(),
            Err(e) => return Err(self.data_failure(cx, e)),
        };
        // AWS's limits: 256 KiB for one variable and for all of one Assign together.
        if let Some(limit) = self.payload_limit {
            let mut total = 2;
            let mut too_big = None;
            for (k, v) in &assigned {
                let n = size::len_up_to(v, limit);
                if n > limit {
                    too_big = Some(format!("The value assigned to the variable '{k}' exceeds"));
                    break;
                }
                total += k.len() + 4 + n;
            }
            if too_big.is_none() && total > limit {
                too_big = Some("The values of this state's Assign together exceed".to_string());
            }
            if let Some(what) = too_big {
                return Err(Stop::Failed(Failure::new(
                    "States.DataLimitExceeded",
                    format!(
                        "An error occurred while executing the state '{}' (entered at the event id #{}). {what} the maximum size of {limit} bytes.",
                        cx.state.name, cx.entered_id
                    ),
                )));
            }
        }
        Ok(assigned)
    }

    fn succeed(&self, cx: &StateCx, input: Value, th: &mut Thread) -> Result<StepOut, Stop> {
        let s = cx.state;
        let output = match s.language {
            QueryLanguage::JsonPath => {
                let eff = self.filter_owned(cx, &s.io.input_path, input, &th.scope)?;
                self.show(cx, super::probe::Step::InputPath, &eff);
                self.filter_owned(cx, &s.io.output_path, eff, &th.scope)?
            }
            QueryLanguage::Jsonata => match &s.io.output {
                Some(t) => {
                    let roots = self.roots(cx, &input, &th.scope, 0);
                    t.eval(&roots).map_err(|e| self.data_failure(cx, e))?
                }
                None => input,
            },
        };
        Ok(StepOut {
            next: Next::End,
            output,
            assigned: None,
        })
    }

    fn choice(
        &self,
        cx: &StateCx,
        c: &Choice,
        input: Value,
        th: &mut Thread,
    ) -> Result<StepOut, Stop> {
        let s = cx.state;
        let eff = match s.language {
            QueryLanguage::JsonPath => self.filter_owned(cx, &s.io.input_path, input, &th.scope)?,
            QueryLanguage::Jsonata => input,
        };
        if s.language == QueryLanguage::JsonPath {
            self.show(cx, super::probe::Step::InputPath, &eff);
        }
        let roots = self.roots(cx, &eff, &th.scope, 0);
        let mut chosen = None;
        for (i, b) in c.choices.iter().enumerate() {
            if b.rule.eval(&roots).map_err(|e| self.data_failure(cx, e))? {
                chosen = Some((i, b));
                break;
            }
        }
        if let Some(p) = &self.probe
            && (chosen.is_some() || c.default.is_some())
        {
            p.chose(cx.visit, chosen.map(|(i, _)| i));
        }
        let chosen = chosen.map(|(_, b)| b);
        let (next, assign, output) = match chosen {
            Some(b) => (
                b.next,
                b.assign.as_ref(),
                b.output.as_ref().or(s.io.output.as_deref()),
            ),
            None => match c.default {
                Some(d) => (d, s.assign.as_deref(), s.io.output.as_deref()),
                None => {
                    return Err(Stop::Failed(Failure::new(
                        "States.NoChoiceMatched",
                        format!(
                            "An error occurred while executing the state '{}' (entered at the event id #{}). No Choice rule matched and there is no Default.",
                            s.name, cx.entered_id
                        ),
                    )));
                }
            },
        };
        let assigned = match assign {
            Some(t) => Some(self.assign(cx, t, &roots)?),
            None => None,
        };
        let shaped = match (s.language, output) {
            (QueryLanguage::Jsonata, Some(t)) => {
                Some(t.eval(&roots).map_err(|e| self.data_failure(cx, e))?)
            }
            _ => None,
        };
        drop(roots);
        let output = match (shaped, s.language) {
            (Some(v), _) => v,
            (None, QueryLanguage::JsonPath) => {
                self.filter_owned(cx, &s.io.output_path, eff, &th.scope)?
            }
            (None, QueryLanguage::Jsonata) => eff,
        };
        Ok(StepOut {
            next: Next::To(next),
            output,
            assigned,
        })
    }

    fn fail(&self, cx: &StateCx, f: &Fail, input: &Value, th: &Thread) -> Stop {
        let roots = self.roots(cx, input, &th.scope, 0);
        let field = |d: &Option<Dynamic<String>>,
                     path_field: &str|
         -> Result<Option<String>, DataError> {
            Ok(match d {
                None => None,
                Some(Dynamic::Fixed(s)) => Some(s.clone()),
                Some(Dynamic::Path(p)) => match read(p, &roots) {
                    Ok(v) => Some(shown(&v)),
                    Err(_) => {
                        return Err(DataError::runtime(format!(
                            "The JSONPath '{p}' specified for the field '{path_field}' could not be found in the input '{input}'"
                        )));
                    }
                },
                Some(Dynamic::Intrinsic(call)) => Some(shown(&template::eval_call(call, &roots)?)),
                Some(Dynamic::Expr(e)) => Some(shown(
                    &e.evaluate_field(&roots, &path_field.replace("Path", ""))?,
                )),
            })
        };
        let error = match field(&f.error, "ErrorPath") {
            Ok(e) => e,
            Err(e) => return self.data_failure(cx, e),
        };
        let cause = match field(&f.cause, "CausePath") {
            Ok(c) => c,
            Err(e) => return self.data_failure(cx, e),
        };
        Stop::Failed(Failure {
            error: error.unwrap_or_default(),
            cause,
        })
    }
}

/// The whole number of seconds a `SecondsPath`, `TimeoutSecondsPath` or `HeartbeatSecondsPath`
/// (`field`) selected as `v`. AWS reads it as a Java `long`: a number with a fraction, or any
/// other type, "cannot be parsed as a long value", and a negative one is refused on its own.
pub(crate) fn seconds_at(field: &str, p: &Path, v: &Value) -> Result<u64, DataError> {
    match v.as_i64() {
        Some(n) => u64::try_from(n).map_err(|_| {
            DataError::runtime(format!(
                "The {field} parameter references a negative value: {p} == {}",
                shown(v)
            ))
        }),
        None => Err(DataError::runtime(format!(
            "The {field} parameter cannot be parsed as a long value: {p} == {}",
            shown(v)
        ))),
    }
}

/// AWS's message for a path that selected nothing in `InputPath`, `OutputPath`,
/// `TimeoutSecondsPath` and friends.
pub(crate) fn invalid_path(p: &Path, e: ReadError) -> DataError {
    match e {
        ReadError::Miss(m) => DataError::runtime(format!("Invalid path '{p}' : {m}")),
        ReadError::Unsupported(m) => DataError::runtime(format!("Invalid path '{p}' : {m}")),
        ReadError::UndefinedVariable(v) => DataError::runtime(format!(
            "Invalid path '{p}' : the variable '{v}' is not defined"
        )),
    }
}
