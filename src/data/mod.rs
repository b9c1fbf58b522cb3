//! Pure data flow: everything that turns JSON into JSON without doing I/O.
//!
//! Paths ([`jsonpath`]), payload templates ([`template`]), intrinsic functions
//! ([`intrinsics`]), choice rules ([`choice_rule`]), timestamps, JSONata ([`jsonata`]), and
//! [`roots`], the trait through which all of them read the state's input, the context object
//! and variables. Nothing here knows about states or executions.

pub mod choice_rule;
pub mod compact;
pub mod intrinsics;
pub mod jsonata;
pub mod jsonpath;
pub mod reference_path;
pub mod roots;
pub mod template;
pub mod timestamp;
