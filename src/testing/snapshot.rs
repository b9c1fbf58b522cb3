//! Recording snapshots into a test file's own text (`asl test --update-snapshots`): the value
//! of each case's `snapshot` key is replaced by `{"output": ..., "path": [...]}`, and the rest
//! of the file — other keys, comments, layout, key order — is left as it was.
//!
//! The recorded value is written as one line of JSON, which YAML reads as a flow mapping, in
//! block and flow style alike. The old value's place comes from the parser
//! ([`crate::source::yaml::value_span`]; in JSON, where a JSON parser stops), so a
//! `snapshot` inside a flow mapping (`- {name: a, snapshot: true, input: ...}`) is replaced
//! and nothing after it. Comments written inside the old value move to their own lines
//! above the case's `snapshot` line. The new text is read back before anything is written:
//! it must parse to the intended document (the old one with the snapshots set) and keep
//! every comment, or nothing is written.

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

/// The span of the JSON value of the member whose key starts at `key`.
fn json_value_span(text: &str, key: usize) -> Result<(usize, usize), String> {
    let colon = key
        + text[key..]
            .find(':')
            .ok_or_else(|| "no `:` after the `snapshot` key".to_string())?;
    let after = colon + 1;
    let ws = text[after..].len() - text[after..].trim_start().len();
    let start = after + ws;
    let mut it = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Value>();
    match it.next() {
        Some(Ok(_)) => Ok((start, start + it.byte_offset())),
        _ => Err("the `snapshot` value is not JSON".into()),
    }
}

/// The YAML comments in `text` (`# ...` to the end of its line, outside quotes), in order.
pub fn comments(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let (mut single, mut double, mut escaped) = (false, false, false);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if double {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                double = false;
            }
        } else if single {
            // `''` inside single quotes is a quote; the pair closes and reopens.
            if c == b'\'' {
                single = false;
            }
        } else if c == b'#' && (i == 0 || b[i - 1].is_ascii_whitespace()) {
            let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
            out.push(text[i..end].trim_end());
            i = end;
            continue;
        } else if c == b'"' {
            double = true;
        } else if c == b'\'' && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            single = true;
        }
        i += 1;
    }
    out
}

/// `doc`'s text with each `(pointer of a snapshot key, value)` written in.
pub fn write(doc: &Document, edits: &[(String, Value)]) -> Result<String, String> {
    let text = &doc.text;
    // (start, end, replacement, where moved comments go, the comments)
    let mut spans: Vec<(usize, usize, String, usize, Vec<String>)> = Vec::new();
    for (pointer, value) in edits {
        let json = serde_json::to_string(value).map_err(|e| e.to_string())?;
        let pos = doc
            .position(pointer)
            .ok_or_else(|| format!("cannot find `{pointer}`"))?;
        let key =
            offset(text, pos.line, pos.column).ok_or_else(|| format!("cannot find `{pointer}`"))?;
        match doc.syntax {
            Syntax::Json => {
                let (start, end) = json_value_span(text, key)?;
                spans.push((start, end, json, 0, Vec::new()));
            }
            Syntax::Yaml => {
                let (mut start, end, _) = crate::source::yaml::value_span(text, pointer)
                    .ok_or_else(|| {
                        format!(
                            "cannot find where `{pointer}` is written (a value reached through an alias or a merge, or a block scalar, cannot be replaced in place)"
                        )
                    })?;
                let moved: Vec<String> = comments(&text[start..end])
                    .into_iter()
                    .map(str::to_string)
                    .collect();
                // A block value below its key moves up beside it, unless a comment is between.
                let before = text[..start].trim_end();
                if start != end && before.len() < start && before.ends_with(':') {
                    start = before.len();
                }
                let replacement = if text[..start].ends_with(':') {
                    format!(" {json}")
                } else {
                    json
                };
                let line_start = text[..key].rfind('\n').map_or(0, |i| i + 1);
                spans.push((start, end, replacement, line_start, moved));
            }
        }
    }
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.clone();
    for (start, end, replacement, line_start, moved) in spans {
        out.replace_range(start..end, &replacement);
        if !moved.is_empty() {
            let line = &out[line_start..];
            let indent: String = line.chars().take_while(|c| *c == ' ').collect();
            let lines: String = moved.iter().map(|c| format!("{indent}{c}\n")).collect();
            out.insert_str(line_start, &lines);
        }
    }
    read_back(doc, edits, &out)?;
    Ok(out)
}

/// Refuses a rewritten text that does not read back to `doc` with the edits made, or that
/// lost a comment.
fn read_back(doc: &Document, edits: &[(String, Value)], out: &str) -> Result<(), String> {
    let mut intended = doc.value.clone();
    for (pointer, value) in edits {
        match intended.pointer_mut(pointer) {
            Some(slot) => *slot = value.clone(),
            None => return Err(format!("cannot find `{pointer}`")),
        }
    }
    let again = Document::parse(&doc.path, out.to_string(), doc.syntax).map_err(|(_, e)| {
        format!(
            "the rewritten file would not parse ({}:{}: {}); it is left as it was",
            e.position.line, e.position.column, e.message
        )
    })?;
    if again.value != intended || !again.duplicates().is_empty() {
        let differs = first_difference(&intended, &again.value, String::new());
        return Err(format!(
            "the rewritten file would not read back as intended (it differs at {}); it is left as it was",
            if differs.is_empty() { "/" } else { &differs }
        ));
    }
    if doc.syntax == Syntax::Yaml {
        let mut kept = comments(out);
        for c in comments(&doc.text) {
            match kept.iter().position(|k| *k == c) {
                Some(i) => {
                    kept.swap_remove(i);
                }
                None => {
                    return Err(format!(
                        "the rewritten file would lose the comment `{c}`; it is left as it was"
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The JSON pointer of the first place two values differ (`""`: the root).
fn first_difference(a: &Value, b: &Value, at: String) -> String {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                let here = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                match y.get(k) {
                    Some(w) if w == v => {}
                    Some(w) => return first_difference(v, w, here),
                    None => return here,
                }
            }
            y.keys()
                .find(|k| !x.contains_key(*k))
                .map(|k| format!("{at}/{k}"))
                .unwrap_or(at)
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find(|(_, (v, w))| v != w)
            .map(|(i, (v, w))| first_difference(v, w, format!("{at}/{i}")))
            .unwrap_or(at),
        _ => at,
    }
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

    #[test]
    fn replaces_a_value_inside_a_flow_mapping_and_keeps_what_follows() {
        let text = "cases:\n  - {name: a, snapshot: true, input: {x: 1}, expect: {status: SUCCEEDED}}  # one\n  - {name: b, snapshot: {output: 1, # old\n      path: [A]}, input: 2}\n";
        let d = doc(text, Syntax::Yaml);
        let out = write(
            &d,
            &[
                (
                    "/cases/0/snapshot".into(),
                    json!({"output": {"x": 1}, "path": ["A"]}),
                ),
                ("/cases/1/snapshot".into(), json!({"output": 2, "path": []})),
            ],
        )
        .expect("written");
        assert_eq!(
            out,
            "cases:\n  - {name: a, snapshot: {\"output\":{\"x\":1},\"path\":[\"A\"]}, input: {x: 1}, expect: {status: SUCCEEDED}}  # one\n  # old\n  - {name: b, snapshot: {\"output\":2,\"path\":[]}, input: 2}\n"
        );
        let again = doc(&out, Syntax::Yaml);
        assert_eq!(again.value["cases"][0]["input"], json!({"x": 1}));
        assert_eq!(
            again.value["cases"][0]["expect"]["status"],
            json!("SUCCEEDED")
        );
    }

    #[test]
    fn comments_in_and_after_a_block_value_are_kept() {
        let text = "cases:\n  - name: a\n    snapshot:   # keep me\n      output: 1  # why\n      # between\n      path: [A]\n    input: 1 # after\n";
        let d = doc(text, Syntax::Yaml);
        let out = write(
            &d,
            &[(
                "/cases/0/snapshot".into(),
                json!({"output": 2, "path": ["B"]}),
            )],
        )
        .expect("written");
        assert_eq!(
            out,
            "cases:\n  - name: a\n    # why\n    # between\n    snapshot:   # keep me\n      {\"output\":2,\"path\":[\"B\"]}\n    input: 1 # after\n"
        );
        assert_eq!(comments(text).len(), comments(&out).len());
    }

    #[test]
    fn an_empty_value_gets_the_snapshot_beside_its_key() {
        let text = "cases:\n  - name: a\n    snapshot:\n    input: 1\n";
        let d = doc(text, Syntax::Yaml);
        let out = write(
            &d,
            &[(
                "/cases/0/snapshot".into(),
                json!({"output": null, "path": []}),
            )],
        )
        .expect("written");
        assert_eq!(
            out,
            "cases:\n  - name: a\n    snapshot: {\"output\":null,\"path\":[]}\n    input: 1\n"
        );
    }

    #[test]
    fn refuses_what_it_cannot_replace_in_place() {
        // The snapshot comes through an alias: replacing it would change the anchor's users.
        let text = "x-s: &s true\ncases:\n  - name: a\n    snapshot: *s\n";
        let d = doc(text, Syntax::Yaml);
        let e = write(
            &d,
            &[("/cases/0/snapshot".into(), json!({"output": 1, "path": []}))],
        )
        .expect_err("refused");
        assert!(e.contains("alias"), "{e}");
        // An anchor on the old value would be lost with it, and its alias changes meaning.
        let text = "cases:\n  - name: a\n    snapshot: &s {output: 1, path: []}\n  - name: b\n    snapshot: *s\n";
        let d = doc(text, Syntax::Yaml);
        let e = write(
            &d,
            &[("/cases/0/snapshot".into(), json!({"output": 2, "path": []}))],
        )
        .expect_err("refused");
        assert!(e.contains("left as it was"), "{e}");
    }

    #[test]
    fn finds_comments_outside_quotes() {
        assert_eq!(
            comments("a: 'x # no' # yes\nb: \"y # no\" #also\nc: d#no\n# line\ne: it's # q\n"),
            vec!["# yes", "#also", "# line", "# q"]
        );
    }
}
