//! Search as the pages, the API and the export share it: parameters (query text, time range,
//! source, kind, language, stored query, narrative, sort, paging) turned into a compiled query
//! and a filter, then results with highlighted snippets, facet counts and volume over time.

use super::error::WebError;
use crate::index::reader::{ResultStats, SearchFilter, SearchResults, Sort};
use crate::readside::ReadSide;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;

/// Results per page at most.
pub const MAX_LIMIT: usize = 200;
/// Longest backtest, in days (one row and one bar a day).
pub const MAX_BACKTEST_DAYS: i64 = 366;
/// Longest period narratives are assembled over, in days.
pub const MAX_NARRATIVE_DAYS: i64 = 92;
/// Documents a narrative filter considers at most.
const MAX_NARRATIVE_DOCS: usize = 50_000;

/// Search parameters shared by the page, the API and the export.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    pub q: String,
    /// `7d`, `24h`, or a date (`2026-11-01`) or time (RFC 3339).
    #[serde(default)]
    pub since: Option<String>,
    #[serde(default)]
    pub until: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub lang: Option<String>,
    /// A stored query's id.
    #[serde(default)]
    pub query: Option<String>,
    /// A narrative's id.
    #[serde(default)]
    pub narrative: Option<String>,
    #[serde(default)]
    pub sort: Option<Sort>,
    #[serde(default)]
    pub limit: Option<usize>,
    #[serde(default)]
    pub offset: Option<usize>,
}

fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// Earliest and latest years a time may name: older than any web archive Vigil could hold,
/// and far enough ahead for any `until`.
const YEARS: std::ops::RangeInclusive<i32> = 1970..=2200;

/// A point in time: a span back from now (`7d`), a date, or an RFC 3339 time, between 1970
/// and 2200 (anything else is refused, never an overflow).
pub fn parse_time(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let time = if let Ok(span) = crate::types::parse_duration(text) {
        Duration::from_std(span)
            .ok()
            .and_then(|d| now.checked_sub_signed(d))
            .ok_or_else(|| format!("{text:?} reaches back before {}", YEARS.start()))?
    } else if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        t.with_timezone(&Utc)
    } else {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
            .ok_or_else(|| format!("{text:?} is not a span (7d), a date (2026-11-01) or a time"))?
    };
    use chrono::Datelike;
    if !YEARS.contains(&time.year()) {
        return Err(format!(
            "{text:?} is outside the years {} to {}",
            YEARS.start(),
            YEARS.end()
        ));
    }
    Ok(time)
}

/// The start of a backtest: `since` (30 days when absent), at most `MAX_BACKTEST_DAYS` back.
pub fn backtest_since(since: Option<&str>, now: DateTime<Utc>) -> Result<DateTime<Utc>, WebError> {
    let start = parse_time(since.unwrap_or("30d"), now)
        .map_err(|e| WebError::BadRequest(format!("since: {e}")))?;
    if now - start > Duration::days(MAX_BACKTEST_DAYS) {
        return Err(WebError::BadRequest(format!(
            "since: a backtest covers at most the last {MAX_BACKTEST_DAYS} days"
        )));
    }
    Ok(start)
}

impl SearchParams {
    /// Whether there is anything to search for (text or a filter).
    pub fn is_empty(&self) -> bool {
        self.q.trim().is_empty()
            && present(&self.query).is_none()
            && present(&self.narrative).is_none()
            && present(&self.source).is_none()
    }

    /// The query text searched: `*` when only filters are given.
    pub fn text(&self) -> &str {
        if self.q.trim().is_empty() {
            "*"
        } else {
            &self.q
        }
    }
}

/// A compiled search: the scored query, what to highlight and the filter.
pub struct Prepared {
    pub query: Box<dyn tantivy::query::Query>,
    pub highlight: Box<dyn tantivy::query::Query>,
    pub filter: SearchFilter,
}

/// Compiles the parameters. A mistake in them is a `BadRequest` for the person who typed them;
/// a failure reading the state database is Vigil's own.
pub fn prepare(
    read: &ReadSide,
    params: &SearchParams,
    max_limit: usize,
) -> Result<Prepared, WebError> {
    let now = Utc::now();
    let text = params.text();
    let compiled = read
        .compile(text)
        .map_err(|e| WebError::BadRequest(format!("invalid query: {}", e.render(text))))?;
    let highlight = compiled.highlight_query(&read.reader);
    let since = present(&params.since)
        .map(|t| parse_time(t, now).map_err(|e| WebError::BadRequest(format!("since: {e}"))))
        .transpose()?;
    let until = present(&params.until)
        .map(|t| parse_time(t, now).map_err(|e| WebError::BadRequest(format!("until: {e}"))))
        .transpose()?;
    let mut restrict: Vec<(tantivy::query::Occur, Box<dyn tantivy::query::Query>)> = Vec::new();
    if let Some(id) = present(&params.query) {
        let current = read.queries();
        let stored = current
            .iter()
            .find(|q| q.id == id)
            .ok_or_else(|| WebError::BadRequest(format!("no stored query {id:?}")))?;
        restrict.push((tantivy::query::Occur::Must, stored.query.box_clone()));
    }
    if let Some(id) = present(&params.narrative) {
        let mut members = read.store.cluster_members(id)?;
        if members.is_empty() {
            return Err(WebError::BadRequest(format!("no narrative {id:?}")));
        }
        members.truncate(MAX_NARRATIVE_DOCS);
        let field = read.reader.fields().id;
        let terms: Vec<tantivy::Term> = members
            .iter()
            .map(|(doc, _)| tantivy::Term::from_field_text(field, doc))
            .collect();
        restrict.push((
            tantivy::query::Occur::Must,
            Box::new(tantivy::query::TermSetQuery::new(terms)),
        ));
    }
    let one = |v: &Option<String>| present(v).map(|s| vec![s.to_string()]).unwrap_or_default();
    let filter = SearchFilter {
        since,
        until,
        sources: one(&params.source),
        kinds: one(&params.kind),
        langs: one(&params.lang),
        restrict: (!restrict.is_empty()).then(|| {
            Box::new(tantivy::query::BooleanQuery::new(restrict)) as Box<dyn tantivy::query::Query>
        }),
        limit: params.limit.unwrap_or(20).clamp(1, max_limit),
        offset: params.offset.unwrap_or(0).min(10_000),
        sort: params.sort.unwrap_or_default(),
    };
    Ok(Prepared {
        query: compiled.query,
        highlight,
        filter,
    })
}

/// One page of results.
pub fn run(
    read: &ReadSide,
    params: &SearchParams,
    max_limit: usize,
) -> Result<SearchResults, WebError> {
    let started = std::time::Instant::now();
    let prepared = prepare(read, params, max_limit)?;
    let results =
        read.reader
            .search_highlighting(&*prepared.query, &*prepared.highlight, &prepared.filter);
    crate::metrics::global()
        .search_latency
        .observe(started.elapsed().as_secs_f64());
    Ok(results?)
}

/// Facets and volume of the whole result set: daily over the range (hourly under three days).
pub fn stats(read: &ReadSide, params: &SearchParams) -> Result<ResultStats, WebError> {
    let prepared = prepare(read, params, MAX_LIMIT)?;
    let now = Utc::now();
    let end = prepared.filter.until.unwrap_or(now).min(now);
    let start = prepared.filter.since.unwrap_or(end - Duration::days(30));
    let span = (end - start).num_seconds().max(1);
    // Hours under three days, else days, else as many days a bar as keep it to 400 bars.
    let bucket = if span <= 3 * 86_400 {
        3_600
    } else {
        86_400 * (span / 86_400 / 400 + 1)
    };
    let buckets = (span / bucket + 1) as usize;
    let start = if bucket >= 86_400 {
        start
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .map_or(start, |t| t.and_utc())
    } else {
        start
    };
    read.reader
        .stats(
            &*prepared.query,
            &prepared.filter,
            start,
            bucket,
            buckets.min(400),
        )
        .map_err(WebError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_spans_dates_or_timestamps() {
        let now = DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let cases = [
            ("7d", Some("2026-11-21T12:00:00+00:00")),
            ("24h", Some("2026-11-27T12:00:00+00:00")),
            ("2026-11-01", Some("2026-11-01T00:00:00+00:00")),
            (
                "2026-11-02T08:30:00+01:00",
                Some("2026-11-02T07:30:00+00:00"),
            ),
            ("yesterday", None),
            ("100000y", None),
            ("300000y", None),
            ("99999999999999999999d", None),
            ("1969-12-31", None),
            ("+275760-09-13T00:00:00Z", None),
        ];
        for (text, expected) in cases {
            assert_eq!(
                parse_time(text, now).ok().map(|t| t.to_rfc3339()),
                expected.map(str::to_string),
                "{text}"
            );
        }
    }
}
