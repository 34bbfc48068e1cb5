//! RSS 0.9x/1.0/2.0, Atom and JSON Feed through feed-rs. The raw bytes are decoded by
//! `charset` (HTTP header, BOM, XML declaration, then a guess), the declaration rewritten to
//! UTF-8, and the text handed to feed-rs with the final URL as the base, so feeds in any
//! encoding keep their characters and relative links resolve. Out: one `RawItem` per entry (at
//! most `MAX_ITEMS_PER_FEED`, the newest kept) and the feed's own freshness hints.

use super::charset::{self, DocumentKind};
use super::{ParseError, Parsed};
use crate::model::{Fetched, RawItem};

/// Entries read from one feed; the rest are dropped (a feed with more is hostile or broken).
pub const MAX_ITEMS_PER_FEED: usize = 10_000;

/// Parses a feed body into raw items and hints.
pub fn parse_feed(fetched: &Fetched) -> Result<Parsed, ParseError> {
    let fail = |message: String| ParseError::of(fetched, message);
    super::require_body(fetched)?;
    // An empty string means "no id": document ids are then derived from the link or the title
    // (feed-rs would otherwise invent a random UUID, which changes on every crawl).
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(fetched.url.as_str()))
        .id_generator(|_, _, _| String::new())
        .build();
    let first = fetched
        .body
        .iter()
        .find(|b| !b.is_ascii_whitespace() && **b != 0xef && **b != 0xbb && **b != 0xbf);
    let kind = if first == Some(&b'{') {
        DocumentKind::Json
    } else {
        DocumentKind::Xml
    };
    let (text, encoding, found) =
        charset::decode(&fetched.body, fetched.content_type.as_deref(), kind);
    tracing::trace!(source = %fetched.source, encoding = encoding.name(), from = ?found, "decoded");
    let text = charset::declare_utf8(&text);
    let feed = parser.parse(text.as_bytes()).map_err(|error| {
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
    let feed_ttl = feed
        .ttl
        .filter(|m| *m > 0)
        .map(|minutes| std::time::Duration::from_secs(u64::from(minutes) * 60));
    let update_period = element_text(&text, "sy:updatePeriod").and_then(|period| {
        crate::schedule::update_period(period, element_text(&text, "sy:updateFrequency"))
    });
    let mut entries = feed.entries;
    let dropped = entries.len().saturating_sub(MAX_ITEMS_PER_FEED);
    if dropped > 0 {
        // Keep the newest: a feed this long is broken or hostile, and the newest are what matter.
        entries.sort_by_key(|e| std::cmp::Reverse(e.published.or(e.updated)));
        entries.truncate(MAX_ITEMS_PER_FEED);
    }
    let items = entries
        .into_iter()
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
            // MediaRSS (YouTube's channel and playlist feeds, podcasts): the description stands in
            // for a missing summary, and the view and favourite counts are engagement.
            let media_description = entry
                .media
                .iter()
                .find_map(|m| m.description.as_ref().map(|d| d.content.clone()))
                .filter(|d| !d.trim().is_empty());
            let community = entry.media.iter().find_map(|m| m.community.as_ref());
            RawItem {
                guid: Some(entry.id).filter(|id| !id.is_empty()),
                url,
                title: entry.title.map(|t| t.content),
                summary: entry.summary.map(|t| t.content).or(media_description),
                content: entry.content.and_then(|c| c.body),
                author: Some(author).filter(|a| !a.is_empty()),
                published: entry.published.or(entry.updated),
                language: entry.language.or_else(|| feed_language.clone()),
                social: crate::model::Social {
                    engagement: crate::model::Engagement {
                        views: community.and_then(|c| c.stats_views),
                        likes: community.and_then(|c| c.stats_favorites),
                        ..Default::default()
                    },
                    ..Default::default()
                },
            }
        })
        .collect();
    Ok(Parsed {
        items,
        dropped,
        feed_ttl,
        update_period,
        cursor: None,
        page_cursor: None,
    })
}

/// The text of the first `<name>…</name>` element, for the few channel elements feed-rs does
/// not model (the syndication module's update period).
fn element_text<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = text.find(&open)? + open.len();
    let end = start + text[start..].find("</")?;
    Some(text[start..end].trim()).filter(|t| !t.is_empty() && t.len() < 64)
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
        crate::parse::test_support::fetched(
            "https://news.example.org/feeds/main.xml",
            content_type,
            body,
        )
    }

    #[test]
    fn reads_latin1_and_relative_links() {
        let body = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>t</title><item><title>Cour p\xe9nale</title><link>/a/1</link></item></channel></rss>";
        let items = parse_feed(&fetched(body, "application/rss+xml"))
            .unwrap()
            .items;
        assert_eq!(items[0].title.as_deref(), Some("Cour pénale"));
        assert_eq!(
            items[0].url.as_deref(),
            Some("https://news.example.org/a/1")
        );
        assert_eq!(items[0].guid, None);
    }

    #[test]
    fn reads_youtube_descriptions_and_views() {
        let body = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/feeds/feed-rs/atom_mediarss_youtube_1.xml"
        ))
        .unwrap();
        let item = &parse_feed(&fetched(&body, "application/atom+xml"))
            .unwrap()
            .items[0];
        assert_eq!(
            item.title.as_deref(),
            Some("Navigating with Quantum Entanglement")
        );
        assert!(
            item.summary
                .as_deref()
                .unwrap()
                .starts_with("Check Out Weathered on PBS Terra")
        );
        assert_eq!(item.social.engagement.views, Some(304_321));
        assert_eq!(
            item.url.as_deref(),
            Some("https://www.youtube.com/watch?v=0A1ouV7iD8o")
        );
    }

    #[test]
    fn reads_freshness_hints() {
        let body = b"<rss version=\"2.0\" xmlns:sy=\"http://purl.org/rss/1.0/modules/syndication/\"><channel><title>t</title><ttl>30</ttl><sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency><item><title>a</title></item></channel></rss>";
        let parsed = parse_feed(&fetched(body, "application/rss+xml")).unwrap();
        assert_eq!(parsed.feed_ttl, Some(std::time::Duration::from_secs(1800)));
        assert_eq!(
            parsed.update_period,
            Some(std::time::Duration::from_secs(1800))
        );
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
