//! The reports of a test run, one file per format, each rendering the result model of
//! [`super::results`] and nothing else:
//!
//! - [`human`]: the lines people read on stderr (one per case, the details of each failure,
//!   the summary);
//! - [`junit`]: JUnit XML, as GitLab's and GitHub's test-report actions read it;
//! - [`github`]: GitHub Actions workflow commands, shown as annotations on a pull request;
//! - [`json`]: the whole run as JSON (`--format json`, on stdout).
//!
//! None of them decides anything about a case; they only show what the runner recorded.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
