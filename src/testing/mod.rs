//! `asl test`: declarative tests for state machines.
//!
//! A test file (YAML or JSON) names a definition, mocks and cases; each case runs the engine
//! with deterministic options (fixed start time and execution name, a seeded random source,
//! the virtual clock) and a [`crate::engine::Probe`] that records what happened. The
//! expectations are then checked against that record, coverage of the machine's structure is
//! counted, and the results are reported for people and for CI systems.
//!
//! This module drives the engine; the engine never knows it.

pub mod coverage;
pub mod expect;
pub mod file;
pub mod matcher;
pub mod mismatch;
pub mod mocks;
pub mod operands;
pub mod outline;
pub mod payload;
pub mod record;
pub mod report;
pub mod results;
pub mod runner;
pub mod snapshot;
