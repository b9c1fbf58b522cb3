//! A Choice rule's condition as short text (`$.n > 10`, `And($.a == "x", ...)`), read from the
//! rule's raw JSON: the compiled rule keeps no source text.

use serde_json::{Map, Value};

/// The longest label drawn on an edge, in characters; the full text goes in the tooltip.
pub const SHORT_CHARS: usize = 32;

/// The condition of one rule object (`{"Variable": ..., "NumericGreaterThan": ...}`,
/// `{"And": [...]}`, `{"Condition": "{% ... %}"}`).
pub fn text(rule: &Value) -> String {
    let Value::Object(m) = rule else {
        return rule.to_string();
    };
    if let Some(c) = m.get("Condition") {
        return match c {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
    }
    if let Some(Value::Array(rules)) = m.get("And") {
        return format!("And({})", list(rules));
    }
    if let Some(Value::Array(rules)) = m.get("Or") {
        return format!("Or({})", list(rules));
    }
    if let Some(r) = m.get("Not") {
        return format!("Not({})", text(r));
    }
    comparison(m)
}

fn list(rules: &[Value]) -> String {
    rules.iter().map(text).collect::<Vec<_>>().join(", ")
}

fn comparison(m: &Map<String, Value>) -> String {
    let variable = m.get("Variable").and_then(Value::as_str).unwrap_or("$");
    let Some((op, operand)) = m.iter().find(|(k, _)| {
        !matches!(
            k.as_str(),
            "Variable" | "Next" | "Assign" | "Output" | "Comment"
        )
    }) else {
        return variable.to_string();
    };
    // `StringEqualsPath` compares with the value at a path: show the path bare.
    let (name, shown) = match op.strip_suffix("Path") {
        Some(base) if !op.starts_with("Is") => (base, operand.as_str().unwrap_or("?").to_string()),
        _ => (op.as_str(), operand.to_string()),
    };
    if let Some(test) = name.strip_prefix("Is") {
        let test = test.to_ascii_lowercase();
        return match operand {
            Value::Bool(false) => format!("{variable} is not {test}"),
            _ => format!("{variable} is {test}"),
        };
    }
    if name == "StringMatches" {
        return format!("{variable} matches {shown}");
    }
    let symbol = [
        ("GreaterThanEquals", ">="),
        ("LessThanEquals", "<="),
        ("GreaterThan", ">"),
        ("LessThan", "<"),
        ("Equals", "=="),
    ]
    .iter()
    .find(|(suffix, _)| name.ends_with(suffix))
    .map_or(name, |(_, s)| s);
    format!("{variable} {symbol} {shown}")
}

/// `text` cut to [`SHORT_CHARS`] characters, with an ellipsis when cut.
pub fn short(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= SHORT_CHARS {
        return flat;
    }
    let mut out: String = flat.chars().take(SHORT_CHARS - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_each_rule_form() {
        let cases = [
            (
                json!({"Variable": "$.type", "StringEquals": "a"}),
                r#"$.type == "a""#,
            ),
            (
                json!({"Variable": "$.n", "NumericGreaterThan": 10}),
                "$.n > 10",
            ),
            (
                json!({"Variable": "$.n", "NumericLessThanEqualsPath": "$.max"}),
                "$.n <= $.max",
            ),
            (
                json!({"Variable": "$.x", "IsPresent": false}),
                "$.x is not present",
            ),
            (
                json!({"Variable": "$.f", "StringMatches": "*.csv"}),
                r#"$.f matches "*.csv""#,
            ),
            (
                json!({"And": [{"Variable": "$.a", "BooleanEquals": true}, {"Not": {"Variable": "$.b", "IsNull": true}}]}),
                "And($.a == true, Not($.b is null))",
            ),
            (
                json!({"Condition": "{% $states.input.n > 1 %}"}),
                "{% $states.input.n > 1 %}",
            ),
        ];
        for (rule, want) in cases {
            assert_eq!(text(&rule), want, "{rule}");
        }
    }

    #[test]
    fn short_cuts_on_char_boundaries() {
        let long = "é".repeat(40);
        let s = short(&long);
        assert_eq!(s.chars().count(), SHORT_CHARS);
        assert!(s.ends_with('…'));
        assert_eq!(short("a  b\n c"), "a b c");
    }
}
