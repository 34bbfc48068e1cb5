//! When each source is next due. Pure functions of the interval, the failure count and the clock;
//! the pipeline asks them after every fetch and stores the answer in the state database.

use chrono::{DateTime, Utc};
use std::time::Duration;

/// Longest wait between two polls of a failing source.
pub const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);

/// The next poll after a fetch: the interval after a success, and after failures an
/// exponentially growing wait (interval × 2^failures, capped at `MAX_BACKOFF`, never shorter
/// than the interval).
pub fn next_due(
    now: DateTime<Utc>,
    interval: Duration,
    consecutive_failures: u32,
) -> DateTime<Utc> {
    let wait = if consecutive_failures == 0 {
        interval
    } else {
        let factor = 1u32 << consecutive_failures.min(16);
        interval
            .checked_mul(factor)
            .unwrap_or(MAX_BACKOFF)
            .min(MAX_BACKOFF)
            .max(interval)
    };
    now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(6))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_with_failures_and_stop_at_the_cap() {
        let now = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let minute = Duration::from_secs(60);
        let cases = [
            (minute, 0, 60),
            (minute, 1, 120),
            (minute, 3, 480),
            (minute, 40, 6 * 3600),
            (Duration::from_secs(8 * 3600), 2, 8 * 3600),
        ];
        for (interval, failures, expected_secs) in cases {
            let due = next_due(now, interval, failures);
            assert_eq!(
                (due - now).num_seconds(),
                expected_secs,
                "{interval:?} {failures}"
            );
        }
    }
}
