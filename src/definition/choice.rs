//! The Choice state: rules tried in order, then `Default`.

use crate::data::choice_rule::Rule;
use crate::data::template::Template;

#[derive(Debug, Clone)]
pub struct Choice {
    pub choices: Vec<ChoiceBranch>,
    /// Index of the `Default` state.
    pub default: Option<usize>,
}

/// One top-level choice rule with where it leads.
#[derive(Debug, Clone)]
pub struct ChoiceBranch {
    pub rule: Rule,
    pub next: usize,
    pub assign: Option<Template>,
    /// JSONata `Output` of the rule.
    pub output: Option<Template>,
}
