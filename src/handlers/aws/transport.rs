//! The model-driven client's one seam with the network: [`Transport`] sends a built request
//! to a service and returns its answer. `http` implements it over HTTPS with SigV4 (cargo
//! feature `aws`); tests implement it with fakes, which is how answers an emulator cannot
//! give (throttling, malformed bodies, every protocol's errors) are covered.
//!
//! [`ApiClient`] is what integrations call: an operation by integration service name and
//! model input, with the SDKs' retries (throttling and server errors, three attempts with
//! jittered exponential back-off) inside one time bound.

use super::model::{self, Service};
use super::protocol::{self, HttpRequest, HttpResponse, ServiceError};
use futures::future::BoxFuture;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// Why no answer came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// The service was not reached at all (refused, no such host, no credentials): a fault.
    Unreachable(String),
    /// No answer within the time bound.
    Timeout,
    /// An answer that could not be read (cut short, not HTTP).
    Unreadable(String),
}

pub trait Transport: Send + Sync {
    fn send<'a>(
        &'a self,
        service: &'a Service,
        request: HttpRequest,
    ) -> BoxFuture<'a, Result<HttpResponse, TransportError>>;

    /// A request to any URL (an API Gateway stage, an HTTP Task's endpoint), signed when it
    /// says so.
    fn send_raw(&self, request: RawRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        let _ = request;
        Box::pin(async {
            Err(TransportError::Unreachable(
                "this client sends only AWS API requests".into(),
            ))
        })
    }

    /// A request to an EKS cluster's Kubernetes API server (`eks:call`, `eks:runJob`): over
    /// HTTPS trusting only the cluster's certificate authority, with a bearer token made from
    /// the run's AWS credentials the way `aws eks get-token` makes it.
    fn send_kube(
        &self,
        request: KubeRequest,
    ) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        let _ = request;
        Box::pin(async {
            Err(TransportError::Unreachable(
                "this client does not reach Kubernetes API servers".into(),
            ))
        })
    }

    /// The region requests are signed for when the endpoint does not say.
    fn region(&self) -> String {
        "us-east-1".into()
    }
}

/// A request to a URL of the user's (API Gateway, HTTP Task).
#[derive(Debug, Clone, Default)]
pub struct RawRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub sign: Option<Signing>,
}

/// A request to a cluster's Kubernetes API server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KubeRequest {
    pub method: String,
    /// The whole URL: the state's `Endpoint`, the path and the query.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The cluster's name, which the token is made for (`x-k8s-aws-id`).
    pub cluster: String,
    /// The state's `CertificateAuthority`: base64 of the PEM certificates to trust.
    pub certificate_authority: String,
}

/// How to sign a request with SigV4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signing {
    pub service: String,
    pub region: String,
}

/// How a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// The service answered with an error.
    Service(ServiceError),
    Timeout,
    /// The answer could not be read (transport or model mismatch).
    Unreadable(String),
    Unreachable(String),
    /// The integration name, the operation or the request cannot be made (a fault).
    Request(String),
}

/// A successful answer: the output read by the model, and the HTTP status and headers it
/// came with (optimized integrations show them as `SdkHttpMetadata`).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub output: Value,
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

/// Calls operations of any service in the bundle.
#[derive(Clone)]
pub struct ApiClient {
    transport: Arc<dyn Transport>,
    /// The bound of one call, retries included.
    pub timeout: Duration,
    /// Attempts for throttling and server errors (the SDKs' standard mode: 3).
    pub attempts: u32,
    /// The first retry's delay; doubled each attempt, jittered.
    pub backoff: Duration,
}

impl ApiClient {
    pub fn new(transport: Arc<dyn Transport>, timeout: Duration) -> Self {
        ApiClient {
            transport,
            timeout,
            attempts: 3,
            backoff: Duration::from_millis(200),
        }
    }

    /// The model of an integration service, or why there is none.
    pub fn service(sdk_name: &str) -> Result<Arc<Service>, CallError> {
        match model::load(sdk_name) {
            Some(Ok(s)) => Ok(s),
            Some(Err(e)) => Err(CallError::Request(e)),
            None => Err(CallError::Request(format!(
                "`{sdk_name}` is not a service of the AWS SDK integration"
            ))),
        }
    }

    /// Calls `operation` (the model's name or Step Functions' camelCase action) of the
    /// integration service `sdk_name` with `input` in the model's member names and types.
    pub async fn call(
        &self,
        service: &Service,
        operation: &str,
        input: &Value,
    ) -> Result<Answer, CallError> {
        self.call_raw(service, operation, input)
            .await
            .map(|(answer, _)| answer)
    }

    /// [`ApiClient::call`], also giving the answer's body as it came: the exact bytes of a
    /// streamed payload, which [`Answer::output`] holds as text (S3 `GetObject`'s `Body`).
    pub async fn call_raw(
        &self,
        service: &Service,
        operation: &str,
        input: &Value,
    ) -> Result<(Answer, Vec<u8>), CallError> {
        let op = service.operation(operation).ok_or_else(|| {
            CallError::Request(format!(
                "`{operation}` is not an operation of `{}`",
                service.entry.sdk_name
            ))
        })?;
        let request = protocol::build(&op, input).map_err(|e| CallError::Request(e.0))?;
        let work = async {
            let mut attempt = 0;
            loop {
                attempt += 1;
                let resp = self.transport.send(service, request.clone()).await;
                let resp = match resp {
                    Ok(r) => r,
                    Err(TransportError::Timeout) => return Err(CallError::Timeout),
                    Err(TransportError::Unreachable(m)) => return Err(CallError::Unreachable(m)),
                    Err(TransportError::Unreadable(m)) if attempt >= self.attempts => {
                        return Err(CallError::Unreadable(m));
                    }
                    Err(TransportError::Unreadable(_)) => {
                        tokio::time::sleep(self.delay(attempt)).await;
                        continue;
                    }
                };
                if (200..300).contains(&resp.status) {
                    let output = protocol::parse(&op, &resp).map_err(CallError::Unreadable)?;
                    let answer = Answer {
                        output,
                        status: resp.status,
                        headers: resp.headers,
                    };
                    return Ok((answer, resp.body));
                }
                let err = protocol::parse_error(service, &resp);
                if attempt < self.attempts && retryable(&err) {
                    tokio::time::sleep(self.delay(attempt)).await;
                    continue;
                }
                return Err(CallError::Service(err));
            }
        };
        match tokio::time::timeout(self.timeout, work).await {
            Ok(r) => r,
            Err(_) => Err(CallError::Timeout),
        }
    }

    /// Sends a request to a URL of the user's, bounded in time like every call; no retries
    /// (the request may not be idempotent).
    pub async fn send_raw(&self, request: RawRequest) -> Result<HttpResponse, TransportError> {
        match tokio::time::timeout(self.timeout, self.transport.send_raw(request)).await {
            Ok(r) => r,
            Err(_) => Err(TransportError::Timeout),
        }
    }

    /// Sends a request to a Kubernetes API server, bounded in time like every call; no
    /// retries (the request may not be idempotent).
    pub async fn send_kube(&self, request: KubeRequest) -> Result<HttpResponse, TransportError> {
        match tokio::time::timeout(self.timeout, self.transport.send_kube(request)).await {
            Ok(r) => r,
            Err(_) => Err(TransportError::Timeout),
        }
    }

    /// The region of the run's AWS configuration.
    pub fn region(&self) -> String {
        self.transport.region()
    }

    fn delay(&self, attempt: u32) -> Duration {
        use rand::Rng;
        let max = self.backoff.saturating_mul(1 << attempt.min(10));
        let jitter = rand::thread_rng().gen_range(0.5..=1.0);
        max.mul_f64(jitter).min(Duration::from_secs(20))
    }
}

/// Errors the SDKs retry: throttling and the service's own failures.
fn retryable(e: &ServiceError) -> bool {
    const THROTTLING: [&str; 12] = [
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
    ];
    matches!(e.status, 429 | 500 | 502 | 503 | 504) || THROTTLING.contains(&e.code.as_str())
}
