//! The two AWS clients `asl` needs, as traits over plain types, so tests can fake them.

use futures::future::BoxFuture;
use serde_json::Value;

/// An AWS call that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The service's error code (`TooManyRequestsException`); `None` when the service was not
    /// reached or the request could not be built (no credentials, network, bad parameter).
    pub code: Option<String>,
    pub message: String,
}

impl ApiError {
    pub fn service(code: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            code: Some(code.into()),
            message: message.into(),
        }
    }

    pub fn local(message: impl Into<String>) -> Self {
        ApiError {
            code: None,
            message: message.into(),
        }
    }
}

/// Lambda `Invoke`'s request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvokeRequest {
    pub function_name: String,
    pub payload: Option<Vec<u8>>,
    pub qualifier: Option<String>,
    pub invocation_type: Option<String>,
    pub log_type: Option<String>,
    pub client_context: Option<String>,
}

/// Lambda `Invoke`'s answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvokeResponse {
    pub status_code: i32,
    pub executed_version: Option<String>,
    /// `Handled` / `Unhandled` when the function raised.
    pub function_error: Option<String>,
    pub payload: Vec<u8>,
    pub log_result: Option<String>,
    pub request_id: Option<String>,
}

pub trait LambdaApi: Send + Sync {
    fn invoke(&self, r: InvokeRequest) -> BoxFuture<'_, Result<InvokeResponse, ApiError>>;
}

/// One ECS container of a described task.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EcsContainer {
    pub name: String,
    pub exit_code: Option<i32>,
    pub reason: Option<String>,
}

/// One described ECS task: the fields `asl` decides on, and the whole task in Step
/// Functions' PascalCase JSON.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EcsTask {
    pub arn: String,
    pub last_status: String,
    pub task_definition_arn: Option<String>,
    pub containers: Vec<EcsContainer>,
    pub json: Value,
}

/// `RunTask`'s answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunTaskResponse {
    pub tasks: Vec<EcsTask>,
    /// `Failures`, PascalCase JSON.
    pub failures: Vec<Value>,
}

pub trait EcsApi: Send + Sync {
    /// `RunTask` with Step Functions' PascalCase parameters.
    fn run_task(&self, params: &Value) -> BoxFuture<'_, Result<RunTaskResponse, ApiError>>;
    /// `DescribeTasks` for at most 100 tasks of one cluster (`None`: the default cluster).
    fn describe_tasks<'a>(
        &'a self,
        cluster: Option<&'a str>,
        arns: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<EcsTask>, ApiError>>;
    /// The names of the essential containers of a task definition.
    fn essential_containers<'a>(
        &'a self,
        task_definition: &'a str,
    ) -> BoxFuture<'a, Result<Vec<String>, ApiError>>;
    fn stop_task<'a>(
        &'a self,
        cluster: Option<&'a str>,
        arn: &'a str,
        reason: &'a str,
    ) -> BoxFuture<'a, Result<(), ApiError>>;
}

/// `StartExecution`'s request, with Step Functions' parameters (`Input` as JSON text).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartExecutionRequest {
    pub state_machine_arn: String,
    pub name: Option<String>,
    pub input: Option<String>,
    pub trace_header: Option<String>,
}

/// `StartExecution`'s answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartedExecution {
    pub execution_arn: String,
    /// Milliseconds since the epoch.
    pub start_date: i64,
}

/// Step Functions as child machines need it. `describe_execution` and
/// `start_sync_execution` answer in Step Functions' PascalCase JSON (`Input` and `Output` as
/// JSON text, dates as epoch milliseconds); an error's message is AWS's whole cause.
pub trait SfnApi: Send + Sync {
    fn start_execution(
        &self,
        r: StartExecutionRequest,
    ) -> BoxFuture<'_, Result<StartedExecution, ApiError>>;
    fn start_sync_execution(
        &self,
        r: StartExecutionRequest,
    ) -> BoxFuture<'_, Result<Value, ApiError>>;
    fn describe_execution<'a>(&'a self, arn: &'a str) -> BoxFuture<'a, Result<Value, ApiError>>;
    fn stop_execution<'a>(
        &'a self,
        arn: &'a str,
        error: &'a str,
        cause: &'a str,
    ) -> BoxFuture<'a, Result<(), ApiError>>;
}
