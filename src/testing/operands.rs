//! What a failed JSONata assertion compared: the operands of its top-level comparisons
//! (`=`, `!=`, `<`, `<=`, `>`, `>=`, `in`), across `and` and `or`, found in its text, so that a
//! report can show each one's value (`$count(path)` is 4) beside "gave false".
//!
//! The split reads the text as JSONata's tokenizer would at the top level only: strings,
//! backquoted names, comments, regular expressions and anything inside brackets are skipped
//! whole. An operand that does not compile on its own is simply not shown.

/// The operands of the comparisons at the top of `text`, in order, literals left out
/// (`3`, `'SUCCEEDED'`, `true`, `null`: their value is what they say). Empty when the text has
/// no comparison at its top.
pub fn operands(text: &str) -> Vec<&str> {
    let cuts = top_level_operators(text);
    if !cuts.iter().any(|c| c.comparison) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut from = 0;
    for c in cuts.iter().chain(std::iter::once(&Cut {
        start: text.len(),
        end: text.len(),
        comparison: false,
    })) {
        let part = text[from..c.start].trim();
        if !part.is_empty() && !is_literal(part) && !out.contains(&part) {
            out.push(part);
        }
        from = c.end;
    }
    out
}

/// An operator at the top level: its byte range, and whether it compares (else `and`/`or`).
struct Cut {
    start: usize,
    end: usize,
    comparison: bool,
}

fn is_literal(s: &str) -> bool {
    matches!(s, "true" | "false" | "null")
        || s.parse::<f64>().is_ok()
        || (s.len() >= 2
            && ((s.starts_with('\'') && s.ends_with('\''))
                || (s.starts_with('"') && s.ends_with('"'))))
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

fn top_level_operators(text: &str) -> Vec<Cut> {
    let b = text.as_bytes();
    let mut cuts = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    // The last significant character before `i`, to tell a regex's `/` from a division.
    let mut last: Option<u8> = None;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\'' | b'"' | b'`' => {
                i += 1;
                while i < b.len() && b[i] != c {
                    if b[i] == b'\\' && c != b'`' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                last = Some(c);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
                continue;
            }
            b'/' if last.is_none_or(|l| b"([{,:=!<>~?&|+-*%".contains(&l)) => {
                i += 1;
                while i < b.len() && b[i] != b'/' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                last = Some(b'/');
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            b'!' | b'<' | b'>' if b.get(i + 1) == Some(&b'=') => {
                cuts.push(Cut {
                    start: i,
                    end: i + 2,
                    comparison: true,
                });
                i += 2;
                last = Some(b'=');
                continue;
            }
            b'=' if last != Some(b':') => cuts.push(Cut {
                start: i,
                end: i + 1,
                comparison: true,
            }),
            b'<' | b'>' if last != Some(b'~') && b.get(i + 1) != Some(&b'>') => cuts.push(Cut {
                start: i,
                end: i + 1,
                comparison: true,
            }),
            c if c.is_ascii_alphabetic() && (i == 0 || !is_name_char(b[i - 1])) => {
                let mut j = i;
                while j < b.len() && is_name_char(b[j]) {
                    j += 1;
                }
                let word = &text[i..j];
                if matches!(word, "and" | "or" | "in") {
                    cuts.push(Cut {
                        start: i,
                        end: j,
                        comparison: word == "in",
                    });
                }
                last = Some(b'a');
                i = j;
                continue;
            }
            _ => {}
        }
        if !c.is_ascii_whitespace() {
            last = Some(c);
        }
        i += 1;
    }
    cuts
}

#[cfg(test)]
mod tests {
    use super::operands;

    #[test]
    fn finds_the_operands_of_top_level_comparisons() {
        let cases: &[(&str, &[&str])] = &[
            ("$count(path) = 3", &["$count(path)"]),
            (
                "status = 'SUCCEEDED' and output.n >= states.A.output.n",
                &["status", "output.n", "states.A.output.n"],
            ),
            ("a != b or c < 2", &["a", "b", "c"]),
            ("'x' in output.tags", &["output.tags"]),
            ("states.`A = B`.input.x > 1", &["states.`A = B`.input.x"]),
            (
                "$count(path[$contains($, '/Ship')]) = 2",
                &["$count(path[$contains($, '/Ship')])"],
            ),
            (
                "$match(output.id, /a=b/) = true",
                &["$match(output.id, /a=b/)"],
            ),
            ("output.total / 2 > 10", &["output.total / 2"]),
            ("(a = 1)", &[]),
            ("output.ok", &[]),
            ("$x := 3; $x = 3", &["$x := 3; $x"]),
            ("a ~> $f() = b", &["a ~> $f()", "b"]),
            ("android = orange", &["android", "orange"]),
        ];
        for (text, want) in cases {
            assert_eq!(&operands(text), want, "{text}");
        }
    }
}
