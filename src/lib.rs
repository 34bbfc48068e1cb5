//! Vigil: a disinformation monitoring pipeline.
//!
//! Data flows one way, and `pipeline` is the only module that wires the stages together:
//! source → `fetch` → `parse` → `normalise` → `dedup` → `index` → `percolate` (stored queries)
//! → `detect` (emergence) → `alert` (digests). The `web` module and the CLI only read.

pub mod alert;
pub mod archive;
pub mod auth;
pub mod budget;
pub mod chart;
pub mod cluster;
pub mod config;
pub mod crawl;
pub mod dedup;
pub mod demo;
pub mod detect;
pub mod disarm;
pub mod fetch;
pub mod health;
pub mod index;
pub mod leakwatch;
pub mod metrics;
pub mod model;
pub mod normalise;
pub mod parse;
pub mod percolate;
pub mod pipeline;
pub mod query;
pub mod readside;
pub mod schedule;
pub mod statute;
pub mod stix;
pub mod store;
pub mod text;
pub mod types;
pub mod web;

/// Every allocation is counted per thread, so a request's memory can be bounded
/// (`budget::Budget`).
#[global_allocator]
static ALLOCATOR: budget::Counting = budget::Counting;

/// The version string used in the User-Agent and the web UI.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
