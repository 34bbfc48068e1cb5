//! The two query kinds tantivy lacks, as tantivy `Query` implementations:
//! - `SpanQuery`: proximity over word positions: `NEAR/n` (either order), `ONEAR/n` (in order),
//!   between words, phrases, wildcards, fuzzy words and OR groups, and phrases containing
//!   wildcards. Each field is evaluated on its own, so a title word is never "near" a body word.
//! - `SurfaceQuery`: `raw:"…"`, the exact surface form, checked on the stored text of the
//!   documents a folded phrase query found.
//!
//! In: trees of analysed leaves per field (built by `compile`); out: constant-score doc sets per
//! segment. Work per segment is bounded: wildcard and fuzzy leaves expand to at most
//! `MAX_EXPANSIONS` terms, and at most `MAX_SPANS` positions per side are compared per document.

use std::sync::{Arc, OnceLock};
use tantivy::postings::TermInfo;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{
    BitSetDocSet, ConstScorer, EnableScoring, Explanation, Query, Scorer, Weight,
};
use tantivy::schema::{Field, IndexRecordOption, TantivyDocument, Value};
use tantivy::{BitSet, DocId, DocSet, InvertedIndexReader, Score, SegmentReader, TERMINATED, Term};

/// Most terms one wildcard or fuzzy leaf expands to in a segment.
pub const MAX_EXPANSIONS: usize = 1_000;
/// Most positions per side compared in one document.
const MAX_SPANS: usize = 2_000;

/// A word position source.
#[derive(Clone)]
pub enum Leaf {
    /// An analysed term.
    Term(String),
    /// A regular expression over the field's terms (from a wildcard), compiled once.
    Regex(Arc<tantivy_fst::Regex>),
    /// Terms within an edit distance of a word, as a compiled automaton.
    Fuzzy(Arc<levenshtein_automata::DFA>),
    /// The forms of a word in a folded (unstemmed) field: terms sharing its start whose stem,
    /// in some language, is the word's stem in that language (`title:judge` finds "judges").
    Stemmed(Arc<Stemmed>),
}

/// A word's stems, one per language, and the start every form shares.
#[derive(Clone)]
pub struct Stemmed {
    /// Where the forms start: the word's common start with its shortest stem.
    pub prefix: String,
    /// Each language's analyzer (folding, then stemming) with the word's stem in it.
    pub stems: Vec<(tantivy::tokenizer::TextAnalyzer, String)>,
}

impl Stemmed {
    fn matches(&self, term: &str) -> bool {
        self.stems.iter().any(|(analyzer, stem)| {
            let mut analyzer = analyzer.clone();
            let mut stream = analyzer.token_stream(term);
            let mut first = None;
            while let Some(token) = stream.next() {
                if first.is_some() {
                    return false;
                }
                first = Some(token.text.clone());
            }
            first.as_deref() == Some(stem.as_str())
        })
    }

    /// The terms of a dictionary that are forms of the word, at most `limit`.
    fn forms<'a>(
        &'a self,
        terms: &'a tantivy::termdict::TermDictionary,
        limit: usize,
    ) -> tantivy::Result<Vec<(Vec<u8>, TermInfo)>> {
        let mut upper = self.prefix.clone().into_bytes();
        upper.push(0xFF);
        let mut stream = terms
            .range()
            .ge(self.prefix.as_bytes())
            .lt(&upper)
            .into_stream()?;
        let mut out = Vec::new();
        // Scan a bounded number of terms with the prefix: a short prefix in a big dictionary
        // must not make a query read all of it.
        let mut scanned = 0;
        while out.len() < limit && scanned < limit * 8 && stream.advance() {
            scanned += 1;
            if let Ok(text) = std::str::from_utf8(stream.key())
                && self.matches(text)
            {
                out.push((stream.key().to_vec(), stream.value().clone()));
            }
        }
        Ok(out)
    }
}

impl std::fmt::Debug for Leaf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Leaf::Term(t) => write!(f, "Term({t:?})"),
            Leaf::Regex(r) => write!(f, "Regex({r:?})"),
            Leaf::Fuzzy(_) => write!(f, "Fuzzy"),
            Leaf::Stemmed(s) => write!(f, "Stemmed({:?})", s.prefix),
        }
    }
}

impl Leaf {
    /// A wildcard leaf from its regular expression.
    pub fn regex(pattern: &str) -> Result<Leaf, String> {
        tantivy_fst::Regex::new(pattern)
            .map(|r| Leaf::Regex(Arc::new(r)))
            .map_err(|e| e.to_string())
    }

    /// A fuzzy leaf: `word` within `distance` edits (transpositions count as one).
    pub fn fuzzy(word: &str, distance: u8) -> Leaf {
        Leaf::Fuzzy(Arc::new(levenshtein(distance).build_dfa(word)))
    }
}

/// A tree of spans over one field.
#[derive(Debug, Clone)]
pub enum SpanNode {
    Leaf(Leaf),
    /// Parts in order, with at most `slop` extra words between them in total.
    Phrase {
        parts: Vec<SpanNode>,
        slop: u32,
    },
    Or(Vec<SpanNode>),
    /// Every part, in any order, within a stretch holding at most `slop` other words.
    Window {
        parts: Vec<SpanNode>,
        slop: u32,
    },
    Near {
        left: Box<SpanNode>,
        right: Box<SpanNode>,
        distance: u32,
        ordered: bool,
    },
}

/// Matches documents where some field holds a span of its tree.
#[derive(Debug, Clone)]
pub struct SpanQuery {
    clauses: Vec<(Field, SpanNode)>,
    terms: Vec<Term>,
}

impl SpanQuery {
    pub fn new(clauses: Vec<(Field, SpanNode)>) -> SpanQuery {
        let mut terms = Vec::new();
        for (field, node) in &clauses {
            collect_terms(*field, node, &mut terms);
        }
        SpanQuery { clauses, terms }
    }
}

fn collect_terms(field: Field, node: &SpanNode, out: &mut Vec<Term>) {
    match node {
        SpanNode::Leaf(Leaf::Term(text)) => out.push(Term::from_field_text(field, text)),
        SpanNode::Leaf(_) => {}
        SpanNode::Phrase { parts, .. } | SpanNode::Or(parts) | SpanNode::Window { parts, .. } => {
            parts.iter().for_each(|p| collect_terms(field, p, out))
        }
        SpanNode::Near { left, right, .. } => {
            collect_terms(field, left, out);
            collect_terms(field, right, out);
        }
    }
}

impl Query for SpanQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(SpanWeight {
            clauses: self.clauses.clone(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for term in &self.terms {
            visitor(term, true);
        }
    }
}

struct SpanWeight {
    clauses: Vec<(Field, SpanNode)>,
}

impl Weight for SpanWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut docs: Vec<DocId> = Vec::new();
        for (field, node) in &self.clauses {
            let inverted = reader.inverted_index(*field)?;
            let mut resolved = Resolved::new(node, &inverted)?;
            for doc in resolved.candidates() {
                if !resolved.spans(doc, &inverted)?.is_empty() {
                    docs.push(doc);
                }
            }
        }
        Ok(doc_set(reader, docs, boost))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        explain_const(self.scorer(reader, 1.0)?, doc, "proximity match")
    }
}

/// A constant-score scorer over the given documents of a segment.
fn doc_set(reader: &SegmentReader, docs: Vec<DocId>, boost: Score) -> Box<dyn Scorer> {
    let mut bits = BitSet::with_max_value(reader.max_doc());
    for doc in docs {
        bits.insert(doc);
    }
    Box::new(ConstScorer::new(BitSetDocSet::from(bits), boost))
}

fn explain_const(
    mut scorer: Box<dyn Scorer>,
    doc: DocId,
    what: &'static str,
) -> tantivy::Result<Explanation> {
    if scorer.seek(doc) == doc {
        Ok(Explanation::new(what, scorer.score()))
    } else {
        Err(tantivy::TantivyError::InvalidArgument(format!(
            "document {doc} does not match"
        )))
    }
}

/// A leaf's expanded terms in one segment, with postings opened for position reads.
struct ResolvedLeaf {
    infos: Vec<TermInfo>,
    /// The documents holding any of the terms, sorted.
    docs: Vec<DocId>,
    /// Opened on the first position read.
    postings: Option<Vec<SegmentPostings>>,
    buffer: Vec<u32>,
}

enum Resolved {
    Leaf(ResolvedLeaf),
    Phrase(Vec<Resolved>, u32),
    Window(Vec<Resolved>, u32),
    Or(Vec<Resolved>),
    Near(Box<Resolved>, Box<Resolved>, u32, bool),
}

fn levenshtein(distance: u8) -> &'static levenshtein_automata::LevenshteinAutomatonBuilder {
    static ONE: OnceLock<levenshtein_automata::LevenshteinAutomatonBuilder> = OnceLock::new();
    static TWO: OnceLock<levenshtein_automata::LevenshteinAutomatonBuilder> = OnceLock::new();
    let cell = if distance <= 1 { &ONE } else { &TWO };
    cell.get_or_init(|| levenshtein_automata::LevenshteinAutomatonBuilder::new(distance, true))
}

/// A Levenshtein DFA as an fst automaton.
struct Dfa<'a>(&'a levenshtein_automata::DFA);

impl tantivy_fst::Automaton for Dfa<'_> {
    type State = u32;
    fn start(&self) -> u32 {
        self.0.initial_state()
    }
    fn is_match(&self, state: &u32) -> bool {
        matches!(
            self.0.distance(*state),
            levenshtein_automata::Distance::Exact(_)
        )
    }
    fn can_match(&self, state: &u32) -> bool {
        *state != levenshtein_automata::SINK_STATE
    }
    fn accept(&self, state: &u32, byte: u8) -> u32 {
        self.0.transition(*state, byte)
    }
}

/// The terms (as text) a wildcard or fuzzy leaf stands for in one segment, at most `limit`:
/// what highlighting marks.
pub fn expand_texts(
    leaf: &Leaf,
    inverted: &InvertedIndexReader,
    limit: usize,
) -> tantivy::Result<Vec<String>> {
    let terms = inverted.terms();
    let mut out = Vec::new();
    let mut collect = |key: &[u8]| {
        if let Ok(text) = std::str::from_utf8(key) {
            out.push(text.to_string());
        }
    };
    match leaf {
        Leaf::Term(text) => collect(text.as_bytes()),
        Leaf::Regex(regex) => {
            let mut stream = terms.search(&**regex).into_stream()?;
            let mut n = 0;
            while n < limit && stream.advance() {
                collect(stream.key());
                n += 1;
            }
        }
        Leaf::Fuzzy(dfa) => {
            let mut stream = terms.search(Dfa(dfa)).into_stream()?;
            let mut n = 0;
            while n < limit && stream.advance() {
                collect(stream.key());
                n += 1;
            }
        }
        Leaf::Stemmed(stemmed) => {
            for (key, _) in stemmed.forms(terms, limit)? {
                collect(&key);
            }
        }
    }
    Ok(out)
}

/// The term infos a leaf stands for in one segment.
pub fn expand(leaf: &Leaf, inverted: &InvertedIndexReader) -> tantivy::Result<Vec<TermInfo>> {
    let terms = inverted.terms();
    let mut infos = Vec::new();
    match leaf {
        Leaf::Term(text) => {
            if let Some(info) = terms.get(text.as_bytes())? {
                infos.push(info);
            }
        }
        Leaf::Regex(regex) => {
            let mut stream = terms.search(&**regex).into_stream()?;
            while stream.advance() && infos.len() < MAX_EXPANSIONS {
                infos.push(stream.value().clone());
            }
        }
        Leaf::Fuzzy(dfa) => {
            let mut stream = terms.search(Dfa(dfa)).into_stream()?;
            while stream.advance() && infos.len() < MAX_EXPANSIONS {
                infos.push(stream.value().clone());
            }
        }
        Leaf::Stemmed(stemmed) => {
            infos.extend(
                stemmed
                    .forms(terms, MAX_EXPANSIONS)?
                    .into_iter()
                    .map(|(_, info)| info),
            );
        }
    }
    Ok(infos)
}

impl Resolved {
    fn new(node: &SpanNode, inverted: &InvertedIndexReader) -> tantivy::Result<Resolved> {
        Ok(match node {
            SpanNode::Leaf(leaf) => {
                let infos = expand(leaf, inverted)?;
                let mut docs = Vec::new();
                for info in &infos {
                    let mut postings =
                        inverted.read_postings_from_terminfo(info, IndexRecordOption::Basic)?;
                    let mut doc = postings.doc();
                    while doc != TERMINATED {
                        docs.push(doc);
                        doc = postings.advance();
                    }
                }
                if infos.len() > 1 {
                    docs.sort_unstable();
                    docs.dedup();
                }
                Resolved::Leaf(ResolvedLeaf {
                    infos,
                    docs,
                    postings: None,
                    buffer: Vec::new(),
                })
            }
            SpanNode::Phrase { parts, slop } => Resolved::Phrase(
                parts
                    .iter()
                    .map(|p| Resolved::new(p, inverted))
                    .collect::<tantivy::Result<_>>()?,
                *slop,
            ),
            SpanNode::Window { parts, slop } => Resolved::Window(
                parts
                    .iter()
                    .map(|p| Resolved::new(p, inverted))
                    .collect::<tantivy::Result<_>>()?,
                *slop,
            ),
            SpanNode::Or(parts) => Resolved::Or(
                parts
                    .iter()
                    .map(|p| Resolved::new(p, inverted))
                    .collect::<tantivy::Result<_>>()?,
            ),
            SpanNode::Near {
                left,
                right,
                distance,
                ordered,
            } => Resolved::Near(
                Box::new(Resolved::new(left, inverted)?),
                Box::new(Resolved::new(right, inverted)?),
                *distance,
                *ordered,
            ),
        })
    }

    /// Documents that could hold a span: sorted, without repeats.
    fn candidates(&self) -> Vec<DocId> {
        match self {
            Resolved::Leaf(leaf) => leaf.docs.clone(),
            Resolved::Or(parts) => {
                let mut docs: Vec<DocId> = parts.iter().flat_map(|p| p.candidates()).collect();
                docs.sort_unstable();
                docs.dedup();
                docs
            }
            Resolved::Phrase(parts, _) | Resolved::Window(parts, _) => {
                intersect(parts.iter().map(|p| p.candidates()))
            }
            Resolved::Near(left, right, ..) => {
                intersect([left.candidates(), right.candidates()].into_iter())
            }
        }
    }

    /// The spans (first and last word position, inclusive) in `doc`, sorted. Docs must be
    /// asked for in increasing order.
    fn spans(
        &mut self,
        doc: DocId,
        inverted: &InvertedIndexReader,
    ) -> tantivy::Result<Vec<(u32, u32)>> {
        Ok(match self {
            Resolved::Leaf(leaf) => {
                if leaf.docs.binary_search(&doc).is_err() {
                    return Ok(Vec::new());
                }
                if leaf.postings.is_none() {
                    let mut opened = Vec::with_capacity(leaf.infos.len());
                    for info in &leaf.infos {
                        opened.push(inverted.read_postings_from_terminfo(
                            info,
                            IndexRecordOption::WithFreqsAndPositions,
                        )?);
                    }
                    leaf.postings = Some(opened);
                }
                let mut out = Vec::new();
                for postings in leaf.postings.iter_mut().flatten() {
                    if postings.doc() < doc {
                        postings.seek(doc);
                    }
                    if postings.doc() == doc {
                        postings.positions(&mut leaf.buffer);
                        out.extend(leaf.buffer.iter().map(|&p| (p, p)));
                    }
                }
                if leaf.infos.len() > 1 {
                    out.sort_unstable();
                    out.dedup();
                }
                out.truncate(MAX_SPANS);
                out
            }
            Resolved::Or(parts) => {
                let mut out = Vec::new();
                for part in parts.iter_mut() {
                    out.extend(part.spans(doc, inverted)?);
                }
                out.sort_unstable();
                out.dedup();
                out.truncate(MAX_SPANS);
                out
            }
            Resolved::Phrase(parts, slop) => match every_part(parts, doc, inverted)? {
                Some(lists) => phrase_spans(&lists, *slop),
                None => Vec::new(),
            },
            Resolved::Window(parts, slop) => match every_part(parts, doc, inverted)? {
                Some(lists) => window_spans(&lists, *slop),
                None => Vec::new(),
            },
            Resolved::Near(left, right, distance, ordered) => {
                let left = left.spans(doc, inverted)?;
                if left.is_empty() {
                    return Ok(Vec::new());
                }
                let right = right.spans(doc, inverted)?;
                near_spans(&left, &right, *distance, *ordered)
            }
        })
    }
}

/// Each part's spans in `doc`, or `None` as soon as one part has none.
fn every_part(
    parts: &mut [Resolved],
    doc: DocId,
    inverted: &InvertedIndexReader,
) -> tantivy::Result<Option<Vec<Vec<(u32, u32)>>>> {
    let mut lists = Vec::with_capacity(parts.len());
    for part in parts.iter_mut() {
        let spans = part.spans(doc, inverted)?;
        if spans.is_empty() {
            return Ok(None);
        }
        lists.push(spans);
    }
    Ok(Some(lists))
}

fn intersect(mut lists: impl Iterator<Item = Vec<DocId>>) -> Vec<DocId> {
    let Some(mut acc) = lists.next() else {
        return Vec::new();
    };
    for list in lists {
        if acc.is_empty() {
            break;
        }
        let mut i = 0;
        acc.retain(|doc| {
            while i < list.len() && list[i] < *doc {
                i += 1;
            }
            i < list.len() && list[i] == *doc
        });
    }
    acc
}

/// Sequences of one span per part, in order, with at most `slop` extra words in total. For
/// each start, the earliest following span of each part is taken (the tightest sequence).
pub fn phrase_spans(lists: &[Vec<(u32, u32)>], slop: u32) -> Vec<(u32, u32)> {
    let Some((first, rest)) = lists.split_first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    'starts: for &(start, end) in first {
        let (mut last_end, mut used) = (end, 0u32);
        for list in rest {
            let Some(&(s, e)) = list.iter().find(|(s, _)| *s > last_end) else {
                continue 'starts;
            };
            used += s - last_end - 1;
            if used > slop {
                continue 'starts;
            }
            last_end = e;
        }
        out.push((start, last_end));
    }
    out
}

/// Stretches holding one span of every list, in any order, with at most `slop` words that
/// belong to none of them (the shortest stretch for each start). The spans of all lists are
/// walked once in position order, keeping the latest span of each list.
pub fn window_spans(lists: &[Vec<(u32, u32)>], slop: u32) -> Vec<(u32, u32)> {
    let mut events: Vec<(u32, u32, usize)> = lists
        .iter()
        .enumerate()
        .flat_map(|(i, spans)| spans.iter().map(move |&(s, e)| (s, e, i)))
        .collect();
    events.sort_unstable();
    let mut latest: Vec<Option<(u32, u32)>> = vec![None; lists.len()];
    let mut out = Vec::new();
    for &(s, e, i) in &events {
        latest[i] = Some((s, e));
        if latest.iter().any(Option::is_none) {
            continue;
        }
        let chosen: Vec<(u32, u32)> = latest.iter().flatten().copied().collect();
        let start = chosen.iter().map(|c| c.0).min().unwrap_or(s);
        let end = chosen.iter().map(|c| c.1).max().unwrap_or(e);
        // Overlapping parts (a word two parts share) are not counted twice.
        let mut covered: Vec<u32> = chosen.iter().flat_map(|&(a, b)| a..=b).collect();
        covered.sort_unstable();
        covered.dedup();
        let width = end - start + 1;
        if width.saturating_sub(covered.len() as u32) <= slop {
            out.push((start, end));
        }
        if out.len() >= MAX_SPANS {
            break;
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Pairs of disjoint spans within `distance` words of each other (left first when `ordered`),
/// each pair becoming the span covering both.
pub fn near_spans(
    left: &[(u32, u32)],
    right: &[(u32, u32)],
    distance: u32,
    ordered: bool,
) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    for &(ls, le) in left {
        for &(rs, re) in right {
            let gap = if le < rs {
                rs - le - 1
            } else if re < ls && !ordered {
                ls - re - 1
            } else {
                continue;
            };
            if gap <= distance {
                out.push((ls.min(rs), le.max(re)));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out.truncate(MAX_SPANS);
    out
}

/// Matches the documents of `inner` whose stored title or body holds `needle` exactly, as
/// whole words (case and accents as written; runs of white space compare equal).
#[derive(Debug)]
pub struct SurfaceQuery {
    inner: Box<dyn Query>,
    needle: String,
    fields: Vec<Field>,
}

impl Clone for SurfaceQuery {
    fn clone(&self) -> Self {
        SurfaceQuery {
            inner: self.inner.box_clone(),
            needle: self.needle.clone(),
            fields: self.fields.clone(),
        }
    }
}

impl SurfaceQuery {
    pub fn new(inner: Box<dyn Query>, needle: &str, fields: Vec<Field>) -> SurfaceQuery {
        SurfaceQuery {
            inner,
            needle: needle.split_whitespace().collect::<Vec<_>>().join(" "),
            fields,
        }
    }
}

impl Query for SurfaceQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(SurfaceWeight {
            inner: self.inner.weight(enable_scoring)?,
            needle: self.needle.clone(),
            fields: self.fields.clone(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.inner.query_terms(visitor);
    }
}

struct SurfaceWeight {
    inner: Box<dyn Weight>,
    needle: String,
    fields: Vec<Field>,
}

impl Weight for SurfaceWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut candidates = self.inner.scorer(reader, boost)?;
        let store = reader.get_store_reader(8)?;
        let mut docs = Vec::new();
        let mut doc = candidates.doc();
        while doc != TERMINATED {
            let stored: TantivyDocument = store.get(doc)?;
            let found = self.fields.iter().any(|field| {
                stored
                    .get_all(*field)
                    .filter_map(|v| v.as_str())
                    .any(|text| contains_surface(text, &self.needle))
            });
            if found {
                docs.push(doc);
            }
            doc = candidates.advance();
        }
        Ok(doc_set(reader, docs, boost))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        explain_const(self.scorer(reader, 1.0)?, doc, "exact surface form")
    }
}

/// Whether `haystack` holds `needle` (single-spaced) as whole words.
pub fn contains_surface(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let spaced;
    let haystack = if needle.contains(' ') {
        spaced = haystack.split_whitespace().collect::<Vec<_>>().join(" ");
        spaced.as_str()
    } else {
        haystack
    };
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let mut from = 0;
    while let Some(at) = haystack[from..].find(needle) {
        let start = from + at;
        let end = start + needle.len();
        let before = haystack[..start].chars().next_back();
        let after = haystack[end..].chars().next();
        let needle_starts_word = word(needle.chars().next());
        let needle_ends_word = word(needle.chars().next_back());
        if !(needle_starts_word && word(before)) && !(needle_ends_word && word(after)) {
            return true;
        }
        from = start + needle.chars().next().map_or(1, char::len_utf8);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_counts_the_words_between() {
        // (left spans, right spans, distance, ordered, expected)
        type Case = (
            &'static [(u32, u32)],
            &'static [(u32, u32)],
            u32,
            bool,
            &'static [(u32, u32)],
        );
        let cases: &[Case] = &[
            (&[(0, 0)], &[(1, 1)], 0, false, &[(0, 1)]),
            (&[(0, 0)], &[(2, 2)], 0, false, &[]),
            (&[(0, 0)], &[(2, 2)], 1, false, &[(0, 2)]),
            (&[(5, 5)], &[(2, 2)], 2, false, &[(2, 5)]),
            (&[(5, 5)], &[(2, 2)], 2, true, &[]),
            (&[(3, 3)], &[(3, 3)], 5, false, &[]),
            (&[(0, 1)], &[(4, 6)], 2, true, &[(0, 6)]),
        ];
        for (left, right, distance, ordered, expected) in cases {
            assert_eq!(
                near_spans(left, right, *distance, *ordered),
                *expected,
                "{left:?} {right:?} /{distance} ordered={ordered}"
            );
        }
    }

    #[test]
    fn phrases_allow_slop_in_total() {
        let lists = vec![
            vec![(0, 0), (10, 10)],
            vec![(1, 1), (13, 13)],
            vec![(3, 3), (14, 14)],
        ];
        assert_eq!(phrase_spans(&lists, 0), Vec::<(u32, u32)>::new());
        assert_eq!(phrase_spans(&lists, 1), vec![(0, 3)]);
        assert_eq!(phrase_spans(&lists, 2), vec![(0, 3), (10, 14)]);
    }

    #[test]
    fn surface_forms_match_whole_words_as_written() {
        let cases = [
            ("The ICC said", "ICC", true),
            ("The icc said", "ICC", false),
            ("ICCJ said", "ICC", false),
            ("(ICC)", "ICC", true),
            (
                "Cour  pénale\ninternationale",
                "Cour pénale internationale",
                true,
            ),
            ("Cour penale internationale", "Cour pénale", false),
            ("", "ICC", false),
        ];
        for (haystack, needle, expected) in cases {
            assert_eq!(
                contains_surface(haystack, needle),
                expected,
                "{haystack} / {needle}"
            );
        }
    }
}
