//! The state database (SQLite in WAL mode, `index/state.sqlite`): per-source crawl state, the ids
//! and content hashes of indexed documents, stored-query matches and how far percolation got.
//! Calls are blocking; async callers use `spawn_blocking`. Every write that depends on the index
//! happens after the index commit it refers to, so a crash repeats work and never loses it.

use crate::model::Match;
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A state-database failure, with the file.
#[derive(Debug, thiserror::Error)]
#[error("state database {path}: {source}")]
pub struct StoreError {
    pub path: PathBuf,
    pub source: rusqlite::Error,
}

/// The crawl state of one source.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
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

/// A recorded match, as read back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchRow {
    pub doc_id: String,
    pub source: String,
    pub published: DateTime<Utc>,
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

/// The state database.
pub struct Store {
    path: PathBuf,
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
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
CREATE TABLE IF NOT EXISTS matches (
    query_id TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    source TEXT NOT NULL,
    published INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (query_id, doc_id)
);
CREATE INDEX IF NOT EXISTS matches_by_time ON matches (query_id, published);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS clusters (
    id TEXT PRIMARY KEY,
    seed_doc TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    size INTEGER NOT NULL,
    centroid TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS clusters_by_last_seen ON clusters (last_seen);
CREATE TABLE IF NOT EXISTS cluster_members (
    doc_id TEXT PRIMARY KEY,
    cluster_id TEXT NOT NULL,
    published INTEGER NOT NULL,
    similarity REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS members_by_cluster ON cluster_members (cluster_id, published);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    origin TEXT NOT NULL,
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created INTEGER NOT NULL,
    next_attempt INTEGER NOT NULL,
    last_error TEXT,
    sent_at INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_attempt);
CREATE TABLE IF NOT EXISTS schedule_state (
    name TEXT PRIMARY KEY,
    last_slot INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created INTEGER NOT NULL,
    expires INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (
    token_hash TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    label TEXT NOT NULL,
    created INTEGER NOT NULL,
    last_used INTEGER
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    user TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    address TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS narrative_alerts (
    narrative_id TEXT PRIMARY KEY,
    last_alert INTEGER NOT NULL,
    documents INTEGER NOT NULL,
    alerts INTEGER NOT NULL
);
";

/// Columns added after the first release, for databases created before them.
const ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    ("sources", "unchanged_polls", "INTEGER NOT NULL DEFAULT 0"),
    ("sources", "first_success", "INTEGER"),
    ("sources", "last_new_document", "INTEGER"),
    ("sources", "cursor", "TEXT"),
    ("sources", "api_url", "TEXT"),
    ("seen", "source", "TEXT NOT NULL DEFAULT ''"),
    ("seen", "url", "TEXT NOT NULL DEFAULT ''"),
    ("seen", "simhash", "INTEGER NOT NULL DEFAULT 0"),
    ("seen", "dup_group", "TEXT NOT NULL DEFAULT ''"),
    ("seen", "body_chars", "INTEGER NOT NULL DEFAULT 0"),
    ("cluster_members", "seq", "INTEGER NOT NULL DEFAULT 0"),
];

/// Indexes over columns that older databases gain through `ADDED_COLUMNS`.
const LATE_INDEXES: &str = "
CREATE INDEX IF NOT EXISTS seen_by_url ON seen (url) WHERE url <> '';
CREATE INDEX IF NOT EXISTS seen_by_source_hash ON seen (source, content_hash);
CREATE INDEX IF NOT EXISTS seen_by_first_seen ON seen (first_seen);
CREATE INDEX IF NOT EXISTS matches_by_seq ON matches (seq);
CREATE INDEX IF NOT EXISTS matches_by_doc ON matches (doc_id);
CREATE INDEX IF NOT EXISTS members_by_published ON cluster_members (published);
";

fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    for (table, column, declaration) in ADDED_COLUMNS {
        let mut statement = conn.prepare(&format!(
            "SELECT 1 FROM pragma_table_info('{table}') WHERE name = ?1"
        ))?;
        if !statement.exists([column])? {
            conn.execute_batch(&format!(
                "ALTER TABLE {table} ADD COLUMN {column} {declaration}"
            ))?;
        }
    }
    conn.execute_batch(LATE_INDEXES)
}

const SOURCE_COLUMNS: &str = "name, url, etag, last_modified, last_attempt, last_success, last_error,
    consecutive_failures, next_due, documents_total, unchanged_polls, first_success, last_new_document, cursor, api_url";

fn to_time(secs: Option<i64>) -> Option<DateTime<Utc>> {
    secs.and_then(|s| Utc.timestamp_opt(s, 0).single())
}

impl Store {
    /// Opens (and creates, the first time) the database.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let wrap = |source| StoreError {
            path: path.to_path_buf(),
            source,
        };
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let conn = Connection::open(path).map_err(wrap)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(wrap)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(wrap)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(wrap)?;
        conn.execute_batch(SCHEMA).map_err(wrap)?;
        migrate(&conn).map_err(wrap)?;
        Ok(Store {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    /// Opens a connection that can only read (`PRAGMA query_only`): the read side's, so a
    /// write through it fails instead of slipping past the writer. The database must exist.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        let wrap = |source| StoreError {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(wrap)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(wrap)?;
        conn.pragma_update(None, "query_only", true).map_err(wrap)?;
        Ok(Store {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let mut conn = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut conn).map_err(|source| StoreError {
            path: self.path.clone(),
            source,
        })
    }

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
                                      first_success, last_new_document, cursor, api_url)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, NULL, 0, ?6, ?7, CASE WHEN ?7 > 0 THEN 0 ELSE 1 END, ?5,
                         CASE WHEN ?7 > 0 THEN ?5 END, ?8, ?9)
                 ON CONFLICT(name) DO UPDATE SET url = ?2, etag = ?3, last_modified = ?4, last_attempt = ?5,
                     last_success = ?5, last_error = NULL, consecutive_failures = 0, next_due = ?6,
                     documents_total = documents_total + ?7,
                     unchanged_polls = CASE WHEN ?7 > 0 THEN 0 ELSE unchanged_polls + 1 END,
                     first_success = coalesce(first_success, ?5),
                     last_new_document = CASE WHEN ?7 > 0 THEN ?5 ELSE last_new_document END,
                     cursor = coalesce(?8, cursor),
                     api_url = coalesce(?9, api_url)",
                params![
                    success.name,
                    success.url,
                    success.etag,
                    success.last_modified,
                    success.at.timestamp(),
                    success.next_due.timestamp(),
                    success.new_documents as i64,
                    success.cursor,
                    success.api_url
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
    /// id, or the same content posted again by the same source.
    pub fn exact_duplicate_of(
        &self,
        id: &str,
        url: &str,
        source: &str,
        content_hash: u64,
        by_content: bool,
    ) -> Result<Option<String>, StoreError> {
        self.with(|c| {
            let mut by_url = c.prepare_cached("SELECT doc_id FROM seen WHERE url = ?1 AND url <> '' AND doc_id <> ?2 LIMIT 1")?;
            if let Some(other) = by_url.query_row(params![url, id], |r| r.get::<_, String>(0)).optional()? {
                return Ok(Some(other));
            }
            if !by_content {
                return Ok(None);
            }
            let mut by_content = c.prepare_cached("SELECT doc_id FROM seen WHERE source = ?1 AND content_hash = ?2 AND doc_id <> ?3 LIMIT 1")?;
            by_content.query_row(params![source, content_hash as i64, id], |r| r.get::<_, String>(0)).optional()
        })
    }

    /// Fingerprints and groups of documents first seen since `since`, oldest first.
    pub fn fingerprints_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(u64, String)>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare("SELECT simhash, dup_group FROM seen WHERE first_seen >= ?1 AND simhash <> 0 ORDER BY seq")?;
            let rows = statement.query_map([since.timestamp()], |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?)))?;
            rows.collect()
        })
    }

    /// Records the matches of one percolated batch and moves the percolation mark, atomically.
    /// A match recorded twice (a batch percolated again after a crash) is kept once.
    pub fn record_matches(
        &self,
        matches: &[Match],
        percolated_upto: u64,
    ) -> Result<usize, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let mut inserted = 0;
            {
                let mut statement = tx.prepare_cached(
                    "INSERT INTO matches (query_id, doc_id, source, published, seq) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT(query_id, doc_id) DO UPDATE SET published = ?4, seq = ?5",
                )?;
                for m in matches {
                    inserted += statement.execute(params![m.query_id, m.doc_id, m.source, m.published.timestamp(), m.seq as i64])?;
                }
            }
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('percolated_upto', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(?1 AS INTEGER))",
                [percolated_upto.to_string()],
            )?;
            tx.commit()?;
            Ok(inserted)
        })
    }

    /// The highest ingest sequence number whose batch was percolated.
    pub fn percolated_upto(&self) -> Result<u64, StoreError> {
        self.with(|c| {
            let value: Option<String> = c
                .query_row(
                    "SELECT value FROM meta WHERE key = 'percolated_upto'",
                    [],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(value.and_then(|v| v.parse().ok()).unwrap_or(0))
        })
    }

    /// Matches of a query published in `[from, to)`, oldest first.
    pub fn matches_between(
        &self,
        query_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<MatchRow>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT doc_id, source, published FROM matches
                 WHERE query_id = ?1 AND published >= ?2 AND published < ?3 ORDER BY published, doc_id",
            )?;
            let rows = statement.query_map(params![query_id, from.timestamp(), to.timestamp()], |r| {
                Ok(MatchRow {
                    doc_id: r.get(0)?,
                    source: r.get(1)?,
                    published: to_time(Some(r.get(2)?)).unwrap_or_default(),
                })
            })?;
            rows.collect()
        })
    }

    /// How many matches of a query were published in `[from, to)` (counted in the index).
    pub fn count_matches_between(
        &self,
        query_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        self.with(|c| {
            c.prepare_cached(
                "SELECT count(*) FROM matches WHERE query_id = ?1 AND published >= ?2 AND published < ?3",
            )?
            .query_row(params![query_id, from.timestamp(), to.timestamp()], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as usize)
        })
    }

    /// The earliest match of a query, if any.
    pub fn first_match(&self, query_id: &str) -> Result<Option<MatchRow>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT doc_id, source, published FROM matches WHERE query_id = ?1 ORDER BY published, doc_id LIMIT 1",
                [query_id],
                |r| {
                    Ok(MatchRow {
                        doc_id: r.get(0)?,
                        source: r.get(1)?,
                        published: to_time(Some(r.get(2)?)).unwrap_or_default(),
                    })
                },
            )
            .optional()
        })
    }

    /// The highest ingest sequence whose matched documents were clustered.
    pub fn clustered_upto(&self) -> Result<u64, StoreError> {
        self.with(|c| {
            let value: Option<String> = c
                .query_row(
                    "SELECT value FROM meta WHERE key = 'clustered_upto'",
                    [],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(value.and_then(|v| v.parse().ok()).unwrap_or(0))
        })
    }

    /// Matched documents (each once) with an ingest sequence above `after`, oldest first, at
    /// most `limit`: (doc id, sequence).
    pub fn matched_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT doc_id, min(seq) AS s FROM matches WHERE seq > ?1
                 GROUP BY doc_id ORDER BY s, doc_id LIMIT ?2",
            )?;
            let rows = statement.query_map(params![after as i64, limit as i64], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })?;
            rows.collect()
        })
    }

    /// Clusters whose newest document is at or after `since`.
    pub fn clusters_since(&self, since: DateTime<Utc>) -> Result<Vec<ClusterRow>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT id, seed_doc, first_seen, last_seen, size, centroid FROM clusters
                 WHERE last_seen >= ?1 ORDER BY first_seen, id",
            )?;
            let rows = statement.query_map([since.timestamp()], read_cluster)?;
            rows.collect()
        })
    }

    /// One cluster by id.
    pub fn cluster(&self, id: &str) -> Result<Option<ClusterRow>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT id, seed_doc, first_seen, last_seen, size, centroid FROM clusters WHERE id = ?1",
                [id],
                read_cluster,
            )
            .optional()
        })
    }

    /// The cluster of each given document that has one.
    pub fn clusters_of(&self, doc_ids: &[String]) -> Result<Vec<(String, String)>, StoreError> {
        self.with(|c| {
            let mut statement =
                c.prepare_cached("SELECT cluster_id FROM cluster_members WHERE doc_id = ?1")?;
            let mut out = Vec::new();
            for id in doc_ids {
                if let Some(cluster) = statement
                    .query_row([id], |r| r.get::<_, String>(0))
                    .optional()?
                {
                    out.push((id.clone(), cluster));
                }
            }
            Ok(out)
        })
    }

    /// The clustered documents published since `since`: (ingest sequence, cluster id).
    pub fn cluster_members_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(u64, String)>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT seq, cluster_id FROM cluster_members WHERE published >= ?1",
            )?;
            let rows = statement.query_map([since.timestamp()], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?))
            })?;
            rows.collect()
        })
    }

    /// (cluster id, published) of every clustered document published since `since`.
    pub fn cluster_member_times_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT cluster_id, published FROM cluster_members WHERE published >= ?1",
            )?;
            let rows = statement.query_map([since.timestamp()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    to_time(Some(r.get(1)?)).unwrap_or_default(),
                ))
            })?;
            rows.collect()
        })
    }

    /// A cluster's documents, oldest first: (doc id, published).
    pub fn cluster_members(
        &self,
        cluster_id: &str,
    ) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT doc_id, published FROM cluster_members WHERE cluster_id = ?1 ORDER BY published, doc_id",
            )?;
            let rows = statement.query_map([cluster_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    to_time(Some(r.get(1)?)).unwrap_or_default(),
                ))
            })?;
            rows.collect()
        })
    }

    /// The stored queries that matched each of the given documents.
    pub fn queries_of(&self, doc_ids: &[String]) -> Result<Vec<(String, String)>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT query_id FROM matches WHERE doc_id = ?1 ORDER BY query_id",
            )?;
            let mut out = Vec::new();
            for id in doc_ids {
                let rows = statement.query_map([id], |r| r.get::<_, String>(0))?;
                for query in rows {
                    out.push((id.clone(), query?));
                }
            }
            Ok(out)
        })
    }

    /// Records one clustering run: the clusters it created or changed, the documents it
    /// assigned, and the new mark, atomically. A document assigned again keeps its first
    /// cluster, so a run repeated after a crash changes nothing.
    pub fn record_clustering(
        &self,
        clusters: &[ClusterRow],
        members: &[ClusterMember],
        upto: u64,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            {
                let mut put = tx.prepare_cached(
                    "INSERT INTO clusters (id, seed_doc, first_seen, last_seen, size, centroid)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT(id) DO UPDATE SET first_seen = ?3, last_seen = ?4, size = ?5, centroid = ?6",
                )?;
                for row in clusters {
                    put.execute(params![
                        row.id,
                        row.seed_doc,
                        row.first_seen.timestamp(),
                        row.last_seen.timestamp(),
                        row.size as i64,
                        row.centroid
                    ])?;
                }
                let mut member = tx.prepare_cached(
                    "INSERT INTO cluster_members (doc_id, cluster_id, published, similarity, seq)
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(doc_id) DO UPDATE SET seq = excluded.seq",
                )?;
                for m in members {
                    member.execute(params![
                        m.doc_id,
                        m.cluster_id,
                        m.published.timestamp(),
                        m.similarity,
                        m.seq as i64
                    ])?;
                }
            }
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('clustered_upto', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(?1 AS INTEGER))",
                [upto.to_string()],
            )?;
            tx.commit()
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

/// A document's place in a story cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterMember {
    pub doc_id: String,
    pub cluster_id: String,
    pub published: DateTime<Utc>,
    pub similarity: f64,
    /// Its ingest sequence number, to look clusters up from index hits without reading ids.
    pub seq: u64,
}

/// A story cluster as stored: its centroid is JSON (term → weight).
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterRow {
    pub id: String,
    pub seed_doc: String,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub size: usize,
    pub centroid: String,
}

fn read_cluster(r: &rusqlite::Row<'_>) -> rusqlite::Result<ClusterRow> {
    Ok(ClusterRow {
        id: r.get(0)?,
        seed_doc: r.get(1)?,
        first_seen: to_time(Some(r.get(2)?)).unwrap_or_default(),
        last_seen: to_time(Some(r.get(3)?)).unwrap_or_default(),
        size: r.get::<_, i64>(4)? as usize,
        centroid: r.get(5)?,
    })
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
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_only_connection_reads_and_refuses_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        let writer = Store::open(&path).unwrap();
        writer
            .record_deferral("a", "https://a.example.org/feed", Utc::now())
            .unwrap();
        let reader = Store::open_read_only(&path).unwrap();
        assert_eq!(reader.source_states().unwrap().len(), 1);
        let refused = reader
            .record_deferral("b", "https://b.example.org/feed", Utc::now())
            .unwrap_err();
        assert!(refused.to_string().contains("readonly"), "{refused}");
        assert_eq!(writer.source_states().unwrap().len(), 1);
    }

    #[test]
    fn records_state_matches_and_marks() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = Store::open(&dir.path().join("state.sqlite"))?;
        let now = Utc
            .timestamp_opt(1_800_000_000, 0)
            .single()
            .ok_or("bad time")?;
        let failures = store.record_failure("a", "https://a.example/f", "boom", now, |n| {
            now + chrono::Duration::minutes(n as i64)
        })?;
        assert_eq!(failures, 1);
        let failures = store.record_failure("a", "https://a.example/f", "boom", now, |n| {
            now + chrono::Duration::minutes(n as i64)
        })?;
        assert_eq!(failures, 2);
        store.record_success(&Success {
            name: "a",
            url: "https://a.example/f",
            etag: Some("\"e1\""),
            last_modified: None,
            at: now,
            next_due: now,
            new_documents: 3,
            cursor: Some("42"),
            api_url: None,
        })?;
        let state = store.source_state("a")?.ok_or("no state")?;
        assert_eq!(
            (
                state.consecutive_failures,
                state.documents_total,
                state.etag.as_deref()
            ),
            (0, 3, Some("\"e1\""))
        );

        let m = Match {
            query_id: "q".into(),
            doc_id: "d".into(),
            source: "a".into(),
            published: now,
            seq: 7,
        };
        assert_eq!(store.record_matches(&[m.clone()], 7)?, 1);
        store.record_matches(&[m], 5)?;
        assert_eq!(store.percolated_upto()?, 7, "the mark never moves back");
        let rows = store.matches_between("q", now, now + chrono::Duration::seconds(1))?;
        assert_eq!(rows.len(), 1, "a repeated match is kept once");

        store.mark_seen(
            &[Seen {
                id: "d".into(),
                content_hash: u64::MAX,
                seq: 7,
                source: "a".into(),
                url: "https://a.example/d".into(),
                simhash: 9,
                dup_group: "d".into(),
                body_chars: 3,
            }],
            now,
        )?;
        assert_eq!(
            store.exact_duplicate_of("x", "https://a.example/d", "b", 1, true)?,
            Some("d".to_string())
        );
        assert_eq!(
            store.exact_duplicate_of("x", "https://b.example/x", "a", u64::MAX, true)?,
            Some("d".to_string())
        );
        assert_eq!(
            store.exact_duplicate_of("x", "https://b.example/x", "a", u64::MAX, false)?,
            None,
            "social posts with the same text are separate posts"
        );
        assert_eq!(
            store.exact_duplicate_of("x", "https://a.example/d", "a", 1, false)?,
            Some("d".to_string()),
            "but the same address is still the same document"
        );
        assert_eq!(
            store.exact_duplicate_of("x", "https://b.example/x", "b", u64::MAX, true)?,
            None,
            "other sources may post the same text"
        );
        assert_eq!(
            store.exact_duplicate_of("d", "https://a.example/d", "a", u64::MAX, true)?,
            None,
            "a document is not its own duplicate"
        );
        assert_eq!(store.fingerprints_since(now)?, vec![(9, "d".to_string())]);
        assert_eq!(
            store.known_documents(&["d", "x"])?,
            HashMap::from([(
                "d".to_string(),
                Known {
                    content_hash: u64::MAX,
                    source: "a".into(),
                    body_chars: 3
                }
            )])
        );
        Ok(())
    }
}
