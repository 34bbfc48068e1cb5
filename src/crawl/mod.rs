//! One source's poll, whatever its kind: read its crawl state, fetch its page through the
//! polite fetcher, parse and normalise the items, read older pages and article pages where the
//! kind needs them, and hand the documents to the writer as a `SourceBatch` with the crawl state
//! to record once they are committed. In: a `SourceConfig`, the fetcher and the state database
//! (read, and written only for failures and deferrals, which skip no content); out: a
//! `SourceOutcome` for the report and, on success, one batch on the writer's channel.
//!
//! `kinds` holds what differs between source kinds (first page, sessions, older pages);
//! `fulltext` fetches article pages for items that carry only a summary.

pub mod fulltext;
pub mod kinds;

use crate::config::SourceConfig;
use crate::fetch::{FetchError, FetchErrorKind, FetchRequest, Fetcher};
use crate::model::Document;
use crate::schedule::{Bounds, Hints, History};
use crate::store::{SourceState, Store};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::mpsc;

pub use kinds::Sessions;

/// What happened to one source in a pass.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SourceOutcome {
    pub name: String,
    pub url: String,
    /// Items the feed held (0 when not modified or failed).
    pub items: usize,
    /// Documents that were new or changed and got indexed.
    pub new_documents: usize,
    pub not_modified: bool,
    /// Items beyond the per-feed limit that were dropped.
    pub dropped_items: usize,
    /// Items that could not be read (the rest were kept), each with why and where.
    pub unreadable_items: Vec<String>,
    /// Article pages fetched and extracted for full text.
    pub articles: usize,
    /// Article pages that could not be fetched or had no extractable text.
    pub article_errors: usize,
    /// Not fetched because its host is pausing (Retry-After or error backoff); not a failure.
    pub deferred_until: Option<DateTime<Utc>>,
    /// The error, naming the source and URL, when the source failed.
    pub error: Option<String>,
}

/// A source's fetched and parsed documents, with the crawl state to record once they are durable.
#[derive(Debug)]
pub struct SourceBatch {
    pub source: SourceConfig,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub fetched_at: DateTime<Utc>,
    pub hints: crate::schedule::Hints,
    /// Unchanged polls in a row before this one.
    pub prior_unchanged: u32,
    /// The paging cursor the response gave, recorded with the rest once committed.
    pub cursor: Option<String>,
    /// The API endpoint the configured URL was resolved to, if it was.
    pub api_url: Option<String>,
    /// Items the response held (readable or not) and those that could not be read.
    pub items: usize,
    pub unreadable: usize,
    pub documents: Vec<Document>,
    /// The responses the documents came from (feed pages, article pages), each with the ids
    /// of the documents it carried: the writer keeps them for evidence (`store::evidence`).
    pub captures: Vec<Captured>,
}

/// One response and the documents it carried.
#[derive(Debug, Clone)]
pub struct Captured {
    pub fetched: Arc<crate::model::Fetched>,
    pub documents: Vec<String>,
}

/// Groups each document under the responses it came from.
fn captures_of(documents: &[(Document, Vec<Arc<crate::model::Fetched>>)]) -> Vec<Captured> {
    let mut out: Vec<Captured> = Vec::new();
    for (document, fetches) in documents {
        for fetched in fetches {
            match out.iter_mut().find(|c| Arc::ptr_eq(&c.fetched, fetched)) {
                Some(captured) => captured.documents.push(document.id.clone()),
                None => out.push(Captured {
                    fetched: fetched.clone(),
                    documents: vec![document.id.clone()],
                }),
            }
        }
    }
    out
}

/// Which of a list of document ids the index already holds (the state database locally; the
/// index node, asked over the broker, for a worker). Article pages of known documents are not
/// fetched again.
pub type KnownDocuments = Arc<
    dyn Fn(
            Vec<String>,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = HashSet<String>> + Send>>
        + Send
        + Sync,
>;

/// `KnownDocuments` from the state database.
pub fn known_in(store: &Arc<Store>) -> KnownDocuments {
    let store = store.clone();
    Arc::new(move |ids: Vec<String>| {
        let store = store.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
                store.known_documents(&ids)
            })
            .await
            .ok()
            .and_then(Result::ok)
            .map(|known| known.into_keys().collect())
            .unwrap_or_default()
        })
    })
}

/// What one poll produced, before anything is recorded: the batch for the writer, or why
/// there is none. The same whether the poll ran in this process or on a worker.
#[derive(Debug)]
pub enum Polled {
    Batch(SourceBatch),
    Failed {
        message: String,
        retry_after: Option<DateTime<Utc>>,
    },
    /// The host asked for (or earned) a pause: not a failure of this source.
    Deferred {
        until: DateTime<Utc>,
    },
}

/// An outcome with nothing in it yet.
pub fn new_outcome(source: &SourceConfig) -> SourceOutcome {
    outcome_named(&source.name, source.url.as_str())
}

/// An empty outcome for a source known only by name and address (a job for a source the
/// worker's configuration lacks).
pub fn outcome_named(name: &str, url: &str) -> SourceOutcome {
    SourceOutcome {
        name: name.to_string(),
        url: url.to_string(),
        items: 0,
        new_documents: 0,
        not_modified: false,
        dropped_items: 0,
        unreadable_items: Vec::new(),
        articles: 0,
        article_errors: 0,
        deferred_until: None,
        error: None,
    }
}

/// Polls one source: its page (and older pages, and article pages for full text) fetched,
/// parsed and normalised, then handed to the writer. A failure is recorded on the source's
/// state and returned in the outcome; it never stops the pass.
pub async fn crawl_source(
    source: SourceConfig,
    fetcher: &Fetcher,
    store: &Arc<Store>,
    sender: &mpsc::Sender<SourceBatch>,
    bounds: &Bounds,
    sessions: &Sessions,
) -> SourceOutcome {
    let mut outcome = new_outcome(&source);
    let state = {
        let store = store.clone();
        let name = source.name.clone();
        tokio::task::spawn_blocking(move || store.source_state(&name)).await
    };
    let polled = match state {
        Ok(Ok(state)) => {
            let state = state.unwrap_or_default();
            poll(
                &source,
                &state,
                fetcher,
                sessions,
                &known_in(store),
                &mut outcome,
            )
            .await
        }
        Ok(Err(e)) => Polled::Failed {
            message: e.to_string(),
            retry_after: None,
        },
        Err(e) => Polled::Failed {
            message: e.to_string(),
            retry_after: None,
        },
    };
    settle(polled, &source, store, sender, bounds, &mut outcome).await;
    outcome
}

/// Records what a poll produced: a failure or a deferral on the source's state, or the batch
/// sent to the writer (which records the rest once the documents are committed).
pub async fn settle(
    polled: Polled,
    source: &SourceConfig,
    store: &Arc<Store>,
    sender: &mpsc::Sender<SourceBatch>,
    bounds: &Bounds,
    outcome: &mut SourceOutcome,
) {
    match polled {
        Polled::Batch(batch) => {
            if sender.send(batch).await.is_err() {
                outcome.error = Some(format!(
                    "source {:?}: {}: the index writer stopped",
                    source.name,
                    source.shown_url()
                ));
            }
        }
        Polled::Failed {
            message,
            retry_after,
        } => {
            fail(
                outcome,
                store,
                source,
                Failure {
                    message,
                    retry_after,
                    bounds: *bounds,
                },
            )
            .await;
        }
        Polled::Deferred { until } => {
            let (store, name, url) = (store.clone(), source.name.clone(), source.url.to_string());
            let recorded =
                tokio::task::spawn_blocking(move || store.record_deferral(&name, &url, until))
                    .await;
            if let Ok(Err(e)) = recorded {
                tracing::error!(source = %source.name, error = %e, "could not record a deferral");
            }
            outcome.deferred_until = Some(until);
        }
    }
}

/// One poll of a source from its crawl state, touching no database: first page, session,
/// fetch, parse, older pages, article pages. Counts go into `outcome`.
pub async fn poll(
    source: &SourceConfig,
    state: &SourceState,
    fetcher: &Fetcher,
    sessions: &Sessions,
    known: &KnownDocuments,
    outcome: &mut SourceOutcome,
) -> Polled {
    let failed = |message: String| Polled::Failed {
        message,
        retry_after: None,
    };
    let same_url = state.url == source.url.as_str();
    let (url, api_url) = match kinds::first_page(source, state, fetcher).await {
        Ok(found) => found,
        Err(message) => return failed(message),
    };
    let bearer = match &source.auth {
        None => None,
        Some(auth) => match kinds::open_session(source, auth, fetcher, sessions).await {
            Ok(token) => Some(token),
            Err(message) => return failed(message),
        },
    };
    let request = FetchRequest {
        source: source.name.clone(),
        allow_private: source.private_allowed(&url),
        url,
        // robots.txt governs crawling pages, not documented APIs.
        respect_robots: !source.api && !source.kind.is_api(),
        etag: state.etag.clone().filter(|_| same_url),
        last_modified: state.last_modified.clone().filter(|_| same_url),
        bearer,
    };
    let fetched = match fetcher.fetch(&request).await {
        Ok(fetched) => fetched,
        Err(FetchError {
            kind: FetchErrorKind::Deferred { host, until },
            ..
        }) => {
            tracing::info!(source = %source.name, url = %source.shown_url(), host = %host, until = %until, "deferred: host is backing off");
            return Polled::Deferred { until };
        }
        Err(error) => {
            tracing::warn!(source = %source.name, url = %source.shown_url(), error = %error.kind, "fetch failed");
            if matches!(error.kind, FetchErrorKind::Status { status: 401, .. }) {
                // The token expired or was revoked: the next poll opens a new session.
                sessions.lock().await.remove(&source.name);
            }
            let retry_after = match &error.kind {
                FetchErrorKind::Status { retry_after, .. } => *retry_after,
                _ => None,
            };
            return Polled::Failed {
                message: error.to_string(),
                retry_after,
            };
        }
    };
    tracing::debug!(source = %source.name, url = %crate::text::redact_url(fetched.url.as_str()), status = fetched.status, bytes = fetched.body.len(), elapsed_ms = fetched.elapsed.as_millis() as u64, "fetched");
    let mut hints = Hints {
        max_age: fetched
            .cache_control
            .as_deref()
            .and_then(crate::schedule::parse_max_age),
        expires: fetched
            .expires
            .as_deref()
            .and_then(crate::schedule::parse_http_date),
        ..Hints::default()
    };
    let mut cursor: Option<String> = None;
    let fetched = Arc::new(fetched);
    let documents = if fetched.not_modified {
        outcome.not_modified = true;
        Vec::new()
    } else {
        let for_parse = fetched.clone();
        let for_source = source.clone();
        let parsed =
            tokio::task::spawn_blocking(move || parse_and_normalise(&for_source, &for_parse)).await;
        match parsed {
            Ok(Ok((parsed, candidates))) => {
                outcome.items = parsed.items.len();
                outcome.dropped_items = parsed.dropped;
                for loss in &parsed.unreadable {
                    tracing::warn!(source = %source.name, url = %crate::text::redact_url(fetched.url.as_str()), loss = %loss, "item unreadable; the others were kept");
                }
                outcome.unreadable_items = parsed.unreadable.clone();
                hints.feed_ttl = parsed.feed_ttl;
                hints.update_period = parsed.update_period;
                cursor = parsed.cursor.clone();
                if parsed.dropped > 0 {
                    tracing::warn!(source = %source.name, url = %crate::text::redact_url(fetched.url.as_str()), kept = parsed.items.len(), dropped = parsed.dropped, "feed has more items than the limit; kept the newest");
                }
                let mut candidates = candidates;
                let older =
                    kinds::older_page(source, &fetched.url, &parsed, state.cursor.as_deref());
                candidates.extend(
                    kinds::read_older_pages(
                        source,
                        older,
                        state.cursor.as_deref(),
                        fetcher,
                        outcome,
                    )
                    .await,
                );
                fulltext::complete_with_articles(source, candidates, fetcher, known, outcome).await
            }
            Ok(Err(error)) => {
                tracing::warn!(source = %source.name, url = %crate::text::redact_url(fetched.url.as_str()), error = %error.message, "parse failed");
                return failed(error.to_string());
            }
            Err(join) => {
                return failed(format!(
                    "source {:?}: {}: parser crashed: {join}",
                    source.name,
                    source.shown_url()
                ));
            }
        }
    };
    let captures = captures_of(&documents);
    let documents = documents.into_iter().map(|(d, _)| d).collect();
    let batch = SourceBatch {
        source: source.clone(),
        etag: fetched.etag.clone(),
        last_modified: fetched.last_modified.clone(),
        fetched_at: fetched.fetched_at,
        hints,
        prior_unchanged: state.unchanged_polls,
        cursor,
        api_url,
        items: outcome.items + outcome.unreadable_items.len(),
        unreadable: outcome.unreadable_items.len(),
        documents,
        captures,
    };
    Polled::Batch(batch)
}

/// Parses a response and normalises its items (blocking: run it on a blocking thread).
fn parse_and_normalise(
    source: &SourceConfig,
    fetched: &Arc<crate::model::Fetched>,
) -> Result<(crate::parse::Parsed, Vec<Candidate>), crate::parse::ParseError> {
    let kind = source.kind;
    let parsed = crate::parse::parse(source, fetched)?;
    let candidates = parsed
        .items
        .iter()
        .cloned()
        .filter_map(|item| {
            let wants_full_text = crate::normalise::wants_full_text(&item);
            let declared_language = item.language.is_some();
            crate::normalise::normalise(item, &fetched.source, kind.as_str(), fetched.fetched_at)
                .map(|document| Candidate {
                    document,
                    wants_full_text,
                    declared_language,
                    fetches: vec![fetched.clone()],
                })
        })
        .collect();
    Ok((parsed, candidates))
}

/// A normalised document and what full-text fetching needs to know about its item.
struct Candidate {
    document: Document,
    wants_full_text: bool,
    declared_language: bool,
    /// The responses it came from: its feed page, then its article page if fetched.
    fetches: Vec<Arc<crate::model::Fetched>>,
}

/// A source's failure, with what the schedule needs to place its next attempt.
struct Failure {
    message: String,
    retry_after: Option<DateTime<Utc>>,
    bounds: Bounds,
}

async fn fail(
    outcome: &mut SourceOutcome,
    store: &Arc<Store>,
    source: &SourceConfig,
    failure: Failure,
) {
    let store = store.clone();
    let (name, url, interval) = (source.name.clone(), source.url.to_string(), source.interval);
    let message = source.scrub(&failure.message);
    outcome.error = Some(message.clone());
    let now = Utc::now();
    let hints = Hints {
        retry_after: failure.retry_after,
        ..Hints::default()
    };
    let jitter = crate::schedule::jitter_unit_for(&name, now);
    let recorded = tokio::task::spawn_blocking(move || {
        store.record_failure(&name, &url, &message, now, |failures| {
            crate::schedule::next_check(
                now,
                interval,
                &hints,
                History {
                    failures,
                    unchanged: 0,
                },
                &failure.bounds,
                jitter,
            )
        })
    })
    .await;
    if let Ok(Err(e)) = recorded {
        tracing::error!(source = %source.name, error = %e, "could not record a failure");
    }
}
