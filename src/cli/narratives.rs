//! `vigil narratives [--since 7d]` and `vigil narratives show ID`: emerging narratives on the
//! terminal, most urgent first, or as JSON for scripts.

use super::Span;
use anyhow::{Result, bail};
use vigil::detect::narrative::Narrative;
use vigil::query::tune::sparkline;
use vigil::readside::ReadSide;
use vigil::text::for_terminal;

fn list(items: &[(String, usize)], n: usize) -> String {
    let shown: Vec<String> = items
        .iter()
        .take(n)
        .map(|(k, v)| format!("{} {v}", for_terminal(k)))
        .collect();
    let more = items.len().saturating_sub(n);
    if more > 0 {
        format!("{} (+{more} more)", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

fn summary(n: &Narrative) {
    let urgent = n.urgent;
    println!(
        "{}{}  [{}] {}  · {} documents · {}",
        if urgent { "▲ " } else { "  " },
        n.id,
        n.state.as_str(),
        for_terminal(&n.headline()),
        n.documents,
        n.severity.map_or("—", |s| s.as_str()),
    );
    println!(
        "    first seen {} · {} · {}",
        n.first_seen.published.format("%Y-%m-%d %H:%M UTC"),
        for_terminal(&n.first_seen.source),
        for_terminal(&n.first_seen.title)
    );
    println!(
        "    72 h  {}",
        sparkline(&n.volume.iter().map(|c| *c as usize).collect::<Vec<_>>())
    );
    println!(
        "    sources {} · languages {}",
        list(&n.sources, 4),
        list(&n.languages, 4)
    );
    let mut badges = Vec::new();
    if let Some(group) = n.copy_paste.first() {
        badges.push(format!(
            "{}: {} copies by {} sources or accounts",
            if group.syndicated {
                "syndicated"
            } else {
                "copy-paste"
            },
            group.documents,
            group.accounts.len()
        ));
    }
    if let Some(network) = n.amplifiers.first() {
        badges.push(format!("amplifiers: {} accounts", network.members.len()));
    }
    if !n.disarm.is_empty() {
        let ids: Vec<&str> = n.disarm.iter().map(|t| t.id.as_str()).collect();
        badges.push(format!("DISARM {}", ids.join(" ")));
    }
    if !badges.is_empty() {
        println!("    {}", badges.join(" · "));
    }
}

pub fn list_narratives(read: &ReadSide, since_text: &Span, json: bool) -> Result<()> {
    let since = since_text.start(chrono::Utc::now());
    let now = chrono::Utc::now();
    let all = read.narratives(since, now)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(());
    }
    println!(
        "{} narratives active in the last {since_text}, most urgent first:\n",
        all.len()
    );
    for n in &all {
        summary(n);
        println!();
    }
    Ok(())
}

pub fn show(read: &ReadSide, id: &str, json: bool) -> Result<()> {
    let now = chrono::Utc::now();
    let Some(n) = read.narrative(id, now)? else {
        bail!("no narrative {id:?}: `vigil narratives` lists them");
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&n)?);
        return Ok(());
    }
    summary(&n);
    println!(
        "\nrepresentative: {} · {}\n  {}",
        for_terminal(&n.representative.source),
        for_terminal(&n.representative.title),
        for_terminal(&n.representative.url)
    );
    println!("first seen: {}", for_terminal(&n.first_seen.url));
    println!("stored queries: {}", list(&n.queries, 10));
    println!("domains: {}", list(&n.domains, 10));
    println!("platforms: {}", list(&n.platforms, 10));
    if let Some(visible) = &n.visible {
        println!("{}", visible.describe());
    }
    if let Some(among) = &n.among_accounts {
        println!("{}", among.describe());
    }
    if !n.spikes.is_empty() {
        println!("spikes:");
        for e in vigil::detect::spike::episodes(&n.spikes) {
            let s = &e.peak;
            println!(
                "  {} to {} ({} h): peak {} documents in {} h (expected {:.1}, p {:.1e}, z {:.1}){}{}",
                e.start.format("%Y-%m-%d %H:00"),
                e.end.format("%Y-%m-%d %H:00"),
                e.hours,
                s.count,
                s.window_hours,
                s.expected,
                s.p_value,
                s.z,
                if s.urgent {
                    ", unexplained burst"
                } else if s.burst {
                    ", in a burst"
                } else {
                    ""
                },
                s.event
                    .as_deref()
                    .map(|e| format!(", expected event: {}", for_terminal(e)))
                    .unwrap_or_default()
            );
        }
    }
    for group in &n.copy_paste {
        println!(
            "{}: {} ({} copies by {}): {}",
            if group.syndicated {
                "syndicated"
            } else {
                "copy-paste"
            },
            for_terminal(&group.evidence),
            group.documents,
            for_terminal(&group.accounts.join(", ")),
            for_terminal(&group.example.title)
        );
    }
    for network in &n.amplifiers {
        println!(
            "amplifiers: {} shared {}",
            for_terminal(&network.members.join(", ")),
            for_terminal(&network.objects.join(", "))
        );
    }
    for t in &n.disarm {
        println!(
            "DISARM {} {}: {}",
            t.id,
            for_terminal(&t.name),
            for_terminal(&t.why)
        );
    }
    for r in &n.rebuttals {
        println!("rebuttal ({}): {}", r.query, for_terminal(&r.text));
        if let Some(article) = &r.article {
            println!("  Rome Statute {}", for_terminal(article));
        }
        if let Some(url) = &r.url {
            println!("  {}", for_terminal(url));
        }
    }
    println!("timeline (newest first):");
    for d in &n.samples {
        println!(
            "  {}  {}  {}",
            d.published.format("%Y-%m-%d %H:%M"),
            for_terminal(&d.source),
            for_terminal(&d.title)
        );
    }
    Ok(())
}

/// `vigil narratives export --stix`: one narrative's bundle, or those active in `since`.
pub fn export_stix(
    read: &ReadSide,
    id: Option<&str>,
    since: &Span,
    out: Option<&std::path::Path>,
) -> Result<()> {
    let now = chrono::Utc::now();
    let bundle = match id {
        Some(id) => match vigil::stix::export_one(read, id, now)? {
            Some(bundle) => bundle,
            None => bail!("no narrative {id:?}: `vigil narratives` lists them"),
        },
        None => vigil::stix::export_since(read, since.start(now), now)?,
    };
    let text = serde_json::to_string_pretty(&bundle)?;
    match out {
        Some(path) => {
            std::fs::write(path, text + "\n")
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            eprintln!(
                "wrote {} STIX objects to {}",
                bundle["objects"].as_array().map_or(0, Vec::len),
                path.display()
            );
        }
        None => println!("{text}"),
    }
    Ok(())
}
