//! Task states run on AWS: Lambda `invoke` and ECS `runTask`.
//!
//! [`AwsHandler`] turns a Task request into calls on two small client traits ([`LambdaApi`],
//! [`EcsApi`]) and shapes the answers the way Step Functions does (the `lambda:invoke`
//! envelope, the `runTask` / `.sync` outputs, `Lambda.*` / `ECS.*` error names). The traits
//! are implemented over the AWS SDK in `sdk.rs` (cargo feature `aws`) and by fakes in tests,
//! which is how paths an emulator cannot produce (function errors, throttling, non-zero
//! container exits) are covered.
//!
//! A service's error answer is an ASL failure a Catch can see; not reaching the service at
//! all (no credentials, no network, an unmapped parameter) is a fault that ends the run.

mod client;
mod ecs;
mod lambda;
#[cfg(feature = "aws")]
mod sdk;

pub use client::{
    ApiError, EcsApi, EcsContainer, EcsTask, InvokeRequest, InvokeResponse, LambdaApi,
    RunTaskResponse,
};
pub use ecs::{EcsRunner, PollPolicy};
#[cfg(feature = "aws")]
pub use sdk::{SdkSettings, sdk_clients};

use crate::definition::ResourceKind;
use crate::engine::{Fault, TaskError, TaskHandler, TaskRequest};
use futures::future::BoxFuture;
use serde_json::Value;
use std::sync::Arc;

/// Answers Lambda and ECS Task states through the client traits.
pub struct AwsHandler {
    lambda: Arc<dyn LambdaApi>,
    ecs: Arc<EcsRunner>,
}

impl AwsHandler {
    pub fn new(lambda: Arc<dyn LambdaApi>, ecs: Arc<EcsRunner>) -> Self {
        AwsHandler { lambda, ecs }
    }

    /// The ECS side, to stop still-running tasks when the run ends early.
    pub fn ecs(&self) -> &Arc<EcsRunner> {
        &self.ecs
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
                    _ => Err(unsupported(&request)),
                }
            }
            _ => Err(unsupported(&request)),
        }
    }
}

fn unsupported(r: &TaskRequest) -> TaskError {
    TaskError::Fault(Fault::new(format!(
        "the Task state `{}` (resource `{}`) cannot run on AWS: asl runs only Lambda invoke and ECS runTask there; mock it or run it as a local command",
        r.state_name, r.resource.arn
    )))
}

impl TaskHandler for AwsHandler {
    fn name(&self) -> &str {
        "aws"
    }

    fn wants_context(&self) -> bool {
        false
    }

    fn invoke(&self, request: TaskRequest) -> BoxFuture<'_, Result<Value, TaskError>> {
        Box::pin(self.run(request))
    }
}
