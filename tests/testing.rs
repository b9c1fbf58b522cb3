//! `asl test` through the binary: exit codes, located errors, each report format, coverage,
//! snapshots, and the samples' own test files at 100 % coverage.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn asl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_asl"))
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A fresh directory for one test.
fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("asl-test-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write fixture");
    p
}

fn test(args: &[&str], cwd: &Path) -> Output {
    asl()
        .arg("test")
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the asl binary starts")
}

/// A machine with a Choice whose two rules share a target, a Task with Retry and Catch.
const MACHINE: &str = r#"{
  "StartAt": "Check",
  "States": {
    "Check": {
      "Type": "Choice",
      "Choices": [
        {"Variable": "$.kind", "StringEquals": "a", "Next": "Call"},
        {"Variable": "$.kind", "StringEquals": "b", "Next": "Call"}
      ],
      "Default": "Reject"
    },
    "Call": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName": "f", "Payload.$": "$"},
      "Retry": [{"ErrorEquals": ["Busy"], "MaxAttempts": 1, "IntervalSeconds": 5}],
      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handle"}],
      "ResultSelector": {"v.$": "$.Payload"},
      "End": true
    },
    "Handle": {"Type": "Pass", "End": true},
    "Reject": {"Type": "Fail", "Error": "Rejected", "Cause": "unknown kind"}
  }
}"#;

fn fixture(test: &str, cases: &str) -> PathBuf {
    let d = dir(test);
    write(&d, "m.asl.json", MACHINE);
    write(
        &d,
        "m.test.yaml",
        &format!("definition: m.asl.json\ncases:\n{cases}"),
    );
    d
}

const PASSING: &str = r#"  - name: rule a
    input: {kind: a}
    mocks: {Call: {return: {Payload: 1}}}
    expect:
      status: SUCCEEDED
      output: {v: 1}
      path: [Check, Call]
      calls: {Call: {count: 1, input: [{FunctionName: f, Payload: {kind: a}}]}}
  - name: rule b retried then caught
    input: {kind: b}
    mocks:
      Call:
        sequence:
          - throw: {error: Busy}
          - throw: {error: Boom, cause: broken}
    expect:
      outputContains: {error: {Error: Boom}}
      retries: {Call: {count: 1, rule: 0}}
      caught: {Call: {clause: 0, error: {$regex: "^Bo"}}}
      elapsedSeconds: 5
  - name: default
    input: {kind: z}
    expect: {status: FAILED, error: Rejected, cause: unknown kind, path: [Check, Reject]}
"#;

#[test]
fn passing_cases_exit_0_and_name_each_case() {
    let d = fixture("pass", PASSING);
    let out = test(&[], &d);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    for name in ["rule a", "rule b retried then caught", "default"] {
        assert!(err.contains(name), "{err}");
    }
    assert!(err.contains("3 passed, 0 failed, 0 skipped"), "{err}");
    assert!(stdout(&out).is_empty(), "stdout carries data only");
}

#[test]
fn a_failed_expectation_exits_1_with_a_diff_by_pointer() {
    let d = fixture(
        "fail",
        r#"  - name: wrong output
    input: {kind: a}
    mocks: {Call: {return: {Payload: {n: 1, m: [1, 2]}}}}
    expect:
      output: {v: {n: 2, m: [1, 3]}}
      path: [Check, Handle]
"#,
    );
    let out = test(&[], &d);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("/v/n: expected 2, found 1"), "{err}");
    assert!(err.contains("/v/m/1: expected 3, found 2"), "{err}");
    assert!(err.contains("path"), "{err}");
    assert!(
        err.contains("m.test.yaml:3"),
        "the failing case's line: {err}"
    );
}

#[test]
fn an_unmocked_task_fails_the_case_naming_the_state() {
    let d = fixture(
        "unmocked",
        "  - name: no mock\n    input: {kind: a}\n    expect: {status: SUCCEEDED}\n",
    );
    let out = test(&[], &d);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("the Task state `Call` has no mock"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_invalid_test_file_exits_2_with_line_column_pointer_and_did_you_mean() {
    let d = fixture(
        "invalid",
        "  - name: typo\n    input: {kind: a}\n    mocks: {Cal: {return: 1}}\n    expect: {stauts: SUCCEEDED, error: {$regex: \"(\"}}\n",
    );
    let out = test(&[], &d);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("m.test.yaml:6:14: error: unknown key `stauts`"),
        "{err}"
    );
    assert!(err.contains("did you mean `status`?"), "{err}");
    assert!(err.contains("(at /cases/0/expect/stauts)"), "{err}");
    assert!(
        err.contains("/cases/0/expect/error/$regex"),
        "a bad regex is located: {err}"
    );
    // Names are checked against the definition once the file itself is sound.
    write(
        &d,
        "m.test.yaml",
        "definition: m.asl.json\ncases:\n  - name: typo\n    mocks: {Cal: {return: 1}}\n",
    );
    let out = test(&[], &d);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(
            "m.test.yaml:4:13: error: the definition has no state `Cal` (did you mean `Call`?)"
        ),
        "{err}"
    );
}

#[test]
fn a_retry_rule_or_catch_clause_that_does_not_exist_is_refused() {
    let d = fixture(
        "indexes",
        "  - name: a\n    expect: {retries: {Call: {rule: 1}}, caught: {Call: 2}}\n",
    );
    let out = test(&[], &d);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("`Call` has 1 Retry rule (counted from 0): there is no rule #1"),
        "{err}"
    );
    assert!(
        err.contains("`Call` has 1 Catch clause (counted from 0): there is no clause #2"),
        "{err}"
    );
}

#[test]
fn an_invalid_definition_exits_2_with_validate_diagnostics() {
    let d = dir("baddef");
    write(
        &d,
        "m.asl.json",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}}"#,
    );
    write(
        &d,
        "m.test.yaml",
        "definition: m.asl.json\ncases: [{name: a}]\n",
    );
    let out = test(&[], &d);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("MISSING_TRANSITION_TARGET"), "{err}");
    assert!(
        err.contains("m.test.yaml: error: the definition `m.asl.json`"),
        "{err}"
    );
}

#[test]
fn junit_has_the_schema_required_elements() {
    let d = fixture("junit", PASSING);
    write(
        &d,
        "other.test.json",
        r#"{"definition": "m.asl.json", "cases": [{"name": "bad <one> & \"quoted\"", "input": {"kind": "z"}, "expect": {"status": "SUCCEEDED"}}, {"name": "skipped", "skip": true}]}"#,
    );
    let out = test(&["--junit", "junit.xml"], &d);
    assert_eq!(out.status.code(), Some(1));
    let xml = std::fs::read_to_string(d.join("junit.xml")).expect("junit written");
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
        "{xml}"
    );
    assert!(
        xml.contains(
            "<testsuites name=\"asl test\" tests=\"5\" failures=\"1\" errors=\"0\" skipped=\"1\""
        ),
        "{xml}"
    );
    assert_eq!(xml.matches("<testsuite ").count(), 2, "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), 5, "{xml}");
    assert!(xml.contains("classname=\"m\""), "{xml}");
    assert!(
        xml.contains("name=\"bad &lt;one&gt; &amp; &quot;quoted&quot;\""),
        "{xml}"
    );
    assert!(xml.contains("<failure message=\"status"), "{xml}");
    assert!(xml.contains("<skipped"), "{xml}");
    // Every testcase has a time attribute, and tags balance.
    assert_eq!(
        xml.matches("<testcase ").count(),
        xml.matches("<testcase ")
            .count()
            .min(xml.matches(" time=\"").count())
    );
    assert_eq!(
        xml.matches("<testsuite ").count(),
        xml.matches("</testsuite>").count()
    );
}

#[test]
fn json_and_github_formats_go_to_stdout() {
    let d = fixture(
        "formats",
        "  - name: wrong\n    input: {kind: z}\n    expect: {status: SUCCEEDED}\n",
    );
    let out = test(&["--format", "json"], &d);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["summary"]["failed"], 1);
    assert_eq!(v["files"][0]["cases"][0]["status"], "failed");
    assert_eq!(v["files"][0]["cases"][0]["executionStatus"], "FAILED");
    let out = test(&["--format", "github"], &d);
    let s = stdout(&out);
    assert!(
        s.starts_with("::error file=m.test.yaml,line=3,title=wrong::"),
        "{s}"
    );
}

#[test]
fn lcov_parses_back_and_coverage_min_fails_the_run() {
    let d = fixture(
        "lcov",
        "  - name: a\n    input: {kind: a}\n    mocks: {Call: {return: {Payload: 1}}}\n",
    );
    let out = test(
        &["--lcov", "lcov.info", "--coverage", "--coverage-min", "90"],
        &d,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("under the minimum of 90"), "{err}");
    // Two Choice rules with one target are told apart.
    assert!(err.contains("Choice Check rule #1 (-> Call)"), "{err}");
    let lcov = std::fs::read_to_string(d.join("lcov.info")).expect("lcov written");
    let mut sf = None;
    let mut da = Vec::new();
    let mut brda = Vec::new();
    let mut totals = std::collections::HashMap::new();
    for line in lcov.lines() {
        if let Some(v) = line.strip_prefix("SF:") {
            sf = Some(v.to_string());
        } else if let Some(v) = line.strip_prefix("DA:") {
            let (l, h) = v.split_once(',').expect("DA:line,hits");
            da.push((
                l.parse::<usize>().expect("line"),
                h.parse::<u64>().expect("hits"),
            ));
        } else if let Some(v) = line.strip_prefix("BRDA:") {
            brda.push(v.split(',').map(str::to_string).collect::<Vec<_>>());
        } else if let Some((k, v)) = line.split_once(':') {
            totals.insert(k.to_string(), v.parse::<usize>().unwrap_or(0));
        }
    }
    assert!(sf.expect("SF").ends_with("m.asl.json"));
    // DA at the line of each state's key: Check (4), Call (12), Handle (21), Reject (22).
    assert_eq!(da, vec![(4, 1), (12, 1), (21, 0), (22, 0)]);
    assert_eq!(totals["LF"], 4);
    assert_eq!(totals["LH"], 2);
    // Choice rules at their own lines: rule 0 taken once, rule 1 not, Default not.
    assert!(brda.iter().any(|b| b[0] == "7" && b[3] == "1"), "{brda:?}");
    assert!(brda.iter().any(|b| b[0] == "8" && b[3] == "0"), "{brda:?}");
    assert_eq!(totals["BRF"], brda.len());
    assert!(lcov.trim_end().ends_with("end_of_record"));
}

#[test]
fn filter_only_skip_and_fail_fast_select_cases() {
    let d = fixture(
        "select",
        r#"  - name: first
    input: {kind: z}
    expect: {status: SUCCEEDED}
  - name: second
    input: {kind: z}
    expect: {status: FAILED}
  - name: third
    skip: true
"#,
    );
    let out = test(&["--filter", "second"], &d);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1 passed, 0 failed, 0 skipped"),
        "{}",
        stderr(&out)
    );
    let out = test(&["--fail-fast", "--jobs", "1"], &d);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("0 passed, 1 failed, 2 skipped"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn trace_shows_the_failing_case_state_by_state() {
    let d = fixture(
        "trace",
        "  - name: wrong\n    input: {kind: a}\n    mocks: {Call: {return: {Payload: 2}}}\n    expect: {output: {v: 1}}\n",
    );
    let out = test(&["--trace"], &d);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("trace:"), "{err}");
    assert!(err.contains("Task     Call"), "{err}");
}

#[test]
fn snapshots_are_written_only_when_asked() {
    let d = fixture(
        "snap",
        "  - name: snap\n    input: {kind: a}\n    mocks: {Call: {return: {Payload: 7}}}\n    snapshot: true\n",
    );
    let before = std::fs::read_to_string(d.join("m.test.yaml")).expect("read");
    let out = test(&[], &d);
    assert_eq!(out.status.code(), Some(1), "an unrecorded snapshot fails");
    assert!(
        stderr(&out).contains("--update-snapshots"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(d.join("m.test.yaml")).expect("read"),
        before
    );
    let out = test(&["--update-snapshots"], &d);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let after = std::fs::read_to_string(d.join("m.test.yaml")).expect("read");
    assert!(
        after.contains(r#"snapshot: {"output":{"v":7},"path":["Check","Call"]}"#),
        "{after}"
    );
    let out = test(&[], &d);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_run_repeats_exactly() {
    let d = dir("determinism");
    write(
        &d,
        "m.asl.json",
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"id.$": "States.UUID()", "at.$": "$$.Execution.StartTime", "n.$": "States.MathRandom(1, 1000000)"}, "End": true}}}"#,
    );
    write(
        &d,
        "m.test.yaml",
        "definition: m.asl.json\ncases:\n  - name: fixed\n    expect:\n      outputContains: {at: \"2024-01-01T00:00:00.000Z\"}\n",
    );
    let outputs: Vec<serde_json::Value> = (0..2)
        .map(|_| {
            let out = test(&["--format", "json"], &d);
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
            serde_json::from_slice(&out.stdout).expect("json")
        })
        .collect();
    assert_eq!(outputs[0]["summary"]["passed"], 1);
    // The same UUID and random number on every run: check through an assertion document.
    let d2 = dir("determinism-2");
    std::fs::copy(d.join("m.asl.json"), d2.join("m.asl.json")).expect("copy");
    let run = |seed: u64| {
        write(
            &d2,
            "m.test.yaml",
            &format!(
                "definition: m.asl.json\ncontext: {{seed: {seed}}}\ncases:\n  - name: s\n    snapshot: true\n"
            ),
        );
        let _ = test(&["--update-snapshots"], &d2);
        std::fs::read_to_string(d2.join("m.test.yaml")).expect("read")
    };
    let (a, b, c) = (run(1), run(1), run(2));
    assert_eq!(a, b, "the same seed gives the same UUID and number");
    assert_ne!(a, c, "another seed gives others");
}

#[test]
fn the_samples_are_covered_completely() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = test(&["asl-samples", "--coverage-min", "100"], root);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn item_reader_data_can_be_given_inline() {
    let d = dir("s3objects");
    write(
        &d,
        "m.asl.json",
        r#"{"StartAt": "M", "States": {"M": {"Type": "Map",
            "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "CSV"},
                           "Parameters": {"Bucket": "in", "Key.$": "$.key"}},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                              "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
            "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "out", "Prefix": "r"}},
            "End": true}}}"#,
    );
    write(
        &d,
        "m.test.yaml",
        r#"definition: m.asl.json
s3Objects:
  "s3://in/day.csv": "id,n\na,1\nb,2\n"
  "s3://out/placeholder": ""
cases:
  - name: two rows
    input: {key: day.csv}
    expect:
      outputContains: {ResultWriterDetails: {Bucket: out, Key: {$regex: "^r/.*/manifest.json$"}}}
      iterations: {M: 2}
      states:
        "M[1]/P": {input: {id: b, n: "2"}}
  - name: the case's own object
    input: {key: other.csv}
    s3Objects: {"s3://in/other.csv": "id\nz\n"}
    expect:
      iterations: {M: 1}
  - name: a missing object
    input: {key: none.csv}
    expect: {status: FAILED, error: States.ItemReaderFailed}
"#,
    );
    let out = test(&[], &d);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!d.join("out").exists(), "results stay in memory");
}

#[test]
fn a_child_machine_reads_the_test_files_objects() {
    let d = dir("child-s3objects");
    write(
        &d,
        "child.asl.json",
        r#"{"StartAt": "M", "States": {"M": {"Type": "Map",
            "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
                           "Parameters": {"Bucket": "in", "Key": "items.json"}},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                              "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
            "End": true}}}"#,
    );
    write(
        &d,
        "m.asl.json",
        r#"{"StartAt": "S", "States": {"S": {"Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution.sync:2",
            "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:child", "Input": {}},
            "OutputPath": "$.Output", "End": true}}}"#,
    );
    write(
        &d,
        "m.test.yaml",
        r#"definition: m.asl.json
machines: {child: child.asl.json}
s3Objects:
  "s3://in/items.json": "[1, 2]"
cases:
  - name: the child maps the objects
    expect:
      output: [1, 2]
"#,
    );
    let out = test(&[], &d);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn folder_search_follows_no_link_out_of_the_roots_and_never_loops() {
    // Pins: the search followed linked folders: a link to `.` repeated every case, two of
    // them made the search double per level until the kernel's link limit (a hang), and a
    // link out of the root ran someone else's tests. Now each folder is searched once, each
    // file runs once, and links out of the named roots are not followed.
    use std::os::unix::fs::symlink;
    let d = fixture("links", PASSING);
    let elsewhere = dir("links-elsewhere");
    write(&elsewhere, "m.asl.json", MACHINE);
    write(
        &elsewhere,
        "other.test.yaml",
        &format!("definition: m.asl.json\ncases:\n{PASSING}"),
    );
    symlink(".", d.join("self")).expect("link");
    symlink(".", d.join("again")).expect("link");
    symlink("..", d.join("up")).expect("link");
    symlink(&elsewhere, d.join("out")).expect("link");
    symlink(d.join("m.test.yaml"), d.join("same.test.yaml")).expect("link");
    symlink(elsewhere.join("other.test.yaml"), d.join("far.test.yaml")).expect("link");
    let began = std::time::Instant::now();
    let o = test(&["--format", "json"], &d);
    assert!(began.elapsed() < std::time::Duration::from_secs(60));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON report");
    let files: Vec<&str> = v["files"]
        .as_array()
        .map(|a| a.iter().filter_map(|f| f["path"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(files, ["m.test.yaml"], "{v:#}");
    // Named on the command line, a root is searched even when it is itself a link.
    let o = test(&["out", "--format", "json"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("other.test.yaml"), "{}", stdout(&o));
}

#[test]
fn coverage_min_refuses_non_finite_and_out_of_range_values() {
    // Pins: `--coverage-min nan` was accepted (every comparison with NaN is false, so the
    // check could never fail). Non-numbers, non-finite values and values outside 0..=100 are
    // usage errors naming the value; the bounds themselves are accepted.
    let d = fixture("coverage-min", PASSING);
    for bad in ["nan", "NaN", "inf", "-inf", "-1", "100.5", "1e3", "ninety"] {
        let flag = format!("--coverage-min={bad}");
        let o = test(&[&flag], &d);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(&format!(
                "expected a percentage from 0 to 100, but got `{bad}`"
            )),
            "{bad}: {}",
            stderr(&o)
        );
    }
    for good in ["0", "100", "66.5"] {
        let flag = format!("--coverage-min={good}");
        let o = test(&[&flag], &d);
        assert_ne!(o.status.code(), Some(2), "{good}: {}", stderr(&o));
    }
}

#[test]
fn a_templates_machine_is_named_by_its_logical_id() {
    // Pins: a template holding one state machine was named after the file (`template`) where
    // docs/testing.md says its logical id; a multi-machine template's machine is named with
    // `#LogicalId`. The name reaches `$$.StateMachine.Name`, reports and mock files.
    let d = dir("logical-id");
    let machine = |name: &str| {
        format!(
            "  {name}:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n      Definition:\n        StartAt: P\n        States:\n          P: {{Type: Pass, Parameters: {{name.$: $$.StateMachine.Name}}, End: true}}\n"
        )
    };
    write(
        &d,
        "single.yaml",
        &format!("Resources:\n{}", machine("GreetMachine")),
    );
    write(
        &d,
        "multi.yaml",
        &format!("Resources:\n{}{}", machine("First"), machine("Second")),
    );
    let case = |def: &str, want: &str| {
        format!(
            "definition: {def}\ncases:\n  - name: named\n    input: {{}}\n    expect:\n      output: {{name: {want}}}\n"
        )
    };
    write(&d, "single.test.yaml", &case("single.yaml", "GreetMachine"));
    write(&d, "multi.test.yaml", &case("multi.yaml#Second", "Second"));
    let o = test(&["--format", "json"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON report");
    let machines: Vec<&str> = v["files"]
        .as_array()
        .map(|a| a.iter().filter_map(|f| f["machine"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(machines, ["Second", "GreetMachine"], "{v:#}");
    // `asl run` names it the same way.
    let o = asl()
        .args(["run", "single.yaml", "--input", "{}"])
        .current_dir(&d)
        .output()
        .expect("runs");
    assert_eq!(
        stdout(&o).trim(),
        r#"{"name":"GreetMachine"}"#,
        "{}",
        stderr(&o)
    );
}
