//! Coverage as JSON, for `asl test --format json` and tools that read it: the whole structure
//! with a hit count per item.

use super::category::Category;
use super::item::Detail;
use super::{Coverage, scaled_percent};
use serde_json::{Map, Value, json};

/// `{"definition", "percent", "states", "edges", "choiceRules", "catches", "retries",
/// "branches", "totals"}`. Every item carries its stable `id` and `hits`; states, edges and
/// targets are named by JSON pointer (`state`, `from`, `to`, `next`, `parent`), a state's
/// own name is its `name`. `percent` is the headline (states and branch items), to two
/// decimals, 100 only when everything is covered.
pub fn to_json(coverage: &Coverage, definition_path: &str) -> Value {
    let mut lists: Map<String, Value> = Category::ALL
        .iter()
        .map(|c| (c.key().to_string(), Value::Array(Vec::new())))
        .collect();
    for (item, hits) in coverage.entries() {
        let (id, state) = (&item.id, &item.state);
        let entry = match &item.detail {
            Detail::State {
                name,
                type_name,
                parent,
            } => json!({"id": id, "pointer": item.pointer, "name": name, "type": type_name,
                        "parent": parent, "hits": hits}),
            Detail::Edge { to, label } => {
                json!({"id": id, "from": state, "to": to, "label": label, "hits": hits})
            }
            Detail::ChoiceRule { rule, next } => {
                let rule = rule.map_or_else(|| json!("Default"), |i| json!(i));
                json!({"id": id, "state": state, "rule": rule, "next": next, "hits": hits})
            }
            Detail::Catch {
                clause,
                errors,
                next,
            } => json!({"id": id, "state": state, "clause": clause, "errorEquals": errors,
                        "next": next, "hits": hits}),
            Detail::Retry {
                rule,
                outcome,
                errors,
            } => json!({"id": id, "state": state, "rule": rule, "outcome": outcome.as_str(),
                        "errorEquals": errors, "hits": hits}),
            Detail::Branch { branch } => json!({"id": id, "state": state, "branch": branch,
                                                "pointer": item.pointer, "hits": hits}),
        };
        if let Some(Value::Array(list)) = lists.get_mut(item.category().key()) {
            list.push(entry);
        }
    }
    let totals: Map<String, Value> = Category::ALL
        .iter()
        .map(|c| {
            let (covered, total) = coverage.totals(*c);
            (
                c.key().to_string(),
                json!({"covered": covered, "total": total}),
            )
        })
        .collect();
    let (covered, total) = coverage.headline();
    let percent = scaled_percent(covered, total, 100).map_or(100.0, |p| p as f64 / 100.0);

    let mut out = Map::new();
    out.insert("definition".into(), json!(definition_path));
    out.insert("percent".into(), json!(percent));
    out.extend(lists);
    out.insert("totals".into(), Value::Object(totals));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::super::Hit;
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn the_whole_structure_with_counts() {
        let mut c = Coverage::new(structure(CHOICE));
        let choice = "/States/CheckType";
        c.add([
            Hit::State {
                state: choice.into(),
            },
            Hit::Choice {
                state: choice.into(),
                rule: None,
            },
            Hit::Edge {
                from: choice.into(),
                to: "/States/Other".into(),
            },
        ]);
        let v = to_json(&c, "choice.asl.json");
        assert_eq!(v["definition"], "choice.asl.json");
        // states 1/4 + choice rules 1/4.
        assert_eq!(v["percent"], 25.0);
        assert_eq!(
            v["states"][0],
            json!({"id": "state:/States/CheckType", "pointer": choice, "name": "CheckType",
                   "type": "Choice", "parent": null, "hits": 1})
        );
        assert_eq!(
            v["edges"][0],
            json!({"id": "edge:/States/CheckType->/States/Accept", "from": choice,
                   "to": "/States/Accept", "label": "Choices[0], Choices[1]", "hits": 0})
        );
        assert_eq!(v["choiceRules"][1]["rule"], 1);
        assert_eq!(
            v["choiceRules"][3],
            json!({"id": "choice:/States/CheckType#Default", "state": choice,
                   "rule": "Default", "next": "/States/Other", "hits": 1})
        );
        assert_eq!(v["totals"]["edges"], json!({"covered": 1, "total": 3}));
        assert_eq!(v["totals"]["retries"], json!({"covered": 0, "total": 0}));
        let keys: Vec<&str> = v
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            [
                "definition",
                "percent",
                "states",
                "edges",
                "choiceRules",
                "catches",
                "retries",
                "branches",
                "totals"
            ]
        );
    }

    #[test]
    fn retries_catches_and_nested_branches() {
        let mut c = Coverage::new(structure(RETRY));
        c.add([Hit::RetryExhausted {
            state: "/States/CallApi".into(),
            rule: 1,
        }]);
        let v = to_json(&c, "retry.asl.json");
        assert_eq!(
            v["retries"][2],
            json!({"id": "retry:/States/CallApi#1:exhausted", "state": "/States/CallApi",
                   "rule": 1, "outcome": "exhausted",
                   "errorEquals": ["Busy", "States.Permissions"], "hits": 1})
        );
        assert_eq!(v["catches"][0]["errorEquals"], json!(["States.TaskFailed"]));
        assert_eq!(v["catches"][0]["next"], "/States/HandleError");

        let v = to_json(&Coverage::new(structure(NESTED)), "nested.asl.json");
        assert_eq!(v["states"][4]["parent"], FAN);
        assert_eq!(
            v["branches"][2],
            json!({"id": format!("branch:{FAN}#1"), "state": FAN, "branch": 1,
                   "pointer": format!("{FAN}/Branches/1"), "hits": 0})
        );
        assert_eq!(v["percent"], 0.0);
    }
}
