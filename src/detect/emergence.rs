//! Emergence rules, pure functions of timestamps and the clock (passed in, never read here):
//! - `assess`: matches of a stored query in a recent window against the trailing baseline
//!   before it. Flagged when the window's count reaches `min_count` and its ratio to the
//!   baseline's average per window reaches `min_ratio`; thresholds come from the query file.
//! - `visibility`: when a narrative became visible (`MIN_DOCUMENTS` documents from
//!   `MIN_VOICES` distinct sources or accounts) and whether it came together suddenly (most of
//!   those documents within `GATHERED_HOURS`) after Vigil had watched the stream for
//!   `WARMUP_HOURS`. A claim that becomes visible suddenly is emerging from that hour on; one
//!   that trickled in over weeks, or that was already there when Vigil started, is not.

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

/// A narrative is visible with this many documents…
pub const MIN_DOCUMENTS: usize = 4;
/// …from this many distinct sources or accounts.
pub const MIN_VOICES: usize = 3;
/// It came together suddenly when `GATHERED_DOCUMENTS` of those documents fall in the
/// `GATHERED_HOURS` before the moment it became visible (a single early post that spreads days
/// later still counts; criticism trickling in over weeks does not).
pub const GATHERED_HOURS: i64 = 48;
pub const GATHERED_DOCUMENTS: usize = 3;
/// A sudden emergence stays news for this long after the narrative became visible.
pub const FRESH_HOURS: i64 = 24;
/// Vigil must have watched the stream this long before a narrative's visibility window, or
/// before its first document, for it to call the narrative new (what it found already running
/// when it started is not).
pub const WARMUP_HOURS: i64 = 48;

/// When and how a narrative became visible.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Visibility {
    /// The publication time of the document that made it visible.
    pub at: DateTime<Utc>,
    /// Documents and distinct sources or accounts at that moment.
    pub documents: usize,
    pub voices: usize,
    /// Of those documents, how many in the `GATHERED_HOURS` before `at`.
    pub gathered: usize,
    /// Came together suddenly, after the warm-up: it emerged at `at`.
    pub sudden: bool,
}

impl Visibility {
    /// The evidence in words, for pages, digests and the terminal.
    pub fn describe(&self) -> String {
        format!(
            "Visible since {}: {} documents from {} sources or accounts, {} of them within {} hours{}",
            self.at.format("%Y-%m-%d %H:%M UTC"),
            self.documents,
            self.voices,
            self.gathered,
            GATHERED_HOURS,
            if self.sudden {
                " (came together suddenly)"
            } else {
                " (built up slowly or was already running when Vigil started)"
            }
        )
    }

    /// Emerging at `now`: sudden, and visible for less than `FRESH_HOURS`.
    pub fn emerging(&self, now: DateTime<Utc>) -> bool {
        self.sudden && self.at <= now && now - self.at < chrono::Duration::hours(FRESH_HOURS)
    }
}

/// When the documents (publication time and voice: the source, or the account on social
/// platforms) first made a visible narrative, looking only at documents published by `now`;
/// `watched_since` is the oldest document of the whole stream Vigil has seen.
pub fn visibility(
    documents: &[(DateTime<Utc>, &str)],
    watched_since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<Visibility> {
    let mut seen: Vec<(DateTime<Utc>, &str)> = documents
        .iter()
        .copied()
        .filter(|(t, _)| *t <= now)
        .collect();
    seen.sort_unstable();
    let mut voices: Vec<&str> = Vec::new();
    for (k, (at, voice)) in seen.iter().enumerate() {
        if !voices.contains(voice) {
            voices.push(voice);
        }
        if k + 1 >= MIN_DOCUMENTS && voices.len() >= MIN_VOICES {
            let from = *at - chrono::Duration::hours(GATHERED_HOURS);
            let gathered = seen[..=k].iter().filter(|(t, _)| *t > from).count();
            // Vigil watched long enough before the window it gathered in, or before the
            // story's own first document (all of a story that began after the warm-up is new).
            let began = from.max(seen[0].0);
            let warm = began - watched_since >= chrono::Duration::hours(WARMUP_HOURS);
            return Some(Visibility {
                at: *at,
                documents: k + 1,
                voices: voices.len(),
                gathered,
                sudden: warm && gathered >= GATHERED_DOCUMENTS,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn visible_with_four_documents_from_three_voices_and_emerging_only_when_sudden() {
        let now = DateTime::parse_from_rfc3339("2026-03-20T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let ago = |hours: f64| now - chrono::Duration::minutes((hours * 60.0) as i64);
        let watched = ago(30.0 * 24.0);
        // (name, documents as (hours ago, voice), watched since, visible hours ago, emerging now)
        let cases: Vec<(&str, Vec<(f64, &str)>, DateTime<Utc>, Option<f64>, bool)> = vec![
            ("nothing", vec![], watched, None, false),
            (
                "a burst of five accounts within the hour",
                vec![(0.9, "a"), (0.8, "b"), (0.7, "c"), (0.5, "d"), (0.2, "e")],
                watched,
                Some(0.5),
                true,
            ),
            (
                "four documents but two voices",
                vec![(5.0, "a"), (4.0, "b"), (3.0, "a"), (2.0, "b")],
                watched,
                None,
                false,
            ),
            (
                "one post, then spreading ten days later",
                vec![(240.0, "a"), (6.0, "b"), (4.0, "c"), (1.0, "d")],
                watched,
                Some(1.0),
                true,
            ),
            (
                "criticism every two and a half days",
                vec![(180.0, "a"), (120.0, "b"), (60.0, "c"), (1.0, "d")],
                watched,
                Some(1.0),
                false,
            ),
            (
                "already running when Vigil started",
                vec![(40.0, "a"), (39.0, "b"), (38.0, "c"), (37.0, "d")],
                ago(41.0),
                Some(37.0),
                false,
            ),
            (
                "begun two and a half days into watching, visible six hours later",
                vec![(7.0, "a"), (5.0, "b"), (3.0, "c"), (1.0, "d")],
                ago(67.0),
                Some(1.0),
                true,
            ),
            (
                "begun a day into watching",
                vec![(7.0, "a"), (5.0, "b"), (3.0, "c"), (1.0, "d")],
                ago(31.0),
                Some(1.0),
                false,
            ),
            (
                "sudden, but visible for more than a day",
                vec![(30.0, "a"), (29.0, "b"), (28.0, "c"), (27.0, "d")],
                watched,
                Some(27.0),
                false,
            ),
            (
                "documents after the clock do not count",
                vec![(3.0, "a"), (2.0, "b"), (1.0, "c"), (-1.0, "d")],
                watched,
                None,
                false,
            ),
        ];
        for (name, docs, watched_since, visible, emerging) in cases {
            let docs: Vec<(DateTime<Utc>, &str)> =
                docs.iter().map(|(h, v)| (ago(*h), *v)).collect();
            let found = visibility(&docs, watched_since, now);
            assert_eq!(found.map(|v| v.at), visible.map(ago), "{name}: {found:?}");
            assert_eq!(
                found.is_some_and(|v| v.emerging(now)),
                emerging,
                "{name}: {found:?}"
            );
        }
    }

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
