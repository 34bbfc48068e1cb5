//! The on-disk tantivy index: `schema` declares the fields, `writer` is the single writer that
//! upserts documents and commits, `reader` answers searches. Only these modules know where
//! documents live.

pub mod budgeted;
pub mod reader;
pub mod schema;
pub mod writer;

use std::path::{Path, PathBuf};
use tantivy::Index;

/// An index operation that failed, with the folder it was about.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("index {path}: {source}")]
    Open {
        path: PathBuf,
        source: tantivy::TantivyError,
    },
    #[error("index {path}: {source}")]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "index {path}: the folder holds an index with another schema; move it away or choose another data_dir"
    )]
    SchemaMismatch { path: PathBuf },
    #[error(
        "index: another vigil process (crawl, run or demo) is writing to this index; stop it or use another data_dir"
    )]
    Busy,
    #[error("index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// The request's budget stopped the search (the caller's to narrow, not a failure).
    #[error("{0}")]
    OverBudget(crate::budget::Spent),
}

/// Opens the index in `dir`, creating it (and the folder) the first time.
pub fn open_or_create(dir: &Path) -> Result<Index, IndexError> {
    std::fs::create_dir_all(dir).map_err(|source| IndexError::Folder {
        path: dir.to_path_buf(),
        source,
    })?;
    let directory = tantivy::directory::MmapDirectory::open(dir).map_err(|e| IndexError::Open {
        path: dir.to_path_buf(),
        source: e.into(),
    })?;
    let wanted = schema::schema();
    let index =
        Index::open_or_create(directory, wanted.clone()).map_err(|source| match source {
            tantivy::TantivyError::SchemaError(_) => IndexError::SchemaMismatch {
                path: dir.to_path_buf(),
            },
            source => IndexError::Open {
                path: dir.to_path_buf(),
                source,
            },
        })?;
    schema::register_analyzers(&index);
    Ok(index)
}

/// A throw-away index in memory, with the same schema and analyzers (query examples, tests).
pub fn in_memory() -> Index {
    let index = Index::create_in_ram(schema::schema());
    schema::register_analyzers(&index);
    index
}
