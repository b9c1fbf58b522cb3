//! Where a RedriveExecution picks up, read from the execution's stored history: the
//! top-level state it did not finish and, when that state is a Parallel or inline Map, which
//! branches and iterations succeeded (kept, not run again) and where each of the others
//! picks up, recursively (an [`engine::Resume`]).
//!
//! The history is laid out by [`Recording::attribute`], which puts each event on its path
//! (the top level, a branch, an iteration) and merges earlier redrives, so a second redrive
//! keeps what the first one finished.

use crate::definition::{Graph, Kind, MapMode, Next, StateMachine};
use crate::engine::{self, FanResume, MapRunResume, PathResume};
use crate::record::{History, Recording};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// What a redrive keeps of a Distributed Map's run, by the run's ARN and the graph its
/// children run.
pub type MapRunKept<'a> = dyn Fn(&str, &Graph) -> Option<MapRunResume> + 'a;

/// Where a Standard child execution of a map run, redriven with its run, picks up in its own
/// history `events`: as an execution would ([`resume_point`]; `processor` is the Map state's
/// `ItemProcessor` as a machine), or, when it ended before entering a state it can re-enter,
/// at the processor's first state with the input it started with, its history going on all
/// the same. `None` when the history does not end unsuccessfully.
pub fn child_resume_point(
    events: &[Value],
    processor: &StateMachine,
    map_run: &MapRunKept,
) -> Option<engine::Resume> {
    if let Some(r) = resume_point(events, processor, map_run) {
        return Some(r);
    }
    let last = events.last()?;
    let unsuccessful = matches!(
        last["type"].as_str(),
        Some("ExecutionFailed" | "ExecutionTimedOut" | "ExecutionAborted")
    );
    let input = events
        .first()?
        .pointer("/executionStartedEventDetails/input")?
        .as_str()
        .and_then(|t| serde_json::from_str(t).ok())?;
    if !unsuccessful {
        return None;
    }
    let g = &processor.root;
    Some(engine::Resume {
        at: PathResume {
            state: g.states.get(g.start)?.name.clone(),
            input,
            ..PathResume::default()
        },
        last_event: last["id"].as_u64()?,
        redrive_count: 0,
    })
}

/// How one path of the failed execution stands.
#[derive(Debug, PartialEq)]
enum Stand {
    /// It ended: its output.
    Done(Value),
    /// It stopped inside: where it picks up.
    At(Box<PathResume>),
    /// Nothing of it is known to have run: it runs from its start.
    Fresh,
}

/// Where a redrive of the execution whose history is `events` picks up. `None` when the
/// history does not end with the execution failing, timing out or being stopped inside a
/// state of its top level that it can re-enter. `map_run` tells what a Distributed Map's run
/// (by its ARN; the graph is its `ItemProcessor`, which its children run) keeps: its children
/// are not in this history.
pub fn resume_point(
    events: &[Value],
    machine: &StateMachine,
    map_run: &MapRunKept,
) -> Option<engine::Resume> {
    let last = events.last()?;
    let ended = matches!(
        last["type"].as_str(),
        Some("ExecutionFailed" | "ExecutionTimedOut" | "ExecutionAborted")
    );
    if !ended {
        return None;
    }
    let history = History::from_value(&Value::Array(events.to_vec())).ok()?;
    let rec = Recording::attribute(&history, Some(machine));
    let by_id: HashMap<u64, &Value> = events
        .iter()
        .filter_map(|e| Some((e["id"].as_u64()?, e)))
        .collect();
    let reader = Reader {
        rec: &rec,
        by_id: &by_id,
        map_run,
    };
    match reader.stand(0, &machine.root) {
        // The top level ended between states (or never entered one): nothing to re-enter.
        Stand::At(at) => Some(engine::Resume {
            at: *at,
            last_event: last["id"].as_u64()?,
            redrive_count: 0,
        }),
        Stand::Done(_) | Stand::Fresh => None,
    }
}

struct Reader<'a> {
    rec: &'a Recording,
    by_id: &'a HashMap<u64, &'a Value>,
    map_run: &'a MapRunKept<'a>,
}

impl Reader<'_> {
    /// How path `path`, which runs graph `g`, stands at the end of the history.
    fn stand(&self, path: usize, g: &Graph) -> Stand {
        let visits = &self.rec.paths[path].visits;
        let Some(&last) = visits.last() else {
            return Stand::Fresh;
        };
        let v = &self.rec.visits[last];
        let Some(state) = g.states.iter().find(|s| s.name == v.name) else {
            return Stand::Fresh;
        };
        // The variables this path's states assigned, up to where it stopped.
        let mut variables = Map::new();
        for &w in visits {
            let Some((exited, _)) = self.rec.visits[w].exited else {
                continue;
            };
            let assigned = self
                .by_id
                .get(&exited)
                .and_then(|e| e["stateExitedEventDetails"].get("assignedVariables"));
            if let Some(Value::Object(vars)) = assigned {
                for (name, text) in vars {
                    if let Some(value) = text.as_str().and_then(|t| serde_json::from_str(t).ok()) {
                        variables.insert(name.clone(), value);
                    }
                }
            }
        }
        match &v.exited {
            Some((_, output)) => {
                let Some(output) = output.json() else {
                    return Stand::Fresh;
                };
                match (&state.kind, state.next) {
                    // The path's last state ended it.
                    (Kind::Succeed, _) => Stand::Done(output.clone()),
                    (Kind::Choice(_), _) => match v.input.json() {
                        // Stopped right after a Choice: it chooses again.
                        Some(input) => Stand::At(Box::new(PathResume {
                            state: state.name.clone(),
                            input: input.clone(),
                            variables,
                            inside: None,
                        })),
                        None => Stand::Fresh,
                    },
                    (_, Next::End) => Stand::Done(output.clone()),
                    // Stopped between states (a sibling's failure ended it there): it goes on
                    // at the next one.
                    (_, Next::To(j)) => Stand::At(Box::new(PathResume {
                        state: g.states[j].name.clone(),
                        input: output.clone(),
                        variables,
                        inside: None,
                    })),
                }
            }
            None => {
                let Some(input) = v.input.json() else {
                    return Stand::Fresh;
                };
                Stand::At(Box::new(PathResume {
                    state: state.name.clone(),
                    input: input.clone(),
                    variables,
                    inside: self.inside(last, &state.kind),
                }))
            }
        }
    }

    /// What the unfinished Parallel or Map visit `visit` keeps: a Distributed Map the run it
    /// started.
    fn inside(&self, visit: usize, kind: &Kind) -> Option<FanResume> {
        let fan = self.rec.visits[visit].fanouts.last()?;
        if let Kind::Map(m) = kind
            && m.mode == MapMode::Distributed
        {
            return Some(FanResume {
                map_run: (self.map_run)(fan.map_run_arn.as_deref()?, &m.processor),
                ..FanResume::default()
            });
        }
        let graph = |i: usize| -> Option<&Graph> {
            match kind {
                Kind::Parallel(p) => p.branches.get(i),
                Kind::Map(m) if m.mode == MapMode::Inline => Some(&m.processor),
                _ => None,
            }
        };
        let mut plan = FanResume::default();
        for (&index, &path) in &fan.children {
            let Some(g) = graph(index) else { continue };
            match self.stand(path, g) {
                Stand::Done(v) => {
                    plan.succeeded.insert(index, v);
                }
                Stand::At(at) => {
                    plan.resumed.insert(index, *at);
                }
                Stand::Fresh => {}
            }
        }
        Some(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::{child_resume_point, resume_point};
    use crate::definition::StateMachine;
    use serde_json::{Value, json};

    fn machine(def: Value) -> StateMachine {
        crate::definition::load_value(&def)
            .machine
            .expect("a valid definition")
    }

    /// Events with ids from 1, each `[type, previousEventId, details key, details]`.
    fn history(events: &[(&str, u64, Value)]) -> Vec<Value> {
        events
            .iter()
            .enumerate()
            .map(|(i, (kind, prev, details))| {
                let mut e = json!({"id": i as u64 + 1, "previousEventId": prev, "type": kind, "timestamp": 0});
                if let Value::Object(d) = details {
                    for (k, v) in d {
                        e[k] = v.clone();
                    }
                }
                e
            })
            .collect()
    }

    fn entered(name: &str, input: &str) -> Value {
        json!({"stateEnteredEventDetails": {"name": name, "input": input}})
    }

    fn exited(name: &str, output: &str) -> Value {
        json!({"stateExitedEventDetails": {"name": name, "output": output}})
    }

    fn parallel_machine() -> StateMachine {
        machine(json!({
            "StartAt": "A",
            "States": {
                "A": {"Type": "Pass", "Assign": {"x": 41}, "Next": "P"},
                "P": {"Type": "Parallel", "End": true, "Branches": [
                    {"StartAt": "B0", "States": {"B0": {"Type": "Pass", "End": true}}},
                    {"StartAt": "B1", "States": {
                        "B1": {"Type": "Pass", "Assign": {"y": 1}, "Next": "B1b"},
                        "B1b": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "End": true}}},
                    {"StartAt": "B2", "States": {"B2": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "End": true}}}
                ]}
            }
        }))
    }

    #[test]
    fn a_parallel_keeps_the_branches_that_succeeded_and_resumes_the_others_where_they_stopped() {
        let m = parallel_machine();
        let events = history(&[
            (
                "ExecutionStarted",
                0,
                json!({"executionStartedEventDetails": {"input": "{}"}}),
            ),
            ("PassStateEntered", 1, entered("A", "{}")),
            (
                "PassStateExited",
                2,
                json!({"stateExitedEventDetails": {"name": "A", "output": "{\"v\":1}", "assignedVariables": {"x": "41"}}}),
            ),
            ("ParallelStateEntered", 3, entered("P", "{\"v\":1}")),
            ("ParallelStateStarted", 4, json!({})),
            // 6: branch 0 ends.
            ("PassStateEntered", 5, entered("B0", "{\"v\":1}")),
            ("PassStateExited", 6, exited("B0", "\"zero\"")),
            // 8: branch 1 assigns y, then its Task fails.
            ("PassStateEntered", 5, entered("B1", "{\"v\":1}")),
            (
                "PassStateExited",
                8,
                json!({"stateExitedEventDetails": {"name": "B1", "output": "{\"w\":2}", "assignedVariables": {"y": "1"}}}),
            ),
            ("TaskStateEntered", 9, entered("B1b", "{\"w\":2}")),
            ("TaskStateFailed", 10, json!({})),
            // 12: branch 2 had entered its Task when the failure aborted it.
            ("TaskStateEntered", 5, entered("B2", "{\"v\":1}")),
            ("ParallelStateFailed", 12, json!({})),
            ("ExecutionFailed", 13, json!({})),
        ]);
        let r = resume_point(&events, &m, &|_, _| None).expect("a failed execution resumes");
        assert_eq!(r.at.state, "P");
        assert_eq!(r.at.input, json!({"v": 1}));
        assert_eq!(Value::Object(r.at.variables.clone()), json!({"x": 41}));
        assert_eq!(r.last_event, 14);
        let inside = r.at.inside.expect("the Parallel keeps its branches");
        assert_eq!(
            inside.succeeded.into_iter().collect::<Vec<_>>(),
            vec![(0, json!("zero"))]
        );
        let b1 = &inside.resumed[&1];
        assert_eq!((b1.state.as_str(), &b1.input), ("B1b", &json!({"w": 2})));
        assert_eq!(Value::Object(b1.variables.clone()), json!({"y": 1}));
        assert_eq!(inside.resumed[&2].state, "B2");
        assert_eq!(inside.resumed.len(), 2);
    }

    #[test]
    fn after_a_redrive_the_branches_it_finished_are_kept_for_the_next_one() {
        let m = parallel_machine();
        let events = history(&[
            ("ExecutionStarted", 0, json!({})),
            ("ParallelStateEntered", 1, entered("P", "{}")),
            ("ParallelStateStarted", 2, json!({})),
            ("PassStateEntered", 3, entered("B0", "{}")),
            ("PassStateExited", 4, exited("B0", "0")),
            ("PassStateEntered", 3, entered("B1", "{}")),
            (
                "PassStateExited",
                6,
                json!({"stateExitedEventDetails": {"name": "B1", "output": "{}", "assignedVariables": {"y": "7"}}}),
            ),
            ("TaskStateEntered", 7, entered("B1b", "{}")),
            ("TaskStateEntered", 3, entered("B2", "{}")),
            ("ParallelStateFailed", 9, json!({})),
            ("ExecutionFailed", 10, json!({})),
            // The first redrive: branches 1 and 2 run again, 2 succeeds, 1 fails again.
            ("ExecutionRedriven", 11, json!({})),
            ("ParallelStateEntered", 12, entered("P", "{}")),
            ("ParallelStateStarted", 13, json!({})),
            ("TaskStateEntered", 14, entered("B1b", "{}")),
            ("TaskStateEntered", 14, entered("B2", "{}")),
            ("TaskStateExited", 16, exited("B2", "2")),
            ("ParallelStateFailed", 17, json!({})),
            ("ExecutionFailed", 18, json!({})),
        ]);
        let r = resume_point(&events, &m, &|_, _| None).expect("redriven again");
        let inside = r.at.inside.expect("the Parallel keeps its branches");
        assert_eq!(
            inside.succeeded.into_iter().collect::<Vec<_>>(),
            vec![(0, json!(0)), (2, json!(2))]
        );
        assert_eq!(inside.resumed.keys().copied().collect::<Vec<_>>(), vec![1]);
        assert_eq!(inside.resumed[&1].state, "B1b");
        // What B1 assigned before the first failure is still the branch's.
        assert_eq!(
            Value::Object(inside.resumed[&1].variables.clone()),
            json!({"y": 7})
        );
        assert_eq!(r.last_event, 19);
    }

    #[test]
    fn an_inline_map_keeps_its_succeeded_iterations_and_a_nested_parallel_its_branches() {
        let m = machine(json!({
            "StartAt": "M",
            "States": {"M": {"Type": "Map", "End": true, "ItemProcessor": {
                "StartAt": "In",
                "States": {
                    "In": {"Type": "Pass", "Next": "Q"},
                    "Q": {"Type": "Parallel", "End": true, "Branches": [
                        {"StartAt": "Q0", "States": {"Q0": {"Type": "Pass", "End": true}}},
                        {"StartAt": "Q1", "States": {"Q1": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "End": true}}}
                    ]}
                }
            }}}
        }));
        let iteration =
            |i: u64| json!({"mapIterationStartedEventDetails": {"name": "M", "index": i}});
        let ended = |key: &str, i: u64| json!({key: {"name": "M", "index": i}});
        let events = history(&[
            ("ExecutionStarted", 0, json!({})),
            ("MapStateEntered", 1, entered("M", "[1,2]")),
            (
                "MapStateStarted",
                2,
                json!({"mapStateStartedEventDetails": {"length": 2}}),
            ),
            // 4: iteration 0 succeeds whole.
            ("MapIterationStarted", 3, iteration(0)),
            ("PassStateEntered", 4, entered("In", "1")),
            ("PassStateExited", 5, exited("In", "1")),
            ("ParallelStateEntered", 6, entered("Q", "1")),
            ("ParallelStateStarted", 7, json!({})),
            ("PassStateEntered", 8, entered("Q0", "1")),
            ("PassStateExited", 9, exited("Q0", "\"q0\"")),
            ("TaskStateEntered", 8, entered("Q1", "1")),
            ("TaskStateExited", 11, exited("Q1", "\"q1\"")),
            ("ParallelStateSucceeded", 12, json!({})),
            ("ParallelStateExited", 13, exited("Q", "[\"q0\",\"q1\"]")),
            (
                "MapIterationSucceeded",
                14,
                ended("mapIterationSucceededEventDetails", 0),
            ),
            // 16: iteration 1 fails in the Parallel's second branch.
            ("MapIterationStarted", 3, iteration(1)),
            ("PassStateEntered", 16, entered("In", "2")),
            ("PassStateExited", 17, exited("In", "2")),
            ("ParallelStateEntered", 18, entered("Q", "2")),
            ("ParallelStateStarted", 19, json!({})),
            ("PassStateEntered", 20, entered("Q0", "2")),
            ("PassStateExited", 21, exited("Q0", "\"r0\"")),
            ("TaskStateEntered", 20, entered("Q1", "2")),
            ("TaskFailed", 23, json!({})),
            ("ParallelStateFailed", 24, json!({})),
            (
                "MapIterationFailed",
                25,
                ended("mapIterationFailedEventDetails", 1),
            ),
            ("MapStateFailed", 26, json!({})),
            ("ExecutionFailed", 27, json!({})),
        ]);
        let r = resume_point(&events, &m, &|_, _| None).expect("a failed Map resumes");
        assert_eq!(r.at.state, "M");
        let inside = r.at.inside.expect("the Map keeps its iterations");
        assert_eq!(
            inside.succeeded.into_iter().collect::<Vec<_>>(),
            vec![(0, json!(["q0", "q1"]))]
        );
        let it = &inside.resumed[&1];
        assert_eq!((it.state.as_str(), &it.input), ("Q", &json!(2)));
        let q = it
            .inside
            .as_ref()
            .expect("the nested Parallel keeps its branches");
        assert_eq!(
            q.succeeded.clone().into_iter().collect::<Vec<_>>(),
            vec![(0, json!("r0"))]
        );
        assert_eq!(q.resumed[&1].state, "Q1");

        // Redriven: iteration 1 picks up at Q, whose branch 1 fails again. A second redrive
        // still keeps Q's branch 0 from the first attempt, and iteration 0.
        let mut events = events;
        let more = history(&[
            ("ExecutionRedriven", 28, json!({})),
            ("MapStateEntered", 29, entered("M", "[1,2]")),
            (
                "MapStateStarted",
                30,
                json!({"mapStateStartedEventDetails": {"length": 2}}),
            ),
            ("MapIterationStarted", 31, iteration(1)),
            ("ParallelStateEntered", 32, entered("Q", "2")),
            ("ParallelStateStarted", 33, json!({})),
            ("TaskStateEntered", 34, entered("Q1", "2")),
            ("TaskFailed", 35, json!({})),
            ("ParallelStateFailed", 36, json!({})),
            (
                "MapIterationFailed",
                37,
                ended("mapIterationFailedEventDetails", 1),
            ),
            ("MapStateFailed", 38, json!({})),
            ("ExecutionFailed", 39, json!({})),
        ]);
        for (k, mut e) in more.into_iter().enumerate() {
            e["id"] = json!(29 + k as u64);
            events.push(e);
        }
        let r = resume_point(&events, &m, &|_, _| None).expect("redriven again");
        let inside = r.at.inside.expect("the Map keeps its iterations");
        assert_eq!(
            inside.succeeded.keys().copied().collect::<Vec<_>>(),
            vec![0]
        );
        let q = inside.resumed[&1]
            .inside
            .as_ref()
            .expect("Q keeps its branch");
        assert_eq!(
            q.succeeded.clone().into_iter().collect::<Vec<_>>(),
            vec![(0, json!("r0"))]
        );
        assert_eq!(q.resumed.keys().copied().collect::<Vec<_>>(), vec![1]);
    }

    #[test]
    fn an_execution_that_succeeded_or_never_entered_a_state_does_not_resume() {
        let m = parallel_machine();
        let done = history(&[
            ("ExecutionStarted", 0, json!({})),
            ("PassStateEntered", 1, entered("A", "{}")),
            ("PassStateExited", 2, exited("A", "{}")),
            ("ExecutionSucceeded", 3, json!({})),
        ]);
        assert!(resume_point(&done, &m, &|_, _| None).is_none());
        let early = history(&[
            ("ExecutionStarted", 0, json!({})),
            ("ExecutionFailed", 1, json!({})),
        ]);
        assert!(resume_point(&early, &m, &|_, _| None).is_none());
    }

    #[test]
    fn a_distributed_map_hands_its_run_to_the_redrive_by_arn() {
        let m = machine(
            json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}}),
        );
        let arn = "arn:aws:states:us-east-1:123456789012:mapRun:X/M:1";
        let events = history(&[
            ("ExecutionStarted", 0, json!({})),
            ("MapStateEntered", 1, entered("M", "[1]")),
            (
                "MapStateStarted",
                2,
                json!({"mapStateStartedEventDetails": {"length": 1}}),
            ),
            (
                "MapRunStarted",
                3,
                json!({"mapRunStartedEventDetails": {"mapRunArn": arn}}),
            ),
            ("MapRunFailed", 4, json!({})),
            ("MapStateFailed", 5, json!({})),
            ("ExecutionFailed", 6, json!({})),
        ]);
        let kept = crate::engine::MapRunResume {
            arn: arn.into(),
            redrive_count: 1,
            ..Default::default()
        };
        let r = resume_point(&events, &m, &|a, _| (a == arn).then(|| kept.clone()))
            .expect("a failed Distributed Map resumes");
        assert_eq!(r.at.state, "M");
        assert_eq!(r.at.inside.and_then(|f| f.map_run), Some(kept));
    }

    #[test]
    fn a_branch_stopped_between_two_states_goes_on_at_the_next_with_the_output_it_had() {
        let m = machine(
            json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "F", "States": {"F": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "End": true}}},
            {"StartAt": "T", "States": {
                "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "Next": "U"},
                "U": {"Type": "Pass", "End": true}}}]}}}),
        );
        let events = history(&[
            ("ExecutionStarted", 0, json!({})),
            ("ParallelStateEntered", 1, entered("P", "{}")),
            ("ParallelStateStarted", 2, json!({})),
            ("TaskStateEntered", 3, entered("F", "{}")),
            ("TaskStateEntered", 3, entered("T", "{}")),
            ("TaskStateExited", 5, exited("T", "{\"t\":1}")),
            ("ParallelStateFailed", 6, json!({})),
            ("ExecutionFailed", 7, json!({})),
        ]);
        let r = resume_point(&events, &m, &|_, _| None).expect("resumes");
        let inside = r.at.inside.expect("the Parallel keeps its branches");
        assert!(inside.succeeded.is_empty());
        assert_eq!(inside.resumed[&0].state, "F");
        let b1 = &inside.resumed[&1];
        assert_eq!((b1.state.as_str(), &b1.input), ("U", &json!({"t": 1})));
    }

    #[test]
    fn a_child_picks_up_in_its_own_history_or_at_its_first_state_when_it_entered_none() {
        let processor = machine(json!({"StartAt": "Pre", "States": {
            "Pre": {"Type": "Pass", "Next": "W"},
            "W": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "End": true}}}));
        let started = json!({"executionStartedEventDetails": {"input": "2"}});
        let failed_in_w = history(&[
            ("ExecutionStarted", 0, started.clone()),
            ("PassStateEntered", 1, entered("Pre", "2")),
            ("PassStateExited", 2, exited("Pre", "{\"pre\":2}")),
            ("TaskStateEntered", 3, entered("W", "{\"pre\":2}")),
            ("TaskFailed", 4, json!({})),
            ("ExecutionFailed", 5, json!({})),
        ]);
        let r = child_resume_point(&failed_in_w, &processor, &|_, _| None).expect("resumes");
        assert_eq!(
            (r.at.state.as_str(), &r.at.input),
            ("W", &json!({"pre": 2}))
        );
        assert_eq!(r.last_event, 6);

        // Aborted with its run before it entered a state: its first state, its own input.
        let aborted_early = history(&[
            ("ExecutionStarted", 0, started.clone()),
            ("ExecutionAborted", 1, json!({})),
        ]);
        let r = child_resume_point(&aborted_early, &processor, &|_, _| None).expect("resumes");
        assert_eq!((r.at.state.as_str(), &r.at.input), ("Pre", &json!(2)));
        assert_eq!(r.last_event, 2);

        let succeeded = history(&[
            ("ExecutionStarted", 0, started),
            ("PassStateEntered", 1, entered("Pre", "2")),
            ("ExecutionSucceeded", 2, json!({})),
        ]);
        assert!(child_resume_point(&succeeded, &processor, &|_, _| None).is_none());
    }
}
