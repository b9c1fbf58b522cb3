//! Task states run on AWS: Lambda `invoke`, ECS `runTask`, child state machines
//! (`states:startExecution`, `aws-sdk:sfn:startSyncExecution`), and every other AWS API
//! through the model-driven client (`api_handler`: the AWS SDK integration and the optimized
//! integrations of `optimized`).
//!
//! The model-driven client is built from AWS's own API models, embedded (`model`), one
//! serializer and parser per protocol family (`protocol`), Step Functions' naming rules
//! (`params`), endpoints (`endpoint`), and one network seam (`transport::Transport`, over
//! HTTPS with SigV4 in `http`).
//!
//! [`AwsHandler`] turns a Task request into calls on small client traits ([`LambdaApi`],
//! [`EcsApi`], [`SfnApi`]) and shapes the answers the way Step Functions does (the
//! `lambda:invoke` envelope, the `runTask` / `.sync` outputs, DescribeExecution for a child,
//! `Lambda.*` / `ECS.*` / `StepFunctions.*` error names). The traits
//! are implemented over the AWS SDK in `sdk.rs` (cargo feature `aws`) and by fakes in tests,
//! which is how paths an emulator cannot produce (function errors, throttling, non-zero
//! container exits) are covered.
//!
//! A service's error answer is an ASL failure a Catch can see; not reaching the service at
//! all (no credentials, no network, an unmapped parameter) is a fault that ends the run.

mod adjust;
mod api_handler;
mod batched;
mod bedrock;
mod client;
mod ecs;
mod eks;
pub mod endpoint;
#[cfg(feature = "aws")]
mod http;
pub mod http_task;
#[cfg(feature = "aws")]
mod kube;
mod lambda;
pub mod model;

pub mod optimized;
pub mod params;
pub mod protocol;
#[cfg(feature = "aws")]
mod sdk;
mod sfn;
pub mod shape_check;
pub mod transport;

pub use api_handler::ApiHandler;
pub(crate) use api_handler::supports as api_supports;
pub use client::{
    ApiError, EcsApi, EcsContainer, EcsTask, InvokeRequest, InvokeResponse, LambdaApi,
    RunTaskResponse, SfnApi, StartExecutionRequest, StartedExecution,
};
pub use ecs::{EcsRunner, PollPolicy};
#[cfg(feature = "aws")]
pub use http::HttpTransport;
#[cfg(feature = "aws")]
pub use sdk::{SdkClients, SdkSettings, sdk_clients};
pub use sfn::SfnRunner;

use crate::definition::ResourceKind;
use crate::engine::{Fault, TaskError, TaskHandler, TaskRequest};
use futures::future::BoxFuture;
use serde_json::Value;
use std::sync::Arc;

/// Spawned work (stops, launches) of a runner, awaited to its end.
type Pending = std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>;

/// Runs `work` in the background on the current runtime, kept in `pending` to be awaited;
/// outside a runtime (nothing is running any more) it is dropped.
fn spawn_pending(pending: &Pending, work: impl std::future::Future<Output = ()> + Send + 'static) {
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        let h = rt.spawn(work);
        pending.lock().unwrap_or_else(|p| p.into_inner()).push(h);
    }
}

/// Waits for every piece of `pending` spawned so far.
async fn join_pending(pending: &Pending) {
    let handles: Vec<_> = pending
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .drain(..)
        .collect();
    for h in handles {
        let _ = h.await;
    }
}

/// Answers Lambda, ECS and child-machine Task states through the client traits.
pub struct AwsHandler {
    lambda: Arc<dyn LambdaApi>,
    ecs: Arc<EcsRunner>,
    sfn: Option<Arc<SfnRunner>>,
    api: Option<Arc<ApiHandler>>,
}

impl AwsHandler {
    pub fn new(lambda: Arc<dyn LambdaApi>, ecs: Arc<EcsRunner>) -> Self {
        AwsHandler {
            lambda,
            ecs,
            sfn: None,
            api: None,
        }
    }

    /// Every other AWS API through the model-driven client.
    pub fn with_api(mut self, api: Arc<ApiHandler>) -> Self {
        self.api = Some(api);
        self
    }

    /// The model-driven side, to stop `.sync` jobs when the run ends early.
    pub fn api_handler(&self) -> Option<&Arc<ApiHandler>> {
        self.api.as_ref()
    }

    /// Child state machines on Step Functions through `sfn`.
    pub fn with_sfn(mut self, sfn: Arc<SfnRunner>) -> Self {
        self.sfn = Some(sfn);
        self
    }

    /// The ECS side, to stop still-running tasks when the run ends early.
    pub fn ecs(&self) -> &Arc<EcsRunner> {
        &self.ecs
    }

    /// The Step Functions side, to stop child executions when the run ends early.
    pub fn sfn(&self) -> Option<&Arc<SfnRunner>> {
        self.sfn.as_ref()
    }

    async fn run(&self, request: TaskRequest) -> Result<Value, TaskError> {
        match &request.resource.kind {
            ResourceKind::LambdaFunction { function } => {
                lambda::invoke_legacy(self.lambda.as_ref(), function, &request.input).await
            }
            ResourceKind::Service { service, action } => {
                match (service.as_str(), action.as_str()) {
                    ("lambda", "invoke") => {
                        lambda::invoke(self.lambda.as_ref(), &request.input).await
                    }
                    ("ecs", "runTask") => self.ecs.run(&request).await,
                    ("states", "startExecution") => match &self.sfn {
                        Some(sfn) => sfn.run(&request).await,
                        None => Err(unsupported(&request)),
                    },
                    _ => self.call_api(&request).await,
                }
            }
            ResourceKind::AwsSdk { service, action }
                if service == "sfn" && action == "startSyncExecution" =>
            {
                match &self.sfn {
                    Some(sfn) => sfn.run(&request).await,
                    None => Err(unsupported(&request)),
                }
            }
            _ => self.call_api(&request).await,
        }
    }

    async fn call_api(&self, request: &TaskRequest) -> Result<Value, TaskError> {
        match &self.api {
            Some(api) => api.run(request).await,
            None => Err(unsupported(request)),
        }
    }
}

fn unsupported(r: &TaskRequest) -> TaskError {
    TaskError::Fault(Fault::new(format!(
        "the Task state `{}` (resource `{}`) cannot run on AWS: this run has no client for it; mock it or run it as a local command",
        r.state_name, r.resource.arn
    )))
}

impl TaskHandler for AwsHandler {
    fn name(&self) -> &str {
        "aws"
    }

    /// EventBridge's `putEvents` adds the execution's ARNs to each entry's `Resources`.
    fn wants_context(&self) -> bool {
        self.api.is_some()
    }

    fn invoke(&self, request: TaskRequest) -> BoxFuture<'_, Result<Value, TaskError>> {
        Box::pin(self.run(request))
    }
}
