//! Guards around the faults of the JSONata engine (jsonata-core 2.2.13) that hostile
//! expressions reach, found by the fuzzer (tests/fuzz.rs) and by review. Each keeps
//! jsonata-js's answer, which is what AWS runs:
//!
//! - **A range past 64-bit integers** (`[-18446744073709551616..18446744073709551615]`): the
//!   engine counts the range's size in `i64`, the count overflows to zero, its 10,000,000-element
//!   check passes and it allocates without end. jsonata-js counts in floating point and refuses
//!   it (D2014). At load, each range's operands are wrapped in two host functions: the first
//!   notes the left operand, the second checks the count against it as jsonata-js does, then
//!   the engine's own range operator runs on the same values.
//! - **`$pad` to an absurd width** (`$pad('abc', 9223372036854775807)`): the engine pads to
//!   the width saturated at `i32::MAX`, two billion characters. jsonata-js cannot build a
//!   string that long and throws ("Invalid string length"). An expression that mentions `$pad`
//!   gets `$pad` bound to a function with the built-in's own signature that refuses such
//!   widths and otherwise calls the built-in, so every way of calling it (directly, by
//!   reference, partially applied, passed to `$map`) goes through the check.
//! - **`$formatNumber` with a picture of more than 100 fractional digits**
//!   (`$formatNumber(1, '0.000…')`, 70,000 of them): the engine formats with Rust's `{:.N$}`,
//!   which panics past 65,535. jsonata-js calls `toFixed(N)`, which throws a `RangeError`
//!   past 100 ("toFixed() digits argument must be between 0 and 100"). An expression that
//!   mentions `$formatNumber` gets it bound to a function with the built-in's signature that
//!   counts the picture's fractional digits as jsonata-js does and refuses more than 100.
//! - **`$split` into more parts than memory holds** (`$split` of a 100 MB string on `''`):
//!   the engine collects every part before applying the limit and aborts when the allocation
//!   fails. An expression that mentions `$split` gets it bound to a function with the
//!   built-in's signature that splits on a string separator itself, stopping at the limit as
//!   JavaScript's `split` does, and refuses a result of more than [`SPLIT_MAX`] parts (the
//!   size jsonata-js allows a range); a regular expression or a matcher function goes to the
//!   built-in only when the string is short enough that its parts fit.
//! - **A long chain of closures** (`[1..300000][$x := function() { $x }]`): each closure
//!   captures the previous one, and dropping the chain recurses once per link, past the end of
//!   the stack. An expression that can make function values therefore runs on a stack of its
//!   own, large enough for any chain the evaluation time bound lets it build.

use jsonata_core::ast::{AstNode, BinaryOp, Stage};
use jsonata_core::evaluator::{Context, Evaluator, EvaluatorError};
use jsonata_core::value::JValue;
use std::cell::RefCell;
use std::rc::Rc;

/// The host functions a range's operands are wrapped in. The names hold spaces, which no
/// `$name` in an expression can, so a user's variable can never hide them.
const RANGE_FROM: &str = "asl range from";
const RANGE_TO: &str = "asl range to";

/// jsonata-js's limit on a range's size, and the engine's message for going past it.
const RANGE_MAX: f64 = 1e7;
const RANGE_TOO_LARGE: &str = "D2014: Range operator results in too many elements (> 10,000,000)";

/// The longest string V8 (jsonata-js under Node.js) can build, in UTF-16 units on 64-bit
/// hosts: `$pad` to a wider width throws there.
const PAD_MAX: u64 = 536_870_888;

/// The most fractional digits JavaScript's `toFixed` formats (jsonata-js's `$formatNumber`
/// formats through it), and its message past them.
const FIXED_MAX: usize = 100;
const FIXED_TOO_MANY: &str = "toFixed() digits argument must be between 0 and 100";

/// The most parts a `$split` may give (as many elements as jsonata-js allows a range).
pub const SPLIT_MAX: usize = 10_000_000;

/// The host functions the guarded `$split` and `$formatNumber` call (names no `$name` can
/// reach, as for the range guards).
const SPLIT_STRING: &str = "asl split string";
const SPLIT_CHECK: &str = "asl split check";
const PICTURE_DIGITS: &str = "asl picture digits";

/// The stack an expression that makes function values runs on. Dropping one link of a chain
/// of closures takes about 100 bytes of stack (release build); the 10 s evaluation bound lets
/// an expression build about 3,000,000 links on the machine this was measured on, so 1 GiB
/// leaves room for machines several times faster. Only the pages used are ever touched.
const FUNCTION_STACK: usize = 1 << 30;

/// What the load-time pass found in an expression.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hardening {
    /// It holds a range (`..`), whose operands were wrapped.
    pub ranges: bool,
    /// It can make a function value (a `function`, a partial application, a composition or a
    /// transform), so it may build a chain of closures.
    pub makes_functions: bool,
}

/// Wraps every range's operands and notes what else the expression does. Iterative, so an
/// expression as deep as the parser allows cannot exhaust the stack here.
pub fn harden(ast: &mut AstNode) -> Hardening {
    let mut found = Hardening::default();
    let mut stack: Vec<&mut AstNode> = vec![ast];
    while let Some(node) = stack.pop() {
        match node {
            AstNode::String(_)
            | AstNode::Name(_)
            | AstNode::Number(_)
            | AstNode::Boolean(_)
            | AstNode::Null
            | AstNode::Undefined
            | AstNode::Regex { .. }
            | AstNode::Variable(_)
            | AstNode::ParentVariable(_)
            | AstNode::Wildcard
            | AstNode::Descendant
            | AstNode::Parent(_) => {}
            AstNode::Placeholder => found.makes_functions = true,
            AstNode::Binary { op, lhs, rhs } => {
                if *op == BinaryOp::Range {
                    found.ranges = true;
                    wrap(lhs, RANGE_FROM);
                    wrap(rhs, RANGE_TO);
                }
                // `x ~> $f(...)` applies `$f`; with anything else on the right, two functions
                // may be composed into a third.
                if *op == BinaryOp::ChainPipe && !is_call(rhs) {
                    found.makes_functions = true;
                }
                stack.push(lhs);
                stack.push(rhs);
            }
            AstNode::Unary { operand, .. } => stack.push(operand),
            AstNode::Function { args, .. } => stack.extend(args.iter_mut()),
            AstNode::Call { procedure, args } => {
                stack.push(procedure);
                stack.extend(args.iter_mut());
            }
            AstNode::Lambda { body, .. } => {
                found.makes_functions = true;
                stack.push(body);
            }
            AstNode::Array(items) | AstNode::Block(items) | AstNode::ArrayGroup(items) => {
                stack.extend(items.iter_mut());
            }
            AstNode::Object(pairs) => {
                for (key, value) in pairs {
                    stack.push(key);
                    stack.push(value);
                }
            }
            AstNode::ObjectTransform { input, pattern } => {
                stack.push(input);
                for (key, value) in pattern {
                    stack.push(key);
                    stack.push(value);
                }
            }
            AstNode::Conditional {
                condition,
                then_branch,
                else_branch,
            } => {
                stack.push(condition);
                stack.push(then_branch);
                if let Some(e) = else_branch {
                    stack.push(e);
                }
            }
            AstNode::FunctionApplication(inner) => {
                found.makes_functions = true;
                stack.push(inner);
            }
            AstNode::Sort { input, terms } => {
                stack.push(input);
                stack.extend(terms.iter_mut().map(|(term, _)| term));
            }
            AstNode::Transform {
                location,
                update,
                delete,
            } => {
                found.makes_functions = true;
                stack.push(location);
                stack.push(update);
                if let Some(d) = delete {
                    stack.push(d);
                }
            }
            AstNode::Path { steps } => {
                for step in steps {
                    for stage in &mut step.stages {
                        if let Stage::Filter(filter) = stage {
                            stack.push(filter);
                        }
                    }
                    stack.push(&mut step.node);
                }
            }
        }
    }
    found
}

/// Whether `node` is a call by name, alone or heading a path (`$f(x)[0]`).
fn is_call(node: &AstNode) -> bool {
    match node {
        AstNode::Function { .. } => true,
        AstNode::Path { steps } => steps
            .first()
            .is_some_and(|s| matches!(s.node, AstNode::Function { .. })),
        _ => false,
    }
}

/// Replaces `operand` with a call of the host function `name` on it.
fn wrap(operand: &mut Box<AstNode>, name: &str) {
    let inner = std::mem::replace(operand.as_mut(), AstNode::Null);
    **operand = AstNode::Function {
        name: name.to_string(),
        args: vec![inner],
        is_builtin: true,
    };
}

/// The integer a range operand gives, when it is one: anything else the engine's own range
/// operator refuses or reads as an empty range, as before.
fn integer(v: Option<&JValue>) -> Option<f64> {
    match v {
        Some(JValue::Number(n)) if n.fract() == 0.0 => Some(*n),
        _ => None,
    }
}

/// Registers the two range guards. The engine evaluates a range's left operand, then its
/// right, then applies the operator; a range inside an operand finishes in between, so the
/// left operands wait on a stack.
pub fn register_range_guards(ev: &mut Evaluator) -> Result<(), EvaluatorError> {
    let lefts: Rc<RefCell<Vec<Option<f64>>>> = Rc::default();
    let pushed = Rc::clone(&lefts);
    ev.register_fn(RANGE_FROM, move |args: &[JValue]| {
        pushed.borrow_mut().push(integer(args.first()));
        Ok(args.first().cloned().unwrap_or(JValue::Undefined))
    })?;
    ev.register_fn(RANGE_TO, move |args: &[JValue]| {
        let left = lefts.borrow_mut().pop().flatten();
        if let (Some(from), Some(to)) = (left, integer(args.first()))
            && to - from + 1.0 > RANGE_MAX
        {
            return Err(EvaluatorError::EvaluationError(RANGE_TOO_LARGE.into()));
        }
        Ok(args.first().cloned().unwrap_or(JValue::Undefined))
    })
}

/// A built-in bound to a guard: a JSONata function with the built-in's signature, made once
/// per thread (function values are not `Send`). `$b` in it is the built-in itself, and each
/// `(name, host function)` pair binds a host function by a name no expression can write.
fn make_guard(source: &str, builtin: &str, hosts: &[(&str, &str)]) -> Option<JValue> {
    let ast = jsonata_core::parser::parse(source).ok()?;
    let mut context = Context::new();
    context.bind("b".to_string(), JValue::builtin(builtin));
    for (name, host) in hosts {
        context.bind((*name).to_string(), JValue::builtin(*host));
    }
    let mut ev = Evaluator::with_options(context, Default::default());
    match ev.evaluate(&ast, &JValue::Undefined) {
        Ok(f @ JValue::Lambda(_)) => Some(f),
        _ => None,
    }
}

thread_local! {
    /// The guarded `$pad`, `$formatNumber` and `$split`.
    static PAD: Option<JValue> = make_guarded_pad();
    static FORMAT_NUMBER: Option<JValue> = make_guard(
        "function($v, $p, $o)<n-so?:s>{ ($d($p, $o); $b($v, $p, $o)) }",
        "formatNumber",
        &[("d", PICTURE_DIGITS)],
    );
    static SPLIT: Option<JValue> = make_guard(
        "function($s, $p, $l)<s-(sf)n?:a<s>>{ \
           $type($p) = 'string' and ($not($exists($l)) or $l >= 0) ? $g($s, $p, $l) \
           : ($c($s); $b($s, $p, $l)) }",
        "split",
        &[("g", SPLIT_STRING), ("c", SPLIT_CHECK)],
    );
}

/// `$pad` with the built-in's signature (`<s-ns?:s>`, the string taken from the context when
/// left out), refusing the widths jsonata-js cannot pad to and calling the built-in for the
/// rest.
fn make_guarded_pad() -> Option<JValue> {
    make_guard(
        &format!(
            "function($s, $w, $c)<s-ns?:s>{{ ($w > {PAD_MAX} or $w < -{PAD_MAX}) \
             ? $error('Invalid string length') : $b($s, $w, $c) }}"
        ),
        "pad",
        &[],
    )
}

fn split_too_many() -> EvaluatorError {
    EvaluatorError::EvaluationError(format!(
        "$split: the result would have more than {SPLIT_MAX} parts"
    ))
}

/// Binds `$pad` to the guarded function, for an expression that mentions `$pad`. A workflow
/// variable named `pad`, bound after this, still takes its place, as it does on AWS.
pub fn bind_guarded_pad(context: &mut Context) {
    if let Some(pad) = PAD.with(Clone::clone) {
        context.bind("pad".to_string(), pad);
    }
}

/// Binds `$formatNumber` to the guarded function; the evaluator needs
/// [`register_format_number_guard`].
pub fn bind_guarded_format_number(context: &mut Context) {
    if let Some(f) = FORMAT_NUMBER.with(Clone::clone) {
        context.bind("formatNumber".to_string(), f);
    }
}

/// Binds `$split` to the guarded function; the evaluator needs [`register_split_guard`].
pub fn bind_guarded_split(context: &mut Context) {
    if let Some(f) = SPLIT.with(Clone::clone) {
        context.bind("split".to_string(), f);
    }
}

/// The first character of a string option of `$formatNumber`, or `default`.
fn option_char(options: Option<&JValue>, key: &str, default: char) -> char {
    match options {
        Some(JValue::Object(o)) => match o.get(key) {
            Some(JValue::String(s)) => s.chars().next().unwrap_or(default),
            _ => default,
        },
        _ => default,
    }
}

/// How many fractional digits a `$formatNumber` picture asks for, as jsonata-js counts them
/// (`maximumFactionalPartSize`): in each sub-picture, the decimal digits (of the zero digit's
/// family) and digit signs after the decimal separator; the largest of the sub-pictures.
fn picture_digits(picture: &str, options: Option<&JValue>) -> usize {
    let decimal = option_char(options, "decimal-separator", '.');
    let zero = option_char(options, "zero-digit", '0');
    let digit = option_char(options, "digit", '#');
    let separator = option_char(options, "pattern-separator", ';');
    let is_digit = |c: char| {
        c == digit || (u32::from(c) >= u32::from(zero) && u32::from(c) <= u32::from(zero) + 9)
    };
    picture
        .split(separator)
        .map(|sub| match sub.split_once(decimal) {
            Some((_, fraction)) => fraction.chars().filter(|c| is_digit(*c)).count(),
            None => 0,
        })
        .max()
        .unwrap_or(0)
}

/// `$split` on a string separator: JavaScript's `split` (an empty separator gives each
/// character; a limit stops early, nothing past it is made), refusing more than [`SPLIT_MAX`]
/// parts.
fn split_string(args: &[JValue]) -> Result<JValue, EvaluatorError> {
    let (Some(JValue::String(s)), Some(JValue::String(sep))) = (args.first(), args.get(1)) else {
        return Ok(JValue::Undefined);
    };
    let limit = match args.get(2) {
        Some(JValue::Number(n)) if *n >= 0.0 => Some(n.floor() as usize),
        _ => None,
    };
    let take = limit.unwrap_or(usize::MAX);
    let mut parts = Vec::new();
    let mut push = |p: &str| -> Result<(), EvaluatorError> {
        if parts.len() >= SPLIT_MAX {
            return Err(split_too_many());
        }
        parts.push(JValue::string(p));
        Ok(())
    };
    if sep.is_empty() {
        let mut buf = [0u8; 4];
        for c in s.chars().take(take) {
            push(c.encode_utf8(&mut buf))?;
        }
    } else {
        for p in s.split(&**sep).take(take) {
            push(p)?;
        }
    }
    Ok(JValue::array(parts))
}

/// Registers the host functions the guarded `$split` calls: the split on a string separator,
/// and for the built-in's other separators (a regular expression, a matcher function), a check
/// that the string has fewer characters than [`SPLIT_MAX`], so its parts fit whatever matches.
pub fn register_split_guard(ev: &mut Evaluator) -> Result<(), EvaluatorError> {
    ev.register_fn(SPLIT_STRING, split_string)?;
    ev.register_fn(SPLIT_CHECK, |args: &[JValue]| match args.first() {
        Some(JValue::String(s)) if s.len() >= SPLIT_MAX && s.chars().count() >= SPLIT_MAX => {
            Err(split_too_many())
        }
        _ => Ok(JValue::Undefined),
    })
}

/// Registers the host function the guarded `$formatNumber` calls: it refuses a picture with
/// more fractional digits than JavaScript's `toFixed` formats, with `toFixed`'s message (a
/// `RangeError` in jsonata-js, so no JSONata code).
pub fn register_format_number_guard(ev: &mut Evaluator) -> Result<(), EvaluatorError> {
    ev.register_fn(PICTURE_DIGITS, |args: &[JValue]| match args.first() {
        Some(JValue::String(p)) if picture_digits(p, args.get(1)) > FIXED_MAX => {
            Err(EvaluatorError::EvaluationError(FIXED_TOO_MANY.to_string()))
        }
        _ => Ok(JValue::Undefined),
    })
}

/// Runs `f` on a stack of its own when the expression can make function values: the values
/// it makes are dropped inside `f`, on that stack. Where no such stack can be had (an
/// address-space limit, a host that refuses the reservation), `f` runs where it is.
pub fn with_function_stack<R>(found: Hardening, f: impl FnOnce() -> R) -> R {
    if !found.makes_functions {
        return f();
    }
    let size = function_stack_size();
    if size == 0 {
        return f();
    }
    let mut f = Some(f);
    let grown = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        stacker::grow(size, || f.take().map(|f| f()))
    }));
    match (grown, f.take()) {
        (Ok(Some(r)), _) => r,
        // The stack was not made, so `f` never ran.
        (_, Some(f)) => f(),
        (Ok(None), None) => unreachable!("`f` ran on the new stack and returned"),
        (Err(panic), None) => std::panic::resume_unwind(panic),
    }
}

/// [`FUNCTION_STACK`], or an eighth of the address space a `ulimit -v` leaves, whichever is
/// smaller; 0 (no stack of its own) below 16 MiB.
fn function_stack_size() -> usize {
    static SIZE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *SIZE.get_or_init(|| {
        let size = address_space_limit().map_or(FUNCTION_STACK, |limit| {
            FUNCTION_STACK.min(usize::try_from(limit / 8).unwrap_or(usize::MAX))
        });
        if size < 16 << 20 { 0 } else { size }
    })
}

#[cfg(unix)]
fn address_space_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the limit into the struct it is given.
    let read = unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut limit) } == 0;
    // `rlim_t` is `u64` on the hosts we build for, but not by definition.
    #[allow(clippy::unnecessary_cast)]
    let current = limit.rlim_cur as u64;
    (read && limit.rlim_cur != libc::RLIM_INFINITY).then_some(current)
}

#[cfg(not(unix))]
fn address_space_limit() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::super::Expression;
    use crate::data::roots::StaticRoots;
    use serde_json::{Value, json};

    fn eval(src: &str, bindings: Value) -> Result<Option<Value>, String> {
        let Value::Object(bindings) = bindings else {
            panic!("bindings are an object")
        };
        Expression::compile(src)
            .map_err(|e| e.to_string())?
            .evaluate_document(None, &bindings, &StaticRoots::default())
            .map_err(|e| e.to_string())
    }

    fn value(src: &str) -> Value {
        eval(src, json!({})).expect("evaluates").expect("defined")
    }

    fn error(src: &str) -> String {
        eval(src, json!({})).expect_err("fails")
    }

    #[test]
    fn ranges_keep_their_meaning_when_nested() {
        assert_eq!(value("[1..([5..6][0])]"), json!([1, 2, 3, 4, 5]));
        assert_eq!(value("[([1..2][1])..3]"), json!([2, 3]));
        assert_eq!(value("[[1..2], [3..4]]"), json!([[1, 2], [3, 4]]));
        assert_eq!(value("[0..2].[$..2]"), json!([[0, 1, 2], [1, 2], [2]]));
        assert_eq!(value("[5..1]"), json!([]));
        assert_eq!(eval("[1..$nothing]", json!({})), Ok(Some(json!([]))));
    }

    #[test]
    fn ranges_refuse_what_jsonata_js_refuses() {
        assert!(error("[1..10000001]").starts_with("D2014"));
        assert!(error("[-1e19..1e19]").starts_with("D2014"));
        assert_eq!(value("[-1e19..-1e19]"), json!([-9223372036854775808.0]));
        // The engine's own type checks still come first.
        assert!(error("['a'..1e19]").starts_with("T2003"));
        assert!(error("[1.5..2]").starts_with("T2003"));
        assert!(error("[1..'b']").starts_with("T2004"));
    }

    #[test]
    fn pad_is_the_built_in_below_the_limit() {
        assert_eq!(value("$pad('abc', 6)"), json!("abc   "));
        assert_eq!(value("$pad('abc', -6, '#')"), json!("###abc"));
        assert_eq!(value("$pad('abc', 5, 'xy')"), json!("abcxy"));
        assert_eq!(value("$pad('abc', 2)"), json!("abc"));
        assert_eq!(value("($p := $pad; $p('x', 3, '-'))"), json!("x--"));
        assert_eq!(
            value("$map(['a', 'bb'], $pad(?, 3, '.'))"),
            json!(["a..", "bb."])
        );
        assert_eq!(value("$type($pad)"), json!("function"));
        assert!(error("$pad(1, 2)").starts_with("T0410"));
        assert!(error("$pad('abc', 536870889)").contains("Invalid string length"));
        assert!(error("$pad('abc', -536870889)").contains("Invalid string length"));
    }

    #[test]
    fn a_variable_named_pad_is_the_variable() {
        let got = eval("$pad", json!({"pad": 7}));
        assert_eq!(got, Ok(Some(json!(7))));
    }

    #[test]
    fn expressions_that_make_functions_are_found() {
        let makes = |src: &str| {
            let mut ast = jsonata_core::parser::parse(src).expect("parses");
            super::harden(&mut ast).makes_functions
        };
        assert!(makes("$map([1], function($v) { $v })"));
        assert!(makes("$f := $substring(?, 1)"));
        assert!(makes("$uppercase ~> $trim"));
        assert!(makes("[1..9][$x := $x ~> $trim]"));
        assert!(!makes("$states.input.name ~> $uppercase()"));
        assert!(!makes("$states.input.name ~> $substringAfter('-')"));
        assert!(makes("$ ~> |a|{'b': 1}|"));
        assert!(!makes("$states.input.items[price > 3].name"));
    }

    #[test]
    fn a_long_chain_of_closures_drops_without_overflowing() {
        // 100,000 links overflowed the 8 MiB main stack before; a test thread has 2 MiB.
        let src = "$count([1..100000][$x := function() { $x }])";
        assert_eq!(value(src), json!(0));
    }
}

#[cfg(test)]
mod guard_tests {
    use super::super::Expression;
    use crate::data::roots::StaticRoots;
    use jsonata_core::evaluator::{Context, Evaluator};
    use jsonata_core::value::JValue;

    /// The engine's own answer, without any guard: the value as JSON text, or the error's code.
    fn builtin(src: &str) -> String {
        let ast = jsonata_core::parser::parse(src).expect("parses");
        let mut ev = Evaluator::with_options(Context::new(), Default::default());
        match ev.evaluate(&ast, &JValue::Undefined) {
            Ok(v) => super::super::from_jvalue(&v).map_or("undefined".into(), |v| v.to_string()),
            Err(e) => super::super::error_code(&e.to_string()).to_string(),
        }
    }

    /// The guarded answer, in the same terms.
    fn guarded(src: &str) -> String {
        match Expression::compile(src)
            .expect("compiles")
            .evaluate_document(None, &Default::default(), &StaticRoots::default())
        {
            Ok(v) => v.map_or("undefined".into(), |v| v.to_string()),
            Err(e) => e.code,
        }
    }

    #[test]
    fn every_guard_is_made() {
        // A guard whose source did not parse would silently leave the built-in unguarded.
        assert!(super::PAD.with(Option::is_some));
        assert!(super::FORMAT_NUMBER.with(Option::is_some));
        assert!(super::SPLIT.with(Option::is_some));
    }

    #[test]
    fn guarded_split_and_format_number_answer_as_the_built_ins_below_their_limits() {
        for src in [
            r#"$split("a,b,c", ",")"#,
            r#"$split("a,b,c", ",", 2)"#,
            r#"$split("a,b,c", ",", 0)"#,
            r#"$split("a,b,c", ",", 1.7)"#,
            r#"$split("a,b,c", ",", -1)"#,
            r#"$split("héllo", "")"#,
            r#"$split("héllo", "", 2)"#,
            r#"$split("", ",")"#,
            r#"$split("", "")"#,
            r#"$split(",a,", ",")"#,
            r#"$split("a1b22c", /\d+/)"#,
            r#"$split("a1b22c", /\d/, 2)"#,
            r#"$split(nothing, ",")"#,
            r#"$split(1, ",")"#,
            r#"$split("a", null)"#,
            r#"$split("a", ",", "x")"#,
            r#""a b" ~> $split(" ")"#,
            r#"$map(["a-b", "c"], $split(?, "-"))"#,
            r#"["x y", "z"].$split(" ")"#,
            "$formatNumber(12.345, '#,##0.00')",
            "$formatNumber(0.25, '0.0')",
            "$formatNumber(-1234.5, '#,##0.0;(#)')",
            "$formatNumber(1234.5, '#.##0,00', {'decimal-separator': ',', 'grouping-separator': '.'})",
            "$formatNumber(0.5, '0%')",
            "$formatNumber(1e10, '0.0e0')",
            "$formatNumber(nothing, '0')",
            "$formatNumber('x', '0')",
            "$formatNumber(1)",
            "$formatNumber(1, '0;0;0')",
        ] {
            assert_eq!(guarded(src), builtin(src), "{src}");
        }
        let hundred = format!("$formatNumber(1, '0.{}')", "0".repeat(100));
        assert_eq!(guarded(&hundred), builtin(&hundred));
    }

    #[test]
    fn format_number_refuses_more_fractional_digits_than_to_fixed_formats() {
        // Pins: a 70,000-digit picture panicked inside the engine (Rust's `{:.N$}` stops at
        // 65,535), printing panic text before the clean error. jsonata-js's `toFixed` refuses
        // more than 100 digits.
        for digits in [101, 70_000] {
            let src = format!("$formatNumber(1, '0.{}')", "0".repeat(digits));
            let e = Expression::compile(&src)
                .expect("compiles")
                .evaluate_document(None, &Default::default(), &StaticRoots::default())
                .expect_err("refused");
            assert!(e.code.is_empty(), "{e:?}");
            assert!(
                e.message
                    .contains("toFixed() digits argument must be between 0 and 100"),
                "{e:?}"
            );
        }
        // Digit signs count, and so do the digits of a zero-digit family given in options.
        let hashes = format!("$formatNumber(1, '0.{}')", "#".repeat(101));
        assert_eq!(guarded(&hashes), "");
        assert_eq!(super::picture_digits("0.00;0.000", None), 3);
        assert_eq!(super::picture_digits("0.00 'x'", None), 2);
    }

    #[test]
    fn split_refuses_more_parts_than_the_bound_and_stops_at_the_limit() {
        // Pins: `$split` of a 100 MB string aborted the process when its parts could not be
        // allocated. The parts are bounded; a limit stops the split, as JavaScript's does.
        let mut bindings = serde_json::Map::new();
        bindings.insert("big".into(), "a".repeat(super::SPLIT_MAX + 1).into());
        let run = |src: &str| {
            Expression::compile(src)
                .expect("compiles")
                .evaluate_document(None, &bindings, &StaticRoots::default())
        };
        let e = run("$split($big, '')").expect_err("refused");
        assert!(e.message.contains("more than 10000000 parts"), "{e:?}");
        let e = run("$split($big, /a/)").expect_err("refused");
        assert!(e.message.contains("more than 10000000 parts"), "{e:?}");
        assert_eq!(
            run("$split($big, '', 3)"),
            Ok(Some(serde_json::json!(["a", "a", "a"])))
        );
    }
}
