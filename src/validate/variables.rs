//! Variables: reads that no state can have assigned, and `$states` fields used where AWS does
//! not provide them.
//!
//! - Every `Assign` key (state, choice rule or catcher) declares a variable. A read of
//!   `$name` (a JSONPath `$name.x` in a `.$` value or a `*Path` field, or a JSONata `$name`)
//!   that matches no declaration anywhere in the machine can only fail at run time: reported
//!   as a WARNING (`UNDEFINED_VARIABLE`, an `asl` code), since AWS accepts it.
//! - In JSONata states, `$states.result` exists only in the `Output` and `Assign` of Task,
//!   Parallel and Map states, and `$states.errorOutput` only in a catcher's `Output` and
//!   `Assign`; AWS refuses them elsewhere (`SCHEMA_VALIDATION_FAILED`).
//! - A JSONata call of a function that is neither one of JSONata's, nor one AWS adds, nor
//!   bound in the expression itself (`$f := function...`, a parameter) can only fail when it
//!   is evaluated (`T1006`): a WARNING (`UNKNOWN_FUNCTION`, an `asl` code) with a "did you
//!   mean" among the functions, since AWS accepts the definition. So is `$eval`, which Step
//!   Functions does not provide.

use crate::definition::diagnostic::did_you_mean_in;
use crate::definition::{Code, Diagnostic, Pointer};
use serde_json::{Map, Value};
use std::collections::HashSet;

const MAX_DEPTH: usize = 64;

/// JSONata's built-in functions, which read like variables when passed as values.
const BUILTINS: &[&str] = &[
    "string",
    "length",
    "substring",
    "substringBefore",
    "substringAfter",
    "uppercase",
    "lowercase",
    "trim",
    "pad",
    "contains",
    "split",
    "join",
    "match",
    "replace",
    "eval",
    "base64encode",
    "base64decode",
    "encodeUrlComponent",
    "encodeUrl",
    "decodeUrlComponent",
    "decodeUrl",
    "number",
    "abs",
    "floor",
    "ceil",
    "round",
    "power",
    "sqrt",
    "random",
    "formatNumber",
    "formatBase",
    "formatInteger",
    "parseInteger",
    "sum",
    "max",
    "min",
    "average",
    "boolean",
    "not",
    "exists",
    "count",
    "append",
    "sort",
    "reverse",
    "shuffle",
    "distinct",
    "zip",
    "keys",
    "lookup",
    "spread",
    "merge",
    "sift",
    "each",
    "error",
    "assert",
    "type",
    "now",
    "millis",
    "fromMillis",
    "toMillis",
    "map",
    "filter",
    "single",
    "reduce",
    "partition",
    "range",
    "hash",
    "uuid",
    "parse",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    JsonPath,
    Jsonata,
}

/// Where a JSONata value sits, for the `$states` rules.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// `Output`/`Assign` of a Task, Parallel or Map state: `$states.result` is there.
    WithResult,
    /// A catcher's `Output`/`Assign`: `$states.errorOutput` is there.
    Catcher,
    Other,
}

struct Read {
    name: String,
    at: Pointer,
}

#[derive(Default)]
struct Cx {
    declared: HashSet<String>,
    reads: Vec<Read>,
    errors: Vec<Diagnostic>,
}

pub fn check(v: &Value, diags: &mut Vec<Diagnostic>) {
    let Value::Object(m) = v else { return };
    let mut cx = Cx::default();
    let lang = lang_of(m, Lang::JsonPath);
    cx.graph(m, &Pointer::root(), lang, 0);
    diags.append(&mut cx.errors);
    let declared: Vec<&str> = cx.declared.iter().map(String::as_str).collect();
    let mut warned = HashSet::new();
    for r in cx.reads {
        if cx.declared.contains(&r.name) || !warned.insert((r.name.clone(), r.at.to_string())) {
            continue;
        }
        let hint = did_you_mean_in(&r.name, &declared);
        diags.push(Diagnostic::warning(
            Code::UndefinedVariable,
            r.at.as_str(),
            format!(
                "The variable `${}` is read here, but no `Assign` in the state machine sets it{hint}",
                r.name
            ),
        ));
    }
}

fn lang_of(m: &Map<String, Value>, inherited: Lang) -> Lang {
    match m.get("QueryLanguage").and_then(Value::as_str) {
        Some("JSONata") => Lang::Jsonata,
        Some("JSONPath") => Lang::JsonPath,
        _ => inherited,
    }
}

impl Cx {
    fn graph(&mut self, g: &Map<String, Value>, ptr: &Pointer, lang: Lang, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let lang = lang_of(g, lang);
        let Some(Value::Object(states)) = g.get("States") else {
            return;
        };
        for (name, s) in states {
            if let Value::Object(s) = s {
                self.state(s, &ptr.key("States").key(name), lang_of(s, lang), depth);
            }
        }
    }

    fn state(&mut self, s: &Map<String, Value>, sp: &Pointer, lang: Lang, depth: usize) {
        let ty = s.get("Type").and_then(Value::as_str).unwrap_or("");
        let has_result = matches!(ty, "Task" | "Parallel" | "Map");
        for (k, v) in s {
            let at = sp.key(k);
            match k.as_str() {
                "Type" | "Comment" | "Next" | "End" | "Default" | "QueryLanguage" | "Resource"
                | "Label" | "Retry" => {}
                "Branches" => {
                    if let Value::Array(bs) = v {
                        for (i, b) in bs.iter().enumerate() {
                            if let Value::Object(b) = b {
                                self.graph(b, &at.index(i), lang, depth + 1);
                            }
                        }
                    }
                }
                "ItemProcessor" | "Iterator" => {
                    if let Value::Object(p) = v {
                        self.graph(p, &at, lang, depth + 1);
                    }
                }
                "Assign" => {
                    self.declare(v);
                    let place = if has_result {
                        Place::WithResult
                    } else {
                        Place::Other
                    };
                    self.value(v, &at, lang, place, &at, 0);
                }
                "Output" => {
                    let place = if has_result {
                        Place::WithResult
                    } else {
                        Place::Other
                    };
                    self.value(v, &at, lang, place, &at, 0);
                }
                "Catch" => {
                    if let Value::Array(cs) = v {
                        for (i, c) in cs.iter().enumerate() {
                            let Value::Object(c) = c else { continue };
                            let cp = at.index(i);
                            for (ck, cv) in c {
                                match ck.as_str() {
                                    "Assign" => {
                                        self.declare(cv);
                                        self.value(
                                            cv,
                                            &cp.key(ck),
                                            lang,
                                            Place::Catcher,
                                            &cp.key(ck),
                                            0,
                                        );
                                    }
                                    "Output" => self.value(
                                        cv,
                                        &cp.key(ck),
                                        lang,
                                        Place::Catcher,
                                        &cp.key(ck),
                                        0,
                                    ),
                                    "ResultPath" => self.path_field(cv, &cp.key(ck)),
                                    _ => {}
                                }
                            }
                        }
                    }
                }
                "Choices" => {
                    if let Value::Array(cs) = v {
                        for (i, c) in cs.iter().enumerate() {
                            self.choice_rule(c, &at.index(i), lang, 0);
                        }
                    }
                }
                _ if lang == Lang::JsonPath && k.ends_with("Path") => self.path_field(v, &at),
                _ => self.value(v, &at, lang, Place::Other, &at, 0),
            }
        }
    }

    fn choice_rule(&mut self, c: &Value, at: &Pointer, lang: Lang, depth: usize) {
        let Value::Object(c) = c else { return };
        if depth > MAX_DEPTH {
            return;
        }
        for (k, v) in c {
            let p = at.key(k);
            match k.as_str() {
                "Next" | "Comment" => {}
                "Assign" => {
                    self.declare(v);
                    self.value(v, &p, lang, Place::Other, &p, 0);
                }
                "And" | "Or" => {
                    if let Value::Array(rs) = v {
                        for (i, r) in rs.iter().enumerate() {
                            self.choice_rule(r, &p.index(i), lang, depth + 1);
                        }
                    }
                }
                "Not" => self.choice_rule(v, &p, lang, depth + 1),
                "Variable" => self.path_field(v, &p),
                _ if lang == Lang::JsonPath && k.ends_with("Path") => self.path_field(v, &p),
                _ => self.value(v, &p, lang, Place::Other, &p, 0),
            }
        }
    }

    fn declare(&mut self, v: &Value) {
        if let Value::Object(m) = v {
            for k in m.keys() {
                self.declared
                    .insert(k.strip_suffix(".$").unwrap_or(k).to_string());
            }
        }
    }

    /// A JSONPath field holding a path (or, for `.$` values, an intrinsic call).
    fn path_field(&mut self, v: &Value, at: &Pointer) {
        if let Value::String(s) = v {
            for name in jsonpath_reads(s) {
                self.reads.push(Read {
                    name,
                    at: at.clone(),
                });
            }
        }
    }

    /// A template value. JSONPath: `.$` keys hold paths; JSONata: `{% %}` strings hold
    /// expressions. `field` is the state's field the value sits in (where AWS reports).
    fn value(
        &mut self,
        v: &Value,
        at: &Pointer,
        lang: Lang,
        place: Place,
        field: &Pointer,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        match v {
            Value::String(s) if lang == Lang::Jsonata => {
                if let Some(body) = s.strip_prefix("{%").and_then(|r| r.strip_suffix("%}")) {
                    self.expression(body, at, field, place);
                }
            }
            Value::Object(m) => {
                for (k, x) in m {
                    let p = at.key(k);
                    if lang == Lang::JsonPath && k.ends_with(".$") {
                        self.path_field(x, &p);
                    } else {
                        self.value(x, &p, lang, place, field, depth + 1);
                    }
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    self.value(x, &at.index(i), lang, place, field, depth + 1);
                }
            }
            _ => {}
        }
    }

    fn expression(&mut self, body: &str, at: &Pointer, field: &Pointer, place: Place) {
        let tokens = jsonata_variables(body);
        let local: HashSet<&str> = tokens
            .iter()
            .filter(|t| t.bound)
            .map(|t| t.name.as_str())
            .collect();
        for t in &tokens {
            if t.name == "states" {
                match t.field.as_deref() {
                    Some("result") if place != Place::WithResult => self.errors.push(
                        Diagnostic::error(
                            Code::SchemaValidationFailed,
                            field.as_str(),
                            "`$states.result` is only available in the `Output` and `Assign` of Task, Parallel and Map states",
                        )
                        .with_focus(at.as_str()),
                    ),
                    Some("errorOutput") if place != Place::Catcher => self.errors.push(
                        Diagnostic::error(
                            Code::SchemaValidationFailed,
                            field.as_str(),
                            "`$states.errorOutput` is only available in the `Output` and `Assign` of a catcher",
                        )
                        .with_focus(at.as_str()),
                    ),
                    _ => {}
                }
                continue;
            }
            if t.call && !t.bound && !local.contains(t.name.as_str()) {
                self.call(&t.name, at, field);
                continue;
            }
            if t.bound
                || t.call
                || local.contains(t.name.as_str())
                || BUILTINS.contains(&t.name.as_str())
            {
                continue;
            }
            self.reads.push(Read {
                name: t.name.clone(),
                at: at.clone(),
            });
        }
    }
}

impl Cx {
    /// A call of `$name` that nothing in the expression binds: a warning unless it is a
    /// function Step Functions provides.
    fn call(&mut self, name: &str, at: &Pointer, field: &Pointer) {
        let message = if name == "eval" {
            "`$eval` is not available in Step Functions; the call fails when it is evaluated (use `$parse` to read JSON text)".to_string()
        } else if BUILTINS.contains(&name) {
            return;
        } else {
            let known: Vec<String> = BUILTINS
                .iter()
                .filter(|f| **f != "eval")
                .map(|f| format!("${f}"))
                .collect();
            let known: Vec<&str> = known.iter().map(String::as_str).collect();
            format!(
                "`${name}` is not a JSONata function, nor one Step Functions adds, nor defined in the expression: the call fails when it is evaluated (T1006){}",
                did_you_mean_in(&format!("${name}"), &known)
            )
        };
        let d = Diagnostic::warning(Code::UnknownFunction, field.as_str(), message)
            .with_focus(at.as_str());
        if !self.errors.contains(&d) {
            self.errors.push(d);
        }
    }
}

/// Variable roots read by a JSONPath path or an intrinsic call: `$name` at the start of a path.
fn jsonpath_reads(s: &str) -> Vec<String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < b.len() {
        let c = b[i];
        if let Some(q) = quote {
            if c == b'\\' {
                i += 1;
            } else if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        if c == b'\'' {
            quote = Some(c);
            i += 1;
            continue;
        }
        let at_start = i == 0 || matches!(b[i - 1], b'(' | b',' | b' ');
        if c == b'$' && at_start {
            let start = i + 1;
            let mut j = start;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            if j > start && !b[start].is_ascii_digit() {
                out.push(s[start..j].to_string());
            }
            i = j.max(i + 1);
            continue;
        }
        i += 1;
    }
    out
}

struct Token {
    name: String,
    /// `$name := ...` or a function parameter: a local binding.
    bound: bool,
    /// `$name(`: a function call.
    call: bool,
    /// The field read right after (`$states.result` -> `result`).
    field: Option<String>,
}

/// The `$name` tokens of a JSONata expression, outside string literals.
fn jsonata_variables(src: &str) -> Vec<Token> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut in_params = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b'"' | b'\'' | b'`' => {
                let q = c;
                i += 1;
                while i < b.len() && b[i] != q {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'$' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                if j > start {
                    let name = src[start..j].to_string();
                    let mut k = j;
                    while k < b.len() && b[k].is_ascii_whitespace() {
                        k += 1;
                    }
                    let bound = in_params || src[k..].starts_with(":=");
                    let call = b.get(k) == Some(&b'(');
                    let field = if b.get(j) == Some(&b'.') {
                        let fs = j + 1;
                        let mut fe = fs;
                        while fe < b.len() && (b[fe].is_ascii_alphanumeric() || b[fe] == b'_') {
                            fe += 1;
                        }
                        Some(src[fs..fe].to_string())
                    } else {
                        None
                    };
                    out.push(Token {
                        name,
                        bound,
                        call,
                        field,
                    });
                }
                i = j.max(i + 1);
            }
            _ => {
                // Bytes, not `&str` slices: `i` may sit inside a multi-byte character.
                let rest = &b[i..];
                let keyword = if rest.starts_with(b"function") {
                    8
                } else if rest.starts_with("λ".as_bytes()) {
                    2
                } else {
                    0
                };
                if keyword > 0 {
                    // Parameters of a function definition are local bindings.
                    let mut k = keyword;
                    while k < rest.len() && rest[k].is_ascii_whitespace() {
                        k += 1;
                    }
                    if rest.get(k) == Some(&b'(') {
                        in_params = true;
                        i += k + 1;
                        continue;
                    }
                }
                if c == b')' {
                    in_params = false;
                }
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_jsonpath_variable_roots() {
        assert_eq!(jsonpath_reads("$x.y"), vec!["x"]);
        assert_eq!(jsonpath_reads("$.x"), Vec::<String>::new());
        assert_eq!(
            jsonpath_reads("States.Format('{} $no', $a, $$.b, $c.d)"),
            vec!["a", "c"]
        );
    }

    #[test]
    fn survives_multibyte_text() {
        let t = jsonata_variables("'é' & $é & λ($x) { $x } & \"ü\" & $y");
        let names: Vec<&str> = t.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, vec!["x", "x", "y"]);
    }

    #[test]
    fn tells_reads_from_local_bindings_and_calls() {
        let t = jsonata_variables(
            "( $n := 1; $f := function($a) { $a + $n + $g }; $string($f(2)) & 'x$y' )",
        );
        let reads: Vec<&str> = t
            .iter()
            .filter(|t| !t.bound && !t.call)
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(reads, vec!["a", "n", "g"]);
    }
}
