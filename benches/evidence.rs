//! Evidence: what archiving costs. A local server on 127.0.0.1 serves a feed of N items (default
//! 500) with summaries, and an article page per item (about 6 KB of HTML); the real pipeline
//! crawls them with full text, keeping each response in the spool. All N documents are then
//! archived under one narrative (the spooled feed and article, and the article fetched again),
//! and the narrative's evidence bundle is exported and checked.
//!
//! Prints: spool bytes per document, WARC bytes per document, archiving time per document,
//! export time and bundle size, and verification time.
//! Run: `cargo bench --bench evidence [-- N]`.

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::routing::get;
use std::sync::Arc;
use std::time::Instant;

fn article(i: usize) -> String {
    let mut body = String::new();
    for p in 0..12 {
        body.push_str(&format!(
            "<p>Paragraph {p} of report {i}: the court's registry said on Tuesday that the hearing in case {i} would resume after the judges considered the defence's request for more time to examine the evidence disclosed by the prosecution, which includes {n} statements of witnesses and expert reports on the events.</p>",
            n = i * 7 + p
        ));
    }
    format!(
        "<!doctype html><html><head><title>Report {i}</title><meta name=description content=\"Report {i}\"></head><body><nav><a href=/>Home</a></nav><article><h1>Report {i} on the court</h1>{body}</article><footer>Wire service</footer></body></html>"
    )
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(500);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let now = chrono::Utc::now();
        // Feeds of 100 items: the crawler fetches at most 100 article pages per source and pass.
        let feeds: Vec<String> = (0..n.div_ceil(100))
            .map(|k| {
                let mut items = String::new();
                for i in k * 100..((k + 1) * 100).min(n) {
                    items.push_str(&format!(
                        "<item><title>Court report {i}</title><link>{base}/a/{i}</link><guid>r{i}</guid><description>The court's registry on case {i}.</description><pubDate>{}</pubDate></item>",
                        (now - chrono::Duration::minutes(i as i64)).to_rfc2822()
                    ));
                }
                format!(
                    "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Wire {k}</title>{items}</channel></rss>"
                )
            })
            .collect();
        let sources: String = (0..feeds.len())
            .map(|k| format!("\n[[sources]]\nname = \"wire-{k}\"\nkind = \"feed\"\nurl = \"{base}/feed/{k}\"\nallow_private = true\nfull_text = \"always\"\n"))
            .collect();
        let feeds = Arc::new(feeds);
        let app = Router::new()
            .route(
                "/feed/{k}",
                get(|State(feeds): State<Arc<Vec<String>>>, UrlPath(k): UrlPath<usize>| async move {
                    ([("content-type", "application/rss+xml")], feeds.get(k).cloned().unwrap_or_default())
                }),
            )
            .route(
                "/a/{i}",
                get(|UrlPath(i): UrlPath<usize>| async move {
                    ([("content-type", "text/html; charset=utf-8")], article(i))
                }),
            )
            .with_state(feeds);
        tokio::spawn(async move { axum::serve(listener, app).await });

        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("queries")).unwrap();
        std::fs::write(
            dir.path().join("vigil.toml"),
            format!(
                "data_dir = \"data\"\n[crawl]\ncontact_url = \"https://vigil.example.org/c\"\nrate_per_host = 100.0\nconcurrency = 16\n[evidence]\nper_round = {n}\n{sources}"
            ),
        )
        .unwrap();
        let config = vigil::config::Config::load(&dir.path().join("vigil.toml")).unwrap();
        let pipeline = vigil::pipeline::Pipeline::open(config.clone()).unwrap();
        let started = Instant::now();
        let report = pipeline.crawl(&config.sources, None).await.unwrap();
        let crawl_s = started.elapsed().as_secs_f64();
        let store = pipeline.store().clone();
        let spool = store.spool_size().unwrap();
        println!(
            "crawl: {} documents with full text in {crawl_s:.1} s; spool {} responses, {:.1} KiB per document (lz4)",
            report.new_documents,
            spool.responses,
            spool.stored_bytes as f64 / 1024.0 / report.new_documents.max(1) as f64
        );
        let read = pipeline.read_side().clone();
        read.reader.reload().unwrap();
        let query = vigil::query::compile(read.reader.index(), "court").unwrap();
        let hits = read
            .reader
            .search(
                &*query,
                &vigil::index::reader::SearchFilter {
                    limit: n,
                    ..Default::default()
                },
            )
            .unwrap()
            .hits;
        let ids: Vec<String> = hits.iter().map(|h| h.id.clone()).collect();
        let narrative = "nbench";
        store
            .queue_evidence(&ids, narrative, "bench", chrono::Utc::now())
            .unwrap();
        let fetcher = pipeline.fetcher().clone();
        let started = Instant::now();
        let round = vigil::archive::round(
            &read,
            &store,
            &config,
            Some(&fetcher),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        let archive_s = started.elapsed().as_secs_f64();
        let bytes: u64 = round.archived.iter().map(|a| a.bytes).sum();
        let records: usize = round.archived.iter().map(|a| a.records).sum();
        println!(
            "archive: {} documents ({} failed), {records} WARC records, {:.1} KiB per document, {:.1} ms per document (page fetched again included)",
            round.archived.len(),
            round.failed.len(),
            bytes as f64 / 1024.0 / round.archived.len().max(1) as f64,
            archive_s * 1e3 / round.archived.len().max(1) as f64
        );
        let started = Instant::now();
        let mut bundle = Vec::new();
        let manifest = vigil::archive::export(
            &read,
            &store,
            &config.evidence_dir(),
            narrative,
            "bench",
            chrono::Utc::now(),
            &mut bundle,
        )
        .unwrap();
        println!(
            "export: {} records in {} files, bundle {:.1} MiB, in {:.0} ms",
            manifest.records.len(),
            manifest.files.len(),
            bundle.len() as f64 / 1048576.0,
            started.elapsed().as_secs_f64() * 1e3
        );
        let started = Instant::now();
        let verification = vigil::archive::verify(&store, &config.evidence_dir()).unwrap();
        assert!(verification.ok(), "{verification:?}");
        println!(
            "verify: {} entries over {} files in {:.0} ms",
            verification.entries,
            verification.files,
            started.elapsed().as_secs_f64() * 1e3
        );
    });
}
