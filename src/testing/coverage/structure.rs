//! The coverable items of a definition, found in one walk of the loaded model.

use super::category::Category;
use super::hit::Hit;
use super::item::{Detail, Item, RetryOutcome};
use crate::definition::{Graph, Kind, Next, State, StateMachine};
use std::collections::HashMap;

/// Every coverable item of a state machine, nested machines included.
///
/// A state inside a Map's processor or a Parallel branch is one item however many iterations
/// run it, identified by its pointer. Items are grouped by [`Category`] (in [`Category::ALL`]
/// order) and, within a category, listed in document order, depth first.
#[derive(Debug, Clone, Default)]
pub struct Structure {
    items: Vec<Item>,
    /// The hit that covers each item -> its index in `items`.
    index: HashMap<Hit, usize>,
}

impl Structure {
    pub fn of(machine: &StateMachine) -> Structure {
        let mut walk = Walk::default();
        walk.graph(&machine.root, None);
        let items: Vec<Item> = walk.found.into_iter().flatten().collect();
        let index = items
            .iter()
            .enumerate()
            .map(|(i, item)| (item.hit(), i))
            .collect();
        Structure { items, index }
    }

    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// The index of the item `hit` covers, if the structure has one.
    pub fn find(&self, hit: &Hit) -> Option<usize> {
        self.index.get(hit).copied()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// The walk: items found so far, one list per category. (State names are unique in the whole
/// machine, nested graphs included, so a name says which state it is.)
#[derive(Default)]
struct Walk {
    found: [Vec<Item>; Category::ALL.len()],
}

impl Walk {
    fn push(&mut self, item: Item) {
        // `Category::ALL` lists the variants in declaration order.
        self.found[item.category() as usize].push(item);
    }

    fn graph(&mut self, g: &Graph, parent: Option<&State>) {
        for s in &g.states {
            self.state(g, s, parent);
        }
    }

    fn state(&mut self, g: &Graph, s: &State, parent: Option<&State>) {
        let me = s.name.as_str();
        let at = |tail: String| format!("{}/{tail}", s.pointer);
        self.push(Item {
            id: format!("state:{}", s.pointer),
            name: format!("state {me}"),
            pointer: s.pointer.clone(),
            state: s.pointer.clone(),
            detail: Detail::State {
                name: s.name.clone(),
                type_name: s.kind.type_name(),
                parent: parent.map(|p| p.pointer.clone()),
            },
        });
        self.edges(g, s, me);

        if let Kind::Choice(c) = &s.kind {
            let rules = c.choices.iter().enumerate().map(|(i, b)| (Some(i), b.next));
            for (rule, next) in rules.chain(c.default.map(|d| (None, d))) {
                let Some(to) = g.states.get(next) else {
                    continue;
                };
                let (id, name, pointer) = match rule {
                    Some(i) => (
                        format!("choice:{}#{i}", s.pointer),
                        format!("Choice {me} rule #{i} (-> {})", to.name),
                        at(format!("Choices/{i}")),
                    ),
                    None => (
                        format!("choice:{}#Default", s.pointer),
                        format!("Choice {me} Default (-> {})", to.name),
                        at("Default".to_string()),
                    ),
                };
                self.push(Item {
                    id,
                    name,
                    pointer,
                    state: s.pointer.clone(),
                    detail: Detail::ChoiceRule {
                        rule,
                        next: to.pointer.clone(),
                    },
                });
            }
        }

        for (i, c) in s.kind.catchers().iter().enumerate() {
            let Some(to) = g.states.get(c.next) else {
                continue;
            };
            let errors: Vec<String> = c.error_equals.iter().map(|e| e.to_string()).collect();
            self.push(Item {
                id: format!("catch:{}#{i}", s.pointer),
                name: format!("Catch #{i} of {me} ({} -> {})", errors.join(", "), to.name),
                pointer: at(format!("Catch/{i}")),
                state: s.pointer.clone(),
                detail: Detail::Catch {
                    clause: i,
                    errors,
                    next: to.pointer.clone(),
                },
            });
        }

        for (i, r) in s.kind.retriers().iter().enumerate() {
            let errors: Vec<String> = r.error_equals.iter().map(|e| e.to_string()).collect();
            // A rule with no attempts never retries, so it can never recover.
            let outcomes: &[RetryOutcome] = if r.max_attempts == 0 {
                &[RetryOutcome::Exhausted]
            } else {
                &[RetryOutcome::Recovered, RetryOutcome::Exhausted]
            };
            for outcome in outcomes {
                self.push(Item {
                    id: format!("retry:{}#{i}:{}", s.pointer, outcome.as_str()),
                    name: format!(
                        "Retry #{i} of {me} ({}) {}",
                        errors.join(", "),
                        outcome.as_str()
                    ),
                    pointer: at(format!("Retry/{i}")),
                    state: s.pointer.clone(),
                    detail: Detail::Retry {
                        rule: i,
                        outcome: *outcome,
                        errors: errors.clone(),
                    },
                });
            }
        }

        let is_map = matches!(s.kind, Kind::Map(_));
        let nested = s.kind.graphs();
        for (i, graph) in nested.iter().enumerate() {
            self.push(Item {
                id: format!("branch:{}#{i}", s.pointer),
                name: if is_map {
                    format!("processor of {me}")
                } else {
                    format!("branch #{i} of {me}")
                },
                pointer: graph.pointer.clone(),
                state: s.pointer.clone(),
                detail: Detail::Branch { branch: i },
            });
        }
        // A state's own items first, then the states nested in it.
        for graph in nested {
            self.graph(graph, Some(s));
        }
    }

    /// One edge per distinct target the state can hand on to within its graph, labelled with
    /// every way it gets there, in the order the definition gives them.
    fn edges(&mut self, g: &Graph, s: &State, me: &str) {
        let mut targets: Vec<(usize, Vec<String>)> = Vec::new();
        let mut add = |to: usize, how: String| match targets.iter_mut().find(|(t, _)| *t == to) {
            Some((_, hows)) => hows.push(how),
            None => targets.push((to, vec![how])),
        };
        if let Next::To(to) = s.next {
            add(to, "Next".to_string());
        }
        if let Kind::Choice(c) = &s.kind {
            for (i, b) in c.choices.iter().enumerate() {
                add(b.next, format!("Choices[{i}]"));
            }
            if let Some(d) = c.default {
                add(d, "Default".to_string());
            }
        }
        for (i, c) in s.kind.catchers().iter().enumerate() {
            add(c.next, format!("Catch[{i}]"));
        }
        for (to, hows) in targets {
            let Some(to) = g.states.get(to) else {
                continue;
            };
            self.push(Item {
                id: format!("edge:{}->{}", s.pointer, to.pointer),
                name: format!("edge {me} -> {}", to.name),
                pointer: s.pointer.clone(),
                state: s.pointer.clone(),
                detail: Detail::Edge {
                    to: to.pointer.clone(),
                    label: hows.join(", "),
                },
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    fn names(s: &Structure, category: Category) -> Vec<&str> {
        s.items()
            .iter()
            .filter(|i| i.category() == category)
            .map(|i| i.name.as_str())
            .collect()
    }

    fn ids(s: &Structure) -> Vec<&str> {
        s.items().iter().map(|i| i.id.as_str()).collect()
    }

    #[test]
    fn two_rules_with_one_target_are_two_rules_and_one_edge() {
        let s = structure(CHOICE);
        assert_eq!(
            names(&s, Category::ChoiceRules),
            [
                "Choice CheckType rule #0 (-> Accept)",
                "Choice CheckType rule #1 (-> Accept)",
                "Choice CheckType rule #2 (-> Reject)",
                "Choice CheckType Default (-> Other)",
            ]
        );
        let edges: Vec<(&str, &str)> = s
            .items()
            .iter()
            .filter_map(|i| match &i.detail {
                Detail::Edge { to, label } => Some((to.as_str(), label.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(
            edges,
            [
                ("/States/Accept", "Choices[0], Choices[1]"),
                ("/States/Reject", "Choices[2]"),
                ("/States/Other", "Default"),
            ]
        );
    }

    #[test]
    fn default_is_an_edge_and_a_choice_item_at_its_member() {
        let s = structure(CHOICE);
        let default = s.find(&Hit::Choice {
            state: "/States/CheckType".into(),
            rule: None,
        });
        let item = default.and_then(|i| s.items().get(i));
        assert_eq!(
            item.map(|i| i.pointer.as_str()),
            Some("/States/CheckType/Default")
        );
        assert_eq!(
            item.map(|i| i.id.as_str()),
            Some("choice:/States/CheckType#Default")
        );
        assert!(
            s.find(&Hit::Edge {
                from: "/States/CheckType".into(),
                to: "/States/Other".into()
            })
            .is_some()
        );
        assert!(names(&s, Category::Edges).contains(&"edge CheckType -> Other"));
    }

    #[test]
    fn retry_outcomes_are_two_items_unless_the_rule_cannot_retry() {
        let s = structure(RETRY);
        assert_eq!(
            names(&s, Category::Retries),
            [
                "Retry #0 of CallApi (States.Timeout) recovered",
                "Retry #0 of CallApi (States.Timeout) exhausted",
                "Retry #1 of CallApi (Busy, States.Permissions) exhausted",
            ]
        );
        let recovered = Hit::RetryRecovered {
            state: "/States/CallApi".into(),
            rule: 1,
        };
        assert_eq!(s.find(&recovered), None);
        assert_eq!(
            names(&s, Category::Catches),
            ["Catch #0 of CallApi (States.TaskFailed -> HandleError)"]
        );
        let retry = s.items().iter().find(|i| i.category() == Category::Retries);
        assert_eq!(
            retry.map(|i| i.pointer.as_str()),
            Some("/States/CallApi/Retry/0")
        );
    }

    #[test]
    fn edges_say_how_they_arise_next_and_catch() {
        let s = structure(RETRY);
        let edges: Vec<(&str, &str)> = s
            .items()
            .iter()
            .filter_map(|i| match &i.detail {
                Detail::Edge { label, .. } => Some((i.name.as_str(), label.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(
            edges,
            [
                ("edge CallApi -> Done", "Next"),
                ("edge CallApi -> HandleError", "Catch[0]"),
            ]
        );
    }

    #[test]
    fn nested_states_are_one_item_each_named_by_pointer() {
        let s = structure(NESTED);
        let states: Vec<(&str, Option<&str>)> = s
            .items()
            .iter()
            .filter_map(|i| match &i.detail {
                Detail::State { parent, .. } => Some((i.pointer.as_str(), parent.as_deref())),
                _ => None,
            })
            .collect();
        assert_eq!(
            states,
            [
                (OUTER, None),
                (FAN, Some(OUTER)),
                (INNER, Some(FAN)),
                (INNER_WORK, Some(INNER)),
                (TALLY, Some(FAN)),
            ]
        );
        assert_eq!(
            names(&s, Category::States),
            [
                "state Outer",
                "state Fan",
                "state Inner",
                "state Work",
                "state Tally"
            ]
        );
        assert_eq!(
            names(&s, Category::Branches),
            [
                "processor of Outer",
                "branch #0 of Fan",
                "branch #1 of Fan",
                "processor of Inner",
            ]
        );
        let branch = s.find(&Hit::Branch {
            state: FAN.into(),
            branch: 1,
        });
        assert_eq!(
            branch
                .and_then(|i| s.items().get(i))
                .map(|i| i.pointer.as_str()),
            Some("/States/Outer/ItemProcessor/States/Fan/Branches/1")
        );
    }

    #[test]
    fn ids_are_unique_and_every_item_is_found_by_its_hit() {
        for text in [CHOICE, RETRY, NESTED] {
            let s = structure(text);
            let mut seen = ids(&s);
            seen.sort();
            seen.dedup();
            assert_eq!(seen.len(), s.len());
            for (i, item) in s.items().iter().enumerate() {
                assert_eq!(s.find(&item.hit()), Some(i), "{}", item.id);
            }
        }
    }
}
