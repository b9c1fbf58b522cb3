//! Variable reads (filled in below).
use crate::definition::Diagnostic;
use serde_json::Value;

pub fn check(_v: &Value, _diags: &mut Vec<Diagnostic>) {}
