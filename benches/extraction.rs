//! Article-extraction quality and speed on the article-extraction benchmark copied into `benches/data/` (181 real pages with ground
//! truth). Writes `target/extraction/vigil.json` (page id → extracted text) for
//! `scripts/eval_extraction.py` and prints pages per second (extraction only; reading
//! and gunzipping the files is not timed). `scripts/bench-extraction.sh` runs this and Python
//! trafilatura on the same pages and prints both side by side.

use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pages_dir = root.join("benches/data/article-extraction/html");
    let mut pages = Vec::new();
    for entry in std::fs::read_dir(&pages_dir)
        .expect("the benchmark pages (benches/data/article-extraction)")
    {
        let path = entry.expect("entry").path();
        let Some(id) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".html.gz"))
        else {
            continue;
        };
        let mut html = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&path).expect("page"))
            .read_to_end(&mut html)
            .expect("gunzip");
        pages.push((id.to_string(), html));
    }
    pages.sort();
    let url = url::Url::parse("https://benchmark.example/article").expect("url");
    let rounds = 3;
    let mut predictions = serde_json::Map::new();
    let mut best = Duration::MAX;
    let mut failures = 0;
    for round in 0..rounds {
        let started = Instant::now();
        for (id, html) in &pages {
            let result = vigil::parse::article::extract_bytes(html, Some("text/html"), &url);
            if round == 0 {
                let text = match result {
                    Ok(article) => article.text,
                    Err(_) => {
                        failures += 1;
                        String::new()
                    }
                };
                predictions.insert(id.clone(), serde_json::Value::String(text));
            }
        }
        best = best.min(started.elapsed());
    }
    // The pipeline extracts pages on blocking threads, in parallel: measure that too.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut best_parallel = Duration::MAX;
    for _ in 0..rounds {
        let started = Instant::now();
        std::thread::scope(|scope| {
            for worker in 0..threads {
                let (pages, url) = (&pages, &url);
                scope.spawn(move || {
                    for (_, html) in pages.iter().skip(worker).step_by(threads) {
                        let _ = vigil::parse::article::extract_bytes(html, Some("text/html"), url);
                    }
                });
            }
        });
        best_parallel = best_parallel.min(started.elapsed());
    }
    let out_dir = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| root.join("target"))
        .join("extraction");
    std::fs::create_dir_all(&out_dir).expect("output folder");
    let out = out_dir.join("vigil.json");
    std::fs::write(&out, serde_json::to_string(&predictions).expect("json"))
        .expect("write predictions");
    println!(
        "extraction: {} pages, {failures} without an article",
        pages.len()
    );
    println!(
        "extraction: best of {rounds} rounds {:.2} s: {:.0} pages/s (1 thread)",
        best.as_secs_f64(),
        pages.len() as f64 / best.as_secs_f64()
    );
    println!(
        "extraction: best of {rounds} rounds {:.2} s: {:.0} pages/s ({threads} threads)",
        best_parallel.as_secs_f64(),
        pages.len() as f64 / best_parallel.as_secs_f64()
    );
    println!("extraction: predictions in {}", out.display());
}
