//! Parsers, one per source kind: bytes a fetcher got → `RawItem`s. Parsing is synchronous and
//! CPU-bound; the pipeline runs it on a blocking thread. Errors name the source and URL.

pub mod article;
pub mod bluesky;
pub mod charset;
pub mod feed;
pub mod feedxml;
pub mod gdelt;
pub mod listing;
pub mod mastodon;
pub mod reddit;
pub mod telegram;

use crate::model::{Fetched, RawItem, SourceKind};
use std::time::Duration;

/// What a parser got out of a response.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The items, at most the parser's limit.
    pub items: Vec<RawItem>,
    /// Items beyond the limit that were dropped.
    pub dropped: usize,
    /// Items that could not be read, each with why and where (the rest were kept).
    pub unreadable: Vec<String>,
    /// The feed's own `<ttl>`.
    pub feed_ttl: Option<Duration>,
    /// The feed's `sy:updatePeriod` / `sy:updateFrequency`.
    pub update_period: Option<Duration>,
    /// Where the next poll should start (an API's newest id), recorded once committed.
    pub cursor: Option<String>,
    /// The API's own cursor to the next (older) page of this response, if it has one.
    pub page_cursor: Option<String>,
}

/// A response that could not be read as the source's kind.
#[derive(Debug, thiserror::Error)]
#[error("source {source_name:?}: {url}: {message}")]
pub struct ParseError {
    /// The configured source.
    pub source_name: String,
    /// The URL the bytes came from.
    pub url: String,
    /// What was wrong with them.
    pub message: String,
}

impl ParseError {
    /// An error about a fetched response, naming its source and URL.
    pub fn of(fetched: &Fetched, message: impl Into<String>) -> ParseError {
        ParseError {
            source_name: fetched.source.clone(),
            url: crate::text::redact_url(fetched.url.as_str()),
            message: message.into(),
        }
    }
}

/// Refuses a response whose body holds nothing but white space.
pub fn require_body(fetched: &Fetched) -> Result<(), ParseError> {
    if fetched.body.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::of(fetched, "empty response body"));
    }
    Ok(())
}

/// The HTML of a page, ready for a parser: decoded (HTTP charset, BOM, meta tag or a guess),
/// not empty, without inert elements (scripts, styles), and not nested so deeply that parsing
/// it would stall (see `text::html_nesting_estimate`).
pub fn html_page(fetched: &Fetched) -> Result<String, ParseError> {
    let (html, _, _) = charset::decode(
        &fetched.body,
        fetched.content_type.as_deref(),
        charset::DocumentKind::Html,
    );
    if html.trim().is_empty() {
        return Err(ParseError::of(fetched, "empty response body"));
    }
    let html = crate::text::strip_inert_elements(&html).into_owned();
    let depth = crate::text::html_nesting_estimate(&html);
    if depth > article::MAX_DEPTH {
        return Err(ParseError::of(
            fetched,
            format!(
                "page nests elements {depth} deep (the limit is {})",
                article::MAX_DEPTH
            ),
        ));
    }
    Ok(html)
}

/// The text of an HTML element, its white space folded to single spaces.
pub fn element_text(element: &scraper::ElementRef) -> String {
    element
        .text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `base` with the query keys `drop` rejects removed and `append` added after the rest: how
/// every paged API builds its next request from the configured URL.
pub fn rebuild_query(
    base: &url::Url,
    drop: impl Fn(&str) -> bool,
    append: &[(&str, &str)],
) -> url::Url {
    let kept: Vec<(String, String)> = base
        .query_pairs()
        .filter(|(k, _)| !drop(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut url = base.clone();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .extend_pairs(append.iter().copied());
    url
}

/// Parses a fetched body according to the source's kind.
pub fn parse(
    source: &crate::config::SourceConfig,
    fetched: &Fetched,
) -> Result<Parsed, ParseError> {
    match source.kind {
        SourceKind::Feed | SourceKind::Youtube => feed::parse_feed(fetched),
        SourceKind::Mastodon => mastodon::parse_statuses(fetched),
        SourceKind::Reddit => reddit::parse_listing(fetched),
        SourceKind::Bluesky => bluesky::parse_posts(fetched),
        SourceKind::Gdelt => gdelt::parse_articles(fetched),
        SourceKind::Telegram => telegram::parse_channel(fetched),
        SourceKind::Html => match &source.selectors {
            Some(selectors) => listing::parse_listing_page(fetched, selectors),
            None => Err(ParseError {
                source_name: fetched.source.clone(),
                url: fetched.url.to_string(),
                message: "an html source needs [sources.selectors]".into(),
            }),
        },
    }
}

/// What parser tests share: a `Fetched` around a fixture body.
#[cfg(test)]
pub(crate) mod test_support {
    use crate::model::Fetched;

    /// A 200 response from `url` with the given content type and body.
    pub fn fetched(url: &str, content_type: &str, body: &[u8]) -> Fetched {
        Fetched {
            source: "test".into(),
            url: url::Url::parse(url).expect("a test URL"),
            status: 200,
            not_modified: false,
            content_type: Some(content_type.into()),
            etag: None,
            last_modified: None,
            cache_control: None,
            expires: None,
            body: bytes::Bytes::copy_from_slice(body),
            fetched_at: chrono::Utc::now(),
            elapsed: std::time::Duration::ZERO,
            http: None,
        }
    }
}
