//! The distributed crawl against local servers that add 200 ms to every response (fetching is
//! latency-bound in the real world): fetched documents per second with 1, 2 and 4 workers at
//! the same per-host budget, each worker holding 16 requests in flight (`[crawl]
//! concurrency`), beside the one-process crawler with the same budget and concurrency; the
//! broker's cost per document (message bytes, encoding and decoding); and what the index
//! node's writer sustains (documents per second committed and percolated) when results arrive
//! faster than it can index them.
//!
//! Needs Debian's `nats-server` (started by the bench on 127.0.0.1). Workers run in this
//! process, each with its own fetcher, as separate machines would.
//! Run: `cargo bench --bench cluster [-- HOSTS FEEDS_PER_HOST]` (default 100 hosts × 12 feeds
//! of 10 items).

#[path = "../tests/it/broker.rs"]
mod broker;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::routing::get;
use broker::Broker;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const ITEMS: usize = 10;
const LATENCY: Duration = Duration::from_millis(200);

/// A poll's batch of `documents` (every item read) with the responses that carried them.
fn source_batch(
    source: &vigil::config::SourceConfig,
    documents: Vec<vigil::model::Document>,
    captures: Vec<vigil::crawl::Captured>,
) -> vigil::crawl::SourceBatch {
    vigil::crawl::SourceBatch {
        source: source.clone(),
        etag: None,
        last_modified: None,
        fetched_at: chrono::Utc::now(),
        hints: Default::default(),
        prior_unchanged: 0,
        cursor: None,
        api_url: None,
        items: documents.len(),
        unreadable: 0,
        documents,
        captures,
    }
}

fn feed(host: usize, feed: usize) -> String {
    let items: String = (0..ITEMS)
        .map(|i| format!(
            "<item><title>Court report {host}-{feed}-{i}</title><link>http://h{host}.example/{feed}/{i}</link><guid>{host}-{feed}-{i}</guid><description>The court's registry said on Tuesday that the hearing in case {host}-{feed}-{i} would resume after the judges considered the defence's request.</description></item>"
        ))
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>H{host}</title>{items}</channel></rss>"
    )
}

/// One configuration: `hosts` loopback hosts (127.0.1.x), `feeds` feeds each.
fn write_config(dir: &Path, hosts: usize, feeds: usize, cluster: Option<&str>) {
    std::fs::create_dir_all(dir.join("queries")).unwrap();
    std::fs::write(
        dir.join("queries/court.toml"),
        "id = \"court\"\ntitle = \"court\"\nquery = 'court'\nseverity = \"watch\"\n",
    )
    .unwrap();
    let mut text = "data_dir = \"data\"\n[crawl]\ncontact_url = \"https://vigil.example.org/c\"\nrate_per_host = 5.0\nconcurrency = 16\n".to_string();
    if let Some(url) = cluster {
        text.push_str(&format!(
            "[cluster]\nnats = \"{url}\"\npartitions = 64\nlease = \"10s\"\nack_wait = \"60s\"\n"
        ));
    }
    for f in 0..feeds {
        for h in 0..hosts {
            text.push_str(&format!(
                "[[sources]]\nname = \"h{h}-f{f}\"\nkind = \"feed\"\nurl = \"http://127.0.1.{}:{{port}}/f/{f}\"\ninterval = \"10m\"\nallow_private = true\nfull_text = \"never\"\n",
                h + 1
            ));
        }
    }
    std::fs::write(dir.join("vigil.toml"), text).unwrap();
}

async fn all_polled(config: &vigil::config::Config) {
    loop {
        let store = vigil::store::Store::open_read_only(&config.state_path()).unwrap();
        let done = store
            .source_states()
            .unwrap()
            .iter()
            .filter(|s| s.last_success.is_some() || s.last_error.is_some())
            .count();
        if done >= config.sources.len() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let hosts = args.first().copied().unwrap_or(100).min(250);
    let feeds = args.get(1).copied().unwrap_or(12);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        // One app on every host's address, on one port.
        let port = {
            let probe = std::net::TcpListener::bind("127.0.1.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let bodies: Arc<Vec<Vec<String>>> =
            Arc::new((0..hosts).map(|h| (0..feeds).map(|f| feed(h, f)).collect()).collect());
        for h in 0..hosts {
            let listener = tokio::net::TcpListener::bind(format!("127.0.1.{}:{port}", h + 1))
                .await
                .unwrap();
            let app = Router::new()
                .route(
                    "/f/{f}",
                    get(move |State(bodies): State<Arc<Vec<Vec<String>>>>, UrlPath(f): UrlPath<usize>| async move {
                        tokio::time::sleep(LATENCY).await;
                        ([("content-type", "application/rss+xml")], bodies[h].get(f).cloned().unwrap_or_default())
                    }),
                )
                .route("/robots.txt", get(|| async {
                    tokio::time::sleep(LATENCY).await;
                    "User-agent: *\nAllow: /\n"
                }))
                .with_state(bodies.clone());
            tokio::spawn(async move { axum::serve(listener, app).await });
        }
        let documents = hosts * feeds * ITEMS;
        println!(
            "{hosts} hosts × {feeds} feeds × {ITEMS} items = {documents} documents; every response 200 ms late; budget 5 requests/s per host; 16 requests in flight per crawler"
        );
        let fix_port = |dir: &Path| {
            let path = dir.join("vigil.toml");
            let text = std::fs::read_to_string(&path).unwrap().replace("{port}", &port.to_string());
            std::fs::write(&path, text).unwrap();
            vigil::config::Config::load(&path).unwrap()
        };

        // The one-process crawler.
        let dir = tempfile::tempdir().unwrap();
        write_config(dir.path(), hosts, feeds, None);
        let config = fix_port(dir.path());
        let pipeline = vigil::pipeline::Pipeline::open(config.clone()).unwrap();
        let started = Instant::now();
        let report = pipeline.crawl(&config.sources, None).await.unwrap();
        let baseline = started.elapsed().as_secs_f64();
        println!(
            "one process: {} documents in {baseline:.1} s = {:.0} documents/s ({:.1} polls/s)",
            report.new_documents,
            report.new_documents as f64 / baseline,
            config.sources.len() as f64 / baseline
        );
        drop(pipeline);

        let mut per_worker_polls = 0.0;
        for workers in [1usize, 2, 4] {
            let dir = tempfile::tempdir().unwrap();
            let broker = Broker::start(dir.path());
            write_config(dir.path(), hosts, feeds, Some(&broker.url));
            let config = fix_port(dir.path());
            let (stop, _) = tokio::sync::watch::channel(false);
            let mut tasks = Vec::new();
            for w in 0..workers {
                let (config, mut stopped) = (config.clone(), stop.subscribe());
                tasks.push(tokio::spawn(async move {
                    let _ = vigil::cluster::run_worker(config, format!("w{w}"), async move {
                        let _ = stopped.wait_for(|s| *s).await;
                    })
                    .await;
                }));
            }
            // Let the workers claim their shares before the clock starts (steady state).
            tokio::time::sleep(Duration::from_secs(8)).await;
            let pipeline = vigil::pipeline::Pipeline::open(config.clone()).unwrap();
            let mut stopped = stop.subscribe();
            let started = Instant::now();
            let index_node = tokio::spawn(async move {
                let _ = pipeline
                    .run_cluster(async move {
                        let _ = stopped.wait_for(|s| *s).await;
                    })
                    .await;
                pipeline
            });
            all_polled(&config).await;
            let elapsed = started.elapsed().as_secs_f64();
            let _ = stop.send(true);
            let pipeline = index_node.await.unwrap();
            for task in tasks {
                let _ = task.await;
            }
            let read = pipeline.read_side();
            read.reader.reload().unwrap();
            let indexed = read.reader.num_docs();
            let polls = config.sources.len() as f64 / elapsed;
            if workers == 1 {
                per_worker_polls = polls;
            }
            println!(
                "{workers} worker(s): {indexed} documents in {elapsed:.1} s = {:.0} documents/s ({polls:.1} polls/s; {:.2}× the one process)",
                indexed as f64 / elapsed,
                baseline / elapsed
            );
            drop(broker);
        }

        // The broker's cost per document: one poll's result, encoded and decoded.
        let source = vigil::config::Config::load(&dir.path().join("vigil.toml")).unwrap().sources[0].clone();
        let fetched = vigil::model::Fetched {
            source: source.name.clone(),
            url: source.url.clone(),
            status: 200,
            not_modified: false,
            content_type: Some("application/rss+xml".into()),
            etag: None,
            last_modified: None,
            cache_control: None,
            expires: None,
            body: feed(0, 0).into(),
            fetched_at: chrono::Utc::now(),
            elapsed: Duration::ZERO,
            http: Some(Arc::new(vigil::model::HttpRecord::default())),
        };
        let parsed = vigil::parse::parse(&source, &fetched).unwrap();
        let documents: Vec<vigil::model::Document> = parsed
            .items
            .into_iter()
            .filter_map(|i| vigil::normalise::normalise(i, &source.name, "news", chrono::Utc::now()))
            .collect();
        let n = documents.len();
        let ids = documents.iter().map(|d| d.id.clone()).collect();
        let batch = source_batch(
            &source,
            documents,
            vec![vigil::crawl::Captured { fetched: Arc::new(fetched), documents: ids }],
        );
        let result = vigil::cluster::JobResult {
            job: "j".into(),
            source: source.name.clone(),
            worker: "w".into(),
            outcome: vigil::crawl::new_outcome(&source),
            polled: vigil::cluster::WirePolled::from_polled(vigil::crawl::Polled::Batch(batch)),
        };
        let rounds = 2_000;
        let started = Instant::now();
        let mut bytes = 0;
        for _ in 0..rounds {
            let body = vigil::cluster::encode(&result);
            bytes = body.len();
            let back: vigil::cluster::JobResult = vigil::cluster::decode(&body).unwrap();
            std::hint::black_box(back);
        }
        println!(
            "broker cost: {:.0} bytes per document on the wire (feed response kept as evidence included), {:.1} µs per document to encode and decode",
            bytes as f64 / n as f64,
            started.elapsed().as_secs_f64() * 1e6 / (rounds * n) as f64
        );

        // The writer's ceiling: results already fetched, indexed as fast as it can.
        let dir = tempfile::tempdir().unwrap();
        write_config(dir.path(), 1, 1, None);
        let config = fix_port(dir.path());
        let source = config.sources[0].clone();
        let pipeline = vigil::pipeline::Pipeline::open(config.clone()).unwrap();
        let mut results = Vec::new();
        let total = 20_000;
        for b in 0..total / 500 {
            let documents: Vec<vigil::model::Document> = (0..500)
                .filter_map(|i| {
                    let n = b * 500 + i;
                    vigil::normalise::normalise(
                        vigil::model::RawItem {
                            guid: Some(format!("g{n}")),
                            url: Some(format!("http://w.example/{n}")),
                            title: Some(format!("Court report {n}")),
                            summary: Some(format!("The court's registry said on Tuesday that case {n} would resume after the judges considered the defence's request for more time.")),
                            ..Default::default()
                        },
                        &source.name,
                        "news",
                        chrono::Utc::now(),
                    )
                })
                .collect();
            let batch = source_batch(&source, documents, Vec::new());
            results.push((source.clone(), vigil::crawl::new_outcome(&source), vigil::crawl::Polled::Batch(batch)));
        }
        let started = Instant::now();
        for chunk in results.chunks_mut(8) {
            let chunk: Vec<_> = chunk.iter_mut().map(|r| {
                let polled = std::mem::replace(&mut r.2, vigil::crawl::Polled::Deferred { until: chrono::Utc::now() });
                (r.0.clone(), r.1.clone(), polled)
            }).collect();
            pipeline.ingest(chunk).await.unwrap();
        }
        let elapsed = started.elapsed().as_secs_f64();
        pipeline.read_side().reader.reload().unwrap();
        let indexed = pipeline.read_side().reader.num_docs();
        println!(
            "index node writer: {indexed} documents committed and percolated in {elapsed:.1} s = {:.0} documents/s (passes of 4,000, the shipped query set's size aside: one stored query)",
            indexed as f64 / elapsed
        );
        let needed = 100_000.0 / (15.0 * 60.0);
        println!(
            "projection: 100,000 sources every 15 minutes = {needed:.0} polls/s; at {per_worker_polls:.1} polls/s per worker here, {:.0} worker(s) of 16 requests in flight",
            (needed / per_worker_polls.max(0.001)).ceil()
        );
    });
}
