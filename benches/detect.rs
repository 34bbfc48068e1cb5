//! Detection cost: story clustering (`detect::cluster::cluster_pending`) of N newly matched
//! documents, as documents per second and seconds per 10,000, with the memory the clustering
//! phase itself adds (peak RSS reset before it), and the time to assemble the narratives of
//! the window: the first time (document frequencies read from the index) and again (the read
//! side keeps them between requests, as for the per-minute alert check), and the clusters'
//! BCubed scores against the stories the documents were generated from (what a bound on the
//! clusters scored per document costs in quality at scale). The documents are generated stories: each repeats a story's own words (60%)
//! among the vocabulary's (40%), so clusters form as they do in news, and they arrive in time
//! order (a crawl's order) with about 200 stories unfolding at any moment.
//!
//! Run: `cargo bench --bench detect` (N = 10,000 and 50,000; pass others after `--`).
//! `VIGIL_BENCH_STORY_POOL=1000` draws the stories' words from 1,000 instead of 15,000, so
//! that stories overlap (a harder test of the clusters' quality).

#[path = "common/mod.rs"]
mod common;

use common::{Rng, vocabulary};
use std::time::Instant;
use tantivy::collector::DocSetCollector;
use vigil::index::reader::Reader;
use vigil::index::writer::Writer;
use vigil::model::{Document, Match};
use vigil::store::Store;

/// Documents per story on average (`VIGIL_BENCH_PER_STORY` for another).
const PER_STORY: usize = 25;

fn story_document(
    rng: &mut Rng,
    vocab: &[String],
    story: &[String],
    n: u64,
    story_id: usize,
) -> Document {
    let mut words = |count: usize| -> String {
        (0..count)
            .map(|_| {
                if rng.unit() < 0.6 {
                    story[rng.below(story.len())].clone()
                } else {
                    vocab[rng.rank(vocab.len())].clone()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let title = words(9);
    let body = words(80);
    let now = chrono::Utc::now();
    Document {
        id: format!("d{n}"),
        url: format!("https://outlet{}.example.org/{n}", n % 200),
        source: format!("source-{}", n % 200),
        kind: "news".into(),
        title,
        body,
        author: String::new(),
        lang: "en".into(),
        // Stories unfold over the last week, in order.
        published: now
            - chrono::Duration::minutes(
                7 * 24 * 60
                    - (story_id as i64 * 7 * 24 * 60 / 4_000).min(7 * 24 * 60 - 1)
                    - rng.below(600) as i64,
            ),
        fetched: now,
        content_hash: n,
        simhash: n,
        dup_group: format!("d{n}"),
        social: Default::default(),
    }
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 50_000]
    } else {
        sizes
    };
    let vocab = vocabulary();
    let random_order = std::env::var_os("VIGIL_BENCH_RANDOM_ORDER").is_some();
    let per_story: usize = std::env::var("VIGIL_BENCH_PER_STORY")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(PER_STORY);
    // The words stories draw their own from (`VIGIL_BENCH_STORY_POOL`, default 15,000): a
    // smaller pool makes stories that share more words, as stories about the same officials do.
    let story_pool: usize = std::env::var("VIGIL_BENCH_STORY_POOL")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| (30..=15_000).contains(n))
        .unwrap_or(15_000);
    println!(
        "| matched documents | clusters | seconds | documents/s | seconds per 10,000 | last run: documents, s per 10,000 | clusterer holds (MiB) | peak RSS added (MiB) | narratives of the week (first, again) | BCubed P / R / F1 against the generated stories |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for n in sizes {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let index = vigil::index::open_or_create(&dir.path().join("index"))
            .unwrap_or_else(|e| panic!("{e}"));
        let store = Store::open(&dir.path().join("state.sqlite")).unwrap_or_else(|e| panic!("{e}"));
        let mut rng = Rng(0xD37EC7 ^ n as u64);
        let stories: Vec<Vec<String>> = (0..n / per_story + 1)
            .map(|_| {
                (0..30)
                    .map(|_| vocab[200 + rng.below(story_pool)].clone())
                    .collect()
            })
            .collect();
        // Each document's story: the truth the clusters are scored against.
        let mut story_of: std::collections::HashMap<String, usize> = Default::default();
        {
            let mut writer = Writer::open(&index).unwrap_or_else(|e| panic!("{e}"));
            let mut i = 0;
            while i < n {
                let chunk: Vec<Document> = (i..(i + 10_000).min(n))
                    .map(|k| {
                        // Documents arrive in time order, as a crawl brings them: the story
                        // of each is one of the ~200 unfolding around its moment.
                        // (VIGIL_BENCH_RANDOM_ORDER=1: any story, in any order, as a backfill of
                        // an archive would bring them.)
                        let story = if random_order {
                            rng.below(stories.len())
                        } else {
                            (k / per_story + rng.below(200)).saturating_sub(100) % stories.len()
                        };
                        story_of.insert(format!("d{k}"), story);
                        story_document(&mut rng, &vocab, &stories[story], k as u64, story)
                    })
                    .collect();
                i += chunk.len();
                writer.upsert(&chunk).unwrap_or_else(|e| panic!("{e}"));
            }
            writer.commit().unwrap_or_else(|e| panic!("{e}"));
        }
        let reader = Reader::open(&index).unwrap_or_else(|e| panic!("{e}"));
        reader.reload().unwrap_or_else(|e| panic!("{e}"));
        let searcher = reader.searcher();
        let addresses: Vec<_> = searcher
            .search(&tantivy::query::AllQuery, &DocSetCollector)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .collect();
        let keys = reader
            .match_keys(&searcher, &addresses)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut matches: Vec<Match> = keys
            .into_values()
            .map(|k| Match {
                query_id: "q".into(),
                doc_id: k.id,
                source: k.source,
                published: k.published,
                seq: k.seq,
            })
            .collect();
        matches.sort_by_key(|m| m.seq);
        let last = matches.last().map_or(0, |m| m.seq);
        store
            .record_matches(&matches, last)
            .unwrap_or_else(|e| panic!("{e}"));
        common::reset_peak_rss();
        let before = common::peak_rss_mib();
        let started = Instant::now();
        let mut clusterer = vigil::detect::cluster::Clusterer::new(Default::default());
        let mut clusters = 0;
        // The last run's cost: new documents arriving with nearly all of N already clustered.
        let mut last_run = (0, 0.0);
        loop {
            let run_started = Instant::now();
            let report = clusterer
                .run(&store, &reader, &Default::default())
                .unwrap_or_else(|e| panic!("{e}"));
            if report.documents == 0 {
                break;
            }
            last_run = (report.documents, run_started.elapsed().as_secs_f64());
            clusters += report.new_clusters;
        }
        let secs = started.elapsed().as_secs_f64();
        let memory = common::peak_rss_mib() - before;
        let ids: Vec<String> = story_of.keys().cloned().collect();
        let predicted: std::collections::HashMap<String, String> = store
            .clusters_of(&ids)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .collect();
        let quality = vigil::detect::quality::bcubed(&predicted, &story_of);
        let now = chrono::Utc::now();
        let kept = vigil::detect::cluster::KeptFrequencies::default();
        let assemble = || {
            let started = Instant::now();
            let narratives = vigil::detect::narrative::narratives(
                &store,
                &reader,
                &[],
                &Default::default(),
                now - chrono::Duration::days(7),
                now,
                &kept,
            )
            .unwrap_or_else(|e| panic!("{e}"));
            (narratives, started.elapsed().as_secs_f64())
        };
        let (narratives, first) = assemble();
        let (again, assemble) = assemble();
        let json = |n: &[vigil::detect::narrative::Narrative]| serde_json::to_string(n).ok();
        assert_eq!(
            json(&narratives),
            json(&again),
            "kept frequencies changed the narratives"
        );
        println!(
            "| {n} | {clusters} | {secs:.1} | {:.0} | {:.1} | {}, {:.1} | {:.0} | {memory:.0} | {} in {first:.1} s, {assemble:.1} s | {:.2} / {:.2} / {:.2} |",
            n as f64 / secs,
            secs * 10_000.0 / n as f64,
            last_run.0,
            last_run.1 * 10_000.0 / last_run.0.max(1) as f64,
            clusterer.footprint().bytes as f64 / (1024.0 * 1024.0),
            narratives.len(),
            quality.precision,
            quality.recall,
            quality.f1
        );
    }
}
