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

use crate::index::IndexError;
use crate::index::reader::{Reader, StoredDoc};
use crate::index::schema::TEXT_ANALYZER;
use crate::store::{ClusterMember, ClusterRow, Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, HashMap, HashSet};
use tantivy::Term;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery};
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

    /// A query for the documents most like `vector`: its strongest words and its ties.
    fn similar_query(&mut self, vector: &Vector, since: DateTime<Utc>) -> Box<dyn Query> {
        let f = *self.reader.fields();
        let mut words: Vec<(&String, &f32)> = vector
            .iter()
            .filter(|(k, _)| !k.contains(':') && !k.starts_with('#'))
            .collect();
        words.sort_by(|a, b| b.1.total_cmp(a.1));
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (word, _) in words.into_iter().take(10) {
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
        for tie in vector.keys() {
            let clause: Option<Box<dyn Query>> = if let Some(tag) = tie.strip_prefix('#') {
                Some(Box::new(TermQuery::new(
                    Term::from_field_text(f.hashtag, tag),
                    IndexRecordOption::Basic,
                )))
            } else if let Some(link) = tie.strip_prefix("link:") {
                Some(Box::new(TermQuery::new(
                    Term::from_field_text(f.link, link),
                    IndexRecordOption::Basic,
                )))
            } else if let Some(name) = tie.strip_prefix("n:") {
                let mut terms: Vec<Term> = Vec::new();
                let mut stream = self.analyzer.token_stream(name);
                while stream.advance() {
                    terms.push(Term::from_field_text(f.body, &stream.token().text));
                }
                (terms.len() > 1).then(|| Box::new(PhraseQuery::new(terms)) as Box<dyn Query>)
            } else {
                None
            };
            if let Some(clause) = clause {
                clauses.push((Occur::Should, clause));
            }
        }
        let range = RangeQuery::new(
            std::ops::Bound::Included(Term::from_field_date(
                f.published,
                tantivy::DateTime::from_timestamp_secs(since.timestamp()),
            )),
            std::ops::Bound::Unbounded,
        );
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, Box::new(BooleanQuery::new(clauses))),
            (Occur::Must, Box::new(range)),
        ]))
    }
}

/// A cluster being updated.
#[derive(Debug, Clone)]
struct Live {
    row: ClusterRow,
    centroid: Vector,
    changed: bool,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub documents: usize,
    pub new_clusters: usize,
    pub joined: usize,
}

/// An error of a clustering run.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("clustering: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
}

/// The id of a cluster started by `doc_id`.
pub fn cluster_id(doc_id: &str) -> String {
    format!("n{}", doc_id.chars().take(12).collect::<String>())
}

/// Clusters every matched document not yet clustered. Runs after each percolated batch (and
/// at start, for what a crash left).
pub fn cluster_pending(
    store: &Store,
    reader: &Reader,
    settings: &ClusterSettings,
) -> Result<Report, ClusterError> {
    let mut report = Report::default();
    let upto = store.clustered_upto()?;
    let pending = store.matched_after(upto, RUN_LIMIT)?;
    let Some(last_seq) = pending.iter().map(|(_, s)| *s).max() else {
        return Ok(report);
    };
    let ids: Vec<String> = pending.iter().map(|(id, _)| id.clone()).collect();
    let already: HashSet<String> = store
        .clusters_of(&ids)?
        .into_iter()
        .map(|(d, _)| d)
        .collect();
    let docs = reader.docs_by_id(&ids)?;
    let newest = docs
        .iter()
        .map(|d| d.published)
        .max()
        .unwrap_or_else(Utc::now);
    let mut live: HashMap<String, Live> = store
        .clusters_since(newest - Duration::hours(settings.live_hours * 2))?
        .into_iter()
        .map(|row| {
            let centroid: Vector = serde_json::from_str(&row.centroid).unwrap_or_default();
            (
                row.id.clone(),
                Live {
                    row,
                    centroid,
                    changed: false,
                },
            )
        })
        .collect();
    let mut vectorizer = Vectorizer::new(reader);
    let searcher = reader.searcher();
    // Documents of this run already placed, for candidates tantivy finds among them.
    let mut placed: HashMap<String, String> = HashMap::new();
    let mut placed_seq: HashMap<u64, String> = HashMap::new();
    let mut members = Vec::new();
    for doc in docs.iter().filter(|d| !already.contains(&d.id)) {
        let vector = vectorizer.vector(doc);
        let since = doc.published - Duration::hours(settings.live_hours);
        let query = vectorizer.similar_query(&vector, since);
        let similar = searcher.search(
            &*query,
            &TopDocs::with_limit(CANDIDATE_DOCS).order_by_score(),
        )?;
        // Candidates by ingest sequence (a fast field): no id or stored text is read.
        let addresses: Vec<_> = similar.into_iter().map(|(_, a)| a).collect();
        let similar_seqs: Vec<u64> = reader
            .seqs_at(&searcher, &addresses)?
            .into_iter()
            .filter(|s| *s != doc.seq)
            .collect();
        let mut candidates: HashSet<String> = store
            .clusters_of_seqs(&similar_seqs)?
            .into_iter()
            .map(|(_, c)| c)
            .collect();
        candidates.extend(
            similar_seqs
                .iter()
                .filter_map(|s| placed_seq.get(s).cloned()),
        );
        let mut best: Option<(String, f32)> = None;
        for id in candidates {
            let Some(cluster) = live.get(&id) else {
                continue;
            };
            let quiet = (doc.published - cluster.row.last_seen).num_minutes().max(0) as f32 / 60.0;
            if quiet > settings.live_hours as f32 {
                continue;
            }
            let similarity =
                cosine(&vector, &cluster.centroid) * (-quiet / settings.decay_hours).exp();
            if best.as_ref().is_none_or(|(_, s)| similarity > *s) {
                best = Some((id, similarity));
            }
        }
        // A post that shares (or reposts) a clustered article belongs to that article's story,
        // whatever its own few words say: the article's id comes from its address.
        let shared: Vec<String> = doc
            .links
            .iter()
            .chain(std::iter::once(&doc.shared_of))
            .filter(|l| !l.is_empty())
            .map(|l| crate::normalise::document_id(l, None, "", "", doc.published))
            .filter(|id| *id != doc.id)
            .collect();
        let mut shared_cluster = shared.iter().find_map(|id| placed.get(id).cloned());
        if shared_cluster.is_none() && !shared.is_empty() {
            shared_cluster = store
                .clusters_of(&shared)?
                .into_iter()
                .map(|(_, c)| c)
                .next();
        }
        if let Some(cluster) = shared_cluster.filter(|c| live.contains_key(c)) {
            best = Some((cluster, 1.0));
        }
        report.documents += 1;
        let (id, similarity) = match best.filter(|(_, s)| *s >= settings.threshold) {
            Some((id, similarity)) => {
                report.joined += 1;
                (id, similarity)
            }
            None => {
                report.new_clusters += 1;
                let id = cluster_id(&doc.id);
                live.entry(id.clone()).or_insert(Live {
                    row: ClusterRow {
                        id: id.clone(),
                        seed_doc: doc.id.clone(),
                        first_seen: doc.published,
                        last_seen: doc.published,
                        size: 0,
                        centroid: String::new(),
                    },
                    centroid: Vector::new(),
                    changed: true,
                });
                (id, 1.0)
            }
        };
        if let Some(cluster) = live.get_mut(&id) {
            for (k, w) in &vector {
                *cluster.centroid.entry(k.clone()).or_default() += w;
            }
            keep_strongest(&mut cluster.centroid, CENTROID_FEATURES);
            cluster.row.size += 1;
            cluster.row.first_seen = cluster.row.first_seen.min(doc.published);
            cluster.row.last_seen = cluster.row.last_seen.max(doc.published);
            cluster.changed = true;
        }
        placed.insert(doc.id.clone(), id.clone());
        placed_seq.insert(doc.seq, id.clone());
        members.push(ClusterMember {
            doc_id: doc.id.clone(),
            cluster_id: id,
            published: doc.published,
            similarity: similarity as f64,
            seq: doc.seq,
        });
    }
    let rows: Vec<ClusterRow> = live
        .into_values()
        .filter(|c| c.changed)
        .map(|mut c| {
            c.row.centroid = serde_json::to_string(&c.centroid).unwrap_or_else(|_| "{}".into());
            c.row
        })
        .collect();
    store.record_clustering(&rows, &members, last_seq)?;
    Ok(report)
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
