//! `[evidence]` and `[leakwatch]` in `vigil.toml`: what the security office's features keep and
//! where their alerts go. Every value has a default except the leak-watch key, which must come
//! from a file or the environment (never the configuration itself); every error names its key.
//!
//! In: the raw tables and the channels already validated; out: `EvidenceSettings`,
//! `Option<LeakWatchSettings>`.

use super::PasswordFrom;
use crate::config::alerting::Channel;
use serde::Deserialize;
use std::path::Path;
use std::time::Duration;

/// How raw responses are kept for evidence, and how archiving runs.
#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceSettings {
    /// How long a response is kept in the spool, waiting for its narrative to be flagged.
    pub spool_for: Duration,
    /// The spool's size at most, in bytes (the oldest responses go first).
    pub spool_bytes: u64,
    /// Whether archiving fetches each page again as a second capture.
    pub refetch: bool,
    /// Documents archived per round at most (a round runs every minute with the alerts).
    pub per_round: usize,
}

impl Default for EvidenceSettings {
    fn default() -> EvidenceSettings {
        EvidenceSettings {
            spool_for: Duration::from_secs(14 * 24 * 3600),
            spool_bytes: 1 << 30,
            refetch: true,
            per_round: 200,
        }
    }
}

/// The leak watch: where its key comes from, when a match counts, and where alerts go.
#[derive(Debug, Clone, PartialEq)]
pub struct LeakWatchSettings {
    /// The HMAC key's file or environment variable.
    pub key: PasswordFrom,
    /// Share of a registered document's fingerprints a crawled document must hold.
    pub threshold: f64,
    /// Fingerprints it must hold at least, whatever the share.
    pub min_matches: usize,
    /// Channels of the security office (never the press office's digests).
    pub channels: Vec<String>,
    pub recipients: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEvidence {
    spool_for: Option<String>,
    spool_mb: Option<u64>,
    refetch: Option<bool>,
    per_round: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLeakWatch {
    key_env: Option<String>,
    key_file: Option<std::path::PathBuf>,
    threshold: Option<f64>,
    min_matches: Option<usize>,
    channels: Vec<String>,
    #[serde(default)]
    recipients: Vec<String>,
}

type Invalid = (String, String);

pub(super) fn evidence(raw: RawEvidence) -> Result<EvidenceSettings, Invalid> {
    let defaults = EvidenceSettings::default();
    let spool_for = match raw.spool_for {
        None => defaults.spool_for,
        Some(text) => crate::types::parse_duration(&text)
            .and_then(|d| {
                if d < Duration::from_secs(3600) || d > Duration::from_secs(366 * 24 * 3600) {
                    Err("must be between 1h and 366d".to_string())
                } else {
                    Ok(d)
                }
            })
            .map_err(|m| ("evidence.spool_for".to_string(), m))?,
    };
    let spool_bytes = match raw.spool_mb {
        None => defaults.spool_bytes,
        Some(mb) if (16..=1_048_576).contains(&mb) => mb << 20,
        Some(_) => {
            return Err((
                "evidence.spool_mb".into(),
                "must be between 16 and 1048576".into(),
            ));
        }
    };
    let per_round = match raw.per_round {
        None => defaults.per_round,
        Some(n) if (1..=10_000).contains(&n) => n,
        Some(_) => {
            return Err((
                "evidence.per_round".into(),
                "must be between 1 and 10000".into(),
            ));
        }
    };
    Ok(EvidenceSettings {
        spool_for,
        spool_bytes,
        refetch: raw.refetch.unwrap_or(defaults.refetch),
        per_round,
    })
}

pub(super) fn leakwatch(
    raw: Option<RawLeakWatch>,
    channels: &[Channel],
    base: &Path,
) -> Result<Option<LeakWatchSettings>, Invalid> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let key = match (raw.key_env, raw.key_file) {
        (Some(name), None) => PasswordFrom::Env(name),
        (None, Some(path)) => PasswordFrom::File(if path.is_absolute() {
            path
        } else {
            base.join(path)
        }),
        _ => {
            return Err((
                "leakwatch.key_file".into(),
                "set exactly one of key_file or key_env: the key never goes in vigil.toml".into(),
            ));
        }
    };
    let threshold = raw.threshold.unwrap_or(0.15);
    if !(0.01..=1.0).contains(&threshold) {
        return Err((
            "leakwatch.threshold".into(),
            "must be between 0.01 and 1".into(),
        ));
    }
    let min_matches = raw.min_matches.unwrap_or(5);
    if !(1..=1_000).contains(&min_matches) {
        return Err((
            "leakwatch.min_matches".into(),
            "must be between 1 and 1000".into(),
        ));
    }
    if raw.channels.is_empty() {
        return Err((
            "leakwatch.channels".into(),
            "name at least one channel of the security office".into(),
        ));
    }
    for (i, name) in raw.channels.iter().enumerate() {
        if !channels.iter().any(|c| &c.name == name) {
            return Err((
                format!("leakwatch.channels[{i}]"),
                format!("no channel named {name:?}"),
            ));
        }
    }
    Ok(Some(LeakWatchSettings {
        key,
        threshold,
        min_matches,
        channels: raw.channels,
        recipients: raw.recipients,
    }))
}
