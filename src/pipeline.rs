//! Wires the stages together; no other module knows the order. A crawl pass runs one task per
//! due source (fetch → parse → normalise, bounded by the fetcher's limits) feeding a bounded
//! channel into a single writer thread (dedup → index upsert → commit → mark seen → record crawl
//! state → percolate). Crawl state that would skip content (ETag, Last-Modified, "seen") is only
//! written after the commit that made the content durable, so a crash repeats work and never
//! loses it. `ReadSide` is what searches, digests and the web UI use: it never writes the index.

use crate::config::{Config, SourceConfig};
use crate::dedup::NearDuplicates;
use crate::fetch::{FetchError, FetchErrorKind, FetchRequest, Fetcher};
use crate::index::IndexError;
use crate::index::reader::Reader;
use crate::index::writer::{Committed, Writer};
use crate::model::{Document, SourceKind};
use crate::query::stored::StoredQuery;
use crate::schedule::{Bounds, Hints, History};
use crate::store::Store;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Documents buffered in the writer before it commits in the middle of a pass.
const COMMIT_EVERY_DOCUMENTS: usize = 20_000;
/// How far back near-duplicate groups reach: copy-paste campaigns are bursts, and a year of
/// fingerprints would only slow the look-up down.
const NEAR_DUPLICATE_WINDOW: chrono::Duration = chrono::Duration::days(30);
/// Source batches waiting for the writer; a slow index slows fetching instead of filling memory.
const CHANNEL_BATCHES: usize = 16;

/// A failure that stops a pass (one source failing never does).
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    StoredQuery(#[from] crate::query::stored::StoredQueryError),
    #[error(transparent)]
    Fetcher(#[from] crate::fetch::FetcherSetupError),
    #[error(transparent)]
    Detect(#[from] crate::detect::DetectError),
    #[error("internal task failed: {0}")]
    Task(String),
}

/// The read side: index reader, state database and stored queries.
#[derive(Clone)]
pub struct ReadSide {
    pub reader: Reader,
    pub store: Arc<Store>,
    pub queries: Arc<Vec<StoredQuery>>,
    /// The name lists (`$officials`) searches may use.
    pub lists: Arc<crate::query::lists::Lists>,
    /// Expected events (hearings, judgments …) that explain spikes.
    pub calendar: Arc<crate::detect::spike::Calendar>,
    /// The story clusterer, with the live clusters in memory between batches.
    pub clusterer: Arc<std::sync::Mutex<crate::detect::cluster::Clusterer>>,
    /// The stored queries as the folder holds them now (see `current_queries`).
    live: Arc<Mutex<LiveQueries>>,
}

/// The stored-query folder as last loaded: its files' names, sizes and times, and the queries.
struct LiveQueries {
    dir: PathBuf,
    signature: Vec<(PathBuf, u64, Option<std::time::SystemTime>)>,
    queries: Arc<Vec<StoredQuery>>,
}

fn folder_signature(dir: &Path) -> Vec<(PathBuf, u64, Option<std::time::SystemTime>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| {
                    let meta = e.metadata().ok()?;
                    meta.is_file()
                        .then(|| (e.path(), meta.len(), meta.modified().ok()))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

impl ReadSide {
    /// Opens the index and state database of a configuration and loads its stored queries.
    pub fn open(config: &Config) -> Result<ReadSide, PipelineError> {
        let index = crate::index::open_or_create(&config.index_dir())?;
        let reader = Reader::open(&index)?;
        let store = Arc::new(Store::open(&config.state_path())?);
        let queries = Arc::new(crate::query::stored::load_dir(&config.queries_dir, &index)?);
        let lists = Arc::new(crate::query::stored::load_lists(&config.queries_dir)?);
        let calendar = Arc::new(crate::query::stored::load_calendar(&config.queries_dir)?);
        let live = Arc::new(Mutex::new(LiveQueries {
            dir: config.queries_dir.clone(),
            signature: folder_signature(&config.queries_dir),
            queries: Arc::clone(&queries),
        }));
        Ok(ReadSide {
            reader,
            store,
            queries,
            lists,
            calendar,
            clusterer: Default::default(),
            live,
        })
    }

    /// The stored queries as the folder holds them now: reloaded when a file was added, changed
    /// or removed since the last call (an analyst saved in the workbench, or pulled from git).
    /// A folder that no longer loads is reported and the last good set kept.
    pub fn current_queries(&self) -> Arc<Vec<StoredQuery>> {
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        let signature = folder_signature(&live.dir);
        if signature != live.signature {
            live.signature = signature;
            match crate::query::stored::load_dir(&live.dir, self.reader.index()) {
                Ok(queries) => {
                    tracing::info!(queries = queries.len(), "stored queries reloaded");
                    live.queries = Arc::new(queries);
                }
                Err(error) => {
                    tracing::warn!(%error, "stored queries not reloaded; the last good set stays")
                }
            }
        }
        Arc::clone(&live.queries)
    }

    /// Compiles an ad-hoc search in the analysts' language, with the stored queries' lists.
    pub fn compile(&self, text: &str) -> Result<crate::query::Compiled, crate::query::QueryError> {
        crate::query::compile_with(
            self.reader.index(),
            text,
            &self.lists,
            &[],
            crate::query::Scoring::Relevance,
        )
    }

    /// Assesses every stored query now.
    pub fn activity(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<crate::detect::QueryActivity>, PipelineError> {
        Ok(crate::detect::assess_queries(
            &self.store,
            &self.reader,
            &self.queries,
            &self.calendar,
            now,
        )?)
    }

    /// The narratives active since `since`, most urgent first, with the stored queries as the
    /// folder holds them now.
    pub fn narratives(
        &self,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<crate::detect::narrative::Narrative>, crate::detect::narrative::NarrativeError>
    {
        crate::detect::narrative::narratives(
            &self.store,
            &self.reader,
            &self.current_queries(),
            &self.calendar,
            since,
            now,
        )
    }

    /// One narrative by id.
    pub fn narrative(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<crate::detect::narrative::Narrative>, crate::detect::narrative::NarrativeError>
    {
        crate::detect::narrative::narrative(
            &self.store,
            &self.reader,
            &self.current_queries(),
            &self.calendar,
            id,
            now,
        )
    }
}

/// What happened to one source in a pass.
#[derive(Debug, Clone, Serialize)]
pub struct SourceOutcome {
    pub name: String,
    pub url: String,
    /// Items the feed held (0 when not modified or failed).
    pub items: usize,
    /// Documents that were new or changed and got indexed.
    pub new_documents: usize,
    pub not_modified: bool,
    /// Items beyond the per-feed limit that were dropped.
    pub dropped_items: usize,
    /// Article pages fetched and extracted for full text.
    pub articles: usize,
    /// Article pages that could not be fetched or had no extractable text.
    pub article_errors: usize,
    /// Not fetched because its host is pausing (Retry-After or error backoff); not a failure.
    pub deferred_until: Option<DateTime<Utc>>,
    /// The error, naming the source and URL, when the source failed.
    pub error: Option<String>,
}

/// The result of a crawl pass.
#[derive(Debug, Clone, Serialize)]
pub struct CrawlReport {
    pub sources: Vec<SourceOutcome>,
    pub new_documents: usize,
    /// Exact duplicates dropped (same URL under another id, or the same text from the same source).
    pub duplicates: usize,
    pub matches: usize,
    pub elapsed_ms: u128,
}

impl CrawlReport {
    /// The sources that failed.
    pub fn failed(&self) -> impl Iterator<Item = &SourceOutcome> {
        self.sources.iter().filter(|s| s.error.is_some())
    }
}

/// Progress events, for a progress bar or a log.
#[derive(Debug, Clone)]
pub enum CrawlEvent {
    /// A pass starts over this many sources.
    Started { sources: usize },
    /// One source was fetched and parsed, or failed.
    SourceDone {
        name: String,
        items: usize,
        error: Option<String>,
    },
}

/// A callback for progress events.
pub type Observer = Arc<dyn Fn(&CrawlEvent) + Send + Sync>;

/// The write side: fetcher, single index writer, plus the read side.
pub struct Pipeline {
    config: Config,
    fetcher: Arc<Fetcher>,
    writer: Arc<Mutex<Writer>>,
    /// Near-duplicate fingerprints of the retention window, shared by every pass.
    near: Arc<Mutex<NearDuplicates>>,
    /// Open API sessions (Bluesky access tokens) by source name.
    sessions: Sessions,
    read: ReadSide,
}

/// A source's fetched and parsed documents, with the crawl state to record once they are durable.
struct SourceBatch {
    source: SourceConfig,
    etag: Option<String>,
    last_modified: Option<String>,
    fetched_at: DateTime<Utc>,
    hints: crate::schedule::Hints,
    /// Unchanged polls in a row before this one.
    prior_unchanged: u32,
    /// The paging cursor the response gave, recorded with the rest once committed.
    cursor: Option<String>,
    /// The API endpoint the configured URL was resolved to, if it was.
    api_url: Option<String>,
    documents: Vec<Document>,
}

#[derive(Default)]
struct WriterStats {
    duplicates: usize,
    new_by_source: HashMap<String, usize>,
    matches: usize,
}

impl Pipeline {
    /// Opens everything a crawl needs, and percolates any batch a crash left unpercolated.
    pub fn open(config: Config) -> Result<Pipeline, PipelineError> {
        let read = ReadSide::open(&config)?;
        let writer = Writer::open(read.reader.index())?;
        let fetcher = Fetcher::new(&config.crawl, &config.sources)?;
        let mut near = NearDuplicates::default();
        for (simhash, group) in read
            .store
            .fingerprints_since(Utc::now() - NEAR_DUPLICATE_WINDOW)?
        {
            near.insert(simhash, group);
        }
        let pipeline = Pipeline {
            config,
            fetcher: Arc::new(fetcher),
            writer: Arc::new(Mutex::new(writer)),
            near: Arc::new(Mutex::new(near)),
            sessions: Sessions::default(),
            read,
        };
        pipeline.catch_up_percolation()?;
        Ok(pipeline)
    }

    /// The read side of this pipeline.
    pub fn read_side(&self) -> &ReadSide {
        &self.read
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    fn catch_up_percolation(&self) -> Result<(), PipelineError> {
        let done = self.read.store.percolated_upto()?;
        let Some(max) = crate::index::writer::max_seq(self.read.reader.index())? else {
            return Ok(());
        };
        if max > done {
            self.read.reader.reload()?;
            let batch = Committed {
                first_seq: done + 1,
                last_seq: max,
                count: (max - done) as usize,
            };
            let matches = crate::percolate::match_batch(
                &self.read.reader,
                &self.read.current_queries(),
                &batch,
            )?;
            self.read.store.record_matches(&matches, max)?;
            tracing::info!(
                first_seq = batch.first_seq,
                last_seq = max,
                matches = matches.len(),
                "percolated a batch left over from an earlier run"
            );
        }
        cluster_matched(&self.read);
        Ok(())
    }

    /// One pass over the given sources.
    pub async fn crawl(
        &self,
        sources: &[SourceConfig],
        observer: Option<Observer>,
    ) -> Result<CrawlReport, PipelineError> {
        let started = Instant::now();
        let notify = |event: CrawlEvent| {
            if let Some(observer) = &observer {
                observer(&event);
            }
        };
        notify(CrawlEvent::Started {
            sources: sources.len(),
        });
        let (sender, receiver) = mpsc::channel::<SourceBatch>(CHANNEL_BATCHES);
        let writer_task = {
            let writer = self.writer.clone();
            let read = self.read.clone();
            let bounds = self.config.crawl.poll_bounds;
            let near = self.near.clone();
            tokio::task::spawn_blocking(move || {
                write_batches(receiver, &writer, &read, &bounds, &near)
            })
        };
        let mut tasks = tokio::task::JoinSet::new();
        for source in sources.iter().cloned() {
            let fetcher = self.fetcher.clone();
            let store = self.read.store.clone();
            let sender = sender.clone();
            let sessions = self.sessions.clone();
            let bounds = self.config.crawl.poll_bounds;
            tasks.spawn(async move {
                let started = Instant::now();
                let outcome =
                    crawl_source(source, &fetcher, &store, &sender, &bounds, &sessions).await;
                crate::metrics::global()
                    .fetch_latency
                    .observe(started.elapsed().as_secs_f64());
                outcome
            });
        }
        drop(sender);
        let mut outcomes = Vec::with_capacity(sources.len());
        while let Some(joined) = tasks.join_next().await {
            let outcome = joined.map_err(|e| PipelineError::Task(e.to_string()))?;
            let metrics = crate::metrics::global();
            metrics.fetches.fetch_add(1, Ordering::Relaxed);
            metrics
                .documents_fetched
                .fetch_add(outcome.items as u64, Ordering::Relaxed);
            if outcome.error.is_some() {
                metrics.source_error(&outcome.name);
            }
            notify(CrawlEvent::SourceDone {
                name: outcome.name.clone(),
                items: outcome.items,
                error: outcome.error.clone(),
            });
            outcomes.push(outcome);
        }
        let stats = writer_task
            .await
            .map_err(|e| PipelineError::Task(e.to_string()))??;
        for outcome in &mut outcomes {
            outcome.new_documents = stats.new_by_source.get(&outcome.name).copied().unwrap_or(0);
        }
        let order: HashMap<&str, usize> = sources
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.as_str(), i))
            .collect();
        outcomes.sort_by_key(|o| order.get(o.name.as_str()).copied().unwrap_or(usize::MAX));
        let report = CrawlReport {
            new_documents: outcomes.iter().map(|o| o.new_documents).sum(),
            duplicates: stats.duplicates,
            sources: outcomes,
            matches: stats.matches,
            elapsed_ms: started.elapsed().as_millis(),
        };
        tracing::info!(
            sources = sources.len(),
            failed = report.failed().count(),
            new_documents = report.new_documents,
            matches = report.matches,
            elapsed_ms = report.elapsed_ms as u64,
            "crawl pass done"
        );
        Ok(report)
    }

    /// Crawls until `shutdown` resolves, each source at its own interval (with backoff after
    /// failures). A failed pass is logged and retried after a pause; only reading the crawl
    /// state fails the loop. Returns after the pass in progress, if any, has finished.
    pub async fn run(
        &self,
        shutdown: impl std::future::Future<Output = ()>,
        observer: Option<Observer>,
    ) -> Result<(), PipelineError> {
        tokio::pin!(shutdown);
        let mut pass_failures: u32 = 0;
        loop {
            let now = Utc::now();
            let states: HashMap<String, Option<DateTime<Utc>>> = {
                let store = self.read.store.clone();
                tokio::task::spawn_blocking(move || store.source_states())
                    .await
                    .map_err(|e| PipelineError::Task(e.to_string()))??
                    .into_iter()
                    .map(|s| (s.name, s.next_due))
                    .collect()
            };
            let due_at = |s: &SourceConfig| states.get(&s.name).copied().flatten().unwrap_or(now);
            let due: Vec<SourceConfig> = self
                .config
                .sources
                .iter()
                .filter(|s| due_at(s) <= now)
                .cloned()
                .collect();
            if !due.is_empty() {
                match self.crawl(&due, observer.clone()).await {
                    Ok(_) => pass_failures = 0,
                    Err(error) => {
                        // A pass-level failure (a full disk, a locked state database): nothing
                        // committed is lost, and the pass is repeated after a pause that grows
                        // from one minute to fifteen, rather than the daemon stopping.
                        pass_failures = pass_failures.saturating_add(1);
                        let pause =
                            Duration::from_secs(60 << pass_failures.min(4).saturating_sub(1))
                                .min(Duration::from_secs(15 * 60));
                        tracing::error!(error = %error, pause_s = pause.as_secs(), "crawl pass failed; retrying after a pause");
                        tokio::select! {
                            _ = &mut shutdown => return Ok(()),
                            _ = tokio::time::sleep(pause) => {}
                        }
                    }
                }
                continue;
            }
            let next = self
                .config
                .sources
                .iter()
                .map(due_at)
                .min()
                .unwrap_or(now + chrono::Duration::minutes(1));
            let wait = (next - now)
                .to_std()
                .unwrap_or(Duration::from_secs(1))
                .clamp(Duration::from_millis(200), Duration::from_secs(60));
            tokio::select! {
                _ = &mut shutdown => return Ok(()),
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}

async fn crawl_source(
    source: SourceConfig,
    fetcher: &Fetcher,
    store: &Arc<Store>,
    sender: &mpsc::Sender<SourceBatch>,
    bounds: &Bounds,
    sessions: &Sessions,
) -> SourceOutcome {
    let mut outcome = SourceOutcome {
        name: source.name.clone(),
        url: source.url.to_string(),
        items: 0,
        new_documents: 0,
        not_modified: false,
        dropped_items: 0,
        articles: 0,
        article_errors: 0,
        deferred_until: None,
        error: None,
    };
    let failure = |message: String, retry_after: Option<DateTime<Utc>>| Failure {
        message,
        retry_after,
        bounds: *bounds,
    };
    let state = {
        let store = store.clone();
        let name = source.name.clone();
        tokio::task::spawn_blocking(move || store.source_state(&name)).await
    };
    let state = match state {
        Ok(Ok(state)) => state.unwrap_or_default(),
        Ok(Err(e)) => return fail(outcome, store, &source, failure(e.to_string(), None)).await,
        Err(e) => return fail(outcome, store, &source, failure(e.to_string(), None)).await,
    };
    let same_url = state.url == source.url.as_str();
    // A Mastodon account given as its profile URL is resolved to its statuses endpoint once;
    // the answer is kept with the source's state.
    let mut mastodon_base = source.url.clone();
    let mut api_url: Option<String> = None;
    if let (SourceKind::Mastodon, Some(lookup)) =
        (source.kind, crate::parse::mastodon::lookup_url(&source.url))
    {
        match state
            .api_url
            .as_deref()
            .filter(|_| same_url)
            .and_then(|u| url::Url::parse(u).ok())
        {
            Some(known) => mastodon_base = known,
            None => {
                let request =
                    FetchRequest::plain(&source.name, lookup, source.allow_private, false);
                let resolved = match fetcher.fetch(&request).await {
                    Ok(answer) => crate::parse::mastodon::statuses_url(&source.url, &answer.body)
                        .map_err(|message| {
                            format!("source {:?}: {}: {message}", source.name, request.url)
                        }),
                    Err(error) => Err(error.to_string()),
                };
                match resolved {
                    Ok(endpoint) => {
                        api_url = Some(endpoint.to_string());
                        mastodon_base = endpoint;
                    }
                    Err(message) => {
                        return fail(outcome, store, &source, failure(message, None)).await;
                    }
                }
            }
        }
    }
    let url = match source.kind {
        SourceKind::Feed | SourceKind::Youtube | SourceKind::Telegram | SourceKind::Html => {
            source.url.clone()
        }
        SourceKind::Gdelt => {
            crate::parse::gdelt::page_url(&source.url, state.cursor.as_deref().filter(|_| same_url))
        }
        SourceKind::Bluesky => crate::parse::bluesky::page_url(
            &source.url,
            state.cursor.as_deref().filter(|_| same_url),
        ),
        SourceKind::Reddit => crate::parse::reddit::page_url(
            &source.url,
            state.cursor.as_deref().filter(|_| same_url),
        ),
        SourceKind::Mastodon => crate::parse::mastodon::page_url(
            &mastodon_base,
            state.cursor.as_deref().filter(|_| same_url),
        ),
    };
    let bearer = match &source.auth {
        None => None,
        Some(auth) => match open_session(&source, auth, fetcher, sessions).await {
            Ok(token) => Some(token),
            Err(message) => return fail(outcome, store, &source, failure(message, None)).await,
        },
    };
    let request = FetchRequest {
        source: source.name.clone(),
        url,
        allow_private: source.allow_private,
        // robots.txt governs crawling pages, not documented APIs.
        respect_robots: !source.api && !source.kind.is_api(),
        etag: state.etag.clone().filter(|_| same_url),
        last_modified: state.last_modified.clone().filter(|_| same_url),
        bearer,
    };
    let fetched = match fetcher.fetch(&request).await {
        Ok(fetched) => fetched,
        Err(FetchError {
            kind: FetchErrorKind::Deferred { host, until },
            ..
        }) => {
            tracing::info!(source = %source.name, url = %source.url, host = %host, until = %until, "deferred: host is backing off");
            let (store, name, url) = (store.clone(), source.name.clone(), source.url.to_string());
            let recorded =
                tokio::task::spawn_blocking(move || store.record_deferral(&name, &url, until))
                    .await;
            if let Ok(Err(e)) = recorded {
                tracing::error!(source = %source.name, error = %e, "could not record a deferral");
            }
            outcome.deferred_until = Some(until);
            return outcome;
        }
        Err(error) => {
            tracing::warn!(source = %source.name, url = %source.url, error = %error.kind, "fetch failed");
            if matches!(error.kind, FetchErrorKind::Status { status: 401, .. }) {
                // The token expired or was revoked: the next poll opens a new session.
                sessions.lock().await.remove(&source.name);
            }
            let retry_after = match &error.kind {
                FetchErrorKind::Status { retry_after, .. } => *retry_after,
                _ => None,
            };
            return fail(
                outcome,
                store,
                &source,
                failure(error.to_string(), retry_after),
            )
            .await;
        }
    };
    tracing::debug!(source = %source.name, url = %fetched.url, status = fetched.status, bytes = fetched.body.len(), elapsed_ms = fetched.elapsed.as_millis() as u64, "fetched");
    let mut hints = Hints {
        max_age: fetched
            .cache_control
            .as_deref()
            .and_then(crate::schedule::parse_max_age),
        expires: fetched
            .expires
            .as_deref()
            .and_then(crate::schedule::parse_http_date),
        ..Hints::default()
    };
    let mut cursor: Option<String> = None;
    let documents = if fetched.not_modified {
        outcome.not_modified = true;
        Vec::new()
    } else {
        let for_parse = fetched.clone();
        let for_source = source.clone();
        let parsed =
            tokio::task::spawn_blocking(move || parse_and_normalise(&for_source, &for_parse)).await;
        match parsed {
            Ok(Ok((parsed, candidates))) => {
                outcome.items = parsed.items.len();
                outcome.dropped_items = parsed.dropped;
                hints.feed_ttl = parsed.feed_ttl;
                hints.update_period = parsed.update_period;
                cursor = parsed.cursor.clone();
                if parsed.dropped > 0 {
                    tracing::warn!(source = %source.name, url = %fetched.url, kept = parsed.items.len(), dropped = parsed.dropped, "feed has more items than the limit; kept the newest");
                }
                let mut candidates = candidates;
                let older = older_page(&source, &fetched.url, &parsed, state.cursor.as_deref());
                candidates.extend(
                    read_older_pages(
                        &source,
                        older,
                        state.cursor.as_deref(),
                        fetcher,
                        &mut outcome,
                    )
                    .await,
                );
                complete_with_articles(&source, candidates, fetcher, store, &mut outcome).await
            }
            Ok(Err(error)) => {
                tracing::warn!(source = %source.name, url = %fetched.url, error = %error.message, "parse failed");
                return fail(outcome, store, &source, failure(error.to_string(), None)).await;
            }
            Err(join) => {
                let message = format!(
                    "source {:?}: {}: parser crashed: {join}",
                    source.name, source.url
                );
                return fail(outcome, store, &source, failure(message, None)).await;
            }
        }
    };
    let batch = SourceBatch {
        source: source.clone(),
        etag: fetched.etag,
        last_modified: fetched.last_modified,
        fetched_at: fetched.fetched_at,
        hints,
        prior_unchanged: state.unchanged_polls,
        cursor,
        api_url,
        documents,
    };
    if sender.send(batch).await.is_err() {
        outcome.error = Some(format!(
            "source {:?}: {}: the index writer stopped",
            source.name, source.url
        ));
    }
    outcome
}

/// Open API sessions by source name: created on first use, dropped after a 401.
type Sessions = Arc<tokio::sync::Mutex<HashMap<String, crate::fetch::Secret>>>;

/// The access token of a source's session, opening one (createSession with the app password,
/// read only now) when none is open.
async fn open_session(
    source: &SourceConfig,
    auth: &crate::config::AppPassword,
    fetcher: &Fetcher,
    sessions: &Sessions,
) -> Result<crate::fetch::Secret, String> {
    let mut open = sessions.lock().await;
    if let Some(token) = open.get(&source.name) {
        return Ok(token.clone());
    }
    let named = |message: String| format!("source {:?}: {}: {message}", source.name, auth.service);
    let password = auth.password.read().map_err(named)?;
    let (url, body) =
        crate::parse::bluesky::session_request(&auth.service, &auth.identifier, &password)
            .map_err(named)?;
    let request = FetchRequest::plain(&source.name, url, source.allow_private, false);
    let answer = match fetcher.post_json(&request, &body).await {
        Ok(answer) => answer,
        Err(FetchError {
            kind: FetchErrorKind::Status { status: 401, .. },
            url,
            ..
        }) => {
            return Err(format!(
                "source {:?}: {url}: Bluesky refused the app password for {}",
                source.name, auth.identifier
            ));
        }
        Err(error) => return Err(error.to_string()),
    };
    let token = crate::parse::bluesky::session_token(&answer.body)
        .map_err(|m| format!("source {:?}: {}: {m}", source.name, request.url))?;
    open.insert(source.name.clone(), token.clone());
    Ok(token)
}

/// Parses a response and normalises its items (blocking: run it on a blocking thread).
fn parse_and_normalise(
    source: &SourceConfig,
    fetched: &crate::model::Fetched,
) -> Result<(crate::parse::Parsed, Vec<Candidate>), crate::parse::ParseError> {
    let kind = source.kind;
    let parsed = crate::parse::parse(source, fetched)?;
    let candidates = parsed
        .items
        .iter()
        .cloned()
        .filter_map(|item| {
            let wants_full_text = crate::normalise::wants_full_text(&item);
            let declared_language = item.language.is_some();
            crate::normalise::normalise(item, &fetched.source, kind.as_str(), fetched.fetched_at)
                .map(|document| Candidate {
                    document,
                    wants_full_text,
                    declared_language,
                })
        })
        .collect();
    Ok((parsed, candidates))
}

/// The older page a poll should read next, for the kinds whose newest page can hold less than
/// what arrived since the last poll (Telegram channels, Bluesky searches).
fn older_page(
    source: &SourceConfig,
    page_url: &url::Url,
    parsed: &crate::parse::Parsed,
    cursor: Option<&str>,
) -> Option<url::Url> {
    match source.kind {
        SourceKind::Telegram => crate::parse::telegram::older_page(&source.url, parsed, cursor),
        SourceKind::Bluesky => crate::parse::bluesky::older_page(page_url, parsed),
        _ => None,
    }
}

/// Follows older pages while they hold only new items (at most `telegram::MAX_PAGES` pages in
/// all), so a busy hour between two polls loses nothing. A page that fails ends the walk; what
/// was read is kept.
async fn read_older_pages(
    source: &SourceConfig,
    mut next: Option<url::Url>,
    cursor: Option<&str>,
    fetcher: &Fetcher,
    outcome: &mut SourceOutcome,
) -> Vec<Candidate> {
    let mut candidates = Vec::new();
    let mut pages = 1;
    while let Some(url) = next.take() {
        if pages >= crate::parse::telegram::MAX_PAGES {
            break;
        }
        pages += 1;
        let request = FetchRequest::plain(&source.name, url, source.allow_private, !source.api);
        let page = match fetcher.fetch(&request).await {
            Ok(page) => page,
            Err(error) => {
                tracing::warn!(source = %source.name, url = %request.url, error = %error.kind, "older page not fetched");
                break;
            }
        };
        let for_source = source.clone();
        match tokio::task::spawn_blocking(move || parse_and_normalise(&for_source, &page)).await {
            Ok(Ok((parsed, more))) => {
                outcome.items += parsed.items.len();
                next = older_page(source, &request.url, &parsed, cursor);
                candidates.extend(more);
            }
            Ok(Err(error)) => {
                tracing::warn!(source = %source.name, url = %request.url, error = %error.message, "older page not parsed");
                break;
            }
            Err(_) => break,
        }
    }
    candidates
}

/// A normalised document and what full-text fetching needs to know about its item.
struct Candidate {
    document: Document,
    wants_full_text: bool,
    declared_language: bool,
}

/// Article pages fetched at most per source and pass; the rest wait for the next poll.
const MAX_ARTICLES_PER_PASS: usize = 100;

/// Fetches the article pages of new items that need their full text, through the same polite
/// fetcher (robots.txt, the host's budget, the private-address guard). A failed page leaves the
/// item with its feed text; it never fails the source. Links from a source allowed on private
/// addresses may only reach that source's own host.
async fn complete_with_articles(
    source: &SourceConfig,
    candidates: Vec<Candidate>,
    fetcher: &Fetcher,
    store: &Arc<Store>,
    outcome: &mut SourceOutcome,
) -> Vec<Document> {
    use crate::config::FullText;
    if !matches!(
        source.kind,
        SourceKind::Feed | SourceKind::Gdelt | SourceKind::Html
    ) {
        // Posts are whole; their links are shared URLs, not their own article pages.
        return candidates.into_iter().map(|c| c.document).collect();
    }
    let wanted: Vec<usize> = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.document.url.is_empty())
        .filter(|(_, c)| match source.full_text {
            FullText::Never => false,
            FullText::Always => true,
            FullText::Auto => c.wants_full_text,
        })
        .map(|(i, _)| i)
        .collect();
    let mut candidates = candidates;
    if !wanted.is_empty() {
        let ids: Vec<String> = wanted
            .iter()
            .map(|i| candidates[*i].document.id.clone())
            .collect();
        let store = store.clone();
        let seen = tokio::task::spawn_blocking(move || {
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            store.known_documents(&ids)
        })
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
        let source_host = source.url.host_str().map(str::to_ascii_lowercase);
        let unseen: Vec<usize> = wanted
            .into_iter()
            .filter(|i| !seen.contains_key(&candidates[*i].document.id))
            .take(MAX_ARTICLES_PER_PASS)
            .collect();
        for index in unseen {
            let Ok(url) = url::Url::parse(&candidates[index].document.url) else {
                continue;
            };
            let same_host = url.host_str().map(str::to_ascii_lowercase) == source_host;
            let request =
                FetchRequest::plain(&source.name, url, source.allow_private && same_host, true);
            let page = match fetcher.fetch(&request).await {
                Ok(page) => page,
                Err(error) => {
                    tracing::warn!(source = %source.name, url = %request.url, error = %error.kind, "article page not fetched");
                    outcome.article_errors += 1;
                    continue;
                }
            };
            let extracted = tokio::task::spawn_blocking(move || {
                crate::parse::article::extract_bytes(
                    &page.body,
                    page.content_type.as_deref(),
                    &page.url,
                )
            })
            .await;
            match extracted {
                Ok(Ok(article)) => {
                    let candidate = &mut candidates[index];
                    crate::normalise::apply_article(
                        &mut candidate.document,
                        article,
                        candidate.declared_language,
                    );
                    outcome.articles += 1;
                }
                Ok(Err(reason)) => {
                    tracing::warn!(source = %source.name, url = %request.url, reason = %reason, "no article text extracted");
                    outcome.article_errors += 1;
                }
                Err(join) => {
                    tracing::error!(source = %source.name, url = %request.url, error = %join, "article extraction crashed");
                    outcome.article_errors += 1;
                }
            }
        }
    }
    candidates.into_iter().map(|c| c.document).collect()
}

/// A source's failure, with what the schedule needs to place its next attempt.
struct Failure {
    message: String,
    retry_after: Option<DateTime<Utc>>,
    bounds: Bounds,
}

async fn fail(
    mut outcome: SourceOutcome,
    store: &Arc<Store>,
    source: &SourceConfig,
    failure: Failure,
) -> SourceOutcome {
    let store = store.clone();
    let (name, url, interval) = (source.name.clone(), source.url.to_string(), source.interval);
    let message = failure.message.clone();
    let now = Utc::now();
    let hints = Hints {
        retry_after: failure.retry_after,
        ..Hints::default()
    };
    let jitter = crate::schedule::jitter_unit_for(&name, now);
    let recorded = tokio::task::spawn_blocking(move || {
        store.record_failure(&name, &url, &message, now, |failures| {
            crate::schedule::next_check(
                now,
                interval,
                &hints,
                History {
                    failures,
                    unchanged: 0,
                },
                &failure.bounds,
                jitter,
            )
        })
    })
    .await;
    if let Ok(Err(e)) = recorded {
        tracing::error!(source = %source.name, error = %e, "could not record a failure");
    }
    outcome.error = Some(failure.message);
    outcome
}

/// The writer thread: dedup, upsert, commit, then (and only then) mark seen, record crawl state
/// and percolate the committed batch.
fn write_batches(
    mut receiver: mpsc::Receiver<SourceBatch>,
    writer: &Mutex<Writer>,
    read: &ReadSide,
    bounds: &Bounds,
    near: &Mutex<NearDuplicates>,
) -> Result<WriterStats, PipelineError> {
    let mut writer = writer
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut stats = WriterStats::default();
    let mut pending_docs: Vec<crate::store::Seen> = Vec::new();
    let mut pending_ids: HashMap<String, usize> = HashMap::new();
    let mut pending_content: std::collections::HashSet<(String, u64)> =
        std::collections::HashSet::new();
    let mut near = near.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut pending_sources: Vec<(SourceBatch, usize)> = Vec::new();
    loop {
        let next = receiver.blocking_recv();
        let closed = next.is_none();
        if let Some(mut batch) = next {
            let ids: Vec<&str> = batch.documents.iter().map(|d| d.id.as_str()).collect();
            let seen = read.store.known_documents(&ids)?;
            let fresh = crate::dedup::new_or_changed(std::mem::take(&mut batch.documents), &seen);
            let mut kept: Vec<Document> = Vec::with_capacity(fresh.len());
            for mut document in fresh {
                if let Some(&position) = pending_ids.get(&document.id) {
                    // The same article through two feeds in this pass: the later one replaces
                    // the earlier only if it is its own source's edit or a fuller text.
                    let earlier = &pending_docs[position];
                    let known = crate::dedup::Known {
                        content_hash: earlier.content_hash,
                        source: earlier.source.clone(),
                        body_chars: earlier.body_chars,
                    };
                    if crate::dedup::judge(&document, Some(&known)) != crate::dedup::Verdict::Update
                    {
                        stats.duplicates += 1;
                        continue;
                    }
                }
                // On social platforms identical text from many accounts is the signal
                // (copy-paste, coordination), not a feed repeating itself: keep each post.
                let by_content = document.kind == "news";
                if by_content
                    && !pending_content.insert((document.source.clone(), document.content_hash))
                {
                    // The same text again from the same source under another link.
                    stats.duplicates += 1;
                    continue;
                }
                if let Some(original) = read.store.exact_duplicate_of(
                    &document.id,
                    &document.url,
                    &document.source,
                    document.content_hash,
                    by_content,
                )? {
                    tracing::debug!(source = %document.source, url = %document.url, original = %original, "exact duplicate dropped");
                    stats.duplicates += 1;
                    continue;
                }
                document.dup_group = near.assign(document.simhash, &document.id);
                pending_ids.insert(document.id.clone(), pending_docs.len() + kept.len());
                kept.push(document);
            }
            writer.upsert(&kept)?;
            pending_docs.extend(kept.iter().map(|d| crate::store::Seen {
                id: d.id.clone(),
                content_hash: d.content_hash,
                seq: 0,
                source: d.source.clone(),
                url: d.url.clone(),
                simhash: d.simhash,
                dup_group: d.dup_group.clone(),
                body_chars: crate::dedup::Known::of(d).body_chars,
            }));
            pending_sources.push((batch, kept.len()));
            crate::metrics::global()
                .queue_documents
                .store(pending_docs.len() as u64, Ordering::Relaxed);
        }
        if closed || pending_docs.len() >= COMMIT_EVERY_DOCUMENTS {
            let committed = writer.commit()?;
            let now = Utc::now();
            if let Some(batch) = committed {
                for (offset, seen) in pending_docs.iter_mut().enumerate() {
                    seen.seq = batch.first_seq + offset as u64;
                }
                read.store.mark_seen(&pending_docs, now)?;
            }
            for (batch, new) in pending_sources.drain(..) {
                let history = History {
                    failures: 0,
                    unchanged: if new > 0 {
                        0
                    } else {
                        batch.prior_unchanged + 1
                    },
                };
                let jitter = crate::schedule::jitter_unit_for(&batch.source.name, batch.fetched_at);
                let next_due = crate::schedule::next_check(
                    batch.fetched_at,
                    batch.source.interval,
                    &batch.hints,
                    history,
                    bounds,
                    jitter,
                );
                read.store.record_success(&crate::store::Success {
                    name: &batch.source.name,
                    url: batch.source.url.as_str(),
                    etag: batch.etag.as_deref(),
                    last_modified: batch.last_modified.as_deref(),
                    at: batch.fetched_at,
                    next_due,
                    new_documents: new as u64,
                    cursor: batch.cursor.as_deref(),
                    api_url: batch.api_url.as_deref(),
                })?;
                *stats
                    .new_by_source
                    .entry(batch.source.name.clone())
                    .or_default() += new;
            }
            pending_docs.clear();
            pending_ids.clear();
            pending_content.clear();
            if let Some(batch) = committed {
                read.reader.reload()?;
                let metrics = crate::metrics::global();
                metrics.commits.fetch_add(1, Ordering::Relaxed);
                metrics
                    .documents_indexed
                    .fetch_add(batch.count as u64, Ordering::Relaxed);
                metrics.queue_documents.store(0, Ordering::Relaxed);
                let started = Instant::now();
                let matches =
                    crate::percolate::match_batch(&read.reader, &read.current_queries(), &batch)?;
                metrics
                    .percolate_latency
                    .observe(started.elapsed().as_secs_f64());
                metrics
                    .matches
                    .fetch_add(matches.len() as u64, Ordering::Relaxed);
                read.store.record_matches(&matches, batch.last_seq)?;
                stats.matches += matches.len();
                cluster_matched(read);
                tracing::debug!(
                    first_seq = batch.first_seq,
                    last_seq = batch.last_seq,
                    documents = batch.count,
                    matches = matches.len(),
                    "committed and percolated"
                );
            }
        }
        if closed {
            return Ok(stats);
        }
    }
}

/// Groups newly matched documents into story clusters. A failure is logged and the documents
/// wait for the next batch: clustering never stops ingest.
fn cluster_matched(read: &ReadSide) {
    let mut clusterer = read
        .clusterer
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match clusterer.run(&read.store, &read.reader) {
        Ok(report) if report.documents > 0 => tracing::debug!(
            documents = report.documents,
            new_clusters = report.new_clusters,
            "clustered matched documents"
        ),
        Ok(_) => {}
        Err(error) => {
            tracing::warn!(%error, "story clustering failed; retried after the next batch")
        }
    }
}
