//! The leak watch's test protocol (tests/fixtures/leakwatch/README.md), shared by
//! `benches/leakwatch.rs` and `tests/it/leaks.rs` (both include this file): the registered
//! documents, the corpora's documents, and the trials that publish a changed paragraph.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use vigil::model::Document;

/// The repository's root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The registered documents the watch was tuned on: (name, text).
pub fn registered() -> Vec<(String, String)> {
    registered_in("registered")
}

/// The registered documents of `registered` (tuned on) or `heldout` (never tuned on).
pub fn registered_in(set: &str) -> Vec<(String, String)> {
    let dir = root().join("tests/fixtures/leakwatch").join(set);
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// Every document of a corpus folder (`demo`, `scenario`, …), parsed and normalised by Vigil
/// from its feed files.
pub fn corpus(name: &str) -> Vec<Document> {
    let dir = root().join(name);
    let base = "http://corpus.invalid";
    let data = std::env::temp_dir();
    let config = vigil::demo::load_config(&dir, base, &data, &root().join("queries")).unwrap();
    let mut out = Vec::new();
    for source in &config.sources {
        let file = dir.join(source.url.path().trim_start_matches('/'));
        let Ok(body) = std::fs::read(&file) else {
            continue;
        };
        let content_type = if file.extension().is_some_and(|e| e == "json") {
            "application/json"
        } else {
            "application/xml"
        };
        let fetched = vigil::model::Fetched {
            source: source.name.clone(),
            url: source.url.clone(),
            status: 200,
            not_modified: false,
            content_type: Some(content_type.into()),
            etag: None,
            last_modified: None,
            cache_control: None,
            expires: None,
            body: body.into(),
            fetched_at: chrono::Utc::now(),
            elapsed: std::time::Duration::ZERO,
            http: None,
        };
        let Ok(parsed) = vigil::parse::parse(source, &fetched) else {
            continue;
        };
        for item in parsed.items {
            if let Some(doc) = vigil::normalise::normalise(
                item,
                &source.name,
                source.kind.as_str(),
                fetched.fetched_at,
            ) {
                out.push(doc);
            }
        }
    }
    out
}

/// The four corpora.
pub const CORPORA: [&str; 4] = ["demo", "scenario", "multilingual", "heldout"];

/// A small deterministic generator (xorshift64*).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// Changes `share` of the words: of the changed positions, 60% replaced by a vocabulary word,
/// 25% swapped with the next word, 15% deleted.
pub fn mutate(words: &[&str], share: f64, vocabulary: &[String], rng: &mut Rng) -> Vec<String> {
    let mut out: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    let mut i = 0;
    let mut deleted = Vec::new();
    while i < out.len() {
        if rng.chance(share) {
            let roll = rng.below(100);
            if roll < 60 {
                out[i] = vocabulary[rng.below(vocabulary.len())].clone();
            } else if roll < 85 && i + 1 < out.len() {
                out.swap(i, i + 1);
                i += 1;
            } else {
                deleted.push(i);
            }
        }
        i += 1;
    }
    for i in deleted.into_iter().rev() {
        out.remove(i);
    }
    out
}

/// The paragraphs of a text with at least `min_words` words.
pub fn paragraphs(text: &str, min_words: usize) -> Vec<&str> {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| p.split_whitespace().count() >= min_words)
        .collect()
}

/// One trial: a changed paragraph of a registered document published inside a news page.
/// Returns the index of the registered document and the page (title, body).
pub fn trial(
    registered: &[(String, String)],
    news: &[Document],
    vocabulary: &[String],
    rng: &mut Rng,
) -> (usize, Document) {
    trial_with(registered, news, vocabulary, 0.30, rng)
}

/// `trial` with another share of words changed.
pub fn trial_with(
    registered: &[(String, String)],
    news: &[Document],
    vocabulary: &[String],
    share: f64,
    rng: &mut Rng,
) -> (usize, Document) {
    let source = rng.below(registered.len());
    let candidates = paragraphs(&registered[source].1, 40);
    let paragraph = candidates[rng.below(candidates.len())];
    let words: Vec<&str> = paragraph.split_whitespace().collect();
    let changed = mutate(&words, share, vocabulary, rng);
    let around = |rng: &mut Rng| {
        let doc = &news[rng.below(news.len())];
        doc.body
            .split_whitespace()
            .take(60)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut page = news[rng.below(news.len())].clone();
    page.body = format!(
        "{}\n\n{}\n\n{}",
        around(rng),
        changed.join(" "),
        around(rng)
    );
    (source, page)
}

/// The corpora's words (for replacements and padding).
pub fn vocabulary(news: &[Document]) -> Vec<String> {
    let mut words: Vec<String> = news
        .iter()
        .flat_map(|d| d.body.split_whitespace().map(str::to_string))
        .filter(|w| w.chars().all(char::is_alphabetic))
        .collect();
    words.sort();
    words.dedup();
    words
}

/// Makes `dir/vigil.toml` with a leak watch whose key is in `dir/leak.key`; returns the
/// configuration's path.
pub fn leakwatch_config(dir: &Path, extra: &str) -> PathBuf {
    std::fs::write(dir.join("leak.key"), "a test key that is long enough\n").unwrap();
    let path = dir.join("vigil.toml");
    std::fs::write(
        &path,
        format!(
            "data_dir = \"data\"\n[crawl]\ncontact_url = \"https://vigil.example.org/c\"\n{extra}\n[[channels]]\nname = \"security-desk\"\nkind = \"folder\"\npath = \"security-desk\"\n\n[leakwatch]\nkey_file = \"leak.key\"\nchannels = [\"security-desk\"]\n"
        ),
    )
    .unwrap();
    path
}
