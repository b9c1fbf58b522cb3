//! Everything a subcommand prints on stdout goes through [`write`], so a closed pipe and a
//! failed write mean the same thing for every subcommand.
//!
//! - A closed pipe (`asl eval ... | head -c1`, a reader that stopped) is not an error: the rest
//!   of the output is dropped without a word, and the command's exit code is what it would
//!   have been (0 when it succeeded), as ripgrep does. SIGPIPE is ignored (`main.rs`), so the
//!   process is never killed by it, and `set -o pipefail` pipelines ending in `head` pass.
//! - Any other write error (a full disk, `/dev/full`, a stdout closed before the start) is
//!   [`CliError::Output`]: exit code 2 with `error: cannot write to stdout: ...` on stderr, since
//!   data the user asked for was lost.

use super::CliError;
use std::io::{ErrorKind, Write};

/// Runs `write` on the locked stdout and flushes it; see the module's rules for errors.
pub fn write(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match write(&mut out).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::Output(format!("cannot write to stdout: {e}"))),
    }
}

/// [`write`] of bytes already made.
pub fn bytes(text: &[u8]) -> Result<(), CliError> {
    write(|out| out.write_all(text))
}
