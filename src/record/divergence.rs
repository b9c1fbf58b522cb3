//! Where two runs of one definition differ, state by state: an execution on AWS and its
//! replay by `asl` (`asl run --remote --compare-local`), each read as a [`Recording`].
//!
//! The visits are walked in canonical order (`Map[1]/State`, as `asl test` names them) side
//! by side. Where both entered the same state, its input, whether it ended (exited or
//! failed) and its output are compared ([`compare`], which lets pass the values that cannot
//! repeat: task tokens, times, UUIDs); where they entered different states, the paths part
//! and nothing after that point is compared (what follows differs for that reason). Then the
//! ends: status, error, cause, output.

use super::compare::{self, Difference};
use super::event::Payload;
use super::recording::{Answer, Recording, Visit};
use serde_json::Value;

/// One difference between AWS's execution and asl's.
#[derive(Debug, Clone, PartialEq)]
pub struct Divergence {
    /// The state's qualified name (`Map[2]/Charge`), or `(end)` for the execution's end.
    pub state: String,
    /// What differs: `path`, `input`, `status`, `error`, `cause` or `output`.
    pub what: &'static str,
    /// AWS's side vs asl's, a line each (`/n: AWS 2, asl 3`).
    pub lines: Vec<String>,
}

impl Divergence {
    /// ``Each[1]/Twice`: output` then its lines, indented.
    pub fn message(&self) -> String {
        let mut m = format!("`{}`: {}", self.state, self.what);
        match self.lines.as_slice() {
            [one] => {
                m.push_str(": ");
                m.push_str(one);
            }
            lines => {
                for l in lines.iter().take(20) {
                    m.push_str("\n    ");
                    m.push_str(l);
                }
                if lines.len() > 20 {
                    m.push_str(&format!("\n    ... and {} more", lines.len() - 20));
                }
            }
        }
        m
    }
}

/// Every difference between `aws` (what AWS did) and `local` (what asl did), in canonical
/// order, the end last. Empty: they agree.
pub fn diverge(aws: &Recording, local: &Recording) -> Vec<Divergence> {
    let mut out = Vec::new();
    let a = aws.canonical();
    let l = local.canonical();
    let mut parted = false;
    for i in 0..a.len().max(l.len()) {
        match (a.get(i), l.get(i)) {
            (Some((qa, va)), Some((ql, vl))) if qa == ql => {
                visit(qa, &aws.visits[*va], &local.visits[*vl], &mut out);
            }
            (Some((qa, _)), Some((ql, _))) => {
                out.push(Divergence {
                    state: qa.clone(),
                    what: "path",
                    lines: vec![format!(
                        "AWS enters `{qa}`, asl enters `{ql}` (then {} more states on AWS, {} in asl)",
                        a.len() - i - 1,
                        l.len() - i - 1
                    )],
                });
                parted = true;
            }
            (Some((qa, _)), None) => {
                out.push(Divergence {
                    state: qa.clone(),
                    what: "path",
                    lines: vec![format!(
                        "AWS enters `{qa}`, asl does not (AWS enters {} states more)",
                        a.len() - i
                    )],
                });
                parted = true;
            }
            (None, Some((ql, _))) => {
                out.push(Divergence {
                    state: ql.clone(),
                    what: "path",
                    lines: vec![format!(
                        "asl enters `{ql}`, AWS does not (asl enters {} states more)",
                        l.len() - i
                    )],
                });
                parted = true;
            }
            (None, None) => {}
        }
        if parted {
            break;
        }
    }
    end(aws, local, &mut out);
    out
}

/// `exited`, or `failed` with the error of its last call when it has one.
fn ending(v: &Visit) -> (bool, Option<String>) {
    if v.exited.is_some() {
        return (true, None);
    }
    let error = v.calls.last().and_then(|c| match &c.answer {
        Some(Answer::Throw { error, .. }) => error.clone(),
        _ => None,
    });
    (false, error)
}

fn visit(q: &str, a: &Visit, l: &Visit, out: &mut Vec<Divergence>) {
    payloads(q, "input", &a.input, &l.input, out);
    let (ea, el) = (ending(a), ending(l));
    if ea.0 != el.0 {
        let say = |(exited, error): &(bool, Option<String>)| match (exited, error) {
            (true, _) => "exits it".to_string(),
            (false, Some(e)) => format!("fails it ({e})"),
            (false, None) => "does not exit it".to_string(),
        };
        out.push(Divergence {
            state: q.to_string(),
            what: "status",
            lines: vec![format!("AWS {}, asl {}", say(&ea), say(&el))],
        });
        return;
    }
    if let (Some((_, oa)), Some((_, ol))) = (&a.exited, &l.exited) {
        payloads(q, "output", oa, ol, out);
    }
}

/// The differences of two payloads by pointer; a truncated one is not compared.
fn payloads(q: &str, what: &'static str, a: &Payload, l: &Payload, out: &mut Vec<Divergence>) {
    let lines = match (a, l) {
        (Payload::Json(x), Payload::Json(y)) => lines(&compare::compare(x, y, None).differences),
        (Payload::Absent, Payload::Json(y)) => vec![format!("AWS none, asl {}", compare::short(y))],
        (Payload::Json(x), Payload::Absent) => vec![format!("AWS {}, asl none", compare::short(x))],
        _ => Vec::new(),
    };
    if !lines.is_empty() {
        out.push(Divergence {
            state: q.to_string(),
            what,
            lines,
        });
    }
}

fn lines(d: &[Difference]) -> Vec<String> {
    let show = |v: &Option<Value>| match v {
        Some(v) => compare::short(v),
        None => "nothing".into(),
    };
    d.iter()
        .map(|d| {
            let at = if d.pointer.is_empty() {
                "(root)"
            } else {
                d.pointer.as_str()
            };
            format!("{at}: AWS {}, asl {}", show(&d.recorded), show(&d.now))
        })
        .collect()
}

fn end(aws: &Recording, local: &Recording, out: &mut Vec<Divergence>) {
    let here = "(end)".to_string();
    let (a, l) = match (&aws.end, &local.end) {
        (Some(a), Some(l)) => (a, l),
        (None, None) => return,
        (a, l) => {
            let say =
                |e: Option<&super::recording::End>| e.map_or("none (still running)", |e| e.status);
            out.push(Divergence {
                state: here,
                what: "status",
                lines: vec![format!("AWS {}, asl {}", say(a.as_ref()), say(l.as_ref()))],
            });
            return;
        }
    };
    if a.status != l.status {
        out.push(Divergence {
            state: here.clone(),
            what: "status",
            lines: vec![format!("AWS {}, asl {}", a.status, l.status)],
        });
    }
    let text = |s: &Option<String>| match s {
        Some(s) => format!("{:?}", s),
        None => "none".to_string(),
    };
    for (what, x, y) in [("error", &a.error, &l.error), ("cause", &a.cause, &l.cause)] {
        if x != y {
            out.push(Divergence {
                state: here.clone(),
                what,
                lines: vec![format!("AWS {}, asl {}", text(x), text(y))],
            });
        }
    }
    if a.status == l.status {
        payloads(&here, "output", &a.output, &l.output, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::History;
    use serde_json::json;

    /// A recording of a history given as (type, details key, details) after its start.
    fn rec(events: &[Value]) -> Recording {
        let mut all = vec![
            json!({"id": 1, "previousEventId": 0, "type": "ExecutionStarted",
            "timestamp": 1714550400.0, "executionStartedEventDetails": {"input": "{}"}}),
        ];
        for (i, e) in events.iter().enumerate() {
            let mut e = e.clone();
            e["id"] = json!(i + 2);
            e["previousEventId"] = json!(i + 1);
            e["timestamp"] = json!(1714550400.0);
            all.push(e);
        }
        let h = History::from_value(&Value::Array(all)).unwrap();
        Recording::attribute(&h, None)
    }

    fn pass(name: &str, input: &str, output: &str) -> [Value; 2] {
        [
            json!({"type": "PassStateEntered", "stateEnteredEventDetails": {"name": name, "input": input}}),
            json!({"type": "PassStateExited", "stateExitedEventDetails": {"name": name, "output": output}}),
        ]
    }

    fn succeeded(output: &str) -> Value {
        json!({"type": "ExecutionSucceeded", "executionSucceededEventDetails": {"output": output}})
    }

    fn history(parts: &[&[Value]]) -> Recording {
        rec(&parts.concat())
    }

    #[test]
    fn the_same_execution_agrees() {
        let a = history(&[
            &pass("A", "{}", r#"{"n":1}"#),
            &pass("B", r#"{"n":1}"#, r#"{"n":2}"#),
            &[succeeded(r#"{"n":2}"#)],
        ]);
        let b = history(&[
            &pass("A", "{}", r#"{"n":1}"#),
            &pass("B", r#"{"n":1}"#, r#"{"n":2}"#),
            &[succeeded(r#"{"n":2}"#)],
        ]);
        assert_eq!(diverge(&a, &b), []);
    }

    #[test]
    fn a_state_whose_output_differs_is_named_with_the_pointer_and_both_values() {
        let aws = history(&[
            &pass("A", "{}", r#"{"n":1,"s":"x"}"#),
            &[succeeded(r#"{"n":1,"s":"x"}"#)],
        ]);
        let asl = history(&[
            &pass("A", "{}", r#"{"n":2,"s":"x"}"#),
            &[succeeded(r#"{"n":2,"s":"x"}"#)],
        ]);
        let d = diverge(&aws, &asl);
        assert_eq!(
            d.iter().map(Divergence::message).collect::<Vec<_>>(),
            [
                "`A`: output: /n: AWS 1, asl 2",
                "`(end)`: output: /n: AWS 1, asl 2"
            ]
        );
    }

    #[test]
    fn paths_that_part_are_reported_once_where_they_part() {
        let aws = history(&[
            &pass("A", "{}", "{}"),
            &pass("B", "{}", "{}"),
            &pass("C", "{}", "{}"),
            &[succeeded("{}")],
        ]);
        let asl = history(&[
            &pass("A", "{}", "{}"),
            &pass("X", "{}", "{}"),
            &[succeeded("{}")],
        ]);
        let d = diverge(&aws, &asl);
        assert_eq!(
            d.iter().map(Divergence::message).collect::<Vec<_>>(),
            ["`B`: path: AWS enters `B`, asl enters `X` (then 1 more states on AWS, 0 in asl)"]
        );
        let shorter = history(&[&pass("A", "{}", "{}"), &[succeeded("{}")]]);
        assert_eq!(
            diverge(&aws, &shorter)[0].message(),
            "`B`: path: AWS enters `B`, asl does not (AWS enters 2 states more)"
        );
        assert_eq!(
            diverge(&shorter, &aws)[0].message(),
            "`B`: path: asl enters `B`, AWS does not (asl enters 2 states more)"
        );
    }

    #[test]
    fn status_error_and_cause_of_the_end_are_compared() {
        let aws = history(&[&[succeeded("{}")]]);
        let asl = history(&[&[json!({"type": "ExecutionFailed",
            "executionFailedEventDetails": {"error": "States.Runtime", "cause": "bad"}})]]);
        let d: Vec<String> = diverge(&aws, &asl)
            .iter()
            .map(Divergence::message)
            .collect();
        assert_eq!(
            d,
            [
                "`(end)`: status: AWS SUCCEEDED, asl FAILED",
                "`(end)`: error: AWS none, asl \"States.Runtime\"",
                "`(end)`: cause: AWS none, asl \"bad\""
            ]
        );
    }

    #[test]
    fn a_state_one_side_fails_and_values_that_cannot_repeat_pass() {
        let entered = json!({"type": "PassStateEntered", "stateEnteredEventDetails": {"name": "A", "input": "{}"}});
        let aws = history(&[
            &[entered],
            &[json!({"type": "ExecutionFailed",
            "executionFailedEventDetails": {"error": "E"}})],
        ]);
        let asl = history(&[
            &pass("A", "{}", "{}"),
            &[json!({"type": "ExecutionFailed",
            "executionFailedEventDetails": {"error": "E"}})],
        ]);
        assert_eq!(
            diverge(&aws, &asl)[0].message(),
            "`A`: status: AWS does not exit it, asl exits it"
        );
        // Times are AWS's clock and asl's: both RFC 3339, they pass.
        let aws = history(&[
            &pass("A", "{}", r#"{"at":"2024-05-01T10:00:00Z"}"#),
            &[succeeded("{}")],
        ]);
        let asl = history(&[
            &pass("A", "{}", r#"{"at":"2026-01-01T00:00:00.5Z"}"#),
            &[succeeded("{}")],
        ]);
        assert_eq!(diverge(&aws, &asl), []);
    }
}
