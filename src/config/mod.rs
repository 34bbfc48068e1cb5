//! `vigil.toml`: the sources to crawl, crawl limits and the data folder. Parsing and validation
//! happen once at start; every error names the file, the key and what is wrong. The rest of
//! Vigil receives plain values from here and never reads the file itself.

pub mod alerting;
pub mod cluster;
pub mod security;
pub mod web;

use crate::model::SourceKind;
use crate::types::parse_duration;
use serde::Deserialize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;
use url::Url;

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: {key}: {message}")]
    Invalid {
        path: PathBuf,
        key: String,
        message: String,
    },
}

/// The whole configuration of one deployment.
#[derive(Debug, Clone)]
pub struct Config {
    /// File the configuration came from (for messages).
    pub path: PathBuf,
    /// Where the index and the state database live.
    pub data_dir: PathBuf,
    /// Folder of stored queries.
    pub queries_dir: PathBuf,
    /// Crawl defaults.
    pub crawl: CrawlSettings,
    /// The sources, in file order.
    pub sources: Vec<SourceConfig>,
    /// Digest schedules, urgent alerts and the channels they go to.
    pub alerting: crate::config::alerting::Alerting,
    /// What one request and one client may cost the web server.
    pub web: web::WebSettings,
    /// How raw responses are kept and archived as evidence.
    pub evidence: security::EvidenceSettings,
    /// The watch for the court's leaked material, when configured.
    pub leakwatch: Option<security::LeakWatchSettings>,
    /// Crawling on several machines over NATS JetStream, when configured.
    pub cluster: Option<cluster::ClusterSettings>,
}

/// Crawl-wide defaults and limits.
#[derive(Debug, Clone)]
pub struct CrawlSettings {
    /// A URL where a site operator can reach whoever runs this Vigil.
    pub contact_url: String,
    /// Full User-Agent header: `Vigil/<version> (+<contact_url>)`.
    pub user_agent: String,
    /// Time allowed to establish a connection.
    pub connect_timeout: Duration,
    /// Time allowed for a whole request, body included.
    pub timeout: Duration,
    /// Largest body accepted, after decompression.
    pub max_body_bytes: u64,
    /// Requests in flight at once, over all hosts.
    pub concurrency: usize,
    /// Requests per second allowed per host unless a source says otherwise.
    pub rate_per_host: f64,
    /// Poll interval of sources that do not set one.
    pub default_interval: Duration,
    /// Bounds on the computed wait between polls (floor, ceiling, jitter).
    pub poll_bounds: crate::schedule::Bounds,
    /// Consecutive failures after which a source is shown as unhealthy.
    pub unhealthy_after: u32,
    /// Extra trusted root certificates (PEM), for intranet sources with a private CA.
    pub extra_root_certificates: Vec<Vec<u8>>,
}

/// One configured source.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceConfig {
    /// Unique name, used in the index, the state database and every message.
    pub name: String,
    /// Which parser reads it.
    pub kind: SourceKind,
    /// Where to fetch it.
    pub url: Url,
    /// How often to poll it.
    pub interval: Duration,
    /// Requests per second for its host, overriding the default.
    pub rate: Option<f64>,
    /// Allow private and loopback addresses (tests, the demo, an intranet source).
    pub allow_private: bool,
    /// An API endpoint: robots.txt does not apply.
    pub api: bool,
    /// When to fetch an item's article page for its full text.
    pub full_text: FullText,
    /// For `kind = "html"`: how to find items on the listing page.
    pub selectors: Option<ListingSelectors>,
    /// For `kind = "bluesky"` endpoints that need a session: the account and its app password.
    pub auth: Option<AppPassword>,
    /// Every document of this source is court coverage (a court-watch blog, the court's own
    /// channels, a legal-affairs desk): it reaches clustering and narratives even when no
    /// narrower stored query matches it.
    pub court_focused: bool,
    /// The court's own channel (its press releases, its official accounts): every document is
    /// court coverage, and a story that begins with one of its documents is the court's own
    /// news (`detect::spike::Calendar::statement`), never an urgent narrative in its first day.
    pub official: bool,
}

impl SourceConfig {
    /// The address as it may be shown or logged: credentials in it replaced by `***`.
    pub fn shown_url(&self) -> String {
        crate::text::redact_url(self.url.as_str())
    }

    /// Whether `url` may be fetched at a private address: only with `allow_private`, and only
    /// at the source's own host and port (or its login service's).
    pub fn private_allowed(&self, url: &Url) -> bool {
        self.allow_private
            && (crate::types::same_origin(url, &self.url)
                || self
                    .auth
                    .as_ref()
                    .is_some_and(|a| crate::types::same_origin(url, &a.service)))
    }

    /// `text` (an error message, say) with the credentials of the address scrubbed out.
    pub fn scrub(&self, text: &str) -> String {
        crate::text::scrub(text, &crate::text::url_secrets(self.url.as_str()))
    }
}

/// An account and where its app password is kept. The password itself is read only when a
/// session is opened, and never stored in the configuration or printed.
#[derive(Debug, Clone, PartialEq)]
pub struct AppPassword {
    /// The account's handle or DID.
    pub identifier: String,
    /// Where the password comes from.
    pub password: PasswordFrom,
    /// The service that opens sessions (`https://bsky.social` unless set).
    pub service: Url,
}

/// Where a password is read from.
#[derive(Debug, Clone, PartialEq)]
pub enum PasswordFrom {
    /// An environment variable, by name.
    Env(String),
    /// A file (its first line), e.g. a container secret.
    File(PathBuf),
}

impl PasswordFrom {
    /// Reads the password; the error says where it looked, never what it found.
    pub fn read(&self) -> Result<crate::types::Secret, String> {
        let value = match self {
            PasswordFrom::Env(name) => std::env::var(name)
                .map_err(|_| format!("environment variable {name} is not set"))?,
            PasswordFrom::File(path) => std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the password file {}: {e}", path.display()))?
                .lines()
                .next()
                .unwrap_or_default()
                .to_string(),
        };
        let value = value.trim().to_string();
        if value.is_empty() {
            return Err("the secret is empty".into());
        }
        Ok(crate::types::Secret::new(value))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuth {
    identifier: String,
    password_env: Option<String>,
    password_file: Option<PathBuf>,
    service: Option<String>,
}

/// CSS selectors that read a listing page: each `item`, and within it the `title` and
/// optionally the `link` (default: the title's own link), `date` and `summary`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListingSelectors {
    pub item: String,
    pub title: String,
    pub link: Option<String>,
    pub date: Option<String>,
    pub summary: Option<String>,
}

/// When a source's items get their article page fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FullText {
    /// When the feed carries only a short summary (no content, summary under 600 characters).
    #[default]
    Auto,
    /// For every new item.
    Always,
    /// Never: the feed's text is all there is.
    Never,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    data_dir: Option<PathBuf>,
    queries_dir: Option<PathBuf>,
    crawl: RawCrawl,
    #[serde(default)]
    sources: Vec<RawSource>,
    #[serde(default)]
    channels: Vec<crate::config::alerting::RawChannel>,
    #[serde(default)]
    schedules: Vec<crate::config::alerting::RawSchedule>,
    alerts: Option<crate::config::alerting::RawAlerts>,
    #[serde(default)]
    web: web::RawWeb,
    #[serde(default)]
    evidence: security::RawEvidence,
    leakwatch: Option<security::RawLeakWatch>,
    cluster: Option<cluster::RawCluster>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCrawl {
    contact_url: String,
    connect_timeout: Option<String>,
    timeout: Option<String>,
    max_body_bytes: Option<u64>,
    concurrency: Option<usize>,
    rate_per_host: Option<f64>,
    default_interval: Option<String>,
    min_interval: Option<String>,
    max_interval: Option<String>,
    jitter: Option<f64>,
    unhealthy_after: Option<u32>,
    #[serde(default)]
    extra_root_certificates: Vec<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    name: String,
    kind: SourceKind,
    url: String,
    interval: Option<String>,
    rate: Option<f64>,
    #[serde(default)]
    allow_private: bool,
    #[serde(default)]
    api: bool,
    #[serde(default)]
    full_text: FullText,
    selectors: Option<ListingSelectors>,
    auth: Option<RawAuth>,
    #[serde(default)]
    court_focused: bool,
    #[serde(default)]
    official: bool,
}

const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_MAX_BODY: u64 = 16 * 1024 * 1024;
const DEFAULT_CONCURRENCY: usize = 8;
const DEFAULT_RATE_PER_HOST: f64 = 1.0;
const DEFAULT_INTERVAL: Duration = Duration::from_secs(15 * 60);
const DEFAULT_MIN_INTERVAL: Duration = Duration::from_secs(60);
const DEFAULT_MAX_INTERVAL: Duration = Duration::from_secs(24 * 3600);
/// Shortest poll interval accepted: polling faster than this is rude to any publisher.
pub const MIN_INTERVAL: Duration = Duration::from_secs(10);

impl Config {
    /// Reads and validates a configuration file. Relative folders are taken relative to the
    /// file's own folder, so `vigil --config /etc/vigil/vigil.toml` works from anywhere.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Config::parse(&text, path, base)
    }

    /// Parses configuration text; `path` is only used in messages, `base` anchors relative folders.
    pub fn parse(text: &str, path: &Path, base: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|error| ConfigError::Parse {
            path: path.to_path_buf(),
            message: one_line_toml_error(&error, text),
        })?;
        let invalid = |key: String, message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            key,
            message,
        };
        let certificate_files = raw.crawl.extra_root_certificates.clone();
        let mut crawl =
            validate_crawl(raw.crawl).map_err(|(key, message)| invalid(key, message))?;
        for (position, file) in certificate_files.iter().enumerate() {
            let file = if file.is_absolute() {
                file.clone()
            } else {
                base.join(file)
            };
            let pem = std::fs::read(&file).map_err(|e| {
                invalid(
                    format!("crawl.extra_root_certificates[{position}]"),
                    format!("{}: {e}", file.display()),
                )
            })?;
            if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
                return Err(invalid(
                    format!("crawl.extra_root_certificates[{position}]"),
                    format!("{}: no PEM certificate in it", file.display()),
                ));
            }
            crawl.extra_root_certificates.push(pem);
        }
        let mut names = HashSet::new();
        let mut sources = Vec::with_capacity(raw.sources.len());
        for (position, source) in raw.sources.into_iter().enumerate() {
            let source = validate_source(source, &crawl)
                .map_err(|(key, message)| invalid(format!("sources[{position}].{key}"), message))?;
            let mut source = source;
            if let Some(AppPassword {
                password: PasswordFrom::File(path),
                ..
            }) = source.auth.as_mut()
            {
                if path.is_relative() {
                    *path = base.join(&*path);
                }
            }
            if !names.insert(source.name.clone()) {
                return Err(invalid(
                    format!("sources[{position}].name"),
                    format!("duplicate source name {:?}", source.name),
                ));
            }
            sources.push(source);
        }
        let anchor = |dir: PathBuf| {
            if dir.is_absolute() {
                dir
            } else {
                base.join(dir)
            }
        };
        let alerting =
            crate::config::alerting::validate(raw.channels, raw.schedules, raw.alerts, base)
                .map_err(|(key, message)| invalid(key, message))?;
        let web = web::validate(raw.web).map_err(|(key, message)| invalid(key, message))?;
        let evidence =
            security::evidence(raw.evidence).map_err(|(key, message)| invalid(key, message))?;
        let leakwatch = security::leakwatch(raw.leakwatch, &alerting.channels, base)
            .map_err(|(key, message)| invalid(key, message))?;
        let cluster =
            cluster::validate(raw.cluster).map_err(|(key, message)| invalid(key, message))?;
        Ok(Config {
            alerting,
            web,
            evidence,
            leakwatch,
            cluster,
            path: path.to_path_buf(),
            data_dir: anchor(raw.data_dir.unwrap_or_else(|| PathBuf::from("index"))),
            queries_dir: anchor(raw.queries_dir.unwrap_or_else(|| PathBuf::from("queries"))),
            crawl,
            sources,
        })
    }

    /// The folder holding the tantivy segments.
    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("tantivy")
    }

    /// The state database file.
    pub fn state_path(&self) -> PathBuf {
        self.data_dir.join("state.sqlite")
    }

    /// The folder of archived evidence (WARC files).
    pub fn evidence_dir(&self) -> PathBuf {
        self.data_dir.join("evidence")
    }
}

/// A TOML error on one line: `line L, column C: reason (in `the offending line`)`. toml's own
/// rendering spans several lines with a caret; one line is what a person scanning logs needs,
/// and quoting the line names the key.
pub fn one_line_toml_error(error: &toml::de::Error, text: &str) -> String {
    let reason = error.message().trim().replace('\n', " ");
    let Some(span) = error.span() else {
        return reason;
    };
    let before = &text[..floor_boundary(text, span.start)];
    let line_number = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    let line = text[line_start..].lines().next().unwrap_or_default().trim();
    if line.is_empty() {
        format!("line {line_number}, column {column}: {reason}")
    } else {
        let line = crate::text::truncate_chars(line, 80);
        format!("line {line_number}, column {column}: {reason} (in `{line}`)")
    }
}

fn floor_boundary(text: &str, index: usize) -> usize {
    let index = index.min(text.len());
    (0..=index)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)
}

type FieldError = (String, String);

fn validate_crawl(raw: RawCrawl) -> Result<CrawlSettings, FieldError> {
    let contact = Url::parse(&raw.contact_url)
        .map_err(|e| ("crawl.contact_url".to_string(), format!("not a URL: {e}")))?;
    if !matches!(contact.scheme(), "http" | "https" | "mailto") {
        return Err((
            "crawl.contact_url".into(),
            "must be an http(s) or mailto URL".into(),
        ));
    }
    let duration = |key: &str, value: Option<String>, default: Duration| match value {
        None => Ok(default),
        Some(text) => parse_duration(&text).map_err(|message| (format!("crawl.{key}"), message)),
    };
    let rate = raw.rate_per_host.unwrap_or(DEFAULT_RATE_PER_HOST);
    check_rate(rate).map_err(|message| ("crawl.rate_per_host".to_string(), message))?;
    let concurrency = raw.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
    if concurrency == 0 || concurrency > 256 {
        return Err((
            "crawl.concurrency".into(),
            "must be between 1 and 256".into(),
        ));
    }
    let max_body_bytes = raw.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY);
    if max_body_bytes < 1024 {
        return Err((
            "crawl.max_body_bytes".into(),
            "must be at least 1024".into(),
        ));
    }
    let min_interval = duration("min_interval", raw.min_interval, DEFAULT_MIN_INTERVAL)?;
    let max_interval = duration("max_interval", raw.max_interval, DEFAULT_MAX_INTERVAL)?;
    if min_interval < MIN_INTERVAL || max_interval < min_interval {
        return Err((
            "crawl.max_interval".into(),
            format!(
                "min_interval must be at least {} and max_interval at least min_interval",
                humantime::format_duration(MIN_INTERVAL)
            ),
        ));
    }
    let jitter = raw.jitter.unwrap_or(0.1);
    if !(0.0..=0.5).contains(&jitter) {
        return Err(("crawl.jitter".into(), "must be between 0 and 0.5".into()));
    }
    let unhealthy_after = raw.unhealthy_after.unwrap_or(5);
    if unhealthy_after == 0 {
        return Err(("crawl.unhealthy_after".into(), "must be at least 1".into()));
    }
    Ok(CrawlSettings {
        poll_bounds: crate::schedule::Bounds {
            min: min_interval,
            max: max_interval,
            jitter,
        },
        unhealthy_after,
        extra_root_certificates: Vec::new(),
        user_agent: format!("Vigil/{} (+{})", crate::VERSION, raw.contact_url),
        contact_url: raw.contact_url,
        connect_timeout: duration(
            "connect_timeout",
            raw.connect_timeout,
            DEFAULT_CONNECT_TIMEOUT,
        )?,
        timeout: duration("timeout", raw.timeout, DEFAULT_TIMEOUT)?,
        max_body_bytes,
        concurrency,
        rate_per_host: rate,
        default_interval: duration("default_interval", raw.default_interval, DEFAULT_INTERVAL)?,
    })
}

fn validate_source(raw: RawSource, crawl: &CrawlSettings) -> Result<SourceConfig, FieldError> {
    let name = raw.name.trim().to_string();
    if name.is_empty() || name.len() > 100 || name.chars().any(char::is_control) {
        return Err((
            "name".into(),
            "must be 1 to 100 printable characters".into(),
        ));
    }
    let url = Url::parse(&raw.url).map_err(|e| ("url".to_string(), format!("not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(("url".into(), "only http and https are fetched".into()));
    }
    let interval = match raw.interval {
        None => crawl.default_interval,
        Some(text) => parse_duration(&text).map_err(|message| ("interval".to_string(), message))?,
    };
    if interval < MIN_INTERVAL {
        return Err((
            "interval".into(),
            format!(
                "must be at least {}",
                humantime::format_duration(MIN_INTERVAL)
            ),
        ));
    }
    match (&raw.selectors, raw.kind) {
        (None, SourceKind::Html) => {
            return Err((
                "selectors".into(),
                "an html source needs [sources.selectors] with item and title".into(),
            ));
        }
        (Some(_), kind) if kind != SourceKind::Html => {
            return Err((
                "selectors".into(),
                "only html sources take selectors".into(),
            ));
        }
        (Some(selectors), _) => {
            let named = [
                ("item", Some(&selectors.item)),
                ("title", Some(&selectors.title)),
                ("link", selectors.link.as_ref()),
                ("date", selectors.date.as_ref()),
                ("summary", selectors.summary.as_ref()),
            ];
            for (key, css) in named {
                if let Some(css) = css {
                    scraper::Selector::parse(css).map_err(|e| {
                        (
                            format!("selectors.{key}"),
                            format!("{css:?} is not a CSS selector: {e}"),
                        )
                    })?;
                }
            }
        }
        (None, _) => {}
    }
    let auth = match raw.auth {
        None => None,
        Some(_) if raw.kind != SourceKind::Bluesky => {
            return Err(("auth".into(), "only bluesky sources take auth".into()));
        }
        Some(auth) => {
            let password = match (auth.password_env, auth.password_file) {
                (Some(name), None) => PasswordFrom::Env(name),
                (None, Some(path)) => PasswordFrom::File(path),
                _ => return Err((
                    "auth".into(),
                    "set exactly one of password_env and password_file (never the password itself)"
                        .into(),
                )),
            };
            let service = Url::parse(auth.service.as_deref().unwrap_or("https://bsky.social"))
                .map_err(|e| ("auth.service".to_string(), format!("not a URL: {e}")))?;
            Some(AppPassword {
                identifier: auth.identifier,
                password,
                service,
            })
        }
    };
    if let Some(rate) = raw.rate {
        check_rate(rate).map_err(|message| ("rate".to_string(), message))?;
    }
    Ok(SourceConfig {
        name,
        kind: raw.kind,
        url,
        interval,
        rate: raw.rate.or(raw.kind.default_rate()),
        allow_private: raw.allow_private,
        api: raw.api,
        full_text: raw.full_text,
        court_focused: raw.court_focused || raw.official,
        official: raw.official,
        selectors: raw.selectors,
        auth,
    })
}

fn check_rate(rate: f64) -> Result<(), String> {
    if rate.is_finite() && rate > 0.0 && rate <= 100.0 {
        Ok(())
    } else {
        Err("requests per second must be above 0 and at most 100".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("vigil.toml"), Path::new("/srv/vigil"))
    }

    const MINIMAL: &str = "[crawl]\ncontact_url = \"https://press.example.org/vigil\"\n";

    #[test]
    fn minimal_config_gets_defaults() {
        let config = parse(MINIMAL).unwrap();
        assert_eq!(config.data_dir, PathBuf::from("/srv/vigil/index"));
        assert_eq!(config.crawl.rate_per_host, 1.0);
        assert_eq!(
            config.crawl.user_agent,
            format!(
                "Vigil/{} (+https://press.example.org/vigil)",
                crate::VERSION
            )
        );
        assert!(config.sources.is_empty());
    }

    #[test]
    fn errors_name_the_key_and_the_problem() {
        let cases: &[(&str, &str)] = &[
            (
                "[[sources]]\nname = \"a\"\nkind = \"feed\"\nurl = \"ftp://x.example/\"\n",
                "sources[0].url: only http and https",
            ),
            (
                "[[sources]]\nname = \"a\"\nkind = \"feed\"\nurl = \"https://x.example/\"\ninterval = \"soon\"\n",
                "sources[0].interval: \"soon\" is not a duration",
            ),
            (
                "[[sources]]\nname = \"a\"\nkind = \"feed\"\nurl = \"https://x.example/\"\ninterval = \"1s\"\n",
                "sources[0].interval: must be at least 10s",
            ),
            (
                "[[sources]]\nname = \"a\"\nkind = \"feed\"\nurl = \"https://x.example/\"\n[[sources]]\nname = \"a\"\nkind = \"feed\"\nurl = \"https://y.example/\"\n",
                "sources[1].name: duplicate source name",
            ),
            (
                "[[sources]]\nname = \"a\"\nkind = \"feed\"\nurl = \"https://x.example/\"\nrate = 0\n",
                "sources[0].rate: requests per second",
            ),
            (
                "[[sources]]\nname = \"a\"\nkind = \"gopher\"\nurl = \"https://x.example/\"\n",
                "unknown variant `gopher`",
            ),
            (
                "[[sources]]\nname = \"a\"\nkind = \"feed\"\nurl = \"https://x.example/\"\nintervall = \"5m\"\n",
                "unknown field `intervall`",
            ),
            (
                "[[sources]]\nname = \"a\"\nkind = \"feed\"\nurl = \"https://x.example/\"\nrate = \"fast\"\n",
                "line 7, column 8: invalid type: string \"fast\", expected f64 (in `rate = \"fast\"`)",
            ),
            ("[[sources]\n", "line 3, column"),
            (
                "[[sources]]\nname = \"a\"\nkind = \"html\"\nurl = \"https://x.example/press\"\n",
                "sources[0].selectors: an html source needs",
            ),
            (
                "[[sources]]\nname = \"a\"\nkind = \"html\"\nurl = \"https://x.example/press\"\n[sources.selectors]\nitem = \"div[\"\ntitle = \"h2\"\n",
                "sources[0].selectors.item: \"div[\" is not a CSS selector",
            ),
            (
                "[[sources]]\nname = \"a\"\nkind = \"feed\"\nurl = \"https://x.example/f\"\n[sources.selectors]\nitem = \"li\"\ntitle = \"a\"\n",
                "sources[0].selectors: only html sources take selectors",
            ),
        ];
        for (tail, expected) in cases {
            let text = format!("{MINIMAL}{tail}");
            let error = parse(&text).unwrap_err().to_string();
            assert!(error.starts_with("vigil.toml: "), "{error}");
            assert!(
                error.contains(expected),
                "expected {expected:?} in {error:?}"
            );
        }
    }

    #[test]
    fn missing_contact_is_an_error() {
        let error = parse("[crawl]\n").unwrap_err().to_string();
        assert!(error.contains("contact_url"), "{error}");
    }
}
