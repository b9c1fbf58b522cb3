//! What one execution did, as coverage counts it: the probe's record of a case, reduced to
//! the items of the definition's structure it touched.

/// One thing a case's execution did that coverage counts. States are named by their JSON
/// pointer in the definition (`/States/Validate`, `/States/Fan/Branches/1/States/Work`), which
/// is unique even where names repeat across nested machines.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Hit {
    /// A state was entered.
    State { state: String },
    /// A state handed on to another state of the same graph (by `Next`, a Choice rule, the
    /// Choice's `Default` or a Catch clause).
    Edge { from: String, to: String },
    /// A Choice state chose rule `rule` (`None`: its `Default`).
    Choice { state: String, rule: Option<usize> },
    /// Catch clause `clause` of a state caught an error.
    Catch { state: String, clause: usize },
    /// Retry rule `rule` of a state retried and a later attempt succeeded.
    RetryRecovered { state: String, rule: usize },
    /// Retry rule `rule` of a state matched an error but had no attempts left.
    RetryExhausted { state: String, rule: usize },
    /// A Parallel branch (`branch` is its index) or a Map's processor (`branch` 0) ran.
    Branch { state: String, branch: usize },
}
