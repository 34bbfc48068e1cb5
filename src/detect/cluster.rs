//! Story clusters, built online: each newly matched document joins the most similar live
//! cluster or starts a new one. In: the documents the stored queries matched since the last run
//! (from the state database, in ingest order) and the index; out: cluster assignments and
//! centroids in the state database, with the clustering mark moved in the same transaction (so
//! a crash repeats a run and never assigns a document twice).
//!
//! - A document is a TF-IDF vector over its folded words (title counted twice; words in more
//!   than a fifth of all documents dropped), plus **ties** that cross languages: shared links,
//!   hashtags, quoted strings, capitalised names (`Karim Khan` is spelled alike in English,
//!   French and German coverage) and the concepts of a glossary (`super::concepts`).
//! - Candidates come from memory, never from a search of the window: a word index of the live
//!   clusters (each under its centroid's strongest words, the latest clusters per word) and a
//!   tie index (names, links, hashtags, concepts, claims), so a document costs about the same
//!   with a million documents in the window as with ten thousand; document frequencies read
//!   from the index are kept from one run to the next while it grows by less than a tenth.
//! - A document making claims (the stored queries rated watch or urgent it matched, bar those
//!   about the manner of saying, such as hearsay) joins only a story making one of them, at a
//!   lower bar when they make the same claims, and such a story stays open longer. A document
//!   making none joins a story making one only by strong ties in another language (the claim
//!   relayed in words no stored query knows), never by words or a shared name; and a document
//!   making a claim joins a story making none only so too (the claim told before in another
//!   language, in words no stored query knows).
//! - Similarity is the cosine with the cluster's centroid, decayed by the hours since the
//!   cluster's newest document (`decay_hours`); below `threshold` the document starts a cluster.
//!   Across languages the ties stand in for the words, in the measure that the story is told in
//!   other languages than the document's (a centroid that is three parts French meets an
//!   English report's words a quarter as well); a post sharing a link lends its story no
//!   language.
//! - A post that shares or reposts an already clustered article joins that article's cluster;
//!   posts that shared it before Vigil had it (the crawl lags the social stream) started a
//!   story of their own, which the article's story adopts when the article comes (while that
//!   story is smaller than a narrative and was never alerted);
//!   a near-copy of a clustered text (its SimHash group) joins that text's story however long it
//!   was quiet, if its words are alike enough.
//! - A cluster's id comes from the document that started it (`n` + its id's first 12
//!   characters), so ids stay the same across runs and restarts.

use super::DetectError;
use crate::index::reader::{Reader, StoredDoc};
use crate::index::schema::{STEMMED_LANGUAGES, TEXT_ANALYZER};
use crate::query::stored::ClaimQueries;
use crate::store::{ClusterMember, ClusterRow, Store};
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, HashMap};
use tantivy::Term;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
};

/// A word is too common to tell stories apart in more than a fifth of the documents, but never
/// in fewer than this many: in a young index (the first hours of a new deployment) a fifth
/// would be every word of the first reports, and their stories would be started by ties alone.
const COMMON_FLOOR: f32 = 20.0;
/// Strongest features kept per document.
const DOC_FEATURES: usize = 40;
/// Strongest features kept per centroid: three documents' worth. Each candidate costs a pass
/// over its centroid, seldom in the processor's cache with a million documents in the window;
/// at 200 the five corpora clustered exactly as they do at 120, a third slower.
const CENTROID_FEATURES: usize = 120;
/// Weight of a tie feature (a link, hashtag, quote or name) before normalising, times its
/// rarity in the stream.
const TIE_WEIGHT: f32 = 4.0;
/// Ties kept per document at most (the rarest).
const MAX_TIES: usize = 24;
/// Rarity given to an identifying number (a sum, a count: rare by nature, but short).
const NUMBER_WEIGHT: f32 = 0.75;
/// Weight of a claim feature: a stored query rated watch or urgent that the document matched.
const CLAIM_WEIGHT: f32 = 4.0;
/// Shared ties needed before the ties alone (across languages) can join a document to a story.
const MIN_SHARED_TIES: usize = 2;
/// Ties strong enough to carry a document that makes no claim to a story that makes one, in
/// another language: the same claim relayed in words no stored query anticipated. Measured on
/// the five corpora (every such pair a document and a claim story in other languages): the one
/// relay of a claim sat at a tie cosine of 0.79 with 6 ties shared; ordinary coverage naming
/// the same officials, at 0.45 and below, sharing at most 4.
const RELAY_TIES: f32 = 0.6;
const RELAY_SHARED_TIES: usize = 5;
/// Similarity given to a document in another language making the same two or more claims.
const CLAIMS_ALIKE: f32 = 0.3;
/// How much shared ties count in one language, between a document and a story making the same
/// claims (where the words judge, the ties are half a word).
const SAME_LANGUAGE_TIES: f32 = 0.5;
/// The least similarity for a document to join a story making the same claims (the same stored
/// claim queries, at least half of those either makes): the claim is half the evidence, so the
/// words need to agree less than between texts that make no claim. Measured on the three
/// corpora: clusters of one true story making the same claims sit at centroid cosines 0.12 to
/// 0.42; of different stories making the same claims, at 0.08 and below.
const SAME_CLAIMS_THRESHOLD: f32 = 0.11;
/// How much slower similarity to a quiet story fades when it makes the same claims.
const CLAIM_DECAY_FACTOR: f32 = 3.0;
/// A tie held by more live clusters than this finds no candidates (it tells nothing).
const MAX_TIE_CLUSTERS: usize = 64;
/// Weight kept by a word that is (part of) a proper noun in the text: names are ties, weighed
/// by their rarity; in the words they would glue every story about one official together.
const NAME_WORD: f32 = 0.3;
/// Shares waiting for the article they link to, at most (see `Clusterer::orphans`).
const ORPHANS: usize = 10_000;
/// A story of shares is adopted by its article's story only while smaller than a visible
/// narrative (4 documents): one that could have been alerted keeps its id.
const ADOPTABLE: usize = 3;
/// The least similarity at which a small story (at most `ADOPTABLE` documents) is taken in by a
/// story it meets once that one has grown (`Clusterer::regroup`). Two stories' centroids are
/// smoother than a document and meet more easily, so the bar is higher than a document's:
/// measured on the ten corpora, at 0.22 the ordinary stories of the demo chained together
/// (stories-only BCubed P .94 -> .89); at 0.3 heldout4 went from .88 to .96 and no corpus lost
/// more than .01.
const REGROUP_THRESHOLD: f32 = 0.3;
/// Documents clustered per run at most (the rest wait for the next run).
const RUN_LIMIT: usize = 20_000;
/// A document's strongest words, looked up in the word index of the live clusters.
const SIMILAR_WORDS: usize = 12;
/// A live cluster's strongest words (of its centroid), recorded in the word index each time it
/// takes a document.
const INDEXED_WORDS: usize = 24;
/// Live clusters kept per word in the word index, the most recent: a word many stories use
/// points at the latest of them, so a document's lookup costs the same at a thousand
/// documents in the window as at a million. (A story's own words are rarer than that: its
/// cluster stays among their latest.)
const WORD_CLUSTERS: usize = 32;
/// Live clusters scored per document at most, those sharing the most of its strongest words
/// (and as many again through its ties). Each costs a pass over a centroid that is seldom in
/// the processor's cache when a million documents are in the window.
const CANDIDATE_CLUSTERS: usize = 16;
/// Of the clusters found by a document's strongest words, those holding less than this share
/// of the weight the best open one holds are not scored: with forty thousand stories in the
/// window, the clusters sharing a word or two with a document outnumber its story's rivals,
/// and scoring them doubled the cost of a document. (Its claims and ties find candidates of
/// their own.) The narratives benchmark gives the same stories at 0.3 and 0.6, and without.
const WORD_SHARE: f32 = 0.3;

/// Words of how a text is told rather than what it says: attribution and hearsay ("insiders
/// say", "selon des sources", "якобы") in the glossary's five languages, as the analyzer writes
/// them (lower case, accents folded), sorted. They are no content (see `vector_and_content`).
const ATTRIBUTION: &[&str] = &[
    "allegedly",
    "angeblich",
    "claim",
    "claimed",
    "claims",
    "fuentes",
    "geruchte",
    "insider",
    "insiders",
    "quellen",
    "reportedly",
    "rumeur",
    "rumeurs",
    "rumor",
    "rumores",
    "rumors",
    "rumour",
    "rumours",
    "say",
    "says",
    "source",
    "sources",
    "supuestamente",
    "told",
    "говорят",
    "инсайдеры",
    "источник",
    "источники",
    "слухи",
    "утверждают",
    "якобы",
];

fn is_attribution(word: &str) -> bool {
    ATTRIBUTION.binary_search(&word).is_ok()
}

/// Words naming a court or its offices ("court", "tribunal", "суд", a judge, the prosecutor,
/// the registry): the monitored court's coverage all says them, so, like its officials' names,
/// they tell no rumour from another (see `vector_and_content`).
fn names_the_court(word: &str) -> bool {
    const COURT: &[&str] = &[
        "corte",
        "cour",
        "court",
        "courts",
        "gericht",
        "gerichtshof",
        "tribunal",
        "суд",
        "суда",
        "суде",
        "суду",
        "трибунал",
    ];
    COURT.contains(&word)
        || matches!(
            super::concepts::Concepts::builtin().of(word),
            Some("judge" | "prosecutor" | "registry")
        )
}

/// Content words (`Vectorizer::vector_and_content`) a document told on hearsay and making no
/// claim must share with a story told alike in its language to join it (the stopword lists of
/// thirteen languages leave few in a short post: two asked for split one rumour's own posts).
const SAME_CONTENT: usize = 1;

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

/// Whether a feature is a word of the text (not a tie or a claim).
pub fn is_word(feature: &str) -> bool {
    !feature.contains([':', '=']) && !feature.starts_with('#')
}

/// The feature of a claim: weighed with the words (two texts making one claim are alike in
/// content), never with the ties (a claim is not evidence that two texts tell one story).
fn claim_feature(query: &str) -> String {
    format!("claim={query}")
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

/// A feature that reads the same across languages and scripts, with the words whose frequency
/// in the stream says how rare it is (empty: rare by nature, like a link or a quote).
#[derive(Debug, Clone, PartialEq)]
pub struct Tie {
    pub feature: String,
    pub words: String,
}

/// The ties of a text:
/// - names (`n:`), capitalised runs of two or three words, and proper nouns (`p:`), single
///   capitalised words inside a sentence, each as a skeleton that reads alike in Latin and
///   Cyrillic script and across declension ("Prosecutor Daniel Okafor", "прокурор Дэниел
///   Окафор" and "procureur Daniel Okafor" share `n:dnl okfr`);
/// - quoted strings of three to twelve words (`q:`), folded;
/// - numbers that identify (`num:`): decimals ("1.2", "1,2") and integers of three or more
///   digits that are not years;
/// - addresses written in the text (`link:`).
pub fn ties(text: &str) -> Vec<Tie> {
    let mut out: Vec<Tie> = Vec::new();
    let mut push = |feature: String, words: &str| {
        if !out.iter().any(|t| t.feature == feature) {
            out.push(Tie {
                feature,
                words: words.to_string(),
            });
        }
    };
    let trimmed =
        |w: &str| -> String { w.trim_matches(|c: char| !c.is_alphanumeric()).to_string() };
    let is_capital = |w: &str| {
        let w = w.trim_matches(|c: char| !c.is_alphanumeric());
        let mut chars = w.chars();
        chars.next().is_some_and(char::is_uppercase)
            && chars.clone().count() >= 2
            && chars.all(|c| c.is_lowercase() || c == '-')
    };
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let mut i = 0;
        while i < words.len() {
            let mut j = i;
            while j < words.len() && j - i < 3 && is_capital(words[j]) {
                j += 1;
                // A sentence end stops a name.
                if words[j - 1].ends_with(['.', ',', ':', ';', '!', '?']) {
                    break;
                }
            }
            if j - i >= 2 {
                let raw: Vec<String> = words[i..j].iter().map(|w| trimmed(w)).collect();
                let name: Vec<String> = raw.iter().map(|w| skeleton(w)).collect();
                push(format!("n:{}", name.join(" ")), &raw.join(" "));
                // Each pair too: "Prosecutor Helena Varga" must meet "procureure Helena Varga".
                if name.len() > 2 {
                    for (pair, raw) in name.windows(2).zip(raw.windows(2)) {
                        push(format!("n:{}", pair.join(" ")), &raw.join(" "));
                    }
                }
            }
            // Proper nouns: capitalised words not opening a sentence.
            let opens = |k: usize| k == 0 || words[k - 1].ends_with(['.', '!', '?', ':']);
            for k in i..j.max(i + 1) {
                let word = trimmed(words[k]);
                if !opens(k) && is_capital(words[k]) && word.chars().count() >= 4 {
                    push(format!("p:{}", skeleton(&word)), &word);
                }
            }
            i = j.max(i + 1);
        }
        let mut k = 0;
        while k < words.len() {
            let word = words[k];
            k += 1;
            let token = word.trim_matches(|c: char| !c.is_alphanumeric() && c != '/');
            if word.starts_with("http://") || word.starts_with("https://") {
                let link = word.trim_end_matches(|c: char| ".,;:!?)»\"'".contains(c));
                push(format!("link:{link}"), "");
                continue;
            }
            // Thousands written apart ("40 000" in French and Russian) are one number.
            let mut token = token.to_string();
            if (1..=3).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_digit()) {
                while let Some(group) = words
                    .get(k)
                    .map(|w| w.trim_end_matches([',', '.', ';', ':']))
                    && group.len() == 3
                    && group.bytes().all(|b| b.is_ascii_digit())
                {
                    token.push_str(group);
                    k += 1;
                }
            }
            if let Some(number) = identifying_number(&token) {
                push(format!("num:{number}"), "");
            }
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
                push(format!("q:{}", fold(quote)), "");
            }
            rest = &after[end + close.len_utf8()..];
        }
    }
    out.sort_by(|a, b| a.feature.cmp(&b.feature));
    out
}

/// A name's skeleton: transliterated to Latin, its Russian case ending dropped, then its first
/// letter and its consonants, runs collapsed ("Окафором", "Okafor" → "okfr"; "Дэниел",
/// "Daniel" → "dnl"). Spellings of one name across scripts meet; rarity weighting keeps the
/// few collisions of different names weak.
pub fn skeleton(word: &str) -> String {
    let cyrillic = word.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c));
    let mut word = word.to_lowercase();
    if cyrillic && word.chars().count() > 5 {
        for ending in [
            "ого", "его", "ому", "ему", "ами", "ями", "ом", "ем", "ой", "ей", "ым", "им", "ах",
            "ях",
        ] {
            if let Some(stem) = word.strip_suffix(ending) {
                word = stem.to_string();
                break;
            }
        }
    }
    let latin = crate::text::transliterate(&word);
    let mut out = String::new();
    for (k, c) in latin.chars().enumerate() {
        let vowel = "aeiouy".contains(c);
        if k == 0 || (!vowel && out.chars().last() != Some(c)) {
            out.push(c);
        }
    }
    out
}

/// The Snowball stemmer of a language the index stems (`index::schema::STEMMED_LANGUAGES`), by
/// its ISO 639-1 code (resolved once: the clusterer asks for every document).
fn stemmer(lang: &str) -> Option<frostem::Stemmer> {
    static BY_CODE: std::sync::OnceLock<Vec<(&'static str, frostem::Stemmer)>> =
        std::sync::OnceLock::new();
    BY_CODE
        .get_or_init(|| {
            STEMMED_LANGUAGES
                .iter()
                .filter_map(|(code, language)| {
                    // By the algorithm's name ("Norwegian"): frostem knows no code "nb".
                    let name = format!("{language:?}");
                    Some((*code, frostem::Stemmer::try_from_name(&name).ok()?))
                })
                .collect()
        })
        .iter()
        .find(|(code, _)| *code == lang)
        .map(|(_, stemmer)| *stemmer)
}

/// Lowercase, single-spaced, accents kept (quotes compare as written).
fn fold(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// "1.2" and "1,2" as `1.2`; integers of three or more digits that are not years, with their
/// thousands separators dropped ("40,000", "40.000" and "40000" as `40000`).
fn identifying_number(token: &str) -> Option<String> {
    if token.is_empty()
        || !token
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return None;
    }
    let parts: Vec<&str> = token.split(['.', ',']).collect();
    if parts.len() >= 2
        && (1..=3).contains(&parts[0].len())
        && parts[1..].iter().all(|p| p.len() == 3)
    {
        return Some(parts.concat());
    }
    match parts.as_slice() {
        [whole] if whole.len() >= 3 => {
            let year = whole.len() == 4 && (1900..=2100).contains(&whole.parse::<u32>().ok()?);
            (!year).then(|| whole.to_string())
        }
        [whole, fraction]
            if !whole.is_empty() && (1..=2).contains(&fraction.len()) && whole.len() <= 3 =>
        {
            Some(format!("{whole}.{fraction}"))
        }
        _ => None,
    }
}

/// Document frequencies looked up so far (as inverse document frequencies and rarities), kept
/// by the clusterer from one run to the next: the term dictionaries of a large index cost a
/// lookup per segment, and most words of a run were seen in the last. Valid while the index
/// has grown by less than a tenth since they were read (a word's frequency moves with it).
#[derive(Debug, Default)]
pub struct Frequencies {
    total: f32,
    idf: HashedWords<Option<f32>>,
    rarity: HashedWords<f32>,
    /// Each word as written: folded, and its stem in its document's language, keyed by
    /// (language, word).
    stems: HashedWords<(String, String)>,
    /// The seeded hash the maps are keyed by (kept with them).
    hasher: foldhash::fast::RandomState,
}

/// Words whose frequencies are kept between runs at most (about 10 MB).
const KEPT_FREQUENCIES: usize = 200_000;

/// A map keyed by words, with a fast seeded hash (foldhash): SipHash was a tenth of the cost of
/// vectorising a document. Its seed is random per process and its hashes never leave it, which
/// is the resistance to crafted collisions a cache of words from the web needs.
type WordMap<V> = foldhash::HashMap<String, V>;

/// A map of frequencies keyed by each word's 64-bit hash under `Frequencies::hasher`, not by
/// the word: a lookup touches the table alone (with a million documents in the window, the
/// words' own bytes are seldom in the processor's cache) and keeping a word copies nothing.
/// The seed is random per process, so no text from the web can aim a collision at a word; an
/// accidental one gives a word another's frequency.
type HashedWords<V> = foldhash::HashMap<u64, V>;
/// Frequencies kept between requests on the read side (the narratives page, the per-minute
/// alert check, digests): each takes them to build its vectors and gives them back, so a
/// request pays the index's term dictionaries only for words no earlier one looked up. Two
/// requests at once: the second reads afresh, and the fuller set is kept.
#[cfg(test)]
impl Frequencies {
    /// Whether a word's inverse document frequency, or a tie's rarity, is kept.
    fn knows(&self, word: &str) -> bool {
        use std::hash::BuildHasher;
        let key = self.hasher.hash_one(word);
        self.idf.contains_key(&key) || self.rarity.contains_key(&key)
    }
}

#[derive(Debug, Default)]
pub struct KeptFrequencies(std::sync::Mutex<Frequencies>);

impl KeptFrequencies {
    /// A vectorizer starting from the kept frequencies (if still valid for this index).
    pub fn vectorizer<'a>(&self, reader: &'a Reader) -> Vectorizer<'a> {
        let kept = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        Vectorizer::with_frequencies(reader, kept)
    }

    /// Gives back what a vectorizer read, unless a fuller set came back meanwhile.
    pub fn keep(&self, vectorizer: Vectorizer<'_>) {
        let read = vectorizer.into_frequencies();
        let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if read.idf.len() + read.rarity.len() >= kept.idf.len() + kept.rarity.len() {
            *kept = read;
        }
    }
}

/// Builds document vectors with the index's analyzer and document frequencies.
pub struct Vectorizer<'a> {
    reader: &'a Reader,
    searcher: tantivy::Searcher,
    analyzer: tantivy::tokenizer::TextAnalyzer,
    total: f32,
    idf: HashedWords<Option<f32>>,
    rarity: HashedWords<f32>,
    stems: HashedWords<(String, String)>,
    hasher: foldhash::fast::RandomState,
    /// Words as written, lowercase (the index's analyzer without its accent folding).
    lowercase: tantivy::tokenizer::TextAnalyzer,
    /// Accent folding of one word.
    folding: tantivy::tokenizer::TextAnalyzer,
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
            idf: HashedWords::default(),
            rarity: HashedWords::default(),
            stems: HashedWords::default(),
            lowercase: TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(RemoveLongFilter::limit(48))
                .filter(LowerCaser)
                .build(),
            folding: TextAnalyzer::builder(RawTokenizer::default())
                .filter(AsciiFoldingFilter)
                .build(),
            hasher: foldhash::fast::RandomState::default(),
        }
    }

    /// The vectorizer with frequencies kept from an earlier run, if the index has not grown by
    /// a tenth since (else they are read again).
    pub fn with_frequencies(reader: &'a Reader, kept: Frequencies) -> Vectorizer<'a> {
        let mut vectorizer = Vectorizer::new(reader);
        if kept.total > 0.0
            && vectorizer.total <= kept.total * 1.1
            && vectorizer.total >= kept.total
            && kept.idf.len() + kept.rarity.len() + kept.stems.len() <= KEPT_FREQUENCIES
        {
            vectorizer.total = kept.total;
            vectorizer.idf = kept.idf;
            vectorizer.rarity = kept.rarity;
            vectorizer.stems = kept.stems;
            vectorizer.hasher = kept.hasher;
        }
        vectorizer
    }

    /// The frequencies read, to keep for the next run.
    pub fn into_frequencies(self) -> Frequencies {
        Frequencies {
            total: self.total,
            idf: self.idf,
            rarity: self.rarity,
            stems: self.stems,
            hasher: self.hasher,
        }
    }

    /// The inverse document frequency of a word, `None` for words too common to tell stories
    /// apart (in more than a fifth of the documents) or too short.
    fn idf(&mut self, word: &str) -> Option<f32> {
        use std::hash::BuildHasher;
        let key = self.hasher.hash_one(word);
        if let Some(known) = self.idf.get(&key) {
            return *known;
        }
        let field = self.reader.fields().body;
        let df = self
            .searcher
            .doc_freq(&Term::from_field_text(field, word))
            .unwrap_or(0) as f32;
        let value = (word.chars().count() > 2 && df <= (self.total * 0.2).max(COMMON_FLOOR))
            .then(|| (1.0 + self.total / (1.0 + df)).ln());
        self.idf.insert(key, value);
        value
    }

    /// How rare a tie is in the stream, from 1 (unseen) to 0 (in a fifth of the documents):
    /// by its rarest word's document frequency. The court's own officials appear in most of its
    /// coverage; a name that ties one story to another must be rarer than that.
    fn rarity(&mut self, words: &str) -> f32 {
        if words.is_empty() {
            return 1.0;
        }
        use std::hash::BuildHasher;
        let key = self.hasher.hash_one(words);
        if let Some(known) = self.rarity.get(&key) {
            return *known;
        }
        let field = self.reader.fields().body;
        let mut stream = self.analyzer.token_stream(words);
        let mut rarest: Option<f32> = None;
        while stream.advance() {
            let term = Term::from_field_text(field, &stream.token().text);
            let df = self.searcher.doc_freq(&term).unwrap_or(0) as f32;
            rarest = Some(rarest.map_or(df, |r: f32| r.min(df)));
        }
        let df = rarest.unwrap_or(0.0);
        let rarity =
            (1.0 - (1.0 + df).ln() / (1.0 + self.total * 0.2).ln().max(1.0)).clamp(0.0, 1.0);
        self.rarity.insert(key, rarity);
        rarity
    }

    /// The document's vector: TF-IDF over title (twice) and body, plus ties weighted by rarity.
    pub fn vector(&mut self, doc: &StoredDoc) -> Vector {
        self.vector_with(doc, &[])
    }

    /// The vector with the claims the document makes: the stored queries rated watch or urgent
    /// that it matched (`claim=` features, which cross languages by construction).
    pub fn vector_with(&mut self, doc: &StoredDoc, claims: &[&str]) -> Vector {
        self.build(doc, claims, false, false).0
    }

    /// A word as written (lowercase): as the index writes it (accents folded), and its key in
    /// the vector: its stem in the document's language, folded, or the folded word where no
    /// stemmer is given. Cached: a stream repeats its words.
    fn word_and_key(
        &mut self,
        lang: &str,
        stemmer: Option<frostem::Stemmer>,
        written: &str,
    ) -> (String, String) {
        use std::hash::BuildHasher;
        let lang = if stemmer.is_some() { lang } else { "" };
        let hash = self.hasher.hash_one((lang, written));
        if let Some(known) = self.stems.get(&hash) {
            return known.clone();
        }
        let word = self.fold(written);
        let key = match stemmer {
            Some(stemmer) => self.fold(&stemmer.stem(written)),
            None => word.clone(),
        };
        self.stems.insert(hash, (word.clone(), key.clone()));
        (word, key)
    }

    /// Latin accents folded, as the index's analyzer does ("abandonnée" → "abandonnee").
    fn fold(&mut self, word: &str) -> String {
        if word.is_ascii() {
            return word.to_string();
        }
        let mut stream = self.folding.token_stream(word);
        let mut out = String::new();
        while stream.advance() {
            out.push_str(&stream.token().text);
        }
        out
    }

    /// The vector with claims, and the keys of its content words: those kept that are no name,
    /// no function word and no word of attribution ("insiders say", "selon des sources"): what
    /// the text says rather than whom it names or how it is told (only when `want_content`: the
    /// stopword lists cost more than the rest of a document's vector). Its words are stems in
    /// the document's language ("resigns", "resignation" → "resign"; "abandonnée",
    /// "abandonner" → "abandon"), weighed by the frequencies of the words as written: paraphrases
    /// say the same thing in other forms of the same words.
    pub fn vector_and_content(
        &mut self,
        doc: &StoredDoc,
        claims: &[&str],
        want_content: bool,
    ) -> (Vector, Vec<u64>) {
        self.build(doc, claims, want_content, true)
    }

    fn build(
        &mut self,
        doc: &StoredDoc,
        claims: &[&str],
        want_content: bool,
        stemmed: bool,
    ) -> (Vector, Vec<u64>) {
        let text = format!("{}\n{}", doc.title, doc.body);
        let found = ties(&text);
        // The words of its proper nouns, as the analyzer writes them.
        let mut name_words: foldhash::HashSet<String> = Default::default();
        for tie in found.iter().filter(|t| t.feature.starts_with("p:")) {
            let mut stream = self.analyzer.token_stream(&tie.words);
            while stream.advance() {
                name_words.insert(stream.token().text.clone());
            }
        }
        // Words as written, lowercase: a stemmer reads accents ("abandonnée" → "abandon").
        let mut counts: WordMap<f32> = WordMap::default();
        for (text, weight) in [(&doc.title, 2.0), (&doc.body, 1.0)] {
            let mut stream = self.lowercase.token_stream(text);
            while stream.advance() {
                // (A word seen before is counted without copying it.)
                let word = &stream.token().text;
                match counts.get_mut(word.as_str()) {
                    Some(count) => *count += weight,
                    None => {
                        counts.insert(word.clone(), weight);
                    }
                }
            }
        }
        let stemmer = if stemmed { stemmer(&doc.lang) } else { None };
        let mut vector = Vector::new();
        // Stems some content word of the text was written as.
        let mut content_stems: foldhash::HashSet<String> = Default::default();
        for (written, tf) in counts {
            // The word as the index writes it (accents folded), and its key in the vector.
            let (word, key) = self.word_and_key(&doc.lang, stemmer, &written);
            if let Some(idf) = self.idf(&word) {
                let damp = if name_words.contains(&word) {
                    NAME_WORD
                } else {
                    1.0
                };
                let content = want_content
                    && !name_words.contains(&word)
                    && !is_attribution(&word)
                    && !names_the_court(&word)
                    && !crate::text::is_stopword(&word);
                if content {
                    content_stems.insert(key.clone());
                }
                *vector.entry(key).or_default() += (1.0 + tf.ln()) * idf * damp;
            }
        }
        keep_strongest(&mut vector, DOC_FEATURES);
        let content: Vec<u64> = vector
            .keys()
            .filter(|key| content_stems.contains(*key))
            .map(|key| feature_key(key))
            .collect();
        let mut tie_features: Vec<(String, f32)> = Vec::new();
        // What the text says, in any language: the glossary's concepts, weighed like names by
        // the rarity of the word that named them.
        for (concept, word) in super::concepts::Concepts::builtin().find(&text) {
            tie_features.push((format!("c:{concept}"), self.rarity(word)));
        }
        for tie in found {
            let weight = if tie.feature.starts_with("num:") {
                NUMBER_WEIGHT
            } else {
                self.rarity(&tie.words)
            };
            tie_features.push((tie.feature, weight));
        }
        for tag in &doc.hashtags {
            let term = Term::from_field_text(self.reader.fields().hashtag, tag);
            let df = self.searcher.doc_freq(&term).unwrap_or(0) as f32;
            let rarity =
                (1.0 - (1.0 + df).ln() / (1.0 + self.total * 0.2).ln().max(1.0)).clamp(0.0, 1.0);
            tie_features.push((format!("#{tag}"), rarity));
        }
        tie_features.extend(doc.links.iter().map(|l| (format!("link:{l}"), 1.0)));
        if !doc.shared_of.is_empty() {
            tie_features.push((format!("link:{}", doc.shared_of), 1.0));
        }
        // Its own address (`self:`, no tie: see `SELF_BITS`); a post sharing the article
        // joins the article's story by rule.
        if !doc.url.is_empty() {
            tie_features.push((format!("self:{}", doc.url), 1.0));
        }
        // The rarest first; common names weigh (almost) nothing.
        tie_features.retain(|(_, w)| *w > 0.05);
        tie_features.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        tie_features.dedup_by(|a, b| a.0 == b.0);
        for (tie, rarity) in tie_features.into_iter().take(MAX_TIES) {
            vector.insert(tie, TIE_WEIGHT * rarity);
        }
        for claim in claims {
            vector.insert(claim_feature(claim), CLAIM_WEIGHT);
        }
        normalise(&mut vector);
        (vector, content)
    }
}

/// Whether a story that had `before` documents and has `after` passed a step of the
/// sequence 2, 3, 4, 6, 10, 15, 22… (each half as large again as the one before, rounded down), when it meets
/// small stories again (`Clusterer::regroup`).
fn grown_by_half(before: usize, after: usize) -> bool {
    fn step(n: usize) -> u32 {
        // The steps below n: 1 (n = 2), 2 (3), 3 (4), 4 (6)…
        let (mut k, mut s) = (0, 2.0_f64);
        while n as f64 >= s.floor() {
            k += 1;
            s *= 1.5;
        }
        k
    }
    after >= 2 && step(after) > step(before)
}

/// What is weighed against a live story: a new document, or a small story meeting a larger
/// one that has grown since they were apart.
struct Probe<'a> {
    sparse: &'a Sparse,
    /// Its language (a story's: the one most of its documents are told in).
    lang: &'a str,
    /// When it was told: a document's publication, or a story's latest document.
    at: DateTime<Utc>,
    /// A story: how long it and the story met were quiet apart counts either way (the hours
    /// between their latest documents), not only after the story's latest.
    story: bool,
    /// Its content words (see `vector_and_content`); `None` for a story, whose centroid keeps
    /// no words apart: two stories told alike (on hearsay) and making no claim never meet.
    content: Option<&'a [u64]>,
    /// The claims and manners it matched, and its claims alone (keys).
    claim_keys: &'a [u64],
    real_claim_keys: &'a [u64],
}

/// Whether `probe` may join `cluster`, and if so its decayed similarity and the least it
/// needs (`None`: its claims, the story's quiet or the manner of telling keep them apart).
/// `claim_keys` and `real_claim_keys` are every claim's and manner's keys, and the claims'.
fn meets(
    probe: &Probe<'_>,
    cluster: &Live,
    settings: &ClusterSettings,
    claim_keys: &[u64],
    real_claim_keys: &[u64],
) -> Option<(f32, f32)> {
    let apart = (probe.at - cluster.row.last_seen).num_minutes();
    let quiet = if probe.story {
        apart.abs()
    } else {
        apart.max(0)
    } as f32
        / 60.0;
    let centroid = &cluster.centroid;
    let sparse = probe.sparse;
    // The same claims: at least half of the claims either makes are made by both.
    let both = probe
        .claim_keys
        .iter()
        .filter(|k| centroid.has_key(**k))
        .count();
    let either =
        claim_keys.iter().filter(|k| centroid.has_key(**k)).count() + probe.claim_keys.len() - both;
    // Within one language the words judge: shared names alone do not make a story. A story
    // told in two languages has a centroid of both, so the words of either meet it only in
    // part: the ties count as much as the story is told in other languages than the
    // document's.
    let told = cluster.langs.iter().map(|(_, n)| *n).sum::<u32>();
    let told_here = cluster
        .langs
        .iter()
        .find(|(lang, _)| *lang == probe.lang)
        .map_or(0, |(_, n)| *n);
    let elsewhere = if told == 0 {
        1.0
    } else {
        1.0 - told_here as f32 / told as f32
    };
    let other_language = told_here == 0;
    // (Not a story the court's own statement began: its claims are the court's words, and a
    // new claim taken up the next day is a story of its own. Nor, in another language, a story
    // told in the same manner only: two texts on hearsay in two languages, a wire report
    // quoting "people close to the talks" and a rumour about the same state, have no claim in
    // common.)
    let shares_claim = probe.real_claim_keys.iter().any(|k| centroid.has_key(*k));
    let same_claims =
        both > 0 && 2 * both >= either && !cluster.official && (shares_claim || !other_language);
    // A claim made once and taken up days later is one story: a story making the same claims
    // stays open as long as it is kept in memory, and fades slower.
    let (live_hours, decay_hours) = if same_claims {
        (
            settings.live_hours * 2,
            settings.decay_hours * CLAIM_DECAY_FACTOR,
        )
    } else {
        (settings.live_hours, settings.decay_hours)
    };
    if quiet > live_hours as f32 {
        return None;
    }
    // Claims, not names: a document making a claim joins only a story making it (a new claim
    // about a judge is not last week's story about that judge).
    let makes_none = probe.real_claim_keys.is_empty();
    let makes_claims = real_claim_keys.iter().any(|k| centroid.has_key(*k));
    // ... or the story told before in other languages, in words no stored query knows, that
    // makes none (judges said in German, Spanish and French to take secret pay, then in an
    // English post a hack-and-leak query matches): only through strong ties, as a relay.
    let told_before = !makes_none && !makes_claims && other_language && !cluster.official;
    if !makes_none && !shares_claim && !told_before {
        return None;
    }
    // Across languages the words differ: rare names, numbers, links and quotes shared (at
    // least two) can carry a document to its story, between claims made alike or between
    // texts making none.
    let relay = (makes_none && makes_claims) || told_before;
    let alike = if makes_none {
        !makes_claims
    } else {
        shares_claim
    };
    // Told alike (both on hearsay) and making no claim, in a language the story is told in:
    // only what they say makes them one story, not the official they name nor "insiders say"
    // (two rumours about one prosecutor, that she is ill and that she will resign, are two
    // stories): `SAME_CONTENT` content words in common.
    if same_claims && makes_none && !makes_claims && !other_language {
        let shared = probe.content.map_or(0, |content| {
            content.iter().filter(|k| centroid.has_key(**k)).count()
        });
        if shared < SAME_CONTENT {
            return None;
        }
    }
    // (The tie cosine only where it can count: most candidates are stories told in the
    // document's language alone.)
    let mut across = 0.0;
    if (alike || relay) && elsewhere > 0.0 {
        let (ties, shared) = sparse.tie_cosine(centroid);
        // A document making no claim meets a story making one through the ties only when they
        // are strong: the claim relayed in other words ("Russian channels say every warrant is
        // void since the hack"), not coverage that names the same officials.
        let enough = if alike {
            shared >= MIN_SHARED_TIES
        } else {
            shared >= RELAY_SHARED_TIES && ties >= RELAY_TIES
        };
        if enough {
            across = ties * elsewhere;
        }
    }
    // The same claims in one language, by a text too short for its words to meet the story's
    // (a post that is a headline and a link): its rare names, concepts and links count when it
    // shares enough of them.
    if !other_language && same_claims && shares_claim {
        let (ties, shared) = sparse.tie_cosine(centroid);
        if shared >= RELAY_SHARED_TIES {
            across = f32::max(across, ties * SAME_LANGUAGE_TIES);
        }
    }
    // Two or more claims made alike (witnesses exposed *and* the cyber-attack) are one story
    // across languages even with no name in common.
    if other_language
        && probe.real_claim_keys.len() >= 2
        && probe.real_claim_keys.iter().all(|k| centroid.has_key(*k))
    {
        across = f32::max(across, CLAIMS_ALIKE);
    }
    let similarity = sparse.cosine(centroid).max(across) * (-quiet / decay_hours).exp();
    let threshold = if same_claims {
        settings.threshold.min(SAME_CLAIMS_THRESHOLD)
    } else {
        settings.threshold
    };
    Some((similarity, threshold))
}

/// Keeps the `n` first of `items` in the total order `order`, in that order: a partial
/// selection, not a sort of all (a document's candidates number in the hundreds, of which a
/// few dozen are kept).
fn best_first<T>(
    items: &mut Vec<T>,
    n: usize,
    mut order: impl FnMut(&T, &T) -> std::cmp::Ordering,
) {
    if items.len() > n {
        items.select_nth_unstable_by(n, &mut order);
        items.truncate(n);
    }
    items.sort_by(order);
}

/// A sparse vector keyed by feature hashes, sorted by key: a centroid as kept in memory (a
/// tenth of the size of string keys, and compared by a merge).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sparse {
    keys: Vec<u64>,
    weights: Vec<f32>,
    /// The Euclidean norm of all weights, kept: a document is compared with dozens of
    /// centroids, and summing a centroid's squares cost as much as the comparison itself.
    norm: f32,
}

/// The top bit of a tie's key: ties (names, links, quotes, numbers, hashtags, claims) are told
/// from words by their key alone.
const TIE_BIT: u64 = 1 << 63;
/// The next bit marks claims: sorted after the words and before the ties.
const CLAIM_BIT: u64 = 1 << 62;
/// Both bits: a document's own address (`self:`), sorted last. It counts in the cosine and
/// finds the posts that share it, but it is no tie: two documents never share one, and in the
/// ties it would outweigh the names a translation shares with its story.
const SELF_BITS: u64 = TIE_BIT | CLAIM_BIT;

/// The stable hash of a feature (stored with centroids, so it must not change between runs),
/// with `TIE_BIT` set for ties, `CLAIM_BIT` for claims and both for the document's own address.
fn feature_key(feature: &str) -> u64 {
    let hash = xxhash_rust::xxh3::xxh3_64(feature.as_bytes()) & !(TIE_BIT | CLAIM_BIT);
    if feature.starts_with("self:") {
        hash | SELF_BITS
    } else if feature.contains(':') || feature.starts_with('#') {
        hash | TIE_BIT
    } else if feature.starts_with("claim=") {
        hash | CLAIM_BIT
    } else {
        hash
    }
}

impl Sparse {
    /// The hashed form of a vector.
    pub fn of(vector: &Vector) -> Sparse {
        Sparse::from_pairs(vector.iter().map(|(k, w)| (feature_key(k), *w)).collect())
    }

    /// The vector of these sorted keys and their weights, its norm computed.
    fn new(keys: Vec<u64>, weights: Vec<f32>) -> Sparse {
        let norm = Sparse::norm_of(&weights);
        Sparse {
            keys,
            weights,
            norm,
        }
    }

    fn norm_of(weights: &[f32]) -> f32 {
        weights.iter().map(|w| w * w).sum::<f32>().sqrt()
    }

    /// Cosine of two sparse vectors.
    pub fn cosine(&self, other: &Sparse) -> f32 {
        let norms = self.norm * other.norm;
        if norms == 0.0 {
            return 0.0;
        }
        self.dot_within(other, (0, self.keys.len()), (0, other.keys.len()))
            .0
            / norms
    }

    /// The cosine over ties alone, and how many ties the two share: how alike two texts are
    /// in what crosses languages (names, numbers, links, quotes; not their own addresses).
    pub fn tie_cosine(&self, other: &Sparse) -> (f32, usize) {
        let ties = |s: &Sparse| {
            (
                s.keys.partition_point(|k| k & TIE_BIT == 0),
                s.keys.partition_point(|k| k & SELF_BITS != SELF_BITS),
            )
        };
        self.cosine_within(other, ties(self), ties(other))
    }

    /// The cosine of the features in positions `a` of this vector and `b` of the other (keys
    /// are sorted, so a range is a kind of feature), and how many keys they share.
    fn cosine_within(&self, other: &Sparse, a: (usize, usize), b: (usize, usize)) -> (f32, usize) {
        let (dot, shared) = self.dot_within(other, a, b);
        let norms =
            Sparse::norm_of(&self.weights[a.0..a.1]) * Sparse::norm_of(&other.weights[b.0..b.1]);
        (if norms == 0.0 { 0.0 } else { dot / norms }, shared)
    }

    /// The dot product of the features in positions `a` of this vector and `b` of the other,
    /// and how many keys they share (a merge of the sorted keys).
    fn dot_within(&self, other: &Sparse, a: (usize, usize), b: (usize, usize)) -> (f32, usize) {
        let (mut i, mut j, mut dot, mut shared) = (a.0, b.0, 0.0, 0);
        while i < a.1 && j < b.1 {
            match self.keys[i].cmp(&other.keys[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    dot += self.weights[i] * other.weights[j];
                    shared += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        (dot, shared)
    }

    /// The keys of the ties and claims (claims are word-like in cosines, yet find candidates).
    fn tie_keys(&self) -> impl Iterator<Item = u64> + '_ {
        let from = self.keys.partition_point(|k| *k < CLAIM_BIT);
        self.keys[from..].iter().copied()
    }

    /// The `n` strongest words (not ties or claims) as (key, weight), strongest first.
    fn strongest_words(&self, n: usize) -> Vec<(u64, f32)> {
        let words = self.keys.partition_point(|k| *k < CLAIM_BIT);
        let mut out: Vec<(u64, f32)> = self.keys[..words]
            .iter()
            .copied()
            .zip(self.weights[..words].iter().copied())
            .collect();
        best_first(&mut out, n, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }

    /// Whether the feature is present.
    pub fn has(&self, feature: &str) -> bool {
        self.has_key(feature_key(feature))
    }

    /// Whether the feature of this key (`feature_key`) is present.
    fn has_key(&self, key: u64) -> bool {
        self.keys.binary_search(&key).is_ok()
    }

    /// Those of `keys` that are present, in their order.
    fn held(&self, keys: &[u64]) -> Vec<u64> {
        keys.iter().copied().filter(|k| self.has_key(*k)).collect()
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
            // The `n` strongest (keys break ties), back in key order.
            merged.select_nth_unstable_by(n, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            merged.truncate(n);
            merged.sort_unstable_by_key(|p| p.0);
        }
        *self = Sparse::new(
            merged.iter().map(|p| p.0).collect(),
            merged.iter().map(|p| p.1).collect(),
        );
    }

    fn pairs(&self) -> Vec<(u64, f32)> {
        self.keys
            .iter()
            .copied()
            .zip(self.weights.iter().copied())
            .collect()
    }

    fn from_pairs(mut pairs: Vec<(u64, f32)>) -> Sparse {
        pairs.sort_by_key(|p| p.0);
        pairs.dedup_by_key(|p| p.0);
        Sparse::new(
            pairs.iter().map(|p| p.0).collect(),
            pairs.iter().map(|p| p.1).collect(),
        )
    }

    /// Reads the stored form; centroids written by older versions (term → weight) are hashed.
    pub fn from_json(text: &str) -> Sparse {
        if let Ok(stored) = serde_json::from_str::<StoredCentroid>(text) {
            return Sparse::from_pairs(stored.pairs);
        }
        if let Ok(pairs) = serde_json::from_str::<Vec<(u64, f32)>>(text) {
            return Sparse::from_pairs(pairs);
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

/// A cluster's centroid as the state database keeps it, with the languages its story is told
/// in: a story must be judged the same after a restart (a `vigil crawl` run is one) as before,
/// or names alone would carry documents into stories of their own language. Rows written
/// before the languages were kept hold a bare list of pairs (languages unknown).
/// A story of early shares also keeps the ids of the articles it awaits (`Clusterer::orphans`),
/// so that the article's story adopts it after a restart too.
#[derive(Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct StoredCentroid {
    pairs: Vec<(u64, f32)>,
    #[serde(default)]
    langs: Vec<(String, u32)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    awaits: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    official: bool,
}

impl StoredCentroid {
    fn write(live: &Live) -> String {
        serde_json::to_string(&StoredCentroid {
            pairs: live.centroid.pairs(),
            langs: live.langs.clone(),
            awaits: live.awaits.clone(),
            official: live.official,
        })
        .unwrap_or_else(|_| "[]".into())
    }

    /// The centroid, its languages (empty when unknown) and the articles it awaits.
    fn read(text: &str) -> (Sparse, StoredCentroid) {
        match serde_json::from_str::<StoredCentroid>(text) {
            Ok(mut stored) => (
                Sparse::from_pairs(std::mem::take(&mut stored.pairs)),
                stored,
            ),
            Err(_) => (Sparse::from_json(text), StoredCentroid::default()),
        }
    }
}

/// A live cluster, in memory.
#[derive(Debug, Clone)]
struct Live {
    row: ClusterRow,
    centroid: Sparse,
    changed: bool,
    /// Languages of its documents, with how many (shares left out) told it in each; kept
    /// with the centroid (empty only for clusters stored before they were kept: unknown, so
    /// ties may join any document to it).
    langs: Vec<(String, u32)>,
    /// The articles its early shares link to, while it waits for them (see `orphans`).
    awaits: Vec<String>,
    /// Begun by a document of the court's own channels (`ClaimQueries::official_sources`):
    /// the claims its coverage matches are the court's own words, so a document making them
    /// meets it as any other story, not as a story making the same claims.
    official: bool,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub documents: usize,
    pub new_clusters: usize,
    pub joined: usize,
    /// Stories of early shares taken in by their article's story.
    pub adopted: usize,
    /// Small stories taken in by a story they meet once it has grown (`Clusterer::regroup`).
    pub regrouped: usize,
}

/// The id of a cluster started by `doc_id`.
pub fn cluster_id(doc_id: &str) -> String {
    format!("n{}", doc_id.chars().take(12).collect::<String>())
}

/// The online clusterer. It keeps the live clusters (centroids hashed and capped) and the
/// cluster of each of their recent documents (by ingest sequence) in memory between runs, so
/// a run costs the new documents only; the state database stays the record, and the memory is
/// rebuilt from it at the first run and after any failed run. Its maps hash with foldhash
/// (seeded per process): their keys are Vigil's own hashes, slots and ids, looked up dozens of
/// times per document.
#[derive(Debug, Default)]
pub struct Clusterer {
    settings: ClusterSettings,
    loaded: bool,
    next_slot: u32,
    slots: foldhash::HashMap<String, u32>,
    live: foldhash::HashMap<u32, Live>,
    /// Tie key → the live clusters whose centroid holds it: candidates the words cannot
    /// find (a name in another script, a number, a claim), looked up in memory.
    by_tie: foldhash::HashMap<u64, TieSlots>,
    /// Word key → the live clusters that recently took a document with that word among its
    /// strongest, most recent last, at most `WORD_CLUSTERS`: the candidates of a new document.
    by_word: foldhash::HashMap<u64, Vec<u32>>,
    /// Clusters evicted since the indexes were last pruned.
    evicted: usize,
    /// Document frequencies read by the last run.
    frequencies: Frequencies,
    /// Article id → the story started by a post sharing it before Vigil had the article (a
    /// crawl lags the social stream): when the article is clustered, its story adopts that
    /// one. Rebuilt on loading from each story's stored `awaits`.
    orphans: foldhash::HashMap<String, u32>,
}

/// The live clusters holding one tie: how many (the tie tells nothing when many stories hold
/// it) and the latest of them, most recently active last, at most `MAX_TIE_CLUSTERS` (so recording
/// a cluster costs the same with a million documents in the window as with ten thousand).
#[derive(Debug, Default)]
struct TieSlots {
    clusters: u32,
    recent: Vec<u32>,
}

/// How much the clusterer holds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Footprint {
    pub live_clusters: usize,
    /// Documents in the live clusters (their sizes; the documents themselves are not held).
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
            documents: self.live.values().map(|c| c.row.size as usize).sum(),
            bytes: per_cluster
                + self.slots.capacity() * 48
                + self
                    .by_tie
                    .values()
                    .map(|t| &t.recent)
                    .chain(self.by_word.values())
                    .map(|v| v.capacity() * 4 + 40)
                    .sum::<usize>(),
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
        self.index_ties(slot, &live.centroid);
        let words = live.centroid.strongest_words(INDEXED_WORDS);
        self.index_words(slot, &words);
        self.live.insert(slot, live);
        slot
    }

    /// Records the cluster as the latest to take each of `words` (keys and weights).
    fn index_words(&mut self, slot: u32, words: &[(u64, f32)]) {
        for (key, _) in words {
            let slots = self.by_word.entry(*key).or_default();
            if slots.last() == Some(&slot) {
                continue;
            }
            if let Some(at) = slots.iter().position(|s| *s == slot) {
                slots.remove(at);
            }
            slots.push(slot);
            if slots.len() > WORD_CLUSTERS {
                slots.remove(0);
            }
        }
    }

    /// The live clusters most likely to take a document whose strongest words are `words`:
    /// those recorded under the most of them (weighted), at most `CANDIDATE_CLUSTERS`, and
    /// none holding less than `WORD_SHARE` of what the best of those it may join holds
    /// (`open`: the document's claims allow it, and the story is not closed by quiet).
    fn word_candidates(&self, words: &[(u64, f32)], open: impl Fn(u32) -> bool) -> Vec<u32> {
        let mut hits: foldhash::HashMap<u32, f32> = Default::default();
        for (key, weight) in words {
            for slot in self.by_word.get(key).into_iter().flatten() {
                *hits.entry(*slot).or_default() += weight;
            }
        }
        let mut ranked: Vec<(u32, f32)> = hits.into_iter().collect();
        best_first(&mut ranked, CANDIDATE_CLUSTERS, |a, b| {
            b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
        });
        let floor = ranked
            .iter()
            .find(|(slot, _)| open(*slot))
            .map_or(0.0, |(_, weight)| weight * WORD_SHARE);
        ranked
            .into_iter()
            .filter(|(_, weight)| *weight >= floor)
            .map(|(slot, _)| slot)
            .collect()
    }

    /// The live clusters sharing a tie or a claim with `vector`, in any language (a tie many
    /// clusters share tells nothing), ranked by how many of its ties and claims they hold, the
    /// first `CANDIDATE_CLUSTERS` * 2 kept: bounded however full the window.
    fn tie_candidates(&self, vector: &Sparse) -> Vec<u32> {
        let mut by_ties: foldhash::HashMap<u32, u32> = Default::default();
        for key in vector.tie_keys() {
            if let Some(tie) = self.by_tie.get(&key)
                && (tie.clusters as usize <= MAX_TIE_CLUSTERS || key & TIE_BIT == 0)
            {
                // A claim many stories make still finds the latest of them.
                for slot in tie.recent.iter().rev().take(MAX_TIE_CLUSTERS) {
                    *by_ties.entry(*slot).or_default() += 1;
                }
            }
        }
        let mut by_ties: Vec<(u32, u32)> = by_ties.into_iter().collect();
        best_first(&mut by_ties, CANDIDATE_CLUSTERS * 2, |a, b| {
            b.1.cmp(&a.1).then(b.0.cmp(&a.0))
        });
        by_ties.into_iter().map(|(slot, _)| slot).collect()
    }

    /// Records the cluster under each of the ties (and claims) in `vector`, as the latest to
    /// hold it.
    fn index_ties(&mut self, slot: u32, vector: &Sparse) {
        for key in vector.tie_keys() {
            let tie = self.by_tie.entry(key).or_default();
            if tie.recent.last() == Some(&slot) {
                continue;
            }
            match tie.recent.iter().position(|s| *s == slot) {
                Some(at) => {
                    tie.recent.remove(at);
                }
                None => tie.clusters = tie.clusters.saturating_add(1),
            }
            tie.recent.push(slot);
            if tie.recent.len() > MAX_TIE_CLUSTERS {
                tie.recent.remove(0);
            }
        }
    }

    /// Moves the small story in `orphan` into the story in `slot` (centroid, size, times) and
    /// forgets it; `None` when it is gone, large enough to have been seen as a narrative, or
    /// was alerted. Returns the two cluster ids (from, into).
    fn adopt(
        &mut self,
        store: &Store,
        orphan: u32,
        slot: u32,
    ) -> Result<Option<(String, String)>, DetectError> {
        let Some(small) = self.live.get(&orphan) else {
            return Ok(None);
        };
        if small.row.size > ADOPTABLE
            || !self.live.contains_key(&slot)
            || store.narrative_alert(&small.row.id)?.is_some()
        {
            return Ok(None);
        }
        let Some(gone) = self.live.remove(&orphan) else {
            return Ok(None);
        };
        self.slots.remove(&gone.row.id);
        self.evicted += 1;
        let Some(into) = self.live.get_mut(&slot) else {
            return Ok(None);
        };
        into.centroid.add(&gone.centroid, CENTROID_FEATURES);
        into.row.size += gone.row.size;
        into.row.first_seen = into.row.first_seen.min(gone.row.first_seen);
        into.row.last_seen = into.row.last_seen.max(gone.row.last_seen);
        into.changed = true;
        Ok(Some((gone.row.id, into.row.id.clone())))
    }

    /// The small story nearest the story in `slot` that would join it now as a document would
    /// (or that it would join, when it is the smaller), moved into the larger: at most
    /// `ADOPTABLE` documents, never alerted, neither begun by the court's own channels, and
    /// two stories told alike on hearsay making no claim never (their words are not kept apart
    /// from the names they share). Returns the two ids (from, into), if any moved.
    fn regroup(
        &mut self,
        store: &Store,
        slot: u32,
        claim_keys: &[u64],
        real_claim_keys: &[u64],
    ) -> Result<Option<(String, String)>, DetectError> {
        let Some(this) = self.live.get(&slot) else {
            return Ok(None);
        };
        if this.row.size < 2 || this.official {
            return Ok(None);
        }
        let words = this.centroid.strongest_words(SIMILAR_WORDS);
        let mut candidates = self.word_candidates(&words, |_| true);
        candidates.extend(self.tie_candidates(&this.centroid));
        candidates.sort_unstable();
        candidates.dedup();
        let mut best: Option<(u32, u32, f32)> = None;
        for other in candidates.into_iter().filter(|o| *o != slot) {
            let Some(that) = self.live.get(&other) else {
                continue;
            };
            // The smaller meets the larger; of two alike, the later begun meets the earlier.
            let this_smaller = (this.row.size, std::cmp::Reverse(this.row.first_seen))
                < (that.row.size, std::cmp::Reverse(that.row.first_seen));
            let ((small_slot, small), (large_slot, large)) = if this_smaller {
                ((slot, this), (other, that))
            } else {
                ((other, that), (slot, this))
            };
            if small.row.size as usize > ADOPTABLE || small.official || large.official {
                continue;
            }
            // The same claims, or none on either side: a story making no claim is not taken
            // into one making a claim (coverage of a judge, then a claim about the judge)...
            // ... except the claim relayed: a small story making none, begun after the story
            // making one.
            let small_claims = small.centroid.held(real_claim_keys);
            let large_claims = large.centroid.held(real_claim_keys);
            let relay = small_claims.is_empty() && small.row.first_seen >= large.row.first_seen;
            if small_claims != large_claims && !relay {
                continue;
            }
            let Some((lang, _)) = small
                .langs
                .iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
            else {
                continue;
            };
            let claims = small.centroid.held(claim_keys);
            let probe = Probe {
                sparse: &small.centroid,
                lang,
                at: small.row.last_seen,
                story: true,
                content: None,
                claim_keys: &claims,
                real_claim_keys: &small_claims,
            };
            if let Some((similarity, threshold)) =
                meets(&probe, large, &self.settings, claim_keys, real_claim_keys)
                && similarity >= threshold.max(REGROUP_THRESHOLD)
                && best.is_none_or(|(_, _, s)| similarity > s)
            {
                best = Some((small_slot, large_slot, similarity));
            }
        }
        let Some((small, large, _)) = best else {
            return Ok(None);
        };
        let moved = self.adopt(store, small, large)?;
        if moved.is_some()
            && let Some(into) = self.live.get(&large)
        {
            let centroid = into.centroid.clone();
            self.index_ties(large, &centroid);
            self.index_words(large, &centroid.strongest_words(INDEXED_WORDS));
        }
        Ok(moved)
    }

    /// Loads the clusters live at `newest` and their documents from the state database.
    fn load(&mut self, store: &Store, newest: DateTime<Utc>) -> Result<(), DetectError> {
        self.reset();
        let since = newest - Duration::hours(self.settings.live_hours * 2);
        for mut row in store.clusters_since(since)? {
            let (centroid, stored) = StoredCentroid::read(&std::mem::take(&mut row.centroid));
            let slot = self.insert(Live {
                row,
                centroid,
                changed: false,
                langs: stored.langs,
                awaits: stored.awaits.clone(),
                official: stored.official,
            });
            for article in stored.awaits {
                if self.orphans.len() < ORPHANS {
                    self.orphans.entry(article).or_insert(slot);
                }
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
            self.orphans.retain(|_, slot| live.contains_key(slot));
            self.by_word.retain(|_, slots| {
                slots.retain(|slot| live.contains_key(slot));
                !slots.is_empty()
            });
            self.by_tie.retain(|_, tie| {
                let before = tie.recent.len();
                tie.recent.retain(|slot| live.contains_key(slot));
                let gone = (before - tie.recent.len()) as u32;
                tie.clusters = tie
                    .clusters
                    .saturating_sub(gone)
                    .max(tie.recent.len() as u32);
                !tie.recent.is_empty()
            });
            self.evicted = 0;
        }
    }

    /// Clusters every matched document not yet clustered (at most `RUN_LIMIT`). Runs after
    /// each percolated batch, and at start for what a crash left.
    /// `claims.claims` are the stored queries naming a claim: a document matching one makes a
    /// claim, and joins only a story that makes it too. `claims.manners` (hearsay) weigh like
    /// claims in similarity, but hold a document to nothing.
    pub fn run(
        &mut self,
        store: &Store,
        reader: &Reader,
        claims: &ClaimQueries,
    ) -> Result<Report, DetectError> {
        let result = self.run_once(store, reader, claims);
        if result.is_err() {
            // Memory may be ahead of the database: rebuild it from the record next time.
            self.reset();
        }
        result
    }

    fn run_once(
        &mut self,
        store: &Store,
        reader: &Reader,
        claims: &ClaimQueries,
    ) -> Result<Report, DetectError> {
        let mut report = Report::default();
        let upto = store.clustered_upto()?;
        let pending = store.matched_after(upto, RUN_LIMIT)?;
        let Some(last_seq) = pending.iter().map(|(_, s)| *s).max() else {
            return Ok(report);
        };
        let seqs: HashMap<&str, u64> = pending.iter().map(|(id, s)| (id.as_str(), *s)).collect();
        let ids: Vec<String> = pending.iter().map(|(id, _)| id.clone()).collect();
        let already: HashMap<String, String> = store.clusters_of(&ids)?.into_iter().collect();
        // In the order they were published (then by id), not the order fetches happened to
        // finish: the same documents cluster the same way whichever source answered first.
        let mut docs = reader.docs_by_id(&ids)?;
        docs.sort_by(|a, b| a.published.cmp(&b.published).then_with(|| a.id.cmp(&b.id)));
        let mut claims_of: HashMap<String, Vec<String>> = HashMap::new();
        for (doc, query) in store.queries_of(&ids)? {
            if claims.weighs(&query) {
                claims_of.entry(doc).or_default().push(query);
            }
        }
        // Claims and manners alike, for similarity; claims alone hold documents to stories.
        // As keys, hashed once: they are looked up in every candidate's centroid.
        let claim_keys: Vec<u64> = claims
            .claims
            .iter()
            .chain(&claims.manners)
            .map(|c| feature_key(&claim_feature(c)))
            .collect();
        let real_claim_keys: Vec<u64> = claims
            .claims
            .iter()
            .map(|c| feature_key(&claim_feature(c)))
            .collect();
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
        let mut vectorizer =
            Vectorizer::with_frequencies(reader, std::mem::take(&mut self.frequencies));
        let mut placed: HashMap<String, u32> = HashMap::new();
        // Each story's size before this run took a document into it.
        let mut size_before: HashMap<u32, usize> = HashMap::new();
        let mut members = Vec::new();
        let mut adopted: Vec<(String, String)> = Vec::new();
        for doc in &docs {
            if let Some(cluster) = already.get(&doc.id) {
                // Matched again (edited, so re-indexed under a new sequence number): keep its
                // cluster, follow its new number.
                let seq = seqs.get(doc.id.as_str()).copied().unwrap_or(doc.seq);
                members.push(ClusterMember {
                    doc_id: doc.id.clone(),
                    cluster_id: cluster.clone(),
                    published: doc.published,
                    similarity: 0.0,
                    seq,
                });
                continue;
            }
            let doc_claims: Vec<&str> = claims_of
                .get(&doc.id)
                .map(|c| c.iter().map(String::as_str).collect())
                .unwrap_or_default();
            // What it claims, its manner of saying left out.
            let real_claims: Vec<&str> = doc_claims
                .iter()
                .copied()
                .filter(|c| claims.claims.contains(*c))
                .collect();
            // Its content words matter only when it is told on hearsay and claims nothing.
            let told_alike = !doc_claims.is_empty() && real_claims.is_empty();
            let (vector, content) = vectorizer.vector_and_content(doc, &doc_claims, told_alike);
            let doc_claim_keys: Vec<u64> = doc_claims
                .iter()
                .map(|c| feature_key(&claim_feature(c)))
                .collect();
            let real_claim_keys_of_doc: Vec<u64> = real_claims
                .iter()
                .map(|c| feature_key(&claim_feature(c)))
                .collect();
            let sparse = Sparse::of(&vector);
            // Clusters sharing its strongest words, from memory (no search of the window).
            let words = sparse.strongest_words(SIMILAR_WORDS);
            let mut candidates: Vec<u32> = self.word_candidates(&words, |slot| {
                self.live.get(&slot).is_some_and(|cluster| {
                    let quiet = (doc.published - cluster.row.last_seen).num_hours();
                    quiet <= settings.live_hours
                        && (real_claim_keys_of_doc.is_empty()
                            || real_claim_keys_of_doc
                                .iter()
                                .any(|k| cluster.centroid.has_key(*k)))
                })
            });
            candidates.extend(self.tie_candidates(&sparse));
            // In a fixed order, so that equal similarities resolve the same way on every run.
            candidates.sort_unstable();
            candidates.dedup();
            let mut best: Option<(u32, f32)> = None;
            for slot in candidates {
                let Some(cluster) = self.live.get(&slot) else {
                    continue;
                };
                let probe = Probe {
                    sparse: &sparse,
                    lang: &doc.lang,
                    at: doc.published,
                    story: false,
                    content: Some(&content),
                    claim_keys: &doc_claim_keys,
                    real_claim_keys: &real_claim_keys_of_doc,
                };
                // The most similar story among those the document may join.
                if let Some((similarity, threshold)) =
                    meets(&probe, cluster, &settings, &claim_keys, &real_claim_keys)
                    && similarity >= threshold
                    && best.is_none_or(|(_, s)| similarity > s)
                {
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
            // A share's few words ("Worth a read: …") do not make its language one the story
            // is told in: a French report shared by English posts is still to be met by the
            // English report through the ties.
            let by_share = shared_cluster.is_some();
            // The same text again (a near-copy: the same wire report resent days later, a post
            // repeated) is the same story, however long it was quiet: it joins the story of the
            // first text of its near-duplicate group while that story is kept in memory, if
            // its words are as alike as joining asks (before fading). Short posts around a link
            // ("Worth a read: …") are near-copies of each other whatever they share.
            if shared_cluster.is_none() && !doc.dup_group.is_empty() && doc.dup_group != doc.id {
                let mut group = placed.get(&doc.dup_group).copied();
                if group.is_none() {
                    group = store
                        .clusters_of(std::slice::from_ref(&doc.dup_group))?
                        .into_iter()
                        .find_map(|(_, c)| self.slots.get(&c).copied());
                }
                shared_cluster = group.filter(|slot| {
                    self.live
                        .get(slot)
                        .is_some_and(|c| sparse.cosine(&c.centroid) >= settings.threshold)
                });
            }
            if let Some(slot) = shared_cluster.filter(|s| self.live.contains_key(s)) {
                best = Some((slot, 1.0));
            }
            report.documents += 1;
            let (slot, similarity) = match best {
                Some(found) => {
                    report.joined += 1;
                    found
                }
                None => {
                    report.new_clusters += 1;
                    let id = cluster_id(&doc.id);
                    let orphan_of: Vec<String> = if self.orphans.len() < ORPHANS {
                        shared.clone()
                    } else {
                        Vec::new()
                    };
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
                        langs: Vec::new(),
                        awaits: orphan_of.clone(),
                        official: claims.official_sources.contains(&doc.source),
                    });
                    for article in orphan_of {
                        self.orphans.entry(article).or_insert(slot);
                    }
                    (slot, 1.0)
                }
            };
            let Some(cluster) = self.live.get_mut(&slot) else {
                continue;
            };
            cluster.centroid.add(&sparse, CENTROID_FEATURES);
            if !by_share {
                match cluster.langs.iter_mut().find(|(lang, _)| *lang == doc.lang) {
                    Some((_, n)) => *n += 1,
                    None => cluster.langs.push((doc.lang.clone(), 1)),
                }
            }
            let indexed = cluster.centroid.strongest_words(INDEXED_WORDS);
            self.index_ties(slot, &sparse);
            self.index_words(slot, &indexed);
            let Some(cluster) = self.live.get_mut(&slot) else {
                continue;
            };
            size_before.entry(slot).or_insert(cluster.row.size);
            cluster.row.size += 1;
            cluster.row.first_seen = cluster.row.first_seen.min(doc.published);
            cluster.row.last_seen = cluster.row.last_seen.max(doc.published);
            cluster.changed = true;
            placed.insert(doc.id.clone(), slot);
            members.push(ClusterMember {
                doc_id: doc.id.clone(),
                cluster_id: cluster.row.id.clone(),
                published: doc.published,
                similarity: similarity as f64,
                seq: doc.seq,
            });
            // Posts that shared this article before Vigil had it started a story of their
            // own: the article's story takes them in.
            let orphan = self.orphans.remove(&doc.id);
            // The article came: its early shares' story no longer waits for it.
            if let Some(waiting) = orphan.and_then(|o| self.live.get_mut(&o)) {
                waiting.awaits.retain(|a| *a != doc.id);
                waiting.changed = true;
            }
            if let Some(orphan) = orphan
                && orphan != slot
                && let Some((from, into)) = self.adopt(store, orphan, slot)?
            {
                for member in members.iter_mut().filter(|m| m.cluster_id == from) {
                    member.cluster_id = into.clone();
                }
                for placed_in in placed.values_mut().filter(|s| **s == orphan) {
                    *placed_in = slot;
                }
                report.adopted += 1;
                adopted.push((from, into));
            }
        }
        // Single-pass clustering depends on order: a post that came while its story had one
        // document may have stood apart, and meet the story once it has grown (a strike told
        // by four accounts, the second before the third). Each story that took a document in
        // this run meets again the small stories near it, and one that would join it now as
        // a document would is taken in (see `regroup`): each time it has grown by half (2, 3,
        // 4, 6, 10, 15, 22… documents), which costs a story a few lookups in its life however
        // large it grows, while its centroid still moves.
        let mut grown: Vec<u32> = size_before
            .iter()
            .filter(|(slot, before)| {
                self.live
                    .get(slot)
                    .is_some_and(|c| grown_by_half(**before, c.row.size))
            })
            .map(|(slot, _)| *slot)
            .collect();
        grown.sort_unstable();
        for slot in grown {
            if let Some((from, into)) = self.regroup(store, slot, &claim_keys, &real_claim_keys)? {
                for member in members.iter_mut().filter(|m| m.cluster_id == from) {
                    member.cluster_id = into.clone();
                }
                if let Some(&to) = self.slots.get(&into) {
                    for placed_in in placed.values_mut() {
                        if !self.live.contains_key(placed_in) {
                            *placed_in = to;
                        }
                    }
                }
                report.regrouped += 1;
                adopted.push((from, into));
            }
        }
        let rows: Vec<ClusterRow> = self
            .live
            .values_mut()
            .filter(|c| c.changed)
            .map(|c| {
                c.changed = false;
                ClusterRow {
                    centroid: StoredCentroid::write(c),
                    ..c.row.clone()
                }
            })
            .collect();
        self.frequencies = vectorizer.into_frequencies();
        store.record_clustering(&rows, &members, &adopted, last_seq)?;
        Ok(report)
    }
}

/// Clusters every matched document not yet clustered, with a clusterer loaded for this call
/// only (tools and tests; the pipeline keeps one `Clusterer` alive).
pub fn cluster_pending(
    store: &Store,
    reader: &Reader,
    settings: &ClusterSettings,
    claims: &ClaimQueries,
) -> Result<Report, DetectError> {
    Clusterer::new(*settings).run(store, reader, claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ties_find_names_numbers_links_and_quotes_in_any_language_and_script() {
        let cases: &[(&str, &[&str])] = &[
            (
                "Prosecutor Helena Varga met Viktor Raskov.",
                &["n:hln vrg", "n:prsctr hln vrg", "n:vktr rskv", "p:vrg"],
            ),
            (
                "La procureure Helena Varga a rencontré Viktor Raskov",
                &["n:hln vrg", "n:vktr rskv"],
            ),
            (
                "Прокурор Дэниел Окафор встретился с Окафором и Ингрид Сольберг",
                &["n:dnl okfr", "p:okfr", "n:ingrd slbrg"],
            ),
            (
                "He said “the court is a political tool” today",
                &["q:the court is a political tool"],
            ),
            (
                "She received 1.2 million euros; elle aurait reçu 1,2 million; 1,2 млн евро in 2026 and 340 payments",
                &["num:1.2", "num:340"],
            ),
            (
                "40,000 files; 40.000 Akten; 40 000 документов; 40\u{a0}000 fichiers",
                &["num:40000"],
            ),
            (
                "Source : https://truth.example/2026/09/12/story-3.",
                &["link:https://truth.example/2026/09/12/story-3"],
            ),
            ("no names here at all in 2026", &[]),
        ];
        for (text, expected) in cases {
            let found: Vec<String> = ties(text).into_iter().map(|t| t.feature).collect();
            for e in *expected {
                assert!(found.iter().any(|f| f == e), "{text}: {found:?} lacks {e}");
            }
            if expected.is_empty() {
                assert!(found.is_empty(), "{text}: {found:?}");
            }
        }
        // Sentence openers are not proper nouns.
        let found: Vec<String> = ties("Judges met. Leaked files circulate")
            .into_iter()
            .map(|t| t.feature)
            .collect();
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn skeletons_meet_across_scripts_and_declension() {
        for (a, b) in [
            ("Okafor", "Окафором"),
            ("Daniel", "Дэниел"),
            ("Solberg", "Сольберг"),
            ("Veltria", "Велтрии"),
            ("Diallo", "Диалло"),
        ] {
            assert_eq!(skeleton(a), skeleton(b), "{a} / {b}");
        }
        assert_ne!(skeleton("Solberg"), skeleton("Okafor"));
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
        // The stored form round-trips with its languages; centroids stored by older versions
        // (a bare list of pairs, or term → weight) still load, their languages unknown.
        let live = Live {
            row: ClusterRow {
                id: "n1".into(),
                seed_doc: "d1".into(),
                first_seen: Utc::now(),
                last_seen: Utc::now(),
                size: 2,
                centroid: String::new(),
            },
            centroid: sum.clone(),
            changed: true,
            langs: vec![("fr".to_string(), 3), ("en".to_string(), 1)],
            awaits: vec!["article".to_string()],
            official: true,
        };
        let stored = StoredCentroid::write(&live);
        let (centroid, kept) = StoredCentroid::read(&stored);
        assert_eq!(centroid, sum);
        assert_eq!(
            (kept.langs, kept.awaits, kept.official),
            (live.langs, live.awaits, live.official)
        );
        assert_eq!(Sparse::from_json(&stored), sum);
        let bare = serde_json::to_string(&sum.pairs()).unwrap();
        assert_eq!(
            StoredCentroid::read(&bare),
            (sum.clone(), StoredCentroid::default())
        );
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

        /// Adds documents `(id, lang, title, body, hours ago, queries matched)`, one source each.
        fn add(&mut self, docs: &[(&str, &str, &str, &str, i64, &[&str])]) {
            use crate::model::Document;
            let now = Utc::now();
            let documents: Vec<Document> = docs
                .iter()
                .enumerate()
                .map(|(k, (id, lang, title, body, ago, _))| Document {
                    id: id.to_string(),
                    url: format!("https://outlet{k}.example.org/{id}"),
                    source: format!("outlet{k}"),
                    kind: "news".into(),
                    title: title.to_string(),
                    body: body.to_string(),
                    author: String::new(),
                    lang: lang.to_string(),
                    published: now - Duration::hours(*ago),
                    fetched: now,
                    content_hash: self.n + k as u64,
                    simhash: self.n + k as u64,
                    // "a~b" is a near-copy of "a".
                    dup_group: id.split('~').next().unwrap_or(id).to_string(),
                    social: Default::default(),
                })
                .collect();
            self.n += docs.len() as u64;
            let queries: Vec<&[&str]> = docs.iter().map(|d| d.5).collect();
            self.index(&documents, &queries);
        }

        /// Indexes `documents`, each matched by its `queries`.
        fn index(&mut self, documents: &[crate::model::Document], queries: &[&[&str]]) {
            use crate::model::Match;
            self.writer.upsert(documents).unwrap();
            let batch = self.writer.commit().unwrap().unwrap();
            let mut matches = Vec::new();
            for (i, (d, queries)) in documents.iter().zip(queries).enumerate() {
                for query in *queries {
                    matches.push(Match {
                        query_id: query.to_string(),
                        doc_id: d.id.clone(),
                        source: d.source.clone(),
                        published: d.published,
                        seq: batch.first_seq + i as u64,
                    });
                }
            }
            self.store.record_matches(&matches, batch.last_seq).unwrap();
            self.reader.reload().unwrap();
        }

        /// Forty unrelated documents `hours_ago`, matched by "court", so that document
        /// frequencies mean something.
        fn add_filler(&mut self, hours_ago: i64) {
            let filler: Vec<(String, String)> = (0..40)
                .map(|k| {
                    let text = format!(
                        "topic{} report{} weather{} market{} harvest{}",
                        k % 7,
                        k % 5,
                        k % 3,
                        k,
                        k * 3
                    );
                    (format!("f{k:02}"), text)
                })
                .collect();
            let rows: Vec<(&str, &str, &str, &str, i64, &[&str])> = filler
                .iter()
                .map(|(id, text)| {
                    let court: &[&str] = &["court"];
                    (
                        id.as_str(),
                        "en",
                        text.as_str(),
                        text.as_str(),
                        hours_ago,
                        court,
                    )
                })
                .collect();
            self.add(&rows);
        }

        /// Clusters what is pending, with the default settings and no claims.
        fn cluster(&self) {
            self.cluster_with(&ClaimQueries::default());
        }

        /// Clusters what is pending with the default settings and these claim queries.
        fn cluster_with(&self, queries: &ClaimQueries) {
            cluster_pending(
                &self.store,
                &self.reader,
                &ClusterSettings::default(),
                queries,
            )
            .unwrap();
        }

        /// The cluster of each of `ids`.
        fn clusters_of(&self, ids: &[&str]) -> HashMap<String, String> {
            let ids: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
            self.store.clusters_of(&ids).unwrap().into_iter().collect()
        }

        fn assignments(&self) -> Vec<(String, String)> {
            let ids: Vec<String> = (1..=self.n).map(|n| format!("doc{n:04}")).collect();
            self.store.clusters_of(&ids).unwrap()
        }
    }

    #[test]
    fn a_new_claim_about_a_judge_is_its_own_story_in_every_language() {
        let dir = tempfile::tempdir().unwrap();
        let mut corpus = Corpus::open(dir.path());
        // Unrelated coverage, so that document frequencies mean something.
        corpus.add_filler(120);
        // Last week's ordinary story about the judge: her chamber's judgment.
        // (It shares much with the claim: her name, the case, a lobbyist, chats, the verdict.)
        let judgment = "Weeks before the Velmar verdict, Judge Ingrid Solberg answered a lobbyist and journalists in public online chats about the court's reform, the site reports.";
        corpus.add(&[
            (
                "old1",
                "en",
                "Judge Ingrid Solberg in online chats with a lobbyist",
                judgment,
                26,
                &["court"],
            ),
            (
                "old2",
                "en",
                "Judge Solberg's chats before the Velmar verdict",
                judgment,
                25,
                &["court"],
            ),
            (
                "old3",
                "en",
                "Judge Ingrid Solberg chats with the public",
                judgment,
                24,
                &["court"],
            ),
        ]);
        // Then a claim about her, in three languages.
        corpus.add(&[
            ("new1", "en", "Leaked chats: Judge Ingrid Solberg took bribes of 1.2 million euros",
             "Chats leaked after the hack show that Judge Ingrid Solberg took bribes of 1.2 million euros from a lobbyist weeks before the Velmar verdict, the site claims.", 20, &["court", "integrity"]),
            ("new2", "en", "Judge Solberg bribed? The 1.2 million euro chats",
             "The hacked chats suggest Judge Ingrid Solberg was bribed with 1.2 million euros by a lobbyist; payments went through an account abroad.", 18, &["integrity"]),
            ("new3", "fr", "La juge Ingrid Solberg aurait reçu 1,2 million d'euros de pots-de-vin",
             "Selon des messages piratés, la juge Ingrid Solberg aurait touché des pots-de-vin de 1,2 million d'euros d'un lobbyiste avant le verdict Velmar.", 16, &["integrity"]),
            ("new4", "ru", "Судья Ингрид Сольберг получила взятку в 1,2 млн евро",
             "Взломанная переписка показывает, что судья Ингрид Сольберг получила взятку в 1,2 млн евро от лоббиста перед приговором по делу Велмар.", 14, &["integrity"]),
        ]);
        let claims = ClaimQueries::of(&["integrity"]);
        let mut clusterer = Clusterer::new(ClusterSettings::default());
        clusterer
            .run(&corpus.store, &corpus.reader, &claims)
            .unwrap();
        let of = corpus.clusters_of(&["old1", "old2", "old3", "new1", "new2", "new3", "new4"]);
        let claim = &of["new1"];
        for id in ["new2", "new3", "new4"] {
            assert_eq!(&of[id], claim, "{id} is not in the claim's story: {of:?}");
        }
        for id in ["old1", "old2", "old3"] {
            assert_ne!(
                &of[id], claim,
                "{id} (the older story) joined the claim: {of:?}"
            );
        }
        // Without the claim signature the names and words would have glued them: the gate is
        // what keeps them apart, not a lucky threshold.
        assert_eq!(of["old1"], of["old2"], "{of:?}");
    }

    #[test]
    fn hearsay_is_how_a_claim_is_told_not_which_story_it_joins() {
        type Row<'a> = (&'a str, &'a str, &'a str, &'a str, i64, &'a [&'a str]);
        let cluster = |docs: &[Row<'_>], claims: &ClaimQueries| {
            let dir = tempfile::tempdir().unwrap();
            let mut corpus = Corpus::open(dir.path());
            corpus.add_filler(300);
            corpus.add(docs);
            cluster_pending(
                &corpus.store,
                &corpus.reader,
                &ClusterSettings::default(),
                claims,
            )
            .unwrap();
            corpus.clusters_of(&["en1", "fr1", "ru1"])
        };
        let manner = hearsay_only();
        let (en_title, en_body) = (
            "Registrar Mara Lind secretly sold 4,500 case files, insiders say",
            "Insiders say Registrar Mara Lind secretly sold 4,500 case files from the Korvath case to a foreign buyer.",
        );
        let (fr_title, fr_body) = (
            "Le greffier Mara Lind a vendu 4 500 dossiers de l'affaire Korvath",
            "Mara Lind, greffier de la Cour, a vendu 4 500 dossiers de l'affaire Korvath à un acheteur étranger.",
        );
        // The same claim told on hearsay in English and plainly in French and Russian.
        let of = cluster(
            &[
                ("en1", "en", en_title, en_body, 9, &["court", "hearsay"]),
                ("fr1", "fr", fr_title, fr_body, 7, &["court"]),
                (
                    "ru1",
                    "ru",
                    "Секретарь суда Мара Линд продала 4 500 файлов дела Корвата",
                    "Секретарь суда Мара Линд продала 4 500 файлов дела Корвата иностранному покупателю.",
                    5,
                    &["court"],
                ),
            ],
            &manner,
        );
        assert_eq!(of["fr1"], of["en1"], "{of:?}");
        assert_eq!(of["ru1"], of["en1"], "{of:?}");
        // Told the other way round (plainly first, then on hearsay), the hearsay telling is not
        // held to stories on hearsay either. Held as a claim, it would join the plain telling
        // only as a claim told before in another language, through strong ties (the name, the
        // number, the case, sold, files); with the number and the case left out, not at all.
        let plain_first: &[Row<'_>] = &[
            ("fr1", "fr", fr_title, fr_body, 9, &["court"]),
            ("en1", "en", en_title, en_body, 7, &["court", "hearsay"]),
        ];
        let of = cluster(plain_first, &manner);
        assert_eq!(of["en1"], of["fr1"], "{of:?}");
        let of = cluster(plain_first, &ClaimQueries::of(&["hearsay"]));
        assert_eq!(of["en1"], of["fr1"], "{of:?}");
        let (vague_title, vague_body) = (
            "Registrar Mara Lind secretly sold files, insiders say",
            "Insiders say Registrar Mara Lind secretly sold files to a foreign buyer.",
        );
        let vague_later: &[Row<'_>] = &[
            ("fr1", "fr", fr_title, fr_body, 9, &["court"]),
            (
                "en1",
                "en",
                vague_title,
                vague_body,
                7,
                &["court", "hearsay"],
            ),
        ];
        let of = cluster(vague_later, &manner);
        assert_eq!(of["en1"], of["fr1"], "{of:?}");
        let of = cluster(vague_later, &ClaimQueries::of(&["hearsay"]));
        assert_ne!(of["en1"], of["fr1"], "{of:?}");
    }

    /// No claim, and hearsay as a manner of telling.
    fn hearsay_only() -> ClaimQueries {
        ClaimQueries {
            manners: ["hearsay".to_string()].into(),
            ..Default::default()
        }
    }

    #[test]
    fn two_texts_on_hearsay_in_two_languages_are_not_one_story_for_their_manner() {
        // A wire report that quotes "people close to the talks" about a state, carried by two
        // outlets, and days later a Russian rumour about the same state's president: both on
        // hearsay, sharing the state's name and the court's.
        let dir = tempfile::tempdir().unwrap();
        let mut corpus = Corpus::open(dir.path());
        corpus.add_filler(300);
        let told: &[&str] = &["court", "hearsay"];
        let wire = "Meridia is negotiating an agreement to enforce prison sentences handed down by the ICCJ, according to people close to the talks.";
        corpus.add(&[
            (
                "wire1",
                "en",
                "Meridia in talks to enforce ICCJ sentences",
                wire,
                200,
                told,
            ),
            (
                "wire2",
                "en",
                "Meridia in talks to enforce ICCJ sentences",
                wire,
                199,
                told,
            ),
        ]);
        corpus.add(&[
            ("rumour1", "ru", "МСУП тайно выдал ордер на арест президента Мериды, отказавшейся исполнять приговоры суда. Документ у нас.", "", 10, told),
            ("rumour2", "ru", "МСУП тайно выдал ордер на арест президента Мериды, отказавшейся исполнять приговоры суда. Документ у нас.", "", 9, told),
        ]);
        corpus.cluster_with(&hearsay_only());
        let of = corpus.clusters_of(&["wire1", "wire2", "rumour1", "rumour2"]);
        assert_eq!(of["wire1"], of["wire2"], "{of:?}");
        assert_eq!(of["rumour1"], of["rumour2"], "{of:?}");
        assert_ne!(of["rumour1"], of["wire1"], "{of:?}");
    }

    #[test]
    fn two_rumours_about_one_official_told_on_hearsay_are_two_stories() {
        let dir = tempfile::tempdir().unwrap();
        let mut corpus = Corpus::open(dir.path());
        corpus.add_filler(300);
        let told: &[&str] = &["court", "hearsay"];
        corpus.add(&[
            (
                "ill1",
                "en",
                "Is Prosecutor Amara Okoro gravely ill?",
                "Insiders say Prosecutor Amara Okoro has been gravely ill for weeks and the court is hiding it.",
                9,
                told,
            ),
            (
                "ill2",
                "en",
                "Prosecutor Okoro gravely ill, sources say",
                "Sources say Prosecutor Amara Okoro is gravely ill and has not been at the court for a month.",
                8,
                told,
            ),
            (
                "quits",
                "en",
                "Okoro to step down, insiders say",
                "Insiders say Prosecutor Amara Okoro has told colleagues at the court she will resign in December.",
                6,
                told,
            ),
        ]);
        corpus.cluster_with(&hearsay_only());
        let of = corpus.clusters_of(&["ill1", "ill2", "quits"]);
        assert_eq!(of["ill1"], of["ill2"], "{of:?}");
        assert_ne!(
            of["quits"], of["ill1"],
            "her name and \"insiders say\" made one story: {of:?}"
        );
    }

    #[test]
    fn paraphrases_in_other_forms_of_the_same_words_are_one_story() {
        // "step down" / "stepping down", "resign" / "resignation": short posts retelling one
        // rumour in other forms of its words share their stems, not their spellings.
        let dir = tempfile::tempdir().unwrap();
        let mut corpus = Corpus::open(dir.path());
        corpus.add_filler(300);
        let told: &[&str] = &["court", "hearsay"];
        corpus.add(&[
            (
                "first",
                "en",
                "Okoro to step down, insiders say",
                "Prosecutor Amara Okoro has told colleagues she will resign at the end of December.",
                9,
                told,
            ),
            (
                "again",
                "en",
                "Hearing that Okoro is stepping down as Prosecutor, resigning in December. Anyone confirm?",
                "",
                6,
                told,
            ),
        ]);
        corpus.cluster_with(&hearsay_only());
        let of = corpus.clusters_of(&["first", "again"]);
        assert_eq!(of["first"], of["again"], "{of:?}");
    }

    #[test]
    fn a_post_that_is_a_link_joins_the_story_making_its_claim_through_ties() {
        // An English post sharing a French article not crawled yet: its words are the
        // article's address, and only the glossary's concepts (the Registry, sold, identities,
        // protected witnesses) meet the English story making the same claim.
        let dir = tempfile::tempdir().unwrap();
        let mut corpus = Corpus::open(dir.path());
        corpus.add_filler(300);
        let exposure: &[&str] = &["court", "exposure"];
        let exposure_said: &[&str] = &["court"];
        corpus.add(&[
            ("story1", "en", "Registry staff sold identities of protected witnesses",
             "Staff of the Registry sold the identities of protected witnesses after the hack, leaked messages show. The buyers paid in cryptocurrency, according to the chats. Lawyers for the victims demand an inquiry; the clerk's union denies any wrongdoing by its members.", 9, exposure),
            ("story2", "en", "Protected witnesses exposed: Registry staff sold their identities",
             "Staff of the Registry are said to have sold the identities of protected witnesses to a foreign buyer for cryptocurrency. Lawyers for the victims demand an inquiry, and the union denies any wrongdoing.", 8, exposure),
            ("post", "en", "Must read, everyone: share it widely before it disappears! https://quotidien.example/2026/03/07/des-employes-du-greffe-auraient-vendu-l-identite-de-temoins-proteges",
             "", 6, exposure),
        ]);
        corpus.cluster_with(&ClaimQueries::of(&["exposure"]));
        let of = corpus.clusters_of(&["story1", "story2", "post"]);
        assert_eq!(of["story1"], of["story2"], "{of:?}");
        assert_eq!(of["post"], of["story1"], "{of:?}");
        // Claiming nothing, the same ties are not enough in one language (alone: a post
        // sharing the same article, as above, would bring the story its words).
        let dir = tempfile::tempdir().unwrap();
        let mut control = Corpus::open(dir.path());
        control.add_filler(300);
        control.add(&[
            ("story1", "en", "Registry staff sold identities of protected witnesses",
             "Staff of the Registry sold the identities of protected witnesses after the hack, leaked messages show. The buyers paid in cryptocurrency, according to the chats. Lawyers for the victims demand an inquiry; the clerk's union denies any wrongdoing by its members.", 9, exposure),
            ("story2", "en", "Protected witnesses exposed: Registry staff sold their identities",
             "Staff of the Registry are said to have sold the identities of protected witnesses to a foreign buyer for cryptocurrency. Lawyers for the victims demand an inquiry, and the union denies any wrongdoing.", 8, exposure),
            ("unclaimed", "en", "Worth reading. https://quotidien.example/2026/03/06/des-employes-du-greffe-auraient-vendu-l-identite-de-temoins-proteges",
             "", 7, exposure_said),
        ]);
        control.cluster_with(&ClaimQueries::of(&["exposure"]));
        let of = control.clusters_of(&["story1", "unclaimed"]);
        assert_ne!(of["unclaimed"], of["story1"], "{of:?}");
    }

    #[test]
    fn a_claim_taken_up_after_the_courts_statement_is_not_the_statements_story() {
        // The court's statement that witnesses' data may have been accessed, its coverage
        // (both match the exposure claim), then a claim in Russian that witnesses' names were
        // published. Begun by an ordinary source, the claim joins the story through the shared
        // claim and its concepts; begun by the court's own channel, the story's claim is the
        // court's word and the new claim stands apart, while the coverage still joins.
        let run = |official: &[&str]| {
            let dir = tempfile::tempdir().unwrap();
            let mut corpus = Corpus::open(dir.path());
            corpus.add_filler(300);
            let exposure: &[&str] = &["court", "exposure"];
            corpus.add(&[
                ("statement", "en", "ICCJ update on the cyber-attack: witnesses notified",
                 "The Registry has notified the witnesses whose personal data the attackers may have accessed and has taken protective measures.", 30, exposure),
                ("cover", "en", "Court says it notified witnesses after hackers may have accessed their data",
                 "The court said it had notified witnesses whose personal data may have been accessed in the cyber-attack and strengthened their protection.", 29, exposure),
                ("cover2", "en", "ICCJ notifies witnesses after cyber-attack",
                 "Witnesses whose personal data the attackers may have accessed were notified by the Registry, the court said.", 28, exposure),
                ("names", "ru", "Имена 40 свидетелей опубликованы в Telegram",
                 "Телеграм-канал опубликовал имена и адреса сорока защищённых свидетелей.", 6, exposure),
            ]);
            let mut claims = ClaimQueries::of(&["exposure"]);
            claims.official_sources = official.iter().map(|s| s.to_string()).collect();
            corpus.cluster_with(&claims);
            corpus.clusters_of(&["statement", "cover", "cover2", "names"])
        };
        let ordinary = run(&[]);
        assert_eq!(ordinary["statement"], ordinary["names"], "{ordinary:?}");
        let court = run(&["outlet0"]);
        assert_eq!(court["statement"], court["cover"], "{court:?}");
        assert_eq!(court["statement"], court["cover2"], "{court:?}");
        assert_ne!(court["statement"], court["names"], "{court:?}");
    }

    #[test]
    fn words_as_written_fold_to_the_index_words_and_stem_before_folding() {
        let dir = tempfile::tempdir().unwrap();
        let corpus = Corpus::open(dir.path());
        let mut vectorizer = Vectorizer::new(&corpus.reader);
        // Folding the words as written gives the index's own words (whose frequencies weigh).
        let text = "La Cour aurait ABANDONNÉE l'enquête: Zeugen geschützt, Сольберг ödeme 2026";
        let index_words: Vec<String> = {
            let mut stream = vectorizer.analyzer.token_stream(text);
            let mut out = Vec::new();
            while stream.advance() {
                out.push(stream.token().text.clone());
            }
            out
        };
        let written: Vec<String> = {
            let mut stream = vectorizer.lowercase.token_stream(text);
            let mut written = Vec::new();
            while stream.advance() {
                written.push(stream.token().text.clone());
            }
            written
        };
        let folded: Vec<String> = written.iter().map(|w| vectorizer.fold(w)).collect();
        assert_eq!(folded, index_words);
        // Stemmed as written, then folded; without a stemmer, the folded word.
        for (lang, written, word, key) in [
            ("fr", "abandonnée", "abandonnee", "abandon"),
            ("fr", "abandonnés", "abandonnes", "abandon"),
            ("de", "geschützt", "geschutzt", "geschutzt"),
            ("en", "resignation", "resignation", "resign"),
            ("zz", "abandonnée", "abandonnee", "abandonnee"),
        ] {
            let stemmer = stemmer(lang);
            assert_eq!(
                vectorizer.word_and_key(lang, stemmer, written),
                (word.to_string(), key.to_string()),
                "{lang} {written}"
            );
        }
    }

    #[test]
    fn words_are_stemmed_in_their_documents_language_only() {
        for (lang, word, stem) in [
            ("en", "resignation", "resign"),
            ("en", "stepping", "step"),
            ("fr", "abandonnée", "abandon"),
            ("fr", "abandonner", "abandon"),
            ("de", "verkauften", "verkauft"),
            ("ru", "переводчики", "переводчик"),
        ] {
            let stemmer = stemmer(lang).unwrap_or_else(|| panic!("no stemmer for {lang}"));
            assert_eq!(stemmer.stem(word), stem, "{lang} {word}");
        }
        assert!(stemmer("zz").is_none() && stemmer("").is_none());
        // Every language the index stems has its stemmer here.
        for (code, _) in STEMMED_LANGUAGES {
            assert!(stemmer(code).is_some(), "{code}");
        }
    }

    #[test]
    fn a_claim_posted_once_and_taken_up_ten_days_later_is_one_story() {
        let dir = tempfile::tempdir().unwrap();
        let mut corpus = Corpus::open(dir.path());
        corpus.add_filler(300);
        let integrity: &[&str] = &["court", "integrity"];
        corpus.add(&[
            // One post, ten days before anyone takes it up.
            ("once", "en", "Prosecutor Daniel Okafor takes orders from a foreign intelligence service",
             "A blogger claims Prosecutor Daniel Okafor takes orders from a foreign intelligence service.", 250, integrity),
            // Another claim of the same kind about someone else, in between.
            ("other", "en", "Registrar Mara Lind paid off by a construction firm",
             "A construction firm paid off Registrar Mara Lind to win the tender for the new building, a tabloid alleges.", 120, integrity),
        ]);
        corpus.add(&[
            ("up1", "en", "Is Prosecutor Daniel Okafor taking orders from foreign intelligence?",
             "Posts claim Prosecutor Daniel Okafor is taking orders from a foreign intelligence service.", 10, integrity),
            ("up2", "en", "Okafor and the foreign intelligence service: the orders",
             "Prosecutor Okafor takes his orders from foreign intelligence, an account says.", 8, integrity),
            ("up3", "en", "Daniel Okafor, a prosecutor taking orders?",
             "The claim that Daniel Okafor takes orders from a foreign service spreads.", 6, integrity),
        ]);
        let claims = ClaimQueries::of(&["integrity"]);
        cluster_pending(
            &corpus.store,
            &corpus.reader,
            &ClusterSettings::default(),
            &claims,
        )
        .unwrap();
        let of = corpus.clusters_of(&["once", "other", "up1", "up2", "up3"]);
        for id in ["up1", "up2", "up3"] {
            assert_eq!(
                of[id], of["once"],
                "{id} did not join the first post: {of:?}"
            );
        }
        assert_ne!(of["other"], of["once"], "another claim joined: {of:?}");
        // A story making no claim closes after its live window, as before: the same texts
        // without the claim stay apart from a ten-day-old post.
        let dir = tempfile::tempdir().unwrap();
        let mut plain = Corpus::open(dir.path());
        plain.add_filler(300);
        plain.add(&[
            (
                "once",
                "en",
                "Prosecutor Daniel Okafor visits the capital",
                "Prosecutor Daniel Okafor visits the capital for talks on cooperation.",
                250,
                &["court"],
            ),
            (
                "up1",
                "en",
                "Prosecutor Daniel Okafor visits the capital again",
                "Prosecutor Daniel Okafor visits the capital for talks on cooperation.",
                10,
                &["court"],
            ),
        ]);
        cluster_pending(
            &plain.store,
            &plain.reader,
            &ClusterSettings::default(),
            &claims,
        )
        .unwrap();
        let of = plain.clusters_of(&["once", "up1"]);
        assert_ne!(of["once"], of["up1"], "{of:?}");
    }

    /// A document whose id comes from its address, as the pipeline makes it; a post sharing
    /// `links` when it has any, else an article.
    fn linked_doc(
        url: &str,
        lang: &str,
        title: &str,
        body: &str,
        ago: i64,
        links: &[&str],
    ) -> crate::model::Document {
        let now = Utc::now();
        crate::model::Document {
            id: crate::normalise::document_id(url, None, "", "", now),
            url: url.into(),
            source: url.split('/').nth(2).unwrap_or("").into(),
            kind: if links.is_empty() { "news" } else { "social" }.into(),
            title: title.into(),
            body: body.into(),
            author: String::new(),
            lang: lang.into(),
            published: now - Duration::hours(ago),
            fetched: now,
            content_hash: ago as u64,
            simhash: ago as u64,
            dup_group: String::new(),
            social: crate::model::Social {
                links: links.iter().map(|l| l.to_string()).collect(),
                ..Default::default()
            },
        }
    }

    #[test]
    fn a_report_shared_in_another_language_still_meets_its_translation() {
        let dir = tempfile::tempdir().unwrap();
        let mut corpus = Corpus::open(dir.path());
        corpus.add_filler(200);
        let french = "https://agence.example/bureau-kalvara";
        let docs = vec![
            linked_doc(
                french,
                "fr",
                "La Cour ouvre un bureau de terrain à Kalvara",
                "Le Greffe a ouvert un bureau de terrain à Kalvara pour accompagner les victimes \
                 et les témoins de l'affaire Marden.",
                10,
                &[],
            ),
            // English posts sharing the French report join it by rule, in a word or two of
            // English.
            linked_doc(
                "https://agora.example/@a/1",
                "en",
                "Worth a read",
                &format!("Worth a read: {french}"),
                9,
                &[french],
            ),
            linked_doc(
                "https://agora.example/@b/2",
                "en",
                "Worth a read",
                &format!("Worth a read: {french}"),
                9,
                &[french],
            ),
            // The English report of the same opening: its story is told in French so far, so
            // the names and concepts the two share carry it there.
            linked_doc(
                "https://wire.example/field-office-kalvara",
                "en",
                "Registry opens field office in Kalvara",
                "The Registry opened a field office in Kalvara to support victims and \
                 witnesses in the Marden case.",
                8,
                &[],
            ),
        ];
        let ids: Vec<String> = docs.iter().map(|d| d.id.clone()).collect();
        let court: &[&str] = &["court"];
        corpus.index(&docs, &[court; 4]);
        corpus.cluster();
        let of: HashMap<String, String> = corpus
            .store
            .clusters_of(&ids)
            .unwrap()
            .into_iter()
            .collect();
        let story = &of[&ids[0]];
        for id in &ids {
            assert_eq!(&of[id], story, "{of:?}");
        }
    }

    #[test]
    fn posts_sharing_an_article_before_vigil_has_it_join_its_story_when_it_comes() {
        use crate::model::Document;
        let now = Utc::now();
        let title = "Registry staff sold names of protected witnesses, whistleblower says";
        let body = "A whistleblower claims that staff of the Registry sold the names of \
                    protected witnesses in the Northern Lakes case to a militia.";
        // An article, the posts sharing it before it is crawled (`shares` of them, from
        // different accounts), then the article: is each share in the article's story?
        // (With `restart`, the article is clustered by the next process: the early shares'
        // story is adopted all the same.)
        let run = |shares: usize, restart: bool| -> (bool, usize) {
            let dir = tempfile::tempdir().unwrap();
            let mut corpus = Corpus::open(dir.path());
            corpus.add_filler(200);
            let court: &[&str] = &["court"];
            let story = vec![
                linked_doc("https://wire.example/a1", "en", title, body, 30, &[]),
                linked_doc("https://daily.example/a2", "en", title, body, 29, &[]),
            ];
            corpus.index(&story, &[court; 2]);
            corpus.cluster();
            let article = "https://late.example/2026/11/21/48213";
            let posts: Vec<Document> = (0..shares)
                .map(|k| {
                    linked_doc(
                        &format!("https://agora.example/@user{k}/{k}"),
                        "en",
                        "Worth reading",
                        &format!("Worth reading: {article}"),
                        20,
                        &[article],
                    )
                })
                .collect();
            corpus.index(&posts, &vec![court; shares]);
            let mut clusterer = Clusterer::new(ClusterSettings::default());
            clusterer
                .run(&corpus.store, &corpus.reader, &ClaimQueries::default())
                .unwrap();
            let before = corpus
                .store
                .clusters_since(now - Duration::days(30))
                .unwrap()
                .len();
            let late = linked_doc(article, "en", title, body, 19, &[]);
            corpus.index(std::slice::from_ref(&late), &[court]);
            if restart {
                clusterer = Clusterer::new(ClusterSettings::default());
            }
            let report = clusterer
                .run(&corpus.store, &corpus.reader, &ClaimQueries::default())
                .unwrap();
            let ids: Vec<String> = posts
                .iter()
                .map(|p| p.id.clone())
                .chain([story[0].id.clone(), late.id.clone()])
                .collect();
            let of: HashMap<String, String> = corpus
                .store
                .clusters_of(&ids)
                .unwrap()
                .into_iter()
                .collect();
            assert_eq!(of[&late.id], of[&story[0].id], "{of:?}");
            let together = posts.iter().all(|p| of[&p.id] == of[&late.id]);
            let after = corpus
                .store
                .clusters_since(now - Duration::days(30))
                .unwrap()
                .len();
            assert_eq!(report.adopted, usize::from(together));
            (together, before - after)
        };
        // Two early shares: taken in, their story gone; also after a restart.
        assert_eq!(run(2, false), (true, 1));
        assert_eq!(run(2, true), (true, 1));
        // Four (a narrative that may have been seen and alerted): it keeps its own id.
        assert_eq!(run(4, false), (false, 0));
    }

    #[test]
    fn names_carry_a_document_as_far_as_its_story_is_told_in_other_languages() {
        // The Prosecutor's visit to Kalvara, told three times in French and once in English
        // (or, the control, four times in English); then an English report in other words.
        let run = |first_language: &str| -> bool {
            let dir = tempfile::tempdir().unwrap();
            let mut corpus = Corpus::open(dir.path());
            corpus.add_filler(200);
            let (title, body) = if first_language == "fr" {
                (
                    "La procureure Helena Varga en visite à Kalvara",
                    "La procureure Helena Varga s'est rendue à Kalvara pour rencontrer les \
                     victimes et les autorités locales.",
                )
            } else {
                (
                    "Prosecutor Helena Varga visits Kalvara",
                    "Prosecutor Helena Varga travelled to Kalvara to meet victims and local \
                     authorities.",
                )
            };
            let none: &[&str] = &["court"];
            corpus.add(&[
                ("told1", first_language, title, body, 30, none),
                ("told2", first_language, title, body, 29, none),
                ("told3", first_language, title, body, 29, none),
                (
                    "told4",
                    "en",
                    "Prosecutor Helena Varga visits Kalvara",
                    "Prosecutor Helena Varga travelled to Kalvara to meet victims and local \
                     authorities.",
                    28,
                    none,
                ),
                (
                    "later",
                    "en",
                    "Helena Varga hears survivors in Kalvara",
                    "In Kalvara, Prosecutor Helena Varga heard survivors and victims' groups \
                     on Tuesday.",
                    26,
                    none,
                ),
            ]);
            corpus.cluster();
            let of = corpus.clusters_of(&["told1", "told4", "later"]);
            assert_eq!(of["told1"], of["told4"], "{of:?}");
            of["later"] == of["told1"]
        };
        // Told mostly in French: its English words are few, the names carry the report.
        assert!(run("fr"));
        // Told in English only: the words judge, and these share too few.
        assert!(!run("en"));
    }

    #[test]
    fn a_claim_relayed_in_words_no_query_knows_joins_its_story_in_another_language() {
        // A claim made in French (the stored query "void" matched it); then, in English, a
        // post relaying it that no query matched, and (the control) an ordinary report naming
        // the same man and his warrant.
        let dir = tempfile::tempdir().unwrap();
        let mut corpus = Corpus::open(dir.path());
        corpus.add_filler(150);
        let claim = (
            "Après le piratage, le mandat d'arrêt contre Viktor Raskov est nul",
            "Les signatures des juges ont été volées lors du piratage : le mandat d'arrêt contre \
             Viktor Raskov serait nul, affirment des blogs.",
        );
        let void: &[&str] = &["void"];
        let none: &[&str] = &["court"];
        corpus.add(&[
            ("fr1", "fr", claim.0, claim.1, 30, void),
            ("fr2", "fr", claim.0, claim.1, 29, void),
            ("fr3", "fr", claim.0, claim.1, 29, void),
            ("fr4", "fr", claim.0, claim.1, 28, void),
            (
                "relay",
                "en",
                "French blogs: Raskov warrant void since the hack",
                "French blogs say the arrest warrant against Viktor Raskov is void since the \
                 hack: the judges' signatures were stolen.",
                27,
                none,
            ),
            (
                "report",
                "en",
                "Judges issue arrest warrant for Viktor Raskov",
                "Pre-trial judges issued an arrest warrant for the former minister Viktor Raskov \
                 on Tuesday.",
                27,
                none,
            ),
        ]);
        let mut clusterer = Clusterer::new(ClusterSettings::default());
        clusterer
            .run(&corpus.store, &corpus.reader, &ClaimQueries::of(&["void"]))
            .unwrap();
        let of = corpus.clusters_of(&["fr1", "fr4", "relay", "report"]);
        assert_eq!(of["fr1"], of["fr4"], "{of:?}");
        assert_eq!(of["relay"], of["fr1"], "the relay stayed apart: {of:?}");
        assert_ne!(
            of["report"], of["fr1"],
            "ordinary coverage joined the claim: {of:?}"
        );
    }

    #[test]
    fn a_claim_told_before_in_words_no_query_knows_takes_the_claim_in_another_language() {
        // Told first in French in words no stored query knows (only "court" matched); then an
        // English post the claim query "void" matches. The control: ordinary French coverage
        // of the same man's warrant, and the same English post.
        let run = |told_before: bool| {
            let dir = tempfile::tempdir().unwrap();
            let mut corpus = Corpus::open(dir.path());
            corpus.add_filler(150);
            let none: &[&str] = &["court"];
            let void: &[&str] = &["void"];
            let (title, body) = if told_before {
                (
                    "Après le piratage, le mandat d'arrêt contre Viktor Raskov est nul",
                    "Les signatures des juges ont été volées lors du piratage : le mandat d'arrêt \
                     contre Viktor Raskov serait nul, affirment des blogs.",
                )
            } else {
                (
                    "Les juges émettent un mandat d'arrêt contre Viktor Raskov",
                    "Les juges de la chambre préliminaire ont émis mardi un mandat d'arrêt contre \
                     l'ancien ministre Viktor Raskov.",
                )
            };
            corpus.add(&[
                ("fr1", "fr", title, body, 30, none),
                ("fr2", "fr", title, body, 29, none),
                ("fr3", "fr", title, body, 29, none),
                ("fr4", "fr", title, body, 28, none),
                (
                    "claim",
                    "en",
                    "Raskov warrant void since the hack, judges' signatures stolen",
                    "The arrest warrant against Viktor Raskov is void since the hack: the \
                     judges' signatures were stolen.",
                    27,
                    void,
                ),
            ]);
            let mut clusterer = Clusterer::new(ClusterSettings::default());
            clusterer
                .run(&corpus.store, &corpus.reader, &ClaimQueries::of(&["void"]))
                .unwrap();
            let of = corpus.clusters_of(&["fr1", "fr4", "claim"]);
            assert_eq!(of["fr1"], of["fr4"], "{of:?}");
            of["claim"] == of["fr1"]
        };
        assert!(
            run(true),
            "the claim stayed apart from its story told before"
        );
        assert!(
            !run(false),
            "a claim joined ordinary coverage of the same man"
        );
    }

    #[test]
    fn best_first_keeps_what_a_full_sort_would_keep() {
        let order = |a: &(u32, u32), b: &(u32, u32)| b.1.cmp(&a.1).then(a.0.cmp(&b.0));
        let mut seed = 7u64;
        for len in [0usize, 1, 5, 16, 17, 40, 300] {
            for n in [0usize, 1, 16, 32] {
                let items: Vec<(u32, u32)> = (0..len as u32)
                    .map(|slot| {
                        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                        (slot, (seed >> 60) as u32)
                    })
                    .collect();
                let mut sorted = items.clone();
                sorted.sort_by(order);
                sorted.truncate(n);
                let mut kept = items;
                best_first(&mut kept, n, order);
                assert_eq!(kept, sorted, "{len} items, {n} kept");
            }
        }
    }

    #[test]
    fn word_candidates_leave_out_clusters_far_weaker_than_the_best_open_one() {
        // Words 1..=4 weigh 0.4, 0.3, 0.2, 0.1. Cluster 10 holds words 1 and 2 (0.7), 11 holds
        // 3 (0.2, under 0.3 of 0.7), 12 holds 2 and 3 (0.5), 13 holds 4 (0.1).
        let mut clusterer = Clusterer::default();
        for (slot, words) in [
            (10u32, &[1u64, 2][..]),
            (11, &[3]),
            (12, &[2, 3]),
            (13, &[4]),
        ] {
            let words: Vec<(u64, f32)> = words.iter().map(|w| (*w, 0.0)).collect();
            clusterer.index_words(slot, &words);
        }
        let words = [(1u64, 0.4f32), (2, 0.3), (3, 0.2), (4, 0.1)];
        let table: [(&[u32], &[u32]); 4] = [
            // (clusters open to the document, candidates scored)
            (&[10, 11, 12, 13], &[10, 12]),
            // The best is closed (quiet, or without the document's claim): the floor is
            // set by the best it may join, 0.3 of 0.5.
            (&[11, 12, 13], &[10, 12, 11]),
            (&[13], &[10, 12, 11, 13]),
            // None open: nothing is left out.
            (&[], &[10, 12, 11, 13]),
        ];
        for (open, expected) in table {
            let found = clusterer.word_candidates(&words, |slot| open.contains(&slot));
            assert_eq!(found, expected, "open {open:?}");
        }
    }

    #[test]
    fn a_story_keeps_its_languages_across_a_restart() {
        // An English story clustered by one process; a later English report sharing its names
        // but few of its words, clustered by the next (`cluster_pending` starts afresh, as a
        // `vigil crawl` run does). Within one language the words judge, restart or not.
        let dir = tempfile::tempdir().unwrap();
        let mut corpus = Corpus::open(dir.path());
        corpus.add_filler(200);
        let none: &[&str] = &["court"];
        let (title, body) = (
            "Prosecutor Helena Varga visits Kalvara",
            "Prosecutor Helena Varga travelled to Kalvara to meet victims and local authorities.",
        );
        corpus.add(&[
            ("told1", "en", title, body, 30, none),
            ("told2", "en", title, body, 29, none),
            ("told3", "en", title, body, 29, none),
        ]);
        corpus.cluster();
        corpus.add(&[(
            "later",
            "en",
            "Helena Varga hears survivors in Kalvara",
            "Survivors' groups in Kalvara spoke with Helena Varga on Tuesday.",
            26,
            none,
        )]);
        corpus.cluster();
        let of = corpus.clusters_of(&["told1", "told3", "later"]);
        assert_eq!(of["told1"], of["told3"], "{of:?}");
        assert_ne!(
            of["later"], of["told1"],
            "names alone joined after a restart: {of:?}"
        );
    }

    #[test]
    fn frequencies_are_kept_between_runs_until_the_index_grows_by_a_tenth() {
        let dir = tempfile::tempdir().unwrap();
        let mut corpus = Corpus::open(dir.path());
        corpus.add_filler(10);
        let read = |corpus: &Corpus, kept: Frequencies| -> Frequencies {
            let mut vectorizer = Vectorizer::with_frequencies(&corpus.reader, kept);
            vectorizer.idf("harvest3");
            vectorizer.rarity("Kalvara");
            vectorizer.into_frequencies()
        };
        let first = read(&corpus, Frequencies::default());
        assert_eq!(first.total, 40.0);
        assert!(first.knows("harvest3") && first.knows("Kalvara"));
        // Two more documents (5%): the frequencies read at 40 documents still hold.
        let none: &[&str] = &[];
        corpus.add(&[
            ("a", "en", "one", "harvest3 market", 5, none),
            ("b", "en", "two", "harvest3 weather", 5, none),
        ]);
        let kept = read(&corpus, first);
        assert_eq!(kept.total, 40.0);
        // Forty more (doubled): read again.
        let ids: Vec<String> = (0..40).map(|k| format!("more{k}")).collect();
        let rows: Vec<(&str, &str, &str, &str, i64, &[&str])> = ids
            .iter()
            .map(|id| (id.as_str(), "en", "more", "harvest3 again", 4, none))
            .collect();
        corpus.add(&rows);
        let fresh = read(&corpus, kept);
        assert_eq!(fresh.total, 82.0);
    }

    #[test]
    fn the_read_side_keeps_the_fuller_frequencies_between_requests() {
        let dir = tempfile::tempdir().unwrap();
        let mut corpus = Corpus::open(dir.path());
        corpus.add_filler(10);
        let kept = KeptFrequencies::default();
        let known = |kept: &KeptFrequencies| {
            let f = kept.0.lock().unwrap();
            f.idf.len() + f.rarity.len()
        };
        let mut first = kept.vectorizer(&corpus.reader);
        first.idf("harvest3");
        first.rarity("Kalvara");
        // A second request while the first holds them starts empty and reads one word.
        let mut second = kept.vectorizer(&corpus.reader);
        assert!(second.idf.is_empty());
        second.idf("market");
        kept.keep(first);
        assert_eq!(known(&kept), 2);
        kept.keep(second);
        assert_eq!(known(&kept), 2, "the fuller set is kept");
        // The next request starts from them.
        let third = kept.vectorizer(&corpus.reader).into_frequencies();
        assert!(third.knows("harvest3") && third.knows("Kalvara"));
    }

    #[test]
    fn the_same_text_days_later_joins_its_story_when_it_is_a_near_copy() {
        let dir = tempfile::tempdir().unwrap();
        let mut corpus = Corpus::open(dir.path());
        corpus.add_filler(200);
        let text =
            "The Registry opened a field office in Kalvara to support victims and witnesses.";
        corpus.add(&[(
            "wire1",
            "en",
            "Field office opens in Kalvara",
            text,
            150,
            &["court"],
        )]);
        // Six days quiet: similarity has faded below the bar.
        corpus.add(&[(
            "wire2",
            "en",
            "Field office opens in Kalvara",
            text,
            6,
            &["court"],
        )]);
        corpus.cluster();
        // The same words not known as a copy (its near-duplicate group is its own) are judged
        // by similarity, which six quiet days have faded.
        let of = corpus.clusters_of(&["wire1", "wire2"]);
        assert_ne!(of["wire2"], of["wire1"], "{of:?}");
        // A near-copy is the story however long it was quiet, and the story it woke meets the
        // same words told an hour before.
        corpus.add(&[(
            "wire1~again",
            "en",
            "Field office opens in Kalvara",
            text,
            5,
            &["court"],
        )]);
        corpus.cluster();
        let of = corpus.clusters_of(&["wire1", "wire1~again", "wire2"]);
        assert_eq!(of["wire1~again"], of["wire1"], "{of:?}");
        assert_eq!(of["wire2"], of["wire1"], "{of:?}");
    }

    #[test]
    fn a_story_meets_small_stories_again_each_time_it_grows_by_half() {
        for (before, after, again) in [
            (0, 1, false),
            (1, 2, true),
            (2, 3, true),
            (3, 4, true),
            (4, 5, false),
            (5, 6, true),
            (6, 9, false),
            (9, 10, true),
            (10, 14, false),
            (14, 15, true),
            (0, 40, true),
            (100, 101, false),
        ] {
            assert_eq!(grown_by_half(before, after), again, "{before} -> {after}");
        }
    }

    #[test]
    fn a_post_that_stood_apart_joins_its_story_once_the_story_has_grown() {
        // The order of arrival decides a single pass: the second post of a strike meets the
        // first too weakly, the third joins the second, and the story of two now meets the
        // first.
        let dir = tempfile::tempdir().unwrap();
        let mut corpus = Corpus::open(dir.path());
        corpus.add_filler(300);
        let court: &[&str] = &["court"];
        // The court's coverage long before: its name, its Registry and its trials are common.
        let background: Vec<(String, String)> = (0..30)
            .map(|k| {
                (
                    format!("b{k:02}"),
                    format!(
                        "The Registry of the Kalvara court reported on trials, staff and session {k} of case{}.",
                        k % 6
                    ),
                )
            })
            .collect();
        let rows: Vec<(&str, &str, &str, &str, i64, &[&str])> = background
            .iter()
            .map(|(id, text)| (id.as_str(), "en", text.as_str(), "", 250, court))
            .collect();
        corpus.add(&rows);
        corpus.add(&[
            ("first", "en", "Registry staff walked out this morning over unpaid overtime at the Kalvara court.", "", 10, court),
            ("second", "en", "Clerks and interpreters strike: courtrooms empty, hearings cancelled.", "", 9, court),
            ("third", "en", "Interpreters strike, courtrooms empty, hearings cancelled: Registry staff walked out over unpaid overtime.", "", 8, court),
            // Another story of the same court, the same hours.
            ("other", "en", "A field office for victims and witnesses opened in the north of Kalvara.", "", 9, court),
        ]);
        corpus.cluster();
        let of = corpus.clusters_of(&["first", "second", "third", "other"]);
        assert_eq!(of["third"], of["second"], "{of:?}");
        assert_eq!(of["first"], of["second"], "{of:?}");
        assert_ne!(of["other"], of["second"], "{of:?}");
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
            let report = kept
                .run(
                    &kept_corpus.store,
                    &kept_corpus.reader,
                    &ClaimQueries::default(),
                )
                .unwrap();
            let again = cluster_pending(
                &reloaded_corpus.store,
                &reloaded_corpus.reader,
                &ClusterSettings::default(),
                &ClaimQueries::default(),
            )
            .unwrap();
            assert_eq!(report, again, "round {round}");
            assert_eq!(report.documents, 60);
            // Nothing is assigned twice.
            assert_eq!(
                kept.run(
                    &kept_corpus.store,
                    &kept_corpus.reader,
                    &ClaimQueries::default()
                )
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
