//! Web search over HTTP on a 1,000,000-document index: latency (median, p99) of `/api/search`
//! from one client, then the requests per second the server holds at rising concurrency while
//! a crawl runs in the same process (the real pipeline fetching generated RSS feeds from a
//! local server, indexing, percolating and clustering), with each level's p99; the figure is
//! the highest rate whose p99 stays under 200 ms.
//!
//! The index is the generated one the percolate benchmark builds under `/var/tmp/vigil-bench/`
//! (built here if missing; the crawl adds a few thousand documents to it). Requests carry an API
//! token and go through the whole stack: TCP, HTTP, login check, query compilation, search,
//! snippets, JSON.
//!
//! Run: `cargo bench --bench web` (`-- 100000` for a smaller index).

#[path = "common/mod.rs"]
mod common;

use common::{open_or_build, percentile, vocabulary};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const FEEDS: usize = 20;
const ITEMS_PER_FEED: usize = 30;

async fn feed(
    axum::extract::Path(name): axum::extract::Path<String>,
    axum::extract::State(counter): axum::extract::State<Arc<AtomicU64>>,
) -> impl axum::response::IntoResponse {
    let now = chrono::Utc::now().to_rfc2822();
    let mut body =
        String::from("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>bench</title>");
    for _ in 0..ITEMS_PER_FEED {
        let n = counter.fetch_add(1, Ordering::Relaxed);
        body.push_str(&format!(
            "<item><title>Court hearing {n} on the warrant</title><link>https://bench.example.org/{name}/{n}</link><guid>{name}-{n}</guid><pubDate>{now}</pubDate><description>The prosecutor and the judges discussed item {n} of feed {name} before the chamber.</description></item>"
        ));
    }
    body.push_str("</channel></rss>");
    ([("content-type", "application/rss+xml")], body)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let size: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let vocab = vocabulary();
    let (index, writer, _) = open_or_build(size, &vocab);
    drop(writer);
    drop(index);
    let dir = common::served_dir(size);

    // The feeds the crawl reads: fresh items on every fetch.
    let counter = Arc::new(AtomicU64::new(0));
    let feeds = axum::Router::new()
        .route("/feed/{name}", axum::routing::get(feed))
        .with_state(counter.clone());
    let feed_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let feed_base = format!(
        "http://{}",
        feed_listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    tokio::spawn(async move {
        let _ = axum::serve(feed_listener, feeds).await;
    });
    let mut toml = format!(
        "data_dir = {:?}\nqueries_dir = \"queries\"\n[crawl]\ncontact_url = \"mailto:bench@court.example.org\"\nrate_per_host = 100.0\n",
        dir.path()
    );
    for i in 0..FEEDS {
        toml.push_str(&format!(
            "[[sources]]\nname = \"feed{i}\"\nkind = \"feed\"\nurl = \"{feed_base}/feed/f{i}\"\nallow_private = true\nfull_text = \"never\"\n"
        ));
    }
    let config_path = dir.path().join("vigil.toml");
    std::fs::write(&config_path, toml).unwrap_or_else(|e| panic!("{e}"));
    let config = vigil::config::Config::load(&config_path).unwrap_or_else(|e| panic!("{e}"));
    let pipeline =
        Arc::new(vigil::pipeline::Pipeline::open(config.clone()).unwrap_or_else(|e| panic!("{e}")));
    let read = pipeline.read_side().clone();
    let store = pipeline.store().clone();
    vigil::auth::add_user(
        &store,
        "bench",
        vigil::auth::Role::Viewer,
        "benchmark password",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let token = vigil::auth::create_api_token(&store, "bench", "bench", None)
        .unwrap_or_else(|e| panic!("{e}"));
    let app = vigil::web::app(vigil::web::AppState::new(
        read.clone(),
        store,
        config.clone(),
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let base = format!(
        "http://{}",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let queries = Arc::new(common::search_queries(&vocab));
    let request = {
        let (client, base, token, queries) =
            (client.clone(), base.clone(), token.clone(), queries.clone());
        move |i: usize| {
            let (client, base, token, queries) =
                (client.clone(), base.clone(), token.clone(), queries.clone());
            async move {
                let q = &queries[i % queries.len()];
                let sort = if i % 2 == 0 { "newest" } else { "relevance" };
                let url = format!(
                    "{base}/api/search?q={}&since=7d&limit=20&sort={sort}",
                    url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
                );
                let started = Instant::now();
                let response = client
                    .get(url)
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                assert!(response.status().is_success(), "{}", response.status());
                let _ = response.bytes().await;
                started.elapsed().as_secs_f64()
            }
        }
    };
    println!(
        "index: {} documents; {} search shapes (names, NEAR between groups, wildcards, exclusions), last 7 days, 20 hits with snippets, alternating newest and relevance\n",
        read.reader.num_docs(),
        queries.len()
    );

    // Latency from one client, no crawl.
    for i in 0..20 {
        request(i).await;
    }
    let mut times = Vec::new();
    for i in 0..300 {
        times.push(request(i).await);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "| one client, no crawl | requests | median (ms) | p99 (ms) |\n|---|---:|---:|---:|\n| /api/search | {} | {:.1} | {:.1} |\n",
        times.len(),
        percentile(&times, 0.5) * 1e3,
        percentile(&times, 0.99) * 1e3
    );

    // A crawl runs beside the server for the rest of the benchmark.
    let crawling = Arc::new(AtomicBool::new(true));
    let crawl = {
        let (pipeline, crawling) = (pipeline.clone(), crawling.clone());
        tokio::spawn(async move {
            let mut passes = 0;
            while crawling.load(Ordering::Relaxed) {
                let sources = pipeline.config().sources.clone();
                if pipeline.crawl(&sources, None).await.is_ok() {
                    passes += 1;
                }
            }
            passes
        })
    };
    println!(
        "| clients (crawl running) | requests/s | median (ms) | p99 (ms) |\n|---:|---:|---:|---:|"
    );
    let mut best = None;
    for clients in [1usize, 2, 4, 8, 16, 32] {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut tasks = Vec::new();
        for c in 0..clients {
            let request = request.clone();
            tasks.push(tokio::spawn(async move {
                let mut times = Vec::new();
                let mut i = c * 1_000;
                while Instant::now() < deadline {
                    times.push(request(i).await);
                    i += 1;
                }
                times
            }));
        }
        let mut times = Vec::new();
        for task in tasks {
            times.extend(task.await.unwrap_or_default());
        }
        times.sort_by(f64::total_cmp);
        let rate = times.len() as f64 / 10.0;
        let p99 = percentile(&times, 0.99) * 1e3;
        println!(
            "| {clients} | {rate:.0} | {:.1} | {p99:.1} |",
            percentile(&times, 0.5) * 1e3
        );
        if p99 < 200.0 {
            best = Some((clients, rate, p99));
        }
    }
    crawling.store(false, Ordering::Relaxed);
    let passes = crawl.await.unwrap_or(0);
    println!(
        "\ncrawl beside it: {passes} passes, {} new items fetched and indexed",
        counter.load(Ordering::Relaxed)
    );
    match best {
        Some((clients, rate, p99)) => println!(
            "held with p99 under 200 ms: {rate:.0} requests/s ({clients} clients, p99 {p99:.1} ms)"
        ),
        None => println!("p99 was over 200 ms at every level"),
    }
}
