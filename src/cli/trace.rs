//! `--trace`: a compact, readable line per state on stderr as the execution runs.
//!
//! ```text
//!   TaskFailed                      Lambda.TooManyRequestsException: Rate exceeded
//! Task     CallService                6000.1ms  {"id":1} -> {"id":1,"receipt":"r-42"}  vars n=1
//! ```

use crate::data::timestamp::Instant;
use crate::engine::{Event, EventSink};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

pub struct Tracer {
    entered: Mutex<HashMap<String, (Instant, String)>>,
    /// Where the lines go: stderr, or a buffer (`asl test --trace` shows a failing case's).
    buffer: Option<Arc<Mutex<String>>>,
}

impl Tracer {
    pub fn new() -> Self {
        Tracer {
            entered: Mutex::new(HashMap::new()),
            buffer: None,
        }
    }

    /// A tracer that writes into `buffer` instead of stderr.
    pub fn into_buffer(buffer: Arc<Mutex<String>>) -> Self {
        Tracer {
            entered: Mutex::new(HashMap::new()),
            buffer: Some(buffer),
        }
    }

    fn line(&self, line: std::fmt::Arguments) {
        match &self.buffer {
            Some(b) => {
                let mut b = b.lock().unwrap_or_else(|p| p.into_inner());
                let _ = writeln!(b, "{line}");
            }
            None => eprintln!("{line}"),
        }
    }
}

fn short(s: &str) -> String {
    const MAX: usize = 120;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head}…")
    }
}

fn field<'a>(e: &'a Event, key: &str) -> Option<&'a str> {
    e.details
        .as_ref()
        .and_then(|(_, d)| d.get(key))
        .and_then(Value::as_str)
}

impl EventSink for Tracer {
    fn progress(&self, text: &str) {
        self.line(format_args!("  {text}"));
    }

    fn event(&self, e: &Event) {
        let kind = e.kind.as_str();
        if let Some(ty) = kind.strip_suffix("StateEntered") {
            let name = field(e, "name").unwrap_or_default().to_string();
            let input = field(e, "input").unwrap_or_default().to_string();
            if let Ok(mut m) = self.entered.lock() {
                m.insert(name.clone(), (e.timestamp, input));
            }
            if ty == "Fail" {
                self.line(format_args!("{ty:<9}{name}"));
            }
        } else if let Some(ty) = kind.strip_suffix("StateExited") {
            let name = field(e, "name").unwrap_or_default();
            let output = field(e, "output").unwrap_or_default();
            let (at, input) = self
                .entered
                .lock()
                .ok()
                .and_then(|mut m| m.remove(name))
                .unwrap_or((e.timestamp, String::new()));
            let ms = (e.timestamp.0 - at.0) as f64 / 1e6;
            let vars = e
                .details
                .as_ref()
                .and_then(|(_, d)| d.get("assignedVariables"))
                .and_then(Value::as_object)
                .map(|vars| {
                    // History holds each value as JSON text: show `name=value`.
                    let shown: Vec<String> = vars
                        .iter()
                        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                        .collect();
                    format!("  vars {}", short(&shown.join(", ")))
                })
                .unwrap_or_default();
            self.line(format_args!(
                "{ty:<9}{name:<24} {ms:>8.1}ms  {} -> {}{vars}",
                short(&input),
                short(output)
            ));
        } else if kind.ends_with("Failed") || kind.ends_with("TimedOut") {
            let error = field(e, "error").unwrap_or_default();
            let cause = field(e, "cause").unwrap_or_default();
            if cause.is_empty() {
                self.line(format_args!("  {kind:<31} {error}"));
            } else {
                self.line(format_args!("  {kind:<31} {error}: {}", short(cause)));
            }
        } else if kind == "ExecutionSucceeded" {
            self.line(format_args!("ExecutionSucceeded"));
        }
    }
}
