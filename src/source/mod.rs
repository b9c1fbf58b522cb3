//! Definition text: reading files and finding where a JSON pointer sits in them.
//!
//! Problems are found on parsed JSON values and located by pointer; [`locate`] maps a pointer
//! back to a line and column of the original text so messages can show it.

mod locate;
pub mod yaml;

pub use locate::{Position, locate};
