//! The only HTTP client in Vigil. It owns politeness and safety: a per-host rate limit shared by
//! every source on that host (requests spaced at send time), a global cap on requests in flight, connect and total
//! timeouts, a size cap enforced while the (decompressed) body streams in, a redirect policy,
//! conditional GET, and the private-address guard. In: a `FetchRequest`; out: a bounded
//! `Fetched` or a `FetchError` naming the source, the URL and the cause.

pub mod guard;
pub mod robots;

use crate::config::{CrawlSettings, SourceConfig};
use crate::model::{Fetched, HttpRecord};
use crate::types::Secret;
use chrono::{DateTime, Utc};
use reqwest::header::{self, HeaderMap, HeaderValue};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use url::Url;

/// Most redirects followed for one request.
pub const MAX_REDIRECTS: usize = 10;
/// Longest a host is left alone after repeated errors (a Retry-After may ask for longer).
pub const MAX_HOST_BACKOFF: Duration = Duration::from_secs(15 * 60);
/// Longest Retry-After honoured.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// What to fetch, for whom, and with which validators.
#[derive(Debug, Clone)]
pub struct FetchRequest {
    /// Source name, carried into errors and the result.
    pub source: String,
    /// The URL to fetch.
    pub url: Url,
    /// Whether this source may reach private and loopback addresses.
    pub allow_private: bool,
    /// Whether robots.txt applies (false for API endpoints).
    pub respect_robots: bool,
    /// ETag from the previous response, sent as If-None-Match.
    pub etag: Option<String>,
    /// Last-Modified from the previous response, sent as If-Modified-Since.
    pub last_modified: Option<String>,
    /// A bearer token for APIs that need one (sent as Authorization; never printed).
    pub bearer: Option<Secret>,
}

impl FetchRequest {
    /// A plain GET: no validators, no token.
    pub fn plain(
        source: &str,
        url: Url,
        allow_private: bool,
        respect_robots: bool,
    ) -> FetchRequest {
        FetchRequest {
            source: source.to_string(),
            url,
            allow_private,
            respect_robots,
            etag: None,
            last_modified: None,
            bearer: None,
        }
    }
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
    #[error("http status {status}{}", status_hint(*.status))]
    Status {
        status: u16,
        retry_after: Option<DateTime<Utc>>,
    },
    #[error("body larger than the {limit}-byte limit")]
    TooLarge { limit: u64 },
    /// The connection or the exchange failed (DNS, refused, reset, TLS). The message is the
    /// whole cause chain on one line; the reqwest error stays the source.
    #[error("{}", error_chain(.0))]
    Transport(#[source] reqwest::Error),
    /// No connection within the connect timeout.
    #[error("connect timed out after {0:?}")]
    ConnectTimeout(Duration),
    /// The fetcher is shutting down.
    #[error("fetcher shut down")]
    ShutDown,
    #[error("{0}")]
    Robots(String),
    /// Not an error of this source: its host asked for (or earned) a pause.
    #[error("host {host} is backing off until {until}")]
    Deferred { host: String, until: DateTime<Utc> },
}

/// What a status says to the person reading the error.
fn status_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => " (authentication refused: the source needs credentials, or rejects these)",
        404 | 410 => " (gone: check the source's URL)",
        429 => " (rate limited by the server)",
        _ => "",
    }
}

impl FetchErrorKind {
    /// Errors that say the host is struggling, and so slow every source on it down.
    fn strains_host(&self) -> bool {
        match self {
            FetchErrorKind::Timeout(_)
            | FetchErrorKind::ConnectTimeout(_)
            | FetchErrorKind::Transport(_) => true,
            FetchErrorKind::Status { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }
}

/// The HTTP client set up once per process.
pub struct Fetcher {
    guarded: reqwest::Client,
    open: reqwest::Client,
    in_flight: Semaphore,
    default_rate: f64,
    rates: HashMap<String, f64>,
    hosts: Mutex<HashMap<String, Arc<Host>>>,
    timeout: Duration,
    connect_timeout: Duration,
    max_body_bytes: u64,
    user_agent: String,
    /// The budget shared with other processes, when there are any.
    shared_gate: Option<Arc<dyn HostGate>>,
}

/// Everything Vigil keeps about one host: its request budget, its error backoff and its
/// robots.txt rules (per origin: scheme, host and port).
struct Host {
    /// The configured spacing between requests (1 / requests per second).
    period: Duration,
    /// robots.txt Crawl-delay, when it asks for more spacing than the budget gives.
    crawl_delay: Mutex<Duration>,
    /// When the last request to the host went out; requests pass this gate one at a time.
    last_request: tokio::sync::Mutex<Option<tokio::time::Instant>>,
    backoff: Mutex<Backoff>,
    robots: tokio::sync::Mutex<HashMap<String, robots::Entry>>,
}

#[derive(Default)]
struct Backoff {
    failures: u32,
    until: Option<DateTime<Utc>>,
}

/// Failure to build the HTTP client (a bad User-Agent, a TLS set-up error).
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the http client: {0}")]
pub struct FetcherSetupError(String);

/// A host budget kept beyond this process (the distributed crawl's broker): a turn is granted
/// only when every fetcher sharing the gate has left the host alone for `period`.
pub trait HostGate: Send + Sync {
    fn turn<'a>(
        &'a self,
        host: &'a str,
        period: Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>>;
}

/// A bounded response, before it becomes a `Fetched`.
struct Exchange {
    url: Url,
    status: u16,
    version: reqwest::Version,
    headers: HeaderMap,
    body: bytes::Bytes,
    redirects: Vec<(u16, String)>,
    peer: Option<std::net::SocketAddr>,
}

tokio::task_local! {
    /// The redirects the policy followed for the request this task is sending (reqwest runs
    /// the policy inside the request's own future), kept for the evidence record.
    static REDIRECTS: std::cell::RefCell<Vec<(u16, String)>>;
}

/// Header lines as text; values that are not text are written lossily, a credential never.
fn header_lines(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let text = if value.is_sensitive()
                || *name == header::AUTHORIZATION
                || *name == header::COOKIE
                || *name == header::SET_COOKIE
            {
                "[redacted]".to_string()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str().to_string(), text)
        })
        .collect()
}

impl Fetcher {
    /// Builds the clients and the per-host budgets. A source's `rate` sets the budget of its
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
            let mut roots = Vec::new();
            for pem in &settings.extra_root_certificates {
                let certificates = reqwest::Certificate::from_pem_bundle(pem)
                    .map_err(|e| FetcherSetupError(error_chain(&e)))?;
                roots.extend(certificates);
            }
            if !roots.is_empty() {
                builder = builder.tls_certs_merge(roots);
            }
            builder
                .build()
                .map_err(|e| FetcherSetupError(error_chain(&e)))
        };
        let mut rates: HashMap<String, f64> = HashMap::new();
        for source in sources {
            if let (Some(rate), Some(host)) = (source.rate, source.url.host_str()) {
                let entry = rates.entry(host.to_ascii_lowercase()).or_insert(rate);
                *entry = entry.min(rate);
            }
        }
        Ok(Fetcher {
            guarded: build(true)?,
            open: build(false)?,
            in_flight: Semaphore::new(settings.concurrency),
            default_rate: settings.rate_per_host,
            rates,
            hosts: Mutex::new(HashMap::new()),
            timeout: settings.timeout,
            connect_timeout: settings.connect_timeout,
            max_body_bytes: settings.max_body_bytes,
            user_agent: settings.user_agent.clone(),
            shared_gate: None,
        })
    }

    fn host(&self, name: &str) -> Arc<Host> {
        let mut hosts = self
            .hosts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        hosts
            .entry(name.to_string())
            .or_insert_with(|| {
                let rate = self.rates.get(name).copied().unwrap_or(self.default_rate);
                let period = period_for(rate);
                Arc::new(Host {
                    period,
                    crawl_delay: Mutex::new(Duration::ZERO),
                    last_request: tokio::sync::Mutex::new(None),
                    backoff: Mutex::new(Backoff::default()),
                    robots: tokio::sync::Mutex::new(HashMap::new()),
                })
            })
            .clone()
    }

    /// Keeps every host's budget together with other fetchers through `gate` as well as here.
    pub fn with_shared_gate(mut self, gate: Arc<dyn HostGate>) -> Fetcher {
        self.shared_gate = Some(gate);
        self
    }

    /// The hosts pausing now (a Retry-After or an error backoff), with when they resume: what a
    /// distributed crawl shares so the next owner of a host keeps the pause.
    pub fn paused_hosts(&self, now: DateTime<Utc>) -> Vec<(String, DateTime<Utc>)> {
        let hosts = self
            .hosts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        hosts
            .iter()
            .filter_map(|(name, host)| host.paused_until(now).map(|until| (name.clone(), until)))
            .collect()
    }

    /// Pauses a host until `until` (a pause another worker learned), unless it already pauses
    /// longer.
    pub fn pause_host(&self, name: &str, until: DateTime<Utc>) {
        let host = self.host(&name.to_ascii_lowercase());
        let mut backoff = host
            .backoff
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if backoff.until.is_none_or(|current| current < until) {
            backoff.until = Some(until);
        }
    }

    /// Fetches one URL politely: refuses what the guard and robots.txt forbid, respects the
    /// host's backoff, waits for a global slot and the host's budget, then sends a conditional
    /// GET and reads at most `max_body_bytes` of body within the total timeout.
    pub async fn fetch(&self, request: &FetchRequest) -> Result<Fetched, FetchError> {
        self.send(request, None).await
    }

    /// POSTs a JSON body (an API's session call, say) under the same rules as `fetch`.
    pub async fn post_json(
        &self,
        request: &FetchRequest,
        body: &[u8],
    ) -> Result<Fetched, FetchError> {
        self.send(request, Some(body)).await
    }

    async fn send(
        &self,
        request: &FetchRequest,
        json_body: Option<&[u8]>,
    ) -> Result<Fetched, FetchError> {
        let fail = |kind: FetchErrorKind| FetchError {
            source_name: request.source.clone(),
            url: crate::text::redact_url(request.url.as_str()),
            kind,
        };
        check_url(&request.url, request.allow_private)
            .map_err(|m| fail(FetchErrorKind::Refused(m)))?;
        let host_name = request
            .url
            .host_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let host = self.host(&host_name);
        if let Some(until) = host.paused_until(Utc::now()) {
            return Err(fail(FetchErrorKind::Deferred {
                host: host_name,
                until,
            }));
        }
        if request.respect_robots {
            self.check_robots(&host, request).await.map_err(fail)?;
        }
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
        if let Some(token) = &request.bearer {
            let mut value =
                HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                    fail(FetchErrorKind::Refused(
                        "the bearer token is not a valid header value".into(),
                    ))
                })?;
            value.set_sensitive(true);
            headers.insert(header::AUTHORIZATION, value);
        }
        let started = Instant::now();
        // The request as it goes out, for the evidence record: the client adds these three.
        let mut sent = vec![
            ("host".to_string(), host_header(&request.url)),
            ("user-agent".to_string(), self.user_agent.clone()),
            (
                "accept-encoding".to_string(),
                "gzip, br, deflate".to_string(),
            ),
        ];
        sent.extend(header_lines(&headers));
        if json_body.is_some() {
            sent.push(("content-type".into(), "application/json".into()));
        }
        let result = self
            .exchange(
                &host,
                &request.url,
                request.allow_private,
                headers,
                self.max_body_bytes,
                json_body,
            )
            .await;
        host.record(&result, Utc::now());
        let exchange = result.map_err(fail)?;
        let header_text = |name: header::HeaderName| header_value(&exchange.headers, name);
        let http = HttpRecord {
            method: if json_body.is_some() { "POST" } else { "GET" }.to_string(),
            requested: crate::text::redact_url(request.url.as_str()),
            request_headers: sent,
            version: format!("{:?}", exchange.version),
            reason: reqwest::StatusCode::from_u16(exchange.status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("")
                .to_string(),
            response_headers: header_lines(&exchange.headers),
            redirects: exchange.redirects.clone(),
            peer: exchange.peer.map(|p| p.ip().to_string()),
        };
        Ok(Fetched {
            source: request.source.clone(),
            status: exchange.status,
            not_modified: exchange.status == 304,
            content_type: header_text(header::CONTENT_TYPE),
            etag: header_text(header::ETAG),
            last_modified: header_text(header::LAST_MODIFIED),
            cache_control: header_text(header::CACHE_CONTROL),
            expires: header_text(header::EXPIRES),
            url: exchange.url,
            body: exchange.body,
            fetched_at: Utc::now(),
            elapsed: started.elapsed(),
            http: Some(Arc::new(http)),
        })
    }

    /// One GET within the host's budget and a global slot; 2xx and 304 are answers, every other
    /// status an error.
    async fn exchange(
        &self,
        host: &Host,
        url: &Url,
        allow_private: bool,
        headers: HeaderMap,
        max_body: u64,
        json_body: Option<&[u8]>,
    ) -> Result<Exchange, FetchErrorKind> {
        let _turn = host.wait_turn(&self.in_flight).await?;
        if let Some(gate) = &self.shared_gate {
            let delay = *host
                .crawl_delay
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let name = url.host_str().unwrap_or_default().to_ascii_lowercase();
            gate.turn(&name, host.period.max(delay)).await;
        }
        // Checked after the wait: a request queued behind the budget must not go out if the
        // host failed in the meantime.
        if let Some(until) = host.paused_until(Utc::now()) {
            return Err(FetchErrorKind::Deferred {
                host: url.host_str().unwrap_or_default().to_string(),
                until,
            });
        }
        let client = if allow_private {
            &self.open
        } else {
            &self.guarded
        };
        let exchange = async {
            let request = match json_body {
                Some(body) => client
                    .post(url.clone())
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(body.to_vec()),
                None => client.get(url.clone()),
            };
            let mut response = request
                .headers(headers)
                .send()
                .await
                .map_err(|e| classify(e, self.timeout, self.connect_timeout))?;
            let status = response.status();
            if !status.is_success() && status != reqwest::StatusCode::NOT_MODIFIED {
                let retry_after = header_value(response.headers(), header::RETRY_AFTER)
                    .and_then(|v| crate::schedule::parse_retry_after(&v, Utc::now()));
                return Err(FetchErrorKind::Status {
                    status: status.as_u16(),
                    retry_after,
                });
            }
            if response.content_length().is_some_and(|len| len > max_body) {
                return Err(FetchErrorKind::TooLarge { limit: max_body });
            }
            // Chunks are kept as they come and joined once at the exact size: a body near the
            // cap never holds twice the cap, as a doubling buffer would.
            let mut chunks: Vec<bytes::Bytes> = Vec::new();
            let mut received: u64 = 0;
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| classify(e, self.timeout, self.connect_timeout))?
            {
                received += chunk.len() as u64;
                if received > max_body {
                    return Err(FetchErrorKind::TooLarge { limit: max_body });
                }
                chunks.push(chunk);
            }
            let body = match chunks.len() {
                1 => chunks.pop().unwrap_or_default(),
                _ => {
                    let mut joined = Vec::with_capacity(received as usize);
                    chunks.iter().for_each(|c| joined.extend_from_slice(c));
                    bytes::Bytes::from(joined)
                }
            };
            Ok(Exchange {
                url: response.url().clone(),
                status: status.as_u16(),
                version: response.version(),
                headers: response.headers().clone(),
                body,
                redirects: REDIRECTS.with(|r| r.borrow().clone()),
                peer: response.remote_addr(),
            })
        };
        let exchange = REDIRECTS.scope(std::cell::RefCell::new(Vec::new()), exchange);
        // reqwest's own timeout covers the body too; this outer deadline is the backstop that
        // holds whatever the server does (a trickle of bytes, a stalled TLS handshake).
        tokio::time::timeout(self.timeout + Duration::from_secs(1), exchange)
            .await
            .unwrap_or(Err(FetchErrorKind::Timeout(self.timeout)))
    }

    /// Asks robots.txt of the request's origin, fetching it first when the cache has nothing
    /// fresh; applies its Crawl-delay to the host.
    async fn check_robots(
        &self,
        host: &Host,
        request: &FetchRequest,
    ) -> Result<(), FetchErrorKind> {
        let origin = request.url.origin().ascii_serialization();
        let mut cache = host.robots.lock().await;
        if !cache.get(&origin).is_some_and(robots::Entry::is_fresh) {
            let robots_url = request
                .url
                .join("/robots.txt")
                .map_err(|e| FetchErrorKind::Robots(e.to_string()))?;
            let entry = match self
                .exchange(
                    host,
                    &robots_url,
                    request.allow_private,
                    HeaderMap::new(),
                    robots::MAX_ROBOTS_BYTES,
                    None,
                )
                .await
            {
                Ok(exchange) => robots::Entry::from_response(exchange.status, &exchange.body),
                Err(FetchErrorKind::Status { status, .. }) => {
                    robots::Entry::from_response(status, b"")
                }
                // A robots.txt over the size limit: RFC 9309 lets crawlers parse what they can;
                // treating it as absent is the lenient reading of a rare case.
                Err(FetchErrorKind::TooLarge { .. }) => robots::Entry::from_response(404, b""),
                Err(other) => robots::Entry::unreachable(other.to_string()),
            };
            if let Some(delay) = entry.crawl_delay() {
                host.slow_to(delay);
            }
            cache.insert(origin.clone(), entry);
        }
        let path = match request.url.query() {
            Some(query) => format!("{}?{query}", request.url.path()),
            None => request.url.path().to_string(),
        };
        match cache.get(&origin) {
            Some(entry) => entry.check(&path).map_err(FetchErrorKind::Robots),
            None => Ok(()),
        }
    }
}

impl Host {
    fn paused_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let backoff = self
            .backoff
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        backoff.until.filter(|until| *until > now)
    }

    /// Updates the host's backoff after an exchange: a success clears it; a 429 or 503 with
    /// Retry-After pauses the host until then; other server errors and network failures pause
    /// it exponentially longer (1 s, 2 s, 4 s … up to `MAX_HOST_BACKOFF`).
    fn record<T>(&self, result: &Result<T, FetchErrorKind>, now: DateTime<Utc>) {
        let mut backoff = self
            .backoff
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match result {
            Ok(_) => *backoff = Backoff::default(),
            Err(kind) if kind.strains_host() => {
                backoff.failures = backoff.failures.saturating_add(1);
                let exponential =
                    Duration::from_secs(1u64 << backoff.failures.min(20).saturating_sub(1))
                        .min(MAX_HOST_BACKOFF);
                let asked = match kind {
                    FetchErrorKind::Status {
                        retry_after: Some(at),
                        ..
                    } => (*at - now).to_std().ok().map(|d| d.min(MAX_RETRY_AFTER)),
                    _ => None,
                };
                let pause = asked.unwrap_or(exponential).max(exponential);
                backoff.until = Some(
                    now + chrono::Duration::from_std(pause)
                        .unwrap_or(chrono::Duration::minutes(15)),
                );
            }
            Err(_) => {}
        }
    }

    /// Slows the host's budget to at most one request per `delay` (robots.txt Crawl-delay).
    fn slow_to(&self, delay: Duration) {
        let mut crawl_delay = self
            .crawl_delay
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *crawl_delay = (*crawl_delay).max(delay);
    }

    /// Waits until a request to this host may go out and returns its turn: the host's gate and
    /// a global in-flight slot, both held until the exchange is over. Requests to one host go
    /// one at a time, each at least the host's spacing (the configured budget, or a longer
    /// Crawl-delay) after the previous one *finished*, so the server never sees two requests
    /// closer than that; the global slot is taken only once the host's turn has come, so a
    /// slow host never holds slots other hosts could use.
    async fn wait_turn<'h, 's>(
        &'h self,
        in_flight: &'s Semaphore,
    ) -> Result<Turn<'h, 's>, FetchErrorKind> {
        let last = self.last_request.lock().await;
        let crawl_delay = *self
            .crawl_delay
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(previous) = *last {
            tokio::time::sleep_until(previous + self.period.max(crawl_delay)).await;
        }
        let permit = in_flight
            .acquire()
            .await
            .map_err(|_| FetchErrorKind::ShutDown)?;
        Ok(Turn {
            last,
            _permit: permit,
        })
    }
}

/// A host's turn: released (and the time stamped) when the exchange is over, however it ends.
struct Turn<'h, 's> {
    last: tokio::sync::MutexGuard<'h, Option<tokio::time::Instant>>,
    _permit: tokio::sync::SemaphorePermit<'s>,
}

impl Drop for Turn<'_, '_> {
    fn drop(&mut self) {
        *self.last = Some(tokio::time::Instant::now());
    }
}

/// The Host header the client sends for `url` (the port only when it is not the scheme's).
fn host_header(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        _ => String::new(),
    }
}

fn header_value(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(512).collect())
}

/// The spacing of requests at `rate` requests per second.
fn period_for(rate: f64) -> Duration {
    Duration::from_secs_f64(1.0 / rate.clamp(0.001, 1000.0)).max(Duration::from_millis(1))
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
        // A source allowed to be private is allowed at its own host and port only: the client
        // that serves it has no address guard, so it follows no redirect anywhere else.
        if !guarded
            && attempt
                .previous()
                .first()
                .is_some_and(|first| !crate::types::same_origin(first, &next))
        {
            return attempt.error(format!(
                "redirect to {} refused: a source with allow_private may only be fetched from its own host and port",
                crate::text::redact_url(next.as_str())
            ));
        }
        match check_url(&next, !guarded) {
            Ok(()) => {
                if let Some(from) = attempt.previous().last() {
                    let hop = (
                        attempt.status().as_u16(),
                        crate::text::redact_url(from.as_str()),
                    );
                    let _ = REDIRECTS.try_with(|r| r.borrow_mut().push(hop));
                }
                attempt.follow()
            }
            Err(reason) => attempt.error(format!(
                "redirect to {} refused: {reason}",
                crate::text::redact_url(next.as_str())
            )),
        }
    })
}

fn classify(error: reqwest::Error, timeout: Duration, connect_timeout: Duration) -> FetchErrorKind {
    if error.is_connect() && error.is_timeout() {
        FetchErrorKind::ConnectTimeout(connect_timeout)
    } else if error.is_timeout() {
        FetchErrorKind::Timeout(timeout)
    } else {
        // The URL is in `FetchError::url` already, redacted; reqwest's copy is not.
        FetchErrorKind::Transport(error.without_url())
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
    fn periods_follow_rates() {
        let cases = [(1.0, 1000), (4.0, 250), (0.2, 5000), (100.0, 10)];
        for (rate, millis) in cases {
            assert_eq!(period_for(rate), Duration::from_millis(millis));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_host_turn_waits_for_the_longer_of_budget_and_crawl_delay() {
        let host = Host {
            period: Duration::from_millis(250),
            crawl_delay: Mutex::new(Duration::ZERO),
            last_request: tokio::sync::Mutex::new(None),
            backoff: Mutex::new(Backoff::default()),
            robots: tokio::sync::Mutex::new(HashMap::new()),
        };
        let slots = Semaphore::new(1);
        let started = tokio::time::Instant::now();
        drop(host.wait_turn(&slots).await.unwrap());
        assert_eq!(
            started.elapsed(),
            Duration::ZERO,
            "the first request goes at once"
        );
        drop(host.wait_turn(&slots).await.unwrap());
        assert_eq!(started.elapsed(), Duration::from_millis(250));
        host.slow_to(Duration::from_secs(2));
        drop(host.wait_turn(&slots).await.unwrap());
        assert_eq!(
            started.elapsed(),
            Duration::from_millis(2250),
            "Crawl-delay is longer"
        );
    }

    #[test]
    fn host_backoff_grows_honours_retry_after_and_clears() {
        let period = Duration::from_secs(1);
        let host = Host {
            period,
            crawl_delay: Mutex::new(Duration::ZERO),
            last_request: tokio::sync::Mutex::new(None),
            backoff: Mutex::new(Backoff::default()),
            robots: tokio::sync::Mutex::new(HashMap::new()),
        };
        let now = Utc::now();
        let seconds = |s: i64| Some(now + chrono::Duration::seconds(s));
        let server_error: Result<(), _> = Err(FetchErrorKind::Status {
            status: 500,
            retry_after: None,
        });
        host.record(&server_error, now);
        assert_eq!(host.paused_until(now), seconds(1));
        host.record(&server_error, now);
        host.record(&server_error, now);
        assert_eq!(host.paused_until(now), seconds(4));
        let not_found: Result<(), _> = Err(FetchErrorKind::Status {
            status: 404,
            retry_after: None,
        });
        host.record(&not_found, now);
        assert_eq!(
            host.paused_until(now),
            seconds(4),
            "a 404 says nothing of the host"
        );
        let limited: Result<(), _> = Err(FetchErrorKind::Status {
            status: 429,
            retry_after: seconds(120),
        });
        host.record(&limited, now);
        assert_eq!(host.paused_until(now), seconds(120));
        host.record(&Ok::<(), FetchErrorKind>(()), now);
        assert_eq!(host.paused_until(now), None);
        host.slow_to(Duration::from_secs(3));
        assert_eq!(
            host.crawl_delay.lock().map(|d| *d).ok(),
            Some(Duration::from_secs(3))
        );
        host.slow_to(Duration::from_millis(10));
        assert_eq!(
            host.crawl_delay.lock().map(|d| *d).ok(),
            Some(Duration::from_secs(3)),
            "a shorter delay never loosens a longer one"
        );
    }
}
