//! The first emergence rule: matches of a stored query in a recent window against the trailing
//! baseline before it. Flagged when the window's count reaches `min_count` and its ratio to the
//! baseline's average per window reaches `min_ratio`. A pure function of timestamps and the
//! clock; thresholds come from the query file.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Baseline rate assumed when the baseline is (near) empty, in matches per window: a narrative
/// coming from nothing is judged against one match per window, so `min_count` decides.
pub const BASELINE_FLOOR: f64 = 1.0;

pub use crate::query::settings::EmergenceSettings;

/// What the rule concluded for one query.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Assessment {
    /// Matches in the window.
    pub count: u32,
    /// Matches in the baseline span.
    pub baseline_count: u32,
    /// Average matches per window-length during the baseline.
    pub baseline_per_window: f64,
    /// `count` over the (floored) baseline average.
    pub ratio: f64,
    /// Both thresholds passed.
    pub flagged: bool,
}

/// Applies the rule to match times (any order). Times after `now` are ignored.
pub fn assess(
    times: &[DateTime<Utc>],
    now: DateTime<Utc>,
    settings: &EmergenceSettings,
) -> Assessment {
    let window_start = settings.window_start(now);
    let baseline_start = settings.baseline_start(now);
    let count = times
        .iter()
        .filter(|t| **t > window_start && **t <= now)
        .count() as u32;
    let baseline_count = times
        .iter()
        .filter(|t| **t > baseline_start && **t <= window_start)
        .count() as u32;
    let windows_in_baseline = settings.baseline.as_secs_f64() / settings.window.as_secs_f64();
    let baseline_per_window = baseline_count as f64 / windows_in_baseline;
    let ratio = count as f64 / baseline_per_window.max(BASELINE_FLOOR);
    Assessment {
        count,
        baseline_count,
        baseline_per_window,
        ratio,
        flagged: count >= settings.min_count && ratio >= settings.min_ratio,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn flags_growth_not_steady_volume() {
        let now = DateTime::parse_from_rfc3339("2026-03-10T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let hours_ago = |hours: &[i64]| -> Vec<DateTime<Utc>> {
            hours
                .iter()
                .map(|h| now - chrono::Duration::hours(*h))
                .collect()
        };
        let steady: Vec<i64> = (0..8 * 24).step_by(4).collect(); // 6 a day for 8 days
        let building: Vec<i64> = [1, 2, 3, 5, 7, 9, 11, 20, 30, 40, 60, 90].to_vec();
        let settings = EmergenceSettings::default();
        let cases: Vec<(&str, Vec<i64>, u32, bool)> = vec![
            ("nothing", vec![], 0, false),
            ("steady coverage", steady, 6, false),
            ("new narrative from nothing", vec![1, 2, 3, 4, 5], 5, true),
            ("too few to flag", vec![1, 2, 3], 3, false),
            ("building over days", building, 8, true),
            ("future times ignored", vec![-5, -6, -7, -8, -9], 0, false),
        ];
        for (name, hours, count, flagged) in cases {
            let a = assess(&hours_ago(&hours), now, &settings);
            assert_eq!((a.count, a.flagged), (count, flagged), "{name}: {a:?}");
        }
    }

    #[test]
    fn validates_settings() {
        let ok = EmergenceSettings::default();
        assert!(ok.validate().is_ok());
        assert!(
            EmergenceSettings {
                min_ratio: 0.5,
                ..ok
            }
            .validate()
            .is_err()
        );
        assert!(EmergenceSettings { min_count: 0, ..ok }.validate().is_err());
        assert!(
            EmergenceSettings {
                baseline: Duration::from_secs(3600),
                ..ok
            }
            .validate()
            .is_err()
        );
    }
}
