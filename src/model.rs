//! The types that cross stage boundaries: what a source is, what the fetcher hands to the parser
//! (`Fetched`), what a parser produces (`RawItem`), what gets indexed (`Document`) and what
//! percolation records (`Match`). No behaviour lives here beyond small accessors.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The kind of a configured source; decides which parser reads its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// RSS 0.9x/1.0/2.0, Atom or JSON Feed, read by feed-rs.
    Feed,
    /// A Mastodon timeline through the public REST API (a hashtag's, or an account's statuses).
    Mastodon,
    /// A YouTube channel or playlist feed (Atom with MediaRSS: description and view counts).
    Youtube,
    /// A Reddit listing (`.json`): a subreddit's newest posts or a search.
    Reddit,
    /// Bluesky posts through the public AppView: a search or an author's feed.
    Bluesky,
    /// News articles matching a query, from the GDELT DOC 2.0 API.
    Gdelt,
    /// A Telegram public channel through its web preview, `https://t.me/s/<channel>`.
    Telegram,
    /// An HTML listing page read with CSS selectors (sites without a feed).
    Html,
}

impl SourceKind {
    /// Requests per second a platform tolerates from one client, used for its host when the
    /// source sets no `rate`: GDELT documents one request per 5 seconds, Reddit ten a minute
    /// for clients without OAuth; the others allow far more than one a second.
    pub fn default_rate(self) -> Option<f64> {
        match self {
            SourceKind::Gdelt => Some(0.2), // one request every 5 seconds
            SourceKind::Reddit => Some(10.0 / 60.0),
            _ => None,
        }
    }

    /// Whether the source is a documented API (robots.txt does not apply).
    pub fn is_api(self) -> bool {
        !matches!(
            self,
            SourceKind::Feed | SourceKind::Youtube | SourceKind::Telegram | SourceKind::Html
        )
    }

    /// The name stored in the index's `kind` field and shown to users.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Feed => "news",
            SourceKind::Mastodon => "mastodon",
            SourceKind::Youtube => "youtube",
            SourceKind::Reddit => "reddit",
            SourceKind::Bluesky => "bluesky",
            SourceKind::Gdelt => "news",
            SourceKind::Telegram => "telegram",
            SourceKind::Html => "news",
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What went over the wire in one fetch besides the body, kept as evidence (the WARC request
/// and response records of `archive`): the request as sent, the response's status line and
/// headers as received, and the redirects followed to get there.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HttpRecord {
    pub method: String,
    /// The URL first asked for (the redirects start there).
    pub requested: String,
    /// Request headers as sent; a credential is written as `[redacted]`.
    pub request_headers: Vec<(String, String)>,
    /// `HTTP/1.1`, `HTTP/2.0`.
    pub version: String,
    pub reason: String,
    /// Response headers as received (the client removes content-coding and chunking from the
    /// body, so `archive` rewrites those headers to match the bytes it keeps).
    pub response_headers: Vec<(String, String)>,
    /// Each redirect followed: its status and the URL that answered it, in order.
    pub redirects: Vec<(u16, String)>,
    /// The address the response came from.
    pub peer: Option<String>,
}

/// The response of one successful HTTP exchange, bounded in size by the fetcher.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// Name of the configured source the request was made for.
    pub source: String,
    /// The final URL after redirects: the base for relative links.
    pub url: url::Url,
    /// HTTP status of the final response (200, or 304 when `not_modified`).
    pub status: u16,
    /// True when the server answered 304 to a conditional request.
    pub not_modified: bool,
    /// The Content-Type header, if any.
    pub content_type: Option<String>,
    /// Validators to send on the next conditional request.
    pub etag: Option<String>,
    /// The Last-Modified header, sent back as If-Modified-Since.
    pub last_modified: Option<String>,
    /// The Cache-Control header.
    pub cache_control: Option<String>,
    /// The Expires header.
    pub expires: Option<String>,
    /// The body, already decompressed and capped at the configured size.
    pub body: bytes::Bytes,
    /// When the response finished.
    pub fetched_at: DateTime<Utc>,
    /// Time from request start to the end of the body.
    pub elapsed: std::time::Duration,
    /// The exchange as evidence (absent for bodies that did not come over HTTP).
    pub http: Option<std::sync::Arc<HttpRecord>>,
}

/// One item as a parser saw it, before clean-up. Text fields may still hold HTML.
#[derive(Debug, Clone, Default)]
pub struct RawItem {
    /// The item's own identifier (guid, Atom id), when the feed gave one.
    pub guid: Option<String>,
    /// The item's link, already resolved against the feed URL.
    pub url: Option<String>,
    /// Title as given (may contain HTML entities or markup).
    pub title: Option<String>,
    /// Summary or description (often HTML).
    pub summary: Option<String>,
    /// Full content when the feed carries it (often HTML).
    pub content: Option<String>,
    /// Author names, joined.
    pub author: Option<String>,
    /// Published (or, failing that, updated) time.
    pub published: Option<DateTime<Utc>>,
    /// Language declared by the item or its feed (e.g. `en-GB`).
    pub language: Option<String>,
    /// Social fields: hashtags, mentions, shared links, reposts, engagement.
    pub social: Social,
}

/// What a social post carries besides its text. Empty for news items.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Social {
    /// Hashtags, without `#`, lowercased.
    pub hashtags: Vec<String>,
    /// Mentioned accounts (`user@instance`, `handle.bsky.social`), without `@`, lowercased.
    pub mentions: Vec<String>,
    /// URLs the post shares (canonical form).
    pub links: Vec<String>,
    /// For a repost (a boost, a retweet): the URL of the original post.
    pub shared_of: Option<String>,
    /// Engagement as the platform reports it, where it does.
    pub engagement: Engagement,
}

/// Engagement figures; `None` where the platform does not give one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Engagement {
    pub reposts: Option<u64>,
    pub likes: Option<u64>,
    pub replies: Option<u64>,
    pub views: Option<u64>,
}

/// A cleaned, identified document, ready for the index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Stable id: a hash of the canonical URL, or of the source and guid.
    pub id: String,
    /// Canonical URL (tracking parameters stripped); may be empty for items without a link.
    pub url: String,
    /// Name of the configured source.
    pub source: String,
    /// Source kind as stored in the index (`news`, later `mastodon`, ...).
    pub kind: String,
    /// Plain-text title.
    pub title: String,
    /// Plain-text body.
    pub body: String,
    /// Author(s), may be empty.
    pub author: String,
    /// ISO 639-1 code when known (`en`, `fr`), else a 639-3 code or `und`.
    pub lang: String,
    /// Publication time in UTC (never in the future of `fetched`).
    pub published: DateTime<Utc>,
    /// When Vigil fetched it.
    pub fetched: DateTime<Utc>,
    /// Hash of the normalised title and body: a changed hash means an updated item.
    pub content_hash: u64,
    /// 64-bit SimHash of the text, for near-duplicate grouping.
    pub simhash: u64,
    /// Near-duplicate group: the id of the first document of the group (its own id when it
    /// copies nothing seen before).
    pub dup_group: String,
    /// Hashtags, mentions, shared links, repost-of and engagement (social posts).
    #[serde(default)]
    pub social: Social,
}

/// A stored query matched a committed document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    /// Id of the stored query.
    pub query_id: String,
    /// Id of the document.
    pub doc_id: String,
    /// Source of the document.
    pub source: String,
    /// Publication time of the document.
    pub published: DateTime<Utc>,
    /// Ingest sequence number of the document.
    pub seq: u64,
}

#[cfg(test)]
impl Document {
    /// A news document for unit tests, published now, its other fields plain.
    pub fn sample(id: &str, title: &str, body: &str, lang: &str) -> Document {
        Document {
            id: id.into(),
            url: format!("https://news.example.org/{id}"),
            source: "wire".into(),
            kind: "news".into(),
            title: title.into(),
            body: body.into(),
            author: String::new(),
            lang: lang.into(),
            published: chrono::Utc::now(),
            fetched: chrono::Utc::now(),
            content_hash: 0,
            simhash: 0,
            dup_group: id.into(),
            social: Default::default(),
        }
    }
}
