//! `asl man [SUBCOMMAND]`: the manual page, as roff on stdout.
//!
//! The binary prints its own page (clap_mangen, from the clap definitions) rather than the
//! release carrying a generated file, so `cargo install` users get it too and it never drifts
//! from `--help`. `asl man` is asl(1); `asl man run` is asl-run(1), and so on.

use super::{Cli, CliError};
use clap::{Args, CommandFactory};
use std::process::ExitCode;

const AFTER_HELP: &str = "\
Examples:
  asl man | man -l -
  asl man run | man -l -
  asl man > /usr/local/share/man/man1/asl.1";

#[derive(Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct ManArgs {
    /// The subcommand whose page to print (asl-run(1), ...); without it, asl(1).
    #[arg(value_name = "SUBCOMMAND")]
    pub subcommand: Option<String>,
}

pub fn run(args: ManArgs) -> Result<ExitCode, CliError> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    // Building names the subcommands `asl-run`, ..., the names their pages carry.
    cmd.build();
    let page = match &args.subcommand {
        None => cmd,
        Some(name) => cmd.find_subcommand(name).cloned().ok_or_else(|| {
            let known: Vec<&str> = cmd.get_subcommands().map(|s| s.get_name()).collect();
            CliError::Usage(format!(
                "no subcommand `{name}`; expected one of {}",
                known.join(", ")
            ))
        })?,
    };
    let mut out = Vec::new();
    // Subcommands carry no version of their own; every page names the release it documents.
    clap_mangen::Man::new(page)
        .source(format!("asl {}", env!("CARGO_PKG_VERSION")))
        .render(&mut out)
        .map_err(|e| CliError::Fault(format!("cannot render the manual page: {e}")))?;
    write_stdout(&out)
}

/// Writes generated text to stdout (a closed pipe, `asl man | head`, is not an error).
pub(super) fn write_stdout(text: &[u8]) -> Result<ExitCode, CliError> {
    super::stdout::bytes(text).map(|()| ExitCode::SUCCESS)
}
