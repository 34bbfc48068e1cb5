//! Story clusters, built online: each newly matched document joins the most similar live
//! cluster or starts a new one. In: the documents the stored queries matched since the last run
//! (from the state database, in ingest order) and the index; out: cluster assignments and
//! centroids in the state database, with the clustering mark moved in the same transaction (so
//! a crash repeats a run and never assigns a document twice).
//!
//! - A document is a TF-IDF vector over its folded words (title counted twice; words in more
//!   than a fifth of all documents dropped), plus **ties** that cross languages: shared links,
//!   hashtags, quoted strings and capitalised names (`Karim Khan` is spelled alike in English,
//!   French and German coverage).
//! - Candidates come from tantivy: the documents most like the new one (its strongest words and
//!   ties) among those published within the live window; their clusters are the candidates.
//! - Similarity is the cosine with the cluster's centroid, decayed by the hours since the
//!   cluster's newest document (`decay_hours`); below `threshold` the document starts a cluster.
//! - A post that shares or reposts an already clustered article joins that article's cluster.
//! - A cluster's id comes from the document that started it (`n` + its id's first 12
//!   characters), so ids stay the same across runs and restarts.

use super::DetectError;
use crate::index::reader::{Reader, StoredDoc};
use crate::index::schema::TEXT_ANALYZER;
use crate::store::{ClusterMember, ClusterRow, Store};
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, HashMap, HashSet};
use tantivy::DocAddress;
use tantivy::Term;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;

/// Strongest features kept per document.
const DOC_FEATURES: usize = 40;
/// Strongest features kept per centroid.
const CENTROID_FEATURES: usize = 200;
/// Weight of a tie feature (a link, hashtag, quote or name) before normalising.
const TIE_WEIGHT: f32 = 4.0;
/// Documents clustered per run at most (the rest wait for the next run).
const RUN_LIMIT: usize = 20_000;
/// Similar documents asked of tantivy per new document.
const CANDIDATE_DOCS: usize = 20;
/// A document's strongest words searched for similar documents.
const SIMILAR_WORDS: usize = 8;

/// Clustering thresholds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusterSettings {
    /// Least decayed cosine similarity to join a cluster.
    pub threshold: f32,
    /// Hours over which similarity to a quiet cluster halves… roughly: `exp(-hours/decay)`.
    pub decay_hours: f32,
    /// A cluster with nothing newer than this is closed to new documents.
    pub live_hours: i64,
}

impl Default for ClusterSettings {
    fn default() -> ClusterSettings {
        ClusterSettings {
            threshold: 0.22,
            decay_hours: 72.0,
            live_hours: 7 * 24,
        }
    }
}

/// A sparse vector: feature → weight.
pub type Vector = BTreeMap<String, f32>;

fn normalise(vector: &mut Vector) {
    let norm = vector.values().map(|w| w * w).sum::<f32>().sqrt();
    if norm > 0.0 {
        vector.values_mut().for_each(|w| *w /= norm);
    }
}

fn keep_strongest(vector: &mut Vector, n: usize) {
    if vector.len() <= n {
        return;
    }
    let mut weights: Vec<(String, f32)> = std::mem::take(vector).into_iter().collect();
    weights.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    weights.truncate(n);
    *vector = weights.into_iter().collect();
}

/// Cosine of two vectors (not assumed normalised).
pub fn cosine(a: &Vector, b: &Vector) -> f32 {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let dot: f32 = small
        .iter()
        .filter_map(|(k, w)| large.get(k).map(|v| w * v))
        .sum();
    let norms = a.values().map(|w| w * w).sum::<f32>().sqrt()
        * b.values().map(|w| w * w).sum::<f32>().sqrt();
    if norms == 0.0 { 0.0 } else { dot / norms }
}

/// Capitalised runs of two or three words (names), and quoted strings of three to twelve
/// words, folded: ties that read the same across languages.
pub fn ties(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let words: Vec<&str> = text.split_whitespace().collect();
    let is_capital = |w: &str| {
        let w = w.trim_matches(|c: char| !c.is_alphanumeric());
        let mut chars = w.chars();
        chars.next().is_some_and(char::is_uppercase)
            && chars.clone().count() >= 2
            && chars.all(|c| c.is_lowercase() || c == '-')
    };
    let mut i = 0;
    while i < words.len() {
        let mut j = i;
        while j < words.len() && j - i < 3 && is_capital(words[j]) {
            j += 1;
            // A sentence end stops a name.
            if words[j - 1].ends_with(['.', ',', ':', ';']) {
                break;
            }
        }
        if j - i >= 2 {
            let name: Vec<String> = words[i..j]
                .iter()
                .map(|w| fold(w.trim_matches(|c: char| !c.is_alphanumeric())))
                .collect();
            out.push(format!("n:{}", name.join(" ")));
            // Each pair too: "Prosecutor Helena Varga" must meet "procureure Helena Varga".
            if name.len() > 2 {
                for pair in name.windows(2) {
                    out.push(format!("n:{}", pair.join(" ")));
                }
            }
            i = j;
        } else {
            i += 1;
        }
    }
    for (open, close) in [('"', '"'), ('“', '”'), ('«', '»')] {
        let mut rest = text;
        while let Some(start) = rest.find(open) {
            let after = &rest[start + open.len_utf8()..];
            let Some(end) = after.find(close) else { break };
            let quote = &after[..end];
            let n = quote.split_whitespace().count();
            if (3..=12).contains(&n) {
                out.push(format!("q:{}", fold(quote)));
            }
            rest = &after[end + close.len_utf8()..];
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Lowercase, single-spaced, accents kept (ties compare as written).
fn fold(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Builds document vectors with the index's analyzer and document frequencies.
pub struct Vectorizer<'a> {
    reader: &'a Reader,
    searcher: tantivy::Searcher,
    analyzer: tantivy::tokenizer::TextAnalyzer,
    total: f32,
    idf: HashMap<String, Option<f32>>,
}

impl<'a> Vectorizer<'a> {
    pub fn new(reader: &'a Reader) -> Vectorizer<'a> {
        let searcher = reader.searcher();
        let analyzer = reader
            .index()
            .tokenizers()
            .get(TEXT_ANALYZER)
            .unwrap_or_default();
        Vectorizer {
            total: searcher.num_docs().max(1) as f32,
            searcher,
            reader,
            analyzer,
            idf: HashMap::new(),
        }
    }

    /// The inverse document frequency of a word, `None` for words too common to tell stories
    /// apart (in more than a fifth of the documents) or too short.
    fn idf(&mut self, word: &str) -> Option<f32> {
        if let Some(known) = self.idf.get(word) {
            return *known;
        }
        let field = self.reader.fields().body;
        let df = self
            .searcher
            .doc_freq(&Term::from_field_text(field, word))
            .unwrap_or(0) as f32;
        let value = (word.chars().count() > 2 && df <= self.total * 0.2)
            .then(|| (1.0 + self.total / (1.0 + df)).ln());
        self.idf.insert(word.to_string(), value);
        value
    }

    /// The document's vector: TF-IDF over title (twice) and body, plus ties.
    pub fn vector(&mut self, doc: &StoredDoc) -> Vector {
        let mut counts: HashMap<String, f32> = HashMap::new();
        for (text, weight) in [(&doc.title, 2.0), (&doc.body, 1.0)] {
            let mut stream = self.analyzer.token_stream(text);
            while stream.advance() {
                *counts.entry(stream.token().text.clone()).or_default() += weight;
            }
        }
        let mut vector = Vector::new();
        for (word, tf) in counts {
            if let Some(idf) = self.idf(&word) {
                vector.insert(word, (1.0 + tf.ln()) * idf);
            }
        }
        keep_strongest(&mut vector, DOC_FEATURES);
        let text = format!("{}\n{}", doc.title, doc.body);
        let mut tie_features = ties(&text);
        tie_features.extend(doc.hashtags.iter().map(|t| format!("#{t}")));
        tie_features.extend(doc.links.iter().map(|l| format!("link:{l}")));
        if !doc.shared_of.is_empty() {
            tie_features.push(format!("link:{}", doc.shared_of));
        }
        // Its own address: posts that share this article tie to it.
        if !doc.url.is_empty() {
            tie_features.push(format!("link:{}", doc.url));
        }
        for tie in tie_features.into_iter().take(20) {
            vector.insert(tie, TIE_WEIGHT);
        }
        normalise(&mut vector);
        vector
    }

    /// The documents most like `vector` among the segments holding documents published since
    /// `since`: its strongest words over title and body, scored by BM25 with block-max WAND
    /// (tantivy's pruned union, so a million documents cost little more than a thousand),
    /// then the documents sharing one of its links or uncommon hashtags.
    fn similar(
        &mut self,
        searcher: &tantivy::Searcher,
        vector: &Vector,
        since: DateTime<Utc>,
    ) -> Result<Vec<DocAddress>, DetectError> {
        let f = *self.reader.fields();
        let mut words: Vec<(&String, &f32)> = vector
            .iter()
            .filter(|(k, _)| !k.contains(':') && !k.starts_with('#'))
            .collect();
        words.sort_by(|a, b| b.1.total_cmp(a.1).then_with(|| a.0.cmp(b.0)));
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (word, _) in words.into_iter().take(SIMILAR_WORDS) {
            for field in [f.title, f.body] {
                clauses.push((
                    Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_field_text(field, word),
                        IndexRecordOption::WithFreqs,
                    )),
                ));
            }
        }
        let mut ties: Vec<Term> = Vec::new();
        for tie in vector.keys() {
            let term = if let Some(tag) = tie.strip_prefix('#') {
                Term::from_field_text(f.hashtag, tag)
            } else if let Some(link) = tie.strip_prefix("link:") {
                Term::from_field_text(f.link, link)
            } else {
                continue;
            };
            // A hashtag half the stream carries ties nothing.
            if (searcher.doc_freq(&term)? as f32) < self.total * 0.01 + 50.0 {
                ties.push(term);
            }
        }
        let mut found = Vec::new();
        if !clauses.is_empty() {
            let query = BooleanQuery::new(clauses);
            found = top_recent(searcher, &query, since, CANDIDATE_DOCS)?;
        }
        if !ties.is_empty() {
            // Term queries, not a term set: a set query fills a bitset of the whole segment.
            let query = BooleanQuery::new(
                ties.into_iter()
                    .map(|t| {
                        let q: Box<dyn Query> =
                            Box::new(TermQuery::new(t, IndexRecordOption::Basic));
                        (Occur::Should, q)
                    })
                    .collect(),
            );
            for address in top_recent(searcher, &query, since, CANDIDATE_DOCS)? {
                if !found.contains(&address) {
                    found.push(address);
                }
            }
        }
        Ok(found)
    }
}

/// The `k` best hits of `query` in the segments with documents published since `since`, with
/// one threshold carried across segments so later segments prune too.
fn top_recent(
    searcher: &tantivy::Searcher,
    query: &dyn Query,
    since: DateTime<Utc>,
    k: usize,
) -> Result<Vec<DocAddress>, DetectError> {
    let weight = query.weight(tantivy::query::EnableScoring::enabled_from_searcher(
        searcher,
    ))?;
    let since = tantivy::DateTime::from_timestamp_secs(since.timestamp());
    let mut best: Vec<(f32, DocAddress)> = Vec::with_capacity(k + 1);
    let mut threshold = f32::MIN;
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let recent = segment
            .fast_fields()
            .date(crate::index::schema::PUBLISHED)
            .map(|column| column.max_value() >= since)
            .unwrap_or(true);
        if !recent || segment.num_docs() == 0 {
            continue;
        }
        weight.for_each_pruning(threshold, segment, &mut |doc, score| {
            best.push((score, DocAddress::new(ord as u32, doc)));
            if best.len() > k {
                if let Some((worst, _)) = best
                    .iter()
                    .enumerate()
                    .min_by(|a, b| a.1.0.total_cmp(&b.1.0))
                {
                    best.swap_remove(worst);
                }
            }
            if best.len() == k {
                threshold = best.iter().map(|b| b.0).fold(f32::MAX, f32::min);
            }
            threshold
        })?;
    }
    best.sort_by(|a, b| b.0.total_cmp(&a.0));
    Ok(best.into_iter().map(|(_, a)| a).collect())
}

/// A sparse vector keyed by feature hashes, sorted by key: a centroid as kept in memory (a
/// tenth of the size of string keys, and compared by a merge).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sparse {
    keys: Vec<u64>,
    weights: Vec<f32>,
}

/// The stable hash of a feature (stored with centroids, so it must not change between runs).
fn feature_key(feature: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(feature.as_bytes())
}

impl Sparse {
    /// The hashed form of a vector.
    pub fn of(vector: &Vector) -> Sparse {
        let mut pairs: Vec<(u64, f32)> = vector.iter().map(|(k, w)| (feature_key(k), *w)).collect();
        pairs.sort_by_key(|p| p.0);
        pairs.dedup_by_key(|p| p.0);
        Sparse {
            keys: pairs.iter().map(|p| p.0).collect(),
            weights: pairs.iter().map(|p| p.1).collect(),
        }
    }

    fn norm(&self) -> f32 {
        self.weights.iter().map(|w| w * w).sum::<f32>().sqrt()
    }

    /// Cosine of two sparse vectors.
    pub fn cosine(&self, other: &Sparse) -> f32 {
        let (mut i, mut j, mut dot) = (0, 0, 0.0);
        while i < self.keys.len() && j < other.keys.len() {
            match self.keys[i].cmp(&other.keys[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    dot += self.weights[i] * other.weights[j];
                    i += 1;
                    j += 1;
                }
            }
        }
        let norms = self.norm() * other.norm();
        if norms == 0.0 { 0.0 } else { dot / norms }
    }

    /// Adds `other`, then keeps the `n` strongest features.
    fn add(&mut self, other: &Sparse, n: usize) {
        let mut merged: Vec<(u64, f32)> = Vec::with_capacity(self.keys.len() + other.keys.len());
        let (mut i, mut j) = (0, 0);
        while i < self.keys.len() || j < other.keys.len() {
            let a = self.keys.get(i).copied().unwrap_or(u64::MAX);
            let b = other.keys.get(j).copied().unwrap_or(u64::MAX);
            if j >= other.keys.len() || (i < self.keys.len() && a < b) {
                merged.push((a, self.weights[i]));
                i += 1;
            } else if i >= self.keys.len() || b < a {
                merged.push((b, other.weights[j]));
                j += 1;
            } else {
                merged.push((a, self.weights[i] + other.weights[j]));
                i += 1;
                j += 1;
            }
        }
        if merged.len() > n {
            merged.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            merged.truncate(n);
            merged.sort_by_key(|p| p.0);
        }
        self.keys = merged.iter().map(|p| p.0).collect();
        self.weights = merged.iter().map(|p| p.1).collect();
        self.keys.shrink_to_fit();
        self.weights.shrink_to_fit();
    }

    /// The stored form: a JSON list of `[key, weight]` pairs.
    fn to_json(&self) -> String {
        let pairs: Vec<(u64, f32)> = self
            .keys
            .iter()
            .copied()
            .zip(self.weights.iter().copied())
            .collect();
        serde_json::to_string(&pairs).unwrap_or_else(|_| "[]".into())
    }

    /// Reads the stored form; centroids written by older versions (term → weight) are hashed.
    pub fn from_json(text: &str) -> Sparse {
        if let Ok(mut pairs) = serde_json::from_str::<Vec<(u64, f32)>>(text) {
            pairs.sort_by_key(|p| p.0);
            pairs.dedup_by_key(|p| p.0);
            return Sparse {
                keys: pairs.iter().map(|p| p.0).collect(),
                weights: pairs.iter().map(|p| p.1).collect(),
            };
        }
        serde_json::from_str::<Vector>(text)
            .map(|v| Sparse::of(&v))
            .unwrap_or_default()
    }

    /// Bytes held on the heap.
    fn heap_bytes(&self) -> usize {
        self.keys.capacity() * 8 + self.weights.capacity() * 4
    }
}

/// A live cluster, in memory.
#[derive(Debug, Clone)]
struct Live {
    row: ClusterRow,
    centroid: Sparse,
    changed: bool,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub documents: usize,
    pub new_clusters: usize,
    pub joined: usize,
}

/// The id of a cluster started by `doc_id`.
pub fn cluster_id(doc_id: &str) -> String {
    format!("n{}", doc_id.chars().take(12).collect::<String>())
}

/// The online clusterer. It keeps the live clusters (centroids hashed and capped) and the
/// cluster of each of their recent documents (by ingest sequence) in memory between runs, so
/// a run costs the new documents only; the state database stays the record, and the memory is
/// rebuilt from it at the first run and after any failed run.
#[derive(Debug, Default)]
pub struct Clusterer {
    settings: ClusterSettings,
    loaded: bool,
    next_slot: u32,
    slots: HashMap<String, u32>,
    live: HashMap<u32, Live>,
    by_seq: HashMap<u64, u32>,
    /// Clusters evicted since `by_seq` was last pruned.
    evicted: usize,
}

/// How much the clusterer holds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Footprint {
    pub live_clusters: usize,
    pub documents: usize,
    /// An estimate of the bytes held.
    pub bytes: usize,
}

impl Clusterer {
    pub fn new(settings: ClusterSettings) -> Clusterer {
        Clusterer {
            settings,
            ..Clusterer::default()
        }
    }

    /// What the clusterer holds in memory.
    pub fn footprint(&self) -> Footprint {
        let per_cluster: usize = self
            .live
            .values()
            .map(|c| c.centroid.heap_bytes() + c.row.id.len() + c.row.seed_doc.len() + 160)
            .sum();
        Footprint {
            live_clusters: self.live.len(),
            documents: self.by_seq.len(),
            bytes: per_cluster + self.by_seq.capacity() * 16 + self.slots.capacity() * 48,
        }
    }

    fn reset(&mut self) {
        *self = Clusterer::new(self.settings);
    }

    fn insert(&mut self, live: Live) -> u32 {
        if let Some(slot) = self.slots.get(&live.row.id) {
            return *slot;
        }
        let slot = self.next_slot;
        self.next_slot += 1;
        self.slots.insert(live.row.id.clone(), slot);
        self.live.insert(slot, live);
        slot
    }

    /// Loads the clusters live at `newest` and their documents from the state database.
    fn load(&mut self, store: &Store, newest: DateTime<Utc>) -> Result<(), DetectError> {
        self.reset();
        let since = newest - Duration::hours(self.settings.live_hours * 2);
        for mut row in store.clusters_since(since)? {
            let centroid = Sparse::from_json(&std::mem::take(&mut row.centroid));
            self.insert(Live {
                row,
                centroid,
                changed: false,
            });
        }
        for (seq, cluster) in store.cluster_members_since(since)? {
            if let Some(slot) = self.slots.get(&cluster) {
                self.by_seq.insert(seq, *slot);
            }
        }
        self.loaded = true;
        Ok(())
    }

    /// Drops clusters quiet for twice the live window (documents may arrive late).
    fn evict(&mut self, newest: DateTime<Utc>) {
        let cutoff = newest - Duration::hours(self.settings.live_hours * 2);
        let before = self.live.len();
        self.live.retain(|_, c| c.row.last_seen >= cutoff);
        self.evicted += before - self.live.len();
        if self.evicted > 0 && self.evicted * 10 >= self.live.len() {
            let live = &self.live;
            self.slots.retain(|_, slot| live.contains_key(slot));
            self.by_seq.retain(|_, slot| live.contains_key(slot));
            self.evicted = 0;
        }
    }

    /// Clusters every matched document not yet clustered (at most `RUN_LIMIT`). Runs after
    /// each percolated batch, and at start for what a crash left.
    pub fn run(&mut self, store: &Store, reader: &Reader) -> Result<Report, DetectError> {
        let result = self.run_once(store, reader);
        if result.is_err() {
            // Memory may be ahead of the database: rebuild it from the record next time.
            self.reset();
        }
        result
    }

    fn run_once(&mut self, store: &Store, reader: &Reader) -> Result<Report, DetectError> {
        let mut report = Report::default();
        let upto = store.clustered_upto()?;
        let pending = store.matched_after(upto, RUN_LIMIT)?;
        let Some(last_seq) = pending.iter().map(|(_, s)| *s).max() else {
            return Ok(report);
        };
        let seqs: HashMap<&str, u64> = pending.iter().map(|(id, s)| (id.as_str(), *s)).collect();
        let ids: Vec<String> = pending.iter().map(|(id, _)| id.clone()).collect();
        let already: HashMap<String, String> = store.clusters_of(&ids)?.into_iter().collect();
        let docs = reader.docs_by_id(&ids)?;
        let newest = docs
            .iter()
            .map(|d| d.published)
            .max()
            .unwrap_or_else(Utc::now);
        if !self.loaded {
            self.load(store, newest)?;
        }
        self.evict(newest);
        let settings = self.settings;
        let mut vectorizer = Vectorizer::new(reader);
        let searcher = reader.searcher();
        let mut placed: HashMap<String, u32> = HashMap::new();
        let mut members = Vec::new();
        for doc in &docs {
            if let Some(cluster) = already.get(&doc.id) {
                // Matched again (edited, so re-indexed under a new sequence number): keep its
                // cluster, follow its new number.
                let seq = seqs.get(doc.id.as_str()).copied().unwrap_or(doc.seq);
                if let Some(slot) = self.slots.get(cluster) {
                    self.by_seq.insert(seq, *slot);
                }
                members.push(ClusterMember {
                    doc_id: doc.id.clone(),
                    cluster_id: cluster.clone(),
                    published: doc.published,
                    similarity: 0.0,
                    seq,
                });
                continue;
            }
            let vector = vectorizer.vector(doc);
            let sparse = Sparse::of(&vector);
            let since = doc.published - Duration::hours(settings.live_hours);
            let similar = vectorizer.similar(&searcher, &vector, since)?;
            let candidates: HashSet<u32> = reader
                .seqs_at(&searcher, &similar)?
                .into_iter()
                .filter(|s| *s != doc.seq)
                .filter_map(|s| self.by_seq.get(&s).copied())
                .collect();
            let mut best: Option<(u32, f32)> = None;
            for slot in candidates {
                let Some(cluster) = self.live.get(&slot) else {
                    continue;
                };
                let quiet =
                    (doc.published - cluster.row.last_seen).num_minutes().max(0) as f32 / 60.0;
                if quiet > settings.live_hours as f32 {
                    continue;
                }
                let similarity =
                    sparse.cosine(&cluster.centroid) * (-quiet / settings.decay_hours).exp();
                if best.is_none_or(|(_, s)| similarity > s) {
                    best = Some((slot, similarity));
                }
            }
            // A post that shares (or reposts) a clustered article belongs to that article's
            // story, whatever its own few words say: the article's id comes from its address.
            let shared: Vec<String> = doc
                .links
                .iter()
                .chain(std::iter::once(&doc.shared_of))
                .filter(|l| !l.is_empty())
                .map(|l| crate::normalise::document_id(l, None, "", "", doc.published))
                .filter(|id| *id != doc.id)
                .collect();
            let mut shared_cluster = shared.iter().find_map(|id| placed.get(id).copied());
            if shared_cluster.is_none() && !shared.is_empty() {
                shared_cluster = store
                    .clusters_of(&shared)?
                    .into_iter()
                    .find_map(|(_, c)| self.slots.get(&c).copied());
            }
            if let Some(slot) = shared_cluster.filter(|s| self.live.contains_key(s)) {
                best = Some((slot, 1.0));
            }
            report.documents += 1;
            let (slot, similarity) = match best.filter(|(_, s)| *s >= settings.threshold) {
                Some(found) => {
                    report.joined += 1;
                    found
                }
                None => {
                    report.new_clusters += 1;
                    let id = cluster_id(&doc.id);
                    let slot = self.insert(Live {
                        row: ClusterRow {
                            id,
                            seed_doc: doc.id.clone(),
                            first_seen: doc.published,
                            last_seen: doc.published,
                            size: 0,
                            centroid: String::new(),
                        },
                        centroid: Sparse::default(),
                        changed: true,
                    });
                    (slot, 1.0)
                }
            };
            let Some(cluster) = self.live.get_mut(&slot) else {
                continue;
            };
            cluster.centroid.add(&sparse, CENTROID_FEATURES);
            cluster.row.size += 1;
            cluster.row.first_seen = cluster.row.first_seen.min(doc.published);
            cluster.row.last_seen = cluster.row.last_seen.max(doc.published);
            cluster.changed = true;
            placed.insert(doc.id.clone(), slot);
            self.by_seq.insert(doc.seq, slot);
            members.push(ClusterMember {
                doc_id: doc.id.clone(),
                cluster_id: cluster.row.id.clone(),
                published: doc.published,
                similarity: similarity as f64,
                seq: doc.seq,
            });
        }
        let rows: Vec<ClusterRow> = self
            .live
            .values_mut()
            .filter(|c| c.changed)
            .map(|c| {
                c.changed = false;
                ClusterRow {
                    centroid: c.centroid.to_json(),
                    ..c.row.clone()
                }
            })
            .collect();
        store.record_clustering(&rows, &members, last_seq)?;
        Ok(report)
    }
}

/// Clusters every matched document not yet clustered, with a clusterer loaded for this call
/// only (tools and tests; the pipeline keeps one `Clusterer` alive).
pub fn cluster_pending(
    store: &Store,
    reader: &Reader,
    settings: &ClusterSettings,
) -> Result<Report, DetectError> {
    Clusterer::new(*settings).run(store, reader)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_find_names_and_quotes_in_any_language() {
        let cases: &[(&str, &[&str])] = &[
            (
                "Prosecutor Helena Varga met Viktor Raskov.",
                &["n:helena varga", "n:prosecutor helena varga"],
            ),
            (
                "La procureure Helena Varga a rencontré Viktor Raskov",
                &["n:helena varga", "n:viktor raskov"],
            ),
            (
                "He said “the court is a political tool” today",
                &["q:the court is a political tool"],
            ),
            ("no names here at all", &[]),
        ];
        for (text, expected) in cases {
            let found = ties(text);
            for e in *expected {
                assert!(found.iter().any(|f| f == e), "{text}: {found:?} lacks {e}");
            }
            if expected.is_empty() {
                assert!(found.is_empty(), "{text}: {found:?}");
            }
        }
    }

    #[test]
    fn hashed_vectors_agree_with_string_vectors() {
        let a: Vector = [
            ("court".into(), 0.5),
            ("khan".into(), 2.0),
            ("n:karim khan".into(), 4.0),
        ]
        .into();
        let b: Vector = [("khan".into(), 1.0), ("warrant".into(), 3.0)].into();
        let (sa, sb) = (Sparse::of(&a), Sparse::of(&b));
        assert!((sa.cosine(&sb) - cosine(&a, &b)).abs() < 1e-6);
        assert!((sa.cosine(&sa) - 1.0).abs() < 1e-6);
        assert_eq!(sa.cosine(&Sparse::default()), 0.0);
        // Adding sums shared features and keeps the strongest.
        let mut sum = sa.clone();
        sum.add(&sb, 3);
        let mut expected: Vector = a.clone();
        for (k, w) in &b {
            *expected.entry(k.clone()).or_default() += w;
        }
        keep_strongest(&mut expected, 3);
        assert_eq!(sum, Sparse::of(&expected));
        // The stored form round-trips, and centroids stored as term → weight still load.
        assert_eq!(Sparse::from_json(&sum.to_json()), sum);
        assert_eq!(Sparse::from_json(&serde_json::to_string(&a).unwrap()), sa);
        assert_eq!(Sparse::from_json("not json"), Sparse::default());
    }

    /// Six stories told in their own words, arriving in rounds of 60 documents.
    struct Corpus {
        store: Store,
        reader: Reader,
        writer: crate::index::writer::Writer,
        n: u64,
        truth: HashMap<String, usize>,
    }

    impl Corpus {
        fn open(dir: &std::path::Path) -> Corpus {
            let index = crate::index::open_or_create(&dir.join("index")).unwrap();
            Corpus {
                store: Store::open(&dir.join("state.sqlite")).unwrap(),
                writer: crate::index::writer::Writer::open(&index).unwrap(),
                reader: Reader::open(&index).unwrap(),
                n: 0,
                truth: HashMap::new(),
            }
        }

        fn round(&mut self, round: usize) {
            use crate::model::{Document, Match};
            let now = Utc::now();
            let mut docs = Vec::new();
            for k in 0..60 {
                let story = (k * 7 + round) % 6;
                let words: Vec<String> = (0..40)
                    .map(|i| format!("s{story}w{}", (i * 13 + k + round) % 25))
                    .collect();
                self.n += 1;
                let n = self.n;
                self.truth.insert(format!("doc{n:04}"), story);
                docs.push(Document {
                    id: format!("doc{n:04}"),
                    url: format!("https://outlet{}.example.org/{n}", k % 5),
                    source: format!("outlet{}", k % 5),
                    kind: "news".into(),
                    title: words[..8].join(" "),
                    body: words.join(" "),
                    author: String::new(),
                    lang: "en".into(),
                    published: now - Duration::hours(60 - n as i64 / 3),
                    fetched: now,
                    content_hash: n,
                    simhash: n,
                    dup_group: format!("doc{n:04}"),
                    social: Default::default(),
                });
            }
            self.writer.upsert(&docs).unwrap();
            let batch = self.writer.commit().unwrap().unwrap();
            let matches: Vec<Match> = docs
                .iter()
                .enumerate()
                .map(|(i, d)| Match {
                    query_id: "q".into(),
                    doc_id: d.id.clone(),
                    source: d.source.clone(),
                    published: d.published,
                    seq: batch.first_seq + i as u64,
                })
                .collect();
            self.store.record_matches(&matches, batch.last_seq).unwrap();
            self.reader.reload().unwrap();
        }

        fn assignments(&self) -> Vec<(String, String)> {
            let ids: Vec<String> = (1..=self.n).map(|n| format!("doc{n:04}")).collect();
            self.store.clusters_of(&ids).unwrap()
        }
    }

    #[test]
    fn a_kept_clusterer_and_a_reloaded_one_agree_and_find_the_stories() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (mut kept_corpus, mut reloaded_corpus) =
            (Corpus::open(a.path()), Corpus::open(b.path()));
        // One clusterer kept between batches (the pipeline), and one reloaded from the state
        // database for every batch (a restart before each).
        let mut kept = Clusterer::new(ClusterSettings::default());
        for round in 0..3 {
            kept_corpus.round(round);
            reloaded_corpus.round(round);
            let report = kept.run(&kept_corpus.store, &kept_corpus.reader).unwrap();
            let again = cluster_pending(
                &reloaded_corpus.store,
                &reloaded_corpus.reader,
                &ClusterSettings::default(),
            )
            .unwrap();
            assert_eq!(report, again, "round {round}");
            assert_eq!(report.documents, 60);
            // Nothing is assigned twice.
            assert_eq!(
                kept.run(&kept_corpus.store, &kept_corpus.reader)
                    .unwrap()
                    .documents,
                0
            );
        }
        let got = kept_corpus.assignments();
        assert_eq!(got.len(), 180);
        assert_eq!(got, reloaded_corpus.assignments());
        assert_eq!(kept.footprint().live_clusters, 6);
        assert_eq!(kept.footprint().documents, 180);
        // Each story is one cluster, and no cluster mixes stories.
        let mut clusters_of_story: HashMap<usize, HashSet<String>> = HashMap::new();
        let mut stories_of_cluster: HashMap<String, HashSet<usize>> = HashMap::new();
        for (doc, cluster) in &got {
            let story = kept_corpus.truth[doc];
            clusters_of_story
                .entry(story)
                .or_default()
                .insert(cluster.clone());
            stories_of_cluster
                .entry(cluster.clone())
                .or_default()
                .insert(story);
        }
        assert!(
            stories_of_cluster.values().all(|s| s.len() == 1),
            "{stories_of_cluster:?}"
        );
        assert!(
            clusters_of_story.values().all(|c| c.len() == 1),
            "{clusters_of_story:?}"
        );
    }

    #[test]
    fn cosine_and_strongest_features() {
        let a: Vector = [("x".to_string(), 1.0), ("y".to_string(), 1.0)].into();
        let b: Vector = [("x".to_string(), 2.0)].into();
        assert!((cosine(&a, &b) - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6);
        assert_eq!(cosine(&a, &Vector::new()), 0.0);
        let mut v: Vector = [("a".into(), 3.0), ("b".into(), 1.0), ("c".into(), 2.0)].into();
        keep_strongest(&mut v, 2);
        assert_eq!(v.keys().collect::<Vec<_>>(), vec!["a", "c"]);
        assert_eq!(cluster_id("0123456789abcdefXYZ"), "n0123456789ab");
    }
}
