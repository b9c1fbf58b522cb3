//! JSONata expressions as Step Functions runs them (`{% ... %}` in JSONata states).
//!
//! Compiled once at load into an [`Expression`]; evaluated with `$states` and the execution's
//! variables bound.

use super::roots::{DataError, Roots};
use serde_json::Value;
use std::fmt;
use std::sync::Arc;

/// A compiled JSONata expression.
#[derive(Debug, Clone)]
pub struct Expression {
    source: Arc<str>,
}

/// A syntax error in an expression, with its position (a character offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonataError {
    pub code: String,
    pub position: usize,
    pub message: String,
}

impl fmt::Display for JsonataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} at position {})",
            self.message, self.code, self.position
        )
    }
}

/// The body of a `{% ... %}` template string, or `None` when the string is not one.
pub fn template_body(s: &str) -> Option<&str> {
    s.strip_prefix("{%").and_then(|r| r.strip_suffix("%}"))
}

impl Expression {
    pub fn compile(source: &str) -> Result<Expression, JsonataError> {
        Ok(Expression {
            source: Arc::from(source.trim()),
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates; `Ok(None)` is JSONata's *undefined*.
    pub fn evaluate(&self, _roots: &dyn Roots) -> Result<Option<Value>, DataError> {
        Err(DataError::runtime(format!(
            "JSONata expressions are not supported yet: '{}'",
            self.source
        )))
    }

    /// Evaluates the expression of a field; *undefined* is an error, as in AWS.
    pub fn evaluate_field(&self, roots: &dyn Roots, field: &str) -> Result<Value, DataError> {
        self.evaluate(roots)?.ok_or_else(|| {
            DataError::query(format!(
                "The JSONata expression '{}' specified for the field '{field}' returned nothing (undefined).",
                self.source
            ))
        })
    }
}

/// JSONata-style type names used in AWS's messages (`'array'`, `'object'`, ...).
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
