//! Which handler answers which Task state.

use super::handler::TaskHandler;
use crate::definition::Resource;
use std::collections::HashMap;
use std::sync::Arc;

/// Handlers by state name, then a fallback for every other state.
#[derive(Clone, Default)]
pub struct Registry {
    by_state: HashMap<String, Arc<dyn TaskHandler>>,
    fallback: Option<Arc<dyn TaskHandler>>,
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

    pub fn is_empty(&self) -> bool {
        self.by_state.is_empty() && self.fallback.is_none()
    }
}
