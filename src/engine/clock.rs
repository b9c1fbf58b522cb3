//! Time as the execution sees it.
//!
//! `Real`: waits and back-offs really sleep. `Virtual`: they return at once and add their
//! duration to the waiting path's offset, so `$$.State.EnteredTime`, history timestamps and
//! `Timestamp` waits see time pass as if it had. A path's time is the wall clock plus its
//! offset; concurrent branches carry their own offsets and a join takes the largest.

use crate::data::timestamp::Instant;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    #[default]
    Virtual,
    Real,
    /// Virtual time that starts at a given instant instead of the wall clock's now, and does
    /// not move while the engine computes: the same execution sees the same times on every
    /// run (`asl test`).
    Fixed(Instant),
}

/// The time of one path of an execution.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct PathTime {
    /// Virtual time added by waits on this path (always zero on the real clock).
    pub offset: Duration,
}

impl Clock {
    pub fn now(self, t: &PathTime) -> Instant {
        let real = match self {
            Clock::Fixed(_) => Instant(0),
            _ => Instant::now(),
        };
        match self {
            Clock::Real => real,
            Clock::Virtual => Instant(real.0 + t.offset.as_nanos() as i128),
            Clock::Fixed(start) => Instant(start.0 + t.offset.as_nanos() as i128),
        }
    }

    /// Waits `d` on the path `t`.
    pub async fn sleep(self, t: &mut PathTime, d: Duration) {
        match self {
            Clock::Real => tokio::time::sleep(d).await,
            Clock::Virtual | Clock::Fixed(_) => t.offset += d,
        }
    }

    /// Whether waits return at once (the virtual clocks).
    pub fn is_virtual(self) -> bool {
        !matches!(self, Clock::Real)
    }
}
