//! The leak watch measured on the protocol of tests/fixtures/leakwatch/README.md: recall on
//! registered paragraphs published with 30% of their words changed (and 40%, 50% for the
//! curve), false matches over every document of the four corpora, and the cost of checking a
//! document with 12 and with 1,000 registered documents.
//!
//! `cargo bench --bench leakwatch [-- TRIALS]` (default 2,000 trials).

mod leak_trials;

use leak_trials::*;
use std::time::Instant;
use vigil::leakwatch::{self, Fingerprinter, Watch};

fn main() {
    let trials: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(2_000);
    let dir = tempfile::tempdir().unwrap();
    let path = leakwatch_config(dir.path(), "");
    let config = vigil::config::Config::load(&path).unwrap();
    let settings = config.leakwatch.clone().unwrap();
    std::fs::create_dir_all(&config.data_dir).unwrap();
    let store = vigil::store::Store::open(&config.state_path()).unwrap();
    let fp = Fingerprinter::from_settings(&settings).unwrap();
    let registered = registered();
    let heldout = registered_in("heldout");
    let now = chrono::Utc::now();
    for (name, text) in registered.iter().chain(&heldout) {
        let (_, prints) = leakwatch::register(&store, &fp, name, text, "bench", now).unwrap();
        println!("registered {name}: {prints} fingerprints");
    }
    // The rule can be varied for exploration: VIGIL_LEAK_RULE=THRESHOLD,MIN.
    let (threshold, min_matches) = std::env::var("VIGIL_LEAK_RULE")
        .ok()
        .and_then(|r| {
            let (t, m) = r.split_once(',')?;
            Some((t.parse().ok()?, m.parse().ok()?))
        })
        .unwrap_or((settings.threshold, settings.min_matches));
    let settings = vigil::config::security::LeakWatchSettings {
        threshold,
        min_matches,
        ..settings
    };
    let watch = Watch::load(&store, &fp, settings.threshold, settings.min_matches).unwrap();
    let mut news = Vec::new();
    let mut per_corpus = Vec::new();
    for corpus_name in CORPORA {
        let docs = corpus(corpus_name);
        per_corpus.push((corpus_name, docs.len()));
        news.extend(docs);
    }
    let vocabulary = vocabulary(&news);
    println!(
        "\ncorpora: {} documents ({}), vocabulary {} words; rule: share >= {} of a part and >= {} fingerprints",
        news.len(),
        per_corpus
            .iter()
            .map(|(n, c)| format!("{n} {c}"))
            .collect::<Vec<_>>()
            .join(", "),
        vocabulary.len(),
        settings.threshold,
        settings.min_matches
    );

    // Recall, on the documents tuned on and on the held-out ones.
    for (set, documents) in [("tuned-on", &registered), ("held-out", &heldout)] {
        for share in [0.30, 0.40, 0.50] {
            let mut rng = Rng::new(0x5eed_0000 + (share * 100.0) as u64);
            let (mut found, mut wrong) = (0, 0);
            let mut page_words = 0;
            for _ in 0..trials {
                let (source, page) = trial_with(documents, &news, &vocabulary, share, &mut rng);
                page_words += page.body.split_whitespace().count();
                let hits = watch.check(&fp, &format!("{}\n{}", page.title, page.body));
                if hits.iter().any(|h| h.label == documents[source].0) {
                    found += 1;
                }
                wrong += hits
                    .iter()
                    .filter(|h| h.label != documents[source].0)
                    .count();
            }
            println!(
                "recall, {set} documents, {:.0}% of words changed: {found}/{trials} = {:.3} ({wrong} matches naming another document; pages of {} words on average)",
                share * 100.0,
                found as f64 / trials as f64,
                page_words / trials
            );
        }
    }

    // False matches.
    let mut false_matches = 0;
    for doc in &news {
        let hits = watch.check(&fp, &format!("{}\n{}", doc.title, doc.body));
        for hit in &hits {
            println!(
                "FALSE MATCH: {} ({}) holds {} of {} of {}",
                doc.url, doc.source, hit.matched, hit.total, hit.label
            );
        }
        false_matches += hits.len();
    }
    println!(
        "false matches over the {} corpus documents: {false_matches}",
        news.len()
    );
    // The margin: the closest any corpus document comes, under a rule that takes anything.
    let loose = Watch::load(&store, &fp, 0.0, 1).unwrap();
    let (mut most, mut most_share) = (0, 0.0f64);
    for doc in &news {
        for hit in loose.check(&fp, &format!("{}\n{}", doc.title, doc.body)) {
            most = most.max(hit.matched);
            most_share = most_share.max(hit.share());
        }
    }
    println!(
        "closest corpus document: {most} fingerprints of a part at most, a share of {most_share:.2} at most"
    );

    // Cost, with 12 and with 1,000 registered documents.
    let time_checks = |watch: &Watch| {
        let started = Instant::now();
        let rounds = 3;
        for _ in 0..rounds {
            for doc in &news {
                std::hint::black_box(watch.check(&fp, &format!("{}\n{}", doc.title, doc.body)));
            }
        }
        started.elapsed().as_secs_f64() * 1e6 / (rounds * news.len()) as f64
    };
    let mean_words = news
        .iter()
        .map(|d| d.body.split_whitespace().count())
        .sum::<usize>()
        / news.len().max(1);
    println!(
        "cost with {} registered: {:.1} µs per document (mean {mean_words} words)",
        registered.len() + heldout.len(),
        time_checks(&watch)
    );
    let mut rng = Rng::new(7);
    for i in registered.len() + heldout.len()..1_000 {
        let text: Vec<&str> = (0..150)
            .map(|_| vocabulary[rng.below(vocabulary.len())].as_str())
            .collect();
        leakwatch::register(
            &store,
            &fp,
            &format!("padding {i}"),
            &text.join(" "),
            "bench",
            now,
        )
        .unwrap();
    }
    let started = Instant::now();
    let watch = Watch::load(&store, &fp, settings.threshold, settings.min_matches).unwrap();
    println!(
        "loaded 1,000 registered documents in {:.0} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    println!(
        "cost with 1,000 registered: {:.1} µs per document of the corpora",
        time_checks(&watch)
    );
    // A long page: 5,000 words of corpus text.
    let long: Vec<&str> = (0..5_000)
        .map(|_| vocabulary[rng.below(vocabulary.len())].as_str())
        .collect();
    let long = long.join(" ");
    let started = Instant::now();
    for _ in 0..100 {
        std::hint::black_box(watch.check(&fp, &long));
    }
    println!(
        "cost with 1,000 registered: {:.0} µs for a 5,000-word page",
        started.elapsed().as_secs_f64() * 1e6 / 100.0
    );
}
