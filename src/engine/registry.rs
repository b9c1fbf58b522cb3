//! Which handler answers which Task state.

use super::handler::TaskHandler;
use crate::definition::Resource;
use std::collections::HashMap;
use std::sync::Arc;

/// What to tell the user about a Task state nothing answers: the ways that would work for
/// its resource (the caller knows which routes exist; the engine does not).
pub type Advice = Arc<dyn Fn(&str, &Resource) -> String + Send + Sync>;

/// Handlers by state name, then a fallback for every other state.
#[derive(Clone, Default)]
pub struct Registry {
    by_state: HashMap<String, Arc<dyn TaskHandler>>,
    fallback: Option<Arc<dyn TaskHandler>>,
    advice: Option<Advice>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn for_state(&mut self, state: impl Into<String>, h: Arc<dyn TaskHandler>) -> &mut Self {
        self.by_state.insert(state.into(), h);
        self
    }

    pub fn fallback(&mut self, h: Arc<dyn TaskHandler>) -> &mut Self {
        self.fallback = Some(h);
        self
    }

    /// The handler for a state, if any.
    pub fn handler(&self, state: &str, _resource: &Resource) -> Option<Arc<dyn TaskHandler>> {
        self.by_state
            .get(state)
            .cloned()
            .or_else(|| self.fallback.clone())
    }

    /// Whether `state` has a handler of its own (not the fallback).
    pub fn has_state(&self, state: &str) -> bool {
        self.by_state.contains_key(state)
    }

    /// How to advise on a state without a handler.
    pub fn advise(&mut self, advice: Advice) -> &mut Self {
        self.advice = Some(advice);
        self
    }

    /// The advice for a state without a handler: the caller's, or the routes every run has.
    pub fn advice(&self, state: &str, resource: &Resource) -> String {
        match &self.advice {
            Some(a) => a(state, resource),
            None => format!(
                "mock it in the mock file's test case (--mock-config, --test-case) or run it as a local command (--local '{state}=COMMAND')"
            ),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.by_state.is_empty() && self.fallback.is_none()
    }
}
