//! The structural diff's answer: one [`Mismatch`] per difference between an expected value
//! and an actual one, located by a JSON pointer into the actual value, and [`render`], which
//! turns them into the lines a person reads (`  /items/1/price: expected 12.5, found "12.5"
//! (type differs)`).
//!
//! [`super::matcher::Matcher::check`] produces mismatches; the runner renders them into a
//! [`super::results::CaseFailure`]'s message. Values are shown short ([`show`]): JSON text cut
//! to about 80 characters, so a failure never holds two raw dumps of a large payload.

use serde_json::Value;
use std::fmt;
use std::io;

/// At most this many lines in [`render`]'s answer (the last may say how many were left off).
pub const MAX_LINES: usize = 50;

/// At most this many characters in a value shown by [`show`].
const MAX_SHOWN_CHARS: usize = 80;

/// What kind of difference a [`Mismatch`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MismatchKind {
    /// Same JSON type, different value (`"a"` against `"b"`, `1` against `2`).
    ValueDiffers,
    /// Different JSON types (`12.5` against `"12.5"`).
    TypeDiffers,
    /// An expected object member is not in the actual object.
    MissingKey,
    /// The actual object has a member the expected one does not (exact mode only).
    UnexpectedKey,
    /// The arrays differ in length (their common prefix is still compared).
    LengthDiffers,
    /// A matcher (`$regex`, `$type`, a range, `$length`) did not hold.
    MatcherFailed,
}

/// One difference between an expected value and an actual one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// RFC 6901 pointer into the actual value (`""` is its root, `/items/2/id` below it).
    pub pointer: String,
    pub kind: MismatchKind,
    /// What was expected, for people: short JSON text or a matcher's description
    /// (`a string matching /^ord-/`); `"3 items"` for [`MismatchKind::LengthDiffers`];
    /// empty for [`MismatchKind::UnexpectedKey`].
    pub expected: String,
    /// What was found, for people: short JSON text; the item count for
    /// [`MismatchKind::LengthDiffers`]; empty for [`MismatchKind::MissingKey`].
    pub found: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.pointer.is_empty() {
            "(root)"
        } else {
            &self.pointer
        };
        let (expected, found) = (&self.expected, &self.found);
        match self.kind {
            MismatchKind::ValueDiffers
            | MismatchKind::LengthDiffers
            | MismatchKind::MatcherFailed => write!(f, "{at}: expected {expected}, found {found}"),
            MismatchKind::TypeDiffers => {
                write!(f, "{at}: expected {expected}, found {found} (type differs)")
            }
            MismatchKind::MissingKey => write!(f, "{at}: missing (expected {expected})"),
            MismatchKind::UnexpectedKey => write!(f, "{at}: unexpected key (found {found})"),
        }
    }
}

/// One line per mismatch, each indented by two spaces, joined by newlines (no trailing one).
/// At most [`MAX_LINES`] lines: past that, the last says `  … and N more differences`.
pub fn render(mismatches: &[Mismatch]) -> String {
    let shown = if mismatches.len() > MAX_LINES {
        MAX_LINES - 1
    } else {
        mismatches.len()
    };
    let mut lines: Vec<String> = mismatches[..shown]
        .iter()
        .map(|m| format!("  {m}"))
        .collect();
    let left = mismatches.len() - shown;
    if left > 0 {
        lines.push(format!("  … and {left} more differences"));
    }
    lines.join("\n")
}

/// `value` as compact JSON text, cut to about 80 characters with `…`. Serialising stops once
/// the cut is certain, so showing a large payload costs no more than showing a small one.
pub fn show(value: &Value) -> String {
    // Enough bytes for MAX_SHOWN_CHARS + 1 characters of up to four bytes each.
    let mut sink = Capped {
        bytes: Vec::new(),
        cap: 4 * (MAX_SHOWN_CHARS + 1),
    };
    // An error means only that the cap was reached: what was written is what we want.
    let _ = serde_json::to_writer(&mut sink, value);
    let text = match std::str::from_utf8(&sink.bytes) {
        Ok(text) => text,
        Err(e) => std::str::from_utf8(&sink.bytes[..e.valid_up_to()]).unwrap_or_default(),
    };
    cut(text)
}

/// `text` itself when it has at most 80 characters, else its first 79 and `…`.
pub fn cut(text: &str) -> String {
    match text.char_indices().nth(MAX_SHOWN_CHARS) {
        None => text.to_string(),
        Some(_) => {
            let end = text
                .char_indices()
                .nth(MAX_SHOWN_CHARS - 1)
                .map_or(text.len(), |(i, _)| i);
            format!("{}…", &text[..end])
        }
    }
}

/// A writer that keeps the first `cap` bytes and then refuses more.
struct Capped {
    bytes: Vec<u8>,
    cap: usize,
}

impl io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = self.cap - self.bytes.len();
        if room == 0 {
            return Err(io::Error::other("enough shown"));
        }
        let n = buf.len().min(room);
        self.bytes.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mismatch(pointer: &str, kind: MismatchKind, expected: &str, found: &str) -> Mismatch {
        Mismatch {
            pointer: pointer.into(),
            kind,
            expected: expected.into(),
            found: found.into(),
        }
    }

    #[test]
    fn each_kind_renders_as_one_line() {
        let cases = [
            (
                mismatch(
                    "/items/1/price",
                    MismatchKind::TypeDiffers,
                    "12.5",
                    "\"12.5\"",
                ),
                "  /items/1/price: expected 12.5, found \"12.5\" (type differs)",
            ),
            (
                mismatch("/a", MismatchKind::ValueDiffers, "1", "2"),
                "  /a: expected 1, found 2",
            ),
            (
                mismatch(
                    "/id",
                    MismatchKind::MissingKey,
                    "a string matching /^ord-/",
                    "",
                ),
                "  /id: missing (expected a string matching /^ord-/)",
            ),
            (
                mismatch("/debug", MismatchKind::UnexpectedKey, "", "true"),
                "  /debug: unexpected key (found true)",
            ),
            (
                mismatch("", MismatchKind::LengthDiffers, "3 items", "4"),
                "  (root): expected 3 items, found 4",
            ),
            (
                mismatch("/n", MismatchKind::MatcherFailed, "a number >= 1", "0"),
                "  /n: expected a number >= 1, found 0",
            ),
        ];
        for (m, line) in cases {
            assert_eq!(render(std::slice::from_ref(&m)), line);
        }
    }

    #[test]
    fn render_joins_lines_and_caps_at_fifty() {
        let two: Vec<Mismatch> = (0..2)
            .map(|i| mismatch(&format!("/{i}"), MismatchKind::ValueDiffers, "1", "2"))
            .collect();
        assert_eq!(
            render(&two),
            "  /0: expected 1, found 2\n  /1: expected 1, found 2"
        );

        let fifty: Vec<Mismatch> = (0..50)
            .map(|i| mismatch(&format!("/{i}"), MismatchKind::ValueDiffers, "1", "2"))
            .collect();
        let text = render(&fifty);
        assert_eq!(text.lines().count(), 50);
        assert!(!text.contains("more differences"));

        let many: Vec<Mismatch> = (0..120)
            .map(|i| mismatch(&format!("/{i}"), MismatchKind::ValueDiffers, "1", "2"))
            .collect();
        let text = render(&many);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 50);
        assert_eq!(lines[48], "  /48: expected 1, found 2");
        assert_eq!(lines[49], "  … and 71 more differences");
        assert_eq!(render(&[]), "");
    }

    #[test]
    fn show_cuts_long_values_and_keeps_short_ones() {
        assert_eq!(show(&json!({"a": [1, "x"]})), r#"{"a":[1,"x"]}"#);
        assert_eq!(show(&json!(null)), "null");

        let long = json!("é".repeat(500));
        let shown = show(&long);
        assert_eq!(shown.chars().count(), 80);
        assert!(shown.starts_with("\"éé"));
        assert!(shown.ends_with('…'));

        let big = json!((0..10_000).collect::<Vec<_>>());
        let shown = show(&big);
        assert_eq!(shown.chars().count(), 80);
        assert!(shown.starts_with("[0,1,2,"));

        // Exactly 80 characters are kept whole.
        let exact = json!("x".repeat(78));
        assert_eq!(show(&exact).chars().count(), 80);
        assert!(!show(&exact).contains('…'));
    }
}
