//! Mocked Task responses from a Step Functions Local `MockConfigFile.json`.
//!
//! ```json
//! {"StateMachines": {"Machine": {"TestCases": {"HappyPath": {"State": "Response"}}}},
//!  "MockedResponses": {"Response": {"0": {"Return": {...}}, "1-2": {"Throw": {"Error": "E", "Cause": "C"}}}}}
//! ```
//!
//! One counter per state per execution advances on every invocation of that state (retries,
//! loop re-entries and Map iterations included); invocation `n` takes the entry whose key
//! covers `n`. Keys are zero-based and consecutive (`"0"`, `"1-2"`, `"3"`).

use crate::definition::Pointer;
use crate::engine::{Failure, Fault, TaskError, TaskHandler, TaskRequest};
use futures::future::BoxFuture;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Mutex;

/// One mocked answer.
#[derive(Debug, Clone, PartialEq)]
pub enum MockResponse {
    Return(Value),
    Throw {
        error: String,
        cause: Option<String>,
    },
}

/// The responses of one mocked-response name, by invocation range.
#[derive(Debug, Clone)]
struct Responses {
    name: String,
    /// `(first, last, response)`, sorted, consecutive from 0.
    ranges: Vec<(u64, u64, MockResponse)>,
    /// Each `Return` value with the JSON pointer of where the file gives it.
    returns: Vec<(String, Value)>,
}

/// A problem in the mock file, located by JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockError {
    pub pointer: String,
    pub message: String,
}

/// Answers the states of one test case.
pub struct MockHandler {
    by_state: HashMap<String, Responses>,
    counters: Mutex<HashMap<String, u64>>,
}

impl MockHandler {
    /// The mock file's only state machine, when it has just one and it is not `name`: a
    /// machine named by default (after its file) takes its test cases from it, as AWS's Step
    /// Functions Local samples name the machine in the mock file as CreateStateMachine did.
    pub fn only_machine<'a>(doc: &'a Value, name: &str) -> Option<&'a str> {
        doc.get("StateMachines")
            .and_then(Value::as_object)
            .filter(|m| m.len() == 1 && !m.contains_key(name))
            .and_then(|m| m.keys().next())
            .map(String::as_str)
    }

    /// Reads the test case `test_case` of state machine `machine` from a parsed mock file.
    pub fn from_value(
        doc: &Value,
        machine: &str,
        test_case: &str,
    ) -> Result<MockHandler, Vec<MockError>> {
        let mut errors = Vec::new();
        let err = |errors: &mut Vec<MockError>, p: &Pointer, m: String| {
            errors.push(MockError {
                pointer: p.to_string(),
                message: m,
            })
        };
        let root = Pointer::root();
        let Some(top) = doc.as_object() else {
            err(
                &mut errors,
                &root,
                "a mock file must be a JSON object with `StateMachines` and `MockedResponses`"
                    .into(),
            );
            return Err(errors);
        };
        for k in top.keys() {
            if k != "StateMachines" && k != "MockedResponses" {
                err(
                    &mut errors,
                    &root.key(k),
                    format!(
                        "unknown field `{k}`: a mock file has only `StateMachines` and `MockedResponses`"
                    ),
                );
            }
        }
        let machines = object(top, "StateMachines", &root, &mut errors);
        let responses = object(top, "MockedResponses", &root, &mut errors);
        let (Some(machines), Some(responses)) = (machines, responses) else {
            return Err(errors);
        };
        let mp = root.key("StateMachines");
        let Some(m) = machines.get(machine) else {
            err(
                &mut errors,
                &mp,
                format!(
                    "the mock file has no state machine `{machine}` (it has: {}); name it with --state-machine-name",
                    list(machines.keys())
                ),
            );
            return Err(errors);
        };
        let mp = mp.key(machine);
        let Some(cases) = m.get("TestCases").and_then(Value::as_object) else {
            err(
                &mut errors,
                &mp,
                "a state machine entry needs an object `TestCases`".into(),
            );
            return Err(errors);
        };
        let cp = mp.key("TestCases");
        let Some(case) = cases.get(test_case) else {
            err(
                &mut errors,
                &cp,
                format!(
                    "the state machine `{machine}` has no test case `{test_case}` (it has: {})",
                    list(cases.keys())
                ),
            );
            return Err(errors);
        };
        let cp = cp.key(test_case);
        let Some(case) = case.as_object() else {
            err(
                &mut errors,
                &cp,
                "a test case must be an object mapping state names to mocked-response names".into(),
            );
            return Err(errors);
        };
        let rp = root.key("MockedResponses");
        let mut by_state = HashMap::new();
        for (state, name) in case {
            let Some(name) = name.as_str() else {
                err(
                    &mut errors,
                    &cp.key(state),
                    "the mocked-response name must be a string".into(),
                );
                continue;
            };
            let Some(r) = responses.get(name) else {
                err(
                    &mut errors,
                    &cp.key(state),
                    format!("the mocked response `{name}` is not defined in `MockedResponses`"),
                );
                continue;
            };
            match parse_responses(name, r, &rp.key(name)) {
                Ok(r) => {
                    by_state.insert(state.clone(), r);
                }
                Err(mut e) => errors.append(&mut e),
            }
        }
        if errors.is_empty() {
            Ok(MockHandler {
                by_state,
                counters: Mutex::new(HashMap::new()),
            })
        } else {
            Err(errors)
        }
    }

    /// The states this test case mocks.
    pub fn states(&self) -> impl Iterator<Item = &str> {
        self.by_state.keys().map(String::as_str)
    }

    /// Each mocked state with its responses as `(first, last, response)` invocation ranges,
    /// consecutive from 0.
    pub fn ranges(&self) -> impl Iterator<Item = (&str, &[(u64, u64, MockResponse)])> {
        self.by_state
            .iter()
            .map(|(k, r)| (k.as_str(), r.ranges.as_slice()))
    }

    /// Each mocked state's `Return` values, with the JSON pointer of each in the mock file.
    pub fn returns(&self) -> impl Iterator<Item = (&str, &str, &Value)> {
        self.by_state.iter().flat_map(|(state, r)| {
            r.returns
                .iter()
                .map(move |(p, v)| (state.as_str(), p.as_str(), v))
        })
    }

    /// The next response for `state`, advancing its counter.
    pub fn next(&self, state: &str) -> Result<MockResponse, Fault> {
        let Some(r) = self.by_state.get(state) else {
            return Err(Fault::new(format!(
                "the test case has no mocked response for state `{state}`"
            )));
        };
        let n = {
            let mut c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
            let e = c.entry(state.to_string()).or_insert(0);
            let n = *e;
            *e += 1;
            n
        };
        r.ranges
            .iter()
            .find(|(a, b, _)| *a <= n && n <= *b)
            .map(|(_, _, resp)| resp.clone())
            .ok_or_else(|| {
                Fault::new(format!(
                    "the mocked response `{}` for state `{state}` has no entry for invocation {n} (invocations are counted from 0; it covers 0-{})",
                    r.name,
                    r.ranges.last().map(|x| x.1).unwrap_or(0)
                ))
            })
    }
}

impl TaskHandler for MockHandler {
    fn name(&self) -> &str {
        "mock"
    }

    fn wants_context(&self) -> bool {
        false
    }

    fn invoke(&self, request: TaskRequest) -> BoxFuture<'_, Result<Value, TaskError>> {
        let r = self.next(&request.state_name);
        Box::pin(async move {
            match r? {
                MockResponse::Return(v) => Ok(v),
                MockResponse::Throw { error, cause } => {
                    Err(TaskError::Failed(Failure { error, cause }))
                }
            }
        })
    }
}

/// How many turns a call that is never answered gives the rest of the execution.
const PATIENCE: usize = 10_000;

/// The answer to a call that is never answered (a recorded call AWS was still waiting for
/// when a sibling's failure stopped its branch): it gives the rest of the execution its
/// turns, so that the failure stops it as on AWS, and stops the run with `message` if
/// nothing does.
pub fn unanswered(message: String) -> BoxFuture<'static, Result<Value, TaskError>> {
    Box::pin(async move {
        give_way().await;
        Err(TaskError::Fault(Fault::new(message)))
    })
}

/// Gives the rest of the execution many turns (what [`unanswered`] waits before it stops).
pub async fn give_way() {
    /// Pending once, then ready.
    struct YieldNow(bool);
    impl std::future::Future for YieldNow {
        type Output = ();
        fn poll(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<()> {
            if self.0 {
                return std::task::Poll::Ready(());
            }
            self.0 = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }
    for _ in 0..PATIENCE {
        YieldNow(false).await;
    }
}

fn list<'a>(keys: impl Iterator<Item = &'a String>) -> String {
    let v: Vec<String> = keys.map(|k| format!("`{k}`")).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

fn object<'a>(
    m: &'a Map<String, Value>,
    k: &str,
    at: &Pointer,
    errors: &mut Vec<MockError>,
) -> Option<&'a Map<String, Value>> {
    match m.get(k) {
        Some(Value::Object(o)) => Some(o),
        Some(_) => {
            errors.push(MockError {
                pointer: at.key(k).to_string(),
                message: format!("`{k}` must be an object"),
            });
            None
        }
        None => {
            errors.push(MockError {
                pointer: at.to_string(),
                message: format!("the mock file needs `{k}`"),
            });
            None
        }
    }
}

fn parse_range(key: &str) -> Option<(u64, u64)> {
    match key.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (a.parse().ok()?, b.parse().ok()?);
            (a <= b).then_some((a, b))
        }
        None => key.parse().ok().map(|n| (n, n)),
    }
}

fn parse_responses(name: &str, v: &Value, at: &Pointer) -> Result<Responses, Vec<MockError>> {
    let mut errors = Vec::new();
    let e = |errors: &mut Vec<MockError>, p: Pointer, m: String| {
        errors.push(MockError {
            pointer: p.to_string(),
            message: m,
        })
    };
    let Some(m) = v.as_object() else {
        e(
            &mut errors,
            at.clone(),
            format!(
                "the mocked response `{name}` must be an object keyed by invocation (\"0\", \"1-2\")"
            ),
        );
        return Err(errors);
    };
    let mut ranges = Vec::new();
    let mut returns = Vec::new();
    for (k, entry) in m {
        let p = at.key(k);
        let Some((a, b)) = parse_range(k) else {
            e(
                &mut errors,
                p,
                format!(
                    "`{k}` is not an invocation key: use a number (\"0\") or a range (\"1-2\")"
                ),
            );
            continue;
        };
        let Some(obj) = entry.as_object() else {
            e(
                &mut errors,
                p,
                "an invocation entry must be an object with `Return` or `Throw`".into(),
            );
            continue;
        };
        let resp = match (obj.get("Return"), obj.get("Throw")) {
            (Some(_), Some(_)) => {
                e(
                    &mut errors,
                    p,
                    "an invocation entry cannot have both `Return` and `Throw`".into(),
                );
                continue;
            }
            (Some(r), None) => {
                returns.push((p.key("Return").to_string(), r.clone()));
                MockResponse::Return(r.clone())
            }
            (None, Some(Value::Object(t))) => {
                // A task may fail without an error name (a callback's SendTaskFailure
                // with no `error`): Catch then shows `"Error": null`.
                let error = match t.get("Error") {
                    None | Some(Value::Null) => String::new(),
                    Some(Value::String(s)) => s.clone(),
                    Some(_) => {
                        e(
                            &mut errors,
                            p.key("Throw").key("Error"),
                            "`Throw.Error` must be a string".into(),
                        );
                        continue;
                    }
                };
                let cause = match t.get("Cause") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(other) => Some(other.to_string()),
                };
                MockResponse::Throw { error, cause }
            }
            (None, Some(_)) => {
                e(
                    &mut errors,
                    p.key("Throw"),
                    "`Throw` must be an object with `Error` and `Cause`".into(),
                );
                continue;
            }
            (None, None) => {
                e(
                    &mut errors,
                    p,
                    "an invocation entry needs `Return` or `Throw`".into(),
                );
                continue;
            }
        };
        if let Some(extra) = obj.keys().find(|k| *k != "Return" && *k != "Throw") {
            e(
                &mut errors,
                p.key(extra),
                format!("unknown field `{extra}` in an invocation entry"),
            );
        }
        ranges.push((a, b, resp));
    }
    ranges.sort_by_key(|r| r.0);
    let mut expected = 0;
    for (a, b, _) in &ranges {
        if *a != expected {
            e(
                &mut errors,
                at.clone(),
                if *a < expected {
                    format!("the invocation keys of `{name}` overlap at invocation {a}")
                } else {
                    format!(
                        "the invocation keys of `{name}` skip invocation {expected}: keys must be consecutive from 0"
                    )
                },
            );
            break;
        }
        expected = b + 1;
    }
    if errors.is_empty() {
        Ok(Responses {
            name: name.to_string(),
            ranges,
            returns,
        })
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn file() -> Value {
        json!({
            "StateMachines": {"M": {"TestCases": {"T": {"S": "R"}}}},
            "MockedResponses": {"R": {
                "0": {"Return": {"ok": 1}},
                "1-2": {"Throw": {"Error": "E", "Cause": "C"}},
                "3": {"Return": 2}
            }}
        })
    }

    #[test]
    fn counts_invocations_across_ranges() {
        let h = MockHandler::from_value(&file(), "M", "T").unwrap();
        assert_eq!(h.next("S").unwrap(), MockResponse::Return(json!({"ok": 1})));
        for _ in 0..2 {
            assert_eq!(
                h.next("S").unwrap(),
                MockResponse::Throw {
                    error: "E".into(),
                    cause: Some("C".into())
                }
            );
        }
        assert_eq!(h.next("S").unwrap(), MockResponse::Return(json!(2)));
        let f = h.next("S").unwrap_err();
        assert!(f.message.contains("no entry for invocation 4"), "{f}");
    }

    #[test]
    fn refuses_unknown_machines_and_test_cases_with_their_names() {
        let e = MockHandler::from_value(&file(), "X", "T").err().unwrap();
        assert_eq!(e[0].pointer, "/StateMachines");
        assert!(e[0].message.contains("`M`"));
        let e = MockHandler::from_value(&file(), "M", "Y").err().unwrap();
        assert_eq!(e[0].pointer, "/StateMachines/M/TestCases");
    }

    #[test]
    fn refuses_bad_entries() {
        let mut f = file();
        f["MockedResponses"]["R"]["3"] = json!({"Return": 1, "Throw": {"Error": "E"}});
        f["MockedResponses"]["R"]["5"] = json!({"Return": 1});
        let e = MockHandler::from_value(&f, "M", "T").err().unwrap();
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!(e[0].pointer, "/MockedResponses/R/3");
        assert!(e[1].message.contains("skip invocation 3"), "{e:?}");
    }
}
