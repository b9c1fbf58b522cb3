//! A Choice state: its rules (JSONPath comparisons with `And`/`Or`/`Not`, or JSONata
//! `Condition`s), compiled into [`Rule`]s, and its `Default`.

use super::walker::{Obj, Walker, type_of};
use crate::data::choice_rule::{Op, Operand, Pattern, Rule};
use crate::data::jsonata::{self, Expression};
use crate::data::timestamp;
use crate::definition::choice::{Choice, ChoiceBranch};
use crate::definition::machine::QueryLanguage;
use foldhash::HashMap;
use serde_json::Value;

impl Walker {
    pub(super) fn choice(
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
}
