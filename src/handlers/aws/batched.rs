//! `.sync` waits whose describe operation takes many jobs at once (Batch `DescribeJobs`,
//! CodeBuild `BatchGetBuilds` and `BatchGetBuildBatches`) share one poller per operation, as
//! ECS tasks do (`ecs.rs`): each round sends one call per 100 jobs waiting, and the rounds
//! back off together. A Map of 500 Batch jobs then polls with 5 calls a round, not 500.
//!
//! A waiter registers its job and gets the next round's answer cut down to its own element
//! (`{"Jobs": [its job]}`, in Step Functions' names), so the describe answer reads as if it
//! had been asked alone; it then registers again until its job ends. A waiter that goes away
//! (its state abandoned) is dropped from the next round; the poller ends when nobody waits.

use super::PollPolicy;
use super::model::Service;
use super::params;
use super::transport::{Answer, ApiClient, CallError};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// At most this many jobs in one describe call (each of these operations' own limit).
const PER_CALL: usize = 100;

/// How a describe operation lists several jobs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Many {
    /// The request's list member (`Jobs`).
    pub member: &'static str,
    /// The answer's array of jobs (`Jobs`).
    pub array: &'static str,
    /// The member of an element that identifies its job (`JobId`).
    pub key: &'static str,
}

type Reply = Result<Answer, CallError>;

/// The jobs waiting on one describe operation with the same other parameters.
struct Group {
    client: ApiClient,
    service: Arc<Service>,
    operation: &'static str,
    many: Many,
    /// The describe parameters besides the list (Step Functions' names).
    fixed: Map<String, Value>,
    waiting: Vec<(Value, oneshot::Sender<Reply>)>,
    active: bool,
}

/// The pollers of one API handler, by operation and fixed parameters.
#[derive(Default)]
pub(crate) struct Batches {
    groups: Mutex<HashMap<String, Group>>,
    calls: std::sync::atomic::AtomicU64,
}

impl Batches {
    /// How many describe calls the pollers made.
    #[cfg(test)]
    pub(crate) fn calls(&self) -> u64 {
        self.calls.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The next round's answer for the job `params[many.member][0]`: the describe answer
    /// with only that job's element in `many.array` (none when the service did not list it).
    pub(crate) async fn describe(
        self: &Arc<Self>,
        client: &ApiClient,
        service: &Arc<Service>,
        operation: &'static str,
        many: Many,
        params: &Value,
        policy: PollPolicy,
    ) -> Reply {
        let mut fixed = params.as_object().cloned().unwrap_or_default();
        let id = match fixed.remove(many.member) {
            Some(Value::Array(mut ids)) if ids.len() == 1 => ids.pop().unwrap_or(Value::Null),
            Some(other) => other,
            None => Value::Null,
        };
        let key = format!(
            "{}\u{0}{operation}\u{0}{}",
            service.entry.sdk_name,
            Value::Object(fixed.clone())
        );
        let (tx, rx) = oneshot::channel();
        let start = {
            let mut groups = self.groups.lock().unwrap_or_else(|p| p.into_inner());
            let group = groups.entry(key.clone()).or_insert_with(|| Group {
                client: client.clone(),
                service: service.clone(),
                operation,
                many,
                fixed,
                waiting: Vec::new(),
                active: false,
            });
            group.waiting.push((id, tx));
            !std::mem::replace(&mut group.active, true)
        };
        if start {
            tokio::spawn(Arc::clone(self).poll(key, policy));
        }
        rx.await.unwrap_or_else(|_| {
            Err(CallError::Unreachable(format!(
                "the poller of {operation} stopped"
            )))
        })
    }

    /// Rounds until nobody waits on `key`.
    async fn poll(self: Arc<Self>, key: String, policy: PollPolicy) {
        let mut interval = policy.initial;
        loop {
            tokio::time::sleep(interval).await;
            interval = interval.mul_f64(policy.factor).min(policy.max);
            let round = {
                let mut groups = self.groups.lock().unwrap_or_else(|p| p.into_inner());
                let Some(group) = groups.get_mut(&key) else {
                    return;
                };
                group.waiting.retain(|(_, tx)| !tx.is_closed());
                if group.waiting.is_empty() {
                    groups.remove(&key);
                    return;
                }
                (
                    group.client.clone(),
                    group.service.clone(),
                    group.operation,
                    group.many,
                    group.fixed.clone(),
                    std::mem::take(&mut group.waiting),
                )
            };
            let (client, service, operation, many, fixed, mut waiting) = round;
            while !waiting.is_empty() {
                let rest = waiting.split_off(waiting.len().min(PER_CALL));
                let chunk = std::mem::replace(&mut waiting, rest);
                // One job asked twice (two states following the same job) is asked once.
                let mut ids: Vec<Value> = Vec::with_capacity(chunk.len());
                for (id, _) in &chunk {
                    if !ids.contains(id) {
                        ids.push(id.clone());
                    }
                }
                self.calls
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let reply = call(&client, &service, operation, many, &fixed, ids).await;
                for (id, tx) in chunk {
                    let _ = tx.send(reply.clone().map(|a| only(a, many, &id)));
                }
            }
        }
    }
}

/// One describe call for `ids`, its answer in Step Functions' names.
async fn call(
    client: &ApiClient,
    service: &Service,
    operation: &'static str,
    many: Many,
    fixed: &Map<String, Value>,
    ids: Vec<Value>,
) -> Reply {
    let mut input = fixed.clone();
    input.insert(many.member.to_string(), Value::Array(ids));
    let op = service.operation(operation).ok_or_else(|| {
        CallError::Request(format!(
            "`{operation}` is not an operation of `{}`",
            service.entry.sdk_name
        ))
    })?;
    let input = params::operation_input(&op, &Value::Object(input))
        .map_err(|e| CallError::Request(format!("{e:?}")))?;
    let mut answer = client.call(service, op.name, &input).await?;
    answer.output = params::operation_result(&op, answer.output);
    Ok(answer)
}

/// `answer` with only `id`'s element left in its array of jobs.
fn only(mut answer: Answer, many: Many, id: &Value) -> Answer {
    if let Some(Value::Array(jobs)) = answer.output.get_mut(many.array) {
        jobs.retain(|j| j.get(many.key) == Some(id));
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_answer_is_cut_down_to_its_job() {
        let many = Many {
            member: "Jobs",
            array: "Jobs",
            key: "JobId",
        };
        let answer = Answer {
            output: json!({"Jobs": [{"JobId": "a", "Status": "RUNNING"}, {"JobId": "b", "Status": "SUCCEEDED"}]}),
            status: 200,
            headers: Vec::new(),
        };
        let b = only(answer.clone(), many, &json!("b"));
        assert_eq!(
            b.output,
            json!({"Jobs": [{"JobId": "b", "Status": "SUCCEEDED"}]})
        );
        assert_eq!(only(answer, many, &json!("c")).output, json!({"Jobs": []}));
    }
}
