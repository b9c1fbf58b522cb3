//! The context object (`$$`) and the [`Roots`] a state's step evaluates against.
//!
//! `$$` is built lazily, once per evaluation phase, and only when something reads it: most
//! states never do, and building it per transition would cost more than the transition.

use super::variables::Scope;
use crate::data::intrinsics::IntrinsicEnv;
use crate::data::roots::Roots;
use crate::data::timestamp::Instant;
use serde_json::{Map, Value, json};
use std::sync::OnceLock;

/// The parts of `$$` that do not change during an execution.
#[derive(Debug, Clone)]
pub struct ExecutionInfo {
    /// `{"Id", "Input", "Name", "RoleArn", "StartTime", "RedriveCount"}`.
    pub execution: Value,
    /// `{"Id", "Name"}`.
    pub state_machine: Value,
}

/// What a state knows about itself while it runs.
#[derive(Debug, Clone)]
pub struct StateInfo<'a> {
    pub name: &'a str,
    pub entered: Instant,
    /// `Some` for states that can retry (Task, Parallel, Map): AWS shows `RetryCount` only there.
    pub retry_count: Option<u64>,
    pub task_token: Option<&'a str>,
    /// `(index, value)` while a Map state evaluates its `ItemSelector`.
    pub map_item: Option<(usize, &'a Value)>,
}

/// The roots of one evaluation phase of a state.
pub struct StepRoots<'a> {
    pub input: &'a Value,
    pub info: &'a ExecutionInfo,
    pub state: StateInfo<'a>,
    pub scope: &'a Scope,
    pub env: &'a dyn IntrinsicEnv,
    /// JSONata: the state's raw input (`$states.input`).
    pub states_input: &'a Value,
    /// JSONata: `$states.result` where visible.
    pub result: Option<&'a Value>,
    /// JSONata: `$states.errorOutput` where visible.
    pub error_output: Option<&'a Value>,
    context: OnceLock<Value>,
    /// `$$.State`, `$$.Task`, `$$.Map`, built on first read.
    members: [OnceLock<Option<Value>>; 3],
}

impl<'a> StepRoots<'a> {
    pub fn new(
        input: &'a Value,
        info: &'a ExecutionInfo,
        state: StateInfo<'a>,
        scope: &'a Scope,
        env: &'a dyn IntrinsicEnv,
    ) -> Self {
        StepRoots {
            input,
            info,
            state,
            scope,
            env,
            states_input: input,
            result: None,
            error_output: None,
            context: OnceLock::new(),
            members: [OnceLock::new(), OnceLock::new(), OnceLock::new()],
        }
    }

    pub fn with_states(
        mut self,
        states_input: &'a Value,
        result: Option<&'a Value>,
        error_output: Option<&'a Value>,
    ) -> Self {
        self.states_input = states_input;
        self.result = result;
        self.error_output = error_output;
        self
    }

    fn state_member(&self) -> Value {
        let mut state = json!({
            "Name": self.state.name,
            "EnteredTime": self.state.entered.to_iso_millis(),
        });
        if let (Some(n), Some(o)) = (self.state.retry_count, state.as_object_mut()) {
            o.insert("RetryCount".into(), json!(n));
        }
        state
    }

    fn task_member(&self) -> Option<Value> {
        self.state.task_token.map(|t| json!({"Token": t}))
    }

    fn map_member(&self) -> Option<Value> {
        self.state
            .map_item
            .map(|(i, v)| json!({"Item": {"Index": i, "Value": v}}))
    }

    fn build_context(&self) -> Value {
        let mut m = Map::new();
        m.insert("Execution".into(), self.info.execution.clone());
        m.insert("StateMachine".into(), self.info.state_machine.clone());
        m.insert("State".into(), self.state_member());
        if let Some(t) = self.task_member() {
            m.insert("Task".into(), t);
        }
        if let Some(map) = self.map_member() {
            m.insert("Map".into(), map);
        }
        Value::Object(m)
    }
}

impl Roots for StepRoots<'_> {
    fn input(&self) -> &Value {
        self.input
    }

    fn context(&self) -> &Value {
        self.context.get_or_init(|| self.build_context())
    }

    fn context_member(&self, name: &str) -> Option<&Value> {
        match name {
            "Execution" => Some(&self.info.execution),
            "StateMachine" => Some(&self.info.state_machine),
            "State" => self.members[0]
                .get_or_init(|| Some(self.state_member()))
                .as_ref(),
            "Task" => self.members[1].get_or_init(|| self.task_member()).as_ref(),
            "Map" => self.members[2].get_or_init(|| self.map_member()).as_ref(),
            _ => None,
        }
    }

    fn variable(&self, name: &str) -> Option<&Value> {
        self.scope.get(name)
    }

    fn states_member(&self, name: &str) -> Option<&Value> {
        match name {
            "input" => Some(self.states_input),
            "context" => Some(self.context()),
            "result" => self.result,
            "errorOutput" => self.error_output,
            _ => None,
        }
    }

    fn env(&self) -> &dyn IntrinsicEnv {
        self.env
    }
}
