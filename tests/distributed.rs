//! Distributed Map on local S3 data (`--s3-root`) and child state machines (`--machine`),
//! through the binary.

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("asl-dist-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn write(path: &Path, text: &str) {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).expect("dir");
    }
    std::fs::write(path, text).expect("write");
}

fn run(d: &Path, definition: &Value, input: &Value, extra: &[&str]) -> (Output, Value) {
    write(&d.join("m.asl.json"), &definition.to_string());
    let out = Command::new(env!("CARGO_BIN_EXE_asl"))
        .args(["run", "m.asl.json", "--result-format", "json", "--input"])
        .arg(input.to_string())
        .args(extra)
        .current_dir(d)
        .output()
        .expect("asl starts");
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "stdout is JSON: {} / {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, v)
}

fn distributed(reader: Value, extra: Value) -> Value {
    let mut map = json!({
        "Type": "Map",
        "ItemReader": reader,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "P",
            "States": {"P": {"Type": "Pass", "End": true}}
        },
        "End": true
    });
    if let (Some(m), Some(e)) = (map.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            m.insert(k.clone(), v.clone());
        }
    }
    json!({"StartAt": "M", "States": {"M": map}})
}

#[test]
fn csv_items_are_batched_with_batch_input() {
    let d = dir("csv");
    write(&d.join("s3/b/in.csv"), "a,b\n1,x\n2,y\n3,z\n");
    let def = distributed(
        json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"}, "Parameters": {"Bucket": "b", "Key": "in.csv"}}),
        json!({"ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"day.$": "$.day"}}}),
    );
    let (_, v) = run(&d, &def, &json!({"day": "mon"}), &["--s3-root", "s3"]);
    assert_eq!(v["status"], "SUCCEEDED", "{v}");
    assert_eq!(
        v["output"],
        json!([
            {"BatchInput": {"day": "mon"}, "Items": [{"a": "1", "b": "x"}, {"a": "2", "b": "y"}]},
            {"BatchInput": {"day": "mon"}, "Items": [{"a": "3", "b": "z"}]}
        ])
    );
}

#[test]
fn a_byte_cap_splits_batches() {
    let d = dir("bytes");
    let items: Vec<Value> = (0..10)
        .map(|i| json!({"id": i, "pad": "x".repeat(40)}))
        .collect();
    write(&d.join("s3/b/in.json"), &Value::Array(items).to_string());
    let def = distributed(
        json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"}, "Parameters": {"Bucket": "b", "Key": "in.json"}}),
        json!({"ItemBatcher": {"MaxInputBytesPerBatch": 200}}),
    );
    let (_, v) = run(&d, &def, &json!({}), &["--s3-root", "s3"]);
    let batches = v["output"].as_array().expect("array");
    assert!(batches.len() > 1, "{v}");
    let total: usize = batches
        .iter()
        .map(|b| b["Items"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(total, 10);
    for b in batches {
        assert!(b.to_string().len() <= 200, "batch over the cap: {b}");
    }
}

#[test]
fn result_writer_writes_manifest_and_records() {
    let d = dir("writer");
    write(&d.join("s3/b/in.jsonl"), "{\"n\":1}\n{\"n\":2}\n");
    std::fs::create_dir_all(d.join("s3/out")).expect("bucket");
    let def = distributed(
        json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSONL"}, "Parameters": {"Bucket": "b", "Key": "in.jsonl"}}),
        json!({"Label": "nums", "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "out", "Prefix": "runs"}}}),
    );
    let (_, v) = run(&d, &def, &json!({}), &["--s3-root", "s3"]);
    assert_eq!(v["status"], "SUCCEEDED", "{v}");
    let key = v["output"]["ResultWriterDetails"]["Key"]
        .as_str()
        .expect("key");
    assert!(
        key.starts_with("runs/") && key.ends_with("/manifest.json"),
        "{key}"
    );
    let arn = v["output"]["MapRunArn"].as_str().expect("arn");
    assert!(arn.contains(":mapRun:m/nums:"), "{arn}");
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(d.join("s3/out").join(key)).expect("manifest"),
    )
    .expect("json");
    assert_eq!(manifest["DestinationBucket"], "out");
    let file = manifest["ResultFiles"]["SUCCEEDED"][0]["Key"]
        .as_str()
        .expect("file");
    let records: Value = serde_json::from_str(
        &std::fs::read_to_string(d.join("s3/out").join(file)).expect("records"),
    )
    .expect("json");
    assert_eq!(records.as_array().map(Vec::len), Some(2));
    assert_eq!(records[0]["Status"], "SUCCEEDED");
    assert_eq!(records[0]["Input"], "{\"n\":1}");
    assert_eq!(records[0]["Output"], "{\"n\":1}");
    assert!(
        records[0]["ExecutionArn"]
            .as_str()
            .unwrap_or_default()
            .contains(":execution:m/nums:")
    );
}

#[test]
fn listings_give_awss_item_shape() {
    let d = dir("list");
    write(&d.join("s3/b/p/one.txt"), "1");
    write(&d.join("s3/b/p/two.txt"), "22");
    write(&d.join("s3/b/q.txt"), "3");
    let def = distributed(
        json!({"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "b", "Prefix": "p/"}}),
        json!({}),
    );
    let (_, v) = run(&d, &def, &json!({}), &["--s3-root", "s3"]);
    let items = v["output"].as_array().expect("array");
    assert_eq!(items.len(), 2, "{v}");
    assert_eq!(items[1]["Key"], "p/two.txt");
    assert_eq!(items[1]["Size"], 2);
    assert_eq!(items[1]["StorageClass"], "STANDARD");
    assert!(items[1]["LastModified"].is_i64());
    assert!(
        items[1]["Etag"]
            .as_str()
            .unwrap_or_default()
            .starts_with('"')
    );
}

/// Pins issue 21: under `--s3-root`, a listing followed a link to `.` (repeating keys) and read
/// `/dev/zero` for its ETag (forever), and reads followed links out of the root.
#[cfg(unix)]
#[test]
fn links_under_the_s3_root_never_loop_or_lead_out_of_it() {
    let d = dir("links");
    write(&d.join("s3/b/p/one.txt"), "1");
    write(&d.join("outside.json"), "[\"secret\"]");
    std::os::unix::fs::symlink(".", d.join("s3/b/p/self")).expect("link");
    std::os::unix::fs::symlink("/dev/zero", d.join("s3/b/p/zero")).expect("link");
    std::os::unix::fs::symlink("../../../outside.json", d.join("s3/b/p/out.json")).expect("link");
    let def = distributed(
        json!({"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "b", "Prefix": "p/"}}),
        json!({"ItemSelector": {"k.$": "$$.Map.Item.Value.Key"}}),
    );
    let started = std::time::Instant::now();
    let (_, v) = run(&d, &def, &json!({}), &["--s3-root", "s3"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(v["output"], json!([{"k": "p/one.txt"}]), "{v}");
    let def = distributed(
        json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
            "Parameters": {"Bucket": "b", "Key": "p/out.json"}}),
        json!({}),
    );
    let (out, v) = run(&d, &def, &json!({}), &["--s3-root", "s3"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(v["error"], "States.ItemReaderFailed", "{v}");
    assert_eq!(
        v["cause"],
        "Access Denied: `b/p/out.json` leads out of --s3-root through a symbolic link (Service: S3, Status Code: 403, Error Code: AccessDenied)"
    );
}

#[test]
fn a_missing_key_or_bucket_is_item_reader_failed() {
    let d = dir("missing");
    std::fs::create_dir_all(d.join("s3/b")).expect("bucket");
    for (bucket, cause) in [
        ("b", "key does not exist"),
        ("nope", "bucket does not exist"),
    ] {
        let def = distributed(
            json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"}, "Parameters": {"Bucket": bucket, "Key": "k.json"}}),
            json!({}),
        );
        let (out, v) = run(&d, &def, &json!({}), &["--s3-root", "s3"]);
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(v["error"], "States.ItemReaderFailed");
        assert!(
            v["cause"].as_str().unwrap_or_default().contains(cause),
            "{v}"
        );
    }
}

#[test]
fn child_failures_count_against_the_tolerated_threshold() {
    let d = dir("tolerance");
    let def = |tolerance: Value| {
        let mut m = json!({
            "Type": "Map",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                "StartAt": "C",
                "States": {
                    "C": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericGreaterThan": 2, "Next": "F"}], "Default": "P"},
                    "P": {"Type": "Pass", "End": true},
                    "F": {"Type": "Fail", "Error": "Big"}
                }
            },
            "End": true
        });
        if let (Some(o), Some(t)) = (m.as_object_mut(), tolerance.as_object()) {
            for (k, v) in t {
                o.insert(k.clone(), v.clone());
            }
        }
        json!({"StartAt": "M", "States": {"M": m}})
    };
    let input = json!([1, 2, 3, 4]);
    let (_, v) = run(&d, &def(json!({})), &input, &[]);
    assert_eq!(v["error"], "States.ExceedToleratedFailureThreshold", "{v}");
    let (_, v) = run(&d, &def(json!({"ToleratedFailureCount": 2})), &input, &[]);
    assert_eq!(v["status"], "SUCCEEDED", "{v}");
    assert_eq!(v["output"][0], 1);
    assert_eq!(v["output"][3]["Error"], "Big");
    let (_, v) = run(
        &d,
        &def(json!({"ToleratedFailurePercentage": 49})),
        &input,
        &[],
    );
    assert_eq!(v["error"], "States.ExceedToleratedFailureThreshold", "{v}");
}

#[test]
fn a_child_sees_its_own_context() {
    let d = dir("context");
    let def = json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "Label": "L",
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "P",
            "States": {"P": {"Type": "Pass", "Parameters": {"id.$": "$$.Execution.Id", "input.$": "$$.Execution.Input", "sm.$": "$$.StateMachine.Id"}, "End": true}}
        },
        "End": true}}});
    let (_, v) = run(&d, &def, &json!(["a"]), &["--execution-name", "e1"]);
    let c = &v["output"][0];
    assert!(
        c["id"]
            .as_str()
            .unwrap_or_default()
            .contains(":execution:m/L:"),
        "{v}"
    );
    assert_eq!(c["input"], "a");
    assert!(
        c["sm"]
            .as_str()
            .unwrap_or_default()
            .ends_with(":stateMachine:m/L"),
        "{v}"
    );
}

#[test]
fn child_machines_run_locally_for_each_variant() {
    let d = dir("children");
    write(
        &d.join("child.asl.json"),
        &json!({"StartAt": "C", "States": {"C": {"Type": "Choice",
            "Choices": [{"Variable": "$.ok", "BooleanEquals": true, "Next": "P"}], "Default": "F"},
            "P": {"Type": "Pass", "Result": {"done": true}, "End": true},
            "F": {"Type": "Fail", "Error": "Child.Failed", "Cause": "not ok"}}})
        .to_string(),
    );
    let start = |suffix: &str, ok: bool| {
        json!({"StartAt": "S", "States": {"S": {"Type": "Task",
            "Resource": format!("arn:aws:states:::states:startExecution{suffix}"),
            "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:child", "Input": {"ok": ok}, "Name": "kid"},
            "End": true}}})
    };
    let machine = ["--machine", "child=child.asl.json"];
    let (_, v) = run(
        &d,
        &start(".sync:2", true),
        &json!({}),
        &["--machine", "child=child.asl.json", "--history", "h.json"],
    );
    assert_eq!(v["output"]["Output"], json!({"done": true}), "{v}");
    // A child that never waits still has its StartExecution recorded as TaskSubmitted,
    // naming the execution whose history `childExecutions` holds.
    let h: Value = serde_json::from_str(&std::fs::read_to_string(d.join("h.json")).expect("h"))
        .expect("history JSON");
    let submitted = h["events"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["type"] == "TaskSubmitted"))
        .map(|e| e["taskSubmittedEventDetails"]["output"].clone())
        .expect("a TaskSubmitted event");
    let arn = "arn:aws:states:us-east-1:123456789012:execution:child:kid";
    assert!(submitted.as_str().unwrap_or_default().contains(arn), "{h}");
    let kinds: Vec<&str> = h["childExecutions"][arn]["events"]
        .as_array()
        .map(|e| e.iter().filter_map(|e| e["type"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        kinds,
        [
            "ExecutionStarted",
            "ChoiceStateEntered",
            "ChoiceStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ],
        "{h}"
    );
    assert_eq!(v["output"]["Status"], "SUCCEEDED");
    assert!(
        v["output"]["ExecutionArn"]
            .as_str()
            .unwrap_or_default()
            .ends_with(":execution:child:kid")
    );
    let (_, v) = run(&d, &start(".sync", true), &json!({}), &machine);
    assert_eq!(v["output"]["Output"], "{\"done\":true}", "{v}");
    assert_eq!(v["output"]["Input"], "{\"ok\":true}");
    let (_, v) = run(&d, &start("", true), &json!({}), &machine);
    assert_eq!(v["output"].as_object().map(|o| o.len()), Some(2), "{v}");
    assert!(v["output"]["StartDate"].is_number());
    let (_, v) = run(&d, &start(".sync", false), &json!({}), &machine);
    assert_eq!(v["error"], "States.TaskFailed", "{v}");
    let cause: Value =
        serde_json::from_str(v["cause"].as_str().unwrap_or_default()).expect("cause is JSON");
    assert_eq!(cause["Status"], "FAILED");
    assert_eq!(cause["Error"], "Child.Failed");
    let (_, v) = run(
        &d,
        &start(".sync", true),
        &json!({}),
        &["--machine", "other=child.asl.json"],
    );
    assert_eq!(
        v["error"], "StepFunctions.StateMachineDoesNotExistException",
        "{v}"
    );
}

#[test]
fn a_child_machine_reads_the_parents_s3() {
    // The child's Distributed Map reads and writes the same `--s3-root` as the parent's would.
    let d = dir("child-s3");
    write(&d.join("s3/b/in.json"), "[1, 2, 3]");
    let mut child = distributed(
        json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"}, "Parameters": {"Bucket": "b", "Key": "in.json"}}),
        json!({"ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b", "Prefix": "out"}}}),
    );
    child["States"]["M"]["ResultSelector"] = json!({"written.$": "$.ResultWriterDetails.Key"});
    write(&d.join("child.asl.json"), &child.to_string());
    let parent = json!({"StartAt": "S", "States": {"S": {"Type": "Task",
        "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:child", "Input": {}},
        "OutputPath": "$.Output",
        "End": true}}});
    let (out, v) = run(
        &d,
        &parent,
        &json!({}),
        &["--machine", "child=child.asl.json", "--s3-root", "s3"],
    );
    assert_eq!(out.status.code(), Some(0), "{v}");
    let key = v["output"]["written"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        key.starts_with("out/") && key.ends_with("/manifest.json"),
        "{v}"
    );
    assert!(
        d.join("s3/b").join(&key).is_file(),
        "{key} written under --s3-root"
    );
    // Without `--s3-root` the child's Map has no S3 to read: refused before the run, as the
    // parent's would be.
    let out = Command::new(env!("CARGO_BIN_EXE_asl"))
        .args(["run", "m.asl.json", "--machine", "child=child.asl.json"])
        .current_dir(&d)
        .output()
        .expect("asl starts");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the Map state `M` reads or writes S3 objects"),
        "{stderr}"
    );
}

#[test]
fn a_machine_that_starts_itself_ends_with_a_fault() {
    let d = dir("cycle");
    let def = json!({"StartAt": "S", "States": {"S": {"Type": "Task",
        "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:m", "Input": {}},
        "End": true}}});
    write(&d.join("m.asl.json"), &def.to_string());
    let out = Command::new(env!("CARGO_BIN_EXE_asl"))
        .args([
            "run",
            "m.asl.json",
            "--input",
            "{}",
            "--machine",
            "m=m.asl.json",
        ])
        .current_dir(&d)
        .output()
        .expect("asl starts");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("10 child executions deep"));
}

#[test]
fn item_selector_sees_the_items_source() {
    let d = dir("source");
    write(&d.join("s3/b/in.jsonl"), "1\n");
    let def = distributed(
        json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSONL"}, "Parameters": {"Bucket": "b", "Key": "in.jsonl"}}),
        json!({"ItemSelector": {"source.$": "$$.Map.Item.Source", "index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value"}}),
    );
    let (_, v) = run(&d, &def, &json!({}), &["--s3-root", "s3"]);
    assert_eq!(
        v["output"],
        json!([{"source": "S3://b/in.jsonl", "index": 0, "value": 1}]),
        "{v}"
    );
    let inline = json!({"StartAt": "M", "States": {"M": {"Type": "Map",
        "ItemSelector": {"source.$": "$$.Map.Item.Source"},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
        "End": true}}});
    let (_, v) = run(&d, &inline, &json!([5]), &[]);
    assert_eq!(v["output"], json!([{"source": "STATE_DATA"}]), "{v}");
}

#[test]
fn an_s3_inventory_manifest_gives_the_rows_of_its_files() {
    let d = dir("inventory");
    let manifest = json!({
        "sourceBucket": "photos",
        "destinationBucket": "arn:aws:s3:::inv",
        "fileFormat": "CSV",
        "fileSchema": "Bucket, Key, Size, LastModifiedDate",
        "files": [{"key": "photos/cfg/data/a.csv"}, {"key": "photos/cfg/data/b.csv"}]
    });
    write(
        &d.join("s3/inv/photos/cfg/manifest.json"),
        &manifest.to_string(),
    );
    write(
        &d.join("s3/inv/photos/cfg/data/a.csv"),
        "\"photos\",\"x.jpg\",\"12\",\"2024-01-02T03:04:05.000Z\"\n",
    );
    write(
        &d.join("s3/inv/photos/cfg/data/b.csv"),
        "\"photos\",\"y.jpg\",\"7\",\"2024-01-03T03:04:05.000Z\"\n",
    );
    for config in [
        json!({"InputType": "MANIFEST"}),
        json!({"ManifestType": "S3_INVENTORY"}),
    ] {
        let def = distributed(
            json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": config,
                "Parameters": {"Bucket": "inv", "Key": "photos/cfg/manifest.json"}}),
            json!({}),
        );
        let (_, v) = run(&d, &def, &json!({}), &["--s3-root", "s3"]);
        assert_eq!(
            v["output"],
            json!([
                {"Bucket": "photos", "Key": "x.jpg", "Size": "12", "LastModifiedDate": "2024-01-02T03:04:05.000Z"},
                {"Bucket": "photos", "Key": "y.jpg", "Size": "7", "LastModifiedDate": "2024-01-03T03:04:05.000Z"}
            ]),
            "{config}: {v}"
        );
    }
}

#[test]
fn an_athena_manifest_reads_each_listed_file_in_its_input_type() {
    let d = dir("athena");
    write(
        &d.join("s3/q/out/q1-manifest.csv"),
        "s3://q/out/part-0\ns3://q/out/part-1\n",
    );
    write(&d.join("s3/q/out/part-0"), "1,ann\n");
    write(&d.join("s3/q/out/part-1"), "2,bob\n3,cy\n");
    let def = distributed(
        json!({"Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"ManifestType": "ATHENA_DATA", "InputType": "CSV",
                "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["id", "name"], "MaxItems": 2},
            "Parameters": {"Bucket": "q", "Key": "out/q1-manifest.csv"}}),
        json!({}),
    );
    let (_, v) = run(&d, &def, &json!({}), &["--s3-root", "s3"]);
    assert_eq!(
        v["output"],
        json!([{"id": "1", "name": "ann"}, {"id": "2", "name": "bob"}]),
        "{v}"
    );
    // A listed file that does not exist fails the map run with S3's error.
    write(&d.join("s3/q/out/q1-manifest.csv"), "s3://q/out/gone\n");
    let (_, v) = run(&d, &def, &json!({}), &["--s3-root", "s3"]);
    assert_eq!(v["error"], "States.ItemReaderFailed", "{v}");
    assert!(
        v["cause"]
            .as_str()
            .unwrap_or_default()
            .contains("NoSuchKey"),
        "{v}"
    );
}

/// A Parquet file written with the crate's own writer: `id` int64, `name` optional UTF-8.
#[cfg(feature = "parquet")]
fn parquet_file(ids: &[i64], names: &[&str]) -> Vec<u8> {
    use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use std::sync::Arc;
    let schema = Arc::new(
        parquet::schema::parser::parse_message_type(
            "message m { required int64 id; required binary name (UTF8); }",
        )
        .expect("schema"),
    );
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .build(),
    );
    let mut out = Vec::new();
    let mut w = SerializedFileWriter::new(&mut out, schema, props).expect("writer");
    let mut rg = w.next_row_group().expect("row group");
    let mut c = rg.next_column().expect("column").expect("id");
    c.typed::<Int64Type>()
        .write_batch(ids, None, None)
        .expect("ids");
    c.close().expect("close");
    let mut c = rg.next_column().expect("column").expect("name");
    let names: Vec<ByteArray> = names.iter().map(|n| ByteArray::from(*n)).collect();
    c.typed::<ByteArrayType>()
        .write_batch(&names, None, None)
        .expect("names");
    c.close().expect("close");
    rg.close().expect("row group");
    w.close().expect("file");
    out
}

#[cfg(feature = "parquet")]
#[test]
fn parquet_rows_are_items_directly_and_through_an_athena_manifest() {
    let d = dir("parquet");
    std::fs::create_dir_all(d.join("s3/b/u")).expect("dir");
    std::fs::write(
        d.join("s3/b/u/one.parquet"),
        parquet_file(&[1, 2], &["a", "b"]),
    )
    .expect("write");
    std::fs::write(d.join("s3/b/u/two.parquet"), parquet_file(&[3], &["c"])).expect("write");
    let def = distributed(
        json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "PARQUET"},
            "Parameters": {"Bucket": "b", "Key": "u/one.parquet"}}),
        json!({}),
    );
    let (_, v) = run(&d, &def, &json!({}), &["--s3-root", "s3"]);
    assert_eq!(
        v["output"],
        json!([{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]),
        "{v}"
    );
    write(
        &d.join("s3/b/u/m-manifest.csv"),
        "s3://b/u/one.parquet\ns3://b/u/two.parquet\n",
    );
    let def = distributed(
        json!({"Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"ManifestType": "ATHENA_DATA", "InputType": "PARQUET"},
            "Parameters": {"Bucket": "b", "Key": "u/m-manifest.csv"}}),
        json!({"ItemSelector": {"id.$": "$$.Map.Item.Value.id"}}),
    );
    let (_, v) = run(&d, &def, &json!({}), &["--s3-root", "s3"]);
    assert_eq!(v["output"], json!([{"id": 1}, {"id": 2}, {"id": 3}]), "{v}");
}

/// A corruption of `good` (a byte changed) on which the `parquet` crate panics, found by
/// trying them in turn: one that panics through `asl`'s reader, or that its reader reports as
/// the crate's failure.
#[cfg(feature = "parquet")]
fn a_file_the_parquet_crate_panics_on(good: &[u8]) -> Vec<u8> {
    use asl::storage::items::{Format, items};
    for at in 0..good.len() {
        for change in [0xff_u8, 0x01, 0x80] {
            let mut bad = good.to_vec();
            bad[at] ^= change;
            let body: Box<dyn std::io::Read + Send> = Box::new(std::io::Cursor::new(bad.clone()));
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                items(body, &Format::Parquet).and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            }));
            let crashed = match outcome {
                Err(_) => true,
                Ok(Err(e)) => e.0.contains("the Parquet reader failed on it"),
                Ok(Ok(_)) => false,
            };
            if crashed {
                return bad;
            }
        }
    }
    panic!("no corruption of the file makes the parquet crate panic: this test needs another")
}

/// Pins issue 21: the `parquet` crate panics on some corrupt files, which ended `asl` with
/// exit 101 and a panic message (in `asl test`, the whole run and its JUnit report lost). Now
/// it is the Map's catchable `States.ItemReaderFailed`, and nothing is printed.
#[cfg(feature = "parquet")]
#[test]
fn a_parquet_file_the_crate_panics_on_is_a_catchable_item_reader_failure() {
    let d = dir("parquet-panic");
    std::fs::create_dir_all(d.join("s3/b")).expect("dir");
    let bad = a_file_the_parquet_crate_panics_on(&parquet_file(&[1, 2, 3], &["a", "b", "c"]));
    std::fs::write(d.join("s3/b/bad.parquet"), bad).expect("write");
    let reader = json!({"Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "PARQUET"}, "Parameters": {"Bucket": "b", "Key": "bad.parquet"}});
    let (out, v) = run(
        &d,
        &distributed(reader.clone(), json!({})),
        &json!({}),
        &["--s3-root", "s3"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(v["error"], "States.ItemReaderFailed", "{v}");
    assert!(
        v["cause"]
            .as_str()
            .unwrap_or_default()
            .contains("the Parquet reader failed on it"),
        "{v}"
    );

    let mut caught = distributed(
        reader,
        json!({"Catch": [{"ErrorEquals": ["States.ItemReaderFailed"], "ResultPath": "$.caught", "Next": "Done"}],
            "Next": "Done"}),
    );
    if let Some(m) = caught["States"]["M"].as_object_mut() {
        m.remove("End");
    }
    caught["States"]["Done"] = json!({"Type": "Pass", "End": true});
    write(&d.join("c.asl.json"), &caught.to_string());
    write(
        &d.join("c.test.yaml"),
        "definition: c.asl.json\ns3Root: s3\ncases:\n  - name: caught\n    expect:\n      outputContains: {caught: {Error: States.ItemReaderFailed}}\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_asl"))
        .args(["test", "c.test.yaml", "--junit", "junit.xml"])
        .current_dir(&d)
        .output()
        .expect("asl starts");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let xml = std::fs::read_to_string(d.join("junit.xml")).expect("junit written");
    assert!(xml.contains("tests=\"1\" failures=\"0\""), "{xml}");
}

/// A zstd frame of `head`, `byte` repeated `count` times in RLE blocks (four bytes per
/// 128 KiB), then `tail`.
fn zstd_bomb(head: &[u8], byte: u8, count: u64, tail: &[u8]) -> Vec<u8> {
    let header = |last: bool, kind: u32, size: u64| {
        let v = u32::from(last) | (kind << 1) | ((size as u32) << 3);
        v.to_le_bytes()[..3].to_vec()
    };
    let mut out = vec![0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38];
    out.extend(header(false, 0, head.len() as u64));
    out.extend_from_slice(head);
    let mut left = count;
    while left > 0 {
        let n = left.min(128 * 1024);
        out.extend(header(false, 1, n));
        out.push(byte);
        left -= n;
    }
    out.extend(header(true, 0, tail.len() as u64));
    out.extend_from_slice(tail);
    out
}

/// Pins issue 21: a 129 KiB zstd object holding a 4 GiB CSV line (or JSON string) was
/// inflated whole into memory; now the map run fails with `States.ItemReaderFailed` once the
/// item passes AWS's 8 MB, in a moment.
#[test]
fn a_decompression_bomb_fails_the_map_run_quickly() {
    let d = dir("bomb");
    std::fs::create_dir_all(d.join("s3/b")).expect("dir");
    let four_gib = 4u64 << 30;
    std::fs::write(
        d.join("s3/b/rows.csv.zst"),
        zstd_bomb(b"h\n", b'x', four_gib, b"\n"),
    )
    .expect("write");
    std::fs::write(
        d.join("s3/b/items.json.zst"),
        zstd_bomb(b"[\"", b'x', four_gib, b"\"]"),
    )
    .expect("write");
    for (key, input_type, what) in [
        ("rows.csv.zst", "CSV", "Record 2 of the CSV object"),
        ("items.json.zst", "JSON", "Item 0 of the JSON array"),
    ] {
        let def = distributed(
            json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": input_type},
                "Parameters": {"Bucket": "b", "Key": key}}),
            json!({}),
        );
        let started = std::time::Instant::now();
        let (_, v) = run(&d, &def, &json!({}), &["--s3-root", "s3"]);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(v["error"], "States.ItemReaderFailed", "{v}");
        assert_eq!(
            v["cause"],
            format!(
                "{what} is larger than 8388608 bytes, the most a Distributed Map reads for one item"
            ),
        );
    }
}

#[test]
fn load_and_flatten_reads_each_listed_object_in_turn() {
    let d = dir("flatten");
    write(&d.join("s3/b/logs/1.jsonl"), "{\"n\":1}\n{\"n\":2}\n");
    write(&d.join("s3/b/logs/2.jsonl"), "{\"n\":3}\n");
    let def = distributed(
        json!({"Resource": "arn:aws:states:::s3:listObjectsV2",
            "ReaderConfig": {"InputType": "JSONL", "Transformation": "LOAD_AND_FLATTEN"},
            "Parameters": {"Bucket": "b", "Prefix": "logs/"}}),
        json!({}),
    );
    let (_, v) = run(&d, &def, &json!({}), &["--s3-root", "s3"]);
    assert_eq!(v["output"], json!([{"n": 1}, {"n": 2}, {"n": 3}]), "{v}");
    // A listed object that is not valid in the format fails the map run when it is reached.
    write(&d.join("s3/b/logs/3.jsonl"), "not json\n");
    let (_, v) = run(&d, &def, &json!({}), &["--s3-root", "s3"]);
    assert_eq!(v["error"], "States.ItemReaderFailed", "{v}");
}

#[cfg(unix)]
#[test]
fn load_and_flatten_opens_one_object_at_a_time_however_long_the_listing() {
    // 600 objects under a limit of 64 open files: opening them all before reading would fail
    // with "Too many open files".
    let d = dir("flatten-many");
    for i in 0..600 {
        write(
            &d.join(format!("s3/b/parts/{i:04}.json")),
            &format!("[{i}]"),
        );
    }
    let def = json!({"StartAt": "All", "States": {"All": {"Type": "Map", "End": true,
        "ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2",
            "ReaderConfig": {"InputType": "JSON", "Transformation": "LOAD_AND_FLATTEN"},
            "Parameters": {"Bucket": "b", "Prefix": "parts/"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}});
    write(&d.join("m.asl.json"), &def.to_string());
    let out = Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 64 && exec \"$0\" run m.asl.json --input '{}' --s3-root s3")
        .arg(env!("CARGO_BIN_EXE_asl"))
        .current_dir(&d)
        .output()
        .expect("sh starts");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let want: Vec<Value> = (0..600).map(|i| json!(i)).collect();
    assert_eq!(v, Value::Array(want));
}
