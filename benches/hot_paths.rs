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
}
