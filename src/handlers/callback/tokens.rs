//! The task tokens a run is waiting on, and what a callback may say about one.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// One call of the callback API for a token.
#[derive(Debug, Clone, PartialEq)]
pub enum Callback {
    /// `SendTaskSuccess`: the task's result.
    Success(Value),
    /// `SendTaskFailure`: both fields are optional in AWS's API.
    Failure {
        error: Option<String>,
        cause: Option<String>,
    },
    /// `SendTaskHeartbeat`.
    Heartbeat,
}

/// Why a callback was refused; the names are AWS's error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Not a token this program could have issued.
    InvalidToken,
    /// A well-formed token nobody is waiting on.
    TaskDoesNotExist,
    /// The token's task already ended (completed, failed, timed out, abandoned).
    TaskTimedOut,
}

enum Slot {
    Waiting(mpsc::UnboundedSender<Callback>),
    Closed,
}

/// The table of tokens, shared by the waiting Task states and the HTTP server.
#[derive(Default)]
pub struct Tokens {
    slots: Mutex<HashMap<String, Slot>>,
}

/// A token being waited on. Dropping it closes the token: later callbacks get `TaskTimedOut`.
pub struct Registration {
    tokens: Arc<Tokens>,
    token: String,
    pub(crate) rx: mpsc::UnboundedReceiver<Callback>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.tokens
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(self.token.clone(), Slot::Closed);
    }
}

/// Whether `t` has the shape of a task token (AWS allows 1 to 2048 characters).
pub fn well_formed(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 2048
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'+' | b'/' | b'='))
}

impl Tokens {
    pub fn new() -> Arc<Tokens> {
        Arc::new(Tokens::default())
    }

    /// Starts waiting on `token`.
    pub fn register(self: &Arc<Self>, token: &str) -> Registration {
        let (tx, rx) = mpsc::unbounded_channel();
        self.slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(token.to_string(), Slot::Waiting(tx));
        Registration {
            tokens: Arc::clone(self),
            token: token.to_string(),
            rx,
        }
    }

    /// Delivers a callback. Success and failure close the token at once, so a second answer
    /// is refused like AWS refuses it.
    pub fn send(&self, token: &str, cb: Callback) -> Result<(), Refused> {
        if !well_formed(token) {
            return Err(Refused::InvalidToken);
        }
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let Some(slot) = slots.get(token) else {
            return Err(Refused::TaskDoesNotExist);
        };
        let Slot::Waiting(tx) = slot else {
            return Err(Refused::TaskTimedOut);
        };
        let last = !matches!(cb, Callback::Heartbeat);
        if tx.send(cb).is_err() {
            slots.insert(token.to_string(), Slot::Closed);
            return Err(Refused::TaskTimedOut);
        }
        if last {
            slots.insert(token.to_string(), Slot::Closed);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn refuses_like_aws() {
        let t = Tokens::new();
        assert_eq!(t.send("", Callback::Heartbeat), Err(Refused::InvalidToken));
        assert_eq!(
            t.send("a b", Callback::Heartbeat),
            Err(Refused::InvalidToken)
        );
        assert_eq!(
            t.send("abc", Callback::Heartbeat),
            Err(Refused::TaskDoesNotExist)
        );
        let mut r = t.register("abc");
        assert_eq!(t.send("abc", Callback::Heartbeat), Ok(()));
        assert_eq!(t.send("abc", Callback::Success(json!(1))), Ok(()));
        assert_eq!(
            t.send("abc", Callback::Success(json!(2))),
            Err(Refused::TaskTimedOut)
        );
        assert_eq!(r.rx.try_recv().ok(), Some(Callback::Heartbeat));
        assert_eq!(r.rx.try_recv().ok(), Some(Callback::Success(json!(1))));
        let _r2 = t.register("def");
        drop(_r2);
        assert_eq!(
            t.send("def", Callback::Heartbeat),
            Err(Refused::TaskTimedOut)
        );
    }
}
