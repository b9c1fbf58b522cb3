//! Duplicate keys in raw JSON text.
//!
//! `serde_json` keeps only the last of two equal keys, so a second state with the same name
//! would vanish before any rule could see it. This scanner walks the text once (it runs only
//! after the text parsed, so it may assume JSON syntax) and reports every key that repeats in
//! one object, with the pointer of that object.

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
    let mut s = Scanner {
        b: text.as_bytes(),
        i: 0,
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

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
    out: Vec<(String, String, usize)>,
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    /// Reads a string (on its opening quote) and returns it unescaped.
    fn string(&mut self) -> String {
        let start = self.i;
        self.i += 1;
        let mut has_escape = false;
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                b'\\' => {
                    has_escape = true;
                    self.i += 1;
                }
                b'"' => break,
                _ => {}
            }
        }
        let raw = &self.b[start..self.i.min(self.b.len())];
        if has_escape {
            std::str::from_utf8(raw)
                .ok()
                .and_then(|r| serde_json::from_str(r).ok())
                .unwrap_or_default()
        } else {
            String::from_utf8_lossy(&raw[1..raw.len().saturating_sub(1).max(1)]).into_owned()
        }
    }

    fn value(&mut self, ptr: &mut String, depth: usize) {
        self.ws();
        match self.peek() {
            Some(b'{') if depth < MAX_DEPTH => {
                self.i += 1;
                let mut seen = std::collections::HashSet::new();
                loop {
                    self.ws();
                    match self.peek() {
                        Some(b'"') => {}
                        Some(b',') => {
                            self.i += 1;
                            continue;
                        }
                        Some(b'}') => {
                            self.i += 1;
                            return;
                        }
                        _ => return,
                    }
                    let key_at = self.i;
                    let key = self.string();
                    self.ws();
                    if self.peek() == Some(b':') {
                        self.i += 1;
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
                self.i += 1;
                let mut k = 0usize;
                loop {
                    self.ws();
                    match self.peek() {
                        Some(b']') => {
                            self.i += 1;
                            return;
                        }
                        Some(b',') => {
                            self.i += 1;
                            k += 1;
                            continue;
                        }
                        None => return,
                        _ => {}
                    }
                    let len = ptr.len();
                    ptr.push('/');
                    ptr.push_str(&k.to_string());
                    let before = self.i;
                    self.value(ptr, depth + 1);
                    ptr.truncate(len);
                    if self.i == before {
                        return;
                    }
                }
            }
            Some(b'"') => {
                self.string();
            }
            Some(_) => {
                while let Some(c) = self.peek() {
                    if matches!(
                        c,
                        b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r' | b'{' | b'['
                    ) {
                        break;
                    }
                    self.i += 1;
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
