//! Choice rules, compiled: the comparison operators (and their `Path` forms), `Is*` tests,
//! `And`/`Or`/`Not`, and JSONata `Condition`s ("Choice Rules" in the ASL specification).

use super::jsonata::Expression;
use super::jsonpath::Path;
use super::roots::{DataError, ReadError, Roots, read};
use super::timestamp;
use serde_json::Value;
use std::cmp::Ordering;

#[derive(Debug, Clone)]
pub enum Rule {
    And(Vec<Rule>),
    Or(Vec<Rule>),
    Not(Box<Rule>),
    Compare {
        variable: Path,
        op: Op,
        operand: Operand,
    },
    /// A JSONata `Condition`; it must evaluate to a boolean.
    Condition(Expression),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Numeric,
    Boolean,
    Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Equals,
    LessThan,
    GreaterThan,
    LessThanEquals,
    GreaterThanEquals,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Test {
    IsNull,
    IsPresent,
    IsNumeric,
    IsString,
    IsBoolean,
    IsTimestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Compare(Kind, Cmp),
    /// `StringMatches`, with the pattern split into literal pieces around `*`.
    Matches,
    Is(Test),
}

#[derive(Debug, Clone)]
pub enum Operand {
    Value(Value),
    Path(Path),
    Pattern(Pattern),
    Flag(bool),
}

impl Op {
    /// Resolves an operator name (`NumericLessThanEqualsPath`) into the operator and whether
    /// its operand is a path.
    pub fn from_name(name: &str) -> Option<(Op, bool)> {
        let (base, is_path) = match name.strip_suffix("Path") {
            Some(b) if !b.is_empty() && b != "IsPresent" => (b, true),
            _ => (name, false),
        };
        let test = match base {
            "IsNull" => Some(Test::IsNull),
            "IsPresent" => Some(Test::IsPresent),
            "IsNumeric" => Some(Test::IsNumeric),
            "IsString" => Some(Test::IsString),
            "IsBoolean" => Some(Test::IsBoolean),
            "IsTimestamp" => Some(Test::IsTimestamp),
            _ => None,
        };
        if let Some(t) = test {
            return if is_path {
                None
            } else {
                Some((Op::Is(t), false))
            };
        }
        if base == "StringMatches" {
            return if is_path {
                None
            } else {
                Some((Op::Matches, false))
            };
        }
        let kinds = [
            ("String", Kind::String),
            ("Numeric", Kind::Numeric),
            ("Boolean", Kind::Boolean),
            ("Timestamp", Kind::Timestamp),
        ];
        let cmps = [
            ("Equals", Cmp::Equals),
            ("LessThanEquals", Cmp::LessThanEquals),
            ("GreaterThanEquals", Cmp::GreaterThanEquals),
            ("LessThan", Cmp::LessThan),
            ("GreaterThan", Cmp::GreaterThan),
        ];
        for (kp, k) in kinds {
            if let Some(rest) = base.strip_prefix(kp) {
                if k == Kind::Boolean && rest != "Equals" {
                    return None;
                }
                for (cp, c) in cmps {
                    if rest == cp {
                        return Some((Op::Compare(k, c), is_path));
                    }
                }
            }
        }
        None
    }
}

/// A `StringMatches` pattern: `*` matches any run of characters; `\*` and `\\` are literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// Literal pieces between unescaped `*`.
    pieces: Vec<String>,
}

impl Pattern {
    pub fn compile(p: &str) -> Pattern {
        let mut pieces = vec![String::new()];
        let mut chars = p.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(e) => pieces.last_mut().map(|s| s.push(e)).unwrap_or(()),
                    None => pieces.last_mut().map(|s| s.push('\\')).unwrap_or(()),
                },
                '*' => pieces.push(String::new()),
                c => pieces.last_mut().map(|s| s.push(c)).unwrap_or(()),
            }
        }
        Pattern { pieces }
    }

    pub fn matches(&self, s: &str) -> bool {
        let n = self.pieces.len();
        let first = &self.pieces[0];
        if n == 1 {
            return s == first;
        }
        let Some(mut rest) = s.strip_prefix(first.as_str()) else {
            return false;
        };
        let last = &self.pieces[n - 1];
        for piece in &self.pieces[1..n - 1] {
            match rest.find(piece.as_str()) {
                Some(i) => rest = &rest[i + piece.len()..],
                None => return false,
            }
        }
        rest.len() >= last.len() && rest.ends_with(last.as_str())
    }
}

impl Rule {
    /// Evaluates the rule. Reading a `Variable` that is not there makes every operator but
    /// `IsPresent` false; a `...Path` operand that is not there is a `States.Runtime` error.
    pub fn eval(&self, roots: &dyn Roots) -> Result<bool, DataError> {
        match self {
            Rule::And(rs) => {
                for r in rs {
                    if !r.eval(roots)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Rule::Or(rs) => {
                for r in rs {
                    if r.eval(roots)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Rule::Not(r) => Ok(!r.eval(roots)?),
            Rule::Condition(expr) => match expr.evaluate(roots)? {
                Some(Value::Bool(b)) => Ok(b),
                other => Err(DataError::query(format!(
                    "The JSONata expression '{}' specified for the field 'Condition' returned an unexpected result type. Expected 'boolean', but was '{}' for value: {}",
                    expr.source(),
                    other
                        .as_ref()
                        .map(super::jsonata::type_name)
                        .unwrap_or("undefined"),
                    other.map(|v| v.to_string()).unwrap_or_default()
                ))),
            },
            Rule::Compare {
                variable,
                op,
                operand,
            } => {
                let value = match read(variable, roots) {
                    Ok(v) => Some(v),
                    Err(ReadError::Miss(_)) => None,
                    Err(ReadError::Unsupported(m)) => {
                        return Err(DataError::runtime(format!(
                            "Invalid path '{variable}' : {m}"
                        )));
                    }
                    Err(ReadError::UndefinedVariable(name)) => {
                        return Err(DataError::runtime(format!(
                            "The choice rule's Variable '{variable}' references the undefined variable '{name}'"
                        )));
                    }
                };
                if let Op::Is(t) = op {
                    let Operand::Flag(expected) = operand else {
                        return Ok(false);
                    };
                    return Ok(test(*t, value.as_deref()) == *expected);
                }
                let Some(value) = value else {
                    return Err(DataError::runtime(format!(
                        "Invalid path '{variable}': The choice state's condition path references an invalid value."
                    )));
                };
                match (op, operand) {
                    (Op::Matches, Operand::Pattern(p)) => {
                        Ok(value.as_str().is_some_and(|s| p.matches(s)))
                    }
                    (Op::Compare(kind, cmp), Operand::Value(v)) => {
                        Ok(compare(*kind, *cmp, &value, v))
                    }
                    (Op::Compare(kind, cmp), Operand::Path(p)) => {
                        let other = read(p, roots).map_err(|_| {
                            DataError::runtime(format!(
                                "Invalid path '{p}': The choice state's condition path references an invalid value."
                            ))
                        })?;
                        Ok(compare(*kind, *cmp, &value, &other))
                    }
                    _ => Ok(false),
                }
            }
        }
    }
}

fn test(t: Test, v: Option<&Value>) -> bool {
    match t {
        Test::IsPresent => v.is_some(),
        Test::IsNull => matches!(v, Some(Value::Null)),
        Test::IsNumeric => matches!(v, Some(Value::Number(_))),
        Test::IsString => matches!(v, Some(Value::String(_))),
        Test::IsBoolean => matches!(v, Some(Value::Bool(_))),
        Test::IsTimestamp => matches!(v, Some(Value::String(s)) if timestamp::parse(s).is_some()),
    }
}

fn compare(kind: Kind, cmp: Cmp, a: &Value, b: &Value) -> bool {
    let ord = match (kind, a, b) {
        (Kind::String, Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Kind::Numeric, Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => Some(x.cmp(&y)),
            _ => x
                .as_f64()
                .zip(y.as_f64())
                .and_then(|(x, y)| x.partial_cmp(&y)),
        },
        (Kind::Boolean, Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Kind::Timestamp, Value::String(x), Value::String(y)) => {
            match (timestamp::parse(x), timestamp::parse(y)) {
                (Some(x), Some(y)) => Some(x.cmp(&y)),
                _ => None,
            }
        }
        _ => None,
    };
    let Some(ord) = ord else { return false };
    match cmp {
        Cmp::Equals => ord == Ordering::Equal,
        Cmp::LessThan => ord == Ordering::Less,
        Cmp::GreaterThan => ord == Ordering::Greater,
        Cmp::LessThanEquals => ord != Ordering::Greater,
        Cmp::GreaterThanEquals => ord != Ordering::Less,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::roots::StaticRoots;
    use serde_json::json;

    fn rule(var: &str, op: &str, operand: Value) -> Rule {
        let (op, is_path) = Op::from_name(op).unwrap();
        let operand = match (&op, is_path, operand) {
            (_, true, Value::String(p)) => Operand::Path(Path::parse(&p).unwrap()),
            (Op::Matches, _, Value::String(p)) => Operand::Pattern(Pattern::compile(&p)),
            (Op::Is(_), _, Value::Bool(b)) => Operand::Flag(b),
            (_, _, v) => Operand::Value(v),
        };
        Rule::Compare {
            variable: Path::parse(var).unwrap(),
            op,
            operand,
        }
    }

    fn eval(r: &Rule, input: Value) -> Result<bool, DataError> {
        r.eval(&StaticRoots {
            input,
            ..Default::default()
        })
    }

    #[test]
    fn operator_names_resolve() {
        assert_eq!(
            Op::from_name("NumericLessThanEqualsPath"),
            Some((Op::Compare(Kind::Numeric, Cmp::LessThanEquals), true))
        );
        assert_eq!(
            Op::from_name("IsPresent"),
            Some((Op::Is(Test::IsPresent), false))
        );
        assert_eq!(Op::from_name("BooleanLessThan"), None);
        assert_eq!(Op::from_name("StringMatchesPath"), None);
        assert_eq!(Op::from_name("Nope"), None);
    }

    #[test]
    fn comparisons_need_matching_types() {
        let r = rule("$.v", "NumericEquals", json!(1));
        assert!(eval(&r, json!({"v": 1.0})).unwrap());
        assert!(!eval(&r, json!({"v": "1"})).unwrap());
        let r = rule("$.v", "StringLessThan", json!("b"));
        assert!(eval(&r, json!({"v": "a"})).unwrap());
        let r = rule("$.v", "BooleanEqualsPath", json!("$.w"));
        assert!(eval(&r, json!({"v": true, "w": true})).unwrap());
        assert!(eval(&r, json!({"v": true})).is_err());
    }

    /// Every comparison operator and its `Path` twin, on a value below, equal to and above
    /// the operand.
    #[test]
    fn every_comparison_operator_and_its_path_variant() {
        let samples = [
            ("String", json!("b"), [json!("a"), json!("b"), json!("c")]),
            ("Numeric", json!(2), [json!(1.5), json!(2.0), json!(3)]),
            (
                "Timestamp",
                json!("2020-01-02T00:00:00Z"),
                [
                    json!("2020-01-01T00:00:00Z"),
                    json!("2020-01-02T01:00:00+01:00"),
                    json!("2020-01-03T00:00:00Z"),
                ],
            ),
        ];
        // (operator, holds for below, equal, above)
        let table = [
            ("Equals", [false, true, false]),
            ("LessThan", [true, false, false]),
            ("LessThanEquals", [true, true, false]),
            ("GreaterThan", [false, false, true]),
            ("GreaterThanEquals", [false, true, true]),
        ];
        for (kind, operand, values) in &samples {
            for (cmp, expected) in &table {
                let name = format!("{kind}{cmp}");
                let plain = rule("$.v", &name, operand.clone());
                let path = rule("$.v", &format!("{name}Path"), json!("$.w"));
                for (v, want) in values.iter().zip(expected) {
                    assert_eq!(eval(&plain, json!({"v": v})), Ok(*want), "{name} {v}");
                    let doc = json!({"v": v, "w": operand});
                    assert_eq!(eval(&path, doc), Ok(*want), "{name}Path {v}");
                }
            }
        }
        let b = rule("$.v", "BooleanEquals", json!(true));
        assert_eq!(eval(&b, json!({"v": true})), Ok(true));
        assert_eq!(eval(&b, json!({"v": false})), Ok(false));
        let bp = rule("$.v", "BooleanEqualsPath", json!("$.w"));
        assert_eq!(eval(&bp, json!({"v": false, "w": false})), Ok(true));
    }

    #[test]
    fn every_type_test_operator() {
        let cases = [
            ("IsNull", json!(null), json!(1)),
            ("IsNumeric", json!(1.5), json!("1.5")),
            ("IsString", json!("s"), json!(1)),
            ("IsBoolean", json!(false), json!("false")),
            (
                "IsTimestamp",
                json!("2016-03-14T01:59:00Z"),
                json!("2016-03-14"),
            ),
        ];
        for (op, yes, no) in cases {
            let r = rule("$.v", op, json!(true));
            assert_eq!(eval(&r, json!({"v": yes})), Ok(true), "{op}");
            assert_eq!(eval(&r, json!({"v": no})), Ok(false), "{op}");
            let negated = rule("$.v", op, json!(false));
            assert_eq!(eval(&negated, json!({"v": no})), Ok(true), "{op} false");
        }
        let present = rule("$.v", "IsPresent", json!(true));
        assert_eq!(eval(&present, json!({"v": null})), Ok(true));
        assert_eq!(eval(&present, json!({})), Ok(false));
    }

    #[test]
    fn timestamps_compare_as_instants() {
        let r = rule("$.t", "TimestampEquals", json!("2016-03-14T01:59:00Z"));
        assert!(eval(&r, json!({"t": "2016-03-14T02:59:00+01:00"})).unwrap());
        assert!(!eval(&r, json!({"t": "2016-03-14 01:59:00Z"})).unwrap());
    }

    #[test]
    fn is_operators_and_missing_variables() {
        assert!(!eval(&rule("$.x", "IsPresent", json!(true)), json!({})).unwrap());
        assert!(eval(&rule("$.x", "IsPresent", json!(false)), json!({})).unwrap());
        assert!(eval(&rule("$.x", "IsNull", json!(true)), json!({"x": null})).unwrap());
        assert!(!eval(&rule("$.x", "IsNull", json!(true)), json!({})).unwrap());
        assert!(
            eval(
                &rule("$.x", "IsTimestamp", json!(true)),
                json!({"x": "2016-03-14T01:59:00Z"})
            )
            .unwrap()
        );
        assert!(eval(&rule("$.x", "NumericEquals", json!(1)), json!({})).is_err());
    }

    #[test]
    fn string_matches_wildcards_and_escapes() {
        let p = Pattern::compile("item-*7");
        assert!(p.matches("item-17"));
        assert!(p.matches("item-7"));
        assert!(!p.matches("item-71"));
        assert!(Pattern::compile("*.log").matches("a.log"));
        assert!(Pattern::compile("a\\*b").matches("a*b"));
        assert!(!Pattern::compile("a\\*b").matches("axb"));
        assert!(Pattern::compile("*").matches(""));
        assert!(Pattern::compile("a*b*c").matches("abc"));
        assert!(!Pattern::compile("ab*ba").matches("aba"));
    }
}
