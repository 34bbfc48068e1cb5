//! The leak watch's tables: registered documents as labels with keyed fingerprints only
//! (`leak_labels`, `leak_prints`: never the text, never the key; `key_check` is a MAC of a fixed
//! string that tells a changed key apart without revealing it) and the crawled documents that
//! matched (`leak_matches`: where and how much, never the text). What a fingerprint is belongs to
//! `leakwatch`.

use super::{Store, StoreError};
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// The tables of this domain (see `super::MIGRATIONS`).
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS leak_labels (
    id INTEGER PRIMARY KEY,
    label TEXT NOT NULL UNIQUE,
    added_at INTEGER NOT NULL,
    added_by TEXT NOT NULL,
    prints INTEGER NOT NULL,
    key_check TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS leak_prints (
    label_id INTEGER NOT NULL,
    part INTEGER NOT NULL,
    print INTEGER NOT NULL,
    PRIMARY KEY (label_id, part, print)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leak_matches (
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL,
    url TEXT NOT NULL,
    source TEXT NOT NULL,
    title TEXT NOT NULL,
    label_id INTEGER NOT NULL,
    label TEXT NOT NULL,
    matched INTEGER NOT NULL,
    total INTEGER NOT NULL,
    at INTEGER NOT NULL,
    UNIQUE (doc_id, label_id)
);
";

/// A registered document as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeakLabel {
    pub id: i64,
    pub label: String,
    pub added_at: DateTime<Utc>,
    pub added_by: String,
    pub prints: usize,
    pub key_check: String,
    pub matches: usize,
}

/// A crawled document that matched a registered one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeakMatch {
    pub id: i64,
    pub doc_id: String,
    pub url: String,
    pub source: String,
    pub title: String,
    pub label_id: i64,
    pub label: String,
    /// Fingerprints of the registered document found, and how many it has.
    pub matched: usize,
    pub total: usize,
    pub at: DateTime<Utc>,
}

const MATCH_COLUMNS: &str = "id, doc_id, url, source, title, label_id, label, matched, total, at";

fn read_match(r: &rusqlite::Row<'_>) -> rusqlite::Result<LeakMatch> {
    Ok(LeakMatch {
        id: r.get(0)?,
        doc_id: r.get(1)?,
        url: r.get(2)?,
        source: r.get(3)?,
        title: r.get(4)?,
        label_id: r.get(5)?,
        label: r.get(6)?,
        matched: r.get::<_, i64>(7)? as usize,
        total: r.get::<_, i64>(8)? as usize,
        at: time(r.get(9)?),
    })
}

fn time(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}

impl Store {
    /// Registers a document's fingerprints under `label`; refuses a label in use.
    pub fn add_leak_label(
        &self,
        label: &str,
        prints: &[(u32, u64)],
        key_check: &str,
        added_by: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let inserted = tx.execute(
                "INSERT OR IGNORE INTO leak_labels (label, added_at, added_by, prints, key_check)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    label,
                    at.timestamp(),
                    added_by,
                    prints.len() as i64,
                    key_check
                ],
            )?;
            if inserted == 0 {
                return Ok(None);
            }
            let id = tx.last_insert_rowid();
            {
                let mut statement = tx.prepare(
                    "INSERT OR IGNORE INTO leak_prints (label_id, part, print) VALUES (?1, ?2, ?3)",
                )?;
                for (part, print) in prints {
                    statement.execute(params![id, part, *print as i64])?;
                }
            }
            tx.commit()?;
            Ok(Some(id))
        })
    }

    /// Removes a registered document (by label) and its fingerprints; its matches stay as the
    /// record of what was found. Returns whether it existed.
    pub fn remove_leak_label(&self, label: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let id: Option<i64> = tx
                .query_row(
                    "SELECT id FROM leak_labels WHERE label = ?1",
                    [label],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(id) = id else {
                return Ok(false);
            };
            tx.execute("DELETE FROM leak_prints WHERE label_id = ?1", [id])?;
            tx.execute("DELETE FROM leak_labels WHERE id = ?1", [id])?;
            tx.commit()?;
            Ok(true)
        })
    }

    /// The registered documents, oldest first, with their match counts.
    pub fn leak_labels(&self) -> Result<Vec<LeakLabel>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare(
                "SELECT l.id, l.label, l.added_at, l.added_by, l.prints, l.key_check,
                        (SELECT COUNT(*) FROM leak_matches m WHERE m.label_id = l.id)
                 FROM leak_labels l ORDER BY l.id",
            )?;
            let rows = statement.query_map([], |r| {
                Ok(LeakLabel {
                    id: r.get(0)?,
                    label: r.get(1)?,
                    added_at: time(r.get(2)?),
                    added_by: r.get(3)?,
                    prints: r.get::<_, i64>(4)? as usize,
                    key_check: r.get(5)?,
                    matches: r.get::<_, i64>(6)? as usize,
                })
            })?;
            rows.collect()
        })
    }

    /// Every fingerprint with its label id and part.
    pub fn leak_prints(&self) -> Result<Vec<(i64, u32, u64)>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare("SELECT label_id, part, print FROM leak_prints")?;
            let rows = statement.query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64))
            })?;
            rows.collect()
        })
    }

    /// A number that changes whenever a document is registered or removed.
    pub fn leak_labels_version(&self) -> Result<(i64, i64), StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT COALESCE(MAX(id), 0), COUNT(*) FROM leak_labels",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
    }

    /// Records a match; returns whether it is new (a document found again adds nothing).
    pub fn record_leak_match(&self, m: &LeakMatch) -> Result<bool, StoreError> {
        self.with(|c| {
            let added = c.execute(
                "INSERT OR IGNORE INTO leak_matches (doc_id, url, source, title, label_id, label, matched, total, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    m.doc_id,
                    m.url,
                    m.source,
                    m.title,
                    m.label_id,
                    m.label,
                    m.matched as i64,
                    m.total as i64,
                    m.at.timestamp()
                ],
            )?;
            Ok(added > 0)
        })
    }

    /// The first match of a document, if it matched.
    pub fn leak_match_of(&self, doc_id: &str) -> Result<Option<LeakMatch>, StoreError> {
        self.with(|c| {
            c.query_row(
                &format!(
                    "SELECT {MATCH_COLUMNS} FROM leak_matches WHERE doc_id = ?1 ORDER BY id LIMIT 1"
                ),
                [doc_id],
                read_match,
            )
            .optional()
        })
    }

    /// Matches, newest first.
    pub fn leak_matches(&self, limit: usize) -> Result<Vec<LeakMatch>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare(&format!(
                "SELECT {MATCH_COLUMNS} FROM leak_matches ORDER BY at DESC, id DESC LIMIT ?1"
            ))?;
            let rows = statement.query_map([limit as i64], read_match)?;
            rows.collect()
        })
    }
}
