//! Duplicate keys in raw JSON text.
//!
//! `serde_json` keeps only the last of two equal keys, so a second state with the same name
//! would vanish before any rule could see it. This scanner walks the text once (it runs only
//! after the text parsed, so it may assume JSON syntax) and reports every key that repeats in
//! one object, with the pointer of that object.

use super::locate::Scanner;

/// A key written twice in one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// Pointer of the object holding the key.
    pub object: String,
    pub key: String,
    /// Where the second (or later) occurrence is written.
    pub position: Option<super::Position>,
}

/// Every repeated key, in document order.
pub fn scan(text: &str) -> Vec<Duplicate> {
    let mut s = Walk {
        s: Scanner {
            b: text.as_bytes(),
            i: 0,
        },
        out: Vec::new(),
    };
    let mut ptr = String::new();
    s.value(&mut ptr, 0);
    s.out
        .into_iter()
        .map(|(object, key, offset)| Duplicate {
            object,
            key,
            position: Some(super::locate::position(text, offset)),
        })
        .collect()
}

/// Nesting beyond this is not scanned (the parser refuses it anyway).
const MAX_DEPTH: usize = 256;

/// The text cursor and what the walk found: (object pointer, key, offset of the key).
struct Walk<'a> {
    s: Scanner<'a>,
    out: Vec<(String, String, usize)>,
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

impl Walk<'_> {
    fn value(&mut self, ptr: &mut String, depth: usize) {
        self.s.ws();
        match self.s.peek() {
            Some(b'{') if depth < MAX_DEPTH => {
                self.s.i += 1;
                let mut seen = std::collections::HashSet::new();
                loop {
                    self.s.ws();
                    match self.s.peek() {
                        Some(b'"') => {}
                        Some(b',') => {
                            self.s.i += 1;
                            continue;
                        }
                        Some(b'}') => {
                            self.s.i += 1;
                            return;
                        }
                        _ => return,
                    }
                    let key_at = self.s.i;
                    let key = self.s.string().unwrap_or_default();
                    self.s.ws();
                    if self.s.peek() == Some(b':') {
                        self.s.i += 1;
                    }
                    let len = ptr.len();
                    ptr.push('/');
                    ptr.push_str(&escape(&key));
                    self.value(ptr, depth + 1);
                    ptr.truncate(len);
                    if !seen.insert(key.clone()) {
                        self.out.push((ptr.clone(), key, key_at));
                    }
                }
            }
            Some(b'[') if depth < MAX_DEPTH => {
                self.s.i += 1;
                let mut k = 0usize;
                loop {
                    self.s.ws();
                    match self.s.peek() {
                        Some(b']') => {
                            self.s.i += 1;
                            return;
                        }
                        Some(b',') => {
                            self.s.i += 1;
                            k += 1;
                            continue;
                        }
                        None => return,
                        _ => {}
                    }
                    let len = ptr.len();
                    ptr.push('/');
                    ptr.push_str(&k.to_string());
                    let before = self.s.i;
                    self.value(ptr, depth + 1);
                    ptr.truncate(len);
                    if self.s.i == before {
                        return;
                    }
                }
            }
            Some(b'"') => {
                self.s.string().unwrap_or_default();
            }
            Some(_) => {
                while let Some(c) = self.s.peek() {
                    if matches!(
                        c,
                        b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r' | b'{' | b'['
                    ) {
                        break;
                    }
                    self.s.i += 1;
                }
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::scan;

    fn pairs(t: &str) -> Vec<(String, String)> {
        scan(t).into_iter().map(|d| (d.object, d.key)).collect()
    }

    #[test]
    fn finds_repeated_keys_with_their_object() {
        let t = r#"{"States": {"A": {"Type": "Pass"}, "B": [1, {"x": 1, "x": 2}], "A": {}}}"#;
        assert_eq!(
            pairs(t),
            vec![
                ("/States/B/1".to_string(), "x".to_string()),
                ("/States".to_string(), "A".to_string())
            ]
        );
    }

    #[test]
    fn unescapes_keys_and_ignores_distinct_ones() {
        assert!(scan(r#"{"a\"b": 1, "a\"c": 2}"#).is_empty());
        assert_eq!(
            scan("{\n \"a\": 1,\n \"a\": 2}")[0].position,
            Some(crate::source::Position { line: 3, column: 2 })
        );
        assert_eq!(scan(r#"{"\u0041": 1, "A": 2}"#).len(), 1);
    }
}
