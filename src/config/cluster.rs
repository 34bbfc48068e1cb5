//! `[cluster]` in `vigil.toml`: crawling across machines on NATS JetStream. Absent, `vigil run`
//! crawls in one process; present, it dispatches fetch jobs to `vigil worker` processes and
//! indexes their results. Every error names its key.

use std::time::Duration;

/// How the crawl is spread over workers.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterSettings {
    /// The broker, `nats://host:4222`.
    pub nats: String,
    /// Host partitions: each belongs to exactly one live worker at a time, so a host's budget,
    /// robots.txt and pauses are kept by one fetcher.
    pub partitions: u32,
    /// How long a worker's claim on a partition lasts unless renewed (a dead worker's
    /// partitions move after this).
    pub lease: Duration,
    /// How long a job may be in progress before the broker hands it out again.
    pub ack_wait: Duration,
    /// Deliveries of a job at most; then its source is reported failed.
    pub max_deliver: u32,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCluster {
    nats: String,
    partitions: Option<u32>,
    lease: Option<String>,
    ack_wait: Option<String>,
    max_deliver: Option<u32>,
}

type Invalid = (String, String);

pub(super) fn validate(raw: Option<RawCluster>) -> Result<Option<ClusterSettings>, Invalid> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    if !(raw.nats.starts_with("nats://") || raw.nats.starts_with("tls://")) {
        return Err((
            "cluster.nats".into(),
            "must be a nats:// or tls:// address".into(),
        ));
    }
    let duration = |key: &str, text: Option<String>, default: u64, min: u64, max: u64| {
        let d = match text {
            None => Duration::from_secs(default),
            Some(text) => {
                crate::types::parse_duration(&text).map_err(|m| (format!("cluster.{key}"), m))?
            }
        };
        if d < Duration::from_secs(min) || d > Duration::from_secs(max) {
            return Err((
                format!("cluster.{key}"),
                format!("must be between {min} s and {max} s"),
            ));
        }
        Ok(d)
    };
    let partitions = raw.partitions.unwrap_or(64);
    if !(1..=4_096).contains(&partitions) {
        return Err((
            "cluster.partitions".into(),
            "must be between 1 and 4096".into(),
        ));
    }
    let max_deliver = raw.max_deliver.unwrap_or(4);
    if !(1..=100).contains(&max_deliver) {
        return Err((
            "cluster.max_deliver".into(),
            "must be between 1 and 100".into(),
        ));
    }
    Ok(Some(ClusterSettings {
        nats: raw.nats,
        partitions,
        lease: duration("lease", raw.lease, 15, 1, 600)?,
        ack_wait: duration("ack_wait", raw.ack_wait, 120, 1, 3_600)?,
        max_deliver,
    }))
}
