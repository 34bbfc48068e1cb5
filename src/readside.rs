//! The read side: what searches, digests, alerts, the web UI and the CLI read. It holds the
//! index reader, its own read-only connection to the state database (`PRAGMA query_only`, so a
//! write through it fails instead of slipping past the writer), the name lists, the calendar of
//! expected events, and the stored queries as their folder holds them now. It never writes the
//! index or the state database: the pipeline's writer does that, and the few writers outside
//! the crawl (accounts and audit, the alert outbox) open their own `Store`.

use crate::config::Config;
use crate::detect::DetectError;
use crate::detect::narrative::Narrative;
use crate::detect::spike::Calendar;
use crate::index::reader::Reader;
use crate::query::lists::Lists;
use crate::query::stored::StoredQuery;
use crate::store::Store;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// Why the read side could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ReadSideError {
    #[error(transparent)]
    Index(#[from] crate::index::IndexError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    StoredQuery(#[from] crate::query::stored::StoredQueryError),
}

/// The read side: index reader, a read-only state connection, lists, calendar, stored queries.
#[derive(Clone)]
pub struct ReadSide {
    pub reader: Reader,
    /// A read-only connection: any write through it fails.
    pub store: Arc<Store>,
    /// The name lists (`$officials`) searches may use.
    pub lists: Arc<Lists>,
    /// Expected events (hearings, judgments …) that explain spikes.
    pub calendar: Arc<Calendar>,
    /// The stored queries as last loaded, with the folder's signature then.
    queries: Arc<Mutex<LiveQueries>>,
    /// Document frequencies kept between narrative assemblies.
    frequencies: Arc<crate::detect::cluster::KeptFrequencies>,
}

/// The stored-query folder as last loaded: its files' names, sizes and times, and the queries.
struct LiveQueries {
    dir: PathBuf,
    /// The sources marked `court_focused`: their stored query is made, not read.
    focused: Vec<String>,
    signature: Vec<(PathBuf, u64, Option<SystemTime>)>,
    queries: Arc<Vec<StoredQuery>>,
    /// The files that failed to load and were skipped, each with its reason.
    failures: Arc<Vec<String>>,
}

/// The folder's stored queries, and the one made from the court-focused sources; with the
/// files that failed to load (skipped, each with its reason).
fn load_queries(
    dir: &Path,
    focused: &[String],
    index: &tantivy::Index,
) -> Result<(Vec<StoredQuery>, Vec<String>), crate::query::stored::StoredQueryError> {
    let (mut queries, failures) = crate::query::stored::load_dir_skipping(dir, index)?;
    let failures: Vec<String> = failures.iter().map(ToString::to_string).collect();
    for failure in &failures {
        tracing::warn!(%failure, "stored query skipped; the others run");
    }
    crate::metrics::global()
        .stored_queries_failing
        .store(failures.len() as u64, std::sync::atomic::Ordering::Relaxed);
    let lists = Arc::new(crate::query::stored::load_lists(dir)?);
    // A file of the same id in the folder is the analysts' own version: it wins.
    if !queries
        .iter()
        .any(|q| q.id == crate::query::stored::COURT_FOCUSED_ID)
    {
        queries.extend(crate::query::stored::court_focused(
            focused, dir, index, &lists,
        )?);
    }
    Ok((queries, failures))
}

fn folder_signature(dir: &Path) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
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
    /// Opens the index and the state database of a configuration (creating both the first
    /// time) and loads its stored queries, lists and calendar.
    pub fn open(config: &Config) -> Result<ReadSide, ReadSideError> {
        let index = crate::index::open_or_create(&config.index_dir())?;
        let reader = Reader::open(&index)?;
        // The first open creates and migrates the database; the read side then keeps only a
        // connection that cannot write.
        drop(Store::open(&config.state_path())?);
        let store = Arc::new(Store::open_read_only(&config.state_path())?);
        let signature = folder_signature(&config.queries_dir);
        let focused: Vec<String> = config
            .sources
            .iter()
            .filter(|s| s.court_focused)
            .map(|s| s.name.clone())
            .collect();
        let (queries, failures) = load_queries(&config.queries_dir, &focused, &index)?;
        let lists = Arc::new(crate::query::stored::load_lists(&config.queries_dir)?);
        let mut calendar = crate::detect::spike::load_calendar(&config.queries_dir)?;
        calendar.official_sources = config
            .sources
            .iter()
            .filter(|s| s.official)
            .map(|s| s.name.clone())
            .collect();
        let calendar = Arc::new(calendar);
        Ok(ReadSide {
            reader,
            store,
            lists,
            calendar,
            queries: Arc::new(Mutex::new(LiveQueries {
                dir: config.queries_dir.clone(),
                focused,
                signature,
                queries: Arc::new(queries),
                failures: Arc::new(failures),
            })),
            frequencies: Arc::default(),
        })
    }

    /// The stored queries as the folder holds them now: reloaded when a file was added, changed
    /// or removed since the last call (an analyst saved in the workbench, or pulled from git).
    /// A folder that no longer loads is reported and the last good set kept. This is the only
    /// way to the stored queries, so the percolator, the digest and the web always agree.
    pub fn queries(&self) -> Arc<Vec<StoredQuery>> {
        let mut live = self.queries.lock().unwrap_or_else(|p| p.into_inner());
        let signature = folder_signature(&live.dir);
        if signature != live.signature {
            live.signature = signature;
            match load_queries(&live.dir, &live.focused, self.reader.index()) {
                Ok((queries, failures)) => {
                    tracing::info!(
                        queries = queries.len(),
                        skipped = failures.len(),
                        "stored queries reloaded"
                    );
                    live.queries = Arc::new(queries);
                    live.failures = Arc::new(failures);
                }
                Err(error) => {
                    tracing::warn!(%error, "stored queries not reloaded; the last good set stays")
                }
            }
        }
        Arc::clone(&live.queries)
    }

    /// The stored-query files that failed to load and are skipped, each with its reason (after
    /// the same reload check as `queries`).
    pub fn query_failures(&self) -> Arc<Vec<String>> {
        let _ = self.queries();
        let live = self.queries.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(&live.failures)
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
    ) -> Result<Vec<crate::detect::QueryActivity>, crate::detect::DetectError> {
        crate::detect::assess_queries(
            &self.store,
            &self.reader,
            &self.queries(),
            &self.calendar,
            now,
        )
    }

    /// The narratives active since `since`, most urgent first.
    pub fn narratives(
        &self,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Narrative>, DetectError> {
        crate::detect::narrative::narratives(
            &self.store,
            &self.reader,
            &self.queries(),
            &self.calendar,
            since,
            now,
            &self.frequencies,
        )
    }

    /// One narrative by id.
    pub fn narrative(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Narrative>, DetectError> {
        crate::detect::narrative::narrative(
            &self.store,
            &self.reader,
            &self.queries(),
            &self.calendar,
            id,
            now,
            &self.frequencies,
        )
    }
}
