//! The distributed crawl on a real broker: each test starts its own `nats-server` (JetStream)
//! on 127.0.0.1, `vigil worker` processes, and the index node in this process. Feeds are served
//! from 30 loopback hosts; the servers' own request logs prove the per-host budget held across
//! workers.

use crate::broker::Broker;
use crate::support::FixtureServer;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TIMING_TOLERANCE: Duration = Duration::from_millis(15);

struct Worker(Child);

impl Worker {
    fn start(dir: &Path, name: &str) -> Worker {
        Worker(
            Command::new(env!("CARGO_BIN_EXE_vigil"))
                .args(["worker", "--name", name])
                .current_dir(dir)
                .env("RUST_LOG", "off")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        )
    }

    /// SIGKILL: no lease handed back, no job acknowledged.
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
    }
}

/// 30 hosts, `feeds` feeds each of 3 items; the sources' TOML with hosts interleaved. With
/// `articles`, each item links to its article page on the next host (as a news-search feed
/// does), fetched for full text: feeds and articles of one host are then fetched by different
/// workers.
async fn hosts_with(feeds: usize, articles: bool) -> (Vec<FixtureServer>, String, usize) {
    let mut servers = Vec::new();
    for host in 0..30u8 {
        servers.push(FixtureServer::start_on([127, 0, 0, 2 + host]).await);
    }
    for host in 0..30u8 {
        let server = &servers[host as usize];
        let next = &servers[(host as usize + 1) % 30];
        for feed in 0..feeds {
            let items: String = (0..3)
                .map(|i| {
                    let link = if articles {
                        let name = format!("art-{host}-{feed}-{i}.html");
                        next.put(
                            &name,
                            "text/html; charset=utf-8",
                            format!("<html><head><title>Court report {host}-{feed}-{i}</title></head><body><article><h1>Court report {host}-{feed}-{i}</h1><p>The registry of the court said on Tuesday that the hearing in case {host}-{feed}-{i} would resume after the judges considered the request of the defence for more time to examine the evidence.</p></article></body></html>"),
                        );
                        next.url(&format!("/f/{name}"))
                    } else {
                        format!("{}/r/{feed}/{i}", server.base)
                    };
                    format!(
                        "<item><title>Court report {host}-{feed}-{i}</title><link>{link}</link><guid>{host}-{feed}-{i}</guid><description>The court's registry on case {host}-{feed}-{i}.</description><pubDate>{}</pubDate></item>",
                        chrono::Utc::now().to_rfc2822()
                    )
                })
                .collect();
            server.put(
                &format!("feed{feed}.rss"),
                "application/rss+xml",
                format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>H{host}</title>{items}</channel></rss>"),
            );
        }
    }
    let full_text = if articles { "always" } else { "never" };
    let mut sources = String::new();
    for feed in 0..feeds {
        for (host, server) in servers.iter().enumerate() {
            sources.push_str(&format!(
                "[[sources]]\nname = \"h{host}-f{feed}\"\nkind = \"feed\"\nurl = \"{}\"\ninterval = \"10m\"\nallow_private = true\nfull_text = \"{full_text}\"\n\n",
                server.url(&format!("/f/feed{feed}.rss"))
            ));
        }
    }
    (servers, sources, 30 * feeds * 3)
}

async fn hosts(feeds: usize) -> (Vec<FixtureServer>, String, usize) {
    hosts_with(feeds, false).await
}

fn deployment(dir: &Path, broker: &Broker, sources: &str) -> vigil::config::Config {
    std::fs::create_dir_all(dir.join("queries")).unwrap();
    std::fs::write(
        dir.join("queries/court.toml"),
        "id = \"court\"\ntitle = \"court\"\nquery = 'court'\nseverity = \"watch\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("vigil.toml"),
        format!(
            "data_dir = \"data\"\n[crawl]\ncontact_url = \"https://vigil.example.org/c\"\nrate_per_host = 4.0\nconcurrency = 32\n\n[cluster]\nnats = \"{}\"\npartitions = 8\nlease = \"2s\"\nack_wait = \"5s\"\nmax_deliver = 3\n\n{sources}",
            broker.url
        ),
    )
    .unwrap();
    vigil::config::Config::load(&dir.join("vigil.toml")).unwrap()
}

/// The index node in this process, running until the sender is used.
fn index_node(
    config: &vigil::config::Config,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<(
        vigil::pipeline::Pipeline,
        Result<(), vigil::pipeline::PipelineError>,
    )>,
) {
    let pipeline = vigil::pipeline::Pipeline::open(config.clone()).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let result = pipeline
            .run_cluster(async {
                let _ = stopped.await;
            })
            .await;
        (pipeline, result)
    });
    (stop, task)
}

/// Waits until every source has a success or a failure recorded.
async fn until_all_polled(config: &vigil::config::Config, timeout: Duration) -> usize {
    let deadline = Instant::now() + timeout;
    loop {
        let store = vigil::store::Store::open_read_only(&config.state_path()).unwrap();
        let done = store
            .source_states()
            .unwrap()
            .iter()
            .filter(|s| s.last_success.is_some() || s.last_error.is_some())
            .count();
        if done >= config.sources.len() || Instant::now() > deadline {
            return done;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Every item once in the index, matched once; no host's requests closer than its budget.
fn check_exactly_once(config: &vigil::config::Config, servers: &[FixtureServer], items: usize) {
    let conn = rusqlite::Connection::open(config.state_path()).unwrap();
    let (matches, distinct): (i64, i64) = conn
        .query_row(
            "SELECT COUNT(*), COUNT(DISTINCT doc_id) FROM matches WHERE query_id = 'court'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((matches as usize, distinct as usize), (items, items));
    let read = vigil::readside::ReadSide::open(config).unwrap();
    let query = vigil::query::compile(read.reader.index(), "court").unwrap();
    let hits = read
        .reader
        .search(
            &*query,
            &vigil::index::reader::SearchFilter {
                limit: items * 2,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(hits.total, items);
    for server in servers {
        let mut times = server.request_times("/f/");
        times.sort();
        for pair in times.windows(2) {
            let gap = pair[1] - pair[0];
            assert!(
                gap + TIMING_TOLERANCE >= Duration::from_millis(250),
                "{}: requests {gap:?} apart",
                server.base
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_workers_one_killed_every_item_once_and_polite() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(dir.path());
    let (servers, sources, items) = hosts(10).await;
    let config = deployment(dir.path(), &broker, &sources);
    let (stop, index_node) = index_node(&config);
    let mut workers: Vec<Worker> = ["w1", "w2", "w3"]
        .iter()
        .map(|n| Worker::start(dir.path(), n))
        .collect();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    workers[0].kill();
    workers.push(Worker::start(dir.path(), "w4"));
    let polled = until_all_polled(&config, Duration::from_secs(90)).await;
    assert_eq!(polled, config.sources.len());
    // A moment for the last results' commit and acknowledgement.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = stop.send(());
    let (pipeline, result) = index_node.await.unwrap();
    result.unwrap();
    drop(pipeline);
    drop(workers);
    let store = vigil::store::Store::open_read_only(&config.state_path()).unwrap();
    let failed: Vec<_> = store
        .source_states()
        .unwrap()
        .into_iter()
        .filter(|s| s.last_error.is_some())
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
    check_exactly_once(&config, &servers, items);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_broker_restarted_mid_crawl_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = Broker::start(dir.path());
    let (servers, sources, items) = hosts(4).await;
    let config = deployment(dir.path(), &broker, &sources);
    let (stop, index_node) = index_node(&config);
    let workers: Vec<Worker> = ["w1", "w2"]
        .iter()
        .map(|n| Worker::start(dir.path(), n))
        .collect();
    tokio::time::sleep(Duration::from_millis(800)).await;
    broker.kill();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    broker.restart();
    let polled = until_all_polled(&config, Duration::from_secs(90)).await;
    assert_eq!(polled, config.sources.len());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = stop.send(());
    let (pipeline, result) = index_node.await.unwrap();
    result.unwrap();
    drop(pipeline);
    drop(workers);
    check_exactly_once(&config, &servers, items);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn garbage_and_stalled_jobs_never_stall_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(dir.path());
    let (_servers, sources, _) = hosts(1).await;
    let mut config = deployment(dir.path(), &broker, &sources);
    let mut settings = config.cluster.clone().unwrap();
    settings.ack_wait = Duration::from_secs(1);
    settings.max_deliver = 2;
    config.cluster = Some(settings.clone());
    // A result that is not one, on the results subject, before anything else.
    let client = async_nats::connect(broker.url.as_str()).await.unwrap();
    vigil::cluster::connect(&settings).await.unwrap();
    let js = async_nats::jetstream::new(client.clone());
    js.publish(vigil::cluster::RESULTS_SUBJECT, "not a result".into())
        .await
        .unwrap()
        .await
        .unwrap();
    // A worker that takes every job and never finishes one.
    let stalled = tokio::spawn({
        let js = js.clone();
        async move {
            let stream = js.get_stream(vigil::cluster::JOBS_STREAM).await.unwrap();
            let consumer = stream
                .get_or_create_consumer(
                    "part-staller",
                    async_nats::jetstream::consumer::pull::Config {
                        durable_name: Some("part-staller".into()),
                        filter_subject: "vigil.jobs.*".into(),
                        ack_policy: async_nats::jetstream::consumer::AckPolicy::Explicit,
                        ack_wait: Duration::from_secs(1),
                        max_deliver: 2,
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            let mut held = Vec::new();
            loop {
                use futures_util::StreamExt;
                let mut batch = consumer
                    .fetch()
                    .max_messages(100)
                    .expires(Duration::from_millis(500))
                    .messages()
                    .await
                    .unwrap();
                while let Some(Ok(message)) = batch.next().await {
                    held.push(message);
                }
            }
        }
    });
    let (stop, index_node) = index_node(&config);
    // Every source ends with a failure that names it, within a few ack waits.
    let polled = until_all_polled(&config, Duration::from_secs(30)).await;
    assert_eq!(polled, config.sources.len());
    let _ = stop.send(());
    let (pipeline, result) = index_node.await.unwrap();
    result.unwrap();
    stalled.abort();
    let states = pipeline.store().source_states().unwrap();
    for state in &states {
        let error = state.last_error.as_deref().unwrap_or("");
        assert!(
            error.contains(&format!("source {:?}", state.name))
                && error.contains("no worker finished its fetch job after 2 deliveries"),
            "{state:?}"
        );
    }
    // The garbage was dropped, not retried forever.
    let mut results = js.get_stream(vigil::cluster::RESULTS_STREAM).await.unwrap();
    assert_eq!(results.info().await.unwrap().state.messages, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hosts_retry_after_holds_for_the_worker_that_takes_it_over() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(dir.path());
    let server = FixtureServer::start_on([127, 0, 0, 40]).await;
    server.put(
        "b.rss",
        "application/rss+xml",
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>B</title></channel></rss>",
    );
    let sources = format!(
        "[[sources]]\nname = \"a\"\nkind = \"feed\"\nurl = \"{}\"\ninterval = \"10m\"\nallow_private = true\n\n[[sources]]\nname = \"b\"\nkind = \"feed\"\nurl = \"{}\"\ninterval = \"10m\"\nallow_private = true\n",
        server.url("/retry/120"),
        server.url("/f/b.rss")
    );
    let config = deployment(dir.path(), &broker, &sources);
    let (stop, index_node) = index_node(&config);
    let mut first = Worker::start(dir.path(), "w1");
    // The host answers "503, retry after 120 s"; the worker pauses it (and defers the other
    // source of the host), then shares the pause.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let store = vigil::store::Store::open_read_only(&config.state_path()).unwrap();
        if store
            .source_state("a")
            .unwrap()
            .is_some_and(|a| a.last_error.is_some())
        {
            break;
        }
        assert!(Instant::now() < deadline, "a was not polled");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(server.request_times("/retry/").len(), 1);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    first.kill();
    let _second = Worker::start(dir.path(), "w2");
    // Another job for the paused host, now on the new owner.
    let settings = config.cluster.clone().unwrap();
    let client = async_nats::connect(broker.url.as_str()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let b = config.sources.iter().find(|s| s.name == "b").unwrap();
    let job = vigil::cluster::Job {
        id: "b@manual".into(),
        source: "b".into(),
        state: Default::default(),
    };
    js.publish(
        vigil::cluster::job_subject(vigil::cluster::partition_of(b, settings.partitions)),
        vigil::cluster::encode(&job).into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();
    // Taken and finished by the new worker (the work queue is empty again) …
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut jobs = js.get_stream(vigil::cluster::JOBS_STREAM).await.unwrap();
        if jobs.info().await.unwrap().state.messages == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the job was not processed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // … without a request to the host it knew to be paused.
    assert!(server.request_times("/f/").is_empty());
    assert_eq!(server.request_times("/retry/").len(), 1);
    let _ = stop.send(());
    let (_pipeline, result) = index_node.await.unwrap();
    result.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_fetchers_sharing_the_brokers_gate_keep_one_hosts_budget() {
    // Two workers' fetchers asking one host at once (article pages of another partition's
    // host): the shared gate spaces them as one fetcher would be.
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(dir.path());
    let server = FixtureServer::start().await;
    server.put("page.html", "text/html", "<html><body>page</body></html>");
    let sources = crate::support::source("s", &server.url("/f/page.html"));
    let config = deployment(dir.path(), &broker, &sources);
    let settings = config.cluster.clone().unwrap();
    let gate = vigil::cluster::shared_gate(&settings).await.unwrap();
    let fetchers: Vec<vigil::fetch::Fetcher> = (0..2)
        .map(|_| {
            vigil::fetch::Fetcher::new(&config.crawl, &config.sources)
                .unwrap()
                .with_shared_gate(gate.clone())
        })
        .collect();
    let url = url::Url::parse(&server.url("/f/page.html")).unwrap();
    let request = vigil::fetch::FetchRequest::plain("s", url, true, false);
    let mut runs = Vec::new();
    for fetcher in &fetchers {
        for _ in 0..4 {
            runs.push(fetcher.fetch(&request));
        }
    }
    for result in futures_util::future::join_all(runs).await {
        result.unwrap();
    }
    let mut times = server.request_times("/f/");
    times.sort();
    assert_eq!(times.len(), 8);
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap + TIMING_TOLERANCE >= Duration::from_millis(250),
            "requests {gap:?} apart"
        );
    }
}
