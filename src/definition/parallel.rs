//! The Parallel state: branches run concurrently; the result is their outputs in order.

use super::machine::Graph;
use super::retry::{Catcher, Retrier};

#[derive(Debug, Clone)]
pub struct Parallel {
    pub branches: Vec<Graph>,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
}
