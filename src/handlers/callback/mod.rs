//! Task tokens for `.waitForTaskToken` resources: the local Step Functions callback API.
//!
//! [`Tokens`] is the table of tokens a run is waiting on; [`CallbackServer`] answers
//! `SendTaskSuccess`, `SendTaskFailure` and `SendTaskHeartbeat` on 127.0.0.1 in AWS's JSON 1.0
//! protocol and feeds the table; [`WaitForCallback`] wraps the handler that starts the work
//! (a local command, a Lambda, an ECS task) and makes the Task state wait for the callback,
//! with `HeartbeatSeconds` enforced here and `TimeoutSeconds` by the engine.
//!
//! Mocked states never come here: a mocked `.waitForTaskToken` state returns its mocked
//! response as the callback's result, as Step Functions Local does.

mod server;
mod tokens;
mod wait;

pub use server::CallbackServer;
pub use tokens::{Callback, Refused, Registration, Tokens};
pub use wait::{WaitForCallback, answer};
