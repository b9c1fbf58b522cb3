//! The CLI's errors and their exit codes.

use std::fmt;

/// Why a command could not do its job. Every variant but `Departed` and `Differs` is exit
/// code 2: the user's input or configuration is at fault, not the state machine.
#[derive(Debug)]
pub enum CliError {
    /// A bad combination of flags.
    Usage(String),
    /// An unreadable or malformed file, an invalid definition or mock file: already rendered
    /// with its location.
    Input(String),
    /// The run could not go on (a missing mock response, a Task without handler).
    Fault(String),
    /// stdout could not be written (a full disk; not a closed pipe, which is quiet).
    Output(String),
    /// A replay departed from its record (`run --replay`, `record`): exit code 3.
    Departed(String),
    /// An execution on AWS and its local replay differ (`run --remote --compare-local`):
    /// exit code 4.
    Differs(String),
}

impl CliError {
    pub fn code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Input(_) | CliError::Fault(_) | CliError::Output(_) => 2,
            CliError::Departed(_) => 3,
            CliError::Differs(_) => 4,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(m) => write!(f, "error: {m}"),
            CliError::Input(m) => f.write_str(m),
            CliError::Fault(m) | CliError::Output(m) => write!(f, "error: {m}"),
            CliError::Departed(m) => write!(f, "replay: {m}"),
            CliError::Differs(m) => write!(f, "compare: {m}"),
        }
    }
}

impl std::error::Error for CliError {}
