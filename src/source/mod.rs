//! Definition text: reading files (JSON, YAML, CloudFormation/SAM templates), finding the state
//! machines in them, and finding where a JSON pointer sits in them.
//!
//! Problems are found on parsed JSON values and located by pointer; [`Document::position`]
//! maps a pointer back to a line and column of the original text so messages can show it.
//! [`load`] is the one entry point `asl run` and `asl validate` share.

pub mod cfn;
mod definitions;
mod document;
pub mod duplicates;
mod flow_indent;
pub mod json;
mod locate;
pub mod yaml;

pub use definitions::{Definition, LoadError, Problem, load, load_text};
pub use document::{Document, Syntax, SyntaxError};
pub use locate::{Position, locate};
