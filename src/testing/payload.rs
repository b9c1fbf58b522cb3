//! A visit's input or output as the [`Recorder`](super::record::Recorder) keeps it: small
//! values as they are, large ones cut into their top-level members, each large member stored
//! once per execution. A loop that passes a 200 KB payload on 2,500 times, changing a counter
//! beside it, keeps the payload once instead of 5,000 times (`asl test`, `asl run --graph`).

use serde_json::{Map, Value};
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Arc;

/// Values at least this large (serialized) are shared.
const SHARED: usize = 1024;

/// A recorded value.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    Whole(Value),
    /// An object's members in order, each large one shared.
    Members(Vec<(String, Arc<Value>)>),
    Shared(Arc<Value>),
}

impl Payload {
    /// The value itself (a copy for a shared one).
    pub fn value(&self) -> Value {
        match self {
            Payload::Whole(v) => v.clone(),
            Payload::Shared(v) => (**v).clone(),
            Payload::Members(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), (**v).clone()))
                    .collect::<Map<String, Value>>(),
            ),
        }
    }
}

/// The large values an execution's record has stored, by content.
#[derive(Default)]
pub struct Payloads {
    by_hash: HashMap<u64, Vec<Arc<Value>>>,
    hasher: foldhash::fast::FixedState,
    /// The stored value last seen at a heap address: a payload passed on from state to state
    /// keeps its allocation, so it is found without being serialized and hashed again (and
    /// compared, since the same allocation may have been written into meanwhile).
    by_address: HashMap<(usize, usize), Arc<Value>>,
}

/// Where a large value's contents live, and how many there are.
fn address(v: &Value) -> Option<(usize, usize)> {
    match v {
        Value::Array(a) => Some((a.as_ptr() as usize, a.len())),
        Value::String(s) => Some((s.as_ptr() as usize, s.len())),
        Value::Object(m) => m.iter().next().map(|(k, _)| (k.as_ptr() as usize, m.len())),
        _ => None,
    }
}

impl Payloads {
    pub fn keep(&mut self, v: &Value) -> Payload {
        if !crate::engine::payload_exceeds(v, SHARED) {
            return Payload::Whole(v.clone());
        }
        match v {
            Value::Object(m) => Payload::Members(
                m.iter()
                    .map(|(k, x)| {
                        let shared = if crate::engine::payload_exceeds(x, SHARED) {
                            self.shared(x)
                        } else {
                            Arc::new(x.clone())
                        };
                        (k.clone(), shared)
                    })
                    .collect(),
            ),
            other => Payload::Shared(self.shared(other)),
        }
    }

    fn shared(&mut self, v: &Value) -> Arc<Value> {
        let at = address(v);
        if let Some(x) = at.and_then(|a| self.by_address.get(&a))
            && **x == *v
        {
            return x.clone();
        }
        let x = self.by_content(v);
        if let Some(a) = at {
            if self.by_address.len() >= 1024 {
                self.by_address.clear();
            }
            self.by_address.insert(a, x.clone());
        }
        x
    }

    fn by_content(&mut self, v: &Value) -> Arc<Value> {
        let text = v.to_string();
        let same = self.by_hash.entry(self.hasher.hash_one(&text)).or_default();
        if let Some(x) = same.iter().find(|x| ***x == *v) {
            return x.clone();
        }
        let x = Arc::new(crate::data::compact::clone(v));
        same.push(x.clone());
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_large_member_is_kept_once_and_values_read_back_whole() {
        let big = json!((0..300).map(|i| format!("item-{i}")).collect::<Vec<_>>());
        let mut p = Payloads::default();
        let a = p.keep(&json!({"data": big, "n": 1}));
        let b = p.keep(&json!({"data": big, "n": 2}));
        match (&a, &b) {
            (Payload::Members(x), Payload::Members(y)) => assert!(Arc::ptr_eq(&x[0].1, &y[0].1)),
            other => panic!("{other:?}"),
        }
        assert_eq!(b.value(), json!({"data": big, "n": 2}));
        assert_eq!(p.keep(&json!(1)), Payload::Whole(json!(1)));
    }
}
