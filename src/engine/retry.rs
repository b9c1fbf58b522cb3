//! The retry policy as a pure function: which retrier applies and how long to wait.

use crate::definition::{Jitter, Retrier};
use std::time::Duration;

/// The delay before retry number `attempt` (0 for the first retry) of `r`:
/// `IntervalSeconds * BackoffRate^attempt`, capped by `MaxDelaySeconds`, and with
/// `JitterStrategy: FULL` a uniform draw between 0 and that (`unit` is the draw in `[0, 1)`).
pub fn delay(r: &Retrier, attempt: u64, unit: f64) -> Duration {
    let base = r.interval_seconds as f64 * r.backoff_rate.powi(attempt.min(1_000) as i32);
    let mut secs = match r.max_delay_seconds {
        Some(max) => base.min(max as f64),
        None => base,
    };
    if r.jitter == Jitter::Full {
        secs *= unit;
    }
    Duration::from_secs_f64(secs.clamp(0.0, 31_622_400.0 * 10.0))
}

/// Decides what to do with error `error` after `counts[i]` retries by retrier `i`: the index of
/// the retrier to use and the delay, or `None` when no retrier applies or it is exhausted.
pub fn next_delay(
    retriers: &[Retrier],
    counts: &mut [u64],
    error: &str,
    unit: f64,
) -> Option<(usize, Duration)> {
    let i = retriers.iter().position(|r| r.matches(error))?;
    if counts[i] >= retriers[i].max_attempts {
        return None;
    }
    let d = delay(&retriers[i], counts[i], unit);
    counts[i] += 1;
    Some((i, d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::ErrorName;

    fn retrier(errors: &[&str], interval: u64, max: u64, rate: f64) -> Retrier {
        Retrier {
            error_equals: errors.iter().map(|e| ErrorName::parse(e)).collect(),
            interval_seconds: interval,
            max_attempts: max,
            backoff_rate: rate,
            max_delay_seconds: None,
            jitter: Jitter::None,
        }
    }

    #[test]
    fn backs_off_exponentially_and_stops_after_max_attempts() {
        let rs = [retrier(&["States.ALL"], 1, 3, 2.0)];
        let mut counts = [0];
        let delays: Vec<u64> = std::iter::from_fn(|| next_delay(&rs, &mut counts, "E", 0.5))
            .map(|(_, d)| d.as_secs())
            .collect();
        assert_eq!(delays, vec![1, 2, 4]);
    }

    #[test]
    fn max_attempts_zero_never_retries() {
        let rs = [retrier(&["E"], 1, 0, 2.0)];
        assert_eq!(next_delay(&rs, &mut [0], "E", 0.5), None);
    }

    #[test]
    fn first_matching_retrier_wins_and_keeps_its_own_count() {
        let rs = [
            retrier(&["A"], 1, 1, 1.0),
            retrier(&["States.ALL"], 5, 2, 1.0),
        ];
        let mut counts = [0, 0];
        assert_eq!(next_delay(&rs, &mut counts, "A", 0.0).map(|x| x.0), Some(0));
        assert_eq!(next_delay(&rs, &mut counts, "A", 0.0), None);
        assert_eq!(next_delay(&rs, &mut counts, "B", 0.0).map(|x| x.0), Some(1));
        assert_eq!(next_delay(&rs, &mut counts, "States.Runtime", 0.0), None);
    }

    #[test]
    fn caps_and_jitter() {
        let mut r = retrier(&["E"], 10, 5, 3.0);
        r.max_delay_seconds = Some(20);
        assert_eq!(delay(&r, 3, 0.0).as_secs(), 20);
        r.jitter = Jitter::Full;
        assert_eq!(delay(&r, 0, 0.5).as_secs(), 5);
        assert_eq!(delay(&r, 0, 0.0).as_secs(), 0);
    }
}
