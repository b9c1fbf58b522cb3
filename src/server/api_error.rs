//! An error of the Step Functions API as AWS's JSON 1.0 protocol sends it.

use serde_json::{Value, json};

/// The namespace AWS puts before Step Functions' error codes in `__type`; the SDKs keep what
/// follows `#`.
const NAMESPACE: &str = "com.amazonaws.swf.service.v2.model";

/// A refused request: AWS's error code (`StateMachineDoesNotExist`, ...), its message and the
/// HTTP status (400 for every client error of Step Functions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: &'static str,
    pub message: String,
    pub status: u16,
}

impl ApiError {
    pub fn new(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            status: 400,
        }
    }

    /// `ValidationException`, for a member missing, of the wrong type or out of its bounds.
    pub fn validation(message: impl Into<String>) -> ApiError {
        ApiError::new("ValidationException", message)
    }

    /// The body: `{"__type": "...#Code", "message": ...}`. The protocol-level errors
    /// (`UnknownOperationException`, `SerializationException`) carry AWS's coral namespace.
    pub fn body(&self) -> Value {
        let ns = match self.code {
            "UnknownOperationException" | "SerializationException" => "com.amazon.coral.service",
            _ => NAMESPACE,
        };
        json!({"__type": format!("{ns}#{}", self.code), "message": self.message})
    }
}
