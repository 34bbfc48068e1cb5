//! Searches over the committed index: filtered, sorted, paged results with highlighted snippets,
//! and look-ups by id or ingest sequence. Readers never write; any number can run beside the
//! writer (another process included) and see each commit once reloaded.

use super::IndexError;
use super::schema::Fields;
use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use std::collections::HashMap;
use std::ops::{Bound, Range};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, EnableScoring, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{IndexRecordOption, TantivyDocument, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Index, IndexReader, Order, ReloadPolicy, Searcher, Term};

/// The keys of a matched document.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchKeys {
    pub id: String,
    pub source: String,
    pub published: DateTime<Utc>,
    pub seq: u64,
}

/// A segment holding part of a committed batch, with the batch's documents in it.
pub struct BatchSegment {
    pub ord: u32,
    pub in_range: tantivy::BitSet,
}

/// Longest snippet, in characters.
const SNIPPET_CHARS: usize = 240;
/// Most results one request may ask for.
pub const MAX_LIMIT: usize = 1_000;

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Most recently published first.
    #[default]
    Newest,
    /// Best BM25 score first.
    Relevance,
}

/// Filters and paging around a compiled query.
#[derive(Default)]
pub struct SearchFilter {
    /// Only documents published at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only documents published before this time.
    pub until: Option<DateTime<Utc>>,
    /// Only documents of these kinds (news, mastodon …); empty means all.
    pub kinds: Vec<String>,
    /// Only documents in these languages; empty means all.
    pub langs: Vec<String>,
    /// Only documents this query also matches (a stored query, a narrative's documents).
    pub restrict: Option<Box<dyn Query>>,
    /// Only documents from these sources (any of them); empty means all.
    pub sources: Vec<String>,
    /// Results to return.
    pub limit: usize,
    /// Results to skip.
    pub offset: usize,
    /// Order of results.
    pub sort: Sort,
}

/// Text with the byte ranges a query matched.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Highlighted {
    pub text: String,
    pub highlights: Vec<Range<usize>>,
}

impl Highlighted {
    /// Plain text with no highlights.
    pub fn plain(text: String) -> Highlighted {
        Highlighted {
            text,
            highlights: Vec::new(),
        }
    }

    /// Renders with `open`/`close` around matches, passing every piece of text through `escape`.
    pub fn render(&self, escape: impl Fn(&str) -> String, open: &str, close: &str) -> String {
        let mut out = String::new();
        let mut at = 0;
        for range in &self.highlights {
            if range.start < at
                || range.end > self.text.len()
                || !self.text.is_char_boundary(range.start)
                || !self.text.is_char_boundary(range.end)
            {
                continue;
            }
            out.push_str(&escape(&self.text[at..range.start]));
            out.push_str(open);
            out.push_str(&escape(&self.text[range.clone()]));
            out.push_str(close);
            at = range.end;
        }
        out.push_str(&escape(&self.text[at..]));
        out
    }

    /// HTML with `<mark>` around matches; all text escaped.
    pub fn to_html(&self) -> String {
        self.render(crate::text::escape_html, "<mark>", "</mark>")
    }
}

/// One search result.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: String,
    pub url: String,
    pub source: String,
    pub kind: String,
    pub lang: String,
    pub author: String,
    pub published: DateTime<Utc>,
    pub title: Highlighted,
    pub snippet: Highlighted,
    pub score: Option<f32>,
}

/// Values listed per facet at most.
pub const FACET_VALUES: usize = 25;

/// Facet counts and volume over time of a result set.
#[derive(Debug, Clone, Serialize)]
pub struct ResultStats {
    pub total: u64,
    pub sources: Vec<(String, u64)>,
    pub kinds: Vec<(String, u64)>,
    pub langs: Vec<(String, u64)>,
    pub volume_start: DateTime<Utc>,
    pub bucket_secs: i64,
    pub volume: Vec<u32>,
}

/// A page of results and the total count.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<Hit>,
}

/// A stored document as read back from the index.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StoredDoc {
    pub id: String,
    pub url: String,
    pub source: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub lang: String,
    pub published: DateTime<Utc>,
    pub seq: u64,
    pub simhash: u64,
    pub dup_group: String,
    pub author: String,
    pub hashtags: Vec<String>,
    pub mentions: Vec<String>,
    pub links: Vec<String>,
    pub shared_of: String,
}

/// A reader over the index.
#[derive(Clone)]
pub struct Reader {
    index: Index,
    reader: IndexReader,
    fields: Fields,
}

impl Reader {
    /// Opens a reader that picks up commits shortly after they happen.
    pub fn open(index: &Index) -> Result<Reader, IndexError> {
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(Reader {
            index: index.clone(),
            reader,
            fields: Fields::new(&index.schema()),
        })
    }

    /// Sees the latest commit now (after this process committed).
    pub fn reload(&self) -> Result<(), IndexError> {
        Ok(self.reader.reload()?)
    }

    /// The index, for compiling queries against its schema and analyzers.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// The field handles.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// A searcher on the latest loaded commit.
    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// Number of live documents.
    pub fn num_docs(&self) -> u64 {
        self.searcher().num_docs()
    }

    /// Runs a query with filters; returns the total and one page of hits with snippets.
    pub fn search(
        &self,
        query: &dyn Query,
        filter: &SearchFilter,
    ) -> Result<SearchResults, IndexError> {
        self.search_highlighting(query, query, filter)
    }

    /// `search`, with snippets marking the terms of `highlight` (a query's terms plus what
    /// its wildcards expanded to: see `query::Compiled::highlight_query`).
    pub fn search_highlighting(
        &self,
        query: &dyn Query,
        highlight: &dyn Query,
        filter: &SearchFilter,
    ) -> Result<SearchResults, IndexError> {
        let searcher = self.searcher();
        let filtered = self.with_filters(query.box_clone(), filter);
        let limit = filter.limit.clamp(1, MAX_LIMIT);
        let page = TopDocs::with_limit(limit).and_offset(filter.offset);
        let (total, addresses): (usize, Vec<(Option<f32>, DocAddress)>) = match filter.sort {
            Sort::Relevance => {
                let (total, top) = searcher.search(&filtered, &(Count, page.order_by_score()))?;
                (
                    total,
                    top.into_iter().map(|(score, a)| (Some(score), a)).collect(),
                )
            }
            Sort::Newest => {
                let collector = page.order_by_fast_field::<tantivy::DateTime>(
                    super::schema::PUBLISHED,
                    Order::Desc,
                );
                let (total, top) = searcher.search(&filtered, &(Count, collector))?;
                (total, top.into_iter().map(|(_, a)| (None, a)).collect())
            }
        };
        let mut title_snippets = SnippetGenerator::create(&searcher, highlight, self.fields.title)?;
        title_snippets.set_max_num_chars(2_000);
        let mut body_snippets = SnippetGenerator::create(&searcher, highlight, self.fields.body)?;
        body_snippets.set_max_num_chars(SNIPPET_CHARS);
        let mut hits = Vec::with_capacity(addresses.len());
        for (score, address) in addresses {
            let doc: TantivyDocument = searcher.doc(address)?;
            let stored = self.stored(&doc);
            let title_snippet = title_snippets.snippet(&stored.title);
            let title = Highlighted {
                text: stored.title.clone(),
                highlights: if title_snippet.fragment() == stored.title {
                    title_snippet.highlighted().to_vec()
                } else {
                    Vec::new()
                },
            };
            let body_snippet = body_snippets.snippet(&stored.body);
            let snippet = if body_snippet.fragment().is_empty() {
                Highlighted::plain(crate::text::truncate_chars(&stored.body, SNIPPET_CHARS))
            } else {
                let fragment = body_snippet.fragment();
                // Mark a cut: an ellipsis where the fragment stops short of the body's ends.
                let (lead, tail) = (
                    !stored.body.starts_with(fragment),
                    !stored.body.ends_with(fragment),
                );
                let shift = if lead { "…".len() } else { 0 };
                Highlighted {
                    text: format!(
                        "{}{fragment}{}",
                        if lead { "…" } else { "" },
                        if tail { "…" } else { "" }
                    ),
                    highlights: body_snippet
                        .highlighted()
                        .iter()
                        .map(|r| r.start + shift..r.end + shift)
                        .collect(),
                }
            };
            hits.push(Hit {
                id: stored.id,
                url: stored.url,
                source: stored.source,
                kind: stored.kind,
                lang: stored.lang,
                author: text_of(&doc, self.fields.author),
                published: stored.published,
                title,
                snippet,
                score,
            });
        }
        Ok(SearchResults { total, hits })
    }

    /// Facet counts (sources, kinds, languages) and volume over time of every document a
    /// filtered query matches, read from fast fields in one pass. The volume has `buckets`
    /// slots of `bucket_secs` from `start`.
    pub fn stats(
        &self,
        query: &dyn Query,
        filter: &SearchFilter,
        start: DateTime<Utc>,
        bucket_secs: i64,
        buckets: usize,
    ) -> Result<ResultStats, IndexError> {
        let searcher = self.searcher();
        let filtered = self.with_filters(query.box_clone(), filter);
        let weight = filtered.weight(EnableScoring::disabled_from_searcher(&searcher))?;
        let mut facets: [HashMap<String, u64>; 3] = Default::default();
        let mut volume = vec![0u32; buckets];
        let mut total = 0u64;
        let from = start.timestamp();
        let bucket_secs = bucket_secs.max(1);
        for segment in searcher.segment_readers() {
            let published = segment.fast_fields().date(super::schema::PUBLISHED)?;
            let columns: Vec<Option<tantivy::columnar::StrColumn>> = [
                super::schema::SOURCE,
                super::schema::KIND,
                super::schema::LANG,
            ]
            .iter()
            .map(|name| segment.fast_fields().str(name).ok().flatten())
            .collect();
            let mut ord_counts: Vec<HashMap<u64, u64>> = vec![HashMap::new(); 3];
            weight.for_each_no_score(segment, &mut |docs| {
                for &doc in docs {
                    if segment.is_deleted(doc) {
                        continue;
                    }
                    total += 1;
                    for (column, counts) in columns.iter().zip(ord_counts.iter_mut()) {
                        if let Some(ord) = column.as_ref().and_then(|c| c.term_ords(doc).next()) {
                            *counts.entry(ord).or_default() += 1;
                        }
                    }
                    if let Some(at) = published.first(doc) {
                        let slot = (at.into_timestamp_secs() - from).div_euclid(bucket_secs);
                        if let Some(v) = usize::try_from(slot).ok().and_then(|s| volume.get_mut(s))
                        {
                            *v += 1;
                        }
                    }
                }
            })?;
            for ((column, counts), out) in columns.iter().zip(ord_counts).zip(facets.iter_mut()) {
                let Some(column) = column else { continue };
                let mut name = String::new();
                for (ord, n) in counts {
                    name.clear();
                    if column.ord_to_str(ord, &mut name).unwrap_or(false) {
                        *out.entry(name.clone()).or_default() += n;
                    }
                }
            }
        }
        let ranked = |counts: HashMap<String, u64>| {
            let mut v: Vec<(String, u64)> =
                counts.into_iter().filter(|(k, _)| !k.is_empty()).collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            v.truncate(FACET_VALUES);
            v
        };
        let [sources, kinds, langs] = facets;
        Ok(ResultStats {
            total,
            sources: ranked(sources),
            kinds: ranked(kinds),
            langs: ranked(langs),
            volume_start: start,
            bucket_secs,
            volume,
        })
    }

    /// The segments holding documents of an ingest sequence range: what a commit just made.
    /// Percolation runs only over these, so its cost follows the batch, not the index.
    pub fn batch_segments(
        &self,
        searcher: &Searcher,
        first: u64,
        last: u64,
    ) -> Result<Vec<BatchSegment>, IndexError> {
        let mut out = Vec::new();
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            let seq = segment.fast_fields().u64(super::schema::SEQ)?;
            if seq.num_docs() == 0 || seq.max_value() < first || seq.min_value() > last {
                continue;
            }
            // Documents of the range, alive: a bitmap the per-query callbacks test.
            let mut in_range = tantivy::BitSet::with_max_value(segment.max_doc());
            let whole = seq.min_value() >= first && seq.max_value() <= last;
            for doc in segment.doc_ids_alive() {
                if whole || seq.first(doc).is_some_and(|s| (first..=last).contains(&s)) {
                    in_range.insert(doc);
                }
            }
            out.push(BatchSegment {
                ord: ord as u32,
                in_range,
            });
        }
        Ok(out)
    }

    /// Documents matching `query` among the batch segments. Returns sorted addresses.
    pub fn matching_in_batch(
        &self,
        searcher: &Searcher,
        segments: &[BatchSegment],
        query: &dyn Query,
    ) -> Result<Vec<DocAddress>, IndexError> {
        let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
        self.matching_weight_in_batch(searcher, segments, &*weight)
    }

    /// `matching_in_batch` with a weight prepared once (unscored queries' weights do not
    /// depend on the searcher, so a stored query prepares its own at load).
    pub fn matching_weight_in_batch(
        &self,
        searcher: &Searcher,
        segments: &[BatchSegment],
        weight: &dyn tantivy::query::Weight,
    ) -> Result<Vec<DocAddress>, IndexError> {
        let mut addresses = Vec::new();
        for batch in segments {
            let segment = searcher.segment_reader(batch.ord);
            weight.for_each_no_score(segment, &mut |docs| {
                for &doc in docs {
                    if batch.in_range.contains(doc) {
                        addresses.push(DocAddress::new(batch.ord, doc));
                    }
                }
            })?;
        }
        addresses.sort();
        Ok(addresses)
    }

    /// Documents matching `query` among the ingest sequence range (inclusive).
    pub fn matching_in_seq_range(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        first: u64,
        last: u64,
    ) -> Result<Vec<DocAddress>, IndexError> {
        let segments = self.batch_segments(searcher, first, last)?;
        self.matching_in_batch(searcher, &segments, query)
    }

    /// Reads a stored document at an address.
    pub fn doc_at(
        &self,
        searcher: &Searcher,
        address: DocAddress,
    ) -> Result<StoredDoc, IndexError> {
        let doc: TantivyDocument = searcher.doc(address)?;
        Ok(self.stored(&doc))
    }

    /// What a match records of each address (id, source, published, ingest sequence), read
    /// from fast fields rather than by decompressing stored documents. Addresses whose id
    /// cannot be read are left out.
    pub fn match_keys(
        &self,
        searcher: &Searcher,
        addresses: &[DocAddress],
    ) -> Result<HashMap<DocAddress, MatchKeys>, IndexError> {
        let mut out = HashMap::with_capacity(addresses.len());
        let mut sorted = addresses.to_vec();
        sorted.sort();
        sorted.dedup();
        for group in sorted.chunk_by(|a, b| a.segment_ord == b.segment_ord) {
            let segment = searcher.segment_reader(group[0].segment_ord);
            let fast = segment.fast_fields();
            let (Some(ids), Some(sources)) = (
                fast.str(super::schema::ID)?,
                fast.str(super::schema::SOURCE)?,
            ) else {
                continue;
            };
            let published = fast.date(super::schema::PUBLISHED)?;
            let seq = fast.u64(super::schema::SEQ)?;
            let text = |column: &tantivy::columnar::StrColumn, doc| -> Option<String> {
                let ord = column.term_ords(doc).next()?;
                let mut out = String::new();
                column.ord_to_str(ord, &mut out).ok()?.then_some(out)
            };
            for address in group {
                let doc = address.doc_id;
                let Some(id) = text(&ids, doc) else { continue };
                out.insert(
                    *address,
                    MatchKeys {
                        id,
                        source: text(&sources, doc).unwrap_or_default(),
                        published: published
                            .first(doc)
                            .and_then(|d| Utc.timestamp_opt(d.into_timestamp_secs(), 0).single())
                            .unwrap_or_default(),
                        seq: seq.first(doc).unwrap_or_default(),
                    },
                );
            }
        }
        Ok(out)
    }

    /// Documents per hour published in `start .. start + hours` (all documents when `query` is
    /// `None`): the stream volume spike models compare a narrative's share against.
    pub fn hourly_counts(
        &self,
        query: Option<&dyn Query>,
        start: DateTime<Utc>,
        hours: usize,
    ) -> Result<Vec<u32>, IndexError> {
        let searcher = self.searcher();
        let all = tantivy::query::AllQuery;
        let query = query.unwrap_or(&all);
        let mut counts = vec![0u32; hours];
        let from = start.timestamp();
        let weight = query.weight(EnableScoring::disabled_from_searcher(&searcher))?;
        for segment in searcher.segment_readers() {
            let published = segment.fast_fields().date(super::schema::PUBLISHED)?;
            weight.for_each_no_score(segment, &mut |docs| {
                for &doc in docs {
                    if segment.is_deleted(doc) {
                        continue;
                    }
                    if let Some(at) = published.first(doc) {
                        let hour = (at.into_timestamp_secs() - from).div_euclid(3_600);
                        if let Some(slot) =
                            usize::try_from(hour).ok().and_then(|h| counts.get_mut(h))
                        {
                            *slot += 1;
                        }
                    }
                }
            })?;
        }
        Ok(counts)
    }

    /// Reads documents by id, in the order given; unknown ids are skipped.
    /// Each id is one lookup in each segment's term dictionary (not a scored search), and the
    /// documents are read in address order, so neighbours share the doc store's decompressed
    /// blocks.
    pub fn docs_by_id(&self, ids: &[String]) -> Result<Vec<StoredDoc>, IndexError> {
        use tantivy::{DocSet, TERMINATED};
        let searcher = self.searcher();
        let segments = searcher
            .segment_readers()
            .iter()
            .map(|segment| Ok((segment, segment.inverted_index(self.fields.id)?)))
            .collect::<Result<Vec<_>, IndexError>>()?;
        // (position asked, address), the live document of each id.
        let mut found: Vec<(usize, DocAddress)> = Vec::with_capacity(ids.len());
        'ids: for (position, id) in ids.iter().enumerate() {
            let term = Term::from_field_text(self.fields.id, id);
            for (ord, (segment, index)) in segments.iter().enumerate() {
                let Some(mut postings) = index
                    .read_postings(&term, IndexRecordOption::Basic)
                    .map_err(tantivy::TantivyError::from)?
                else {
                    continue;
                };
                let mut doc = postings.doc();
                while doc != TERMINATED {
                    if !segment.is_deleted(doc) {
                        found.push((position, DocAddress::new(ord as u32, doc)));
                        continue 'ids;
                    }
                    doc = postings.advance();
                }
            }
        }
        found.sort_unstable_by_key(|(_, address)| *address);
        let mut read: Vec<(usize, StoredDoc)> = Vec::with_capacity(found.len());
        for (position, address) in found {
            read.push((position, self.doc_at(&searcher, address)?));
        }
        read.sort_unstable_by_key(|(position, _)| *position);
        Ok(read.into_iter().map(|(_, doc)| doc).collect())
    }

    /// Documents per source published at or after `since`.
    pub fn count_by_source(
        &self,
        sources: &[String],
        since: DateTime<Utc>,
    ) -> Result<std::collections::HashMap<String, usize>, IndexError> {
        let searcher = self.searcher();
        let mut counts = std::collections::HashMap::new();
        for source in sources {
            let filter = SearchFilter {
                since: Some(since),
                sources: vec![source.clone()],
                ..SearchFilter::default()
            };
            let query = self.with_filters(Box::new(tantivy::query::AllQuery), &filter);
            counts.insert(source.clone(), searcher.search(&*query, &Count)?);
        }
        Ok(counts)
    }

    fn with_filters(&self, query: Box<dyn Query>, filter: &SearchFilter) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, query)];
        if filter.since.is_some() || filter.until.is_some() {
            let bound = |t: Option<DateTime<Utc>>, inclusive: bool| match t {
                None => Bound::Unbounded,
                Some(t) => {
                    let term = Term::from_field_date(
                        self.fields.published,
                        tantivy::DateTime::from_timestamp_secs(t.timestamp()),
                    );
                    if inclusive {
                        Bound::Included(term)
                    } else {
                        Bound::Excluded(term)
                    }
                }
            };
            clauses.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    bound(filter.since, true),
                    bound(filter.until, false),
                )),
            ));
        }
        for (field, values) in [
            (self.fields.source, &filter.sources),
            (self.fields.kind, &filter.kinds),
            (self.fields.lang, &filter.langs),
        ] {
            if values.is_empty() {
                continue;
            }
            let any: Vec<(Occur, Box<dyn Query>)> = values
                .iter()
                .map(|v| {
                    let term =
                        TermQuery::new(Term::from_field_text(field, v), IndexRecordOption::Basic);
                    (Occur::Should, Box::new(term) as Box<dyn Query>)
                })
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        if let Some(restrict) = &filter.restrict {
            clauses.push((Occur::Must, restrict.box_clone()));
        }
        // Interruptible when the request runs under a budget (`crate::budget`).
        super::budgeted::wrap(if clauses.len() == 1 {
            clauses
                .pop()
                .map(|(_, q)| q)
                .unwrap_or_else(|| Box::new(tantivy::query::AllQuery))
        } else {
            Box::new(BooleanQuery::new(clauses))
        })
    }

    fn stored(&self, doc: &TantivyDocument) -> StoredDoc {
        let f = &self.fields;
        StoredDoc {
            id: text_of(doc, f.id),
            url: text_of(doc, f.url),
            source: text_of(doc, f.source),
            kind: text_of(doc, f.kind),
            title: text_of(doc, f.title),
            body: text_of(doc, f.body),
            lang: text_of(doc, f.lang),
            published: doc
                .get_first(f.published)
                .and_then(|v| v.as_datetime())
                .and_then(|d| Utc.timestamp_opt(d.into_timestamp_secs(), 0).single())
                .unwrap_or_default(),
            seq: doc
                .get_first(f.seq)
                .and_then(|v| v.as_u64())
                .unwrap_or_default(),
            dup_group: text_of(doc, f.dup_group),
            simhash: doc
                .get_first(f.simhash)
                .and_then(|v| v.as_u64())
                .unwrap_or_default(),
            author: text_of(doc, f.author),
            hashtags: texts_of(doc, f.hashtag),
            mentions: texts_of(doc, f.mention),
            links: texts_of(doc, f.link),
            shared_of: text_of(doc, f.shared_of),
        }
    }
}

fn texts_of(doc: &TantivyDocument, field: tantivy::schema::Field) -> Vec<String> {
    doc.get_all(field)
        .filter_map(|v| v.as_str())
        .map(str::to_string)
        .collect()
}

fn text_of(doc: &TantivyDocument, field: tantivy::schema::Field) -> String {
    doc.get_first(field)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}
