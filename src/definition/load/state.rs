//! One state: its type, the fields its type and query language accept, `Next`/`End`, the
//! data-flow fields, then the fields of its family (Pass and Succeed are read here in full).

use super::walker::{Obj, Walker, type_of};
use crate::definition::diagnostic::{Code, Pointer};
use crate::definition::machine::QueryLanguage;
use crate::definition::state::{Kind, Next, State};
use foldhash::HashMap;
use serde_json::Value;

/// The fields of each state type, split by the query languages that accept them.
struct FieldSet {
    both: &'static [&'static str],
    jsonpath: &'static [&'static str],
    jsonata: &'static [&'static str],
}

fn fields_of(ty: &str) -> Option<FieldSet> {
    Some(match ty {
        "Pass" => FieldSet {
            both: &["Type", "Comment", "QueryLanguage", "Next", "End", "Assign"],
            jsonpath: &[
                "InputPath",
                "OutputPath",
                "Parameters",
                "ResultPath",
                "Result",
            ],
            jsonata: &["Output"],
        },
        "Task" => FieldSet {
            both: &[
                "Type",
                "Comment",
                "QueryLanguage",
                "Next",
                "End",
                "Assign",
                "Resource",
                "TimeoutSeconds",
                "HeartbeatSeconds",
                "Retry",
                "Catch",
                "Credentials",
            ],
            jsonpath: &[
                "InputPath",
                "OutputPath",
                "Parameters",
                "ResultPath",
                "ResultSelector",
                "TimeoutSecondsPath",
                "HeartbeatSecondsPath",
            ],
            jsonata: &["Output", "Arguments"],
        },
        "Choice" => FieldSet {
            both: &[
                "Type",
                "Comment",
                "QueryLanguage",
                "Choices",
                "Default",
                "Assign",
            ],
            jsonpath: &["InputPath", "OutputPath"],
            jsonata: &["Output"],
        },
        "Wait" => FieldSet {
            both: &[
                "Type",
                "Comment",
                "QueryLanguage",
                "Next",
                "End",
                "Assign",
                "Seconds",
                "Timestamp",
            ],
            jsonpath: &["InputPath", "OutputPath", "SecondsPath", "TimestampPath"],
            jsonata: &["Output"],
        },
        "Succeed" => FieldSet {
            both: &["Type", "Comment", "QueryLanguage"],
            jsonpath: &["InputPath", "OutputPath"],
            jsonata: &["Output"],
        },
        "Fail" => FieldSet {
            both: &["Type", "Comment", "QueryLanguage", "Error", "Cause"],
            jsonpath: &["ErrorPath", "CausePath"],
            jsonata: &[],
        },
        "Parallel" => FieldSet {
            both: &[
                "Type",
                "Comment",
                "QueryLanguage",
                "Next",
                "End",
                "Assign",
                "Branches",
                "Retry",
                "Catch",
            ],
            jsonpath: &[
                "InputPath",
                "OutputPath",
                "Parameters",
                "ResultPath",
                "ResultSelector",
            ],
            jsonata: &["Output", "Arguments"],
        },
        "Map" => FieldSet {
            both: &[
                "Type",
                "Comment",
                "QueryLanguage",
                "Next",
                "End",
                "Assign",
                "Iterator",
                "ItemProcessor",
                "ItemSelector",
                "MaxConcurrency",
                "ToleratedFailureCount",
                "ToleratedFailurePercentage",
                "ItemReader",
                "ItemBatcher",
                "ResultWriter",
                "Label",
                "Retry",
                "Catch",
            ],
            jsonpath: &[
                "InputPath",
                "OutputPath",
                "Parameters",
                "ResultPath",
                "ResultSelector",
                "ItemsPath",
                "MaxConcurrencyPath",
                "ToleratedFailureCountPath",
                "ToleratedFailurePercentagePath",
            ],
            jsonata: &["Output", "Items"],
        },
        _ => return None,
    })
}

fn lang_other(lang: QueryLanguage) -> &'static str {
    match lang {
        QueryLanguage::JsonPath => "JSONata",
        QueryLanguage::Jsonata => "JSONPath",
    }
}

impl Walker {
    pub(super) fn state(
        &mut self,
        name: &str,
        v: &Value,
        ptr: &Pointer,
        inherited: QueryLanguage,
        index: &HashMap<&str, usize>,
        names: &[&String],
    ) -> Option<State> {
        let Value::Object(m) = v else {
            self.schema(
                ptr,
                format!(
                    "The state `{name}` must be an object, but it is {}",
                    type_of(v)
                ),
            );
            return None;
        };
        let o = Obj { map: m, ptr };
        if !self.required(o, &["Type"]) {
            return None;
        }
        let ty = self.string(o, "Type")?;
        let Some(fields) = fields_of(ty) else {
            self.schema(
                &o.at("Type"),
                format!("`{ty}` is not a state type: use Pass, Task, Choice, Wait, Succeed, Fail, Parallel or Map"),
            );
            return None;
        };
        let lang = self.query_language(o, inherited);
        let errors_before = self.error_count();
        for k in m.keys() {
            let k = k.as_str();
            if fields.both.contains(&k) {
                continue;
            }
            let (own, other) = match lang {
                QueryLanguage::JsonPath => (fields.jsonpath, fields.jsonata),
                QueryLanguage::Jsonata => (fields.jsonata, fields.jsonpath),
            };
            if own.contains(&k) {
                continue;
            }
            if other.contains(&k) {
                self.unknown(
                    o.ptr,
                    k,
                    format!(
                        "The field `{k}` is only supported in {} states, but this state uses {}",
                        lang_other(lang),
                        lang.as_str()
                    ),
                );
            } else {
                let known: Vec<&str> = fields.both.iter().chain(own.iter()).copied().collect();
                let hint = crate::definition::diagnostic::did_you_mean_in(k, &known);
                self.unknown(
                    o.ptr,
                    k,
                    format!("Field `{k}` is not supported by {ty} states{hint}"),
                );
            }
        }
        let comment = self.string(o, "Comment").map(str::to_string);

        // Next / End.
        let next = if matches!(ty, "Choice" | "Succeed" | "Fail") {
            Next::End
        } else {
            let end = self.boolean(o, "End").unwrap_or(false);
            match (o.has("Next"), end) {
                (true, true) => {
                    self.schema(ptr, "A state cannot have both `Next` and `End: true`");
                    Next::End
                }
                (true, false) => self
                    .transition(o, "Next", index, names)
                    .map(Next::To)
                    .unwrap_or(Next::End),
                (false, true) => Next::End,
                (false, false) => {
                    if o.has("End") {
                        self.schema(&o.at("End"), "`End` must be true when there is no `Next`");
                    } else {
                        self.schema(
                            ptr,
                            format!("The {ty} state `{name}` needs `Next` or `End: true`"),
                        );
                    }
                    Next::End
                }
            }
        };

        let mut io = self.io(o, ty, lang);
        let assign = if o.has("Assign") {
            self.assign(o, lang)
        } else {
            None
        };

        let kind = match ty {
            "Pass" => {
                if lang == QueryLanguage::JsonPath
                    && let Some(r) = o.get("Result")
                {
                    self.static_result_warnings(r, &o.at("Result"));
                }
                Some(Kind::Pass {
                    result: o.get("Result").cloned(),
                })
            }
            "Succeed" => Some(Kind::Succeed),
            "Fail" => Some(Kind::Fail(Box::new(self.fail(o, lang)))),
            "Wait" => self.wait(o, lang).map(|w| Kind::Wait(Box::new(w))),
            "Task" => self
                .task(o, lang, index, names)
                .map(|t| Kind::Task(Box::new(t))),
            "Choice" => self
                .choice(o, lang, index, names)
                .map(|c| Kind::Choice(Box::new(c))),
            "Parallel" => self
                .parallel(o, lang, index, names)
                .map(|p| Kind::Parallel(Box::new(p))),
            "Map" => self
                .map(o, lang, index, names, &mut io)
                .map(|m| Kind::Map(Box::new(m))),
            _ => None,
        };
        if self.error_count() > errors_before {
            return None;
        }
        Some(State {
            name: name.to_string(),
            pointer: ptr.to_string(),
            comment,
            language: lang,
            kind: kind?,
            next,
            io,
            assign: assign.map(Box::new),
        })
    }

    /// AWS's `PASS_RESULT_IS_STATIC` warning: a `.$` key in a Pass state's static `Result`.
    fn static_result_warnings(&mut self, v: &Value, ptr: &Pointer) {
        if let Value::Object(m) = v {
            for (k, v) in m {
                if k.ends_with(".$") {
                    self.warn(
                        Code::PassResultIsStatic,
                        &ptr.key(k),
                        format!("`Result` is static: `{k}` is kept as written and not evaluated; use `Parameters` to evaluate paths"),
                    );
                }
                self.static_result_warnings(v, &ptr.key(k));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::definition::diagnostic::Code;
    use crate::definition::load::loaded::{errors, load_value};
    use serde_json::json;

    #[test]
    fn reports_every_problem_not_just_the_first() {
        let e = errors(json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Next": "Nope", "Bogus": 1},
            "W": {"Type": "Wait", "End": true},
            "T": {"Type": "Task", "End": true, "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": 5, "HeartbeatSeconds": 5}
        }}));
        let locations: Vec<&str> = e.iter().map(|(_, l)| l.as_str()).collect();
        // An unknown field is reported at its state, as AWS does.
        assert!(locations.contains(&"/States/A"), "{e:?}");
        assert!(locations.contains(&"/States/A/Next"), "{e:?}");
        assert!(locations.contains(&"/States/W"), "{e:?}");
        assert!(locations.contains(&"/States/T/HeartbeatSeconds"), "{e:?}");
    }

    #[test]
    fn jsonpath_fields_are_refused_in_jsonata_states() {
        let e = errors(
            json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
            "A": {"Type": "Pass", "InputPath": "$.x", "End": true}}}),
        );
        assert_eq!(
            e,
            vec![("SCHEMA_VALIDATION_FAILED".into(), "/States/A".into())]
        );
    }

    #[test]
    fn static_result_gets_a_warning_not_an_error() {
        let d = load_value(&json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Result": {"x.$": "$.y"}, "End": true}}}));
        assert!(d.machine.is_some());
        assert_eq!(d.diagnostics[0].code, Code::PassResultIsStatic);
    }
}
