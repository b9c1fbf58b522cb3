//! Payload templates: the values of `Parameters`, `ResultSelector`, `ItemSelector`,
//! `Credentials`, `Assign` (JSONPath states), and `Arguments`, `Output`, `Assign` (JSONata
//! states), compiled once into a tree whose static parts are kept as ready values.
//!
//! JSONPath templates: a key ending in `.$` takes a path (`$.x`, `$$.x`, `$var.x`) or an
//! intrinsic call, and loses its `.$` in the result. JSONata templates: any string
//! `{% expr %}` is an expression, at any depth.

use super::intrinsics::{self, Arg, Call};
use super::jsonata::Expression;
use super::jsonpath::Path;
use super::roots::{DataError, ReadError, Roots, read};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Debug, Clone)]
pub enum Template {
    /// A subtree without anything to evaluate.
    Static(Value),
    /// An object with something to evaluate.
    Object {
        fields: Vec<(String, Template)>,
        skeleton: Skeleton,
    },
    Array(Vec<Template>),
    /// `"key.$": "$.path"`; `field` is the key as written, for error messages.
    Path {
        path: Path,
        field: String,
    },
    Intrinsic {
        call: Call,
        field: String,
    },
    /// `"{% expr %}"`; `field` is where it sits (`Arguments/FunctionName`).
    Jsonata {
        expr: Expression,
        field: String,
    },
}

/// The keys of an object template in order, with its static values in place, made when the
/// template is evaluated a second time (in a loop, in a Map): an evaluation then clones it,
/// copying the keys' stored hashes, and fills in the rest, instead of hashing every key into
/// a new map. A template evaluated once (most of them) never pays for it.
#[derive(Debug, Default)]
pub struct Skeleton {
    evaluated: AtomicBool,
    map: OnceLock<Option<Map<String, Value>>>,
}

impl Clone for Skeleton {
    fn clone(&self) -> Self {
        Skeleton::default()
    }
}

impl Skeleton {
    fn get(&self, fields: &[(String, Template)]) -> Option<&Map<String, Value>> {
        if let Some(m) = self.map.get() {
            return m.as_ref();
        }
        if !self.evaluated.swap(true, Ordering::Relaxed) {
            return None;
        }
        self.map
            .get_or_init(|| {
                let mut m = Map::with_capacity(fields.len());
                for (k, t) in fields {
                    let v = match t {
                        Template::Static(v) => v.clone(),
                        _ => Value::Null,
                    };
                    m.insert(k.clone(), v);
                }
                // Two fields naming one key (`"a"` and `"a.$"`) keep the plain way, where
                // the later wins.
                (m.len() == fields.len()).then_some(m)
            })
            .as_ref()
    }
}

/// A problem found while compiling a template: where (relative JSON pointer segments) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub at: Vec<String>,
    pub message: String,
}

impl Template {
    /// Compiles a JSONPath-state payload template.
    pub fn jsonpath(value: &Value) -> Result<Template, Vec<TemplateError>> {
        let mut errors = Vec::new();
        let mut at = Vec::new();
        let t = compile_jsonpath(value, &mut at, &mut errors);
        if errors.is_empty() {
            Ok(t)
        } else {
            Err(errors)
        }
    }

    /// Compiles a JSONata-state template; `field` names the field it sits in (`Arguments`).
    pub fn jsonata(value: &Value, field: &str) -> Result<Template, Vec<TemplateError>> {
        let mut errors = Vec::new();
        let mut at = Vec::new();
        let t = compile_jsonata(value, field, &mut at, &mut errors);
        if errors.is_empty() {
            Ok(t)
        } else {
            Err(errors)
        }
    }

    pub fn is_static(&self) -> bool {
        matches!(self, Template::Static(_))
    }

    /// Whether evaluating this template reads the context object.
    pub fn reads_context(&self) -> bool {
        match self {
            Template::Static(_) => false,
            Template::Object { fields, .. } => fields.iter().any(|(_, t)| t.reads_context()),
            Template::Array(items) => items.iter().any(Template::reads_context),
            Template::Path { path, .. } => *path.root() == super::jsonpath::Root::Context,
            Template::Intrinsic { call, .. } => call
                .paths()
                .iter()
                .any(|p| *p.root() == super::jsonpath::Root::Context),
            Template::Jsonata { .. } => true,
        }
    }

    /// Whether evaluating this template may read the state's input (`$`): a path or an
    /// intrinsic argument rooted there, or any JSONata expression (which reads `$states.input`).
    pub fn reads_input(&self) -> bool {
        use super::jsonpath::Root;
        match self {
            Template::Static(_) => false,
            Template::Object { fields, .. } => fields.iter().any(|(_, t)| t.reads_input()),
            Template::Array(items) => items.iter().any(Template::reads_input),
            Template::Path { path, .. } => *path.root() == Root::Input,
            Template::Intrinsic { call, .. } => {
                call.paths().iter().any(|p| *p.root() == Root::Input)
            }
            Template::Jsonata { .. } => true,
        }
    }

    /// Every path the template reads (for validation).
    pub fn paths(&self) -> Vec<&Path> {
        match self {
            Template::Static(_) | Template::Jsonata { .. } => Vec::new(),
            Template::Object { fields, .. } => fields.iter().flat_map(|(_, t)| t.paths()).collect(),
            Template::Array(items) => items.iter().flat_map(Template::paths).collect(),
            Template::Path { path, .. } => vec![path],
            Template::Intrinsic { call, .. } => call.paths(),
        }
    }

    /// Every JSONata expression in the template (for validation).
    pub fn expressions(&self) -> Vec<(&Expression, &str)> {
        match self {
            Template::Jsonata { expr, field } => vec![(expr, field.as_str())],
            Template::Object { fields, .. } => {
                fields.iter().flat_map(|(_, t)| t.expressions()).collect()
            }
            Template::Array(items) => items.iter().flat_map(Template::expressions).collect(),
            _ => Vec::new(),
        }
    }

    pub fn eval(&self, roots: &dyn Roots) -> Result<Value, DataError> {
        match self {
            Template::Static(v) => Ok(v.clone()),
            Template::Object { fields, skeleton } => {
                let _shared = fields
                    .iter()
                    .any(|(_, t)| matches!(t, Template::Jsonata { .. }))
                    .then(super::jsonata::share_conversions);
                if let Some(skeleton) = skeleton.get(fields) {
                    // Not `skeleton.clone()`: indexmap gives a clone room for as many members
                    // as its hash table holds (three for one), and a Map's million
                    // `ItemSelector` results would take twice the memory they need.
                    let mut m = Map::with_capacity(fields.len());
                    m.clone_from(skeleton);
                    for (slot, (_, t)) in m.values_mut().zip(fields) {
                        if !t.is_static() {
                            *slot = t.eval(roots)?;
                        }
                    }
                    return Ok(Value::Object(m));
                }
                let mut m = Map::with_capacity(fields.len());
                for (k, t) in fields {
                    m.insert(k.clone(), t.eval(roots)?);
                }
                Ok(Value::Object(m))
            }
            Template::Array(items) => items
                .iter()
                .map(|t| t.eval(roots))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            Template::Path { path, field } => match read(path, roots) {
                // Copied at its exact size: the copy may be kept (a Map's results).
                Ok(Cow::Borrowed(v)) => Ok(super::compact::clone(v)),
                Ok(Cow::Owned(v)) => Ok(v),
                Err(e) => Err(path_error(path, field, e, roots)),
            },
            Template::Intrinsic { call, .. } => eval_call(call, roots),
            Template::Jsonata { expr, field } => expr.evaluate_field(roots, field),
        }
    }
}

fn path_error(path: &Path, field: &str, e: ReadError, roots: &dyn Roots) -> DataError {
    match e {
        ReadError::UndefinedVariable(name) => DataError::runtime(format!(
            "The JSONPath '{path}' specified for the field '{field}' references the undefined variable '{name}'"
        )),
        ReadError::Miss(_) => DataError::runtime(format!(
            "The JSONPath '{path}' specified for the field '{field}' could not be found in the input '{}'",
            roots.input()
        )),
        ReadError::Unsupported(m) => DataError::runtime(format!("Invalid path '{path}' : {m}")),
    }
}

/// Evaluates an intrinsic call: arguments first (left to right), then the function.
pub fn eval_call(call: &Call, roots: &dyn Roots) -> Result<Value, DataError> {
    let mut args = Vec::with_capacity(call.args.len());
    for a in &call.args {
        args.push(match a {
            Arg::Literal(v) => Cow::Borrowed(v),
            Arg::Path(p) => match read(p, roots) {
                Ok(v) => v,
                Err(ReadError::UndefinedVariable(name)) => {
                    return Err(DataError::runtime(format!(
                        "The intrinsic function {} references the undefined variable '{name}'",
                        call.func.name()
                    )));
                }
                Err(ReadError::Unsupported(m)) => {
                    return Err(DataError::runtime(format!("Invalid path '{p}' : {m}")));
                }
                Err(ReadError::Miss(miss)) => {
                    return Err(DataError::runtime(format!(
                        "The JSONPath '{p}' in the intrinsic function {} could not be found: {miss}",
                        call.func.name()
                    )));
                }
            },
            Arg::Call(c) => Cow::Owned(eval_call(c, roots)?),
        });
    }
    intrinsics::apply(call.func, args, roots.env()).map_err(|e| DataError::intrinsic(e.0))
}

fn compile_jsonpath<'v>(
    value: &'v Value,
    at: &mut Vec<Cow<'v, str>>,
    errors: &mut Vec<TemplateError>,
) -> Template {
    match value {
        Value::Object(m) => {
            let mut fields = Vec::with_capacity(m.len());
            for (k, v) in m {
                at.push(Cow::Borrowed(k));
                if let Some(name) = k.strip_suffix(".$") {
                    match v {
                        Value::String(s) => match compile_dynamic(s, k) {
                            Ok(t) => fields.push((name.to_string(), t)),
                            Err(message) => errors.push(TemplateError {
                                at: owned(at),
                                message,
                            }),
                        },
                        other => errors.push(TemplateError {
                            at: owned(at),
                            message: format!(
                                "the value of the field `{k}` must be a path or an intrinsic function call, but it is {}",
                                intrinsics_type(other)
                            ),
                        }),
                    }
                } else {
                    fields.push((k.clone(), compile_jsonpath(v, at, errors)));
                }
                at.pop();
            }
            collapse_object(fields)
        }
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, v) in items.iter().enumerate() {
                at.push(Cow::Owned(i.to_string()));
                out.push(compile_jsonpath(v, at, errors));
                at.pop();
            }
            collapse_array(out)
        }
        other => Template::Static(other.clone()),
    }
}

/// Where a problem is, as the error keeps it.
fn owned(at: &[Cow<'_, str>]) -> Vec<String> {
    at.iter().map(|s| s.to_string()).collect()
}

fn intrinsics_type(v: &Value) -> &'static str {
    intrinsics_type_name(v)
}

fn intrinsics_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Compiles the value of a `"key.$"` field: an intrinsic call or a path.
pub fn compile_dynamic(s: &str, field: &str) -> Result<Template, String> {
    if intrinsics::parse::looks_like_call(s) {
        intrinsics::parse_call(s)
            .map(|call| Template::Intrinsic {
                call,
                field: field.to_string(),
            })
            .map_err(|e| {
                format!(
                    "the value of the field `{field}` is not a valid intrinsic function call: {e}"
                )
            })
    } else {
        Path::parse(s)
            .map(|path| Template::Path {
                path,
                field: field.to_string(),
            })
            .map_err(|e| {
                format!(
                    "the value of the field `{field}` must be a valid JSONPath or a valid intrinsic function call: {e}"
                )
            })
    }
}

fn compile_jsonata<'v>(
    value: &'v Value,
    field: &str,
    at: &mut Vec<Cow<'v, str>>,
    errors: &mut Vec<TemplateError>,
) -> Template {
    match value {
        Value::String(s) => match super::jsonata::template_body(s) {
            Some(body) => match Expression::compile(body) {
                Ok(expr) => Template::Jsonata {
                    expr,
                    field: field.to_string(),
                },
                Err(e) => {
                    errors.push(TemplateError {
                        at: owned(at),
                        message: format!(
                            "the JSONata expression in `{field}` is invalid: {e}{}",
                            crate::data::jsonata::position_note(&e)
                        ),
                    });
                    Template::Static(Value::Null)
                }
            },
            None => Template::Static(value.clone()),
        },
        Value::Object(m) => {
            let mut fields = Vec::with_capacity(m.len());
            for (k, v) in m {
                at.push(Cow::Borrowed(k));
                let sub = format!("{field}/{k}");
                fields.push((k.clone(), compile_jsonata(v, &sub, at, errors)));
                at.pop();
            }
            collapse_object(fields)
        }
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, v) in items.iter().enumerate() {
                at.push(Cow::Owned(i.to_string()));
                let sub = format!("{field}/{i}");
                out.push(compile_jsonata(v, &sub, at, errors));
                at.pop();
            }
            collapse_array(out)
        }
        other => Template::Static(other.clone()),
    }
}

fn collapse_object(fields: Vec<(String, Template)>) -> Template {
    if fields.iter().all(|(_, t)| t.is_static()) {
        let mut m = Map::with_capacity(fields.len());
        for (k, t) in fields {
            if let Template::Static(v) = t {
                m.insert(k, v);
            }
        }
        Template::Static(Value::Object(m))
    } else {
        Template::Object {
            fields,
            skeleton: Skeleton::default(),
        }
    }
}

fn collapse_array(items: Vec<Template>) -> Template {
    if items.iter().all(Template::is_static) {
        Template::Static(Value::Array(
            items
                .into_iter()
                .map(|t| match t {
                    Template::Static(v) => v,
                    _ => Value::Null,
                })
                .collect(),
        ))
    } else {
        Template::Array(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::roots::StaticRoots;
    use serde_json::json;

    #[test]
    fn reads_input_sees_paths_and_intrinsic_arguments_rooted_at_the_input() {
        let reads = |v: Value| Template::jsonpath(&v).expect("template").reads_input();
        assert!(reads(json!({"a.$": "$.x"})));
        assert!(reads(json!({"a": [{"b.$": "States.Format('{}', $.x)"}]})));
        assert!(!reads(
            json!({"a.$": "$$.Map.Item.Value", "b.$": "$v", "c": 1})
        ));
        assert!(!reads(
            json!({"a.$": "States.Format('{}', $$.Map.Item.Index)"})
        ));
    }

    #[test]
    fn a_copy_made_by_clone_from_has_the_room_it_needs() {
        // serde_json's map is an `IndexMap<String, Value>`; `capacity` is the smaller of its
        // members' room and its table's. What a skeleton's copy relies on:
        for n in 1..=40 {
            let mut m = indexmap::IndexMap::<String, Value>::with_capacity(n);
            for i in 0..n {
                m.insert(i.to_string(), Value::Null);
            }
            let mut copy = indexmap::IndexMap::with_capacity(n);
            copy.clone_from(&m);
            assert_eq!(copy.capacity(), n, "{n} members");
            assert_eq!(copy, m);
        }
        let mut one = indexmap::IndexMap::<String, Value>::with_capacity(1);
        one.insert("a".into(), Value::Null);
        assert!(one.clone().capacity() > 1, "a plain clone gets more room");
    }

    fn roots(input: Value) -> StaticRoots {
        StaticRoots {
            input,
            context: json!({"Execution": {"Name": "exec"}}),
            vars: [("v".to_string(), json!({"n": 5}))].into_iter().collect(),
            ..Default::default()
        }
    }

    #[test]
    fn repeated_evaluations_give_the_same_object_in_the_same_key_order() {
        // From the second evaluation on, objects are made from a cloned skeleton.
        let t = Template::jsonpath(&json!({
            "z": "static",
            "a.$": "$.x",
            "m": {"k.$": "$.x", "s": [1]},
        }))
        .unwrap();
        for x in 0..3 {
            let out = t.eval(&roots(json!({"x": x}))).unwrap();
            assert_eq!(out, json!({"z": "static", "a": x, "m": {"k": x, "s": [1]}}));
            let keys: Vec<&String> = out.as_object().unwrap().keys().collect();
            assert_eq!(keys, ["z", "a", "m"]);
        }
        // `"a"` and `"a.$"` name one key: the later field wins, every time.
        let t = Template::jsonpath(&json!({"a": 1, "a.$": "$.x"})).unwrap();
        for _ in 0..3 {
            assert_eq!(t.eval(&roots(json!({"x": 2}))).unwrap(), json!({"a": 2}));
        }
    }

    #[test]
    fn evaluates_paths_context_variables_and_intrinsics_at_any_depth() {
        let t = Template::jsonpath(&json!({
            "static": {"a": [1, 2]},
            "p.$": "$.x",
            "c.$": "$$.Execution.Name",
            "v.$": "$v.n",
            "nested": [{"i.$": "States.MathAdd($.x, 1)"}, "lit"],
        }))
        .unwrap();
        let out = t.eval(&roots(json!({"x": 1}))).unwrap();
        assert_eq!(
            out,
            json!({"static": {"a": [1, 2]}, "p": 1, "c": "exec", "v": 5, "nested": [{"i": 2}, "lit"]})
        );
    }

    #[test]
    fn static_templates_collapse() {
        assert!(
            Template::jsonpath(&json!({"a": {"b": [1]}}))
                .unwrap()
                .is_static()
        );
    }

    #[test]
    fn a_missing_path_is_a_runtime_error_naming_the_field() {
        let t = Template::jsonpath(&json!({"value.$": "$.no_such"})).unwrap();
        let e = t.eval(&roots(json!({"a": 1}))).unwrap_err();
        assert_eq!(e.error, "States.Runtime");
        assert_eq!(
            e.message,
            "The JSONPath '$.no_such' specified for the field 'value.$' could not be found in the input '{\"a\":1}'"
        );
    }

    #[test]
    fn bad_dynamic_values_are_load_errors_with_locations() {
        let errs = Template::jsonpath(&json!({"a": {"b.$": "nope"}, "c.$": 1})).unwrap_err();
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[0].at, vec!["a", "b.$"]);
        assert_eq!(errs[1].at, vec!["c.$"]);
    }

    #[test]
    fn intrinsic_failures_are_reported_as_such() {
        let t = Template::jsonpath(&json!({"x.$": "States.ArrayGetItem($.a, 5)"})).unwrap();
        let e = t.eval(&roots(json!({"a": [1]}))).unwrap_err();
        assert_eq!(e.error, "States.IntrinsicFailure");
    }
}
