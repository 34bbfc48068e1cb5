//! A digest in every format it is read in: Markdown (folders, the CLI), plain text (the email's
//! alternative part, terminals), HTML email (inline CSS, tables, no script, no images, no SVG:
//! what common mail clients render), JSON, and Slack and Microsoft Teams webhook payloads. In: a
//! `Digest`; out: `Rendered`. Every piece of crawled text is escaped for the format it lands in,
//! links are only ever http(s), and each link shows the domain it really points to.

use super::digest::{Digest, Kind, TopDocument, Volume};
use crate::detect::DocRef;
use crate::detect::narrative::Narrative;
use crate::index::reader::Highlighted;
use crate::text::{escape_html, escape_markdown, link_domain, linkable, truncate_chars};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// Said wherever narratives are listed: Vigil describes; people judge.
pub const JUDGE: &str = "Vigil describes activity; a person judges. Criticism of the court is legitimate speech, and no narrative here is a verdict on its documents.";

/// A digest rendered in every format, as the outbox keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub markdown: String,
    pub json: String,
    pub slack: String,
    pub teams: String,
}

/// Renders every format.
pub fn render(digest: &Digest) -> Rendered {
    Rendered {
        subject: subject(digest),
        text: text(digest),
        html: html(digest),
        markdown: markdown(digest),
        json: serde_json::to_string_pretty(digest).unwrap_or_else(|_| "{}".into()),
        slack: slack(digest).to_string(),
        teams: teams(digest).to_string(),
    }
}

pub fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// One line, no control characters, at most 150 characters: safe as a mail header.
fn header_safe(text: &str) -> String {
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    truncate_chars(
        line.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .as_str(),
        150,
    )
}

/// The email subject.
pub fn subject(digest: &Digest) -> String {
    let narratives = digest.narratives.len();
    let text = match digest.kind {
        Kind::Alert => match digest.narratives.first() {
            Some(n) => format!(
                "Vigil urgent: {} ({} documents)",
                n.label.join(" "),
                n.documents
            ),
            None => "Vigil urgent alert".to_string(),
        },
        Kind::Update => format!("Vigil update: {narratives} narratives grew"),
        Kind::Digest => format!(
            "{} {}: {narratives} emerging narrative{}, {} matched documents",
            digest.title,
            digest.period_end.format("%Y-%m-%d %H:%M UTC"),
            if narratives == 1 { "" } else { "s" },
            digest.volumes.iter().map(|v| v.count).sum::<usize>()
        ),
    };
    header_safe(&text)
}

/// "12 in the last 24 h, +200% on the 24 h before".
fn growth(n: &Narrative) -> String {
    let v = &n.volume;
    let last: u32 = v.iter().rev().take(24).sum();
    let before: u32 = v.iter().rev().skip(24).take(24).sum();
    let change = match (last, before) {
        (_, 0) if last > 0 => "new in the last day".to_string(),
        (0, 0) => "quiet".to_string(),
        _ => format!(
            "{:+.0}% on the 24 h before",
            (last as f64 - before as f64) / before as f64 * 100.0
        ),
    };
    format!("{last} in the last 24 h, {change}")
}

fn sparkline(n: &Narrative) -> String {
    let counts: Vec<usize> = n.volume.iter().map(|c| *c as usize).collect();
    crate::query::tune::sparkline(&counts)
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

fn top<T: AsRef<str>>(items: &[(T, usize)], n: usize) -> String {
    items
        .iter()
        .take(n)
        .map(|(k, c)| format!("{} ({c})", k.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The facts of a narrative as (label, value) lines of plain text, unescaped: each renderer
/// escapes them for its format.
fn facts(n: &Narrative) -> Vec<(&'static str, String)> {
    let mut out = vec![
        (
            "State",
            format!("{}, {} documents", n.state.as_str(), n.documents),
        ),
        ("Growth", growth(n)),
        (
            "Sources",
            format!("{}: {}", n.sources.len(), top(&n.sources, 5)),
        ),
        ("Languages", top(&n.languages, 6)),
        ("Platforms", top(&n.platforms, 6)),
    ];
    if let Some(visible) = &n.visible {
        out.push(("Visibility", visible.describe()));
    }
    if let Some(among) = &n.among_accounts {
        out.push(("Told by", among.describe()));
    }
    if let Some(spike) = n.spikes.iter().max_by_key(|s| s.count) {
        out.push((
            "Spike",
            format!(
                "{} in the {} h to {} (expected {:.1}){}{}",
                spike.count,
                spike.window_hours,
                time(spike.hour),
                spike.expected,
                if spike.urgent {
                    ", unexplained burst"
                } else {
                    ""
                },
                spike
                    .event
                    .as_deref()
                    .map(|e| format!(", during an expected event: {e}"))
                    .unwrap_or_default()
            ),
        ));
    }
    if let Some(copies) = n.copy_paste.first() {
        out.push((
            if copies.syndicated {
                "Syndicated"
            } else {
                "Copy-paste"
            },
            format!("{} ({} documents)", copies.evidence, copies.documents),
        ));
    }
    if !n.amplifiers.is_empty() {
        let members: Vec<String> = n
            .amplifiers
            .iter()
            .map(|a| {
                let mut shown: Vec<&str> = a.members.iter().take(5).map(String::as_str).collect();
                if a.members.len() > 5 {
                    shown.push("…");
                }
                format!("{} accounts ({})", a.members.len(), shown.join(", "))
            })
            .collect();
        out.push((
            "Coordination",
            format!(
                "{} amplifier network{}: {}",
                n.amplifiers.len(),
                if n.amplifiers.len() == 1 { "" } else { "s" },
                members.join("; ")
            ),
        ));
    }
    if !n.disarm.is_empty() {
        out.push((
            "DISARM",
            n.disarm
                .iter()
                .map(|t| format!("{} {}", t.id, t.name))
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    if !n.queries.is_empty() {
        out.push(("Stored queries", top(&n.queries, 5)));
    }
    out
}

// --- Markdown -------------------------------------------------------------------------------

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

fn md_highlighted(h: &Highlighted) -> String {
    h.render(escape_markdown, "**", "**")
}

/// Renders the digest as Markdown.
pub fn markdown(digest: &Digest) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {}: {} to {}\n",
        escape_markdown(&digest.title),
        time(digest.period_start),
        time(digest.period_end)
    );
    let _ = writeln!(out, "## Emerging narratives\n");
    let _ = writeln!(out, "_{JUDGE}_\n");
    if digest.narratives.is_empty() {
        let _ = writeln!(out, "No narrative emerged in this period.\n");
    }
    for n in &digest.narratives {
        let _ = writeln!(
            out,
            "### {} `{}`\n",
            escape_markdown(&n.headline()),
            n.id.replace('`', "")
        );
        let _ = writeln!(
            out,
            "- First seen {} in {}: {}",
            time(n.first_seen.published),
            escape_markdown(&n.first_seen.source),
            md_link(&n.first_seen.title, &n.first_seen.url)
        );
        let _ = writeln!(out, "- Volume, 72 h: {}", sparkline(n));
        for (name, value) in facts(n) {
            let _ = writeln!(out, "- {name}: {}", escape_markdown(&value));
        }
        for r in &n.rebuttals {
            let target = r.url.as_deref().map(|u| md_link(&r.text, u));
            let _ = writeln!(
                out,
                "- Rebuttal: {}{}",
                target.unwrap_or_else(|| escape_markdown(&r.text)),
                r.article
                    .as_deref()
                    .map(|a| format!(" ({})", escape_markdown(a)))
                    .unwrap_or_default()
            );
        }
        let _ = writeln!(
            out,
            "- Representative: {}\n",
            md_link(&n.representative.title, &n.representative.url)
        );
    }
    if !digest.volumes.is_empty() {
        let _ = writeln!(out, "## Stored queries\n");
        let _ = writeln!(
            out,
            "| query | severity | documents | previous period | change | flag |"
        );
        let _ = writeln!(out, "|---|---|---:|---:|---|---|");
        for v in &digest.volumes {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                escape_markdown(&v.title),
                v.severity.as_str(),
                v.count,
                v.previous,
                change(v.count, v.previous),
                flag(v).map(|f| escape_markdown(&f)).unwrap_or_default()
            );
        }
    }
    if !digest.top_documents.is_empty() {
        let _ = writeln!(out, "\n## Top documents\n");
        for top in &digest.top_documents {
            let _ = writeln!(
                out,
                "- {} · {} · {} ({})\n  > {}",
                time(top.doc.published),
                escape_markdown(&top.doc.source),
                md_doc_link(top),
                top.queries
                    .iter()
                    .map(|q| escape_markdown(q))
                    .collect::<Vec<_>>()
                    .join(", "),
                md_highlighted(&top.snippet)
            );
        }
    }
    if !digest.source_problems.is_empty() {
        let _ = writeln!(out, "\n## Source problems\n");
        for p in &digest.source_problems {
            let _ = writeln!(out, "- {}", escape_markdown(&problem(p)));
        }
    }
    if !digest.query_problems.is_empty() {
        let _ = writeln!(out, "\n## Stored queries skipped (they do not load)\n");
        for p in &digest.query_problems {
            let _ = writeln!(out, "- {}", escape_markdown(p));
        }
    }
    out
}

fn md_doc_link(top: &TopDocument) -> String {
    match linkable(&top.doc.url) {
        Some(url) => format!(
            "[{}](<{}>) ({})",
            md_highlighted(&top.title),
            url.replace(['<', '>', ' '], ""),
            escape_markdown(&link_domain(url))
        ),
        None => md_highlighted(&top.title),
    }
}

fn flag(v: &Volume) -> Option<String> {
    match (&v.spike, v.flagged) {
        (Some(spike), _) => Some(format!("spike: {spike}")),
        (None, true) => Some("above its baseline".into()),
        (None, false) => None,
    }
}

fn problem(p: &super::digest::SourceProblem) -> String {
    let last = p.last_success.map(time).unwrap_or_else(|| "never".into());
    match p.health {
        crate::health::Health::Silent => format!(
            "{}: silent, nothing new since {}",
            p.name,
            p.last_new_document
                .map(time)
                .unwrap_or_else(|| "its first poll".into())
        ),
        _ => format!(
            "{}: {} ({} failures in a row, last success {last}): {}",
            p.name,
            p.health.as_str(),
            p.consecutive_failures,
            truncate_chars(&p.error, 300)
        ),
    }
}

// --- Plain text ------------------------------------------------------------------------------

/// Plain text without control characters (the email's text part, and terminals).
fn plain(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || *c == ' ')
        .filter(|c| !matches!(*c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
        .collect()
}

fn plain_link(doc: &DocRef) -> String {
    match linkable(&doc.url) {
        Some(url) => format!("{} <{}>", plain(&doc.title), plain(url)),
        None => plain(&doc.title),
    }
}

/// Renders the digest as plain text.
pub fn text(digest: &Digest) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} to {}\n",
        plain(&digest.title),
        time(digest.period_start),
        time(digest.period_end)
    );
    let _ = writeln!(out, "EMERGING NARRATIVES\n");
    let _ = writeln!(out, "{JUDGE}\n");
    if digest.narratives.is_empty() {
        let _ = writeln!(out, "No narrative emerged in this period.\n");
    }
    for n in &digest.narratives {
        let _ = writeln!(out, "* {} [{}]", plain(&n.headline()), plain(&n.id));
        let _ = writeln!(
            out,
            "  First seen {} in {}: {}",
            time(n.first_seen.published),
            plain(&n.first_seen.source),
            plain_link(&n.first_seen)
        );
        let _ = writeln!(out, "  Volume, 72 h: {}", sparkline(n));
        for (name, value) in facts(n) {
            let _ = writeln!(out, "  {name}: {}", plain(&value));
        }
        for r in &n.rebuttals {
            let _ = writeln!(
                out,
                "  Rebuttal: {}{}{}",
                plain(&r.text),
                r.url
                    .as_deref()
                    .and_then(linkable)
                    .map(|u| format!(" <{}>", plain(u)))
                    .unwrap_or_default(),
                r.article
                    .as_deref()
                    .map(|a| format!(" ({})", plain(a)))
                    .unwrap_or_default()
            );
        }
        let _ = writeln!(out);
    }
    if !digest.volumes.is_empty() {
        let _ = writeln!(out, "STORED QUERIES (documents, previous period, change)\n");
        for v in &digest.volumes {
            let _ = writeln!(
                out,
                "  {:<40} {:>6} {:>6}  {}{}",
                plain(&truncate_chars(&v.title, 40)),
                v.count,
                v.previous,
                change(v.count, v.previous),
                flag(v)
                    .map(|f| format!("  ({})", plain(&f)))
                    .unwrap_or_default()
            );
        }
    }
    if !digest.top_documents.is_empty() {
        let _ = writeln!(out, "\nTOP DOCUMENTS\n");
        for top in &digest.top_documents {
            let _ = writeln!(
                out,
                "* {} · {} · {}\n  {}",
                time(top.doc.published),
                plain(&top.doc.source),
                plain_link(&top.doc),
                plain(&top.snippet.text)
            );
        }
    }
    if !digest.source_problems.is_empty() {
        let _ = writeln!(out, "\nSOURCE PROBLEMS\n");
        for p in &digest.source_problems {
            let _ = writeln!(out, "* {}", plain(&problem(p)));
        }
    }
    if !digest.query_problems.is_empty() {
        let _ = writeln!(out, "\nSTORED QUERIES SKIPPED (THEY DO NOT LOAD)\n");
        for p in &digest.query_problems {
            let _ = writeln!(out, "* {}", plain(p));
        }
    }
    out
}

// --- HTML email ------------------------------------------------------------------------------

const FONT: &str = "font-family:Arial,Helvetica,sans-serif;";

fn html_link(text_html: &str, url: &str) -> String {
    match linkable(url) {
        Some(url) => format!(
            "<a href=\"{}\" style=\"color:#1a4f8b;\">{text_html}</a> <span style=\"color:#666;font-size:12px;\">({})</span>",
            escape_html(url),
            escape_html(&link_domain(url))
        ),
        None => text_html.to_string(),
    }
}

fn html_section(out: &mut String, title: &str) {
    let _ = write!(
        out,
        "<tr><td style=\"{FONT}padding:18px 0 6px;font-size:18px;font-weight:bold;color:#222;border-bottom:2px solid #1a4f8b;\">{}</td></tr>",
        escape_html(title)
    );
}

/// Renders the digest as an HTML email: one centred 640-pixel table, inline styles only.
pub fn html(digest: &Digest) -> String {
    let mut out = String::with_capacity(32 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{}</title></head>\
         <body style=\"margin:0;padding:0;background:#f4f4f4;\">\
         <table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" style=\"background:#f4f4f4;\"><tr><td align=\"center\">\
         <table role=\"presentation\" width=\"640\" cellpadding=\"0\" cellspacing=\"0\" style=\"max-width:640px;width:100%;background:#ffffff;padding:16px;\">",
        escape_html(&subject(digest))
    );
    let _ = write!(
        out,
        "<tr><td style=\"{FONT}font-size:22px;font-weight:bold;color:#1a4f8b;\">{}</td></tr>\
         <tr><td style=\"{FONT}font-size:13px;color:#666;padding-bottom:8px;\">{} to {}</td></tr>",
        escape_html(&digest.title),
        time(digest.period_start),
        time(digest.period_end)
    );
    html_section(&mut out, "Emerging narratives");
    let _ = write!(
        out,
        "<tr><td style=\"{FONT}font-size:12px;color:#555555;padding:0 0 8px 0;\">{JUDGE}</td></tr>"
    );
    if digest.narratives.is_empty() {
        let _ = write!(
            out,
            "<tr><td style=\"{FONT}font-size:14px;padding:8px 0;\">No narrative emerged in this period.</td></tr>"
        );
    }
    for n in &digest.narratives {
        let urgent = n.urgent;
        let _ = write!(
            out,
            "<tr><td style=\"{FONT}padding:12px 0 4px;\"><span style=\"font-size:16px;font-weight:bold;color:#222;\">{}</span>{} <span style=\"font-size:12px;color:#888;\">{}</span></td></tr>",
            escape_html(&n.headline()),
            if urgent {
                " <span style=\"background:#b00020;color:#fff;font-size:11px;padding:1px 5px;border-radius:3px;\">URGENT</span>"
            } else {
                ""
            },
            escape_html(&n.id)
        );
        let _ = write!(
            out,
            "<tr><td style=\"{FONT}font-size:14px;color:#222;\">First seen {} in {}: {}</td></tr>\
             <tr><td style=\"font-family:Menlo,Consolas,monospace;font-size:14px;color:#1a4f8b;\">{}</td></tr>\
             <tr><td><table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" style=\"{FONT}font-size:13px;color:#333;\">",
            time(n.first_seen.published),
            escape_html(&n.first_seen.source),
            html_link(&escape_html(&n.first_seen.title), &n.first_seen.url),
            sparkline(n)
        );
        for (name, value) in facts(n) {
            let _ = write!(
                out,
                "<tr><td style=\"padding:1px 10px 1px 0;color:#666;vertical-align:top;white-space:nowrap;\">{name}</td><td style=\"padding:1px 0;\">{}</td></tr>",
                escape_html(&value)
            );
        }
        for r in &n.rebuttals {
            let body = match &r.url {
                Some(url) => html_link(&escape_html(&r.text), url),
                None => escape_html(&r.text),
            };
            let _ = write!(
                out,
                "<tr><td style=\"padding:1px 10px 1px 0;color:#666;vertical-align:top;\">Rebuttal</td><td style=\"padding:1px 0;\">{body}{}</td></tr>",
                r.article
                    .as_deref()
                    .map(|a| format!(" ({})", escape_html(a)))
                    .unwrap_or_default()
            );
        }
        let _ = write!(out, "</table></td></tr>");
    }
    if !digest.volumes.is_empty() {
        html_section(&mut out, "Stored queries");
        let _ = write!(
            out,
            "<tr><td><table role=\"presentation\" width=\"100%\" cellpadding=\"4\" cellspacing=\"0\" style=\"{FONT}font-size:13px;border-collapse:collapse;\">\
             <tr style=\"background:#eef3f9;\"><th align=\"left\">Query</th><th align=\"right\">Documents</th><th align=\"right\">Previous</th><th align=\"left\">Change</th></tr>"
        );
        for v in &digest.volumes {
            let _ = write!(
                out,
                "<tr style=\"border-bottom:1px solid #eee;\"><td>{}{}</td><td align=\"right\">{}</td><td align=\"right\">{}</td><td>{}</td></tr>",
                escape_html(&v.title),
                flag(v)
                    .map(|f| format!(
                        "<br><span style=\"color:#b00020;font-size:12px;\">{}</span>",
                        escape_html(&f)
                    ))
                    .unwrap_or_default(),
                v.count,
                v.previous,
                escape_html(&change(v.count, v.previous))
            );
        }
        let _ = write!(out, "</table></td></tr>");
    }
    if !digest.top_documents.is_empty() {
        html_section(&mut out, "Top documents");
        for top in &digest.top_documents {
            let mark = "<b style=\"background:#fff3a0;\">";
            let _ = write!(
                out,
                "<tr><td style=\"{FONT}padding:8px 0 0;font-size:14px;\">{}</td></tr>\
                 <tr><td style=\"{FONT}font-size:12px;color:#666;\">{} · {} · {}</td></tr>\
                 <tr><td style=\"{FONT}font-size:13px;color:#333;padding-bottom:4px;\">{}</td></tr>",
                html_link(&top.title.render(escape_html, mark, "</b>"), &top.doc.url),
                time(top.doc.published),
                escape_html(&top.doc.source),
                escape_html(&top.queries.join(", ")),
                top.snippet.render(escape_html, mark, "</b>")
            );
        }
    }
    if !digest.source_problems.is_empty() {
        html_section(&mut out, "Source problems");
        for p in &digest.source_problems {
            let _ = write!(
                out,
                "<tr><td style=\"{FONT}font-size:13px;color:#333;padding:2px 0;\">{}</td></tr>",
                escape_html(&problem(p))
            );
        }
    }
    if !digest.query_problems.is_empty() {
        html_section(&mut out, "Stored queries skipped (they do not load)");
        for p in &digest.query_problems {
            let _ = write!(
                out,
                "<tr><td style=\"{FONT}font-size:13px;color:#333;padding:2px 0;\">{}</td></tr>",
                escape_html(p)
            );
        }
    }
    let _ = write!(
        out,
        "<tr><td style=\"{FONT}font-size:11px;color:#999;padding-top:18px;\">Sent by Vigil. Narratives are described for a person to judge; nothing here labels a document as disinformation.</td></tr>\
         </table></td></tr></table></body></html>"
    );
    out
}

// --- Chat webhooks -----------------------------------------------------------------------------

/// Slack mrkdwn text: `&`, `<` and `>` escaped, so nothing becomes a link or a mention.
fn slack_escape(text: &str) -> String {
    plain(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn slack_link(doc_title: &str, url: &str) -> String {
    match linkable(url) {
        Some(url) => format!(
            "<{}|{}> ({})",
            url.replace(['<', '>', '|', ' '], ""),
            slack_escape(doc_title).replace('|', "¦"),
            slack_escape(&link_domain(url))
        ),
        None => slack_escape(doc_title),
    }
}

/// A Slack incoming-webhook payload: a fallback `text` and Block Kit sections.
pub fn slack(digest: &Digest) -> serde_json::Value {
    let mut blocks = vec![serde_json::json!({
        "type": "header",
        "text": {"type": "plain_text", "text": truncate_chars(&plain(&subject(digest)), 150)}
    })];
    for n in digest.narratives.iter().take(8) {
        let mut lines = vec![format!("*{}*", slack_escape(&n.headline()))];
        lines.push(format!(
            "First seen {}: {}",
            time(n.first_seen.published),
            slack_link(&n.first_seen.title, &n.first_seen.url)
        ));
        for (name, value) in facts(n) {
            lines.push(format!("{name}: {}", slack_escape(&value)));
        }
        if let Some(r) = n.rebuttals.first() {
            lines.push(format!(
                "Rebuttal: {}",
                r.url
                    .as_deref()
                    .map(|u| slack_link(&r.text, u))
                    .unwrap_or_else(|| slack_escape(&r.text))
            ));
        }
        blocks.push(serde_json::json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": truncate_chars(&lines.join("\n"), 2900)}
        }));
    }
    let flagged: Vec<String> = digest
        .volumes
        .iter()
        .filter(|v| v.flagged)
        .map(|v| {
            format!(
                "{}: {} ({})",
                slack_escape(&v.title),
                v.count,
                change(v.count, v.previous)
            )
        })
        .collect();
    if !flagged.is_empty() {
        blocks.push(serde_json::json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": truncate_chars(&format!("*Flagged queries*\n{}", flagged.join("\n")), 2900)}
        }));
    }
    serde_json::json!({ "text": plain(&subject(digest)), "blocks": blocks })
}

/// Teams text (a Markdown subset): escaped like Markdown.
fn teams_link(title: &str, url: &str) -> String {
    md_link(title, url)
}

/// A Microsoft Teams incoming-webhook payload: a message carrying one Adaptive Card.
pub fn teams(digest: &Digest) -> serde_json::Value {
    let mut body = vec![serde_json::json!({
        "type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": true,
        "text": escape_markdown(&subject(digest))
    })];
    for n in digest.narratives.iter().take(8) {
        body.push(serde_json::json!({
            "type": "TextBlock", "weight": "Bolder", "wrap": true, "spacing": "Medium",
            "text": escape_markdown(&n.headline())
        }));
        body.push(serde_json::json!({
            "type": "TextBlock", "wrap": true,
            "text": format!("First seen {}: {}", time(n.first_seen.published), teams_link(&n.first_seen.title, &n.first_seen.url))
        }));
        let facts: Vec<serde_json::Value> = facts(n)
            .into_iter()
            .map(|(name, value)| serde_json::json!({"title": name, "value": escape_markdown(&value)}))
            .collect();
        body.push(serde_json::json!({"type": "FactSet", "facts": facts}));
    }
    for v in digest.volumes.iter().filter(|v| v.flagged) {
        body.push(serde_json::json!({
            "type": "TextBlock", "wrap": true,
            "text": format!("{}: {} ({})", escape_markdown(&v.title), v.count, change(v.count, v.previous))
        }));
    }
    serde_json::json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body
            }
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_escaped_and_only_web_links() {
        let cases = [
            (
                "Title",
                "https://n.example.org/a",
                "[Title](<https://n.example.org/a>) (n\\.example\\.org)",
            ),
            (
                "a](javascript:x)",
                "javascript:alert(1)",
                "a\\]\\(javascript:x\\)",
            ),
            (
                "t",
                "https://n.example.org/a b>",
                "[t](<https://n.example.org/a%20b%3E>) (n\\.example\\.org)",
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
        assert_eq!(change(0, 0), "no change");
    }

    #[test]
    fn hostile_text_is_inert_in_every_format() {
        let cases: &[(&str, fn(&str) -> String, &[&str])] = &[
            (
                "<script>alert(1)</script>",
                escape_html,
                &["<script", "</script"],
            ),
            (
                "<@U123> <!channel> <https://evil.example.org|x>",
                slack_escape,
                &["<@", "<!", "<https"],
            ),
            (
                "line\r\nBcc: victim@example.org",
                header_safe,
                &["\r", "\n"],
            ),
            ("\u{202E}evil\u{1b}[31m", plain, &["\u{202E}", "\u{1b}"]),
        ];
        for (input, escape, forbidden) in cases {
            let out = escape(input);
            for f in *forbidden {
                assert!(!out.contains(f), "{input:?} -> {out:?} holds {f:?}");
            }
        }
        assert_eq!(
            slack_link("t|x", "javascript:alert(1)"),
            "t|x",
            "never a link"
        );
        assert_eq!(
            slack_link("a|b", "https://n.example.org/x"),
            "<https://n.example.org/x|a¦b> (n.example.org)"
        );
        assert!(html_link("t", "data:text/html,x").starts_with('t'));
    }
}

// --- Notices ---------------------------------------------------------------------------------

/// A short notice that is not a digest (a security alert): a subject, facts as name and value,
/// and one link, in every format with each format's escaping.
pub fn notice(
    subject_text: &str,
    facts: &[(&str, String)],
    link: Option<(&str, &str)>,
) -> Rendered {
    let subject = header_safe(subject_text);
    let mut text = format!("{}\n\n", plain(&subject));
    let mut markdown = format!("# {}\n\n", escape_markdown(&subject));
    let mut html = format!(
        "<!doctype html><html><body><h1>{}</h1><table>",
        escape_html(&subject)
    );
    let mut slack_lines = vec![format!("*{}*", slack_escape(&subject))];
    let mut teams_facts = Vec::new();
    for (name, value) in facts {
        let _ = writeln!(text, "{name}: {}", plain(value));
        let _ = writeln!(markdown, "- **{name}**: {}", escape_markdown(value));
        let _ = write!(
            html,
            "<tr><th align=left>{}</th><td>{}</td></tr>",
            escape_html(name),
            escape_html(value)
        );
        slack_lines.push(format!("{name}: {}", slack_escape(value)));
        teams_facts.push(serde_json::json!({"title": name, "value": escape_markdown(value)}));
    }
    html.push_str("</table>");
    if let Some((title, url)) = link {
        let _ = writeln!(
            text,
            "\n{}",
            plain_link(&DocRef {
                id: String::new(),
                title: title.to_string(),
                url: url.to_string(),
                source: String::new(),
                published: Utc::now(),
            })
        );
        let _ = writeln!(markdown, "\n{}", md_link(title, url));
        let _ = write!(html, "<p>{}</p>", html_link(&escape_html(title), url));
        slack_lines.push(slack_link(title, url));
        teams_facts.push(serde_json::json!({"title": "Link", "value": teams_link(title, url)}));
    }
    html.push_str("</body></html>");
    let json = serde_json::json!({
        "subject": subject,
        "facts": facts.iter().map(|(n, v)| serde_json::json!({"name": n, "value": v})).collect::<Vec<_>>(),
        "url": link.map(|(_, u)| u),
    });
    Rendered {
        subject: subject.clone(),
        text,
        html,
        markdown,
        json: serde_json::to_string_pretty(&json).unwrap_or_else(|_| "{}".into()),
        slack: serde_json::json!({
            "text": plain(&subject),
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": truncate_chars(&slack_lines.join("\n"), 2900)}}]
        })
        .to_string(),
        teams: serde_json::json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "type": "AdaptiveCard", "version": "1.4",
                    "body": [
                        {"type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": true, "text": escape_markdown(&subject)},
                        {"type": "FactSet", "facts": teams_facts}
                    ]
                }
            }]
        })
        .to_string(),
    }
}
