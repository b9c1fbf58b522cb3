//! Coverage of a state machine's structure, aggregated over the cases that ran it.
//!
//! [`Structure::of`] walks a loaded definition once and lists its coverable items: states,
//! transitions (edges), Choice rules and `Default`s, Catch clauses, Retry outcomes and
//! Parallel/Map branches, nested machines included. The runner turns each case's execution
//! into [`Hit`]s; [`Coverage`] counts them per item, and merges the counts of cases run on
//! other threads. The reports render a [`Coverage`]: [`summary`] for people, [`lcov`] for
//! CI coverage tools, [`to_json`] for `--format json`.
//!
//! Coverage never goes over 100 %: a hit that names no item of the structure (a state of
//! another definition, a stale pointer) is ignored, and each item counts once in the
//! percentages however many hits it has.

mod category;
#[cfg(test)]
mod fixtures;
mod hit;
mod item;
mod json;
mod lcov;
mod structure;
mod summary;

pub use category::Category;
pub use hit::Hit;
pub use item::{Detail, Item, RetryOutcome};
pub use json::to_json;
pub use lcov::{LineOf, lcov};
pub use structure::Structure;
pub use summary::summary;

use std::sync::Arc;

/// Hit counts per item of one definition's [`Structure`], aggregated over the cases that ran
/// it.
///
/// Invariant: `counts` has one entry per item of `structure`, in the same order.
#[derive(Debug, Clone)]
pub struct Coverage {
    structure: Arc<Structure>,
    counts: Vec<u64>,
}

impl Coverage {
    /// Nothing covered yet. Pass an `Arc` to share one structure between the coverages of
    /// cases run on several threads.
    pub fn new(structure: impl Into<Arc<Structure>>) -> Coverage {
        let structure = structure.into();
        let counts = vec![0; structure.len()];
        Coverage { structure, counts }
    }

    pub fn structure(&self) -> &Structure {
        &self.structure
    }

    /// Counts each hit against its item. A hit may repeat (every iteration of a Map counts);
    /// a hit naming no item of the structure is ignored.
    pub fn add(&mut self, hits: impl IntoIterator<Item = Hit>) {
        for hit in hits {
            if let Some(i) = self.structure.find(&hit) {
                self.bump(i, 1);
            }
        }
    }

    /// Adds the counts of `other`, a coverage of the same definition (cases run elsewhere).
    /// Items are matched by what covers them, so a coverage of another structure adds only
    /// the items the two share.
    pub fn merge(&mut self, other: &Coverage) {
        if Arc::ptr_eq(&self.structure, &other.structure) {
            for (i, n) in other.counts.iter().enumerate() {
                self.bump(i, *n);
            }
            return;
        }
        for (item, n) in other.entries() {
            if n > 0
                && let Some(i) = self.structure.find(&item.hit())
            {
                self.bump(i, n);
            }
        }
    }

    fn bump(&mut self, i: usize, n: u64) {
        if let Some(c) = self.counts.get_mut(i) {
            *c = c.saturating_add(n);
        }
    }

    /// How many times the item `hit` covers was hit; `None` when there is no such item.
    pub fn count(&self, hit: &Hit) -> Option<u64> {
        self.structure
            .find(hit)
            .and_then(|i| self.counts.get(i).copied())
    }

    /// Every item with its count, in the structure's order.
    pub fn entries(&self) -> impl Iterator<Item = (&Item, u64)> {
        self.structure
            .items()
            .iter()
            .zip(self.counts.iter().copied())
    }

    /// `(covered, total)` items of a category.
    pub fn totals(&self, category: Category) -> (usize, usize) {
        self.tally(|c| c == category)
    }

    /// `(covered, total)` of the items the headline counts: states and branch items.
    pub fn headline(&self) -> (usize, usize) {
        self.tally(Category::in_headline)
    }

    /// The headline percentage: covered states and branch items over all of them, × 100.
    /// A definition with no items is fully covered.
    pub fn percent(&self) -> f64 {
        let (covered, total) = self.headline();
        if total == 0 {
            100.0
        } else {
            covered as f64 * 100.0 / total as f64
        }
    }

    /// The items no case hit, in the structure's order (by category, then document order).
    pub fn uncovered(&self) -> impl Iterator<Item = &Item> {
        self.entries()
            .filter(|(_, n)| *n == 0)
            .map(|(item, _)| item)
    }

    fn tally(&self, wanted: impl Fn(Category) -> bool) -> (usize, usize) {
        self.entries()
            .filter(|(item, _)| wanted(item.category()))
            .fold((0, 0), |(covered, total), (_, n)| {
                (covered + usize::from(n > 0), total + 1)
            })
    }
}

/// `covered / total` as a percentage times `scale` (10: tenths), to the nearest unit except
/// that only full coverage gives 100 % and only none gives 0 %; `None` for no items.
fn scaled_percent(covered: usize, total: usize, scale: u128) -> Option<u128> {
    if total == 0 {
        return None;
    }
    let (covered, total) = (covered as u128, total as u128);
    let full = 100 * scale;
    Some(if covered >= total {
        full
    } else if covered == 0 {
        0
    } else {
        ((covered * full * 2 + total) / (2 * total)).clamp(1, full - 1)
    })
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    fn state(pointer: &str) -> Hit {
        Hit::State {
            state: pointer.into(),
        }
    }

    #[test]
    fn hitting_one_of_two_rules_to_one_target_leaves_the_other_uncovered() {
        let mut c = Coverage::new(structure(CHOICE));
        c.add([
            state("/States/CheckType"),
            Hit::Choice {
                state: "/States/CheckType".into(),
                rule: Some(0),
            },
            Hit::Edge {
                from: "/States/CheckType".into(),
                to: "/States/Accept".into(),
            },
            state("/States/Accept"),
        ]);
        assert_eq!(c.totals(Category::ChoiceRules), (1, 4));
        assert_eq!(c.totals(Category::Edges), (1, 3));
        let uncovered: Vec<&str> = c.uncovered().map(|i| i.name.as_str()).collect();
        assert!(uncovered.contains(&"Choice CheckType rule #1 (-> Accept)"));
        assert!(uncovered.contains(&"Choice CheckType Default (-> Other)"));
        assert!(!uncovered.contains(&"edge CheckType -> Accept"));
        // states 2/4, choice rules 1/4; no other branch items.
        assert_eq!(c.headline(), (3, 8));
        assert_eq!(c.percent(), 37.5);
    }

    #[test]
    fn recovered_and_exhausted_are_counted_apart() {
        let mut c = Coverage::new(structure(RETRY));
        let recovered = Hit::RetryRecovered {
            state: "/States/CallApi".into(),
            rule: 0,
        };
        c.add([recovered.clone(), recovered.clone()]);
        // Rule 1 has `MaxAttempts: 0`: a recovery by it is no item, and is not counted.
        c.add([Hit::RetryRecovered {
            state: "/States/CallApi".into(),
            rule: 1,
        }]);
        assert_eq!(c.count(&recovered), Some(2));
        assert_eq!(
            c.count(&Hit::RetryExhausted {
                state: "/States/CallApi".into(),
                rule: 0
            }),
            Some(0)
        );
        assert_eq!(c.totals(Category::Retries), (1, 3));
    }

    #[test]
    fn repeated_and_unknown_hits_never_go_over_100_percent() {
        let s = Arc::new(structure(NESTED));
        let mut c = Coverage::new(Arc::clone(&s));
        let all: Vec<Hit> = s.items().iter().map(Item::hit).collect();
        for _ in 0..1000 {
            c.add(all.iter().cloned());
            c.add([state(INNER_WORK), state(TALLY)]);
        }
        c.add([
            state("/States/Nowhere"),
            state("/States/Outer/ItemProcessor/States/Work"),
            Hit::Branch {
                state: FAN.into(),
                branch: 2,
            },
        ]);
        assert_eq!(c.totals(Category::States), (5, 5));
        assert_eq!(c.totals(Category::Branches), (4, 4));
        assert_eq!(c.percent(), 100.0);
        assert_eq!(c.count(&state(INNER_WORK)), Some(2000));
        assert_eq!(c.count(&state("/States/Nowhere")), None);
        assert_eq!(c.uncovered().count(), 0);
    }

    #[test]
    fn nested_states_are_counted_once_per_structure() {
        let mut c = Coverage::new(structure(NESTED));
        for _ in 0..7 {
            c.add([state(OUTER), state(FAN), state(TALLY)]);
        }
        assert_eq!(c.totals(Category::States), (3, 5));
        let uncovered: Vec<&str> = c
            .uncovered()
            .filter(|i| i.category() == Category::States)
            .map(|i| i.pointer.as_str())
            .collect();
        assert_eq!(uncovered, [INNER, INNER_WORK]);
    }

    #[test]
    fn merge_adds_counts_shared_or_rebuilt_structure() {
        let s = Arc::new(structure(CHOICE));
        let mut a = Coverage::new(Arc::clone(&s));
        let mut b = Coverage::new(Arc::clone(&s));
        a.add([state("/States/CheckType"), state("/States/Accept")]);
        b.add([state("/States/CheckType"), state("/States/Other")]);
        a.merge(&b);
        assert_eq!(a.count(&state("/States/CheckType")), Some(2));
        assert_eq!(a.count(&state("/States/Other")), Some(1));
        assert_eq!(a.totals(Category::States), (3, 4));

        // The same definition's structure built again (another thread loaded it).
        let mut c = Coverage::new(structure(CHOICE));
        c.merge(&a);
        c.merge(&a);
        assert_eq!(c.count(&state("/States/CheckType")), Some(4));
        assert_eq!(c.count(&state("/States/Accept")), Some(2));
    }

    #[test]
    fn a_definition_with_no_items_is_fully_covered() {
        let c = Coverage::new(Structure::default());
        assert_eq!(c.headline(), (0, 0));
        assert_eq!(c.percent(), 100.0);
    }
}
