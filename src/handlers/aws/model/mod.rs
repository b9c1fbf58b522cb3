//! AWS's API models, embedded: what every AWS operation takes and returns, read from the
//! bundle `scripts/gen-aws-models` writes from botocore's service models (`models/`).
//!
//! [`bundle`] knows the index (one line per service the Step Functions AWS SDK integration
//! supports: its integration name, error prefix, protocol, endpoint names) and inflates a
//! service's model the first time it is asked for, once per process; a run that calls no
//! AWS API never touches the compressed models. [`Service`] is one model: its operations and
//! their shapes, read in place from the model's JSON (botocore's own layout, without the
//! documentation), with [`Shape`] and [`Member`] as views over it.

mod bundle;
mod service;

pub use bundle::{
    Entry, Protocol, entries, entry, inflate, load, partition_suffix, retired, rule_set_host,
    unknown_service,
};
pub use service::{Member, Operation, Service, Shape};
