//! One coverable item of a definition: what it is, where it sits, and how people call it.

use super::category::Category;
use super::hit::Hit;

/// A coverable item, as [`super::Structure::of`] finds it.
///
/// Every item belongs to one state (`state`, its JSON pointer) and is covered by exactly one
/// [`Hit`] ([`Item::hit`]); no two items of a structure share a hit or an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Stable across runs and machines, built from JSON pointers: `state:/States/A`,
    /// `edge:/States/A->/States/B`, `choice:/States/C#0`, `choice:/States/C#Default`,
    /// `catch:/States/T#0`, `retry:/States/T#0:recovered`, `retry:/States/T#0:exhausted`,
    /// `branch:/States/P#1`.
    pub id: String,
    /// For people: `state Validate`, `Choice CheckType rule #1 (-> Reject)`, `edge A -> B`, ...
    pub name: String,
    /// Where the item is written in the definition: the state object, the rule object
    /// (`/States/C/Choices/0`), the `Default` member, the Catch or Retry clause
    /// (`/States/T/Catch/0`), the branch's graph (`/States/P/Branches/1`). An edge sits at
    /// its source state.
    pub pointer: String,
    /// The pointer of the state the item belongs to (the source state, for an edge).
    pub state: String,
    pub detail: Detail,
}

/// What kind of item, with the facts reports show about it. Pointers name states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    State {
        /// The state's name (unique in the whole machine, nested graphs included).
        name: String,
        type_name: &'static str,
        /// The pointer of the Map or Parallel state whose graph holds this state.
        parent: Option<String>,
    },
    Edge {
        to: String,
        /// How the source hands on to `to`: `Next`, `Choices[0]`, `Default`, `Catch[1]`,
        /// joined with `, ` when several lead there.
        label: String,
    },
    ChoiceRule {
        /// The rule's index in `Choices`; `None` for the `Default`.
        rule: Option<usize>,
        next: String,
    },
    Catch {
        clause: usize,
        errors: Vec<String>,
        next: String,
    },
    Retry {
        rule: usize,
        outcome: RetryOutcome,
        errors: Vec<String>,
    },
    Branch {
        /// The Parallel branch's index; 0 for a Map's processor.
        branch: usize,
    },
}

/// The two ways a Retry rule can be seen at work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryOutcome {
    /// The rule retried and a later attempt succeeded.
    Recovered,
    /// The rule matched an error but had no attempts left.
    Exhausted,
}

impl RetryOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RetryOutcome::Recovered => "recovered",
            RetryOutcome::Exhausted => "exhausted",
        }
    }
}

impl Item {
    pub fn category(&self) -> Category {
        match self.detail {
            Detail::State { .. } => Category::States,
            Detail::Edge { .. } => Category::Edges,
            Detail::ChoiceRule { .. } => Category::ChoiceRules,
            Detail::Catch { .. } => Category::Catches,
            Detail::Retry { .. } => Category::Retries,
            Detail::Branch { .. } => Category::Branches,
        }
    }

    /// The hit that covers this item.
    pub fn hit(&self) -> Hit {
        let state = self.state.clone();
        match &self.detail {
            Detail::State { .. } => Hit::State { state },
            Detail::Edge { to, .. } => Hit::Edge {
                from: state,
                to: to.clone(),
            },
            Detail::ChoiceRule { rule, .. } => Hit::Choice { state, rule: *rule },
            Detail::Catch { clause, .. } => Hit::Catch {
                state,
                clause: *clause,
            },
            Detail::Retry {
                rule,
                outcome: RetryOutcome::Recovered,
                ..
            } => Hit::RetryRecovered { state, rule: *rule },
            Detail::Retry {
                rule,
                outcome: RetryOutcome::Exhausted,
                ..
            } => Hit::RetryExhausted { state, rule: *rule },
            Detail::Branch { branch, .. } => Hit::Branch {
                state,
                branch: *branch,
            },
        }
    }
}
