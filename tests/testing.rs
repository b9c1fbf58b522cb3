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
    // Names are checked against the definition in the same pass.
    assert!(
        err.contains("m.test.yaml:5:13: error: the definition has no state `Cal`"),
        "{err}"
    );
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

#[test]
fn a_key_written_twice_is_an_error_at_the_second() {
    // The first `expect` would be dropped without a word, and the case would pass.
    let d = fixture(
        "duplicates",
        "  - name: twice\n    input: {kind: z}\n    expect: {status: SUCCEEDED}\n    expect: {path: [Check, Reject]}\n",
    );
    let out = test(&[], &d);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("m.test.yaml:6:5: error: `expect` is written twice in one object (first at line 5, column 5)"),
        "{err}"
    );
    assert!(err.contains("(at /cases/0/expect)"), "{err}");
    std::fs::remove_file(d.join("m.test.yaml")).expect("remove");
    write(
        &d,
        "m.test.json",
        "{\"definition\": \"m.asl.json\",\n \"cases\": [{\"name\": \"a\", \"input\": {\"kind\": \"z\"},\n   \"expect\": {\"status\": \"FAILED\", \"status\": \"SUCCEEDED\"}}]}",
    );
    let out = test(&[], &d);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("m.test.json:3:35: error: `status` is written twice in one object (first at line 3, column 15)"),
        "{err}"
    );
    // So is a key written twice in a file the test file reads.
    write(&d, "in.json", "{\"kind\": \"a\",\n \"kind\": \"z\"}");
    write(
        &d,
        "m.mocks.json",
        r#"{"StateMachines": {"m": {"TestCases": {"T": {"Call": "R"}}}},
 "MockedResponses": {"R": {"0": {"Return": 1}, "0": {"Throw": {"Error": "E"}}}}}"#,
    );
    write(
        &d,
        "m.test.json",
        r#"{"definition": "m.asl.json", "mockConfig": {"file": "m.mocks.json", "testCase": "T"},
 "cases": [{"name": "a", "inputFile": "in.json"}]}"#,
    );
    let out = test(&[], &d);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("error: `kind` is written twice in one object of `./in.json:2:2` (at /kind)"),
        "{err}"
    );
    assert!(
        err.contains("m.mocks.json:2:48: error: `0` is written twice in one object"),
        "{err}"
    );
}

#[test]
fn every_problem_of_a_file_is_reported_in_one_pass() {
    let d = fixture(
        "one-pass",
        r#"  - name: a
    expect: {stauts: FAILED, calls: {Cal: 1}, retries: {Call: {rule: 3}}}
  - name: a
    expect: {caught: {Call: 4}, states: {"Call[0]/Handle": {entered: 0}}}
"#,
    );
    let out = test(&[], &d);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    for want in [
        "unknown key `stauts`",
        "the definition has no state `Cal` (did you mean `Call`?)",
        "`Call` has 1 Retry rule (counted from 0): there is no rule #3",
        "two cases are named `a`",
        "`Call` has 1 Catch clause (counted from 0): there is no clause #4",
        "`Call` is a Task state: only Map and Parallel states have `[index]`",
    ] {
        assert!(err.contains(want), "{want}: {err}");
    }
    // In the order they are written.
    let at = |s: &str| err.find(s).unwrap_or(usize::MAX);
    assert!(
        at("stauts") < at("`Cal`") && at("`Cal`") < at("rule #3"),
        "{err}"
    );
    assert!(
        at("rule #3") < at("two cases") && at("two cases") < at("clause #4"),
        "{err}"
    );
}

#[test]
fn branch_counts_and_qualified_names_the_definition_contradicts_are_refused() {
    let d = dir("structure");
    write(
        &d,
        "m.asl.json",
        r#"{"StartAt": "Fan", "States": {
            "Fan": {"Type": "Parallel", "Next": "Each", "Branches": [
                {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
                {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}]},
            "Each": {"Type": "Map", "ItemsPath": "$.items", "End": true,
                     "ItemProcessor": {"StartAt": "W", "States": {"W": {"Type": "Pass", "End": true}}}}}}"#,
    );
    write(
        &d,
        "m.test.yaml",
        r#"definition: m.asl.json
cases:
  - name: sound
    input: {items: [1]}
    expect:
      path: [Fan, "Fan[0]/A", "Fan[1]/B", Each, "Each[0]/W"]
      branches: {Fan: [[A], [B]]}
      states: {"Each[0]/W": {entered: 1}}
  - name: contradicted
    input: {items: [1]}
    expect:
      pathContains: [Fan, W]
      branches: {Fan: [[A], [B], [C]]}
      states:
        "Fan[1]/A": {entered: 0}
        "Fan[2]/B": {entered: 0}
        "Each[0]/A": {entered: 0}
        "W": {entered: 1}
"#,
    );
    let out = test(&[], &d);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    for want in [
        "m.test.yaml:12:27: error: `W` runs inside `Each`, so a path names it with its iteration or branch (`Each[i]/W`)",
        "`Fan` has 2 branches: list one path per branch, 2 in all (found 3)",
        "the definition has no state `C`",
        "`Fan[1]/A`: `A` runs in branch 0 of `Fan`, not in branch 1",
        "`Fan[2]/B`: `Fan` has 2 branches (counted from 0): there is no branch 2",
        "`Each[0]/A`: `A` does not run inside `Each` (it runs inside `Fan`)",
    ] {
        assert!(err.contains(want), "{want}: {err}");
    }
    assert!(!err.contains("/cases/0/"), "the sound case is sound: {err}");
}

#[test]
fn update_snapshots_keeps_flow_style_cases_and_comments_whole() {
    let d = dir("snap-flow");
    write(&d, "m.asl.json", MACHINE);
    let text = "definition: m.asl.json  # the machine\ncases:\n  - {name: a, snapshot: true, input: {kind: a}, mocks: {Call: {return: {Payload: 7}}}, expect: {status: SUCCEEDED}}  # flow\n  - name: b\n    snapshot:\n      output: old  # stale\n    input: {kind: z}\n    expect: {status: FAILED}\n";
    write(&d, "m.test.yaml", text);
    let out = test(&["--update-snapshots"], &d);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let after = std::fs::read_to_string(d.join("m.test.yaml")).expect("read");
    assert_eq!(
        after,
        "definition: m.asl.json  # the machine\ncases:\n  - {name: a, snapshot: {\"output\":{\"v\":7},\"path\":[\"Check\",\"Call\"]}, input: {kind: a}, mocks: {Call: {return: {Payload: 7}}}, expect: {status: SUCCEEDED}}  # flow\n  - name: b\n    snapshot: {\"output\":null,\"path\":[\"Check\",\"Reject\"]}  # stale\n    input: {kind: z}\n    expect: {status: FAILED}\n"
    );
    let out = test(&[], &d);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// A Distributed Map writing results under `s3Root`, then a Map listing what is there.
const WRITE_THEN_LIST: &str = r#"{"StartAt": "Write", "States": {
  "Write": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.w",
    "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                      "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
    "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "out", "Prefix": "r"}},
    "Next": "Count"},
  "Count": {"Type": "Map", "ResultPath": "$.listed",
    "ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "out", "Prefix": "r/"}},
    "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                      "StartAt": "K", "States": {"K": {"Type": "Pass", "OutputPath": "$.Key", "End": true}}},
    "End": true}}}"#;

#[test]
fn each_case_is_its_own_execution_with_its_own_s3() {
    let d = dir("identity");
    write(&d, "m.asl.json", WRITE_THEN_LIST);
    std::fs::create_dir_all(d.join("s3/out")).expect("bucket");
    let mut cases = String::new();
    for i in 0..6 {
        cases.push_str(&format!(
            "  - name: case {i}\n    input: {{items: [1, 2, 3]}}\n    expect:\n      outputContains: {{listed: {{$length: 2}}}}\n      assertions:\n        - jsonata: \"$contains(output.w.MapRunArn, ':mapRun:') and $contains(output.listed[0], $split(output.w.MapRunArn, ':')[-1])\"\n"
        ));
    }
    write(
        &d,
        "m.test.yaml",
        &format!("definition: m.asl.json\ns3Root: s3\ncases:\n{cases}"),
    );
    // Run concurrently, each case lists only what it wrote itself, and nothing reaches the
    // folder.
    for _ in 0..2 {
        let out = test(&["--jobs", "2"], &d);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    assert_eq!(
        std::fs::read_dir(d.join("s3/out")).expect("bucket").count(),
        0,
        "s3Root is only read"
    );
    // Each case has its execution name and its map run; both repeat from run to run.
    let snap = "definition: m.asl.json\ns3Root: s3\ncases:\n  - {name: first case, input: {items: [1]}, snapshot: true}\n  - {name: second/case, input: {items: [1]}, snapshot: true}\n";
    let record = || {
        write(&d, "m.test.yaml", snap);
        let out = test(&["--update-snapshots"], &d);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        std::fs::read_to_string(d.join("m.test.yaml")).expect("read")
    };
    let (a, b) = (record(), record());
    assert_eq!(a, b, "ids repeat from run to run");
    let runs: Vec<&str> = a
        .match_indices(":mapRun:m/")
        .map(|(i, _)| &a[i..i + 90])
        .collect();
    assert_eq!(runs.len(), 2, "{a}");
    assert_ne!(runs[0], runs[1], "no two cases share a map run: {a}");
    // A bucket neither given nor in s3Root cannot be written, as on S3.
    write(
        &d,
        "m.asl.json",
        &WRITE_THEN_LIST.replace(
            "\"Bucket\": \"out\", \"Prefix\": \"r\"",
            "\"Bucket\": \"nowhere\", \"Prefix\": \"r\"",
        ),
    );
    write(
        &d,
        "m.test.yaml",
        "definition: m.asl.json\ns3Root: s3\ncases:\n  - name: no bucket\n    input: {items: [1]}\n    expect: {status: FAILED, error: States.ResultWriterFailed, cause: {$regex: NoSuchBucket}}\n",
    );
    let out = test(&[], &d);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_case_runs_under_an_execution_name_made_from_its_name() {
    let d = dir("exec-name");
    write(
        &d,
        "m.asl.json",
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"name.$": "$$.Execution.Name", "id.$": "$$.Execution.Id"}, "End": true}}}"#,
    );
    write(
        &d,
        "m.test.yaml",
        r#"definition: m.asl.json
cases:
  - name: "A declined card: ends in PaymentFailed!"
    expect: {output: {name: A-declined-card-ends-in-PaymentFailed, id: "arn:aws:states:us-east-1:123456789012:execution:m:A-declined-card-ends-in-PaymentFailed"}}
  - name: "A declined card, ends in PaymentFailed"
    expect: {outputContains: {name: A-declined-card-ends-in-PaymentFailed-2}}
  - name: "été"
    expect: {outputContains: {name: été}}
  - name: "???"
    expect: {outputContains: {name: case-3}}
  - name: fixed
    context: {executionName: mine}
    expect: {outputContains: {name: mine}}
"#,
    );
    let out = test(&[], &d);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn what_asl_validate_warns_about_is_shown() {
    let d = dir("def-warnings");
    write(
        &d,
        "m.asl.json",
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"id": "$.id"}, "End": true}}}"#,
    );
    write(
        &d,
        "m.test.yaml",
        "definition: m.asl.json\ncases:\n  - name: a\n  - name: b\n",
    );
    let out = test(&[], &d);
    assert_eq!(out.status.code(), Some(0), "warnings do not fail the run");
    let err = stderr(&out);
    assert_eq!(err.matches("[NO_DOLLAR]").count(), 1, "once: {err}");
    assert!(
        err.contains("m.asl.json:1:66: warning: The value of `id` looks like a path"),
        "{err}"
    );
    let out = test(&["--format", "json"], &d);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let w = &v["files"][0]["definitionWarnings"][0];
    assert_eq!(w["code"], "NO_DOLLAR");
    assert_eq!(w["pointer"], "/States/P/Parameters/id");
    assert_eq!(
        (w["line"].as_u64(), w["column"].as_u64()),
        (Some(1), Some(66))
    );
    let out = test(&["--format", "github"], &d);
    assert!(
        stdout(&out).starts_with("::warning file=m.asl.json,line=1,col=66,title=NO_DOLLAR::"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_failure_says_what_the_execution_did() {
    let d = fixture(
        "explained",
        r#"  - name: failed run
    input: {kind: z}
    expect:
      output: {v: 1}
      assertions:
        - jsonata: "status = 'SUCCEEDED' and $count(path) > 2"
        - jsonata: "error in ['A', 'B']"
"#,
    );
    let out = test(&[], &d);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(
            "output: the execution has no output: it ended FAILED (Rejected: unknown kind)"
        ),
        "{err}"
    );
    assert!(
        err.contains("`status = 'SUCCEEDED' and $count(path) > 2` gave false, not true\n      `status` is \"FAILED\"\n      `$count(path)` is 2\n"),
        "{err}"
    );
    assert!(err.contains("`error` is \"Rejected\""), "{err}");
}

#[test]
fn trace_shows_the_failing_state_in_full() {
    let long = "x".repeat(300);
    let d = fixture(
        "trace-full",
        &format!(
            "  - name: caught\n    input: {{kind: a, note: {long}}}\n    mocks: {{Call: {{throw: {{error: Boom, cause: {long}-cause}}}}}}\n    expect: {{status: FAILED}}\n"
        ),
    );
    let out = test(&["--trace"], &d);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("failing state Call (Task):"), "{err}");
    assert!(
        err.contains(&format!("\"note\": \"{long}\"")),
        "the input in full: {err}"
    );
    assert!(err.contains("error: Boom (caught by Catch #0)"), "{err}");
    assert!(err.contains(&format!("cause: {long}-cause")), "{err}");
    // The expectation that failed names the state whose visit is shown.
    let d = fixture(
        "trace-named",
        "  - name: named\n    input: {kind: a}\n    mocks: {Call: {return: {Payload: 2}}}\n    expect: {states: {Check: {output: {kind: b}}}}\n",
    );
    let out = test(&["--trace"], &d);
    let err = stderr(&out);
    assert!(err.contains("failing state Check (Choice):"), "{err}");
    assert!(
        err.contains("      output:\n        {\n          \"kind\": \"a\""),
        "{err}"
    );
}

/// A Map over `$.items` calling `Work`, then `Done`.
const MAP_MACHINE: &str = r#"{"StartAt": "Start", "States": {
  "Start": {"Type": "Pass", "Next": "Each"},
  "Each": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.out", "Next": "Done",
           "ItemProcessor": {"StartAt": "Work", "States": {
             "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                      "Parameters": {"FunctionName": "w", "Payload.$": "$"}, "OutputPath": "$.Payload", "End": true}}}},
  "Done": {"Type": "Succeed"}}}"#;

#[test]
fn paths_of_top_level_states_and_consecutive_runs() {
    let d = dir("paths");
    write(&d, "m.asl.json", MAP_MACHINE);
    write(
        &d,
        "m.test.yaml",
        r#"definition: m.asl.json
mocks: {Work: {return: {Payload: 1}}}
cases:
  - name: top level
    input: {items: [1, 2]}
    expect:
      path: {states: [Start, Each, Done], topLevel: true}
  - name: top level and consecutive
    input: {items: [1, 2]}
    expect:
      pathContains: {states: [Each, Done], consecutive: true, topLevel: true}
  - name: consecutive over the whole path
    input: {items: [1]}
    expect:
      pathContains: {states: [Each, "Each[0]/Work", Done], consecutive: true}
  - name: not consecutive
    input: {items: [1]}
    expect:
      pathContains: {states: [Start, "Each[0]/Work"], consecutive: true}
  - name: top level differs
    input: {items: [1]}
    expect:
      path: {states: [Start, Done], topLevel: true}
"#,
    );
    let out = test(&[], &d);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("3 passed, 2 failed"), "{err}");
    assert!(
        err.contains("pathContains:\n      Start → Each[0]/Work were entered in that order, but with other states between them: expected one right after another\n      actual: Start → Each → Each[0]/Work → Done"),
        "{err}"
    );
    assert!(
        err.contains("path:\n      expected: Start → Done\n      actual:   Start → Each → Done\n      first difference at step 2: expected Done, found Each\n      (compared with the top-level states only)"),
        "{err}"
    );
}

#[test]
fn mock_answers_and_item_data_come_from_files() {
    let d = dir("files");
    write(&d, "m.asl.json", MAP_MACHINE);
    std::fs::create_dir_all(d.join("data")).expect("dir");
    write(&d, "data/one.json", r#"{"Payload": {"n": 1}}"#);
    write(&d, "data/two.yaml", "Payload:\n  n: 2\n");
    write(
        &d,
        "m.test.yaml",
        r#"definition: m.asl.json
cases:
  - name: from files
    input: {items: [a, b, c]}
    mocks:
      Work:
        sequence:
          - returnFile: data/one.json
          - returnFile: data/two.yaml
          - return: {Payload: {n: 3}}
    expect:
      outputContains: {out: [{n: 1}, {n: 2}, {n: 3}]}
  - name: conditional
    input: {items: [a]}
    mocks:
      Work:
        conditional:
          - when: {Payload: a}
            returnFile: data/two.yaml
    expect:
      outputContains: {out: [{n: 2}]}
"#,
    );
    let out = test(&[], &d);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // An answer is one of `return`, `returnFile` and `throw`; the file must be there.
    write(
        &d,
        "m.test.yaml",
        "definition: m.asl.json\ncases:\n  - name: a\n    mocks: {Work: {returnFile: data/none.json, return: 1}}\n  - name: b\n    mocks: {Work: {returnFile: data/none.json}}\n",
    );
    let out = test(&[], &d);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("a mocked answer has one of `return`, `returnFile`, `throw` or `pending`; found `return` and `returnFile`"),
        "{err}"
    );
    assert!(err.contains("cannot read `./data/none.json`"), "{err}");
    assert!(err.contains("(at /cases/1/mocks/Work/returnFile)"), "{err}");
}

#[test]
fn item_reader_data_comes_from_a_file() {
    let d = dir("s3files");
    write(
        &d,
        "m.asl.json",
        r#"{"StartAt": "M", "States": {"M": {"Type": "Map",
            "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                           "Parameters": {"Bucket": "in", "Key": "day.csv"}},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                              "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
            "End": true}}}"#,
    );
    write(&d, "day.csv", "id,n\na,1\nb,2\nc,3\n");
    write(&d, "other.csv", "id,n\nz,9\n");
    write(
        &d,
        "m.test.yaml",
        r#"definition: m.asl.json
s3Files: {"s3://in/day.csv": day.csv}
cases:
  - name: the file's rows
    expect: {output: [{id: a, n: "1"}, {id: b, n: "2"}, {id: c, n: "3"}]}
  - name: the case's own file
    s3Files: {"s3://in/day.csv": other.csv}
    expect: {output: [{id: z, n: "9"}]}
"#,
    );
    let out = test(&[], &d);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn descriptions_anchors_and_merge_keys() {
    let d = fixture("anchors", "");
    write(
        &d,
        "m.test.yaml",
        r#"definition: m.asl.json
x-anchors:
  call-mock: &call {Call: {return: {Payload: 1}}}
  succeeded: &ok {status: SUCCEEDED, output: {v: 1}}
cases:
  - name: rule a
    description: the first rule sends kind a to Call
    input: {kind: a}
    mocks: *call
    expect:
      <<: *ok
      path: [Check, Call]
  - name: rule b
    description: |
      the second rule
      sends kind b to Call
    input: {kind: b}
    mocks: *call
    expect:
      <<: *ok
      status: FAILED
"#,
    );
    let out = test(&["--junit", "junit.xml", "--format", "json"], &d);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    // Keys written in the mapping win over merged ones.
    assert!(
        err.contains("status: expected FAILED, found SUCCEEDED"),
        "{err}"
    );
    assert!(
        err.contains("m.test.yaml:13: rule b\n    the second rule\n    sends kind b to Call\n"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        v["files"][0]["cases"][0]["description"],
        "the first rule sends kind a to Call"
    );
    let xml = std::fs::read_to_string(d.join("junit.xml")).expect("junit");
    assert!(
        xml.contains(
            "<property name=\"description\" value=\"the first rule sends kind a to Call\"/>"
        ),
        "{xml}"
    );
    // Only `x-` keys are the user's own at the top.
    write(
        &d,
        "m.test.yaml",
        "definition: m.asl.json\nanchors: {}\ncases:\n  - name: a\n    x-note: no\n",
    );
    let out = test(&[], &d);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("unknown key `anchors` in a test file"),
        "{err}"
    );
    assert!(err.contains("unknown key `x-note` in a case"), "{err}");
}

#[test]
fn artifacts_of_failing_cases_are_written_under_their_names() {
    let d = dir("artifacts");
    write(&d, "m.asl.json", WRITE_THEN_LIST);
    std::fs::create_dir_all(d.join("s3/out")).expect("bucket");
    write(
        &d,
        "m.test.yaml",
        "definition: m.asl.json\ns3Root: s3\ncases:\n  - name: passes\n    input: {items: [1]}\n  - name: \"fails: wrong count\"\n    input: {items: [1, 2]}\n    expect: {iterations: {Write: 3}}\n",
    );
    let out = test(&["--artifacts", "out", "--junit", "junit.xml"], &d);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let folder = d.join("out/m.test.yaml");
    let mut names: Vec<String> = walk_files(&folder)
        .into_iter()
        .map(|p| {
            p.strip_prefix(&folder)
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        })
        .collect();
    names.sort();
    assert_eq!(names.len(), 4, "{names:?}");
    assert_eq!(names[0], "fails-wrong-count.history.json");
    assert_eq!(names[1], "fails-wrong-count.html");
    assert!(
        names[2].starts_with("fails-wrong-count.s3/out/r/")
            && names[2].ends_with("/SUCCEEDED_0.json"),
        "{names:?}"
    );
    assert!(names[3].ends_with("/manifest.json"), "{names:?}");
    // The history is `asl run --history`'s, the picture `asl run --graph`'s.
    let history: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(folder.join("fails-wrong-count.history.json")).expect("history"),
    )
    .expect("JSON");
    let events = history["events"].as_array().expect("events");
    assert_eq!(events[0]["type"], "ExecutionStarted");
    assert_eq!(events[events.len() - 1]["type"], "ExecutionSucceeded");
    let page = std::fs::read_to_string(folder.join("fails-wrong-count.html")).expect("picture");
    assert!(
        page.contains("<svg") && page.contains("ExecutionStarted"),
        "an inspector page"
    );
    let err = stderr(&out);
    assert!(
        err.contains("    artifacts:\n      out/m.test.yaml/fails-wrong-count.history.json\n      out/m.test.yaml/fails-wrong-count.html\n"),
        "{err}"
    );
    let xml = std::fs::read_to_string(d.join("junit.xml")).expect("junit");
    assert!(
        xml.contains("[[ATTACHMENT|out/m.test.yaml/fails-wrong-count.html]]"),
        "{xml}"
    );
}

fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk_files(&p));
        } else {
            out.push(p);
        }
    }
    out
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

#[test]
fn an_inline_mock_that_could_not_come_from_aws_is_a_warning_by_default_and_an_error_on_request() {
    let d = dir("loose-mock");
    write(
        &d,
        "m.asl.json",
        r#"{"StartAt": "Call", "States": {"Call": {"Type": "Task",
  "Resource": "arn:aws:states:::dynamodb:getItem",
  "Parameters": {"TableName": "t", "Key": {"id": {"S": "1"}}}, "End": true}}}"#,
    );
    write(
        &d,
        "m.test.yaml",
        r#"definition: m.asl.json
cases:
  - name: extra field
    mocks: {Call: {return: {Item: {id: {S: "1"}}, Payload: 2}}}
    expect: {output: {Item: {id: {S: "1"}}, Payload: 2}}
"#,
    );
    let out = test(&[], &d);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("m.test.yaml:") && err.contains("warning: the mocked result of `Call`"),
        "{err}"
    );
    assert!(err.contains("1 passed, 0 failed"), "{err}");
    let out = test(&["--mock-validation", "present"], &d);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("error: the mocked result of `Call`"));
    let out = test(&["--mock-validation", "none"], &d);
    assert_eq!(out.status.code(), Some(0));
    assert!(!stderr(&out).contains("mocked result"));
}
