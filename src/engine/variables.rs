//! Variables (`Assign`) and their scopes.
//!
//! A path of the execution owns one scope level; Parallel branches and Map iterations start a
//! child level whose parent is the enclosing level, frozen while they run. Reads walk outwards;
//! writes go to the path's own level, so what a branch assigns ends with the branch.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct Scope {
    vars: HashMap<String, Value>,
    parent: Option<Arc<Scope>>,
}

impl Scope {
    pub fn child(parent: Arc<Scope>) -> Scope {
        Scope {
            vars: HashMap::new(),
            parent: Some(parent),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        match self.vars.get(name) {
            Some(v) => Some(v),
            None => self.parent.as_ref().and_then(|p| p.get(name)),
        }
    }

    pub fn set(&mut self, name: String, value: Value) {
        self.vars.insert(name, value);
    }

    /// Every visible variable once; inner levels hide outer ones of the same name.
    pub fn visible(&self) -> Vec<(&str, &Value)> {
        let mut out: Vec<(&str, &Value)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut level = Some(self);
        while let Some(l) = level {
            for (k, v) in &l.vars {
                if seen.insert(k.as_str()) {
                    out.push((k, v));
                }
            }
            level = l.parent.as_deref();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn children_read_outer_and_write_their_own_level() {
        let mut outer = Scope::default();
        outer.set("a".into(), json!(1));
        let shared = Arc::new(outer);
        let mut inner = Scope::child(shared.clone());
        assert_eq!(inner.get("a"), Some(&json!(1)));
        inner.set("a".into(), json!(2));
        inner.set("b".into(), json!(3));
        assert_eq!(inner.get("a"), Some(&json!(2)));
        assert_eq!(shared.get("a"), Some(&json!(1)));
        assert_eq!(shared.get("b"), None);
        assert_eq!(inner.visible().len(), 2);
    }
}
