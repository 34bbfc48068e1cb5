//! `vigil queries backtest|diff|explain|suggest`: the analysts' tuning tools on the terminal.
//! Resolves the query argument (a stored query's file or id, or query text), runs the library
//! function from `vigil::query::tune` and prints it for a person (or JSON for a script).

use super::Span;
use anyhow::{Context, Result, anyhow};
use std::path::Path;
use vigil::index::reader::Hit;
use vigil::query::Compiled;
use vigil::query::tune;
use vigil::readside::ReadSide;
use vigil::text::for_terminal;

/// A query named on the command line, compiled against the real index.
pub struct Named {
    pub label: String,
    pub compiled: Compiled,
    pub languages: Vec<String>,
}

/// A stored query's file, a stored query's id, or query text.
pub fn resolve(read: &ReadSide, arg: &str) -> Result<Named> {
    let index = read.reader.index();
    let path = Path::new(arg);
    let stored = if path.is_file() {
        let lists = std::sync::Arc::clone(&read.lists);
        Some(vigil::query::stored::load_file(path, index, &lists)?)
    } else {
        None
    };
    let (label, text, languages) = match (&stored, read.queries().iter().find(|q| q.id == arg)) {
        (Some(q), _) | (None, Some(q)) => (q.id.clone(), q.query_text.clone(), q.languages.clone()),
        (None, None) => ("query".to_string(), arg.to_string(), Vec::new()),
    };
    let compiled = vigil::query::stored::compile_stored(index, &text, &read.lists, &languages)
        .map_err(|e| anyhow!("{label}: {}", e.render(&text)))?;
    Ok(Named {
        label,
        compiled,
        languages,
    })
}

fn print_hits(hits: &[Hit]) {
    for hit in hits {
        println!(
            "  {}  {}  [{}] {}",
            hit.published.format("%Y-%m-%d %H:%M"),
            for_terminal(&hit.source),
            for_terminal(&hit.lang),
            hit.title.render(for_terminal, "\x1b[1m", "\x1b[0m")
        );
        let snippet = hit.snippet.render(for_terminal, "\x1b[1;33m", "\x1b[0m");
        if !snippet.is_empty() {
            println!("      {snippet}");
        }
        println!("      {}", for_terminal(&hit.url));
    }
}

pub fn backtest(
    read: &ReadSide,
    arg: &str,
    since_text: &Span,
    chart: Option<&Path>,
    json: bool,
) -> Result<()> {
    let named = resolve(read, arg)?;
    let now = chrono::Utc::now();
    let report = tune::backtest(
        &read.reader,
        &named.compiled,
        since_text.start(chrono::Utc::now()),
        now,
    )?;
    if let Some(path) = chart {
        let bars: Vec<(String, usize)> = report
            .per_day
            .iter()
            .map(|(d, c)| (d.format("%m-%d").to_string(), *c))
            .collect();
        let title = format!("{}: matches per day, last {since_text}", named.label);
        std::fs::write(path, vigil::chart::bars_svg(&title, &bars))
            .with_context(|| format!("--chart {}", path.display()))?;
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    let counts: Vec<usize> = report.per_day.iter().map(|(_, c)| *c).collect();
    let busiest = report.per_day.iter().max_by_key(|(_, c)| *c);
    println!(
        "{}: {} matches in the last {since_text} ({} to {})",
        for_terminal(&named.label),
        report.total,
        report.since.format("%Y-%m-%d"),
        report.until.format("%Y-%m-%d")
    );
    println!("  per day  {}", tune::sparkline(&counts));
    if let Some((day, count)) = busiest.filter(|(_, c)| *c > 0) {
        println!("  busiest  {day}: {count}");
    }
    let list = |items: &[(String, usize)]| {
        items
            .iter()
            .map(|(k, v)| format!("{} {v}", for_terminal(k)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!("  sources  {}", list(&report.top_sources));
    println!("  languages {}", list(&report.languages));
    if let Some(path) = chart {
        println!("  chart    {}", path.display());
    }
    println!("newest matches:");
    print_hits(&report.samples);
    Ok(())
}

pub fn diff(read: &ReadSide, old: &str, new: &str, since_text: &Span, json: bool) -> Result<()> {
    let (old, new) = (resolve(read, old)?, resolve(read, new)?);
    let report = tune::diff(
        &read.reader,
        &old.compiled,
        &new.compiled,
        since_text.start(chrono::Utc::now()),
    )?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "over the last {since_text}: old {} matches, new {} ({:+}); gained {}, lost {}",
        report.old_total,
        report.new_total,
        report.new_total as i64 - report.old_total as i64,
        report.gained,
        report.lost
    );
    println!("gained (matched only by the new version):");
    print_hits(&report.gained_samples);
    println!("lost (matched only by the old version):");
    print_hits(&report.lost_samples);
    Ok(())
}

pub fn explain(read: &ReadSide, arg: &str, since_text: &Span, json: bool) -> Result<()> {
    let named = resolve(read, arg)?;
    let clauses = tune::explain(
        &read.reader,
        &named.compiled.tree,
        &named.compiled.text,
        &named.languages,
        since_text.start(chrono::Utc::now()),
    )?;
    if json {
        println!("{}", serde_json::to_string_pretty(&clauses)?);
        return Ok(());
    }
    println!("documents each clause matches on its own, last {since_text}:");
    for clause in &clauses {
        let note = if clause.kind == "NOT" {
            " (excluded)"
        } else {
            ""
        };
        println!(
            "{:>9}  {}{:<10} {}{note}",
            clause.matches,
            "  ".repeat(clause.depth),
            clause.kind,
            for_terminal(&vigil::text::truncate_chars(&clause.text, 100))
        );
    }
    Ok(())
}

pub fn suggest(
    read: &ReadSide,
    arg: &str,
    since_text: &Span,
    limit: usize,
    json: bool,
) -> Result<()> {
    let named = resolve(read, arg)?;
    let report = tune::suggest(
        &read.reader,
        &named.compiled.tree,
        &*named.compiled.query,
        since_text.start(chrono::Utc::now()),
        limit,
    )?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "over-represented in the {} newest matches against the whole index ({} documents);\n\
         add the on-topic ones (OR), exclude the off-topic senses (NOT):",
        report.read,
        read.reader.num_docs()
    );
    for (heading, items) in [("terms", &report.terms), ("phrases", &report.phrases)] {
        println!("{heading}:");
        for s in items {
            println!(
                "  {:<32} in {:>5} matches, {:>7} documents overall, score {:.3}{}",
                for_terminal(&s.text),
                s.foreground,
                s.background,
                s.score,
                if s.in_query { "  (in the query)" } else { "" }
            );
        }
    }
    Ok(())
}
