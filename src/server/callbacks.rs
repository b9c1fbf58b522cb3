//! SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat for `.waitForTaskToken` states,
//! through the token table of `handlers::callback` that the waiting states registered in.

use super::request::Request;
use super::{ApiError, Server};
use crate::handlers::callback::{Callback, Refused};
use serde_json::{Value, json};
use std::sync::Arc;

pub fn send(server: &Arc<Server>, operation: &str, r: &Request) -> Result<Value, ApiError> {
    let token = r.required("taskToken")?;
    // AWS's length limits of the members, in characters.
    for (key, max) in [
        ("output", 262_144),
        ("error", 256),
        ("cause", 32_768),
        ("taskToken", 2048),
    ] {
        if let Some(v) = r.str(key)?
            && v.chars().count() > max
        {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value at '{key}' failed to satisfy constraint: Member must have length less than or equal to {max}"
            )));
        }
    }
    let cb = match operation {
        "SendTaskSuccess" => {
            let text = r.required("output")?;
            let v: Value = serde_json::from_str(text)
                .map_err(|e| ApiError::new("InvalidOutput", format!("Invalid Output: '{e}'")))?;
            Callback::Success(v)
        }
        "SendTaskFailure" => Callback::Failure {
            error: r.str("error")?.map(str::to_string),
            cause: r.str("cause")?.map(str::to_string),
        },
        _ => Callback::Heartbeat,
    };
    server
        .callbacks
        .tokens()
        .send(token, cb)
        .map_err(|why| match why {
            Refused::InvalidToken => {
                ApiError::new("InvalidToken", format!("Invalid Token: '{token}'"))
            }
            Refused::TaskDoesNotExist => ApiError::new("TaskDoesNotExist", "Task Does Not Exist"),
            Refused::TaskTimedOut => ApiError::new("TaskTimedOut", "Task Timed Out"),
        })?;
    Ok(json!({}))
}
