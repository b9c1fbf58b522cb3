//! What a redriven execution keeps (`asl serve`'s RedriveExecution): where each unfinished
//! path picks up and which Parallel branches and Map iterations already succeeded.
//!
//! AWS redrives an execution from the state it did not finish, and inside a Parallel or
//! inline Map state only the branches and iterations that did not succeed: those that did
//! keep their outputs and are not run again. The caller reads this from the history of the
//! execution (the engine knows no histories) and passes it in as a [`Resume`]; the engine
//! re-enters the top-level state, and a Parallel or Map state re-entered that way takes its
//! [`FanResume`] from the path it runs on ([`super::execution::Thread`]) and applies the
//! same rule to each branch or iteration it runs again, recursively.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Where a redriven execution picks up: its history goes on after `last_event` with
/// `ExecutionRedriven`, then the top level picks up as `at` says, with
/// `$$.Execution.RedriveCount` counting the redrives.
#[derive(Debug, Clone, PartialEq)]
pub struct Resume {
    pub at: PathResume,
    pub last_event: u64,
    pub redrive_count: u64,
}

/// Where one path (the top level, a Parallel branch, a Map iteration) picks up: it enters
/// `state` again with the input it had and the variables the path's states had assigned
/// before it (a branch's or iteration's own; it still sees those of the paths around it).
/// `inside` is what that state keeps when it is a Parallel or inline Map.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PathResume {
    pub state: String,
    pub input: Value,
    pub variables: Map<String, Value>,
    pub inside: Option<FanResume>,
}

/// What a Parallel or inline Map state re-entered by a redrive keeps, by branch or
/// iteration index. An index in neither map runs again from its start (it never started,
/// or it failed before entering any state).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FanResume {
    /// Branches or iterations that succeeded: their outputs, kept as they were.
    pub succeeded: BTreeMap<usize, Value>,
    /// Branches or iterations that started and did not succeed: where each picks up.
    pub resumed: BTreeMap<usize, PathResume>,
    /// A Distributed Map: the run it redrives instead of starting a new one.
    pub map_run: Option<MapRunResume>,
}

/// A Distributed Map's run redriven with its execution, as AWS redrives a map run: the same
/// run (`MapRunRedriven` instead of `MapRunStarted`) runs again only the child executions
/// that did not succeed. Children are counted by position, in the order their items are
/// read (the same input, read again).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MapRunResume {
    pub arn: String,
    /// Which redrive of the run this is: 1 for its first.
    pub redrive_count: u64,
    /// The children that succeeded: their outputs, kept.
    pub succeeded: BTreeMap<usize, Value>,
    /// The names of the children that started, so that one run again keeps its ARN.
    pub names: BTreeMap<usize, String>,
    /// The Standard children that did not succeed and whose own history the caller still
    /// has: where each picks up in it, as a redriven execution does (AWS redrives a Standard
    /// child from the state it did not finish; its history goes on after
    /// `ExecutionRedriven`). A child not here runs from its first state.
    pub resumed: BTreeMap<usize, Resume>,
}

/// How one branch or iteration of a redriven fan-out runs.
pub(crate) enum Redo {
    /// It succeeded before: its output, nothing run.
    Kept(Value),
    /// It picks up at a state of its graph.
    From(Box<PathResume>),
    /// It runs from its start.
    Start,
}

impl FanResume {
    /// How branch or iteration `index` runs; each resumed path is handed out once.
    pub(crate) fn take(plan: &mut Option<Box<FanResume>>, index: usize) -> Redo {
        let Some(plan) = plan else {
            return Redo::Start;
        };
        if let Some(v) = plan.succeeded.remove(&index) {
            return Redo::Kept(v);
        }
        match plan.resumed.remove(&index) {
            Some(p) => Redo::From(Box::new(p)),
            None => Redo::Start,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_plan_hands_out_kept_outputs_resumed_paths_and_fresh_starts_by_index() {
        let mut plan = Some(Box::new(FanResume {
            succeeded: BTreeMap::from([(0, json!("a"))]),
            resumed: BTreeMap::from([(
                2,
                PathResume {
                    state: "S".into(),
                    input: json!({"x": 1}),
                    ..PathResume::default()
                },
            )]),
            map_run: None,
        }));
        assert!(matches!(FanResume::take(&mut plan, 0), Redo::Kept(v) if v == json!("a")));
        assert!(matches!(FanResume::take(&mut plan, 1), Redo::Start));
        assert!(matches!(FanResume::take(&mut plan, 2), Redo::From(p) if p.state == "S"));
        // Handed out once: a second look runs it from its start.
        assert!(matches!(FanResume::take(&mut plan, 2), Redo::Start));
        assert!(matches!(FanResume::take(&mut None, 0), Redo::Start));
    }

    /// Runs `def` as a redrive from `at`, every Task answering `{"from": STATE, "in": INPUT}`,
    /// and returns the outcome with the Task states called, in order, and the event types.
    fn redrive(def: Value, at: PathResume) -> (crate::engine::Outcome, Vec<String>, Vec<String>) {
        use crate::engine::{HandlerFn, Options, Registry, TaskRequest};
        use std::sync::{Arc, Mutex};
        let machine = crate::definition::load_value(&def)
            .machine
            .expect("a valid definition");
        let called = Arc::new(Mutex::new(Vec::new()));
        let seen = called.clone();
        let mut handlers = Registry::new();
        handlers.fallback(Arc::new(HandlerFn(move |r: TaskRequest| {
            seen.lock().unwrap().push(r.state_name.clone());
            Ok(json!({"from": r.state_name, "in": r.input}))
        })));
        let opts = Options {
            handlers,
            keep_history: true,
            resume: Some(Resume {
                at,
                last_event: 10,
                redrive_count: 1,
            }),
            ..Options::default()
        };
        let out = crate::engine::run_blocking(&machine, json!({}), opts).expect("no fault");
        let kinds = out.events.iter().map(|e| e.kind.to_string()).collect();
        let called = called.lock().unwrap().clone();
        (out, called, kinds)
    }

    const TASK: &str = "arn:aws:lambda:us-east-1:123456789012:function:f";

    #[test]
    fn a_redriven_parallel_runs_only_the_branches_that_did_not_succeed() {
        let def = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "T0", "States": {"T0": {"Type": "Task", "Resource": TASK, "End": true}}},
            {"StartAt": "T1", "States": {
                "T1": {"Type": "Task", "Resource": TASK, "Next": "U1"},
                "U1": {"Type": "Task", "Resource": TASK, "End": true}}},
            {"StartAt": "T2", "States": {"T2": {"Type": "Task", "Resource": TASK, "End": true}}}
        ]}}});
        let at = PathResume {
            state: "P".into(),
            input: json!({"v": 1}),
            variables: Map::new(),
            inside: Some(FanResume {
                succeeded: BTreeMap::from([(0, json!("kept"))]),
                resumed: BTreeMap::from([(
                    1,
                    PathResume {
                        state: "U1".into(),
                        input: json!({"w": 2}),
                        ..PathResume::default()
                    },
                )]),
                map_run: None,
            }),
        };
        let (out, called, kinds) = redrive(def, at);
        assert_eq!(out.status.as_str(), "SUCCEEDED");
        // Branch 0 kept; branch 1 picks up at U1; branch 2 never started: it runs whole.
        assert_eq!(called, vec!["U1", "T2"]);
        assert_eq!(
            out.output,
            Some(json!([
                "kept",
                {"from": "U1", "in": {"w": 2}},
                {"from": "T2", "in": {"v": 1}}
            ]))
        );
        assert_eq!(kinds[0], "ExecutionRedriven");
        assert_eq!(kinds[1], "ParallelStateEntered");
        assert_eq!(kinds.iter().filter(|k| *k == "TaskStateEntered").count(), 2);
        assert_eq!(out.events[0].id, 11);
    }

    #[test]
    fn a_redriven_map_runs_only_its_unfinished_iterations_and_keeps_the_others_results() {
        let def = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            "ItemSelector": {"item.$": "$$.Map.Item.Value"},
            "ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": TASK, "End": true}}}}}});
        let at = PathResume {
            state: "M".into(),
            input: json!([10, 11, 12, 13]),
            variables: Map::new(),
            inside: Some(FanResume {
                succeeded: BTreeMap::from([(0, json!("r0")), (2, json!("r2"))]),
                resumed: BTreeMap::from([(
                    1,
                    PathResume {
                        state: "T".into(),
                        input: json!({"item": 11}),
                        ..PathResume::default()
                    },
                )]),
                map_run: None,
            }),
        };
        let (out, called, kinds) = redrive(def, at);
        assert_eq!(called, vec!["T", "T"]);
        assert_eq!(
            out.output,
            Some(
                json!(["r0", {"from": "T", "in": {"item": 11}}, "r2", {"from": "T", "in": {"item": 13}}])
            )
        );
        // Only the iterations run again have their events.
        let started: Vec<u64> = out
            .events
            .iter()
            .filter(|e| e.kind == "MapIterationStarted")
            .filter_map(|e| e.to_json()["mapIterationStartedEventDetails"]["index"].as_u64())
            .collect();
        assert_eq!(started, vec![1, 3]);
        assert!(kinds.contains(&"MapStateSucceeded".to_string()));
    }

    #[test]
    fn a_redriven_distributed_map_redrives_its_run_keeping_the_children_that_succeeded() {
        let def = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "T", "States": {"T": {"Type": "Task", "Resource": TASK, "End": true}}}}}});
        let arn = "arn:aws:states:us-east-1:123456789012:mapRun:StateMachine/Each:run-1";
        let at = PathResume {
            state: "M".into(),
            input: json!(["a", "b", "c"]),
            variables: Map::new(),
            inside: Some(FanResume {
                map_run: Some(MapRunResume {
                    arn: arn.into(),
                    redrive_count: 1,
                    succeeded: BTreeMap::from([(0, json!("kept a")), (2, json!("kept c"))]),
                    names: BTreeMap::from([(0, "n0".into()), (1, "n1".into()), (2, "n2".into())]),
                    resumed: BTreeMap::new(),
                }),
                ..FanResume::default()
            }),
        };
        let (out, called, kinds) = redrive(def, at);
        assert_eq!(out.status.as_str(), "SUCCEEDED");
        assert_eq!(called, vec!["T"]);
        assert_eq!(
            out.output,
            Some(json!(["kept a", {"from": "T", "in": "b"}, "kept c"]))
        );
        assert!(!kinds.contains(&"MapRunStarted".to_string()));
        let redriven = out
            .events
            .iter()
            .find(|e| e.kind == "MapRunRedriven")
            .map(|e| e.to_json()["mapRunRedrivenEventDetails"].clone());
        assert_eq!(redriven, Some(json!({"mapRunArn": arn, "redriveCount": 1})));
    }

    #[test]
    fn a_redriven_distributed_map_runs_a_standard_child_with_a_plan_from_where_it_stopped() {
        let def = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "T", "States": {
                    "T": {"Type": "Task", "Resource": TASK, "Next": "U"},
                    "U": {"Type": "Task", "Resource": TASK, "End": true}}}}}});
        let arn = "arn:aws:states:us-east-1:123456789012:mapRun:StateMachine/Each:run-1";
        let child = Resume {
            at: PathResume {
                state: "U".into(),
                input: json!({"t": "b"}),
                ..PathResume::default()
            },
            last_event: 9,
            redrive_count: 1,
        };
        let at = PathResume {
            state: "M".into(),
            input: json!(["a", "b", "c"]),
            variables: Map::new(),
            inside: Some(FanResume {
                map_run: Some(MapRunResume {
                    arn: arn.into(),
                    redrive_count: 1,
                    succeeded: BTreeMap::from([(0, json!("kept a"))]),
                    names: BTreeMap::from([(0, "n0".into()), (1, "n1".into())]),
                    resumed: BTreeMap::from([(1, child)]),
                }),
                ..FanResume::default()
            }),
        };
        let (out, mut called, _) = redrive(def, at);
        assert_eq!(out.status.as_str(), "SUCCEEDED");
        // Child 1 picks up at U with the input U had; child 2 never started: it runs whole.
        called.sort();
        assert_eq!(called, vec!["T", "U", "U"]);
        assert_eq!(
            out.output,
            Some(json!([
                "kept a",
                {"from": "U", "in": {"t": "b"}},
                {"from": "U", "in": {"from": "T", "in": "c"}}
            ]))
        );
    }

    #[test]
    fn a_redriven_iteration_picks_up_at_its_nested_parallel_keeping_that_parallels_branch() {
        let def = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "Pre", "States": {
            "Pre": {"Type": "Task", "Resource": TASK, "Next": "Q"},
            "Q": {"Type": "Parallel", "End": true, "Branches": [
                {"StartAt": "Q0", "States": {"Q0": {"Type": "Task", "Resource": TASK, "End": true}}},
                {"StartAt": "Q1", "States": {"Q1": {"Type": "Task", "Resource": TASK, "End": true}}}
            ]}}}}}});
        let at = PathResume {
            state: "M".into(),
            input: json!([1, 2]),
            variables: Map::new(),
            inside: Some(FanResume {
                succeeded: BTreeMap::from([(0, json!("first item"))]),
                resumed: BTreeMap::from([(
                    1,
                    PathResume {
                        state: "Q".into(),
                        input: json!({"pre": 2}),
                        variables: Map::new(),
                        inside: Some(FanResume {
                            succeeded: BTreeMap::from([(0, json!("q0 kept"))]),
                            ..FanResume::default()
                        }),
                    },
                )]),
                map_run: None,
            }),
        };
        let (out, called, _) = redrive(def, at);
        // Neither Pre nor Q0 runs again: only the branch of Q that had not succeeded.
        assert_eq!(called, vec!["Q1"]);
        assert_eq!(
            out.output,
            Some(json!(["first item", ["q0 kept", {"from": "Q1", "in": {"pre": 2}}]]))
        );
    }
}
