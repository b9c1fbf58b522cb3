//! `arn:aws:states:::ecs:runTask` (request-response, `.sync`, `.waitForTaskToken`).
//!
//! `.sync` waits for every started task to reach `STOPPED`. All waiting tasks share one
//! poller: each round sends one `DescribeTasks` per cluster per 100 tasks, and rounds back off
//! from [`PollPolicy::initial`] to [`PollPolicy::max`]. A stopped task succeeds when every
//! essential container (from `DescribeTaskDefinition`, cached) exited 0; otherwise the state
//! fails with `States.TaskFailed` and the described task as cause, like Step Functions.
//!
//! Started tasks are tracked until they stop. A `.sync` state that ends early (TimeoutSeconds,
//! a failed sibling branch, a DescribeTasks call that failed) gets `StopTask` at once; whatever is still running when the run
//! ends (Ctrl-C) is stopped by [`EcsRunner::stop_outstanding`]. Both say so on stderr.

use super::client::{ApiError, EcsApi, EcsTask, RunTaskResponse};
use crate::definition::Pattern;
use crate::engine::{Failure, Fault, TaskError, TaskRequest};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// How often `.sync` polls `DescribeTasks`.
#[derive(Debug, Clone, Copy)]
pub struct PollPolicy {
    pub initial: Duration,
    pub max: Duration,
    /// Each round waits this many times longer than the last, up to `max`.
    pub factor: f64,
}

impl Default for PollPolicy {
    fn default() -> Self {
        PollPolicy {
            initial: Duration::from_secs(2),
            max: Duration::from_secs(30),
            factor: 1.5,
        }
    }
}

type Waiter = oneshot::Sender<Result<EcsTask, ApiError>>;

#[derive(Default)]
struct Polling {
    /// Waiting tasks by cluster, then ARN.
    pending: HashMap<Option<String>, HashMap<String, Waiter>>,
    active: bool,
}

/// A started task that has not been seen stopped: its cluster and state, when it started and
/// the status the last DescribeTasks gave (for the progress line).
struct Started {
    cluster: Option<String>,
    state: String,
    since: std::time::Instant,
    last_status: String,
}

/// Runs ECS tasks for Task states; shared by every state routed to ECS in one run.
pub struct EcsRunner {
    api: Arc<dyn EcsApi>,
    policy: PollPolicy,
    polling: Mutex<Polling>,
    outstanding: Mutex<HashMap<String, Started>>,
    /// Tasks started by `.waitForTaskToken` states: a callback, not the task's end, finishes
    /// their state, so they are stopped only when the execution does not succeed.
    callback_tasks: Mutex<HashMap<String, Started>>,
    stops: super::Pending,
    /// RunTask calls under way. Each runs as its own tokio task, so a state abandoned during
    /// the call (Ctrl-C, TimeoutSeconds) still learns which tasks it started and stops them.
    launches: super::Pending,
    essentials: Mutex<HashMap<String, Vec<String>>>,
    describe_calls: AtomicU64,
}

impl EcsRunner {
    pub fn new(api: Arc<dyn EcsApi>, policy: PollPolicy) -> Arc<EcsRunner> {
        Arc::new(EcsRunner {
            api,
            policy,
            polling: Mutex::new(Polling::default()),
            outstanding: Mutex::new(HashMap::new()),
            callback_tasks: Mutex::new(HashMap::new()),
            stops: Mutex::new(Vec::new()),
            launches: Mutex::new(Vec::new()),
            essentials: Mutex::new(HashMap::new()),
            describe_calls: AtomicU64::new(0),
        })
    }

    /// How many `DescribeTasks` calls the poller made.
    pub fn describe_calls(&self) -> u64 {
        self.describe_calls.load(Ordering::Relaxed)
    }

    pub(super) async fn run(self: &Arc<Self>, request: &TaskRequest) -> Result<Value, TaskError> {
        let params = &request.input;
        let cluster = params
            .get("Cluster")
            .and_then(Value::as_str)
            .map(str::to_string);
        let started = self
            .launch(params, cluster.clone(), &request.state_name)
            .await?;
        let output = json!({
            "Tasks": started.tasks.iter().map(|t| t.json.clone()).collect::<Vec<_>>(),
            "Failures": started.failures,
        });
        // The launch tracked the tasks as outstanding; only `.sync` waits for them.
        if request.resource.pattern != Pattern::Sync {
            let mut out = self.lock_outstanding();
            let mut callbacks = self
                .callback_tasks
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            for t in &started.tasks {
                if let Some(s) = out.remove(&t.arn)
                    && request.resource.pattern == Pattern::WaitForTaskToken
                {
                    callbacks.insert(t.arn.clone(), s);
                }
            }
        }
        if request.resource.pattern != Pattern::Sync {
            return Ok(output);
        }
        if let Some(tx) = &request.submitted {
            let _ = tx.send(output.clone());
        }
        if started.tasks.is_empty() {
            return Err(TaskError::Failed(Failure::new(
                "States.TaskFailed",
                output.to_string(),
            )));
        }
        let mut guard = Guard {
            runner: Arc::clone(self),
            arns: started.tasks.iter().map(|t| t.arn.clone()).collect(),
        };
        let waits = started
            .tasks
            .iter()
            .map(|t| self.wait_stopped(cluster.clone(), t.arn.clone()));
        let stopped = futures::future::join_all(waits).await;
        // A task seen stopped needs no StopTask. One whose wait failed (DescribeTasks refused
        // or timed out) may still run: it stays with the guard, which stops it.
        let mut done = Vec::new();
        let mut failed = None;
        for (arn, s) in std::mem::take(&mut guard.arns).into_iter().zip(stopped) {
            match s {
                Ok(t) => {
                    self.lock_outstanding().remove(&arn);
                    done.push(t);
                }
                Err(e) => {
                    guard.arns.push(arn);
                    failed.get_or_insert(e);
                }
            }
        }
        if let Some(e) = failed {
            return Err(e);
        }
        for t in &done {
            if !self.succeeded(t).await {
                return Err(TaskError::Failed(Failure::new(
                    "States.TaskFailed",
                    t.json.to_string(),
                )));
            }
        }
        Ok(match done.as_slice() {
            [one] => one.json.clone(),
            many => json!({"Tasks": many.iter().map(|t| t.json.clone()).collect::<Vec<_>>()}),
        })
    }

    /// Calls RunTask in a tokio task of its own and tracks what it started as outstanding
    /// before answering: if the state is dropped meanwhile, the tasks are stopped at once.
    async fn launch(
        self: &Arc<Self>,
        params: &Value,
        cluster: Option<String>,
        state: &str,
    ) -> Result<RunTaskResponse, TaskError> {
        let (tx, rx) = oneshot::channel();
        let me = Arc::clone(self);
        let params = params.clone();
        let state = state.to_string();
        let call = async move {
            let answer = me.api.run_task(&params).await;
            if let Ok(started) = &answer {
                let mut out = me.lock_outstanding();
                for t in &started.tasks {
                    out.insert(
                        t.arn.clone(),
                        Started {
                            cluster: cluster.clone(),
                            state: state.clone(),
                            since: std::time::Instant::now(),
                            last_status: t.last_status.clone(),
                        },
                    );
                }
            }
            if let Err(Ok(orphans)) = tx.send(answer) {
                for t in &orphans.tasks {
                    me.abandon(&t.arn);
                }
            }
        };
        {
            let mut launches = self.launches.lock().unwrap_or_else(|p| p.into_inner());
            launches.retain(|h| !h.is_finished());
            launches.push(tokio::spawn(call));
        }
        match rx.await {
            Ok(answer) => answer.map_err(service_error),
            Err(_) => Err(TaskError::Fault(Fault::new(
                "the ECS RunTask call ended without an answer",
            ))),
        }
    }

    /// Whether every essential container of a stopped task exited 0.
    async fn succeeded(&self, t: &EcsTask) -> bool {
        let essential = match &t.task_definition_arn {
            Some(arn) => self.essential_containers(arn).await,
            None => Vec::new(),
        };
        !t.containers.is_empty()
            && t.containers
                .iter()
                .filter(|c| essential.is_empty() || essential.contains(&c.name))
                .all(|c| c.exit_code == Some(0))
    }

    /// Essential container names, cached per task definition; empty (meaning: all) if they
    /// cannot be read.
    async fn essential_containers(&self, arn: &str) -> Vec<String> {
        if let Some(v) = self
            .essentials
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(arn)
        {
            return v.clone();
        }
        let v = self.api.essential_containers(arn).await.unwrap_or_default();
        self.essentials
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(arn.to_string(), v.clone());
        v
    }

    fn lock_outstanding(&self) -> std::sync::MutexGuard<'_, HashMap<String, Started>> {
        self.outstanding.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn wait_stopped(
        self: &Arc<Self>,
        cluster: Option<String>,
        arn: String,
    ) -> Result<EcsTask, TaskError> {
        let (tx, rx) = oneshot::channel();
        let start = {
            let mut p = self.polling.lock().unwrap_or_else(|p| p.into_inner());
            p.pending
                .entry(cluster)
                .or_default()
                .insert(arn.clone(), tx);
            !std::mem::replace(&mut p.active, true)
        };
        if start {
            tokio::spawn(Arc::clone(self).poll_loop());
        }
        match rx.await {
            Ok(Ok(t)) => Ok(t),
            Ok(Err(e)) => Err(service_error(e)),
            Err(_) => Err(TaskError::Fault(Fault::new(format!(
                "lost track of the ECS task {arn}"
            )))),
        }
    }

    /// Polls until no task is waiting.
    async fn poll_loop(self: Arc<Self>) {
        let mut interval = self.policy.initial;
        loop {
            tokio::time::sleep(interval).await;
            let rounds: Vec<(Option<String>, Vec<String>)> = {
                let mut p = self.polling.lock().unwrap_or_else(|p| p.into_inner());
                for waiters in p.pending.values_mut() {
                    waiters.retain(|_, tx| !tx.is_closed());
                }
                p.pending.retain(|_, w| !w.is_empty());
                if p.pending.is_empty() {
                    p.active = false;
                    return;
                }
                p.pending
                    .iter()
                    .map(|(c, w)| {
                        let mut arns: Vec<String> = w.keys().cloned().collect();
                        arns.sort();
                        (c.clone(), arns)
                    })
                    .collect()
            };
            let mut throttled = false;
            for (cluster, arns) in rounds {
                for chunk in arns.chunks(100) {
                    self.describe_calls.fetch_add(1, Ordering::Relaxed);
                    let answer = self.api.describe_tasks(cluster.as_deref(), chunk).await;
                    let mut p = self.polling.lock().unwrap_or_else(|p| p.into_inner());
                    let Some(waiters) = p.pending.get_mut(&cluster) else {
                        continue;
                    };
                    match answer {
                        Ok(tasks) => {
                            {
                                let mut out = self.lock_outstanding();
                                for t in &tasks {
                                    if let Some(s) = out.get_mut(&t.arn) {
                                        s.last_status.clone_from(&t.last_status);
                                    }
                                }
                            }
                            for t in tasks {
                                if t.last_status == "STOPPED"
                                    && let Some(tx) = waiters.remove(&t.arn)
                                {
                                    let _ = tx.send(Ok(t));
                                }
                            }
                        }
                        Err(e) if is_throttling(&e) => throttled = true,
                        Err(e) => {
                            for arn in chunk {
                                if let Some(tx) = waiters.remove(arn) {
                                    let _ = tx.send(Err(e.clone()));
                                }
                            }
                        }
                    }
                }
            }
            self.report_progress();
            let factor = if throttled {
                self.policy.factor.max(2.0)
            } else {
                self.policy.factor
            };
            interval = interval.mul_f64(factor).min(self.policy.max);
        }
    }

    /// On a terminal, one stderr line per polling round: what the run waits for, the last
    /// status and how long it has waited.
    fn report_progress(&self) {
        use std::io::IsTerminal;
        if !std::io::stderr().is_terminal() {
            return;
        }
        let out = self.lock_outstanding();
        let waiting: Vec<(&String, &Started)> = out
            .iter()
            .filter(|(_, s)| s.last_status != "STOPPED")
            .collect();
        let Some(longest) = waiting.iter().map(|(_, s)| s.since.elapsed()).max() else {
            return;
        };
        if let [(arn, s)] = waiting.as_slice() {
            say!(
                "asl: waiting for ECS task {arn} (state `{}`): {}, {}s",
                s.state,
                s.last_status,
                longest.as_secs()
            );
        } else {
            let mut by_status: std::collections::BTreeMap<&str, usize> = Default::default();
            for (_, s) in &waiting {
                *by_status.entry(s.last_status.as_str()).or_default() += 1;
            }
            let counts: Vec<String> = by_status.iter().map(|(k, n)| format!("{n} {k}")).collect();
            say!(
                "asl: waiting for {} ECS tasks ({}), {}s",
                waiting.len(),
                counts.join(", "),
                longest.as_secs()
            );
        }
    }

    /// Stops a task its state no longer waits for, in the background.
    fn abandon(self: &Arc<Self>, arn: &str) {
        let Some(started) = self.lock_outstanding().remove(arn) else {
            return;
        };
        let me = Arc::clone(self);
        let arn = arn.to_string();
        super::spawn_pending(&self.stops, async move { me.stop(&arn, started).await });
    }

    async fn stop(&self, arn: &str, s: Started) {
        let reason = format!("asl: the state `{}` ended before the task", s.state);
        match self.api.stop_task(s.cluster.as_deref(), arn, &reason).await {
            Ok(()) => say!(
                "asl: stopped ECS task {arn} (state `{}` ended before it)",
                s.state
            ),
            Err(e) => say!(
                "asl: warning: could not stop ECS task {arn} of state `{}`: {}",
                s.state,
                e.message
            ),
        }
    }

    /// Stops the tasks `.waitForTaskToken` states started (for an execution that did not
    /// succeed: its callbacks may never come, and nothing may be left running).
    pub async fn stop_callback_tasks(&self) {
        let left: Vec<(String, Started)> = self
            .callback_tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .collect();
        for (arn, s) in left {
            self.stop(&arn, s).await;
        }
    }

    /// Stops every started task not seen stopped (the run ended early), and waits for the
    /// stops already under way.
    pub async fn stop_outstanding(&self) {
        // A RunTask still under way may yet start tasks: wait for it (it is bounded).
        super::join_pending(&self.launches).await;
        let left: Vec<(String, Started)> = self.lock_outstanding().drain().collect();
        for (arn, s) in left {
            self.stop(&arn, s).await;
        }
        super::join_pending(&self.stops).await;
    }
}

/// Stops the tasks of a `.sync` state that was dropped before they stopped.
struct Guard {
    runner: Arc<EcsRunner>,
    arns: Vec<String>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        for arn in &self.arns {
            self.runner.abandon(arn);
        }
    }
}

fn is_throttling(e: &ApiError) -> bool {
    matches!(
        e.code.as_deref(),
        Some("ThrottlingException" | "TooManyRequestsException" | "RequestLimitExceeded")
    )
}

fn service_error(e: ApiError) -> TaskError {
    match e.code {
        Some(code) => TaskError::Failed(Failure::new(format!("ECS.{code}"), e.message)),
        None => TaskError::Fault(Fault::new(format!("cannot call Amazon ECS: {}", e.message))),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::client::{EcsContainer, RunTaskResponse};
    use super::*;
    use crate::definition::Resource;
    use futures::future::BoxFuture;

    pub(crate) fn block<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map(|rt| rt.block_on(f))
            .unwrap_or_else(|e| panic!("runtime: {e}"))
    }

    /// Tasks stop after `describes_to_stop` describes, exiting with `exit_code`.
    pub(crate) struct FakeEcs {
        pub(crate) exit_code: i32,
        pub(crate) describes_to_stop: u32,
        pub(crate) started: Mutex<u32>,
        pub(crate) seen: Mutex<HashMap<String, u32>>,
        pub(crate) stopped: Mutex<Vec<String>>,
        pub(crate) throttle_first: Mutex<bool>,
    }

    impl FakeEcs {
        pub(crate) fn new(exit_code: i32, describes_to_stop: u32) -> Arc<FakeEcs> {
            Arc::new(FakeEcs {
                exit_code,
                describes_to_stop,
                started: Mutex::new(0),
                seen: Mutex::new(HashMap::new()),
                stopped: Mutex::new(Vec::new()),
                throttle_first: Mutex::new(false),
            })
        }

        fn task(&self, arn: &str, status: &str) -> EcsTask {
            let stopped = status == "STOPPED";
            EcsTask {
                arn: arn.into(),
                last_status: status.into(),
                task_definition_arn: Some("td".into()),
                containers: vec![
                    EcsContainer {
                        name: "worker".into(),
                        exit_code: stopped.then_some(self.exit_code),
                        reason: None,
                    },
                    EcsContainer {
                        name: "sidecar".into(),
                        exit_code: stopped.then_some(137),
                        reason: None,
                    },
                ],
                json: json!({"TaskArn": arn, "LastStatus": status}),
            }
        }
    }

    impl EcsApi for FakeEcs {
        fn run_task(&self, _p: &Value) -> BoxFuture<'_, Result<RunTaskResponse, ApiError>> {
            let n = {
                let mut s = self.started.lock().unwrap();
                *s += 1;
                *s
            };
            let t = self.task(&format!("arn:task/{n}"), "RUNNING");
            Box::pin(async move {
                Ok(RunTaskResponse {
                    tasks: vec![t],
                    failures: vec![],
                })
            })
        }
        fn describe_tasks<'a>(
            &'a self,
            _c: Option<&'a str>,
            arns: &'a [String],
        ) -> BoxFuture<'a, Result<Vec<EcsTask>, ApiError>> {
            assert!(arns.len() <= 100, "DescribeTasks takes at most 100 tasks");
            Box::pin(async move {
                if std::mem::take(&mut *self.throttle_first.lock().unwrap()) {
                    return Err(ApiError::service("ThrottlingException", "Rate exceeded"));
                }
                let mut seen = self.seen.lock().unwrap();
                Ok(arns
                    .iter()
                    .map(|a| {
                        let n = seen.entry(a.clone()).or_insert(0);
                        *n += 1;
                        let st = if *n >= self.describes_to_stop {
                            "STOPPED"
                        } else {
                            "RUNNING"
                        };
                        self.task(a, st)
                    })
                    .collect())
            })
        }
        fn essential_containers<'a>(
            &'a self,
            _td: &'a str,
        ) -> BoxFuture<'a, Result<Vec<String>, ApiError>> {
            Box::pin(async { Ok(vec!["worker".to_string()]) })
        }
        fn stop_task<'a>(
            &'a self,
            _c: Option<&'a str>,
            arn: &'a str,
            _r: &'a str,
        ) -> BoxFuture<'a, Result<(), ApiError>> {
            self.stopped.lock().unwrap().push(arn.to_string());
            Box::pin(async { Ok(()) })
        }
    }

    pub(crate) fn fast() -> PollPolicy {
        PollPolicy {
            initial: Duration::from_millis(5),
            max: Duration::from_millis(20),
            factor: 2.0,
        }
    }

    fn request(arn: &str) -> TaskRequest {
        TaskRequest {
            state_name: "Run".into(),
            resource: Resource::parse(arn),
            input: json!({"Cluster": "c", "TaskDefinition": "td"}),
            credentials: None,
            task_token: None,
            timeout: None,
            heartbeat: None,
            context: json!({}),
            submitted: None,
            started: None,
            visit: 0,
        }
    }

    #[test]
    fn a_sync_run_reports_its_submission_before_it_waits() {
        let fake = FakeEcs::new(0, 2);
        let runner = EcsRunner::new(fake, fast());
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut req = request("arn:aws:states:::ecs:runTask.sync");
        req.submitted = Some(tx);
        let result = block(async { runner.run(&req).await });
        assert!(result.is_ok(), "{result:?}");
        let submitted = rx.try_recv().expect("a submission was reported");
        assert!(submitted.get("Tasks").is_some(), "{submitted}");
        let mut plain = request("arn:aws:states:::ecs:runTask");
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        plain.submitted = Some(tx);
        let runner = EcsRunner::new(FakeEcs::new(0, 2), fast());
        assert!(block(async { runner.run(&plain).await }).is_ok());
        assert!(
            rx.try_recv().is_err(),
            "request-response does not wait, so it submits nothing"
        );
    }

    #[test]
    fn sync_waits_for_stopped_and_batches_describes_for_100_tasks() {
        let fake = FakeEcs::new(0, 4);
        let runner = EcsRunner::new(fake.clone(), fast());
        let results = block(async {
            let req = request("arn:aws:states:::ecs:runTask.sync");
            let runs = (0..150).map(|_| runner.run(&req));
            futures::future::join_all(runs).await
        });
        assert!(results.iter().all(|r| r.is_ok()), "{:?}", results[0]);
        // 150 tasks in one cluster: 2 DescribeTasks per round, 4 rounds.
        assert_eq!(runner.describe_calls(), 8);
        assert!(fake.stopped.lock().unwrap().is_empty());
    }

    #[test]
    fn a_non_zero_essential_container_fails_the_state_with_the_task_as_cause() {
        // The sidecar (not essential) exits 137 in every case; only the worker counts.
        let runner = EcsRunner::new(FakeEcs::new(0, 1), fast());
        assert!(block(runner.run(&request("arn:aws:states:::ecs:runTask.sync"))).is_ok());
        let runner = EcsRunner::new(FakeEcs::new(2, 1), fast());
        match block(runner.run(&request("arn:aws:states:::ecs:runTask.sync"))) {
            Err(TaskError::Failed(f)) => {
                assert_eq!(f.error, "States.TaskFailed");
                assert_eq!(
                    f.cause.as_deref(),
                    Some(r#"{"TaskArn":"arn:task/1","LastStatus":"STOPPED"}"#)
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn throttled_describes_back_off_and_retry() {
        let fake = FakeEcs::new(0, 1);
        *fake.throttle_first.lock().unwrap() = true;
        let runner = EcsRunner::new(fake.clone(), fast());
        assert!(block(runner.run(&request("arn:aws:states:::ecs:runTask.sync"))).is_ok());
        assert_eq!(runner.describe_calls(), 2);
    }

    #[test]
    fn request_response_returns_at_once_with_tasks_and_failures() {
        let runner = EcsRunner::new(FakeEcs::new(0, 4), fast());
        let v = block(runner.run(&request("arn:aws:states:::ecs:runTask"))).unwrap();
        assert_eq!(
            v,
            json!({"Tasks": [{"TaskArn": "arn:task/1", "LastStatus": "RUNNING"}], "Failures": []})
        );
        assert_eq!(runner.describe_calls(), 0);
    }

    #[test]
    fn a_sync_state_dropped_early_stops_its_task() {
        let fake = FakeEcs::new(0, 1000);
        let runner = EcsRunner::new(fake.clone(), fast());
        block(async {
            let req = request("arn:aws:states:::ecs:runTask.sync");
            let r = tokio::time::timeout(Duration::from_millis(50), runner.run(&req)).await;
            assert!(r.is_err());
            runner.stop_outstanding().await;
        });
        assert_eq!(
            *fake.stopped.lock().unwrap(),
            vec!["arn:task/1".to_string()]
        );
    }

    #[test]
    fn callback_tasks_are_stopped_only_when_asked() {
        let fake = FakeEcs::new(0, 1000);
        let runner = EcsRunner::new(fake.clone(), fast());
        block(async {
            let req = request("arn:aws:states:::ecs:runTask.waitForTaskToken");
            assert!(runner.run(&req).await.is_ok());
            runner.stop_outstanding().await;
        });
        assert!(
            fake.stopped.lock().unwrap().is_empty(),
            "a callback task outlives its run call"
        );
        block(async { runner.stop_callback_tasks().await });
        assert_eq!(
            *fake.stopped.lock().unwrap(),
            vec!["arn:task/1".to_string()]
        );
    }
}
