//! Process metrics in the Prometheus text format, for `/metrics`. In: counts and timings
//! recorded by the pipeline stages (fetches and their latency, errors by source, documents
//! indexed, percolation time, documents waiting for a commit, web requests); out: the text
//! exposition. One process-wide registry of atomics: recording costs a few nanoseconds and
//! never blocks a stage.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds (seconds) of the latency histograms' buckets.
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// A latency histogram with fixed buckets.
#[derive(Debug, Default)]
pub struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    /// Sum in microseconds.
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, seconds: f64) {
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (bound, count) in BUCKETS.iter().zip(&self.counts) {
            cumulative += count.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let total = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {total}");
        let _ = writeln!(
            out,
            "{name}_sum {}",
            self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "{name}_count {total}");
    }
}

/// The process's metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    pub fetches: AtomicU64,
    pub documents_fetched: AtomicU64,
    pub documents_indexed: AtomicU64,
    pub commits: AtomicU64,
    pub matches: AtomicU64,
    /// Documents parsed and waiting for the next commit.
    pub queue_documents: AtomicU64,
    /// Stored-query files that failed to load and are skipped.
    pub stored_queries_failing: AtomicU64,
    pub http_requests: AtomicU64,
    pub fetch_latency: Histogram,
    pub percolate_latency: Histogram,
    pub search_latency: Histogram,
    errors_by_source: Mutex<BTreeMap<String, u64>>,
}

/// The process-wide registry.
pub fn global() -> &'static Metrics {
    static METRICS: std::sync::OnceLock<Metrics> = std::sync::OnceLock::new();
    METRICS.get_or_init(Metrics::default)
}

/// A label value escaped as the text format requires.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    pub fn source_error(&self, source: &str) {
        let mut errors = self
            .errors_by_source
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        *errors.entry(source.to_string()).or_default() += 1;
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let counters: [(&str, &str, &AtomicU64); 6] = [
            (
                "vigil_fetches_total",
                "Source fetches completed (any outcome).",
                &self.fetches,
            ),
            (
                "vigil_documents_fetched_total",
                "Items parsed from fetched sources.",
                &self.documents_fetched,
            ),
            (
                "vigil_documents_indexed_total",
                "New or changed documents committed to the index.",
                &self.documents_indexed,
            ),
            ("vigil_commits_total", "Index commits.", &self.commits),
            (
                "vigil_matches_total",
                "Stored-query matches recorded.",
                &self.matches,
            ),
            (
                "vigil_http_requests_total",
                "Web requests served.",
                &self.http_requests,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP vigil_queue_documents Documents parsed and waiting for the next commit.\n# TYPE vigil_queue_documents gauge\nvigil_queue_documents {}",
            self.queue_documents.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP vigil_stored_queries_failing Stored-query files that failed to load and are skipped.\n# TYPE vigil_stored_queries_failing gauge\nvigil_stored_queries_failing {}",
            self.stored_queries_failing.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP vigil_source_errors_total Failed fetches by source.\n# TYPE vigil_source_errors_total counter"
        );
        for (source, n) in self
            .errors_by_source
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "vigil_source_errors_total{{source=\"{}\"}} {n}",
                label(source)
            );
        }
        self.fetch_latency
            .render(&mut out, "vigil_fetch_seconds", "Time to fetch a source.");
        self.percolate_latency.render(
            &mut out,
            "vigil_percolate_seconds",
            "Time to run the stored queries over a committed batch.",
        );
        self.search_latency.render(
            &mut out,
            "vigil_search_seconds",
            "Time to answer a web search.",
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_text_format() {
        let m = Metrics::default();
        m.fetches.fetch_add(3, Ordering::Relaxed);
        m.source_error("bad \"feed\"");
        m.fetch_latency.observe(0.02);
        m.fetch_latency.observe(3.0);
        let text = m.render();
        for line in [
            "vigil_fetches_total 3",
            "vigil_source_errors_total{source=\"bad \\\"feed\\\"\"} 1",
            "vigil_fetch_seconds_bucket{le=\"0.025\"} 1",
            "vigil_fetch_seconds_bucket{le=\"5\"} 2",
            "vigil_fetch_seconds_bucket{le=\"+Inf\"} 2",
            "vigil_fetch_seconds_count 2",
            "# TYPE vigil_queue_documents gauge",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
    }
}
