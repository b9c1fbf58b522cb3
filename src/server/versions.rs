//! Versions and aliases of state machines: PublishStateMachineVersion,
//! ListStateMachineVersions, DeleteStateMachineVersion, `publish` on Create/Update, and
//! Create/Describe/List/Update/DeleteStateMachineAlias. A version is a frozen copy of the
//! machine (`stateMachine:NAME:N`); an alias (`stateMachine:NAME:ALIAS`) routes executions to
//! one or two versions by weight. StartExecution and DescribeStateMachine take either ARN.

use super::durable::{Durable, DurableError, Kind};
use super::request::{Request, check_name, page};
use super::store::{Machine, lock, now};
use super::{ApiError, Server};
use indexmap::IndexMap;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// A published version.
#[derive(Clone)]
pub struct Version {
    pub machine: Machine,
    pub description: Option<String>,
    pub created: f64,
}

/// An alias and its routing: (version ARN, weight) pairs.
#[derive(Clone)]
struct Alias {
    name: String,
    description: Option<String>,
    routing: Routes,
    created: f64,
    updated: Option<f64>,
}

/// Versions and aliases by ARN, with each machine's last version number and the revision it
/// froze.
#[derive(Default)]
pub struct Versions {
    versions: Mutex<IndexMap<String, Version>>,
    aliases: Mutex<IndexMap<String, Alias>>,
    latest: Mutex<std::collections::HashMap<String, (u64, u64, String)>>,
}

/// What a qualified ARN runs: the machine as the version froze it, and the ARNs to report.
pub struct Resolved {
    pub machine: Machine,
    pub version_arn: Option<String>,
    pub alias_arn: Option<String>,
}

fn skipped(what: &str, arn: &str) {
    say!("asl serve: the {what} `{arn}` kept in --state-dir does not load: skipped");
}

fn alias_to_json(a: &Alias) -> Value {
    json!({
        "name": a.name,
        "description": a.description,
        "routing": a.routing,
        "created": a.created,
        "updated": a.updated,
    })
}

fn alias_from_json(v: &Value) -> Option<Alias> {
    Some(Alias {
        name: v.get("name")?.as_str()?.to_string(),
        description: v
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
        routing: serde_json::from_value(v.get("routing")?.clone()).ok()?,
        created: v.get("created")?.as_f64()?,
        updated: v.get("updated").and_then(Value::as_f64),
    })
}

fn version_missing(arn: &str) -> ApiError {
    ApiError::new("ResourceNotFound", format!("Resource not found: '{arn}'"))
}

/// The unqualified machine ARN and the qualifier after `stateMachine:NAME:`, if any.
pub fn split(arn: &str) -> (&str, Option<&str>) {
    let Some(at) = arn.find(":stateMachine:") else {
        return (arn, None);
    };
    let rest = &arn[at + ":stateMachine:".len()..];
    match rest.split_once(':') {
        Some((name, q)) => (&arn[..at + ":stateMachine:".len() + name.len()], Some(q)),
        None => (arn, None),
    }
}

impl Versions {
    /// Publishes the machine's current revision (again: the same version, as AWS).
    pub fn publish(
        &self,
        m: &Machine,
        description: Option<&str>,
        durable: &dyn Durable,
    ) -> (String, f64) {
        let mut latest = lock(&self.latest);
        let entry = latest.entry(m.arn.clone()).or_insert((0, 0, String::new()));
        if entry.1 == m.revision && !entry.2.is_empty() {
            let created = lock(&self.versions)
                .get(&entry.2)
                .map_or(m.created, |v| v.created);
            return (entry.2.clone(), created);
        }
        entry.0 += 1;
        let arn = format!("{}:{}", m.arn, entry.0);
        entry.1 = m.revision;
        entry.2 = arn.clone();
        durable.put(Kind::Latest, &m.arn, &json!(entry));
        let created = now();
        let mut frozen = m.clone();
        frozen.arn = arn.clone();
        let v = Version {
            machine: frozen,
            description: description.map(str::to_string),
            created,
        };
        durable.put(
            Kind::Version,
            &arn,
            &json!({"machine": v.machine.to_json(), "description": v.description, "created": created}),
        );
        lock(&self.versions).insert(arn.clone(), v);
        (arn, created)
    }

    /// Reads back the versions, aliases and version counters `--state-dir` kept.
    pub fn restore(&self, durable: &dyn Durable) -> Result<(), DurableError> {
        for (arn, v) in durable.load(Kind::Version)? {
            let machine = v.get("machine").and_then(Machine::from_json);
            let (Some(machine), Some(created)) =
                (machine, v.get("created").and_then(Value::as_f64))
            else {
                skipped("version", &arn);
                continue;
            };
            let description = v
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string);
            lock(&self.versions).insert(
                arn,
                Version {
                    machine,
                    description,
                    created,
                },
            );
        }
        for (arn, v) in durable.load(Kind::Latest)? {
            match serde_json::from_value::<(u64, u64, String)>(v) {
                Ok(l) => {
                    lock(&self.latest).insert(arn, l);
                }
                Err(_) => skipped("version counter", &arn),
            }
        }
        for (arn, v) in durable.load(Kind::Alias)? {
            match alias_from_json(&v) {
                Some(a) => {
                    lock(&self.aliases).insert(arn, a);
                }
                None => skipped("alias", &arn),
            }
        }
        Ok(())
    }

    /// Forgets a machine's versions and aliases (DeleteStateMachine).
    pub fn forget(&self, machine_arn: &str, durable: &dyn Durable) {
        let prefix = format!("{machine_arn}:");
        lock(&self.versions).retain(|a, _| {
            let keep = !a.starts_with(&prefix);
            if !keep {
                durable.delete(Kind::Version, a);
            }
            keep
        });
        lock(&self.aliases).retain(|a, _| {
            let keep = !a.starts_with(&prefix);
            if !keep {
                durable.delete(Kind::Alias, a);
            }
            keep
        });
        lock(&self.latest).remove(machine_arn);
        durable.delete(Kind::Latest, machine_arn);
    }

    /// Whether a qualified ARN names a version (`Some(true)`) or an alias (`Some(false)`)
    /// known here; `None` for an unqualified one; `StateMachineDoesNotExist` for one not known.
    pub fn resolve_listed(&self, arn: &str) -> Result<Option<bool>, ApiError> {
        let (_, Some(q)) = split(arn) else {
            return Ok(None);
        };
        let version = q.bytes().all(|b| b.is_ascii_digit());
        let known = if version {
            lock(&self.versions).contains_key(arn)
        } else {
            lock(&self.aliases).contains_key(arn)
        };
        if !known {
            return Err(ApiError::new(
                "StateMachineDoesNotExist",
                format!("State Machine Does Not Exist: '{arn}'"),
            ));
        }
        Ok(Some(version))
    }

    /// What a qualified ARN names; `None` for an unqualified one.
    pub fn resolve(&self, arn: &str) -> Result<Option<Resolved>, ApiError> {
        let (_, Some(q)) = split(arn) else {
            return Ok(None);
        };
        if q.bytes().all(|b| b.is_ascii_digit()) {
            let v = lock(&self.versions).get(arn).cloned().ok_or_else(|| {
                ApiError::new(
                    "StateMachineDoesNotExist",
                    format!("State Machine Does Not Exist: '{arn}'"),
                )
            })?;
            return Ok(Some(Resolved {
                machine: v.machine,
                version_arn: Some(arn.to_string()),
                alias_arn: None,
            }));
        }
        let alias = lock(&self.aliases).get(arn).cloned().ok_or_else(|| {
            ApiError::new(
                "StateMachineDoesNotExist",
                format!("State Machine Does Not Exist: '{arn}'"),
            )
        })?;
        // Weighted choice between the alias's versions.
        let total: u64 = alias.routing.iter().map(|(_, w)| *w).sum();
        let mut pick = if total == 0 {
            0
        } else {
            rand::random::<u64>() % total
        };
        let mut chosen = alias
            .routing
            .first()
            .map(|(a, _)| a.clone())
            .unwrap_or_default();
        for (a, w) in &alias.routing {
            if pick < *w {
                chosen = a.clone();
                break;
            }
            pick -= w;
        }
        let v = lock(&self.versions)
            .get(&chosen)
            .cloned()
            .ok_or_else(|| version_missing(&chosen))?;
        Ok(Some(Resolved {
            machine: v.machine,
            version_arn: Some(chosen),
            alias_arn: Some(arn.to_string()),
        }))
    }

    pub fn describe_version(&self, arn: &str) -> Option<Version> {
        lock(&self.versions).get(arn).cloned()
    }
}

pub fn publish(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let m = super::machines::find(server, r.required("stateMachineArn")?)?;
    if let Some(rev) = r.str("revisionId")?
        && rev != m.revision.to_string()
    {
        return Err(ApiError::new(
            "ConflictException",
            format!("the state machine's revision is {}, not {rev}", m.revision),
        ));
    }
    let (arn, created) = server
        .versions
        .publish(&m, r.str("description")?, &*server.store.durable);
    Ok(json!({"stateMachineVersionArn": arn, "creationDate": created}))
}

pub fn list_versions(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let m = super::machines::find(server, r.required("stateMachineArn")?)?;
    let prefix = format!("{}:", m.arn);
    // Newest first, as AWS lists them.
    let all: Vec<Value> = lock(&server.versions.versions)
        .iter()
        .rev()
        .filter(|(a, _)| a.starts_with(&prefix))
        .map(|(a, v)| json!({"stateMachineVersionArn": a, "creationDate": v.created}))
        .collect();
    let (items, next) = page(&all, r.next_token()?, r.max_results()?);
    let mut out = json!({"stateMachineVersions": items});
    if let Some(t) = next {
        out["nextToken"] = json!(t);
    }
    Ok(out)
}

pub fn delete_version(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let arn = r.required("stateMachineVersionArn")?;
    super::machines::parse_arn(arn, "stateMachine")?;
    let used = lock(&server.versions.aliases)
        .values()
        .any(|a| a.routing.iter().any(|(v, _)| v == arn));
    if used {
        return Err(ApiError::new(
            "ConflictException",
            format!("Version to be deleted must not be referenced by an alias: '{arn}'"),
        ));
    }
    lock(&server.versions.versions).shift_remove(arn);
    server.store.durable.delete(Kind::Version, arn);
    Ok(json!({}))
}

/// An alias's routes: (version ARN, weight).
type Routes = Vec<(String, u64)>;

/// `routingConfiguration`: one or two versions of one machine, weights summing to 100.
fn routing(server: &Server, r: &Request) -> Result<Option<(String, Routes)>, ApiError> {
    let Some(list) = r.0.get("routingConfiguration") else {
        return Ok(None);
    };
    let bad = |m: &str| ApiError::validation(m.to_string());
    let items = list
        .as_array()
        .ok_or_else(|| bad("`routingConfiguration` must be a list"))?;
    if items.is_empty() || items.len() > 2 {
        return Err(bad("`routingConfiguration` routes to one or two versions"));
    }
    let mut out = Vec::new();
    let mut machine = String::new();
    for it in items {
        let arn = it
            .get("stateMachineVersionArn")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("each route needs `stateMachineVersionArn`"))?;
        let weight = it
            .get("weight")
            .and_then(Value::as_u64)
            .ok_or_else(|| bad("each route needs `weight`"))?;
        if server.versions.describe_version(arn).is_none() {
            return Err(version_missing(arn));
        }
        let base = split(arn).0.to_string();
        if !machine.is_empty() && machine != base {
            return Err(bad("an alias routes to versions of one state machine"));
        }
        machine = base;
        out.push((arn.to_string(), weight));
    }
    if out.iter().map(|(_, w)| w).sum::<u64>() != 100 {
        return Err(bad("the weights of `routingConfiguration` must sum to 100"));
    }
    Ok(Some((machine, out)))
}

pub fn create_alias(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let name = r.required("name")?;
    check_name(name)?;
    if name.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::new(
            "InvalidName",
            format!("Invalid Name: '{name}'"),
        ));
    }
    let (machine, routes) = routing(server, r)?
        .ok_or_else(|| ApiError::validation("`routingConfiguration` is required"))?;
    let arn = format!("{machine}:{name}");
    let mut aliases = lock(&server.versions.aliases);
    if let Some(a) = aliases.get(&arn) {
        if a.routing == routes && a.description.as_deref() == r.str("description")? {
            return Ok(json!({"stateMachineAliasArn": arn, "creationDate": a.created}));
        }
        return Err(ApiError::new(
            "ConflictException",
            format!("Alias already exists: '{arn}'"),
        ));
    }
    let created = now();
    let a = Alias {
        name: name.to_string(),
        description: r.str("description")?.map(str::to_string),
        routing: routes,
        created,
        updated: None,
    };
    server
        .store
        .durable
        .put(Kind::Alias, &arn, &alias_to_json(&a));
    aliases.insert(arn.clone(), a);
    Ok(json!({"stateMachineAliasArn": arn, "creationDate": created}))
}

fn alias(server: &Server, r: &Request) -> Result<(String, Alias), ApiError> {
    let arn = r.required("stateMachineAliasArn")?;
    super::machines::parse_arn(arn, "stateMachine")?;
    let a = lock(&server.versions.aliases)
        .get(arn)
        .cloned()
        .ok_or_else(|| version_missing(arn))?;
    Ok((arn.to_string(), a))
}

fn routes_json(routes: &[(String, u64)]) -> Value {
    routes
        .iter()
        .map(|(a, w)| json!({"stateMachineVersionArn": a, "weight": w}))
        .collect()
}

pub fn describe_alias(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let (arn, a) = alias(server, r)?;
    let mut out = json!({
        "stateMachineAliasArn": arn,
        "name": a.name,
        "routingConfiguration": routes_json(&a.routing),
        "creationDate": a.created,
        "updateDate": a.updated.unwrap_or(a.created),
    });
    if let Some(d) = &a.description {
        out["description"] = json!(d);
    }
    Ok(out)
}

pub fn list_aliases(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let m = super::machines::find(server, r.required("stateMachineArn")?)?;
    let prefix = format!("{}:", m.arn);
    let all: Vec<Value> = lock(&server.versions.aliases)
        .iter()
        .filter(|(a, _)| a.starts_with(&prefix))
        .map(|(a, v)| json!({"stateMachineAliasArn": a, "creationDate": v.created}))
        .collect();
    let (items, next) = page(&all, r.next_token()?, r.max_results()?);
    let mut out = json!({"stateMachineAliases": items});
    if let Some(t) = next {
        out["nextToken"] = json!(t);
    }
    Ok(out)
}

pub fn update_alias(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let (arn, _) = alias(server, r)?;
    let routes = routing(server, r)?;
    let description = r.str("description")?;
    let mut aliases = lock(&server.versions.aliases);
    let Some(a) = aliases.get_mut(&arn) else {
        return Err(version_missing(&arn));
    };
    if let Some((_, routes)) = routes {
        a.routing = routes;
    }
    if let Some(d) = description {
        a.description = Some(d.to_string());
    }
    let at = now();
    a.updated = Some(at);
    server
        .store
        .durable
        .put(Kind::Alias, &arn, &alias_to_json(a));
    Ok(json!({"updateDate": at}))
}

pub fn delete_alias(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let arn = r.required("stateMachineAliasArn")?;
    super::machines::parse_arn(arn, "stateMachine")?;
    lock(&server.versions.aliases).shift_remove(arn);
    server.store.durable.delete(Kind::Alias, arn);
    Ok(json!({}))
}
