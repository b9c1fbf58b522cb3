//! What a test run produced, per test file and per case: the model every report renders.

use std::time::Duration;

/// How one case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseStatus {
    Passed,
    /// An expectation did not hold, or the execution met a fault (a Task with no mock).
    Failed,
    /// `skip: true`, or not selected while another case of the run has `only: true`.
    Skipped,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Passed => "passed",
            CaseStatus::Failed => "failed",
            CaseStatus::Skipped => "skipped",
        }
    }
}

/// One expectation that did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFailure {
    /// Which expectation: `status`, `output`, `path`, `states.Validate.output`, ...
    pub expectation: String,
    /// What differs, for people: one line per difference (`/a/b: expected 1, found 2`).
    pub message: String,
}

impl CaseFailure {
    /// The message's lines with the indentation they all share removed, so each report can
    /// indent them its own way.
    pub fn message_lines(&self) -> Vec<&str> {
        let lines: Vec<&str> = self.message.lines().collect();
        let shared = lines
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.len() - l.trim_start_matches(' ').len())
            .min()
            .unwrap_or(0);
        lines
            .into_iter()
            .map(|l| l.get(shared..).unwrap_or_else(|| l.trim_start_matches(' ')))
            .collect()
    }

    /// Plain text: `expectation: message` when the message is one line, else the expectation
    /// and then each line of the message indented by two spaces.
    pub fn to_text(&self) -> String {
        match self.message_lines().as_slice() {
            [] => self.expectation.clone(),
            [line] => format!("{}: {line}", self.expectation),
            lines => {
                let mut text = format!("{}:", self.expectation);
                for line in lines {
                    text.push_str("\n  ");
                    text.push_str(line);
                }
                text
            }
        }
    }
}

/// A warning `asl validate` gives about the definition a test file names (`NO_DOLLAR`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionWarning {
    /// The definition's file, as shown.
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// `asl validate`'s code (`NO_DOLLAR`, ...).
    pub code: String,
    pub message: String,
    /// The JSON pointer of the offending member.
    pub pointer: String,
    /// `file:line:col: warning: message [CODE] (at /pointer)`, the source line and a caret.
    pub rendered: String,
}

/// The result of one case.
#[derive(Debug, Clone)]
pub struct CaseReport {
    pub name: String,
    /// The case's `description`.
    pub description: Option<String>,
    /// The line of the case in its test file (1-based), when known.
    pub line: Option<usize>,
    pub status: CaseStatus,
    /// Wall-clock time the case took to run.
    pub duration: Duration,
    /// The execution's status (`SUCCEEDED`, `FAILED`, ...), when it ran.
    pub execution_status: Option<String>,
    pub failures: Vec<CaseFailure>,
    /// Mocks never used, sequences that ran out, ...
    pub warnings: Vec<String>,
    /// The failing case's data flow state by state (`--trace`), when asked for.
    pub trace: Option<String>,
    /// The files `--artifacts` wrote for the failing case (its history, its picture, what it
    /// wrote to S3).
    pub artifacts: Vec<String>,
}

/// The results of one test file.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The test file as the user named it (relative to the working directory).
    pub path: String,
    /// The state machine's name (the JUnit `classname`).
    pub machine: String,
    /// The definition file as the user would name it.
    pub definition: String,
    pub cases: Vec<CaseReport>,
    pub duration: Duration,
    /// What `asl validate` warns about in the definition.
    pub definition_warnings: Vec<DefinitionWarning>,
}

impl CaseReport {
    /// Every failure as plain text ([`CaseFailure::to_text`]), one after another.
    pub fn failure_text(&self) -> String {
        let texts: Vec<String> = self.failures.iter().map(CaseFailure::to_text).collect();
        texts.join("\n")
    }
}

impl FileReport {
    pub fn count(&self, status: CaseStatus) -> usize {
        self.cases.iter().filter(|c| c.status == status).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(expectation: &str, message: &str) -> CaseFailure {
        CaseFailure {
            expectation: expectation.into(),
            message: message.into(),
        }
    }

    #[test]
    fn failure_text_puts_one_line_messages_beside_the_expectation() {
        let cases = [
            (
                failure("status", "expected SUCCEEDED, found FAILED"),
                "status: expected SUCCEEDED, found FAILED",
            ),
            (
                failure("output", "  /a: expected 1, found 2"),
                "output: /a: expected 1, found 2",
            ),
            (
                failure(
                    "output",
                    "  /a: expected 1, found 2\n  /b: missing (expected 3)",
                ),
                "output:\n  /a: expected 1, found 2\n  /b: missing (expected 3)",
            ),
            (
                failure("path", "first\n  nested"),
                "path:\n  first\n    nested",
            ),
            (failure("x", ""), "x"),
        ];
        for (f, want) in cases {
            assert_eq!(f.to_text(), want);
        }
    }
}
