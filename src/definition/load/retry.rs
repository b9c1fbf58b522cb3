//! `Retry` and `Catch` (of Task, Parallel and Map states), and the `ErrorEquals` they share.

use super::walker::{Obj, Walker, type_of};
use crate::definition::diagnostic::{Code, Diagnostic};
use crate::definition::error_name::ErrorName;
use crate::definition::machine::QueryLanguage;
use crate::definition::retry::{Catcher, Jitter, Retrier};
use foldhash::HashMap;
use serde_json::Value;

impl Walker {
    fn error_equals(&mut self, o: Obj) -> Vec<ErrorName> {
        let k = "ErrorEquals";
        let Some(v) = o.get(k) else {
            self.required(o, &[k]);
            return Vec::new();
        };
        let Value::Array(items) = v else {
            self.schema(
                &o.at(k),
                format!("The field `{k}` must be an array of error names"),
            );
            return Vec::new();
        };
        if items.is_empty() {
            self.schema(&o.at(k), "`ErrorEquals` cannot be empty");
        }
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item {
                Value::String(s) => {
                    let name = ErrorName::parse(s);
                    if s.starts_with("States.") && matches!(name, ErrorName::Custom(_)) {
                        // AWS accepts it, but it can never match: `States.` names are reserved.
                        let predefined = ErrorName::predefined_names();
                        let hint = crate::definition::diagnostic::did_you_mean_in(s, &predefined);
                        self.diags.push(Diagnostic::warning(
                            Code::UnknownErrorName,
                            o.at(k).index(i).as_str(),
                            format!("`{s}` is not a predefined error name; names starting with `States.` are reserved{hint}"),
                        ));
                    }
                    out.push(name)
                }
                other => self.schema(
                    &o.at(k).index(i),
                    format!(
                        "An error name must be a string, but it is {}",
                        type_of(other)
                    ),
                ),
            }
        }
        if out.len() > 1 && out.contains(&ErrorName::All) {
            self.schema(&o.at(k), "`States.ALL` must appear alone in `ErrorEquals`");
        }
        out
    }

    pub(super) fn retriers(&mut self, o: Obj, _lang: QueryLanguage) -> Vec<Retrier> {
        let Some(items) = self.array(o, "Retry") else {
            return Vec::new();
        };
        let base = o.at("Retry");
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let p = base.index(i);
            let Value::Object(m) = item else {
                self.schema(&p, "A retrier must be an object");
                continue;
            };
            let r = Obj { map: m, ptr: &p };
            for k in m.keys() {
                if !matches!(
                    k.as_str(),
                    "ErrorEquals"
                        | "IntervalSeconds"
                        | "MaxAttempts"
                        | "BackoffRate"
                        | "MaxDelaySeconds"
                        | "JitterStrategy"
                        | "Comment"
                ) {
                    self.unknown(
                        r.ptr,
                        k,
                        format!("Field `{k}` is not supported in a retrier"),
                    );
                }
            }
            let error_equals = self.error_equals(r);
            if error_equals.contains(&ErrorName::All) && i + 1 != items.len() {
                self.schema(
                    &r.at("ErrorEquals"),
                    "A retrier with `States.ALL` must be the last retrier",
                );
            }
            let backoff_rate = self.number(r, "BackoffRate").unwrap_or(2.0);
            if backoff_rate < 1.0 {
                self.schema(
                    &r.at("BackoffRate"),
                    format!("`BackoffRate` must be at least 1.0, but it is {backoff_rate}"),
                );
            }
            let jitter = match self.string(r, "JitterStrategy") {
                None | Some("NONE") => Jitter::None,
                Some("FULL") => Jitter::Full,
                Some(other) => {
                    self.schema(
                        &r.at("JitterStrategy"),
                        format!("`JitterStrategy` must be `FULL` or `NONE`, but it is `{other}`"),
                    );
                    Jitter::None
                }
            };
            out.push(Retrier {
                error_equals,
                interval_seconds: self.integer(r, "IntervalSeconds", 1).unwrap_or(1),
                max_attempts: self.integer(r, "MaxAttempts", 0).unwrap_or(3),
                backoff_rate,
                // "greater than 0 and less than 31622401" (the developer guide's retriers).
                max_delay_seconds: self.integer_in(r, "MaxDelaySeconds", 1, 31_622_400),
                jitter,
            });
        }
        out
    }

    pub(super) fn catchers(
        &mut self,
        o: Obj,
        lang: QueryLanguage,
        index: &HashMap<&str, usize>,
        names: &[&String],
    ) -> Vec<Catcher> {
        let Some(items) = self.array(o, "Catch") else {
            return Vec::new();
        };
        let base = o.at("Catch");
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let p = base.index(i);
            let Value::Object(m) = item else {
                self.schema(&p, "A catcher must be an object");
                continue;
            };
            let c = Obj { map: m, ptr: &p };
            for k in m.keys() {
                let ok = match k.as_str() {
                    "ErrorEquals" | "Next" | "Comment" | "Assign" => true,
                    "ResultPath" => lang == QueryLanguage::JsonPath,
                    "Output" => lang == QueryLanguage::Jsonata,
                    _ => false,
                };
                if !ok {
                    self.unknown(
                        c.ptr,
                        k,
                        format!(
                            "Field `{k}` is not supported in a catcher of a {} state",
                            lang.as_str()
                        ),
                    );
                }
            }
            let error_equals = self.error_equals(c);
            if error_equals.contains(&ErrorName::All) && i + 1 != items.len() {
                self.schema(
                    &c.at("ErrorEquals"),
                    "A catcher with `States.ALL` must be the last catcher",
                );
            }
            if !self.required(c, &["Next"]) {
                continue;
            }
            let Some(next) = self.transition(c, "Next", index, names) else {
                continue;
            };
            let result_path = self.result_path(c);
            let output = if lang == QueryLanguage::Jsonata {
                self.template_jsonata(c, "Output")
            } else {
                None
            };
            let assign = if c.has("Assign") {
                self.assign(c, lang)
            } else {
                None
            };
            out.push(Catcher {
                error_equals,
                next,
                result_path,
                output,
                assign,
            });
        }
        out
    }
}
