//! Leaf types that every stage may share and that belong to none of them: a credential that
//! never prints itself, the severity a stored query assigns, and the parser of human durations.
//! Imports nothing from the crate, so any module can use it without reaching upstream.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A credential: usable, but never shown by `Debug` or `Display`, so no log line or error can
/// carry it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The credential itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How much attention a stored query's flags deserve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Watch,
    Urgent,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Watch => "watch",
            Severity::Urgent => "urgent",
        }
    }
}

/// Parses a human duration such as `15m`, `1h 30m` or `7d`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim())
        .map_err(|e| format!("{text:?} is not a duration like \"15m\" or \"2h\": {e}"))
}

/// Whether two URLs name the same host and port (the scheme's default port when none is
/// written).
pub fn same_origin(a: &url::Url, b: &url::Url) -> bool {
    a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port_or_known_default() == b.port_or_known_default()
}
