//! Makes a `.waitForTaskToken` Task state wait for its callback.

use super::server::CallbackServer;
use super::tokens::{Callback, Registration};
use crate::definition::Pattern;
use crate::engine::{Failure, Fault, TaskError, TaskHandler, TaskRequest};
use futures::future::BoxFuture;
use serde_json::Value;
use std::sync::Arc;

/// Wraps the handler that starts the work. For `.waitForTaskToken` requests it registers the
/// token, starts the work, and answers with the callback: `SendTaskSuccess`'s output, or
/// `SendTaskFailure`'s error. The work failing before a callback fails the task with the
/// work's error; the work succeeding is not an answer (its result is dropped, as in AWS).
/// `HeartbeatSeconds` without a heartbeat fails with `States.HeartbeatTimeout`. Other requests
/// go straight to the inner handler.
pub struct WaitForCallback {
    inner: Arc<dyn TaskHandler>,
    server: Arc<CallbackServer>,
    finish_work: bool,
}

impl WaitForCallback {
    pub fn new(inner: Arc<dyn TaskHandler>, server: Arc<CallbackServer>) -> Self {
        WaitForCallback {
            inner,
            server,
            finish_work: false,
        }
    }

    /// Lets the work run to its end after the callback before answering: a child execution
    /// that calls back midway is not stopped by it (on AWS it runs on), and its history
    /// stays whole. Without it, the work is dropped at the callback (a local command is
    /// killed with its process group).
    pub fn finishing_work(mut self) -> Self {
        self.finish_work = true;
        self
    }

    async fn run(&self, request: TaskRequest) -> Result<Value, TaskError> {
        let token = match (&request.task_token, request.resource.pattern) {
            (Some(t), Pattern::WaitForTaskToken) => t.clone(),
            _ => return self.inner.invoke(request).await,
        };
        self.server.start();
        // Registered before the work starts, so even an immediate callback finds it; dropped
        // (closing the token) whichever way this future ends.
        let mut reg = self.server.tokens().register(&token);
        let heartbeat = request.heartbeat;
        let state = request.state_name.clone();
        let work = self.inner.invoke(request);
        let wait = answer(&mut reg, heartbeat, &state);
        tokio::pin!(work);
        tokio::pin!(wait);
        let mut working = true;
        loop {
            tokio::select! {
                r = &mut work, if working => match r {
                    Ok(_) => working = false,
                    Err(e) => return Err(e),
                },
                r = &mut wait => {
                    if working && self.finish_work {
                        let _ = (&mut work).await;
                    }
                    return r;
                }
            }
        }
    }
}

/// The callback a registered token gets: `SendTaskSuccess`'s output or `SendTaskFailure`'s
/// error; a heartbeat waits on; no heartbeat within `heartbeat` is `States.HeartbeatTimeout`.
pub async fn answer(
    reg: &mut Registration,
    heartbeat: Option<std::time::Duration>,
    state: &str,
) -> Result<Value, TaskError> {
    loop {
        let next = match heartbeat {
            Some(h) => match tokio::time::timeout(h, reg.rx.recv()).await {
                Ok(m) => m,
                Err(_) => {
                    return Err(TaskError::Failed(Failure {
                        error: "States.HeartbeatTimeout".into(),
                        cause: None,
                    }));
                }
            },
            None => reg.rx.recv().await,
        };
        match next {
            Some(Callback::Heartbeat) => continue,
            Some(Callback::Success(v)) => return Ok(v),
            Some(Callback::Failure { error, cause }) => {
                return Err(TaskError::Failed(Failure {
                    error: error.unwrap_or_default(),
                    cause,
                }));
            }
            None => {
                return Err(TaskError::Fault(Fault::new(format!(
                    "the callback channel of state `{state}` closed"
                ))));
            }
        }
    }
}

impl TaskHandler for WaitForCallback {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn invoke(&self, request: TaskRequest) -> BoxFuture<'_, Result<Value, TaskError>> {
        Box::pin(self.run(request))
    }

    fn wants_context(&self) -> bool {
        self.inner.wants_context()
    }
}
