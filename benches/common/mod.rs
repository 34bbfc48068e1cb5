//! What the benchmarks share: peak memory, and a deterministic generator of news-like
//! documents (a Zipf vocabulary of pseudo-words with the court's topic words in the middle of
//! the frequency range and officials' names in three scripts) for the percolation and
//! detection benchmarks.
#![allow(dead_code)]

use vigil::model::Document;

/// Resets this process's peak resident memory mark (Linux), so a later `peak_rss_mib` measures
/// one phase of a benchmark.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// This process's peak resident memory (VmHWM), in MiB.
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// A small deterministic generator (xorshift64*), so every run sees the same corpus.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Zipf-like rank: small ranks far more often.
    pub fn rank(&mut self, n: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((n as f64).powf(u) as usize).saturating_sub(1).min(n - 1)
    }
}

/// A vocabulary of pronounceable pseudo-words, most frequent first, after real topic words.
pub fn vocabulary() -> Vec<String> {
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

pub const NAMES: &[&str] = &[
    "Karim Khan",
    "Карим Хан",
    "كريم خان",
    "Tomoko Akane",
    "Rosario Aitala",
    "Piotr Hofmanski",
    "Osvaldo Zavala Giler",
    "Kimberly Prost",
];

pub fn document(rng: &mut Rng, vocab: &[String], n: u64) -> Document {
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

/// The generated index of `size` documents under `$VIGIL_BENCH_DIR` (default
/// `/var/tmp/vigil-bench`), built once and reused by the benchmarks that need a large index;
/// with its writer and its highest ingest sequence number.
pub fn open_or_build(
    size: usize,
    vocab: &[String],
) -> (tantivy::Index, vigil::index::writer::Writer, u64) {
    let root = std::env::var_os("VIGIL_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from("/var/tmp/vigil-bench"));
    let dir = root.join(format!("percolate-{size}"));
    let index = vigil::index::open_or_create(&dir).unwrap_or_else(|e| panic!("{e}"));
    let mut writer = vigil::index::writer::Writer::open(&index).unwrap_or_else(|e| panic!("{e}"));
    let existing = vigil::index::writer::max_seq(&index)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or(0);
    if (existing as usize) < size {
        let started = std::time::Instant::now();
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

/// The value at quantile `p` of sorted samples.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// A deployment folder for the web benchmarks: the generated index of `size` documents
/// (symlinked, not copied) and one stored query (`warrant`). `vigil.toml` is the caller's.
pub fn served_dir(size: usize) -> tempfile::TempDir {
    let root = std::env::var_os("VIGIL_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from("/var/tmp/vigil-bench"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink(
        root.join(format!("percolate-{size}")),
        dir.path().join("tantivy"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(dir.path().join("queries")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("queries/warrant.toml"),
        "id = \"warrant\"\ntitle = \"warrant\"\nquery = \"warrant AND court\"\nseverity = \"watch\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    dir
}

/// The searches the web benchmarks send: names in three scripts with a topic word, NEAR between
/// groups with an exclusion, and a wildcard, over the generated vocabulary.
pub fn search_queries(vocab: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, name) in NAMES.iter().enumerate().take(12) {
        let w = &vocab[30 + i * 7];
        out.push(format!("\"{name}\" OR (court AND {w})"));
        out.push(format!(
            "(prosecutor OR judges) NEAR/5 {w} -{}",
            vocab[400 + i]
        ));
        out.push(format!("warrant AND {w}*"));
    }
    out
}
