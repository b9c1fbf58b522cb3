//! The `asl` binary: parse the command line, run the subcommand, map the outcome to an exit code.

use std::process::ExitCode;

/// An execution allocates many small, short-lived JSON nodes; mimalloc serves them markedly
/// faster than the system allocator, and its arenas, committed up front, let the kernel back
/// them with huge pages: a few page faults instead of thousands (docs/PERFORMANCE.md).
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    asl::cli::main()
}
