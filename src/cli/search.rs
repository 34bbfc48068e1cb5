//! `vigil search`: the analysts' query language over the index, newest or most relevant first,
//! with highlighted snippets on the terminal or JSON.

use super::Span;
use anyhow::{Result, bail};
use std::process::ExitCode;
use vigil::index::reader::{SearchFilter, Sort};
use vigil::readside::ReadSide;
use vigil::text::for_terminal;

/// Searches under `budget`, the same as the web's: a search that runs past it is an error,
/// never partial results.
pub fn search(
    read: &ReadSide,
    budget: vigil::budget::Budget,
    text: &str,
    since: Option<Span>,
    sources: Vec<String>,
    limit: usize,
    sort: &str,
    json: bool,
) -> Result<ExitCode> {
    let sort = match sort {
        "newest" => Sort::Newest,
        "relevance" => Sort::Relevance,
        other => bail!("--sort {other:?}: use newest or relevance"),
    };
    // A stored-query file that does not load is named and skipped; the search goes on.
    for failure in read.query_failures().iter() {
        eprintln!(
            "warning: {} (skipped; the other stored queries are used)",
            for_terminal(failure)
        );
    }
    for note in vigil::query::syntax::reading_notes(text) {
        eprintln!("note: {}", for_terminal(&note));
    }
    let since = since.map(|span| span.start(chrono::Utc::now()));
    let compiled = read
        .compile(text)
        .map_err(|e| anyhow::anyhow!("{}", e.render(text)))?;
    let highlight = compiled.highlight_query(&read.reader);
    let filter = SearchFilter {
        since,
        sources,
        limit: limit.max(1),
        offset: 0,
        sort,
        ..Default::default()
    };
    let results = {
        let _budget = vigil::budget::enter(budget);
        let results = read
            .reader
            .search_highlighting(&*compiled.query, &*highlight, &filter)?;
        vigil::index::budgeted::verdict()?;
        results
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&results)?);
        return Ok(ExitCode::SUCCESS);
    }
    let bold = |s: &str| for_terminal(s);
    println!(
        "{} documents match; showing {}",
        results.total,
        results.hits.len()
    );
    for hit in &results.hits {
        println!();
        println!("{}", hit.title.render(bold, "\u{1b}[1m", "\u{1b}[0m"));
        println!(
            "  {} · {} · {}",
            for_terminal(&hit.source),
            hit.published.format("%Y-%m-%d %H:%M UTC"),
            for_terminal(&hit.url)
        );
        println!(
            "  {}",
            hit.snippet.render(bold, "\u{1b}[1;33m", "\u{1b}[0m")
        );
    }
    Ok(ExitCode::SUCCESS)
}
