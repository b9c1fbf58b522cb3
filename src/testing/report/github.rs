//! GitHub Actions workflow commands: an `::error` annotation per failed case and a `::warning`
//! per warning, each pointing at the case's line in its test file, so failures show on the
//! pull request's diff. Escaping follows GitHub's toolkit (`@actions/core`, `command.ts`).

use crate::testing::results::{CaseReport, CaseStatus, FileReport};

/// One command per line: `::warning file=DEF,line=L,col=C,title=CODE::MESSAGE` for each warning
/// `asl validate` gives about a definition, then `::error file=F,line=L,title=CASE::MESSAGE`
/// for each failed case (its failures joined), `::warning ...` for each warning of any case.
/// `line=` is left out when the line is unknown.
pub fn github(files: &[FileReport]) -> String {
    let mut out = String::new();
    // The definitions' warnings, at their place in the definition, once each.
    let mut seen = std::collections::HashSet::new();
    for w in files.iter().flat_map(|f| &f.definition_warnings) {
        if !seen.insert((&w.file, &w.pointer, &w.code)) {
            continue;
        }
        let mut props = vec![format!("file={}", property(&w.file))];
        if let Some(line) = w.line {
            props.push(format!("line={line}"));
        }
        if let Some(col) = w.column {
            props.push(format!("col={col}"));
        }
        props.push(format!("title={}", property(&w.code)));
        out.push_str(&format!(
            "::warning {}::{}\n",
            props.join(","),
            data(&format!("{} (at {})", w.message, w.pointer))
        ));
    }
    for file in files {
        for case in &file.cases {
            if case.status == CaseStatus::Failed {
                let text = case.failure_text();
                let message = if text.is_empty() { "failed" } else { &text };
                out.push_str(&command("error", file, case, message));
            }
            for warning in &case.warnings {
                out.push_str(&command("warning", file, case, warning));
            }
        }
    }
    out
}

fn command(kind: &str, file: &FileReport, case: &CaseReport, message: &str) -> String {
    let mut props = vec![format!("file={}", property(&file.path))];
    if let Some(line) = case.line {
        props.push(format!("line={line}"));
    }
    props.push(format!("title={}", property(&case.name)));
    format!("::{kind} {}::{}\n", props.join(","), data(message))
}

/// Escapes a command's message (`%`, CR, LF).
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command's property value (also `:` and `,`).
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::results::CaseFailure;
    use std::time::Duration;

    fn case(name: &str, line: Option<usize>, status: CaseStatus) -> CaseReport {
        CaseReport {
            name: name.into(),
            description: None,
            line,
            status,
            duration: Duration::ZERO,
            execution_status: None,
            failures: Vec::new(),
            warnings: Vec::new(),
            trace: None,
            artifacts: Vec::new(),
        }
    }

    fn file(path: &str, cases: Vec<CaseReport>) -> FileReport {
        FileReport {
            path: path.into(),
            machine: "M".into(),
            definition: "m.asl.json".into(),
            cases,
            duration: Duration::ZERO,
            definition_warnings: Vec::new(),
        }
    }

    #[test]
    fn one_error_per_failed_case_and_one_warning_per_warning() {
        let mut failed = case("rejects, bad: orders", Some(12), CaseStatus::Failed);
        failed.failures = vec![
            CaseFailure {
                expectation: "output".into(),
                message: "  /a: expected 1, found 2\n  /b: missing (expected 100%)".into(),
            },
            CaseFailure {
                expectation: "status".into(),
                message: "expected SUCCEEDED, found FAILED".into(),
            },
        ];
        failed.warnings = vec!["mock `X` never used".into()];
        let mut passed = case("ok", None, CaseStatus::Passed);
        passed.warnings = vec!["line1\r\nline2".into()];
        let skipped = case("later", Some(3), CaseStatus::Skipped);
        let out = github(&[file("tests/a,b:c.test.yaml", vec![failed, passed, skipped])]);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines,
            [
                "::error file=tests/a%2Cb%3Ac.test.yaml,line=12,title=rejects%2C bad%3A orders::output:%0A  /a: expected 1, found 2%0A  /b: missing (expected 100%25)%0Astatus: expected SUCCEEDED, found FAILED",
                "::warning file=tests/a%2Cb%3Ac.test.yaml,line=12,title=rejects%2C bad%3A orders::mock `X` never used",
                "::warning file=tests/a%2Cb%3Ac.test.yaml,title=ok::line1%0D%0Aline2",
            ]
        );
        assert!(out.ends_with('\n'));
    }

    #[test]
    fn a_failed_case_without_failures_still_gets_an_error_and_passing_runs_say_nothing() {
        let out = github(&[file("t.yaml", vec![case("c", Some(1), CaseStatus::Failed)])]);
        assert_eq!(out, "::error file=t.yaml,line=1,title=c::failed\n");
        let quiet = github(&[file("t.yaml", vec![case("c", Some(1), CaseStatus::Passed)])]);
        assert_eq!(quiet, "");
    }
}
