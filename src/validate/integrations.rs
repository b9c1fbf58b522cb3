//! What AWS's API models say about a Task state's integration, checked as Step Functions
//! checks it when the state machine is created: an AWS SDK integration must name a service
//! and an action that exist (`arn:aws:states:::aws-sdk:dynamodb:getItem`), and the parameters
//! an integration is given (`Parameters`, or `Arguments` when they are an object) must be
//! members of the operation's input ("The field ... is not supported by Step Functions"). Only
//! the top level of the parameters is checked, and only names written out (`Key`, `Key.$`):
//! nested values are data the model types at run time.
//!
//! The models come from `handlers::aws::model` (the embedded bundle, inflated per service on
//! first use), the optimized integrations from `handlers::aws::optimized`.

use crate::definition::{Code, Diagnostic, Pointer, Resource, ResourceKind};
use crate::handlers::aws::model::{self, Service, Shape};
use crate::handlers::aws::optimized::{self, Adjust};
use crate::handlers::aws::params::{member_for, pascal};
use serde_json::{Map, Value};

pub fn check(diags: &mut Vec<Diagnostic>, arn: &str, state: &Map<String, Value>, at: &Pointer) {
    if arn.contains("${") {
        return;
    }
    let r = Resource::parse(arn);
    let (service, operation, extra): (std::sync::Arc<Service>, &str, Vec<&str>) = match &r.kind {
        ResourceKind::AwsSdk { service, action } => {
            let Some(s) = model::load(service).and_then(Result::ok) else {
                // A retired service is still on AWS's list, so creating the machine works:
                // only running it cannot.
                let diagnostic = if model::retired(service) {
                    Diagnostic::warning(
                        Code::SchemaValidationFailed,
                        at.key("Resource").as_str(),
                        format!(
                            "The resource `{arn}` calls a retired service: {}",
                            model::unknown_service(service)
                        ),
                    )
                } else {
                    Diagnostic::error(
                        Code::SchemaValidationFailed,
                        at.key("Resource").as_str(),
                        format!(
                            "The resource `{arn}` is not recognized: {}",
                            model::unknown_service(service)
                        ),
                    )
                };
                diags.push(diagnostic);
                return;
            };
            if s.operation(action).is_none() {
                let names: Vec<String> = s.operation_names().map(camel).collect();
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                diags.push(Diagnostic::error(
                    Code::SchemaValidationFailed,
                    at.key("Resource").as_str(),
                    format!(
                        "The resource `{arn}` is not recognized: `{action}` is not an action of `{service}`{}",
                        crate::definition::diagnostic::did_you_mean_in(action, &names)
                    ),
                ));
                return;
            }
            (s, action.as_str(), Vec::new())
        }
        ResourceKind::Service { service, action } if service == "eks" => {
            if let Some(known) = kubernetes_fields(action) {
                for field in ["Parameters", "Arguments"] {
                    if let Some(Value::Object(m)) = state.get(field) {
                        unknown(diags, m, known, &at.key(field));
                    }
                }
                return;
            }
            let Some(o) = optimized::find(service, action) else {
                return;
            };
            let Some(s) = model::load(o.model).and_then(Result::ok) else {
                return;
            };
            (s, o.operation, Vec::new())
        }
        ResourceKind::Service { service, action } => {
            let Some(o) = optimized::find(service, action) else {
                return;
            };
            let Some(s) = model::load(o.model).and_then(Result::ok) else {
                return;
            };
            // Names the integration takes in place of the API's own.
            let extra = o
                .adjust
                .iter()
                .flat_map(|a| match a {
                    Adjust::Rename { from, .. } | Adjust::Wrap { from, .. } => vec![top(from)],
                    Adjust::IdByName { name, .. } => vec![top(name)],
                    Adjust::BedrockS3Io => vec!["Input", "Output"],
                    _ => Vec::new(),
                })
                .collect();
            (s, o.operation, extra)
        }
        _ => return,
    };
    let Some(input) = service.operation(operation).and_then(|op| op.input()) else {
        return;
    };
    for field in ["Parameters", "Arguments"] {
        if let Some(Value::Object(m)) = state.get(field) {
            fields(diags, &input, m, &extra, &at.key(field));
        }
    }
}

fn fields(
    diags: &mut Vec<Diagnostic>,
    input: &Shape,
    m: &Map<String, Value>,
    extra: &[&str],
    at: &Pointer,
) {
    for k in m.keys() {
        let name = k.strip_suffix(".$").unwrap_or(k);
        if member_for(input, name).is_some() || extra.contains(&name) {
            continue;
        }
        let mut names: Vec<String> = input.members().map(|m| pascal(m.name)).collect();
        names.extend(extra.iter().map(|s| s.to_string()));
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        diags.push(
            Diagnostic::error(
                Code::SchemaValidationFailed,
                at.as_str(),
                format!(
                    "The field \"{name}\" is not supported by Step Functions{}",
                    crate::definition::diagnostic::did_you_mean_in(name, &names)
                ),
            )
            .with_focus(at.key(k).as_str()),
        );
    }
}

/// The parameters of the EKS integrations that call the cluster's Kubernetes API rather than
/// an AWS operation (connect-eks): no model lists them.
fn kubernetes_fields(action: &str) -> Option<&'static [&'static str]> {
    match action {
        "call" => Some(&[
            "ClusterName",
            "CertificateAuthority",
            "Endpoint",
            "Method",
            "Path",
            "QueryParameters",
            "RequestBody",
        ]),
        "runJob" => Some(&[
            "ClusterName",
            "CertificateAuthority",
            "Endpoint",
            "Namespace",
            "Job",
            "LogOptions",
        ]),
        _ => None,
    }
}

fn unknown(diags: &mut Vec<Diagnostic>, m: &Map<String, Value>, known: &[&str], at: &Pointer) {
    for k in m.keys() {
        let name = k.strip_suffix(".$").unwrap_or(k);
        if known.contains(&name) {
            continue;
        }
        diags.push(
            Diagnostic::error(
                Code::SchemaValidationFailed,
                at.as_str(),
                format!(
                    "The field \"{name}\" is not supported by Step Functions{}",
                    crate::definition::diagnostic::did_you_mean_in(name, known)
                ),
            )
            .with_focus(at.key(k).as_str()),
        );
    }
}

/// The first member a pointer names (`/ClusterId` → `ClusterId`).
fn top(pointer: &str) -> &str {
    pointer
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("")
}

fn camel(name: &str) -> String {
    let mut c = name.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}
