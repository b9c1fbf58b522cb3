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
    pub retry_count: u64,
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
    states: OnceLock<Value>,
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
            states: OnceLock::new(),
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

    fn build_context(&self) -> Value {
        let mut m = Map::new();
        m.insert("Execution".into(), self.info.execution.clone());
        m.insert(
            "State".into(),
            json!({
                "EnteredTime": self.state.entered.to_iso_millis(),
                "Name": self.state.name,
                "RetryCount": self.state.retry_count,
            }),
        );
        m.insert("StateMachine".into(), self.info.state_machine.clone());
        if let Some(t) = self.state.task_token {
            m.insert("Task".into(), json!({"Token": t}));
        }
        if let Some((i, v)) = self.state.map_item {
            m.insert("Map".into(), json!({"Item": {"Index": i, "Value": v}}));
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

    fn variable(&self, name: &str) -> Option<&Value> {
        self.scope.get(name)
    }

    fn states(&self) -> &Value {
        self.states.get_or_init(|| {
            let mut m = Map::new();
            m.insert("input".into(), self.states_input.clone());
            m.insert("context".into(), self.context().clone());
            if let Some(r) = self.result {
                m.insert("result".into(), r.clone());
            }
            if let Some(e) = self.error_output {
                m.insert("errorOutput".into(), e.clone());
            }
            Value::Object(m)
        })
    }

    fn env(&self) -> &dyn IntrinsicEnv {
        self.env
    }

    fn variables(&self) -> Vec<(&str, &Value)> {
        self.scope.all()
    }
}
