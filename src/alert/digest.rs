//! The digest of a period: flagged narratives first, then each stored query's volume against the
//! previous period, then the newest matched documents, then sources that are failing. In: the
//! state database, the index and the stored queries; out: a `Digest`, rendered as Markdown.

use crate::detect::{DocRef, QueryActivity};
use crate::index::reader::Reader;
use crate::query::stored::{Severity, StoredQuery};
use crate::store::Store;
use crate::text::{escape_markdown, link_domain, linkable};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt::Write;

/// Documents listed under "top documents".
const TOP_DOCUMENTS: usize = 10;

/// One stored query's volume in the period and the period before.
#[derive(Debug, Clone, Serialize)]
pub struct Volume {
    pub query_id: String,
    pub title: String,
    pub severity: Severity,
    pub count: usize,
    pub previous: usize,
}

/// A source that keeps failing.
#[derive(Debug, Clone, Serialize)]
pub struct SourceProblem {
    pub name: String,
    pub url: String,
    pub error: String,
    pub consecutive_failures: u32,
    pub last_success: Option<DateTime<Utc>>,
}

/// A matched document with the queries it matched.
#[derive(Debug, Clone, Serialize)]
pub struct TopDocument {
    pub doc: DocRef,
    pub queries: Vec<String>,
}

/// Everything a digest shows.
#[derive(Debug, Clone, Serialize)]
pub struct Digest {
    pub generated: DateTime<Utc>,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub narratives: Vec<QueryActivity>,
    pub volumes: Vec<Volume>,
    pub top_documents: Vec<TopDocument>,
    pub source_problems: Vec<SourceProblem>,
}

/// Builds the digest of `[now - period, now]` from assessed query activity.
pub fn build(
    store: &Store,
    reader: &Reader,
    queries: &[StoredQuery],
    activity: &[QueryActivity],
    period: std::time::Duration,
    now: DateTime<Utc>,
) -> Result<Digest, crate::detect::DetectError> {
    let span = chrono::Duration::from_std(period).unwrap_or(chrono::Duration::days(1));
    let start = now - span;
    let mut volumes = Vec::with_capacity(queries.len());
    let mut newest: Vec<(DateTime<Utc>, String, String)> = Vec::new();
    for query in queries {
        let current =
            store.matches_between(&query.id, start, now + chrono::Duration::seconds(1))?;
        let previous = store.matches_between(&query.id, start - span, start)?;
        newest.extend(
            current
                .iter()
                .map(|m| (m.published, m.doc_id.clone(), query.id.clone())),
        );
        volumes.push(Volume {
            query_id: query.id.clone(),
            title: query.title.clone(),
            severity: query.severity,
            count: current.len(),
            previous: previous.len(),
        });
    }
    volumes.sort_by(|a, b| b.count.cmp(&a.count).then(a.query_id.cmp(&b.query_id)));
    newest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut top_ids: Vec<String> = Vec::new();
    let mut queries_of: std::collections::HashMap<String, Vec<String>> = Default::default();
    for (_, doc_id, query_id) in newest {
        let entry = queries_of.entry(doc_id.clone()).or_default();
        if entry.is_empty() {
            if top_ids.len() == TOP_DOCUMENTS {
                continue;
            }
            top_ids.push(doc_id);
        }
        entry.push(query_id);
    }
    let top_documents = reader
        .docs_by_id(&top_ids)?
        .iter()
        .map(|doc| TopDocument {
            doc: DocRef::from(doc),
            queries: queries_of.remove(&doc.id).unwrap_or_default(),
        })
        .collect();
    let source_problems = store
        .source_states()?
        .into_iter()
        .filter(|s| s.consecutive_failures > 0)
        .map(|s| SourceProblem {
            name: s.name,
            url: s.url,
            error: s.last_error.unwrap_or_default(),
            consecutive_failures: s.consecutive_failures,
            last_success: s.last_success,
        })
        .collect();
    Ok(Digest {
        generated: now,
        period_start: start,
        period_end: now,
        narratives: activity
            .iter()
            .filter(|a| a.assessment.flagged)
            .cloned()
            .collect(),
        volumes,
        top_documents,
        source_problems,
    })
}

fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A Markdown link whose text is escaped and whose target is only ever http(s); the real domain
/// is shown beside it so a look-alike title cannot hide where it points.
fn md_link(text: &str, url: &str) -> String {
    match linkable(url) {
        Some(url) => format!(
            "[{}](<{}>) ({})",
            escape_markdown(text),
            url.replace(['<', '>', ' '], ""),
            escape_markdown(&link_domain(url))
        ),
        None => escape_markdown(text),
    }
}

fn change(count: usize, previous: usize) -> String {
    match (count, previous) {
        (0, 0) => "no change".into(),
        (_, 0) => "new".into(),
        _ => {
            let pct = (count as f64 - previous as f64) / previous as f64 * 100.0;
            format!("{pct:+.0}%")
        }
    }
}

/// Renders the digest as Markdown.
pub fn render_markdown(digest: &Digest) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Vigil digest: {} to {}\n",
        time(digest.period_start),
        time(digest.period_end)
    );
    let _ = writeln!(out, "## Emerging narratives\n");
    if digest.narratives.is_empty() {
        let _ = writeln!(
            out,
            "No stored query passed its emergence thresholds in this period.\n"
        );
    }
    for n in &digest.narratives {
        let a = &n.assessment;
        let _ = writeln!(
            out,
            "### {} ({})\n",
            escape_markdown(&n.title),
            n.severity.as_str()
        );
        let _ = writeln!(
            out,
            "- **{} documents** in the last {} hours, {:.1}× the baseline of {:.1} per window",
            a.count,
            (n.window_end - n.window_start).num_hours(),
            a.ratio,
            a.baseline_per_window
        );
        if let Some(first) = &n.first_seen {
            let _ = writeln!(
                out,
                "- First seen {} in {}: {}",
                time(first.published),
                escape_markdown(&first.source),
                md_link(&first.title, &first.url)
            );
        }
        let sources: Vec<String> = n
            .sources
            .iter()
            .map(|(s, c)| format!("{} ({c})", escape_markdown(s)))
            .collect();
        let _ = writeln!(out, "- Sources: {}", sources.join(", "));
        if let Some(copies) = &n.copies {
            let _ = writeln!(
                out,
                "- Copy-paste: {} near-identical documents from {} sources ({}), e.g. {}",
                copies.documents,
                copies.sources.len(),
                copies
                    .sources
                    .iter()
                    .map(|s| escape_markdown(s))
                    .collect::<Vec<_>>()
                    .join(", "),
                md_link(&copies.example.title, &copies.example.url)
            );
        }
        if let Some(peak) = n.spikes.iter().max_by_key(|s| s.count) {
            let _ = writeln!(
                out,
                "- Spike: {} in the {} h to {} (expected {:.1}){}{}",
                peak.count,
                peak.window_hours,
                time(peak.hour),
                peak.expected,
                if peak.burst { ", a burst" } else { "" },
                peak.event
                    .as_deref()
                    .map(|e| format!(", during an expected event: {}", escape_markdown(e)))
                    .unwrap_or_default()
            );
        }
        for sample in &n.samples {
            let _ = writeln!(
                out,
                "  - {} · {} · {}",
                time(sample.published),
                escape_markdown(&sample.source),
                md_link(&sample.title, &sample.url)
            );
        }
        let _ = writeln!(out, "- Stored query: `{}`\n", n.query_id.replace('`', ""));
    }
    let _ = writeln!(out, "## Stored queries\n");
    let _ = writeln!(
        out,
        "| query | severity | documents | previous period | change |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---|");
    for v in &digest.volumes {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            escape_markdown(&v.title),
            v.severity.as_str(),
            v.count,
            v.previous,
            change(v.count, v.previous)
        );
    }
    let _ = writeln!(out, "\n## Newest matched documents\n");
    if digest.top_documents.is_empty() {
        let _ = writeln!(out, "None in this period.");
    }
    for top in &digest.top_documents {
        let _ = writeln!(
            out,
            "- {} · {} · {} ({})",
            time(top.doc.published),
            escape_markdown(&top.doc.source),
            md_link(&top.doc.title, &top.doc.url),
            top.queries
                .iter()
                .map(|q| escape_markdown(q))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !digest.source_problems.is_empty() {
        let _ = writeln!(out, "\n## Source problems\n");
        for p in &digest.source_problems {
            let last = p.last_success.map(time).unwrap_or_else(|| "never".into());
            let _ = writeln!(
                out,
                "- {}: {} consecutive failures, last success {last}: {}",
                escape_markdown(&p.name),
                p.consecutive_failures,
                escape_markdown(&crate::text::truncate_chars(&p.error, 300))
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_escaped_and_only_web_links() {
        let cases = [
            (
                "Title",
                "https://n.example/a",
                "[Title](<https://n.example/a>) (n\\.example)",
            ),
            (
                "a](javascript:x)",
                "javascript:alert(1)",
                "a\\]\\(javascript:x\\)",
            ),
            (
                "t",
                "https://n.example/a b>",
                "[t](<https://n.example/a%20b%3E>) (n\\.example)",
            ),
        ];
        for (text, url, expected) in cases {
            let url = url::Url::parse(url)
                .map(|u| u.to_string())
                .unwrap_or(url.to_string());
            assert_eq!(md_link(text, &url), expected);
        }
        assert_eq!(change(10, 5), "+100%");
        assert_eq!(change(3, 0), "new");
    }
}
