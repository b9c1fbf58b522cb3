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
    /// Real time, with each wait and back-off lasting its duration times this many
    /// millionths (Step Functions Local's `WAIT_TIME_SCALE`: 100,000 for 0.1).
    Scaled(u32),
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
            Clock::Real | Clock::Scaled(_) => real,
            Clock::Virtual => Instant(real.0 + t.offset.as_nanos() as i128),
            Clock::Fixed(start) => Instant(start.0 + t.offset.as_nanos() as i128),
        }
    }

    /// Waits `d` on the path `t`.
    pub async fn sleep(self, t: &mut PathTime, d: Duration) {
        match self {
            Clock::Real => tokio::time::sleep(d).await,
            Clock::Scaled(millionths) => {
                tokio::time::sleep(d.mul_f64(f64::from(millionths) / 1e6)).await
            }
            Clock::Virtual | Clock::Fixed(_) => t.offset += d,
        }
    }

    /// Whether waits return at once (the virtual clocks).
    pub fn is_virtual(self) -> bool {
        !matches!(self, Clock::Real | Clock::Scaled(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scaled_clock_sleeps_its_share_of_a_wait_in_real_time() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let mut t = PathTime::default();
            let before = std::time::Instant::now();
            // A hundredth of 3 seconds: 30 ms, far from the 3 s it would be unscaled.
            Clock::Scaled(10_000)
                .sleep(&mut t, Duration::from_secs(3))
                .await;
            let took = before.elapsed();
            assert!(
                took >= Duration::from_millis(30) && took < Duration::from_secs(3),
                "{took:?}"
            );
            // Real time: nothing is added to the path's offset.
            assert_eq!(t.offset, Duration::ZERO);
            assert!(!Clock::Scaled(100_000).is_virtual());
        });
    }
}
