//! `asl graph` through the built binary: each format on a sample, the format taken from the
//! -o extension, templates with `#LogicalId`, and refusals.

use std::path::PathBuf;
use std::process::{Command, Output};

fn asl(args: &[&str]) -> Output {
    match Command::new(env!("CARGO_BIN_EXE_asl")).args(args).output() {
        Ok(o) => o,
        Err(e) => panic!("cannot run asl: {e}"),
    }
}

fn sample(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("asl-samples")
        .join(name)
        .display()
        .to_string()
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("asl-graph-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir.join(name)
}

#[test]
fn svg_is_the_default_and_draws_every_state_and_choice_rule() {
    let out = stdout(&asl(&["graph", &sample("choice.asl.json")]));
    assert!(out.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(out.trim_end().ends_with("</svg>"));
    for name in [
        "Route",
        "ManualReview",
        "Express",
        "Standard",
        "Start",
        "End",
    ] {
        assert!(out.contains(&format!(">{name}</text>")), "no {name}");
    }
    // Two rules and Default leave the Choice; the first rule's label is cut, its title full.
    assert!(out.contains(">$.express == true</text>"));
    assert!(out.contains(">Default</text>"));
    assert!(out.contains("<title>And($.amount &gt; 1000, $.country == &quot;DE&quot;)</title>"));
}

#[test]
fn dot_has_clusters_for_parallel_branches() {
    let out = stdout(&asl(&[
        "graph",
        &sample("parallel.asl.json"),
        "--format",
        "dot",
    ]));
    assert!(out.starts_with("digraph asl {"));
    assert!(out.contains("subgraph cluster_n1 {"), "{out}");
    assert!(out.contains("label=\"Branch 1\""));
    assert!(out.contains("label=\"Branch 2\""));
    assert!(out.contains("label=\"Sum\\nPass\""));
    assert!(out.trim_end().ends_with('}'));
}

#[test]
fn mermaid_is_a_flowchart_with_map_subgraphs_and_dotted_catch_edges() {
    let out = stdout(&asl(&[
        "graph",
        &sample("pipeline.asl.json"),
        "--format",
        "mermaid",
    ]));
    assert!(out.starts_with("flowchart TD\n"));
    assert!(
        out.contains("subgraph n2[\"ParallelProcessing<br/>Map\"]"),
        "{out}"
    );
    assert!(out.contains("[\"Iterator\"]"));
    let catch = stdout(&asl(&[
        "graph",
        &sample("task-retry-catch.asl.json"),
        "--format",
        "mermaid",
    ]));
    assert!(catch.contains("-.->|\"States.ALL\"|"), "{catch}");
    assert!(catch.contains("Task · ↻ Retry"));
}

#[test]
fn html_from_the_output_extension_is_self_contained() {
    let file = temp("machine.html");
    let o = asl(&[
        "graph",
        &sample("task-retry-catch.asl.json"),
        "-o",
        &file.display().to_string(),
    ]);
    assert!(stdout(&o).is_empty(), "stdout must stay empty with -o");
    let html = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg xmlns="));
    assert!(html.contains("id=\"asl-states\""));
    assert!(html.contains("\"type\":\"Task\""));
    // Nothing loads from elsewhere: the only URL is the SVG namespace.
    assert!(!html.contains("https://"));
    assert!(!html.contains("<script src") && !html.contains("<link"));
}

#[test]
fn html_keeps_script_text_in_state_json_inert() {
    let def = temp("script.asl.json");
    let _ = std::fs::write(
        &def,
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Comment": "</script><script>alert(1)</script>", "End": true}}}"#,
    );
    let html = stdout(&asl(&[
        "graph",
        &def.display().to_string(),
        "--format",
        "html",
    ]));
    // The page's own three: the states' data, the events' data, the script.
    assert_eq!(
        html.matches("</script>").count(),
        html.matches("<script").count(),
        "{html}"
    );
    assert_eq!(html.matches("</script>").count(), 3, "{html}");
    assert!(html.contains("\\u003c/script>\\u003cscript>alert(1)"));
}

#[test]
fn a_template_state_machine_is_named_by_logical_id() {
    let tpl = temp("template.yaml");
    let _ = std::fs::write(
        &tpl,
        "Resources:\n  Flow:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n      Definition:\n        StartAt: Hello\n        States:\n          Hello:\n            Type: Pass\n            End: true\n  Other:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n      Definition:\n        StartAt: Bye\n        States:\n          Bye:\n            Type: Succeed\n",
    );
    let out = stdout(&asl(&[
        "graph",
        &format!("{}#Flow", tpl.display()),
        "--format",
        "mermaid",
    ]));
    assert!(out.contains("[\"Hello<br/>Pass\"]"), "{out}");
    assert!(!out.contains("Bye"));
    let both = asl(&["graph", &tpl.display().to_string()]);
    assert_eq!(both.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&both.stderr).contains("name one as"));
}

#[test]
fn refusals_exit_2() {
    let missing = asl(&["graph", "no-such-file.asl.json"]);
    assert_eq!(missing.status.code(), Some(2));
    let bad = asl(&["graph", &sample("choice.asl.json"), "--format", "png"]);
    assert_eq!(bad.status.code(), Some(2));
}
