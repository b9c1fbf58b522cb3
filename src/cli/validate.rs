//! `asl validate`: check definitions without running them.
use super::error::CliError;
use crate::validate::{self, MachineType, Options};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum TypeArg {
    Standard,
    Express,
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    #[arg(
        long = "type",
        value_enum,
        default_value = "STANDARD",
        ignore_case = true
    )]
    pub machine_type: TypeArg,
    #[arg(long)]
    pub strict: bool,
}

pub fn run(args: ValidateArgs) -> Result<ExitCode, CliError> {
    let opts = Options {
        machine_type: match args.machine_type {
            TypeArg::Standard => MachineType::Standard,
            TypeArg::Express => MachineType::Express,
        },
    };
    let mut failed = false;
    for f in &args.files {
        let text = super::run::read_file(f)?;
        let diags = validate::validate_text(&text, &opts);
        failed |= validate::fails(&diags, args.strict);
        let out = serde_json::json!({
            "result": if validate::fails(&diags, args.strict) {"FAIL"} else {"OK"},
            "diagnostics": diags.iter().map(|d| serde_json::json!({"severity": d.severity.as_str(), "code": d.code.as_str(), "message": d.message, "location": d.location})).collect::<Vec<_>>(),
            "truncated": false,
        });
        println!("{out}");
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
