//! Retriers and catchers ("Error handling" in the ASL specification).

use super::error_name::ErrorName;
use super::io::ResultPath;
use crate::data::template::Template;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    Full,
    None,
}

/// A retrier. Defaults: `IntervalSeconds` 1, `MaxAttempts` 3, `BackoffRate` 2.0.
#[derive(Debug, Clone)]
pub struct Retrier {
    pub error_equals: Vec<ErrorName>,
    pub interval_seconds: u64,
    pub max_attempts: u64,
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<u64>,
    pub jitter: Jitter,
}

impl Retrier {
    pub fn matches(&self, error: &str) -> bool {
        self.error_equals.iter().any(|e| e.matches(error))
    }
}

#[derive(Debug, Clone)]
pub struct Catcher {
    pub error_equals: Vec<ErrorName>,
    pub next: usize,
    pub result_path: ResultPath,
    pub output: Option<Template>,
    pub assign: Option<Template>,
}

impl Catcher {
    pub fn matches(&self, error: &str) -> bool {
        self.error_equals.iter().any(|e| e.matches(error))
    }
}
