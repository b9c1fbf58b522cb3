//! What a path, template, intrinsic or expression can read while a state runs.
//!
//! The engine implements [`Roots`] for a state's step; the pure data code only sees this trait,
//! so it can be unit-tested with [`StaticRoots`].

use super::intrinsics::{DefaultEnv, IntrinsicEnv};
use super::jsonpath::{Path, PathMiss, Root};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

/// The values a state can read.
pub trait Roots {
    /// `$` in JSONPath fields: the state's (effective) input.
    fn input(&self) -> &Value;
    /// `$$`: the context object.
    fn context(&self) -> &Value;
    /// One member of the context object (`Execution`, `State`, `Map`, ...), without building
    /// the whole object where an implementation can avoid it.
    fn context_member(&self, name: &str) -> Option<&Value> {
        self.context().get(name)
    }
    /// `$$.Map.Item` while a Map state selects an item: its index and value, borrowed.
    fn map_item(&self) -> Option<(usize, &Value)> {
        None
    }
    /// `$name`: a variable, if it is defined.
    fn variable(&self, name: &str) -> Option<&Value>;
    /// A member of `$states` in JSONata fields: `input`, `context`, and `result` or
    /// `errorOutput` where they are visible.
    fn states_member(&self, name: &str) -> Option<&Value>;
    /// Randomness and identifiers for intrinsics and JSONata functions.
    fn env(&self) -> &dyn IntrinsicEnv;
}

/// A failed evaluation, before the engine adds the state's name and event id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    /// The ASL error name (`States.Runtime`, `States.IntrinsicFailure`, ...).
    pub error: &'static str,
    pub message: String,
}

impl DataError {
    pub fn runtime(message: impl Into<String>) -> Self {
        DataError {
            error: "States.Runtime",
            message: message.into(),
        }
    }

    pub fn intrinsic(message: impl Into<String>) -> Self {
        DataError {
            error: "States.IntrinsicFailure",
            message: message.into(),
        }
    }

    pub fn query(message: impl Into<String>) -> Self {
        DataError {
            error: "States.QueryEvaluationError",
            message: message.into(),
        }
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error, self.message)
    }
}

/// Why a path could not be read: its root is missing (an undefined variable) or it selected
/// nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    UndefinedVariable(String),
    Miss(PathMiss),
    /// A path AWS accepts in a definition but Jayway cannot compile: Jayway's reason.
    Unsupported(String),
}

/// Reads `path` from the right root.
pub fn read<'a>(path: &Path, roots: &'a dyn Roots) -> Result<Cow<'a, Value>, ReadError> {
    if let Some(reason) = path.unsupported() {
        return Err(ReadError::Unsupported(reason.to_string()));
    }
    let doc = match path.root() {
        Root::Input => roots.input(),
        Root::Context => {
            // `$$.Member...`: read the member alone; building all of `$$` would copy the
            // execution input each time. A filter that reads `$` needs the whole of `$$`.
            if let Some(first) = path.first_name()
                && !path.reads_root()
            {
                // `$$.Map.Item.Value...` reads the item where it is, without a copy of it.
                // `$$.Map.Item.Index` is made alone, without building `$$.Map`.
                if first == "Map"
                    && path.name_at(1) == Some("Item")
                    && let Some((index, item)) = roots.map_item()
                {
                    match path.name_at(2) {
                        Some("Value") => {
                            return path.select_after(item, 3).map_err(ReadError::Miss);
                        }
                        Some("Index") => {
                            let index = Value::from(index);
                            return path
                                .select_after(&index, 3)
                                .map(|v| Cow::Owned(v.into_owned()))
                                .map_err(ReadError::Miss);
                        }
                        _ => {}
                    }
                }
                return match roots.context_member(first) {
                    Some(member) => path.select_after_first(member).map_err(ReadError::Miss),
                    None => Err(ReadError::Miss(crate::data::jsonpath::PathMiss {
                        kind: if path.len() == 1 {
                            crate::data::jsonpath::MissKind::NoResults
                        } else {
                            crate::data::jsonpath::MissKind::MissingProperty
                        },
                        at: format!("$['{first}']"),
                    })),
                };
            }
            roots.context()
        }
        Root::Variable(name) => roots
            .variable(name)
            .ok_or_else(|| ReadError::UndefinedVariable(name.clone()))?,
    };
    path.select(doc).map_err(ReadError::Miss)
}

/// Fixed roots for tests and for `asl eval`.
#[derive(Debug, Default)]
pub struct StaticRoots {
    pub input: Value,
    pub context: Value,
    /// `$states` members other than `context` (which is `context` above).
    pub states: Value,
    pub vars: HashMap<String, Value>,
}

impl Roots for StaticRoots {
    fn input(&self) -> &Value {
        &self.input
    }
    fn context(&self) -> &Value {
        &self.context
    }
    fn variable(&self, name: &str) -> Option<&Value> {
        self.vars.get(name)
    }
    fn states_member(&self, name: &str) -> Option<&Value> {
        match name {
            "context" => Some(&self.context),
            _ => self.states.get(name),
        }
    }
    fn env(&self) -> &dyn IntrinsicEnv {
        &DefaultEnv
    }
}
