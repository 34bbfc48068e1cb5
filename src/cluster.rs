//! Crawling across machines on NATS JetStream. The index node's scheduler publishes each due
//! source as a fetch job on `vigil.jobs.<partition>` (the partition is a hash of the source's
//! host); `vigil worker` processes claim partitions through leases in a JetStream key-value
//! bucket, so one live worker owns a host at a time, and poll their sources with the same code
//! as the one-process crawler (`crawl::poll`: the address guard, size caps, timeouts, robots.txt
//! and the host's budget live in the worker's `Fetcher`). Results go to `vigil.results`; the
//! index node decodes them, runs them through the one writer (commit, percolate, crawl state),
//! and only then acknowledges them. A job or result not acknowledged is delivered again; the
//! writer's upsert by id and its dedup make a repeat harmless. A job no worker finishes after
//! `max_deliver` deliveries is reported failed with its source's name.
//!
//! In: `[cluster]`, the configuration both sides share (sources, crawl settings), the crawl
//! state (sent with each job); out: results (documents, the responses they came from, crawl
//! hints) and workers' answers to "which of these documents do you have" (`vigil.known`).

use crate::config::cluster::ClusterSettings;
use crate::config::{Config, SourceConfig};
use crate::crawl::{self, Captured, KnownDocuments, Polled, SourceBatch, SourceOutcome};
use crate::fetch::Fetcher;
use crate::model::{Document, Fetched, HttpRecord};
use crate::schedule::Hints;
use crate::store::SourceState;
use async_nats::jetstream::{self, consumer::pull, stream};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

pub const JOBS_STREAM: &str = "VIGIL_JOBS";
pub const RESULTS_STREAM: &str = "VIGIL_RESULTS";
pub const RESULTS_SUBJECT: &str = "vigil.results";
pub const KNOWN_SUBJECT: &str = "vigil.known";
pub const LEASES: &str = "vigil-leases";
pub const WORKERS: &str = "vigil-workers";
/// When each host was last asked for anything, by any worker: key the host in hex, value the
/// moment in milliseconds (`KvGate`).
pub const HOSTS: &str = "vigil-hosts";
/// Hosts pausing (Retry-After, error backoff), shared by the workers: key the host in hex,
/// value the time it resumes.
pub const PAUSES: &str = "vigil-pauses";
/// Largest message Vigil sends or reads (the broker's `max_payload` must allow it).
pub const MAX_MESSAGE: usize = 8 << 20;
/// Largest decoded message read.
const MAX_DECODED: usize = 256 << 20;

/// A broker failure, naming the broker and what was being done.
#[derive(Debug, thiserror::Error)]
#[error("broker {url}: {doing}: {message}")]
pub struct ClusterError {
    pub url: String,
    pub doing: &'static str,
    pub message: String,
}

fn broker(settings: &ClusterSettings, doing: &'static str) -> impl Fn(String) -> ClusterError {
    let url = crate::text::redact_url(&settings.nats);
    move |message| ClusterError {
        url: url.clone(),
        doing,
        message,
    }
}

/// The partition of a source: a hash of its host.
pub fn partition_of(source: &SourceConfig, partitions: u32) -> u32 {
    let host = source.url.host_str().unwrap_or("").to_ascii_lowercase();
    (xxhash_rust::xxh3::xxh3_64(host.as_bytes()) % u64::from(partitions.max(1))) as u32
}

pub fn job_subject(partition: u32) -> String {
    format!("vigil.jobs.{partition}")
}

/// A fetch job: the source (by name: workers read the same configuration, secrets included)
/// and its crawl state, so conditional requests and cursors work on any worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    pub source: String,
    pub state: SourceState,
}

/// A worker's result for a job.
#[derive(Debug, Serialize, Deserialize)]
pub struct JobResult {
    pub job: String,
    pub source: String,
    pub worker: String,
    pub outcome: SourceOutcome,
    pub polled: WirePolled,
}

/// `crawl::Polled` on the wire.
#[derive(Debug, Serialize, Deserialize)]
pub enum WirePolled {
    Batch(Box<WireBatch>),
    Failed {
        message: String,
        retry_after: Option<DateTime<Utc>>,
    },
    Deferred {
        until: DateTime<Utc>,
    },
}

#[derive(Debug, Serialize, Deserialize)]
pub struct WireBatch {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub fetched_at: DateTime<Utc>,
    pub hints: Hints,
    pub prior_unchanged: u32,
    pub cursor: Option<String>,
    pub api_url: Option<String>,
    pub items: usize,
    pub unreadable: usize,
    pub documents: Vec<Document>,
    pub captures: Vec<WireCapture>,
}

/// A response a batch's documents came from (for the evidence spool); the body in base64.
#[derive(Debug, Serialize, Deserialize)]
pub struct WireCapture {
    pub source: String,
    pub url: String,
    pub status: u16,
    pub content_type: Option<String>,
    pub fetched_at: DateTime<Utc>,
    pub http: Option<HttpRecord>,
    pub body: String,
    pub documents: Vec<String>,
}

impl WirePolled {
    pub fn from_polled(polled: Polled) -> WirePolled {
        match polled {
            Polled::Failed {
                message,
                retry_after,
            } => WirePolled::Failed {
                message,
                retry_after,
            },
            Polled::Deferred { until } => WirePolled::Deferred { until },
            Polled::Batch(batch) => WirePolled::Batch(Box::new(WireBatch {
                etag: batch.etag,
                last_modified: batch.last_modified,
                fetched_at: batch.fetched_at,
                hints: batch.hints,
                prior_unchanged: batch.prior_unchanged,
                cursor: batch.cursor,
                api_url: batch.api_url,
                items: batch.items,
                unreadable: batch.unreadable,
                documents: batch.documents,
                captures: batch
                    .captures
                    .iter()
                    .map(|c| WireCapture {
                        source: c.fetched.source.clone(),
                        url: c.fetched.url.to_string(),
                        status: c.fetched.status,
                        content_type: c.fetched.content_type.clone(),
                        fetched_at: c.fetched.fetched_at,
                        http: c.fetched.http.as_deref().cloned(),
                        body: data_encoding::BASE64.encode(&c.fetched.body),
                        documents: c.documents.clone(),
                    })
                    .collect(),
            })),
        }
    }

    /// Back into a `Polled` for `source` (as the index node configures it). Captures that
    /// cannot be read are dropped: they are evidence, not content.
    pub fn into_polled(self, source: &SourceConfig) -> Polled {
        match self {
            WirePolled::Failed {
                message,
                retry_after,
            } => Polled::Failed {
                message,
                retry_after,
            },
            WirePolled::Deferred { until } => Polled::Deferred { until },
            WirePolled::Batch(batch) => {
                let batch = *batch;
                let captures = batch
                    .captures
                    .into_iter()
                    .filter_map(|c| {
                        let body = data_encoding::BASE64.decode(c.body.as_bytes()).ok()?;
                        Some(Captured {
                            fetched: Arc::new(Fetched {
                                source: c.source,
                                url: url::Url::parse(&c.url).ok()?,
                                status: c.status,
                                not_modified: false,
                                content_type: c.content_type,
                                etag: None,
                                last_modified: None,
                                cache_control: None,
                                expires: None,
                                body: body.into(),
                                fetched_at: c.fetched_at,
                                elapsed: Duration::ZERO,
                                http: c.http.map(Arc::new),
                            }),
                            documents: c.documents,
                        })
                    })
                    .collect();
                Polled::Batch(SourceBatch {
                    source: source.clone(),
                    etag: batch.etag,
                    last_modified: batch.last_modified,
                    fetched_at: batch.fetched_at,
                    hints: batch.hints,
                    prior_unchanged: batch.prior_unchanged,
                    cursor: batch.cursor,
                    api_url: batch.api_url,
                    items: batch.items,
                    unreadable: batch.unreadable,
                    documents: batch.documents,
                    captures,
                })
            }
        }
    }
}

/// A message body: JSON, lz4-compressed.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    lz4_flex::compress_prepend_size(&serde_json::to_vec(value).unwrap_or_default())
}

/// Reads a message body; a body that is not one (or claims to be too large) is an error.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let size = bytes
        .get(..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .ok_or("an empty message")?;
    if size > MAX_DECODED {
        return Err(format!("a message that claims {size} bytes"));
    }
    let json = lz4_flex::decompress_size_prepended(bytes).map_err(|e| e.to_string())?;
    serde_json::from_slice(&json).map_err(|e| e.to_string())
}

/// Connects to the broker and makes sure the streams and buckets exist.
pub async fn connect(
    settings: &ClusterSettings,
) -> Result<(async_nats::Client, jetstream::Context), ClusterError> {
    let client = async_nats::ConnectOptions::new()
        .retry_on_initial_connect()
        .connection_timeout(Duration::from_secs(5))
        .connect(settings.nats.as_str())
        .await
        .map_err(|e| broker(settings, "connecting")(e.to_string()))?;
    let js = jetstream::new(client.clone());
    js.get_or_create_stream(stream::Config {
        name: JOBS_STREAM.to_string(),
        subjects: vec!["vigil.jobs.*".to_string()],
        retention: stream::RetentionPolicy::WorkQueue,
        duplicate_window: Duration::from_secs(120),
        max_message_size: 1 << 20,
        storage: stream::StorageType::File,
        ..Default::default()
    })
    .await
    .map_err(|e| broker(settings, "creating the jobs stream")(e.to_string()))?;
    js.get_or_create_stream(stream::Config {
        name: RESULTS_STREAM.to_string(),
        subjects: vec![RESULTS_SUBJECT.to_string()],
        retention: stream::RetentionPolicy::WorkQueue,
        max_message_size: MAX_MESSAGE as i32,
        storage: stream::StorageType::File,
        ..Default::default()
    })
    .await
    .map_err(|e| broker(settings, "creating the results stream")(e.to_string()))?;
    // Key-value buckets are made as the streams they are (what `create_key_value` would make),
    // because the client's account query does not read Debian's nats-server 2.9.
    for (bucket, description, max_age) in [
        (
            LEASES,
            "which worker owns which host partition",
            settings.lease,
        ),
        (WORKERS, "live workers", settings.lease),
        (
            PAUSES,
            "hosts pausing, and until when",
            crate::fetch::MAX_RETRY_AFTER,
        ),
        (
            HOSTS,
            "when each host was last asked",
            Duration::from_secs(24 * 3600),
        ),
    ] {
        js.get_or_create_stream(stream::Config {
            name: format!("KV_{bucket}"),
            description: Some(description.to_string()),
            subjects: vec![format!("$KV.{bucket}.>")],
            max_messages_per_subject: 1,
            max_age,
            storage: stream::StorageType::File,
            allow_rollup: true,
            deny_delete: true,
            allow_direct: true,
            discard: stream::DiscardPolicy::New,
            ..Default::default()
        })
        .await
        .map_err(|e| broker(settings, "creating a key-value bucket")(e.to_string()))?;
    }
    Ok((client, js))
}

// --- The index node ----------------------------------------------------------------------------

/// The index node's side: dispatching jobs and reading results.
pub struct Dispatcher {
    pub settings: ClusterSettings,
    client: async_nats::Client,
    js: jetstream::Context,
    results: jetstream::consumer::Consumer<pull::Config>,
    /// Sources with a job out, and when to give up on it.
    in_flight: HashMap<String, DateTime<Utc>>,
}

/// A result as read: the message to acknowledge once it is committed, and its content.
pub struct Received {
    pub message: jetstream::Message,
    pub result: Result<JobResult, String>,
}

impl Dispatcher {
    pub async fn open(settings: &ClusterSettings) -> Result<Dispatcher, ClusterError> {
        let (client, js) = connect(settings).await?;
        let results = js
            .get_stream(RESULTS_STREAM)
            .await
            .map_err(|e| broker(settings, "opening the results stream")(e.to_string()))?
            .get_or_create_consumer(
                "writer",
                pull::Config {
                    durable_name: Some("writer".to_string()),
                    ack_policy: jetstream::consumer::AckPolicy::Explicit,
                    ack_wait: Duration::from_secs(300),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| broker(settings, "opening the results consumer")(e.to_string()))?;
        Ok(Dispatcher {
            settings: settings.clone(),
            client,
            js,
            results,
            in_flight: HashMap::new(),
        })
    }

    /// Whether a job for this source is out.
    pub fn in_flight(&self, source: &str) -> bool {
        self.in_flight.contains_key(source)
    }

    /// Publishes a job for each source (its crawl state with it), waiting for the broker to
    /// store each. The job id names the source and the moment, so a retry within the broker's
    /// duplicate window is not stored twice.
    pub async fn dispatch(
        &mut self,
        sources: &[(SourceConfig, SourceState)],
        now: DateTime<Utc>,
    ) -> Result<usize, ClusterError> {
        let give_up =
            chrono::Duration::from_std(self.settings.ack_wait * (self.settings.max_deliver + 2))
                .unwrap_or(chrono::Duration::hours(1));
        let mut sent = 0;
        for (source, state) in sources {
            if self.in_flight(&source.name) {
                continue;
            }
            let job = Job {
                id: format!("{}@{}", source.name, now.timestamp_millis()),
                source: source.name.clone(),
                state: state.clone(),
            };
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("Nats-Msg-Id", job.id.as_str());
            let subject = job_subject(partition_of(source, self.settings.partitions));
            self.js
                .publish_with_headers(subject, headers, encode(&job).into())
                .await
                .map_err(|e| broker(&self.settings, "publishing a job")(e.to_string()))?
                .await
                .map_err(|e| broker(&self.settings, "storing a job")(e.to_string()))?;
            self.in_flight.insert(source.name.clone(), now + give_up);
            sent += 1;
        }
        Ok(sent)
    }

    /// Up to `max` results, waiting at most `wait` for the first.
    pub async fn receive(&self, max: usize, wait: Duration) -> Result<Vec<Received>, ClusterError> {
        let mut batch = self
            .results
            .fetch()
            .max_messages(max)
            .expires(wait)
            .messages()
            .await
            .map_err(|e| broker(&self.settings, "reading results")(e.to_string()))?;
        let mut out = Vec::new();
        while let Some(message) = batch.next().await {
            let Ok(message) = message else {
                break;
            };
            let result = decode::<JobResult>(&message.payload);
            out.push(Received { message, result });
        }
        Ok(out)
    }

    /// A result arrived for this source: its job is no longer out.
    pub fn done(&mut self, source: &str) {
        self.in_flight.remove(source);
    }

    /// Sources whose job no worker finished in time (every delivery used): reported failed.
    pub fn expired(&mut self, now: DateTime<Utc>) -> Vec<String> {
        let gone: Vec<String> = self
            .in_flight
            .iter()
            .filter(|(_, deadline)| **deadline <= now)
            .map(|(name, _)| name.clone())
            .collect();
        for name in &gone {
            self.in_flight.remove(name);
        }
        gone
    }

    /// Answers workers' "which of these documents do you have" from the state database, until
    /// the connection closes.
    pub async fn serve_known(&self, store: Arc<crate::store::Store>) -> Result<(), ClusterError> {
        let mut requests = self
            .client
            .subscribe(KNOWN_SUBJECT)
            .await
            .map_err(|e| broker(&self.settings, "answering workers")(e.to_string()))?;
        let client = self.client.clone();
        tokio::spawn(async move {
            while let Some(request) = requests.next().await {
                let Some(reply) = request.reply.clone() else {
                    continue;
                };
                let ids: Vec<String> = decode(&request.payload).unwrap_or_default();
                let store = store.clone();
                let known = tokio::task::spawn_blocking(move || {
                    let ids: Vec<&str> = ids.iter().take(10_000).map(String::as_str).collect();
                    store
                        .known_documents(&ids)
                        .map(|k| k.into_keys().collect::<Vec<String>>())
                        .unwrap_or_default()
                })
                .await
                .unwrap_or_default();
                let _ = client.publish(reply, encode(&known).into()).await;
            }
        });
        Ok(())
    }
}

// --- Workers -----------------------------------------------------------------------------------

/// Asks the index node which documents it holds; on no answer, none (the pages are fetched,
/// and the writer drops what it already has).
fn known_over(client: async_nats::Client) -> KnownDocuments {
    Arc::new(move |ids: Vec<String>| {
        let client = client.clone();
        Box::pin(async move {
            let asked = tokio::time::timeout(
                Duration::from_secs(5),
                client.request(KNOWN_SUBJECT, encode(&ids).into()),
            )
            .await;
            match asked {
                Ok(Ok(reply)) => decode::<Vec<String>>(&reply.payload)
                    .unwrap_or_default()
                    .into_iter()
                    .collect(),
                _ => HashSet::new(),
            }
        })
    })
}

/// The longest a host's budget asks between two requests, over the configured sources: how
/// long a worker waits after taking a partition before it fetches from its hosts, so the last
/// request of the previous owner and its own are never closer than the budget.
fn grace(config: &Config) -> Duration {
    let slowest = config
        .sources
        .iter()
        .filter_map(|s| s.rate)
        .chain([config.crawl.rate_per_host])
        .fold(f64::MAX, f64::min);
    Duration::from_secs_f64(1.0 / slowest.max(0.001)).min(Duration::from_secs(600))
}

/// Runs a worker until `shutdown` resolves: claims its share of the partitions, polls the
/// sources of the jobs it receives, and publishes the results.
pub async fn run_worker(
    config: Config,
    worker: String,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), ClusterError> {
    let Some(settings) = config.cluster.clone() else {
        return Err(ClusterError {
            url: String::new(),
            doing: "starting a worker",
            message: "no [cluster] in the configuration".into(),
        });
    };
    let (client, js) = connect(&settings).await?;
    let leases = bucket(&js, &settings, LEASES).await?;
    let workers = bucket(&js, &settings, WORKERS).await?;
    let pauses = bucket(&js, &settings, PAUSES).await?;
    let jobs = js
        .get_stream(JOBS_STREAM)
        .await
        .map_err(|e| broker(&settings, "opening the jobs stream")(e.to_string()))?;
    let hosts = bucket(&js, &settings, HOSTS).await?;
    let fetcher = Arc::new(
        Fetcher::new(&config.crawl, &config.sources)
            .map_err(|e| ClusterError {
                url: String::new(),
                doing: "setting up the fetcher",
                message: e.to_string(),
            })?
            .with_shared_gate(Arc::new(KvGate { kv: hosts })),
    );
    let shared = Arc::new(WorkerShared {
        config,
        worker: worker.clone(),
        fetcher,
        sessions: Default::default(),
        known: known_over(client.clone()),
        js: js.clone(),
        settings: settings.clone(),
    });
    let grace = grace(&shared.config);
    let mut owned: HashMap<u32, (u64, Partition)> = HashMap::new();
    tokio::pin!(shutdown);
    tracing::info!(worker = %worker, partitions = settings.partitions, "worker started");
    // Be counted before claiming: workers that start together then share from the start.
    let _ = workers
        .put(format!("w-{worker}"), worker.clone().into_bytes().into())
        .await;
    tokio::time::sleep((settings.lease / 3).min(Duration::from_secs(1))).await;
    let mut alive = 1;
    loop {
        let _ = workers
            .put(format!("w-{worker}"), worker.clone().into_bytes().into())
            .await;
        // Listing keys can wait for ever on a key that expires while it is listed (a dead
        // worker's heartbeat), so the count has a deadline; without one, the last count holds.
        let counted = tokio::time::timeout(Duration::from_secs(2), async {
            match workers.keys().await {
                Ok(keys) => Some(keys.count().await),
                Err(_) => None,
            }
        })
        .await;
        if let Ok(Some(count)) = counted {
            alive = count.max(1);
        }
        let fair = (settings.partitions as usize).div_ceil(alive);
        share_pauses(&pauses, &shared.fetcher).await;
        // Renew what is owned; a lease lost (taken after an outage) stops its partition.
        let mut lost = Vec::new();
        for (partition, (revision, _)) in owned.iter_mut() {
            match leases
                .update(
                    format!("p{partition}"),
                    worker.clone().into_bytes().into(),
                    *revision,
                )
                .await
            {
                Ok(next) => *revision = next,
                Err(_) => lost.push(*partition),
            }
        }
        for partition in lost {
            if let Some((_, running)) = owned.remove(&partition) {
                // Someone else owns it now: stop at once.
                running.task.abort();
                tracing::warn!(worker = %worker, partition, "partition lease lost");
            }
        }
        // Hand back what is over the fair share (a worker joined): the partition finishes the
        // jobs it holds (so none waits out its ack wait), then its lease goes.
        while owned.len() > fair {
            let Some(&partition) = owned.keys().max() else {
                break;
            };
            if let Some((_, running)) = owned.remove(&partition) {
                running.finish().await;
                let _ = leases.delete(format!("p{partition}")).await;
            }
        }
        let start =
            (xxhash_rust::xxh3::xxh3_64(worker.as_bytes()) % u64::from(settings.partitions)) as u32;
        for offset in 0..settings.partitions {
            if owned.len() >= fair {
                break;
            }
            let partition = (start + offset) % settings.partitions;
            if owned.contains_key(&partition) {
                continue;
            }
            if let Ok(revision) = leases
                .create(format!("p{partition}"), worker.clone().into_bytes().into())
                .await
            {
                let (stop, stopped) = tokio::sync::watch::channel(false);
                let task = tokio::spawn(work_partition(
                    shared.clone(),
                    jobs.clone(),
                    partition,
                    grace,
                    stopped,
                ));
                owned.insert(partition, (revision, Partition { task, stop }));
            }
        }
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tokio::time::sleep(settings.lease / 3) => {}
        }
    }
    for (partition, (_, running)) in owned {
        running.finish().await;
        let _ = leases.delete(format!("p{partition}")).await;
    }
    let _ = workers.delete(format!("w-{worker}")).await;
    Ok(())
}

/// The host budget shared through the broker (what each worker's fetcher uses).
pub async fn shared_gate(
    settings: &ClusterSettings,
) -> Result<Arc<dyn crate::fetch::HostGate>, ClusterError> {
    let (_, js) = connect(settings).await?;
    let kv = bucket(&js, settings, HOSTS).await?;
    Ok(Arc::new(KvGate { kv }))
}

/// One of the key-value buckets `connect` made.
async fn bucket(
    js: &jetstream::Context,
    settings: &ClusterSettings,
    name: &str,
) -> Result<async_nats::jetstream::kv::Store, ClusterError> {
    js.get_key_value(name)
        .await
        .map_err(|e| broker(settings, "opening a key-value bucket")(format!("{name}: {e}")))
}

/// The host budget across workers: a compare-and-set on the host's last request time in the
/// broker's key-value store. A partition's owner is the only worker polling its feeds, but
/// article pages link anywhere, so every request takes its turn here too (two round trips to
/// the broker). Workers' clocks must agree to within the budget (NTP). If the broker does not
/// answer within 5 s the local budget alone applies (the worker cannot deliver results then
/// anyway).
struct KvGate {
    kv: async_nats::jetstream::kv::Store,
}

impl crate::fetch::HostGate for KvGate {
    fn turn<'a>(
        &'a self,
        host: &'a str,
        period: Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>> {
        Box::pin(async move {
            let key = data_encoding::HEXLOWER.encode(host.as_bytes());
            let period_ms = period.as_millis() as i64;
            let give_up = tokio::time::Instant::now() + Duration::from_secs(5) + period * 4;
            while tokio::time::Instant::now() < give_up {
                let entry =
                    tokio::time::timeout(Duration::from_secs(5), self.kv.entry(key.as_str())).await;
                let (last, revision) = match entry {
                    Ok(Ok(Some(entry)))
                        if entry.operation == async_nats::jetstream::kv::Operation::Put =>
                    {
                        let last = std::str::from_utf8(&entry.value)
                            .ok()
                            .and_then(|v| v.parse::<i64>().ok())
                            .unwrap_or(0);
                        (last, Some(entry.revision))
                    }
                    Ok(Ok(_)) => (0, None),
                    _ => return,
                };
                let now = Utc::now().timestamp_millis();
                if now < last + period_ms {
                    let wait = (last + period_ms - now) as u64;
                    tokio::time::sleep(Duration::from_millis(wait.min(60_000))).await;
                    continue;
                }
                let value: bytes::Bytes = now.to_string().into_bytes().into();
                let taken = match revision {
                    Some(revision) => self.kv.update(key.as_str(), value, revision).await.is_ok(),
                    None => self.kv.create(key.as_str(), value).await.is_ok(),
                };
                if taken {
                    return;
                }
            }
        })
    }
}

/// Publishes the hosts this worker's fetcher is pausing and takes up the others' pauses, so a
/// Retry-After or an error backoff holds for a host whichever worker owns it next.
async fn share_pauses(pauses: &async_nats::jetstream::kv::Store, fetcher: &Fetcher) {
    let now = Utc::now();
    for (host, until) in fetcher.paused_hosts(now) {
        let key = data_encoding::HEXLOWER.encode(host.as_bytes());
        let _ = pauses
            .put(key, until.to_rfc3339().into_bytes().into())
            .await;
    }
    // A deadline, as for the worker count: listing keys can wait on one that expires meanwhile.
    let listed = tokio::time::timeout(Duration::from_secs(2), async {
        match pauses.keys().await {
            Ok(keys) => Some(
                keys.filter_map(|k| async move { k.ok() })
                    .collect::<Vec<String>>()
                    .await,
            ),
            Err(_) => None,
        }
    })
    .await;
    let Ok(Some(keys)) = listed else {
        return;
    };
    for key in keys {
        let Ok(Some(value)) = pauses.get(key.as_str()).await else {
            continue;
        };
        let host = data_encoding::HEXLOWER
            .decode(key.as_bytes())
            .ok()
            .and_then(|h| String::from_utf8(h).ok());
        let until = std::str::from_utf8(&value)
            .ok()
            .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
            .map(|t| t.with_timezone(&Utc));
        if let (Some(host), Some(until)) = (host, until)
            && until > now
        {
            fetcher.pause_host(&host, until);
        }
    }
}

/// A partition being worked on.
struct Partition {
    task: tokio::task::JoinHandle<()>,
    stop: tokio::sync::watch::Sender<bool>,
}

impl Partition {
    /// Asks the partition to stop after the jobs it holds, and waits (at most a minute).
    async fn finish(self) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        if tokio::time::timeout(Duration::from_secs(60), &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
    }
}

struct WorkerShared {
    config: Config,
    worker: String,
    fetcher: Arc<Fetcher>,
    sessions: crawl::Sessions,
    known: KnownDocuments,
    js: jetstream::Context,
    settings: ClusterSettings,
}

/// Jobs of one partition processed at once.
const JOBS_AT_ONCE: usize = 8;

/// Processes one partition's jobs, after waiting out the previous owner's last request.
async fn work_partition(
    shared: Arc<WorkerShared>,
    jobs: jetstream::stream::Stream,
    partition: u32,
    grace: Duration,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let name = format!("part-{partition}");
    let consumer = match jobs
        .get_or_create_consumer(
            &name,
            pull::Config {
                durable_name: Some(name.clone()),
                filter_subject: job_subject(partition),
                ack_policy: jetstream::consumer::AckPolicy::Explicit,
                ack_wait: shared.settings.ack_wait,
                max_deliver: i64::from(shared.settings.max_deliver),
                ..Default::default()
            },
        )
        .await
    {
        Ok(consumer) => consumer,
        Err(error) => {
            tracing::error!(partition, %error, "cannot open the partition's jobs");
            return;
        }
    };
    tokio::time::sleep(grace).await;
    // Pauses other workers learned for this partition's hosts, before the first request.
    if let Ok(pauses) = shared.js.get_key_value(PAUSES).await {
        share_pauses(&pauses, &shared.fetcher).await;
    }
    while !*stop.borrow() {
        let batch = consumer
            .fetch()
            .max_messages(JOBS_AT_ONCE)
            .expires(Duration::from_secs(2))
            .messages()
            .await;
        let mut batch = match batch {
            Ok(batch) => batch,
            Err(error) => {
                tracing::warn!(partition, %error, "reading jobs failed; trying again");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        // Up to `JOBS_AT_ONCE` jobs at a time: the fetcher's per-host gate keeps each host's
        // requests spaced whatever the order.
        let mut running = Vec::new();
        while let Some(Ok(message)) = batch.next().await {
            running.push(process_job(&shared, message));
        }
        futures_util::future::join_all(running).await;
    }
}

async fn process_job(shared: &WorkerShared, message: jetstream::Message) {
    let job: Job = match decode(&message.payload) {
        Ok(job) => job,
        Err(error) => {
            tracing::error!(%error, subject = %message.subject, "a job that cannot be read; dropped");
            let _ = message.ack_with(jetstream::AckKind::Term).await;
            return;
        }
    };
    let source = shared
        .config
        .sources
        .iter()
        .find(|s| s.name == job.source)
        .cloned();
    let (outcome, polled) = match &source {
        Some(source) => {
            let mut outcome = crawl::new_outcome(source);
            let polled = crawl::poll(
                source,
                &job.state,
                &shared.fetcher,
                &shared.sessions,
                &shared.known,
                &mut outcome,
            )
            .await;
            (outcome, WirePolled::from_polled(polled))
        }
        None => (
            crawl::outcome_named(&job.source, ""),
            WirePolled::Failed {
                message: format!(
                    "source {:?}: not in worker {}'s configuration",
                    job.source, shared.worker
                ),
                retry_after: None,
            },
        ),
    };
    let mut result = JobResult {
        job: job.id.clone(),
        source: job.source.clone(),
        worker: shared.worker.clone(),
        outcome,
        polled,
    };
    let mut body = encode(&result);
    if body.len() > MAX_MESSAGE {
        // Too large for one message: the evidence copies go first, then the documents.
        if let WirePolled::Batch(batch) = &mut result.polled {
            batch.captures.clear();
        }
        body = encode(&result);
        if body.len() > MAX_MESSAGE {
            result.polled = WirePolled::Failed {
                message: format!(
                    "source {:?}: the poll's result is larger than {} MB",
                    job.source,
                    MAX_MESSAGE >> 20
                ),
                retry_after: None,
            };
            body = encode(&result);
        }
    }
    let published = match shared.js.publish(RESULTS_SUBJECT, body.into()).await {
        Ok(ack) => ack.await.map(|_| ()).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match published {
        // Only a stored result acknowledges the job: otherwise it is delivered again.
        Ok(()) => {
            let _ = message.ack().await;
        }
        Err(error) => {
            tracing::warn!(source = %job.source, %error, "result not stored; the job will be delivered again");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_and_refuse_what_is_not_one() {
        let job = Job {
            id: "a@1".into(),
            source: "a".into(),
            state: SourceState::default(),
        };
        let back: Job = decode(&encode(&job)).unwrap();
        assert_eq!(back.id, "a@1");
        assert!(decode::<Job>(b"").is_err());
        assert!(decode::<Job>(b"garbage that is not lz4").is_err());
        let mut huge = vec![0xff, 0xff, 0xff, 0x7f];
        huge.extend_from_slice(b"x");
        assert!(decode::<Job>(&huge).unwrap_err().contains("claims"));
    }
}
