//! Definitions the coverage unit tests share: each one holds an edge case users report.

use super::Structure;
use crate::definition::load_str;

/// Two Choice rules leading to the same state, a third elsewhere, and a `Default`.
pub const CHOICE: &str = r#"{"StartAt": "CheckType", "States": {
  "CheckType": {"Type": "Choice", "Choices": [
      {"Variable": "$.t", "StringEquals": "a", "Next": "Accept"},
      {"Variable": "$.t", "StringEquals": "b", "Next": "Accept"},
      {"Variable": "$.t", "StringEquals": "c", "Next": "Reject"}],
    "Default": "Other"},
  "Accept": {"Type": "Succeed"},
  "Reject": {"Type": "Fail", "Error": "Rejected"},
  "Other": {"Type": "Pass", "End": true}}}"#;

/// A Task with a Retry rule that can recover, one with `MaxAttempts: 0`, and a Catch clause
/// whose target is also reached by `Next` from elsewhere.
pub const RETRY: &str = r#"{"StartAt": "CallApi", "States": {
  "CallApi": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
    "Retry": [{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 2},
              {"ErrorEquals": ["Busy", "States.Permissions"], "MaxAttempts": 0}],
    "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "HandleError"}],
    "Next": "Done"},
  "HandleError": {"Type": "Pass", "End": true},
  "Done": {"Type": "Succeed"}}}"#;

/// A Map inside a Parallel inside a Map.
pub const NESTED: &str = r#"{"StartAt": "Outer", "States": {
  "Outer": {"Type": "Map", "End": true, "ItemProcessor": {
    "ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Fan", "States": {
      "Fan": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "Inner", "States": {
          "Inner": {"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "Work", "States": {
            "Work": {"Type": "Pass", "End": true}}}}}},
        {"StartAt": "Tally", "States": {"Tally": {"Type": "Pass", "End": true}}}]}}}}}}"#;

pub const OUTER: &str = "/States/Outer";
pub const FAN: &str = "/States/Outer/ItemProcessor/States/Fan";
pub const INNER: &str = "/States/Outer/ItemProcessor/States/Fan/Branches/0/States/Inner";
pub const INNER_WORK: &str =
    "/States/Outer/ItemProcessor/States/Fan/Branches/0/States/Inner/ItemProcessor/States/Work";
pub const TALLY: &str = "/States/Outer/ItemProcessor/States/Fan/Branches/1/States/Tally";

pub fn structure(text: &str) -> Structure {
    match load_str(text) {
        Ok(machine) => Structure::of(&machine),
        Err(e) => panic!("fixture does not load: {e}"),
    }
}
