//! Emergence detection over recorded matches. `emergence` holds the rule; this module gathers,
//! for every stored query, what the rule needs and what a person needs to judge a flag: counts,
//! first seen, sources, sample headlines, and the largest group of near-identical copies posted
//! by different sources (the near-duplicate groups `dedup` assigned at ingest). It describes activity; it never labels a document as disinformation.

pub mod cluster;
pub mod concepts;
pub mod coordination;
pub mod emergence;
pub mod evidence;
pub mod narrative;
pub mod quality;
pub mod spike;

use crate::index::reader::{Reader, StoredDoc};
use crate::query::stored::StoredQuery;
use crate::store::Store;
use crate::types::Severity;
use chrono::{DateTime, DurationRound, Utc};
use emergence::Assessment;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Most window documents read back to look for copies.
const MAX_DOCS_FOR_COPIES: usize = 2_000;
/// Sample headlines per narrative.
const SAMPLES: usize = 3;

/// A document referred to in a report.
#[derive(Debug, Clone, Serialize)]
pub struct DocRef {
    pub id: String,
    pub title: String,
    pub url: String,
    pub source: String,
    pub published: DateTime<Utc>,
}

impl From<&StoredDoc> for DocRef {
    fn from(doc: &StoredDoc) -> Self {
        DocRef {
            id: doc.id.clone(),
            title: doc.title.clone(),
            url: doc.url.clone(),
            source: doc.source.clone(),
            published: doc.published,
        }
    }
}

/// Near-identical documents posted by more than one source.
#[derive(Debug, Clone, Serialize)]
pub struct CopyGroup {
    pub documents: usize,
    pub sources: Vec<String>,
    pub example: DocRef,
    /// Outlets carrying the same report (see `evidence::pattern`): shown, never a technique.
    pub syndicated: bool,
    /// What the copies' sources and timing show, in a sentence.
    pub evidence: String,
}

/// The activity of one stored query in the current window.
#[derive(Debug, Clone, Serialize)]
pub struct QueryActivity {
    pub query_id: String,
    pub title: String,
    pub severity: Severity,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub assessment: Assessment,
    pub first_seen: Option<DocRef>,
    /// Sources in the window with their match counts, most first.
    pub sources: Vec<(String, usize)>,
    pub samples: Vec<DocRef>,
    pub copies: Option<CopyGroup>,
    /// Unusual hours of the last day (see `spike`).
    pub spikes: Vec<spike::Spike>,
}

/// A failure while reading or writing what detection works on: the state database or the
/// index (spikes, clusters, narratives and source health all fail only these two ways).
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Index(#[from] crate::index::IndexError),
}

impl From<tantivy::TantivyError> for DetectError {
    fn from(error: tantivy::TantivyError) -> Self {
        DetectError::Index(crate::index::IndexError::Tantivy(error))
    }
}

/// Assesses every stored query at `now`; flagged ones first (most severe, then highest ratio).
/// Each query's hourly volume over two weeks is also tested for spikes (its `[spike]`
/// settings, the calendar's expected events).
pub fn assess_queries(
    store: &Store,
    reader: &Reader,
    queries: &[StoredQuery],
    calendar: &spike::Calendar,
    now: DateTime<Utc>,
) -> Result<Vec<QueryActivity>, DetectError> {
    let mut out = Vec::with_capacity(queries.len());
    let hours = 14 * 24;
    let start = now - chrono::Duration::hours(hours as i64 - 1);
    let start = start
        .duration_trunc(chrono::Duration::hours(1))
        .unwrap_or(start);
    let totals = reader.hourly_counts(None, start, hours)?;
    for query in queries {
        let volume = store.matches_between(&query.id, start, now + chrono::Duration::seconds(1))?;
        let mut counts = vec![0u32; hours];
        for row in &volume {
            if let Some(slot) = usize::try_from((row.published - start).num_hours())
                .ok()
                .and_then(|h| counts.get_mut(h))
            {
                *slot += 1;
            }
        }
        let spikes = spike::spikes(
            &counts,
            &totals,
            start,
            now - chrono::Duration::hours(24),
            &query.id,
            &query.spike,
            calendar,
        );
        let settings = &query.emergence;
        let window_start = settings.window_start(now);
        let rows = store.matches_between(
            &query.id,
            settings.baseline_start(now),
            now + chrono::Duration::seconds(1),
        )?;
        let times: Vec<DateTime<Utc>> = rows.iter().map(|r| r.published).collect();
        let assessment = emergence::assess(&times, now, settings);
        let in_window: Vec<_> = rows.iter().filter(|r| r.published > window_start).collect();
        let mut per_source: BTreeMap<&str, usize> = BTreeMap::new();
        for row in &in_window {
            *per_source.entry(row.source.as_str()).or_default() += 1;
        }
        let mut sources: Vec<(String, usize)> = per_source
            .into_iter()
            .map(|(s, n)| (s.to_string(), n))
            .collect();
        sources.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));

        let newest: Vec<String> = in_window
            .iter()
            .rev()
            .take(SAMPLES)
            .map(|r| r.doc_id.clone())
            .collect();
        let samples = reader
            .docs_by_id(&newest)?
            .iter()
            .map(DocRef::from)
            .collect();
        let first_seen = match store.first_match(&query.id)? {
            Some(row) => reader.docs_by_id(&[row.doc_id])?.first().map(DocRef::from),
            None => None,
        };
        let window_ids: Vec<String> = in_window
            .iter()
            .rev()
            .take(MAX_DOCS_FOR_COPIES)
            .map(|r| r.doc_id.clone())
            .collect();
        let copies = largest_copy_group(&reader.docs_by_id(&window_ids)?);
        out.push(QueryActivity {
            query_id: query.id.clone(),
            title: query.title.clone(),
            severity: query.severity,
            window_start,
            window_end: now,
            assessment,
            first_seen,
            sources,
            samples,
            copies,
            spikes,
        });
    }
    out.sort_by(|a, b| {
        b.assessment
            .flagged
            .cmp(&a.assessment.flagged)
            .then(b.severity.cmp(&a.severity))
            .then(b.assessment.ratio.total_cmp(&a.assessment.ratio))
            .then(a.query_id.cmp(&b.query_id))
    });
    Ok(out)
}

/// The largest group of near-identical copies (the `dup_group` assigned at ingest) among the
/// documents that `evidence::pattern` has something to say about, copy-paste before syndication.
pub fn largest_copy_group(docs: &[StoredDoc]) -> Option<CopyGroup> {
    let items = evidence::items(docs);
    evidence::copy_groups(&items)
        .into_iter()
        .map(|judged| {
            let sources: BTreeSet<&str> = judged
                .members
                .iter()
                .map(|&i| docs[i].source.as_str())
                .collect();
            CopyGroup {
                documents: judged.members.len(),
                sources: sources.into_iter().map(str::to_string).collect(),
                example: DocRef::from(&docs[judged.members[0]]),
                syndicated: judged.syndicated,
                evidence: judged.evidence,
            }
        })
        .max_by_key(|g| (!g.syndicated, g.sources.len(), g.documents))
}
