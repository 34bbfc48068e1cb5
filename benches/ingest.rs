//! Ingest throughput: documents per second from fetch to committed, percolated index, and the
//! process's peak memory. Serves N generated RSS items (in feeds of 500, like a busy news-search
//! feed) from a local server on 127.0.0.1 and crawls them through the real pipeline with the
//! shipped stored queries. Run: `cargo bench --bench ingest` (N defaults to 10,000; pass another
//! number after `--`, e.g. `cargo bench --bench ingest -- 50000`).

#[path = "common/mod.rs"]
mod common;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::routing::get;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use vigil::pipeline::Pipeline;

const ITEMS_PER_FEED: usize = 500;

const WORDS: &[&str] = &[
    "court",
    "prosecutor",
    "judges",
    "warrant",
    "hearing",
    "chamber",
    "victims",
    "registry",
    "states",
    "cooperation",
    "evidence",
    "witness",
    "appeal",
    "judgment",
    "statute",
    "investigation",
    "arrest",
    "sanctions",
    "budget",
    "assembly",
    "detention",
    "reparations",
    "outreach",
    "field",
    "office",
    "minister",
    "government",
    "international",
    "criminal",
    "justice",
    "hague",
    "trial",
    "defence",
    "charges",
    "crimes",
    "humanity",
    "war",
    "jurisdiction",
    "press",
    "release",
    "statement",
    "the",
    "a",
    "of",
    "in",
    "on",
    "and",
    "to",
    "with",
    "for",
    "by",
    "after",
    "before",
    "new",
    "week",
];

fn feed(index: usize, items: usize, seed: &mut u64) -> String {
    let mut next = || {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    };
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>bench</title><link>https://bench.example/</link><description>d</description>",
    );
    for item in 0..items {
        let words: Vec<&str> = (0..120)
            .map(|_| WORDS[next() as usize % WORDS.len()])
            .collect();
        let title = words[..10].join(" ");
        let body = words[10..].join(" ");
        let hours = next() % (14 * 24);
        let date = chrono::Utc::now() - chrono::Duration::hours(hours as i64);
        out.push_str(&format!(
            "<item><title>{title}</title><link>https://bench{index}.example/a/{item}</link><description>{body}</description><pubDate>{}</pubDate></item>",
            date.to_rfc2822()
        ));
    }
    out.push_str("</channel></rss>");
    out
}

fn main() {
    let items: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let feeds = items.div_ceil(ITEMS_PER_FEED);
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let bodies: Arc<Vec<String>> = Arc::new((0..feeds).map(|i| feed(i, ITEMS_PER_FEED.min(items - i * ITEMS_PER_FEED), &mut seed)).collect());
        let served_bytes: usize = bodies.iter().map(String::len).sum();
        let app = Router::new()
            .route("/feed/{n}", get(|State(bodies): State<Arc<Vec<String>>>, UrlPath(n): UrlPath<usize>| async move {
                ([("content-type", "application/rss+xml")], bodies.get(n).cloned().unwrap_or_default())
            }))
            .with_state(bodies);
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });

        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = format!("[crawl]\ncontact_url = \"https://vigil.example/bench\"\nrate_per_host = 100.0\nmax_body_bytes = 67108864\n");
        for n in 0..feeds {
            config.push_str(&format!("[[sources]]\nname = \"bench{n}\"\nkind = \"feed\"\nurl = \"{base}/feed/{n}\"\nallow_private = true\nfull_text = \"never\"\n"));
        }
        std::fs::write(dir.path().join("vigil.toml"), config).expect("config");
        let queries = Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
        let mut config = vigil::config::Config::load(&dir.path().join("vigil.toml")).expect("config");
        config.queries_dir = queries;
        let pipeline = Pipeline::open(config.clone()).expect("pipeline");
        let started = Instant::now();
        let report = pipeline.crawl(&config.sources, None).await.expect("crawl");
        let elapsed = started.elapsed();
        assert_eq!(report.failed().count(), 0, "{report:#?}");
        println!("ingest: {} items in {feeds} feeds ({:.1} MiB of RSS) from 127.0.0.1", items, served_bytes as f64 / 1048576.0);
        println!("ingest: {} documents committed, {} stored-query matches ({} queries)", report.new_documents, report.matches, pipeline.read_side().queries().len());
        println!("ingest: {:.2} s fetch to committed index: {:.0} documents/s", elapsed.as_secs_f64(), report.new_documents as f64 / elapsed.as_secs_f64());
        println!("ingest: peak memory (VmHWM, includes the in-process fixture server): {:.0} MiB", common::peak_rss_mib());
    });
}
