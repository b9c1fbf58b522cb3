//! The Wait state: a number of seconds or a timestamp, given literally or dynamically.

use super::io::Dynamic;
use crate::data::timestamp::Instant;

#[derive(Debug, Clone)]
pub enum Wait {
    Seconds(Dynamic<u64>),
    Timestamp(Dynamic<Instant>),
}
