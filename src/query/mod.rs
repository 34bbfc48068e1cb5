//! Query text → tantivy `Query`. For now the syntax is tantivy's own query parser over title and
//! body, with AND between bare terms (what analysts expect from Boolean monitoring tools); the
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
    let mut parser = QueryParser::for_index(index, vec![fields.title, fields.body]);
    parser.set_conjunction_by_default();
    parser.parse_query(text).map_err(|e| QueryError {
        message: e.to_string().to_lowercase(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_empty_and_broken_queries() {
        let index = crate::index::in_memory();
        assert!(compile(&index, "  ").is_err());
        assert!(compile(&index, "court AND (").is_err());
        assert!(compile(&index, "court AND prosecutor").is_ok());
        assert!(compile(&index, "\"hacked files\" OR fichiers").is_ok());
    }
}
