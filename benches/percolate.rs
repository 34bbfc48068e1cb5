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

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use vigil::index::reader::{Reader, SearchFilter, Sort};
use vigil::index::writer::Writer;
use vigil::model::Document;
use vigil::query::stored::{StoredQuery, compile_stored};

const BATCH: usize = 1_000;
const BATCHES_PER_POINT: usize = 5;

/// A small deterministic generator (xorshift64*), so every run sees the same corpus.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Zipf-like rank: small ranks far more often.
    fn rank(&mut self, n: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((n as f64).powf(u) as usize).saturating_sub(1).min(n - 1)
    }
}

/// A vocabulary of pronounceable pseudo-words, most frequent first, after real topic words.
fn vocabulary() -> Vec<String> {
    let topic = [
        "court",
        "prosecutor",
        "judges",
        "warrant",
        "hearing",
        "chamber",
        "victims",
        "registry",
        "states",
        "statute",
        "arrest",
        "minister",
        "president",
        "investigation",
        "evidence",
        "witness",
        "appeal",
        "trial",
        "sanctions",
        "hacked",
        "files",
        "leaked",
        "corrupt",
        "corruption",
        "bribe",
        "bribery",
        "political",
        "tool",
        "west",
        "void",
        "illegal",
        "khan",
        "international",
        "criminal",
        "justice",
        "war",
        "crimes",
        "genocide",
    ];
    let syllables = [
        "ka", "lo", "mi", "ra", "te", "su", "no", "vi", "de", "pa", "re", "to", "ni", "sa", "ma",
        "li", "ve", "do", "ga", "ru", "be", "ko", "fi", "ta",
    ];
    let mut words: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut rng = Rng(0x5EED);
    while words.len() < 20_000 {
        let n = 2 + rng.below(3);
        let word: String = (0..n)
            .map(|_| syllables[rng.below(syllables.len())])
            .collect();
        if seen.insert(word.clone()) {
            words.push(word);
        }
    }
    // Topic words sit in the middle of the frequency range, as in general news, where "court"
    // is common but far from "the".
    for (i, word) in topic.iter().enumerate() {
        words.insert(150 + i * 40, word.to_string());
    }
    words.truncate(20_000);
    words
}

const NAMES: &[&str] = &[
    "Karim Khan",
    "Карим Хан",
    "كريم خان",
    "Tomoko Akane",
    "Rosario Aitala",
    "Piotr Hofmanski",
    "Osvaldo Zavala Giler",
    "Kimberly Prost",
];

fn document(rng: &mut Rng, vocab: &[String], n: u64) -> Document {
    let mut sentence = |len: usize| -> String {
        let mut words = Vec::with_capacity(len);
        for _ in 0..len {
            if rng.below(3_000) == 0 {
                words.push(NAMES[rng.below(NAMES.len())].to_string());
            } else {
                words.push(vocab[rng.rank(vocab.len())].clone());
            }
        }
        words.join(" ")
    };
    let title = sentence(8);
    let body = (0..6).map(|_| sentence(14)).collect::<Vec<_>>().join(". ");
    let langs = ["en", "en", "en", "fr", "ru", "de", "es", "ar"];
    let lang = langs[(n % langs.len() as u64) as usize];
    let now = chrono::Utc::now();
    Document {
        id: format!("doc-{n}"),
        url: format!("https://outlet{}.example.org/news/{n}", n % 500),
        source: format!("source-{}", n % 300),
        kind: if n % 5 == 0 { "mastodon" } else { "news" }.into(),
        title,
        body,
        author: String::new(),
        lang: lang.into(),
        published: now - chrono::Duration::seconds((n % (30 * 86_400)) as i64),
        fetched: now,
        content_hash: n,
        simhash: n.wrapping_mul(0x9E37_79B9_7F4A_7C15),
        dup_group: format!("doc-{n}"),
        social: Default::default(),
    }
}

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
        let (a, b, c, d) = (
            pick(&mut rng),
            pick(&mut rng),
            pick(&mut rng),
            pick(&mut rng),
        );
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
            severity: vigil::query::stored::Severity::Watch,
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

fn open_or_build(size: usize, vocab: &[String]) -> (tantivy::Index, Writer, u64) {
    let root = std::env::var_os("VIGIL_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/vigil-bench"));
    let dir = root.join(format!("percolate-{size}"));
    let index = vigil::index::open_or_create(&dir).unwrap_or_else(|e| panic!("{e}"));
    let mut writer = Writer::open(&index).unwrap_or_else(|e| panic!("{e}"));
    let existing = vigil::index::writer::max_seq(&index)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or(0);
    if (existing as usize) < size {
        let started = Instant::now();
        let mut rng = Rng(0xABCDEF ^ existing);
        let mut n = existing;
        while (n as usize) < size {
            let chunk: Vec<Document> = (0..10_000.min(size - n as usize))
                .map(|i| document(&mut rng, vocab, n + i as u64))
                .collect();
            n += chunk.len() as u64;
            writer.upsert(&chunk).unwrap_or_else(|e| panic!("{e}"));
            if n % 100_000 == 0 || n as usize >= size {
                writer.commit().unwrap_or_else(|e| panic!("{e}"));
                eprintln!(
                    "  built {n} documents ({:.0} s)",
                    started.elapsed().as_secs_f64()
                );
            }
        }
    }
    let next = vigil::index::writer::max_seq(&index)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or(0);
    (index, writer, next)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
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
