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

/// Appends `/key` to a JSON pointer, escaping `~` and `/`.
fn push_segment(ptr: &mut String, key: &str) {
    ptr.push('/');
    if key.contains(['~', '/']) {
        ptr.push_str(&key.replace('~', "~0").replace('/', "~1"));
    } else {
        ptr.push_str(key);
    }
}

/// The keys seen in one object: a short list searched in place, a set once it grows.
#[derive(Default)]
struct Seen<'a> {
    few: Vec<std::borrow::Cow<'a, str>>,
    many: std::collections::HashSet<std::borrow::Cow<'a, str>>,
}

impl<'a> Seen<'a> {
    /// Whether `key` was new.
    fn insert(&mut self, key: std::borrow::Cow<'a, str>) -> bool {
        const FEW: usize = 16;
        if self.many.is_empty() {
            if self.few.contains(&key) {
                return false;
            }
            self.few.push(key);
            if self.few.len() > FEW {
                self.many.extend(self.few.drain(..));
            }
            true
        } else {
            self.many.insert(key)
        }
    }
}

impl<'t> Walk<'t> {
    /// The key the scanner is on (its opening quote): borrowed from the text unless it has
    /// escapes to decode.
    fn key(&mut self) -> std::borrow::Cow<'t, str> {
        let start = self.s.i + 1;
        let escaped = self.s.skip_string();
        let end = self.s.i.saturating_sub(1).max(start);
        let raw = &self.s.b[start..end.min(self.s.b.len())];
        if escaped {
            std::str::from_utf8(&self.s.b[start - 1..self.s.i.min(self.s.b.len())])
                .ok()
                .and_then(|r| serde_json::from_str::<String>(r).ok())
                .map(std::borrow::Cow::Owned)
                .unwrap_or_default()
        } else {
            std::str::from_utf8(raw)
                .map(std::borrow::Cow::Borrowed)
                .unwrap_or_default()
        }
    }

    fn value(&mut self, ptr: &mut String, depth: usize) {
        self.s.ws();
        match self.s.peek() {
            Some(b'{') if depth < MAX_DEPTH => {
                self.s.i += 1;
                let mut seen = Seen::default();
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
                    let key = self.key();
                    self.s.ws();
                    if self.s.peek() == Some(b':') {
                        self.s.i += 1;
                    }
                    let len = ptr.len();
                    push_segment(ptr, &key);
                    self.value(ptr, depth + 1);
                    ptr.truncate(len);
                    if !seen.insert(key.clone()) {
                        self.out.push((ptr.clone(), key.into_owned(), key_at));
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
                    use std::fmt::Write;
                    let _ = write!(ptr, "/{k}");
                    let before = self.s.i;
                    self.value(ptr, depth + 1);
                    ptr.truncate(len);
                    if self.s.i == before {
                        return;
                    }
                }
            }
            Some(b'"') => {
                self.s.skip_string();
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
