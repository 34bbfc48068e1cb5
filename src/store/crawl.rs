//! Crawl state: each source's validators (ETag, Last-Modified), cursor, failures and next poll
//! (`sources`), and what was indexed (`seen`: each document's content hash, fingerprint,
//! near-duplicate group and ingest sequence). Written by the pipeline's writer after the commit
//! that made the documents durable; read by the crawl, dedup, health and the CLI.

use super::{Store, StoreError, to_time};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use std::collections::HashMap;

/// Why a document is an exact duplicate of an indexed one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Duplicate {
    /// The same canonical URL under another id: the same item.
    SameUrl(String),
    /// The same text from the same source under another link: a repeat of that document.
    SameText(String),
}

/// A document posted again: kept once in the index, each repeat recorded here (repeats are
/// signal: a daily briefing, an account repeating itself, a flood).
#[derive(Debug, Clone, PartialEq)]
pub struct Repeat {
    /// The document it repeats.
    pub doc_id: String,
    pub url: String,
    pub source: String,
    pub at: DateTime<Utc>,
}

/// The repeats table, added after the first release (see `super::MIGRATIONS`).
pub(super) const REPEATS: &str = "
CREATE TABLE IF NOT EXISTS repeats (
    doc_id TEXT NOT NULL,
    url TEXT NOT NULL,
    source TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (doc_id, url, at)
);";

/// The tables of this domain (see `super::MIGRATIONS`).
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sources (
    name TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    last_attempt INTEGER,
    last_success INTEGER,
    last_error TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_due INTEGER,
    documents_total INTEGER NOT NULL DEFAULT 0,
    unchanged_polls INTEGER NOT NULL DEFAULT 0,
    first_success INTEGER,
    last_new_document INTEGER,
    cursor TEXT,
    api_url TEXT
);
CREATE TABLE IF NOT EXISTS seen (
    doc_id TEXT PRIMARY KEY,
    content_hash INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    first_seen INTEGER NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '',
    simhash INTEGER NOT NULL DEFAULT 0,
    dup_group TEXT NOT NULL DEFAULT '',
    body_chars INTEGER NOT NULL DEFAULT 0
);
";

/// The crawl state of one source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct SourceState {
    pub name: String,
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_attempt: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    pub next_due: Option<DateTime<Utc>>,
    pub documents_total: u64,
    /// Successful polls in a row that brought nothing new.
    pub unchanged_polls: u32,
    pub first_success: Option<DateTime<Utc>>,
    pub last_new_document: Option<DateTime<Utc>>,
    /// Paging cursor of API sources (the newest id seen).
    pub cursor: Option<String>,
    /// The API endpoint a source's configured URL was resolved to (a Mastodon profile).
    pub api_url: Option<String>,
    /// Items the last successful poll found, readable or not (`None` before the first).
    pub last_items: Option<u64>,
    /// Of those, the items that could not be read.
    pub last_unreadable: u64,
}

/// A successful fetch, as recorded once its documents are committed.
#[derive(Debug, Clone)]
pub struct Success<'a> {
    pub name: &'a str,
    pub url: &'a str,
    pub etag: Option<&'a str>,
    pub last_modified: Option<&'a str>,
    pub at: DateTime<Utc>,
    pub next_due: DateTime<Utc>,
    pub new_documents: u64,
    /// Where the next poll of a paged API starts; `None` keeps the previous cursor.
    pub cursor: Option<&'a str>,
    /// The API endpoint the configured URL resolved to; `None` keeps the previous one.
    pub api_url: Option<&'a str>,
    /// Items the response held, readable or not, and those that could not be read.
    pub items: u64,
    pub unreadable: u64,
}

/// What the state database keeps of an indexed document.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    pub id: String,
    pub content_hash: u64,
    pub seq: u64,
    pub source: String,
    pub url: String,
    pub simhash: u64,
    pub dup_group: String,
    pub body_chars: u32,
}

/// What is known of an already indexed document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    pub content_hash: u64,
    pub source: String,
    pub body_chars: u32,
}

impl Known {
    /// What a document would leave known once indexed.
    pub fn of(document: &crate::model::Document) -> Known {
        Known {
            content_hash: document.content_hash,
            source: document.source.clone(),
            body_chars: document.body.chars().count().min(u32::MAX as usize) as u32,
        }
    }
}

const SOURCE_COLUMNS: &str = "name, url, etag, last_modified, last_attempt, last_success, last_error,
    consecutive_failures, next_due, documents_total, unchanged_polls, first_success, last_new_document, cursor, api_url,
    last_items, last_unreadable";

impl Store {
    /// The crawl state of a source, if it was ever fetched.
    pub fn source_state(&self, name: &str) -> Result<Option<SourceState>, StoreError> {
        self.with(|c| {
            c.query_row(
                &format!("SELECT {SOURCE_COLUMNS} FROM sources WHERE name = ?1"),
                [name],
                read_source_state,
            )
            .optional()
        })
    }

    /// The crawl state of every source ever fetched, by name.
    pub fn source_states(&self) -> Result<Vec<SourceState>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare(&format!(
                "SELECT {SOURCE_COLUMNS} FROM sources ORDER BY name"
            ))?;
            let rows = statement.query_map([], read_source_state)?;
            rows.collect()
        })
    }

    /// Records a successful fetch whose documents are already committed to the index.
    pub fn record_success(&self, success: &Success<'_>) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO sources (name, url, etag, last_modified, last_attempt, last_success, last_error,
                                      consecutive_failures, next_due, documents_total, unchanged_polls,
                                      first_success, last_new_document, cursor, api_url, last_items,
                                      last_unreadable)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, NULL, 0, ?6, ?7, CASE WHEN ?7 > 0 THEN 0 ELSE 1 END, ?5,
                         CASE WHEN ?7 > 0 THEN ?5 END, ?8, ?9, ?10, ?11)
                 ON CONFLICT(name) DO UPDATE SET url = ?2, etag = ?3, last_modified = ?4, last_attempt = ?5,
                     last_success = ?5, last_error = NULL, consecutive_failures = 0, next_due = ?6,
                     documents_total = documents_total + ?7,
                     unchanged_polls = CASE WHEN ?7 > 0 THEN 0 ELSE unchanged_polls + 1 END,
                     first_success = coalesce(first_success, ?5),
                     last_new_document = CASE WHEN ?7 > 0 THEN ?5 ELSE last_new_document END,
                     cursor = coalesce(?8, cursor),
                     api_url = coalesce(?9, api_url),
                     last_items = ?10, last_unreadable = ?11",
                params![
                    success.name,
                    success.url,
                    success.etag,
                    success.last_modified,
                    success.at.timestamp(),
                    success.next_due.timestamp(),
                    success.new_documents as i64,
                    success.cursor,
                    success.api_url,
                    success.items as i64,
                    success.unreadable as i64
                ],
            )
            .map(|_| ())
        })
    }

    /// Records a failed fetch; returns the number of consecutive failures so far.
    pub fn record_failure(
        &self,
        name: &str,
        url: &str,
        error: &str,
        at: DateTime<Utc>,
        next_due: impl Fn(u32) -> DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let failures: u32 = tx
                .query_row("SELECT consecutive_failures FROM sources WHERE name = ?1", [name], |r| r.get(0))
                .optional()?
                .unwrap_or(0)
                + 1;
            tx.execute(
                "INSERT INTO sources (name, url, last_attempt, last_error, consecutive_failures, next_due)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(name) DO UPDATE SET url = ?2, last_attempt = ?3, last_error = ?4,
                     consecutive_failures = ?5, next_due = ?6",
                params![name, url, at.timestamp(), error, failures, next_due(failures).timestamp()],
            )?;
            tx.commit()?;
            Ok(failures)
        })
    }

    /// Records that a source was not fetched because its host is pausing; not a failure.
    pub fn record_deferral(
        &self,
        name: &str,
        url: &str,
        next_due: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO sources (name, url, next_due) VALUES (?1, ?2, ?3)
                 ON CONFLICT(name) DO UPDATE SET next_due = ?3",
                params![name, url, next_due.timestamp()],
            )
            .map(|_| ())
        })
    }

    /// What is known of the given ids that are already indexed.
    pub fn known_documents(&self, ids: &[&str]) -> Result<HashMap<String, Known>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT content_hash, source, body_chars FROM seen WHERE doc_id = ?1",
            )?;
            let mut out = HashMap::new();
            for id in ids {
                let known = statement
                    .query_row([id], |r| {
                        Ok(Known {
                            content_hash: r.get::<_, i64>(0)? as u64,
                            source: r.get(1)?,
                            body_chars: r.get(2)?,
                        })
                    })
                    .optional()?;
                if let Some(known) = known {
                    out.insert((*id).to_string(), known);
                }
            }
            Ok(out)
        })
    }

    /// Marks committed documents as seen: (id, content hash, ingest sequence).
    pub fn mark_seen(&self, docs: &[Seen], at: DateTime<Utc>) -> Result<(), StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            {
                let mut statement = tx.prepare_cached(
                    "INSERT INTO seen (doc_id, content_hash, seq, first_seen, source, url, simhash, dup_group, body_chars)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                     ON CONFLICT(doc_id) DO UPDATE SET content_hash = ?2, seq = ?3, source = ?5, url = ?6,
                         simhash = ?7, dup_group = ?8, body_chars = ?9",
                )?;
                for seen in docs {
                    statement.execute(params![
                        seen.id,
                        seen.content_hash as i64,
                        seen.seq as i64,
                        at.timestamp(),
                        seen.source,
                        seen.url,
                        seen.simhash as i64,
                        seen.dup_group,
                        seen.body_chars
                    ])?;
                }
            }
            tx.commit()
        })
    }

    /// Another document that this one exactly duplicates: the same canonical URL under another
    /// id (the same item), or the same content posted again by the same source (a repeat).
    pub fn exact_duplicate_of(
        &self,
        id: &str,
        url: &str,
        source: &str,
        content_hash: u64,
        by_content: bool,
    ) -> Result<Option<Duplicate>, StoreError> {
        self.with(|c| {
            let mut by_url = c.prepare_cached("SELECT doc_id FROM seen WHERE url = ?1 AND url <> '' AND doc_id <> ?2 LIMIT 1")?;
            if let Some(other) = by_url.query_row(params![url, id], |r| r.get::<_, String>(0)).optional()? {
                return Ok(Some(Duplicate::SameUrl(other)));
            }
            if !by_content {
                return Ok(None);
            }
            let mut by_content = c.prepare_cached("SELECT doc_id FROM seen WHERE source = ?1 AND content_hash = ?2 AND doc_id <> ?3 LIMIT 1")?;
            Ok(by_content
                .query_row(params![source, content_hash as i64, id], |r| r.get::<_, String>(0))
                .optional()?
                .map(Duplicate::SameText))
        })
    }

    /// Records repeats (after the commit that made their originals durable); a repeat recorded
    /// twice, as after a crash and a second poll, is kept once.
    pub fn record_repeats(&self, repeats: &[Repeat]) -> Result<(), StoreError> {
        if repeats.is_empty() {
            return Ok(());
        }
        self.with(|c| {
            let tx = c.transaction()?;
            {
                let mut put = tx.prepare_cached(
                    "INSERT OR IGNORE INTO repeats (doc_id, url, source, at) VALUES (?1, ?2, ?3, ?4)",
                )?;
                for r in repeats {
                    put.execute(params![r.doc_id, r.url, r.source, r.at.timestamp()])?;
                }
            }
            tx.commit()
        })
    }

    /// When each of these documents was posted again: (document id, time), oldest first.
    pub fn repeats_of(
        &self,
        doc_ids: &[String],
    ) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        self.with(|c| {
            let mut out = super::rows_for_ids(
                c,
                "SELECT doc_id, at FROM repeats WHERE doc_id IN ({ids})",
                doc_ids,
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        to_time(Some(r.get(1)?)).unwrap_or_default(),
                    ))
                },
            )?;
            out.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
            Ok(out)
        })
    }
    /// Number of documents marked seen.
    pub fn seen_count(&self) -> Result<u64, StoreError> {
        self.with(|c| {
            c.query_row("SELECT count(*) FROM seen", [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
        })
    }
}

fn read_source_state(r: &rusqlite::Row<'_>) -> rusqlite::Result<SourceState> {
    Ok(SourceState {
        name: r.get(0)?,
        url: r.get(1)?,
        etag: r.get(2)?,
        last_modified: r.get(3)?,
        last_attempt: to_time(r.get(4)?),
        last_success: to_time(r.get(5)?),
        last_error: r.get(6)?,
        consecutive_failures: r.get(7)?,
        next_due: to_time(r.get(8)?),
        documents_total: r.get::<_, i64>(9)? as u64,
        unchanged_polls: r.get(10)?,
        first_success: to_time(r.get(11)?),
        last_new_document: to_time(r.get(12)?),
        cursor: r.get(13)?,
        api_url: r.get(14)?,
        last_items: r.get::<_, Option<i64>>(15)?.map(|n| n as u64),
        last_unreadable: r.get::<_, i64>(16)? as u64,
    })
}
