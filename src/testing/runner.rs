//! Running one case: deterministic engine options from the file's and the case's context,
//! the case's handlers, the [`Recorder`], and the expectations checked afterwards.

use super::expect;
use super::file::{Case, Context, TestFile};
use super::matcher::{Matcher, Mode, render};
use super::mocks::{CaseMocks, Origin};
use super::record::{Record, Recorder};
use super::results::{CaseFailure, CaseReport, CaseStatus};
use crate::data::timestamp::Instant;
use crate::definition::{Kind, StateMachine};
use crate::engine::{self, Clock, EventSink, Options, Outcome};
use crate::handlers::mock::MockHandler;
use crate::handlers::{Registry, TaskHandler};
use serde_json::{Value, json};
use std::sync::Arc;

/// When a file and its case fix no start time: a fixed instant, so that `$$.Execution.StartTime`
/// and every time the execution reads repeat from run to run.
pub const DEFAULT_START: &str = "2024-01-01T00:00:00Z";

/// What every case of one test file shares.
pub struct Prepared<'a> {
    pub file: &'a TestFile,
    pub machine: &'a StateMachine,
    /// The state machine's name (in `$$`, ARNs and mock files).
    pub name: String,
    /// The mock file's test case for each case that uses one (by case index).
    pub mock_configs: Vec<Option<(MockHandler, String)>>,
    /// The recording each case replays (`replay:`), by case index.
    pub replays: Vec<Option<Arc<crate::record::Recording>>>,
    /// Handlers chosen by the file's `handlers` routes, by state name.
    pub routes: Vec<(String, Arc<dyn TaskHandler>)>,
    /// Task state names.
    pub tasks: Vec<String>,
    /// Child state machines by name, for `states:startExecution` Tasks.
    pub machines: std::collections::HashMap<String, Arc<StateMachine>>,
    /// The line of each case in the test file.
    pub lines: Vec<Option<usize>>,
    /// Each case's execution name when its `context` fixes none ([`execution_names`]).
    pub execution_names: Vec<String>,
}

/// Each case's own execution name, from its name: letters, digits, `-` and `_` kept,
/// any other run of characters made one `-`, at most 80 characters (AWS's limit), and `-2`,
/// `-3`, ... added when two cases would get the same. Every case of a file then has its own
/// execution ARN and its own ids (map runs, `ResultWriter` prefixes), as its own execution
/// on AWS would, and keeps them from run to run.
pub fn execution_names(cases: &[Case]) -> Vec<String> {
    const MAX: usize = 80;
    let mut taken = std::collections::HashSet::new();
    cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut slug = String::new();
            for ch in c.name.chars() {
                if ch.is_alphanumeric() || ch == '_' || ch == '-' {
                    slug.push(ch);
                } else if !slug.ends_with('-') {
                    slug.push('-');
                }
            }
            let mut slug: String = slug.trim_matches('-').chars().take(MAX).collect();
            if slug.is_empty() {
                slug = format!("case-{i}");
            }
            let mut name = slug.clone();
            let mut n = 2;
            while !taken.insert(name.clone()) {
                let suffix = format!("-{n}");
                let head: String = slug.chars().take(MAX - suffix.len()).collect();
                name = format!("{head}{suffix}");
                n += 1;
            }
            name
        })
        .collect()
}

/// A case that ran.
pub struct CaseRun {
    pub report: CaseReport,
    pub record: Record,
    /// The output (`null` when none) and path, for snapshots.
    pub actual: (Value, Vec<String>),
    /// How the execution ended, when it did (its events too, with `keep_history`).
    pub outcome: Option<Outcome>,
    /// The case's S3, when it has one: what its Distributed Maps wrote is there.
    pub storage: Option<Arc<crate::storage::MemoryStore>>,
    /// The file-level mocks this case used.
    pub used_file_mocks: Vec<String>,
}

/// The engine options a context gives; `execution` is the execution name when the context
/// fixes none.
pub fn options(ctx: &Context, name: &str, execution: &str) -> Options {
    let start = ctx
        .start_time
        .as_deref()
        .and_then(crate::data::timestamp::parse)
        .or_else(|| crate::data::timestamp::parse(DEFAULT_START))
        .unwrap_or(Instant(0));
    let mut o = Options {
        clock: Clock::Fixed(start),
        state_machine_name: name.to_string(),
        execution_name: ctx
            .execution_name
            .clone()
            .unwrap_or_else(|| execution.to_string()),
        seed: Some(ctx.seed.unwrap_or(0)),
        ..Options::default()
    };
    if let Some(r) = &ctx.region {
        o.region = r.clone();
    }
    if let Some(a) = &ctx.account_id {
        o.account_id = a.clone();
    }
    if let Some(r) = &ctx.role_arn {
        o.role_arn = r.clone();
    }
    o
}

/// What a run of a case keeps beyond its report, for `--trace` and `--artifacts`.
#[derive(Default)]
pub struct Extras {
    /// Sees every event as it happens (`--trace`).
    pub sink: Option<Box<dyn EventSink>>,
    /// Keep the execution's events (and its child executions') in the outcome.
    pub keep_history: bool,
    /// Where child executions' histories go, with `keep_history`.
    pub histories: Option<crate::handlers::machines::Histories>,
}

/// Runs case `index` of `p.file` on the runtime `rt`.
pub fn run_case(
    p: &Prepared,
    index: usize,
    rt: &tokio::runtime::Runtime,
    extras: Extras,
    strict: bool,
) -> CaseRun {
    let started = std::time::Instant::now();
    let case = &p.file.cases[index];
    let config = p.mock_configs.get(index).and_then(|c| c.as_ref());
    let mocks = Arc::new(CaseMocks::new(
        &case.mocks,
        &p.file.mocks,
        config.map(|(h, at)| (h, at.clone())),
    ));
    let mut registry = Registry::new();
    for (state, h) in &p.routes {
        if !mocks.inline(state) {
            registry.for_state(state.clone(), h.clone());
        }
    }
    registry.fallback(mocks.clone());
    let storage = store(p.file, case);
    if !p.machines.is_empty() {
        let child = Arc::new(crate::handlers::machines::Machines {
            machines: p.machines.clone(),
            routes: registry.clone(),
            mocks: None,
            clock: Clock::Fixed(Instant(0)),
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            role_arn: Options::default().role_arn,
            seed: Some(0),
            depth: 0,
            callback: None,
            histories: extras.histories.clone(),
            storage: storage
                .clone()
                .map(|s| s as Arc<dyn crate::storage::ObjectStore>),
        });
        for s in p.machine.root.all_states() {
            if let Kind::Task(t) = &s.kind
                && crate::handlers::machines::Machines::handles(&t.resource.kind)
                && !mocks.inline(&s.name)
            {
                registry.for_state(s.name.clone(), child.clone());
            }
        }
    }
    let recorder = Arc::new(Recorder::default());
    let replay = p.replays.get(index).cloned().flatten();
    // A replay's context is the record's, under the file's and the case's.
    let ctx = match &replay {
        Some(rec) => recorded_context(rec).merged(&p.file.context),
        None => p.file.context.clone(),
    }
    .merged(&case.context);
    let name = match replay.as_ref().and_then(|r| r.names().state_machine) {
        Some(n) if p.file.state_machine_name.is_none() => n,
        _ => p.name.clone(),
    };
    let execution = p
        .execution_names
        .get(index)
        .map_or("asl-test", String::as_str);
    let mut opts = options(&ctx, &name, execution);
    opts.sink = extras.sink;
    opts.keep_history = extras.keep_history;
    opts.storage = storage
        .clone()
        .map(|s| s as Arc<dyn crate::storage::ObjectStore>);
    let mut input = case.input.clone();
    // Replaying: the record answers first, the case's mocks and routes what it cannot.
    let replayer = match &replay {
        Some(rec) => {
            if !case.input_given
                && let Some(v) = rec.input.json()
            {
                input = v.clone();
            }
            let r = Arc::new(
                crate::record::Replayer::new(rec.clone())
                    .with_fallback(registry)
                    .with_probe(recorder.clone()),
            );
            let mut only = Registry::new();
            only.fallback(r.clone());
            opts.handlers = only;
            opts.probe = Some(r.clone());
            Some(r)
        }
        None => {
            opts.handlers = registry;
            opts.probe = Some(recorder.clone());
            None
        }
    };
    let result = rt.block_on(engine::run(p.machine, input, opts));
    let record = recorder.finish();
    let mut failures = Vec::new();
    let mut execution_status = None;
    let mut actual = (Value::Null, record.path());
    let departure = replayer.as_ref().and_then(|r| r.departure());
    match &result {
        Ok(outcome) => {
            execution_status = Some(outcome.status.as_str().to_string());
            failures = expect::check(&case.expect, outcome, &record);
            actual.0 = outcome.output.clone().unwrap_or(Value::Null);
            snapshot(case, &actual, &mut failures);
            if let Some(crate::record::Verdict::Departed(d)) =
                replayer.as_ref().map(|r| r.verdict(outcome))
            {
                failures.push(CaseFailure {
                    expectation: "replay".into(),
                    message: format!("  {}", d.message()),
                });
            }
        }
        Err(_) if departure.is_some() => failures.push(CaseFailure {
            expectation: "replay".into(),
            message: format!("  {}", departure.map(|d| d.message()).unwrap_or_default()),
        }),
        Err(fault) => failures.push(CaseFailure {
            expectation: "run".into(),
            message: format!("  the execution stopped: {}", fault.message),
        }),
    }
    let mut origins = vec![Origin::Case];
    if case.mock_config.is_some() {
        origins.push(Origin::MockConfig);
    }
    let warnings = mocks.warnings(&origins);
    if strict && !warnings.is_empty() {
        failures.push(CaseFailure {
            expectation: "strict".into(),
            message: warnings
                .iter()
                .map(|w| format!("  {w}"))
                .collect::<Vec<_>>()
                .join("\n"),
        });
    }
    let status = if failures.is_empty() {
        CaseStatus::Passed
    } else {
        CaseStatus::Failed
    };
    CaseRun {
        report: CaseReport {
            name: case.name.clone(),
            description: case.description.clone(),
            line: p.lines.get(index).copied().flatten(),
            status,
            duration: started.elapsed(),
            execution_status,
            failures,
            warnings,
            trace: None,
            artifacts: Vec::new(),
        },
        record,
        actual,
        outcome: result.ok(),
        storage,
        used_file_mocks: mocks.used(Origin::File),
    }
}

/// The context a record gives: the execution's name, start, region, account and role.
fn recorded_context(rec: &crate::record::Recording) -> Context {
    let names = rec.names();
    Context {
        execution_name: names.execution,
        start_time: rec.start.map(|t| t.to_iso_millis()),
        region: names.region,
        account_id: names.account,
        role_arn: rec.role_arn.clone(),
        seed: None,
    }
}

/// Where the case's Distributed Maps find S3: its `s3Objects` and the file's, over `s3Root`.
/// Each case has a store of its own whose writes stay in it: no case sees what another wrote
/// (cases run concurrently), and `s3Root` is only read.
fn store(file: &TestFile, case: &Case) -> Option<Arc<crate::storage::MemoryStore>> {
    use crate::storage::{LocalStore, MemoryStore, ObjectStore};
    let below = file
        .s3_root
        .as_ref()
        .map(|r| Arc::new(LocalStore::new(r)) as Arc<dyn ObjectStore>);
    if below.is_none() && file.s3_objects.is_empty() && case.s3_objects.is_empty() {
        return None;
    }
    let objects = file
        .s3_objects
        .iter()
        .chain(&case.s3_objects)
        .cloned()
        .collect();
    Some(Arc::new(MemoryStore::new(objects, below)))
}

/// A snapshot case: compares the recorded output and path, or says it has none yet.
fn snapshot(case: &Case, actual: &(Value, Vec<String>), failures: &mut Vec<CaseFailure>) {
    match &case.snapshot {
        None => {}
        Some(None) => failures.push(CaseFailure {
            expectation: "snapshot".into(),
            message:
                "  the snapshot is not recorded yet: run `asl test --update-snapshots` to record it"
                    .into(),
        }),
        Some(Some((output, path))) => {
            if let Ok(m) = Matcher::compile(&json!({"$literal": output}), "") {
                let diff = m.check(&actual.0, Mode::Exact);
                if !diff.is_empty() {
                    failures.push(CaseFailure {
                        expectation: "snapshot.output".into(),
                        message: format!(
                            "{}\n  (run `asl test --update-snapshots` to accept the new output)",
                            render(&diff)
                        ),
                    });
                }
            }
            if path != &actual.1 {
                failures.push(CaseFailure {
                    expectation: "snapshot.path".into(),
                    message: format!(
                        "  recorded: {}\n  actual:   {}\n  (run `asl test --update-snapshots` to accept the new path)",
                        path.join(" → "),
                        actual.1.join(" → ")
                    ),
                });
            }
        }
    }
}

/// The names of the Task states of `machine`.
pub fn task_states(machine: &StateMachine) -> Vec<String> {
    machine
        .root
        .all_states()
        .into_iter()
        .filter(|s| matches!(s.kind, Kind::Task(_)))
        .map(|s| s.name.clone())
        .collect()
}

/// The outcome and record of one execution, for tests of this module's callers.
pub fn execute(
    machine: &StateMachine,
    input: Value,
    opts: Options,
) -> Result<(Outcome, Record), engine::Fault> {
    let recorder = Arc::new(Recorder::default());
    let mut opts = opts;
    opts.probe = Some(recorder.clone());
    let outcome = engine::run_blocking(machine, input, opts)?;
    Ok((outcome, recorder.finish()))
}
