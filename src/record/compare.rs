//! Comparing a recorded payload with the one a local run produced, by JSON pointer.
//!
//! Some values cannot repeat outside the execution that made them, and are let pass when
//! both sides hold one of the kind: a task token (the local one is known: where the local
//! value holds it, any recorded string passes), timestamps (RFC 3339 on both sides: AWS's
//! clock is not ours) and UUIDs (`States.UUID()`, `$uuid()`). Where one was let pass is
//! returned, so that a recorded test can expect "a string" there.

use crate::definition::Pointer;
use serde_json::Value;

/// One difference between the recorded value and the local one.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// Where, as a JSON pointer (`""` for the whole value).
    pub pointer: String,
    /// `None`: the recorded value has nothing there.
    pub recorded: Option<Value>,
    /// `None`: the local value has nothing there.
    pub now: Option<Value>,
}

impl Difference {
    /// `/Payload/amount: recorded 42, now 41`.
    pub fn line(&self) -> String {
        let at = if self.pointer.is_empty() {
            "(root)"
        } else {
            self.pointer.as_str()
        };
        let show = |v: &Option<Value>| match v {
            Some(v) => short(v),
            None => "nothing".into(),
        };
        format!(
            "{at}: recorded {}, now {}",
            show(&self.recorded),
            show(&self.now)
        )
    }
}

/// A value for a message, cut at 120 characters.
pub fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 120 {
        let cut: String = s.chars().take(117).collect();
        format!("{cut}...")
    } else {
        s
    }
}

/// The comparison of two values.
#[derive(Debug, Default)]
pub struct Comparison {
    pub differences: Vec<Difference>,
    /// Pointers where values that cannot repeat were let pass.
    pub let_pass: Vec<String>,
}

/// Compares `recorded` with `now`; `token` is the local task token, if the call had one.
pub fn compare(recorded: &Value, now: &Value, token: Option<&str>) -> Comparison {
    let mut c = Comparison::default();
    walk(recorded, now, &Pointer::root(), token, &mut c);
    c
}

fn walk(r: &Value, n: &Value, at: &Pointer, token: Option<&str>, c: &mut Comparison) {
    match (r, n) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                match b.get(k) {
                    Some(w) => walk(v, w, &at.key(k), token, c),
                    None => c.differences.push(Difference {
                        pointer: at.key(k).to_string(),
                        recorded: Some(v.clone()),
                        now: None,
                    }),
                }
            }
            for (k, w) in b {
                if !a.contains_key(k) {
                    c.differences.push(Difference {
                        pointer: at.key(k).to_string(),
                        recorded: None,
                        now: Some(w.clone()),
                    });
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (v, w)) in a.iter().zip(b).enumerate() {
                walk(v, w, &at.index(i), token, c);
            }
        }
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
        (Value::String(a), Value::String(b)) if a != b && unrepeatable(a, b, token) => {
            c.let_pass.push(at.to_string());
        }
        _ if r == n => {}
        _ => c.differences.push(Difference {
            pointer: at.to_string(),
            recorded: Some(r.clone()),
            now: Some(n.clone()),
        }),
    }
}

/// Whether two different strings are values no two executions share: the task token, two
/// timestamps, or the same text but for UUIDs in it (`States.UUID()`, a Map Run's ARN).
fn unrepeatable(recorded: &str, now: &str, token: Option<&str>) -> bool {
    if token.is_some_and(|t| !t.is_empty() && now.contains(t)) {
        return true;
    }
    let time = |s: &str| crate::data::timestamp::parse(s).is_some();
    if time(recorded) && time(now) {
        return true;
    }
    let r = without_uuids(recorded);
    r != recorded && r == without_uuids(now)
}

/// `s` with each UUID (8-4-4-4-12 hex digits) replaced by `*`.
pub fn without_uuids(s: &str) -> String {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    let b = s.as_bytes();
    // The end of a UUID that starts at `i`, if one does.
    let at = |i: usize| -> Option<usize> {
        let mut j = i;
        for (g, n) in GROUPS.iter().enumerate() {
            if g > 0 {
                if b.get(j) != Some(&b'-') {
                    return None;
                }
                j += 1;
            }
            if !b.get(j..j + n)?.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            j += n;
        }
        Some(j)
    };
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        let alone = i == 0 || !b[i - 1].is_ascii_hexdigit();
        match at(i).filter(|&end| alone && b.get(end).is_none_or(|c| !c.is_ascii_hexdigit())) {
            Some(end) => {
                out.push('*');
                i = end;
            }
            None => {
                let c = s[i..].chars().next().unwrap_or(' ');
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn differences_by_pointer() {
        let c = compare(
            &json!({"a": 1, "b": [1, 2], "c": "x", "d": 1}),
            &json!({"a": 1.0, "b": [1, 3], "c": "x", "e": true}),
            None,
        );
        let lines: Vec<String> = c.differences.iter().map(Difference::line).collect();
        assert_eq!(
            lines,
            [
                "/b/1: recorded 2, now 3",
                "/d: recorded 1, now nothing",
                "/e: recorded nothing, now true"
            ]
        );
    }

    #[test]
    fn tokens_times_and_uuids_pass() {
        let c = compare(
            &json!({"token": "AWS-TOKEN", "at": "2024-05-01T10:00:00.123Z", "id": "6f9619ff-8b86-d011-b42d-00cf4fc964ff", "n": "a"}),
            &json!({"token": "AQlocal", "at": "2024-01-01T00:00:00.000Z", "id": "d41e1eef-826b-4cb9-afe5-c2bc1b623e60", "n": "b"}),
            Some("AQlocal"),
        );
        assert_eq!(c.let_pass, ["/token", "/at", "/id"]);
        assert_eq!(c.differences.len(), 1);
        let arn = |id: &str| json!(format!("arn:aws:states:us-east-1:1:mapRun:m/l:{id}"));
        let c = compare(
            &arn("e77bc967-b3bf-4d3d-92b7-380d6c582ee2"),
            &arn("7f6f2ccd-b23f-4abb-bb69-278e947c01c6"),
            None,
        );
        assert_eq!((c.differences.len(), c.let_pass.len()), (0, 1));
        assert_eq!(without_uuids("é-x"), "é-x");
    }
}
