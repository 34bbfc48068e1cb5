//! Batch percolation: after each index commit, every stored query runs over just the committed
//! batch: only the segments the commit made are visited (a bitmap of the batch's documents in
//! each), so the cost follows the batch size, not the index size. Matches are recorded together
//! with the percolation mark. Like a percolator's presearcher, a query whose anchor terms (one
//! of which every match must hold) are all absent from the batch's segments is skipped without
//! being run. In: a `Committed` range; out: `Match`es.

use crate::index::IndexError;
use crate::index::reader::BatchSegment;
use crate::index::reader::Reader;
use crate::index::writer::Committed;
use crate::model::Match;
use crate::query::stored::StoredQuery;
use std::collections::HashMap;
use tantivy::schema::Field;
use tantivy::{DocAddress, Searcher};

/// Which terms the batch's segments hold, looked up once per batch.
#[derive(Default)]
struct Presence {
    known: HashMap<Field, HashMap<String, bool>>,
    inverted: HashMap<(u32, Field), std::sync::Arc<tantivy::InvertedIndexReader>>,
}

impl Presence {
    fn holds(
        &mut self,
        searcher: &Searcher,
        segments: &[BatchSegment],
        field: Field,
        term: &str,
    ) -> Result<bool, IndexError> {
        if let Some(&known) = self.known.get(&field).and_then(|terms| terms.get(term)) {
            return Ok(known);
        }
        let mut found = false;
        for segment in segments {
            let inverted = match self.inverted.get(&(segment.ord, field)) {
                Some(inverted) => inverted.clone(),
                None => {
                    let inverted = searcher.segment_reader(segment.ord).inverted_index(field)?;
                    self.inverted.insert((segment.ord, field), inverted.clone());
                    inverted
                }
            };
            if inverted
                .terms()
                .get(term.as_bytes())
                .map_err(|e| IndexError::Tantivy(e.into()))?
                .is_some()
            {
                found = true;
                break;
            }
        }
        self.known
            .entry(field)
            .or_default()
            .insert(term.to_string(), found);
        Ok(found)
    }
}

/// Fewest queries per thread worth a thread of its own.
const QUERIES_PER_THREAD: usize = 64;

/// Runs every stored query over the documents of a committed batch, the queries split across
/// the machine's cores (at most 4); matches come back in query order.
pub fn match_batch(
    reader: &Reader,
    queries: &[StoredQuery],
    batch: &Committed,
) -> Result<Vec<Match>, IndexError> {
    let searcher = reader.searcher();
    let segments = reader.batch_segments(&searcher, batch.first_seq, batch.last_seq)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.min(4).min(queries.len() / QUERIES_PER_THREAD).max(1);
    if threads == 1 {
        return match_queries(reader, &searcher, &segments, queries);
    }
    let chunk = queries.len().div_ceil(threads);
    let results: Vec<Result<Vec<Match>, IndexError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = queries
            .chunks(chunk)
            .map(|part| {
                let (searcher, segments) = (&searcher, &segments);
                scope.spawn(move || match_queries(reader, searcher, segments, part))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(IndexError::Tantivy(tantivy::TantivyError::InternalError(
                        "a percolation thread panicked".into(),
                    )))
                })
            })
            .collect()
    });
    let mut matches = Vec::new();
    for result in results {
        matches.extend(result?);
    }
    Ok(matches)
}

fn match_queries(
    reader: &Reader,
    searcher: &Searcher,
    segments: &[BatchSegment],
    queries: &[StoredQuery],
) -> Result<Vec<Match>, IndexError> {
    let mut found: Vec<(usize, DocAddress)> = Vec::new();
    let mut presence = Presence::default();
    for (i, query) in queries.iter().enumerate() {
        if let Some(anchors) = &query.anchors {
            let mut any = false;
            for (field, term) in anchors {
                if presence.holds(searcher, segments, *field, term)? {
                    any = true;
                    break;
                }
            }
            if !any {
                continue;
            }
        }
        for address in reader.matching_weight_in_batch(searcher, segments, &*query.weight)? {
            found.push((i, address));
        }
    }
    let addresses: Vec<DocAddress> = found.iter().map(|(_, a)| *a).collect();
    let keys = reader.match_keys(searcher, &addresses)?;
    Ok(found
        .into_iter()
        .filter_map(|(i, address)| {
            let keys = keys.get(&address)?;
            Some(Match {
                query_id: queries[i].id.clone(),
                doc_id: keys.id.clone(),
                source: keys.source.clone(),
                published: keys.published,
                seq: keys.seq,
            })
        })
        .collect())
}
