//! How a step can stop: an ASL failure (a value that Retry and Catch see) or a fault of the
//! interpreter or its configuration (never visible to the definition's Catch).

use std::fmt;

/// An ASL error: `{Error, Cause}` as it travels through Retry, Catch and the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub error: String,
    pub cause: Option<String>,
}

impl Failure {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Failure {
            error: error.into(),
            cause: Some(cause.into()),
        }
    }

    /// The error output a catcher passes on: `{"Error": ..., "Cause": ...}`.
    pub fn to_error_output(&self) -> serde_json::Value {
        // A failure without an error name (a task token failed with no `error`) shows
        // nulls, as AWS's error output does.
        if self.error.is_empty() {
            return serde_json::json!({"Error": null, "Cause": self.cause});
        }
        serde_json::json!({
            "Error": self.error,
            "Cause": self.cause.clone().unwrap_or_default(),
        })
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Some(c) => write!(f, "{}: {}", self.error, c),
            None => f.write_str(&self.error),
        }
    }
}

/// A problem of the run itself (a missing mock, a handler that broke, Ctrl-C): it ends the
/// run with exit code 2 and no Catch can see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub message: String,
}

impl Fault {
    pub fn new(message: impl Into<String>) -> Self {
        Fault {
            message: message.into(),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Fault {}

/// Why a path of the execution stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    Failed(Failure),
    /// The execution's own `TimeoutSeconds` ran out.
    TimedOut,
    /// Stopped from outside (Ctrl-C).
    Aborted(String),
    Fault(Fault),
}

impl From<Failure> for Stop {
    fn from(f: Failure) -> Self {
        Stop::Failed(f)
    }
}

impl From<Fault> for Stop {
    fn from(f: Fault) -> Self {
        Stop::Fault(f)
    }
}
