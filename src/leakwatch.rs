//! The leak watch: the court's confidential documents (witness identities, sealed filings,
//! internal emails) registered as keyed fingerprints only, and every crawled document checked
//! against them before it is indexed.
//!
//! In: registered texts (`register`, from `vigil leakwatch add`), a secret key (file or
//! environment, `[leakwatch]`), crawled documents (`Guard::check`, in the index writer); out:
//! fingerprints in the state database (`store::leaks`: HMAC-SHA-256 of word shingles, cut to
//! 64 bits; never the text, never the key) and `Hit`s naming the registered label and how much
//! of it was found.
//!
//! A shingle is three consecutive content words (lower-cased, words of four characters or more
//! that are not common function words), sorted, so that a paragraph with words swapped within
//! a phrase keeps most of its shingles, and one with 30% of its words changed keeps about a third.
//! A registered document is fingerprinted by part, a part being a paragraph (`parts`), so that
//! one paragraph leaked out of a long filing is a large share of its part. A crawled document matches when it holds, of one part's fingerprints, at least
//! `min_matches` and at least the share `threshold`. Checking costs one HMAC per content word and one hash
//! lookup; the number of registered documents does not change it.

use crate::store::leaks::{LeakLabel, LeakMatch};
use crate::store::{Store, StoreError};
use crate::types::Secret;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Words per shingle.
const SHINGLE: usize = 3;
/// Content words of a registered document's part at most, the step between the windows of a
/// longer paragraph (they overlap by half), and at least (shorter paragraphs are joined).
const PART_WORDS: usize = 60;
const PART_STEP: usize = 30;
const MIN_PART_WORDS: usize = 20;
/// Largest file registered (a text, an HTML page).
pub const MAX_FILE_BYTES: u64 = 16 << 20;
/// Words of a crawled document looked at, at most (the start of a very long page).
const MAX_WORDS: usize = 50_000;

/// Function words of four characters or more in English, French and Russian: too common to
/// tell one text from another.
const COMMON: &[&str] = &[
    "that",
    "this",
    "with",
    "from",
    "have",
    "were",
    "been",
    "which",
    "their",
    "there",
    "they",
    "will",
    "would",
    "about",
    "into",
    "than",
    "then",
    "them",
    "these",
    "those",
    "also",
    "said",
    "such",
    "when",
    "what",
    "where",
    "while",
    "after",
    "before",
    "other",
    "over",
    "under",
    "more",
    "most",
    "some",
    "only",
    "very",
    "dans",
    "pour",
    "avec",
    "mais",
    "sont",
    "cette",
    "leur",
    "leurs",
    "nous",
    "vous",
    "elle",
    "elles",
    "être",
    "avoir",
    "comme",
    "aussi",
    "plus",
    "tout",
    "tous",
    "sans",
    "sous",
    "entre",
    "après",
    "avant",
    "selon",
    "contre",
    "depuis",
    "était",
    "ont",
    "этот",
    "эта",
    "это",
    "эти",
    "того",
    "также",
    "который",
    "которые",
    "которая",
    "было",
    "были",
    "будет",
    "после",
    "перед",
    "между",
    "через",
    "более",
    "только",
    "чтобы",
    "когда",
    "если",
    "свои",
    "своих",
];

/// A failure of the leak watch, naming the file or the key's source.
#[derive(Debug, thiserror::Error)]
pub enum LeakError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("leak watch key: {0}")]
    Key(String),
    #[error(
        "the leak watch key is not the one the registered documents were fingerprinted with (label {0:?}): restore that key, or remove and register them again"
    )]
    KeyChanged(String),
    #[error("a registered document named {0:?} exists: remove it first or choose another label")]
    LabelTaken(String),
    #[error(
        "{0}: too little text to fingerprint ({1} shingles; at least 10 are needed to tell it apart from ordinary text)"
    )]
    TooShort(String, usize),
}

/// The content words of a text, lower-cased.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 4)
        .map(str::to_lowercase)
        .filter(|w| !COMMON.contains(&w.as_str()))
        .take(MAX_WORDS)
        .collect()
}

/// The shingles of a word list: each window of `SHINGLE` words, sorted, joined by a space.
pub fn shingles(words: &[String]) -> impl Iterator<Item = String> + '_ {
    words.windows(SHINGLE).map(|window| {
        let mut sorted: Vec<&str> = window.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        sorted.join(" ")
    })
}

/// The keyed fingerprints: HMAC-SHA-256 under the watch's key.
pub struct Fingerprinter {
    key: ring::hmac::Key,
}

impl Fingerprinter {
    pub fn new(secret: &Secret) -> Fingerprinter {
        Fingerprinter {
            key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.expose().as_bytes()),
        }
    }

    /// Reads the key from where `[leakwatch]` says.
    pub fn from_settings(
        settings: &crate::config::security::LeakWatchSettings,
    ) -> Result<Fingerprinter, LeakError> {
        let secret = settings.key.read().map_err(LeakError::Key)?;
        if secret.expose().len() < 16 {
            return Err(LeakError::Key(
                "the key must be at least 16 characters (e.g. `openssl rand -hex 32`)".into(),
            ));
        }
        Ok(Fingerprinter::new(&secret))
    }

    fn mac(&self, text: &str) -> u64 {
        let tag = ring::hmac::sign(&self.key, text.as_bytes());
        first_u64(tag.as_ref())
    }

    /// The MAC of a shingle as `shingles` spells it (sorted words joined by a space), without
    /// building the string: the words go into the MAC one by one.
    fn mac_window(&self, window: &[String]) -> u64 {
        let mut sorted: [&str; SHINGLE] = [""; SHINGLE];
        for (slot, word) in sorted.iter_mut().zip(window) {
            *slot = word;
        }
        sorted.sort_unstable();
        let mut context = ring::hmac::Context::with_key(&self.key);
        for (i, word) in sorted.iter().enumerate() {
            if i > 0 {
                context.update(b" ");
            }
            context.update(word.as_bytes());
        }
        first_u64(context.sign().as_ref())
    }

    /// The fingerprints of a word list's shingles.
    fn window_prints(&self, words: &[String]) -> HashSet<u64> {
        words.windows(SHINGLE).map(|w| self.mac_window(w)).collect()
    }

    /// Tells keys apart without revealing them: the MAC of a fixed text.
    pub fn key_check(&self) -> String {
        format!("{:016x}", self.mac("vigil leak watch key check"))
    }

    /// The distinct fingerprints of a text.
    pub fn prints(&self, text: &str) -> HashSet<u64> {
        let words = words(text);
        self.window_prints(&words)
    }

    /// The fingerprints of a document to register, by part: (part, fingerprint), distinct
    /// within a part. See `parts`.
    pub fn prints_by_part(&self, text: &str) -> Vec<(u32, u64)> {
        let mut out = Vec::new();
        for (part, words) in parts(text).iter().enumerate() {
            let prints = self.window_prints(words);
            out.extend(prints.into_iter().map(|p| (part as u32, p)));
        }
        out
    }
}

/// A registered document's parts: its paragraphs (blank-line separated), short ones joined to
/// the next until a part holds `MIN_PART_WORDS` content words, long ones cut into windows of
/// `PART_WORDS` that overlap by half. A leaked paragraph is then most of one part, whatever
/// the length of the document it came from.
pub fn parts(text: &str) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    let paragraphs = text
        .split("\n\n")
        .flat_map(|p| p.split("\r\n\r\n"))
        .map(words);
    for paragraph in paragraphs {
        pending.extend(paragraph);
        if pending.len() < MIN_PART_WORDS {
            continue;
        }
        let words = std::mem::take(&mut pending);
        if words.len() <= PART_WORDS {
            out.push(words);
            continue;
        }
        let mut start = 0;
        loop {
            let end = (start + PART_WORDS).min(words.len());
            out.push(words[start..end].to_vec());
            if end == words.len() {
                break;
            }
            start += PART_STEP;
        }
    }
    if !pending.is_empty() {
        match out.last_mut() {
            // A short tail belongs with the paragraph before it.
            Some(last) if pending.len() < MIN_PART_WORDS => last.extend(pending),
            _ => out.push(pending),
        }
    }
    out
}

fn first_u64(bytes: &[u8]) -> u64 {
    u64::from_be_bytes([
        bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
    ])
}

/// Reads a file to register: plain text, or HTML (its text). PDF is refused: convert it with
/// `pdftotext` first (no well-kept pure-Rust PDF text extractor is in the build).
pub fn read_file(path: &Path) -> Result<String, LeakError> {
    let fail = |message: String| LeakError::File {
        path: path.display().to_string(),
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(fail(format!(
            "larger than {} MB; register the confidential parts",
            MAX_FILE_BYTES >> 20
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    if bytes.starts_with(b"%PDF") {
        return Err(fail(
            "PDF is not read: convert it to text first (`pdftotext FILE.pdf FILE.txt`) and register the text".into(),
        ));
    }
    let text = match std::str::from_utf8(&bytes) {
        Ok(text) => text.to_string(),
        Err(_) => {
            let (decoded, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
            decoded.into_owned()
        }
    };
    let name = path.to_string_lossy().to_ascii_lowercase();
    let looks_html =
        name.ends_with(".html") || name.ends_with(".htm") || text.trim_start().starts_with('<');
    Ok(if looks_html {
        crate::normalise::html_to_text(&text)
    } else {
        text
    })
}

/// Registers a text under `label`. Returns the label's id and its number of fingerprints.
pub fn register(
    store: &Store,
    fingerprinter: &Fingerprinter,
    label: &str,
    text: &str,
    added_by: &str,
    now: DateTime<Utc>,
) -> Result<(i64, usize), LeakError> {
    let check = fingerprinter.key_check();
    if let Some(other) = store.leak_labels()?.iter().find(|l| l.key_check != check) {
        return Err(LeakError::KeyChanged(other.label.clone()));
    }
    let prints = fingerprinter.prints_by_part(text);
    let distinct = prints
        .iter()
        .map(|(_, p)| *p)
        .collect::<HashSet<u64>>()
        .len();
    if distinct < 10 {
        return Err(LeakError::TooShort(label.to_string(), distinct));
    }
    match store.add_leak_label(label, &prints, &check, added_by, now)? {
        Some(id) => Ok((id, distinct)),
        None => Err(LeakError::LabelTaken(label.to_string())),
    }
}

/// A registered document found in a crawled one: of its part most found, the fingerprints
/// found and the part's total.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub label_id: i64,
    pub label: String,
    pub matched: usize,
    pub total: usize,
}

impl Hit {
    pub fn share(&self) -> f64 {
        self.matched as f64 / self.total.max(1) as f64
    }
}

/// The registered fingerprints in memory, with the rule for a match.
#[derive(Default)]
pub struct Watch {
    /// Fingerprint → the (label, part) holding it.
    by_print: HashMap<u64, Vec<(u32, u32)>>,
    labels: Vec<LeakLabel>,
    /// Fingerprints per part, per label.
    part_sizes: Vec<Vec<usize>>,
    threshold: f64,
    min_matches: usize,
}

impl Watch {
    /// Loads every registered fingerprint; refuses when the key is not the one they were made
    /// with (the watch would silently find nothing).
    pub fn load(
        store: &Store,
        fingerprinter: &Fingerprinter,
        threshold: f64,
        min_matches: usize,
    ) -> Result<Watch, LeakError> {
        let labels = store.leak_labels()?;
        let check = fingerprinter.key_check();
        if let Some(other) = labels.iter().find(|l| l.key_check != check) {
            return Err(LeakError::KeyChanged(other.label.clone()));
        }
        let index: HashMap<i64, u32> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.id, i as u32))
            .collect();
        let mut by_print: HashMap<u64, Vec<(u32, u32)>> = HashMap::new();
        let mut part_sizes: Vec<Vec<usize>> = vec![Vec::new(); labels.len()];
        for (label_id, part, print) in store.leak_prints()? {
            if let Some(i) = index.get(&label_id) {
                by_print.entry(print).or_default().push((*i, part));
                let sizes = &mut part_sizes[*i as usize];
                if sizes.len() <= part as usize {
                    sizes.resize(part as usize + 1, 0);
                }
                sizes[part as usize] += 1;
            }
        }
        Ok(Watch {
            by_print,
            labels,
            part_sizes,
            threshold,
            min_matches,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The registered documents a text holds enough of.
    pub fn check(&self, fingerprinter: &Fingerprinter, text: &str) -> Vec<Hit> {
        if self.labels.is_empty() {
            return Vec::new();
        }
        let mut counts: HashMap<(u32, u32), usize> = HashMap::new();
        for print in fingerprinter.prints(text) {
            if let Some(parts) = self.by_print.get(&print) {
                for part in parts {
                    *counts.entry(*part).or_default() += 1;
                }
            }
        }
        // Per label, its part with the largest share that passes the rule.
        let mut best: HashMap<u32, Hit> = HashMap::new();
        for ((i, part), matched) in counts {
            let label = &self.labels[i as usize];
            let total = self.part_sizes[i as usize]
                .get(part as usize)
                .copied()
                .unwrap_or(0);
            let hit = Hit {
                label_id: label.id,
                label: label.label.clone(),
                matched,
                total,
            };
            if matched < self.min_matches || hit.share() < self.threshold {
                continue;
            }
            if best.get(&i).is_none_or(|b| hit.share() > b.share()) {
                best.insert(i, hit);
            }
        }
        let mut hits: Vec<Hit> = best.into_values().collect();
        hits.sort_by(|a, b| b.matched.cmp(&a.matched).then(a.label_id.cmp(&b.label_id)));
        hits
    }
}

/// The leak watch as the index writer holds it: the key, the fingerprints, and the version of
/// the registered set they were loaded at (reloaded when it changes).
pub struct Guard {
    fingerprinter: Fingerprinter,
    watch: Watch,
    version: (i64, i64),
    threshold: f64,
    min_matches: usize,
}

impl Guard {
    pub fn open(
        store: &Store,
        settings: &crate::config::security::LeakWatchSettings,
    ) -> Result<Guard, LeakError> {
        let fingerprinter = Fingerprinter::from_settings(settings)?;
        let version = store.leak_labels_version()?;
        let watch = Watch::load(
            store,
            &fingerprinter,
            settings.threshold,
            settings.min_matches,
        )?;
        Ok(Guard {
            fingerprinter,
            watch,
            version,
            threshold: settings.threshold,
            min_matches: settings.min_matches,
        })
    }

    /// Reloads the fingerprints when documents were registered or removed since.
    pub fn refresh(&mut self, store: &Store) -> Result<(), LeakError> {
        let version = store.leak_labels_version()?;
        if version != self.version {
            self.watch = Watch::load(store, &self.fingerprinter, self.threshold, self.min_matches)?;
            self.version = version;
        }
        Ok(())
    }

    /// The registered documents a crawled document (title and text) holds enough of.
    pub fn check(&self, document: &crate::model::Document) -> Vec<Hit> {
        if self.watch.is_empty() {
            return Vec::new();
        }
        let text = format!("{}\n{}", document.title, document.body);
        self.watch.check(&self.fingerprinter, &text)
    }
}

/// The match record of a hit.
pub fn match_of(document: &crate::model::Document, hit: &Hit, at: DateTime<Utc>) -> LeakMatch {
    LeakMatch {
        id: 0,
        doc_id: document.id.clone(),
        url: document.url.clone(),
        source: document.source.clone(),
        title: crate::text::truncate_chars(&document.title, 300).to_string(),
        label_id: hit.label_id,
        label: hit.label.clone(),
        matched: hit.matched,
        total: hit.total,
        at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_drop_short_and_common_ones_in_each_language() {
        assert_eq!(
            words("The witness, who was relocated, said that the Prosecutor knew."),
            ["witness", "relocated", "prosecutor", "knew"]
        );
        assert_eq!(
            words("Le témoin a été déplacé dans une autre ville"),
            ["témoin", "déplacé", "autre", "ville"]
        );
        assert_eq!(words("Свидетель был перемещён"), ["свидетель", "перемещён"]);
    }

    #[test]
    fn shingles_ignore_order_within_the_window() {
        let a = words("protected witness relocated yesterday");
        let b = words("witness protected relocated yesterday");
        let sa: Vec<String> = shingles(&a).collect();
        let sb: Vec<String> = shingles(&b).collect();
        assert_eq!(sa[0], sb[0]);
        assert_eq!(sa.len(), 2);
    }

    #[test]
    fn the_mac_of_a_window_is_the_mac_of_its_shingle() {
        let f = Fingerprinter::new(&Secret::new("a key long enough for this".into()));
        let w = words("witness protected relocated yesterday");
        let spelled: Vec<u64> = shingles(&w).map(|s| f.mac(&s)).collect();
        let direct: Vec<u64> = w.windows(SHINGLE).map(|x| f.mac_window(x)).collect();
        assert_eq!(spelled, direct);
    }

    #[test]
    fn parts_follow_paragraphs() {
        let para = |n: usize, w: &str| vec![w; n].join(" ");
        // Two paragraphs of 30 content words: two parts; a short one joins the next; a long
        // one is cut in overlapping windows.
        let text = format!("{}\n\n{}", para(30, "alpha"), para(30, "bravo"));
        assert_eq!(parts(&text).len(), 2);
        let text = format!("{}\n\n{}", para(5, "alpha"), para(30, "bravo"));
        assert_eq!(parts(&text).len(), 1);
        assert_eq!(parts(&para(120, "delta")).len(), 3);
        let text = format!("{}\n\n{}", para(30, "alpha"), para(5, "bravo"));
        assert_eq!(parts(&text), vec![words(&text)]);
    }

    #[test]
    fn prints_depend_on_the_key() {
        let a = Fingerprinter::new(&Secret::new("a key long enough for this".into()));
        let b = Fingerprinter::new(&Secret::new("another key, long enough".into()));
        let text = "protected witness relocated yesterday under escort";
        assert_eq!(a.prints(text), a.prints(text));
        assert!(a.prints(text).is_disjoint(&b.prints(text)));
        assert_ne!(a.key_check(), b.key_check());
    }
}
