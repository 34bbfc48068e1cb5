//! Evidence: the spool of raw responses (`capture_spool`, `capture_docs`) kept so that a
//! document can be archived as it was fetched when its narrative is flagged later; the queue of
//! documents to archive (`evidence_queue`) and those archived (`evidence_done`); and the
//! append-only, hash-chained evidence log (`evidence_log`: one entry per WARC record, each
//! carrying the previous entry's hash; triggers refuse any update or delete). What a record is
//! and how the WARC files are written belongs to `archive`.

use super::{Store, StoreError, chain_hash, rows_for_ids};
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

/// The tables of this domain (see `super::MIGRATIONS`).
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS capture_spool (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    status INTEGER NOT NULL,
    fetched_at INTEGER NOT NULL,
    http TEXT NOT NULL,
    body BLOB NOT NULL,
    body_bytes INTEGER NOT NULL,
    stored_bytes INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS spool_by_time ON capture_spool (fetched_at);
CREATE TABLE IF NOT EXISTS capture_docs (
    doc_id TEXT NOT NULL,
    capture INTEGER NOT NULL,
    PRIMARY KEY (doc_id, capture)
);
CREATE INDEX IF NOT EXISTS capture_docs_by_capture ON capture_docs (capture);
CREATE TABLE IF NOT EXISTS evidence_queue (
    doc_id TEXT NOT NULL,
    narrative TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    PRIMARY KEY (doc_id, narrative)
);
CREATE TABLE IF NOT EXISTS evidence_done (
    doc_id TEXT NOT NULL,
    narrative TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (doc_id, narrative)
);
CREATE TABLE IF NOT EXISTS evidence_captures (
    spool_id INTEGER NOT NULL,
    narrative TEXT NOT NULL,
    record_id TEXT NOT NULL,
    target TEXT NOT NULL,
    date TEXT NOT NULL,
    payload_digest TEXT NOT NULL,
    PRIMARY KEY (spool_id, narrative)
);
CREATE TABLE IF NOT EXISTS evidence_log (
    seq INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    file TEXT NOT NULL,
    offset INTEGER NOT NULL,
    length INTEGER NOT NULL,
    record_id TEXT NOT NULL,
    record_type TEXT NOT NULL,
    target_uri TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    narrative TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    prev TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS evidence_by_narrative ON evidence_log (narrative);
CREATE TRIGGER IF NOT EXISTS evidence_log_append_only_update BEFORE UPDATE ON evidence_log
BEGIN SELECT RAISE(ABORT, 'the evidence log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS evidence_log_append_only_delete BEFORE DELETE ON evidence_log
BEGIN SELECT RAISE(ABORT, 'the evidence log is append-only'); END;
";

/// A response to keep: its exchange as JSON (`model::HttpRecord`) and its body, compressed.
pub struct SpoolIn {
    pub source: String,
    pub url: String,
    pub status: u16,
    pub fetched_at: DateTime<Utc>,
    pub http: String,
    pub body: Vec<u8>,
    pub body_bytes: usize,
    pub documents: Vec<String>,
}

/// A kept response, as read back.
#[derive(Debug, Clone)]
pub struct Spooled {
    pub id: i64,
    pub source: String,
    pub url: String,
    pub status: u16,
    pub fetched_at: DateTime<Utc>,
    pub http: String,
    pub body: Vec<u8>,
    pub body_bytes: usize,
}

/// One entry of the evidence log: a WARC record written to `file` at `offset`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogEntry {
    pub seq: i64,
    pub at_ms: i64,
    pub file: String,
    pub offset: u64,
    pub length: u64,
    pub record_id: String,
    pub record_type: String,
    pub target_uri: String,
    pub doc_id: String,
    pub narrative: String,
    /// SHA-256 of the whole record as written (hex).
    pub sha256: String,
    pub prev: String,
    pub hash: String,
}

impl LogEntry {
    /// The fields the chain covers, in a fixed order (everything but `prev` and `hash`).
    pub fn fields(&self) -> serde_json::Value {
        serde_json::json!([
            self.seq,
            self.at_ms,
            self.file,
            self.offset,
            self.length,
            self.record_id,
            self.record_type,
            self.target_uri,
            self.doc_id,
            self.narrative,
            self.sha256
        ])
    }
}

/// A spooled response already archived under a narrative: its response record, which later
/// documents it carried refer to with a `revisit` record instead of a second copy.
#[derive(Debug, Clone, PartialEq)]
pub struct Original {
    pub spool_id: i64,
    pub record_id: String,
    pub target: String,
    pub date: String,
    pub payload_digest: String,
}

/// What the spool holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct SpoolSize {
    pub responses: u64,
    pub stored_bytes: u64,
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

impl Store {
    /// Keeps responses and which documents each carried.
    pub fn spool(&self, items: &[SpoolIn]) -> Result<(), StoreError> {
        if items.is_empty() {
            return Ok(());
        }
        self.with(|c| {
            let tx = c.transaction()?;
            for item in items {
                tx.execute(
                    "INSERT INTO capture_spool (source, url, status, fetched_at, http, body, body_bytes, stored_bytes)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        item.source,
                        item.url,
                        item.status,
                        ms(item.fetched_at),
                        item.http,
                        item.body,
                        item.body_bytes as i64,
                        (item.body.len() + item.http.len()) as i64
                    ],
                )?;
                let id = tx.last_insert_rowid();
                for doc in &item.documents {
                    tx.execute(
                        "INSERT OR IGNORE INTO capture_docs (doc_id, capture) VALUES (?1, ?2)",
                        params![doc, id],
                    )?;
                }
            }
            tx.commit()
        })
    }

    /// The kept responses a document came from, oldest first.
    pub fn spooled_for(&self, doc_id: &str) -> Result<Vec<Spooled>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT s.id, s.source, s.url, s.status, s.fetched_at, s.http, s.body, s.body_bytes
                 FROM capture_docs d JOIN capture_spool s ON s.id = d.capture
                 WHERE d.doc_id = ?1 ORDER BY s.fetched_at, s.id",
            )?;
            let rows = statement.query_map([doc_id], |r| {
                Ok(Spooled {
                    id: r.get(0)?,
                    source: r.get(1)?,
                    url: r.get(2)?,
                    status: r.get(3)?,
                    fetched_at: from_ms(r.get(4)?),
                    http: r.get(5)?,
                    body: r.get(6)?,
                    body_bytes: r.get::<_, i64>(7)? as usize,
                })
            })?;
            rows.collect()
        })
    }

    /// Drops responses fetched before `before`, then the oldest until the spool holds at most
    /// `max_bytes`. Returns how many were dropped.
    pub fn prune_spool(&self, before: DateTime<Utc>, max_bytes: u64) -> Result<u64, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let mut dropped = tx.execute(
                "DELETE FROM capture_spool WHERE fetched_at < ?1",
                [ms(before)],
            )? as u64;
            let total: i64 = tx.query_row(
                "SELECT COALESCE(SUM(stored_bytes), 0) FROM capture_spool",
                [],
                |r| r.get(0),
            )?;
            let mut excess = total - max_bytes as i64;
            if excess > 0 {
                let mut oldest: Vec<(i64, i64)> = Vec::new();
                {
                    let mut statement = tx.prepare(
                        "SELECT id, stored_bytes FROM capture_spool ORDER BY fetched_at, id",
                    )?;
                    let mut rows = statement.query([])?;
                    while let Some(row) = rows.next()? {
                        if excess <= 0 {
                            break;
                        }
                        let (id, bytes): (i64, i64) = (row.get(0)?, row.get(1)?);
                        excess -= bytes;
                        oldest.push((id, bytes));
                    }
                }
                for (id, _) in &oldest {
                    tx.execute("DELETE FROM capture_spool WHERE id = ?1", [id])?;
                }
                dropped += oldest.len() as u64;
            }
            tx.execute(
                "DELETE FROM capture_docs WHERE capture NOT IN (SELECT id FROM capture_spool)",
                [],
            )?;
            tx.commit()?;
            Ok(dropped)
        })
    }

    /// What the spool holds now.
    pub fn spool_size(&self) -> Result<SpoolSize, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT COUNT(*), COALESCE(SUM(stored_bytes), 0) FROM capture_spool",
                [],
                |r| {
                    Ok(SpoolSize {
                        responses: r.get::<_, i64>(0)? as u64,
                        stored_bytes: r.get::<_, i64>(1)? as u64,
                    })
                },
            )
        })
    }

    /// Asks for documents to be archived under `narrative` (an empty one: on demand); those
    /// already archived or asked for are left as they are. Returns how many were new.
    pub fn queue_evidence(
        &self,
        docs: &[String],
        narrative: &str,
        requested_by: &str,
        at: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let mut added = 0;
            for doc in docs {
                let done: bool = tx
                    .query_row(
                        "SELECT 1 FROM evidence_done WHERE doc_id = ?1 AND narrative = ?2",
                        params![doc, narrative],
                        |_| Ok(()),
                    )
                    .optional()?
                    .is_some();
                if done {
                    continue;
                }
                added += tx.execute(
                    "INSERT OR IGNORE INTO evidence_queue (doc_id, narrative, requested_by, requested_at)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![doc, narrative, requested_by, at.timestamp()],
                )?;
            }
            tx.commit()?;
            Ok(added)
        })
    }

    /// The oldest requests, at most `limit`: (document, narrative, requested by).
    pub fn evidence_queue(
        &self,
        limit: usize,
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare(
                "SELECT doc_id, narrative, requested_by FROM evidence_queue
                 ORDER BY requested_at, doc_id LIMIT ?1",
            )?;
            let rows =
                statement.query_map([limit as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect()
        })
    }

    /// Which of `docs` are archived under `narrative`.
    pub fn evidence_done_of(
        &self,
        docs: &[String],
        narrative: &str,
    ) -> Result<Vec<String>, StoreError> {
        self.with(|c| {
            let select = format!(
                "SELECT doc_id FROM evidence_done WHERE narrative = '{}' AND doc_id IN ({{ids}})",
                narrative.replace('\'', "''")
            );
            rows_for_ids(c, &select, docs, |r| r.get(0))
        })
    }

    /// Appends entries to the evidence log, chaining each to the one before, marks the
    /// document archived and takes it off the queue, in one transaction. The entries' `seq`,
    /// `prev` and `hash` are filled in here; returns them as written.
    pub fn append_evidence(
        &self,
        mut entries: Vec<LogEntry>,
        originals: &[Original],
        doc_id: &str,
        narrative: &str,
        at: DateTime<Utc>,
    ) -> Result<Vec<LogEntry>, StoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let (mut seq, mut prev): (i64, String) = tx
                .query_row(
                    "SELECT seq, hash FROM evidence_log ORDER BY seq DESC LIMIT 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .unwrap_or((0, super::GENESIS.to_string()));
            for entry in &mut entries {
                seq += 1;
                entry.seq = seq;
                entry.prev = prev.clone();
                entry.hash = chain_hash(&prev, &entry.fields());
                tx.execute(
                    "INSERT INTO evidence_log (seq, at_ms, file, offset, length, record_id, record_type,
                        target_uri, doc_id, narrative, sha256, prev, hash)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                    params![
                        entry.seq,
                        entry.at_ms,
                        entry.file,
                        entry.offset as i64,
                        entry.length as i64,
                        entry.record_id,
                        entry.record_type,
                        entry.target_uri,
                        entry.doc_id,
                        entry.narrative,
                        entry.sha256,
                        entry.prev,
                        entry.hash
                    ],
                )?;
                prev = entry.hash.clone();
            }
            for o in originals {
                tx.execute(
                    "INSERT OR IGNORE INTO evidence_captures (spool_id, narrative, record_id, target, date, payload_digest)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![o.spool_id, narrative, o.record_id, o.target, o.date, o.payload_digest],
                )?;
            }
            tx.execute(
                "INSERT OR IGNORE INTO evidence_done (doc_id, narrative, at) VALUES (?1, ?2, ?3)",
                params![doc_id, narrative, at.timestamp()],
            )?;
            tx.execute(
                "DELETE FROM evidence_queue WHERE doc_id = ?1 AND narrative = ?2",
                params![doc_id, narrative],
            )?;
            tx.commit()?;
            Ok(entries)
        })
    }

    /// The spooled responses among `spool_ids` already archived under `narrative`.
    pub fn archived_captures(
        &self,
        spool_ids: &[i64],
        narrative: &str,
    ) -> Result<Vec<Original>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT spool_id, record_id, target, date, payload_digest FROM evidence_captures
                 WHERE spool_id = ?1 AND narrative = ?2",
            )?;
            let mut out = Vec::new();
            for id in spool_ids {
                let found = statement
                    .query_row(params![id, narrative], |r| {
                        Ok(Original {
                            spool_id: r.get(0)?,
                            record_id: r.get(1)?,
                            target: r.get(2)?,
                            date: r.get(3)?,
                            payload_digest: r.get(4)?,
                        })
                    })
                    .optional()?;
                out.extend(found);
            }
            Ok(out)
        })
    }

    /// Takes a request off the queue without archiving (the document is gone from the index).
    pub fn drop_evidence_request(&self, doc_id: &str, narrative: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "DELETE FROM evidence_queue WHERE doc_id = ?1 AND narrative = ?2",
                params![doc_id, narrative],
            )
            .map(|_| ())
        })
    }

    /// The evidence log, in order; `narrative` keeps only that narrative's entries.
    pub fn evidence_log(&self, narrative: Option<&str>) -> Result<Vec<LogEntry>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare(
                "SELECT seq, at_ms, file, offset, length, record_id, record_type, target_uri,
                        doc_id, narrative, sha256, prev, hash
                 FROM evidence_log WHERE ?1 IS NULL OR narrative = ?1 ORDER BY seq",
            )?;
            let rows = statement.query_map([narrative], |r| {
                Ok(LogEntry {
                    seq: r.get(0)?,
                    at_ms: r.get(1)?,
                    file: r.get(2)?,
                    offset: r.get::<_, i64>(3)? as u64,
                    length: r.get::<_, i64>(4)? as u64,
                    record_id: r.get(5)?,
                    record_type: r.get(6)?,
                    target_uri: r.get(7)?,
                    doc_id: r.get(8)?,
                    narrative: r.get(9)?,
                    sha256: r.get(10)?,
                    prev: r.get(11)?,
                    hash: r.get(12)?,
                })
            })?;
            rows.collect()
        })
    }

    /// Narratives with an urgent alert sent or queued (the flagged ones) since `since`,
    /// newest first.
    pub fn flagged_narratives(&self, since: DateTime<Utc>) -> Result<Vec<String>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare(
                "SELECT narrative_id FROM narrative_alerts WHERE last_alert >= ?1
                 ORDER BY last_alert DESC",
            )?;
            let rows = statement.query_map([since.timestamp()], |r| r.get(0))?;
            rows.collect()
        })
    }
}
