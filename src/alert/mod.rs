//! Alerts and digests: what the people who watch the court read, on time and once. In: the read
//! side (narratives, stored-query volumes, documents, source health) and the `[[channels]]`,
//! `[[schedules]]` and `[alerts]` configuration; out: messages in the outbox, then delivered.
//!
//! - `digest` gathers a period's emerging narratives, query volumes, top documents and source
//!   problems; `render` writes it as Markdown, text, HTML email, JSON, Slack and Teams payloads.
//! - `schedule` says which slot is due; `tick` turns due slots and urgent narratives into
//!   outbox messages; `outbox` keeps them until `deliver` has sent them.

pub mod deliver;
pub mod digest;
pub mod outbox;
pub mod render;
pub mod schedule;
pub mod security;

use crate::config::Config;
use crate::readside::ReadSide;
use crate::store::Store;
use chrono::{DateTime, Utc};
use digest::{Digest, DigestError, Kind, Selection};
use outbox::{Mark, Outgoing};
use std::sync::Arc;

/// A failure while turning schedules and narratives into messages.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error(transparent)]
    Digest(#[from] DigestError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Detect(#[from] crate::detect::DetectError),
    #[error("no schedule named {0:?} in the configuration")]
    UnknownSchedule(String),
}

fn slot_key(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The digest of one schedule over `[start, end)`.
pub fn schedule_digest(
    read: &ReadSide,
    config: &Config,
    schedule: &crate::config::alerting::Schedule,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Digest, AlertError> {
    let selection = Selection {
        queries: schedule.queries.clone(),
        min_severity: schedule.min_severity,
    };
    let mut digest = digest::build(read, config, &selection, start, end)?;
    digest.schedule = Some(schedule.name.clone());
    digest.title = format!("Vigil digest ({})", schedule.name);
    Ok(digest)
}

/// Puts every due scheduled digest in the outbox, each with its slot marked handled in the same
/// transaction. A schedule seen for the first time starts now and waits for its next slot;
/// slots missed while Vigil was down are caught up by one digest. Returns the keys written.
pub fn tick_schedules(
    read: &ReadSide,
    store: &Store,
    config: &Config,
    now: DateTime<Utc>,
) -> Result<Vec<String>, AlertError> {
    let mut written = Vec::new();
    for schedule in &config.alerting.schedules {
        let last = store.schedule_last_slot(&schedule.name)?;
        if last.is_none() {
            store.register_schedule(&schedule.name, now)?;
            continue;
        }
        let Some(slot) = schedule::due(schedule, last, now) else {
            continue;
        };
        let (start, end) = schedule::period(schedule, slot, last);
        let digest = schedule_digest(read, config, schedule, start, end)?;
        let key = format!("digest-{}-{}", schedule.name, slot_key(slot));
        let outgoing = Outgoing {
            key: key.clone(),
            origin: schedule.name.clone(),
            kind: Kind::Digest,
            channels: schedule.channels.clone(),
            recipients: schedule.recipients.clone(),
            rendered: render::render(&digest),
        };
        outbox::enqueue(
            store,
            &[outgoing],
            &[Mark::Schedule {
                name: schedule.name.clone(),
                slot,
            }],
            now,
        )?;
        tracing::info!(schedule = %schedule.name, %slot, "digest queued");
        written.push(key);
    }
    Ok(written)
}

/// Puts one schedule's digest in the outbox now (`vigil digest send NAME`), covering the time
/// since its last slot (or its period); the schedule's own slots are left as they are.
pub fn send_now(
    read: &ReadSide,
    store: &Store,
    config: &Config,
    name: &str,
    now: DateTime<Utc>,
) -> Result<String, AlertError> {
    let schedule = config
        .alerting
        .schedule(name)
        .ok_or_else(|| AlertError::UnknownSchedule(name.to_string()))?;
    let last = store.schedule_last_slot(name)?;
    let start = match (schedule.period, last) {
        (Some(period), _) => {
            now - chrono::Duration::from_std(period).unwrap_or(chrono::Duration::days(1))
        }
        (None, Some(last)) if last < now => schedule::period(schedule, now, Some(last)).0,
        (None, _) => schedule::period(schedule, now, None).0,
    };
    let digest = schedule_digest(read, config, schedule, start, now)?;
    let key = format!("digest-{name}-now-{}", slot_key(now));
    outbox::enqueue(
        store,
        &[Outgoing {
            key: key.clone(),
            origin: name.to_string(),
            kind: Kind::Digest,
            channels: schedule.channels.clone(),
            recipients: schedule.recipients.clone(),
            rendered: render::render(&digest),
        }],
        &[],
        now,
    )?;
    Ok(key)
}

/// Alerts urgent narratives at once: a narrative never alerted gets an alert of its own; one
/// alerted before gets nothing within the cooldown, and after it, if it grew, joins one update
/// message with every other that grew. Returns the keys written.
pub fn tick_alerts(
    read: &ReadSide,
    store: &Store,
    config: &Config,
    now: DateTime<Utc>,
) -> Result<Vec<String>, AlertError> {
    let Some(alerts) = &config.alerting.alerts else {
        return Ok(Vec::new());
    };
    let selection = Selection {
        queries: Vec::new(),
        min_severity: alerts.min_severity,
    };
    let cooldown =
        chrono::Duration::from_std(alerts.cooldown).unwrap_or(chrono::Duration::hours(6));
    let current = read.queries();
    let urgent: Vec<crate::detect::narrative::Narrative> = read
        .narratives(now - chrono::Duration::days(7), now)?
        .into_iter()
        .filter(|n| n.urgent)
        .filter(|n| digest::concerns(n, &current, &selection))
        .collect();
    let mut written = Vec::new();
    let mut grown = Vec::new();
    let message =
        |kind: Kind, key: String, narratives: Vec<crate::detect::narrative::Narrative>| {
            let start = narratives
                .iter()
                .map(|n| n.first_seen.published)
                .min()
                .unwrap_or(now);
            let digest = Digest {
                kind,
                title: match kind {
                    Kind::Update => "Vigil update: narratives that grew".to_string(),
                    _ => "Vigil urgent narrative".to_string(),
                },
                schedule: None,
                generated: now,
                period_start: start,
                period_end: now,
                narratives,
                volumes: Vec::new(),
                top_documents: Vec::new(),
                source_problems: Vec::new(),
                query_problems: Vec::new(),
            };
            Outgoing {
                key,
                origin: "alerts".into(),
                kind,
                channels: alerts.channels.clone(),
                recipients: alerts.recipients.clone(),
                rendered: render::render(&digest),
            }
        };
    for narrative in urgent {
        match store.narrative_alert(&narrative.id)? {
            None => {
                let key = format!("alert-{}-1", narrative.id);
                let mark = Mark::Narrative {
                    id: narrative.id.clone(),
                    at: now,
                    documents: narrative.documents,
                };
                outbox::enqueue(
                    store,
                    &[message(Kind::Alert, key.clone(), vec![narrative])],
                    &[mark],
                    now,
                )?;
                written.push(key);
            }
            Some((last, documents, _))
                if now - last >= cooldown && narrative.documents > documents =>
            {
                grown.push(narrative);
            }
            Some(_) => {}
        }
    }
    if !grown.is_empty() {
        let mut ids: Vec<&str> = grown.iter().map(|n| n.id.as_str()).collect();
        ids.sort_unstable();
        let key = format!(
            "update-{}-{:016x}",
            slot_key(now),
            xxhash_rust::xxh3::xxh3_64(ids.join(",").as_bytes())
        );
        let marks: Vec<Mark> = grown
            .iter()
            .map(|n| Mark::Narrative {
                id: n.id.clone(),
                at: now,
                documents: n.documents,
            })
            .collect();
        outbox::enqueue(
            store,
            &[message(Kind::Update, key.clone(), grown)],
            &marks,
            now,
        )?;
        written.push(key);
    }
    Ok(written)
}

/// One round of the alerting loop: due digests and urgent alerts into the outbox, then the
/// outbox delivered. Errors are logged; the next round tries again.
pub async fn round(read: &ReadSide, store: &Arc<Store>, config: &Config, http: &reqwest::Client) {
    let now = Utc::now();
    let (r, o, c) = (read.clone(), store.clone(), config.clone());
    let queued = tokio::task::spawn_blocking(move || {
        let schedules = tick_schedules(&r, &o, &c, now);
        let alerts = tick_alerts(&r, &o, &c, now);
        (schedules, alerts)
    })
    .await;
    match queued {
        Ok((schedules, alerts)) => {
            for (what, result) in [("scheduled digests", schedules), ("urgent alerts", alerts)] {
                if let Err(error) = result {
                    tracing::warn!(%error, "{what} failed; retried next round");
                }
            }
        }
        Err(error) => tracing::warn!(%error, "alerting round failed"),
    }
    match outbox::deliver_due(store, &config.alerting, http, Utc::now()).await {
        Ok(report) if report.sent + report.failed > 0 => {
            tracing::info!(
                sent = report.sent,
                failed = report.failed,
                "outbox delivered"
            )
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "outbox delivery failed; retried next round"),
    }
}

/// Whether anything can reach the outbox: digest schedules, urgent alerts, or the leak
/// watch's security alerts (which need the delivery rounds even with no digest configured).
pub fn has_work(config: &Config) -> bool {
    !config.alerting.schedules.is_empty()
        || config.alerting.alerts.is_some()
        || config.leakwatch.is_some()
}

/// Runs alerting rounds every `every` until `shutdown` resolves.
pub async fn run(
    read: ReadSide,
    store: Arc<Store>,
    config: Config,
    every: std::time::Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    if !has_work(&config) {
        return;
    }
    let http = match deliver::http_client() {
        Ok(http) => http,
        Err(error) => {
            tracing::error!(%error, "alerting disabled: cannot build the webhook client");
            return;
        }
    };
    tokio::pin!(shutdown);
    loop {
        round(&read, &store, &config, &http).await;
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delivery_rounds_run_when_anything_can_reach_the_outbox() {
        let base = "[crawl]\ncontact_url = \"https://vigil.example.org/c\"\n";
        let channel = "[[channels]]\nname = \"desk\"\nkind = \"folder\"\npath = \"desk\"\n";
        for (extra, expected) in [
            ("", false),
            ("[alerts]\nchannels = [\"desk\"]\n", true),
            (
                "[[schedules]]\nname = \"m\"\ncron = \"0 7 * * *\"\ntimezone = \"UTC\"\nchannels = [\"desk\"]\n",
                true,
            ),
            // Security alerts alone still need delivering.
            (
                "[leakwatch]\nkey_env = \"VIGIL_TEST_KEY\"\nchannels = [\"desk\"]\n",
                true,
            ),
        ] {
            let text = format!("{base}{channel}{extra}");
            let config = Config::parse(
                &text,
                std::path::Path::new("vigil.toml"),
                std::path::Path::new("."),
            )
            .unwrap();
            assert_eq!(has_work(&config), expected, "{extra}");
        }
    }
}
