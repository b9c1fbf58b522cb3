//! `asl validate`: check definitions against AWS's create-time rules without running them.
//!
//! Reads each file (JSON, YAML, CloudFormation/SAM template), validates every state machine in
//! it, and renders one report in the chosen format. Exit codes: 0 valid (warnings allowed
//! unless `--strict`), 1 invalid, 2 a file could not be read.

use super::error::CliError;
use crate::source;
use crate::validate::format::{self, Checked};
use crate::validate::{self, MachineType, Options};
use clap::{Args, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

const VALIDATE_HELP: &str = "\
Examples:
  asl validate machine.asl.json
  asl validate machine.asl.json --type EXPRESS --format json
  asl validate template.yaml --sub Env=prod        # CloudFormation / SAM: every state machine
  asl validate definitions/*.json --format github  # annotations in GitHub Actions
  asl validate machine.asl.yaml --format sarif > asl.sarif

Formats: human (default; on stderr), json (AWS's ValidateStateMachineDefinition answer),
sarif (SARIF 2.1.0 for code scanning), github (workflow annotations). Only the human format
writes to stderr; the others write to stdout.

Exit codes: 0 valid (warnings allowed; --strict makes them fail), 1 invalid, 2 usage error or
unreadable file.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `file:line:col` messages with the source line, on stderr.
    Human,
    /// `{"result", "diagnostics", "truncated"}` as AWS's ValidateStateMachineDefinition.
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=...`).
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TypeArg {
    #[value(name = "STANDARD", alias = "standard")]
    Standard,
    #[value(name = "EXPRESS", alias = "express")]
    Express,
}

#[derive(Args, Debug)]
#[command(after_help = VALIDATE_HELP)]
pub struct ValidateArgs {
    /// Definition files (`.json`, `.asl.json`, `.yaml`) or CloudFormation/SAM templates; `-`
    /// reads standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// How to report.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// The state machine type: Express machines refuse `.sync`, `.waitForTaskToken` and
    /// activities.
    #[arg(
        long = "type",
        value_name = "TYPE",
        value_enum,
        default_value = "STANDARD"
    )]
    pub machine_type: TypeArg,
    /// Fail on warnings too.
    #[arg(long)]
    pub strict: bool,
    /// Replace `${KEY}` in definitions with VALUE (repeatable; wins over a template's
    /// `DefinitionSubstitutions`).
    #[arg(long = "sub", value_name = "KEY=VALUE", value_parser = parse_sub)]
    pub subs: Vec<(String, String)>,
}

fn read_stdin() -> Result<String, source::LoadError> {
    use std::io::Read;
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| source::LoadError {
            path: "<stdin>".into(),
            message: format!("cannot read standard input: {e}"),
        })?;
    Ok(text)
}

fn parse_sub(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected KEY=VALUE, but got `{s}`")),
    }
}

pub fn run(args: ValidateArgs) -> Result<ExitCode, CliError> {
    let opts = Options {
        machine_type: match args.machine_type {
            TypeArg::Standard => MachineType::Standard,
            TypeArg::Express => MachineType::Express,
        },
    };
    let mut definitions = Vec::new();
    let mut unreadable = Vec::new();
    for f in &args.files {
        let loaded = if f.as_os_str() == "-" {
            read_stdin().and_then(|text| {
                // Standard input is read as JSON, or YAML when it does not start like JSON.
                let syntax = if text.trim_start().starts_with(['{', '[']) {
                    source::Syntax::Json
                } else {
                    source::Syntax::Yaml
                };
                source::load_text(
                    "<stdin>",
                    text,
                    syntax,
                    std::path::Path::new("."),
                    &args.subs,
                )
            })
        } else {
            source::load(f, &args.subs)
        };
        match loaded {
            Ok(defs) => {
                if defs.is_empty() {
                    say!(
                        "{}: warning: the template holds no AWS::StepFunctions::StateMachine or AWS::Serverless::StateMachine",
                        f.display()
                    );
                }
                definitions.extend(defs)
            }
            Err(e) => unreadable.push(e),
        }
    }
    let checked: Vec<Checked> = definitions
        .iter()
        .map(|d| Checked {
            definition: d,
            findings: validate::validate_definition(d, &opts),
        })
        .collect();
    let fails = checked.iter().any(|c| c.fails(args.strict));
    let report = match args.format {
        Format::Human => {
            let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let text = format::human(&checked, args.strict, color);
            let _ = std::io::stderr().lock().write_all(text.as_bytes());
            None
        }
        Format::Json => Some(format::json(&checked, &unreadable, args.strict) + "\n"),
        Format::Sarif => Some(format::sarif(&checked, &unreadable) + "\n"),
        Format::Github => Some(format::github(&checked, &unreadable)),
    };
    if let Some(r) = report {
        super::stdout::bytes(r.as_bytes())?;
    }
    if !unreadable.is_empty() {
        let shown: Vec<String> = unreadable.iter().map(ToString::to_string).collect();
        return Err(CliError::Input(shown.join("\n")));
    }
    Ok(if fails {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
