//! The report people read on stderr: a line per case as it finishes, the details of each
//! failed case, and the summary. ANSI colour only when the caller says so (a terminal, no
//! `NO_COLOR`). Every function answers text without a trailing newline.

use crate::testing::results::{CaseReport, CaseStatus, FileReport};
use std::time::Duration;

const GREEN: &str = "32";
const RED: &str = "31";
const YELLOW: &str = "33";
const BOLD: &str = "1";
const DIM: &str = "2";

/// `  ✓ name (3 ms)`, `  ✗ name` or `  - name (skipped)`: the mark green, red or yellow when
/// `color`. `_file` is the case's file, for callers that show cases of many files together.
pub fn case_line(_file: &FileReport, case: &CaseReport, color: bool) -> String {
    let paint = painter(color);
    match case.status {
        CaseStatus::Passed => format!(
            "  {} {} {}",
            paint(GREEN, "✓"),
            case.name,
            paint(DIM, &format!("({})", duration(case.duration)))
        ),
        CaseStatus::Failed => format!("  {} {}", paint(RED, "✗"), case.name),
        CaseStatus::Skipped => {
            format!("  {}", paint(YELLOW, &format!("- {} (skipped)", case.name)))
        }
    }
}

/// Where the case is (`path:line: name`), then each failed expectation and its message
/// indented beneath it, then the case's warnings:
///
/// ```text
/// tests/order.test.yaml:12: rejects bad orders
///     output:
///       /id: missing (expected a string matching /^ord-/)
///     status: expected SUCCEEDED, found FAILED
///     warning: mock `Charge` was never used
/// ```
pub fn failure_details(file: &FileReport, case: &CaseReport, color: bool) -> String {
    let paint = painter(color);
    let at = match case.line {
        Some(line) => format!("{}:{line}", file.path),
        None => file.path.clone(),
    };
    let mut lines = vec![format!("{}: {}", paint(BOLD, &at), paint(BOLD, &case.name))];
    if let Some(d) = &case.description {
        lines.extend(d.lines().map(|l| format!("    {}", paint(DIM, l))));
    }
    for failure in &case.failures {
        let name = paint(RED, &format!("{}:", failure.expectation));
        match failure.message_lines().as_slice() {
            [] => lines.push(format!("    {name}")),
            [line] => lines.push(format!("    {name} {line}")),
            many => {
                lines.push(format!("    {name}"));
                lines.extend(many.iter().map(|l| format!("      {l}")));
            }
        }
    }
    for warning in &case.warnings {
        lines.push(format!("    {} {warning}", paint(YELLOW, "warning:")));
    }
    if !case.artifacts.is_empty() {
        lines.push("    artifacts:".to_string());
        lines.extend(case.artifacts.iter().map(|a| format!("      {a}")));
    }
    lines.join("\n")
}

/// `N passed, N failed, N skipped` on a line of its own, then `(K files, 1.23 s)`. When
/// `color`, each count that is not zero is coloured (passed green, failed red, skipped
/// yellow).
pub fn summary(files: &[FileReport], total: Duration, color: bool) -> String {
    let paint = painter(color);
    let count = |status, code, word| {
        let n: usize = files.iter().map(|f| f.count(status)).sum();
        let text = format!("{n} {word}");
        if n == 0 { text } else { paint(code, &text) }
    };
    let file_word = if files.len() == 1 { "file" } else { "files" };
    format!(
        "{}, {}, {}\n({} {file_word}, {:.2} s)",
        count(CaseStatus::Passed, GREEN, "passed"),
        count(CaseStatus::Failed, RED, "failed"),
        count(CaseStatus::Skipped, YELLOW, "skipped"),
        files.len(),
        total.as_secs_f64()
    )
}

/// Wraps text in an ANSI SGR code when `color`, else leaves it as it is.
fn painter(color: bool) -> impl Fn(&str, &str) -> String {
    move |code, s| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

/// `3 ms` below a second, `1.23 s` from a second on.
fn duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::results::CaseFailure;

    fn case(name: &str, status: CaseStatus, ms: u64) -> CaseReport {
        CaseReport {
            name: name.into(),
            description: None,
            line: Some(12),
            status,
            duration: Duration::from_millis(ms),
            execution_status: None,
            failures: Vec::new(),
            warnings: Vec::new(),
            trace: None,
            artifacts: Vec::new(),
        }
    }

    fn file(cases: Vec<CaseReport>) -> FileReport {
        FileReport {
            path: "tests/order.test.yaml".into(),
            machine: "OrderFlow".into(),
            definition: "order.asl.json".into(),
            cases,
            duration: Duration::ZERO,
            definition_warnings: Vec::new(),
        }
    }

    #[test]
    fn case_lines_with_and_without_colour() {
        let f = file(Vec::new());
        let cases = [
            (
                case("happy", CaseStatus::Passed, 3),
                false,
                "  ✓ happy (3 ms)",
            ),
            (
                case("slow", CaseStatus::Passed, 1234),
                false,
                "  ✓ slow (1.23 s)",
            ),
            (case("sad", CaseStatus::Failed, 3), false, "  ✗ sad"),
            (
                case("later", CaseStatus::Skipped, 0),
                false,
                "  - later (skipped)",
            ),
            (
                case("happy", CaseStatus::Passed, 3),
                true,
                "  \x1b[32m✓\x1b[0m happy \x1b[2m(3 ms)\x1b[0m",
            ),
            (
                case("sad", CaseStatus::Failed, 3),
                true,
                "  \x1b[31m✗\x1b[0m sad",
            ),
            (
                case("later", CaseStatus::Skipped, 0),
                true,
                "  \x1b[33m- later (skipped)\x1b[0m",
            ),
        ];
        for (c, color, want) in cases {
            assert_eq!(case_line(&f, &c, color), want);
        }
    }

    #[test]
    fn failure_details_show_location_failures_and_warnings() {
        let mut c = case("rejects bad orders", CaseStatus::Failed, 1);
        c.failures = vec![
            CaseFailure {
                expectation: "output".into(),
                message: "  /id: missing (expected a string matching /^ord-/)\n  /debug: unexpected key (found true)".into(),
            },
            CaseFailure {
                expectation: "status".into(),
                message: "expected SUCCEEDED, found FAILED".into(),
            },
        ];
        c.warnings = vec!["mock `Charge` was never used".into()];
        let f = file(Vec::new());
        assert_eq!(
            failure_details(&f, &c, false),
            "tests/order.test.yaml:12: rejects bad orders\n    output:\n      /id: missing (expected a string matching /^ord-/)\n      /debug: unexpected key (found true)\n    status: expected SUCCEEDED, found FAILED\n    warning: mock `Charge` was never used"
        );
        c.line = None;
        c.failures.truncate(0);
        c.failures.push(CaseFailure {
            expectation: "path".into(),
            message: "expected [A, B], found [A]".into(),
        });
        c.warnings.clear();
        assert_eq!(
            failure_details(&f, &c, true),
            "\x1b[1mtests/order.test.yaml\x1b[0m: \x1b[1mrejects bad orders\x1b[0m\n    \x1b[31mpath:\x1b[0m expected [A, B], found [A]"
        );
    }

    #[test]
    fn summary_counts_cases_over_files() {
        let files = vec![
            file(vec![
                case("a", CaseStatus::Passed, 1),
                case("b", CaseStatus::Failed, 1),
                case("c", CaseStatus::Passed, 1),
            ]),
            file(vec![case("d", CaseStatus::Skipped, 0)]),
        ];
        assert_eq!(
            summary(&files, Duration::from_millis(1234), false),
            "2 passed, 1 failed, 1 skipped\n(2 files, 1.23 s)"
        );
        assert_eq!(
            summary(&files[1..], Duration::from_millis(40), false),
            "0 passed, 0 failed, 1 skipped\n(1 file, 0.04 s)"
        );
        assert_eq!(
            summary(&files[1..], Duration::from_millis(40), true),
            "0 passed, 0 failed, \x1b[33m1 skipped\x1b[0m\n(1 file, 0.04 s)"
        );
        assert_eq!(
            summary(&[], Duration::ZERO, false),
            "0 passed, 0 failed, 0 skipped\n(0 files, 0.00 s)"
        );
    }
}
