//! The serialized size of a JSON value, for AWS's payload limit (`States.DataLimitExceeded`).

use serde_json::Value;

/// AWS's limit on a state's input or output: 256 KiB.
pub const PAYLOAD_LIMIT: usize = 262_144;

/// Whether `v` serializes (compact) to more than `limit` bytes. Stops walking as soon as the
/// answer is known.
pub fn exceeds(v: &Value, limit: usize) -> bool {
    let mut n = 0usize;
    walk(v, &mut n, limit)
}

/// The serialized size of `v`, or some number above `limit` once it is known to exceed it.
pub fn len_up_to(v: &Value, limit: usize) -> usize {
    let mut n = 0usize;
    walk(v, &mut n, limit);
    n
}

fn walk(v: &Value, n: &mut usize, limit: usize) -> bool {
    *n += match v {
        Value::Null => 4,
        Value::Bool(b) => {
            if *b {
                4
            } else {
                5
            }
        }
        Value::Number(num) => number_len(num),
        Value::String(s) => string_len(s),
        Value::Array(a) => {
            *n += 2 + a.len().saturating_sub(1);
            for x in a {
                if walk(x, n, limit) {
                    return true;
                }
            }
            0
        }
        Value::Object(m) => {
            *n += 2 + m.len().saturating_sub(1);
            for (k, x) in m {
                *n += string_len(k) + 1;
                if walk(x, n, limit) {
                    return true;
                }
            }
            0
        }
    };
    *n > limit
}

/// The length of a number's JSON text, counted without allocating it.
fn number_len(num: &serde_json::Number) -> usize {
    struct Count(usize);
    impl std::fmt::Write for Count {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut c = Count(0);
    let _ = std::fmt::Write::write_fmt(&mut c, format_args!("{num}"));
    c.0
}

fn string_len(s: &str) -> usize {
    let mut n = 2 + s.len();
    for b in s.bytes() {
        match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => n += 1,
            0..=0x1f => n += 5,
            _ => {}
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matches_serialized_length() {
        for v in [
            json!(null),
            json!({"a": [1, 2.5, "x\"y\n\u{1}"], "b": {"c": true, "d": false}}),
            json!("é"),
        ] {
            let len = v.to_string().len();
            assert!(!exceeds(&v, len), "{v}");
            assert!(exceeds(&v, len - 1), "{v}");
        }
    }
}
