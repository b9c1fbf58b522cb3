//! CloudFormation and SAM templates: finding the state machines in them.
//!
//! A template is a JSON/YAML object with `Resources`. Each `AWS::StepFunctions::StateMachine`
//! (`Definition`, `DefinitionString`) and `AWS::Serverless::StateMachine` (`Definition`,
//! `DefinitionUri` to a local file) yields one definition. `DefinitionSubstitutions` and the
//! user's `--sub KEY=VALUE` replace `${KEY}` placeholders; `Fn::Sub` and `Fn::Join` are
//! evaluated as far as the template allows. Anything only CloudFormation can resolve at deploy
//! time (`${MyFunction.Arn}`, `Ref`) is left as a `${...}` placeholder, which the validator
//! does not judge.

use serde_json::{Map, Value};

/// Where a state machine's definition is in a template.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// An object at this pointer of the template.
    Object { pointer: String },
    /// A string (after `Fn::Sub`/`Fn::Join`) written at this pointer.
    Text { pointer: String, text: String },
    /// A local file named by `DefinitionUri` (relative to the template's folder).
    File { pointer: String, path: String },
    /// Only in S3, or in a shape this reader does not follow.
    Unsupported { pointer: String, why: String },
}

/// One state machine of a template.
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    /// The resource's logical id.
    pub name: String,
    pub source: Source,
    /// `DefinitionSubstitutions` whose values are plain strings (or numbers, booleans).
    pub substitutions: Vec<(String, String)>,
}

/// Whether a parsed document is a CloudFormation/SAM template rather than a definition.
pub fn is_template(v: &Value) -> bool {
    match v {
        Value::Object(m) => {
            !m.contains_key("States")
                && (m.get("Resources").is_some_and(Value::is_object)
                    || m.contains_key("AWSTemplateFormatVersion"))
        }
        _ => false,
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The state machines of a template, in document order.
pub fn machines(template: &Value) -> Vec<Machine> {
    let mut out = Vec::new();
    let Some(Value::Object(resources)) = template.get("Resources") else {
        return out;
    };
    for (name, r) in resources {
        let ty = r.get("Type").and_then(Value::as_str).unwrap_or("");
        if ty != "AWS::StepFunctions::StateMachine" && ty != "AWS::Serverless::StateMachine" {
            continue;
        }
        let base = format!("/Resources/{}/Properties", escape(name));
        let props = match r.get("Properties") {
            Some(Value::Object(p)) => p,
            _ => &Map::new(),
        };
        let substitutions = match props.get("DefinitionSubstitutions") {
            Some(Value::Object(m)) => m
                .iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k.clone(), s.clone())),
                    Value::Number(n) => Some((k.clone(), n.to_string())),
                    Value::Bool(b) => Some((k.clone(), b.to_string())),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let source = if let Some(d) = props.get("Definition") {
            if d.is_object() {
                Source::Object {
                    pointer: format!("{base}/Definition"),
                }
            } else {
                Source::Unsupported {
                    pointer: format!("{base}/Definition"),
                    why: "`Definition` must be an object".into(),
                }
            }
        } else if let Some(d) = props.get("DefinitionBody") {
            Source::Object {
                pointer: format!("{base}/DefinitionBody"),
            }
            .with_value_check(d)
        } else if let Some(d) = props.get("DefinitionString") {
            let pointer = format!("{base}/DefinitionString");
            match render(d) {
                Some(text) => Source::Text { pointer, text },
                None => Source::Unsupported {
                    pointer,
                    why: "`DefinitionString` is neither a string, `Fn::Sub` nor `Fn::Join`".into(),
                },
            }
        } else if let Some(d) = props.get("DefinitionUri") {
            let pointer = format!("{base}/DefinitionUri");
            match d {
                Value::String(s) if !s.starts_with("s3://") => Source::File {
                    pointer,
                    path: s.clone(),
                },
                _ => Source::Unsupported {
                    pointer,
                    why: "the definition is in S3; only local files can be read".into(),
                },
            }
        } else if props.contains_key("DefinitionS3Location") {
            Source::Unsupported {
                pointer: format!("{base}/DefinitionS3Location"),
                why: "the definition is in S3; only local files can be read".into(),
            }
        } else {
            Source::Unsupported {
                pointer: base.clone(),
                why: "no `Definition`, `DefinitionString`, `DefinitionBody` or `DefinitionUri`"
                    .into(),
            }
        };
        out.push(Machine {
            name: name.clone(),
            source,
            substitutions,
        });
    }
    out
}

impl Source {
    fn with_value_check(self, v: &Value) -> Source {
        match (&self, v) {
            (Source::Object { .. }, Value::Object(_)) => self,
            (Source::Object { pointer }, _) => Source::Unsupported {
                pointer: pointer.clone(),
                why: "`DefinitionBody` must be an object".into(),
            },
            _ => self,
        }
    }
}

/// A string-valued intrinsic, evaluated as far as possible; what only CloudFormation knows
/// becomes a `${...}` placeholder.
pub fn render(v: &Value) -> Option<String> {
    render_depth(v, 0)
}

fn render_depth(v: &Value, depth: usize) -> Option<String> {
    if depth > 32 {
        return None;
    }
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(m) if m.len() == 1 => {
            let (k, arg) = m.iter().next()?;
            match k.as_str() {
                "Fn::Sub" => match arg {
                    Value::String(s) => Some(sub(s, &[])),
                    Value::Array(a) if !a.is_empty() => {
                        let template = a[0].as_str()?;
                        let vars: Vec<(String, String)> = match a.get(1) {
                            Some(Value::Object(vars)) => vars
                                .iter()
                                .filter_map(|(k, v)| Some((k.clone(), render_depth(v, depth + 1)?)))
                                .collect(),
                            _ => Vec::new(),
                        };
                        Some(sub(template, &vars))
                    }
                    _ => None,
                },
                "Fn::Join" => {
                    let a = arg.as_array()?;
                    let delim = a.first()?.as_str()?;
                    let parts = a.get(1)?.as_array()?;
                    let parts: Option<Vec<String>> =
                        parts.iter().map(|p| render_depth(p, depth + 1)).collect();
                    Some(parts?.join(delim))
                }
                "Ref" => Some(format!("${{{}}}", arg.as_str()?)),
                "Fn::GetAtt" => match arg {
                    Value::Array(a) => {
                        let parts: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
                        Some(format!("${{{}}}", parts.join(".")))
                    }
                    Value::String(s) => Some(format!("${{{s}}}")),
                    _ => None,
                },
                _ => Some(format!("${{{k}}}")),
            }
        }
        _ => None,
    }
}

/// `Fn::Sub` / `DefinitionSubstitutions`: replaces `${NAME}` with known values; `${!X}` is the
/// literal `${X}`; unknown names stay as they are.
pub fn sub(s: &str, vars: &[(String, String)]) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after.find('}') {
            Some(j) => {
                let name = &after[..j];
                if let Some(lit) = name.strip_prefix('!') {
                    out.push_str("${");
                    out.push_str(lit);
                    out.push('}');
                } else if let Some((_, v)) = vars.iter().rev().find(|(k, _)| k == name) {
                    out.push_str(v);
                } else {
                    out.push_str(&rest[i..i + 2 + j + 1]);
                }
                rest = &after[j + 1..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Applies substitutions to every string (keys too) of a definition value.
pub fn substitute(v: &mut Value, vars: &[(String, String)]) {
    if vars.is_empty() {
        return;
    }
    substitute_depth(v, vars, 0);
}

fn substitute_depth(v: &mut Value, vars: &[(String, String)], depth: usize) {
    if depth > 256 {
        return;
    }
    match v {
        Value::String(s) if s.contains("${") => *s = sub(s, vars),
        Value::Array(a) => a
            .iter_mut()
            .for_each(|x| substitute_depth(x, vars, depth + 1)),
        Value::Object(m) => {
            if m.keys().any(|k| k.contains("${")) {
                let old = std::mem::take(m);
                for (k, mut x) in old {
                    substitute_depth(&mut x, vars, depth + 1);
                    m.insert(sub(&k, vars), x);
                }
            } else {
                m.values_mut()
                    .for_each(|x| substitute_depth(x, vars, depth + 1));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_machines_of_every_shape() {
        let t = json!({"Resources": {
            "A": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {"Definition": {"StartAt": "x"}}},
            "B": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
                "DefinitionString": {"Fn::Join": ["", ["{\"StartAt\": \"", {"Ref": "P"}, "\"}"]]}}},
            "C": {"Type": "AWS::Serverless::StateMachine", "Properties": {"DefinitionUri": "sm.asl.json",
                "DefinitionSubstitutions": {"Fn": "arn:x", "Other": {"Ref": "Y"}}}},
            "D": {"Type": "AWS::Lambda::Function"}
        }});
        assert!(is_template(&t));
        let m = machines(&t);
        assert_eq!(m.len(), 3);
        assert_eq!(
            m[0].source,
            Source::Object {
                pointer: "/Resources/A/Properties/Definition".into()
            }
        );
        assert_eq!(
            m[1].source,
            Source::Text {
                pointer: "/Resources/B/Properties/DefinitionString".into(),
                text: "{\"StartAt\": \"${P}\"}".into()
            }
        );
        assert_eq!(
            m[2].substitutions,
            vec![("Fn".to_string(), "arn:x".to_string())]
        );
    }

    #[test]
    fn substitutes_known_names_only() {
        let vars = vec![("A".to_string(), "1".to_string())];
        assert_eq!(sub("${A}-${B}-${!A}", &vars), "1-${B}-${A}");
    }
}
