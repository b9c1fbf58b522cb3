//! Activities: CreateActivity, DescribeActivity, ListActivities, DeleteActivity, and
//! GetActivityTask, the long poll by which a worker takes the next task of an activity. A
//! Task state whose resource is an activity ARN queues its input with a fresh task token
//! (`ActivityScheduled`) and waits for a worker to take it (`ActivityStarted`, with the
//! worker's name), then for the worker's SendTaskSuccess / SendTaskFailure.
//!
//! Time as AWS counts it for activities: `TimeoutSeconds` runs from the scheduling, time in
//! the queue included (the engine's bound on the whole call); `HeartbeatSeconds` from the
//! moment a worker takes the task, reset by each SendTaskHeartbeat. A task whose state was
//! abandoned before a worker took it (its execution stopped, its time out, a failed branch
//! beside it) is dropped from the queue: no worker is handed it.

use super::durable::{Durable, DurableError, Kind};
use super::request::{Request, check_name, page};
use super::store::{lock, now};
use super::{ApiError, Server};
use crate::engine::{Failure, Fault, TaskError, TaskHandler, TaskRequest};
use crate::handlers::callback::Tokens;
use futures::future::BoxFuture;
use indexmap::IndexMap;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long GetActivityTask waits for a task, as AWS: 60 seconds.
const LONG_POLL: Duration = Duration::from_secs(60);

/// A task waiting for a worker.
struct Queued {
    token: String,
    input: String,
    /// Where GetActivityTask tells the waiting state that a worker took it (the worker's
    /// name, if it gave one). Closed when the state no longer waits: the task is then dead.
    taken: tokio::sync::oneshot::Sender<Option<String>>,
}

/// One activity and the tasks waiting for a worker.
struct Activity {
    name: String,
    created: f64,
    queue: VecDeque<Queued>,
    ready: Arc<tokio::sync::Notify>,
}

/// The activities of a server.
#[derive(Default)]
pub struct Activities {
    by_arn: Mutex<IndexMap<String, Activity>>,
}

impl Activities {
    pub fn exists(&self, arn: &str) -> bool {
        lock(&self.by_arn).contains_key(arn)
    }

    /// Reads back the activities `--state-dir` kept (their queues start empty).
    pub fn restore(&self, durable: &dyn Durable) -> Result<(), DurableError> {
        let mut all = lock(&self.by_arn);
        for (arn, v) in durable.load(Kind::Activity)? {
            let (Some(name), Some(created)) = (
                v.get("name").and_then(Value::as_str),
                v.get("created").and_then(Value::as_f64),
            ) else {
                say!("asl serve: the activity `{arn}` kept in --state-dir does not load: skipped");
                continue;
            };
            all.insert(
                arn,
                Activity {
                    name: name.to_string(),
                    created,
                    queue: VecDeque::new(),
                    ready: Arc::default(),
                },
            );
        }
        Ok(())
    }
}

fn not_found(arn: &str) -> ApiError {
    ApiError::new(
        "ActivityDoesNotExist",
        format!("Activity Does Not Exist: '{arn}'"),
    )
}

/// GetActivityTask's `workerName`: AWS's `Name` shape, 1 to 80 characters.
fn check_worker_name(w: &str) -> Result<(), ApiError> {
    let n = w.chars().count();
    if (1..=80).contains(&n) {
        return Ok(());
    }
    Err(ApiError::validation(format!(
        "1 validation error detected: Value at 'workerName' failed to satisfy constraint: Member must have length {}",
        if n == 0 {
            "greater than or equal to 1"
        } else {
            "less than or equal to 80"
        }
    )))
}

fn check_arn(arn: &str) -> Result<(), ApiError> {
    super::machines::parse_arn(arn, "activity").map(|_| ())
}

pub fn create(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let name = r.required("name")?;
    check_name(name)?;
    let arn = format!("{}activity:{name}", server.arn_prefix());
    let durable = &*server.store.durable;
    server.tags.add(&arn, r, durable)?;
    let mut all = lock(&server.activities.by_arn);
    // Creating an activity that exists answers it again, as AWS.
    let created = all
        .entry(arn.clone())
        .or_insert_with(|| {
            let created = now();
            durable.put(
                Kind::Activity,
                &arn,
                &json!({"name": name, "created": created}),
            );
            Activity {
                name: name.to_string(),
                created,
                queue: VecDeque::new(),
                ready: Arc::default(),
            }
        })
        .created;
    Ok(json!({"activityArn": arn, "creationDate": created}))
}

pub fn describe(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let arn = r.required("activityArn")?;
    check_arn(arn)?;
    let all = lock(&server.activities.by_arn);
    let a = all.get(arn).ok_or_else(|| not_found(arn))?;
    Ok(json!({"activityArn": arn, "name": a.name, "creationDate": a.created}))
}

pub fn list(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let items: Vec<Value> = lock(&server.activities.by_arn)
        .iter()
        .map(|(arn, a)| json!({"activityArn": arn, "name": a.name, "creationDate": a.created}))
        .collect();
    let (items, next) = page(&items, r.next_token()?, r.max_results()?);
    let mut out = json!({"activities": items});
    if let Some(t) = next {
        out["nextToken"] = json!(t);
    }
    Ok(out)
}

pub fn delete(server: &Arc<Server>, r: &Request) -> Result<Value, ApiError> {
    let arn = r.required("activityArn")?;
    check_arn(arn)?;
    lock(&server.activities.by_arn).shift_remove(arn);
    let durable = &*server.store.durable;
    durable.delete(Kind::Activity, arn);
    server.tags.forget(arn, durable);
    Ok(json!({}))
}

/// GetActivityTask: the oldest queued task of the activity, waiting up to 60 seconds for one;
/// `{}` (no token) when none came.
pub async fn get_task(server: &Arc<Server>, r: &Request<'_>) -> Result<Value, ApiError> {
    let arn = r.required("activityArn")?.to_string();
    check_arn(&arn)?;
    let worker = r.str("workerName")?.map(str::to_string);
    if let Some(w) = &worker {
        check_worker_name(w)?;
    }
    let deadline = tokio::time::Instant::now() + LONG_POLL;
    loop {
        let ready = {
            let mut all = lock(&server.activities.by_arn);
            let a = all.get_mut(&arn).ok_or_else(|| not_found(&arn))?;
            // The oldest task whose state still waits; dead ones are dropped on the way.
            while let Some(q) = a.queue.pop_front() {
                if q.taken.send(worker.clone()).is_ok() {
                    return Ok(json!({"taskToken": q.token, "input": q.input}));
                }
            }
            a.ready.clone()
        };
        if tokio::time::timeout_at(deadline, ready.notified())
            .await
            .is_err()
        {
            return Ok(json!({}));
        }
    }
}

/// Answers Task states whose resource is an activity: queues the task for a worker and waits
/// for its callback.
pub struct ActivityHandler {
    pub server: std::sync::Weak<Server>,
    pub tokens: Arc<Tokens>,
}

impl TaskHandler for ActivityHandler {
    fn name(&self) -> &str {
        "activity"
    }

    fn wants_context(&self) -> bool {
        false
    }

    fn reports_start(&self) -> bool {
        true
    }

    fn invoke(&self, request: TaskRequest) -> BoxFuture<'_, Result<Value, TaskError>> {
        Box::pin(async move {
            let Some(server) = self.server.upgrade() else {
                return Err(TaskError::Fault(Fault::new("asl serve is stopping")));
            };
            let arn = request.resource.arn.clone();
            let token = format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            );
            let mut reg = self.tokens.register(&token);
            let (taken, worker) = tokio::sync::oneshot::channel();
            {
                let mut all = lock(&server.activities.by_arn);
                let Some(a) = all.get_mut(&arn) else {
                    return Err(TaskError::Failed(Failure::new(
                        "States.Runtime",
                        format!("Activity Does Not Exist: '{arn}'"),
                    )));
                };
                // Tasks abandoned while queued go now, so a queue nobody polls stays small.
                a.queue.retain(|q| !q.taken.is_closed());
                a.queue.push_back(Queued {
                    token,
                    input: request.input.to_string(),
                    taken,
                });
                a.ready.notify_one();
            }
            drop(server);
            // No heartbeat is due before a worker has the task; `TimeoutSeconds` (the
            // engine's bound on this call) counts the wait.
            let Ok(worker) = worker.await else {
                // The activity was deleted with its queue: no worker can take the task, the
                // state waits for its `TimeoutSeconds` (or a stop), as on AWS.
                return std::future::pending().await;
            };
            if let Some(tx) = &request.started {
                let details = match worker {
                    Some(w) => json!({ "workerName": w }),
                    None => Value::Null,
                };
                let _ = tx.send(details);
            }
            crate::handlers::callback::answer(&mut reg, request.heartbeat, &request.state_name)
                .await
        })
    }
}
