//! The model-driven AWS client against the moto emulator: one scenario per protocol family
//! (AWS JSON, REST-JSON, REST-XML, query, EC2), optimized integrations with their metadata
//! and error names, and a `.sync` job followed to its end. Skipped (they pass without doing
//! anything) unless `ASL_MOTO_ENDPOINT` is set, which `scripts/moto-tests.sh` does after
//! starting moto.
#![cfg(feature = "aws")]

use serde_json::{Value, json};
use std::process::Command;

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

/// `asl run` of `def` with every Task state on AWS (the emulator): (exit code, the result
/// JSON, stderr).
fn run(endpoint: &str, name: &str, def: &Value, extra: &[&str]) -> (i32, Value, String) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("moto-api-runs");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.asl.json"));
    std::fs::write(&path, def.to_string()).unwrap();
    let o = Command::new(ASL)
        .arg("run")
        .arg(&path)
        .args(["--aws-all", "--result-format", "json"])
        .args(["--endpoint-url", endpoint, "--region", "us-east-1"])
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).to_string();
    let out: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {stderr}"));
    (o.status.code().unwrap_or(-1), out, stderr)
}

/// A chain of Task states, each keeping its result under its own name.
fn chain(states: &[(&str, &str, Value)]) -> Value {
    let mut m = serde_json::Map::new();
    for (i, (name, resource, params)) in states.iter().enumerate() {
        let mut s = json!({
            "Type": "Task",
            "Resource": format!("arn:aws:states:::{resource}"),
            "Parameters": params,
            "ResultPath": format!("$.{name}"),
        });
        match states.get(i + 1) {
            Some((next, _, _)) => s["Next"] = json!(next),
            None => s["End"] = json!(true),
        }
        m.insert((*name).to_string(), s);
    }
    json!({"StartAt": states[0].0, "States": m})
}

fn succeeded(r: &(i32, Value, String)) -> &Value {
    assert_eq!(r.0, 0, "{} {}", r.1, r.2);
    assert_eq!(r.1["status"], "SUCCEEDED", "{}", r.1);
    &r.1["output"]
}

#[test]
fn aws_json_dynamodb_through_the_sdk_and_the_optimized_integration() {
    let Some(ep) = endpoint() else { return };
    let def = chain(&[
        (
            "create",
            "aws-sdk:dynamodb:createTable",
            json!({
            "TableName": "orders", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}),
        ),
        (
            "put",
            "dynamodb:putItem",
            json!({"TableName": "orders", "Item": {"id": {"S": "o-1"}, "n": {"N": "2"}}}),
        ),
        (
            "update",
            "dynamodb:updateItem",
            json!({"TableName": "orders", "Key": {"id": {"S": "o-1"}},
            "UpdateExpression": "SET n = n + :one", "ExpressionAttributeValues": {":one": {"N": "1"}},
            "ReturnValues": "UPDATED_NEW"}),
        ),
        (
            "get",
            "dynamodb:getItem",
            json!({"TableName": "orders", "Key": {"id": {"S": "o-1"}}}),
        ),
        (
            "sdkGet",
            "aws-sdk:dynamodb:getItem",
            json!({"TableName": "orders", "Key": {"id": {"S": "o-1"}}}),
        ),
        (
            "delete",
            "dynamodb:deleteItem",
            json!({"TableName": "orders", "Key": {"id": {"S": "o-1"}}}),
        ),
    ]);
    let r = run(&ep, "dynamodb", &def, &[]);
    let out = succeeded(&r);
    assert_eq!(out["create"]["TableDescription"]["TableName"], "orders");
    assert_eq!(out["update"]["Attributes"], json!({"n": {"N": "3"}}));
    // Optimized results add the HTTP metadata of the real answer; the SDK integration's not.
    let meta = &out["get"]["SdkHttpMetadata"];
    assert_eq!(meta["HttpStatusCode"], 200);
    assert_eq!(
        meta["HttpHeaders"]["x-amzn-RequestId"],
        out["get"]["SdkResponseMetadata"]["RequestId"]
    );
    assert_eq!(
        out["get"]["Item"],
        json!({"id": {"S": "o-1"}, "n": {"N": "3"}})
    );
    assert_eq!(
        out["sdkGet"],
        json!({"Item": {"id": {"S": "o-1"}, "n": {"N": "3"}}})
    );
    assert!(out["delete"]["SdkResponseMetadata"].is_object());

    // The same missing table: `DynamoDb.` for the SDK integration, `DynamoDB.` optimized.
    for (resource, error) in [
        (
            "aws-sdk:dynamodb:getItem",
            "DynamoDb.ResourceNotFoundException",
        ),
        ("dynamodb:getItem", "DynamoDB.ResourceNotFoundException"),
    ] {
        let def = chain(&[(
            "get",
            resource,
            json!({"TableName": "missing", "Key": {"id": {"S": "x"}}}),
        )]);
        let r = run(&ep, "dynamodb-missing", &def, &[]);
        assert_eq!(r.0, 1, "{}", r.2);
        assert_eq!(r.1["error"], error);
        let cause = r.1["cause"].as_str().unwrap();
        let service = error.split('.').next().unwrap();
        assert!(
            cause.starts_with("Requested resource not found")
                && cause.contains(&format!(
                    "(Service: {service}, Status Code: 400, Request ID: "
                )),
            "{cause}"
        );
    }
}

#[test]
fn rest_xml_s3_objects_with_json_bodies_text_bodies_and_aws_error_names() {
    let Some(ep) = endpoint() else { return };
    let def = json!({"StartAt": "Bucket", "States": {
        "Bucket": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:createBucket",
            "Parameters": {"Bucket": "asl-sdk-objects"}, "ResultPath": null, "Next": "Put"},
        "Put": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
            "Parameters": {"Bucket": "asl-sdk-objects", "Key": "in/a b.json", "Body": {"list": [1, 2]}},
            "ResultPath": "$.put", "Next": "Get"},
        "Get": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
            "Parameters": {"Bucket": "asl-sdk-objects", "Key": "in/a b.json"},
            "ResultPath": "$.get", "Next": "List"},
        "List": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:listObjectsV2",
            "Parameters": {"Bucket": "asl-sdk-objects", "Prefix": "in/"},
            "ResultPath": "$.list", "Next": "Missing"},
        "Missing": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
            "Parameters": {"Bucket": "asl-sdk-objects", "Key": "nope"},
            "Catch": [{"ErrorEquals": ["S3.NoSuchKeyException"], "ResultPath": "$.missing", "Next": "Done"}],
            "End": true},
        "Done": {"Type": "Succeed"}}});
    let r = run(&ep, "s3", &def, &[]);
    let out = succeeded(&r);
    assert!(out["put"]["ETag"].as_str().unwrap().starts_with('"'));
    let get = &out["get"];
    assert_eq!(get["Body"], "{\"list\":[1,2]}");
    assert_eq!(get["ContentLength"], 14);
    assert_eq!(get["Metadata"], json!({}));
    assert_eq!(get["ETag"], out["put"]["ETag"]);
    assert!(get["LastModified"].as_str().unwrap().ends_with('Z'));
    assert_eq!(out["list"]["KeyCount"], 1);
    assert_eq!(out["list"]["Contents"][0]["Key"], "in/a b.json");
    assert_eq!(out["missing"]["Error"], "S3.NoSuchKeyException");
    assert!(out["missing"]["Cause"].as_str().unwrap().starts_with(
        "The specified key does not exist. (Service: S3, Status Code: 404, Request ID: "
    ));
}

#[test]
fn query_sns_and_json_sqs_with_their_optimized_publish_and_send() {
    let Some(ep) = endpoint() else { return };
    let def = json!({"StartAt": "Topic", "States": {
        "Topic": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sns:createTopic",
            "Parameters": {"Name": "asl-orders", "Attributes": {"DisplayName": "Orders"}},
            "ResultPath": "$.topic", "Next": "Publish"},
        "Publish": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
            "Parameters": {"TopicArn.$": "$.topic.TopicArn", "Message": {"order": 1},
                "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "new"}}},
            "ResultPath": "$.published", "Next": "Queue"},
        "Queue": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:createQueue",
            "Parameters": {"QueueName": "asl-orders"}, "ResultPath": "$.queue", "Next": "Send"},
        "Send": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
            "Parameters": {"QueueUrl.$": "$.queue.QueueUrl", "MessageBody": {"order": 1}},
            "ResultPath": "$.sent", "Next": "Receive"},
        "Receive": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:receiveMessage",
            "Parameters": {"QueueUrl.$": "$.queue.QueueUrl", "MaxNumberOfMessages": 1},
            "ResultPath": "$.received", "Next": "NoTopic"},
        "NoTopic": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
            "Parameters": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:missing", "Message": "m"},
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.noTopic", "Next": "Done"}],
            "End": true},
        "Done": {"Type": "Succeed"}}});
    let r = run(&ep, "sns-sqs", &def, &[]);
    let out = succeeded(&r);
    assert!(
        out["topic"]["TopicArn"]
            .as_str()
            .unwrap()
            .ends_with(":asl-orders")
    );
    assert!(out["published"]["MessageId"].is_string());
    assert_eq!(out["published"]["SdkHttpMetadata"]["HttpStatusCode"], 200);
    assert_eq!(
        out["sent"]["MD5OfMessageBody"],
        format!("{:x}", md5_of("{\"order\":1}"))
    );
    assert_eq!(out["received"]["Messages"][0]["Body"], "{\"order\":1}");
    assert_eq!(out["noTopic"]["Error"], "SNS.NotFoundException");
}

fn md5_of(s: &str) -> u128 {
    // The tests do not depend on an MD5 crate: ask Python, which the script has.
    let o = Command::new("python3")
        .args([
            "-c",
            "import hashlib,sys; print(hashlib.md5(sys.argv[1].encode()).hexdigest())",
            s,
        ])
        .output()
        .unwrap();
    u128::from_str_radix(String::from_utf8_lossy(&o.stdout).trim(), 16).unwrap()
}

#[test]
fn ec2_query_with_plural_filters_and_rest_json_and_global_services() {
    let Some(ep) = endpoint() else { return };
    let def = chain(&[
        (
            "subnets",
            "aws-sdk:ec2:describeSubnets",
            json!({"Filters": [{"Name": "default-for-az", "Values": ["true"]}]}),
        ),
        ("vpcs", "aws-sdk:ec2:describeVpcs", json!({})),
        ("queues", "aws-sdk:batch:describeJobQueues", json!({})),
        (
            "role",
            "aws-sdk:iam:createRole",
            json!({"RoleName": "asl-role",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}}),
        ),
        ("functions", "aws-sdk:lambda:listFunctions", json!({})),
    ]);
    let r = run(&ep, "ec2", &def, &[]);
    let out = succeeded(&r);
    let subnets = out["subnets"]["Subnets"].as_array().unwrap();
    assert!(!subnets.is_empty());
    assert!(subnets.iter().all(|s| s["DefaultForAz"] == true));
    assert_eq!(out["vpcs"]["Vpcs"][0]["IsDefault"], true);
    assert_eq!(out["queues"]["JobQueues"], json!([]));
    assert_eq!(out["role"]["Role"]["RoleName"], "asl-role");
    assert!(
        out["role"]["Role"]["CreateDate"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    assert!(out["functions"]["Functions"].is_array());
}

#[test]
fn a_glue_sync_job_is_submitted_then_followed_to_its_end() {
    let Some(ep) = endpoint() else { return };
    let def = chain(&[
        (
            "job",
            "aws-sdk:glue:createJob",
            json!({"Name": "asl-etl", "Role": "arn:aws:iam::123456789012:role/r",
            "Command": {"Name": "glueetl", "ScriptLocation": "s3://b/s.py"}}),
        ),
        (
            "run",
            "glue:startJobRun.sync",
            json!({"JobName": "asl-etl"}),
        ),
    ]);
    let history = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("glue-history.json");
    let r = run(
        &ep,
        "glue",
        &def,
        &[
            "--ecs-poll-ms",
            "50",
            "--history",
            history.to_str().unwrap(),
        ],
    );
    let out = succeeded(&r);
    assert_eq!(out["run"]["JobRunState"], "SUCCEEDED");
    assert_eq!(out["run"]["JobName"], "asl-etl");
    let h: Value = serde_json::from_slice(&std::fs::read(&history).unwrap()).unwrap();
    let events = h.get("events").unwrap_or(&h).as_array().unwrap();
    let submitted = events
        .iter()
        .find(|e| e["type"] == "TaskSubmitted")
        .expect("a TaskSubmitted event");
    let output: Value = serde_json::from_str(
        submitted["taskSubmittedEventDetails"]["output"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(output["JobRunId"], out["run"]["Id"]);
}

#[test]
fn sync_jobs_of_sagemaker_emr_and_codebuild_and_event_bridge_events() {
    let Some(ep) = endpoint() else { return };
    let def = json!({"StartAt": "Events", "States": {
        "Events": {"Type": "Task", "Resource": "arn:aws:states:::events:putEvents",
            "Parameters": {"Entries": [{"Source": "asl.tests", "DetailType": "t", "Detail": {"k": "v"}}]},
            "ResultPath": "$.events", "Next": "Train"},
        "Train": {"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
            "Parameters": {"TrainingJobName": "asl-train",
                "AlgorithmSpecification": {"TrainingImage": "img", "TrainingInputMode": "File"},
                "RoleArn": "arn:aws:iam::123456789012:role/r",
                "OutputDataConfig": {"S3OutputPath": "s3://b/o"},
                "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
                "StoppingCondition": {"MaxRuntimeInSeconds": 60}},
            "ResultPath": "$.train", "Next": "Cluster"},
        "Cluster": {"Type": "Task", "Resource": "arn:aws:states:::elasticmapreduce:createCluster.sync",
            "Parameters": {"Name": "asl-cluster", "ReleaseLabel": "emr-6.0.0",
                "Instances": {"InstanceGroups": [{"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1}],
                    "KeepJobFlowAliveWhenNoSteps": true},
                "JobFlowRole": "r", "ServiceRole": "r"},
            "ResultPath": "$.cluster", "Next": "Project"},
        "Project": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:codebuild:createProject",
            "Parameters": {"Name": "asl-project", "Source": {"Type": "S3", "Location": "b/src.zip"},
                "Artifacts": {"Type": "NO_ARTIFACTS"},
                "Environment": {"Type": "LINUX_CONTAINER", "Image": "aws/codebuild/standard:7.0", "ComputeType": "BUILD_GENERAL1_SMALL"},
                "ServiceRole": "arn:aws:iam::123456789012:role/r"},
            "ResultPath": null, "Next": "Build"},
        "Build": {"Type": "Task", "Resource": "arn:aws:states:::codebuild:startBuild.sync",
            "Parameters": {"ProjectName": "asl-project"}, "ResultPath": "$.build", "End": true}}});
    let r = run(&ep, "sync-jobs", &def, &["--ecs-poll-ms", "50"]);
    let out = succeeded(&r);
    // EventBridge: the entries' ids, no HTTP metadata.
    assert_eq!(out["events"]["FailedEntryCount"], 0);
    assert!(out["events"]["Entries"][0]["EventId"].is_string());
    assert!(out["events"].get("SdkHttpMetadata").is_none());
    // SageMaker `.sync`: the DescribeTrainingJob answer of the finished job.
    assert_eq!(out["train"]["TrainingJobName"], "asl-train");
    assert_eq!(out["train"]["TrainingJobStatus"], "Completed");
    // EMR `createCluster.sync`: the start call's answer with its metadata, once the cluster waits.
    assert!(
        out["cluster"]["ClusterId"]
            .as_str()
            .unwrap()
            .starts_with("j-")
    );
    assert_eq!(out["cluster"]["SdkHttpMetadata"]["HttpStatusCode"], 200);
    // CodeBuild `.sync`: `{Build: ...}` of the finished build.
    assert_eq!(out["build"]["Build"]["BuildStatus"], "SUCCEEDED");
    assert_eq!(out["build"]["Build"]["ProjectName"], "asl-project");
}

#[test]
fn sync_jobs_of_sagemaker_processing_eks_clusters_and_emr_serverless() {
    let Some(ep) = endpoint() else { return };
    let def = json!({"StartAt": "Proc", "States": {
        "Proc": {"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createProcessingJob.sync",
            "Parameters": {"ProcessingJobName": "asl-proc", "RoleArn": "arn:aws:iam::123456789012:role/r",
                "AppSpecification": {"ImageUri": "img"},
                "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 10}}},
            "ResultPath": "$.proc", "Next": "Eks"},
        "Eks": {"Type": "Task", "Resource": "arn:aws:states:::eks:createCluster.sync",
            "Parameters": {"Name": "asl-eks", "RoleArn": "arn:aws:iam::123456789012:role/r",
                "ResourcesVpcConfig": {"SubnetIds": ["subnet-1"]}},
            "ResultPath": "$.eks", "Next": "App"},
        "App": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:emrserverless:createApplication",
            "Parameters": {"Name": "asl-app", "ReleaseLabel": "emr-6.6.0", "Type": "SPARK", "ClientToken": "asl-app"},
            "ResultPath": "$.app", "Next": "Job"},
        "Job": {"Type": "Task", "Resource": "arn:aws:states:::emr-serverless:startJobRun.sync",
            "Parameters": {"ApplicationId.$": "$.app.ApplicationId", "ExecutionRoleArn": "arn:aws:iam::123456789012:role/r",
                "JobDriver": {"SparkSubmit": {"EntryPoint": "s3://b/main.py"}}},
            "ResultPath": "$.job", "End": true}}});
    let r = run(&ep, "sync-jobs-2", &def, &["--ecs-poll-ms", "50"]);
    let out = succeeded(&r);
    // SageMaker processing `.sync`: the DescribeProcessingJob answer of the finished job.
    assert_eq!(out["proc"]["ProcessingJobName"], "asl-proc");
    assert_eq!(out["proc"]["ProcessingJobStatus"], "Completed");
    // EKS `createCluster.sync`: DescribeCluster's answer once the cluster is ACTIVE.
    assert_eq!(out["eks"]["Cluster"]["Name"], "asl-eks");
    assert_eq!(out["eks"]["Cluster"]["Status"], "ACTIVE");
    // EMR Serverless `startJobRun.sync`: the start call's answer, its ids in Step Functions' names.
    assert_eq!(out["job"]["ApplicationId"], out["app"]["ApplicationId"]);
    assert!(out["job"]["JobRunId"].is_string(), "{}", out["job"]);
}

/// Bedrock `invokeModel` with its S3 `Input` and `Output` (moto's InvokeModel answers `{}`,
/// refusing a body that is not JSON when the content type says JSON), first through
/// `--endpoint-url`, then through the per-service variables alone.
#[test]
fn bedrock_invoke_model_reads_its_body_from_s3_and_writes_its_answer_there() {
    let Some(ep) = endpoint() else { return };
    let def = json!({"StartAt": "Bucket", "States": {
        "Bucket": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:createBucket",
            "Parameters": {"Bucket": "asl-bedrock-io"}, "ResultPath": null, "Next": "Prompt"},
        "Prompt": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
            "Parameters": {"Bucket": "asl-bedrock-io", "Key": "in/prompt.json",
                "Body": {"inputText": "Five first names"}, "ContentType": "application/json"},
            "ResultPath": null, "Next": "Both"},
        "Both": {"Type": "Task", "Resource": "arn:aws:states:::bedrock:invokeModel",
            "Parameters": {"ModelId": "amazon.titan-text-express-v1",
                "Input": {"S3Uri": "s3://asl-bedrock-io/in/prompt.json"},
                "Output": {"S3Uri": "s3://asl-bedrock-io/out/answer.json"}},
            "ResultPath": "$.both", "Next": "Written"},
        "Written": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
            "Parameters": {"Bucket": "asl-bedrock-io", "Key": "out/answer.json"},
            "ResultSelector": {"Body.$": "$.Body", "ContentType.$": "$.ContentType"},
            "ResultPath": "$.written", "Next": "Inline"},
        "Inline": {"Type": "Task", "Resource": "arn:aws:states:::bedrock:invokeModel",
            "Parameters": {"ModelId": "amazon.titan-text-express-v1",
                "Input": {"S3Uri": "s3://asl-bedrock-io/in/prompt.json"}},
            "ResultPath": "$.inline", "Next": "Missing"},
        "Missing": {"Type": "Task", "Resource": "arn:aws:states:::bedrock:invokeModel",
            "Parameters": {"ModelId": "amazon.titan-text-express-v1",
                "Input": {"S3Uri": "s3://asl-bedrock-io/in/none.json"}},
            "Catch": [{"ErrorEquals": ["S3.NoSuchKeyException"], "ResultPath": "$.missing", "Next": "Done"}],
            "End": true},
        "Done": {"Type": "Succeed"}}});
    let r = run(&ep, "bedrock-io", &def, &[]);
    let out = succeeded(&r);
    // With `Output` the body is in S3 and the result refers to it.
    assert_eq!(
        out["both"]["Body"],
        json!({"S3Uri": "s3://asl-bedrock-io/out/answer.json"})
    );
    assert_eq!(out["both"]["ContentType"], "application/json");
    assert_eq!(
        out["written"],
        json!({"Body": "{}", "ContentType": "application/json"})
    );
    // Without it the answer's body is the result's, as JSON.
    assert_eq!(out["inline"]["Body"], json!({}));
    assert_eq!(out["missing"]["Error"], "S3.NoSuchKeyException");
    assert!(
        out["missing"]["Cause"]
            .as_str()
            .unwrap()
            .starts_with("The specified key does not exist. (Service: S3, Status Code: 404"),
        "{}",
        out["missing"]
    );

    // The object's content type is what Bedrock gets: a text object is not parsed as JSON,
    // and S3 is reached through AWS_ENDPOINT_URL_S3 as Bedrock through its own variable.
    let def = json!({"StartAt": "Text", "States": {
        "Text": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
            "Parameters": {"Bucket": "asl-bedrock-io", "Key": "in/prompt.txt",
                "Body": "not JSON", "ContentType": "text/plain"},
            "ResultPath": null, "Next": "Ask"},
        "Ask": {"Type": "Task", "Resource": "arn:aws:states:::bedrock:invokeModel",
            "Parameters": {"ModelId": "m", "Input": {"S3Uri": "s3://asl-bedrock-io/in/prompt.txt"},
                "Output": {"S3Uri": "s3://asl-bedrock-io/out/text.json"}},
            "End": true}}});
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("moto-api-runs");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bedrock-env.asl.json");
    std::fs::write(&path, def.to_string()).unwrap();
    let o = Command::new(ASL)
        .arg("run")
        .arg(&path)
        .args([
            "--aws-all",
            "--result-format",
            "json",
            "--region",
            "us-east-1",
        ])
        .env("AWS_ENDPOINT_URL_S3", &ep)
        .env("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", &ep)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    let result: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {stderr}"));
    assert_eq!(
        result["output"]["Body"],
        json!({"S3Uri": "s3://asl-bedrock-io/out/text.json"}),
        "{result} {stderr}"
    );
}

/// Athena, bundled as AWS JSON 1.1 (the model says REST-JSON, which moto does not speak):
/// `startQueryExecution.sync` followed to the query's end, its results, the SDK integration.
#[test]
fn athena_queries_run_to_their_end_over_aws_json() {
    let Some(ep) = endpoint() else { return };
    let def = chain(&[
        (
            "query",
            "athena:startQueryExecution.sync",
            json!({"QueryString": "SELECT 1", "WorkGroup": "primary",
                "ResultConfiguration": {"OutputLocation": "s3://asl-athena/results/"}}),
        ),
        (
            "results",
            "athena:getQueryResults",
            json!({"QueryExecutionId.$": "$.query.QueryExecution.QueryExecutionId"}),
        ),
        (
            "sdk",
            "aws-sdk:athena:getQueryExecution",
            json!({"QueryExecutionId.$": "$.query.QueryExecution.QueryExecutionId"}),
        ),
    ]);
    let r = run(&ep, "athena", &def, &["--ecs-poll-ms", "50"]);
    let out = succeeded(&r);
    // `.sync`: GetQueryExecution's answer once the query succeeded.
    let q = &out["query"]["QueryExecution"];
    assert_eq!(q["Status"]["State"], "SUCCEEDED", "{q}");
    assert_eq!(q["Query"], "SELECT 1");
    assert_eq!(q["WorkGroup"], "primary");
    let id = q["QueryExecutionId"].as_str().unwrap();
    assert!(
        q["ResultConfiguration"]["OutputLocation"]
            .as_str()
            .unwrap()
            .starts_with("s3://asl-athena/results/"),
        "{q}"
    );
    assert!(
        out["results"]["ResultSet"].is_object(),
        "{}",
        out["results"]
    );
    assert_eq!(out["results"]["SdkHttpMetadata"]["HttpStatusCode"], 200);
    assert_eq!(out["sdk"]["QueryExecution"]["QueryExecutionId"], id);
    assert!(out["sdk"].get("SdkHttpMetadata").is_none());
}
