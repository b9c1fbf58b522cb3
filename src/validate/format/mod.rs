//! Renderers for validation results: human text (stderr), AWS-shaped JSON, SARIF 2.1.0 and
//! GitHub workflow annotations (stdout). Each takes every checked definition at once, so a
//! run over many files gives one report.

mod github;
mod human;
mod json;
mod sarif;

pub use github::github;
pub use human::human;
pub use json::json;
pub use sarif::sarif;

use super::Finding;
use crate::source::Definition;

/// A file that could not be read: its name as given and why.
pub use crate::source::LoadError as Unreadable;

/// One definition and what was found in it.
pub struct Checked<'a> {
    pub definition: &'a Definition,
    pub findings: Vec<Finding>,
}

impl Checked<'_> {
    /// Whether this definition fails (`strict`: warnings count too).
    pub fn fails(&self, strict: bool) -> bool {
        self.findings
            .iter()
            .any(|f| strict || f.diagnostic.is_error())
    }
}

/// The lowercase level SARIF and GitHub annotations both use.
fn level(severity: crate::definition::Severity) -> &'static str {
    match severity {
        crate::definition::Severity::Error => "error",
        crate::definition::Severity::Warning => "warning",
    }
}

/// `Name: ` for a state machine of a template (messages say which one), else nothing.
fn machine_prefix(c: &Checked) -> String {
    c.definition
        .name
        .as_ref()
        .map(|n| format!("{n}: "))
        .unwrap_or_default()
}

/// The file a finding is reported in, as given by the user.
fn file_of(c: &Checked) -> String {
    c.definition.document.path.clone()
}
