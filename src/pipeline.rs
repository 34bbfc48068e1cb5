//! Wiring only: the channels, tasks and shutdown that put the stages in order; no other module
//! knows the order. A crawl pass runs one task per due source (`crawl::crawl_source`: fetch →
//! parse → normalise, bounded by the fetcher's limits) feeding a bounded channel into a single
//! writer thread (dedup → index upsert → commit → mark seen → record crawl state → percolate →
//! cluster). Crawl state that would skip content (ETag, Last-Modified, "seen") is only written
//! after the commit that made the content durable, so a crash repeats work and never loses it.
//! The pipeline owns the write side (the index writer, a read-write state connection, the story
//! clusterer); `readside::ReadSide` is what searches, digests and the web UI use.

use crate::config::{Config, SourceConfig};
use crate::crawl::{SourceBatch, SourceOutcome};
use crate::dedup::{Admission, InPass, NearDuplicates};
use crate::detect::cluster::Clusterer;
use crate::fetch::Fetcher;
use crate::index::IndexError;
use crate::index::writer::{Committed, Writer};
use crate::model::Document;
use crate::readside::ReadSide;
use crate::schedule::{Bounds, History};
use crate::store::Store;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Workers' results indexed in one writer pass at most (one commit, one percolation): a
/// commit costs tens of milliseconds whatever its size, so the index node takes many at once.
const RESULTS_PER_PASS: usize = 512;

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
    #[error(transparent)]
    ReadSide(#[from] crate::readside::ReadSideError),
    #[error(transparent)]
    LeakWatch(#[from] crate::leakwatch::LeakError),
    #[error(transparent)]
    Cluster(#[from] crate::cluster::ClusterError),
    #[error("internal task failed: {0}")]
    Task(String),
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

/// The write side: fetcher, the writer's handles, plus the read side.
pub struct Pipeline {
    config: Config,
    fetcher: Arc<Fetcher>,
    /// Open API sessions (Bluesky access tokens) by source name.
    sessions: crate::crawl::Sessions,
    write: Arc<WriteSide>,
    read: ReadSide,
}

/// What only the writer thread touches, kept between passes.
struct WriteSide {
    writer: Mutex<Writer>,
    /// A read-write connection to the state database.
    store: Arc<Store>,
    /// Near-duplicate fingerprints of the retention window.
    near: Mutex<NearDuplicates>,
    /// The story clusterer, with the live clusters in memory between batches.
    clusterer: Mutex<Clusterer>,
    bounds: Bounds,
    /// The leak watch, when configured: every document is checked before it is indexed.
    leaks: Mutex<Option<crate::leakwatch::Guard>>,
    leak_settings: Option<crate::config::security::LeakWatchSettings>,
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
        let store = Arc::new(Store::open(&config.state_path())?);
        let writer = Writer::open(read.reader.index())?;
        let fetcher = Fetcher::new(&config.crawl, &config.sources)?;
        let mut near = NearDuplicates::default();
        for (simhash, group) in store.fingerprints_since(Utc::now() - NEAR_DUPLICATE_WINDOW)? {
            near.insert(simhash, group);
        }
        // A leak watch that cannot read its key stops the start: running without it would
        // index the material it exists to catch.
        let leaks = match &config.leakwatch {
            Some(settings) => Some(crate::leakwatch::Guard::open(&store, settings)?),
            None => None,
        };
        let pipeline = Pipeline {
            fetcher: Arc::new(fetcher),
            sessions: Default::default(),
            write: Arc::new(WriteSide {
                writer: Mutex::new(writer),
                store,
                near: Mutex::new(near),
                clusterer: Mutex::new(Clusterer::default()),
                bounds: config.crawl.poll_bounds,
                leaks: Mutex::new(leaks),
                leak_settings: config.leakwatch.clone(),
            }),
            config,
            read,
        };
        pipeline.catch_up_percolation()?;
        Ok(pipeline)
    }

    /// The read side of this pipeline.
    pub fn read_side(&self) -> &ReadSide {
        &self.read
    }

    /// The state database, read-write: for the writers outside the crawl that share this
    /// process (the alert outbox, accounts and audit).
    pub fn store(&self) -> &Arc<Store> {
        &self.write.store
    }

    /// The fetcher (its per-host budgets and robots.txt cache), for work beside the crawl that
    /// fetches under the same rules (evidence re-fetches).
    pub fn fetcher(&self) -> &Arc<Fetcher> {
        &self.fetcher
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    fn catch_up_percolation(&self) -> Result<(), PipelineError> {
        let store = &self.write.store;
        let done = store.percolated_upto()?;
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
            let matches =
                crate::percolate::match_batch(&self.read.reader, &self.read.queries(), &batch)?;
            store.record_matches(&matches, max)?;
            tracing::info!(
                first_seq = batch.first_seq,
                last_seq = max,
                matches = matches.len(),
                "percolated a batch left over from an earlier run"
            );
        }
        cluster_matched(&self.write, &self.read);
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
            let write = self.write.clone();
            let read = self.read.clone();
            tokio::task::spawn_blocking(move || write_batches(receiver, &write, &read))
        };
        let mut tasks = tokio::task::JoinSet::new();
        for source in sources.iter().cloned() {
            let fetcher = self.fetcher.clone();
            let store = self.write.store.clone();
            let sender = sender.clone();
            let sessions = self.sessions.clone();
            let bounds = self.config.crawl.poll_bounds;
            tasks.spawn(async move {
                let started = Instant::now();
                let outcome = crate::crawl::crawl_source(
                    source, &fetcher, &store, &sender, &bounds, &sessions,
                )
                .await;
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
        self.prune_spool().await;
        Ok(report(sources, outcomes, stats, started))
    }

    /// Keeps the evidence spool within `[evidence]` after a pass (also when crawls run one at a
    /// time from cron, with no archiving round to prune it).
    async fn prune_spool(&self) {
        let store = self.write.store.clone();
        let evidence = self.config.evidence.clone();
        let pruned = tokio::task::spawn_blocking(move || {
            let keep = chrono::Duration::from_std(evidence.spool_for)
                .unwrap_or(chrono::Duration::days(14));
            store.prune_spool(Utc::now() - keep, evidence.spool_bytes)
        })
        .await;
        if let Ok(Err(error)) = pruned {
            tracing::warn!(%error, "the evidence spool was not pruned");
        }
    }

    /// Indexes what workers fetched (`cluster`): each result settled as a local poll's would
    /// be (a failure or deferral recorded, a batch through the writer), in one writer pass that
    /// commits before it returns. The caller acknowledges the results after this.
    pub async fn ingest(
        &self,
        results: Vec<(SourceConfig, SourceOutcome, crate::crawl::Polled)>,
    ) -> Result<CrawlReport, PipelineError> {
        let started = Instant::now();
        let (sender, receiver) = mpsc::channel::<SourceBatch>(CHANNEL_BATCHES);
        let writer_task = {
            let write = self.write.clone();
            let read = self.read.clone();
            tokio::task::spawn_blocking(move || write_batches(receiver, &write, &read))
        };
        let sources: Vec<SourceConfig> = results.iter().map(|(s, _, _)| s.clone()).collect();
        let mut outcomes = Vec::with_capacity(results.len());
        for (source, mut outcome, polled) in results {
            crate::crawl::settle(
                polled,
                &source,
                &self.write.store,
                &sender,
                &self.config.crawl.poll_bounds,
                &mut outcome,
            )
            .await;
            let metrics = crate::metrics::global();
            metrics.fetches.fetch_add(1, Ordering::Relaxed);
            metrics
                .documents_fetched
                .fetch_add(outcome.items as u64, Ordering::Relaxed);
            if outcome.error.is_some() {
                metrics.source_error(&outcome.name);
            }
            outcomes.push(outcome);
        }
        drop(sender);
        let stats = writer_task
            .await
            .map_err(|e| PipelineError::Task(e.to_string()))??;
        Ok(report(&sources, outcomes, stats, started))
    }

    /// The index node of a distributed crawl, until `shutdown` resolves: due sources go out as
    /// jobs (one at a time per source), workers' results are indexed in writer passes of up to
    /// `RESULTS_PER_PASS` and acknowledged only after their commit, and a job no worker finished after every
    /// delivery is recorded as the source's failure.
    pub async fn run_cluster(
        &self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), PipelineError> {
        let Some(settings) = self.config.cluster.clone() else {
            return Err(PipelineError::Task(
                "no [cluster] in the configuration".into(),
            ));
        };
        let mut dispatcher = crate::cluster::Dispatcher::open(&settings).await?;
        dispatcher.serve_known(self.write.store.clone()).await?;
        tokio::pin!(shutdown);
        loop {
            let now = Utc::now();
            let states: HashMap<String, crate::store::SourceState> = {
                let store = self.write.store.clone();
                tokio::task::spawn_blocking(move || store.source_states())
                    .await
                    .map_err(|e| PipelineError::Task(e.to_string()))??
                    .into_iter()
                    .map(|s| (s.name.clone(), s))
                    .collect()
            };
            let due: Vec<(SourceConfig, crate::store::SourceState)> = self
                .config
                .sources
                .iter()
                .filter(|s| !dispatcher.in_flight(&s.name))
                .filter(|s| {
                    states
                        .get(&s.name)
                        .and_then(|st| st.next_due)
                        .is_none_or(|due| due <= now)
                })
                .map(|s| (s.clone(), states.get(&s.name).cloned().unwrap_or_default()))
                .collect();
            if let Err(error) = dispatcher.dispatch(&due, now).await {
                tracing::warn!(%error, "jobs not dispatched; trying again");
            }
            let received = tokio::select! {
                _ = &mut shutdown => return Ok(()),
                received = dispatcher.receive(RESULTS_PER_PASS, Duration::from_secs(1)) => received,
            };
            let received = match received {
                Ok(received) => received,
                Err(error) => {
                    tracing::warn!(%error, "results not read; trying again");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let mut results = Vec::new();
            let mut settled = Vec::new();
            for received in received {
                let result = match received.result {
                    Ok(result) => result,
                    Err(error) => {
                        tracing::error!(%error, "a result that cannot be read; dropped");
                        let _ = received
                            .message
                            .ack_with(async_nats::jetstream::AckKind::Term)
                            .await;
                        continue;
                    }
                };
                dispatcher.done(&result.source);
                let Some(source) = self.config.sources.iter().find(|s| s.name == result.source)
                else {
                    tracing::warn!(source = %result.source, worker = %result.worker, "a result for a source not configured here; dropped");
                    let _ = received.message.ack().await;
                    continue;
                };
                let polled = result.polled.into_polled(source);
                results.push((source.clone(), result.outcome, polled));
                settled.push(received.message);
            }
            for name in dispatcher.expired(Utc::now()) {
                if let Some(source) = self.config.sources.iter().find(|s| s.name == name) {
                    let message = format!(
                        "source {:?}: {}: no worker finished its fetch job after {} deliveries",
                        source.name,
                        source.shown_url(),
                        settings.max_deliver
                    );
                    results.push((
                        source.clone(),
                        crate::crawl::new_outcome(source),
                        crate::crawl::Polled::Failed {
                            message,
                            retry_after: None,
                        },
                    ));
                }
            }
            if results.is_empty() {
                continue;
            }
            match self.ingest(results).await {
                Ok(report) => {
                    for failed in report.failed() {
                        tracing::warn!(source = %failed.name, error = failed.error.as_deref().unwrap_or(""), "source failed");
                    }
                    // Committed: now the broker may forget them.
                    for message in settled {
                        let _ = message.ack().await;
                    }
                }
                Err(error) => {
                    // Not acknowledged: the results come back after the broker's ack wait.
                    tracing::error!(%error, "results not indexed; they will be delivered again");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
            }
        }
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
                let store = self.write.store.clone();
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

/// The writer thread: dedup, upsert, commit, then (and only then) mark seen, record crawl state,
/// percolate the committed batch and cluster its matches.
fn write_batches(
    mut receiver: mpsc::Receiver<SourceBatch>,
    write: &WriteSide,
    read: &ReadSide,
) -> Result<WriterStats, PipelineError> {
    let store = &write.store;
    let mut writer = write.writer.lock().unwrap_or_else(PoisonError::into_inner);
    let mut near = write.near.lock().unwrap_or_else(PoisonError::into_inner);
    let mut leaks = write.leaks.lock().unwrap_or_else(PoisonError::into_inner);
    let mut stats = WriterStats::default();
    let mut pending_docs: Vec<crate::store::Seen> = Vec::new();
    let mut in_pass = InPass::default();
    let mut pending_repeats: Vec<crate::store::Repeat> = Vec::new();
    let mut pending_sources: Vec<(SourceBatch, usize)> = Vec::new();
    loop {
        let next = receiver.blocking_recv();
        let closed = next.is_none();
        if let Some(mut batch) = next {
            let ids: Vec<&str> = batch.documents.iter().map(|d| d.id.as_str()).collect();
            let seen = store.known_documents(&ids)?;
            let fresh = crate::dedup::new_or_changed(std::mem::take(&mut batch.documents), &seen);
            let mut kept: Vec<Document> = Vec::with_capacity(fresh.len());
            if let Some(guard) = leaks.as_mut()
                && let Err(error) = guard.refresh(store)
            {
                tracing::error!(%error, "leak watch not reloaded; checking with the fingerprints loaded before");
            }
            let mut quarantined: Vec<String> = Vec::new();
            for mut document in fresh {
                if let Some(guard) = leaks.as_ref() {
                    let hits = guard.check(&document);
                    if !hits.is_empty() {
                        quarantine(store, write.leak_settings.as_ref(), &document, &hits)?;
                        quarantined.push(document.id.clone());
                        continue;
                    }
                }
                let repeat_of = |original: String| crate::store::Repeat {
                    doc_id: original,
                    url: document.url.clone(),
                    source: document.source.clone(),
                    at: document.published,
                };
                match in_pass.admit(&document) {
                    Admission::New => {}
                    Admission::SameItem => {
                        stats.duplicates += 1;
                        continue;
                    }
                    Admission::Repeat(original) => {
                        pending_repeats.push(repeat_of(original));
                        stats.duplicates += 1;
                        continue;
                    }
                }
                match store.exact_duplicate_of(
                    &document.id,
                    &document.url,
                    &document.source,
                    document.content_hash,
                    document.kind == "news",
                )? {
                    None => {}
                    Some(crate::store::Duplicate::SameUrl(original)) => {
                        tracing::debug!(source = %document.source, url = %document.url, original = %original, "exact duplicate dropped");
                        stats.duplicates += 1;
                        continue;
                    }
                    Some(crate::store::Duplicate::SameText(original)) => {
                        tracing::debug!(source = %document.source, url = %document.url, original = %original, "repeat recorded");
                        pending_repeats.push(repeat_of(original));
                        stats.duplicates += 1;
                        continue;
                    }
                }
                document.dup_group = near.assign(document.simhash, &document.id);
                in_pass.remember(&document);
                kept.push(document);
            }
            writer.upsert(&kept)?;
            // The responses the kept documents came from, for evidence if their narrative is
            // flagged later. Losing them costs evidence, never ingest.
            let kept_ids: std::collections::HashSet<&str> = kept
                .iter()
                .map(|d| d.id.as_str())
                .chain(quarantined.iter().map(String::as_str))
                .collect();
            if let Err(error) = crate::archive::spool_batch(store, &batch.captures, &kept_ids) {
                tracing::warn!(source = %batch.source.name, %error, "responses not kept for evidence");
            }
            batch.captures = Vec::new();
            pending_docs.extend(kept.iter().map(|d| crate::store::Seen {
                id: d.id.clone(),
                content_hash: d.content_hash,
                seq: 0,
                source: d.source.clone(),
                url: d.url.clone(),
                simhash: d.simhash,
                dup_group: d.dup_group.clone(),
                body_chars: crate::store::Known::of(d).body_chars,
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
                store.mark_seen(&pending_docs, now)?;
            }
            // Repeats point at documents now durable (this commit's or earlier ones').
            store.record_repeats(&pending_repeats)?;
            pending_repeats.clear();
            for (batch, new) in pending_sources.drain(..) {
                record_success(store, &batch, new, &write.bounds)?;
                *stats
                    .new_by_source
                    .entry(batch.source.name.clone())
                    .or_default() += new;
            }
            pending_docs.clear();
            in_pass.clear();
            if let Some(batch) = committed {
                read.reader.reload()?;
                let metrics = crate::metrics::global();
                metrics.commits.fetch_add(1, Ordering::Relaxed);
                metrics
                    .documents_indexed
                    .fetch_add(batch.count as u64, Ordering::Relaxed);
                metrics.queue_documents.store(0, Ordering::Relaxed);
                let started = Instant::now();
                let matches = crate::percolate::match_batch(&read.reader, &read.queries(), &batch)?;
                metrics
                    .percolate_latency
                    .observe(started.elapsed().as_secs_f64());
                metrics
                    .matches
                    .fetch_add(matches.len() as u64, Ordering::Relaxed);
                store.record_matches(&matches, batch.last_seq)?;
                stats.matches += matches.len();
                cluster_matched(write, read);
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

/// A document holding registered confidential material: never indexed; the match recorded,
/// the security alert queued (once per document and label), and its pages queued for evidence.
fn quarantine(
    store: &Store,
    settings: Option<&crate::config::security::LeakWatchSettings>,
    document: &Document,
    hits: &[crate::leakwatch::Hit],
) -> Result<(), PipelineError> {
    let now = Utc::now();
    for hit in hits {
        let found = crate::leakwatch::match_of(document, hit, now);
        store.record_leak_match(&found)?;
        if let Some(settings) = settings {
            crate::alert::security::enqueue_leak(store, &found, settings, now)?;
        }
    }
    store.queue_evidence(
        std::slice::from_ref(&document.id),
        crate::archive::LEAK,
        "leakwatch",
        now,
    )?;
    tracing::warn!(
        source = %document.source,
        url = %crate::text::redact_url(&document.url),
        labels = %hits.iter().map(|h| h.label.as_str()).collect::<Vec<_>>().join(", "),
        "registered material found: security alert queued; the document is not indexed"
    );
    Ok(())
}

/// The report of a pass: outcomes in the sources' order, with what the writer kept.
fn report(
    sources: &[SourceConfig],
    mut outcomes: Vec<SourceOutcome>,
    stats: WriterStats,
    started: Instant,
) -> CrawlReport {
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
    report
}

/// Records a source's successful poll once its documents are committed: its validators,
/// cursor and the time of its next poll.
fn record_success(
    store: &Store,
    batch: &SourceBatch,
    new: usize,
    bounds: &Bounds,
) -> Result<(), PipelineError> {
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
    store.record_success(&crate::store::Success {
        name: &batch.source.name,
        url: batch.source.url.as_str(),
        etag: batch.etag.as_deref(),
        last_modified: batch.last_modified.as_deref(),
        at: batch.fetched_at,
        next_due,
        new_documents: new as u64,
        cursor: batch.cursor.as_deref(),
        api_url: batch.api_url.as_deref(),
        items: batch.items as u64,
        unreadable: batch.unreadable as u64,
    })?;
    Ok(())
}

/// Groups newly matched documents into story clusters. A failure is logged and the documents
/// wait for the next batch: clustering never stops ingest.
fn cluster_matched(write: &WriteSide, read: &ReadSide) {
    let mut clusterer = write
        .clusterer
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let mut claims = crate::query::stored::claim_queries(&read.queries());
    claims.official_sources = read.calendar.official_sources.iter().cloned().collect();
    match clusterer.run(&write.store, &read.reader, &claims) {
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
