//! Hot-path micro-benchmarks: `cargo bench --bench hot_paths`.
//!
//! A plain timing loop (no benchmark framework, so nothing extra to build): each case runs
//! for about half a second and reports the mean time per operation. Numbers and the machine
//! they came from are recorded in docs/PERFORMANCE.md.

use asl::data::jsonata::Expression;
use asl::data::jsonpath::Path;
use asl::data::roots::StaticRoots;
use asl::data::template::Template;
use serde_json::{Value, json};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn bench(name: &str, mut op: impl FnMut()) {
    for _ in 0..1_000 {
        op();
    }
    let mut iterations: u64 = 0;
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(500) {
        for _ in 0..1_000 {
            op();
        }
        iterations += 1_000;
    }
    let ns = start.elapsed().as_nanos() as f64 / iterations as f64;
    println!("{name:<40} {ns:>10.0} ns/op");
}

/// [`bench`] for operations of milliseconds: a few warm-up runs, then two seconds.
fn bench_slow(name: &str, mut op: impl FnMut()) {
    for _ in 0..3 {
        op();
    }
    let mut iterations: u64 = 0;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(2) {
        op();
        iterations += 1;
    }
    let ms = start.elapsed().as_secs_f64() * 1000.0 / iterations as f64;
    println!("{name:<40} {ms:>10.2} ms/op");
}

/// A 1,000-state definition for `asl graph`: Choice states jumping one or two ahead, Tasks
/// with a Retry and a Catch to one handler, and a Map every hundred states.
fn big_definition(n: usize) -> Value {
    let mut states = serde_json::Map::new();
    for i in 0..n {
        let next = format!("S{}", i + 1);
        let s = if i + 1 == n {
            json!({"Type": "Succeed"})
        } else if i % 100 == 50 {
            json!({"Type": "Map", "ItemProcessor": {"StartAt": format!("In{i}"), "States": {
                format!("In{i}"): {"Type": "Pass", "Next": format!("Out{i}")},
                format!("Out{i}"): {"Type": "Pass", "End": true}}}, "Next": next})
        } else if i % 3 == 0 && i + 2 < n {
            json!({"Type": "Choice",
                   "Choices": [{"Variable": "$.n", "NumericGreaterThan": i, "Next": format!("S{}", i + 2)}],
                   "Default": next})
        } else if i % 3 == 1 {
            json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                   "Retry": [{"ErrorEquals": ["States.Timeout"]}],
                   "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handler"}], "Next": next})
        } else {
            json!({"Type": "Pass", "Next": next})
        };
        states.insert(format!("S{i}"), s);
    }
    states.insert("Handler".into(), json!({"Type": "Fail"}));
    json!({"StartAt": "S0", "States": states})
}

fn machine(text: &str) -> asl::definition::StateMachine {
    match asl::definition::load_str(text) {
        Ok(m) => m,
        Err(e) => panic!("benchmark definition is invalid: {e:?}"),
    }
}

fn run(m: &asl::definition::StateMachine, input: &Value) {
    let options = asl::engine::Options::default();
    match asl::engine::run_blocking(m, input.clone(), options) {
        Ok(o) => {
            black_box(o.output());
        }
        Err(e) => panic!("benchmark run faulted: {e}"),
    }
}

fn main() {
    let doc = json!({"order": {"id": "o-1", "lines": [{"sku": "A", "qty": 2}, {"sku": "B", "qty": 1}]}, "meta": {"tag": "bench"}});
    let roots = StaticRoots {
        input: doc.clone(),
        states: json!({"input": doc.clone()}),
        ..StaticRoots::default()
    };

    let path = Path::parse("$.order.lines[1].sku").unwrap_or_else(|e| panic!("{e}"));
    bench("path lookup $.order.lines[1].sku", || {
        black_box(path.select(black_box(&doc)).ok());
    });

    let template = Template::jsonpath(&json!({
        "id.$": "$.order.id",
        "tag.$": "$.meta.tag",
        "count.$": "States.ArrayLength($.order.lines)",
        "static": {"a": 1}
    }))
    .unwrap_or_else(|e| panic!("{e:?}"));
    bench("payload template (4 fields, 1 intrinsic)", || {
        black_box(template.eval(&roots).ok());
    });

    let expr = Expression::compile("$sum($states.input.order.lines.qty) * 2")
        .unwrap_or_else(|e| panic!("{e}"));
    bench("JSONata expression ($sum over a path)", || {
        black_box(expr.evaluate(&roots).ok());
    });

    let pass = machine(
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"id.$": "$.order.id"}, "End": true}}}"#,
    );
    bench("execution with one Pass step", || run(&pass, &doc));

    // The model-driven AWS client: a service's model is inflated once per process (the
    // largest, EC2, bounds the first call's cost), then each call builds a request and reads
    // an answer.
    use asl::handlers::aws::{model, params, protocol};
    for name in ["ec2", "dynamodb"] {
        let e = model::entry(name).unwrap_or_else(|| panic!("no model {name}"));
        bench_slow(&format!("AWS model: inflate and read {name}"), || {
            black_box(model::inflate(e).ok());
        });
    }
    let ddb = model::load("dynamodb")
        .and_then(Result::ok)
        .unwrap_or_else(|| panic!("dynamodb"));
    let get_item = ddb
        .operation("getItem")
        .unwrap_or_else(|| panic!("getItem"));
    let shape = get_item.input().unwrap_or_else(|| panic!("input"));
    let given = json!({"TableName": "orders", "Key": {"id": {"S": "o-1"}}, "ConsistentRead": true});
    bench("AWS request: DynamoDB getItem built", || {
        let input = params::to_input(&shape, black_box(&given)).ok();
        black_box(input.map(|i| protocol::build(&get_item, &i).ok()));
    });
    let s3 = model::load("s3")
        .and_then(Result::ok)
        .unwrap_or_else(|| panic!("s3"));
    let list = s3
        .operation("listObjectsV2")
        .unwrap_or_else(|| panic!("listObjectsV2"));
    let mut xml = String::from("<ListBucketResult><Name>b</Name><KeyCount>100</KeyCount>");
    for i in 0..100 {
        xml.push_str(&format!("<Contents><Key>k{i}</Key><Size>{i}</Size><LastModified>2024-01-02T03:04:05.000Z</LastModified><ETag>\"e\"</ETag></Contents>"));
    }
    xml.push_str("</ListBucketResult>");
    let resp = protocol::HttpResponse {
        status: 200,
        headers: Vec::new(),
        body: xml.into_bytes(),
    };
    bench("AWS answer: S3 listObjectsV2 of 100 read", || {
        black_box(protocol::parse(&list, black_box(&resp)).ok());
    });

    let choice = machine(
        r#"{"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [
                {"And": [{"Variable": "$.order.id", "StringMatches": "o-*"}, {"Variable": "$.meta.tag", "StringEquals": "bench"}], "Next": "Yes"}],
              "Default": "No"},
            "Yes": {"Type": "Succeed"}, "No": {"Type": "Succeed"}}}"#,
    );
    bench("execution with one Choice step (And rule)", || {
        run(&choice, &doc)
    });

    let big = big_definition(1000);
    let m = machine(&big.to_string());
    let diagram = asl::graph::Diagram::build(&m, &big);
    bench_slow("graph: layout of 1,000 states", || {
        black_box(asl::graph::layout::layout(black_box(&diagram)));
    });
    bench_slow("graph: 1,000 states to SVG (build+layout)", || {
        black_box(asl::graph::svg(&asl::graph::Diagram::build(&m, &big)));
    });
    bench_slow("graph: 1,000 states to HTML", || {
        black_box(asl::graph::html(&asl::graph::Diagram::build(&m, &big)));
    });
}
