//! Expectation matchers: an expected value from a test file, compiled once into a [`Matcher`]
//! and checked against actual JSON values, answering every difference as a located
//! [`Mismatch`].
//!
//! # Syntax
//!
//! A plain value matches by equality: strings, booleans and `null` exactly, numbers
//! numerically (`1` equals `1.0`), objects and arrays member by member under the current mode.
//!
//! An object whose keys all start with `$` and are known matcher keys is a matcher:
//!
//! | matcher                               | matches                                               |
//! |---------------------------------------|-------------------------------------------------------|
//! | `{"$any": true}`                      | any value, `null` included (the key must be present)  |
//! | `{"$type": "string"}`                 | a value of that type: `string`, `number`, `integer` (a number with no fraction), `boolean`, `object`, `array`, `null` |
//! | `{"$type": ["string", "null"]}`       | a value of any of those types                         |
//! | `{"$regex": "^ord-[0-9]+$"}`          | a string the pattern matches somewhere (anchor it yourself) |
//! | `{"$gte": 1, "$lt": 10}`              | a number in range: any of `$gt`, `$gte`, `$lt`, `$lte` |
//! | `{"$length": 3}`                      | an array, a string (in characters) or an object (in members) of that length |
//! | `{"$subset": value}`                  | `value`, in subset mode from here down                |
//! | `{"$exact": value}`                   | `value`, in exact mode from here down                 |
//! | `{"$literal": value}`                 | `value` as plain data: no matcher keys recognised inside (for data with keys such as `$type`); still under the current mode |
//!
//! Only the four range keys combine in one object; any other matcher stands alone.
//!
//! # Modes
//!
//! - **exact**: an object must have exactly the expected keys; an array the same length,
//!   matched by position.
//! - **subset**: an object may have more keys than expected (every expected key must be present
//!   and match); an array must still have the same length, and is matched by position, each
//!   element in subset mode.
//!
//! The caller chooses the mode at the top ([`Matcher::check`]); `$subset` and `$exact` switch
//! it below.
//!
//! # Errors
//!
//! [`Matcher::compile`] collects every problem as a [`MatcherError`] located by the JSON
//! pointer of the offending member in the test file: a bad regular expression, an unknown
//! `$type` name, a range bound or `$length` of the wrong kind, an object mixing matcher keys
//! with ordinary keys or with matchers they do not combine with, and an unknown `$` key.

use super::mismatch::show;
pub use super::mismatch::{Mismatch, MismatchKind, render};
use crate::definition::Pointer;
use crate::definition::diagnostic::did_you_mean_in;
use indexmap::IndexMap;
use regex::Regex;
use serde_json::{Map, Number, Value};
use std::cmp::Ordering;

/// How objects compare (arrays compare by position and length in both modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Objects have exactly the expected keys.
    Exact,
    /// Objects have at least the expected keys.
    Subset,
}

/// A problem in an expected value of a test file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{pointer}: {message}")]
pub struct MatcherError {
    /// RFC 6901 pointer of the offending member in the test file.
    pub pointer: String,
    pub message: String,
}

/// An expected value, compiled: plain values to compare, matchers with their patterns compiled
/// and their arguments checked. A `Matcher` always holds a valid expectation; checking it
/// never fails, it only finds differences.
#[derive(Debug, Clone)]
pub struct Matcher {
    node: Node,
}

#[derive(Debug, Clone)]
enum Node {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Node>),
    Object(IndexMap<String, Node>),
    Any,
    Type(Vec<JsonType>),
    Regex(Regex),
    Range(Range),
    Length(usize),
    Mode(Mode, Box<Node>),
}

/// A number range; at least one bound is set.
#[derive(Debug, Clone, Default)]
struct Range {
    gt: Option<Number>,
    gte: Option<Number>,
    lt: Option<Number>,
    lte: Option<Number>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonType {
    String,
    Number,
    Integer,
    Boolean,
    Object,
    Array,
    Null,
}

const TYPES: [JsonType; 7] = [
    JsonType::String,
    JsonType::Number,
    JsonType::Integer,
    JsonType::Boolean,
    JsonType::Object,
    JsonType::Array,
    JsonType::Null,
];

const TYPE_NAMES: [&str; 7] = [
    "string", "number", "integer", "boolean", "object", "array", "null",
];

/// Every matcher key, in the order the docs list them.
const MATCHER_KEYS: [&str; 11] = [
    "$any", "$type", "$regex", "$gt", "$gte", "$lt", "$lte", "$length", "$subset", "$exact",
    "$literal",
];

const RANGE_KEYS: [&str; 4] = ["$gt", "$gte", "$lt", "$lte"];

const LITERAL_HINT: &str =
    "to match a key that starts with `$` literally, write {\"$literal\": ...} around the object";

impl JsonType {
    fn as_str(self) -> &'static str {
        match self {
            JsonType::String => "string",
            JsonType::Number => "number",
            JsonType::Integer => "integer",
            JsonType::Boolean => "boolean",
            JsonType::Object => "object",
            JsonType::Array => "array",
            JsonType::Null => "null",
        }
    }

    fn from_name(name: &str) -> Option<JsonType> {
        TYPES.into_iter().find(|t| t.as_str() == name)
    }

    fn holds(self, value: &Value) -> bool {
        match (self, value) {
            (JsonType::String, Value::String(_))
            | (JsonType::Number, Value::Number(_))
            | (JsonType::Boolean, Value::Bool(_))
            | (JsonType::Object, Value::Object(_))
            | (JsonType::Array, Value::Array(_))
            | (JsonType::Null, Value::Null) => true,
            (JsonType::Integer, Value::Number(n)) => is_integer(n),
            _ => false,
        }
    }
}

impl Matcher {
    /// Compiles `value`, found at JSON pointer `at` of a test file. Every problem is reported,
    /// each located by the pointer of the offending member.
    pub fn compile(value: &Value, at: &str) -> Result<Matcher, Vec<MatcherError>> {
        let mut errors = Vec::new();
        let node = compile(value, at, &mut errors);
        if errors.is_empty() {
            Ok(Matcher { node })
        } else {
            Err(errors)
        }
    }

    /// Every difference between this expectation and `actual`, in `mode` at the top, each
    /// located by a JSON pointer into `actual`. Empty when `actual` matches.
    pub fn check(&self, actual: &Value, mode: Mode) -> Vec<Mismatch> {
        let mut out = Vec::new();
        check(&self.node, actual, mode, &mut Vec::new(), &mut out);
        out
    }

    /// Whether `actual` matches, in `mode` at the top.
    pub fn matches(&self, actual: &Value, mode: Mode) -> bool {
        self.check(actual, mode).is_empty()
    }

    /// The expectation for people: JSON text, or a matcher's description (`any value`).
    pub fn describe(&self) -> String {
        describe(&self.node)
    }
}

// ---------------------------------------------------------------------------------------------
// Compiling

fn child(at: &str, key: &str) -> String {
    format!("{at}{}", Pointer::root().key(key))
}

fn error(errors: &mut Vec<MatcherError>, pointer: String, message: String) {
    errors.push(MatcherError { pointer, message });
}

fn compile(value: &Value, at: &str, errors: &mut Vec<MatcherError>) -> Node {
    match value {
        Value::Object(map) if !map.is_empty() && map.keys().all(|k| k.starts_with('$')) => {
            compile_matcher(map, at, errors)
        }
        Value::Object(map) => {
            if let Some(key) = map.keys().find(|k| MATCHER_KEYS.contains(&k.as_str())) {
                let ordinary: Vec<String> = map
                    .keys()
                    .filter(|k| !k.starts_with('$'))
                    .take(3)
                    .map(|k| format!("`{k}`"))
                    .collect();
                error(
                    errors,
                    child(at, key),
                    format!(
                        "matcher `{key}` cannot share its object with ordinary keys ({}); \
                         expected only matcher keys or only ordinary keys; {LITERAL_HINT}",
                        ordinary.join(", ")
                    ),
                );
            }
            let members = map
                .iter()
                .map(|(k, v)| (k.clone(), compile(v, &child(at, k), errors)))
                .collect();
            Node::Object(members)
        }
        Value::Array(items) => Node::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| compile(v, &format!("{at}/{i}"), errors))
                .collect(),
        ),
        scalar => plain(scalar),
    }
}

/// `value` as plain data, with no matcher keys recognised (`$literal`).
fn plain(value: &Value) -> Node {
    match value {
        Value::Null => Node::Null,
        Value::Bool(b) => Node::Bool(*b),
        Value::Number(n) => Node::Number(n.clone()),
        Value::String(s) => Node::String(s.clone()),
        Value::Array(items) => Node::Array(items.iter().map(plain).collect()),
        Value::Object(map) => {
            Node::Object(map.iter().map(|(k, v)| (k.clone(), plain(v))).collect())
        }
    }
}

/// An object whose keys all start with `$`. Every key's argument is checked, even where the
/// object is wrong as a whole, so that one run reports every problem.
fn compile_matcher(map: &Map<String, Value>, at: &str, errors: &mut Vec<MatcherError>) -> Node {
    let is_range = |k: &str| RANGE_KEYS.contains(&k);
    let mut first: Option<&str> = None;
    let mut range = Range::default();
    let mut node = None;
    for (key, value) in map {
        let at_key = child(at, key);
        if !MATCHER_KEYS.contains(&key.as_str()) {
            error(
                errors,
                at_key,
                format!(
                    "unknown matcher `{key}`{}; expected one of `{}`; {LITERAL_HINT}",
                    did_you_mean_in(key, &MATCHER_KEYS),
                    MATCHER_KEYS.join("`, `")
                ),
            );
            continue;
        }
        match first {
            None => first = Some(key),
            Some(first) if is_range(first) && is_range(key) => {}
            Some(first) => error(
                errors,
                at_key.clone(),
                format!(
                    "matcher `{key}` does not combine with `{first}`; expected one matcher per \
                     object (only `$gt`, `$gte`, `$lt` and `$lte` combine)"
                ),
            ),
        }
        let part = match key.as_str() {
            "$gt" | "$gte" | "$lt" | "$lte" => {
                let Value::Number(n) = value else {
                    error(
                        errors,
                        at_key,
                        format!("`{key}` expects a number, found {}", show(value)),
                    );
                    continue;
                };
                let bound = match key.as_str() {
                    "$gt" => &mut range.gt,
                    "$gte" => &mut range.gte,
                    "$lt" => &mut range.lt,
                    _ => &mut range.lte,
                };
                *bound = Some(n.clone());
                continue;
            }
            "$any" => {
                if value != &Value::Bool(true) {
                    error(
                        errors,
                        at_key,
                        format!("`$any` expects true, found {}", show(value)),
                    );
                }
                Node::Any
            }
            "$type" => compile_type(value, &at_key, errors),
            "$regex" => compile_regex(value, &at_key, errors),
            "$length" => match length_of(value) {
                Some(n) => Node::Length(n),
                None => {
                    error(
                        errors,
                        at_key,
                        format!(
                            "`$length` expects a non-negative integer, found {}",
                            show(value)
                        ),
                    );
                    Node::Any
                }
            },
            "$subset" => Node::Mode(Mode::Subset, Box::new(compile(value, &at_key, errors))),
            "$exact" => Node::Mode(Mode::Exact, Box::new(compile(value, &at_key, errors))),
            // "$literal", the only key left.
            _ => plain(value),
        };
        node.get_or_insert(part);
    }
    match first {
        Some(first) if is_range(first) => Node::Range(range),
        // With errors reported, the node is never used.
        _ => node.unwrap_or(Node::Any),
    }
}

fn compile_type(value: &Value, at: &str, errors: &mut Vec<MatcherError>) -> Node {
    let mut types = Vec::new();
    let mut name = |v: &Value, at: String, errors: &mut Vec<MatcherError>| match v {
        Value::String(s) => match JsonType::from_name(s) {
            Some(t) => types.push(t),
            None => error(
                errors,
                at,
                format!(
                    "unknown type `{s}` in `$type`{}; expected one of {}",
                    did_you_mean_in(s, &TYPE_NAMES),
                    TYPE_NAMES.join(", ")
                ),
            ),
        },
        other => error(
            errors,
            at,
            format!("`$type` expects a type name, found {}", show(other)),
        ),
    };
    match value {
        Value::Array(items) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                name(item, format!("{at}/{i}"), errors);
            }
        }
        Value::String(_) => name(value, at.to_string(), errors),
        other => error(
            errors,
            at.to_string(),
            format!(
                "`$type` expects a type name or a non-empty list of them, found {}",
                show(other)
            ),
        ),
    }
    Node::Type(types)
}

fn compile_regex(value: &Value, at: &str, errors: &mut Vec<MatcherError>) -> Node {
    let Value::String(pattern) = value else {
        error(
            errors,
            at.to_string(),
            format!("`$regex` expects a string, found {}", show(value)),
        );
        return Node::Any;
    };
    match Regex::new(pattern) {
        Ok(re) => Node::Regex(re),
        Err(e) => {
            // The regex crate's message spans lines (pattern, caret, reason): keep the reason.
            let text = e.to_string();
            let reason = text
                .lines()
                .rev()
                .find_map(|l| l.trim().strip_prefix("error: "))
                .unwrap_or(text.trim());
            error(
                errors,
                at.to_string(),
                format!(
                    "`$regex` expects a valid regular expression, found {}: {reason}",
                    show(value)
                ),
            );
            Node::Any
        }
    }
}

fn length_of(value: &Value) -> Option<usize> {
    let Value::Number(n) = value else { return None };
    if let Some(u) = n.as_u64() {
        return usize::try_from(u).ok();
    }
    let f = n.as_f64()?;
    // A whole float (`3.0`) is an integer too; `as` saturates, and the bound keeps it exact.
    (f >= 0.0 && f.fract() == 0.0 && f < 9.0e15).then_some(f as usize)
}

// ---------------------------------------------------------------------------------------------
// Checking

/// One step of the path from the actual value's root, turned into a pointer only on a mismatch.
#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

fn pointer(path: &[Seg<'_>]) -> String {
    let mut p = Pointer::root();
    for seg in path {
        p = match seg {
            Seg::Key(k) => p.key(k),
            Seg::Index(i) => p.index(*i),
        };
    }
    p.as_str().to_string()
}

fn push(
    out: &mut Vec<Mismatch>,
    path: &[Seg<'_>],
    kind: MismatchKind,
    expected: String,
    found: String,
) {
    out.push(Mismatch {
        pointer: pointer(path),
        kind,
        expected,
        found,
    });
}

fn check<'a>(
    node: &'a Node,
    actual: &'a Value,
    mode: Mode,
    path: &mut Vec<Seg<'a>>,
    out: &mut Vec<Mismatch>,
) {
    match (node, actual) {
        (Node::Null, Value::Null) => {}
        (Node::Bool(e), Value::Bool(a)) if e == a => {}
        (Node::String(e), Value::String(a)) if e == a => {}
        (Node::Number(e), Value::Number(a)) if num_cmp(e, a) == Some(Ordering::Equal) => {}
        (Node::Bool(_), Value::Bool(_))
        | (Node::String(_), Value::String(_))
        | (Node::Number(_), Value::Number(_)) => push(
            out,
            path,
            MismatchKind::ValueDiffers,
            describe(node),
            show(actual),
        ),
        (Node::Array(expected), Value::Array(items)) => {
            if expected.len() != items.len() {
                push(
                    out,
                    path,
                    MismatchKind::LengthDiffers,
                    items_count(expected.len()),
                    items.len().to_string(),
                );
            }
            for (i, (e, a)) in expected.iter().zip(items).enumerate() {
                path.push(Seg::Index(i));
                check(e, a, mode, path, out);
                path.pop();
            }
        }
        (Node::Object(expected), Value::Object(members)) => {
            for (key, e) in expected {
                path.push(Seg::Key(key));
                match members.get(key) {
                    Some(a) => check(e, a, mode, path, out),
                    None => push(
                        out,
                        path,
                        MismatchKind::MissingKey,
                        describe(e),
                        String::new(),
                    ),
                }
                path.pop();
            }
            if mode == Mode::Exact {
                for (key, a) in members {
                    if !expected.contains_key(key) {
                        path.push(Seg::Key(key));
                        push(
                            out,
                            path,
                            MismatchKind::UnexpectedKey,
                            String::new(),
                            show(a),
                        );
                        path.pop();
                    }
                }
            }
        }
        (
            Node::Null
            | Node::Bool(_)
            | Node::String(_)
            | Node::Number(_)
            | Node::Array(_)
            | Node::Object(_),
            _,
        ) => push(
            out,
            path,
            MismatchKind::TypeDiffers,
            describe(node),
            show(actual),
        ),
        (Node::Any, _) => {}
        (Node::Mode(inner_mode, inner), _) => check(inner, actual, *inner_mode, path, out),
        (Node::Type(types), _) => {
            if !types.iter().any(|t| t.holds(actual)) {
                matcher_failed(node, actual, path, out);
            }
        }
        (Node::Regex(re), Value::String(s)) if re.is_match(s) => {}
        (Node::Range(range), Value::Number(n)) if range.holds(n) => {}
        (Node::Length(n), _) if length(actual) == Some(*n) => {}
        (Node::Length(_), _) => match length(actual) {
            Some(found) => push(
                out,
                path,
                MismatchKind::MatcherFailed,
                describe(node),
                format!("{} (length {found})", show(actual)),
            ),
            None => matcher_failed(node, actual, path, out),
        },
        (Node::Regex(_) | Node::Range(_), _) => matcher_failed(node, actual, path, out),
    }
}

fn matcher_failed(node: &Node, actual: &Value, path: &[Seg<'_>], out: &mut Vec<Mismatch>) {
    push(
        out,
        path,
        MismatchKind::MatcherFailed,
        describe(node),
        show(actual),
    );
}

fn items_count(n: usize) -> String {
    if n == 1 {
        "1 item".to_string()
    } else {
        format!("{n} items")
    }
}

/// The length `$length` counts: array items, string characters, object members.
fn length(value: &Value) -> Option<usize> {
    match value {
        Value::Array(items) => Some(items.len()),
        Value::String(s) => Some(s.chars().count()),
        Value::Object(members) => Some(members.len()),
        _ => None,
    }
}

impl Range {
    fn holds(&self, n: &Number) -> bool {
        let ok = |bound: &Option<Number>, wanted: &[Ordering]| {
            bound
                .as_ref()
                .is_none_or(|b| num_cmp(n, b).is_some_and(|o| wanted.contains(&o)))
        };
        ok(&self.gt, &[Ordering::Greater])
            && ok(&self.gte, &[Ordering::Greater, Ordering::Equal])
            && ok(&self.lt, &[Ordering::Less])
            && ok(&self.lte, &[Ordering::Less, Ordering::Equal])
    }

    fn describe(&self) -> String {
        let parts: Vec<String> = [
            (">", &self.gt),
            (">=", &self.gte),
            ("<", &self.lt),
            ("<=", &self.lte),
        ]
        .into_iter()
        .filter_map(|(op, bound)| bound.as_ref().map(|b| format!("{op} {b}")))
        .collect();
        format!("a number {}", parts.join(" and "))
    }
}

/// Numeric comparison: integers exactly, anything else as floats.
fn num_cmp(a: &Number, b: &Number) -> Option<Ordering> {
    let int = |n: &Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    match (int(a), int(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

fn is_integer(n: &Number) -> bool {
    n.is_i64()
        || n.is_u64()
        || n.as_f64()
            .is_some_and(|f| f.is_finite() && f.fract() == 0.0)
}

// ---------------------------------------------------------------------------------------------
// Describing

fn describe(node: &Node) -> String {
    match node {
        Node::Any => "any value".to_string(),
        Node::Type(types) => {
            let names: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
            let list = match names.split_last() {
                Some((last, rest)) if !rest.is_empty() => {
                    format!("{} or {last}", rest.join(", "))
                }
                _ => names.join(""),
            };
            format!("a value of type {list}")
        }
        Node::Regex(re) => format!("a string matching /{}/", re.as_str()),
        Node::Range(range) => range.describe(),
        Node::Length(n) => format!("a value of length {n}"),
        Node::Mode(_, inner) => describe(inner),
        _ => show(&to_value(node)),
    }
}

/// The expectation as JSON again, matchers written as in the test file.
fn to_value(node: &Node) -> Value {
    let single = |key: &str, value: Value| {
        let mut map = Map::new();
        map.insert(key.to_string(), value);
        Value::Object(map)
    };
    match node {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(*b),
        Node::Number(n) => Value::Number(n.clone()),
        Node::String(s) => Value::String(s.clone()),
        Node::Array(items) => Value::Array(items.iter().map(to_value).collect()),
        Node::Object(members) => Value::Object(
            members
                .iter()
                .map(|(k, v)| (k.clone(), to_value(v)))
                .collect(),
        ),
        Node::Any => single("$any", Value::Bool(true)),
        Node::Type(types) => single(
            "$type",
            Value::Array(types.iter().map(|t| Value::from(t.as_str())).collect()),
        ),
        Node::Regex(re) => single("$regex", Value::from(re.as_str())),
        Node::Range(r) => {
            let mut map = Map::new();
            for (key, bound) in [
                ("$gt", &r.gt),
                ("$gte", &r.gte),
                ("$lt", &r.lt),
                ("$lte", &r.lte),
            ] {
                if let Some(b) = bound {
                    map.insert(key.to_string(), Value::Number(b.clone()));
                }
            }
            Value::Object(map)
        }
        Node::Length(n) => single("$length", Value::from(*n)),
        Node::Mode(Mode::Subset, inner) => single("$subset", to_value(inner)),
        Node::Mode(Mode::Exact, inner) => single("$exact", to_value(inner)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn compiled(expected: &Value) -> Matcher {
        match Matcher::compile(expected, "/expect") {
            Ok(m) => m,
            Err(errors) => panic!("{expected} does not compile: {errors:?}"),
        }
    }

    /// `expected` against `actual` in `mode`, rendered; `""` when they match.
    fn diff(expected: Value, actual: Value, mode: Mode) -> String {
        let m = compiled(&expected);
        let mismatches = m.check(&actual, mode);
        assert_eq!(m.matches(&actual, mode), mismatches.is_empty());
        render(&mismatches)
    }

    use Mode::{Exact, Subset};

    #[test]
    fn plain_values_match_by_equality() {
        let cases = [
            (json!("a"), json!("a"), ""),
            (
                json!("a"),
                json!("b"),
                r#"  (root): expected "a", found "b""#,
            ),
            (json!(true), json!(true), ""),
            (
                json!(true),
                json!(false),
                "  (root): expected true, found false",
            ),
            (json!(null), json!(null), ""),
            (
                json!(null),
                json!(0),
                "  (root): expected null, found 0 (type differs)",
            ),
            (json!(1), json!(1.0), ""),
            (json!(1.0), json!(1), ""),
            (json!(-3), json!(-3.0), ""),
            (json!(1), json!(2), "  (root): expected 1, found 2"),
            (json!(0.1), json!(0.10), ""),
            (json!(u64::MAX), json!(u64::MAX), ""),
            (
                json!(u64::MAX),
                json!(u64::MAX - 1),
                &format!("  (root): expected {}, found {}", u64::MAX, u64::MAX - 1),
            ),
            (
                json!(12.5),
                json!("12.5"),
                r#"  (root): expected 12.5, found "12.5" (type differs)"#,
            ),
            (
                json!([1, 2]),
                json!({"a": 1}),
                r#"  (root): expected [1,2], found {"a":1} (type differs)"#,
            ),
            (json!({}), json!({}), ""),
            (json!([]), json!([]), ""),
        ];
        for (expected, actual, want) in cases {
            for mode in [Exact, Subset] {
                assert_eq!(
                    diff(expected.clone(), actual.clone(), mode),
                    want,
                    "{expected} vs {actual}"
                );
            }
        }
    }

    #[test]
    fn objects_in_exact_and_subset_mode() {
        let expected = json!({"id": "ord-1", "total": 10});
        let cases = [
            (json!({"id": "ord-1", "total": 10.0}), Exact, ""),
            (json!({"total": 10, "id": "ord-1"}), Exact, ""),
            (
                json!({"id": "ord-1", "total": 10, "debug": true}),
                Exact,
                "  /debug: unexpected key (found true)",
            ),
            (
                json!({"id": "ord-1", "total": 10, "debug": true}),
                Subset,
                "",
            ),
            (
                json!({"total": 10}),
                Exact,
                r#"  /id: missing (expected "ord-1")"#,
            ),
            (
                json!({"total": 10}),
                Subset,
                r#"  /id: missing (expected "ord-1")"#,
            ),
            (
                json!({"id": "ord-2", "extra": [1], "total": 11}),
                Exact,
                "  /id: expected \"ord-1\", found \"ord-2\"\n  /total: expected 10, found 11\n  /extra: unexpected key (found [1])",
            ),
        ];
        for (actual, mode, want) in cases {
            assert_eq!(
                diff(expected.clone(), actual.clone(), mode),
                want,
                "{actual} in {mode:?}"
            );
        }
    }

    #[test]
    fn arrays_compare_by_position_and_length_in_both_modes() {
        let cases = [
            (json!([1, 2, 3]), json!([1, 2, 3]), Subset, ""),
            (
                json!([1, 2, 3]),
                json!([3, 2, 1]),
                Subset,
                "  /0: expected 1, found 3\n  /2: expected 3, found 1",
            ),
            (
                json!([1, 2, 3]),
                json!([1, 2, 3, 4]),
                Subset,
                "  (root): expected 3 items, found 4",
            ),
            (
                json!([1]),
                json!([]),
                Exact,
                "  (root): expected 1 item, found 0",
            ),
            (
                json!([1, 2, 3]),
                json!([1, 5]),
                Exact,
                "  (root): expected 3 items, found 2\n  /1: expected 2, found 5",
            ),
            // Elements are matched in the current mode.
            (json!([{"a": 1}]), json!([{"a": 1, "b": 2}]), Subset, ""),
            (
                json!([{"a": 1}]),
                json!([{"a": 1, "b": 2}]),
                Exact,
                "  /0/b: unexpected key (found 2)",
            ),
            (
                json!({"items": [{"id": 1}, {"id": 2}, {"id": 3}]}),
                json!({"items": [{"id": 1}, {"id": 2}, {"id": "3"}]}),
                Subset,
                r#"  /items/2/id: expected 3, found "3" (type differs)"#,
            ),
        ];
        for (expected, actual, mode, want) in cases {
            assert_eq!(
                diff(expected.clone(), actual.clone(), mode),
                want,
                "{expected} vs {actual}"
            );
        }
    }

    #[test]
    fn matchers_hold_or_say_why_not() {
        let cases = [
            // $any: anything, null included, but the key must be there.
            (json!({"$any": true}), json!(null), ""),
            (json!({"$any": true}), json!({"x": [1]}), ""),
            (json!({"a": {"$any": true}}), json!({"a": null}), ""),
            (
                json!({"a": {"$any": true}}),
                json!({}),
                "  /a: missing (expected any value)",
            ),
            // $type
            (json!({"$type": "string"}), json!("x"), ""),
            (
                json!({"$type": "string"}),
                json!(1),
                "  (root): expected a value of type string, found 1",
            ),
            (json!({"$type": "number"}), json!(1.5), ""),
            (json!({"$type": "number"}), json!(2), ""),
            (json!({"$type": "integer"}), json!(2), ""),
            (json!({"$type": "integer"}), json!(2.0), ""),
            (json!({"$type": "integer"}), json!(-7), ""),
            (
                json!({"$type": "integer"}),
                json!(2.5),
                "  (root): expected a value of type integer, found 2.5",
            ),
            (json!({"$type": "boolean"}), json!(false), ""),
            (json!({"$type": "object"}), json!({}), ""),
            (json!({"$type": "array"}), json!([]), ""),
            (
                json!({"$type": "array"}),
                json!({}),
                "  (root): expected a value of type array, found {}",
            ),
            (json!({"$type": "null"}), json!(null), ""),
            (json!({"$type": ["string", "null"]}), json!(null), ""),
            (json!({"$type": ["string", "null"]}), json!("s"), ""),
            (
                json!({"$type": ["string", "null"]}),
                json!(0),
                "  (root): expected a value of type string or null, found 0",
            ),
            (
                json!({"$type": ["string", "number", "null"]}),
                json!(true),
                "  (root): expected a value of type string, number or null, found true",
            ),
            // $regex: search semantics, strings only.
            (json!({"$regex": "^ord-[0-9]+$"}), json!("ord-42"), ""),
            (json!({"$regex": "ord"}), json!("my-ord-1"), ""),
            (
                json!({"$regex": "^ord-"}),
                json!("x-ord"),
                r#"  (root): expected a string matching /^ord-/, found "x-ord""#,
            ),
            (
                json!({"$regex": "^1$"}),
                json!(1),
                "  (root): expected a string matching /^1$/, found 1",
            ),
            // ranges
            (json!({"$gte": 1, "$lt": 10}), json!(1), ""),
            (json!({"$gte": 1, "$lt": 10}), json!(9.99), ""),
            (
                json!({"$gte": 1, "$lt": 10}),
                json!(10),
                "  (root): expected a number >= 1 and < 10, found 10",
            ),
            (
                json!({"$gte": 1, "$lt": 10}),
                json!(0.5),
                "  (root): expected a number >= 1 and < 10, found 0.5",
            ),
            (
                json!({"$gt": 0}),
                json!(0),
                "  (root): expected a number > 0, found 0",
            ),
            (json!({"$gt": 0}), json!(1e-9), ""),
            (json!({"$lte": 2.5}), json!(2.5), ""),
            (
                json!({"$lte": 2.5}),
                json!(3),
                "  (root): expected a number <= 2.5, found 3",
            ),
            (json!({"$lt": -1}), json!(-2), ""),
            (
                json!({"$gt": 1, "$gte": 1, "$lt": 3, "$lte": 3}),
                json!(2),
                "",
            ),
            (
                json!({"$gte": 1}),
                json!("5"),
                r#"  (root): expected a number >= 1, found "5""#,
            ),
            // $length: items, characters, members.
            (json!({"$length": 3}), json!([1, 2, 3]), ""),
            (json!({"$length": 3}), json!("日本語"), ""),
            (json!({"$length": 2}), json!({"a": 1, "b": 2}), ""),
            (json!({"$length": 0}), json!([]), ""),
            (
                json!({"$length": 3}),
                json!([1]),
                "  (root): expected a value of length 3, found [1] (length 1)",
            ),
            (
                json!({"$length": 3}),
                json!("ab"),
                r#"  (root): expected a value of length 3, found "ab" (length 2)"#,
            ),
            (
                json!({"$length": 3}),
                json!(123),
                "  (root): expected a value of length 3, found 123",
            ),
            // $literal: matcher keys inside are data.
            (
                json!({"$literal": {"$type": "string"}}),
                json!({"$type": "string"}),
                "",
            ),
            (
                json!({"$literal": {"$type": "string"}}),
                json!("x"),
                r#"  (root): expected {"$type":"string"}, found "x" (type differs)"#,
            ),
            (
                json!({"$literal": {"$regex": 5}}),
                json!({"$regex": 5.0}),
                "",
            ),
        ];
        for (expected, actual, want) in cases {
            assert_eq!(
                diff(expected.clone(), actual.clone(), Exact),
                want,
                "{expected} vs {actual}"
            );
        }
    }

    #[test]
    fn subset_and_exact_switch_the_mode_below_them() {
        let cases = [
            // Exact at the top, subset inside.
            (
                json!({"order": {"$subset": {"id": 1}}}),
                json!({"order": {"id": 1, "more": true}}),
                Exact,
                "",
            ),
            (
                json!({"order": {"$subset": {"id": 1}}}),
                json!({"order": {"id": 1}, "more": true}),
                Exact,
                "  /more: unexpected key (found true)",
            ),
            // Subset at the top, exact inside, subset again deeper.
            (
                json!({"a": {"$exact": {"b": 1, "c": {"$subset": {"d": 1}}}}}),
                json!({"a": {"b": 1, "c": {"d": 1, "e": 2}}, "z": 0}),
                Subset,
                "",
            ),
            (
                json!({"a": {"$exact": {"b": 1, "c": {"$subset": {"d": 1}}}}}),
                json!({"a": {"b": 1, "x": 9, "c": {"d": 2, "e": 2}}, "z": 0}),
                Subset,
                "  /a/c/d: expected 1, found 2\n  /a/x: unexpected key (found 9)",
            ),
            // The mode reaches into arrays.
            (
                json!({"$subset": [{"id": 1}, {"id": 2}]}),
                json!([{"id": 1, "n": 0}, {"id": 2, "n": 0}]),
                Exact,
                "",
            ),
            // A $literal value follows the current mode.
            (
                json!({"$subset": {"$literal": {"$type": 1}}}),
                json!({"$type": 1, "x": 2}),
                Exact,
                "",
            ),
        ];
        for (expected, actual, mode, want) in cases {
            assert_eq!(
                diff(expected.clone(), actual.clone(), mode),
                want,
                "{expected} vs {actual}"
            );
        }
    }

    #[test]
    fn pointers_into_the_actual_value_are_escaped() {
        let expected = json!({"a/b": {"c~d": [0, {"e": 1}]}});
        let actual = json!({"a/b": {"c~d": [0, {"e": 2}]}});
        let mismatches = compiled(&expected).check(&actual, Exact);
        assert_eq!(mismatches.len(), 1);
        assert_eq!(mismatches[0].pointer, "/a~1b/c~0d/1/e");
        assert_eq!(mismatches[0].kind, MismatchKind::ValueDiffers);
        assert_eq!(mismatches[0].expected, "1");
        assert_eq!(mismatches[0].found, "2");

        let missing = compiled(&json!({"x/y": 1})).check(&json!({}), Exact);
        assert_eq!(missing[0].pointer, "/x~1y");
        assert_eq!(missing[0].kind, MismatchKind::MissingKey);
        let extra = compiled(&json!({})).check(&json!({"~": 1}), Exact);
        assert_eq!(extra[0].pointer, "/~0");
        assert_eq!(extra[0].kind, MismatchKind::UnexpectedKey);
    }

    #[test]
    fn kinds_and_short_renderings() {
        let expected = json!({
            "s": "x", "n": {"$type": "string"}, "arr": [1, 2], "big": "y", "gone": 1
        });
        let actual = json!({
            "s": 1, "n": 2, "arr": [1], "big": "z".repeat(200), "new": null
        });
        let kinds: Vec<(String, MismatchKind)> = compiled(&expected)
            .check(&actual, Exact)
            .into_iter()
            .map(|m| {
                assert!(m.found.chars().count() <= 80, "{}", m.found);
                (m.pointer, m.kind)
            })
            .collect();
        assert_eq!(
            kinds,
            [
                ("/s".to_string(), MismatchKind::TypeDiffers),
                ("/n".to_string(), MismatchKind::MatcherFailed),
                ("/arr".to_string(), MismatchKind::LengthDiffers),
                ("/big".to_string(), MismatchKind::ValueDiffers),
                ("/gone".to_string(), MismatchKind::MissingKey),
                ("/new".to_string(), MismatchKind::UnexpectedKey),
            ]
        );
    }

    #[test]
    fn describe_names_the_expectation() {
        let cases = [
            (json!({"$any": true}), "any value"),
            (json!({"$regex": "^ord-"}), "a string matching /^ord-/"),
            (json!({"$gte": 1, "$lt": 10}), "a number >= 1 and < 10"),
            (
                json!({"$type": ["string", "null"]}),
                "a value of type string or null",
            ),
            (json!({"$length": 2}), "a value of length 2"),
            (json!({"$subset": {"a": 1}}), r#"{"a":1}"#),
            (json!({"a": {"$regex": "x"}}), r#"{"a":{"$regex":"x"}}"#),
            (json!([1, "two"]), r#"[1,"two"]"#),
        ];
        for (expected, want) in cases {
            assert_eq!(compiled(&expected).describe(), want);
        }
    }

    /// Every compile error of `value` (compiled at `/cases/0/expect/output`), as pointer and
    /// message.
    fn errors(value: Value) -> Vec<(String, String)> {
        match Matcher::compile(&value, "/cases/0/expect/output") {
            Ok(_) => panic!("{value} compiled"),
            Err(errors) => errors.into_iter().map(|e| (e.pointer, e.message)).collect(),
        }
    }

    #[test]
    fn compile_errors_are_located_and_say_what_was_expected() {
        let at = "/cases/0/expect/output";
        let cases: Vec<(Value, &str, &str)> = vec![
            (
                json!({"id": {"$regex": "^ord-("}}),
                "/id/$regex",
                "`$regex` expects a valid regular expression, found \"^ord-(\": unclosed group",
            ),
            (
                json!({"$regex": 5}),
                "/$regex",
                "`$regex` expects a string, found 5",
            ),
            (
                json!({"$type": "strng"}),
                "/$type",
                "unknown type `strng` in `$type` (did you mean `string`?); expected one of string, number, integer, boolean, object, array, null",
            ),
            (
                json!({"$type": ["string", "nul"]}),
                "/$type/1",
                "unknown type `nul` in `$type` (did you mean `null`?); expected one of string, number, integer, boolean, object, array, null",
            ),
            (
                json!({"$type": [1]}),
                "/$type/0",
                "`$type` expects a type name, found 1",
            ),
            (
                json!({"$type": []}),
                "/$type",
                "`$type` expects a type name or a non-empty list of them, found []",
            ),
            (
                json!({"$gte": "1"}),
                "/$gte",
                "`$gte` expects a number, found \"1\"",
            ),
            (
                json!({"$lt": null}),
                "/$lt",
                "`$lt` expects a number, found null",
            ),
            (
                json!({"$length": -1}),
                "/$length",
                "`$length` expects a non-negative integer, found -1",
            ),
            (
                json!({"$length": 1.5}),
                "/$length",
                "`$length` expects a non-negative integer, found 1.5",
            ),
            (
                json!({"$length": "3"}),
                "/$length",
                "`$length` expects a non-negative integer, found \"3\"",
            ),
            (
                json!({"$any": false}),
                "/$any",
                "`$any` expects true, found false",
            ),
            (
                json!({"id": 1, "$type": "string"}),
                "/$type",
                "matcher `$type` cannot share its object with ordinary keys (`id`); expected only matcher keys or only ordinary keys; to match a key that starts with `$` literally, write {\"$literal\": ...} around the object",
            ),
            (
                json!({"$type": "string", "$regex": "x"}),
                "/$regex",
                "matcher `$regex` does not combine with `$type`; expected one matcher per object (only `$gt`, `$gte`, `$lt` and `$lte` combine)",
            ),
            (
                json!({"$gt": 1, "$length": 2}),
                "/$length",
                "matcher `$length` does not combine with `$gt`; expected one matcher per object (only `$gt`, `$gte`, `$lt` and `$lte` combine)",
            ),
            (
                json!({"a": [{"$tpye": "string"}]}),
                "/a/0/$tpye",
                "unknown matcher `$tpye` (did you mean `$type`?); expected one of `$any`, `$type`, `$regex`, `$gt`, `$gte`, `$lt`, `$lte`, `$length`, `$subset`, `$exact`, `$literal`; to match a key that starts with `$` literally, write {\"$literal\": ...} around the object",
            ),
            (
                json!({"$schema": "x"}),
                "/$schema",
                "unknown matcher `$schema`; expected one of `$any`, `$type`, `$regex`, `$gt`, `$gte`, `$lt`, `$lte`, `$length`, `$subset`, `$exact`, `$literal`; to match a key that starts with `$` literally, write {\"$literal\": ...} around the object",
            ),
            (
                json!({"$subset": {"x": {"$regex": "("}}}),
                "/$subset/x/$regex",
                "`$regex` expects a valid regular expression, found \"(\": unclosed group",
            ),
            (
                json!({"a~b/c": {"$type": "nope"}}),
                "/a~0b~1c/$type",
                "unknown type `nope` in `$type`; expected one of string, number, integer, boolean, object, array, null",
            ),
        ];
        for (value, pointer, message) in cases {
            let found = errors(value.clone());
            assert_eq!(
                found,
                [(format!("{at}{pointer}"), message.to_string())],
                "{value}"
            );
        }
    }

    #[test]
    fn every_compile_error_is_collected() {
        let found = errors(json!({
            "a": {"$regex": "("},
            "b": [{"$type": "x"}, {"$gte": "1", "$lt": "2"}],
            "c": {"$tpye": "string", "$length": -1},
            "d": {"$exact": {"$any": 1}},
        }));
        let pointers: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/cases/0/expect/output/a/$regex",
                "/cases/0/expect/output/b/0/$type",
                "/cases/0/expect/output/b/1/$gte",
                "/cases/0/expect/output/b/1/$lt",
                "/cases/0/expect/output/c/$tpye",
                "/cases/0/expect/output/c/$length",
                "/cases/0/expect/output/d/$exact/$any",
            ]
        );
        // Each error also displays with its pointer.
        let err = MatcherError {
            pointer: "/x".into(),
            message: "m".into(),
        };
        assert_eq!(err.to_string(), "/x: m");
    }

    #[test]
    fn ordinary_and_unknown_dollar_keys_together_are_plain_data() {
        // Only known matcher keys make an object a matcher; `$schema` beside ordinary keys is data.
        let m = compiled(&json!({"$schema": "s", "name": "n"}));
        assert!(m.matches(&json!({"$schema": "s", "name": "n"}), Exact));
        assert!(!m.matches(&json!({"name": "n"}), Subset));
    }
}
