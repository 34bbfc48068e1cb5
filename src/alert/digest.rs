//! The digest of a period: emerging narratives first, then each stored query's volume against
//! the previous period, then the top matched documents with highlighted snippets, then sources
//! that went silent or keep failing. In: the read side (state database, index, stored queries),
//! the configuration (for source health) and a selection of queries and severities; out: a
//! `Digest`, which `render` turns into every format. Urgent alerts are digests too, holding only
//! their narratives.

use crate::config::Config;
use crate::detect::narrative::Narrative;
use crate::detect::{DocRef, QueryActivity};
use crate::health::Health;
use crate::index::reader::{Highlighted, SearchFilter, Sort};
use crate::query::stored::StoredQuery;
use crate::readside::ReadSide;
use crate::types::Severity;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Documents listed under "top documents".
const TOP_DOCUMENTS: usize = 10;
/// Narratives listed at most.
const TOP_NARRATIVES: usize = 10;

/// Which stored queries a digest covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// Query ids (all when empty).
    pub queries: Vec<String>,
    pub min_severity: Severity,
}

impl Selection {
    /// Every query, every severity.
    pub fn all() -> Selection {
        Selection {
            queries: Vec::new(),
            min_severity: Severity::Info,
        }
    }

    pub fn covers(&self, query: &StoredQuery) -> bool {
        query.severity >= self.min_severity
            && (self.queries.is_empty() || self.queries.iter().any(|q| *q == query.id))
    }
}

/// What a digest is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A scheduled (or on-demand) digest of a period.
    Digest,
    /// An urgent narrative, sent at once.
    Alert,
    /// Narratives alerted before that have grown since.
    Update,
}

/// One stored query's volume in the period and the period before.
#[derive(Debug, Clone, Serialize)]
pub struct Volume {
    pub query_id: String,
    pub title: String,
    pub severity: Severity,
    pub count: usize,
    pub previous: usize,
    /// The query passed its emergence thresholds or spiked in the period.
    pub flagged: bool,
    /// The largest spike of the period, described.
    pub spike: Option<String>,
}

/// A source that went silent or keeps failing.
#[derive(Debug, Clone, Serialize)]
pub struct SourceProblem {
    pub name: String,
    pub url: String,
    pub health: Health,
    pub error: String,
    pub consecutive_failures: u32,
    pub last_success: Option<DateTime<Utc>>,
    pub last_new_document: Option<DateTime<Utc>>,
}

/// A matched document with the queries it matched, its title and snippet highlighted.
#[derive(Debug, Clone, Serialize)]
pub struct TopDocument {
    pub doc: DocRef,
    pub title: Highlighted,
    pub snippet: Highlighted,
    pub queries: Vec<String>,
}

/// Everything a digest shows.
#[derive(Debug, Clone, Serialize)]
pub struct Digest {
    pub kind: Kind,
    /// "Vigil digest", "Urgent narrative: …".
    pub title: String,
    /// The schedule it was made for, if any.
    pub schedule: Option<String>,
    pub generated: DateTime<Utc>,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub narratives: Vec<Narrative>,
    pub volumes: Vec<Volume>,
    pub top_documents: Vec<TopDocument>,
    pub source_problems: Vec<SourceProblem>,
    /// Stored-query files that failed to load and were skipped, each with its reason.
    #[serde(default)]
    pub query_problems: Vec<String>,
}

/// An error building a digest.
#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Index(#[from] crate::index::IndexError),
    #[error(transparent)]
    Detect(#[from] crate::detect::DetectError),
    #[error("stored query {id}: {message}")]
    Query { id: String, message: String },
}

/// Whether a narrative is emerging: an urgent spike, or new or growing with three documents.
pub fn emerging(narrative: &Narrative) -> bool {
    narrative.urgent
        || (narrative.documents >= 3
            && matches!(
                narrative.state,
                crate::detect::narrative::Lifecycle::New
                    | crate::detect::narrative::Lifecycle::Growing
            ))
}

/// Whether a narrative concerns the selection: one of its queries is covered.
pub fn concerns(narrative: &Narrative, queries: &[StoredQuery], selection: &Selection) -> bool {
    narrative
        .queries
        .iter()
        .any(|(id, _)| queries.iter().any(|q| &q.id == id && selection.covers(q)))
}

/// Builds the digest of `[start, end)` for `selection`.
pub fn build(
    read: &ReadSide,
    config: &Config,
    selection: &Selection,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Digest, DigestError> {
    let current = read.queries();
    let queries: Vec<&StoredQuery> = current.iter().filter(|q| selection.covers(q)).collect();
    let span = end - start;
    // Narratives active in the period that concern the selection, emerging ones only.
    let narratives: Vec<Narrative> = read
        .narratives(start, end)?
        .into_iter()
        .filter(|n| emerging(n) && concerns(n, &current, selection))
        .take(TOP_NARRATIVES)
        .collect();
    // Volumes, with the query-level emergence flags and spikes at the period's end.
    let activity: Vec<QueryActivity> =
        crate::detect::assess_queries(&read.store, &read.reader, &current, &read.calendar, end)?;
    let mut volumes = Vec::with_capacity(queries.len());
    for query in &queries {
        let count = read.store.count_matches_between(&query.id, start, end)?;
        let previous = read
            .store
            .count_matches_between(&query.id, start - span, start)?;
        let own = activity.iter().find(|a| a.query_id == query.id);
        let spike = own
            .and_then(|a| {
                a.spikes
                    .iter()
                    .filter(|s| s.hour >= start)
                    .max_by_key(|s| s.count)
            })
            .map(|s| {
                format!(
                    "{} in the {} h to {} (expected {:.1}){}",
                    s.count,
                    s.window_hours,
                    time(s.hour),
                    s.expected,
                    s.event
                        .as_deref()
                        .map(|e| format!(", during {e}"))
                        .unwrap_or_default()
                )
            });
        volumes.push(Volume {
            query_id: query.id.clone(),
            title: query.title.clone(),
            severity: query.severity,
            count,
            previous,
            flagged: own.is_some_and(|a| a.assessment.flagged) || spike.is_some(),
            spike,
        });
    }
    volumes.sort_by(|a, b| {
        b.flagged
            .cmp(&a.flagged)
            .then(b.severity.cmp(&a.severity))
            .then(b.count.cmp(&a.count))
            .then(a.query_id.cmp(&b.query_id))
    });
    let top_documents = top_documents(read, &queries, start, end)?;
    Ok(Digest {
        kind: Kind::Digest,
        title: "Vigil digest".into(),
        schedule: None,
        // The period's end, not the wall clock: a digest replayed for a past period is exact.
        generated: end,
        period_start: start,
        period_end: end,
        narratives,
        volumes,
        top_documents,
        source_problems: source_problems(read, config, end)?,
        query_problems: read.query_failures().to_vec(),
    })
}

/// The newest matches of the most severe queries first, with the query's words highlighted.
fn top_documents(
    read: &ReadSide,
    queries: &[&StoredQuery],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<TopDocument>, DigestError> {
    let mut ordered: Vec<&&StoredQuery> = queries.iter().collect();
    ordered.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(&b.id)));
    let mut out: Vec<TopDocument> = Vec::new();
    let mut candidates: Vec<(Severity, TopDocument)> = Vec::new();
    for query in ordered {
        let compiled = crate::query::compile_with(
            read.reader.index(),
            &query.query_text,
            &query.lists,
            &query.languages,
            crate::query::Scoring::Relevance,
        )
        .map_err(|e| DigestError::Query {
            id: query.id.clone(),
            message: e.message.clone(),
        })?;
        let highlight = compiled.highlight_query(&read.reader);
        let filter = SearchFilter {
            since: Some(start),
            sources: Vec::new(),
            limit: TOP_DOCUMENTS * 2,
            offset: 0,
            sort: Sort::Newest,
            ..Default::default()
        };
        let results = read
            .reader
            .search_highlighting(&*compiled.query, &*highlight, &filter)?;
        for hit in results.hits.into_iter().filter(|h| h.published < end) {
            if let Some((_, existing)) = candidates.iter_mut().find(|(_, c)| c.doc.id == hit.id) {
                existing.queries.push(query.id.clone());
                continue;
            }
            candidates.push((
                query.severity,
                TopDocument {
                    doc: DocRef {
                        id: hit.id,
                        title: hit.title.text.clone(),
                        url: hit.url,
                        source: hit.source,
                        published: hit.published,
                    },
                    title: hit.title,
                    snippet: hit.snippet,
                    queries: vec![query.id.clone()],
                },
            ));
        }
    }
    candidates.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(b.1.doc.published.cmp(&a.1.doc.published))
            .then(a.1.doc.id.cmp(&b.1.doc.id))
    });
    out.extend(candidates.into_iter().take(TOP_DOCUMENTS).map(|(_, d)| d));
    Ok(out)
}

/// Configured sources that are failing, unhealthy or silent.
fn source_problems(
    read: &ReadSide,
    config: &Config,
    now: DateTime<Utc>,
) -> Result<Vec<SourceProblem>, DigestError> {
    let states = read.store.source_states()?;
    let mut out = Vec::new();
    for source in &config.sources {
        let state = states.iter().find(|s| s.name == source.name);
        let health =
            crate::health::classify(state, source.interval, config.crawl.unhealthy_after, now);
        if !matches!(health, Health::Failing | Health::Unhealthy | Health::Silent) {
            continue;
        }
        out.push(SourceProblem {
            name: source.name.clone(),
            url: source.shown_url(),
            health,
            error: state
                .and_then(|s| s.last_error.as_deref().map(|e| source.scrub(e)))
                .unwrap_or_default(),
            consecutive_failures: state.map_or(0, |s| s.consecutive_failures),
            last_success: state.and_then(|s| s.last_success),
            last_new_document: state.and_then(|s| s.last_new_document),
        });
    }
    Ok(out)
}

fn time(t: DateTime<Utc>) -> String {
    super::render::time(t)
}
