//! Query text → tantivy `Query`. For now the syntax is tantivy's own query parser over title,
//! body and the language-stemmed fields, with AND between bare terms (what analysts expect from Boolean monitoring tools); the
//! analysts' language replaces `compile` later without touching its callers. `stored` holds the
//! query files analysts own.

pub mod stored;

use crate::index::schema::Fields;
use tantivy::Index;
use tantivy::query::{Query, QueryParser};

/// Longest query text accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 10_000;

/// A query that could not be compiled, with the reason.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid query: {message}")]
pub struct QueryError {
    pub message: String,
}

/// Compiles query text against the index's schema and analyzers.
pub fn compile(index: &Index, text: &str) -> Result<Box<dyn Query>, QueryError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(QueryError {
            message: "the query is empty".into(),
        });
    }
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(QueryError {
            message: format!("longer than {MAX_QUERY_CHARS} characters"),
        });
    }
    let fields = Fields::new(&index.schema());
    let mut parser = QueryParser::for_index(index, fields.default_search_fields());
    parser.set_conjunction_by_default();
    parser.parse_query(text).map_err(|e| QueryError {
        message: e.to_string().to_lowercase(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_match_their_inflections_in_the_documents_language()
    -> Result<(), Box<dyn std::error::Error>> {
        let index = crate::index::in_memory();
        let mut writer = crate::index::writer::Writer::open(&index)?;
        let doc = |id: &str, lang: &str, body: &str| crate::model::Document {
            id: id.into(),
            url: String::new(),
            source: "s".into(),
            kind: "news".into(),
            title: String::new(),
            body: body.into(),
            author: String::new(),
            lang: lang.into(),
            published: chrono::Utc::now(),
            fetched: chrono::Utc::now(),
            content_hash: 0,
            simhash: 0,
            dup_group: id.into(),
            social: Default::default(),
        };
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
    fn rejects_empty_and_broken_queries() {
        let index = crate::index::in_memory();
        assert!(compile(&index, "  ").is_err());
        assert!(compile(&index, "court AND (").is_err());
        assert!(compile(&index, "court AND prosecutor").is_ok());
        assert!(compile(&index, "\"hacked files\" OR fichiers").is_ok());
    }
}
