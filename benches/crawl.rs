//! A crawl of 1,000 local feeds of 20 items each, spread over 50 hosts (127.0.0.100 to
//! 127.0.0.149, 20 feeds per host), through the real pipeline: wall time, documents per second,
//! peak memory, and, from the servers' own request logs, the smallest gap between two requests
//! to one host, which proves no host's budget was exceeded. Run: `cargo bench --bench crawl`
//! (default budget, 1 request per second per host) or `cargo bench --bench crawl -- 20` for
//! another budget in requests per second.

#[path = "common/mod.rs"]
mod common;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::routing::get;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use vigil::pipeline::Pipeline;

const HOSTS: u8 = 50;
const FEEDS_PER_HOST: usize = 20;
const ITEMS_PER_FEED: usize = 20;

#[derive(Clone)]
struct HostState {
    host: u8,
    log: Arc<Mutex<Vec<(u8, Instant)>>>,
}

fn feed(host: u8, feed: usize) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>bench</title>",
    );
    for item in 0..ITEMS_PER_FEED {
        out.push_str(&format!(
            "<item><title>Host {host} feed {feed} item {item}: the court and the prosecutor</title><link>https://h{host}.example/{feed}/{item}</link><description>Judges of the chamber heard witness {item} in case {feed}; the registry published the filing for host {host}.</description><pubDate>{}</pubDate></item>",
            (chrono::Utc::now() - chrono::Duration::minutes((feed * ITEMS_PER_FEED + item) as i64)).to_rfc2822()
        ));
    }
    out.push_str("</channel></rss>");
    out
}

fn main() {
    let rate: f64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1.0);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let log: Arc<Mutex<Vec<(u8, Instant)>>> = Arc::default();
        let mut config = format!("[crawl]\ncontact_url = \"https://vigil.example/bench\"\nrate_per_host = {rate}\nconcurrency = 8\n");
        for host in 0..HOSTS {
            let state = HostState { host, log: log.clone() };
            let app = Router::new()
                .route("/feed/{n}", get(|State(s): State<HostState>, UrlPath(n): UrlPath<usize>| async move {
                    s.log.lock().unwrap().push((s.host, Instant::now()));
                    ([("content-type", "application/rss+xml")], feed(s.host, n))
                }))
                .route("/robots.txt", get(|State(s): State<HostState>| async move {
                    s.log.lock().unwrap().push((s.host, Instant::now()));
                    "User-agent: *\nAllow: /\n"
                }))
                .with_state(state);
            let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 100 + host], 0))).await.expect("bind");
            let address = listener.local_addr().expect("address");
            tokio::spawn(async move { axum::serve(listener, app).await });
            for n in 0..FEEDS_PER_HOST {
                config.push_str(&format!("[[sources]]\nname = \"h{host}-f{n}\"\nkind = \"feed\"\nurl = \"http://{address}/feed/{n}\"\nallow_private = true\nfull_text = \"never\"\n"));
            }
        }
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("vigil.toml"), config).expect("config");
        let mut config = vigil::config::Config::load(&dir.path().join("vigil.toml")).expect("config");
        config.queries_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
        let pipeline = Pipeline::open(config.clone()).expect("pipeline");
        let started = Instant::now();
        let report = pipeline.crawl(&config.sources, None).await.expect("crawl");
        let elapsed = started.elapsed();
        assert_eq!(report.failed().count(), 0, "{:#?}", report.failed().collect::<Vec<_>>());

        let log = log.lock().unwrap().clone();
        let mut smallest_gap = Duration::MAX;
        for host in 0..HOSTS {
            let mut times: Vec<Instant> = log.iter().filter(|(h, _)| *h == host).map(|(_, t)| *t).collect();
            times.sort();
            for pair in times.windows(2) {
                smallest_gap = smallest_gap.min(pair[1] - pair[0]);
            }
        }
        let budget_gap = Duration::from_secs_f64(1.0 / rate);
        println!("crawl: {} feeds on {HOSTS} hosts, {} requests (robots.txt included), budget {rate} request(s)/s per host", config.sources.len(), log.len());
        println!("crawl: {} documents committed and percolated in {:.2} s: {:.0} documents/s", report.new_documents, elapsed.as_secs_f64(), report.new_documents as f64 / elapsed.as_secs_f64());
        println!("crawl: smallest gap between two requests to one host, from the servers' logs: {:.3} s (budget: {:.3} s) -> {}",
            smallest_gap.as_secs_f64(), budget_gap.as_secs_f64(), if smallest_gap + Duration::from_millis(5) >= budget_gap { "no host's budget was exceeded" } else { "BUDGET EXCEEDED" });
        println!("crawl: peak memory (VmHWM, includes the 50 in-process servers): {:.0} MiB", common::peak_rss_mib());
    });
}
