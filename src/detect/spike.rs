//! Volume spikes in hourly counts: what is unusual for this hour, and whether it is a burst.
//! In: a stored query's (or story cluster's) matches per hour, the whole stream's documents per
//! hour, settings and the calendar of expected events; out: `Spike`s.
//!
//! - **Baseline**: the trailing mean of the history until `seasonal_after_days` of it exist;
//!   then the mean of the same hour of the week and the same hour of the day, averaged, so
//!   Monday-morning press briefings stop looking like spikes.
//! - **Unusual**: the Poisson tail probability of the hour's count under the baseline, or its
//!   EWMA z-score against the recent hours, with a minimum count.
//! - **Burst**: confirmed by Kleinberg's two-state automaton over the last 14 days (batched
//!   form: the share of the stream's documents that match, with a burst state `s` times more
//!   likely and a cost `gamma · ln n` to enter it), which ignores single noisy hours.
//! - **Expected events** (hearings, warrants, arrests, judgments) from the calendar label a
//!   coinciding spike, which is then not urgent.
//!
//! Pure functions with table tests; `detect` feeds them from the state database.

use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub use crate::query::settings::SpikeSettings;

/// The lowest expected count per hour: an hour that never saw a match is not "infinitely"
/// unusual at its first one.
const BASELINE_FLOOR: f64 = 0.05;

/// The expected count of hour `at` from the hours before it (`history[0]` starts at
/// `history_start`; one entry per hour).
pub fn expected(
    history: &[u32],
    history_start: DateTime<Utc>,
    at: DateTime<Utc>,
    settings: &SpikeSettings,
) -> f64 {
    let hours = ((at - history_start).num_hours().max(0) as usize).min(history.len());
    let past = &history[..hours];
    if past.is_empty() {
        return BASELINE_FLOOR;
    }
    let mean = |values: &mut dyn Iterator<Item = u32>| {
        let (sum, n) = values.fold((0u64, 0u64), |(s, n), v| (s + v as u64, n + 1));
        (n > 0).then(|| sum as f64 / n as f64)
    };
    let seasonal = hours >= settings.seasonal_after_days as usize * 24;
    let estimate = if seasonal {
        let hour_of = |i: usize| history_start + Duration::hours(i as i64);
        let same_week_hour = mean(
            &mut past
                .iter()
                .enumerate()
                .filter(|(i, _)| {
                    let h = hour_of(*i);
                    h.hour() == at.hour() && h.weekday() == at.weekday()
                })
                .map(|(_, c)| *c),
        );
        let same_day_hour = mean(
            &mut past
                .iter()
                .enumerate()
                .filter(|(i, _)| hour_of(*i).hour() == at.hour())
                .map(|(_, c)| *c),
        );
        match (same_week_hour, same_day_hour) {
            (Some(w), Some(d)) => (w + d) / 2.0,
            (w, d) => w.or(d).unwrap_or(0.0),
        }
    } else {
        // The trailing week (or what exists of it).
        let from = hours.saturating_sub(7 * 24);
        mean(&mut past[from..].iter().copied()).unwrap_or(0.0)
    };
    estimate.max(BASELINE_FLOOR)
}

/// ln(n!) : exact sums for small n, Stirling's series beyond.
fn ln_factorial(n: u32) -> f64 {
    if n < 32 {
        return (2..=n).map(|i| (i as f64).ln()).sum();
    }
    let n = n as f64;
    n * n.ln() - n + 0.5 * (2.0 * std::f64::consts::PI * n).ln() + 1.0 / (12.0 * n)
        - 1.0 / (360.0 * n.powi(3))
}

/// P(X ≥ k) for X ~ Poisson(λ), summed from the k-th term upwards (stable in the far tail).
pub fn poisson_tail(k: u32, lambda: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if lambda <= 0.0 {
        return 0.0;
    }
    if (k as f64) <= lambda {
        // Not in the upper tail: 1 − P(X < k), summed directly.
        let mut term = (-lambda).exp();
        let mut below = term;
        for i in 1..k {
            term *= lambda / i as f64;
            below += term;
        }
        return (1.0 - below).clamp(0.0, 1.0);
    }
    let mut term = (-lambda + k as f64 * lambda.ln() - ln_factorial(k)).exp();
    let mut sum = 0.0;
    let mut i = k;
    while term > sum * 1e-15 && i < k.saturating_add(10_000) {
        sum += term;
        i += 1;
        term *= lambda / i as f64;
    }
    sum.clamp(0.0, 1.0)
}

/// The z-score of the last value against an exponentially weighted mean and variance of the
/// values before it (weight `alpha` on the newest). 0 without history.
pub fn ewma_z(series: &[u32], alpha: f64) -> f64 {
    let Some((&last, before)) = series.split_last() else {
        return 0.0;
    };
    let Some((&first, rest)) = before.split_first() else {
        return 0.0;
    };
    let (mut mean, mut var) = (first as f64, 0.0);
    for &v in rest {
        let diff = v as f64 - mean;
        let increment = alpha * diff;
        mean += increment;
        var = (1.0 - alpha) * (var + diff * increment);
    }
    // Counts are at least Poisson-noisy: never trust a variance below the mean.
    let sd = var.max(mean).max(BASELINE_FLOOR).sqrt();
    (last as f64 - mean) / sd
}

/// Kleinberg's two-state burst automaton, batched: in hour t, `relevant[t]` of `total[t]`
/// documents match. The base state emits a match with the overall share p0, the burst state
/// with `s · p0`; entering the burst state costs `gamma · ln(hours)`, leaving it is free. Returns
/// the cheapest state sequence (true = burst), by Viterbi.
pub fn kleinberg(relevant: &[u32], total: &[u32], s: f64, gamma: f64) -> Vec<bool> {
    let n = relevant.len().min(total.len());
    if n == 0 {
        return Vec::new();
    }
    let (r_sum, d_sum): (u64, u64) = (0..n).fold((0, 0), |(r, d), t| {
        (r + relevant[t] as u64, d + total[t].max(relevant[t]) as u64)
    });
    if r_sum == 0 || d_sum == 0 {
        return vec![false; n];
    }
    let p0 = (r_sum as f64 / d_sum as f64).clamp(1e-9, 0.999_999);
    let p1 = (s * p0).clamp(1e-9, 0.999_999);
    let cost = |p: f64, r: u32, d: u32| -> f64 {
        let d = d.max(r);
        -(r as f64 * p.ln() + (d - r) as f64 * (1.0 - p).ln())
    };
    let enter = gamma * (n as f64).ln();
    // best[state] = cheapest cost of a sequence ending in state; back[t][state] = previous.
    let mut best = [
        cost(p0, relevant[0], total[0]),
        enter + cost(p1, relevant[0], total[0]),
    ];
    let mut back = vec![[0usize; 2]; n];
    for t in 1..n {
        let c0 = cost(p0, relevant[t], total[t]);
        let c1 = cost(p1, relevant[t], total[t]);
        let to0 = if best[0] <= best[1] {
            (best[0], 0)
        } else {
            (best[1], 1)
        };
        let to1 = if best[0] + enter < best[1] {
            (best[0] + enter, 0)
        } else {
            (best[1], 1)
        };
        back[t] = [to0.1, to1.1];
        best = [to0.0 + c0, to1.0 + c1];
    }
    let mut state = if best[1] < best[0] { 1 } else { 0 };
    let mut out = vec![false; n];
    for t in (0..n).rev() {
        out[t] = state == 1;
        state = back[t][state];
    }
    out
}

/// An expected event from the calendar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub name: String,
    /// hearing, warrant, arrest, judgment or other.
    pub kind: String,
    #[serde(deserialize_with = "toml_time")]
    pub start: DateTime<Utc>,
    #[serde(default, deserialize_with = "toml_time_opt")]
    pub end: Option<DateTime<Utc>>,
    /// The stored queries it explains; empty: the stories that name it (`concerns`).
    #[serde(default)]
    pub queries: Vec<String>,
}

/// A time written as a TOML date-time (`2026-12-01T09:00:00Z`) or an RFC 3339 string.
fn toml_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let value = toml::Value::deserialize(d)?;
    let text = match value {
        toml::Value::String(s) => s,
        toml::Value::Datetime(t) => t.to_string(),
        other => return Err(serde::de::Error::custom(format!("not a time: {other}"))),
    };
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            serde::de::Error::custom(format!(
                "{text:?}: {e} (write a time with its offset, e.g. 2026-12-01T09:00:00Z)"
            ))
        })
}

fn toml_time_opt<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    toml_time(d).map(Some)
}

impl Event {
    /// Whether a story whose text (titles and bodies) is `text` can be the event's coverage:
    /// the event lists queries (the analysts said what it explains); otherwise the text names
    /// one of the proper nouns of its name, if it has any ("Judgment in the Amun Valley case"
    /// explains stories that say "Amun" or "Valley", not a rumour about another case on the
    /// same day), and speaks of what happens at such an event, in any language (a judgment, a
    /// verdict or a sentence; a hearing or a trial; a warrant; an arrest): a claim that names
    /// the case but not the event, such as stolen case files, is not the judgment's coverage.
    pub fn concerns(&self, text: &str) -> bool {
        if !self.queries.is_empty() {
            return true;
        }
        let said: &[&str] = match self.kind.as_str() {
            "judgment" => &["convicted", "acquitted", "appeal"],
            "hearing" => &["hearing", "convicted"],
            "warrant" => &["warrant", "arrest"],
            "arrest" => &["arrest", "extradition", "detention"],
            _ => &[],
        };
        if !said.is_empty()
            && !super::concepts::Concepts::builtin()
                .find(text)
                .iter()
                .any(|(concept, _)| said.contains(concept))
        {
            return false;
        }
        let names: Vec<String> = self
            .name
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .skip(1)
            .filter(|w| w.chars().next().is_some_and(char::is_uppercase) && w.chars().count() >= 3)
            .map(str::to_lowercase)
            .collect();
        if names.is_empty() {
            return true;
        }
        text.to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| names.iter().any(|n| w == n))
    }

    /// Whether a spike in `hour` for `query` coincides: from 6 hours before the event to a day
    /// after its end (coverage follows an event).
    pub fn covers(&self, hour: DateTime<Utc>, query: &str) -> bool {
        let end = self.end.unwrap_or(self.start);
        let relevant = self.queries.is_empty() || self.queries.iter().any(|q| q == query);
        relevant && hour >= self.start - Duration::hours(6) && hour <= end + Duration::hours(24)
    }
}

/// The calendar file (`queries/calendar.toml`): `[[event]]` tables.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calendar {
    #[serde(default)]
    pub event: Vec<Event>,
    /// The court's own channels (sources marked `official` in vigil.toml), set from the
    /// configuration: what they say is the court's own news (`statement`).
    #[serde(skip)]
    pub official_sources: Vec<String>,
}

/// How long after a story's first document the court's own statement may come and still be
/// what began it (its own feed is polled like any other, and outlets publish within minutes).
pub const STATEMENT_LEAD_HOURS: i64 = 2;
/// How long the coverage of the court's own statement lasts as an event (its news day; as for
/// every event, spikes are explained until a day after its end, so that a day-wide window of
/// the statement's own coverage is explained too).
pub const STATEMENT_NEWS_HOURS: i64 = 12;

impl Calendar {
    /// Parses and checks a calendar's text.
    pub fn parse(text: &str) -> Result<Calendar, String> {
        let calendar: Calendar =
            toml::from_str(text).map_err(|e| e.message().trim().to_string())?;
        for (i, event) in calendar.event.iter().enumerate() {
            const KINDS: &[&str] = &["hearing", "warrant", "arrest", "judgment", "other"];
            if !KINDS.contains(&event.kind.as_str()) {
                return Err(format!(
                    "event {} ({:?}): kind {:?}: use one of {}",
                    i + 1,
                    event.name,
                    event.kind,
                    KINDS.join(", ")
                ));
            }
            if event.end.is_some_and(|end| end < event.start) {
                return Err(format!(
                    "event {} ({:?}): ends before it starts",
                    i + 1,
                    event.name
                ));
            }
        }
        Ok(calendar)
    }

    /// The first event that explains a spike.
    pub fn explaining(&self, hour: DateTime<Utc>, query: &str) -> Option<&Event> {
        self.event.iter().find(|e| e.covers(hour, query))
    }

    /// The events a story (its titles and bodies, `text`) can be coverage of.
    pub fn concerning(&self, text: &str) -> Calendar {
        Calendar {
            event: self
                .event
                .iter()
                .filter(|e| e.concerns(text))
                .cloned()
                .collect(),
            official_sources: self.official_sources.clone(),
        }
    }

    /// The court's own news: a story whose documents (`(source, published, title)`) include
    /// one from the court's own channels, published no later than `STATEMENT_LEAD_HOURS` after
    /// the story's first document, began with the court's statement. That statement is an
    /// event explaining the story's news day and the day after, whatever claim its words match
    /// (the court saying the hack may have exposed witnesses is news, not an exposure
    /// campaign). A statement that comes later (the court denying a rumour already spreading)
    /// explains nothing.
    pub fn statement<'a>(
        &self,
        docs: impl IntoIterator<Item = (&'a str, DateTime<Utc>, &'a str)>,
    ) -> Option<Event> {
        if self.official_sources.is_empty() {
            return None;
        }
        let mut first: Option<DateTime<Utc>> = None;
        let mut official: Option<(&str, DateTime<Utc>, &str)> = None;
        for (source, published, title) in docs {
            first = Some(first.map_or(published, |f| f.min(published)));
            if self.official_sources.iter().any(|s| s == source)
                && official.is_none_or(|(_, at, _)| published < at)
            {
                official = Some((source, published, title));
            }
        }
        let (source, at, title) = official?;
        (at <= first? + Duration::hours(STATEMENT_LEAD_HOURS)).then(|| Event {
            name: format!(
                "Statement from {source}: {}",
                crate::text::truncate_chars(title, 120)
            ),
            kind: "other".into(),
            start: at,
            end: Some(at + Duration::hours(STATEMENT_NEWS_HOURS)),
            queries: Vec::new(),
        })
    }
}

/// An unusual hour.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spike {
    /// The last hour of the window tested.
    pub hour: DateTime<Utc>,
    /// Hours the count covers, ending with `hour`.
    pub window_hours: u32,
    pub count: u32,
    pub expected: f64,
    pub p_value: f64,
    pub z: f64,
    /// Inside a Kleinberg burst.
    pub burst: bool,
    /// The expected event it coincides with, if any.
    pub event: Option<String>,
    /// A burst not explained by an expected event (and, on a narrative, one that matches a
    /// stored query rated watch or urgent or shows copy-paste: coverage alone never is).
    pub urgent: bool,
}

/// Spikes among the hours `from..` of an hourly series starting at `start` (`counts` of the
/// query, `totals` of the whole stream, same length). Each hour is tested on the count of the
/// `window_hours` ending with it, against the baseline before that window: the minimum count,
/// then the Poisson tail or the EWMA z-score of earlier windows. `burst` says whether
/// Kleinberg's automaton puts an hour of the window in a burst; `urgent`, whether that burst
/// has no expected event to explain it.
pub fn spikes(
    counts: &[u32],
    totals: &[u32],
    start: DateTime<Utc>,
    from: DateTime<Utc>,
    query: &str,
    settings: &SpikeSettings,
    calendar: &Calendar,
) -> Vec<Spike> {
    let n = counts.len();
    let width = settings.window_hours.max(1) as usize;
    // The burst model looks at the last 14 days only.
    let window = (14 * 24).min(n);
    let bursts = kleinberg(
        &counts[n - window..],
        &totals[n - window..totals.len().min(n)],
        settings.burst_s,
        settings.burst_gamma,
    );
    let in_burst =
        |t: usize| t + window >= n && bursts.get(t + window - n).copied().unwrap_or(false);
    let windowed = |t: usize| -> u32 { counts[(t + 1).saturating_sub(width)..=t].iter().sum() };
    let first = ((from - start).num_hours().max(0) as usize).min(n);
    let mut out = Vec::new();
    for t in first..n {
        let count = windowed(t);
        if count < settings.min_count {
            continue;
        }
        let hour = start + Duration::hours(t as i64);
        let window_start = hour - Duration::hours(width as i64 - 1);
        let expected = expected(counts, start, window_start, settings) * width as f64;
        let p_value = poisson_tail(count, expected);
        // Earlier windows, not overlapping, oldest first, ending with this one.
        let mut series: Vec<u32> = (0..=t / width)
            .map(|k| t - k * width)
            .take(8 * 24 / width + 1)
            .map(windowed)
            .collect();
        series.reverse();
        let z = ewma_z(&series, 0.3);
        if p_value > settings.max_p_value && z < settings.min_z {
            continue;
        }
        let burst = ((t + 1).saturating_sub(width)..=t).any(in_burst);
        let event = calendar.explaining(hour, query).map(|e| e.name.clone());
        out.push(Spike {
            hour,
            window_hours: width as u32,
            count,
            expected,
            p_value,
            z,
            burst,
            urgent: burst && event.is_none(),
            event,
        });
    }
    out
}

/// Consecutive spike-hours of one kind (urgent or not, the same expected event) as one episode,
/// for a person to read: when it started and ended, and its peak.
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub hours: usize,
    pub peak: Spike,
}

/// Groups spikes (oldest first, as `spikes` returns them) into episodes.
pub fn episodes(spikes: &[Spike]) -> Vec<Episode> {
    let mut out: Vec<Episode> = Vec::new();
    for spike in spikes {
        if let Some(last) = out.last_mut()
            && spike.hour - last.end == Duration::hours(1)
            && spike.urgent == last.peak.urgent
            && spike.event == last.peak.event
        {
            last.end = spike.hour;
            last.hours += 1;
            if spike.count > last.peak.count {
                last.peak = spike.clone();
            }
            continue;
        }
        out.push(Episode {
            start: spike.hour,
            end: spike.hour,
            hours: 1,
            peak: spike.clone(),
        });
    }
    out
}

/// Loads the calendar of expected events (`dir/calendar.toml`); none when the file is absent.
pub fn load_calendar(dir: &Path) -> Result<Calendar, crate::query::stored::StoredQueryError> {
    let path = dir.join("calendar.toml");
    match std::fs::read_to_string(&path) {
        Ok(text) => Calendar::parse(&text)
            .map_err(|message| crate::query::stored::StoredQueryError { path, message }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Default::default()),
        Err(e) => Err(crate::query::stored::StoredQueryError {
            path,
            message: format!("cannot read: {e}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_explains_the_stories_that_name_it() {
        let event = |name: &str, queries: &[&str]| Event {
            name: name.into(),
            kind: if name.starts_with("Judgment") {
                "judgment".into()
            } else {
                "other".into()
            },
            start: at(0),
            end: None,
            queries: queries.iter().map(|q| q.to_string()).collect(),
        };
        // (event name, its queries, the story's text, explained)
        let cases: Vec<(&str, &[&str], &str, bool)> = vec![
            (
                "Judgment in the Amun Valley case",
                &[],
                "The chamber delivered its judgment on the Amun Valley massacre.",
                true,
            ),
            (
                "Judgment in the Amun Valley case",
                &[],
                "Rumours that the court dropped the Kessaro probe spread online.",
                false,
            ),
            (
                "Judgment in the Amun Valley case",
                &[],
                "AMUN: verdict day",
                true,
            ),
            (
                "Judgment in the Amun Valley case",
                &["void-warrant"],
                "Rumours that the court dropped the Kessaro probe spread online.",
                true,
            ),
            // Naming the case is not enough: the story speaks of a judgment, in any language.
            (
                "Judgment in the Amun Valley case",
                &[],
                "Insiders say the Amun Valley files were wiped in the hack.",
                false,
            ),
            (
                "Judgment in the Amun Valley case",
                &[],
                "Приговор по делу Amun Valley вынесен.",
                true,
            ),
            ("budget session", &[], "Anything at all.", true),
            ("Judgment in the Velmar case", &[], "Velmarian media", false),
        ];
        for (name, queries, text, explained) in cases {
            assert_eq!(
                event(name, queries).concerns(text),
                explained,
                "{name} / {text}"
            );
        }
    }

    #[test]
    fn consecutive_hours_of_one_kind_are_one_episode() {
        let spike = |h: i64, count: u32, urgent: bool| Spike {
            hour: at(h),
            window_hours: 24,
            count,
            expected: 1.0,
            p_value: 0.001,
            z: 4.0,
            burst: true,
            event: None,
            urgent,
        };
        let spikes = [
            spike(10, 5, true),
            spike(11, 8, true),
            spike(12, 6, true),
            spike(13, 6, false),
            spike(20, 9, true),
        ];
        let found = episodes(&spikes);
        let summary: Vec<(i64, i64, usize, u32, bool)> = found
            .iter()
            .map(|e| {
                (
                    (e.start - at(0)).num_hours(),
                    (e.end - at(0)).num_hours(),
                    e.hours,
                    e.peak.count,
                    e.peak.urgent,
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (10, 12, 3, 8, true),
                (13, 13, 1, 6, false),
                (20, 20, 1, 9, true)
            ]
        );
        assert!(episodes(&[]).is_empty());
    }

    fn at(hours: i64) -> DateTime<Utc> {
        // A Monday, midnight.
        DateTime::parse_from_rfc3339("2026-11-02T00:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default()
            + Duration::hours(hours)
    }

    #[test]
    fn poisson_tails_match_known_values() {
        // (k, λ, P(X ≥ k)) from the Poisson CDF.
        let cases = [
            (0, 3.0, 1.0),
            (1, 1.0, 0.632_120_558_8),
            (3, 1.0, 0.080_301_397_5),
            (10, 2.0, 4.649_807e-5),
            (2, 5.0, 0.959_572_318),
            (60, 20.0, 4.233_284_7e-13),
        ];
        for (k, lambda, expected) in cases {
            let p = poisson_tail(k, lambda);
            let tolerance = expected * 0.05 + 1e-15;
            assert!(
                (p - expected).abs() < tolerance,
                "P(X≥{k};{lambda}) = {p}, not {expected}"
            );
        }
        assert!(poisson_tail(1_000, 1.0) < 1e-300 || poisson_tail(1_000, 1.0) == 0.0);
    }

    #[test]
    fn the_baseline_learns_the_week_once_it_has_two() {
        let settings = SpikeSettings::default();
        // Every Monday 09:00 has 10 matches, every other hour 1.
        let history: Vec<u32> = (0..21 * 24)
            .map(|h| if h % (7 * 24) == 9 { 10 } else { 1 })
            .collect();
        let monday_nine = at(21 * 24 + 9);
        let tuesday_nine = at(22 * 24 + 9);
        let seasonal = expected(&history, at(0), monday_nine, &settings);
        let other = expected(&history, at(0), tuesday_nine, &settings);
        assert!(seasonal > 5.0, "{seasonal}");
        assert!(other < seasonal / 2.0, "{other}");
        // With three days of history, a trailing mean.
        let short = &history[..72];
        let trailing = expected(short, at(0), at(72), &settings);
        assert!((trailing - (10.0 + 71.0) / 72.0).abs() < 1e-9, "{trailing}");
        assert_eq!(expected(&[], at(0), at(0), &settings), BASELINE_FLOOR);
    }

    #[test]
    fn ewma_flags_a_jump_not_the_usual_noise() {
        let mut series: Vec<u32> = (0..48).map(|i| 3 + (i % 3)).collect();
        series.push(5);
        assert!(ewma_z(&series, 0.1) < 2.0);
        series.push(30);
        assert!(ewma_z(&series, 0.1) > 5.0);
        assert_eq!(ewma_z(&[7], 0.1), 0.0);
    }

    #[test]
    fn kleinberg_finds_the_sustained_burst_not_one_noisy_hour() {
        // 100 documents an hour; 2 match normally, 20 during hours 40..46, and one lone
        // noisy hour of 6 at hour 10.
        let total = vec![100; 72];
        let mut relevant = vec![2; 72];
        relevant[10] = 6;
        for r in relevant.iter_mut().take(46).skip(40) {
            *r = 20;
        }
        let bursts = kleinberg(&relevant, &total, 2.0, 1.0);
        let hours: Vec<usize> = (0..72).filter(|&t| bursts[t]).collect();
        assert_eq!(hours, (40..46).collect::<Vec<_>>());
        assert!(kleinberg(&[0, 0], &[5, 5], 2.0, 1.0).iter().all(|b| !b));
        assert!(kleinberg(&[], &[], 2.0, 1.0).is_empty());
    }

    #[test]
    fn spikes_are_urgent_unless_an_expected_event_explains_them() {
        let settings = SpikeSettings {
            window_hours: 1,
            ..SpikeSettings::default()
        };
        let total = vec![200u32; 96];
        let mut counts = vec![1u32; 96];
        for c in counts.iter_mut().skip(90) {
            *c = 25;
        }
        let quiet = Calendar::default();
        let found = spikes(&counts, &total, at(0), at(72), "q", &settings, &quiet);
        assert_eq!(found.len(), 6, "{found:?}");
        assert!(
            found
                .iter()
                .all(|s| s.burst && s.urgent && s.p_value < 1e-6)
        );
        let calendar = Calendar::parse(
            "[[event]]\nname = \"Judgment in the Raskov case\"\nkind = \"judgment\"\n\
             start = 2026-11-05T17:00:00Z\nqueries = [\"q\"]\n",
        )
        .unwrap_or_default();
        let found = spikes(&counts, &total, at(0), at(72), "q", &settings, &calendar);
        assert!(
            found
                .iter()
                .all(|s| !s.urgent && s.event.as_deref() == Some("Judgment in the Raskov case"))
        );
        let other_query = spikes(
            &counts,
            &total,
            at(0),
            at(72),
            "other",
            &settings,
            &calendar,
        );
        assert!(other_query.iter().all(|s| s.urgent));
        // Below the minimum count nothing is a spike, however unusual.
        let small: Vec<u32> = (0..96).map(|h| u32::from(h == 95) * 4).collect();
        assert!(spikes(&small, &total, at(0), at(72), "q", &settings, &quiet).is_empty());
    }

    #[test]
    fn a_day_window_catches_a_slow_narrative_that_no_single_hour_shows() {
        // One item every few hours for two days, after two quiet weeks: no hour reaches the
        // minimum, a day does.
        let total = vec![20u32; 16 * 24];
        let mut counts = vec![0u32; 16 * 24];
        for h in (14 * 24..16 * 24).step_by(4) {
            counts[h] = 1;
        }
        let hourly = SpikeSettings {
            window_hours: 1,
            ..SpikeSettings::default()
        };
        let quiet = Calendar::default();
        assert!(spikes(&counts, &total, at(0), at(14 * 24), "q", &hourly, &quiet).is_empty());
        let daily = SpikeSettings::default();
        let found = spikes(&counts, &total, at(0), at(14 * 24), "q", &daily, &quiet);
        let first = found.iter().find(|s| s.urgent).map(|s| s.hour);
        assert_eq!(first, Some(at(14 * 24 + 16)), "{found:?}");
    }

    #[test]
    fn a_story_the_courts_own_channel_began_has_its_statement_as_an_event() {
        let t0 = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 23, 10, 0, 0).unwrap();
        let h = |hours: i64| t0 + Duration::hours(hours);
        let calendar = Calendar {
            event: Vec::new(),
            official_sources: vec!["court-press".into()],
        };
        // (the story's documents as (source, hours), the statement's start if it began it)
        let cases: &[(&[(&str, i64)], Option<i64>)] = &[
            // The court spoke first; outlets followed.
            (&[("court-press", 0), ("wire", 1), ("outlet", 3)], Some(0)),
            // An outlet had it an hour before the court's feed showed it.
            (&[("wire", 0), ("court-press", 1), ("outlet", 2)], Some(1)),
            // The court denying a rumour that spread for a day began nothing.
            (&[("fringe", 0), ("account", 5), ("court-press", 24)], None),
            // No official document: no statement.
            (&[("wire", 0), ("outlet", 1)], None),
        ];
        for (docs, expected) in cases {
            let found = calendar.statement(
                docs.iter()
                    .map(|(source, hours)| (*source, h(*hours), "The court on the cyber-attack")),
            );
            assert_eq!(found.as_ref().map(|e| e.start), expected.map(h), "{docs:?}");
            assert_eq!(
                found.as_ref().and_then(|e| e.end),
                expected.map(|start| h(start + STATEMENT_NEWS_HOURS)),
            );
            if let Some(event) = found {
                assert_eq!(
                    event.name,
                    "Statement from court-press: The court on the cyber-attack"
                );
                assert!(event.queries.is_empty());
            }
        }
        // Without official sources configured, nothing is a statement.
        assert!(
            Calendar::default()
                .statement([("court-press", t0, "x")])
                .is_none()
        );
    }

    #[test]
    fn calendars_are_checked() {
        let cases = [
            (
                "[[event]]\nname = \"x\"\nkind = \"party\"\nstart = 2026-11-05T17:00:00Z\n",
                "kind",
            ),
            (
                "[[event]]\nname = \"x\"\nkind = \"hearing\"\nstart = 2026-11-05T17:00:00Z\nend = 2026-11-04T17:00:00Z\n",
                "ends before",
            ),
            ("[[event]]\nname = \"x\"\n", "missing field"),
        ];
        for (text, expected) in cases {
            let error = Calendar::parse(text).err().unwrap_or_default();
            assert!(error.contains(expected), "{error}");
        }
    }
}
