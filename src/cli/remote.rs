//! `asl run --remote`: the local definition run on the real Step Functions, shown as a local
//! run is shown.
//!
//! The state machine is created from the definition (CreateStateMachine), or updated when
//! one of that name exists (UpdateStateMachine); the execution is started with the run's
//! input (StartExecution; an EXPRESS machine's with StartSyncExecution, whose answer is the
//! whole result) and its history followed (GetExecutionHistory, newest first, paged back with
//! `nextToken` to the last event seen; the pause between rounds grows while nothing happens).
//! Each AWS event becomes the engine's event (`record::history::engine_event`), so `--trace`,
//! `--history`, `--graph` and the result are the ones `asl run` prints for a local run.
//! SIGINT/SIGTERM/SIGHUP stop the execution (StopExecution) and the run ends ABORTED.
//!
//! `--compare-local` (and `--graph`, which needs the probe's record of the visits) replay the
//! finished execution's history locally at once (`record::Replayer`, as `--replay` does) and
//! `record::divergence` says where AWS and asl differ, state by state: exit 4.

use super::error::CliError;
use super::run::{self, RunArgs};
use super::step_functions::StepFunctions;
use super::trace::Tracer;
use crate::definition::StateMachine;
use crate::engine::{self, EventSink, Outcome, Status};
use crate::record::divergence::{self, Divergence};
use crate::record::{History, Recording, Verdict};
use serde_json::{Value, json};
use std::path::Path;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The environment variable naming the role a new state machine runs as, when `--role-arn`
/// is not given.
pub const ROLE_ENV: &str = "ASL_REMOTE_ROLE_ARN";

/// The first pause between two rounds of GetExecutionHistory, and the longest.
const FIRST_POLL: Duration = Duration::from_millis(250);
const LONGEST_POLL: Duration = Duration::from_secs(5);

/// The pause before the next round: the first again after a round that brought events, else
/// twice the last, up to [`LONGEST_POLL`].
fn next_poll(last: Duration, fresh: bool) -> Duration {
    if fresh {
        FIRST_POLL
    } else {
        (last * 2).min(LONGEST_POLL)
    }
}

/// The flags `--remote` cannot honour (what a local run's handlers do has no meaning on
/// AWS is refused by clap; these need a history Express executions do not have).
fn check_flags(args: &RunArgs, express: bool) -> Result<(), CliError> {
    if express {
        let given: Vec<&str> = [
            ("--trace", args.trace),
            ("--history", args.history.is_some()),
            ("--graph", args.graph.is_some()),
            ("--compare-local", args.compare_local),
        ]
        .into_iter()
        .filter_map(|(f, on)| on.then_some(f))
        .collect();
        if !given.is_empty() {
            return Err(CliError::Usage(format!(
                "--remote --type EXPRESS: {} need the execution's history, which Step Functions keeps for STANDARD executions only (an EXPRESS execution's events go to CloudWatch Logs)",
                given.join(", ")
            )));
        }
    }
    Ok(())
}

pub fn run(args: &RunArgs) -> Result<ExitCode, CliError> {
    let express = args.machine_type == run::MachineTypeArg::Express;
    check_flags(args, express)?;
    if express {
        run::refuse_for_express(&args.definition)?;
    }
    let html = args.graph.as_deref().map(run::graph_format).transpose()?;
    let (file, id) = run::split_logical_id(&args.definition);
    // The definition as JSON text for AWS: checked here first, as a local run checks it.
    let (machine, raw, logical) = run::load_named(&file, id.as_deref(), true, None)?;
    let (_, input_text) = run::read_input(args)?;
    let name = args
        .state_machine_name
        .clone()
        .or(logical)
        .unwrap_or_else(|| run::machine_name(&args.definition));
    let role = args
        .role_arn
        .clone()
        .or_else(|| std::env::var(ROLE_ENV).ok().filter(|r| !r.is_empty()));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Fault(format!("cannot start the async runtime: {e}")))?;
    let remote = rt.block_on(async {
        // Listening for stop signals from the start: one sent while the machine is deployed
        // or the execution started is acted on as soon as there is an execution to stop.
        let stop = engine::stop_signal();
        tokio::pin!(stop);
        let _ = futures::poll!(&mut stop);
        let sfn = StepFunctions::connect(&args.connection, args.region.clone()).await?;
        let machine_arn = deploy(&sfn, &name, &raw, role.as_deref(), express).await?;
        let mut start = json!({"stateMachineArn": machine_arn, "input": &*input_text});
        if let Some(n) = &args.execution_name {
            start["name"] = json!(n);
        }
        if express {
            return express_run(&sfn, start, &mut stop).await;
        }
        let started = sfn
            .call("StartExecution", start)
            .await
            .map_err(|r| r.error(&machine_arn))?;
        let arn = started["executionArn"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        say!("asl: started execution {arn}");
        let tracer = args.trace.then(|| Tracer::for_machine(&machine));
        follow(&sfn, &arn, tracer.as_ref(), &mut stop).await
    })?;
    let Remote {
        outcome,
        events,
        execution_arn,
        state_machine_arn,
        stopped,
    } = remote;
    // The history AWS keeps, as GetExecutionHistory gives it: what --history writes (through
    // the same writer as a local run), what the replay reads.
    let mut doc = json!({"executionArn": execution_arn, "events": events});
    if let Some(m) = &state_machine_arn {
        doc["stateMachineArn"] = json!(m);
    }
    // A history that cannot be replayed loses neither the history file nor the result:
    // the picture is left out, and the comparison's refusal comes last.
    let want_replay = args.graph.is_some() || (args.compare_local && !stopped);
    let replayed = (want_replay && !express)
        .then(|| replay(&machine, &args.definition, &doc, args.graph.is_some()));
    if let Some(path) = &args.history {
        run::write_history(path, &outcome, None, None)?;
    }
    if let Some(path) = &args.graph {
        match &replayed {
            Some(Ok(Replayed {
                recorder: Some(rec),
                ..
            })) => run::write_graph(
                path,
                html == Some(true),
                &machine,
                &raw,
                &rec.finish(),
                &outcome,
            )?,
            Some(Err(e)) => say!("{e}\n{}: the picture is not drawn", path.display()),
            _ => {}
        }
    }
    let code = run::print_outcome(&outcome, args.result_format)?;
    if args.compare_local {
        match replayed {
            Some(Ok(r)) if !stopped => report(&r)?,
            Some(Err(e)) => return Err(e),
            _ => say!("compare: the execution was stopped: nothing to compare"),
        }
    }
    Ok(code)
}

/// A finished remote execution.
struct Remote {
    outcome: Outcome,
    /// The events as AWS gave them.
    events: Vec<Value>,
    execution_arn: String,
    state_machine_arn: Option<String>,
    /// Whether this run stopped it (a signal).
    stopped: bool,
}

/// Creates the state machine `name`, or updates it when it exists: its ARN.
async fn deploy(
    sfn: &StepFunctions,
    name: &str,
    definition: &Value,
    role: Option<&str>,
    express: bool,
) -> Result<String, CliError> {
    let wanted = if express { "EXPRESS" } else { "STANDARD" };
    let mut token: Option<Value> = None;
    let existing = loop {
        let mut input = json!({"maxResults": 1000});
        if let Some(t) = token.take() {
            input["nextToken"] = t;
        }
        let page = sfn
            .call("ListStateMachines", input)
            .await
            .map_err(|r| r.error(name))?;
        let found = page["stateMachines"]
            .as_array()
            .and_then(|l| l.iter().find(|m| m["name"] == name).cloned());
        if found.is_some() {
            break found;
        }
        match page.get("nextToken") {
            Some(t) if !t.is_null() => token = Some(t.clone()),
            _ => break None,
        }
    };
    let text = definition.to_string();
    match existing {
        Some(m) => {
            let arn = m["stateMachineArn"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if let Some(t) = m["type"].as_str()
                && t != wanted
            {
                return Err(CliError::Usage(format!(
                    "--remote: the state machine `{name}` exists as {t}, not {wanted} ({arn}): a machine's type cannot change; give --type {t} or another --state-machine-name"
                )));
            }
            let mut update = json!({"stateMachineArn": arn, "definition": text});
            if let Some(r) = role {
                update["roleArn"] = json!(r);
            }
            sfn.call("UpdateStateMachine", update)
                .await
                .map_err(|r| r.error(&arn))?;
            say!("asl: updated state machine {arn}");
            Ok(arn)
        }
        None => {
            let Some(role) = role else {
                return Err(CliError::Usage(format!(
                    "--remote: no state machine `{name}` exists, and creating one needs the role it runs as: give --role-arn ARN or set {ROLE_ENV}"
                )));
            };
            let created = sfn
                .call(
                    "CreateStateMachine",
                    json!({"name": name, "definition": text, "roleArn": role, "type": wanted}),
                )
                .await
                .map_err(|r| r.error(name))?;
            let arn = created["stateMachineArn"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            say!("asl: created state machine {arn}");
            Ok(arn)
        }
    }
}

/// The engine's status for AWS's.
fn status(s: &str) -> Option<Status> {
    match s {
        "SUCCEEDED" => Some(Status::Succeeded),
        "FAILED" => Some(Status::Failed),
        "TIMED_OUT" => Some(Status::TimedOut),
        "ABORTED" => Some(Status::Aborted),
        _ => None,
    }
}

/// The outcome DescribeExecution (or StartSyncExecution) tells: status, output, error, cause.
fn outcome_of(described: &Value, arn: &str) -> Result<Outcome, CliError> {
    let s = described["status"].as_str().unwrap_or_default();
    let Some(st) = status(s) else {
        return Err(CliError::Fault(format!(
            "{arn}: Step Functions says the execution is `{s}`, expected SUCCEEDED, FAILED, TIMED_OUT or ABORTED"
        )));
    };
    let output = match described["output"].as_str() {
        Some(text) => Some(serde_json::from_str(text).map_err(|e| {
            CliError::Input(format!(
                "{arn}: error: the execution's output is not JSON: {e}"
            ))
        })?),
        None => None,
    };
    let text = |k: &str| described[k].as_str().map(str::to_string);
    let time = |k: &str| {
        described[k]
            .as_str()
            .and_then(crate::data::timestamp::parse)
            .unwrap_or(crate::data::timestamp::Instant(0))
    };
    Ok(Outcome {
        status: st,
        output: if st == Status::Succeeded {
            output
        } else {
            None
        },
        error: text("error"),
        cause: text("cause"),
        events: Vec::new(),
        started: time("startDate"),
        ended: time("stopDate"),
        execution_arn: arn.to_string(),
    })
}

/// An EXPRESS execution, started synchronously: its answer is its end.
async fn express_run(
    sfn: &StepFunctions,
    start: Value,
    stop: &mut (impl std::future::Future<Output = &'static str> + Unpin),
) -> Result<Remote, CliError> {
    let machine = start["stateMachineArn"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    tokio::select! {
        answer = sfn.call("StartSyncExecution", start) => {
            let answer = answer.map_err(|r| r.error(&machine))?;
            let arn = answer["executionArn"].as_str().unwrap_or_default().to_string();
            say!("asl: ran execution {arn}");
            Ok(Remote {
                outcome: outcome_of(&answer, &arn)?,
                events: Vec::new(),
                execution_arn: arn,
                state_machine_arn: Some(machine),
                stopped: false,
            })
        }
        why = stop => {
            // StopExecution does not apply to an EXPRESS execution: it runs to its end (at
            // most five minutes) on AWS.
            say!("asl: {why}: not waiting for the EXPRESS execution, which runs on to its end on Step Functions");
            Ok(Remote {
                outcome: aborted(why, String::new()),
                events: Vec::new(),
                execution_arn: String::new(),
                state_machine_arn: Some(machine),
                stopped: true,
            })
        }
    }
}

/// The outcome of a run a signal stopped, as a local run's.
fn aborted(why: &str, arn: String) -> Outcome {
    let now = crate::data::timestamp::Instant::now();
    Outcome {
        status: Status::Aborted,
        output: None,
        error: None,
        cause: Some(why.to_string()),
        events: Vec::new(),
        started: now,
        ended: now,
        execution_arn: arn,
    }
}

/// What the rounds of GetExecutionHistory have seen of one execution.
#[derive(Default)]
struct Seen {
    /// AWS's events, in id order.
    raw: Vec<Value>,
    events: Vec<engine::Event>,
    last: u64,
    ended: bool,
}

impl Seen {
    /// Takes the events of a page that are new (any order, any repeats), in id order;
    /// whether the page reached events already seen.
    fn take(&mut self, page: &[Value], fresh: &mut Vec<Value>) -> bool {
        let mut reached = false;
        let mut taken: std::collections::HashSet<u64> =
            fresh.iter().filter_map(|f| f["id"].as_u64()).collect();
        for e in page {
            match e["id"].as_u64() {
                Some(id) if id > self.last => {
                    if taken.insert(id) {
                        fresh.push(e.clone());
                    }
                }
                _ => reached = true,
            }
        }
        reached
    }

    /// Adds events taken by [`Seen::take`], telling `sink` of each.
    fn add(&mut self, mut fresh: Vec<Value>, sink: Option<&Tracer>) {
        fresh.sort_by_key(|e| e["id"].as_u64().unwrap_or(0));
        for e in fresh {
            let Some(ev) = crate::record::history::engine_event(&e) else {
                continue;
            };
            self.last = self.last.max(ev.id);
            if matches!(
                ev.kind.as_str(),
                "ExecutionSucceeded" | "ExecutionFailed" | "ExecutionTimedOut" | "ExecutionAborted"
            ) {
                self.ended = true;
            }
            if let Some(t) = sink {
                t.event(&ev);
            }
            self.events.push(ev);
            self.raw.push(e);
        }
    }
}

/// One round: the events newer than those seen, newest first, paged back until a page
/// reaches the events seen. Whether there were any.
async fn round(
    sfn: &StepFunctions,
    arn: &str,
    seen: &mut Seen,
    sink: Option<&Tracer>,
) -> Result<bool, CliError> {
    let mut fresh = Vec::new();
    let mut token: Option<Value> = None;
    loop {
        let mut input = json!({"executionArn": arn, "maxResults": 200,
            "reverseOrder": true, "includeExecutionData": true});
        if let Some(t) = token.take() {
            input["nextToken"] = t;
        }
        let page = sfn
            .call("GetExecutionHistory", input)
            .await
            .map_err(|r| r.error(arn))?;
        let events = page["events"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        let reached = seen.take(events, &mut fresh);
        match page.get("nextToken") {
            Some(t) if !t.is_null() && !reached => token = Some(t.clone()),
            _ => break,
        }
    }
    let any = !fresh.is_empty();
    seen.add(fresh, sink);
    Ok(any)
}

/// Follows the execution `arn` to its end, or stops it when `stop` resolves.
async fn follow(
    sfn: &StepFunctions,
    arn: &str,
    sink: Option<&Tracer>,
    stop: &mut (impl std::future::Future<Output = &'static str> + Unpin),
) -> Result<Remote, CliError> {
    let mut seen = Seen::default();
    let mut pause = FIRST_POLL;
    let watched = async {
        loop {
            let fresh = round(sfn, arn, &mut seen, sink).await?;
            if seen.ended {
                return Ok::<(), CliError>(());
            }
            // Nothing new: has it ended without its end in the history yet?
            if !fresh {
                let d = sfn
                    .call("DescribeExecution", json!({"executionArn": arn}))
                    .await
                    .map_err(|r| r.error(arn))?;
                if d["status"] != "RUNNING" && d["status"] != "PENDING_REDRIVE" {
                    round(sfn, arn, &mut seen, sink).await?;
                    return Ok(());
                }
            }
            pause = next_poll(pause, fresh);
            tokio::time::sleep(pause).await;
        }
    };
    let stopped = tokio::select! {
        r = watched => { r?; None }
        why = &mut *stop => Some(why),
    };
    if let Some(why) = stopped {
        // Stop it as a local run stops what it started; a second signal does not wait.
        let call = sfn.call("StopExecution", json!({"executionArn": arn, "cause": why}));
        tokio::select! {
            r = call => match r {
                Ok(_) => say!("asl: {why}: stopped execution {arn}"),
                Err(r) => say!("asl: {why}: {}; the execution {arn} may still be running", r.message),
            },
            again = engine::stop_signal() => say!(
                "asl: {again} while stopping the execution: not waiting for StopExecution; {arn} may still be running"
            ),
        }
        // Its last events (ExecutionAborted), if AWS has them already.
        let _ = round(sfn, arn, &mut seen, sink).await;
    }
    let described = sfn
        .call("DescribeExecution", json!({"executionArn": arn}))
        .await
        .map_err(|r| r.error(arn))?;
    let mut outcome = match (
        stopped,
        status(described["status"].as_str().unwrap_or_default()),
    ) {
        // Stopped here, and AWS says so (or does not say yet): ended as a local run a
        // signal aborts.
        (Some(why), Some(Status::Aborted) | None) => aborted(why, arn.to_string()),
        _ => outcome_of(&described, arn)?,
    };
    outcome.events = std::mem::take(&mut seen.events);
    if let (Some(first), Some(last)) = (outcome.events.first(), outcome.events.last()) {
        outcome.started = first.timestamp;
        outcome.ended = last.timestamp;
    }
    Ok(Remote {
        outcome,
        events: seen.raw,
        execution_arn: arn.to_string(),
        state_machine_arn: described["stateMachineArn"].as_str().map(str::to_string),
        stopped: stopped.is_some(),
    })
}

/// The remote execution replayed locally: AWS's record, asl's, how the replay went, and
/// the visits a picture draws.
struct Replayed {
    aws: Recording,
    local: Option<Recording>,
    verdict: Option<Verdict>,
    fault: Option<String>,
    recorder: Option<Arc<crate::testing::record::Recorder>>,
}

/// Replays the remote history `doc` on `machine`, every Task answered from it.
fn replay(
    machine: &StateMachine,
    definition: &Path,
    doc: &Value,
    picture: bool,
) -> Result<Replayed, CliError> {
    let arn = doc["executionArn"].as_str().unwrap_or("the execution");
    let history = History::from_value(doc).map_err(|errs| {
        CliError::Input(
            errs.iter()
                .map(|e| {
                    format!(
                        "{arn}: error: the history AWS gave: {} (at {})",
                        e.message, e.pointer
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })?;
    let aws = Recording::attribute(&history, Some(machine));
    let Some(input) = aws.input.json().cloned() else {
        return Err(CliError::Input(format!(
            "{arn}: error: the execution's input is truncated in its history: it cannot be replayed"
        )));
    };
    // The names are the ARNs' (the history holds them), as `--replay` reads them.
    let ctx = super::record::ReplayContext::new(&aws, Path::new(arn), definition, None, None);
    let recorder = picture.then(|| Arc::new(crate::testing::record::Recorder::default()));
    let kept: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = kept.clone();
    let (outcome, replayer) = super::record::replay(
        machine,
        Arc::new(aws.clone()),
        &ctx,
        input,
        None,
        recorder.clone().map(|r| r as Arc<dyn engine::Probe>),
        move |o| {
            // Heard event by event, so that a replay the departure stops still tells
            // what it did until then.
            o.sink = Some(Box::new(engine::SinkFn(move |e: &engine::Event| {
                sink.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(e.to_json());
            })));
        },
    )?;
    let (verdict, fault) = match &outcome {
        Ok(o) => (Some(replayer.verdict(o)), None),
        Err(f) => match replayer.departure() {
            Some(d) => (Some(Verdict::Departed(d)), None),
            None => (None, Some(f.message.clone())),
        },
    };
    let events = std::mem::take(&mut *kept.lock().unwrap_or_else(|p| p.into_inner()));
    let local = History::from_value(&Value::Array(events))
        .ok()
        .map(|h| Recording::attribute(&h, Some(machine)));
    Ok(Replayed {
        aws,
        local,
        verdict,
        fault,
        recorder,
    })
}

/// The differences between AWS's execution and asl's replay of it, on stderr; exit 4 when
/// there are any.
fn report(r: &Replayed) -> Result<(), CliError> {
    let mut lines: Vec<String> = Vec::new();
    if let Some(f) = &r.fault {
        lines.push(format!("asl could not replay the execution: {f}"));
    }
    let departed = match &r.verdict {
        // At the end, the state-by-state comparison below says it in full.
        Some(Verdict::Departed(d)) if d.state == "(end)" => false,
        Some(Verdict::Departed(d)) => {
            lines.push(format!(
                "asl departs from AWS's history at `{}`{}: {}{}",
                d.state,
                d.event.map(|e| format!(" (event {e})")).unwrap_or_default(),
                d.summary,
                d.details
                    .iter()
                    .map(|l| format!("\n    {l}"))
                    .collect::<String>()
            ));
            true
        }
        _ => false,
    };
    let found: Vec<Divergence> = match &r.local {
        Some(local) => divergence::diverge(&r.aws, local)
            .into_iter()
            // A replay stopped where it departed has no end of its own: the departure says it.
            .filter(|d| !(departed && d.state == "(end)" && local.end.is_none()))
            .collect(),
        None => Vec::new(),
    };
    for d in &found {
        let line = d.message();
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    if lines.is_empty() {
        let states = r.aws.canonical().len();
        say!(
            "compare: AWS and asl agree: {states} state{} entered, each with the same input and output; {}",
            if states == 1 { "" } else { "s" },
            r.aws.end.as_ref().map_or("no end", |e| e.status)
        );
        return Ok(());
    }
    Err(CliError::Differs(format!(
        "AWS and asl differ ({} difference{}):\n  {}",
        lines.len(),
        if lines.len() == 1 { "" } else { "s" },
        lines.join("\n  ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_back_off_while_nothing_happens_and_start_over_when_events_come() {
        let mut p = FIRST_POLL;
        let mut seen = Vec::new();
        for _ in 0..7 {
            p = next_poll(p, false);
            seen.push(p.as_millis());
        }
        assert_eq!(seen, [500, 1000, 2000, 4000, 5000, 5000, 5000]);
        assert_eq!(next_poll(LONGEST_POLL, true), FIRST_POLL);
    }

    #[test]
    fn pages_in_either_order_give_each_new_event_once_in_id_order() {
        let ev = |id: u64| {
            json!({"id": id, "previousEventId": id - 1, "type": "PassStateEntered",
            "timestamp": "2024-05-01T10:00:00Z", "stateEnteredEventDetails": {"name": "P", "input": "{}"}})
        };
        let mut seen = Seen::default();
        let mut fresh = Vec::new();
        // Newest first, as asked (reverseOrder); nothing seen yet.
        assert!(!seen.take(&[ev(3), ev(2), ev(1)], &mut fresh));
        seen.add(fresh, None);
        assert_eq!(seen.last, 3);
        // The next round: a page reaching what was seen ends the paging.
        let mut fresh = Vec::new();
        assert!(seen.take(&[ev(5), ev(4), ev(3)], &mut fresh));
        // An emulator that ignores reverseOrder pages oldest first, repeats included.
        assert!(seen.take(&[ev(1), ev(4), ev(5), ev(6)], &mut fresh));
        seen.add(fresh, None);
        let ids: Vec<u64> = seen.events.iter().map(|e| e.id).collect();
        assert_eq!(ids, [1, 2, 3, 4, 5, 6]);
        assert_eq!(seen.raw.len(), 6);
        assert!(!seen.ended);
        let mut fresh = Vec::new();
        seen.take(
            &[
                json!({"id": 7, "previousEventId": 6, "type": "ExecutionSucceeded",
            "executionSucceededEventDetails": {"output": "{}"}}),
            ],
            &mut fresh,
        );
        seen.add(fresh, None);
        assert!(seen.ended);
    }

    #[test]
    fn aws_answers_become_a_local_runs_outcome() {
        let o = outcome_of(
            &json!({"status": "FAILED", "error": "Boom", "cause": "it broke",
                "startDate": "2024-05-01T10:00:00Z", "stopDate": "2024-05-01T10:00:01Z"}),
            "arn:x",
        )
        .unwrap();
        assert_eq!(
            (o.status, o.error.as_deref(), o.cause.as_deref(), o.output),
            (Status::Failed, Some("Boom"), Some("it broke"), None)
        );
        assert_eq!(o.ended.unix_millis() - o.started.unix_millis(), 1000);
        let o = outcome_of(
            &json!({"status": "SUCCEEDED", "output": "{\"a\":1}"}),
            "arn:x",
        )
        .unwrap();
        assert_eq!(o.output, Some(json!({"a": 1})));
        assert!(matches!(
            outcome_of(&json!({"status": "RUNNING"}), "arn:x"),
            Err(CliError::Fault(m)) if m.contains("`RUNNING`")
        ));
        assert!(matches!(
            outcome_of(&json!({"status": "SUCCEEDED", "output": "{"}), "arn:x"),
            Err(CliError::Input(_))
        ));
    }
}
