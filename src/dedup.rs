//! Duplicate handling. Exact duplicates: a document whose id was already indexed with the same
//! content hash is dropped; one with a changed hash is an update (upserted by id). Near
//! duplicates: a 64-bit SimHash over word 3-shingles, so copy-paste across outlets can be grouped
//! by Hamming distance. In: candidate documents and what the state says was seen; out: the new
//! or changed ones.

use crate::model::Document;
use std::collections::{HashMap, HashSet};
use xxhash_rust::xxh3::xxh3_64;

/// SimHash distance at or below which two texts count as near-identical. Over 3-word shingles a
/// one-word edit of a 20-word text moves about 11 bits, while unrelated texts sit near 32 (the
/// chance of an unrelated pair within 12 bits is about 1e-7).
pub const NEAR_DUPLICATE_BITS: u32 = 12;

/// 64-bit SimHash of a text, over lowercase word 3-shingles (single words for very short texts).
pub fn simhash(text: &str) -> u64 {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect();
    if words.is_empty() {
        return 0;
    }
    let mut weights = [0i32; 64];
    let mut add = |hash: u64| {
        for (bit, weight) in weights.iter_mut().enumerate() {
            if hash >> bit & 1 == 1 {
                *weight += 1;
            } else {
                *weight -= 1;
            }
        }
    };
    if words.len() < 3 {
        words.iter().for_each(|w| add(xxh3_64(w.as_bytes())));
    } else {
        for shingle in words.windows(3) {
            add(xxh3_64(shingle.join(" ").as_bytes()));
        }
    }
    weights.iter().enumerate().fold(
        0u64,
        |acc, (bit, &w)| if w > 0 { acc | 1 << bit } else { acc },
    )
}

/// Number of differing bits between two fingerprints.
pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// Keeps the documents that are new or changed: not in `seen` (id → content hash) with the same
/// hash, and not repeated within the batch (the last copy wins).
pub fn new_or_changed(batch: Vec<Document>, seen: &HashMap<String, u64>) -> Vec<Document> {
    let mut last_position: HashMap<&str, usize> = HashMap::new();
    for (position, doc) in batch.iter().enumerate() {
        last_position.insert(doc.id.as_str(), position);
    }
    let keep: HashSet<usize> = last_position.values().copied().collect();
    batch
        .into_iter()
        .enumerate()
        .filter(|(position, doc)| {
            keep.contains(position) && seen.get(&doc.id) != Some(&doc.content_hash)
        })
        .map(|(_, doc)| doc)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn drops_seen_and_repeated_documents() {
        let doc = |id: &str, hash: u64| Document {
            id: id.into(),
            url: String::new(),
            source: "s".into(),
            kind: "news".into(),
            title: id.into(),
            body: String::new(),
            author: String::new(),
            lang: "en".into(),
            published: chrono::Utc::now(),
            fetched: chrono::Utc::now(),
            content_hash: hash,
            simhash: 0,
        };
        let seen = HashMap::from([("a".to_string(), 1), ("b".to_string(), 2)]);
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
}
