//! Guards around three faults of the JSONata engine (jsonata-core 2.2.13) that hostile
//! expressions reach, found by the fuzzer (tests/fuzz.rs). Each keeps jsonata-js's answer,
//! which is what AWS runs:
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

thread_local! {
    /// The guarded `$pad`, made once per thread (function values are not `Send`).
    static PAD: Option<JValue> = make_guarded_pad();
}

/// `$pad` with the built-in's signature (`<s-ns?:s>`, the string taken from the context when
/// left out), refusing the widths jsonata-js cannot pad to and calling the built-in for the
/// rest. `$b` is the built-in itself, captured when the function is made.
fn make_guarded_pad() -> Option<JValue> {
    let source = format!(
        "function($s, $w, $c)<s-ns?:s>{{ ($w > {PAD_MAX} or $w < -{PAD_MAX}) \
         ? $error('Invalid string length') : $b($s, $w, $c) }}"
    );
    let ast = jsonata_core::parser::parse(&source).ok()?;
    let mut context = Context::new();
    context.bind("b".to_string(), JValue::builtin("pad"));
    let mut ev = Evaluator::with_options(context, Default::default());
    match ev.evaluate(&ast, &JValue::Undefined) {
        Ok(f @ JValue::Lambda(_)) => Some(f),
        _ => None,
    }
}

/// Binds `$pad` to the guarded function, for an expression that mentions `$pad`. A workflow
/// variable named `pad`, bound after this, still takes its place, as it does on AWS.
pub fn bind_guarded_pad(context: &mut Context) {
    if let Some(pad) = PAD.with(Clone::clone) {
        context.bind("pad".to_string(), pad);
    }
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
