//! [`Transport`] over HTTPS (cargo feature `aws`): the endpoint from `endpoint`, the
//! request signed with SigV4 by the SDK's own signer (`aws-sigv4`) with credentials and
//! region from the SDK's default chain (the same `SdkConfig` as every other client of the
//! run), sent by hyper with rustls as the SDK's own HTTP client does.

use super::endpoint::{self, Endpoint};
use super::kube::KubeClient;
use super::model::Service;
use super::protocol::{HttpRequest, HttpResponse};
use super::transport::{KubeRequest, RawRequest, Signing, Transport, TransportError};
use aws_credential_types::provider::ProvideCredentials;
use futures::future::BoxFuture;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use std::time::{Duration, SystemTime};

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// Signs and sends requests for every service.
pub struct HttpTransport {
    client: Result<Client<Https, Full<bytes::Bytes>>, String>,
    config: aws_config::SdkConfig,
    endpoint_url: Option<String>,
    /// One service's endpoint each, under the SDK's own variables.
    service_endpoints: super::endpoint::ServiceEndpoints,
    /// The bound of one attempt.
    timeout: Duration,
    /// Clients for Kubernetes API servers, by the certificate authority they trust.
    kube_clients: std::sync::Mutex<Vec<(String, KubeClient)>>,
}

impl HttpTransport {
    pub fn new(
        config: aws_config::SdkConfig,
        endpoint_url: Option<String>,
        timeout: Duration,
    ) -> Self {
        let client = connector().map(|c| {
            Client::builder(hyper_util::rt::TokioExecutor::new()).build::<_, Full<bytes::Bytes>>(c)
        });
        HttpTransport {
            client,
            config,
            endpoint_url,
            service_endpoints: Default::default(),
            timeout,
            kube_clients: Default::default(),
        }
    }

    /// Sends each service named in `endpoints` to its own endpoint.
    pub fn with_service_endpoints(mut self, endpoints: super::endpoint::ServiceEndpoints) -> Self {
        self.service_endpoints = endpoints;
        self
    }

    fn region(&self) -> String {
        self.config
            .region()
            .map_or_else(|| "us-east-1".to_string(), |r| r.as_ref().to_string())
    }

    fn endpoint(&self, service: &Service) -> Endpoint {
        let id = service.meta("serviceId").unwrap_or(service.entry.sdk_name);
        endpoint::resolve(
            &service.entry,
            id,
            &self.region(),
            self.endpoint_url.as_deref(),
            &|k| {
                std::env::var(k)
                    .ok()
                    .filter(|v| !v.is_empty())
                    .or_else(|| self.service_endpoints.get(k))
            },
        )
    }

    async fn send_once(
        &self,
        service: &Service,
        mut req: HttpRequest,
    ) -> Result<HttpResponse, TransportError> {
        let ep = self.endpoint(service);
        let (scheme, rest) = ep.base.split_once("://").unwrap_or(("https", &ep.base));
        let (mut host, base_path) = match rest.split_once('/') {
            Some((h, p)) => (h.to_string(), format!("/{p}")),
            None => (rest.to_string(), String::new()),
        };
        if !ep.overridden {
            if let Some(prefix) = &req.host_prefix {
                host = format!("{prefix}{host}");
            }
            // S3: a bucket that can be a host label goes in the host (virtual-hosted style).
            if service.entry.sdk_name == "s3" {
                let path = req.path.trim_start_matches('/');
                let (bucket, after) = path.split_once('/').unwrap_or((path, ""));
                if !bucket.is_empty() && endpoint::virtual_host_bucket(bucket) {
                    host = format!("{bucket}.{host}");
                    req.path = format!("/{after}");
                }
            }
        }
        let url = format!("{scheme}://{host}{base_path}{}", req.path_and_query());
        let signing = Signing {
            service: service.entry.signing_name.to_string(),
            region: ep.signing_region.clone(),
        };
        self.dispatch(RawRequest {
            method: req.method,
            url,
            headers: req.headers,
            body: req.body,
            sign: Some(signing),
        })
        .await
    }

    /// Sends one request, signed when it says so, within the time bound.
    async fn dispatch(&self, req: RawRequest) -> Result<HttpResponse, TransportError> {
        let client = self
            .client
            .as_ref()
            .map_err(|e| TransportError::Unreachable(e.clone()))?;
        let uri: http::Uri = req
            .url
            .parse()
            .map_err(|e| TransportError::Unreachable(format!("`{}` is not a URL: {e}", req.url)))?;
        let host = uri
            .authority()
            .map(|a| a.as_str().to_string())
            .ok_or_else(|| TransportError::Unreachable(format!("`{}` names no host", req.url)))?;
        let s3 = req.sign.as_ref().is_some_and(|s| s.service == "s3");
        let mut headers: Vec<(String, String)> = req.headers.clone();
        headers.push(("host".into(), host));
        if s3 {
            use sha2::Digest;
            let digest = sha2::Sha256::digest(&req.body);
            headers.push((
                "x-amz-content-sha256".into(),
                digest.iter().map(|b| format!("{b:02x}")).collect(),
            ));
        }
        if !req.body.is_empty() || req.method != "GET" {
            headers.push(("content-length".into(), req.body.len().to_string()));
        }
        let mut request = http::Request::builder()
            .method(req.method.as_str())
            .uri(uri);
        for (k, v) in &headers {
            request = request.header(k.as_str(), v.as_str());
        }
        let mut request = request
            .body(Full::new(bytes::Bytes::from(req.body.clone())))
            .map_err(|e| TransportError::Unreachable(format!("the request cannot be made: {e}")))?;
        if let Some(signing) = &req.sign {
            let creds = self
                .config
                .credentials_provider()
                .ok_or_else(|| {
                    TransportError::Unreachable("no AWS credentials are configured".into())
                })?
                .provide_credentials()
                .await
                .map_err(|e| TransportError::Unreachable(format!("no AWS credentials: {e}")))?;
            sign(&mut request, &headers, &req, &creds, signing, s3)?;
        }
        exchange(client, request, self.timeout).await
    }

    /// Sends a request to a cluster's Kubernetes API server with the run's identity's token.
    async fn dispatch_kube(&self, req: KubeRequest) -> Result<HttpResponse, TransportError> {
        let client = self.kube_client(&req.certificate_authority)?;
        let uri: http::Uri = req
            .url
            .parse()
            .map_err(|e| TransportError::Unreachable(format!("`{}` is not a URL: {e}", req.url)))?;
        let creds = self
            .config
            .credentials_provider()
            .ok_or_else(|| TransportError::Unreachable("no AWS credentials are configured".into()))?
            .provide_credentials()
            .await
            .map_err(|e| TransportError::Unreachable(format!("no AWS credentials: {e}")))?;
        let token = super::kube::token(&creds, &self.region(), &req.cluster, SystemTime::now())
            .map_err(TransportError::Unreachable)?;
        let mut request = http::Request::builder()
            .method(req.method.as_str())
            .uri(uri)
            .header("authorization", format!("Bearer {token}"));
        for (k, v) in &req.headers {
            request = request.header(k.as_str(), v.as_str());
        }
        let request = request
            .body(Full::new(bytes::Bytes::from(req.body)))
            .map_err(|e| TransportError::Unreachable(format!("the request cannot be made: {e}")))?;
        exchange(&client, request, self.timeout).await
    }

    /// The client trusting `certificate_authority`, made once per authority.
    fn kube_client(&self, certificate_authority: &str) -> Result<KubeClient, TransportError> {
        let mut clients = self.kube_clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, c)) = clients.iter().find(|(ca, _)| ca == certificate_authority) {
            return Ok(c.clone());
        }
        let c = super::kube::client(certificate_authority).map_err(TransportError::Unreachable)?;
        clients.push((certificate_authority.to_string(), c.clone()));
        Ok(c)
    }
}

/// One request and its whole answer, within `timeout`.
async fn exchange(
    client: &Client<Https, Full<bytes::Bytes>>,
    request: http::Request<Full<bytes::Bytes>>,
    timeout: Duration,
) -> Result<HttpResponse, TransportError> {
    let work = async {
        let resp = client.request(request).await.map_err(|e| {
            let text = super::sdk::causes(&e);
            if e.is_connect() {
                TransportError::Unreachable(text)
            } else {
                TransportError::Unreadable(text)
            }
        })?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| TransportError::Unreadable(format!("the answer was cut short: {e}")))?
            .to_bytes()
            .to_vec();
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(r) => r,
        Err(_) => Err(TransportError::Timeout),
    }
}

fn sign(
    request: &mut http::Request<Full<bytes::Bytes>>,
    headers: &[(String, String)],
    req: &RawRequest,
    creds: &aws_credential_types::Credentials,
    signing: &Signing,
    s3: bool,
) -> Result<(), TransportError> {
    use aws_sigv4::http_request::{
        PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
        UriPathNormalizationMode, sign,
    };
    let mut settings = SigningSettings::default();
    if s3 {
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    }
    let identity = creds.clone().into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(&signing.region)
        .name(&signing.service)
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .map_err(|e| TransportError::Unreachable(format!("the request cannot be signed: {e}")))?
        .into();
    let signable = SignableRequest::new(
        &req.method,
        &req.url,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(&req.body),
    )
    .map_err(|e| TransportError::Unreachable(format!("the request cannot be signed: {e}")))?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| TransportError::Unreachable(format!("the request cannot be signed: {e}")))?
        .into_parts();
    instructions.apply_to_request_http1x(request);
    Ok(())
}

fn connector() -> Result<Https, String> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(super::sdk::CONNECT_TIMEOUT));
    let builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|e| format!("no trusted certificate authorities: {e}"))?;
    Ok(builder
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(http))
}

impl Transport for HttpTransport {
    fn send<'a>(
        &'a self,
        service: &'a Service,
        request: HttpRequest,
    ) -> BoxFuture<'a, Result<HttpResponse, TransportError>> {
        Box::pin(self.send_once(service, request))
    }

    fn send_raw(&self, request: RawRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(self.dispatch(request))
    }

    fn send_kube(
        &self,
        request: KubeRequest,
    ) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(self.dispatch_kube(request))
    }

    fn region(&self) -> String {
        HttpTransport::region(self)
    }
}
