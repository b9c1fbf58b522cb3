//! `eks:call` and `eks:runJob` (AWS developer guide, "Create and manage Amazon EKS clusters
//! with Step Functions", connect-eks): not AWS API operations but calls to the cluster's own
//! Kubernetes API server at the state's `Endpoint`, trusted by its `CertificateAuthority` and
//! authenticated as the run's AWS identity (`kube`, through `Transport::send_kube`).
//!
//! * `eks:call` — `ClusterName`, `CertificateAuthority`, `Endpoint`, `Method` (`GET`, `POST`,
//!   `PUT`, `DELETE`, `HEAD`, `PATCH`), `Path`, `QueryParameters` (name → list of values),
//!   `RequestBody` (JSON, sent as its text, or a string). The result is `{ResponseBody,
//!   StatusCode, StatusText, Headers}`; an answer outside 2xx fails the state with
//!   `EKS.{status}` and a cause of `{ResponseBody, StatusCode, StatusText}` (AWS's `EKS.401`
//!   example).
//! * `eks:runJob` — `ClusterName`, `CertificateAuthority`, `Endpoint`, `Namespace` (default
//!   `default`), `Job` (a `batch/v1` Job, JSON or its text), `LogOptions` (`RetrieveLogs`,
//!   `RawLogs`, `LogParameters`, `.sync` only). The job is created with
//!   `POST /apis/batch/v1/namespaces/{ns}/jobs`; request-response answers with the created
//!   Job. `.sync` (driven by `api_handler`) polls `GET .../jobs/{name}` until the Job has a
//!   `Complete` or `Failed` condition, answers with the final Job and, when `RetrieveLogs`,
//!   `logs.pods.{pod}.containers.{container}.log` (parsed as JSON unless `RawLogs`; `error`
//!   and `cause` in its place when a log cannot be read). A job left running by an abandoned
//!   state is deleted with `propagationPolicy=Foreground`, as AWS's own example deletes one.

use super::http_task::{append_query, text_of};
use super::protocol::encode;
use super::transport::{ApiClient, KubeRequest, TransportError};
use crate::engine::{Failure, Fault, TaskError, TaskRequest};
use serde_json::{Map, Value, json};

/// The cluster a state names.
#[derive(Debug, Clone)]
pub(super) struct Cluster {
    name: String,
    endpoint: String,
    certificate_authority: String,
}

/// A Job created by `eks:runJob`.
#[derive(Debug, Clone)]
pub(super) struct Job {
    pub cluster: Cluster,
    pub namespace: String,
    pub name: String,
    /// The Job as the API server answered its creation.
    pub created: Value,
}

/// Where a `.sync` Job stands.
pub(super) enum JobState {
    Running,
    Complete(Value),
    Failed(Value),
}

fn runtime(request: &TaskRequest, why: &str) -> TaskError {
    TaskError::Failed(Failure::new(
        "States.Runtime",
        format!(
            "An error occurred while executing the state '{}'. {why}",
            request.state_name
        ),
    ))
}

/// A required string parameter.
fn required<'v>(request: &TaskRequest, p: &'v Value, name: &str) -> Result<&'v str, TaskError> {
    match p.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(runtime(
            request,
            &format!("The value for the field '{name}' must be a STRING."),
        )),
        None => Err(runtime(
            request,
            &format!("The field '{name}' is required."),
        )),
    }
}

fn cluster(request: &TaskRequest) -> Result<Cluster, TaskError> {
    let p = &request.input;
    let name = required(request, p, "ClusterName")?;
    let ca = required(request, p, "CertificateAuthority")?;
    let endpoint = required(request, p, "Endpoint")?.trim_end_matches('/');
    let endpoint = if endpoint.contains("://") {
        endpoint.to_string()
    } else {
        format!("https://{endpoint}")
    };
    if !endpoint.starts_with("https://") {
        return Err(runtime(
            request,
            &format!("The Endpoint '{endpoint}' must be an https:// URL."),
        ));
    }
    Ok(Cluster {
        name: name.to_string(),
        endpoint,
        certificate_authority: ca.to_string(),
    })
}

/// `name → [values]` (or a single value) as query pairs.
fn query_pairs(q: Option<&Value>) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    if let Some(Value::Object(m)) = q {
        for (k, v) in m {
            match v {
                Value::Array(a) => pairs.extend(a.iter().map(|x| (k.clone(), text_of(x)))),
                other => pairs.push((k.clone(), text_of(other))),
            }
        }
    }
    pairs
}

fn kube(
    cluster: &Cluster,
    method: &str,
    path: &str,
    query: &[(String, String)],
    body: Option<&Value>,
) -> KubeRequest {
    let mut url = format!("{}/{}", cluster.endpoint, path.trim_start_matches('/'));
    append_query(&mut url, query);
    let mut headers = vec![("accept".to_string(), "application/json".to_string())];
    let body = match body {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => {
            // Kubernetes takes a PATCH only in a patch format: a list of operations is a JSON
            // patch, anything else a merge patch.
            let kind = match (method, v) {
                ("PATCH", Value::Array(_)) => "application/json-patch+json",
                ("PATCH", _) => "application/merge-patch+json",
                _ => "application/json",
            };
            headers.push(("content-type".into(), kind.into()));
            match v {
                Value::String(s) => s.clone().into_bytes(),
                other => other.to_string().into_bytes(),
            }
        }
    };
    KubeRequest {
        method: method.to_string(),
        url,
        headers,
        body,
        cluster: cluster.name.clone(),
        certificate_authority: cluster.certificate_authority.clone(),
    }
}

/// Sends a request; a failure to send becomes Step Functions' error or a fault.
async fn send(
    client: &ApiClient,
    request: &TaskRequest,
    req: KubeRequest,
) -> Result<super::protocol::HttpResponse, TaskError> {
    client.send_kube(req).await.map_err(|e| match e {
        TransportError::Unreachable(m) => {
            let hint = if m.contains("invalid peer certificate") {
                " (the server's certificate is not signed by the state's `CertificateAuthority`)"
            } else {
                ""
            };
            TaskError::Fault(Fault::new(format!(
                "the Task state `{}` cannot reach the cluster's Kubernetes API server: {m}{hint}",
                request.state_name
            )))
        }
        TransportError::Timeout => TaskError::Failed(Failure::new(
            "EKS.ClientExecutionTimeoutException",
            "the Kubernetes API server did not answer in time (see --aws-timeout)",
        )),
        TransportError::Unreadable(m) => TaskError::Failed(Failure::new(
            "EKS.SdkClientException",
            format!("the Kubernetes API server's answer could not be read: {m}"),
        )),
    })
}

/// A 2xx answer as `{ResponseBody, StatusCode, StatusText, Headers}`; any other fails the
/// state with `EKS.{status}`.
fn answered(resp: &super::protocol::HttpResponse) -> Result<Value, TaskError> {
    if (200..300).contains(&resp.status) {
        Ok(super::http_task::render(resp))
    } else {
        Err(TaskError::Failed(refused(resp)))
    }
}

/// `EKS.{status}`, with the answer as cause.
fn refused(resp: &super::protocol::HttpResponse) -> Failure {
    let mut cause = super::http_task::render(resp);
    if let Value::Object(m) = &mut cause {
        m.remove("Headers");
    }
    Failure::new(format!("EKS.{}", resp.status), cause.to_string())
}

/// `eks:call`.
pub(super) async fn call(client: &ApiClient, request: &TaskRequest) -> Result<Value, TaskError> {
    let p = &request.input;
    let cluster = cluster(request)?;
    let method = required(request, p, "Method")?.to_ascii_uppercase();
    if !["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"].contains(&method.as_str()) {
        return Err(runtime(
            request,
            &format!("The Method '{method}' is not one of GET, POST, PUT, DELETE, HEAD or PATCH."),
        ));
    }
    let path = required(request, p, "Path")?;
    let query = query_pairs(p.get("QueryParameters"));
    let req = kube(&cluster, &method, path, &query, p.get("RequestBody"));
    let resp = send(client, request, req).await?;
    answered(&resp)
}

/// `eks:runJob`: creates the Job.
pub(super) async fn create_job(
    client: &ApiClient,
    request: &TaskRequest,
) -> Result<Job, TaskError> {
    let p = &request.input;
    let cluster = cluster(request)?;
    let namespace = match p.get("Namespace") {
        None | Some(Value::Null) => "default".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(runtime(
                request,
                "The value for the field 'Namespace' must be a STRING.",
            ));
        }
    };
    let job = match p.get("Job") {
        None | Some(Value::Null) => return Err(runtime(request, "The field 'Job' is required.")),
        Some(Value::String(s)) => serde_json::from_str::<Value>(s)
            .map_err(|e| runtime(request, &format!("The field 'Job' is not JSON: {e}.")))?,
        Some(v) => v.clone(),
    };
    if !job.is_object() {
        return Err(runtime(
            request,
            "The field 'Job' must be a Kubernetes Job object.",
        ));
    }
    let path = format!("/apis/batch/v1/namespaces/{}/jobs", encode(&namespace));
    let req = kube(&cluster, "POST", &path, &[], Some(&job));
    let resp = send(client, request, req).await?;
    let answer = answered(&resp)?;
    let created = answer.get("ResponseBody").cloned().unwrap_or(Value::Null);
    let Some(name) = created.pointer("/metadata/name").and_then(Value::as_str) else {
        return Err(TaskError::Failed(Failure::new(
            "EKS.SdkClientException",
            format!("the created Job has no `metadata.name`: {created}"),
        )));
    };
    Ok(Job {
        namespace,
        name: name.to_string(),
        cluster,
        created,
    })
}

fn job_path(job: &Job) -> String {
    format!(
        "/apis/batch/v1/namespaces/{}/jobs/{}",
        encode(&job.namespace),
        encode(&job.name)
    )
}

/// Reads the Job and says whether it has finished.
pub(super) async fn poll_job(
    client: &ApiClient,
    request: &TaskRequest,
    job: &Job,
) -> Result<JobState, TaskError> {
    let req = kube(&job.cluster, "GET", &job_path(job), &[], None);
    let resp = send(client, request, req).await?;
    let answer = answered(&resp)?;
    let described = answer.get("ResponseBody").cloned().unwrap_or(Value::Null);
    Ok(state_of(described))
}

/// A Job's state by its conditions: `Complete` or `Failed` with status `True`.
pub(super) fn state_of(job: Value) -> JobState {
    let holds = |kind: &str| {
        job.pointer("/status/conditions")
            .and_then(Value::as_array)
            .is_some_and(|cs| {
                cs.iter().any(|c| {
                    c.get("type").and_then(Value::as_str) == Some(kind)
                        && c.get("status").and_then(Value::as_str) == Some("True")
                })
            })
    };
    if holds("Failed") {
        JobState::Failed(job)
    } else if holds("Complete") {
        JobState::Complete(job)
    } else {
        JobState::Running
    }
}

/// The logs of the Job's pods, best effort: `{"pods": {pod: {"containers": {c: {"log"}}}}}`.
pub(super) async fn logs(client: &ApiClient, request: &TaskRequest, job: &Job) -> Value {
    let options = request.input.get("LogOptions");
    let raw = options
        .and_then(|o| o.get("RawLogs"))
        .and_then(Value::as_bool)
        == Some(true);
    let extra = query_pairs(options.and_then(|o| o.get("LogParameters")));
    let list = kube(
        &job.cluster,
        "GET",
        &format!("/api/v1/namespaces/{}/pods", encode(&job.namespace)),
        &[("labelSelector".into(), format!("job-name={}", job.name))],
        None,
    );
    let mut pods = Map::new();
    let listed = match send(client, request, list).await.and_then(|r| answered(&r)) {
        Ok(v) => v,
        Err(e) => {
            let (error, cause) = error_and_cause(e);
            return json!({"pods": {}, "error": error, "cause": cause});
        }
    };
    let items = listed
        .pointer("/ResponseBody/items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for pod in items {
        let Some(pod_name) = pod.pointer("/metadata/name").and_then(Value::as_str) else {
            continue;
        };
        let mut containers = Map::new();
        let names: Vec<String> = pod
            .pointer("/spec/containers")
            .and_then(Value::as_array)
            .map(|cs| {
                cs.iter()
                    .filter_map(|c| c.get("name").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        for container in names {
            let mut query = vec![("container".to_string(), container.clone())];
            query.extend(extra.iter().cloned());
            let path = format!(
                "/api/v1/namespaces/{}/pods/{}/log",
                encode(&job.namespace),
                encode(pod_name)
            );
            let req = kube(&job.cluster, "GET", &path, &query, None);
            let entry = match send(client, request, req).await {
                Ok(resp) if (200..300).contains(&resp.status) => {
                    let text = String::from_utf8_lossy(&resp.body).into_owned();
                    let log = if raw {
                        Value::String(text)
                    } else {
                        serde_json::from_str(&text).unwrap_or(Value::String(text))
                    };
                    json!({ "log": log })
                }
                Ok(resp) => {
                    let (error, cause) = error_and_cause(TaskError::Failed(refused(&resp)));
                    json!({"error": error, "cause": cause})
                }
                Err(e) => {
                    let (error, cause) = error_and_cause(e);
                    json!({"error": error, "cause": cause})
                }
            };
            containers.insert(container, entry);
        }
        pods.insert(pod_name.to_string(), json!({ "containers": containers }));
    }
    json!({ "pods": pods })
}

fn error_and_cause(e: TaskError) -> (String, String) {
    match e {
        TaskError::Failed(f) => (f.error, f.cause.unwrap_or_default()),
        TaskError::Fault(f) => ("EKS.SdkClientException".into(), f.message),
    }
}

/// The request that deletes the Job and its pods.
pub(super) fn delete(job: &Job) -> KubeRequest {
    kube(
        &job.cluster,
        "DELETE",
        &job_path(job),
        &[("propagationPolicy".into(), "Foreground".into())],
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c() -> Cluster {
        Cluster {
            name: "c1".into(),
            endpoint: "https://k.example".into(),
            certificate_authority: "CA".into(),
        }
    }

    #[test]
    fn requests_carry_the_query_lists_and_a_patch_format_kubernetes_takes() {
        let q = query_pairs(Some(&json!({"labelSelector": ["a=b", "c"], "limit": 5})));
        let r = kube(&c(), "GET", "/api/v1/pods", &q, None);
        assert_eq!(
            r.url,
            "https://k.example/api/v1/pods?labelSelector=a%3Db&labelSelector=c&limit=5"
        );
        assert!(r.body.is_empty());
        let r = kube(&c(), "PATCH", "x", &[], Some(&json!({"a": 1})));
        assert!(
            r.headers
                .contains(&("content-type".into(), "application/merge-patch+json".into()))
        );
        assert_eq!(r.body, br#"{"a":1}"#);
        let r = kube(&c(), "PATCH", "x", &[], Some(&json!([{"op": "remove"}])));
        assert!(
            r.headers
                .contains(&("content-type".into(), "application/json-patch+json".into()))
        );
        let r = kube(&c(), "POST", "x", &[], Some(&json!("raw text")));
        assert_eq!(r.body, b"raw text");
    }

    #[test]
    fn a_job_is_finished_by_a_true_complete_or_failed_condition() {
        let with = |t: &str, s: &str| json!({"status": {"conditions": [{"type": t, "status": s}]}});
        assert!(matches!(
            state_of(with("Complete", "True")),
            JobState::Complete(_)
        ));
        assert!(matches!(
            state_of(with("Failed", "True")),
            JobState::Failed(_)
        ));
        assert!(matches!(
            state_of(with("Complete", "False")),
            JobState::Running
        ));
        assert!(matches!(
            state_of(json!({"status": {"active": 1}})),
            JobState::Running
        ));
    }
}
