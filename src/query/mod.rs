//! The analysts' query language: one language for search (CLI, web, API) and stored queries.
//! `syntax` parses text into a tree (with `$lists` from `lists` expanded), `cost` refuses
//! shapes whose cost cannot be bounded, `compile` turns the tree into a tantivy query (with
//! `spans` for NEAR and raw: forms tantivy lacks), `stored` loads the query files analysts own,
//! and `tune` holds the analysts' tools (backtest, diff, explain, suggest). In: query text; out:
//! a `Compiled` query or a `QueryError` with a caret.

pub mod compile;
pub mod cost;
pub mod dialect;
pub mod eval;
pub mod lists;
pub mod settings;
pub mod spans;
pub mod stored;
pub mod syntax;
pub mod tune;

use lists::Lists;
use syntax::Node;
use tantivy::Index;
use tantivy::query::Query;

/// Longest query text accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 20_000;

/// A query that could not be compiled: the reason, where (byte range in the text) and a hint.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid query{}: {message}{}", at_column(*.at), hint.as_ref().map(|h| format!(" ({h})")).unwrap_or_default())]
pub struct QueryError {
    pub message: String,
    pub at: Option<(usize, usize)>,
    pub hint: Option<String>,
}

fn at_column(at: Option<(usize, usize)>) -> String {
    at.map(|(start, _)| format!(" at byte {start}"))
        .unwrap_or_default()
}

impl QueryError {
    /// The error with the query's line and a caret under the problem, for terminals and forms:
    /// ```text
    /// column 6: NEAR needs a distance, e.g. NEAR/5
    ///   khan NEAR corrupt
    ///        ^^^^
    /// hint: NEAR/5 means within 5 words, in either order
    /// ```
    pub fn render(&self, text: &str) -> String {
        let mut out = String::new();
        match self.at {
            Some((start, end)) if start <= text.len() => {
                // The line holding the error, and the caret's column within it, in characters.
                let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
                let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
                let line = &text[line_start..line_end];
                let line_no = text[..start].matches('\n').count() + 1;
                let column = text[line_start..start].chars().count();
                let width = text[start..end.clamp(start, line_end)]
                    .chars()
                    .count()
                    .max(1);
                let place = if line_no > 1 {
                    format!("line {line_no}, column {}", column + 1)
                } else {
                    format!("column {}", column + 1)
                };
                let shown = crate::text::for_terminal(line);
                out.push_str(&format!(
                    "{place}: {}\n  {shown}\n  {}{}",
                    self.message,
                    " ".repeat(column),
                    "^".repeat(width)
                ));
            }
            _ => out.push_str(&self.message),
        }
        if let Some(hint) = &self.hint {
            out.push_str(&format!("\nhint: {hint}"));
        }
        out
    }
}

/// A compiled query with the tree it came from.
pub struct Compiled {
    pub text: String,
    pub tree: Node,
    pub query: Box<dyn Query>,
    /// Terms one of which every match holds (see `Compiler::anchors`), when known.
    pub anchors: Option<compile::Anchors>,
}

/// Most expansions of one wildcard or fuzzy word that highlighting marks.
const HIGHLIGHT_EXPANSIONS: usize = 64;

impl Compiled {
    /// The query for highlighting: its own terms, plus what its wildcards and fuzzy words
    /// expand to in the searcher's title and body dictionaries (tantivy's snippets only know
    /// literal terms, so `corrupt*` would otherwise mark nothing).
    pub fn highlight_query(&self, reader: &crate::index::reader::Reader) -> Box<dyn Query> {
        let fields = *reader.fields();
        let mut leaves = Vec::new();
        collect_patterns(&self.tree, &mut leaves);
        if leaves.is_empty() {
            return self.query.box_clone();
        }
        let mut compiler = compile::Compiler::new(reader.index(), &[]);
        let mut clauses: Vec<Box<dyn Query>> = vec![self.query.box_clone()];
        let searcher = reader.searcher();
        for pattern in leaves {
            let Some(leaf) = compiler.pattern_leaf(&pattern) else {
                continue;
            };
            for segment in searcher.segment_readers() {
                for field in [fields.title, fields.body] {
                    let Ok(inverted) = segment.inverted_index(field) else {
                        continue;
                    };
                    let texts = spans::expand_texts(&leaf, &inverted, HIGHLIGHT_EXPANSIONS)
                        .unwrap_or_default();
                    for text in texts {
                        clauses.push(Box::new(tantivy::query::TermQuery::new(
                            tantivy::Term::from_field_text(field, &text),
                            tantivy::schema::IndexRecordOption::WithFreqs,
                        )));
                    }
                }
            }
        }
        Box::new(tantivy::query::BooleanQuery::union(clauses))
    }
}

fn collect_patterns(node: &Node, out: &mut Vec<syntax::Pattern>) {
    match node {
        Node::Word(_, pattern, _) if !matches!(pattern, syntax::Pattern::Exact(_)) => {
            out.push(pattern.clone())
        }
        Node::Phrase { words, .. } => out.extend(
            words
                .iter()
                .filter(|w| !matches!(w, syntax::Pattern::Exact(_)))
                .cloned(),
        ),
        Node::Not(..) => {}
        _ => node
            .children()
            .into_iter()
            .for_each(|c| collect_patterns(c, out)),
    }
}

/// Whether matches are ranked (searches sorted by relevance) or only found (stored queries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scoring {
    Relevance,
    Unscored,
}

/// Parses and compiles `text` against `index`, expanding `lists`, stemming for `languages`
/// (every stemmed language when empty).
pub fn compile_with(
    index: &Index,
    text: &str,
    lists: &Lists,
    languages: &[String],
    scoring: Scoring,
) -> Result<Compiled, QueryError> {
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(QueryError {
            message: format!("the query is longer than {MAX_QUERY_CHARS} characters"),
            at: None,
            hint: None,
        });
    }
    let tree = syntax::parse(text, lists)?;
    cost::check(&tree)?;
    let mut compiler = compile::Compiler::new(index, languages);
    let query = match scoring {
        Scoring::Relevance => compiler.compile(&tree)?,
        Scoring::Unscored => compiler.compile_unscored(&tree)?,
    };
    let anchors = compiler.anchors(&tree);
    Ok(Compiled {
        text: text.to_string(),
        tree,
        query,
        anchors,
    })
}

/// Compiles `text` with no lists and every language: for tests and list-free callers.
pub fn compile(index: &Index, text: &str) -> Result<Box<dyn Query>, QueryError> {
    compile_with(index, text, &Lists::default(), &[], Scoring::Relevance).map(|c| c.query)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small index of documents built to tell each operator's meaning apart.
    fn corpus() -> Result<(Index, crate::index::reader::Reader), Box<dyn std::error::Error>> {
        let index = crate::index::in_memory();
        let mut writer = crate::index::writer::Writer::open(&index)?;
        let doc = |id: &str, title: &str, body: &str, lang: &str| {
            let mut doc = crate::model::Document::sample(id, title, body, lang);
            if id.starts_with('m') {
                doc.source = "masto-icc".into();
                doc.kind = "mastodon".into();
            }
            doc.author = "Ana Reporter".into();
            doc
        };
        let mut social = doc(
            "m1",
            "",
            "Prosecutor Khan is corrupt, share this #ICC @watcher",
            "en",
        );
        social.social.hashtags = vec!["icc".into()];
        social.social.mentions = vec!["watcher@social.example".into()];
        social.social.links = vec!["https://leaks.example.net/files/1".into()];
        social.url = "https://social.example/@a/1".into();
        writer.upsert(&[
            doc(
                "near",
                "Court news",
                "Khan was called corrupt by the minister",
                "en",
            ),
            doc(
                "far",
                "Court news",
                "Khan spoke at length about many things before the minister said the word corrupt",
                "en",
            ),
            doc("rev", "Court news", "corrupt officials, said Khan", "en"),
            doc(
                "split",
                "Prosecutor Khan",
                "Corrupt deals were denied",
                "en",
            ),
            doc(
                "phrase",
                "Hacked files",
                "The hacked files prove nothing, experts say",
                "en",
            ),
            doc("slop", "", "hacked court files appeared online", "en"),
            doc(
                "fr",
                "Mandat",
                "Le mandat d'arrêt est nul, selon le ministre",
                "fr",
            ),
            doc("case", "", "The ICC and the icc cricket council", "en"),
            doc("lower", "", "the icc cricket council met", "en"),
            doc("woman", "", "A woman judge and women lawyers", "en"),
            doc("typo", "", "The prosecuter said", "en"),
            doc("cyr", "", "Карим Хан выдал ордер", "ru"),
            doc(
                "basket",
                "",
                "The court was full for the basketball final",
                "en",
            ),
            social,
        ])?;
        writer.commit()?;
        let reader = crate::index::reader::Reader::open(&index)?;
        reader.reload()?;
        Ok((index, reader))
    }

    #[test]
    fn wildcard_and_fuzzy_matches_are_highlighted() -> Result<(), Box<dyn std::error::Error>> {
        let (index, reader) = corpus()?;
        let cases = [
            ("corrupt* AND title:khan", "Corrupt"),
            ("prosecuter~1 AND body:said", "prosecuter"),
            ("wom?n", "woman"),
        ];
        for (text, marked) in cases {
            let compiled = compile_with(&index, text, &Lists::default(), &[], Scoring::Unscored)?;
            let filter = crate::index::reader::SearchFilter {
                limit: 10,
                ..Default::default()
            };
            let highlight = compiled.highlight_query(&reader);
            let hits = reader
                .search_highlighting(&*compiled.query, &*highlight, &filter)?
                .hits;
            let words: Vec<&str> = hits
                .iter()
                .flat_map(|h| {
                    h.snippet
                        .highlights
                        .iter()
                        .map(|r| &h.snippet.text[r.clone()])
                })
                .collect();
            assert!(words.contains(&marked), "{text}: {words:?}");
        }
        Ok(())
    }

    #[test]
    fn each_operator_means_what_the_grammar_says() -> Result<(), Box<dyn std::error::Error>> {
        let (index, reader) = corpus()?;
        let lists = Lists::from_toml(
            "officials",
            "[[entry]]\nname = \"Karim Khan\"\ncyrillic = [\"Карим Хан\"]\n",
        )?;
        let cases: &[(&str, &[&str])] = &[
            // Boolean operators and the default AND.
            ("khan corrupt", &["far", "m1", "near", "rev", "split"]),
            ("khan AND corrupt", &["far", "m1", "near", "rev", "split"]),
            ("hacked OR mandat", &["fr", "phrase", "slop"]),
            ("court NOT basketball", &["far", "near", "rev", "slop"]),
            ("court -basketball", &["far", "near", "rev", "slop"]),
            (
                "court AND NOT (basketball OR hacked)",
                &["far", "near", "rev"],
            ),
            // Phrases: exact order, then slop.
            ("\"hacked files\"", &["phrase"]),
            ("\"hacked files\"~1", &["phrase", "slop"]),
            // NEAR: either order, within n words, never across title and body.
            ("khan NEAR/3 corrupt", &["m1", "near", "rev"]),
            ("khan ONEAR/3 corrupt", &["m1", "near"]),
            ("corrupt ONEAR/3 khan", &["rev"]),
            ("khan NEAR/20 corrupt", &["far", "m1", "near", "rev"]),
            (
                "(khan OR prosecutor) NEAR/2 (corrupt* OR bribe*)",
                &["m1", "near", "rev"],
            ),
            ("title:(prosecutor NEAR/1 khan)", &["split"]),
            // What analysts paste from Brandwatch, Meltwater and Talkwalker, with the vendors'
            // meaning: typographic quotes are quotes; {…} is case-sensitive; NEAR without a
            // number is within 4; NEAR/nf is in order; (…)~n keeps the group within n words.
            ("\u{201c}hacked files\u{201d}", &["phrase"]),
            ("\u{ab}hacked files\u{bb}", &["phrase"]),
            ("{ICC}", &["case", "m1"]),
            ("khan NEAR corrupt", &["m1", "near", "rev"]),
            ("khan NEAR/3f corrupt", &["m1", "near"]),
            ("(khan corrupt minister)~4", &["near"]),
            ("lang:french", &["fr"]),
            // title: and body: find a word's forms, as free text does.
            ("title:prosecutors", &["split"]),
            ("title:mandats", &["fr"]),
            ("body:calls", &["near"]),
            // Brandwatch's url: section: every address under it, http or https.
            ("url:news.example.org/ne", &["near"]),
            ("url:www.news.example.org/ph*", &["phrase"]),
            ("lang:русский", &["cyr"]),
            // Wildcards and fuzzy words.
            ("wom?n", &["woman"]),
            ("wom*", &["woman"]),
            ("prosecutor~1", &["m1", "split", "typo"]),
            // Stemming and folding.
            ("mandats", &["fr"]),
            ("arret", &["fr"]),
            // Fields.
            ("title:khan", &["split"]),
            ("body:hacked", &["phrase", "slop"]),
            (
                "author:reporter",
                &[
                    "basket", "case", "cyr", "far", "fr", "lower", "m1", "near", "phrase", "rev",
                    "slop", "split", "typo", "woman",
                ],
            ),
            ("site:example.org khan", &["far", "near", "rev", "split"]),
            ("site:news.example.org basketball", &["basket"]),
            ("url:https://news.example.org/fr", &["fr"]),
            ("url:https://news.example.org/ph*", &["phrase"]),
            ("source:masto-icc", &["m1"]),
            ("kind:mastodon", &["m1"]),
            ("lang:fr", &["fr"]),
            ("lang:ru", &["cyr"]),
            ("#icc", &["m1"]),
            ("hashtag:ICC", &["m1"]),
            ("@watcher@social.example", &["m1"]),
            ("links:example.net", &["m1"]),
            ("links:leaks.example.net/files/1", &["m1"]),
            // Lists, comments and surface forms.
            ("$officials", &["cyr"]),
            (
                "khan <<<the prosecutor>>> corrupt NEAR/0 officials",
                &["rev"],
            ),
            ("raw:\"ICC\"", &["case", "m1"]),
            ("icc", &["case", "lower", "m1"]),
            ("NOT lang:en", &["cyr", "fr"]),
        ];
        for (text, expected) in cases {
            let compiled = compile_with(&index, text, &lists, &[], Scoring::Relevance)
                .map_err(|e| format!("{text}: {}", e.render(text)))?;
            let unscored = compile_with(&index, text, &lists, &[], Scoring::Unscored)
                .map_err(|e| format!("{text}: {}", e.render(text)))?;
            let filter = crate::index::reader::SearchFilter {
                limit: 100,
                ..Default::default()
            };
            let sorted_ids = |query: &dyn Query| -> Result<Vec<String>, crate::index::IndexError> {
                let mut ids: Vec<String> = reader
                    .search(query, &filter)?
                    .hits
                    .into_iter()
                    .map(|h| h.id)
                    .collect();
                ids.sort();
                Ok(ids)
            };
            let ids = sorted_ids(&*compiled.query)?;
            assert_eq!(ids, *expected, "{text}");
            assert_eq!(
                sorted_ids(&*unscored.query)?,
                *expected,
                "{text} (unscored)"
            );
            // The percolator skips a query when none of its anchors is in the batch: every
            // match must hold one of them.
            if let Some(anchors) = &compiled.anchors {
                let terms: Vec<Box<dyn Query>> = anchors
                    .iter()
                    .map(|(field, text)| {
                        Box::new(tantivy::query::TermQuery::new(
                            tantivy::Term::from_field_text(*field, text),
                            tantivy::schema::IndexRecordOption::Basic,
                        )) as Box<dyn Query>
                    })
                    .collect();
                let anchored = sorted_ids(&tantivy::query::BooleanQuery::union(terms))?;
                for id in &ids {
                    assert!(
                        anchored.contains(id),
                        "{text}: {id} lacks every anchor {anchors:?}"
                    );
                }
            }
        }
        Ok(())
    }

    #[test]
    fn words_match_their_inflections_in_the_documents_language()
    -> Result<(), Box<dyn std::error::Error>> {
        let index = crate::index::in_memory();
        let mut writer = crate::index::writer::Writer::open(&index)?;
        let doc =
            |id: &str, lang: &str, body: &str| crate::model::Document::sample(id, "", body, lang);
        writer.upsert(&[
            doc("en", "en", "The judges issued warrants for two ministers"),
            doc("fr", "fr", "Les juges ont délivré des mandats d'arrêt"),
            doc("ru", "ru", "Суд выдал ордера на арест министров"),
            doc("und", "und", "warrants without a known language"),
        ])?;
        writer.commit()?;
        let reader = crate::index::reader::Reader::open(&index)?;
        reader.reload()?;
        let ids = |text: &str| -> Result<Vec<String>, Box<dyn std::error::Error>> {
            let query = compile(&index, text)?;
            let filter = crate::index::reader::SearchFilter {
                limit: 10,
                ..Default::default()
            };
            let mut ids: Vec<String> = reader
                .search(&*query, &filter)?
                .hits
                .into_iter()
                .map(|h| h.id)
                .collect();
            ids.sort();
            Ok(ids)
        };
        let cases: &[(&str, &[&str])] = &[
            ("warrant", &["en"]),
            ("warrants", &["en", "und"]),
            ("mandat", &["fr"]),
            ("délivrer", &["fr"]),
            ("ордер", &["ru"]),
            ("minister", &["en"]),
            ("\"issued warrant\"", &["en"]),
        ];
        for (query, expected) in cases {
            assert_eq!(ids(query)?, *expected, "{query}");
        }
        Ok(())
    }

    #[test]
    fn cut_snippets_are_marked_and_keep_their_highlights() -> Result<(), Box<dyn std::error::Error>>
    {
        let index = crate::index::in_memory();
        let mut writer = crate::index::writer::Writer::open(&index)?;
        let filler = "the chamber heard witnesses about the events in the region ".repeat(12);
        let body = format!("{filler}then the judges issued a Warrant for the minister {filler}");
        let document = crate::model::Document {
            id: "long".into(),
            url: String::new(),
            source: "s".into(),
            kind: "news".into(),
            title: "t".into(),
            body,
            author: String::new(),
            lang: "und".into(),
            published: chrono::Utc::now(),
            fetched: chrono::Utc::now(),
            content_hash: 0,
            simhash: 0,
            dup_group: "long".into(),
            social: Default::default(),
        };
        writer.upsert(&[document])?;
        writer.commit()?;
        let reader = crate::index::reader::Reader::open(&index)?;
        reader.reload()?;
        let query = compile(&index, "warrant")?;
        let filter = crate::index::reader::SearchFilter {
            limit: 1,
            ..Default::default()
        };
        let hit = reader
            .search(&*query, &filter)?
            .hits
            .pop()
            .ok_or("no hit")?;
        let snippet = &hit.snippet;
        assert!(
            snippet.text.starts_with('…') && snippet.text.ends_with('…'),
            "{}",
            snippet.text
        );
        let marked: Vec<&str> = snippet
            .highlights
            .iter()
            .map(|r| &snippet.text[r.clone()])
            .collect();
        assert_eq!(marked, vec!["Warrant"]);
        Ok(())
    }

    #[test]
    fn a_compound_matches_its_spellings_in_one_or_two_words()
    -> Result<(), Box<dyn std::error::Error>> {
        let index = crate::index::in_memory();
        let mut writer = crate::index::writer::Writer::open(&index)?;
        let doc = |id: &str, body: &str| crate::model::Document::sample(id, "", body, "en");
        writer.upsert(&[
            doc("one", "The cyberattack hit the registry"),
            doc("two", "A cyber attack hit the registry"),
            doc("hyphen", "The cyber-attack hit the registry"),
            doc("apart", "Cyber security and an attack on the registry"),
        ])?;
        writer.commit()?;
        let reader = crate::index::reader::Reader::open(&index)?;
        reader.reload()?;
        let query = compile(&index, "cyberattack~")?;
        let mut ids: Vec<String> = reader
            .search(
                &*query,
                &crate::index::reader::SearchFilter {
                    limit: 10,
                    ..Default::default()
                },
            )?
            .hits
            .into_iter()
            .map(|h| h.id)
            .collect();
        ids.sort();
        assert_eq!(ids, ["hyphen", "one", "two"]);
        Ok(())
    }

    #[test]
    fn rejects_empty_and_broken_queries() {
        let index = crate::index::in_memory();
        assert!(compile(&index, "  ").is_err());
        assert!(compile(&index, "court AND (").is_err());
        assert!(compile(&index, "court AND prosecutor").is_ok());
        assert!(compile(&index, "\"hacked files\" OR fichiers").is_ok());
        // Written differently, one term once stemmed: as costly as a repeated word.
        let stemmed = compile(&index, "\"judge judges\"~5")
            .err()
            .map(|e| e.message);
        assert!(
            stemmed
                .as_deref()
                .is_some_and(|m| m.contains("is repeated")),
            "{stemmed:?}"
        );
        assert!(compile(&index, "\"judge judges\"").is_ok());
    }
}
