//! A query that stops when the request's budget (`crate::budget`) is spent: its scorers ask
//! `budget::over()` every `CHECK_EVERY` documents and, once it says yes, end as if no document
//! were left. The caller then asks `budget::spent()` and answers with the reason instead of the
//! partial results. Outside a budget `wrap` returns the query as it is.
//!
//! In: any tantivy query; out: the same query, interruptible.

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, Term};

/// Documents between two looks at the clock.
const CHECK_EVERY: u32 = 1_024;

/// `query`, interruptible when a budget is in force on this thread.
pub fn wrap(query: Box<dyn Query>) -> Box<dyn Query> {
    if crate::budget::active() {
        Box::new(Budgeted(query))
    } else {
        query
    }
}

/// The budget's verdict after a search: `Err` when it stopped the work.
pub fn verdict() -> Result<(), super::IndexError> {
    match crate::budget::spent() {
        Some(spent) => Err(super::IndexError::OverBudget(spent)),
        None => Ok(()),
    }
}

#[derive(Debug)]
struct Budgeted(Box<dyn Query>);

impl Clone for Budgeted {
    fn clone(&self) -> Self {
        Budgeted(self.0.box_clone())
    }
}

impl Query for Budgeted {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(BudgetedWeight(self.0.weight(enable_scoring)?)))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.0.query_terms(visitor)
    }
}

struct BudgetedWeight(Box<dyn Weight>);

impl Weight for BudgetedWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        if crate::budget::over() {
            return Ok(Box::new(tantivy::query::EmptyScorer));
        }
        Ok(Box::new(BudgetedScorer {
            inner: self.0.scorer(reader, boost)?,
            until_check: CHECK_EVERY,
            stopped: false,
        }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.0.explain(reader, doc)
    }
}

struct BudgetedScorer {
    inner: Box<dyn Scorer>,
    until_check: u32,
    stopped: bool,
}

impl BudgetedScorer {
    fn step(&mut self, doc: DocId) -> DocId {
        self.until_check -= 1;
        if self.until_check == 0 {
            self.until_check = CHECK_EVERY;
            if crate::budget::over() {
                self.stopped = true;
            }
        }
        if self.stopped { TERMINATED } else { doc }
    }
}

impl DocSet for BudgetedScorer {
    fn advance(&mut self) -> DocId {
        if self.stopped {
            return TERMINATED;
        }
        let doc = self.inner.advance();
        self.step(doc)
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.stopped {
            return TERMINATED;
        }
        let doc = self.inner.seek(target);
        self.step(doc)
    }

    fn doc(&self) -> DocId {
        if self.stopped {
            TERMINATED
        } else {
            self.inner.doc()
        }
    }

    fn size_hint(&self) -> u32 {
        self.inner.size_hint()
    }

    fn cost(&self) -> u64 {
        self.inner.cost()
    }
}

impl Scorer for BudgetedScorer {
    fn score(&mut self) -> Score {
        self.inner.score()
    }
}

#[cfg(test)]
mod tests {
    use crate::budget::{Budget, Spent};
    use std::time::Duration;
    use tantivy::collector::Count;

    #[test]
    fn a_spent_budget_stops_the_search_and_says_why() {
        let index = crate::index::in_memory();
        let mut writer = crate::index::writer::Writer::open(&index).unwrap();
        let docs: Vec<crate::model::Document> = (0..3_000)
            .map(|i| {
                crate::model::Document::sample(&format!("d{i}"), "court", "the court sat", "en")
            })
            .collect();
        writer.upsert(&docs).unwrap();
        writer.commit().unwrap();
        let reader = crate::index::reader::Reader::open(&index).unwrap();
        reader.reload().unwrap();
        let searcher = reader.searcher();
        let query = crate::query::compile(&index, "court").unwrap();

        assert_eq!(
            searcher
                .search(&*super::wrap(query.box_clone()), &Count)
                .unwrap(),
            3_000,
            "no budget, no limit"
        );
        {
            let _budget = crate::budget::enter(Budget::default());
            let wrapped = super::wrap(query.box_clone());
            assert_eq!(searcher.search(&*wrapped, &Count).unwrap(), 3_000);
            assert!(super::verdict().is_ok());
        }
        let _spent = crate::budget::enter(Budget {
            time: Duration::ZERO,
            memory: u64::MAX >> 1,
        });
        let wrapped = super::wrap(query);
        assert!(searcher.search(&*wrapped, &Count).unwrap() < 3_000);
        assert!(matches!(
            super::verdict(),
            Err(crate::index::IndexError::OverBudget(Spent::Time(_)))
        ));
    }
}
