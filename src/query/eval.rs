//! Unscored evaluation of a whole query tree per segment, as word-sized bitsets: what stored
//! queries use (percolation, backtests, digests), where only *which* documents match counts.
//! A tantivy `BooleanQuery` builds a scorer per clause and a union buffer per OR; with the
//! analysts' fan-out (each word in title, body and every stemmed field) that cost dominates
//! percolating a small batch. Here each word is a set of (field, term) pairs looked up directly
//! in the segment's term dictionaries, ANDs, ORs and NOTs are bit operations, and an AND stops
//! at its first empty operand. Phrases, NEAR, wildcards and the like stay tantivy queries,
//! evaluated into a bitset.
//!
//! In: an `Eval` tree built by `compile`; out: a constant-score `Query`.

use std::sync::Arc;
use tantivy::query::{ConstScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, Term};

/// A node of an unscored query.
#[derive(Debug)]
pub enum Eval {
    All,
    /// Documents holding any of these terms (sorted, so grouped by field: see `Eval::terms`).
    Terms(Arc<[Term]>),
    /// Any other query, evaluated into a set.
    Query(Box<dyn Query>),
    /// A phrase query, run only where every one of its terms is in the segment.
    Phrase(Arc<[Term]>, Box<dyn Query>),
    And {
        must: Vec<Eval>,
        not: Vec<Eval>,
    },
    Or(Vec<Eval>),
}

impl Eval {
    /// A term set, sorted and without repeats: a term's bytes start with its field, so each
    /// field's dictionary is opened once per evaluation.
    pub fn terms(mut terms: Vec<Term>) -> Eval {
        terms.sort();
        terms.dedup();
        Eval::Terms(terms.into())
    }
}

impl Clone for Eval {
    fn clone(&self) -> Self {
        match self {
            Eval::All => Eval::All,
            Eval::Terms(t) => Eval::Terms(t.clone()),
            Eval::Query(q) => Eval::Query(q.box_clone()),
            Eval::Phrase(t, q) => Eval::Phrase(t.clone(), q.box_clone()),
            Eval::And { must, not } => Eval::And {
                must: must.clone(),
                not: not.clone(),
            },
            Eval::Or(items) => Eval::Or(items.clone()),
        }
    }
}

/// A query evaluated as sets; every match scores 1.
#[derive(Debug, Clone)]
pub struct EvalQuery {
    root: Eval,
}

impl EvalQuery {
    pub fn new(root: Eval) -> EvalQuery {
        EvalQuery { root }
    }
}

enum Prepared {
    All,
    Terms(Arc<[Term]>),
    Weight(Box<dyn Weight>),
    Phrase(Arc<[Term]>, Box<dyn Weight>),
    And {
        must: Vec<Prepared>,
        not: Vec<Prepared>,
    },
    Or(Vec<Prepared>),
}

fn prepare(node: &Eval, scoring: &EnableScoring<'_>) -> tantivy::Result<Prepared> {
    Ok(match node {
        Eval::All => Prepared::All,
        Eval::Terms(terms) => Prepared::Terms(Arc::clone(terms)),
        Eval::Query(query) => {
            let unscored = EnableScoring::disabled_from_schema(scoring.schema());
            Prepared::Weight(query.weight(unscored)?)
        }
        Eval::Phrase(terms, query) => {
            let unscored = EnableScoring::disabled_from_schema(scoring.schema());
            Prepared::Phrase(Arc::clone(terms), query.weight(unscored)?)
        }
        Eval::And { must, not } => Prepared::And {
            must: must
                .iter()
                .map(|n| prepare(n, scoring))
                .collect::<tantivy::Result<_>>()?,
            not: not
                .iter()
                .map(|n| prepare(n, scoring))
                .collect::<tantivy::Result<_>>()?,
        },
        Eval::Or(items) => Prepared::Or(
            items
                .iter()
                .map(|n| prepare(n, scoring))
                .collect::<tantivy::Result<_>>()?,
        ),
    })
}

impl Query for EvalQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(EvalWeight {
            root: prepare(&self.root, &scoring)?,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        fn walk<'a>(node: &'a Eval, visitor: &mut dyn FnMut(&'a Term, bool)) {
            match node {
                Eval::All => {}
                Eval::Terms(terms) => terms.iter().for_each(|t| visitor(t, false)),
                Eval::Query(query) | Eval::Phrase(_, query) => query.query_terms(visitor),
                Eval::And { must, .. } => must.iter().for_each(|n| walk(n, visitor)),
                Eval::Or(items) => items.iter().for_each(|n| walk(n, visitor)),
            }
        }
        walk(&self.root, visitor);
    }
}

struct EvalWeight {
    root: Prepared,
}

/// A fixed-size set of document ids.
#[derive(Clone)]
struct Bits(Vec<u64>);

impl Bits {
    fn empty(max_doc: DocId) -> Bits {
        Bits(vec![0; (max_doc as usize).div_ceil(64)])
    }
    fn full(max_doc: DocId) -> Bits {
        let mut bits = Bits(vec![u64::MAX; (max_doc as usize).div_ceil(64)]);
        let tail = max_doc as usize % 64;
        if tail != 0
            && let Some(last) = bits.0.last_mut()
        {
            *last = (1u64 << tail) - 1;
        }
        bits
    }
    fn insert(&mut self, doc: DocId) {
        if let Some(word) = self.0.get_mut(doc as usize / 64) {
            *word |= 1 << (doc % 64);
        }
    }
    fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }
    fn and(&mut self, other: &Bits) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a &= b);
    }
    fn or(&mut self, other: &Bits) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a |= b);
    }
    fn and_not(&mut self, other: &Bits) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a &= !b);
    }
}

/// The segment's inverted indexes, opened once per evaluation.
struct Dictionaries<'a> {
    reader: &'a SegmentReader,
    opened: Vec<(Field, Arc<tantivy::InvertedIndexReader>)>,
}

impl Dictionaries<'_> {
    fn get(&mut self, field: Field) -> tantivy::Result<Arc<tantivy::InvertedIndexReader>> {
        if let Some((_, inverted)) = self.opened.iter().find(|(f, _)| *f == field) {
            return Ok(inverted.clone());
        }
        let inverted = self.reader.inverted_index(field)?;
        self.opened.push((field, inverted.clone()));
        Ok(inverted)
    }
}

fn evaluate(node: &Prepared, dictionaries: &mut Dictionaries<'_>) -> tantivy::Result<Bits> {
    let reader = dictionaries.reader;
    let max_doc = reader.max_doc();
    Ok(match node {
        Prepared::All => Bits::full(max_doc),
        Prepared::Terms(terms) => {
            let mut bits = Bits::empty(max_doc);
            let mut field: Option<(Field, Arc<tantivy::InvertedIndexReader>)> = None;
            for term in terms.iter() {
                let inverted = match &field {
                    Some((f, inverted)) if *f == term.field() => inverted.clone(),
                    _ => {
                        let inverted = dictionaries.get(term.field())?;
                        field = Some((term.field(), inverted.clone()));
                        inverted
                    }
                };
                if inverted.terms().num_terms() == 0 {
                    continue;
                }
                if let Some(info) = inverted.get_term_info(term)? {
                    let mut postings =
                        inverted.read_postings_from_terminfo(&info, IndexRecordOption::Basic)?;
                    let mut doc = postings.doc();
                    while doc != TERMINATED {
                        bits.insert(doc);
                        doc = postings.advance();
                    }
                }
            }
            bits
        }
        Prepared::Phrase(terms, weight) => {
            for term in terms.iter() {
                let inverted = dictionaries.get(term.field())?;
                if inverted.get_term_info(term)?.is_none() {
                    return Ok(Bits::empty(max_doc));
                }
            }
            let mut bits = Bits::empty(max_doc);
            let mut scorer = weight.scorer(reader, 1.0)?;
            let mut doc = scorer.doc();
            while doc != TERMINATED {
                bits.insert(doc);
                doc = scorer.advance();
            }
            bits
        }
        Prepared::Weight(weight) => {
            let mut bits = Bits::empty(max_doc);
            let mut scorer = weight.scorer(reader, 1.0)?;
            let mut doc = scorer.doc();
            while doc != TERMINATED {
                bits.insert(doc);
                doc = scorer.advance();
            }
            bits
        }
        Prepared::And { must, not } => {
            let mut bits: Option<Bits> = None;
            for item in must {
                let next = evaluate(item, dictionaries)?;
                match &mut bits {
                    Some(bits) => bits.and(&next),
                    None => bits = Some(next),
                }
                if bits.as_ref().is_some_and(Bits::is_empty) {
                    return Ok(Bits::empty(max_doc));
                }
            }
            let mut bits = bits.unwrap_or_else(|| Bits::full(max_doc));
            for item in not {
                bits.and_not(&evaluate(item, dictionaries)?);
                if bits.is_empty() {
                    break;
                }
            }
            bits
        }
        Prepared::Or(items) => {
            let mut bits = Bits::empty(max_doc);
            for item in items {
                bits.or(&evaluate(item, dictionaries)?);
            }
            bits
        }
    })
}

/// Iterates the set bits.
struct BitsDocSet {
    bits: Bits,
    doc: DocId,
}

impl BitsDocSet {
    fn new(bits: Bits) -> BitsDocSet {
        let mut set = BitsDocSet { bits, doc: 0 };
        set.doc = set.next_from(0);
        set
    }

    fn next_from(&self, from: DocId) -> DocId {
        let mut index = from as usize / 64;
        let Some(&first) = self.bits.0.get(index) else {
            return TERMINATED;
        };
        let mut word = first & (u64::MAX << (from % 64));
        loop {
            if word != 0 {
                return (index * 64) as DocId + word.trailing_zeros();
            }
            index += 1;
            match self.bits.0.get(index) {
                Some(&next) => word = next,
                None => return TERMINATED,
            }
        }
    }
}

impl DocSet for BitsDocSet {
    fn advance(&mut self) -> DocId {
        if self.doc != TERMINATED {
            self.doc = self.next_from(self.doc + 1);
        }
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc != TERMINATED && target > self.doc {
            self.doc = self.next_from(target);
        }
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.bits.0.iter().map(|w| w.count_ones()).sum()
    }
}

impl Weight for EvalWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut dictionaries = Dictionaries {
            reader,
            opened: Vec::new(),
        };
        let bits = evaluate(&self.root, &mut dictionaries)?;
        Ok(Box::new(ConstScorer::new(BitsDocSet::new(bits), boost)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) == doc {
            Ok(Explanation::new("matches the query", 1.0))
        } else {
            Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_sets_iterate_and_combine() {
        let mut a = Bits::empty(130);
        for doc in [0, 63, 64, 129] {
            a.insert(doc);
        }
        let collect = |bits: Bits| {
            let mut set = BitsDocSet::new(bits);
            let mut out = Vec::new();
            while set.doc() != TERMINATED {
                out.push(set.doc());
                set.advance();
            }
            out
        };
        assert_eq!(collect(a.clone()), vec![0, 63, 64, 129]);
        let full = Bits::full(130);
        assert_eq!(collect(full.clone()).len(), 130);
        let mut b = full.clone();
        b.and_not(&a);
        assert_eq!(collect(b.clone()).len(), 126);
        b.or(&a);
        assert_eq!(collect(b.clone()).len(), 130);
        b.and(&a);
        assert_eq!(collect(b), vec![0, 63, 64, 129]);
        let mut set = BitsDocSet::new(a);
        assert_eq!(set.seek(65), 129);
        assert_eq!(set.advance(), TERMINATED);
        assert_eq!(collect(Bits::empty(0)), Vec::<DocId>::new());
    }
}
