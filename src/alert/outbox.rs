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
use crate::store::outbox::NewMessage;
pub use crate::store::outbox::{Entry, Mark};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};

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

/// Stores messages (one row per channel) and settles the marks, in one transaction; a message
/// whose key is already in the outbox is not written again. Returns the rows written.
pub fn enqueue(
    store: &Store,
    messages: &[Outgoing],
    marks: &[Mark],
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let rows = messages
        .iter()
        .map(|m| {
            Ok(NewMessage {
                key: m.key.clone(),
                origin: m.origin.clone(),
                kind: match m.kind {
                    Kind::Digest => "digest",
                    Kind::Alert => "alert",
                    Kind::Update => "update",
                },
                channels: m.channels.clone(),
                recipients: m.recipients.clone(),
                subject: m.rendered.subject.clone(),
                payload: serde_json::to_string(&m.rendered)?,
            })
        })
        .collect::<Result<Vec<_>, serde_json::Error>>()
        .map_err(|e| store.error(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
    store.enqueue(&rows, marks, now)
}

/// The rendered message of a claimed entry; `None` when the stored JSON cannot be read.
pub fn rendered(entry: &Entry) -> Option<Rendered> {
    serde_json::from_str(entry.payload.as_deref()?).ok()
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
        let batch = store.claim_due(now, 50, backoff_secs)?;
        if batch.is_empty() {
            return Ok(report);
        }
        for entry in batch {
            let result = match (alerting.channel(&entry.channel), rendered(&entry)) {
                (None, _) => Err(format!(
                    "channel {:?} is no longer configured",
                    entry.channel
                )),
                (_, None) => Err("the stored message cannot be read".to_string()),
                (Some(channel), Some(rendered)) => {
                    let rendered = &rendered;
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
    use chrono::TimeZone;

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
            enqueue(&store, &[outgoing("d1")], &[slot.clone()], now).unwrap(),
            2
        );
        // The same key again writes nothing.
        assert_eq!(enqueue(&store, &[outgoing("d1")], &[slot], now).unwrap(), 0);
        assert_eq!(store.schedule_last_slot("morning").unwrap(), Some(now));
        let claimed = store.claim_due(now, 10, backoff_secs).unwrap();
        assert_eq!(claimed.len(), 2);
        assert!(
            claimed
                .iter()
                .all(|e| e.attempts == 1 && rendered(e).is_some())
        );
        // Claimed messages are not due again until their backoff has passed.
        assert!(store.claim_due(now, 10, backoff_secs).unwrap().is_empty());
        store.mark_sent(claimed[0].id, now).unwrap();
        store
            .mark_failed(claimed[1].id, "connection refused", false)
            .unwrap();
        let later = now + chrono::Duration::seconds(61);
        let again = store.claim_due(later, 10, backoff_secs).unwrap();
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
                .claim_due(later + chrono::Duration::days(1), 10, backoff_secs)
                .unwrap()
                .is_empty()
        );
        // Narrative alert state.
        enqueue(
            &store,
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
