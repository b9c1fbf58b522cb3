//! The Task answers of one test case: inline mocks (the case's over the file's) and a Step
//! Functions Local mock file's test case, with the use of each counted for warnings.
//!
//! Counting, for every kind of mock: one counter per state per execution, from 0, advanced by
//! every call of that state's handler — retries, re-entries in a loop and Map iterations
//! included (Map iterations in item order). A sequence (inline, or a mock file's `"0"`,
//! `"1-2"` ranges) answers call `n` with the entry covering `n`; past its end it repeats its
//! last entry and the case gets a warning that it ran out. A Task state that nothing answers
//! fails the case, naming the state: a test never passes input through.

use super::file::{Answer, Mock, MockSpec};
use super::matcher::Mode;
use crate::engine::{Failure, Fault};
use crate::handlers::mock::{MockHandler, MockResponse};
use crate::handlers::{TaskError, TaskHandler, TaskRequest};
use futures::future::BoxFuture;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;

/// Where a state's answers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Case,
    File,
    MockConfig,
}

struct Entry {
    spec: MockSpec,
    origin: Origin,
    /// Where it is written (a JSON pointer in the test file, or the mock file's test case).
    pointer: String,
}

#[derive(Debug, Default, Clone, Copy)]
struct Usage {
    calls: u64,
    ran_out: bool,
}

/// Answers the mocked Task states of one case.
pub struct CaseMocks {
    states: HashMap<String, Entry>,
    usage: Mutex<HashMap<String, Usage>>,
}

impl CaseMocks {
    /// The case's mocks over the file's, then the mock file's test case for the rest.
    pub fn new(
        case: &[(String, Mock)],
        file: &[(String, Mock)],
        config: Option<(&MockHandler, String)>,
    ) -> CaseMocks {
        let mut states = HashMap::new();
        if let Some((h, at)) = config {
            for (state, ranges) in h.ranges() {
                let seq = ranges
                    .iter()
                    .map(|(a, b, r)| {
                        let answer = match r {
                            MockResponse::Return(v) => Answer::Return(v.clone()),
                            MockResponse::Throw { error, cause } => Answer::Throw {
                                error: error.clone(),
                                cause: cause.clone(),
                            },
                        };
                        (b - a + 1, answer)
                    })
                    .collect();
                states.insert(
                    state.to_string(),
                    Entry {
                        spec: MockSpec::Sequence(seq),
                        origin: Origin::MockConfig,
                        pointer: at.clone(),
                    },
                );
            }
        }
        for (origin, mocks) in [(Origin::File, file), (Origin::Case, case)] {
            for (state, m) in mocks {
                states.insert(
                    state.clone(),
                    Entry {
                        spec: m.spec.clone(),
                        origin,
                        pointer: m.pointer.clone(),
                    },
                );
            }
        }
        CaseMocks {
            states,
            usage: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `state` is mocked inline (not only through the mock file).
    pub fn inline(&self, state: &str) -> bool {
        self.states
            .get(state)
            .is_some_and(|e| e.origin != Origin::MockConfig)
    }

    /// The answer to call `n` of `state` on `input`.
    fn answer(&self, state: &str, input: &Value) -> Result<Answer, Fault> {
        let Some(entry) = self.states.get(state) else {
            return Err(Fault::new(format!(
                "the Task state `{state}` has no mock: add one under `mocks` (or route it to a local command or AWS with `handlers`)"
            )));
        };
        let n = {
            let mut u = self.usage.lock().unwrap_or_else(|p| p.into_inner());
            let e = u.entry(state.to_string()).or_default();
            e.calls += 1;
            e.calls - 1
        };
        match &entry.spec {
            MockSpec::Fixed(a) => Ok(a.clone()),
            MockSpec::Sequence(items) => {
                let mut first = 0u64;
                for (times, a) in items {
                    if n < first + times {
                        return Ok(a.clone());
                    }
                    first += times;
                }
                let mut u = self.usage.lock().unwrap_or_else(|p| p.into_inner());
                u.entry(state.to_string()).or_default().ran_out = true;
                items.last().map(|(_, a)| a.clone()).ok_or_else(|| {
                    Fault::new(format!("the mock for `{state}` has no answers"))
                })
            }
            MockSpec::Conditional(items) => items
                .iter()
                .find(|(when, _)| when.as_ref().is_none_or(|m| m.matches(input, Mode::Subset)))
                .map(|(_, a)| a.clone())
                .ok_or_else(|| {
                    Fault::new(format!(
                        "no `conditional` entry of the mock for `{state}` ({}) matches its input {}; add an entry without `when` as the fallback",
                        entry.pointer,
                        short(input)
                    ))
                }),
        }
    }

    /// Warnings after the case: sequences that ran out, and mocks of `origins` never used.
    pub fn warnings(&self, origins: &[Origin]) -> Vec<String> {
        let u = self.usage.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = Vec::new();
        let mut names: Vec<&String> = self.states.keys().collect();
        names.sort();
        for name in names {
            let e = &self.states[name];
            let usage = u.get(name).copied().unwrap_or_default();
            if usage.ran_out {
                out.push(format!(
                    "the mock sequence for `{name}` ({}) ran out: {} calls, the last answer repeated",
                    e.pointer, usage.calls
                ));
            }
            if usage.calls == 0 && origins.contains(&e.origin) {
                out.push(format!(
                    "the mock for `{name}` ({}) was never used",
                    e.pointer
                ));
            }
        }
        out
    }

    /// The states of `origin` that were called at least once.
    pub fn used(&self, origin: Origin) -> Vec<String> {
        let u = self.usage.lock().unwrap_or_else(|p| p.into_inner());
        self.states
            .iter()
            .filter(|(k, e)| e.origin == origin && u.get(*k).is_some_and(|x| x.calls > 0))
            .map(|(k, _)| k.clone())
            .collect()
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 200 {
        format!("{}…", s.chars().take(200).collect::<String>())
    } else {
        s
    }
}

impl TaskHandler for CaseMocks {
    fn name(&self) -> &str {
        "mock"
    }

    fn wants_context(&self) -> bool {
        false
    }

    fn invoke(&self, request: TaskRequest) -> BoxFuture<'_, Result<Value, TaskError>> {
        let r = self.answer(&request.state_name, &request.input);
        Box::pin(async move {
            match r? {
                Answer::Return(v) => Ok(v),
                Answer::Throw { error, cause } => Err(TaskError::Failed(Failure { error, cause })),
                Answer::Pending => {
                    crate::handlers::mock::unanswered(format!(
                        "the mock for `{}` never answers (`pending: true`), and nothing else stopped the execution",
                        request.state_name
                    ))
                    .await
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mock(spec: MockSpec) -> Vec<(String, Mock)> {
        vec![(
            "S".into(),
            Mock {
                spec,
                pointer: "/mocks/S".into(),
            },
        )]
    }

    fn ret(v: Value) -> Answer {
        Answer::Return(v)
    }

    fn value(a: Result<Answer, Fault>) -> Value {
        match a {
            Ok(Answer::Return(v)) => v,
            Ok(Answer::Throw { error, .. }) => json!({ "threw": error }),
            Ok(Answer::Pending) => json!("pending"),
            Err(f) => json!({ "fault": f.message }),
        }
    }

    #[test]
    fn a_sequence_counts_calls_and_repeats_its_last_answer_with_a_warning() {
        let m = CaseMocks::new(
            &mock(MockSpec::Sequence(vec![
                (
                    2,
                    Answer::Throw {
                        error: "E".into(),
                        cause: None,
                    },
                ),
                (1, ret(json!(1))),
            ])),
            &[],
            None,
        );
        let got: Vec<Value> = (0..4).map(|_| value(m.answer("S", &json!({})))).collect();
        assert_eq!(
            got,
            vec![
                json!({"threw": "E"}),
                json!({"threw": "E"}),
                json!(1),
                json!(1)
            ]
        );
        let w = m.warnings(&[Origin::Case]);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("ran out: 4 calls"), "{w:?}");
    }

    #[test]
    fn the_case_overrides_the_file_and_unused_mocks_are_reported() {
        let file = vec![
            (
                "S".to_string(),
                Mock {
                    spec: MockSpec::Fixed(ret(json!("file"))),
                    pointer: "/mocks/S".into(),
                },
            ),
            (
                "T".to_string(),
                Mock {
                    spec: MockSpec::Fixed(ret(json!("t"))),
                    pointer: "/mocks/T".into(),
                },
            ),
        ];
        let m = CaseMocks::new(&mock(MockSpec::Fixed(ret(json!("case")))), &file, None);
        assert_eq!(value(m.answer("S", &json!({}))), json!("case"));
        let w = m.warnings(&[Origin::File]);
        assert_eq!(
            w,
            vec!["the mock for `T` (/mocks/T) was never used".to_string()]
        );
        assert!(m.warnings(&[Origin::Case]).is_empty());
    }

    #[test]
    fn an_unmocked_state_is_a_fault_naming_it() {
        let m = CaseMocks::new(&[], &[], None);
        let v = value(m.answer("Missing", &json!({})));
        assert!(
            v["fault"]
                .as_str()
                .unwrap_or_default()
                .contains("`Missing` has no mock"),
            "{v}"
        );
    }
}
