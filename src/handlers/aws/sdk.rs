//! The client traits over the AWS SDK (cargo feature `aws`): Lambda, ECS, Step Functions.
//!
//! Configuration comes from the SDK's default chain (environment, shared files, SSO-less
//! profiles, IMDS), narrowed by `--profile`, `--region` and `--endpoint-url`. Credentials are
//! never printed. ECS parameters arrive in Step Functions' PascalCase and are mapped field by
//! field onto the `RunTask` request; a field `asl` does not map is refused (a fault), never
//! silently dropped.
//!
//! Every call is bounded: a connection must open within [`CONNECT_TIMEOUT`], and a call with
//! all the SDK's retries (3 attempts for throttling, 5xx and network errors) must end within
//! [`SdkSettings::timeout`] (default [`ECS_TIMEOUT`]; [`LAMBDA_TIMEOUT`] for Lambda, whose
//! functions may run 15 minutes). How a failed call is seen follows Step Functions: an
//! answer of the service is `<Service>.<code>`; a call that timed out is
//! `<Service>.ClientExecutionTimeoutException` and an answer that could not be read
//! `<Service>.SdkClientException`, both catchable; a service that cannot be reached at all
//! (connection refused, no such host, no credentials) is a fault that ends the run.

use super::client::{
    ApiError, EcsApi, EcsContainer, EcsTask, InvokeRequest, InvokeResponse, LambdaApi,
    RunTaskResponse, SfnApi, StartExecutionRequest, StartedExecution,
};
use aws_sdk_ecs::types as ecs;
use futures::future::BoxFuture;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Duration;

/// How long opening a connection may take (the SDK's own default).
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);
/// The default bound of an ECS call, retries included.
pub const ECS_TIMEOUT: Duration = Duration::from_secs(60);
/// The default bound of a Lambda `Invoke`, retries included: a function may run 15 minutes.
pub const LAMBDA_TIMEOUT: Duration = Duration::from_secs(15 * 60 + 30);

/// Where the SDK clients point.
#[derive(Debug, Clone, Default)]
pub struct SdkSettings {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    /// The bound of every call, retries included (`None`: [`ECS_TIMEOUT`] and
    /// [`LAMBDA_TIMEOUT`]).
    pub timeout: Option<Duration>,
    /// One service's endpoint each (Step Functions Local's `LAMBDA_ENDPOINT`, ...), under
    /// `AWS_ENDPOINT_URL_<SERVICE>` and the SDK's own variables, over `AWS_ENDPOINT_URL`;
    /// `endpoint_url` wins over them.
    pub service_endpoints: super::endpoint::ServiceEndpoints,
}

fn timeouts(total: Duration) -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT.min(total))
        .operation_timeout(total)
        .build()
}

/// The clients of the services Task states call.
pub struct SdkClients {
    pub lambda: Arc<dyn LambdaApi>,
    pub ecs: Arc<dyn EcsApi>,
    pub sfn: Arc<dyn SfnApi>,
    /// Every other AWS API, through the model-driven client.
    pub api: super::transport::ApiClient,
}

/// Loads the SDK configuration and builds the Lambda, ECS and Step Functions clients.
pub async fn sdk_clients(s: &SdkSettings) -> SdkClients {
    let conf = crate::storage::s3::sdk_config(
        s.profile.as_deref(),
        s.region.as_deref(),
        s.endpoint_url.as_deref(),
    )
    .await;
    // A service's own endpoint, unless `--endpoint-url` sends everything elsewhere or the
    // SDK's variable for that service is set (the SDK reads it itself).
    let own = |service_id: &str| {
        let name = super::endpoint::env_name(service_id);
        match (
            &s.endpoint_url,
            std::env::var(&name).ok().filter(|v| !v.is_empty()),
        ) {
            (None, None) => s.service_endpoints.get(&name),
            _ => None,
        }
    };
    let mut lambda = aws_sdk_lambda::config::Builder::from(&conf)
        .timeout_config(timeouts(s.timeout.unwrap_or(LAMBDA_TIMEOUT)));
    if let Some(url) = own("Lambda") {
        lambda = lambda.endpoint_url(url);
    }
    let lambda = lambda.build();
    let mut ecs = aws_sdk_ecs::config::Builder::from(&conf)
        .timeout_config(timeouts(s.timeout.unwrap_or(ECS_TIMEOUT)));
    if let Some(url) = own("ECS") {
        ecs = ecs.endpoint_url(url);
    }
    let ecs = ecs.build();
    // Step Functions answers at once (a `.sync` child is polled): ECS's bound serves.
    let mut sfn = aws_sdk_sfn::config::Builder::from(&conf)
        .timeout_config(timeouts(s.timeout.unwrap_or(ECS_TIMEOUT)));
    if let Some(url) = own("SFN") {
        sfn = sfn.endpoint_url(url);
    }
    let sfn = sfn.build();
    // One bound for each call of the model-driven client, retries included.
    let api_timeout = s.timeout.unwrap_or(ECS_TIMEOUT);
    let transport =
        super::http::HttpTransport::new(conf.clone(), s.endpoint_url.clone(), api_timeout)
            .with_service_endpoints(s.service_endpoints.clone());
    SdkClients {
        api: super::transport::ApiClient::new(Arc::new(transport), api_timeout),
        lambda: Arc::new(SdkLambda(aws_sdk_lambda::Client::from_conf(lambda))),
        ecs: Arc::new(SdkEcs(aws_sdk_ecs::Client::from_conf(ecs))),
        sfn: Arc::new(SdkSfn(aws_sdk_sfn::Client::from_conf(sfn))),
    }
}

/// An SDK error as an [`ApiError`]: the service's code when it answered (`fallback` when its
/// answer names none, as a bare HTTP 500 does), `ClientExecutionTimeoutException` when the
/// call ran out of time, `SdkClientException` when the answer could not be read, and a local
/// error when the service was not reached.
fn api_error<E>(
    e: aws_smithy_runtime_api_error::SdkError<E, aws_sdk_lambda::config::http::HttpResponse>,
    fallback: &str,
) -> ApiError
where
    E: aws_sdk_lambda::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_sdk_lambda::error::SdkError;
    match &e {
        SdkError::ServiceError(se) => ApiError::service(
            se.err().code().unwrap_or(fallback),
            se.err()
                .message()
                .map(str::to_string)
                .unwrap_or_else(|| causes(&e)),
        ),
        SdkError::TimeoutError(_) => ApiError::service(
            "ClientExecutionTimeoutException",
            "the call did not complete in time (see --aws-timeout)",
        ),
        // A server error whose body is not the service's error shape (a proxy's HTML page)
        // is still the service failing.
        SdkError::ResponseError(r) if r.raw().status().is_server_error() => ApiError::service(
            fallback,
            format!(
                "HTTP {} without an error the SDK could read",
                r.raw().status().as_u16()
            ),
        ),
        SdkError::ResponseError(_) => ApiError::service(
            "SdkClientException",
            format!("the service's answer could not be read: {}", causes(&e)),
        ),
        _ => ApiError::local(causes(&e)),
    }
}

/// An error and its sources, each said once: `dispatch failure: io error: ... Connection
/// refused (os error 111)`, without the SDK's debug dump of the same.
pub(super) fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut next = e.source();
    while let Some(s) = next {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        next = s.source();
    }
    parts.join(": ")
}

// The SDK crates re-export the same error type; name it once.
mod aws_smithy_runtime_api_error {
    pub use aws_sdk_lambda::error::SdkError;
}

struct SdkLambda(aws_sdk_lambda::Client);

impl LambdaApi for SdkLambda {
    fn invoke(&self, r: InvokeRequest) -> BoxFuture<'_, Result<InvokeResponse, ApiError>> {
        Box::pin(async move {
            use aws_sdk_lambda::operation::RequestId;
            use aws_sdk_lambda::primitives::Blob;
            let out = self
                .0
                .invoke()
                .function_name(r.function_name)
                .set_payload(r.payload.map(Blob::new))
                .set_qualifier(r.qualifier)
                .set_invocation_type(r.invocation_type.as_deref().map(Into::into))
                .set_log_type(r.log_type.as_deref().map(Into::into))
                .set_client_context(r.client_context)
                .send()
                .await
                .map_err(|e| api_error(e, "ServiceException"))?;
            Ok(InvokeResponse {
                status_code: out.status_code(),
                executed_version: out.executed_version().map(str::to_string),
                function_error: out.function_error().map(str::to_string),
                payload: out
                    .payload()
                    .map(|b| b.as_ref().to_vec())
                    .unwrap_or_default(),
                log_result: out.log_result().map(str::to_string),
                request_id: out.request_id().map(str::to_string),
            })
        })
    }
}

struct SdkSfn(aws_sdk_sfn::Client);

/// A Step Functions error with AWS's whole cause as its message:
/// `MESSAGE (Service: AWSStepFunctions; Status Code: 400; Error Code: CODE; Request ID: ID; Proxy: null)`.
fn sfn_error<E>(
    e: aws_sdk_sfn::error::SdkError<E, aws_sdk_sfn::config::http::HttpResponse>,
) -> ApiError
where
    E: aws_sdk_sfn::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_sdk_sfn::error::{DisplayErrorContext, SdkError};
    match &e {
        SdkError::ServiceError(se) => {
            let code = se.err().code().unwrap_or("ServiceException");
            let request_id = se
                .raw()
                .headers()
                .get("x-amzn-requestid")
                .unwrap_or("null")
                .to_string();
            ApiError::service(
                code,
                format!(
                    "{} (Service: AWSStepFunctions; Status Code: {}; Error Code: {code}; Request ID: {request_id}; Proxy: null)",
                    se.err().message().unwrap_or(code),
                    se.raw().status().as_u16()
                ),
            )
        }
        _ => ApiError::local(DisplayErrorContext(&e).to_string()),
    }
}

fn sfn_millis(t: &aws_sdk_sfn::primitives::DateTime) -> Value {
    t.to_millis().map_or(Value::Null, |m| json!(m))
}

fn included(d: Option<&aws_sdk_sfn::types::CloudWatchEventsExecutionDataDetails>) -> Option<Value> {
    d.map(|d| json!({"Included": d.included()}))
}

impl SfnApi for SdkSfn {
    fn start_execution(
        &self,
        r: StartExecutionRequest,
    ) -> BoxFuture<'_, Result<StartedExecution, ApiError>> {
        Box::pin(async move {
            let out = self
                .0
                .start_execution()
                .state_machine_arn(r.state_machine_arn)
                .set_name(r.name)
                .set_input(r.input)
                .set_trace_header(r.trace_header)
                .send()
                .await
                .map_err(sfn_error)?;
            Ok(StartedExecution {
                execution_arn: out.execution_arn().to_string(),
                start_date: out.start_date().to_millis().unwrap_or_default(),
            })
        })
    }

    fn start_sync_execution(
        &self,
        r: StartExecutionRequest,
    ) -> BoxFuture<'_, Result<Value, ApiError>> {
        Box::pin(async move {
            let o = self
                .0
                .start_sync_execution()
                .state_machine_arn(r.state_machine_arn)
                .set_name(r.name)
                .set_input(r.input)
                .set_trace_header(r.trace_header)
                .send()
                .await
                .map_err(sfn_error)?;
            let mut m = Map::new();
            if let Some(b) = o.billing_details() {
                m.insert(
                    "BillingDetails".into(),
                    json!({
                        "BilledDurationInMilliseconds": b.billed_duration_in_milliseconds(),
                        "BilledMemoryUsedInMB": b.billed_memory_used_in_mb(),
                    }),
                );
            }
            put(&mut m, "Cause", o.cause());
            put(&mut m, "Error", o.error());
            m.insert("ExecutionArn".into(), json!(o.execution_arn()));
            put(&mut m, "Input", o.input());
            if let Some(d) = included(o.input_details()) {
                m.insert("InputDetails".into(), d);
            }
            put(&mut m, "Name", o.name());
            put(&mut m, "Output", o.output());
            if let Some(d) = included(o.output_details()) {
                m.insert("OutputDetails".into(), d);
            }
            m.insert("StartDate".into(), sfn_millis(o.start_date()));
            put(&mut m, "StateMachineArn", o.state_machine_arn());
            m.insert("Status".into(), json!(o.status().as_str()));
            m.insert("StopDate".into(), sfn_millis(o.stop_date()));
            put(&mut m, "TraceHeader", o.trace_header());
            Ok(Value::Object(m))
        })
    }

    fn describe_execution<'a>(&'a self, arn: &'a str) -> BoxFuture<'a, Result<Value, ApiError>> {
        Box::pin(async move {
            let o = self
                .0
                .describe_execution()
                .execution_arn(arn)
                .send()
                .await
                .map_err(sfn_error)?;
            let mut m = Map::new();
            put(&mut m, "Cause", o.cause());
            put(&mut m, "Error", o.error());
            m.insert("ExecutionArn".into(), json!(o.execution_arn()));
            put(&mut m, "Input", o.input());
            if let Some(d) = included(o.input_details()) {
                m.insert("InputDetails".into(), d);
            }
            put(&mut m, "MapRunArn", o.map_run_arn());
            put(&mut m, "Name", o.name());
            put(&mut m, "Output", o.output());
            if let Some(d) = included(o.output_details()) {
                m.insert("OutputDetails".into(), d);
            }
            if let Some(n) = o.redrive_count() {
                m.insert("RedriveCount".into(), json!(n));
            }
            if let Some(t) = o.redrive_date() {
                m.insert("RedriveDate".into(), sfn_millis(t));
            }
            put(
                &mut m,
                "RedriveStatus",
                o.redrive_status().map(|s| s.as_str()),
            );
            put(&mut m, "RedriveStatusReason", o.redrive_status_reason());
            m.insert("StartDate".into(), sfn_millis(o.start_date()));
            put(&mut m, "StateMachineAliasArn", o.state_machine_alias_arn());
            m.insert("StateMachineArn".into(), json!(o.state_machine_arn()));
            put(
                &mut m,
                "StateMachineVersionArn",
                o.state_machine_version_arn(),
            );
            m.insert("Status".into(), json!(o.status().as_str()));
            if let Some(t) = o.stop_date() {
                m.insert("StopDate".into(), sfn_millis(t));
            }
            put(&mut m, "TraceHeader", o.trace_header());
            Ok(Value::Object(m))
        })
    }

    fn stop_execution<'a>(
        &'a self,
        arn: &'a str,
        error: &'a str,
        cause: &'a str,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            self.0
                .stop_execution()
                .execution_arn(arn)
                .error(error)
                .cause(cause)
                .send()
                .await
                .map_err(sfn_error)?;
            Ok(())
        })
    }
}

struct SdkEcs(aws_sdk_ecs::Client);

impl EcsApi for SdkEcs {
    fn run_task(&self, params: &Value) -> BoxFuture<'_, Result<RunTaskResponse, ApiError>> {
        let req = run_task_request(&self.0, params);
        Box::pin(async move {
            let out = req?
                .send()
                .await
                .map_err(|e| api_error(e, "AmazonECSException"))?;
            Ok(RunTaskResponse {
                tasks: out.tasks().iter().map(task).collect(),
                failures: out
                    .failures()
                    .iter()
                    .map(|f| {
                        let mut m = Map::new();
                        put(&mut m, "Arn", f.arn());
                        put(&mut m, "Reason", f.reason());
                        put(&mut m, "Detail", f.detail());
                        Value::Object(m)
                    })
                    .collect(),
            })
        })
    }

    fn describe_tasks<'a>(
        &'a self,
        cluster: Option<&'a str>,
        arns: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<EcsTask>, ApiError>> {
        Box::pin(async move {
            let out = self
                .0
                .describe_tasks()
                .set_cluster(cluster.map(str::to_string))
                .set_tasks(Some(arns.to_vec()))
                .send()
                .await
                .map_err(|e| api_error(e, "AmazonECSException"))?;
            Ok(out.tasks().iter().map(task).collect())
        })
    }

    fn essential_containers<'a>(
        &'a self,
        task_definition: &'a str,
    ) -> BoxFuture<'a, Result<Vec<String>, ApiError>> {
        Box::pin(async move {
            let out = self
                .0
                .describe_task_definition()
                .task_definition(task_definition)
                .send()
                .await
                .map_err(|e| api_error(e, "AmazonECSException"))?;
            Ok(out
                .task_definition()
                .map(|td| {
                    td.container_definitions()
                        .iter()
                        .filter(|c| c.essential().unwrap_or(true))
                        .filter_map(|c| c.name().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default())
        })
    }

    fn stop_task<'a>(
        &'a self,
        cluster: Option<&'a str>,
        arn: &'a str,
        reason: &'a str,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            self.0
                .stop_task()
                .set_cluster(cluster.map(str::to_string))
                .task(arn)
                .reason(reason)
                .send()
                .await
                .map_err(|e| api_error(e, "AmazonECSException"))?;
            Ok(())
        })
    }
}

fn put(m: &mut Map<String, Value>, k: &str, v: Option<&str>) {
    if let Some(v) = v {
        m.insert(k.into(), json!(v));
    }
}

fn millis(m: &mut Map<String, Value>, k: &str, v: Option<&aws_sdk_ecs::primitives::DateTime>) {
    if let Some(t) = v.and_then(|t| t.to_millis().ok()) {
        m.insert(k.into(), json!(t));
    }
}

/// A described task in Step Functions' PascalCase.
fn task(t: &ecs::Task) -> EcsTask {
    let mut m = Map::new();
    put(&mut m, "AvailabilityZone", t.availability_zone());
    put(&mut m, "ClusterArn", t.cluster_arn());
    let containers: Vec<Value> = t
        .containers()
        .iter()
        .map(|c| {
            let mut cm = Map::new();
            put(&mut cm, "ContainerArn", c.container_arn());
            if let Some(x) = c.exit_code() {
                cm.insert("ExitCode".into(), json!(x));
            }
            put(&mut cm, "Image", c.image());
            put(&mut cm, "LastStatus", c.last_status());
            put(&mut cm, "Name", c.name());
            put(&mut cm, "Reason", c.reason());
            put(&mut cm, "RuntimeId", c.runtime_id());
            put(&mut cm, "TaskArn", c.task_arn());
            Value::Object(cm)
        })
        .collect();
    m.insert("Containers".into(), Value::Array(containers));
    put(&mut m, "Cpu", t.cpu());
    millis(&mut m, "CreatedAt", t.created_at());
    put(&mut m, "DesiredStatus", t.desired_status());
    put(&mut m, "Group", t.group());
    put(&mut m, "LastStatus", t.last_status());
    put(&mut m, "LaunchType", t.launch_type().map(|l| l.as_str()));
    put(&mut m, "Memory", t.memory());
    put(&mut m, "PlatformVersion", t.platform_version());
    millis(&mut m, "StartedAt", t.started_at());
    put(&mut m, "StartedBy", t.started_by());
    put(&mut m, "StopCode", t.stop_code().map(|s| s.as_str()));
    millis(&mut m, "StoppedAt", t.stopped_at());
    put(&mut m, "StoppedReason", t.stopped_reason());
    millis(&mut m, "StoppingAt", t.stopping_at());
    put(&mut m, "TaskArn", t.task_arn());
    put(&mut m, "TaskDefinitionArn", t.task_definition_arn());
    m.insert("Version".into(), json!(t.version()));
    EcsTask {
        arn: t.task_arn().unwrap_or_default().to_string(),
        last_status: t.last_status().unwrap_or_default().to_string(),
        task_definition_arn: t.task_definition_arn().map(str::to_string),
        containers: t
            .containers()
            .iter()
            .map(|c| EcsContainer {
                name: c.name().unwrap_or_default().to_string(),
                exit_code: c.exit_code(),
                reason: c.reason().map(str::to_string),
            })
            .collect(),
        json: Value::Object(m),
    }
}

/// Reads PascalCase parameters, refusing fields it does not know.
struct Fields<'a> {
    at: String,
    m: &'a Map<String, Value>,
    known: &'static [&'static str],
}

impl<'a> Fields<'a> {
    fn new(at: &str, v: &'a Value, known: &'static [&'static str]) -> Result<Self, ApiError> {
        let Some(m) = v.as_object() else {
            return Err(ApiError::local(format!(
                "ECS parameter `{at}` must be an object, found {v}"
            )));
        };
        if let Some(k) = m.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(ApiError::local(format!(
                "ECS parameter `{at}{}{k}` is not supported by asl (it knows {})",
                if at.is_empty() { "" } else { "." },
                known.join(", ")
            )));
        }
        Ok(Fields {
            at: at.to_string(),
            m,
            known,
        })
    }

    fn path(&self, k: &str) -> String {
        debug_assert!(self.known.contains(&k));
        if self.at.is_empty() {
            k.to_string()
        } else {
            format!("{}.{k}", self.at)
        }
    }

    fn get(&self, k: &str) -> Option<&'a Value> {
        self.m.get(k).filter(|v| !v.is_null())
    }

    fn str(&self, k: &str) -> Result<Option<String>, ApiError> {
        match self.get(k) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(ApiError::local(format!(
                "ECS parameter `{}` must be a string, found {v}",
                self.path(k)
            ))),
        }
    }

    fn int(&self, k: &str) -> Result<Option<i32>, ApiError> {
        match self.get(k) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| {
                    ApiError::local(format!(
                        "ECS parameter `{}` must be an integer, found {v}",
                        self.path(k)
                    ))
                }),
        }
    }

    fn bool(&self, k: &str) -> Result<Option<bool>, ApiError> {
        match self.get(k) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(ApiError::local(format!(
                "ECS parameter `{}` must be true or false, found {v}",
                self.path(k)
            ))),
        }
    }

    fn strs(&self, k: &str) -> Result<Option<Vec<String>>, ApiError> {
        match self.get(k) {
            None => Ok(None),
            Some(Value::Array(a)) => a
                .iter()
                .map(|x| {
                    x.as_str().map(str::to_string).ok_or_else(|| {
                        ApiError::local(format!(
                            "ECS parameter `{}` must be an array of strings",
                            self.path(k)
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(v) => Err(ApiError::local(format!(
                "ECS parameter `{}` must be an array, found {v}",
                self.path(k)
            ))),
        }
    }

    fn objects(&self, k: &str) -> Result<Vec<&'a Value>, ApiError> {
        match self.get(k) {
            None => Ok(Vec::new()),
            Some(Value::Array(a)) => Ok(a.iter().collect()),
            Some(v) => Err(ApiError::local(format!(
                "ECS parameter `{}` must be an array, found {v}",
                self.path(k)
            ))),
        }
    }
}

fn build_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::local(format!("invalid ECS parameters: {e}"))
}

fn run_task_request(
    client: &aws_sdk_ecs::Client,
    params: &Value,
) -> Result<aws_sdk_ecs::operation::run_task::builders::RunTaskFluentBuilder, ApiError> {
    let p = Fields::new(
        "",
        params,
        &[
            "Cluster",
            "TaskDefinition",
            "LaunchType",
            "Count",
            "Group",
            "StartedBy",
            "PlatformVersion",
            "NetworkConfiguration",
            "Overrides",
            "CapacityProviderStrategy",
            "Tags",
            "PropagateTags",
            "EnableExecuteCommand",
            "EnableECSManagedTags",
            "ReferenceId",
            "ClientToken",
        ],
    )?;
    let mut r = client
        .run_task()
        .set_cluster(p.str("Cluster")?)
        .set_task_definition(p.str("TaskDefinition")?)
        .set_launch_type(p.str("LaunchType")?.as_deref().map(ecs::LaunchType::from))
        .set_count(p.int("Count")?)
        .set_group(p.str("Group")?)
        .set_started_by(p.str("StartedBy")?)
        .set_platform_version(p.str("PlatformVersion")?)
        .set_propagate_tags(
            p.str("PropagateTags")?
                .as_deref()
                .map(ecs::PropagateTags::from),
        )
        .set_enable_execute_command(p.bool("EnableExecuteCommand")?)
        .set_enable_ecs_managed_tags(p.bool("EnableECSManagedTags")?)
        .set_reference_id(p.str("ReferenceId")?)
        .set_client_token(p.str("ClientToken")?);
    if let Some(n) = p.get("NetworkConfiguration") {
        let n = Fields::new("NetworkConfiguration", n, &["AwsvpcConfiguration"])?;
        if let Some(a) = n.get("AwsvpcConfiguration") {
            let a = Fields::new(
                "NetworkConfiguration.AwsvpcConfiguration",
                a,
                &["Subnets", "SecurityGroups", "AssignPublicIp"],
            )?;
            let vpc = ecs::AwsVpcConfiguration::builder()
                .set_subnets(a.strs("Subnets")?)
                .set_security_groups(a.strs("SecurityGroups")?)
                .set_assign_public_ip(
                    a.str("AssignPublicIp")?
                        .as_deref()
                        .map(ecs::AssignPublicIp::from),
                )
                .build()
                .map_err(build_error)?;
            r = r.network_configuration(
                ecs::NetworkConfiguration::builder()
                    .awsvpc_configuration(vpc)
                    .build(),
            );
        }
    }
    if let Some(o) = p.get("Overrides") {
        let o = Fields::new(
            "Overrides",
            o,
            &[
                "ContainerOverrides",
                "Cpu",
                "Memory",
                "TaskRoleArn",
                "ExecutionRoleArn",
            ],
        )?;
        let mut b = ecs::TaskOverride::builder()
            .set_cpu(o.str("Cpu")?)
            .set_memory(o.str("Memory")?)
            .set_task_role_arn(o.str("TaskRoleArn")?)
            .set_execution_role_arn(o.str("ExecutionRoleArn")?);
        for c in o.objects("ContainerOverrides")? {
            let c = Fields::new(
                "Overrides.ContainerOverrides[]",
                c,
                &[
                    "Name",
                    "Command",
                    "Environment",
                    "Cpu",
                    "Memory",
                    "MemoryReservation",
                ],
            )?;
            let mut cb = ecs::ContainerOverride::builder()
                .set_name(c.str("Name")?)
                .set_command(c.strs("Command")?)
                .set_cpu(c.int("Cpu")?)
                .set_memory(c.int("Memory")?)
                .set_memory_reservation(c.int("MemoryReservation")?);
            for e in c.objects("Environment")? {
                let e = Fields::new(
                    "Overrides.ContainerOverrides[].Environment[]",
                    e,
                    &["Name", "Value"],
                )?;
                cb = cb.environment(
                    ecs::KeyValuePair::builder()
                        .set_name(e.str("Name")?)
                        .set_value(e.str("Value")?)
                        .build(),
                );
            }
            b = b.container_overrides(cb.build());
        }
        r = r.overrides(b.build());
    }
    for s in p.objects("CapacityProviderStrategy")? {
        let s = Fields::new(
            "CapacityProviderStrategy[]",
            s,
            &["CapacityProvider", "Weight", "Base"],
        )?;
        r = r.capacity_provider_strategy(
            ecs::CapacityProviderStrategyItem::builder()
                .set_capacity_provider(s.str("CapacityProvider")?)
                .set_weight(s.int("Weight")?)
                .set_base(s.int("Base")?)
                .build()
                .map_err(build_error)?,
        );
    }
    for t in p.objects("Tags")? {
        let t = Fields::new("Tags[]", t, &["Key", "Value"])?;
        r = r.tags(
            ecs::Tag::builder()
                .set_key(t.str("Key")?)
                .set_value(t.str("Value")?)
                .build(),
        );
    }
    Ok(r)
}
