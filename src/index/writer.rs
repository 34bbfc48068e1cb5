//! The single index writer. It upserts documents (delete by id, then add), numbers each added
//! document with a monotonically increasing ingest sequence, and commits. A commit is the
//! durability point: everything before it survives a crash, and the caller marks documents as
//! seen only after it.

use super::IndexError;
use super::schema::Fields;
use crate::model::Document;
use tantivy::schema::TantivyDocument;
use tantivy::{DateTime, Index, IndexWriter, Term};

/// Memory the writer may use for buffering before it flushes a segment.
const WRITER_MEMORY_BYTES: usize = 96 * 1024 * 1024;

/// The documents a commit made durable, by ingest sequence (inclusive range).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Committed {
    /// Sequence number of the first document of the batch.
    pub first_seq: u64,
    /// Sequence number of the last document of the batch.
    pub last_seq: u64,
    /// Documents in the batch.
    pub count: usize,
}

/// Owns tantivy's `IndexWriter`; one per index, held by one thread.
pub struct Writer {
    writer: IndexWriter<TantivyDocument>,
    fields: Fields,
    next_seq: u64,
    pending_first: Option<u64>,
    pending_count: usize,
}

impl Writer {
    /// Opens the writer and finds the next ingest sequence number.
    pub fn open(index: &Index) -> Result<Writer, IndexError> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4);
        let writer = index
            .writer_with_num_threads(threads, WRITER_MEMORY_BYTES)
            .map_err(|error| match error {
                tantivy::TantivyError::LockFailure(..) => IndexError::Busy,
                other => IndexError::Tantivy(other),
            })?;
        let fields = Fields::new(&index.schema());
        let next_seq = max_seq(index)?.map_or(1, |max| max + 1);
        Ok(Writer {
            writer,
            fields,
            next_seq,
            pending_first: None,
            pending_count: 0,
        })
    }

    /// Adds or replaces documents by id. Nothing is durable until `commit`.
    pub fn upsert(&mut self, documents: &[Document]) -> Result<(), IndexError> {
        for document in documents {
            let seq = self.next_seq;
            self.next_seq += 1;
            self.pending_first.get_or_insert(seq);
            self.pending_count += 1;
            self.writer
                .delete_term(Term::from_field_text(self.fields.id, &document.id));
            self.writer
                .add_document(to_tantivy(&self.fields, document, seq))?;
        }
        Ok(())
    }

    /// Commits what was upserted since the last commit; `None` when there was nothing.
    pub fn commit(&mut self) -> Result<Option<Committed>, IndexError> {
        let Some(first_seq) = self.pending_first.take() else {
            return Ok(None);
        };
        self.writer.commit()?;
        let count = std::mem::take(&mut self.pending_count);
        Ok(Some(Committed {
            first_seq,
            last_seq: self.next_seq - 1,
            count,
        }))
    }
}

fn to_tantivy(fields: &Fields, document: &Document, seq: u64) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(fields.id, &document.id);
    doc.add_text(fields.url, &document.url);
    doc.add_text(fields.source, &document.source);
    doc.add_text(fields.kind, &document.kind);
    for domain in crate::text::domain_and_parents(&crate::text::link_domain(&document.url)) {
        doc.add_text(fields.site, domain);
    }
    fields.add_text(&mut doc, &document.title, &document.body, &document.lang);
    doc.add_text(fields.author, &document.author);
    doc.add_text(fields.lang, &document.lang);
    doc.add_date(
        fields.published,
        DateTime::from_timestamp_secs(document.published.timestamp()),
    );
    doc.add_date(
        fields.fetched,
        DateTime::from_timestamp_secs(document.fetched.timestamp()),
    );
    doc.add_u64(fields.seq, seq);
    doc.add_u64(fields.content_hash, document.content_hash);
    doc.add_u64(fields.simhash, document.simhash);
    doc.add_text(fields.dup_group, &document.dup_group);
    let social = &document.social;
    social
        .hashtags
        .iter()
        .for_each(|tag| doc.add_text(fields.hashtag, tag));
    social
        .mentions
        .iter()
        .for_each(|handle| doc.add_text(fields.mention, handle));
    for link in &social.links {
        doc.add_text(fields.link, link);
        for domain in crate::text::domain_and_parents(&crate::text::link_domain(link)) {
            doc.add_text(fields.link_domain, domain);
        }
    }
    if let Some(original) = &social.shared_of {
        doc.add_text(fields.shared_of, original);
    }
    let counters = [
        (fields.reposts, social.engagement.reposts),
        (fields.likes, social.engagement.likes),
        (fields.replies, social.engagement.replies),
        (fields.views, social.engagement.views),
    ];
    for (field, value) in counters {
        if let Some(value) = value {
            doc.add_u64(field, value);
        }
    }
    doc
}

/// The highest ingest sequence number in the index (deleted documents included, so numbers are
/// never reused).
pub fn max_seq(index: &Index) -> Result<Option<u64>, IndexError> {
    let reader = index.reader()?;
    let searcher = reader.searcher();
    let mut max: Option<u64> = None;
    for segment in searcher.segment_readers() {
        let column = segment.fast_fields().u64(super::schema::SEQ)?;
        if column.num_docs() > 0 {
            let segment_max = column.max_value();
            max = Some(max.map_or(segment_max, |m| m.max(segment_max)));
        }
    }
    Ok(max)
}
