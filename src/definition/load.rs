//! The loader: JSON value -> [`StateMachine`], collecting every problem as a [`Diagnostic`].
//!
//! The walk mirrors the JSON: machine, graph, state, then the fields of each state type. Each
//! field is checked for type and range where it is read; fields a state type (or its query
//! language) does not allow are reported once, at the field. Transitions are resolved to
//! indexes after a graph's names are known. Whole-machine checks that need the finished model
//! (reachability, variables) live in `crate::validate`.

use super::choice::{Choice, ChoiceBranch};
use super::diagnostic::{Code, Diagnostic, Pointer};
use super::distributed::{ItemBatcher, ItemReader, ReaderConfig, ReaderResource, ResultWriter};
use super::error_name::ErrorName;
use super::fail::Fail;
use super::io::{Dynamic, Filter, Io, ResultPath};
use super::machine::{Graph, QueryLanguage, StateMachine};
use super::map::{ItemsSource, Map, MapMode};
use super::parallel::Parallel;
use super::resource::Resource;
use super::retry::{Catcher, Jitter, Retrier};
use super::state::{Kind, Next, State};
use super::task::Task;
use super::wait::Wait;
use crate::data::choice_rule::{Op, Operand, Pattern, Rule};
use crate::data::intrinsics;
use crate::data::jsonata::{self, Expression};
use crate::data::jsonpath::{Path, Root};
use crate::data::template::Template;
use crate::data::timestamp;
use foldhash::HashMap;
use serde_json::{Map as JsonMap, Value};
use std::fmt;

/// The largest integer AWS accepts in its numeric fields.
const MAX_INT: u64 = 99_999_999;
/// How deep Parallel and Map states may nest before the definition is refused.
pub const MAX_NESTING: usize = 32;

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

/// The loader's answer: the machine when there were no errors, and every diagnostic.
#[derive(Debug)]
pub struct Loaded {
    pub machine: Option<StateMachine>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses and loads a definition text.
pub fn load_str(text: &str) -> Result<StateMachine, LoadError> {
    let value: Value = serde_json::from_str(text).map_err(|e| LoadError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let loaded = load_value(&value);
    match loaded.machine {
        Some(m) => Ok(m),
        None => Err(LoadError::Invalid(
            loaded
                .diagnostics
                .into_iter()
                .filter(Diagnostic::is_error)
                .collect(),
        )),
    }
}

/// Loads a parsed definition.
pub fn load_value(value: &Value) -> Loaded {
    let mut walker = Walker::default();
    let machine = walker.machine(value);
    finish(walker, machine)
}

/// Loads a parsed definition it may consume, as `load_value` does. Each state's JSON is freed
/// once the state is compiled, so the parsed tree and the compiled model never stand in
/// memory side by side (for pass-chain-1k, a 2 MiB huge page fewer).
pub fn load_owned(mut value: Value) -> Loaded {
    let mut walker = Walker::default();
    if let Value::Object(m) = &mut value {
        take_states(m, &mut walker.taken);
    }
    let machine = walker.machine(&value);
    finish(walker, machine)
}

/// Takes the `States` object of `graph`, and of every graph nested in its states (Parallel
/// branches, Map item processors), out of the tree, leaving an empty object in its place: every
/// check still sees a `States` object, and [`Walker::graph`] finds the states in `taken` by the
/// address of that empty object.
fn take_states(
    graph: &mut JsonMap<String, Value>,
    taken: &mut HashMap<usize, JsonMap<String, Value>>,
) {
    let Some(Value::Object(place)) = graph.get_mut("States") else {
        return;
    };
    let mut states = std::mem::take(place);
    let at = std::ptr::from_ref(place) as usize;
    // One pass over each state's fields: looking three names up would hash each of them.
    for state in states.values_mut() {
        let Value::Object(s) = state else { continue };
        for (k, v) in s.iter_mut() {
            match (k.as_str(), v) {
                ("Branches", Value::Array(branches)) => {
                    for b in branches {
                        if let Value::Object(b) = b {
                            take_states(b, taken);
                        }
                    }
                }
                ("ItemProcessor" | "Iterator", Value::Object(p)) => take_states(p, taken),
                _ => {}
            }
        }
    }
    taken.insert(at, states);
}

fn finish(walker: Walker, machine: Option<StateMachine>) -> Loaded {
    let has_errors = walker.diags.iter().any(Diagnostic::is_error);
    Loaded {
        machine: if has_errors { None } else { machine },
        diagnostics: walker.diags,
    }
}

/// The walk over one definition: every diagnostic found so far, and what the fields being read
/// need to know of where they stand (state names seen, nesting depth, the query language above).
#[derive(Default)]
struct Walker {
    diags: Vec<Diagnostic>,
    /// Every state name seen so far, machine-wide, with where it was first defined.
    names: HashMap<String, String>,
    depth: usize,
    /// Inside the item processor of a DISTRIBUTED Map: a child workflow of its own, whose states
    /// may pick their query language afresh.
    in_child_workflow: bool,
    /// The machine's own `QueryLanguage` is JSONata: only then are JSONPath states refused
    /// (a JSONata Map in a JSONPath machine may hold JSONPath states).
    top_jsonata: bool,
    /// The states of every graph, taken out of the tree by [`load_owned`] to be freed one by
    /// one as they are compiled, by the address of the empty object left in their place.
    taken: HashMap<usize, JsonMap<String, Value>>,
}

/// One JSON object being read, with its pointer.
#[derive(Clone, Copy)]
struct Obj<'a> {
    map: &'a JsonMap<String, Value>,
    ptr: &'a Pointer,
}

impl<'a> Obj<'a> {
    fn get(&self, k: &str) -> Option<&'a Value> {
        crate::data::jsonpath::member(self.map, k)
    }
    fn at(&self, k: &str) -> Pointer {
        self.ptr.key(k)
    }
    fn has(&self, k: &str) -> bool {
        self.get(k).is_some()
    }
}

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The fields of each state type, split by the query languages that accept them.
struct FieldSet {
    both: &'static [&'static str],
    jsonpath: &'static [&'static str],
    jsonata: &'static [&'static str],
}

fn fields_of(ty: &str) -> Option<FieldSet> {
    Some(match ty {
        "Pass" => FieldSet {
            both: &["Type", "Comment", "QueryLanguage", "Next", "End", "Assign"],
            jsonpath: &[
                "InputPath",
                "OutputPath",
                "Parameters",
                "ResultPath",
                "Result",
            ],
            jsonata: &["Output"],
        },
        "Task" => FieldSet {
            both: &[
                "Type",
                "Comment",
                "QueryLanguage",
                "Next",
                "End",
                "Assign",
                "Resource",
                "TimeoutSeconds",
                "HeartbeatSeconds",
                "Retry",
                "Catch",
                "Credentials",
            ],
            jsonpath: &[
                "InputPath",
                "OutputPath",
                "Parameters",
                "ResultPath",
                "ResultSelector",
                "TimeoutSecondsPath",
                "HeartbeatSecondsPath",
            ],
            jsonata: &["Output", "Arguments"],
        },
        "Choice" => FieldSet {
            both: &[
                "Type",
                "Comment",
                "QueryLanguage",
                "Choices",
                "Default",
                "Assign",
            ],
            jsonpath: &["InputPath", "OutputPath"],
            jsonata: &["Output"],
        },
        "Wait" => FieldSet {
            both: &[
                "Type",
                "Comment",
                "QueryLanguage",
                "Next",
                "End",
                "Assign",
                "Seconds",
                "Timestamp",
            ],
            jsonpath: &["InputPath", "OutputPath", "SecondsPath", "TimestampPath"],
            jsonata: &["Output"],
        },
        "Succeed" => FieldSet {
            both: &["Type", "Comment", "QueryLanguage"],
            jsonpath: &["InputPath", "OutputPath"],
            jsonata: &["Output"],
        },
        "Fail" => FieldSet {
            both: &["Type", "Comment", "QueryLanguage", "Error", "Cause"],
            jsonpath: &["ErrorPath", "CausePath"],
            jsonata: &[],
        },
        "Parallel" => FieldSet {
            both: &[
                "Type",
                "Comment",
                "QueryLanguage",
                "Next",
                "End",
                "Assign",
                "Branches",
                "Retry",
                "Catch",
            ],
            jsonpath: &[
                "InputPath",
                "OutputPath",
                "Parameters",
                "ResultPath",
                "ResultSelector",
            ],
            jsonata: &["Output", "Arguments"],
        },
        "Map" => FieldSet {
            both: &[
                "Type",
                "Comment",
                "QueryLanguage",
                "Next",
                "End",
                "Assign",
                "Iterator",
                "ItemProcessor",
                "ItemSelector",
                "MaxConcurrency",
                "ToleratedFailureCount",
                "ToleratedFailurePercentage",
                "ItemReader",
                "ItemBatcher",
                "ResultWriter",
                "Label",
                "Retry",
                "Catch",
            ],
            jsonpath: &[
                "InputPath",
                "OutputPath",
                "Parameters",
                "ResultPath",
                "ResultSelector",
                "ItemsPath",
                "MaxConcurrencyPath",
                "ToleratedFailureCountPath",
                "ToleratedFailurePercentagePath",
            ],
            jsonata: &["Output", "Items"],
        },
        _ => return None,
    })
}

impl Walker {
    fn schema(&mut self, ptr: &Pointer, msg: impl Into<String>) {
        self.diags.push(Diagnostic::error(
            Code::SchemaValidationFailed,
            ptr.as_str(),
            msg,
        ));
    }

    /// A field the object does not accept. AWS reports it at the object (`Field 'X' is not
    /// supported at /States/S`); the field itself is kept as the focus.
    fn unknown(&mut self, obj: &Pointer, k: &str, msg: impl Into<String>) {
        self.diags.push(
            Diagnostic::error(Code::SchemaValidationFailed, obj.as_str(), msg)
                .with_focus(obj.key(k).as_str()),
        );
    }

    /// A problem inside a payload template: AWS reports it at the template's field.
    fn template_error(&mut self, field: &Pointer, at: &Pointer, msg: impl Into<String>) {
        self.diags.push(
            Diagnostic::error(Code::SchemaValidationFailed, field.as_str(), msg)
                .with_focus(at.as_str()),
        );
    }

    fn error(&mut self, code: Code, ptr: &Pointer, msg: impl Into<String>) {
        self.diags.push(Diagnostic::error(code, ptr.as_str(), msg));
    }

    fn warn(&mut self, code: Code, ptr: &Pointer, msg: impl Into<String>) {
        self.diags
            .push(Diagnostic::warning(code, ptr.as_str(), msg));
    }

    fn required(&mut self, o: Obj, names: &[&str]) -> bool {
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

    fn string<'v>(&mut self, o: Obj<'v>, k: &str) -> Option<&'v str> {
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

    fn nonempty_string<'v>(&mut self, o: Obj<'v>, k: &str) -> Option<&'v str> {
        let s = self.string(o, k)?;
        if s.is_empty() {
            self.schema(&o.at(k), format!("The field `{k}` cannot be empty"));
            return None;
        }
        Some(s)
    }

    fn boolean(&mut self, o: Obj, k: &str) -> Option<bool> {
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
    fn integer(&mut self, o: Obj, k: &str, min: u64) -> Option<u64> {
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
            Some(n) if n >= min && n <= MAX_INT => Some(n),
            _ => {
                self.schema(
                    &o.at(k),
                    format!(
                        "The field `{k}` must be an integer from {min} to {MAX_INT}, but it is {}",
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

    fn number(&mut self, o: Obj, k: &str) -> Option<f64> {
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

    fn object<'v>(&mut self, o: Obj<'v>, k: &str) -> Option<&'v JsonMap<String, Value>> {
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

    /// A Task's `Credentials` names the role to assume and nothing else: exactly one of
    /// `RoleArn` or (JSONPath only) `RoleArn.$`, holding a string.
    fn credentials_fields(
        &mut self,
        at: &Pointer,
        c: &JsonMap<String, Value>,
        lang: QueryLanguage,
    ) {
        let allowed: &[&str] = match lang {
            QueryLanguage::JsonPath => &["RoleArn", "RoleArn.$"],
            QueryLanguage::Jsonata => &["RoleArn"],
        };
        let wanted = allowed
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(" or ");
        let unknown: Vec<&str> = c
            .keys()
            .map(String::as_str)
            .filter(|k| !allowed.contains(k))
            .collect();
        if !unknown.is_empty() {
            let listed = unknown
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ");
            self.schema(
                at,
                format!("The field `Credentials` may only hold {wanted}, but it also has {listed}"),
            );
        } else if c.len() != 1 {
            self.schema(
                at,
                format!(
                    "The field `Credentials` must hold exactly one of {wanted}, but it has {}",
                    c.len()
                ),
            );
        } else if let Some((k, v)) = c.iter().next()
            && !v.is_string()
        {
            self.schema(
                at,
                format!(
                    "The field `{k}` of `Credentials` must be a string, but it is {}",
                    type_of(v)
                ),
            );
        }
    }

    fn query_language(&mut self, o: Obj, inherited: QueryLanguage) -> QueryLanguage {
        match self.string(o, "QueryLanguage") {
            None => inherited,
            Some("JSONPath") => {
                if self.top_jsonata
                    && o.ptr.as_str().contains("/States/")
                    && !self.in_child_workflow
                {
                    // AWS locates this at the state, not at its `QueryLanguage` field.
                    self.schema(
                        o.ptr,
                        "`QueryLanguage` cannot be `JSONPath` in a state machine whose `QueryLanguage` is `JSONata`",
                    );
                }
                QueryLanguage::JsonPath
            }
            Some("JSONata") => QueryLanguage::Jsonata,
            Some(other) => {
                self.schema(
                    &o.at("QueryLanguage"),
                    format!("The field `QueryLanguage` must be `JSONPath` or `JSONata`, but it is `{other}`"),
                );
                inherited
            }
        }
    }

    fn path(&mut self, o: Obj, k: &str) -> Option<Path> {
        let s = self.string(o, k)?;
        match Path::parse(s) {
            Ok(p) => Some(p),
            Err(e) => {
                self.schema(
                    &o.at(k),
                    format!("The value of the field `{k}` must be a valid JSONPath: {e}"),
                );
                None
            }
        }
    }

    /// A reference path: names and indexes only, rooted at `$` (or `$$`/a variable where
    /// `allow_other_roots`).
    fn reference_path(&mut self, o: Obj, k: &str, allow_other_roots: bool) -> Option<Path> {
        let p = self.path(o, k)?;
        if !p.is_reference() || (!allow_other_roots && *p.root() != Root::Input) {
            self.schema(
                &o.at(k),
                format!("The value of the field `{k}` must be a valid ReferencePath: only names and indexes from `$`"),
            );
            return None;
        }
        Some(p)
    }

    fn filter(&mut self, o: Obj, k: &str) -> Filter {
        match o.get(k) {
            None => Filter::All,
            Some(Value::Null) => Filter::Nothing,
            Some(_) => self
                .path(o, k)
                .map(|p| Filter::Path(Box::new(p)))
                .unwrap_or_default(),
        }
    }

    fn expression(&mut self, ptr: &Pointer, field: &str, body: &str) -> Option<Expression> {
        match Expression::compile(body) {
            Ok(e) => Some(e),
            Err(e) => {
                self.schema(
                    ptr,
                    format!(
                        "The field `{field}` holds an invalid JSONata expression: {e}{}",
                        crate::data::jsonata::position_note(&e)
                    ),
                );
                None
            }
        }
    }

    fn template_jsonpath(&mut self, o: Obj, k: &str) -> Option<Template> {
        // Any JSON value is a template: objects and arrays are walked for `.$` keys, and a
        // scalar is a constant (AWS accepts `"Parameters": "text"` and arrays).
        let v = o.get(k)?;
        self.no_dollar_warnings(v, &o.at(k));
        match Template::jsonpath(v) {
            Ok(t) => Some(t),
            Err(errors) => {
                for e in errors {
                    let mut p = o.at(k);
                    for seg in &e.at {
                        p = p.key(seg);
                    }
                    self.template_error(&o.at(k), &p, e.message);
                }
                None
            }
        }
    }

    /// AWS's `NO_DOLLAR` warning: a path-looking value under a key without `.$`.
    fn no_dollar_warnings(&mut self, v: &Value, ptr: &Pointer) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    match v {
                        Value::String(s)
                            if !k.ends_with(".$")
                                && (s.starts_with("$.")
                                    || s.starts_with("$$.")
                                    || intrinsics::parse::looks_like_call(s)
                                        && s.ends_with(')')) =>
                        {
                            self.warn(
                                Code::NoDollar,
                                &ptr.key(k),
                                format!("The value of `{k}` looks like a path or an intrinsic call, but `{k}` does not end in `.$`, so it is used as a literal string"),
                            );
                        }
                        Value::Object(_) | Value::Array(_) => {
                            self.no_dollar_warnings(v, &ptr.key(k));
                        }
                        _ => {}
                    }
                }
            }
            Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    if matches!(v, Value::Object(_) | Value::Array(_)) {
                        self.no_dollar_warnings(v, &ptr.index(i));
                    }
                }
            }
            _ => {}
        }
    }

    fn template_jsonata(&mut self, o: Obj, k: &str) -> Option<Template> {
        let v = o.get(k)?;
        match Template::jsonata(v, k) {
            Ok(t) => Some(t),
            Err(errors) => {
                for e in errors {
                    let mut p = o.at(k);
                    for seg in &e.at {
                        p = p.key(seg);
                    }
                    self.template_error(&o.at(k), &p, e.message);
                }
                None
            }
        }
    }

    fn template(&mut self, o: Obj, k: &str, lang: QueryLanguage) -> Option<Template> {
        match lang {
            QueryLanguage::JsonPath => self.template_jsonpath(o, k),
            QueryLanguage::Jsonata => self.template_jsonata(o, k),
        }
    }

    /// `Assign`: an object of variable names.
    fn assign(&mut self, o: Obj, lang: QueryLanguage) -> Option<Template> {
        let m = self.object(o, "Assign")?;
        let ptr = o.at("Assign");
        for k in m.keys() {
            let name = k.strip_suffix(".$").unwrap_or(k);
            if !valid_variable_name(name) {
                self.schema(
                    &ptr.key(k),
                    format!("`{name}` is not a valid variable name: a variable name starts with a letter and goes on with letters, digits and `_` (a Unicode identifier of at most 80 characters)"),
                );
            } else if name == "states" {
                self.schema(&ptr.key(k), "`states` is reserved and cannot be assigned");
            }
        }
        self.template(o, "Assign", lang)
    }

    /// A number given directly or through `<k>Path` (JSONPath) or a `{% %}` string (JSONata).
    fn dynamic_int(
        &mut self,
        o: Obj,
        k: &str,
        min: u64,
        lang: QueryLanguage,
    ) -> Option<Dynamic<u64>> {
        let path_key = format!("{k}Path");
        if o.has(k) && o.has(&path_key) {
            self.schema(
                o.ptr,
                format!("The fields `{k}` and `{path_key}` cannot both be set"),
            );
        }
        if let Some(Value::String(s)) = o.get(k) {
            if lang == QueryLanguage::Jsonata
                && let Some(body) = jsonata::template_body(s)
            {
                return self.expression(&o.at(k), k, body).map(Dynamic::Expr);
            }
            self.schema(
                &o.at(k),
                format!(
                    "The field `{k}` must be an integer{}",
                    if lang == QueryLanguage::Jsonata {
                        " or a JSONata expression `{% ... %}`"
                    } else {
                        ""
                    }
                ),
            );
            return None;
        }
        if o.has(k) {
            return self.integer(o, k, min).map(Dynamic::Fixed);
        }
        if o.has(&path_key) {
            return self.reference_path(o, &path_key, true).map(Dynamic::Path);
        }
        None
    }

    fn machine(&mut self, v: &Value) -> Option<StateMachine> {
        let root = Pointer::root();
        let Value::Object(m) = v else {
            self.schema(
                &root,
                format!(
                    "A state machine definition must be a JSON object, but it is {}",
                    type_of(v)
                ),
            );
            return None;
        };
        let o = Obj { map: m, ptr: &root };
        for k in m.keys() {
            if !matches!(
                k.as_str(),
                "Comment" | "StartAt" | "States" | "TimeoutSeconds" | "Version" | "QueryLanguage"
            ) {
                let hint = super::diagnostic::did_you_mean_in(
                    k,
                    &[
                        "Comment",
                        "StartAt",
                        "States",
                        "TimeoutSeconds",
                        "Version",
                        "QueryLanguage",
                    ],
                );
                self.unknown(
                    o.ptr,
                    k,
                    format!(
                        "Field `{k}` is not supported at the top level of a state machine{hint}"
                    ),
                );
            }
        }
        let lang = self.query_language(o, QueryLanguage::JsonPath);
        self.top_jsonata = lang == QueryLanguage::Jsonata;
        let comment = self.string(o, "Comment").map(str::to_string);
        let version = self.string(o, "Version").map(str::to_string);
        let timeout_seconds = self.integer(o, "TimeoutSeconds", 1);
        let graph = self.graph(o, lang);
        Some(StateMachine {
            comment,
            version,
            timeout_seconds,
            query_language: lang,
            root: graph?,
        })
    }

    /// Reads `StartAt` and `States` of `o` (the machine, a branch, or an item processor).
    fn graph(&mut self, o: Obj, lang: QueryLanguage) -> Option<Graph> {
        if !self.required(o, &["States", "StartAt"]) {
            // Still read the states for their own problems.
            if let Some(Value::Object(_)) = o.get("States") {
            } else {
                return None;
            }
        }
        let start_name = self.string(o, "StartAt");
        let states_ptr = o.at("States");
        let in_tree = self.object(o, "States")?;
        // The states themselves, when `load_owned` took them out of the tree.
        let owned = self.taken.remove(&(std::ptr::from_ref(in_tree) as usize));
        let states_map = owned.as_ref().unwrap_or(in_tree);
        if states_map.is_empty() {
            self.schema(
                &states_ptr,
                "The field `States` must hold at least one state",
            );
            return None;
        }
        let keys: Vec<String> = states_map.keys().cloned().collect();
        let names: Vec<&String> = keys.iter().collect();
        let index: HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        for n in &names {
            let p = states_ptr.key(n);
            if n.is_empty() || n.chars().count() > 80 {
                self.error(
                    Code::InvalidStateName,
                    &p,
                    format!("The state name `{n}` must be 1 to 80 characters long"),
                );
            }
            if let Some(first) = self.names.get(n.as_str()) {
                let msg = format!(
                    "The state name `{n}` is already used at {first}; state names must be unique in the whole state machine"
                );
                self.error(Code::DuplicateStateName, &p, msg);
            } else {
                self.names.insert(n.to_string(), p.to_string());
            }
        }
        let start = match start_name {
            Some(s) => match index.get(s) {
                Some(i) => Some(*i),
                None => {
                    let msg = format!(
                        "`StartAt` names the state `{s}`, which does not exist{}",
                        did_you_mean(s, &names)
                    );
                    self.error(Code::MissingTransitionTarget, &o.at("StartAt"), msg);
                    None
                }
            },
            None => None,
        };
        let mut states = Vec::with_capacity(names.len());
        let mut one = |walker: &mut Self, name: &str, v: &Value| {
            let p = states_ptr.key(name);
            if let Some(s) = walker.state(name, v, &p, lang, &index, &names) {
                states.push(s);
            }
        };
        match owned {
            // Each state's JSON is dropped as soon as it is compiled.
            Some(map) => map.into_iter().for_each(|(name, v)| one(self, &name, &v)),
            None => in_tree.iter().for_each(|(name, v)| one(self, name, v)),
        }
        if states.len() != names.len() {
            return None;
        }
        Some(Graph {
            states,
            start: start?,
            pointer: o.ptr.to_string(),
        })
    }

    fn transition(
        &mut self,
        o: Obj,
        k: &str,
        index: &HashMap<&str, usize>,
        names: &[&String],
    ) -> Option<usize> {
        let s = self.string(o, k)?;
        match index.get(s) {
            Some(i) => Some(*i),
            None => {
                let msg = format!(
                    "`{k}` names the state `{s}`, which does not exist in this scope{}",
                    did_you_mean(s, names)
                );
                self.error(Code::MissingTransitionTarget, &o.at(k), msg);
                None
            }
        }
    }

    fn state(
        &mut self,
        name: &str,
        v: &Value,
        ptr: &Pointer,
        inherited: QueryLanguage,
        index: &HashMap<&str, usize>,
        names: &[&String],
    ) -> Option<State> {
        let Value::Object(m) = v else {
            self.schema(
                ptr,
                format!(
                    "The state `{name}` must be an object, but it is {}",
                    type_of(v)
                ),
            );
            return None;
        };
        let o = Obj { map: m, ptr };
        if !self.required(o, &["Type"]) {
            return None;
        }
        let ty = self.string(o, "Type")?;
        let Some(fields) = fields_of(ty) else {
            self.schema(
                &o.at("Type"),
                format!("`{ty}` is not a state type: use Pass, Task, Choice, Wait, Succeed, Fail, Parallel or Map"),
            );
            return None;
        };
        let lang = self.query_language(o, inherited);
        let errors_before = self.error_count();
        for k in m.keys() {
            let k = k.as_str();
            if fields.both.contains(&k) {
                continue;
            }
            let (own, other) = match lang {
                QueryLanguage::JsonPath => (fields.jsonpath, fields.jsonata),
                QueryLanguage::Jsonata => (fields.jsonata, fields.jsonpath),
            };
            if own.contains(&k) {
                continue;
            }
            if other.contains(&k) {
                self.unknown(
                    o.ptr,
                    k,
                    format!(
                        "The field `{k}` is only supported in {} states, but this state uses {}",
                        lang_other(lang),
                        lang.as_str()
                    ),
                );
            } else {
                let known: Vec<&str> = fields.both.iter().chain(own.iter()).copied().collect();
                let hint = super::diagnostic::did_you_mean_in(k, &known);
                self.unknown(
                    o.ptr,
                    k,
                    format!("Field `{k}` is not supported by {ty} states{hint}"),
                );
            }
        }
        let comment = self.string(o, "Comment").map(str::to_string);

        // Next / End.
        let next = if matches!(ty, "Choice" | "Succeed" | "Fail") {
            Next::End
        } else {
            let end = self.boolean(o, "End").unwrap_or(false);
            match (o.has("Next"), end) {
                (true, true) => {
                    self.schema(ptr, "A state cannot have both `Next` and `End: true`");
                    Next::End
                }
                (true, false) => self
                    .transition(o, "Next", index, names)
                    .map(Next::To)
                    .unwrap_or(Next::End),
                (false, true) => Next::End,
                (false, false) => {
                    if o.has("End") {
                        self.schema(&o.at("End"), "`End` must be true when there is no `Next`");
                    } else {
                        self.schema(
                            ptr,
                            format!("The {ty} state `{name}` needs `Next` or `End: true`"),
                        );
                    }
                    Next::End
                }
            }
        };

        let mut io = Io::default();
        match lang {
            QueryLanguage::JsonPath => {
                io.input_path = self.filter(o, "InputPath");
                io.output_path = self.filter(o, "OutputPath");
                if ty != "Map" {
                    io.parameters = self.template_jsonpath(o, "Parameters").map(Box::new);
                }
                io.result_selector = self.template_jsonpath(o, "ResultSelector").map(Box::new);
                io.result_path = match o.get("ResultPath") {
                    None => ResultPath::Replace,
                    Some(Value::Null) => ResultPath::Discard,
                    Some(_) => self
                        .reference_path(o, "ResultPath", false)
                        .map(|p| {
                            if p.is_root() {
                                ResultPath::Replace
                            } else {
                                ResultPath::At(Box::new(p))
                            }
                        })
                        .unwrap_or_default(),
                };
            }
            QueryLanguage::Jsonata => {
                io.parameters = self.template_jsonata(o, "Arguments").map(Box::new);
                io.output = self.template_jsonata(o, "Output").map(Box::new);
            }
        }
        let assign = if o.has("Assign") {
            self.assign(o, lang)
        } else {
            None
        };

        let kind = match ty {
            "Pass" => {
                if lang == QueryLanguage::JsonPath
                    && let Some(r) = o.get("Result")
                {
                    self.static_result_warnings(r, &o.at("Result"));
                }
                Some(Kind::Pass {
                    result: o.get("Result").cloned(),
                })
            }
            "Succeed" => Some(Kind::Succeed),
            "Fail" => Some(Kind::Fail(Box::new(self.fail(o, lang)))),
            "Wait" => self.wait(o, lang).map(|w| Kind::Wait(Box::new(w))),
            "Task" => self
                .task(o, lang, index, names)
                .map(|t| Kind::Task(Box::new(t))),
            "Choice" => self
                .choice(o, lang, index, names)
                .map(|c| Kind::Choice(Box::new(c))),
            "Parallel" => self
                .parallel(o, lang, index, names)
                .map(|p| Kind::Parallel(Box::new(p))),
            "Map" => self
                .map(o, lang, index, names, &mut io)
                .map(|m| Kind::Map(Box::new(m))),
            _ => None,
        };
        if self.error_count() > errors_before {
            return None;
        }
        Some(State {
            name: name.to_string(),
            pointer: ptr.to_string(),
            comment,
            language: lang,
            kind: kind?,
            next,
            io,
            assign: assign.map(Box::new),
        })
    }

    fn error_count(&self) -> usize {
        self.diags.iter().filter(|d| d.is_error()).count()
    }

    /// AWS's `PASS_RESULT_IS_STATIC` warning: a `.$` key in a Pass state's static `Result`.
    fn static_result_warnings(&mut self, v: &Value, ptr: &Pointer) {
        if let Value::Object(m) = v {
            for (k, v) in m {
                if k.ends_with(".$") {
                    self.warn(
                        Code::PassResultIsStatic,
                        &ptr.key(k),
                        format!("`Result` is static: `{k}` is kept as written and not evaluated; use `Parameters` to evaluate paths"),
                    );
                }
                self.static_result_warnings(v, &ptr.key(k));
            }
        }
    }

    fn fail(&mut self, o: Obj, lang: QueryLanguage) -> Fail {
        let mut f = Fail::default();
        for (k, slot) in [("Error", &mut f.error), ("Cause", &mut f.cause)] {
            let path_key = format!("{k}Path");
            if o.has(k) && o.has(&path_key) {
                self.schema(
                    o.ptr,
                    format!("The fields `{k}` and `{path_key}` cannot both be set"),
                );
            }
            if let Some(s) = self.string(o, k) {
                *slot = match (lang, jsonata::template_body(s)) {
                    (QueryLanguage::Jsonata, Some(body)) => {
                        self.expression(&o.at(k), k, body).map(Dynamic::Expr)
                    }
                    _ => Some(Dynamic::Fixed(s.to_string())),
                };
            } else if let Some(s) = self.string(o, &path_key) {
                *slot = if intrinsics::parse::looks_like_call(s) {
                    match intrinsics::parse_call(s) {
                        Ok(c) => Some(Dynamic::Intrinsic(c)),
                        Err(e) => {
                            self.schema(&o.at(&path_key), format!("The value of `{path_key}` is not a valid intrinsic function call: {e}"));
                            None
                        }
                    }
                } else {
                    self.path(o, &path_key).map(Dynamic::Path)
                };
            }
        }
        f
    }

    fn wait(&mut self, o: Obj, lang: QueryLanguage) -> Option<Wait> {
        let set: Vec<&str> = ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"]
            .into_iter()
            .filter(|k| o.has(k))
            .collect();
        if set.len() != 1 {
            self.schema(
                o.ptr,
                if set.is_empty() {
                    "A Wait state needs exactly one of `Seconds`, `SecondsPath`, `Timestamp`, `TimestampPath`".to_string()
                } else {
                    format!("A Wait state needs exactly one of `Seconds`, `SecondsPath`, `Timestamp`, `TimestampPath`, but it has {}", set.join(", "))
                },
            );
            return None;
        }
        match set[0] {
            "Seconds" | "SecondsPath" => self.dynamic_int(o, "Seconds", 0, lang).map(Wait::Seconds),
            "Timestamp" => {
                let s = self.string(o, "Timestamp")?;
                if lang == QueryLanguage::Jsonata
                    && let Some(body) = jsonata::template_body(s)
                {
                    return self
                        .expression(&o.at("Timestamp"), "Timestamp", body)
                        .map(|e| Wait::Timestamp(Dynamic::Expr(e)));
                }
                match timestamp::parse(s) {
                    Some(t) => Some(Wait::Timestamp(Dynamic::Fixed(t))),
                    None => {
                        self.schema(
                            &o.at("Timestamp"),
                            "String does not match RFC3339 timestamp",
                        );
                        None
                    }
                }
            }
            _ => self
                .reference_path(o, "TimestampPath", true)
                .map(|p| Wait::Timestamp(Dynamic::Path(p))),
        }
    }

    fn task(
        &mut self,
        o: Obj,
        lang: QueryLanguage,
        index: &HashMap<&str, usize>,
        names: &[&String],
    ) -> Option<Task> {
        if !self.required(o, &["Resource"]) {
            return None;
        }
        let resource = match o.get("Resource") {
            // A CloudFormation intrinsic (`{"Fn::GetAtt": [...]}`, `{"Ref": ...}`) left in a
            // definition that a template will resolve at deploy time.
            Some(Value::Object(m))
                if m.len() == 1 && m.keys().all(|k| k == "Ref" || k.starts_with("Fn::")) =>
            {
                Resource::parse(&Value::Object(m.clone()).to_string())
            }
            _ => Resource::parse(self.nonempty_string(o, "Resource")?),
        };
        let timeout = self.dynamic_int(o, "TimeoutSeconds", 1, lang);
        let heartbeat = self.dynamic_int(o, "HeartbeatSeconds", 1, lang);
        if let (Some(Dynamic::Fixed(t)), Some(Dynamic::Fixed(h))) = (&timeout, &heartbeat)
            && h >= t
        {
            self.schema(
                &o.at("HeartbeatSeconds"),
                format!("`HeartbeatSeconds` ({h}) must be smaller than `TimeoutSeconds` ({t})"),
            );
        }
        let credentials = if let Some(c) = o.get("Credentials")
            && !c.is_object()
        {
            self.schema(
                &o.at("Credentials"),
                format!(
                    "The field `Credentials` must be an object, but it is {}",
                    type_of(c)
                ),
            );
            None
        } else if let Some(Value::Object(c)) = o.get("Credentials") {
            self.credentials_fields(&o.at("Credentials"), c, lang);
            self.template(o, "Credentials", lang)
        } else {
            None
        };
        let retry = self.retriers(o, lang);
        let catch = self.catchers(o, lang, index, names);
        Some(Task {
            resource,
            timeout,
            heartbeat,
            credentials,
            retry,
            catch,
        })
    }

    fn error_equals(&mut self, o: Obj) -> Vec<ErrorName> {
        let k = "ErrorEquals";
        let Some(v) = o.get(k) else {
            self.required(o, &[k]);
            return Vec::new();
        };
        let Value::Array(items) = v else {
            self.schema(
                &o.at(k),
                format!("The field `{k}` must be an array of error names"),
            );
            return Vec::new();
        };
        if items.is_empty() {
            self.schema(&o.at(k), "`ErrorEquals` cannot be empty");
        }
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item {
                Value::String(s) => {
                    let name = ErrorName::parse(s);
                    if s.starts_with("States.") && matches!(name, ErrorName::Custom(_)) {
                        // AWS accepts it, but it can never match: `States.` names are reserved.
                        let predefined = ErrorName::predefined_names();
                        let hint = super::diagnostic::did_you_mean_in(s, &predefined);
                        self.diags.push(Diagnostic::warning(
                            Code::UnknownErrorName,
                            o.at(k).index(i).as_str(),
                            format!("`{s}` is not a predefined error name; names starting with `States.` are reserved{hint}"),
                        ));
                    }
                    out.push(name)
                }
                other => self.schema(
                    &o.at(k).index(i),
                    format!(
                        "An error name must be a string, but it is {}",
                        type_of(other)
                    ),
                ),
            }
        }
        if out.len() > 1 && out.contains(&ErrorName::All) {
            self.schema(&o.at(k), "`States.ALL` must appear alone in `ErrorEquals`");
        }
        out
    }

    fn array<'v>(&mut self, o: Obj<'v>, k: &str) -> Option<&'v Vec<Value>> {
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

    fn retriers(&mut self, o: Obj, _lang: QueryLanguage) -> Vec<Retrier> {
        let Some(items) = self.array(o, "Retry") else {
            return Vec::new();
        };
        let base = o.at("Retry");
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let p = base.index(i);
            let Value::Object(m) = item else {
                self.schema(&p, "A retrier must be an object");
                continue;
            };
            let r = Obj { map: m, ptr: &p };
            for k in m.keys() {
                if !matches!(
                    k.as_str(),
                    "ErrorEquals"
                        | "IntervalSeconds"
                        | "MaxAttempts"
                        | "BackoffRate"
                        | "MaxDelaySeconds"
                        | "JitterStrategy"
                        | "Comment"
                ) {
                    self.unknown(
                        r.ptr,
                        k,
                        format!("Field `{k}` is not supported in a retrier"),
                    );
                }
            }
            let error_equals = self.error_equals(r);
            if error_equals.contains(&ErrorName::All) && i + 1 != items.len() {
                self.schema(
                    &r.at("ErrorEquals"),
                    "A retrier with `States.ALL` must be the last retrier",
                );
            }
            let backoff_rate = self.number(r, "BackoffRate").unwrap_or(2.0);
            if backoff_rate < 1.0 {
                self.schema(
                    &r.at("BackoffRate"),
                    format!("`BackoffRate` must be at least 1.0, but it is {backoff_rate}"),
                );
            }
            let jitter = match self.string(r, "JitterStrategy") {
                None | Some("NONE") => Jitter::None,
                Some("FULL") => Jitter::Full,
                Some(other) => {
                    self.schema(
                        &r.at("JitterStrategy"),
                        format!("`JitterStrategy` must be `FULL` or `NONE`, but it is `{other}`"),
                    );
                    Jitter::None
                }
            };
            out.push(Retrier {
                error_equals,
                interval_seconds: self.integer(r, "IntervalSeconds", 1).unwrap_or(1),
                max_attempts: self.integer(r, "MaxAttempts", 0).unwrap_or(3),
                backoff_rate,
                max_delay_seconds: self.integer(r, "MaxDelaySeconds", 1),
                jitter,
            });
        }
        out
    }

    fn catchers(
        &mut self,
        o: Obj,
        lang: QueryLanguage,
        index: &HashMap<&str, usize>,
        names: &[&String],
    ) -> Vec<Catcher> {
        let Some(items) = self.array(o, "Catch") else {
            return Vec::new();
        };
        let base = o.at("Catch");
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let p = base.index(i);
            let Value::Object(m) = item else {
                self.schema(&p, "A catcher must be an object");
                continue;
            };
            let c = Obj { map: m, ptr: &p };
            for k in m.keys() {
                let ok = match k.as_str() {
                    "ErrorEquals" | "Next" | "Comment" | "Assign" => true,
                    "ResultPath" => lang == QueryLanguage::JsonPath,
                    "Output" => lang == QueryLanguage::Jsonata,
                    _ => false,
                };
                if !ok {
                    self.unknown(
                        c.ptr,
                        k,
                        format!(
                            "Field `{k}` is not supported in a catcher of a {} state",
                            lang.as_str()
                        ),
                    );
                }
            }
            let error_equals = self.error_equals(c);
            if error_equals.contains(&ErrorName::All) && i + 1 != items.len() {
                self.schema(
                    &c.at("ErrorEquals"),
                    "A catcher with `States.ALL` must be the last catcher",
                );
            }
            if !self.required(c, &["Next"]) {
                continue;
            }
            let Some(next) = self.transition(c, "Next", index, names) else {
                continue;
            };
            let result_path = match c.get("ResultPath") {
                None => ResultPath::Replace,
                Some(Value::Null) => ResultPath::Discard,
                Some(_) => self
                    .reference_path(c, "ResultPath", false)
                    .map(|p| {
                        if p.is_root() {
                            ResultPath::Replace
                        } else {
                            ResultPath::At(Box::new(p))
                        }
                    })
                    .unwrap_or_default(),
            };
            let output = if lang == QueryLanguage::Jsonata {
                self.template_jsonata(c, "Output")
            } else {
                None
            };
            let assign = if c.has("Assign") {
                self.assign(c, lang)
            } else {
                None
            };
            out.push(Catcher {
                error_equals,
                next,
                result_path,
                output,
                assign,
            });
        }
        out
    }

    fn choice(
        &mut self,
        o: Obj,
        lang: QueryLanguage,
        index: &HashMap<&str, usize>,
        names: &[&String],
    ) -> Option<Choice> {
        if !self.required(o, &["Choices"]) {
            return None;
        }
        let items = self.array(o, "Choices")?;
        let base = o.at("Choices");
        if items.is_empty() {
            self.schema(&base, "`Choices` must hold at least one rule");
        }
        let mut choices = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let p = base.index(i);
            let Value::Object(m) = item else {
                self.schema(&p, "A choice rule must be an object");
                continue;
            };
            let r = Obj { map: m, ptr: &p };
            if !self.required(r, &["Next"]) {
                continue;
            }
            let next = self.transition(r, "Next", index, names);
            let rule = match lang {
                QueryLanguage::JsonPath => self.rule(r, true),
                QueryLanguage::Jsonata => self.condition(r),
            };
            let assign = if r.has("Assign") {
                self.assign(r, lang)
            } else {
                None
            };
            let output = if lang == QueryLanguage::Jsonata {
                self.template_jsonata(r, "Output")
            } else {
                None
            };
            if let (Some(rule), Some(next)) = (rule, next) {
                choices.push(ChoiceBranch {
                    rule,
                    next,
                    assign,
                    output,
                });
            }
        }
        let default = if o.has("Default") {
            self.transition(o, "Default", index, names)
        } else {
            None
        };
        Some(Choice { choices, default })
    }

    fn condition(&mut self, r: Obj) -> Option<Rule> {
        for k in r.map.keys() {
            if !matches!(
                k.as_str(),
                "Condition" | "Next" | "Comment" | "Assign" | "Output"
            ) {
                self.unknown(
                    r.ptr,
                    k,
                    format!(
                        "Field `{k}` is not supported in a JSONata choice rule (use `Condition`)"
                    ),
                );
            }
        }
        if !self.required(r, &["Condition"]) {
            return None;
        }
        // A constant condition is a plain JSON boolean.
        if let Some(Value::Bool(b)) = r.map.get("Condition") {
            return Expression::compile(if *b { "true" } else { "false" })
                .ok()
                .map(Rule::Condition);
        }
        let s = self.string(r, "Condition")?;
        match jsonata::template_body(s) {
            Some(body) => self
                .expression(&r.at("Condition"), "Condition", body)
                .map(Rule::Condition),
            None => {
                self.schema(
                    &r.at("Condition"),
                    "`Condition` must be a JSONata expression `{% ... %}`",
                );
                None
            }
        }
    }

    /// A JSONPath choice rule; `top` rules carry `Next` (and may carry `Assign`).
    fn rule(&mut self, r: Obj, top: bool) -> Option<Rule> {
        let mut ops: Vec<(&str, Op, bool)> = Vec::new();
        let mut boolean: Vec<&str> = Vec::new();
        for k in r.map.keys() {
            let k = k.as_str();
            match k {
                "Variable" | "Comment" => {}
                "Next" | "Assign" if top => {}
                "And" | "Or" | "Not" => boolean.push(k),
                _ => match Op::from_name(k) {
                    Some((op, is_path)) => ops.push((k, op, is_path)),
                    None => self.unknown(
                        r.ptr,
                        k,
                        format!("Field `{k}` is not supported in a choice rule"),
                    ),
                },
            }
        }
        if !top && r.has("Next") {
            self.schema(&r.at("Next"), "A nested choice rule cannot have `Next`");
        }
        if boolean.len() + ops.len() != 1 {
            self.schema(
                r.ptr,
                "A choice rule needs exactly one comparison operator, or one of `And`, `Or`, `Not`",
            );
            return None;
        }
        if let Some(b) = boolean.first() {
            if r.has("Variable") {
                self.schema(
                    &r.at("Variable"),
                    format!("A rule with `{b}` cannot have `Variable`"),
                );
            }
            let ptr = r.at(b);
            return match (*b, r.get(b)) {
                ("Not", Some(Value::Object(m))) => self
                    .rule(Obj { map: m, ptr: &ptr }, false)
                    .map(|x| Rule::Not(Box::new(x))),
                ("Not", _) => {
                    self.schema(&ptr, "`Not` must hold one choice rule object");
                    None
                }
                (_, Some(Value::Array(items))) if !items.is_empty() => {
                    let mut rules = Vec::new();
                    for (i, item) in items.iter().enumerate() {
                        let p = ptr.index(i);
                        match item {
                            Value::Object(m) => {
                                rules.push(self.rule(Obj { map: m, ptr: &p }, false))
                            }
                            _ => {
                                self.schema(&p, "A choice rule must be an object");
                                rules.push(None);
                            }
                        }
                    }
                    let rules: Option<Vec<Rule>> = rules.into_iter().collect();
                    rules.map(|rs| {
                        if *b == "And" {
                            Rule::And(rs)
                        } else {
                            Rule::Or(rs)
                        }
                    })
                }
                _ => {
                    self.schema(
                        &ptr,
                        format!("`{b}` must be a non-empty array of choice rules"),
                    );
                    None
                }
            };
        }
        let (k, op, is_path) = ops.pop()?;
        if !self.required(r, &["Variable"]) {
            return None;
        }
        let variable = self.path(r, "Variable")?;
        let v = r.get(k)?;
        let bad = |walker: &mut Walker, want: &str| {
            walker.schema(
                &r.at(k),
                format!(
                    "The value of `{k}` must be {want}, but it is {}",
                    type_of(v)
                ),
            );
            None
        };
        let operand = if is_path {
            match v {
                Value::String(_) => Operand::Path(self.path(r, k)?),
                _ => return bad(self, "a path"),
            }
        } else {
            use crate::data::choice_rule::Kind as K;
            match (&op, v) {
                (Op::Is(_), Value::Bool(b)) => Operand::Flag(*b),
                (Op::Is(_), _) => return bad(self, "a boolean"),
                (Op::Matches, Value::String(s)) => Operand::Pattern(Pattern::compile(s)),
                (Op::Matches, _) => return bad(self, "a string"),
                (Op::Compare(K::String, _), Value::String(_)) => Operand::Value(v.clone()),
                (Op::Compare(K::String, _), _) => return bad(self, "a string"),
                (Op::Compare(K::Numeric, _), Value::Number(_)) => Operand::Value(v.clone()),
                (Op::Compare(K::Numeric, _), _) => return bad(self, "a number"),
                (Op::Compare(K::Boolean, _), Value::Bool(_)) => Operand::Value(v.clone()),
                (Op::Compare(K::Boolean, _), _) => return bad(self, "a boolean"),
                (Op::Compare(K::Timestamp, _), Value::String(s))
                    if timestamp::parse(s).is_some() =>
                {
                    Operand::Value(v.clone())
                }
                (Op::Compare(K::Timestamp, _), _) => {
                    return bad(self, "an RFC 3339 timestamp string");
                }
            }
        };
        Some(Rule::Compare {
            variable,
            op,
            operand,
        })
    }

    fn nested_graph(
        &mut self,
        m: &JsonMap<String, Value>,
        ptr: &Pointer,
        lang: QueryLanguage,
        allowed: &[&str],
    ) -> Option<Graph> {
        let o = Obj { map: m, ptr };
        for k in m.keys() {
            if !allowed.contains(&k.as_str()) {
                self.unknown(o.ptr, k, format!("Field `{k}` is not supported here"));
            }
        }
        let lang = self.query_language(o, lang);
        self.depth += 1;
        let g = if self.depth > MAX_NESTING {
            self.error(
                Code::TooDeeplyNested,
                ptr,
                format!("Parallel and Map states are nested more than {MAX_NESTING} deep"),
            );
            None
        } else {
            self.graph(o, lang)
        };
        self.depth -= 1;
        g
    }

    fn parallel(
        &mut self,
        o: Obj,
        lang: QueryLanguage,
        index: &HashMap<&str, usize>,
        names: &[&String],
    ) -> Option<Parallel> {
        if !self.required(o, &["Branches"]) {
            return None;
        }
        let items = self.array(o, "Branches")?;
        let base = o.at("Branches");
        if items.is_empty() {
            self.schema(&base, "Value cannot be empty");
            return None;
        }
        let mut branches = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let p = base.index(i);
            match item {
                Value::Object(m) => branches.push(self.nested_graph(
                    m,
                    &p,
                    lang,
                    &["StartAt", "States", "Comment", "QueryLanguage"],
                )),
                _ => {
                    self.schema(&p, "A branch must be an object with `StartAt` and `States`");
                    branches.push(None);
                }
            }
        }
        let retry = self.retriers(o, lang);
        let catch = self.catchers(o, lang, index, names);
        Some(Parallel {
            branches: branches.into_iter().collect::<Option<Vec<_>>>()?,
            retry,
            catch,
        })
    }

    fn map(
        &mut self,
        o: Obj,
        lang: QueryLanguage,
        index: &HashMap<&str, usize>,
        names: &[&String],
        io: &mut Io,
    ) -> Option<Map> {
        let proc_key = match (o.has("ItemProcessor"), o.has("Iterator")) {
            (true, true) => {
                self.schema(
                    o.ptr,
                    "A Map state cannot have both `ItemProcessor` and `Iterator`",
                );
                return None;
            }
            (true, false) => "ItemProcessor",
            (false, true) => "Iterator",
            (false, false) => {
                self.schema(o.ptr, "These fields are required: [ItemProcessor]");
                return None;
            }
        };
        let proc_ptr = o.at(proc_key);
        let pm = self.object(o, proc_key)?;
        let mut mode = MapMode::Inline;
        let mut execution_type = None;
        if let Some(Value::Object(cfg)) = pm.get("ProcessorConfig") {
            let cp = proc_ptr.key("ProcessorConfig");
            let c = Obj { map: cfg, ptr: &cp };
            for k in cfg.keys() {
                if !matches!(k.as_str(), "Mode" | "ExecutionType") {
                    self.unknown(
                        c.ptr,
                        k,
                        format!("Field `{k}` is not supported in `ProcessorConfig`"),
                    );
                }
            }
            match self.string(c, "Mode") {
                None | Some("INLINE") => {}
                Some("DISTRIBUTED") => mode = MapMode::Distributed,
                Some(other) => self.schema(
                    &c.at("Mode"),
                    format!("`Mode` must be `INLINE` or `DISTRIBUTED`, but it is `{other}`"),
                ),
            }
            if mode == MapMode::Distributed && !c.has("ExecutionType") {
                // A distributed Map runs child workflows, whose type must be chosen.
                self.required(c, &["ExecutionType"]);
            }
            execution_type = self.string(c, "ExecutionType").map(str::to_string);
            if let Some(t) = &execution_type
                && t != "STANDARD"
                && t != "EXPRESS"
            {
                self.schema(
                    &c.at("ExecutionType"),
                    format!("`ExecutionType` must be `STANDARD` or `EXPRESS`, but it is `{t}`"),
                );
            }
        }
        // `Iterator` (legacy) and `ItemProcessor` accept the same fields.
        let allowed: &[&str] = &[
            "StartAt",
            "States",
            "Comment",
            "QueryLanguage",
            "ProcessorConfig",
        ];
        let outer_child = self.in_child_workflow;
        self.in_child_workflow |= mode == MapMode::Distributed;
        let processor = self.nested_graph(pm, &proc_ptr, lang, allowed);
        self.in_child_workflow = outer_child;

        let items = match lang {
            QueryLanguage::JsonPath => match o.get("ItemsPath") {
                None => ItemsSource::Path(Path::parse("$").ok()?),
                Some(_) => ItemsSource::Path(self.reference_path(o, "ItemsPath", true)?),
            },
            QueryLanguage::Jsonata => match o.get("Items") {
                None => ItemsSource::Path(Path::parse("$").ok()?),
                Some(Value::Array(_)) | Some(Value::String(_)) => {
                    ItemsSource::Template(self.template_jsonata(o, "Items")?)
                }
                Some(other) => {
                    self.schema(
                        &o.at("Items"),
                        format!(
                            "`Items` must be an array or a JSONata expression, but it is {}",
                            type_of(other)
                        ),
                    );
                    return None;
                }
            },
        };
        if o.has("ItemSelector") && o.has("Parameters") {
            self.schema(
                o.ptr,
                "A Map state cannot have both `ItemSelector` and `Parameters`",
            );
        }
        let sel_key = if o.has("Parameters") {
            "Parameters"
        } else {
            "ItemSelector"
        };
        let item_selector = if o.has(sel_key) {
            self.template(o, sel_key, lang)
        } else {
            None
        };
        io.parameters = None;

        let max_concurrency = self
            .dynamic_int(o, "MaxConcurrency", 0, lang)
            .unwrap_or(Dynamic::Fixed(0));
        let tolerated_failure_count = self.dynamic_int(o, "ToleratedFailureCount", 0, lang);
        let tolerated_failure_percentage = self.dynamic_percentage(o, lang);
        let label = self.string(o, "Label").map(str::to_string);
        let item_reader = self.item_reader(o, lang);
        let item_batcher = self.item_batcher(o, lang);
        let result_writer = self.result_writer(o, lang);
        let retry = self.retriers(o, lang);
        let catch = self.catchers(o, lang, index, names);
        Some(Map {
            processor: processor?,
            mode,
            execution_type,
            items,
            item_selector,
            max_concurrency,
            tolerated_failure_count,
            tolerated_failure_percentage,
            item_reader,
            item_batcher,
            result_writer,
            label,
            retry,
            catch,
        })
    }

    /// `ItemReader`: its resource, `Parameters`/`Arguments` and `ReaderConfig`, compiled.
    /// Field rules are `validate`'s (`validate/rules.rs`); here only what runs is built.
    fn item_reader(&mut self, o: Obj, lang: QueryLanguage) -> Option<ItemReader> {
        let m = match o.get("ItemReader") {
            Some(Value::Object(m)) => m,
            _ => return None,
        };
        let ptr = o.at("ItemReader");
        let r = Obj { map: m, ptr: &ptr };
        let resource = match m.get("Resource").and_then(Value::as_str) {
            Some(arn) if arn.contains("s3:listObjectsV2") => ReaderResource::ListObjects,
            _ => ReaderResource::GetObject,
        };
        let params_key = match lang {
            QueryLanguage::JsonPath => "Parameters",
            QueryLanguage::Jsonata => "Arguments",
        };
        let parameters = if r.has(params_key) {
            self.template(r, params_key, lang)
        } else {
            None
        };
        let mut config = ReaderConfig::default();
        if let Some(Value::Object(c)) = m.get("ReaderConfig") {
            let cp = ptr.key("ReaderConfig");
            let co = Obj { map: c, ptr: &cp };
            let text = |k: &str| c.get(k).and_then(Value::as_str).map(str::to_string);
            config.input_type = text("InputType");
            config.transformation = text("Transformation");
            config.manifest_type = text("ManifestType");
            config.csv_header_location = text("CSVHeaderLocation");
            config.csv_delimiter = text("CSVDelimiter");
            config.items_pointer = text("ItemsPointer");
            config.csv_headers = c.get("CSVHeaders").and_then(Value::as_array).map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            });
            config.max_items = self.dynamic_int(co, "MaxItems", 0, lang);
        }
        Some(ItemReader {
            resource,
            parameters,
            config,
        })
    }

    /// `ItemBatcher`, compiled.
    fn item_batcher(&mut self, o: Obj, lang: QueryLanguage) -> Option<ItemBatcher> {
        let m = match o.get("ItemBatcher") {
            Some(Value::Object(m)) => m,
            _ => return None,
        };
        let ptr = o.at("ItemBatcher");
        let b = Obj { map: m, ptr: &ptr };
        Some(ItemBatcher {
            max_items: self.dynamic_int(b, "MaxItemsPerBatch", 0, lang),
            max_bytes: self.dynamic_int(b, "MaxInputBytesPerBatch", 0, lang),
            batch_input: if b.has("BatchInput") {
                self.template(b, "BatchInput", lang)
            } else {
                None
            },
        })
    }

    /// `ResultWriter`, compiled.
    fn result_writer(&mut self, o: Obj, lang: QueryLanguage) -> Option<ResultWriter> {
        let m = match o.get("ResultWriter") {
            Some(Value::Object(m)) => m,
            _ => return None,
        };
        let ptr = o.at("ResultWriter");
        let w = Obj { map: m, ptr: &ptr };
        let params_key = match lang {
            QueryLanguage::JsonPath => "Parameters",
            QueryLanguage::Jsonata => "Arguments",
        };
        let target = if w.has("Resource") && w.has(params_key) {
            self.template(w, params_key, lang)
        } else {
            None
        };
        let cfg = m.get("WriterConfig").and_then(Value::as_object);
        let text = |k: &str| {
            cfg.and_then(|c| c.get(k))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        Some(ResultWriter {
            target,
            output_type: text("OutputType"),
            transformation: text("Transformation"),
        })
    }

    fn dynamic_percentage(&mut self, o: Obj, lang: QueryLanguage) -> Option<Dynamic<f64>> {
        let k = "ToleratedFailurePercentage";
        let pk = "ToleratedFailurePercentagePath";
        if o.has(k) && o.has(pk) {
            self.schema(
                o.ptr,
                format!("The fields `{k}` and `{pk}` cannot both be set"),
            );
        }
        match o.get(k) {
            Some(Value::String(s)) if lang == QueryLanguage::Jsonata => {
                match jsonata::template_body(s) {
                    Some(body) => self.expression(&o.at(k), k, body).map(Dynamic::Expr),
                    None => {
                        self.schema(
                            &o.at(k),
                            format!("`{k}` must be a number or a JSONata expression"),
                        );
                        None
                    }
                }
            }
            Some(_) => {
                let n = self.number(o, k)?;
                if !(0.0..=100.0).contains(&n) {
                    self.schema(
                        &o.at(k),
                        format!("`{k}` must be between 0 and 100, but it is {n}"),
                    );
                    return None;
                }
                Some(Dynamic::Fixed(n))
            }
            None if o.has(pk) => self.reference_path(o, pk, true).map(Dynamic::Path),
            None => None,
        }
    }
}

fn lang_other(lang: QueryLanguage) -> &'static str {
    match lang {
        QueryLanguage::JsonPath => "JSONata",
        QueryLanguage::Jsonata => "JSONPath",
    }
}

/// Variable names are Unicode identifiers (UAX #31) of at most 80 characters: an ID_Start
/// character (a letter; not `_`, not a digit), then ID_Continue characters (letters, digits,
/// `_`, combining marks; not `-`), as the Step Functions guide and the States Language say.
pub fn valid_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(unicode_ident::is_xid_start)
        && chars.all(unicode_ident::is_xid_continue)
        && name.chars().count() <= 80
}

/// ` (did you mean `X`?)` when a name is close to one that exists.
pub fn did_you_mean(wanted: &str, names: &[&String]) -> String {
    let names: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    super::diagnostic::did_you_mean_in(wanted, &names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn variable_names_are_unicode_identifiers_of_at_most_80_characters() {
        for ok in ["total", "x1", "snake_case", "Ünïcødé", "变量", "a\u{0301}"] {
            assert!(valid_variable_name(ok), "{ok}");
        }
        // `_` and digits continue a name but cannot start one; `-` and spaces never belong.
        for bad in [
            "",
            "_hidden",
            "9lives",
            "has-dash",
            "has space",
            "a.b",
            "x$",
        ] {
            assert!(!valid_variable_name(bad), "{bad}");
        }
        assert!(valid_variable_name(&"é".repeat(80)));
        assert!(!valid_variable_name(&"a".repeat(81)));
    }

    fn errors(v: Value) -> Vec<(String, String)> {
        load_value(&v)
            .diagnostics
            .into_iter()
            .filter(Diagnostic::is_error)
            .map(|d| (d.code.as_str().to_string(), d.location))
            .collect()
    }

    #[test]
    fn consuming_the_tree_loads_the_same_machine_and_diagnostics() {
        let branch = |s: &str, next: &str| json!({"StartAt": s, "States": {s: {"Type": "Pass", "Next": next}, "End": {"Type": "Succeed"}}});
        let machines = [
            // Nested graphs of every kind: Parallel branches, ItemProcessor, Iterator.
            json!({"StartAt": "P", "States": {
                "P": {"Type": "Parallel", "Branches": [branch("A", "End"), branch("B", "End")], "Next": "M"},
                "M": {"Type": "Map", "ItemProcessor": branch("C", "End"), "Next": "I"},
                "I": {"Type": "Map", "Iterator": {"StartAt": "D", "States": {
                    "D": {"Type": "Parallel", "Branches": [branch("E", "End")], "End": true}}}, "End": true}}}),
            // Problems inside nested graphs, and states that are not objects.
            json!({"StartAt": "P", "States": {
                "P": {"Type": "Parallel", "Branches": [branch("A", "Nowhere"), 7, {"States": []}], "End": true},
                "Q": [],
                "M": {"Type": "Map", "ItemProcessor": {"StartAt": "X", "States": {}}, "End": true}}}),
            json!({"StartAt": "A", "States": []}),
            json!({"StartAt": "A", "States": {}}),
            json!({"States": {"A": {"Type": "Pass", "End": true}}}),
        ];
        for m in machines {
            let borrowed = load_value(&m);
            let owned = load_owned(m.clone());
            assert_eq!(
                format!("{:?}", owned.diagnostics),
                format!("{:?}", borrowed.diagnostics),
                "{m}"
            );
            assert_eq!(
                format!("{:?}", owned.machine),
                format!("{:?}", borrowed.machine),
                "{m}"
            );
        }
    }

    #[test]
    fn loads_a_minimal_machine() {
        let m = load_str(r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#).unwrap();
        assert_eq!(m.root.states.len(), 1);
        assert_eq!(m.query_language, QueryLanguage::JsonPath);
    }

    #[test]
    fn reports_missing_top_level_fields_at_the_root() {
        assert_eq!(
            errors(json!({"Comment": "x"})),
            vec![("SCHEMA_VALIDATION_FAILED".into(), "".into())]
        );
    }

    #[test]
    fn reports_unknown_targets_with_a_suggestion() {
        let d = load_value(&json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Next": "Bb"}, "B": {"Type": "Succeed"}}}))
        .diagnostics;
        assert_eq!(d[0].code, Code::MissingTransitionTarget);
        assert_eq!(d[0].location, "/States/A/Next");
        assert!(
            d[0].message.contains("did you mean `B`"),
            "{}",
            d[0].message
        );
    }

    #[test]
    fn reports_every_problem_not_just_the_first() {
        let e = errors(json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Next": "Nope", "Bogus": 1},
            "W": {"Type": "Wait", "End": true},
            "T": {"Type": "Task", "End": true, "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": 5, "HeartbeatSeconds": 5}
        }}));
        let locations: Vec<&str> = e.iter().map(|(_, l)| l.as_str()).collect();
        // An unknown field is reported at its state, as AWS does.
        assert!(locations.contains(&"/States/A"), "{e:?}");
        assert!(locations.contains(&"/States/A/Next"), "{e:?}");
        assert!(locations.contains(&"/States/W"), "{e:?}");
        assert!(locations.contains(&"/States/T/HeartbeatSeconds"), "{e:?}");
    }

    #[test]
    fn jsonpath_fields_are_refused_in_jsonata_states() {
        let e = errors(
            json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "InputPath": "$.x", "End": true}}}),
        );
        assert_eq!(
            e,
            vec![("SCHEMA_VALIDATION_FAILED".into(), "/States/A".into())]
        );
    }

    #[test]
    fn bad_paths_and_templates_are_located() {
        let e = errors(json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "InputPath": "x", "Parameters": {"a": {"b.$": "nope"}}, "End": true}}}));
        assert!(e.contains(&(
            "SCHEMA_VALIDATION_FAILED".into(),
            "/States/A/InputPath".into()
        )));
        assert!(e.contains(&(
            "SCHEMA_VALIDATION_FAILED".into(),
            "/States/A/Parameters".into()
        )));
    }

    #[test]
    fn duplicate_names_across_branches_are_refused() {
        let e = errors(json!({"StartAt": "P", "States": {
            "P": {"Type": "Parallel", "End": true, "Branches": [
                {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}},
                {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}]}}}));
        assert_eq!(
            e,
            vec![(
                "DUPLICATE_STATE_NAME".into(),
                "/States/P/Branches/1/States/X".into()
            )]
        );
    }

    #[test]
    fn static_result_gets_a_warning_not_an_error() {
        let d = load_value(&json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Result": {"x.$": "$.y"}, "End": true}}}));
        assert!(d.machine.is_some());
        assert_eq!(d.diagnostics[0].code, Code::PassResultIsStatic);
    }
}
