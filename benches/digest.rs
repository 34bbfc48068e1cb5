//! Digest cost: the time to build a day's digest (narratives, query volumes against the day
//! before, top documents with highlighted snippets, source health) over N matched documents in
//! the period, the time to render every format, and the size of the resulting email (the whole
//! MIME message, text and HTML parts) and of each part.
//!
//! The documents are the generated news of `common` (Zipf vocabulary, officials' names, eight
//! languages), all published in the last 24 hours, indexed and percolated as the pipeline does
//! (batches of 1,000) against four stored queries, the broadest matching every document, then
//! clustered.
//!
//! Run: `cargo bench --bench digest` (N = 100,000; pass another after `--`).

#[path = "common/mod.rs"]
mod common;

use common::{Rng, document, vocabulary};
use std::time::Instant;
use vigil::index::writer::Writer;
use vigil::model::Document;

const QUERIES: &[(&str, &str, &str)] = &[
    ("everything", "*", "info"),
    (
        "court-words",
        "court OR warrant OR prosecutor OR registry",
        "watch",
    ),
    ("chamber-judges", "judges NEAR/5 chamber", "urgent"),
    ("victims-hearing", "victims AND hearing", "watch"),
];

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let queries = dir.path().join("queries");
    std::fs::create_dir_all(&queries).unwrap_or_else(|e| panic!("{e}"));
    for (id, query, severity) in QUERIES {
        std::fs::write(
            queries.join(format!("{id}.toml")),
            format!("id = {id:?}\ntitle = {id:?}\nquery = {query:?}\nseverity = {severity:?}\n"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
    let config_path = dir.path().join("vigil.toml");
    std::fs::write(
        &config_path,
        "data_dir = \"data\"\nqueries_dir = \"queries\"\n[crawl]\ncontact_url = \"mailto:bench@court.example.org\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let config = vigil::config::Config::load(&config_path).unwrap_or_else(|e| panic!("{e}"));
    let read = vigil::readside::ReadSide::open(&config).unwrap_or_else(|e| panic!("{e}"));

    let started = Instant::now();
    let vocab = vocabulary();
    let mut rng = Rng(0xD16E57);
    let now = chrono::Utc::now();
    let mut writer = Writer::open(read.reader.index()).unwrap_or_else(|e| panic!("{e}"));
    let mut clusterer = vigil::detect::cluster::Clusterer::new(Default::default());
    let mut matched = 0;
    for start in (0..n).step_by(1_000) {
        let batch: Vec<Document> = (start..(start + 1_000).min(n))
            .map(|i| {
                let mut doc = document(&mut rng, &vocab, i as u64);
                doc.published = now - chrono::Duration::seconds((i as i64 * 86_000) / n as i64);
                doc
            })
            .collect();
        writer.upsert(&batch).unwrap_or_else(|e| panic!("{e}"));
        let committed = writer
            .commit()
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("empty commit"));
        read.reader.reload().unwrap_or_else(|e| panic!("{e}"));
        let matches = vigil::percolate::match_batch(&read.reader, &read.queries(), &committed)
            .unwrap_or_else(|e| panic!("{e}"));
        matched += matches.len();
        read.store
            .record_matches(&matches, committed.last_seq)
            .unwrap_or_else(|e| panic!("{e}"));
        clusterer
            .run(&read.store, &read.reader, &Default::default())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let footprint = clusterer.footprint();
    println!(
        "{n} documents indexed, percolated ({matched} matches) and clustered ({} live clusters) in {:.0} s\n",
        footprint.live_clusters,
        started.elapsed().as_secs_f64()
    );

    let selection = vigil::alert::digest::Selection::all();
    let mut builds = Vec::new();
    let mut digest = None;
    for _ in 0..3 {
        let started = Instant::now();
        let built = vigil::alert::digest::build(
            &read,
            &config,
            &selection,
            now - chrono::Duration::hours(24),
            now + chrono::Duration::seconds(1),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        builds.push(started.elapsed().as_secs_f64());
        digest = Some(built);
    }
    let Some(digest) = digest else { return };
    let started = Instant::now();
    let rendered = vigil::alert::render::render(&digest);
    let render_ms = started.elapsed().as_secs_f64() * 1_000.0;
    let smtp = vigil::config::alerting::Smtp {
        host: "127.0.0.1".into(),
        port: 25,
        security: vigil::config::alerting::Security::None,
        username: None,
        password: None,
        from: "Vigil <vigil@court.example.org>".into(),
        to: vec!["press@court.example.org".into()],
        ca_file: None,
        timeout: std::time::Duration::from_secs(10),
    };
    let envelope = vigil::alert::deliver::Envelope {
        key: "bench/mail",
        recipients: &[],
        rendered: &rendered,
    };
    let email = vigil::alert::deliver::email_message(&smtp, &envelope)
        .unwrap_or_else(|e| panic!("{e}"))
        .formatted();
    let in_period: usize = digest.volumes.iter().map(|v| v.count).max().unwrap_or(0);
    println!(
        "| matched documents in the period | digest build, first (s) | digest build, median of 3 (s) | render all formats (ms) | email (KiB) | HTML part (KiB) | text part (KiB) | narratives | top documents |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut sorted = builds.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "| {in_period} | {:.2} | {:.2} | {render_ms:.1} | {:.1} | {:.1} | {:.1} | {} | {} |",
        builds[0],
        sorted[sorted.len() / 2],
        email.len() as f64 / 1024.0,
        rendered.html.len() as f64 / 1024.0,
        rendered.text.len() as f64 / 1024.0,
        digest.narratives.len(),
        digest.top_documents.len()
    );
}
