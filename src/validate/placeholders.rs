//! `${Name}` placeholders that a definition still holds: SAM/CloudFormation
//! `DefinitionSubstitutions` (and `Fn::Sub`, CDK tokens) that `--sub` gave no value.
//!
//! AWS sees the definition only after CloudFormation replaced them, so a placeholder stands
//! for an unknown value of whatever type its field needs (`"Seconds": "${Timeout}"`,
//! `"InputPath": "$.${Key}"`). Every diagnostic at a field whose value, or key, holds a
//! placeholder is dropped, and each placeholder is reported once, as a warning at its first
//! use, naming it — unless its template defines it (a `DefinitionSubstitutions` key whose value
//! is `!GetAtt Function.Arn`, say, or what `Fn::Sub` resolves): the deployed definition will
//! have its value, so it is not unresolved, and `--strict` does not fail on it.

use crate::definition::diagnostic::pointer_segments;
use crate::definition::{Code, Diagnostic, Pointer};
use crate::source::cfn::TemplateNames;
use serde_json::Value;

/// How deep the search for placeholders goes (definitions nest far less).
const MAX_DEPTH: usize = 256;

/// Drops what the placeholders of `value` make unknowable and warns once per placeholder.
pub(super) fn settle(value: &Value, diags: &mut Vec<Diagnostic>, defined: &TemplateNames) {
    let mut found: Vec<(String, String)> = Vec::new();
    collect(value, &Pointer::root(), &mut found, 0);
    if found.is_empty() {
        return;
    }
    diags.retain(|d| {
        !(at_placeholder(value, &d.location)
            || d.focus.as_deref().is_some_and(|f| at_placeholder(value, f)))
    });
    for (name, at) in found {
        if defined.defines(&name) {
            continue;
        }
        diags.push(Diagnostic::warning(
            Code::UnresolvedPlaceholder,
            at,
            format!(
                "`${{{name}}}` is a placeholder with no value here (DefinitionSubstitutions or Fn::Sub), so the fields holding it were not checked; pass --sub {name}=VALUE to check them, or validate the template that maps it"
            ),
        ));
    }
}

/// The placeholder names in `s` (`${Name}`, not the literal `${!Name}`), in order.
fn names(s: &str) -> impl Iterator<Item = &str> {
    s.match_indices("${").filter_map(move |(i, _)| {
        let rest = &s[i + 2..];
        let end = rest.find('}')?;
        let name = &rest[..end];
        let plain = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-'));
        plain.then_some(name)
    })
}

fn holds_placeholder(s: &str) -> bool {
    names(s).next().is_some()
}

/// Every placeholder name with the pointer of its first use, in document order.
fn collect(v: &Value, at: &Pointer, found: &mut Vec<(String, String)>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::String(s) => note(s, at, found),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                collect(x, &at.index(i), found, depth + 1);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                let inner = at.key(k);
                note(k, &inner, found);
                collect(x, &inner, found, depth + 1);
            }
        }
        _ => {}
    }
}

fn note(s: &str, at: &Pointer, found: &mut Vec<(String, String)>) {
    for n in names(s) {
        if !found.iter().any(|(k, _)| k == n) {
            found.push((n.to_string(), at.as_str().to_string()));
        }
    }
}

/// Whether the pointer names a field whose key, or string value, holds a placeholder.
fn at_placeholder(value: &Value, pointer: &str) -> bool {
    if pointer_segments(pointer)
        .iter()
        .any(|k| holds_placeholder(k))
    {
        return true;
    }
    let pointer = if pointer == "/" { "" } else { pointer };
    matches!(value.pointer(pointer), Some(Value::String(s)) if holds_placeholder(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_plain_placeholders_only() {
        let all: Vec<&str> = names("a${A}b${!Lit}${AWS::Region}${Res.Arn}${}${open").collect();
        assert_eq!(all, ["A", "AWS::Region", "Res.Arn"]);
    }

    #[test]
    fn drops_diagnostics_at_placeholders_and_warns_once_each() {
        let v = json!({"States": {"W": {"Seconds": "${T}", "Next": "${T}"}, "${K}": {"a": 1}}});
        let mut diags = vec![
            Diagnostic::error(
                Code::SchemaValidationFailed,
                "/States/W/Seconds",
                "not an integer",
            ),
            Diagnostic::error(
                Code::MissingTransitionTarget,
                "/States/W/Next",
                "no such state",
            ),
            Diagnostic::error(
                Code::SchemaValidationFailed,
                "/States/${K}/a",
                "unknown field",
            ),
            Diagnostic::error(Code::SchemaValidationFailed, "/States/W", "something else"),
        ];
        settle(&v, &mut diags, &TemplateNames::default());
        let left: Vec<(&str, &str)> = diags
            .iter()
            .map(|d| (d.code.as_str(), d.location.as_str()))
            .collect();
        assert_eq!(
            left,
            [
                ("SCHEMA_VALIDATION_FAILED", "/States/W"),
                ("UNRESOLVED_PLACEHOLDER", "/States/W/Seconds"),
                ("UNRESOLVED_PLACEHOLDER", "/States/${K}"),
            ]
        );
    }
}
