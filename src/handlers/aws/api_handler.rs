//! Task states that call an AWS API through the model-driven client: every
//! `arn:aws:states:::aws-sdk:SERVICE:ACTION` (request-response and `.waitForTaskToken`),
//! and every optimized integration of `optimized::OPTIMIZED` (request-response,
//! `.waitForTaskToken`, and `.sync`, followed to the job's end by its describe operation and
//! stopped by its stop operation when the run ends first).
//!
//! Results and errors take Step Functions' shapes: PascalCase members; `SdkHttpMetadata` and
//! `SdkResponseMetadata` where an optimized integration adds them; errors
//! `Prefix.ErrorName` with AWS's prefix (`DynamoDb.` for the SDK integration, `DynamoDB.` for
//! the optimized one) and the `Exception` suffix Step Functions always adds; causes as the
//! Java SDK writes them (`message (Service: S3, Status Code: 404, Request ID: ...)`).

use super::adjust;
use super::batched::Batches;
use super::bedrock;
use super::http_task::{HttpAuth, HttpTasks};
use super::model::Service;
use super::optimized::{self, Adjust, Optimized, SyncJob};
use super::params::{self, ParamError};
use super::protocol::ServiceError;
use super::transport::{Answer, ApiClient, CallError};
use super::{Pending, PollPolicy, join_pending, spawn_pending};
use crate::definition::{Pattern, ResourceKind};
use crate::engine::{Failure, Fault, TaskError, TaskRequest};
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};

/// Calls AWS APIs for Task states and follows `.sync` jobs.
pub struct ApiHandler {
    client: ApiClient,
    http: HttpTasks,
    poll: PollPolicy,
    /// `.sync` jobs started and not yet finished: how to stop each.
    running: Arc<Mutex<Vec<(u64, StopCall)>>>,
    next_job: std::sync::atomic::AtomicU64,
    pending: Arc<Pending>,
    /// The shared pollers of `.sync` waits on operations that take many jobs.
    batches: Arc<Batches>,
}

/// How to stop a job: an operation with its input in the model's names, or a request to a
/// cluster's Kubernetes API server (deleting an `eks:runJob` Job).
#[derive(Clone)]
enum StopCall {
    Api {
        service: Arc<Service>,
        operation: &'static str,
        input: Value,
    },
    Kube(super::transport::KubeRequest),
}

/// What a resource asks of the API handler.
pub(crate) enum Call<'a> {
    Sdk { service: &'a str, action: &'a str },
    Optimized(&'static Optimized),
    ApiGateway,
    HttpInvoke,
    EksApi,
    EksRunJob,
}

/// Whether the API handler can run `kind` with `pattern`: `None` if it can, or why not.
pub(crate) fn supports(kind: &ResourceKind, pattern: Pattern) -> Result<Call<'_>, String> {
    match kind {
        ResourceKind::AwsSdk { service, action } => {
            let Some(entry) = super::model::entry(service) else {
                return Err(super::model::unknown_service(service));
            };
            if matches!(pattern, Pattern::Sync | Pattern::Sync2) {
                return Err("the AWS SDK integration has no `.sync` pattern".into());
            }
            match ApiClient::service(entry.sdk_name) {
                Ok(s) if s.operation(action).is_some() => Ok(Call::Sdk { service, action }),
                Ok(s) => {
                    let names: Vec<String> = s
                        .operation_names()
                        .map(|n| {
                            let mut c = n.chars();
                            c.next()
                                .map(|f| f.to_lowercase().chain(c).collect())
                                .unwrap_or_default()
                        })
                        .collect();
                    let names: Vec<&str> = names.iter().map(String::as_str).collect();
                    Err(format!(
                        "`{action}` is not an action of `{service}`{}",
                        crate::definition::diagnostic::did_you_mean_in(action, &names)
                    ))
                }
                Err(CallError::Request(m)) => Err(m),
                Err(_) => Err(format!("the model of `{service}` cannot be read")),
            }
        }
        ResourceKind::Service { service, action }
            if service == "apigateway" && action == "invoke" =>
        {
            match pattern {
                Pattern::RequestResponse | Pattern::WaitForTaskToken => Ok(Call::ApiGateway),
                _ => Err("Step Functions offers `apigateway:invoke` as request-response and `.waitForTaskToken` only".into()),
            }
        }
        ResourceKind::Service { service, action } if service == "http" && action == "invoke" => {
            match pattern {
                Pattern::RequestResponse => Ok(Call::HttpInvoke),
                _ => Err("Step Functions offers the HTTP Task (`http:invoke`) as request-response only".into()),
            }
        }
        ResourceKind::Service { service, action } if service == "eks" && action == "call" => {
            match pattern {
                Pattern::RequestResponse => Ok(Call::EksApi),
                _ => Err("Step Functions offers `eks:call` as request-response only".into()),
            }
        }
        ResourceKind::Service { service, action } if service == "eks" && action == "runJob" => {
            match pattern {
                Pattern::RequestResponse | Pattern::Sync => Ok(Call::EksRunJob),
                _ => Err("Step Functions offers `eks:runJob` as request-response and `.sync` only".into()),
            }
        }
        ResourceKind::Service { service, action } => {
            let Some(o) = optimized::find(service, action) else {
                return Err(format!(
                    "`{service}:{action}` is not an optimized integration of Step Functions"
                ));
            };
            let p = &o.patterns;
            let offered = match pattern {
                Pattern::RequestResponse => p.request_response,
                Pattern::Sync => p.sync && o.sync.is_some(),
                Pattern::Sync2 => p.sync2 && o.sync.is_some(),
                Pattern::WaitForTaskToken => p.callback,
            };
            if !offered {
                return Err(format!(
                    "Step Functions offers no such pattern for `{service}:{action}`"
                ));
            }
            Ok(Call::Optimized(o))
        }
        _ => Err("not an AWS API call".into()),
    }
}

impl ApiHandler {
    pub fn new(client: ApiClient, poll: PollPolicy) -> Self {
        ApiHandler {
            http: HttpTasks {
                client: client.clone(),
                auth: HttpAuth::Connection,
            },
            client,
            poll,
            running: Arc::default(),
            next_job: Default::default(),
            pending: Arc::default(),
            batches: Arc::default(),
        }
    }

    /// How HTTP Tasks authorize their requests (`--http-auth`).
    pub fn with_http_auth(mut self, auth: HttpAuth) -> Self {
        self.http.auth = auth;
        self
    }

    pub async fn run(&self, request: &TaskRequest) -> Result<Value, TaskError> {
        let call = supports(&request.resource.kind, request.resource.pattern)
            .map_err(|m| fault(request, &m))?;
        match call {
            Call::Sdk { service, action } => self.sdk(request, service, action).await,
            Call::Optimized(o) => self.optimized(request, o).await,
            Call::ApiGateway => self.http.api_gateway(request).await,
            Call::HttpInvoke => self.http.http_invoke(request).await,
            Call::EksApi => super::eks::call(&self.client, request).await,
            Call::EksRunJob => self.eks_run_job(request).await,
        }
    }

    /// `eks:runJob`: creates the Job; `.sync` follows it to its end (deleting it if the state
    /// is abandoned first) and adds its pods' logs when `LogOptions.RetrieveLogs`.
    async fn eks_run_job(&self, request: &TaskRequest) -> Result<Value, TaskError> {
        use super::eks::{self, JobState};
        let job = eks::create_job(&self.client, request).await?;
        if request.resource.pattern != Pattern::Sync {
            return Ok(job.created);
        }
        if let Some(tx) = &request.submitted {
            let _ = tx.send(job.created.clone());
        }
        let guard = self.register(StopCall::Kube(eks::delete(&job)));
        let mut delay = self.poll.initial;
        let (done, failed) = loop {
            tokio::time::sleep(delay).await;
            delay = delay.mul_f64(self.poll.factor).min(self.poll.max);
            match eks::poll_job(&self.client, request, &job).await? {
                JobState::Running => {}
                JobState::Complete(j) => break (j, false),
                JobState::Failed(j) => break (j, true),
            }
        };
        let mut guard = guard;
        guard.done = true;
        drop(guard);
        let mut out = done;
        let retrieve = request
            .input
            .pointer("/LogOptions/RetrieveLogs")
            .and_then(Value::as_bool)
            == Some(true);
        if retrieve && let Value::Object(m) = &mut out {
            m.insert("logs".into(), eks::logs(&self.client, request, &job).await);
        }
        if failed {
            return Err(TaskError::Failed(Failure::new(
                "States.TaskFailed",
                out.to_string(),
            )));
        }
        Ok(out)
    }

    /// Keeps `stop` until the returned guard is marked done; a guard dropped before that (the
    /// state abandoned) runs it in the background.
    fn register(&self, stop: StopCall) -> JobGuard<'_> {
        let id = self
            .next_job
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((id, stop));
        JobGuard {
            id,
            handler: self,
            done: false,
        }
    }

    async fn sdk(
        &self,
        request: &TaskRequest,
        service: &str,
        action: &str,
    ) -> Result<Value, TaskError> {
        let s = ApiClient::service(service).map_err(|e| call_fault(request, e))?;
        let prefix = s.entry.error_prefix;
        let (output, _) = self
            .call(request, &s, action, &request.input, &|e| {
                sdk_error(&s, prefix, e)
            })
            .await?;
        Ok(output)
    }

    /// One call: Step Functions' parameters in, the PascalCase result out.
    async fn call(
        &self,
        request: &TaskRequest,
        s: &Service,
        action: &str,
        params: &Value,
        name_error: &(dyn Fn(&ServiceError) -> Failure + Sync),
    ) -> Result<(Value, Meta), TaskError> {
        self.call_with_body(request, s, action, params, None, name_error)
            .await
    }

    /// [`ApiHandler::call`] whose `Body` member, when `body` is given, is those exact bytes
    /// (which no JSON parameter can carry: a string is sent as its UTF-8 text).
    async fn call_with_body(
        &self,
        request: &TaskRequest,
        s: &Service,
        action: &str,
        params: &Value,
        body: Option<&[u8]>,
        name_error: &(dyn Fn(&ServiceError) -> Failure + Sync),
    ) -> Result<(Value, Meta), TaskError> {
        let op = s.operation(action).ok_or_else(|| {
            fault(
                request,
                &format!("`{action}` is not an operation of `{}`", s.entry.sdk_name),
            )
        })?;
        let mut input =
            params::operation_input(&op, params).map_err(|e| param_failure(request, e))?;
        if let Some(bytes) = body
            && let Some(member) = op
                .input()
                .and_then(|shape| params::member_for(&shape, "Body"))
            && let Value::Object(m) = &mut input
        {
            use base64::Engine;
            let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
            m.insert(member.name.to_string(), Value::String(b64));
        }
        let result = self.client.call(s, op.name, &input).await.map(|mut a| {
            a.output = params::operation_result(&op, a.output);
            a
        });
        answered(request, s.entry.error_prefix, result, name_error)
    }

    async fn optimized(
        &self,
        request: &TaskRequest,
        o: &'static Optimized,
    ) -> Result<Value, TaskError> {
        let s = ApiClient::service(o.model).map_err(|e| call_fault(request, e))?;
        let named = |e: &ServiceError| optimized_error(&s, o.error_prefix, e);
        let sync = matches!(request.resource.pattern, Pattern::Sync | Pattern::Sync2);
        let mut params = request.input.clone();
        for at in o.json_text {
            adjust::json_text(&mut params, at);
        }
        let s3_io = if o.adjust.iter().any(|a| matches!(a, Adjust::BedrockS3Io)) {
            bedrock::take(&mut params).map_err(|e| param_failure(request, e))?
        } else {
            bedrock::S3Io::default()
        };
        for a in o.adjust {
            self.adjust_params(request, &s, a, &mut params, sync, &named)
                .await?;
        }
        let body = match &s3_io.input {
            Some(from) => Some(bedrock::read(&self.client, request, from, &mut params).await?),
            None => None,
        };
        let (mut out, meta) = self
            .call_with_body(request, &s, o.operation, &params, body.as_deref(), &named)
            .await?;
        if let Some(to) = &s3_io.output {
            bedrock::write(&self.client, request, to, &mut out).await?;
        }
        for a in o.adjust {
            adjust::result(a, &params, &mut out)?;
        }
        let job = match (sync, o.sync.as_ref()) {
            (true, Some(job)) => job,
            _ => {
                if o.metadata {
                    add_metadata(&mut out, &meta);
                }
                return Ok(out);
            }
        };
        if let Some(tx) = &request.submitted {
            let _ = tx.send(out.clone());
        }
        let mut done = self.follow(request, &s, o, job, &params, &out).await?;
        if job.output == optimized::START_ANSWER && o.metadata {
            add_metadata(&mut done, &meta);
        }
        Ok(done)
    }

    /// One parameter difference between the optimized integration and the API call.
    async fn adjust_params(
        &self,
        request: &TaskRequest,
        s: &Service,
        a: &Adjust,
        params: &mut Value,
        sync: bool,
        named: &(dyn Fn(&ServiceError) -> Failure + Sync),
    ) -> Result<(), TaskError> {
        match a {
            Adjust::Rename { from, to } => {
                if let Some(v) = adjust::take(params, from) {
                    adjust::put(params, to, v);
                }
            }
            Adjust::Wrap { from, to } => {
                if let Some(v) = adjust::take(params, from) {
                    adjust::put(params, to, Value::Array(vec![v]));
                }
            }
            Adjust::Set { at, json } => {
                if let Ok(v) = serde_json::from_str(json) {
                    adjust::put(params, at, v);
                }
            }
            Adjust::AppendOnSync { at, json } if sync => {
                if let Ok(v) = serde_json::from_str(json) {
                    adjust::append(params, at, v);
                }
            }
            Adjust::AppendOnSync { .. } => {}
            Adjust::AppendExecutionResources { entries } => {
                let ctx = &request.context;
                let arns: Vec<Value> = ["/StateMachine/Id", "/Execution/Id"]
                    .iter()
                    .filter_map(|p| ctx.pointer(p).cloned())
                    .collect();
                if let Some(Value::Array(items)) = params.pointer_mut(entries) {
                    for item in items {
                        for arn in &arns {
                            adjust::append(item, "/Resources", arn.clone());
                        }
                    }
                }
            }
            Adjust::IdByName {
                list,
                args: spec,
                items,
                key,
                name,
                id,
                to,
            } => {
                let wanted = adjust::take(params, name).unwrap_or(Value::Null);
                let input = args(spec, params, &Value::Null);
                let (listed, _) = self.call(request, s, list, &input, named).await?;
                let found = listed
                    .pointer(items)
                    .and_then(Value::as_array)
                    .and_then(|a| a.iter().find(|x| x.get(*key) == Some(&wanted)))
                    .and_then(|x| x.get(*id))
                    .cloned();
                match found {
                    Some(v) => adjust::put(params, to, v),
                    None => {
                        return Err(TaskError::Failed(Failure::new(
                            format!("{}.ValidationException", s.entry.error_prefix),
                            format!("no element of `{list}` is named {wanted}"),
                        )));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Polls a `.sync` job to its end; stops it if the state is abandoned first.
    async fn follow(
        &self,
        request: &TaskRequest,
        s: &Arc<Service>,
        o: &'static Optimized,
        job: &'static SyncJob,
        params: &Value,
        started: &Value,
    ) -> Result<Value, TaskError> {
        let describe_params = args(job.args, params, started);
        let guard = job.stop.map(|(op, a)| {
            let stop_params = args(a, params, started);
            let input = s
                .operation(op)
                .and_then(|op| op.input())
                .and_then(|shape| params::to_input(&shape, &stop_params).ok())
                .unwrap_or(stop_params);
            self.register(StopCall::Api {
                service: s.clone(),
                operation: op,
                input,
            })
        });
        let named = |e: &ServiceError| optimized_error(s, o.error_prefix, e);
        let mut delay = self.poll.initial;
        let result = loop {
            let answer = match job.many {
                // Waits on an operation that takes many jobs share its poller, which paces them.
                Some(many) => {
                    let reply = self
                        .batches
                        .describe(
                            &self.client,
                            s,
                            job.describe,
                            many,
                            &describe_params,
                            self.poll,
                        )
                        .await;
                    answered(request, s.entry.error_prefix, reply, &named)
                }
                None => {
                    tokio::time::sleep(delay).await;
                    delay = delay.mul_f64(self.poll.factor).min(self.poll.max);
                    self.call(request, s, job.describe, &describe_params, &named)
                        .await
                }
            };
            let described = match answer.map(|(v, _)| v) {
                Err(TaskError::Failed(f))
                    if job.gone.is_some_and(|g| {
                        f.error == format!("{}.{g}", o.error_prefix)
                            || f.error.ends_with(&format!(".{g}"))
                    }) =>
                {
                    break Ok(started.clone());
                }
                other => other?,
            };
            let subject = match &job.pick {
                Some(p) => {
                    let want = source(p.equals, params, started);
                    described
                        .pointer(p.array)
                        .and_then(Value::as_array)
                        .and_then(|a| a.iter().find(|x| x.get(p.key) == want.as_ref()))
                        .cloned()
                        .unwrap_or(Value::Null)
                }
                None => described,
            };
            let status = pointer(&subject, job.status)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let part = |subject: &Value| {
                if job.output == optimized::START_ANSWER {
                    started.clone()
                } else {
                    pointer(subject, job.output)
                        .cloned()
                        .unwrap_or_else(|| subject.clone())
                }
            };
            if job.succeeded.contains(&status.as_str()) {
                let out = part(&subject);
                break Ok(if job.output_key.is_empty() {
                    out
                } else {
                    json!({ job.output_key: out })
                });
            }
            if job.failed.contains(&status.as_str()) {
                let detail = pointer(
                    &subject,
                    if job.output == optimized::START_ANSWER {
                        ""
                    } else {
                        job.output
                    },
                )
                .cloned()
                .unwrap_or(subject);
                break Err(TaskError::Failed(Failure::new(
                    job.error,
                    detail.to_string(),
                )));
            }
        };
        if let Some(mut g) = guard {
            g.done = true;
        }
        result
    }

    /// Stops every `.sync` job still running (a run that ended early), and waits for stops
    /// already under way.
    pub async fn stop_outstanding(&self) {
        let jobs: Vec<StopCall> = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
            .map(|(_, c)| c)
            .collect();
        for job in jobs {
            stop(&self.client, &job).await;
        }
        join_pending(&self.pending).await;
    }
}

/// A call's answer (its output already in Step Functions' names) as a step's result, or its
/// error as Step Functions names it.
pub(super) fn answered(
    request: &TaskRequest,
    prefix: &str,
    result: Result<Answer, CallError>,
    name_error: &(dyn Fn(&ServiceError) -> Failure + Sync),
) -> Result<(Value, Meta), TaskError> {
    match result {
        Ok(Answer {
            output,
            status,
            headers,
        }) => Ok((output, Meta { status, headers })),
        Err(CallError::Service(e)) => Err(TaskError::Failed(name_error(&e))),
        Err(CallError::Timeout) => Err(TaskError::Failed(Failure::new(
            format!("{prefix}.ClientExecutionTimeoutException"),
            "the call did not complete in time (see --aws-timeout)",
        ))),
        Err(CallError::Unreadable(m)) => Err(TaskError::Failed(Failure::new(
            format!("{prefix}.SdkClientException"),
            format!("the service's answer could not be read: {m}"),
        ))),
        Err(e) => Err(call_fault(request, e)),
    }
}

async fn stop(client: &ApiClient, job: &StopCall) {
    match job {
        StopCall::Api {
            service,
            operation,
            input,
        } => {
            if let Err(e) = client.call(service, operation, input).await {
                say!(
                    "asl: could not stop a job with {}:{operation}: {e:?}",
                    service.entry.sdk_name
                );
            }
        }
        StopCall::Kube(delete) => match client.send_kube(delete.clone()).await {
            Ok(r) if (200..300).contains(&r.status) || r.status == 404 => {
                say!(
                    "asl: deleted Kubernetes job {} (its state ended before it)",
                    delete.url
                );
            }
            Ok(r) => say!(
                "asl: could not delete Kubernetes job {}: status {}: {}",
                delete.url,
                r.status,
                String::from_utf8_lossy(&r.body)
            ),
            Err(e) => say!("asl: could not delete Kubernetes job {}: {e:?}", delete.url),
        },
    }
}

/// Unregisters a finished job; an abandoned one (the state's future dropped: a failed
/// branch, a timeout) is stopped in the background.
struct JobGuard<'a> {
    id: u64,
    handler: &'a ApiHandler,
    done: bool,
}

impl Drop for JobGuard<'_> {
    fn drop(&mut self) {
        let mut running = self
            .handler
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let Some(i) = running.iter().position(|(id, _)| *id == self.id) else {
            return;
        };
        let (_, call) = running.remove(i);
        if !self.done {
            let client = self.handler.client.clone();
            spawn_pending(
                &self.handler.pending,
                async move { stop(&client, &call).await },
            );
        }
    }
}

/// A describe or stop operation's parameters: each member from a source (see
/// `optimized::SyncJob`): a pointer into the start call's answer, `request:` + a pointer into
/// its parameters, `literal:` + JSON text; a member written `Name[]` takes a one-element list.
fn args(spec: &[(&str, &str)], params: &Value, started: &Value) -> Value {
    let mut m = Map::new();
    for (member, from) in spec {
        let Some(v) = source(from, params, started) else {
            continue;
        };
        match member.strip_suffix("[]") {
            Some(name) => m.insert(name.to_string(), Value::Array(vec![v])),
            None => m.insert((*member).to_string(), v),
        };
    }
    Value::Object(m)
}

fn source(from: &str, params: &Value, started: &Value) -> Option<Value> {
    if let Some(p) = from.strip_prefix("request:") {
        return pointer(params, p).cloned();
    }
    if let Some(text) = from.strip_prefix("literal:") {
        return serde_json::from_str(text).ok();
    }
    pointer(started, from).cloned()
}

fn pointer<'v>(v: &'v Value, p: &str) -> Option<&'v Value> {
    if p.is_empty() { Some(v) } else { v.pointer(p) }
}

/// The HTTP status and headers of an answer.
pub(super) struct Meta {
    status: u16,
    headers: Vec<(String, String)>,
}

/// A header's name as AWS's servers spell it (`Content-Type`, `x-amzn-RequestId`); HTTP
/// names are case-insensitive and arrive here in lower case.
pub(super) fn header_case(name: &str) -> String {
    match name {
        "x-amzn-requestid" => "x-amzn-RequestId".into(),
        "x-amzn-trace-id" => "X-Amzn-Trace-Id".into(),
        n if n.starts_with("x-amz") => n.into(),
        n => n
            .split('-')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect::<String>())
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("-"),
    }
}

/// `SdkHttpMetadata` (the answer's status and headers) and `SdkResponseMetadata` (its
/// request id), as the optimized integrations add them.
fn add_metadata(out: &mut Value, meta: &Meta) {
    let Value::Object(m) = out else { return };
    let mut headers = Map::new();
    let mut all = Map::new();
    for (k, v) in &meta.headers {
        let name = header_case(k);
        headers.insert(name.clone(), json!(v));
        if let Value::Array(a) = all.entry(name).or_insert_with(|| json!([])) {
            a.push(json!(v));
        }
    }
    let request_id = ["x-amzn-requestid", "x-amz-request-id"]
        .iter()
        .find_map(|h| meta.headers.iter().find(|(k, _)| k == h))
        .map(|(_, v)| v.clone());
    m.insert(
        "SdkHttpMetadata".into(),
        json!({"AllHttpHeaders": all, "HttpHeaders": headers, "HttpStatusCode": meta.status}),
    );
    m.insert(
        "SdkResponseMetadata".into(),
        json!({"RequestId": request_id}),
    );
}

/// `Prefix.Name` with the `Exception` suffix Step Functions always adds.
fn error_name(prefix: &str, name: &str) -> String {
    if name.ends_with("Exception") {
        format!("{prefix}.{name}")
    } else {
        format!("{prefix}.{name}Exception")
    }
}

/// The Java SDK's cause: `message (Service: S3, Status Code: 404, Request ID: ..., ...)`.
fn cause(service_name: &str, e: &ServiceError) -> String {
    let mut c = format!(
        "{} (Service: {service_name}, Status Code: {}, Request ID: {}",
        e.message,
        e.status,
        e.request_id.as_deref().unwrap_or("null")
    );
    if let Some(x) = &e.extended_request_id {
        c.push_str(&format!(", Extended Request ID: {x}"));
    }
    c.push(')');
    c
}

/// An AWS SDK integration's error: a modelled exception by its shape's name, anything else
/// as the service's base exception (`SecretsManager.SecretsManagerException`).
pub(super) fn sdk_error(s: &Service, prefix: &str, e: &ServiceError) -> Failure {
    let name = match s.exception(&e.code) {
        Some(shape) => shape.name.to_string(),
        None => format!("{prefix}Exception"),
    };
    Failure::new(error_name(prefix, &name), cause(prefix, e))
}

/// An optimized integration's error: a modelled exception by its shape's name, anything else
/// as the older Java SDK's base exception (`DynamoDB.AmazonDynamoDBException`).
fn optimized_error(s: &Service, prefix: &str, e: &ServiceError) -> Failure {
    let name = match s.exception(&e.code) {
        Some(shape) => shape.name.to_string(),
        None => format!("Amazon{prefix}Exception"),
    };
    Failure::new(error_name(prefix, &name), cause(prefix, e))
}

fn param_failure(request: &TaskRequest, e: ParamError) -> TaskError {
    TaskError::Failed(Failure::new(
        "States.Runtime",
        format!(
            "An error occurred while executing the state '{}'. The parameters do not fit `{}`: {} (at {})",
            request.state_name,
            request.resource.arn,
            e.message,
            if e.pointer.is_empty() {
                "/"
            } else {
                &e.pointer
            }
        ),
    ))
}

fn fault(request: &TaskRequest, m: &str) -> TaskError {
    TaskError::Fault(Fault::new(format!(
        "the Task state `{}` (resource `{}`) cannot run on AWS: {m}",
        request.state_name, request.resource.arn
    )))
}

pub(super) fn call_fault(request: &TaskRequest, e: CallError) -> TaskError {
    let m = match e {
        CallError::Unreachable(m) => format!("AWS was not reached: {m}"),
        CallError::Request(m) => m,
        other => format!("{other:?}"),
    };
    fault(request, &m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::Resource;
    use crate::handlers::aws::protocol::{HttpRequest, HttpResponse};
    use crate::handlers::aws::transport::{Transport, TransportError};
    use futures::future::BoxFuture;
    use std::time::Duration;

    /// Answers by the operation a request names (`X-Amz-Target`'s last part, or the query
    /// form's `Action`), from a script of answers per operation; remembers every request.
    #[derive(Default)]
    struct Fake {
        script: Mutex<Vec<(String, HttpResponse)>>,
        seen: Mutex<Vec<(String, Value)>>,
    }

    fn op_of(r: &HttpRequest) -> String {
        r.headers
            .iter()
            .find(|(k, _)| k == "x-amz-target")
            .and_then(|(_, v)| v.rsplit('.').next())
            .unwrap_or("")
            .to_string()
    }

    impl Fake {
        fn answer(&self, op: &str, status: u16, body: Value) -> &Self {
            self.script.lock().unwrap().push((
                op.to_string(),
                HttpResponse {
                    status,
                    headers: vec![("x-amzn-requestid".into(), format!("rid-{op}"))],
                    body: body.to_string().into_bytes(),
                },
            ));
            self
        }

        fn calls(&self) -> Vec<String> {
            self.seen
                .lock()
                .unwrap()
                .iter()
                .map(|(o, _)| o.clone())
                .collect()
        }
    }

    impl Transport for Fake {
        fn send<'a>(
            &'a self,
            _service: &'a Service,
            request: HttpRequest,
        ) -> BoxFuture<'a, Result<HttpResponse, TransportError>> {
            let op = op_of(&request);
            let body = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
            self.seen.lock().unwrap().push((op.clone(), body));
            let mut script = self.script.lock().unwrap();
            let found = script.iter().position(|(o, _)| *o == op);
            let answer = match found {
                // The last answer of an operation repeats.
                Some(i) if script.iter().filter(|(o, _)| *o == op).count() > 1 => {
                    Ok(script.remove(i).1)
                }
                Some(i) => Ok(script[i].1.clone()),
                None => Err(TransportError::Unreachable(format!("no answer for {op}"))),
            };
            Box::pin(async move { answer })
        }
    }

    fn handler(fake: Arc<Fake>) -> ApiHandler {
        let mut client = ApiClient::new(fake, Duration::from_secs(5));
        client.backoff = Duration::from_millis(1);
        ApiHandler::new(
            client,
            PollPolicy {
                initial: Duration::from_millis(1),
                max: Duration::from_millis(2),
                factor: 2.0,
            },
        )
    }

    fn task(arn: &str, input: Value) -> TaskRequest {
        TaskRequest {
            state_name: "T".into(),
            resource: Resource::parse(arn),
            input,
            credentials: None,
            task_token: None,
            timeout: None,
            heartbeat: None,
            context: json!({"StateMachine": {"Id": "arn:sm"}, "Execution": {"Id": "arn:ex"}}),
            submitted: None,
            started: None,
            visit: 0,
        }
    }

    fn block<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    fn failed(r: Result<Value, TaskError>) -> Failure {
        match r {
            Err(TaskError::Failed(f)) => f,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn sdk_results_are_pascal_case_and_errors_carry_the_integrations_prefix() {
        let fake = Arc::new(Fake::default());
        fake.answer(
            "DescribeExecution",
            200,
            json!({"executionArn": "arn:e", "status": "RUNNING", "startDate": 0}),
        );
        let h = handler(fake.clone());
        let out = block(h.run(&task(
            "arn:aws:states:::aws-sdk:sfn:describeExecution",
            json!({"ExecutionArn": "arn:e"}),
        )))
        .unwrap();
        assert_eq!(
            out,
            json!({"ExecutionArn": "arn:e", "Status": "RUNNING", "StartDate": "1970-01-01T00:00:00Z"})
        );
        assert_eq!(
            fake.seen.lock().unwrap()[0].1,
            json!({"executionArn": "arn:e"})
        );

        let fake = Arc::new(Fake::default());
        fake.answer("GetItem", 400, json!({"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", "message": "Requested resource not found"}));
        fake.answer(
            "PutItem",
            400,
            json!({"__type": "com.amazon.coral.validate#ValidationException", "message": "bad"}),
        );
        let h = handler(fake);
        let f = failed(block(h.run(&task(
            "arn:aws:states:::aws-sdk:dynamodb:getItem",
            json!({"TableName": "t", "Key": {}}),
        ))));
        assert_eq!(f.error, "DynamoDb.ResourceNotFoundException");
        assert_eq!(
            f.cause.as_deref(),
            Some(
                "Requested resource not found (Service: DynamoDb, Status Code: 400, Request ID: rid-GetItem)"
            )
        );
        let f = failed(block(h.run(&task(
            "arn:aws:states:::dynamodb:getItem",
            json!({"TableName": "t", "Key": {}}),
        ))));
        assert_eq!(f.error, "DynamoDB.ResourceNotFoundException");
        // An error the model does not name is the service's base exception.
        let f = failed(block(h.run(&task(
            "arn:aws:states:::aws-sdk:dynamodb:putItem",
            json!({"TableName": "t", "Item": {}}),
        ))));
        assert_eq!(f.error, "DynamoDb.DynamoDbException");
        let f = failed(block(h.run(&task(
            "arn:aws:states:::dynamodb:putItem",
            json!({"TableName": "t", "Item": {}}),
        ))));
        assert_eq!(f.error, "DynamoDB.AmazonDynamoDBException");
    }

    #[test]
    fn a_parameter_the_operation_lacks_is_refused_with_where_and_a_suggestion() {
        let h = handler(Arc::new(Fake::default()));
        let f = failed(block(h.run(&task(
            "arn:aws:states:::aws-sdk:dynamodb:getItem",
            json!({"TableName": "t", "Keys": {}}),
        ))));
        assert_eq!(f.error, "States.Runtime");
        let cause = f.cause.unwrap();
        assert!(
            cause.contains("`Keys` is not a parameter of `GetItemInput` (did you mean `Key`?)"),
            "{cause}"
        );
        assert!(cause.contains("(at /Keys)"), "{cause}");
        let f = failed(block(h.run(&task(
            "arn:aws:states:::aws-sdk:dynamodb:getItem",
            json!({"TableName": "t", "Key": {"id": {"Q": "x"}}}),
        ))));
        assert!(f.cause.unwrap().contains("(at /Key/id/Q)"));
    }

    #[test]
    fn throttling_is_retried_and_a_slow_service_times_out() {
        let fake = Arc::new(Fake::default());
        fake.answer(
            "ListTables",
            400,
            json!({"__type": "ThrottlingException", "message": "slow down"}),
        )
        .answer("ListTables", 200, json!({"TableNames": ["a"]}));
        let h = handler(fake.clone());
        let out = block(h.run(&task(
            "arn:aws:states:::aws-sdk:dynamodb:listTables",
            json!({}),
        )))
        .unwrap();
        assert_eq!(out, json!({"TableNames": ["a"]}));
        assert_eq!(fake.calls(), ["ListTables", "ListTables"]);

        struct Silent;
        impl Transport for Silent {
            fn send<'a>(
                &'a self,
                _: &'a Service,
                _: HttpRequest,
            ) -> BoxFuture<'a, Result<HttpResponse, TransportError>> {
                Box::pin(futures::future::pending())
            }
        }
        let h = ApiHandler::new(
            ApiClient::new(Arc::new(Silent), Duration::from_millis(20)),
            PollPolicy::default(),
        );
        let f = failed(block(h.run(&task(
            "arn:aws:states:::aws-sdk:dynamodb:listTables",
            json!({}),
        ))));
        assert_eq!(f.error, "DynamoDb.ClientExecutionTimeoutException");
        // Not reaching the service is a fault, never a failure a Catch could see.
        let h = handler(Arc::new(Fake::default()));
        match block(h.run(&task(
            "arn:aws:states:::aws-sdk:dynamodb:listTables",
            json!({}),
        ))) {
            Err(TaskError::Fault(f)) => {
                assert!(f.message.contains("AWS was not reached"), "{}", f.message)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_sync_job_is_followed_to_its_end_and_its_failure_fails_the_state() {
        let fake = Arc::new(Fake::default());
        fake.answer("StartJobRun", 200, json!({"JobRunId": "jr-1"}))
            .answer(
                "GetJobRun",
                200,
                json!({"JobRun": {"Id": "jr-1", "JobRunState": "RUNNING"}}),
            )
            .answer(
                "GetJobRun",
                200,
                json!({"JobRun": {"Id": "jr-1", "JobRunState": "SUCCEEDED"}}),
            );
        let h = handler(fake.clone());
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut t = task(
            "arn:aws:states:::glue:startJobRun.sync",
            json!({"JobName": "j"}),
        );
        t.submitted = Some(tx);
        let out = block(h.run(&t)).unwrap();
        assert_eq!(out["JobRunState"], "SUCCEEDED");
        assert_eq!(fake.calls(), ["StartJobRun", "GetJobRun", "GetJobRun"]);
        assert_eq!(
            fake.seen.lock().unwrap()[1].1,
            json!({"JobName": "j", "RunId": "jr-1"})
        );
        assert_eq!(rx.try_recv().unwrap()["JobRunId"], "jr-1");

        let fake = Arc::new(Fake::default());
        fake.answer("StartJobRun", 200, json!({"JobRunId": "jr-2"}))
            .answer(
                "GetJobRun",
                200,
                json!({"JobRun": {"Id": "jr-2", "JobRunState": "FAILED", "ErrorMessage": "boom"}}),
            );
        let h = handler(fake);
        let f = failed(block(h.run(&task(
            "arn:aws:states:::glue:startJobRun.sync",
            json!({"JobName": "j"}),
        ))));
        assert_eq!(f.error, "States.TaskFailed");
        assert!(f.cause.unwrap().contains("boom"));
    }

    #[test]
    fn sync_waits_on_builds_share_one_describe_per_100_builds() {
        let fake = Arc::new(Fake::default());
        for i in 0..150 {
            fake.answer(
                "StartBuild",
                200,
                json!({"build": {"id": format!("p:{i}"), "buildStatus": "IN_PROGRESS"}}),
            );
        }
        let builds = |end: &str| -> Value {
            (0..150)
                .map(|i| {
                    let status = if i == 7 && end != "IN_PROGRESS" {
                        "FAILED"
                    } else {
                        end
                    };
                    json!({"id": format!("p:{i}"), "buildStatus": status})
                })
                .collect()
        };
        // The fake answers call by call: four calls (two rounds) see them running.
        for _ in 0..4 {
            fake.answer(
                "BatchGetBuilds",
                200,
                json!({"builds": builds("IN_PROGRESS")}),
            );
        }
        fake.answer(
            "BatchGetBuilds",
            200,
            json!({"builds": builds("SUCCEEDED")}),
        );
        let h = handler(fake.clone());
        let t = task(
            "arn:aws:states:::codebuild:startBuild.sync",
            json!({"ProjectName": "p"}),
        );
        let results = block(futures::future::join_all((0..150).map(|_| h.run(&t))));
        for (i, r) in results.into_iter().enumerate() {
            match r {
                Ok(out) => {
                    assert_ne!(i, 7, "{out}");
                    assert_eq!(out["Build"]["Id"], format!("p:{i}"));
                    assert_eq!(out["Build"]["BuildStatus"], "SUCCEEDED");
                }
                Err(e) => {
                    assert_eq!(i, 7, "{e:?}");
                    assert_eq!(failed(Err(e)).error, "States.TaskFailed");
                }
            }
        }
        // Two rounds see them running, the third sees their ends: each round is two calls,
        // of 100 and 50 builds.
        let seen = fake.seen.lock().unwrap();
        let sizes: Vec<usize> = seen
            .iter()
            .filter(|(o, _)| o == "BatchGetBuilds")
            .map(|(_, b)| b["ids"].as_array().map_or(0, Vec::len))
            .collect();
        assert_eq!(sizes, [100, 50, 100, 50, 100, 50]);
        assert_eq!(h.batches.calls(), 6);
    }

    #[test]
    fn an_abandoned_sync_job_is_stopped_and_so_is_one_left_running_at_the_end() {
        let fake = Arc::new(Fake::default());
        fake.answer("StartJobRun", 200, json!({"JobRunId": "jr-3"}))
            .answer(
                "GetJobRun",
                200,
                json!({"JobRun": {"Id": "jr-3", "JobRunState": "RUNNING"}}),
            )
            .answer("BatchStopJobRun", 200, json!({}));
        let h = handler(fake.clone());
        block(async {
            let t = task(
                "arn:aws:states:::glue:startJobRun.sync",
                json!({"JobName": "j"}),
            );
            // The state is abandoned (a failed branch, a timeout): its future is dropped.
            let r = tokio::time::timeout(Duration::from_millis(30), h.run(&t)).await;
            assert!(r.is_err());
            h.stop_outstanding().await;
        });
        let calls = fake.calls();
        assert_eq!(
            calls.iter().filter(|c| *c == "BatchStopJobRun").count(),
            1,
            "{calls:?}"
        );
        let stop = fake
            .seen
            .lock()
            .unwrap()
            .iter()
            .find(|(o, _)| o == "BatchStopJobRun")
            .unwrap()
            .1
            .clone();
        assert_eq!(stop, json!({"JobName": "j", "JobRunIds": ["jr-3"]}));
    }

    #[test]
    fn event_bridge_entries_name_the_execution_and_a_failed_entry_fails_the_state() {
        let fake = Arc::new(Fake::default());
        fake.answer(
            "PutEvents",
            200,
            json!({"FailedEntryCount": 1, "Entries": [{"ErrorCode": "X"}]}),
        );
        let h = handler(fake.clone());
        let f = failed(block(h.run(&task(
            "arn:aws:states:::events:putEvents",
            json!({"Entries": [{"Source": "s", "DetailType": "t", "Detail": {"k": 1}}]}),
        ))));
        assert_eq!(f.error, "EventBridge.FailedEntry");
        let sent = fake.seen.lock().unwrap()[0].1.clone();
        assert_eq!(
            sent,
            json!({"Entries": [{"Source": "s", "DetailType": "t", "Detail": "{\"k\":1}", "Resources": ["arn:sm", "arn:ex"]}]})
        );
    }

    #[test]
    fn unknown_services_actions_and_patterns_are_named() {
        let why = |arn: &str| {
            let r = Resource::parse(arn);
            supports(&r.kind, r.pattern).err().unwrap_or_default()
        };
        assert!(
            why("arn:aws:states:::aws-sdk:dynamodbb:getItem").contains("did you mean `dynamodb`?")
        );
        assert!(
            why("arn:aws:states:::aws-sdk:dynamodb:getItems").contains("did you mean `getItem`")
        );
        assert!(why("arn:aws:states:::aws-sdk:dynamodb:getItem.sync").contains("no `.sync`"));
        assert!(why("arn:aws:states:::dynamodb:query").contains("not an optimized integration"));
        assert!(why("arn:aws:states:::sns:publish.sync").contains("no such pattern"));
        assert_eq!(why("arn:aws:states:::sns:publish.waitForTaskToken"), "");
        // The Kubernetes API integrations: call is request-response, runJob also `.sync`.
        assert_eq!(why("arn:aws:states:::eks:call"), "");
        assert_eq!(why("arn:aws:states:::eks:runJob"), "");
        assert_eq!(why("arn:aws:states:::eks:runJob.sync"), "");
        assert!(why("arn:aws:states:::eks:call.sync").contains("request-response only"));
        assert!(
            why("arn:aws:states:::eks:runJob.waitForTaskToken")
                .contains("request-response and `.sync` only")
        );
    }
}
