//! RSS 0.9x/1.0/2.0, Atom and JSON Feed through feed-rs. The body goes in as raw bytes with the
//! final URL as the base, so feeds in ISO-8859-1 or windows-1252 keep their characters and
//! relative links resolve. Out: one `RawItem` per entry, at most `MAX_ITEMS_PER_FEED`.

use super::ParseError;
use crate::model::{Fetched, RawItem};

/// Entries read from one feed; the rest are dropped (a feed with more is hostile or broken).
pub const MAX_ITEMS_PER_FEED: usize = 10_000;

/// Parses a feed body into raw items.
pub fn parse_feed(fetched: &Fetched) -> Result<Vec<RawItem>, ParseError> {
    let fail = |message: String| ParseError {
        source_name: fetched.source.clone(),
        url: fetched.url.to_string(),
        message,
    };
    if fetched.body.iter().all(u8::is_ascii_whitespace) {
        return Err(fail("empty response body".into()));
    }
    // An empty string means "no id": document ids are then derived from the link or the title
    // (feed-rs would otherwise invent a random UUID, which changes on every crawl).
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(fetched.url.as_str()))
        .id_generator(|_, _, _| String::new())
        .build();
    let feed = parser.parse(&fetched.body[..]).map_err(|error| {
        let looks_like_html = fetched
            .content_type
            .as_deref()
            .is_some_and(|t| t.contains("html"));
        let hint = if looks_like_html {
            " (the server sent an HTML page, not a feed)"
        } else {
            ""
        };
        fail(format!("not a readable feed: {error}{hint}"))
    })?;
    let feed_language = feed.language.clone();
    let items = feed
        .entries
        .into_iter()
        .take(MAX_ITEMS_PER_FEED)
        .map(|entry| {
            let url = entry
                .links
                .iter()
                .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
                .or_else(|| entry.links.first())
                .map(|l| resolve(&fetched.url, &l.href));
            let author = entry
                .authors
                .iter()
                .filter_map(|p| p.name.as_deref().map(str::trim))
                .filter(|n| !n.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            RawItem {
                guid: Some(entry.id).filter(|id| !id.is_empty()),
                url,
                title: entry.title.map(|t| t.content),
                summary: entry.summary.map(|t| t.content),
                content: entry.content.and_then(|c| c.body),
                author: Some(author).filter(|a| !a.is_empty()),
                published: entry.published.or(entry.updated),
                language: entry.language.or_else(|| feed_language.clone()),
            }
        })
        .collect();
    Ok(items)
}

/// Resolves a possibly relative link against the feed's URL.
fn resolve(base: &url::Url, href: &str) -> String {
    base.join(href.trim())
        .map(|u| u.to_string())
        .unwrap_or_else(|_| href.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetched(body: &[u8], content_type: &str) -> Fetched {
        Fetched {
            source: "test".into(),
            url: url::Url::parse("https://news.example.org/feeds/main.xml").unwrap(),
            status: 200,
            not_modified: false,
            content_type: Some(content_type.into()),
            etag: None,
            last_modified: None,
            body: bytes::Bytes::copy_from_slice(body),
            fetched_at: chrono::Utc::now(),
            elapsed: std::time::Duration::ZERO,
        }
    }

    #[test]
    fn reads_latin1_and_relative_links() {
        let body = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>t</title><item><title>Cour p\xe9nale</title><link>/a/1</link></item></channel></rss>";
        let items = parse_feed(&fetched(body, "application/rss+xml")).unwrap();
        assert_eq!(items[0].title.as_deref(), Some("Cour pénale"));
        assert_eq!(
            items[0].url.as_deref(),
            Some("https://news.example.org/a/1")
        );
        assert_eq!(items[0].guid, None);
    }

    #[test]
    fn explains_bad_bodies() {
        let cases: &[(&[u8], &str, &str)] = &[
            (b"", "application/rss+xml", "empty response body"),
            (
                b"<html><body>hi</body></html>",
                "text/html",
                "HTML page, not a feed",
            ),
            (
                b"<rss version=\"2.0\"><channel><item><title>cut",
                "application/rss+xml",
                "not a readable feed",
            ),
        ];
        for (body, content_type, expected) in cases {
            let error = parse_feed(&fetched(body, content_type))
                .unwrap_err()
                .to_string();
            assert!(error.contains(expected), "{error}");
            assert!(
                error.contains("https://news.example.org/feeds/main.xml"),
                "{error}"
            );
        }
    }
}
