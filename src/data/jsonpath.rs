//! JSONPath as Step Functions reads it: Jayway's dialect, compiled once at load.
//!
//! A path starts at one of three roots: `$` (the state's input), `$$` (the context object) or
//! `$name` (a variable). A *definite* path (only names and indexes) selects one value; an
//! *indefinite* one (wildcards, `..`, slices, unions, filters) selects a list, returned as an
//! array — the shape depends on the path, never on how many nodes matched.
//!
//! Misses are values (`PathMiss`) carrying Jayway's wording (`No results for path: $['a']`,
//! `Missing property in path $['a']`), which AWS quotes in its `States.Runtime` causes.

use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// Where a path starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Root {
    Input,
    Context,
    Variable(String),
}

/// A compiled path.
#[derive(Debug, Clone)]
pub struct Path {
    text: String,
    root: Root,
    segments: Vec<Segment>,
    definite: bool,
    /// Why Jayway cannot compile this path, for the forms AWS accepts in a definition but
    /// Jayway refuses when the path is used (a script index `[(@.length-1)]`, a filter
    /// comparing to an unquoted word): reading it fails at run time with this message.
    unsupported: Option<String>,
    /// A filter compares with a path from the root (`[?(@.id == $.wanted)]`), so the path
    /// must be evaluated against the whole root document.
    reads_root: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Name(String),
    Index(i64),
    Wildcard,
    /// `..` followed by a selector applied at every depth.
    Descendant(Box<Segment>),
    Union(Vec<Segment>),
    Slice(Option<i64>, Option<i64>, i64),
    Filter(Box<Filter>),
}

/// Why a path selected nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathMiss {
    pub kind: MissKind,
    /// The normalised path up to the failing step, Jayway style: `$['a']['b']`.
    pub at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissKind {
    /// The last step found nothing.
    NoResults,
    /// A step before the last found nothing.
    MissingProperty,
}

impl fmt::Display for PathMiss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            MissKind::NoResults => write!(f, "No results for path: {}", self.at),
            MissKind::MissingProperty => write!(f, "Missing property in path {}", self.at),
        }
    }
}

/// A syntax error in a path, with the byte offset where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathSyntaxError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for PathSyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at character {})", self.message, self.offset + 1)
    }
}

impl Path {
    /// Compiles a path. Accepts `$`, `$$` and `$name` roots. Trailing whitespace is ignored,
    /// as Jayway trims a path before compiling it.
    pub fn parse(text: &str) -> Result<Path, PathSyntaxError> {
        let mut p = Parser::new(text.trim_end());
        let root = p.root()?;
        let mut segments = Vec::new();
        while !p.at_end() {
            segments.push(p.segment()?);
        }
        let definite = segments
            .iter()
            .all(|s| matches!(s, Segment::Name(_) | Segment::Index(_)));
        Ok(Path {
            text: text.to_string(),
            root,
            segments,
            definite,
            unsupported: p.unsupported,
            reads_root: p.reads_root,
        })
    }

    /// Jayway's reason for refusing this path when it is read, for a path AWS accepts in a
    /// definition all the same; `None` for a path that can be read.
    pub fn unsupported(&self) -> Option<&str> {
        self.unsupported.as_deref()
    }

    /// Whether a filter of the path reads from the root document (`$.x` inside `[?(...)]`).
    pub fn reads_root(&self) -> bool {
        self.reads_root
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn root(&self) -> &Root {
        &self.root
    }

    /// Whether the path selects a single node (names and indexes only).
    pub fn is_definite(&self) -> bool {
        self.definite
    }

    /// Whether the path is the bare root (`$`, `$$`, `$name`).
    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// Whether this path is a reference path: definite, names and indexes only.
    pub fn is_reference(&self) -> bool {
        self.definite
    }

    /// The names and indexes of a definite path, for writers that create missing nodes
    /// (`None` for an indefinite path).
    pub fn steps(&self) -> Option<impl Iterator<Item = Step<'_>> + '_> {
        self.definite.then(|| {
            self.segments.iter().filter_map(|s| match s {
                Segment::Name(n) => Some(Step::Name(n)),
                Segment::Index(i) => Some(Step::Index(*i)),
                _ => None,
            })
        })
    }

    /// The number of steps after the root.
    pub fn len(&self) -> usize {
        self.segments.len()
    }

    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// The name of the first step, if the path starts with one (`$$.Execution...`).
    pub fn first_name(&self) -> Option<&str> {
        match self.segments.first() {
            Some(Segment::Name(n)) => Some(n),
            _ => None,
        }
    }

    /// Selects from `doc` (the value of the root). Definite paths give the node itself;
    /// indefinite paths give an array of the matches (possibly empty).
    pub fn select<'a>(&self, doc: &'a Value) -> Result<Cow<'a, Value>, PathMiss> {
        self.select_from(doc, 0)
    }

    /// The name of step `i`, if that step is a name.
    pub fn name_at(&self, i: usize) -> Option<&str> {
        match self.segments.get(i) {
            Some(Segment::Name(n)) => Some(n),
            _ => None,
        }
    }

    /// Selects from `doc`, the value the first `skip` steps already led to.
    pub fn select_after<'a>(
        &self,
        doc: &'a Value,
        skip: usize,
    ) -> Result<Cow<'a, Value>, PathMiss> {
        self.select_from(doc, skip.min(self.segments.len()))
    }

    /// Selects from `doc`, the value the first step already led to.
    pub fn select_after_first<'a>(&self, doc: &'a Value) -> Result<Cow<'a, Value>, PathMiss> {
        self.select_from(doc, 1.min(self.segments.len()))
    }

    fn select_from<'a>(&self, doc: &'a Value, skip: usize) -> Result<Cow<'a, Value>, PathMiss> {
        if self.definite {
            return self.select_definite(doc, skip).map(Cow::Borrowed);
        }
        let mut nodes: Vec<&'a Value> = vec![doc];
        for seg in &self.segments[skip..] {
            let mut next = Vec::new();
            for n in nodes {
                apply(seg, n, doc, &mut next);
            }
            nodes = next;
        }
        Ok(Cow::Owned(Value::Array(
            nodes.into_iter().cloned().collect(),
        )))
    }

    fn select_definite<'a>(&self, doc: &'a Value, skip: usize) -> Result<&'a Value, PathMiss> {
        let mut cur = doc;
        for (i, seg) in self.segments.iter().enumerate().skip(skip) {
            let found = match seg {
                Segment::Name(n) => cur.as_object().and_then(|m| member(m, n)),
                Segment::Index(ix) => cur.as_array().and_then(|a| index(a, *ix)),
                _ => None,
            };
            match found {
                Some(v) => cur = v,
                None => {
                    let last = i + 1 == self.segments.len();
                    return Err(PathMiss {
                        kind: if last {
                            MissKind::NoResults
                        } else {
                            MissKind::MissingProperty
                        },
                        at: normalised(&self.segments[..=i]),
                    });
                }
            }
        }
        Ok(cur)
    }
}

/// One step of a reference path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    Name(&'a str),
    Index(i64),
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn index(a: &[Value], ix: i64) -> Option<&Value> {
    let i = if ix < 0 { a.len() as i64 + ix } else { ix };
    if i < 0 { None } else { a.get(i as usize) }
}

fn normalised(segments: &[Segment]) -> String {
    let mut s = String::from("$");
    for seg in segments {
        match seg {
            Segment::Name(n) => {
                s.push_str("['");
                s.push_str(n);
                s.push_str("']");
            }
            Segment::Index(i) => s.push_str(&format!("[{i}]")),
            _ => s.push_str("[*]"),
        }
    }
    s
}

/// Applies one step to `node`; `root` is the document the path started from, which a filter
/// may compare with (`$.x`).
fn apply<'a>(seg: &Segment, node: &'a Value, root: &Value, out: &mut Vec<&'a Value>) {
    match seg {
        Segment::Name(n) => {
            if let Some(v) = node.as_object().and_then(|m| member(m, n)) {
                out.push(v);
            }
        }
        Segment::Index(i) => {
            if let Some(v) = node.as_array().and_then(|a| index(a, *i)) {
                out.push(v);
            }
        }
        Segment::Wildcard => match node {
            Value::Array(a) => out.extend(a.iter()),
            Value::Object(m) => out.extend(m.values()),
            _ => {}
        },
        Segment::Descendant(inner) => descend(inner, node, root, out),
        Segment::Union(parts) => {
            for p in parts {
                apply(p, node, root, out);
            }
        }
        Segment::Slice(start, end, step) => {
            if let Value::Array(a) = node {
                slice(a, *start, *end, *step, out);
            }
        }
        Segment::Filter(f) => match node {
            Value::Array(a) => out.extend(a.iter().filter(|e| f.test(e, root))),
            Value::Object(_) if f.test(node, root) => out.push(node),
            _ => {}
        },
    }
}

fn descend<'a>(inner: &Segment, node: &'a Value, root: &Value, out: &mut Vec<&'a Value>) {
    apply(inner, node, root, out);
    match node {
        Value::Array(a) => a.iter().for_each(|v| descend(inner, v, root, out)),
        Value::Object(m) => m.values().for_each(|v| descend(inner, v, root, out)),
        _ => {}
    }
}

fn slice<'a>(
    a: &'a [Value],
    start: Option<i64>,
    end: Option<i64>,
    step: i64,
    out: &mut Vec<&'a Value>,
) {
    let len = a.len() as i64;
    let norm = |i: i64| if i < 0 { (len + i).max(0) } else { i.min(len) };
    if step > 0 {
        let s = start.map(norm).unwrap_or(0);
        let e = end.map(norm).unwrap_or(len);
        let mut i = s;
        while i < e {
            out.push(&a[i as usize]);
            i += step;
        }
    } else if step < 0 {
        let s = start.map(|i| norm(i).min(len - 1)).unwrap_or(len - 1);
        let e = end.map(norm).unwrap_or(-1);
        let mut i = s;
        while i > e && i >= 0 {
            out.push(&a[i as usize]);
            i += step;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Filters: `[?(@.x > 1 && @.y == 'a')]`
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Filter {
    Or(Vec<Filter>),
    And(Vec<Filter>),
    Not(Box<Filter>),
    Exists(Operand),
    Compare(Operand, CmpOp, Operand),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Regex,
    In,
    Nin,
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    /// `@...`: relative to the node under test.
    Current(Vec<Segment>),
    /// `$...`: from the root document.
    Root(Vec<Segment>),
    Literal(Value),
    Regex(RegexLit),
}

#[derive(Debug, Clone)]
struct RegexLit(regex::Regex);

impl PartialEq for RegexLit {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl Filter {
    fn test(&self, node: &Value, root: &Value) -> bool {
        match self {
            Filter::Or(fs) => fs.iter().any(|f| f.test(node, root)),
            Filter::And(fs) => fs.iter().all(|f| f.test(node, root)),
            Filter::Not(f) => !f.test(node, root),
            Filter::Exists(op) => match op {
                Operand::Current(_) | Operand::Root(_) => op.resolve(node, root).is_some(),
                Operand::Literal(v) => !matches!(v, Value::Null | Value::Bool(false)),
                Operand::Regex(_) => true,
            },
            Filter::Compare(l, op, r) => {
                if let (CmpOp::Regex, Operand::Regex(re)) = (op, r) {
                    return matches!(l.resolve(node, root).as_deref(), Some(Value::String(s)) if re.0.is_match(s));
                }
                let (Some(a), Some(b)) = (l.resolve(node, root), r.resolve(node, root)) else {
                    return matches!(op, CmpOp::Ne);
                };
                compare(&a, *op, &b)
            }
        }
    }
}

impl Operand {
    fn resolve<'a>(&'a self, node: &'a Value, root: &'a Value) -> Option<Cow<'a, Value>> {
        match self {
            Operand::Literal(v) => Some(Cow::Borrowed(v)),
            Operand::Regex(_) => None,
            Operand::Current(segs) => follow(segs, node, root),
            Operand::Root(segs) => follow(segs, root, root),
        }
    }
}

/// The value `segs` lead to from `start`: the node for a definite chain, else an array of the
/// matches; `None` when a definite chain finds nothing.
fn follow<'a>(segs: &[Segment], start: &'a Value, root: &Value) -> Option<Cow<'a, Value>> {
    let mut nodes = vec![start];
    let definite = segs
        .iter()
        .all(|s| matches!(s, Segment::Name(_) | Segment::Index(_)));
    for s in segs {
        let mut next = Vec::new();
        for n in nodes {
            apply(s, n, root, &mut next);
        }
        nodes = next;
    }
    if definite {
        nodes.first().map(|v| Cow::Borrowed(*v))
    } else {
        Some(Cow::Owned(Value::Array(
            nodes.into_iter().cloned().collect(),
        )))
    }
}

fn compare(a: &Value, op: CmpOp, b: &Value) -> bool {
    use std::cmp::Ordering;
    let ord = match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .zip(y.as_f64())
            .and_then(|(x, y)| x.partial_cmp(&y)),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => {
            if a == b {
                Some(Ordering::Equal)
            } else {
                None
            }
        }
    };
    match op {
        CmpOp::Eq => ord == Some(Ordering::Equal),
        CmpOp::Ne => ord != Some(Ordering::Equal),
        CmpOp::Lt => ord == Some(Ordering::Less),
        CmpOp::Le => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
        CmpOp::Gt => ord == Some(Ordering::Greater),
        CmpOp::Ge => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
        CmpOp::In => b
            .as_array()
            .is_some_and(|arr| arr.iter().any(|e| compare(a, CmpOp::Eq, e))),
        CmpOp::Nin => !b
            .as_array()
            .is_some_and(|arr| arr.iter().any(|e| compare(a, CmpOp::Eq, e))),
        CmpOp::Regex => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    /// The first form found that AWS accepts but Jayway cannot compile (see `Path`).
    unsupported: Option<String>,
    /// A filter reads from the root document.
    reads_root: bool,
    /// How many filter groups (`(`, `!`, a filter inside a filter) are open: the parser
    /// recurses on each, so a path nesting thousands of them would overflow the stack.
    nesting: usize,
    /// Steps read so far, filters' included.
    steps: usize,
}

/// How many steps a path may have. A write through a reference path builds one level of
/// objects per step, and a document thousands of levels deep overflows the stack wherever it
/// is walked (written, copied, printed, dropped); no real path comes near this.
pub const MAX_PATH_STEPS: usize = 1000;

/// How deep filter expressions may nest (parentheses, `!`, filters inside filters). Real
/// paths nest a handful of levels; this only refuses text written to exhaust the stack.
pub const MAX_FILTER_NESTING: usize = 64;

const fn is_name_char(c: char) -> bool {
    !matches!(
        c,
        '.' | '['
            | ']'
            | '('
            | ')'
            | ' '
            | '\t'
            | '\n'
            | '\r'
            | '='
            | '!'
            | '<'
            | '>'
            | '&'
            | '|'
            | ','
            | '\''
            | '"'
            | '$'
            | '@'
            | '?'
    )
}

/// The bytes that end a name: the ASCII characters [`is_name_char`] refuses.
const ENDS_NAME: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 128 {
        t[b] = !is_name_char(b as u8 as char);
        b += 1;
    }
    t
};

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Self {
        Parser {
            src,
            pos: 0,
            unsupported: None,
            reads_root: false,
            nesting: 0,
            steps: 0,
        }
    }

    /// Runs `f` one filter group deeper, refusing past [`MAX_FILTER_NESTING`].
    fn nested<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, PathSyntaxError>,
    ) -> Result<T, PathSyntaxError> {
        if self.nesting >= MAX_FILTER_NESTING {
            return self.err(format!(
                "the filter nests deeper than {MAX_FILTER_NESTING} levels"
            ));
        }
        self.nesting += 1;
        let out = f(self);
        self.nesting -= 1;
        out
    }

    fn err<T>(&self, message: impl Into<String>) -> Result<T, PathSyntaxError> {
        Err(PathSyntaxError {
            offset: self.pos,
            message: message.into(),
        })
    }

    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        match self.src.as_bytes().get(self.pos) {
            Some(&b) if b.is_ascii() => Some(char::from(b)),
            Some(_) => self.rest().chars().next(),
            None => None,
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    fn eat(&mut self, s: &str) -> bool {
        if self
            .src
            .as_bytes()
            .get(self.pos..)
            .is_some_and(|r| r.starts_with(s.as_bytes()))
        {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
    }

    fn root(&mut self) -> Result<Root, PathSyntaxError> {
        if !self.eat("$") {
            return self.err("a path must start with `$`");
        }
        if self.eat("$") {
            return Ok(Root::Context);
        }
        match self.peek() {
            Some(c) if c.is_alphabetic() || c == '_' => {
                let name = self.name();
                Ok(Root::Variable(name.to_string()))
            }
            _ => Ok(Root::Input),
        }
    }

    fn name(&mut self) -> &'a str {
        let start = self.pos;
        // Every character that ends a name is ASCII, so the scan can go byte by byte and
        // still stop on a character boundary.
        let rest = &self.src.as_bytes()[start..];
        let len = rest
            .iter()
            .position(|&b| ENDS_NAME[usize::from(b)])
            .unwrap_or(rest.len());
        self.pos += len;
        &self.src[start..self.pos]
    }

    fn segment(&mut self) -> Result<Segment, PathSyntaxError> {
        self.steps += 1;
        if self.steps > MAX_PATH_STEPS {
            return self.err(format!("the path has more than {MAX_PATH_STEPS} steps"));
        }
        self.segment_at()
    }

    fn segment_at(&mut self) -> Result<Segment, PathSyntaxError> {
        if self.eat("..") {
            if self.peek() == Some('[') {
                let inner = self.bracket()?;
                return Ok(Segment::Descendant(Box::new(inner)));
            }
            if self.eat("*") {
                return Ok(Segment::Descendant(Box::new(Segment::Wildcard)));
            }
            let n = self.name();
            if n.is_empty() {
                return self.err("expected a name after `..`");
            }
            return Ok(Segment::Descendant(Box::new(Segment::Name(n.to_string()))));
        }
        if self.eat(".") {
            if self.eat("*") {
                return Ok(Segment::Wildcard);
            }
            if self.peek() == Some('[') {
                return self.bracket();
            }
            let n = self.name();
            if n.is_empty() {
                return self.err("expected a name after `.`");
            }
            if self.peek() == Some('(') {
                return self.err(format!(
                    "functions such as `{n}()` are not supported in paths"
                ));
            }
            return Ok(Segment::Name(n.to_string()));
        }
        if self.peek() == Some('[') {
            return self.bracket();
        }
        self.err(format!(
            "unexpected `{}`",
            self.peek().map(String::from).unwrap_or_default()
        ))
    }

    /// Records the first form Jayway will refuse when the path is read.
    fn unsupported(&mut self, message: String) {
        self.unsupported.get_or_insert(message);
    }

    fn bracket(&mut self) -> Result<Segment, PathSyntaxError> {
        let at = self.pos;
        self.eat("[");
        self.skip_ws();
        if self.peek() == Some('(') {
            // A script index (`[(@.length-1)]`, Goessner's notation): AWS accepts it in a
            // definition, Jayway has no scripts and refuses the path when it is read.
            let mut depth = 0usize;
            while let Some(c) = self.peek() {
                self.pos += c.len_utf8();
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
            }
            if depth != 0 {
                return self.err("expected `)` to close the script expression");
            }
            self.skip_ws();
            if !self.eat("]") {
                return self.err("expected `]` after the script expression");
            }
            self.unsupported(format!(
                "Could not parse token starting at position {at}. Expected ?, ', 0-9, * "
            ));
            return Ok(Segment::Wildcard);
        }
        if self.eat("?") {
            self.skip_ws();
            let parens = self.eat("(");
            let f = self.filter_or()?;
            self.skip_ws();
            if parens && !self.eat(")") {
                return self.err("expected `)` to close the filter");
            }
            self.skip_ws();
            if !self.eat("]") {
                return self.err("expected `]` after the filter");
            }
            return Ok(Segment::Filter(Box::new(f)));
        }
        if self.eat("*") {
            self.skip_ws();
            if !self.eat("]") {
                return self.err("expected `]` after `*`");
            }
            return Ok(Segment::Wildcard);
        }
        let mut parts = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                Some('\'') | Some('"') => {
                    let s = self.quoted_name()?;
                    parts.push(Segment::Name(s));
                }
                Some(c) if c == '-' || c == ':' || c.is_ascii_digit() => {
                    parts.push(self.index_or_slice()?);
                }
                _ => return self.err("expected a quoted name, an index, a slice, `*` or a filter"),
            }
            self.skip_ws();
            if self.eat(",") {
                continue;
            }
            if self.eat("]") {
                break;
            }
            return self.err("expected `,` or `]`");
        }
        if parts.len() == 1 {
            Ok(parts.remove(0))
        } else {
            Ok(Segment::Union(parts))
        }
    }

    fn int(&mut self) -> Option<i64> {
        let start = self.pos;
        self.eat("-");
        while matches!(self.peek(), Some(c) if c.is_ascii_digit()) {
            self.pos += 1;
        }
        self.src[start..self.pos].parse().ok()
    }

    fn index_or_slice(&mut self) -> Result<Segment, PathSyntaxError> {
        let first = self.int();
        self.skip_ws();
        if !self.eat(":") {
            return match first {
                Some(i) => Ok(Segment::Index(i)),
                None => self.err("expected an index"),
            };
        }
        self.skip_ws();
        let second = self.int();
        self.skip_ws();
        let mut step = 1;
        if self.eat(":") {
            self.skip_ws();
            step = self.int().unwrap_or(1);
            if step == 0 {
                return self.err("a slice step cannot be 0");
            }
        }
        Ok(Segment::Slice(first, second, step))
    }

    /// A quoted member name in brackets (`['a b']`, `["it's"]`). A backslash escapes only the
    /// closing quote (`['it\'s']`); any other backslash, and a doubled quote (`['a''b']`),
    /// are characters of the name as written, which is how AWS reads such paths.
    fn quoted_name(&mut self) -> Result<String, PathSyntaxError> {
        let Some(q) = self.peek() else {
            return self.err("expected a quote");
        };
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return self.err("unterminated quoted name");
            };
            self.pos += c.len_utf8();
            if c == '\\' && self.peek() == Some(q) {
                self.pos += 1;
                out.push(q);
            } else if c == q && self.peek() == Some(q) {
                self.pos += 1;
                out.push(q);
                out.push(q);
            } else if c == q {
                return Ok(out);
            } else {
                out.push(c);
            }
        }
    }

    fn quoted(&mut self) -> Result<String, PathSyntaxError> {
        let Some(q) = self.peek() else {
            return self.err("expected a quote");
        };
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return self.err("unterminated quoted name");
            };
            self.pos += c.len_utf8();
            if c == q {
                return Ok(out);
            }
            if c == '\\' {
                let Some(e) = self.peek() else {
                    return self.err("unterminated escape");
                };
                self.pos += e.len_utf8();
                out.push(match e {
                    'n' => '\n',
                    't' => '\t',
                    other => other,
                });
            } else {
                out.push(c);
            }
        }
    }

    fn filter_or(&mut self) -> Result<Filter, PathSyntaxError> {
        self.nested(Self::filter_or_at)
    }

    fn filter_or_at(&mut self) -> Result<Filter, PathSyntaxError> {
        let mut parts = vec![self.filter_and()?];
        loop {
            self.skip_ws();
            if self.eat("||") {
                parts.push(self.filter_and()?);
            } else {
                break;
            }
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Filter::Or(parts)
        })
    }

    fn filter_and(&mut self) -> Result<Filter, PathSyntaxError> {
        let mut parts = vec![self.filter_unary()?];
        loop {
            self.skip_ws();
            if self.eat("&&") {
                parts.push(self.filter_unary()?);
            } else {
                break;
            }
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Filter::And(parts)
        })
    }

    fn filter_unary(&mut self) -> Result<Filter, PathSyntaxError> {
        self.skip_ws();
        if self.rest().starts_with('!') && !self.rest().starts_with("!=") {
            self.pos += 1;
            let inner = self.nested(Self::filter_unary)?;
            return Ok(Filter::Not(Box::new(inner)));
        }
        if self.eat("(") {
            let f = self.filter_or()?;
            self.skip_ws();
            if !self.eat(")") {
                return self.err("expected `)`");
            }
            return Ok(f);
        }
        let left = self.operand()?;
        self.skip_ws();
        let op = if self.eat("==") {
            CmpOp::Eq
        } else if self.eat("!=") {
            CmpOp::Ne
        } else if self.eat("<=") {
            CmpOp::Le
        } else if self.eat(">=") {
            CmpOp::Ge
        } else if self.eat("<") {
            CmpOp::Lt
        } else if self.eat(">") {
            CmpOp::Gt
        } else if self.eat("=~") {
            CmpOp::Regex
        } else if self.eat("nin") {
            CmpOp::Nin
        } else if self.eat("in") {
            CmpOp::In
        } else {
            return Ok(Filter::Exists(left));
        };
        self.skip_ws();
        let right = self.operand()?;
        if op == CmpOp::Regex && !matches!(right, Operand::Regex(_)) {
            return self.err("`=~` needs a regular expression literal `/.../`");
        }
        Ok(Filter::Compare(left, op, right))
    }

    fn operand(&mut self) -> Result<Operand, PathSyntaxError> {
        self.skip_ws();
        match self.peek() {
            Some('@') => {
                self.pos += 1;
                let mut segs = Vec::new();
                while matches!(self.peek(), Some('.') | Some('[')) {
                    segs.push(self.segment()?);
                }
                Ok(Operand::Current(segs))
            }
            Some('$') => {
                self.pos += 1;
                let mut segs = Vec::new();
                while matches!(self.peek(), Some('.') | Some('[')) {
                    segs.push(self.segment()?);
                }
                self.reads_root = true;
                Ok(Operand::Root(segs))
            }
            Some('\'') | Some('"') => Ok(Operand::Literal(Value::String(self.quoted()?))),
            Some('/') => {
                self.pos += 1;
                let start = self.pos;
                while let Some(c) = self.peek() {
                    if c == '/' {
                        break;
                    }
                    self.pos += c.len_utf8();
                    if c == '\\'
                        && let Some(e) = self.peek()
                    {
                        self.pos += e.len_utf8();
                    }
                }
                let body = &self.src[start..self.pos];
                if !self.eat("/") {
                    return self.err("unterminated regular expression");
                }
                let mut flags = String::new();
                while let Some(c @ ('i' | 'm' | 's')) = self.peek() {
                    flags.push(c);
                    self.pos += 1;
                }
                let pattern = if flags.is_empty() {
                    body.to_string()
                } else {
                    format!("(?{flags}){body}")
                };
                regex::Regex::new(&pattern)
                    .map(|r| Operand::Regex(RegexLit(r)))
                    .or_else(|e| self.err(format!("invalid regular expression: {e}")))
            }
            Some('[') => {
                // A literal list for `in` / `nin`.
                let start = self.pos;
                let mut depth = 0;
                while let Some(c) = self.peek() {
                    self.pos += c.len_utf8();
                    match c {
                        '[' => depth += 1,
                        ']' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let text = self.src[start..self.pos].replace('\'', "\"");
                serde_json::from_str(&text)
                    .map(Operand::Literal)
                    .or_else(|_| self.err("invalid list literal"))
            }
            _ => {
                let start = self.pos;
                while let Some(c) = self.peek() {
                    if c.is_alphanumeric() || matches!(c, '-' | '+' | '.' | '_') {
                        self.pos += c.len_utf8();
                    } else {
                        break;
                    }
                }
                let word = &self.src[start..self.pos];
                match word {
                    "true" => Ok(Operand::Literal(Value::Bool(true))),
                    "false" => Ok(Operand::Literal(Value::Bool(false))),
                    "null" => Ok(Operand::Literal(Value::Null)),
                    _ => match serde_json::from_str::<serde_json::Number>(word) {
                        Ok(n) => Ok(Operand::Literal(Value::Number(n))),
                        // An unquoted word (`@.Name == Receipt`): AWS accepts it in a
                        // definition; Jayway reads it as a number and refuses the filter.
                        Err(_) if word.starts_with(|c: char| c.is_alphabetic() || c == '_') => {
                            let word = word.to_string();
                            self.unsupported(format!(
                                "Failed to parse filter: `{word}` is not a number, and a string must be quoted"
                            ));
                            Ok(Operand::Literal(Value::String(word)))
                        }
                        Err(_) => {
                            self.pos = start;
                            self.err("expected `@`, a literal or a regular expression")
                        }
                    },
                }
            }
        }
    }
}

/// A member of an object. Small objects (most state data) are searched in place: comparing a
/// few keys costs less than hashing the name with the map's SipHash.
pub(crate) fn member<'a>(m: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a Value> {
    if m.len() <= 8 {
        m.iter().find(|(k, _)| k.as_str() == name).map(|(_, v)| v)
    } else {
        m.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sel(path: &str, doc: &Value) -> Result<Value, PathMiss> {
        Path::parse(path)
            .expect("valid path")
            .select(doc)
            .map(Cow::into_owned)
    }

    /// Found by the fuzzer (tests/fuzz.rs, target `reference_path_write`): a `ResultPath` of
    /// 20 000 steps wrote a document 20 000 levels deep, recursively, and overflowed the stack.
    #[test]
    fn paths_of_more_than_a_thousand_steps_are_refused() {
        for step in [".a", "[0]", "['a']", "..a", "[*]"] {
            let e = Path::parse(&format!("${}", step.repeat(20_000))).expect_err("refused");
            assert_eq!(e.message, "the path has more than 1000 steps");
        }
        let e = Path::parse(&format!("$[?(@{} == 1)]", ".a".repeat(1000))).expect_err("refused");
        assert_eq!(e.message, "the path has more than 1000 steps");
        let longest = format!("${}", ".a".repeat(1000));
        let p = Path::parse(&longest).expect("1000 steps are allowed");
        let out = crate::data::reference_path::write(json!({}), &p, json!(1)).expect("written");
        assert_eq!(p.select(&out).map(Cow::into_owned), Ok(json!(1)));
    }

    /// Found by the fuzzer (tests/fuzz.rs, target `jsonpath`): each `(`, `!` and nested filter
    /// was a recursive call, and 100 000 of them overflowed the stack.
    #[test]
    fn deeply_nested_filters_are_refused_not_a_stack_overflow() {
        let deep = |open: &str, inner: &str, close: &str| {
            format!(
                "$[?({}{inner}{})]",
                open.repeat(100_000),
                close.repeat(100_000)
            )
        };
        for text in [
            deep("(", "@.a", ")"),
            deep("!", "@.a", ""),
            deep("(", "", ""),
            format!(
                "$[?({}@.a{})]",
                "@.b[?(".repeat(50_000),
                ")]".repeat(50_000)
            ),
        ] {
            let e = Path::parse(&text).expect_err("refused");
            assert!(e.message.contains("nests deeper than 64"), "{}", e.message);
        }
        // As deep as real paths go still parses, and means what it says.
        let ok = format!("$[?({}@.a == 1{})]", "(".repeat(60), ")".repeat(60));
        assert_eq!(
            sel(&ok, &json!([{"a": 1}, {"a": 2}])).unwrap(),
            json!([{"a": 1}])
        );
        let ok = format!("$[?({}@.a)]", "!".repeat(62));
        assert_eq!(
            sel(&ok, &json!([{"a": 1}, {"b": 2}])).unwrap(),
            json!([{"a": 1}])
        );
    }

    #[test]
    fn definite_paths_select_one_node() {
        let doc = json!({"a": {"b": [10, 20, 30]}, "k y": 1});
        assert_eq!(sel("$", &doc).unwrap(), doc);
        assert_eq!(sel("$.a.b[1]", &doc).unwrap(), json!(20));
        assert_eq!(sel("$.a.b[-1]", &doc).unwrap(), json!(30));
        assert_eq!(sel("$['k y']", &doc).unwrap(), json!(1));
        assert_eq!(sel("$.a['b'][0]", &doc).unwrap(), json!(10));
    }

    #[test]
    fn a_backslash_in_a_quoted_name_escapes_only_the_quote() {
        let doc =
            json!({"it's": 1, "a\\b": 2, "a\\\\b": 3, "x''y": 4, "say \"hi\"": 5, "a\\nb": 6});
        assert_eq!(sel(r"$['it\'s']", &doc).unwrap(), json!(1));
        assert_eq!(sel(r#"$["it's"]"#, &doc).unwrap(), json!(1));
        assert_eq!(sel(r"$['a\b']", &doc).unwrap(), json!(2));
        assert_eq!(sel(r"$['a\\b']", &doc).unwrap(), json!(3));
        assert_eq!(sel(r"$['x''y']", &doc).unwrap(), json!(4));
        assert_eq!(sel(r#"$["say \"hi\""]"#, &doc).unwrap(), json!(5));
        assert_eq!(sel(r"$['a\nb']", &doc).unwrap(), json!(6));
        assert!(Path::parse(r"$['a\']").is_err());
    }

    #[test]
    fn trailing_whitespace_is_ignored_as_jayway_trims() {
        let doc = json!({"Execution": {"Name": "n"}});
        let p = Path::parse("$.Execution.Name ").expect("valid");
        assert_eq!(p.select(&doc).unwrap().into_owned(), json!("n"));
        assert_eq!(p.to_string(), "$.Execution.Name ");
        assert!(Path::parse(" $.a").is_err());
    }

    #[test]
    fn filters_compare_with_paths_from_the_root() {
        let doc = json!({"agent_id": 2, "workers": [{"workerId": 1}, {"workerId": 2}]});
        let p = Path::parse("$.workers[?(@.workerId == $.agent_id)]").expect("valid");
        assert!(p.reads_root());
        assert_eq!(
            sel("$.workers[?(@.workerId == $.agent_id)]", &doc).unwrap(),
            json!([{"workerId": 2}])
        );
        assert_eq!(
            sel("$.workers[?(@.workerId != $.missing)]", &doc).unwrap(),
            json!([{"workerId": 1}, {"workerId": 2}])
        );
    }

    #[test]
    fn forms_jayway_cannot_compile_parse_but_say_why() {
        for text in [
            "$.Labels[?(@.Name==Receipt)]",
            "$.Labels[?(@.Name == Receipt && @.x > 1)]",
            "$[(@.length-1)]",
            "$.items[( @.length - 1 )].id",
        ] {
            let p = Path::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert!(p.unsupported().is_some(), "{text}");
            assert!(!p.is_definite(), "{text}");
        }
        assert!(
            Path::parse("$[(@.length-1)]")
                .unwrap()
                .unsupported()
                .is_some_and(|m| m.starts_with("Could not parse token starting at position 1"))
        );
        assert!(
            Path::parse("$.a[?(@.b == 'x')]")
                .unwrap()
                .unsupported()
                .is_none()
        );
        // Still refused: an unclosed script, a stray symbol in a filter.
        assert!(Path::parse("$[(@.length-1]").is_err());
        assert!(Path::parse("$.a[?(@.b == #)]").is_err());
    }

    #[test]
    fn misses_use_jayway_wording() {
        let doc = json!({"a": 1});
        assert_eq!(
            sel("$.x", &doc).unwrap_err().to_string(),
            "No results for path: $['x']"
        );
        assert_eq!(
            sel("$.x.y.z", &doc).unwrap_err().to_string(),
            "Missing property in path $['x']"
        );
    }

    #[test]
    fn indefinite_paths_return_arrays() {
        let doc = json!({"items": [{"v": 1, "s": "a"}, {"v": 2, "s": "b"}, {"v": 3}], "o": {"x": {"v": 9}}});
        assert_eq!(sel("$.items[*].v", &doc).unwrap(), json!([1, 2, 3]));
        assert_eq!(sel("$.items[:1].v", &doc).unwrap(), json!([1]));
        assert_eq!(sel("$.items[1:].v", &doc).unwrap(), json!([2, 3]));
        assert_eq!(sel("$.items[-2:].v", &doc).unwrap(), json!([2, 3]));
        assert_eq!(sel("$.items[0,2].v", &doc).unwrap(), json!([1, 3]));
        assert_eq!(sel("$..v", &doc).unwrap(), json!([1, 2, 3, 9]));
        assert_eq!(sel("$.items[?(@.v > 1)].v", &doc).unwrap(), json!([2, 3]));
        assert_eq!(sel("$.items[?(@.s)].v", &doc).unwrap(), json!([1, 2]));
        assert_eq!(
            sel("$.items[?(@.s == 'b' || @.v == 3)].v", &doc).unwrap(),
            json!([2, 3])
        );
        assert_eq!(sel("$.items[?(@.s =~ /B/i)].v", &doc).unwrap(), json!([2]));
        assert_eq!(
            sel("$.items[?(@.v in [1,3])].v", &doc).unwrap(),
            json!([1, 3])
        );
        assert_eq!(sel("$.nothing[*]", &doc).unwrap(), json!([]));
    }

    #[test]
    fn roots() {
        assert_eq!(
            *Path::parse("$$.Execution.Id").unwrap().root(),
            Root::Context
        );
        assert_eq!(
            *Path::parse("$myVar.a").unwrap().root(),
            Root::Variable("myVar".into())
        );
        assert_eq!(*Path::parse("$.a").unwrap().root(), Root::Input);
    }

    #[test]
    fn rejects_bad_syntax() {
        for bad in ["a.b", "$.", "$[", "$.a[?(@.x ==)]", "$.a.length()", "$['a'"] {
            assert!(Path::parse(bad).is_err(), "{bad} should be rejected");
        }
    }
}
