//! The outbox: every message is written to the state database before it is sent, then claimed,
//! sent and marked sent. In: rendered digests and alerts with the schedule slot or narrative
//! state they settle (written in the same transaction, so a slot is never handled twice and
//! never lost); out: deliveries through `deliver`, retried with exponential backoff.
//!
//! A claim moves the message's next attempt past the backoff before it is sent, in its own
//! commit. A crash after sending and before marking leaves it pending, so it is sent once more
//! after the backoff, with the same idempotency key (Message-ID, `Idempotency-Key`) for the
//! receiver to drop.

use super::digest::Kind;
use super::render::Rendered;
use crate::config::alerting::Alerting;
use crate::store::{Store, StoreError};
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// Attempts before a message is given up as failed (about 12 hours of backoff).
pub const MAX_ATTEMPTS: u32 = 16;

/// Seconds to wait after attempt `n` (1-based): a minute, doubling, at most an hour.
pub fn backoff_secs(attempt: u32) -> i64 {
    60i64
        .saturating_mul(1i64 << attempt.saturating_sub(1).min(10))
        .min(3_600)
}

/// A message ready for the outbox.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Unique per message; the outbox key adds the channel.
    pub key: String,
    /// The schedule's name, or `alerts`.
    pub origin: String,
    pub kind: Kind,
    pub channels: Vec<String>,
    pub recipients: Vec<String>,
    pub rendered: Rendered,
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
    #[serde(skip)]
    pub rendered: Option<Rendered>,
}

fn time(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}

fn kind_str(kind: Kind) -> &'static str {
    match kind {
        Kind::Digest => "digest",
        Kind::Alert => "alert",
        Kind::Update => "update",
    }
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
        rendered: None,
    })
}

impl Store {
    /// Writes messages (one row per channel) and settles the marks, in one transaction.
    /// A message whose key is already in the outbox is not written again.
    pub fn enqueue(
        &self,
        messages: &[Outgoing],
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
                    let payload = serde_json::to_string(&message.rendered)
                        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
                    let recipients = serde_json::to_string(&message.recipients)
                        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
                    for channel in &message.channels {
                        written += put.execute(params![
                            format!("{}/{channel}", message.key),
                            message.origin,
                            channel,
                            kind_str(message.kind),
                            recipients,
                            message.rendered.subject,
                            payload,
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
    /// attempt moved past the backoff, committed before anything is sent.
    pub fn claim_due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Entry>, StoreError> {
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
                    entry.rendered = serde_json::from_str(&r.get::<_, String>(13)?).ok();
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
        self.with(|c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {ENTRY_COLUMNS} FROM outbox ORDER BY created DESC, id DESC LIMIT ?1"
            ))?;
            let rows = statement.query_map([limit as i64], read_entry)?;
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
                    entry.rendered = serde_json::from_str(&r.get::<_, String>(13)?).ok();
                    Ok(entry)
                },
            )
            .optional()
        })
    }
}

/// What one delivery round did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Delivered {
    pub sent: usize,
    pub failed: usize,
    pub gave_up: usize,
    /// One line per failure: channel, target and reason (never a credential).
    pub errors: Vec<String>,
}

/// Fault injection for the tests, compiled only with the `fault-injection` feature (never in
/// the product): with `VIGIL_CRASH_AFTER_SEND` set, the process aborts right after a message
/// is sent and before it is marked sent (the crash the outbox must survive).
#[cfg(feature = "fault-injection")]
fn crash_after_send() {
    if std::env::var_os("VIGIL_CRASH_AFTER_SEND").is_some() {
        std::process::abort();
    }
}

/// Sends every due message, each on its channel.
pub async fn deliver_due(
    store: &Store,
    alerting: &Alerting,
    http: &reqwest::Client,
    now: DateTime<Utc>,
) -> Result<Delivered, StoreError> {
    let mut report = Delivered::default();
    loop {
        let batch = store.claim_due(now, 50)?;
        if batch.is_empty() {
            return Ok(report);
        }
        for entry in batch {
            let result = match (alerting.channel(&entry.channel), &entry.rendered) {
                (None, _) => Err(format!(
                    "channel {:?} is no longer configured",
                    entry.channel
                )),
                (_, None) => Err("the stored message cannot be read".to_string()),
                (Some(channel), Some(rendered)) => {
                    let envelope = super::deliver::Envelope {
                        key: &entry.key,
                        recipients: &entry.recipients,
                        rendered,
                    };
                    super::deliver::send(channel, &envelope, http)
                        .await
                        .map_err(|e| e.to_string())
                }
            };
            match result {
                Ok(()) => {
                    #[cfg(feature = "fault-injection")]
                    crash_after_send();
                    store.mark_sent(entry.id, Utc::now())?;
                    report.sent += 1;
                    tracing::info!(key = %entry.key, channel = %entry.channel, "delivered");
                }
                Err(error) => {
                    let give_up = entry.attempts >= MAX_ATTEMPTS
                        || alerting.channel(&entry.channel).is_none();
                    store.mark_failed(entry.id, &error, give_up)?;
                    report.failed += 1;
                    if give_up {
                        report.gave_up += 1;
                    }
                    tracing::warn!(key = %entry.key, channel = %entry.channel, %error, attempts = entry.attempts, "delivery failed");
                    report.errors.push(format!("{}: {error}", entry.key));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_a_minute_to_an_hour() {
        let cases = [
            (0, 60),
            (1, 60),
            (2, 120),
            (3, 240),
            (6, 1_920),
            (7, 3_600),
            (40, 3_600),
        ];
        for (attempt, secs) in cases {
            assert_eq!(backoff_secs(attempt), secs, "attempt {attempt}");
        }
    }

    fn outgoing(key: &str) -> Outgoing {
        Outgoing {
            key: key.into(),
            origin: "morning".into(),
            kind: Kind::Digest,
            channels: vec!["mail".into(), "hook".into()],
            recipients: vec!["press@court.example.org".into()],
            rendered: Rendered {
                subject: "s".into(),
                text: "t".into(),
                html: "h".into(),
                markdown: "m".into(),
                json: "{}".into(),
                slack: "{}".into(),
                teams: "{}".into(),
            },
        }
    }

    #[test]
    fn messages_are_written_once_claimed_with_backoff_and_marked() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("state.sqlite")).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 6, 30, 0).unwrap();
        let slot = Mark::Schedule {
            name: "morning".into(),
            slot: now,
        };
        assert_eq!(store.schedule_last_slot("morning").unwrap(), None);
        assert_eq!(
            store
                .enqueue(&[outgoing("d1")], &[slot.clone()], now)
                .unwrap(),
            2
        );
        // The same key again writes nothing.
        assert_eq!(store.enqueue(&[outgoing("d1")], &[slot], now).unwrap(), 0);
        assert_eq!(store.schedule_last_slot("morning").unwrap(), Some(now));
        let claimed = store.claim_due(now, 10).unwrap();
        assert_eq!(claimed.len(), 2);
        assert!(
            claimed
                .iter()
                .all(|e| e.attempts == 1 && e.rendered.is_some())
        );
        // Claimed messages are not due again until their backoff has passed.
        assert!(store.claim_due(now, 10).unwrap().is_empty());
        store.mark_sent(claimed[0].id, now).unwrap();
        store
            .mark_failed(claimed[1].id, "connection refused", false)
            .unwrap();
        let later = now + chrono::Duration::seconds(61);
        let again = store.claim_due(later, 10).unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempts, 2);
        assert_eq!(again[0].last_error.as_deref(), Some("connection refused"));
        store
            .mark_failed(again[0].id, "still refused", true)
            .unwrap();
        let states: Vec<(String, String)> = store
            .outbox(10)
            .unwrap()
            .into_iter()
            .map(|e| (e.channel, e.state))
            .collect();
        assert!(
            states.contains(&("mail".into(), "sent".into())),
            "{states:?}"
        );
        assert!(
            states.contains(&("hook".into(), "failed".into())),
            "{states:?}"
        );
        assert!(
            store
                .claim_due(later + chrono::Duration::days(1), 10)
                .unwrap()
                .is_empty()
        );
        // Narrative alert state.
        store
            .enqueue(
                &[],
                &[Mark::Narrative {
                    id: "nabc".into(),
                    at: now,
                    documents: 7,
                }],
                now,
            )
            .unwrap();
        assert_eq!(store.narrative_alert("nabc").unwrap(), Some((now, 7, 1)));
    }
}
