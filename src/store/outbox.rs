//! The outbox: digests and alerts written before they are sent (`outbox`, one row per message
//! and channel), the slot each schedule handled last (`schedule_state`) and when each narrative
//! was alerted (`narrative_alerts`). A message is stored as plain values (its rendered form as
//! JSON text): `alert::outbox` decides what goes in, when to retry and how it is delivered.

use super::{Store, StoreError};
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// The tables of this domain (see `super::MIGRATIONS`).
pub(super) const SCHEMA: &str = "
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
CREATE TABLE IF NOT EXISTS narrative_alerts (
    narrative_id TEXT PRIMARY KEY,
    last_alert INTEGER NOT NULL,
    documents INTEGER NOT NULL,
    alerts INTEGER NOT NULL
);
";

/// A message to store: written once per channel, under `key/channel`.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub key: String,
    pub origin: String,
    /// digest, alert or update.
    pub kind: &'static str,
    pub channels: Vec<String>,
    pub recipients: Vec<String>,
    pub subject: String,
    /// The rendered message, as JSON.
    pub payload: String,
}

/// State settled with an enqueue, in the same transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum Mark {
    /// A schedule's slot is handled.
    Schedule { name: String, slot: DateTime<Utc> },
    /// A narrative was alerted at `at` with this many documents.
    Narrative {
        id: String,
        at: DateTime<Utc>,
        documents: usize,
    },
}

/// Delivery state of one message on one channel.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: i64,
    pub key: String,
    pub origin: String,
    pub channel: String,
    pub kind: String,
    pub recipients: Vec<String>,
    pub subject: String,
    /// pending, sent or failed.
    pub state: String,
    pub attempts: u32,
    pub created: DateTime<Utc>,
    pub next_attempt: DateTime<Utc>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    /// The rendered message as JSON (read only where it is sent).
    #[serde(skip)]
    pub payload: Option<String>,
}

fn time(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}

const ENTRY_COLUMNS: &str = "id, key, origin, channel, kind, recipients, subject, state, attempts,
    created, next_attempt, last_error, sent_at";

fn read_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    Ok(Entry {
        id: r.get(0)?,
        key: r.get(1)?,
        origin: r.get(2)?,
        channel: r.get(3)?,
        kind: r.get(4)?,
        recipients: serde_json::from_str(&r.get::<_, String>(5)?).unwrap_or_default(),
        subject: r.get(6)?,
        state: r.get(7)?,
        attempts: r.get::<_, i64>(8)? as u32,
        created: time(r.get(9)?),
        next_attempt: time(r.get(10)?),
        last_error: r.get(11)?,
        sent_at: r.get::<_, Option<i64>>(12)?.map(time),
        payload: None,
    })
}

impl Store {
    /// Writes messages (one row per channel) and settles the marks, in one transaction.
    /// A message whose key is already in the outbox is not written again.
    pub fn enqueue(
        &self,
        messages: &[NewMessage],
        marks: &[Mark],
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let mut written = 0;
            {
                let mut put = tx.prepare_cached(
                    "INSERT INTO outbox (key, origin, channel, kind, recipients, subject, payload,
                                         state, attempts, created, next_attempt)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', 0, ?8, ?8)
                     ON CONFLICT(key) DO NOTHING",
                )?;
                for message in messages {
                    let recipients = serde_json::to_string(&message.recipients)
                        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
                    for channel in &message.channels {
                        written += put.execute(params![
                            format!("{}/{channel}", message.key),
                            message.origin,
                            channel,
                            message.kind,
                            recipients,
                            message.subject,
                            message.payload,
                            now.timestamp()
                        ])?;
                    }
                }
                for mark in marks {
                    match mark {
                        Mark::Schedule { name, slot } => tx.execute(
                            "INSERT INTO schedule_state (name, last_slot) VALUES (?1, ?2)
                             ON CONFLICT(name) DO UPDATE SET last_slot = max(last_slot, ?2)",
                            params![name, slot.timestamp()],
                        )?,
                        Mark::Narrative { id, at, documents } => tx.execute(
                            "INSERT INTO narrative_alerts (narrative_id, last_alert, documents, alerts)
                             VALUES (?1, ?2, ?3, 1)
                             ON CONFLICT(narrative_id) DO UPDATE
                             SET last_alert = ?2, documents = ?3, alerts = alerts + 1",
                            params![id, at.timestamp(), *documents as i64],
                        )?,
                    };
                }
            }
            tx.commit()?;
            Ok(written)
        })
    }

    /// The last slot a schedule handled; `None` for a schedule never seen.
    pub fn schedule_last_slot(&self, name: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT last_slot FROM schedule_state WHERE name = ?1",
                [name],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map(|v| v.map(time))
        })
    }

    /// Starts a new schedule at `now`: its first digest is the next slot's.
    pub fn register_schedule(&self, name: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO schedule_state (name, last_slot) VALUES (?1, ?2) ON CONFLICT(name) DO NOTHING",
                params![name, now.timestamp()],
            )
            .map(|_| ())
        })
    }

    /// When a narrative was last alerted, with how many documents, and how many alerts so far.
    pub fn narrative_alert(
        &self,
        id: &str,
    ) -> Result<Option<(DateTime<Utc>, usize, u32)>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT last_alert, documents, alerts FROM narrative_alerts WHERE narrative_id = ?1",
                [id],
                |r| {
                    Ok((
                        time(r.get(0)?),
                        r.get::<_, i64>(1)? as usize,
                        r.get::<_, i64>(2)? as u32,
                    ))
                },
            )
            .optional()
        })
    }

    /// Claims the pending messages due at `now`: each gets an attempt counted and its next
    /// attempt moved past `backoff_secs(attempts)`, committed before anything is sent.
    pub fn claim_due(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        backoff_secs: impl Fn(u32) -> i64,
    ) -> Result<Vec<Entry>, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let mut out = Vec::new();
            {
                let mut due = tx.prepare_cached(&format!(
                    "SELECT {ENTRY_COLUMNS}, payload FROM outbox
                     WHERE state = 'pending' AND next_attempt <= ?1 ORDER BY next_attempt, id LIMIT ?2"
                ))?;
                let rows = due.query_map(params![now.timestamp(), limit as i64], |r| {
                    let mut entry = read_entry(r)?;
                    entry.payload = Some(r.get::<_, String>(13)?);
                    Ok(entry)
                })?;
                for row in rows {
                    out.push(row?);
                }
                let mut claim = tx.prepare_cached(
                    "UPDATE outbox SET attempts = attempts + 1, next_attempt = ?2 WHERE id = ?1",
                )?;
                for entry in &mut out {
                    entry.attempts += 1;
                    entry.next_attempt =
                        now + chrono::Duration::seconds(backoff_secs(entry.attempts));
                    claim.execute(params![entry.id, entry.next_attempt.timestamp()])?;
                }
            }
            tx.commit()?;
            Ok(out)
        })
    }

    /// Marks a message sent.
    pub fn mark_sent(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE outbox SET state = 'sent', sent_at = ?2, last_error = NULL WHERE id = ?1",
                params![id, now.timestamp()],
            )
            .map(|_| ())
        })
    }

    /// Records a failed attempt; the message stays pending (retried at its next attempt)
    /// unless `give_up`.
    pub fn mark_failed(&self, id: i64, error: &str, give_up: bool) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE outbox SET last_error = ?2, state = CASE WHEN ?3 THEN 'failed' ELSE state END
                 WHERE id = ?1",
                params![id, error, give_up],
            )
            .map(|_| ())
        })
    }

    /// Makes every pending message due now (`vigil digest retry`).
    pub fn retry_now(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE outbox SET next_attempt = ?1 WHERE state = 'pending'",
                [now.timestamp()],
            )
        })
    }

    /// The newest outbox entries, newest first.
    pub fn outbox(&self, limit: usize) -> Result<Vec<Entry>, StoreError> {
        self.outbox_without(limit, None)
    }

    /// The outbox, newest first, leaving out the messages of one origin (the security
    /// office's alerts, for the roles that may not see them).
    pub fn outbox_without(
        &self,
        limit: usize,
        origin: Option<&str>,
    ) -> Result<Vec<Entry>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {ENTRY_COLUMNS} FROM outbox WHERE ?2 IS NULL OR origin <> ?2
                 ORDER BY created DESC, id DESC LIMIT ?1"
            ))?;
            let rows = statement.query_map(params![limit as i64, origin], read_entry)?;
            rows.collect()
        })
    }

    /// One outbox entry with its rendered message.
    pub fn outbox_entry(&self, id: i64) -> Result<Option<Entry>, StoreError> {
        self.with(|c| {
            c.query_row(
                &format!("SELECT {ENTRY_COLUMNS}, payload FROM outbox WHERE id = ?1"),
                [id],
                |r| {
                    let mut entry = read_entry(r)?;
                    entry.payload = Some(r.get::<_, String>(13)?);
                    Ok(entry)
                },
            )
            .optional()
        })
    }
}
