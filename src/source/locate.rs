//! Maps a JSON pointer to the line and column of the value (or member) it names.
//!
//! A small scanner walks the text along the pointer's segments, skipping the values it does
//! not need; it never builds a tree, so locating is cheap even in large files.

/// A 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// The position of the member named by `pointer` (its key, for object members; the value,
/// for array items and the root), or of the deepest ancestor that exists.
pub fn locate(text: &str, pointer: &str) -> Option<Position> {
    let segments = crate::definition::diagnostic::pointer_segments(pointer);
    let b = text.as_bytes();
    let mut s = Scanner { b, i: 0 };
    s.ws();
    let mut at = s.i;
    for seg in &segments {
        s.ws();
        match s.peek() {
            Some(b'{') => {
                s.i += 1;
                let mut found = false;
                loop {
                    s.ws();
                    if s.peek() != Some(b'"') {
                        break;
                    }
                    let key_start = s.i;
                    let key = s.string()?;
                    s.ws();
                    if s.peek() != Some(b':') {
                        return Some(position(text, at));
                    }
                    s.i += 1;
                    s.ws();
                    if key == *seg {
                        at = key_start;
                        found = true;
                        break;
                    }
                    s.skip_value()?;
                    s.ws();
                    if s.peek() == Some(b',') {
                        s.i += 1;
                    } else {
                        break;
                    }
                }
                if !found {
                    return Some(position(text, at));
                }
            }
            Some(b'[') => {
                let Ok(want) = seg.parse::<usize>() else {
                    return Some(position(text, at));
                };
                s.i += 1;
                let mut k = 0;
                let mut found = false;
                loop {
                    s.ws();
                    if s.peek() == Some(b']') {
                        break;
                    }
                    if k == want {
                        at = s.i;
                        found = true;
                        break;
                    }
                    s.skip_value()?;
                    s.ws();
                    if s.peek() == Some(b',') {
                        s.i += 1;
                        k += 1;
                    } else {
                        break;
                    }
                }
                if !found {
                    return Some(position(text, at));
                }
            }
            _ => return Some(position(text, at)),
        }
    }
    Some(position(text, at))
}

pub(crate) fn position(text: &str, offset: usize) -> Position {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    Position { line, column }
}

/// A byte cursor over JSON text, shared by the locator and the duplicate-key scan.
pub(crate) struct Scanner<'a> {
    pub(crate) b: &'a [u8],
    pub(crate) i: usize,
}

impl Scanner<'_> {
    pub(crate) fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    pub(crate) fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    /// Moves past a JSON string (the scanner is on its opening quote); says whether it holds
    /// escapes.
    pub(crate) fn skip_string(&mut self) -> bool {
        self.i += 1;
        let mut escapes = false;
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                b'\\' => {
                    escapes = true;
                    self.i += 1;
                }
                b'"' => break,
                _ => {}
            }
        }
        escapes
    }

    /// Reads a JSON string (the scanner is on its opening quote) and returns it unescaped.
    pub(crate) fn string(&mut self) -> Option<String> {
        let start = self.i + 1;
        self.i += 1;
        let mut escaped = false;
        while let Some(c) = self.peek() {
            self.i += 1;
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                let raw = std::str::from_utf8(&self.b[start - 1..self.i]).ok()?;
                return serde_json::from_str(raw).ok();
            }
        }
        None
    }

    fn skip_value(&mut self) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'"' => {
                self.string()?;
            }
            b'{' | b'[' => {
                let mut depth = 0usize;
                while let Some(c) = self.peek() {
                    match c {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                return Some(());
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
                return None;
            }
            _ => {
                while let Some(c) = self.peek() {
                    if matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    self.i += 1;
                }
            }
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "{\n  \"StartAt\": \"A\",\n  \"States\": {\n    \"A\": {\"Type\": \"Pass\", \"Next\": \"B\"},\n    \"x/y\": [1, {\"k\": 2}]\n  }\n}";

    #[test]
    fn finds_members_and_items() {
        assert_eq!(locate(TEXT, ""), Some(Position { line: 1, column: 1 }));
        assert_eq!(
            locate(TEXT, "/StartAt"),
            Some(Position { line: 2, column: 3 })
        );
        assert_eq!(
            locate(TEXT, "/States/A/Next"),
            Some(Position {
                line: 4,
                column: 27
            })
        );
        assert_eq!(
            locate(TEXT, "/States/x~1y/1/k"),
            Some(Position {
                line: 5,
                column: 17
            })
        );
    }

    #[test]
    fn falls_back_to_the_deepest_existing_ancestor() {
        assert_eq!(
            locate(TEXT, "/States/A/Missing"),
            Some(Position { line: 4, column: 5 })
        );
    }
}
