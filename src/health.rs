//! Source health: what state each configured source is in, from its crawl state and how many
//! documents it brought lately. Pure classification with table tests; `vigil sources status`,
//! the digest and (later) the web UI show it.

use crate::store::SourceState;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::time::Duration;

/// A source with nothing new for this many polls' worth of time (and at least `SILENT_FLOOR`) is
/// "silent": a feed that stopped updating, or a source that changed its URL.
pub const SILENT_AFTER_INTERVALS: u32 = 24;
/// Shortest silence worth flagging.
pub const SILENT_FLOOR: Duration = Duration::from_secs(3 * 24 * 3600);

/// The health of one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// Not fetched yet.
    New,
    /// Last fetch succeeded and it brings documents.
    Ok,
    /// Failing, fewer times in a row than the unhealthy threshold.
    Failing,
    /// Failing at least `unhealthy_after` times in a row: retried slowly.
    Unhealthy,
    /// Fetches succeed but nothing new has come for a long time.
    Silent,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::New => "new",
            Health::Ok => "ok",
            Health::Failing => "failing",
            Health::Unhealthy => "unhealthy",
            Health::Silent => "silent",
        }
    }
}

/// Classifies a source.
pub fn classify(
    state: Option<&SourceState>,
    interval: Duration,
    unhealthy_after: u32,
    now: DateTime<Utc>,
) -> Health {
    let Some(state) = state else {
        return Health::New;
    };
    if state.consecutive_failures >= unhealthy_after {
        return Health::Unhealthy;
    }
    if state.consecutive_failures > 0 {
        return Health::Failing;
    }
    let Some(first_success) = state.first_success else {
        return Health::New;
    };
    let silence = (interval * SILENT_AFTER_INTERVALS).max(SILENT_FLOOR);
    let silence = chrono::Duration::from_std(silence).unwrap_or(chrono::Duration::days(3));
    let quiet_since = state.last_new_document.unwrap_or(first_success);
    if now - quiet_since > silence {
        Health::Silent
    } else {
        Health::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_sources() {
        let now = DateTime::parse_from_rfc3339("2026-03-10T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let days_ago = |d: i64| Some(now - chrono::Duration::days(d));
        let interval = Duration::from_secs(15 * 60);
        let base = SourceState {
            first_success: days_ago(30),
            last_new_document: days_ago(0),
            ..SourceState::default()
        };
        let cases = [
            ("never fetched", None, Health::New),
            ("fine", Some(base.clone()), Health::Ok),
            (
                "two failures",
                Some(SourceState {
                    consecutive_failures: 2,
                    ..base.clone()
                }),
                Health::Failing,
            ),
            (
                "five failures",
                Some(SourceState {
                    consecutive_failures: 5,
                    ..base.clone()
                }),
                Health::Unhealthy,
            ),
            (
                "quiet for 4 days",
                Some(SourceState {
                    last_new_document: days_ago(4),
                    ..base.clone()
                }),
                Health::Silent,
            ),
            (
                "quiet for 2 days",
                Some(SourceState {
                    last_new_document: days_ago(2),
                    ..base.clone()
                }),
                Health::Ok,
            ),
            (
                "never brought anything, for 10 days",
                Some(SourceState {
                    last_new_document: None,
                    first_success: days_ago(10),
                    ..base.clone()
                }),
                Health::Silent,
            ),
            (
                "failed before any success",
                Some(SourceState {
                    first_success: None,
                    consecutive_failures: 1,
                    ..SourceState::default()
                }),
                Health::Failing,
            ),
        ];
        for (name, state, expected) in cases {
            assert_eq!(
                classify(state.as_ref(), interval, 5, now),
                expected,
                "{name}"
            );
        }
    }
}

/// One configured source as the status table shows it.
#[derive(Debug, Clone, Serialize)]
pub struct SourceStatus {
    pub name: String,
    pub url: String,
    pub health: Health,
    pub last_success: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    pub next_poll: Option<DateTime<Utc>>,
    pub items_per_day: f64,
    pub documents_total: u64,
    /// Items the last poll found, readable or not, and those that could not be read.
    pub last_items: Option<u64>,
    pub last_unreadable: u64,
}

impl SourceStatus {
    /// "3 of 10 items unreadable" when the last poll lost items, for the status table.
    pub fn losses(&self) -> Option<String> {
        (self.last_unreadable > 0).then(|| {
            format!(
                "{} of {} items unreadable",
                self.last_unreadable,
                self.last_items.unwrap_or(self.last_unreadable)
            )
        })
    }
}

/// Every configured source's status, in configuration order (CLI and web).
pub fn source_statuses(
    config: &crate::config::Config,
    read: &crate::readside::ReadSide,
    now: DateTime<Utc>,
) -> Result<Vec<SourceStatus>, crate::detect::DetectError> {
    let states: std::collections::HashMap<String, SourceState> = read
        .store
        .source_states()?
        .into_iter()
        .map(|s| (s.name.clone(), s))
        .collect();
    let names: Vec<String> = config.sources.iter().map(|s| s.name.clone()).collect();
    let week = read
        .reader
        .count_by_source(&names, now - chrono::Duration::days(7))?;
    Ok(config
        .sources
        .iter()
        .map(|source| {
            let state = states.get(&source.name);
            SourceStatus {
                name: source.name.clone(),
                url: source.shown_url(),
                health: classify(state, source.interval, config.crawl.unhealthy_after, now),
                last_success: state.and_then(|s| s.last_success),
                last_error: state.and_then(|s| s.last_error.as_deref().map(|e| source.scrub(e))),
                consecutive_failures: state.map_or(0, |s| s.consecutive_failures),
                next_poll: state.and_then(|s| s.next_due),
                items_per_day: week.get(&source.name).copied().unwrap_or(0) as f64 / 7.0,
                documents_total: state.map_or(0, |s| s.documents_total),
                last_items: state.and_then(|s| s.last_items),
                last_unreadable: state.map_or(0, |s| s.last_unreadable),
            }
        })
        .collect())
}
