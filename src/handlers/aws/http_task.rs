//! The two optimized integrations that are HTTP calls to a URL of the user's rather than an
//! AWS API operation (AWS developer guide, "connect-api-gateway" and "connect-third-party-apis"):
//!
//! * `apigateway:invoke` — `https://{ApiEndpoint}/{Stage}/{Path}` with `Method`, `Headers`
//!   (name → list of values), `QueryParameters` (name → list), `RequestBody` (JSON is sent as
//!   its text; nulls inside it are dropped unless `AllowNullValues`), signed for
//!   `execute-api` when `AuthType` is `IAM_ROLE`. The result is `{ResponseBody, Headers,
//!   StatusCode, StatusText}`; an answer outside 2xx fails the state with `ApiGateway.{status}`
//!   and the answer's body as cause.
//! * `http:invoke` (the HTTP Task) — `ApiEndpoint` (a whole URL), `Method`, `Headers`,
//!   `QueryParameters`, `RequestBody`, `Transform` (`RequestBodyEncoding: URL_ENCODED` and
//!   `RequestEncodingOptions.ArrayFormat`: `INDICES` (default), `REPEAT`, `COMMAS`,
//!   `BRACKETS`), authorized by the EventBridge connection named in `Authentication` (or
//!   `InvocationConfig`): its API key, basic or OAuth client-credentials authorization and its
//!   invocation parameters, read from EventBridge (`DescribeConnection`) and Secrets Manager
//!   (the connection's secret), as Step Functions does. `--http-auth none` sends the request
//!   without them (a local or test endpoint). An answer outside 2xx fails the state with
//!   `States.Http.StatusCode.{status}` and the answer's body as cause.
//!
//! An endpoint written with `http://` (a local server) is called as written; anything else
//! goes over HTTPS as on AWS.

use super::transport::{ApiClient, CallError, RawRequest, Signing, TransportError};
use crate::engine::{Failure, Fault, TaskError, TaskRequest};
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};

/// One HTTP Task's exchange as sent and received, for TestState's `TRACE` level.
#[derive(Debug, Clone, Default)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    pub request_body: String,
    pub status: u16,
    pub response_headers: Vec<(String, String)>,
    pub response_body: String,
    /// The request headers the EventBridge connection added (its secrets), lower-case.
    pub secret_headers: Vec<String>,
}

tokio::task_local! {
    /// Set by a caller that wants the exchange of the HTTP Task it runs (TestState at
    /// `TRACE`); outside such a scope nothing is copied.
    pub static TRACE: Arc<Mutex<Option<Exchange>>>;
}

/// The reason phrase of a status code (`OK`), as HTTP Task results show it.
pub fn reason(status: u16) -> &'static str {
    http_reason(status)
}

/// Whether an HTTP Task's connection authorizes its requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpAuth {
    /// Read the EventBridge connection's authorization from AWS.
    #[default]
    Connection,
    /// Send without it.
    None,
}

/// Runs `apigateway:invoke` and `http:invoke`.
pub struct HttpTasks {
    pub client: ApiClient,
    pub auth: HttpAuth,
}

/// An HTTP answer as both integrations render it.
pub(super) fn render(resp: &super::protocol::HttpResponse) -> Value {
    let mut headers = Map::new();
    for (k, v) in &resp.headers {
        if let Value::Array(a) = headers
            .entry(super::api_handler::header_case(k))
            .or_insert_with(|| json!([]))
        {
            a.push(json!(v));
        }
    }
    let text = String::from_utf8_lossy(&resp.body);
    let body = if text.trim().is_empty() {
        json!("")
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.into_owned()))
    };
    json!({
        "Headers": headers,
        "ResponseBody": body,
        "StatusCode": resp.status,
        "StatusText": http_reason(resp.status),
    })
}

/// The result of a 2xx answer; any other fails the state with `{prefix}.{status}` and the
/// answer's body as cause.
fn answered(resp: &super::protocol::HttpResponse, prefix: &str) -> Result<Value, TaskError> {
    if !(200..300).contains(&resp.status) {
        return Err(TaskError::Failed(Failure::new(
            format!("{prefix}.{}", resp.status),
            String::from_utf8_lossy(&resp.body).into_owned(),
        )));
    }
    Ok(render(resp))
}

fn http_reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
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

/// A string as it is, any other value as its JSON text.
pub(super) fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `url` with `query` appended, each name and value percent-encoded.
pub(super) fn append_query(url: &mut String, query: &[(String, String)]) {
    if query.is_empty() {
        return;
    }
    let q: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    url.push(if url.contains('?') { '&' } else { '?' });
    url.push_str(&q.join("&"));
}

fn encode(s: &str) -> String {
    super::protocol::encode(s)
}

/// Removes `null` members from objects, at every depth.
fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(drop_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// `https://` unless the endpoint says `http://` or `https://` itself.
fn with_scheme(endpoint: &str) -> String {
    if endpoint.starts_with("http://") || endpoint.starts_with("https://") {
        endpoint.to_string()
    } else {
        format!("https://{endpoint}")
    }
}

fn send_error(request: &TaskRequest, e: TransportError, prefix: &str) -> TaskError {
    match e {
        TransportError::Unreachable(m) => TaskError::Fault(Fault::new(format!(
            "the Task state `{}` cannot reach its endpoint: {m}",
            request.state_name
        ))),
        TransportError::Timeout => TaskError::Failed(Failure::new(
            format!("{prefix}.Socket"),
            "the request did not complete in time",
        )),
        TransportError::Unreadable(m) => {
            TaskError::Failed(Failure::new(format!("{prefix}.Socket"), m))
        }
    }
}

impl HttpTasks {
    /// `apigateway:invoke`.
    pub async fn api_gateway(&self, request: &TaskRequest) -> Result<Value, TaskError> {
        let p = &request.input;
        let Some(endpoint) = p.get("ApiEndpoint").and_then(Value::as_str) else {
            return Err(runtime(request, "The field 'ApiEndpoint' is required."));
        };
        let method = p.get("Method").and_then(Value::as_str).unwrap_or("GET");
        let mut url = with_scheme(endpoint.trim_end_matches('/'));
        for part in ["Stage", "Path"] {
            if let Some(seg) = p.get(part).and_then(Value::as_str) {
                let seg = seg.trim_matches('/');
                if !seg.is_empty() {
                    url.push('/');
                    url.push_str(seg);
                }
            }
        }
        let mut query = Vec::new();
        if let Some(Value::Object(q)) = p.get("QueryParameters") {
            for (k, v) in q {
                for x in v.as_array().cloned().unwrap_or_else(|| vec![v.clone()]) {
                    query.push(format!("{}={}", encode(k), encode(&text_of(&x))));
                }
            }
        }
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query.join("&"));
        }
        let mut headers = Vec::new();
        if let Some(Value::Object(h)) = p.get("Headers") {
            for (k, v) in h {
                for x in v.as_array().cloned().unwrap_or_else(|| vec![v.clone()]) {
                    headers.push((k.to_ascii_lowercase(), text_of(&x)));
                }
            }
        }
        let allow_nulls = p.get("AllowNullValues").and_then(Value::as_bool) == Some(true);
        let body = match p.get("RequestBody") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => s.clone().into_bytes(),
            Some(v) => {
                let mut v = v.clone();
                if !allow_nulls {
                    drop_nulls(&mut v);
                }
                if !headers.iter().any(|(k, _)| k == "content-type") {
                    headers.push(("content-type".into(), "application/json".into()));
                }
                v.to_string().into_bytes()
            }
        };
        let sign = (p.get("AuthType").and_then(Value::as_str) == Some("IAM_ROLE")).then(|| {
            // `{id}.execute-api.{region}.amazonaws.com`
            let region = endpoint
                .split('.')
                .skip_while(|l| *l != "execute-api")
                .nth(1)
                .map(str::to_string)
                .unwrap_or_else(|| self.client.region());
            Signing {
                service: "execute-api".into(),
                region,
            }
        });
        let resp = self
            .client
            .send_raw(RawRequest {
                method: method.to_string(),
                url,
                headers,
                body,
                sign,
            })
            .await
            .map_err(|e| send_error(request, e, "ApiGateway"))?;
        answered(&resp, "ApiGateway")
    }

    /// `http:invoke`.
    pub async fn http_invoke(&self, request: &TaskRequest) -> Result<Value, TaskError> {
        let p = &request.input;
        let Some(endpoint) = p.get("ApiEndpoint").and_then(Value::as_str) else {
            return Err(runtime(request, "The field 'ApiEndpoint' is required."));
        };
        let Some(method) = p.get("Method").and_then(Value::as_str) else {
            return Err(runtime(request, "The field 'Method' is required."));
        };
        let connection = ["Authentication", "InvocationConfig"]
            .iter()
            .find_map(|k| p.get(*k)?.get("ConnectionArn")?.as_str());
        let mut auth = ConnectionAuth::default();
        if let (Some(arn), HttpAuth::Connection) = (connection, self.auth) {
            auth = self.connection(request, arn).await?;
        }
        let format = p
            .pointer("/Transform/RequestEncodingOptions/ArrayFormat")
            .and_then(Value::as_str)
            .unwrap_or("INDICES");
        let mut query: Vec<(String, String)> = Vec::new();
        if let Some(Value::Object(q)) = p.get("QueryParameters") {
            for (k, v) in q {
                flatten(&mut query, k, v, format);
            }
        }
        query.extend(auth.query.iter().cloned());
        let mut url = endpoint.to_string();
        append_query(&mut url, &query);
        let mut headers: Vec<(String, String)> = Vec::new();
        if let Some(Value::Object(h)) = p.get("Headers") {
            for (k, v) in h {
                headers.push((k.to_ascii_lowercase(), text_of(v)));
            }
        }
        // The connection's parameters win over the task's.
        for (k, v) in &auth.headers {
            headers.retain(|(h, _)| !h.eq_ignore_ascii_case(k));
            headers.push((k.to_ascii_lowercase(), v.clone()));
        }
        let url_encoded = p
            .pointer("/Transform/RequestBodyEncoding")
            .and_then(Value::as_str)
            == Some("URL_ENCODED");
        let body = match p.get("RequestBody") {
            None | Some(Value::Null) if auth.body.is_empty() => Vec::new(),
            Some(Value::String(_)) if !auth.body.is_empty() => {
                return Err(runtime(
                    request,
                    "The connection's body parameters cannot be added to a string RequestBody.",
                ));
            }
            Some(Value::String(s)) => s.clone().into_bytes(),
            given => {
                let mut m = given
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                for (k, v) in &auth.body {
                    m.insert(k.clone(), Value::String(v.clone()));
                }
                if url_encoded {
                    let mut pairs = Vec::new();
                    for (k, v) in &m {
                        flatten(&mut pairs, k, v, format);
                    }
                    set_type(&mut headers, "application/x-www-form-urlencoded");
                    pairs
                        .iter()
                        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                        .collect::<Vec<_>>()
                        .join("&")
                        .into_bytes()
                } else {
                    set_type(&mut headers, "application/json");
                    match given {
                        Some(v) if !v.is_object() => v.to_string().into_bytes(),
                        _ => Value::Object(m).to_string().into_bytes(),
                    }
                }
            }
        };
        let region = self.client.region();
        headers.push((
            "user-agent".into(),
            format!("Amazon|StepFunctions|HttpInvoke|{region}"),
        ));
        let traced = TRACE.try_with(|_| ()).is_ok().then(|| Exchange {
            method: method.to_string(),
            url: url.clone(),
            request_headers: headers.clone(),
            request_body: String::from_utf8_lossy(&body).into_owned(),
            secret_headers: auth
                .headers
                .iter()
                .map(|(k, _)| k.to_ascii_lowercase())
                .collect(),
            ..Exchange::default()
        });
        let resp = self
            .client
            .send_raw(RawRequest {
                method: method.to_string(),
                url,
                headers,
                body,
                sign: None,
            })
            .await
            .map_err(|e| send_error(request, e, "States.Http"))?;
        if let Some(mut x) = traced {
            x.status = resp.status;
            x.response_headers = resp.headers.clone();
            x.response_body = String::from_utf8_lossy(&resp.body).into_owned();
            let _ = TRACE.try_with(|t| {
                if let Ok(mut slot) = t.lock() {
                    *slot = Some(x);
                }
            });
        }
        answered(&resp, "States.Http.StatusCode")
    }

    /// The authorization an EventBridge connection adds: from `DescribeConnection`, with the
    /// secret values from the connection's secret in Secrets Manager.
    async fn connection(
        &self,
        request: &TaskRequest,
        arn: &str,
    ) -> Result<ConnectionAuth, TaskError> {
        // arn:aws:events:REGION:ACCOUNT:connection/NAME/ID
        let name = arn
            .split_once(":connection/")
            .map(|(_, r)| r.split('/').next().unwrap_or(r))
            .unwrap_or(arn);
        let conn_error = |e: CallError| match e {
            CallError::Service(se) => TaskError::Failed(Failure::new(
                "Events.ConnectionResource.InvalidConnectionState",
                format!(
                    "the connection `{arn}` cannot be used: {} ({})",
                    se.message, se.code
                ),
            )),
            CallError::Unreachable(m) => TaskError::Fault(Fault::new(format!(
                "the Task state `{}` cannot read its connection `{arn}`: AWS was not reached: {m} (give --http-auth none to call the endpoint without it)",
                request.state_name
            ))),
            other => TaskError::Fault(Fault::new(format!(
                "the Task state `{}` cannot read its connection `{arn}`: {other:?}",
                request.state_name
            ))),
        };
        let events = ApiClient::service("eventbridge").map_err(conn_error)?;
        let described = self
            .client
            .call(&events, "DescribeConnection", &json!({"Name": name}))
            .await
            .map_err(conn_error)?
            .output;
        let secrets = match described.get("SecretArn").and_then(Value::as_str) {
            Some(secret) => {
                let sm = ApiClient::service("secretsmanager").map_err(conn_error)?;
                let v = self
                    .client
                    .call(&sm, "GetSecretValue", &json!({"SecretId": secret}))
                    .await
                    .map_err(conn_error)?
                    .output;
                v.get("SecretString")
                    .and_then(Value::as_str)
                    .and_then(|s| serde_json::from_str(s).ok())
                    .unwrap_or(Value::Null)
            }
            None => Value::Null,
        };
        let params = described.get("AuthParameters").cloned().unwrap_or_default();
        let mut auth = ConnectionAuth::default();
        let secret = |k: &str| secrets.get(k).and_then(Value::as_str).map(str::to_string);
        match described.get("AuthorizationType").and_then(Value::as_str) {
            Some("API_KEY") => {
                let name = secret("api_key_name").or_else(|| {
                    params
                        .pointer("/ApiKeyAuthParameters/ApiKeyName")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                });
                if let (Some(n), Some(v)) = (name, secret("api_key_value")) {
                    auth.headers.push((n, v));
                }
            }
            Some("BASIC") => {
                use base64::Engine;
                let user = secret("username").or_else(|| {
                    params
                        .pointer("/BasicAuthParameters/Username")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                });
                if let (Some(u), Some(pw)) = (user, secret("password")) {
                    let token =
                        base64::engine::general_purpose::STANDARD.encode(format!("{u}:{pw}"));
                    auth.headers
                        .push(("Authorization".into(), format!("Basic {token}")));
                }
            }
            Some("OAUTH_CLIENT_CREDENTIALS") => {
                let token = self.oauth_token(request, &params, &secrets).await?;
                auth.headers
                    .push(("Authorization".into(), format!("Bearer {token}")));
            }
            _ => {}
        }
        // Invocation parameters: plain values from the description, secret ones from the
        // secret (`invocation_http_parameters`).
        for (kind, target) in [
            ("HeaderParameters", 0),
            ("QueryStringParameters", 1),
            ("BodyParameters", 2),
        ] {
            let from_desc = params
                .pointer(&format!("/InvocationHttpParameters/{kind}"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let snake = match kind {
                "HeaderParameters" => "header_parameters",
                "QueryStringParameters" => "query_string_parameters",
                _ => "body_parameters",
            };
            let from_secret = secrets
                .pointer(&format!("/invocation_http_parameters/{snake}"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for p in from_desc {
                let Some(k) = p.get("Key").and_then(Value::as_str) else {
                    continue;
                };
                let v = p
                    .get("Value")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .or_else(|| {
                        from_secret
                            .iter()
                            .find(|s| s.get("key").and_then(Value::as_str) == Some(k))
                            .and_then(|s| s.get("value").and_then(Value::as_str))
                            .map(str::to_string)
                    });
                if let Some(v) = v {
                    let pair = (k.to_string(), v);
                    match target {
                        0 => auth.headers.push(pair),
                        1 => auth.query.push(pair),
                        _ => auth.body.push(pair),
                    }
                }
            }
        }
        Ok(auth)
    }

    /// An OAuth client-credentials token from the connection's authorization endpoint.
    async fn oauth_token(
        &self,
        request: &TaskRequest,
        params: &Value,
        secrets: &Value,
    ) -> Result<String, TaskError> {
        use base64::Engine;
        let o = params.get("OAuthParameters").cloned().unwrap_or_default();
        let endpoint = o
            .get("AuthorizationEndpoint")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let id = secrets
            .get("client_id")
            .and_then(Value::as_str)
            .or_else(|| {
                o.pointer("/ClientParameters/ClientID")
                    .and_then(Value::as_str)
            })
            .unwrap_or_default();
        let secret = secrets
            .get("client_secret")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        let resp = self
            .client
            .send_raw(RawRequest {
                method: o
                    .get("HttpMethod")
                    .and_then(Value::as_str)
                    .unwrap_or("POST")
                    .to_string(),
                url: endpoint.to_string(),
                headers: vec![
                    ("authorization".into(), format!("Basic {basic}")),
                    (
                        "content-type".into(),
                        "application/x-www-form-urlencoded".into(),
                    ),
                ],
                body: b"grant_type=client_credentials".to_vec(),
                sign: None,
            })
            .await
            .map_err(|e| send_error(request, e, "Events.ConnectionResource"))?;
        let token = serde_json::from_slice::<Value>(&resp.body)
            .ok()
            .and_then(|v| {
                v.get("access_token")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
        match token {
            Some(t) if (200..300).contains(&resp.status) => Ok(t),
            _ => Err(TaskError::Failed(Failure::new(
                "Events.ConnectionResource.AuthInProgress",
                format!(
                    "the connection's OAuth endpoint answered {}: {}",
                    resp.status,
                    String::from_utf8_lossy(&resp.body)
                ),
            ))),
        }
    }
}

/// What a connection adds to a request.
#[derive(Debug, Default)]
struct ConnectionAuth {
    headers: Vec<(String, String)>,
    query: Vec<(String, String)>,
    body: Vec<(String, String)>,
}

fn set_type(headers: &mut Vec<(String, String)>, ct: &str) {
    if !headers.iter().any(|(k, _)| k == "content-type") {
        headers.push(("content-type".into(), ct.into()));
    }
}

/// A query or form value, arrays written in the HTTP Task's `ArrayFormat`, objects by
/// their members (`a[b]`).
fn flatten(out: &mut Vec<(String, String)>, key: &str, v: &Value, format: &str) {
    match v {
        Value::Array(a) => match format {
            "REPEAT" => a.iter().for_each(|x| flatten(out, key, x, format)),
            "COMMAS" => out.push((
                key.to_string(),
                a.iter().map(text_of).collect::<Vec<_>>().join(","),
            )),
            "BRACKETS" => a
                .iter()
                .for_each(|x| flatten(out, &format!("{key}[]"), x, format)),
            _ => a
                .iter()
                .enumerate()
                .for_each(|(i, x)| flatten(out, &format!("{key}[{i}]"), x, format)),
        },
        Value::Object(m) => m
            .iter()
            .for_each(|(k, x)| flatten(out, &format!("{key}[{k}]"), x, format)),
        Value::Null => {}
        other => out.push((key.to_string(), text_of(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_follow_the_array_format() {
        let v = json!(["a", "b"]);
        let mut out = Vec::new();
        for f in ["INDICES", "REPEAT", "COMMAS", "BRACKETS"] {
            flatten(&mut out, "k", &v, f);
        }
        let got: Vec<String> = out.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            got,
            ["k[0]=a", "k[1]=b", "k=a", "k=b", "k=a,b", "k[]=a", "k[]=b"]
        );
        let mut out = Vec::new();
        flatten(&mut out, "o", &json!({"x": 1, "y": [true]}), "INDICES");
        assert_eq!(
            out,
            vec![
                ("o[x]".into(), "1".into()),
                ("o[y][0]".into(), "true".into())
            ]
        );
    }

    #[test]
    fn nulls_are_dropped_at_every_depth() {
        let mut v = json!({"a": null, "b": {"c": null, "d": 1}, "e": [{"f": null}]});
        drop_nulls(&mut v);
        assert_eq!(v, json!({"b": {"d": 1}, "e": [{}]}));
    }
}
