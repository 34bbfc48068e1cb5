//! The server under attack: 200 concurrent clients for 60 s against `vigil serve` (the release
//! binary, in its own process, so its memory is its own) on the generated 1,000,000-document
//! index the percolate benchmark builds under `/var/tmp/vigil-bench/` (built here if missing).
//!
//! The clients, all at once:
//! - 120 people searching (`/api/search`: names, NEAR between groups, wildcards, exclusions;
//!   newest or most relevant; the last 7 days), 20 reading facets and volume
//!   (`/api/search/stats`, 30 days) and 10 exporting CSV (`/export.csv`, up to 1,000 rows).
//!   People pause between requests (0.5 to 1.5 s, drawn per request).
//! - 20 sign-in flooders (wrong passwords for real and made-up users, no pause), 20 clients
//!   sending queries that cannot be bounded (`"the the …"~100`, 740 wildcards, a backtest since
//!   100,000 years) and 10 opening connections that never finish their headers, no pause.
//!
//! Printed: per ordinary class, requests, median and p99 latency and failures (anything but a
//! 2xx, or no answer); per attack, the answers by status; the server's peak memory (VmHWM) and
//! most threads seen. Goal (issue 15): p99 under 1 s for searches, peak under 1 GB, no failed
//! ordinary request.
//!
//! Run: `cargo bench --bench attack` (`-- 100000 20` for a 100,000-document index, 20 s;
//! `-- 1000000 60 0` for the same people without the attackers, to compare).

#[path = "common/mod.rs"]
mod common;

use common::{Rng, open_or_build, percentile, vocabulary};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SEARCHERS: usize = 120;
const STATS: usize = 20;
const EXPORTERS: usize = 10;
const FLOODERS: usize = 20;
const COSTLY: usize = 20;
const SLOW: usize = 10;

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[derive(Default)]
struct Tally {
    /// Latencies (s) and failures per ordinary class.
    ordinary: BTreeMap<&'static str, (Vec<f64>, usize)>,
    /// Answers by status per attack (0: no answer).
    attacks: BTreeMap<&'static str, BTreeMap<u16, usize>>,
}

fn server_usage(pid: u32) -> (u64, u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (
        field("VmRSS:") / 1024,
        field("VmHWM:") / 1024,
        field("Threads:"),
    )
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut args = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse::<usize>().ok());
    let size = args.next().unwrap_or(1_000_000);
    let seconds = args.next().unwrap_or(60) as u64;
    // A third number scales the attackers (0: the same people, no attack, for comparison).
    let attackers = args.next().unwrap_or(1);
    let vocab = vocabulary();
    let (index, writer, _) = open_or_build(size, &vocab);
    drop(writer);
    drop(index);
    let dir = common::served_dir(size);
    let toml = format!(
        "data_dir = {:?}\nqueries_dir = \"queries\"\n[crawl]\ncontact_url = \"mailto:bench@court.example.org\"\n",
        dir.path()
    );
    std::fs::write(dir.path().join("vigil.toml"), toml).unwrap_or_else(|e| panic!("{e}"));
    let config = vigil::config::Config::load(&dir.path().join("vigil.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let (viewer, analyst) = {
        let store =
            vigil::store::Store::open(&config.state_path()).unwrap_or_else(|e| panic!("{e}"));
        for (name, role) in [
            ("vic", vigil::auth::Role::Viewer),
            ("ana", vigil::auth::Role::Analyst),
        ] {
            vigil::auth::add_user(&store, name, role, "benchmark password")
                .unwrap_or_else(|e| panic!("{e}"));
        }
        (
            vigil::auth::create_api_token(&store, "vic", "bench", None)
                .unwrap_or_else(|e| panic!("{e}")),
            vigil::auth::create_api_token(&store, "ana", "bench", None)
                .unwrap_or_else(|e| panic!("{e}")),
        )
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap_or_else(|e| panic!("{e}"))
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["serve", "--addr", &addr])
        .current_dir(dir.path())
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let pid = child.id();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let base = format!("http://{addr}");
    for _ in 0..400 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (rss_idle, _, _) = server_usage(pid);
    println!(
        "index: {size} documents; vigil serve (release) idle at {rss_idle} MB; {SEARCHERS} searchers, {STATS} stats, {EXPORTERS} exporters (pausing 0.5-1.5 s), {FLOODERS} sign-in flooders, {COSTLY} costly-query senders, {SLOW} slow-header openers (no pause), for {seconds} s\n"
    );

    // Each client from its own loopback address, as people and attackers come from their own
    // (the server caps connections per address and throttles sign-ins per address).
    let client_from = |a: u8, b: u8| {
        reqwest::Client::builder()
            .no_proxy()
            .local_address(std::net::IpAddr::from([127, 1, a, b]))
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let queries = Arc::new(common::search_queries(&vocab));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    let ordinary = |class: &'static str, n: usize| (0..n).map(move |i| (class, i));
    for (class, i) in ordinary("search", SEARCHERS)
        .chain(ordinary("stats", STATS))
        .chain(ordinary("export", EXPORTERS))
    {
        let client = client_from(class.len() as u8, i as u8);
        let (base, queries, tally) = (base.clone(), queries.clone(), tally.clone());
        let token = if class == "export" {
            analyst.clone()
        } else {
            viewer.clone()
        };
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng(0x5EED ^ (i as u64 + 1) * 7919 ^ class.len() as u64);
            while Instant::now() < end {
                tokio::time::sleep(Duration::from_secs_f64(0.5 + rng.unit())).await;
                let q = encode(&queries[rng.below(queries.len())]);
                let url = match class {
                    "search" => format!(
                        "{base}/api/search?q={q}&since=7d&limit=20&sort={}",
                        if rng.below(2) == 0 {
                            "newest"
                        } else {
                            "relevance"
                        }
                    ),
                    "stats" => format!("{base}/api/search/stats?q={q}&since=30d"),
                    _ => format!("{base}/export.csv?q={q}&since=7d"),
                };
                let started = Instant::now();
                let ok = match client.get(url).bearer_auth(&token).send().await {
                    Ok(response) => {
                        let ok = response.status().is_success();
                        let _ = response.bytes().await;
                        ok
                    }
                    Err(_) => false,
                };
                let elapsed = started.elapsed().as_secs_f64();
                let mut tally = tally.lock().unwrap_or_else(|p| p.into_inner());
                let entry = tally.ordinary.entry(class).or_default();
                entry.0.push(elapsed);
                if !ok {
                    entry.1 += 1;
                }
            }
        }));
    }
    let slop = encode(&format!("\"{}\"~100", vec!["the"; 12].join(" ")));
    let wildcards = encode(
        &(0..740)
            .map(|i| format!("wor{i}*"))
            .collect::<Vec<_>>()
            .join(" OR "),
    );
    for i in 0..(FLOODERS + COSTLY) * attackers {
        let client = client_from(100, i as u8);
        let (base, tally, viewer) = (base.clone(), tally.clone(), viewer.clone());
        let (slop, wildcards) = (slop.clone(), wildcards.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0usize;
            while Instant::now() < end {
                n += 1;
                let (name, request) = if i % (FLOODERS + COSTLY) < FLOODERS {
                    let user = if n % 2 == 0 {
                        "ana".to_string()
                    } else {
                        format!("nobody{i}-{n}")
                    };
                    let body = format!("user={user}&password=guess+number+{n}&csrf=t&next=%2F");
                    (
                        "sign-in flood",
                        client
                            .post(format!("{base}/login"))
                            .header("cookie", "vigil_login=t")
                            .header("content-type", "application/x-www-form-urlencoded")
                            .header("x-forwarded-for", format!("198.51.100.{}", n % 250))
                            .body(body),
                    )
                } else {
                    match n % 3 {
                        0 => (
                            "sloppy repeated phrase",
                            client.get(format!("{base}/api/search?q={slop}")),
                        ),
                        1 => (
                            "740 wildcards",
                            client.get(format!("{base}/api/search/stats?q={wildcards}")),
                        ),
                        _ => (
                            "backtest since 100000y",
                            client
                                .get(format!("{base}/api/queries/warrant/backtest?since=100000y")),
                        ),
                    }
                };
                let status = match request.bearer_auth(&viewer).send().await {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let _ = response.bytes().await;
                        status
                    }
                    Err(_) => 0,
                };
                let mut tally = tally.lock().unwrap_or_else(|p| p.into_inner());
                *tally
                    .attacks
                    .entry(name)
                    .or_default()
                    .entry(status)
                    .or_default() += 1;
            }
        }));
    }
    for _ in 0..SLOW * attackers {
        let (addr, tally) = (addr.clone(), tally.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < end {
                let opened = tokio::net::TcpStream::connect(&addr).await;
                let outcome = match opened {
                    Ok(stream) => {
                        let mut stream = stream.into_std().ok();
                        if let Some(s) = stream.as_mut() {
                            let _ = s.set_nonblocking(false);
                            let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n");
                        }
                        // Hold it; the server decides when it ends.
                        let started = Instant::now();
                        let held = tokio::task::spawn_blocking(move || {
                            let mut buffer = [0u8; 64];
                            if let Some(mut s) = stream {
                                let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
                                let _ = std::io::Read::read(&mut s, &mut buffer);
                            }
                        })
                        .await;
                        let _ = held;
                        if started.elapsed() < Duration::from_secs(29) {
                            408
                        } else {
                            200
                        }
                    }
                    Err(_) => 0,
                };
                let mut tally = tally.lock().unwrap_or_else(|p| p.into_inner());
                *tally
                    .attacks
                    .entry("headers never finished (408: cut off by the server)")
                    .or_default()
                    .entry(outcome)
                    .or_default() += 1;
            }
        }));
    }
    let mut most_threads = 0;
    let mut most_rss = 0;
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let (rss, _, threads) = server_usage(pid);
        most_threads = most_threads.max(threads);
        most_rss = most_rss.max(rss);
    }
    for task in tasks {
        let _ = task.await;
    }
    let (_, peak, _) = server_usage(pid);
    let _ = child.kill();
    let _ = child.wait();

    let tally = tally.lock().unwrap_or_else(|p| p.into_inner());
    println!(
        "| ordinary requests | requests | median (ms) | p99 (ms) | failed |\n|---|---:|---:|---:|---:|"
    );
    for (class, (times, failed)) in &tally.ordinary {
        let mut times = times.clone();
        times.sort_by(f64::total_cmp);
        println!(
            "| {class} | {} | {:.0} | {:.0} | {failed} |",
            times.len(),
            percentile(&times, 0.5) * 1e3,
            percentile(&times, 0.99) * 1e3
        );
    }
    println!("\n| attack | answers by status |\n|---|---|");
    for (attack, statuses) in &tally.attacks {
        let shown: Vec<String> = statuses.iter().map(|(s, n)| format!("{s}: {n}")).collect();
        println!("| {attack} | {} |", shown.join(", "));
    }
    println!(
        "\nserver: peak memory {peak} MB (VmHWM; idle {rss_idle} MB, most seen while sampling {most_rss} MB), most threads {most_threads}"
    );
}
