//! `asl completions SHELL`: the shell's completion script for `asl`, on stdout.
//!
//! Generated from the same clap definitions that parse the command line (clap_complete), so a
//! new flag or subcommand completes without anyone editing a script.

use super::{Cli, CliError};
use clap::{Args, CommandFactory};
use clap_complete::Shell;
use std::process::ExitCode;

const AFTER_HELP: &str = "\
Install (one of):
  asl completions bash > ~/.local/share/bash-completion/completions/asl
  asl completions zsh > \"${fpath[1]}/_asl\"
  asl completions fish > ~/.config/fish/completions/asl.fish
  asl completions powershell >> $PROFILE";

#[derive(Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: CompletionsArgs) -> Result<ExitCode, CliError> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "asl", &mut out);
    super::man::write_stdout(&out)
}
