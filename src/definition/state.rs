//! One state: its name, language, kind, transition and data-flow fields.

use super::choice::Choice;
use super::fail::Fail;
use super::io::Io;
use super::machine::{Graph, QueryLanguage};
use super::map::Map;
use super::parallel::Parallel;
use super::retry::{Catcher, Retrier};
use super::task::Task;
use super::wait::Wait;
use crate::data::template::Template;
use serde_json::Value;

#[derive(Debug, Clone)]
pub struct State {
    pub name: String,
    /// JSON pointer of the state object (`/States/Name`).
    pub pointer: String,
    pub comment: Option<String>,
    pub language: QueryLanguage,
    pub kind: Kind,
    pub next: Next,
    pub io: Io,
    /// `Assign`: variable name -> template (JSONPath or JSONata form, by `language`).
    pub assign: Option<Box<Template>>,
}

/// Where a state goes when it succeeds. Choice, Succeed and Fail states hold `End` here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    To(usize),
    End,
}

#[derive(Debug, Clone)]
pub enum Kind {
    /// `Result` is the static value a JSONPath Pass state returns.
    Pass {
        result: Option<Value>,
    },
    Task(Box<Task>),
    Choice(Box<Choice>),
    Wait(Box<Wait>),
    Succeed,
    Fail(Box<Fail>),
    Parallel(Box<Parallel>),
    Map(Box<Map>),
}

impl Kind {
    pub fn type_name(&self) -> &'static str {
        match self {
            Kind::Pass { .. } => "Pass",
            Kind::Task(_) => "Task",
            Kind::Choice(_) => "Choice",
            Kind::Wait(_) => "Wait",
            Kind::Succeed => "Succeed",
            Kind::Fail(_) => "Fail",
            Kind::Parallel(_) => "Parallel",
            Kind::Map(_) => "Map",
        }
    }

    /// The graphs nested in this state (Parallel branches, the Map processor).
    pub fn graphs(&self) -> Vec<&Graph> {
        match self {
            Kind::Parallel(p) => p.branches.iter().collect(),
            Kind::Map(m) => vec![&m.processor],
            _ => Vec::new(),
        }
    }

    /// Whether running the state can wait (on a clock, a handler, branches or iterations):
    /// Wait, Task, Parallel and Map. The others run from start to end at once.
    pub fn can_wait(&self) -> bool {
        !matches!(
            self,
            Kind::Pass { .. } | Kind::Choice(_) | Kind::Succeed | Kind::Fail(_)
        )
    }

    pub fn retriers(&self) -> &[Retrier] {
        match self {
            Kind::Task(t) => &t.retry,
            Kind::Parallel(p) => &p.retry,
            Kind::Map(m) => &m.retry,
            _ => &[],
        }
    }

    pub fn catchers(&self) -> &[Catcher] {
        match self {
            Kind::Task(t) => &t.catch,
            Kind::Parallel(p) => &p.catch,
            Kind::Map(m) => &m.catch,
            _ => &[],
        }
    }
}
