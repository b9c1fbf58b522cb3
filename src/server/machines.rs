//! The state machine operations: Create, Describe, List, Update, Delete, and
//! ValidateStateMachineDefinition, with our validator's located diagnostics.

use super::request::{Request, check_name, page};
use super::store::{Machine, lock, now};
use super::{ApiError, Server};
use crate::definition::{Diagnostic, Severity, StateMachine};
use serde_json::{Value, json};
use std::sync::Arc;

/// AWS's limit on a definition's size.
const MAX_DEFINITION: usize = 1024 * 1024;

/// A diagnostic as `CODE: message at /pointer (line L, column C)`.
fn shown(text: &str, d: &Diagnostic) -> String {
    let at = d.shown_at();
    let pos = crate::source::locate(text, at)
        .map(|p| format!(" (line {}, column {})", p.line, p.column))
        .unwrap_or_default();
    format!(
        "{}: {} at {}{pos}",
        d.code.as_str(),
        d.message,
        if at.is_empty() { "/" } else { at }
    )
}

/// Every diagnostic of our validator on `text` (errors and warnings), and the machine when
/// it has no error.
fn check(text: &str, kind: &str) -> (Vec<Diagnostic>, Option<StateMachine>) {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return (
                vec![Diagnostic::error(
                    crate::definition::Code::InvalidJsonDescription,
                    "",
                    format!("the definition is not JSON: {e}"),
                )],
                None,
            );
        }
    };
    let opts = crate::validate::Options {
        machine_type: if kind == "EXPRESS" {
            crate::validate::MachineType::Express
        } else {
            crate::validate::MachineType::Standard
        },
    };
    let diags = crate::validate::validate_value(&value, &opts);
    if diags.iter().any(Diagnostic::is_error) {
        return (diags, None);
    }
    let loaded = crate::definition::load_owned(value);
    match loaded.machine {
        Some(m) => (diags, Some(m)),
        None => (loaded.diagnostics, None),
    }
}

/// The compiled machine, or `InvalidDefinition` with every error where it is.
pub(super) fn compile(text: &str, kind: &str) -> Result<StateMachine, ApiError> {
    if text.len() > MAX_DEFINITION {
        return Err(ApiError::new(
            "InvalidDefinition",
            format!(
                "Invalid State Machine Definition: 'the definition is larger than {MAX_DEFINITION} bytes'"
            ),
        ));
    }
    match check(text, kind) {
        (_, Some(m)) => Ok(m),
        (diags, None) => {
            let errors: Vec<String> = diags
                .iter()
                .filter(|d| d.is_error())
                .map(|d| shown(text, d))
                .collect();
            Err(ApiError::new(
                "InvalidDefinition",
                format!("Invalid State Machine Definition: '{}'", errors.join(", ")),
            ))
        }
    }
}

/// Checks an ARN's shape and resource type: `InvalidArn` otherwise. Returns the part after
/// `arn:PARTITION:states:REGION:ACCOUNT:`.
pub fn parse_arn<'a>(arn: &'a str, kind: &str) -> Result<&'a str, ApiError> {
    let bad = || ApiError::new("InvalidArn", format!("Invalid Arn: '{arn}'"));
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [arn_word, _partition, service, _region, _account, rest] = parts.as_slice() else {
        return Err(bad());
    };
    if *arn_word != "arn" || *service != "states" {
        return Err(bad());
    }
    match rest.split_once(':') {
        Some((k, name)) if k == kind && !name.is_empty() => Ok(rest),
        Some((k, _)) => Err(ApiError::new(
            "InvalidArn",
            format!("Invalid Arn: 'Resource type not valid in this context: {k}'"),
        )),
        None => Err(bad()),
    }
}

/// The machine named by `stateMachineArn`, or `StateMachineDoesNotExist`.
pub fn find(server: &Server, arn: &str) -> Result<Machine, ApiError> {
    parse_arn(arn, "stateMachine")?;
    server.store.machine(arn).ok_or_else(|| {
        ApiError::new(
            "StateMachineDoesNotExist",
            format!("State Machine Does Not Exist: '{arn}'"),
        )
    })
}

fn role(r: &Request) -> Result<Option<String>, ApiError> {
    match r.str("roleArn")? {
        None => Ok(None),
        Some(a) if a.starts_with("arn:") && a.split(':').count() >= 6 => Ok(Some(a.to_string())),
        Some(a) => Err(ApiError::new("InvalidArn", format!("Invalid Arn: '{a}'"))),
    }
}

pub fn create(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let name = r.required("name")?;
    let definition = r.required("definition")?;
    let role_arn = role(r)?.ok_or_else(|| {
        ApiError::validation("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
    })?;
    let kind = r.str("type")?.unwrap_or("STANDARD").to_string();
    if kind != "STANDARD" && kind != "EXPRESS" {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{kind}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]"
        )));
    }
    check_name(name)?;
    let compiled = compile(definition, &kind)?;
    let arn = format!("{}stateMachine:{name}", server.arn_prefix());
    let mut machines = lock(&server.store.machines);
    if let Some(m) = machines.get(&arn) {
        // AWS answers a repeated create of the same machine with the machine it has.
        if m.definition == definition && m.role_arn == role_arn && m.kind == kind {
            return Ok(json!({"stateMachineArn": arn, "creationDate": m.created}));
        }
        return Err(ApiError::new(
            "StateMachineAlreadyExists",
            format!("State Machine Already Exists: '{arn}'"),
        ));
    }
    server.tags.add(&arn, r, &*server.store.durable)?;
    let created = now();
    let machine = Machine {
        arn: arn.clone(),
        name: name.to_string(),
        definition: definition.to_string(),
        compiled: Arc::new(compiled),
        role_arn,
        kind,
        created,
        updated: None,
        revision: 1,
    };
    let mut out = json!({"stateMachineArn": arn, "creationDate": created});
    if r.bool("publish")? {
        let (v, _) = server.versions.publish(
            &machine,
            r.str("versionDescription")?,
            &*server.store.durable,
        );
        out["stateMachineVersionArn"] = json!(v);
    }
    server.store.keep_machine(&machine);
    machines.insert(arn, machine);
    Ok(out)
}

/// DescribeStateMachine's (and DescribeStateMachineForExecution's) fields of a machine.
pub fn described(m: &Machine) -> Value {
    json!({
        "stateMachineArn": m.arn,
        "name": m.name,
        "status": "ACTIVE",
        "definition": m.definition,
        "roleArn": m.role_arn,
        "type": m.kind,
        "creationDate": m.created,
        "loggingConfiguration": {"level": "OFF", "includeExecutionData": false},
        "tracingConfiguration": {"enabled": false},
        "revisionId": m.revision.to_string(),
    })
}

pub fn describe(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let arn = r.required("stateMachineArn")?;
    parse_arn(arn, "stateMachine")?;
    if let (_, Some(q)) = super::versions::split(arn)
        && q.bytes().all(|b| b.is_ascii_digit())
    {
        let v = server.versions.describe_version(arn).ok_or_else(|| {
            ApiError::new(
                "StateMachineDoesNotExist",
                format!("State Machine Does Not Exist: '{arn}'"),
            )
        })?;
        let mut out = described(&v.machine);
        out["creationDate"] = json!(v.created);
        if let Some(d) = &v.description {
            out["description"] = json!(d);
        }
        return Ok(out);
    }
    let m = find(server, arn)?;
    Ok(described(&m))
}

pub fn list(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let all: Vec<Value> = lock(&server.store.machines)
        .values()
        .map(|m| json!({"stateMachineArn": m.arn, "name": m.name, "type": m.kind, "creationDate": m.created}))
        .collect();
    let (items, next) = page(&all, r.next_token()?, r.max_results()?);
    let mut out = json!({"stateMachines": items});
    if let Some(t) = next {
        out["nextToken"] = json!(t);
    }
    Ok(out)
}

pub fn update(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let arn = r.required("stateMachineArn")?;
    let definition = r.str("definition")?;
    let role_arn = role(r)?;
    if definition.is_none() && role_arn.is_none() {
        return Err(ApiError::new(
            "MissingRequiredParameter",
            "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified",
        ));
    }
    let kind = find(server, arn)?.kind;
    let compiled = definition.map(|d| compile(d, &kind)).transpose()?;
    let mut machines = lock(&server.store.machines);
    let m = machines.get_mut(arn).ok_or_else(|| {
        ApiError::new(
            "StateMachineDoesNotExist",
            format!("State Machine Does Not Exist: '{arn}'"),
        )
    })?;
    if let (Some(text), Some(c)) = (definition, compiled) {
        m.definition = text.to_string();
        m.compiled = Arc::new(c);
    }
    if let Some(role) = role_arn {
        m.role_arn = role;
    }
    let at = now();
    m.updated = Some(at);
    m.revision += 1;
    server.store.keep_machine(m);
    let mut out = json!({"updateDate": at, "revisionId": m.revision.to_string()});
    if r.bool("publish")? {
        let (v, _) =
            server
                .versions
                .publish(m, r.str("versionDescription")?, &*server.store.durable);
        out["stateMachineVersionArn"] = json!(v);
    }
    Ok(out)
}

pub fn delete(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let arn = r.required("stateMachineArn")?;
    parse_arn(arn, "stateMachine")?;
    // As AWS: deleting a machine that is not there is not an error; its executions run on.
    lock(&server.store.machines).shift_remove(arn);
    let durable = &*server.store.durable;
    durable.delete(super::durable::Kind::Machine, arn);
    server.tags.forget(arn, durable);
    server.versions.forget(arn, durable);
    Ok(json!({}))
}

/// ValidateStateMachineDefinition: `result` OK or FAIL and each finding of our validator.
pub fn validate(r: &Request) -> Result<Value, ApiError> {
    let definition = r.required("definition")?;
    let (diags, _) = check(definition, r.str("type")?.unwrap_or("STANDARD"));
    let failed = diags.iter().any(Diagnostic::is_error);
    let diagnostics: Vec<Value> = diags
        .iter()
        .map(|d| {
            json!({
                "severity": if d.severity == Severity::Error { "ERROR" } else { "WARNING" },
                "code": d.code.as_str(),
                "message": d.message,
                "location": d.shown_at(),
            })
        })
        .collect();
    Ok(
        json!({"result": if failed { "FAIL" } else { "OK" }, "diagnostics": diagnostics, "truncated": false}),
    )
}
