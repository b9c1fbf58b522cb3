//! A test file: its raw JSON/YAML walked into a checked [`TestFile`], every problem located.
//!
//! The walk collects every problem instead of stopping at the first (unknown keys with "did
//! you mean", wrong types, bad matchers and regexes). Checks that need the definition — that a
//! named state exists and is of the right type — are made afterwards by
//! [`super::outline::Outline::check`], once the definition is loaded. docs/testing.md is the reference
//! for every key.

use super::matcher::{Matcher, Mode};
use crate::definition::Pointer;
use crate::definition::diagnostic::did_you_mean_in;
use crate::source::{Document, Position, Syntax};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// A problem in a test file, at a JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub pointer: String,
    pub message: String,
    /// Where to show it when the pointer does not say (a key written twice: the pointer names
    /// the first, the problem is the second).
    pub position: Option<Position>,
}

impl FileError {
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> FileError {
        FileError {
            pointer: pointer.into(),
            message: message.into(),
            position: None,
        }
    }
}

/// Fixed values of the execution's context (each optional; defaults in [`Context::merged`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    pub execution_name: Option<String>,
    pub start_time: Option<String>,
    pub region: Option<String>,
    pub account_id: Option<String>,
    pub role_arn: Option<String>,
    pub seed: Option<u64>,
}

impl Context {
    /// `self` with the values `over` sets replacing its own.
    pub fn merged(&self, over: &Context) -> Context {
        Context {
            execution_name: over.execution_name.clone().or(self.execution_name.clone()),
            start_time: over.start_time.clone().or(self.start_time.clone()),
            region: over.region.clone().or(self.region.clone()),
            account_id: over.account_id.clone().or(self.account_id.clone()),
            role_arn: over.role_arn.clone().or(self.role_arn.clone()),
            seed: over.seed.or(self.seed),
        }
    }
}

/// A Step Functions Local mock file's test case.
#[derive(Debug, Clone, PartialEq)]
pub struct MockConfigRef {
    /// The mock file, resolved against the test file's folder (`None`: the file's own).
    pub file: Option<PathBuf>,
    pub test_case: String,
    /// The state machine's name in the mock file (default: the test's state machine name).
    pub state_machine: Option<String>,
    pub pointer: String,
}

/// One mocked answer.
#[derive(Debug, Clone)]
pub enum Answer {
    Return(Value),
    Throw {
        error: String,
        cause: Option<String>,
    },
    /// `pending: true`: no answer ever comes (a call still running when a sibling's
    /// failure stops its branch, as `asl record` writes for calls AWS never answered).
    Pending,
}

/// How a state is mocked inline.
#[derive(Debug, Clone)]
pub enum MockSpec {
    /// The same answer on every call.
    Fixed(Answer),
    /// Answers by invocation, counted from 0 per state per execution; each entry repeats
    /// `times` times.
    Sequence(Vec<(u64, Answer)>),
    /// The first entry whose `when` matches the effective input (subset match); an entry
    /// without `when` matches anything.
    Conditional(Vec<(Option<Matcher>, Answer)>),
}

/// An inline mock and where it is written.
#[derive(Debug, Clone)]
pub struct Mock {
    pub spec: MockSpec,
    pub pointer: String,
}

/// An expectation on one value: exact or subset.
#[derive(Debug, Clone)]
pub struct ValueExpect {
    pub matcher: Matcher,
    pub mode: Mode,
    pub pointer: String,
}

/// Expectations on the visits of one state.
#[derive(Debug, Clone, Default)]
pub struct StateExpect {
    /// Which visit, counted from 0 (default 0).
    pub visit: usize,
    /// How many times the state was entered.
    pub entered: Option<u64>,
    /// `entered: true`: at least once.
    pub entered_at_all: bool,
    pub input: Option<ValueExpect>,
    pub output: Option<ValueExpect>,
    pub variables: Option<ValueExpect>,
    pub pointer: String,
}

/// Expectations on a Task state's handler calls.
#[derive(Debug, Clone, Default)]
pub struct CallsExpect {
    pub count: Option<u64>,
    /// The effective input of call `i`, for the first calls.
    pub inputs: Vec<ValueExpect>,
    pub pointer: String,
}

/// Expectations on a state's retries.
#[derive(Debug, Clone, Default)]
pub struct RetryExpect {
    pub count: Option<u64>,
    /// Every retry was by this rule.
    pub rule: Option<usize>,
    /// Whether a rule ran out of attempts.
    pub exhausted: Option<bool>,
    pub pointer: String,
}

/// Expectations on a state's Catch.
#[derive(Debug, Clone)]
pub struct CatchExpect {
    /// `None`: the state must not have been caught.
    pub clause: Option<usize>,
    pub error: Option<Matcher>,
    pub pointer: String,
}

/// An assertion over the final output and the execution record.
#[derive(Debug, Clone)]
pub enum Assertion {
    /// A JSONata expression that must be `true`.
    Jsonata {
        expression: crate::data::jsonata::Expression,
        text: String,
    },
    /// A JSONPath whose selection must match `equals`.
    JsonPath {
        path: crate::data::jsonpath::Path,
        text: String,
        equals: Matcher,
    },
}

/// `path` or `pathContains`: the states entered.
#[derive(Debug, Clone, Default)]
pub struct PathExpect {
    pub names: Vec<String>,
    /// `pathContains`: the names in order, others allowed between them (unless
    /// `consecutive`); `path`: exactly these.
    pub contains: bool,
    /// `pathContains` with `consecutive: true`: the names one right after another.
    pub consecutive: bool,
    /// Compared with the top-level states of the path only (those outside any Map iteration
    /// or Parallel branch), as sfn-test's `expectedPath` is.
    pub top_level: bool,
    /// The pointer of the key (`/cases/0/expect/path`).
    pub pointer: String,
    /// The pointer of the list of names (the key's, or its `states` member's).
    pub names_pointer: String,
}

impl PathExpect {
    /// The key as written: `path` or `pathContains`.
    pub fn key(&self) -> &'static str {
        if self.contains {
            "pathContains"
        } else {
            "path"
        }
    }
}

/// Everything a case expects (all optional).
#[derive(Debug, Clone, Default)]
pub struct Expect {
    pub status: Option<String>,
    pub error: Option<Matcher>,
    pub cause: Option<Matcher>,
    pub output: Option<ValueExpect>,
    pub path: Option<PathExpect>,
    pub states: Vec<(String, StateExpect)>,
    pub calls: Vec<(String, CallsExpect)>,
    pub retries: Vec<(String, RetryExpect)>,
    pub caught: Vec<(String, CatchExpect)>,
    pub iterations: Vec<(String, u64, String)>,
    pub branches: Vec<(String, Vec<Vec<String>>, String)>,
    pub elapsed: Option<Matcher>,
    pub assertions: Vec<(Assertion, String)>,
}

/// One case.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    /// `description`: what the case is about, for reports.
    pub description: Option<String>,
    pub pointer: String,
    pub input: Value,
    /// Whether `input` or `inputFile` gave the input (a replay's default is the recorded one).
    pub input_given: bool,
    /// `replay`: an execution history whose recorded answers answer the Task states, resolved
    /// against the test file's folder, and the pointer of the key.
    pub replay: Option<(PathBuf, String)>,
    pub mocks: Vec<(String, Mock)>,
    pub mock_config: Option<MockConfigRef>,
    pub context: Context,
    pub only: bool,
    pub skip: bool,
    pub expect: Expect,
    /// `s3Objects` of the case.
    pub s3_objects: Vec<(String, String, Vec<u8>)>,
    /// `snapshot:` — `Some(None)` until recorded; then the recorded output and path.
    pub snapshot: Option<Option<(Value, Vec<String>)>>,
}

/// A checked test file.
#[derive(Debug)]
pub struct TestFile {
    /// The file as the user named it.
    pub shown: String,
    pub doc: Document,
    /// The definition file, resolved against the test file's folder, and the template's
    /// logical id after `#`.
    pub definition: PathBuf,
    pub logical_id: Option<String>,
    /// The definition as written in the test file.
    pub definition_shown: String,
    pub state_machine_name: Option<String>,
    pub context: Context,
    pub mock_config: Option<MockConfigRef>,
    pub mocks: Vec<(String, Mock)>,
    /// A `--handlers` file routing states to local commands or AWS.
    pub handlers: Option<PathBuf>,
    /// `s3Root`: the folder whose subfolders are S3 buckets (Distributed Map item data).
    pub s3_root: Option<PathBuf>,
    /// `s3Objects`: S3 objects given in the file, `(bucket, key, bytes)` (a Distributed Map's
    /// item data); a case's own are added over these.
    pub s3_objects: Vec<(String, String, Vec<u8>)>,
    /// `machines`: child state machines by name (`states:startExecution`).
    pub machines: Vec<(String, PathBuf, String)>,
    pub cases: Vec<Case>,
}

/// Why a test file could not be read at all, or every problem in it.
#[derive(Debug)]
pub enum LoadFailure {
    Unreadable(String),
    Syntax(String),
    Invalid(Box<Document>, Vec<FileError>),
}

const FILE_KEYS: &[&str] = &[
    "definition",
    "stateMachineName",
    "context",
    "mockConfig",
    "mocks",
    "handlers",
    "s3Root",
    "s3Objects",
    "s3Files",
    "machines",
    "cases",
];
const CASE_KEYS: &[&str] = &[
    "name",
    "description",
    "input",
    "inputFile",
    "replay",
    "mocks",
    "mockConfig",
    "context",
    "only",
    "skip",
    "expect",
    "snapshot",
    "s3Objects",
    "s3Files",
];
const CONTEXT_KEYS: &[&str] = &[
    "executionName",
    "startTime",
    "region",
    "accountId",
    "roleArn",
    "seed",
];
const EXPECT_KEYS: &[&str] = &[
    "status",
    "error",
    "cause",
    "output",
    "outputContains",
    "path",
    "pathContains",
    "states",
    "calls",
    "retries",
    "caught",
    "iterations",
    "branches",
    "elapsedSeconds",
    "assertions",
];
const STATE_KEYS: &[&str] = &[
    "visit",
    "entered",
    "input",
    "inputContains",
    "output",
    "outputContains",
    "variables",
    "variablesContain",
];
const STATUSES: &[&str] = &["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"];

/// Collects problems while walking the document.
struct Walk<'a> {
    dir: &'a Path,
    errors: Vec<FileError>,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

impl Walk<'_> {
    fn err(&mut self, at: &Pointer, message: impl Into<String>) {
        self.errors.push(FileError::new(at.to_string(), message));
    }

    /// An object whose keys are all in `keys`.
    fn object<'v>(
        &mut self,
        v: &'v Value,
        at: &Pointer,
        what: &str,
        keys: &[&str],
    ) -> Option<&'v Map<String, Value>> {
        let Some(m) = v.as_object() else {
            self.err(
                at,
                format!("{what} must be an object, found {}", type_name(v)),
            );
            return None;
        };
        for k in m.keys() {
            if !keys.contains(&k.as_str()) {
                self.err(
                    &at.key(k),
                    format!(
                        "unknown key `{k}` in {what}{}",
                        match did_you_mean_in(k, keys) {
                            s if s.is_empty() => format!(
                                " (expected one of: {})",
                                keys.iter()
                                    .map(|k| format!("`{k}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                            s => s,
                        }
                    ),
                );
            }
        }
        Some(m)
    }

    fn string(&mut self, v: &Value, at: &Pointer, what: &str) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            other => {
                self.err(
                    at,
                    format!("`{what}` must be a string, found {}", type_name(other)),
                );
                None
            }
        }
    }

    fn boolean(&mut self, v: &Value, at: &Pointer, what: &str) -> bool {
        match v {
            Value::Bool(b) => *b,
            other => {
                self.err(
                    at,
                    format!("`{what}` must be true or false, found {}", type_name(other)),
                );
                false
            }
        }
    }

    fn count(&mut self, v: &Value, at: &Pointer, what: &str) -> Option<u64> {
        match v.as_u64() {
            Some(n) => Some(n),
            None => {
                self.err(
                    at,
                    format!(
                        "`{what}` must be a whole number of 0 or more, found {}",
                        shown(v)
                    ),
                );
                None
            }
        }
    }

    fn matcher(&mut self, v: &Value, at: &Pointer) -> Option<Matcher> {
        match Matcher::compile(v, at.as_str()) {
            Ok(m) => Some(m),
            Err(errs) => {
                for e in errs {
                    self.errors.push(FileError::new(e.pointer, e.message));
                }
                None
            }
        }
    }

    fn value_expect(&mut self, v: &Value, at: &Pointer, mode: Mode) -> Option<ValueExpect> {
        self.matcher(v, at).map(|matcher| ValueExpect {
            matcher,
            mode,
            pointer: at.to_string(),
        })
    }

    fn context(&mut self, v: &Value, at: &Pointer) -> Context {
        let mut c = Context::default();
        let Some(m) = self.object(v, at, "`context`", CONTEXT_KEYS) else {
            return c;
        };
        for (k, x) in m {
            let p = at.key(k);
            match k.as_str() {
                "executionName" => c.execution_name = self.string(x, &p, k),
                "startTime" => {
                    c.start_time = self.string(x, &p, k);
                    if let Some(t) = &c.start_time
                        && crate::data::timestamp::parse(t).is_none()
                    {
                        self.err(
                            &p,
                            format!(
                                "`startTime` must be an RFC 3339 timestamp such as `2024-01-01T00:00:00Z`, found `{t}`"
                            ),
                        );
                    }
                }
                "region" => c.region = self.string(x, &p, k),
                "accountId" => c.account_id = self.string(x, &p, k),
                "roleArn" => c.role_arn = self.string(x, &p, k),
                "seed" => c.seed = self.count(x, &p, k),
                _ => {}
            }
        }
        c
    }

    /// A JSON (or, by its extension, YAML) file named at `at`, relative to the test file:
    /// unreadable, malformed, or with a key written twice, it is an error at `at` that says
    /// where in that file.
    fn data_file(&mut self, name: &str, at: &Pointer) -> Option<Value> {
        let path = self.dir.join(name);
        let shown = path.display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                self.err(at, format!("cannot read `{shown}`: {e}"));
                return None;
            }
        };
        let syntax = Syntax::of(&path);
        let doc = match Document::parse(&shown, text, syntax) {
            Ok(d) => d,
            Err((_, e)) => {
                self.err(
                    at,
                    format!(
                        "`{shown}` is not {} ({}:{}: {})",
                        match syntax {
                            Syntax::Json => "JSON",
                            Syntax::Yaml => "YAML",
                        },
                        e.position.line,
                        e.position.column,
                        e.message
                    ),
                );
                return None;
            }
        };
        for d in doc.duplicates() {
            let place = d
                .position
                .map(|p| format!(":{}:{}", p.line, p.column))
                .unwrap_or_default();
            self.err(
                at,
                format!(
                    "`{}` is written twice in one object of `{shown}{place}` (at {}/{}): a reader keeps only the last; keep one",
                    d.key,
                    d.object,
                    escape_key(&d.key)
                ),
            );
        }
        Some(doc.value)
    }

    fn mock_config(&mut self, v: &Value, at: &Pointer) -> Option<MockConfigRef> {
        let m = self.object(v, at, "`mockConfig`", &["file", "testCase", "stateMachine"])?;
        let file = match m.get("file") {
            Some(f) => self
                .string(f, &at.key("file"), "file")
                .map(|f| self.dir.join(f)),
            None => None,
        };
        let test_case = match m.get("testCase") {
            Some(t) => self.string(t, &at.key("testCase"), "testCase")?,
            None => {
                self.err(
                    at,
                    "`mockConfig` needs `testCase`: the mock file's test case to use",
                );
                return None;
            }
        };
        let state_machine = match m.get("stateMachine") {
            Some(s) => self.string(s, &at.key("stateMachine"), "stateMachine"),
            None => None,
        };
        Some(MockConfigRef {
            file,
            test_case,
            state_machine,
            pointer: at.to_string(),
        })
    }

    fn answer(&mut self, m: &Map<String, Value>, at: &Pointer) -> Option<Answer> {
        let given: Vec<&str> = ["return", "returnFile", "throw", "pending"]
            .into_iter()
            .filter(|k| m.contains_key(*k))
            .collect();
        if given.len() > 1 {
            self.err(
                at,
                format!(
                    "a mocked answer has one of `return`, `returnFile`, `throw` or `pending`; found {}",
                    given
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            );
            return None;
        }
        if let Some(p) = m.get("pending") {
            if p != &Value::Bool(true) {
                self.err(
                    &at.key("pending"),
                    "`pending` must be `true`: the call is never answered",
                );
                return None;
            }
            return Some(Answer::Pending);
        }
        if let Some(f) = m.get("returnFile") {
            let p = at.key("returnFile");
            let f = self.string(f, &p, "returnFile")?;
            return self.data_file(&f, &p).map(Answer::Return);
        }
        match (m.get("return"), m.get("throw")) {
            (Some(_), Some(_)) => None,
            (Some(r), None) => Some(Answer::Return(r.clone())),
            (None, Some(t)) => {
                let p = at.key("throw");
                let t = self.object(t, &p, "`throw`", &["error", "cause"])?;
                let error = match t.get("error") {
                    Some(e) => self.string(e, &p.key("error"), "error")?,
                    None => {
                        self.err(
                            &p,
                            "`throw` needs `error`: the error name the task fails with",
                        );
                        return None;
                    }
                };
                let cause = match t.get("cause") {
                    Some(Value::String(c)) => Some(c.clone()),
                    Some(Value::Null) | None => None,
                    Some(other) => Some(other.to_string()),
                };
                Some(Answer::Throw { error, cause })
            }
            (None, None) => {
                self.err(
                    at,
                    "a mocked answer needs `return` (a result), `returnFile` (a file holding it), `throw` (an error) or `pending: true` (no answer)",
                );
                None
            }
        }
    }

    fn mock(&mut self, v: &Value, at: &Pointer) -> Option<Mock> {
        let m = self.object(
            v,
            at,
            "a mock",
            &[
                "return",
                "returnFile",
                "throw",
                "pending",
                "sequence",
                "conditional",
            ],
        )?;
        let spec = if let Some(seq) = m.get("sequence") {
            if m.len() > 1 {
                self.err(at, "a mock with `sequence` has nothing else beside it");
            }
            let p = at.key("sequence");
            let Some(items) = seq.as_array().filter(|a| !a.is_empty()) else {
                self.err(&p, "`sequence` must be a non-empty list of answers");
                return None;
            };
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let ip = p.index(i);
                let Some(e) = self.object(
                    item,
                    &ip,
                    "a sequence entry",
                    &["return", "returnFile", "throw", "pending", "times"],
                ) else {
                    continue;
                };
                let times = match e.get("times") {
                    Some(t) => match self.count(t, &ip.key("times"), "times") {
                        Some(0) => {
                            self.err(&ip.key("times"), "`times` must be 1 or more");
                            1
                        }
                        Some(n) => n,
                        None => 1,
                    },
                    None => 1,
                };
                if let Some(a) = self.answer(e, &ip) {
                    out.push((times, a));
                }
            }
            MockSpec::Sequence(out)
        } else if let Some(cond) = m.get("conditional") {
            if m.len() > 1 {
                self.err(at, "a mock with `conditional` has nothing else beside it");
            }
            let p = at.key("conditional");
            let Some(items) = cond.as_array().filter(|a| !a.is_empty()) else {
                self.err(
                    &p,
                    "`conditional` must be a non-empty list of `when` + answer",
                );
                return None;
            };
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let ip = p.index(i);
                let Some(e) = self.object(
                    item,
                    &ip,
                    "a conditional entry",
                    &["when", "return", "returnFile", "throw", "pending"],
                ) else {
                    continue;
                };
                let when = match e.get("when") {
                    Some(w) => self.matcher(w, &ip.key("when")),
                    None => None,
                };
                if let Some(a) = self.answer(e, &ip) {
                    out.push((when, a));
                }
            }
            MockSpec::Conditional(out)
        } else {
            MockSpec::Fixed(self.answer(m, at)?)
        };
        Some(Mock {
            spec,
            pointer: at.to_string(),
        })
    }

    fn mocks(&mut self, v: &Value, at: &Pointer) -> Vec<(String, Mock)> {
        let Some(m) = v.as_object() else {
            self.err(
                at,
                format!(
                    "`mocks` must be an object mapping state names to mocks, found {}",
                    type_name(v)
                ),
            );
            return Vec::new();
        };
        m.iter()
            .filter_map(|(state, spec)| Some((state.clone(), self.mock(spec, &at.key(state))?)))
            .collect()
    }

    fn names(&mut self, v: &Value, at: &Pointer, what: &str) -> Option<Vec<String>> {
        let Some(items) = v.as_array() else {
            self.err(
                at,
                format!(
                    "`{what}` must be a list of state names, found {}",
                    type_name(v)
                ),
            );
            return None;
        };
        let mut out = Vec::new();
        for (i, x) in items.iter().enumerate() {
            if let Some(s) = self.string(x, &at.index(i), what) {
                out.push(s);
            }
        }
        Some(out)
    }

    /// An object mapping state names to something.
    fn by_state<'v>(
        &mut self,
        v: &'v Value,
        at: &Pointer,
        what: &str,
    ) -> Vec<(&'v String, &'v Value)> {
        match v.as_object() {
            Some(m) => m.iter().collect(),
            None => {
                self.err(
                    at,
                    format!(
                        "`{what}` must be an object keyed by state name, found {}",
                        type_name(v)
                    ),
                );
                Vec::new()
            }
        }
    }

    fn expect(&mut self, v: &Value, at: &Pointer) -> Expect {
        let mut e = Expect::default();
        let Some(m) = self.object(v, at, "`expect`", EXPECT_KEYS) else {
            return e;
        };
        if m.contains_key("output") && m.contains_key("outputContains") {
            self.err(
                at,
                "`output` and `outputContains` exclude each other: use one",
            );
        }
        if m.contains_key("path") && m.contains_key("pathContains") {
            self.err(at, "`path` and `pathContains` exclude each other: use one");
        }
        for (k, x) in m {
            let p = at.key(k);
            match k.as_str() {
                "status" => match x.as_str() {
                    Some(s) if STATUSES.contains(&s) => e.status = Some(s.to_string()),
                    _ => self.err(
                        &p,
                        format!(
                            "`status` must be one of SUCCEEDED, FAILED, TIMED_OUT, ABORTED; found {}",
                            shown(x)
                        ),
                    ),
                },
                "error" => e.error = self.matcher(x, &p),
                "cause" => e.cause = self.matcher(x, &p),
                "output" => e.output = self.value_expect(x, &p, Mode::Exact),
                "outputContains" => e.output = self.value_expect(x, &p, Mode::Subset),
                "path" | "pathContains" => e.path = self.path_expect(x, &p, k == "pathContains"),
                "states" => {
                    for (state, spec) in self.by_state(x, &p, "states") {
                        let sp = p.key(state);
                        if let Some(s) = self.state_expect(spec, &sp) {
                            e.states.push((state.clone(), s));
                        }
                    }
                }
                "calls" => {
                    for (state, spec) in self.by_state(x, &p, "calls") {
                        let sp = p.key(state);
                        if let Some(c) = self.calls_expect(spec, &sp) {
                            e.calls.push((state.clone(), c));
                        }
                    }
                }
                "retries" => {
                    for (state, spec) in self.by_state(x, &p, "retries") {
                        let sp = p.key(state);
                        if let Some(r) = self.retry_expect(spec, &sp) {
                            e.retries.push((state.clone(), r));
                        }
                    }
                }
                "caught" => {
                    for (state, spec) in self.by_state(x, &p, "caught") {
                        let sp = p.key(state);
                        if let Some(c) = self.catch_expect(spec, &sp) {
                            e.caught.push((state.clone(), c));
                        }
                    }
                }
                "iterations" => {
                    for (state, n) in self.by_state(x, &p, "iterations") {
                        let sp = p.key(state);
                        if let Some(n) = self.count(n, &sp, "iterations") {
                            e.iterations.push((state.clone(), n, sp.to_string()));
                        }
                    }
                }
                "branches" => {
                    for (state, list) in self.by_state(x, &p, "branches") {
                        let sp = p.key(state);
                        let Some(items) = list.as_array() else {
                            self.err(&sp, "a Parallel state's `branches` is a list of paths, one per branch");
                            continue;
                        };
                        let paths: Vec<Vec<String>> = items
                            .iter()
                            .enumerate()
                            .filter_map(|(i, b)| self.names(b, &sp.index(i), "branches"))
                            .collect();
                        e.branches.push((state.clone(), paths, sp.to_string()));
                    }
                }
                "elapsedSeconds" => e.elapsed = self.matcher(x, &p),
                "assertions" => {
                    let Some(items) = x.as_array() else {
                        self.err(&p, "`assertions` must be a list");
                        continue;
                    };
                    for (i, a) in items.iter().enumerate() {
                        if let Some(a) = self.assertion(a, &p.index(i)) {
                            e.assertions.push((a, p.index(i).to_string()));
                        }
                    }
                }
                _ => {}
            }
        }
        e
    }

    /// `path` / `pathContains`: a list of names, or `{states, topLevel, consecutive}`.
    fn path_expect(&mut self, v: &Value, at: &Pointer, contains: bool) -> Option<PathExpect> {
        let key = if contains { "pathContains" } else { "path" };
        let mut out = PathExpect {
            contains,
            pointer: at.to_string(),
            names_pointer: at.to_string(),
            ..PathExpect::default()
        };
        if v.is_array() {
            out.names = self.names(v, at, key)?;
            return Some(out);
        }
        let keys: &[&str] = if contains {
            &["states", "topLevel", "consecutive"]
        } else {
            &["states", "topLevel"]
        };
        let Some(m) = v.as_object() else {
            self.err(
                at,
                format!(
                    "`{key}` must be a list of state names or an object with `states`, found {}",
                    type_name(v)
                ),
            );
            return None;
        };
        self.object(v, at, &format!("`{key}`"), keys)?;
        for (k, x) in m {
            let p = at.key(k);
            match k.as_str() {
                "topLevel" => out.top_level = self.boolean(x, &p, k),
                "consecutive" => out.consecutive = self.boolean(x, &p, k),
                _ => {}
            }
        }
        match m.get("states") {
            Some(x) => {
                let p = at.key("states");
                out.names = self.names(x, &p, key)?;
                out.names_pointer = p.to_string();
                Some(out)
            }
            None => {
                self.err(
                    at,
                    format!("`{key}` needs `states`: the list of state names"),
                );
                None
            }
        }
    }

    fn state_expect(&mut self, v: &Value, at: &Pointer) -> Option<StateExpect> {
        let m = self.object(v, at, "a state's expectations", STATE_KEYS)?;
        let mut s = StateExpect {
            pointer: at.to_string(),
            ..StateExpect::default()
        };
        for (k, x) in m {
            let p = at.key(k);
            match k.as_str() {
                "visit" => s.visit = self.count(x, &p, k).unwrap_or(0) as usize,
                "entered" => match x {
                    Value::Bool(false) => s.entered = Some(0),
                    Value::Bool(true) => s.entered_at_all = true,
                    _ => s.entered = self.count(x, &p, k),
                },
                "input" => s.input = self.value_expect(x, &p, Mode::Exact),
                "inputContains" => s.input = self.value_expect(x, &p, Mode::Subset),
                "output" => s.output = self.value_expect(x, &p, Mode::Exact),
                "outputContains" => s.output = self.value_expect(x, &p, Mode::Subset),
                "variables" => s.variables = self.value_expect(x, &p, Mode::Exact),
                "variablesContain" => s.variables = self.value_expect(x, &p, Mode::Subset),
                _ => {}
            }
        }
        Some(s)
    }

    fn calls_expect(&mut self, v: &Value, at: &Pointer) -> Option<CallsExpect> {
        let mut c = CallsExpect {
            pointer: at.to_string(),
            ..CallsExpect::default()
        };
        if v.is_number() {
            c.count = self.count(v, at, "calls");
            return Some(c);
        }
        let m = self.object(
            v,
            at,
            "a state's call expectations",
            &["count", "input", "inputContains"],
        )?;
        for (k, x) in m {
            let p = at.key(k);
            match k.as_str() {
                "count" => c.count = self.count(x, &p, k),
                "input" | "inputContains" => {
                    let mode = if k == "input" {
                        Mode::Exact
                    } else {
                        Mode::Subset
                    };
                    let Some(items) = x.as_array() else {
                        self.err(&p, format!("`{k}` is a list: the effective input of the first call, the second, ..."));
                        continue;
                    };
                    for (i, item) in items.iter().enumerate() {
                        if let Some(e) = self.value_expect(item, &p.index(i), mode) {
                            c.inputs.push(e);
                        }
                    }
                }
                _ => {}
            }
        }
        Some(c)
    }

    fn retry_expect(&mut self, v: &Value, at: &Pointer) -> Option<RetryExpect> {
        let mut r = RetryExpect {
            pointer: at.to_string(),
            ..RetryExpect::default()
        };
        if v.is_number() {
            r.count = self.count(v, at, "retries");
            return Some(r);
        }
        let m = self.object(
            v,
            at,
            "a state's retry expectations",
            &["count", "rule", "exhausted"],
        )?;
        for (k, x) in m {
            let p = at.key(k);
            match k.as_str() {
                "count" => r.count = self.count(x, &p, k),
                "rule" => r.rule = self.count(x, &p, k).map(|n| n as usize),
                "exhausted" => r.exhausted = Some(self.boolean(x, &p, k)),
                _ => {}
            }
        }
        Some(r)
    }

    fn catch_expect(&mut self, v: &Value, at: &Pointer) -> Option<CatchExpect> {
        let mut c = CatchExpect {
            clause: None,
            error: None,
            pointer: at.to_string(),
        };
        match v {
            Value::Bool(false) => return Some(c),
            Value::Number(_) => {
                c.clause = Some(self.count(v, at, "caught")? as usize);
                return Some(c);
            }
            _ => {}
        }
        let m = self.object(v, at, "a state's catch expectations", &["clause", "error"])?;
        match m.get("clause") {
            Some(x) => c.clause = Some(self.count(x, &at.key("clause"), "clause")? as usize),
            None => {
                self.err(
                    at,
                    "a catch expectation needs `clause`: the index of the Catch clause that caught",
                );
                return None;
            }
        }
        if let Some(x) = m.get("error") {
            c.error = self.matcher(x, &at.key("error"));
        }
        Some(c)
    }

    fn assertion(&mut self, v: &Value, at: &Pointer) -> Option<Assertion> {
        let m = self.object(v, at, "an assertion", &["jsonata", "jsonpath", "equals"])?;
        match (m.get("jsonata"), m.get("jsonpath")) {
            (Some(x), None) => {
                let text = self.string(x, &at.key("jsonata"), "jsonata")?;
                if m.contains_key("equals") {
                    self.err(&at.key("equals"), "a `jsonata` assertion is an expression that must be true; `equals` goes with `jsonpath`");
                }
                match crate::data::jsonata::Expression::compile(&text) {
                    Ok(expression) => Some(Assertion::Jsonata { expression, text }),
                    Err(e) => {
                        self.err(
                            &at.key("jsonata"),
                            format!("invalid JSONata expression: {e}"),
                        );
                        None
                    }
                }
            }
            (None, Some(x)) => {
                let text = self.string(x, &at.key("jsonpath"), "jsonpath")?;
                let Some(eq) = m.get("equals") else {
                    self.err(at, "a `jsonpath` assertion needs `equals`: the value (or matcher) the path must select");
                    return None;
                };
                let equals = self.matcher(eq, &at.key("equals"))?;
                match crate::data::jsonpath::Path::parse(&text) {
                    Ok(path) => Some(Assertion::JsonPath { path, text, equals }),
                    Err(e) => {
                        self.err(&at.key("jsonpath"), format!("invalid JSONPath: {e}"));
                        None
                    }
                }
            }
            _ => {
                self.err(at, "an assertion has either `jsonata` (an expression that must be true) or `jsonpath` with `equals`");
                None
            }
        }
    }

    /// `s3Objects`: `{"s3://BUCKET/KEY": content}`; a string is the object's text, any other
    /// value is written as JSON.
    fn s3_objects(&mut self, v: &Value, at: &Pointer) -> Vec<(String, String, Vec<u8>)> {
        let Some(m) = v.as_object() else {
            self.err(
                at,
                "`s3Objects` must be an object mapping `s3://BUCKET/KEY` to the object's content",
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (url, content) in m {
            let Some((bucket, key)) = crate::storage::memory::split_url(url) else {
                self.err(
                    &at.key(url),
                    format!("`{url}` is not an S3 URL of the form `s3://BUCKET/KEY`"),
                );
                continue;
            };
            let bytes = match content {
                Value::String(s) => s.clone().into_bytes(),
                other => other.to_string().into_bytes(),
            };
            out.push((bucket, key, bytes));
        }
        out
    }

    /// The S3 objects of `s3Objects` and `s3Files` of the object `m` at `at`.
    fn s3(&mut self, m: &Map<String, Value>, at: &Pointer) -> Vec<(String, String, Vec<u8>)> {
        let mut out = m
            .get("s3Objects")
            .map(|x| self.s3_objects(x, &at.key("s3Objects")))
            .unwrap_or_default();
        if let Some(x) = m.get("s3Files") {
            out.extend(self.s3_files(x, &at.key("s3Files")));
        }
        out
    }

    /// `s3Files`: `{"s3://BUCKET/KEY": file}`, the object's bytes read from a file relative to
    /// the test file, as they are (CSV, JSON Lines, Parquet, gzip: the `ItemReader` reads them
    /// as it would on S3).
    fn s3_files(&mut self, v: &Value, at: &Pointer) -> Vec<(String, String, Vec<u8>)> {
        let Some(m) = v.as_object() else {
            self.err(
                at,
                "`s3Files` must be an object mapping `s3://BUCKET/KEY` to a file, relative to the test file",
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (url, file) in m {
            let p = at.key(url);
            let Some((bucket, key)) = crate::storage::memory::split_url(url) else {
                self.err(
                    &p,
                    format!("`{url}` is not an S3 URL of the form `s3://BUCKET/KEY`"),
                );
                continue;
            };
            let Some(file) = self.string(file, &p, "s3Files") else {
                continue;
            };
            let path = self.dir.join(&file);
            match std::fs::read(&path) {
                Ok(bytes) => out.push((bucket, key, bytes)),
                Err(e) => self.err(&p, format!("cannot read `{}`: {e}", path.display())),
            }
        }
        out
    }

    fn case(&mut self, v: &Value, at: &Pointer, index: usize) -> Option<Case> {
        let m = self.object(v, at, "a case", CASE_KEYS)?;
        let name = match m.get("name") {
            Some(n) => self.string(n, &at.key("name"), "name")?,
            None => {
                self.err(at, "a case needs `name`");
                format!("case {index}")
            }
        };
        let input = match (m.get("input"), m.get("inputFile")) {
            (Some(_), Some(_)) => {
                self.err(at, "`input` and `inputFile` exclude each other: use one");
                Value::Null
            }
            (Some(i), None) => i.clone(),
            (None, Some(f)) => {
                let p = at.key("inputFile");
                let f = self.string(f, &p, "inputFile")?;
                self.data_file(&f, &p).unwrap_or(Value::Null)
            }
            (None, None) => Value::Object(Map::new()),
        };
        let replay = match m.get("replay") {
            Some(r) => {
                let p = at.key("replay");
                self.string(r, &p, "replay")
                    .map(|f| (self.dir.join(f), p.to_string()))
            }
            None => None,
        };
        let snapshot = match m.get("snapshot") {
            None | Some(Value::Bool(false)) => None,
            Some(Value::Bool(true)) | Some(Value::Null) => Some(None),
            Some(Value::Object(s)) => {
                let p = at.key("snapshot");
                let _ = self.object(
                    &Value::Object(s.clone()),
                    &p,
                    "`snapshot`",
                    &["output", "path"],
                );
                let path = match s.get("path") {
                    Some(x) => self.names(x, &p.key("path"), "path").unwrap_or_default(),
                    None => Vec::new(),
                };
                Some(Some((
                    s.get("output").cloned().unwrap_or(Value::Null),
                    path,
                )))
            }
            Some(other) => {
                self.err(
                    &at.key("snapshot"),
                    format!(
                        "`snapshot` must be true (to record) or the recorded object, found {}",
                        type_name(other)
                    ),
                );
                None
            }
        };
        let description = m
            .get("description")
            .and_then(|x| self.string(x, &at.key("description"), "description"))
            .map(|d| d.trim_end().to_string());
        Some(Case {
            name,
            description,
            pointer: at.to_string(),
            input_given: m.contains_key("input") || m.contains_key("inputFile"),
            input,
            replay,
            mocks: m
                .get("mocks")
                .map(|x| self.mocks(x, &at.key("mocks")))
                .unwrap_or_default(),
            mock_config: m
                .get("mockConfig")
                .and_then(|x| self.mock_config(x, &at.key("mockConfig"))),
            context: m
                .get("context")
                .map(|x| self.context(x, &at.key("context")))
                .unwrap_or_default(),
            only: m
                .get("only")
                .map(|x| self.boolean(x, &at.key("only"), "only"))
                .unwrap_or(false),
            skip: m
                .get("skip")
                .map(|x| self.boolean(x, &at.key("skip"), "skip"))
                .unwrap_or(false),
            expect: m
                .get("expect")
                .map(|x| self.expect(x, &at.key("expect")))
                .unwrap_or_default(),
            s3_objects: self.s3(m, at),
            snapshot,
        })
    }
}

/// Top-level keys that start with this are ignored: a place for YAML anchors and notes.
pub const EXTENSION_PREFIX: &str = "x-";

/// Every key written twice in one object of the test file. YAML and JSON readers keep the
/// last of two equal keys without a word, so a second `expect:` would silently drop the
/// first (and a case expecting `FAILED` could pass on a success).
fn duplicate_keys(doc: &Document) -> Vec<FileError> {
    doc.duplicates()
        .into_iter()
        .map(|d| {
            let pointer = format!("{}/{}", d.object, escape_key(&d.key));
            let first = doc
                .position(&pointer)
                .map(|p| format!(" (first at line {}, column {})", p.line, p.column))
                .unwrap_or_default();
            FileError {
                message: format!(
                    "`{}` is written twice in one object{first}: a reader keeps only the last, so the first would be ignored without a word; keep one",
                    d.key
                ),
                pointer,
                position: d.position,
            }
        })
        .collect()
}

/// A key as a JSON pointer segment.
fn escape_key(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// YAML merge keys (`<<: *anchor`, `<<: [*a, *b]`): the members of the merged mappings that
/// the mapping does not write itself, in place of the `<<` member (an earlier mapping of a
/// list wins over a later one), as YAML 1.1 readers do. Lets a file share parts through
/// anchors (`x-defaults: &d {...}`, then `<<: *d`).
fn merge_keys(v: &mut Value, at: &Pointer, errors: &mut Vec<FileError>) {
    match v {
        Value::Array(items) => {
            for (i, x) in items.iter_mut().enumerate() {
                merge_keys(x, &at.index(i), errors);
            }
        }
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                merge_keys(x, &at.key(k), errors);
            }
            if !m.contains_key("<<") {
                return;
            }
            let old = std::mem::take(m);
            let own: std::collections::HashSet<String> =
                old.keys().filter(|k| *k != "<<").cloned().collect();
            for (k, x) in old {
                if k != "<<" {
                    m.insert(k, x);
                    continue;
                }
                let sources = match x {
                    Value::Object(o) => vec![o],
                    Value::Array(list) if list.iter().all(Value::is_object) => list
                        .into_iter()
                        .filter_map(|x| match x {
                            Value::Object(o) => Some(o),
                            _ => None,
                        })
                        .collect(),
                    other => {
                        errors.push(FileError::new(
                            at.key("<<").to_string(),
                            format!(
                                "`<<` merges a mapping (`<<: *anchor`) or a list of mappings, found {}",
                                type_name(&other)
                            ),
                        ));
                        continue;
                    }
                };
                for src in sources {
                    for (k, x) in src {
                        if !own.contains(&k) && !m.contains_key(&k) {
                            m.insert(k, x);
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

fn read_text(path: &Path) -> Result<String, LoadFailure> {
    std::fs::read_to_string(path).map_err(|e| {
        LoadFailure::Unreadable(format!(
            "{}: error: cannot read the test file: {e}",
            path.display()
        ))
    })
}

fn shown(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

impl TestFile {
    /// Reads and checks a test file.
    pub fn load(path: &Path) -> Result<TestFile, LoadFailure> {
        let text = read_text(path)?;
        TestFile::from_text(path, text)
    }

    /// Reads a test file into what could be made of it and every problem found on the way:
    /// the caller checks the file against its definition before reporting, so that one
    /// report holds every problem (`Err` only when nothing could be read at all).
    pub fn read(path: &Path) -> Result<(TestFile, Vec<FileError>), LoadFailure> {
        let text = read_text(path)?;
        TestFile::parse(path, text)
    }

    /// Checks a test file's text, read from `path` (which gives its syntax, the name shown in
    /// errors and the folder its relative paths start from). [`TestFile::load`] without the
    /// reading; the fuzz harness (tests/fuzz.rs) drives it with generated text.
    pub fn from_text(path: &Path, text: String) -> Result<TestFile, LoadFailure> {
        let (file, errors) = TestFile::parse(path, text)?;
        if errors.is_empty() {
            Ok(file)
        } else {
            Err(LoadFailure::Invalid(Box::new(file.doc), errors))
        }
    }

    /// [`TestFile::read`] of a text already read.
    pub fn parse(path: &Path, text: String) -> Result<(TestFile, Vec<FileError>), LoadFailure> {
        let shown_path = path.display().to_string();
        let syntax = Syntax::of(path);
        let doc = match Document::parse(&shown_path, text, syntax) {
            Ok(d) => d,
            Err((_, e)) => {
                return Err(LoadFailure::Syntax(format!(
                    "{shown_path}:{}:{}: error: the test file is not valid {}: {}",
                    e.position.line,
                    e.position.column,
                    match syntax {
                        Syntax::Json => "JSON",
                        Syntax::Yaml => "YAML",
                    },
                    e.message
                )));
            }
        };
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut w = Walk {
            dir,
            errors: Vec::new(),
        };
        let root = Pointer::root();
        w.errors.extend(duplicate_keys(&doc));
        let mut value = doc.value.clone();
        if syntax == Syntax::Yaml {
            merge_keys(&mut value, &root, &mut w.errors);
        }
        // `x-...` keys at the top are the user's own (a place for YAML anchors).
        if let Value::Object(m) = &mut value {
            m.retain(|k, _| !k.starts_with(EXTENSION_PREFIX));
        }
        let Some(m) = w.object(&value, &root, "a test file", FILE_KEYS) else {
            return Err(LoadFailure::Invalid(Box::new(doc), w.errors));
        };
        let (definition, logical_id, definition_shown) = match m.get("definition") {
            Some(d) => match w.string(d, &root.key("definition"), "definition") {
                Some(d) => {
                    let (file, id) = match d.split_once('#') {
                        Some((f, id)) => (f.to_string(), Some(id.to_string())),
                        None => (d.clone(), None),
                    };
                    (normalize(&dir.join(file)), id, d)
                }
                None => (PathBuf::new(), None, String::new()),
            },
            None => {
                w.err(&root, "a test file needs `definition`: the state machine's file, relative to the test file (`machine.asl.json`, or `template.yaml#LogicalId`)");
                (PathBuf::new(), None, String::new())
            }
        };
        let state_machine_name = m
            .get("stateMachineName")
            .and_then(|x| w.string(x, &root.key("stateMachineName"), "stateMachineName"));
        let context = m
            .get("context")
            .map(|x| w.context(x, &root.key("context")))
            .unwrap_or_default();
        let mock_config = m
            .get("mockConfig")
            .and_then(|x| w.mock_config(x, &root.key("mockConfig")));
        if let Some(mc) = &mock_config
            && mc.file.is_none()
        {
            w.err(
                &root.key("mockConfig"),
                "the file's `mockConfig` needs `file`: the MockConfigFile.json to read",
            );
        }
        let mocks = m
            .get("mocks")
            .map(|x| w.mocks(x, &root.key("mocks")))
            .unwrap_or_default();
        let handlers = m
            .get("handlers")
            .and_then(|x| w.string(x, &root.key("handlers"), "handlers"))
            .map(|h| dir.join(h));
        let s3_root = m
            .get("s3Root")
            .and_then(|x| w.string(x, &root.key("s3Root"), "s3Root"))
            .map(|h| normalize(&dir.join(h)));
        if let Some(r) = &s3_root
            && !r.is_dir()
        {
            w.err(
                &root.key("s3Root"),
                format!("`s3Root` `{}` is not a folder", r.display()),
            );
        }
        let s3_objects = w.s3(m, &root);
        let mut machines = Vec::new();
        if let Some(x) = m.get("machines") {
            let mp = root.key("machines");
            match x.as_object() {
                Some(o) => {
                    for (name, f) in o {
                        if let Some(f) = w.string(f, &mp.key(name), "machines") {
                            machines.push((
                                name.clone(),
                                normalize(&dir.join(f)),
                                mp.key(name).to_string(),
                            ));
                        }
                    }
                }
                None => w.err(
                    &mp,
                    "`machines` must be an object mapping state machine names to definition files",
                ),
            }
        }
        let mut cases = Vec::new();
        match m.get("cases") {
            Some(Value::Array(items)) if !items.is_empty() => {
                let cp = root.key("cases");
                let mut names = std::collections::HashSet::new();
                for (i, c) in items.iter().enumerate() {
                    if let Some(case) = w.case(c, &cp.index(i), i) {
                        if !names.insert(case.name.clone()) {
                            w.err(&cp.index(i).key("name"), format!("two cases are named `{}`: case names must be unique (reports tell cases apart by name)", case.name));
                        }
                        cases.push(case);
                    }
                }
            }
            Some(Value::Array(_)) => w.err(
                &root.key("cases"),
                "`cases` is empty: a test file needs at least one case",
            ),
            Some(other) => w.err(
                &root.key("cases"),
                format!(
                    "`cases` must be a non-empty list of cases, found {}",
                    type_name(other)
                ),
            ),
            None => w.err(&root, "a test file needs `cases`: a list of cases"),
        }
        for c in &cases {
            if let Some(mc) = &c.mock_config
                && mc.file.is_none()
                && mock_config.is_none()
            {
                w.errors.push(FileError::new(
                    mc.pointer.clone(),
                    "this `mockConfig` has no `file` and the test file names none",
                ));
            }
        }
        let errors = w.errors;
        let file = TestFile {
            shown: shown_path,
            doc,
            definition,
            logical_id,
            definition_shown,
            state_machine_name,
            context,
            mock_config,
            mocks,
            handlers,
            s3_root,
            s3_objects,
            machines,
            cases,
        };
        Ok((file, errors))
    }

    /// The 1-based line where `pointer` is written.
    pub fn line(&self, pointer: &str) -> Option<usize> {
        self.doc.position(pointer).map(|p| p.line)
    }

    /// The line of each case, found in one pass: locating a JSON pointer scans the text from
    /// its start, which over a file of a thousand cases would scan it a thousand times.
    pub fn case_lines(&self) -> Vec<Option<usize>> {
        match self.doc.syntax {
            Syntax::Yaml => self.cases.iter().map(|c| self.line(&c.pointer)).collect(),
            Syntax::Json => {
                let mut lines = json_array_lines(&self.doc.text, self.line("/cases"));
                lines.resize(self.cases.len(), None);
                lines
            }
        }
    }
}

/// `a/./b/../c` -> `a/c`, without touching the file system (a path that names the same file
/// the same way gives one coverage entry and one label).
pub fn normalize(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                _ => out.push(c),
            },
            other => out.push(other),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

/// The line of each element of the JSON array whose key is on line `from` (the first `[` at
/// or after that line), by one scan of the text.
fn json_array_lines(text: &str, from: Option<usize>) -> Vec<Option<usize>> {
    let Some(from) = from else {
        return Vec::new();
    };
    let mut line = 1;
    let mut i = 0;
    let b = text.as_bytes();
    while i < b.len() && line < from {
        if b[i] == b'\n' {
            line += 1;
        }
        i += 1;
    }
    while i < b.len() && b[i] != b'[' {
        if b[i] == b'\n' {
            line += 1;
        }
        i += 1;
    }
    let mut out = Vec::new();
    let (mut depth, mut in_str, mut escaped, mut expecting) = (0usize, false, false, true);
    for &c in &b[i.min(b.len())..] {
        if c == b'\n' {
            line += 1;
        }
        if in_str {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_str = false;
            }
            continue;
        }
        match c {
            b'[' | b'{' => {
                if depth == 1 && expecting {
                    out.push(Some(line));
                    expecting = false;
                }
                depth += 1;
            }
            b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            b',' if depth == 1 => expecting = true,
            b'"' => {
                if depth == 1 && expecting {
                    out.push(Some(line));
                    expecting = false;
                }
                in_str = true;
            }
            c if depth == 1 && expecting && !c.is_ascii_whitespace() => {
                out.push(Some(line));
                expecting = false;
            }
            _ => {}
        }
    }
    out
}

/// `Map[0]/Inner[2]/Work` -> `[("Map", Some(0)), ("Inner", Some(2)), ("Work", None)]`; a plain
/// name is one segment. A name with no brackets is never split (state names may hold `/`).
pub fn split_qualified(name: &str) -> Option<Vec<(String, Option<usize>)>> {
    if !name.contains("]/") {
        return Some(vec![(name.to_string(), None)]);
    }
    let mut out = Vec::new();
    let mut rest = name;
    while let Some(i) = rest.find("]/") {
        let head = &rest[..i];
        let (state, index) = head.rsplit_once('[')?;
        out.push((state.to_string(), Some(index.parse().ok()?)));
        rest = &rest[i + 2..];
    }
    out.push((rest.to_string(), None));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str, ext: &str) -> Result<TestFile, Vec<FileError>> {
        let dir = std::env::temp_dir().join(format!("asl-testfile-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join(format!("t{}.{ext}", text.len()));
        std::fs::write(&path, text).map_err(|_| Vec::new())?;
        let r = TestFile::load(&path);
        let _ = std::fs::remove_file(&path);
        match r {
            Ok(f) => Ok(f),
            Err(LoadFailure::Invalid(_, e)) => Err(e),
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_a_yaml_file_with_every_part() {
        let f = load(
            "definition: m.asl.json\ncontext: {seed: 7}\nmocks:\n  A: {return: 1}\n  B:\n    sequence:\n      - throw: {error: E}\n        times: 2\n      - return: {x: 1}\ncases:\n  - name: one\n    input: {a: 1}\n    expect:\n      status: SUCCEEDED\n      outputContains: {a: 1}\n      path: [A, B]\n      calls: {B: 3}\n",
            "yaml",
        )
        .expect("valid");
        assert_eq!(f.context.seed, Some(7));
        assert_eq!(f.mocks.len(), 2);
        assert!(matches!(&f.mocks[1].1.spec, MockSpec::Sequence(s) if s.len() == 2 && s[0].0 == 2));
        let c = &f.cases[0];
        assert_eq!(c.expect.status.as_deref(), Some("SUCCEEDED"));
        assert_eq!(c.expect.output.as_ref().map(|o| o.mode), Some(Mode::Subset));
        assert_eq!(c.expect.calls[0].1.count, Some(3));
        assert_eq!(f.line("/cases/0/expect/path"), Some(16));
    }

    #[test]
    fn locates_every_problem_with_did_you_mean() {
        let e = load(
            r#"{"definition": "m.json", "cases": [{"name": "a", "expcet": {}}, {"name": "b", "expect": {"status": "DONE", "output": 1, "outputContains": 2}}]}"#,
            "json",
        )
        .expect_err("invalid");
        let at: Vec<&str> = e.iter().map(|e| e.pointer.as_str()).collect();
        assert!(at.contains(&"/cases/0/expcet"), "{e:?}");
        assert!(e[0].message.contains("did you mean `expect`"), "{e:?}");
        assert!(at.contains(&"/cases/1/expect/status"), "{e:?}");
        assert!(at.contains(&"/cases/1/expect"), "{e:?}");
    }

    #[test]
    fn refuses_duplicate_case_names_and_missing_parts() {
        let e = load(r#"{"cases": [{"name": "a"}, {"name": "a"}]}"#, "json").expect_err("invalid");
        assert!(
            e.iter().any(|e| e.message.contains("needs `definition`")),
            "{e:?}"
        );
        assert!(e.iter().any(|e| e.pointer == "/cases/1/name"), "{e:?}");
    }

    #[test]
    fn finds_every_case_line_of_a_json_file_in_one_pass() {
        let f = load(
            "{\"definition\": \"m.json\",\n \"cases\": [\n  {\"name\": \"a\"},\n\n  {\"name\": \"b\",\n   \"input\": [1, \"]\"]}, {\"name\": \"c\"}]}",
            "json",
        )
        .expect("valid");
        assert_eq!(f.case_lines(), vec![Some(3), Some(5), Some(6)]);
        let slow: Vec<Option<usize>> = f.cases.iter().map(|c| f.line(&c.pointer)).collect();
        assert_eq!(f.case_lines(), slow);
    }

    #[test]
    fn splits_qualified_names() {
        assert_eq!(
            split_qualified("A[0]/B[12]/C"),
            Some(vec![
                ("A".into(), Some(0)),
                ("B".into(), Some(12)),
                ("C".into(), None)
            ])
        );
        assert_eq!(split_qualified("a/b"), Some(vec![("a/b".into(), None)]));
        assert_eq!(split_qualified("A[x]/B"), None);
    }
}
