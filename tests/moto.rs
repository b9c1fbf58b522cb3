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
