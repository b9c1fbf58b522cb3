//! Tags of state machines and activities: TagResource, UntagResource, ListTagsForResource, and
//! the `tags` member of CreateStateMachine / CreateActivity.

use super::durable::{Durable, DurableError, Kind};
use super::request::Request;
use super::store::lock;
use super::{ApiError, Server};
use indexmap::IndexMap;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// AWS's limit of tags per resource.
const MAX_TAGS: usize = 50;

/// Tags by resource ARN.
#[derive(Default)]
pub struct Tags(Mutex<std::collections::HashMap<String, IndexMap<String, String>>>);

/// `[{"key", "value"}]` as (key, value) pairs.
fn read(r: &Request) -> Result<Vec<(String, String)>, ApiError> {
    let Some(list) = r.0.get("tags") else {
        return Ok(Vec::new());
    };
    let bad = || {
        ApiError::new(
            "SerializationException",
            "`tags` must be a list of {key, value}",
        )
    };
    let mut out = Vec::new();
    for t in list.as_array().ok_or_else(bad)? {
        let key = t.get("key").and_then(Value::as_str).ok_or_else(bad)?;
        let value = t.get("value").and_then(Value::as_str).unwrap_or_default();
        if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256 {
            return Err(ApiError::validation(format!(
                "the tag `{key}`: keys are 1 to 128 characters, values at most 256"
            )));
        }
        out.push((key.to_string(), value.to_string()));
    }
    Ok(out)
}

impl Tags {
    /// Adds the request's `tags` to `arn` (CreateStateMachine, CreateActivity, TagResource).
    pub fn add(&self, arn: &str, r: &Request, durable: &dyn Durable) -> Result<(), ApiError> {
        let new = read(r)?;
        let mut all = lock(&self.0);
        let tags = all.entry(arn.to_string()).or_default();
        let mut merged = tags.clone();
        for (k, v) in new {
            merged.insert(k, v);
        }
        if merged.len() > MAX_TAGS {
            return Err(ApiError::new(
                "TooManyTags",
                format!("Too many tags: a resource has at most {MAX_TAGS}"),
            ));
        }
        *tags = merged;
        keep(durable, arn, tags);
        Ok(())
    }

    pub fn forget(&self, arn: &str, durable: &dyn Durable) {
        lock(&self.0).remove(arn);
        durable.delete(Kind::Tags, arn);
    }

    /// Reads back the tags `--state-dir` kept.
    pub fn restore(&self, durable: &dyn Durable) -> Result<(), DurableError> {
        let mut all = lock(&self.0);
        for (arn, v) in durable.load(Kind::Tags)? {
            let Value::Object(m) = v else { continue };
            let tags = m
                .into_iter()
                .filter_map(|(k, v)| Some((k, v.as_str()?.to_string())))
                .collect();
            all.insert(arn, tags);
        }
        Ok(())
    }
}

fn keep(durable: &dyn Durable, arn: &str, tags: &IndexMap<String, String>) {
    let map: serde_json::Map<String, Value> =
        tags.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    durable.put(Kind::Tags, arn, &Value::Object(map));
}

/// The state machine or activity named by `resourceArn`, or `ResourceNotFound`.
fn resource(server: &Server, r: &Request) -> Result<String, ApiError> {
    let arn = r.required("resourceArn")?;
    let known = if super::machines::parse_arn(arn, "stateMachine").is_ok() {
        server.store.machine(arn).is_some()
    } else {
        super::machines::parse_arn(arn, "activity")?;
        server.activities.exists(arn)
    };
    if known {
        Ok(arn.to_string())
    } else {
        Err(ApiError::new(
            "ResourceNotFound",
            format!("Resource not found: '{arn}'"),
        ))
    }
}

pub fn tag(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let arn = resource(server, r)?;
    server.tags.add(&arn, r, &*server.store.durable)?;
    Ok(json!({}))
}

pub fn untag(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let arn = resource(server, r)?;
    let keys: Vec<&str> =
        r.0.get("tagKeys")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
    if let Some(tags) = lock(&server.tags.0).get_mut(&arn) {
        tags.retain(|k, _| !keys.contains(&k.as_str()));
        keep(&*server.store.durable, &arn, tags);
    }
    Ok(json!({}))
}

pub fn list(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let arn = resource(server, r)?;
    let tags: Vec<Value> = lock(&server.tags.0)
        .get(&arn)
        .map(|t| {
            t.iter()
                .map(|(k, v)| json!({"key": k, "value": v}))
                .collect()
        })
        .unwrap_or_default();
    Ok(json!({"tags": tags}))
}
