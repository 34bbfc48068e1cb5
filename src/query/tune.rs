//! The analysts' tools for making a query precise before it pages anyone. In: a compiled query
//! (or two), a period and the read-only index; out: plain report structs the CLI prints and
//! the web workbench will render.
//! - `backtest`: matches per day, top sources and languages, sample matches with highlights.
//! - `diff`: what an edit changes: documents gained and lost, with counts and samples.
//! - `explain`: the parsed tree, with how many documents each clause matches on its own.
//! - `suggest`: terms and phrases over-represented in the matches against the whole index
//!   (significant terms, scored like JLH), as candidates to add or exclude.

use super::Compiled;
use super::compile::Compiler;
use super::syntax::{Node, Pattern};
use crate::index::IndexError;
use crate::index::reader::{Hit, Reader, SearchFilter, Sort};
use crate::index::schema::{Fields, TEXT_ANALYZER};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use tantivy::collector::{Collector, Count, SegmentCollector};
use tantivy::query::{BooleanQuery, Occur, PhraseQuery, Query, RangeQuery};
use tantivy::schema::{TantivyDocument, Value};
use tantivy::{DocId, Score, SegmentReader, Term};

/// Sample matches shown by backtest and diff.
pub const SAMPLES: usize = 10;
/// Matched documents read to find significant terms.
const SUGGEST_FOREGROUND: usize = 2_000;

/// What a query matched over a period.
#[derive(Debug, Clone, Serialize)]
pub struct Backtest {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub total: usize,
    /// Every day of the period, oldest first, with its count (zero days included).
    pub per_day: Vec<(NaiveDate, usize)>,
    pub top_sources: Vec<(String, usize)>,
    pub languages: Vec<(String, usize)>,
    pub samples: Vec<Hit>,
}

/// Counts per day, source and language of the documents a query matches.
struct ProfileCollector;

#[derive(Default)]
struct ProfileFruit {
    days: BTreeMap<i64, usize>,
    sources: HashMap<String, usize>,
    languages: HashMap<String, usize>,
}

struct ProfileSegment {
    published: tantivy::columnar::Column<tantivy::DateTime>,
    source: Option<tantivy::columnar::StrColumn>,
    lang: Option<tantivy::columnar::StrColumn>,
    days: BTreeMap<i64, usize>,
    source_ords: HashMap<u64, usize>,
    lang_ords: HashMap<u64, usize>,
}

impl Collector for ProfileCollector {
    type Fruit = ProfileFruit;
    type Child = ProfileSegment;

    fn for_segment(
        &self,
        _: tantivy::SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<ProfileSegment> {
        let fast = segment.fast_fields();
        Ok(ProfileSegment {
            published: fast.date(crate::index::schema::PUBLISHED)?,
            source: fast.str(crate::index::schema::SOURCE)?,
            lang: fast.str(crate::index::schema::LANG)?,
            days: BTreeMap::new(),
            source_ords: HashMap::new(),
            lang_ords: HashMap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<ProfileFruit>) -> tantivy::Result<ProfileFruit> {
        let mut all = ProfileFruit::default();
        for fruit in fruits {
            for (k, v) in fruit.days {
                *all.days.entry(k).or_default() += v;
            }
            for (k, v) in fruit.sources {
                *all.sources.entry(k).or_default() += v;
            }
            for (k, v) in fruit.languages {
                *all.languages.entry(k).or_default() += v;
            }
        }
        Ok(all)
    }
}

impl SegmentCollector for ProfileSegment {
    type Fruit = ProfileFruit;

    fn collect(&mut self, doc: DocId, _: Score) {
        if let Some(date) = self.published.first(doc) {
            *self
                .days
                .entry(date.into_timestamp_secs().div_euclid(86_400))
                .or_default() += 1;
        }
        if let Some(column) = &self.source {
            for ord in column.term_ords(doc) {
                *self.source_ords.entry(ord).or_default() += 1;
            }
        }
        if let Some(column) = &self.lang {
            for ord in column.term_ords(doc) {
                *self.lang_ords.entry(ord).or_default() += 1;
            }
        }
    }

    fn harvest(self) -> ProfileFruit {
        let resolve = |column: &Option<tantivy::columnar::StrColumn>, ords: HashMap<u64, usize>| {
            let mut out = HashMap::new();
            if let Some(column) = column {
                for (ord, count) in ords {
                    let mut text = String::new();
                    if column.ord_to_str(ord, &mut text).unwrap_or(false) {
                        *out.entry(text).or_default() += count;
                    }
                }
            }
            out
        };
        ProfileFruit {
            sources: resolve(&self.source, self.source_ords),
            languages: resolve(&self.lang, self.lang_ords),
            days: self.days,
        }
    }
}

fn since_filter(reader: &Reader, query: &dyn Query, since: DateTime<Utc>) -> Box<dyn Query> {
    let field = reader.fields().published;
    let range = RangeQuery::new(
        std::ops::Bound::Included(Term::from_field_date(
            field,
            tantivy::DateTime::from_timestamp_secs(since.timestamp()),
        )),
        std::ops::Bound::Unbounded,
    );
    crate::index::budgeted::wrap(Box::new(BooleanQuery::new(vec![
        (Occur::Must, query.box_clone()),
        (Occur::Must, Box::new(range)),
    ])))
}

fn ranked(counts: HashMap<String, usize>, limit: usize) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = counts.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out.truncate(limit);
    out
}

fn samples(
    reader: &Reader,
    query: &dyn Query,
    highlight: &dyn Query,
    since: DateTime<Utc>,
) -> Result<(usize, Vec<Hit>), IndexError> {
    let filter = SearchFilter {
        since: Some(since),
        limit: SAMPLES,
        sort: Sort::Newest,
        ..Default::default()
    };
    let results = reader.search_highlighting(query, highlight, &filter)?;
    Ok((results.total, results.hits))
}

/// Runs a query over `since..now`.
pub fn backtest(
    reader: &Reader,
    compiled: &Compiled,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Backtest, IndexError> {
    let query = &*compiled.query;
    let searcher = reader.searcher();
    let profile = searcher.search(&*since_filter(reader, query, since), &ProfileCollector)?;
    let mut per_day = Vec::new();
    let mut day = since.date_naive();
    while day <= now.date_naive() {
        let key = day
            .and_hms_opt(0, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp().div_euclid(86_400));
        per_day.push((day, profile.days.get(&key).copied().unwrap_or(0)));
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    let (total, samples) = samples(reader, query, &*compiled.highlight_query(reader), since)?;
    Ok(Backtest {
        since,
        until: now,
        total,
        per_day,
        top_sources: ranked(profile.sources, 10),
        languages: ranked(profile.languages, 10),
        samples,
    })
}

/// What changes between two versions of a query.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub old_total: usize,
    pub new_total: usize,
    pub gained: usize,
    pub lost: usize,
    pub gained_samples: Vec<Hit>,
    pub lost_samples: Vec<Hit>,
}

/// Compares two queries over `since..`.
pub fn diff(
    reader: &Reader,
    old_compiled: &Compiled,
    new_compiled: &Compiled,
    since: DateTime<Utc>,
) -> Result<Diff, IndexError> {
    let (old, new) = (&*old_compiled.query, &*new_compiled.query);
    let searcher = reader.searcher();
    let count = |q: &dyn Query| searcher.search(&*since_filter(reader, q, since), &Count);
    let only = |a: &dyn Query, b: &dyn Query| -> Box<dyn Query> {
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, a.box_clone()),
            (Occur::MustNot, b.box_clone()),
        ]))
    };
    let (gained, gained_samples) = samples(
        reader,
        &*only(new, old),
        &*new_compiled.highlight_query(reader),
        since,
    )?;
    let (lost, lost_samples) = samples(
        reader,
        &*only(old, new),
        &*old_compiled.highlight_query(reader),
        since,
    )?;
    Ok(Diff {
        old_total: count(old)?,
        new_total: count(new)?,
        gained,
        lost,
        gained_samples,
        lost_samples,
    })
}

/// One clause of an explained query.
#[derive(Debug, Clone, Serialize)]
pub struct Clause {
    pub depth: usize,
    /// What the clause is: AND, OR, NOT, NEAR/5, word, phrase, field, list …
    pub kind: String,
    /// The clause's own text in the query.
    pub text: String,
    /// Documents it matches on its own over the period (for NOT: the documents it excludes).
    pub matches: usize,
}

/// The tree of a query, each clause with its own match count over `since..`.
pub fn explain(
    reader: &Reader,
    tree: &Node,
    text: &str,
    languages: &[String],
    since: DateTime<Utc>,
) -> Result<Vec<Clause>, IndexError> {
    let mut compiler = Compiler::new(reader.index(), languages);
    let searcher = reader.searcher();
    let mut out = Vec::new();
    let mut stack = vec![(tree, 0usize)];
    while let Some((node, depth)) = stack.pop() {
        let (kind, counted) = match node {
            Node::All(_) => ("all".to_string(), node),
            Node::And(..) => ("AND".to_string(), node),
            Node::Or(..) => ("OR".to_string(), node),
            Node::Not(inner, _) => ("NOT".to_string(), &**inner),
            Node::Word(_, Pattern::Exact(_), _) => ("word".to_string(), node),
            Node::Word(_, Pattern::Wildcard(_), _) => ("wildcard".to_string(), node),
            Node::Word(_, Pattern::Fuzzy(..), _) => ("fuzzy".to_string(), node),
            Node::Phrase { slop, .. } if *slop > 0 => (format!("phrase~{slop}"), node),
            Node::Phrase { .. } => ("phrase".to_string(), node),
            Node::Raw(..) => ("raw".to_string(), node),
            Node::Value(..) => ("field".to_string(), node),
            Node::Near {
                distance, ordered, ..
            } => (
                format!("{}NEAR/{distance}", if *ordered { "O" } else { "" }),
                node,
            ),
            Node::List { name, .. } => (format!("list ${name}"), node),
            Node::Window { slop, .. } => (format!("group~{slop}"), node),
        };
        let query = compiler
            .compile(counted)
            .map_err(|e| IndexError::Tantivy(tantivy::TantivyError::InvalidArgument(e.message)))?;
        let matches = searcher.search(&*since_filter(reader, &*query, since), &Count)?;
        let span = node.span();
        let clause_text = text.get(span.start..span.end).unwrap_or_default();
        out.push(Clause {
            depth,
            kind,
            text: clause_text.split_whitespace().collect::<Vec<_>>().join(" "),
            matches,
        });
        let children = match node {
            Node::Not(..) => Vec::new(),
            _ => node.children(),
        };
        for child in children.into_iter().rev() {
            stack.push((child, depth + 1));
        }
    }
    Ok(out)
}

/// A term or phrase over-represented in a query's matches.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub text: String,
    /// Matched documents (of those read) holding it.
    pub foreground: usize,
    /// Documents of the whole index holding it.
    pub background: u64,
    pub score: f64,
    /// Already one of the query's words.
    pub in_query: bool,
}

/// Significant terms and phrases of a query's matches.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestions {
    /// Matched documents read (the newest, at most `SUGGEST_FOREGROUND`).
    pub read: usize,
    pub terms: Vec<Suggestion>,
    pub phrases: Vec<Suggestion>,
}

/// JLH significance: how much more common in the foreground, times how many times more.
pub fn jlh(foreground: usize, fg_total: usize, background: u64, bg_total: u64) -> f64 {
    if fg_total == 0 || bg_total == 0 {
        return 0.0;
    }
    let fg = foreground as f64 / fg_total as f64;
    let bg = (background.max(1)) as f64 / bg_total as f64;
    if fg <= bg {
        return 0.0;
    }
    (fg - bg) * (fg / bg)
}

/// The folded words a query mentions, to flag suggestions it already has.
fn query_words(node: &Node, out: &mut HashSet<String>) {
    match node {
        Node::Word(_, pattern, _) => {
            out.insert(pattern.text().to_lowercase());
        }
        Node::Phrase { words, .. } => out.extend(words.iter().map(|w| w.text().to_lowercase())),
        Node::List { spellings, .. } => out.extend(
            spellings
                .iter()
                .flat_map(|s| s.split_whitespace())
                .map(str::to_lowercase),
        ),
        _ => node
            .children()
            .into_iter()
            .for_each(|c| query_words(c, out)),
    }
}

/// Finds terms and phrases over-represented in the matches of `query` since `since`.
pub fn suggest(
    reader: &Reader,
    tree: &Node,
    query: &dyn Query,
    since: DateTime<Utc>,
    limit: usize,
) -> Result<Suggestions, IndexError> {
    let searcher = reader.searcher();
    let fields: Fields = *reader.fields();
    let top = tantivy::collector::TopDocs::with_limit(SUGGEST_FOREGROUND)
        .order_by_fast_field::<tantivy::DateTime>(
            crate::index::schema::PUBLISHED,
            tantivy::Order::Desc,
        );
    let addresses = searcher.search(&*since_filter(reader, query, since), &top)?;
    let mut analyzer = reader
        .index()
        .tokenizers()
        .get(TEXT_ANALYZER)
        .unwrap_or_default();
    let mut terms: HashMap<String, usize> = HashMap::new();
    let mut bigrams: HashMap<(String, String), usize> = HashMap::new();
    for (_, address) in &addresses {
        let doc: TantivyDocument = searcher.doc(*address)?;
        let mut seen_terms = HashSet::new();
        let mut seen_bigrams = HashSet::new();
        for field in [fields.title, fields.body] {
            for text in doc.get_all(field).filter_map(|v| v.as_str()) {
                let mut stream = analyzer.token_stream(text);
                let mut previous: Option<String> = None;
                while stream.advance() {
                    let token = stream.token().text.clone();
                    let useful =
                        token.chars().count() > 2 && !token.chars().all(|c| c.is_numeric());
                    if useful {
                        if let Some(prev) = previous.take() {
                            seen_bigrams.insert((prev, token.clone()));
                        }
                        seen_terms.insert(token.clone());
                        previous = Some(token);
                    } else {
                        previous = None;
                    }
                }
            }
        }
        for term in seen_terms {
            *terms.entry(term).or_default() += 1;
        }
        for bigram in seen_bigrams {
            *bigrams.entry(bigram).or_default() += 1;
        }
    }
    let read = addresses.len();
    let total = searcher.num_docs().max(1);
    let min_count = if read >= 50 { 3 } else { 2 };
    let mut mentioned = HashSet::new();
    query_words(tree, &mut mentioned);
    let mut scored_terms = Vec::new();
    for (term, fg) in terms.into_iter().filter(|(_, n)| *n >= min_count) {
        let df = |field| searcher.doc_freq(&Term::from_field_text(field, &term));
        let bg = u64::max(df(fields.body)?, df(fields.title)?);
        scored_terms.push(Suggestion {
            in_query: mentioned.contains(&term),
            score: jlh(fg, read, bg, total),
            text: term,
            foreground: fg,
            background: bg,
        });
    }
    scored_terms.retain(|s| s.score > 0.0);
    scored_terms.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.text.cmp(&b.text))
    });
    scored_terms.truncate(limit);
    // Phrases: the most frequent bigrams only, as each background count is a phrase search.
    let mut frequent: Vec<((String, String), usize)> = bigrams
        .into_iter()
        .filter(|(_, n)| *n >= min_count)
        .collect();
    frequent.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    frequent.truncate(limit * 5);
    // A phrase starting or ending with a word found in a fifth of all documents ("the",
    // "argue the") says nothing the other word does not.
    let common = |word: &str| -> Result<bool, IndexError> {
        let df = searcher.doc_freq(&Term::from_field_text(fields.body, word))?;
        Ok(df as f64 > total as f64 * 0.2)
    };
    let mut phrases = Vec::new();
    for ((first, second), fg) in frequent {
        if common(&first)? || common(&second)? {
            continue;
        }
        let mut bg = 0;
        for field in [fields.body, fields.title] {
            let phrase = PhraseQuery::new(vec![
                Term::from_field_text(field, &first),
                Term::from_field_text(field, &second),
            ]);
            bg = bg.max(searcher.search(&phrase, &Count)? as u64);
        }
        phrases.push(Suggestion {
            in_query: mentioned.contains(&first) && mentioned.contains(&second),
            score: jlh(fg, read, bg, total),
            text: format!("{first} {second}"),
            foreground: fg,
            background: bg,
        });
    }
    phrases.retain(|s| s.score > 0.0);
    phrases.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.text.cmp(&b.text))
    });
    phrases.truncate(limit);
    Ok(Suggestions {
        read,
        terms: scored_terms,
        phrases,
    })
}

/// A one-line bar chart of counts: `▁▂▅█▃`.
pub fn sparkline(counts: &[usize]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = counts.iter().copied().max().unwrap_or(0);
    counts
        .iter()
        .map(|&c| {
            if max == 0 || c == 0 {
                ' '
            } else {
                BARS[((c * 7) + max / 2) / max]
            }
        })
        .map(|c| if c == ' ' { '·' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparklines_scale_to_the_busiest_day() {
        let cases: &[(&[usize], &str)] = &[
            (&[], ""),
            (&[0, 0], "··"),
            (&[1, 2, 4, 8], "▂▃▅█"),
            (&[5, 0, 5], "█·█"),
        ];
        for (counts, expected) in cases {
            assert_eq!(sparkline(counts), *expected, "{counts:?}");
        }
    }

    #[test]
    fn jlh_rewards_terms_rare_in_the_background() {
        // (fg, fg_total, bg, bg_total) → ordered by expected score
        let common = jlh(50, 100, 5_000, 10_000);
        let rare = jlh(50, 100, 60, 10_000);
        let absent = jlh(10, 100, 0, 10_000);
        let under = jlh(1, 100, 5_000, 10_000);
        assert!(rare > common && absent > common, "{rare} {common} {absent}");
        assert_eq!(under, 0.0);
        assert_eq!(jlh(1, 0, 1, 1), 0.0);
    }
}
