//! What an expression can read of `$states` and the variables, found once from its text, so
//! an evaluation converts only that: a Map over 10,000 items must not copy the Map's whole
//! input into the engine for each item's `ItemSelector`.
//!
//! For each `$name` the scan collects the chain of plain member names that follows it
//! (`$states.input.order.id` → `input`, `order`, `id`). The bound value keeps, along each
//! chain, only the members named, and everything below a chain's end, or below the first
//! array on its way. A mention followed by anything else (`$x[0]`, `$keys($x)`, `$x.*`) ends
//! its chain there, which keeps more; a bare `$x` keeps all of it. Expressions using the parent
//! operator `%` are not pruned at all. Mentions inside string literals only make the bound
//! value bigger, never wrong.

use super::convert::to_jvalue_shared;
use crate::data::roots::Roots;
use indexmap::IndexMap;
use jsonata_core::value::JValue;
use serde_json::Value;
use std::collections::BTreeMap;

/// Member chains read below one name; `None` means the whole value.
pub type Chains = Option<Vec<Vec<String>>>;

#[derive(Debug, Default)]
pub struct Reads {
    names: BTreeMap<String, Chains>,
}

impl Reads {
    pub fn of(source: &str) -> Reads {
        let whole = source.contains('%');
        let chars: Vec<char> = source.chars().collect();
        let mut names: BTreeMap<String, Chains> = BTreeMap::new();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] != '$' {
                i += 1;
                continue;
            }
            let (name, mut j) = identifier(&chars, i + 1);
            if name.is_empty() {
                i += 1;
                continue;
            }
            let mut chain = Vec::new();
            loop {
                let k = skip_space(&chars, j);
                if chars.get(k) != Some(&'.') {
                    break;
                }
                let k = skip_space(&chars, k + 1);
                let (member, next) = member(&chars, k);
                if member.is_empty() {
                    break;
                }
                chain.push(member);
                j = next;
            }
            let entry = names.entry(name).or_insert_with(|| Some(Vec::new()));
            match entry {
                Some(chains) if !whole && !chain.is_empty() => chains.push(chain),
                _ => *entry = None,
            }
            i = j.max(i + 1);
        }
        Reads { names }
    }

    pub fn mentions(&self, name: &str) -> bool {
        self.names.contains_key(name)
    }

    pub fn names(&self) -> impl Iterator<Item = (&str, &Chains)> {
        self.names.iter().map(|(k, v)| (k.as_str(), v))
    }
}

fn skip_space(chars: &[char], mut i: usize) -> usize {
    while chars.get(i).is_some_and(|c| c.is_whitespace()) {
        i += 1;
    }
    i
}

fn identifier(chars: &[char], mut i: usize) -> (String, usize) {
    let start = i;
    while chars
        .get(i)
        .is_some_and(|c| c.is_alphanumeric() || *c == '_')
    {
        i += 1;
    }
    (chars[start..i].iter().collect(), i)
}

/// A member name after a dot: an identifier or a `` `quoted name` ``.
fn member(chars: &[char], i: usize) -> (String, usize) {
    if chars.get(i) == Some(&'`') {
        let start = i + 1;
        let mut j = start;
        while j < chars.len() && chars[j] != '`' {
            j += 1;
        }
        if j < chars.len() {
            return (chars[start..j].iter().collect(), j + 1);
        }
        return (String::new(), i);
    }
    let (name, next) = identifier(chars, i);
    // A function call (`$x.f()`) or a name glued to something else ends the chain.
    (name, next)
}

/// `value` pruned to what `chains` can reach.
pub fn pruned(value: &Value, chains: &Chains) -> JValue {
    match chains {
        None => to_jvalue_shared(value),
        Some(chains) => {
            let refs: Vec<&[String]> = chains.iter().map(Vec::as_slice).collect();
            prune(value, &refs)
        }
    }
}

fn prune(value: &Value, chains: &[&[String]]) -> JValue {
    let Value::Object(map) = value else {
        return to_jvalue_shared(value);
    };
    if chains.is_empty() || chains.iter().any(|c| c.is_empty()) {
        return to_jvalue_shared(value);
    }
    let mut out = IndexMap::new();
    for (key, v) in map {
        let below: Vec<&[String]> = chains
            .iter()
            .filter(|c| c[0] == *key)
            .map(|c| &c[1..])
            .collect();
        if !below.is_empty() {
            out.insert(key.clone(), prune(v, &below));
        }
    }
    JValue::object(out)
}

/// `$states` for one evaluation: its members read through [`Roots`], so the context object
/// is only built (it copies the execution input) when a chain needs more than one member of it.
pub fn states_value(roots: &dyn Roots, chains: &Chains) -> JValue {
    const MEMBERS: [&str; 4] = ["input", "context", "result", "errorOutput"];
    let Some(chains) = chains else {
        let mut m = IndexMap::new();
        for member in MEMBERS {
            if let Some(v) = roots.states_member(member) {
                m.insert(member.to_string(), to_jvalue_shared(v));
            }
        }
        return JValue::object(m);
    };
    let mut m = IndexMap::new();
    for member in MEMBERS {
        let below: Vec<&[String]> = chains
            .iter()
            .filter(|c| c[0] == member)
            .map(|c| &c[1..])
            .collect();
        if below.is_empty() {
            continue;
        }
        let value = if member == "context" && below.iter().all(|c| !c.is_empty()) {
            context_value(roots, &below)
        } else {
            match roots.states_member(member) {
                Some(v) => prune(v, &below),
                None => continue,
            }
        };
        m.insert(member.to_string(), value);
    }
    JValue::object(m)
}

fn context_value(roots: &dyn Roots, chains: &[&[String]]) -> JValue {
    let mut m = IndexMap::new();
    for name in ["Execution", "StateMachine", "State", "Task", "Map"] {
        let below: Vec<&[String]> = chains
            .iter()
            .filter(|c| c[0] == name)
            .map(|c| &c[1..])
            .collect();
        if below.is_empty() {
            continue;
        }
        if let Some(v) = roots.context_member(name) {
            m.insert(name.to_string(), prune(v, &below));
        }
    }
    JValue::object(m)
}

/// `$name.m1.m2...` when that is the whole expression (plain identifiers only).
pub fn plain_chain(source: &str) -> Option<(String, Vec<String>)> {
    let rest = source.trim().strip_prefix('$')?;
    let mut parts = rest.split('.');
    let name = parts.next()?;
    let plain = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_');
    if !plain(name) {
        return None;
    }
    let members: Vec<String> = parts.map(str::to_string).collect();
    if !members.iter().all(|m| plain(m)) {
        return None;
    }
    Some((name.to_string(), members))
}

/// Reads a plain chain without the engine, or `None` when only the engine can answer: a
/// missing member (undefined, or an error the engine words), a step through an array
/// (JSONata maps over it), or an array result holding arrays (JSONata would flatten it).
pub fn read_chain(roots: &dyn Roots, (name, members): &(String, Vec<String>)) -> Option<Value> {
    let mut rest = members.as_slice();
    let mut value = if name == "states" {
        let (first, tail) = rest.split_first()?;
        rest = tail;
        match (first.as_str(), rest.split_first()) {
            ("context", Some((member, tail))) => {
                rest = tail;
                roots.context_member(member)?
            }
            (member, _) => roots.states_member(member)?,
        }
    } else {
        let v = roots.variable(name)?;
        if rest.is_empty() {
            return Some(v.clone());
        }
        v
    };
    for m in rest {
        value = value.as_object()?.get(m)?;
    }
    match value {
        Value::Array(items) if items.iter().any(Value::is_array) => None,
        v => Some(v.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::jsonata::from_jvalue;
    use serde_json::json;

    fn chains(src: &str, name: &str) -> Chains {
        Reads::of(src)
            .names
            .get(name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} not found in {src}"))
    }

    #[test]
    fn collects_member_chains_after_each_name() {
        assert_eq!(
            chains("$states.input.a & $states . input.`b c`[0]", "states"),
            Some(vec![
                vec!["input".to_string(), "a".to_string()],
                vec!["input".to_string(), "b c".to_string()]
            ])
        );
        assert_eq!(chains("$keys($x) & $x.a", "x"), None);
        assert_eq!(chains("$x.a.%", "x"), None);
    }

    #[test]
    fn pruning_keeps_what_the_chains_reach() {
        let v = json!({"a": {"b": 1, "c": 2}, "items": [{"p": 1}], "big": "x"});
        let c = chains("$v.a.b + $sum($v.items.p)", "v");
        assert_eq!(
            from_jvalue(&pruned(&v, &c)),
            Some(json!({"a": {"b": 1}, "items": [{"p": 1}]}))
        );
    }
}
