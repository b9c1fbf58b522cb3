//! The kinds of coverable item, in the order every report lists them.

/// A kind of coverable item of a definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// A state was entered.
    States,
    /// A state handed on to a given target (reported, not in the headline percentage).
    Edges,
    /// A Choice state chose a given rule, or its `Default`.
    ChoiceRules,
    /// A Catch clause caught an error.
    Catches,
    /// A Retry rule recovered, or was exhausted.
    Retries,
    /// A Parallel branch, or a Map's processor, ran.
    Branches,
}

impl Category {
    /// Every category, in report order.
    pub const ALL: [Category; 6] = [
        Category::States,
        Category::Edges,
        Category::ChoiceRules,
        Category::Catches,
        Category::Retries,
        Category::Branches,
    ];

    /// The name people read in a summary.
    pub fn label(self) -> &'static str {
        match self {
            Category::States => "states",
            Category::Edges => "transitions",
            Category::ChoiceRules => "choice rules",
            Category::Catches => "catch clauses",
            Category::Retries => "retry outcomes",
            Category::Branches => "branches",
        }
    }

    /// The member name in the JSON report.
    pub fn key(self) -> &'static str {
        match self {
            Category::States => "states",
            Category::Edges => "edges",
            Category::ChoiceRules => "choiceRules",
            Category::Catches => "catches",
            Category::Retries => "retries",
            Category::Branches => "branches",
        }
    }

    /// Whether the headline percentage counts this category: states and the branch items
    /// (choice rules, catch clauses, retry outcomes, Parallel/Map branches). Edges are left
    /// out: a `Next` edge is taken whenever its state succeeds, and the decisions that pick
    /// among a state's edges are branch items already, so counting edges too would weigh
    /// long linear chains over decisions.
    pub fn in_headline(self) -> bool {
        self != Category::Edges
    }
}
