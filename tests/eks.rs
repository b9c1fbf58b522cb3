//! `eks:call` and `eks:runJob` (`.sync` too) against a fake Kubernetes API server in the test:
//! HTTPS on 127.0.0.1 with a certificate authority and a server certificate made here (no key
//! material is committed), answering only requests whose bearer token has the shape EKS's
//! authenticator accepts (`k8s-aws-v1.` + base64url of a presigned STS `GetCallerIdentity`
//! URL with `x-k8s-aws-id` among its signed headers). It echoes `call` requests, keeps Jobs
//! that complete or fail after a few polls (or never), with pods and their logs, and records
//! deletions. No AWS is needed: the child `asl` gets throwaway credentials.
#![cfg(feature = "aws")]

use base64::Engine as _;
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::process::Command;
use std::sync::{Arc, Mutex};

const ASL: &str = env!("CARGO_BIN_EXE_asl");

/// What the fake server saw and keeps.
#[derive(Default)]
struct Cluster {
    /// Polls of each Job so far.
    polls: HashMap<String, u32>,
    jobs: HashMap<String, Value>,
    /// `METHOD path?query` of every request.
    seen: Vec<String>,
}

struct Fake {
    endpoint: String,
    /// base64 of the CA's PEM, as EKS's `certificateAuthority.data`.
    ca: String,
    state: Arc<Mutex<Cluster>>,
}

/// Why a bearer token is not one EKS's authenticator would take, if it is not.
fn token_problem(auth: Option<&str>) -> Option<String> {
    let Some(auth) = auth else {
        return Some("no token".into());
    };
    let Some(token) = auth.strip_prefix("Bearer k8s-aws-v1.") else {
        return Some("not a k8s-aws-v1 bearer token".into());
    };
    if token.contains('=') {
        return Some("a padded token".into());
    }
    let Some(url) = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
    else {
        return Some("not base64url".into());
    };
    let wanted = [
        "https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256",
        "X-Amz-Credential=AKIDTEST%2F",
        "X-Amz-Expires=60",
        "X-Amz-SignedHeaders=host%3Bx-k8s-aws-id",
        "X-Amz-Signature=",
    ];
    wanted
        .iter()
        .find(|w| !url.contains(*w))
        .map(|w| format!("{w} missing from {url}"))
}

fn status_body(code: u16, reason: &str, message: &str) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code})
}

/// The fake's answer to one request.
fn answer(
    state: &Mutex<Cluster>,
    method: &str,
    path: &str,
    query: &str,
    auth: Option<&str>,
    body: &[u8],
) -> (u16, Value) {
    let mut st = state.lock().unwrap();
    st.seen.push(format!("{method} {path}?{query}"));
    if let Some(why) = token_problem(auth) {
        return (401, status_body(401, "Unauthorized", &why));
    }
    let q: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (dec(k), dec(v))
        })
        .collect();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let text = String::from_utf8_lossy(body).to_string();
    match (method, parts.as_slice()) {
        (_, ["echo", ..]) => (
            200,
            json!({"method": method, "path": path, "query": q, "body": text}),
        ),
        (_, ["forbidden", ..]) => (
            403,
            status_body(403, "Forbidden", "jobs is forbidden: User cannot list"),
        ),
        ("POST", ["apis", "batch", "v1", "namespaces", ns, "jobs"]) => {
            let mut job: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let Some(name) = job.pointer("/metadata/name").and_then(Value::as_str) else {
                return (422, status_body(422, "Invalid", "no name"));
            };
            let name = name.to_string();
            job["metadata"]["namespace"] = json!(ns);
            job["metadata"]["uid"] = json!(format!("uid-{name}"));
            job["status"] = json!({});
            st.jobs.insert(name, job.clone());
            (201, job)
        }
        ("GET", ["apis", "batch", "v1", "namespaces", _, "jobs", name]) => {
            let Some(mut job) = st.jobs.get(*name).cloned() else {
                return (404, status_body(404, "NotFound", "jobs not found"));
            };
            let n = {
                let p = st.polls.entry(name.to_string()).or_default();
                *p += 1;
                *p
            };
            // `ok-*` completes on the 3rd poll, `bad-*` fails on the 2nd, others run on.
            let condition = if name.starts_with("ok") && n >= 3 {
                Some(("Complete", "Completed"))
            } else if name.starts_with("bad") && n >= 2 {
                Some(("Failed", "BackoffLimitExceeded"))
            } else {
                None
            };
            job["status"] = match condition {
                Some((kind, reason)) => json!({"conditions": [{"type": kind, "status": "True",
                    "reason": reason}], "succeeded": (kind == "Complete") as u8,
                    "failed": (kind == "Failed") as u8}),
                None => json!({"active": 1}),
            };
            (200, job)
        }
        ("DELETE", ["apis", "batch", "v1", "namespaces", _, "jobs", name]) => {
            match st.jobs.remove(*name) {
                Some(_) => (200, status_body(200, "", "deleted")),
                None => (404, status_body(404, "NotFound", "jobs not found")),
            }
        }
        ("GET", ["api", "v1", "namespaces", _, "pods"]) => {
            let selector = q
                .iter()
                .find(|(k, _)| k == "labelSelector")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            let Some(job) = selector.strip_prefix("job-name=") else {
                return (200, json!({"kind": "PodList", "items": []}));
            };
            (
                200,
                json!({"kind": "PodList", "items": [{
                "metadata": {"name": format!("{job}-x7k2p"), "labels": {"job-name": job}},
                "spec": {"containers": [{"name": "main"}, {"name": "sidecar"}]}}]}),
            )
        }
        ("GET", ["api", "v1", "namespaces", _, "pods", _, "log"]) => {
            let container = q
                .iter()
                .find(|(k, _)| k == "container")
                .map(|(_, v)| v.as_str())
                .unwrap_or("");
            let tail = q.iter().any(|(k, v)| k == "tailLines" && v == "1");
            let log = match (container, tail) {
                ("main", _) => "{\"answer\": 42}\n".to_string(),
                ("sidecar", true) => "done\n".to_string(),
                _ => "starting\ndone\n".to_string(),
            };
            (200, Value::String(log))
        }
        _ => (
            404,
            status_body(404, "NotFound", "the server could not find it"),
        ),
    }
}

/// Starts the fake on a thread of its own and returns where it listens and what it trusts.
fn fake() -> Fake {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "kubernetes");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let params =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    let ca = base64::engine::general_purpose::STANDARD.encode(ca_cert.pem());

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let endpoint = format!("https://{}", listener.local_addr().unwrap());
    let state: Arc<Mutex<Cluster>> = Arc::default();
    let served = state.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let state = served.clone();
                tokio::spawn(async move {
                    // A client that does not trust the certificate hangs up here.
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(move |req: hyper::Request<_>| {
                        let state = state.clone();
                        async move {
                            let method = req.method().to_string();
                            let path = req.uri().path().to_string();
                            let query = req.uri().query().unwrap_or("").to_string();
                            let auth = req
                                .headers()
                                .get("authorization")
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_string);
                            let body: hyper::body::Incoming = req.into_body();
                            let body = body
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            let (status, value) =
                                answer(&state, &method, &path, &query, auth.as_deref(), &body);
                            let (kind, text) = match value {
                                Value::String(s) => ("text/plain", s),
                                v => ("application/json", v.to_string()),
                            };
                            Ok::<_, std::convert::Infallible>(
                                hyper::Response::builder()
                                    .status(status)
                                    .header("content-type", kind)
                                    .header("audit-id", "a-1")
                                    .body(Full::new(bytes::Bytes::from(text)))
                                    .unwrap(),
                            )
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                        .await;
                });
            }
        });
    });
    Fake {
        endpoint,
        ca,
        state,
    }
}

/// `asl run` of `def` with every Task on AWS; returns the exit code, the JSON report, stderr.
fn run(def: &Value, args: &[&str]) -> (i32, Value, String) {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("eks");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("m{}-{n}.asl.json", std::process::id()));
    std::fs::write(&path, def.to_string()).unwrap();
    let o = Command::new(ASL)
        .arg("run")
        .arg(&path)
        .args([
            "--aws-all",
            "--result-format",
            "json",
            "--region",
            "eu-west-1",
        ])
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).to_string();
    let out = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    (o.status.code().unwrap_or(-1), out, stderr)
}

fn task(resource: &str, params: Value) -> Value {
    json!({"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": format!("arn:aws:states:::{resource}"), "Parameters": params, "End": true}}})
}

fn cluster_params(f: &Fake) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("ClusterName".into(), json!("c1"));
    m.insert("CertificateAuthority".into(), json!(f.ca));
    m.insert("Endpoint".into(), json!(f.endpoint));
    m
}

fn with(f: &Fake, extra: Value) -> Value {
    let mut m = cluster_params(f);
    if let Value::Object(e) = extra {
        m.extend(e);
    }
    Value::Object(m)
}

fn job(name: &str) -> Value {
    json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
        "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never",
        "containers": [{"name": "main", "image": "perl"}, {"name": "sidecar", "image": "busybox"}]}}}})
}

#[test]
fn eks_call_get_and_post_send_query_lists_and_bodies_and_answer_in_aws_shape() {
    let f = fake();
    let (code, out, err) = run(
        &task(
            "eks:call",
            with(
                &f,
                json!({"Method": "GET", "Path": "/echo/api/v1/namespaces/default/pods",
                "QueryParameters": {"labelSelector": ["job-name=example-job"], "limit": ["2", "3"]}}),
            ),
        ),
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let o = &out["output"];
    assert_eq!(o["StatusCode"], 200);
    assert_eq!(o["StatusText"], "OK");
    assert_eq!(o["Headers"]["Content-Type"], json!(["application/json"]));
    assert_eq!(o["Headers"]["Audit-Id"], json!(["a-1"]));
    let echo = &o["ResponseBody"];
    assert_eq!(echo["method"], "GET");
    assert_eq!(echo["path"], "/echo/api/v1/namespaces/default/pods");
    assert_eq!(
        echo["query"],
        json!([
            ["labelSelector", "job-name=example-job"],
            ["limit", "2"],
            ["limit", "3"]
        ])
    );
    assert_eq!(echo["body"], "");

    let (code, out, err) = run(
        &task(
            "eks:call",
            with(
                &f,
                json!({"Method": "POST", "Path": "/echo/api/v1/namespaces/kube-system/configmaps",
                "RequestBody": {"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "aws-auth"}, "data": {"k": "v"}}}),
            ),
        ),
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let echo = &out["output"]["ResponseBody"];
    assert_eq!(echo["method"], "POST");
    let sent: Value = serde_json::from_str(echo["body"].as_str().unwrap()).unwrap();
    assert_eq!(sent["metadata"]["name"], "aws-auth");
    assert_eq!(sent["data"], json!({"k": "v"}));
}

#[test]
fn an_answer_outside_2xx_fails_with_eks_status_and_the_answer_as_cause() {
    let f = fake();
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:states:::eks:call",
            "Parameters": with(&f, json!({"Method": "GET", "Path": "/forbidden/jobs"})),
            "Catch": [{"ErrorEquals": ["EKS.403"], "Next": "Caught"}], "End": true},
        "Caught": {"Type": "Pass", "End": true}}});
    let (code, out, err) = run(&def, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out["output"]["Error"], "EKS.403");
    let cause: Value = serde_json::from_str(out["output"]["Cause"].as_str().unwrap()).unwrap();
    assert_eq!(cause["StatusCode"], 403);
    assert_eq!(cause["StatusText"], "Forbidden");
    assert_eq!(cause["ResponseBody"]["reason"], "Forbidden");
    assert!(cause.get("Headers").is_none(), "{cause}");

    // A missing object is EKS.404, uncaught here: the run fails with it.
    let (code, out, _) = run(
        &task(
            "eks:call",
            with(
                &f,
                json!({"Method": "DELETE", "Path": "/apis/batch/v1/namespaces/default/jobs/none",
                "QueryParameters": {"propagationPolicy": ["Foreground"]}}),
            ),
        ),
        &[],
    );
    assert_eq!(code, 1);
    assert_eq!(out["error"], "EKS.404", "{out}");
}

#[test]
fn a_certificate_authority_that_did_not_sign_the_server_is_refused_clearly() {
    let f = fake();
    let other = fake();
    let mut params = with(&f, json!({"Method": "GET", "Path": "/echo/x"}));
    params["CertificateAuthority"] = json!(other.ca);
    let (code, _, err) = run(&task("eks:call", params), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot reach the cluster's Kubernetes API server")
            && err.contains("invalid peer certificate")
            && err.contains("not signed by the state's `CertificateAuthority`"),
        "{err}"
    );
    assert!(f.state.lock().unwrap().seen.is_empty());

    let mut params = with(&f, json!({"Method": "GET", "Path": "/echo/x"}));
    params["CertificateAuthority"] = json!("not base64 at all!");
    let (code, _, err) = run(&task("eks:call", params), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`CertificateAuthority` is not base64"),
        "{err}"
    );
}

#[test]
fn run_job_sync_waits_for_completion_and_returns_the_job_with_its_logs() {
    let f = fake();
    let (code, out, err) = run(
        &task(
            "eks:runJob.sync",
            with(
                &f,
                json!({"Namespace": "batch", "Job": job("ok-pi"),
                "LogOptions": {"RetrieveLogs": true, "LogParameters": {"tailLines": ["1"]}}}),
            ),
        ),
        &["--ecs-poll-ms", "20"],
    );
    assert_eq!(code, 0, "{err}");
    let o = &out["output"];
    assert_eq!(o["metadata"]["name"], "ok-pi");
    assert_eq!(o["metadata"]["namespace"], "batch");
    assert_eq!(o["status"]["conditions"][0]["type"], "Complete");
    let containers = &o["logs"]["pods"]["ok-pi-x7k2p"]["containers"];
    // JSON logs are parsed; others stay text; LogParameters reach the log reads.
    assert_eq!(containers["main"]["log"], json!({"answer": 42}));
    assert_eq!(containers["sidecar"]["log"], "done\n");
    let st = f.state.lock().unwrap();
    assert_eq!(st.polls["ok-pi"], 3);
    assert!(
        st.seen
            .contains(&"GET /api/v1/namespaces/batch/pods?labelSelector=job-name%3Dok-pi".into()),
        "{:?}",
        st.seen
    );
    assert!(
        st.jobs.contains_key("ok-pi"),
        "a finished job is not deleted"
    );
    drop(st);

    // RawLogs keeps every log as text; plain runJob answers with the created Job at once.
    let (code, out, err) = run(
        &task(
            "eks:runJob.sync",
            with(
                &f,
                json!({"Namespace": "batch", "Job": job("ok-raw").to_string(),
                "LogOptions": {"RetrieveLogs": true, "RawLogs": true}}),
            ),
        ),
        &["--ecs-poll-ms", "20"],
    );
    assert_eq!(code, 0, "{err}");
    let containers = &out["output"]["logs"]["pods"]["ok-raw-x7k2p"]["containers"];
    assert_eq!(containers["main"]["log"], "{\"answer\": 42}\n");
    assert_eq!(containers["sidecar"]["log"], "starting\ndone\n");

    let (code, out, err) = run(
        &task("eks:runJob", with(&f, json!({"Job": job("ok-rr")}))),
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out["output"]["metadata"]["name"], "ok-rr");
    assert_eq!(out["output"]["metadata"]["namespace"], "default");
    assert!(out["output"].get("logs").is_none());
    assert!(!f.state.lock().unwrap().polls.contains_key("ok-rr"));
}

#[test]
fn a_failed_job_fails_the_state_with_the_job_as_cause() {
    let f = fake();
    let (code, out, err) = run(
        &task(
            "eks:runJob.sync",
            with(
                &f,
                json!({"Job": job("bad-job"), "LogOptions": {"RetrieveLogs": true}}),
            ),
        ),
        &["--ecs-poll-ms", "20"],
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(out["error"], "States.TaskFailed", "{out}");
    let cause: Value = serde_json::from_str(out["cause"].as_str().unwrap()).unwrap();
    assert_eq!(
        cause["status"]["conditions"][0]["reason"],
        "BackoffLimitExceeded"
    );
    assert_eq!(
        cause["logs"]["pods"]["bad-job-x7k2p"]["containers"]["main"]["log"]["answer"],
        42
    );
}

#[test]
fn an_abandoned_job_is_deleted_with_foreground_propagation() {
    let f = fake();
    let def = json!({"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:states:::eks:runJob.sync", "TimeoutSeconds": 1,
        "Parameters": with(&f, json!({"Job": job("slow-job")})), "End": true}}});
    let (code, out, err) = run(&def, &["--ecs-poll-ms", "50"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(out["error"], "States.Timeout", "{out}");
    let st = f.state.lock().unwrap();
    assert!(
        st.seen.contains(
            &"DELETE /apis/batch/v1/namespaces/default/jobs/slow-job?propagationPolicy=Foreground"
                .into()
        ),
        "{:?}",
        st.seen
    );
    assert!(!st.jobs.contains_key("slow-job"));
    assert!(err.contains("deleted Kubernetes job"), "{err}");
}

#[test]
fn a_request_without_eks_token_is_refused_by_the_fake() {
    // The fake itself: what it refuses, so the tests above prove the token's shape.
    let state = Mutex::new(Cluster::default());
    let (status, _) = answer(&state, "GET", "/echo", "", None, b"");
    assert_eq!(status, 401);
    let (status, _) = answer(&state, "GET", "/echo", "", Some("Bearer abc"), b"");
    assert_eq!(status, 401);
    let url = "https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256";
    let t = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(url);
    let (status, _) = answer(
        &state,
        "GET",
        "/echo",
        "",
        Some(&format!("Bearer k8s-aws-v1.{t}")),
        b"",
    );
    assert_eq!(status, 401, "a URL without a signature is refused");
}

#[cfg(unix)]
#[test]
fn ctrl_c_deletes_the_job_a_sync_state_waits_for() {
    let f = fake();
    let def = task(
        "eks:runJob.sync",
        with(
            &f,
            json!({"Namespace": "ns1", "Job": job("slow-interrupted")}),
        ),
    );
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("eks");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("sigint-{}.asl.json", std::process::id()));
    std::fs::write(&path, def.to_string()).unwrap();
    let child = Command::new(ASL)
        .arg("run")
        .arg(&path)
        .args(["--aws-all", "--region", "eu-west-1", "--ecs-poll-ms", "50"])
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the job is being polled, then interrupt the run.
    let started = std::time::Instant::now();
    while !f
        .state
        .lock()
        .unwrap()
        .polls
        .contains_key("slow-interrupted")
    {
        assert!(started.elapsed().as_secs() < 30, "the job was never polled");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let st = f.state.lock().unwrap();
    assert!(
        st.seen.contains(
            &"DELETE /apis/batch/v1/namespaces/ns1/jobs/slow-interrupted?propagationPolicy=Foreground"
                .into()
        ),
        "{:?}",
        st.seen
    );
    assert!(!st.jobs.contains_key("slow-interrupted"));
}
