//! YAML text -> JSON value, with the line and column of every member, and the duplicate keys.
//!
//! Built on `saphyr-parser`'s event stream (a YAML 1.2 parser that marks every event with its
//! span) so that diagnostics found on the JSON value can be shown at their place in the YAML
//! file. Scalars follow the YAML 1.2 core schema. CloudFormation's short-form tags (`!Sub`,
//! `!Ref`, `!GetAtt`, `!Join`, ...) become their long form (`{"Fn::Sub": ...}`), so a template
//! written either way reads the same. Aliases are expanded with two budgets — values (nodes)
//! and bytes: together the copies may add at most [`MAX_DEFINITION_BYTES`] (AWS's limit on a
//! whole definition) as JSON text — and nesting is bounded, so a hostile file (a 1 MiB anchor
//! aliased 20,000 times, a billion laughs) ends with an error at the alias that crosses the
//! line instead of exhausting memory or the stack.

use super::Position;
use super::cfn::MAX_DEFINITION_BYTES;
use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use serde_json::{Map, Number, Value};
use std::collections::HashMap;

/// How deep collections may nest.
pub const MAX_DEPTH: usize = 128;
/// How many values alias expansion may add in total.
const MAX_ALIAS_NODES: usize = 1_000_000;

/// A parsed YAML document.
#[derive(Debug, Default)]
pub struct YamlDoc {
    pub value: Value,
    /// JSON pointer -> position of the member's key (or of an array item's value).
    pub positions: HashMap<String, Position>,
    /// Each key written twice in one mapping.
    pub duplicates: Vec<super::duplicates::Duplicate>,
}

/// Why a YAML text could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub position: Position,
    pub message: String,
    /// The text is well-formed, but its aliases expand past [`MAX_DEFINITION_BYTES`].
    pub too_large: bool,
}

enum Frame {
    Seq {
        items: Vec<Value>,
        ptr: String,
        anchor: usize,
    },
    Map {
        map: Map<String, Value>,
        ptr: String,
        anchor: usize,
        key: Option<String>,
    },
}

struct Builder {
    stack: Vec<Frame>,
    /// Anchor id -> its value, how many nodes and how many bytes of JSON it is.
    anchors: HashMap<usize, (Value, Weight)>,
    doc: YamlDoc,
    root: Option<Value>,
    alias_budget: usize,
    /// How many bytes (as JSON text) alias copies may still add.
    alias_bytes: usize,
    /// A pending CloudFormation short-form tag per open collection (depth -> function name).
    tags: Vec<Option<String>>,
}

fn pos(span: &Span) -> Position {
    Position {
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// A value's size: its nodes, and its length as compact JSON text (strings counted without
/// escapes, numbers as written: close enough to bound a copy).
#[derive(Debug, Clone, Copy, Default)]
struct Weight {
    nodes: usize,
    bytes: usize,
}

fn weigh(v: &Value) -> Weight {
    let add = |a: Weight, b: Weight| Weight {
        nodes: a.nodes.saturating_add(b.nodes),
        bytes: a.bytes.saturating_add(b.bytes),
    };
    match v {
        Value::Null | Value::Bool(true) => Weight { nodes: 1, bytes: 4 },
        Value::Bool(false) => Weight { nodes: 1, bytes: 5 },
        Value::Number(n) => Weight {
            nodes: 1,
            bytes: n.to_string().len(),
        },
        Value::String(s) => Weight {
            nodes: 1,
            bytes: s.len() + 2,
        },
        Value::Array(a) => a.iter().map(weigh).fold(
            Weight {
                nodes: 1,
                bytes: 2 + a.len().saturating_sub(1),
            },
            add,
        ),
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| {
                let w = weigh(v);
                Weight {
                    nodes: w.nodes,
                    bytes: w.bytes.saturating_add(k.len() + 3),
                }
            })
            .fold(
                Weight {
                    nodes: 1,
                    bytes: 2 + m.len().saturating_sub(1),
                },
                add,
            ),
    }
}

/// The long-form function a CloudFormation short-form tag stands for.
fn cfn_function(tag: &Tag) -> Option<String> {
    if tag.handle != "!" {
        return None;
    }
    let name = tag.suffix.as_str();
    Some(match name {
        "Ref" | "Condition" => name.to_string(),
        _ => format!("Fn::{name}"),
    })
}

fn wrap(function: Option<String>, v: Value) -> Value {
    match function {
        None => v,
        Some(f) => {
            let v = match (f.as_str(), v) {
                ("Fn::GetAtt", Value::String(s)) => match s.split_once('.') {
                    Some((a, b)) => Value::Array(vec![a.into(), b.into()]),
                    None => Value::String(s),
                },
                (_, v) => v,
            };
            let mut m = Map::new();
            m.insert(f, v);
            Value::Object(m)
        }
    }
}

/// A plain scalar read with the YAML 1.2 core schema.
fn plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let first = s.as_bytes()[0];
    if first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.') {
        if let Ok(i) = s.parse::<i64>() {
            return Value::Number(i.into());
        }
        if let Ok(u) = s.parse::<u64>() {
            return Value::Number(u.into());
        }
        if let Some(h) = s.strip_prefix("0x")
            && let Ok(i) = i64::from_str_radix(h, 16)
        {
            return Value::Number(i.into());
        }
        if let Some(o) = s.strip_prefix("0o")
            && let Ok(i) = i64::from_str_radix(o, 8)
        {
            return Value::Number(i.into());
        }
        let looks_float = s
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'));
        if looks_float
            && let Ok(f) = s.parse::<f64>()
            && let Some(n) = Number::from_f64(f)
        {
            return Value::Number(n);
        }
    }
    Value::String(s.to_string())
}

impl Builder {
    fn child_ptr(&self) -> String {
        match self.stack.last() {
            None => String::new(),
            Some(Frame::Seq { items, ptr, .. }) => format!("{ptr}/{}", items.len()),
            Some(Frame::Map { ptr, key, .. }) => match key {
                Some(k) => format!("{ptr}/{}", escape(k)),
                None => ptr.clone(),
            },
        }
    }

    /// Adds a finished value to the open collection (or makes it the document).
    fn push(&mut self, v: Value, span: &Span) {
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(v);
                }
            }
            Some(Frame::Seq { items, ptr, .. }) => {
                self.doc
                    .positions
                    .insert(format!("{ptr}/{}", items.len()), pos(span));
                items.push(v);
            }
            Some(Frame::Map { map, ptr, key, .. }) => match key.take() {
                None => {
                    let k = match v {
                        Value::String(s) => s,
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    let p = format!("{ptr}/{}", escape(&k));
                    if map.contains_key(&k) {
                        self.doc.duplicates.push(super::duplicates::Duplicate {
                            object: ptr.clone(),
                            key: k.clone(),
                            position: Some(pos(span)),
                        });
                    } else {
                        self.doc.positions.insert(p, pos(span));
                    }
                    *key = Some(k);
                }
                Some(k) => {
                    map.insert(k, v);
                }
            },
        }
    }

    fn in_key_position(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }

    fn event(&mut self, ev: Event, span: Span) -> Result<(), YamlError> {
        let err = |m: &str| YamlError {
            position: pos(&span),
            message: m.to_string(),
            too_large: false,
        };
        let is_seq = matches!(ev, Event::SequenceStart(..));
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let function = tag.as_deref().and_then(cfn_function);
                let v = if self.in_key_position()
                    || style != ScalarStyle::Plain
                    || tag.as_deref().is_some_and(|t| t.suffix == "str")
                {
                    Value::String(text.to_string())
                } else {
                    plain(&text)
                };
                let v = wrap(function, v);
                if anchor > 0 {
                    self.anchors.insert(anchor, (v.clone(), weigh(&v)));
                }
                self.push(v, &span);
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                if self.stack.len() >= MAX_DEPTH {
                    return Err(err(&format!(
                        "the document nests deeper than {MAX_DEPTH} levels"
                    )));
                }
                if self.in_key_position() {
                    return Err(err("a mapping key must be a scalar"));
                }
                let ptr = self.child_ptr();
                self.tags.push(tag.as_deref().and_then(cfn_function));
                self.stack.push(if is_seq {
                    Frame::Seq {
                        items: Vec::new(),
                        ptr,
                        anchor,
                    }
                } else {
                    Frame::Map {
                        map: Map::new(),
                        ptr,
                        anchor,
                        key: None,
                    }
                });
                // The collection's own position is recorded when it is pushed to its parent,
                // but the start of the collection is a better place for its members' parent.
                let p = self.child_ptr_of_top();
                self.doc.positions.entry(p).or_insert(pos(&span));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Err(err("unbalanced collection"));
                };
                let function = self.tags.pop().flatten();
                let (v, anchor) = match frame {
                    Frame::Seq { items, anchor, .. } => (Value::Array(items), anchor),
                    Frame::Map { map, anchor, .. } => (Value::Object(map), anchor),
                };
                let v = wrap(function, v);
                if anchor > 0 {
                    self.anchors.insert(anchor, (v.clone(), weigh(&v)));
                }
                self.push_keep_position(v, &span);
            }
            Event::Alias(id) => {
                let Some((v, w)) = self.anchors.get(&id) else {
                    return Err(err("an alias refers to an unknown anchor"));
                };
                if w.nodes > self.alias_budget {
                    return Err(err(
                        "aliases expand to too many values (is this a YAML bomb?)",
                    ));
                }
                if w.bytes > self.alias_bytes {
                    return Err(YamlError {
                        too_large: true,
                        ..err(&format!(
                            "this alias would copy {} bytes, more than the {} left: aliases may add at most {MAX_DEFINITION_BYTES} bytes to a document, the size of the largest definition AWS accepts",
                            w.bytes, self.alias_bytes
                        ))
                    });
                }
                self.alias_budget -= w.nodes;
                self.alias_bytes -= w.bytes;
                let v = v.clone();
                self.push(v, &span);
            }
            Event::DocumentStart(_) if self.root.is_some() => {
                return Err(err("the file holds more than one YAML document"));
            }
            _ => {}
        }
        Ok(())
    }

    fn child_ptr_of_top(&self) -> String {
        match self.stack.last() {
            Some(Frame::Seq { ptr, .. }) | Some(Frame::Map { ptr, .. }) => ptr.clone(),
            None => String::new(),
        }
    }

    /// Pushes a closed collection without overwriting the position recorded at its start.
    fn push_keep_position(&mut self, v: Value, span: &Span) {
        let p = self.child_ptr();
        let kept = self.doc.positions.get(&p).copied();
        self.push(v, span);
        if let Some(k) = kept {
            self.doc.positions.insert(p, k);
        }
    }
}

/// Parses one YAML document. A text that fails on indentation inside a flow collection
/// spread over lines, which CloudFormation accepts, is read as CloudFormation reads it
/// (`flow_indent`).
pub fn parse(text: &str) -> Result<YamlDoc, YamlError> {
    match parse_strict(text) {
        Err(e) if e.message.contains("indentation") => {
            match super::flow_indent::relax(text).map(|t| parse_strict(&t)) {
                Some(Ok(doc)) => Ok(doc),
                _ => Err(e),
            }
        }
        other => other,
    }
}

fn parse_strict(text: &str) -> Result<YamlDoc, YamlError> {
    let mut b = Builder {
        stack: Vec::new(),
        anchors: HashMap::new(),
        doc: YamlDoc::default(),
        root: None,
        alias_budget: MAX_ALIAS_NODES,
        alias_bytes: MAX_DEFINITION_BYTES,
        tags: Vec::new(),
    };
    for item in Parser::new_from_str(text) {
        let (ev, span) = item.map_err(|e| YamlError {
            position: Position {
                line: e.marker().line(),
                column: e.marker().col() + 1,
            },
            message: e.info().to_string(),
            too_large: false,
        })?;
        b.event(ev, span)?;
    }
    b.doc.value = b.root.take().unwrap_or(Value::Null);
    b.doc
        .positions
        .insert(String::new(), Position { line: 1, column: 1 });
    Ok(b.doc)
}

/// Where the value at `pointer` is written: its byte range in `text` (a scalar with its
/// quotes, an anchor or tag before it included; a flow collection from its bracket to its
/// bracket; a block collection from its first to its last character), and whether it sits
/// inside a flow collection. `None` when the pointer names no node written at its own place
/// (one reached through an alias, or missing), or a block scalar (`|`, `>`), or the text does
/// not parse. An empty value (`key:` and nothing) is the empty range right after its colon.
pub fn value_span(text: &str, pointer: &str) -> Option<(usize, usize, bool)> {
    enum Open {
        Seq { next: usize },
        Map { key: Option<String> },
    }
    struct Level {
        open: Open,
        /// The JSON pointer of this collection.
        ptr: String,
        flow: bool,
    }
    let mut stack: Vec<Level> = Vec::new();
    // The target collection being read: its start and the end of its last content so far.
    let mut target: Option<(usize, usize, usize, bool)> = None; // (depth, start, last_end, flow)
    let mut last_end = 0usize;
    let byte = |chars: usize| -> Option<usize> {
        if chars == 0 {
            return Some(0);
        }
        text.char_indices()
            .nth(chars)
            .map(|(b, _)| b)
            .or_else(|| (text.chars().count() == chars).then_some(text.len()))
    };
    let in_flow = |stack: &[Level]| stack.last().is_some_and(|l| l.flow);
    for item in Parser::new_from_str(text) {
        let (ev, span) = item.ok()?;
        // The pointer of the node this event starts, when it starts a node.
        let starts_node = matches!(
            ev,
            Event::Scalar(..)
                | Event::SequenceStart(..)
                | Event::MappingStart(..)
                | Event::Alias(_)
        );
        let mut here = None;
        if starts_node {
            match stack.last_mut() {
                None => here = Some(String::new()),
                Some(level) => match &mut level.open {
                    Open::Seq { next } => {
                        here = Some(format!("{}/{next}", level.ptr));
                        *next += 1;
                    }
                    Open::Map { key } => match key.take() {
                        Some(k) => here = Some(format!("{}/{}", level.ptr, escape(&k))),
                        None => {
                            // A key: read it, it starts no value.
                            if let Event::Scalar(k, ..) = &ev {
                                *key = Some(k.to_string());
                            } else {
                                return None;
                            }
                        }
                    },
                },
            }
        }
        let is_target = here.as_deref() == Some(pointer);
        match ev {
            Event::Scalar(_, style, ..) => {
                if is_target {
                    if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                        return None;
                    }
                    let (mut a, mut b) = (byte(span.start.index())?, byte(span.end.index())?);
                    if a == b {
                        // An empty value sits at its key's colon: write after the colon.
                        let colon = text[a..].find(':').map(|i| a + i + 1)?;
                        a = colon;
                        b = colon;
                    }
                    return Some((a, b, in_flow(&stack)));
                }
                last_end = span.end.index();
            }
            Event::Alias(_) => {
                if is_target {
                    return None;
                }
                last_end = span.end.index();
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                let flow = span.end.index() > span.start.index();
                if is_target {
                    target = Some((stack.len(), span.start.index(), span.start.index(), flow));
                }
                let ptr = here.unwrap_or_default();
                let open = if matches!(ev, Event::SequenceStart(..)) {
                    Open::Seq { next: 0 }
                } else {
                    Open::Map { key: None }
                };
                stack.push(Level { open, ptr, flow });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let level = stack.pop()?;
                // A flow collection ends at its bracket (the span may run on over a comment).
                let end = if level.flow {
                    span.start.index() + 1
                } else {
                    last_end
                };
                last_end = end;
                if let Some((depth, start, _, _)) = target
                    && depth == stack.len()
                {
                    return Some((byte(start)?, byte(end)?, in_flow(&stack)));
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_values_and_positions() {
        let d = parse("StartAt: A\nStates:\n  A:\n    Type: Pass\n    End: true\n    N: 1.5\n")
            .unwrap();
        assert_eq!(
            d.value,
            json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "N": 1.5}}})
        );
        assert_eq!(
            d.positions["/States/A/End"],
            Position { line: 5, column: 5 }
        );
        assert_eq!(d.positions["/States"], Position { line: 2, column: 1 });
    }

    #[test]
    fn reads_flow_collections_closed_left_of_their_key_as_cloudformation_does() {
        let text = "Props:\n  Subs: {\n    \"Fn\": \"arn\"\n}\n  Next: [a,\nb]\n";
        let d = parse(text).expect("CloudFormation reads it");
        assert_eq!(
            d.value,
            json!({"Props": {"Subs": {"Fn": "arn"}, "Next": ["a", "b"]}})
        );
        assert_eq!(d.positions["/Props/Next"], Position { line: 5, column: 3 });
        // Other indentation errors stay errors.
        assert!(parse("a:\n  b: 1\n c: 2\n").is_err());
    }

    #[test]
    fn reports_duplicate_keys() {
        let d = parse("States:\n  A: 1\n  A: 2\n").unwrap();
        assert_eq!(d.duplicates[0].object, "/States");
        assert_eq!(d.duplicates[0].key, "A");
        assert_eq!(
            d.duplicates[0].position,
            Some(Position { line: 3, column: 3 })
        );
    }

    #[test]
    fn expands_cloudformation_short_forms() {
        let d = parse("a: !Sub '${X}'\nb: !GetAtt R.Arn\nc: !Join ['', [x, y]]\n").unwrap();
        assert_eq!(
            d.value,
            json!({"a": {"Fn::Sub": "${X}"}, "b": {"Fn::GetAtt": ["R", "Arn"]}, "c": {"Fn::Join": ["", ["x", "y"]]}})
        );
    }

    #[test]
    fn refuses_alias_bombs_and_deep_nesting() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..10 {
            let prev = if i == 0 {
                "a".to_string()
            } else {
                format!("b{}", i - 1)
            };
            bomb.push_str(&format!("b{i}: &b{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        assert!(parse(&bomb).is_err());
        let deep = "[".repeat(1000);
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn finds_where_a_value_is_written() {
        let text = "cases:\n  - {name: a, snapshot: true, input: {x: 1}}  # c\n  - name: b\n    snapshot:   # keep\n      output: 1\n      path: [A, 'B']\n    input: x\n  - name: é\n    snapshot: {output: 1,\n       path: []}  # z\n    e:\n    s: 'q'\n";
        let at = |p: &str| value_span(text, p).map(|(a, b, flow)| (&text[a..b], flow));
        assert_eq!(at("/cases/0/snapshot"), Some(("true", true)));
        assert_eq!(at("/cases/0/input"), Some(("{x: 1}", true)));
        assert_eq!(
            at("/cases/1/snapshot"),
            Some(("output: 1\n      path: [A, 'B']", false))
        );
        assert_eq!(
            at("/cases/2/snapshot"),
            Some(("{output: 1,\n       path: []}", false))
        );
        assert_eq!(at("/cases/2/s"), Some(("'q'", false)));
        let (a, b, _) = value_span(text, "/cases/2/e").expect("an empty value");
        assert_eq!((a, b), (text.find("e:\n").map(|i| i + 2).unwrap_or(0), a));
        assert_eq!(at("/cases/9"), None);
        assert_eq!(value_span("a: &x 1\nb: *x\n", "/b"), None, "an alias");
        assert_eq!(value_span("a: |\n  x\n", "/a"), None, "a block scalar");
    }

    #[test]
    fn alias_copies_are_bounded_by_bytes_not_only_nodes() {
        // Pins: one anchor of 600 KiB aliased twice is a handful of nodes but passes the
        // 1,048,576 bytes aliases may add; refused at the second alias, marked too large.
        let big = "x".repeat(600 * 1024);
        let text = format!("a: &a {big}\nb: *a\nc: *a\n");
        let e = parse(&text).expect_err("two copies of 600 KiB are too many");
        assert!(e.too_large, "{e:?}");
        assert_eq!(e.position, Position { line: 3, column: 4 });
        assert!(e.message.contains("1048576"), "{}", e.message);
        // One copy fits.
        let text = format!("a: &a {big}\nb: *a\n");
        assert!(parse(&text).is_ok());
    }
}
