//! The command line: one file per subcommand, rendering in `render.rs`, exit codes decided in
//! one place ([`CliError::code`]).
//!
//! stdout carries data only (the execution output, `--format json` reports); messages for
//! people go to stderr.

mod aws_args;
mod completions;
mod error;
mod eval;
mod graph;
mod man;
mod overlay;
mod record;
#[cfg(feature = "aws")]
mod remote;
mod render;
mod run;
mod serve;
mod stdout;
#[cfg(feature = "aws")]
mod step_functions;
mod test;
mod trace;
mod validate;

pub use error::CliError;

use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::process::ExitCode;

const ABOUT: &str =
    "Run, validate and test AWS Step Functions (Amazon States Language) state machines locally.";

const AFTER_HELP: &str = "\
Examples:
  asl run asl-samples/hello.asl.json --input '{\"name\": \"Ada\"}'
  asl run pipeline.asl.json --input-file input.json --mock-config mocks.json --test-case HappyPath
  asl eval --jsonata '$sum(items.price)' --input-file order.json
  asl validate machine.asl.json template.yaml --format json
  asl test asl-samples --coverage --junit junit.xml
  asl graph machine.asl.json -o machine.html
  asl record history.json --definition machine.asl.json --out incident/
  asl run machine.asl.json --replay history.json
  asl run machine.asl.json --remote --role-arn ROLE --compare-local
  asl completions bash > ~/.local/share/bash-completion/completions/asl

Exit codes: 0 success, 1 the execution (or the evaluation) failed or `validate` found an invalid\ndefinition or an `asl test` case failed, 2 usage or input error: a bad flag, an unreadable or malformed file, an invalid\ndefinition given to `run`; 3 a replay (`run --replay`, `record`) departed from its record; 4 `run --remote --compare-local`: AWS and asl differ.";

#[derive(Parser, Debug)]
#[command(name = "asl", version, about = ABOUT, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a state machine on an input and print its output.
    Run(Box<run::RunArgs>),
    /// Evaluate a JSONata expression, JSONPath path or intrinsic call against a JSON document.
    Eval(eval::EvalArgs),
    /// Check definitions against every rule AWS enforces, without running them.
    Validate(validate::ValidateArgs),
    /// Run declarative tests (*.test.yaml / *.test.json) with coverage and CI reports.
    Test(Box<test::TestArgs>),
    /// Draw a state machine as SVG, HTML, Graphviz dot or a mermaid flowchart.
    Graph(graph::GraphArgs),
    /// Turn an execution's history (AWS's or `asl run --history`'s) into a test `asl test`
    /// runs: the recorded answers as mocks, what the execution did as expectations.
    Record(record::RecordArgs),
    /// Serve the Step Functions API on localhost (a drop-in for Step Functions Local).
    Serve(serve::ServeArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) on stdout.
    Completions(completions::CompletionsArgs),
    /// Print the manual page (roff) on stdout: `asl man | man -l -`.
    Man(man::ManArgs),
}

/// Parses the process's command line, runs the subcommand, and turns the outcome into an exit
/// code.
pub fn main() -> ExitCode {
    main_from(std::env::args_os())
}

/// [`main`] on the given command line, the program's name first. The binary's C entry point
/// passes its `argv` here: without Rust's start-up, `std::env::args` is empty on musl (only
/// glibc hands `argv` to the initialisers std reads it in).
pub fn main_from(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(2),
            };
        }
    };
    let result = match cli.command {
        Command::Run(args) => run::run(*args),
        Command::Eval(args) => eval::eval(args),
        Command::Validate(args) => validate::run(args),
        Command::Test(args) => test::run(*args),
        Command::Graph(args) => graph::run(args),
        Command::Record(args) => record::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            say!("{e}");
            ExitCode::from(e.code())
        }
    }
}
