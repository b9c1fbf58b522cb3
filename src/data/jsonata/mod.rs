//! JSONata expressions as Step Functions runs them (`{% ... %}` in JSONata states).
//!
//! The engine is the `jsonata-core` crate (jsonata-js 2.x semantics). An expression is parsed
//! once at load into an [`Expression`]; each evaluation makes a fresh evaluator (cheap: it is a
//! few maps), binds `$states` and the variables the expression names, registers AWS's added
//! functions ([`functions`]) and runs under a time and depth bound, so a hostile expression
//! cannot hang a run. The evaluator is not `Send`: it lives only inside [`Expression::evaluate`],
//! never across an `await`.

mod convert;
mod functions;
mod harden;
mod reads;

use super::roots::{DataError, Roots};
use jsonata_core::evaluator::{Context, Evaluator, EvaluatorOptions};
use jsonata_core::value::JValue;
use serde_json::Value;
use std::fmt;
use std::sync::Arc;

pub use convert::{SharedConversions, from_jvalue, share_conversions, to_jvalue};
use reads::Reads;

/// Wall-clock bound of one evaluation (jsonata-js's `timeout` option).
const TIMEOUT_MS: u64 = 10_000;
/// Evaluation depth bound (jsonata-js's `stack` option).
const MAX_DEPTH: usize = 10_000;

/// What one evaluation produced: a JSON value, *undefined* (`None`), or a function, which
/// no JSON value can hold.
enum Produced {
    Value(Option<Value>),
    Function,
}

/// A compiled JSONata expression.
#[derive(Clone)]
pub struct Expression {
    source: Arc<str>,
    ast: Arc<jsonata_core::ast::AstNode>,
    /// The `$names` the expression mentions and the member chains it reads below each: only
    /// these are converted and bound when it runs.
    reads: Arc<Reads>,
    /// What the load-time guards found (`harden`).
    hardening: harden::Hardening,
    /// `Some` when the whole expression is a plain chain (`$states.input.a.b`, `$var.x`),
    /// which is read directly where JSONata's answer is certain to be the same.
    chain: Option<Arc<(String, Vec<String>)>>,
}

impl fmt::Debug for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Expression")
            .field("source", &self.source)
            .finish()
    }
}

/// A JSONata error: a syntax error at load, or an evaluation error, with JSONata's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonataError {
    /// JSONata's error code (`S0201`, `T2001`, `D3137`, ...); empty when the engine gave none.
    pub code: String,
    /// Character offset in the expression where a syntax error was found.
    pub position: usize,
    /// The message without the code prefix.
    pub message: String,
}

/// ` (at character N of the expression)` for a syntax error with a known position, else `""`.
/// The position counts the characters up to the token where parsing failed.
pub fn position_note(e: &JsonataError) -> String {
    if e.position == 0 {
        String::new()
    } else {
        format!(" (at character {} of the expression)", e.position)
    }
}

impl fmt::Display for JsonataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.code.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.code, self.message)
        }
    }
}

/// The body of a `{% ... %}` template string, or `None` when the string is not one.
pub fn template_body(s: &str) -> Option<&str> {
    s.strip_prefix("{%").and_then(|r| r.strip_suffix("%}"))
}

impl Expression {
    pub fn compile(source: &str) -> Result<Expression, JsonataError> {
        let source = source.trim();
        let mut ast = parse(source)?;
        let hardening = harden::harden(&mut ast);
        Ok(Expression {
            source: Arc::from(source),
            ast: Arc::new(ast),
            hardening,
            reads: Arc::new(Reads::of(source)),
            chain: reads::plain_chain(source).map(Arc::new),
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the expression mentions `$name` (over-approximated: a `$name` inside a string
    /// literal counts too).
    pub fn mentions(&self, name: &str) -> bool {
        self.reads.mentions(name)
    }

    /// Evaluates with `$states` and the variables of `roots`; `Ok(None)` is JSONata's
    /// *undefined*. Errors are `States.QueryEvaluationError`. The JSONata input (`$`) is
    /// undefined: state data is read through `$states`.
    pub fn evaluate(&self, roots: &dyn Roots) -> Result<Option<Value>, DataError> {
        match self.produce(roots)? {
            Produced::Value(v) => Ok(v),
            Produced::Function => Err(DataError::query(format!(
                "The JSONata expression '{}' returned an unsupported result type.",
                self.source
            ))),
        }
    }

    fn produce(&self, roots: &dyn Roots) -> Result<Produced, DataError> {
        if let Some(v) = self
            .chain
            .as_deref()
            .and_then(|c| reads::read_chain(roots, c))
        {
            return Ok(Produced::Value(Some(v)));
        }
        let mut bindings = Vec::new();
        for (name, chains) in self.reads.names() {
            if name == "states" {
                bindings.push((name, reads::states_value(roots, chains)));
            } else if let Some(v) = roots.variable(name) {
                bindings.push((name, reads::pruned(v, chains)));
            }
        }
        self.run(JValue::Undefined, bindings, roots)
            .map_err(|e| DataError::query(self.failure_message(&e)))
    }

    /// Evaluates against a plain document and bindings (`asl eval`).
    pub fn evaluate_document(
        &self,
        input: Option<&Value>,
        bindings: &serde_json::Map<String, Value>,
        roots: &dyn Roots,
    ) -> Result<Option<Value>, JsonataError> {
        let bound = bindings
            .iter()
            .map(|(k, v)| (k.as_str(), to_jvalue(v)))
            .collect();
        // `asl eval` shows a function as JSON.stringify does inside a document: as "".
        match self.run(input.map_or(JValue::Undefined, to_jvalue), bound, roots)? {
            Produced::Value(v) => Ok(v),
            Produced::Function => Ok(Some(Value::String(String::new()))),
        }
    }

    fn run(
        &self,
        input: JValue,
        bindings: Vec<(&str, JValue)>,
        roots: &dyn Roots,
    ) -> Result<Produced, JsonataError> {
        harden::with_function_stack(self.hardening, || self.run_here(input, bindings, roots))
    }

    /// [`Self::run`] on the current stack: makes the evaluator, evaluates, and drops it.
    fn run_here(
        &self,
        input: JValue,
        bindings: Vec<(&str, JValue)>,
        roots: &dyn Roots,
    ) -> Result<Produced, JsonataError> {
        let options = EvaluatorOptions {
            timeout_ms: Some(TIMEOUT_MS),
            max_stack_depth: Some(MAX_DEPTH),
            ..EvaluatorOptions::default()
        };
        let mut context = Context::new();
        if self.reads.mentions("pad") {
            harden::bind_guarded_pad(&mut context);
        }
        let (format_number, split) = (
            self.reads.mentions("formatNumber"),
            self.reads.mentions("split"),
        );
        if format_number {
            harden::bind_guarded_format_number(&mut context);
        }
        if split {
            harden::bind_guarded_split(&mut context);
        }
        for (name, value) in bindings {
            context.bind(name.to_string(), value);
        }
        let mut ev = Evaluator::with_options(context, options);
        functions::register(&mut ev, |n| self.reads.mentions(n), roots.env())
            .map_err(|e| engine_error(&e.to_string()))?;
        if self.hardening.ranges {
            harden::register_range_guards(&mut ev).map_err(|e| engine_error(&e.to_string()))?;
        }
        if format_number {
            harden::register_format_number_guard(&mut ev)
                .map_err(|e| engine_error(&e.to_string()))?;
        }
        if split {
            harden::register_split_guard(&mut ev).map_err(|e| engine_error(&e.to_string()))?;
        }
        // The engine has panicked on a few exotic inputs; a panic there must not take the run
        // down, nor print anything: it becomes an evaluation error.
        let outcome = quietly(std::panic::AssertUnwindSafe(|| {
            ev.evaluate(&self.ast, &input)
        }));
        match outcome {
            Ok(Ok(JValue::Lambda(_) | JValue::Builtin { .. })) => Ok(Produced::Function),
            Ok(Ok(v)) => Ok(Produced::Value(from_jvalue(&v))),
            Ok(Err(e)) => Err(engine_error(&e.to_string())),
            Err(_) => Err(JsonataError {
                code: String::new(),
                position: 0,
                message: "the JSONata engine failed on this expression".into(),
            }),
        }
    }

    fn failure_message(&self, e: &JsonataError) -> String {
        format!(
            "The JSONata expression '{}' threw an error: {}",
            self.source, e
        )
    }

    /// Evaluates the expression of a field; *undefined* is an error, as in AWS, and so is a
    /// function (`"Items": "{% $uppercase %}"`), which no field can take.
    pub fn evaluate_field(&self, roots: &dyn Roots, field: &str) -> Result<Value, DataError> {
        match self.produce(roots)? {
            Produced::Value(Some(v)) => Ok(v),
            Produced::Value(None) => Err(DataError::query(format!(
                "The JSONata expression '{}' specified for the field '{field}' returned nothing (undefined).",
                self.source
            ))),
            Produced::Function => Err(DataError::query(format!(
                "The JSONata expression '{}' for the field '{field}' returned an unsupported result type.",
                self.source
            ))),
        }
    }
}

/// How many characters [`error_position`] may parse in all, over every prefix it tries: the
/// search costs the square of the expression's length (more when it nests deeply), and a
/// 2 000-character chain 900 levels deep took 18 s before this bound (found by the fuzzer,
/// tests/fuzz.rs, target `jsonata_expression`). Expressions of a few hundred characters, the
/// usual size, are searched in full.
const POSITION_BUDGET: usize = 100_000;

thread_local! {
    /// How many [`quietly`] calls this thread is inside.
    static QUIET: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Runs `f` (a call into the engine) and catches a panic in it, which the caller turns into a
/// clean error. The panic hook stays silent for such a panic: its text ("thread panicked at
/// jsonata-core/src/functions.rs ...", a backtrace) must not reach stderr before the error
/// the user is shown. Panics anywhere else still print as usual.
fn quietly<R>(f: impl FnOnce() -> R + std::panic::UnwindSafe) -> std::thread::Result<R> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(std::cell::Cell::get) == 0 {
                previous(info);
            }
        }));
    });
    QUIET.with(|q| q.set(q.get() + 1));
    let outcome = std::panic::catch_unwind(f);
    QUIET.with(|q| q.set(q.get().saturating_sub(1)));
    outcome
}

fn parse(source: &str) -> Result<jsonata_core::ast::AstNode, JsonataError> {
    let parsed = quietly(|| jsonata_core::parser::parse(source));
    match parsed {
        Ok(Ok(ast)) => Ok(ast),
        Ok(Err(e)) => {
            let mut err = engine_error(&e.to_string());
            err.position = error_position(source, &err.code);
            Err(err)
        }
        Err(_) => Err(JsonataError {
            code: "S0201".into(),
            position: 0,
            message: "the expression could not be parsed".into(),
        }),
    }
}

/// Where a syntax error is: the shortest prefix of the expression that already fails with
/// the same code (the engine reports no positions), or 0 for unknown. Bounded, since it
/// parses many prefixes: by [`POSITION_BUDGET`], and not at all for nesting past the
/// parser's depth limit (`U1002`), whose prefixes are the slowest to parse.
fn error_position(source: &str, code: &str) -> usize {
    if code == "U1002" {
        return 0;
    }
    if code.is_empty() || code == "S0207" || source.len() > 4096 {
        return source.chars().count();
    }
    let mut count = 0;
    let mut spent = 0;
    for (i, c) in source.char_indices() {
        count += 1;
        let prefix = &source[..i + c.len_utf8()];
        spent += prefix.len();
        if spent > POSITION_BUDGET {
            return 0;
        }
        let failed_same = match quietly(|| jsonata_core::parser::parse(prefix)) {
            Ok(Err(e)) => error_code(&e.to_string()) == code,
            _ => false,
        };
        if failed_same {
            return count;
        }
    }
    source.chars().count()
}

/// Splits an engine message into JSONata's code and the rest.
fn engine_error(message: &str) -> JsonataError {
    let code = error_code(message);
    let text = match message.find(&code) {
        Some(at) if !code.is_empty() => message[at + code.len()..]
            .trim_start_matches(':')
            .trim()
            .to_string(),
        _ => message.to_string(),
    };
    JsonataError {
        code,
        position: 0,
        message: text,
    }
}

/// The first `[STDU]dddd` code in a message.
fn error_code(message: &str) -> String {
    let bytes = message.as_bytes();
    for i in 0..bytes.len().saturating_sub(4) {
        let lead = bytes[i];
        let boundary = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let digits = bytes[i + 1..i + 5].iter().all(u8::is_ascii_digit);
        let end = bytes.get(i + 5).is_none_or(|b| !b.is_ascii_alphanumeric());
        if boundary && matches!(lead, b'S' | b'T' | b'D' | b'U') && digits && end {
            return message[i..i + 5].to_string();
        }
    }
    String::new()
}

/// JSONata-style type names used in AWS's messages (`'array'`, `'object'`, ...).
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::roots::StaticRoots;
    use serde_json::json;

    fn eval(src: &str, input: Value) -> Result<Option<Value>, DataError> {
        let roots = StaticRoots {
            states: json!({ "input": input }),
            context: json!({"State": {"Name": "S"}}),
            ..StaticRoots::default()
        };
        Expression::compile(src).expect("compiles").evaluate(&roots)
    }

    #[test]
    fn reads_states_input_and_context() {
        assert_eq!(
            eval("$states.input.a + 1", json!({"a": 41})),
            Ok(Some(json!(42)))
        );
        assert_eq!(
            eval("$states.context.State.Name", json!({})),
            Ok(Some(json!("S")))
        );
        assert_eq!(
            eval("$states.input.a[1]", json!({"a": [1, 2]})),
            Ok(Some(json!(2)))
        );
        assert_eq!(eval("a", json!({"a": [1, 2]})), Ok(None));
    }

    #[test]
    fn undefined_is_none_and_errors_are_query_errors() {
        assert_eq!(eval("$nothing", json!({})), Ok(None));
        let err = eval("1 + 'a'", json!({})).expect_err("type error");
        assert_eq!(err.error, "States.QueryEvaluationError");
        assert!(err.message.contains("T2002"), "{}", err.message);
    }

    #[test]
    fn a_function_result_is_an_unsupported_result_type() {
        let roots = StaticRoots::default();
        let e = Expression::compile("function($x){$x}").expect("compiles");
        let err = e.evaluate_field(&roots, "Items").expect_err("a function");
        assert_eq!(err.error, "States.QueryEvaluationError");
        assert_eq!(
            err.message,
            "The JSONata expression 'function($x){$x}' for the field 'Items' returned an unsupported result type."
        );
        let err = Expression::compile("$uppercase")
            .expect("compiles")
            .evaluate(&roots)
            .expect_err("a function");
        assert_eq!(
            err.message,
            "The JSONata expression '$uppercase' returned an unsupported result type."
        );
    }

    #[test]
    fn variables_are_bound_by_name() {
        let mut roots = StaticRoots::default();
        roots.vars.insert("total".into(), json!(5));
        let e = Expression::compile("$total * 2").expect("compiles");
        assert_eq!(e.evaluate(&roots), Ok(Some(json!(10))));
    }

    #[test]
    fn syntax_errors_carry_code_and_position() {
        let err = Expression::compile("1 + (2").expect_err("unclosed");
        assert_eq!(err.code, "S0203");
        let err = Expression::compile("a ! b").expect_err("bad operator");
        assert_eq!(err.code, "S0204");
        assert_eq!(err.position, 3);
    }

    /// Found by the fuzzer: the error position was searched by parsing every prefix, and a
    /// chain 1 000 steps deep took 18 s to refuse (2 000 prefixes, each slow to parse).
    #[test]
    fn finding_a_syntax_error_position_is_bounded() {
        let deep = format!("$states.input{}", ".a".repeat(1000));
        let start = std::time::Instant::now();
        let err = Expression::compile(&deep).expect_err("too deep");
        assert_eq!((err.code.as_str(), err.position), ("U1002", 0));
        // Under the depth limit, a syntax error at the end of a long chain.
        let long = format!("$states.input{} ]", ".a".repeat(900));
        let err = Expression::compile(&long).expect_err("stray bracket");
        assert_eq!(err.position, 0, "past the budget the position is unknown");
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "took {:?}",
            start.elapsed()
        );
        // A short expression still gets its position.
        let err = Expression::compile("$states.input.a.b ]").expect_err("stray bracket");
        assert_eq!(err.position, 19);
    }

    #[test]
    fn integers_stay_integers() {
        assert_eq!(eval("2 * 3", json!(null)), Ok(Some(json!(6))));
        assert_eq!(eval("1 / 4", json!(null)), Ok(Some(json!(0.25))));
    }
}

#[cfg(test)]
mod quiet_tests {
    #[test]
    fn a_panic_in_the_engine_becomes_an_error_and_later_panics_print_again() {
        let caught = super::quietly(|| -> u8 { panic!("inside the engine") });
        assert!(caught.is_err());
        assert_eq!(super::QUIET.with(std::cell::Cell::get), 0);
        assert!(matches!(super::quietly(|| 7), Ok(7)));
    }
}
