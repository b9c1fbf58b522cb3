//! The context object (`$$`) and the [`Roots`] a state's step evaluates against.
//!
//! `$$` is built lazily, once per evaluation phase, and only when something reads it: most
//! states never do, and building it per transition would cost more than the transition.

use super::clock::{Clock, PathTime};
use super::variables::Scope;
use crate::data::intrinsics::IntrinsicEnv;
use crate::data::roots::Roots;
use crate::data::timestamp::Instant;
use serde_json::{Map, Value, json};
use std::cell::OnceCell;
use std::sync::OnceLock;

/// The parts of `$$` that do not change during an execution.
///
/// `$$.Execution` holds the execution's input, which can be large and which few definitions
/// read: it is built on first read, from the input text when the caller kept it (no copy of
/// the parsed input is held while the execution runs).
#[derive(Debug)]
pub struct ExecutionInfo {
    /// `{"Id", "Input", "Name", "RoleArn", "StartTime", "RedriveCount"}` without `Input`.
    fields: Map<String, Value>,
    input: ExecutionInput,
    execution: std::sync::OnceLock<Value>,
    /// `{"Id", "Name"}`.
    pub state_machine: Value,
}

/// The execution's input as `$$.Execution.Input` will show it.
#[derive(Debug)]
pub enum ExecutionInput {
    /// The JSON text the input was parsed from.
    Text(std::sync::Arc<str>),
    /// A copy of the parsed input.
    Value(Value),
}

impl ExecutionInfo {
    /// `fields` are the members of `$$.Execution` other than `Input`, in AWS's order, with
    /// `Input` going after the first (`Id`).
    pub fn new(fields: Map<String, Value>, input: ExecutionInput, state_machine: Value) -> Self {
        ExecutionInfo {
            fields,
            input,
            execution: std::sync::OnceLock::new(),
            state_machine,
        }
    }

    /// `$$.Execution.Id`: the execution's ARN.
    pub fn id(&self) -> &str {
        self.fields
            .get("Id")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// `$$.Execution`.
    pub fn execution(&self) -> &Value {
        self.execution.get_or_init(|| {
            let input = match &self.input {
                // The text was parsed once already, so this cannot fail.
                ExecutionInput::Text(t) => serde_json::from_str(t).unwrap_or(Value::Null),
                ExecutionInput::Value(v) => v.clone(),
            };
            let mut m = Map::new();
            let mut rest = self.fields.iter();
            if let Some((k, v)) = rest.next() {
                m.insert(k.clone(), v.clone());
            }
            m.insert("Input".into(), input);
            for (k, v) in rest {
                m.insert(k.clone(), v.clone());
            }
            Value::Object(m)
        })
    }
}

/// When a state was entered. A state that cannot wait (Pass, Choice, Succeed, Fail) runs
/// from start to end in microseconds, so its time is read from the clock when something first
/// asks for it, and most such states never read the clock at all; any other state's time is
/// read as it is entered.
#[derive(Debug)]
pub struct Entered {
    clock: Clock,
    /// The path's time as the state was entered (its virtual offset).
    time: PathTime,
    at: OnceLock<Instant>,
}

impl Entered {
    /// The time read now.
    pub fn now(clock: Clock, time: PathTime) -> Entered {
        let e = Entered::later(clock, time);
        e.get();
        e
    }

    /// The time read on first use.
    pub fn later(clock: Clock, time: PathTime) -> Entered {
        Entered {
            clock,
            time,
            at: OnceLock::new(),
        }
    }

    pub fn get(&self) -> Instant {
        *self.at.get_or_init(|| self.clock.now(&self.time))
    }
}

/// What a state knows about itself while it runs.
#[derive(Debug, Clone)]
pub struct StateInfo<'a> {
    pub name: &'a str,
    pub entered: &'a Entered,
    /// `Some` for states that can retry (Task, Parallel, Map): AWS shows `RetryCount` only there.
    pub retry_count: Option<u64>,
    pub task_token: Option<&'a str>,
    /// `(index, value)` while a Map state evaluates its `ItemSelector`.
    pub map_item: Option<(usize, &'a Value)>,
    /// A Distributed Map item's `$$.Map.Item.Source` (`STATE_DATA`, `S3://bucket/key`).
    pub map_source: Option<&'a str>,
    /// `$$.Map` as a caller gave it ([`GivenContext::map`]), shown where the state has no
    /// item of its own.
    pub map_given: Option<&'a Value>,
}

/// `$$` members a caller gives one state instead of those the execution would make
/// (TestState's `context`: a state tested as if it ran at a given retry, with a given task
/// token, in a given Map iteration). Only the state named `state` sees them.
#[derive(Debug, Clone, Default)]
pub struct GivenContext {
    pub state: String,
    /// `$$.State.RetryCount` of the state's first attempt (its later ones count on).
    pub retry_count: Option<u64>,
    /// `$$.Task.Token`, also the token a `.waitForTaskToken` call sends.
    pub task_token: Option<String>,
    /// `$$.Map` (its `Item`: `Index`, `Value`, `Key`, `Source`).
    pub map: Option<Value>,
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
    /// What is built on first read, boxed: most steps read none of it, and a step's roots
    /// are made and moved several times.
    built: OnceCell<Box<Built>>,
}

/// The parts of the context object a step builds when they are first read.
#[derive(Default)]
struct Built {
    /// `$$` whole.
    context: OnceCell<Value>,
    /// `$$.State`, `$$.Task`, `$$.Map`.
    members: [OnceCell<Option<Value>>; 3],
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
            built: OnceCell::new(),
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

    fn built(&self) -> &Built {
        self.built.get_or_init(Box::default)
    }

    fn state_member(&self) -> Value {
        let mut state = json!({
            "Name": self.state.name,
            "EnteredTime": self.state.entered.get().to_iso_millis(),
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
        let Some((i, v)) = self.state.map_item else {
            return self.state.map_given.cloned();
        };
        let mut item = Map::new();
        item.insert("Index".into(), Value::from(i));
        item.insert("Value".into(), v.clone());
        if let Some(s) = self.state.map_source {
            item.insert("Source".into(), Value::from(s));
        }
        let mut map = Map::new();
        map.insert("Item".into(), Value::Object(item));
        Some(Value::Object(map))
    }

    fn build_context(&self) -> Value {
        let mut m = Map::new();
        m.insert("Execution".into(), self.info.execution().clone());
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
        self.built().context.get_or_init(|| self.build_context())
    }

    fn context_member(&self, name: &str) -> Option<&Value> {
        match name {
            "Execution" => Some(self.info.execution()),
            "StateMachine" => Some(&self.info.state_machine),
            "State" => self.built().members[0]
                .get_or_init(|| Some(self.state_member()))
                .as_ref(),
            "Task" => self.built().members[1]
                .get_or_init(|| self.task_member())
                .as_ref(),
            "Map" => self.built().members[2]
                .get_or_init(|| self.map_member())
                .as_ref(),
            _ => None,
        }
    }

    fn map_item(&self) -> Option<(usize, &Value)> {
        self.state.map_item
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
