//! [`LoadError`]: why `load_str` gave no machine.

use crate::definition::diagnostic::Diagnostic;
use std::fmt;

/// Why a definition could not be loaded.
#[derive(Debug, Clone)]
pub enum LoadError {
    /// The text is not JSON.
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    /// The JSON is not a valid state machine; every error found, in document order.
    Invalid(Vec<Diagnostic>),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Json {
                line,
                column,
                message,
            } => write!(f, "invalid JSON at line {line}, column {column}: {message}"),
            LoadError::Invalid(d) => {
                for (i, diag) in d.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{diag}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for LoadError {}
