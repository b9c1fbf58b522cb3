//! The elements of a JSON array in an object, read one at a time: the top-level array, or the
//! array an `ItemsPointer` (a JSON pointer) selects inside the object.
//!
//! Nothing is held but the element being read, and that only up to the item limit: an element
//! longer fails as soon as the limit is passed, without reading the rest of it (a 129 KiB zstd
//! object can hold a 4 GiB string). To reach an `ItemsPointer`'s array, the values before it
//! are skipped byte by byte, never built, and object keys are read only up to the limit too.
//! Reading stops at the array's end: what follows it is not read.

use super::items::{ReadError, too_large};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};

/// AWS's cause for a selected value that is not an array, or not there.
const NOT_ITERABLE: &str = "Attempting to map over non-iterable node.";

/// The elements of the array at `pointer` (`None`: the top-level value) in `body`.
pub struct JsonItems {
    r: BufReader<Box<dyn Read + Send>>,
    limit: usize,
    /// The index of the next element.
    index: usize,
    done: bool,
}

impl JsonItems {
    pub fn new(
        body: Box<dyn Read + Send>,
        pointer: Option<&str>,
        limit: usize,
    ) -> Result<Self, ReadError> {
        let mut s = JsonItems {
            r: BufReader::new(body),
            limit,
            index: 0,
            done: false,
        };
        if let Some(p) = pointer {
            s.descend(p)?;
        }
        match s.next_non_ws()? {
            Some(b'[') => Ok(s),
            _ => Err(ReadError(NOT_ITERABLE.into())),
        }
    }

    fn peek(&mut self) -> Result<Option<u8>, ReadError> {
        let buf = self.r.fill_buf().map_err(|e| ReadError(e.to_string()))?;
        Ok(buf.first().copied())
    }

    fn next_byte(&mut self) -> Result<Option<u8>, ReadError> {
        let b = self.peek()?;
        if b.is_some() {
            self.r.consume(1);
        }
        Ok(b)
    }

    /// The next byte that is not whitespace, consumed.
    fn next_non_ws(&mut self) -> Result<Option<u8>, ReadError> {
        loop {
            match self.next_byte()? {
                Some(b) if b.is_ascii_whitespace() => {}
                other => return Ok(other),
            }
        }
    }

    /// The next byte that is not whitespace, left to be read.
    fn peek_non_ws(&mut self) -> Result<Option<u8>, ReadError> {
        loop {
            match self.peek()? {
                Some(b) if b.is_ascii_whitespace() => self.r.consume(1),
                other => return Ok(other),
            }
        }
    }

    fn next_required(&mut self) -> Result<u8, ReadError> {
        self.next_byte()?.ok_or_else(unexpected_end)
    }

    /// Moves to the start of the value `pointer` names (RFC 6901), as `Value::pointer` would
    /// find it; a member or element that is not there is AWS's non-iterable node.
    fn descend(&mut self, pointer: &str) -> Result<(), ReadError> {
        if pointer.is_empty() {
            return Ok(());
        }
        let Some(rest) = pointer.strip_prefix('/') else {
            return Err(ReadError(NOT_ITERABLE.into()));
        };
        for token in rest.split('/') {
            let token = token.replace("~1", "/").replace("~0", "~");
            let found = match self.peek_non_ws()? {
                Some(b'{') => {
                    self.r.consume(1);
                    self.find_member(&token)?
                }
                Some(b'[') => {
                    self.r.consume(1);
                    match array_index(&token) {
                        Some(i) => self.find_element(i)?,
                        None => false,
                    }
                }
                _ => false,
            };
            if !found {
                return Err(ReadError(NOT_ITERABLE.into()));
            }
        }
        Ok(())
    }

    /// Inside an object: moves to the value of member `name`; `false` when the object ends
    /// without it.
    fn find_member(&mut self, name: &str) -> Result<bool, ReadError> {
        loop {
            match self.next_non_ws()? {
                Some(b'}') => return Ok(false),
                Some(b'"') => {}
                Some(_) => return Err(invalid("an object member's name must be a string")),
                None => return Err(unexpected_end()),
            }
            let key = self.key()?;
            if self.next_non_ws()? != Some(b':') {
                return Err(invalid("expected `:` after an object member's name"));
            }
            if key == name {
                return Ok(true);
            }
            self.skip_value()?;
            match self.next_non_ws()? {
                Some(b',') => {}
                Some(b'}') => return Ok(false),
                Some(_) => return Err(invalid("expected `,` or `}` after an object member")),
                None => return Err(unexpected_end()),
            }
        }
    }

    /// Inside an array: moves to element `index`; `false` when the array ends first.
    fn find_element(&mut self, index: usize) -> Result<bool, ReadError> {
        if self.peek_non_ws()? == Some(b']') {
            return Ok(false);
        }
        for _ in 0..index {
            self.skip_value()?;
            match self.next_non_ws()? {
                Some(b',') => {}
                Some(b']') => return Ok(false),
                Some(_) => return Err(invalid("expected `,` or `]` after an array element")),
                None => return Err(unexpected_end()),
            }
        }
        Ok(true)
    }

    /// An object member's name, its opening quote read: decoded, and at most the limit long.
    fn key(&mut self) -> Result<String, ReadError> {
        let mut bytes = vec![b'"'];
        let mut escaped = false;
        loop {
            let b = self.next_required()?;
            bytes.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                break;
            }
            if bytes.len() > self.limit {
                return Err(too_large("An object member's name", self.limit));
            }
        }
        serde_json::from_slice(&bytes).map_err(|e| invalid(&e.to_string()))
    }

    /// Skips a string whose opening quote is read.
    fn skip_string(&mut self) -> Result<(), ReadError> {
        let mut escaped = false;
        loop {
            let b = self.next_required()?;
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                return Ok(());
            }
        }
    }

    /// Skips one value, holding none of it: strings and nesting are only counted through.
    fn skip_value(&mut self) -> Result<(), ReadError> {
        match self.next_non_ws()? {
            None => Err(unexpected_end()),
            Some(b'"') => self.skip_string(),
            Some(b'{' | b'[') => {
                let mut depth = 1usize;
                while depth > 0 {
                    match self.next_required()? {
                        b'"' => self.skip_string()?,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => depth -= 1,
                        _ => {}
                    }
                }
                Ok(())
            }
            Some(_) => {
                // A number, `true`, `false` or `null`: up to the next delimiter.
                while let Some(b) = self.peek()? {
                    if b.is_ascii_whitespace() || matches!(b, b',' | b'}' | b']') {
                        break;
                    }
                    self.r.consume(1);
                }
                Ok(())
            }
        }
    }

    /// The next element's text, whitespace outside strings folded to one space.
    fn element(&mut self) -> Result<Option<Vec<u8>>, ReadError> {
        let mut bytes = Vec::new();
        let (mut depth, mut in_str, mut escaped) = (0usize, false, false);
        loop {
            let b = self.next_required()?;
            if in_str {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_str = false;
                }
            } else {
                match b {
                    b' ' | b'\t' | b'\n' | b'\r' => {
                        // Insignificant, but kept as one space: `[1 2]` must stay invalid.
                        if bytes.last().is_some_and(|l| *l != b' ') {
                            bytes.push(b' ');
                        }
                        continue;
                    }
                    b'"' => in_str = true,
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' if depth > 0 => depth -= 1,
                    b']' => {
                        self.done = true;
                        return Ok((!bytes.is_empty()).then_some(bytes));
                    }
                    b',' if depth == 0 => return Ok(Some(bytes)),
                    _ => {}
                }
            }
            bytes.push(b);
            if bytes.len() > self.limit {
                return Err(too_large(
                    &format!("Item {} of the JSON array", self.index),
                    self.limit,
                ));
            }
        }
    }
}

impl Iterator for JsonItems {
    type Item = Result<Value, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let bytes = match self.element() {
            Ok(Some(b)) => b,
            Ok(None) => return None,
            Err(e) => {
                self.done = true;
                return Some(Err(e));
            }
        };
        self.index += 1;
        Some(
            serde_json::from_slice(&bytes)
                .map_err(|e| ReadError(format!("The object is not valid JSON: {e}"))),
        )
    }
}

/// An array index in a JSON pointer, as `serde_json` reads one (no sign, no leading zero).
fn array_index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.starts_with('0') && token.len() != 1) {
        return None;
    }
    token.parse().ok()
}

fn invalid(what: &str) -> ReadError {
    ReadError(format!("The object is not valid JSON: {what}"))
}

fn unexpected_end() -> ReadError {
    invalid("unexpected end")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(text: &str, pointer: Option<&str>, limit: usize) -> Result<Vec<Value>, ReadError> {
        let body: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(text.as_bytes().to_vec()));
        JsonItems::new(body, pointer, limit)?.collect()
    }

    #[test]
    fn a_pointer_reaches_its_array_past_values_it_skips() {
        let text = r#"{"skip": {"deep": [1, "]}\"", {"x": [[]]}], "s": "a\"b"}, "n": null,
                       "a/b": {"~k": [0, {"items": [10, [20], {"v": "}"}]}]}, "after": 1}"#;
        assert_eq!(
            read(text, Some("/a~1b/~0k/1/items"), 1000),
            Ok(vec![json!(10), json!([20]), json!({"v": "}"})])
        );
        for missing in ["/none", "/n", "/a~1b/~0k/2", "/a~1b/~0k/01", "/skip/s", "x"] {
            assert_eq!(
                read(text, Some(missing), 1000),
                Err(ReadError(NOT_ITERABLE.into())),
                "{missing}"
            );
        }
        assert_eq!(read("[[1]]", Some(""), 1000), Ok(vec![json!([1])]));
        assert_eq!(read("[[1]]", Some("/0"), 1000), Ok(vec![json!(1)]));
        assert_eq!(
            read("{\"a\": [1, 2]", Some("/a"), 1000).map(|v| v.len()),
            Ok(2)
        );
    }

    #[test]
    fn whitespace_between_tokens_does_not_count_but_still_separates() {
        let spaces = " ".repeat(100);
        let text = format!("[{spaces}1{spaces},{spaces}[ 2 ,{spaces}3 ]{spaces}]");
        assert_eq!(read(&text, None, 10), Ok(vec![json!(1), json!([2, 3])]));
        assert!(read("[1 2]", None, 8).is_err());
        assert!(read("[tru e]", None, 8).is_err());
    }

    /// Pins issue 21: an element was gathered whole before it was parsed, so one 4 GiB string
    /// (a 129 KiB zstd object) was a 4 GiB allocation.
    #[test]
    fn an_element_over_the_limit_fails_without_reading_the_rest() {
        let body: Box<dyn Read + Send> =
            Box::new(std::io::Cursor::new(b"[1, \"".to_vec()).chain(std::io::repeat(b'a')));
        let mut items = JsonItems::new(body, None, 1000).expect("an array");
        assert_eq!(items.next(), Some(Ok(json!(1))));
        assert_eq!(
            items.next(),
            Some(Err(too_large("Item 1 of the JSON array", 1000)))
        );
        assert_eq!(items.next(), None);
        // A member's name, and values skipped on the way to a pointer, likewise.
        let body: Box<dyn Read + Send> =
            Box::new(std::io::Cursor::new(b"{\"".to_vec()).chain(std::io::repeat(b'k')));
        assert!(matches!(
            JsonItems::new(body, Some("/a"), 1000),
            Err(e) if e == too_large("An object member's name", 1000)
        ));
        let body: Box<dyn Read + Send> = Box::new(
            std::io::Cursor::new(b"{\"skip\": \"".to_vec())
                .chain(std::io::repeat(b's').take(5_000_000))
                .chain(std::io::Cursor::new(b"\", \"a\": [7]}".to_vec())),
        );
        let got: Result<Vec<Value>, _> = JsonItems::new(body, Some("/a"), 1000)
            .expect("found")
            .collect();
        assert_eq!(got, Ok(vec![json!(7)]));
    }
}
