//! CloudFormation's YAML leniency about flow collections spread over lines.
//!
//! YAML 1.2 wants every line of a flow collection (`{ ... }`, `[ ... ]`) in block context
//! indented past the block it sits in; CloudFormation (and PyYAML) ignore indentation inside
//! flow collections, so templates like
//!
//! ```yaml
//!       DefinitionSubstitutions: {
//!         "Fn": "arn:..."
//!     }
//! ```
//!
//! deploy although a strict parser refuses the closing brace. [`relax`] re-indents such lines
//! just past the line the outermost collection opened on, keeping every line where it was, so
//! the strict parser reads what CloudFormation reads. Only the columns of re-indented lines
//! move. It is a fallback: `yaml::parse` uses it only when the text as written fails on
//! indentation.

/// The text with the lines inside multi-line flow collections indented past the line each
/// collection opened on; `None` when no line needed it.
pub fn relax(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut changed = false;
    let mut scan = Scan::default();
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let blank = line.trim().is_empty();
        if let Some(bi) = scan.block_scalar {
            if blank || indent > bi {
                out.push_str(line);
                continue;
            }
            scan.block_scalar = None;
        }
        let in_flow_before = scan.depth > 0 || scan.quote.is_some();
        if scan.depth > 0 && scan.quote.is_none() && !blank && indent <= scan.opener_indent {
            out.push_str(&" ".repeat(scan.opener_indent + 1));
            out.push_str(line.trim_start_matches(' '));
            changed = true;
        } else {
            out.push_str(line);
        }
        if in_flow_before {
            scan.flow(line.trim_end_matches(['\n', '\r']), 0);
        } else {
            scan.block_line(line.trim_end_matches(['\n', '\r']), indent);
        }
    }
    changed.then_some(out)
}

#[derive(Default)]
struct Scan {
    /// How many flow collections are open.
    depth: usize,
    /// The indentation of the line the outermost open collection started on.
    opener_indent: usize,
    /// Inside a quoted scalar of a flow collection, which may span lines.
    quote: Option<char>,
    /// Inside a block scalar (`|`, `>`) whose header line had this indentation.
    block_scalar: Option<usize>,
}

impl Scan {
    /// A line in block context: only a value that starts with `{` or `[` opens a flow
    /// collection, and `|` or `>` a block scalar.
    fn block_line(&mut self, line: &str, indent: usize) {
        let mut rest = line.trim_start_matches(' ');
        if rest.starts_with('#') {
            return;
        }
        // Sequence entries: `- `, `- - `.
        while let Some(r) = rest
            .strip_prefix("- ")
            .or_else(|| (rest == "-").then_some(""))
        {
            rest = r.trim_start_matches(' ');
        }
        let value = match value_after_key(rest) {
            Some(v) => v,
            None => rest,
        };
        let value = skip_properties(value);
        if value.starts_with(['{', '[']) {
            self.opener_indent = indent;
            let offset = line.len() - value.len();
            self.flow(line, offset);
        } else if value.starts_with(['|', '>'])
            && value[1..]
                .trim_start_matches(['-', '+', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
                .trim_start_matches(' ')
                .chars()
                .next()
                .is_none_or(|c| c == '#')
        {
            self.block_scalar = Some(indent);
        }
    }

    /// Flow content of `line` from byte `from`: quotes, comments and brackets.
    fn flow(&mut self, line: &str, from: usize) {
        let bytes = line.as_bytes();
        let mut i = from;
        while i < bytes.len() {
            let c = bytes[i] as char;
            match self.quote {
                Some('"') => match c {
                    '\\' => i += 1,
                    '"' => self.quote = None,
                    _ => {}
                },
                Some(_) => {
                    if c == '\'' {
                        if bytes.get(i + 1) == Some(&b'\'') {
                            i += 1;
                        } else {
                            self.quote = None;
                        }
                    }
                }
                None => match c {
                    '"' | '\'' => self.quote = Some(c),
                    '#' if i == 0 || bytes[i - 1] == b' ' || bytes[i - 1] == b'\t' => return,
                    '{' | '[' => self.depth += 1,
                    '}' | ']' => {
                        self.depth = self.depth.saturating_sub(1);
                        if self.depth == 0 {
                            // Back in block context: the rest of the line is a comment.
                            return;
                        }
                    }
                    _ => {}
                },
            }
            i += 1;
        }
    }
}

/// The value after `key:` on a block mapping line, if the line holds a key.
fn value_after_key(rest: &str) -> Option<&str> {
    let after_key = if let Some(q) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') {
        // A quoted key: find its closing quote.
        let body = &rest[1..];
        let end = body.find(q)?;
        &body[end + 1..]
    } else {
        let at = rest
            .find(": ")
            .or_else(|| rest.ends_with(':').then(|| rest.len() - 1))?;
        &rest[at..]
    };
    let after_key = after_key.trim_start_matches(' ');
    after_key
        .strip_prefix(':')
        .map(|v| v.trim_start_matches(' '))
}

/// Skips a node's tag (`!Sub`) and anchor (`&a`) before its content.
fn skip_properties(mut value: &str) -> &str {
    while value.starts_with(['!', '&']) {
        value = match value.find(' ') {
            Some(i) => value[i..].trim_start_matches(' '),
            None => "",
        };
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reindents_closing_braces_left_of_their_key() {
        let text = "a:\n  b: {\n    \"x\": 1\n}\n  c: [1,\n2]\n";
        assert_eq!(
            relax(text).as_deref(),
            Some("a:\n  b: {\n    \"x\": 1\n   }\n  c: [1,\n   2]\n")
        );
    }

    #[test]
    fn leaves_well_indented_text_and_block_scalars_alone() {
        assert_eq!(relax("a:\n  b: {\n    x: 1\n    }\n"), None);
        // A JSON definition in a block scalar is text, not a flow collection.
        let text = "d: !Sub |\n  {\n  \"x\": \"{\"\n  }\ne: 1\n";
        assert_eq!(relax(text), None);
        // Braces inside quotes and comments do not count.
        assert_eq!(relax("a: {b: \"}\", # }\n  c: 1}\n"), None);
        assert_eq!(relax("a: 'it''s {'\nb: x # {\n"), None);
    }
}
