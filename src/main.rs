//! The `asl` binary: parse the command line, run the subcommand, map the outcome to an exit code.

use std::process::ExitCode;

/// An execution allocates many small, short-lived JSON nodes; mimalloc serves them markedly
/// faster than the system allocator (docs/PERFORMANCE.md). `.cargo/config.toml` keeps it from
/// committing memory it does not use.
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    asl::cli::main()
}
