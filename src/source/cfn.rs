//! CloudFormation and SAM templates: finding the state machines in them.
//!
//! A template is a JSON/YAML object with `Resources`. Each `AWS::StepFunctions::StateMachine`
//! (`Definition`, `DefinitionString`) and `AWS::Serverless::StateMachine` (`Definition`,
//! `DefinitionUri` to a local file) yields one definition. `DefinitionSubstitutions` and the
//! user's `--sub KEY=VALUE` replace `${KEY}` placeholders; `Fn::Sub` and `Fn::Join` are
//! evaluated as far as the template allows. Anything only CloudFormation can resolve at deploy
//! time (`${MyFunction.Arn}`, `Ref`) is left as a `${...}` placeholder, which the validator
//! does not judge.
//!
//! Substitution is bounded: what it adds to a definition (a value longer than the placeholder
//! it replaces) may not exceed [`MAX_DEFINITION_BYTES`], AWS's limit on a whole definition, so
//! a 1 MiB value repeated 20,000 times stops at the placeholder that crosses the line instead
//! of allocating gigabytes.

use serde_json::{Map, Value};

/// The largest definition AWS accepts: 1,048,576 characters (the `Definition` string of the
/// Step Functions API, `max: 1048576`; "Maximum size of a state machine definition: 1 MB, hard
/// quota" in the service quotas). Expansion (YAML aliases, `${...}` substitutions) may add at
/// most this much.
pub const MAX_DEFINITION_BYTES: usize = 1_048_576;

/// How many bytes substitution may still add to one definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Growth {
    left: usize,
}

impl Default for Growth {
    fn default() -> Self {
        Growth {
            left: MAX_DEFINITION_BYTES,
        }
    }
}

/// Substitution would make a definition grow past [`MAX_DEFINITION_BYTES`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overflow {
    /// The placeholder whose value crossed the line (`${Name}`).
    pub placeholder: String,
    /// Where, as a JSON pointer relative to the value substituted (`""` for a text).
    pub pointer: String,
}

impl Overflow {
    /// The message shown for it.
    pub fn message(&self) -> String {
        format!(
            "substituting `{}` here makes the definition grow by more than {MAX_DEFINITION_BYTES} bytes, the largest definition AWS accepts; a substitution that repeats a large value is refused",
            self.placeholder
        )
    }
}

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
    /// `Fn::Sub` in a `DefinitionString` grows past [`MAX_DEFINITION_BYTES`].
    TooLarge { pointer: String, overflow: Overflow },
}

/// One state machine of a template.
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    /// The resource's logical id.
    pub name: String,
    pub source: Source,
    /// `DefinitionSubstitutions` whose values are plain strings (or numbers, booleans).
    pub substitutions: Vec<(String, String)>,
    /// The placeholders the template gives a value to that only CloudFormation can compute.
    pub defined: TemplateNames,
}

/// Placeholders a template defines: every `DefinitionSubstitutions` key (a value such as
/// `!GetAtt OrderFunction.Arn` is known only at deploy time), and in a `DefinitionString`
/// written with `Fn::Sub`, the variables `Fn::Sub` itself resolves — its own variable map,
/// the template's resources and parameters (`${OrderFunction.Arn}`, `${Stage}`) and the
/// pseudo parameters (`${AWS::Region}`). Such a placeholder is not "unresolved": the deployed
/// definition will have its value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateNames {
    /// Names defined as a whole (`FnArn`).
    pub names: Vec<String>,
    /// Logical ids (resources, parameters) whose `${Id}` and `${Id.Attribute}` are defined.
    pub ids: Vec<String>,
    /// Whether `${AWS::...}` pseudo parameters are (they are wherever `Fn::Sub` applies).
    pub pseudo: bool,
}

impl TemplateNames {
    /// Whether the placeholder `${name}` has a value once deployed.
    pub fn defines(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
            || (self.pseudo && name.starts_with("AWS::"))
            || self.ids.iter().any(|id| {
                name == id
                    || name
                        .strip_prefix(id.as_str())
                        .is_some_and(|r| r.starts_with('.'))
            })
    }
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
        let mut defined = TemplateNames::default();
        if let Some(Value::Object(m)) = props.get("DefinitionSubstitutions") {
            defined.names.extend(m.keys().cloned());
        }
        if let Some(Value::Object(d)) = props.get("DefinitionString")
            && let Some(sub) = d.get("Fn::Sub")
        {
            if let Some(Value::Object(vars)) = sub.as_array().and_then(|a| a.get(1)) {
                defined.names.extend(vars.keys().cloned());
            }
            for section in ["Resources", "Parameters"] {
                if let Some(Value::Object(ids)) = template.get(section) {
                    defined.ids.extend(ids.keys().cloned());
                }
            }
            defined.pseudo = true;
        }
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
                Ok(Some(text)) => Source::Text { pointer, text },
                Ok(None) => Source::Unsupported {
                    pointer,
                    why: "`DefinitionString` is neither a string, `Fn::Sub` nor `Fn::Join`".into(),
                },
                Err(overflow) => Source::TooLarge { pointer, overflow },
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
            defined,
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
/// becomes a `${...}` placeholder. `Ok(None)`: not a string-valued form this reader follows.
/// Each `Fn::Sub` may add at most [`MAX_DEFINITION_BYTES`] to its text.
pub fn render(v: &Value) -> Result<Option<String>, Overflow> {
    render_depth(v, 0)
}

fn render_depth(v: &Value, depth: usize) -> Result<Option<String>, Overflow> {
    if depth > 32 {
        return Ok(None);
    }
    Ok(match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(m) if m.len() == 1 => {
            let Some((k, arg)) = m.iter().next() else {
                return Ok(None);
            };
            match k.as_str() {
                "Fn::Sub" => match arg {
                    Value::String(s) => Some(sub(s, &[], &mut Growth::default())?),
                    Value::Array(a) if !a.is_empty() => {
                        let Some(template) = a[0].as_str() else {
                            return Ok(None);
                        };
                        let mut vars: Vec<(String, String)> = Vec::new();
                        if let Some(Value::Object(given)) = a.get(1) {
                            for (k, v) in given {
                                if let Some(r) = render_depth(v, depth + 1)? {
                                    vars.push((k.clone(), r));
                                }
                            }
                        }
                        Some(sub(template, &vars, &mut Growth::default())?)
                    }
                    _ => None,
                },
                "Fn::Join" => {
                    let Some(a) = arg.as_array() else {
                        return Ok(None);
                    };
                    let (Some(delim), Some(parts)) = (
                        a.first().and_then(Value::as_str),
                        a.get(1).and_then(Value::as_array),
                    ) else {
                        return Ok(None);
                    };
                    let mut out = Vec::with_capacity(parts.len());
                    for p in parts {
                        match render_depth(p, depth + 1)? {
                            Some(r) => out.push(r),
                            None => return Ok(None),
                        }
                    }
                    Some(out.join(delim))
                }
                "Ref" => arg.as_str().map(|a| format!("${{{a}}}")),
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
    })
}

/// `Fn::Sub` / `DefinitionSubstitutions`: replaces `${NAME}` with known values; `${!X}` is the
/// literal `${X}`; unknown names stay as they are. What the values add beyond their
/// placeholders is taken from `growth`; a value that needs more than is left is an
/// [`Overflow`] (its `pointer` empty: the caller knows where the text is).
pub fn sub(s: &str, vars: &[(String, String)], growth: &mut Growth) -> Result<String, Overflow> {
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
                    // `${` + name + `}` is what the value replaces.
                    let added = v.len().saturating_sub(name.len() + 3);
                    if added > growth.left {
                        return Err(Overflow {
                            placeholder: format!("${{{name}}}"),
                            pointer: String::new(),
                        });
                    }
                    growth.left -= added;
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
    Ok(out)
}

/// Applies substitutions to every string (keys too) of a definition value; together they may
/// add at most [`MAX_DEFINITION_BYTES`]. On [`Overflow`] the value is left part-substituted
/// and the overflow's pointer names the string (or key's object) where it happened.
pub fn substitute(v: &mut Value, vars: &[(String, String)]) -> Result<(), Overflow> {
    if vars.is_empty() {
        return Ok(());
    }
    let mut growth = Growth::default();
    let mut at = String::new();
    substitute_depth(v, vars, 0, &mut growth, &mut at)
}

fn substitute_depth(
    v: &mut Value,
    vars: &[(String, String)],
    depth: usize,
    growth: &mut Growth,
    at: &mut String,
) -> Result<(), Overflow> {
    if depth > 256 {
        return Ok(());
    }
    let located = |mut o: Overflow, at: &str| {
        o.pointer = at.to_string();
        o
    };
    match v {
        Value::String(s) if s.contains("${") => {
            *s = sub(s, vars, growth).map_err(|o| located(o, at))?;
        }
        Value::Array(a) => {
            for (i, x) in a.iter_mut().enumerate() {
                let len = at.len();
                at.push_str(&format!("/{i}"));
                substitute_depth(x, vars, depth + 1, growth, at)?;
                at.truncate(len);
            }
        }
        Value::Object(m) => {
            if m.keys().any(|k| k.contains("${")) {
                for (k, mut x) in std::mem::take(m) {
                    let len = at.len();
                    at.push('/');
                    at.push_str(&escape(&k));
                    substitute_depth(&mut x, vars, depth + 1, growth, at)?;
                    at.truncate(len);
                    let key = sub(&k, vars, growth).map_err(|o| located(o, at))?;
                    m.insert(key, x);
                }
            } else {
                for (k, x) in m.iter_mut() {
                    let len = at.len();
                    at.push('/');
                    at.push_str(&escape(k));
                    substitute_depth(x, vars, depth + 1, growth, at)?;
                    at.truncate(len);
                }
            }
        }
        _ => {}
    }
    Ok(())
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
        // Both keys are the template's, the `Ref` one known only at deploy time.
        assert!(m[2].defined.defines("Other") && m[2].defined.defines("Fn"));
        assert!(!m[2].defined.defines("Missing"));
    }

    #[test]
    fn fn_sub_defines_its_variables_resources_parameters_and_pseudo_parameters() {
        let t = json!({"Parameters": {"Stage": {"Type": "String"}}, "Resources": {
            "F": {"Type": "AWS::Lambda::Function"},
            "M": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
                "DefinitionString": {"Fn::Sub": ["{}", {"Extra": {"Ref": "X"}}]}}}}});
        let d = &machines(&t)[0].defined;
        for yes in ["Extra", "Stage", "F", "F.Arn", "AWS::Region", "M"] {
            assert!(d.defines(yes), "{yes}");
        }
        for no in ["Other", "FArn", "Stage2"] {
            assert!(!d.defines(no), "{no}");
        }
    }

    #[test]
    fn substitutes_known_names_only() {
        let vars = vec![("A".to_string(), "1".to_string())];
        assert_eq!(
            sub("${A}-${B}-${!A}", &vars, &mut Growth::default()),
            Ok("1-${B}-${A}".to_string())
        );
    }

    #[test]
    fn substitution_may_add_at_most_the_definition_limit() {
        // Pins: a value repeated by placeholders is refused once the growth passes AWS's
        // 1,048,576-byte limit on a definition, at the placeholder that crosses it.
        let big = "x".repeat(MAX_DEFINITION_BYTES / 2);
        let vars = vec![("Big".to_string(), big)];
        let twice = sub("${Big}${Big}", &vars, &mut Growth::default()).expect("two fit");
        assert_eq!(twice.len(), MAX_DEFINITION_BYTES);
        let thrice = sub("${Big}${Big}${Big}", &vars, &mut Growth::default());
        assert_eq!(thrice.map_err(|o| o.placeholder), Err("${Big}".to_string()));
        // Exactly the limit is accepted; one byte more is not (the placeholder's own six
        // bytes are not growth).
        let edge = vec![("E".to_string(), "y".repeat(MAX_DEFINITION_BYTES + 4))];
        assert!(sub("${E}", &edge, &mut Growth::default()).is_ok());
        let over = vec![("E".to_string(), "y".repeat(MAX_DEFINITION_BYTES + 5))];
        assert!(sub("${E}", &over, &mut Growth::default()).is_err());
        // Across the strings of one definition the growth is shared, and located.
        let mut v = serde_json::json!({"States": {"A": {"Comment": "${Big}"}, "B": {"Comment": "${Big}${Big}"}}});
        let err = substitute(&mut v, &vars).expect_err("three halves overflow");
        assert_eq!(err.pointer, "/States/B/Comment");
    }
}
