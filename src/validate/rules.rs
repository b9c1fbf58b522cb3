//! Whole-machine rules (filled in below).
use super::Options;
use crate::definition::Diagnostic;
use serde_json::Value;

pub fn check(_v: &Value, _opts: &Options, _diags: &mut Vec<Diagnostic>) {}
