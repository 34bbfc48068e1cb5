//! The only HTTP client in Vigil. It owns politeness and safety: a per-host rate limit shared by
//! every source on that host (governor), a global cap on requests in flight, connect and total
//! timeouts, a size cap enforced while the (decompressed) body streams in, a redirect policy,
//! conditional GET, and the private-address guard. In: a `FetchRequest`; out: a bounded
//! `Fetched` or a `FetchError` naming the source, the URL and the cause.

pub mod guard;

use crate::config::{CrawlSettings, SourceConfig};
use crate::model::Fetched;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::{self, HeaderMap, HeaderValue};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use url::Url;

/// Most redirects followed for one request.
pub const MAX_REDIRECTS: usize = 10;

/// What to fetch, for whom, and with which validators.
#[derive(Debug, Clone)]
pub struct FetchRequest {
    /// Source name, carried into errors and the result.
    pub source: String,
    /// The URL to fetch.
    pub url: Url,
    /// Whether this source may reach private and loopback addresses.
    pub allow_private: bool,
    /// ETag from the previous response, sent as If-None-Match.
    pub etag: Option<String>,
    /// Last-Modified from the previous response, sent as If-Modified-Since.
    pub last_modified: Option<String>,
}

/// A failed fetch: always names the source and the URL.
#[derive(Debug, thiserror::Error)]
#[error("source {source_name:?}: {url}: {kind}")]
pub struct FetchError {
    /// The configured source.
    pub source_name: String,
    /// The URL requested.
    pub url: String,
    /// What went wrong.
    pub kind: FetchErrorKind,
}

/// The causes of a failed fetch.
#[derive(Debug, thiserror::Error)]
pub enum FetchErrorKind {
    #[error("refused: {0}")]
    Refused(String),
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("http status {status}")]
    Status {
        status: u16,
        retry_after: Option<String>,
    },
    #[error("body larger than the {limit}-byte limit")]
    TooLarge { limit: u64 },
    #[error("{0}")]
    Transport(String),
}

/// The HTTP client set up once per process.
pub struct Fetcher {
    guarded: reqwest::Client,
    open: reqwest::Client,
    in_flight: Semaphore,
    hosts: HostLimits,
    timeout: Duration,
    max_body_bytes: u64,
}

/// Failure to build the HTTP client (a bad User-Agent, a TLS set-up error).
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the http client: {0}")]
pub struct FetcherSetupError(String);

impl Fetcher {
    /// Builds the clients and the per-host limits. A source's `rate` sets the budget of its
    /// host; where several sources share a host, the slowest rate wins, so the host's budget is
    /// shared rather than multiplied.
    pub fn new(
        settings: &CrawlSettings,
        sources: &[SourceConfig],
    ) -> Result<Fetcher, FetcherSetupError> {
        // reqwest is built without a default crypto provider (ring builds in seconds, aws-lc-rs
        // in minutes); installing it twice is harmless, so ignore "already installed".
        let _ = rustls::crypto::ring::default_provider().install_default();
        let build = |guarded: bool| {
            let mut builder = reqwest::Client::builder()
                .user_agent(settings.user_agent.clone())
                .connect_timeout(settings.connect_timeout)
                .timeout(settings.timeout)
                .redirect(redirect_policy(guarded))
                .no_proxy()
                .pool_max_idle_per_host(2);
            if guarded {
                builder = builder.dns_resolver(Arc::new(guard::PublicOnlyResolver));
            }
            builder
                .build()
                .map_err(|e| FetcherSetupError(error_chain(&e)))
        };
        let mut overrides: HashMap<String, f64> = HashMap::new();
        for source in sources {
            if let (Some(rate), Some(host)) = (source.rate, source.url.host_str()) {
                let entry = overrides.entry(host.to_ascii_lowercase()).or_insert(rate);
                *entry = entry.min(rate);
            }
        }
        Ok(Fetcher {
            guarded: build(true)?,
            open: build(false)?,
            in_flight: Semaphore::new(settings.concurrency),
            hosts: HostLimits {
                default_rate: settings.rate_per_host,
                overrides,
                limiters: Mutex::new(HashMap::new()),
            },
            timeout: settings.timeout,
            max_body_bytes: settings.max_body_bytes,
        })
    }

    /// Fetches one URL politely: waits for a global slot and for the host's budget, then sends a
    /// conditional GET and reads at most `max_body_bytes` of body within the total timeout.
    pub async fn fetch(&self, request: &FetchRequest) -> Result<Fetched, FetchError> {
        let fail = |kind: FetchErrorKind| FetchError {
            source_name: request.source.clone(),
            url: request.url.to_string(),
            kind,
        };
        check_url(&request.url, request.allow_private)
            .map_err(|m| fail(FetchErrorKind::Refused(m)))?;
        let host = request
            .url
            .host_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let _permit = self
            .in_flight
            .acquire()
            .await
            .map_err(|_| fail(FetchErrorKind::Transport("fetcher shut down".into())))?;
        self.hosts.limiter(&host).until_ready().await;

        let started = Instant::now();
        let client = if request.allow_private {
            &self.open
        } else {
            &self.guarded
        };
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static(
                "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, text/html;q=0.7, */*;q=0.5",
            ),
        );
        if let Some(value) = request
            .etag
            .as_deref()
            .and_then(|v| HeaderValue::from_str(v).ok())
        {
            headers.insert(header::IF_NONE_MATCH, value);
        }
        if let Some(value) = request
            .last_modified
            .as_deref()
            .and_then(|v| HeaderValue::from_str(v).ok())
        {
            headers.insert(header::IF_MODIFIED_SINCE, value);
        }
        let exchange = async {
            let mut response = client
                .get(request.url.clone())
                .headers(headers)
                .send()
                .await
                .map_err(|e| classify(&e, self.timeout))?;
            let status = response.status();
            let final_url = response.url().clone();
            let header_text = |name: header::HeaderName| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| v.chars().take(512).collect::<String>())
            };
            let content_type = header_text(header::CONTENT_TYPE);
            let etag = header_text(header::ETAG);
            let last_modified = header_text(header::LAST_MODIFIED);
            if status == reqwest::StatusCode::NOT_MODIFIED {
                return Ok((
                    final_url,
                    304,
                    content_type,
                    etag,
                    last_modified,
                    bytes::Bytes::new(),
                ));
            }
            if !status.is_success() {
                return Err(FetchErrorKind::Status {
                    status: status.as_u16(),
                    retry_after: header_text(header::RETRY_AFTER),
                });
            }
            if response
                .content_length()
                .is_some_and(|len| len > self.max_body_bytes)
            {
                return Err(FetchErrorKind::TooLarge {
                    limit: self.max_body_bytes,
                });
            }
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| classify(&e, self.timeout))?
            {
                if body.len() as u64 + chunk.len() as u64 > self.max_body_bytes {
                    return Err(FetchErrorKind::TooLarge {
                        limit: self.max_body_bytes,
                    });
                }
                body.extend_from_slice(&chunk);
            }
            Ok((
                final_url,
                status.as_u16(),
                content_type,
                etag,
                last_modified,
                bytes::Bytes::from(body),
            ))
        };
        // reqwest's own timeout covers the body too; this outer deadline is the backstop that
        // holds whatever the server does (a trickle of bytes, a stalled TLS handshake).
        let outcome = tokio::time::timeout(self.timeout + Duration::from_secs(1), exchange)
            .await
            .unwrap_or(Err(FetchErrorKind::Timeout(self.timeout)));
        let (url, status, content_type, etag, last_modified, body) = outcome.map_err(fail)?;
        Ok(Fetched {
            source: request.source.clone(),
            url,
            status,
            not_modified: status == 304,
            content_type,
            etag,
            last_modified,
            body,
            fetched_at: chrono::Utc::now(),
            elapsed: started.elapsed(),
        })
    }
}

struct HostLimits {
    default_rate: f64,
    overrides: HashMap<String, f64>,
    limiters: Mutex<HashMap<String, Arc<DefaultDirectRateLimiter>>>,
}

impl HostLimits {
    fn limiter(&self, host: &str) -> Arc<DefaultDirectRateLimiter> {
        let mut limiters = self
            .limiters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        limiters
            .entry(host.to_string())
            .or_insert_with(|| {
                let rate = self
                    .overrides
                    .get(host)
                    .copied()
                    .unwrap_or(self.default_rate);
                Arc::new(RateLimiter::direct(quota_for(rate)))
            })
            .clone()
    }
}

/// One request every `1/rate` seconds, with no burst: requests to a host are evenly spaced.
fn quota_for(rate: f64) -> Quota {
    let period = Duration::from_secs_f64(1.0 / rate.clamp(0.001, 1000.0));
    Quota::with_period(period.max(Duration::from_millis(1)))
        .unwrap_or_else(|| Quota::per_second(nonzero(1)))
}

fn nonzero(n: u32) -> std::num::NonZeroU32 {
    std::num::NonZeroU32::new(n.max(1)).unwrap_or(std::num::NonZeroU32::MIN)
}

/// Refuses schemes other than http(s), and IP-literal hosts outside the public internet (those
/// never reach the resolver, so the guard must look at them here).
pub fn check_url(url: &Url, allow_private: bool) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("scheme {:?} is not fetched", url.scheme()));
    }
    if allow_private {
        return Ok(());
    }
    let ip: Option<IpAddr> = match url.host() {
        Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
        Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
        Some(url::Host::Domain(name))
            if name.eq_ignore_ascii_case("localhost") || name.ends_with(".localhost") =>
        {
            return Err(format!("{name} is a loopback name"));
        }
        Some(url::Host::Domain(_)) => None,
        None => return Err("url has no host".into()),
    };
    match ip {
        Some(ip) if !guard::is_public_ip(ip) => Err(format!("{ip} is not a public address")),
        _ => Ok(()),
    }
}

fn redirect_policy(guarded: bool) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
        }
        let next = attempt.url().clone();
        let downgrade =
            next.scheme() == "http" && attempt.previous().iter().any(|u| u.scheme() == "https");
        if downgrade {
            return attempt.error(format!("redirect from https to http ({next})"));
        }
        if attempt.previous().iter().any(|u| *u == next) {
            return attempt.error(format!("redirect loop at {next}"));
        }
        match check_url(&next, !guarded) {
            Ok(()) => attempt.follow(),
            Err(reason) => attempt.error(format!("redirect to {next} refused: {reason}")),
        }
    })
}

fn classify(error: &reqwest::Error, timeout: Duration) -> FetchErrorKind {
    if error.is_timeout() {
        FetchErrorKind::Timeout(timeout)
    } else {
        FetchErrorKind::Transport(error_chain(error))
    }
}

/// An error and all its causes on one line, each cause once.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = vec![error.to_string()];
    let mut cause = error.source();
    while let Some(inner) = cause {
        let text = inner.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cause = inner.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_url_refuses_what_it_should() {
        let cases = [
            ("https://news.example.org/feed", false, true),
            ("ftp://news.example.org/feed", false, false),
            ("file:///etc/passwd", true, false),
            ("http://127.0.0.1:8080/feed", false, false),
            ("http://127.0.0.1:8080/feed", true, true),
            ("http://[::1]/", false, false),
            ("http://[::ffff:10.0.0.1]/", false, false),
            ("http://localhost/", false, false),
            ("http://api.localhost/", false, false),
            ("http://169.254.169.254/latest/meta-data", false, false),
            ("http://8.8.8.8/", false, true),
        ];
        for (url, allow_private, ok) in cases {
            let url = Url::parse(url).unwrap();
            assert_eq!(
                check_url(&url, allow_private).is_ok(),
                ok,
                "{url} allow_private={allow_private}"
            );
        }
    }

    #[test]
    fn quota_spaces_requests_by_rate() {
        assert_eq!(quota_for(1.0).replenish_interval(), Duration::from_secs(1));
        assert_eq!(
            quota_for(4.0).replenish_interval(),
            Duration::from_millis(250)
        );
        assert_eq!(quota_for(0.2).replenish_interval(), Duration::from_secs(5));
    }
}
