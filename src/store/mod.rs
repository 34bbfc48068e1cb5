//! The state database (SQLite in WAL mode, `index/state.sqlite`), split by domain, each file
//! holding its tables' schema beside the queries that use them:
//! - `crawl`: per-source crawl state and what was indexed;
//! - `matches`: stored-query matches, the percolation mark and story clusters;
//! - `outbox`: digests and alerts waiting to be delivered, schedule slots, alerted narratives;
//! - `accounts`: users, sessions, API tokens and the audit log (hash-chained);
//! - `leaks`: the leak watch's keyed fingerprints and matches (never the text);
//! - `evidence`: the spool of raw responses, the archive queue and the hash-chained evidence
//!   log.
//!
//! This file owns the connection and the one ordered list of migrations. Rows are plain values
//! (hashes, JSON text): what they mean belongs to the modules that write them (`alert`, `auth`).
//! Calls are blocking; async callers use `spawn_blocking`. Every write that depends on the index
//! happens after the index commit it refers to, so a crash repeats work and never loses it.

pub mod accounts;
pub mod crawl;
pub mod evidence;
pub mod leaks;
pub mod matches;
pub mod outbox;

pub use crawl::{Duplicate, Known, Repeat, Seen, SourceState, Success};
pub use matches::{ClusterMember, ClusterRow, MatchRow};

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A state-database failure, with the file.
#[derive(Debug, thiserror::Error)]
#[error("state database {path}: {source}")]
pub struct StoreError {
    pub path: PathBuf,
    pub source: rusqlite::Error,
}

/// The state database.
pub struct Store {
    path: PathBuf,
    conn: Mutex<Connection>,
}

/// One step of the schema's history. Every step is idempotent and all run at each open, in
/// this order, so a database of any earlier version is brought up to date.
enum Migration {
    /// Tables and indexes of one domain (`CREATE … IF NOT EXISTS`).
    Schema(&'static str),
    /// A column added after the first release: table, column, declaration.
    AddColumn(&'static str, &'static str, &'static str),
    /// Anything else, such as indexes over added columns.
    Sql(&'static str),
}

/// The schema's history, oldest first. A change is a new step at the end.
const MIGRATIONS: &[Migration] = &[
    Migration::Schema(crawl::SCHEMA),
    Migration::Schema(matches::SCHEMA),
    Migration::Schema(outbox::SCHEMA),
    Migration::Schema(accounts::SCHEMA),
    Migration::AddColumn("sources", "unchanged_polls", "INTEGER NOT NULL DEFAULT 0"),
    Migration::AddColumn("sources", "first_success", "INTEGER"),
    Migration::AddColumn("sources", "last_new_document", "INTEGER"),
    Migration::AddColumn("sources", "cursor", "TEXT"),
    Migration::AddColumn("sources", "api_url", "TEXT"),
    Migration::AddColumn("seen", "source", "TEXT NOT NULL DEFAULT ''"),
    Migration::AddColumn("seen", "url", "TEXT NOT NULL DEFAULT ''"),
    Migration::AddColumn("seen", "simhash", "INTEGER NOT NULL DEFAULT 0"),
    Migration::AddColumn("seen", "dup_group", "TEXT NOT NULL DEFAULT ''"),
    Migration::AddColumn("seen", "body_chars", "INTEGER NOT NULL DEFAULT 0"),
    Migration::AddColumn("cluster_members", "seq", "INTEGER NOT NULL DEFAULT 0"),
    Migration::Sql(
        "CREATE INDEX IF NOT EXISTS seen_by_url ON seen (url) WHERE url <> '';
         CREATE INDEX IF NOT EXISTS seen_by_source_hash ON seen (source, content_hash);
         CREATE INDEX IF NOT EXISTS seen_by_first_seen ON seen (first_seen);
         CREATE INDEX IF NOT EXISTS matches_by_seq ON matches (seq);
         CREATE INDEX IF NOT EXISTS matches_by_doc ON matches (doc_id);
         CREATE INDEX IF NOT EXISTS members_by_published ON cluster_members (published);",
    ),
    Migration::Schema(crawl::REPEATS),
    Migration::AddColumn("api_tokens", "expires", "INTEGER"),
    Migration::AddColumn("sources", "last_items", "INTEGER"),
    Migration::AddColumn("sources", "last_unreadable", "INTEGER NOT NULL DEFAULT 0"),
    Migration::Schema(evidence::SCHEMA),
    Migration::AddColumn("audit", "prev", "TEXT"),
    Migration::AddColumn("audit", "hash", "TEXT"),
    Migration::Schema(leaks::SCHEMA),
];

/// The `prev` of a chain's first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The hash of a chained entry: SHA-256 over the previous entry's hash, a line feed, and the
/// SHA-256 of the entry's fields as compact JSON (hex throughout). Anyone can recompute it:
/// `printf '%s\n%s' PREV "$(printf '%s' FIELDS | sha256sum | cut -c1-64)" | sha256sum`.
pub fn chain_hash(prev: &str, fields: &serde_json::Value) -> String {
    let fields_digest = sha256_hex(fields.to_string().as_bytes());
    sha256_hex(format!("{prev}\n{fields_digest}").as_bytes())
}

fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    for step in MIGRATIONS {
        match step {
            Migration::Schema(sql) | Migration::Sql(sql) => conn.execute_batch(sql)?,
            Migration::AddColumn(table, column, declaration) => {
                let mut statement = conn.prepare(&format!(
                    "SELECT 1 FROM pragma_table_info('{table}') WHERE name = ?1"
                ))?;
                if !statement.exists([column])? {
                    conn.execute_batch(&format!(
                        "ALTER TABLE {table} ADD COLUMN {column} {declaration}"
                    ))?;
                }
            }
        }
    }
    Ok(())
}

/// Ids looked up in one statement, well under SQLite's limit on bound parameters.
const IDS_PER_STATEMENT: usize = 500;

/// The rows of `select` (whose `{ids}` stands for the bound ids, as in `… IN ({ids})`) for many
/// ids, `IDS_PER_STATEMENT` to a statement instead of one statement per id.
pub(crate) fn rows_for_ids<T>(
    conn: &Connection,
    select: &str,
    ids: &[String],
    row: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let mut statement = conn.prepare_cached(&select.replace("{ids}", &marks))?;
        for found in statement.query_map(rusqlite::params_from_iter(chunk), &row)? {
            out.push(found?);
        }
    }
    Ok(out)
}

pub(crate) fn to_time(secs: Option<i64>) -> Option<DateTime<Utc>> {
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

    /// A failure of this database, naming its file.
    pub(crate) fn error(&self, source: rusqlite::Error) -> StoreError {
        StoreError {
            path: self.path.clone(),
            source,
        }
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Match;
    use std::collections::HashMap;

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
    fn matched_documents_come_once_in_sequence_order_a_bounded_read_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("state.sqlite")).unwrap();
        let at = Utc.timestamp_opt(1_800_000_000, 0).single().unwrap();
        let matched = |query: &str, doc: &str, seq: u64| Match {
            query_id: query.into(),
            doc_id: doc.into(),
            source: "s".into(),
            published: at,
            seq,
        };
        // a (two queries) at 1, b at 2, c at 4; a edited and matched again by q1 at 5 (its
        // q2 row stays at 1).
        store
            .record_matches(
                &[
                    matched("q1", "a", 1),
                    matched("q2", "a", 1),
                    matched("q1", "b", 2),
                    matched("q2", "c", 4),
                ],
                4,
            )
            .unwrap();
        store.record_matches(&[matched("q1", "a", 5)], 5).unwrap();
        let read = |after, limit| {
            let found = store.matched_after(after, limit).unwrap();
            found
                .iter()
                .map(|(id, seq)| format!("{id}{seq}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let table = [
            ((0, 10), "a1 b2 c4"),
            ((0, 2), "a1 b2"),
            ((2, 10), "c4 a5"),
            ((4, 1), "a5"),
            ((5, 10), ""),
        ];
        for ((after, limit), expected) in table {
            assert_eq!(read(after, limit), expected, "after {after}, limit {limit}");
        }
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
            items: 10,
            unreadable: 3,
        })?;
        let state = store.source_state("a")?.ok_or("no state")?;
        assert_eq!((state.last_items, state.last_unreadable), (Some(10), 3));
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
            Some(Duplicate::SameUrl("d".to_string()))
        );
        assert_eq!(
            store.exact_duplicate_of("x", "https://b.example/x", "a", u64::MAX, true)?,
            Some(Duplicate::SameText("d".to_string()))
        );
        assert_eq!(
            store.exact_duplicate_of("x", "https://b.example/x", "a", u64::MAX, false)?,
            None,
            "social posts with the same text are separate posts"
        );
        assert_eq!(
            store.exact_duplicate_of("x", "https://a.example/d", "a", 1, false)?,
            Some(Duplicate::SameUrl("d".to_string())),
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
        // Repeats are kept once each, however often they are recorded.
        let repeat = Repeat {
            doc_id: "d".into(),
            url: "https://a.example/d-again".into(),
            source: "a".into(),
            at: now,
        };
        store.record_repeats(&[repeat.clone(), repeat.clone()])?;
        store.record_repeats(&[repeat])?;
        assert_eq!(
            store.repeats_of(&["d".to_string(), "e".to_string()])?,
            vec![(
                "d".to_string(),
                Utc.timestamp_opt(now.timestamp(), 0).unwrap()
            )]
        );
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
