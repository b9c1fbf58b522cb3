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

/// The result of one case.
#[derive(Debug, Clone)]
pub struct CaseReport {
    pub name: String,
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
}

impl FileReport {
    pub fn count(&self, status: CaseStatus) -> usize {
        self.cases.iter().filter(|c| c.status == status).count()
    }
}
