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

/// The file a finding is reported in, as given by the user.
fn file_of(c: &Checked) -> String {
    c.definition.document.path.clone()
}
