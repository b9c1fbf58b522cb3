//! The machine walk: the top level, each graph (the machine's own, a Parallel branch, a Map's
//! item processor) with its state names, and transitions resolved to indexes once a graph's
//! names are known.

use super::walker::{Obj, Walker, type_of};
use crate::definition::diagnostic::{Code, Pointer};
use crate::definition::machine::{Graph, QueryLanguage, StateMachine};
use foldhash::HashMap;
use serde_json::{Map as JsonMap, Value};

/// How deep Parallel and Map states may nest before the definition is refused.
const MAX_NESTING: usize = 32;

/// ` (did you mean `X`?)` when a name is close to one that exists.
fn did_you_mean(wanted: &str, names: &[&String]) -> String {
    let names: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    crate::definition::diagnostic::did_you_mean_in(wanted, &names)
}

impl Walker {
    /// The query language of the machine, a graph or a state: its own `QueryLanguage`, else
    /// the one it inherits.
    pub(super) fn query_language(&mut self, o: Obj, inherited: QueryLanguage) -> QueryLanguage {
        match self.string(o, "QueryLanguage") {
            None => inherited,
            Some("JSONPath") => {
                if self.top_jsonata
                    && o.ptr.as_str().contains("/States/")
                    && !self.in_child_workflow
                {
                    // AWS locates this at the state, not at its `QueryLanguage` field.
                    self.schema(
                        o.ptr,
                        "`QueryLanguage` cannot be `JSONPath` in a state machine whose `QueryLanguage` is `JSONata`",
                    );
                }
                QueryLanguage::JsonPath
            }
            Some("JSONata") => QueryLanguage::Jsonata,
            Some(other) => {
                self.schema(
                    &o.at("QueryLanguage"),
                    format!("The field `QueryLanguage` must be `JSONPath` or `JSONata`, but it is `{other}`"),
                );
                inherited
            }
        }
    }

    pub(super) fn machine(&mut self, v: &Value) -> Option<StateMachine> {
        let root = Pointer::root();
        let Value::Object(m) = v else {
            self.schema(
                &root,
                format!(
                    "A state machine definition must be a JSON object, but it is {}",
                    type_of(v)
                ),
            );
            return None;
        };
        let o = Obj { map: m, ptr: &root };
        for k in m.keys() {
            if !matches!(
                k.as_str(),
                "Comment" | "StartAt" | "States" | "TimeoutSeconds" | "Version" | "QueryLanguage"
            ) {
                let hint = crate::definition::diagnostic::did_you_mean_in(
                    k,
                    &[
                        "Comment",
                        "StartAt",
                        "States",
                        "TimeoutSeconds",
                        "Version",
                        "QueryLanguage",
                    ],
                );
                self.unknown(
                    o.ptr,
                    k,
                    format!(
                        "Field `{k}` is not supported at the top level of a state machine{hint}"
                    ),
                );
            }
        }
        let lang = self.query_language(o, QueryLanguage::JsonPath);
        self.top_jsonata = lang == QueryLanguage::Jsonata;
        let comment = self.string(o, "Comment").map(str::to_string);
        let version = self.string(o, "Version").map(str::to_string);
        let timeout_seconds = self.integer(o, "TimeoutSeconds", 1);
        let graph = self.graph(o, lang);
        Some(StateMachine {
            comment,
            version,
            timeout_seconds,
            query_language: lang,
            root: graph?,
        })
    }

    /// Reads `StartAt` and `States` of `o` (the machine, a branch, or an item processor).
    fn graph(&mut self, o: Obj, lang: QueryLanguage) -> Option<Graph> {
        if !self.required(o, &["States", "StartAt"]) {
            // Still read the states for their own problems.
            if let Some(Value::Object(_)) = o.get("States") {
            } else {
                return None;
            }
        }
        let start_name = self.string(o, "StartAt");
        let states_ptr = o.at("States");
        let in_tree = self.object(o, "States")?;
        // The states themselves, when `load_owned` took them out of the tree.
        let owned = self.taken.remove(&(std::ptr::from_ref(in_tree) as usize));
        let states_map = owned.as_ref().unwrap_or(in_tree);
        if states_map.is_empty() {
            self.schema(
                &states_ptr,
                "The field `States` must hold at least one state",
            );
            return None;
        }
        let keys: Vec<String> = states_map.keys().cloned().collect();
        let names: Vec<&String> = keys.iter().collect();
        let index: HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        for n in &names {
            let p = states_ptr.key(n);
            if n.is_empty() || n.chars().count() > 80 {
                self.error(
                    Code::InvalidStateName,
                    &p,
                    format!("The state name `{n}` must be 1 to 80 characters long"),
                );
            }
            if let Some(first) = self.names.get(n.as_str()) {
                let msg = format!(
                    "The state name `{n}` is already used at {first}; state names must be unique in the whole state machine"
                );
                self.error(Code::DuplicateStateName, &p, msg);
            } else {
                self.names.insert(n.to_string(), p.to_string());
            }
        }
        let start = match start_name {
            Some(s) => match index.get(s) {
                Some(i) => Some(*i),
                None => {
                    let msg = format!(
                        "`StartAt` names the state `{s}`, which does not exist{}",
                        did_you_mean(s, &names)
                    );
                    self.error(Code::MissingTransitionTarget, &o.at("StartAt"), msg);
                    None
                }
            },
            None => None,
        };
        let mut states = Vec::with_capacity(names.len());
        let mut one = |walker: &mut Self, name: &str, v: &Value| {
            let p = states_ptr.key(name);
            if let Some(s) = walker.state(name, v, &p, lang, &index, &names) {
                states.push(s);
            }
        };
        match owned {
            // Each state's JSON is dropped as soon as it is compiled.
            Some(map) => map.into_iter().for_each(|(name, v)| one(self, &name, &v)),
            None => in_tree.iter().for_each(|(name, v)| one(self, name, v)),
        }
        if states.len() != names.len() {
            return None;
        }
        Some(Graph {
            states,
            start: start?,
            pointer: o.ptr.to_string(),
        })
    }

    pub(super) fn transition(
        &mut self,
        o: Obj,
        k: &str,
        index: &HashMap<&str, usize>,
        names: &[&String],
    ) -> Option<usize> {
        let s = self.string(o, k)?;
        match index.get(s) {
            Some(i) => Some(*i),
            None => {
                let msg = format!(
                    "`{k}` names the state `{s}`, which does not exist in this scope{}",
                    did_you_mean(s, names)
                );
                self.error(Code::MissingTransitionTarget, &o.at(k), msg);
                None
            }
        }
    }

    pub(super) fn nested_graph(
        &mut self,
        m: &JsonMap<String, Value>,
        ptr: &Pointer,
        lang: QueryLanguage,
        allowed: &[&str],
    ) -> Option<Graph> {
        let o = Obj { map: m, ptr };
        for k in m.keys() {
            if !allowed.contains(&k.as_str()) {
                self.unknown(o.ptr, k, format!("Field `{k}` is not supported here"));
            }
        }
        let lang = self.query_language(o, lang);
        self.depth += 1;
        let g = if self.depth > MAX_NESTING {
            self.error(
                Code::TooDeeplyNested,
                ptr,
                format!("Parallel and Map states are nested more than {MAX_NESTING} deep"),
            );
            None
        } else {
            self.graph(o, lang)
        };
        self.depth -= 1;
        g
    }
}

#[cfg(test)]
mod tests {
    use crate::definition::diagnostic::Code;
    use crate::definition::load::loaded::{errors, load_value};
    use serde_json::json;

    #[test]
    fn reports_missing_top_level_fields_at_the_root() {
        assert_eq!(
            errors(json!({"Comment": "x"})),
            vec![("SCHEMA_VALIDATION_FAILED".into(), "".into())]
        );
    }

    #[test]
    fn reports_unknown_targets_with_a_suggestion() {
        let d = load_value(&json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Next": "Bb"}, "B": {"Type": "Succeed"}}}))
        .diagnostics;
        assert_eq!(d[0].code, Code::MissingTransitionTarget);
        assert_eq!(d[0].location, "/States/A/Next");
        assert!(
            d[0].message.contains("did you mean `B`"),
            "{}",
            d[0].message
        );
    }

    #[test]
    fn duplicate_names_across_branches_are_refused() {
        let e = errors(json!({"StartAt": "P", "States": {
            "P": {"Type": "Parallel", "End": true, "Branches": [
                {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}},
                {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}]}}}));
        assert_eq!(
            e,
            vec![(
                "DUPLICATE_STATE_NAME".into(),
                "/States/P/Branches/1/States/X".into()
            )]
        );
    }
}
