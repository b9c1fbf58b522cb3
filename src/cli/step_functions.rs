//! The Step Functions API as the CLI calls it itself: `asl record ARN` fetching an execution,
//! `asl run --remote` deploying and running a definition on AWS. It is the model-driven
//! client of `handlers::aws` (the same signing, endpoints, retries and time bound as a Task's
//! AWS SDK integration), with the command's `--profile`, `--region` and `--endpoint-url`.

use super::aws_args::AwsArgs;
use super::error::CliError;
use crate::handlers::aws::model::Service;
use crate::handlers::aws::transport::{ApiClient, CallError};
use crate::handlers::aws::{SdkSettings, sdk_clients};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// A Step Functions client.
pub(super) struct StepFunctions {
    api: ApiClient,
    service: Arc<Service>,
}

/// A failed call, said in full (`Step Functions' StartExecution failed: Code: message`).
#[derive(Debug)]
pub(super) struct Refused {
    pub message: String,
}

impl Refused {
    /// The refusal as the CLI's error about `what` (an ARN, a file): exit 2.
    pub(super) fn error(self, what: &str) -> CliError {
        CliError::Input(format!("{what}: error: {}", self.message))
    }
}

impl StepFunctions {
    /// A client of the SDK's configuration chain with the command's profile and endpoint
    /// (and `region`, when given); every call bounded by 60 s, retries included.
    pub(super) async fn connect(
        aws: &AwsArgs,
        region: Option<String>,
    ) -> Result<StepFunctions, CliError> {
        let settings = SdkSettings {
            profile: aws.profile.clone(),
            region,
            endpoint_url: aws.endpoint_url.clone(),
            timeout: Some(Duration::from_secs(60)),
            service_endpoints: Default::default(),
        };
        let api = sdk_clients(&settings).await.api;
        let service = ApiClient::service("sfn").map_err(|e| CliError::Fault(format!("{e:?}")))?;
        Ok(StepFunctions { api, service })
    }

    /// Calls `op` (the model's name: `StartExecution`) with `input` in the model's member
    /// names; the answer likewise, timestamps as ISO 8601 text.
    pub(super) async fn call(&self, op: &str, input: Value) -> Result<Value, Refused> {
        self.api
            .call(&self.service, op, &input)
            .await
            .map(|a| a.output)
            .map_err(|e| {
                let why = match e {
                    CallError::Service(s) => format!("{}: {}", s.code, s.message),
                    CallError::Timeout => "no answer within 60 s".to_string(),
                    CallError::Unreachable(m) => format!("unreachable: {m}"),
                    CallError::Unreadable(m) => format!("unreadable answer: {m}"),
                    CallError::Request(m) => m,
                };
                Refused {
                    message: format!("Step Functions' {op} failed: {why}"),
                }
            })
    }
}
