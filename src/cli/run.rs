//! `asl run`: load a definition, build the handlers, run, print the result.

use super::error::CliError;
use super::render;
use super::trace::Tracer;
use crate::definition::{self, Kind, StateMachine};
use crate::engine::{self, Clock, Options, Outcome, Status};
use crate::handlers::Registry;
use crate::handlers::mock::MockHandler;
use clap::{Args, ValueEnum};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

const RUN_HELP: &str = "\
Examples:
  asl run hello.asl.json --input '{\"name\": \"Ada\"}'
  asl run hello.asl.json --input-file input.json --trace
  echo '{}' | asl run pipeline.asl.json --mock-config mocks.json --test-case HappyPath
  asl run pipeline.asl.json --result-format json --history history.json

Output: with --result-format output (the default) the execution's output JSON goes to stdout
and exit code 0; a failed execution prints its error and cause to stderr and exits 1. With
--result-format json, stdout gets {\"status\", \"output\", \"error\", \"cause\"} either way.
Exit code 2: a usage error, an unreadable or malformed file, an invalid definition or mock file.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClockArg {
    /// Waits, retry back-offs and timeouts finish at once; the execution still sees time pass.
    Virtual,
    /// Waits really wait.
    Real,
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
    /// The state machine's name (in `$$`, ARNs and the mock file). Default: the definition's file
    /// name without its extension.
    #[arg(long, value_name = "NAME")]
    pub state_machine_name: Option<String>,
    /// The execution's name. Default: a random UUID.
    #[arg(long, value_name = "NAME")]
    pub execution_name: Option<String>,
    /// The execution role ARN shown in `$$.Execution.RoleArn`.
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,
    /// The AWS region used in ARNs.
    #[arg(long, value_name = "REGION", default_value = "us-east-1")]
    pub region: String,
    /// The AWS account id used in ARNs.
    #[arg(long, value_name = "ID", default_value = "123456789012")]
    pub account_id: String,
    /// How time passes (see the values).
    #[arg(long, value_enum, default_value = "virtual")]
    pub clock: ClockArg,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value = "output")]
    pub result_format: ResultFormat,
    /// Write the execution history (GetExecutionHistory's JSON) to FILE.
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// Print a readable trace of the states on stderr.
    #[arg(long)]
    pub trace: bool,
    /// Fail the execution after this many history events (AWS's limit is 25000); 0 lifts it.
    #[arg(long, value_name = "N", default_value_t = 25_000)]
    pub max_events: u64,
    /// Lift AWS's 256 KiB limit on state outputs (States.DataLimitExceeded).
    #[arg(long)]
    pub no_payload_limit: bool,
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
pub fn load_definition(path: &Path) -> Result<(String, StateMachine), CliError> {
    let defs = crate::source::load(path, &[]).map_err(|e| CliError::Input(e.to_string()))?;
    let shown = path.display().to_string();
    let def = match defs.as_slice() {
        [one] => one,
        [] => {
            return Err(CliError::Input(format!(
                "{shown}: error: the template holds no state machine"
            )));
        }
        many => {
            let names: Vec<String> = many.iter().filter_map(|d| d.name.clone()).collect();
            return Err(CliError::Input(format!(
                "{shown}: error: the template holds {} state machines ({}); `asl run` needs a file with one",
                many.len(),
                names.join(", ")
            )));
        }
    };
    let text = def.document.text.clone();
    let Ok(value) = &def.value else {
        let findings = crate::validate::validate_definition(def, &Default::default());
        let msgs: Vec<String> = findings
            .iter()
            .map(|f| render::finding(&def.document, f))
            .collect();
        return Err(CliError::Input(msgs.join("\n")));
    };
    let loaded = definition::load_value(value);
    match loaded.machine {
        Some(m) => Ok((text, m)),
        None => {
            let msgs: Vec<String> = loaded
                .diagnostics
                .into_iter()
                .filter(|d| d.is_error())
                .map(|d| {
                    let f = crate::validate::Finding {
                        position: def.position(d.shown_at()),
                        diagnostic: d,
                    };
                    render::finding(&def.document, &f)
                })
                .collect();
            Err(CliError::Input(format!(
                "{}\n{}: the definition is invalid ({} error{})",
                msgs.join("\n"),
                def.label(),
                msgs.len(),
                if msgs.len() == 1 { "" } else { "s" }
            )))
        }
    }
}

/// The default state machine name: the file name without `.asl.json`, `.json`, `.yaml`, ...
pub fn machine_name(path: &Path) -> String {
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

fn read_input(args: &RunArgs) -> Result<Value, CliError> {
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
    serde_json::from_str(&text).map_err(|e| CliError::Input(render::json_error(&origin, &text, &e)))
}

fn build_handlers(
    args: &RunArgs,
    machine: &StateMachine,
    name: &str,
) -> Result<Registry, CliError> {
    let mut registry = Registry::new();
    let (Some(path), Some(case)) = (&args.mock_config, &args.test_case) else {
        return Ok(registry);
    };
    let text = read_file(path)?;
    let shown = path.display().to_string();
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| CliError::Input(render::json_error(&shown, &text, &e)))?;
    let mock = MockHandler::from_value(&doc, name, case).map_err(|errs| {
        CliError::Input(
            errs.iter()
                .map(|e| render::located(&shown, &text, &e.pointer, "error", &e.message))
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })?;
    let tasks: Vec<&str> = machine
        .root
        .all_states()
        .into_iter()
        .filter(|s| matches!(s.kind, Kind::Task(_)))
        .map(|s| s.name.as_str())
        .collect();
    let mut unknown: Vec<&str> = mock.states().filter(|s| !tasks.contains(s)).collect();
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
                    crate::definition::diagnostic::did_you_mean_in(s, &tasks)
                ),
            ) + &format!(" [{pointer}]"),
        ));
    }
    registry.fallback(Arc::new(mock));
    Ok(registry)
}

pub fn run(args: RunArgs) -> Result<ExitCode, CliError> {
    let (_text, machine) = load_definition(&args.definition)?;
    let input = read_input(&args)?;
    let name = args
        .state_machine_name
        .clone()
        .unwrap_or_else(|| machine_name(&args.definition));
    let handlers = build_handlers(&args, &machine, &name)?;
    let mut opts = Options {
        clock: match args.clock {
            ClockArg::Virtual => Clock::Virtual,
            ClockArg::Real => Clock::Real,
        },
        state_machine_name: name,
        handlers,
        keep_history: args.history.is_some(),
        max_events: (args.max_events > 0).then_some(args.max_events),
        payload_limit: (!args.no_payload_limit).then_some(engine::PAYLOAD_LIMIT),
        abort_on_ctrl_c: true,
        region: args.region.clone(),
        account_id: args.account_id.clone(),
        ..Options::default()
    };
    if let Some(n) = &args.execution_name {
        opts.execution_name = n.clone();
    }
    if let Some(r) = &args.role_arn {
        opts.role_arn = r.clone();
    }
    if args.trace {
        opts.sink = Some(Box::new(Tracer::new()));
    }
    let outcome =
        engine::run_blocking(&machine, input, opts).map_err(|f| CliError::Fault(f.message))?;
    if let Some(path) = &args.history {
        write_history(path, &outcome)?;
    }
    print_outcome(&outcome, args.result_format)
}

fn write_history(path: &Path, outcome: &Outcome) -> Result<(), CliError> {
    let events: Vec<Value> = outcome.events.iter().map(|e| e.to_json()).collect();
    let doc = json!({ "events": events });
    let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    std::fs::write(path, text + "\n").map_err(|e| {
        CliError::Input(format!(
            "{}: error: cannot write the history: {e}",
            path.display()
        ))
    })
}

fn print_outcome(o: &Outcome, format: ResultFormat) -> Result<ExitCode, CliError> {
    let mut out = std::io::stdout().lock();
    let code = if o.status == Status::Succeeded { 0 } else { 1 };
    match format {
        ResultFormat::Json => {
            let doc = json!({
                "status": o.status.as_str(),
                "output": o.output,
                "error": o.error,
                "cause": o.cause,
            });
            let _ = writeln!(out, "{doc}");
        }
        ResultFormat::Output => match &o.output {
            Some(v) if o.status == Status::Succeeded => {
                let _ = writeln!(out, "{v}");
            }
            _ => {
                eprintln!(
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
    let _ = out.flush();
    Ok(ExitCode::from(code))
}
