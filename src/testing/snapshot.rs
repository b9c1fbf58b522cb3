//! Recording snapshots into a test file's own text (`asl test --update-snapshots`): the value
//! of each case's `snapshot` key is replaced by `{"output": ..., "path": [...]}`, and the rest
//! of the file — comments, layout, key order — is left as it was.
//!
//! The recorded value is written as one line of JSON, which YAML reads as a flow mapping. In
//! JSON the old value ends where a JSON parser stops; in YAML it runs to the next line that is
//! indented no deeper than the `snapshot` key.

use crate::source::{Document, Syntax};
use serde_json::Value;

/// The byte offset of a 1-based line and column (in characters).
fn offset(text: &str, line: usize, column: usize) -> Option<usize> {
    let mut start = 0;
    for _ in 1..line {
        start += text[start..].find('\n')? + 1;
    }
    let rest = &text[start..];
    let col = rest
        .char_indices()
        .nth(column.saturating_sub(1))
        .map(|(i, _)| i)
        .unwrap_or(rest.len());
    Some(start + col)
}

/// The span of the value of the member whose key starts at `key`.
fn value_span(text: &str, syntax: Syntax, key: usize) -> Result<(usize, usize), String> {
    let colon = key
        + text[key..]
            .find(':')
            .ok_or_else(|| "no `:` after the `snapshot` key".to_string())?;
    match syntax {
        Syntax::Json => {
            let after = colon + 1;
            let ws = text[after..].len() - text[after..].trim_start().len();
            let start = after + ws;
            let mut it = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Value>();
            match it.next() {
                Some(Ok(_)) => Ok((start, start + it.byte_offset())),
                _ => Err("the `snapshot` value is not JSON".into()),
            }
        }
        Syntax::Yaml => {
            let line_start = text[..key].rfind('\n').map_or(0, |i| i + 1);
            let indent = text[line_start..key].chars().count();
            let start = colon + 1;
            // The value runs to the end of the line, then over lines indented deeper.
            let mut end = text[start..].find('\n').map_or(text.len(), |i| start + i);
            while end < text.len() {
                let next = end + 1;
                let line_end = text[next..].find('\n').map_or(text.len(), |i| next + i);
                let line = &text[next..line_end];
                let depth = line.len() - line.trim_start_matches(' ').len();
                if line.trim().is_empty() || depth > indent {
                    end = line_end;
                } else {
                    break;
                }
            }
            // Blank lines at the end belong to what follows.
            let trimmed = text[start..end].trim_end().len();
            Ok((start, start + trimmed))
        }
    }
}

/// `doc`'s text with each `(pointer of a snapshot key, value)` written in.
pub fn write(doc: &Document, edits: &[(String, Value)]) -> Result<String, String> {
    let text = &doc.text;
    let mut spans = Vec::new();
    for (pointer, value) in edits {
        let pos = doc
            .position(pointer)
            .ok_or_else(|| format!("cannot find `{pointer}`"))?;
        let key =
            offset(text, pos.line, pos.column).ok_or_else(|| format!("cannot find `{pointer}`"))?;
        let (start, end) = value_span(text, doc.syntax, key)?;
        let json = serde_json::to_string(value).map_err(|e| e.to_string())?;
        let replacement = match doc.syntax {
            Syntax::Json => json,
            Syntax::Yaml => format!(" {json}"),
        };
        spans.push((start, end, replacement));
    }
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.clone();
    for (start, end, r) in spans {
        out.replace_range(start..end, &r);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(text: &str, syntax: Syntax) -> Document {
        Document::parse("t", text.to_string(), syntax).expect("parses")
    }

    #[test]
    fn replaces_a_yaml_value_and_keeps_the_rest() {
        let text = "cases:\n  - name: a   # first\n    snapshot: true\n    input: {}\n  - name: b\n    snapshot:\n      output: 1\n      path: [A]\n\n# end\n";
        let d = doc(text, Syntax::Yaml);
        let out = write(
            &d,
            &[
                (
                    "/cases/0/snapshot".into(),
                    json!({"output": {"x": 1}, "path": ["A", "B"]}),
                ),
                ("/cases/1/snapshot".into(), json!({"output": 2, "path": []})),
            ],
        )
        .expect("written");
        assert_eq!(
            out,
            "cases:\n  - name: a   # first\n    snapshot: {\"output\":{\"x\":1},\"path\":[\"A\",\"B\"]}\n    input: {}\n  - name: b\n    snapshot: {\"output\":2,\"path\":[]}\n\n# end\n"
        );
        let again = doc(&out, Syntax::Yaml);
        assert_eq!(
            again.value["cases"][0]["snapshot"]["path"],
            json!(["A", "B"])
        );
    }

    #[test]
    fn replaces_a_json_value() {
        let text = "{\"cases\": [{\"name\": \"a\", \"snapshot\": {\"output\": [1, 2], \"path\": []}, \"input\": {}}]}";
        let d = doc(text, Syntax::Json);
        let out = write(
            &d,
            &[(
                "/cases/0/snapshot".into(),
                json!({"output": 3, "path": ["S"]}),
            )],
        )
        .expect("written");
        assert_eq!(
            out,
            "{\"cases\": [{\"name\": \"a\", \"snapshot\": {\"output\":3,\"path\":[\"S\"]}, \"input\": {}}]}"
        );
    }
}
