//! Stored-query matches and story clusters: which stored query matched which document
//! (`matches`), how far percolation and clustering got (`meta`), and the clusters with their
//! members (`clusters`, `cluster_members`). Written by the percolator and the clusterer in the
//! pipeline's writer; read by detection, the digest and the web.

use super::{Store, StoreError, to_time};
use crate::model::Match;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// The tables of this domain (see `super::MIGRATIONS`).
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS matches (
    query_id TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    source TEXT NOT NULL,
    published INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (query_id, doc_id)
);
CREATE INDEX IF NOT EXISTS matches_by_time ON matches (query_id, published);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS clusters (
    id TEXT PRIMARY KEY,
    seed_doc TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    size INTEGER NOT NULL,
    centroid TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS clusters_by_last_seen ON clusters (last_seen);
CREATE TABLE IF NOT EXISTS cluster_members (
    doc_id TEXT PRIMARY KEY,
    cluster_id TEXT NOT NULL,
    published INTEGER NOT NULL,
    similarity REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS members_by_cluster ON cluster_members (cluster_id, published);
";

/// A recorded match, as read back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchRow {
    pub doc_id: String,
    pub source: String,
    pub published: DateTime<Utc>,
}

impl Store {
    /// Fingerprints and groups of documents first seen since `since`, oldest first.
    pub fn fingerprints_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(u64, String)>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare("SELECT simhash, dup_group FROM seen WHERE first_seen >= ?1 AND simhash <> 0 ORDER BY seq")?;
            let rows = statement.query_map([since.timestamp()], |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?)))?;
            rows.collect()
        })
    }

    /// Records the matches of one percolated batch and moves the percolation mark, atomically.
    /// A match recorded twice (a batch percolated again after a crash) is kept once.
    pub fn record_matches(
        &self,
        matches: &[Match],
        percolated_upto: u64,
    ) -> Result<usize, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let mut inserted = 0;
            {
                let mut statement = tx.prepare_cached(
                    "INSERT INTO matches (query_id, doc_id, source, published, seq) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT(query_id, doc_id) DO UPDATE SET published = ?4, seq = ?5",
                )?;
                for m in matches {
                    inserted += statement.execute(params![m.query_id, m.doc_id, m.source, m.published.timestamp(), m.seq as i64])?;
                }
            }
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('percolated_upto', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(?1 AS INTEGER))",
                [percolated_upto.to_string()],
            )?;
            tx.commit()?;
            Ok(inserted)
        })
    }

    /// The highest ingest sequence number whose batch was percolated.
    pub fn percolated_upto(&self) -> Result<u64, StoreError> {
        self.with(|c| {
            let value: Option<String> = c
                .query_row(
                    "SELECT value FROM meta WHERE key = 'percolated_upto'",
                    [],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(value.and_then(|v| v.parse().ok()).unwrap_or(0))
        })
    }

    /// Matches of a query published in `[from, to)`, oldest first.
    pub fn matches_between(
        &self,
        query_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<MatchRow>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT doc_id, source, published FROM matches
                 WHERE query_id = ?1 AND published >= ?2 AND published < ?3 ORDER BY published, doc_id",
            )?;
            let rows = statement.query_map(params![query_id, from.timestamp(), to.timestamp()], |r| {
                Ok(MatchRow {
                    doc_id: r.get(0)?,
                    source: r.get(1)?,
                    published: to_time(Some(r.get(2)?)).unwrap_or_default(),
                })
            })?;
            rows.collect()
        })
    }

    /// How many matches of a query were published in `[from, to)` (counted in the index).
    pub fn count_matches_between(
        &self,
        query_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        self.with(|c| {
            c.prepare_cached(
                "SELECT count(*) FROM matches WHERE query_id = ?1 AND published >= ?2 AND published < ?3",
            )?
            .query_row(params![query_id, from.timestamp(), to.timestamp()], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as usize)
        })
    }

    /// The earliest match of a query, if any.
    pub fn first_match(&self, query_id: &str) -> Result<Option<MatchRow>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT doc_id, source, published FROM matches WHERE query_id = ?1 ORDER BY published, doc_id LIMIT 1",
                [query_id],
                |r| {
                    Ok(MatchRow {
                        doc_id: r.get(0)?,
                        source: r.get(1)?,
                        published: to_time(Some(r.get(2)?)).unwrap_or_default(),
                    })
                },
            )
            .optional()
        })
    }

    /// The highest ingest sequence whose matched documents were clustered.
    pub fn clustered_upto(&self) -> Result<u64, StoreError> {
        self.with(|c| {
            let value: Option<String> = c
                .query_row(
                    "SELECT value FROM meta WHERE key = 'clustered_upto'",
                    [],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(value.and_then(|v| v.parse().ok()).unwrap_or(0))
        })
    }

    /// Matched documents (each once, at its lowest sequence) with an ingest sequence above
    /// `after`, oldest first: (doc id, sequence). At most `limit` match rows are read, in
    /// sequence order along `matches_by_seq`, so a call costs the same however many matches
    /// wait behind them (grouping all of them first made each call of a backlog of a million
    /// read the whole backlog); a document's rows past the last read come again later, as a
    /// re-match does.
    pub fn matched_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        let rows: Vec<(String, u64)> = self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT doc_id, seq FROM matches WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )?;
            let rows = statement.query_map(params![after as i64, limit as i64], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })?;
            rows.collect()
        })?;
        let mut seen = std::collections::HashSet::new();
        let mut documents: Vec<(String, u64)> = rows
            .into_iter()
            .filter(|(id, _)| seen.insert(id.clone()))
            .collect();
        documents.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        Ok(documents)
    }

    /// Clusters whose newest document is at or after `since`.
    pub fn clusters_since(&self, since: DateTime<Utc>) -> Result<Vec<ClusterRow>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT id, seed_doc, first_seen, last_seen, size, centroid FROM clusters
                 WHERE last_seen >= ?1 ORDER BY first_seen, id",
            )?;
            let rows = statement.query_map([since.timestamp()], read_cluster)?;
            rows.collect()
        })
    }

    /// `clusters_since` without the centroids (which only the clusterer reads): what
    /// assembling narratives needs, at a fraction of the reading.
    pub fn cluster_summaries_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<ClusterRow>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT id, seed_doc, first_seen, last_seen, size, '' FROM clusters
                 WHERE last_seen >= ?1 ORDER BY first_seen, id",
            )?;
            let rows = statement.query_map([since.timestamp()], read_cluster)?;
            rows.collect()
        })
    }

    /// The publication times of the given clusters' members since `since`, per cluster.
    pub fn member_times_of(
        &self,
        cluster_ids: &[&str],
        since: DateTime<Utc>,
    ) -> Result<Vec<(String, Vec<DateTime<Utc>>)>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT published FROM cluster_members WHERE cluster_id = ?1 AND published >= ?2",
            )?;
            let mut out = Vec::with_capacity(cluster_ids.len());
            for id in cluster_ids {
                let times = statement
                    .query_map(params![id, since.timestamp()], |r| {
                        Ok(to_time(Some(r.get(0)?)).unwrap_or_default())
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                out.push((id.to_string(), times));
            }
            Ok(out)
        })
    }

    /// One cluster by id.
    pub fn cluster(&self, id: &str) -> Result<Option<ClusterRow>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT id, seed_doc, first_seen, last_seen, size, centroid FROM clusters WHERE id = ?1",
                [id],
                read_cluster,
            )
            .optional()
        })
    }

    /// The cluster of each given document that has one.
    pub fn clusters_of(&self, doc_ids: &[String]) -> Result<Vec<(String, String)>, StoreError> {
        self.with(|c| {
            let mut statement =
                c.prepare_cached("SELECT cluster_id FROM cluster_members WHERE doc_id = ?1")?;
            let mut out = Vec::new();
            for id in doc_ids {
                if let Some(cluster) = statement
                    .query_row([id], |r| r.get::<_, String>(0))
                    .optional()?
                {
                    out.push((id.clone(), cluster));
                }
            }
            Ok(out)
        })
    }

    /// The clustered documents published since `since`: (ingest sequence, cluster id).
    pub fn cluster_members_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(u64, String)>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT seq, cluster_id FROM cluster_members WHERE published >= ?1",
            )?;
            let rows = statement.query_map([since.timestamp()], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?))
            })?;
            rows.collect()
        })
    }

    /// A cluster's documents, oldest first: (doc id, published).
    pub fn cluster_members(
        &self,
        cluster_id: &str,
    ) -> Result<Vec<(String, DateTime<Utc>)>, StoreError> {
        self.with(|c| {
            let mut statement = c.prepare_cached(
                "SELECT doc_id, published FROM cluster_members WHERE cluster_id = ?1 ORDER BY published, doc_id",
            )?;
            let rows = statement.query_map([cluster_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    to_time(Some(r.get(1)?)).unwrap_or_default(),
                ))
            })?;
            rows.collect()
        })
    }

    /// The stored queries that matched each of the given documents.
    pub fn queries_of(&self, doc_ids: &[String]) -> Result<Vec<(String, String)>, StoreError> {
        self.with(|c| {
            let mut out = super::rows_for_ids(
                c,
                "SELECT doc_id, query_id FROM matches WHERE doc_id IN ({ids})",
                doc_ids,
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )?;
            out.sort();
            Ok(out)
        })
    }

    /// Records one clustering run: the clusters it created or changed, the documents it
    /// assigned, the small clusters others adopted (`(from, into)`: their documents move, they
    /// are deleted), and the new mark, atomically. A document assigned again keeps its
    /// cluster, so a run repeated after a crash changes nothing.
    pub fn record_clustering(
        &self,
        clusters: &[ClusterRow],
        members: &[ClusterMember],
        adopted: &[(String, String)],
        upto: u64,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            {
                let mut put = tx.prepare_cached(
                    "INSERT INTO clusters (id, seed_doc, first_seen, last_seen, size, centroid)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT(id) DO UPDATE SET first_seen = ?3, last_seen = ?4, size = ?5, centroid = ?6",
                )?;
                for row in clusters {
                    put.execute(params![
                        row.id,
                        row.seed_doc,
                        row.first_seen.timestamp(),
                        row.last_seen.timestamp(),
                        row.size as i64,
                        row.centroid
                    ])?;
                }
                let mut member = tx.prepare_cached(
                    "INSERT INTO cluster_members (doc_id, cluster_id, published, similarity, seq)
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(doc_id) DO UPDATE SET seq = excluded.seq",
                )?;
                for m in members {
                    member.execute(params![
                        m.doc_id,
                        m.cluster_id,
                        m.published.timestamp(),
                        m.similarity,
                        m.seq as i64
                    ])?;
                }
                // A small story taken in by another (early shares by their article's story):
                // its documents move, it is gone.
                let mut moved = tx.prepare_cached(
                    "UPDATE cluster_members SET cluster_id = ?2 WHERE cluster_id = ?1",
                )?;
                let mut gone = tx.prepare_cached("DELETE FROM clusters WHERE id = ?1")?;
                for (from, into) in adopted {
                    moved.execute(params![from, into])?;
                    gone.execute(params![from])?;
                }
            }
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('clustered_upto', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(?1 AS INTEGER))",
                [upto.to_string()],
            )?;
            tx.commit()
        })
    }
}

/// A document's place in a story cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterMember {
    pub doc_id: String,
    pub cluster_id: String,
    pub published: DateTime<Utc>,
    pub similarity: f64,
    /// Its ingest sequence number, to look clusters up from index hits without reading ids.
    pub seq: u64,
}

/// A story cluster as stored: its centroid is JSON (term → weight).
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterRow {
    pub id: String,
    pub seed_doc: String,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub size: usize,
    pub centroid: String,
}

fn read_cluster(r: &rusqlite::Row<'_>) -> rusqlite::Result<ClusterRow> {
    Ok(ClusterRow {
        id: r.get(0)?,
        seed_doc: r.get(1)?,
        first_seen: to_time(Some(r.get(2)?)).unwrap_or_default(),
        last_seen: to_time(Some(r.get(3)?)).unwrap_or_default(),
        size: r.get::<_, i64>(4)? as usize,
        centroid: r.get(5)?,
    })
}
