//! Security alerts: a crawled document that holds the court's registered confidential material
//! (`leakwatch`). In: the match; out: one message on the leak watch's own channels
//! (`[leakwatch] channels`, the security office's), never in a press digest. Its key is the
//! document and the registered label, so a document found again (or a crash before it was
//! marked) never sends it twice.

use super::digest::Kind;
use super::outbox::{self, Outgoing};
use super::render;
use crate::config::security::LeakWatchSettings;
use crate::store::leaks::LeakMatch;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};

/// The origin of security alerts in the outbox: what only the security role sees.
pub const ORIGIN: &str = "leakwatch";

/// The message of a match.
pub fn leak_alert(m: &LeakMatch, settings: &LeakWatchSettings) -> Outgoing {
    let share = m.matched as f64 / m.total.max(1) as f64;
    let facts = vec![
        ("Registered document", m.label.clone()),
        (
            "Found",
            format!(
                "{} of the {} fingerprints of its most-found part ({:.0}%)",
                m.matched,
                m.total,
                share * 100.0
            ),
        ),
        ("Source", m.source.clone()),
        ("Address", m.url.clone()),
        ("Seen", render::time(m.at)),
        (
            "Kept",
            "Not indexed, not searchable, in no digest or narrative; the page as fetched is archived as WARC evidence (vigil evidence verify).".to_string(),
        ),
    ];
    Outgoing {
        key: format!("leak-{}-{}", m.doc_id, m.label_id),
        origin: ORIGIN.to_string(),
        kind: Kind::Alert,
        channels: settings.channels.clone(),
        recipients: settings.recipients.clone(),
        rendered: render::notice(
            &format!("Vigil security: registered material \"{}\" found", m.label),
            &facts,
            Some((&m.title, &m.url)),
        ),
    }
}

/// Queues the alert of a match (once per document and label).
pub fn enqueue_leak(
    store: &Store,
    m: &LeakMatch,
    settings: &LeakWatchSettings,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    outbox::enqueue(store, &[leak_alert(m, settings)], &[], now)
}
