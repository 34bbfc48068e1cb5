//! The detection settings a stored-query file carries: its `[spike]` table and its
//! `[emergence]` thresholds, with their defaults and validation. They are data of the query
//! file, so they live with the query format; `detect` reads them (never the other way round).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Thresholds, per stored query (`[spike]` in its file) with these defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpikeSettings {
    /// Fewest matches in an hour that can be a spike.
    pub min_count: u32,
    /// An hour is unusual when its count is this improbable under the baseline (Poisson)…
    pub max_p_value: f64,
    /// …or this many standard deviations above the recent EWMA.
    pub min_z: f64,
    /// Kleinberg: how many times more likely a match is in the burst state.
    pub burst_s: f64,
    /// Kleinberg: the cost of entering the burst state, times ln(hours).
    pub burst_gamma: f64,
    /// Days of history after which the baseline learns the hour of day and day of week.
    pub seasonal_after_days: u32,
    /// Hours each test counts over, ending at the hour tested (1: single hours). Narratives
    /// of a few items a day need a day; a firehose query can use an hour.
    pub window_hours: u32,
}

impl Default for SpikeSettings {
    fn default() -> SpikeSettings {
        SpikeSettings {
            min_count: 5,
            max_p_value: 0.001,
            min_z: 3.0,
            burst_s: 3.0,
            burst_gamma: 0.5,
            seasonal_after_days: 14,
            window_hours: 24,
        }
    }
}

impl SpikeSettings {
    pub fn validate(&self) -> Result<(), String> {
        if !(self.max_p_value > 0.0 && self.max_p_value < 1.0) {
            return Err("max_p_value must be between 0 and 1".into());
        }
        if self.burst_s <= 1.0 {
            return Err("burst_s must be above 1".into());
        }
        if self.min_z <= 0.0 || self.burst_gamma < 0.0 {
            return Err("min_z must be positive and burst_gamma not negative".into());
        }
        if !(1..=7 * 24).contains(&self.window_hours) {
            return Err("window_hours must be between 1 and 168".into());
        }
        Ok(())
    }
}

/// Thresholds of the rule, per stored query.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EmergenceSettings {
    /// The recent window whose matches are counted.
    pub window: Duration,
    /// The span before the window that sets the normal rate.
    pub baseline: Duration,
    /// Fewest matches in the window to flag.
    pub min_count: u32,
    /// Smallest window-to-baseline ratio to flag.
    pub min_ratio: f64,
}

impl Default for EmergenceSettings {
    fn default() -> Self {
        EmergenceSettings {
            window: Duration::from_secs(24 * 3600),
            baseline: Duration::from_secs(7 * 24 * 3600),
            min_count: 5,
            min_ratio: 3.0,
        }
    }
}

impl EmergenceSettings {
    /// Checks the thresholds make sense.
    pub fn validate(&self) -> Result<(), String> {
        if self.window < Duration::from_secs(3600) {
            return Err("window must be at least 1h".into());
        }
        if self.baseline < self.window {
            return Err("baseline must be at least as long as window".into());
        }
        if self.min_count == 0 {
            return Err("min_count must be at least 1".into());
        }
        if !(self.min_ratio.is_finite() && self.min_ratio >= 1.0) {
            return Err("min_ratio must be at least 1.0".into());
        }
        Ok(())
    }

    fn chrono(d: Duration) -> chrono::Duration {
        chrono::Duration::from_std(d).unwrap_or(chrono::Duration::days(365))
    }

    /// Start of the recent window.
    pub fn window_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Self::chrono(self.window)
    }

    /// Start of the baseline span.
    pub fn baseline_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.window_start(now) - Self::chrono(self.baseline)
    }
}
