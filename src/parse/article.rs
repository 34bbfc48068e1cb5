//! Article pages: the main text, title, author, publication time and canonical URL of one HTML
//! page. Extraction is dom_smoothie's (a Readability port, F1 ≈ 0.95 on the shared benchmark);
//! this module owns decoding, bounds, and which metadata to trust. A canonical URL is taken only
//! when it stays on the page's own site: a page must not be able to claim another outlet's
//! article (and so overwrite it, ids being derived from canonical URLs).

use super::charset::{self, DocumentKind};
use chrono::{DateTime, Utc};
use dom_smoothie::{CandidateSelectMode, Config, Readability, TextMode};
use url::Url;

/// Elements parsed at most (dom_smoothie stops scoring beyond this): bounds hostile pages.
const MAX_ELEMENTS: usize = 100_000;
/// Largest HTML handed to the parser, in bytes.
pub const MAX_HTML_BYTES: usize = 4 * 1024 * 1024;
/// Deepest element nesting accepted (as estimated by `text::html_nesting_estimate`, which
/// counts unclosed tags too: one real benchmark page estimates 292). Parsing and extraction
/// time grow with the square of the depth: 1,000 levels take about 60 ms, 8,000 take seconds,
/// 100,000 take minutes. Deeper pages are refused as hostile.
pub const MAX_DEPTH: usize = 1024;

/// What an article page yielded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Article {
    pub title: Option<String>,
    pub text: String,
    pub author: Option<String>,
    pub published: Option<DateTime<Utc>>,
    /// `<link rel=canonical>` or `og:url`, resolved, and only if on the page's own site.
    pub canonical_url: Option<String>,
    pub lang: Option<String>,
}

/// Extracts the article from raw bytes (decoded with the HTTP charset, BOM, meta tag or a guess).
pub fn extract_bytes(
    body: &[u8],
    content_type: Option<&str>,
    url: &Url,
) -> Result<Article, String> {
    let (html, _, _) = charset::decode(
        &body[..body.len().min(MAX_HTML_BYTES)],
        content_type,
        DocumentKind::Html,
    );
    extract(&html, url)
}

/// Extracts the article from HTML text.
pub fn extract(html: &str, url: &Url) -> Result<Article, String> {
    let html = &*crate::text::strip_inert_elements(html);
    let depth = crate::text::html_nesting_estimate(html);
    if depth > MAX_DEPTH {
        return Err(format!(
            "page nests elements {depth} deep (the limit is {MAX_DEPTH})"
        ));
    }
    let document = dom_query::Document::from(html);
    let canonical_url = ["link[rel='canonical']", "meta[property='og:url']"]
        .iter()
        .find_map(|selector| {
            let selection = document.select(selector);
            let value = selection
                .attr("href")
                .or_else(|| selection.attr("content"))?;
            let resolved = url.join(value.trim()).ok()?;
            same_site(url, &resolved).then(|| resolved.to_string())
        });
    let config = Config {
        max_elements_to_parse: MAX_ELEMENTS,
        n_top_candidates: 3,
        text_mode: TextMode::Formatted,
        candidate_select_mode: CandidateSelectMode::Readability,
        ..Config::default()
    };
    let mut readability = Readability::with_document(document, Some(url.as_str()), Some(config))
        .map_err(|e| e.to_string())?;
    let article = readability
        .parse()
        .map_err(|e| format!("no article found: {e}"))?;
    let text = article.text_content.trim().to_string();
    if text.is_empty() {
        return Err("no article text found".into());
    }
    let published = article.published_time.as_deref().and_then(parse_date);
    Ok(Article {
        title: Some(article.title).filter(|t| !t.trim().is_empty()),
        text,
        author: article.byline.filter(|b| !b.trim().is_empty()),
        published,
        canonical_url,
        lang: article.lang,
    })
}

/// Same site: the same host, ignoring a leading `www.`, over http(s).
fn same_site(page: &Url, claimed: &Url) -> bool {
    let host = |u: &Url| {
        u.host_str()
            .map(|h| h.trim_start_matches("www.").to_ascii_lowercase())
    };
    matches!(claimed.scheme(), "http" | "https")
        && host(page).is_some()
        && host(page) == host(claimed)
}

fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_rfc2822(text))
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
                .ok()
                .map(|n| n.and_utc())
        })
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d")
                .ok()?
                .and_hms_opt(0, 0, 0)
                .map(|n| n.and_utc())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    const PAGE: &str = r#"<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Judges issue warrant | The Hague Herald</title>
<link rel="canonical" href="/2026/01/judges-issue-warrant">
<meta property="article:published_time" content="2026-01-05T10:00:00Z">
<meta name="author" content="Anna Kowalczyk">
</head><body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>Judges issue warrant</h1>
<p>The judges of the Pre-Trial Chamber issued an arrest warrant for the former defence minister on Monday, the court said in a statement published in The Hague.</p>
<p>The government said it disputes the jurisdiction of the court and will not cooperate with the Prosecutor, whose office has been investigating the case for three years.</p>
<p>Legal experts said states parties are obliged to arrest the suspect if he travels to their territory, and that the warrant remains in force until it is executed or withdrawn.</p>
</article><footer>Subscribe to our newsletter. Cookie settings. All rights reserved.</footer></body></html>"#;

    #[test]
    fn extracts_text_and_metadata() -> TestResult {
        let url = Url::parse(
            "https://www.hagueherald.example/2026/01/judges-issue-warrant?utm_source=feed",
        )?;
        let article = extract(PAGE, &url)?;
        assert!(
            article
                .text
                .contains("arrest warrant for the former defence minister"),
            "{}",
            article.text
        );
        assert!(article.text.contains("until it is executed or withdrawn"));
        assert!(
            !article.text.contains("Cookie settings") && !article.text.contains("Home"),
            "{}",
            article.text
        );
        assert_eq!(
            article.canonical_url.as_deref(),
            Some("https://www.hagueherald.example/2026/01/judges-issue-warrant")
        );
        assert_eq!(
            article.published.map(|p| p.to_rfc3339()),
            Some("2026-01-05T10:00:00+00:00".into())
        );
        assert_eq!(article.author.as_deref(), Some("Anna Kowalczyk"));
        Ok(())
    }

    #[test]
    fn a_canonical_url_on_another_site_is_ignored() -> TestResult {
        let page = PAGE.replace(
            "href=\"/2026/01/judges-issue-warrant\"",
            "href=\"https://rival.example/their-article\"",
        );
        let url = Url::parse("https://www.hagueherald.example/a")?;
        assert_eq!(extract(&page, &url)?.canonical_url, None);
        Ok(())
    }

    #[test]
    fn pages_without_an_article_fail_cleanly() -> TestResult {
        let url = Url::parse("https://x.example/")?;
        for page in ["", "<html><body></body></html>", "\u{0}\u{1}<<<>>>"] {
            let _ = extract(page, &url); // must not panic; an error is fine
        }
        let started = std::time::Instant::now();
        let error = extract(&"<div>".repeat(100_000), &url).unwrap_err();
        assert!(
            error.contains("nests elements")
                && started.elapsed() < std::time::Duration::from_secs(5),
            "{error}"
        );
        let meta_charset = b"<html><head><meta charset=\"windows-1251\"></head><body><article><p>\xcc\xe5\xe6\xe4\xf3\xed\xe0\xf0\xee\xe4\xed\xfb\xe9 \xf3\xe3\xee\xeb\xee\xe2\xed\xfb\xe9 \xf1\xf3\xe4 \xe2\xfb\xe4\xe0\xeb \xee\xf0\xe4\xe5\xf0 \xed\xe0 \xe0\xf0\xe5\xf1\xf2 \xe1\xfb\xe2\xf8\xe5\xe3\xee \xec\xe8\xed\xe8\xf1\xf2\xf0\xe0 \xee\xe1\xee\xf0\xee\xed\xfb. \xcc\xe5\xe6\xe4\xf3\xed\xe0\xf0\xee\xe4\xed\xfb\xe9 \xf3\xe3\xee\xeb\xee\xe2\xed\xfb\xe9 \xf1\xf3\xe4 \xe2\xfb\xe4\xe0\xeb \xee\xf0\xe4\xe5\xf0 \xed\xe0 \xe0\xf0\xe5\xf1\xf2 \xe1\xfb\xe2\xf8\xe5\xe3\xee \xec\xe8\xed\xe8\xf1\xf2\xf0\xe0 \xee\xe1\xee\xf0\xee\xed\xfb.</p></article></body></html>";
        let article = extract_bytes(meta_charset, Some("text/html"), &url)?;
        assert!(
            article.text.contains("Международный уголовный суд"),
            "{}",
            article.text
        );
        Ok(())
    }
}
