//! The whole run as JSON (`asl test --format json`), for tools: every file, every case with
//! its failures and warnings, and a summary. Keys keep the order written here (serde_json's
//! `preserve_order`), so the output is stable from run to run.

use crate::testing::results::{CaseReport, CaseStatus, FileReport};
use serde_json::{Value, json};
use std::time::Duration;

/// `{"files": [{"path", "machine", "definition", "durationMs", "definitionWarnings": [{"file",
/// "line", "column", "code", "message", "pointer"}], "cases": [...]}], "summary": {"passed",
/// "failed", "skipped", "total", "durationMs"}}`; a case is `{"name", "description", "line",
/// "status", "durationMs", "executionStatus", "failures": [{"expectation", "message"}],
/// "warnings", "artifacts"}`, with `null` for an unknown line or description, or an execution that did not
/// run.
pub fn json(files: &[FileReport], total: Duration) -> Value {
    let count = |status| files.iter().map(|f| f.count(status)).sum::<usize>();
    let files_json: Vec<Value> = files
        .iter()
        .map(|f| {
            json!({
                "path": f.path,
                "machine": f.machine,
                "definition": f.definition,
                "durationMs": millis(f.duration),
                "definitionWarnings": f.definition_warnings.iter().map(|w| json!({
                    "file": w.file,
                    "line": w.line,
                    "column": w.column,
                    "code": w.code,
                    "message": w.message,
                    "pointer": w.pointer,
                })).collect::<Vec<_>>(),
                "cases": f.cases.iter().map(case).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "files": files_json,
        "summary": {
            "passed": count(CaseStatus::Passed),
            "failed": count(CaseStatus::Failed),
            "skipped": count(CaseStatus::Skipped),
            "total": files.iter().map(|f| f.cases.len()).sum::<usize>(),
            "durationMs": millis(total),
        },
    })
}

fn case(c: &CaseReport) -> Value {
    json!({
        "name": c.name,
        "description": c.description,
        "line": c.line,
        "status": c.status.as_str(),
        "durationMs": millis(c.duration),
        "executionStatus": c.execution_status,
        "failures": c.failures.iter().map(|f| json!({
            "expectation": f.expectation,
            "message": f.message,
        })).collect::<Vec<_>>(),
        "warnings": c.warnings,
        "artifacts": c.artifacts,
    })
}

/// Whole milliseconds (saturating; no run lasts 584 million years).
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::results::CaseFailure;

    #[test]
    fn the_run_as_json_with_stable_key_order() {
        let files = vec![FileReport {
            path: "tests/order.test.yaml".into(),
            machine: "OrderFlow".into(),
            definition: "order.asl.json".into(),
            cases: vec![
                CaseReport {
                    name: "happy".into(),
                    description: None,
                    line: Some(4),
                    status: CaseStatus::Passed,
                    duration: Duration::from_micros(3_700),
                    execution_status: Some("SUCCEEDED".into()),
                    failures: Vec::new(),
                    warnings: vec!["mock `X` never used".into()],
                    trace: None,
                    artifacts: Vec::new(),
                },
                CaseReport {
                    name: "sad".into(),
                    description: None,
                    line: None,
                    status: CaseStatus::Failed,
                    duration: Duration::from_millis(5),
                    execution_status: None,
                    failures: vec![CaseFailure {
                        expectation: "status".into(),
                        message: "expected SUCCEEDED, found FAILED".into(),
                    }],
                    warnings: Vec::new(),
                    trace: Some("ignored".into()),
                    artifacts: Vec::new(),
                },
                CaseReport {
                    name: "later".into(),
                    description: None,
                    line: Some(20),
                    status: CaseStatus::Skipped,
                    duration: Duration::ZERO,
                    execution_status: None,
                    failures: Vec::new(),
                    warnings: Vec::new(),
                    trace: None,
                    artifacts: Vec::new(),
                },
            ],
            duration: Duration::from_millis(12),
            definition_warnings: Vec::new(),
        }];
        let value = json(&files, Duration::from_millis(1500));
        let text = serde_json::to_string(&value).unwrap_or_default();
        assert_eq!(
            text,
            concat!(
                r#"{"files":[{"path":"tests/order.test.yaml","machine":"OrderFlow","definition":"order.asl.json","durationMs":12,"definitionWarnings":[],"cases":["#,
                r#"{"name":"happy","description":null,"line":4,"status":"passed","durationMs":3,"executionStatus":"SUCCEEDED","failures":[],"warnings":["mock `X` never used"],"artifacts":[]},"#,
                r#"{"name":"sad","description":null,"line":null,"status":"failed","durationMs":5,"executionStatus":null,"failures":[{"expectation":"status","message":"expected SUCCEEDED, found FAILED"}],"warnings":[],"artifacts":[]},"#,
                r#"{"name":"later","description":null,"line":20,"status":"skipped","durationMs":0,"executionStatus":null,"failures":[],"warnings":[],"artifacts":[]}"#,
                r#"]}],"summary":{"passed":1,"failed":1,"skipped":1,"total":3,"durationMs":1500}}"#,
            )
        );
    }

    #[test]
    fn an_empty_run_has_a_zero_summary() {
        assert_eq!(
            json(&[], Duration::ZERO),
            serde_json::json!({"files": [], "summary": {"passed": 0, "failed": 0, "skipped": 0, "total": 0, "durationMs": 0}})
        );
    }
}
