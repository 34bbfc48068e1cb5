//! When each source is next due: pure functions of the configured interval, what the last
//! response said about its own freshness (feed `<ttl>`, `sy:updatePeriod`, Cache-Control
//! max-age, Expires, Retry-After), how many polls in a row brought nothing new, how many failed,
//! and the clock. The pipeline asks after every fetch and stores the answer in the state database.

use chrono::{DateTime, Utc};
use std::time::Duration;

/// Longest wait between two polls of a failing source ("retried slowly").
pub const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);
/// Polls in a row without anything new before the interval starts to stretch.
pub const UNCHANGED_BEFORE_SLOWING: u32 = 4;
/// The most an unchanging source's interval is stretched.
pub const MAX_ADAPTIVE_FACTOR: u32 = 4;

/// Freshness hints from a response and its feed.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Hints {
    /// RSS `<ttl>`.
    pub feed_ttl: Option<Duration>,
    /// `sy:updatePeriod` divided by `sy:updateFrequency`.
    pub update_period: Option<Duration>,
    /// Cache-Control `max-age`.
    pub max_age: Option<Duration>,
    /// Expires, as an instant.
    pub expires: Option<DateTime<Utc>>,
    /// Retry-After, as an instant.
    pub retry_after: Option<DateTime<Utc>>,
}

/// Crawl-wide bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// Never poll a source more often than this (the floor).
    pub min: Duration,
    /// Never wait longer than this (except for an explicit Retry-After).
    pub max: Duration,
    /// Random spread, as a fraction of the wait (0.1 = ±10%), so sources do not poll in lockstep.
    pub jitter: f64,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            min: Duration::from_secs(60),
            max: Duration::from_secs(24 * 3600),
            jitter: 0.1,
        }
    }
}

/// What the schedule knows about a source's recent history.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct History {
    /// Consecutive failed fetches (0 after a success).
    pub failures: u32,
    /// Consecutive successful polls that brought nothing new (304 or no new items).
    pub unchanged: u32,
}

/// The next poll. `jitter_unit` is a number in [0, 1) that places this poll within the jitter
/// range (from `jitter_unit_for` in production, fixed in tests).
pub fn next_check(
    now: DateTime<Utc>,
    interval: Duration,
    hints: &Hints,
    history: History,
    bounds: &Bounds,
    jitter_unit: f64,
) -> DateTime<Utc> {
    let until = |instant: Option<DateTime<Utc>>| instant.and_then(|t| (t - now).to_std().ok());
    let adaptive = if history.unchanged >= UNCHANGED_BEFORE_SLOWING {
        (1 + history.unchanged / UNCHANGED_BEFORE_SLOWING).min(MAX_ADAPTIVE_FACTOR)
    } else {
        1
    };
    let mut wait = interval * adaptive;
    for hint in [
        hints.feed_ttl,
        hints.update_period,
        hints.max_age,
        until(hints.expires),
    ]
    .into_iter()
    .flatten()
    {
        wait = wait.max(hint);
    }
    if history.failures > 0 {
        let backoff = interval
            .checked_mul(1 << history.failures.min(16))
            .unwrap_or(MAX_BACKOFF)
            .min(MAX_BACKOFF);
        wait = wait.max(backoff);
    }
    let wait = wait.clamp(bounds.min, bounds.max.max(bounds.min));
    let spread = bounds.jitter.clamp(0.0, 0.5) * (2.0 * jitter_unit.clamp(0.0, 1.0) - 1.0);
    let jittered = wait.mul_f64(1.0 + spread).max(bounds.min);
    // Retry-After is the server's explicit word: it beats the clamp and the jitter.
    let jittered = match until(hints.retry_after) {
        Some(retry) => jittered.max(retry.min(Duration::from_secs(7 * 24 * 3600))),
        None => jittered,
    };
    now + chrono::Duration::from_std(jittered).unwrap_or(chrono::Duration::hours(24))
}

/// A stable pseudo-random number in [0, 1) for a source at a time: spreads sources apart
/// without a random number generator and makes a given poll reproducible.
pub fn jitter_unit_for(source: &str, now: DateTime<Utc>) -> f64 {
    let hash = xxhash_rust::xxh3::xxh3_64(format!("{source}\u{0}{}", now.timestamp()).as_bytes());
    (hash >> 11) as f64 / (1u64 << 53) as f64
}

/// Retry-After: delay-seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(now + chrono::Duration::seconds(seconds.min(30 * 24 * 3600) as i64));
    }
    parse_http_date(value)
}

/// An HTTP date (IMF-fixdate, RFC 850 or asctime).
pub fn parse_http_date(value: &str) -> Option<DateTime<Utc>> {
    httpdate::parse_http_date(value.trim())
        .ok()
        .map(DateTime::<Utc>::from)
}

/// Cache-Control `max-age` (or `s-maxage`), unless `no-store` or `no-cache` forbids relying on it.
pub fn parse_max_age(cache_control: &str) -> Option<Duration> {
    let directives: Vec<String> = cache_control
        .split(',')
        .map(|d| d.trim().to_ascii_lowercase())
        .collect();
    if directives
        .iter()
        .any(|d| d == "no-store" || d == "no-cache")
    {
        return None;
    }
    directives.iter().find_map(|d| {
        let (name, value) = d.split_once('=')?;
        matches!(name.trim(), "max-age" | "s-maxage")
            .then(|| value.trim().trim_matches('"').parse::<u64>().ok())
            .flatten()
            .map(|s| Duration::from_secs(s.min(30 * 24 * 3600)))
    })
}

/// `sy:updatePeriod` (hourly, daily, weekly, monthly, yearly) over `sy:updateFrequency`.
pub fn update_period(period: &str, frequency: Option<&str>) -> Option<Duration> {
    let hours: u64 = match period.trim().to_ascii_lowercase().as_str() {
        "hourly" => 1,
        "daily" => 24,
        "weekly" => 24 * 7,
        "monthly" => 24 * 30,
        "yearly" => 24 * 365,
        _ => return None,
    };
    let frequency = frequency
        .and_then(|f| f.trim().parse::<u64>().ok())
        .filter(|f| *f > 0)
        .unwrap_or(1);
    Some(Duration::from_secs(hours * 3600 / frequency))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_largest_hint_wins_within_bounds() {
        let now = at("2026-03-01T12:00:00Z");
        let minutes = |m: u64| Duration::from_secs(m * 60);
        let bounds = Bounds {
            jitter: 0.0,
            ..Bounds::default()
        };
        let calm = History::default();
        let cases: Vec<(&str, Duration, Hints, History, i64)> = vec![
            (
                "interval alone",
                minutes(15),
                Hints::default(),
                calm,
                15 * 60,
            ),
            (
                "ttl longer",
                minutes(15),
                Hints {
                    feed_ttl: Some(minutes(60)),
                    ..Default::default()
                },
                calm,
                3600,
            ),
            (
                "ttl shorter is ignored",
                minutes(15),
                Hints {
                    feed_ttl: Some(minutes(5)),
                    ..Default::default()
                },
                calm,
                15 * 60,
            ),
            (
                "max-age",
                minutes(15),
                Hints {
                    max_age: Some(minutes(30)),
                    ..Default::default()
                },
                calm,
                1800,
            ),
            (
                "expires",
                minutes(15),
                Hints {
                    expires: Some(now + chrono::Duration::minutes(45)),
                    ..Default::default()
                },
                calm,
                2700,
            ),
            (
                "expires in the past",
                minutes(15),
                Hints {
                    expires: Some(now - chrono::Duration::minutes(45)),
                    ..Default::default()
                },
                calm,
                900,
            ),
            (
                "update period",
                minutes(15),
                Hints {
                    update_period: Some(minutes(120)),
                    ..Default::default()
                },
                calm,
                7200,
            ),
            (
                "clamped to max",
                minutes(15),
                Hints {
                    feed_ttl: Some(minutes(60 * 48)),
                    ..Default::default()
                },
                calm,
                24 * 3600,
            ),
            ("floor", Duration::from_secs(10), Hints::default(), calm, 60),
            (
                "retry-after beats the clamp",
                minutes(15),
                Hints {
                    retry_after: Some(now + chrono::Duration::hours(30)),
                    ..Default::default()
                },
                calm,
                30 * 3600,
            ),
            (
                "backoff after 3 failures",
                minutes(15),
                Hints::default(),
                History {
                    failures: 3,
                    unchanged: 0,
                },
                2 * 3600,
            ),
            (
                "backoff capped",
                minutes(15),
                Hints::default(),
                History {
                    failures: 30,
                    unchanged: 0,
                },
                6 * 3600,
            ),
            (
                "adaptive: 3 unchanged polls",
                minutes(15),
                Hints::default(),
                History {
                    failures: 0,
                    unchanged: 3,
                },
                15 * 60,
            ),
            (
                "adaptive: 4 unchanged polls",
                minutes(15),
                Hints::default(),
                History {
                    failures: 0,
                    unchanged: 4,
                },
                30 * 60,
            ),
            (
                "adaptive: capped",
                minutes(15),
                Hints::default(),
                History {
                    failures: 0,
                    unchanged: 100,
                },
                60 * 60,
            ),
        ];
        for (name, interval, hints, history, seconds) in cases {
            let due = next_check(now, interval, &hints, history, &bounds, 0.5);
            assert_eq!((due - now).num_seconds(), seconds, "{name}");
        }
    }

    #[test]
    fn jitter_spreads_within_its_range() {
        let now = at("2026-03-01T12:00:00Z");
        let bounds = Bounds::default();
        let interval = Duration::from_secs(1000);
        for (unit, seconds) in [(0.0, 900), (0.5, 1000), (0.999_999, 1099)] {
            let due = next_check(
                now,
                interval,
                &Hints::default(),
                History::default(),
                &bounds,
                unit,
            );
            assert_eq!((due - now).num_seconds(), seconds);
        }
        let units: Vec<f64> = (0..100)
            .map(|i| jitter_unit_for(&format!("s{i}"), now))
            .collect();
        assert!(units.iter().all(|u| (0.0..1.0).contains(u)));
        assert!(units.iter().any(|u| *u < 0.3) && units.iter().any(|u| *u > 0.7));
    }

    #[test]
    fn parses_headers() {
        let now = at("2026-03-01T12:00:00Z");
        assert_eq!(
            parse_retry_after("120", now),
            Some(now + chrono::Duration::seconds(120))
        );
        assert_eq!(
            parse_retry_after("Sun, 01 Mar 2026 13:00:00 GMT", now),
            Some(at("2026-03-01T13:00:00Z"))
        );
        assert_eq!(parse_retry_after("soon", now), None);
        let cases = [
            ("max-age=300", Some(300)),
            ("public, max-age=60, must-revalidate", Some(60)),
            ("s-maxage=90", Some(90)),
            ("no-cache, max-age=300", None),
            ("private", None),
            ("max-age=banana", None),
        ];
        for (value, expected) in cases {
            assert_eq!(
                parse_max_age(value),
                expected.map(Duration::from_secs),
                "{value}"
            );
        }
        assert_eq!(
            update_period("hourly", Some("2")),
            Some(Duration::from_secs(1800))
        );
        assert_eq!(
            update_period("daily", None),
            Some(Duration::from_secs(86400))
        );
        assert_eq!(update_period("fortnightly", None), None);
    }
}
