//! Duplicate handling. Exact duplicates: a document whose id was already indexed with the same
//! content hash is dropped; one with a changed hash is an update (upserted by id). Near
//! duplicates: a 64-bit SimHash over word 3-shingles, so copy-paste across outlets can be grouped
//! by Hamming distance. In: candidate documents and what the state says was seen; out: the new
//! or changed ones.

use crate::model::Document;
use crate::store::Known;
use std::collections::{HashMap, HashSet};

/// SimHash distance at or below which two texts count as near-identical. Over 3-word shingles a
/// one-word edit of a 20-word text moves about 11 bits, while unrelated texts sit near 32 (the
/// chance of an unrelated pair within 12 bits is about 1e-7).
pub const NEAR_DUPLICATE_BITS: u32 = 12;

/// Band width of the near-duplicate index: 8 bands of 8 bits, so any two fingerprints within 7
/// bits share at least one band exactly (pigeonhole); pairs at 8 to 12 bits are found with high
/// probability. Each band bucket holds about 1/256 of the documents.
const BANDS: usize = 8;

/// Near-duplicate groups: which earlier document (within the retention window) a new one
/// copies, so every copy carries the same group id.
#[derive(Default)]
pub struct NearDuplicates {
    fingerprints: Vec<(u64, String)>,
    buckets: HashMap<(u8, u8), Vec<u32>>,
}

impl NearDuplicates {
    /// Adds a known document and its group (at start-up, from the state database).
    pub fn insert(&mut self, simhash: u64, group: String) {
        if simhash == 0 {
            return;
        }
        let position = self.fingerprints.len() as u32;
        self.fingerprints.push((simhash, group));
        for band in 0..BANDS {
            self.buckets
                .entry((band as u8, (simhash >> (band * 8)) as u8))
                .or_default()
                .push(position);
        }
    }

    /// The group of a new document: the group of the nearest earlier fingerprint within
    /// `NEAR_DUPLICATE_BITS`, or its own id. The document is added either way.
    pub fn assign(&mut self, simhash: u64, id: &str) -> String {
        let mut best: Option<(u32, u32)> = None;
        if simhash != 0 {
            for band in 0..BANDS {
                let Some(bucket) = self
                    .buckets
                    .get(&(band as u8, (simhash >> (band * 8)) as u8))
                else {
                    continue;
                };
                for &position in bucket {
                    let distance = hamming(self.fingerprints[position as usize].0, simhash);
                    if distance <= NEAR_DUPLICATE_BITS && best.is_none_or(|(d, _)| distance < d) {
                        best = Some((distance, position));
                    }
                }
            }
        }
        let group = match best {
            Some((_, position)) => self.fingerprints[position as usize].1.clone(),
            None => id.to_string(),
        };
        self.insert(simhash, group.clone());
        group
    }

    /// Fingerprints held.
    pub fn len(&self) -> usize {
        self.fingerprints.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty()
    }
}

/// Number of differing bits between two fingerprints.
pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// What to do with a document whose id may already be indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Not indexed yet.
    New,
    /// Replaces the indexed version.
    Update,
    /// Adds nothing: unchanged, or a thinner copy from another source.
    Duplicate,
}

/// Judges a document against what is indexed under its id: the same source may update its
/// own item; another source (a news-search feed linking the same article, say) replaces it
/// only with a fuller text, so a search engine's snippet never overwrites the outlet's article.
pub fn judge(document: &Document, known: Option<&Known>) -> Verdict {
    let Some(known) = known else {
        return Verdict::New;
    };
    if known.content_hash == document.content_hash {
        return Verdict::Duplicate;
    }
    if known.source == document.source || Known::of(document).body_chars > known.body_chars {
        Verdict::Update
    } else {
        Verdict::Duplicate
    }
}

/// Keeps the documents that are new or improve on what is indexed, and only the last copy of
/// an id repeated within the batch.
pub fn new_or_changed(batch: Vec<Document>, known: &HashMap<String, Known>) -> Vec<Document> {
    let mut last_position: HashMap<&str, usize> = HashMap::new();
    for (position, doc) in batch.iter().enumerate() {
        last_position.insert(doc.id.as_str(), position);
    }
    let keep: HashSet<usize> = last_position.values().copied().collect();
    batch
        .into_iter()
        .enumerate()
        .filter(|(position, doc)| {
            keep.contains(position) && judge(doc, known.get(&doc.id)) != Verdict::Duplicate
        })
        .map(|(_, doc)| doc)
        .collect()
}

/// What one commit's worth of documents already holds, so a pass never indexes the same item
/// twice before its commit: an id seen earlier in the pass is replaced only by its own
/// source's edit or a fuller text (`judge`), and a news source's same text under another link
/// is a repeat (recorded, not indexed again). Social posts with identical text from many
/// accounts are all kept: on a platform
/// that repetition is the copy-paste and coordination signal, not a feed repeating itself.
#[derive(Default)]
pub struct InPass {
    known: HashMap<String, Known>,
    /// Each news source's texts so far, with the document that carried each first.
    texts: HashMap<(String, u64), String>,
}

/// What the pass makes of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// It adds to what the pass holds.
    New,
    /// The same item again (its id), with nothing better: dropped.
    SameItem,
    /// A news source's same text again under another link: kept once, recorded as a repeat
    /// of this document.
    Repeat(String),
}

impl InPass {
    /// What a document adds to what the pass holds.
    pub fn admit(&self, document: &Document) -> Admission {
        if let Some(earlier) = self.known.get(&document.id)
            && judge(document, Some(earlier)) != Verdict::Update
        {
            return Admission::SameItem;
        }
        if document.kind == "news"
            && let Some(first) = self
                .texts
                .get(&(document.source.clone(), document.content_hash))
            && first != &document.id
        {
            return Admission::Repeat(first.clone());
        }
        Admission::New
    }

    /// Records a document the writer kept, so a later copy in the pass is judged against it
    /// (and a news source's same text under another link is a repeat of it).
    pub fn remember(&mut self, document: &Document) {
        self.known.insert(document.id.clone(), Known::of(document));
        if document.kind == "news" {
            self.texts
                .entry((document.source.clone(), document.content_hash))
                .or_insert_with(|| document.id.clone());
        }
    }

    /// Forgets the pass so far (after a commit, the state database knows it).
    pub fn clear(&mut self) {
        self.known.clear();
        self.texts.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::simhash;

    /// A news document with what dedup reads set, the rest filled in.
    fn document(id: &str, source: &str, kind: &str, hash: u64, body: &str) -> Document {
        Document {
            id: id.into(),
            url: String::new(),
            source: source.into(),
            kind: kind.into(),
            title: "t".into(),
            body: body.into(),
            author: String::new(),
            lang: "en".into(),
            published: chrono::Utc::now(),
            fetched: chrono::Utc::now(),
            content_hash: hash,
            simhash: 0,
            dup_group: id.into(),
            social: Default::default(),
        }
    }

    #[test]
    fn near_copies_are_close_and_different_texts_far() {
        let original = "Leaked files from the court's hacked servers prove the prosecutor coordinated the warrant with foreign intelligence services, insiders claim";
        let edited = "Leaked files from the court's hacked servers prove the prosecutor coordinated the warrant with foreign intelligence agencies, insiders claim";
        let other = "Judges of the appeals chamber will deliver their judgment on reparations for victims next Thursday in a public hearing";
        assert!(hamming(simhash(original), simhash(edited)) <= NEAR_DUPLICATE_BITS);
        assert!(hamming(simhash(original), simhash(other)) > NEAR_DUPLICATE_BITS);
        assert_eq!(simhash(""), 0);
    }

    #[test]
    fn near_duplicates_share_a_group() {
        let base = "Leaked files from the court's hacked servers prove the prosecutor coordinated the warrant with foreign intelligence services, insiders claim, and more documents will follow in the coming days according to the source";
        let copy = base.replace("services", "agencies");
        let other = "Judges of the appeals chamber will deliver their judgment on reparations for victims next Thursday in a public hearing in The Hague";
        let mut groups = NearDuplicates::default();
        assert_eq!(groups.assign(simhash(base), "a"), "a");
        assert_eq!(groups.assign(simhash(other), "b"), "b");
        assert_eq!(
            groups.assign(simhash(&copy), "c"),
            "a",
            "the copy joins the original's group"
        );
        assert_eq!(groups.assign(simhash(&copy), "d"), "a");
        assert_eq!(groups.assign(0, "e"), "e", "empty texts never group");
        assert_eq!(groups.len(), 4);
    }

    #[test]
    fn judges_updates_by_source_and_fullness() {
        let mut document = document("x", "outlet", "news", 7, "a fuller article text");
        let known = |hash: u64, source: &str, body_chars: u32| Known {
            content_hash: hash,
            source: source.into(),
            body_chars,
        };
        let cases = [
            ("never seen", None, Verdict::New),
            (
                "unchanged",
                Some(known(7, "outlet", 21)),
                Verdict::Duplicate,
            ),
            (
                "edited by its source",
                Some(known(6, "outlet", 500)),
                Verdict::Update,
            ),
            (
                "fuller than another source's",
                Some(known(6, "search", 7)),
                Verdict::Update,
            ),
            (
                "thinner than another source's",
                Some(known(6, "search", 900)),
                Verdict::Duplicate,
            ),
        ];
        for (name, known, expected) in cases {
            assert_eq!(judge(&document, known.as_ref()), expected, "{name}");
        }
        document.body.clear();
        assert_eq!(
            judge(&document, Some(&known(6, "search", 0))),
            Verdict::Duplicate,
            "an equally empty body adds nothing"
        );
    }

    #[test]
    fn drops_seen_and_repeated_documents() {
        let doc = |id: &str, hash: u64| document(id, "s", "news", hash, "");
        let known = |hash: u64| Known {
            content_hash: hash,
            source: "s".into(),
            body_chars: 0,
        };
        let seen = HashMap::from([("a".to_string(), known(1)), ("b".to_string(), known(2))]);
        let kept = new_or_changed(
            vec![doc("a", 1), doc("b", 3), doc("c", 4), doc("c", 5)],
            &seen,
        );
        let kept: Vec<(&str, u64)> = kept
            .iter()
            .map(|d| (d.id.as_str(), d.content_hash))
            .collect();
        assert_eq!(kept, vec![("b", 3), ("c", 5)]);
    }

    #[test]
    fn in_pass_duplicates_table() {
        let doc = document;
        // (earlier documents kept in the pass, the next one, admitted?)
        let cases: Vec<(&str, Vec<Document>, Document, bool)> = vec![
            (
                "nothing earlier",
                vec![],
                doc("a", "s", "news", 1, "x"),
                true,
            ),
            (
                "same id, same text",
                vec![doc("a", "s", "news", 1, "x")],
                doc("a", "s", "news", 1, "x"),
                false,
            ),
            (
                "same id, own source's edit",
                vec![doc("a", "s", "news", 1, "x")],
                doc("a", "s", "news", 2, "y"),
                true,
            ),
            (
                "same id, thinner copy from another source",
                vec![doc("a", "s", "news", 1, "long text")],
                doc("a", "t", "news", 2, "short"),
                false,
            ),
            (
                "same id, fuller text from another source",
                vec![doc("a", "s", "news", 1, "short")],
                doc("a", "t", "news", 2, "a much longer text"),
                true,
            ),
            (
                "news: same text, same source, another link",
                vec![doc("a", "s", "news", 1, "x")],
                doc("b", "s", "news", 1, "x"),
                false,
            ),
            (
                "news: same text from another outlet",
                vec![doc("a", "s", "news", 1, "x")],
                doc("b", "t", "news", 1, "x"),
                true,
            ),
            (
                "social: same text from the same account",
                vec![doc("a", "s", "social", 1, "x")],
                doc("b", "s", "social", 1, "x"),
                true,
            ),
        ];
        for (name, earlier, next, expected) in cases {
            let mut pass = InPass::default();
            for document in &earlier {
                assert_eq!(
                    pass.admit(document),
                    Admission::New,
                    "{name}: earlier refused"
                );
                pass.remember(document);
            }
            assert_eq!(pass.admit(&next) == Admission::New, expected, "{name}");
            pass.clear();
            assert_eq!(
                pass.admit(&next),
                Admission::New,
                "{name}: after a commit the pass is empty"
            );
        }
    }

    #[test]
    fn a_news_sources_same_text_under_a_new_link_is_a_repeat_of_the_first() {
        let mut pass = InPass::default();
        let first = document("a", "daily", "news", 9, "the morning briefing");
        assert_eq!(pass.admit(&first), Admission::New);
        pass.remember(&first);
        let again = document("b", "daily", "news", 9, "the morning briefing");
        assert_eq!(pass.admit(&again), Admission::Repeat("a".into()));
        // The same id again is the same item, not a repeat.
        assert_eq!(pass.admit(&first), Admission::SameItem);
    }
}
