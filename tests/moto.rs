//! Real AWS calls against the moto emulator: Lambda, ECS, S3 for Distributed Maps, Step
//! Functions for child machines. Skipped (they pass without doing anything)
//! unless `ASL_MOTO_ENDPOINT` is set, which `scripts/moto-tests.sh` does after starting moto.
#![cfg(feature = "aws")]

use asl::handlers::Registry;
use asl::handlers::aws::{AwsHandler, EcsRunner, PollPolicy, SdkSettings, sdk_clients};
use serde_json::{Value, json};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

const ASL: &str = env!("CARGO_BIN_EXE_asl");

fn endpoint() -> Option<String> {
    match std::env::var("ASL_MOTO_ENDPOINT") {
        Ok(e) if !e.is_empty() => Some(e),
        _ => {
            eprintln!("skipped: ASL_MOTO_ENDPOINT is not set (run scripts/moto-tests.sh)");
            None
        }
    }
}

/// The default VPC's subnet and security group, found by scripts/moto-tests.sh.
fn network() -> (String, String) {
    (
        std::env::var("ASL_MOTO_SUBNET").unwrap_or_default(),
        std::env::var("ASL_MOTO_SG").unwrap_or_default(),
    )
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// POSTs JSON to one of moto's own endpoints.
fn moto_api(endpoint: &str, path: &str, body: &Value) {
    let st = Command::new("curl")
        .args(["-fsS", "-o", "/dev/null", "-X", "POST"])
        .arg(format!("{endpoint}{path}"))
        .arg("-d")
        .arg(body.to_string())
        .status()
        .unwrap();
    assert!(st.success(), "moto {path} failed");
}

// No `/moto-api/reset` here: it would also recreate the default VPC under new ids. The
// tests use distinct clusters instead.

/// A cluster and a Fargate task definition with one essential container `worker`.
async fn ecs_setup(endpoint: &str, cluster: &str) {
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .load()
        .await;
    let ecs = aws_sdk_ecs::Client::new(&conf);
    ecs.create_cluster()
        .cluster_name(cluster)
        .send()
        .await
        .unwrap();
    ecs.register_task_definition()
        .family("process-chunk")
        .network_mode(aws_sdk_ecs::types::NetworkMode::Awsvpc)
        .requires_compatibilities(aws_sdk_ecs::types::Compatibility::Fargate)
        .cpu("256")
        .memory("512")
        .container_definitions(
            aws_sdk_ecs::types::ContainerDefinition::builder()
                .name("worker")
                .image("busybox")
                .memory(512)
                .essential(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

#[test]
fn the_pipeline_sample_runs_against_the_emulator() {
    let Some(ep) = endpoint() else { return };
    moto_api(
        &ep,
        "/moto-api/config",
        &json!({"lambda": {"use_docker": false}}),
    );
    rt().block_on(ecs_setup(&ep, "data-cluster"));
    // moto's Lambda without Docker returns queued results, one per invoke, in order.
    moto_api(
        &ep,
        "/moto-api/static/lambda-simple/response",
        &json!({"results": [
            r#"{"chunks": ["part-0", "part-1", "part-2"]}"#,
            r#"{"status": "complete", "chunksProcessed": 3}"#
        ], "region": "us-east-1"}),
    );
    // The sample names placeholder network ids; the emulator wants ones that exist.
    let root = env!("CARGO_MANIFEST_DIR");
    let (subnet, sg) = network();
    let def = std::fs::read_to_string(format!("{root}/asl-samples/pipeline.asl.json"))
        .unwrap()
        .replace("subnet-0123456789abcdef0", &subnet)
        .replace("sg-0123456789abcdef0", &sg);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("moto-pipeline");
    std::fs::create_dir_all(&dir).unwrap();
    let def_path = dir.join("pipeline.asl.json");
    std::fs::write(&def_path, def).unwrap();
    let o = Command::new(ASL)
        .args([
            "run",
            def_path.to_str().unwrap(),
            "--input-file",
            &format!("{root}/asl-samples/pipeline.input.json"),
            "--aws-all",
            "--endpoint-url",
            &ep,
            "--region",
            "us-east-1",
            "--ecs-poll-ms",
            "20",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "{\"status\":\"complete\",\"chunksProcessed\":3}\n"
    );
    assert!(
        !stderr.contains("test"),
        "credentials must never be printed: {stderr}"
    );
}

#[test]
fn a_hundred_concurrent_sync_tasks_share_batched_describe_calls() {
    let Some(ep) = endpoint() else { return };
    let rt = rt();
    rt.block_on(ecs_setup(&ep, "batch-cluster"));
    let clients = rt.block_on(sdk_clients(&SdkSettings {
        profile: None,
        region: Some("us-east-1".into()),
        endpoint_url: Some(ep.clone()),
        ..SdkSettings::default()
    }));
    let runner = EcsRunner::new(
        clients.ecs,
        PollPolicy {
            initial: Duration::from_millis(300),
            max: Duration::from_millis(600),
            factor: 1.5,
        },
    );
    let mut registry = Registry::new();
    registry.fallback(Arc::new(AwsHandler::new(clients.lambda, runner.clone())));
    let (subnet, sg) = network();
    let def = json!({"StartAt": "Fan", "States": {"Fan": {"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "Run", "States": {"Run": {"Type": "Task",
          "Resource": "arn:aws:states:::ecs:runTask.sync",
          "Parameters": {"Cluster": "batch-cluster", "TaskDefinition": "process-chunk", "LaunchType": "FARGATE",
            "NetworkConfiguration": {"AwsvpcConfiguration": {"Subnets": [subnet], "SecurityGroups": [sg]}}},
          "ResultSelector": {"status.$": "$.LastStatus", "exit.$": "$.Containers[0].ExitCode"},
          "End": true}}}}}});
    let machine = asl::definition::load_str(&def.to_string()).unwrap();
    let input = Value::Array((0..100).map(|i| json!(i)).collect());
    let opts = asl::engine::Options {
        handlers: registry,
        ..asl::engine::Options::default()
    };
    let outcome = rt
        .block_on(asl::engine::run(&machine, input, opts))
        .unwrap();
    assert_eq!(outcome.error, None, "{:?}", outcome.cause);
    let out = outcome.output.unwrap();
    assert_eq!(out.as_array().map(Vec::len), Some(100));
    assert_eq!(out[0], json!({"status": "STOPPED", "exit": 0}));
    // moto stops a task on its 4th describe: one call per round for 100 tasks of one
    // cluster is 4 calls; tasks that started late can add a round or two, never 100s.
    let calls = runner.describe_calls();
    eprintln!("DescribeTasks calls for 100 tasks: {calls}");
    assert!((4..=8).contains(&calls), "{calls} DescribeTasks calls");
}

#[cfg(unix)]
fn ecs_client(endpoint: &str) -> aws_sdk_ecs::Client {
    let conf = rt().block_on(
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(aws_config::Region::new("us-east-1"))
            .load(),
    );
    aws_sdk_ecs::Client::new(&conf)
}

/// The ARNs of the cluster's tasks with this desired status. ListTasks, unlike DescribeTasks,
/// does not move moto's tasks along their lifecycle.
#[cfg(unix)]
fn tasks_desired(ecs: &aws_sdk_ecs::Client, cluster: &str, status: &str) -> Vec<String> {
    let mut arns = rt()
        .block_on(
            ecs.list_tasks()
                .cluster(cluster)
                .desired_status(status.into())
                .send(),
        )
        .unwrap()
        .task_arns()
        .to_vec();
    arns.sort();
    arns
}

/// Starts `asl run` on a Parallel of two `ecs:runTask.sync` branches, waits until moto has
/// both tasks running, sends `signal` to asl and checks that the run ends ABORTED and that
/// asl called StopTask for each task (moto keeps StopTask's reason).
#[cfg(unix)]
fn stop_ecs_tasks_with(signal: libc::c_int, cluster: &str) {
    use std::time::Instant;
    let Some(ep) = endpoint() else { return };
    rt().block_on(ecs_setup(&ep, cluster));
    let ecs = ecs_client(&ep);
    let (subnet, sg) = network();
    let branch = |name: &str| {
        json!({"StartAt": name, "States": {name: {"Type": "Task",
            "Resource": "arn:aws:states:::ecs:runTask.sync",
            "Parameters": {"Cluster": cluster, "TaskDefinition": "process-chunk", "LaunchType": "FARGATE",
              "NetworkConfiguration": {"AwsvpcConfiguration": {"Subnets": [&subnet], "SecurityGroups": [&sg]}}},
            "End": true}}})
    };
    let def = json!({"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": true,
        "Branches": [branch("First"), branch("Second")]}}});
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("moto-{cluster}"));
    std::fs::create_dir_all(&dir).unwrap();
    let def_path = dir.join("m.asl.json");
    std::fs::write(&def_path, def.to_string()).unwrap();
    let mut child = Command::new(ASL)
        .args([
            "run",
            def_path.to_str().unwrap(),
            "--aws-all",
            "--endpoint-url",
            &ep,
        ])
        .args([
            "--region",
            "us-east-1",
            "--result-format",
            "json",
            "--clock",
            "real",
        ])
        // asl must not poll while the test looks: moto moves a task on with each describe.
        .args(["--ecs-poll-ms", "600000"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let began = Instant::now();
    let running = loop {
        let arns = tasks_desired(&ecs, cluster, "RUNNING");
        if arns.len() == 2 {
            break arns;
        }
        if began.elapsed() > Duration::from_secs(30) || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            let o = child.wait_with_output().unwrap();
            panic!(
                "the two tasks never ran ({arns:?}): {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // SAFETY: sending a signal to a child process this test started.
    unsafe {
        libc::kill(child.id() as libc::pid_t, signal);
    }
    let stopped_at = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if stopped_at.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("asl did not end within 30 s of the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["status"], "ABORTED", "{v}");
    assert_eq!(
        tasks_desired(&ecs, cluster, "RUNNING"),
        Vec::<String>::new()
    );
    assert_eq!(tasks_desired(&ecs, cluster, "STOPPED"), running);
    let described = rt()
        .block_on(
            ecs.describe_tasks()
                .cluster(cluster)
                .set_tasks(Some(running.clone()))
                .send(),
        )
        .unwrap();
    for t in described.tasks() {
        assert_eq!(t.desired_status(), Some("STOPPED"));
        let reason = t.stopped_reason().unwrap_or_default();
        assert!(reason.starts_with("asl: "), "stopped reason `{reason}`");
    }
    for arn in &running {
        assert!(
            stderr.contains(&format!("stopped ECS task {arn}")),
            "{stderr}"
        );
    }
}

#[cfg(unix)]
#[test]
fn sigterm_aborts_the_run_and_stops_its_running_ecs_tasks() {
    stop_ecs_tasks_with(libc::SIGTERM, "sigterm-cluster");
}

#[cfg(unix)]
#[test]
fn sigint_aborts_the_run_and_stops_its_running_ecs_tasks() {
    stop_ecs_tasks_with(libc::SIGINT, "sigint-cluster");
}

async fn sdk_conf(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .load()
        .await
}

/// An S3 client for the emulator (path-style, as asl addresses an endpoint).
async fn s3(endpoint: &str) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(&sdk_conf(endpoint).await)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// A bucket holding `objects` (key, body).
fn s3_bucket(endpoint: &str, bucket: &str, objects: &[(&str, Vec<u8>)]) {
    rt().block_on(async {
        let c = s3(endpoint).await;
        c.create_bucket().bucket(bucket).send().await.unwrap();
        for (k, body) in objects {
            c.put_object()
                .bucket(bucket)
                .key(*k)
                .body(body.clone().into())
                .send()
                .await
                .unwrap();
        }
    });
}

fn s3_read(endpoint: &str, bucket: &str, key: &str) -> Vec<u8> {
    rt().block_on(async {
        let o = s3(endpoint)
            .await
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("s3://{bucket}/{key}: {e:?}"));
        o.body.collect().await.unwrap().to_vec()
    })
}

/// `asl run` of `def` with `args`, against the emulator: (exit code, stdout JSON, stderr).
fn run_json(
    endpoint: &str,
    name: &str,
    def: &Value,
    input: &Value,
    args: &[&str],
) -> (i32, Value, String) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("moto-runs");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.asl.json"));
    std::fs::write(&path, def.to_string()).unwrap();
    let o = Command::new(ASL)
        .arg("run")
        .arg(&path)
        .args(["--input", &input.to_string(), "--result-format", "json"])
        .args(["--endpoint-url", endpoint, "--region", "us-east-1"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).to_string();
    let out: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {stderr}"));
    (o.status.code().unwrap_or(-1), out, stderr)
}

#[test]
fn a_distributed_map_reads_csv_from_s3_and_writes_its_results_there() {
    let Some(ep) = endpoint() else { return };
    s3_bucket(
        &ep,
        "asl-moto-csv",
        &[("in/orders.csv", b"id,amount\n1,10\n2,25\n3,7\n".to_vec())],
    );
    let def = json!({"StartAt": "Orders", "States": {"Orders": {"Type": "Map", "End": true,
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
            "Parameters": {"Bucket": "asl-moto-csv", "Key": "in/orders.csv"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Tag", "States": {"Tag": {"Type": "Pass",
                "Parameters": {"order.$": "$.id", "cents.$": "States.Format('{}00', $.amount)"}, "End": true}}},
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
            "Parameters": {"Bucket": "asl-moto-csv", "Prefix": "out"}}}}});
    // Routing the Map to AWS is what chooses the real S3.
    let (code, out, stderr) = run_json(&ep, "csv-map", &def, &json!({}), &["--aws", "Orders"]);
    assert_eq!(code, 0, "{out} {stderr}");
    let details = &out["output"]["ResultWriterDetails"];
    assert_eq!(details["Bucket"], "asl-moto-csv");
    let manifest_key = details["Key"].as_str().unwrap();
    assert!(manifest_key.starts_with("out/") && manifest_key.ends_with("/manifest.json"));
    let manifest: Value =
        serde_json::from_slice(&s3_read(&ep, "asl-moto-csv", manifest_key)).unwrap();
    assert_eq!(manifest["DestinationBucket"], "asl-moto-csv");
    assert_eq!(manifest["ResultFiles"]["FAILED"], json!([]));
    let file = &manifest["ResultFiles"]["SUCCEEDED"][0];
    let body = s3_read(&ep, "asl-moto-csv", file["Key"].as_str().unwrap());
    assert_eq!(file["Size"], json!(body.len()));
    let records: Vec<Value> = serde_json::from_slice(&body).unwrap();
    let outputs: Vec<Value> = records
        .iter()
        .map(|r| serde_json::from_str(r["Output"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(
        outputs,
        [
            json!({"order": "1", "cents": "1000"}),
            json!({"order": "2", "cents": "2500"}),
            json!({"order": "3", "cents": "700"})
        ]
    );
    assert!(records.iter().all(|r| r["Status"] == "SUCCEEDED"));
}

#[test]
fn listed_objects_are_items_shaped_as_aws_gives_them_and_json_is_read_from_them() {
    let Some(ep) = endpoint() else { return };
    s3_bucket(
        &ep,
        "asl-moto-list",
        &[
            ("data/a.json", br#"[{"n": 1}, {"n": 2}]"#.to_vec()),
            ("data/b.json", br#"[{"n": 3}]"#.to_vec()),
            ("other/c.json", br#"[{"n": 4}]"#.to_vec()),
        ],
    );
    let map = |config: Value| {
        json!({"StartAt": "Each", "States": {"Each": {"Type": "Map", "End": true,
            "ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2", "ReaderConfig": config,
                "Parameters": {"Bucket": "asl-moto-list", "Prefix": "data/"}},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                "StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": true}}}}}})
    };
    let (code, out, stderr) =
        run_json(&ep, "list-map", &map(json!({})), &json!({}), &["--aws-all"]);
    assert_eq!(code, 0, "{out} {stderr}");
    let items = out["output"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let a = &items[0];
    assert_eq!(a["Key"], "data/a.json");
    assert_eq!(a["Size"], 20);
    // The ETag of a single-part object is the quoted MD5 of its bytes.
    let md5 = md5_hex(br#"[{"n": 1}, {"n": 2}]"#);
    assert_eq!(a["Etag"], format!("\"{md5}\""));
    assert_eq!(a["StorageClass"], "STANDARD");
    assert!(a["LastModified"].as_i64().unwrap() > 1_600_000_000);
    let keys: Vec<&str> = a.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["Etag", "Key", "LastModified", "Size", "StorageClass"]
    );
    let flat = map(json!({"InputType": "JSON", "Transformation": "LOAD_AND_FLATTEN"}));
    let (code, out, stderr) = run_json(&ep, "flatten-map", &flat, &json!({}), &["--aws-all"]);
    assert_eq!(code, 0, "{out} {stderr}");
    assert_eq!(out["output"], json!([{"n": 1}, {"n": 2}, {"n": 3}]));
}

fn md5_hex(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn a_missing_key_or_bucket_fails_the_map_with_aws_item_reader_error() {
    let Some(ep) = endpoint() else { return };
    s3_bucket(&ep, "asl-moto-missing", &[]);
    let def = |bucket: &str| {
        json!({"StartAt": "Read", "States": {"Read": {"Type": "Map", "End": true,
            "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "JSON"},
                "Parameters": {"Bucket": bucket, "Key": "nope.json"}},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}})
    };
    let (code, out, stderr) = run_json(
        &ep,
        "missing-key",
        &def("asl-moto-missing"),
        &json!({}),
        &["--aws-all"],
    );
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        out,
        json!({"status": "FAILED", "output": null, "error": "States.ItemReaderFailed",
            "cause": "The specified key does not exist. (Service: S3, Status Code: 404, Error Code: NoSuchKey)"})
    );
    let (code, out, stderr) = run_json(
        &ep,
        "missing-bucket",
        &def("asl-moto-no-such-bucket"),
        &json!({}),
        &["--aws-all"],
    );
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(out["error"], "States.ItemReaderFailed");
    assert_eq!(
        out["cause"],
        "The specified bucket does not exist (Service: S3, Status Code: 404, Error Code: NoSuchBucket)"
    );
}

#[test]
fn results_past_one_part_are_uploaded_in_parts_and_a_large_object_streams_in() {
    let Some(ep) = endpoint() else { return };
    // 300 items of 32 KiB: a 9.6 MB object in, a results file over the 8 MiB part size out.
    let item = "x".repeat(32 * 1024);
    let items: Vec<Value> = (0..300).map(|i| json!({"i": i, "pad": item})).collect();
    s3_bucket(
        &ep,
        "asl-moto-big",
        &[("big.json", serde_json::to_vec(&items).unwrap())],
    );
    let def = json!({"StartAt": "Big", "States": {"Big": {"Type": "Map", "End": true,
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "JSON"},
            "Parameters": {"Bucket": "asl-moto-big", "Key": "big.json"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
            "Parameters": {"Bucket": "asl-moto-big", "Prefix": "results"},
            "WriterConfig": {"OutputType": "JSONL", "Transformation": "COMPACT"}}}}});
    let (code, out, stderr) = run_json(&ep, "big-map", &def, &json!({}), &["--aws-all"]);
    assert_eq!(code, 0, "{out} {stderr}");
    let key = out["output"]["ResultWriterDetails"]["Key"]
        .as_str()
        .unwrap();
    let manifest: Value = serde_json::from_slice(&s3_read(&ep, "asl-moto-big", key)).unwrap();
    let file = &manifest["ResultFiles"]["SUCCEEDED"][0];
    let results_key = file["Key"].as_str().unwrap();
    let body = s3_read(&ep, "asl-moto-big", results_key);
    assert!(body.len() > 8 * 1024 * 1024, "{} bytes", body.len());
    // A multipart object's ETag ends in `-PARTS`.
    let etag = rt().block_on(async {
        let h = s3(&ep)
            .await
            .head_object()
            .bucket("asl-moto-big")
            .key(results_key)
            .send()
            .await
            .unwrap();
        h.e_tag().unwrap_or_default().to_string()
    });
    assert!(etag.ends_with("-2\""), "{etag}");
    assert_eq!(file["Size"], json!(body.len()));
    let lines: Vec<Value> = body
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 300);
    assert_eq!(lines[299]["i"], 299);
    assert_eq!(lines[0]["pad"].as_str().map(str::len), Some(32 * 1024));
}

/// State machines in the emulator, which runs their definitions (moto's
/// `execute_state_machine`): `Child` succeeds, `FailingChild` fails.
fn sfn_setup(endpoint: &str) -> (String, String) {
    moto_api(
        endpoint,
        "/moto-api/config",
        &json!({"stepfunctions": {"execute_state_machine": true}}),
    );
    rt().block_on(async {
        let c = aws_sdk_sfn::Client::new(&sdk_conf(endpoint).await);
        let mut arns = Vec::new();
        for (name, def) in [
            (
                "Child",
                json!({"StartAt": "Echo", "States": {"Echo": {"Type": "Pass",
                "Parameters": {"done": true, "n.$": "$.n"}, "End": true}}}),
            ),
            (
                "FailingChild",
                json!({"StartAt": "Boom", "States": {"Boom": {"Type": "Fail",
                "Error": "Boom", "Cause": "it broke"}}}),
            ),
        ] {
            let existing = c.list_state_machines().send().await.unwrap();
            if let Some(m) = existing.state_machines().iter().find(|m| m.name() == name) {
                arns.push(m.state_machine_arn().to_string());
                continue;
            }
            let out = c
                .create_state_machine()
                .name(name)
                .definition(def.to_string())
                .role_arn("arn:aws:iam::123456789012:role/asl-moto")
                .send()
                .await
                .unwrap();
            arns.push(out.state_machine_arn().to_string());
        }
        (arns[0].clone(), arns[1].clone())
    })
}

/// A parent starting `machine_arn`. Each execution is named: moto names an unnamed one
/// `None`, so a second would already exist (AWS gives it a UUID).
fn start_child(resource: &str, machine_arn: &str) -> Value {
    json!({"StartAt": "Start", "States": {"Start": {"Type": "Task", "Resource": resource,
        "Parameters": {"StateMachineArn": machine_arn, "Name.$": "States.UUID()",
            "Input": {"n.$": "$.n"}}, "End": true}}})
}

#[test]
fn child_machines_run_on_step_functions_with_aws_result_shapes() {
    let Some(ep) = endpoint() else { return };
    let (child, failing) = sfn_setup(&ep);
    let fast = ["--aws-all", "--ecs-poll-ms", "50"];
    let input = json!({"n": 7});

    let (code, out, stderr) = run_json(
        &ep,
        "start",
        &start_child("arn:aws:states:::states:startExecution", &child),
        &input,
        &fast,
    );
    assert_eq!(code, 0, "{out} {stderr}");
    let o = out["output"].as_object().unwrap();
    assert_eq!(o.keys().collect::<Vec<_>>(), ["ExecutionArn", "StartDate"]);
    assert!(
        o["ExecutionArn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:states:us-east-1:123456789012:execution:Child:")
    );
    assert!(o["StartDate"].as_i64().unwrap() > 1_600_000_000_000);

    let (code, out, stderr) = run_json(
        &ep,
        "sync",
        &start_child("arn:aws:states:::states:startExecution.sync", &child),
        &input,
        &fast,
    );
    assert_eq!(code, 0, "{out} {stderr}");
    let o = &out["output"];
    assert_eq!(o["Status"], "SUCCEEDED");
    assert_eq!(o["StateMachineArn"], child.as_str());
    // `.sync`: Input and Output are JSON text.
    assert_eq!(o["Input"], "{\"n\":7}");
    let output: Value = serde_json::from_str(o["Output"].as_str().unwrap()).unwrap();
    assert_eq!(output, json!({"done": true, "n": 7}));
    assert!(o["StopDate"].as_i64().unwrap() >= o["StartDate"].as_i64().unwrap());

    let (code, out, stderr) = run_json(
        &ep,
        "sync2",
        &start_child("arn:aws:states:::states:startExecution.sync:2", &child),
        &input,
        &fast,
    );
    assert_eq!(code, 0, "{out} {stderr}");
    assert_eq!(out["output"]["Output"], json!({"done": true, "n": 7}));
    assert_eq!(out["output"]["Input"], json!({"n": 7}));

    let (code, out, stderr) = run_json(
        &ep,
        "sync-fail",
        &start_child("arn:aws:states:::states:startExecution.sync", &failing),
        &input,
        &fast,
    );
    assert_eq!(code, 1, "{out} {stderr}");
    assert_eq!(out["error"], "States.TaskFailed");
    let cause: Value = serde_json::from_str(out["cause"].as_str().unwrap()).unwrap();
    assert_eq!(cause["Status"], "FAILED");
    assert_eq!(cause["Error"], "Boom");
    assert_eq!(cause["Cause"], "it broke");
    assert_eq!(cause["StateMachineArn"], failing.as_str());

    let missing = child.replace(":Child", ":NoSuchChild");
    let (code, out, stderr) = run_json(
        &ep,
        "missing-machine",
        &start_child("arn:aws:states:::states:startExecution", &missing),
        &input,
        &fast,
    );
    assert_eq!(code, 1, "{out} {stderr}");
    assert_eq!(
        out["error"],
        "StepFunctions.StateMachineDoesNotExistException"
    );
    let cause = out["cause"].as_str().unwrap();
    assert!(
        cause.contains("(Service: AWSStepFunctions; Status Code: 400; Error Code: StateMachineDoesNotExist; Request ID: "),
        "{cause}"
    );
}

#[test]
fn a_sync_state_that_times_out_stops_its_child_on_step_functions() {
    let Some(ep) = endpoint() else { return };
    moto_api(
        &ep,
        "/moto-api/config",
        &json!({"stepfunctions": {"execute_state_machine": true}}),
    );
    let slow = rt().block_on(async {
        let c = aws_sdk_sfn::Client::new(&sdk_conf(&ep).await);
        let def = json!({"StartAt": "Sleep", "States": {"Sleep": {"Type": "Wait", "Seconds": 60, "End": true}}});
        c.create_state_machine()
            .name("SlowChild")
            .definition(def.to_string())
            .role_arn("arn:aws:iam::123456789012:role/asl-moto")
            .send()
            .await
            .unwrap()
            .state_machine_arn()
            .to_string()
    });
    let mut def = start_child("arn:aws:states:::states:startExecution.sync", &slow);
    def["States"]["Start"]["TimeoutSeconds"] = json!(2);
    let (code, out, stderr) = run_json(
        &ep,
        "sync-timeout",
        &def,
        &json!({"n": 1}),
        &["--aws-all", "--ecs-poll-ms", "50", "--clock", "real"],
    );
    assert_eq!(code, 1, "{out} {stderr}");
    assert_eq!(out["error"], "States.Timeout");
    assert!(
        stderr.contains(
            "asl: stopped execution arn:aws:states:us-east-1:123456789012:execution:SlowChild:"
        ),
        "{stderr}"
    );
    let statuses = rt().block_on(async {
        let c = aws_sdk_sfn::Client::new(&sdk_conf(&ep).await);
        let l = c
            .list_executions()
            .state_machine_arn(&slow)
            .send()
            .await
            .unwrap();
        l.executions()
            .iter()
            .map(|e| e.status().as_str().to_string())
            .collect::<Vec<_>>()
    });
    assert_eq!(statuses, ["ABORTED"]);
}

#[test]
fn s3_and_s3_root_fail_alike_for_a_missing_key_and_a_missing_result_bucket() {
    let Some(ep) = endpoint() else { return };
    s3_bucket(&ep, "asl-moto-alike", &[("items.json", b"[1, 2]".to_vec())]);
    let local = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("moto-alike-root");
    std::fs::create_dir_all(local.join("asl-moto-alike")).unwrap();
    std::fs::write(local.join("asl-moto-alike/items.json"), "[1, 2]").unwrap();
    let def = |key: &str, results: &str| {
        json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                "Parameters": {"Bucket": "asl-moto-alike", "Key": key}},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
            "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                "Parameters": {"Bucket": results, "Prefix": "r"}}}}})
    };
    for (name, d, error) in [
        (
            "alike-key",
            def("missing.json", "asl-moto-alike"),
            "States.ItemReaderFailed",
        ),
        (
            "alike-bucket",
            def("items.json", "asl-moto-no-results"),
            "States.ResultWriterFailed",
        ),
    ] {
        let (code, on_s3, stderr) = run_json(&ep, name, &d, &json!({}), &["--aws-all"]);
        assert_eq!(code, 1, "{stderr}");
        assert_eq!(on_s3["error"], error);
        let root = local.to_str().unwrap();
        let (code, on_disk, stderr) = run_json(&ep, name, &d, &json!({}), &["--s3-root", root]);
        assert_eq!(code, 1, "{stderr}");
        assert_eq!(on_s3, on_disk);
    }
}

/// `asl record ARN` fetches the history (every page), the execution's names and the
/// definition that ran from Step Functions, and writes a test that passes and a history that
/// replays.
#[test]
fn an_execution_is_recorded_from_its_arn() {
    let Some(ep) = endpoint() else { return };
    moto_api(
        &ep,
        "/moto-api/config",
        &json!({"stepfunctions": {"execute_state_machine": true}}),
    );
    let definition = json!({"StartAt": "Fan", "States": {
        "Fan": {"Type": "Parallel", "Next": "Each", "ResultPath": "$.fan", "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": 1, "End": true}}},
            {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": 2, "End": true}}}]},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {"StartAt": "Twice",
            "States": {"Twice": {"Type": "Pass", "Parameters": {"n.$": "$"}, "End": true}}}, "End": true}}});
    let (arn, output) = rt().block_on(async {
        let c = aws_sdk_sfn::Client::new(&sdk_conf(&ep).await);
        let machine = c
            .create_state_machine()
            .name("recorded-from-arn")
            .definition(definition.to_string())
            .role_arn("arn:aws:iam::123456789012:role/asl-moto")
            .send()
            .await
            .unwrap();
        let started = c
            .start_execution()
            .state_machine_arn(machine.state_machine_arn())
            .name("incident-1")
            .input(json!({"items": [1, 2]}).to_string())
            .send()
            .await
            .unwrap();
        let arn = started.execution_arn().to_string();
        for _ in 0..100 {
            let d = c
                .describe_execution()
                .execution_arn(&arn)
                .send()
                .await
                .unwrap();
            if d.status().as_str() != "RUNNING" {
                return (arn, d.output().unwrap_or_default().to_string());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the execution did not end");
    });
    let dir = std::env::temp_dir().join(format!("asl-moto-record-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = Command::new(ASL)
        .args(["record", &arn, "--endpoint-url", &ep, "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        "incident-1.history.json",
        "incident-1.asl.json",
        "incident-1.test.yaml",
        "incident-1.mocks.json",
    ] {
        assert!(dir.join(f).exists(), "{f}");
    }
    let test = std::fs::read_to_string(dir.join("incident-1.test.yaml")).unwrap();
    assert!(
        test.contains(
            r#"path: ["Fan", "Fan[0]/A", "Fan[1]/B", "Each", "Each[0]/Twice", "Each[1]/Twice"]"#
        ),
        "{test}"
    );
    let out = Command::new(ASL).arg("test").arg(&dir).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(ASL)
        .arg("run")
        .arg(dir.join("incident-1.asl.json"))
        .arg("--replay")
        .arg(dir.join("incident-1.history.json"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let replayed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(replayed, serde_json::from_str::<Value>(&output).unwrap());
}

/// `asl run DEF --remote ...` against moto's Step Functions, which runs definitions
/// (`execute_state_machine`): exit code, stdout and stderr. Executions are named per test
/// process, so that a second run against the same moto starts new ones.
fn remote(ep: &str, def: &str, body: &Value, args: &[&str]) -> (i32, String, String) {
    moto_api(
        ep,
        "/moto-api/config",
        &json!({"stepfunctions": {"execute_state_machine": true}}),
    );
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("moto-remote");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{def}.asl.json"));
    std::fs::write(&path, body.to_string()).unwrap();
    let o = Command::new(ASL)
        .arg("run")
        .arg(&path)
        .args(["--remote", "--endpoint-url", ep, "--region", "us-east-1"])
        .args(args)
        .env(
            "ASL_REMOTE_ROLE_ARN",
            "arn:aws:iam::123456789012:role/asl-moto",
        )
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

fn remote_name(what: &str) -> String {
    format!("{what}-{}", std::process::id())
}

/// A succeeding remote run prints the output a local run prints, traces the states as their
/// events arrive (iterations labelled as locally), writes a history that replays to the
/// same output, and draws the execution; a second run updates the machine.
#[test]
fn a_remote_run_prints_what_a_local_run_prints_and_writes_the_history() {
    let Some(ep) = endpoint() else { return };
    let def = json!({"StartAt": "Fan", "States": {
        "Fan": {"Type": "Parallel", "Next": "Each", "ResultPath": "$.fan", "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": 1, "End": true}}},
            {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": 2, "End": true}}}]},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {"StartAt": "Twice",
            "States": {"Twice": {"Type": "Pass", "Parameters": {"n.$": "$"}, "End": true}}}, "End": true}}});
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("moto-remote");
    let history = dir.join("remote-ok.history.json");
    let graph = dir.join("remote-ok.svg");
    let _ = std::fs::remove_file(&graph);
    let name = remote_name("ok");
    let (code, out, err) = remote(
        &ep,
        "remote-ok",
        &def,
        &[
            "--input",
            r#"{"items": [1, 2]}"#,
            "--execution-name",
            &name,
            "--trace",
            "--history",
            history.to_str().unwrap(),
            "--graph",
            graph.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "[{\"n\":1},{\"n\":2}]\n");
    // The same output as the definition run locally.
    let local = Command::new(ASL)
        .arg("run")
        .arg(dir.join("remote-ok.asl.json"))
        .args(["--input", r#"{"items": [1, 2]}"#])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&local.stdout), out);
    assert!(
        err.contains(&format!(
            "asl: started execution arn:aws:states:us-east-1:123456789012:execution:remote-ok:{name}"
        )),
        "{err}"
    );
    for line in [
        "Pass     Fan[1]/B",
        "Pass     Each[1]/Twice",
        "ExecutionSucceeded",
    ] {
        assert!(err.contains(line), "{line}: {err}");
    }
    let h: Value = serde_json::from_str(&std::fs::read_to_string(&history).unwrap()).unwrap();
    assert!(h["executionArn"].as_str().unwrap().ends_with(&name), "{h}");
    let events = h["events"].as_array().unwrap();
    assert_eq!(events[0]["type"], "ExecutionStarted");
    assert_eq!(events[events.len() - 1]["type"], "ExecutionSucceeded");
    assert!(events.iter().all(|e| e["timestamp"].is_string()));
    let replayed = Command::new(ASL)
        .arg("run")
        .arg(dir.join("remote-ok.asl.json"))
        .arg("--replay")
        .arg(&history)
        .output()
        .unwrap();
    assert_eq!(
        replayed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&replayed.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&replayed.stdout), out);
    let svg = std::fs::read_to_string(&graph).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("Twice"), "{svg}");

    // Run again: the machine exists and is updated with the definition as it is now.
    let mut changed = def.clone();
    changed["States"]["Each"]["ItemProcessor"]["States"]["Twice"]["Parameters"] =
        json!({"m.$": "$"});
    let name = remote_name("ok-again");
    let (code, out, err) = remote(
        &ep,
        "remote-ok",
        &changed,
        &["--input", r#"{"items": [3]}"#, "--execution-name", &name],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "[{\"m\":3}]\n");
    assert!(
        err.contains("asl: updated state machine arn:aws:states:us-east-1:123456789012:stateMachine:remote-ok"),
        "{err}"
    );
}

/// A failing remote execution ends as a failed local run: exit 1, the error and cause; and
/// its replay by --compare-local agrees with AWS.
#[test]
fn a_failing_remote_run_exits_with_the_failed_code_and_compares_equal() {
    let Some(ep) = endpoint() else { return };
    let def = json!({"StartAt": "Prep", "States": {
        "Prep": {"Type": "Pass", "Result": {"order": 7}, "ResultPath": "$.prep", "Next": "Boom"},
        "Boom": {"Type": "Fail", "Error": "Boom", "Cause": "it broke"}}});
    let name = remote_name("fail");
    let (code, out, err) = remote(&ep, "remote-fail", &def, &["--execution-name", &name]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(out, "");
    assert!(err.contains("execution failed: Boom: it broke"), "{err}");

    let name = remote_name("fail-json");
    let (code, out, err) = remote(
        &ep,
        "remote-fail",
        &def,
        &[
            "--execution-name",
            &name,
            "--result-format",
            "json",
            "--compare-local",
        ],
    );
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v,
        json!({"status": "FAILED", "output": null, "error": "Boom", "cause": "it broke"})
    );
    assert!(
        err.contains("compare: AWS and asl agree: 2 states entered, each with the same input and output; FAILED"),
        "{err}"
    );
}

/// Where the replay cannot repeat what AWS computed (a random number), --compare-local
/// names each state whose input or output differs and the end, and exits 4.
#[test]
fn compare_local_reports_each_state_where_aws_and_asl_differ() {
    let Some(ep) = endpoint() else { return };
    let def = json!({"StartAt": "Roll", "States": {
        "Roll": {"Type": "Pass", "Parameters": {"n.$": "States.MathRandom(0, 999999999)"}, "Next": "Keep"},
        "Keep": {"Type": "Pass", "End": true}}});
    let name = remote_name("roll");
    let (code, out, err) = remote(
        &ep,
        "remote-roll",
        &def,
        &["--execution-name", &name, "--compare-local"],
    );
    assert_eq!(code, 4, "{err}");
    let aws: Value = serde_json::from_str(&out).unwrap();
    let n = aws["n"].as_i64().unwrap();
    assert!(
        err.contains("compare: AWS and asl differ (4 differences):"),
        "{err}"
    );
    for state in [
        "`Roll`: output: /n: AWS",
        "`Keep`: input: /n: AWS",
        "`Keep`: output",
        "`(end)`: output",
    ] {
        assert!(err.contains(state), "{state}: {err}");
    }
    assert!(err.contains(&format!("/n: AWS {n}, asl ")), "{err}");
}

/// SIGINT while the remote execution waits: StopExecution, then the run ends as a local run
/// that a signal aborts (exit 1, ABORTED, the signal as the cause), its history with AWS's
/// `ExecutionAborted`.
#[test]
fn a_signal_stops_the_remote_execution() {
    let Some(ep) = endpoint() else { return };
    moto_api(
        &ep,
        "/moto-api/config",
        &json!({"stepfunctions": {"execute_state_machine": true}}),
    );
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("moto-remote");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("remote-slow.asl.json");
    std::fs::write(
        &path,
        json!({"StartAt": "Sleep", "States": {"Sleep": {"Type": "Wait", "Seconds": 60, "End": true}}})
            .to_string(),
    )
    .unwrap();
    let history = dir.join("remote-slow.history.json");
    let name = remote_name("slow");
    let child = Command::new(ASL)
        .arg("run")
        .arg(&path)
        .args(["--remote", "--endpoint-url", &ep, "--region", "us-east-1"])
        .args([
            "--execution-name",
            &name,
            "--result-format",
            "json",
            "--compare-local",
        ])
        .arg("--history")
        .arg(&history)
        .env(
            "ASL_REMOTE_ROLE_ARN",
            "arn:aws:iam::123456789012:role/asl-moto",
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let arn = format!("arn:aws:states:us-east-1:123456789012:execution:remote-slow:{name}");
    let status = |arn: &str| {
        rt().block_on(async {
            let c = aws_sdk_sfn::Client::new(&sdk_conf(&ep).await);
            c.describe_execution()
                .execution_arn(arn)
                .send()
                .await
                .ok()
                .map(|d| d.status().as_str().to_string())
        })
    };
    let began = std::time::Instant::now();
    while status(&arn).as_deref() != Some("RUNNING") {
        assert!(
            began.elapsed() < Duration::from_secs(30),
            "the execution never ran"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Let asl poll the history once at least.
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: sending a signal to a child process this test started.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v,
        json!({"status": "ABORTED", "output": null, "error": null, "cause": "interrupted (Ctrl-C)"})
    );
    assert!(
        err.contains(&format!(
            "asl: interrupted (Ctrl-C): stopped execution {arn}"
        )),
        "{err}"
    );
    assert!(
        err.contains("compare: the execution was stopped: nothing to compare"),
        "{err}"
    );
    assert_eq!(status(&arn).as_deref(), Some("ABORTED"));
    let h: Value = serde_json::from_str(&std::fs::read_to_string(&history).unwrap()).unwrap();
    let types: Vec<&str> = h["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(types.first(), Some(&"ExecutionStarted"));
    assert_eq!(types.last(), Some(&"ExecutionAborted"), "{types:?}");
}

/// A machine that does not exist yet needs a role; one that exists as another type cannot
/// be run as this one. Both say so before anything runs (exit 2).
#[test]
fn a_remote_run_without_a_role_or_of_another_type_is_refused() {
    let Some(ep) = endpoint() else { return };
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("moto-remote");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}.asl.json", remote_name("norole")));
    std::fs::write(
        &path,
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}).to_string(),
    )
    .unwrap();
    let o = Command::new(ASL)
        .arg("run")
        .arg(&path)
        .args(["--remote", "--endpoint-url", &ep, "--region", "us-east-1"])
        .env_remove("ASL_REMOTE_ROLE_ARN")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "creating one needs the role it runs as: give --role-arn ARN or set ASL_REMOTE_ROLE_ARN"
        ),
        "{err}"
    );
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}});
    let name = remote_name("type");
    let (code, _, _) = remote(&ep, "remote-type", &def, &["--execution-name", &name]);
    assert_eq!(code, 0);
    let (code, _, err) = remote(&ep, "remote-type", &def, &["--type", "EXPRESS"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("the state machine `remote-type` exists as STANDARD, not EXPRESS"),
        "{err}"
    );
}

/// `asl serve` on a free port with `env`; the server and its address.
fn serve(env: &[(&str, &str)]) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut cmd = Command::new(ASL);
    cmd.args(["serve", "--port", "0", "--clock", "virtual"])
        .env_remove("SFN_MOCK_CONFIG")
        .env_remove("WAIT_TIME_SCALE")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = std::io::BufReader::new(stderr).lines();
    let at = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.strip_prefix("asl serve: listening on ")
                .map(str::to_string)
        })
        .expect("asl serve says where it listens");
    std::thread::spawn(move || for _ in lines {});
    (child, at)
}

#[test]
fn serve_sends_a_service_to_its_step_functions_local_endpoint_variable() {
    let Some(ep) = endpoint() else { return };
    moto_api(
        &ep,
        "/moto-api/config",
        &json!({"lambda": {"use_docker": false}}),
    );
    moto_api(
        &ep,
        "/moto-api/static/lambda-simple/response",
        &json!({"results": [r#"{"answer": 42}"#], "region": "us-east-1"}),
    );
    // Only Lambda has an endpoint: no --aws-all, no --endpoint-url.
    let (mut child, at) = serve(&[("LAMBDA_ENDPOINT", &ep)]);
    let server = at;
    let outcome = rt().block_on(async {
        let c = aws_sdk_sfn::Client::new(&sdk_conf(&server).await);
        let mut results = Vec::new();
        for (name, resource, params) in [
            (
                "ToLambda",
                "arn:aws:states:::lambda:invoke",
                json!({"FunctionName": "anything", "Payload": {"q": 1}}),
            ),
            (
                "ToSqs",
                "arn:aws:states:::sqs:sendMessage",
                json!({"QueueUrl": "http://nowhere/q", "MessageBody": "m"}),
            ),
        ] {
            let def = json!({"StartAt": "T", "States": {"T": {"Type": "Task",
                "Resource": resource, "Parameters": params, "End": true}}});
            let arn = c
                .create_state_machine()
                .name(name)
                .definition(def.to_string())
                .role_arn("arn:aws:iam::123456789012:role/asl-moto")
                .send()
                .await
                .unwrap()
                .state_machine_arn()
                .to_string();
            let exec = c
                .start_execution()
                .state_machine_arn(arn)
                .send()
                .await
                .unwrap()
                .execution_arn()
                .to_string();
            let mut d = None;
            for _ in 0..200 {
                let x = c
                    .describe_execution()
                    .execution_arn(&exec)
                    .send()
                    .await
                    .unwrap();
                if x.status().as_str() != "RUNNING" {
                    d = Some(x);
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            results.push(d.expect("the execution ends"));
        }
        results
    });
    let _ = child.kill();
    let _ = child.wait();
    let lambda = &outcome[0];
    assert_eq!(lambda.status().as_str(), "SUCCEEDED", "{lambda:?}");
    let out: Value = serde_json::from_str(lambda.output().unwrap_or("null")).unwrap();
    assert_eq!(out["Payload"], json!({"answer": 42}), "{out}");
    // SQS has no endpoint variable: unrouted, as without one.
    let sqs = &outcome[1];
    assert_eq!(sqs.status().as_str(), "FAILED", "{sqs:?}");
    assert_eq!(sqs.error(), Some("States.Runtime"), "{sqs:?}");
}
