//! The walker that reads a definition, and the helpers every state family shares.
//!
//! [`Walker`] carries the diagnostics found so far and what a field needs to know of where it
//! stands; [`Obj`] is one JSON object with its pointer. The readers here check one field's type
//! and range (`string`, `integer`, `object`, ...) and the reporters record a problem
//! (`schema`, `unknown`, `template_error`); none of them stops the walk.

use crate::definition::diagnostic::{Code, Diagnostic, Pointer};
use foldhash::HashMap;
use serde_json::{Map as JsonMap, Value};

/// The largest integer AWS accepts in its numeric fields.
pub(super) const MAX_INT: u64 = 99_999_999;

/// The walk over one definition: every diagnostic found so far, and what the fields being read
/// need to know of where they stand (state names seen, nesting depth, the query language above).
#[derive(Default)]
pub(super) struct Walker {
    pub(super) diags: Vec<Diagnostic>,
    /// Every state name seen so far, machine-wide, with where it was first defined.
    pub(super) names: HashMap<String, String>,
    pub(super) depth: usize,
    /// Inside the item processor of a DISTRIBUTED Map: a child workflow of its own, whose states
    /// may pick their query language afresh.
    pub(super) in_child_workflow: bool,
    /// The machine's own `QueryLanguage` is JSONata: only then are JSONPath states refused
    /// (a JSONata Map in a JSONPath machine may hold JSONPath states).
    pub(super) top_jsonata: bool,
    /// The states of every graph, taken out of the tree by [`load_owned`](super::load_owned) to be freed one by
    /// one as they are compiled, by the address of the empty object left in their place.
    pub(super) taken: HashMap<usize, JsonMap<String, Value>>,
}

/// One JSON object being read, with its pointer.
#[derive(Clone, Copy)]
pub(super) struct Obj<'a> {
    pub(super) map: &'a JsonMap<String, Value>,
    pub(super) ptr: &'a Pointer,
}

impl<'a> Obj<'a> {
    pub(super) fn get(&self, k: &str) -> Option<&'a Value> {
        crate::data::jsonpath::member(self.map, k)
    }
    pub(super) fn at(&self, k: &str) -> Pointer {
        self.ptr.key(k)
    }
    pub(super) fn has(&self, k: &str) -> bool {
        self.get(k).is_some()
    }
}

pub(super) fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Walker {
    pub(super) fn schema(&mut self, ptr: &Pointer, msg: impl Into<String>) {
        self.diags.push(Diagnostic::error(
            Code::SchemaValidationFailed,
            ptr.as_str(),
            msg,
        ));
    }

    /// A field the object does not accept. AWS reports it at the object (`Field 'X' is not
    /// supported at /States/S`); the field itself is kept as the focus.
    pub(super) fn unknown(&mut self, obj: &Pointer, k: &str, msg: impl Into<String>) {
        self.diags.push(
            Diagnostic::error(Code::SchemaValidationFailed, obj.as_str(), msg)
                .with_focus(obj.key(k).as_str()),
        );
    }

    /// A problem inside a payload template: AWS reports it at the template's field.
    pub(super) fn template_error(&mut self, field: &Pointer, at: &Pointer, msg: impl Into<String>) {
        self.diags.push(
            Diagnostic::error(Code::SchemaValidationFailed, field.as_str(), msg)
                .with_focus(at.as_str()),
        );
    }

    pub(super) fn error(&mut self, code: Code, ptr: &Pointer, msg: impl Into<String>) {
        self.diags.push(Diagnostic::error(code, ptr.as_str(), msg));
    }

    pub(super) fn warn(&mut self, code: Code, ptr: &Pointer, msg: impl Into<String>) {
        self.diags
            .push(Diagnostic::warning(code, ptr.as_str(), msg));
    }

    pub(super) fn required(&mut self, o: Obj, names: &[&str]) -> bool {
        let missing: Vec<&str> = names.iter().copied().filter(|n| !o.has(n)).collect();
        if missing.is_empty() {
            return true;
        }
        self.schema(
            o.ptr,
            format!("These fields are required: [{}]", missing.join(", ")),
        );
        false
    }

    pub(super) fn string<'v>(&mut self, o: Obj<'v>, k: &str) -> Option<&'v str> {
        match o.get(k)? {
            Value::String(s) => Some(s),
            other => {
                self.schema(
                    &o.at(k),
                    format!(
                        "The field `{k}` must be a string, but it is {}",
                        type_of(other)
                    ),
                );
                None
            }
        }
    }

    pub(super) fn nonempty_string<'v>(&mut self, o: Obj<'v>, k: &str) -> Option<&'v str> {
        let s = self.string(o, k)?;
        if s.is_empty() {
            self.schema(&o.at(k), format!("The field `{k}` cannot be empty"));
            return None;
        }
        Some(s)
    }

    pub(super) fn boolean(&mut self, o: Obj, k: &str) -> Option<bool> {
        match o.get(k)? {
            Value::Bool(b) => Some(*b),
            other => {
                self.schema(
                    &o.at(k),
                    format!(
                        "The field `{k}` must be a boolean, but it is {}",
                        type_of(other)
                    ),
                );
                None
            }
        }
    }

    /// An integer in `[min, MAX_INT]`.
    pub(super) fn integer(&mut self, o: Obj, k: &str, min: u64) -> Option<u64> {
        self.integer_in(o, k, min, MAX_INT)
    }

    /// An integer in `[min, max]`, both bounds included, as AWS documents its limits.
    pub(super) fn integer_in(&mut self, o: Obj, k: &str, min: u64, max: u64) -> Option<u64> {
        let v = o.get(k)?;
        let n = match v {
            Value::Number(n) => n.as_u64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                    .map(|f| f as u64)
            }),
            _ => None,
        };
        match n {
            Some(n) if n >= min && n <= max => Some(n),
            _ => {
                self.schema(
                    &o.at(k),
                    format!(
                        "The field `{k}` must be an integer from {min} to {max}, but it is {}",
                        if v.is_number() {
                            v.to_string()
                        } else {
                            type_of(v).to_string()
                        }
                    ),
                );
                None
            }
        }
    }

    pub(super) fn number(&mut self, o: Obj, k: &str) -> Option<f64> {
        match o.get(k)? {
            Value::Number(n) => n.as_f64(),
            other => {
                self.schema(
                    &o.at(k),
                    format!(
                        "The field `{k}` must be a number, but it is {}",
                        type_of(other)
                    ),
                );
                None
            }
        }
    }

    pub(super) fn object<'v>(&mut self, o: Obj<'v>, k: &str) -> Option<&'v JsonMap<String, Value>> {
        match o.get(k)? {
            Value::Object(m) => Some(m),
            other => {
                self.schema(
                    &o.at(k),
                    format!(
                        "The field `{k}` must be an object, but it is {}",
                        type_of(other)
                    ),
                );
                None
            }
        }
    }

    pub(super) fn array<'v>(&mut self, o: Obj<'v>, k: &str) -> Option<&'v Vec<Value>> {
        match o.get(k)? {
            Value::Array(a) => Some(a),
            other => {
                self.schema(
                    &o.at(k),
                    format!(
                        "The field `{k}` must be an array, but it is {}",
                        type_of(other)
                    ),
                );
                None
            }
        }
    }

    pub(super) fn error_count(&self) -> usize {
        self.diags.iter().filter(|d| d.is_error()).count()
    }
}
