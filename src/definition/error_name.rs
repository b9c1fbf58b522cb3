//! Error names: the predefined `States.*` names of the ASL specification and user-defined names.
//!
//! Retry and Catch match on these names; the two wildcards `States.ALL` and `States.TaskFailed`
//! match families of names ("Error names" in the Amazon States Language specification).

use std::fmt;

/// An error name as it appears in `ErrorEquals`, a `Fail` state, or a task failure.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ErrorName {
    All,
    HeartbeatTimeout,
    Timeout,
    TaskFailed,
    Permissions,
    ResultPathMatchFailure,
    ParameterPathFailure,
    QueryEvaluationError,
    BranchFailed,
    NoChoiceMatched,
    IntrinsicFailure,
    ExceedToleratedFailureThreshold,
    ItemReaderFailed,
    ResultWriterFailed,
    Runtime,
    DataLimitExceeded,
    /// Any other name, including user names and unknown `States.` names.
    Custom(String),
}

impl ErrorName {
    /// The spellings of the predefined `States.*` names.
    pub fn predefined_names() -> Vec<&'static str> {
        Self::PREDEFINED.iter().map(|(n, _)| *n).collect()
    }

    /// Every predefined name with its spelling.
    const PREDEFINED: [(&'static str, ErrorName); 16] = [
        ("States.ALL", ErrorName::All),
        ("States.HeartbeatTimeout", ErrorName::HeartbeatTimeout),
        ("States.Timeout", ErrorName::Timeout),
        ("States.TaskFailed", ErrorName::TaskFailed),
        ("States.Permissions", ErrorName::Permissions),
        (
            "States.ResultPathMatchFailure",
            ErrorName::ResultPathMatchFailure,
        ),
        (
            "States.ParameterPathFailure",
            ErrorName::ParameterPathFailure,
        ),
        (
            "States.QueryEvaluationError",
            ErrorName::QueryEvaluationError,
        ),
        ("States.BranchFailed", ErrorName::BranchFailed),
        ("States.NoChoiceMatched", ErrorName::NoChoiceMatched),
        ("States.IntrinsicFailure", ErrorName::IntrinsicFailure),
        (
            "States.ExceedToleratedFailureThreshold",
            ErrorName::ExceedToleratedFailureThreshold,
        ),
        ("States.ItemReaderFailed", ErrorName::ItemReaderFailed),
        ("States.ResultWriterFailed", ErrorName::ResultWriterFailed),
        ("States.Runtime", ErrorName::Runtime),
        ("States.DataLimitExceeded", ErrorName::DataLimitExceeded),
    ];

    pub fn parse(s: &str) -> ErrorName {
        Self::PREDEFINED
            .iter()
            .find(|(name, _)| *name == s)
            .map(|(_, e)| e.clone())
            .unwrap_or_else(|| ErrorName::Custom(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        match self {
            ErrorName::Custom(s) => s,
            other => Self::PREDEFINED
                .iter()
                .find(|(_, e)| e == other)
                .map(|(name, _)| *name)
                .unwrap_or(""),
        }
    }

    /// Whether this name, written in a retrier's or catcher's `ErrorEquals`, matches `error`.
    ///
    /// `States.ALL` matches every error a state can recover from; `States.TaskFailed` matches
    /// every error but `States.Timeout` (the specification: "any error except States.Timeout").
    /// `States.Runtime` is never matched (see [`is_terminal`]).
    pub fn matches(&self, error: &str) -> bool {
        match self {
            ErrorName::All => !is_terminal(error),
            ErrorName::TaskFailed => error != "States.Timeout" && !is_terminal(error),
            other => other.as_str() == error,
        }
    }
}

/// Errors that end the execution whatever its retriers and catchers say: AWS does not let
/// a `Catch` see `States.Runtime`, even one that names it.
pub fn is_terminal(error: &str) -> bool {
    error == "States.Runtime"
}

impl fmt::Display for ErrorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_predefined_and_custom_names() {
        assert_eq!(ErrorName::parse("States.ALL"), ErrorName::All);
        assert_eq!(
            ErrorName::parse("States.Timeout").as_str(),
            "States.Timeout"
        );
        assert_eq!(
            ErrorName::parse("Lambda.Unknown"),
            ErrorName::Custom("Lambda.Unknown".into())
        );
    }

    #[test]
    fn wildcards_match_as_aws_does() {
        assert!(ErrorName::All.matches("Custom"));
        assert!(ErrorName::All.matches("States.Timeout"));
        assert!(!ErrorName::All.matches("States.Runtime"));
        assert!(ErrorName::TaskFailed.matches("Lambda.Unknown"));
        assert!(!ErrorName::TaskFailed.matches("States.Timeout"));
        assert!(ErrorName::parse("Custom").matches("Custom"));
        assert!(!ErrorName::parse("Custom").matches("custom"));
    }
}
