//! Real AWS calls against the moto emulator. Skipped (they pass without doing anything)
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
    let (lambda, ecs) = rt.block_on(sdk_clients(&SdkSettings {
        profile: None,
        region: Some("us-east-1".into()),
        endpoint_url: Some(ep.clone()),
        ..SdkSettings::default()
    }));
    let runner = EcsRunner::new(
        ecs,
        PollPolicy {
            initial: Duration::from_millis(300),
            max: Duration::from_millis(600),
            factor: 1.5,
        },
    );
    let mut registry = Registry::new();
    registry.fallback(Arc::new(AwsHandler::new(lambda, runner.clone())));
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
