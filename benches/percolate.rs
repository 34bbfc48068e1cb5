//! Percolation throughput and search latency at scale.
//!
//! For each index size (100,000 and 1,000,000 generated documents by default), commits batches
//! of 1,000 new documents and times `percolate::match_batch` (what the pipeline runs after every
//! commit) with 100, 1,000 and 10,000 stored queries of realistic shapes: OR-lists of names in
//! three scripts, `$officials`, NEAR between groups, phrases with slop, wildcards, exclusions and
//! field filters. Then times a typical mention search with snippets (median and p99) on the
//! largest index.
//!
//! Run: `cargo bench --bench percolate` or with sizes: `cargo bench --bench percolate -- 100000`.
//! Indexes are built once under `/var/tmp/vigil-bench/` (or `$VIGIL_BENCH_DIR`) and reused.

#[path = "common/mod.rs"]
mod common;

use common::{NAMES, Rng, document, open_or_build, percentile, vocabulary};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use vigil::index::reader::{Reader, SearchFilter, Sort};
use vigil::model::Document;
use vigil::query::stored::{StoredQuery, compile_stored};

const BATCH: usize = 1_000;
const BATCHES_PER_POINT: usize = 5;

/// Stored queries of the shapes analysts write, each different.
fn queries(index: &tantivy::Index, vocab: &[String], count: usize) -> Vec<StoredQuery> {
    let lists = Arc::new(
        vigil::query::stored::load_lists(
            &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("queries"),
        )
        .unwrap_or_else(|e| panic!("{e}")),
    );
    let mut rng = Rng(0xC0FFEE);
    // Query words from the less common part of the vocabulary, so each query matches a small
    // share of the stream, as monitoring queries do (the table reports matches per batch).
    let pick = |rng: &mut Rng| vocab[1_500 + rng.below(13_500)].clone();
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let (a, b, c) = (pick(&mut rng), pick(&mut rng), pick(&mut rng));
        // Distinct from c: a word repeated in a sloppy phrase is refused (its cost is unbounded).
        let mut d = pick(&mut rng);
        while d == c {
            d = pick(&mut rng);
        }
        let prefix: String = c.chars().take(4).collect();
        let text = match i % 7 {
            0 => format!(
                "(\"karim khan\" OR \"карим хан\" OR \"كريم خان\" OR \"prosecutor khan\" OR {a}) AND ({b} OR {c})"
            ),
            1 => format!("(khan OR prosecutor OR {a}) NEAR/5 (corrupt* OR bribe* OR {b})"),
            2 => format!("\"{a} {b}\" OR \"{c} {d}\"~2"),
            3 => format!("{prefix}* AND ({a} OR {b}) AND court"),
            4 => format!("({a} OR {b} OR {c}) AND NOT ({d} OR basketball OR cricket)"),
            5 => format!("$officials AND ({a} OR {b})"),
            _ => format!("(title:{a} OR {b}) AND lang:(en OR fr) AND -kind:reddit"),
        };
        let langs: Vec<String> = std::env::var("VIGIL_BENCH_LANGS")
            .map(|l| l.split(',').map(String::from).collect())
            .unwrap_or_default();
        let compiled = compile_stored(index, &text, &lists, &langs)
            .unwrap_or_else(|e| panic!("{text}: {}", e.render(&text)));
        out.push(StoredQuery {
            id: format!("q{i}"),
            title: text.clone(),
            description: String::new(),
            query_text: text,
            severity: vigil::types::Severity::Watch,
            claim: true,
            owner: None,
            languages: Vec::new(),
            disarm: Vec::new(),
            rebuttal: None,
            spike: Default::default(),
            emergence: Default::default(),
            examples: Vec::new(),
            path: PathBuf::new(),
            lists: Arc::clone(&lists),
            weight: vigil::query::stored::prepare_weight(index, &*compiled.query)
                .unwrap_or_else(|e| panic!("{e}")),
            query: compiled.query,
            anchors: compiled.anchors,
        });
    }
    out
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .flat_map(|a| {
            a.split(',')
                .filter_map(|s| s.parse().ok())
                .collect::<Vec<usize>>()
        })
        .collect();
    let sizes = if sizes.is_empty() {
        vec![100_000, 1_000_000]
    } else {
        sizes
    };
    let vocab = vocabulary();
    println!(
        "percolation: batches of {BATCH} new documents, median of {BATCHES_PER_POINT} batches"
    );
    println!(
        "| documents in the index | stored queries | ms per batch | documents/s | matches per batch | documents in the segments visited |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    let mut last: Option<(tantivy::Index, Reader)> = None;
    for &size in &sizes {
        let (index, mut writer, mut next) = open_or_build(size, &vocab);
        let reader = Reader::open(&index).unwrap_or_else(|e| panic!("{e}"));
        let all = queries(&index, &vocab, 10_000);
        let mut rng = Rng(0xBA7C4 ^ size as u64);
        for count in [100, 1_000, 10_000] {
            let mut times = Vec::new();
            let mut matched = 0;
            let mut segment_docs = 0;
            for _ in 0..BATCHES_PER_POINT {
                let batch: Vec<Document> = (0..BATCH)
                    .map(|i| document(&mut rng, &vocab, next + 1 + i as u64 + 10_000_000))
                    .collect();
                next += BATCH as u64;
                writer.upsert(&batch).unwrap_or_else(|e| panic!("{e}"));
                let committed = writer
                    .commit()
                    .unwrap_or_else(|e| panic!("{e}"))
                    .unwrap_or_else(|| panic!("empty commit"));
                reader.reload().unwrap_or_else(|e| panic!("{e}"));
                let searcher = reader.searcher();
                let visited = reader
                    .batch_segments(&searcher, committed.first_seq, committed.last_seq)
                    .unwrap_or_else(|e| panic!("{e}"));
                segment_docs += visited
                    .iter()
                    .map(|b| searcher.segment_reader(b.ord).max_doc() as usize)
                    .sum::<usize>();
                let started = Instant::now();
                let matches = vigil::percolate::match_batch(&reader, &all[..count], &committed)
                    .unwrap_or_else(|e| panic!("{e}"));
                times.push(started.elapsed().as_secs_f64());
                matched = matches.len();
            }
            times.sort_by(f64::total_cmp);
            let median = percentile(&times, 0.5);
            println!(
                "| {} | {count} | {:.1} | {:.0} | {matched} | {} |",
                reader.num_docs(),
                median * 1000.0,
                BATCH as f64 / median,
                segment_docs / BATCHES_PER_POINT
            );
        }
        if std::env::var_os("VIGIL_BENCH_BY_SHAPE").is_some() {
            // Diagnostic: microseconds per query of each shape over the last batch.
            let searcher = reader.searcher();
            let segments = reader
                .batch_segments(&searcher, next - BATCH as u64 + 1, next)
                .unwrap_or_else(|e| panic!("{e}"));
            let mut per_shape = [0f64; 7];
            for (i, q) in all[..7_000].iter().enumerate() {
                let started = Instant::now();
                let _ = reader.matching_in_batch(&searcher, &segments, &*q.query);
                per_shape[i % 7] += started.elapsed().as_secs_f64();
            }
            for (shape, total) in per_shape.iter().enumerate() {
                println!("shape {shape}: {:.0} µs per query", total / 1_000.0 * 1e6);
            }
        }
        drop(writer);
        last = Some((index, reader));
    }
    let Some((index, reader)) = last else { return };
    let lists = vigil::query::stored::load_lists(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("queries"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut latencies = Vec::new();
    let mut total = 0;
    for i in 0..200 {
        let name = NAMES[i % NAMES.len()];
        let extra = &vocab[40 + i * 7 % 2_000];
        let text = format!("(\"{name}\" OR $officials) AND (court OR {extra}) -cricket");
        let compiled = vigil::query::compile_with(
            &index,
            &text,
            &lists,
            &[],
            vigil::query::Scoring::Relevance,
        )
        .unwrap_or_else(|e| panic!("{text}: {}", e.render(&text)));
        let filter = SearchFilter {
            limit: 20,
            sort: if i % 2 == 0 {
                Sort::Newest
            } else {
                Sort::Relevance
            },
            since: Some(chrono::Utc::now() - chrono::Duration::days(7)),
            ..Default::default()
        };
        let started = Instant::now();
        let results = reader
            .search(&*compiled.query, &filter)
            .unwrap_or_else(|e| panic!("{e}"));
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        total += results.total;
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "\nsearch on {} documents (mention query, $officials, last 7 days, 20 hits with snippets, \
         200 runs, {} hits per query on average): median {:.1} ms, p99 {:.1} ms",
        reader.num_docs(),
        total / 200,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );
}
