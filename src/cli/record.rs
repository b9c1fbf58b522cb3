//! `asl record`: an execution's history into a directory `asl test` runs as it is: the
//! recorded answers as a mock file and a test file asserting what the execution did.
//!
//! The recorded execution is replayed on the definition first (`record::Replayer`): the
//! replay's order of Task calls is the order the mock file lists each state's answers in,
//! and a replay that departs from the record is reported (the test would fail there too).

use super::error::CliError;
use super::render;
use super::run::{load_definition, machine_name, read_file};
use crate::data::timestamp::Instant;
use crate::definition::StateMachine;
use crate::engine::{self, Clock, Options, Outcome, Registry};
use crate::record::mocks::Answers;
use crate::record::recording::Names;
use crate::record::testfile::{self, Meta};
use crate::record::{History, Recording, Replayer, Verdict};
use clap::Args;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

const RECORD_HELP: &str = "\
Examples:
  aws stepfunctions get-execution-history --execution-arn ARN --output json > incident.json
  asl record incident.json --definition order.asl.json --out incident/
  asl test incident/
  asl record arn:aws:states:eu-west-1:111122223333:execution:orders:o-1042 --out incident/

HISTORY is what `aws stepfunctions get-execution-history --output json` prints (every page
merged), a bare list of events, or what `asl run --history` writes. A history does not hold
the definition: give it with --definition (`aws stepfunctions describe-state-machine-for-execution
--execution-arn ARN --query definition --output text` prints the one that ran). Given an
execution's ARN instead, asl fetches the history (written as DIR/NAME.history.json) and, without
--definition, the definition that ran (DIR/NAME.asl.json) from Step Functions, and the
child executions of its Distributed Map runs (at most --max-children), kept in the history
under `mapRunExecutions` and matched to the Map's iterations by their input.

Writes DIR/NAME.test.yaml and DIR/NAME.mocks.json, NAME the execution's name (from the file's
`executionArn`, else --execution-name, else the history file's name). The execution is
replayed on the definition first; if the replay departs from the record, the files are
still written and the departure is shown (exit 3). See docs/record-replay.md.

Exit codes: 0 recorded, 2 unreadable or invalid input (a truncated result cannot be recorded),
3 the definition departs from the record.";

#[derive(Args, Debug)]
#[command(after_help = RECORD_HELP)]
pub struct RecordArgs {
    /// The execution history (JSON), or an execution's ARN to fetch it (and the definition
    /// that ran, unless --definition is given) from Step Functions.
    pub history: PathBuf,
    /// The state machine definition the execution ran (JSON, YAML, or `template.yaml#Id`).
    #[arg(long, value_name = "FILE")]
    pub definition: Option<PathBuf>,
    /// Where to write the test and mock files (created if needed).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// The execution's name, when the history does not give it (`executionArn`).
    #[arg(long, value_name = "NAME")]
    pub execution_name: Option<String>,
    /// The state machine's name (default: from the history's ARNs, else the definition's file
    /// name).
    #[arg(long, value_name = "NAME")]
    pub state_machine_name: Option<String>,
    /// The region in ARNs (default: the history's ARNs', else its Task calls').
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// The account in ARNs (default: the history's ARNs', else the execution role's).
    #[arg(long, value_name = "ID")]
    pub account_id: Option<String>,
    /// The execution role (default: the history's).
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,
    /// Overwrite test and mock files that exist.
    #[arg(long)]
    pub force: bool,
    /// Where a Distributed Map's ItemReader and ResultWriter find S3 (`s3://BUCKET/KEY` is
    /// DIR/BUCKET/KEY); written into the test file as `s3Root`.
    #[arg(long, value_name = "DIR")]
    pub s3_root: Option<PathBuf>,
    /// A handler file (`asl run --handlers`) whose local commands answer the calls the history
    /// does not hold (Task states in a Distributed Map's child executions); written into the
    /// test file as `handlers`.
    #[arg(long, value_name = "FILE")]
    pub handlers: Option<PathBuf>,
    /// Fetching an execution by its ARN: at most this many child executions of its
    /// Distributed Map runs (their histories answer those iterations' Task states); the
    /// iterations of the others go to --handlers. 0 fetches none.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub max_children: usize,
    /// How to reach Step Functions to fetch an execution by its ARN.
    #[command(flatten)]
    pub connection: super::aws_args::AwsArgs,
}

/// What Step Functions says of an execution: its history (GetExecutionHistory's shape, with
/// `executionArn` and `stateMachineArn`) and the definition that ran.
struct Fetched {
    history: Value,
    definition: String,
    name: String,
    /// How many child executions of Distributed Map runs were fetched.
    children: usize,
}

/// Fetches an execution's history, every page, and the definition that ran.
#[cfg(feature = "aws")]
fn fetch(arn: &str, args: &RecordArgs) -> Result<Fetched, CliError> {
    use super::step_functions::StepFunctions;
    let region = arn
        .split(':')
        .nth(3)
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .or_else(|| args.region.clone());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Fault(format!("cannot start the async runtime: {e}")))?;
    let sfn = rt.block_on(StepFunctions::connect(&args.connection, region))?;
    let call = |op: &str, input: Value| -> Result<Value, CliError> {
        rt.block_on(sfn.call(op, input)).map_err(|r| r.error(arn))
    };
    let described = call(
        "DescribeExecution",
        serde_json::json!({"executionArn": arn}),
    )?;
    // Every page of a list: `key`'s items, until the answer has no `nextToken` or `enough`.
    let pages = |op: &str,
                 input: Value,
                 key: &str,
                 enough: usize|
     -> Result<(Vec<Value>, bool), CliError> {
        let mut items = Vec::new();
        let mut token: Option<Value> = None;
        loop {
            let mut input = input.clone();
            if let Some(t) = token.take() {
                input["nextToken"] = t;
            }
            let page = call(op, input)?;
            items.extend(page[key].as_array().cloned().unwrap_or_default());
            match page.get("nextToken") {
                Some(t) if !t.is_null() && items.len() < enough => token = Some(t.clone()),
                Some(t) if !t.is_null() => return Ok((items, true)),
                _ => return Ok((items, false)),
            }
        }
    };
    let history_of = |arn: &str| {
        pages(
            "GetExecutionHistory",
            serde_json::json!({"executionArn": arn, "maxResults": 1000, "includeExecutionData": true}),
            "events",
            usize::MAX,
        )
        .map(|(events, _)| events)
    };
    let events = history_of(arn)?;
    let children = if events.iter().any(|e| e["type"] == "MapRunStarted") {
        fetch_children(arn, args.max_children, &pages, &history_of)?
    } else {
        Vec::new()
    };
    let definition = match &args.definition {
        Some(_) => String::new(),
        None => call(
            "DescribeStateMachineForExecution",
            serde_json::json!({"executionArn": arn}),
        )?["definition"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    };
    let mut history = serde_json::json!({"executionArn": arn, "events": events});
    if let Some(m) = described.get("stateMachineArn") {
        history["stateMachineArn"] = m.clone();
    }
    let fetched_children = children.len();
    if !children.is_empty() {
        history["mapRunExecutions"] = Value::Array(children);
    }
    Ok(Fetched {
        history,
        definition,
        children: fetched_children,
        name: described["name"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| arn.rsplit(':').next().unwrap_or("execution").to_string()),
    })
}

/// Every page of a list call: `(operation, input, the answer's list, enough)` -> the items,
/// and whether there were more when `enough` was reached.
#[cfg(feature = "aws")]
type Pages<'a> = dyn Fn(&str, Value, &str, usize) -> Result<(Vec<Value>, bool), CliError> + 'a;

/// The child executions of the execution `arn`'s Distributed Map runs, at most `max`, each
/// its history (`{"executionArn", "mapRunArn", "events"}`): ListMapRuns, then ListExecutions
/// of each run, then each child's GetExecutionHistory. Where a run has more, says so.
#[cfg(feature = "aws")]
fn fetch_children(
    arn: &str,
    max: usize,
    pages: &Pages,
    history_of: &dyn Fn(&str) -> Result<Vec<Value>, CliError>,
) -> Result<Vec<Value>, CliError> {
    let mut out = Vec::new();
    if max == 0 {
        say!(
            "{arn}: its Distributed Map runs' child executions are not fetched (--max-children 0): their Task states need --handlers"
        );
        return Ok(out);
    }
    let (runs, _) = pages(
        "ListMapRuns",
        serde_json::json!({"executionArn": arn, "maxResults": 1000}),
        "mapRuns",
        usize::MAX,
    )?;
    for run in runs {
        let Some(run_arn) = run["mapRunArn"].as_str() else {
            continue;
        };
        let left = max - out.len();
        if left == 0 {
            say!(
                "{run_arn}: none of its child executions fetched (--max-children {max} reached); its iterations call --handlers, or the replay stops there"
            );
            continue;
        }
        let (mut listed, more) = pages(
            "ListExecutions",
            serde_json::json!({"mapRunArn": run_arn, "maxResults": left.min(1000)}),
            "executions",
            left,
        )?;
        let cut = more || listed.len() > left;
        listed.truncate(left);
        // A thousand histories take a while: say so on a terminal.
        if std::io::IsTerminal::is_terminal(&std::io::stderr()) && !listed.is_empty() {
            say!(
                "{run_arn}: fetching the histories of {} child executions",
                listed.len()
            );
        }
        if cut {
            say!(
                "{run_arn}: fetched {} of its child executions (--max-children {max}); the iterations of the others call --handlers, or the replay stops there",
                listed.len()
            );
        }
        for child in listed {
            let Some(child_arn) = child["executionArn"].as_str() else {
                continue;
            };
            out.push(serde_json::json!({
                "executionArn": child_arn,
                "mapRunArn": run_arn,
                "events": history_of(child_arn)?,
            }));
        }
    }
    Ok(out)
}

#[cfg(not(feature = "aws"))]
fn fetch(_arn: &str, _args: &RecordArgs) -> Result<Fetched, CliError> {
    Err(CliError::Usage(
        "this build of asl has no AWS support (build it with the cargo feature `aws`): fetch the history with `aws stepfunctions get-execution-history`".into(),
    ))
}

/// The local commands of a handler file, for the calls a history does not hold.
fn command_routes(path: &Path, machine: &StateMachine) -> Result<Registry, CliError> {
    use crate::handlers::command::CommandHandler;
    use crate::handlers::routing::Route;
    let (cfg, shown, _) = super::run::handler_config(path)?;
    let mut registry = Registry::new();
    for s in machine.root.all_states() {
        let crate::definition::Kind::Task(t) = &s.kind else {
            continue;
        };
        match cfg.route(&s.name, &t.resource.arn) {
            Some((Route::Command(spec), _)) => {
                registry.for_state(
                    s.name.clone(),
                    Arc::new(CommandHandler::new(spec.clone(), None)),
                );
            }
            Some((Route::Aws, _)) => {
                return Err(CliError::Usage(format!(
                    "{shown}: `asl record` runs local commands only; the route of `{}` to AWS cannot answer a recorded test",
                    s.name
                )));
            }
            Some((Route::Mock, _)) | None => {}
        }
    }
    Ok(registry)
}

/// Reads and parses a history file, every problem located; what was read leniently is
/// warned about on stderr.
pub(super) fn load_history(path: &Path) -> Result<History, CliError> {
    let text = read_file(path)?;
    let shown = path.display().to_string();
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| CliError::Input(render::json_error(&shown, &text, &e)))?;
    let history = History::from_value(&doc).map_err(|errs| {
        CliError::Input(
            errs.iter()
                .map(|e| render::located(&shown, &text, &e.pointer, "error", &e.message))
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })?;
    // A few are enough to see what is wrong with the file.
    for w in history.warnings.iter().take(5) {
        say!(
            "{}",
            render::located(&shown, &text, &w.pointer, "warning", &w.message)
        );
    }
    if history.warnings.len() > 5 {
        say!(
            "{shown}: warning: {} more like these",
            history.warnings.len() - 5
        );
    }
    Ok(history)
}

/// The names and context a replay runs with: the flags', else the record's.
pub(super) struct ReplayContext {
    pub execution: String,
    pub state_machine: String,
    pub region: Option<String>,
    pub account: Option<String>,
    pub role_arn: Option<String>,
    pub start: Option<Instant>,
    /// The seed of the random draws: the record's, else 0 (as `asl test` draws).
    pub seed: u64,
}

impl ReplayContext {
    pub(super) fn new(
        rec: &Recording,
        history: &Path,
        definition: &Path,
        execution: Option<&str>,
        state_machine: Option<&str>,
    ) -> ReplayContext {
        let Names {
            execution: e,
            state_machine: m,
            region,
            account,
        } = rec.names();
        ReplayContext {
            execution: execution
                .map(str::to_string)
                .or(e)
                .unwrap_or_else(|| file_stem(history)),
            state_machine: state_machine
                .map(str::to_string)
                .or(m)
                .unwrap_or_else(|| machine_name(definition)),
            region,
            account,
            role_arn: rec.role_arn.clone(),
            start: rec.start,
            seed: rec.seed.unwrap_or(0),
        }
    }

    /// Deterministic options for the replay: the recorded start on a virtual clock, the
    /// recorded seed.
    pub(super) fn options(&self, handlers: Registry) -> Options {
        let mut o = Options {
            clock: Clock::Fixed(self.start.unwrap_or(Instant(0))),
            state_machine_name: self.state_machine.clone(),
            execution_name: self.execution.clone(),
            handlers,
            seed: Some(self.seed),
            ..Options::default()
        };
        if let Some(r) = &self.region {
            o.region = r.clone();
        }
        if let Some(a) = &self.account {
            o.account_id = a.clone();
        }
        if let Some(r) = &self.role_arn {
            o.role_arn = r.clone();
        }
        o
    }
}

/// A history file's name without `.json` (and `.history`).
fn file_stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let name = name.strip_suffix(".json").unwrap_or(&name);
    let name = name.strip_suffix(".history").unwrap_or(name);
    name.to_string()
}

/// A name as a file name: what is not a letter, digit, `.`, `_` or `-` becomes `-`.
fn file_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if s.trim_matches(['.', '-']).is_empty() {
        "execution".into()
    } else {
        s
    }
}

/// `to` relative to the folder `from` (both made absolute), with `/` separators.
fn relative(to: &Path, from: &Path) -> String {
    let abs = |p: &Path| {
        std::path::absolute(p)
            .unwrap_or_else(|_| p.to_path_buf())
            .components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect::<PathBuf>()
    };
    let (to, from) = (abs(to), abs(from));
    let a: Vec<_> = to.components().collect();
    let b: Vec<_> = from.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    // Only the root in common: the absolute path says more.
    if common <= 1 {
        return to.display().to_string();
    }
    let mut parts: Vec<String> = vec!["..".into(); b.len() - common];
    parts.extend(
        a[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().to_string()),
    );
    parts.join("/")
}

fn create_dir(dir: &Path) -> Result<(), CliError> {
    std::fs::create_dir_all(dir).map_err(|e| {
        CliError::Input(format!(
            "{}: error: cannot create the folder: {e}",
            dir.display()
        ))
    })
}

/// Writes a file that must not exist unless `force`.
fn write_new(p: &Path, text: String, force: bool) -> Result<(), CliError> {
    if p.exists() && !force {
        return Err(CliError::Usage(format!(
            "{} exists: give --force to overwrite it",
            p.display()
        )));
    }
    std::fs::write(p, text).map_err(|e| {
        CliError::Input(format!(
            "{}: error: cannot write the file: {e}",
            p.display()
        ))
    })
}

/// Replays `rec` on `machine`: the outcome (or the fault that stopped it) and the replayer;
/// `probe` hears the run through the replayer (a recorder for a picture).
pub(super) fn replay(
    machine: &StateMachine,
    rec: Arc<Recording>,
    ctx: &ReplayContext,
    input: Value,
    fallback: Option<Registry>,
    probe: Option<Arc<dyn engine::Probe>>,
    configure: impl FnOnce(&mut Options),
) -> Result<(Result<Outcome, engine::Fault>, Arc<Replayer>), CliError> {
    let mut replayer = Replayer::new(rec);
    if let Some(f) = fallback {
        replayer = replayer.with_fallback(f);
    }
    if let Some(p) = probe {
        replayer = replayer.with_probe(p);
    }
    let replayer = Arc::new(replayer);
    let mut registry = Registry::new();
    registry.fallback(replayer.clone());
    let mut opts = ctx.options(registry);
    opts.probe = Some(replayer.clone());
    configure(&mut opts);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Fault(format!("cannot start the async runtime: {e}")))?;
    let outcome = rt.block_on(engine::run(machine, input, opts));
    Ok((outcome, replayer))
}

pub fn run(mut args: RecordArgs) -> Result<ExitCode, CliError> {
    // An execution's ARN: its history and definition, fetched, are written beside the test.
    let text = args.history.to_string_lossy().to_string();
    if text.starts_with("arn:") && !args.history.exists() {
        let fetched = fetch(&text, &args)?;
        create_dir(&args.out)?;
        let base = file_name(&fetched.name);
        let history = args.out.join(format!("{base}.history.json"));
        write_new(
            &history,
            serde_json::to_string_pretty(&fetched.history).unwrap_or_default() + "\n",
            args.force,
        )?;
        if args.definition.is_none() {
            let def = args.out.join(format!("{base}.asl.json"));
            write_new(&def, fetched.definition + "\n", args.force)?;
            args.definition = Some(def);
        }
        match fetched.children {
            0 => say!("fetched `{}`: {}", fetched.name, history.display()),
            n => say!(
                "fetched `{}` and {n} child execution{} of its Distributed Map runs: {}",
                fetched.name,
                if n == 1 { "" } else { "s" },
                history.display()
            ),
        }
        args.history = history;
    }
    let history = load_history(&args.history)?;
    let Some(def_path) = &args.definition else {
        return Err(CliError::Usage(format!(
            "{}: a history does not hold the definition: give the one that ran with --definition FILE (`aws stepfunctions describe-state-machine-for-execution --execution-arn ARN --query definition --output text > machine.asl.json`)",
            args.history.display()
        )));
    };
    let machine = load_definition(def_path)?;
    let rec = Recording::attribute(&history, Some(&machine));
    let shown = args.history.display().to_string();
    for n in &rec.notes {
        say!("{shown}: warning: {n}");
    }
    let Some(input) = rec.input.json().cloned() else {
        return Err(CliError::Input(format!(
            "{shown}: error: the execution's input is {} (at {}): a recorded test needs the whole input",
            if rec.input.is_truncated() {
                "truncated by AWS (`inputDetails.truncated`)"
            } else {
                "missing"
            },
            history.events[0].pointer
        )));
    };
    let mut ctx = ReplayContext::new(
        &rec,
        &args.history,
        def_path,
        args.execution_name.as_deref(),
        args.state_machine_name.as_deref(),
    );
    ctx.region = args.region.clone().or(ctx.region);
    ctx.account = args.account_id.clone().or(ctx.account);
    ctx.role_arn = args.role_arn.clone().or(ctx.role_arn);
    let rec = Arc::new(rec);
    let fallback = match &args.handlers {
        Some(h) => Some(command_routes(h, &machine)?),
        None => None,
    };
    let storage = args.s3_root.as_ref().map(|r| {
        Arc::new(crate::storage::LocalStore::new(r)) as Arc<dyn crate::storage::ObjectStore>
    });
    let (outcome, replayer) = replay(&machine, rec.clone(), &ctx, input, fallback, None, |o| {
        o.storage = storage;
    })?;
    let verdict = match &outcome {
        Ok(o) => Some(replayer.verdict(o)),
        Err(_) => replayer.departure().map(Verdict::Departed),
    };
    // The Distributed Map runs' children numbered as the replay's iterations that matched
    // them, so the test names them as `asl test` does (`Map[3]/State`).
    let rec = {
        let mut r = (*rec).clone();
        r.reindex(&replayer.assigned());
        r
    };
    let answers = Answers::collect(&rec, &replayer.log()).map_err(|problems| {
        CliError::Input(
            problems
                .iter()
                .map(|p| {
                    format!(
                        "{shown}: error: the recorded result of `{}` (event {}) cannot be recorded: {}; a test cannot answer the state as AWS did",
                        p.state, p.event, p.why
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })?;
    // Where the end's values cannot repeat (times, UUIDs), the test expects a string.
    let output_let_pass = match (&outcome, rec.end.as_ref().and_then(|e| e.output.json())) {
        (Ok(o), Some(recorded)) => o
            .output
            .as_ref()
            .map(|now| crate::record::compare::compare(recorded, now, None).let_pass)
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    create_dir(&args.out)?;
    let base = file_name(&ctx.execution);
    let test_path = args.out.join(format!("{base}.test.yaml"));
    let mock_path = args.out.join(format!("{base}.mocks.json"));
    for p in [&test_path, &mock_path] {
        if p.exists() && !args.force {
            return Err(CliError::Usage(format!(
                "{} exists: give --force to overwrite it",
                p.display()
            )));
        }
    }
    let mut notes: Vec<String> = rec.notes.clone();
    notes.extend(
        history
            .events
            .iter()
            .filter(|e| e.kind == "ExecutionRedriven")
            .map(|e| {
                format!(
                    "The execution was redriven (event {}): the test runs it as it ended.",
                    e.id
                )
            }),
    );
    let meta = Meta {
        definition: relative(def_path, &args.out),
        s3_root: args.s3_root.as_ref().map(|p| relative(p, &args.out)),
        handlers: args.handlers.as_ref().map(|p| relative(p, &args.out)),
        state_machine: ctx.state_machine.clone(),
        execution: ctx.execution.clone(),
        mock_file: format!("{base}.mocks.json"),
        history: args
            .history
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| shown.clone()),
        start: ctx.start.map(|t| t.to_iso_millis()),
        region: ctx.region.clone(),
        account: ctx.account.clone(),
        role_arn: ctx.role_arn.clone(),
        seed: rec.seed,
        notes,
        path_contains: replayer.went_on_in_cut_branches(),
    };
    let text = testfile::write(
        &rec,
        &answers,
        &meta,
        &|v, c| replayer.let_pass(v, c),
        &output_let_pass,
    );
    let mocks = answers.mock_file(&ctx.state_machine, &ctx.execution);
    let write = |p: &Path, text: String| {
        std::fs::write(p, text).map_err(|e| {
            CliError::Input(format!(
                "{}: error: cannot write the file: {e}",
                p.display()
            ))
        })
    };
    write(
        &mock_path,
        serde_json::to_string_pretty(&mocks).unwrap_or_default() + "\n",
    )?;
    write(&test_path, text)?;
    let calls: usize = answers.by_state.iter().map(|(_, l)| l.len()).sum();
    say!(
        "recorded `{}` ({}, {} Task call{} of {} state{}): {} and {}",
        ctx.execution,
        rec.end
            .as_ref()
            .map(|e| e.status)
            .unwrap_or("still running"),
        calls,
        if calls == 1 { "" } else { "s" },
        answers.by_state.len(),
        if answers.by_state.len() == 1 { "" } else { "s" },
        test_path.display(),
        mock_path.display()
    );
    match (verdict, outcome) {
        (Some(Verdict::Departed(d)), _) => Err(CliError::Departed(format!(
            "{def}: {}\n{def}: the recorded test will fail there: the definition is not the one that ran, or asl runs it otherwise",
            d.message(),
            def = def_path.display()
        ))),
        (_, Err(f)) => Err(CliError::Fault(format!(
            "the replay of the record stopped: {}",
            f.message
        ))),
        _ => Ok(ExitCode::SUCCESS),
    }
}
