//! The recorded answers of every Task state, as a Step Functions Local mock file
//! (`MockConfigFile.json`, docs/testing.md "A Step Functions Local mock file").
//!
//! A mock file answers by invocation number: one counter per state per execution, advanced
//! by every call of the state (retries, loop re-entries and Map iterations included). So a
//! state's answers are listed in the order `asl` calls the state, which is what a replay of
//! the record logs ([`Replayer::log`](super::Replayer::log)): the same definition run under
//! mocks calls its states in the same order, whatever order AWS ran concurrent iterations
//! in. Calls the replay did not reach (it departed) follow, in the record's order.

use super::event::Payload;
use super::recording::{Answer, Recording};
use super::replay::Logged;
use serde_json::{Map, Value, json};

/// One mocked answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Mocked {
    Return(Value),
    Throw {
        error: Option<String>,
        cause: Option<String>,
    },
    /// No answer: AWS was still waiting for it when the record ends (a sibling branch's
    /// failure aborted the call, or the execution ended).
    Pending,
}

/// A recorded answer no mock can give.
#[derive(Debug, Clone, PartialEq)]
pub struct Unmockable {
    pub state: String,
    pub event: u64,
    pub why: String,
}

/// Each Task state's answers in invocation order, states in the order of their first call.
#[derive(Debug, Clone, Default)]
pub struct Answers {
    pub by_state: Vec<(String, Vec<Mocked>)>,
}

impl Answers {
    /// The answers of `rec`'s calls, in the order `order` (a replay's log) gives, then
    /// those it lacks in canonical order; a call the replay left waiting never answers.
    pub fn collect(rec: &Recording, order: &[Logged]) -> Result<Answers, Vec<Unmockable>> {
        let mut seen = std::collections::HashSet::new();
        let mut all: Vec<Logged> = Vec::new();
        let recorded = rec.calls().into_iter().map(|(v, c)| Logged::Recorded(v, c));
        for l in order.iter().cloned().chain(recorded) {
            if matches!(l, Logged::Waiting(_)) || seen.insert(l.clone()) {
                all.push(l);
            }
        }
        let mut out = Answers::default();
        let mut problems = Vec::new();
        for l in all {
            let (v, c) = match l {
                Logged::Recorded(v, c) => (v, c),
                Logged::Waiting(state) => {
                    out.push(&state, Mocked::Pending);
                    continue;
                }
            };
            let visit = &rec.visits[v];
            let call = &visit.calls[c];
            let mocked = match &call.answer {
                Some(Answer::Return {
                    output: Payload::Json(v),
                    ..
                }) => Mocked::Return(v.clone()),
                Some(Answer::Return { event, output }) => {
                    problems.push(Unmockable {
                        state: rec.qualified(v),
                        event: *event,
                        why: match output {
                            Payload::Truncated(_) => {
                                "AWS truncated the result (`outputDetails.truncated`)".into()
                            }
                            _ => "the event holds no result".into(),
                        },
                    });
                    continue;
                }
                Some(Answer::Throw { error, cause, .. }) => Mocked::Throw {
                    error: error.clone(),
                    cause: cause.clone(),
                },
                None => Mocked::Pending,
            };
            out.push(&visit.name, mocked);
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(problems)
        }
    }

    fn push(&mut self, state: &str, m: Mocked) {
        match self.by_state.iter_mut().find(|(s, _)| s == state) {
            Some((_, list)) => list.push(m),
            None => self.by_state.push((state.to_string(), vec![m])),
        }
    }

    /// Whether a state's answers include one that never comes (only an inline mock can say
    /// so).
    pub fn has_pending(&self, state: &str) -> bool {
        self.by_state
            .iter()
            .any(|(s, list)| s == state && list.contains(&Mocked::Pending))
    }

    /// The mock file: test case `case` of state machine `machine`, a mocked response per
    /// state named after it, identical consecutive answers as one range. States with an
    /// answer that never comes are left out (see [`Answers::has_pending`]).
    pub fn mock_file(&self, machine: &str, case: &str) -> Value {
        let mut states = Map::new();
        let mut responses = Map::new();
        for (state, list) in &self.by_state {
            if self.has_pending(state) {
                continue;
            }
            states.insert(state.clone(), json!(state));
            let mut ranges = Map::new();
            let mut i = 0;
            while i < list.len() {
                let mut j = i;
                while j + 1 < list.len() && list[j + 1] == list[i] {
                    j += 1;
                }
                let key = if i == j {
                    i.to_string()
                } else {
                    format!("{i}-{j}")
                };
                ranges.insert(key, entry(&list[i]));
                i = j + 1;
            }
            responses.insert(state.clone(), Value::Object(ranges));
        }
        json!({
            "StateMachines": {machine: {"TestCases": {case: states}}},
            "MockedResponses": responses,
        })
    }
}

/// A mock file's invocation entry.
fn entry(m: &Mocked) -> Value {
    match m {
        Mocked::Return(v) => json!({"Return": v}),
        Mocked::Throw { error, cause } => {
            let mut t = Map::new();
            if let Some(e) = error {
                t.insert("Error".into(), json!(e));
            }
            if let Some(c) = cause {
                t.insert("Cause".into(), json!(c));
            }
            json!({"Throw": t})
        }
        Mocked::Pending => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_answers_in_a_row_are_one_range() {
        let a = Answers {
            by_state: vec![(
                "T".into(),
                vec![
                    Mocked::Throw {
                        error: Some("E".into()),
                        cause: None,
                    },
                    Mocked::Throw {
                        error: Some("E".into()),
                        cause: None,
                    },
                    Mocked::Return(json!(1)),
                ],
            )],
        };
        assert_eq!(
            a.mock_file("m", "c"),
            json!({"StateMachines": {"m": {"TestCases": {"c": {"T": "T"}}}},
                   "MockedResponses": {"T": {"0-1": {"Throw": {"Error": "E"}}, "2": {"Return": 1}}}})
        );
    }
}
