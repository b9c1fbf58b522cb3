//! `asl run`: load a definition, build the handlers, run, print the result.

use super::error::CliError;
use super::render;
use super::trace::Tracer;
use crate::definition::{self, Kind, StateMachine};
use crate::definition::{Pattern, Resource};
use crate::engine::{self, Clock, Options, Outcome, Status};
use crate::handlers::aws::AwsHandler;
use crate::handlers::aws::shape_check::{self, FieldValidation};
use crate::handlers::callback::{CallbackServer, WaitForCallback};
use crate::handlers::command::{CommandHandler, CommandSpec};
use crate::handlers::machines::Histories;
use crate::handlers::mock::MockHandler;
use crate::handlers::routing::{self, ConfigError, HandlerConfig, Route};
use crate::handlers::{Registry, TaskHandler};
use crate::testing::results::DefinitionWarning;
use clap::{Args, ValueEnum};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

const RUN_HELP: &str = "\
Examples:
  asl run hello.asl.json --input '{\"name\": \"Ada\"}'
  asl run hello.asl.json --input-file input.json --trace
  echo '{}' | asl run pipeline.asl.json --mock-config mocks.json --test-case HappyPath
  asl run pipeline.asl.json --result-format json --history history.json
  asl run pipeline.asl.json --replay history.json   # every Task answered from the history
  asl run pipeline.asl.json --graph run.html    # open run.html: the path taken, click a state
  asl run pipeline.asl.json --mock-config pipeline.mocks.json --test-case HappyPath \\
      --local 'ProcessChunk=python3 process_chunk.py'
  asl run pipeline.asl.json --handlers pipeline.handlers.json --mock-config pipeline.mocks.json \\
      --test-case HappyPath
  asl run pipeline.asl.json --aws-all --profile dev --region eu-west-1
  asl run pipeline.asl.json --remote --role-arn arn:aws:iam::111122223333:role/sfn \\
      --trace --history remote.json --compare-local    # on the real Step Functions

Handlers: each Task state is answered by a mock (--mock-config), a local command or AWS.
A state takes the first of: --local STATE=CMD / --aws STATE; its entry in the --handlers
file; --aws-all; the mock file when one is given. A state with none of these fails the run
when it is reached. A handler file (JSON) maps state names and resource ARNs (globs * and ?)
to \"mock\", \"aws\" or a command:
  {\"States\": {\"ProcessChunk\": {\"Command\": [\"sh\", \"process-chunk.sh\"], \"Env\": {\"MODE\": \"fast\"}}},
   \"Resources\": {\"arn:aws:states:::lambda:invoke*\": \"mock\"},
   \"Default\": \"mock\"}
A command gets the task's input JSON on stdin and answers with JSON on stdout; to fail with a
named error it exits non-zero and prints {\"Error\": \"Name\", \"Cause\": \"...\"} on stdout.
AWS runs Lambda invoke, ECS runTask and Step Functions StartExecution (child machines).
`.waitForTaskToken` states wait for a callback on the local endpoint printed on stderr
(SendTaskSuccess/Failure/Heartbeat). See docs/handlers.md.

S3: a Distributed Map reads and writes the folder --s3-root DIR when given; otherwise, routed
to AWS like a Task state (--aws MAP, --aws-all, or the handler file by its name or by
arn:aws:states:::s3:*), the real S3. See docs/distributed-map.md.

Output: with --result-format output (the default) the execution's output JSON goes to stdout
and exit code 0; a failed execution prints its error and cause to stderr and exits 1. With
--result-format json, stdout gets {\"status\", \"output\", \"error\", \"cause\"} either way.
Ctrl-C, SIGTERM and SIGHUP abort the run (status ABORTED, exit 1) after stopping the ECS tasks
and killing the local commands it started.
Exit code 2: a usage error, an unreadable or malformed file, an invalid definition, mock file
or handler configuration. Exit code 3 (--replay): the run departed from the history it replays
(docs/record-replay.md).

Remote: --remote creates (or updates) the state machine on Step Functions and runs it there:
stdout, --trace, --history, --graph and the exit codes as for a local run; Ctrl-C calls
StopExecution. Its name is --state-machine-name (default as for a local run), its role
--role-arn or $ASL_REMOTE_ROLE_ARN (needed to create it), its type --type. --compare-local
then replays the history locally and reports each difference (exit 4 when they differ).";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClockArg {
    /// Waits, retry back-offs and timeouts finish at once; the execution still sees time pass.
    Virtual,
    /// Waits really wait.
    Real,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum MachineTypeArg {
    Standard,
    Express,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ResultFormat {
    /// The output JSON on stdout; error and cause on stderr.
    Output,
    /// One object {"status", "output", "error", "cause"} on stdout.
    Json,
}

#[derive(Args, Debug)]
#[command(after_help = RUN_HELP)]
pub struct RunArgs {
    /// The state machine definition (Amazon States Language JSON).
    pub definition: PathBuf,
    /// The execution input as JSON text (default: read stdin, or `{}` when stdin is a terminal).
    #[arg(long, conflicts_with = "input_file", allow_hyphen_values = true)]
    pub input: Option<String>,
    /// Read the execution input from a file.
    #[arg(long, value_name = "FILE")]
    pub input_file: Option<PathBuf>,
    /// A Step Functions Local mock file (MockConfigFile.json) answering Task states.
    #[arg(long, value_name = "FILE", requires = "test_case")]
    pub mock_config: Option<PathBuf>,
    /// The test case of the mock file to use.
    #[arg(long, value_name = "NAME", requires = "mock_config")]
    pub test_case: Option<String>,
    /// How mocked results of AWS API calls are checked against the API's output shape, as
    /// TestState's field validation: `strict` (every required field present, every field of
    /// the shape and of its type), `present` (every field given is of the shape and of its
    /// type), `warn` (what `present` finds, said on stderr, and the run goes on), `none`.
    #[arg(long, value_name = "MODE", default_value = "warn", value_parser = ["strict", "present", "warn", "none"])]
    pub mock_validation: String,
    /// The state machine's name (in `$$`, ARNs and the mock file). Default: a template's logical
    /// id (`template.yaml#Id`, or the template's only state machine), else the definition's
    /// file name without its extension; a mock file with one state machine, named otherwise,
    /// gives its test cases all the same.
    #[arg(long, value_name = "NAME")]
    pub state_machine_name: Option<String>,
    /// The execution's name. Default: a random UUID.
    #[arg(long, value_name = "NAME")]
    pub execution_name: Option<String>,
    /// The execution role ARN shown in `$$.Execution.RoleArn`; with --remote, the role the
    /// state machine is created with (default: $ASL_REMOTE_ROLE_ARN).
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,
    /// The AWS region used in ARNs (default us-east-1) and by states run on AWS (default: the
    /// SDK's default chain, e.g. AWS_REGION or the profile's region).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// The AWS account id used in ARNs (default 123456789012; with --replay, the record's).
    #[arg(long, value_name = "ID")]
    pub account_id: Option<String>,
    /// How time passes (see the values).
    #[arg(long, value_enum, default_value = "virtual")]
    pub clock: ClockArg,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value = "output")]
    pub result_format: ResultFormat,
    /// Write the execution history (GetExecutionHistory's JSON) to FILE.
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// Draw the execution into FILE: `.svg` a picture of the path taken, `.html` (or `.htm`)
    /// an offline inspector (click a state for its input, output, variables, retries and
    /// error; the history's events beside the graph).
    #[arg(long, value_name = "FILE")]
    pub graph: Option<PathBuf>,
    /// Print a readable trace of the states on stderr.
    #[arg(long)]
    pub trace: bool,
    /// Fail the execution after this many history events (AWS's limit is 25000); 0 lifts it.
    #[arg(long, value_name = "N", default_value_t = 25_000)]
    pub max_events: u64,
    /// Lift AWS's 256 KiB limit on state outputs (States.DataLimitExceeded).
    #[arg(long)]
    pub no_payload_limit: bool,
    /// A handler configuration (JSON): which Task states go to a mock, a local command or AWS.
    #[arg(long, value_name = "FILE")]
    pub handlers: Option<PathBuf>,
    /// Answer STATE with a local command, run as `sh -c CMD` in the current directory
    /// (repeatable).
    #[arg(long, value_name = "STATE=CMD")]
    pub local: Vec<String>,
    /// Run STATE on AWS (any optimized or AWS SDK integration; a Distributed Map state: its
    /// objects on the real S3; repeatable).
    #[arg(long, value_name = "STATE")]
    pub aws: Vec<String>,
    /// Run the child state machine NAME from FILE where a Task starts it
    /// (`states:startExecution`, `.sync`, `.sync:2`, `aws-sdk:sfn:startSyncExecution`;
    /// repeatable; FILE may be `template.yaml#LogicalId`).
    #[arg(long, value_name = "NAME=FILE")]
    pub machine: Vec<String>,
    /// Run every Task state not routed otherwise on AWS, and Distributed Maps on the real S3
    /// (unless --s3-root is given).
    #[arg(long)]
    pub aws_all: bool,
    /// The port of the local callback endpoint for `.waitForTaskToken` states (default: any free
    /// port, printed on stderr).
    #[arg(long, value_name = "PORT")]
    pub callback_port: Option<u16>,
    #[command(flatten)]
    pub connection: super::aws_args::AwsArgs,
    /// The state machine's type: an EXPRESS execution has an `express:` ARN, no
    /// `RedriveCount`, no history cap but a five-minute limit, and no `.sync` or
    /// `.waitForTaskToken` resources (AWS refuses such a machine).
    #[arg(
        long = "type",
        value_enum,
        ignore_case = true,
        default_value = "STANDARD"
    )]
    pub machine_type: MachineTypeArg,
    /// Where a Distributed Map reads and writes S3 objects: `s3://BUCKET/KEY` is the file
    /// DIR/BUCKET/KEY (a bucket is a folder; keys may hold `/`). Wins over a route to AWS.
    #[arg(long, value_name = "DIR")]
    pub s3_root: Option<PathBuf>,
    /// Give up on an AWS call, retries included, after SECONDS: the state then fails with
    /// `Lambda.ClientExecutionTimeoutException` / `ECS.ClientExecutionTimeoutException`
    /// (default: 60 for ECS, 930 for Lambda, whose functions may run 15 minutes).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub aws_timeout: Option<u64>,
    /// How HTTP Tasks (`http:invoke`) are authorized: `connection` (the EventBridge
    /// connection's authorization and parameters, read from AWS as Step Functions does) or
    /// `none` (the request as the task writes it, for a local or test endpoint).
    #[arg(long, value_name = "MODE", default_value = "connection", value_parser = ["connection", "none"])]
    pub http_auth: String,
    /// Answer every Task state from this execution history (AWS's, or `--history`'s) and
    /// stop where the run departs from it (exit 3): another state, other parameters, a call
    /// the record lacks. The run starts with the recorded input (unless --input or
    /// --input-file is given), names and start time; the other handler flags answer the
    /// calls past the end of the record. See docs/record-replay.md.
    #[arg(long, value_name = "HISTORY")]
    pub replay: Option<PathBuf>,
    /// Run the definition on the real Step Functions instead: create the state machine
    /// (--state-machine-name, default as above; --role-arn or $ASL_REMOTE_ROLE_ARN; --type),
    /// or update it when it exists, start an execution with the input (--execution-name) and
    /// follow its history, printing what a local run prints. Ctrl-C stops the execution. See
    /// docs/record-replay.md.
    #[arg(
        long,
        conflicts_with_all = [
            "replay", "mock_config", "test_case", "handlers", "local", "aws", "aws_all",
            "machine", "s3_root", "callback_port", "max_events", "no_payload_limit", "clock",
            "account_id", "aws_timeout", "mock_validation", "http_auth", "ecs_poll_ms"
        ]
    )]
    pub remote: bool,
    /// With --remote: once the execution ended, replay its history locally and report on
    /// stderr every difference between AWS and asl, state by state (exit 4 when they differ).
    #[arg(long, requires = "remote")]
    pub compare_local: bool,
    /// First interval between ECS DescribeTasks rounds for `.sync`, in milliseconds (tests).
    #[arg(long, value_name = "MS", hide = true)]
    pub ecs_poll_ms: Option<u64>,
}

/// The account in ARNs: the flag's, else the default.
fn account_id(args: &RunArgs) -> String {
    args.account_id
        .clone()
        .unwrap_or_else(|| "123456789012".into())
}

pub fn read_file(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|e| {
        CliError::Input(format!(
            "{}: error: cannot read the file: {e}",
            path.display()
        ))
    })
}

/// Reads and loads a definition file (JSON, YAML, or a CloudFormation/SAM template holding
/// exactly one state machine) through the loader `asl validate` uses, rendering every error
/// with its location.
pub fn load_definition(path: &Path) -> Result<StateMachine, CliError> {
    let (file, id) = split_logical_id(path);
    load_definition_named(&file, id.as_deref())
}

/// `template.yaml#LogicalId` -> (`template.yaml`, `LogicalId`), unless a file is named so.
pub fn split_logical_id(path: &Path) -> (PathBuf, Option<String>) {
    let text = path.to_string_lossy();
    match text.rsplit_once('#') {
        Some((file, id)) if !path.exists() && !id.is_empty() => {
            (PathBuf::from(file), Some(id.to_string()))
        }
        _ => (path.to_path_buf(), None),
    }
}

/// [`load_definition`] of the state machine with logical id `id` in a template (`None`: the
/// file must hold exactly one).
pub fn load_definition_named(path: &Path, id: Option<&str>) -> Result<StateMachine, CliError> {
    load_named(path, id, false, None).map(|(m, _, _)| m)
}

/// [`load_definition_named`] with the machine's name by default (the template's logical id
/// when the file is a template, named after `#` or its only state machine, else the file
/// name without its extension: [`machine_name`]) and the warnings `asl validate` gives about
/// the definition (`asl test` shows them: a definition that runs may still do what its
/// author did not mean).
pub fn load_definition_warned(
    path: &Path,
    id: Option<&str>,
) -> Result<(StateMachine, Vec<DefinitionWarning>, String), CliError> {
    let mut warnings = Vec::new();
    let (m, _, logical) = load_named(path, id, false, Some(&mut warnings))?;
    Ok((m, warnings, logical.unwrap_or_else(|| machine_name(path))))
}

/// [`load_definition`] with the definition's JSON as written, for `asl graph` (which shows
/// Choice conditions and each state's text; the compiled model keeps neither).
pub fn load_definition_with_json(path: &Path) -> Result<(StateMachine, Value), CliError> {
    let (file, id) = split_logical_id(path);
    load_named(&file, id.as_deref(), true, None).map(|(m, json, _)| (m, json))
}

/// The loader behind them: with `keep_json`, a copy of the JSON is kept before the loader
/// consumes the tree (`Value::Null` otherwise); the template's logical id of the machine, if
/// the file is a template.
pub(super) fn load_named(
    path: &Path,
    id: Option<&str>,
    keep_json: bool,
    warnings: Option<&mut Vec<DefinitionWarning>>,
) -> Result<(StateMachine, Value, Option<String>), CliError> {
    let mut defs = crate::source::load(path, &[]).map_err(|e| CliError::Input(e.to_string()))?;
    let shown = path.display().to_string();
    if let Some(id) = id {
        let names: Vec<String> = defs.iter().filter_map(|d| d.name.clone()).collect();
        defs.retain(|d| d.name.as_deref() == Some(id));
        if defs.is_empty() {
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            return Err(CliError::Input(format!(
                "{shown}: error: the template has no state machine `{id}`{} (it has: {})",
                crate::definition::diagnostic::did_you_mean_in(id, &refs),
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            )));
        }
    }
    let def = match defs.as_mut_slice() {
        [one] => one,
        [] => {
            return Err(CliError::Input(format!(
                "{shown}: error: the template holds no state machine"
            )));
        }
        many => {
            let names: Vec<String> = many.iter().filter_map(|d| d.name.clone()).collect();
            return Err(CliError::Input(format!(
                "{shown}: error: the template holds {} state machines ({}); name one as `{shown}#LogicalId`",
                many.len(),
                names.join(", ")
            )));
        }
    };
    if def.value.is_err() {
        let findings = crate::validate::validate_definition(def, &Default::default());
        let msgs: Vec<String> = findings
            .iter()
            .map(|f| render::finding(&def.document, f))
            .collect();
        return Err(CliError::Input(msgs.join("\n")));
    }
    // A key written twice (two states of one name, say) is gone from the parsed value; AWS
    // refuses such a definition, and so does `run`.
    let repeated = crate::validate::duplicate_findings(def);
    if !repeated.is_empty() {
        return Err(invalid(def, repeated));
    }
    if let Some(out) = warnings {
        let findings = crate::validate::validate_definition(def, &Default::default());
        for f in findings
            .iter()
            .filter(|f| f.diagnostic.severity == crate::definition::Severity::Warning)
        {
            out.push(DefinitionWarning {
                file: def.document.path.clone(),
                line: f.position.map(|p| p.line),
                column: f.position.map(|p| p.column),
                code: f.diagnostic.code.as_str().to_string(),
                message: f.diagnostic.message.clone(),
                pointer: f.diagnostic.shown_at().to_string(),
                rendered: render::finding(&def.document, f),
            });
        }
    }
    // The loader frees the parsed tree as it goes (its states one by one), so the memory
    // serves the compiled model and then the run instead of fresh pages.
    let value = std::mem::replace(&mut def.value, Ok(Value::Null)).unwrap_or_default();
    let kept = if keep_json {
        value.clone()
    } else {
        Value::Null
    };
    let loaded = definition::load_owned(value);
    match loaded.machine {
        Some(m) => {
            let logical = def.name.clone();
            drop(defs);
            Ok((m, kept, logical))
        }
        None => {
            let errors = loaded
                .diagnostics
                .into_iter()
                .filter(|d| d.is_error())
                .map(|d| crate::validate::Finding {
                    position: def.position(d.shown_at()),
                    diagnostic: d,
                })
                .collect();
            Err(invalid(def, errors))
        }
    }
}

/// The refusal of a definition `run` cannot run: each error where it is, then a count.
fn invalid(def: &crate::source::Definition, errors: Vec<crate::validate::Finding>) -> CliError {
    let msgs: Vec<String> = errors
        .iter()
        .map(|f| render::finding(&def.document, f))
        .collect();
    CliError::Input(format!(
        "{}\n{}: the definition is invalid ({} error{})",
        msgs.join("\n"),
        def.label(),
        msgs.len(),
        if msgs.len() == 1 { "" } else { "s" }
    ))
}

/// The default state machine name: the file name without `.asl.json`, `.json`, `.yaml`, ...
pub fn machine_name(path: &Path) -> String {
    if let (_, Some(id)) = split_logical_id(path) {
        return id;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    for ext in [
        ".asl.json",
        ".asl.yaml",
        ".asl.yml",
        ".json",
        ".yaml",
        ".yml",
    ] {
        if let Some(stem) = name.strip_suffix(ext) {
            return stem.to_string();
        }
    }
    name
}

/// The execution input, and the text it was parsed from.
pub(super) fn read_input(args: &RunArgs) -> Result<(Value, Arc<str>), CliError> {
    let (text, origin) = match (&args.input, &args.input_file) {
        (Some(s), _) => (s.clone(), "--input".to_string()),
        (None, Some(p)) => (read_file(p)?, p.display().to_string()),
        (None, None) => {
            use std::io::IsTerminal;
            if std::io::stdin().is_terminal() {
                ("{}".to_string(), "stdin".to_string())
            } else {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s).map_err(|e| {
                    CliError::Input(format!("stdin: error: cannot read the input: {e}"))
                })?;
                if s.trim().is_empty() {
                    s = "{}".into();
                }
                (s, "stdin".to_string())
            }
        }
    };
    // The text is kept for `$$.Execution.Input`; moved into its shared form before the parse,
    // so the copy that takes is never held beside the parsed value.
    let text: Arc<str> = text.into();
    // A large input is mostly a Map's items: parsed at its exact size (source/json.rs).
    match crate::source::json::parse(&text) {
        Ok((v, _)) => Ok((v, text)),
        Err(e) => Err(CliError::Input(render::json_error(&origin, &text, &e))),
    }
}

/// The mock handler of `--mock-config` / `--test-case`, checked against the definition.
fn mock_handler(
    args: &RunArgs,
    tasks: &[&str],
    resources: &[(&str, &Resource)],
    name: &str,
) -> Result<Option<Arc<MockHandler>>, CliError> {
    let (Some(path), Some(case)) = (&args.mock_config, &args.test_case) else {
        return Ok(None);
    };
    let text = read_file(path)?;
    let shown = path.display().to_string();
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| CliError::Input(render::json_error(&shown, &text, &e)))?;
    let name = match MockHandler::only_machine(&doc, name) {
        Some(only) if args.state_machine_name.is_none() => only,
        _ => name,
    };
    let mock = MockHandler::from_value(&doc, name, case).map_err(|errs| {
        CliError::Input(
            errs.iter()
                .map(|e| render::located(&shown, &text, &e.pointer, "error", &e.message))
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })?;
    let known: std::collections::HashSet<&str, foldhash::fast::RandomState> =
        tasks.iter().copied().collect();
    let mut unknown: Vec<&str> = mock.states().filter(|s| !known.contains(s)).collect();
    unknown.sort();
    if let Some(s) = unknown.first() {
        let pointer = format!("/StateMachines/{name}/TestCases/{case}/{s}");
        return Err(CliError::Input(
            render::located(
                &shown,
                &text,
                &definition::Pointer::root()
                    .key("StateMachines")
                    .key(name)
                    .key("TestCases")
                    .key(case)
                    .key(s)
                    .to_string(),
                "error",
                &format!(
                    "the test case mocks `{s}`, which is not a Task state of the definition{}",
                    crate::definition::diagnostic::did_you_mean_in(s, tasks)
                ),
            ) + &format!(" [{pointer}]"),
        ));
    }
    let check = MockCheck::parse(&args.mock_validation);
    let bad = mock_mismatches(&mock, resources, check);
    if !bad.is_empty() {
        let said = bad
            .iter()
            .map(|(p, m)| render::located(&shown, &text, p, check.severity(), m))
            .collect::<Vec<_>>()
            .join("\n");
        if check.fatal {
            return Err(CliError::Input(said));
        }
        say!("{said}");
    }
    Ok(Some(Arc::new(mock)))
}

/// `--mock-validation`: how mocked results of AWS API calls are checked against the
/// operation's output shape, and whether a mismatch stops the run. The default, `warn`, says
/// what `present` finds and runs on: Step Functions Local never checked mocks, and mock files
/// written for it (AWS's own samples among them) give an `events:putEvents` state a Lambda's
/// `Payload`; they run here unchanged, with the mismatch pointed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MockCheck {
    pub fields: FieldValidation,
    /// A mismatch is an input error (exit 2), not a warning.
    pub fatal: bool,
}

impl MockCheck {
    /// From the flag's value (clap has already limited it to the four names).
    pub fn parse(mode: &str) -> MockCheck {
        match mode {
            "strict" => MockCheck {
                fields: FieldValidation::Strict,
                fatal: true,
            },
            "present" => MockCheck {
                fields: FieldValidation::Present,
                fatal: true,
            },
            "none" => MockCheck {
                fields: FieldValidation::None,
                fatal: false,
            },
            _ => MockCheck {
                fields: FieldValidation::Present,
                fatal: false,
            },
        }
    }

    /// How a mismatch is labelled where it is shown.
    pub fn severity(self) -> &'static str {
        if self.fatal { "error" } else { "warning" }
    }

    /// What to tell the reader about the flag, after a mismatch.
    pub fn hint(self) -> &'static str {
        if self.fatal {
            "--mock-validation none accepts it"
        } else {
            "--mock-validation present makes this an error, none says nothing"
        }
    }
}

/// Mocked results that could not come from the API their state calls: (pointer in the mock
/// file, message).
pub fn mock_mismatches(
    mock: &MockHandler,
    resources: &[(&str, &Resource)],
    check: MockCheck,
) -> Vec<(String, String)> {
    shape_check::mock_mismatches(mock, resources, check.fields)
        .into_iter()
        .map(|m| {
            let message = format!(
                "the mocked result of `{}` cannot come from `{}`: {} ({})",
                m.state,
                m.resource.arn,
                m.why,
                check.hint()
            );
            (m.pointer, message)
        })
        .collect()
}

/// The `--handlers` file, parsed and checked against the definition's Task states.
pub(super) fn handler_config(path: &Path) -> Result<(HandlerConfig, String, String), CliError> {
    let text = read_file(path)?;
    let shown = path.display().to_string();
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| CliError::Input(render::json_error(&shown, &text, &e)))?;
    let base = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let render_all = |errs: Vec<ConfigError>| {
        CliError::Input(
            errs.iter()
                .map(|e| render::located(&shown, &text, &e.pointer, "error", &e.message))
                .collect::<Vec<_>>()
                .join("\n"),
        )
    };
    let cfg = HandlerConfig::from_value(&doc, base).map_err(render_all)?;
    Ok((cfg, shown, text))
}

/// Refuses routes in the handlers file for states no definition of the run has.
fn check_config_states(
    (cfg, shown, text): &(HandlerConfig, String, String),
    tasks: &[&str],
) -> Result<(), CliError> {
    let unknown = cfg.unknown_states(tasks);
    if unknown.is_empty() {
        return Ok(());
    }
    Err(CliError::Input(
        unknown
            .iter()
            .map(|e| render::located(shown, text, &e.pointer, "error", &e.message))
            .collect::<Vec<_>>()
            .join("\n"),
    ))
}

/// Why a state has its route, for messages.
fn origin(how: &Option<(String, String, String)>, pointer: &str) -> String {
    match how {
        Some((shown, text, _)) => {
            let at = crate::source::locate(text, pointer)
                .map(|p| format!(":{}:{}", p.line, p.column))
                .unwrap_or_default();
            format!("by {shown}{at} (at {pointer})")
        }
        None => pointer.to_string(),
    }
}

/// What a run's Task states are answered by, and what the run must see to afterwards.
struct Handlers {
    registry: Registry,
    /// The AWS side, when a Task state is routed there (to stop what it started early).
    aws: Option<Arc<AwsHandler>>,
    /// Where Distributed Maps, the parent's and its children's, find S3.
    storage: Option<Arc<dyn crate::storage::ObjectStore>>,
    /// The child executions' histories, with `--history`.
    histories: Option<Histories>,
}

/// Decides the route of every Task state, checks the routes before the run, and builds the
/// registry.
fn build_handlers(
    args: &RunArgs,
    machine: &StateMachine,
    name: &str,
    rt: &tokio::runtime::Runtime,
) -> Result<Handlers, CliError> {
    // With `--history`, the child executions' histories are kept to be written beside it.
    let histories: Option<Histories> = args.history.is_some().then(Histories::default);
    // Child state machines the run knows: where a Task starts one, it runs here. Their Task
    // states are routed by name like the parent's, so they may be named by the flags too.
    let mut machines = HashMap::new();
    let mut machine_files: Vec<(String, PathBuf)> = Vec::new();
    let config = match &args.handlers {
        Some(p) => Some(handler_config(p)?),
        None => None,
    };
    if let Some((cfg, _, _)) = &config {
        for (n, f, _) in &cfg.machines {
            machine_files.push((n.clone(), f.clone()));
        }
    }
    for m in &args.machine {
        let Some((n, f)) = m.split_once('=') else {
            return Err(CliError::Usage(format!(
                "--machine expects NAME=FILE, found `{m}`"
            )));
        };
        machine_files.push((n.to_string(), PathBuf::from(f)));
    }
    for (n, f) in machine_files {
        machines.insert(n, Arc::new(load_definition(&f)?));
    }
    let parent_tasks: Vec<&str> = machine
        .root
        .all_states()
        .into_iter()
        .filter(|s| matches!(s.kind, Kind::Task(_)))
        .map(|s| s.name.as_str())
        .collect();
    // The parent's Task states, then the children's (by machine name, for a stable order); a
    // name already seen keeps its first route.
    let mut children: Vec<(&String, &Arc<StateMachine>)> = machines.iter().collect();
    children.sort_by(|a, b| a.0.cmp(b.0));
    let mut seen: std::collections::HashSet<&str, foldhash::fast::RandomState> = Default::default();
    let mut task_states: Vec<(&str, &Resource)> = Vec::new();
    for m in std::iter::once(machine).chain(children.iter().map(|(_, m)| &***m)) {
        for s in m.root.all_states() {
            if let Kind::Task(t) = &s.kind
                && seen.insert(s.name.as_str())
            {
                task_states.push((s.name.as_str(), &t.resource));
            }
        }
    }
    let tasks: Vec<&str> = task_states.iter().map(|(n, _)| *n).collect();
    // The mock file's test case is the parent's: it may mock only the parent's states.
    let mock = mock_handler(args, &parent_tasks, &task_states, name)?;
    // Distributed Map states that read or write S3, with the resources they call: they may
    // be routed to AWS (real S3) like Task states, by name or by those resources.
    let mut s3_maps = s3_maps(machine);
    for (_, m) in &children {
        s3_maps.extend(self::s3_maps(m));
    }
    let mut routable = tasks.clone();
    routable.extend(s3_maps.iter().map(|(n, _)| *n));

    // Flags naming states: --local STATE=CMD, --aws STATE.
    let mut by_flag: HashMap<&str, (Route, String)> = HashMap::new();
    for l in &args.local {
        let Some((state, cmd)) = l.split_once('=') else {
            return Err(CliError::Usage(format!(
                "--local expects STATE=COMMAND, found `{l}`"
            )));
        };
        by_flag.insert(
            state,
            (
                Route::Command(CommandSpec::shell(cmd)),
                format!("--local {state}=..."),
            ),
        );
    }
    for state in &args.aws {
        by_flag.insert(state, (Route::Aws, format!("--aws {state}")));
    }
    for state in by_flag.keys() {
        if !routable.contains(state) {
            return Err(CliError::Usage(format!(
                "`{state}` is not a Task state of the definition{}",
                crate::definition::diagnostic::did_you_mean_in(state, &routable)
            )));
        }
    }
    if let Some(c) = &config {
        check_config_states(c, &routable)?;
    }
    let how = config
        .as_ref()
        .map(|(_, shown, text)| (shown.clone(), text.clone(), String::new()));

    // A Map state goes to real S3 when routed to AWS; `--s3-root` keeps every Map local.
    let mut s3_on_aws = false;
    for (state, arns) in &s3_maps {
        let named = config
            .as_ref()
            .and_then(|(c, _, _)| c.route(state, ""))
            .filter(|(r, at)| at.starts_with("/States/") && matches!(r, Route::Command(_)));
        if let Some((_, at)) = named {
            return Err(CliError::Input(format!(
                "error: `{state}` is a Map state: it cannot run as a local command ({}); route it to AWS for the real S3, or give --s3-root DIR",
                origin(&how, at)
            )));
        }
        let route = if let Some((r, _)) = by_flag.get(state) {
            Some(r.clone())
        } else if let Some(r) = config.as_ref().and_then(|(c, _, _)| {
            arns.iter()
                .filter_map(|arn| c.route(state, arn))
                .map(|(r, _)| r.clone())
                .find(|r| matches!(r, Route::Aws))
        }) {
            Some(r)
        } else if args.aws_all {
            Some(Route::Aws)
        } else {
            None
        };
        match route {
            Some(Route::Aws) => s3_on_aws = true,
            Some(Route::Command(_)) if by_flag.contains_key(state) => {
                return Err(CliError::Usage(format!(
                    "`{state}` is a Map state: it cannot run as a local command (route it to AWS with --aws {state}, or give --s3-root DIR)"
                )));
            }
            _ => {}
        }
    }
    let storage =
        match &args.s3_root {
            Some(dir) if dir.is_dir() => Some(Arc::new(crate::storage::LocalStore::new(dir))
                as Arc<dyn crate::storage::ObjectStore>),
            Some(dir) => {
                return Err(CliError::Usage(format!(
                    "--s3-root `{}` is not a directory",
                    dir.display()
                )));
            }
            None if s3_on_aws => Some(s3_store(args)?),
            None => None,
        };

    // Every Task state's route, and why.
    let mut routes: Vec<(&str, &Resource, Route, String)> = Vec::new();
    for (state, resource) in &task_states {
        let chosen = if let Some((r, why)) = by_flag.get(state) {
            Some((r.clone(), why.clone()))
        } else if let Some((r, ptr)) = config
            .as_ref()
            .and_then(|(c, _, _)| c.route(state, &resource.arn))
        {
            Some((r.clone(), origin(&how, ptr)))
        } else if args.aws_all && parent_tasks.contains(state) {
            Some((Route::Aws, "--aws-all".to_string()))
        } else if mock.is_some() && parent_tasks.contains(state) {
            // A child machine's states keep the mock file's test case under its own name.
            Some((Route::Mock, "--mock-config".to_string()))
        } else {
            None
        };
        if let Some((r, why)) = chosen {
            routes.push((state, resource, r, why));
        }
    }

    // Refuse what cannot work before anything runs.
    let mut problems = Vec::new();
    for (state, resource, route, why) in &routes {
        match route {
            Route::Mock if mock.is_none() => problems.push(format!(
                "error: the Task state `{state}` is routed to mock ({why}) but no mock file is given: add --mock-config FILE --test-case NAME"
            )),
            Route::Aws => {
                if let Some(why_not) = routing::aws_refusal(resource) {
                    problems.push(format!(
                        "error: the Task state `{state}` is routed to AWS ({why}), but its resource `{}` cannot run there: {why_not}; mock it (--mock-config FILE --test-case NAME) or run it as a local command (--local '{state}=COMMAND')",
                        resource.arn
                    ));
                }
            }
            _ => {}
        }
    }
    if !problems.is_empty() {
        return Err(CliError::Input(problems.join("\n")));
    }

    let needs_callback = routes.iter().any(|(_, r, route, _)| {
        r.pattern == Pattern::WaitForTaskToken && !matches!(route, Route::Mock)
    }) || (!machines.is_empty()
        && task_states.iter().any(|(state, r)| {
            r.pattern == Pattern::WaitForTaskToken
                && crate::handlers::machines::Machines::handles(&r.kind)
                && !routes
                    .iter()
                    .any(|(s, _, route, _)| s == state && !matches!(route, Route::Mock))
                && !mock
                    .as_ref()
                    .is_some_and(|m| m.states().any(|m| m == *state))
        }));
    let server = if needs_callback || args.callback_port.is_some() {
        let port = args.callback_port.unwrap_or(0);
        let server = CallbackServer::bind(port).map_err(|e| {
            CliError::Usage(format!(
                "cannot listen on 127.0.0.1:{port} for task-token callbacks: {e}"
            ))
        })?;
        say!(
            "asl: callback endpoint {} (SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat)",
            server.endpoint()
        );
        Some(server)
    } else {
        None
    };
    let endpoint = server.as_ref().map(|s| s.endpoint());
    let aws = if routes.iter().any(|(_, _, r, _)| matches!(r, Route::Aws)) {
        Some(aws_handler(args, rt)?)
    } else {
        None
    };

    let mut registry = Registry::new();
    for (state, resource, route, _) in routes {
        let h: Arc<dyn TaskHandler> = match route {
            Route::Mock => match &mock {
                Some(m) => m.clone(),
                None => continue,
            },
            Route::Command(spec) => Arc::new(CommandHandler::new(spec, endpoint.clone())),
            Route::Aws => match &aws {
                Some(a) => a.clone() as Arc<dyn TaskHandler>,
                None => continue,
            },
        };
        let h = match (&server, resource.pattern, h.name()) {
            (Some(s), Pattern::WaitForTaskToken, n) if n != "mock" => {
                Arc::new(WaitForCallback::new(h, s.clone())) as Arc<dyn TaskHandler>
            }
            _ => h,
        };
        registry.for_state(state, h);
    }
    if !machines.is_empty() {
        let mocks = match (&args.mock_config, &args.test_case) {
            (Some(p), Some(case)) => serde_json::from_str(&read_file(p)?)
                .ok()
                .map(|doc| (doc, case.clone())),
            _ => None,
        };
        let mut routes = registry.clone();
        if let Some(m) = &mock {
            routes.fallback(m.clone());
        }
        let handler = Arc::new(crate::handlers::machines::Machines {
            machines: machines.clone(),
            routes,
            mocks,
            clock: match args.clock {
                ClockArg::Virtual => Clock::Virtual,
                ClockArg::Real => Clock::Real,
            },
            region: args.region.clone().unwrap_or_else(|| "us-east-1".into()),
            account_id: account_id(args),
            role_arn: args
                .role_arn
                .clone()
                .unwrap_or_else(|| Options::default().role_arn),
            seed: None,
            depth: 0,
            callback: server.clone(),
            histories: histories.clone(),
            storage: storage.clone(),
        });
        let mocked: Vec<String> = mock
            .as_ref()
            .map(|m| m.states().map(str::to_string).collect())
            .unwrap_or_default();
        for (state, resource) in &task_states {
            let routed = registry
                .handler(state, resource)
                .is_some_and(|h| h.name() != "mock");
            if crate::handlers::machines::Machines::handles(&resource.kind)
                && !routed
                && !mocked.iter().any(|m| m == state)
            {
                registry.for_state(*state, handler.clone());
            }
        }
    }
    if let Some(m) = mock {
        registry.fallback(m);
    }
    registry.advise(Arc::new(no_handler_advice));
    Ok(Handlers {
        registry,
        aws,
        storage,
        histories,
    })
}

/// The ways that would answer a Task state nothing answers: only routes that work for its
/// resource are suggested.
fn no_handler_advice(state: &str, r: &Resource) -> String {
    let mut ways = vec![
        "mock it in the mock file's test case (--mock-config, --test-case)".to_string(),
        format!("run it as a local command (--local '{state}=COMMAND')"),
    ];
    if crate::handlers::machines::Machines::handles(&r.kind) {
        ways.push("run the child machine here (--machine NAME=FILE)".to_string());
    }
    if routing::aws_refusal(r).is_none() {
        ways.push(format!("run it on AWS (--aws {state})"));
    }
    let last = ways.pop().unwrap_or_default();
    format!("{} or {last}", ways.join(", "))
}

/// The Distributed Map states that read or write S3 (at any depth), with the resource ARNs
/// of their ItemReader and ResultWriter.
fn s3_maps(machine: &StateMachine) -> Vec<(&str, Vec<&'static str>)> {
    use crate::definition::ReaderResource;
    machine
        .root
        .all_states()
        .into_iter()
        .filter_map(|s| match &s.kind {
            Kind::Map(m) => {
                let mut arns = Vec::new();
                match m.item_reader.as_ref().map(|r| &r.resource) {
                    Some(ReaderResource::GetObject) => arns.push("arn:aws:states:::s3:getObject"),
                    Some(ReaderResource::ListObjects) => {
                        arns.push("arn:aws:states:::s3:listObjectsV2")
                    }
                    None => {}
                }
                if m.result_writer.as_ref().is_some_and(|w| w.target.is_some()) {
                    arns.push("arn:aws:states:::s3:putObject");
                }
                (!arns.is_empty()).then_some((s.name.as_str(), arns))
            }
            _ => None,
        })
        .collect()
}

/// The handler for states run on AWS.
#[cfg(not(feature = "aws"))]
pub(super) fn aws_handler(
    _args: &RunArgs,
    _rt: &tokio::runtime::Runtime,
) -> Result<Arc<AwsHandler>, CliError> {
    Err(CliError::Usage(
        "this build of asl has no AWS support (build it with the cargo feature `aws`); mock the states or run them as local commands".into(),
    ))
}

#[cfg(not(feature = "aws"))]
pub(super) fn aws_handler_with(
    args: &RunArgs,
    rt: &tokio::runtime::Runtime,
    _service_endpoints: crate::handlers::aws::endpoint::ServiceEndpoints,
) -> Result<Arc<AwsHandler>, CliError> {
    aws_handler(args, rt)
}

/// The handler for states run on AWS: SDK clients from the default chain and the flags.
#[cfg(feature = "aws")]
pub(super) fn aws_handler(
    args: &RunArgs,
    rt: &tokio::runtime::Runtime,
) -> Result<Arc<AwsHandler>, CliError> {
    aws_handler_with(args, rt, Default::default())
}

/// [`aws_handler`] with one service's endpoint each (`asl serve`'s `LAMBDA_ENDPOINT`, ...).
#[cfg(feature = "aws")]
pub(super) fn aws_handler_with(
    args: &RunArgs,
    rt: &tokio::runtime::Runtime,
    service_endpoints: crate::handlers::aws::endpoint::ServiceEndpoints,
) -> Result<Arc<AwsHandler>, CliError> {
    use crate::handlers::aws::http_task::HttpAuth;
    use crate::handlers::aws::{
        ApiHandler, EcsRunner, PollPolicy, SdkSettings, SfnRunner, sdk_clients,
    };
    let settings = SdkSettings {
        profile: args.connection.profile.clone(),
        region: args.region.clone(),
        endpoint_url: args.connection.endpoint_url.clone(),
        timeout: args.aws_timeout.map(std::time::Duration::from_secs),
        service_endpoints,
    };
    let clients = rt.block_on(sdk_clients(&settings));
    let policy = match args.ecs_poll_ms {
        Some(ms) => PollPolicy {
            initial: std::time::Duration::from_millis(ms),
            max: std::time::Duration::from_millis(ms.saturating_mul(4)),
            factor: 1.5,
        },
        None => PollPolicy::default(),
    };
    let sfn_policy = match args.ecs_poll_ms {
        Some(_) => policy,
        None => PollPolicy {
            initial: std::time::Duration::from_secs(1),
            max: std::time::Duration::from_secs(10),
            factor: 1.5,
        },
    };
    Ok(Arc::new(
        AwsHandler::new(clients.lambda, EcsRunner::new(clients.ecs, policy))
            .with_sfn(SfnRunner::new(clients.sfn, sfn_policy))
            .with_api(Arc::new(
                ApiHandler::new(clients.api, sfn_policy).with_http_auth(
                    if args.http_auth == "none" {
                        HttpAuth::None
                    } else {
                        HttpAuth::Connection
                    },
                ),
            )),
    ))
}

/// Real S3 for Distributed Maps routed to AWS, with the flags' profile, region and endpoint.
#[cfg(feature = "aws")]
fn s3_store(args: &RunArgs) -> Result<Arc<dyn crate::storage::ObjectStore>, CliError> {
    let settings = crate::storage::S3Settings {
        profile: args.connection.profile.clone(),
        region: args.region.clone(),
        endpoint_url: args.connection.endpoint_url.clone(),
    };
    crate::storage::S3Store::connect(&settings)
        .map(|s| Arc::new(s) as Arc<dyn crate::storage::ObjectStore>)
        .map_err(|e| CliError::Fault(e.to_string()))
}

#[cfg(not(feature = "aws"))]
fn s3_store(_args: &RunArgs) -> Result<Arc<dyn crate::storage::ObjectStore>, CliError> {
    Err(CliError::Usage(
        "this build of asl has no AWS support (build it with the cargo feature `aws`): give --s3-root DIR for the Map's S3 objects".into(),
    ))
}

/// AWS refuses to create an Express machine with `.sync` or `.waitForTaskToken` resources:
/// so does `run --type EXPRESS`, with `validate`'s diagnostics.
pub(super) fn refuse_for_express(path: &Path) -> Result<(), CliError> {
    let (file, id) = split_logical_id(path);
    let defs = crate::source::load(&file, &[]).map_err(|e| CliError::Input(e.to_string()))?;
    let opts = crate::validate::Options {
        machine_type: crate::validate::MachineType::Express,
    };
    let mut msgs = Vec::new();
    for def in defs.iter().filter(|d| id.is_none() || d.name == id) {
        for f in crate::validate::validate_definition(def, &opts) {
            if f.diagnostic.is_error() {
                msgs.push(render::finding(&def.document, &f));
            }
        }
    }
    if msgs.is_empty() {
        Ok(())
    } else {
        Err(CliError::Input(format!(
            "{}\n{}: the definition cannot run as an EXPRESS state machine",
            msgs.join("\n"),
            path.display()
        )))
    }
}

/// The drawing `--graph FILE` asks for, by the file's extension.
pub(super) fn graph_format(path: &Path) -> Result<bool, CliError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("svg") => Ok(false),
        Some("html" | "htm") => Ok(true),
        _ => Err(CliError::Usage(format!(
            "--graph `{}`: expected a file name ending in .svg or .html",
            path.display()
        ))),
    }
}

pub fn run(args: RunArgs) -> Result<ExitCode, CliError> {
    if args.remote {
        #[cfg(feature = "aws")]
        return super::remote::run(&args);
        #[cfg(not(feature = "aws"))]
        return Err(CliError::Usage(
            "this build of asl has no AWS support (build it with the cargo feature `aws`): --remote runs on Step Functions".into(),
        ));
    }
    let express = args.machine_type == MachineTypeArg::Express;
    if express {
        refuse_for_express(&args.definition)?;
    }
    // The picture needs the definition's JSON as written (Choice conditions, each state's text).
    let html = args.graph.as_deref().map(graph_format).transpose()?;
    let (file, id) = split_logical_id(&args.definition);
    let (machine, raw, logical) = load_named(&file, id.as_deref(), html.is_some(), None)?;
    // A replay: the record, and the names and input it gives.
    let replay = match &args.replay {
        Some(path) => {
            let history = super::record::load_history(path)?;
            let rec = crate::record::Recording::attribute(&history, Some(&machine));
            for n in &rec.notes {
                say!("{}: warning: {n}", path.display());
            }
            let ctx = super::record::ReplayContext::new(
                &rec,
                path,
                &args.definition,
                args.execution_name.as_deref(),
                args.state_machine_name.as_deref(),
            );
            Some((Arc::new(rec), ctx, path.clone()))
        }
        None => None,
    };
    let (input, input_text) = match &replay {
        Some((rec, _, path)) if args.input.is_none() && args.input_file.is_none() => {
            match rec.input.json() {
                Some(v) => (v.clone(), None),
                None => {
                    return Err(CliError::Input(format!(
                        "{}: error: the recorded input is {}: give the input with --input or --input-file",
                        path.display(),
                        if rec.input.is_truncated() {
                            "truncated by AWS (`inputDetails.truncated`)"
                        } else {
                            "missing"
                        }
                    )));
                }
            }
        }
        _ => {
            let (v, text) = read_input(&args)?;
            (v, Some(text))
        }
    };
    // A template's machine is named by its logical id, as `asl test` names it.
    let name = match &replay {
        Some((_, ctx, _)) => ctx.state_machine.clone(),
        None => args
            .state_machine_name
            .clone()
            .or(logical)
            .unwrap_or_else(|| machine_name(&args.definition)),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Fault(format!("cannot start the async runtime: {e}")))?;
    let Handlers {
        registry: handlers,
        aws,
        storage,
        histories,
    } = build_handlers(&args, &machine, &name, &rt)?;
    let mut opts = Options {
        clock: match args.clock {
            ClockArg::Virtual => Clock::Virtual,
            ClockArg::Real => Clock::Real,
        },
        state_machine_name: name,
        handlers,
        keep_history: args.history.is_some() || html == Some(true),
        max_events: (args.max_events > 0).then_some(args.max_events),
        payload_limit: (!args.no_payload_limit).then_some(engine::PAYLOAD_LIMIT),
        abort_on_ctrl_c: true,
        region: args.region.clone().unwrap_or_else(|| "us-east-1".into()),
        account_id: account_id(&args),
        input_text,
        express,
        storage,
        ..Options::default()
    };
    if let Some(n) = &args.execution_name {
        opts.execution_name = n.clone();
    }
    if let Some(r) = &args.role_arn {
        opts.role_arn = r.clone();
    }
    let recorder = args.graph.as_ref().map(|_| {
        let r = Arc::new(crate::testing::record::Recorder::default());
        opts.probe = Some(r.clone());
        r
    });
    // A replay runs as the record says (the flags win), on a virtual clock from the recorded
    // start; its Task calls go to the record first, the run's handlers past its end. The
    // replayer is the run's probe; the picture's recorder hears through it.
    let replayer = match &replay {
        Some((rec, ctx, _)) => {
            let given = ctx.options(Registry::new());
            opts.clock = given.clock;
            opts.seed = given.seed;
            opts.execution_name = ctx.execution.clone();
            if args.region.is_none() {
                opts.region = given.region;
            }
            if args.account_id.is_none() {
                opts.account_id = given.account_id;
            }
            if args.role_arn.is_none() {
                opts.role_arn = given.role_arn;
            }
            let fallback = std::mem::take(&mut opts.handlers);
            let mut r = crate::record::Replayer::new(rec.clone());
            if !fallback.is_empty() {
                r = r.with_fallback(fallback);
            }
            if let Some(rec) = &recorder {
                r = r.with_probe(rec.clone());
            }
            let r = Arc::new(r);
            opts.probe = Some(r.clone());
            let mut registry = Registry::new();
            registry.fallback(r.clone());
            opts.handlers = registry;
            Some(r)
        }
        None => None,
    };
    if args.trace {
        opts.sink = Some(Box::new(Tracer::new()));
    }

    // A run whose history is kept draws from a seed written with it, so that a replay of the
    // history draws the same task tokens and UUIDs.
    if args.history.is_some() && opts.seed.is_none() {
        use rand::Rng;
        opts.seed = Some(rand::thread_rng().r#gen::<u64>() >> 11);
    }
    let seed = opts.seed;
    let outcome = rt
        .block_on(async {
            let outcome = engine::run(&machine, input, opts).await;
            // An execution that ended early (Ctrl-C, a fault) may leave ECS tasks running.
            if let Some(sfn) = aws.as_ref().and_then(|a| a.sfn()) {
                sfn.stop_outstanding().await;
            }
            // `.sync` jobs (Batch, Glue, Athena, ...) still running are stopped as AWS does.
            if let Some(api) = aws.as_ref().and_then(|a| a.api_handler()) {
                api.stop_outstanding().await;
            }
            if let Some(ecs) = aws.as_ref().map(|a| a.ecs()) {
                let succeeded = matches!(&outcome, Ok(o) if o.status == engine::Status::Succeeded);
                let cleanup = async {
                    ecs.stop_outstanding().await;
                    if !succeeded {
                        ecs.stop_callback_tasks().await;
                    }
                };
                // StopTask calls are bounded (--aws-timeout), but whoever signals twice does
                // not want to wait for them.
                tokio::select! {
                    () = cleanup => {}
                    why = engine::stop_signal() => say!(
                        "asl: {why} while stopping ECS tasks: not waiting for StopTask; tasks of this run may still be running"
                    ),
                }
            }
            outcome
        })
        .map_err(|f| match replayer.as_ref().and_then(|r| r.departure()) {
            Some(d) => CliError::Departed(d.message()),
            None => CliError::Fault(f.message),
        })?;
    if let Some(path) = &args.history {
        write_history(path, &outcome, histories.as_ref(), seed)?;
    }
    if let (Some(path), Some(rec)) = (&args.graph, &recorder) {
        write_graph(
            path,
            html == Some(true),
            &machine,
            &raw,
            &rec.finish(),
            &outcome,
        )?;
    }
    let code = print_outcome(&outcome, args.result_format);
    if let (Some(r), Some((_, _, path))) = (&replayer, &replay) {
        match r.verdict(&outcome) {
            crate::record::Verdict::Departed(d) => return Err(CliError::Departed(d.message())),
            crate::record::Verdict::Followed { calls, beyond } => {
                say!(
                    "replay: the run followed {} ({calls} Task call{} answered from it){}",
                    path.display(),
                    if calls == 1 { "" } else { "s" },
                    match beyond {
                        Some(b) => format!(", and went past its end at {b}"),
                        None => String::new(),
                    }
                );
            }
        }
    }
    // As above: the process is about to exit, so the machine and the outcome are not freed.
    std::mem::forget(machine);
    std::mem::forget(outcome);
    code
}

/// The execution drawn over its definition, into `path`.
pub(super) fn write_graph(
    path: &Path,
    html: bool,
    machine: &StateMachine,
    raw: &Value,
    record: &crate::testing::record::Record,
    outcome: &Outcome,
) -> Result<(), CliError> {
    let events: Vec<Value> = outcome.events.iter().map(|e| e.to_json()).collect();
    let overlay = super::overlay::execution(record, outcome, events);
    let diagram = crate::graph::Diagram::build(machine, raw);
    let text = if html {
        crate::graph::html_with(&diagram, Some(&overlay))
    } else {
        crate::graph::svg_with(&diagram, Some(&overlay))
    };
    std::fs::write(path, text).map_err(|e| {
        CliError::Input(format!(
            "{}: error: cannot write the graph: {e}",
            path.display()
        ))
    })
}

/// `{"executionArn": ..., "events": [...]}`, the events as GetExecutionHistory gives them, and
/// when child state machines ran,
/// `"childExecutions": {ARN: {"stateMachineArn", "startedBy", "events"}}` in the order they
/// ended: each child's own history, linked to the parent's `TaskSubmitted` by its ARN.
/// `arn:aws:states:R:A:stateMachine:NAME` of `arn:aws:states:R:A:execution:NAME:RUN`.
fn machine_of(execution_arn: &str) -> Option<String> {
    let (head, rest) = execution_arn.split_once(":execution:")?;
    let (name, _) = rest.split_once(':')?;
    Some(format!("{head}:stateMachine:{name}"))
}

pub(super) fn write_history(
    path: &Path,
    outcome: &Outcome,
    children: Option<&Histories>,
    seed: Option<u64>,
) -> Result<(), CliError> {
    /// The file as GetExecutionHistory's shape, written event by event (the kept events
    /// share their large texts; none is copied to write it).
    #[derive(serde::Serialize)]
    struct HistoryFile<'a> {
        /// Not part of GetExecutionHistory's answer (DescribeExecution's name for it): so
        /// that `asl record` and `--replay` know the execution's name and account.
        #[serde(rename = "executionArn")]
        execution_arn: &'a str,
        /// DescribeExecution's too: the machine the execution ran.
        #[serde(rename = "stateMachineArn", skip_serializing_if = "Option::is_none")]
        state_machine_arn: Option<String>,
        /// The seed of the run's random draws, for a replay to draw the same.
        #[serde(skip_serializing_if = "Option::is_none")]
        seed: Option<u64>,
        events: &'a [engine::Event],
        #[serde(rename = "childExecutions", skip_serializing_if = "Option::is_none")]
        child_executions: Option<serde_json::Map<String, Value>>,
    }
    let children = children
        .map(|h| std::mem::take(&mut *h.lock().unwrap_or_else(|p| p.into_inner())))
        .unwrap_or_default();
    let child_executions = (!children.is_empty()).then(|| {
        children
            .into_iter()
            .map(|c| {
                (
                    c.execution_arn,
                    json!({
                        "stateMachineArn": c.state_machine_arn,
                        "startedBy": c.started_by,
                        "events": c.events,
                    }),
                )
            })
            .collect()
    });
    let doc = HistoryFile {
        execution_arn: &outcome.execution_arn,
        state_machine_arn: machine_of(&outcome.execution_arn),
        seed,
        events: &outcome.events,
        child_executions,
    };
    let failed = |e: &dyn std::fmt::Display| {
        CliError::Input(format!(
            "{}: error: cannot write the history: {e}",
            path.display()
        ))
    };
    let file = std::fs::File::create(path).map_err(|e| failed(&e))?;
    let mut w = std::io::BufWriter::new(file);
    serde_json::to_writer_pretty(&mut w, &doc).map_err(|e| failed(&e))?;
    use std::io::Write;
    w.write_all(b"\n")
        .and_then(|()| w.flush())
        .map_err(|e| failed(&e))
}

pub(super) fn print_outcome(o: &Outcome, format: ResultFormat) -> Result<ExitCode, CliError> {
    let code = if o.status == Status::Succeeded { 0 } else { 1 };
    match format {
        ResultFormat::Json => {
            /// `{"status", "output", "error", "cause"}`, written without copying the output.
            #[derive(serde::Serialize)]
            struct Report<'a> {
                status: &'a str,
                output: &'a Option<Value>,
                error: &'a Option<String>,
                cause: &'a Option<String>,
            }
            let report = Report {
                status: o.status.as_str(),
                output: &o.output,
                error: &o.error,
                cause: &o.cause,
            };
            super::stdout::write(|out| {
                serde_json::to_writer(&mut *out, &report)?;
                writeln!(out)
            })?;
        }
        ResultFormat::Output => match &o.output {
            Some(v) if o.status == Status::Succeeded => {
                super::stdout::write(|out| {
                    serde_json::to_writer(&mut *out, v)?;
                    writeln!(out)
                })?;
            }
            _ => {
                say!(
                    "execution {}: {}{}",
                    o.status.as_str().to_lowercase().replace('_', " "),
                    o.error.as_deref().unwrap_or("(no error name)"),
                    o.cause
                        .as_deref()
                        .map(|c| format!(": {c}"))
                        .unwrap_or_default()
                );
            }
        },
    }
    Ok(ExitCode::from(code))
}
