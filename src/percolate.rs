//! Batch percolation: after each index commit, every stored query runs over just the committed
//! batch: only the segments the commit made are visited (a bitmap of the batch's documents in
//! each), so the cost follows the batch size, not the index size. Matches are recorded together
//! with the percolation mark. In: a `Committed` range; out: `Match`es.

use crate::index::IndexError;
use crate::index::reader::Reader;
use crate::index::writer::Committed;
use crate::model::Match;
use crate::query::stored::StoredQuery;
use std::collections::HashMap;

/// Runs every stored query over the documents of a committed batch.
pub fn match_batch(
    reader: &Reader,
    queries: &[StoredQuery],
    batch: &Committed,
) -> Result<Vec<Match>, IndexError> {
    let searcher = reader.searcher();
    let segments = reader.batch_segments(&searcher, batch.first_seq, batch.last_seq)?;
    let mut docs = HashMap::new();
    let mut matches = Vec::new();
    for query in queries {
        for address in reader.matching_in_batch(&searcher, &segments, &*query.query)? {
            let doc = match docs.get(&address) {
                Some(doc) => doc,
                None => docs
                    .entry(address)
                    .or_insert(reader.doc_at(&searcher, address)?),
            };
            matches.push(Match {
                query_id: query.id.clone(),
                doc_id: doc.id.clone(),
                source: doc.source.clone(),
                published: doc.published,
                seq: doc.seq,
            });
        }
    }
    Ok(matches)
}
