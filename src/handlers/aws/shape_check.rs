//! Mocked results checked against the operation's output shape, as the TestState API's
//! `fieldValidationMode` does: `STRICT` (every required member present, every present member
//! of the shape and of its type), `PRESENT` (every present member of the shape and of its
//! type), `NONE`. A mock that could never come from AWS (a misspelt member, a number where the
//! API gives text) is caught before it makes a test pass that AWS would fail.
//!
//! Only results with a model behind them are checked: AWS SDK integrations and optimized
//! integrations called request-response (their `SdkHttpMetadata` and `SdkResponseMetadata`
//! allowed). A `.sync` job's result, a callback's and the special integrations' (Lambda,
//! ECS, HTTP, API Gateway) are not the output of one operation and are left alone.

use super::model::{self, Shape};
use super::optimized::{self, Adjust};
use super::params::{member_for, pascal};
use crate::definition::{Pattern, Resource, ResourceKind};
use serde_json::Value;

/// How strictly mocked results are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FieldValidation {
    Strict,
    #[default]
    Present,
    None,
}

impl FieldValidation {
    pub fn parse(s: &str) -> Option<FieldValidation> {
        match s.to_ascii_uppercase().as_str() {
            "STRICT" => Some(FieldValidation::Strict),
            "PRESENT" => Some(FieldValidation::Present),
            "NONE" => Some(FieldValidation::None),
            _ => None,
        }
    }
}

/// A mismatch: a JSON pointer into the result and what is wrong there.
pub type Mismatch = (String, String);

/// One mocked result of a mock file's test case that its state's API could not return.
pub struct MockMismatch<'a> {
    pub state: &'a str,
    /// Where in the mock file: the response's pointer, then where in the result.
    pub pointer: String,
    pub resource: &'a Resource,
    pub why: String,
}

/// Every mocked result of `mock` that the API of its state (in `resources`, by state name)
/// could not return, in the mock file's order of pointers.
pub fn mock_mismatches<'a>(
    mock: &'a crate::handlers::mock::MockHandler,
    resources: &[(&str, &'a Resource)],
    mode: FieldValidation,
) -> Vec<MockMismatch<'a>> {
    let mut out = Vec::new();
    for (state, pointer, value) in mock.returns() {
        let Some((_, resource)) = resources.iter().find(|(s, _)| *s == state) else {
            continue;
        };
        for (at, why) in check(resource, value, mode) {
            out.push(MockMismatch {
                state,
                pointer: format!("{pointer}{at}"),
                resource,
                why,
            });
        }
    }
    out.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    out
}

/// The mismatches of `result`, the mocked result of a Task state calling `resource`.
pub fn check(resource: &Resource, result: &Value, mode: FieldValidation) -> Vec<Mismatch> {
    if mode == FieldValidation::None || resource.pattern != Pattern::RequestResponse {
        return Vec::new();
    }
    let (service, operation, metadata) = match &resource.kind {
        ResourceKind::AwsSdk { service, action } => (service.as_str(), action.as_str(), false),
        ResourceKind::Service { service, action } => {
            let Some(o) = optimized::find(service, action) else {
                return Vec::new();
            };
            let reshaped = o.adjust.iter().any(|a| {
                matches!(
                    a,
                    Adjust::RenameResult { .. }
                        | Adjust::UnwrapResult { .. }
                        | Adjust::CopyParameter { .. }
                        | Adjust::ParseResult { .. }
                        | Adjust::BedrockS3Io
                )
            });
            if reshaped {
                return Vec::new();
            }
            (o.model, o.operation, o.metadata)
        }
        _ => return Vec::new(),
    };
    let Some(Ok(s)) = model::load(service) else {
        return Vec::new();
    };
    let Some(op) = s.operation(operation) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    match op.output() {
        Some(shape) => {
            let mut at = String::new();
            value(&shape, result, mode, metadata, &mut at, &mut out);
        }
        None if !result.as_object().is_some_and(|m| m.is_empty()) => out.push((
            String::new(),
            format!("`{}` answers nothing: expected `{{}}`", op.name),
        )),
        None => {}
    }
    out
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn value(
    shape: &Shape,
    v: &Value,
    mode: FieldValidation,
    metadata: bool,
    at: &mut String,
    out: &mut Vec<Mismatch>,
) {
    let wrong = |out: &mut Vec<Mismatch>, at: &str, want: &str| {
        out.push((
            at.to_string(),
            format!("expected {want} (`{}`), found {}", shape.name, kind_of(v)),
        ));
    };
    if v.is_null() {
        return;
    }
    match shape.kind() {
        "structure" if shape.flag("document") => {}
        "structure" => {
            let Value::Object(m) = v else {
                return wrong(out, at, "an object");
            };
            for (k, x) in m {
                if metadata && matches!(k.as_str(), "SdkHttpMetadata" | "SdkResponseMetadata") {
                    continue;
                }
                let len = at.len();
                at.push('/');
                at.push_str(&k.replace('~', "~0").replace('/', "~1"));
                match member_for(shape, k) {
                    Some(member) => value(&member.shape, x, mode, false, at, out),
                    None => {
                        let names: Vec<String> = shape.members().map(|m| pascal(m.name)).collect();
                        let names: Vec<&str> = names.iter().map(String::as_str).collect();
                        out.push((
                            at.clone(),
                            format!(
                                "`{k}` is not a field of `{}`{}",
                                shape.name,
                                crate::definition::diagnostic::did_you_mean_in(k, &names)
                            ),
                        ));
                    }
                }
                at.truncate(len);
            }
            if mode == FieldValidation::Strict {
                for r in shape.required() {
                    let name = pascal(r);
                    if !m.contains_key(&name) && !m.contains_key(r) {
                        out.push((
                            at.clone(),
                            format!("the required field `{name}` is missing"),
                        ));
                    }
                }
            }
        }
        "list" => {
            let Value::Array(a) = v else {
                return wrong(out, at, "an array");
            };
            if let Some(el) = shape.element("member") {
                for (i, x) in a.iter().enumerate() {
                    let len = at.len();
                    at.push_str(&format!("/{i}"));
                    value(&el.shape, x, mode, false, at, out);
                    at.truncate(len);
                }
            }
        }
        "map" => {
            let Value::Object(m) = v else {
                return wrong(out, at, "an object");
            };
            if let Some(el) = shape.element("value") {
                for (k, x) in m {
                    let len = at.len();
                    at.push('/');
                    at.push_str(&k.replace('~', "~0").replace('/', "~1"));
                    value(&el.shape, x, mode, false, at, out);
                    at.truncate(len);
                }
            }
        }
        "string" | "blob" if !v.is_string() => wrong(out, at, "a string"),
        "boolean" if !v.is_boolean() => wrong(out, at, "a boolean"),
        "integer" | "long" | "short" | "byte" if !(v.is_i64() || v.is_u64()) => {
            wrong(out, at, "an integer")
        }
        "float" | "double" | "bigdecimal" | "biginteger" if !v.is_number() => {
            wrong(out, at, "a number")
        }
        // A timestamp is text or a number; its text is not judged: recorded results often
        // hold a placeholder in place of a date.
        "timestamp" if !(v.is_number() || v.is_string()) => {
            wrong(out, at, "a timestamp (ISO 8601 text or epoch seconds)")
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mismatches(arn: &str, v: Value, mode: FieldValidation) -> Vec<Mismatch> {
        check(&Resource::parse(arn), &v, mode)
    }

    #[test]
    fn present_fields_must_be_members_of_their_type() {
        let arn = "arn:aws:states:::aws-sdk:dynamodb:getItem";
        assert!(
            mismatches(
                arn,
                json!({"Item": {"id": {"S": "1"}}}),
                FieldValidation::Present
            )
            .is_empty()
        );
        let m = mismatches(
            arn,
            json!({"Itme": {}, "ConsumedCapacity": {"CapacityUnits": "1"}}),
            FieldValidation::Present,
        );
        assert_eq!(m[0].0, "/Itme");
        assert!(m[0].1.contains("did you mean `Item`?"), "{}", m[0].1);
        assert_eq!(m[1].0, "/ConsumedCapacity/CapacityUnits");
        assert!(m[1].1.starts_with("expected a number"), "{}", m[1].1);
        assert!(mismatches(arn, json!({"Itme": 1}), FieldValidation::None).is_empty());
        // Optimized results carry the HTTP metadata; the SDK integration's do not.
        let meta = json!({"Item": {}, "SdkHttpMetadata": {}, "SdkResponseMetadata": {}});
        assert!(
            mismatches(
                "arn:aws:states:::dynamodb:getItem",
                meta.clone(),
                FieldValidation::Present
            )
            .is_empty()
        );
        assert_eq!(mismatches(arn, meta, FieldValidation::Present).len(), 2);
    }

    #[test]
    fn strict_wants_every_required_field() {
        let arn = "arn:aws:states:::aws-sdk:sfn:startExecution";
        let m = mismatches(
            arn,
            json!({"ExecutionArn": "arn:e"}),
            FieldValidation::Strict,
        );
        assert_eq!(
            m,
            vec![(
                String::new(),
                "the required field `StartDate` is missing".into()
            )]
        );
        assert!(
            mismatches(
                arn,
                json!({"ExecutionArn": "arn:e"}),
                FieldValidation::Present
            )
            .is_empty()
        );
        assert!(
            mismatches(
                arn,
                json!({"ExecutionArn": "a", "StartDate": "2024-01-01T00:00:00Z"}),
                FieldValidation::Strict
            )
            .is_empty()
        );
        assert_eq!(
            mismatches(
                arn,
                json!({"ExecutionArn": "a", "StartDate": true}),
                FieldValidation::Strict
            )
            .len(),
            1
        );
        // Callbacks and the special integrations answer what the worker or function says.
        assert!(
            mismatches(
                "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                json!({"any": 1}),
                FieldValidation::Strict
            )
            .is_empty()
        );
        assert!(
            mismatches(
                "arn:aws:states:::lambda:invoke",
                json!({"any": 1}),
                FieldValidation::Strict
            )
            .is_empty()
        );
    }
}
