//! The `asl` binary: parse the command line, run the subcommand, map the outcome to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    asl::cli::main()
}
