//! `asl` runs, validates and tests Amazon States Language (AWS Step Functions) state machines
//! locally.
//!
//! The data takes one way through the crate, and the modules are named after it:
//!
//! - [`source`] reads definition text (JSON, YAML, CloudFormation) and locates JSON pointers in it;
//! - [`definition`] turns the JSON into a typed, validated model, with every path, template,
//!   intrinsic call, JSONata expression and choice rule compiled once;
//! - [`data`] holds the pure data-flow pieces (paths, templates, intrinsics, choice rules, JSONata);
//! - [`engine`] executes a model: one step is input pipeline -> action -> output pipeline;
//! - [`handlers`] answers Task states (mocks, local commands, real AWS);
//! - [`record`] reads AWS execution histories: recorded tests and replays;
//! - [`cli`] is the command line.
//!
//! ```
//! let text = r#"{"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "Result": "world", "End": true}}}"#;
//! let machine = asl::definition::load_str(text).expect("valid definition");
//! let outcome = asl::engine::run_blocking(&machine, serde_json::json!({}), asl::engine::Options::default())
//!     .expect("no fault");
//! assert_eq!(outcome.output(), Some(&serde_json::json!("world")));
//! ```

// Messages for people go through `say!`, which cannot panic.
#![deny(clippy::print_stderr)]

/// `eprintln!` that cannot panic: a message for people that stderr will not take (a reader
/// that went away, `2>/dev/full`) is dropped, since there is nowhere better to say it. The
/// exit code still tells what happened.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

pub mod cli;
// Used where third-party code reads user files (today the `parquet` feature's reader).
#[cfg_attr(not(feature = "parquet"), allow(dead_code))]
mod contain;
pub mod data;
pub mod definition;
pub mod engine;
pub mod graph;
pub mod handlers;
pub mod record;
pub mod server;
pub mod source;
pub mod storage;
pub mod testing;
pub mod validate;
